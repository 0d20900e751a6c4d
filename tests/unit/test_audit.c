/* SPDX-License-Identifier: Apache-2.0 */
/* audit.c: marker recognition, the wrapped form, flattening, required keys, allocation failure.
 *
 * File-driven cases in data/audit/: NAME.in is the message, byte for byte (NULs and a trailing
 * "\r" included, no newline added), recognized with the default marker and anchor (line-start;
 * cases named anywhere_* with JB_AUDIT_ANCHOR_ANYWHERE). NAME.out is the dump:
 *   rejected               (only when jb_audit_recognize() returned JB_AUDIT_REJECTED)
 *   kind=none|ok|malformed
 *   reason=TEXT            (empty unless malformed)
 *   json=TEXT              (a->json)
 *   field NAME KEY=VALUE   (one line per field, in order)
 * with '\' and control characters written as C escapes (\\ \n \r \t \xHH); other bytes as they
 * are. JB_UPDATE_EXPECTED=1 writes NAME.out: review it before committing. */

#include "testlib.h"

#include "audit.h"
#include "record.h"
#include "sd.h"
#include "util.h"

/* Allocation failure: testlib.h's hook, failing only the one allocation (tl_fail_once_after): later
 * ones succeed again, which is harder on cleanup paths (and on jansson) than failing all of them. */

/* A matcher for n markers (n == 0: the default marker). */
static int matcher_new(const char *const *markers, size_t n, jb_audit_matcher **ret, jb_error *err) {
    jb_audit_opts o = {.markers = markers, .n_markers = n};
    return jb_audit_matcher_new_opts(&o, ret, err);
}

/* The same, the marker taken anywhere in the line (the tests of the markers themselves). */
static int matcher_new_anywhere(const char *const *markers, size_t n, jb_audit_matcher **ret) {
    jb_audit_opts o = {.markers = markers, .n_markers = n, .anchor = JB_AUDIT_ANCHOR_ANYWHERE};
    return jb_audit_matcher_new_opts(&o, ret, NULL);
}

/* ---- dump ---- */

static bool valid_param_name(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 32) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 33 || c > 126 || c == '=' || c == ']' || c == '"') return false;
    }
    return true;
}

/* Invariants every result keeps, whatever the input. */
static void check_audit(const jb_audit *a) {
    switch (a->kind) {
    case JB_AUDIT_NONE:
        assert_null(a->reason);
        assert_null(a->json);
        assert_null(a->fields);
        assert_int_equal(a->n_fields, 0);
        break;
    case JB_AUDIT_OK:
        assert_null(a->reason);
        assert_non_null(a->json);
        break;
    case JB_AUDIT_MALFORMED:
        assert_non_null(a->reason);
        assert_non_null(a->json);
        break;
    default:
        fail_msg("bad kind %d", (int)a->kind);
    }
    if (a->json) assert_int_equal(a->json[a->json_len], 0);
    unsigned renamed = 0;
    assert_true(a->n_fields <= JB_AUDIT_MAX_FIELDS);
    for (size_t i = 0; i < a->n_fields; i++) {
        const jb_field *fd = &a->fields[i];
        assert_non_null(fd->key);
        assert_non_null(fd->value);
        assert_int_equal(fd->value[fd->value_len], 0);
        assert_true(valid_param_name(fd->name));
        char expect[JB_SD_NAME_MAX + 1];
        jb_sd_name(fd->key, strlen(fd->key), JB_SD_NAME_MAX, expect);
        /* the key's name, or (made unique) a cut of it followed by "~N" */
        const char *tilde = strrchr(fd->name, '~');
        if (strcmp(fd->name, expect) != 0) {
            assert_non_null(tilde);
            assert_true(strncmp(fd->name, expect, (size_t)(tilde - fd->name)) == 0);
            renamed++;
        }
        for (size_t j = 0; j < i; j++) assert_string_not_equal(a->fields[j].name, fd->name);
    }
    assert_int_equal(renamed, a->renamed);
}

static void dump_audit(FILE *f, const jb_audit *a) {
    check_audit(a);
    fprintf(f, "kind=%s\nreason=%s\n", jb_audit_kind_name(a->kind), a->reason ? a->reason : "");
    if (a->renamed) fprintf(f, "renamed=%u\n", a->renamed);
    fputs("json=", f);
    if (a->json) tl_dump_bytes(f, a->json, a->json_len);
    fputc('\n', f);
    for (size_t i = 0; i < a->n_fields; i++) {
        fprintf(f, "field %s ", a->fields[i].name);
        tl_dump_bytes(f, a->fields[i].key, strlen(a->fields[i].key));
        fputc('=', f);
        tl_dump_bytes(f, a->fields[i].value, a->fields[i].value_len);
        fputc('\n', f);
    }
}

/* Recognize and dump into a new string (caller frees). */
static char *recognize_dump(const jb_audit_matcher *m, const char *msg, size_t n, size_t *ret_len) {
    jb_audit a = {0};
    int r = jb_audit_recognize(m, msg, n, &a);
    assert_true(r == 0 || r == JB_AUDIT_REJECTED);
    if (r == JB_AUDIT_REJECTED) assert_int_equal(a.kind, JB_AUDIT_NONE);
    char *got = NULL;
    FILE *f = open_memstream(&got, ret_len);
    if (r == JB_AUDIT_REJECTED) fputs("rejected\n", f);
    dump_audit(f, &a);
    fclose(f);
    jb_audit_done(&a);
    return got;
}

