/* SPDX-License-Identifier: Apache-2.0 */
/* filter.c: container/image glob patterns, non-container entries, errors, allocation failure.
 * The cases are a table: patterns, then entries with the expected decision. */

#include "testlib.h"

#include "filter.h"
#include "util.h"

#define MAXP 4
#define MAXE 8

/* One entry: name NONE means no CONTAINER_NAME (not a container entry), image NONE no IMAGE_NAME;
 * a NULL name ends the list. ("-" is not a valid Docker container name.) */
#define NONE "-"
typedef struct {
    const char *name;
    const char *image;
    bool keep;
} entry_case;

typedef struct {
    const char *title;
    const char *containers[MAXP];
    const char *images[MAXP];
    bool all_entries;
    entry_case entries[MAXE];
} filter_case;

static const filter_case cases[] = {
    {"no patterns: every container entry, no other entry",
     {NULL},
     {NULL},
     false,
     {{"web", "nginx", true}, {"", "", true}, {NONE, NONE, false}, {NONE, "nginx", false}}},
    {"all_entries without patterns: everything", {NULL}, {NULL}, true, {{"web", "nginx", true}, {NONE, NONE, true}}},
    {"all_entries with a container pattern: non-container entries rejected",
     {"web"},
     {NULL},
     true,
     {{"web", "x", true}, {"db", "x", false}, {NONE, NONE, false}}},
    {"all_entries with an image pattern: non-container entries rejected",
     {NULL},
     {"nginx*"},
     true,
     {{"web", "nginx:1", true}, {NONE, "nginx:1", false}}},
    {"container globs, any may match",
     {"ptfe_*", "tfe-*", "terraform-enterprise"},
     {NULL},
     false,
     {{"ptfe_atlas", "i", true},
      {"tfe-atlas", "i", true},
      {"terraform-enterprise", "i", true},
      {"terraform-enterprise-2", "i", false},
      {"xptfe_atlas", "i", false},
      {"", "i", false},
      {NONE, "i", false}}},
    {"image globs: fnmatch without flags, '*' crosses '/'",
     {NULL},
     {"hashicorp/*", "*:v2023*"},
     false,
     {{"a", "hashicorp/terraform-enterprise:v202301-1", true},
      {"a", "registry.example.com/tfe:v202305-2", true},
      {"a", "nginx:latest", false},
      {"a", "", false}}},
    {"containers AND images",
     {"tfe-*"},
     {"hashicorp/*"},
     false,
     {{"tfe-atlas", "hashicorp/tfe", true},
      {"tfe-atlas", "nginx", false},
      {"web", "hashicorp/tfe", false},
      {"web", "nginx", false}}},
    {"character classes, '?' and escapes",
     {"web-[0-9]", "db?", "lit\\*"},
     {NULL},
     false,
     {{"web-1", "", true},
      {"web-a", "", false},
      {"db1", "", true},
      {"db", "", false},
      {"lit*", "", true},
      {"litx", "", false}}},
    {"exact names are case-sensitive", {"Web"}, {NULL}, false, {{"Web", "", true}, {"web", "", false}}},
};

static size_t count(const char *const *v) {
    size_t n = 0;
    while (n < MAXP && v[n]) n++;
    return n;
}

static void entry_for(jb_entry *e, const entry_case *c) {
    jb_entry_reset(e);
    if (strcmp(c->name, NONE) != 0)
        assert_int_equal(jb_entry_set_field(e, "CONTAINER_NAME", 14, c->name, strlen(c->name)), 0);
    if (strcmp(c->image, NONE) != 0)
        assert_int_equal(jb_entry_set_field(e, "IMAGE_NAME", 10, c->image, strlen(c->image)), 0);
    jb_entry_finish(e, 0);
}

static void test_table(void **state) {
    jb_entry e = {0};
    size_t checked = 0;
    for (size_t i = 0; i < JB_ELEMENTSOF(cases); i++) {
        const filter_case *c = &cases[i];
        jb_filter *f = NULL;
        jb_error err = {0};
        assert_int_equal(
            jb_filter_new(c->containers, count(c->containers), c->images, count(c->images), c->all_entries, &f, &err),
            0);
        for (size_t j = 0; j < MAXE && c->entries[j].name; j++) {
            entry_for(&e, &c->entries[j]);
            bool got = jb_filter_match(f, &e);
            checked++;
            if (got != c->entries[j].keep)
                fail_msg("%s: entry %zu (%s, %s): got %s", c->title, j, c->entries[j].name, c->entries[j].image,
                         got ? "keep" : "drop");
        }
        assert_null(jb_filter_free(f));
    }
    assert_int_equal(checked, 34);
    jb_entry_done(&e);
}

