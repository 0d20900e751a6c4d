/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Small general helpers of the core: strings and slices, files and paths, a stable hash.
 *
 * Each other idea has its own header: macro.h (attributes), alloc.h (allocation and
 * _cleanup_free_), error.h (jb_error), buf.h (jb_buf), cursor.h (journal cursors), entry.h
 * (journal FIELD=value splitting). util.h still includes the first five, so that files which
 * included util.h for them keep building; new code includes what it uses. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "cursor.h"
#include "error.h"
#include "macro.h"

/* ---- strings, files and paths ---- */

/* s, or "" when s is NULL. */
static inline const char *jb_str_or_empty(const char *s) {
    return s ? s : "";
}

/* True when the n bytes at p equal the NUL-terminated string s (inline: strlen of a literal folds). */
static inline bool jb_slice_eq(const char *p, size_t n, const char *s) {
    return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* Parse a decimal unsigned integer from exactly the n bytes at p (no sign, no spaces).
 * 0 or -EINVAL / -ERANGE. */
int jb_parse_u64(const char *p, size_t n, uint64_t *ret);

/* Write all n bytes to fd, retrying after EINTR and short writes. 0 or a negative errno (some
 * bytes may have been written). */
int jb_write_all(int fd, const void *p, size_t n);

/* New string: the directory part of path ("." when it has no '/', "/" for a file in the root).
 * NULL on allocation failure. */
char *jb_path_dir(const char *path);

/* ---- hashing ---- */

/* 64-bit FNV-1a. Stable across versions and machines: resplit ids are made from it, and record ids
 * fold their "#seq" suffix into jb_cursor_hash() with it.
 * jb_hash64_update(h, p, n) continues a hash (start from JB_HASH64_INIT). */
#define JB_HASH64_INIT UINT64_C(14695981039346656037)
uint64_t jb_hash64_update(uint64_t h, const void *p, size_t n);
uint64_t jb_hash64(const void *p, size_t n);
