/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Support bundles: the records of a time range gathered into one .tar.gz, one file per container
 * and stream (DIR/app.log, DIR/audit.log: RFC 5424 lines as the jbridge command writes them)
 * and manifest.json (host, range, counts per container and stream with the name each DIR stands
 * for, gaps, the jbridge version). The adapter reads the journal with a jb_bridge and hands every
 * record to jb_bundle_add(); the records are spooled to one unlinked temporary file until
 * jb_bundle_write(): one open file and bounded memory, however many containers (issue 17). */

#include <stdint.h>

#include "bridge.h"
#include "record.h"
#include "rfc5424.h"
#include "util.h"

#define JB_BUNDLE_NO_LIMIT UINT64_MAX

typedef struct jb_bundle_opts {
    uint64_t since_usec; /* records whose time (the RFC 5424 TIMESTAMP) is >= since ... */
    uint64_t until_usec; /* ... and <= until (JB_BUNDLE_NO_LIMIT: no upper bound) */
    jb_format_opts fmt;  /* how the lines are written */
    const char *tmp_dir; /* where the spool files are made (NULL: $TMPDIR, else /tmp) */
} jb_bundle_opts;

/* What the manifest says besides the counts. Strings are copied into the manifest. */
typedef struct jb_bundle_info {
    const char *host;      /* the machine the bundle was made on */
    const char *source;    /* the journal read, e.g. "system journal", "directory /var/log/journal/remote" */
    const char *version;   /* the jbridge version */
    const jb_stats *stats; /* the bridge's counters after reading (may be NULL) */
} jb_bundle_info;

typedef struct jb_bundle jb_bundle;

int jb_bundle_new(const jb_bundle_opts *o, jb_bundle **ret, jb_error *err);
jb_bundle *jb_bundle_free(jb_bundle *b);

/* A jb_record_cb: spool rec when its time is in the range (else skip it). userdata: the bundle.
 * 0, or a negative errno (-ENOMEM, or the spool file's write error). */
int jb_bundle_add(const jb_record *rec, void *userdata);

/* Records spooled so far, and records skipped as outside the range. */
uint64_t jb_bundle_records(const jb_bundle *b);
uint64_t jb_bundle_skipped(const jb_bundle *b);

/* Name of the directory the records of rec go to, unique for each container name and each
 * identifier: the container name as it is when it is made of A-Z a-z 0-9 and "._-", 1 to 64
 * bytes, does not start with '_' and is not ".", ".." or "manifest.json"; "_" + SYSLOG_IDENTIFIER
 * for entries that are not a container's, when the identifier is made of those characters, 1 to
 * 63 bytes, and is not "unknown"; "_unknown" without one. Any other name is encoded: its first
 * bytes with the others made '_' ("_" first for an identifier), '~' and 16 hex digits of a hash of
 * the kind and the whole name, at most 64 bytes in all ('~' never appears in a name taken as it
 * is). The manifest maps each directory back to its name. out: at least 66 bytes (else ""). */
void jb_bundle_dir_name(const jb_record *rec, char *out, size_t size);

/* Why spooling failed: the first write error of a spool file (a negative errno; 0: none), and in
 * *ret_dir the directory the spool files are in (borrowed), for the message. */
int jb_bundle_spool_error(const jb_bundle *b, const char **ret_dir);

/* Write the archive to fd (taken: closed also on failure): manifest.json first, then the files in
 * name order (directories by name, app.log before audit.log), only those with records. The files
 * have mode 0640 and the time of their last record; the manifest the time of writing.
 * 0 or a negative errno with a message in err. */
int jb_bundle_write(jb_bundle *b, int fd, const jb_bundle_info *info, jb_error *err);
