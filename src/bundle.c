/* SPDX-License-Identifier: Apache-2.0 */
#include "bundle.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json-write.h"
#include "tar.h"
#include "timestamp.h"

typedef struct spool {
    int fd;         /* unlinked temporary file, -1 before the first record */
    uint64_t bytes; /* written so far */
    uint64_t count; /* records */
    uint64_t first_usec, last_usec;
} spool;

typedef struct group {
    char name[72];
    spool s[2]; /* by jb_stream */
} group;

struct jb_bundle {
    jb_bundle_opts o;
    char *tmp_dir;
    group *groups;
    size_t n, cap;
    size_t last; /* the group used last: lines of one container tend to come together */
    uint64_t records, skipped;
    int spool_error; /* the spool files' first write error (negative errno), 0: none */
    char **hosts;    /* distinct HOSTNAMEs seen */
    size_t n_hosts;
    jb_buf line;
};

int jb_bundle_new(const jb_bundle_opts *o, jb_bundle **ret, jb_error *err) {
    jb_bundle *b = jb_calloc(1, sizeof *b);
    if (!b) return jb_error_set(err, -ENOMEM, "out of memory");
    b->o = *o;
    const char *dir = o->tmp_dir ? o->tmp_dir : getenv("TMPDIR");
    b->tmp_dir = jb_strdup(dir && *dir ? dir : "/tmp");
    if (!b->tmp_dir) {
        jb_bundle_free(b);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    *ret = b;
    return 0;
}

jb_bundle *jb_bundle_free(jb_bundle *b) {
    if (!b) return NULL;
    for (size_t i = 0; i < b->n; i++)
        for (int k = 0; k < 2; k++)
            if (b->groups[i].s[k].fd >= 0) close(b->groups[i].s[k].fd);
    for (size_t i = 0; i < b->n_hosts; i++) jb_free(b->hosts[i]);
    jb_free(b->hosts);
    jb_free(b->groups);
    jb_free(b->tmp_dir);
    jb_buf_done(&b->line);
    jb_free(b);
    return NULL;
}

uint64_t jb_bundle_records(const jb_bundle *b) {
    return b->records;
}

int jb_bundle_spool_error(const jb_bundle *b, const char **ret_dir) {
    *ret_dir = b->tmp_dir;
    return b->spool_error;
}

uint64_t jb_bundle_skipped(const jb_bundle *b) {
    return b->skipped;
}

void jb_bundle_dir_name(const jb_record *rec, char *out, size_t size) {
    const char *src = rec->container_name;
    size_t o = 0;
    if (!src || !*src) {
        out[o++] = '_';
        src = rec->identifier && *rec->identifier ? rec->identifier : "unknown";
    }
    for (; *src && o < 64 && o + 1 < size; src++) {
        char c = *src;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
        out[o++] = ok ? c : '_';
    }
    out[o] = 0;
    if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0) out[0] = '_';
}

static int find_group(jb_bundle *b, const char *name, group **ret) {
    if (b->last < b->n && strcmp(b->groups[b->last].name, name) == 0) {
        *ret = &b->groups[b->last];
        return 0;
    }
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->groups[i].name, name) == 0) {
            b->last = i;
            *ret = &b->groups[i];
            return 0;
        }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        group *g = jb_realloc(b->groups, cap * sizeof *g);
        if (!g) return -ENOMEM;
        b->groups = g;
        b->cap = cap;
    }
    group *g = &b->groups[b->n];
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", name);
    g->s[0].fd = g->s[1].fd = -1;
    b->last = b->n++;
    *ret = g;
    return 0;
}

static int note_host(jb_bundle *b, const char *host) {
    if (!host || !*host) return 0;
    for (size_t i = 0; i < b->n_hosts; i++)
        if (strcmp(b->hosts[i], host) == 0) return 0;
    char **h = jb_realloc(b->hosts, (b->n_hosts + 1) * sizeof *h);
    if (!h) return -ENOMEM;
    b->hosts = h;
    if (!(h[b->n_hosts] = jb_strdup(host))) return -ENOMEM;
    b->n_hosts++;
    return 0;
}

