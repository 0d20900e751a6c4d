/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The state file: the journal cursor up to which every entry was delivered, the last sequence
 * number given in each stream up to there, and (the command) how long each output file was then.
 * Format (text): "jbridge-state 1\ncursor=CURSOR\n", then optionally "seq.app=N\n" and
 * "seq.audit=N\n" (each at most once, any order, 0..2147483647; written only when not 0, so a
 * file of an earlier version, which has no such line, still loads: its counters are 0), and
 * optionally "out.app=LENGTH DEV INO\n" and "out.audit=LENGTH DEV INO\n" (decimal: the length in
 * bytes of that stream's output file, 0..INT64_MAX, and its st_dev and st_ino; written only for an
 * output that can be cut back, see outfile.h; a file without them loads with out[].set false),
 * optionally "seal.app=TEXT\n" and "seal.audit=TEXT\n" (a sealed stream's chain at the cursor,
 * doc/sealing.md "Restarts": carried here as text of 1 to JB_STATE_SEAL_MAX printable ASCII
 * characters, parsed by the sealer, seal.h; a file without them loads with seal[] NULL), and
 * optionally "read=CURSOR\n" (issue 17: the last entry read, when it differs from the cursor
 * because split lines were still being gathered; see jb_bridge_set_replay()).
 * Where a CURSOR goes, a store read per host (issue 19) has a position per host (hostpos.h); the
 * file is at most 4 MiB.
 * Written atomically (temporary file in the
 * same directory created with O_EXCL|O_NOFOLLOW and mode 0600, fsync, rename, fsync of the
 * directory), so a crash leaves the old or the new state, never an empty one. A save without the
 * fsyncs (JB_STATE_NO_SYNC) gives the same guarantee against a crash of the process, not of the
 * machine. */

#include "record.h"
#include "util.h"

/* An output file as it was when the state was saved: the records up to the cursor end at length. */
typedef struct jb_state_output {
    bool set;        /* false: no such line (an older state, or an output that cannot be cut back) */
    uint64_t length; /* bytes, at most INT64_MAX */
    uint64_t dev;    /* st_dev and st_ino of the file */
    uint64_t ino;
} jb_state_output;

/* The longest text of a "seal." line. */
#define JB_STATE_SEAL_MAX 255u

typedef struct jb_state {
    char *cursor;           /* owned */
    char *seal[2];          /* by jb_stream: the seal line's text (seal.h), owned; NULL: none */
    uint32_t seq_app;       /* last sequenceId of the application stream up to the cursor (0: none) */
    uint32_t seq_audit;     /* ... of the audit stream */
    jb_state_output out[2]; /* by jb_stream: the application and the audit output file */
    char *read_cursor;      /* owned; NULL: the cursor. The last entry read: every record that ended
                             * up to it was delivered, except the split lines still pending after
                             * the cursor (read again from the cursor, see jb_bridge_set_replay()) */
} jb_state;

/* Load a state file into *ret (zeroed or done before; written only on success, ret->cursor new).
 * Stale temporary files of path are removed first (jb_state_remove_stale()).
 * -ENOENT when the file does not exist (a first start); -EBADMSG when it is empty, truncated, not
 * a jbridge state file, holds something that is not a journal cursor, or a seq line that is not a
 * number from 0 to JB_SEQUENCE_MAX, appears twice, or any other line after the cursor (err says
 * which); other negative errno when it cannot be read (err says why). */
int jb_state_read(const char *path, jb_state *ret, jb_error *err);

/* What a damaged state file is renamed to, for inspection: path + this suffix. */
#define JB_STATE_BAD_SUFFIX ".bad"

/* Move a damaged state file aside: rename path to path + JB_STATE_BAD_SUFFIX (replacing an older
 * one; a symbolic link is renamed itself, never followed). The documented fallback of both
 * adapters for -EBADMSG from jb_state_read(): keep the file for inspection and start as without a
 * state. 0, or a negative errno with err set. */
int jb_state_set_aside(const char *path, jb_error *err);

/* Remove the temporary files a save interrupted by a crash left beside path: regular files in
 * path's directory named exactly "<file name of path>.tmp.<16 lowercase hex digits>" (the names
 * jb_state_write() uses) and owned by the effective user (symbolic links, other types and other
 * users' files with such a name are left alone, nothing is followed: in a shared sticky directory
 * root would otherwise remove another user's file). jb_state_read() calls it first, ignoring its
 * errors. A state file has one writer at a time: a save running concurrently in another process
 * could lose its temporary file (it fails and is retried). Returns the number removed, or a
 * negative errno with err set (the first failure; the others are still tried). */
int jb_state_remove_stale(const char *path, jb_error *err);

/* Save s atomically (seq lines only when not 0, out lines only when set), durably:
 * jb_state_save(path, s, 0, err). 0, -EINVAL (invalid cursor, sequence over JB_SEQUENCE_MAX,
 * length over INT64_MAX) or negative errno with err set. */
int jb_state_write(const char *path, const jb_state *s, jb_error *err);

/* Flags of jb_state_save(). */
typedef enum jb_state_flags {
    /* Write the temporary file and rename it over path, without fsync of the file or of its
     * directory. A crash of the process (SIGKILL, an abort) cannot lose such a save: the data and
     * the rename are in the kernel's page cache, and every later open sees them. A power loss or
     * a kernel crash can: the file then holds an older save, or (on a file system that does not
     * write a file's data before a rename that replaces another, such as ext4 mounted
     * noauto_da_alloc or data=writeback) it is empty, which jb_state_read() refuses (-EBADMSG).
     * For frequent saves, with a durable one (flags 0) every so often. */
    JB_STATE_NO_SYNC = 1 << 0,
    /* jb_file_write_atomic() only: link(2) the temporary file to path instead of renaming it, so
     * an existing path (even a dangling symbolic link) is never replaced: -EEXIST. */
    JB_FILE_NO_REPLACE = 1 << 1,
} jb_state_flags;

/* The state file's atomic write, for other files that need it (the seal key file, seal.h): n bytes
 * at data into path through "<path>.tmp.<16 hex digits>" (O_EXCL|O_NOFOLLOW, mode 0600), fsync,
 * rename (or link, JB_FILE_NO_REPLACE), fsync of the directory; no fsyncs with JB_STATE_NO_SYNC.
 * what names the file in err ("state file", "key file"). 0, -EEXIST (JB_FILE_NO_REPLACE), or a
 * negative errno with err set; the temporary file never stays behind. */
int jb_file_write_atomic(const char *path, const char *what, const void *data, size_t n, unsigned flags, jb_error *err);

/* Save s atomically (seq lines only when not 0, seal lines only when not NULL; -EINVAL for a seal
 * text that is not 1 to JB_STATE_SEAL_MAX printable characters): a temporary file in the same directory, renamed
 * over path; with flags 0 durably (fsync of the temporary file before the rename and of the
 * directory after it). flags: 0 or JB_STATE_NO_SYNC. Returns as jb_state_write(). */
int jb_state_save(const char *path, const jb_state *s, unsigned flags, jb_error *err);

/* Free what s holds and zero it. NULL-safe. */
void jb_state_done(jb_state *s);
