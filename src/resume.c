/* SPDX-License-Identifier: Apache-2.0 */
#include "resume.h"

#include <stdio.h>

#include "state.h"

int jb_bridge_resume(jb_bridge *b, const char *state_path, bool at_tail, jb_resume_info *info, jb_error *err) {
    _cleanup_(jb_state_done) jb_state st = {0};
    int r = -ENOENT;

    info->outcome = JB_RESUME_NO_STATE;
    info->bad = (jb_error){0};
    info->aside = (jb_error){0};
    info->out[0] = info->out[1] = (jb_state_output){0};
    info->seal[0][0] = info->seal[1][0] = 0;
    if (state_path) r = jb_state_read(state_path, &st, &info->bad);
    if (r == 0) {
        /* the counters go on from the saved values: records read again get their old numbers */
        jb_bridge_set_sequence(b, st.seq_app, st.seq_audit);
        info->out[0] = st.out[0];
        info->out[1] = st.out[1];
        for (int i = 0; i < 2; i++)
            if (st.seal[i]) snprintf(info->seal[i], sizeof info->seal[i], "%s", st.seal[i]);
        r = jb_bridge_seek_cursor(b, st.cursor, err);
        if (r < 0) return r;
        info->outcome = r == 0 ? JB_RESUMED_AFTER_GONE : JB_RESUMED;
        /* split lines were pending at the save: what followed them was delivered, read it silently */
        if (st.read_cursor) return jb_bridge_set_replay(b, st.read_cursor, err);
        return 0;
    }
    if (r == -EBADMSG) {
        info->outcome = JB_RESUME_SET_ASIDE;
        jb_state_set_aside(state_path, &info->aside);
    } else if (r != -ENOENT) {
        return jb_error_set(err, r, "%s", info->bad.msg);
    }
    if (r == -ENOENT) info->bad = (jb_error){0};
    r = at_tail ? jb_bridge_seek_tail(b, err) : jb_bridge_seek_head(b, err);
    return r < 0 ? r : 0;
}
