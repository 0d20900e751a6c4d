/* SPDX-License-Identifier: Apache-2.0 */
#include "partial.h"

#include <limits.h>
#include <string.h>

#include "alloc.h"
#include "timestamp.h"
#include "util.h"

/* One pending split line. The slot keeps its buffers when it is freed, so a busy container reuses
 * them instead of allocating for every line. */
typedef struct jb_pline {
    jb_entry first;        /* copy of the first piece; first.message holds the text gathered so far */
    jb_buf resume;         /* prev_cursor given with the first piece ("" = where reading started) */
    uint64_t resume_mark;  /* the caller's mark (jb_partial_set_mark) when the first piece was fed */
    jb_buf last_cursor;    /* cursor of the newest piece */
    uint64_t arrival_usec; /* clock when the newest piece was fed */
    unsigned pieces;
    jb_line_group group; /* parts of this line delivered so far (it continues a cut line when > 0) */
    bool new_form;       /* keyed by CONTAINER_PARTIAL_ID, else by PRIORITY */
    bool used;
} jb_pline;

struct jb_partial {
    size_t max_line;
    size_t max_pending;
    jb_pline *slots;    /* max_pending + 1: a free one is always at hand to prepare a new line */
    jb_pline **pending; /* the pending lines in the order their first piece was fed */
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
    if (max_line < 1 || max_pending < 1 || max_line >= SIZE_MAX / 2 || max_pending >= SIZE_MAX / sizeof(jb_pline))
        return -EINVAL;
    jb_partial *p = jb_calloc(1, sizeof *p);
    if (!p) return -ENOMEM;
    p->max_line = max_line;
    p->max_pending = max_pending;
    p->clock = monotonic_usec;
    p->slots = jb_calloc(max_pending + 1, sizeof *p->slots);
    p->pending = jb_calloc(max_pending, sizeof *p->pending);
    if (!p->slots || !p->pending) {
        jb_partial_free(p);
        return -ENOMEM;
    }
    for (size_t i = 0; i <= max_pending; i++) p->slots[i].first.severity = JB_SEVERITY_DEFAULT;
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
    jb_free(p->pending);
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
    return p->n_pending ? jb_str_or_empty(p->pending[0]->resume.data) : NULL;
}

void jb_partial_set_mark(jb_partial *p, uint64_t mark) {
    p->mark = mark;
}

