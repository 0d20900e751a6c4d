/* SPDX-License-Identifier: Apache-2.0 */
/* Structured data: building (file-driven, data/sd/NAME.in record descriptions, see recdesc.h,
 * beside NAME.out, the expected STRUCTURED-DATA and a newline), value escaping, names, and the
 * validator (data/sd/validate.txt). */

#include "recdesc.h"
#include "sd.h"
#include "util.h"

/* ---- jb_sd_build, file-driven ---- */

static void build_case(const rd_record *d, const char *name, jb_buf *out) {
    assert_int_equal(jb_sd_build(&d->rec, d->opts.pen, out), 0);
    if (jb_sd_validate(out->data, out->len) != 0) fail_msg("%s: output does not validate: %s", name, out->data);
    assert_int_equal(jb_buf_putc(out, '\n'), 0);
}

static void test_build_cases(void **state) {
    rd_each_case("sd", build_case);
}

/* ---- jb_sd_validate, one case a line ---- */

/* data/sd/validate.txt: "valid SAMPLE" or "invalid SAMPLE", SAMPLE with recdesc's escapes. */
static void validate_line(const char *line, size_t len) {
    const char *sp = memchr(line, ' ', len);
    if (!sp) fail_msg("bad line %.*s", (int)len, line);
    bool want_valid = false;
    if (jb_slice_eq(line, (size_t)(sp - line), "valid"))
        want_valid = true;
    else if (jb_slice_eq(line, (size_t)(sp - line), "invalid"))
        want_valid = false;
    else
        fail_msg("bad line %.*s", (int)len, line);
    size_t sample_len;
    char *sample = tl_unescape(sp + 1, len - (size_t)(sp + 1 - line), &sample_len);
    int r = jb_sd_validate(sample, sample_len);
    if (want_valid ? r != 0 : r != -EBADMSG) fail_msg("%.*s: got %d", (int)len, line, r);
    free(sample);
}

static void test_validate_cases(void **state) {
    assert_true(tl_each_line("sd", "validate.txt", validate_line) > 20);
}

static void test_validate_edges(void **state) {
    assert_int_equal(jb_sd_validate(NULL, 0), -EBADMSG);
    assert_int_equal(jb_sd_validate("", 0), -EBADMSG);
    assert_int_equal(jb_sd_validate("-", 1), 0);
    /* Length is honoured: the bytes after n are not looked at. */
    assert_int_equal(jb_sd_validate("[a][b]xx", 6), 0);
    assert_int_equal(jb_sd_validate("[a][b]xx", 5), -EBADMSG);
    /* A NUL inside a value is valid UTF-8. */
    assert_int_equal(jb_sd_validate("[a b=\"\0\"]", 9), 0);
    /* A NUL in a name is not. */
    assert_int_equal(jb_sd_validate("[a\0]", 4), -EBADMSG);
}

/* Uniqueness past the validator's remembered SD-IDs (it parses again past 64 elements). */
static void test_validate_many_elements(void **state) {
    jb_buf b = JB_BUF_INIT;
    for (int i = 0; i < 200; i++) assert_int_equal(jb_buf_printf(&b, "[e%d x=\"%d\"]", i, i), 0);
    assert_int_equal(jb_sd_validate(b.data, b.len), 0);

    size_t len = b.len;
    const int dups[] = {0, 5, 63, 64, 65, 130, 199};
    for (size_t k = 0; k < JB_ELEMENTSOF(dups); k++) {
        b.len = len;
        assert_int_equal(jb_buf_printf(&b, "[e%d]", dups[k]), 0);
        assert_int_equal(jb_sd_validate(b.data, b.len), -EBADMSG);
    }
    b.len = len;
    assert_int_equal(jb_buf_puts(&b, "[e200]"), 0);
    assert_int_equal(jb_sd_validate(b.data, b.len), 0);
    jb_buf_done(&b);
}

/* ---- jb_sd_name ---- */

static void test_name(void **state) {
    char out[JB_SD_NAME_MAX + 1];
    static const char long_name[] = "abcdefghijklmnopqrstuvwxyz0123456789";

    jb_sd_name("actor_ip", 8, JB_SD_NAME_MAX, out);
    assert_string_equal(out, "actor_ip");
    jb_sd_name("", 0, JB_SD_NAME_MAX, out);
    assert_string_equal(out, "_");
    jb_sd_name(NULL, 5, JB_SD_NAME_MAX, out);
    assert_string_equal(out, "_");
    jb_sd_name("a b=c]d\"e\x7f\xc3\xa9\n", 13, JB_SD_NAME_MAX, out);
    assert_string_equal(out, "a_b_c_d_e____");
    jb_sd_name("a\0b", 3, JB_SD_NAME_MAX, out);
    assert_string_equal(out, "a_b");
    jb_sd_name("x.y-z@1[2]", 10, JB_SD_NAME_MAX, out);
    assert_string_equal(out, "x.y-z@1[2_");
    jb_sd_name(long_name, strlen(long_name), JB_SD_NAME_MAX, out);
    assert_string_equal(out, "abcdefghijklmnopqrstuvwxyz012345");
    jb_sd_name(long_name, strlen(long_name), 100, out); /* max is clamped to 32 */
    assert_int_equal(strlen(out), 32);
    jb_sd_name(long_name, strlen(long_name), 5, out);
    assert_string_equal(out, "abcde");
    jb_sd_name(long_name, strlen(long_name), 0, out); /* and to at least 1 */
    assert_string_equal(out, "a");
}

