/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What the files of the jbridge command share (not a library interface): its options, the stop
 * flag its signal handlers set, and the subcommands kept in files of their own. */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "bridge.h"
#include "rfc5424.h"

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
} options;

/* Set by SIGTERM and SIGINT: finish the current batch, save and stop. */
extern volatile sig_atomic_t jb_cli_stop_requested;

/* Says a gap (entries vacuumed before they were read) on standard error; a jb_gap_cb. */
int jb_cli_report_gap(const jb_gap *gap, void *userdata);

/* jbridge bundle (jbridge-bundle.c): the records of o's time range into one .tar.gz. 0, or a
 * negative errno after saying why on standard error. */
int jb_cli_bundle(const options *o);

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
