/* SPDX-License-Identifier: Apache-2.0 */
/* Shared glue of imjbridge and mmjbridge: core record -> rsyslog JSON properties, ABI check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "rsyslog.h"
#include "errmsg.h"
#include "msg.h"
#include "srUtils.h"
#include "syslogd-types.h"

#include "audit.h"
#include "glue.h"
#include "util.h"

static rsRetVal addString(struct json_object *obj, const char *key, const char *val, size_t len) {
    DEFiRet;
    struct json_object *s = json_object_new_string_len(val, (int)len);
    if (s == NULL) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    json_object_object_add(obj, key, s);
finalize_it:
    RETiRet;
}

/* addString() for a constant key that the object does not hold yet: json-c neither copies the key
 * nor looks for an existing one (this runs several times for every message). */
static rsRetVal addStringNew(struct json_object *obj, const char *key, const char *val, size_t len) {
    DEFiRet;
    struct json_object *s = json_object_new_string_len(val, (int)len);
    if (s == NULL) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    json_object_object_add_ex(obj, key, s, JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
finalize_it:
    RETiRet;
}

/* json_object_object_add() of a constant key that obj does not hold yet. */
static void addObjectNew(struct json_object *obj, const char *key, struct json_object *val) {
    json_object_object_add_ex(obj, key, val, JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
}

/* stream: NULL when the caller added $!jbridge!stream itself. */
static rsRetVal addJbridge(struct json_object *jb, const jb_stream *stream, const jb_audit *audit) {
    DEFiRet;
    if (stream != NULL) {
        const char *s = jb_stream_name(*stream);
        CHKiRet(addStringNew(jb, "stream", s, strlen(s)));
    }
    if (audit != NULL && audit->kind == JB_AUDIT_MALFORMED) {
        CHKiRet(addStringNew(jb, "audit", "malformed", strlen("malformed")));
        if (audit->reason != NULL) CHKiRet(addStringNew(jb, "reason", audit->reason, strlen(audit->reason)));
    }
    if (audit != NULL && audit->renamed > 0) { /* audit@PEN names made unique, as jbridge@PEN says */
        char n[16];
        snprintf(n, sizeof n, "%u", audit->renamed);
        CHKiRet(addStringNew(jb, "renamed", n, strlen(n)));
    }
finalize_it:
    RETiRet;
}

/* The static copy of key when it is one of the required keys (every record has them), else NULL. */
static const char *requiredKey(const char *key) {
    for (size_t i = 0; i < JB_ELEMENTSOF(jb_audit_required_keys); i++)
        if (!strcmp(key, jb_audit_required_keys[i])) return jb_audit_required_keys[i];
    return NULL;
}

static rsRetVal addAudit(struct json_object *root, const jb_audit *audit) {
    DEFiRet;
    struct json_object *a = NULL, *s;
    if (audit == NULL || audit->kind == JB_AUDIT_NONE || audit->n_fields == 0) FINALIZE;
    CHKmalloc(a = json_object_new_object());
    for (size_t i = 0; i < audit->n_fields; i++) {
        const jb_field *f = &audit->fields[i];
        const char *key = requiredKey(f->key);
        /* fields of one block (audit.c's flat-object path) have distinct keys; flattened paths
         * may repeat one ("a.b" from {"a":{"b":..}} and from "a.b"): the last value wins */
        unsigned opts = i < audit->n_pooled ? JSON_C_OBJECT_ADD_KEY_IS_NEW : 0;
        if (key == NULL) {
            CHKiRet(addString(a, f->key, f->value, f->value_len));
            continue;
        }
        CHKmalloc(s = json_object_new_string_len(f->value, (int)f->value_len));
        /* a static key: json-c neither copies nor frees it */
        json_object_object_add_ex(a, key, s, opts | JSON_C_OBJECT_KEY_IS_CONSTANT);
    }
    addObjectNew(root, "audit", a);
    a = NULL;
finalize_it:
    if (a != NULL) json_object_put(a);
    RETiRet;
}

/* Hands root to the message (msgAddJSON takes the reference, also on failure). */
static rsRetVal submitJson(smsg_t *pMsg, struct json_object *root) {
    return msgAddJSON(pMsg, (uchar *)"!", root, 0, 0);
}

#define JBGLUE_CONTAINERS 64 /* a power of two */

typedef struct cached_container {
    struct json_object *jname, *jid, *jimage; /* NULL: empty slot */
} cached_container;

struct jbglue_strings {
    struct json_object *stream[2];
    cached_container c[JBGLUE_CONTAINERS];
};

static void clearContainer(cached_container *c) {
    if (c->jname != NULL) json_object_put(c->jname);
    if (c->jid != NULL) json_object_put(c->jid);
    if (c->jimage != NULL) json_object_put(c->jimage);
    memset(c, 0, sizeof(*c));
}

jbglue_strings *jbglue_strings_new(void) {
    return calloc(1, sizeof(jbglue_strings));
}

void jbglue_strings_free(jbglue_strings *s) {
    if (s == NULL) return;
    for (int i = 0; i < 2; i++)
        if (s->stream[i] != NULL) json_object_put(s->stream[i]);
    for (size_t i = 0; i < JBGLUE_CONTAINERS; i++) clearContainer(&s->c[i]);
    free(s);
}

/* A new reference to the cached string, made on first use. NULL when out of memory. */
static struct json_object *streamString(jbglue_strings *s, jb_stream stream) {
    int i = stream == JB_STREAM_AUDIT ? 1 : 0;
    if (s->stream[i] == NULL) s->stream[i] = json_object_new_string(jb_stream_name(stream));
    return s->stream[i] != NULL ? json_object_get(s->stream[i]) : NULL;
}

/* The container's slot, filled with this container's strings (a container that hashes to the
 * slot of another one replaces it). NULL when out of memory. */
static cached_container *containerStrings(jbglue_strings *s, const jb_record *rec) {
    cached_container *c = &s->c[jb_hash64(rec->container_id, strlen(rec->container_id)) & (JBGLUE_CONTAINERS - 1)];
    if (c->jname != NULL && !strcmp(json_object_get_string(c->jid), rec->container_id) &&
        !strcmp(json_object_get_string(c->jname), rec->container_name) &&
        !strcmp(json_object_get_string(c->jimage), rec->image))
        return c;
    clearContainer(c);
    c->jname = json_object_new_string(rec->container_name);
    c->jid = json_object_new_string(rec->container_id);
    c->jimage = json_object_new_string(rec->image);
    if (c->jname == NULL || c->jid == NULL || c->jimage == NULL) {
        clearContainer(c);
        return NULL;
    }
    return c;
}

static rsRetVal addContainer(struct json_object *c, const jb_record *rec, jbglue_strings *shared) {
    DEFiRet;
    cached_container *cc;
    if (shared == NULL) {
        CHKiRet(addStringNew(c, "name", rec->container_name, strlen(rec->container_name)));
        CHKiRet(addStringNew(c, "id", rec->container_id, strlen(rec->container_id)));
        CHKiRet(addStringNew(c, "image", rec->image, strlen(rec->image)));
        FINALIZE;
    }
    CHKmalloc(cc = containerStrings(shared, rec));
    addObjectNew(c, "name", json_object_get(cc->jname));
    addObjectNew(c, "id", json_object_get(cc->jid));
    addObjectNew(c, "image", json_object_get(cc->jimage));
finalize_it:
    RETiRet;
}

/* Issue 17: $!container!tag, $!container!component and $!container!FIELD for the fields named by
 * the setting "container fields" (the journal field's name), each only when the record has it. */
static rsRetVal addContainerExtras(struct json_object *c, const jb_record *rec) {
    DEFiRet;
    if (rec->container_tag != NULL && rec->container_tag[0] != '\0')
        CHKiRet(addStringNew(c, "tag", rec->container_tag, strlen(rec->container_tag)));
    if (rec->component != NULL && rec->component[0] != '\0')
        CHKiRet(addStringNew(c, "component", rec->component, strlen(rec->component)));
    for (size_t i = 0; i < rec->n_container_fields; i++) {
        /* the name is borrowed from the record and may repeat: copied, a repeated field's last value */
        const jb_container_field *f = &rec->container_fields[i];
        struct json_object *v = json_object_new_string_len(f->value, (int)f->value_len);
        if (v == NULL) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
        json_object_object_add(c, f->name, v);
    }
finalize_it:
    RETiRet;
}

rsRetVal jbglue_add_json(smsg_t *pMsg, const jb_record *rec, jbglue_strings *shared) {
    DEFiRet;
    struct json_object *root = NULL, *jb = NULL, *c = NULL, *s;
    CHKmalloc(root = json_object_new_object());
    CHKmalloc(jb = json_object_new_object());
    addObjectNew(root, "jbridge", jb);
    if (shared != NULL) {
        CHKmalloc(s = streamString(shared, rec->stream));
        addObjectNew(jb, "stream", s);
    }
    CHKiRet(addJbridge(jb, shared != NULL ? NULL : &rec->stream, rec->audit));
    CHKiRet(addStringNew(jb, "id", rec->record_id, strlen(rec->record_id)));
    if (rec->line != JB_LINE_WHOLE) {
        const char *l = jb_line_kind_name(rec->line);
        CHKiRet(addStringNew(jb, "line", l, strlen(l)));
    }
    if (rec->untrusted) { /* a writer that is not trusted (issue 15): say who it was */
        const char *uid = rec->writer_uid ? rec->writer_uid : "", *comm = rec->writer_comm ? rec->writer_comm : "";
        CHKiRet(addStringNew(jb, "trust", "untrusted", strlen("untrusted")));
        CHKiRet(addStringNew(jb, "uid", uid, strlen(uid)));
        CHKiRet(addStringNew(jb, "comm", comm, strlen(comm)));
    }
    if (rec->container_name[0] != '\0') {
        CHKmalloc(c = json_object_new_object());
        addObjectNew(root, "container", c);
        CHKiRet(addContainer(c, rec, shared));
        CHKiRet(addContainerExtras(c, rec));
    }
    CHKiRet(addAudit(root, rec->audit));
    iRet = submitJson(pMsg, root);
    root = NULL;
finalize_it:
    if (root != NULL) json_object_put(root);
    RETiRet;
}

rsRetVal jbglue_add_audit_json(smsg_t *pMsg, jb_stream stream, const jb_audit *audit) {
    DEFiRet;
    struct json_object *root = NULL, *jb = NULL;
    CHKmalloc(root = json_object_new_object());
    CHKmalloc(jb = json_object_new_object());
    addObjectNew(root, "jbridge", jb);
    CHKiRet(addJbridge(jb, &stream, audit));
    CHKiRet(addAudit(root, audit));
    iRet = submitJson(pMsg, root);
    root = NULL;
finalize_it:
    if (root != NULL) json_object_put(root);
    RETiRet;
}

void jbglue_strlist_free(jbglue_strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

rsRetVal jbglue_strlist_from_array(jbglue_strlist *l, struct cnfarray *ar) {
    DEFiRet;
    jbglue_strlist_free(l);
    CHKmalloc(l->v = calloc(ar->nmemb ? (size_t)ar->nmemb : 1, sizeof(char *)));
    for (int i = 0; i < ar->nmemb; i++) {
        CHKmalloc(l->v[i] = es_str2cstr(ar->arr[i], NULL));
        l->n++;
    }
finalize_it:
    RETiRet;
}

rsRetVal jbglue_number(const char *module, struct cnfparamvals *v, const char *param, long long min, long long max,
                       long long *ret) {
    DEFiRet;
    if (v->val.d.n < min || v->val.d.n > max) {
        LogError(0, RS_RET_PARAM_ERROR, "%s: parameter '%s': %lld is not from %lld to %lld", module, param,
                 (long long)v->val.d.n, min, max);
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
    *ret = (long long)v->val.d.n;
finalize_it:
    RETiRet;
}

rsRetVal jbglue_check_abi(const char *name) {
    DEFiRet;
    smsg_t *m = NULL;
    int ok;
    CHKiRet(msgConstruct(&m));
    /* each setter is the daemon's code; the fields are read with our headers' layout */
    MsgSetFlowControlType(m, eFLOWCTL_FULL_DELAY);
    MsgSetMSGoffs(m, 7);
    msgSetPRI(m, 13 * 8 + 5);
    MsgSetHOSTNAME(m, (const uchar *)"abi-check", 9);
    /* iRefCount: imjbridge reads it to know when rsyslog is done with a message it holds */
    ok = m->flowCtlType == eFLOWCTL_FULL_DELAY && m->iRefCount == 1 && m->offMSG == 7 && m->iFacility == 13 &&
         m->iSeverity == 5 && m->iLenHOSTNAME == 9;
    if (!ok) {
        LogError(0, RS_RET_ERR,
                 "%s: built against rsyslog headers whose smsg_t layout differs from this rsyslogd "
                 "(%s); rebuild with headers prepared for the installed rsyslogd",
                 name, VERSION);
        ABORT_FINALIZE(RS_RET_ERR);
    }
finalize_it:
    if (m != NULL) msgDestruct(&m);
    RETiRet;
}

int jbglue_facility(const char *s) {
    char *end;
    long v;
    int f;
    if (s == NULL || *s == '\0') return -1;
    if (*s >= '0' && *s <= '9') {
        v = strtol(s, &end, 10);
        return *end == '\0' && v >= 0 && v <= 23 ? (int)v : -1;
    }
    f = decodeSyslogName((uchar *)s, syslogFacNames);
    /* names decode to LOG_xxx, which is the facility shifted by 3 */
    return f >= 0 && (f >> 3) <= 23 && (f & 7) == 0 ? f >> 3 : -1;
}
