/* SPDX-License-Identifier: Apache-2.0 */
#include "journal.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "cursor.h"
#include "journal-hosts.h"
#include "journal-source.h"
#include "settings.h"
#include "timestamp.h"

struct jb_journal {
    sd_journal *j;
    jb_buf last_cursor; /* cursor of the last entry returned (or positioned on by seek_tail) */
    bool have_current;  /* the journal is positioned on an entry not yet returned */
    uint64_t invalidations;
    uint64_t lost_positions;
    uint64_t rereads; /* entries read again for a MESSAGE not linked yet (reread_without_message) */

    /* gap detection: see jb_gap in the header */
    bool check_gap; /* compare the next entry read with last_cursor (set by every re-positioning) */
    bool gap_new;   /* gap holds a gap not yet taken */
    jb_gap gap;
    char **matches; /* copies of the journal matches, to look past them when checking a gap */
    size_t n_matches;
    char **extra; /* globs on the names of the fields to keep in jb_entry.extra (issue 17) */
    size_t n_extra;

    /* latency: see jb_journal_wait */
    bool read_since_wait;  /* an entry was returned since the last wait */
    uint64_t active_until; /* CLOCK_MONOTONIC: until then, waits poll every JB_JOURNAL_POLL_USEC */
    char **unreadable;     /* the source's files that could not be opened (journal-source.h) */
    size_t n_unreadable;
    jb_hosts *hosts; /* a directory read per host (journal-hosts.h): every call goes there */
};

int jb_journal_open(const jb_source *src, jb_journal **ret, jb_error *err) {
    jb_journal *j = jb_calloc(1, sizeof *j);
    if (!j) return jb_error_set(err, -ENOMEM, "out of memory");
    int r;
    const char *what;
    if (src->kind == JB_SOURCE_DIRECTORY && src->per_host) {
        r = jb__hosts_open(src, &j->hosts, err);
        if (r < 0) {
            jb_free(j);
            return r;
        }
        *ret = j;
        return 0;
    }
    switch (src->kind) {
    case JB_SOURCE_DIRECTORY:
        what = src->directory;
        r = sd_journal_open_directory(&j->j, src->directory, 0);
        break;
    case JB_SOURCE_FILES: {
        what = src->n_files ? src->files[0] : "(no file)";
        const char **files = jb_calloc(src->n_files + 1, sizeof *files);
        if (!files) {
            jb_free(j);
            return jb_error_set(err, -ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < src->n_files; i++) files[i] = src->files[i];
        r = src->n_files ? sd_journal_open_files(&j->j, files, 0) : -EINVAL;
        jb_free(files);
        break;
    }
    case JB_SOURCE_NAMESPACE:
        what = src->name_space;
        r = sd_journal_open_namespace(&j->j, src->name_space, SD_JOURNAL_LOCAL_ONLY);
        break;
    case JB_SOURCE_SYSTEM:
    default:
        what = "the system journal";
        r = sd_journal_open(&j->j, SD_JOURNAL_LOCAL_ONLY);
        break;
    }
    if (r < 0) {
        jb_free(j);
        return jb_error_set(err, r, "cannot open journal %s: %s", what, strerror(-r));
    }
    /* Fields over 64 KiB would be truncated otherwise. */
    r = sd_journal_set_data_threshold(j->j, 0);
    if (r < 0) {
        sd_journal_close(j->j);
        jb_free(j);
        return jb_error_set(err, r, "cannot set the data threshold: %s", strerror(-r));
    }
    /* sd-journal skips what it cannot open silently (and a missing directory opens): name each such
     * file, and fail when nothing at all could be opened, as journalctl does. */
    r = jb__journal_check_source(j->j, src, &j->unreadable, &j->n_unreadable, err);
    if (r < 0) {
        jb_journal_free(j);
        return r;
    }
    if (src->kind == JB_SOURCE_DIRECTORY) {
        int fd = sd_journal_get_fd(j->j);
        if (fd < 0 && fd != -ENOENT) {
            jb_journal_free(j);
            return jb_error_set(err, fd, "cannot watch journal directory %s: %s", what, strerror(-fd));
        }
    }
    *ret = j;
    return 0;
}

jb_journal *jb_journal_free(jb_journal *j) {
    if (!j) return NULL;
    jb__hosts_free(j->hosts);
    sd_journal_close(j->j);
    jb_buf_done(&j->last_cursor);
    for (size_t i = 0; i < j->n_matches; i++) jb_free(j->matches[i]);
    jb_free(j->matches);
    for (size_t i = 0; i < j->n_extra; i++) jb_free(j->extra[i]);
    jb_free(j->extra);
    for (size_t i = 0; i < j->n_unreadable; i++) jb_free(j->unreadable[i]);
    jb_free(j->unreadable);
    jb_free(j);
    return NULL;
}

int jb_journal_set_extra_fields(jb_journal *j, const char *const *globs, size_t n) {
    if (j->hosts) return jb__hosts_set_extra_fields(j->hosts, globs, n);
    if (n == 0) return 0;
    char **v = jb_calloc(n, sizeof *v);
    if (!v) return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] = jb_strdup(globs[i]))) {
            for (size_t k = 0; k < i; k++) jb_free(v[k]);
            jb_free(v);
            return -ENOMEM;
        }
    for (size_t i = 0; i < j->n_extra; i++) jb_free(j->extra[i]);
    jb_free(j->extra);
    j->extra = v;
    j->n_extra = n;
    return 0;
}

