/* SPDX-License-Identifier: Apache-2.0 */
/* resplit.c: classifying messages that did not come from the journal (mmjbridge): by the
 * jbridge@PEN / audit@PEN elements a forwarding jbridge already added, else by the text.
 *
 * File-driven cases in data/resplit/: NAME.in holds the structured data on its first line ("-"
 * for none) and the message text after it, byte for byte (no newline added or removed after the
 * first); cases named cloudify-* use the "cloudify" profile. NAME.out is the dump:
 *   source=text|sd
 *   stream=app|audit
 *   kind=none|ok|malformed
 *   reason=TEXT
 *   field NAME KEY=VALUE   (one line per field, in order)
 *   sd=TEXT                (what mmjbridge adds for a text-recognized message; "" for source=sd)
 * with '\' and control characters written as C escapes. Recognition uses the default marker and
 * PEN 32473. JB_UPDATE_EXPECTED=1 writes NAME.out: review it before committing. */

#include "testlib.h"

#include "audit.h"
#include "record.h"
#include "resplit.h"
#include "sd.h"
#include "util.h"

static jb_audit_matcher *default_matcher(void) {
    jb_audit_matcher *m = NULL;
    assert_int_equal(jb_audit_matcher_new_opts(NULL, &m, NULL), 0);
    return m;
}

/* The matcher of a case: the "cloudify" profile for cases named cloudify-*, else the default. */
static jb_audit_matcher *case_matcher(const char *name) {
    static const jb_audit_opts cloudify = {.profile = "cloudify"};
    jb_audit_matcher *m = NULL;
    if (strncmp(name, "cloudify-", 9) != 0) return default_matcher();
    assert_int_equal(jb_audit_matcher_new_opts(&cloudify, &m, NULL), 0);
    return m;
}

/* Classify (sd, msg) and dump as described above; returns the dump (caller frees), or NULL when
 * an allocation failed (*ret_r gets the negative errno). */
static char *classify_dump(const jb_audit_matcher *m, const char *sd, size_t sd_len, const char *msg, size_t n,
                           size_t *ret_len, int *ret_r) {
    jb_audit a = {0};
    jb_stream stream = JB_STREAM_APP;
    jb_buf b = JB_BUF_INIT;
    jb_record rec;
    char id[17];
    char *got = NULL;
    int r = jb_resplit_message(m, msg, n, sd, sd_len, 0, &a, &stream);
    *ret_r = r;
    if (r < 0) {
        jb_audit_done(&a);
        return NULL;
    }
    assert_true(r == JB_RESPLIT_TEXT || r == JB_RESPLIT_SD);
    if (r == JB_RESPLIT_TEXT) {
        jb_resplit_record(msg, n, &a, stream, id, &rec);
        int s = jb_sd_build(&rec, 0, &b);
        if (s < 0) {
            *ret_r = s;
            jb_audit_done(&a);
            jb_buf_done(&b);
            return NULL;
        }
        /* what mmjbridge adds always parses as structured data */
        assert_int_equal(jb_sd_validate(b.data, b.len), 0);
    }
    FILE *f = open_memstream(&got, ret_len);
    fprintf(f, "source=%s\nstream=%s\nkind=%s\nreason=%s\n", r == JB_RESPLIT_SD ? "sd" : "text", jb_stream_name(stream),
            jb_audit_kind_name(a.kind), a.reason ? a.reason : "");
    /* an application record never carries audit fields */
    if (stream == JB_STREAM_APP) assert_int_equal(a.n_fields, 0);
    for (size_t i = 0; i < a.n_fields; i++) {
        fprintf(f, "field %s ", a.fields[i].name);
        tl_dump_bytes(f, a.fields[i].key, strlen(a.fields[i].key));
        fputc('=', f);
        tl_dump_bytes(f, a.fields[i].value, a.fields[i].value_len);
        fputc('\n', f);
    }
    fputs("sd=", f);
    if (b.len) tl_dump_bytes(f, b.data, b.len);
    fputc('\n', f);
    fclose(f);
    jb_audit_done(&a);
    jb_buf_done(&b);
    return got;
}

