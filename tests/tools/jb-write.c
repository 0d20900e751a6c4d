/* SPDX-License-Identifier: Apache-2.0 */
/* jb-write: writes journal entries shaped like those of Docker's journald log driver, with
 * sd_journal_sendv(), for the live integration tests and the demo.
 *
 * Every generated line carries a unique sequence "PREFIX-SEQ" so a test can check the output
 * entry by entry: application lines end with "seq=PREFIX-SEQ", audit lines carry it as the
 * "seq" key of their JSON. See usage() for the options. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#define DOCKER_PIECE_SIZE 16384u
#define MAX_FIELDS 32
#define MAX_EXTRA 8

static uint64_t n_sent; /* entries sent (see wait_for_journald) */
/* --field NAME=VALUE (Docker's labels= and env= log options) and --docker20 (no SYSLOG_TIMESTAMP,
 * CONTAINER_LOG_EPOCH or CONTAINER_LOG_ORDINAL, as Docker 20.10 writes) */
static const char *extra_fields[MAX_EXTRA];
static size_t n_extra_fields;
static bool docker20;

typedef struct options {
    const char *container;
    const char *image;
    const char *tag;
    const char *prefix;
    const char *component; /* --wrap: the "component" of the JSON wrapper */
    uint64_t count;
    uint64_t seq_start;
    uint64_t audit_every;
    double rate;
    size_t split;
    size_t interleave; /* --interleave N: lines sent N at a time, their pieces interleaved */
    size_t piece_size;
    bool old_partial;
    bool use_stderr;
    bool tty;
    bool wrap;
    bool no_container;
    bool quiet;
} options;

/* A growable string; the tool exits on allocation failure. */
typedef struct str {
    char *p;
    size_t len;
    size_t cap;
} str;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("jb-write: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void str_reserve(str *s, size_t n) {
    if (s->len + n + 1 <= s->cap) return;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->len + n + 1) cap *= 2;
    char *p = realloc(s->p, cap);
    if (!p) die("out of memory");
    s->p = p;
    s->cap = cap;
}

static void str_add(str *s, const char *p, size_t n) {
    str_reserve(s, n);
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = 0;
}

static void str_printf(str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void str_printf(str *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) die("vsnprintf failed");
    str_reserve(s, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(s->p + s->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
}

static void str_reset(str *s) {
    s->len = 0;
    if (s->p) s->p[0] = 0;
}

/* Append p as the body of a JSON string (quotes not included). */
static void str_add_json_escaped(str *s, const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            str_add(s, esc, 2);
        } else if (c < 0x20) {
            str_printf(s, "\\u%04x", c);
        } else {
            str_add(s, (const char *)&p[i], 1);
        }
    }
}

