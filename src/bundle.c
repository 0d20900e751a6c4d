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

/* Spooling (issue 17, defect 7): one unlinked temporary file for all the records, whatever the
 * number of containers. Each file of the archive gathers its lines in memory (up to SPOOL_CHUNK
 * bytes) and appends them to the spool file as one extent; when all files together hold more than
 * SPOOL_MEMORY bytes, every one is written out. So the bundle holds one open file and bounded
 * memory besides the extents (about one per SPOOL_CHUNK bytes of a file, or per run of records
 * when containers interleave). */
#define SPOOL_CHUNK (16u * 1024u)
#define SPOOL_MEMORY (4u * 1024u * 1024u)

typedef struct spool {
    jb_buf pending;     /* lines not yet in the spool file */
    jb_tar_extent *ext; /* where the lines written out are, in order */
    size_t n_ext, cap_ext;
    uint64_t bytes; /* written so far, pending included */
    uint64_t count; /* records */
    uint64_t first_usec, last_usec;
} spool;

typedef struct group {
    char *key;     /* the kind ('c': container, 'i': identifier) and the name, NUL-terminated */
    char name[72]; /* the directory in the archive (jb_bundle_dir_name) */
    spool s[2];    /* by jb_stream */
} group;

struct jb_bundle {
    jb_bundle_opts o;
    char *tmp_dir;
    int fd;           /* the spool file, -1 before the first record */
    uint64_t fd_size; /* bytes written to it */
    uint64_t pending; /* bytes held in memory by all spools */
    group *groups;
    size_t n, cap;
    size_t *index;    /* open addressing on the key's hash: group number + 1, 0 for a free slot */
    size_t index_cap; /* a power of two, at least twice n */
    size_t last;      /* the group used last: lines of one container tend to come together */
    uint64_t records, skipped;
    int spool_error; /* the spool files' first write error (negative errno), 0: none */
    char **hosts;    /* distinct HOSTNAMEs seen */
    size_t n_hosts;
    jb_buf line;
    jb_buf key;
};

