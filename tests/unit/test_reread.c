/* SPDX-License-Identifier: Apache-2.0 */
/* journal.c: an entry read while journald is still linking its data objects. journald makes a new
 * entry visible before it links the entry to its new data objects; a data object caught between
 * its two stores (entry_offset set, n_entries still 0) is skipped by sd-journal as bad, so the
 * entry reads without its MESSAGE. The test puts a real journal file (systemd-journal-remote) in
 * exactly that state by writing the MESSAGE object's n_entries back to 0, and checks that the
 * reader reads such a recent entry again until the object is whole, delivers it as it is when it
 * never becomes whole, and does not wait for old entries that simply have no MESSAGE. */

#include "testlib.h"
#include "journalfile.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "timestamp.h"
#include "util.h"

#define TEXT "MESSAGE=jb-half-linked-7d3f0c"

static char tmpdir[] = "/tmp/jb-test-reread-XXXXXX";
static char journal[PATH_MAX], export[PATH_MAX];

static void write_export(void) {
    uint64_t now = jb_now_usec(CLOCK_REALTIME);
    FILE *f = fopen(export, "w");
    assert_non_null(f);
    const char *boot = "_BOOT_ID=0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    fprintf(f, "__REALTIME_TIMESTAMP=1700000000000000\n__MONOTONIC_TIMESTAMP=1000\n%s\nFOO=old\n\n", boot);
    fprintf(f, "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=2000\n%s\nFOO=recent\n\n",
            (unsigned long long)(now - 1000000), boot);
    fprintf(f, "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=3000\n%s\nFOO=linked\n%s\n\n",
            (unsigned long long)(now - 500000), boot, TEXT);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state) {
    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    snprintf(journal, sizeof journal, "%s/x.journal", tmpdir);
    snprintf(export, sizeof export, "%s/x.export", tmpdir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(journal);
    unlink(export);
    rmdir(tmpdir);
    return 0;
}

/* A fresh journal file of the three entries (the recent ones are recent now). */
static void make_journal(void) {
    unlink(journal);
    write_export();
    jb_test_journal_file(export, journal);
}

/* The file offset of n_entries of the MESSAGE data object: the 8 bytes before the payload in the
 * regular format, 16 in the compact one (two 32-bit tail fields in between); it holds 1. */
static off_t n_entries_offset(void) {
    int fd = open(journal, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    char *buf = malloc((size_t)st.st_size);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    char *p = memmem(buf, (size_t)st.st_size, TEXT, strlen(TEXT));
    assert_non_null(p);
    off_t at = p - buf, found = -1;
    for (off_t back = 8; back <= 16 && found < 0; back += 8) {
        uint64_t v;
        memcpy(&v, buf + at - back, sizeof v);
        if (v == 1) found = at - back;
    }
    free(buf);
    assert_true(found > 0);
    return found;
}

static void set_n_entries(off_t at, uint64_t v) {
    int fd = open(journal, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, &v, sizeof v, at), (ssize_t)sizeof v);
    close(fd);
}

typedef struct relink {
    off_t at;
    long delay_ns;
} relink;

/* journald, finishing the link a little later */
static void *relink_later(void *arg) {
    relink *r = arg;
    struct timespec ts = {0, r->delay_ns};
    nanosleep(&ts, NULL);
    set_n_entries(r->at, 1);
    return NULL;
}

static jb_journal *open_journal(void) {
    const char *const files[] = {journal};
    jb_source src = {.kind = JB_SOURCE_FILES, .files = files, .n_files = 1};
    jb_journal *j = NULL;
    jb_error err = {0};
    if (jb_journal_open(&src, &j, &err) < 0) fail_msg("jb_journal_open: %s", err.msg);
    assert_int_equal(jb_journal_seek_head(j, &err), 0);
    return j;
}

/* Reads the three entries: the old one without MESSAGE costs no re-read, the recent one without
 * MESSAGE is read again REREAD_TRIES (6) times; returns the re-reads the third one cost. */
static uint64_t read_three(jb_journal *j, jb_entry *e) {
    jb_error err = {0};
    assert_int_equal(jb_journal_next(j, e, &err), 1);
    assert_false(e->has_message);
    assert_int_equal(jb_journal_rereads(j), 0);
    assert_int_equal(jb_journal_next(j, e, &err), 1);
    assert_false(e->has_message);
    assert_int_equal(jb_journal_rereads(j), 6);
    assert_int_equal(jb_journal_next(j, e, &err), 1);
    assert_int_equal(jb_journal_next(j, e + 1, &err), 0);
    return jb_journal_rereads(j) - 6;
}

static void test_whole(void **state) {
    (void)state;
    make_journal();
    jb_journal *j = open_journal();
    jb_entry e[2] = {0};
    assert_int_equal(read_three(j, e), 0);
    assert_true(e[0].has_message);
    assert_string_equal(jb_entry_str(&e[0].message), TEXT + strlen("MESSAGE="));
    jb_entry_done(&e[0]);
    jb_entry_done(&e[1]);
    jb_journal_free(j);
}

/* The MESSAGE object is linked 2 ms after the reader first sees the entry: read again, whole. */
static void test_linked_later(void **state) {
    (void)state;
    make_journal();
    relink r = {.at = n_entries_offset(), .delay_ns = 2000000};
    set_n_entries(r.at, 0);
    jb_journal *j = open_journal();
    jb_entry e[2] = {0};
    jb_error err = {0};
    assert_int_equal(jb_journal_next(j, e, &err), 1);
    assert_int_equal(jb_journal_next(j, e, &err), 1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, relink_later, &r), 0);
    assert_int_equal(jb_journal_next(j, e, &err), 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(jb_journal_rereads(j) > 6);
    assert_true(e[0].has_message);
    assert_string_equal(jb_entry_str(&e[0].message), TEXT + strlen("MESSAGE="));
    jb_entry_done(&e[0]);
    jb_entry_done(&e[1]);
    jb_journal_free(j);
}

/* Never linked (a broken file): after the re-reads, the entry is delivered as it is. */
static void test_never_linked(void **state) {
    (void)state;
    make_journal();
    set_n_entries(n_entries_offset(), 0);
    jb_journal *j = open_journal();
    jb_entry e[2] = {0};
    assert_int_equal(read_three(j, e), 6);
    assert_false(e[0].has_message);
    jb_entry_done(&e[0]);
    jb_entry_done(&e[1]);
    jb_journal_free(j);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_linked_later),
        cmocka_unit_test(test_never_linked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
