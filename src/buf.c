/* SPDX-License-Identifier: Apache-2.0 */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "alloc.h"

int jb_buf_reserve(jb_buf *b, size_t n) {
    return jb_buf_reserve_inline(b, n);
}

int jb__buf_grow(jb_buf *b, size_t n) {
    if (n > SIZE_MAX - b->len - 1) return -ENOMEM;
    size_t need = b->len + n + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *d = jb_realloc(b->data, cap);
    if (!d) return -ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int jb_buf_puts(jb_buf *b, const char *s) {
    return jb_buf_append(b, s, strlen(s));
}

int jb_buf_printf(jb_buf *b, const char *fmt, ...) {
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return -EINVAL;
    if ((size_t)n < sizeof small) return jb_buf_append(b, small, (size_t)n);
    int r = jb_buf_reserve(b, (size_t)n);
    if (r < 0) return r;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void jb_buf_reset(jb_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void jb_buf_done(jb_buf *b) {
    jb_free(b->data);
    *b = (jb_buf)JB_BUF_INIT;
}

char *jb_buf_steal(jb_buf *b) {
    char *d = b->data;
    if (!d) return jb_strdup("");
    *b = (jb_buf)JB_BUF_INIT;
    return d;
}