/* Split NAME.in into exact-size copies of its sd line and its message. */
static void load_case(const char *dir, const char *name, char **ret_sd, size_t *ret_sd_len, char **ret_msg,
                      size_t *ret_msg_len) {
    size_t len = 0;
    char *text = tl_read_case(dir, name, &len);
    char *nl = memchr(text, '\n', len);
    assert_non_null(nl);
    size_t sd_len = (size_t)(nl - text), msg_len = len - sd_len - 1;
    if (sd_len == 1 && text[0] == '-') sd_len = 0;
    *ret_sd = malloc(sd_len ? sd_len : 1);
    memcpy(*ret_sd, text, sd_len);
    *ret_msg = malloc(msg_len ? msg_len : 1);
    memcpy(*ret_msg, nl + 1, msg_len);
    *ret_sd_len = sd_len;
    *ret_msg_len = msg_len;
    free(text);
}

static void one_case(const char *dir, const char *name) {
    char *sd, *msg;
    size_t sd_len, msg_len, got_len = 0;
    int r;
    load_case(dir, name, &sd, &sd_len, &msg, &msg_len);
    jb_audit_matcher *m = case_matcher(name);
    char *got = classify_dump(m, sd, sd_len, msg, msg_len, &got_len, &r);
    assert_non_null(got);

    tl_expect_case(dir, name, got, got_len);
    free(got);
    free(sd);
    free(msg);
    jb_audit_matcher_free(m);
}

static void test_cases(void **state) {
    (void)state;
    tl_each_case("resplit", one_case);
}

/* Fail the Nth allocation for every N over every case: -ENOMEM or the same result, never a crash
 * or a leak (ASan's leak checker runs these in CI). */
static void alloc_case(const char *dir, const char *name) {
    char *sd, *msg, *ref, *got;
    size_t sd_len, msg_len, ref_len = 0, got_len = 0;
    int r;
    load_case(dir, name, &sd, &sd_len, &msg, &msg_len);
    jb_audit_matcher *m = case_matcher(name);
    ref = classify_dump(m, sd, sd_len, msg, msg_len, &ref_len, &r);
    assert_non_null(ref);
    for (long n = 0;; n++) {
        tl_fail_once_after(n);
        got = classify_dump(m, sd, sd_len, msg, msg_len, &got_len, &r);
        bool failed = tl_alloc_budget < 0;
        tl_fail_off();
        if (got == NULL) {
            assert_int_equal(r, -ENOMEM);
            continue;
        }
        assert_int_equal(got_len, ref_len);
        assert_memory_equal(got, ref, ref_len);
        free(got);
        if (!failed) break; /* no allocation was failed: every one is covered */
    }
    free(ref);
    free(sd);
    free(msg);
    jb_audit_matcher_free(m);
}

static void test_alloc_failure(void **state) {
    (void)state;
    tl_each_case("resplit", alloc_case);
}

/* Structured data that is not valid never counts as jbridge's, whatever it holds. */
static void test_invalid_sd_is_ignored(void **state) {
    (void)state;
    static const char *const bad[] = {
        "[audit@32473 a=\"1\"",                       /* unterminated */
        "[audit@32473 a=1]",                          /* unquoted */
        "[audit@32473 a=\"x\"]]",                     /* trailing garbage */
        "audit@32473",                                /* no bracket */
        "[audit@32473 a=\"x\"][audit@32473 b=\"y\"]", /* SD-ID twice */
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(bad); i++) {
        jb_audit a = {0};
        jb_stream s = JB_STREAM_APP;
        assert_int_equal(jb_resplit_find(bad[i], strlen(bad[i]), 0, &a, &s), 0);
        assert_int_equal(a.kind, JB_AUDIT_NONE);
        assert_int_equal(a.n_fields, 0);
    }
}

/* Another PEN's elements are not jbridge's. */
static void test_other_pen(void **state) {
    (void)state;
    const char *sd = "[jbridge@32473 id=\"0\" stream=\"audit\"][audit@32473 actor=\"x\"]";
    jb_audit a = {0};
    jb_stream s = JB_STREAM_APP;
    assert_int_equal(jb_resplit_find(sd, strlen(sd), 99999, &a, &s), 0);
    assert_int_equal(jb_resplit_find(sd, strlen(sd), 32473, &a, &s), 1);
    assert_int_equal(s, JB_STREAM_AUDIT);
    assert_int_equal(a.n_fields, 1);
    assert_string_equal(a.fields[0].value, "x");
    jb_audit_done(&a);
}

