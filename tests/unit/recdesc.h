/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A record described as text, for the file-driven cases of test_sd and test_rfc5424.
 *
 * One "key=value" per line; blank lines and lines starting with '#' are ignored. Values take the
 * escapes \n \r \t \\ \0 and \xHH, so binary bytes, NULs and newlines can be written. Keys:
 *   message container_name container_id image identifier hostname cursor record_id reason
 *   writer_uid writer_comm (these two make the record an untrusted writer's, trust.h)
 *   time_usec=N | time=RFC3339   severity=N facility=N pieces=N sequence=N (meta sequenceId, 0: none)
 *   stream=app|audit   audit=none|ok|malformed   line=whole|reassembled|incomplete|overflow
 *   field=NAME=VALUE   (one audit field, in order; the first raw '=' separates name and value)
 *   container_tag component   container_field=NAME=VALUE (one container field, in order; issue 17)
 *   pen=N facility_app=N facility_audit=N   (jb_format_opts)
 * Unset strings are "", severity 6, facility -1, pieces 1, options JB_FORMAT_OPTS_DEFAULT.
 * Memory is plain malloc (not jb_malloc), so the allocation-failure hook (testlib.h) never sees it. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfc5424.h"
#include "record.h"
#include "sd.h"
#include "testlib.h"

#define RD_MAX_FIELDS 64
#define RD_MAX_STRINGS 256

typedef struct rd_record {
    jb_record rec;
    jb_audit audit;
    jb_field fields[RD_MAX_FIELDS];
    jb_container_field cfields[RD_MAX_FIELDS];
    jb_format_opts opts;
    char *strings[RD_MAX_STRINGS]; /* owned storage behind every pointer above */
    size_t n_strings;
} rd_record;

static inline char *rd_keep(rd_record *d, char *s) {
    if (d->n_strings >= RD_MAX_STRINGS) fail_msg("too many strings in a record description");
    d->strings[d->n_strings++] = s;
    return s;
}

static inline long rd_long(const char *v) {
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end) fail_msg("not a number: %s", v);
    return x;
}

