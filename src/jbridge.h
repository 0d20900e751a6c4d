/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What the files of the jbridge command share (not a library interface): its options, the stop
 * flag its signal handlers set, and the subcommands kept in files of their own. */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "bridge.h"
#include "outfile.h"
#include "resume.h"
#include "rfc5424.h"
#include "state.h"

/* Entries read between two saves of the state (and between two progress lines of a bundle). */
#define SAVE_EVERY_ENTRIES 10000

typedef struct options {
    jb_config cfg;
    const char **files, **containers, **images, **matches, **markers, **patterns, **audit_containers;
    size_t n_files, n_containers, n_images, n_matches, n_markers, n_patterns, n_audit_containers;
    /* jbridge bundle */
    bool bundle;
    const char *since, *until, *bundle_out;
    uint64_t since_usec, until_usec;
    const char *app_out, *audit_out, *state;
    bool follow, tail;
    jb_format_opts fmt;
    unsigned seal_options; /* --seal-* options other than --seal-key given */
} options;

/* Set by SIGTERM and SIGINT: finish the current batch, save and stop. */
extern volatile sig_atomic_t jb_cli_stop_requested;

/* Says a gap (entries vacuumed before they were read) on standard error; a jb_gap_cb. */
int jb_cli_report_gap(const jb_gap *gap, void *userdata);

/* jbridge bundle (jbridge-bundle.c): the records of o's time range into one .tar.gz. 0, or a
 * negative errno after saying why on standard error. */
int jb_cli_bundle(const options *o);

/* "jbridge: MESSAGE" and the --help hint on standard error; returns the usage exit status (2). */
int jb_cli_usage_error(const char *fmt, ...) _printf_(1, 2);

/* jbridge-help.c: the text of --help on standard output. */
void jb_cli_help(void);

/* jbridge-check.c: the state file and the bundle's archive checked before anything is read (paths.h).
 * 0, or a negative errno after saying why on standard error, naming the path. */
int jb_cli_check_paths(const options *o);

/* Say each journal file of the source that could not be opened (a warning: the others are read). */
void jb_cli_report_unreadable(const jb_bridge *b);
/* The progress line and the summary (jbridge-report.c): only when standard error is a terminal. */
typedef struct jb_cli_report {
    const char *what;    /* the line's prefix: "jbridge", "jbridge bundle" */
    bool tty;            /* standard error is a terminal: otherwise every call does nothing */
    bool progress;       /* ... and standard output is not one that records go to */
    bool shown;          /* a progress line is on the terminal */
    uint64_t start;      /* CLOCK_MONOTONIC usec, for the summary's duration */
    uint64_t last;       /* ... of the last progress line */
    uint64_t records[2]; /* records written (taken, for a bundle): application, audit */
    uint64_t flagged;    /* ... of which flagged in jbridge@PEN: malformed audit, incomplete or cut line */
} jb_cli_report;

/* uses_stdout: records (or the archive) go to standard output ("-"). */
void jb_cli_report_init(jb_cli_report *r, const char *what, bool uses_stdout);
/* Count a record written (or taken into a bundle). */
void jb_cli_report_record(jb_cli_report *r, const jb_record *rec);
/* Rewrite the progress line (at most every 250 ms), state (may be NULL) after the counts. */
void jb_cli_report_progress(jb_cli_report *r, const jb_stats *st, const char *state);
/* Erase the progress line, before a warning is printed. */
void jb_cli_report_clear(void);
/* The one-line summary: "WHAT: [DONE: ]N entries read; records: app N, audit N; flagged N,
 * untrusted N, gaps N (S s)". */
void jb_cli_report_summary(jb_cli_report *r, const jb_stats *st, const char *done);
/* jbridge verify (jbridge-verify.c): argv[0] is "verify". The exit status. */
int jb_cli_verify(int argc, char **argv);

/* ---- sealing (jbridge-seal.c, doc/sealing.md) ---- */

/* The --seal-* options (values above the other option codes of jbridge.c). */
enum {
    JB_OPT_SEAL_KEY = 512,
    JB_OPT_SEAL_STREAMS,
    JB_OPT_SEAL_EPOCH_RECORDS,
    JB_OPT_SEAL_EPOCH_SECONDS,
    JB_OPT_SEAL_HEARTBEAT,
};
#define JB_SEAL_LONGOPTS                                                              \
    {"seal-key", required_argument, NULL, JB_OPT_SEAL_KEY},                           \
        {"seal-streams", required_argument, NULL, JB_OPT_SEAL_STREAMS},               \
        {"seal-epoch-records", required_argument, NULL, JB_OPT_SEAL_EPOCH_RECORDS},   \
        {"seal-epoch-seconds", required_argument, NULL, JB_OPT_SEAL_EPOCH_SECONDS}, { \
        "seal-heartbeat", required_argument, NULL, JB_OPT_SEAL_HEARTBEAT              \
    }
/* One --seal-* option into o->cfg.seal: -1 to go on, or an exit status after saying why. */
int jb_cli_seal_option(int c, const char *arg, options *o);
/* Once all options are read: -1, or a usage error's exit status (seal options without --seal-key,
 * or with bundle). */
int jb_cli_seal_check(const options *o);

/* jbridge keygen --seal-key FILE (argv[0] is "keygen"): the exit status. */
int jb_cli_keygen(int argc, char **argv);

/* The command's sealing while it runs: NULL when it does not seal. */
typedef struct jb_cli_seal jb_cli_seal;
/* After the reader was positioned (info): the sealer from the key file, its chains from the state
 * it resumed from; says on standard error when new chains start and why. 0 (*ret NULL without
 * --seal-key), or a negative errno after saying why. */
int jb_cli_seal_start(const options *o, const jb_resume_info *info, jb_cli_seal **ret);
jb_cli_seal *jb_cli_seal_free(jb_cli_seal *cs);
/* Seal the formatted record in line, in place (nothing for an unsealed stream). 0, or a negative
 * errno after saying why. */
int jb_cli_seal_record(jb_cli_seal *cs, const jb_record *rec, jb_buf *line);
/* Save st durably to path with the chains at its checkpoint sequences, forget the records it
 * covers, and move the epoch when due (a second save, then the key file). Returns as
 * jb_state_write(); warnings about the epoch are said here. */
int jb_cli_seal_save(jb_cli_seal *cs, const char *path, jb_state *st, jb_error *err);
/* Without --state, at each save point: nothing is kept for a restart; moves the epoch when due. */
void jb_cli_seal_unsaved(jb_cli_seal *cs, const jb_bridge *b);
/* Following: heartbeats of chains quiet for the interval into out (by stream); *ret_save: an epoch
 * is due and covered, save now (the save moves it). 0, or a negative errno after saying why. */
int jb_cli_seal_tick(jb_cli_seal *cs, jb_outfile *out[2], bool *ret_save);
/* A clean end: a stop line on every sealed chain with records. 0, or a negative errno after saying
 * why. */
int jb_cli_seal_stop(jb_cli_seal *cs, jb_outfile *out[2]);
