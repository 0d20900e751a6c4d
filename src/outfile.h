/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* An output of whole records (lines) that can be cut back: the command's exactly-once mechanism.
 * Records are buffered and written whole; the writer knows how long the file is after its own
 * writes. Saved with the cursor in the state (jb_outfile_mark()), that length lets a restart cut
 * the file back (jb_outfile_cut_back()) to where the records up to the cursor end, so what a kill
 * left after it (records written after the save, half a record) is removed before the same
 * entries are read again: nothing twice, nothing half-written. A write that fails (a full file
 * system) cuts the file back to its last whole record.
 * Only a regular file this writer alone appends to can be cut. Standard output, pipes and other
 * non-regular files, and a file another writer appends to while we write, are written as before
 * (appended, never cut). A file the state recorded no length for (an older state), a file replaced
 * (another st_dev/st_ino) or shorter than the saved length is not cut at this start (what a
 * crash left after the save stays: records there may appear twice), and is cut back from the
 * next save on. o->status says why, the adapter says it. The core does not log. */

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "state.h"

/* Why an output was not cut back (JB_OUTFILE_CUTTABLE: it was, or had nothing to cut). */
typedef enum jb_outfile_status {
    JB_OUTFILE_CUTTABLE = 0,
    JB_OUTFILE_NOT_REGULAR, /* standard output, a pipe, a device...: never */
    JB_OUTFILE_NO_LENGTH,   /* this start: the state recorded no length for it (an older state, or
                             * the output was not cut back when it was saved) */
    JB_OUTFILE_REPLACED,    /* this start: another file than the state recorded (st_dev/st_ino) */
    JB_OUTFILE_SHORTER,     /* this start: shorter than the recorded length (cut or rewritten) */
    JB_OUTFILE_FOREIGN,     /* another writer appended to it while we wrote: not from then on */
} jb_outfile_status;

typedef struct jb_outfile {
    const char *path; /* borrowed, for messages; "-" for standard output */
    int fd;           /* -1: closed; standard output is not closed */
    bool is_stdout;
    jb_buf buf;      /* whole records not written yet */
    uint64_t length; /* cuttable: the file's length after our last write */
    uint64_t dev, ino;
    bool cuttable; /* the length is known: jb_outfile_mark() records it */
    jb_outfile_status status;
    bool check_line_end; /* before the next write: does the file end a line? (see jb_outfile_add) */
} jb_outfile;

/* Buffered bytes that make jb_outfile_add() write. */
#define JB_OUTFILE_BUFFER (64u * 1024u)

/* Open path for appending (created 0640), or standard output for "-". o is zeroed before.
 * 0, or a negative errno with err set. */
int jb_outfile_open(jb_outfile *o, const char *path, jb_error *err);

/* True when a and b are the same file (st_dev and st_ino): they must share one writer. */
bool jb_outfile_same(const jb_outfile *a, const jb_outfile *b);

/* Make o what saved says (from the state; NULL or !saved->set: nothing recorded) before reading
 * on: a regular file whose identity matches and whose length is at least saved->length is cut
 * back to it (*ret_cut: the bytes removed); otherwise o->status says why it is not cut now (it is
 * cut back from the next save on, unless JB_OUTFILE_NOT_REGULAR). Without a saved state at all (a
 * first start) call it with start true: nothing to cut, the file is cuttable from its present
 * length; an empty file is treated so too. 0 (see o->status), or a negative errno with err set (ftruncate failed). */
int jb_outfile_cut_back(jb_outfile *o, const jb_state_output *saved, bool start, uint64_t *ret_cut, jb_error *err);

/* Add one whole record (line) of n bytes; writes the buffer once it holds JB_OUTFILE_BUFFER bytes.
 * An output only ever gains whole records: a regular file that does not end a line when it is
 * first written to (half a record an earlier run or another writer left, in a file that cannot be
 * cut back, such as standard output redirected to a file) gets a newline first, so the half
 * record stays one line of its own and never swallows the next record; so does a file that cannot
 * be cut back after a failed write.
 * 0, 1 when o just stopped being cuttable (JB_OUTFILE_FOREIGN), or a negative errno with err set:
 * the write failed, and a cuttable file was cut back to its last whole record. */
int jb_outfile_add(jb_outfile *o, const char *p, size_t n, jb_error *err);

/* Write the buffer; durable: fsync a regular file too. Returns as jb_outfile_add(). */
int jb_outfile_flush(jb_outfile *o, bool durable, jb_error *err);

/* What the state records for o after jb_outfile_flush(): set only when o->cuttable. */
jb_state_output jb_outfile_mark(const jb_outfile *o);

/* Close o (not standard output) and free its buffer; unwritten bytes are dropped. NULL-safe; also
 * for a zeroed o that was never opened. */
void jb_outfile_done(jb_outfile *o);