/* A copy of n bytes in a buffer of exactly n bytes, so ASan sees any read past the message. */
static char *exact_copy(const char *p, size_t n) {
    char *d = malloc(n ? n : 1);
    assert_non_null(d);
    if (n)
        memcpy(d, p, n);
    else
        d[0] = 0;
    return d;
}

static jb_audit_matcher *default_matcher(void) {
    jb_audit_matcher *m = NULL;
    assert_int_equal(matcher_new(NULL, 0, &m, NULL), 0);
    assert_non_null(m);
    return m;
}

/* The matcher for the file case called name: the default one, anchored anywhere for anywhere_*. */
static jb_audit_matcher *case_matcher(const char *name) {
    if (strncmp(name, "anywhere_", 9) != 0) return default_matcher();
    jb_audit_opts o = {.anchor = JB_AUDIT_ANCHOR_ANYWHERE};
    jb_audit_matcher *m = NULL;
    assert_int_equal(jb_audit_matcher_new_opts(&o, &m, NULL), 0);
    return m;
}

/* ---- file-driven cases ---- */

/* The message of case NAME.in in a block of exactly its size (caller frees). */
static char *read_message(const char *dir, const char *name, size_t *len) {
    char *text = tl_read_case(dir, name, len);
    char *msg = exact_copy(text, *len);
    free(text);
    return msg;
}

static void one_case(const char *dir, const char *name) {
    size_t len = 0;
    char *msg = read_message(dir, name, &len);
    jb_audit_matcher *m = case_matcher(name);
    size_t got_len = 0;
    char *got = recognize_dump(m, msg, len, &got_len);
    tl_expect_case(dir, name, got, got_len);
    free(got);
    jb_audit_matcher_free(m);
    free(msg);
}

static void test_cases(void **state) {
    tl_each_case("audit", one_case);
}

/* ---- allocation failure over every file case ---- */

/* jansson 2.14 asserts in lex_unget_unsave() when growing its token buffer failed in a number token
 * of 15 or more characters (the dropped byte is then popped back): such cases cannot be run under
 * allocation failure. */
static const char *const no_alloc_loop[] = {"integer_overflow"};

static void alloc_case(const char *dir, const char *name) {
    for (size_t i = 0; i < JB_ELEMENTSOF(no_alloc_loop); i++)
        if (strcmp(name, no_alloc_loop[i]) == 0) return;

    size_t len = 0;
    char *msg = read_message(dir, name, &len);
    jb_audit_matcher *m = case_matcher(name);
    size_t want_len = 0;
    char *want = recognize_dump(m, msg, len, &want_len);

    for (long n = 0;; n++) {
        jb_audit a = {0};
        tl_fail_once_after(n);
        int r = jb_audit_recognize(m, msg, len, &a);
        tl_fail_off();
        if (r >= 0) {
            char *got = NULL;
            size_t got_len = 0;
            FILE *f = open_memstream(&got, &got_len);
            if (r == JB_AUDIT_REJECTED) fputs("rejected\n", f);
            dump_audit(f, &a);
            fclose(f);
            if (got_len != want_len || memcmp(got, want, got_len) != 0)
                fail_msg("%s: result differs after failing allocation %ld:\n%s\n--- want\n%s", name, n + 1, got, want);
            free(got);
            jb_audit_done(&a);
            break;
        }
        assert_int_equal(r, -ENOMEM);
        /* cleared on failure */
        assert_int_equal(a.kind, JB_AUDIT_NONE);
        assert_null(a.json);
        assert_null(a.fields);
        assert_int_equal(a.n_fields, 0);
        assert_true(n < 10000);
    }
    free(want);
    jb_audit_matcher_free(m);
    free(msg);
}

static void test_alloc_failure_cases(void **state) {
    tl_each_case("audit", alloc_case);
}

static void test_alloc_failure_matcher_new(void **state) {
    static const char *const markers[] = {"[Audit Log]", "<<\"audit\">>", "[Journal d\342\200\231audit]"};
    for (long n = 0;; n++) {
        jb_audit_matcher *m = (jb_audit_matcher *)(uintptr_t)1;
        jb_error err = {0};
        tl_fail_once_after(n);
        int r = matcher_new(markers, JB_ELEMENTSOF(markers), &m, &err);
        tl_fail_off();
        if (r == 0) {
            assert_non_null(m);
            jb_audit_matcher_free(m);
            break;
        }
        assert_int_equal(r, -ENOMEM);
        assert_int_equal(err.code, -ENOMEM);
        assert_ptr_equal(m, (jb_audit_matcher *)(uintptr_t)1); /* untouched on failure */
        assert_true(n < 1000);
    }
}

/* ---- the flat-object fast path against jansson ---- */

