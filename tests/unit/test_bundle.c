/* SPDX-License-Identifier: Apache-2.0 */
/* bundle.c: a support bundle's directory names, its files and manifest read back from the
 * archive (tarread.h), and allocation failure while spooling and writing. The archive as GNU tar
 * reads it is checked by tests/integration/bundle.sh; the writer itself by test_tar. */

#include "testlib.h"

#include <errno.h>
#include <jansson.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bundle.h"
#include "tarread.h"
#include "util.h"

static jb_record rec_at(const char *container, const char *ident, jb_stream stream, uint64_t usec, const char *msg) {
    static const jb_audit none = {0};
    jb_record r = {
        .message = msg,
        .message_len = strlen(msg),
        .container_name = container,
        .container_id = "0123456789ab",
        .image = "img",
        .identifier = ident,
        .hostname = "tfe-host",
        .time_usec = usec,
        .severity = 6,
        .facility = -1,
        .cursor = "c",
        .record_id = "0000000000000001",
        .pieces = 1,
        .audit = &none,
        .stream = stream,
    };
    return r;
}

static void test_dir_names(void **state) {
    (void)state;
    static const struct {
        const char *container, *identifier, *dir;
    } cases[] = {
        {"ptfe_atlas", "", "ptfe_atlas"},
        {"", "sshd", "_sshd"},
        {"", "", "_unknown"},
        {"../x/y z", "", ".._x_y_z~"},
        {"..", "", "..~"},
        {"manifest.json", "", "manifest.json~"},
        {"_x", "", "_x~"},
        {"", "unknown", "_unknown~"},
        {"ptfe atlas", "", "ptfe_atlas~"},
        {"ptfe\natlas", "", "ptfe_atlas~"},
        {"", "a b", "_a_b~"},
    };
    char out[80];
    jb_record r;
    for (size_t i = 0; i < JB_ELEMENTSOF(cases); i++) {
        r = rec_at(cases[i].container, cases[i].identifier, JB_STREAM_APP, 0, "");
        jb_bundle_dir_name(&r, out, sizeof out);
        size_t n = strlen(cases[i].dir);
        if (cases[i].dir[n - 1] == '~') { /* encoded: the prefix, '~' and 16 hex digits */
            assert_int_equal(strlen(out), n + 16);
            assert_memory_equal(out, cases[i].dir, n);
            assert_int_equal(strspn(out + n, "0123456789abcdef"), 16);
        } else {
            assert_string_equal(out, cases[i].dir);
        }
    }
    /* the colliding names of issue 17 get three directories */
    char a[80], b[80], c[80];
    r = rec_at("ptfe atlas", "", JB_STREAM_APP, 0, "");
    jb_bundle_dir_name(&r, a, sizeof a);
    r = rec_at("ptfe\natlas", "", JB_STREAM_APP, 0, "");
    jb_bundle_dir_name(&r, b, sizeof b);
    r = rec_at("ptfe_atlas", "", JB_STREAM_APP, 0, "");
    jb_bundle_dir_name(&r, c, sizeof c);
    assert_true(strcmp(a, b) != 0 && strcmp(a, c) != 0 && strcmp(b, c) != 0);
    char longn[200];
    memset(longn, 'n', 199);
    longn[199] = 0;
    r = rec_at(longn, "", JB_STREAM_APP, 0, "");
    jb_bundle_dir_name(&r, out, sizeof out);
    assert_int_equal(strlen(out), 64);
    assert_non_null(strchr(out, '~'));
}

/* Issue 17, defect 7: 600 containers with 64 open files allowed, names that merged before
 * ("ptfe atlas", "ptfe_atlas", "ptfe\natlas") and one named manifest.json: every container its
 * own files, the manifest alone under its name and mapping each directory back. */
