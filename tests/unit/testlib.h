/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Helpers for the cmocka unit tests: file-driven cases live in tests/unit/data/<suite>/, an input
 * file NAME.in beside the expected output NAME.out. JB_SRCDIR (set by make check) locates them. */

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Whole file as a NUL-terminated buffer; *ret_len without the NUL. NULL if it cannot be read. */
static inline char *tl_read_file(const char *path, size_t *ret_len) {
    if (ret_len) *ret_len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n < 4096) break;
    }
    fclose(f);
    buf[len] = 0;
    if (ret_len) *ret_len = len;
    return buf;
}

/* Directory of the data of one suite: $JB_SRCDIR/tests/unit/data/<suite> (or ./tests/... ). */
static inline void tl_data_dir(const char *suite, char *out, size_t size) {
    const char *src = getenv("JB_SRCDIR");
    snprintf(out, size, "%s/tests/unit/data/%s", src ? src : ".", suite);
}

static int tl_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls fn(dir, name-without-.in) for every NAME.in in the suite's directory, in name order.
 * Returns the number of cases; fails the test when there are none. */
static inline size_t tl_each_case(const char *suite, void (*fn)(const char *dir, const char *name)) {
    char dir[4096];
    tl_data_dir(suite, dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s", dir);
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 3 && strcmp(de->d_name + l - 3, ".in") == 0) {
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strndup(de->d_name, l - 3);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, tl_cmp);
    for (size_t i = 0; i < n; i++) {
        fn(dir, names[i]);
        free(names[i]);
    }
    free(names);
    if (n == 0) fail_msg("no cases in %s", dir);
    return n;
}

/* Compare got with the expected file; on mismatch print both and fail. */
static inline void tl_expect_file(const char *path, const char *got, size_t got_len) {
    size_t exp_len = 0;
    char *exp = tl_read_file(path, &exp_len);
    if (!exp) fail_msg("missing expected file %s (got:\n%.*s)", path, (int)got_len, got);
    if (exp_len != got_len || memcmp(exp, got, got_len) != 0) {
        print_error("%s differs.\n--- expected\n%s\n--- got\n%.*s\n", path, exp, (int)got_len, got);
        free(exp);
        fail();
    }
    free(exp);
}
