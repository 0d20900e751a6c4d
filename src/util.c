/* SPDX-License-Identifier: Apache-2.0 */
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static jb_malloc_fn alloc_malloc = malloc;
static jb_realloc_fn alloc_realloc = realloc;
static jb_free_fn alloc_free = free;

void jb_set_alloc_funcs(jb_malloc_fn m, jb_realloc_fn r, jb_free_fn f) {
    alloc_malloc = m ? m : malloc;
    alloc_realloc = r ? r : realloc;
    alloc_free = f ? f : free;
}

void *jb_malloc(size_t n) {
    return alloc_malloc(n ? n : 1);
}

void *jb_calloc(size_t nmemb, size_t size) {
    if (size && nmemb > SIZE_MAX / size) return NULL;
    void *p = jb_malloc(nmemb * size);
    if (p) memset(p, 0, nmemb * size);
    return p;
}

void *jb_realloc(void *p, size_t n) {
    return alloc_realloc(p, n ? n : 1);
}

void jb_free(void *p) {
    if (p) alloc_free(p);
}

char *jb_strndup(const char *s, size_t n) {
    if (n == SIZE_MAX) return NULL;
    char *d = jb_malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *jb_strdup(const char *s) {
    return jb_strndup(s, strlen(s));
}

int jb_error_set(jb_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

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

void jb_buf_free(jb_buf *b) {
    jb_free(b->data);
    *b = (jb_buf)JB_BUF_INIT;
}

char *jb_buf_steal(jb_buf *b) {
    char *d = b->data;
    if (!d) return jb_strdup("");
    *b = (jb_buf)JB_BUF_INIT;
    return d;
}

int jb_field_split(const void *data, size_t n, const char **ret_name, size_t *ret_name_len, const char **ret_value,
                   size_t *ret_value_len) {
    const char *p = data;
    const char *eq = memchr(p, '=', n);
    if (!eq || eq == p) return -EBADMSG;
    *ret_name = p;
    *ret_name_len = (size_t)(eq - p);
    *ret_value = eq + 1;
    *ret_value_len = n - (size_t)(eq - p) - 1;
    return 0;
}

int jb_parse_u64(const char *p, size_t n, uint64_t *ret) {
    if (n == 0) return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -EINVAL;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -ERANGE;
        v = v * 10 + d;
    }
    *ret = v;
    return 0;
}

uint64_t jb_hash64(const void *p, size_t n) {
    return jb_hash64_update(JB_HASH64_INIT, p, n);
}

uint64_t jb_cursor_hash(const void *p, size_t n) {
    const unsigned char *s = p;
    const uint64_t k = UINT64_C(0x9e3779b97f4a7c15);
    uint64_t h = JB_HASH64_INIT ^ (uint64_t)n;
    for (; n >= 8; n -= 8, s += 8) {
        uint64_t w = (uint64_t)s[0] | (uint64_t)s[1] << 8 | (uint64_t)s[2] << 16 | (uint64_t)s[3] << 24 |
                     (uint64_t)s[4] << 32 | (uint64_t)s[5] << 40 | (uint64_t)s[6] << 48 | (uint64_t)s[7] << 56;
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    for (; n > 0; n--, s++) h = (h ^ *s) * UINT64_C(1099511628211);
    h ^= h >> 32;
    h *= k;
    h ^= h >> 29;
    return h;
}

uint64_t jb_hash64_update(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

int jb_write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

char *jb_path_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return jb_strdup(".");
    if (slash == path) return jb_strdup("/");
    return jb_strndup(path, (size_t)(slash - path));
}
