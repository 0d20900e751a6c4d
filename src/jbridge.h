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

/* jbridge verify (jbridge-verify.c): argv[0] is "verify". The exit status. */
int jb_cli_verify(int argc, char **argv);