static inline void rd_set(rd_record *d, const char *key, size_t key_len, const char *raw, size_t raw_len) {
    jb_record *r = &d->rec;
    size_t len;
    char k[64];

    if (key_len >= sizeof k) fail_msg("key too long");
    memcpy(k, key, key_len);
    k[key_len] = 0;

    if (strcmp(k, "field") == 0) {
        const char *eq = memchr(raw, '=', raw_len);
        if (!eq) fail_msg("field needs NAME=VALUE");
        if (d->audit.n_fields >= RD_MAX_FIELDS) fail_msg("too many fields");
        jb_field *f = &d->fields[d->audit.n_fields++];
        f->name = rd_keep(d, tl_unescape(raw, (size_t)(eq - raw), NULL));
        f->key = f->name;
        f->value = rd_keep(d, tl_unescape(eq + 1, raw_len - (size_t)(eq - raw) - 1, &f->value_len));
        return;
    }

    if (strcmp(k, "container_field") == 0) {
        const char *eq = memchr(raw, '=', raw_len);
        if (!eq) fail_msg("container_field needs NAME=VALUE");
        if (r->n_container_fields >= RD_MAX_FIELDS) fail_msg("too many container fields");
        jb_container_field *f = &d->cfields[r->n_container_fields++];
        f->name = rd_keep(d, tl_unescape(raw, (size_t)(eq - raw), NULL));
        f->value = rd_keep(d, tl_unescape(eq + 1, raw_len - (size_t)(eq - raw) - 1, &f->value_len));
        return;
    }

    char *v = rd_keep(d, tl_unescape(raw, raw_len, &len));
    if (strcmp(k, "message") == 0) {
        r->message = v;
        r->message_len = len;
    } else if (strcmp(k, "container_name") == 0) {
        r->container_name = v;
    } else if (strcmp(k, "container_id") == 0) {
        r->container_id = v;
    } else if (strcmp(k, "image") == 0) {
        r->image = v;
    } else if (strcmp(k, "identifier") == 0) {
        r->identifier = v;
    } else if (strcmp(k, "container_tag") == 0) {
        r->container_tag = v;
    } else if (strcmp(k, "component") == 0) {
        r->component = v;
    } else if (strcmp(k, "hostname") == 0) {
        r->hostname = v;
    } else if (strcmp(k, "cursor") == 0) {
        r->cursor = v;
    } else if (strcmp(k, "record_id") == 0) {
        r->record_id = v;
    } else if (strcmp(k, "writer_uid") == 0) {
        r->untrusted = true;
        r->writer_uid = v;
    } else if (strcmp(k, "writer_comm") == 0) {
        r->untrusted = true;
        r->writer_comm = v;
    } else if (strcmp(k, "reason") == 0) {
        d->audit.reason = v;
    } else if (strcmp(k, "renamed") == 0) {
        d->audit.renamed = (unsigned)rd_long(v);
    } else if (strcmp(k, "time_usec") == 0) {
        r->time_usec = strtoull(v, NULL, 10);
    } else if (strcmp(k, "time") == 0) {
        if (jb_parse_rfc3339(v, len, &r->time_usec) < 0) fail_msg("bad time %s", v);
    } else if (strcmp(k, "severity") == 0) {
        r->severity = (int)rd_long(v);
    } else if (strcmp(k, "facility") == 0) {
        r->facility = (int)rd_long(v);
    } else if (strcmp(k, "pieces") == 0) {
        r->pieces = (unsigned)rd_long(v);
    } else if (strcmp(k, "sequence") == 0) {
        r->sequence = (uint32_t)strtoul(v, NULL, 10);
    } else if (strcmp(k, "stream") == 0) {
        if (strcmp(v, "app") == 0)
            r->stream = JB_STREAM_APP;
        else if (strcmp(v, "audit") == 0)
            r->stream = JB_STREAM_AUDIT;
        else
            fail_msg("bad stream %s", v);
    } else if (strcmp(k, "audit") == 0) {
        if (strcmp(v, "none") == 0)
            d->audit.kind = JB_AUDIT_NONE;
        else if (strcmp(v, "ok") == 0)
            d->audit.kind = JB_AUDIT_OK;
        else if (strcmp(v, "malformed") == 0)
            d->audit.kind = JB_AUDIT_MALFORMED;
        else
            fail_msg("bad audit kind %s", v);
    } else if (strcmp(k, "line") == 0) {
        if (strcmp(v, "whole") == 0)
            r->line = JB_LINE_WHOLE;
        else if (strcmp(v, "reassembled") == 0)
            r->line = JB_LINE_REASSEMBLED;
        else if (strcmp(v, "incomplete") == 0)
            r->line = JB_LINE_INCOMPLETE;
        else if (strcmp(v, "overflow") == 0)
            r->line = JB_LINE_OVERFLOW;
        else
            fail_msg("bad line kind %s", v);
    } else if (strcmp(k, "pen") == 0) {
        d->opts.pen = (unsigned)strtoul(v, NULL, 10);
    } else if (strcmp(k, "facility_app") == 0) {
        d->opts.facility_app = (int)rd_long(v);
    } else if (strcmp(k, "facility_audit") == 0) {
        d->opts.facility_audit = (int)rd_long(v);
    } else {
        fail_msg("unknown key %s", k);
    }
}

/* An empty record with the defaults above (also the starting point of code-level tests). */
static inline void rd_init(rd_record *d) {
    static const jb_format_opts defaults = JB_FORMAT_OPTS_DEFAULT;
    memset(d, 0, sizeof *d);
    d->rec.message = d->rec.container_name = d->rec.container_id = d->rec.image = "";
    d->rec.identifier = d->rec.hostname = d->rec.cursor = d->rec.record_id = "";
    d->rec.container_tag = d->rec.component = "";
    d->rec.container_fields = d->cfields;
    d->rec.severity = 6;
    d->rec.facility = -1;
    d->rec.pieces = 1;
    d->audit.fields = d->fields;
    d->rec.audit = &d->audit;
    d->opts = defaults;
}