#define REQUIRED_JSON \
    "\"resource\":\"r\",\"action\":\"a\",\"resource_id\":\"i\",\"actor\":\"u\",\"timestamp\":\"t\",\"actor_ip\":\"1\""

/* The dump of msg with the fast path on or off (caller frees). */
static char *dump_with(const jb_audit_matcher *m, const char *msg, size_t n, bool fast, size_t *ret_len) {
    char *dump;
    jb_audit_fast_path = fast;
    dump = recognize_dump(m, msg, n, ret_len);
    jb_audit_fast_path = true;
    return dump;
}

static void expect_same_both_ways(const jb_audit_matcher *m, const char *msg, size_t n) {
    char *copy = exact_copy(msg, n);
    size_t fast_len = 0, slow_len = 0;
    char *fast = dump_with(m, copy, n, true, &fast_len);
    char *slow = dump_with(m, copy, n, false, &slow_len);
    if (fast_len != slow_len || memcmp(fast, slow, fast_len) != 0) {
        fprintf(stderr, "input (%zu bytes): ", n);
        tl_dump_bytes(stderr, msg, n);
        fail_msg("\nfast path:\n%s--- jansson:\n%s", fast, slow);
    }
    free(fast);
    free(slow);
    free(copy);
}

static void fast_case(const char *dir, const char *name) {
    size_t len = 0;
    char *text = tl_read_case(dir, name, &len);
    jb_audit_matcher *m = default_matcher();
    expect_same_both_ways(m, text, len);
    jb_audit_matcher_free(m);
    free(text);
}

/* Every file case, hand-written edge cases of the subset, and 200,000 mutations of a typical
 * record (bytes replaced, inserted or deleted from an alphabet of JSON's structural characters,
 * digits, escapes, control and non-ASCII bytes) give the same result with and without the fast
 * path. */
static void test_fast_path_matches_jansson(void **state) {
    tl_each_case("audit", fast_case);

    jb_audit_matcher *m = default_matcher();
    static const char *const edge[] = {
        "[Audit Log] {}",
        "[Audit Log] {\"\":\"x\"}",
        "[Audit Log] {\"a\":1,}",
        "[Audit Log] {\"a\":1 \"b\":2}",
        "[Audit Log] {\"a\":-0}",
        "[Audit Log] {\"a\":0}",
        "[Audit Log] {\"a\":-7,\"b\":007}",
        "[Audit Log] {\"a\":123456789012345678}",
        "[Audit Log] {\"a\":1234567890123456789}",
        "[Audit Log] {\"a\":-123456789012345678}",
        "[Audit Log] {\"a\":1.5}",
        "[Audit Log] {\"a\":1e3}",
        "[Audit Log] {\"a\":1E3}",
        "[Audit Log] {\"a\":truex}",
        "[Audit Log] {\"a\":true,\"b\":false,\"c\":null}",
        "[Audit Log] {\"a\":nul}",
        "[Audit Log] {\"a\":\"x\",\"a\":\"y\"}",
        "[Audit Log] {\"a\":\"x\\\"y\"}",
        "[Audit Log] {\"a\":\"caf\303\251\"}",
        "[Audit Log] {\"a\":\"tab\there\"}",
        "[Audit Log] {\"a\":\"x\"} trailing text",
        "[Audit Log] {\"a\":\"x\"}}",
        "[Audit Log] \n\r\t {\n\"a\" :\t\"x\" ,\r\n\"b\":2\n}",
        "[Audit Log] {\"a\":\"x\"",
        "[Audit Log] {\"a\":",
        "[Audit Log] {\"a\"",
        "[Audit Log] {\"a\":{\"b\":1}}",
        "[Audit Log] {\"a\":[1,2]}",
        "[Audit Log] {\"a key with spaces and = and ]\":\"v\"}",
        "[Audit Log] {\"a_key_longer_than_thirty_two_characters_in_all\":\"v\"}",
        "[Audit Log] {" REQUIRED_JSON "}",
        "[Audit Log] {" REQUIRED_JSON ",\"extra\":42,\"flag\":true}",
        "{\"component\":\"atlas\",\"log\":\"[Audit Log] {\\\"resource\\\":\\\"r\\\",\\\"x\\\":1}\"}",
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(edge); i++) expect_same_both_ways(m, edge[i], strlen(edge[i]));

    /* more members than the fast path takes */
    jb_buf many = JB_BUF_INIT;
    assert_int_equal(jb_buf_puts(&many, "[Audit Log] {"), 0);
    for (int i = 0; i < 70; i++) assert_int_equal(jb_buf_printf(&many, "%s\"k%d\":%d", i ? "," : "", i, i), 0);
    assert_int_equal(jb_buf_putc(&many, '}'), 0);
    expect_same_both_ways(m, many.data, many.len);
    jb_buf_done(&many);

    static const char seed[] =
        "2023-11-14 22:13:20 [INFO] [Audit Log] {\"resource\":\"variable\",\"action\":"
        "\"unlock\",\"resource_id\":\"pol-2t9JzUKFZhSsQcFj\",\"actor\":\"bob\",\"timestamp\":"
        "\"2023-11-14T22:13:20Z\",\"actor_ip\":\"10.244.179.33\",\"n\":-12,\"ok\":true} tail";
    static const char alphabet[] = "{}[]\",:\\ \t\n-+.eE0123456789tfnulrsaxyz/\001\177\200\303\251";
    char buf[sizeof seed + 16];
    uint64_t rng = 0x9e3779b97f4a7c15u;
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = sizeof seed - 1;
        memcpy(buf, seed, n);
        int edits = 1 + (int)(iter % 3);
        for (int e = 0; e < edits; e++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            size_t at = 39 + (size_t)(rng % (n - 39)); /* after the marker */
            char c = alphabet[(rng >> 32) % (sizeof alphabet - 1)];
            switch ((rng >> 48) % 3) {
            case 0:
                buf[at] = c;
                break;
            case 1:
                if (n + 1 >= sizeof buf) break;
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = c;
                n++;
                break;
            default:
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            }
        }
        expect_same_both_ways(m, buf, n);
    }
    jb_audit_matcher_free(m);
}

