/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "resplit.h"
#include "route.h"
#include "sd.h"

/* One parsed SD-PARAM: name and the raw (escaped) value. */
typedef struct sd_cursor {
    const char *s;
    size_t n, pos;
} sd_cursor;

static bool slice_is(const char *p, size_t n, const char *s) {
    return jb_slice_eq(p, n, s);
}

/* Unescape \" \\ \] (a backslash before anything else stays) into a new string. */
static char *unescape(const char *p, size_t n, size_t *ret_len) {
    char *out = jb_malloc(n + 1), *o = out;
    if (out == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n && (p[i + 1] == '"' || p[i + 1] == '\\' || p[i + 1] == ']')) i++;
        *o++ = p[i];
    }
    *o = '\0';
    *ret_len = (size_t)(o - out);
    return out;
}

static int add_field(jb_audit *a, const char *name, size_t name_len, const char *val, size_t val_len) {
    jb_field *f;
    size_t vlen = 0;
    if (a->n_fields >= JB_AUDIT_MAX_FIELDS) return 0;
    f = jb_realloc(a->fields, (a->n_fields + 1) * sizeof(*f));
    if (f == NULL) return -ENOMEM;
    a->fields = f;
    f = &a->fields[a->n_fields];
    memset(f, 0, sizeof(*f));
    f->name = jb_strndup(name, name_len);
    f->key = jb_strndup(name, name_len);
    f->value = unescape(val, val_len, &vlen);
    if (f->name == NULL || f->key == NULL || f->value == NULL) {
        jb_free(f->name);
        jb_free(f->key);
        jb_free(f->value);
        return -ENOMEM;
    }
    f->value_len = vlen;
    a->n_fields++;
    return 0;
}

/* Walk the elements of a validated SD string. For each param of the two interesting elements,
 * act. Returns found-bits (1: jbridge@PEN, 2: audit@PEN) or -ENOMEM. */
static int walk(const char *s, size_t n, const char *jb_id, const char *audit_id, jb_audit *a, jb_stream *stream,
                bool *malformed, const char **reason) {
    size_t i = 0;
    int found = 0;
    while (i < n && s[i] == '[') {
        size_t id0 = ++i, idn;
        int which = 0;
        while (i < n && s[i] != ' ' && s[i] != ']') i++;
        idn = i - id0;
        if (slice_is(s + id0, idn, jb_id))
            which = 1;
        else if (slice_is(s + id0, idn, audit_id))
            which = 2;
        found |= which;
        while (i < n && s[i] == ' ') {
            size_t nm0 = ++i, nmn, v0, vn;
            while (i < n && s[i] != '=') i++;
            nmn = i - nm0;
            i += 2; /* =" */
            v0 = i;
            while (i < n && s[i] != '"') i += s[i] == '\\' && i + 1 < n ? 2 : 1;
            vn = i - v0;
            i++; /* closing quote */
            if (which == 2) {
                int r = add_field(a, s + nm0, nmn, s + v0, vn);
                if (r < 0) return r;
            } else if (which == 1) {
                if (slice_is(s + nm0, nmn, "stream"))
                    *stream = slice_is(s + v0, vn, "audit") ? JB_STREAM_AUDIT : JB_STREAM_APP;
                else if (slice_is(s + nm0, nmn, "audit") && slice_is(s + v0, vn, "malformed"))
                    *malformed = true;
                else if (slice_is(s + nm0, nmn, "reason"))
                    *reason = "malformed (from the sender)";
            }
        }
        i++; /* ] */
    }
    return found;
}

int jb_resplit_find(const char *sd, size_t n, unsigned pen, jb_audit *ret_audit, jb_stream *ret_stream) {
    char jb_id[JB_SD_NAME_MAX + 16], audit_id[JB_SD_NAME_MAX + 16];
    jb_audit a = {0};
    jb_stream stream = JB_STREAM_APP;
    bool malformed = false;
    const char *reason = NULL;
    int found;

    if (sd == NULL || n == 0 || sd[0] != '[' || jb_sd_validate(sd, n) < 0) return 0;
    if (pen == 0) pen = JB_SD_DEFAULT_PEN;
    snprintf(jb_id, sizeof(jb_id), "jbridge@%u", pen);
    snprintf(audit_id, sizeof(audit_id), "audit@%u", pen);
    found = walk(sd, n, jb_id, audit_id, &a, &stream, &malformed, &reason);
    if (found <= 0) {
        jb_audit_clear(&a);
        return found;
    }
    if (!(found & 1)) stream = JB_STREAM_AUDIT; /* audit@PEN alone */
    if (stream == JB_STREAM_AUDIT) {
        a.kind = malformed ? JB_AUDIT_MALFORMED : JB_AUDIT_OK;
        a.reason = malformed ? (reason != NULL ? reason : "malformed (from the sender)") : NULL;
    } else {
        jb_audit_clear(&a); /* an application record keeps no audit fields */
    }
    *ret_audit = a;
    *ret_stream = stream;
    return 1;
}

void jb_resplit_record(const char *msg, size_t msg_len, const jb_audit *audit, jb_stream stream, char id[17],
                       jb_record *rec) {
    snprintf(id, 17, "%016" PRIx64, jb_hash64(msg, msg_len));
    memset(rec, 0, sizeof(*rec));
    rec->message = msg;
    rec->message_len = msg_len;
    rec->container_name = rec->container_id = rec->image = rec->identifier = rec->hostname = "";
    rec->cursor = "";
    rec->record_id = id;
    rec->severity = 6;
    rec->facility = -1;
    rec->line = JB_LINE_WHOLE;
    rec->pieces = 1;
    rec->audit = audit;
    rec->stream = stream;
}

int jb_resplit_message(const jb_audit_matcher *m, const char *msg, size_t msg_len, const char *sd, size_t sd_len,
                       unsigned pen, jb_audit *ret_audit, jb_stream *ret_stream) {
    jb_record rec;
    char id[17];
    int r;

    r = jb_resplit_find(sd, sd_len, pen, ret_audit, ret_stream);
    if (r < 0) return r;
    if (r > 0) return JB_RESPLIT_SD;
    r = jb_audit_recognize(m, msg, msg_len, ret_audit);
    if (r < 0) return r;
    jb_resplit_record(msg, msg_len, ret_audit, JB_STREAM_APP, id, &rec);
    *ret_stream = jb_route(&rec);
    return JB_RESPLIT_TEXT;
}
