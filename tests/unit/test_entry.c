/* SPDX-License-Identifier: Apache-2.0 */
/* entry.c: field parsing, time choice, id derivation, reset and copy.
 *
 * File-driven cases in data/entry/: NAME.in holds journal fields, one "FIELD=value" a line, the
 * line decoded with C escapes first (\r \n \t \0 \\ \xHH), so binary values can be written.
 * "@receive=USEC" sets the receive time given to jb_entry_finish(), "#" starts a comment, and a
 * line "---" ends an entry: the next one is read into the same jb_entry after jb_entry_reset().
 * NAME.out is the dump of every entry, separated by "---" (JB_UPDATE_EXPECTED=1 writes it). */

#include "testlib.h"

#include <inttypes.h>

#include "entry.h"
#include "util.h"

/* ---- dump ---- */

/* Every byte outside printable ASCII escaped. */
static void dump_bytes(FILE *f, const char *p, size_t n) {
    tl_dump_escaped(f, p, n, true);
}

static void dump_buf(FILE *f, const char *name, const jb_buf *b) {
    const char *s = jb_entry_str(b);
    /* every buffer is a NUL-terminated string, whatever its state */
    assert_int_equal(s[b->len], 0);
    if (b->len == 0) assert_string_equal(s, "");
    fprintf(f, "%s=", name);
    dump_bytes(f, s, b->len);
    fputc('\n', f);
}

static void dump_entry(FILE *f, const jb_entry *e) {
    dump_buf(f, "message", &e->message);
    dump_buf(f, "container_name", &e->container_name);
    dump_buf(f, "container_id", &e->container_id);
    dump_buf(f, "container_id_full", &e->container_id_full);
    dump_buf(f, "image", &e->image);
    dump_buf(f, "identifier", &e->identifier);
    dump_buf(f, "hostname", &e->hostname);
    dump_buf(f, "cursor", &e->cursor);
    dump_buf(f, "partial_id", &e->partial_id);
    fprintf(f, "is_container=%d\n", e->is_container);
    fprintf(f, "partial=%d\n", e->partial);
    fprintf(f, "has_partial_last=%d\n", e->has_partial_last);
    fprintf(f, "partial_last=%d\n", e->partial_last);
    fprintf(f, "partial_ordinal=%" PRIu64 "\n", e->partial_ordinal);
    fprintf(f, "time_usec=%" PRIu64 "\n", e->time_usec);
    fprintf(f, "severity=%d\n", e->severity);
    fprintf(f, "facility=%d\n", e->facility);
}

/* ---- .in decoding ---- */

/* Feed the lines of one .in file to e, dumping every entry into f; by_data: through
 * jb_entry_set_data() (the reader's way) rather than jb_field_split() and jb_entry_set_field(). */
static void run_input(const char *text, size_t len, jb_entry *e, FILE *f, bool by_data) {
    uint64_t receive = 0;
    const char *p = text, *end = text + len;
    bool first = true;
    jb_entry_reset(e);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *line = p;
        p += n + (nl ? 1 : 0);
        if (n == 0 || line[0] == '#') continue;
        if (jb_slice_eq(line, n, "---")) {
            jb_entry_finish(e, receive);
            if (!first) fputs("---\n", f);
            dump_entry(f, e);
            first = false;
            jb_entry_reset(e);
            receive = 0;
            continue;
        }
        if (n > 9 && memcmp(line, "@receive=", 9) == 0) {
            assert_int_equal(jb_parse_u64(line + 9, n - 9, &receive), 0);
            continue;
        }
        size_t dn;
        char *dec = tl_unescape(line, n, &dn);
        const char *name = NULL, *value = NULL;
        size_t name_len = 0, value_len = 0;
        if (jb_field_split(dec, dn, &name, &name_len, &value, &value_len) < 0) fail_msg("bad line: %.*s", (int)n, line);
        if (by_data)
            assert_true(jb_entry_set_data(e, dec, dn) >= 0);
        else
            assert_true(jb_entry_set_field(e, name, name_len, value, value_len) >= 0);
        free(dec);
    }
    jb_entry_finish(e, receive);
    if (!first) fputs("---\n", f);
    dump_entry(f, e);
}

