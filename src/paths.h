/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The paths an adapter writes (the state file, the outputs, a bundle's archive), checked before
 * anything is read: a path that cannot be written fails at start, naming itself, rather than after
 * the whole export. The core does not log: err says what is wrong, naming the path. */

#include "error.h"

/* Resolve the state file path against base (a relative path; NULL or "": the working directory)
 * and check it: the directory part is made canonical (realpath), so that "x.state", "./x.state",
 * "wd//x.state" and a path through a symbolic link to the directory give one path, by which two
 * users of one state file are told. *ret: a new string (jb_free()), the directory's canonical path, '/', the
 * file name. -EINVAL for an empty path, a path ending in '/' or naming "." or "..", or an existing
 * directory; -errno when the directory does not resolve or is not writable; -ENOMEM. */
int jb_path_state_resolve(const char *base, const char *path, char **ret, jb_error *err);

/* A file that will be created or replaced at path (a bundle's archive, written to a temporary
 * file beside it and renamed): it must not be a directory, and its directory must exist and be
 * writable. 0 or a negative errno, err naming the path (and what it is, e.g. "archive"). */
int jb_path_check_new_file(const char *what, const char *path, jb_error *err);
