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
    bool span;  /* FIELD, SKIP: %{name*}, the field between the head and the tail */
    bool word;  /* FIELD: %{name:word}, no blank inside */
    char *name; /* FIELD, CONST */
    char *text; /* LITERAL: the text; CONST: the value */
    size_t len; /* of text */
} item;

struct jb_pattern {
    char *source;
    item items[JB_PATTERN_MAX_ITEMS];
    size_t n;
    size_t span; /* the index of the spanning field, or n when there is none */
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
    bool word = false, span = false;
    if (!eq && nlen >= 5 && memcmp(body + nlen - 5, ":word", 5) == 0) word = true, nlen -= 5;
    if (!eq && nlen >= 1 && body[nlen - 1] == '*') span = true, nlen--;
    *ret_next = (size_t)(close - s) + 1;
    if (nlen == 0 && !word && (blen == 0 || span)) {
        int r = add_item(p, ITEM_SKIP, NULL, 0, NULL, 0, err);
        if (r >= 0) p->items[p->n - 1].span = span;
        return r;
    }
    if (nlen == 0 || nlen > 32)
        return jb_error_set(err, -EINVAL, "pattern '%s': the field name at offset %zu must have 1 to 32 characters", s,
                            i);
    if (!eq && memchr(body, ':', nlen))
        return jb_error_set(err, -EINVAL, "pattern '%s': field at offset %zu: the only type is ':word'", s, i);
    for (size_t k = 0; k < nlen; k++)
        if (!name_char(body[k]))
            return jb_error_set(err, -EINVAL,
                                "pattern '%s': field name at offset %zu: only A-Z a-z 0-9 _ . - are allowed", s, i);
    if (eq) return add_item(p, ITEM_CONST, body, nlen, eq + 1, blen - nlen - 1, err);
    int r = add_item(p, ITEM_FIELD, body, nlen, NULL, 0, err);
    if (r >= 0) p->items[p->n - 1].span = span, p->items[p->n - 1].word = word;
    return r;
}

/* The rules a compiled pattern must keep: no two reading fields side by side, one spanning field
 * at most (its index in p->span). */
