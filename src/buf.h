/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A growable byte buffer, usually embedded in another object (JB_BUF_INIT), its memory from
 * alloc.h. */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "macro.h"

typedef struct jb_buf {
    char *data; /* always NUL-terminated once anything was appended; may contain NULs */
    size_t len;
    size_t cap;
} jb_buf;

#define JB_BUF_INIT \
    { NULL, 0, 0 }

/* Ensure room for n more bytes plus a NUL. 0 or -ENOMEM (buffer unchanged). */
int jb_buf_reserve(jb_buf *b, size_t n);
/* The part of jb_buf_reserve() that allocates; call jb_buf_reserve(). */
int jb__buf_grow(jb_buf *b, size_t n);

/* The hot path of every formatter: inline, so that appending to a buffer that already has room is
 * a compare and a memcpy. */
static inline int jb_buf_reserve_inline(jb_buf *b, size_t n) {
    return n < b->cap - b->len ? 0 : jb__buf_grow(b, n);
}
static inline int jb_buf_append(jb_buf *b, const void *p, size_t n) {
    int r = jb_buf_reserve_inline(b, n);
    if (r < 0) return r;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}
static inline int jb_buf_putc(jb_buf *b, char c) {
    int r = jb_buf_reserve_inline(b, 1);
    if (r < 0) return r;
    b->data[b->len++] = c;
    b->data[b->len] = 0;
    return 0;
}
int jb_buf_puts(jb_buf *b, const char *s);
int jb_buf_printf(jb_buf *b, const char *fmt, ...) _printf_(2, 3);
/* Forget the content, keep the memory. */
void jb_buf_reset(jb_buf *b);
/* Release the memory b holds and leave it as JB_BUF_INIT (b itself is not freed: it is usually
 * embedded). Also a cleanup handler: _cleanup_(jb_buf_done) jb_buf b = JB_BUF_INIT; */
void jb_buf_done(jb_buf *b);
/* Hand the data over to the caller (NUL-terminated; an empty buffer gives ""), leaves b empty. */
char *jb_buf_steal(jb_buf *b);
