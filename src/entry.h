/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One journal entry reduced to what jbridge uses, as owned copies (journal data is only valid
 * until the next sd-journal call). Field parsing lives here, apart from sd-journal, so it is
 * tested on plain data. The buffers are reused from entry to entry. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define JB_SEVERITY_DEFAULT 6 /* info: used when PRIORITY is missing or not 0-7 */

typedef struct jb_entry {
    jb_buf message;           /* MESSAGE, binary-safe; conmon's '\n' and a TTY's '\r' removed (see jb_entry_finish) */
    jb_buf container_name;    /* CONTAINER_NAME */
    jb_buf container_id;      /* CONTAINER_ID, else the first 12 characters of CONTAINER_ID_FULL */
    jb_buf container_id_full; /* CONTAINER_ID_FULL, else CONTAINER_ID */
    jb_buf image;             /* IMAGE_NAME */
    jb_buf identifier;        /* SYSLOG_IDENTIFIER */
    jb_buf hostname;          /* _HOSTNAME */
    jb_buf cursor;            /* journal cursor */
    jb_buf partial_id;        /* CONTAINER_PARTIAL_ID ("" when absent) */
    jb_buf container_tag;     /* CONTAINER_TAG (Docker's --log-opt tag; default the short id) */
    /* Fields the reader was asked to keep (jb_journal_set_extra_fields(), e.g. Docker's labels and
     * env), in journal order, packed by jb_entry_add_extra(): read them with jb_entry_next_extra() */
    jb_buf extra;
    /* the writer, as journald recorded it (trust.h): _COMM, _EXE, _SYSTEMD_UNIT, _TRANSPORT, _UID, _GID */
    jb_buf writer_comm;
    jb_buf writer_exe;
    jb_buf writer_unit;
    jb_buf writer_transport;
    jb_buf writer_uid;
    jb_buf writer_gid;

    bool is_container;        /* the entry had CONTAINER_NAME */
    bool has_message;         /* the entry had MESSAGE (possibly empty) */
    bool untrusted;           /* a container entry whose writer is not trusted (set by the bridge, trust.h) */
    bool partial;             /* CONTAINER_PARTIAL_MESSAGE=true: a piece that is not the last */
    bool has_partial_last;    /* CONTAINER_PARTIAL_LAST was present */
    bool partial_last;        /* ... and was "true" */
    uint64_t partial_ordinal; /* CONTAINER_PARTIAL_ORDINAL, 0 when absent */

    uint64_t time_usec;    /* resolved by jb_entry_finish() */
    uint64_t receive_usec; /* __REALTIME_TIMESTAMP, when journald received it (set by jb_entry_finish()) */
    int severity;          /* 0-7 */
    int facility;          /* 0-23, or -1 */

    /* raw time sources, resolved by jb_entry_finish() */
    uint64_t syslog_ts_usec;
    bool has_syslog_ts;
    uint64_t source_ts_usec;
    bool has_source_ts;

    /* jb_hash64 of the cursor, which record ids start from: computed by the journal reader (with
     * read-ahead, in its thread) so the record's thread does not have to */
    uint64_t cursor_hash;
    bool has_cursor_hash;

    /* A directory read per host (issue 19): the entry's host, borrowed from the journal until
     * jb_journal_free(), and its number there (1-based, stable while the journal is open); set by
     * that reader on every entry, never by the others (NULL and 0). */
    const char *host;
    uint32_t host_index;
} jb_entry;

/* A buffer of an entry as a NUL-terminated string: "" when nothing was ever stored in it (its data
 * may be NULL after jb_entry_reset()). Use b->len for binary content such as the message. */
static inline const char *jb_entry_str(const jb_buf *b) {
    return jb_str_or_empty(b->data);
}

/* The first '=' in the n bytes at p, or NULL: eight bytes per step (the reader splits every field
 * of every entry, and a call to memchr() for a name of a dozen bytes cost more than the search). */
static inline const char *jb__find_eq(const char *p, size_t n) {
    const uint64_t ones = UINT64_C(0x0101010101010101), low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
    size_t i = 0;
#ifdef __SSE2__
    /* sixteen bytes per step where sixteen are there to read: most names end within the first */
    const __m128i eq = _mm_set1_epi8('=');
    for (; n - i >= 16; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), eq));
        if (m) return p + i + __builtin_ctz(m);
    }
#endif
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w ^= ones * '=';
        /* exact: the high bit of each byte that was '=' (no false positives, so the order of the
         * bytes in the word does not matter beyond picking the first) */
        uint64_t z = ~(((w & low7) + low7) | w | low7);
        if (z) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return p + i + (size_t)(__builtin_ctzll(z) / 8);
#else
            return p + i + (size_t)(__builtin_clzll(z) / 8);
