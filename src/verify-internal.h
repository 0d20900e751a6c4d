/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What verify.c (reading and checking) and verify-report.c (the report) share: the verifier's
 * state. Not an interface: include verify.h. */

#include "seal.h"
#include "verify.h"

/* A verification key and its derived epoch keys. */
typedef struct vkey {
    char id[JB_SEAL_ID_LEN + 1];
    uint8_t k0[JB_SEAL_LEN];
    uint8_t (*checkpoint)[JB_SEAL_LEN]; /* K_e for e = i * JB_VERIFY_CHECKPOINT, i < n_checkpoint */
    size_t n_checkpoint;
    jb_seal_key top; /* the highest epoch key derived so far */
    struct {
        uint64_t epoch;
        uint8_t m[JB_SEAL_LEN];
        bool valid;
    } mcache[64]; /* M_e at e % 64: the last 64 epochs derived forward are always there */
} vkey;

/* Valid record numbers lo..hi of a chain, and what the links at their ends need. */
typedef struct vrange {
    uint64_t lo, hi, lo_epoch, hi_epoch;
    uint8_t lo_prev[JB_SEAL_LEN], lo_tx[JB_SEAL_LEN], hi_mac[JB_SEAL_LEN];
    bool lo_has_tx;
} vrange;

/* What the report lists per line. */
typedef enum vkind {
    V_BAD_MAC,     /* a MAC that does not verify: altered or inserted, decided at the end */
    V_UNSEALED,    /* an unsealed line in a sealed stream of a host: inserted */
    V_REORDERED,   /* first seen after a higher number */
    V_FORK,        /* a valid record whose link or MAC disagrees with another valid one */
    V_TRANSITION,  /* an epoch transition that does not verify */
    V_BAD_LINE,    /* not RFC 5424 (no chain) */
    V_UNKNOWN_KEY, /* sealed by a key not given (no chain): inserted */
    V_BAD_SEAL,    /* seal parameters that do not parse (no chain): inserted */
    V_KINDS,
} vkind;

typedef struct vevent {
    vkind kind;
    uint32_t file;
    uint64_t line, n;
    char *what; /* a reason (V_BAD_LINE, V_BAD_SEAL, V_FORK), the key (V_UNKNOWN_KEY); may be NULL */
} vevent;

typedef struct vchain {
    char key_id[JB_SEAL_ID_LEN + 1], id[JB_SEAL_ID_LEN + 1];
    vkey *key;
    char host[256], stream[33]; /* of its first item */
    uint32_t first_file;
    uint64_t first_line, order;
    vrange *ranges; /* sorted, disjoint, not adjacent */
    size_t n_ranges, cap_ranges;
    struct {
        uint64_t n, mac64;
    } * window; /* valid record n's MAC prefix at n % JB_VERIFY_WINDOW (allocated on first use) */
    uint64_t records, duplicates, beats, max_n, max_beat_n, first_epoch, last_epoch;
    uint64_t newest_record_usec, beat_usec, beat_n, beat_interval; /* the newest heartbeat */
    bool has_beat, beat_stop, any_valid;
    vevent *events; /* this chain's failures, in reading order */
    size_t n_events, cap_events;
} vchain;

/* The chains of one host and stream, in the order of their first item. */
typedef struct vgroup {
    char host[256], stream[33];
    size_t *chains;
    size_t n_chains;
} vgroup;

struct jb_verifier {
    vkey *keys;
    size_t n_keys;
    vchain *chains;
    size_t n_chains, cap_chains;
    size_t *index; /* open addressing over chains by (KEYID, CHAIN): chain index + 1, 0 empty */
    size_t index_cap;
    vgroup *groups;
    size_t n_groups;
    size_t *gindex; /* open addressing over groups by (host, stream): group index + 1, 0 empty */
    size_t gindex_cap;
    char **files;
    size_t n_files;
    uint64_t line; /* in the current file */
    uint64_t lines, unsealed, other;
    vevent *events; /* failures that belong to no chain */
    size_t n_events, cap_events;
    jb_buf canon;
};

int jb__verify_event(vevent **list, size_t *n, size_t *cap, vkind kind, uint32_t file, uint64_t line, uint64_t n_rec,
                     const char *what);

/* One sealed item of a line, its seal parsed. */
typedef struct vitem {
    const jb_seal_line *line;
    const char *record_id;
    size_t record_id_len;
    uint64_t n, epoch, time_usec, interval;
    uint8_t prev[JB_SEAL_LEN], mac[JB_SEAL_LEN], tx[JB_SEAL_LEN];
    bool has_tx;
    const char *beat; /* "heartbeat" or "stop"; NULL for a record */
} vitem;

/* verify.c */
int jb__verify_mac_key(vkey *k, uint64_t e, uint8_t out[JB_SEAL_LEN]);
int jb__verify_chain_event(jb_verifier *v, vchain *c, vkind kind, uint64_t n, const char *what);
int jb__verify_chain_grouped(jb_verifier *v, vchain *c, const jb_seal_line *l);
/* verify-chain.c: check the item's MAC and put it into chain c. 0 or -ENOMEM. */
int jb__verify_item(jb_verifier *v, vchain *c, const vitem *it);
/* The index of the last range of c with lo <= n, or c->n_ranges when there is none. */
size_t jb__verify_range_at(const vchain *c, uint64_t n);
