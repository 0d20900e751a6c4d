/* SPDX-License-Identifier: Apache-2.0 */
#include "audit.h"

#include <inttypes.h>
#include <jansson.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pattern.h"
#include "profile.h"
#include "sd.h"

/* The required keys and their "missing key" reasons come from one list so they cannot drift. */
#define REQUIRED_KEYS(X) X(timestamp) X(resource) X(action) X(resource_id) X(actor) X(actor_ip)
#define KEY_STRING(k) #k,
#define MISSING_REASON(k) "missing key " #k,

const char *const jb_audit_required_keys[6] = {REQUIRED_KEYS(KEY_STRING)};
static const char *const missing_reasons[] = {REQUIRED_KEYS(MISSING_REASON)};
_Static_assert(JB_ELEMENTSOF(missing_reasons) == JB_ELEMENTSOF(jb_audit_required_keys), "one reason per key");

/* The reason for the first required key (in jb_audit_required_keys order) that has(ctx, key)
 * does not find at the top of the object, or NULL when it has them all. */
static const char *missing_key(bool (*has)(const void *ctx, const char *key), const void *ctx) {
    for (size_t i = 0; i < JB_ELEMENTSOF(jb_audit_required_keys); i++)
        if (!has(ctx, jb_audit_required_keys[i])) return missing_reasons[i];
    return NULL;
}

/* A marker as it appears in a plain line (raw) and the forms a JSON encoder may give it inside a
 * string of the wrapped form: minimal escaping ('"', '\', control characters) and ASCII-only
 * escaping (as Python, Go and Rails write non-ASCII and <>&'). Only forms that differ from raw and
 * from each other are kept. They are used only to decide cheaply whether the wrapper is worth
 * parsing: recognition itself runs on the unescaped "log" string. */
typedef struct marker {
    char *raw;
    size_t raw_len;
    char *esc[2];
    size_t esc_len[2];
    size_t n_esc;
} marker;

struct jb_audit_matcher {
    marker *markers;
    size_t n;
    jb_pattern **patterns; /* tried in order when no marker applies */
    size_t n_patterns;
};

/* ---- jansson allocation ---- */

/* jansson allocates through jb_malloc. jansson 2.14 ignores some failures (a byte dropped from its
 * token buffer, then the parse goes on), so a failed parse cannot tell OOM from bad JSON and a
 * "successful" one may be wrong. The hook therefore records every failure of the current parse
 * and fails all later allocations of that parse, and the caller turns the flag into -ENOMEM. */
static _Thread_local bool json_oom;

static void *json_malloc_hook(size_t n) {
    if (json_oom) return NULL;
    void *p = jb_malloc(n);
    if (!p) json_oom = true;
    return p;
}

/* json_loadb() that reports allocation failure: *ret_root NULL and 0 means the text is not JSON
 * (error filled), -ENOMEM means jansson ran out of memory (any result is dropped). */
static int load_json(const char *p, size_t n, size_t flags, json_t **ret_root, json_error_t *error) {
    json_oom = false;
    json_t *root = json_loadb(p, n, flags, error);
    bool oom = json_oom;
    json_oom = false;
    if (oom) {
        json_decref(root);
        return -ENOMEM;
    }
    *ret_root = root;
    return 0;
}

/* ---- matcher ---- */

/* Decode one UTF-8 sequence at s (n bytes): its code point and length, or length 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret_cp) {
    size_t len;
    uint32_t cp;
    if (s[0] < 0x80) {
        *ret_cp = s[0];
        return 1;
    } else if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2, cp = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3, cp = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4, cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    *ret_cp = cp;
    return len;
}

/* The marker s as it appears inside a JSON string. ascii: also escape non-ASCII and <>&' as \uXXXX.
 * Returns 0, -EINVAL when ascii is asked for invalid UTF-8 (no encoder would write it), or -ENOMEM. */
