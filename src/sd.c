/* SPDX-License-Identifier: Apache-2.0 */
#include "sd.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence that starts at p (n bytes available, n >= 1), or 0 when
 * the bytes there are not one (overlong forms, surrogates, code points above U+10FFFF, stray
 * continuation bytes, truncated sequences). ASCII gives 1. */
static size_t utf8_seq_len(const unsigned char *p, size_t n) {
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */

    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0; /* continuation byte, C0/C1 (always overlong), F5-FF */
    }
    if (n < len) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return len;
}

static bool is_name_char(unsigned char c) {
    return c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"';
}

void jb_sd_name(const char *p, size_t n, size_t max, char *out) {
    if (max < 1) max = 1;
    if (max > JB_SD_NAME_MAX) max = JB_SD_NAME_MAX;
    if (!p) n = 0;
    if (n > max) n = max;
    if (n == 0) {
        out[0] = '_';
        out[1] = 0;
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = is_name_char((unsigned char)p[i]) ? p[i] : '_';
    out[n] = 0;
}

int jb_sd_append_value(jb_buf *out, const char *p, size_t n) {
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *s = (const unsigned char *)p;
    size_t run = 0; /* start of the pending run of bytes copied as they are */
    int r;

    /* Most values need no escaping: one reservation for the common case. */
    r = jb_buf_reserve(out, n);
    if (r < 0) return r;

    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != ']') { /* the common case, inline */
            i++;
            continue;
        }
        size_t len = utf8_seq_len(s + i, n - i);
        char esc[5];
        const char *rep = NULL;
        size_t rep_len = 0;

        if (len == 1 && (c < 0x20 || c == 0x7f)) {
            snprintf(esc, sizeof esc, "#%03o", c);
            rep = esc;
            rep_len = 4;
        } else if (c == '"' || c == '\\' || c == ']') {
            esc[0] = '\\';
            esc[1] = (char)c;
            rep = esc;
            rep_len = 2;
        } else if (len == 0) {
            rep = replacement;
            rep_len = 3;
            len = 1;
        }
        if (!rep) {
            i += len;
            continue;
        }
        r = jb_buf_append(out, p + run, i - run);
        if (r < 0) return r;
        r = jb_buf_append(out, rep, rep_len);
        if (r < 0) return r;
        i += len;
        run = i;
    }
    return jb_buf_append(out, p + run, n - run);
}

static const char *str_or_empty(const char *s) {
    return s ? s : "";
}

static int append_param(jb_buf *out, const char *name, const char *value, size_t value_len) {
    char safe[JB_SD_NAME_MAX + 1];
    int r;

    jb_sd_name(name, name ? strlen(name) : 0, JB_SD_NAME_MAX, safe);
    size_t n = strlen(safe);
    /* ' ' NAME '=' '"' (n + 3 bytes; reserve adds the NUL) */
    r = jb_buf_reserve(out, n + 3);
    if (r < 0) return r;
    out->data[out->len++] = ' ';
    memcpy(out->data + out->len, safe, n);
    out->len += n;
    out->data[out->len++] = '=';
    out->data[out->len++] = '"';
    out->data[out->len] = 0;
    r = jb_sd_append_value(out, value, value_len);
    if (r < 0) return r;
    return jb_buf_putc(out, '"');
}

static int append_param_str(jb_buf *out, const char *name, const char *value) {
    value = str_or_empty(value);
    return append_param(out, name, value, strlen(value));
}

static int append_sd_id(jb_buf *out, const char *name, unsigned pen) {
    char buf[16];
    size_t i = sizeof buf;
    do {
        buf[--i] = (char)('0' + pen % 10);
        pen /= 10;
    } while (pen);
    int r = jb_buf_putc(out, '[');
    if (r >= 0) r = jb_buf_puts(out, name);
    if (r >= 0) r = jb_buf_putc(out, '@');
    if (r >= 0) r = jb_buf_append(out, buf + i, sizeof buf - i);
    return r;
}

static int sd_build(const jb_record *rec, unsigned pen, jb_buf *out) {
    const jb_audit *audit = rec->audit;
    int r;

    if (rec->container_name && rec->container_name[0]) {
        r = append_sd_id(out, "container", pen);
        if (r < 0) return r;
        r = append_param_str(out, "name", rec->container_name);
        if (r < 0) return r;
        r = append_param_str(out, "id", rec->container_id);
        if (r < 0) return r;
        r = append_param_str(out, "image", rec->image);
        if (r < 0) return r;
        r = jb_buf_putc(out, ']');
        if (r < 0) return r;
    }

    r = append_sd_id(out, "jbridge", pen);
    if (r < 0) return r;
    r = append_param_str(out, "id", rec->record_id);
    if (r < 0) return r;
    r = append_param_str(out, "stream", jb_stream_name(rec->stream));
    if (r < 0) return r;
    if (audit && audit->kind == JB_AUDIT_MALFORMED) {
        r = append_param_str(out, "audit", "malformed");
        if (r < 0) return r;
        r = append_param_str(out, "reason", audit->reason);
        if (r < 0) return r;
    }
    if (rec->line != JB_LINE_WHOLE) {
        char pieces[16];
        snprintf(pieces, sizeof pieces, "%u", rec->pieces);
        r = append_param_str(out, "line", jb_line_kind_name(rec->line));
        if (r < 0) return r;
        r = append_param_str(out, "pieces", pieces);
        if (r < 0) return r;
    }
    if (rec->part > 0) {
        char part[16];
        snprintf(part, sizeof part, "%u", rec->part);
        r = append_param_str(out, "part", part);
        if (r < 0) return r;
    }
    r = jb_buf_putc(out, ']');
    if (r < 0) return r;

    if (audit && audit->kind != JB_AUDIT_NONE && audit->n_fields > 0) {
        r = append_sd_id(out, "audit", pen);
        if (r < 0) return r;
        for (size_t i = 0; i < audit->n_fields; i++) {
            const jb_field *f = &audit->fields[i];
            r = append_param(out, f->name, f->value ? f->value : "", f->value ? f->value_len : 0);
            if (r < 0) return r;
        }
        r = jb_buf_putc(out, ']');
        if (r < 0) return r;
    }
    return 0;
}

