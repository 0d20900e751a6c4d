/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The record: one application or audit line as the core hands it to an adapter, after filtering,
 * reassembly of split lines and audit recognition. No JSON-library and no sd-journal types here, so
 * the rsyslog glue can include it next to rsyslog's headers. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum jb_stream {
    JB_STREAM_APP = 0,
    JB_STREAM_AUDIT = 1,
} jb_stream;

/* Returns "app" or "audit": the MSGID and the value of $!jbridge!stream. */
const char *jb_stream_name(jb_stream s);

typedef enum jb_audit_kind {
    JB_AUDIT_NONE = 0,      /* no marker: application line */
    JB_AUDIT_OK = 1,        /* marker + JSON object with every required key */
    JB_AUDIT_MALFORMED = 2, /* marker, but the JSON is invalid, not an object or incomplete */
} jb_audit_kind;

/* "none", "ok" or "malformed". */
const char *jb_audit_kind_name(jb_audit_kind k);

/* How a line was put together from Docker's pieces (see partial.h). */
typedef enum jb_line_kind {
    JB_LINE_WHOLE = 0,       /* one journal entry */
    JB_LINE_REASSEMBLED = 1, /* several pieces, complete */
    JB_LINE_INCOMPLETE = 2,  /* pieces without their last one (stream ended, evicted or timed out) */
    JB_LINE_OVERFLOW = 3,    /* cut at the maximum line size; the rest follows as another record */
} jb_line_kind;

/* "whole", "reassembled", "incomplete", "overflow". */
const char *jb_line_kind_name(jb_line_kind k);

/* One key of the audit JSON. name is a valid RFC 5424 PARAM-NAME (see sd.h for how JSON keys
 * and nested paths are mapped); key is the original JSON path (nested keys joined with '.');
 * value is the scalar as text (strings unquoted, numbers/true/false/null as JSON writes them). */
typedef struct jb_field {
    char *name;
    char *key;
    char *value;
    size_t value_len;
} jb_field;

#define JB_COMPONENT_MAX 63 /* the longest component of the wrapped form kept (record.h, jb_audit) */

/* The result of audit recognition on one message. Owned by whoever holds it; clear with
 * jb_audit_done(). */
typedef struct jb_audit {
    jb_audit_kind kind;
    const char *reason; /* static text when MALFORMED ("invalid JSON", "missing key actor_ip", ...), else NULL */
    jb_field *fields;   /* OK or MALFORMED-but-parsable: every scalar of the audit JSON, in document order */
    size_t n_fields;
    char *json; /* the audit JSON text as found (unescaped if it came from a wrapper), NUL-terminated */
    size_t json_len;
    /* The strings of fields[0 .. n_pooled - 1] live in one block, strings (NULL when n_pooled is
     * 0); the fields after them own their strings one by one. */
    char *strings;
    size_t n_pooled;
    /* The wrapped form, {"component":"...","log":"..."} (issue 17): wrapped when the line is a JSON
     * object with a string member "log" (found without a JSON library when it holds no marker);
     * its "component" when that is a string of 1 to JB_COMPONENT_MAX bytes without NUL (else "");
     * a copy of its "log" string (may hold NULs) when recognition parsed the wrapper because a
     * marker is in it, or after jb_audit_inner(), else NULL. Set whatever the kind. */
    bool wrapped;
    char wrap_component[JB_COMPONENT_MAX + 1];
    size_t wrap_component_len;
    char *wrap_log;
    size_t wrap_log_len;
    /* fields whose PARAM-NAME collided with an earlier field's (after jb_sd_name()'s mapping, e.g.
     * "resource id" and "resource_id") and were made unique with a "~N" suffix (jbridge@PEN
     * renamed="N"); pooled fields are never renamed */
    unsigned renamed;
} jb_audit;

void jb_audit_done(jb_audit *a);

/* A journal field copied into container@PEN (issue 17: Docker's labels and env). name: the journal
 * field name (A-Z, 0-9, _; the structured data cuts it to a PARAM-NAME's 32 characters); value:
 * value_len bytes, NUL-terminated, may hold NULs. */
typedef struct jb_container_field {
    const char *name;
    const char *value;
    size_t value_len;
} jb_container_field;

/* A record as the bridge delivers it. All pointers are borrowed from the bridge and valid only
 * during the callback that receives the record. Strings are NUL-terminated; message may also
 * contain NULs, so use message_len. Missing values are "" (never NULL). */