/* 64-bit FNV-1a, to derive stable container ids from names. */
static uint64_t fnv1a(const char *s, uint64_t seed) {
    uint64_t h = 14695981039346656037ull ^ seed;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* 64 lowercase hex digits derived from name (and salt), into out[65]. */
static void hex64_from(const char *name, uint64_t salt, char out[65]) {
    for (unsigned i = 0; i < 4; i++) snprintf(out + 16 * i, 17, "%016" PRIx64, fnv1a(name, salt * 4 + i + 1));
}

static uint64_t now_usec(clockid_t clk) {
    struct timespec ts;
    if (clock_gettime(clk, &ts) < 0) die("clock_gettime: %s", strerror(errno));
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Docker's SYSLOG_TIMESTAMP: Go's time.RFC3339Nano in UTC (trailing zeros of the fraction cut). */
static void rfc3339nano(const struct timespec *ts, char *out, size_t size) {
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    char frac[16] = "";
    if (ts->tv_nsec) {
        snprintf(frac, sizeof frac, ".%09ld", ts->tv_nsec);
        size_t n = strlen(frac);
        while (frac[n - 1] == '0') frac[--n] = 0;
    }
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, frac);
}

/* The time prefix TFE's Rails logger writes: "2018-03-27 21:55:29". */
static void tfe_time(const struct timespec *ts, char *out, size_t size) {
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

typedef struct container {
    const char *name;
    const char *image;
    const char *tag; /* NULL: the short id, as Docker's default tag */
} container;

typedef struct writer {
    uint64_t log_ordinal; /* CONTAINER_LOG_ORDINAL */
    char log_epoch[65];   /* CONTAINER_LOG_EPOCH */
    uint64_t partial_serial;
    bool no_last; /* --no-last: never send the last piece of a split line */
} writer;

typedef struct fields {
    struct iovec iov[MAX_FIELDS];
    char *owned[MAX_FIELDS];
    size_t n;
} fields;

static void fields_add_raw(fields *f, const char *name, const char *value, size_t value_len) {
    if (f->n >= MAX_FIELDS) die("too many fields");
    size_t nl = strlen(name);
    char *p = malloc(nl + 1 + value_len);
    if (!p) die("out of memory");
    memcpy(p, name, nl);
    p[nl] = '=';
    memcpy(p + nl + 1, value, value_len);
    f->owned[f->n] = p;
    f->iov[f->n].iov_base = p;
    f->iov[f->n].iov_len = nl + 1 + value_len;
    f->n++;
}

static void fields_add(fields *f, const char *name, const char *value) {
    fields_add_raw(f, name, value, strlen(value));
}

static void fields_clear(fields *f) {
    for (size_t i = 0; i < f->n; i++) free(f->owned[i]);
    f->n = 0;
}

static void fields_send(fields *f) {
    int r = sd_journal_sendv(f->iov, (int)f->n);
    if (r < 0) die("sd_journal_sendv: %s", strerror(-r));
    n_sent++;
    fields_clear(f);
}

/* The fields Docker's journald driver adds to every entry of container c. */
static void add_docker_fields(writer *w, fields *f, const container *c, bool use_stderr) {
    char id[65];
    hex64_from(c->name, 0, id);
    char short_id[13];
    memcpy(short_id, id, 12);
    short_id[12] = 0;

    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0) die("clock_gettime: %s", strerror(errno));
    char stamp[64];
    rfc3339nano(&ts, stamp, sizeof stamp);
    char ordinal[32];
    snprintf(ordinal, sizeof ordinal, "%" PRIu64, ++w->log_ordinal);

    fields_add(f, "CONTAINER_ID", short_id);
    fields_add(f, "CONTAINER_ID_FULL", id);
    fields_add(f, "CONTAINER_NAME", c->name);
    fields_add(f, "CONTAINER_TAG", c->tag ? c->tag : short_id);
    fields_add(f, "SYSLOG_IDENTIFIER", c->tag ? c->tag : short_id);
    fields_add(f, "IMAGE_NAME", c->image);
    fields_add(f, "PRIORITY", use_stderr ? "3" : "6");
    for (size_t i = 0; i < n_extra_fields; i++) {
        const char *eq = strchr(extra_fields[i], '=');
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - extra_fields[i]), extra_fields[i]);
        fields_add(f, name, eq + 1);
    }
    if (docker20) return;
    fields_add(f, "SYSLOG_TIMESTAMP", stamp);
    fields_add(f, "CONTAINER_LOG_EPOCH", w->log_epoch);
    fields_add(f, "CONTAINER_LOG_ORDINAL", ordinal);
}

static void new_partial_id(writer *w, const container *c, char id[65]) {
    char salt[96];
    snprintf(salt, sizeof salt, "%s/%ld/%" PRIu64, c->name, (long)getpid(), ++w->partial_serial);
    hex64_from(salt, now_usec(CLOCK_REALTIME), id);
}

/* Send the piece of msg that starts at off (ordinal off / piece_size + 1); with --no-last the last
 * piece of a line is not sent. */