int jb_bundle_new(const jb_bundle_opts *o, jb_bundle **ret, jb_error *err) {
    jb_bundle *b = jb_calloc(1, sizeof *b);
    if (!b) return jb_error_set(err, -ENOMEM, "out of memory");
    b->o = *o;
    b->fd = -1;
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
    if (b->fd >= 0) close(b->fd);
    for (size_t i = 0; i < b->n; i++) {
        jb_free(b->groups[i].key);
        for (int k = 0; k < 2; k++) {
            jb_buf_done(&b->groups[i].s[k].pending);
            jb_free(b->groups[i].s[k].ext);
        }
    }
    for (size_t i = 0; i < b->n_hosts; i++) jb_free(b->hosts[i]);
    jb_free(b->hosts);
    jb_free(b->groups);
    jb_free(b->index);
    jb_free(b->tmp_dir);
    jb_buf_done(&b->line);
    jb_buf_done(&b->key);
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

static bool safe_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

/* A name that goes into the archive as it is: safe characters only, 1 to max bytes. */
static bool safe_name(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n < 1 || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if (!safe_char(s[i])) return false;
    return true;
}

void jb_bundle_dir_name(const jb_record *rec, char *out, size_t size) {
    bool container = rec->container_name && *rec->container_name;
    const char *src = container ? rec->container_name : jb_str_or_empty(rec->identifier);
    size_t o = 0;
    if (size < 66) {
        if (size) out[0] = 0;
        return;
    }
    if (container ? safe_name(src, 64) && src[0] != '_' && strcmp(src, ".") != 0 && strcmp(src, "..") != 0 &&
                        strcmp(src, "manifest.json") != 0
                  : safe_name(src, 63) && strcmp(src, "unknown") != 0) {
        snprintf(out, size, "%s%s", container ? "" : "_", src);
        return;
    }
    if (!container && !*src) {
        snprintf(out, size, "_unknown");
        return;
    }
    /* Encoded: the name made safe and cut, '~' (never in a name taken as it is) and the hash of
     * the kind and the whole name: two names never share a directory; the manifest maps it back. */
    if (!container) out[o++] = '_';
    for (; *src && o < 47; src++) out[o++] = safe_char(*src) ? *src : '_';
    const char *name = container ? rec->container_name : rec->identifier;
    uint64_t h = jb_hash64_update(jb_hash64(container ? "c" : "i", 1), name, strlen(name));
    snprintf(out + o, size - o, "~%016llx", (unsigned long long)h);
}

/* The group key of rec into b->key: kind and name. */
static int group_key(jb_bundle *b, const jb_record *rec) {
    bool container = rec->container_name && *rec->container_name;
    const char *name = container ? rec->container_name : jb_str_or_empty(rec->identifier);
    jb_buf_reset(&b->key);
    int r = jb_buf_putc(&b->key, container ? 'c' : 'i');
    return r < 0 ? r : jb_buf_puts(&b->key, name);
}

/* The index slot of key (found, or the free slot where it goes). */
static size_t *index_slot(const jb_bundle *b, const char *key) {
    size_t mask = b->index_cap - 1;
    for (size_t i = jb_hash64(key, strlen(key)) & mask;; i = (i + 1) & mask) {
        size_t *slot = &b->index[i];
        if (*slot == 0 || strcmp(b->groups[*slot - 1].key, key) == 0) return slot;
    }
}

static int index_grow(jb_bundle *b) {
    size_t cap = b->index_cap ? b->index_cap * 2 : 64;
    size_t *old = b->index, old_cap = b->index_cap;
    b->index = jb_calloc(cap, sizeof *b->index);
    if (!b->index) {
        b->index = old;
        return -ENOMEM;
    }
    b->index_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) *index_slot(b, b->groups[old[i] - 1].key) = old[i];
    jb_free(old);
    return 0;
}

