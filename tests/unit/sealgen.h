/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Sealed lines for the verifier's tests (test_verify.c, tests/tools/jb-sealgen.c), made as
 * doc/sealing.md says with the scheme's own functions (seal-canon.c) and no sealer: a line is
 * formatted without its seal, split as the verifier splits it, sealed, and the seal inserted into
 * its jbridge@ element. One sg_chain is one chain of one stream. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "seal.h"
#include "timestamp.h"

typedef struct sg_chain {
    jb_seal_key key; /* K_e of the current epoch */
    char chain[JB_SEAL_ID_LEN + 1];
    const char *host, *stream;
    jb_stream st;
    uint64_t n;                    /* the last record's number */
    uint8_t last_mac[JB_SEAL_LEN]; /* its MAC */
    bool pending_tx;               /* the epoch moved since that record */
    uint8_t tx[JB_SEAL_LEN];
} sg_chain;

static inline void sg_init(sg_chain *c, const uint8_t k0[JB_SEAL_LEN], jb_stream st, const char *host) {
    memset(c, 0, sizeof *c);
    memcpy(c->key.k, k0, JB_SEAL_LEN);
    jb_seal_key_id(k0, c->key.id);
    c->st = st;
    c->stream = jb_stream_name(st);
    c->host = host;
}

/* the next epoch: the pending transition proof steps once (from the last MAC the first time) */
static inline void sg_evolve(sg_chain *c) {
    uint8_t m[JB_SEAL_LEN];
    jb_seal_key_mac_key(&c->key, m);
    if (c->n > 0) {
        jb_seal_tx_step(m, c->key.id, c->chain, c->n + 1, c->key.epoch + 1, c->pending_tx ? c->tx : c->last_mac, c->tx);
        c->pending_tx = true;
    }
    jb_seal_key_evolve(&c->key);
}

static inline void sg_params(jb_buf *p, const sg_chain *c, uint64_t n, const uint8_t *tx, const uint8_t *prev) {
    char b[JB_SEAL_B64_LEN + 1];
    jb_buf_printf(p, " seal.key=\"%s\" seal.chain=\"%s\" seal.n=\"%" PRIu64 "\" seal.epoch=\"%" PRIu64 "\"", c->key.id,
                  c->chain, n, c->key.epoch);
    if (tx) {
        jb_seal_b64(tx, b);
        jb_buf_printf(p, " seal.tx=\"%s\"", b);
    }
    jb_seal_b64(prev, b);
    jb_buf_printf(p, " seal.prev=\"%s\"", b);
}

/* Append the next record of c as a line (with "\n") to out: time, record id, message. */
static inline void sg_record(sg_chain *c, uint64_t time_usec, const char *rid, const char *msg, jb_buf *out) {
    char t[JB_RFC3339_LEN + 1], b[JB_SEAL_B64_LEN + 1];
    uint8_t m[JB_SEAL_LEN], mac[JB_SEAL_LEN], zero[JB_SEAL_LEN] = {0};
    jb_buf line = JB_BUF_INIT, sd = JB_BUF_INIT, canon = JB_BUF_INIT, p = JB_BUF_INIT;
    jb_seal_line l;

    jb_seal_key_mac_key(&c->key, m);
    if (c->n == 0) jb_seal_chain_id(m, c->st, rid, c->chain);
    jb_rfc3339_write(time_usec, t);
    jb_buf_printf(&sd, "[jbridge@32473 id=\"%s\" stream=\"%s\"][audit@32473 user=\"alice\"]", rid, c->stream);
    jb_buf_printf(&line, "<110>1 %s %s tfe 0123456789ab %s %s %s", t, c->host, c->stream, sd.data, msg);
    if (jb_seal_line_parse(line.data, line.len, &l, NULL) < 0 || jb_seal_canonical(&l, &canon) < 0) abort();
    const uint8_t *tx = c->pending_tx ? c->tx : NULL, *prev = c->n ? c->last_mac : zero;
    jb_seal_record_mac(m, c->key.id, c->chain, c->n + 1, c->key.epoch, tx, prev, canon.data, canon.len, mac);
    sg_params(&p, c, c->n + 1, tx, prev);
    jb_seal_b64(mac, b);
    jb_buf_printf(&p, " seal.mac=\"%s\"", b);
    if (jb_seal_sd_insert(&sd, p.data, p.len) < 0) abort();
    jb_buf_printf(out, "<110>1 %s %s tfe 0123456789ab %s %s %s\n", t, c->host, c->stream, sd.data, msg);
    c->n++;
    memcpy(c->last_mac, mac, JB_SEAL_LEN);
    c->pending_tx = false;
    jb_buf_done(&line);
    jb_buf_done(&sd);
    jb_buf_done(&canon);
    jb_buf_done(&p);
}

/* Append a heartbeat ("heartbeat") or stop ("stop") of c to out. */
static inline void sg_beat(const sg_chain *c, const char *beat, uint64_t time_usec, uint64_t interval, jb_buf *out) {
    char t[JB_RFC3339_LEN + 1], b[JB_SEAL_B64_LEN + 1];
    uint8_t m[JB_SEAL_LEN], mac[JB_SEAL_LEN];
    jb_buf sd = JB_BUF_INIT, p = JB_BUF_INIT;
    const uint8_t *tx = c->pending_tx ? c->tx : NULL;

    jb_seal_key_mac_key(&c->key, m);
    jb_seal_beat_mac(m, c->key.id, c->chain, c->n, c->key.epoch, tx, c->last_mac, beat, time_usec, interval, mac);
    sg_params(&p, c, c->n, tx, c->last_mac);
    jb_seal_b64(mac, b);
    jb_buf_printf(&p, " seal.beat=\"%s\" seal.time=\"%" PRIu64 "\" seal.interval=\"%" PRIu64 "\" seal.mac=\"%s\"", beat,
                  time_usec, interval, b);
    jb_buf_printf(&sd, "[jbridge@32473 stream=\"%s\"]", c->stream);
    if (jb_seal_sd_insert(&sd, p.data, p.len) < 0) abort();
    jb_rfc3339_write(time_usec, t);
    jb_buf_printf(out, "<46>1 %s %s jbridge - %s %s seal %s\n", t, c->host, c->stream, sd.data, beat);
    jb_buf_done(&sd);
    jb_buf_done(&p);
}

/* The verification key line of k0. */
static inline void sg_verify_key(const uint8_t k0[JB_SEAL_LEN], jb_buf *out) {
    char id[JB_SEAL_ID_LEN + 1];
    jb_seal_key_id(k0, id);
    jb_buf_printf(out, "jbridge-verify-key 1 hmac-sha256 %s ", id);
    for (int i = 0; i < JB_SEAL_LEN; i++) jb_buf_printf(out, "%02x", k0[i]);
    jb_buf_putc(out, '\n');
}