static void send_piece(writer *w, const container *c, const char *msg, size_t len, size_t off, size_t piece_size,
                       bool use_stderr, bool old_partial, const char *partial_id) {
    fields f = {.n = 0};
    size_t n = len - off < piece_size ? len - off : piece_size;
    bool last = off + n == len;
    if (last && w->no_last) return;
    char ord[24];
    snprintf(ord, sizeof ord, "%zu", off / piece_size + 1);
    fields_add_raw(&f, "MESSAGE", msg + off, n);
    add_docker_fields(w, &f, c, use_stderr);
    if (!last) fields_add(&f, "CONTAINER_PARTIAL_MESSAGE", "true");
    if (!old_partial) {
        fields_add(&f, "CONTAINER_PARTIAL_ID", partial_id);
        fields_add(&f, "CONTAINER_PARTIAL_ORDINAL", ord);
        fields_add(&f, "CONTAINER_PARTIAL_LAST", last ? "true" : "false");
    }
    fields_send(&f);
}

/* Send one line of container c, split into Docker's pieces when longer than piece_size
 * (piece_size 0: never split). old_partial: only CONTAINER_PARTIAL_MESSAGE, as Docker before
 * 19.03 (no PARTIAL_ID/ORDINAL/LAST). */
static void send_line(writer *w, const container *c, const char *msg, size_t len, bool use_stderr, size_t piece_size,
                      bool old_partial) {
    fields f = {.n = 0};
    if (piece_size == 0 || len <= piece_size) {
        fields_add_raw(&f, "MESSAGE", msg, len);
        add_docker_fields(w, &f, c, use_stderr);
        fields_send(&f);
        return;
    }

    char partial_id[65];
    new_partial_id(w, c, partial_id);
    for (size_t off = 0; off < len; off += piece_size)
        send_piece(w, c, msg, len, off, piece_size, use_stderr, old_partial, partial_id);
}

/* Several lines at once, their pieces interleaved (piece 1 of every line, then piece 2...), each
 * line with its own partial id, as a container writing from several threads would produce. */
static void send_lines_interleaved(writer *w, const container *c, char **msgs, const size_t *lens, size_t n_lines,
                                   bool use_stderr, size_t piece_size, bool old_partial) {
    char(*ids)[65] = calloc(n_lines, sizeof *ids);
    if (!ids) die("out of memory");
    size_t longest = 0;
    for (size_t i = 0; i < n_lines; i++) {
        new_partial_id(w, c, ids[i]);
        if (lens[i] > longest) longest = lens[i];
    }
    for (size_t off = 0; off < longest; off += piece_size)
        for (size_t i = 0; i < n_lines; i++)
            if (off < lens[i]) send_piece(w, c, msgs[i], lens[i], off, piece_size, use_stderr, old_partial, ids[i]);
    free(ids);
}

/* An entry that is not Docker's (a host service), as systemd-cat would write it. */
static void send_plain(const char *identifier, int priority, const char *msg) {
    fields f = {.n = 0};
    char prio[4];
    snprintf(prio, sizeof prio, "%d", priority);
    fields_add(&f, "MESSAGE", msg);
    fields_add(&f, "SYSLOG_IDENTIFIER", identifier);
    fields_add(&f, "PRIORITY", prio);
    fields_send(&f);
}

/* Pad the line in s to exactly len bytes: audit JSON gets a "pad" key, other lines a " pad=" word. */
static void pad_line(str *s, size_t len, bool audit) {
    if (s->len >= len) return;
    if (audit) {
        /* s ends with '}': insert ,"pad":"xxx" before it. */
        const char *head = ",\"pad\":\"";
        size_t overhead = strlen(head) + 1;
        s->len--;
        str_add(s, head, strlen(head));
        size_t want = len > s->len + overhead + 1 ? len - s->len - overhead - 1 : 0;
        str_reserve(s, want + 2);
        memset(s->p + s->len, 'x', want);
        s->len += want;
        str_add(s, "\"}", 2);
    } else {
        str_add(s, " pad=", 5);
        size_t want = len > s->len ? len - s->len : 0;
        str_reserve(s, want);
        memset(s->p + s->len, 'x', want);
        s->len += want;
        s->p[s->len] = 0;
    }
}

