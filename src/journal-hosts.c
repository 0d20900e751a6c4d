/* SPDX-License-Identifier: Apache-2.0 */
#include "journal-hosts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "alloc.h"
#include "hostpos.h"
#include "timestamp.h"

typedef enum start_kind { START_HEAD, START_TAIL, START_REALTIME } start_kind;

typedef struct host {
    char *name;   /* the group's key: the file names before '@' or ".journal" */
    char **files; /* its journal files, full paths */
    size_t n_files;
    jb_journal *jr;   /* open, or NULL */
    jb_buf cursor;    /* while closed: the last entry read, or the cursor sought ("" none) */
    start_kind start; /* where reading starts when cursor is empty */
    uint64_t usec;    /* ... for START_REALTIME */
    bool dirty;       /* may have entries not read yet */
    bool rescan;      /* its files changed: list them again */
    bool failed;      /* could not be opened: tried again when its files change or grow */
    bool reported;    /* named in unreadable already (once per host) */
    bool foreign;     /* cursor is another journal's (a state of the directory read as one) */
    uint64_t used;    /* when it was last read (a tick) */
} host;

struct jb_hosts {
    char *dir;
    int ino;  /* inotify on the directory */
    host **h; /* in the order they were found: the entry's host_index - 1 */
    size_t n, cap;
    uint32_t *index; /* open addressing on the name: index + 1, 0 empty */
    size_t index_cap;
    size_t cur;        /* the host whose turn it is */
    size_t left;       /* entries left in its quantum */
    size_t extra_left; /* ... and how many more to end a split line (JB_HOSTS_PIECES_MORE) */
    size_t n_open;
    uint64_t tick;
    bool rescan_all;
    char **matches;
    size_t n_matches;
    char **extra;
    size_t n_extra;
    jb_buf composite; /* jb__hosts_last_cursor() */
    jb_gap gap;
    bool gap_new;
    uint64_t invalidations;
    uint64_t lost_positions; /* reopenings that found the host's last entry gone */
    bool read_since_wait;    /* latency, as jb_journal_wait(): see there */
    uint64_t active_until;   /* CLOCK_MONOTONIC */
    char **unreadable;
    size_t n_unreadable;
};

static bool has_suffix(const char *s, size_t n, const char *suffix, size_t k) {
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* The host of a journal file name into key (NAME_MAX + 1 bytes): false when it is none. */
static bool host_key(const char *name, char *key) {
    size_t n = strlen(name), k;
    if (has_suffix(name, n, ".journal", 8))
        k = n - 8;
    else if (has_suffix(name, n, ".journal~", 9))
        k = n - 9;
    else
        return false;
    const char *at = memchr(name, '@', k);
    if (at) k = (size_t)(at - name);
    if (k == 0 || k > NAME_MAX) return false;
    memcpy(key, name, k);
    key[k] = 0;
    return true;
}

static size_t slot_of(const char *name, size_t cap) {
    return (size_t)jb_hash64(name, strlen(name)) & (cap - 1);
}

static ssize_t find_host(const jb_hosts *h, const char *name) {
    if (h->index_cap == 0) return -1;
    for (size_t s = slot_of(name, h->index_cap);; s = (s + 1) & (h->index_cap - 1)) {
        uint32_t v = h->index[s];
        if (v == 0) return -1;
        if (strcmp(h->h[v - 1]->name, name) == 0) return (ssize_t)v - 1;
    }
}

static int index_rebuild(jb_hosts *h, size_t cap) {
    uint32_t *v = jb_calloc(cap, sizeof *v);
    if (!v) return -ENOMEM;
    for (size_t i = 0; i < h->n; i++) {
        size_t s = slot_of(h->h[i]->name, cap);
        while (v[s]) s = (s + 1) & (cap - 1);
        v[s] = (uint32_t)i + 1;
    }
    jb_free(h->index);
    h->index = v;
    h->index_cap = cap;
    return 0;
}

static ssize_t add_host(jb_hosts *h, const char *name) {
    if (h->n >= UINT32_MAX - 1) return -ENOSPC;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        host **v = jb_realloc(h->h, cap * sizeof *v);
        if (!v) return -ENOMEM;
        h->h = v;
        h->cap = cap;
    }
    host *x = jb_calloc(1, sizeof *x);
    if (!x || !(x->name = jb_strdup(name))) {
        jb_free(x);
        return -ENOMEM;
    }
    x->dirty = x->rescan = true;
    h->h[h->n++] = x;
    int r = 0;
    if (h->n * 2 > h->index_cap) r = index_rebuild(h, h->index_cap ? h->index_cap * 2 : 128);
    if (r == 0) {
        size_t s = slot_of(name, h->index_cap);
        while (h->index[s]) s = (s + 1) & (h->index_cap - 1);
        h->index[s] = (uint32_t)h->n;
    }
    if (r < 0) { /* forget it again: the index would not find it */
        h->n--;
        jb_free(x->name);
        jb_free(x);
        return r;
    }
    return (ssize_t)h->n - 1;
}

