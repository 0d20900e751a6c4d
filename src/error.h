/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Error reporting: where a caller must be able to tell a user why something failed, functions take
 * a jb_error (may be NULL). The library never logs: adapters print err->msg once. */

#include <errno.h>

#include "macro.h"

typedef struct jb_error {
    int code; /* negative errno */
    char msg[512];
} jb_error;

/* Formats the message into err (if not NULL) and returns code, which must be a negative errno. */
int jb_error_set(jb_error *err, int code, const char *fmt, ...) _printf_(3, 4);
