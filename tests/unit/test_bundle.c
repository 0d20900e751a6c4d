/* SPDX-License-Identifier: Apache-2.0 */
/* timespec.c, tar.c and bundle.c: time parsing (table in data/timespec/cases.txt), the ustar+gzip
 * writer read back with zlib, and a bundle's files and manifest. The archive as GNU tar reads it
 * is checked by tests/integration/bundle.sh. */

#include "testlib.h"

#include <fcntl.h>
#include <time.h>
#include <jansson.h>
#include <unistd.h>
#include <zlib.h>

#include "bundle.h"
#include "tar.h"
#include "timespec.h"
#include "util.h"

static void test_timespec_table(void **state) {
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    char dir[4096], path[4200];
    tl_data_dir("timespec", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    char *text = tl_read_file(path, NULL);
    assert_non_null(text);
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char *tab = strrchr(line, '\t');
        assert_non_null(tab);
        *tab = 0;
        uint64_t got = 0;
        int r = jb_parse_time_spec(line, &got);
        if (strcmp(tab + 1, "error") == 0) {
            if (r != -EINVAL) fail_msg("'%s': expected an error, got %d (%llu)", line, r, (unsigned long long)got);
        } else {
            if (r != 0) fail_msg("'%s': expected %s, got error %d", line, tab + 1, r);
            if (got != strtoull(tab + 1, NULL, 10))
                fail_msg("'%s': expected %s, got %llu", line, tab + 1, (unsigned long long)got);
        }
        n++;
    }
    assert_true(n >= 30);
    uint64_t now = 0;
    assert_int_equal(jb_parse_time_spec("now", &now), 0);
    assert_true(now > UINT64_C(1600000000000000));
    free(text);
}

/* Read a whole .tar.gz into memory with zlib. */
static char *gunzip_file(const char *path, size_t *ret_len) {
    gzFile gz = gzopen(path, "rb");
    assert_non_null(gz);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int n;
    while ((n = gzread(gz, buf + len, (unsigned)(cap - len))) > 0) {
        len += (size_t)n;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    assert_int_equal(n, 0);
    gzclose(gz);
    *ret_len = len;
    return buf;
}

typedef struct member {
    char name[300];
    const char *data;
    size_t size;
} member;

/* Walk the ustar members: names (prefix/name), sizes, checksums, the two zero blocks at the end. */
static size_t tar_members(const char *t, size_t len, member *out, size_t max) {
    size_t off = 0, n = 0;
    assert_int_equal(len % 512, 0);
    for (;;) {
        assert_true(off + 512 <= len);
        const unsigned char *h = (const unsigned char *)t + off;
        bool zero = true;
        for (int i = 0; i < 512 && zero; i++) zero = h[i] == 0;
        if (zero) {
            assert_true(off + 1024 <= len);
            for (int i = 512; i < 1024; i++) assert_int_equal(t[off + i], 0);
            break;
        }
        assert_memory_equal(h + 257,
                            "ustar\0"
                            "00",
                            8);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
        assert_int_equal(strtoul((const char *)h + 148, NULL, 8), sum);
        assert_true(n < max);
        member *m = &out[n++];
        if (h[345])
            snprintf(m->name, sizeof m->name, "%.155s/%.100s", (const char *)h + 345, (const char *)h);
        else
            snprintf(m->name, sizeof m->name, "%.100s", (const char *)h);
        m->size = strtoull((const char *)h + 124, NULL, 8);
        m->data = t + off + 512;
        off += 512 + (m->size + 511) / 512 * 512;
    }
    return n;
}

static void test_tar_roundtrip(void **state) {
    (void)state;
    char path[] = "/tmp/jb-test-tar-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    jb_tar *t = NULL;
    assert_int_equal(jb_tar_open(fd, 6, &t), 0);
    assert_int_equal(jb_tar_add_data(t, "a.txt", 0640, 1522187729, "hello\n", 6), 0);
    assert_int_equal(jb_tar_add_data(t, "empty", 0640, 0, "", 0), 0);
    char big[1500];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
    char src[] = "/tmp/jb-test-src-XXXXXX";
    int sfd = mkstemp(src);
    assert_int_equal(write(sfd, big, sizeof big), (ssize_t)sizeof big);
    assert_int_equal(jb_tar_add_fd(t, "dir/big.log", 0600, 1, sfd, sizeof big), 0);
    /* a name over 100 bytes goes into prefix + name */
    char longname[200];
    memset(longname, 'd', 120);
    strcpy(longname + 120, "/app.log");
    assert_int_equal(jb_tar_add_data(t, longname, 0640, 1, "x", 1), 0);
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
    sfd = mkstemp(src);
    assert_int_equal(write(sfd, big, sizeof big), (ssize_t)sizeof big);
    assert_int_equal(jb_tar_open(fd, 9, &t), 0);
    assert_int_equal(jb_tar_add_data(t, "a.txt", 0640, 1522187729, "hello\n", 6), 0);
    assert_int_equal(jb_tar_add_data(t, "empty", 0640, 0, "", 0), 0);
    assert_int_equal(jb_tar_add_fd(t, "dir/big.log", 0600, 1, sfd, sizeof big), 0);
    assert_int_equal(jb_tar_add_data(t, longname, 0640, 1, "x", 1), 0);
    assert_int_equal(jb_tar_close(t), 0);
    close(sfd);
    unlink(src);

    size_t len = 0;
    char *data = gunzip_file(path, &len);
    member m[8];
    size_t n = tar_members(data, len, m, 8);
    assert_int_equal(n, 4);
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
    char out[80];
    jb_record r = rec_at("ptfe_atlas", "", JB_STREAM_APP, 0, "");
    jb_bundle_dir_name(&r, out, sizeof out);
    assert_string_equal(out, "ptfe_atlas");
    r = rec_at("", "sshd", JB_STREAM_APP, 0, "");
    jb_bundle_dir_name(&r, out, sizeof out);
    assert_string_equal(out, "_sshd");
    r = rec_at("", "", JB_STREAM_APP, 0, "");
    jb_bundle_dir_name(&r, out, sizeof out);
    assert_string_equal(out, "_unknown");
    r = rec_at("../x/y z", "", JB_STREAM_APP, 0, "");
    jb_bundle_dir_name(&r, out, sizeof out);
    assert_string_equal(out, ".._x_y_z");
    r = rec_at("..", "", JB_STREAM_APP, 0, "");
    jb_bundle_dir_name(&r, out, sizeof out);
    assert_string_equal(out, "_.");
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

    size_t len = 0;
    char *data = gunzip_file(path, &len);
    member m[8];
    size_t n = tar_members(data, len, m, 8);
    assert_int_equal(n, 5);
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
        tl_alloc_budget = budget;
        jb_set_alloc_funcs(tl_fail_malloc, tl_fail_realloc, NULL);
        jb_bundle *b = NULL;
        int r = jb_bundle_new(&o, &b, NULL);
        jb_record rc = rec_at("web", "", JB_STREAM_APP, 1, "line");
        if (r >= 0) r = jb_bundle_add(&rc, b);
        if (r >= 0)
            r = jb_bundle_write(b, fd, NULL, NULL);
        else
            close(fd);
        jb_set_alloc_funcs(NULL, NULL, NULL);
        tl_alloc_budget = -1;
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
        cmocka_unit_test(test_timespec_table),
        cmocka_unit_test(test_tar_roundtrip),
        cmocka_unit_test(test_dir_names),
        cmocka_unit_test(test_bundle_write),
        cmocka_unit_test(test_bundle_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
