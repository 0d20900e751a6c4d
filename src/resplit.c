/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "resplit.h"
#include "route.h"
#include "sd.h"
#include "timestamp.h"

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

int jb_resplit_untrusted(jb_audit *audit, jb_stream *stream) {
    if (*stream != JB_STREAM_AUDIT) return 0;
    jb_audit_done(audit);
    *audit = (jb_audit){0};
    *stream = JB_STREAM_APP;
    return 1;
}

/* What jb_resplit_strip() keeps while jb_sd_walk() goes over the structured data: each element
 * runs from its '[' to the next one's, so an element is copied once the next one starts. */
typedef struct stripper {
    char jb_id[JB_SD_NAME_MAX + 16], audit_id[JB_SD_NAME_MAX + 16];
    const char *start; /* the '[' of the element being walked, NULL before the first */
    bool keep;         /* whether that element is kept */
    jb_buf *out;
} stripper;

static int strip_flush(stripper *s, const char *end) {
    if (s->start == NULL || !s->keep) return 0;
    return jb_buf_append(s->out, s->start, (size_t)(end - s->start)) < 0 ? -ENOMEM : 0;
}

static int strip_element(const char *id, size_t id_len, void *userdata) {
    stripper *s = userdata;
    int r = strip_flush(s, id - 1);
    if (r < 0) return r;
    s->start = id - 1;
    s->keep =
        !jb_slice_eq(id, id_len, s->jb_id) && !jb_slice_eq(id, id_len, s->audit_id) && !jb_slice_eq(id, id_len, "meta");
    return 0;
}

int jb_resplit_strip(const char *sd, size_t n, unsigned pen, jb_buf *out) {
    static const jb_sd_visitor visitor = {strip_element, NULL};
    stripper s = {.out = out};
    size_t old_len = out->len;

    if (sd == NULL || n == 0 || sd[0] != '[' || jb_sd_walk(sd, n, NULL, NULL) < 0) return 0;
    if (pen == 0) pen = JB_SD_DEFAULT_PEN;
    snprintf(s.jb_id, sizeof(s.jb_id), "jbridge@%u", pen);
    snprintf(s.audit_id, sizeof(s.audit_id), "audit@%u", pen);
    int r = jb_sd_walk(sd, n, &visitor, &s);
    if (r >= 0) r = strip_flush(&s, sd + n);
    if (r < 0) {
        if (out->data) {
            out->len = old_len; /* never half an element */
            out->data[old_len] = 0;
        }
        return -ENOMEM;
    }
    return 0;
}

void jb_resplit_ids_init(jb_resplit_ids *g) {
    uint64_t seed[2] = {jb_now_usec(CLOCK_REALTIME), (uint64_t)getpid()};
    *g = (jb_resplit_ids){.salt = jb_hash64(seed, sizeof seed)};
}

void jb_resplit_ids_next(jb_resplit_ids *g, const char *host, uint64_t time_usec, const char *msg, size_t msg_len,
                         jb_stream s, char id[17], uint32_t *ret_sequence) {
    uint64_t n = __atomic_add_fetch(&g->counter, 1, __ATOMIC_RELAXED);
    uint64_t h = jb_hash64_update(JB_HASH64_INIT, &g->salt, sizeof g->salt);
    h = jb_hash64_update(h, &n, sizeof n);
    h = jb_hash64_update(h, host, strlen(host) + 1);
    h = jb_hash64_update(h, &time_usec, sizeof time_usec);
    h = jb_hash64_update(h, msg, msg_len);
    snprintf(id, 17, "%016" PRIx64, h);

    uint32_t *seq = &g->sequence[s == JB_STREAM_AUDIT ? 1 : 0];
    uint32_t last = __atomic_load_n(seq, __ATOMIC_RELAXED), next;
    do {
        next = jb_sequence_next(last);
    } while (!__atomic_compare_exchange_n(seq, &last, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    *ret_sequence = next;
}