static void test_bundle_many_containers(void **state) {
    (void)state;
    struct rlimit old, low = {64, 64};
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low.rlim_max = old.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    jb_bundle_opts o = {.until_usec = JB_BUNDLE_NO_LIMIT, .fmt = JB_FORMAT_OPTS_DEFAULT};
    jb_bundle *b = NULL;
    assert_int_equal(jb_bundle_new(&o, &b, NULL), 0);
    static const char *const odd[] = {"ptfe atlas", "ptfe_atlas", "ptfe\natlas", "manifest.json"};
    char name[32];
    for (int round = 0; round < 3; round++) /* interleaved: every container's lines in turn */
        for (int i = 0; i < 604; i++) {
            if (i < 600)
                snprintf(name, sizeof name, "tfe-run-%03d", i);
            else
                snprintf(name, sizeof name, "%s", odd[i - 600]);
            jb_record r = rec_at(name, "", (jb_stream)(i % 2), 1, name);
            assert_int_equal(jb_bundle_add(&r, b), 0);
        }
    char path[] = "/tmp/jb-test-bundle-XXXXXX";
    int fd = mkstemp(path);
    jb_error err = {0};
    assert_int_equal(jb_bundle_write(b, fd, NULL, &err), 0);
    jb_bundle_free(b);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);

    char *data = NULL;
    static tr_member m[700];
    assert_int_equal(tr_read(path, m, 700, &data), 605);
    assert_string_equal(m[0].name, "manifest.json");
    json_error_t je;
    json_t *man = json_loadb(m[0].data, m[0].size, 0, &je);
    assert_non_null(man);
    json_t *containers = json_object_get(man, "containers");
    assert_int_equal(json_object_size(containers), 604);
    for (size_t i = 1; i < 605; i++) {
        assert_string_not_equal(m[i].name, "manifest.json");
        /* DIR/STREAM.log: the manifest names the container of DIR; its three lines, all its own */
        char dir[80];
        const char *slash = strchr(m[i].name, '/');
        assert_non_null(slash);
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - m[i].name), m[i].name);
        const char *cname = json_string_value(json_object_get(json_object_get(containers, dir), "name"));
        assert_non_null(cname);
        size_t lines = 0;
        for (size_t k = 0; k < m[i].size; k++) lines += m[i].data[k] == '\n';
        if (strchr(cname, '\n') == NULL) {
            char want[40];
            snprintf(want, sizeof want, "] %s\n", cname);
            size_t hits = 0;
            for (const char *p = m[i].data; (p = memmem(p, m[i].size - (size_t)(p - m[i].data), want, strlen(want)));
                 p++)
                hits++;
            assert_int_equal(hits, 3);
        }
        assert_int_equal(lines, 3);
    }
    for (size_t i = 0; i < JB_ELEMENTSOF(odd); i++) {
        size_t found = 0;
        const char *k;
        json_t *v;
        json_object_foreach(containers, k, v) found +=
            strcmp(json_string_value(json_object_get(v, "name")), odd[i]) == 0;
        assert_int_equal(found, 1);
    }
    json_decref(man);
    free(data);
    unlink(path);
}

