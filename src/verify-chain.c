/* SPDX-License-Identifier: Apache-2.0 */
/* One chain of the verifier: an item's MAC checked, then its place in the chain: the valid
 * record numbers kept as ranges, the links at the ends of each range (seal.prev of its first
 * record, the MAC of its last), the epoch transitions, duplicates told from forks by a window of
 * recent MACs, and the newest heartbeat. */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>

#include "verify-internal.h"

static uint64_t mac64(const uint8_t mac[JB_SEAL_LEN]) {
    uint64_t x;
    memcpy(&x, mac, sizeof x);
    return x;
}

/* The epoch transition from a record sealed under epoch a to the item (n, epoch, tx, prev): none
 * when the epoch stays, else TX_{a+1} ... TX_E recomputed from prev under the keys of the epochs
 * it leaves. 1 valid, 0 not, -ENOMEM. */
static int transition_ok(vchain *c, uint64_t a, uint64_t n, uint64_t epoch, bool has_tx, const uint8_t *tx,
                         const uint8_t prev[JB_SEAL_LEN]) {
    uint8_t t[JB_SEAL_LEN], m[JB_SEAL_LEN];
    if (epoch < a) return 0;
    if (epoch == a) return !has_tx;
    if (!has_tx) return 0;
    memcpy(t, prev, JB_SEAL_LEN);
    for (uint64_t e = a; e < epoch; e++) {
        int r = jb__verify_mac_key(c->key, e, m);
        if (r == -ENOMEM) return r;
        if (r < 0) return 0;
        jb_seal_tx_step(m, c->key_id, c->id, n, e + 1, t, t);
    }
    OPENSSL_cleanse(m, sizeof m);
    return CRYPTO_memcmp(t, tx, JB_SEAL_LEN) == 0;
}

size_t jb__verify_range_at(const vchain *c, uint64_t n) {
    size_t lo = 0, hi = c->n_ranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->ranges[mid].lo <= n)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? c->n_ranges : lo - 1;
}

static int range_insert(vchain *c, size_t at, const vitem *it) {
    if (c->n_ranges == c->cap_ranges) {
        size_t cap = c->cap_ranges ? 2 * c->cap_ranges : 4;
        vrange *r = jb_realloc(c->ranges, cap * sizeof *r);
        if (!r) return -ENOMEM;
        c->ranges = r;
        c->cap_ranges = cap;
    }
    memmove(c->ranges + at + 1, c->ranges + at, (c->n_ranges - at) * sizeof *c->ranges);
    c->n_ranges++;
    vrange *g = &c->ranges[at];
    *g = (vrange){.lo = it->n, .hi = it->n, .lo_epoch = it->epoch, .hi_epoch = it->epoch, .lo_has_tx = it->has_tx};
    memcpy(g->lo_prev, it->prev, JB_SEAL_LEN);
    memcpy(g->lo_tx, it->tx, JB_SEAL_LEN);
    memcpy(g->hi_mac, it->mac, JB_SEAL_LEN);
    return 0;
}

/* A record number seen again: the same MAC (a duplicate), or another record (a fork). */
static int record_again(jb_verifier *v, vchain *c, const vitem *it, const vrange *g) {
    bool known = c->window[it->n % JB_VERIFY_WINDOW].n == it->n;
    uint64_t m = c->window[it->n % JB_VERIFY_WINDOW].mac64;
    if ((known && m != mac64(it->mac)) || (!known && g->hi == it->n && memcmp(g->hi_mac, it->mac, JB_SEAL_LEN)))
        return jb__verify_chain_event(v, c, V_FORK, it->n, "another valid record has this number");
    c->duplicates++;
    return 0;
}

/* The links of a new record to its neighbours: the range ending at n-1 (L) and the one starting
 * at n+1 (R), then the ranges merged. */
