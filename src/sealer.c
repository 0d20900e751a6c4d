/* SPDX-License-Identifier: Apache-2.0 */
/* The sealer (seal.h, doc/sealing.md): one chain per sealed stream, the records sealed but not yet
 * covered by a saved position (a FIFO per stream, so that a snapshot at a lagging checkpoint gives
 * the chain as it was there), the epochs and the heartbeats. The scheme itself (canonical form,
 * MACs, chain ids) is seal-canon.c's; this file only drives it. */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>

#include "seal.h"
#include "state.h"
#include "timestamp.h"

/* The chain after one of its records: what a state line holds. */
typedef struct chain_state {
    uint64_t n;               /* the last record's number (0: no record yet) */
    uint64_t epoch;           /* the epoch the next item is sealed under */
    uint8_t mac[JB_SEAL_LEN]; /* the last record's MAC */
    bool has_tx;              /* the epoch moved since record n: the transition proof for n + 1 */
    uint8_t tx[JB_SEAL_LEN];
} chain_state;

/* A sealed record not yet released: its stream's sequence number and the chain after it. */
typedef struct unsaved {
    uint32_t seq;
    uint64_t n, epoch;
    uint8_t mac[JB_SEAL_LEN];
} unsaved;

typedef struct chain {
    char id[JB_SEAL_ID_LEN + 1]; /* "" until the first record */
    chain_state cur;             /* after the last sealed record */
    chain_state base;            /* after the last released record (or as restored) */
    uint32_t base_seq;           /* its sequence number (0: unknown) */
    uint64_t durable_n;          /* the last record covered by a durable save */
    uint64_t last_item_usec;     /* monotonic: the last record or heartbeat */
    unsaved *fifo;               /* ring: records sealed after base, oldest first */
    size_t cap, head, len;
} chain;

struct jb_sealer {
    jb_seal_config cfg;
    char *key_path;
    jb_seal_key key;              /* the current epoch's key */
    jb_seal_key old;              /* between evolve_begin and evolve_commit: the key being retired */
    bool evolving;                /* old holds a key, the key file still holds it */
    uint8_t mac_key[JB_SEAL_LEN]; /* M of key */
    uint64_t epoch_records;       /* records sealed in this epoch */
    uint64_t epoch_first_usec;    /* monotonic time of the first record of the epoch (or of the restore) */
    bool epoch_dirty;             /* some record was sealed under the current key */
    chain chains[2];              /* by jb_stream */
    jb_buf canon;
    jb_buf params; /* a record's seal parameters, reused */
};

int jb_sealer_new(const jb_seal_config *c, jb_sealer **ret, jb_error *err) {
    if (!c->key_path) return jb_error_set(err, -EINVAL, "no key file");
    jb_sealer *s = jb_malloc(sizeof *s);
    if (!s) return jb_error_set(err, -ENOMEM, "out of memory");
    *s = (jb_sealer){.cfg = *c, .canon = JB_BUF_INIT, .params = JB_BUF_INIT};
    s->key_path = jb_strdup(c->key_path);
    if (!s->key_path) {
        jb_free(s);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    s->cfg.key_path = s->key_path;
    /* what a crash in the middle of a key save left (it holds a later key): removed, best effort */
    (void)jb_state_remove_stale(s->key_path, NULL);
    int r = jb_seal_key_load(s->key_path, &s->key, err);
    if (r < 0) {
        jb_sealer_free(s);
        return r;
    }
    jb_seal_key_mac_key(&s->key, s->mac_key);
    for (int i = 0; i < 2; i++) s->chains[i].cur.epoch = s->chains[i].base.epoch = s->key.epoch;
    *ret = s;
    return 0;
}

jb_sealer *jb_sealer_free(jb_sealer *s) {
    if (!s) return NULL;
    for (int i = 0; i < 2; i++) {
        if (s->chains[i].fifo) OPENSSL_cleanse(s->chains[i].fifo, s->chains[i].cap * sizeof(unsaved));
        jb_free(s->chains[i].fifo);
    }
    if (s->canon.data) OPENSSL_cleanse(s->canon.data, s->canon.cap);
    jb_buf_done(&s->canon);
    jb_buf_done(&s->params);
    jb_free(s->key_path);
    OPENSSL_cleanse(s, sizeof *s);
    jb_free(s);
    return NULL;
}

/* ---- the state lines: "KEYID CHAIN N EPOCH PREV-BASE64 TX-BASE64-or-"-"" ---- */

static bool lower_hex(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) return false;
    return true;
}