static int json_escape(const char *s, bool ascii, jb_buf *out) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    int r = 0;
    for (size_t i = 0; i < n && r >= 0;) {
        unsigned char c = p[i];
        uint32_t cp;
        char u[16];
        if (c == '"')
            r = jb_buf_puts(out, "\\\"");
        else if (c == '\\')
            r = jb_buf_puts(out, "\\\\");
        else if (c == '\n')
            r = jb_buf_puts(out, "\\n");
        else if (c == '\r')
            r = jb_buf_puts(out, "\\r");
        else if (c == '\t')
            r = jb_buf_puts(out, "\\t");
        else if (c == '\b')
            r = jb_buf_puts(out, "\\b");
        else if (c == '\f')
            r = jb_buf_puts(out, "\\f");
        else if (c < 0x20 || (ascii && (c == '<' || c == '>' || c == '&' || c == '\''))) {
            snprintf(u, sizeof u, "\\u%04x", c);
            r = jb_buf_puts(out, u);
        } else if (c >= 0x80 && ascii) {
            size_t len = utf8_decode(p + i, n - i, &cp);
            if (len == 0) return -EINVAL;
            if (cp >= 0x10000)
                snprintf(u, sizeof u, "\\u%04x\\u%04x", (unsigned)(0xD800 + ((cp - 0x10000) >> 10)),
                         (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
            else
                snprintf(u, sizeof u, "\\u%04x", (unsigned)cp);
            r = jb_buf_puts(out, u);
            i += len;
            continue;
        } else {
            r = jb_buf_putc(out, (char)c);
        }
        i++;
    }
    return r;
}

static void marker_done(marker *mk) {
    jb_free(mk->raw);
    for (size_t i = 0; i < mk->n_esc; i++) jb_free(mk->esc[i]);
    memset(mk, 0, sizeof *mk);
}

static int marker_init(marker *mk, const char *s) {
    mk->raw_len = strlen(s);
    mk->raw = jb_strndup(s, mk->raw_len);
    if (!mk->raw) return -ENOMEM;
    for (int ascii = 0; ascii <= 1; ascii++) {
        jb_buf b = JB_BUF_INIT;
        int r = json_escape(s, ascii, &b);
        if (r == -EINVAL) {
            jb_buf_free(&b);
            continue;
        }
        if (r < 0) {
            jb_buf_free(&b);
            return r;
        }
        bool dup = jb_slice_eq(b.data, b.len, mk->raw);
        for (size_t i = 0; i < mk->n_esc && !dup; i++) dup = jb_slice_eq(b.data, b.len, mk->esc[i]);
        if (dup) {
            jb_buf_free(&b);
            continue;
        }
        mk->esc_len[mk->n_esc] = b.len;
        mk->esc[mk->n_esc++] = jb_buf_steal(&b);
    }
    return 0;
}

int jb_audit_matcher_new(const char *const *markers, size_t n, jb_audit_matcher **ret, jb_error *err) {
    jb_audit_opts o = {.markers = markers, .n_markers = n};
    return jb_audit_matcher_new_opts(&o, ret, err);
}

static int add_patterns(jb_audit_matcher *m, const char *const *patterns, size_t n, jb_error *err) {
    if (n == 0) return 0;
    if (!patterns) return jb_error_set(err, -EINVAL, "audit patterns: no list given for %zu patterns", n);
    m->patterns = jb_calloc(n, sizeof *m->patterns);
    if (!m->patterns) return jb_error_set(err, -ENOMEM, "out of memory");
    for (; m->n_patterns < n; m->n_patterns++) {
        int r = jb_pattern_new(patterns[m->n_patterns], &m->patterns[m->n_patterns], err);
        if (r < 0) return r;
    }
    return 0;
}

int jb_audit_matcher_new_opts(const jb_audit_opts *o, jb_audit_matcher **ret, jb_error *err) {
    static const jb_audit_opts defaults = {0};
    if (!o) o = &defaults;
    const jb_profile *prof = jb_profile_get(o->profile);
    if (!prof) return jb_error_set(err, -EINVAL, "unknown profile '%s' (built-in profiles: tfe, cloudify)", o->profile);
    const char *const *markers = o->n_markers ? o->markers : prof->markers;
    size_t n = o->n_markers ? o->n_markers : prof->n_markers;
    const char *const *patterns = o->n_patterns ? o->patterns : prof->patterns;
    size_t n_patterns = o->n_patterns ? o->n_patterns : prof->n_patterns;

    if (!markers && n) return jb_error_set(err, -EINVAL, "audit markers: no list given for %zu markers", n);
    for (size_t i = 0; i < n; i++)
        if (!markers[i] || !markers[i][0])
            return jb_error_set(err, -EINVAL, "audit marker %zu is empty: it would match every line", i + 1);

    /* Idempotent; jansson is used only here, so pointing it at the core allocator here is enough. */
    json_set_alloc_funcs(json_malloc_hook, jb_free);

    jb_audit_matcher *m = jb_calloc(1, sizeof *m);
    if (!m) return jb_error_set(err, -ENOMEM, "out of memory");
    if (n > 0) {
        m->markers = jb_calloc(n, sizeof *m->markers);
        if (!m->markers) {
            jb_audit_matcher_free(m);
            return jb_error_set(err, -ENOMEM, "out of memory");
        }
    }
    m->n = n;
    for (size_t i = 0; i < n; i++) {
        int r = marker_init(&m->markers[i], markers[i]);
        if (r < 0) {
            jb_audit_matcher_free(m);
            return jb_error_set(err, r, "out of memory");
        }
    }
    int r = add_patterns(m, patterns, n_patterns, err);
    if (r < 0) {
        jb_audit_matcher_free(m);
        return r;
    }
    *ret = m;
    return 0;
}

jb_audit_matcher *jb_audit_matcher_free(jb_audit_matcher *m) {
    if (!m) return NULL;
    if (m->markers)
        for (size_t i = 0; i < m->n; i++) marker_done(&m->markers[i]);
    jb_free(m->markers);
    if (m->patterns)
        for (size_t i = 0; i < m->n_patterns; i++) jb_pattern_free(m->patterns[i]);
    jb_free(m->patterns);
    jb_free(m);
    return NULL;
}

/* ---- fields ---- */

typedef struct flattener {
    jb_field *fields;
    size_t n, cap;
    bool overflow; /* more than JB_AUDIT_MAX_FIELDS scalars */
    jb_buf path;
} flattener;

static void flattener_done(flattener *f) {
    jb_audit a = {.fields = f->fields, .n_fields = f->n};
    jb_audit_clear(&a);
    jb_buf_free(&f->path);
    memset(f, 0, sizeof *f);
}

/* The shortest "%.Ng" that reads back as d, with '.' as decimal point and ".0" added to integral
 * values as jansson writes them, so the text does not depend on the locale or on digit noise. */
static void format_real(double d, char *out, size_t size) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, d);
        if (strtod(out, NULL) == d) break;
    }
    const char *dp = localeconv()->decimal_point;
    if (dp && dp[0] && dp[0] != '.' && !dp[1]) {
        char *c = strchr(out, dp[0]);
        if (c) *c = '.';
    }
    if (!strpbrk(out, ".eEni")) strncat(out, ".0", size - strlen(out) - 1);
}

