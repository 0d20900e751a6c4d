/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The one UTF-8 decoder of the core (structured data values, JSON escaping). Inline: the SD
 * encoder calls it for every byte that is not plain ASCII, and a caller that does not want the
 * code point lets the compiler drop its computation. */

#include <stddef.h>
#include <stdint.h>

/* Decode the well-formed UTF-8 sequence that starts at p (n bytes available, n >= 1): returns its
 * length (1 to 4) and writes its code point to *ret_cp, or returns 0 (and leaves *ret_cp alone)
 * when the bytes there are not one: overlong forms, surrogates, code points above U+10FFFF, stray
 * continuation bytes, truncated sequences. ASCII gives 1. */
static inline size_t jb_utf8_decode(const unsigned char *p, size_t n, uint32_t *ret_cp) {
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    uint32_t cp;

    if (c < 0x80) {
        *ret_cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0F;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0; /* continuation byte, C0/C1 (always overlong), F5-FF */
    }
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    for (size_t i = 1; i < len; i++) cp = (cp << 6) | (p[i] & 0x3F);
    *ret_cp = cp;
    return len;
}