/* ---- jb_sd_append_value ---- */

static void check_escaped(const char *in, size_t n, const char *want) {
    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_sd_append_value(&b, in, n), 0);
    if (b.len != strlen(want) || memcmp(b.data ? b.data : "", want, b.len) != 0)
        fail_msg("escaping %zu bytes: want \"%s\" got \"%.*s\"", n, want, (int)b.len, b.data);
    jb_buf_done(&b);
}
#define CHECK_ESCAPED(in, want) check_escaped(in, sizeof(in) - 1, want)

static void test_append_value(void **state) {
    CHECK_ESCAPED("", "");
    CHECK_ESCAPED("plain text", "plain text");
    CHECK_ESCAPED("a\"b\\c]d", "a\\\"b\\\\c\\]d");
    CHECK_ESCAPED("[x=y]", "[x=y\\]");
    CHECK_ESCAPED("line1\nline2\r\t\x01\x1f\x7f", "line1#012line2#015#011#001#037#177");
    CHECK_ESCAPED("a\0b", "a#000b");
    /* valid UTF-8 passes: 2, 3 and 4 bytes, the extremes of each */
    CHECK_ESCAPED("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK_ESCAPED("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
                  "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
    CHECK_ESCAPED("\xed\x9f\xbf\xee\x80\x80", "\xed\x9f\xbf\xee\x80\x80"); /* around the surrogates */
    /* invalid: one U+FFFD per bad byte */
#define R "\xef\xbf\xbd"
    CHECK_ESCAPED("\x80", R);
    CHECK_ESCAPED(
        "a\xbf"
        "b",
        "a" R "b");
    CHECK_ESCAPED("\xc0\x80", R R);       /* overlong NUL */
    CHECK_ESCAPED("\xc1\xbf", R R);       /* overlong */
    CHECK_ESCAPED("\xe0\x80\xaf", R R R); /* overlong '/' */
    CHECK_ESCAPED("\xe0\x9f\xbf", R R R); /* overlong */
    CHECK_ESCAPED("\xf0\x80\x80\xaf", R R R R);
    CHECK_ESCAPED("\xf0\x8f\xbf\xbf", R R R R);
    CHECK_ESCAPED("\xed\xa0\x80", R R R);       /* surrogate D800 */
    CHECK_ESCAPED("\xed\xbf\xbf", R R R);       /* surrogate DFFF */
    CHECK_ESCAPED("\xf4\x90\x80\x80", R R R R); /* U+110000 */
    CHECK_ESCAPED("\xf5\x80\x80\x80", R R R R);
    CHECK_ESCAPED("\xfe\xff", R R);
    CHECK_ESCAPED("\xe2\x82", R R);        /* truncated at the end */
    CHECK_ESCAPED("\xe2\x82]", R R "\\]"); /* truncated before an escape */
    CHECK_ESCAPED("\xf0\x9f\x98\n", R R R "#012");
    CHECK_ESCAPED("\xc3", R);
    CHECK_ESCAPED("\xc3\xc3\xa9", R "\xc3\xa9");
#undef R
}

static void test_append_value_appends(void **state) {
    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_buf_puts(&b, "x=\""), 0);
    assert_int_equal(jb_sd_append_value(&b, "]", 1), 0);
    assert_int_equal(jb_sd_append_value(&b, "y", 1), 0);
    assert_string_equal(b.data, "x=\"\\]y");
    jb_buf_done(&b);
}

