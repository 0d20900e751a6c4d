/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Journal cursors ("s=SEQNUM_ID;i=SEQNUM;b=BOOT_ID;m=MONOTONIC;t=REALTIME;x=XOR_HASH", hex
 * numbers), as sd-journal writes them: validation (state files), parsing (gap detection) and the
 * hash record ids start from. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest sequence number id jb_cursor_parse() accepts (a 128-bit id in hex). */
#define JB_CURSOR_ID_MAX 32

/* True when s (NUL-terminated, may be NULL) looks like an sd-journal cursor: each of the six keys
 * s, i, b, m, t, x exactly once, s and b with 32 hex digits, the others with 1-16. */
bool jb_cursor_valid(const char *s);

/* The fields of a cursor that gap detection needs. */
typedef struct jb_cursor_pos {
    const char *seqnum_id; /* borrowed from the cursor, not NUL-terminated */
    size_t seqnum_id_len;  /* 1..JB_CURSOR_ID_MAX */
    uint64_t seqnum;
    uint64_t realtime; /* 0: not in the cursor, or not a hex number */
} jb_cursor_pos;

/* Parse the NUL-terminated cursor c into *ret (written only on success; it borrows from c). false
 * when s= is missing or longer than JB_CURSOR_ID_MAX, or i= is missing or not 1-16 hex digits;
 * other keys are not checked. */
bool jb_cursor_parse(const char *c, jb_cursor_pos *ret);

/* The realtime (t=, 1-16 hex digits) of the cursor c (n bytes, NUL not needed): true and *ret, or
 * false (*ret untouched) when t= is missing or not such a number. The time sd-journal wrote into the
 * cursor is the entry's own, the one sd_journal_get_realtime_usec() returns: the reader takes it
 * from the cursor it reads anyway rather than asking sd-journal a second time per entry. */
bool jb_cursor_realtime(const char *c, size_t n, uint64_t *ret);

/* True when a and b carry the same sequence number id (they come from the same journal). */
bool jb_cursor_same_journal(const jb_cursor_pos *a, const jb_cursor_pos *b);

/* The hash of a journal cursor (n bytes at p) that record ids start from: 8 bytes per step
 * (FNV-1a's one byte per multiply cost too much over a backlog: tests/bench/RESULTS.md), the bytes
 * read in little-endian order whatever the machine, so ids are the same everywhere. Stable across
 * versions. */
uint64_t jb_cursor_hash(const void *p, size_t n);
