/* SPDX-License-Identifier: Apache-2.0 */
/* jbridge: read Docker's entries from the journal and write application and audit records as
 * RFC 5424 lines to two outputs. An adapter over the core (bridge.h): options in, lines out. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge.h"
#include "rfc5424.h"
#include "sd.h"
#include "state.h"

#define EXIT_USAGE 2
#define SAVE_EVERY_ENTRIES 10000
#define WAIT_USEC 500000u
#define PARTIAL_MAX_AGE_USEC 5000000u

typedef struct output {
    const char *path;
    FILE *f;
    bool is_stdout;
} output;

typedef struct options {
    jb_config cfg;
    const char **files, **containers, **images, **matches, **markers;
    size_t n_files, n_containers, n_images, n_matches, n_markers;
    const char *app_out, *audit_out, *state;
    bool follow, tail;
    jb_format_opts fmt;
} options;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void help(void) {
    printf(
        "Usage: jbridge [OPTION]...\n"
        "Read Docker containers' entries from the journal and write application and audit\n"
        "records as RFC 5424 lines, one record per line, to two outputs.\n"
        "\n"
        "Source (default: the local system journal):\n"
        "  -D, --directory=DIR      read the journal files in DIR (e.g. systemd-journal-remote's store)\n"
        "      --file=FILE          read this journal file (repeatable)\n"
        "      --namespace=NS       read the journal namespace NS\n"
        "Filters (combined with AND; default: only entries with CONTAINER_NAME):\n"
        "      --container=GLOB     keep containers whose name matches (repeatable, any may match)\n"
        "      --image=GLOB         keep containers whose image matches (repeatable, any may match)\n"
        "      --match=FIELD=VALUE  journal match, as journalctl (repeatable)\n"
        "      --all                also keep entries that are not from containers\n"
        "Recognition and output:\n"
        "      --marker=TEXT        audit marker (repeatable; default \"[Audit Log]\")\n"
        "      --app-out=PATH|-     application records (default -: standard output)\n"
        "      --audit-out=PATH|-   audit records (default -: standard output)\n"
        "      --sd-pen=N           private enterprise number of the SD-IDs (default 32473)\n"
        "      --facility-app=N     facility of application records without SYSLOG_FACILITY (default 1)\n"
        "      --facility-audit=N   facility of audit records (default 13, log audit)\n"
        "      --max-line=BYTES     longest reassembled line before it is cut (default 1048576)\n"
        "      --max-pending=N      split lines gathered at once (default 32)\n"
        "Position:\n"
        "      --state=FILE         resume after the cursor in FILE and save it there (mode 0600)\n"
        "      --tail               without a saved state, start at the end of the journal\n"
        "  -f, --follow             keep reading new entries until SIGTERM or SIGINT\n"
        "\n"
        "  -h, --help               show this help and exit\n"
        "  -V, --version            show the version and exit\n"
        "\n"
        "Exit status: 0 on success, 1 on a runtime error, 2 on a usage error.\n");
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "jbridge: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'jbridge --help' for more information.\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* Parse a decimal number in [min, max]; false when it is not one. */
static bool parse_num(const char *s, unsigned long long min, unsigned long long max, unsigned long long *ret) {
    if (!*s || *s == '-' || *s == '+') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max) return false;
    *ret = v;
    return true;
}

static int push(const char ***list, size_t *n, const char *v) {
    const char **l = realloc(*list, (*n + 1) * sizeof *l);
    if (!l) return -ENOMEM;
    l[(*n)++] = v;
    *list = l;
    return 0;
}

