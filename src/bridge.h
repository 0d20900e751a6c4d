/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The bridge: journal -> filter -> split-line reassembly -> audit recognition -> routing, handing
 * finished records to the adapter's callback. This is the public entry point of the core; the
 * jbridge command and the rsyslog modules use it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings.h"
#include "journal.h"
#include "record.h"
#include "util.h"

typedef struct jb_stats {
    uint64_t entries_read;      /* entries read from the journal, filtered or not */
    uint64_t entries_filtered;  /* ... of which not kept by the filters */
    uint64_t records_app;       /* records delivered to the application stream */
    uint64_t records_audit;     /* records delivered to the audit stream */
    uint64_t audit_malformed;   /* ... of which malformed */
    uint64_t lines_reassembled; /* split lines delivered whole */
    uint64_t lines_incomplete;  /* split lines delivered without their last piece */
    uint64_t lines_overflow;    /* pieces of lines over max_line */
    uint64_t invalidations;     /* journal files changed under the reader */
    uint64_t lost_positions;    /* the last read entry had been vacuumed when the reader came back */
    uint64_t gaps;              /* gaps found: entries vacuumed before they were read (see jb_gap) */
    uint64_t gap_entries;       /* ... the entries in them, in total */
    uint64_t entries_untrusted; /* container entries of untrusted writers (trust.h), flagged or dropped */
    uint64_t audit_rejected;    /* lines with an audit marker that are not audit (audit.h: the
                                   anchor or the container scope): delivered as application */
    uint64_t records_filtered;  /* records left out by the component filter (issue 17) */
} jb_stats;

/* The record is borrowed for the duration of the call. A negative return stops processing and is
 * returned by jb_bridge_process()/jb_bridge_flush(). */
typedef int (*jb_record_cb)(const jb_record *rec, void *userdata);

typedef struct jb_bridge jb_bridge;

int jb_bridge_new(const jb_config *c, jb_bridge **ret, jb_error *err);
jb_bridge *jb_bridge_free(jb_bridge *b);

int jb_bridge_seek_head(jb_bridge *b, jb_error *err);
int jb_bridge_seek_tail(jb_bridge *b, jb_error *err);
/* Start at the first entry received at or after usec (jb_bridge_checkpoint() then starts as after
 * jb_bridge_seek_head()). */
int jb_bridge_seek_realtime(jb_bridge *b, uint64_t usec, jb_error *err);
/* Resume after a saved cursor. 1 when its entry was found, 0 when not (see jb_journal_seek_cursor). */
int jb_bridge_seek_cursor(jb_bridge *b, const char *cursor, jb_error *err);

/* Read up to max_entries entries (0: no limit) and deliver the records they complete.
 * Returns the number of entries read (0: nothing new) or a negative errno. */
int jb_bridge_process(jb_bridge *b, size_t max_entries, jb_record_cb cb, void *userdata, jb_error *err);

/* Deliver every pending split line as incomplete: call at the end of a one-shot read. */
int jb_bridge_flush(jb_bridge *b, jb_record_cb cb, void *userdata, jb_error *err);

/* How long a split line waits for its next piece before it is delivered flagged incomplete: by the
 * wall clock when following (jb_bridge_expire()), by journal time at each save of a state
 * (jb_bridge_expire_journal()). On real Docker such a line is almost always a container's last
 * output without a newline: Docker never sends the rest. */
#define JB_SPLIT_MAX_AGE_USEC 5000000u

/* Deliver pending split lines that saw no new piece for max_age_usec (following mode). */
int jb_bridge_expire(jb_bridge *b, uint64_t max_age_usec, jb_record_cb cb, void *userdata, jb_error *err);

/* Deliver as incomplete the pending split lines whose newest piece the journal received more than
 * JB_SPLIT_MAX_AGE_USEC before the newest entry read. The outcome depends only on the entries read,
 * so a replay (jb_bridge_set_replay()) repeats it: call it right before every save of a state
 * that records jb_bridge_read_cursor(). */
int jb_bridge_expire_journal(jb_bridge *b, jb_record_cb cb, void *userdata, jb_error *err);

/* The cursor of the last entry read (the state's read= line): every record that ended up to it has
 * been delivered, except the split lines still pending (jb_bridge_checkpoint() stays before them).
 * NULL when nothing was read. Borrowed until the next call on b. */
const char *jb_bridge_read_cursor(const jb_bridge *b);

/* After resuming at a state's cursor (before the first jb_bridge_process()): the entries up to
 * read_cursor were read before, and every record they completed then was delivered. They are read
 * again to gather the split lines that were pending, but what they complete is not delivered again
 * (its sequence numbers and record ids are given as the first time); once read_cursor's entry is
 * read (or the first entry after its position, if it is gone), jb_bridge_expire_journal() is
 * repeated silently and delivery goes on. So a state saved with pending lines does not make the
 * next run deliver twice what followed them. 0 or -ENOMEM. */
int jb_bridge_set_replay(jb_bridge *b, const char *read_cursor, jb_error *err);

/* Reading is over (the caller is stopping): a read-ahead thread is asked to stop now, without
 * waiting for it, so that jb_bridge_free() does not wait for its journal call later. Only the
 * checkpoint, sequence and stats functions and jb_bridge_free() may follow. */
void jb_bridge_stop_reading(jb_bridge *b);

/* Wait for new entries (see jb_journal_wait). With read_ahead the read-ahead thread follows the
 * journal and this waits for it: 0, or 1 when the journal files changed since the last call. */
int jb_bridge_wait(jb_bridge *b, uint64_t timeout_usec, jb_error *err);

/* The cursor to persist: every entry up to it has been delivered through the callback (or
 * filtered out). NULL when nothing was read yet. Borrowed until the next call on b. */
const char *jb_bridge_checkpoint(const jb_bridge *b);

/* Per-stream sequence numbers (RFC 5424 meta sequenceId, see record.h): every record delivered
 * gets the next number of its stream, counting from the last one given (0: none yet, the next is
 * 1). Set the values saved with the state right after positioning the reader. */
void jb_bridge_set_sequence(jb_bridge *b, uint32_t app, uint32_t audit);

/* The sequence counters that belong to jb_bridge_checkpoint(): the last numbers given to records
 * delivered before the entry after the checkpoint was read. A restart from the checkpoint with
 * these values numbers the records it reads again as they were numbered the first time, because
 * the same entries are read in the same order and deliver the same records (a split line that
 * straddles the checkpoint and the 5 s timeout of a split line are the exceptions: see
 * README, "Sequence numbers"). */
void jb_bridge_checkpoint_sequence(const jb_bridge *b, uint32_t *ret_app, uint32_t *ret_audit);

const jb_stats *jb_bridge_stats(const jb_bridge *b);

/* The source's journal files that could not be opened (jb_journal_unreadable()): the adapter names
 * each once. i < jb_bridge_n_unreadable(b); borrowed until jb_bridge_free(). */
size_t jb_bridge_n_unreadable(const jb_bridge *b);
const char *jb_bridge_unreadable(const jb_bridge *b, size_t i);

/* Called once for every gap (entries removed from the journal before they were read; see jb_gap),
 * from jb_bridge_process(), before the records of the entry that follows the gap. The gap is
 * borrowed for the call. A negative return stops processing like a record callback's. */
typedef int (*jb_gap_cb)(const jb_gap *gap, void *userdata);
void jb_bridge_set_gap_cb(jb_bridge *b, jb_gap_cb cb, void *userdata);
