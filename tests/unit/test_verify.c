/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier (src/verify*.c) on sealed chains made in the test (sealgen.h: the scheme's own
 * functions, no sealer), clean and then tampered with: each kind of tampering must be caught and
 * named in the report (read back through jansson), and a clean chain must verify. */

#include "testlib.h"

#include <jansson.h>

#include "sealgen.h"
#include "verify.h"

#define T0 UINT64_C(1796299200000000) /* 2026-12-03T12:00:00Z */
#define SEC UINT64_C(1000000)

static const uint8_t K0[JB_SEAL_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t K0_OTHER[JB_SEAL_LEN] = {99};

/* ---- lines ---- */

typedef struct lines {
    char *l[4096];
    size_t n;
} lines;

static void take(lines *ls, jb_buf *b) {
    assert_true(ls->n < JB_ELEMENTSOF(ls->l));
    ls->l[ls->n++] = jb_buf_steal(b);
}

static void lines_free(lines *ls) {
    for (size_t i = 0; i < ls->n; i++) free(ls->l[i]);
    ls->n = 0;
}

static void del(lines *ls, size_t i) {
    free(ls->l[i]);
    memmove(ls->l + i, ls->l + i + 1, (ls->n - i - 1) * sizeof *ls->l);
    ls->n--;
}

static void insert(lines *ls, size_t i, const char *s) {
    memmove(ls->l + i + 1, ls->l + i, (ls->n - i) * sizeof *ls->l);
    ls->l[i] = strdup(s);
    ls->n++;
}

/* replace the first "from" in line i by "to" */
static void edit(lines *ls, size_t i, const char *from, const char *to) {
    char *p = strstr(ls->l[i], from);
    assert_non_null(p);
    jb_buf b = JB_BUF_INIT;
    jb_buf_append(&b, ls->l[i], (size_t)(p - ls->l[i]));
    jb_buf_puts(&b, to);
    jb_buf_puts(&b, p + strlen(from));
    free(ls->l[i]);
    ls->l[i] = jb_buf_steal(&b);
}

/* A clean chain: n records (a heartbeat after every 10th, the epoch moving after every 7th),
 * then a stop when stop is set. Record k is sealed at T0 + k seconds. */
static void chain(lines *ls, sg_chain *c, size_t n, bool stop) {
    jb_buf b = JB_BUF_INIT;
    char rid[32], msg[64];
    for (size_t k = 1; k <= n; k++) {
        snprintf(rid, sizeof rid, "%016zx", k + (size_t)c->st * 100000);
        snprintf(msg, sizeof msg, "record %zu\ttabbed", k);
        sg_record(c, T0 + k * SEC, rid, msg, &b);
        take(ls, &b);
        if (k % 10 == 0) {
            sg_beat(c, "heartbeat", T0 + k * SEC, 60, &b);
            take(ls, &b);
        }
        if (k % 7 == 0) sg_evolve(c);
    }
    if (stop) {
        sg_beat(c, "stop", T0 + (n + 1) * SEC, 60, &b);
        take(ls, &b);
    }
}

/* ---- running the verifier ---- */

/* The JSON report of ls (verify keys: K0 and K0_OTHER) judged at at; *ok: the verdict. */
static json_t *verify(const lines *ls, uint64_t at, bool *ok) {
    jb_verifier *v;
    jb_buf keys = JB_BUF_INIT, out = JB_BUF_INIT, text = JB_BUF_INIT;
    jb_error err = {0};
    bool text_ok;
    assert_int_equal(jb_verifier_new(&v), 0);
    sg_verify_key(K0, &keys);
    sg_verify_key(K0_OTHER, &keys);
    if (jb_verifier_add_keys(v, "keys", keys.data, keys.len, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(jb_verifier_begin_file(v, "log"), 0);
    for (size_t i = 0; i < ls->n; i++) assert_int_equal(jb_verifier_line(v, ls->l[i], strlen(ls->l[i])), 0);
    assert_int_equal(jb_verifier_report(v, at, true, &out, ok), 0);
    assert_int_equal(jb_verifier_report(v, at, false, &text, &text_ok), 0);
    assert_int_equal(*ok, text_ok);
    if (getenv("JB_VERIFY_DEBUG")) fprintf(stderr, "%s%s", text.data, out.data);
    json_error_t je;
    json_t *j = json_loads(out.data, 0, &je);
    if (!j) fail_msg("report is not JSON: %s\n%s", je.text, out.data);
    jb_verifier_free(v);
    jb_buf_done(&keys);
    jb_buf_done(&out);
    jb_buf_done(&text);
    return j;
}

static json_t *chain_of(json_t *j, size_t i) {
    json_t *c = json_array_get(json_object_get(j, "chains"), i);
    assert_non_null(c);
    return c;
}

static uint64_t num(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) fail_msg("no number %s", key);
    return (uint64_t)json_integer_value(v);
}

static size_t count(json_t *chain, const char *kind) {
    return json_array_size(json_object_get(chain, kind));
}

/* the first entry of a chain's list kind has record number n */
static void first_is(json_t *chain, const char *kind, uint64_t n) {
    json_t *e = json_array_get(json_object_get(chain, kind), 0);
    if (!e) fail_msg("no %s", kind);
    assert_int_equal(num(e, "n"), n);
}

/* ---- the cases ---- */

static void test_clean(void **state) {
    lines ls = {.n = 0};
    sg_chain c;
    bool ok;
    sg_init(&c, K0, JB_STREAM_AUDIT, "host-1");
    chain(&ls, &c, 100, true);
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_true(ok);
    json_t *ch = chain_of(j, 0);
    assert_int_equal(num(ch, "records"), 100);
    assert_int_equal(num(ch, "heartbeats"), 11);
    assert_int_equal(num(ch, "last_epoch"), 14);
    assert_true(json_is_true(json_object_get(json_object_get(ch, "tail"), "stopped")));
    assert_string_equal(json_string_value(json_object_get(ch, "host")), "host-1");
    assert_string_equal(json_string_value(json_object_get(ch, "stream")), "audit");
    json_decref(j);

    /* duplicates (a replay after a crash) are fine */
    for (size_t i = 20; i < 40; i++) insert(&ls, 45 + i, ls.l[i]);
    j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_true(ok);
    assert_int_equal(num(chain_of(j, 0), "duplicates"), 18); /* 2 of the 20 are heartbeats */
    json_decref(j);
    lines_free(&ls);
}

/* as rsyslog writes the same lines: +00:00, a raw tab, a trailing space */
static void test_rsyslog_form(void **state) {
    lines ls = {.n = 0};
    sg_chain c;
    bool ok;
    sg_init(&c, K0, JB_STREAM_AUDIT, "host-1");
    chain(&ls, &c, 30, true);
    for (size_t i = 0; i < ls.n; i++) {
        edit(&ls, i, "Z ", "+00:00 ");
        if (strstr(ls.l[i], "#011")) edit(&ls, i, "#011", "\t");
        edit(&ls, i, "\n", " \n");
    }
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_true(ok);
    assert_int_equal(num(chain_of(j, 0), "records"), 30);
    json_decref(j);
    lines_free(&ls);
}

static void test_deleted(void **state) {
    lines ls = {.n = 0};
    sg_chain c;
    bool ok;
    sg_init(&c, K0, JB_STREAM_AUDIT, "h");
    chain(&ls, &c, 30, true);
    del(&ls, 5);  /* record 6 */
    del(&ls, 5);  /* record 7 */
    del(&ls, 12); /* record 14 (after the heartbeat line of 10) */
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_false(ok);
    json_t *m = json_object_get(chain_of(j, 0), "missing");
    assert_int_equal(json_array_size(m), 2);
    assert_int_equal(num(json_array_get(m, 0), "from"), 6);
    assert_int_equal(num(json_array_get(m, 0), "to"), 7);
    assert_int_equal(num(json_array_get(m, 1), "from"), 14);
    assert_int_equal(num(json_array_get(m, 1), "to"), 14);
    json_decref(j);
    lines_free(&ls);
}

static void test_altered(void **state) {
    lines ls = {.n = 0};
    sg_chain c;
    bool ok;
    sg_init(&c, K0, JB_STREAM_AUDIT, "h");
    chain(&ls, &c, 30, true);
    edit(&ls, 2, "user=\"alice\"", "user=\"alicf\""); /* an SD value of record 3 */
    edit(&ls, 3, "record 4", "record 5");             /* the message of record 4 */
    edit(&ls, 4, "tfe", "tfX");                       /* the APP-NAME of record 5 */
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_false(ok);
    json_t *ch = chain_of(j, 0);
    assert_int_equal(count(ch, "altered"), 3);
    first_is(ch, "altered", 3);
    assert_int_equal(count(ch, "missing"), 0);
    assert_int_equal(count(ch, "inserted"), 0);
    assert_int_equal(num(ch, "records"), 27);
    json_decref(j);
    lines_free(&ls);
}

static void test_inserted(void **state) {
    lines ls = {.n = 0};
    sg_chain c;
    bool ok;
    sg_init(&c, K0, JB_STREAM_AUDIT, "h");
    chain(&ls, &c, 30, true);
    /* a copy of record 8 with another message, after it; an unsealed audit line of the host */
    insert(&ls, 8, ls.l[7]);
    edit(&ls, 8, "record 8", "record 8 (forged)");
    insert(&ls, 3, "<110>1 2026-12-03T12:00:03Z h tfe 0123456789ab audit [audit@32473 user=\"mallory\"] hi\n");
    /* sealed by a key the verifier does not have */
    sg_chain o;
    jb_buf b = JB_BUF_INIT;
    sg_init(&o, (const uint8_t[JB_SEAL_LEN]){7}, JB_STREAM_AUDIT, "h");
    sg_record(&o, T0, "ffff", "other", &b);
    insert(&ls, 20, b.data);
    jb_buf_done(&b);
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_false(ok);
    json_t *ch = chain_of(j, 0);
    assert_int_equal(count(ch, "inserted"), 2);
    assert_int_equal(count(ch, "altered"), 0);
    json_t *e = json_array_get(json_object_get(ch, "inserted"), 0);
    assert_int_equal(num(e, "line"), 4);
    assert_int_equal(num(json_array_get(json_object_get(ch, "inserted"), 1), "n"), 8);
    json_t *errs = json_object_get(j, "errors");
    assert_int_equal(json_array_size(errs), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "kind")), "unknown-key");
    assert_int_equal(num(json_array_get(errs, 0), "line"), 21);
    json_decref(j);
    lines_free(&ls);
}

