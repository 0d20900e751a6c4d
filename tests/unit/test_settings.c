/* SPDX-License-Identifier: Apache-2.0 */
/* settings.c: the defaults and the checks of jb_config that both adapters use; profile.c's list
 * of profile names; record.c's header policy (PRI, APP-NAME). */

#include "testlib.h"

#include "partial.h"
#include "profile.h"
#include "record.h"
#include "settings.h"
#include "util.h"

static void test_defaults(void **state) {
    (void)state;
    jb_config c;
    jb_config_init(&c);
    assert_int_equal(c.source.kind, JB_SOURCE_SYSTEM);
    assert_int_equal(c.max_line, JB_PARTIAL_DEFAULT_MAX_LINE);
    assert_int_equal(c.max_pending, JB_PARTIAL_DEFAULT_MAX_PENDING);
    assert_true(c.read_ahead);
    assert_false(c.all_entries);
    assert_null(c.profile);
    jb_config_setting bad;
    jb_error err = {0};
    assert_int_equal(jb_config_check(&c, &bad, &err), 0);
}

/* One value of a list setting: accepted, or refused with this message. */
static const struct value_case {
    jb_config_setting setting;
    const char *value;
    const char *message; /* NULL: accepted; "*": refused, any message */
} value_cases[] = {
    {JB_CONFIG_CONTAINERS, "web-*", NULL},
    {JB_CONFIG_CONTAINERS, "", "needs a non-empty pattern"},
    {JB_CONFIG_IMAGES, "", "needs a non-empty pattern"},
    {JB_CONFIG_MATCHES, "CONTAINER_NAME=x", NULL},
    {JB_CONFIG_MATCHES, "CONTAINER_NAME=", NULL},
    {JB_CONFIG_MATCHES, "no equals", "'no equals': expected FIELD=VALUE, FIELD made of A-Z, 0-9 and _"},
    {JB_CONFIG_MATCHES, "lower=x", "'lower=x': expected FIELD=VALUE, FIELD made of A-Z, 0-9 and _"},
    {JB_CONFIG_MARKERS, "[Audit Log]", NULL},
    {JB_CONFIG_MARKERS, "", "needs a non-empty text"},
    {JB_CONFIG_PROFILE, "tfe", NULL},
    {JB_CONFIG_PROFILE, "cloudify", NULL},
    {JB_CONFIG_PROFILE, "nomad", "'nomad': expected tfe or cloudify"},
    {JB_CONFIG_PATTERNS, "AUDIT %{actor} did %{action}", NULL},
    {JB_CONFIG_PATTERNS, "", "needs a non-empty pattern"},
    {JB_CONFIG_PATTERNS, "%{a}%{b}", "*"},
    {JB_CONFIG_MAX_LINE, "1", "*"}, /* not a list setting */
    {JB_CONFIG_AUDIT_CONTAINERS, "tfe-*", NULL},
    {JB_CONFIG_AUDIT_CONTAINERS, "", "needs a non-empty pattern"},
    {JB_CONFIG_AUDIT_ANCHOR, "line-start", NULL},
    {JB_CONFIG_AUDIT_ANCHOR, "anywhere", NULL},
    {JB_CONFIG_AUDIT_ANCHOR, "start", "'start': expected line-start or anywhere"},
    {JB_CONFIG_CONTAINER_FIELDS, "COM_HASHICORP_*", NULL},
    {JB_CONFIG_CONTAINER_FIELDS, "TFE_[A-Z]?", NULL},
    {JB_CONFIG_CONTAINER_FIELDS, "com.hashicorp.tfe.role",
     "'com.hashicorp.tfe.role': expected a journal field name or a glob on them (A-Z, 0-9, _, *?[]!-)"},
    {JB_CONFIG_CONTAINER_FIELDS, "", "'': expected a journal field name or a glob on them (A-Z, 0-9, _, *?[]!-)"},
    {JB_CONFIG_COMPONENTS, "nginx", NULL},
    {JB_CONFIG_COMPONENTS, "", "needs a non-empty pattern"},
    {JB_CONFIG_MESSAGE, "line", NULL},
    {JB_CONFIG_MESSAGE, "inner", NULL},
    {JB_CONFIG_MESSAGE, "Inner", "'Inner': expected line or inner"},
    {JB_CONFIG_SEAL_STREAMS, "audit", NULL},
    {JB_CONFIG_SEAL_STREAMS, "app", NULL},
    {JB_CONFIG_SEAL_STREAMS, "app,audit", NULL},
    {JB_CONFIG_SEAL_STREAMS, "audit,app", NULL},
    {JB_CONFIG_SEAL_STREAMS, "audit,audit", "'audit,audit': expected audit, app or app,audit"},
    {JB_CONFIG_SEAL_STREAMS, "app,", "'app,': expected audit, app or app,audit"},
    {JB_CONFIG_SEAL_STREAMS, "", "'': expected audit, app or app,audit"},
    {JB_CONFIG_SEAL_STREAMS, "Audit", "'Audit': expected audit, app or app,audit"},
};