enum {
    OPT_FILE = 256,
    OPT_NAMESPACE,
    OPT_CONTAINER,
    OPT_IMAGE,
    OPT_MATCH,
    OPT_ALL,
    OPT_MARKER,
    OPT_APP_OUT,
    OPT_AUDIT_OUT,
    OPT_SD_PEN,
    OPT_FAC_APP,
    OPT_FAC_AUDIT,
    OPT_MAX_LINE,
    OPT_MAX_PENDING,
    OPT_STATE,
    OPT_TAIL,
};

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, options *o) {
    static const struct option longopts[] = {
        {"directory", required_argument, NULL, 'D'},
        {"file", required_argument, NULL, OPT_FILE},
        {"namespace", required_argument, NULL, OPT_NAMESPACE},
        {"container", required_argument, NULL, OPT_CONTAINER},
        {"image", required_argument, NULL, OPT_IMAGE},
        {"match", required_argument, NULL, OPT_MATCH},
        {"all", no_argument, NULL, OPT_ALL},
        {"marker", required_argument, NULL, OPT_MARKER},
        {"app-out", required_argument, NULL, OPT_APP_OUT},
        {"audit-out", required_argument, NULL, OPT_AUDIT_OUT},
        {"sd-pen", required_argument, NULL, OPT_SD_PEN},
        {"facility-app", required_argument, NULL, OPT_FAC_APP},
        {"facility-audit", required_argument, NULL, OPT_FAC_AUDIT},
        {"max-line", required_argument, NULL, OPT_MAX_LINE},
        {"max-pending", required_argument, NULL, OPT_MAX_PENDING},
        {"state", required_argument, NULL, OPT_STATE},
        {"tail", no_argument, NULL, OPT_TAIL},
        {"follow", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int sources = 0, c;
    unsigned long long v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":D:fhV", longopts, NULL)) != -1) {
        int r = 0;
        switch (c) {
        case 'D':
            o->cfg.source.kind = JB_SOURCE_DIRECTORY;
            o->cfg.source.directory = optarg;
            sources++;
            break;
        case OPT_FILE:
            if (o->cfg.source.kind != JB_SOURCE_FILES) sources++;
            o->cfg.source.kind = JB_SOURCE_FILES;
            r = push(&o->files, &o->n_files, optarg);
            break;
        case OPT_NAMESPACE:
            o->cfg.source.kind = JB_SOURCE_NAMESPACE;
            o->cfg.source.name_space = optarg;
            sources++;
            break;
        case OPT_CONTAINER:
            if (!*optarg) return usage_error("--container needs a non-empty pattern");
            r = push(&o->containers, &o->n_containers, optarg);
            break;
        case OPT_IMAGE:
            if (!*optarg) return usage_error("--image needs a non-empty pattern");
            r = push(&o->images, &o->n_images, optarg);
            break;
        case OPT_MATCH:
            if (!jb_match_valid(optarg))
                return usage_error("--match '%s': expected FIELD=VALUE, FIELD made of A-Z, 0-9 and _", optarg);
            r = push(&o->matches, &o->n_matches, optarg);
            break;
        case OPT_ALL:
            o->cfg.all_entries = true;
            break;
        case OPT_MARKER:
            if (!*optarg) return usage_error("--marker needs a non-empty text");
            r = push(&o->markers, &o->n_markers, optarg);
            break;
        case OPT_APP_OUT:
            o->app_out = optarg;
            break;
        case OPT_AUDIT_OUT:
            o->audit_out = optarg;
            break;
        case OPT_SD_PEN:
            if (!parse_num(optarg, 1, UINT32_MAX, &v))
                return usage_error("--sd-pen '%s': expected a number from 1 to 4294967295", optarg);
            o->fmt.pen = (unsigned)v;
            break;
        case OPT_FAC_APP:
            if (!parse_num(optarg, 0, 23, &v)) return usage_error("--facility-app '%s': expected 0 to 23", optarg);
            o->fmt.facility_app = (int)v;
            break;
        case OPT_FAC_AUDIT:
            if (!parse_num(optarg, 0, 23, &v)) return usage_error("--facility-audit '%s': expected 0 to 23", optarg);
            o->fmt.facility_audit = (int)v;
            break;
        case OPT_MAX_LINE:
            if (!parse_num(optarg, 1, SIZE_MAX / 2, &v))
                return usage_error("--max-line '%s': expected a positive number of bytes", optarg);
            o->cfg.max_line = (size_t)v;
            break;
        case OPT_MAX_PENDING:
            if (!parse_num(optarg, 1, 1000000, &v))
                return usage_error("--max-pending '%s': expected a number from 1 to 1000000", optarg);
            o->cfg.max_pending = (size_t)v;
            break;
        case OPT_STATE:
            if (!*optarg) return usage_error("--state needs a file name");
            o->state = optarg;
            break;
        case OPT_TAIL:
            o->tail = true;
            break;
        case 'f':
            o->follow = true;
            break;
        case 'h':
            help();
            return EXIT_SUCCESS;
        case 'V':
            printf("jbridge %s\n", PACKAGE_VERSION);
            return EXIT_SUCCESS;
        case ':':
            return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
        if (r < 0) {
            fprintf(stderr, "jbridge: out of memory\n");
            return EXIT_FAILURE;
        }
    }
    if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
    if (sources > 1) return usage_error("give only one of --directory, --file and --namespace");
    o->cfg.source.files = o->files;
    o->cfg.source.n_files = o->n_files;
    o->cfg.containers = o->containers;
    o->cfg.n_containers = o->n_containers;
    o->cfg.images = o->images;
    o->cfg.n_images = o->n_images;
    o->cfg.matches = o->matches;
    o->cfg.n_matches = o->n_matches;
    o->cfg.markers = o->markers;
    o->cfg.n_markers = o->n_markers;
    return -1;
}

