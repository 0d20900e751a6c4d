/* SPDX-License-Identifier: Apache-2.0 */
#include "audit.h"

#include <stdbool.h>
#include <string.h>

#include "audit-internal.h"
#include "json-write.h"
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

const char *jb__audit_missing_key(bool (*has)(const void *ctx, const char *key), const void *ctx) {
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

/* ---- matcher ---- */

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
        int r = jb_json_escape(&b, s, mk->raw_len, ascii);
        if (r == -EINVAL) {
            jb_buf_done(&b);
            continue;
        }
        if (r < 0) {
            jb_buf_done(&b);
            return r;
        }
        bool dup = jb_slice_eq(b.data, b.len, mk->raw);
        for (size_t i = 0; i < mk->n_esc && !dup; i++) dup = jb_slice_eq(b.data, b.len, mk->esc[i]);
        if (dup) {
            jb_buf_done(&b);
            continue;
        }
        mk->esc_len[mk->n_esc] = b.len;
        mk->esc[mk->n_esc++] = jb_buf_steal(&b);
    }
    return 0;
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
    if (!prof) {
        char names[128];
        jb_profile_list(names, sizeof names, ", ", false);
        return jb_error_set(err, -EINVAL, "unknown profile '%s' (built-in profiles: %s)", o->profile, names);
    }
    const char *const *markers = o->n_markers ? o->markers : prof->markers;
    size_t n = o->n_markers ? o->n_markers : prof->n_markers;
    const char *const *patterns = o->n_patterns ? o->patterns : prof->patterns;
    size_t n_patterns = o->n_patterns ? o->n_patterns : prof->n_patterns;

    if (!markers && n) return jb_error_set(err, -EINVAL, "audit markers: no list given for %zu markers", n);
    for (size_t i = 0; i < n; i++)
        if (!markers[i] || !markers[i][0])
            return jb_error_set(err, -EINVAL, "audit marker %zu is empty: it would match every line", i + 1);

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

/* true: flat objects take audit-flat.c's path (see audit.h). */
bool jb_audit_fast_path = true;

/* Rule 2 on the text after a marker (blanks already skipped): fill a. */
static int parse_after_marker(const char *p, size_t n, jb_audit *a) {
    if (jb_audit_fast_path) {
        int r = jb__audit_flat_object(p, n, a);
        if (r != 0) return r < 0 ? r : 0;
    }
    return jb__audit_json_object(p, n, a);
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

/* Rule 1 on the "log" string of a wrapper. */
typedef struct wrapper {
    const jb_audit_matcher *m;
    jb_audit *a;
} wrapper;

static int recognize_log(const char *log, size_t n, void *userdata) {
    const wrapper *w = userdata;
    return recognize_text(w->m, log, n, w->a);
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

    /* Application lines are the bulk: the JSON parser runs only when some form of a marker is present. */
    bool wrapped = false;
    if (lead < n && msg[lead] == '{' && (hit || has_escaped_marker(m, msg, n))) {
        wrapper w = {m, &a};
        r = jb__audit_json_unwrap(msg + lead, n - lead, recognize_log, &w);
        wrapped = r > 0;
    }
    if (r >= 0 && !wrapped && hit) r = parse_at_marker(hit, mlen, msg + n, &a);
    if (r >= 0 && a.kind == JB_AUDIT_NONE) r = match_patterns(m, msg, n, &a);
    if (r < 0) {
        jb_audit_done(&a);
        jb_audit_done(ret);
        return r;
    }
    *ret = a;
    return 0;
}
