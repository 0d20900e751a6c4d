/* SPDX-License-Identifier: Apache-2.0 */
/* jbridge: read Docker's entries from the journal and write application and audit records as
 * RFC 5424 lines to two outputs. An adapter over the core (bridge.h): options in, lines out. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge.h"
#include "bundle.h"
#include "jbridge.h"
#include "outfile.h"
#include "partial.h"
#include "profile.h"
#include "resume.h"
#include "rfc5424.h"
#include "sd.h"
#include "state.h"
#include "timespec.h"

#define EXIT_USAGE 2
#define WAIT_USEC 500000u

volatile sig_atomic_t jb_cli_stop_requested;

static void on_signal(int sig) {
    (void)sig;
    jb_cli_stop_requested = 1;
}

int jb_cli_usage_error(const char *fmt, ...) {
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
    OPT_PROFILE,
    OPT_PATTERN,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_NO_READ_AHEAD,
    OPT_PER_HOST,
    OPT_TRUST,
    OPT_UNTRUSTED,
    OPT_AUDIT_CONTAINER,
    OPT_AUDIT_ANCHOR,
    OPT_CONTAINER_FIELD,
    OPT_COMPONENT,
    OPT_MESSAGE,
};

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
    {"no-read-ahead", no_argument, NULL, OPT_NO_READ_AHEAD},
    {"per-host", no_argument, NULL, OPT_PER_HOST},
    {"trust", required_argument, NULL, OPT_TRUST},
    {"untrusted", required_argument, NULL, OPT_UNTRUSTED},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"pattern", required_argument, NULL, OPT_PATTERN},
    {"audit-container", required_argument, NULL, OPT_AUDIT_CONTAINER},
    {"audit-anchor", required_argument, NULL, OPT_AUDIT_ANCHOR},
    {"container-field", required_argument, NULL, OPT_CONTAINER_FIELD},
    {"component", required_argument, NULL, OPT_COMPONENT},
    {"message", required_argument, NULL, OPT_MESSAGE},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"output", required_argument, NULL, 'o'},
    {"follow", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    JB_SEAL_LONGOPTS,
    {NULL, 0, NULL, 0},
};

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define GO_ON (-1) /* what the option parsers return to go on; anything else is an exit status */

static int push_option(const char ***list, size_t *n, const char *v) {
    if (push(list, n, v) >= 0) return GO_ON;
    fprintf(stderr, "jbridge: out of memory\n");
    return EXIT_FAILURE;
}

/* The options that take a value of a list setting, each value checked by the core as it comes. */
static int parse_list_option(int c, options *o) {
    static const struct {
        int c;
        const char *name;
        jb_config_setting setting;
        size_t list, n; /* offsets in options */
    } t[] = {
        {OPT_CONTAINER, "--container", JB_CONFIG_CONTAINERS, offsetof(options, containers),
         offsetof(options, n_containers)},
        {OPT_IMAGE, "--image", JB_CONFIG_IMAGES, offsetof(options, images), offsetof(options, n_images)},
        {OPT_MATCH, "--match", JB_CONFIG_MATCHES, offsetof(options, matches), offsetof(options, n_matches)},
        {OPT_MARKER, "--marker", JB_CONFIG_MARKERS, offsetof(options, markers), offsetof(options, n_markers)},
        {OPT_PATTERN, "--pattern", JB_CONFIG_PATTERNS, offsetof(options, patterns), offsetof(options, n_patterns)},
        {OPT_TRUST, "--trust", JB_CONFIG_TRUST, offsetof(options, cfg.trust), offsetof(options, cfg.n_trust)},
        {OPT_AUDIT_CONTAINER, "--audit-container", JB_CONFIG_AUDIT_CONTAINERS, offsetof(options, audit_containers),
         offsetof(options, n_audit_containers)},
        {OPT_CONTAINER_FIELD, "--container-field", JB_CONFIG_CONTAINER_FIELDS, offsetof(options, cfg.container_fields),
         offsetof(options, cfg.n_container_fields)},
        {OPT_COMPONENT, "--component", JB_CONFIG_COMPONENTS, offsetof(options, cfg.components),
         offsetof(options, cfg.n_components)},
    };
    jb_error err = {0};
    for (size_t i = 0; i < JB_ELEMENTSOF(t); i++) {
        if (t[i].c != c) continue;
        int r = jb_config_check_value(t[i].setting, optarg, &err);
        if (r == -ENOMEM) break;
        if (r < 0) return jb_cli_usage_error("%s %s", t[i].name, err.msg);
        return push_option((const char ***)((char *)o + t[i].list), (size_t *)((char *)o + t[i].n), optarg);
    }
    fprintf(stderr, "jbridge: out of memory\n");
    return EXIT_FAILURE;
}

