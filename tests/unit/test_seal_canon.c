/* SPDX-License-Identifier: Apache-2.0 */
/* The sealing scheme (src/seal-canon.c, doc/sealing.md): the line as the verifier splits it, the
 * canonical form (the same record as the command and as rsyslog write it gives one CANON; any
 * change of meaning gives another), the seal parameters, base64, the key math and the MACs, the
 * last against test vectors computed by a second implementation (tests/tools/seal-vectors.py)
 * and published in doc/sealing.md. */

#include "testlib.h"

#include "sd.h"
#include "seal.h"

/* ---- helpers ---- */

/* CANON of line, or NULL when the line does not parse (err says why) */
static char *canon_of(const char *line, size_t *ret_len) {
    jb_seal_line l;
    jb_error err = {0};
    jb_buf out = JB_BUF_INIT;
    if (jb_seal_line_parse(line, strlen(line), &l, &err) < 0) return NULL;
    assert_int_equal(jb_seal_canonical(&l, &out), 0);
    *ret_len = out.len;
    return out.data ? jb_buf_steal(&out) : strdup("");
}

static bool same_canon(const char *a, const char *b) {
    size_t na, nb;
    char *ca = canon_of(a, &na), *cb = canon_of(b, &nb);
    if (!ca) fail_msg("does not parse: %s", a);
    if (!cb) fail_msg("does not parse: %s", b);
    bool same = na == nb && memcmp(ca, cb, na) == 0;
    free(ca);
    free(cb);
    return same;
}

static void hex_of(const uint8_t *p, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
}

/* ---- the test vectors (doc/sealing.md, "Test vectors"; tests/tools/seal-vectors.py) ---- */

#define V_KEYID "cca751093924833a"
#define V_M0 "bbd8b7a1eeeacfcec5c699bc536c2521bbe5f265a76358cdba8ab70221965783"
#define V_K1 "630302359dc2aed6272e7cc654ef24ae891c00ae82c9dfcb82aef64bf774c83f"
#define V_M1 "5d8d58b856753edd8584805a44daa25cf7d06298efa5fcfaefabd022cf994454"
#define V_RECORD_ID "0123456789abcdef"
#define V_CHAIN "d159a8350530b58c"
#define V_LINE                                                                                                 \
    "<110>1 2026-12-03T12:00:00.123456Z host-1 tfe 0123456789ab audit [jbridge@32473 id=\"0123456789abcdef\" " \
    "stream=\"audit\" seal.key=\"x\"][audit@32473 user=\"al\\\"ice\" path=\"C:\\x\\]\"] login#011ok \xc3\xa9"
#define V_CANON                                                                                                      \
    "00000003313130000000103137393632393932303031323334353600000006686f73742d31000000037466650000000c303132333435"   \
    "36373839616200000005617564697400000001320000000d6a627269646765403332343733000000013200000002696400000010303132" \
    "333435363738396162636465660000000673747265616d0000000561756469740000000b61756469744033323437330000000132000000" \
    "047573657200000006616c22696365000000047061746800000005433a5c785d0000000e6c6f67696e233031316f6b20c3a9"