typedef struct jb_record {
    const char *message;
    size_t message_len;

    const char *container_name; /* CONTAINER_NAME ("" for non-container entries) */
    const char *container_id;   /* short (12 character) id */
    const char *image;          /* IMAGE_NAME */
    const char *identifier;     /* SYSLOG_IDENTIFIER: the APP-NAME for non-container entries */
    const char *hostname;       /* _HOSTNAME */
    /* Issue 17: CONTAINER_TAG when the operator set one (it differs from the short and the full
     * id), else ""; the wrapped form's component ("" when none); the journal fields named by the
     * setting "container fields", in journal order (n 0: none) */
    const char *container_tag;
    const char *component;
    const jb_container_field *container_fields;
    size_t n_container_fields;

    /* A container entry whose writer is not trusted (trust.h): never audit; the writer as
     * journald recorded it (_UID, _COMM; "" when absent) is shown with it. */
    bool untrusted;
    const char *writer_uid;
    const char *writer_comm;

    uint64_t time_usec; /* SYSLOG_TIMESTAMP, else _SOURCE_REALTIME_TIMESTAMP, else receive time (jb_time_usable) */
    int severity;       /* 0-7 */
    int facility;       /* 0-23 from SYSLOG_FACILITY, or -1 when the entry had none (adapter default) */

    const char *cursor;    /* journal cursor of the last entry that went into this record */
    const char *record_id; /* 16 hex digits derived from cursor; the same entry always gives the same id */

    jb_line_kind line;
    unsigned pieces;             /* journal entries that made this record (1 unless split) */
    unsigned part;               /* 0, or N for the N+1th part of a line cut at the maximum line size */
    jb_stream first_part_stream; /* when part > 0: where the first part of the cut line went */

    const jb_audit *audit; /* kind NONE for application lines; never NULL */
    jb_stream stream;      /* decided by jb_route() */

    /* RFC 5424 meta sequenceId: the record's number in its stream (1..JB_SEQUENCE_MAX, then 1
     * again), counted by the bridge and saved with the state; 0: none (no meta element). */
    uint32_t sequence;

    /* NULL, or why the sender's jbridge data was not taken (mmjbridge on an unauthenticated
     * input, resplit.h): written as jbridge@PEN peer="..." */
    const char *peer;
} jb_record;

/* The largest RFC 5424 sequenceId; the next one is 1. */
#define JB_SEQUENCE_MAX 2147483647u

/* The sequenceId after last (0: none yet gives 1). */
uint32_t jb_sequence_next(uint32_t last);

/* The record id: 16 lowercase hex digits + NUL into out, from the cursor of the record's last entry
 * and seq, the record's part number (jb_record.part): the records that end on one entry are the
 * parts of one line cut at the maximum line size, each with its own number, whenever each is
 * delivered (the remainder of a cut line may be delivered incomplete much later). seq 0 hashes the
 * cursor alone. The same entries always give the same ids. */
void jb_record_id(const char *cursor, unsigned seq, char out[17]);
/* The same from jb_hash64(cursor) computed before (the journal reader does it, see jb_entry). */
void jb_record_id_hashed(uint64_t cursor_hash, unsigned seq, char out[17]);

/* ---- the header policy: PRI and APP-NAME, the same for every adapter ---- */

#define JB_FACILITY_APP_DEFAULT 1    /* user: application records without SYSLOG_FACILITY */
#define JB_FACILITY_AUDIT_DEFAULT 13 /* log audit: every audit record */

/* The record's PRI, facility * 8 + severity (0..191). Audit records take facility_audit; the
 * others their own facility when it is 0-23, else facility_app. A facility argument outside 0-23
 * falls back to its default (JB_FACILITY_*_DEFAULT); a severity outside 0-7 becomes 6. */
int jb_record_pri(const jb_record *rec, int facility_app, int facility_audit);

/* The APP-NAME: the container name, or SYSLOG_IDENTIFIER for an entry that is not a container's
 * ("" when it has neither). Borrowed from rec. */
const char *jb_record_app_name(const jb_record *rec);

/* ---- setting a field ---- */

/* Fill f with new NUL-terminated copies of name (name_len bytes), key and value (value_len bytes,
 * may contain NULs; value_len is stored too). What f held before is overwritten, not freed: f is
 * a new slot. 0, or -ENOMEM with f unchanged. */
int jb_field_set(jb_field *f, const char *name, size_t name_len, const char *key, size_t key_len, const char *value,
                 size_t value_len);