static int add_field(flattener *f, const char *value, size_t value_len) {
    if (f->n >= JB_AUDIT_MAX_FIELDS) {
        f->overflow = true;
        return 0;
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        if (cap > JB_AUDIT_MAX_FIELDS) cap = JB_AUDIT_MAX_FIELDS;
        jb_field *fl = jb_realloc(f->fields, cap * sizeof *fl);
        if (!fl) return -ENOMEM;
        f->fields = fl;
        f->cap = cap;
    }
    const char *key = f->path.data ? f->path.data : "";
    char name[JB_SD_NAME_MAX + 1];
    jb_sd_name(key, f->path.len, JB_SD_NAME_MAX, name);

    jb_field fd = {
        .name = jb_strdup(name),
        .key = jb_strndup(key, f->path.len),
        .value = jb_strndup(value, value_len),
        .value_len = value_len,
    };
    if (!fd.name || !fd.key || !fd.value) {
        jb_free(fd.name);
        jb_free(fd.key);
        jb_free(fd.value);
        return -ENOMEM;
    }
    f->fields[f->n++] = fd;
    return 0;
}

static int flatten(flattener *f, json_t *v);

/* Append ".seg" (or "seg" at the top) to the path, flatten child, restore the path. */
static int flatten_child(flattener *f, const char *seg, size_t seg_len, json_t *child) {
    size_t saved = f->path.len;
    int r = 0;
    if (saved > 0) r = jb_buf_putc(&f->path, '.');
    if (r >= 0) r = jb_buf_append(&f->path, seg, seg_len);
    if (r >= 0) r = flatten(f, child);
    f->path.len = saved;
    if (f->path.data) f->path.data[saved] = 0;
    return r;
}

static int flatten_members(flattener *f, json_t *obj) {
    const char *key;
    size_t key_len;
    json_t *child;
    json_object_keylen_foreach(obj, key, key_len, child) {
        if (f->overflow) break;
        int r = flatten_child(f, key, key_len, child);
        if (r < 0) return r;
    }
    return 0;
}