static ssize_t find_or_add(jb_hosts *h, const char *name) {
    ssize_t i = find_host(h, name);
    return i >= 0 ? i : add_host(h, name);
}

static void free_files(host *x) {
    for (size_t i = 0; i < x->n_files; i++) jb_free(x->files[i]);
    jb_free(x->files);
    x->files = NULL;
    x->n_files = 0;
}

static int add_file(host *x, const char *dir, const char *name) {
    char **v = jb_realloc(x->files, (x->n_files + 1) * sizeof *v);
    if (!v) return -ENOMEM;
    x->files = v;
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = jb_malloc(n);
    if (!p) return -ENOMEM;
    snprintf(p, n, "%s/%s", dir, name);
    v[x->n_files++] = p;
    return 0;
}

static int add_unreadable(jb_hosts *h, const char *what) {
    char **v = jb_realloc(h->unreadable, (h->n_unreadable + 1) * sizeof *v);
    if (!v) return -ENOMEM;
    h->unreadable = v;
    if (!(v[h->n_unreadable] = jb_strdup(what))) return -ENOMEM;
    h->n_unreadable++;
    return 0;
}

/* Close x's journal, keeping its position. */
static int close_host(jb_hosts *h, host *x) {
    if (!x->jr) return 0;
    const char *c = jb_journal_last_cursor(x->jr);
    int r = 0;
    if (c) {
        jb_buf_reset(&x->cursor);
        r = jb_buf_puts(&x->cursor, c);
    }
    x->jr = jb_journal_free(x->jr);
    h->n_open--;
    return r < 0 ? r : 0;
}

/* Close x's journal and forget its position (a seek follows). */
static void drop_host(jb_hosts *h, host *x, start_kind start, uint64_t usec) {
    if (x->jr) {
        x->jr = jb_journal_free(x->jr);
        h->n_open--;
    }
    jb_buf_reset(&x->cursor);
    x->foreign = false;
    x->start = start;
    x->usec = usec;
    x->dirty = true;
}

/* Make room for one more open journal: close the least recently used, one with nothing new first. */
static int evict_one(jb_hosts *h) {
    host *best = NULL;
    for (size_t i = 0; i < h->n; i++) {
        host *x = h->h[i];
        if (!x->jr) continue;
        if (!best || (best->dirty && !x->dirty) || (best->dirty == x->dirty && x->used < best->used)) best = x;
    }
    return best ? close_host(h, best) : 0;
}

/* Position x's journal just opened. */
static int position_host(jb_hosts *h, host *x, jb_error *err) {
    int r = 0;
    for (size_t i = 0; r >= 0 && i < h->n_matches; i++) r = jb_journal_add_match(x->jr, h->matches[i], err);
    if (r >= 0 && jb_journal_set_extra_fields(x->jr, (const char *const *)h->extra, h->n_extra) < 0)
        r = jb_error_set(err, -ENOMEM, "out of memory");
    if (r < 0) return r;
    if (x->cursor.len > 0) {
        r = jb_journal_seek_cursor(x->jr, x->cursor.data, err);
        if (r == 0 && !x->foreign) h->lost_positions++; /* its entry is gone: vacuumed (the gap is reported) */
        x->foreign = false;
        return r;
    }
    switch (x->start) {
    case START_TAIL:
        r = jb_journal_seek_tail(x->jr, err);
        x->start = START_HEAD; /* once the tail was taken, a reopening goes on after it */
        return r;
    case START_REALTIME:
        return jb_journal_seek_realtime(x->jr, x->usec, err);
    case START_HEAD:
    default:
        return jb_journal_seek_head(x->jr, err);
    }
}

/* Open x's journal (when closed) at its position. 1: open; 0: x has nothing to read (no file, or
 * none could be opened: named in unreadable); negative errno. */