/* Build the sequence-numbered line seq into out. */
static void build_line(const options *o, uint64_t seq, str *out) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0) die("clock_gettime: %s", strerror(errno));
    char t[32], stamp[64];
    tfe_time(&ts, t, sizeof t);
    rfc3339nano(&ts, stamp, sizeof stamp);
    bool audit = o->audit_every && seq % o->audit_every == 0;

    str line = {NULL, 0, 0};
    if (audit)
        str_printf(
            &line,
            "%s [INFO] [Audit Log] {\"resource\":\"workspace\",\"action\":\"update\",\"resource_id\":\"ws-%" PRIu64
            "\",\"actor\":\"user\",\"timestamp\":\"%s\",\"actor_ip\":\"10.0.0.1\",\"seq\":\"%s-%" PRIu64 "\"}",
            t, seq, stamp, o->prefix, seq);
    else
        str_printf(&line, "%s [INFO] [Request] GET /api/v2/workspaces/ws-%" PRIu64 " status=200 seq=%s-%" PRIu64, t,
                   seq, o->prefix, seq);
    if (o->split) pad_line(&line, o->split, audit);
    if (o->tty) str_add(&line, "\r", 1);

    str_reset(out);
    if (o->wrap) {
        str_printf(out, "{\"component\":\"%s\",\"log\":\"", o->component);
        str_add_json_escaped(out, line.p, line.len);
        str_add(out, "\"}", 2);
    } else {
        str_add(out, line.p, line.len);
    }
    free(line.p);
}

