/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The state file as a cursor only, for the tests of state.c: the library reads and writes a whole
 * jb_state (jb_state_read(), jb_state_write()); these two are what the tests of the file format
 * and of the file system need. */

#include "state.h"

/* Load the cursor of the state file path: 0 and a new string in *ret_cursor, or the error of
 * jb_state_read() (-ENOENT when there is no file, -EBADMSG when it is damaged...). */
static inline int load_cursor(const char *path, char **ret_cursor, jb_error *err) {
    jb_state s = {0};
    int r = jb_state_read(path, &s, err);
    if (r < 0) return r;
    *ret_cursor = s.cursor;
    s.cursor = NULL;
    jb_state_done(&s);
    return 0;
}

/* Save cursor atomically without sequence numbers (jb_state_write() with 0 counters). */
static inline int save_cursor(const char *path, const char *cursor, jb_error *err) {
    jb_state s = {.cursor = (char *)cursor};
    return jb_state_write(path, &s, err);
}