static int open_host(jb_hosts *h, host *x, jb_error *err) {
    x->used = ++h->tick;
    if (x->jr) return 1;
    if (x->n_files == 0 || x->failed) return 0;
    while (h->n_open >= JB_HOSTS_MAX_OPEN) {
        int r = evict_one(h);
        if (r < 0) return jb_error_set(err, r, "out of memory");
    }
    jb_source src = {.kind = JB_SOURCE_FILES, .files = (const char *const *)x->files, .n_files = x->n_files};
    jb_error e = {0};
    int r = jb_journal_open(&src, &x->jr, &e);
    if (r == -ENOMEM) return jb_error_set(err, r, "out of memory");
    if (r < 0) { /* e.g. a file journal-remote is still writing its header into: tried again */
        x->failed = true;
        if (x->reported) return 0;
        x->reported = true;
        return add_unreadable(h, e.msg) < 0 ? jb_error_set(err, -ENOMEM, "out of memory") : 0;
    }
    h->n_open++;
    for (size_t i = 0; i < jb_journal_n_unreadable(x->jr); i++)
        if (add_unreadable(h, jb_journal_unreadable(x->jr, i)) < 0) return jb_error_set(err, -ENOMEM, "out of memory");
    r = position_host(h, x, err);
    if (r < 0) {
        x->jr = jb_journal_free(x->jr);
        h->n_open--;
        return r;
    }
    return 1;
}

/* List the directory again: the files of every host marked rescan (all with all), new hosts. */
static int scan_dir(jb_hosts *h, bool all, jb_error *err) {
    DIR *d = opendir(h->dir);
    if (!d) return jb_error_set(err, -errno, "cannot read journal directory %s: %s", h->dir, strerror(errno));
    for (size_t i = 0; i < h->n; i++) {
        if (all) h->h[i]->rescan = true;
        if (h->h[i]->rescan) free_files(h->h[i]);
    }
    int r = 0;
    struct dirent *de;
    char key[NAME_MAX + 1];
    while (r >= 0 && (de = readdir(d))) {
        if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK) continue;
        if (!host_key(de->d_name, key)) continue;
        ssize_t i = find_or_add(h, key);
        if (i < 0)
            r = (int)i;
        else if (h->h[i]->rescan)
            r = add_file(h->h[i], h->dir, de->d_name);
    }
    closedir(d);
    if (r < 0) return jb_error_set(err, r, "cannot list journal directory %s: %s", h->dir, strerror(-r));
    for (size_t i = 0; i < h->n; i++) {
        host *x = h->h[i];
        if (!x->rescan) continue;
        x->rescan = x->failed = false;
        x->dirty = true;
        if ((r = close_host(h, x)) < 0) return jb_error_set(err, r, "out of memory");
    }
    return 0;
}