/* A field jbridge does not use otherwise: keep it when a glob names it. */
static int keep_extra(const jb_journal *j, jb_entry *e, const char *name, size_t nl, const char *value, size_t vl) {
    char buf[256];
    if (nl >= sizeof buf) return 0;
    memcpy(buf, name, nl);
    buf[nl] = 0;
    for (size_t i = 0; i < j->n_extra; i++)
        if (fnmatch(j->extra[i], buf, 0) == 0) return jb_entry_add_extra(e, name, nl, value, vl);
    return 0;
}

/* The fields of the current entry into e; keep: also those the extra globs name (a constant at
 * each call, so that the loop without them stays as it was). 0 or -ENOMEM. */
static inline __attribute__((always_inline)) int read_fields(jb_journal *j, jb_entry *e, bool keep) {
    const void *data;
    size_t len;
    sd_journal_restart_data(j->j);
    for (;;) {
        int r = sd_journal_enumerate_data(j->j, &data, &len);
        if (r == 0) break;
        /* A corrupt field (EBADMSG) ends this entry's fields: keep what was read, as journalctl does. */
        if (r < 0) break;
        /* the fields used are told by their first bytes: no split (entry.h); only a field jbridge
         * does not use is split, when extra fields are kept */
        r = jb_entry_set_data(e, data, len);
        if (r < 0) return -ENOMEM;
        if (!keep || r == 0) continue;
        const char *name, *value;
        size_t nl, vl;
        if (jb_field_split(data, len, &name, &nl, &value, &vl) < 0) continue;
        if (keep_extra(j, e, name, nl, value, vl) < 0) return -ENOMEM;
    }
    return 0;
}

/* journald makes a new entry visible (the file's entry array) before it links the entry to its data
 * objects, and sd-journal skips a data object it catches half linked (EBADMSG): a reader at the live
 * end can get an entry without its newest data object, which is its MESSAGE (seen once in a test: a
 * Docker line delivered with its container and no text). An entry without MESSAGE that journald
 * received moments ago is read again a few times (0.1 ms doubling, 6.3 ms in all) before it is taken
 * as it is; older entries are taken at once, so a store of such entries costs nothing. */
#define REREAD_RECENT_USEC (10u * 1000000u)
#define REREAD_TRIES 6

static int read_entry(jb_journal *j, jb_entry *e) {
    return j->n_extra ? read_fields(j, e, true) : read_fields(j, e, false);
}

static int reread_without_message(jb_journal *j, jb_entry *e) {
    uint64_t rt = 0;
    if (sd_journal_get_realtime_usec(j->j, &rt) < 0 || rt + REREAD_RECENT_USEC < jb_now_usec(CLOCK_REALTIME)) return 0;
    int r = 0;
    for (unsigned i = 0; i < REREAD_TRIES && r >= 0 && !e->has_message; i++) {
        struct timespec ts = {0, (long)(100000u << i)};
        nanosleep(&ts, NULL);
        jb_entry_reset(e);
        r = read_entry(j, e);
        j->rereads++;
    }
    return r;
}

int jb_journal_add_match(jb_journal *j, const char *match, jb_error *err) {
    if (j->hosts)
        return jb_match_valid(match)
                   ? jb__hosts_add_match(j->hosts, match, err)
                   : jb_error_set(err, -EINVAL, "invalid match '%s': expected FIELD=VALUE with FIELD in A-Z, 0-9, _",
                                  match);
    if (!jb_match_valid(match))
        return jb_error_set(err, -EINVAL, "invalid match '%s': expected FIELD=VALUE with FIELD in A-Z, 0-9, _", match);
    char **m = jb_realloc(j->matches, (j->n_matches + 1) * sizeof *m);
    if (!m) return jb_error_set(err, -ENOMEM, "out of memory");
    j->matches = m;
    m[j->n_matches] = jb_strdup(match);
    if (!m[j->n_matches]) return jb_error_set(err, -ENOMEM, "out of memory");
    j->n_matches++;
    int r = sd_journal_add_match(j->j, match, 0);
    if (r < 0) return jb_error_set(err, r, "cannot add match '%s': %s", match, strerror(-r));
    return 0;
}

