/* SPDX-License-Identifier: Apache-2.0 */
#include "partial.h"

#include <limits.h>
#include <string.h>

#include "alloc.h"
#include "timestamp.h"
#include "util.h"

/* One pending split line. The slot keeps its buffers when it is freed, so a busy container reuses
 * them instead of allocating for every line. Pending lines are on a list in the order their first
 * piece was fed (the eviction and resume order), untrusted ones also on a list of their own, and
 * in a hash table by key (container, partial id or PRIORITY, writer), so that a piece finds its
 * line without a scan. */
typedef struct jb_pline jb_pline;
struct jb_pline {
    jb_entry first;        /* copy of the first piece; first.message holds the text gathered so far */
    jb_buf resume;         /* prev_cursor given with the first piece ("" = where reading started) */
    uint64_t resume_mark;  /* the caller's mark (jb_partial_set_mark) when the first piece was fed */
    jb_buf last_cursor;    /* cursor of the newest piece */
    uint64_t arrival_usec; /* clock when the newest piece was fed */
    uint64_t receive_usec; /* journal time (receive_usec) of the newest piece */
    uint64_t key_hash;
    unsigned pieces;
    jb_line_group group; /* parts of this line delivered so far (it continues a cut line when > 0) */
    bool new_form;       /* keyed by CONTAINER_PARTIAL_ID, else by PRIORITY */
    bool used;
    jb_pline *prev, *next;   /* the pending list, oldest first */
    jb_pline *uprev, *unext; /* the untrusted pending list, oldest first */
    jb_pline *hnext;         /* the hash chain */
};

typedef struct jb_plist {
    jb_pline *head, *tail;
} jb_plist;

struct jb_partial {
    size_t max_line;
    size_t max_pending;
    jb_pline *slots; /* max_pending + 1: a free one is always at hand to prepare a new line */
    jb_pline *free;  /* unused slots, chained by next */
    jb_plist pending;
    jb_plist untrusted;
    jb_pline **buckets; /* n_buckets (a power of two >= max_pending + 1), chained by hnext */
    size_t n_buckets;
    size_t n_pending;
    jb_buf chunk; /* a max_line piece of an entry, copied to give it its NUL */
    uint64_t (*clock)(void);
    uint64_t mark; /* see jb_partial_set_mark() */
};

/* The default clock (jb_partial_set_clock()). */
static uint64_t monotonic_usec(void) {
    return jb_now_usec(CLOCK_MONOTONIC);
}

/* The message bytes of e from off on (data may be NULL when the message is empty). */
static const char *msg_at(const jb_entry *e, size_t off) {
    return e->message.data ? e->message.data + off : "";
}