static void test_bundle_write(void **state) {
    (void)state;
    const uint64_t t0 = UINT64_C(1522187729000000);
    jb_bundle_opts o = {.since_usec = t0, .until_usec = t0 + 10000000, .fmt = JB_FORMAT_OPTS_DEFAULT};
    jb_bundle *b = NULL;
    assert_int_equal(jb_bundle_new(&o, &b, NULL), 0);
    jb_record recs[] = {
        rec_at("web", "", JB_STREAM_APP, t0 - 1, "too early"),
        rec_at("web", "", JB_STREAM_APP, t0, "first"),
        rec_at("api", "", JB_STREAM_AUDIT, t0 + 1000000, "audit one"),
        rec_at("web", "", JB_STREAM_APP, t0 + 2000000, "second"),
        rec_at("", "sshd", JB_STREAM_APP, t0 + 3000000, "host line"),
        rec_at("api", "", JB_STREAM_APP, t0 + 10000000, "last"),
        rec_at("api", "", JB_STREAM_APP, t0 + 10000001, "too late"),
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(recs); i++) assert_int_equal(jb_bundle_add(&recs[i], b), 0);
    assert_int_equal(jb_bundle_records(b), 5);
    assert_int_equal(jb_bundle_skipped(b), 2);

    char path[] = "/tmp/jb-test-bundle-XXXXXX";
    int fd = mkstemp(path);
    jb_stats st = {.entries_read = 9, .gaps = 1, .gap_entries = 3};
    jb_bundle_info info = {.host = "maker", .source = "directory /x", .version = "9.9", .stats = &st};
    jb_error err = {0};
    assert_int_equal(jb_bundle_write(b, fd, &info, &err), 0);
    jb_bundle_free(b);

    char *data = NULL;
    tr_member m[8];
    assert_int_equal(tr_read(path, m, 8, &data), 5);
    assert_string_equal(m[0].name, "manifest.json");
    assert_string_equal(m[1].name, "_sshd/app.log");
    assert_string_equal(m[2].name, "api/app.log");
    assert_string_equal(m[3].name, "api/audit.log");
    assert_string_equal(m[4].name, "web/app.log");
    assert_non_null(memmem(m[4].data, m[4].size, "first\n", 6));
    assert_non_null(memmem(m[4].data, m[4].size, "second\n", 7));
    assert_null(memmem(m[4].data, m[4].size, "too early", 9));
    assert_non_null(memmem(m[3].data, m[3].size, " audit [", 8));

    json_error_t je;
    json_t *man = json_loadb(m[0].data, m[0].size, 0, &je);
    assert_non_null(man);
    assert_int_equal(m[0].data[m[0].size - 1], '\n');
    assert_string_equal(json_string_value(json_object_get(man, "host")), "maker");
    assert_string_equal(json_string_value(json_object_get(man, "jbridge_version")), "9.9");
    assert_string_equal(json_string_value(json_object_get(man, "source")), "directory /x");
    json_t *range = json_object_get(man, "range");
    assert_string_equal(json_string_value(json_object_get(range, "since")), "2018-03-27T21:55:29.000000Z");
    assert_string_equal(json_string_value(json_object_get(range, "until")), "2018-03-27T21:55:39.000000Z");
    json_t *recsj = json_object_get(man, "records");
    assert_int_equal(json_integer_value(json_object_get(recsj, "app")), 4);
    assert_int_equal(json_integer_value(json_object_get(recsj, "audit")), 1);
    json_t *api = json_object_get(json_object_get(man, "containers"), "api");
    assert_int_equal(json_integer_value(json_object_get(api, "app")), 1);
    assert_int_equal(json_integer_value(json_object_get(api, "audit")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(api, "files"), "audit"), "path")),
        "api/audit.log");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(man, "gaps"), "count")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(man, "gaps"), "entries")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(man, "entries"), "out_of_range")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(man, "hosts"), 0)), "tfe-host");
    json_decref(man);
    free(data);
    unlink(path);
}

/* Allocation failure anywhere in spooling and writing: an error, never a crash or a leak. */
static void test_bundle_alloc_failure(void **state) {
    (void)state;
    for (long budget = 0;; budget++) {
        jb_bundle_opts o = {.until_usec = JB_BUNDLE_NO_LIMIT, .fmt = JB_FORMAT_OPTS_DEFAULT};
        char path[] = "/tmp/jb-test-bundle-XXXXXX";
        int fd = mkstemp(path);
        tl_fail_after(budget);
        jb_bundle *b = NULL;
        int r = jb_bundle_new(&o, &b, NULL);
        jb_record rc = rec_at("web", "", JB_STREAM_APP, 1, "line");
        if (r >= 0) r = jb_bundle_add(&rc, b);
        if (r >= 0)
            r = jb_bundle_write(b, fd, NULL, NULL);
        else
            close(fd);
        tl_fail_off();
        jb_bundle_free(b);
        unlink(path);
        if (r < 0) {
            assert_int_equal(r, -ENOMEM);
            continue;
        }
        break;
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_names),
        cmocka_unit_test(test_bundle_write),
        cmocka_unit_test(test_bundle_many_containers),
        cmocka_unit_test(test_bundle_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
