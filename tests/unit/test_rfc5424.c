/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 5424 lines: file-driven (data/rfc5424/NAME.in record descriptions, see recdesc.h, beside
 * NAME.out, the exact line), RFC 3339 parsing (data/rfc5424/rfc3339.txt), time formatting,
 * control escaping, header limits, hostile records and allocation failure. */

#include <inttypes.h>

#include "recdesc.h"
#include "rfc5424.h"
#include "sd.h"
#include "timestamp.h"
#include "util.h"

/* The STRUCTURED-DATA of a formatted line: after the six header fields (which never hold a
 * space), up to the end of the SD that jb_sd_build gives for the same record. Checks the line
 * around it: one newline, at the end, and MSG without control characters. */
static void check_line(const rd_record *d, const char *line, size_t len, const char *what) {
    jb_buf sd = JB_BUF_INIT;
    size_t pos = 0;

    if (len == 0 || line[len - 1] != '\n') fail_msg("%s: line does not end with a newline", what);
    if (memchr(line, '\n', len - 1)) fail_msg("%s: newline inside the line", what);
    for (int spaces = 0; spaces < 6; pos++) {
        if (pos >= len) fail_msg("%s: header too short", what);
        unsigned char c = (unsigned char)line[pos];
        if (c == ' ')
            spaces++;
        else if (c < 33 || c > 126)
            fail_msg("%s: byte %u in the header", what, c);
    }
    assert_int_equal(jb_sd_build(&d->rec, d->opts.pen, &sd), 0);
    if (len - pos < sd.len || memcmp(line + pos, sd.data, sd.len) != 0)
        fail_msg("%s: structured data not where expected", what);
    if (jb_sd_validate(line + pos, sd.len) != 0) fail_msg("%s: structured data does not validate", what);
    pos += sd.len;
    if (d->rec.message_len == 0) {
        assert_int_equal(pos, len - 1);
    } else {
        assert_int_equal(line[pos], ' ');
        for (size_t i = pos + 1; i < len - 1; i++)
            if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) fail_msg("%s: control byte in MSG", what);
    }
    jb_buf_done(&sd);
}

static void format_case(const rd_record *d, const char *name, jb_buf *out) {
    assert_int_equal(jb_rfc5424_format(&d->rec, &d->opts, out), 0);
    check_line(d, out->data, out->len, name);
}

static void test_format_cases(void **state) {
    rd_each_case("rfc5424", format_case);
}

/* ---- jb_parse_rfc3339, one case a line ---- */

/* data/rfc5424/rfc3339.txt: "TIME => MICROSECONDS" or "TIME => EINVAL", TIME with C escapes. */
static void rfc3339_line(const char *line, size_t len) {
    const char *arrow = memmem(line, len, " => ", 4);
    if (!arrow) fail_msg("bad line %.*s", (int)len, line);
    size_t in_len;
    char *in = tl_unescape(line, (size_t)(arrow - line), &in_len);
    char *want = strndup(arrow + 4, len - (size_t)(arrow + 4 - line));
    uint64_t usec = 42;
    int r = jb_parse_rfc3339(in, in_len, &usec);
    if (strcmp(want, "EINVAL") == 0) {
        if (r != -EINVAL) fail_msg("%.*s: got %d", (int)len, line, r);
        assert_int_equal(usec, 42); /* untouched on failure */
    } else {
        if (r != 0) fail_msg("%.*s: got %d", (int)len, line, r);
        if (usec != strtoull(want, NULL, 10)) fail_msg("%.*s: got %" PRIu64, (int)len, line, usec);
    }
    free(in);
    free(want);
}

static void test_rfc3339_cases(void **state) {
    assert_true(tl_each_line("rfc5424", "rfc3339.txt", rfc3339_line) > 40);
}

static void test_rfc3339_edges(void **state) {
    uint64_t usec = 7;
    assert_int_equal(jb_parse_rfc3339(NULL, 0, &usec), -EINVAL);
    assert_int_equal(jb_parse_rfc3339("", 0, &usec), -EINVAL);
    /* n is honoured: a prefix of a valid time is invalid, bytes past n are not read. */
    assert_int_equal(jb_parse_rfc3339("2023-01-02T03:04:05Z", 19, &usec), -EINVAL);
    assert_int_equal(jb_parse_rfc3339("2023-01-02T03:04:05Zjunk", 20, &usec), 0);
    assert_int_equal(usec, UINT64_C(1672628645000000));
}

