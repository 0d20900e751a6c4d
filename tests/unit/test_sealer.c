/* SPDX-License-Identifier: Apache-2.0 */
/* The sealer (sealer.c) and the key files (seal-key.c): chains, snapshots at a lagging checkpoint,
 * restore, re-delivery after a crash, epochs with their transition proofs, heartbeats, the key
 * file's checks, keygen, and forward security. Each sealed line is checked the way a verifier
 * does it, from the verification key line alone (K0), with the scheme's functions (seal-canon.c). */

#include "testlib.h"

#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rfc5424.h"
#include "seal.h"
#include "state.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

typedef struct fixture {
    char dir[64];
    char key_path[96];
    jb_seal_key k0; /* from the verification key line */
    jb_seal_config cfg;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/jb-test-sealer-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->key_path, sizeof f->key_path, "%s/key", f->dir);
    char line[JB_SEAL_VERIFY_LINE_MAX];
    jb_error err = {0};
    if (jb_seal_keygen(f->key_path, line, &err) < 0) return -1;
    if (jb_seal_verify_key_parse(line, strlen(line), &f->k0, &err) < 0) return -1;
    jb_seal_config_init(&f->cfg);
    f->cfg.key_path = f->key_path;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Record seq of a stream, formatted (not sealed) into line; id holds its record id. */
static void format_one(jb_stream st, uint32_t seq, const char *msg, char id[17], jb_buf *line) {
    snprintf(id, 17, "%016x", (unsigned)seq * 7919u + (unsigned)st);
    jb_record rec = {.message = msg,
                     .message_len = strlen(msg),
                     .container_name = "web",
                     .container_id = "0123456789ab",
                     .image = "img",
                     .identifier = "web",
                     .hostname = "host1",
                     .writer_uid = "",
                     .writer_comm = "",
                     .time_usec = 1522187729000000u + seq,
                     .severity = 6,
                     .facility = -1,
                     .cursor = "c",
                     .record_id = id,
                     .stream = st,
                     .sequence = seq};
    static const jb_audit none = {0};
    rec.audit = &none;
    assert_int_equal(jb_rfc5424_format(&rec, NULL, line), 0);
}

static jb_record record_of(jb_stream st, uint32_t seq, const char *id) {
    return (jb_record){.stream = st, .sequence = seq, .record_id = id, .hostname = "host1"};
}

/* Record seq of a stream, formatted and sealed as the command does it. */
static char *seal_one(jb_sealer *s, jb_stream st, uint32_t seq, const char *msg) {
    char id[17];
    jb_buf line = JB_BUF_INIT;
    format_one(st, seq, msg, id, &line);
    jb_record rec = record_of(st, seq, id);
    jb_error err = {0};
    int r = jb_sealer_seal_line(s, &rec, &line, &err);
    assert_true(r == 0 || r == 1);
    return line.data;
}

/* The slice of parameter name's value in the line (NULL: absent), as text. */
static char *param(const char *line, const char *name) {
    char pat[64];
    snprintf(pat, sizeof pat, " %s=\"", name);
    const char *p = strstr(line, pat);
    if (!p) return NULL;
    p += strlen(pat);
    return strndup(p, strcspn(p, "\""));
}

static uint64_t param_u64(const char *line, const char *name) {
    char *v = param(line, name);
    assert_non_null(v);
    uint64_t n = strtoull(v, NULL, 10);
    free(v);
    return n;
}

/* M_e from K0. */
static void mac_key_at(const jb_seal_key *k0, uint64_t epoch, uint8_t out[JB_SEAL_LEN]) {
    jb_seal_key k = *k0;
    while (k.epoch < epoch) jb_seal_key_evolve(&k);
    jb_seal_key_mac_key(&k, out);
}