static int output_open(output *out, const char *path) {
    out->path = path;
    if (strcmp(path, "-") == 0) {
        out->f = stdout;
        out->is_stdout = true;
        return 0;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0) return -errno;
    out->f = fdopen(fd, "a");
    if (!out->f) {
        int r = -errno;
        close(fd);
        return r;
    }
    setvbuf(out->f, NULL, _IOFBF, 1 << 16);
    return 0;
}

/* Hand what was written to the kernel; durable: also to the disk, before a state says it was written. */
static int output_sync(output *out, bool durable) {
    if (fflush(out->f) != 0) return -errno;
    if (durable && !out->is_stdout && fsync(fileno(out->f)) < 0 && errno != EINVAL) return -errno;
    return 0;
}

typedef struct run_ctx {
    output app, audit;
    const jb_format_opts *fmt;
    jb_buf line;
    int write_errno;
} run_ctx;

static int write_record(const jb_record *rec, void *userdata) {
    run_ctx *ctx = userdata;
    jb_buf_reset(&ctx->line);
    int r = jb_rfc5424_format(rec, ctx->fmt, &ctx->line);
    if (r < 0) return r;
    output *out = rec->stream == JB_STREAM_AUDIT ? &ctx->audit : &ctx->app;
    if (fwrite(ctx->line.data, 1, ctx->line.len, out->f) != ctx->line.len) {
        ctx->write_errno = errno ? errno : EIO;
        return -ctx->write_errno;
    }
    return 0;
}

static int sync_outputs(run_ctx *ctx, bool durable) {
    int r = output_sync(&ctx->app, durable);
    if (r < 0) {
        fprintf(stderr, "jbridge: cannot write %s: %s\n", ctx->app.path, strerror(-r));
        return r;
    }
    r = output_sync(&ctx->audit, durable);
    if (r < 0) fprintf(stderr, "jbridge: cannot write %s: %s\n", ctx->audit.path, strerror(-r));
    return r;
}

/* Flush the outputs, then record how far they go. */
static int save_state(run_ctx *ctx, const options *o, jb_bridge *b) {
    int r = sync_outputs(ctx, o->state != NULL);
    if (r < 0 || !o->state) return r;
    const char *cursor = jb_bridge_checkpoint(b);
    if (!cursor) return 0;
    jb_error err = {0};
    r = jb_state_save(o->state, cursor, &err);
    if (r < 0) fprintf(stderr, "jbridge: %s\n", err.msg);
    return r;
}

