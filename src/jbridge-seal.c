/* SPDX-License-Identifier: Apache-2.0 */
/* jbridge's sealing (doc/sealing.md): "jbridge keygen", the --seal-* options, and what the command
 * does with the sealer (seal.h): each record sealed as the verifier will read it, the chains saved
 * with the cursor, the epoch moved after a durable save that covers everything, heartbeats while
 * following and a stop at a clean end. */

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jbridge.h"
#include "seal.h"
#include "timestamp.h"

#define EXIT_USAGE 2

struct jb_cli_seal {
    jb_sealer *sealer;
    const jb_seal_config *cfg;
    const jb_format_opts *fmt;
    char *host[2]; /* by stream: the HOSTNAME of the last sealed record, for heartbeats */
    bool commit_failing;
};

/* ---- options ---- */

/* Seconds from 1 to JB_SEAL_SECONDS_MAX, or records from 1 to JB_SEAL_EPOCH_RECORDS_MAX. */
static bool parse_count(const char *s, uint64_t max, uint64_t *ret) {
    uint64_t v;
    if (!*s || strlen(s) > 20 || jb_parse_u64(s, strlen(s), &v) < 0 || v < 1 || v > max) return false;
    *ret = v;
    return true;
}

int jb_cli_seal_option(int c, const char *arg, options *o) {
    jb_seal_config *s = &o->cfg.seal;
    jb_error err = {0};
    uint64_t v;
    o->seal_options++;
    switch (c) {
    case JB_OPT_SEAL_KEY:
        if (!*arg) return jb_cli_usage_error("--seal-key needs a file name");
        s->key_path = arg;
        o->seal_options--;
        return -1;
    case JB_OPT_SEAL_STREAMS:
        if (jb_seal_streams_parse(arg, s->streams, &err) < 0) return jb_cli_usage_error("--seal-streams %s", err.msg);
        return -1;
    case JB_OPT_SEAL_EPOCH_RECORDS:
        if (!parse_count(arg, JB_SEAL_EPOCH_RECORDS_MAX, &v))
            return jb_cli_usage_error("--seal-epoch-records '%s': expected a number from 1 to %u", arg,
                                      JB_SEAL_EPOCH_RECORDS_MAX);
        s->epoch_records = v;
        return -1;
    case JB_OPT_SEAL_EPOCH_SECONDS:
    case JB_OPT_SEAL_HEARTBEAT: {
        const char *name = c == JB_OPT_SEAL_HEARTBEAT ? "--seal-heartbeat" : "--seal-epoch-seconds";
        if (!parse_count(arg, JB_SEAL_SECONDS_MAX, &v))
            return jb_cli_usage_error("%s '%s': expected a number of seconds from 1 to %u", name, arg,
                                      JB_SEAL_SECONDS_MAX);
        *(c == JB_OPT_SEAL_HEARTBEAT ? &s->heartbeat_usec : &s->epoch_usec) = v * 1000000u;
        return -1;
    }
    default:
        return jb_cli_usage_error("unknown option");
    }
}

int jb_cli_seal_check(const options *o) {
    if (o->cfg.seal.key_path && o->bundle) return jb_cli_usage_error("bundle takes no --seal-key");
    if (o->seal_options > 0 && !o->cfg.seal.key_path)
        return jb_cli_usage_error("the --seal-* options need --seal-key FILE");
    return -1;
}

/* ---- jbridge keygen ---- */

