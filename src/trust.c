/* SPDX-License-Identifier: Apache-2.0 */
#include "trust.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"

const char *const jb_trust_defaults[] = {
    "comm=dockerd,uid=0,transport=journal",
    "comm=conmon,uid=0,transport=journal",
    NULL,
};

/* The keys of a SPEC, in the order of writer.text[] (uid and gid are compared as numbers). */
enum { KEY_COMM, KEY_EXE, KEY_UNIT, KEY_TRANSPORT, KEY_UID, KEY_GID, N_KEYS };
static const char *const key_names[N_KEYS] = {"comm", "exe", "unit", "transport", "uid", "gid"};

typedef struct writer {
    char *text[N_KEYS]; /* NULL: no condition on that field; for uid/gid the decimal text */
    uint64_t num[N_KEYS];
} writer;

struct jb_trust {
    writer *writers;
    size_t n;
};

/* The entry's buffer for a key. */
static const jb_buf *entry_field(const jb_entry *e, int key) {
    switch (key) {
    case KEY_COMM:
        return &e->writer_comm;
    case KEY_EXE:
        return &e->writer_exe;
    case KEY_UNIT:
        return &e->writer_unit;
    case KEY_TRANSPORT:
        return &e->writer_transport;
    case KEY_UID:
        return &e->writer_uid;
    default:
        return &e->writer_gid;
    }
}

/* Parse spec into w (w's strings are new; on failure w may hold some: free them). */
static int parse_spec(const char *spec, writer *w, jb_error *err) {
    memset(w, 0, sizeof *w);
    spec = jb_str_or_empty(spec);
    if (!spec[0]) return jb_error_set(err, -EINVAL, "needs KEY=VALUE[,KEY=VALUE...]");
    const char *p = spec;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (!eq)
            return jb_error_set(err, -EINVAL,
                                "'%s': expected KEY=VALUE, KEY one of comm, exe, uid, gid, unit, transport", spec);
        size_t kl = (size_t)(eq - p), vl = n - kl - 1;
        int key = -1;
        for (int k = 0; k < N_KEYS; k++)
            if (jb_slice_eq(p, kl, key_names[k])) key = k;
        if (key < 0)
            return jb_error_set(err, -EINVAL,
                                "'%s': unknown key '%.*s', expected comm, exe, uid, gid, unit or transport", spec,
                                (int)kl, p);
        if (w->text[key]) return jb_error_set(err, -EINVAL, "'%s': key '%s' given twice", spec, key_names[key]);
        if (vl == 0) return jb_error_set(err, -EINVAL, "'%s': key '%s' needs a value", spec, key_names[key]);
        if ((key == KEY_UID || key == KEY_GID) &&
            (jb_parse_u64(eq + 1, vl, &w->num[key]) < 0 || w->num[key] > UINT32_MAX))
            return jb_error_set(err, -EINVAL, "'%s': %s must be a number from 0 to 4294967295", spec, key_names[key]);
        w->text[key] = jb_malloc(vl + 1);
        if (!w->text[key]) return jb_error_set(err, -ENOMEM, "out of memory");
        memcpy(w->text[key], eq + 1, vl);
        w->text[key][vl] = 0;
        if (!end) return 0;
        p = end + 1;
    }
}

static void writer_done(writer *w) {
    for (int k = 0; k < N_KEYS; k++) {
        jb_free(w->text[k]);
        w->text[k] = NULL;
    }
}

int jb_trust_spec_check(const char *spec, jb_error *err) {
    if (spec && strcmp(spec, "none") == 0) return 0;
    writer w;
    int r = parse_spec(spec, &w, err);
    writer_done(&w);
    return r < 0 ? r : 0;
}

int jb_untrusted_action_parse(const char *value, jb_untrusted_action *ret, jb_error *err) {
    value = jb_str_or_empty(value);
    if (strcmp(value, "flag") == 0)
        *ret = JB_UNTRUSTED_FLAG;
    else if (strcmp(value, "drop") == 0)
        *ret = JB_UNTRUSTED_DROP;
    else
        return jb_error_set(err, -EINVAL, "'%s': expected flag or drop", value);
    return 0;
}

jb_trust *jb_trust_free(jb_trust *t) {
    if (!t) return NULL;
    for (size_t i = 0; i < t->n; i++) writer_done(&t->writers[i]);
    jb_free(t->writers);
    jb_free(t);
    return NULL;
}

static int add_writer(jb_trust *t, const char *spec, jb_error *err) {
    int r = parse_spec(spec, &t->writers[t->n], err);
    if (r < 0) {
        writer_done(&t->writers[t->n]);
        return r;
    }
    t->n++;
    return 0;
}

int jb_trust_new(const char *const *specs, size_t n, jb_trust **ret, jb_error *err) {
    bool defaults = true;
    for (size_t i = 0; i < n; i++)
        if (specs[i] && strcmp(specs[i], "none") == 0) defaults = false;
    size_t n_defaults = JB_ELEMENTSOF(jb_trust_defaults) - 1;
    jb_trust *t = jb_calloc(1, sizeof *t);
    if (t) t->writers = jb_calloc(n + n_defaults + 1, sizeof *t->writers);
    if (!t || !t->writers) {
        jb_trust_free(t);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    int r = 0;
    for (size_t i = 0; defaults && r >= 0 && i < n_defaults; i++) r = add_writer(t, jb_trust_defaults[i], err);
    for (size_t i = 0; r >= 0 && i < n; i++)
        if (!specs[i] || strcmp(specs[i], "none") != 0) r = add_writer(t, specs[i], err);
    if (r < 0) {
        jb_trust_free(t);
        return r;
    }
    *ret = t;
    return 0;
}

static bool writer_match(const writer *w, const jb_entry *e) {
    for (int k = 0; k < N_KEYS; k++) {
        if (!w->text[k]) continue;
        const jb_buf *b = entry_field(e, k);
        if (b->len == 0) return false;
        if (k == KEY_UID || k == KEY_GID) {
            uint64_t v;
            if (jb_parse_u64(b->data, b->len, &v) < 0 || v != w->num[k]) return false;
        } else if (!jb_slice_eq(b->data, b->len, w->text[k])) {
            return false;
        }
    }
    return true;
}

bool jb_trust_match(const jb_trust *t, const jb_entry *e) {
    for (size_t i = 0; i < t->n; i++)
        if (writer_match(&t->writers[i], e)) return true;
    return false;
}
