/* SPDX-License-Identifier: Apache-2.0 */
/* The sealing scheme itself (doc/sealing.md): the RFC 5424 line split as a verifier sees it, its
 * canonical form, the seal parameters, the MAC inputs, base64, and the pure key math. Shared by
 * the sealer and the verifier, so that there is one encoder of the scheme. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "rfc5424.h"
#include "sd.h"
#include "seal.h"
#include "timestamp.h"

/* ---- HMAC-SHA-256 over F(x) fields ---- */

/* An HMAC-SHA-256 context with its digest set, made once: each MAC starts from a copy of it (a
 * digest looked up by name for every MAC would cost more than the MAC). */
static EVP_MAC_CTX *hmac_template;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_setup(void) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context holds its own reference */
    if (c && EVP_MAC_CTX_set_params(c, params))
        hmac_template = c;
    else
        EVP_MAC_CTX_free(c);
}

/* libcrypto fails here only when it cannot allocate a few hundred bytes or has no HMAC at all:
 * the MAC functions have no error path (a wrong seal must never be sent), so that aborts. */
__attribute__((noreturn)) static void crypto_failed(const char *what) {
    fprintf(stderr, "jbridge: libcrypto failed: %s\n", what);
    abort();
}

static EVP_MAC_CTX *hmac_begin(const uint8_t *key, size_t key_len) {
    pthread_once(&hmac_once, hmac_setup);
    if (!hmac_template) crypto_failed("no HMAC-SHA-256");
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(hmac_template);
    if (!c) crypto_failed("EVP_MAC_CTX_dup");
    if (!EVP_MAC_init(c, key, key_len, NULL)) crypto_failed("EVP_MAC_init");
    return c;
}

static void hmac_raw(EVP_MAC_CTX *c, const void *p, size_t n) {
    if (n && !EVP_MAC_update(c, p, n)) crypto_failed("EVP_MAC_update");
}

/* F(x): the 4-byte big-endian length of x, then x */
static void hmac_f(EVP_MAC_CTX *c, const void *p, size_t n) {
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    hmac_raw(c, len, sizeof len);
    hmac_raw(c, p, n);
}

static void hmac_fs(EVP_MAC_CTX *c, const char *s) {
    hmac_f(c, s, strlen(s));
}

static void hmac_fu(EVP_MAC_CTX *c, uint64_t v) {
    char d[24];
    int n = snprintf(d, sizeof d, "%" PRIu64, v);
    hmac_f(c, d, (size_t)n);
}

static void hmac_end(EVP_MAC_CTX *c, uint8_t out[JB_SEAL_LEN]) {
    size_t n = 0;
    if (!EVP_MAC_final(c, out, &n, JB_SEAL_LEN) || n != JB_SEAL_LEN) crypto_failed("EVP_MAC_final");
    EVP_MAC_CTX_free(c);
}

/* The record and heartbeat MACs, one after another under one MAC key (a sealer's epoch, a
 * verifier's chain): a context per thread stays initialized with the last key, and
 * EVP_MAC_init() with a NULL key starts it again under the same key, without the digest fetch and
 * key setup a new context costs (about half of a record's MAC). Another key re-keys it; the
 * context and its copy of the key are freed and cleansed when the thread ends. */
typedef struct hmac_cache {
    EVP_MAC_CTX *c;
    uint8_t key[JB_SEAL_LEN];
} hmac_cache;
static pthread_key_t hmac_cache_key;
static pthread_once_t hmac_cache_once = PTHREAD_ONCE_INIT;
static bool hmac_cache_ok;

static void hmac_cache_free(void *p) {
    hmac_cache *h = p;
    EVP_MAC_CTX_free(h->c);
    OPENSSL_cleanse(h, sizeof *h);
    free(h);
}

static void hmac_cache_init(void) {
    hmac_cache_ok = pthread_key_create(&hmac_cache_key, hmac_cache_free) == 0;
}

