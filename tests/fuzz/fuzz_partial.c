/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: split-line reassembly (jb_partial) over a sequence of synthetic entries.
 * Input: max_line (1..2048) and max_pending (1..8), then operations: feed an entry (container 0-2
 * or none; old form with CONTAINER_PARTIAL_MESSAGE or new form with one of four
 * CONTAINER_PARTIAL_IDs and CONTAINER_PARTIAL_LAST; stdout or stderr; a message of up to 8 KiB),
 * let time pass and expire, or flush. The input ends with a flush.
 * Properties:
 *  - every message byte is delivered exactly once, in order, per key (container + partial id, or
 *    container + PRIORITY, or non-container), nothing invented, but the "\n", "\r" or "\r\n" that
 *    ends a reassembled line;
 *  - a split line (not WHOLE) is never longer than max_line;
 *  - memory held by the reassembler (counted through jb_set_alloc_funcs) stays within
 *    (max_pending + 2) * (max_line + 1) + (max_pending + 1) * SLOT_OVERHEAD + BASE_OVERHEAD, however
 *    many entries are fed;
 *  - the resume cursor is never after an entry whose bytes are still held. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzzlib.h"
#include "partial.h"

#define MAX_KEYS 32
#define MAX_MARKS 2048
/* Metadata copies (eleven small buffers of at most 64 bytes each here), cursors and the slot
 * itself; the base: the jb_partial struct and its pending array. */
#define SLOT_OVERHEAD 2048u
#define BASE_OVERHEAD 1024u

/* ---- counting allocator ---- */

typedef struct hdr {
    size_t size;
    size_t counted;
    max_align_t pad[];
} hdr;

static bool counting;
static size_t held;

static void *count_malloc(size_t n) {
    hdr *h = malloc(sizeof(hdr) + n);
    if (!h) return NULL;
    h->size = n;
    h->counted = counting;
    if (counting) held += n;
    return h + 1;
}

static void count_free(void *p) {
    if (!p) return;
    hdr *h = (hdr *)p - 1;
    if (h->counted) held -= h->size;
    free(h);
}

static void *count_realloc(void *p, size_t n) {
    if (!p) return count_malloc(n);
    hdr *h = (hdr *)p - 1;
    size_t old = h->size, was = h->counted;
    hdr *d = realloc(h, sizeof(hdr) + n);
    if (!d) return NULL;
    if (was) held = held - old + n;
    d->size = n;
    return d + 1;
}

/* ---- bookkeeping per key ---- */

typedef struct key_state {
    char name[64];
    jb_buf want, got;
    struct {
        size_t end; /* want.len after this entry */
        unsigned seq;
    } marks[MAX_MARKS];
    size_t n_marks, first_mark;
} key_state;

typedef struct ctx {
    key_state keys[MAX_KEYS];
    size_t n_keys;
    size_t max_line;
} ctx;

static void key_of(const jb_entry *e, char out[64]) {
    if (!e->is_container)
        snprintf(out, 64, "-");
    else if (e->partial_id.len)
        snprintf(out, 64, "%s/id:%s", jb_entry_str(&e->container_id_full), jb_entry_str(&e->partial_id));
    else
        snprintf(out, 64, "%s/prio:%d", jb_entry_str(&e->container_id_full), e->severity);
}

static key_state *find_key(ctx *c, const char *name, bool create) {
    for (size_t i = 0; i < c->n_keys; i++)
        if (!strcmp(c->keys[i].name, name)) return &c->keys[i];
    FUZZ_CHECK(create, "a line delivered under key %s, which was never fed", name);
    FUZZ_CHECK(c->n_keys < MAX_KEYS);
    key_state *k = &c->keys[c->n_keys++];
    k->want = k->got = (jb_buf)JB_BUF_INIT;
    k->n_marks = k->first_mark = 0;
    snprintf(k->name, sizeof k->name, "%s", name);
    return k;
}

static unsigned cursor_seq(const char *cursor) {
    unsigned v = 0;
    FUZZ_CHECK(cursor && sscanf(cursor, "c%u", &v) == 1, "odd cursor '%s'", cursor ? cursor : "(null)");
    return v;
}