#define V_MAC1 "aAkHYAv1OO9/PeRLkueKI8EdzUDTQjcnrNLLhuwihAY="
#define V_TX1 "vMy3MoANu1pQOPSDckwFozyMROEYJrxOLC9mk43WWXI="
#define V_MAC2 "azkYCtQE+IymiJllen4g9qxdoRhSli+qITThrMGqUwU="
#define V_BEAT "PfpeHhSv4u8SbxWnrjwCWBwx9siFvXZK0moePFkDttQ="
#define V_VERIFY_LINE \
    "jbridge-verify-key 1 hmac-sha256 " V_KEYID " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void test_vectors(void **state) {
    jb_seal_key k;
    jb_error err = {0};
    char h[2 * JB_SEAL_LEN + 1], id[JB_SEAL_ID_LEN + 1], b[JB_SEAL_B64_LEN + 1];
    uint8_t m0[JB_SEAL_LEN], m1[JB_SEAL_LEN], mac1[JB_SEAL_LEN], tx1[JB_SEAL_LEN], mac2[JB_SEAL_LEN], beat[JB_SEAL_LEN],
        zero[JB_SEAL_LEN] = {0};

    assert_int_equal(jb_seal_verify_key_parse(V_VERIFY_LINE, strlen(V_VERIFY_LINE), &k, &err), 0);
    assert_string_equal(k.id, V_KEYID);
    assert_int_equal(k.epoch, 0);
    for (int i = 0; i < JB_SEAL_LEN; i++) assert_int_equal(k.k[i], i);
    jb_seal_key_id(k.k, id);
    assert_string_equal(id, V_KEYID);

    jb_seal_key_mac_key(&k, m0);
    hex_of(m0, JB_SEAL_LEN, h);
    assert_string_equal(h, V_M0);
    jb_seal_chain_id(m0, JB_STREAM_AUDIT, V_RECORD_ID, id);
    assert_string_equal(id, V_CHAIN);

    size_t cn;
    char *canon = canon_of(V_LINE, &cn);
    assert_non_null(canon);
    char *ch = malloc(2 * cn + 1);
    hex_of((const uint8_t *)canon, cn, ch);
    assert_string_equal(ch, V_CANON);
    free(ch);

    /* as rsyslog writes it: +00:00, a raw tab, a trailing space */
    static const char rsyslog[] =
        "<110>1 2026-12-03T12:00:00.123456+00:00 host-1 tfe 0123456789ab audit [jbridge@32473 "
        "id=\"0123456789abcdef\" stream=\"audit\" seal.key=\"x\"][audit@32473 user=\"al\\\"ice\" path=\"C:\\x\\]\"] "
        "login\tok \xc3\xa9 ";
    assert_true(same_canon(V_LINE, rsyslog));
    jb_seal_record_mac(m0, V_KEYID, V_CHAIN, 1, 0, NULL, zero, canon, cn, mac1);
    jb_seal_b64(mac1, b);
    assert_string_equal(b, V_MAC1);
    jb_seal_tx_step(m0, V_KEYID, V_CHAIN, 2, 1, mac1, tx1);
    jb_seal_b64(tx1, b);
    assert_string_equal(b, V_TX1);

    jb_seal_key_evolve(&k);
    assert_int_equal(k.epoch, 1);
    hex_of(k.k, JB_SEAL_LEN, h);
    assert_string_equal(h, V_K1);
    jb_seal_key_mac_key(&k, m1);
    hex_of(m1, JB_SEAL_LEN, h);
    assert_string_equal(h, V_M1);
    jb_seal_record_mac(m1, V_KEYID, V_CHAIN, 2, 1, tx1, mac1, canon, cn, mac2);
    jb_seal_b64(mac2, b);
    assert_string_equal(b, V_MAC2);
    jb_seal_beat_mac(m1, V_KEYID, V_CHAIN, 2, 1, NULL, mac2, "heartbeat", UINT64_C(1764763200000000), 60, beat);
    jb_seal_b64(beat, b);
    assert_string_equal(b, V_BEAT);
    free(canon);
}

/* ---- one record, as the command and as rsyslog write it ---- */

