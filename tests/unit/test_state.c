/* SPDX-License-Identifier: Apache-2.0 */
/* state.c: the state file. File-driven cases in data/state/: NAME.in is the content of a state
 * file, NAME.out what jb_state_read() makes of it: "ok CURSOR" or "error ERRNO-NAME MESSAGE" with
 * the path written as @PATH@. Code-level cases cover the file system: modes, temporary files,
 * symbolic links, unwritable places and allocation failure. */

#include "testlib.h"

#include <fcntl.h>
#include <inttypes.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor.h"
#include "state.h"
#include "statecursor.h"
#include "util.h"

#define CURSOR                                                                                           \
    "s=d4bf35c9efb0444897c87019d1697f0f;i=1;b=0123456789abcdef0123456789abcdef;m=3e8;t=60a24181e4000;x=" \
    "1144993efd935ec5"
#define CURSOR2                                                                                          \
    "s=d4bf35c9efb0444897c87019d1697f0f;i=2;b=0123456789abcdef0123456789abcdef;m=7d0;t=60a24181e43e8;x=" \
    "2244993efd935ec5"

/* ---- helpers ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* A fresh temporary directory per test, removed afterwards. */
static int setup_dir(void **state) {
    char *d = strdup("/tmp/jb-test-state-XXXXXX");
    if (!mkdtemp(d)) return -1;
    *state = d;
    return 0;
}

static int teardown_dir(void **state) {
    char *d = *state;
    chmod(d, 0700);
    nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
    return 0;
}

static char *path_in(const char *dir, const char *name) {
    char *p;
    if (asprintf(&p, "%s/%s", dir, name) < 0) abort();
    return p;
}