int jb_bundle_add(const jb_record *rec, void *userdata) {
    jb_bundle *b = userdata;
    if (rec->time_usec < b->o.since_usec || rec->time_usec > b->o.until_usec) {
        b->skipped++;
        return 0;
    }
    char name[72];
    jb_bundle_dir_name(rec, name, sizeof name);
    group *g;
    int r = find_group(b, name, &g);
    if (r < 0) return r;
    spool *s = &g->s[rec->stream == JB_STREAM_AUDIT ? 1 : 0];
    if (s->fd < 0) {
        s->fd = open(b->tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (s->fd < 0) return b->spool_error = -errno;
    }
    jb_buf_reset(&b->line);
    r = jb_rfc5424_format(rec, &b->o.fmt, &b->line);
    if (r >= 0 && (r = jb_write_all(s->fd, b->line.data, b->line.len)) < 0) b->spool_error = r;
    if (r >= 0) r = note_host(b, rec->hostname);
    if (r < 0) return r;
    s->bytes += b->line.len;
    if (s->count == 0 || rec->time_usec < s->first_usec) s->first_usec = rec->time_usec;
    if (rec->time_usec > s->last_usec) s->last_usec = rec->time_usec;
    s->count++;
    b->records++;
    return 0;
}

/* ---- manifest ---- */

static int cmp_group(const void *a, const void *b) {
    return strcmp(((const group *)a)->name, ((const group *)b)->name);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The path in the archive of the records of group g in stream k. */
static void file_path(const group *g, int k, char path[96]) {
    static const char *const stream_file[2] = {"app.log", "audit.log"};
    snprintf(path, 96, "%s/%s", g->name, stream_file[k]);
}

/* A time as RFC 3339 text, or null when it has none (a year after 9999). */
static void put_time(jb_json_writer *w, const char *key, uint64_t usec) {
    jb_buf t = JB_BUF_INIT;
    int r = jb_format_time(&t, usec);
    if (r == -ENOMEM && w->error == 0) w->error = r;
    jb_json_string(w, key, r >= 0 ? t.data : NULL);
    jb_buf_done(&t);
}

/* "NAME": {"app": N, "audit": N, "files": {STREAM: {path, records, bytes, first, last}}}, with
 * only the streams that have records under "files". */
static void put_group(jb_json_writer *w, const group *g) {
    jb_json_open(w, g->name, '{');
    for (int k = 0; k < 2; k++) jb_json_uint(w, jb_stream_name((jb_stream)k), g->s[k].count);
    jb_json_open(w, "files", '{');
    for (int k = 0; k < 2; k++) {
        const spool *s = &g->s[k];
        char path[96];
        if (s->count == 0) continue;
        file_path(g, k, path);
        jb_json_open(w, jb_stream_name((jb_stream)k), '{');
        jb_json_string(w, "path", path);
        jb_json_uint(w, "records", s->count);
        jb_json_uint(w, "bytes", s->bytes);
        put_time(w, "first", s->first_usec);
        put_time(w, "last", s->last_usec);
        jb_json_close(w, '}');
    }
    jb_json_close(w, '}');
    jb_json_close(w, '}');
}

typedef struct counter {
    const char *key;
    uint64_t value;
} counter;

/* "key": {"KEY": VALUE, ...} */
static void put_counters(jb_json_writer *w, const char *key, const counter *c, size_t n) {
    jb_json_open(w, key, '{');
    for (size_t i = 0; i < n; i++) jb_json_uint(w, c[i].key, c[i].value);
    jb_json_close(w, '}');
}

/* The manifest into out, one member per line, indented by two spaces per level. 0, -ENOMEM, or -EINVAL
 * when a string (host, source, version, a record's host name) is not UTF-8. */
static int manifest(const jb_bundle *b, const jb_bundle_info *info, uint64_t now_usec, jb_buf *out) {
    static const jb_stats zero;
    const jb_stats *st = info->stats ? info->stats : &zero;
    counter records[] = {{"app", 0}, {"audit", 0}};
    for (size_t i = 0; i < b->n; i++)
        for (int k = 0; k < 2; k++) records[k].value += b->groups[i].s[k].count;
    const counter gaps[] = {{"count", st->gaps}, {"entries", st->gap_entries}};
    const counter lines[] = {{"reassembled", st->lines_reassembled},
                             {"incomplete", st->lines_incomplete},
                             {"overflow", st->lines_overflow},
                             {"audit_malformed", st->audit_malformed}};
    const counter entries[] = {{"read", st->entries_read},
                               {"filtered", st->entries_filtered},
                               {"out_of_range", b->skipped},
                               {"untrusted", st->entries_untrusted}};

    jb_json_writer w = {.out = out};
    jb_json_open(&w, NULL, '{');
    jb_json_string(&w, "jbridge_version", jb_str_or_empty(info->version));
    put_time(&w, "created", now_usec);
    jb_json_string(&w, "host", jb_str_or_empty(info->host));
    jb_json_string(&w, "source", jb_str_or_empty(info->source));
    jb_json_open(&w, "range", '{');
    put_time(&w, "since", b->o.since_usec);
    if (b->o.until_usec == JB_BUNDLE_NO_LIMIT)
        jb_json_string(&w, "until", NULL);
    else
        put_time(&w, "until", b->o.until_usec);
    jb_json_close(&w, '}');
    jb_json_open(&w, "hosts", '[');
    for (size_t i = 0; i < b->n_hosts; i++) jb_json_string(&w, NULL, b->hosts[i]);
    jb_json_close(&w, ']');
    put_counters(&w, "records", records, JB_ELEMENTSOF(records));
    jb_json_open(&w, "containers", '{');
    for (size_t i = 0; i < b->n; i++) put_group(&w, &b->groups[i]);
    jb_json_close(&w, '}');
    put_counters(&w, "gaps", gaps, JB_ELEMENTSOF(gaps));
    put_counters(&w, "lines", lines, JB_ELEMENTSOF(lines));
    put_counters(&w, "entries", entries, JB_ELEMENTSOF(entries));
    return jb_json_close(&w, '}');
}

int jb_bundle_write(jb_bundle *b, int fd, const jb_bundle_info *info, jb_error *err) {
    uint64_t now = jb_now_usec(CLOCK_REALTIME);
    static const jb_bundle_info none = {0};
    if (!info) info = &none;

    qsort(b->groups, b->n, sizeof *b->groups, cmp_group);
    b->last = 0;
    qsort(b->hosts, b->n_hosts, sizeof *b->hosts, cmp_str);
    /* The manifest, ending with a newline like any text file. */
    jb_buf text = JB_BUF_INIT;
    int r = manifest(b, info, now, &text);
    if (r >= 0) r = jb_buf_putc(&text, '\n');
    if (r < 0) {
        jb_buf_done(&text);
        close(fd);
        return jb_error_set(err, r, "%s",
                            r == -EINVAL ? "cannot write the manifest: a string in it is not UTF-8" : "out of memory");
    }
    jb_tar *t = NULL;
    r = jb_tar_open(fd, 6, &t);
    if (r < 0) {
        jb_buf_done(&text);
        return jb_error_set(err, r, "cannot start the archive: %s", strerror(-r));
    }
    r = jb_tar_add_data(t, "manifest.json", 0640, now / 1000000u, text.data, text.len);
    jb_buf_done(&text);
    for (size_t i = 0; r >= 0 && i < b->n; i++)
        for (int k = 0; r >= 0 && k < 2; k++) {
            const spool *s = &b->groups[i].s[k];
            if (s->count == 0) continue;
            char path[96];
            file_path(&b->groups[i], k, path);
            r = jb_tar_add_fd(t, path, 0640, s->last_usec / 1000000u, s->fd, s->bytes);
            if (r < 0) {
                jb_tar_free(t);
                return jb_error_set(err, r, "cannot write %s into the archive: %s", path, strerror(-r));
            }
        }
    if (r < 0) {
        jb_tar_free(t);
        return jb_error_set(err, r, "cannot write the archive: %s", strerror(-r));
    }
    r = jb_tar_close(t);
    if (r < 0) return jb_error_set(err, r, "cannot write the archive: %s", strerror(-r));
    return 0;
}
