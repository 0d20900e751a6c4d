/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the structured-data builder (jb_sd_build) and the RFC 5424 line around it.
 * The input is decoded into a record: container name/id/image, record id, flags, PEN, audit
 * fields with arbitrary names and binary values, header fields and the message.
 * Properties:
 *  - the SD passes jb_sd_validate();
 *  - with a sequence number, [meta sequenceId="N"] comes last;
 *  - an independent strict parser (below) reads it back as exactly the expected elements and
 *    parameters, and every value, unescaped, equals the input value as documented (control
 *    characters as #ooo, invalid UTF-8 as U+FFFD, everything else byte for byte), every name the
 *    input name with forbidden bytes as '_' cut to 32;
 *  - the formatted record is one line: a single '\n' at the end, no other control character,
 *    header fields within their RFC lengths, the SD where it belongs, the same as built without
 *    the container element cache (the line uses one kept across inputs). */
/* The diagnostics below are cut to the size of their buffer on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzzlib.h"
#include "resplit.h"
#include "rfc5424.h"
#include "sd.h"

#define MAX_FIELDS 48
#define MAX_PARAMS (MAX_FIELDS + 8)

/* ---- the expected structure ---- */

typedef struct param {
    char name[40];
    jb_buf value; /* expected value after unescaping */
} param;

typedef struct element {
    char id[40];
    param params[MAX_PARAMS];
    size_t n;
} element;

/* The documented value mapping, written independently of sd.c: decode code points. */
static void model_value(jb_buf *out, const char *p, size_t n) {
    const unsigned char *s = (const unsigned char *)p;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c < 0x20 || c == 0x7f) {
            char esc[5];
            snprintf(esc, sizeof esc, "#%03o", c);
            jb_buf_append(out, esc, 4);
            i++;
            continue;
        }
        if (c < 0x80) {
            jb_buf_putc(out, (char)c);
            i++;
            continue;
        }
        size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        uint32_t cp = len == 2 ? c & 0x1Fu : len == 3 ? c & 0x0Fu : c & 0x07u;
        bool ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) ok = false;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (ok && (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
        if (ok) {
            jb_buf_append(out, p + i, len);
            i += len;
        } else {
            jb_buf_append(out, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    if (!out->data) jb_buf_append(out, "", 0);
}

static void model_name(char out[40], const char *s) {
    size_t n = strlen(s), k = 0;
    for (; k < n && k < 32; k++) {
        unsigned char c = (unsigned char)s[k];
        out[k] = (c < 33 || c > 126 || c == '=' || c == ']' || c == '"') ? '_' : (char)c;
    }
    if (k == 0) out[k++] = '_';
    out[k] = 0;
}

static void add_param(element *e, const char *name, const char *value, size_t len) {
    FUZZ_CHECK(e->n < MAX_PARAMS);
    param *p = &e->params[e->n++];
    model_name(p->name, name);
    p->value = (jb_buf)JB_BUF_INIT;
    model_value(&p->value, value, len);
}

/* ---- a strict parser of the builder's output ---- */

static bool name_char(unsigned char c) {
    return c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"';
}

/* Compare the SD text s against the expected elements; false (with the reason) at the first
 * difference. */
static bool parse_compare(const char *s, size_t n, const element *want, size_t n_want, char *why, size_t why_size) {
    size_t i = 0;
    jb_buf v = JB_BUF_INIT;
    bool ok = false;
    for (size_t e = 0; e < n_want; e++) {
        if (i >= n || s[i] != '[') {
            snprintf(why, why_size, "element %zu: no '['", e);
            goto out;
        }
        size_t start = ++i;
        while (i < n && name_char((unsigned char)s[i])) i++;
        if (i - start != strlen(want[e].id) || memcmp(s + start, want[e].id, i - start)) {
            snprintf(why, why_size, "element %zu: SD-ID '%.*s', expected '%s'", e, (int)(i - start), s + start,
                     want[e].id);
            goto out;
        }
        for (size_t k = 0; k < want[e].n; k++) {
            const param *p = &want[e].params[k];
            if (i >= n || s[i++] != ' ') {
                snprintf(why, why_size, "%s: no space before parameter %zu", want[e].id, k);
                goto out;
            }
            start = i;
            while (i < n && name_char((unsigned char)s[i])) i++;
            if (i - start != strlen(p->name) || memcmp(s + start, p->name, i - start)) {
                snprintf(why, why_size, "%s: name '%.*s', expected '%s'", want[e].id, (int)(i - start), s + start,
                         p->name);
                goto out;
            }
            if (i + 1 >= n || s[i] != '=' || s[i + 1] != '"') {
                snprintf(why, why_size, "%s %s: no '=\"'", want[e].id, p->name);
                goto out;
            }
            i += 2;
            jb_buf_reset(&v);
            for (;;) {
                if (i >= n) {
                    snprintf(why, why_size, "%s %s: unterminated value", want[e].id, p->name);
                    goto out;
                }
                char c = s[i];
                if (c == '"') break;
                if (c == ']') {
                    snprintf(why, why_size, "%s %s: unescaped ']'", want[e].id, p->name);
                    goto out;
                }
                if (c == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == ']')) i++;
                jb_buf_putc(&v, s[i++]);
            }
            i++; /* closing quote */
            if (v.len != p->value.len || memcmp(v.data ? v.data : "", p->value.data, v.len)) {
                snprintf(why, why_size, "%s %s: value does not round-trip", want[e].id, p->name);
                goto out;
            }
        }
        if (i >= n || s[i++] != ']') {
            snprintf(why, why_size, "%s: extra parameters or no ']'", want[e].id);
            goto out;
        }
    }
    if (i != n) {
        snprintf(why, why_size, "%zu bytes after the last element", n - i);
        goto out;
    }
    ok = true;
out:
    jb_buf_done(&v);
    return ok;
}

/* ---- the target ---- */

static char *take_str(fuzz_in *in, size_t max) {
    size_t n;
    const char *p = fuzz_slice(in, max, &n);
    return jb_strndup(p, n); /* a NUL inside ends the C string, as it would for the record */
}

static void check_header_field(const char **pp, const char *end, size_t max, const char *what) {
    const char *p = *pp, *sp = memchr(p, ' ', (size_t)(end - p));
    FUZZ_CHECK(sp != NULL, "no space after %s", what);
    size_t n = (size_t)(sp - p);
    FUZZ_CHECK(n >= 1 && n <= max, "%s of %zu characters", what, n);
    for (size_t i = 0; i < n; i++) FUZZ_CHECK(p[i] > 32 && p[i] < 127, "%s has byte 0x%02x", what, (unsigned char)p[i]);
    *pp = sp + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {data, size};
    uint8_t flags = fuzz_u8(&in), flags2 = fuzz_u8(&in);
    unsigned pen = 0;
    if (flags & 0x80) {
        pen = fuzz_u16(&in);
        pen |= (unsigned)fuzz_u16(&in) << 16;
    }
    char *cname = take_str(&in, 80), *cid = take_str(&in, 40), *image = take_str(&in, 80);
    char *record_id = take_str(&in, 24), *reason = take_str(&in, 40);
    char *hostname = take_str(&in, 255), *ident = take_str(&in, 80);

    jb_audit audit = {0};
    audit.kind = (jb_audit_kind)(flags & 3) % 3;
    if (audit.kind == JB_AUDIT_MALFORMED) audit.reason = reason;
    size_t nf = audit.kind != JB_AUDIT_NONE ? fuzz_u8(&in) % (MAX_FIELDS + 1) : 0;
    audit.fields = jb_calloc(nf ? nf : 1, sizeof *audit.fields);
    FUZZ_CHECK(audit.fields != NULL);
    for (size_t i = 0; i < nf; i++) {
        size_t vlen;
        audit.fields[i].name = take_str(&in, 40);
        audit.fields[i].key = jb_strdup(audit.fields[i].name);
        const char *v = fuzz_slice(&in, 200, &vlen);
        audit.fields[i].value = jb_strndup(v, vlen); /* binary: value_len counts NULs too */
        audit.fields[i].value_len = vlen;
    }
    audit.n_fields = nf;

    size_t msg_len;
    const char *msg = fuzz_bytes(&in, in.n, &msg_len);
    jb_record rec = {
        .message = msg,
        .message_len = msg_len,
        .container_name = cname,
        .container_id = cid,
        .image = image,
        .identifier = ident,
        .hostname = hostname,
        .time_usec = (uint64_t)flags2 * 86400u * 1000000u * 200u,
        .severity = (flags2 & 7) + (flags2 & 8), /* sometimes outside 0-7 */
        .facility = (int)(flags2 >> 3) - 2,      /* -2 .. 29: also invalid ones */
        .cursor = "s=0",
        .record_id = record_id,
        .line = (jb_line_kind)((flags >> 2) & 3),
        .pieces = flags2,
        .part = (flags & 0x40) ? flags2 : 0,
        .audit = &audit,
        .stream = (flags & 0x20) ? JB_STREAM_AUDIT : JB_STREAM_APP,
        .sequence = (flags2 & 0x10) ? (uint32_t)size * 7919u % JB_SEQUENCE_MAX + 1u : 0,
    };

    /* expected elements */
    static element want[4];
    size_t n_want = 0;
    char penbuf[16];
    snprintf(penbuf, sizeof penbuf, "%u", pen ? pen : JB_SD_DEFAULT_PEN);
    if (cname[0]) {
        element *e = &want[n_want++];
        e->n = 0;
        snprintf(e->id, sizeof e->id, "container@%s", penbuf);
        add_param(e, "name", cname, strlen(cname));
        add_param(e, "id", cid, strlen(cid));
        add_param(e, "image", image, strlen(image));
    }
    element *jb = &want[n_want++];
    jb->n = 0;
    snprintf(jb->id, sizeof jb->id, "jbridge@%s", penbuf);
    add_param(jb, "id", record_id, strlen(record_id));
    add_param(jb, "stream", jb_stream_name(rec.stream), strlen(jb_stream_name(rec.stream)));
    if (audit.kind == JB_AUDIT_MALFORMED) {
        add_param(jb, "audit", "malformed", 9);
        add_param(jb, "reason", reason, strlen(reason));
    }
    if (rec.line != JB_LINE_WHOLE) {
        char num[16];
        snprintf(num, sizeof num, "%u", rec.pieces);
        add_param(jb, "line", jb_line_kind_name(rec.line), strlen(jb_line_kind_name(rec.line)));
        add_param(jb, "pieces", num, strlen(num));
    }
    if (rec.part > 0) {
        char num[16];
        snprintf(num, sizeof num, "%u", rec.part);
        add_param(jb, "part", num, strlen(num));
    }
    if (audit.kind != JB_AUDIT_NONE && nf > 0) {
        element *e = &want[n_want++];
        e->n = 0;
        snprintf(e->id, sizeof e->id, "audit@%s", penbuf);
        for (size_t i = 0; i < nf; i++)
            add_param(e, audit.fields[i].name, audit.fields[i].value, audit.fields[i].value_len);
    }

    if (rec.sequence > 0) {
        element *e = &want[n_want++];
        char num[16];
        e->n = 0;
        snprintf(e->id, sizeof e->id, "meta");
        snprintf(num, sizeof num, "%u", (unsigned)rec.sequence);
        add_param(e, "sequenceId", num, strlen(num));
    }

    jb_buf sd = JB_BUF_INIT, line = JB_BUF_INIT;
    FUZZ_CHECK(jb_sd_build(&rec, pen, &sd) == 0);
    FUZZ_CHECK(jb_sd_validate(sd.data, sd.len) == 0, "jb_sd_validate rejects: %s", sd.data);
    char why[256];
    FUZZ_CHECK(parse_compare(sd.data, sd.len, want, n_want, why, sizeof why), "%s", why);
    /* what an input that is not authenticated keeps of it (resplit.h): the container element
     * alone, byte for byte, the first element */
    jb_buf kept = JB_BUF_INIT;
    FUZZ_CHECK(jb_resplit_strip(sd.data, sd.len, pen, &kept) == 0);
    FUZZ_CHECK((kept.len > 0) == (cname[0] != 0), "strip kept %zu bytes", kept.len);
    FUZZ_CHECK(kept.len == 0 || (jb_sd_validate(kept.data, kept.len) == 0 &&
                                 memcmp(kept.data, sd.data, kept.len) == 0 && sd.data[kept.len] == '['),
               "strip: %s", kept.data);
    jb_buf_done(&kept);

    /* the whole line, its container element from a cache kept across inputs (so a record of the
     * same container as the input before reuses it): the SD must still be the one built above */
    static jb_sd_cache cache;
    jb_format_opts o = {pen, (int)(flags2 % 30) - 3, (int)(flags % 30) - 3, &cache};
    FUZZ_CHECK(jb_rfc5424_format(&rec, &o, &line) == 0);
    const char *end = line.data + line.len;
    FUZZ_CHECK(line.len > 0 && end[-1] == '\n');
    for (const char *p = line.data; p < end - 1; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte 0x%02x in the line", (unsigned char)*p);
    const char *p = line.data;
    FUZZ_CHECK(*p == '<');
    check_header_field(&p, end, 8, "PRI+VERSION");
    check_header_field(&p, end, 32, "TIMESTAMP");
    check_header_field(&p, end, 255, "HOSTNAME");
    check_header_field(&p, end, 48, "APP-NAME");
    check_header_field(&p, end, 128, "PROCID");
    check_header_field(&p, end, 32, "MSGID");
    FUZZ_CHECK((size_t)(end - p) > sd.len && memcmp(p, sd.data, sd.len) == 0, "SD not where it belongs");
    p += sd.len;
    FUZZ_CHECK(*p == '\n' || *p == ' ', "no separator after the SD");

    for (size_t e = 0; e < n_want; e++)
        for (size_t k = 0; k < want[e].n; k++) jb_buf_done(&want[e].params[k].value);
    jb_buf_done(&sd);
    jb_buf_done(&line);
    jb_audit_done(&audit);
    jb_free(cname);
    jb_free(cid);
    jb_free(image);
    jb_free(record_id);
    jb_free(reason);
    jb_free(hostname);
    jb_free(ident);
    return 0;
}
