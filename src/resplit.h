/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Recognition for messages that did not come from the journal (the mmjbridge action): a message
 * that already carries jbridge's structured data (forwarded by another jbridge) is split again
 * by that data, never re-parsed; any other message is recognized by its text like a journal line. */

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "buf.h"
#include "record.h"
#include "util.h"

typedef enum jb_resplit_source {
    JB_RESPLIT_TEXT = 0, /* recognized from the message text */
    JB_RESPLIT_SD = 1,   /* taken from existing jbridge@PEN / audit@PEN elements */
} jb_resplit_source;

/* Look in the structured data sd (n bytes, "-" or elements; need not be NUL-terminated) for the
 * elements jbridge@PEN and audit@PEN. Returns 1 when either is there: *ret_audit is filled (kind
 * OK, or MALFORMED when jbridge@PEN says audit="malformed", with its reason; fields: every
 * parameter of audit@PEN, unescaped, name and key both the PARAM-NAME) and *ret_stream says the
 * stream (jbridge@PEN's stream when present, else audit when audit@PEN is there). 0 when neither
 * element is there or sd is not valid structured data (outputs untouched). -ENOMEM. ret_audit must
 * be zeroed or cleared before. pen 0 means JB_SD_DEFAULT_PEN. */
int jb_resplit_find(const char *sd, size_t n, unsigned pen, jb_audit *ret_audit, jb_stream *ret_stream);

/* Classify one message: jb_resplit_find() on sd (may be NULL/empty), else jb_audit_recognize()
 * on the text, without its first character when that is a space (the separator after the tag
 * that rsyslog keeps in a RFC 3164 message's text). Fills *ret_audit (zeroed or cleared before) and *ret_stream
 * (jb_route's decision), returns the source (>= 0) or -ENOMEM. */
int jb_resplit_message(const jb_audit_matcher *m, const char *msg, size_t msg_len, const char *sd, size_t sd_len,
                       unsigned pen, jb_audit *ret_audit, jb_stream *ret_stream);

/* The record for a message outside the journal, for jb_sd_build(): only audit, stream and
 * record_id are set (id: 16 hex digits of a stable hash of the message text; mmjbridge writes
 * the id and sequenceId of jb_resplit_ids_next() instead, unique per message); strings ""
 * otherwise. id must outlive rec. */
void jb_resplit_record(const char *msg, size_t msg_len, const jb_audit *audit, jb_stream stream, char id[17],
                       jb_record *rec);

/* ---- inputs nobody authenticated (mmjbridge's audit.allowed="off") ---- */

/* The value of jbridge@PEN peer="..." on a record whose sender's claim was not taken. */
#define JB_RESPLIT_PEER_UNAUTHENTICATED "unauthenticated"

/* The policy for a message from an input that anyone may write to: it never becomes audit,
 * whether its text has an audit marker or it carries forwarded jbridge@PEN / audit@PEN elements.
 * When *stream is audit, *audit is cleared (an application record keeps no audit fields), *stream
 * becomes app and 1 is returned: the caller flags the record (jb_record.peer) and, when the
 * decision came from forwarded elements (JB_RESPLIT_SD), replaces them (jb_resplit_strip()).
 * 0 otherwise (nothing changed). */
int jb_resplit_untrusted(jb_audit *audit, jb_stream *stream);

/* Append to out the structured data sd (n bytes, valid as jb_sd_walk() checks) without the
 * elements jbridge@PEN, audit@PEN and meta (a sequenceId the sender chose): the sender's other
 * elements are kept as they were. Nothing is appended when no element is left or sd is "-" or
 * not valid. pen 0 means JB_SD_DEFAULT_PEN. 0 or -ENOMEM (out as it was). */
int jb_resplit_strip(const char *sd, size_t n, unsigned pen, jb_buf *out);

/* Record ids and sequenceIds for the messages of one mmjbridge action instance. Ids are unique
 * per message: a hash of the instance's salt (its start time and process id), a counter, the
 * host, the time and the text, so two messages never share one (the same text from two hosts, or
 * twice from one, included). sequenceIds count each stream from 1 (JB_SEQUENCE_MAX, then 1 again)
 * and start from 1 again when the instance is made again (a restart or a new configuration).
 * jb_resplit_ids_next() may be called from several threads at once. */
typedef struct jb_resplit_ids {
    uint64_t salt;
    uint64_t counter;     /* messages numbered so far */
    uint32_t sequence[2]; /* the last sequenceId of each stream (jb_stream) */
} jb_resplit_ids;

void jb_resplit_ids_init(jb_resplit_ids *g);

/* The id (16 hex digits + NUL) and the sequenceId of the next message of stream s from host
 * (NUL-terminated, may be "") received at time_usec with text msg (msg_len bytes). */
void jb_resplit_ids_next(jb_resplit_ids *g, const char *host, uint64_t time_usec, const char *msg, size_t msg_len,
                         jb_stream s, char id[17], uint32_t *ret_sequence);