/* Position the reader: after the saved cursor, else at the head (or tail with --tail). */
static int position(const options *o, jb_bridge *b) {
    jb_error err = {0};
    _cleanup_free_ char *cursor = NULL;
    if (o->state) {
        int r = jb_state_load(o->state, &cursor, &err);
        if (r == -EBADMSG) {
            /* Documented fallback: keep the bad file for inspection and read from the start, so
             * nothing is lost; records read again carry the same record ids. */
            char aside[PATH_MAX];
            snprintf(aside, sizeof aside, "%s.bad", o->state);
            fprintf(stderr, "jbridge: warning: %s; moved it to %s and reading from the %s of the journal\n", err.msg,
                    aside, o->tail ? "end" : "start");
            if (rename(o->state, aside) < 0)
                fprintf(stderr, "jbridge: warning: cannot rename %s: %s\n", o->state, strerror(errno));
        } else if (r < 0 && r != -ENOENT) {
            fprintf(stderr, "jbridge: %s\n", err.msg);
            return r;
        }
    }
    int r;
    if (cursor) {
        r = jb_bridge_seek_cursor(b, cursor, &err);
        if (r == 0)
            fprintf(stderr,
                    "jbridge: warning: the entry of the saved cursor is no longer in the journal (vacuumed, or "
                    "another journal); resuming at the first entry after its position\n");
    } else if (o->tail) {
        r = jb_bridge_seek_tail(b, &err);
    } else {
        r = jb_bridge_seek_head(b, &err);
    }
    if (r < 0) fprintf(stderr, "jbridge: %s\n", err.msg);
    return r < 0 ? r : 0;
}

static int run(const options *o, run_ctx *ctx) {
    jb_error err = {0};
    jb_bridge *b = NULL;
    int r = jb_bridge_new(&o->cfg, &b, &err);
    if (r < 0) {
        fprintf(stderr, "jbridge: %s\n", err.msg);
        return r;
    }
    r = position(o, b);
    bool reported = r < 0; /* position() and save_state() print their own errors */
    uint64_t since_save = 0;
    while (r >= 0) {
        int n = jb_bridge_process(b, SAVE_EVERY_ENTRIES, write_record, ctx, &err);
        if (n < 0) {
            r = n;
            break;
        }
        since_save += (uint64_t)n;
        if (since_save >= SAVE_EVERY_ENTRIES || (n == 0 && since_save > 0)) {
            r = save_state(ctx, o, b);
            if (r < 0) {
                reported = true;
                break;
            }
            since_save = 0;
        }
        if (stop_requested) break;
        if (n > 0) continue;
        if (!o->follow) {
            /* One-shot without a state: nothing will continue a split line, deliver it as it is.
             * With a state, pending pieces stay for the next run (the state points before them). */
            if (!o->state) r = jb_bridge_flush(b, write_record, ctx, &err);
            break;
        }
        r = jb_bridge_expire(b, PARTIAL_MAX_AGE_USEC, write_record, ctx, &err);
        if (r >= 0) r = jb_bridge_wait(b, WAIT_USEC, &err);
    }
    if (r < 0 && !reported) {
        if (ctx->write_errno)
            fprintf(stderr, "jbridge: cannot write output: %s\n", strerror(ctx->write_errno));
        else
            fprintf(stderr, "jbridge: %s\n", err.msg);
    } else if (r >= 0) {
        r = save_state(ctx, o, b);
    }
    jb_bridge_free(b);
    return r;
}

int main(int argc, char **argv) {
    options o = {.app_out = "-", .audit_out = "-", .fmt = JB_FORMAT_OPTS_DEFAULT};
    jb_config_init(&o.cfg);
    int status = parse_args(argc, argv, &o);
    if (status < 0) {
        run_ctx ctx = {.fmt = &o.fmt};
        int r = output_open(&ctx.app, o.app_out);
        if (r < 0) {
            fprintf(stderr, "jbridge: cannot open %s: %s\n", o.app_out, strerror(-r));
            status = EXIT_FAILURE;
        } else if ((r = output_open(&ctx.audit, o.audit_out)) < 0) {
            fprintf(stderr, "jbridge: cannot open %s: %s\n", o.audit_out, strerror(-r));
            status = EXIT_FAILURE;
        } else {
            struct sigaction sa = {.sa_handler = on_signal};
            sigemptyset(&sa.sa_mask);
            sigaction(SIGTERM, &sa, NULL);
            sigaction(SIGINT, &sa, NULL);
            signal(SIGPIPE, SIG_IGN);
            status = run(&o, &ctx) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        if (ctx.app.f && !ctx.app.is_stdout) fclose(ctx.app.f);
        if (ctx.audit.f && !ctx.audit.is_stdout) fclose(ctx.audit.f);
        jb_buf_free(&ctx.line);
    }
    free(o.files);
    free(o.containers);
    free(o.images);
    free(o.matches);
    free(o.markers);
    return status;
}
