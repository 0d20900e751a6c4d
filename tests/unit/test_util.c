/* SPDX-License-Identifier: Apache-2.0 */
/* util.c and record.c helpers: buffer, strings, FIELD=value splitting, integer parsing, the
 * stable hash and the record id made from it. */

#include "testlib.h"

#include "record.h"
#include "cursor.h"
#include "entry.h"
#include "util.h"

static void test_buf(void **state) {
    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_buf_append(&b, "ab", 2), 0);
    assert_int_equal(jb_buf_putc(&b, '\0'), 0);
    assert_int_equal(jb_buf_puts(&b, "cd"), 0);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "ab\0cd", 6); /* NUL-terminated, NULs inside kept */
    assert_int_equal(jb_buf_printf(&b, "%d-%s", 42, "x"), 0);
    assert_int_equal(b.len, 9);
    assert_memory_equal(b.data, "ab\0cd42-x", 10);

    /* printf longer than its internal 256-byte buffer */
    char big[1000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = 0;
    jb_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(jb_buf_printf(&b, "<%s>", big), 0);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[1000], '>');
    assert_int_equal(b.data[1001], 0);

    char *s = jb_buf_steal(&b);
    assert_int_equal(strlen(s), 1001);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    jb_free(s);

    /* an empty buffer is stolen as "" */
    s = jb_buf_steal(&b);
    assert_string_equal(s, "");
    jb_free(s);

    /* reserve beyond SIZE_MAX fails and leaves the buffer alone */
    assert_int_equal(jb_buf_append(&b, "z", 1), 0);
    assert_int_equal(jb_buf_reserve(&b, SIZE_MAX), -ENOMEM);
    assert_string_equal(b.data, "z");
    jb_buf_done(&b);
    assert_null(b.data);
    jb_buf_done(&b);
}

/* An allocation failure leaves the buffer as it was. */
static void test_buf_alloc_failure(void **state) {
    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_buf_puts(&b, "keep"), 0);
    char big[300];
    memset(big, 'q', sizeof big);
    tl_fail_after(0);
    assert_int_equal(jb_buf_append(&b, big, sizeof big), -ENOMEM);
    assert_int_equal(jb_buf_printf(&b, "%.*s", (int)sizeof big, big), -ENOMEM);
    assert_null(jb_strndup("x", 1));
    assert_null(jb_calloc(1, 1));
    tl_fail_off();
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "keep");
    jb_buf_done(&b);
}

static void test_strings(void **state) {
    char *s = jb_strndup("a\0b", 3);
    assert_memory_equal(s, "a\0b", 4);
    jb_free(s);
    s = jb_strdup("");
    assert_string_equal(s, "");
    jb_free(s);
    assert_null(jb_calloc(SIZE_MAX / 2, 3));
    jb_free(NULL);

    assert_true(jb_slice_eq("abc", 3, "abc"));
    assert_false(jb_slice_eq("abc", 2, "abc"));
    assert_false(jb_slice_eq("abcd", 4, "abc"));
    assert_true(jb_slice_eq("", 0, ""));
    assert_false(jb_slice_eq("a\0", 2, "a"));

    jb_error err = {0};
    assert_int_equal(jb_error_set(&err, -EIO, "x %d", 1), -EIO);
    assert_int_equal(err.code, -EIO);
    assert_string_equal(err.msg, "x 1");
    assert_int_equal(jb_error_set(NULL, -EIO, "x"), -EIO);
    char longmsg[1000];
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = 0;
    jb_error_set(&err, -EIO, "%s", longmsg);
    assert_int_equal(strlen(err.msg), sizeof err.msg - 1); /* cut, terminated */
}