static void test_check_value(void **state) {
    (void)state;
    for (size_t i = 0; i < JB_ELEMENTSOF(value_cases); i++) {
        const struct value_case *t = &value_cases[i];
        jb_error err = {0};
        int r = jb_config_check_value(t->setting, t->value, &err);
        if (!t->message) {
            if (r != 0) fail_msg("case %zu '%s': refused: %s", i, t->value, err.msg);
            continue;
        }
        if (r != -EINVAL) fail_msg("case %zu '%s': %d, expected -EINVAL", i, t->value, r);
        if (strcmp(t->message, "*") == 0)
            assert_true(err.msg[0] != 0);
        else
            assert_string_equal(err.msg, t->message);
    }
}

static void test_check_whole(void **state) {
    (void)state;
    static const char *const files[] = {"/x.journal"};
    static const char *const empty[] = {""};
    static const char *const bad_match[] = {"CONTAINER_NAME=a", "nope"};
    jb_config c;
    jb_config_setting bad = JB_CONFIG_SOURCE;
    jb_error err = {0};

    jb_config_init(&c);
    c.source.directory = "/d";
    c.source.files = files;
    c.source.n_files = 1;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_SOURCE);

    jb_config_init(&c);
    c.images = empty;
    c.n_images = 1;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_IMAGES);

    jb_config_init(&c);
    c.matches = bad_match;
    c.n_matches = 2;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_MATCHES);
    assert_string_equal(err.msg, "'nope': expected FIELD=VALUE, FIELD made of A-Z, 0-9 and _");

    jb_config_init(&c);
    c.markers = empty;
    c.n_markers = 1;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_MARKERS);

    jb_config_init(&c);
    c.profile = "nomad";
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_PROFILE);

    jb_config_init(&c);
    c.patterns = empty;
    c.n_patterns = 1;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_PATTERNS);

    jb_config_init(&c);
    c.audit_containers = empty;
    c.n_audit_containers = 1;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_AUDIT_CONTAINERS);

    jb_config_init(&c);
    c.audit_anchor = "Line-Start";
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_AUDIT_ANCHOR);
    assert_string_equal(err.msg, "'Line-Start': expected line-start or anywhere");

    static const char *const dotted[] = {"com.x"};
    jb_config_init(&c);
    c.container_fields = dotted;
    c.n_container_fields = 1;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_CONTAINER_FIELDS);

    jb_config_init(&c);
    c.components = empty;
    c.n_components = 1;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_COMPONENTS);

    jb_config_init(&c);
    c.message = "whole";
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_MESSAGE);

    jb_config_init(&c);
    c.max_line = 0;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_MAX_LINE);

    /* sealing: defaults valid (no key: off; audit only; 10000 records, 60 s, 60 s), limits checked */
    jb_config_init(&c);
    assert_null(c.seal.key_path);
    assert_false(c.seal.streams[JB_STREAM_APP]);
    assert_true(c.seal.streams[JB_STREAM_AUDIT]);
    assert_int_equal(c.seal.epoch_records, 10000);
    assert_int_equal(c.seal.epoch_usec, 60000000);
    assert_int_equal(c.seal.heartbeat_usec, 60000000);
    c.seal.key_path = "/k";
    assert_int_equal(jb_config_check(&c, &bad, &err), 0);
    c.seal.key_path = "";
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_SEAL_KEY);
    jb_config_init(&c);
    c.seal.epoch_records = 0;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_SEAL_EPOCH_RECORDS);
    jb_config_init(&c);
    c.seal.epoch_usec = 999999;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_SEAL_EPOCH_SECONDS);
    jb_config_init(&c);
    c.seal.heartbeat_usec = (uint64_t)86401 * 1000000u;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_SEAL_HEARTBEAT);
    assert_string_equal(err.msg, "expected a number of seconds from 1 to 86400");

    jb_config_init(&c);
    c.max_pending = JB_PARTIAL_MAX_PENDING_LIMIT + 1;
    assert_int_equal(jb_config_check(&c, &bad, &err), -EINVAL);
    assert_int_equal(bad, JB_CONFIG_MAX_PENDING);
    c.max_pending = JB_PARTIAL_MAX_PENDING_LIMIT;
    assert_int_equal(jb_config_check(&c, &bad, &err), 0);
}