/* The typical record takes the fast path: its strings in one block, three allocations in all. */
static void test_fast_path_taken(void **state) {
    jb_audit_matcher *m = default_matcher();
    static const char line[] = "2023-11-14 22:13:20 [INFO] [Audit Log] {" REQUIRED_JSON ",\"n\":5}";
    jb_audit a = {0};
    tl_count_allocs();
    assert_int_equal(jb_audit_recognize(m, line, sizeof line - 1, &a), 0);
    long allocs = tl_alloc_count;
    tl_fail_off();
    assert_int_equal(a.kind, JB_AUDIT_OK);
    assert_int_equal(a.n_fields, 7);
    assert_int_equal(a.n_pooled, 7);
    assert_non_null(a.strings);
    assert_int_equal(allocs, 3);
    assert_string_equal(a.fields[6].key, "n");
    assert_string_equal(a.fields[6].value, "5");
    jb_audit_done(&a);
    assert_null(a.strings);
    assert_int_equal(a.n_pooled, 0);
    jb_audit_matcher_free(m);
}

/* ---- code-level cases ---- */

static jb_audit recognize(const jb_audit_matcher *m, const char *s) {
    jb_audit a = {0};
    char *msg = exact_copy(s, strlen(s));
    int r = jb_audit_recognize(m, msg, strlen(s), &a);
    assert_true(r == 0 || r == JB_AUDIT_REJECTED);
    free(msg);
    check_audit(&a);
    return a;
}

static void test_required_keys(void **state) {
    static const char *const want[] = {"timestamp", "resource", "action", "resource_id", "actor", "actor_ip"};
    assert_int_equal(JB_ELEMENTSOF(jb_audit_required_keys), JB_ELEMENTSOF(want));
    for (size_t i = 0; i < JB_ELEMENTSOF(want); i++) assert_string_equal(jb_audit_required_keys[i], want[i]);

    /* reasons are static text: the same pointer every time, valid after the record is cleared */
    jb_audit_matcher *m = default_matcher();
    jb_audit a = recognize(m, "[Audit Log] {\"resource\":\"r\"}");
    jb_audit b = recognize(m, "[Audit Log] {\"resource\":\"x\"}");
    assert_int_equal(a.kind, JB_AUDIT_MALFORMED);
    assert_string_equal(a.reason, "missing key timestamp");
    assert_ptr_equal(a.reason, b.reason);
    jb_audit_done(&a);
    jb_audit_done(&b);
    assert_null(a.reason);
    jb_audit_matcher_free(m);
}

static void test_matcher_rejects_empty_marker(void **state) {
    static const char *const with_empty[] = {"[Audit Log]", ""};
    static const char *const with_null[] = {NULL};
    jb_audit_matcher *m = (jb_audit_matcher *)(uintptr_t)1;
    jb_error err = {0};

    assert_int_equal(matcher_new(with_empty, 2, &m, &err), -EINVAL);
    assert_int_equal(err.code, -EINVAL);
    assert_non_null(strstr(err.msg, "empty"));
    assert_ptr_equal(m, (jb_audit_matcher *)(uintptr_t)1);

    assert_int_equal(matcher_new(with_null, 1, &m, NULL), -EINVAL);
    assert_int_equal(matcher_new(NULL, 3, &m, &err), -EINVAL);
    assert_ptr_equal(m, (jb_audit_matcher *)(uintptr_t)1);

    assert_null(jb_audit_matcher_free(NULL));
}

static void test_default_marker(void **state) {
    /* n == 0 means the default marker, whatever the list */
    static const char *const ignored[] = {"AUDIT:"};
    jb_audit_matcher *m = NULL;
    assert_int_equal(matcher_new_anywhere(ignored, 0, &m), 0);
    jb_audit a = recognize(m, "x " JB_AUDIT_DEFAULT_MARKER " {" REQUIRED_JSON "}");
    assert_int_equal(a.kind, JB_AUDIT_OK);
    jb_audit_done(&a);
    a = recognize(m, "AUDIT: {" REQUIRED_JSON "}");
    assert_int_equal(a.kind, JB_AUDIT_NONE);
    jb_audit_matcher_free(m);
}