/* ---- jb_format_time ---- */

static void check_time(uint64_t usec, const char *want) {
    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_format_time(&b, usec), 0);
    assert_string_equal(b.data, want);
    /* and back */
    uint64_t back;
    assert_int_equal(jb_parse_rfc3339(b.data, b.len, &back), 0);
    assert_int_equal(back, usec);
    jb_buf_done(&b);
}

static void test_format_time(void **state) {
    check_time(0, "1970-01-01T00:00:00.000000Z");
    check_time(1, "1970-01-01T00:00:00.000001Z");
    check_time(UINT64_C(1522187729000000), "2018-03-27T21:55:29.000000Z");
    check_time(UINT64_C(1709251199999999), "2024-02-29T23:59:59.999999Z");
    check_time(UINT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z");

    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_buf_puts(&b, "x"), 0);
    assert_int_equal(jb_format_time(&b, UINT64_C(253402300800000000)), -ERANGE);
    assert_int_equal(jb_format_time(&b, UINT64_MAX), -ERANGE);
    assert_string_equal(b.data, "x");
    jb_buf_done(&b);
}

/* A time RFC 3339 cannot write becomes the NILVALUE. */
static void test_format_time_out_of_range(void **state) {
    rd_record d;
    jb_buf b = JB_BUF_INIT;
    rd_init(&d);
    d.rec.time_usec = UINT64_MAX;
    assert_int_equal(jb_rfc5424_format(&d.rec, NULL, &b), 0);
    assert_string_equal(b.data, "<14>1 - - - - app [jbridge@32473 id=\"\" stream=\"app\"]\n");
    jb_buf_done(&b);
}

/* ---- jb_escape_control ---- */

static void check_escape(const char *in, size_t n, const char *want) {
    jb_buf b = JB_BUF_INIT;
    assert_int_equal(jb_escape_control(&b, in, n), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data ? b.data : "", want, b.len);
    jb_buf_done(&b);
}
#define CHECK_ESCAPE(in, want) check_escape(in, sizeof(in) - 1, want)

static void test_escape_control(void **state) {
    CHECK_ESCAPE("", "");
    CHECK_ESCAPE("plain \"text\" [x] \\", "plain \"text\" [x] \\");
    CHECK_ESCAPE("\n", "#012");
    CHECK_ESCAPE("\0\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f", "#000#001#007#010#011#012#013#014#015#033#037#177");
    CHECK_ESCAPE("a\r\nb", "a#015#012b");
    CHECK_ESCAPE("\x80\xff\xc3\xa9 ", "\x80\xff\xc3\xa9 "); /* bytes >= 0x80 untouched */
    CHECK_ESCAPE("#012", "#012");                           /* a literal # stays as it is */
}

/* ---- header fields ---- */

static void test_header_limits(void **state) {
    char host[301], app[61], procid[140];
    rd_record d;
    jb_buf b = JB_BUF_INIT;

    memset(host, 'h', sizeof host - 1);
    host[sizeof host - 1] = 0;
    memset(app, 'a', sizeof app - 1);
    app[sizeof app - 1] = 0;
    memset(procid, 'p', sizeof procid - 1);
    procid[sizeof procid - 1] = 0;

    rd_init(&d);
    d.rec.hostname = host;
    d.rec.container_name = app;
    d.rec.container_id = procid;
    assert_int_equal(jb_rfc5424_format(&d.rec, NULL, &b), 0);
    check_line(&d, b.data, b.len, "limits");

    const char *p = b.data + strlen("<14>1 1970-01-01T00:00:00.000000Z ");
    assert_int_equal(strcspn(p, " "), 255);
    p += 256;
    assert_int_equal(strcspn(p, " "), 48);
    p += 49;
    assert_int_equal(strcspn(p, " "), 128);
    p += 129;
    assert_true(strncmp(p, "app [container@32473 name=\"aaaa", 31) == 0); /* the SD keeps the whole name */
    jb_buf_done(&b);

    /* the identifier is the APP-NAME only without a container name */
    rd_init(&d);
    d.rec.identifier = "ident";
    d.rec.container_name = "cont";
    assert_int_equal(jb_rfc5424_format(&d.rec, NULL, &b), 0);
    assert_true(strstr(b.data, " - cont - app ") != NULL);
    jb_buf_done(&b);
}

