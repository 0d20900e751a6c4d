/* SPDX-License-Identifier: Apache-2.0 */
/* trust.c (issue 15): the SPEC grammar, the built-in writers, extra writers and "none", the
 * untrusted action, allocation failure. The cases are tables: SPECs with the expected verdict,
 * then writers (journald's fields) with the expected decision for a set of SPECs. */

#include "testlib.h"

#include "entry.h"
#include "settings.h"
#include "trust.h"
#include "util.h"

static const struct spec_case {
    const char *spec;
    const char *message; /* NULL: accepted */
} spec_cases[] = {
    {"comm=dockerd", NULL},
    {"comm=dockerd,uid=0", NULL},
    {"uid=1000,comm=dockerd", NULL},
    {"unit=docker.service", NULL},
    {"exe=/usr/bin/dockerd,gid=0,transport=journal", NULL},
    {"uid=4294967295", NULL},
    {"none", NULL},
    {"comm=a=b", NULL}, /* the value is everything after the first '=' */
    {"", "needs KEY=VALUE[,KEY=VALUE...]"},
    {"dockerd", "'dockerd': expected KEY=VALUE, KEY one of comm, exe, uid, gid, unit, transport"},
    {"user=root", "'user=root': unknown key 'user', expected comm, exe, uid, gid, unit or transport"},
    {"Comm=dockerd", "'Comm=dockerd': unknown key 'Comm', expected comm, exe, uid, gid, unit or transport"},
    {"comm=", "'comm=': key 'comm' needs a value"},
    {"comm=dockerd,", "'comm=dockerd,': expected KEY=VALUE, KEY one of comm, exe, uid, gid, unit, transport"},
    {",comm=dockerd", "',comm=dockerd': expected KEY=VALUE, KEY one of comm, exe, uid, gid, unit, transport"},
    {"comm=a,comm=b", "'comm=a,comm=b': key 'comm' given twice"},
    {"uid=root", "'uid=root': uid must be a number from 0 to 4294967295"},
    {"uid=-1", "'uid=-1': uid must be a number from 0 to 4294967295"},
    {"gid=4294967296", "'gid=4294967296': gid must be a number from 0 to 4294967295"},
    {"uid= 0", "'uid= 0': uid must be a number from 0 to 4294967295"},
    {"none,comm=x", "'none,comm=x': expected KEY=VALUE, KEY one of comm, exe, uid, gid, unit, transport"},
};

static void test_spec_check(void **state) {
    (void)state;
    for (size_t i = 0; i < JB_ELEMENTSOF(spec_cases); i++) {
        const struct spec_case *t = &spec_cases[i];
        jb_error err = {0};
        int r = jb_trust_spec_check(t->spec, &err);
        if (!t->message) {
            if (r != 0) fail_msg("'%s': refused: %s", t->spec, err.msg);
            continue;
        }
        if (r != -EINVAL) fail_msg("'%s': accepted", t->spec);
        if (strcmp(err.msg, t->message) != 0) fail_msg("'%s': message '%s'", t->spec, err.msg);
        /* the same verdict through the settings, for the adapters */
        jb_error err2 = {0};
        assert_int_equal(jb_config_check_value(JB_CONFIG_TRUST, t->spec, &err2), -EINVAL);
        assert_string_equal(err2.msg, t->message);
    }
}

/* A writer: journald's fields; NULL for a field the entry lacks. */
typedef struct writer_case {
    const char *comm, *exe, *uid, *gid, *unit, *transport;
    bool trusted;
} writer_case;

#define MAXS 4
#define MAXW 10
typedef struct trust_case {
    const char *title;
    const char *specs[MAXS];
    writer_case writers[MAXW];
} trust_case;

