/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the sealing scheme's line parser and canonical form (src/seal-canon.c) and the
 * verifier (src/verify*.c). The input is text, split into lines.
 * Properties:
 *  - a line that jb_seal_line_parse() accepts has a canonical form, and the same line as rsyslog
 *    would write it (the time as +00:00 with microseconds, the PRI without leading zeros, control
 *    characters of the message as #ooo, a trailing space) has the same one;
 *  - jb_seal_params_get() never reads outside the SD;
 *  - a parsed line of stream app or audit with a jbridge@ element and no seal, sealed as the first
 *    record of a chain (jb_seal_chain_id, jb_seal_record_mac, jb_seal_sd_insert: what a sealer
 *    does), verifies: the sealer's view of a line and the verifier's are the same;
 *  - every line of the input through one verifier: the reports (text and JSON) are made and the
 *    JSON parses. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzzlib.h"
#include "rfc5424.h"
#include "seal.h"
#include "timestamp.h"
#include "verify.h"

#define MAX_LINES 64
#define KEY_LINE                                         \
    "jbridge-verify-key 1 hmac-sha256 cca751093924833a " \
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"

static jb_verifier *new_verifier(void) {
    jb_verifier *v = NULL;
    jb_error err = {0};
    FUZZ_CHECK(jb_verifier_new(&v) == 0);
    FUZZ_CHECK(jb_verifier_add_keys(v, "k", KEY_LINE, strlen(KEY_LINE), &err) == 0, "%s", err.msg);
    FUZZ_CHECK(jb_verifier_begin_file(v, "fuzz") == 0);
    return v;
}

static void canon_of(const char *p, size_t n, jb_buf *out) {
    jb_seal_line l;
    FUZZ_CHECK(jb_seal_line_parse(p, n, &l, NULL) == 0, "'%.*s'", (int)n, p);
    FUZZ_CHECK(jb_seal_canonical(&l, out) == 0);
}

/* the line as rsyslog writes it: same CANON */
static void check_rsyslog_form(const jb_seal_line *l, const jb_buf *canon) {
    char t[JB_RFC3339_LEN + 1];
    jb_buf line = JB_BUF_INIT, again = JB_BUF_INIT;
    if (!l->time_nil && jb_rfc3339_write(l->time_usec, t) < 0) return;
    jb_buf_printf(&line, "<%u>1 ", l->pri);
    if (l->time_nil)
        jb_buf_puts(&line, "-");
    else
        jb_buf_printf(&line, "%.26s+00:00", t);
    /* jb_buf_append, not %.*s: an SD value may hold a NUL */
    const char *f[] = {l->host, l->app, l->procid, l->msgid, l->sd};
    size_t fn[] = {l->host_len, l->app_len, l->procid_len, l->msgid_len, l->sd_len};
    for (size_t i = 0; i < 5; i++) {
        jb_buf_putc(&line, ' ');
        jb_buf_append(&line, f[i], fn[i]);
    }
    jb_buf_putc(&line, ' ');
    jb_escape_control(&line, l->msg, l->msg_len);
    jb_buf_putc(&line, ' ');
    canon_of(line.data, line.len, &again);
    FUZZ_CHECK(again.len == canon->len && memcmp(again.data, canon->data, canon->len) == 0, "rsyslog form '%s'",
               line.data);
    jb_buf_done(&line);
    jb_buf_done(&again);
}

/* seal l as record 1 of a chain, as a sealer does; the verifier must accept it */
static void check_sealed(const char *text, size_t n, const jb_seal_line *l, const jb_buf *canon) {
    static const uint8_t zero[JB_SEAL_LEN] = {0};
    jb_seal_params p;
    jb_seal_key k = {.id = "cca751093924833a", .epoch = 0};
    uint8_t m[JB_SEAL_LEN], mac[JB_SEAL_LEN];
    char chain[JB_SEAL_ID_LEN + 1], rid[256], b[2][JB_SEAL_B64_LEN + 1];
    bool audit = jb_slice_eq(l->msgid, l->msgid_len, "audit");

    if (!audit && !jb_slice_eq(l->msgid, l->msgid_len, "app")) return;
    if (jb_seal_params_get(l->sd, l->sd_len, &p) < 0 || p.any || !p.record_id || p.record_id_len >= sizeof rid) return;
    for (int i = 0; i < JB_SEAL_LEN; i++) k.k[i] = (uint8_t)i;
    memcpy(rid, p.record_id, p.record_id_len);
    rid[p.record_id_len] = 0;
    jb_seal_key_mac_key(&k, m);
    jb_seal_chain_id(m, audit ? JB_STREAM_AUDIT : JB_STREAM_APP, rid, chain);
    jb_seal_record_mac(m, k.id, chain, 1, 0, NULL, zero, canon->data, canon->len, mac);
    jb_seal_b64(zero, b[0]);
    jb_seal_b64(mac, b[1]);

    jb_buf sd = JB_BUF_INIT, params = JB_BUF_INIT, line = JB_BUF_INIT, report = JB_BUF_INIT;
    jb_buf_append(&sd, l->sd, l->sd_len);
    jb_buf_printf(&params,
                  " seal.key=\"%s\" seal.chain=\"%s\" seal.n=\"1\" seal.epoch=\"0\" seal.prev=\"%s\" seal.mac=\"%s\"",
                  k.id, chain, b[0], b[1]);
    FUZZ_CHECK(jb_seal_sd_insert(&sd, params.data, params.len) == 0, "no jbridge@ element in '%s'", sd.data);
    /* the header as written, the new SD, the rest as written */
    const char *sd_end = l->sd + l->sd_len;
    jb_buf_append(&line, text, (size_t)(l->sd - text));
    jb_buf_append(&line, sd.data, sd.len);
    jb_buf_append(&line, sd_end, (size_t)(text + n - sd_end));

    jb_verifier *v = new_verifier();
    bool ok = false;
    FUZZ_CHECK(jb_verifier_line(v, line.data, line.len) == 0);
    FUZZ_CHECK(jb_verifier_report(v, l->time_nil ? 0 : l->time_usec, false, &report, &ok) == 0);
    FUZZ_CHECK(ok, "a line sealed as a sealer does does not verify:\n%s\n%s", line.data, report.data);
    jb_verifier_free(v);
    jb_buf_done(&sd);
    jb_buf_done(&params);
    jb_buf_done(&line);
    jb_buf_done(&report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    size_t pos = 0, n_lines = 0;
    jb_verifier *v = new_verifier();
    jb_buf out = JB_BUF_INIT;
    bool ok = false;

    while (pos < size && n_lines < MAX_LINES) {
        const char *eol = memchr(text + pos, '\n', size - pos);
        size_t len = eol ? (size_t)(eol - (text + pos)) : size - pos;
        const char *p = text + pos;
        jb_seal_line l;
        jb_seal_params sp;
        pos += len + (eol ? 1 : 0);
        n_lines++;
        FUZZ_CHECK(jb_verifier_line(v, p, len) == 0);
        if (jb_seal_line_parse(p, len, &l, NULL) < 0) continue;
        jb_buf canon = JB_BUF_INIT;
        FUZZ_CHECK(jb_seal_canonical(&l, &canon) == 0, "a parsed line has no canonical form");
        (void)jb_seal_params_get(l.sd, l.sd_len, &sp);
        check_rsyslog_form(&l, &canon);
        check_sealed(p, len, &l, &canon);
        jb_buf_done(&canon);
    }
    FUZZ_CHECK(jb_verifier_report(v, 0, false, &out, &ok) == 0);
    jb_buf_reset(&out);
    FUZZ_CHECK(jb_verifier_report(v, 0, true, &out, &ok) == 0);
    json_t *j = json_loads(out.data, 0, NULL);
    FUZZ_CHECK(j != NULL, "the JSON report does not parse:\n%s", out.data);
    json_decref(j);
    jb_buf_done(&out);
    jb_verifier_free(v);
    return 0;
}