/* The record id is a stable hash of the text: the same message gives the same id, another one
 * another id. */
static void test_record_id_stable(void **state) {
    (void)state;
    jb_record r1, r2;
    char id1[17], id2[17];
    jb_resplit_record("hello", 5, NULL, JB_STREAM_APP, id1, &r1);
    jb_resplit_record("hello", 5, NULL, JB_STREAM_APP, id2, &r2);
    assert_string_equal(id1, id2);
    assert_int_equal(strlen(id1), 16);
    jb_resplit_record("hellp", 5, NULL, JB_STREAM_APP, id2, &r2);
    assert_string_not_equal(id1, id2);
}

/* An unauthenticated input: forwarded audit elements and audit text both give an application
 * record without audit fields; an application record is left alone. */
static void test_untrusted_never_audit(void **state) {
    (void)state;
    static const struct {
        const char *sd, *msg;
        int source, demoted;
    } cases[] = {
        {"[jbridge@32473 id=\"0000000000000001\" stream=\"audit\"][audit@32473 actor=\"x\"]", "forged", JB_RESPLIT_SD,
         1},
        {"[audit@32473 actor=\"x\"]", "forged", JB_RESPLIT_SD, 1},
        {"-",
         "2018-03-27 21:55:29 [INFO] [Audit Log] {\"resource\":\"r\",\"action\":\"a\",\"resource_id\":\"i\","
         "\"actor\":\"x\",\"timestamp\":\"t\",\"actor_ip\":\"1.2.3.4\"}",
         JB_RESPLIT_TEXT, 1},
        {"-", "[Audit Log] {bad", JB_RESPLIT_TEXT, 1},
        {"[jbridge@32473 id=\"0000000000000001\" stream=\"app\"]", "[Audit Log] {}", JB_RESPLIT_SD, 0},
        {"-", "plain line", JB_RESPLIT_TEXT, 0},
    };
    jb_audit_matcher *m = default_matcher();
    for (size_t i = 0; i < JB_ELEMENTSOF(cases); i++) {
        jb_audit a = {0};
        jb_stream s = JB_STREAM_APP;
        assert_int_equal(
            jb_resplit_message(m, cases[i].msg, strlen(cases[i].msg), cases[i].sd, strlen(cases[i].sd), 0, &a, &s),
            cases[i].source);
        assert_int_equal(jb_resplit_untrusted(&a, &s), cases[i].demoted);
        assert_int_equal(s, JB_STREAM_APP);
        assert_int_equal(a.kind, cases[i].demoted ? JB_AUDIT_NONE : a.kind);
        assert_int_equal(a.n_fields, 0);
        jb_audit_done(&a);
    }
    jb_audit_matcher_free(m);

    /* the flag: a parameter of jbridge@PEN, valid structured data */
    jb_audit none = {0};
    jb_record rec;
    char id[17];
    jb_buf b = JB_BUF_INIT;
    jb_resplit_record("x", 1, &none, JB_STREAM_APP, id, &rec);
    rec.peer = JB_RESPLIT_PEER_UNAUTHENTICATED;
    rec.sequence = 3;
    assert_int_equal(jb_sd_build(&rec, 0, &b), 0);
    char want[128];
    snprintf(want, sizeof want,
             "[jbridge@32473 id=\"%s\" stream=\"app\" peer=\"unauthenticated\"][meta sequenceId=\"3\"]", id);
    assert_string_equal(b.data, want);
    assert_int_equal(jb_sd_validate(b.data, b.len), 0);
    jb_buf_done(&b);
}

/* Stripping keeps the sender's other elements byte for byte and drops jbridge@PEN, audit@PEN and
 * meta; invalid structured data gives nothing. */
