/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The state file: the journal cursor up to which every entry was delivered.
 * Format (text): "jbridge-state 1\ncursor=CURSOR\n". Written atomically (temporary file in the
 * same directory created with O_EXCL|O_NOFOLLOW and mode 0600, fsync, rename, fsync of the
 * directory), so a crash leaves the old or the new state, never an empty one. */

#include "util.h"

/* Load the cursor. Returns 0 and a new string in *ret_cursor; -ENOENT when the file does not
 * exist (a first start); -EBADMSG when it is empty, truncated, not a jbridge state file or holds
 * something that is not a journal cursor (err says which); other negative errno when it cannot be
 * read (err says why). */
int jb_state_load(const char *path, char **ret_cursor, jb_error *err);

/* Save the cursor atomically. 0 or negative errno with err set. */
int jb_state_save(const char *path, const char *cursor, jb_error *err);

/* True when s looks like an sd-journal cursor ("s=...;i=...;b=...;m=...;t=...;x=..."). */
bool jb_cursor_valid(const char *s);
