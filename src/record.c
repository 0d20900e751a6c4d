/* SPDX-License-Identifier: Apache-2.0 */
#include "record.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

const char *jb_stream_name(jb_stream s) {
    return s == JB_STREAM_AUDIT ? "audit" : "app";
}

const char *jb_line_kind_name(jb_line_kind k) {
    switch (k) {
    case JB_LINE_REASSEMBLED:
        return "reassembled";
    case JB_LINE_INCOMPLETE:
        return "incomplete";
    case JB_LINE_OVERFLOW:
        return "overflow";
    case JB_LINE_WHOLE:
    default:
        return "whole";
    }
}

void jb_audit_clear(jb_audit *a) {
    if (!a) return;
    for (size_t i = 0; i < a->n_fields; i++) {
        jb_free(a->fields[i].name);
        jb_free(a->fields[i].key);
        jb_free(a->fields[i].value);
    }
    jb_free(a->fields);
    jb_free(a->json);
    memset(a, 0, sizeof *a);
}

void jb_record_id(const char *cursor, unsigned seq, char out[17]) {
    uint64_t h = jb_hash64(cursor, strlen(cursor));
    if (seq > 0) {
        char tail[16];
        int n = snprintf(tail, sizeof tail, "#%u", seq);
        h = jb_hash64_update(h, tail, (size_t)n);
    }
    snprintf(out, 17, "%016" PRIx64, h);
}
