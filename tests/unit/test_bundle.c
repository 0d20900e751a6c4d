/* SPDX-License-Identifier: Apache-2.0 */
/* bundle.c: a support bundle's directory names, its files and manifest read back from the
 * archive (tarread.h), and allocation failure while spooling and writing. The archive as GNU tar
 * reads it is checked by tests/integration/bundle.sh; the writer itself by test_tar. */

#include "testlib.h"

#include <errno.h>
#include <jansson.h>
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
        {"ptfe_atlas", "", "ptfe_atlas"}, {"", "sshd", "_sshd"}, {"", "", "_unknown"},
        {"../x/y z", "", ".._x_y_z"},     {"..", "", "_."},
    };
    char out[80];
    jb_record r;
    for (size_t i = 0; i < JB_ELEMENTSOF(cases); i++) {
        r = rec_at(cases[i].container, cases[i].identifier, JB_STREAM_APP, 0, "");
        jb_bundle_dir_name(&r, out, sizeof out);
        assert_string_equal(out, cases[i].dir);
    }
    char longn[200];
    memset(longn, 'n', 199);
    longn[199] = 0;
    r = rec_at(longn, "", JB_STREAM_APP, 0, "");
    jb_bundle_dir_name(&r, out, sizeof out);
    assert_int_equal(strlen(out), 64);
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
        cmocka_unit_test(test_bundle_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