/* Sleep until the absolute monotonic time t_usec (rate limiting, not synchronisation). */
static void sleep_until(uint64_t t_usec) {
    struct timespec ts = {.tv_sec = (time_t)(t_usec / 1000000u), .tv_nsec = (long)(t_usec % 1000000u) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static void run_sequence(writer *w, const options *o) {
    container c = {o->container, o->image, o->tag};
    str line = {NULL, 0, 0};
    uint64_t start = now_usec(CLOCK_MONOTONIC);
    for (uint64_t i = 0; i < o->count; i++) {
        uint64_t seq = o->seq_start + i;
        if (o->rate > 0) sleep_until(start + (uint64_t)((double)i * 1e6 / o->rate));
        build_line(o, seq, &line);
        if (o->no_container) {
            int prio = o->use_stderr ? 3 : 6;
            send_plain(o->tag ? o->tag : o->prefix, prio, line.p);
        } else if (o->interleave > 1 && o->split) {
            size_t k = 0;
            char **msgs = calloc(o->interleave, sizeof *msgs);
            size_t *lens = calloc(o->interleave, sizeof *lens);
            if (!msgs || !lens) die("out of memory");
            for (;;) {
                msgs[k] = malloc(line.len + 1);
                if (!msgs[k]) die("out of memory");
                memcpy(msgs[k], line.p, line.len + 1);
                lens[k++] = line.len;
                if (k == o->interleave || i + 1 == o->count) break;
                i++;
                build_line(o, o->seq_start + i, &line);
            }
            send_lines_interleaved(w, &c, msgs, lens, k, o->use_stderr, o->piece_size, o->old_partial);
            for (size_t m = 0; m < k; m++) free(msgs[m]);
            free(msgs);
            free(lens);
        } else {
            send_line(w, &c, line.p, line.len, o->use_stderr, o->split ? o->piece_size : 0, o->old_partial);
        }
    }
    free(line.p);
    if (!o->quiet) fprintf(stderr, "jb-write: wrote %" PRIu64 " lines\n", o->count);
}

/* A realistic sample of Terraform Enterprise traffic, for the demo. */
static void run_demo(writer *w) {
    const container atlas = {"ptfe_atlas", "hashicorp/ptfe-atlas:v202103-1", NULL};
    const container nginx = {"ptfe_nginx", "hashicorp/ptfe-nginx:v202103-1", NULL};
    const container tfe = {"terraform-enterprise", "hashicorp/terraform-enterprise:v202309-1", NULL};

    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0) die("clock_gettime: %s", strerror(errno));
    char t[32], stamp[64];
    tfe_time(&ts, t, sizeof t);
    rfc3339nano(&ts, stamp, sizeof stamp);

    str s = {NULL, 0, 0};
#define LINE(c, err, ...)                                                \
    do {                                                                 \
        str_reset(&s);                                                   \
        str_printf(&s, __VA_ARGS__);                                     \
        send_line(w, &(c), s.p, s.len, (err), DOCKER_PIECE_SIZE, false); \
    } while (0)

    LINE(nginx, false, "10.0.0.5 - - [%s] \"GET /app/acme/workspaces HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\"", t);
    LINE(atlas, false,
         "%s [INFO] [ActionController] Started GET \"/api/v2/organizations/acme/workspaces\" for 10.0.0.5", t);
    LINE(atlas, false,
         "%s [INFO] [Audit Log] "
         "{\"resource\":\"oauth_client\",\"action\":\"create\",\"resource_id\":\"oc-sbKy4YXiHPMqpDzp\","
         "\"organization\":\"acme\",\"organization_id\":\"org-Bzh1GjRCRSxVdNN5\",\"actor\":\"alice\","
         "\"timestamp\":\"%s\",\"actor_ip\":\"10.0.0.5\"}",
         t, stamp);
    LINE(atlas, false,
         "%s [INFO] [Audit Log] "
         "{\"resource\":\"workspace\",\"action\":\"update\",\"resource_id\":\"ws-Xk3mPq9aLr2BtYvW\","
         "\"organization\":\"acme\",\"actor\":\"bob\",\"timestamp\":\"%s\",\"actor_ip\":\"10.0.0.7\","
         "\"payload\":{\"name\":\"prod-network\",\"auto_apply\":false,\"terraform_version\":\"0.11.7\"}}",
         t, stamp);
    LINE(atlas, true, "%s [WARN] [Sidekiq] job RunStateWorker retry 1/25: Redis::TimeoutError", t);
    LINE(atlas, false, "%s [INFO] [Audit Log] {\"resource\":\"run\",\"action\":\"apply\",\"resource_id\":\"run-", t);
    LINE(nginx, false,
         "10.0.0.7 - - [%s] \"PATCH /api/v2/workspaces/ws-Xk3mPq9aLr2BtYvW HTTP/1.1\" 200 812 \"-\" \"go-tfe\"", t);

    /* The newer single container: JSON lines with the original line escaped in "log". */
    str inner = {NULL, 0, 0};
    str_printf(
        &inner,
        "%s [INFO] [Audit Log] {\"resource\":\"run\",\"action\":\"queue\",\"resource_id\":\"run-CZcmD7eagjhyX0vN\","
        "\"organization\":\"acme\",\"actor\":\"carol\",\"timestamp\":\"%s\",\"actor_ip\":\"10.0.0.9\"}",
        t, stamp);
    str_reset(&s);
    str_add(&s, "{\"component\":\"atlas\",\"log\":\"", strlen("{\"component\":\"atlas\",\"log\":\""));
    str_add_json_escaped(&s, inner.p, inner.len);
    str_add(&s, "\"}", 2);
    send_line(w, &tfe, s.p, s.len, false, DOCKER_PIECE_SIZE, false);
    LINE(tfe, false,
         "{\"component\":\"nginx\",\"log\":\"10.0.0.9 - - [%s] \\\"GET /_health_check HTTP/1.1\\\" 200 2\"}", t);
    free(inner.p);

    send_plain("cron", 6, "(root) CMD (run-parts /etc/cron.hourly)");
    free(s.p);
#undef LINE
    fprintf(stderr, "jb-write: wrote the demo traffic\n");
}

static void usage(FILE *out) {
    fputs(
        "Usage: jb-write [OPTIONS]\n"
        "Write Docker-style journal entries with sd_journal_sendv().\n"
        "\n"
        "  --container NAME    CONTAINER_NAME (default app); ids are derived from it\n"
        "  --image IMAGE       IMAGE_NAME (default example/app:1.0)\n"
        "  --tag TAG           CONTAINER_TAG / SYSLOG_IDENTIFIER (default: the short id)\n"
        "  --field NAME=VALUE  add this field to every entry, as Docker's labels= and env= do (repeatable)\n"
        "  --docker20          no SYSLOG_TIMESTAMP, CONTAINER_LOG_EPOCH, CONTAINER_LOG_ORDINAL (Docker 20.10)\n"
        "  --count N           lines to write (default 1)\n"
        "  --prefix P          sequence prefix: lines carry P-SEQ (default m)\n"
        "  --seq-start S       first sequence number (default 1)\n"
        "  --audit-every K     every line whose sequence is a multiple of K is an audit line (0: none)\n"
        "  --rate PER_SEC      write at most PER_SEC lines a second (default: as fast as possible)\n"
        "  --stderr            PRIORITY 3 (stderr) instead of 6\n"
        "  --tty               end every line with \\r, as a container with a TTY does\n"
        "  --wrap COMPONENT    wrap lines as the newer terraform-enterprise container does:\n"
        "                      {\"component\":COMPONENT,\"log\":LINE}\n"
        "  --split BYTES       pad every line to BYTES and split it into Docker's pieces\n"
        "  --piece-size BYTES  size of the pieces (default 16384)\n"
        "  --no-last           never send the last piece of a split line (lines that never end)\n"
        "  --interleave N      with --split: send N lines at a time, their pieces interleaved\n"
        "  --old-partial       mark pieces only with CONTAINER_PARTIAL_MESSAGE (Docker < 19.03)\n"
        "  --no-container      write plain entries (no Docker fields; identifier: --tag or the prefix)\n"
        "  --demo              write a sample of Terraform Enterprise traffic and exit\n"
        "  --quiet             no summary on stderr\n"
        "  --help              this text\n",
        out);
}

static uint64_t parse_u64(const char *opt, const char *s) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') {
        fprintf(stderr, "jb-write: invalid value for %s: %s\n", opt, s);
        exit(2);
    }
    return v;
}

