/* SPDX-License-Identifier: Apache-2.0 */
/* Audit recognition, the jansson path (see audit-internal.h): the only file of the core that
 * includes <jansson.h>. */
#include <jansson.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "audit-internal.h"
#include "audit.h"
#include "sd.h"

/* ---- jansson's allocator ---- */

/* jansson allocates through the core's allocator (jb_malloc, so jb_set_alloc_funcs() and the
 * allocation-failure tests reach it too). Its allocator is process-wide, so it is set once, by
 * json_setup(), which load_json(), the one way into jansson, runs before the first parse; nothing
 * else sets it.
 * jansson 2.14 ignores some failures (a byte dropped from its token buffer, then the parse goes
 * on), so a failed parse cannot tell OOM from bad JSON and a "successful" one may be wrong. The
 * hook therefore records every failure of the current parse and fails all later allocations of
 * that parse, and load_json() turns the flag into -ENOMEM. */
static _Thread_local bool json_oom;

static void *json_malloc_hook(size_t n) {
    if (json_oom) return NULL;
    void *p = jb_malloc(n);
    if (!p) json_oom = true;
    return p;
}

static void json_setup(void) {
    json_set_alloc_funcs(json_malloc_hook, jb_free);
}

/* json_loadb() that reports allocation failure: *ret_root NULL and 0 means the text is not JSON
 * (error filled), -ENOMEM means jansson ran out of memory (any result is dropped). */
static int load_json(const char *p, size_t n, size_t flags, json_t **ret_root, json_error_t *error) {
    static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
    pthread_once(&setup_once, json_setup);
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

/* ---- fields ---- */

typedef struct flattener {
    jb_field *fields;
    size_t n, cap;
    bool overflow; /* more than JB_AUDIT_MAX_FIELDS scalars */
    jb_buf path;
} flattener;

static void flattener_done(flattener *f) {
    jb_audit a = {.fields = f->fields, .n_fields = f->n};
    jb_audit_done(&a);
    jb_buf_done(&f->path);
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

    int r = jb_field_set(&f->fields[f->n], name, strlen(name), key, f->path.len, value, value_len);
    if (r < 0) return r;
    f->n++;
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

/* jb__audit_missing_key() callback: a member of a jansson object. */
static bool object_has(const void *ctx, const char *key) {
    return json_object_get(ctx, key) != NULL;
}

/* ---- the rules ---- */

int jb__audit_json_object(const char *p, size_t n, jb_audit *a) {
    json_t *root = NULL;
    json_error_t error;
    size_t json_len = n; /* the rest of the line unless a JSON value is found */
    int r = 0;

    a->kind = JB_AUDIT_MALFORMED;
    bool duplicate = false;
    if (n == 0) {
        a->reason = "no JSON after marker";
    } else {
        const size_t flags = JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL;
        r = load_json(p, n, flags | JSON_REJECT_DUPLICATES, &root, &error);
        if (r >= 0 && !root && json_error_code(&error) == json_error_duplicate_key) {
            /* readers of the JSON disagree on which value counts: parsed all the same (the last
             * value, in the first place), and flagged */
            duplicate = true;
            r = load_json(p, n, flags, &root, &error);
        }
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
    jb_buf_done(&f.path);

    a->reason = jb__audit_missing_key(object_has, root);
    a->kind = a->reason ? JB_AUDIT_MALFORMED : JB_AUDIT_OK;
    if (a->kind == JB_AUDIT_OK && f.overflow) {
        a->kind = JB_AUDIT_MALFORMED;
        a->reason = "too many keys";
    }
    if (a->kind == JB_AUDIT_OK && duplicate) {
        a->kind = JB_AUDIT_MALFORMED;
        a->reason = "duplicate key";
    }
    json_decref(root);
    return 0;
}

int jb__audit_json_unwrap(const char *p, size_t n,
                          int (*inner)(const char *log, size_t n, const char *component, size_t component_len,
                                       void *userdata),
                          void *userdata) {
    json_t *root = NULL;
    json_error_t error;
    int r = load_json(p, n, JSON_ALLOW_NUL, &root, &error);
    if (r < 0) return r;
    json_t *log = json_object_get(root, "log"); /* NULL-safe, NULL for non-objects */
    if (!json_is_string(log)) {
        json_decref(root);
        return 0;
    }
    json_t *component = json_object_get(root, "component"); /* NULL when it is not a string */
    if (!json_is_string(component)) component = NULL;
    r = inner(json_string_value(log), json_string_length(log), component ? json_string_value(component) : NULL,
              component ? json_string_length(component) : 0, userdata);
    json_decref(root);
    return r < 0 ? r : 1;
}
