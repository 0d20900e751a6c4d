/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The resume policy of both adapters: where a bridge starts reading. With a state file: after its
 * cursor, with its sequence numbers; a state file that is unusable is moved aside for inspection
 * (path + JB_STATE_BAD_SUFFIX) and reading starts as without one, so nothing is lost (records
 * read again carry the same record ids). Without a state: at the head of the journal, or at its
 * tail. The core does not log: the outcome says what happened, each adapter says it in its words. */

#include <stdbool.h>

#include "bridge.h"
#include "state.h"
#include "util.h"

typedef enum jb_resume_outcome {
    JB_RESUMED = 0,        /* after the saved cursor, with the saved sequence numbers */
    JB_RESUMED_AFTER_GONE, /* ... whose entry is no longer in the journal (vacuumed, or another
                            * journal): at the first entry after its position */
    JB_RESUME_NO_STATE,    /* no state file (or no path): at the head, or the tail */
    JB_RESUME_SET_ASIDE,   /* the state file was unusable and is set aside: at the head, or the tail */
} jb_resume_outcome;

typedef struct jb_resume_info {
    jb_resume_outcome outcome;
    jb_error bad;           /* JB_RESUME_SET_ASIDE: why the state file is unusable */
    jb_error aside;         /* JB_RESUME_SET_ASIDE: code 0, or why it could not be moved (it then stays) */
    jb_state_output out[2]; /* JB_RESUMED*: the output files as the state recorded them (outfile.h) */
    /* JB_RESUMED*: the state's seal lines by stream (the text after "seal.app=", "seal.audit=",
     * for jb_sealer_restore(), seal.h); "" when it has none, always "" otherwise */
    char seal[2][JB_STATE_SEAL_MAX + 1];
} jb_resume_info;

/* Position b as the policy above says. state_path: the state file, NULL for none; at_tail: without
 * a state, start at the tail instead of the head. *info is filled even on failure (a file may
 * have been set aside before seeking failed), so the adapter can say what happened first.
 * 0, or a negative errno with err set: the state file cannot be read (other than missing or
 * unusable), or positioning the journal failed. */
int jb_bridge_resume(jb_bridge *b, const char *state_path, bool at_tail, jb_resume_info *info, jb_error *err);
