/* SPDX-License-Identifier: Apache-2.0 */
/* profile.c and pattern.c: recognition profiles and line patterns, through jb_audit_recognize().
 *
 * File-driven cases in data/profile/: NAME.in starts with header lines, then "--", then one
 * message per line:
 *   profile NAME      the profile (default: none given, i.e. "tfe")
 *   marker TEXT       an audit marker (repeatable; replaces the profile's)
 *   pattern TEXT      a line pattern (repeatable; replaces the profile's)
 * NAME.out holds "error: MESSAGE" when the matcher is rejected, else for every message
 *   line N: kind=none|ok|malformed
 *   field NAME=VALUE  (one line per field, in order)
 * with '\' and control characters written as C escapes. JB_UPDATE_EXPECTED=1 writes NAME.out. */

#include "testlib.h"

#include "audit.h"
#include "pattern.h"
#include "profile.h"
#include "record.h"
#include "util.h"

typedef struct header {
    const char *profile;
    const char *markers[8], *patterns[16];
    size_t n_markers, n_patterns;
} header;

/* Splits text in place; returns the start of the messages (after the "--" line) or NULL. */
static char *parse_header(char *text, header *h) {
    char *line = text;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        if (strcmp(line, "--") == 0) return nl ? nl + 1 : line + strlen(line);
        if (strncmp(line, "profile ", 8) == 0)
            h->profile = line + 8;
        else if (strncmp(line, "marker ", 7) == 0 && h->n_markers < 8)
            h->markers[h->n_markers++] = line + 7;
        else if (strncmp(line, "pattern ", 8) == 0 && h->n_patterns < 16)
            h->patterns[h->n_patterns++] = line + 8;
        else
            fail_msg("bad header line '%s'", line);
        line = nl ? nl + 1 : NULL;
    }
    return NULL;
}

static void one_case(const char *dir, const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.in", dir, name);
    char *text = tl_read_file(path, NULL);
    assert_non_null(text);
    header h = {0};
    char *msgs = parse_header(text, &h);
    assert_non_null(msgs);

    char *got = NULL;
    size_t got_len = 0;
    FILE *f = open_memstream(&got, &got_len);
    jb_audit_opts o = {h.profile, h.markers, h.n_markers, h.patterns, h.n_patterns};
    jb_audit_matcher *m = NULL;
    jb_error err = {0};
    if (jb_audit_matcher_new_opts(&o, &m, &err) < 0) {
        assert_int_equal(err.code, -EINVAL);
        fprintf(f, "error: %s\n", err.msg);
    } else {
        unsigned no = 0;
        for (char *line = msgs; *line;) {
            char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            char *copy = malloc(len ? len : 1); /* exact size: ASan sees any read past it */
            memcpy(copy, line, len);
            jb_audit a = {0};
            assert_int_equal(jb_audit_recognize(m, copy, len, &a), 0);
            fprintf(f, "line %u: kind=%s\n", ++no, jb_audit_kind_name(a.kind));
            for (size_t i = 0; i < a.n_fields; i++) {
                fprintf(f, "field %s=", a.fields[i].name);
                tl_dump_bytes(f, a.fields[i].value, a.fields[i].value_len);
                fputc('\n', f);
            }
            if (a.kind == JB_AUDIT_OK && h.n_patterns + (h.profile ? 1 : 0) > 0 && a.n_fields > 0)
                assert_non_null(a.json);
            jb_audit_clear(&a);
            free(copy);
            line = nl ? nl + 1 : line + len;
        }
        jb_audit_matcher_free(m);
    }
    fclose(f);

    snprintf(path, sizeof path, "%s/%s.out", dir, name);
    if (getenv("JB_UPDATE_EXPECTED")) {
        FILE *w = fopen(path, "wb");
        assert_non_null(w);
        fwrite(got, 1, got_len, w);
        fclose(w);
    }
    tl_expect_file(path, got, got_len);
    free(got);
    free(text);
}

static void test_cases(void **state) {
    (void)state;
    tl_each_case("profile", one_case);
}

/* Every built-in pattern compiles, and the names list matches jb_profile_get(). */
static void test_builtin_profiles(void **state) {
    (void)state;
    for (size_t i = 0; jb_profile_names[i]; i++) {
        const jb_profile *p = jb_profile_get(jb_profile_names[i]);
        assert_non_null(p);
        assert_string_equal(p->name, jb_profile_names[i]);
        for (size_t k = 0; k < p->n_patterns; k++) {
            jb_pattern *pt = NULL;
            jb_error err = {0};
            assert_int_equal(jb_pattern_new(p->patterns[k], &pt, &err), 0);
            assert_string_equal(jb_pattern_text(pt), p->patterns[k]);
            jb_pattern_free(pt);
        }
    }
    assert_string_equal(jb_profile_get(NULL)->name, "tfe");
    assert_null(jb_profile_get("nope"));
}

/* Allocation failure at every step of building a matcher and of matching: a clean error, no leak
 * (ASan), and the result of a run without failure once the budget suffices. */
static void test_alloc_failure(void **state) {
    (void)state;
    static const char line[] =
        "[27/Mar/2018:21:55:29 +0000] 10.0.0.5 admin default_tenant password \"GET /api/v3.1/blueprints HTTP/1.1\" "
        "200 512 \"cloudify-rest-client\" took 12ms";
    jb_audit_opts o = {.profile = "cloudify"};
    for (long budget = 0;; budget++) {
        tl_alloc_budget = budget;
        jb_set_alloc_funcs(tl_fail_malloc, tl_fail_realloc, NULL);
        jb_audit_matcher *m = NULL;
        int r = jb_audit_matcher_new_opts(&o, &m, NULL);
        jb_audit a = {0};
        if (r >= 0) r = jb_audit_recognize(m, line, sizeof line - 1, &a);
        jb_set_alloc_funcs(NULL, NULL, NULL);
        tl_alloc_budget = -1;
        jb_audit_matcher_free(m);
        if (r < 0) {
            assert_int_equal(r, -ENOMEM);
            assert_int_equal(a.kind, JB_AUDIT_NONE);
            assert_int_equal(a.n_fields, 0);
            continue;
        }
        assert_int_equal(a.kind, JB_AUDIT_OK);
        assert_int_equal(a.n_fields, 12);
        jb_audit_clear(&a);
        break;
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_builtin_profiles),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
