/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Reassembly of lines Docker split at 16 KiB. Pieces are grouped per container and stream:
 * newer Docker marks them with CONTAINER_PARTIAL_ID/ORDINAL/LAST, older Docker only with
 * CONTAINER_PARTIAL_MESSAGE=true on every piece but the last (grouped by container id and
 * PRIORITY, since stdout and stderr lines may interleave). Lines of other containers may be
 * interleaved freely.
 *
 * Memory is bounded: a line longer than max_line is delivered as soon as it reaches that size
 * (kind OVERFLOW) and the following pieces start a new line; when a new split line would make more
 * than max_pending lines pending, one is delivered as INCOMPLETE: the oldest line of an untrusted
 * writer (jb_entry.untrusted) if there is one, else, for a trusted piece, the oldest line. An
 * untrusted piece never evicts a trusted line: when only trusted lines are pending it is delivered
 * at once, alone, as INCOMPLETE (pieces 1). Nothing is dropped.
 *
 * Rules:
 * - Entries without CONTAINER_NAME are never reassembled: each is a WHOLE line.
 * - A piece that is not the last: CONTAINER_PARTIAL_MESSAGE=true, or a CONTAINER_PARTIAL_ID with
 *   CONTAINER_PARTIAL_LAST present and not "true". Pieces with a CONTAINER_PARTIAL_ID are keyed by
 *   container id + partial id, others by container id + PRIORITY; and always by the writer
 *   (issue 15): pieces join only pieces with the same untrusted flag, _UID and _COMM (see trust.h),
 *   so a local user's forged piece never joins a container runtime's line.
 * - Pending lines are indexed by key (a hash table of max_pending + 1 buckets or more): a piece
 *   finds its line in constant time however many are pending.
 * - A trailing '\n' (Podman's conmon keeps it), then a trailing '\r' (a TTY's), is removed from the
 *   finished line only (jb_entry_finish() leaves them on pieces that are not the last): a '\r'
 *   that Docker's 16 KiB cut left at the end of a piece is text.
 * - A last piece (or old-form entry without the flag) that finds a line pending under its key
 *   completes it (REASSEMBLED); one that finds none is a WHOLE line, also when it is the tail of a
 *   line whose head was never seen. Pieces are joined in arrival order; CONTAINER_PARTIAL_ORDINAL
 *   is not checked (the journal keeps Docker's order).
 * - A whole line is handed to the callback without a copy (first is the fed entry itself), whatever
 *   its size: max_line bounds only what is held while pieces are gathered. For a split line, first
 *   is a copy of the first piece whose message is the text gathered so far.
 * - Overflow: the piece that would take a line past max_line fills it to exactly max_line bytes,
 *   which is delivered as OVERFLOW with that piece's cursor (or with the cursor of the line's last
 *   piece when it was already exactly full). The rest of the piece goes on in max_line chunks
 *   (OVERFLOW, pieces 1) and its last part, at most max_line bytes, either starts a new pending line
 *   (resume point: the prev_cursor of that piece) or, if the piece was the last, is delivered as
 *   REASSEMBLED with pieces 1.
 * - Memory: at most (max_pending + 2) * (max_line + 1) bytes of text (one spare line and one chunk
 *   buffer) plus one entry's metadata and two cursors per pending line; the memory is kept for reuse
 *   until jb_partial_free().
 * - Errors: on -ENOMEM nothing was delivered and the state is as before the call, so the same entry
 *   may be fed again. When the callback fails, the line passed to it counts as delivered and the
 *   rest of the entry may be lost: the caller is expected to stop and resume from its checkpoint.
 *   The callback must not call into the same jb_partial. */

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "record.h"

#define JB_PARTIAL_DEFAULT_MAX_LINE (1024u * 1024u)
#define JB_PARTIAL_DEFAULT_MAX_PENDING 32u
#define JB_PARTIAL_MAX_PENDING_LIMIT 1000000 /* the largest max_pending the command and imjbridge accept */

