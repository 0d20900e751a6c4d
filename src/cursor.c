/* SPDX-License-Identifier: Apache-2.0 */
#include "cursor.h"

#include <string.h>

#include "hostpos.h"
#include "util.h"

/* The value of a hex digit, or -1. */
static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool jb_cursor_valid(const char *s) {
    static const char keys[] = "sibmtx";
    bool seen[sizeof keys - 1] = {false};

    if (!s) return false;
    for (const char *p = s;;) {
        const char *end = strchrnul(p, ';');
        size_t n = (size_t)(end - p);
        if (n < 3 || p[1] != '=') return false;
        const char *k = memchr(keys, p[0], sizeof keys - 1);
        if (!k) return false;
        size_t ki = (size_t)(k - keys);
        if (seen[ki]) return false;
        seen[ki] = true;
        size_t vlen = n - 2;
        /* s (seqnum id) and b (boot id) are 128-bit ids, the others 64-bit numbers */
        if (p[0] == 's' || p[0] == 'b') {
            if (vlen != 32) return false;
        } else if (vlen > 16) {
            return false;
        }
        for (size_t i = 2; i < n; i++)
            if (hex_value(p[i]) < 0) return false;
        if (!*end) break;
        p = end + 1;
    }
    for (size_t i = 0; i < sizeof seen; i++)
        if (!seen[i]) return false;
    return true;
}

/* The value of each hex digit ('0'-'9', 'a'-'f', 'A'-'F'), X (with bits above the low four) for
 * every other byte: a lookup per digit, no branch (the reader takes t= from every cursor). */
#define X 0x10
/* clang-format off */
static const unsigned char hex_digit_value[256] = {
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, X, X, X, X, X, X,
    X, 10, 11, 12, 13, 14, 15, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, 10, 11, 12, 13, 14, 15, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
/* clang-format on */
#undef X

/* 1-16 hex digits. */
static bool parse_hex(const char *p, size_t n, uint64_t *ret) {
    uint64_t v = 0;
    unsigned bad = 0;
    if (n == 0 || n > 16) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = hex_digit_value[(unsigned char)p[i]];
        bad |= d;
        v = v << 4 | (d & 15);
    }
    if (bad > 15) return false;
    *ret = v;
    return true;
}

bool jb_cursor_parse(const char *c, jb_cursor_pos *ret) {
    if (jb_hostpos_is(c)) return false; /* a position per host (hostpos.h) is no one journal's */
    jb_cursor_pos p = {NULL, 0, 0, 0};
    bool have_seqnum = false;
    while (*c) {
        const char *end = strchr(c, ';');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        if (n > 2 && c[1] == '=') {
            if (c[0] == 's') {
                p.seqnum_id = c + 2;
                p.seqnum_id_len = n - 2;
            } else if (c[0] == 'i') {
                have_seqnum = parse_hex(c + 2, n - 2, &p.seqnum);
            } else if (c[0] == 't' && !parse_hex(c + 2, n - 2, &p.realtime)) {
                p.realtime = 0;
            }
        }
        c += n;
        if (*c == ';') c++;
    }
    if (!p.seqnum_id || p.seqnum_id_len > JB_CURSOR_ID_MAX || !have_seqnum) return false;
    *ret = p;
    return true;
}

bool jb_cursor_realtime(const char *c, size_t n, uint64_t *ret) {
    /* sd-journal writes t= fifth of six: look from the end, field by field */
    size_t end = n;
    for (;;) {
        const char *semi = memrchr(c, ';', end);
        size_t start = semi ? (size_t)(semi - c) + 1 : 0;
        if (end - start > 2 && c[start] == 't' && c[start + 1] == '=')
            return parse_hex(c + start + 2, end - start - 2, ret);
        if (start == 0) return false;
        end = start - 1;
    }
}

bool jb_cursor_same_journal(const jb_cursor_pos *a, const jb_cursor_pos *b) {
    return a->seqnum_id_len == b->seqnum_id_len && memcmp(a->seqnum_id, b->seqnum_id, a->seqnum_id_len) == 0;
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