#define DOCKERD "dockerd", "/usr/bin/dockerd"
#define CONMON "conmon", "/usr/bin/conmon"
static const trust_case trust_cases[] = {
    {"the built-in writers: rootful Docker and Podman's conmon, through journald's native protocol",
     {NULL},
     {
         {DOCKERD, "0", "0", "docker.service", "journal", true},
         {CONMON, "0", "0", NULL, "journal", true},
         {DOCKERD, "0", "0", NULL, "journal", true}, /* no systemd: no unit */
         {"python3", "/usr/bin/python3", "65534", "65534", NULL, "journal", false},
         {DOCKERD, "65534", "65534", NULL, "journal", false}, /* a user's program named dockerd */
         {DOCKERD, "1000", "1000", NULL, "journal", false},   /* rootless Docker: not by default */
         {DOCKERD, "0", "0", NULL, "stdout", false},          /* not the journal driver */
         {DOCKERD, NULL, NULL, NULL, "journal", false},       /* no _UID: fails uid=0 */
         {NULL, NULL, "0", "0", NULL, "journal", false},
         {DOCKERD, "00", "0", NULL, "journal", true}, /* uid compared as a number */
     }},
    {"rootless Docker added: the defaults stay",
     {"uid=1000,comm=dockerd"},
     {
         {DOCKERD, "1000", "1000", NULL, "journal", true},
         {DOCKERD, "0", "0", NULL, "journal", true},
         {DOCKERD, "1001", "1001", NULL, "journal", false},
         {"python3", NULL, "1000", "1000", NULL, "journal", false},
     }},
    {"a unit, and 'none': only the unit",
     {"none", "unit=docker.service"},
     {
         {DOCKERD, "0", "0", "docker.service", "journal", true},
         {DOCKERD, "0", "0", NULL, "journal", false},
         {CONMON, "0", "0", NULL, "journal", false},
         {"anything", NULL, "5", "5", "docker.service", "syslog", true},
     }},
    {"'none' alone: nobody is trusted",
     {"none"},
     {
         {DOCKERD, "0", "0", "docker.service", "journal", false},
     }},
    {"exe, gid and transport; values compared exactly",
     {"exe=/opt/docker/bin/dockerd,gid=998,transport=journal"},
     {
         {"dockerd", "/opt/docker/bin/dockerd", "1000", "998", NULL, "journal", true},
         {"dockerd", "/opt/docker/bin/dockerd2", "1000", "998", NULL, "journal", false},
         {"dockerd", "/opt/docker/bin/dockerd", "1000", "999", NULL, "journal", false},
         {"dockerd", "/opt/docker/bin/dockerd", "1000", "998", NULL, "Journal", false},
     }},
};

static void set(jb_buf *b, const char *v) {
    jb_buf_reset(b);
    if (v) assert_int_equal(jb_buf_append(b, v, strlen(v)), 0);
}

static void test_match(void **state) {
    (void)state;
    jb_entry e = {0};
    jb_entry_reset(&e);
    for (size_t i = 0; i < JB_ELEMENTSOF(trust_cases); i++) {
        const trust_case *t = &trust_cases[i];
        size_t ns = 0;
        while (ns < MAXS && t->specs[ns]) ns++;
        jb_trust *tr = NULL;
        jb_error err = {0};
        assert_int_equal(jb_trust_new(t->specs, ns, &tr, &err), 0);
        for (size_t k = 0; k < MAXW && (t->writers[k].comm || t->writers[k].uid); k++) {
            const writer_case *w = &t->writers[k];
            set(&e.writer_comm, w->comm);
            set(&e.writer_exe, w->exe);
            set(&e.writer_uid, w->uid);
            set(&e.writer_gid, w->gid);
            set(&e.writer_unit, w->unit);
            set(&e.writer_transport, w->transport);
            if (jb_trust_match(tr, &e) != w->trusted)
                fail_msg("%s: writer %zu (comm %s uid %s): expected %s", t->title, k, w->comm ? w->comm : "-",
                         w->uid ? w->uid : "-", w->trusted ? "trusted" : "untrusted");
        }
        jb_trust_free(tr);
    }
    jb_entry_done(&e);
}

/* The trusted fields come from the journal entry's fields; a writer cannot set them (journald
 * does), but an entry's own (non-underscore) fields must never be taken for them. */