/* ---- hostile content ---- */

/* No message or SD value can add a line, close an element or add one. */
static void test_hostile(void **state) {
    static const char *const hostile[] = {
        "\n",
        "\r\n",
        "x\n<14>1 2018-03-27T21:55:29.000000Z h app - app - forged\n",
        "] [audit@32473 x=\"y\"]",
        "\"] [audit@32473 x=\"y\"",
        "\\\"]\\",
        "\\",
        "\"",
        "]",
        "[",
        "\0",
        "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xff\xe2\x82",
        "\xe2\x82\n]",
        "\x85 \xe2\x80\xa8 \xe2\x80\xa9", /* NEL and the Unicode line separators: valid UTF-8, passed as is */
        "-",
        "",
    };
    static const size_t hostile_len[] = {1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 12, 4, 0, 0, 0};

    for (size_t i = 0; i < JB_ELEMENTSOF(hostile); i++) {
        const char *h = hostile[i];
        size_t hl = hostile_len[i] ? hostile_len[i] : strlen(h);
        for (int audit = 0; audit < 2; audit++) {
            rd_record d;
            jb_buf b = JB_BUF_INIT;
            char ids[8][33];
            char what[64];

            rd_init(&d);
            d.rec.message = h;
            d.rec.message_len = hl;
            d.rec.container_name = h;
            d.rec.container_id = h;
            d.rec.image = h;
            d.rec.identifier = h;
            d.rec.hostname = h;
            d.rec.record_id = h;
            if (audit) {
                d.rec.stream = JB_STREAM_AUDIT;
                d.audit.kind = JB_AUDIT_MALFORMED;
                d.audit.reason = h;
                d.fields[0] = (jb_field){"resource", "resource", (char *)h, hl};
                d.fields[1] = (jb_field){(char *)h, (char *)h, (char *)h, hl};
                d.fields[2] = (jb_field){"actor", "actor", (char *)h, hl};
                d.audit.n_fields = 3;
            }
            snprintf(what, sizeof what, "hostile %zu audit %d", i, audit);
            assert_int_equal(jb_rfc5424_format(&d.rec, &d.opts, &b), 0);
            check_line(&d, b.data, b.len, what);

            /* the elements are exactly the expected ones */
            jb_buf sd = JB_BUF_INIT;
            assert_int_equal(jb_sd_build(&d.rec, d.opts.pen, &sd), 0);
            size_t n = rd_sd_elements(sd.data, sd.len, ids, 8);
            size_t k = 0;
            bool has_container = h[0] != 0; /* container_name "" only for the empty case */
            assert_int_equal(n, (has_container ? 1 : 0) + 1 + (audit ? 1 : 0));
            if (has_container) assert_string_equal(ids[k++], "container@32473");
            assert_string_equal(ids[k++], "jbridge@32473");
            if (audit) assert_string_equal(ids[k++], "audit@32473");
            jb_buf_done(&sd);
            jb_buf_done(&b);
        }
    }
}

/* ---- allocation failure ---- */

static int format(const rd_record *d, jb_buf *out) {
    return jb_rfc5424_format(&d->rec, &d->opts, out);
}

static void test_format_alloc_failure(void **state) {
    char dir[4096];
    rd_record d;

    tl_data_dir("rfc5424", dir, sizeof dir);
    rd_load_case(&d, dir, "hostile");

    rd_expect_alloc_failure(&d, format, NULL);
    rd_expect_alloc_failure(&d, format, "previous line\n");
    rd_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_cases),
        cmocka_unit_test(test_rfc3339_cases),
        cmocka_unit_test(test_rfc3339_edges),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_format_time_out_of_range),
        cmocka_unit_test(test_escape_control),
        cmocka_unit_test(test_header_limits),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_format_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