/* A context ready for a MAC under key (32 bytes); finish it with hmac_end_kept() when cached. */
static EVP_MAC_CTX *hmac_begin_kept(const uint8_t key[JB_SEAL_LEN], bool *ret_kept) {
    pthread_once(&hmac_cache_once, hmac_cache_init);
    hmac_cache *h = hmac_cache_ok ? pthread_getspecific(hmac_cache_key) : NULL;
    if (!h && hmac_cache_ok && (h = calloc(1, sizeof *h)) && pthread_setspecific(hmac_cache_key, h) != 0) {
        free(h);
        h = NULL;
    }
    *ret_kept = h != NULL;
    if (!h) return hmac_begin(key, JB_SEAL_LEN);
    if (h->c && CRYPTO_memcmp(h->key, key, JB_SEAL_LEN) == 0) {
        if (!EVP_MAC_init(h->c, NULL, 0, NULL)) crypto_failed("EVP_MAC_init");
        return h->c;
    }
    if (h->c) {
        if (!EVP_MAC_init(h->c, key, JB_SEAL_LEN, NULL)) crypto_failed("EVP_MAC_init");
    } else {
        h->c = hmac_begin(key, JB_SEAL_LEN);
    }
    memcpy(h->key, key, JB_SEAL_LEN);
    return h->c;
}

void jb_seal_release(void) {
    EVP_MAC_CTX_free(hmac_template);
    hmac_template = NULL;
    if (hmac_cache_ok) pthread_key_delete(hmac_cache_key);
    hmac_cache_ok = false;
}

static void hmac_end_kept(EVP_MAC_CTX *c, bool kept, uint8_t out[JB_SEAL_LEN]) {
    size_t n = 0;
    if (!kept)
        hmac_end(c, out);
    else if (!EVP_MAC_final(c, out, &n, JB_SEAL_LEN) || n != JB_SEAL_LEN)
        crypto_failed("EVP_MAC_final");
}

static void hmac_str(const uint8_t key[JB_SEAL_LEN], const char *s, uint8_t out[JB_SEAL_LEN]) {
    EVP_MAC_CTX *c = hmac_begin(key, JB_SEAL_LEN);
    hmac_raw(c, s, strlen(s));
    hmac_end(c, out);
}

/* ---- keys ---- */

void jb_seal_key_evolve(jb_seal_key *k) {
    uint8_t next[JB_SEAL_LEN];
    hmac_str(k->k, "jbridge-seal evolve", next);
    memcpy(k->k, next, JB_SEAL_LEN);
    OPENSSL_cleanse(next, sizeof next);
    k->epoch++;
}

void jb_seal_key_mac_key(const jb_seal_key *k, uint8_t out[JB_SEAL_LEN]) {
    hmac_str(k->k, "jbridge-seal mac", out);
}

void jb__seal_hex(const uint8_t *p, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

/* lowercase hex only, exactly 2 * n digits */
int jb__seal_unhex(const char *p, size_t len, uint8_t *out, size_t n) {
    if (len != 2 * n) return -EBADMSG;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) return -EBADMSG;
        out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] | v) : v << 4);
    }
    return 0;
}

void jb_seal_key_id(const uint8_t k0[JB_SEAL_LEN], char out[JB_SEAL_ID_LEN + 1]) {
    static const char label[] = "jbridge-seal key-id";
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) || !EVP_DigestUpdate(c, label, sizeof label - 1) ||
        !EVP_DigestUpdate(c, k0, JB_SEAL_LEN) || !EVP_DigestFinal_ex(c, d, &n) || n != 32)
        crypto_failed("SHA-256");
    EVP_MD_CTX_free(c);
    jb__seal_hex(d, JB_SEAL_ID_LEN / 2, out);
}

/* the next space-separated word of line[*pos..n), or -EBADMSG when there is none */
static int next_word(const char *line, size_t n, size_t *pos, const char **ret, size_t *ret_len) {
    size_t i = *pos;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    size_t start = i;
    while (i < n && line[i] != ' ' && line[i] != '\t') i++;
    if (i == start) return -EBADMSG;
    *ret = line + start;
    *ret_len = i - start;
    *pos = i;
    return 0;
}