/* The record's MAC recomputed from K0; true when it is the line's seal.mac. */
static bool verifies(const fixture *f, const char *line) {
    jb_seal_line l;
    jb_error err = {0};
    assert_int_equal(jb_seal_line_parse(line, strlen(line), &l, &err), 0);
    jb_buf canon = JB_BUF_INIT;
    assert_int_equal(jb_seal_canonical(&l, &canon), 0);
    char *chain = param(line, "seal.chain"), *prev64 = param(line, "seal.prev"), *tx64 = param(line, "seal.tx");
    char *mac64 = param(line, "seal.mac"), *key = param(line, "seal.key");
    uint8_t prev[JB_SEAL_LEN], tx[JB_SEAL_LEN], m[JB_SEAL_LEN], got[JB_SEAL_LEN];
    assert_int_equal(jb_seal_unb64(prev64, strlen(prev64), prev), 0);
    if (tx64) assert_int_equal(jb_seal_unb64(tx64, strlen(tx64), tx), 0);
    assert_int_equal(jb_seal_unb64(mac64, strlen(mac64), got), 0);
    assert_string_equal(key, f->k0.id);
    uint64_t epoch = param_u64(line, "seal.epoch");
    mac_key_at(&f->k0, epoch, m);
    uint8_t want[JB_SEAL_LEN];
    jb_seal_record_mac(m, key, chain, param_u64(line, "seal.n"), epoch, tx64 ? tx : NULL, prev, canon.data, canon.len,
                       want);
    free(chain), free(prev64), free(tx64), free(mac64), free(key);
    jb_buf_done(&canon);
    return memcmp(want, got, JB_SEAL_LEN) == 0;
}

static jb_sealer *new_sealer(const fixture *f) {
    jb_sealer *s = NULL;
    jb_error err = {0};
    assert_int_equal(jb_sealer_new(&f->cfg, &s, &err), 0);
    return s;
}

/* ---- chains ---- */

