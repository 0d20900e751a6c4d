/* SPDX-License-Identifier: Apache-2.0 */
#include "json-write.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* "\uXXXX" for cp, or the surrogate pair of a code point above the BMP. */
static int append_u(jb_buf *out, uint32_t cp) {
    char u[16];
    int len;
    if (cp >= 0x10000)
        len = snprintf(u, sizeof u, "\\u%04x\\u%04x", (unsigned)(0xD800 + ((cp - 0x10000) >> 10)),
                       (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    else
        len = snprintf(u, sizeof u, "\\u%04x", (unsigned)cp);
    return jb_buf_append(out, u, (size_t)len);
}

int jb_json_escape(jb_buf *out, const char *s, size_t n, bool ascii) {
    static const char plain[] = "\"\\\n\r\t\b\f", letter[] = "\"\\nrtbf"; /* the short escapes */
    const unsigned char *p = (const unsigned char *)s;
    int r = 0;
    for (size_t i = 0; i < n && r >= 0;) {
        uint32_t cp;
        size_t len = jb_utf8_decode(p + i, n - i, &cp);
        if (len == 0) return -EINVAL;
        const char *e = memchr(plain, p[i], sizeof plain - 1);
        if (e) {
            char esc[2] = {'\\', letter[e - plain]};
            r = jb_buf_append(out, esc, 2);
        } else if (cp < 0x20 || (ascii && (cp >= 0x80 || memchr("<>&'", p[i], 4)))) {
            r = append_u(out, cp);
        } else {
            r = jb_buf_append(out, s + i, len);
        }
        i += len;
    }
    return r;
}

/* A new line and the indentation of depth. */
static int newline(jb_buf *out, unsigned depth) {
    int r = jb_buf_putc(out, '\n');
    for (unsigned i = 0; i < depth && r >= 0; i++) r = jb_buf_append(out, "  ", 2);
    return r;
}

/* s, escaped, between quotes. */
static int append_string(jb_buf *out, const char *s) {
    int r = jb_buf_putc(out, '"');
    if (r >= 0) r = jb_json_escape(out, s, strlen(s), false);
    if (r >= 0) r = jb_buf_putc(out, '"');
    return r;
}

/* What comes before a value inside an object or array: ",", a new line and the indentation, and
 * the key. */
static int member(jb_json_writer *w, const char *key) {
    if (w->error < 0 || w->depth == 0) return w->error;
    int r = w->first ? 0 : jb_buf_putc(w->out, ',');
    if (r >= 0) r = newline(w->out, w->depth);
    if (r >= 0 && key) r = append_string(w->out, key);
    if (r >= 0 && key) r = jb_buf_append(w->out, ": ", 2);
    w->first = false;
    return w->error = r;
}

int jb_json_open(jb_json_writer *w, const char *key, char bracket) {
    if (member(w, key) < 0 || (w->error = jb_buf_putc(w->out, bracket)) < 0) return w->error;
    w->depth++;
    w->first = true;
    return 0;
}

int jb_json_close(jb_json_writer *w, char bracket) {
    if (w->error < 0) return w->error;
    w->depth--;
    int r = w->first ? 0 : newline(w->out, w->depth);
    if (r >= 0) r = jb_buf_putc(w->out, bracket);
    w->first = false;
    return w->error = r;
}

int jb_json_string(jb_json_writer *w, const char *key, const char *value) {
    if (member(w, key) < 0) return w->error;
    return w->error = value ? append_string(w->out, value) : jb_buf_append(w->out, "null", 4);
}

int jb_json_uint(jb_json_writer *w, const char *key, uint64_t value) {
    if (member(w, key) < 0) return w->error;
    return w->error = jb_buf_printf(w->out, "%" PRIu64, value);
}

int jb_json_bool(jb_json_writer *w, const char *key, bool value) {
    if (member(w, key) < 0) return w->error;
    return w->error = jb_buf_puts(w->out, value ? "true" : "false");
}