int jb_seal_verify_key_parse(const char *line, size_t n, jb_seal_key *ret, jb_error *err) {
    static const char *const want[] = {"jbridge-verify-key", "1", "hmac-sha256"};
    const char *w;
    size_t pos = 0, wn;
    jb_seal_key k = {.epoch = 0};

    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
    for (size_t i = 0; i < 3; i++)
        if (next_word(line, n, &pos, &w, &wn) < 0 || !jb_slice_eq(w, wn, want[i]))
            return jb_error_set(err, -EBADMSG, "not a verification key line (\"%s %s %s KEYID K0HEX\")", want[0],
                                want[1], want[2]);
    if (next_word(line, n, &pos, &w, &wn) < 0 || wn != JB_SEAL_ID_LEN || jb__seal_unhex(w, wn, (uint8_t[8]){0}, 8) < 0)
        return jb_error_set(err, -EBADMSG, "the key id is not 16 lowercase hex digits");
    memcpy(k.id, w, JB_SEAL_ID_LEN);
    k.id[JB_SEAL_ID_LEN] = 0;
    if (next_word(line, n, &pos, &w, &wn) < 0 || jb__seal_unhex(w, wn, k.k, JB_SEAL_LEN) < 0) {
        OPENSSL_cleanse(&k, sizeof k);
        return jb_error_set(err, -EBADMSG, "the key is not 64 lowercase hex digits");
    }
    if (pos != n) {
        OPENSSL_cleanse(&k, sizeof k);
        return jb_error_set(err, -EBADMSG, "text after the key");
    }
    char id[JB_SEAL_ID_LEN + 1];
    jb_seal_key_id(k.k, id);
    if (strcmp(id, k.id) != 0) {
        OPENSSL_cleanse(&k, sizeof k);
        return jb_error_set(err, -EBADMSG, "the key id %s does not belong to the key (its id is %s)", k.id, id);
    }
    *ret = k;
    OPENSSL_cleanse(&k, sizeof k);
    return 0;
}

/* ---- the MACs ---- */

/* b[*at...] = F(p): the head's fields go to libcrypto in one update (each update has a cost of
 * its own, about that of hashing a hundred bytes) */
static void head_f(uint8_t *b, size_t *at, const void *p, size_t n) {
    b[*at] = (uint8_t)(n >> 24), b[*at + 1] = (uint8_t)(n >> 16), b[*at + 2] = (uint8_t)(n >> 8);
    b[*at + 3] = (uint8_t)n;
    if (n) memcpy(b + *at + 4, p, n);
    *at += 4 + n;
}