/* The options that take a number. */
static int parse_number_option(int c, options *o) {
    static const struct {
        int c;
        const char *name;
        unsigned long long min, max;
        const char *expected;
    } t[] = {
        {OPT_SD_PEN, "--sd-pen", 1, UINT32_MAX, "a number from 1 to 4294967295"},
        {OPT_FAC_APP, "--facility-app", 0, 23, "0 to 23"},
        {OPT_FAC_AUDIT, "--facility-audit", 0, 23, "0 to 23"},
        {OPT_MAX_LINE, "--max-line", 1, JB_CONFIG_MAX_LINE_LIMIT, "a number of bytes from 1 to 1073741824"},
        {OPT_MAX_PENDING, "--max-pending", 1, JB_PARTIAL_MAX_PENDING_LIMIT,
         "a number from 1 to " STRINGIFY(JB_PARTIAL_MAX_PENDING_LIMIT)},
    };
    unsigned long long v;
    size_t i;
    for (i = 0; i + 1 < JB_ELEMENTSOF(t) && t[i].c != c; i++) continue;
    if (!parse_num(optarg, t[i].min, t[i].max, &v))
        return jb_cli_usage_error("%s '%s': expected %s", t[i].name, optarg, t[i].expected);
    if (c == OPT_SD_PEN) o->fmt.pen = (unsigned)v;
    if (c == OPT_FAC_APP) o->fmt.facility_app = (int)v;
    if (c == OPT_FAC_AUDIT) o->fmt.facility_audit = (int)v;
    if (c == OPT_MAX_LINE) o->cfg.max_line = (size_t)v;
    if (c == OPT_MAX_PENDING) o->cfg.max_pending = (size_t)v;
    return GO_ON;
}

