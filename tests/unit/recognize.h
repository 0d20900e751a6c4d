/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Recognition cases for test_profile (data/profile/) and test_pattern (data/pattern/): a matcher
 * built from a profile, markers and line patterns, and messages run through jb_audit_recognize().
 *
 * NAME.in starts with header lines, then "--", then one message per line:
 *   profile NAME      the profile (default: none given, i.e. "tfe")
 *   marker TEXT       an audit marker (repeatable; replaces the profile's)
 *   pattern TEXT      a line pattern (repeatable; replaces the profile's)
 * NAME.out holds "error: MESSAGE" when the matcher is rejected, else for every message
 *   line N: kind=none|ok|malformed
 *   field NAME=VALUE  (one line per field, in order)
 * with '\' and control characters written as C escapes. JB_UPDATE_EXPECTED=1 writes NAME.out. */

#include <errno.h>

#include "testlib.h"

#include "audit.h"
#include "record.h"

typedef struct rc_header {
    const char *profile;
    const char *markers[8], *patterns[16];
    size_t n_markers, n_patterns;
} rc_header;

/* Splits text in place; returns the start of the messages (after the "--" line) or NULL. */
static inline char *rc_parse_header(char *text, rc_header *h) {
    char *line = text;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        if (strcmp(line, "--") == 0) return nl ? nl + 1 : line + strlen(line);
        if (strncmp(line, "profile ", 8) == 0)
            h->profile = line + 8;
        else if (strncmp(line, "marker ", 7) == 0 && h->n_markers < 8)
            h->markers[h->n_markers++] = line + 7;
        else if (strncmp(line, "pattern ", 8) == 0 && h->n_patterns < 16)
            h->patterns[h->n_patterns++] = line + 8;
        else
            fail_msg("bad header line '%s'", line);
        line = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/* One case: the matcher the header asks for, then every message line through it. */
static inline void rc_case(const char *dir, const char *name) {
    char *text = tl_read_case(dir, name, NULL);
    rc_header h = {0};
    char *msgs = rc_parse_header(text, &h);
    assert_non_null(msgs);

    char *got = NULL;
    size_t got_len = 0;
    FILE *f = open_memstream(&got, &got_len);
    jb_audit_opts o = {.profile = h.profile,
                       .markers = h.markers,
                       .n_markers = h.n_markers,
                       .patterns = h.patterns,
                       .n_patterns = h.n_patterns};
    jb_audit_matcher *m = NULL;
    jb_error err = {0};
    if (jb_audit_matcher_new_opts(&o, &m, &err) < 0) {
        assert_int_equal(err.code, -EINVAL);
        fprintf(f, "error: %s\n", err.msg);
    } else {
        unsigned no = 0;
        for (char *line = msgs; *line;) {
            char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            char *copy = malloc(len ? len : 1); /* exact size: ASan sees any read past it */
            memcpy(copy, line, len);
            jb_audit a = {0};
            assert_int_equal(jb_audit_recognize(m, copy, len, &a), 0);
            fprintf(f, "line %u: kind=%s\n", ++no, jb_audit_kind_name(a.kind));
            for (size_t i = 0; i < a.n_fields; i++) {
                fprintf(f, "field %s=", a.fields[i].name);
                tl_dump_bytes(f, a.fields[i].value, a.fields[i].value_len);
                fputc('\n', f);
            }
            if (a.kind == JB_AUDIT_OK && h.n_patterns + (h.profile ? 1 : 0) > 0 && a.n_fields > 0)
                assert_non_null(a.json);
            jb_audit_done(&a);
            free(copy);
            line = nl ? nl + 1 : line + len;
        }
        jb_audit_matcher_free(m);
    }
    fclose(f);

    tl_expect_case(dir, name, got, got_len);
    free(got);
    free(text);
}