/* The container scope: the profile's containers by default, the globs given otherwise; out of
 * scope a line is never audit and is reported JB_AUDIT_REJECTED when it would have been. */
static void test_container_scope(void **state) {
    static const char genuine[] = "2018-03-27 21:55:29 [INFO] [Audit Log] {" REQUIRED_JSON "}";
    static const char app[] = "2018-03-27 21:55:29 [INFO] Started GET /";
    static const struct {
        const char *container;
        int want;
    } by_default[] = {{"ptfe_atlas", 0}, {"tfe-atlas", 0},   {"terraform-enterprise", 1},
                      {"ptfe_nginx", 1}, {"ptfe_atlas2", 1}, {"", 1},
                      {NULL, 1}};
    jb_audit_matcher *m = default_matcher();
    for (size_t i = 0; i < JB_ELEMENTSOF(by_default); i++) {
        jb_audit a = {0};
        int r = jb_audit_recognize_scoped(m, by_default[i].container, genuine, sizeof genuine - 1, &a);
        assert_int_equal(r, by_default[i].want ? JB_AUDIT_REJECTED : 0);
        assert_int_equal(a.kind, by_default[i].want ? JB_AUDIT_NONE : JB_AUDIT_OK);
        check_audit(&a);
        jb_audit_done(&a);
        /* an application line out of scope is not counted */
        assert_int_equal(jb_audit_recognize_scoped(m, by_default[i].container, app, sizeof app - 1, &a), 0);
        assert_int_equal(a.kind, JB_AUDIT_NONE);
    }

    /* terraform-enterprise: audit only from the atlas wrapper, not from a bare line */
    static const char wrapped[] = "{\"component\":\"atlas\",\"log\":\"[Audit Log] {\\\"resource\\\":\\\"r\\\"}\"}";
    jb_audit a = {0};
    assert_int_equal(jb_audit_recognize_scoped(m, "terraform-enterprise", wrapped, sizeof wrapped - 1, &a), 0);
    assert_int_equal(a.kind, JB_AUDIT_MALFORMED);
    jb_audit_done(&a);
    assert_int_equal(jb_audit_recognize_scoped(m, "terraform-enterprise", genuine, sizeof genuine - 1, &a),
                     JB_AUDIT_REJECTED);
    assert_int_equal(a.kind, JB_AUDIT_NONE);
    jb_audit_matcher_free(m);
    jb_audit_opts any_anchor = {.anchor = JB_AUDIT_ANCHOR_ANYWHERE};
    assert_int_equal(jb_audit_matcher_new_opts(&any_anchor, &m, NULL), 0);
    assert_int_equal(jb_audit_recognize_scoped(m, "terraform-enterprise", genuine, sizeof genuine - 1, &a), 0);
    assert_int_equal(a.kind, JB_AUDIT_OK);
    jb_audit_done(&a);
    jb_audit_matcher_free(m);

    static const char *const globs[] = {"web-*", "audit"};
    jb_audit_opts o = {.containers = globs, .n_containers = 2};
    assert_int_equal(jb_audit_matcher_new_opts(&o, &m, NULL), 0);
    assert_true(jb_audit_in_scope(m, "web-1"));
    assert_true(jb_audit_in_scope(m, "audit"));
    assert_false(jb_audit_in_scope(m, "ptfe_atlas"));
    jb_audit_matcher_free(m);

    /* "*" is every container and every entry (the behaviour before issue 15) */
    static const char *const any[] = {"*"};
    o = (jb_audit_opts){.containers = any, .n_containers = 1};
    assert_int_equal(jb_audit_matcher_new_opts(&o, &m, NULL), 0);
    assert_true(jb_audit_in_scope(m, "nginx"));
    assert_true(jb_audit_in_scope(m, ""));
    jb_audit_matcher_free(m);

    /* cloudify has no container scope */
    o = (jb_audit_opts){.profile = "cloudify"};
    assert_int_equal(jb_audit_matcher_new_opts(&o, &m, NULL), 0);
    assert_true(jb_audit_in_scope(m, "anything"));
    jb_audit_matcher_free(m);

    static const char *const empty[] = {""};
    jb_error err = {0};
    o = (jb_audit_opts){.containers = empty, .n_containers = 1};
    m = NULL;
    assert_int_equal(jb_audit_matcher_new_opts(&o, &m, &err), -EINVAL);
    assert_null(m);
    assert_non_null(strstr(err.msg, "empty"));
}

