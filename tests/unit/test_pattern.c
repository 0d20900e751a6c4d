/* SPDX-License-Identifier: Apache-2.0 */
/* pattern.c: line patterns. File-driven through jb_audit_recognize() (data/pattern/, the format in
 * recognize.h: syntax errors and custom patterns), every built-in profile's patterns compiled, and
 * jb_pattern_match() on its own: blanks trimmed, the line's length honoured, nothing changed by a
 * line that does not match, a 1 MiB hostile spanning field. */

#include "testlib.h"

#include "buf.h"
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

/* A long hostile user agent (1 MiB of the pattern's own literals) moves no field, and a line that
 * ends in them without the tail's last literal does not match: one pass each (no backtracking). */
static void test_long_hostile(void **state) {
    (void)state;
    const jb_profile *prof = jb_profile_get("cloudify");
    jb_pattern *p = NULL;
    jb_error err = {0};
    assert_int_equal(jb_pattern_new(prof->patterns[0], &p, &err), 0);
    static const char head[] = "[27/Mar/2018:21:55:29 +0000] 10.0.0.5 admin t token \"DELETE /d HTTP/1.1\" 204 0 \"";
    static const char unit[] = "x\" took 1ms \"GET /f HTTP/1.1\" 200 5 \"";
    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_buf_puts(&b, head), 0);
    while (b.len < (1u << 20)) assert_int_equal(jb_buf_puts(&b, unit), 0);
    size_t ua_len = b.len - strlen(head);
    assert_int_equal(jb_buf_puts(&b, "\" took 9ms"), 0);
    jb_field *f = NULL;
    size_t n = 0;
    assert_int_equal(jb_pattern_match(p, b.data, b.len, &f, &n), 1);
    static const char *const want[][2] = {{"user", "admin"}, {"path", "/d"}, {"status", "204"}, {"duration_ms", "9"}};
    for (size_t w = 0; w < JB_ELEMENTSOF(want); w++) {
        size_t i = 0;
        while (i < n && strcmp(f[i].name, want[w][0]) != 0) i++;
        assert_true(i < n);
        assert_string_equal(f[i].value, want[w][1]);
    }
    size_t i = 0;
    while (i < n && strcmp(f[i].name, "user_agent") != 0) i++;
    assert_true(i < n);
    assert_int_equal(f[i].value_len, ua_len);
    for (i = 0; i < n; i++) {
        jb_free(f[i].name);
        jb_free(f[i].key);
        jb_free(f[i].value);
    }
    jb_free(f);
    f = NULL;
    n = 0;
    b.len -= strlen("ms"); /* "... took 9": no tail */
    assert_int_equal(jb_pattern_match(p, b.data, b.len, &f, &n), 0);
    assert_int_equal(n, 0);
    jb_buf_done(&b);
    jb_pattern_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_builtin_patterns),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_long_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
