/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation failure over the core's main path, end to end: a real journal file (fixture entries,
 * plus split lines cut at a small max_line and evicted with max_pending 2) read by jb_bridge,
 * every record formatted as an RFC 5424 line, the checkpoint saved to a state file and read back,
 * a second bridge resuming from it. First a run that counts the allocations (the core's and
 * jansson's, all through jb_set_alloc_funcs; libsystemd's are not hookable), then one run per N
 * failing exactly the Nth. Each run must either return -ENOMEM or give exactly the output of the
 * clean run, and free everything it allocated (counted here; ASan also checks in build-asan).
 *
 * The journal is built in the setup with systemd-journal-remote ($JOURNAL_REMOTE) from
 * fixtures in tests/fixtures/ ($JB_SRCDIR) and split lines written here; JB_ALLOCFAIL_JOURNAL names an
 * existing journal file to use instead.
 *
 * The same journal, and a second one of big entries (over the ring's byte bound and the size a slot
 * keeps), also check the read-ahead thread (readahead.h): the records, their order and the
 * checkpoints must be exactly those of reading in the caller's thread, also when the reader is
 * repositioned while it reads ahead. (Not under allocation failure: the two threads' allocations
 * interleave differently on every run.) */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "journalfile.h"

#include "bridge.h"
#include "rfc5424.h"
#include "state.h"

/* ---- the allocator: counts, fails the Nth, tracks live blocks ---- */

typedef struct hdr {
    size_t size;
    max_align_t pad[];
} hdr;

static unsigned long n_allocs, fail_at; /* fail_at 0: never */
static bool failed;
static long live;

static bool should_fail(void) {
    n_allocs++;
    if (fail_at && n_allocs == fail_at) {
        failed = true;
        return true;
    }
    return false;
}

static void *af_malloc(size_t n) {
    if (should_fail()) return NULL;
    hdr *h = malloc(sizeof(hdr) + n);
    if (!h) return NULL;
    h->size = n;
    live++;
    return h + 1;
}

static void af_free(void *p) {
    if (!p) return;
    live--;
    free((hdr *)p - 1);
}

static void *af_realloc(void *p, size_t n) {
    if (!p) return af_malloc(n);
    if (should_fail()) return NULL;
    hdr *h = realloc((hdr *)p - 1, sizeof(hdr) + n);
    if (!h) return NULL;
    h->size = n;
    return h + 1;
}

/* ---- the journal ---- */

static char tmpdir[] = "/tmp/jb-allocfail.XXXXXX";
static char journal[PATH_MAX], big_journal[PATH_MAX], state_path[PATH_MAX];

static void export_entry(FILE *f, unsigned i, const char *name, const char *partial_id, const char *more,
                         const char *msg) {
    fprintf(f, "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%llu\n_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n",
            1522187729000000ull + i, 86400000000ull + i);
    fprintf(f, "PRIORITY=6\n_HOSTNAME=tfe-host\nCONTAINER_NAME=%s\nCONTAINER_ID=%.12s0000000\n", name, name);
    fprintf(f, "CONTAINER_ID_FULL=%s00000000000000000000000000000000000000000000000000000000\nIMAGE_NAME=img\n", name);
    if (partial_id) {
        fprintf(f, "CONTAINER_PARTIAL_ID=%s\nCONTAINER_PARTIAL_LAST=%s\n", partial_id, more ? "false" : "true");
    } else if (more) {
        fprintf(f, "CONTAINER_PARTIAL_MESSAGE=true\n");
    }
    fprintf(f, "MESSAGE=%s\n\n", msg);
}

/* Split lines: an audit line in three old-form pieces (over max_line 200: cut), new-form pieces
 * interleaved with another container, three lines pending at once (max_pending 2: one evicted),
 * and a line that never ends (flushed as incomplete). */