static void one_case(const char *dir, const char *name) {
    size_t len = 0;
    char *text = tl_read_case(dir, name, &len);

    char *got = NULL;
    size_t got_len = 0;
    FILE *f = open_memstream(&got, &got_len);
    jb_entry e = {0};
    run_input(text, len, &e, f, false);
    fclose(f);

    /* the reader's way in (jb_entry_set_data) gives the same dump */
    char *by_data = NULL;
    size_t by_data_len = 0;
    jb_entry e2 = {0};
    f = open_memstream(&by_data, &by_data_len);
    run_input(text, len, &e2, f, true);
    fclose(f);
    assert_int_equal(got_len, by_data_len);
    assert_memory_equal(got, by_data, got_len);
    jb_entry_done(&e2);
    free(by_data);

    /* the same input into a dirty, reused entry gives the same dump */
    char *again = NULL;
    size_t again_len = 0;
    f = open_memstream(&again, &again_len);
    run_input(text, len, &e, f, false);
    fclose(f);
    assert_int_equal(got_len, again_len);
    assert_memory_equal(got, again, got_len);

    /* a copy dumps the same as the original (last entry of the file) */
    jb_entry c = {0};
    jb_entry_reset(&c);
    assert_int_equal(jb_entry_copy(&c, &e), 0);
    char *d1 = NULL, *d2 = NULL;
    size_t l1 = 0, l2 = 0;
    f = open_memstream(&d1, &l1);
    dump_entry(f, &e);
    fclose(f);
    f = open_memstream(&d2, &l2);
    dump_entry(f, &c);
    fclose(f);
    assert_int_equal(l1, l2);
    assert_memory_equal(d1, d2, l1);

    tl_expect_case(dir, name, got, got_len);

    jb_entry_done(&c);
    jb_entry_done(&e);
    free(d1);
    free(d2);
    free(again);
    free(got);
    free(text);
}

static void test_cases(void **state) {
    tl_each_case("entry", one_case);
}

/* ---- code-level cases ---- */

/* Every member of two entries the same (buffers by content). */
static void assert_entries_equal(const jb_entry *a, const jb_entry *b) {
#define SAME_BUF(m)                                                        \
    do {                                                                   \
        assert_int_equal(a->m.len, b->m.len);                              \
        if (a->m.len) assert_memory_equal(a->m.data, b->m.data, a->m.len); \
        assert_string_equal(jb_entry_str(&a->m) + a->m.len, "");           \
        assert_string_equal(jb_entry_str(&b->m) + b->m.len, "");           \
    } while (0)
    SAME_BUF(message);
    SAME_BUF(container_name);
    SAME_BUF(container_id);
    SAME_BUF(container_id_full);
    SAME_BUF(image);
    SAME_BUF(identifier);
    SAME_BUF(hostname);
    SAME_BUF(cursor);
    SAME_BUF(partial_id);
    SAME_BUF(container_tag);
    SAME_BUF(extra);
    SAME_BUF(writer_comm);
    SAME_BUF(writer_exe);
    SAME_BUF(writer_unit);
    SAME_BUF(writer_transport);
    SAME_BUF(writer_uid);
    SAME_BUF(writer_gid);
#undef SAME_BUF
    assert_int_equal(a->is_container, b->is_container);
    assert_int_equal(a->partial, b->partial);
    assert_int_equal(a->has_partial_last, b->has_partial_last);
    assert_int_equal(a->partial_last, b->partial_last);
    assert_int_equal(a->partial_ordinal, b->partial_ordinal);
    assert_int_equal(a->time_usec, b->time_usec);
    assert_int_equal(a->receive_usec, b->receive_usec);
    assert_int_equal(a->severity, b->severity);
    assert_int_equal(a->facility, b->facility);
    assert_int_equal(a->syslog_ts_usec, b->syslog_ts_usec);
    assert_int_equal(a->has_syslog_ts, b->has_syslog_ts);
    assert_int_equal(a->source_ts_usec, b->source_ts_usec);
    assert_int_equal(a->has_source_ts, b->has_source_ts);
}

/* jb_entry_set_data() is jb_field_split() + jb_entry_set_field() for every field used and every
 * near miss (a name one byte short, longer, without its '=', a prefix of another), field by field
 * into fresh entries and all of them in turn into one entry. */