static void test_reordered(void **state) {
    lines ls = {.n = 0};
    sg_chain c;
    bool ok;
    sg_init(&c, K0, JB_STREAM_AUDIT, "h");
    chain(&ls, &c, 30, true);
    char *t = ls.l[2];
    ls.l[2] = ls.l[3];
    ls.l[3] = t; /* records 3 and 4 swapped */
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_false(ok);
    json_t *ch = chain_of(j, 0);
    assert_int_equal(count(ch, "reordered"), 1);
    first_is(ch, "reordered", 3);
    assert_int_equal(count(ch, "missing"), 0);
    assert_int_equal(count(ch, "fork"), 0);
    assert_int_equal(count(ch, "bad-transition"), 0);
    assert_int_equal(num(ch, "records"), 30);
    json_decref(j);
    lines_free(&ls);
}

static void test_tail(void **state) {
    lines ls = {.n = 0};
    sg_chain c;
    bool ok;
    sg_init(&c, K0, JB_STREAM_AUDIT, "h");
    chain(&ls, &c, 30, false); /* no stop: cut at the end */
    /* shortly after the last heartbeat (record 30 at T0+30s): open, fine */
    json_t *j = verify(&ls, T0 + 90 * SEC, &ok);
    assert_true(ok);
    json_t *tail = json_object_get(chain_of(j, 0), "tail");
    assert_false(json_is_true(json_object_get(tail, "cut")));
    assert_false(json_is_true(json_object_get(tail, "stopped")));
    json_decref(j);
    /* an hour later with nothing newer: cut */
    j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_false(ok);
    assert_true(json_is_true(json_object_get(json_object_get(chain_of(j, 0), "tail"), "cut")));
    json_decref(j);
    /* the lines after the heartbeat of record 20 cut away, the heartbeat saying 30 kept: missing */
    lines_free(&ls);
    sg_init(&c, K0, JB_STREAM_AUDIT, "h");
    chain(&ls, &c, 30, true);
    for (int i = 0; i < 9; i++) del(&ls, 22); /* records 21-29 */
    j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_false(ok);
    json_t *m = json_object_get(chain_of(j, 0), "missing");
    assert_int_equal(num(json_array_get(m, 0), "from"), 21);
    assert_int_equal(num(json_array_get(m, 0), "to"), 29);
    json_decref(j);
    lines_free(&ls);
}

