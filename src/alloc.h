/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Allocation: all allocations of the core go through these, with a hook so tests can fail the Nth
 * one. jb_set_alloc_funcs() replaces them (NULL restores the libc ones). audit-json.c points the
 * JSON parser at the same functions once, before its first parse. */

#include <stddef.h>

#include "macro.h"

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

/* For _cleanup_free_: frees the pointer held in *p. */
static inline void jb_freep(void *p) {
    jb_free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(jb_freep)