static void test_set_data_as_set_field(void **state) {
    (void)state;
    static const char *const names[] = {
        "_UID",
        "_GID",
        "_EXE",
        "_COMM",
        "MESSAGE",
        "PRIORITY",
        "_HOSTNAME",
        "IMAGE_NAME",
        "_TRANSPORT",
        "_SYSTEMD_UNIT",
        "CONTAINER_ID",
        "CONTAINER_ID_FULL",
        "CONTAINER_NAME",
        "CONTAINER_TAG",
        "CONTAINER_PARTIAL_ID",
        "CONTAINER_PARTIAL_LAST",
        "CONTAINER_PARTIAL_MESSAGE",
        "CONTAINER_PARTIAL_ORDINAL",
        "SYSLOG_FACILITY",
        "SYSLOG_TIMESTAMP",
        "SYSLOG_IDENTIFIER",
        "_SOURCE_REALTIME_TIMESTAMP",
        "_PID",
        "_UI",
        "_",
        "",
        "CONTAINER_",
        "CONTAINER_PARTIAL_",
        "CONTAINER_LOG_EPOCH",
        "SYSLOG_",
        "SYSLOG_PID",
        "MESS",
        "_SYSTEMD_CGROUP",
        "_SOURCE_MONOTONIC_TIMESTAMP",
    };
    static const char *const values[] = {
        "",    "3",  "true", "false", "12", "0123456789abcdef0123", "2026-12-03T15:06:16.123456Z", "1764774376123456",
        "a=b", "x\r"};
    jb_entry all1 = {0}, all2 = {0};
    jb_entry_reset(&all1);
    jb_entry_reset(&all2);
    char field[256];
    for (size_t i = 0; i < JB_ELEMENTSOF(names); i++)
        for (size_t v = 0; v < JB_ELEMENTSOF(values); v++)
            for (int variant = 0; variant < 4; variant++) {
                size_t n;
                if (variant == 0) /* NAME=value */
                    n = (size_t)snprintf(field, sizeof field, "%s=%s", names[i], values[v]);
                else if (variant == 1) /* NAMEX=value */
                    n = (size_t)snprintf(field, sizeof field, "%sX=%s", names[i], values[v]);
                else if (variant == 2) /* NAME without '=' */
                    n = (size_t)snprintf(field, sizeof field, "%s%s", names[i], values[v]);
                else /* NAME cut one short, then = */
                    n = (size_t)snprintf(field, sizeof field, "%.*s=%s",
                                         (int)(strlen(names[i]) ? strlen(names[i]) - 1 : 0), names[i], values[v]);
                jb_entry e1 = {0}, e2 = {0};
                jb_entry_reset(&e1);
                jb_entry_reset(&e2);
                const char *name, *value;
                size_t nl, vl;
                int r1 = 1;
                if (jb_field_split(field, n, &name, &nl, &value, &vl) == 0) {
                    r1 = jb_entry_set_field(&e1, name, nl, value, vl);
                    assert_true(jb_entry_set_field(&all1, name, nl, value, vl) >= 0);
                }
                int r2 = jb_entry_set_data(&e2, field, n);
                assert_true(jb_entry_set_data(&all2, field, n) >= 0);
                assert_int_equal(r1, r2);
                jb_entry_finish(&e1, 42);
                jb_entry_finish(&e2, 42);
                assert_entries_equal(&e1, &e2);
                jb_entry_done(&e1);
                jb_entry_done(&e2);
            }
    jb_entry_finish(&all1, 7);
    jb_entry_finish(&all2, 7);
    assert_entries_equal(&all1, &all2);
    jb_entry_done(&all1);
    jb_entry_done(&all2);
}

static int set(jb_entry *e, const char *field) {
    const char *name = NULL, *value = NULL;
    size_t nl = 0, vl = 0;
    assert_int_equal(jb_field_split(field, strlen(field), &name, &nl, &value, &vl), 0);
    return jb_entry_set_field(e, name, nl, value, vl);
}

static void test_zeroed_entry(void **state) {
    jb_entry e = {0};
    jb_entry_reset(&e);
    assert_int_equal(e.severity, JB_SEVERITY_DEFAULT);
    assert_int_equal(e.facility, -1);
    assert_string_equal(jb_entry_str(&e.message), "");
    assert_string_equal(jb_entry_str(&e.cursor), "");
    jb_entry_finish(&e, 42);
    assert_int_equal(e.time_usec, 42);
    assert_false(e.is_container);
    jb_entry_done(&e);
    jb_entry_done(&e); /* twice is fine */
    jb_entry_done(NULL);
}