static void test_field_split(void **state) {
    const char *name, *value;
    size_t nl, vl;
    static const char d1[] = "MESSAGE=a=b";
    assert_int_equal(jb_field_split(d1, 11, &name, &nl, &value, &vl), 0);
    assert_ptr_equal(name, d1);
    assert_int_equal(nl, 7);
    assert_ptr_equal(value, d1 + 8);
    assert_int_equal(vl, 3);

    assert_int_equal(jb_field_split("X=", 2, &name, &nl, &value, &vl), 0);
    assert_int_equal(nl, 1);
    assert_int_equal(vl, 0);

    /* binary value, no NUL terminator needed: only n bytes are looked at */
    static const char d2[] = {'A', '=', '\0', '\n', 'B', '='};
    assert_int_equal(jb_field_split(d2, 5, &name, &nl, &value, &vl), 0);
    assert_int_equal(vl, 3);

    const char *untouched = "u";
    name = untouched;
    assert_int_equal(jb_field_split("=x", 2, &name, &nl, &value, &vl), -EBADMSG);
    assert_int_equal(jb_field_split("NOEQUALS", 8, &name, &nl, &value, &vl), -EBADMSG);
    assert_int_equal(jb_field_split("AB=", 2, &name, &nl, &value, &vl), -EBADMSG); /* '=' beyond n */
    assert_int_equal(jb_field_split("", 0, &name, &nl, &value, &vl), -EBADMSG);
    assert_ptr_equal(name, untouched);

    /* names of every length across the 16- and 8-byte steps of the search, and none at all */
    char d3[80];
    for (size_t len = 1; len <= 40; len++) {
        memset(d3, 'N', len);
        memcpy(d3 + len, "=v=w", 4);
        assert_int_equal(jb_field_split(d3, len + 4, &name, &nl, &value, &vl), 0);
        assert_int_equal(nl, len);
        assert_ptr_equal(value, d3 + len + 1);
        assert_int_equal(vl, 3);
        assert_int_equal(jb_field_split(d3, len, &name, &nl, &value, &vl), -EBADMSG); /* '=' just beyond n */
    }
    memset(d3, 'N', sizeof d3);
    d3[sizeof d3 - 1] = '=';
    assert_int_equal(jb_field_split(d3, sizeof d3, &name, &nl, &value, &vl), 0);
    assert_int_equal(nl, sizeof d3 - 1);
    assert_int_equal(vl, 0);
    /* bytes that differ from '=' by one bit (0x3c, 0x3f, 0xbd) are not it */
    static const char d4[] = "<??\xbd<<<<<<<<<<<<<<<<<<<<x=";
    assert_int_equal(jb_field_split(d4, sizeof d4 - 1, &name, &nl, &value, &vl), 0);
    assert_int_equal(nl, sizeof d4 - 2);
}

static void test_cursor_realtime(void **state) {
    uint64_t t = 7;
    static const char c[] =
        "s=0123456789abcdef0123456789abcdef;i=1a2b;b=0123456789abcdef0123456789abcdef;m=12345678;"
        "t=5F0e1d2c3b4a5;x=0123456789abcdef";
    assert_true(jb_cursor_realtime(c, sizeof c - 1, &t));
    assert_true(t == UINT64_C(0x5f0e1d2c3b4a5));
    assert_true(jb_cursor_realtime("t=1", 3, &t) && t == 1);
    assert_true(jb_cursor_realtime("x=2;t=ffffffffffffffff", 22, &t) && t == UINT64_MAX);
    t = 7;
    assert_false(jb_cursor_realtime("t=12345678901234567", 19, &t)); /* 17 digits */
    assert_false(jb_cursor_realtime("t=", 2, &t));
    assert_false(jb_cursor_realtime("t=1g", 4, &t));
    /* the bytes next to the digits' ranges, and one with the high bit */
    static const char *const near[] = {"t=1/", "t=1:", "t=1@", "t=1G", "t=1`", "t=1\xff", "t=1\x80", "t=1 "};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) assert_false(jb_cursor_realtime(near[i], 4, &t));
    assert_false(jb_cursor_realtime("s=1;xt=1", 8, &t));
    assert_false(jb_cursor_realtime("", 0, &t));
    assert_false(jb_cursor_realtime(c, 60, &t)); /* only n bytes are looked at */
    assert_true(t == 7);
    assert_true(jb_cursor_realtime("t=09afAF", 8, &t) && t == 0x09afaf);
}

