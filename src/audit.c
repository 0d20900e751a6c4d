/* SPDX-License-Identifier: Apache-2.0 */
#include "audit.h"

#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
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
    jb_audit_anchor anchor;
    char **containers; /* globs: the containers audit may come from; none: any */
    size_t n_containers;
    const char *const *components; /* the profile's (static): wrapper components audit may come from */
    size_t n_components;
    const char *const *wrapped_containers; /* the profile's (static): audit only in the wrapped form */
    size_t n_wrapped_containers;
};

int jb_audit_anchor_from_string(const char *s, jb_audit_anchor *ret) {
    if (!s || strcmp(s, "line-start") == 0)
        *ret = JB_AUDIT_ANCHOR_LINE_START;
    else if (strcmp(s, "anywhere") == 0)
        *ret = JB_AUDIT_ANCHOR_ANYWHERE;
    else
        return -EINVAL;
    return 0;
}

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

/* The container scope: the globs given, else the profile's; the profile's wrapper components. */
static int add_scope(jb_audit_matcher *m, const jb_audit_opts *o, const jb_profile *prof, jb_error *err) {
    const char *const *globs = o->n_containers ? o->containers : prof->audit_containers;
    size_t n = o->n_containers ? o->n_containers : prof->n_audit_containers;
    m->anchor = o->anchor;
    m->components = prof->components;
    m->n_components = prof->n_components;
    m->wrapped_containers = prof->wrapped_containers;
    m->n_wrapped_containers = prof->n_wrapped_containers;
    if (n == 0) return 0;
    m->containers = jb_calloc(n, sizeof *m->containers);
    if (!m->containers) return jb_error_set(err, -ENOMEM, "out of memory");
    for (; m->n_containers < n; m->n_containers++) {
        const char *g = globs ? globs[m->n_containers] : NULL;
        if (!g || !g[0]) return jb_error_set(err, -EINVAL, "audit container %zu is empty", m->n_containers + 1);
        m->containers[m->n_containers] = jb_strdup(g);
        if (!m->containers[m->n_containers]) return jb_error_set(err, -ENOMEM, "out of memory");
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
    if (r >= 0) r = add_scope(m, o, prof, err);
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
    if (m->containers)
        for (size_t i = 0; i < m->n_containers; i++) jb_free(m->containers[i]);
    jb_free(m->containers);
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

/* ---- the anchor ---- */

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

static bool is_letter(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static size_t skip_blanks(const char *p, size_t i, size_t n) {
    while (i < n && is_blank(p[i])) i++;
    return i;
}

static bool is_time_char(char c) {
    return is_digit(c) || c == '-' || c == ':' || c == '.' || c == ',' || c == '/' || c == '+' || c == 'T' || c == 'Z';
}

/* The platform's timestamp at p + i: one or two words (date and time) made of digits and
 * "-:.,/+TZ", each starting with a digit and followed by a blank ("2018-03-27 21:55:29 ",
 * "2018-03-27T21:55:29.123Z "). The index after it and its blanks, or i when there is none. */
static size_t skip_timestamp(const char *p, size_t i, size_t n) {
    size_t j = i;
    for (int word = 0; word < 2 && j < n && is_digit(p[j]); word++) {
        size_t k = j;
        while (k < n && is_time_char(p[k])) k++;
        if (k >= n || !is_blank(p[k])) break;
        j = skip_blanks(p, k, n);
    }
    return j;
}

/* "[LEVEL]" at p + i, LEVEL 1 to 16 letters. The index after it, or i when there is none. */
static size_t skip_level(const char *p, size_t i, size_t n) {
    if (i >= n || p[i] != '[') return i;
    size_t j = i + 1;
    while (j < n && j - i <= 16 && is_letter(p[j])) j++;
    return j > i + 1 && j < n && p[j] == ']' ? j + 1 : i;
}

/* A raw marker that starts exactly at p + i. */
static const char *marker_at(const jb_audit_matcher *m, const char *p, size_t i, size_t n, size_t *ret_len) {
    for (size_t k = 0; k < m->n; k++) {
        const marker *mk = &m->markers[k];
        if (mk->raw_len <= n - i && memcmp(p + i, mk->raw, mk->raw_len) == 0) {
            *ret_len = mk->raw_len;
            return p + i;
        }
    }
    return NULL;
}

/* The marker where the anchor says it stands in p (n bytes), or NULL. Line-start: after blanks,
 * then after the timestamp and blanks, then after "[LEVEL]" and blanks (each optional). */
static const char *find_anchored(const jb_audit_matcher *m, const char *p, size_t n, size_t *ret_len) {
    if (m->anchor == JB_AUDIT_ANCHOR_ANYWHERE) return find_marker(m, p, n, ret_len);
    size_t i = skip_blanks(p, 0, n);
    const char *hit = marker_at(m, p, i, n, ret_len);
    size_t j = skip_timestamp(p, i, n);
    if (!hit && j > i) {
        i = j;
        hit = marker_at(m, p, i, n, ret_len);
    }
    j = skip_level(p, i, n);
    if (!hit && j > i) hit = marker_at(m, p, skip_blanks(p, j, n), n, ret_len);
    return hit;
}

static bool component_allowed(const jb_audit_matcher *m, const char *c, size_t len) {
    if (m->anchor == JB_AUDIT_ANCHOR_ANYWHERE || m->n_components == 0) return true;
    for (size_t i = 0; c && i < m->n_components; i++)
        if (jb_slice_eq(c, len, m->components[i])) return true;
    return false;
}

/* Rule 1 on the "log" string of a wrapper. */
typedef struct wrapper {
    const jb_audit_matcher *m;
    jb_audit *a;
    bool marker; /* the log string holds a marker (anywhere) */
} wrapper;

/* Keep n bytes at p (NUL-terminated, may hold NULs) in *ret. */
static int keep_copy(const char *p, size_t n, char **ret, size_t *ret_len) {
    char *c = jb_malloc(n + 1);
    if (!c) return -ENOMEM;
    if (n) memcpy(c, p, n);
    c[n] = 0;
    *ret = c;
    *ret_len = n;
    return 0;
}

/* The wrapper's parts into a: its component (when it fits), a copy of its log string. */
static int keep_wrapper(const char *log, size_t n, const char *component, size_t component_len, jb_audit *a) {
    a->wrapped = true;
    jb__audit_set_component(a, component, component_len);
    return keep_copy(log, n, &a->wrap_log, &a->wrap_log_len);
}

static int recognize_log(const char *log, size_t n, const char *component, size_t component_len, void *userdata) {
    wrapper *w = userdata;
    size_t mlen = 0;
    /* The component and the inner text (issue 17), from this one parse of the wrapper. */
    int r = keep_wrapper(log, n, component, component_len, w->a);
    if (r < 0) return r;
    w->marker = find_marker(w->m, log, n, &mlen) != NULL;
    if (!w->marker || !component_allowed(w->m, component, component_len)) return 0;
    const char *hit = find_anchored(w->m, log, n, &mlen);
    return hit ? parse_at_marker(hit, mlen, log + n, w->a) : 0; /* no marker: JB_AUDIT_NONE */
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

/* Whether another field than fields[self] has name (settled only: only the names settled so far). */
static bool name_used(const jb_audit *a, const bool *settled, bool settled_only, size_t self, const char *name) {
    for (size_t j = 0; j < a->n_fields; j++)
        if (j != self && (!settled_only || settled[j]) && strcmp(a->fields[j].name, name) == 0) return true;
    return false;
}

/* Give fields[i] the first NAME~2, NAME~3, ... (NAME cut so that it fits in 32 bytes) that no
 * other field has. 0 or -ENOMEM. */
static int rename_field(jb_audit *a, const bool *settled, size_t i) {
    char name[JB_SD_NAME_MAX + 1];
    for (unsigned k = 2;; k++) {
        char suffix[16];
        int sl = snprintf(suffix, sizeof suffix, "~%u", k);
        size_t base = strlen(a->fields[i].name);
        if (base > JB_SD_NAME_MAX - (size_t)sl) base = JB_SD_NAME_MAX - (size_t)sl;
        snprintf(name, sizeof name, "%.*s%s", (int)base, a->fields[i].name, suffix);
        if (!name_used(a, settled, false, i, name)) break;
    }
    char *n = jb_strndup(name, strlen(name));
    if (!n) return -ENOMEM;
    jb_free(a->fields[i].name);
    a->fields[i].name = n;
    a->renamed++;
    return 0;
}

/* Make the fields' PARAM-NAMEs unique. Two keys can give one name: jb_sd_name() maps "resource id"
 * to "resource_id", cuts keys to 32 bytes; a nested path "a.b" and a key "a.b" are one name. Keys
 * that are their own name keep it first, in document order, so a mapped key can never take the
 * name of a genuine one ("resource id" cannot pose as "resource_id"); then the mapped keys, in
 * document order. A field whose name is taken becomes NAME~2, NAME~3, ... (rename_field()).
 * a->renamed counts them. 0 or -ENOMEM. */
static int unique_names(jb_audit *a) {
    bool settled[JB_AUDIT_MAX_FIELDS] = {false};
    if (a->n_fields > JB_AUDIT_MAX_FIELDS || a->n_pooled == a->n_fields) return 0; /* pooled: distinct keys */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < a->n_fields; i++) {
            bool own = strcmp(a->fields[i].name, a->fields[i].key) == 0;
            if (settled[i] || own != (pass == 0)) continue;
            if (name_used(a, settled, true, i, a->fields[i].name) && i >= a->n_pooled) {
                int r = rename_field(a, settled, i);
                if (r < 0) return r;
            }
            settled[i] = true;
        }
    }
    return 0;
}

/* jb_audit_recognize(); *ret_wrapped: the record is audit found in a wrapper's "log" string. */
static int recognize(const jb_audit_matcher *m, const char *msg, size_t n, jb_audit *ret, bool *ret_wrapped) {
    jb_audit a = {0};
    int r = 0;

    if (!msg) n = 0;
    size_t lead = skip_blanks(msg, 0, n);

    size_t mlen = 0;
    const char *hit = n ? find_marker(m, msg, n, &mlen) : NULL;

    /* Application lines are the bulk: the JSON parser runs only when some form of a marker is present. */
    bool wrapped = false;
    wrapper w = {m, &a, false};
    if (lead < n && msg[lead] == '{' && (hit || has_escaped_marker(m, msg, n))) {
        r = jb__audit_json_unwrap(msg + lead, n - lead, recognize_log, &w);
        wrapped = r > 0;
    } else if (lead < n && msg[lead] == '{') {
        jb__audit_flat_wrapper(msg + lead, n - lead, &a); /* issue 17: the component, no allocation */
    }
    if (r >= 0 && !wrapped && hit) {
        hit = m->anchor == JB_AUDIT_ANCHOR_ANYWHERE ? hit : find_anchored(m, msg, n, &mlen);
        if (hit)
            r = parse_at_marker(hit, mlen, msg + n, &a);
        else
            w.marker = true;
    }
    if (r >= 0 && a.kind == JB_AUDIT_NONE) r = match_patterns(m, msg, n, &a);
    if (r >= 0 && a.n_fields > 1) r = unique_names(&a);
    if (r < 0) {
        jb_audit_done(&a);
        jb_audit_done(ret);
        return r;
    }
    *ret = a;
    *ret_wrapped = wrapped && a.kind != JB_AUDIT_NONE;
    return a.kind == JB_AUDIT_NONE && (w.marker || (wrapped && hit)) ? JB_AUDIT_REJECTED : 0;
}

int jb_audit_recognize(const jb_audit_matcher *m, const char *msg, size_t n, jb_audit *ret) {
    bool wrapped;
    return recognize(m, msg, n, ret, &wrapped);
}

/* A container whose audit comes only wrapped (the profile's; not with the anchor anywhere). */
static bool wrapped_only(const jb_audit_matcher *m, const char *container) {
    if (m->anchor == JB_AUDIT_ANCHOR_ANYWHERE) return false;
    for (size_t i = 0; i < m->n_wrapped_containers; i++)
        if (strcmp(m->wrapped_containers[i], jb_str_or_empty(container)) == 0) return true;
    return false;
}

bool jb_audit_in_scope(const jb_audit_matcher *m, const char *container) {
    if (m->n_containers == 0) return true;
    container = jb_str_or_empty(container);
    for (size_t i = 0; i < m->n_containers; i++)
        if (fnmatch(m->containers[i], container, 0) == 0) return true;
    return false;
}

int jb_audit_recognize_scoped(const jb_audit_matcher *m, const char *container, const char *msg, size_t n,
                              jb_audit *ret) {
    bool wrapped = false;
    int r = recognize(m, msg, n, ret, &wrapped);
    /* Application lines, the bulk, need no scope: only a line with a marker or a pattern does. */
    if (r < 0 || (r == 0 && ret->kind == JB_AUDIT_NONE)) return r;
    if (jb_audit_in_scope(m, container) && (wrapped || !wrapped_only(m, container))) return r;
    /* Not audit, but still the wrapped form: keep what the parse found. */
    jb_audit keep = {.wrapped = ret->wrapped, .wrap_log = ret->wrap_log, .wrap_log_len = ret->wrap_log_len};
    jb__audit_set_component(&keep, ret->wrap_component, ret->wrap_component_len);
    ret->wrap_log = NULL;
    jb_audit_done(ret);
    *ret = keep;
    return JB_AUDIT_REJECTED;
}

static int inner_log(const char *log, size_t n, const char *component, size_t component_len, void *userdata) {
    (void)component;
    (void)component_len;
    jb_audit *a = userdata;
    return keep_copy(log, n, &a->wrap_log, &a->wrap_log_len);
}

int jb_audit_inner(const char *msg, size_t n, jb_audit *a) {
    if (!a->wrapped || a->wrap_log) return 0;
    size_t lead = skip_blanks(msg, 0, n);
    int r = jb__audit_json_unwrap(msg + lead, n - lead, inner_log, a);
    return r < 0 ? r : 0;
}

void jb__audit_set_component(jb_audit *a, const char *c, size_t len) {
    bool ok = c && len >= 1 && len <= JB_COMPONENT_MAX && !memchr(c, 0, len);
    a->wrap_component_len = ok ? len : 0;
    if (ok) memcpy(a->wrap_component, c, len);
    a->wrap_component[a->wrap_component_len] = 0;
}