/* A decimal without a leading zero (other than "0" itself). */
static bool decimal(const char *p, size_t n, uint64_t *ret) {
    return n > 0 && n <= 20 && (n == 1 || p[0] != '0') && jb_parse_u64(p, n, ret) == 0;
}

static int parse_line(const char *line, char key_id[JB_SEAL_ID_LEN + 1], char id[JB_SEAL_ID_LEN + 1],
                      chain_state *ret) {
    const char *f[6];
    size_t len[6];
    const char *p = line;
    for (int i = 0; i < 6; i++) {
        f[i] = p;
        len[i] = strcspn(p, " ");
        p += len[i];
        if (i < 5 && *p++ != ' ') return -EBADMSG;
    }
    if (*p) return -EBADMSG;
    chain_state c = {.has_tx = !jb_slice_eq(f[5], len[5], "-")};
    if (len[0] != JB_SEAL_ID_LEN || !lower_hex(f[0], len[0]) || len[1] != JB_SEAL_ID_LEN || !lower_hex(f[1], len[1]) ||
        !decimal(f[2], len[2], &c.n) || c.n == 0 || !decimal(f[3], len[3], &c.epoch) || c.epoch > JB_SEAL_EPOCH_MAX ||
        jb_seal_unb64(f[4], len[4], c.mac) < 0 || (c.has_tx && jb_seal_unb64(f[5], len[5], c.tx) < 0))
        return -EBADMSG;
    memcpy(key_id, f[0], JB_SEAL_ID_LEN);
    key_id[JB_SEAL_ID_LEN] = 0;
    memcpy(id, f[1], JB_SEAL_ID_LEN);
    id[JB_SEAL_ID_LEN] = 0;
    *ret = c;
    return 0;
}

static char *format_line(const char *key_id, const char *id, const chain_state *c) {
    char prev[JB_SEAL_B64_LEN + 1], tx[JB_SEAL_B64_LEN + 1] = "-";
    char line[JB_STATE_SEAL_MAX + 1];
    jb_seal_b64(c->mac, prev);
    if (c->has_tx) jb_seal_b64(c->tx, tx);
    snprintf(line, sizeof line, "%s %s %" PRIu64 " %" PRIu64 " %s %s", key_id, id, c->n, c->epoch, prev, tx);
    return jb_strdup(line);
}

/* Evolve the key in memory to epoch, then save the key file (a state saved after an epoch moved,
 * before the key file was). */
static int catch_up(jb_sealer *s, uint64_t epoch, jb_error *err) {
    jb_seal_key k = s->key;
    while (k.epoch < epoch) jb_seal_key_evolve(&k);
    int r = jb_seal_key_save(s->key_path, &k, err);
    if (r >= 0) {
        jb_seal_key_wipe(&s->key);
        s->key = k;
        jb_seal_key_mac_key(&s->key, s->mac_key);
    }
    jb_seal_key_wipe(&k);
    return r;
}

int jb_sealer_restore(jb_sealer *s, const char *app, const char *audit, jb_seal_restore *ret, jb_error *err) {
    const char *text[2] = {app && *app ? app : NULL, audit && *audit ? audit : NULL};
    char key_id[2][JB_SEAL_ID_LEN + 1], id[2][JB_SEAL_ID_LEN + 1];
    chain_state c[2];
    uint64_t ahead = s->key.epoch;
    for (int i = 0; i < 2; i++) {
        if (!s->cfg.streams[i]) text[i] = NULL;
        if (text[i] && parse_line(text[i], key_id[i], id[i], &c[i]) < 0)
            return jb_error_set(err, -EBADMSG, "the state's seal.%s line is not \"KEYID CHAIN N EPOCH PREV TX\"",
                                jb_stream_name((jb_stream)i));
        if (text[i] && strcmp(key_id[i], s->key.id) == 0 && c[i].epoch > ahead) ahead = c[i].epoch;
    }
    /* the state is ahead of the key file: a crash between the two saves of an epoch move */
    int r = ahead > s->key.epoch ? catch_up(s, ahead, err) : 0;
    if (r < 0) return r;
    jb_seal_restore outcome = JB_SEAL_NEW_CHAIN;
    for (int i = 0; i < 2; i++) {
        if (!text[i]) continue;
        if (strcmp(key_id[i], s->key.id) != 0) {
            outcome = JB_SEAL_KEY_CHANGED;
            continue;
        }
        if (c[i].epoch < s->key.epoch) {
            if (outcome != JB_SEAL_KEY_CHANGED) outcome = JB_SEAL_KEY_AHEAD;
            continue;
        }
        chain *ch = &s->chains[i];
        memcpy(ch->id, id[i], sizeof ch->id);
        ch->cur = ch->base = c[i];
        ch->durable_n = c[i].n;
        ch->base_seq = 0;
        if (outcome == JB_SEAL_NEW_CHAIN) outcome = JB_SEAL_CONTINUED;
        /* records of the current epoch exist: the epoch moves in time even if nothing new comes */
        if (!c[i].has_tx) s->epoch_dirty = true;
    }
    uint64_t now = jb_now_usec(CLOCK_MONOTONIC);
    s->epoch_first_usec = now;
    for (int i = 0; i < 2; i++) s->chains[i].last_item_usec = now;
    *ret = outcome;
    return 0;
}