static int on_line(const jb_line *l, void *userdata) {
    ctx *c = userdata;
    bool was = counting;
    counting = false;
    char name[64];
    key_of(l->first, name);
    key_state *k = find_key(c, name, false);
    FUZZ_CHECK(l->kind == JB_LINE_WHOLE || l->len <= c->max_line, "%s line of %zu bytes, max_line %zu",
               jb_line_kind_name(l->kind), l->len, c->max_line);
    FUZZ_CHECK(l->text[l->len] == 0, "line text not NUL-terminated");
    FUZZ_CHECK(k->got.len + l->len <= k->want.len, "key %s: more bytes delivered than fed", name);
    FUZZ_CHECK(l->len == 0 || memcmp(k->want.data + k->got.len, l->text, l->len) == 0,
               "key %s: bytes delivered out of order or altered at offset %zu", name, k->got.len);
    jb_buf_append(&k->got, l->text, l->len);
    if (l->kind == JB_LINE_REASSEMBLED) {
        /* A finished split line loses a trailing "\n", "\r" or "\r\n" (partial.h): those bytes end
         * the line's last entry, and nothing else lies between the text and that entry's end. */
        size_t i = k->first_mark;
        while (i < k->n_marks && k->marks[i].end < k->got.len) i++;
        size_t rest = i < k->n_marks ? k->marks[i].end - k->got.len : 0;
        const char *r = k->want.data + k->got.len;
        bool stripped = (rest == 1 && (r[0] == '\n' || r[0] == '\r')) || (rest == 2 && r[0] == '\r' && r[1] == '\n');
        FUZZ_CHECK(rest == 0 || stripped, "key %s: a reassembled line ends %zu bytes before its last entry", name,
                   rest);
        if (stripped) jb_buf_append(&k->got, r, rest);
    }
    FUZZ_CHECK(l->pieces >= 1);
    cursor_seq(l->cursor);
    while (k->first_mark < k->n_marks && k->marks[k->first_mark].end <= k->got.len) k->first_mark++;
    counting = was;
    return 0;
}

static uint64_t fake_now;
static uint64_t fake_clock(void) {
    return fake_now;
}