static void test_same_record_same_canon(void **state) {
    static const char *const same[][2] = {
        /* Z and +00:00, other offsets, fraction digits */
        {"<14>1 2026-12-03T12:00:00.123456Z h a p m - x", "<14>1 2026-12-03T12:00:00.123456+00:00 h a p m - x"},
        {"<14>1 2026-12-03T12:00:00.123456Z h a p m - x", "<14>1 2026-12-03T13:30:00.123456+01:30 h a p m - x"},
        {"<14>1 2026-12-03T12:00:00.123456Z h a p m - x", "<14>1 2026-12-03T07:00:00.123456-05:00 h a p m - x"},
        {"<14>1 2026-12-03T12:00:00Z h a p m - x", "<14>1 2026-12-03T12:00:00.000000+00:00 h a p m - x"},
        {"<14>1 2026-12-03T12:00:00.5Z h a p m - x", "<14>1 2026-12-03T12:00:00.500+00:00 h a p m - x"},
        {"<14>1 2026-12-03T12:00:00.123456Z h a p m - x", "<14>1 2026-12-03T12:00:00.123456789Z h a p m - x"},
        /* a raw tab and #011; other control characters */
        {"<14>1 2026-12-03T12:00:00Z h a p m - a#011b", "<14>1 2026-12-03T12:00:00Z h a p m - a\tb"},
        {"<14>1 2026-12-03T12:00:00Z h a p m - a#033[1mb#177", "<14>1 2026-12-03T12:00:00Z h a p m - a\033[1mb\177"},
        /* an empty message: nothing, a trailing space after the SD; trailing spaces */
        {"<14>1 2026-12-03T12:00:00Z h a p m [x@1 a=\"b\"]", "<14>1 2026-12-03T12:00:00Z h a p m [x@1 a=\"b\"] "},
        {"<14>1 2026-12-03T12:00:00Z h a p m -", "<14>1 2026-12-03T12:00:00Z h a p m - "},
        {"<14>1 2026-12-03T12:00:00Z h a p m - x", "<14>1 2026-12-03T12:00:00Z h a p m - x  "},
        /* a BOM, a line end */
        {"<14>1 2026-12-03T12:00:00Z h a p m - x", "<14>1 2026-12-03T12:00:00Z h a p m - \xef\xbb\xbfx"},
        {"<14>1 2026-12-03T12:00:00Z h a p m - x", "<14>1 2026-12-03T12:00:00Z h a p m - x\r\n"},
        /* PRI with a leading zero */
        {"<14>1 2026-12-03T12:00:00Z h a p m - x", "<014>1 2026-12-03T12:00:00Z h a p m - x"},
        /* the seal itself is outside CANON, in a jbridge@ element only */
        {"<14>1 - h a p m [jbridge@1 id=\"r\" stream=\"audit\"] x",
         "<14>1 - h a p m [jbridge@1 id=\"r\" seal.key=\"k\" stream=\"audit\" seal.mac=\"m\"] x"},
        {"<14>1 - h a p m [jbridge@32473 id=\"r\"][audit@32473 a=\"1\"] x",
         "<14>1 - h a p m [jbridge@32473 id=\"r\" seal.n=\"1\"][audit@32473 a=\"1\"] x"},
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(same); i++)
        if (!same_canon(same[i][0], same[i][1])) fail_msg("differ: %s | %s", same[i][0], same[i][1]);
}

static void test_change_changes_canon(void **state) {
    static const char base[] =
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello world";
    static const char *const other[] = {
        "<111>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello world",
        "<110>1 2026-12-03T12:00:00.123457Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello world",
        "<110>1 - host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z hosT tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfE 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0124 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 app [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello world",
        /* an SD value, a param name, an SD-ID, the order, a parameter more, an element less */
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r2\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alicf\" action=\"login\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 usr=\"alice\" action=\"login\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32474 user=\"alice\" action=\"login\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 action=\"login\" user=\"alice\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [audit@32473 user=\"alice\" action=\"login\"]"
        "[jbridge@32473 id=\"r1\" stream=\"audit\" seal.mac=\"m\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\" x=\"\"] hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"] hello world",
        /* a parameter and a value that swap what belongs where */
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello  world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"] hello world.",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"]  hello world",
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\"]",
        /* seal.* outside a jbridge@ element is content */
        "<110>1 2026-12-03T12:00:00.123456Z host tfe 0123 audit [jbridge@32473 id=\"r1\" stream=\"audit\" "
        "seal.mac=\"m\"][audit@32473 user=\"alice\" action=\"login\" seal.n=\"1\"] hello world",
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(other); i++)
        if (same_canon(base, other[i])) fail_msg("same CANON: %s", other[i]);
    /* escapes: \" \\ \] are the character; another backslash stays (so "\x" and "\\x" agree) */
    assert_true(same_canon("<1>1 - h a p m [x@1 v=\"C:\\x\"]", "<1>1 - h a p m [x@1 v=\"C:\\\\x\"]"));
    assert_false(same_canon("<1>1 - h a p m [x@1 v=\"a\\\"b\"]", "<1>1 - h a p m [x@1 v=\"a\\\\\\\"b\"]"));
    /* field boundaries are in CANON: moving a byte from one value to the next changes it */
    assert_false(same_canon("<1>1 - h a p m [x@1 a=\"bc\" d=\"e\"]", "<1>1 - h a p m [x@1 a=\"b\" d=\"ce\"]"));
}

