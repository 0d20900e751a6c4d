/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: line patterns (pattern.c), alone and through the cloudify profile.
 * Input: one byte choosing the mode, then:
 *  - even: a pattern (the bytes up to the first '\n' or NUL) and a line (the rest). Properties:
 *    the pattern compiles or is refused with a message; a match adds at most JB_PATTERN_MAX_ITEMS
 *    fields, each with a valid name, a non-empty value without leading or trailing blanks that is
 *    part of the line (or a constant of the pattern); no match changes nothing.
 *  - odd: the values of a gunicorn REST audit line (user, tenant, auth method, method, path, user
 *    agent, status, bytes, duration) with the blanks gunicorn cannot write taken out (none in the
 *    user, tenant, auth method, method and path; no CR or LF in the user agent), printed in
 *    Cloudify's access log format. Property: the cloudify profile recognizes the line as audit
 *    with exactly those values, whatever the user agent, the path or the names hold. */
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "audit.h"
#include "buf.h"
#include "fuzzlib.h"
#include "pattern.h"

static jb_audit_matcher *cloudify;

static bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool name_ok(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 32) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

static void custom(fuzz_in *in) {
    size_t plen = 0;
    while (plen < in->n && in->p[plen] != '\n' && in->p[plen] != 0) plen++;
    char *text = strndup((const char *)in->p, plen);
    FUZZ_CHECK(text != NULL);
    size_t skip = plen < in->n ? plen + 1 : plen;
    const char *line = (const char *)in->p + skip;
    size_t n = in->n - skip;

    jb_pattern *p = NULL;
    jb_error err = {0};
    int r = jb_pattern_new(text, &p, &err);
    FUZZ_CHECK(r == 0 || (r == -EINVAL && err.msg[0] != 0), "new: %d", r);
    if (r == 0) {
        jb_field *f = NULL;
        size_t nf = 0;
        r = jb_pattern_match(p, line, n, &f, &nf);
        FUZZ_CHECK(r == 0 || r == 1, "match: %d", r);
        if (r == 0) FUZZ_CHECK(nf == 0 && f == NULL);
        FUZZ_CHECK(nf <= JB_PATTERN_MAX_ITEMS, "%zu fields", nf);
        for (size_t i = 0; i < nf; i++) {
            FUZZ_CHECK(name_ok(f[i].name), "name '%s'", f[i].name);
            FUZZ_CHECK(f[i].value_len > 0 && !blank(f[i].value[0]) && !blank(f[i].value[f[i].value_len - 1]));
            FUZZ_CHECK(memmem(line, n, f[i].value, f[i].value_len) || strstr(text, f[i].value), "value not read");
            jb_free(f[i].name);
            jb_free(f[i].key);
            jb_free(f[i].value);
        }
        jb_free(f);
    }
    jb_pattern_free(p);
    free(text);
}

/* A value of at most max bytes from the input, without NULs and the bytes in drop. */
static void value(fuzz_in *in, size_t max, const char *drop, jb_buf *ret) {
    size_t n;
    const char *s = fuzz_slice(in, max, &n);
    FUZZ_CHECK(jb_buf_puts(ret, "") == 0);
    for (size_t i = 0; i < n; i++)
        if (!memchr(drop, s[i], strlen(drop) + 1)) FUZZ_CHECK(jb_buf_putc(ret, s[i]) == 0);
}

static void expect(const jb_audit *a, const char *name, const char *v, size_t len) {
    while (len > 0 && blank(v[0])) v++, len--;
    while (len > 0 && blank(v[len - 1])) len--;
    for (size_t i = 0; i < a->n_fields; i++) {
        if (strcmp(a->fields[i].name, name) != 0) continue;
        FUZZ_CHECK(len > 0 && a->fields[i].value_len == len && memcmp(a->fields[i].value, v, len) == 0,
                   "%s: got '%.*s', want '%.*s'", name, (int)a->fields[i].value_len, a->fields[i].value, (int)len, v);
        return;
    }
    FUZZ_CHECK(len == 0, "%s missing, want '%.*s'", name, (int)len, v);
}

static void gunicorn(fuzz_in *in) {
    static const char *const names[] = {"user", "tenant", "auth_method", "method", "path", "user_agent"};
    jb_buf v[6], line = JB_BUF_INIT;
    for (size_t i = 0; i < 6; i++) {
        v[i] = (jb_buf)JB_BUF_INIT;
        value(in, i == 5 ? 200 : 40, i == 5 ? "\r\n" : " \t\r\n", &v[i]);
    }
    unsigned status = 100 + fuzz_u16(in) % 500, bytes = fuzz_u16(in), ms = fuzz_u16(in);
    FUZZ_CHECK(jb_buf_printf(&line,
                             "[27/Mar/2018:21:55:29 +0000] 10.0.0.5 %s %s %s \"%s %s HTTP/1.1\" %u %u \"%s\" took %ums",
                             v[0].data, v[1].data, v[2].data, v[3].data, v[4].data, status, bytes, v[5].data, ms) == 0);

    jb_audit a = {0};
    FUZZ_CHECK(jb_audit_recognize(cloudify, line.data, line.len, &a) == 0);
    FUZZ_CHECK(a.kind == JB_AUDIT_OK, "not audit: %.*s", (int)line.len, line.data);
    for (size_t i = 0; i < 6; i++) expect(&a, names[i], v[i].data, v[i].len);
    char num[16];
    snprintf(num, sizeof num, "%u", status);
    expect(&a, "status", num, strlen(num));
    snprintf(num, sizeof num, "%u", bytes);
    expect(&a, "bytes", num, strlen(num));
    snprintf(num, sizeof num, "%u", ms);
    expect(&a, "duration_ms", num, strlen(num));
    expect(&a, "protocol", "HTTP/1.1", 8);
    jb_audit_done(&a);
    for (size_t i = 0; i < 6; i++) jb_buf_done(&v[i]);
    jb_buf_done(&line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const jb_audit_opts o = {.profile = "cloudify"};
    if (!cloudify) FUZZ_CHECK(jb_audit_matcher_new_opts(&o, &cloudify, NULL) == 0);
    fuzz_in in = {data, size};
    if (fuzz_u8(&in) % 2 == 0)
        custom(&in);
    else
        gunicorn(&in);
    return 0;
}