int jb_sd_build(const jb_record *rec, unsigned pen, jb_buf *out) {
    size_t old_len = out->len;
    int r = sd_build(rec, pen ? pen : JB_SD_DEFAULT_PEN, out);
    if (r < 0 && out->data) {
        /* Leave the buffer as it was: never half an element. */
        out->len = old_len;
        out->data[old_len] = 0;
    }
    return r;
}

/* ---- validation ---- */

/* Parse an SD-NAME (SD-ID or PARAM-NAME) at s[*pos]: 1 to 32 name characters. */
static int parse_name(const char *s, size_t n, size_t *pos, const char **ret_name, size_t *ret_len) {
    size_t start = *pos, i = *pos;
    while (i < n && is_name_char((unsigned char)s[i]) && s[i] != ' ') i++;
    if (i == start || i - start > JB_SD_NAME_MAX) return -EBADMSG;
    *ret_name = s + start;
    *ret_len = i - start;
    *pos = i;
    return 0;
}

/* Parse PARAM-VALUE after its opening quote, up to and including the closing quote. */
static int parse_value(const char *s, size_t n, size_t *pos) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = *pos;
    while (i < n) {
        unsigned char c = u[i];
        if (c == '"') {
            *pos = i + 1;
            return 0;
        }
        if (c == ']') return -EBADMSG; /* must be escaped */
        if (c == '\\') {
            /* \" \\ \] are escapes; a backslash before anything else is a plain backslash. */
            if (i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == ']'))
                i += 2;
            else
                i++;
            continue;
        }
        size_t len = utf8_seq_len(u + i, n - i);
        if (len == 0) return -EBADMSG;
        i += len;
    }
    return -EBADMSG; /* no closing quote */
}

/* Parse one SD-ELEMENT starting at s[*pos] (which must be '['). */
static int parse_element(const char *s, size_t n, size_t *pos, const char **ret_id, size_t *ret_id_len) {
    size_t i = *pos;
    const char *id, *name;
    size_t id_len, name_len;
    int r;

    if (i >= n || s[i] != '[') return -EBADMSG;
    i++;
    r = parse_name(s, n, &i, &id, &id_len);
    if (r < 0) return r;
    for (;;) {
        if (i >= n) return -EBADMSG;
        if (s[i] == ']') break;
        if (s[i] != ' ') return -EBADMSG;
        i++;
        r = parse_name(s, n, &i, &name, &name_len);
        if (r < 0) return r;
        if (i + 1 >= n || s[i] != '=' || s[i + 1] != '"') return -EBADMSG;
        i += 2;
        r = parse_value(s, n, &i);
        if (r < 0) return r;
    }
    *pos = i + 1;
    *ret_id = id;
    *ret_id_len = id_len;
    return 0;
}

#define SEEN_MAX 64

int jb_sd_validate(const char *s, size_t n) {
    struct {
        const char *p;
        size_t n;
    } seen[SEEN_MAX];
    size_t n_elements = 0, pos = 0;

    if (!s || n == 0) return -EBADMSG;
    if (n == 1 && s[0] == '-') return 0;

    while (pos < n) {
        const char *id;
        size_t id_len;
        int r = parse_element(s, n, &pos, &id, &id_len);
        if (r < 0) return r;

        /* SD-IDs are unique. The first SEEN_MAX are remembered; past them (rare, hostile input),
         * earlier elements are parsed again from the start, which needs no memory. */
        size_t known = n_elements < SEEN_MAX ? n_elements : SEEN_MAX;
        for (size_t k = 0; k < known; k++)
            if (seen[k].n == id_len && memcmp(seen[k].p, id, id_len) == 0) return -EBADMSG;
        if (n_elements >= SEEN_MAX) {
            size_t q = 0;
            for (size_t k = 0; k < n_elements; k++) {
                const char *prev;
                size_t prev_len;
                if (parse_element(s, n, &q, &prev, &prev_len) < 0) return -EBADMSG; /* cannot happen */
                if (k >= SEEN_MAX && prev_len == id_len && memcmp(prev, id, id_len) == 0) return -EBADMSG;
            }
        } else {
            seen[n_elements].p = id;
            seen[n_elements].n = id_len;
        }
        n_elements++;
    }
    return 0;
}