static void test_chain(void **state) {
    fixture *f = *state;
    /* a temporary file a crash left beside the key file goes when a sealer starts */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp.0123456789abcdef", f->key_path);
    FILE *t = fopen(tmp, "w");
    assert_non_null(t);
    fclose(t);
    jb_sealer *s = new_sealer(f);
    assert_int_equal(access(tmp, F_OK), -1);
    char *l[4];
    for (int i = 0; i < 3; i++) l[i] = seal_one(s, JB_STREAM_AUDIT, (uint32_t)i + 1, "audit line");
    /* the application stream is not sealed by default */
    l[3] = seal_one(s, JB_STREAM_APP, 1, "app line");
    assert_null(strstr(l[3], "seal."));
    char *chain = param(l[0], "seal.chain");
    for (int i = 0; i < 3; i++) {
        assert_true(verifies(f, l[i]));
        assert_int_equal(param_u64(l[i], "seal.n"), i + 1);
        assert_int_equal(param_u64(l[i], "seal.epoch"), 0);
        char *c = param(l[i], "seal.chain");
        assert_string_equal(c, chain);
        free(c);
        char *prev = param(l[i], "seal.prev"), *mac = i ? param(l[i - 1], "seal.mac") : NULL;
        assert_string_equal(prev, i ? mac : "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        free(prev), free(mac);
        assert_null(strstr(l[i], "seal.tx"));
        assert_non_null(strstr(l[i], " seal.mac=\""));
        assert_non_null(strstr(l[i], "\"] audit line\n")); /* the seal closes the jbridge@ element */
    }
    /* the chain id is the scheme's: the first record's id under M_0 */
    uint8_t m[JB_SEAL_LEN];
    mac_key_at(&f->k0, 0, m);
    char want[JB_SEAL_ID_LEN + 1];
    jb_seal_chain_id(m, JB_STREAM_AUDIT, "0000000000001ef0", want); /* 1 * 7919 + 1 */
    assert_string_equal(chain, want);
    /* altering a record breaks its MAC */
    char *alt = strdup(l[1]);
    alt[strlen(alt) - 3] = 'X';
    assert_false(verifies(f, alt));
    free(alt), free(chain);
    for (int i = 0; i < 4; i++) free(l[i]);
    jb_sealer_free(s);
}

/* ---- snapshots, restore, re-delivery ---- */

/* A snapshot at a checkpoint behind the last sealed record gives the chain at the checkpoint; a
 * sealer restored from it seals the records after it again with the very same seals. */
static void test_lagging_snapshot_and_redelivery(void **state) {
    fixture *f = *state;
    f->cfg.streams[JB_STREAM_APP] = true;
    jb_sealer *s = new_sealer(f);
    char *first[6], *again[6];
    for (int i = 0; i < 6; i++) first[i] = seal_one(s, JB_STREAM_AUDIT, (uint32_t)i + 1, "rec");
    char *app1 = seal_one(s, JB_STREAM_APP, 1, "app");
    char *snap[2];
    assert_int_equal(jb_sealer_snapshot(s, 0, 3, snap), 0);
    assert_null(snap[0]); /* the application chain has no record up to sequence 0 */
    assert_non_null(snap[1]);
    char *mac3 = param(first[2], "seal.mac"), *chain = param(first[0], "seal.chain");
    char want[256];
    snprintf(want, sizeof want, "%s %s 3 0 %s -", f->k0.id, chain, mac3);
    assert_string_equal(snap[1], want);
    jb_sealer_release(s, 0, 3, true);
    assert_false(jb_sealer_covered(s)); /* records 4-6 and the app record are not saved yet */
    /* released: a snapshot at the same place is the same */
    char *snap2[2];
    assert_int_equal(jb_sealer_snapshot(s, 0, 3, snap2), 0);
    assert_string_equal(snap2[1], snap[1]);
    free(snap2[1]);
    jb_sealer_free(s); /* "crash" */

    s = new_sealer(f);
    jb_seal_restore how;
    jb_error err = {0};
    assert_int_equal(jb_sealer_restore(s, NULL, snap[1], &how, &err), 0);
    assert_int_equal(how, JB_SEAL_CONTINUED);
    for (int i = 3; i < 6; i++) {
        again[i] = seal_one(s, JB_STREAM_AUDIT, (uint32_t)i + 1, "rec");
        assert_string_equal(again[i], first[i]); /* duplicates carry the same seals */
        free(again[i]);
    }
    /* the application chain had no saved record: it starts again, from the same first record */
    char *app_again = seal_one(s, JB_STREAM_APP, 1, "app");
    assert_string_equal(app_again, app1);
    free(app_again), free(app1);
    for (int i = 0; i < 6; i++) free(first[i]);
    free(mac3), free(chain), free(snap[1]);
    jb_sealer_free(s);
}

static void test_restore_outcomes(void **state) {
    fixture *f = *state;
    jb_sealer *s = new_sealer(f);
    jb_seal_restore how;
    jb_error err = {0};
    assert_int_equal(jb_sealer_restore(s, NULL, NULL, &how, &err), 0);
    assert_int_equal(how, JB_SEAL_NEW_CHAIN);
    free(seal_one(s, JB_STREAM_AUDIT, 1, "x"));
    char *snap[2];
    assert_int_equal(jb_sealer_snapshot(s, 0, 1, snap), 0);
    jb_sealer_free(s);

    /* another key: new chain */
    char other[256];
    memcpy(other, snap[1], strlen(snap[1]) + 1);
    other[0] = other[0] == 'f' ? '0' : 'f';
    s = new_sealer(f);
    assert_int_equal(jb_sealer_restore(s, NULL, other, &how, &err), 0);
    assert_int_equal(how, JB_SEAL_KEY_CHANGED);
    jb_sealer_free(s);

    /* damaged lines are refused */
    static const char *const bad[] = {
        "",
        "x",
        "0123456789abcdef 0123456789abcdef 1 0 AAAA -",
        "0123456789abcdef 0123456789abcdef 0 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= -",
        "0123456789ABCDEF 0123456789abcdef 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= -",
        "0123456789abcdef 0123456789abcdef 01 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= -",
        "0123456789abcdef 0123456789abcdef 1 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= - x"};
    for (size_t i = 1; i < JB_ELEMENTSOF(bad); i++) {
        s = new_sealer(f);
        assert_int_equal(jb_sealer_restore(s, NULL, bad[i], &how, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "seal.audit"));
        jb_sealer_free(s);
    }
    /* "" is no line */
    s = new_sealer(f);
    assert_int_equal(jb_sealer_restore(s, bad[0], bad[0], &how, &err), 0);
    assert_int_equal(how, JB_SEAL_NEW_CHAIN);
    jb_sealer_free(s);

    /* the key file at a later epoch than the state (a state from a backup): new chain */
    jb_seal_key k;
    assert_int_equal(jb_seal_key_load(f->key_path, &k, &err), 0);
    jb_seal_key_evolve(&k);
    assert_int_equal(jb_seal_key_save(f->key_path, &k, &err), 0);
    s = new_sealer(f);
    assert_int_equal(jb_sealer_restore(s, NULL, snap[1], &how, &err), 0);
    assert_int_equal(how, JB_SEAL_KEY_AHEAD);
    char *l = seal_one(s, JB_STREAM_AUDIT, 2, "y");
    assert_int_equal(param_u64(l, "seal.n"), 1);
    assert_int_equal(param_u64(l, "seal.epoch"), 1);
    assert_true(verifies(f, l));
    free(l), free(snap[1]);
    jb_seal_key_wipe(&k);
    jb_sealer_free(s);
}

/* ---- epochs ---- */

static uint64_t file_epoch(const fixture *f) {
    jb_seal_key k;
    jb_error err = {0};
    assert_int_equal(jb_seal_key_load(f->key_path, &k, &err), 0);
    uint64_t e = k.epoch;
    jb_seal_key_wipe(&k);
    return e;
}

static void test_epoch_move(void **state) {
    fixture *f = *state;
    f->cfg.epoch_records = 2;
    jb_sealer *s = new_sealer(f);
    uint64_t now = 1000000;
    assert_false(jb_sealer_epoch_due(s, now)); /* nothing sealed under the key yet */
    char *a = seal_one(s, JB_STREAM_AUDIT, 1, "a");
    assert_false(jb_sealer_epoch_due(s, jb_now_usec(CLOCK_MONOTONIC)));
    char *b = seal_one(s, JB_STREAM_AUDIT, 2, "b");
    assert_true(jb_sealer_epoch_due(s, jb_now_usec(CLOCK_MONOTONIC)));
    assert_int_equal(jb_sealer_evolve_begin(s), -EBUSY); /* not covered by a durable save */
    jb_sealer_release(s, 0, 2, false);
    assert_false(jb_sealer_covered(s)); /* saved, not durably */
    assert_int_equal(jb_sealer_evolve_begin(s), -EBUSY);
    jb_sealer_release(s, 0, 2, true);
    assert_true(jb_sealer_covered(s));
    assert_int_equal(jb_sealer_evolve_begin(s), 0);
    assert_false(jb_sealer_epoch_due(s, jb_now_usec(CLOCK_MONOTONIC)));
    char *snap[2];
    assert_int_equal(jb_sealer_snapshot(s, 0, 2, snap), 0);
    assert_non_null(strstr(snap[1], " 2 1 ")); /* N 2, epoch 1, with the transition proof */
    assert_null(strstr(snap[1], " -"));
    assert_int_equal(file_epoch(f), 0);
    jb_error err = {0};
    assert_int_equal(jb_sealer_evolve_commit(s, &err), 0);
    assert_int_equal(file_epoch(f), 1);

    char *c = seal_one(s, JB_STREAM_AUDIT, 3, "c");
    char *d = seal_one(s, JB_STREAM_AUDIT, 4, "d");
    assert_int_equal(param_u64(c, "seal.epoch"), 1);
    assert_true(verifies(f, c));
    assert_true(verifies(f, d));
    assert_null(strstr(d, "seal.tx")); /* only the first item after the move */
    /* the transition proof: TX_1 = HMAC(M_0, ... N+1=3, e+1=1, T_0 = the MAC of record 2) */
    char *tx64 = param(c, "seal.tx"), *prev64 = param(c, "seal.prev"), *chain = param(c, "seal.chain");
    uint8_t tx[JB_SEAL_LEN], prev[JB_SEAL_LEN], m0[JB_SEAL_LEN], want[JB_SEAL_LEN];
    assert_int_equal(jb_seal_unb64(tx64, strlen(tx64), tx), 0);
    assert_int_equal(jb_seal_unb64(prev64, strlen(prev64), prev), 0);
    mac_key_at(&f->k0, 0, m0);
    jb_seal_tx_step(m0, f->k0.id, chain, 3, 1, prev, want);
    assert_memory_equal(tx, want, JB_SEAL_LEN);
    char *bmac = param(b, "seal.mac");
    assert_string_equal(prev64, bmac);

    /* forward security: the key file now holds K_1; nothing computed from it is M_0 */
    jb_seal_key k;
    assert_int_equal(jb_seal_key_load(f->key_path, &k, &err), 0);
    uint8_t m[JB_SEAL_LEN];
    for (int i = 0; i < 3; i++, jb_seal_key_evolve(&k)) {
        jb_seal_key_mac_key(&k, m);
        assert_memory_not_equal(m, m0, JB_SEAL_LEN);
        assert_memory_not_equal(k.k, f->k0.k, JB_SEAL_LEN);
    }
    /* a record of epoch 0 re-sealed with what the key file gives does not verify */
    assert_int_equal(jb_seal_key_load(f->key_path, &k, &err), 0);
    jb_seal_key_mac_key(&k, m);
    char *amac64 = param(a, "seal.mac"), *achain = param(a, "seal.chain");
    uint8_t amac[JB_SEAL_LEN], zero[JB_SEAL_LEN] = {0}, forged[JB_SEAL_LEN];
    assert_int_equal(jb_seal_unb64(amac64, strlen(amac64), amac), 0);
    jb_seal_line l;
    assert_int_equal(jb_seal_line_parse(a, strlen(a), &l, &err), 0);
    jb_buf canon = JB_BUF_INIT;
    assert_int_equal(jb_seal_canonical(&l, &canon), 0);
    jb_seal_record_mac(m, k.id, achain, 1, 0, NULL, zero, canon.data, canon.len, forged);
    assert_memory_not_equal(forged, amac, JB_SEAL_LEN);
    jb_buf_done(&canon);
    jb_seal_key_wipe(&k);
    free(amac64), free(achain), free(tx64), free(prev64), free(chain), free(bmac), free(snap[1]);
    free(a), free(b), free(c), free(d);
    jb_sealer_free(s);
}

/* A crash after the state was saved at the new epoch, before the key file was: the restore evolves
 * the key file first and the chain goes on. An idle chain steps through several epochs. */
static void test_state_ahead_and_idle_epochs(void **state) {
    fixture *f = *state;
    f->cfg.epoch_records = 1;
    jb_sealer *s = new_sealer(f);
    char *a = seal_one(s, JB_STREAM_AUDIT, 1, "a");
    jb_sealer_release(s, 0, 1, true);
    assert_int_equal(jb_sealer_evolve_begin(s), 0);
    /* idle: the epoch moves again (a restored chain with records of the epoch counts) */
    char *snap[2];
    assert_int_equal(jb_sealer_snapshot(s, 0, 1, snap), 0);
    jb_sealer_free(s); /* crash before commit */
    assert_int_equal(file_epoch(f), 0);

    s = new_sealer(f);
    jb_seal_restore how;
    jb_error err = {0};
    assert_int_equal(jb_sealer_restore(s, NULL, snap[1], &how, &err), 0);
    assert_int_equal(how, JB_SEAL_CONTINUED);
    assert_int_equal(file_epoch(f), 1);
    free(snap[1]);
    /* one more empty epoch: epoch 2 */
    assert_int_equal(jb_sealer_evolve_begin(s), 0);
    assert_int_equal(jb_sealer_evolve_commit(s, &err), 0);
    assert_int_equal(file_epoch(f), 2);
    char *b = seal_one(s, JB_STREAM_AUDIT, 2, "b");
    assert_int_equal(param_u64(b, "seal.epoch"), 2);
    assert_true(verifies(f, b));
    /* TX_2 from TX_1 from the MAC of record 1 */
    char *chain = param(b, "seal.chain"), *tx64 = param(b, "seal.tx"), *amac64 = param(a, "seal.mac");
    uint8_t t[JB_SEAL_LEN], m[JB_SEAL_LEN], tx[JB_SEAL_LEN];
    assert_int_equal(jb_seal_unb64(amac64, strlen(amac64), t), 0);
    for (uint64_t e = 1; e <= 2; e++) {
        mac_key_at(&f->k0, e - 1, m);
        jb_seal_tx_step(m, f->k0.id, chain, 2, e, t, t);
    }
    assert_int_equal(jb_seal_unb64(tx64, strlen(tx64), tx), 0);
    assert_memory_equal(t, tx, JB_SEAL_LEN);
    free(chain), free(tx64), free(amac64), free(a), free(b);
    jb_sealer_free(s);
}

/* The epoch is due by time too, counted from the first record of the epoch. */
static void test_epoch_by_time(void **state) {
    fixture *f = *state;
    f->cfg.epoch_usec = 2000000;
    jb_sealer *s = new_sealer(f);
    uint64_t t0 = jb_now_usec(CLOCK_MONOTONIC);
    assert_false(jb_sealer_epoch_due(s, t0 + 10000000)); /* nothing sealed: nothing to protect */
    free(seal_one(s, JB_STREAM_AUDIT, 1, "a"));
    uint64_t t1 = jb_now_usec(CLOCK_MONOTONIC);
    assert_false(jb_sealer_epoch_due(s, t1 + 1000000));
    assert_true(jb_sealer_epoch_due(s, t1 + 2000000));
    jb_sealer_release(s, 0, 1, true);
    assert_int_equal(jb_sealer_evolve_begin(s), 0);
    assert_false(jb_sealer_epoch_due(s, t1 + 10000000));
    jb_sealer_free(s);
}

/* Allocation failure while sealing leaves the line and the chain as they were: sealing again
 * gives what a sealer that never failed gives. */
static void test_seal_alloc_failure(void **state) {
    fixture *f = *state;
    jb_sealer *ref = new_sealer(f), *s = new_sealer(f);
    free(seal_one(ref, JB_STREAM_AUDIT, 1, "one"));
    free(seal_one(s, JB_STREAM_AUDIT, 1, "one"));
    char *want = seal_one(ref, JB_STREAM_AUDIT, 2, "two");
    char id[17];
    jb_buf line = JB_BUF_INIT;
    format_one(JB_STREAM_AUDIT, 2, "two", id, &line);
    char *unsealed = strdup(line.data);
    jb_record rec = record_of(JB_STREAM_AUDIT, 2, id);
    int failures = 0;
    for (long n = 0;; n++) {
        jb_error err = {0};
        tl_fail_once_after(n);
        int r = jb_sealer_seal_line(s, &rec, &line, &err);
        tl_fail_off();
        if (r == 0) break;
        assert_int_equal(r, -ENOMEM);
        assert_string_equal(line.data, unsealed);
        failures++;
    }
    assert_true(failures > 0);
    assert_string_equal(line.data, want);
    free(want), free(unsealed);
    jb_buf_done(&line);
    jb_sealer_free(ref);
    jb_sealer_free(s);
}

/* ---- heartbeats ---- */

static void test_beat(void **state) {
    fixture *f = *state;
    f->cfg.heartbeat_usec = 1000000;
    jb_sealer *s = new_sealer(f);
    jb_buf out = JB_BUF_INIT;
    uint64_t now = jb_now_usec(CLOCK_MONOTONIC);
    assert_false(jb_sealer_beat_due(s, JB_STREAM_AUDIT, now + 5000000)); /* no record: nothing to say */
    assert_int_equal(jb_sealer_beat(s, JB_STREAM_AUDIT, "stop", 1, now, &out), 1);
    char *a = seal_one(s, JB_STREAM_AUDIT, 1, "a");
    now = jb_now_usec(CLOCK_MONOTONIC);
    assert_false(jb_sealer_beat_due(s, JB_STREAM_AUDIT, now));
    assert_true(jb_sealer_beat_due(s, JB_STREAM_AUDIT, now + 1000000));
    assert_false(jb_sealer_beat_due(s, JB_STREAM_APP, now + 1000000)); /* not sealed */
    assert_int_equal(jb_sealer_beat(s, JB_STREAM_AUDIT, "heartbeat", 1700000000000000u, now + 1000000, &out), 0);
    assert_false(jb_sealer_beat_due(s, JB_STREAM_AUDIT, now + 1500000)); /* a beat is an item */
    char *text = out.data, *mac64 = param(text, "seal.mac"), *prev64 = param(text, "seal.prev");
    char *amac = param(a, "seal.mac"), *chain = param(text, "seal.chain");
    assert_string_equal(prev64, amac);
    assert_non_null(strstr(text, " seal.n=\"1\" seal.epoch=\"0\" "));
    assert_non_null(strstr(text, " seal.beat=\"heartbeat\" seal.time=\"1700000000000000\" seal.interval=\"1\" "));
    uint8_t m[JB_SEAL_LEN], prev[JB_SEAL_LEN], want[JB_SEAL_LEN], got[JB_SEAL_LEN];
    mac_key_at(&f->k0, 0, m);
    assert_int_equal(jb_seal_unb64(prev64, strlen(prev64), prev), 0);
    jb_seal_beat_mac(m, f->k0.id, chain, 1, 0, NULL, prev, "heartbeat", 1700000000000000u, 1, want);
    assert_int_equal(jb_seal_unb64(mac64, strlen(mac64), got), 0);
    assert_memory_equal(got, want, JB_SEAL_LEN);
    /* the next record chains to record 1, not to the beat */
    char *b = seal_one(s, JB_STREAM_AUDIT, 2, "b");
    char *bprev = param(b, "seal.prev");
    assert_string_equal(bprev, amac);
    free(bprev), free(b), free(mac64), free(prev64), free(amac), free(chain), free(a);
    jb_buf_done(&out);
    jb_sealer_free(s);
}

/* ---- key files ---- */

static void test_keygen(void **state) {
    fixture *f = *state;
    char path[128], line[JB_SEAL_VERIFY_LINE_MAX];
    snprintf(path, sizeof path, "%s/k2", f->dir);
    jb_error err = {0};
    mode_t old = umask(0);
    assert_int_equal(jb_seal_keygen(path, line, &err), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(strncmp(line, "jbridge-verify-key 1 hmac-sha256 ", 33), 0);
    assert_int_equal(strlen(line), 33 + 16 + 1 + 64);
    jb_seal_key vk, k;
    assert_int_equal(jb_seal_verify_key_parse(line, strlen(line), &vk, &err), 0);
    assert_int_equal(jb_seal_key_load(path, &k, &err), 0);
    assert_string_equal(k.id, vk.id);
    assert_int_equal(k.epoch, 0);
    assert_memory_equal(k.k, vk.k, JB_SEAL_LEN);
    size_t len;
    char *text = tl_read_file(path, &len);
    char want[256], hexk[65];
    for (int i = 0; i < 32; i++) snprintf(hexk + 2 * i, 3, "%02x", k.k[i]);
    snprintf(want, sizeof want, "jbridge-seal-key 1\nkey-id=%s\nepoch=0\nkey=%s\n", k.id, hexk);
    assert_string_equal(text, want);
    /* two keys differ */
    assert_memory_not_equal(k.k, f->k0.k, JB_SEAL_LEN);
    /* never overwrites: the file stays as it was */
    assert_int_equal(jb_seal_keygen(path, line, &err), -EEXIST);
    assert_non_null(strstr(err.msg, "already exists"));
    char *again = tl_read_file(path, &len);
    assert_string_equal(again, text);
    free(again), free(text);
    jb_seal_key_wipe(&k);
}

static void expect_refused(const char *path, int code, const char *part) {
    jb_seal_key k = {.epoch = 77};
    jb_error err = {0};
    assert_int_equal(jb_seal_key_load(path, &k, &err), code);
    if (!strstr(err.msg, part)) fail_msg("\"%s\" does not contain \"%s\"", err.msg, part);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(k.epoch, 77);
}

static void write_text(const char *path, const char *text, mode_t mode) {
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    fchmod(fd, mode);
    close(fd);
}

static void test_key_checks(void **state) {
    fixture *f = *state;
    char p[128];
    snprintf(p, sizeof p, "%s/link", f->dir);
    assert_int_equal(symlink(f->key_path, p), 0);
    expect_refused(p, -EPERM, "symbolic link");
    chmod(f->key_path, 0640);
    expect_refused(f->key_path, -EPERM, "mode 0640");
    chmod(f->key_path, 0604);
    expect_refused(f->key_path, -EPERM, "group and others");
    chmod(f->key_path, 0400); /* stricter is fine */
    jb_seal_key k;
    jb_error err = {0};
    assert_int_equal(jb_seal_key_load(f->key_path, &k, &err), 0);
    chmod(f->key_path, 0600);
    if (geteuid() == 0) {
        assert_int_equal(chown(f->key_path, 65534, 65534), 0);
        expect_refused(f->key_path, -EPERM, "owned by uid 65534");
        assert_int_equal(chown(f->key_path, 0, 0), 0);
    }
    snprintf(p, sizeof p, "%s/dir", f->dir);
    assert_int_equal(mkdir(p, 0700), 0);
    expect_refused(p, -EPERM, "not a regular file");
    snprintf(p, sizeof p, "%s/fifo", f->dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    expect_refused(p, -EPERM, "not a regular file");
    snprintf(p, sizeof p, "%s/missing", f->dir);
    expect_refused(p, -ENOENT, "cannot open");

    static const char *const bad[] = {
        "",
        "jbridge-seal-key 2\nkey-id=0123456789abcdef\nepoch=0\nkey="
        "0000000000000000000000000000000000000000000000000000000000000000\n",
        "jbridge-seal-key 1\nkey-id=0123456789abcde\nepoch=0\nkey="
        "0000000000000000000000000000000000000000000000000000000000000000\n",
        "jbridge-seal-key 1\nkey-id=0123456789abcdef\nepoch=4294967296\nkey="
        "0000000000000000000000000000000000000000000000000000000000000000\n",
        "jbridge-seal-key 1\nkey-id=0123456789abcdef\nepoch=01\nkey="
        "0000000000000000000000000000000000000000000000000000000000000000\n",
        "jbridge-seal-key 1\nkey-id=0123456789abcdef\nepoch=0\nkey="
        "000000000000000000000000000000000000000000000000000000000000000\n",
        "jbridge-seal-key 1\nkey-id=0123456789abcdef\nepoch=0\nkey="
        "000000000000000000000000000000000000000000000000000000000000000G\n",
        "jbridge-seal-key 1\nkey-id=0123456789abcdef\nepoch=0\nkey="
        "0000000000000000000000000000000000000000000000000000000000000000",
        "jbridge-seal-key 1\nkey-id=0123456789abcdef\nepoch=0\nkey="
        "0000000000000000000000000000000000000000000000000000000000000000\nx\n",
    };
    snprintf(p, sizeof p, "%s/bad", f->dir);
    for (size_t i = 0; i < JB_ELEMENTSOF(bad); i++) {
        write_text(p, bad[i], 0600);
        expect_refused(p, -EBADMSG, "not a jbridge seal key");
    }
    write_text(p,
               "jbridge-seal-key 1\nkey-id=0123456789abcdef\nepoch=4294967295\nkey="
               "00000000000000000000000000000000000000000000000000000000000000ff\n",
               0600);
    assert_int_equal(jb_seal_key_load(p, &k, &err), 0);
    assert_true(k.epoch == 4294967295u);
    assert_int_equal(k.k[31], 0xff);
    /* a sealer needs a loadable key */
    jb_seal_config c = f->cfg;
    c.key_path = p;
    chmod(p, 0644);
    jb_sealer *s = NULL;
    assert_int_equal(jb_sealer_new(&c, &s, &err), -EPERM);
    assert_null(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lagging_snapshot_and_redelivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_outcomes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_move, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_ahead_and_idle_epochs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_by_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_alloc_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_beat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keygen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_checks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