int jb_cli_keygen(int argc, char **argv) {
    static const struct option opts[] = {
        {"seal-key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'k') {
            path = optarg;
        } else if (c == 'h') {
            printf(
                "Usage: jbridge keygen --seal-key=FILE\n"
                "Make a new seal key file FILE (mode 0600; an existing FILE is never replaced) and print\n"
                "its verification key line on standard output. Keep that line off the host.\n");
            return EXIT_SUCCESS;
        } else if (c == ':') {
            return jb_cli_usage_error("option '%s' needs an argument", argv[optind - 1]);
        } else {
            return jb_cli_usage_error("keygen: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return jb_cli_usage_error("keygen: unexpected argument '%s'", argv[optind]);
    if (!path || !*path) return jb_cli_usage_error("keygen needs --seal-key FILE");
    char line[JB_SEAL_VERIFY_LINE_MAX];
    jb_error err = {0};
    if (jb_seal_keygen(path, line, &err) < 0) {
        fprintf(stderr, "jbridge: %s\n", err.msg);
        return EXIT_FAILURE;
    }
    printf("%s\n", line);
    explicit_bzero(line, sizeof line);
    return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- sealing while running ---- */

int jb_cli_seal_start(const options *o, const jb_resume_info *info, jb_cli_seal **ret) {
    *ret = NULL;
    if (!o->cfg.seal.key_path) return 0;
    jb_cli_seal *cs = calloc(1, sizeof *cs);
    if (!cs) {
        fprintf(stderr, "jbridge: out of memory\n");
        return -ENOMEM;
    }
    cs->cfg = &o->cfg.seal;
    cs->fmt = &o->fmt;
    jb_error err = {0};
    int r = jb_sealer_new(&o->cfg.seal, &cs->sealer, &err);
    jb_seal_restore how = JB_SEAL_NEW_CHAIN;
    bool resumed = info->outcome == JB_RESUMED || info->outcome == JB_RESUMED_AFTER_GONE;
    if (r >= 0) r = jb_sealer_restore(cs->sealer, info->seal[0], info->seal[1], &how, &err);
    if (r == -EBADMSG) {
        fprintf(stderr, "jbridge: warning: sealing: %s (state file %s); starting new chains\n", err.msg, o->state);
        r = jb_sealer_restore(cs->sealer, NULL, NULL, &how, &err);
        how = JB_SEAL_CONTINUED; /* said */
    }
    if (r < 0) {
        fprintf(stderr, "jbridge: %s\n", err.msg);
        jb_cli_seal_free(cs);
        return r;
    }
    static const char *const why[] = {
        [JB_SEAL_NEW_CHAIN] = "",
        [JB_SEAL_KEY_CHANGED] = "the state's chains were sealed by another key",
        [JB_SEAL_KEY_AHEAD] = "the key file is at a later epoch than the state (a state restored from a backup?)",
    };
    if (how == JB_SEAL_NEW_CHAIN)
        fprintf(stderr, "jbridge: sealing: new chains start (%s)\n",
                !o->state                              ? "no --state: each run starts new chains"
                : info->outcome == JB_RESUME_SET_ASIDE ? "the state file was set aside"
                : resumed                              ? "the state file has no seal lines"
                                                       : "no state file yet");
    else if (how != JB_SEAL_CONTINUED)
        fprintf(stderr, "jbridge: warning: sealing: new chains start: %s\n", why[how]);
    *ret = cs;
    return 0;
}

jb_cli_seal *jb_cli_seal_free(jb_cli_seal *cs) {
    if (!cs) return NULL;
    jb_sealer_free(cs->sealer);
    free(cs->host[0]);
    free(cs->host[1]);
    free(cs);
    return NULL;
}

int jb_cli_seal_record(jb_cli_seal *cs, const jb_record *rec, jb_buf *line) {
    jb_error err = {0};
    int r = jb_sealer_seal_line(cs->sealer, rec, line, &err);
    if (r < 0) {
        fprintf(stderr, "jbridge: sealing record %s: %s\n", rec->record_id, err.msg);
        return r;
    }
    if (r == 0 && (!cs->host[rec->stream] || strcmp(cs->host[rec->stream], rec->hostname) != 0)) {
        char *h = strdup(rec->hostname);
        if (h) { /* else the heartbeat names the previous one */
            free(cs->host[rec->stream]);
            cs->host[rec->stream] = h;
        }
    }
    return 0;
}

/* Write the key file of an epoch move (a no-op when none is pending); said once while it fails. */
static void commit(jb_cli_seal *cs) {
    jb_error err = {0};
    if (jb_sealer_evolve_commit(cs->sealer, &err) < 0) {
        if (!cs->commit_failing) fprintf(stderr, "jbridge: warning: sealing: %s; trying again at each save\n", err.msg);
        cs->commit_failing = true;
    } else if (cs->commit_failing) {
        fprintf(stderr, "jbridge: sealing: key file %s saved again\n", cs->cfg->key_path);
        cs->commit_failing = false;
    }
}

/* After a save (durable, at st's checkpoint): move the epoch if it is due and every sealed record
 * is covered: the next key and the transition proofs, the state again with the new chains (path
 * NULL: no state), then the key file. Else write the key file of a move still pending. */
static void move_epoch(jb_cli_seal *cs, const char *path, jb_state *st) {
    jb_error err = {0};
    if (!jb_sealer_epoch_due(cs->sealer, jb_now_usec(CLOCK_MONOTONIC)) || jb_sealer_evolve_begin(cs->sealer) < 0) {
        commit(cs);
        return;
    }
    if (path) {
        char *seal[2] = {NULL, NULL};
        int r = jb_sealer_snapshot(cs->sealer, st->seq_app, st->seq_audit, seal);
        st->seal[0] = seal[0], st->seal[1] = seal[1];
        if (r >= 0) r = jb_state_write(path, st, &err);
        free(seal[0]);
        free(seal[1]);
        st->seal[0] = st->seal[1] = NULL;
        if (r < 0) { /* the key file keeps the old key until a save holds the new chains */
            fprintf(stderr, "jbridge: warning: sealing: the epoch did not move: %s\n",
                    r == -ENOMEM ? "out of memory" : err.msg);
            return;
        }
    }
    commit(cs);
}

int jb_cli_seal_save(jb_cli_seal *cs, const char *path, jb_state *st, jb_error *err) {
    char *seal[2] = {NULL, NULL};
    if (jb_sealer_snapshot(cs->sealer, st->seq_app, st->seq_audit, seal) < 0)
        return jb_error_set(err, -ENOMEM, "out of memory");
    st->seal[0] = seal[0], st->seal[1] = seal[1];
    int r = jb_state_write(path, st, err);
    free(seal[0]);
    free(seal[1]);
    st->seal[0] = st->seal[1] = NULL;
    if (r < 0) return r;
    jb_sealer_release(cs->sealer, st->seq_app, st->seq_audit, true);
    /* a commit that failed before is tried again once a state with the new chains is saved */
    move_epoch(cs, path, st);
    return 0;
}

void jb_cli_seal_unsaved(jb_cli_seal *cs, const jb_bridge *b) {
    uint32_t app, audit;
    jb_bridge_checkpoint_sequence(b, &app, &audit);
    /* no state: nothing is sealed again after a restart (new chains), so nothing is kept */
    jb_sealer_release(cs->sealer, app, audit, true);
    move_epoch(cs, NULL, NULL);
}

/* A heartbeat or stop line of stream st into line: APP-NAME jbridge, MSGID the stream, the seal in
 * jbridge@PEN. 1: the stream has no chain with records. */
static int beat_line(jb_cli_seal *cs, jb_stream st, const char *beat, jb_buf *line) {
    /* the stream's PRI as for any of its records without a facility of its own, severity info */
    const jb_record as_record = {.stream = st, .severity = 6, .facility = -1};
    uint64_t now = jb_now_usec(CLOCK_REALTIME);
    char host[256] = "";
    if (cs->host[st])
        snprintf(host, sizeof host, "%s", cs->host[st]);
    else if (gethostname(host, sizeof host - 1) < 0)
        host[0] = 0;
    jb_buf_reset(line);
    int r = jb_buf_printf(line, "<%d>1 ", jb_record_pri(&as_record, cs->fmt->facility_app, cs->fmt->facility_audit));
    if (r >= 0) r = jb_format_time(line, now);
    if (r >= 0) r = jb_buf_putc(line, ' ');
    if (r >= 0) r = jb_rfc5424_header(line, host, JB_HEADER_HOSTNAME);
    /* stream= as imjbridge writes it: a central server's mmjbridge files the line by it */
    if (r >= 0)
        r = jb_buf_printf(line, " jbridge - %s [jbridge@%u stream=\"%s\"", jb_stream_name(st), cs->fmt->pen,
                          jb_stream_name(st));
    if (r >= 0) r = jb_sealer_beat(cs->sealer, st, beat, now, jb_now_usec(CLOCK_MONOTONIC), line);
    if (r == 0) r = jb_buf_printf(line, "] seal %s\n", beat);
    return r;
}

static int write_beats(jb_cli_seal *cs, jb_outfile *out[2], const char *beat, bool only_due) {
    _cleanup_(jb_buf_done) jb_buf line = JB_BUF_INIT;
    uint64_t now = jb_now_usec(CLOCK_MONOTONIC);
    for (int i = 0; i < 2; i++) {
        if (only_due && !jb_sealer_beat_due(cs->sealer, (jb_stream)i, now)) continue;
        int r = beat_line(cs, (jb_stream)i, beat, &line);
        if (r == 1) continue;
        if (r < 0) {
            fprintf(stderr, "jbridge: out of memory\n");
            return r;
        }
        jb_error err = {0};
        r = jb_outfile_add(out[i], line.data, line.len, &err);
        if (r < 0) {
            fprintf(stderr, "jbridge: %s\n", err.msg);
            return r;
        }
    }
    return 0;
}

int jb_cli_seal_tick(jb_cli_seal *cs, jb_outfile *out[2], bool *ret_save) {
    *ret_save = jb_sealer_covered(cs->sealer) && jb_sealer_epoch_due(cs->sealer, jb_now_usec(CLOCK_MONOTONIC));
    return write_beats(cs, out, "heartbeat", true);
}

int jb_cli_seal_stop(jb_cli_seal *cs, jb_outfile *out[2]) {
    return write_beats(cs, out, "stop", false);
}