/* Whatever the bytes, the escaped value makes a valid element with no control character. */
static void test_append_value_random(void **state) {
    unsigned seed = 12345;
    static const unsigned char alphabet[] = {'a',  '"',  '\\', ']',  '[',  '\n', 0,    0x7f, 0x80,
                                             0xbf, 0xc0, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0,
                                             0xf0, 0x9f, 0xf4, 0x90, 0xff, ' ',  '='};
    for (int iter = 0; iter < 20000; iter++) {
        unsigned char in[24];
        size_t n = (size_t)(iter % 24);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (seed >> 16) & 1 ? alphabet[(seed >> 17) % sizeof alphabet] : (unsigned char)(seed >> 20);
        }
        jb_buf b = JB_BUF_INIT;
        assert_int_equal(jb_buf_puts(&b, "[x@1 v=\""), 0);
        assert_int_equal(jb_sd_append_value(&b, (const char *)in, n), 0);
        assert_int_equal(jb_buf_puts(&b, "\"]"), 0);
        if (jb_sd_validate(b.data, b.len) != 0) fail_msg("iteration %d does not validate: %s", iter, b.data);
        for (size_t i = 0; i < b.len; i++) assert_true((unsigned char)b.data[i] >= 0x20 && b.data[i] != 0x7f);
        jb_buf_done(&b);
    }
}

/* ---- jb_sd_build, code-level ---- */

static void test_build_pen(void **state) {
    rd_record d;
    jb_buf b = JB_BUF_INIT;
    char ids[4][33];

    rd_init(&d);
    d.rec.container_name = "tfe-atlas";
    d.rec.record_id = "0123456789abcdef";
    d.audit.kind = JB_AUDIT_OK;
    d.fields[0] = (jb_field){"action", "action", "create", 6};
    d.audit.n_fields = 1;

    assert_int_equal(jb_sd_build(&d.rec, 0, &b), 0); /* 0: the default */
    assert_int_equal(rd_sd_elements(b.data, b.len, ids, 4), 3);
    assert_string_equal(ids[0], "container@32473");
    assert_string_equal(ids[1], "jbridge@32473");
    assert_string_equal(ids[2], "audit@32473");

    jb_buf_reset(&b);
    assert_int_equal(jb_sd_build(&d.rec, 4294967295u, &b), 0);
    assert_int_equal(jb_sd_validate(b.data, b.len), 0);
    assert_int_equal(rd_sd_elements(b.data, b.len, ids, 4), 3);
    assert_string_equal(ids[0], "container@4294967295");
    assert_true(strlen(ids[0]) <= JB_SD_NAME_MAX);
    jb_buf_done(&b);
    rd_free(&d);
}

/* Field names are sanitised again and duplicate names stay valid (PARAM-NAMEs may repeat). */
static void test_build_bad_field_names(void **state) {
    rd_record d;
    jb_buf b = JB_BUF_INIT;

    rd_init(&d);
    d.rec.record_id = "r";
    d.rec.stream = JB_STREAM_AUDIT;
    d.audit.kind = JB_AUDIT_OK;
    d.fields[0] = (jb_field){"a b", "a b", "1", 1};
    d.fields[1] = (jb_field){"", "", "2", 1};
    d.fields[2] = (jb_field){"x]\"=", "x]\"=", "3", 1};
    d.fields[3] = (jb_field){"abcdefghijklmnopqrstuvwxyz0123456789", "k", "4", 1};
    d.fields[4] = (jb_field){"dup", "dup", "5", 1};
    d.fields[5] = (jb_field){"dup", "dup", NULL, 0};
    d.audit.n_fields = 6;
    assert_int_equal(jb_sd_build(&d.rec, 32473, &b), 0);
    assert_string_equal(b.data,
                        "[jbridge@32473 id=\"r\" stream=\"audit\"][audit@32473 a_b=\"1\" _=\"2\" x___=\"3\" "
                        "abcdefghijklmnopqrstuvwxyz012345=\"4\" dup=\"5\" dup=\"\"]");
    assert_int_equal(jb_sd_validate(b.data, b.len), 0);
    jb_buf_done(&b);
    rd_free(&d);
}

/* The record of the hostile malformed case (every kind of element and escape) and its SD. */
static void load_hostile(rd_record *d, jb_buf *want) {
    char dir[4096];
    tl_data_dir("sd", dir, sizeof dir);
    rd_load_case(d, dir, "audit-malformed-hostile");
    assert_int_equal(jb_sd_build(&d->rec, 32473, want), 0);
}

static int build_32473(const rd_record *d, jb_buf *out) {
    return jb_sd_build(&d->rec, 32473, out);
}

/* Every allocation failure gives -ENOMEM and leaves the buffer exactly as it was. */
static void test_build_alloc_failure(void **state) {
    rd_record d;
    jb_buf want = JB_BUF_INIT;
    load_hostile(&d, &want);
    rd_expect_alloc_failure(&d, build_32473, NULL);
    rd_expect_alloc_failure(&d, build_32473, "<14>1 - - - - - ");
    jb_buf_done(&want);
    rd_free(&d);
}

/* ---- the container element cache ---- */

static jb_sd_cache case_cache; /* kept across the cases: the container changes from one to the next */