/* One option: GO_ON, or an exit status. */
static int parse_option(int c, char **argv, options *o, int *sources) {
    jb_error err = {0};
    switch (c) {
    case 'D':
        if (jb_config_check_value(JB_CONFIG_DIRECTORY, optarg, &err) < 0)
            return jb_cli_usage_error("--directory %s", err.msg);
        o->cfg.source.kind = JB_SOURCE_DIRECTORY;
        o->cfg.source.directory = optarg;
        (*sources)++;
        return GO_ON;
    case OPT_FILE:
        if (o->cfg.source.kind != JB_SOURCE_FILES) (*sources)++;
        o->cfg.source.kind = JB_SOURCE_FILES;
        return push_option(&o->files, &o->n_files, optarg);
    case OPT_NAMESPACE:
        if (jb_config_check_value(JB_CONFIG_NAMESPACE, optarg, &err) < 0)
            return jb_cli_usage_error("--namespace %s", err.msg);
        o->cfg.source.kind = JB_SOURCE_NAMESPACE;
        o->cfg.source.name_space = optarg;
        (*sources)++;
        return GO_ON;
    case OPT_CONTAINER:
    case OPT_IMAGE:
    case OPT_MATCH:
    case OPT_MARKER:
    case OPT_PATTERN:
    case OPT_TRUST:
    case OPT_AUDIT_CONTAINER:
    case OPT_CONTAINER_FIELD:
    case OPT_COMPONENT:
        return parse_list_option(c, o);
    case OPT_MESSAGE:
        if (jb_config_check_value(JB_CONFIG_MESSAGE, optarg, &err) < 0)
            return jb_cli_usage_error("--message %s", err.msg);
        o->cfg.message = optarg;
        return GO_ON;
    case OPT_SD_PEN:
    case OPT_FAC_APP:
    case OPT_FAC_AUDIT:
    case OPT_MAX_LINE:
    case OPT_MAX_PENDING:
        return parse_number_option(c, o);
    case OPT_ALL:
        o->cfg.all_entries = true;
        return GO_ON;
    case OPT_UNTRUSTED:
        if (jb_untrusted_action_parse(optarg, &o->cfg.untrusted, &err) < 0)
            return jb_cli_usage_error("--untrusted %s", err.msg);
        return GO_ON;
    case OPT_PROFILE:
    case OPT_AUDIT_ANCHOR: /* a word the core checks */
        if (jb_config_check_value(c == OPT_PROFILE ? JB_CONFIG_PROFILE : JB_CONFIG_AUDIT_ANCHOR, optarg, &err) < 0)
            return jb_cli_usage_error("%s %s", c == OPT_PROFILE ? "--profile" : "--audit-anchor", err.msg);
        *(c == OPT_PROFILE ? &o->cfg.profile : &o->cfg.audit_anchor) = optarg;
        return GO_ON;
    case OPT_SINCE:
    case OPT_UNTIL:
    case 'o':
        if (!o->bundle) return jb_cli_usage_error("option '%s' belongs to 'jbridge bundle'", argv[optind - 1]);
        if (!*optarg) return jb_cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        *(c == OPT_SINCE ? &o->since : c == OPT_UNTIL ? &o->until : &o->bundle_out) = optarg;
        return GO_ON;
    case OPT_APP_OUT:
        o->app_out = optarg;
        return GO_ON;
    case OPT_AUDIT_OUT:
        o->audit_out = optarg;
        return GO_ON;
    case OPT_STATE:
        if (!*optarg) return jb_cli_usage_error("--state needs a file name");
        o->state = optarg;
        return GO_ON;
    case OPT_TAIL:
        o->tail = true;
        return GO_ON;
    case OPT_NO_READ_AHEAD:
        o->cfg.read_ahead = false;
        return GO_ON;
    case 'f':
        o->follow = true;
        return GO_ON;
    case 'h':
        jb_cli_help();
        return EXIT_SUCCESS;
    case 'V':
        printf("jbridge %s\n", PACKAGE_VERSION);
        return EXIT_SUCCESS;
    case JB_OPT_SEAL_KEY:
    case JB_OPT_SEAL_STREAMS:
    case JB_OPT_SEAL_EPOCH_RECORDS:
    case JB_OPT_SEAL_EPOCH_SECONDS:
    case JB_OPT_SEAL_HEARTBEAT:
        return jb_cli_seal_option(c, optarg, o);
    case ':':
        return jb_cli_usage_error("option '%s' needs an argument", argv[optind - 1]);
    default:
        return jb_cli_usage_error("unknown option '%s'", argv[optind - 1]);
    }
}

/* The bundle's own options, once all are read: GO_ON, or an exit status. */
static int check_bundle(options *o) {
    static const char time_expected[] =
        "expected a time such as \"2018-03-27 21:55:29\", \"2018-03-27T21:55:29Z\", @1522187729, yesterday or -1h";
    if (o->follow || o->state || o->tail || strcmp(o->app_out, "-") != 0 || strcmp(o->audit_out, "-") != 0)
        return jb_cli_usage_error("bundle takes no --follow, --state, --tail, --app-out or --audit-out");
    if (!o->since) return jb_cli_usage_error("bundle needs --since");
    if (jb_parse_time_spec(o->since, &o->since_usec) < 0)
        return jb_cli_usage_error("--since '%s': %s", o->since, time_expected);
    o->until_usec = JB_BUNDLE_NO_LIMIT;
    if (o->until && jb_parse_time_spec(o->until, &o->until_usec) < 0)
        return jb_cli_usage_error("--until '%s': %s", o->until, time_expected);
    if (o->until_usec < o->since_usec) return jb_cli_usage_error("--until is before --since");
    if (!o->bundle_out) return jb_cli_usage_error("bundle needs -o FILE");
    return GO_ON;
}

