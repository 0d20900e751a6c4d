/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Read-ahead: a thread of its own reads the journal (sd-journal, field parsing, cursor) into a
 * bounded ring of entries while the caller's thread works on the entries read before. Reading the
 * journal is most of the cost of a record, so on two cores the rest of the work runs beside it.
 *
 * The ring holds at most JB_READAHEAD_SLOTS entries and, past the first, JB_READAHEAD_MAX_BYTES of
 * entry data; a slot that holds more than JB_READAHEAD_KEEP_BYTES of memory gives it back when the
 * taker gives the slot back, so what the ring keeps between entries is bounded too (8 MiB at
 * most). A typical Docker entry holds about 1 KiB; 2048 slots (not 256) let the reader go on
 * through the milliseconds in which the worker is not scheduled (figures in
 * tests/bench/RESULTS.md). Entries come out in journal order, each with the gap found before it (see jb_gap); a read
 * error comes out in order as well, after the entries read before it, and the thread tries again a second later. When
 * the journal has nothing new the thread waits on it (rotation and vacuum are handled there, see jb_journal_wait()).
 *
 * Position the journal before jb_readahead_start(): from then on only the read-ahead thread touches
 * it, until jb_readahead_free(). */

#include <stdint.h>

#include "entry.h"
#include "journal.h"
#include "util.h"

#define JB_READAHEAD_SLOTS 2048
#define JB_READAHEAD_MAX_BYTES (4u << 20)
#define JB_READAHEAD_KEEP_BYTES (4u << 10)

typedef struct jb_readahead jb_readahead;

/* Start reading j (borrowed; it must outlive the read-ahead). 0 or a negative errno. The thread runs
 * with every signal blocked. */
int jb_readahead_start(jb_journal *j, jb_readahead **ret, jb_error *err);

/* Ask the thread to stop without waiting for it (it finishes the journal call it is in: at most
 * about 200 ms); nothing more can be taken. jb_readahead_free() must still follow. NULL-safe. */
void jb_readahead_request_stop(jb_readahead *ra);

/* Stop the thread (it finishes the journal call it is in: at most about 200 ms) and free the ring.
 * Entries read but not taken are dropped: the caller's position (the cursor of the last entry it
 * took) is where a new reader starts. NULL-safe, returns NULL. */
jb_readahead *jb_readahead_free(jb_readahead *ra);

/* Take the next entry. 1: *ret_entry is the entry and *ret_gap the gap found before it (NULL when
 * none); both stay valid, and the entry the caller's own to modify (e.g. to swap a buffer out of it),
 * until the next call. 0: nothing read yet. Negative: the read error, with err set. Never blocks on
 * the journal. */
int jb_readahead_next(jb_readahead *ra, jb_entry **ret_entry, const jb_gap **ret_gap, jb_error *err);

/* Wait up to timeout_usec for an entry (or an error) to take. */
void jb_readahead_wait(jb_readahead *ra, uint64_t timeout_usec);

/* The journal's counters (jb_journal_invalidations(), jb_journal_lost_positions()) as of the entries
 * taken so far. */
uint64_t jb_readahead_invalidations(const jb_readahead *ra);
uint64_t jb_readahead_lost_positions(const jb_readahead *ra);