static int find_group(jb_bundle *b, const jb_record *rec, group **ret) {
    int r = group_key(b, rec);
    if (r < 0) return r;
    if (b->last < b->n && strcmp(b->groups[b->last].key, b->key.data) == 0) {
        *ret = &b->groups[b->last];
        return 0;
    }
    if ((b->n + 1) * 2 > b->index_cap && (r = index_grow(b)) < 0) return r;
    size_t *slot = index_slot(b, b->key.data);
    if (*slot) {
        b->last = *slot - 1;
        *ret = &b->groups[b->last];
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
    if (!(g->key = jb_strndup(b->key.data, b->key.len))) return -ENOMEM;
    jb_bundle_dir_name(rec, g->name, sizeof g->name);
    b->last = b->n++;
    *slot = b->n;
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

/* Write s's pending lines to the end of the spool file as one extent (joined to the last one when
 * it ends there). */
static int spool_flush(jb_bundle *b, spool *s) {
    if (s->pending.len == 0) return 0;
    if (b->fd < 0) {
        b->fd = open(b->tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (b->fd < 0) return b->spool_error = -errno;
    }
    jb_tar_extent *last = s->n_ext ? &s->ext[s->n_ext - 1] : NULL;
    if (!last || last->off + last->len != b->fd_size) {
        if (s->n_ext == s->cap_ext) {
            size_t cap = s->cap_ext ? s->cap_ext * 2 : 4;
            jb_tar_extent *e = jb_realloc(s->ext, cap * sizeof *e);
            if (!e) return -ENOMEM;
            s->ext = e;
            s->cap_ext = cap;
        }
        last = &s->ext[s->n_ext++];
        *last = (jb_tar_extent){b->fd_size, 0};
    }
    int r = jb_write_all(b->fd, s->pending.data, s->pending.len);
    if (r < 0) return b->spool_error = r;
    last->len += s->pending.len;
    b->fd_size += s->pending.len;
    b->pending -= s->pending.len;
    jb_buf_reset(&s->pending);
    return 0;
}

static int flush_all(jb_bundle *b) {
    for (size_t i = 0; i < b->n; i++)
        for (int k = 0; k < 2; k++) {
            int r = spool_flush(b, &b->groups[i].s[k]);
            if (r < 0) return r;
        }
    return 0;
}

int jb_bundle_add(const jb_record *rec, void *userdata) {
    jb_bundle *b = userdata;
    if (rec->time_usec < b->o.since_usec || rec->time_usec > b->o.until_usec) {
        b->skipped++;
        return 0;
    }
    group *g;
    int r = find_group(b, rec, &g);
    if (r < 0) return r;
    spool *s = &g->s[rec->stream == JB_STREAM_AUDIT ? 1 : 0];
    jb_buf_reset(&b->line);
    r = jb_rfc5424_format(rec, &b->o.fmt, &b->line);
    if (r >= 0) r = jb_buf_append(&s->pending, b->line.data, b->line.len);
    if (r >= 0) r = note_host(b, rec->hostname);
    if (r < 0) return r;
    b->pending += b->line.len;
    s->bytes += b->line.len;
    if (s->count == 0 || rec->time_usec < s->first_usec) s->first_usec = rec->time_usec;
    if (rec->time_usec > s->last_usec) s->last_usec = rec->time_usec;
    s->count++;
    b->records++;
    /* the record counts as spooled: a failure below is the file's, and the caller stops anyway */
    if (s->pending.len >= SPOOL_CHUNK && (r = spool_flush(b, s)) < 0) return r;
    if (b->pending > SPOOL_MEMORY && (r = flush_all(b)) < 0) return r;
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
    /* the name the directory stands for (issue 17: names are encoded to be unique) */
    jb_json_string(w, g->key[0] == 'c' ? "name" : "identifier", g->key + 1);
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

/* Encoded names differ unless two names' hashes meet (never seen, but possible): the groups
 * sorted by directory, a directory that follows an equal one gets ".N" (a suffix no encoded or
 * plain name can have after its hash, so the result is unique). */
static void unique_names(jb_bundle *b) {
    char prev[sizeof b->groups[0].name] = "";
    size_t k = 2;
    for (size_t i = 0; i < b->n; i++) {
        group *g = &b->groups[i];
        if (i > 0 && strcmp(g->name, prev) == 0) {
            size_t len = strlen(g->name);
            snprintf(g->name + len, sizeof g->name - len, ".%zu", k++);
        } else {
            memcpy(prev, g->name, sizeof prev);
            k = 2;
        }
    }
}

/* The groups moved (sorted): index them again. */
static void index_rebuild(jb_bundle *b) {
    if (!b->index) return;
    memset(b->index, 0, b->index_cap * sizeof *b->index);
    for (size_t i = 0; i < b->n; i++) *index_slot(b, b->groups[i].key) = i + 1;
}

int jb_bundle_write(jb_bundle *b, int fd, const jb_bundle_info *info, jb_error *err) {
    uint64_t now = jb_now_usec(CLOCK_REALTIME);
    static const jb_bundle_info none = {0};
    if (!info) info = &none;

    int r = flush_all(b);
    if (r < 0) {
        close(fd);
        return jb_error_set(err, r, "cannot write the spool file: %s", strerror(-r));
    }
    qsort(b->groups, b->n, sizeof *b->groups, cmp_group);
    unique_names(b);
    index_rebuild(b);
    b->last = 0;
    qsort(b->hosts, b->n_hosts, sizeof *b->hosts, cmp_str);
    /* The manifest, ending with a newline like any text file. */
    jb_buf text = JB_BUF_INIT;
    r = manifest(b, info, now, &text);
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
            r = jb_tar_add_extents(t, path, 0640, s->last_usec / 1000000u, b->fd, s->ext, s->n_ext);
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
