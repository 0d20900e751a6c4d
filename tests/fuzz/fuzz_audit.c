/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: audit recognition (jb_audit_recognize) on arbitrary lines, then the record it makes
 * through the structured-data builder and the RFC 5424 formatter.
 * Input: one byte choosing the matcher (default marker, or two markers; anchored at the line start
 * or anywhere), then the line.
 * Properties: recognition succeeds (0, or JB_AUDIT_REJECTED with a NONE result), and gives the
 * same result with the flat-object fast path and
 * without it (jansson alone); NONE has no fields, OK has every required
 * key and no reason, MALFORMED has a reason; at most JB_AUDIT_MAX_FIELDS fields, each with a valid
 * PARAM-NAME; the structured data validates; the formatted record is one line without control
 * characters; the wrapped form's component is NUL-terminated, at most JB_COMPONENT_MAX bytes,
 * only for a wrapped line, and jb_audit_inner() succeeds on every line (issue 17). */
#include <string.h>

#include "audit.h"
#include "fuzzlib.h"
#include "rfc5424.h"
#include "sd.h"

static jb_audit_matcher *matchers[4];

static void setup(void) {
    static const char *const two[] = {"AUDIT:", JB_AUDIT_DEFAULT_MARKER};
    static const jb_audit_opts two_markers = {.markers = two, .n_markers = 2};
    static const jb_audit_opts anywhere = {.anchor = JB_AUDIT_ANCHOR_ANYWHERE};
    static const jb_audit_opts two_anywhere = {.markers = two, .n_markers = 2, .anchor = JB_AUDIT_ANCHOR_ANYWHERE};
    if (matchers[0]) return;
    FUZZ_CHECK(jb_audit_matcher_new_opts(NULL, &matchers[0], NULL) == 0);
    FUZZ_CHECK(jb_audit_matcher_new_opts(&two_markers, &matchers[1], NULL) == 0);
    FUZZ_CHECK(jb_audit_matcher_new_opts(&anywhere, &matchers[2], NULL) == 0);
    FUZZ_CHECK(jb_audit_matcher_new_opts(&two_anywhere, &matchers[3], NULL) == 0);
}

static int is_param_name(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 32) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 33 || c > 126 || c == '=' || c == ']' || c == '"') return 0;
    }
    return 1;
}

static void check_result(const jb_audit *a) {
    FUZZ_CHECK(a->n_fields <= JB_AUDIT_MAX_FIELDS, "%zu fields", a->n_fields);
    switch (a->kind) {
    case JB_AUDIT_NONE:
        FUZZ_CHECK(a->n_fields == 0 && a->reason == NULL);
        return;
    case JB_AUDIT_OK:
        FUZZ_CHECK(a->reason == NULL && a->json != NULL);
        for (size_t k = 0; k < JB_ELEMENTSOF(jb_audit_required_keys); k++) {
            int found = 0;
            const char *want = jb_audit_required_keys[k];
            size_t wl = strlen(want);
            /* the key itself, or the flattened members of an object or array under it */
            for (size_t i = 0; i < a->n_fields && !found; i++)
                found =
                    !strncmp(a->fields[i].key, want, wl) && (a->fields[i].key[wl] == 0 || a->fields[i].key[wl] == '.');
            FUZZ_CHECK(found, "OK record without %s", jb_audit_required_keys[k]);
        }
        break;
    case JB_AUDIT_MALFORMED:
        FUZZ_CHECK(a->reason != NULL && a->json != NULL);
        break;
    default:
        FUZZ_CHECK(0, "kind %d", (int)a->kind);
    }
    for (size_t i = 0; i < a->n_fields; i++) {
        const jb_field *f = &a->fields[i];
        FUZZ_CHECK(f->name && f->key && f->value, "field %zu incomplete", i);
        FUZZ_CHECK(is_param_name(f->name), "field name '%s' is not a PARAM-NAME", f->name);
        FUZZ_CHECK(f->value[f->value_len] == 0, "value not NUL-terminated");
    }
}

