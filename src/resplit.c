/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "resplit.h"
#include "route.h"
#include "sd.h"

/* What jb_resplit_find() gathers while jb_sd_walk() goes over the structured data. */
typedef struct finder {
    char jb_id[JB_SD_NAME_MAX + 16], audit_id[JB_SD_NAME_MAX + 16];
    int which; /* the element being walked: 1 jbridge@PEN, 2 audit@PEN, 0 another */
    int found; /* bits of which */
    jb_audit audit;
    jb_stream stream;
    bool malformed;
    const char *reason;
    bool oom; /* a field could not be added: the walk goes on, as only a valid SD may give -ENOMEM */
} finder;

/* Add the parameter as a field of audit@PEN, its value unescaped (\" \\ \]; a backslash before
 * anything else stays). */
static int add_field(jb_audit *a, const char *name, size_t name_len, const char *val, size_t val_len) {
    if (a->n_fields >= JB_AUDIT_MAX_FIELDS) return 0;
    jb_field *f = jb_realloc(a->fields, (a->n_fields + 1) * sizeof(*f));
    if (f == NULL) return -ENOMEM;
    a->fields = f;
    f = &a->fields[a->n_fields];
    int r = jb_field_set(f, name, name_len, name, name_len, val, val_len);
    if (r < 0) return r;
    char *o = f->value;
    for (size_t i = 0; i < val_len; i++) {
        if (val[i] == '\\' && i + 1 < val_len && (val[i + 1] == '"' || val[i + 1] == '\\' || val[i + 1] == ']')) i++;
        *o++ = val[i];
    }
    *o = '\0';
    f->value_len = (size_t)(o - f->value);
    a->n_fields++;
    return 0;
}

static int on_element(const char *id, size_t id_len, void *userdata) {
    finder *f = userdata;
    f->which = jb_slice_eq(id, id_len, f->jb_id) ? 1 : jb_slice_eq(id, id_len, f->audit_id) ? 2 : 0;
    f->found |= f->which;
    return 0;
}

static int on_param(const char *name, size_t name_len, const char *value, size_t value_len, void *userdata) {
    finder *f = userdata;
    if (f->which == 2 && !f->oom) {
        f->oom = add_field(&f->audit, name, name_len, value, value_len) < 0;
    } else if (f->which == 1) {
        if (jb_slice_eq(name, name_len, "stream"))
            f->stream = jb_slice_eq(value, value_len, "audit") ? JB_STREAM_AUDIT : JB_STREAM_APP;
        else if (jb_slice_eq(name, name_len, "audit") && jb_slice_eq(value, value_len, "malformed"))
            f->malformed = true;
        else if (jb_slice_eq(name, name_len, "reason"))
            f->reason = "malformed (from the sender)";
    }
    return 0;
}

int jb_resplit_find(const char *sd, size_t n, unsigned pen, jb_audit *ret_audit, jb_stream *ret_stream) {
    static const jb_sd_visitor visitor = {on_element, on_param};
    finder f = {.stream = JB_STREAM_APP};

    if (sd == NULL || n == 0 || sd[0] != '[') return 0;
    if (pen == 0) pen = JB_SD_DEFAULT_PEN;
    snprintf(f.jb_id, sizeof(f.jb_id), "jbridge@%u", pen);
    snprintf(f.audit_id, sizeof(f.audit_id), "audit@%u", pen);
    int r = jb_sd_walk(sd, n, &visitor, &f);
    if (r < 0 || f.oom || f.found == 0) {
        jb_audit_done(&f.audit);
        return r == 0 && f.oom ? -ENOMEM : 0; /* not valid structured data, or neither element */
    }
    if (!(f.found & 1)) f.stream = JB_STREAM_AUDIT; /* audit@PEN alone */
    if (f.stream == JB_STREAM_AUDIT) {
        f.audit.kind = f.malformed ? JB_AUDIT_MALFORMED : JB_AUDIT_OK;
        f.audit.reason = f.malformed ? (f.reason != NULL ? f.reason : "malformed (from the sender)") : NULL;
    } else {
        jb_audit_done(&f.audit); /* an application record keeps no audit fields */
    }
    *ret_audit = f.audit;
    *ret_stream = f.stream;
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
    /* A message that came as RFC 3164 (logger, traditional forwarding) starts with the space
     * that followed its tag: rsyslog keeps it. The line the platform wrote starts after it. */
    const char *line = msg;
    size_t line_len = msg_len;
    if (line_len > 0 && line[0] == ' ') line++, line_len--;
    r = jb_audit_recognize(m, line, line_len, ret_audit);
    if (r < 0) return r;
    jb_resplit_record(msg, msg_len, ret_audit, JB_STREAM_APP, id, &rec);
    *ret_stream = jb_route(&rec);
    return JB_RESPLIT_TEXT;
}