/* journald reads the sender's _COMM and _EXE from /proc when it processes an entry, which may be
 * after sd_journal_sendv() returned and after we exited when it is busy: entries without them are
 * not trusted by jbridge (issue 15), as Docker's are (dockerd lives on). So we live until journald
 * has stored every entry we sent: until the journal holds n_sent entries with our _PID (at most
 * 30 s; best effort: a journal we cannot read is not waited for). `journalctl --sync` is no such
 * point in systemd 252: it may return before queued datagrams are processed. */

static void wait_for_journald(void) {
    sd_journal *j = NULL;
    char match[32];
    uint64_t seen = 0, deadline = now_usec(CLOCK_MONOTONIC) + 30000000u;
    if (n_sent == 0 || sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY) < 0) return;
    snprintf(match, sizeof match, "_PID=%ld", (long)getpid());
    if (sd_journal_add_match(j, match, 0) >= 0 && sd_journal_seek_head(j) >= 0)
        while (now_usec(CLOCK_MONOTONIC) < deadline) {
            int r;
            while ((r = sd_journal_next(j)) > 0) seen++;
            if (r < 0 || seen >= n_sent) break;
            (void)sd_journal_wait(j, 100000);
        }
    sd_journal_close(j);
}

int main(int argc, char **argv) {
    enum {
        OPT_CONTAINER = 1000,
        OPT_IMAGE,
        OPT_TAG,
        OPT_COUNT,
        OPT_PREFIX,
        OPT_SEQ_START,
        OPT_AUDIT_EVERY,
        OPT_RATE,
        OPT_STDERR,
        OPT_TTY,
        OPT_WRAP,
        OPT_SPLIT,
        OPT_PIECE_SIZE,
        OPT_OLD_PARTIAL,
        OPT_NO_LAST,
        OPT_INTERLEAVE,
        OPT_NO_CONTAINER,
        OPT_DEMO,
        OPT_QUIET,
        OPT_FIELD,
        OPT_DOCKER20,
        OPT_HELP,
    };
    static const struct option longopts[] = {
        {"container", required_argument, NULL, OPT_CONTAINER},
        {"image", required_argument, NULL, OPT_IMAGE},
        {"tag", required_argument, NULL, OPT_TAG},
        {"count", required_argument, NULL, OPT_COUNT},
        {"prefix", required_argument, NULL, OPT_PREFIX},
        {"seq-start", required_argument, NULL, OPT_SEQ_START},
        {"audit-every", required_argument, NULL, OPT_AUDIT_EVERY},
        {"rate", required_argument, NULL, OPT_RATE},
        {"stderr", no_argument, NULL, OPT_STDERR},
        {"tty", no_argument, NULL, OPT_TTY},
        {"wrap", required_argument, NULL, OPT_WRAP},
        {"split", required_argument, NULL, OPT_SPLIT},
        {"piece-size", required_argument, NULL, OPT_PIECE_SIZE},
        {"old-partial", no_argument, NULL, OPT_OLD_PARTIAL},
        {"no-last", no_argument, NULL, OPT_NO_LAST},
        {"interleave", required_argument, NULL, OPT_INTERLEAVE},
        {"no-container", no_argument, NULL, OPT_NO_CONTAINER},
        {"demo", no_argument, NULL, OPT_DEMO},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"field", required_argument, NULL, OPT_FIELD},
        {"docker20", no_argument, NULL, OPT_DOCKER20},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };

    options o = {
        .container = "app",
        .image = "example/app:1.0",
        .prefix = "m",
        .count = 1,
        .seq_start = 1,
        .piece_size = DOCKER_PIECE_SIZE,
    };
    bool demo = false, no_last = false;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_CONTAINER:
            o.container = optarg;
            break;
        case OPT_FIELD:
            if (!strchr(optarg, '=') || optarg[0] == '=' || n_extra_fields == MAX_EXTRA)
                die("--field wants NAME=VALUE, at most %d times", MAX_EXTRA);
            extra_fields[n_extra_fields++] = optarg;
            break;
        case OPT_DOCKER20:
            docker20 = true;
            break;
        case OPT_IMAGE:
            o.image = optarg;
            break;
        case OPT_TAG:
            o.tag = optarg;
            break;
        case OPT_COUNT:
            o.count = parse_u64("--count", optarg);
            break;
        case OPT_PREFIX:
            o.prefix = optarg;
            break;
        case OPT_SEQ_START:
            o.seq_start = parse_u64("--seq-start", optarg);
            break;
        case OPT_AUDIT_EVERY:
            o.audit_every = parse_u64("--audit-every", optarg);
            break;
        case OPT_RATE:
            o.rate = (double)parse_u64("--rate", optarg);
            break;
        case OPT_STDERR:
            o.use_stderr = true;
            break;
        case OPT_TTY:
            o.tty = true;
            break;
        case OPT_WRAP:
            o.wrap = true;
            o.component = optarg;
            break;
        case OPT_SPLIT:
            o.split = (size_t)parse_u64("--split", optarg);
            break;
        case OPT_PIECE_SIZE:
            o.piece_size = (size_t)parse_u64("--piece-size", optarg);
            if (o.piece_size == 0) {
                fputs("jb-write: --piece-size must be at least 1\n", stderr);
                return 2;
            }
            break;
        case OPT_OLD_PARTIAL:
            o.old_partial = true;
            break;
        case OPT_NO_LAST:
            no_last = true;
            break;
        case OPT_INTERLEAVE:
            o.interleave = (size_t)parse_u64("--interleave", optarg);
            break;
        case OPT_NO_CONTAINER:
            o.no_container = true;
            break;
        case OPT_DEMO:
            demo = true;
            break;
        case OPT_QUIET:
            o.quiet = true;
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "jb-write: unexpected argument: %s\n", argv[optind]);
        return 2;
    }

    writer w = {.log_ordinal = 0, .no_last = no_last};
    char salt[64];
    snprintf(salt, sizeof salt, "%ld/%" PRIu64, (long)getpid(), now_usec(CLOCK_REALTIME));
    hex64_from(salt, 0, w.log_epoch);

    if (demo)
        run_demo(&w);
    else
        run_sequence(&w, &o);
    wait_for_journald();
    return 0;
}