int jb__hosts_open(const jb_source *src, jb_hosts **ret, jb_error *err) {
    jb_hosts *h = jb_calloc(1, sizeof *h);
    if (!h || !(h->dir = jb_strdup(src->directory))) {
        jb_free(h);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    h->left = JB_HOSTS_QUANTUM;
    h->extra_left = JB_HOSTS_PIECES_MORE;
    h->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    int r =
        h->ino < 0 ? jb_error_set(err, -errno, "cannot watch journal directory %s: %s", h->dir, strerror(errno)) : 0;
    if (r >= 0 && inotify_add_watch(h->ino, h->dir,
                                    IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR) < 0)
        r = jb_error_set(err, -errno, "cannot open journal %s: %s", h->dir, strerror(errno));
    if (r >= 0) r = scan_dir(h, true, err);
    if (r >= 0 && h->n == 0) r = jb_error_set(err, -ENOENT, "cannot open journal %s: no journal files", h->dir);
    if (r < 0) {
        jb__hosts_free(h);
        return r;
    }
    *ret = h;
    return 0;
}

jb_hosts *jb__hosts_free(jb_hosts *h) {
    if (!h) return NULL;
    for (size_t i = 0; i < h->n; i++) {
        host *x = h->h[i];
        jb_journal_free(x->jr);
        free_files(x);
        jb_buf_done(&x->cursor);
        jb_free(x->name);
        jb_free(x);
    }
    jb_free(h->h);
    jb_free(h->index);
    if (h->ino >= 0) close(h->ino);
    for (size_t i = 0; i < h->n_matches; i++) jb_free(h->matches[i]);
    jb_free(h->matches);
    for (size_t i = 0; i < h->n_extra; i++) jb_free(h->extra[i]);
    jb_free(h->extra);
    for (size_t i = 0; i < h->n_unreadable; i++) jb_free(h->unreadable[i]);
    jb_free(h->unreadable);
    jb_buf_done(&h->composite);
    jb_free(h->dir);
    jb_free(h);
    return NULL;
}

static int copy_list(char ***list, size_t *n, const char *const *v, size_t k) {
    char **c = jb_calloc(k ? k : 1, sizeof *c);
    if (!c) return -ENOMEM;
    for (size_t i = 0; i < k; i++)
        if (!(c[i] = jb_strdup(v[i]))) {
            for (size_t q = 0; q < i; q++) jb_free(c[q]);
            jb_free(c);
            return -ENOMEM;
        }
    for (size_t i = 0; i < *n; i++) jb_free((*list)[i]);
    jb_free(*list);
    *list = c;
    *n = k;
    return 0;
}

/* Matches and the extra fields apply to the journals opened from now on (set before reading). */
int jb__hosts_add_match(jb_hosts *h, const char *match, jb_error *err) {
    char **m = jb_realloc(h->matches, (h->n_matches + 1) * sizeof *m);
    if (!m) return jb_error_set(err, -ENOMEM, "out of memory");
    h->matches = m;
    if (!(m[h->n_matches] = jb_strdup(match))) return jb_error_set(err, -ENOMEM, "out of memory");
    h->n_matches++;
    for (size_t i = 0; i < h->n; i++)
        if (h->h[i]->jr) drop_host(h, h->h[i], START_HEAD, 0);
    return 0;
}

int jb__hosts_set_extra_fields(jb_hosts *h, const char *const *globs, size_t n) {
    if (n == 0) return 0;
    return copy_list(&h->extra, &h->n_extra, globs, n);
}

static void reset_all(jb_hosts *h, start_kind start, uint64_t usec) {
    for (size_t i = 0; i < h->n; i++) drop_host(h, h->h[i], start, usec);
    h->cur = 0;
    h->left = JB_HOSTS_QUANTUM;
    h->extra_left = JB_HOSTS_PIECES_MORE;
    h->gap_new = false;
}

int jb__hosts_seek_head(jb_hosts *h, jb_error *err) {
    (void)err;
    reset_all(h, START_HEAD, 0);
    return 0;
}

int jb__hosts_seek_realtime(jb_hosts *h, uint64_t usec, jb_error *err) {
    (void)err;
    reset_all(h, START_REALTIME, usec);
    return 0;
}

int jb__hosts_seek_tail(jb_hosts *h, jb_error *err) {
    reset_all(h, START_TAIL, 0);
    for (size_t i = 0; i < h->n; i++) {
        int r = open_host(h, h->h[i], err); /* takes each host's tail now; closed ones keep it */
        if (r < 0) return r;
    }
    return 0;
}

int jb__hosts_seek_cursor(jb_hosts *h, const char *cursor, jb_error *err) {
    reset_all(h, START_HEAD, 0);
    if (!jb_hostpos_is(cursor)) { /* one journal's cursor (a state of the directory read as one): each
                                   * host goes on after its time (sd-journal's rule for a cursor of
                                   * another journal) */
        for (size_t i = 0; i < h->n; i++) {
            if (jb_buf_puts(&h->h[i]->cursor, cursor) < 0) return jb_error_set(err, -ENOMEM, "out of memory");
            h->h[i]->foreign = true;
        }
        return 1;
    }
    jb_hostpos p = {0};
    int r = jb_hostpos_parse(&p, cursor);
    if (r == -EINVAL)
        r = jb_error_set(err, r, "invalid position per host '%.64s...'", cursor);
    else if (r < 0)
        r = jb_error_set(err, r, "out of memory");
    for (size_t k = 0; r >= 0 && k < p.n; k++) {
        ssize_t i = find_or_add(h, p.name[k]); /* a host whose files are gone keeps its place */
        if (i < 0)
            r = jb_error_set(err, (int)i, "out of memory");
        else if (jb_buf_puts(&h->h[i]->cursor, p.cursor[k].data) < 0)
            r = jb_error_set(err, -ENOMEM, "out of memory");
    }
    jb_hostpos_done(&p);
    return r < 0 ? r : 1;
}

int jb__hosts_next(jb_hosts *h, jb_entry *e, jb_error *err) {
    for (size_t tried = 0; tried <= h->n && h->n > 0;) {
        host *x = h->h[h->cur];
        if (x->dirty && h->left > 0) {
            int r = open_host(h, x, err);
            if (r < 0) return r;
            if (r > 0) {
                r = jb_journal_next(x->jr, e, err);
                if (r < 0) return r;
                if (r > 0) {
                    h->left--;
                    /* a line split in pieces is not left half-read for another host's turn (its
                     * rest would wait a whole round): up to JB_HOSTS_PIECES_MORE more entries */
                    if (h->left == 0 && h->extra_left > 0 &&
                        (e->partial || (e->has_partial_last && !e->partial_last))) {
                        h->left = 1;
                        h->extra_left--;
                    }
                    h->read_since_wait = true;
                    e->host = x->name;
                    e->host_index = (uint32_t)h->cur + 1;
                    const jb_gap *g = jb_journal_take_gap(x->jr);
                    if (g) {
                        h->gap = *g;
                        h->gap_new = true;
                    }
                    return 1;
                }
            }
            x->dirty = false; /* caught up: inotify says when it has more */
        }
        h->cur = (h->cur + 1) % h->n;
        h->left = JB_HOSTS_QUANTUM;
        h->extra_left = JB_HOSTS_PIECES_MORE;
        tried++;
    }
    return 0;
}

/* One inotify event: which host changed, and whether its files did. True when they did. */
static bool handle_event(jb_hosts *h, const struct inotify_event *ev, int *error) {
    if (ev->mask & IN_Q_OVERFLOW) {
        h->rescan_all = true;
        return true;
    }
    char key[NAME_MAX + 1];
    if (ev->len == 0 || !host_key(ev->name, key)) return false;
    ssize_t i = find_or_add(h, key); /* a new host is marked rescan */
    if (i < 0) {
        *error = (int)i;
        return false;
    }
    host *x = h->h[i];
    x->dirty = true;
    x->failed = false; /* it changed: try it again */
    if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) x->rescan = true;
    return x->rescan;
}