static void test_reset_clears_everything(void **state) {
    jb_entry e = {0};
    jb_entry_reset(&e);
    assert_int_equal(set(&e, "MESSAGE=x"), 0);
    assert_int_equal(set(&e, "CONTAINER_NAME=n"), 0);
    assert_int_equal(set(&e, "PRIORITY=3"), 0);
    assert_int_equal(set(&e, "SYSLOG_FACILITY=4"), 0);
    assert_int_equal(set(&e, "CONTAINER_PARTIAL_MESSAGE=true"), 0);
    assert_int_equal(set(&e, "CONTAINER_PARTIAL_LAST=true"), 0);
    assert_int_equal(set(&e, "CONTAINER_PARTIAL_ORDINAL=3"), 0);
    assert_int_equal(set(&e, "_SOURCE_REALTIME_TIMESTAMP=5"), 0);
    assert_int_equal(set(&e, "SYSLOG_TIMESTAMP=2023-01-02T03:04:05Z"), 0);
    assert_int_equal(jb_buf_puts(&e.cursor, "s=1"), 0);
    jb_entry_finish(&e, 1);
    jb_entry_reset(&e);
    assert_int_equal(e.message.len, 0);
    assert_string_equal(jb_entry_str(&e.message), "");
    assert_int_equal(e.cursor.len, 0);
    assert_string_equal(jb_entry_str(&e.cursor), "");
    assert_false(e.is_container || e.partial || e.has_partial_last || e.partial_last || e.has_source_ts ||
                 e.has_syslog_ts);
    assert_int_equal(e.partial_ordinal, 0);
    assert_int_equal(e.severity, JB_SEVERITY_DEFAULT);
    assert_int_equal(e.facility, -1);
    jb_entry_finish(&e, 7);
    assert_int_equal(e.time_usec, 7);
    jb_entry_done(&e);
}

/* Issue 17: CONTAINER_TAG is kept; fields jbridge does not use say so (1), and the reader keeps
 * those it was asked for in e->extra, in order, values with NULs whole, across a copy. */
static void test_tag_and_extra_fields(void **state) {
    jb_entry e = {0}, c = {0};
    jb_entry_reset(&e);
    jb_entry_reset(&c);
    assert_int_equal(set(&e, "CONTAINER_TAG=tfe-atlas/hashicorp/tfe-atlas:v1/6f2c8d4e1a2b"), 0);
    assert_string_equal(jb_entry_str(&e.container_tag), "tfe-atlas/hashicorp/tfe-atlas:v1/6f2c8d4e1a2b");
    assert_int_equal(set(&e, "COM_HASHICORP_TFE_ROLE=atlas"), 1);
    assert_int_equal(set(&e, "TFE_ENV=production"), 1);
    assert_int_equal(set(&e, "CONTAINER_NAME=n"), 0);
    assert_int_equal(jb_entry_add_extra(&e, "COM_HASHICORP_TFE_ROLE", 22, "atlas", 5), 0);
    assert_int_equal(jb_entry_add_extra(&e, "TFE_ENV", 7, "a\0b", 3), 0);
    assert_int_equal(jb_entry_add_extra(&e, "EMPTY", 5, "", 0), 0);
    assert_int_equal(jb_entry_add_extra(&e, "", 0, "x", 1), -EINVAL);
    assert_int_equal(jb_entry_copy(&c, &e), 0);
    static const struct {
        const char *name, *value;
        size_t len;
    } want[] = {{"COM_HASHICORP_TFE_ROLE", "atlas", 5}, {"TFE_ENV", "a\0b", 3}, {"EMPTY", "", 0}};
    const jb_entry *both[] = {&e, &c};
    for (size_t k = 0; k < 2; k++) {
        size_t pos = 0, i = 0, vl;
        const char *name, *value;
        while (jb_entry_next_extra(both[k], &pos, &name, &value, &vl) > 0) {
            assert_true(i < JB_ELEMENTSOF(want));
            assert_string_equal(name, want[i].name);
            assert_int_equal(vl, want[i].len);
            assert_memory_equal(value, want[i].value, vl + 1);
            i++;
        }
        assert_int_equal(i, JB_ELEMENTSOF(want));
    }
    jb_entry_reset(&e);
    assert_int_equal(e.extra.len, 0);
    assert_int_equal(e.container_tag.len, 0);
    jb_entry_done(&e);
    jb_entry_done(&c);
}

/* PRIORITY never changes the facility, whatever its value. */
static void test_priority_keeps_facility(void **state) {
    static const char *const prios[] = {"PRIORITY=9",  "PRIORITY=x", "PRIORITY=",  "PRIORITY=11",
                                        "PRIORITY=-1", "PRIORITY=0", "PRIORITY=7", "PRIORITY=13"};
    for (size_t i = 0; i < JB_ELEMENTSOF(prios); i++) {
        jb_entry e = {0};
        jb_entry_reset(&e);
        assert_int_equal(set(&e, "SYSLOG_FACILITY=10"), 0);
        assert_int_equal(set(&e, prios[i]), 0);
        assert_int_equal(e.facility, 10);
        int want = strcmp(prios[i], "PRIORITY=0") == 0 ? 0 : strcmp(prios[i], "PRIORITY=7") == 0 ? 7 : 6;
        assert_int_equal(e.severity, want);
        jb_entry_done(&e);
    }
}