static int check_items(jb_pattern *p, jb_error *err) {
    /* Two reading fields with only constants between them cannot be told apart. */
    bool prev_reads = false;
    p->span = p->n;
    for (size_t k = 0; k < p->n; k++) {
        item_kind kd = p->items[k].kind;
        if (kd == ITEM_CONST) continue;
        bool reads = kd == ITEM_FIELD || kd == ITEM_SKIP;
        if (reads && prev_reads)
            return jb_error_set(err, -EINVAL, "pattern '%s': two fields side by side need literal text between them",
                                p->source);
        prev_reads = reads;
        if (!p->items[k].span) continue;
        if (p->span != p->n)
            return jb_error_set(err, -EINVAL, "pattern '%s': more than one spanning field (%%{name*})", p->source);
        p->span = k;
    }
    return 0;
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
    if (r >= 0) r = check_items(p, err);
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

typedef struct span {
    size_t off, len;
} span;

/* The last occurrence of needle (nn > 0 bytes) in hay (hn bytes), or NULL. O(hn * nn) at worst. */
static const char *last_occurrence(const char *hay, size_t hn, const char *needle, size_t nn) {
    while (hn >= nn) {
        const char *c = memrchr(hay, needle[nn - 1], hn);
        if (!c) return NULL;
        size_t at = (size_t)(c - hay) + 1; /* the candidate ends at hay + at */
        if (at >= nn && memcmp(hay + at - nn, needle, nn) == 0) return hay + at - nn;
        hn = at - 1;
    }
    return NULL;
}

/* The nearest literal after (dir 1) or before (dir -1) item i, not beyond item stop; NULL if none. */
static const item *near_literal(const jb_pattern *p, size_t i, int dir, size_t stop) {
    for (size_t k = i; k != stop;) {
        k = dir > 0 ? k + 1 : k - 1;
        if (k < p->n && p->items[k].kind == ITEM_LITERAL) return &p->items[k];
        if (k == stop) break;
    }
    return NULL;
}

/* The tail: the items after the spanning field, matched from *hi (the end of the line) backward:
 * a literal must end where the text still unread ends, a field starts after the last occurrence
 * of the literal before it. Lowers *hi to where the tail starts. false: no match. */
static bool match_tail(const jb_pattern *p, const char *line, size_t *hi, span *spans) {
    for (size_t i = p->n - 1; i > p->span; i--) {
        const item *it = &p->items[i];
        if (it->kind == ITEM_CONST) continue;
        if (it->kind == ITEM_LITERAL) {
            if (*hi < it->len || memcmp(line + *hi - it->len, it->text, it->len) != 0) return false;
            *hi -= it->len;
            continue;
        }
        const item *prev = near_literal(p, i, -1, p->span); /* there is one: fields are never side by side */
        const char *hit = prev ? last_occurrence(line, *hi, prev->text, prev->len) : NULL;
        if (!hit) return false;
        size_t start = (size_t)(hit - line) + prev->len;
        spans[i].off = start;
        spans[i].len = *hi - start;
        *hi = start;
    }
    return true;
}

/* The head: the items before the spanning field (all of them when there is none), matched from
 * the start of the line forward within its first hi bytes: a field ends at the first occurrence
 * of the literal after it, or at hi when it is the last item. Sets *ret_pos where the head ends. */
static bool match_head(const jb_pattern *p, const char *line, size_t hi, span *spans, size_t *ret_pos) {
    size_t pos = 0;
    for (size_t i = 0; i < p->span; i++) {
        const item *it = &p->items[i];
        if (it->kind == ITEM_CONST) continue;
        if (it->kind == ITEM_LITERAL) {
            if (hi - pos < it->len || memcmp(line + pos, it->text, it->len) != 0) return false;
            pos += it->len;
            continue;
        }
        const item *next = near_literal(p, i, 1, p->span);
        size_t stop = hi;
        if (next) {
            const char *hit = memmem(line + pos, hi - pos, next->text, next->len);
            if (!hit) return false;
            stop = (size_t)(hit - line);
        }
        spans[i].off = pos;
        spans[i].len = stop - pos;
        pos = stop;
    }
    *ret_pos = pos;
    return true;
}

/* A field's value: its text without leading and trailing blanks. */
static void field_value(const item *it, const char *line, const span *sp, const char **ret_v, size_t *ret_len) {
    const char *v = it->kind == ITEM_CONST ? it->text : line + sp->off;
    size_t vlen = it->kind == ITEM_CONST ? it->len : sp->len;
    while (vlen > 0 && trailing_blank(v[0])) v++, vlen--;
    while (vlen > 0 && trailing_blank(v[vlen - 1])) vlen--;
    *ret_v = v;
    *ret_len = vlen;
}

int jb_pattern_match(const jb_pattern *p, const char *line, size_t n, jb_field **ret_fields, size_t *ret_n) {
    span spans[JB_PATTERN_MAX_ITEMS];
    size_t end = n, pos;
    if (!line) end = n = 0;
    while (end > 0 && trailing_blank(line[end - 1])) end--;

    if (p->span < p->n && !match_tail(p, line, &end, spans)) return 0;
    if (!match_head(p, line, end, spans, &pos)) return 0;
    if (p->span < p->n) {
        spans[p->span].off = pos;
        spans[p->span].len = end - pos;
    } else if (pos != end) {
        return 0;
    }

    /* the values once: a :word field with a blank fails the match before anything is allocated */
    const char *v[JB_PATTERN_MAX_ITEMS];
    size_t vlen[JB_PATTERN_MAX_ITEMS], add = 0;
    for (size_t i = 0; i < p->n; i++) {
        const item *it = &p->items[i];
        vlen[i] = 0;
        if (it->kind != ITEM_FIELD && it->kind != ITEM_CONST) continue;
        field_value(it, line, &spans[i], &v[i], &vlen[i]);
        if (it->word && (memchr(v[i], ' ', vlen[i]) || memchr(v[i], '\t', vlen[i]))) return 0;
        add++;
    }
    if (add == 0) return 1;
    jb_field *fields = jb_realloc(*ret_fields, (*ret_n + add) * sizeof *fields);
    if (!fields) return -ENOMEM;
    *ret_fields = fields;
    for (size_t i = 0; i < p->n; i++) {
        if (vlen[i] == 0) continue; /* not a field, or empty */
        size_t name_len = strlen(p->items[i].name);
        if (jb_field_set(&fields[*ret_n], p->items[i].name, name_len, p->items[i].name, name_len, v[i], vlen[i]) < 0)
            return -ENOMEM;
        (*ret_n)++;
    }
    return 1;
}