static void write_split_export(const char *path) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char pad[121];
    memset(pad, 'x', 120);
    pad[120] = 0;
    char head[256];
    snprintf(head, sizeof head, "2018-03-27 [Audit Log] {\"resource\":\"run\",\"pad\":\"%s", pad);
    unsigned i = 0;
    export_entry(f, i++, "ptfe_atlas", NULL, "more", head);
    export_entry(f, i++, "ptfe_other", NULL, NULL, "interleaved line");
    export_entry(f, i++, "ptfe_atlas", NULL, "more", pad);
    export_entry(
        f, i++, "ptfe_atlas", NULL, NULL,
        "\",\"action\":\"apply\",\"resource_id\":\"r\",\"actor\":\"a\",\"timestamp\":\"t\",\"actor_ip\":\"i\"}");
    export_entry(f, i++, "ptfe_new", "p1", "more", "[Audit Log] {\"resource\":\"x\",");
    export_entry(f, i++, "ptfe_other", NULL, NULL, "interleaved line");
    export_entry(f, i++, "ptfe_new", "p1", NULL, "\"action\":\"y\"}");
    export_entry(f, i++, "ptfe_b", NULL, "more", "b-head");
    export_entry(f, i++, "ptfe_c", NULL, "more", "c-head");
    export_entry(f, i++, "ptfe_d", NULL, "more", "never ends");
    fclose(f);
}

/* Big entries: 150 messages of 40 KiB (more than a read-ahead slot keeps, and together over the
 * ring's byte bound) between small ones, audit lines among them. */
static void write_big_export(const char *path) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    static char big[40 * 1024 + 1];
    memset(big, 'b', sizeof big - 1);
    unsigned i = 0;
    for (unsigned k = 0; k < 150; k++) {
        char small[128];
        snprintf(small, sizeof small, "small line %u", k);
        export_entry(f, i++, "ptfe_small", NULL, NULL, small);
        big[0] = (char)('a' + k % 26);
        export_entry(f, i++, "ptfe_big", NULL, NULL, big);
        if (k % 10 == 0) export_entry(f, i++, "ptfe_atlas", NULL, NULL, "[Audit Log] {\"resource\":\"run\"}");
    }
    fclose(f);
}

static void to_journal(const char *export) {
    jb_test_journal_file(export, journal);
}

static int setup(void **state) {
    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    snprintf(state_path, sizeof state_path, "%s/state", tmpdir);
    char big_export[PATH_MAX];
    snprintf(big_export, sizeof big_export, "%s/big.export", tmpdir);
    snprintf(big_journal, sizeof big_journal, "%s/big.journal", tmpdir);
    write_big_export(big_export);
    jb_test_journal_file(big_export, big_journal);
    unlink(big_export);
    const char *given = getenv("JB_ALLOCFAIL_JOURNAL");
    if (given && *given) {
        snprintf(journal, sizeof journal, "%s", given);
        return 0;
    }
    snprintf(journal, sizeof journal, "%s/x.journal", tmpdir);
    static const char *const fixtures[] = {"containers", "audit-malformed", "audit-nested",
                                           "wrapped",    "newlines",        "binary"};
    const char *src = getenv("JB_SRCDIR");
    char path[PATH_MAX];
    for (size_t i = 0; i < JB_ELEMENTSOF(fixtures); i++) {
        snprintf(path, sizeof path, "%s/tests/fixtures/%s.export", src && *src ? src : ".", fixtures[i]);
        to_journal(path);
    }
    snprintf(path, sizeof path, "%s/split.export", tmpdir);
    write_split_export(path);
    to_journal(path);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/split.export", tmpdir);
    unlink(path);
    unlink(state_path);
    unlink(big_journal);
    if (strncmp(journal, tmpdir, strlen(tmpdir)) == 0) unlink(journal);
    rmdir(tmpdir);
    return 0;
}

/* ---- the pipeline ---- */

typedef struct out {
    jb_buf text;
    size_t records;
} out;

static int on_record(const jb_record *rec, void *userdata) {
    out *o = userdata;
    o->records++;
    return jb_rfc5424_format(rec, NULL, &o->text);
}

/* A configuration that reads the one journal file *files (which must outlive cfg). */
static void file_config(jb_config *cfg, const char *const *files, bool read_ahead) {
    jb_config_init(cfg);
    cfg->read_ahead = read_ahead;
    cfg->source.kind = JB_SOURCE_FILES;
    cfg->source.files = files;
    cfg->source.n_files = 1;
}

