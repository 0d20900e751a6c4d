/* SPDX-License-Identifier: Apache-2.0 */
/* hostpos.c: the position of a store read per host (issue 19), one cursor per host in one string:
 * written and read back (names escaped), refused when malformed, accepted by state files far
 * over one journal's size (1,000 hosts), never taken for one journal's cursor; and the setting's
 * check (per host needs a directory). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#include "cursor.h"
#include "hostpos.h"
#include "settings.h"
#include "state.h"

#define C1 "s=0123456789abcdef0123456789abcdef;i=1;b=fedcba9876543210fedcba9876543210;m=1a;t=5f0000000001;x=abc"
#define C2 "s=0123456789abcdef0123456789abcdee;i=2f;b=fedcba9876543210fedcba9876543210;m=1b;t=5f0000000002;x=abd"

static void test_round_trip(void **state) {
    (void)state;
    jb_hostpos p = {0}, q = {0};
    jb_buf out = {0};
    assert_int_equal(jb_hostpos_format(&p, &out), 0);
    assert_int_equal(out.len, 0); /* nothing: no position */
    assert_int_equal(jb_hostpos_update(&p, 1, "remote-web1", C1, strlen(C1)), 0);
    assert_int_equal(jb_hostpos_update(&p, 2, "a b%c=d", C2, strlen(C2)), 0);
    assert_int_equal(jb_hostpos_update(&p, 1, "ignored: found by index", C2, strlen(C2)), 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(jb_hostpos_format(&p, &out), 0);
    assert_string_equal(out.data, "jbh1 remote-web1=" C2 " a%20b%25c%3Dd=" C2);
    assert_true(jb_hostpos_is(out.data));
    assert_true(jb_hostpos_valid(out.data));
    assert_false(jb_cursor_valid(out.data));
    jb_cursor_pos pos;
    assert_false(jb_cursor_parse(out.data, &pos)); /* no one journal's position */
    assert_int_equal(jb_hostpos_parse(&q, out.data), 0);
    assert_int_equal(q.n, 2);
    assert_string_equal(q.name[1], "a b%c=d");
    assert_string_equal(q.cursor[1].data, C2);
    assert_int_equal(jb_hostpos_find(&q, "remote-web1"), 0);
    assert_int_equal(jb_hostpos_find(&q, "remote-web2"), -1);
    /* a host seen first by name (a saved position) keeps its slot when its index comes */
    assert_int_equal(jb_hostpos_slot(&q, 7, "a b%c=d"), 1);
    assert_int_equal(jb_hostpos_slot(&q, 7, "other"), 1);
    jb_hostpos_done(&p);
    jb_hostpos_done(&q);
    jb_buf_done(&out);
}

static void test_refused(void **state) {
    (void)state;
    static const char *const bad[] = {
        "jbh1 a=s=1",     /* not a cursor */
        "jbh1 =" C1,      /* no name */
        "jbh1 a%zz=" C1,  /* bad escape */
        "jbh1 a%00=" C1,  /* NUL in a name */
        "jbh1 a%4=" C1,   /* short escape */
        "jbh1 a",         /* no cursor */
        "jbh1 a=" C1 " ", /* an empty item */
        "jbh1  a=" C1,    /* two spaces */
        "jbh2 a=" C1,     /* another version */
        C1,               /* one journal's cursor */
    };
    jb_hostpos p = {0};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_false(jb_hostpos_valid(bad[i]));
        assert_int_equal(jb_hostpos_parse(&p, bad[i]), -EINVAL);
        assert_int_equal(p.n, 0);
    }
    assert_true(jb_hostpos_valid("jbh1")); /* no host has a position yet */
    assert_true(jb_hostpos_is("jbh1"));
    assert_false(jb_hostpos_is("jbh10 a=" C1));
    /* a host twice is valid text but not a position */
    assert_true(jb_hostpos_valid("jbh1 a=" C1 " a=" C2));
    assert_int_equal(jb_hostpos_parse(&p, "jbh1 a=" C1 " a=" C2), -EINVAL);
    jb_hostpos_done(&p);
}

/* 1,000 hosts: about 150 KiB, over the 64 KiB one journal's state never needed */
static void test_state_of_many_hosts(void **state) {
    (void)state;
    jb_hostpos p = {0};
    jb_buf text = {0};
    char name[32];
    for (uint32_t i = 1; i <= 1000; i++) {
        snprintf(name, sizeof name, "remote-host%04u", i);
        assert_int_equal(jb_hostpos_update(&p, i, name, C1, strlen(C1)), 0);
    }
    assert_int_equal(jb_hostpos_format(&p, &text), 0);
    assert_true(text.len > 100000);
    const char *t = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/jb-hostpos.%d.state", t && *t ? t : "/tmp", (int)getpid());
    jb_state s = {.cursor = text.data, .read_cursor = text.data};
    jb_error err = {0};
    assert_int_equal(jb_state_save(path, &s, JB_STATE_NO_SYNC, &err), 0);
    jb_state r = {0};
    assert_int_equal(jb_state_read(path, &r, &err), 0);
    assert_string_equal(r.cursor, text.data);
    jb_state_done(&r);
    unlink(path);
    jb_hostpos_done(&p);
    jb_buf_done(&text);
}

static void test_setting(void **state) {
    (void)state;
    jb_config c;
    jb_config_setting bad;
    jb_error err = {0};
    jb_config_init(&c);
    assert_false(c.source.per_host); /* off by default */
    c.source.per_host = true;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_PER_HOST);
    c.source.kind = JB_SOURCE_DIRECTORY;
    c.source.directory = "/var/log/journal/remote";
    assert_int_equal(jb_config_check(&c, &bad, &err), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_state_of_many_hosts),
        cmocka_unit_test(test_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