static int record_new(jb_verifier *v, vchain *c, const vitem *it, size_t at) {
    vrange *L = at < c->n_ranges && c->ranges[at].hi + 1 == it->n ? &c->ranges[at] : NULL;
    size_t next = at < c->n_ranges ? at + 1 : 0;
    vrange *R = next < c->n_ranges && c->ranges[next].lo == it->n + 1 ? &c->ranges[next] : NULL;
    int r;

    if (it->n < c->max_n && (r = jb__verify_chain_event(v, c, V_REORDERED, it->n, NULL)) < 0) return r;
    if (L) {
        if (CRYPTO_memcmp(it->prev, L->hi_mac, JB_SEAL_LEN) != 0) {
            r = jb__verify_chain_event(v, c, V_FORK, it->n, "seal.prev is not the MAC of the record before");
        } else {
            r = transition_ok(c, L->hi_epoch, it->n, it->epoch, it->has_tx, it->tx, it->prev);
            if (r == 0) r = jb__verify_chain_event(v, c, V_TRANSITION, it->n, NULL);
        }
        if (r < 0) return r;
    }
    if (R) {
        if (CRYPTO_memcmp(R->lo_prev, it->mac, JB_SEAL_LEN) != 0) {
            r = jb__verify_chain_event(v, c, V_FORK, it->n + 1, "the next record's seal.prev is not this MAC");
        } else {
            r = transition_ok(c, it->epoch, R->lo, R->lo_epoch, R->lo_has_tx, R->lo_tx, R->lo_prev);
            if (r == 0) r = jb__verify_chain_event(v, c, V_TRANSITION, it->n + 1, NULL);
        }
        if (r < 0) return r;
    }
    if (L && R) {
        L->hi = R->hi;
        L->hi_epoch = R->hi_epoch;
        memcpy(L->hi_mac, R->hi_mac, JB_SEAL_LEN);
        memmove(R, R + 1, (size_t)(c->ranges + c->n_ranges - (R + 1)) * sizeof *R);
        c->n_ranges--;
    } else if (L) {
        L->hi = it->n;
        L->hi_epoch = it->epoch;
        memcpy(L->hi_mac, it->mac, JB_SEAL_LEN);
    } else if (R) {
        R->lo = it->n;
        R->lo_epoch = it->epoch;
        R->lo_has_tx = it->has_tx;
        memcpy(R->lo_prev, it->prev, JB_SEAL_LEN);
        memcpy(R->lo_tx, it->tx, JB_SEAL_LEN);
    } else if ((r = range_insert(c, at < c->n_ranges ? at + 1 : 0, it)) < 0) {
        return r;
    }
    c->window[it->n % JB_VERIFY_WINDOW].n = it->n;
    c->window[it->n % JB_VERIFY_WINDOW].mac64 = mac64(it->mac);
    c->records++;
    if (it->n > c->max_n) c->max_n = it->n;
    if (!it->line->time_nil && it->line->time_usec > c->newest_record_usec) c->newest_record_usec = it->line->time_usec;
    return 0;
}

static int record_valid(jb_verifier *v, vchain *c, const vitem *it) {
    if (!c->window) {
        c->window = jb_calloc(JB_VERIFY_WINDOW, sizeof *c->window);
        if (!c->window) return -ENOMEM;
    }
    size_t at = jb__verify_range_at(c, it->n);
    if (at < c->n_ranges && it->n <= c->ranges[at].hi) return record_again(v, c, it, &c->ranges[at]);
    return record_new(v, c, it, at);
}