static int flatten(flattener *f, json_t *v) {
    char num[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if (json_object_size(v) == 0) return add_field(f, "{}", 2);
        return flatten_members(f, v);
    case JSON_ARRAY:
        if (json_array_size(v) == 0) return add_field(f, "[]", 2);
        for (size_t i = 0; i < json_array_size(v) && !f->overflow; i++) {
            int len = snprintf(num, sizeof num, "%zu", i);
            int r = flatten_child(f, num, (size_t)len, json_array_get(v, i));
            if (r < 0) return r;
        }
        return 0;
    case JSON_STRING:
        return add_field(f, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return add_field(f, num, strlen(num));
    case JSON_REAL:
        format_real(json_real_value(v), num, sizeof num);
        return add_field(f, num, strlen(num));
    case JSON_TRUE:
        return add_field(f, "true", 4);
    case JSON_FALSE:
        return add_field(f, "false", 5);
    case JSON_NULL:
    default:
        return add_field(f, "null", 4);
    }
}

/* ---- recognition ---- */

static bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

/* Earliest occurrence of any raw marker in p (n bytes); ties go to the first marker listed. */
static const char *find_marker(const jb_audit_matcher *m, const char *p, size_t n, size_t *ret_len) {
    const char *best = NULL;
    for (size_t i = 0; i < m->n; i++) {
        const marker *mk = &m->markers[i];
        /* Only an occurrence that starts before the best one so far can win. */
        size_t limit = best ? (size_t)(best - p) - 1 + mk->raw_len : n;
        if (limit > n) limit = n;
        const char *hit = memmem(p, limit, mk->raw, mk->raw_len);
        if (hit && (!best || hit < best)) {
            best = hit;
            *ret_len = mk->raw_len;
        }
    }
    return best;
}

static bool has_escaped_marker(const jb_audit_matcher *m, const char *p, size_t n) {
    for (size_t i = 0; i < m->n; i++)
        for (size_t j = 0; j < m->markers[i].n_esc; j++)
            if (memmem(p, n, m->markers[i].esc[j], m->markers[i].esc_len[j])) return true;
    return false;
}

/* ---- the flat-object fast path ---- */

/* The audit objects the platforms write are flat: a handful of members whose values are strings,
 * integers, true, false or null, in printable ASCII without escapes. fast_object() parses exactly
 * that subset, without jansson and with two allocations, and gives what jansson and flatten give
 * for it. Anything else (nesting, escapes, reals, non-ASCII, an empty or duplicated key, more than
 * FAST_MAX_MEMBERS members, any syntax error) makes it return 0 with nothing done, and the caller
 * takes the jansson path, which then decides. jb_audit_fast_path (tests only) switches it off. */
#define FAST_MAX_MEMBERS 64

bool jb_audit_fast_path = true;

typedef struct span {
    const char *p;
    size_t n;
} span;

static bool is_json_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_json_ws(const char *s, const char *end) {
    while (s < end && is_json_ws(*s)) s++;
    return s;
}

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* The body of a string whose opening quote is just before *s: printable ASCII up to the closing
 * quote, no backslash. Moves *s past the closing quote. */
static bool fast_string(const char **s, const char *end, span *out) {
    const char *q = *s;
    for (; q < end && *q != '"'; q++)
        if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e || *q == '\\') return false;
    if (q >= end) return false;
    out->p = *s;
    out->n = (size_t)(q - *s);
    *s = q + 1;
    return true;
}

/* A value at *s: a plain string (its body), true, false, null, or an integer written the way
 * jansson prints it back (no leading zero, no "-0", at most 18 digits, not followed by a fraction
 * or an exponent), so the text is the value. */
static bool fast_value(const char **s, const char *end, span *out) {
    const char *q = *s;
    static const char *const literals[] = {"true", "false", "null"};
    if (q >= end) return false;
    if (*q == '"') {
        *s = q + 1;
        return fast_string(s, end, out);
    }
    for (size_t i = 0; i < JB_ELEMENTSOF(literals); i++) {
        size_t len = strlen(literals[i]);
        if ((size_t)(end - q) >= len && !memcmp(q, literals[i], len)) {
            out->p = q;
            out->n = len;
            *s = q + len; /* "truex" and the like fail at the next token */
            return true;
        }
    }
    if (*q == '-') q++;
    const char *digits = q;
    while (q < end && is_digit(*q)) q++;
    size_t nd = (size_t)(q - digits);
    if (nd == 0 || nd > 18 || (digits[0] == '0' && (nd > 1 || digits != *s))) return false;
    if (q < end && (*q == '.' || *q == 'e' || *q == 'E')) return false;
    out->p = *s;
    out->n = (size_t)(q - *s);
    *s = q;
    return true;
}