uint64_t jb_partial_resume_mark(const jb_partial *p) {
    return p->n_pending ? p->pending[0]->resume_mark : p->mark;
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

/* Forget the pending line at index i (its slot keeps its memory). */
static void remove_pending(jb_partial *p, size_t i) {
    p->pending[i]->used = false;
    memmove(p->pending + i, p->pending + i + 1, (p->n_pending - i - 1) * sizeof *p->pending);
    p->n_pending--;
}

static jb_pline *free_slot(jb_partial *p) {
    for (size_t i = 0; i <= p->max_pending; i++)
        if (!p->slots[i].used) return &p->slots[i];
    return NULL; /* not reached: at most max_pending of the max_pending + 1 slots are in use */
}

/* Pieces join only pieces of the same writer: trusted or not, same _UID and _COMM (trust.h). */
static bool same_writer(const jb_entry *a, const jb_entry *b) {
    return a->untrusted == b->untrusted && buf_eq(&a->writer_uid, &b->writer_uid) &&
           buf_eq(&a->writer_comm, &b->writer_comm);
}

/* The pending line to evict so that a line of e can start, when the table is full or e is
 * untrusted: the oldest untrusted line, else (e trusted) the oldest line. SIZE_MAX: nothing may
 * be evicted for e (an untrusted piece never evicts a trusted line), or nothing needs to be. */
static size_t victim(const jb_partial *p, const jb_entry *e) {
    if (p->n_pending < p->max_pending) return SIZE_MAX;
    for (size_t i = 0; i < p->n_pending; i++)
        if (p->pending[i]->first.untrusted) return i;
    return e->untrusted ? SIZE_MAX : 0;
}

static jb_pline *find_pending(const jb_partial *p, const jb_entry *e, bool new_form, size_t *ret_index) {
    for (size_t i = 0; i < p->n_pending; i++) {
        jb_pline *l = p->pending[i];
        if (l->new_form != new_form || !buf_eq(&l->first.container_id_full, &e->container_id_full)) continue;
        if (!same_writer(&l->first, e)) continue;
        if (new_form ? buf_eq(&l->first.partial_id, &e->partial_id) : l->first.severity == e->severity) {
            *ret_index = i;
            return l;
        }
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
    s->pieces = 1;
    s->group = (jb_line_group){0, 0};
    s->new_form = new_form;
    return 0;
}

static void install_line(jb_partial *p, jb_pline *s) {
    s->used = true;
    s->arrival_usec = p->clock();
    p->pending[p->n_pending++] = s;
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
        size_t v = victim(p, e);
        if (v == SIZE_MAX) /* an untrusted first piece and only trusted lines pending: not held */
            return emit(cb, userdata, &g, e, msg_at(e, 0), e->message.len, jb_str_or_empty(e->cursor.data),
                        JB_LINE_INCOMPLETE, 1);
        jb_pline *old = p->pending[v];
        r = emit_pending(old, JB_LINE_INCOMPLETE, jb_str_or_empty(old->last_cursor.data), old->pieces, cb, userdata);
        remove_pending(p, v);
        if (r < 0) return r;
    }
    return deliver_rest(p, e, 0, tail, s, &g, cb, userdata);
}

/* A further piece of the pending line l (at index i); more: it is not the last piece. */
static int append_piece(jb_partial *p, jb_pline *l, size_t i, const jb_entry *e, bool more, const char *prev_cursor,
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
            return 0;
        }
        r = emit_pending(l, JB_LINE_REASSEMBLED, jb_str_or_empty(e->cursor.data), pieces, cb, userdata);
        remove_pending(p, i);
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
    remove_pending(p, i);
    if (r < 0) return r;
    return deliver_rest(p, e, k, tail, s, &g, cb, userdata);
}

int jb_partial_feed(jb_partial *p, const jb_entry *e, const char *prev_cursor, jb_line_cb cb, void *userdata) {
    if (e->is_container) {
        bool new_form = e->partial_id.len > 0;
        bool more = e->partial || (new_form && e->has_partial_last && !e->partial_last);
        size_t i = 0;
        jb_pline *l = p->n_pending ? find_pending(p, e, new_form, &i) : NULL;
        if (l) return append_piece(p, l, i, e, more, prev_cursor, cb, userdata);
        if (more) return start_line(p, e, prev_cursor, new_form, cb, userdata);
    }
    /* The hot path: a whole line is handed over as it is, without a copy. */
    jb_line_group g = {0, 0};
    return emit(cb, userdata, &g, e, msg_at(e, 0), e->message.len, jb_str_or_empty(e->cursor.data), JB_LINE_WHOLE, 1);
}

int jb_partial_flush(jb_partial *p, jb_line_cb cb, void *userdata) {
    while (p->n_pending > 0) {
        jb_pline *l = p->pending[0];
        int r = emit_pending(l, JB_LINE_INCOMPLETE, jb_str_or_empty(l->last_cursor.data), l->pieces, cb, userdata);
        remove_pending(p, 0);
        if (r < 0) return r;
    }
    return 0;
}

int jb_partial_expire(jb_partial *p, uint64_t now_usec, uint64_t max_age_usec, jb_line_cb cb, void *userdata) {
    size_t i = 0;
    while (i < p->n_pending) {
        jb_pline *l = p->pending[i];
        if (now_usec <= l->arrival_usec || now_usec - l->arrival_usec <= max_age_usec) {
            i++;
            continue;
        }
        int r = emit_pending(l, JB_LINE_INCOMPLETE, jb_str_or_empty(l->last_cursor.data), l->pieces, cb, userdata);
        remove_pending(p, i);
        if (r < 0) return r;
    }
    return 0;
}