static void write_file(const char *path, const void *p, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

/* Number of entries in dir other than . and .. */
static size_t count_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void assert_contains(const char *s, const char *part) {
    if (!strstr(s, part)) fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* ---- file-driven load cases ---- */

static const char *case_dir;

static void one_case(const char *dir, const char *name) {
    size_t len;
    char *content = tl_read_case(dir, name, &len);

    char *path = path_in(case_dir, "state");
    unlink(path);
    write_file(path, content, len);

    jb_state st = {.cursor = (char *)"untouched", .seq_app = 7, .seq_audit = 7};
    jb_error err = {0};
    int r = jb_state_read(path, &st, &err);

    char *got = NULL;
    if (r == 0) {
        char outs[2][400] = {"", ""};
        for (int i = 0; i < 2; i++) {
            if (st.out[i].set)
                snprintf(outs[i], sizeof outs[i], " out.%s=%" PRIu64 ",%" PRIu64 ",%" PRIu64, i ? "audit" : "app",
                         st.out[i].length, st.out[i].dev, st.out[i].ino);
            if (st.seal[i]) /* seal lines as text: "[TEXT]" */
                snprintf(outs[i] + strlen(outs[i]), sizeof outs[i] - strlen(outs[i]), " seal.%s=[%s]",
                         i ? "audit" : "app", st.seal[i]);
        }
        char rd[256] = "";
        if (st.read_cursor) snprintf(rd, sizeof rd, " read=%s", st.read_cursor);
        if (st.seq_app || st.seq_audit)
            assert_true(asprintf(&got, "ok %s seq.app=%u seq.audit=%u%s%s%s\n", st.cursor, (unsigned)st.seq_app,
                                 (unsigned)st.seq_audit, outs[0], outs[1], rd) > 0);
        else
            assert_true(asprintf(&got, "ok %s%s%s%s\n", st.cursor, outs[0], outs[1], rd) > 0);
        /* load_cursor() gives the same cursor */
        char *cursor = NULL;
        assert_int_equal(load_cursor(path, &cursor, &err), 0);
        assert_string_equal(cursor, st.cursor);
        jb_free(cursor);
        /* a valid file is what jb_state_write() writes for what it holds (seq lines in order) */
        assert_int_equal(jb_state_write(path, &st, &err), 0);
        size_t saved_len;
        char *saved = tl_read_file(path, &saved_len);
        if (!strstr(name, "_rewritten")) { /* NAME_rewritten: saved in the canonical form */
            assert_int_equal(saved_len, len);
            assert_memory_equal(saved, content, len);
        }
        free(saved);
        jb_state_done(&st);
    } else {
        assert_string_equal(st.cursor, "untouched");
        assert_int_equal(st.seq_app, 7);
        assert_int_equal(st.seq_audit, 7);
        assert_int_equal(err.code, r);
        /* the message names the file: show it as @PATH@ */
        char msg[1024];
        const char *at = strstr(err.msg, path);
        assert_non_null(at);
        snprintf(msg, sizeof msg, "%.*s@PATH@%s", (int)(at - err.msg), err.msg, at + strlen(path));
        assert_int_equal(asprintf(&got, "error %s %s\n", strerrorname_np(-r), msg) > 0, 1);
    }

    tl_expect_case(dir, name, got, strlen(got));
    free(got);
    free(path);
    free(content);
}

static void test_load_cases(void **state) {
    case_dir = *state;
    tl_each_case("state", one_case);
}

/* ---- cursors ---- */

static void test_cursor_valid(void **state) {
    assert_true(jb_cursor_valid(CURSOR));
    assert_true(jb_cursor_valid(CURSOR2));
    assert_false(jb_cursor_valid(NULL));
    assert_false(jb_cursor_valid(""));
    assert_false(jb_cursor_valid(";"));
    assert_false(jb_cursor_valid("s="));
    assert_false(jb_cursor_valid(CURSOR ";"));
    assert_false(jb_cursor_valid(";" CURSOR));
    assert_false(jb_cursor_valid(CURSOR " "));
    assert_false(jb_cursor_valid(CURSOR "\n"));
    assert_false(jb_cursor_valid(CURSOR ";x=1"));
    assert_false(jb_cursor_valid(
        "s=d4bf35c9efb0444897c87019d1697f0f;i=1;b=0123456789abcdef0123456789abcdef;m=3e8;t=60a24181e4000;xx=1"));
    assert_false(jb_cursor_valid(
        "s=d4bf35c9efb0444897c87019d1697f0f;i=1;b=0123456789abcdef0123456789abcde;m=3e8;t=60a24181e4000;x=1"));
    assert_false(jb_cursor_valid(
        "s=d4bf35c9efb0444897c87019d1697f0f;i=-1;b=0123456789abcdef0123456789abcdef;m=3e8;t=60a24181e4000;x=1"));
    assert_false(jb_cursor_valid(
        "s=d4bf35c9efb0444897c87019d1697f0f; i=1;b=0123456789abcdef0123456789abcdef;m=3e8;t=60a24181e4000;x=1"));
}

/* ---- save ---- */

static void test_round_trip(void **state) {
    char *path = path_in(*state, "state");
    jb_error err = {0};
    char *c = NULL;
    assert_int_equal(load_cursor(path, &c, &err), -ENOENT);
    assert_int_equal(err.code, -ENOENT);
    assert_contains(err.msg, path);
    assert_null(c);

    assert_int_equal(save_cursor(path, CURSOR, &err), 0);
    assert_int_equal(load_cursor(path, &c, &err), 0);
    assert_string_equal(c, CURSOR);
    jb_free(c);

    /* replaced by the next save */
    assert_int_equal(save_cursor(path, CURSOR2, NULL), 0);
    assert_int_equal(load_cursor(path, &c, NULL), 0);
    assert_string_equal(c, CURSOR2);
    jb_free(c);

    size_t len;
    char *text = tl_read_file(path, &len);
    assert_string_equal(text, "jbridge-state 1\ncursor=" CURSOR2 "\n");
    free(text);
    assert_int_equal(count_entries(*state), 1); /* no temporary file left */
    free(path);
}

/* The file is 0600 whatever the umask, also when it replaces a 0644 file. */
static void test_mode(void **state) {
    static const mode_t masks[] = {0, 022, 077, 0777};
    char *path = path_in(*state, "state");
    write_file(path, "old", 3);
    chmod(path, 0644);
    for (size_t i = 0; i < JB_ELEMENTSOF(masks); i++) {
        mode_t old = umask(masks[i]);
        int r = save_cursor(path, CURSOR, NULL);
        umask(old);
        assert_int_equal(r, 0);
        struct stat st;
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
    }
    assert_int_equal(count_entries(*state), 1);
    free(path);
}

/* A relative path without a directory: the directory synced is ".". */
static void test_relative_path(void **state) {
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(*state), 0);
    int r = save_cursor("state", CURSOR, NULL);
    char *c = NULL;
    int l = load_cursor("state", &c, NULL);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(r, 0);
    assert_int_equal(l, 0);
    assert_string_equal(c, CURSOR);
    jb_free(c);
}

/* A symbolic link at the path: save replaces the link itself (its target is untouched), load
 * refuses it. */
static void test_symlink(void **state) {
    char *path = path_in(*state, "state");
    char *target = path_in(*state, "target");
    write_file(target, "precious\n", 9);
    assert_int_equal(symlink(target, path), 0);

    jb_error err = {0};
    char *c = (char *)"untouched";
    assert_int_equal(load_cursor(path, &c, &err), -ELOOP);
    assert_int_equal(err.code, -ELOOP);
    assert_contains(err.msg, path);
    assert_contains(err.msg, "symbolic link");
    assert_string_equal(c, "untouched");

    /* also a link to a valid state file is refused */
    char *valid = path_in(*state, "valid");
    assert_int_equal(save_cursor(valid, CURSOR, NULL), 0);
    char *link2 = path_in(*state, "link2");
    assert_int_equal(symlink(valid, link2), 0);
    assert_int_equal(load_cursor(link2, &c, &err), -ELOOP);

    assert_int_equal(save_cursor(path, CURSOR, &err), 0);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    size_t len;
    char *text = tl_read_file(target, &len);
    assert_string_equal(text, "precious\n");
    free(text);
    assert_int_equal(load_cursor(path, &c, NULL), 0);
    assert_string_equal(c, CURSOR);
    jb_free(c);

    /* a dangling link is replaced as well, nothing is created at its target */
    char *dangling = path_in(*state, "dangling");
    char *nowhere = path_in(*state, "nowhere");
    assert_int_equal(symlink(nowhere, dangling), 0);
    assert_int_equal(save_cursor(dangling, CURSOR, NULL), 0);
    assert_int_equal(access(nowhere, F_OK), -1);
    assert_int_equal(lstat(dangling, &st), 0);
    assert_true(S_ISREG(st.st_mode));

    assert_int_equal(count_entries(*state), 5); /* state target valid link2 dangling */
    free(nowhere);
    free(dangling);
    free(link2);
    free(valid);
    free(target);
    free(path);
}

/* Places where the file cannot be written, reliable as root too. */
static void test_unwritable(void **state) {
    jb_error err = {0};

    /* the directory does not exist */
    char *missing = path_in(*state, "no-such-dir/state");
    assert_int_equal(save_cursor(missing, CURSOR, &err), -ENOENT);
    assert_contains(err.msg, missing);
    assert_contains(err.msg, strerror(ENOENT));

    /* a file where the directory should be */
    char *file = path_in(*state, "file");
    write_file(file, "x", 1);
    char *under_file = path_in(*state, "file/state");
    assert_int_equal(save_cursor(under_file, CURSOR, &err), -ENOTDIR);
    assert_contains(err.msg, under_file);
    assert_contains(err.msg, strerror(ENOTDIR));

    /* a directory at the path: the temporary file is written, the rename fails, the temporary
     * file is removed */
    char *dir = path_in(*state, "dir");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(save_cursor(dir, CURSOR, &err), -EISDIR);
    assert_contains(err.msg, dir);
    assert_contains(err.msg, "rename");
    assert_int_equal(count_entries(*state), 2); /* file dir */
    assert_int_equal(count_entries(dir), 0);

    /* a read-only directory (only meaningful when permissions apply: not as root) */
    if (geteuid() != 0) {
        char *ro = path_in(*state, "ro");
        assert_int_equal(mkdir(ro, 0500), 0);
        char *in_ro = path_in(ro, "state");
        assert_int_equal(save_cursor(in_ro, CURSOR, &err), -EACCES);
        assert_contains(err.msg, in_ro);
        assert_int_equal(count_entries(ro), 0);
        chmod(ro, 0700);
        free(in_ro);
        free(ro);
    }
    free(dir);
    free(under_file);
    free(file);
    free(missing);
}

static void test_save_invalid_cursor(void **state) {
    char *path = path_in(*state, "state");
    jb_error err = {0};
    assert_int_equal(save_cursor(path, "not a cursor", &err), -EINVAL);
    assert_contains(err.msg, path);
    assert_int_equal(save_cursor(path, CURSOR "\ncursor=x", &err), -EINVAL);
    assert_int_equal(save_cursor(path, NULL, &err), -EINVAL);
    /* sequence numbers stay within RFC 5424's sequenceId range */
    jb_state st = {.cursor = (char *)CURSOR, .seq_app = JB_SEQUENCE_MAX + 1u};
    assert_int_equal(jb_state_write(path, &st, &err), -EINVAL);
    st = (jb_state){.cursor = (char *)CURSOR, .seq_audit = UINT32_MAX};
    assert_int_equal(jb_state_write(path, &st, &err), -EINVAL);
    assert_contains(err.msg, path);
    assert_int_equal(count_entries(*state), 0);
    free(path);
}

/* A save without fsync (JB_STATE_NO_SYNC) writes the same file, atomically, with the same mode,
 * and replaces a durable one; an unknown flag is refused before anything is created. */
static void test_save_no_sync(void **state) {
    char *path = path_in(*state, "state");
    jb_error err = {0};
    jb_state st = {.cursor = (char *)CURSOR, .seq_app = 7, .seq_audit = 3};
    assert_int_equal(jb_state_save(path, &st, 1u << 5, &err), -EINVAL);
    assert_contains(err.msg, path);
    assert_int_equal(count_entries(*state), 0);

    assert_int_equal(jb_state_save(path, &st, JB_STATE_NO_SYNC, &err), 0);
    jb_state got = {0};
    assert_int_equal(jb_state_read(path, &got, &err), 0);
    assert_string_equal(got.cursor, CURSOR);
    assert_int_equal(got.seq_app, 7);
    assert_int_equal(got.seq_audit, 3);
    jb_state_done(&got);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_int_equal(count_entries(*state), 1); /* no temporary file left */

    /* durable, then not: the newest save is what is read */
    st.seq_app = 8;
    assert_int_equal(jb_state_save(path, &st, 0, &err), 0);
    st.seq_app = 9;
    assert_int_equal(jb_state_save(path, &st, JB_STATE_NO_SYNC, &err), 0);
    assert_int_equal(jb_state_read(path, &got, &err), 0);
    assert_int_equal(got.seq_app, 9);
    jb_state_done(&got);
    assert_int_equal(count_entries(*state), 1);
    free(path);
}

/* ---- load: not a regular file, too large ---- */

static void test_load_special(void **state) {
    jb_error err = {0};
    char *c = (char *)"untouched";

    assert_int_equal(load_cursor(*state, &c, &err), -EISDIR);
    assert_contains(err.msg, "directory");

    char *fifo = path_in(*state, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(load_cursor(fifo, &c, &err), -EINVAL); /* and does not block */
    assert_contains(err.msg, "not a regular file");

    char *dev = path_in(*state, "nope/state");
    assert_int_equal(load_cursor(dev, &c, &err), -ENOENT);

    char *file = path_in(*state, "file");
    write_file(file, "x", 1);
    char *under_file = path_in(*state, "file/state");
    assert_int_equal(load_cursor(under_file, &c, &err), -ENOTDIR);
    assert_contains(err.msg, under_file);
    assert_contains(err.msg, strerror(ENOTDIR));
    assert_string_equal(c, "untouched");
    free(under_file);
    free(file);
    free(dev);
    free(fifo);
}

/* The largest state file (state.c): 4 MiB since a store read per host keeps a cursor per host. */
#define MAX_STATE (4 * 1024 * 1024)

static void test_load_size(void **state) {
    char *path = path_in(*state, "state");
    jb_error err = {0};
    char *c = NULL;
    char *big = malloc(MAX_STATE + 1);

    /* the limit + 1: too large */
    memset(big, 'x', MAX_STATE + 1);
    memcpy(big, "jbridge-state 1\ncursor=", 23);
    write_file(path, big, MAX_STATE + 1);
    assert_int_equal(load_cursor(path, &c, &err), -EBADMSG);
    assert_contains(err.msg, "too large");

    /* exactly the limit is read and judged on its content */
    unlink(path);
    big[MAX_STATE - 1] = '\n';
    write_file(path, big, MAX_STATE);
    assert_int_equal(load_cursor(path, &c, &err), -EBADMSG);
    assert_contains(err.msg, "invalid cursor");
    assert_null(c);
    free(big);
    free(path);
}

/* ---- stale temporary files ---- */

/* A crash between the creation and the rename of a save leaves "<state>.tmp.<16 hex>": removed at
 * the next load, and only those: other names, other state files' temporaries, links and
 * directories with such a name stay, and no link is followed. */
static void test_remove_stale(void **state) {
    static const char *const stale[] = {"state.tmp.0123456789abcdef", "state.tmp.fedcba9876543210"};
    static const char *const kept[] = {
        "state.tmp.0123",             /* too short */
        "state.tmp.0123456789ABCDEF", /* not the case create_temp() writes */
        "state.tmp.0123456789abcdef0",
        "state.tmp.0123456789abcdeg",
        "other.tmp.0123456789abcdef", /* another state file's */
        "xstate.tmp.0123456789abcdef",
        "state.tmp",
        "state.bad",
    };
    char *path = path_in(*state, "state");
    jb_error err = {0};
    for (size_t i = 0; i < JB_ELEMENTSOF(stale); i++) {
        char *p = path_in(*state, stale[i]);
        write_file(p, "jbridge-state 1\n", 16);
        free(p);
    }
    for (size_t i = 0; i < JB_ELEMENTSOF(kept); i++) {
        char *p = path_in(*state, kept[i]);
        write_file(p, "x", 1);
        free(p);
    }
    char *target = path_in(*state, "target");
    write_file(target, "precious\n", 9);
    char *link = path_in(*state, "state.tmp.1111111111111111");
    assert_int_equal(symlink(target, link), 0);
    char *subdir = path_in(*state, "state.tmp.2222222222222222");
    assert_int_equal(mkdir(subdir, 0700), 0);
    size_t before = count_entries(*state);

    /* no state file yet (a crash before the first rename): removed all the same */
    char *c = NULL;
    assert_int_equal(load_cursor(path, &c, &err), -ENOENT);
    assert_int_equal(count_entries(*state), before - JB_ELEMENTSOF(stale));
    for (size_t i = 0; i < JB_ELEMENTSOF(kept); i++) {
        char *p = path_in(*state, kept[i]);
        assert_int_equal(access(p, F_OK), 0);
        free(p);
    }
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    size_t len;
    char *text = tl_read_file(target, &len);
    assert_string_equal(text, "precious\n");
    free(text);
    assert_int_equal(lstat(subdir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));

    /* with a state file; the function itself counts what it removed */
    assert_int_equal(save_cursor(path, CURSOR, NULL), 0);
    char *p = path_in(*state, stale[0]);
    write_file(p, "", 0);
    assert_int_equal(jb_state_remove_stale(path, &err), 1);
    assert_int_equal(access(p, F_OK), -1);
    assert_int_equal(jb_state_remove_stale(path, &err), 0);
    write_file(p, "", 0);
    assert_int_equal(load_cursor(path, &c, &err), 0);
    assert_string_equal(c, CURSOR);
    jb_free(c);
    assert_int_equal(access(p, F_OK), -1);

    /* a directory that cannot be opened: an error from the function, no effect on the load */
    char *missing = path_in(*state, "no-such-dir/state");
    assert_int_equal(jb_state_remove_stale(missing, &err), -ENOENT);
    assert_contains(err.msg, missing);
    assert_int_equal(load_cursor(missing, &c, &err), -ENOENT);

    free(missing);
    free(p);
    free(subdir);
    free(link);
    free(target);
    free(path);
}

/* A damaged state file is moved aside to FILE.bad (an older one is replaced); then the path is
 * free, as without a state. */
static void test_set_aside(void **state) {
    char *path = path_in(*state, "state");
    char *bad = path_in(*state, "state" JB_STATE_BAD_SUFFIX);
    jb_error err = {0};
    char *c = NULL;
    write_file(bad, "older", 5);
    write_file(path, "garbage", 7);
    assert_int_equal(load_cursor(path, &c, &err), -EBADMSG);
    assert_int_equal(jb_state_set_aside(path, &err), 0);
    assert_int_equal(load_cursor(path, &c, &err), -ENOENT);
    size_t len;
    char *text = tl_read_file(bad, &len);
    assert_string_equal(text, "garbage");
    free(text);
    assert_int_equal(jb_state_set_aside(path, &err), -ENOENT); /* nothing to move */
    assert_contains(err.msg, path);
    assert_int_equal(count_entries(*state), 1);
    free(bad);
    free(path);
}

/* ---- allocation failure ---- */

/* Fail the Nth allocation for every N until success: -ENOMEM, nothing written, nothing leaked. */
/* Seal lines: saved as given after the other lines, read back; a text that is not printable is
 * refused before the file is touched. */
static void test_seal_lines(void **state) {
    char *path = path_in(*state, "state");
    jb_error err = {0};
    jb_state st = {.cursor = (char *)CURSOR, .seq_audit = 3, .seal = {NULL, (char *)"k c 3 0 p -"}};
    assert_int_equal(jb_state_write(path, &st, &err), 0);
    size_t len;
    char *text = tl_read_file(path, &len);
    assert_string_equal(text, "jbridge-state 1\ncursor=" CURSOR "\nseq.audit=3\nseal.audit=k c 3 0 p -\n");
    free(text);
    jb_state got = {0};
    assert_int_equal(jb_state_read(path, &got, &err), 0);
    assert_null(got.seal[0]);
    assert_string_equal(got.seal[1], "k c 3 0 p -");
    jb_state_done(&got);
    assert_null(got.seal[1]);

    st.seal[0] = (char *)"bad\nline";
    assert_int_equal(jb_state_write(path, &st, &err), -EINVAL);
    assert_contains(err.msg, "seal line");
    st.seal[0] = (char *)"";
    assert_int_equal(jb_state_write(path, &st, &err), -EINVAL);
    text = tl_read_file(path, &len); /* unchanged */
    assert_non_null(strstr(text, "seal.audit=k c 3 0 p -\n"));
    assert_null(strstr(text, "seal.app"));
    free(text);
    free(path);
}

/* jb_file_write_atomic() with JB_FILE_NO_REPLACE: creates a new file 0600, never replaces one (not
 * even a dangling symbolic link), leaves no temporary file. */
static void test_write_no_replace(void **state) {
    char *path = path_in(*state, "key");
    char *link_path = path_in(*state, "link");
    jb_error err = {0};
    assert_int_equal(jb_file_write_atomic(path, "key file", "one\n", 4, JB_FILE_NO_REPLACE, &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(jb_file_write_atomic(path, "key file", "two\n", 4, JB_FILE_NO_REPLACE, &err), -EEXIST);
    assert_contains(err.msg, "key file");
    assert_contains(err.msg, "already exists");
    size_t len;
    char *text = tl_read_file(path, &len);
    assert_string_equal(text, "one\n");
    free(text);
    assert_int_equal(symlink("/nonexistent/target", link_path), 0);
    assert_int_equal(jb_file_write_atomic(link_path, "key file", "x", 1, JB_FILE_NO_REPLACE, &err), -EEXIST);
    assert_int_equal(count_entries(*state), 2);
    /* without the flag it replaces, as a state save does */
    assert_int_equal(jb_file_write_atomic(path, "key file", "three\n", 6, 0, &err), 0);
    text = tl_read_file(path, &len);
    assert_string_equal(text, "three\n");
    free(text);
    assert_int_equal(count_entries(*state), 2);
    free(path);
    free(link_path);
}

static void test_alloc_failure(void **state) {
    char *path = path_in(*state, "state");
    long n;
    for (n = 0; n < 100; n++) {
        jb_error err = {0};
        tl_fail_after(n);
        int r = save_cursor(path, CURSOR, &err);
        tl_fail_off();
        if (r == 0) break;
        assert_int_equal(r, -ENOMEM);
        assert_int_equal(err.code, -ENOMEM);
        assert_int_equal(count_entries(*state), 0); /* the file system was not touched */
    }
    assert_true(n > 0 && n < 100);

    for (n = 0; n < 100; n++) {
        jb_error err = {0};
        char *c = NULL;
        tl_fail_after(n);
        int r = load_cursor(path, &c, &err);
        tl_fail_off();
        if (r == 0) {
            assert_string_equal(c, CURSOR);
            jb_free(c);
            break;
        }
        assert_int_equal(r, -ENOMEM);
        assert_int_equal(err.code, -ENOMEM);
        assert_null(c);
    }
    assert_true(n > 0 && n < 100);
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_cases, setup_dir, teardown_dir),
        cmocka_unit_test(test_cursor_valid),
        cmocka_unit_test_setup_teardown(test_round_trip, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_mode, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_relative_path, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_symlink, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_unwritable, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_save_invalid_cursor, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_save_no_sync, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_load_special, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_load_size, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_remove_stale, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_set_aside, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_alloc_failure, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_seal_lines, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_write_no_replace, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