/* missing_key() callbacks: a member of the flat object (its fields are its top-level keys), of a
 * jansson object. */
static bool fields_have(const void *ctx, const char *key) {
    const jb_audit *a = ctx;
    for (size_t i = 0; i < a->n_fields; i++)
        if (!strcmp(a->fields[i].key, key)) return true;
    return false;
}

static bool object_has(const void *ctx, const char *key) {
    return json_object_get(ctx, key) != NULL;
}

/* Parse a flat object at the start of p (JSON whitespace allowed before it, any text after it).
 * Returns 1 with a filled as parse_after_marker() would, 0 to leave it to jansson, -ENOMEM. */
static int fast_object(const char *p, size_t n, jb_audit *a) {
    const char *s = p, *end = p + n;
    span keys[FAST_MAX_MEMBERS], vals[FAST_MAX_MEMBERS];
    size_t m = 0, pool = 0;

    s = skip_json_ws(s, end);
    if (s >= end || *s != '{') return 0;
    s++;
    for (;;) {
        s = skip_json_ws(s, end);
        if (s >= end || *s != '"') return 0; /* an empty object too: jansson reports it */
        s++;
        if (!fast_string(&s, end, &keys[m]) || keys[m].n == 0) return 0;
        s = skip_json_ws(s, end);
        if (s >= end || *s != ':') return 0;
        s = skip_json_ws(s + 1, end);
        if (!fast_value(&s, end, &vals[m])) return 0;
        for (size_t i = 0; i < m; i++)
            if (keys[i].n == keys[m].n && !memcmp(keys[i].p, keys[m].p, keys[m].n)) return 0;
        size_t name_len = keys[m].n < JB_SD_NAME_MAX ? keys[m].n : JB_SD_NAME_MAX;
        pool += name_len + 1 + keys[m].n + 1 + vals[m].n + 1;
        m++;
        s = skip_json_ws(s, end);
        if (s < end && *s == '}') break;
        if (s >= end || *s != ',' || m == FAST_MAX_MEMBERS) return 0;
        s++;
    }
    size_t json_len = (size_t)(s + 1 - p);

    jb_field *fields = jb_calloc(m, sizeof *fields);
    char *strings = jb_malloc(pool);
    char *json = jb_strndup(p, json_len);
    if (!fields || !strings || !json) {
        jb_free(fields);
        jb_free(strings);
        jb_free(json);
        return -ENOMEM;
    }
    char *o = strings;
    for (size_t i = 0; i < m; i++) {
        size_t name_len = keys[i].n < JB_SD_NAME_MAX ? keys[i].n : JB_SD_NAME_MAX;
        fields[i].name = o;
        jb_sd_name(keys[i].p, keys[i].n, JB_SD_NAME_MAX, o);
        o += name_len + 1;
        fields[i].key = o;
        memcpy(o, keys[i].p, keys[i].n);
        o[keys[i].n] = 0;
        o += keys[i].n + 1;
        fields[i].value = o;
        fields[i].value_len = vals[i].n;
        memcpy(o, vals[i].p, vals[i].n);
        o[vals[i].n] = 0;
        o += vals[i].n + 1;
    }

    a->fields = fields;
    a->n_fields = a->n_pooled = m;
    a->strings = strings;
    a->json = json;
    a->json_len = json_len;
    a->reason = missing_key(fields_have, a);
    a->kind = a->reason ? JB_AUDIT_MALFORMED : JB_AUDIT_OK;
    return 1;
}

