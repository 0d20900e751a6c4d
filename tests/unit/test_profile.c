/* SPDX-License-Identifier: Apache-2.0 */
/* profile.c: the recognition profiles (tfe, cloudify) through jb_audit_recognize(), file-driven
 * (data/profile/, the format in recognize.h), the table of names, and allocation failure while
 * building a profile's matcher and matching. The pattern syntax itself: test_pattern. */

#include "testlib.h"

#include "audit.h"
#include "profile.h"
#include "recognize.h"

static void test_cases(void **state) {
    (void)state;
    tl_each_case("profile", rc_case);
}

/* The names list matches jb_profile_get() (that every built-in pattern compiles: test_pattern). */
static void test_builtin_profiles(void **state) {
    (void)state;
    for (size_t i = 0; jb_profile_names[i]; i++) {
        const jb_profile *p = jb_profile_get(jb_profile_names[i]);
        assert_non_null(p);
        assert_string_equal(p->name, jb_profile_names[i]);
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
        tl_fail_after(budget);
        jb_audit_matcher *m = NULL;
        int r = jb_audit_matcher_new_opts(&o, &m, NULL);
        jb_audit a = {0};
        if (r >= 0) r = jb_audit_recognize(m, line, sizeof line - 1, &a);
        tl_fail_off();
        jb_audit_matcher_free(m);
        if (r < 0) {
            assert_int_equal(r, -ENOMEM);
            assert_int_equal(a.kind, JB_AUDIT_NONE);
            assert_int_equal(a.n_fields, 0);
            continue;
        }
        assert_int_equal(a.kind, JB_AUDIT_OK);
        assert_int_equal(a.n_fields, 12);
        jb_audit_done(&a);
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
