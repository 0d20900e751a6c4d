/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Reading the journal with sd-journal: open a source, position, read entries in one
 * sd_journal_enumerate_data() pass, follow with sd_journal_wait() across rotation and vacuum. */

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "entry.h"
#include "util.h"

typedef enum jb_source_kind {
    JB_SOURCE_SYSTEM = 0, /* the local system journal */
    JB_SOURCE_DIRECTORY,  /* sd_journal_open_directory(), e.g. a systemd-journal-remote store */
    JB_SOURCE_FILES,      /* explicit journal files */
    JB_SOURCE_NAMESPACE,  /* a journald namespace */
} jb_source_kind;

typedef struct jb_source {
    jb_source_kind kind;
    const char *directory;
    const char *const *files;
    size_t n_files;
    const char *name_space;
    bool per_host; /* a directory read per host (issue 19): each host's files a journal of its own,
                    * read in turn; the position is one cursor per host (hostpos.h) */
} jb_source;

typedef struct jb_journal jb_journal;

/* Open the source. Journal files of the source that cannot be opened (permissions, truncated)
 * are skipped and listed (jb_journal_unreadable()); when no file at all could be opened (a
 * missing or empty directory, a namespace without files, every file unreadable), it fails, err
 * naming the source and the first files: -ENOENT, or the first file's error (-EACCES...). */
int jb_journal_open(const jb_source *src, jb_journal **ret, jb_error *err);

/* Whether the source can be opened now, without opening it: for a directory, that it exists (a
 * store may be created later: an adapter warns and retries rather than refusing the setting).
 * 0, or a negative errno with err naming the directory. */
int jb_journal_source_present(const jb_source *src, jb_error *err);

/* The source's journal files that could not be opened when it was, each "PATH: reason";
 * i < jb_journal_n_unreadable(j), borrowed until jb_journal_free(). */
size_t jb_journal_n_unreadable(const jb_journal *j);
const char *jb_journal_unreadable(const jb_journal *j, size_t i);
jb_journal *jb_journal_free(jb_journal *j);

/* Add an exact "FIELD=VALUE" match with journalctl's semantics (several values of one field: any;
 * different fields: all). -EINVAL with err naming the match when FIELD is not a valid journal
 * field name. Call before reading. */
int jb_journal_add_match(jb_journal *j, const char *match, jb_error *err);

/* Keep the fields whose names match one of the n globs (fnmatch; copied) in jb_entry.extra, when
 * jbridge does not use them otherwise (issue 17: Docker's labels and env). Replaces the globs set
 * before; n 0 keeps none (the default). 0 or -ENOMEM. Call before reading. */
int jb_journal_set_extra_fields(jb_journal *j, const char *const *globs, size_t n);

int jb_journal_seek_head(jb_journal *j, jb_error *err);
int jb_journal_seek_tail(jb_journal *j, jb_error *err);
/* Position before the first entry received at or after usec (microseconds since the epoch). */
int jb_journal_seek_realtime(jb_journal *j, uint64_t usec, jb_error *err);

/* Position after the entry of cursor: the next jb_journal_next() returns the entry that follows
 * it. Returns 1 when the entry was found, 0 when it no longer exists (vacuumed) or belongs to
 * another journal: reading then continues at the first entry after the cursor's position. */
int jb_journal_seek_cursor(jb_journal *j, const char *cursor, jb_error *err);

/* Read the next entry into e. 1: an entry; 0: no more for now; negative errno. A directory read
 * per host sets e->host and e->host_index (entry.h); its entries keep their own host's cursor. */
int jb_journal_next(jb_journal *j, jb_entry *e, jb_error *err);

/* After an entry was read, waits last at most JB_JOURNAL_POLL_USEC for JB_JOURNAL_ACTIVE_USEC:
 * the latency of a busy journal does not hang on journald's change notifications. */
#define JB_JOURNAL_POLL_USEC 5000u
#define JB_JOURNAL_ACTIVE_USEC 2000000u

/* Wait up to timeout_usec for changes (less while entries keep coming, see above). Rotation and vacuum
 * (SD_JOURNAL_INVALIDATE) are handled here: the reader is put back after the last entry it returned, so nothing is lost
 * or repeated. Returns 0 (nothing / appended) or 1 (the journal files changed), or a negative errno. */
int jb_journal_wait(jb_journal *j, uint64_t timeout_usec, jb_error *err);

/* The cursor of the last entry returned (or stood on by jb_journal_seek_tail/seek_cursor), NULL when
 * none. Borrowed until the next call. A directory read per host: a position per host (hostpos.h)
 * naming every host that has one. */
const char *jb_journal_last_cursor(const jb_journal *j);

/* How many times the files changed under the reader, and how many re-positionings found the last
 * entry gone (vacuumed before it could be read past). */
uint64_t jb_journal_invalidations(const jb_journal *j);

/* Whether j reads a directory per host; how many host journals it has open now, and how many
 * hosts it knows (0 and 0 when not per host). */
bool jb_journal_per_host(const jb_journal *j);
size_t jb_journal_hosts_open(const jb_journal *j);
size_t jb_journal_hosts(const jb_journal *j);
uint64_t jb_journal_lost_positions(const jb_journal *j);
/* How many times an entry received moments ago without a MESSAGE was read again: journald links a
 * new entry's data objects after the entry becomes visible, so its MESSAGE can be missing at the
 * first read (see journal.c). */
uint64_t jb_journal_rereads(const jb_journal *j);

/* A gap: entries that were removed from the journal (vacuumed) after the reader's position and
 * before it could read them. Found by sequence numbers: after every re-positioning (a saved cursor,
 * or rotation/vacuum), the first entry read is compared with the last one read before; when both
 * carry the same sequence number id and entries between them no longer exist at all (journal
 * matches may skip entries legitimately: those still in the journal are not counted), the missing
 * range is a gap. Entries from another journal (another seqnum id) give no gap. */
typedef struct jb_gap {
    char seqnum_id[JB_CURSOR_ID_MAX + 1]; /* the journal's sequence number id, 32 hex digits */
    uint64_t first;                       /* sequence number of the first entry gone */
    uint64_t last;                        /* ... and of the last one */
    uint64_t count;                       /* last - first + 1 */
    uint64_t after_usec;                  /* receive time of the last entry read before the gap (0: unknown) */
    uint64_t before_usec;                 /* receive time of the first entry read after it (0: unknown) */
} jb_gap;

/* The gap found by the last jb_journal_next() that returned 1, or NULL. Borrowed until the next
 * call on j; reported once (the next call returns NULL until another gap is found). */
const jb_gap *jb_journal_take_gap(jb_journal *j);

/* Describe a gap in one line for a log, without a trailing newline, e.g. "12 entries vacuumed
 * before they were read: sequence numbers 101-112 of journal 0f1e..., received between
 * 2024-05-01T10:00:00.000001Z and 2024-05-01T10:00:02.000000Z". Truncated to fit buf (size n > 0). */
void jb_gap_describe(const jb_gap *gap, char *buf, size_t n);