/* ---- the FIFO of unsaved records ---- */

/* Room for one more record. -ENOMEM leaves the FIFO as it was. */
static int fifo_reserve(chain *c) {
    if (c->len == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        unsaved *f = jb_malloc(cap * sizeof *f);
        if (!f) return -ENOMEM;
        for (size_t i = 0; i < c->len; i++) f[i] = c->fifo[(c->head + i) % c->cap];
        if (c->fifo) OPENSSL_cleanse(c->fifo, c->cap * sizeof *f);
        jb_free(c->fifo);
        c->fifo = f;
        c->cap = cap;
        c->head = 0;
    }
    return 0;
}

/* After fifo_reserve(). */
static void fifo_push(chain *c, const unsaved *u) {
    c->fifo[(c->head + c->len) % c->cap] = *u;
    c->len++;
}

static const unsaved *fifo_at(const chain *c, size_t i) {
    return &c->fifo[(c->head + i) % c->cap];
}

/* The position in the FIFO of the record with sequence number seq, or -1. Newest first: a
 * checkpoint is usually near the end. */
static ssize_t fifo_find(const chain *c, uint32_t seq) {
    for (size_t i = c->len; i > 0; i--)
        if (fifo_at(c, i - 1)->seq == seq) return (ssize_t)(i - 1);
    return -1;
}

/* ---- sealing ---- */

static int seal_params(jb_buf *out, const char *key_id, const char *id, uint64_t n, uint64_t epoch, const uint8_t *tx,
                       const uint8_t prev[JB_SEAL_LEN]) {
    char b[JB_SEAL_B64_LEN + 1];
    int r = jb_buf_printf(out, " seal.key=\"%s\" seal.chain=\"%s\" seal.n=\"%" PRIu64 "\" seal.epoch=\"%" PRIu64 "\"",
                          key_id, id, n, epoch);
    if (r >= 0 && tx) {
        jb_seal_b64(tx, b);
        r = jb_buf_printf(out, " seal.tx=\"%s\"", b);
    }
    jb_seal_b64(prev, b);
    return r < 0 ? r : jb_buf_printf(out, " seal.prev=\"%s\"", b);
}