static int remember_cursor(jb_journal *j, jb_error *err) {
    char *c = NULL;
    int r = sd_journal_get_cursor(j->j, &c);
    if (r < 0) return jb_error_set(err, r, "cannot get the journal cursor: %s", strerror(-r));
    jb_buf_reset(&j->last_cursor);
    r = jb_buf_puts(&j->last_cursor, c);
    free(c);
    if (r < 0) return jb_error_set(err, r, "out of memory");
    return 0;
}

/* After a seek to a place (not a cursor): no entry returned yet, nothing to compare for a gap. */
static void forget_position(jb_journal *j) {
    j->have_current = false;
    j->check_gap = false;
    jb_buf_reset(&j->last_cursor);
}

int jb_journal_seek_head(jb_journal *j, jb_error *err) {
    if (j->hosts) return jb__hosts_seek_head(j->hosts, err);
    int r = sd_journal_seek_head(j->j);
    if (r < 0) return jb_error_set(err, r, "cannot seek to the head of the journal: %s", strerror(-r));
    forget_position(j);
    return 0;
}

int jb_journal_seek_tail(jb_journal *j, jb_error *err) {
    if (j->hosts) return jb__hosts_seek_tail(j->hosts, err);
    int r = sd_journal_seek_tail(j->j);
    if (r < 0) return jb_error_set(err, r, "cannot seek to the tail of the journal: %s", strerror(-r));
    forget_position(j);
    /* Step onto the last entry so that the next read returns what comes after it. */
    r = sd_journal_previous(j->j);
    if (r < 0) return jb_error_set(err, r, "cannot seek to the tail of the journal: %s", strerror(-r));
    if (r > 0) return remember_cursor(j, err);
    return 0;
}

int jb_journal_seek_realtime(jb_journal *j, uint64_t usec, jb_error *err) {
    if (j->hosts) return jb__hosts_seek_realtime(j->hosts, usec, err);
    int r = sd_journal_seek_realtime_usec(j->j, usec);
    if (r < 0) return jb_error_set(err, r, "cannot seek to time %" PRIu64 " in the journal: %s", usec, strerror(-r));
    forget_position(j);
    return 0;
}

/* Position after cursor; see the header. Does not touch last_cursor. */
static int seek_after(jb_journal *j, const char *cursor, jb_error *err) {
    j->have_current = false;
    j->check_gap = true;
    int r = sd_journal_seek_cursor(j->j, cursor);
    if (r < 0) return jb_error_set(err, r, "cannot seek to cursor '%s': %s", cursor, strerror(-r));
    r = sd_journal_next(j->j);
    if (r < 0) return jb_error_set(err, r, "cannot read the journal: %s", strerror(-r));
    if (r == 0) return 0; /* nothing at or after the cursor yet */
    r = sd_journal_test_cursor(j->j, cursor);
    if (r < 0) return jb_error_set(err, r, "cannot test cursor '%s': %s", cursor, strerror(-r));
    if (r > 0) return 1;
    /* The cursor's entry is gone: the entry we stand on is the first one after it. */
    j->have_current = true;
    return 0;
}

int jb_journal_seek_cursor(jb_journal *j, const char *cursor, jb_error *err) {
    if (j->hosts) return jb__hosts_seek_cursor(j->hosts, cursor, err);
    int r = seek_after(j, cursor, err);
    if (r < 0) return r;
    jb_buf_reset(&j->last_cursor);
    int q = jb_buf_puts(&j->last_cursor, cursor);
    if (q < 0) return jb_error_set(err, q, "out of memory");
    return r;
}

/* Sequence number of the first entry after cursor that still exists, with no match applied: the
 * matches are taken away for the look and put back, and the reader is put back on the entry of
 * here (the one just read). ret 0 when none with the same seqnum id. Only called with matches. */
