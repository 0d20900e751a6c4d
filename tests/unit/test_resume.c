/* SPDX-License-Identifier: Apache-2.0 */
/* resume.c: where a bridge starts reading, on a real journal file made from a fixture with
 * systemd-journal-remote: no state (head or tail), a state to resume from (its sequence numbers
 * too), an unusable state set aside, a state whose entry is gone, a state that cannot be read. */

#include "testlib.h"
#include "journalfile.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bridge.h"
#include "resume.h"
#include "state.h"
#include "util.h"

static char tmpdir[] = "/tmp/jb-test-resume-XXXXXX";
static char journal[PATH_MAX], state_path[PATH_MAX], bad_path[PATH_MAX + 8];

static int setup(void **state) {
    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    snprintf(journal, sizeof journal, "%s/x.journal", tmpdir);
    snprintf(state_path, sizeof state_path, "%s/state", tmpdir);
    snprintf(bad_path, sizeof bad_path, "%s" JB_STATE_BAD_SUFFIX, state_path);
    const char *src = getenv("JB_SRCDIR");
    char export[PATH_MAX];
    snprintf(export, sizeof export, "%s/tests/fixtures/containers.export", src && *src ? src : ".");
    jb_test_journal_file(export, journal);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(journal);
    unlink(state_path);
    unlink(bad_path);
    rmdir(state_path); /* test_unreadable */
    rmdir(tmpdir);
    return 0;
}

static int count(const jb_record *rec, void *userdata) {
    (void)rec;
    (*(size_t *)userdata)++;
    return 0;
}

static jb_bridge *new_bridge(void) {
    const char *const files[] = {journal};
    jb_config c;
    jb_config_init(&c);
    c.source.kind = JB_SOURCE_FILES;
    c.source.files = files;
    c.source.n_files = 1;
    c.read_ahead = false;
    jb_bridge *b = NULL;
    jb_error err = {0};
    if (jb_bridge_new(&c, &b, &err) < 0) fail_msg("jb_bridge_new: %s", err.msg);
    return b;
}

/* Records read to the end. */
static size_t read_all(jb_bridge *b) {
    size_t n = 0;
    jb_error err = {0};
    if (jb_bridge_process(b, 0, count, &n, &err) < 0) fail_msg("process: %s", err.msg);
    return n;
}

/* Resume with state_path (or none), expecting r and the outcome; returns the records read after. */
static size_t resume(const char *path, bool at_tail, jb_resume_outcome expected, jb_resume_info *info) {
    jb_bridge *b = new_bridge();
    jb_error err = {0};
    int r = jb_bridge_resume(b, path, at_tail, info, &err);
    if (r < 0) fail_msg("resume: %s", err.msg);
    assert_int_equal(info->outcome, expected);
    size_t n = read_all(b);
    jb_bridge_free(b);
    return n;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_no_state(void **state) {
    (void)state;
    jb_resume_info info;
    size_t all = resume(NULL, false, JB_RESUME_NO_STATE, &info);
    assert_true(all > 0);
    assert_int_equal(resume(state_path, false, JB_RESUME_NO_STATE, &info), all); /* no file yet */
    assert_int_equal(info.bad.code, 0);
    assert_int_equal(resume(NULL, true, JB_RESUME_NO_STATE, &info), 0);
}

static void test_resumed(void **state) {
    (void)state;
    jb_bridge *b = new_bridge();
    jb_error err = {0};
    assert_int_equal(jb_bridge_seek_head(b, &err), 0);
    size_t n = 0;
    assert_true(jb_bridge_process(b, 2, count, &n, &err) == 2);
    jb_state st = {.cursor = (char *)jb_bridge_checkpoint(b)};
    jb_bridge_checkpoint_sequence(b, &st.seq_app, &st.seq_audit);
    st.out[1] = (jb_state_output){.set = true, .length = 4096, .dev = 2049, .ino = 77};
    assert_int_equal(jb_state_write(state_path, &st, &err), 0);
    uint32_t app = st.seq_app, audit = st.seq_audit;
    size_t all = n + read_all(b);
    jb_bridge_free(b);

    jb_resume_info info;
    b = new_bridge();
    assert_int_equal(jb_bridge_resume(b, state_path, false, &info, &err), 0);
    assert_int_equal(info.outcome, JB_RESUMED);
    /* the output lengths saved with the cursor come back for the command to cut its files */
    assert_false(info.out[0].set);
    assert_true(info.out[1].set);
    assert_int_equal(info.out[1].length, 4096);
    assert_int_equal(info.out[1].dev, 2049);
    assert_int_equal(info.out[1].ino, 77);
    uint32_t a2, u2;
    jb_bridge_checkpoint_sequence(b, &a2, &u2);
    assert_int_equal(a2, app);
    assert_int_equal(u2, audit);
    assert_int_equal(n + read_all(b), all);
    jb_bridge_free(b);
    unlink(state_path);
}

static void test_set_aside(void **state) {
    (void)state;
    jb_resume_info info;
    size_t all = resume(NULL, false, JB_RESUME_NO_STATE, &info);
    write_file(state_path, "not a state file\n");
    assert_int_equal(resume(state_path, false, JB_RESUME_SET_ASIDE, &info), all);
    assert_int_equal(info.bad.code, -EBADMSG);
    assert_true(info.bad.msg[0] != 0);
    assert_int_equal(info.aside.code, 0);
    assert_int_equal(access(state_path, F_OK), -1);
    assert_int_equal(access(bad_path, F_OK), 0);
    write_file(state_path, "jbridge-state 1\n");
    assert_int_equal(resume(state_path, true, JB_RESUME_SET_ASIDE, &info), 0);
    unlink(bad_path);
}

static void test_gone(void **state) {
    (void)state;
    /* a cursor of another journal (another seqnum id): its entry is not here */
    write_file(state_path,
               "jbridge-state 1\ncursor=s=00000000000000000000000000000001;i=1;b=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b;"
               "m=1;t=1;x=1\nseq.app=7\n");
    jb_resume_info info;
    resume(state_path, false, JB_RESUMED_AFTER_GONE, &info);
    unlink(state_path);
}

static void test_unreadable(void **state) {
    (void)state;
    assert_int_equal(mkdir(state_path, 0700), 0); /* a directory: read fails, not EBADMSG */
    jb_bridge *b = new_bridge();
    jb_resume_info info;
    jb_error err = {0};
    int r = jb_bridge_resume(b, state_path, false, &info, &err);
    assert_true(r < 0 && r != -EBADMSG && r != -ENOENT);
    assert_int_equal(err.code, r);
    assert_true(err.msg[0] != 0);
    assert_int_equal(info.outcome, JB_RESUME_NO_STATE);
    jb_bridge_free(b);
    rmdir(state_path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_state), cmocka_unit_test(test_resumed),    cmocka_unit_test(test_set_aside),
        cmocka_unit_test(test_gone),     cmocka_unit_test(test_unreadable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