static void test_parse_u64(void **state) {
    static const struct {
        const char *s;
        int r;
        uint64_t v;
    } cases[] = {
        {"0", 0, 0},
        {"7", 0, 7},
        {"007", 0, 7},
        {"1700000000000000", 0, UINT64_C(1700000000000000)},
        {"18446744073709551615", 0, UINT64_MAX},
        {"18446744073709551616", -ERANGE, 0},
        {"99999999999999999999", -ERANGE, 0},
        {"", -EINVAL, 0},
        {"-1", -EINVAL, 0},
        {"+1", -EINVAL, 0},
        {" 1", -EINVAL, 0},
        {"1 ", -EINVAL, 0},
        {"0x10", -EINVAL, 0},
        {"1.5", -EINVAL, 0},
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(cases); i++) {
        uint64_t v = 12345;
        int r = jb_parse_u64(cases[i].s, strlen(cases[i].s), &v);
        if (r != cases[i].r) fail_msg("\"%s\": got %d", cases[i].s, r);
        assert_int_equal(v, r == 0 ? cases[i].v : 12345); /* untouched on failure */
    }
    /* exactly n bytes */
    uint64_t v;
    assert_int_equal(jb_parse_u64("123abc", 3, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(jb_parse_u64("1\0"
                                  "2",
                                  3, &v),
                     -EINVAL);
}

/* The hash is FNV-1a 64 and must never change: record ids made from it are stored downstream. */
static void test_hash_stable(void **state) {
    assert_int_equal(jb_hash64("", 0), UINT64_C(0xcbf29ce484222325));
    assert_int_equal(jb_hash64("a", 1), UINT64_C(0xaf63dc4c8601ec8c));
    assert_int_equal(jb_hash64("foobar", 6), UINT64_C(0x85944171f73967e8));
    assert_int_equal(jb_hash64("a\0b", 3), UINT64_C(0xe5d29919042666b2));
    /* the cursor hash: 8-byte steps, then FNV-1a for the tail bytes, then a final mix */
    assert_int_equal(jb_cursor_hash("", 0), UINT64_C(0x8570e250fe4c2473));
    assert_int_equal(jb_cursor_hash("a", 1), UINT64_C(0xdceb4248056dfe18));
    assert_int_equal(jb_cursor_hash("foobar12", 8), UINT64_C(0x76708410392a7a15));

    char id[17];
    jb_record_id(
        "s=d4bf35c9efb0444897c87019d1697f0f;i=1;b=0123456789abcdef0123456789abcdef;m=3e8;t=60a24181e4000;x="
        "1144993efd935ec5",
        0, id);
    assert_string_equal(id, "fe7cdba9a0f5de5e");
    jb_record_id(
        "s=d4bf35c9efb0444897c87019d1697f0f;i=1;b=0123456789abcdef0123456789abcdef;m=3e8;t=60a24181e4000;x="
        "1144993efd935ec5",
        2, id);
    assert_string_equal(id, "c23695d088a35a6f"); /* the second record of the entry: "#2" FNV-1a'd in */
    jb_record_id("", 0, id);
    assert_string_equal(id, "8570e250fe4c2473");
}

static void test_names(void **state) {
    assert_string_equal(jb_stream_name(JB_STREAM_APP), "app");
    assert_string_equal(jb_stream_name(JB_STREAM_AUDIT), "audit");
    assert_string_equal(jb_line_kind_name(JB_LINE_WHOLE), "whole");
    assert_string_equal(jb_line_kind_name(JB_LINE_REASSEMBLED), "reassembled");
    assert_string_equal(jb_line_kind_name(JB_LINE_INCOMPLETE), "incomplete");
    assert_string_equal(jb_line_kind_name(JB_LINE_OVERFLOW), "overflow");
    assert_string_equal(jb_audit_kind_name(JB_AUDIT_NONE), "none");
    assert_string_equal(jb_audit_kind_name(JB_AUDIT_OK), "ok");
    assert_string_equal(jb_audit_kind_name(JB_AUDIT_MALFORMED), "malformed");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_buf_alloc_failure),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_field_split),
        cmocka_unit_test(test_cursor_realtime),
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_hash_stable),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