static void head_fu(uint8_t *b, size_t *at, uint64_t v) {
    char d[24];
    size_t i = sizeof d;
    do d[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    head_f(b, at, d + i, sizeof d - i);
}

/* F("jbridge-seal 1") F(kind) F(KEYID) F(CHAIN) F(N) F(E) */
static void mac_head(EVP_MAC_CTX *c, const char *kind, const char *key_id, const char *chain, uint64_t n,
                     uint64_t epoch) {
    static const char version[] = "jbridge-seal " JB_SEAL_VERSION;
    size_t lk = strlen(kind), li = strlen(key_id), lc = strlen(chain);
    if (lk > 16 || li > 64 || lc > 64) { /* not the scheme's: field by field, no bound needed */
        hmac_fs(c, version);
        hmac_fs(c, kind);
        hmac_fs(c, key_id);
        hmac_fs(c, chain);
        hmac_fu(c, n);
        hmac_fu(c, epoch);
        return;
    }
    uint8_t b[6 * 4 + sizeof version + 16 + 64 + 64 + 2 * 20];
    size_t at = 0;
    head_f(b, &at, version, sizeof version - 1);
    head_f(b, &at, kind, lk);
    head_f(b, &at, key_id, li);
    head_f(b, &at, chain, lc);
    head_fu(b, &at, n);
    head_fu(b, &at, epoch);
    hmac_raw(c, b, at);
}

void jb_seal_record_mac(const uint8_t mac_key[JB_SEAL_LEN], const char *key_id, const char *chain, uint64_t n,
                        uint64_t epoch, const uint8_t *tx, const uint8_t prev[JB_SEAL_LEN], const char *canon,
                        size_t canon_len, uint8_t out[JB_SEAL_LEN]) {
    bool kept;
    EVP_MAC_CTX *c = hmac_begin_kept(mac_key, &kept);
    uint8_t b[3 * 4 + 2 * JB_SEAL_LEN];
    size_t at = 0;
    mac_head(c, "record", key_id, chain, n, epoch);
    head_f(b, &at, tx, tx ? JB_SEAL_LEN : 0);
    head_f(b, &at, prev, JB_SEAL_LEN);
    b[at] = (uint8_t)(canon_len >> 24), b[at + 1] = (uint8_t)(canon_len >> 16), b[at + 2] = (uint8_t)(canon_len >> 8);
    b[at + 3] = (uint8_t)canon_len;
    hmac_raw(c, b, at + 4);
    hmac_raw(c, canon, canon_len);
    hmac_end_kept(c, kept, out);
}

void jb_seal_beat_mac(const uint8_t mac_key[JB_SEAL_LEN], const char *key_id, const char *chain, uint64_t n,
                      uint64_t epoch, const uint8_t *tx, const uint8_t prev[JB_SEAL_LEN], const char *beat,
                      uint64_t time_usec, uint64_t interval_sec, uint8_t out[JB_SEAL_LEN]) {
    bool kept;
    EVP_MAC_CTX *c = hmac_begin_kept(mac_key, &kept);
    mac_head(c, "beat", key_id, chain, n, epoch);
    hmac_f(c, tx, tx ? JB_SEAL_LEN : 0);
    hmac_f(c, prev, JB_SEAL_LEN);
    hmac_fs(c, beat);
    hmac_fu(c, time_usec);
    hmac_fu(c, interval_sec);
    hmac_end_kept(c, kept, out);
}

void jb_seal_tx_step(const uint8_t old_mac_key[JB_SEAL_LEN], const char *key_id, const char *chain, uint64_t n_next,
                     uint64_t new_epoch, const uint8_t t[JB_SEAL_LEN], uint8_t out[JB_SEAL_LEN]) {
    EVP_MAC_CTX *c = hmac_begin(old_mac_key, JB_SEAL_LEN);
    mac_head(c, "epoch", key_id, chain, n_next, new_epoch);
    hmac_f(c, t, JB_SEAL_LEN);
    hmac_end(c, out);
}

void jb_seal_chain_id(const uint8_t mac_key[JB_SEAL_LEN], jb_stream s, const char *record_id,
                      char out[JB_SEAL_ID_LEN + 1]) {
    uint8_t d[JB_SEAL_LEN];
    EVP_MAC_CTX *c = hmac_begin(mac_key, JB_SEAL_LEN);
    hmac_raw(c, "jbridge-seal chain", strlen("jbridge-seal chain") + 1); /* with its NUL: the 0x00 */
    hmac_raw(c, jb_stream_name(s), strlen(jb_stream_name(s)) + 1);
    hmac_raw(c, record_id, strlen(record_id));
    hmac_end(c, d);
    jb__seal_hex(d, JB_SEAL_ID_LEN / 2, out);
}

/* ---- base64 ---- */

void jb_seal_b64(const uint8_t in[JB_SEAL_LEN], char out[JB_SEAL_B64_LEN + 1]) {
    EVP_EncodeBlock((unsigned char *)out, in, JB_SEAL_LEN);
    out[JB_SEAL_B64_LEN] = 0;
}

int jb_seal_unb64(const char *p, size_t n, uint8_t out[JB_SEAL_LEN]) {
    unsigned char tmp[JB_SEAL_B64_LEN];
    char again[JB_SEAL_B64_LEN + 1];
    /* 32 bytes are exactly 44 characters ending in one '=' (43 significant) */
    if (n != JB_SEAL_B64_LEN || p[n - 1] != '=' || p[n - 2] == '=') return -EBADMSG;
    if (EVP_DecodeBlock(tmp, (const unsigned char *)p, (int)n) != 33) return -EBADMSG;
    /* one text per value: the unused low bits of the last character must be zero */
    jb_seal_b64(tmp, again);
    if (memcmp(again, p, n) != 0) return -EBADMSG;
    memcpy(out, tmp, JB_SEAL_LEN);
    return 0;
}

/* ---- the line ---- */

/* The end of the SD-ELEMENT that starts at s[i] == '[': the index after its ']' (quotes and
 * backslash escapes honoured, as jb_sd_walk() reads them), or 0 when it does not end. */
static size_t element_end(const char *s, size_t n, size_t i) {
    bool quoted = false;
    for (i++; i < n; i++) {
        if (quoted) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                quoted = false;
        } else if (s[i] == '"') {
            quoted = true;
        } else if (s[i] == ']') {
            return i + 1;
        }
    }
    return 0;
}