/* GO_ON (-1), or an exit status. */
static int parse_args(int argc, char **argv, options *o) {
    int sources = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":D:fhVo:", longopts, NULL)) != -1) {
        if (c == OPT_PER_HOST) { /* issue 19 (here: parse_option is full) */
            o->cfg.source.per_host = true;
            continue;
        }
        int r = parse_option(c, argv, o, &sources);
        if (r != GO_ON) return r;
    }
    if (optind < argc) return jb_cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (sources > 1) return jb_cli_usage_error("give only one of --directory, --file and --namespace");
    if (o->cfg.source.per_host && !o->cfg.source.directory) return jb_cli_usage_error("--per-host needs --directory");
    if (o->bundle && (c = check_bundle(o)) != GO_ON) return c;
    if ((c = jb_cli_seal_check(o)) != GO_ON) return c;
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
    o->cfg.patterns = o->patterns;
    o->cfg.n_patterns = o->n_patterns;
    o->cfg.audit_containers = o->audit_containers, o->cfg.n_audit_containers = o->n_audit_containers;
    return GO_ON;
}

typedef struct run_ctx {
    jb_outfile files[2]; /* the application and the audit output */
    jb_outfile *out[2];  /* by stream: one of files[]; both the first when they are one file */
    unsigned said[2];    /* files[i]: the reasons (1 << jb_outfile_status) it is not cut back, said */
    const jb_format_opts *fmt;
    jb_buf line;
    int write_errno;
    bool state_failing;   /* following: the last state save failed (said once, retried at each checkpoint) */
    jb_cli_report report; /* progress and summary on a terminal (jbridge-report.c) */
    jb_cli_seal *seal;    /* NULL: no sealing */
} run_ctx;

static int write_record(const jb_record *rec, void *userdata) {
    run_ctx *ctx = userdata;
    jb_buf_reset(&ctx->line);
    int r = jb_rfc5424_format(rec, ctx->fmt, &ctx->line);
    if (r < 0) return r;
    if (ctx->seal && (r = jb_cli_seal_record(ctx->seal, rec, &ctx->line)) < 0) {
        ctx->write_errno = -r; /* said */
        return r;
    }
    jb_error err = {0};
    r = jb_outfile_add(ctx->out[rec->stream == JB_STREAM_AUDIT], ctx->line.data, ctx->line.len, &err);
    if (r < 0) {
        ctx->write_errno = -r;
        jb_cli_report_clear();
        fprintf(stderr, "jbridge: %s\n", err.msg);
    } else {
        jb_cli_report_record(&ctx->report, rec);
    }
    return r < 0 ? r : 0;
}

/* Entries vacuumed before they were read: said once per gap, on standard error. */
int jb_cli_report_gap(const jb_gap *gap, void *userdata) {
    (void)userdata;
    char msg[512];
    jb_gap_describe(gap, msg, sizeof msg);
    jb_cli_report_clear();
    fprintf(stderr, "jbridge: warning: gap: %s\n", msg);
    return 0;
}

