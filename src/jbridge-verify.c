/* SPDX-License-Identifier: Apache-2.0 */
/* jbridge verify: the verifier of sealed streams (src/verify.h, doc/sealing.md) as a command.
 * Reads the verification keys and the logs, prints the report, and exits 0 when everything
 * verifies, 1 when something does not, 2 on a usage error or a file it cannot read. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "jbridge.h"
#include "timespec.h"
#include "timestamp.h"
#include "verify.h"

#define VERIFY_EXIT_USAGE 2

static void verify_help(void) {
    printf(
        "Usage: jbridge verify --verify-key=FILE [--verify-key=FILE...] [--json] [--at=TIME] LOG...\n"
        "Verify sealed streams (doc/sealing.md) in RFC 5424 log files (LOG - : standard input).\n"
        "\n"
        "      --verify-key=FILE  verification keys (jbridge keygen's line; one per host; repeatable;\n"
        "                         required)\n"
        "      --json             the report as JSON instead of text\n"
        "      --at=TIME          judge the chains' tails at TIME (default: now); TIME as\n"
        "                         \"2018-03-27T21:55:29Z\", \"2018-03-27 21:55:29\" (local), @EPOCH, now\n"
        "  -h, --help             show this help and exit\n"
        "\n"
        "Exit status: 0 when everything verifies (duplicates are fine), 1 when something does not\n"
        "(missing, altered, inserted or reordered records, forks, bad epoch transitions, a cut tail,\n"
        "a line that is not RFC 5424, a key that is not given), 2 on a usage error or an unreadable\n"
        "file.\n");
}

static int verify_usage(const char *what, const char *arg) {
    fprintf(stderr, "jbridge verify: %s%s%s%s\n", what, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
    fprintf(stderr, "Try 'jbridge verify --help' for more information.\n");
    return VERIFY_EXIT_USAGE;
}

/* The whole of a (small) key file: new string, or NULL with errno set. */
static char *read_all(const char *path, size_t *ret_len) {
    FILE *f = fopen(path, "re");
    jb_buf b = JB_BUF_INIT;
    char chunk[4096];
    size_t n;
    if (!f) return NULL;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (jb_buf_append(&b, chunk, n) < 0) {
            errno = ENOMEM;
            break;
        }
    int bad = ferror(f) || errno == ENOMEM;
    fclose(f);
    if (bad) {
        jb_buf_done(&b);
        if (!errno) errno = EIO;
        return NULL;
    }
    *ret_len = b.len;
    return jb_buf_steal(&b);
}

/* One log into v. 0, or -errno after saying why. */
static int verify_log(jb_verifier *v, const char *path) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int r = 0;
    if (!f) {
        fprintf(stderr, "jbridge verify: %s: %s\n", path, strerror(errno));
        return -errno;
    }
    if (jb_verifier_begin_file(v, path) < 0) r = -ENOMEM;
    errno = 0;
    while (r == 0 && (n = getline(&line, &cap, f)) >= 0) r = jb_verifier_line(v, line, (size_t)n);
    if (r == 0 && ferror(f)) r = -(errno ? errno : EIO);
    if (r < 0) fprintf(stderr, "jbridge verify: %s: %s\n", path, strerror(-r));
    free(line);
    if (f != stdin) fclose(f);
    return r;
}

static int load_keys(jb_verifier *v, const char *path) {
    size_t n = 0;
    char *text = read_all(path, &n);
    jb_error err = {0};
    if (!text) {
        fprintf(stderr, "jbridge verify: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int r = jb_verifier_add_keys(v, path, text, n, &err);
    explicit_bzero(text, n);
    free(text);
    if (r < 0) fprintf(stderr, "jbridge verify: %s\n", err.msg);
    return r;
}

typedef struct verify_opts {
    const char **keys;
    size_t n_keys;
    bool json;
    uint64_t at_usec;
} verify_opts;

/* Options into o; -1 to go on, else an exit status. */
static int verify_parse(int argc, char **argv, verify_opts *o) {
    enum { OPT_KEY = 256, OPT_JSON, OPT_AT };
    static const struct option longopts[] = {
        {"verify-key", required_argument, NULL, OPT_KEY},
        {"json", no_argument, NULL, OPT_JSON},
        {"at", required_argument, NULL, OPT_AT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    o->at_usec = jb_now_usec(CLOCK_REALTIME);
    optind = 0; /* getopt's state reset: the command may have parsed before */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_KEY: {
            const char **k = realloc(o->keys, (o->n_keys + 1) * sizeof *k);
            if (!k) return EXIT_FAILURE;
            o->keys = k;
            k[o->n_keys++] = optarg;
            break;
        }
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_AT:
            if (jb_parse_time_spec(optarg, &o->at_usec) < 0) return verify_usage("--at: not a time:", optarg);
            break;
        case 'h':
            verify_help();
            return EXIT_SUCCESS;
        case ':':
            return verify_usage("this option needs a value:", argv[optind - 1]);
        default:
            return verify_usage("unknown option", argv[optind - 1]);
        }
    }
    if (o->n_keys == 0) return verify_usage("--verify-key=FILE is required", NULL);
    if (optind >= argc) return verify_usage("no LOG to verify (- for standard input)", NULL);
    int stdin_uses = 0;
    for (int i = optind; i < argc; i++) stdin_uses += strcmp(argv[i], "-") == 0;
    if (stdin_uses > 1) return verify_usage("standard input (-) given twice", NULL);
    return -1;
}

int jb_cli_verify(int argc, char **argv) {
    verify_opts o = {.keys = NULL};
    jb_verifier *v = NULL;
    jb_buf out = JB_BUF_INIT;
    bool ok = false;
    int status = verify_parse(argc, argv, &o);
    if (status >= 0) goto done;
    status = VERIFY_EXIT_USAGE;
    if (jb_verifier_new(&v) < 0) goto done;
    for (size_t i = 0; i < o.n_keys; i++)
        if (load_keys(v, o.keys[i]) < 0) goto done;
    for (int i = optind; i < argc; i++)
        if (verify_log(v, argv[i]) < 0) goto done;
    int r = jb_verifier_report(v, o.at_usec, o.json, &out, &ok);
    if (r < 0) {
        /* -EINVAL: a file name that is not UTF-8 cannot go into JSON */
        fprintf(stderr, "jbridge verify: cannot make the report: %s\n",
                r == -EINVAL ? "a file name is not UTF-8" : strerror(-r));
        goto done;
    }
    fwrite(out.data, 1, out.len, stdout);
    status = fflush(stdout) != 0 ? VERIFY_EXIT_USAGE : ok ? EXIT_SUCCESS : EXIT_FAILURE;
done:
    jb_buf_done(&out);
    jb_verifier_free(v);
    free(o.keys);
    return status;
}
