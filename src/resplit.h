/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Recognition for messages that did not come from the journal (the mmjbridge action): a message
 * that already carries jbridge's structured data (forwarded by another jbridge) is split again
 * by that data, never re-parsed; any other message is recognized by its text like a journal line. */

#include <stddef.h>

#include "audit.h"
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
 * record_id are set (id: 16 hex digits of a stable hash of the message text, so a receiver can
 * drop duplicates); strings "" otherwise. id must outlive rec. */
void jb_resplit_record(const char *msg, size_t msg_len, const jb_audit *audit, jb_stream stream, char id[17],
                       jb_record *rec);