/* Say once why files[i] is not cut back: a crash may then leave records twice in it (outfile.h). */
static void say_not_cut(run_ctx *ctx, int i) {
    static const char *const why[] = {
        [JB_OUTFILE_NOT_REGULAR] = "is not a regular file",
        [JB_OUTFILE_NO_LENGTH] = "has no length in the state file",
        [JB_OUTFILE_REPLACED] = "is not the file the state file recorded",
        [JB_OUTFILE_SHORTER] = "is shorter than the state file recorded",
        [JB_OUTFILE_FOREIGN] = "is appended to by another writer",
    };
    const jb_outfile *f = &ctx->files[i];
    if (f->status == JB_OUTFILE_CUTTABLE || (ctx->said[i] & (1u << f->status))) return;
    ctx->said[i] |= 1u << f->status;
    jb_cli_report_clear();
    if (f->cuttable) /* only this start: cut back again from the next save on */
        fprintf(stderr,
                "jbridge: warning: %s %s: not cut back at this start, records written after the last save "
                "may appear twice in it\n",
                f->path, why[f->status]);
    else
        fprintf(stderr,
                "jbridge: warning: %s %s: never cut back, after a crash the records written since the last "
                "save may appear twice in it\n",
                f->path, why[f->status]);
}

static int sync_outputs(run_ctx *ctx, bool durable) {
    for (int i = 0; i < 2; i++) {
        if (i == 1 && ctx->out[1] == ctx->out[0]) break;
        jb_error err = {0};
        int r = jb_outfile_flush(&ctx->files[i], durable, &err);
        if (r < 0) {
            jb_cli_report_clear();
            fprintf(stderr, "jbridge: %s\n", err.msg);
            return r;
        }
        if (durable) say_not_cut(ctx, i);
    }
    return 0;
}

/* After positioning: cut each output file back to the length the state recorded with its cursor
 * (outfile.h), or say once why it is not. */
static int cut_back(run_ctx *ctx, const options *o, const jb_resume_info *info) {
    bool start = info->outcome == JB_RESUME_NO_STATE || info->outcome == JB_RESUME_SET_ASIDE;
    for (int i = 0; i < 2; i++) {
        if (i == 1 && ctx->out[1] == ctx->out[0]) break;
        jb_error err = {0};
        uint64_t cut;
        if (jb_outfile_cut_back(&ctx->files[i], &info->out[i], start, &cut, &err) < 0) {
            fprintf(stderr, "jbridge: %s\n", err.msg);
            return -1;
        }
        if (o->state) say_not_cut(ctx, i);
    }
    return 0;
}

/* Split lines that got no piece for 5 s of journal time go out before each save (bridge.h), and
 * before a stop line ends the sealed chains. */
static int expire_pending(run_ctx *ctx, const options *o, jb_bridge *b) {
    jb_error err = {0};
    int r = o->state ? jb_bridge_expire_journal(b, write_record, ctx, &err) : 0;
    if (r < 0 && !ctx->write_errno) fprintf(stderr, "jbridge: %s\n", err.msg);
    return r;
}

/* Flush the outputs, then record how far they go. */
static int save_state(run_ctx *ctx, const options *o, jb_bridge *b) {
    jb_error err = {0};
    int r = expire_pending(ctx, o, b);
    if (r < 0) return r;
    r = sync_outputs(ctx, o->state != NULL);
    if (r >= 0 && !o->state && ctx->seal) jb_cli_seal_unsaved(ctx->seal, b);
    if (r < 0 || !o->state) return r;
    jb_state st = {.cursor = (char *)jb_bridge_checkpoint(b), .read_cursor = (char *)jb_bridge_read_cursor(b)};
    if (!st.cursor) return 0;
    for (int i = 0; i < 2; i++) st.out[i] = jb_outfile_mark(ctx->out[i]);
    jb_bridge_checkpoint_sequence(b, &st.seq_app, &st.seq_audit);
    r = ctx->seal ? jb_cli_seal_save(ctx->seal, o->state, &st, &err) : jb_state_write(o->state, &st, &err);
    if (r < 0 || ctx->state_failing) jb_cli_report_clear(); /* a line to say below */
    if (r < 0 && o->follow && !jb_cli_stop_requested) {
        /* Following goes on: the position stays in memory and is saved at the next checkpoint. */
        if (!ctx->state_failing)
            fprintf(stderr, "jbridge: warning: %s; still following, saving again at each checkpoint\n", err.msg);
        ctx->state_failing = true;
        return 0;
    }
    if (r < 0) {
        fprintf(stderr, "jbridge: %s\n", err.msg);
        return r;
    }
    if (ctx->state_failing) fprintf(stderr, "jbridge: state saved again to %s\n", o->state);
    ctx->state_failing = false;
    return r;
}