/* Rule 2 on the text after a marker (blanks already skipped): fill a. */
static int parse_after_marker(const char *p, size_t n, jb_audit *a) {
    json_t *root = NULL;
    json_error_t error;
    size_t json_len = n; /* the rest of the line unless a JSON value is found */
    int r = 0;

    if (jb_audit_fast_path) {
        r = fast_object(p, n, a);
        if (r != 0) return r < 0 ? r : 0;
    }
    a->kind = JB_AUDIT_MALFORMED;
    if (n == 0) {
        a->reason = "no JSON after marker";
    } else {
        r = load_json(p, n, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &root, &error);
        if (r < 0) return r;
        if (!root)
            a->reason = p[0] == '{' || p[0] == '[' ? "invalid JSON" : "no JSON after marker";
        else {
            if (error.position > 0 && (size_t)error.position <= n) json_len = (size_t)error.position;
            if (!json_is_object(root)) a->reason = "not a JSON object";
        }
    }

    a->json = jb_strndup(p, json_len);
    if (!a->json) {
        json_decref(root);
        return -ENOMEM;
    }
    a->json_len = json_len;
    if (!json_is_object(root)) {
        json_decref(root);
        return 0;
    }

    flattener f = {0};
    r = flatten_members(&f, root);
    if (r < 0) {
        flattener_done(&f);
        json_decref(root);
        return r;
    }
    a->fields = f.fields;
    a->n_fields = f.n;
    jb_buf_free(&f.path);

    a->reason = missing_key(object_has, root);
    a->kind = a->reason ? JB_AUDIT_MALFORMED : JB_AUDIT_OK;
    if (a->kind == JB_AUDIT_OK && f.overflow) {
        a->kind = JB_AUDIT_MALFORMED;
        a->reason = "too many keys";
    }
    json_decref(root);
    return 0;
}

/* Rule 2 for a marker of mlen bytes found at hit, in a text that ends at end. */
static int parse_at_marker(const char *hit, size_t mlen, const char *end, jb_audit *a) {
    const char *s = hit + mlen;
    while (s < end && is_blank(*s)) s++;
    return parse_after_marker(s, (size_t)(end - s), a);
}

/* Rules 2 and 3 on p (n bytes). */
static int recognize_text(const jb_audit_matcher *m, const char *p, size_t n, jb_audit *a) {
    size_t mlen = 0;
    const char *hit = find_marker(m, p, n, &mlen);
    return hit ? parse_at_marker(hit, mlen, p + n, a) : 0; /* no marker: JB_AUDIT_NONE */
}

/* Rule 1: if p is a JSON object with a string member "log", recognize in that string. Returns 1 when
 * the wrapper applied (a filled), 0 when it did not, -ENOMEM. */
static int recognize_wrapped(const jb_audit_matcher *m, const char *p, size_t n, jb_audit *a) {
    json_t *root = NULL;
    json_error_t error;
    int r = load_json(p, n, JSON_ALLOW_NUL, &root, &error);
    if (r < 0) return r;
    json_t *log = json_object_get(root, "log"); /* NULL-safe, NULL for non-objects */
    if (!json_is_string(log)) {
        json_decref(root);
        return 0;
    }
    r = recognize_text(m, json_string_value(log), json_string_length(log), a);
    json_decref(root);
    return r < 0 ? r : 1;
}

/* Rule 3: the first line pattern that matches makes the record audit. */
static int match_patterns(const jb_audit_matcher *m, const char *p, size_t n, jb_audit *a) {
    for (size_t i = 0; i < m->n_patterns; i++) {
        int r = jb_pattern_match(m->patterns[i], p, n, &a->fields, &a->n_fields);
        if (r < 0) return r;
        if (r == 0) continue;
        a->json = jb_strndup(p ? p : "", n);
        if (!a->json) return -ENOMEM;
        a->json_len = n;
        a->kind = JB_AUDIT_OK;
        a->reason = NULL;
        return 0;
    }
    return 0;
}

int jb_audit_recognize(const jb_audit_matcher *m, const char *msg, size_t n, jb_audit *ret) {
    jb_audit a = {0};
    int r = 0;

    if (!msg) n = 0;
    size_t lead = 0;
    while (lead < n && is_blank(msg[lead])) lead++;

    size_t mlen = 0;
    const char *hit = n ? find_marker(m, msg, n, &mlen) : NULL;

    /* Application lines are the bulk: jansson runs only when some form of a marker is present. */
    bool wrapped = false;
    if (lead < n && msg[lead] == '{' && (hit || has_escaped_marker(m, msg, n))) {
        r = recognize_wrapped(m, msg + lead, n - lead, &a);
        wrapped = r > 0;
    }
    if (r >= 0 && !wrapped && hit) r = parse_at_marker(hit, mlen, msg + n, &a);
    if (r >= 0 && a.kind == JB_AUDIT_NONE) r = match_patterns(m, msg, n, &a);
    if (r < 0) {
        jb_audit_clear(&a);
        jb_audit_clear(ret);
        return r;
    }
    *ret = a;
    return 0;
}