static int same_result(const jb_audit *a, const jb_audit *b) {
    if (a->kind != b->kind || a->n_fields != b->n_fields || a->json_len != b->json_len) return 0;
    if ((a->reason == NULL) != (b->reason == NULL) || (a->reason && strcmp(a->reason, b->reason))) return 0;
    if (a->json_len && memcmp(a->json, b->json, a->json_len)) return 0;
    for (size_t i = 0; i < a->n_fields; i++) {
        const jb_field *x = &a->fields[i], *y = &b->fields[i];
        if (strcmp(x->name, y->name) || strcmp(x->key, y->key) || x->value_len != y->value_len ||
            memcmp(x->value, y->value, x->value_len))
            return 0;
    }
    return 1;
}

static void check_line(const char *msg, size_t n, const jb_audit *a) {
    jb_record rec = {
        .message = msg,
        .message_len = n,
        .container_name = "ptfe_atlas",
        .container_id = "0123456789ab",
        .image = "hashicorp/ptfe-atlas:latest",
        .identifier = "ptfe_atlas",
        .hostname = "tfe-host",
        .time_usec = 1522187729000000u,
        .severity = 6,
        .facility = -1,
        .cursor = "s=0",
        .record_id = "0123456789abcdef",
        .audit = a,
        .component = a->wrap_component,
        .container_tag = "",
        .stream = a->kind == JB_AUDIT_NONE ? JB_STREAM_APP : JB_STREAM_AUDIT,
    };
    jb_buf sd = JB_BUF_INIT, line = JB_BUF_INIT;
    FUZZ_CHECK(jb_sd_build(&rec, 0, &sd) == 0);
    FUZZ_CHECK(jb_sd_validate(sd.data, sd.len) == 0, "invalid SD: %s", sd.data);
    FUZZ_CHECK(jb_rfc5424_format(&rec, NULL, &line) == 0);
    FUZZ_CHECK(line.len > 0 && line.data[line.len - 1] == '\n');
    for (size_t i = 0; i + 1 < line.len; i++) {
        unsigned char c = (unsigned char)line.data[i];
        FUZZ_CHECK(c >= 0x20 && c != 0x7f, "control byte 0x%02x at %zu of the line", c, i);
    }
    /* the SD is in the line as built, right after the six header fields */
    const char *p = line.data;
    for (int sp = 0; sp < 6; sp++) {
        p = memchr(p, ' ', line.len - (size_t)(p - line.data));
        FUZZ_CHECK(p != NULL);
        p++;
    }
    FUZZ_CHECK((size_t)(line.data + line.len - p) >= sd.len && memcmp(p, sd.data, sd.len) == 0);
    jb_buf_done(&sd);
    jb_buf_done(&line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    setup();
    if (size < 1) return 0;
    const jb_audit_matcher *m = matchers[data[0] & 3];
    const char *msg = (const char *)data + 1;
    size_t n = size - 1;

    jb_audit a = {0}, b = {0};
    int r = jb_audit_recognize(m, msg, n, &a);
    FUZZ_CHECK(r == 0 || (r == JB_AUDIT_REJECTED && a.kind == JB_AUDIT_NONE), "%d", r);
    check_result(&a);
    jb_audit_fast_path = false; /* the second run takes the jansson path: both must agree */
    FUZZ_CHECK(jb_audit_recognize(m, msg, n, &b) == r);
    jb_audit_fast_path = true;
    FUZZ_CHECK(same_result(&a, &b), "the flat-object fast path and jansson disagree");
    /* issue 17: the wrapped form's component, and its inner text on request */
    FUZZ_CHECK(a.wrap_component_len <= JB_COMPONENT_MAX && a.wrap_component[a.wrap_component_len] == 0 &&
               strlen(a.wrap_component) == a.wrap_component_len);
    FUZZ_CHECK(a.wrapped || (a.wrap_component_len == 0 && a.wrap_log == NULL));
    check_line(msg, n, &a);
    FUZZ_CHECK(jb_audit_inner(msg, n, &a) == 0);
    FUZZ_CHECK(!a.wrap_log || (a.wrapped && a.wrap_log[a.wrap_log_len] == 0));
    jb_audit_done(&a);
    jb_audit_done(&b);
    return 0;
}