/* ---- the line ---- */

static void test_not_rfc5424(void **state) {
    static const char *const bad[] = {
        "",
        "hello",
        "<14>hello",
        "<192>1 - h a p m - x",
        "<14>2 - h a p m - x",
        "<14>1  h a p m - x",
        "<14>1 2026-12-03 h a p m - x",
        "<14>1 2026-12-03T12:00:00 h a p m - x",
        "<14>1 2026-13-03T12:00:00Z h a p m - x",
        "<14>1 - h a p m",
        "<14>1 - h a p m x",
        "<14>1 - h a p m -x",
        "<14>1 - h a p m [x@1 a=\"b\"",
        "<14>1 - h a p m [x@1 a=\"b\"]x",
        "<14>1 - h a p m [x@1 a=b] x",
        "<14>1 - h a p m [x@1][x@1] x",
        "<14>1 - h a p m [x@1 a=\"]\"] x",
        "<14>1 - h\ta a p m - x",
        "<14>1 - h aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa p m - x", /* APP-NAME of 49 */
        "<14>1 - h a p mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm - x",                 /* MSGID of 33 */
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(bad); i++) {
        jb_seal_line l;
        jb_error err = {0};
        if (jb_seal_line_parse(bad[i], strlen(bad[i]), &l, &err) != -EBADMSG) fail_msg("parsed: '%s'", bad[i]);
        assert_true(err.msg[0] != 0);
    }
}

static void test_line_fields(void **state) {
    static const char line[] = "<165>1 2026-12-03T12:00:00.5+01:00 h app 12 ID47 [x@1 a=\"\\]\"][y@2] m s\r";
    jb_seal_line l;
    assert_int_equal(jb_seal_line_parse(line, strlen(line), &l, NULL), 0);
    assert_int_equal(l.pri, 165);
    assert_false(l.time_nil);
    assert_int_equal(l.time_usec, UINT64_C(1796295600500000));
    assert_true(jb_slice_eq(l.host, l.host_len, "h"));
    assert_true(jb_slice_eq(l.app, l.app_len, "app"));
    assert_true(jb_slice_eq(l.procid, l.procid_len, "12"));
    assert_true(jb_slice_eq(l.msgid, l.msgid_len, "ID47"));
    assert_true(jb_slice_eq(l.sd, l.sd_len, "[x@1 a=\"\\]\"][y@2]"));
    assert_true(jb_slice_eq(l.msg, l.msg_len, "m s"));
    /* a message that is only spaces is empty; no message at all */
    assert_int_equal(jb_seal_line_parse("<1>1 - h a p m -", 16, &l, NULL), 0);
    assert_true(l.time_nil);
    assert_int_equal(l.msg_len, 0);
    assert_true(jb_slice_eq(l.sd, l.sd_len, "-"));
}

/* ---- the seal parameters, inserting them ---- */

