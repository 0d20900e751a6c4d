/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Positions in a store read per host (issue 19: journal.h, a directory source with per_host): one
 * journal cursor per host, written as one string where a plain cursor goes (state files, the
 * bridge's checkpoints):
 *   "jbh1" then, for each host, " NAME=CURSOR"
 * NAME is the host's name in the store (the journal file names before '@' or ".journal"), with the
 * bytes outside 0x21-0x7e, '%' and '=' written as %XX; CURSOR an sd-journal cursor (cursor.h).
 * A host without an item is read from its first entry. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define JB_HOSTPOS_MAGIC "jbh1"
/* The most hosts one position names: parsing refuses more (a state file is bounded anyway). */
#define JB_HOSTPOS_MAX_HOSTS 100000u

/* True when s (NUL-terminated, may be NULL) starts like a per-host position ("jbh1", then the end
 * or a space): it is not a plain cursor. */
bool jb_hostpos_is(const char *s);

/* True when s is a valid per-host position: the magic, items with a non-empty name that decodes,
 * each cursor jb_cursor_valid(), at most JB_HOSTPOS_MAX_HOSTS items (a name twice is found by
 * jb_hostpos_parse()). Allocates one copy's worth of memory; false when there is none. */
bool jb_hostpos_valid(const char *s);

/* Append " NAME=CURSOR" (the name escaped) to out. 0 or -ENOMEM. */
int jb_hostpos_append_item(jb_buf *out, const char *name, const char *cursor, size_t cursor_len);

/* A table of positions: a slot per host name, found by name, or by the index the reader gives
 * the host (jb_entry.host_index) once the name was seen with it. Zero-initialize;
 * jb_hostpos_done() at the end. */
typedef struct jb_hostpos {
    size_t n, cap;
    char **name;     /* decoded names, owned */
    jb_buf *cursor;  /* the cursor of each slot ("" none) */
    size_t *slot_of; /* host_index - 1 -> slot + 1 (0: not seen yet) */
    size_t n_slot_of;
    uint64_t changes; /* bumped by every change: a caller's cache of the formatted text */
} jb_hostpos;

void jb_hostpos_done(jb_hostpos *p);
/* Empty the table (keeps no slot). */
void jb_hostpos_reset(jb_hostpos *p);

/* Replace the table's content by the position s. 0, -EINVAL (not a valid position), -ENOMEM. */
int jb_hostpos_parse(jb_hostpos *p, const char *s);

/* The slot of name, or -1. */
ssize_t jb_hostpos_find(const jb_hostpos *p, const char *name);

/* The slot of host_index (1-based) named name: found by index, else by name (added when
 * missing). The slot, or -ENOMEM. */
ssize_t jb_hostpos_slot(jb_hostpos *p, uint32_t host_index, const char *name);

/* Set the cursor of the host (n bytes at cursor). 0 or -ENOMEM. */
int jb_hostpos_update(jb_hostpos *p, uint32_t host_index, const char *name, const char *cursor, size_t n);

/* The table as a position string into out (replacing its content); hosts without a cursor are
 * left out. 0 (out empty when no host has a cursor) or -ENOMEM. */
int jb_hostpos_format(const jb_hostpos *p, jb_buf *out);