/* Position the reader as the core's resume policy says (resume.h), and say what it did. */
static int position(const options *o, jb_bridge *b, jb_resume_info *ret_info) {
    jb_error err = {0};
    jb_resume_info info;
    int r = jb_bridge_resume(b, o->state, o->tail, &info, &err);
    *ret_info = info;
    if (info.outcome == JB_RESUME_SET_ASIDE) {
        fprintf(stderr,
                "jbridge: warning: %s; moved it to %s" JB_STATE_BAD_SUFFIX " and reading from the %s of the journal\n",
                info.bad.msg, o->state, o->tail ? "end" : "start");
        if (info.aside.code < 0) fprintf(stderr, "jbridge: warning: %s\n", info.aside.msg);
    }
    if (r < 0) {
        fprintf(stderr, "jbridge: %s\n", err.msg);
        return r;
    }
    if (info.outcome == JB_RESUMED_AFTER_GONE)
        fprintf(stderr,
                "jbridge: warning: the entry of the saved cursor is no longer in the journal (vacuumed, or "
                "another journal); resuming at the first entry after its position\n");
    return 0;
}

/* Following with sealing: heartbeats, and a save when the epoch is due (the save moves it). */
static int seal_tick(run_ctx *ctx, const options *o, jb_bridge *b) {
    bool save = false;
    int r = jb_cli_seal_tick(ctx->seal, ctx->out, &save);
    return r >= 0 && save ? save_state(ctx, o, b) : r;
}

static int run(const options *o, run_ctx *ctx) {
    jb_error err = {0};
    jb_bridge *b = NULL;
    int r = jb_bridge_new(&o->cfg, &b, &err);
    if (r < 0) {
        fprintf(stderr, "jbridge: %s\n", err.msg);
        return r;
    }
    jb_bridge_set_gap_cb(b, jb_cli_report_gap, NULL);
    jb_cli_report_unreadable(b);
    jb_resume_info info;
    r = position(o, b, &info);
    if (r >= 0) r = cut_back(ctx, o, &info);
    if (r >= 0) r = jb_cli_seal_start(o, &info, &ctx->seal);
    bool reported = r < 0; /* position() and save_state() print their own errors */
    uint64_t since_save = 0;
    while (r >= 0) {
        int n = jb_bridge_process(b, SAVE_EVERY_ENTRIES, write_record, ctx, &err);
        if (n < 0) {
            r = n;
            break;
        }
        since_save += (uint64_t)n;
        jb_cli_report_progress(&ctx->report, jb_bridge_stats(b), n == 0 && o->follow ? "(following)" : NULL);
        if (since_save >= SAVE_EVERY_ENTRIES || (n == 0 && since_save > 0)) {
            r = save_state(ctx, o, b);
            if (r < 0) {
                reported = true;
                break;
            }
            since_save = 0;
        }
        if (jb_cli_stop_requested) break;
        if (ctx->seal && o->follow && (r = seal_tick(ctx, o, b)) < 0) {
            reported = true;
            break;
        }
        if (n > 0) continue;
        if (!o->follow) {
            /* One-shot without a state: nothing will continue a split line, deliver it as it is.
             * With a state, the save delivers the lines that got no piece for 5 s of journal time;
             * younger ones stay for the next run, which reads them again without delivering twice
             * what followed them (the state's read= line, jb_bridge_set_replay()). */
            if (!o->state) r = jb_bridge_flush(b, write_record, ctx, &err);
            break;
        }
        r = jb_bridge_expire(b, JB_SPLIT_MAX_AGE_USEC, write_record, ctx, &err);
        /* what expired goes out before waiting (after the saved length: cut back after a crash) */
        if (r >= 0 && (r = sync_outputs(ctx, false)) < 0) reported = true;
        if (r >= 0) r = jb_bridge_wait(b, WAIT_USEC, &err);
    }
    if (r < 0 && !reported) {
        jb_cli_report_clear();
        if (!ctx->write_errno) fprintf(stderr, "jbridge: %s\n", err.msg); /* a write error was said */
        (void)sync_outputs(ctx, false); /* the whole records written before the error */
    } else if (r >= 0) {
        r = expire_pending(ctx, o, b); /* the stop line comes after every record */
        if (r >= 0 && ctx->seal && jb_cli_seal_stop(ctx->seal, ctx->out) < 0) r = -1; /* said; the records are saved */
        int s = save_state(ctx, o, b);
        r = r < 0 ? r : s;
    }
    if (r >= 0) jb_cli_report_summary(&ctx->report, jb_bridge_stats(b), jb_cli_stop_requested ? "stopped" : "done");
    ctx->seal = jb_cli_seal_free(ctx->seal);
    jb_bridge_free(b);
    return r;
}