static void test_entry_fields(void **state) {
    (void)state;
    jb_entry e = {0};
    jb_entry_reset(&e);
    static const char *const fields[][2] = {
        {"COMM", "dockerd"},       {"UID", "0"},
        {"_COMM", "python3"},      {"_UID", "65534"},
        {"_GID", "65534"},         {"_EXE", "/usr/bin/python3"},
        {"_TRANSPORT", "journal"}, {"_SYSTEMD_UNIT", "x.service"},
        {"CONTAINER_NAME", "c"},
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(fields); i++)
        assert_int_equal(jb_entry_set_field(&e, fields[i][0], strlen(fields[i][0]), fields[i][1], strlen(fields[i][1])),
                         i < 2 ? 1 : 0); /* 1: a field jbridge does not use */
    assert_string_equal(jb_entry_str(&e.writer_comm), "python3");
    assert_string_equal(jb_entry_str(&e.writer_uid), "65534");
    assert_string_equal(jb_entry_str(&e.writer_gid), "65534");
    assert_string_equal(jb_entry_str(&e.writer_exe), "/usr/bin/python3");
    assert_string_equal(jb_entry_str(&e.writer_transport), "journal");
    assert_string_equal(jb_entry_str(&e.writer_unit), "x.service");
    jb_trust *tr = NULL;
    assert_int_equal(jb_trust_new(NULL, 0, &tr, NULL), 0);
    assert_false(jb_trust_match(tr, &e));
    /* copies carry the writer (a pending split line keeps its first piece's) */
    jb_entry c = {0};
    jb_entry_reset(&c);
    e.untrusted = true;
    assert_int_equal(jb_entry_copy(&c, &e), 0);
    assert_true(c.untrusted);
    assert_string_equal(jb_entry_str(&c.writer_comm), "python3");
    jb_entry_done(&c);
    jb_trust_free(tr);
    jb_entry_done(&e);
}

static void test_untrusted_action(void **state) {
    (void)state;
    jb_untrusted_action a = JB_UNTRUSTED_DROP;
    jb_error err = {0};
    assert_int_equal(jb_untrusted_action_parse("flag", &a, &err), 0);
    assert_int_equal(a, JB_UNTRUSTED_FLAG);
    assert_int_equal(jb_untrusted_action_parse("drop", &a, &err), 0);
    assert_int_equal(a, JB_UNTRUSTED_DROP);
    assert_int_equal(jb_untrusted_action_parse("Drop", &a, &err), -EINVAL);
    assert_string_equal(err.msg, "'Drop': expected flag or drop");
    assert_int_equal(jb_config_check_value(JB_CONFIG_UNTRUSTED, "", &err), -EINVAL);
    assert_int_equal(jb_config_check_value(JB_CONFIG_UNTRUSTED, "drop", &err), 0);
    jb_config c;
    jb_config_init(&c);
    assert_int_equal(c.untrusted, JB_UNTRUSTED_FLAG);
    assert_int_equal(c.n_trust, 0);
    static const char *const bad[] = {"comm=dockerd", "uid=x"};
    c.trust = bad;
    c.n_trust = 2;
    jb_config_setting s;
    assert_int_equal(jb_config_check(&c, &s, &err), -EINVAL);
    assert_int_equal(s, JB_CONFIG_TRUST);
}

static void test_alloc_failure(void **state) {
    (void)state;
    static const char *const specs[] = {"uid=1000,comm=dockerd,exe=/x", "unit=docker.service"};
    for (long n = 0;; n++) {
        jb_trust *t = NULL;
        jb_error err = {0};
        tl_fail_after(n);
        int r = jb_trust_new(specs, 2, &t, &err);
        tl_fail_off();
        if (r == 0) {
            jb_trust_free(t);
            break;
        }
        assert_int_equal(r, -ENOMEM);
        assert_null(t);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_check),    cmocka_unit_test(test_match),
        cmocka_unit_test(test_entry_fields),  cmocka_unit_test(test_untrusted_action),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