/* A header field at p[*pos]: 1 to max printable ASCII characters, then a space. */
static int header_field(const char *p, size_t n, size_t *pos, size_t max, const char **ret, size_t *ret_len) {
    size_t i = *pos;
    while (i < n && p[i] != ' ') {
        if ((unsigned char)p[i] < 33 || (unsigned char)p[i] > 126) return -EBADMSG;
        i++;
    }
    if (i == *pos || i - *pos > max || i >= n) return -EBADMSG;
    *ret = p + *pos;
    *ret_len = i - *pos;
    *pos = i + 1;
    return 0;
}

static int parse_pri(const char *p, size_t n, size_t *pos, unsigned *ret) {
    size_t i = 1;
    unsigned v = 0;
    if (n < 3 || p[0] != '<') return -EBADMSG;
    while (i < n && i <= 3 && p[i] >= '0' && p[i] <= '9') v = v * 10 + (unsigned)(p[i++] - '0');
    if (i == 1 || i >= n || p[i] != '>' || v > 191) return -EBADMSG;
    *ret = v;
    *pos = i + 1;
    return 0;
}

int jb_seal_line_parse(const char *p, size_t n, jb_seal_line *ret, jb_error *err) {
    jb_seal_line l = {0};
    const char *t;
    size_t pos, tn;

    if (n > 0 && p[n - 1] == '\n') n--;
    if (n > 0 && p[n - 1] == '\r') n--;
    if (parse_pri(p, n, &pos, &l.pri) < 0) return jb_error_set(err, -EBADMSG, "no <PRI> (0-191) at the start");
    if (n - pos < 2 || p[pos] != '1' || p[pos + 1] != ' ')
        return jb_error_set(err, -EBADMSG, "not RFC 5424: no version 1 after the PRI");
    pos += 2;
    if (header_field(p, n, &pos, 64, &t, &tn) < 0) return jb_error_set(err, -EBADMSG, "no TIMESTAMP");
    if (jb_slice_eq(t, tn, "-"))
        l.time_nil = true;
    else if (jb_parse_rfc3339(t, tn, &l.time_usec) < 0)
        return jb_error_set(err, -EBADMSG, "the TIMESTAMP is not RFC 3339");
    if (header_field(p, n, &pos, 255, &l.host, &l.host_len) < 0)
        return jb_error_set(err, -EBADMSG, "no HOSTNAME (1-255 printable ASCII characters)");
    if (header_field(p, n, &pos, 48, &l.app, &l.app_len) < 0)
        return jb_error_set(err, -EBADMSG, "no APP-NAME (1-48 printable ASCII characters)");
    if (header_field(p, n, &pos, 128, &l.procid, &l.procid_len) < 0)
        return jb_error_set(err, -EBADMSG, "no PROCID (1-128 printable ASCII characters)");
    if (header_field(p, n, &pos, 32, &l.msgid, &l.msgid_len) < 0)
        return jb_error_set(err, -EBADMSG, "no MSGID (1-32 printable ASCII characters)");

    size_t sd = pos;
    if (pos < n && p[pos] == '-') {
        pos++;
    } else {
        while (pos < n && p[pos] == '[') {
            size_t end = element_end(p, n, pos);
            if (end == 0) return jb_error_set(err, -EBADMSG, "an SD-ELEMENT does not end");
            pos = end;
        }
    }
    if (pos == sd || (pos < n && p[pos] != ' '))
        return jb_error_set(err, -EBADMSG, "no STRUCTURED-DATA, or no space after it");
    if (jb_sd_validate(p + sd, pos - sd) < 0) return jb_error_set(err, -EBADMSG, "the STRUCTURED-DATA is not valid");
    l.sd = p + sd;
    l.sd_len = pos - sd;
    l.msg = pos < n ? p + pos + 1 : p + n;
    l.msg_len = pos < n ? n - pos - 1 : 0;
    *ret = l;
    return 0;
}

/* ---- the canonical form ---- */

static int put_f(jb_buf *out, const void *p, size_t n) {
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    int r = jb_buf_append(out, len, sizeof len);
    return r < 0 ? r : jb_buf_append(out, p, n);
}