/* A name with a NUL inside matches nothing, not even a pattern that matches its start. */
static void test_nul_in_name(void **state) {
    const char *pats[] = {"web*"};
    jb_filter *f = NULL;
    assert_int_equal(jb_filter_new(pats, 1, NULL, 0, false, &f, NULL), 0);
    jb_entry e = {0};
    jb_entry_reset(&e);
    assert_int_equal(jb_entry_set_field(&e, "CONTAINER_NAME", 14, "web\0x", 5), 0);
    assert_false(jb_filter_match(f, &e));
    assert_int_equal(jb_entry_set_field(&e, "CONTAINER_NAME", 14, "webx", 4), 0);
    assert_true(jb_filter_match(f, &e));
    jb_entry_done(&e);
    jb_filter_free(f);
}

static void test_empty_pattern(void **state) {
    jb_filter *f = (jb_filter *)0x1; /* must stay untouched on failure */
    jb_error err = {0};
    const char *c[] = {"web", ""};
    assert_int_equal(jb_filter_new(c, 2, NULL, 0, false, &f, &err), -EINVAL);
    assert_int_equal(err.code, -EINVAL);
    assert_string_equal(err.msg, "container name pattern 2 of 2 is empty");
    assert_ptr_equal(f, (jb_filter *)0x1);

    const char *i[] = {""};
    assert_int_equal(jb_filter_new(NULL, 0, i, 1, false, &f, &err), -EINVAL);
    assert_string_equal(err.msg, "image name pattern 1 of 1 is empty");

    const char *n[] = {NULL};
    assert_int_equal(jb_filter_new(n, 1, NULL, 0, false, &f, &err), -EINVAL);
    assert_string_equal(err.msg, "container name pattern 1 of 1 is empty");
    assert_int_equal(jb_filter_new(NULL, 1, NULL, 0, false, &f, &err), -EINVAL);
    assert_int_equal(jb_filter_new(NULL, 0, NULL, 2, false, &f, NULL), -EINVAL); /* err may be NULL */
    assert_ptr_equal(f, (jb_filter *)0x1);
    assert_null(jb_filter_free(NULL));
}

/* Patterns are copied: the caller's strings may go away. */
static void test_patterns_copied(void **state) {
    char p[] = "web*";
    const char *pats[] = {p};
    jb_filter *f = NULL;
    assert_int_equal(jb_filter_new(pats, 1, pats, 1, false, &f, NULL), 0);
    p[0] = 'x';
    jb_entry e = {0};
    jb_entry_reset(&e);
    assert_int_equal(jb_entry_set_field(&e, "CONTAINER_NAME", 14, "web1", 4), 0);
    assert_int_equal(jb_entry_set_field(&e, "IMAGE_NAME", 10, "web-image", 9), 0);
    assert_true(jb_filter_match(f, &e));
    jb_entry_done(&e);
    jb_filter_free(f);
}

static void test_alloc_failure(void **state) {
    const char *c[] = {"a*", "b*", "c*"};
    const char *i[] = {"x*", "y*"};
    bool done = false;
    for (long n = 0; !done && n < 100; n++) {
        jb_filter *f = NULL;
        jb_error err = {0};
        tl_fail_after(n);
        int r = jb_filter_new(c, 3, i, 2, false, &f, &err);
        tl_fail_off();
        if (r == 0) {
            done = true;
            assert_non_null(f);
            jb_filter_free(f);
        } else {
            assert_int_equal(r, -ENOMEM);
            assert_int_equal(err.code, -ENOMEM);
            assert_null(f);
        }
    }
    assert_true(done);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),         cmocka_unit_test(test_nul_in_name),
        cmocka_unit_test(test_empty_pattern), cmocka_unit_test(test_patterns_copied),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
