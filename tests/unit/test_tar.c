/* SPDX-License-Identifier: Apache-2.0 */
/* tar.c: the ustar+gzip writer, its archive read back with zlib (tarread.h): members in order,
 * long names split into prefix and name, names too long and short files refused. */

#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "tar.h"
#include "tarread.h"

/* A temporary file holding n bytes of data; its path is written into the template src. */
static int source_file(char *src, const char *data, size_t n) {
    int fd = mkstemp(src);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    return fd;
}

/* The four members that every archive below holds: a small one, an empty one, one copied from
 * a file descriptor, one whose name needs the ustar prefix. */
static void add_members(jb_tar *t, int sfd, const char *big, size_t big_len, const char *longname) {
    assert_int_equal(jb_tar_add_data(t, "a.txt", 0640, 1522187729, "hello\n", 6), 0);
    assert_int_equal(jb_tar_add_data(t, "empty", 0640, 0, "", 0), 0);
    assert_int_equal(jb_tar_add_fd(t, "dir/big.log", 0600, 1, sfd, big_len), 0);
    assert_int_equal(jb_tar_add_data(t, longname, 0640, 1, "x", 1), 0);
}

static void test_tar_roundtrip(void **state) {
    (void)state;
    char path[] = "/tmp/jb-test-tar-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    jb_tar *t = NULL;
    assert_int_equal(jb_tar_open(fd, 6, &t), 0);
    char big[1500];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
    char src[] = "/tmp/jb-test-src-XXXXXX";
    int sfd = source_file(src, big, sizeof big);
    /* a name over 100 bytes goes into prefix + name */
    char longname[200];
    memset(longname, 'd', 120);
    strcpy(longname + 120, "/app.log");
    add_members(t, sfd, big, sizeof big, longname);
    char toolong[300];
    memset(toolong, 'e', 250);
    toolong[250] = 0;
    assert_int_equal(jb_tar_add_data(t, toolong, 0640, 1, "x", 1), -ENAMETOOLONG);
    assert_int_equal(jb_tar_add_fd(t, "short", 0640, 1, sfd, sizeof big + 10), -EIO);
    close(sfd);
    unlink(src);
    assert_true(jb_tar_close(t) < 0); /* the short file was a write error */

    /* again without the failing members */
    fd = open(path, O_WRONLY | O_TRUNC);
    strcpy(src, "/tmp/jb-test-src-XXXXXX");
    sfd = source_file(src, big, sizeof big);
    assert_int_equal(jb_tar_open(fd, 9, &t), 0);
    add_members(t, sfd, big, sizeof big, longname);
    assert_int_equal(jb_tar_close(t), 0);
    close(sfd);
    unlink(src);

    char *data = NULL;
    tr_member m[8];
    assert_int_equal(tr_read(path, m, 8, &data), 4);
    assert_string_equal(m[0].name, "a.txt");
    assert_int_equal(m[0].size, 6);
    assert_memory_equal(m[0].data, "hello\n", 6);
    assert_string_equal(m[1].name, "empty");
    assert_int_equal(m[1].size, 0);
    assert_string_equal(m[2].name, "dir/big.log");
    assert_int_equal(m[2].size, sizeof big);
    assert_memory_equal(m[2].data, big, sizeof big);
    assert_string_equal(m[3].name, longname);
    free(data);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tar_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
