/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Small helpers shared by the core: allocation (with a hook so tests can fail the Nth
 * allocation), cleanup attributes, a growable byte buffer, error reporting, FIELD=value
 * splitting and a stable hash. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JB_EXPORT __attribute__((visibility("default")))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define JB_ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Returns the pointer held in *pp and sets *pp to NULL, so a cleanup handler no longer owns it. */
#define TAKE_PTR(p)               \
    ({                            \
        __typeof__(p) _tp_ = (p); \
        (p) = NULL;               \
        _tp_;                     \
    })

/* ---- allocation ---- */

/* All allocations of the core go through these. jb_set_alloc_funcs() replaces them (NULL restores
 * the libc ones); the allocation-failure tests use it. jansson is pointed at the same functions. */
typedef void *(*jb_malloc_fn)(size_t n);
typedef void *(*jb_realloc_fn)(void *p, size_t n);
typedef void (*jb_free_fn)(void *p);
void jb_set_alloc_funcs(jb_malloc_fn m, jb_realloc_fn r, jb_free_fn f);
void *jb_malloc(size_t n);
void *jb_calloc(size_t nmemb, size_t size);
void *jb_realloc(void *p, size_t n);
void jb_free(void *p);
/* New NUL-terminated copy of n bytes (which may contain NULs); NULL on allocation failure. */
char *jb_strndup(const char *s, size_t n);
char *jb_strdup(const char *s);

static inline void jb_freep(void *p) {
    jb_free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(jb_freep)

/* ---- errors ---- */

/* Where a caller must be able to tell a user why something failed, functions take a jb_error
 * (may be NULL). The library never logs: adapters print err->msg once. */
typedef struct jb_error {
    int code; /* negative errno */
    char msg[512];
} jb_error;

/* Formats the message into err (if not NULL) and returns code, which must be a negative errno. */
int jb_error_set(jb_error *err, int code, const char *fmt, ...) _printf_(3, 4);

/* ---- growable buffer ---- */

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
void jb_buf_free(jb_buf *b);
/* Hand the data over to the caller (NUL-terminated; an empty buffer gives ""), leaves b empty. */
char *jb_buf_steal(jb_buf *b);

/* ---- strings, files and paths ---- */

/* s, or "" when s is NULL. */
static inline const char *jb_str_or_empty(const char *s) {
    return s ? s : "";
}

/* Write all n bytes to fd, retrying after EINTR and short writes. 0 or a negative errno (some
 * bytes may have been written). */
int jb_write_all(int fd, const void *p, size_t n);

/* New string: the directory part of path ("." when it has no '/', "/" for a file in the root).
 * NULL on allocation failure. */
char *jb_path_dir(const char *path);

/* ---- journal data ---- */

/* Split journal data "FIELD=value" (not NUL-terminated, n bytes) at the first '='.
 * Returns 0 and the name and value slices, or -EBADMSG when there is no '=' or the name is empty.
 * The slices borrow from data. */
int jb_field_split(const void *data, size_t n, const char **ret_name, size_t *ret_name_len, const char **ret_value,
                   size_t *ret_value_len);

/* True when the n bytes at p equal the NUL-terminated string s (inline: strlen of a literal folds). */
static inline bool jb_slice_eq(const char *p, size_t n, const char *s) {
    return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* Parse a decimal unsigned integer from exactly the n bytes at p (no sign, no spaces).
 * 0 or -EINVAL / -ERANGE. */
int jb_parse_u64(const char *p, size_t n, uint64_t *ret);

/* 64-bit FNV-1a. Stable across versions and machines: resplit ids are made from it, and record ids
 * fold their "#seq" suffix into jb_cursor_hash() with it.
 * jb_hash64_update(h, p, n) continues a hash (start from JB_HASH64_INIT). */
#define JB_HASH64_INIT UINT64_C(14695981039346656037)
uint64_t jb_hash64_update(uint64_t h, const void *p, size_t n);
uint64_t jb_hash64(const void *p, size_t n);

/* The hash of a journal cursor that record ids start from: 8 bytes per step (FNV-1a's one byte
 * per multiply was 2.5% of rsyslogd's CPU over a backlog), the bytes read in little-endian order
 * whatever the machine, so ids are the same everywhere. Stable across versions. */
uint64_t jb_cursor_hash(const void *p, size_t n);