static void test_custom_markers(void **state) {
    static const char *const markers[] = {"AUDIT:", "<<\"audit\">>", "[Journal d\342\200\231audit]"};
    jb_audit_matcher *m = NULL;
    assert_int_equal(matcher_new_anywhere(markers, JB_ELEMENTSOF(markers), &m), 0);

    static const struct {
        const char *msg;
        jb_audit_kind kind;
        const char *reason;
    } cases[] = {
        {"t AUDIT: {" REQUIRED_JSON "}", JB_AUDIT_OK, NULL},
        {"t <<\"audit\">> {" REQUIRED_JSON "}", JB_AUDIT_OK, NULL},
        {"t [Journal d\342\200\231audit] {" REQUIRED_JSON "}", JB_AUDIT_OK, NULL},
        /* the default marker is not in the list */
        {"t [Audit Log] {" REQUIRED_JSON "}", JB_AUDIT_NONE, NULL},
        /* the first occurrence of any marker decides, whatever the order of the list */
        {"<<\"audit\">> none AUDIT: {" REQUIRED_JSON "}", JB_AUDIT_MALFORMED, "no JSON after marker"},
        {"AUDIT: none <<\"audit\">> {" REQUIRED_JSON "}", JB_AUDIT_MALFORMED, "no JSON after marker"},
        {"AUDIT:AUDIT: {" REQUIRED_JSON "}", JB_AUDIT_MALFORMED, "no JSON after marker"},
        /* wrapped: the marker escaped as encoders write it */
        {"{\"log\":\"<<\\\"audit\\\">> {\\\"resource\\\":\\\"r\\\",\\\"action\\\":\\\"a\\\",\\\"resource_id\\\":"
         "\\\"i\\\",\\\"actor\\\":\\\"u\\\",\\\"timestamp\\\":\\\"t\\\",\\\"actor_ip\\\":\\\"1\\\"}\"}",
         JB_AUDIT_OK, NULL},
        {"{\"log\":\"\\u003c\\u003c\\\"audit\\\"\\u003e\\u003e {\\\"resource\\\":\\\"r\\\"}\"}", JB_AUDIT_MALFORMED,
         "missing key timestamp"},
        {"{\"log\":\"[Journal d\\u2019audit] {\\\"resource\\\":\\\"r\\\"}\"}", JB_AUDIT_MALFORMED,
         "missing key timestamp"},
        {"{\"log\":\"[Journal d\342\200\231audit] {\\\"resource\\\":\\\"r\\\"}\"}", JB_AUDIT_MALFORMED,
         "missing key timestamp"},
        {"{\"log\":\"AUDIT: {\\\"resource\\\":\\\"r\\\"}\"}", JB_AUDIT_MALFORMED, "missing key timestamp"},
        {"{\"log\":\"app line\",\"x\":\"AUDIT\"}", JB_AUDIT_NONE, NULL},
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(cases); i++) {
        jb_audit a = recognize(m, cases[i].msg);
        if (a.kind != cases[i].kind) fail_msg("case %zu (%s): kind %d", i, cases[i].msg, (int)a.kind);
        if (cases[i].reason)
            assert_string_equal(a.reason, cases[i].reason);
        else
            assert_null(a.reason);
        jb_audit_done(&a);
    }
    jb_audit_matcher_free(m);
}

/* Application lines, plain or wrapped, never reach jansson: no allocation at all. */
static void test_app_lines_do_not_parse(void **state) {
    static const char *const lines[] = {
        "",
        "2018-03-27 21:55:29 [INFO] Completed 200 OK in 12ms",
        "{\"component\":\"atlas\",\"log\":\"2023-05-02 [INFO] Completed 200 OK\"}",
        "  {\"component\":\"nginx\",\"log\":\"GET / 200 \\\"curl\\\"\"}",
        "[Audit Log",
        "audit log {\"resource\":\"r\"}",
    };
    jb_audit_matcher *m = default_matcher();
    for (size_t i = 0; i < JB_ELEMENTSOF(lines); i++) {
        jb_audit a = {0};
        tl_count_allocs();
        assert_int_equal(jb_audit_recognize(m, lines[i], strlen(lines[i]), &a), 0);
        long n = tl_alloc_count;
        tl_fail_off();
        assert_int_equal(a.kind, JB_AUDIT_NONE);
        if (n != 0) fail_msg("%ld allocations for an application line: %s", n, lines[i]);
    }
    /* and a marker line does parse */
    jb_audit a = {0};
    static const char audit_line[] = "[Audit Log] {\"resource\":\"r\"}";
    tl_count_allocs();
    assert_int_equal(jb_audit_recognize(m, audit_line, strlen(audit_line), &a), 0);
    assert_true(tl_alloc_count > 0);
    tl_fail_off();
    jb_audit_done(&a);
    jb_audit_matcher_free(m);
}

/* Issue 17: the wrapped form's component is found without the JSON library (no allocation), the
 * inner text on request (jb_audit_inner(), one parse), and for an audit line from the one parse
 * recognition makes anyway. Lines that are not the wrapped form have neither. */
