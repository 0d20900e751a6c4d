/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's report: per chain, what the lines read add up to (missing ranges, altered and
 * inserted lines decided now that every valid record is known, the tail judged at a time), then
 * said as text or as JSON (doc/jbridge.md, "jbridge verify"). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "json-write.h"
#include "timestamp.h"
#include "verify-internal.h"

#define TEXT_MAX_PER_KIND 50 /* lines listed per kind and chain in the text report */

/* A chain summed up. */
typedef struct csum {
    const vchain *c;
    uint64_t *altered; /* numbers of lines whose MAC did not verify and that no valid record has */
    size_t n_altered;
    struct {
        uint64_t lo, hi;
    } * missing;
    size_t n_missing, counts[V_KINDS + 1]; /* counts[V_KINDS]: inserted (bad MAC over a valid number) */
    uint64_t newest, interval;
    bool stopped, cut, ok;
} csum;

static bool has_valid(const vchain *c, uint64_t n) {
    size_t at = jb__verify_range_at(c, n);
    return n > 0 && at < c->n_ranges && n <= c->ranges[at].hi;
}

/* what the report calls an event of c: V_BAD_MAC splits into altered and inserted */
static const char *kind_name(const vchain *c, const vevent *e) {
    switch (e->kind) {
    case V_BAD_MAC:
        return c && has_valid(c, e->n) ? "inserted" : "altered";
    case V_UNSEALED:
        return "inserted";
    case V_REORDERED:
        return "reordered";
    case V_FORK:
        return "fork";
    case V_TRANSITION:
        return "bad-transition";
    case V_BAD_LINE:
        return "not-rfc5424";
    case V_UNKNOWN_KEY:
        return "unknown-key";
    case V_BAD_SEAL:
        return "bad-seal";
    default:
        return "?";
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int add_missing(csum *s, uint64_t lo, uint64_t hi) {
    void *m = jb_realloc(s->missing, (s->n_missing + 1) * sizeof *s->missing);
    if (!m) return -ENOMEM;
    s->missing = m;
    s->missing[s->n_missing].lo = lo;
    s->missing[s->n_missing++].hi = hi;
    return 0;
}

/* the gaps below the highest number (a record's or a heartbeat's), less the altered numbers */
static int sum_missing(csum *s) {
    const vchain *c = s->c;
    uint64_t high = c->max_n > c->max_beat_n ? c->max_n : c->max_beat_n, next = 1;
    size_t a = 0;
    int r;
    for (size_t i = 0; i <= c->n_ranges; i++) {
        uint64_t end = i < c->n_ranges ? c->ranges[i].lo - 1 : high; /* the gap next..end */
        for (uint64_t lo = next; lo <= end;) {
            while (a < s->n_altered && s->altered[a] < lo) a++;
            uint64_t hi = a < s->n_altered && s->altered[a] <= end ? s->altered[a] - 1 : end;
            if (hi >= lo && (r = add_missing(s, lo, hi)) < 0) return r;
            lo = hi + 2; /* past the altered one */
            if (hi == end) break;
        }
        if (i < c->n_ranges) next = c->ranges[i].hi + 1;
    }
    return 0;
}

static int sum_chain(const vchain *c, uint64_t at_usec, csum *s) {
    *s = (csum){.c = c};
    for (size_t i = 0; i < c->n_events; i++) {
        const vevent *e = &c->events[i];
        bool inserted = e->kind == V_UNSEALED || (e->kind == V_BAD_MAC && has_valid(c, e->n));
        s->counts[inserted ? V_KINDS : e->kind]++;
        if (e->kind != V_BAD_MAC || inserted || e->n == 0) continue;
        void *a = jb_realloc(s->altered, (s->n_altered + 1) * sizeof *s->altered);
        if (!a) return -ENOMEM;
        s->altered = a;
        s->altered[s->n_altered++] = e->n;
    }
    if (s->n_altered) qsort(s->altered, s->n_altered, sizeof *s->altered, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < s->n_altered; i++)
        if (u == 0 || s->altered[u - 1] != s->altered[i]) s->altered[u++] = s->altered[i];
    s->n_altered = u;
    int r = sum_missing(s);
    if (r < 0) return r;
    s->newest = c->beat_usec > c->newest_record_usec ? c->beat_usec : c->newest_record_usec;
    s->interval = c->has_beat && c->beat_interval ? c->beat_interval : JB_SEAL_HEARTBEAT_SEC_DEFAULT;
    s->stopped = c->has_beat && c->beat_stop && c->beat_n >= c->max_n;
    s->cut = c->any_valid && !s->stopped && at_usec > s->newest && at_usec - s->newest > 2 * s->interval * 1000000u;
    s->ok = c->n_events == 0 && s->n_missing == 0 && !s->cut && c->any_valid;
    return 0;
}

static void csum_done(csum *s) {
    jb_free(s->altered);
    jb_free(s->missing);
}

static const char *fmt_time(uint64_t usec, char buf[JB_RFC3339_LEN + 1]) {
    if (jb_rfc3339_write(usec, buf) < 0) snprintf(buf, JB_RFC3339_LEN + 1, "%" PRIu64, usec);
    return buf;
}

/* ---- text ---- */

/* The text being written, and the first error (a later, shorter append must not hide it). */
typedef struct textw {
    jb_buf *out;
    int error;
} textw;

static void tw(textw *o, const char *fmt, ...) _printf_(2, 3);
static void tw(textw *o, const char *fmt, ...) {
    va_list ap;
    if (o->error < 0) return;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        o->error = -EINVAL;
    } else if ((size_t)n < sizeof small) {
        o->error = jb_buf_append(o->out, small, (size_t)n);
    } else {
        char *big = jb_malloc((size_t)n + 1);
        if (!big) {
            o->error = -ENOMEM;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        o->error = jb_buf_append(o->out, big, (size_t)n);
        jb_free(big);
    }
}

static void text_events(textw *o, const jb_verifier *v, const vchain *c, const vevent *ev, size_t n) {
    size_t shown[V_KINDS + 1] = {0}, more = 0;
    for (size_t i = 0; i < n; i++) {
        const vevent *e = &ev[i];
        size_t k = e->kind == V_UNSEALED || (e->kind == V_BAD_MAC && c && has_valid(c, e->n)) ? V_KINDS : e->kind;
        if (shown[k]++ >= TEXT_MAX_PER_KIND) {
            more++;
            continue;
        }
        tw(o, "  %s:%" PRIu64 ": %s", v->files[e->file], e->line, kind_name(c, e));
        if (c && e->n) tw(o, " record %" PRIu64, e->n);
        if (e->kind == V_UNSEALED) tw(o, "%s", " (an unsealed line in a sealed stream of this host)");
        if (e->kind == V_REORDERED) tw(o, "%s", " (after a higher number)");
        if (e->kind == V_UNKNOWN_KEY)
            tw(o, ": sealed by unknown key %s", e->what);
        else if (e->what)
            tw(o, ": %s", e->what);
        tw(o, "\n");
    }
    if (more) tw(o, "  ... and %zu more lines (see --json)\n", more);
}

static void text_chain(textw *o, const jb_verifier *v, const csum *s) {
    const vchain *c = s->c;
    char t[JB_RFC3339_LEN + 1];
    tw(o, "chain %s/%s host %s stream %s (first line %s:%" PRIu64 "): %s\n", c->key_id, c->id,
       c->any_valid ? c->host : "?", c->any_valid ? c->stream : "?", v->files[c->first_file], c->first_line,
       s->ok ? "verified" : "FAILED");
    if (!c->any_valid) tw(o, "%s", "  no item of this chain verifies\n");
    tw(o,
       "  records %" PRIu64 " (numbers up to %" PRIu64 "), duplicates %" PRIu64 ", heartbeats %" PRIu64
       ", epochs %" PRIu64 "-%" PRIu64 "\n",
       c->records, c->max_n, c->duplicates, c->beats, c->first_epoch, c->last_epoch);
    if (s->n_missing) {
        tw(o, "%s", "  missing:");
        for (size_t i = 0; i < s->n_missing && i < TEXT_MAX_PER_KIND; i++) {
            tw(o, " %" PRIu64, s->missing[i].lo);
            if (s->missing[i].hi != s->missing[i].lo) tw(o, "-%" PRIu64, s->missing[i].hi);
        }
        if (s->n_missing > TEXT_MAX_PER_KIND) tw(o, " ... (%zu ranges)", s->n_missing);
        tw(o, "\n");
    }
    text_events(o, v, c, c->events, c->n_events);
    if (!c->any_valid) return;
    tw(o, "%s", "  tail: ");
    if (c->has_beat)
        tw(o, "last %s %s (record %" PRIu64 ", interval %" PRIu64 " s)", c->beat_stop ? "stop" : "heartbeat",
           fmt_time(c->beat_usec, t), c->beat_n, s->interval);
    else
        tw(o, "%s", "no heartbeat");
    tw(o, "%s", s->stopped ? ", stopped cleanly\n" : s->cut ? ", CUT (nothing newer than " : ", open\n");
    if (!s->stopped && s->cut) tw(o, "%s, %" PRIu64 " s with none)\n", fmt_time(s->newest, t), 2 * s->interval);
}

/* ---- JSON ---- */

static void json_events(jb_json_writer *w, const jb_verifier *v, const vchain *c, const char *kind) {
    jb_json_open(w, kind, '[');
    for (size_t i = 0; i < c->n_events; i++) {
        const vevent *e = &c->events[i];
        if (strcmp(kind_name(c, e), kind) != 0) continue;
        jb_json_open(w, NULL, '{');
        if (e->n) jb_json_uint(w, "n", e->n);
        jb_json_string(w, "file", v->files[e->file]);
        jb_json_uint(w, "line", e->line);
        if (e->kind == V_UNSEALED) jb_json_string(w, "why", "unsealed line in a sealed stream");
        if (e->what) jb_json_string(w, "why", e->what);
        jb_json_close(w, '}');
    }
    jb_json_close(w, ']');
}

static void json_chain(jb_json_writer *w, const jb_verifier *v, const csum *s) {
    static const char *const kinds[] = {"altered", "inserted", "reordered", "fork", "bad-transition"};
    const vchain *c = s->c;
    char t[JB_RFC3339_LEN + 1];
    jb_json_open(w, NULL, '{');
    jb_json_string(w, "key", c->key_id);
    jb_json_string(w, "chain", c->id);
    jb_json_string(w, "host", c->any_valid ? c->host : NULL);
    jb_json_string(w, "stream", c->any_valid ? c->stream : NULL);
    jb_json_string(w, "file", v->files[c->first_file]);
    jb_json_uint(w, "line", c->first_line);
    jb_json_bool(w, "ok", s->ok);
    jb_json_uint(w, "records", c->records);
    jb_json_uint(w, "last", c->max_n);
    jb_json_uint(w, "duplicates", c->duplicates);
    jb_json_uint(w, "heartbeats", c->beats);
    jb_json_uint(w, "first_epoch", c->first_epoch);
    jb_json_uint(w, "last_epoch", c->last_epoch);
    jb_json_open(w, "missing", '[');
    for (size_t i = 0; i < s->n_missing; i++) {
        jb_json_open(w, NULL, '{');
        jb_json_uint(w, "from", s->missing[i].lo);
        jb_json_uint(w, "to", s->missing[i].hi);
        jb_json_close(w, '}');
    }
    jb_json_close(w, ']');
    for (size_t k = 0; k < JB_ELEMENTSOF(kinds); k++) json_events(w, v, c, kinds[k]);
    jb_json_open(w, "tail", '{');
    jb_json_string(w, "heartbeat", c->has_beat ? fmt_time(c->beat_usec, t) : NULL);
    jb_json_uint(w, "heartbeat_record", c->has_beat ? c->beat_n : 0);
    jb_json_uint(w, "interval", s->interval);
    jb_json_string(w, "newest", c->any_valid && s->newest ? fmt_time(s->newest, t) : NULL);
    jb_json_bool(w, "stopped", s->stopped);
    jb_json_bool(w, "cut", s->cut);
    jb_json_close(w, '}');
    jb_json_close(w, '}');
}

static void json_report(jb_json_writer *w, const jb_verifier *v, const csum *sums, uint64_t at_usec, bool ok) {
    char t[JB_RFC3339_LEN + 1];
    jb_json_open(w, NULL, '{');
    jb_json_bool(w, "ok", ok);
    jb_json_string(w, "at", fmt_time(at_usec, t));
    jb_json_uint(w, "lines", v->lines);
    jb_json_uint(w, "unsealed", v->unsealed);
    jb_json_uint(w, "other", v->other);
    jb_json_open(w, "chains", '[');
    for (size_t i = 0; i < v->n_chains; i++) json_chain(w, v, &sums[i]);
    jb_json_close(w, ']');
    jb_json_open(w, "restarts", '[');
    for (size_t i = 0; i < v->n_groups; i++) {
        const vgroup *g = &v->groups[i];
        if (g->n_chains < 2) continue;
        jb_json_open(w, NULL, '{');
        jb_json_string(w, "host", g->host);
        jb_json_string(w, "stream", g->stream);
        jb_json_open(w, "chains", '[');
        for (size_t j = 0; j < g->n_chains; j++) {
            char name[2 * JB_SEAL_ID_LEN + 2];
            const vchain *c = &v->chains[g->chains[j]];
            snprintf(name, sizeof name, "%s/%s", c->key_id, c->id);
            jb_json_string(w, NULL, name);
        }
        jb_json_close(w, ']');
        jb_json_close(w, '}');
    }
    jb_json_close(w, ']');
    jb_json_open(w, "errors", '[');
    for (size_t i = 0; i < v->n_events; i++) {
        const vevent *e = &v->events[i];
        jb_json_open(w, NULL, '{');
        jb_json_string(w, "kind", kind_name(NULL, e));
        jb_json_string(w, "file", v->files[e->file]);
        jb_json_uint(w, "line", e->line);
        jb_json_string(w, e->kind == V_UNKNOWN_KEY ? "key" : "why", e->what);
        jb_json_close(w, '}');
    }
    jb_json_close(w, ']');
    jb_json_close(w, '}');
}

static void text_report(textw *o, const jb_verifier *v, const csum *sums, uint64_t at_usec, bool ok) {
    char t[JB_RFC3339_LEN + 1];
    uint64_t records = 0, dups = 0;
    for (size_t i = 0; i < v->n_chains; i++) {
        text_chain(o, v, &sums[i]);
        records += v->chains[i].records;
        dups += v->chains[i].duplicates;
    }
    for (size_t i = 0; i < v->n_groups; i++) {
        const vgroup *g = &v->groups[i];
        if (g->n_chains < 2) continue;
        tw(o, "restart: host %s stream %s has %zu chains:", g->host, g->stream, g->n_chains);
        for (size_t j = 0; j < g->n_chains; j++)
            tw(o, " %s/%s", v->chains[g->chains[j]].key_id, v->chains[g->chains[j]].id);
        tw(o, "\n");
    }
    if (v->n_chains == 0) tw(o, "%s", "no sealed chain in these files\n");
    if (v->n_events) tw(o, "%s", "lines outside any chain:\n");
    text_events(o, v, NULL, v->events, v->n_events);
    tw(o,
       "%s: %zu chains, %" PRIu64 " records verified, %" PRIu64 " duplicates, %" PRIu64 " lines (%" PRIu64
       " unsealed, %" PRIu64 " of other programs), tails judged at %s\n",
       ok ? "verified" : "FAILED", v->n_chains, records, dups, v->lines, v->unsealed, v->other, fmt_time(at_usec, t));
}

int jb_verifier_report(const jb_verifier *v, uint64_t at_usec, bool json, jb_buf *out, bool *ret_ok) {
    size_t old_len = out->len;
    csum *sums = jb_calloc(v->n_chains ? v->n_chains : 1, sizeof *sums);
    bool ok = v->n_events == 0 && v->n_chains > 0;
    int r = sums ? 0 : -ENOMEM;
    for (size_t i = 0; r == 0 && i < v->n_chains; i++) {
        r = sum_chain(&v->chains[i], at_usec, &sums[i]);
        ok = ok && sums[i].ok;
    }
    if (r == 0 && json) {
        jb_json_writer w = {.out = out};
        json_report(&w, v, sums, at_usec, ok);
        r = w.error < 0 ? w.error : jb_buf_putc(out, '\n');
    } else if (r == 0) {
        textw o = {.out = out};
        text_report(&o, v, sums, at_usec, ok);
        r = o.error;
    }
    for (size_t i = 0; sums && i < v->n_chains; i++) csum_done(&sums[i]);
    jb_free(sums);
    if (r < 0 && out->data) {
        out->len = old_len; /* never half a report */
        out->data[old_len] = 0;
    }
    if (r == 0) *ret_ok = ok;
    return r;
}