static int run_bridge_opts(jb_bridge **b, const char *path, bool read_ahead, const char *cursor, out *o,
                           jb_error *err) {
    jb_config cfg;
    const char *files[] = {path};
    file_config(&cfg, files, read_ahead);
    cfg.max_line = 200;
    cfg.max_pending = 2;
    int r = jb_bridge_new(&cfg, b, err);
    if (r < 0) return r;
    r = cursor ? jb_bridge_seek_cursor(*b, cursor, err) : jb_bridge_seek_head(*b, err);
    while (r >= 0) {
        r = jb_bridge_process(*b, 7, on_record, o, err); /* small batches: many calls */
        if (r == 0) break;
    }
    if (r >= 0) r = jb_bridge_flush(*b, on_record, o, err);
    return r;
}

static int run_bridge(jb_bridge **b, const char *cursor, out *o, jb_error *err) {
    return run_bridge_opts(b, journal, false, cursor, o, err);
}

/* Read everything, save the checkpoint, read the state back, resume from it (nothing new). */
static int pipeline(out *o, jb_error *err) {
    jb_bridge *b = NULL, *b2 = NULL;
    jb_state st = {0}, back = {0};
    int r = run_bridge(&b, NULL, o, err);
    if (r >= 0) {
        st.cursor = jb_strdup(jb_bridge_checkpoint(b));
        if (!st.cursor) r = -ENOMEM;
    }
    if (r >= 0) jb_bridge_checkpoint_sequence(b, &st.seq_app, &st.seq_audit);
    if (r >= 0) r = jb_state_write(state_path, &st, err);
    if (r >= 0) r = jb_state_read(state_path, &back, err);
    if (r >= 0 && strcmp(back.cursor, st.cursor) != 0) r = -EPROTO;
    if (r >= 0) {
        size_t before = o->records;
        r = run_bridge(&b2, back.cursor, o, err);
        if (r >= 0 && o->records != before) r = -EPROTO; /* resumed after the last entry */
    }
    jb_bridge_free(b2);
    jb_bridge_free(b);
    jb_state_done(&st);
    jb_state_done(&back);
    return r;
}

static void test_every_allocation(void **state) {
    (void)state;
    jb_set_alloc_funcs(af_malloc, af_realloc, af_free);

    /* the clean run */
    out ref = {JB_BUF_INIT, 0};
    jb_error err = {0};
    n_allocs = 0;
    fail_at = 0;
    int r = pipeline(&ref, &err);
    if (r < 0) fail_msg("clean run: %d %s", r, err.msg);
    unsigned long total = n_allocs;
    char *ref_text = jb_buf_steal(&ref.text);
    assert_int_equal(live, 1); /* ref_text */
    assert_true(ref.records >= 40);
    assert_non_null(strstr(ref_text, "line=\"overflow\""));
    assert_non_null(strstr(ref_text, "line=\"incomplete\""));
    assert_non_null(strstr(ref_text, "line=\"reassembled\""));

    unsigned long enomem = 0, absorbed = 0;
    for (unsigned long n = 1; n <= total; n++) {
        out o = {JB_BUF_INIT, 0};
        jb_error e = {0};
        n_allocs = 0;
        fail_at = n;
        failed = false;
        r = pipeline(&o, &e);
        fail_at = 0;
        if (!failed) fail_msg("allocation %lu of %lu never happened: the path is not deterministic", n, total);
        if (r == 0) {
            /* the failure was absorbed (e.g. a cache): then nothing may differ */
            if (o.text.len != strlen(ref_text) || memcmp(o.text.data, ref_text, o.text.len) != 0)
                fail_msg("allocation %lu failed, success returned, but the output differs", n);
            absorbed++;
        } else if (r != -ENOMEM) {
            fail_msg("allocation %lu failed: returned %d (%s), not -ENOMEM", n, r, e.msg);
        } else {
            enomem++;
        }
        jb_buf_done(&o.text);
        if (live != 1) fail_msg("allocation %lu failed: %ld blocks leaked", n, live - 1);
    }
    jb_free(ref_text);
    jb_set_alloc_funcs(NULL, NULL, NULL);
    print_message("# %lu allocations on the path (%zu records); failing each: %lu -ENOMEM, %lu absorbed\n", total,
                  ref.records, enomem, absorbed);
}