int main(int argc, char **argv) {
    options o = {.app_out = "-", .audit_out = "-", .fmt = JB_FORMAT_OPTS_DEFAULT};
    jb_config_init(&o.cfg);
    if (argc > 1 && strcmp(argv[1], "keygen") == 0) return jb_cli_keygen(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "verify") == 0) return jb_cli_verify(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "bundle") == 0) {
        /* "jbridge bundle ...": the same options after the word, plus the bundle's own */
        o.bundle = true;
        argv[1] = argv[0];
        argc--;
        argv++;
    }
    int status = parse_args(argc, argv, &o);
    if (status < 0 && jb_cli_check_paths(&o) < 0) status = EXIT_FAILURE; /* before reading */
    if (status < 0 && o.bundle) {
        struct sigaction sa = {.sa_handler = on_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        status = jb_cli_bundle(&o) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    } else if (status < 0) {
        jb_sd_cache sd_cache = {0};
        o.fmt.sd_cache = &sd_cache;
        run_ctx ctx = {.fmt = &o.fmt, .out = {&ctx.files[0], &ctx.files[1]}};
        jb_cli_report_init(&ctx.report, "jbridge", !strcmp(o.app_out, "-") || !strcmp(o.audit_out, "-"));
        jb_error err = {0};
        if (jb_outfile_open(&ctx.files[0], o.app_out, &err) < 0 ||
            jb_outfile_open(&ctx.files[1], o.audit_out, &err) < 0) {
            fprintf(stderr, "jbridge: %s\n", err.msg);
            status = EXIT_FAILURE;
        } else {
            /* one file for both streams: one writer, so records never interleave mid-line */
            if (jb_outfile_same(&ctx.files[0], &ctx.files[1])) ctx.out[1] = &ctx.files[0];
            struct sigaction sa = {.sa_handler = on_signal};
            sigemptyset(&sa.sa_mask);
            sigaction(SIGTERM, &sa, NULL);
            sigaction(SIGINT, &sa, NULL);
            signal(SIGPIPE, SIG_IGN);
            status = run(&o, &ctx) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        jb_outfile_done(&ctx.files[0]);
        jb_outfile_done(&ctx.files[1]);
        jb_buf_done(&ctx.line);
        jb_sd_cache_done(&sd_cache);
    }
    free(o.files);
    free(o.containers);
    free(o.images);
    free(o.matches);
    free(o.markers);
    free(o.patterns);
    free(o.audit_containers);
    free((void *)o.cfg.container_fields);
    free((void *)o.cfg.components);
    return status;
}