/* The resume cursor must come before every entry whose bytes are still held. */
static void check_resume(const ctx *c, jb_partial *p) {
    const char *resume = jb_partial_resume_cursor(p);
    unsigned oldest = UINT32_MAX;
    for (size_t i = 0; i < c->n_keys; i++) {
        const key_state *k = &c->keys[i];
        size_t m = k->first_mark;
        while (m < k->n_marks && k->marks[m].end <= k->got.len) m++;
        if (m < k->n_marks && k->marks[m].seq < oldest) oldest = k->marks[m].seq;
    }
    if (oldest == UINT32_MAX) return;
    FUZZ_CHECK(resume != NULL, "bytes of entry c%u held but no resume cursor", oldest);
    if (resume[0] == 0) return; /* before the first entry */
    FUZZ_CHECK(cursor_seq(resume) < oldest, "resume cursor %s is not before entry c%u, still held", resume, oldest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ctx c;
    fuzz_in in = {data, size};
    jb_set_alloc_funcs(count_malloc, count_realloc, count_free);
    held = 0;
    fake_now = 1;
    c.n_keys = 0;
    c.max_line = 1 + fuzz_u16(&in) % 2048;
    size_t max_pending = 1 + fuzz_u8(&in) % 8;
    size_t bound = (max_pending + 2) * (c.max_line + 1) + (max_pending + 1) * SLOT_OVERHEAD + BASE_OVERHEAD;

    jb_partial *p = NULL;
    counting = true;
    FUZZ_CHECK(jb_partial_new(c.max_line, max_pending, &p) == 0);
    counting = false;
    jb_partial_set_clock(p, fake_clock);

    jb_entry e = {0};
    jb_entry_reset(&e);
    char prev_cursor[32] = "";
    unsigned seq = 0;
    while (in.n > 0) {
        uint8_t op = fuzz_u8(&in);
        int r;
        if ((op & 0xF0) == 0xF0) { /* time passes; expire lines older than (op & 7) ticks */
            fake_now += 1 + (op & 3);
            counting = true;
            r = jb_partial_expire(p, fake_now, op & 7, on_line, &c);
            counting = false;
            FUZZ_CHECK(r == 0);
        } else if (op == 0xE0) {
            counting = true;
            r = jb_partial_flush(p, on_line, &c);
            counting = false;
            FUZZ_CHECK(r == 0 && jb_partial_pending(p) == 0);
        } else {
            /* op: bits 0-1 container (3: none), 2 new form, 3 not the last piece, 4 PARTIAL_LAST
             * present, 5 stderr, 6-7 partial id; then a length and the message */
            uint8_t kind = op & 3;
            jb_entry_reset(&e);
            char v[32];
            if (kind != 3) {
                snprintf(v, sizeof v, "c%u", kind);
                FUZZ_CHECK(jb_entry_set_field(&e, "CONTAINER_NAME", 14, v, strlen(v)) == 0);
                snprintf(v, sizeof v, "full%u", kind);
                FUZZ_CHECK(jb_entry_set_field(&e, "CONTAINER_ID_FULL", 17, v, strlen(v)) == 0);
            }
            FUZZ_CHECK(jb_entry_set_field(&e, "PRIORITY", 8, op & 0x20 ? "3" : "6", 1) == 0);
            if (op & 4) {
                snprintf(v, sizeof v, "p%u", op >> 6);
                FUZZ_CHECK(jb_entry_set_field(&e, "CONTAINER_PARTIAL_ID", 20, v, strlen(v)) == 0);
                if (op & 0x10) {
                    const char *last = op & 8 ? "false" : "true";
                    FUZZ_CHECK(jb_entry_set_field(&e, "CONTAINER_PARTIAL_LAST", 22, last, strlen(last)) == 0);
                }
            } else if (op & 8) {
                FUZZ_CHECK(jb_entry_set_field(&e, "CONTAINER_PARTIAL_MESSAGE", 25, "true", 4) == 0);
            }
            size_t want = fuzz_u16(&in) % 8193, n;
            const char *msg = fuzz_bytes(&in, want, &n);
            FUZZ_CHECK(jb_entry_set_field(&e, "MESSAGE", 7, msg, n) == 0);
            jb_entry_finish(&e, 0);
            jb_buf_reset(&e.cursor);
            FUZZ_CHECK(jb_buf_printf(&e.cursor, "c%u", ++seq) == 0);

            char name[64];
            key_of(&e, name);
            key_state *k = find_key(&c, name, true);
            jb_buf_append(&k->want, e.message.data ? e.message.data : "", e.message.len);
            if (e.message.len > 0) {
                FUZZ_CHECK(k->n_marks < MAX_MARKS);
                k->marks[k->n_marks].end = k->want.len;
                k->marks[k->n_marks].seq = seq;
                k->n_marks++;
            }
            counting = true;
            r = jb_partial_feed(p, &e, seq > 1 ? prev_cursor : NULL, on_line, &c);
            counting = false;
            FUZZ_CHECK(r == 0);
            snprintf(prev_cursor, sizeof prev_cursor, "c%u", seq);
        }
        FUZZ_CHECK(held <= bound, "reassembler holds %zu bytes, bound %zu (max_line %zu, max_pending %zu)", held, bound,
                   c.max_line, max_pending);
        FUZZ_CHECK(jb_partial_pending(p) <= max_pending);
        check_resume(&c, p);
    }
    counting = true;
    FUZZ_CHECK(jb_partial_flush(p, on_line, &c) == 0);
    counting = false;
    for (size_t i = 0; i < c.n_keys; i++) {
        key_state *k = &c.keys[i];
        FUZZ_CHECK(k->got.len == k->want.len, "key %s: %zu bytes fed, %zu delivered", k->name, k->want.len, k->got.len);
        jb_buf_done(&k->want);
        jb_buf_done(&k->got);
    }
    counting = true;
    jb_partial_free(p);
    counting = false;
    FUZZ_CHECK(held == 0, "%zu bytes still held after jb_partial_free", held);
    jb_entry_done(&e);
    jb_set_alloc_funcs(NULL, NULL, NULL);
    return 0;
}