#endif
        }
    }
    for (; i < n; i++)
        if (p[i] == '=') return p + i;
    return NULL;
}

/* Split journal data "FIELD=value" (not NUL-terminated, n bytes) at the first '='.
 * Returns 0 and the name and value slices, or -EBADMSG when there is no '=' or the name is empty.
 * The slices borrow from data. Inline: the reader calls it for every field of every entry. */
static inline int jb_field_split(const void *data, size_t n, const char **ret_name, size_t *ret_name_len,
                                 const char **ret_value, size_t *ret_value_len) {
    const char *p = data;
    const char *eq = jb__find_eq(p, n);
    if (!eq || eq == p) return -EBADMSG;
    *ret_name = p;
    *ret_name_len = (size_t)(eq - p);
    *ret_value = eq + 1;
    *ret_value_len = n - (size_t)(eq - p) - 1;
    return 0;
}

/* Empty every field for the next entry (memory is kept): buffers of length 0 (data NULL or ""),
 * severity JB_SEVERITY_DEFAULT, facility -1, flags false, numbers 0. A zeroed jb_entry may be
 * passed to it; call it before the first entry. */
void jb_entry_reset(jb_entry *e);
/* Free the buffers and leave e as jb_entry_reset() does. */
void jb_entry_done(jb_entry *e);

/* Take one journal field. name/value are slices (not NUL-terminated). Unknown fields are ignored;
 * a field seen twice keeps its last value. A PRIORITY other than one digit 0-7 gives
 * JB_SEVERITY_DEFAULT, a SYSLOG_FACILITY other than 0-23 gives -1, an unparsable timestamp counts
 * as absent. 0 (a field jbridge uses), 1 (a field it does not use: the reader may keep it with
 * jb_entry_add_extra()) or -ENOMEM (the entry is then incomplete: reset it). */
int jb_entry_set_field(jb_entry *e, const char *name, size_t name_len, const char *value, size_t value_len);

/* Take one journal field as sd-journal gives it ("NAME=value", n bytes, not NUL-terminated): the
 * same as jb_field_split() then jb_entry_set_field(), but a field jbridge does not use is told
 * apart from its first bytes, without looking for its '='. 0 (a field jbridge used), 1 (any
 * other data, malformed included: the caller that keeps extra fields splits those itself) or
 * -ENOMEM. */
int jb_entry_set_data(jb_entry *e, const void *data, size_t n);

/* Keep the field name (name_len bytes, 1 to 255) = value (value_len bytes, any bytes) in e->extra.
 * 0, -EINVAL for a name of another length, or -ENOMEM. */
int jb_entry_add_extra(jb_entry *e, const char *name, size_t name_len, const char *value, size_t value_len);

/* The extra field at *pos in e->extra (start with *pos = 0): 1 with the name and the value
 * (NUL-terminated; the value may hold NULs, see ret_value_len) borrowed from e until it changes, and
 * *pos moved past it; 0 at the end. */
int jb_entry_next_extra(const jb_entry *e, size_t *pos, const char **ret_name, const char **ret_value,
                        size_t *ret_value_len);

/* After all fields, once: choose the time (SYSLOG_TIMESTAMP, else _SOURCE_REALTIME_TIMESTAMP, else
 * receive_usec; a time after 9999 counts as absent, see jb_time_usable()), strip from a
 * container's line the trailing '\n' Podman's conmon keeps (one), then
 * a TTY's trailing '\r' (one) from any entry, both unless the entry is a piece that is not the last
 * of its line (jb_entry_more_pieces(): there the '\r' is text that Docker cut at 16 KiB; the
 * reassembler strips it from the finished line), derive the short id from the full one and the
 * full id from the short one when missing or empty. Never allocates: jb_entry_set_field() reserves
 * the room it needs. */
void jb_entry_finish(jb_entry *e, uint64_t receive_usec);

/* A container's piece that is not the last of its line: CONTAINER_PARTIAL_MESSAGE=true, or a
 * CONTAINER_PARTIAL_ID with CONTAINER_PARTIAL_LAST present and not "true" (see partial.h). */
static inline bool jb_entry_more_pieces(const jb_entry *e) {
    return e->is_container && (e->partial || (e->partial_id.len > 0 && e->has_partial_last && !e->partial_last));
}

/* The bytes the entry's fields hold (their lengths, cursor included). */
size_t jb_entry_bytes(const jb_entry *e);

/* When the buffers together hold more than keep bytes of memory, give all of it back (the entry
 * is empty afterwards: call before reading the next entry into e). */
void jb_entry_trim(jb_entry *e, size_t keep);

/* Deep copy src into dst (dst's buffers are reused). 0 or -ENOMEM (dst is then valid but its
 * content unspecified: reset it). */
int jb_entry_copy(jb_entry *dst, const jb_entry *src);
