/* SPDX-License-Identifier: Apache-2.0 */
#include "record.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

const char *jb_stream_name(jb_stream s) {
    return s == JB_STREAM_AUDIT ? "audit" : "app";
}

const char *jb_audit_kind_name(jb_audit_kind k) {
    return k == JB_AUDIT_OK ? "ok" : k == JB_AUDIT_MALFORMED ? "malformed" : "none";
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

void jb_audit_done(jb_audit *a) {
    if (!a) return;
    for (size_t i = a->n_pooled; i < a->n_fields; i++) {
        jb_free(a->fields[i].name);
        jb_free(a->fields[i].key);
        jb_free(a->fields[i].value);
    }
    jb_free(a->fields);
    jb_free(a->strings);
    jb_free(a->json);
    if (a->wrap_log) jb_free(a->wrap_log);
    memset(a, 0, sizeof *a);
}

uint32_t jb_sequence_next(uint32_t last) {
    return last >= JB_SEQUENCE_MAX ? 1 : last + 1;
}

void jb_record_id(const char *cursor, unsigned seq, char out[17]) {
    jb_record_id_hashed(jb_cursor_hash(cursor, strlen(cursor)), seq, out);
}

void jb_record_id_hashed(uint64_t h, unsigned seq, char out[17]) {
    if (seq > 0) {
        /* "#" and seq in decimal, as "#%u" writes it (digits by hand: this runs for every record) */
        char tail[16];
        size_t i = sizeof tail;
        do {
            tail[--i] = (char)('0' + seq % 10);
            seq /= 10;
        } while (seq);
        tail[--i] = '#';
        h = jb_hash64_update(h, tail + i, sizeof tail - i);
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = hex[h & 15];
        h >>= 4;
    }
    out[16] = 0;
}

/* ---- the header policy ---- */

static int valid_facility(int f, int fallback) {
    return f >= 0 && f <= 23 ? f : fallback;
}

int jb_record_pri(const jb_record *rec, int facility_app, int facility_audit) {
    int facility;
    if (rec->stream == JB_STREAM_AUDIT)
        facility = valid_facility(facility_audit, JB_FACILITY_AUDIT_DEFAULT);
    else
        facility = valid_facility(rec->facility, valid_facility(facility_app, JB_FACILITY_APP_DEFAULT));
    return facility * 8 + (rec->severity >= 0 && rec->severity <= 7 ? rec->severity : 6);
}

const char *jb_record_app_name(const jb_record *rec) {
    return rec->container_name && rec->container_name[0] ? rec->container_name : jb_str_or_empty(rec->identifier);
}

/* ---- setting a field ---- */

int jb_field_set(jb_field *f, const char *name, size_t name_len, const char *key, size_t key_len, const char *value,
                 size_t value_len) {
    char *n = jb_strndup(name, name_len);
    char *k = jb_strndup(key, key_len);
    char *v = jb_strndup(value, value_len);
    if (!n || !k || !v) {
        jb_free(n);
        jb_free(k);
        jb_free(v);
        return -ENOMEM;
    }
    *f = (jb_field){.name = n, .key = k, .value = v, .value_len = value_len};
    return 0;
}