static int first_existing_after(jb_journal *j, const char *cursor, const jb_cursor_pos *from, const char *here,
                                uint64_t *ret, jb_error *err) {
    uint64_t found = 0;
    sd_journal_flush_matches(j->j);
    int r = sd_journal_seek_cursor(j->j, cursor);
    if (r >= 0) r = sd_journal_next(j->j);
    if (r > 0 && sd_journal_test_cursor(j->j, cursor) > 0) r = sd_journal_next(j->j);
    if (r > 0) {
        char *c = NULL;
        jb_cursor_pos p;
        if (sd_journal_get_cursor(j->j, &c) >= 0 && jb_cursor_parse(c, &p) && jb_cursor_same_journal(&p, from))
            found = p.seqnum;
        free(c);
    }
    for (size_t i = 0; i < j->n_matches; i++) {
        r = sd_journal_add_match(j->j, j->matches[i], 0);
        if (r < 0) return jb_error_set(err, r, "cannot add match '%s': %s", j->matches[i], strerror(-r));
    }
    /* Stand on the entry just read again, so that the next read returns the one after it. */
    r = sd_journal_seek_cursor(j->j, here);
    if (r < 0) return jb_error_set(err, r, "cannot seek to cursor '%s': %s", here, strerror(-r));
    r = sd_journal_next(j->j);
    if (r < 0) return jb_error_set(err, r, "cannot read the journal: %s", strerror(-r));
    if (r > 0) {
        r = sd_journal_test_cursor(j->j, here);
        if (r < 0) return jb_error_set(err, r, "cannot test cursor '%s': %s", here, strerror(-r));
        if (r == 0) j->have_current = true; /* vacuumed meanwhile: the entry we stand on comes next */
    }
    *ret = found;
    return 0;
}

/* Compare the entry just read (cursor here) with the last one read before a re-positioning
 * (last_cursor) and record the entries between them that no longer exist as a gap. */
static int check_gap(jb_journal *j, const char *here, jb_error *err) {
    jb_cursor_pos from, to;
    if (j->last_cursor.len == 0 || !jb_cursor_parse(j->last_cursor.data, &from) || !jb_cursor_parse(here, &to))
        return 0;
    if (!jb_cursor_same_journal(&from, &to)) return 0;
    if (to.seqnum <= from.seqnum + 1) return 0;
    uint64_t end = to.seqnum; /* first entry after the gap */
    if (j->n_matches > 0) {
        uint64_t f = 0;
        int r = first_existing_after(j, j->last_cursor.data, &from, here, &f, err);
        if (r < 0) return r;
        if (f <= from.seqnum) return 0; /* no entry of this journal after it: cannot tell */
        if (f < end) end = f;
    }
    if (end <= from.seqnum + 1) return 0;
    memcpy(j->gap.seqnum_id, from.seqnum_id, from.seqnum_id_len);
    j->gap.seqnum_id[from.seqnum_id_len] = 0;
    j->gap.first = from.seqnum + 1;
    j->gap.last = end - 1;
    j->gap.count = end - 1 - from.seqnum;
    j->gap.after_usec = from.realtime;
    j->gap.before_usec = to.realtime;
    j->gap_new = true;
    return 0;
}

int jb_journal_next(jb_journal *j, jb_entry *e, jb_error *err) {
    if (j->hosts) return jb__hosts_next(j->hosts, e, err);
    int r;
    if (j->have_current) {
        j->have_current = false;
    } else {
        r = sd_journal_next(j->j);
        if (r < 0) return jb_error_set(err, r, "cannot read the journal: %s", strerror(-r));
        if (r == 0) return 0;
    }

    jb_entry_reset(e);
    r = read_entry(j, e);
    if (r >= 0 && !e->has_message) r = reread_without_message(j, e);
    if (r < 0) return jb_error_set(err, r, "out of memory");

    char *c = NULL;
    r = sd_journal_get_cursor(j->j, &c);
    if (r < 0) return jb_error_set(err, r, "cannot get the journal cursor: %s", strerror(-r));
    size_t cn = strlen(c);
    r = jb_buf_append(&e->cursor, c, cn);
    free(c);
    if (r < 0) return jb_error_set(err, r, "out of memory");

    /* The receive time: sd-journal wrote the entry's realtime into the cursor (cursor.h) */
    uint64_t rt = 0;
    if (!jb_cursor_realtime(e->cursor.data, cn, &rt)) {
        r = sd_journal_get_realtime_usec(j->j, &rt);
        if (r < 0) rt = 0; /* never use an uninitialised time; SYSLOG_TIMESTAMP usually wins anyway */
    }

    if (j->check_gap) { /* the first entry after a re-positioning: rare, off the hot path */
        j->check_gap = false;
        r = check_gap(j, e->cursor.data, err);
        if (r < 0) return r;
    }
    j->last_cursor.len = 0;
    r = jb_buf_append(&j->last_cursor, e->cursor.data, cn);
    if (r < 0) return jb_error_set(err, r, "out of memory");

    e->cursor_hash = jb_cursor_hash(e->cursor.data, cn);
    e->has_cursor_hash = true;
    jb_entry_finish(e, rt);
    j->read_since_wait = true;
    return 1;
}

