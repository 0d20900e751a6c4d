/* SPDX-License-Identifier: Apache-2.0 */
/* Files the core creates (the state file, which the rsyslog module and the command both write
 * through jb_state_write): mode 0600 whatever the umask, and no symbolic link planted by someone
 * else is ever followed: not at the state path, not at the temporary path. The temporary name is
 * random; getrandom() is replaced here (the core is linked statically into this program) so the
 * test can plant links exactly where the next temporary files will be. */
#include <errno.h>
#include <inttypes.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

#include "state.h"
#include "statecursor.h"

#define CURSOR                                                                                                \
    "s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;b=6c7c6013a8674c5a9d5e1f5ac3f5a2bb;m=139c8a1d7b;t=5ccf3a4f2a" \
    "e30;x=8e5fd3b1e4c5e6f7"

/* ---- predictable temporary names ---- */

static bool fixed_random;
static uint64_t next_random;

ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
    if (!fixed_random) return syscall(SYS_getrandom, buf, len, flags);
    uint64_t v = next_random++;
    size_t n = len < sizeof v ? len : sizeof v;
    memcpy(buf, &v, n);
    return (ssize_t)n;
}

static char dir[] = "/tmp/jb-security.XXXXXX";

static int setup(void **state) {
    (void)state;
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/%s", dir, name);
}

static void write_text(const char *path, const char *s) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(s, f);
    fclose(f);
}

static void assert_text(const char *path, const char *want) {
    size_t len;
    char *got = tl_read_file(path, &len);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void assert_link_to(const char *link, const char *target) {
    char buf[PATH_MAX];
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    assert_true(n > 0);
    buf[n] = 0;
    assert_string_equal(buf, target);
}

/* A link planted at the next temporary name: skipped (O_EXCL|O_NOFOLLOW), its target untouched,
 * the state written through the next name. Links at every name tried: the save fails, nothing
 * is written anywhere. */
static void test_temp_symlink(void **state) {
    (void)state;
    char path[PATH_MAX], target[PATH_MAX], tmp[PATH_MAX + 32];
    path_of(path, sizeof path, "state");
    path_of(target, sizeof target, "precious");
    write_text(target, "precious\n");

    fixed_random = true;
    next_random = 0x1000;
    snprintf(tmp, sizeof tmp, "%s.tmp.%016" PRIx64, path, (uint64_t)0x1000);
    assert_int_equal(symlink(target, tmp), 0);
    jb_error err = {0};
    assert_int_equal(save_cursor(path, CURSOR, &err), 0);
    assert_text(target, "precious\n");
    assert_link_to(tmp, target);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    char *c = NULL;
    assert_int_equal(load_cursor(path, &c, &err), 0);
    assert_string_equal(c, CURSOR);
    jb_free(c);

    /* every name it will try is taken by a link */
    next_random = 0x2000;
    for (uint64_t i = 0; i < 64; i++) {
        snprintf(tmp, sizeof tmp, "%s.tmp.%016" PRIx64, path, (uint64_t)0x2000 + i);
        assert_int_equal(symlink(target, tmp), 0);
    }
    next_random = 0x2000;
    assert_int_equal(save_cursor(path, CURSOR, &err), -EEXIST);
    assert_non_null(strstr(err.msg, path));
    assert_text(target, "precious\n");
    assert_int_equal(load_cursor(path, &c, &err), 0); /* the old state is still there */
    jb_free(c);
    fixed_random = false;
}

/* A link at the state path itself: reading refuses it; writing replaces the link, never its
 * target, also when the target is a file of someone else's choosing. */
static void test_state_symlink(void **state) {
    (void)state;
    char path[PATH_MAX], target[PATH_MAX];
    path_of(path, sizeof path, "state2");
    path_of(target, sizeof target, "precious2");
    write_text(target, "precious\n");
    assert_int_equal(symlink(target, path), 0);
    jb_state st = {0};
    jb_error err = {0};
    assert_int_equal(jb_state_read(path, &st, &err), -ELOOP);
    assert_null(st.cursor);
    jb_state w = {.cursor = (char *)CURSOR, .seq_app = 1, .seq_audit = 2};
    assert_int_equal(jb_state_write(path, &w, &err), 0);
    assert_text(target, "precious\n");
    struct stat sb;
    assert_int_equal(lstat(path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(sb.st_mode & 07777, 0600);
}

/* 0600 whatever the umask, also when an older state file had wider permissions. */
static void test_mode(void **state) {
    (void)state;
    static const mode_t masks[] = {0, 022, 077, 0777};
    char path[PATH_MAX];
    path_of(path, sizeof path, "state3");
    write_text(path, "old\n");
    assert_int_equal(chmod(path, 0666), 0);
    for (size_t i = 0; i < JB_ELEMENTSOF(masks); i++) {
        mode_t old = umask(masks[i]);
        jb_error err = {0};
        int r = save_cursor(path, CURSOR, &err);
        umask(old);
        assert_int_equal(r, 0);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_temp_symlink),
        cmocka_unit_test(test_state_symlink),
        cmocka_unit_test(test_mode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
