/* SPDX-License-Identifier: Apache-2.0 */
#include "pattern.h"

#include <stdio.h>
#include <string.h>

typedef enum item_kind {
    ITEM_LITERAL,
    ITEM_FIELD, /* %{name} */
    ITEM_SKIP,  /* %{} */
    ITEM_CONST, /* %{name=value} */
} item_kind;

typedef struct item {
    item_kind kind;
    char *name; /* FIELD, CONST */
    char *text; /* LITERAL: the text; CONST: the value */
    size_t len; /* of text */
} item;

struct jb_pattern {
    char *source;
    item items[JB_PATTERN_MAX_ITEMS];
    size_t n;
};

jb_pattern *jb_pattern_free(jb_pattern *p) {
    if (!p) return NULL;
    for (size_t i = 0; i < p->n; i++) {
        jb_free(p->items[i].name);
        jb_free(p->items[i].text);
    }
    jb_free(p->source);
    jb_free(p);
    return NULL;
}

const char *jb_pattern_text(const jb_pattern *p) {
    return p->source;
}

static bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

static int add_item(jb_pattern *p, item_kind kind, const char *name, size_t name_len, const char *text, size_t text_len,
                    jb_error *err) {
    if (p->n == JB_PATTERN_MAX_ITEMS)
        return jb_error_set(err, -EINVAL, "pattern '%s': more than %d items", p->source, JB_PATTERN_MAX_ITEMS);
    item *it = &p->items[p->n];
    it->kind = kind;
    if (name) {
        it->name = jb_strndup(name, name_len);
        if (!it->name) return jb_error_set(err, -ENOMEM, "out of memory");
    }
    if (text) {
        it->text = jb_strndup(text, text_len);
        if (!it->text) {
            it->name = (jb_free(it->name), NULL);
            return jb_error_set(err, -ENOMEM, "out of memory");
        }
        it->len = text_len;
    }
    p->n++;
    return 0;
}

/* Parse "%{...}" at s[i] (s[i] == '%', s[i+1] == '{'); returns the index after '}'. */
static int parse_field(jb_pattern *p, const char *s, size_t i, size_t *ret_next, jb_error *err) {
    const char *close = strchr(s + i + 2, '}');
    if (!close) return jb_error_set(err, -EINVAL, "pattern '%s': '%%{' at offset %zu is not closed", s, i);
    const char *body = s + i + 2;
    size_t blen = (size_t)(close - body);
    const char *eq = memchr(body, '=', blen);
    size_t nlen = eq ? (size_t)(eq - body) : blen;
    if (blen == 0) {
        *ret_next = (size_t)(close - s) + 1;
        return add_item(p, ITEM_SKIP, NULL, 0, NULL, 0, err);
    }
    if (nlen == 0 || nlen > 32)
        return jb_error_set(err, -EINVAL, "pattern '%s': the field name at offset %zu must have 1 to 32 characters", s,
                            i);
    for (size_t k = 0; k < nlen; k++)
        if (!name_char(body[k]))
            return jb_error_set(err, -EINVAL,
                                "pattern '%s': field name at offset %zu: only A-Z a-z 0-9 _ . - are allowed", s, i);
    *ret_next = (size_t)(close - s) + 1;
    if (eq) return add_item(p, ITEM_CONST, body, nlen, eq + 1, blen - nlen - 1, err);
    return add_item(p, ITEM_FIELD, body, nlen, NULL, 0, err);
}