static void test_restart(void **state) {
    lines ls = {.n = 0};
    sg_chain a, b;
    bool ok;
    sg_init(&a, K0, JB_STREAM_AUDIT, "h");
    chain(&ls, &a, 20, true);
    /* a new chain of the same host and stream (its state was lost), after a clean stop */
    sg_init(&b, K0, JB_STREAM_AUDIT, "h");
    for (int i = 0; i < 3; i++) sg_evolve(&b);
    jb_buf x = JB_BUF_INIT;
    sg_record(&b, T0 + 100 * SEC, "aaaa", "after the restart", &x);
    take(&ls, &x);
    sg_beat(&b, "stop", T0 + 101 * SEC, 60, &x);
    take(&ls, &x);
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_true(ok); /* both chains end cleanly */
    json_t *r = json_array_get(json_object_get(j, "restarts"), 0);
    assert_non_null(r);
    assert_int_equal(json_array_size(json_object_get(r, "chains")), 2);
    json_decref(j);
    /* without the first chain's stop, its tail is cut */
    del(&ls, 22);
    j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_false(ok);
    assert_true(json_is_true(json_object_get(json_object_get(chain_of(j, 0), "tail"), "cut")));
    json_decref(j);
    lines_free(&ls);
}

/* the holder of a later epoch's key moves a record into its epoch without the transition proof */
static void test_bad_transition(void **state) {
    lines ls = {.n = 0};
    sg_chain c;
    bool ok;
    jb_buf b = JB_BUF_INIT;
    sg_init(&c, K0, JB_STREAM_AUDIT, "h");
    chain(&ls, &c, 5, false);
    sg_evolve(&c);
    c.pending_tx = false; /* no seal.tx */
    sg_record(&c, T0 + 6 * SEC, "0006", "six", &b);
    take(&ls, &b);
    sg_evolve(&c);
    c.tx[0] ^= 1; /* a wrong one */
    sg_record(&c, T0 + 7 * SEC, "0007", "seven", &b);
    take(&ls, &b);
    sg_record(&c, T0 + 8 * SEC, "0008", "eight", &b); /* fine again */
    take(&ls, &b);
    sg_beat(&c, "stop", T0 + 9 * SEC, 60, &b);
    take(&ls, &b);
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_false(ok);
    json_t *ch = chain_of(j, 0);
    assert_int_equal(count(ch, "bad-transition"), 2);
    first_is(ch, "bad-transition", 6);
    assert_int_equal(count(ch, "altered"), 0);
    json_decref(j);
    lines_free(&ls);
}