static int put_fu(jb_buf *out, uint64_t v) {
    char d[24];
    size_t i = sizeof d;
    do d[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return put_f(out, d + i, sizeof d - i);
}

static bool is_seal_element(const char *id, size_t n) {
    return n >= 8 && memcmp(id, "jbridge@", 8) == 0;
}

static bool is_seal_param(const char *name, size_t n) {
    return n >= 5 && memcmp(name, "seal.", 5) == 0;
}

/* The elements as CANON has them: each element's F(SD-ID) F(PARAMS) and its parameters, appended
 * to out when the next one starts (the count comes first), in params meanwhile. */
typedef struct canon_walk {
    jb_buf *out, params;
    const char *id;
    size_t id_len, n_params, n_elements;
    bool sealed; /* the current element is a jbridge@ one */
} canon_walk;

static int canon_flush(canon_walk *w) {
    int r;
    if (!w->id) return 0;
    if ((r = put_f(w->out, w->id, w->id_len)) < 0 || (r = put_fu(w->out, w->n_params)) < 0 ||
        (r = jb_buf_append(w->out, w->params.data, w->params.len)) < 0)
        return r;
    jb_buf_reset(&w->params);
    w->id = NULL;
    return 0;
}

static int canon_element(const char *id, size_t id_len, void *userdata) {
    canon_walk *w = userdata;
    int r = canon_flush(w);
    if (r < 0) return r;
    w->id = id;
    w->id_len = id_len;
    w->n_params = 0;
    w->n_elements++;
    w->sealed = is_seal_element(id, id_len);
    return 0;
}

static int canon_param(const char *name, size_t name_len, const char *value, size_t value_len, void *userdata) {
    canon_walk *w = userdata;
    size_t run = 0;
    int r;

    if (w->sealed && is_seal_param(name, name_len)) return 0;
    w->n_params++;
    if ((r = put_f(&w->params, name, name_len)) < 0) return r;
    /* the value unescaped: \" \\ \] become the character, any other backslash stays */
    size_t at = w->params.len;
    if ((r = put_f(&w->params, "", 0)) < 0) return r;
    for (size_t i = 0; i < value_len; i++) {
        if (value[i] != '\\' || i + 1 >= value_len ||
            (value[i + 1] != '"' && value[i + 1] != '\\' && value[i + 1] != ']'))
            continue;
        if ((r = jb_buf_append(&w->params, value + run, i - run)) < 0) return r;
        run = ++i;
    }
    if ((r = jb_buf_append(&w->params, value + run, value_len - run)) < 0) return r;
    size_t len = w->params.len - at - 4;
    uint8_t *l = (uint8_t *)w->params.data + at;
    l[0] = (uint8_t)(len >> 24), l[1] = (uint8_t)(len >> 16), l[2] = (uint8_t)(len >> 8), l[3] = (uint8_t)len;
    return 0;
}

/* MSG: a leading BOM dropped, control characters as #ooo, trailing spaces dropped. */
static int canon_msg(const jb_seal_line *l, jb_buf *out) {
    const char *m = l->msg;
    size_t n = l->msg_len;
    if (n >= 3 && memcmp(m, "\xef\xbb\xbf", 3) == 0) m += 3, n -= 3;
    while (n > 0 && m[n - 1] == ' ') n--;
    size_t at = out->len;
    int r = put_f(out, "", 0);
    if (r < 0 || (r = jb_escape_control(out, m, n)) < 0) return r;
    size_t len = out->len - at - 4;
    uint8_t *b = (uint8_t *)out->data + at;
    b[0] = (uint8_t)(len >> 24), b[1] = (uint8_t)(len >> 16), b[2] = (uint8_t)(len >> 8), b[3] = (uint8_t)len;
    return 0;
}

static int canonical(const jb_seal_line *l, jb_buf *out) {
    static const jb_sd_visitor walk = {.element = canon_element, .param = canon_param};
    int r;

    if ((r = put_fu(out, l->pri)) < 0) return r;
    if (l->time_nil)
        r = put_f(out, "-", 1);
    else
        r = put_fu(out, l->time_usec);
    if (r < 0 || (r = put_f(out, l->host, l->host_len)) < 0 || (r = put_f(out, l->app, l->app_len)) < 0 ||
        (r = put_f(out, l->procid, l->procid_len)) < 0 || (r = put_f(out, l->msgid, l->msgid_len)) < 0)
        return r;

    /* the number of elements first: counted by their ends (the walk below checks the rest, and
     * a failure leaves out as it was, jb_seal_canonical) */
    canon_walk w = {.out = NULL, .params = JB_BUF_INIT};
    if (!jb_slice_eq(l->sd, l->sd_len, "-"))
        for (size_t pos = 0, end; pos < l->sd_len && l->sd[pos] == '['; pos = end) {
            if ((end = element_end(l->sd, l->sd_len, pos)) == 0) break;
            w.n_elements++;
        }
    if ((r = put_fu(out, w.n_elements)) < 0) return r;
    w = (canon_walk){.out = out, .params = JB_BUF_INIT};
    if (!jb_slice_eq(l->sd, l->sd_len, "-")) {
        r = jb_sd_walk(l->sd, l->sd_len, &walk, &w);
        if (r == 0) r = canon_flush(&w);
    }
    jb_buf_done(&w.params);
    return r < 0 ? r : canon_msg(l, out);
}

int jb_seal_canonical(const jb_seal_line *l, jb_buf *out) {
    size_t old_len = out->len;
    int r = canonical(l, out);
    if (r < 0 && out->data) {
        out->len = old_len;
        out->data[old_len] = 0;
    }
    return r;
}

/* ---- the seal parameters ---- */

typedef struct params_walk {
    jb_seal_params p;
    bool in_element; /* in a jbridge@ element */
} params_walk;

static int params_element(const char *id, size_t id_len, void *userdata) {
    params_walk *w = userdata;
    w->in_element = is_seal_element(id, id_len);
    if (w->in_element && w->p.pen == 0) {
        uint64_t pen = 0;
        if (jb_parse_u64(id + 8, id_len - 8, &pen) == 0 && pen > 0 && pen <= UINT32_MAX) w->p.pen = (unsigned)pen;
    }
    return 0;
}

static int params_param(const char *name, size_t name_len, const char *value, size_t value_len, void *userdata) {
    params_walk *w = userdata;
    jb_seal_params *p = &w->p;
    static const struct {
        const char *name;
        size_t off, len_off;
    } known[] = {
#define K(f) {"seal." #f, offsetof(jb_seal_params, f), offsetof(jb_seal_params, f##_len)}
        K(key), K(chain), K(n), K(epoch), K(tx), K(prev), K(mac), K(beat), K(time), K(interval),
#undef K
    };

    if (!w->in_element) return 0;
    if (jb_slice_eq(name, name_len, "id") && !p->record_id) {
        p->record_id = value;
        p->record_id_len = value_len;
        return 0;
    }
    if (!is_seal_param(name, name_len)) return 0;
    for (size_t i = 0; i < JB_ELEMENTSOF(known); i++) {
        if (!jb_slice_eq(name, name_len, known[i].name)) continue;
        const char **slot = (const char **)((char *)p + known[i].off);
        if (*slot) return -EBADMSG; /* twice: which one would count? */
        *slot = value;
        *(size_t *)((char *)p + known[i].len_off) = value_len;
        p->any = true;
        return 0;
    }
    return -EBADMSG; /* an unknown seal.* parameter: it would be outside the MAC */
}

int jb_seal_params_get(const char *sd, size_t n, jb_seal_params *ret) {
    static const jb_sd_visitor v = {.element = params_element, .param = params_param};
    params_walk w = {.p = {.any = false}};
    int r = jb_sd_walk(sd, n, &v, &w);
    if (r < 0) return r;
    *ret = w.p;
    return 0;
}

int jb_seal_sd_insert(jb_buf *sd, const char *params, size_t n) {
    if (!sd->data || jb_sd_validate(sd->data, sd->len) < 0) return -EBADMSG;
    return jb__seal_sd_insert_valid(sd, params, n);
}

int jb__seal_sd_insert_valid(jb_buf *sd, const char *params, size_t n) {
    size_t pos = 0;
    if (!sd->data) return -EBADMSG;
    while (pos < sd->len && sd->data[pos] == '[') {
        size_t end = element_end(sd->data, sd->len, pos), id_len = 0;
        while (pos + 1 + id_len < end && sd->data[pos + 1 + id_len] != ' ' && sd->data[pos + 1 + id_len] != ']')
            id_len++;
        if (is_seal_element(sd->data + pos + 1, id_len)) {
            int r = jb_buf_reserve(sd, n);
            if (r < 0) return r;
            memmove(sd->data + end - 1 + n, sd->data + end - 1, sd->len - (end - 1) + 1);
            memcpy(sd->data + end - 1, params, n);
            sd->len += n;
            return 0;
        }
        pos = end;
    }
    return -EBADMSG;
}