/* jb_sd_build_cached() gives what jb_sd_build() gives, for out empty or not. */
static void expect_cached_same(const jb_record *rec, unsigned pen, jb_sd_cache *cache) {
    jb_buf want = JB_BUF_INIT, got = JB_BUF_INIT;
    assert_int_equal(jb_sd_build(rec, pen, &want), 0);
    assert_int_equal(jb_buf_puts(&got, "<14>1 - - - - - "), 0);
    size_t before = got.len;
    assert_int_equal(jb_sd_build_cached(rec, pen, cache, &got), 0);
    assert_int_equal(got.len - before, want.len);
    assert_memory_equal(got.data + before, want.data, want.len);
    jb_buf_done(&want);
    jb_buf_done(&got);
}

static void cached_case(const char *dir, const char *name) {
    rd_record d;
    rd_load_case(&d, dir, name);
    expect_cached_same(&d.rec, d.opts.pen, &case_cache);  /* a miss, or a hit on the case before */
    expect_cached_same(&d.rec, d.opts.pen, &case_cache);  /* a hit */
    expect_cached_same(&d.rec, 4294967295u, &case_cache); /* another PEN: a miss */
    expect_cached_same(&d.rec, d.opts.pen, &case_cache);
    rd_free(&d);
}

static void test_build_cached(void **state) {
    tl_each_case("sd", cached_case);
    tl_each_case("sd", cached_case);

    /* one value changed at a time, each a different element; back to the first again */
    rd_record d;
    rd_init(&d);
    d.rec.container_name = "ptfe_atlas";
    d.rec.container_id = "0123456789ab";
    d.rec.image = "hashicorp/ptfe-atlas:latest";
    d.rec.record_id = "0123456789abcdef";
    jb_sd_cache cache = {0};
    const char *names[] = {"ptfe_atlas", "ptfe_atlas", "ptfe_atlas", "ptfe_atlas\"]", "ptfe_atlas"};
    const char *ids[] = {"0123456789ab", "0123456789ac", "0123456789ac", "0123456789ac", "0123456789ab"};
    const char *images[] = {"img:1", "img:1", "img:2", "", "img:1"};
    for (size_t i = 0; i < JB_ELEMENTSOF(names); i++) {
        d.rec.container_name = names[i];
        d.rec.container_id = ids[i];
        d.rec.image = images[i];
        expect_cached_same(&d.rec, 0, &cache);
        expect_cached_same(&d.rec, 0, &cache);
    }
    /* an entry without a container in between leaves the cache as it was */
    d.rec.container_name = "";
    expect_cached_same(&d.rec, 0, &cache);
    jb_sd_cache_done(&cache);
    jb_sd_cache_done(&cache); /* twice is harmless */
    jb_sd_cache_done(NULL);
    jb_sd_cache_done(&case_cache);
    rd_free(&d);
}

/* A failed build empties the cache and leaves out as it was; the next build is right. */
static void test_build_cached_alloc_failure(void **state) {
    rd_record d;
    jb_buf want = JB_BUF_INIT;
    load_hostile(&d, &want);

    for (int warm = 0; warm < 2; warm++) {
        bool done = false;
        for (size_t nth = 1; !done; nth++) {
            jb_sd_cache cache = {0};
            if (warm) expect_cached_same(&d.rec, 32473, &cache);
            jb_buf b = JB_BUF_INIT;
            assert_int_equal(jb_buf_puts(&b, "<14>1 - - - - - "), 0);
            size_t before = b.len;
            tl_fail_after((long)nth - 1);
            int r = jb_sd_build_cached(&d.rec, 32473, &cache, &b);
            tl_fail_off();
            if (r == 0) {
                done = true;
            } else {
                assert_int_equal(r, -ENOMEM);
                assert_int_equal(b.len, before);
                assert_int_equal(b.data[before], 0);
                for (size_t i = 0; i < JB_SD_CACHE_SLOTS; i++) assert_false(cache.slot[i].valid);
                b.len = before;
                assert_int_equal(jb_sd_build_cached(&d.rec, 32473, &cache, &b), 0);
            }
            assert_int_equal(b.len - before, want.len);
            assert_memory_equal(b.data + before, want.data, want.len);
            jb_buf_done(&b);
            jb_sd_cache_done(&cache);
            assert_true(nth < 1000);
        }
    }
    jb_buf_done(&want);
    rd_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_cases),
        cmocka_unit_test(test_build_cached),
        cmocka_unit_test(test_build_cached_alloc_failure),
        cmocka_unit_test(test_validate_cases),
        cmocka_unit_test(test_validate_edges),
        cmocka_unit_test(test_validate_many_elements),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_append_value),
        cmocka_unit_test(test_append_value_appends),
        cmocka_unit_test(test_append_value_random),
        cmocka_unit_test(test_build_pen),
        cmocka_unit_test(test_build_bad_field_names),
        cmocka_unit_test(test_build_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
