/* SPDX-License-Identifier: Apache-2.0 */
/* jbridge: what is checked before reading (the paths written), and the journal files the source
 * could not open, said on standard error. The checks are the core's (paths.h, journal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "jbridge.h"
#include "paths.h"

int jb_cli_check_paths(const options *o) {
    jb_error err = {0};
    char *state = NULL;
    int r = 0;
    if (o->state) {
        r = jb_path_state_resolve(NULL, o->state, &state, &err);
        jb_free(state);
    }
    if (r >= 0 && o->bundle && o->bundle_out && strcmp(o->bundle_out, "-") != 0)
        r = jb_path_check_new_file("archive", o->bundle_out, &err);
    if (r < 0) fprintf(stderr, "jbridge: %s\n", err.msg);
    return r;
}

void jb_cli_report_unreadable(const jb_bridge *b) {
    for (size_t i = 0; i < jb_bridge_n_unreadable(b); i++)
        fprintf(stderr, "jbridge: warning: cannot open journal file %s; skipped\n", jb_bridge_unreadable(b, i));
}