int jb_sealer_seal(jb_sealer *s, const jb_record *rec, const jb_seal_line *line, jb_buf *sd) {
    if ((unsigned)rec->stream > 1 || !s->cfg.streams[rec->stream]) return 1;
    chain *c = &s->chains[rec->stream];
    static const uint8_t zero[JB_SEAL_LEN];
    char id[JB_SEAL_ID_LEN + 1];
    if (c->cur.n == 0)
        jb_seal_chain_id(s->mac_key, rec->stream, rec->record_id, id);
    else
        memcpy(id, c->id, sizeof id);

    jb_buf_reset(&s->canon);
    int r = jb_seal_canonical(line, &s->canon);
    if (r < 0) return r;
    uint64_t n = c->cur.n + 1;
    const uint8_t *prev = c->cur.n ? c->cur.mac : zero;
    const uint8_t *tx = c->cur.has_tx ? c->cur.tx : NULL;
    unsaved u = {.seq = rec->sequence, .n = n, .epoch = s->key.epoch};
    jb_seal_record_mac(s->mac_key, s->key.id, id, n, s->key.epoch, tx, prev, s->canon.data, s->canon.len, u.mac);

    jb_buf *params = &s->params; /* reused: no allocation per record */
    char mac[JB_SEAL_B64_LEN + 1];
    jb_seal_b64(u.mac, mac);
    jb_buf_reset(params);
    if (seal_params(params, s->key.id, id, n, s->key.epoch, tx, prev) < 0 ||
        jb_buf_printf(params, " seal.mac=\"%s\"", mac) < 0)
        return -ENOMEM;
    /* room first: -ENOMEM or -EBADMSG leave the chain and sd as they were */
    if (fifo_reserve(c) < 0) return -ENOMEM;
    /* the canonical form walked line->sd: when it is *sd, it is valid structured data already */
    if (line->sd == sd->data && line->sd_len == sd->len)
        r = jb__seal_sd_insert_valid(sd, params->data, params->len);
    else
        r = jb_seal_sd_insert(sd, params->data, params->len);
    if (r < 0) return r;
    fifo_push(c, &u);
    memcpy(c->id, id, sizeof c->id);
    c->cur = (chain_state){.n = n, .epoch = s->key.epoch};
    memcpy(c->cur.mac, u.mac, JB_SEAL_LEN);
    uint64_t now = jb_now_usec(CLOCK_MONOTONIC);
    c->last_item_usec = now;
    if (s->epoch_records++ == 0 && !s->epoch_dirty) s->epoch_first_usec = now;
    s->epoch_dirty = true;
    return 0;
}

int jb_sealer_snapshot(const jb_sealer *s, uint32_t seq_app, uint32_t seq_audit, char *ret[2]) {
    const uint32_t seq[2] = {seq_app, seq_audit};
    char *v[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        const chain *c = &s->chains[i];
        if (!s->cfg.streams[i]) continue;
        ssize_t at = fifo_find(c, seq[i]);
        chain_state st = c->base;
        if (at >= 0) {
            const unsaved *u = fifo_at(c, (size_t)at);
            st = (chain_state){.n = u->n, .epoch = u->epoch};
            memcpy(st.mac, u->mac, JB_SEAL_LEN);
        }
        if (st.n == 0) continue; /* the chain has no record up to there */
        if (!(v[i] = format_line(s->key.id, c->id, &st))) {
            jb_free(v[0]);
            return -ENOMEM;
        }
    }
    ret[0] = v[0];
    ret[1] = v[1];
    return 0;
}

void jb_sealer_release(jb_sealer *s, uint32_t seq_app, uint32_t seq_audit, bool durable) {
    const uint32_t seq[2] = {seq_app, seq_audit};
    for (int i = 0; i < 2; i++) {
        chain *c = &s->chains[i];
        ssize_t at = fifo_find(c, seq[i]);
        if (at >= 0) {
            const unsaved *u = fifo_at(c, (size_t)at);
            c->base = (chain_state){.n = u->n, .epoch = u->epoch};
            memcpy(c->base.mac, u->mac, JB_SEAL_LEN);
            c->base_seq = u->seq;
            c->head = (c->head + (size_t)at + 1) % c->cap;
            c->len -= (size_t)at + 1;
        } else if (seq[i] != c->base_seq) {
            continue; /* a position before the records this sealer knows: nothing to forget */
        }
        if (durable) c->durable_n = c->base.n;
    }
}

bool jb_sealer_covered(const jb_sealer *s) {
    for (int i = 0; i < 2; i++)
        if (s->chains[i].durable_n != s->chains[i].cur.n) return false;
    return true;
}

bool jb_sealer_epoch_due(const jb_sealer *s, uint64_t now_usec) {
    if (!s->epoch_dirty) return false; /* nothing sealed under the current key */
    return s->epoch_records >= s->cfg.epoch_records || now_usec - s->epoch_first_usec >= s->cfg.epoch_usec;
}

