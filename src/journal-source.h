/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Private to journal.c: which journal files a source covers, and which of them sd-journal could
 * not open. sd-journal skips an unreadable or truncated file without a word (journalctl says it
 * from sd-journal's internal list); a reader that opened nothing reads nothing and looks healthy. */

#include <stddef.h>
#include <systemd/sd-journal.h>

#include "error.h"
#include "journal.h"

/* The files of src that cannot be opened, each as "PATH: reason", appended to *list (n of them,
 * new strings, jb_free()); then, when sj opened no file at all, an error naming the source (and the
 * first unreadable file): -ENOENT (no such directory, no files), or the first file's error.
 * 0 otherwise; -ENOMEM. */
int jb__journal_check_source(sd_journal *sj, const jb_source *src, char ***list, size_t *n, jb_error *err);