static void test_params(void **state) {
    static const char sd[] =
        "[container@1 id=\"c\" seal.key=\"no\"][jbridge@32473 id=\"rid\" stream=\"audit\" "
        "seal.key=\"K\" seal.chain=\"C\" seal.n=\"3\" seal.epoch=\"0\" seal.prev=\"P\" "
        "seal.mac=\"M\"][audit@32473 a=\"1\"]";
    jb_seal_params p;
    assert_int_equal(jb_seal_params_get(sd, strlen(sd), &p), 0);
    assert_true(p.any);
    assert_int_equal(p.pen, 32473);
    assert_true(jb_slice_eq(p.record_id, p.record_id_len, "rid"));
    assert_true(jb_slice_eq(p.key, p.key_len, "K"));
    assert_true(jb_slice_eq(p.chain, p.chain_len, "C"));
    assert_true(jb_slice_eq(p.n, p.n_len, "3"));
    assert_true(jb_slice_eq(p.epoch, p.epoch_len, "0"));
    assert_true(jb_slice_eq(p.prev, p.prev_len, "P"));
    assert_true(jb_slice_eq(p.mac, p.mac_len, "M"));
    assert_null(p.tx);
    assert_null(p.beat);
    assert_null(p.time);
    assert_null(p.interval);

    assert_int_equal(jb_seal_params_get("-", 1, &p), 0);
    assert_false(p.any);
    assert_int_equal(jb_seal_params_get("[jbridge@1 id=\"x\"]", 18, &p), 0);
    assert_false(p.any);
    assert_true(jb_slice_eq(p.record_id, p.record_id_len, "x"));
    /* twice, unknown, in two jbridge@ elements, not SD */
    static const char *const bad[] = {
        "[jbridge@1 seal.n=\"1\" seal.n=\"2\"]",
        "[jbridge@1 seal.n=\"1\" seal.extra=\"2\"]",
        "[jbridge@1 seal.n=\"1\"][jbridge@2 seal.n=\"1\"]",
        "[jbridge@1 seal.n=\"1\"",
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(bad); i++)
        if (jb_seal_params_get(bad[i], strlen(bad[i]), &p) != -EBADMSG) fail_msg("accepted: %s", bad[i]);
}

static void test_sd_insert(void **state) {
    jb_buf sd = JB_BUF_INIT;
    assert_int_equal(jb_buf_puts(&sd, "[container@1 a=\"x\\]\"][jbridge@1 id=\"x\" v=\"\\]\"][audit@1 b=\"c\"]"), 0);
    assert_int_equal(jb_seal_sd_insert(&sd, " seal.n=\"1\"", 11), 0);
    assert_string_equal(sd.data,
                        "[container@1 a=\"x\\]\"][jbridge@1 id=\"x\" v=\"\\]\" seal.n=\"1\"][audit@1 b=\"c\"]");
    assert_int_equal(jb_sd_validate(sd.data, sd.len), 0);
    jb_buf_reset(&sd);
    assert_int_equal(jb_buf_puts(&sd, "[jbridgeX@1 id=\"x\"][a@1]"), 0);
    assert_int_equal(jb_seal_sd_insert(&sd, " seal.n=\"1\"", 11), -EBADMSG);
    assert_string_equal(sd.data, "[jbridgeX@1 id=\"x\"][a@1]");
    jb_buf_reset(&sd);
    assert_int_equal(jb_buf_puts(&sd, "-"), 0);
    assert_int_equal(jb_seal_sd_insert(&sd, " seal.n=\"1\"", 11), -EBADMSG);
    assert_string_equal(sd.data, "-");
    jb_buf_done(&sd);
}

/* ---- base64, keys ---- */

static void test_b64(void **state) {
    uint8_t in[JB_SEAL_LEN], out[JB_SEAL_LEN];
    char b[JB_SEAL_B64_LEN + 1];
    for (int round = 0; round < 256; round++) {
        for (int i = 0; i < JB_SEAL_LEN; i++) in[i] = (uint8_t)(round * 31 + i * 7);
        jb_seal_b64(in, b);
        assert_int_equal(strlen(b), JB_SEAL_B64_LEN);
        assert_int_equal(jb_seal_unb64(b, JB_SEAL_B64_LEN, out), 0);
        assert_memory_equal(in, out, JB_SEAL_LEN);
    }
    static const char *const bad[] = {
        "aAkHYAv1OO9/PeRLkueKI8EdzUDTQjcnrNLLhuwihAY",   /* no padding */
        "aAkHYAv1OO9/PeRLkueKI8EdzUDTQjcnrNLLhuwihAZ=",  /* unused bits set */
        "aAkHYAv1OO9/PeRLkueKI8EdzUDTQjcnrNLLhuwihA==",  /* 31 bytes */
        "aAkHYAv1OO9/PeRLkueKI8EdzUDTQjcnrNLLhuwih*Y=",  /* not base64 */
        " AkHYAv1OO9/PeRLkueKI8EdzUDTQjcnrNLLhuwihAY=",  /* a space */
        "aAkHYAv1OO9_PeRLkueKI8EdzUDTQjcnrNLLhuwihAY=",  /* base64url */
        "aAkHYAv1OO9/PeRLkueKI8EdzUDTQjcnrNLLhuwihAY==", /* too long */
        "",
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(bad); i++)
        if (jb_seal_unb64(bad[i], strlen(bad[i]), out) != -EBADMSG) fail_msg("decoded: '%s'", bad[i]);
}

