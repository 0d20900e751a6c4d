/* SPDX-License-Identifier: Apache-2.0 */
/* paths.c: the state file's path resolved and made canonical (so that two users of one file are
 * told however its path is written), the refused values, a new file's checks; and the settings
 * that name a source (an empty directory or namespace). */

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#include "paths.h"
#include "settings.h"

static char base[256];

static int setup(void **state) {
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(base, sizeof base, "%s/jb-paths.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(base)) return -1;
    char p[512];
    snprintf(p, sizeof p, "%s/sub", base);
    if (mkdir(p, 0755) < 0) return -1;
    snprintf(p, sizeof p, "%s/link", base);
    return symlink(base, p);
}

static int teardown(void **state) {
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

/* resolve(path) against base: the canonical path, or NULL with the error code in *code */
static char *resolve(const char *path, int *code) {
    char *r = NULL;
    jb_error err = {0};
    *code = jb_path_state_resolve(base, path, &r, &err);
    return r;
}

static void test_variants_are_one_path(void **state) {
    (void)state;
    char canon[300], abs2[600], link[600], dotdot[600];
    char *real = realpath(base, NULL);
    snprintf(canon, sizeof canon, "%s/x.state", real);
    free(real);
    snprintf(abs2, sizeof abs2, "%s//x.state", base);
    snprintf(link, sizeof link, "%s/link/x.state", base);
    snprintf(dotdot, sizeof dotdot, "%s/sub/../x.state", base);
    const char *variants[] = {"x.state", "./x.state", "sub/../x.state", abs2, link, dotdot};
    for (size_t i = 0; i < JB_ELEMENTSOF(variants); i++) {
        int code;
        char *r = resolve(variants[i], &code);
        assert_int_equal(code, 0);
        assert_string_equal(r, canon);
        jb_free(r);
    }
    int code;
    char *r = resolve("sub/x.state", &code);
    assert_int_equal(code, 0);
    assert_string_not_equal(r, canon);
    jb_free(r);
}

static void test_refused(void **state) {
    (void)state;
    static const struct {
        const char *path;
        int code;
    } cases[] = {
        {"", -EINVAL},       {"/", -EINVAL},   {"sub/", -EINVAL}, {".", -EINVAL},
        {"sub/..", -EINVAL}, {"sub", -EISDIR}, {"no/x", -ENOENT}, {"/nonexistent/dir/s", -ENOENT},
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(cases); i++) {
        int code;
        char *r = resolve(cases[i].path, &code);
        assert_null(r);
        assert_int_equal(code, cases[i].code);
    }
    /* the error names the path */
    jb_error err = {0};
    char *r = NULL;
    assert_int_equal(jb_path_state_resolve(NULL, "/nonexistent/dir/s", &r, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/s"));
}

static void test_new_file(void **state) {
    (void)state;
    jb_error err = {0};
    char p[600];
    snprintf(p, sizeof p, "%s/b.tar.gz", base);
    assert_int_equal(jb_path_check_new_file("archive", p, &err), 0);
    snprintf(p, sizeof p, "%s/sub", base);
    assert_int_equal(jb_path_check_new_file("archive", p, &err), -EISDIR);
    assert_non_null(strstr(err.msg, "archive"));
    assert_non_null(strstr(err.msg, p));
    snprintf(p, sizeof p, "%s/no/b.tar.gz", base);
    assert_int_equal(jb_path_check_new_file("archive", p, &err), -ENOENT);
}

static void test_alloc_failure(void **state) {
    (void)state;
    for (long n = 0; n < 4; n++) {
        char *r = NULL;
        jb_error err = {0};
        tl_fail_after(n);
        int code = jb_path_state_resolve(base, "x.state", &r, &err);
        tl_fail_off();
        if (code == 0) {
            jb_free(r);
            return;
        }
        assert_int_equal(code, -ENOMEM);
        assert_null(r);
    }
    fail_msg("jb_path_state_resolve never succeeded");
}

static void test_source_settings(void **state) {
    (void)state;
    jb_error err = {0};
    jb_config c;
    jb_config_setting bad;
    assert_int_equal(jb_config_check_value(JB_CONFIG_DIRECTORY, "", &err), -EINVAL);
    assert_int_equal(jb_config_check_value(JB_CONFIG_DIRECTORY, "/var/log/journal/remote", &err), 0);
    assert_int_equal(jb_config_check_value(JB_CONFIG_NAMESPACE, "", &err), -EINVAL);
    assert_int_equal(jb_config_check_value(JB_CONFIG_NAMESPACE, "a/b", &err), -EINVAL);
    assert_int_equal(jb_config_check_value(JB_CONFIG_NAMESPACE, "..", &err), -EINVAL);
    assert_int_equal(jb_config_check_value(JB_CONFIG_NAMESPACE, "docker", &err), 0);
    jb_config_init(&c);
    c.source.kind = JB_SOURCE_NAMESPACE;
    c.source.name_space = "";
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_NAMESPACE);
    jb_config_init(&c);
    c.max_line = JB_CONFIG_MAX_LINE_LIMIT + 1;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_MAX_LINE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variants_are_one_path),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_new_file),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_source_settings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