static void test_strip(void **state) {
    (void)state;
    static const struct {
        const char *sd, *want;
    } cases[] = {
        {"[container@32473 name=\"web\"][jbridge@32473 id=\"1\" stream=\"audit\"][audit@32473 a=\"\\]\"][meta "
         "sequenceId=\"7\"]",
         "[container@32473 name=\"web\"]"},
        {"[jbridge@32473 id=\"1\"][x@1 a=\"b\"][audit@32473 a=\"1\"][y@2]", "[x@1 a=\"b\"][y@2]"},
        {"[jbridge@99999 id=\"1\"][audit@32473 a=\"1\"]", "[jbridge@99999 id=\"1\"]"},
        {"[jbridge@32473 id=\"1\"]", ""},
        {"-", ""},
        {"[jbridge@32473 id=\"1\"]]", ""},
        {"[jbridge@32473 id=\"1\"][x@1 a=\"b\"][jbridge@32473 id=\"2\"]", ""}, /* SD-ID twice: not valid */
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(cases); i++) {
        jb_buf b = JB_BUF_INIT;
        assert_int_equal(jb_resplit_strip(cases[i].sd, strlen(cases[i].sd), 0, &b), 0);
        assert_int_equal(b.len, strlen(cases[i].want));
        if (b.len) assert_memory_equal(b.data, cases[i].want, b.len);
        jb_buf_done(&b);
    }
    /* out keeps what it held; on -ENOMEM it is left as it was */
    const char *sd = "[x@1 a=\"b\"][jbridge@32473 id=\"1\"][y@2 c=\"d\"]";
    for (long n = 0;; n++) {
        jb_buf b = JB_BUF_INIT;
        assert_int_equal(jb_buf_append(&b, "[k@1]", 5), 0);
        tl_fail_after(n);
        int r = jb_resplit_strip(sd, strlen(sd), 32473, &b);
        tl_fail_off();
        if (r == 0) {
            assert_string_equal(b.data, "[k@1][x@1 a=\"b\"][y@2 c=\"d\"]");
            jb_buf_done(&b);
            break;
        }
        assert_int_equal(r, -ENOMEM);
        assert_int_equal(b.len, 5);
        assert_string_equal(b.data, "[k@1]");
        jb_buf_done(&b);
    }
}

/* Ids are unique per message, the same text from the same host at the same time included;
 * sequenceIds count each stream apart, from 1, and wrap after JB_SEQUENCE_MAX. */
static void test_ids_unique(void **state) {
    (void)state;
    jb_resplit_ids g, g2;
    char id1[17], id2[17], id3[17];
    uint32_t s1, s2, s3;
    jb_resplit_ids_init(&g);
    jb_resplit_ids_next(&g, "h", 1, "same", 4, JB_STREAM_AUDIT, id1, &s1);
    jb_resplit_ids_next(&g, "h", 1, "same", 4, JB_STREAM_AUDIT, id2, &s2);
    jb_resplit_ids_next(&g, "h", 1, "same", 4, JB_STREAM_APP, id3, &s3);
    assert_int_equal(strlen(id1), 16);
    assert_string_not_equal(id1, id2);
    assert_string_not_equal(id2, id3);
    assert_int_equal(s1, 1);
    assert_int_equal(s2, 2);
    assert_int_equal(s3, 1);
    /* another instance (a restart) numbers from 1 again, with other ids */
    g2 = g;
    g2.salt ^= 1;
    g2.counter = 0;
    g2.sequence[0] = g2.sequence[1] = 0;
    jb_resplit_ids_next(&g2, "h", 1, "same", 4, JB_STREAM_AUDIT, id2, &s2);
    assert_string_not_equal(id1, id2);
    assert_int_equal(s2, 1);
    g.sequence[1] = JB_SEQUENCE_MAX;
    jb_resplit_ids_next(&g, "h", 1, "same", 4, JB_STREAM_AUDIT, id1, &s1);
    assert_int_equal(s1, 1);
    /* 100000 messages with one text: no id twice */
    enum { N = 100000 };
    char(*ids)[17] = calloc(N, 17);
    assert_non_null(ids);
    for (size_t i = 0; i < N; i++) jb_resplit_ids_next(&g, "h", 1, "same", 4, JB_STREAM_APP, ids[i], &s1);
    qsort(ids, N, 17, (int (*)(const void *, const void *))strcmp);
    for (size_t i = 1; i < N; i++) assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_invalid_sd_is_ignored),
        cmocka_unit_test(test_other_pen),
        cmocka_unit_test(test_record_id_stable),
        cmocka_unit_test(test_untrusted_never_audit),
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_ids_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