static void test_verify_key_parse(void **state) {
    jb_seal_key k;
    jb_error err = {0};
    static const char ok[] = "  " V_VERIFY_LINE " \r\n";
    assert_int_equal(jb_seal_verify_key_parse(ok, strlen(ok), &k, &err), 0);
    assert_string_equal(k.id, V_KEYID);
    static const char *const bad[] = {
        "jbridge-verify-key 2 hmac-sha256 " V_KEYID " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "jbridge-verify-key 1 hmac-sha1 " V_KEYID " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "jbridge-verify-key 1 hmac-sha256 cca751093924833b "
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "jbridge-verify-key 1 hmac-sha256 CCA751093924833A "
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "jbridge-verify-key 1 hmac-sha256 " V_KEYID " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
        "jbridge-verify-key 1 hmac-sha256 " V_KEYID " 000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f",
        "jbridge-verify-key 1 hmac-sha256 " V_KEYID
        " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f x",
        "jbridge-seal-key 1",
        "",
    };
    for (size_t i = 0; i < JB_ELEMENTSOF(bad); i++) {
        err.msg[0] = 0;
        if (jb_seal_verify_key_parse(bad[i], strlen(bad[i]), &k, &err) != -EBADMSG) fail_msg("accepted: %s", bad[i]);
        assert_true(err.msg[0] != 0);
    }
}

/* evolve is one-way and deterministic; epochs differ; chain ids depend on stream and record */
static void test_keys(void **state) {
    jb_seal_key a = {.id = V_KEYID, .epoch = 0}, b;
    uint8_t ma[JB_SEAL_LEN], mb[JB_SEAL_LEN];
    char ca[JB_SEAL_ID_LEN + 1], cb[JB_SEAL_ID_LEN + 1];
    b = a;
    for (int i = 0; i < 5; i++) jb_seal_key_evolve(&a);
    for (int i = 0; i < 5; i++) jb_seal_key_evolve(&b);
    assert_int_equal(a.epoch, 5);
    assert_memory_equal(a.k, b.k, JB_SEAL_LEN);
    jb_seal_key_mac_key(&a, ma);
    jb_seal_key_evolve(&b);
    jb_seal_key_mac_key(&b, mb);
    assert_memory_not_equal(ma, mb, JB_SEAL_LEN);
    jb_seal_chain_id(ma, JB_STREAM_APP, "r", ca);
    jb_seal_chain_id(ma, JB_STREAM_AUDIT, "r", cb);
    assert_string_not_equal(ca, cb);
    jb_seal_chain_id(ma, JB_STREAM_APP, "s", cb);
    assert_string_not_equal(ca, cb);
    jb_seal_chain_id(mb, JB_STREAM_APP, "r", cb);
    assert_string_not_equal(ca, cb);
}

/* jb_seal_canonical leaves out as it was on failure and appends otherwise */
static void test_canonical_appends(void **state) {
    jb_seal_line l;
    jb_buf out = JB_BUF_INIT;
    assert_int_equal(jb_buf_puts(&out, "abc"), 0);
    assert_int_equal(jb_seal_line_parse("<1>1 - h a p m - x", 18, &l, NULL), 0);
    assert_int_equal(jb_seal_canonical(&l, &out), 0);
    assert_memory_equal(out.data, "abc\0\0\0\0011", 8);
    size_t len = out.len;
    l.sd = "[x";
    l.sd_len = 2;
    assert_int_equal(jb_seal_canonical(&l, &out), -EBADMSG);
    assert_int_equal(out.len, len);
    jb_buf_done(&out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_same_record_same_canon),
        cmocka_unit_test(test_change_changes_canon),
        cmocka_unit_test(test_not_rfc5424),
        cmocka_unit_test(test_line_fields),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_sd_insert),
        cmocka_unit_test(test_b64),
        cmocka_unit_test(test_verify_key_parse),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_canonical_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