static void test_profile_list(void **state) {
    (void)state;
    char buf[64];
    assert_int_equal(jb_profile_list(buf, sizeof buf, ", ", false), strlen("tfe, cloudify"));
    assert_string_equal(buf, "tfe, cloudify");
    jb_profile_list(buf, sizeof buf, " or ", false);
    assert_string_equal(buf, "tfe or cloudify");
    jb_profile_list(buf, sizeof buf, " or ", true);
    assert_string_equal(buf, "tfe (default) or cloudify");
    /* cut as snprintf cuts, the whole length returned */
    char small[6];
    assert_int_equal(jb_profile_list(small, sizeof small, " or ", false), strlen("tfe or cloudify"));
    assert_string_equal(small, "tfe o");
    assert_int_equal(jb_profile_list(NULL, 0, " or ", false), strlen("tfe or cloudify"));
}

static const struct pri_case {
    jb_stream stream;
    int facility, severity, facility_app, facility_audit;
    int pri;
} pri_cases[] = {
    {JB_STREAM_APP, -1, 6, 1, 13, 14},    /* no facility: the default */
    {JB_STREAM_APP, 3, 3, 1, 13, 27},     /* the entry's own */
    {JB_STREAM_APP, 24, 6, 16, 13, 134},  /* invalid: the adapter's (local0) */
    {JB_STREAM_APP, -1, 6, 99, 13, 14},   /* the adapter's invalid: the core's */
    {JB_STREAM_APP, -1, 9, 1, 13, 14},    /* severity outside 0-7: 6 */
    {JB_STREAM_AUDIT, 3, 6, 1, 13, 110},  /* audit: always the audit facility */
    {JB_STREAM_AUDIT, -1, 5, 1, 10, 85},  /* authpriv */
    {JB_STREAM_AUDIT, -1, 6, 1, -1, 110}, /* invalid: the core's 13 */
    {JB_STREAM_APP, 23, 7, 1, 13, 191},   {JB_STREAM_APP, 0, 0, 1, 13, 0},
};

static void test_pri(void **state) {
    (void)state;
    for (size_t i = 0; i < JB_ELEMENTSOF(pri_cases); i++) {
        const struct pri_case *t = &pri_cases[i];
        jb_record rec = {.stream = t->stream, .facility = t->facility, .severity = t->severity};
        int pri = jb_record_pri(&rec, t->facility_app, t->facility_audit);
        if (pri != t->pri) fail_msg("case %zu: PRI %d, expected %d", i, pri, t->pri);
    }
}

static void test_app_name(void **state) {
    (void)state;
    jb_record rec = {.container_name = "web", .identifier = "dockerd"};
    assert_string_equal(jb_record_app_name(&rec), "web");
    rec.container_name = "";
    assert_string_equal(jb_record_app_name(&rec), "dockerd");
    rec.container_name = NULL;
    assert_string_equal(jb_record_app_name(&rec), "dockerd");
    rec.identifier = NULL;
    assert_string_equal(jb_record_app_name(&rec), "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_check_value), cmocka_unit_test(test_check_whole),
        cmocka_unit_test(test_profile_list), cmocka_unit_test(test_pri),         cmocka_unit_test(test_app_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