static bool buf_eq(const jb_buf *a, const jb_buf *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Replace the content of b with n bytes; on failure b is unchanged. */
static int buf_set(jb_buf *b, const char *s, size_t n) {
    int r = jb_buf_reserve(b, n);
    if (r < 0) return r;
    jb_buf_reset(b);
    return jb_buf_append(b, s, n);
}

/* Room for n more bytes of line text. Growth stops at max_line + 1 so that a pending line never
 * holds more than max_line bytes plus its NUL, whatever the doubling would give. */
static int text_reserve(const jb_partial *p, jb_buf *b, size_t n) {
    size_t need = b->len + n + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > p->max_line + 1 && need <= p->max_line + 1) cap = p->max_line + 1;
    char *d = jb_realloc(b->data, cap);
    if (!d) return -ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int jb_partial_new(size_t max_line, size_t max_pending, jb_partial **ret) {
    if (max_line < 1 || max_pending < 1 || max_line >= SIZE_MAX / 2 || max_pending >= SIZE_MAX / 4 / sizeof(jb_pline))
        return -EINVAL;
    jb_partial *p = jb_calloc(1, sizeof *p);
    if (!p) return -ENOMEM;
    p->max_line = max_line;
    p->max_pending = max_pending;
    p->clock = monotonic_usec;
    p->n_buckets = 1;
    while (p->n_buckets < max_pending + 1) p->n_buckets *= 2;
    p->slots = jb_calloc(max_pending + 1, sizeof *p->slots);
    p->buckets = jb_calloc(p->n_buckets, sizeof *p->buckets);
    if (!p->slots || !p->buckets) {
        jb_partial_free(p);
        return -ENOMEM;
    }
    for (size_t i = 0; i <= max_pending; i++) {
        p->slots[i].first.severity = JB_SEVERITY_DEFAULT;
        p->slots[i].next = i < max_pending ? &p->slots[i + 1] : NULL;
    }
    p->free = &p->slots[0];
    *ret = p;
    return 0;
}

jb_partial *jb_partial_free(jb_partial *p) {
    if (!p) return NULL;
    if (p->slots)
        for (size_t i = 0; i <= p->max_pending; i++) {
            jb_entry_done(&p->slots[i].first);
            jb_buf_done(&p->slots[i].resume);
            jb_buf_done(&p->slots[i].last_cursor);
        }
    jb_free(p->slots);
    jb_free(p->buckets);
    jb_buf_done(&p->chunk);
    jb_free(p);
    return NULL;
}

void jb_partial_set_clock(jb_partial *p, uint64_t (*now_usec)(void)) {
    p->clock = now_usec ? now_usec : monotonic_usec;
}

size_t jb_partial_pending(const jb_partial *p) {
    return p->n_pending;
}

const char *jb_partial_resume_cursor(const jb_partial *p) {
    return p->n_pending ? jb_str_or_empty(p->pending.head->resume.data) : NULL;
}

void jb_partial_set_mark(jb_partial *p, uint64_t mark) {
    p->mark = mark;
}

uint64_t jb_partial_resume_mark(const jb_partial *p) {
    return p->n_pending ? p->pending.head->resume_mark : p->mark;
}

static int emit(jb_line_cb cb, void *userdata, jb_line_group *g, const jb_entry *first, const char *text, size_t len,
                const char *cursor, jb_line_kind kind, unsigned pieces) {
    jb_line line = {
        .part = g->part,
        .tag = &g->tag,
        .first = first,
        .text = text ? text : "",
        .len = len,
        .cursor = cursor,
        .kind = kind,
        .pieces = pieces,
    };
    int r = cb(&line, userdata);
    if (g->part < UINT_MAX) g->part++;
    return r < 0 ? r : 0;
}

static int emit_pending(jb_pline *l, jb_line_kind kind, const char *cursor, unsigned pieces, jb_line_cb cb,
                        void *userdata) {
    /* A line that continues a cut one is itself a part of that cut line. */
    if (kind == JB_LINE_REASSEMBLED && l->group.part > 0) kind = JB_LINE_OVERFLOW;
    return emit(cb, userdata, &l->group, &l->first, l->first.message.data, l->first.message.len, cursor, kind, pieces);
}

/* The key of a piece: container, partial id (new form) or PRIORITY (old form), and the writer. */
static uint64_t key_hash(const jb_entry *e, bool new_form) {
    uint64_t h = jb_hash64_update(JB_HASH64_INIT, e->container_id_full.data, e->container_id_full.len);
    unsigned char flags[2] = {new_form, e->untrusted};
    h = jb_hash64_update(h, flags, sizeof flags);
    if (new_form)
        h = jb_hash64_update(h, e->partial_id.data, e->partial_id.len);
    else
        h = jb_hash64_update(h, &e->severity, sizeof e->severity);
    h = jb_hash64_update(h, e->writer_uid.data, e->writer_uid.len);
    return jb_hash64_update(h, e->writer_comm.data, e->writer_comm.len);
}

static jb_pline **bucket(const jb_partial *p, uint64_t h) {
    return &p->buckets[h & (p->n_buckets - 1)];
}

/* Forget the pending line l (its slot keeps its memory). */
static void remove_pending(jb_partial *p, jb_pline *l) {
    for (jb_pline **pp = bucket(p, l->key_hash); *pp; pp = &(*pp)->hnext)
        if (*pp == l) {
            *pp = l->hnext;
            break;
        }
    if (l->prev)
        l->prev->next = l->next;
    else
        p->pending.head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    else
        p->pending.tail = l->prev;
    if (l->first.untrusted) {
        if (l->uprev)
            l->uprev->unext = l->unext;
        else
            p->untrusted.head = l->unext;
        if (l->unext)
            l->unext->uprev = l->uprev;
        else
            p->untrusted.tail = l->uprev;
    }
    l->used = false;
    l->prev = l->uprev = l->unext = l->hnext = NULL;
    /* Back to the free slots, behind the first one: that one may be prepared for a new line
     * (free_slot() then install_line()) while this line is evicted. */
    if (p->free) {
        l->next = p->free->next;
        p->free->next = l;
    } else {
        l->next = NULL;
        p->free = l;
    }
    p->n_pending--;
}

static jb_pline *free_slot(jb_partial *p) {
    return p->free; /* never NULL: at most max_pending of the max_pending + 1 slots are in use */
}

/* Pieces join only pieces of the same writer: trusted or not, same _UID and _COMM (trust.h). */
static bool same_writer(const jb_entry *a, const jb_entry *b) {
    return a->untrusted == b->untrusted && buf_eq(&a->writer_uid, &b->writer_uid) &&
           buf_eq(&a->writer_comm, &b->writer_comm);
}

/* The pending line to evict so that a line of e can start, when the table is full or e is
 * untrusted: the oldest untrusted line, else (e trusted) the oldest line. NULL: nothing may
 * be evicted for e (an untrusted piece never evicts a trusted line), or nothing needs to be. */
static jb_pline *victim(const jb_partial *p, const jb_entry *e) {
    if (p->n_pending < p->max_pending) return NULL;
    if (p->untrusted.head) return p->untrusted.head;
    return e->untrusted ? NULL : p->pending.head;
}

static jb_pline *find_pending(const jb_partial *p, const jb_entry *e, bool new_form) {
    uint64_t h = key_hash(e, new_form);
    for (jb_pline *l = *bucket(p, h); l; l = l->hnext) {
        if (l->key_hash != h || l->new_form != new_form) continue;
        if (!buf_eq(&l->first.container_id_full, &e->container_id_full)) continue;
        if (!same_writer(&l->first, e)) continue;
        if (new_form ? buf_eq(&l->first.partial_id, &e->partial_id) : l->first.severity == e->severity) return l;
    }
    return NULL;
}

/* Fill slot s (not yet pending) with a new line that starts with the bytes of e's message from off
 * on. All allocation happens here, before anything is delivered, so that -ENOMEM leaves p as it was. */
static int prepare_line(jb_partial *p, jb_pline *s, const jb_entry *e, size_t off, const char *prev_cursor,
                        bool new_form) {
    jb_entry meta = *e; /* shallow: jb_entry_copy only reads it */
    meta.message = (jb_buf)JB_BUF_INIT;
    int r = jb_entry_copy(&s->first, &meta);
    if (r < 0) return r;
    jb_buf_reset(&s->first.message);
    size_t n = e->message.len - off;
    r = text_reserve(p, &s->first.message, n);
    if (r < 0) return r;
    (void)jb_buf_append(&s->first.message, msg_at(e, off), n); /* cannot fail after the reserve */
    r = buf_set(&s->resume, prev_cursor ? prev_cursor : "", prev_cursor ? strlen(prev_cursor) : 0);
    if (r < 0) return r;
    r = buf_set(&s->last_cursor, e->cursor.data, e->cursor.len);
    if (r < 0) return r;
    s->resume_mark = p->mark;
    s->receive_usec = e->receive_usec;
    s->key_hash = key_hash(e, new_form);
    s->pieces = 1;
    s->group = (jb_line_group){0, 0};
    s->new_form = new_form;
    return 0;
}

/* Make s, the slot free_slot() gave, pending. */
static void install_line(jb_partial *p, jb_pline *s) {
    p->free = s->next;
    s->used = true;
    s->arrival_usec = p->clock();
    s->next = NULL;
    s->prev = p->pending.tail;
    if (s->prev)
        s->prev->next = s;
    else
        p->pending.head = s;
    p->pending.tail = s;
    if (s->first.untrusted) {
        s->unext = NULL;
        s->uprev = p->untrusted.tail;
        if (s->uprev)
            s->uprev->unext = s;
        else
            p->untrusted.head = s;
        p->untrusted.tail = s;
    }
    jb_pline **b = bucket(p, s->key_hash);
    s->hnext = *b;
    *b = s;
    p->n_pending++;
}

/* The bytes of e from off on, where no line is pending under e's key any more: whole max_line chunks
 * are delivered at once as OVERFLOW; what remains (at most max_line bytes) either starts the pending
 * line prepared in s (more pieces follow) or ends the split line. */
static int deliver_rest(jb_partial *p, const jb_entry *e, size_t off, size_t tail, jb_pline *s, jb_line_group *g,
                        jb_line_cb cb, void *userdata) {
    const char *cursor = jb_str_or_empty(e->cursor.data);
    while (e->message.len - off > tail) {
        jb_buf_reset(&p->chunk);
        (void)jb_buf_append(&p->chunk, msg_at(e, off), p->max_line); /* reserved by reserve_chunk() */
        int r = emit(cb, userdata, g, e, p->chunk.data, p->max_line, cursor, JB_LINE_OVERFLOW, 1);
        if (r < 0) return r;
        off += p->max_line;
    }
    if (s) {
        s->group = *g;
        install_line(p, s);
        return 0;
    }
    return emit(cb, userdata, g, e, msg_at(e, off), tail, cursor, g->part > 0 ? JB_LINE_OVERFLOW : JB_LINE_REASSEMBLED,
                1);
}

/* Before anything is delivered: room for the max_line chunks that a rest of n bytes will need. */
static int reserve_chunk(jb_partial *p, size_t n) {
    if (n <= p->max_line) return 0;
    jb_buf_reset(&p->chunk);
    return text_reserve(p, &p->chunk, p->max_line);
}

/* Size of the last part of a rest of n bytes cut into max_line chunks: in [1, max_line], or 0 for 0. */
static size_t tail_len(const jb_partial *p, size_t n) {
    return n == 0 ? 0 : n - (n - 1) / p->max_line * p->max_line;
}

/* The first piece of a new split line (more pieces follow). */
static int start_line(jb_partial *p, const jb_entry *e, const char *prev_cursor, bool new_form, jb_line_cb cb,
                      void *userdata) {
    size_t tail = tail_len(p, e->message.len);
    jb_pline *s = free_slot(p);
    int r = reserve_chunk(p, e->message.len);
    if (r < 0) return r;
    r = prepare_line(p, s, e, e->message.len - tail, prev_cursor, new_form);
    if (r < 0) return r;
    jb_line_group g = {0, 0};
    if (p->n_pending == p->max_pending) {
        jb_pline *old = victim(p, e);
        if (!old) /* an untrusted first piece and only trusted lines pending: not held */
            return emit(cb, userdata, &g, e, msg_at(e, 0), e->message.len, jb_str_or_empty(e->cursor.data),
                        JB_LINE_INCOMPLETE, 1);
        r = emit_pending(old, JB_LINE_INCOMPLETE, jb_str_or_empty(old->last_cursor.data), old->pieces, cb, userdata);
        remove_pending(p, old);
        if (r < 0) return r;
    }
    return deliver_rest(p, e, 0, tail, s, &g, cb, userdata);
}

/* A further piece of the pending line l; more: it is not the last piece. */
static int append_piece(jb_partial *p, jb_pline *l, const jb_entry *e, bool more, const char *prev_cursor,
                        jb_line_cb cb, void *userdata) {
    jb_buf *text = &l->first.message;
    size_t n = e->message.len;
    unsigned pieces = l->pieces < UINT_MAX ? l->pieces + 1 : UINT_MAX;
    int r;

    if (n <= p->max_line - text->len) {
        r = text_reserve(p, text, n);
        if (r < 0) return r;
        if (more) {
            r = buf_set(&l->last_cursor, e->cursor.data, e->cursor.len);
            if (r < 0) return r;
        }
        (void)jb_buf_append(text, msg_at(e, 0), n); /* cannot fail after the reserve */
        if (more) {
            l->pieces = pieces;
            l->arrival_usec = p->clock();
            l->receive_usec = e->receive_usec;
            return 0;
        }
        /* The finished line loses the newline Podman's conmon keeps and a TTY's trailing '\r' (pieces
         * keep theirs: jb_entry_finish()), also when its last piece is empty (a line of k * 16 KiB);
         * the last part of a line cut at max_line keeps them (its other parts are delivered). */
        if (l->group.part == 0 && text->len > 0 && text->data[text->len - 1] == '\n') text->data[--text->len] = 0;
        if (l->group.part == 0 && text->len > 0 && text->data[text->len - 1] == '\r') text->data[--text->len] = 0;
        r = emit_pending(l, JB_LINE_REASSEMBLED, jb_str_or_empty(e->cursor.data), pieces, cb, userdata);
        remove_pending(p, l);
        return r;
    }

    /* Overflow: fill the line up to max_line with the head of this piece and deliver it; the rest
     * of the piece goes on as chunks and a new line. */
    size_t k = p->max_line - text->len;
    size_t tail = tail_len(p, n - k);
    jb_pline *s = NULL;
    r = text_reserve(p, text, k);
    if (r < 0) return r;
    r = reserve_chunk(p, n - k);
    if (r < 0) return r;
    if (more) {
        s = free_slot(p);
        r = prepare_line(p, s, e, n - tail, prev_cursor, l->new_form);
        if (r < 0) return r;
    }
    (void)jb_buf_append(text, msg_at(e, 0), k);
    r = emit_pending(l, JB_LINE_OVERFLOW,
                     k > 0 ? jb_str_or_empty(e->cursor.data) : jb_str_or_empty(l->last_cursor.data),
                     k > 0 ? pieces : l->pieces, cb, userdata);
    jb_line_group g = l->group;
    remove_pending(p, l);
    if (r < 0) return r;
    return deliver_rest(p, e, k, tail, s, &g, cb, userdata);
}

int jb_partial_feed(jb_partial *p, const jb_entry *e, const char *prev_cursor, jb_line_cb cb, void *userdata) {
    if (e->is_container) {
        bool new_form = e->partial_id.len > 0;
        bool more = jb_entry_more_pieces(e);
        jb_pline *l = p->n_pending ? find_pending(p, e, new_form) : NULL;
        if (l) return append_piece(p, l, e, more, prev_cursor, cb, userdata);
        if (more) return start_line(p, e, prev_cursor, new_form, cb, userdata);
    }
    /* The hot path: a whole line is handed over as it is, without a copy. */
    jb_line_group g = {0, 0};
    return emit(cb, userdata, &g, e, msg_at(e, 0), e->message.len, jb_str_or_empty(e->cursor.data), JB_LINE_WHOLE, 1);
}

int jb_partial_flush(jb_partial *p, jb_line_cb cb, void *userdata) {
    while (p->pending.head) {
        jb_pline *l = p->pending.head;
        int r = emit_pending(l, JB_LINE_INCOMPLETE, jb_str_or_empty(l->last_cursor.data), l->pieces, cb, userdata);
        remove_pending(p, l);
        if (r < 0) return r;
    }
    return 0;
}

/* Deliver, oldest first, the pending lines whose newest piece is more than max_age_usec older than
 * now_usec, by the arrival clock or by journal time. */
static int expire_by(jb_partial *p, bool journal_time, uint64_t now_usec, uint64_t max_age_usec, jb_line_cb cb,
                     void *userdata) {
    jb_pline *next;
    for (jb_pline *l = p->pending.head; l; l = next) {
        next = l->next;
        uint64_t t = journal_time ? l->receive_usec : l->arrival_usec;
        if (now_usec <= t || now_usec - t <= max_age_usec) continue;
        int r = emit_pending(l, JB_LINE_INCOMPLETE, jb_str_or_empty(l->last_cursor.data), l->pieces, cb, userdata);
        remove_pending(p, l);
        if (r < 0) return r;
    }
    return 0;
}

int jb_partial_expire(jb_partial *p, uint64_t now_usec, uint64_t max_age_usec, jb_line_cb cb, void *userdata) {
    return expire_by(p, false, now_usec, max_age_usec, cb, userdata);
}

int jb_partial_expire_journal(jb_partial *p, uint64_t now_usec, uint64_t max_age_usec, jb_line_cb cb, void *userdata) {
    return expire_by(p, true, now_usec, max_age_usec, cb, userdata);
}