/* A heartbeat or stop: its link to record N when that is known, and the newest one kept. */
static int beat_valid(jb_verifier *v, vchain *c, const vitem *it) {
    size_t at = jb__verify_range_at(c, it->n);
    int r = 0;
    c->beats++;
    if (it->n > c->max_beat_n) c->max_beat_n = it->n;
    if (c->window && c->window[it->n % JB_VERIFY_WINDOW].n == it->n &&
        c->window[it->n % JB_VERIFY_WINDOW].mac64 != mac64(it->prev))
        r = jb__verify_chain_event(v, c, V_FORK, it->n, "the heartbeat's seal.prev is not the MAC of its record");
    else if (at < c->n_ranges && c->ranges[at].hi == it->n) {
        r = transition_ok(c, c->ranges[at].hi_epoch, it->n + 1, it->epoch, it->has_tx, it->tx, it->prev);
        if (r == 0) r = jb__verify_chain_event(v, c, V_TRANSITION, it->n, "heartbeat");
    }
    if (r < 0) return r;
    if (!c->has_beat || it->time_usec > c->beat_usec || (it->time_usec == c->beat_usec && it->n >= c->beat_n)) {
        c->has_beat = true;
        c->beat_usec = it->time_usec;
        c->beat_n = it->n;
        c->beat_interval = it->interval;
        c->beat_stop = strcmp(it->beat, "stop") == 0;
    }
    return 0;
}

/* The MAC of a record (its CANON; for the first record also its chain id and zero prev) or of a
 * heartbeat. 1 valid, 0 not (why says why), -ENOMEM. */
static int mac_ok(jb_verifier *v, vchain *c, const vitem *it, const char **why) {
    uint8_t m[JB_SEAL_LEN], mac[JB_SEAL_LEN];
    int r = jb__verify_mac_key(c->key, it->epoch, m);
    if (r == -ENOMEM) return r;
    if (r < 0) {
        *why = "seal.epoch is too large";
        return 0;
    }
    *why = "seal.mac does not verify";
    if (it->beat) {
        jb_seal_beat_mac(m, c->key_id, c->id, it->n, it->epoch, it->has_tx ? it->tx : NULL, it->prev, it->beat,
                         it->time_usec, it->interval, mac);
    } else {
        jb_buf_reset(&v->canon);
        r = jb_seal_canonical(it->line, &v->canon);
        if (r == -ENOMEM) return r;
        if (r < 0) return 0;
        jb_seal_record_mac(m, c->key_id, c->id, it->n, it->epoch, it->has_tx ? it->tx : NULL, it->prev, v->canon.data,
                           v->canon.len, mac);
    }
    r = CRYPTO_memcmp(mac, it->mac, JB_SEAL_LEN) == 0;
    if (r && !it->beat && it->n == 1) {
        /* the first record: no link, no transition, and the chain id is its own */
        static const uint8_t zero[JB_SEAL_LEN] = {0};
        const jb_seal_line *l = it->line;
        char rid[256], id[JB_SEAL_ID_LEN + 1];
        bool app = jb_slice_eq(l->msgid, l->msgid_len, "app"), audit = jb_slice_eq(l->msgid, l->msgid_len, "audit");
        *why = "the first record of the chain does not start it";
        if (CRYPTO_memcmp(it->prev, zero, JB_SEAL_LEN) != 0 || it->has_tx || (!app && !audit) || !it->record_id ||
            it->record_id_len >= sizeof rid)
            r = 0;
        if (r) {
            memcpy(rid, it->record_id, it->record_id_len);
            rid[it->record_id_len] = 0;
            jb_seal_chain_id(m, audit ? JB_STREAM_AUDIT : JB_STREAM_APP, rid, id);
            r = memcmp(id, c->id, JB_SEAL_ID_LEN) == 0;
        }
    }
    OPENSSL_cleanse(m, sizeof m);
    return r;
}

int jb__verify_item(jb_verifier *v, vchain *c, const vitem *it) {
    const char *why = NULL;
    int r = mac_ok(v, c, it, &why);
    if (r < 0) return r;
    if (r == 0) return jb__verify_chain_event(v, c, V_BAD_MAC, it->n, why);
    if (!c->any_valid) {
        if ((r = jb__verify_chain_grouped(v, c, it->line)) < 0) return r;
        c->any_valid = true;
        c->first_epoch = c->last_epoch = it->epoch;
    }
    if (it->epoch < c->first_epoch) c->first_epoch = it->epoch;
    if (it->epoch > c->last_epoch) c->last_epoch = it->epoch;
    return it->beat ? beat_valid(v, c, it) : record_valid(v, c, it);
}