int jb_sealer_evolve_begin(jb_sealer *s) {
    if (!jb_sealer_covered(s)) return -EBUSY;
    if (s->key.epoch >= JB_SEAL_EPOCH_MAX) return -ERANGE; /* the last epoch a verifier takes */
    uint8_t old_mac[JB_SEAL_LEN];
    memcpy(old_mac, s->mac_key, JB_SEAL_LEN);
    if (!s->evolving) s->old = s->key; /* else: the key file still holds the older one, kept */
    s->evolving = true;
    jb_seal_key_evolve(&s->key);
    for (int i = 0; i < 2; i++) {
        chain *c = &s->chains[i];
        if (c->cur.n > 0) {
            uint8_t tx[JB_SEAL_LEN];
            jb_seal_tx_step(old_mac, s->key.id, c->id, c->cur.n + 1, s->key.epoch,
                            c->cur.has_tx ? c->cur.tx : c->cur.mac, tx);
            memcpy(c->cur.tx, tx, JB_SEAL_LEN);
            c->cur.has_tx = true;
        }
        c->cur.epoch = s->key.epoch;
        /* covered: every record was released, the base is the chain as it is */
        c->base = c->cur;
        c->len = 0;
    }
    OPENSSL_cleanse(old_mac, sizeof old_mac);
    jb_seal_key_mac_key(&s->key, s->mac_key);
    s->epoch_records = 0;
    s->epoch_dirty = false;
    return 0;
}

int jb_sealer_evolve_commit(jb_sealer *s, jb_error *err) {
    if (!s->evolving) return 0;
    int r = jb_seal_key_save(s->key_path, &s->key, err);
    if (r < 0) return r;
    jb_seal_key_wipe(&s->old);
    s->evolving = false;
    return 0;
}

/* ---- heartbeats ---- */

bool jb_sealer_beat_due(const jb_sealer *s, jb_stream st, uint64_t now_usec) {
    if ((unsigned)st > 1 || !s->cfg.streams[st]) return false;
    const chain *c = &s->chains[st];
    return c->cur.n > 0 && now_usec - c->last_item_usec >= s->cfg.heartbeat_usec;
}

int jb_sealer_beat(jb_sealer *s, jb_stream st, const char *beat, uint64_t time_usec, uint64_t now_usec, jb_buf *out) {
    if ((unsigned)st > 1 || !s->cfg.streams[st] || s->chains[st].cur.n == 0) return 1;
    chain *c = &s->chains[st];
    const uint8_t *tx = c->cur.has_tx ? c->cur.tx : NULL;
    uint64_t interval = s->cfg.heartbeat_usec / 1000000u;
    uint8_t mac[JB_SEAL_LEN];
    char b[JB_SEAL_B64_LEN + 1];
    jb_seal_beat_mac(s->mac_key, s->key.id, c->id, c->cur.n, s->key.epoch, tx, c->cur.mac, beat, time_usec, interval,
                     mac);
    jb_seal_b64(mac, b);
    size_t old = out->len;
    if (seal_params(out, s->key.id, c->id, c->cur.n, s->key.epoch, tx, c->cur.mac) < 0 ||
        jb_buf_printf(out, " seal.beat=\"%s\" seal.time=\"%" PRIu64 "\" seal.interval=\"%" PRIu64 "\" seal.mac=\"%s\"",
                      beat, time_usec, interval, b) < 0) {
        if (out->data) out->data[out->len = old] = 0;
        return -ENOMEM;
    }
    c->last_item_usec = now_usec;
    return 0;
}

int jb_sealer_seal_line(jb_sealer *s, const jb_record *rec, jb_buf *line, jb_error *err) {
    if ((unsigned)rec->stream > 1 || !s->cfg.streams[rec->stream]) return 1;
    jb_seal_line l;
    int r = jb_seal_line_parse(line->data, line->len, &l, err);
    if (r < 0) return r;
    /* the SD apart, so that the seal goes into it; then the line again around it */
    _cleanup_(jb_buf_done) jb_buf sd = JB_BUF_INIT, out = JB_BUF_INIT;
    size_t head = (size_t)(l.sd - line->data), tail = head + l.sd_len;
    /* room for the seal parameters (under 400 bytes) first: once sealed, nothing may fail */
    if (jb_buf_reserve(&sd, l.sd_len + 512) < 0 || jb_buf_reserve(&out, line->len + 512) < 0 ||
        jb_buf_append(&sd, l.sd, l.sd_len) < 0)
        return jb_error_set(err, -ENOMEM, "out of memory");
    l.sd = sd.data;
    r = jb_sealer_seal(s, rec, &l, &sd);
    if (r < 0) return jb_error_set(err, r, r == -ENOMEM ? "out of memory" : "cannot seal a record: %s", strerror(-r));
    (void)jb_buf_append(&out, line->data, head); /* reserved above */
    (void)jb_buf_append(&out, sd.data, sd.len);
    (void)jb_buf_append(&out, line->data + tail, line->len - tail);
    jb_buf tmp = *line;
    *line = out;
    out = tmp;
    return 0;
}