/* What the parts of one line cut at max_line share: the part number of the next part, and a value
 * the consumer may keep there (0 at the first part) to treat the parts alike, e.g. route a cut
 * audit line's continuations to the audit stream. */
typedef struct jb_line_group {
    unsigned part;
    int tag;
} jb_line_group;

/* A finished line. Borrowed: valid only during the callback. */
typedef struct jb_line {
    const jb_entry *first; /* metadata (container, time, severity...) of the first piece */
    const char *text;      /* len bytes and a NUL; may contain NULs */
    size_t len;
    const char *cursor; /* cursor of the last piece in the line */
    jb_line_kind kind;
    unsigned pieces;
    unsigned part; /* 0: the first (or only) part of its line; N: the N+1th part of a line cut at max_line */
    int *tag;      /* shared by every part of the line, see jb_line_group; never NULL */
} jb_line;

/* A negative return stops the feed and is passed back. */
typedef int (*jb_line_cb)(const jb_line *line, void *userdata);

typedef struct jb_partial jb_partial;

/* max_line >= 1, max_pending >= 1. 0 or -ENOMEM / -EINVAL. */
int jb_partial_new(size_t max_line, size_t max_pending, jb_partial **ret);
jb_partial *jb_partial_free(jb_partial *p);

/* Feed the next entry in journal order. prev_cursor is the cursor of the entry read just before
 * this one (NULL when it is the first), remembered as the resume point of a line that starts
 * here. Emits zero or more lines through cb: a whole line at once, a completed split line, an
 * overflowing piece, an evicted pending line. 0, or the callback's or an allocation error. */
int jb_partial_feed(jb_partial *p, const jb_entry *e, const char *prev_cursor, jb_line_cb cb, void *userdata);

/* Deliver every pending line as INCOMPLETE, oldest first (end of stream). */
int jb_partial_flush(jb_partial *p, jb_line_cb cb, void *userdata);

/* Deliver as INCOMPLETE, oldest first, the pending lines whose newest piece was fed more than
 * max_age_usec before now_usec. Arrival is taken from CLOCK_MONOTONIC (see jb_partial_set_clock()),
 * so now_usec must come from the same clock. */
int jb_partial_expire(jb_partial *p, uint64_t now_usec, uint64_t max_age_usec, jb_line_cb cb, void *userdata);

/* Deliver as INCOMPLETE, oldest first, the pending lines whose newest piece was received by the
 * journal (jb_entry.receive_usec) more than max_age_usec before now_usec, a journal time too
 * (normally the receive time of the newest entry read). Unlike jb_partial_expire() the outcome
 * depends only on the entries fed, so reading the same entries again expires the same lines. */
int jb_partial_expire_journal(jb_partial *p, uint64_t now_usec, uint64_t max_age_usec, jb_line_cb cb, void *userdata);

/* The clock (microseconds) jb_partial_feed() stamps arrivals with: CLOCK_MONOTONIC by default;
 * tests replace it. NULL restores the default. */
void jb_partial_set_clock(jb_partial *p, uint64_t (*now_usec)(void));

/* Number of pending lines. */
size_t jb_partial_pending(const jb_partial *p);

/* Where to resume reading so that no pending piece is lost: the prev_cursor given with the first
 * piece of the oldest pending line. NULL when nothing is pending; "" when that piece was the first
 * entry read (resume where reading started). Borrowed until the next call. */
const char *jb_partial_resume_cursor(const jb_partial *p);

/* A value the caller attaches to resume points: a line that starts in a later feed remembers the
 * mark set last, and jb_partial_resume_mark() gives it back with the resume cursor. The bridge
 * keeps its per-stream sequence counters there, so that the counters it saves belong to the
 * position it saves. 0 until set. */
void jb_partial_set_mark(jb_partial *p, uint64_t mark);

/* The mark remembered with jb_partial_resume_cursor(); the current mark when nothing is pending. */
uint64_t jb_partial_resume_mark(const jb_partial *p);
