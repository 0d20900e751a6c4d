/* SPDX-License-Identifier: Apache-2.0 */
/* Audit recognition, the flat-object path (see audit-internal.h): JSON without a JSON library. */
#include <string.h>

#include "audit-internal.h"
#include "audit.h"
#include "sd.h"

/* The audit objects the platforms write are flat: a handful of members whose values are strings,
 * integers, true, false or null, in printable ASCII without escapes. jb__audit_flat_object()
 * parses exactly that subset, with two allocations, and gives what jb__audit_json_object() gives
 * for it. Anything else (nesting, escapes, reals, non-ASCII, an empty or duplicated key, a key that
 * is not a valid PARAM-NAME as it is, more than FAST_MAX_MEMBERS members, any syntax error) makes
 * it return 0 with nothing done, and the caller takes the JSON library's path, which then decides.
 * jb_audit_fast_path (tests only) switches it off. */
#define FAST_MAX_MEMBERS 64

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

/* A key that jb_sd_name() leaves as it is (printable ASCII is given): at most 32 bytes, no blank,
 * '=' or ']'. */
static bool is_param_name(const char *p, size_t n) {
    if (n > JB_SD_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] == ' ' || p[i] == '=' || p[i] == ']') return false;
    return true;
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
 * the JSON path prints it back (no leading zero, no "-0", at most 18 digits, not followed by a fraction
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

/* jb__audit_missing_key() callback: a member of the flat object (its fields are its top-level keys). */
static bool fields_have(const void *ctx, const char *key) {
    const jb_audit *a = ctx;
    for (size_t i = 0; i < a->n_fields; i++)
        if (!strcmp(a->fields[i].key, key)) return true;
    return false;
}

int jb__audit_flat_object(const char *p, size_t n, jb_audit *a) {
    const char *s = p, *end = p + n;
    span keys[FAST_MAX_MEMBERS], vals[FAST_MAX_MEMBERS];
    size_t m = 0, pool = 0;

    s = skip_json_ws(s, end);
    if (s >= end || *s != '{') return 0;
    s++;
    for (;;) {
        s = skip_json_ws(s, end);
        if (s >= end || *s != '"') return 0; /* an empty object too: the JSON path reports it */
        s++;
        if (!fast_string(&s, end, &keys[m]) || keys[m].n == 0) return 0;
        s = skip_json_ws(s, end);
        if (s >= end || *s != ':') return 0;
        s = skip_json_ws(s + 1, end);
        if (!fast_value(&s, end, &vals[m])) return 0;
        for (size_t i = 0; i < m; i++)
            if (keys[i].n == keys[m].n && !memcmp(keys[i].p, keys[m].p, keys[m].n)) return 0;
        /* a key that is not its own PARAM-NAME (a blank, '=', over 32 bytes...) may collide with
         * another once mapped: the general path makes the names unique */
        if (!is_param_name(keys[m].p, keys[m].n)) return 0;
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
    a->reason = jb__audit_missing_key(fields_have, a);
    a->kind = a->reason ? JB_AUDIT_MALFORMED : JB_AUDIT_OK;
    return 1;
}

/* A string whose opening quote is just before *s, escapes allowed (not decoded): moves *s past
 * the closing quote. A control character or a bad escape is not JSON. */
static bool skip_string(const char **s, const char *end) {
    for (const char *q = *s; q < end; q++) {
        unsigned char c = (unsigned char)*q;
        if (c < 0x20) return false;
        if (c == '"') {
            *s = q + 1;
            return true;
        }
        if (c == '\\') {
            if (++q >= end || !strchr("\"\\/bfnrtu", *q)) return false;
        }
    }
    return false;
}

void jb__audit_flat_wrapper(const char *p, size_t n, jb_audit *a) {
    const char *s = skip_json_ws(p, p + n), *end = p + n;
    span key, component = {NULL, 0};
    bool has_log = false;
    if (s >= end || *s != '{') return;
    s++;
    for (;;) {
        s = skip_json_ws(s, end);
        if (s >= end || *s != '"') return;
        s++;
        if (!fast_string(&s, end, &key)) return;
        s = skip_json_ws(s, end);
        if (s >= end || *s != ':') return;
        s = skip_json_ws(s + 1, end);
        bool is_log = key.n == 3 && !memcmp(key.p, "log", 3);
        bool is_component = key.n == 9 && !memcmp(key.p, "component", 9);
        if (s < end && *s == '"') {
            const char *body = ++s;
            if (!skip_string(&s, end)) return;
            if (is_log) has_log = true;
            /* a component with escapes is left out (the JSON library's path keeps it) */
            if (is_component && !memchr(body, '\\', (size_t)(s - 1 - body)))
                component = (span){body, (size_t)(s - 1 - body)};
        } else {
            return; /* the wrapped form's members are strings; anything else is left to the library */
        }
        s = skip_json_ws(s, end);
        if (s < end && *s == '}') break;
        if (s >= end || *s != ',') return;
        s++;
    }
    if (!has_log || skip_json_ws(s + 1, end) != end) return;
    a->wrapped = true;
    jb__audit_set_component(a, component.p, component.n);
}