static inline void rd_parse(rd_record *d, const char *text, size_t n) {
    const char *line;
    size_t len, pos = 0;
    rd_init(d);
    while (tl_next_line(text, n, &pos, &line, &len)) {
        const char *eq = memchr(line, '=', len);
        if (!eq) fail_msg("no '=' in line %.*s", (int)len, line);
        rd_set(d, line, (size_t)(eq - line), eq + 1, len - (size_t)(eq - line) - 1);
    }
}

/* The record described by DIR/NAME.in, for the file-driven cases. */
static inline void rd_load_case(rd_record *d, const char *dir, const char *name) {
    size_t n;
    char *text = tl_read_case(dir, name, &n);
    rd_parse(d, text, n);
    free(text);
}

static inline void rd_free(rd_record *d) {
    for (size_t i = 0; i < d->n_strings; i++) free(d->strings[i]);
    d->n_strings = 0;
}

/* rd_each_case(SUITE, fn): for every case data/SUITE/NAME.in, fn(record, NAME, out) appends to
 * the empty buffer out what the record gives, and that is compared with NAME.out. */
typedef void rd_case_fn(const rd_record *d, const char *name, jb_buf *out);
static rd_case_fn *rd_current_case_fn;

static inline void rd_run_case(const char *dir, const char *name) {
    rd_record d;
    jb_buf out = JB_BUF_INIT;
    rd_load_case(&d, dir, name);
    rd_current_case_fn(&d, name, &out);
    tl_expect_case(dir, name, out.data, out.len);
    jb_buf_done(&out);
    rd_free(&d);
}

static inline void rd_each_case(const char *suite, rd_case_fn *fn) {
    rd_current_case_fn = fn;
    tl_each_case(suite, rd_run_case);
}

/* rd_expect_alloc_failure(d, fn, prefix): fn encodes d, appending to out. Every allocation that
 * fails in it gives -ENOMEM and leaves out exactly as it was (empty, or holding prefix when that
 * is not NULL); once enough allocations succeed, it appends what it appends without failures. */
typedef int rd_encode_fn(const rd_record *d, jb_buf *out);

static inline void rd_expect_alloc_failure(const rd_record *d, rd_encode_fn *fn, const char *prefix) {
    jb_buf want = JB_BUF_INIT;
    assert_int_equal(fn(d, &want), 0);
    bool done = false;
    for (size_t nth = 1; !done; nth++) {
        jb_buf b = JB_BUF_INIT;
        if (prefix) assert_int_equal(jb_buf_puts(&b, prefix), 0);
        size_t before = b.len;
        tl_fail_after((long)nth - 1);
        int r = fn(d, &b);
        tl_fail_off();
        if (r == 0) {
            assert_int_equal(b.len - before, want.len);
            assert_memory_equal(b.data + before, want.data, want.len);
            done = true;
        } else {
            assert_int_equal(r, -ENOMEM);
            assert_int_equal(b.len, before);
            if (b.data) assert_int_equal(b.data[before], 0);
        }
        jb_buf_done(&b);
        assert_true(nth < 1000);
    }
    jb_buf_done(&want);
}

/* ---- looking at structured data ---- */

/* Number of elements of valid STRUCTURED-DATA sd, each SD-ID copied into ids[i] (up to max).
 * An element starts at a '[' that follows the start or a ']' where everything before validates:
 * a '[' inside a value never does, since the value is still open there. */
static inline size_t rd_sd_elements(const char *sd, size_t n, char ids[][33], size_t max) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (sd[i] != '[' || (i > 0 && (sd[i - 1] != ']' || jb_sd_validate(sd, i) != 0))) continue;
        if (count < max) {
            size_t l = strcspn(sd + i + 1, " ]");
            if (l > 32) l = 32;
            memcpy(ids[count], sd + i + 1, l);
            ids[count][l] = 0;
        }
        count++;
    }
    return count;
}
