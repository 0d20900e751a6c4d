/* SPDX-License-Identifier: Apache-2.0 */
/* pattern.c: line patterns. File-driven through jb_audit_recognize() (data/pattern/, the format in
 * recognize.h: syntax errors and custom patterns), every built-in profile's patterns compiled, and
 * jb_pattern_match() on its own: blanks trimmed, the line's length honoured, nothing changed by a
 * line that does not match. */

#include "testlib.h"

#include "pattern.h"
#include "profile.h"
#include "recognize.h"

static void test_cases(void **state) {
    (void)state;
    tl_each_case("pattern", rc_case);
}

/* Every built-in profile's patterns compile and keep their text. */
static void test_builtin_patterns(void **state) {
    (void)state;
    for (size_t i = 0; jb_profile_names[i]; i++) {
        const jb_profile *p = jb_profile_get(jb_profile_names[i]);
        assert_non_null(p);
        for (size_t k = 0; k < p->n_patterns; k++) {
            jb_pattern *pt = NULL;
            jb_error err = {0};
            assert_int_equal(jb_pattern_new(p->patterns[k], &pt, &err), 0);
            assert_string_equal(jb_pattern_text(pt), p->patterns[k]);
            jb_pattern_free(pt);
        }
    }
}

static void test_match(void **state) {
    (void)state;
    jb_pattern *p = NULL;
    jb_error err = {0};
    assert_int_equal(jb_pattern_new("user %{name} did %{what}", &p, &err), 0);
    jb_field *f = NULL;
    size_t n = 0;
    static const char line[] = "user  bob  did  x y \r\nNOT PART OF THE LINE";
    assert_int_equal(jb_pattern_match(p, line, strlen("user  bob  did  x y \r\n"), &f, &n), 1);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].name, "name");
    assert_int_equal(f[0].value_len, 3);
    assert_memory_equal(f[0].value, "bob", 3);
    assert_string_equal(f[1].name, "what");
    assert_int_equal(f[1].value_len, 3);
    assert_memory_equal(f[1].value, "x y", 3);
    jb_field *before = f;
    assert_int_equal(jb_pattern_match(p, "someone did x", 13, &f, &n), 0);
    assert_int_equal(n, 2);
    assert_ptr_equal(f, before);
    for (size_t i = 0; i < n; i++) { /* names, keys and values are copies */
        jb_free(f[i].name);
        jb_free(f[i].key);
        jb_free(f[i].value);
    }
    jb_free(f);
    jb_pattern_free(p);

    assert_int_equal(jb_pattern_new("%{a}", &p, &err), -EINVAL);
    assert_true(err.msg[0] != 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_builtin_patterns),
        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
