/* SPDX-License-Identifier: Apache-2.0 */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
