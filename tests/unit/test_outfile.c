/* SPDX-License-Identifier: Apache-2.0 */
/* outfile.c: the command's outputs of whole records, cut back to the length a state recorded.
 * On real files in a temporary directory: the cut, each reason not to cut (not a regular file, no
 * recorded length, another file, a shorter file, another writer appending), two outputs that are
 * one file, and a write that fails half-way (RLIMIT_FSIZE) leaving only whole records. */

#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

static char dir[] = "/tmp/jb-test-outfile-XXXXXX";
static char path[256], path2[256];

static int setup(void **state) {
    (void)state;
    if (!mkdtemp(dir)) return -1;
    snprintf(path, sizeof path, "%s/out", dir);
    snprintf(path2, sizeof path2, "%s/out2", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(path);
    unlink(path2);
    return rmdir(dir);
}

static uint64_t size_of(const char *p) {
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return (uint64_t)st.st_size;
}

/* A record of exactly n bytes: n - 1 letters and a newline. */
static void add_record(jb_outfile *o, char c, size_t n) {
    char line[512];
    assert_true(n >= 1 && n <= sizeof line);
    memset(line, c, n - 1);
    line[n - 1] = '\n';
    jb_error err = {0};
    assert_int_equal(jb_outfile_add(o, line, n, &err), 0);
}

/* Open path fresh (start: no state), write records of 100 bytes, flush, return what a state records. */
static jb_state_output write_some(jb_outfile *o, int records) {
    jb_error err = {0};
    uint64_t cut = 99;
    assert_int_equal(jb_outfile_open(o, path, &err), 0);
    assert_int_equal(jb_outfile_cut_back(o, NULL, true, &cut, &err), 0);
    assert_int_equal(cut, 0);
    assert_int_equal(o->status, JB_OUTFILE_CUTTABLE);
    for (int i = 0; i < records; i++) add_record(o, 'a', 100);
    assert_int_equal(jb_outfile_flush(o, true, &err), 0);
    return jb_outfile_mark(o);
}

static void test_cut_back(void **state) {
    (void)state;
    jb_outfile o;
    jb_error err = {0};
    unlink(path);
    jb_state_output saved = write_some(&o, 3);
    assert_true(saved.set);
    assert_int_equal(saved.length, 300);
    /* written after the save, then "killed": a whole record and half of one */
    add_record(&o, 'b', 100);
    assert_int_equal(jb_outfile_flush(&o, false, &err), 0);
    assert_int_equal(write(o.fd, "half", 4), 4);
    jb_outfile_done(&o);
    assert_int_equal(size_of(path), 404);

    uint64_t cut = 0;
    assert_int_equal(jb_outfile_open(&o, path, &err), 0);
    assert_int_equal(jb_outfile_cut_back(&o, &saved, false, &cut, &err), 0);
    assert_int_equal(o.status, JB_OUTFILE_CUTTABLE);
    assert_int_equal(cut, 104);
    assert_int_equal(size_of(path), 300);
    /* the records read again follow on */
    add_record(&o, 'b', 100);
    assert_int_equal(jb_outfile_flush(&o, true, &err), 0);
    jb_state_output again = jb_outfile_mark(&o);
    assert_int_equal(again.length, 400);
    assert_int_equal(again.ino, saved.ino);
    jb_outfile_done(&o);
    size_t n;
    char *text = tl_read_file(path, &n);
    assert_int_equal(n, 400);
    assert_int_equal(text[299], '\n');
    assert_int_equal(text[300], 'b');
    free(text);

    /* exactly the recorded length: nothing to cut */
    assert_int_equal(jb_outfile_open(&o, path, &err), 0);
    assert_int_equal(jb_outfile_cut_back(&o, &again, false, &cut, &err), 0);
    assert_int_equal(cut, 0);
    assert_int_equal(o.status, JB_OUTFILE_CUTTABLE);
    jb_outfile_done(&o);
    assert_int_equal(size_of(path), 400);
}

/* Each reason not to cut: the file is left as it is and appended to. */
static void test_not_cut(void **state) {
    (void)state;
    jb_outfile o;
    jb_error err = {0};
    uint64_t cut;
    unlink(path);
    jb_state_output saved = write_some(&o, 2);
    add_record(&o, 'b', 100);
    assert_int_equal(jb_outfile_flush(&o, false, &err), 0);
    jb_outfile_done(&o);
    static const struct {
        jb_outfile_status want;
        bool set;
        uint64_t length_delta, ino_delta;
    } cases[] = {
        {JB_OUTFILE_NO_LENGTH, false, 0, 0}, /* an older state */
        {JB_OUTFILE_REPLACED, true, 0, 1},   /* another inode */
        {JB_OUTFILE_SHORTER, true, 1000, 0}, /* recorded longer than it is */
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(cases); i++) {
        jb_state_output s = saved;
        s.set = cases[i].set;
        s.length += cases[i].length_delta;
        s.ino += cases[i].ino_delta;
        assert_int_equal(jb_outfile_open(&o, path, &err), 0);
        assert_int_equal(jb_outfile_cut_back(&o, &s, false, &cut, &err), 0);
        assert_int_equal(o.status, cases[i].want);
        assert_int_equal(cut, 0);
        /* not cut now; from the next save on it is, from its present length */
        jb_state_output next = jb_outfile_mark(&o);
        assert_true(next.set);
        assert_int_equal(next.length, 300);
        jb_outfile_done(&o);
        assert_int_equal(size_of(path), 300);
    }
    /* not a regular file: a device, standard output */
    const char *others[] = {"/dev/null", "-"};
    for (size_t i = 0; i < JB_ELEMENTSOF(others); i++) {
        assert_int_equal(jb_outfile_open(&o, others[i], &err), 0);
        assert_int_equal(o.status, JB_OUTFILE_NOT_REGULAR);
        assert_int_equal(jb_outfile_cut_back(&o, &saved, false, &cut, &err), 0);
        assert_int_equal(o.status, JB_OUTFILE_NOT_REGULAR);
        assert_false(jb_outfile_mark(&o).set);
        jb_outfile_done(&o);
    }
}

/* Another process appends to the file: noticed at the next write, never cut from then on. */
static void test_foreign_writer(void **state) {
    (void)state;
    jb_outfile o;
    jb_error err = {0};
    unlink(path);
    (void)write_some(&o, 1);
    int other = open(path, O_WRONLY | O_APPEND);
    assert_true(other >= 0);
    assert_int_equal(write(other, "theirs\n", 7), 7);
    close(other);
    add_record(&o, 'b', 100);
    assert_int_equal(jb_outfile_flush(&o, false, &err), 1);
    assert_int_equal(o.status, JB_OUTFILE_FOREIGN);
    assert_false(jb_outfile_mark(&o).set);
    add_record(&o, 'c', 100);
    assert_int_equal(jb_outfile_flush(&o, false, &err), 0); /* said once */
    jb_outfile_done(&o);
    assert_int_equal(size_of(path), 307);
}

/* Both outputs one file: the adapter shares one writer. */
static void test_same(void **state) {
    (void)state;
    jb_outfile a, b, c;
    jb_error err = {0};
    assert_int_equal(jb_outfile_open(&a, path, &err), 0);
    assert_int_equal(jb_outfile_open(&b, path, &err), 0);
    assert_int_equal(jb_outfile_open(&c, path2, &err), 0);
    assert_true(jb_outfile_same(&a, &b));
    assert_false(jb_outfile_same(&a, &c));
    jb_outfile_done(&a);
    jb_outfile_done(&b);
    jb_outfile_done(&c);
    assert_int_equal(jb_outfile_open(&a, "/nonexistent-dir/x", &err), -ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x"));
    jb_outfile_done(&a);
}

/* A write that fails half-way (the file system full; here the file size limit) leaves the file at
 * its last whole record. */
static void test_failed_write(void **state) {
    (void)state;
    jb_outfile o;
    jb_error err = {0};
    unlink(path);
    (void)write_some(&o, 3);
    struct rlimit old, lim = {.rlim_cur = 350, .rlim_max = RLIM_INFINITY};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim.rlim_max = old.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    add_record(&o, 'b', 100);
    int r = jb_outfile_flush(&o, false, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(r, -EFBIG);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(size_of(path), 300);
    assert_int_equal(jb_outfile_mark(&o).length, 300);
    jb_outfile_done(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_back), cmocka_unit_test(test_not_cut),      cmocka_unit_test(test_foreign_writer),
        cmocka_unit_test(test_same),     cmocka_unit_test(test_failed_write),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