/* ---- read-ahead ---- */

/* Read path in one go, in the caller's thread or with read-ahead: the output and the checkpoint. */
static void read_all(const char *path, bool read_ahead, out *o, char **ret_checkpoint) {
    jb_bridge *b = NULL;
    jb_error err = {0};
    int r = run_bridge_opts(&b, path, read_ahead, NULL, o, &err);
    if (r < 0) fail_msg("reading %s (read-ahead %d): %d %s", path, read_ahead, r, err.msg);
    *ret_checkpoint = jb_strdup(jb_bridge_checkpoint(b));
    assert_non_null(*ret_checkpoint);
    jb_bridge_free(b);
}

static void test_read_ahead_same_records(void **state) {
    (void)state;
    const char *paths[] = {journal, big_journal};
    for (size_t i = 0; i < JB_ELEMENTSOF(paths); i++) {
        out plain = {JB_BUF_INIT, 0}, ahead = {JB_BUF_INIT, 0};
        char *cp_plain = NULL, *cp_ahead = NULL;
        read_all(paths[i], false, &plain, &cp_plain);
        read_all(paths[i], true, &ahead, &cp_ahead);
        assert_true(plain.records >= 40);
        assert_int_equal(ahead.records, plain.records);
        assert_int_equal(ahead.text.len, plain.text.len);
        assert_memory_equal(ahead.text.data, plain.text.data, plain.text.len);
        assert_string_equal(cp_ahead, cp_plain);
        jb_buf_done(&plain.text);
        jb_buf_done(&ahead.text);
        jb_free(cp_plain);
        jb_free(cp_ahead);
    }
}

/* Positioning while the thread reads ahead: what it read is dropped, reading goes on from the new
 * position. Read 50 entries, go back to the head, read everything: the records of the first 50
 * entries twice, then the rest once, exactly as without read-ahead. */
static void reposition(bool read_ahead, out *o) {
    jb_config cfg;
    const char *files[] = {big_journal};
    file_config(&cfg, files, read_ahead);
    jb_bridge *b = NULL;
    jb_error err = {0};
    assert_int_equal(jb_bridge_new(&cfg, &b, &err), 0);
    assert_int_equal(jb_bridge_seek_head(b, &err), 0);
    assert_int_equal(jb_bridge_process(b, 50, on_record, o, &err), 50);
    char *cursor = jb_strdup(jb_bridge_checkpoint(b));
    assert_non_null(cursor);
    assert_int_equal(jb_bridge_seek_head(b, &err), 0);
    int r;
    while ((r = jb_bridge_process(b, 7, on_record, o, &err)) > 0) {
    }
    assert_int_equal(r, 0);
    assert_int_equal(jb_bridge_seek_cursor(b, cursor, &err), 1); /* after the 50th entry */
    while ((r = jb_bridge_process(b, 0, on_record, o, &err)) > 0) {
    }
    assert_int_equal(r, 0);
    jb_free(cursor);
    jb_bridge_free(b);
}

static void test_read_ahead_reposition(void **state) {
    (void)state;
    out plain = {JB_BUF_INIT, 0}, ahead = {JB_BUF_INIT, 0};
    reposition(false, &plain);
    reposition(true, &ahead);
    assert_true(plain.records > 300);
    assert_int_equal(ahead.records, plain.records);
    assert_int_equal(ahead.text.len, plain.text.len);
    assert_memory_equal(ahead.text.data, plain.text.data, plain.text.len);
    jb_buf_done(&plain.text);
    jb_buf_done(&ahead.text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation),
        cmocka_unit_test(test_read_ahead_same_records),
        cmocka_unit_test(test_read_ahead_reposition),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