static void test_wrapper_component(void **state) {
    static const struct {
        const char *line, *component, *inner; /* inner NULL: not wrapped */
    } cases[] = {
        {"{\"component\":\"nginx\",\"log\":\"GET / 200 \\\"curl\\\"\"}", "nginx", "GET / 200 \"curl\""},
        {" {\"log\":\"a\\nb\", \"component\" : \"atlas\", \"n\":\"1\"} ", "atlas", "a\nb"},
        {"{\"log\":\"a\",\"component\":\"atlas\",\"n\":1}", "", NULL}, /* members are strings */
        {"{\"log\":\"x\"}", "", "x"},
        {"{\"component\":\"c\\u0041\",\"log\":\"x\"}", "", "x"}, /* escaped: left to the library */
        {"{\"component\":\"nginx\",\"log\":1}", "", NULL},
        {"{\"component\":\"nginx\"}", "", NULL},
        {"{\"component\":\"nginx\",\"log\":\"x\"} trailing", "", NULL},
        {"{\"component\":\"nginx\",\"log\":\"x\"", "", NULL},
        {"{\"component\":\"nginx\",\"log\":\"x\",\"o\":{}}", "", NULL},
        {"x {\"component\":\"nginx\",\"log\":\"x\"}", "", NULL},
    };
    jb_audit_matcher *m = default_matcher();
    for (size_t i = 0; i < JB_ELEMENTSOF(cases); i++) {
        jb_audit a = {0};
        const char *line = cases[i].line;
        tl_count_allocs();
        assert_int_equal(jb_audit_recognize(m, line, strlen(line), &a), 0);
        long n = tl_alloc_count;
        tl_fail_off();
        if (n != 0) fail_msg("%ld allocations for %s", n, line);
        assert_int_equal(a.kind, JB_AUDIT_NONE);
        assert_int_equal(a.wrapped, cases[i].inner != NULL);
        assert_string_equal(a.wrap_component, cases[i].component);
        assert_int_equal(a.wrap_component_len, strlen(cases[i].component));
        assert_null(a.wrap_log);
        assert_int_equal(jb_audit_inner(line, strlen(line), &a), 0);
        if (cases[i].inner) {
            assert_non_null(a.wrap_log);
            assert_string_equal(a.wrap_log, cases[i].inner);
        } else {
            assert_null(a.wrap_log);
        }
        jb_audit_done(&a);
    }
    /* an audit line: the component and the inner text from recognition's own parse */
    static const char audit[] =
        "{\"component\":\"atlas\",\"log\":\"2018-03-27 21:55:29 [INFO] [Audit Log] {\\\"resource\\\":\\\"r\\\"}\"}";
    jb_audit a = {0};
    assert_int_equal(jb_audit_recognize(m, audit, strlen(audit), &a), 0);
    assert_int_equal(a.kind, JB_AUDIT_MALFORMED);
    assert_true(a.wrapped);
    assert_string_equal(a.wrap_component, "atlas");
    assert_string_equal(a.wrap_log, "2018-03-27 21:55:29 [INFO] [Audit Log] {\"resource\":\"r\"}");
    char *kept = a.wrap_log;
    assert_int_equal(jb_audit_inner(audit, strlen(audit), &a), 0);
    assert_ptr_equal(a.wrap_log, kept); /* not parsed again */
    jb_audit_done(&a);
    /* rejected by the scope (nginx may not write audit): still the wrapped form */
    static const char hostile[] = "{\"component\":\"nginx\",\"log\":\"[Audit Log] {}\"}";
    assert_int_equal(jb_audit_recognize_scoped(m, "terraform-enterprise", hostile, strlen(hostile), &a),
                     JB_AUDIT_REJECTED);
    assert_int_equal(a.kind, JB_AUDIT_NONE);
    assert_string_equal(a.wrap_component, "nginx");
    assert_string_equal(a.wrap_log, "[Audit Log] {}");
    jb_audit_done(&a);
    jb_audit_matcher_free(m);
}

static char *make_object(size_t extra_keys, bool required) {
    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_buf_puts(&b, "[Audit Log] {"), 0);
    if (required) assert_int_equal(jb_buf_puts(&b, REQUIRED_JSON), 0);
    for (size_t i = 0; i < extra_keys; i++)
        assert_int_equal(jb_buf_printf(&b, "%s\"k%zu\":%zu", i || required ? "," : "", i, i), 0);
    assert_int_equal(jb_buf_puts(&b, "}"), 0);
    return jb_buf_steal(&b);
}

static void test_too_many_keys(void **state) {
    jb_audit_matcher *m = default_matcher();

    /* exactly JB_AUDIT_MAX_FIELDS: fine */
    char *s = make_object(JB_AUDIT_MAX_FIELDS - 6, true);
    jb_audit a = recognize(m, s);
    assert_int_equal(a.kind, JB_AUDIT_OK);
    assert_int_equal(a.n_fields, JB_AUDIT_MAX_FIELDS);
    jb_audit_done(&a);
    jb_free(s);

    /* one more: malformed, the first JB_AUDIT_MAX_FIELDS fields and the whole JSON kept */
    s = make_object(JB_AUDIT_MAX_FIELDS - 5, true);
    a = recognize(m, s);
    assert_int_equal(a.kind, JB_AUDIT_MALFORMED);
    assert_string_equal(a.reason, "too many keys");
    assert_int_equal(a.n_fields, JB_AUDIT_MAX_FIELDS);
    assert_string_equal(a.fields[0].key, "resource");
    assert_string_equal(a.fields[JB_AUDIT_MAX_FIELDS - 1].key, "k249");
    assert_string_equal(a.json, s + strlen("[Audit Log] "));
    jb_audit_done(&a);
    jb_free(s);

    /* a missing key is reported before the count */
    s = make_object(1000, false);
    a = recognize(m, s);
    assert_string_equal(a.reason, "missing key timestamp");
    assert_int_equal(a.n_fields, JB_AUDIT_MAX_FIELDS);
    jb_audit_done(&a);
    jb_free(s);

    /* array elements count as fields too */
    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_buf_puts(&b, "[Audit Log] {" REQUIRED_JSON ",\"list\":["), 0);
    for (int i = 0; i < 300; i++) assert_int_equal(jb_buf_printf(&b, "%s%d", i ? "," : "", i), 0);
    assert_int_equal(jb_buf_puts(&b, "]}"), 0);
    a = recognize(m, b.data);
    assert_string_equal(a.reason, "too many keys");
    assert_string_equal(a.fields[JB_AUDIT_MAX_FIELDS - 1].key, "list.249");
    jb_audit_done(&a);
    jb_buf_done(&b);

    jb_audit_matcher_free(m);
}

