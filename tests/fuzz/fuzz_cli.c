/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: configuration parsing, the jbridge command's options (parse_args() in
 * src/jbridge.c, compiled here as it is, with its main() renamed so this file can call it; the
 * bundle subcommand, src/jbridge-bundle.c, is linked beside it).
 * The input is split at NUL bytes into up to 64 arguments after "jbridge".
 * Properties: parsing ends with "go on" (-1), success (--help/--version) or a usage error (2),
 * never anything else; parsing the same arguments twice gives the same result (getopt's state is
 * reset); when parsing goes on, what it produced is a valid configuration: at most one source,
 * PEN >= 1, facilities 0-23, max_line >= 1, max_pending 1-1000000, non-empty globs that the filter
 * accepts, matches that are FIELD=VALUE, markers the audit matcher accepts (line patterns and the
 * profile name may still be refused there, with a message). Every list is freed (LeakSanitizer). */
#include <fcntl.h>
#include <unistd.h>

#include "fuzzlib.h"

int jbridge_main(int argc, char **argv);
#define main jbridge_main
#include "../../src/jbridge.c"
#undef main

#include "audit.h"
#include "filter.h"

#define MAX_ARGS 64

static int quiet_parse(int argc, char **argv, options *o) {
    static int devnull = -1;
    if (devnull < 0) devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    int out = dup(1), err = dup(2);
    dup2(devnull, 1);
    dup2(devnull, 2);
    optind = 0; /* glibc: full re-initialisation of getopt */
    int r = parse_args(argc, argv, o);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    return r;
}

static void init_options(options *o) {
    *o = (options){.app_out = "-", .audit_out = "-", .fmt = JB_FORMAT_OPTS_DEFAULT};
    jb_config_init(&o->cfg);
}

static void free_options(options *o) {
    free(o->files);
    free(o->containers);
    free(o->images);
    free(o->matches);
    free(o->markers);
    free(o->patterns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* arguments: NUL-separated, copied so that the strings stay valid */
    char *copy = malloc(size + 1);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, data, size);
    copy[size] = 0;
    char *argv[MAX_ARGS + 2] = {(char *)"jbridge"};
    int argc = 1;
    for (size_t i = 0; i < size && argc <= MAX_ARGS; argc++) {
        argv[argc] = copy + i;
        i += strlen(copy + i) + 1;
    }
    argv[argc] = NULL;

    options a, b;
    init_options(&a);
    init_options(&b);
    int ra = quiet_parse(argc, argv, &a);
    int rb = quiet_parse(argc, argv, &b);
    FUZZ_CHECK(ra == -1 || ra == EXIT_SUCCESS || ra == EXIT_USAGE, "parse_args returned %d", ra);
    FUZZ_CHECK(ra == rb, "parsing twice gave %d then %d", ra, rb);

    if (ra == -1) {
        FUZZ_CHECK(a.n_files == b.n_files && a.n_containers == b.n_containers && a.n_markers == b.n_markers &&
                       a.cfg.max_line == b.cfg.max_line && a.fmt.pen == b.fmt.pen,
                   "parsing twice gave different options");
        FUZZ_CHECK(a.cfg.source.kind != JB_SOURCE_FILES || a.n_files > 0);
        FUZZ_CHECK(a.fmt.pen >= 1, "PEN 0");
        FUZZ_CHECK(a.fmt.facility_app >= 0 && a.fmt.facility_app <= 23);
        FUZZ_CHECK(a.fmt.facility_audit >= 0 && a.fmt.facility_audit <= 23);
        FUZZ_CHECK(a.cfg.max_line >= 1 && a.cfg.max_pending >= 1 && a.cfg.max_pending <= 1000000);
        FUZZ_CHECK(a.app_out && a.audit_out && (!a.state || a.state[0]));
        for (size_t i = 0; i < a.n_matches; i++) FUZZ_CHECK(jb_match_valid(a.matches[i]), "match '%s'", a.matches[i]);
        for (size_t i = 0; i < a.n_containers; i++) FUZZ_CHECK(a.containers[i][0]);
        for (size_t i = 0; i < a.n_images; i++) FUZZ_CHECK(a.images[i][0]);

        jb_error err = {0};
        jb_filter *f = NULL;
        FUZZ_CHECK(jb_filter_new(a.cfg.containers, a.cfg.n_containers, a.cfg.images, a.cfg.n_images, a.cfg.all_entries,
                                 &f, &err) == 0,
                   "filter refused the parsed options: %s", err.msg);
        jb_filter_free(f);
        /* markers are checked by the parser; patterns and the profile name are checked when the
         * matcher is built (a usage error with a message then, never a crash) */
        jb_audit_matcher *m = NULL;
        jb_audit_opts ao = {
            a.cfg.profile,    a.cfg.markers,          a.cfg.n_markers,          a.cfg.patterns,
            a.cfg.n_patterns, a.cfg.audit_containers, a.cfg.n_audit_containers, JB_AUDIT_ANCHOR_LINE_START};
        int r = jb_audit_matcher_new_opts(&ao, &m, &err);
        FUZZ_CHECK(r == 0 || (r == -EINVAL && err.msg[0]), "matcher: %d %s", r, err.msg);
        jb_audit_matcher_free(m);
    }
    free_options(&a);
    free_options(&b);
    free(copy);
    return 0;
}
