/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One record as one RFC 5424 line:
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG\n
 * TIMESTAMP in UTC with microseconds; HOSTNAME/APP-NAME/PROCID/MSGID limited to printable
 * ASCII and their RFC lengths ('_' for other bytes, "-" when empty); APP-NAME the container
 * name (SYSLOG_IDENTIFIER for non-container entries); PROCID the short container id; MSGID
 * "app" or "audit". MSG: control characters as #ooo (as rsyslog's escapeControlCharacters), so a
 * line holds exactly one record whatever the content. */

#include <stdint.h>

#include "record.h"
#include "sd.h"
/* Not used here: for the files that took jb_format_time() and jb_parse_rfc3339() from this header
 * before they moved. Include timestamp.h for them. */
#include "timestamp.h"
#include "util.h"

struct jb_sd_cache;

typedef struct jb_format_opts {
    unsigned pen;       /* for the structured data */
    int facility_app;   /* used when the record has no valid facility; default 1 (user) */
    int facility_audit; /* always used for audit records; default 13 (log audit) */
    /* the caller's container element cache for one thread formatting many records (sd.h), or
     * NULL: the line is the same either way */
    struct jb_sd_cache *sd_cache;
} jb_format_opts;

#define JB_FORMAT_OPTS_DEFAULT \
    { JB_SD_DEFAULT_PEN, JB_FACILITY_APP_DEFAULT, JB_FACILITY_AUDIT_DEFAULT, NULL }

/* Append rec as one line, newline included. o NULL means JB_FORMAT_OPTS_DEFAULT; a facility in o
 * outside 0-23 falls back to the default, a severity outside 0-7 becomes 6, a time RFC 3339 cannot
 * write becomes "-". A message_len of 0 gives the line without MSG (the SD then the newline).
 * 0 or -ENOMEM; on failure out is left as it was. */
int jb_rfc5424_format(const jb_record *rec, const jb_format_opts *o, jb_buf *out);

/* The header fields jb_rfc5424_header() writes, each with its RFC 5424 length. */
typedef enum jb_header_field {
    JB_HEADER_HOSTNAME, /* 255 */
    JB_HEADER_APP_NAME, /* 48 */
    JB_HEADER_PROCID,   /* 128 */
    JB_HEADER_MSGID,    /* 32 */
} jb_header_field;

/* Append s (NUL-terminated, may be NULL) as the header field f: cut to the field's length, every
 * byte outside printable ASCII (33-126) as '_', "-" when empty; out stays NUL-terminated. For
 * adapters that hand header fields to another formatter (rsyslog). 0 or -ENOMEM. */
int jb_rfc5424_header(jb_buf *out, const char *s, jb_header_field f);

/* Append the n bytes at p with control characters (0x00-0x1f, 0x7f) as '#' and three octal
 * digits. */
int jb_escape_control(jb_buf *out, const char *p, size_t n);