int jb__hosts_wait(jb_hosts *h, uint64_t timeout_usec, jb_error *err) {
    /* As jb_journal_wait(): while entries keep coming, look again every JB_JOURNAL_POLL_USEC at the
     * hosts open now (the busy ones) without waiting for a notification. */
    uint64_t now = jb_now_usec(CLOCK_MONOTONIC);
    if (h->read_since_wait) h->active_until = now + JB_JOURNAL_ACTIVE_USEC;
    h->read_since_wait = false;
    bool active = now < h->active_until && timeout_usec > JB_JOURNAL_POLL_USEC;
    if (active) timeout_usec = JB_JOURNAL_POLL_USEC;
    int ms = timeout_usec >= (uint64_t)INT_MAX * 1000 ? INT_MAX : (int)((timeout_usec + 999) / 1000);
    struct pollfd p = {.fd = h->ino, .events = POLLIN};
    int r = poll(&p, 1, ms);
    if (r < 0 && errno == EINTR) return 0;
    if (r < 0) return jb_error_set(err, -errno, "cannot wait for the journal: %s", strerror(errno));
    if (r == 0 && active)
        for (size_t i = 0; i < h->n; i++)
            if (h->h[i]->jr) h->h[i]->dirty = true;
    if (r == 0) return 0;
    bool changed = false;
    int error = 0;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(h->ino, buf, sizeof buf);
        if (n <= 0) break;
        for (char *q = buf; q < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)q;
            changed |= handle_event(h, ev, &error);
            q += sizeof *ev + ev->len;
        }
    }
    if (error < 0) return jb_error_set(err, error, "out of memory");
    if (!changed) return 0;
    h->invalidations++;
    r = scan_dir(h, h->rescan_all, err);
    if (h->rescan_all) {
        h->rescan_all = false;
        for (size_t i = 0; i < h->n; i++) h->h[i]->dirty = true;
    }
    return r < 0 ? r : 1;
}

const char *jb__hosts_last_cursor(jb_hosts *h) {
    jb_buf *b = &h->composite;
    jb_buf_reset(b);
    int r = jb_buf_puts(b, JB_HOSTPOS_MAGIC);
    size_t items = 0;
    for (size_t i = 0; r >= 0 && i < h->n; i++) {
        host *x = h->h[i];
        const char *c = x->jr ? jb_journal_last_cursor(x->jr) : NULL;
        if (!c && x->cursor.len) c = x->cursor.data;
        if (!c) continue;
        r = jb_hostpos_append_item(b, x->name, c, strlen(c));
        items++;
    }
    return r < 0 || items == 0 ? NULL : b->data;
}

uint64_t jb__hosts_invalidations(const jb_hosts *h) {
    return h->invalidations;
}

uint64_t jb__hosts_lost_positions(const jb_hosts *h) {
    return h->lost_positions;
}

const jb_gap *jb__hosts_take_gap(jb_hosts *h) {
    if (!h->gap_new) return NULL;
    h->gap_new = false;
    return &h->gap;
}

size_t jb__hosts_n_unreadable(const jb_hosts *h) {
    return h->n_unreadable;
}

const char *jb__hosts_unreadable(const jb_hosts *h, size_t i) {
    return i < h->n_unreadable ? h->unreadable[i] : NULL;
}

size_t jb__hosts_n_open(const jb_hosts *h) {
    return h->n_open;
}

size_t jb__hosts_n_hosts(const jb_hosts *h) {
    return h->n;
}