/* two records sealed with one number (a second sealer with the key, or a sealer bug) */
static void test_fork(void **state) {
    lines ls = {.n = 0};
    sg_chain c, copy;
    bool ok;
    jb_buf b = JB_BUF_INIT;
    sg_init(&c, K0, JB_STREAM_AUDIT, "h");
    chain(&ls, &c, 5, false);
    copy = c;
    sg_record(&c, T0 + 6 * SEC, "0006", "six", &b);
    take(&ls, &b);
    sg_record(&copy, T0 + 6 * SEC, "0006", "six, another", &b);
    take(&ls, &b);
    sg_beat(&c, "stop", T0 + 9 * SEC, 60, &b);
    take(&ls, &b);
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_false(ok);
    first_is(chain_of(j, 0), "fork", 6);
    json_decref(j);
    lines_free(&ls);
}

/* lines that are not RFC 5424, damaged seals, a damaged chain id */
static void test_bad_lines(void **state) {
    lines ls = {.n = 0};
    sg_chain c;
    bool ok;
    sg_init(&c, K0, JB_STREAM_AUDIT, "h");
    chain(&ls, &c, 10, true);
    insert(&ls, 2, "Dec  3 12:00:00 h tfe: not RFC 5424\n");
    insert(&ls, 3, "\n"); /* empty: skipped */
    edit(&ls, 5, "seal.n=", "seal.extra=\"1\" seal.n=");
    edit(&ls, 7, "seal.chain=\"", "seal.chain=\"0"); /* 17 digits */
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_false(ok);
    json_t *errs = json_object_get(j, "errors");
    assert_int_equal(json_array_size(errs), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "kind")), "not-rfc5424");
    assert_int_equal(num(json_array_get(errs, 0), "line"), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 1), "kind")), "bad-seal");
    assert_int_equal(num(json_array_get(errs, 1), "line"), 6);
    json_decref(j);
    lines_free(&ls);
}

