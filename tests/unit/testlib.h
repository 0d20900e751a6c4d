/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Helpers for the cmocka unit tests: file-driven cases live in tests/unit/data/<suite>/, an input
 * file NAME.in beside the expected output NAME.out. JB_SRCDIR (set by make check) locates them. */

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

/* Allocation failure, the one hook of the unit tests. tl_fail_after(N): the core's allocations
 * (jb_malloc and jb_realloc, and jansson's, which go through them) succeed N times and fail from
 * then on. tl_fail_once_after(N): only the one after N fails, later ones succeed again (harder on
 * cleanup paths than failing everything after it). tl_count_allocs(): none fails, all counted.
 * tl_fail_off(): the libc allocator again. tl_alloc_budget is what is left before the failure
 * (-1: none to come; after a tl_fail_once_after() it tells whether the failure happened), and
 * tl_alloc_count the allocations seen since the last tl_fail_* or tl_count_allocs call. While
 * tl_alloc_paused is set (around the test's own use of the core), allocations are neither counted
 * nor failed. */
static long tl_alloc_budget = -1;
static long tl_alloc_count;
static bool tl_alloc_once, tl_alloc_paused;

static inline bool tl_alloc_fails(void) {
    if (tl_alloc_paused) return false;
    tl_alloc_count++;
    if (tl_alloc_budget < 0) return false;
    if (tl_alloc_budget > 0) {
        tl_alloc_budget--;
        return false;
    }
    if (tl_alloc_once) tl_alloc_budget = -1;
    return true;
}

static inline void *tl_fail_malloc(size_t n) {
    return tl_alloc_fails() ? NULL : malloc(n);
}

static inline void *tl_fail_realloc(void *p, size_t n) {
    return tl_alloc_fails() ? NULL : realloc(p, n);
}

static inline void tl_alloc_hook(long budget, bool once) {
    tl_alloc_budget = budget;
    tl_alloc_once = once;
    tl_alloc_count = 0;
    jb_set_alloc_funcs(tl_fail_malloc, tl_fail_realloc, NULL);
}

static inline void tl_fail_after(long n) {
    tl_alloc_hook(n, false);
}

static inline void tl_fail_once_after(long n) {
    tl_alloc_hook(n, true);
}

static inline void tl_count_allocs(void) {
    tl_alloc_hook(-1, false);
}

static inline void tl_fail_off(void) {
    jb_set_alloc_funcs(NULL, NULL, NULL);
    tl_alloc_budget = -1;
}

/* The C escapes of .in files: \n \r \t \0 \\ \xHH; any other escaped byte stands for itself. */
static inline int tl_hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Unescape n bytes at p into a new malloc'd NUL-terminated buffer; *ret_len the decoded length. */
static inline char *tl_unescape(const char *p, size_t n, size_t *ret_len) {
    char *out = malloc(n + 1);
    size_t o = 0;
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\\' || i + 1 == n) {
            out[o++] = p[i];
            continue;
        }
        char c = p[++i];
        switch (c) {
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case '0':
            out[o++] = '\0';
            break;
        case '\\':
            out[o++] = '\\';
            break;
        case 'x': {
            int hi = i + 1 < n ? tl_hex(p[i + 1]) : -1, lo = i + 2 < n ? tl_hex(p[i + 2]) : -1;
            if (hi < 0 || lo < 0) fail_msg("bad \\x escape in %.*s", (int)n, p);
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
            break;
        }
        default:
            fail_msg("unknown escape \\%c in %.*s", c, (int)n, p);
        }
    }
    out[o] = 0;
    if (ret_len) *ret_len = o;
    return out;
}

/* The inverse, for dumps: those escapes, and \xHH for the other control bytes (and with ascii_only
 * for every byte over 0x7e). */
static inline void tl_dump_escaped(FILE *f, const char *p, size_t n, bool ascii_only) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\\')
            fputs("\\\\", f);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f || (ascii_only && c > 0x7f))
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}

static inline void tl_dump_bytes(FILE *f, const char *p, size_t n) {
    tl_dump_escaped(f, p, n, false);
}

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

/* DIR/NAME.in whole, as tl_read_file gives it; fails the test when it cannot be read. */
static inline char *tl_read_case(const char *dir, const char *name, size_t *ret_len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.in", dir, name);
    char *text = tl_read_file(path, ret_len);
    if (!text) fail_msg("cannot read %s", path);
    return text;
}

/* Compare got with DIR/NAME.out (tl_expect_file). For writing a new case, JB_UPDATE_EXPECTED=1 in
 * the environment writes NAME.out first: review it before committing. */
static inline void tl_expect_case(const char *dir, const char *name, const char *got, size_t got_len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.out", dir, name);
    if (getenv("JB_UPDATE_EXPECTED")) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fwrite(got, 1, got_len, f);
        fclose(f);
    }
    tl_expect_file(path, got, got_len);
}

/* The next line of text[0..n) from *pos on that is neither empty nor a '#' comment, without its
 * newline: *ret_line and *ret_len, *pos moved past it. False at the end of the text. */
static inline bool tl_next_line(const char *text, size_t n, size_t *pos, const char **ret_line, size_t *ret_len) {
    while (*pos < n) {
        const char *nl = memchr(text + *pos, '\n', n - *pos);
        size_t end = nl ? (size_t)(nl - text) : n;
        const char *line = text + *pos;
        size_t len = end - *pos;
        *pos = end + 1;
        if (len == 0 || line[0] == '#') continue;
        *ret_line = line;
        *ret_len = len;
        return true;
    }
    return false;
}

/* Calls fn(line, len) for every line of the table data/<suite>/FILE that is neither empty nor a
 * '#' comment (without its newline). Returns the number of lines; fails the test when the table
 * cannot be read. */
static inline size_t tl_each_line(const char *suite, const char *file, void (*fn)(const char *line, size_t len)) {
    char dir[4096], path[4200];
    tl_data_dir(suite, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    size_t n, len, pos = 0, count = 0;
    char *text = tl_read_file(path, &n);
    if (!text) fail_msg("cannot read %s", path);
    const char *line;
    while (tl_next_line(text, n, &pos, &line, &len)) {
        fn(line, len);
        count++;
    }
    free(text);
    return count;
}
