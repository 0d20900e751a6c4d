/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One journal entry reduced to what jbridge uses, as owned copies (journal data is only valid
 * until the next sd-journal call). Field parsing lives here, apart from sd-journal, so it is
 * tested on plain data. The buffers are reused from entry to entry. */

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define JB_SEVERITY_DEFAULT 6 /* info: used when PRIORITY is missing or not 0-7 */

typedef struct jb_entry {
    jb_buf message;           /* MESSAGE, binary-safe; a TTY's trailing '\r' removed */
    jb_buf container_name;    /* CONTAINER_NAME */
    jb_buf container_id;      /* CONTAINER_ID, else the first 12 characters of CONTAINER_ID_FULL */
    jb_buf container_id_full; /* CONTAINER_ID_FULL, else CONTAINER_ID */
    jb_buf image;             /* IMAGE_NAME */
    jb_buf identifier;        /* SYSLOG_IDENTIFIER */
    jb_buf hostname;          /* _HOSTNAME */
    jb_buf cursor;            /* journal cursor */
    jb_buf partial_id;        /* CONTAINER_PARTIAL_ID ("" when absent) */
    /* the writer, as journald recorded it (trust.h): _COMM, _EXE, _SYSTEMD_UNIT, _TRANSPORT, _UID, _GID */
    jb_buf writer_comm;
    jb_buf writer_exe;
    jb_buf writer_unit;
    jb_buf writer_transport;
    jb_buf writer_uid;
    jb_buf writer_gid;

    bool is_container;        /* the entry had CONTAINER_NAME */
    bool untrusted;           /* a container entry whose writer is not trusted (set by the bridge, trust.h) */
    bool partial;             /* CONTAINER_PARTIAL_MESSAGE=true: a piece that is not the last */
    bool has_partial_last;    /* CONTAINER_PARTIAL_LAST was present */
    bool partial_last;        /* ... and was "true" */
    uint64_t partial_ordinal; /* CONTAINER_PARTIAL_ORDINAL, 0 when absent */

    uint64_t time_usec; /* resolved by jb_entry_finish() */
    int severity;       /* 0-7 */
    int facility;       /* 0-23, or -1 */

    /* raw time sources, resolved by jb_entry_finish() */
    uint64_t syslog_ts_usec;
    bool has_syslog_ts;
    uint64_t source_ts_usec;
    bool has_source_ts;

    /* jb_hash64 of the cursor, which record ids start from: computed by the journal reader (with
     * read-ahead, in its thread) so the record's thread does not have to */
    uint64_t cursor_hash;
    bool has_cursor_hash;
} jb_entry;

/* A buffer of an entry as a NUL-terminated string: "" when nothing was ever stored in it (its data
 * may be NULL after jb_entry_reset()). Use b->len for binary content such as the message. */
static inline const char *jb_entry_str(const jb_buf *b) {
    return jb_str_or_empty(b->data);
}

/* Split journal data "FIELD=value" (not NUL-terminated, n bytes) at the first '='.
 * Returns 0 and the name and value slices, or -EBADMSG when there is no '=' or the name is empty.
 * The slices borrow from data. */
int jb_field_split(const void *data, size_t n, const char **ret_name, size_t *ret_name_len, const char **ret_value,
                   size_t *ret_value_len);

/* Empty every field for the next entry (memory is kept): buffers of length 0 (data NULL or ""),
 * severity JB_SEVERITY_DEFAULT, facility -1, flags false, numbers 0. A zeroed jb_entry may be
 * passed to it; call it before the first entry. */
void jb_entry_reset(jb_entry *e);
/* Free the buffers and leave e as jb_entry_reset() does. */
void jb_entry_done(jb_entry *e);

/* Take one journal field. name/value are slices (not NUL-terminated). Unknown fields are ignored;
 * a field seen twice keeps its last value. A PRIORITY other than one digit 0-7 gives
 * JB_SEVERITY_DEFAULT, a SYSLOG_FACILITY other than 0-23 gives -1, an unparsable timestamp counts
 * as absent. 0 or -ENOMEM (the entry is then incomplete: reset it). */
int jb_entry_set_field(jb_entry *e, const char *name, size_t name_len, const char *value, size_t value_len);

/* After all fields, once: choose the time (SYSLOG_TIMESTAMP, else _SOURCE_REALTIME_TIMESTAMP, else
 * receive_usec; a time after 9999 counts as absent, see jb_time_usable()), strip a TTY's trailing '\r' (one), derive
 * the short id from the full one and the full id from the short one when missing or empty. Never allocates:
 * jb_entry_set_field() reserves the room it needs. */
void jb_entry_finish(jb_entry *e, uint64_t receive_usec);

/* The bytes the entry's fields hold (their lengths, cursor included). */
size_t jb_entry_bytes(const jb_entry *e);

/* When the buffers together hold more than keep bytes of memory, give all of it back (the entry
 * is empty afterwards: call before reading the next entry into e). */
void jb_entry_trim(jb_entry *e, size_t keep);

/* Deep copy src into dst (dst's buffers are reused). 0 or -ENOMEM (dst is then valid but its
 * content unspecified: reset it). */
int jb_entry_copy(jb_entry *dst, const jb_entry *src);
