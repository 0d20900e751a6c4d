/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Private to journal.c: a directory read per host (issue 19, jb_source.per_host). The directory's
 * journal files are grouped by host (the file name before '@', else before ".journal"); each
 * group is a journal of its own (a jb_journal over its files) and the groups are read in turn, at
 * most JB_HOSTS_QUANTUM entries at a time, so that one busy host does not hold back the others.
 * At most JB_HOSTS_MAX_OPEN groups are open at once: the least recently used is closed (a group
 * that has nothing new first) and opened again at its position when its turn comes. One inotify
 * watch on the directory tells which groups changed (an append, a new, renamed or removed file).
 * The position is one cursor per group (hostpos.h). The functions mirror journal.h's. */

#include "journal.h"

#define JB_HOSTS_QUANTUM 4096u
/* A turn that ends on a piece of a split line (not its last) goes on until the line's last piece,
 * at most this many entries more: the reassembler would otherwise hold the line (or expire it by
 * the other hosts' newer times) until the host's next turn. */
#define JB_HOSTS_PIECES_MORE 256u
#define JB_HOSTS_MAX_OPEN 64u

typedef struct jb_hosts jb_hosts;

int jb__hosts_open(const jb_source *src, jb_hosts **ret, jb_error *err);
jb_hosts *jb__hosts_free(jb_hosts *h);
int jb__hosts_add_match(jb_hosts *h, const char *match, jb_error *err);
int jb__hosts_set_extra_fields(jb_hosts *h, const char *const *globs, size_t n);
int jb__hosts_seek_head(jb_hosts *h, jb_error *err);
int jb__hosts_seek_tail(jb_hosts *h, jb_error *err);
int jb__hosts_seek_realtime(jb_hosts *h, uint64_t usec, jb_error *err);
int jb__hosts_seek_cursor(jb_hosts *h, const char *cursor, jb_error *err);
int jb__hosts_next(jb_hosts *h, jb_entry *e, jb_error *err);
int jb__hosts_wait(jb_hosts *h, uint64_t timeout_usec, jb_error *err);
const char *jb__hosts_last_cursor(jb_hosts *h);
uint64_t jb__hosts_invalidations(const jb_hosts *h);
uint64_t jb__hosts_lost_positions(const jb_hosts *h);
const jb_gap *jb__hosts_take_gap(jb_hosts *h);
size_t jb__hosts_n_unreadable(const jb_hosts *h);
const char *jb__hosts_unreadable(const jb_hosts *h, size_t i);
/* How many groups are open now, and known (tests and the bench). */
size_t jb__hosts_n_open(const jb_hosts *h);
size_t jb__hosts_n_hosts(const jb_hosts *h);