/* interleaved chains: two streams of one host, another host under another key, over many
 * epochs (past the checkpoints of the epoch keys) */
static void test_interleaved_epochs(void **state) {
    lines ls = {.n = 0};
    sg_chain a, p, o;
    bool ok;
    jb_buf b = JB_BUF_INIT;
    sg_init(&a, K0, JB_STREAM_AUDIT, "h1");
    sg_init(&p, K0, JB_STREAM_APP, "h1");
    sg_init(&o, K0_OTHER, JB_STREAM_AUDIT, "h2");
    for (int k = 1; k <= 600; k++) {
        char rid[32];
        snprintf(rid, sizeof rid, "%04d", k);
        sg_record(&a, T0 + (uint64_t)k * SEC, rid, "a", &b);
        take(&ls, &b);
        if (k % 3 == 0) {
            sg_record(&p, T0 + (uint64_t)k * SEC, rid, "p", &b);
            take(&ls, &b);
        }
        sg_record(&o, T0 + (uint64_t)k * SEC, rid, "o", &b);
        take(&ls, &b);
        /* h1's epoch moves 5 times a record (both its chains), h2's once */
        for (int e = 0; e < 5; e++) {
            sg_evolve(&a);
            sg_evolve(&p);
        }
        sg_evolve(&o);
    }
    sg_beat(&a, "stop", T0 + 700 * SEC, 60, &b);
    take(&ls, &b);
    sg_beat(&p, "stop", T0 + 700 * SEC, 60, &b);
    take(&ls, &b);
    sg_beat(&o, "stop", T0 + 700 * SEC, 60, &b);
    take(&ls, &b);
    json_t *j = verify(&ls, T0 + 3600 * SEC, &ok);
    assert_true(ok);
    assert_int_equal(json_array_size(json_object_get(j, "chains")), 3);
    assert_int_equal(num(chain_of(j, 0), "last_epoch"), 3000);
    assert_int_equal(num(chain_of(j, 2), "records"), 200); /* in the order of first lines */
    json_decref(j);
    lines_free(&ls);
}

static void test_keys(void **state) {
    jb_verifier *v;
    jb_error err = {0};
    jb_buf k = JB_BUF_INIT;
    assert_int_equal(jb_verifier_new(&v), 0);
    jb_buf_puts(&k, "# hosts\n\n");
    sg_verify_key(K0, &k);
    sg_verify_key(K0, &k); /* the same again: fine */
    assert_int_equal(jb_verifier_add_keys(v, "k", k.data, k.len, &err), 0);
    jb_buf_reset(&k);
    jb_buf_puts(&k, "\njbridge-verify-key 1 hmac-sha256 0000000000000000 00\n");
    assert_int_equal(jb_verifier_add_keys(v, "k2", k.data, k.len, &err), -EBADMSG);
    assert_non_null(strstr(err.msg, "k2:2:"));
    jb_verifier_free(v);
    jb_buf_done(&k);
}