/* The message is (ptr, len): nothing past len is read, even a valid continuation. */
static void test_not_nul_terminated(void **state) {
    static const char text[] = "[Audit Log] {" REQUIRED_JSON "} tail";
    jb_audit_matcher *m = default_matcher();
    size_t cut = strlen(text) - strlen("} tail");
    char *msg = exact_copy(text, cut);
    jb_audit a = {0};
    assert_int_equal(jb_audit_recognize(m, msg, cut, &a), 0);
    check_audit(&a);
    assert_int_equal(a.kind, JB_AUDIT_MALFORMED);
    assert_string_equal(a.reason, "invalid JSON");
    assert_int_equal(a.json_len, cut - strlen("[Audit Log] "));
    assert_memory_equal(a.json, text + strlen("[Audit Log] "), a.json_len);
    jb_audit_done(&a);

    /* a marker cut by the end of the message is no marker */
    assert_int_equal(jb_audit_recognize(m, msg, strlen("[Audit Lo"), &a), 0);
    assert_int_equal(a.kind, JB_AUDIT_NONE);
    assert_int_equal(jb_audit_recognize(m, NULL, 0, &a), 0);
    assert_int_equal(a.kind, JB_AUDIT_NONE);
    free(msg);
    jb_audit_matcher_free(m);
}

/* Deep nesting: jansson's depth limit makes it invalid; below it, keys get long but stay valid. */
static void test_deep_nesting(void **state) {
    jb_audit_matcher *m = default_matcher();
    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_buf_puts(&b, "[Audit Log] {" REQUIRED_JSON ",\"d\":"), 0);
    for (int i = 0; i < 3000; i++) assert_int_equal(jb_buf_puts(&b, "["), 0);
    jb_audit a = recognize(m, b.data);
    assert_int_equal(a.kind, JB_AUDIT_MALFORMED);
    assert_string_equal(a.reason, "invalid JSON");
    jb_audit_done(&a);
    jb_buf_done(&b);

    assert_int_equal(jb_buf_puts(&b, "[Audit Log] {" REQUIRED_JSON ",\"d\":"), 0);
    for (int i = 0; i < 1000; i++) assert_int_equal(jb_buf_puts(&b, "{\"k\":"), 0);
    assert_int_equal(jb_buf_puts(&b, "1"), 0);
    for (int i = 0; i < 1001; i++) assert_int_equal(jb_buf_puts(&b, "}"), 0);
    a = recognize(m, b.data);
    assert_int_equal(a.kind, JB_AUDIT_OK);
    assert_int_equal(a.n_fields, 7);
    assert_int_equal(strlen(a.fields[6].key), 1 + 2 * 1000);
    assert_string_equal(a.fields[6].value, "1");
    jb_audit_done(&a);
    jb_buf_done(&b);
    jb_audit_matcher_free(m);
}

/* Reals are written as the shortest text that reads back, whatever the locale's decimal point. */
static void test_numbers(void **state) {
    jb_audit_matcher *m = default_matcher();
    jb_audit a =
        recognize(m,
                  "[Audit Log] {\"a\":0.1,\"b\":-2.5e-7,\"c\":3.0,\"d\":1e300,\"e\":-0,\"f\":-9223372036854775808,"
                  "\"g\":0.30000000000000004,\"h\":100000000000000000000.0}");
    static const char *const want[] = {
        "0.1", "-2.5e-07", "3.0", "1e+300", "0", "-9223372036854775808", "0.30000000000000004", "1e+20"};
    assert_int_equal(a.n_fields, JB_ELEMENTSOF(want));
    for (size_t i = 0; i < JB_ELEMENTSOF(want); i++) assert_string_equal(a.fields[i].value, want[i]);
    jb_audit_done(&a);
    jb_audit_matcher_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_alloc_failure_cases),
        cmocka_unit_test(test_alloc_failure_matcher_new),
        cmocka_unit_test(test_fast_path_matches_jansson),
        cmocka_unit_test(test_fast_path_taken),
        cmocka_unit_test(test_required_keys),
        cmocka_unit_test(test_matcher_rejects_empty_marker),
        cmocka_unit_test(test_default_marker),
        cmocka_unit_test(test_custom_markers),
        cmocka_unit_test(test_container_scope),
        cmocka_unit_test(test_app_lines_do_not_parse),
        cmocka_unit_test(test_wrapper_component),
        cmocka_unit_test(test_too_many_keys),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