/* jb_entry_finish() derives the ids without allocating. */
static void test_finish_never_allocates(void **state) {
    jb_entry e = {0};
    jb_entry_reset(&e);
    assert_int_equal(set(&e, "CONTAINER_ID_FULL=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), 0);
    assert_int_equal(set(&e, "MESSAGE=tty\r"), 0);
    tl_fail_after(0);
    jb_entry_finish(&e, 0);
    tl_fail_off();
    assert_string_equal(jb_entry_str(&e.container_id), "0123456789ab");
    assert_string_equal(jb_entry_str(&e.message), "tty");

    jb_entry_reset(&e);
    assert_int_equal(set(&e, "CONTAINER_ID=0123456789ab"), 0);
    tl_fail_after(0);
    jb_entry_finish(&e, 0);
    tl_fail_off();
    assert_string_equal(jb_entry_str(&e.container_id_full), "0123456789ab");

    /* a fresh entry: the reservation is made when the field is set */
    jb_entry f = {0};
    jb_entry_reset(&f);
    assert_int_equal(set(&f, "CONTAINER_ID=abc"), 0);
    tl_fail_after(0);
    jb_entry_finish(&f, 0);
    tl_fail_off();
    assert_string_equal(jb_entry_str(&f.container_id_full), "abc");
    jb_entry_done(&f);
    jb_entry_done(&e);
}

static void test_copy_is_deep(void **state) {
    jb_entry a = {0}, b = {0};
    jb_entry_reset(&a);
    jb_entry_reset(&b);
    assert_int_equal(set(&b, "MESSAGE=old content that is longer"), 0);
    assert_int_equal(set(&a, "MESSAGE=hello"), 0);
    assert_int_equal(set(&a, "CONTAINER_NAME=web"), 0);
    assert_int_equal(set(&a, "PRIORITY=3"), 0);
    assert_int_equal(jb_buf_puts(&a.cursor, "s=abc"), 0);
    jb_entry_finish(&a, 99);
    assert_int_equal(jb_entry_copy(&b, &a), 0);
    assert_ptr_not_equal(b.message.data, a.message.data);
    assert_string_equal(jb_entry_str(&b.message), "hello");
    assert_int_equal(b.message.len, 5);
    assert_string_equal(jb_entry_str(&b.container_name), "web");
    assert_string_equal(jb_entry_str(&b.cursor), "s=abc");
    assert_string_equal(jb_entry_str(&b.image), "");
    assert_true(b.is_container);
    assert_int_equal(b.severity, 3);
    assert_int_equal(b.time_usec, 99);
    /* changing the source leaves the copy alone */
    a.message.data[0] = 'J';
    assert_string_equal(jb_entry_str(&b.message), "hello");
    assert_int_equal(jb_entry_copy(&b, &b), 0);
    assert_string_equal(jb_entry_str(&b.message), "hello");
    jb_entry_done(&a);
    jb_entry_done(&b);
}

/* Fail the Nth allocation for every N: -ENOMEM, then success; nothing leaks (ASan). */
static void test_alloc_failure(void **state) {
    static const char *const fields[] = {
        "MESSAGE=hello world",
        "CONTAINER_NAME=web",
        "CONTAINER_ID=0123456789ab",
        "CONTAINER_ID_FULL=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "IMAGE_NAME=nginx:latest",
        "SYSLOG_IDENTIFIER=web",
        "_HOSTNAME=host",
        "CONTAINER_PARTIAL_ID=p1",
        "PRIORITY=3",
    };
    bool done = false;
    for (long n = 0; !done && n < 1000; n++) {
        jb_entry e = {0}, c = {0};
        jb_entry_reset(&e);
        jb_entry_reset(&c);
        tl_fail_after(n);
        int r = 0;
        for (size_t i = 0; r == 0 && i < JB_ELEMENTSOF(fields); i++) r = set(&e, fields[i]);
        if (r == 0) {
            jb_entry_finish(&e, 1);
            r = jb_entry_copy(&c, &e);
        }
        tl_fail_off();
        if (r == 0) {
            done = true;
            assert_string_equal(jb_entry_str(&c.message), "hello world");
            assert_string_equal(jb_entry_str(&c.container_id), "0123456789ab");
        } else {
            assert_int_equal(r, -ENOMEM);
        }
        jb_entry_done(&e);
        jb_entry_done(&c);
    }
    assert_true(done);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_zeroed_entry),
        cmocka_unit_test(test_set_data_as_set_field),
        cmocka_unit_test(test_reset_clears_everything),
        cmocka_unit_test(test_priority_keeps_facility),
        cmocka_unit_test(test_tag_and_extra_fields),
        cmocka_unit_test(test_finish_never_allocates),
        cmocka_unit_test(test_copy_is_deep),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
