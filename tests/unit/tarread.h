/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Reading back what tar.c writes, for test_tar and test_bundle: a .tar.gz gunzipped with zlib and
 * its ustar members walked, every header checked (magic, checksum) and the two zero blocks at the
 * end required. The archive as GNU tar reads it is checked by tests/integration/bundle.sh. */

#include <stdbool.h>
#include <zlib.h>

#include "testlib.h"

typedef struct tr_member {
    char name[300];
    const char *data; /* borrowed from the buffer tr_read() returns */
    size_t size;
} tr_member;

/* Read a whole .tar.gz into memory with zlib. */
static inline char *tr_gunzip_file(const char *path, size_t *ret_len) {
    gzFile gz = gzopen(path, "rb");
    assert_non_null(gz);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int n;
    while ((n = gzread(gz, buf + len, (unsigned)(cap - len))) > 0) {
        len += (size_t)n;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    assert_int_equal(n, 0);
    gzclose(gz);
    *ret_len = len;
    return buf;
}

/* Walk the ustar members: names (prefix/name), sizes, checksums, the two zero blocks at the end. */
static inline size_t tr_members(const char *t, size_t len, tr_member *out, size_t max) {
    size_t off = 0, n = 0;
    assert_int_equal(len % 512, 0);
    for (;;) {
        assert_true(off + 512 <= len);
        const unsigned char *h = (const unsigned char *)t + off;
        bool zero = true;
        for (int i = 0; i < 512 && zero; i++) zero = h[i] == 0;
        if (zero) {
            assert_true(off + 1024 <= len);
            for (int i = 512; i < 1024; i++) assert_int_equal(t[off + i], 0);
            break;
        }
        assert_memory_equal(h + 257,
                            "ustar\0"
                            "00",
                            8);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
        assert_int_equal(strtoul((const char *)h + 148, NULL, 8), sum);
        assert_true(n < max);
        tr_member *m = &out[n++];
        if (h[345])
            snprintf(m->name, sizeof m->name, "%.155s/%.100s", (const char *)h + 345, (const char *)h);
        else
            snprintf(m->name, sizeof m->name, "%.100s", (const char *)h);
        m->size = strtoull((const char *)h + 124, NULL, 8);
        m->data = t + off + 512;
        off += 512 + (m->size + 511) / 512 * 512;
    }
    return n;
}

/* The archive at path, gunzipped and walked: its members (up to max) into out, the number of
 * members returned; *ret_data the buffer the members point into (the caller frees it). */
static inline size_t tr_read(const char *path, tr_member *out, size_t max, char **ret_data) {
    size_t len = 0;
    *ret_data = tr_gunzip_file(path, &len);
    return tr_members(*ret_data, len, out, max);
}
