/* SPDX-License-Identifier: Apache-2.0 */
/* timespec.c: the times of --since and --until, a table in data/timespec/cases.txt (one case a
 * line: the text, a tab, the expected microseconds or "error", with "now" fixed), and the real "now". */

#include "testlib.h"

#include <errno.h>
#include <time.h>

#include "timespec.h"

/* "now" of the table: 2018-03-27T21:55:29Z, a Tuesday */
#define NOW UINT64_C(1522187729000000)

static void test_timespec_table(void **state) {
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    char dir[4096], path[4200];
    tl_data_dir("timespec", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    char *text = tl_read_file(path, NULL);
    assert_non_null(text);
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char *tab = strrchr(line, '\t');
        assert_non_null(tab);
        *tab = 0;
        uint64_t got = 0;
        int r = jb__parse_time_spec_at(line, NOW, &got);
        if (strcmp(tab + 1, "error") == 0) {
            if (r != -EINVAL) fail_msg("'%s': expected an error, got %d (%llu)", line, r, (unsigned long long)got);
        } else {
            if (r != 0) fail_msg("'%s': expected %s, got error %d", line, tab + 1, r);
            if (got != strtoull(tab + 1, NULL, 10))
                fail_msg("'%s': expected %s, got %llu", line, tab + 1, (unsigned long long)got);
        }
        n++;
    }
    assert_true(n >= 30);
    uint64_t now = 0;
    assert_int_equal(jb_parse_time_spec("now", &now), 0);
    assert_true(now > UINT64_C(1600000000000000));
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timespec_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
