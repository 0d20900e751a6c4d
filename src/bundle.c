/* SPDX-License-Identifier: Apache-2.0 */
#include "bundle.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tar.h"

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
    char **hosts; /* distinct HOSTNAMEs seen */
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
    jb_buf_free(&b->line);
    jb_free(b);
    return NULL;
}

uint64_t jb_bundle_records(const jb_bundle *b) {
    return b->records;
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

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -errno;
        p += w;
        n -= (size_t)w;
    }
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
        if (s->fd < 0) return -errno;
    }
    jb_buf_reset(&b->line);
    r = jb_rfc5424_format(rec, &b->o.fmt, &b->line);
    if (r >= 0) r = write_all(s->fd, b->line.data, b->line.len);
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

static json_t *time_json(uint64_t usec) {
    jb_buf t = JB_BUF_INIT;
    json_t *v = NULL;
    if (jb_format_time(&t, usec) >= 0 && t.data) v = json_string(t.data);
    jb_buf_free(&t);
    return v ? v : json_null();
}

static int set(json_t *obj, const char *key, json_t *v) {
    return v && json_object_set_new(obj, key, v) == 0 ? 0 : -ENOMEM;
}

static int cmp_group(const void *a, const void *b) {
    return strcmp(((const group *)a)->name, ((const group *)b)->name);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *const stream_file[2] = {"app.log", "audit.log"};

static json_t *manifest(const jb_bundle *b, const jb_bundle_info *info, uint64_t now_usec) {
    json_t *m = json_object(), *range = json_object(), *counts = json_object(), *conts = json_object(),
           *hosts = json_array(), *gaps = json_object(), *lines = json_object(), *entries = json_object();
    int r = m && range && counts && conts && hosts && gaps && lines && entries ? 0 : -ENOMEM;
    const jb_stats *st = info->stats;
    static const jb_stats zero;
    if (!st) st = &zero;
    uint64_t n_stream[2] = {0, 0};

    if (r >= 0) r = set(m, "jbridge_version", json_string(info->version ? info->version : ""));
    if (r >= 0) r = set(m, "created", time_json(now_usec));
    if (r >= 0) r = set(m, "host", json_string(info->host ? info->host : ""));
    if (r >= 0) r = set(m, "source", json_string(info->source ? info->source : ""));
    if (r >= 0) r = set(range, "since", time_json(b->o.since_usec));
    if (r >= 0)
        r = set(range, "until", b->o.until_usec == JB_BUNDLE_NO_LIMIT ? json_null() : time_json(b->o.until_usec));
    for (size_t i = 0; r >= 0 && i < b->n_hosts; i++)
        r = json_array_append_new(hosts, json_string(b->hosts[i])) == 0 ? 0 : -ENOMEM;
    for (size_t i = 0; r >= 0 && i < b->n; i++) {
        const group *g = &b->groups[i];
        json_t *c = json_object(), *files = json_object();
        r = c && files ? 0 : -ENOMEM;
        for (int k = 0; r >= 0 && k < 2; k++) {
            const char *sname = jb_stream_name((jb_stream)k);
            n_stream[k] += g->s[k].count;
            r = set(c, sname, json_integer((json_int_t)g->s[k].count));
            if (r >= 0 && g->s[k].count > 0) {
                char path[96];
                snprintf(path, sizeof path, "%s/%s", g->name, stream_file[k]);
                json_t *f = json_object();
                r = f ? 0 : -ENOMEM;
                if (r >= 0) r = set(f, "path", json_string(path));
                if (r >= 0) r = set(f, "records", json_integer((json_int_t)g->s[k].count));
                if (r >= 0) r = set(f, "bytes", json_integer((json_int_t)g->s[k].bytes));
                if (r >= 0) r = set(f, "first", time_json(g->s[k].first_usec));
                if (r >= 0) r = set(f, "last", time_json(g->s[k].last_usec));
                if (r >= 0)
                    r = set(files, sname, f);
                else
                    json_decref(f);
            }
        }
        if (r >= 0)
            r = set(c, "files", files);
        else
            json_decref(files);
        if (r >= 0)
            r = set(conts, g->name, c);
        else
            json_decref(c);
    }
    if (r >= 0) r = set(counts, "app", json_integer((json_int_t)n_stream[0]));
    if (r >= 0) r = set(counts, "audit", json_integer((json_int_t)n_stream[1]));
    if (r >= 0) r = set(gaps, "count", json_integer((json_int_t)st->gaps));
    if (r >= 0) r = set(gaps, "entries", json_integer((json_int_t)st->gap_entries));
    if (r >= 0) r = set(lines, "reassembled", json_integer((json_int_t)st->lines_reassembled));
    if (r >= 0) r = set(lines, "incomplete", json_integer((json_int_t)st->lines_incomplete));
    if (r >= 0) r = set(lines, "overflow", json_integer((json_int_t)st->lines_overflow));
    if (r >= 0) r = set(lines, "audit_malformed", json_integer((json_int_t)st->audit_malformed));
    if (r >= 0) r = set(entries, "read", json_integer((json_int_t)st->entries_read));
    if (r >= 0) r = set(entries, "filtered", json_integer((json_int_t)st->entries_filtered));
    if (r >= 0) r = set(entries, "out_of_range", json_integer((json_int_t)b->skipped));
    if (r >= 0) {
        r = set(m, "range", range);
        range = NULL;
    }
    if (r >= 0) {
        r = set(m, "hosts", hosts);
        hosts = NULL;
    }
    if (r >= 0) {
        r = set(m, "records", counts);
        counts = NULL;
    }
    if (r >= 0) {
        r = set(m, "containers", conts);
        conts = NULL;
    }
    if (r >= 0) {
        r = set(m, "gaps", gaps);
        gaps = NULL;
    }
    if (r >= 0) {
        r = set(m, "lines", lines);
        lines = NULL;
    }
    if (r >= 0) {
        r = set(m, "entries", entries);
        entries = NULL;
    }
    json_decref(range);
    json_decref(hosts);
    json_decref(counts);
    json_decref(conts);
    json_decref(gaps);
    json_decref(lines);
    json_decref(entries);
    if (r < 0) {
        json_decref(m);
        return NULL;
    }
    return m;
}

int jb_bundle_write(jb_bundle *b, int fd, const jb_bundle_info *info, jb_error *err) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    static const jb_bundle_info none = {0};
    if (!info) info = &none;

    qsort(b->groups, b->n, sizeof *b->groups, cmp_group);
    b->last = 0;
    qsort(b->hosts, b->n_hosts, sizeof *b->hosts, cmp_str);
    /* The manifest, ending with a newline like any text file. */
    json_t *m = manifest(b, info, now);
    size_t tl = m ? json_dumpb(m, NULL, 0, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : 0;
    char *text = tl ? jb_malloc(tl + 1) : NULL;
    if (text && json_dumpb(m, text, tl, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != tl) text = (jb_free(text), NULL);
    json_decref(m);
    if (!text) {
        close(fd);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    text[tl++] = '\n';
    jb_tar *t = NULL;
    int r = jb_tar_open(fd, 6, &t);
    if (r < 0) {
        jb_free(text);
        return jb_error_set(err, r, "cannot start the archive: %s", strerror(-r));
    }
    r = jb_tar_add_data(t, "manifest.json", 0640, (uint64_t)ts.tv_sec, text, tl);
    jb_free(text);
    for (size_t i = 0; r >= 0 && i < b->n; i++)
        for (int k = 0; r >= 0 && k < 2; k++) {
            const spool *s = &b->groups[i].s[k];
            if (s->count == 0) continue;
            char path[96];
            snprintf(path, sizeof path, "%s/%s", b->groups[i].name, stream_file[k]);
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