int jb_journal_wait(jb_journal *j, uint64_t timeout_usec, jb_error *err) {
    if (j->hosts) return jb__hosts_wait(j->hosts, timeout_usec, err);
    /* journald tells readers about new entries through inotify only when its post-change timer
     * fires (every 250 ms in systemd 252), not at each entry: a reader that only waited for that
     * would see a busy journal's entries up to a quarter of a second late. While entries keep
     * coming, look again every JB_JOURNAL_POLL_USEC (sd_journal_next sees appended entries without
     * a notification); an idle journal is waited for as asked, so idling costs no wake-ups. */
    uint64_t now = jb_now_usec(CLOCK_MONOTONIC);
    if (j->read_since_wait) j->active_until = now + JB_JOURNAL_ACTIVE_USEC;
    j->read_since_wait = false;
    if (now < j->active_until && timeout_usec > JB_JOURNAL_POLL_USEC) timeout_usec = JB_JOURNAL_POLL_USEC;
    int r = sd_journal_wait(j->j, timeout_usec);
    if (r == -EINTR) return 0; /* a signal: let the caller look at its flags */
    if (r < 0) return jb_error_set(err, r, "cannot wait for the journal: %s", strerror(-r));
    if (r != SD_JOURNAL_INVALIDATE) return 0;

    /* Files were added or removed (rotation, vacuum): put the reader back right after the last
     * entry it returned, so nothing is read twice or skipped. */
    j->invalidations++;
    if (j->last_cursor.len == 0) return 1;
    r = seek_after(j, j->last_cursor.data, err);
    if (r < 0) return r;
    if (r == 0 && j->have_current) j->lost_positions++;
    return 1;
}

const char *jb_journal_last_cursor(const jb_journal *j) {
    if (j->hosts) return jb__hosts_last_cursor(j->hosts);
    return j->last_cursor.len ? j->last_cursor.data : NULL;
}

size_t jb_journal_n_unreadable(const jb_journal *j) {
    if (j->hosts) return jb__hosts_n_unreadable(j->hosts);
    return j->n_unreadable;
}

const char *jb_journal_unreadable(const jb_journal *j, size_t i) {
    if (j->hosts) return jb__hosts_unreadable(j->hosts, i);
    return i < j->n_unreadable ? j->unreadable[i] : NULL;
}

uint64_t jb_journal_invalidations(const jb_journal *j) {
    if (j->hosts) return jb__hosts_invalidations(j->hosts);
    return j->invalidations;
}

uint64_t jb_journal_rereads(const jb_journal *j) {
    return j->rereads;
}

uint64_t jb_journal_lost_positions(const jb_journal *j) {
    if (j->hosts) return jb__hosts_lost_positions(j->hosts);
    return j->lost_positions;
}

/* usec as RFC 3339, or "?" when unknown (0) or after 9999. */
static const char *format_usec(uint64_t usec, char buf[static JB_RFC3339_LEN + 1]) {
    return usec != 0 && jb_rfc3339_write(usec, buf) == 0 ? buf : "?";
}

void jb_gap_describe(const jb_gap *gap, char *buf, size_t n) {
    char a[JB_RFC3339_LEN + 1], b[JB_RFC3339_LEN + 1];
    snprintf(buf, n,
             "%" PRIu64 " entries vacuumed before they were read: sequence numbers %" PRIu64 "-%" PRIu64
             " of journal %s, received between %s and %s",
             gap->count, gap->first, gap->last, gap->seqnum_id, format_usec(gap->after_usec, a),
             format_usec(gap->before_usec, b));
}

const jb_gap *jb_journal_take_gap(jb_journal *j) {
    if (j->hosts) return jb__hosts_take_gap(j->hosts);
    if (!j->gap_new) return NULL;
    j->gap_new = false;
    return &j->gap;
}

bool jb_journal_per_host(const jb_journal *j) {
    return j->hosts != NULL;
}

size_t jb_journal_hosts_open(const jb_journal *j) {
    return j->hosts ? jb__hosts_n_open(j->hosts) : 0;
}

size_t jb_journal_hosts(const jb_journal *j) {
    return j->hosts ? jb__hosts_n_hosts(j->hosts) : 0;
}