/* nothing sealed at all: not verified */
static void test_nothing(void **state) {
    lines ls = {.n = 0};
    bool ok;
    insert(&ls, 0, "<14>1 - h a p m - x\n");
    json_t *j = verify(&ls, T0, &ok);
    assert_false(ok);
    json_decref(j);
    lines_free(&ls);
}

/* ---- allocation failure ---- */

/* The whole verifier over ls (keys, lines, both reports) into out: 0 or -ENOMEM. */
static int run_all(const lines *ls, jb_buf *out) {
    jb_verifier *v = NULL;
    jb_buf keys = JB_BUF_INIT;
    bool ok;
    int r;
    tl_alloc_paused = true;
    sg_verify_key(K0, &keys);
    tl_alloc_paused = false;
    if ((r = jb_verifier_new(&v)) < 0) goto done;
    if ((r = jb_verifier_add_keys(v, "keys", keys.data, keys.len, NULL)) < 0) goto done;
    if ((r = jb_verifier_begin_file(v, "log")) < 0) goto done;
    for (size_t i = 0; i < ls->n; i++)
        if ((r = jb_verifier_line(v, ls->l[i], strlen(ls->l[i]))) < 0) goto done;
    if ((r = jb_verifier_report(v, T0 + 3600 * SEC, true, out, &ok)) < 0) goto done;
    r = jb_verifier_report(v, T0 + 3600 * SEC, false, out, &ok);
done:
    jb_verifier_free(v);
    tl_alloc_paused = true;
    jb_buf_done(&keys);
    tl_alloc_paused = false;
    return r;
}

/* Every allocation failing in turn (once, and from then on): -ENOMEM or exactly the report of the
 * run without failure; valgrind and ASan see the frees. */
static void test_alloc_failure(void **state) {
    lines ls = {.n = 0};
    sg_chain a, b;
    jb_buf want = JB_BUF_INIT, got = JB_BUF_INIT;
    sg_init(&a, K0, JB_STREAM_AUDIT, "h");
    sg_init(&b, K0, JB_STREAM_APP, "h");
    chain(&ls, &a, 25, false);
    chain(&ls, &b, 12, true);
    del(&ls, 4);
    edit(&ls, 8, "user=\"alice\"", "user=\"alicf\"");
    insert(&ls, 3, "not a line\n");
    insert(&ls, 9, ls.l[12]);
    tl_count_allocs();
    assert_int_equal(run_all(&ls, &want), 0);
    long count = tl_alloc_count;
    tl_fail_off();
    assert_true(count > 50);
    for (int once = 0; once < 2; once++)
        for (long n = 0; n <= count; n++) {
            jb_buf_done(&got);
            once ? tl_fail_once_after(n) : tl_fail_after(n);
            int r = run_all(&ls, &got);
            tl_fail_off();
            if (r == -ENOMEM) continue;
            if (r != 0) fail_msg("allocation %ld failing: %d", n, r);
            if (got.len != want.len || memcmp(got.data, want.data, want.len) != 0)
                fail_msg("allocation %ld failing%s: another report", n, once ? " once" : "");
        }
    jb_buf_done(&got);
    jb_buf_done(&want);
    lines_free(&ls);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),   cmocka_unit_test(test_rsyslog_form), cmocka_unit_test(test_deleted),
        cmocka_unit_test(test_altered), cmocka_unit_test(test_inserted),     cmocka_unit_test(test_reordered),
        cmocka_unit_test(test_tail),    cmocka_unit_test(test_restart),      cmocka_unit_test(test_bad_transition),
        cmocka_unit_test(test_fork),    cmocka_unit_test(test_bad_lines),    cmocka_unit_test(test_interleaved_epochs),
        cmocka_unit_test(test_keys),    cmocka_unit_test(test_nothing),      cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