int jb_pattern_new(const char *text, jb_pattern **ret, jb_error *err) {
    if (!text) return jb_error_set(err, -EINVAL, "no pattern given");
    jb_pattern *p = jb_calloc(1, sizeof *p);
    if (!p) return jb_error_set(err, -ENOMEM, "out of memory");
    p->source = jb_strdup(text);
    if (!p->source) {
        jb_pattern_free(p);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    jb_buf lit = JB_BUF_INIT;
    int r = 0;
    size_t i = 0, n = strlen(text);
    bool any_literal = false;
    while (r >= 0 && i <= n) {
        bool field = i + 1 < n && text[i] == '%' && text[i + 1] == '{';
        if (i == n || field) {
            if (lit.len > 0) {
                r = add_item(p, ITEM_LITERAL, NULL, 0, lit.data, lit.len, err);
                any_literal = true;
                jb_buf_reset(&lit);
            }
            if (r >= 0 && field) r = parse_field(p, text, i, &i, err);
            if (i == n) break;
            continue;
        }
        if (text[i] == '%' && i + 1 < n && text[i + 1] == '%') i++;
        r = jb_buf_putc(&lit, text[i]);
        if (r < 0) r = jb_error_set(err, r, "out of memory");
        i++;
    }
    jb_buf_done(&lit);
    if (r >= 0 && !any_literal)
        r = jb_error_set(err, -EINVAL, "pattern '%s' has no literal text: it would match every line", text);
    /* Two reading fields with only constants between them cannot be told apart. */
    bool prev_reads = false;
    for (size_t k = 0; r >= 0 && k < p->n; k++) {
        item_kind kd = p->items[k].kind;
        if (kd == ITEM_CONST) continue;
        bool reads = kd == ITEM_FIELD || kd == ITEM_SKIP;
        if (reads && prev_reads)
            r = jb_error_set(err, -EINVAL, "pattern '%s': two fields side by side need literal text between them",
                             text);
        prev_reads = reads;
    }
    if (r < 0) {
        jb_pattern_free(p);
        return r;
    }
    *ret = p;
    return 0;
}

static bool trailing_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int jb_pattern_match(const jb_pattern *p, const char *line, size_t n, jb_field **ret_fields, size_t *ret_n) {
    struct span {
        size_t off, len;
    } spans[JB_PATTERN_MAX_ITEMS];
    size_t pos = 0, end = n;
    if (!line) end = n = 0;
    while (end > 0 && trailing_blank(line[end - 1])) end--;

    for (size_t i = 0; i < p->n; i++) {
        const item *it = &p->items[i];
        if (it->kind == ITEM_CONST) continue;
        if (it->kind == ITEM_LITERAL) {
            if (end - pos < it->len || memcmp(line + pos, it->text, it->len) != 0) return 0;
            pos += it->len;
            continue;
        }
        /* A reading field: up to the next literal, or the rest of the line. */
        const item *next = NULL;
        for (size_t k = i + 1; k < p->n && !next; k++)
            if (p->items[k].kind == ITEM_LITERAL) next = &p->items[k];
        size_t stop = end;
        if (next) {
            const char *hit = memmem(line + pos, end - pos, next->text, next->len);
            if (!hit) return 0;
            stop = (size_t)(hit - line);
        }
        spans[i].off = pos;
        spans[i].len = stop - pos;
        pos = stop;
    }
    if (pos != end) return 0;

    size_t add = 0;
    for (size_t i = 0; i < p->n; i++) add += p->items[i].kind == ITEM_FIELD || p->items[i].kind == ITEM_CONST;
    if (add == 0) return 1;
    jb_field *fields = jb_realloc(*ret_fields, (*ret_n + add) * sizeof *fields);
    if (!fields) return -ENOMEM;
    *ret_fields = fields;
    for (size_t i = 0; i < p->n; i++) {
        const item *it = &p->items[i];
        if (it->kind != ITEM_FIELD && it->kind != ITEM_CONST) continue;
        const char *v = it->kind == ITEM_CONST ? it->text : line + spans[i].off;
        size_t vlen = it->kind == ITEM_CONST ? it->len : spans[i].len;
        while (vlen > 0 && trailing_blank(v[0])) v++, vlen--;
        while (vlen > 0 && trailing_blank(v[vlen - 1])) vlen--;
        if (vlen == 0) continue;
        size_t name_len = strlen(it->name);
        if (jb_field_set(&fields[*ret_n], it->name, name_len, it->name, name_len, v, vlen) < 0) return -ENOMEM;
        (*ret_n)++;
    }
    return 1;
}
