/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Sealed streams (doc/sealing.md is the specification; read it first): keys and their one-way
 * evolution, the canonical form of an RFC 5424 line, the MACs, and the sealer, the stateful part
 * that each adapter drives. Crypto is OpenSSL's libcrypto (HMAC-SHA-256, SHA-256, RAND_bytes,
 * OPENSSL_cleanse, EVP_EncodeBlock/DecodeBlock); nothing here is hand-written crypto.
 *
 * Files: seal-canon.c (the line parser, the canonical form, the MAC inputs: the scheme itself,
 * shared with the verifier), seal-key.c (key files, keygen, evolution), sealer.c (chains, their
 * saved state, epochs, heartbeats). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "util.h"

#define JB_SEAL_LEN 32      /* HMAC-SHA-256, every key and MAC */
#define JB_SEAL_B64_LEN 44  /* base64 of 32 bytes, with padding */
#define JB_SEAL_ID_LEN 16   /* key ids and chain ids: 16 lowercase hex digits */
#define JB_SEAL_VERSION "1" /* F("jbridge-seal 1") in every MAC input */

/* Free what the MAC functions keep between calls: the HMAC context every MAC starts from, and the
 * per-thread context's key (whose destructor must not outlive the code). For a module about to be
 * unloaded (imjbridge's modExit), when no thread will compute a MAC again; a process that exits
 * needs not call it. */
void jb_seal_release(void);

/* ---- the scheme: keys ---- */

typedef struct jb_seal_key {
    char id[JB_SEAL_ID_LEN + 1]; /* KEYID, NUL-terminated */
    uint64_t epoch;              /* e */
    uint8_t k[JB_SEAL_LEN];      /* K_e */
} jb_seal_key;

/* K_{e+1} from K_e, in place (epoch + 1); the old value is wiped. */
void jb_seal_key_evolve(jb_seal_key *k);
/* M_e = HMAC-SHA-256(K_e, "jbridge-seal mac") into out. */
void jb_seal_key_mac_key(const jb_seal_key *k, uint8_t out[JB_SEAL_LEN]);
/* KEYID of K0: the first 8 bytes of SHA-256("jbridge-seal key-id" || K0), in lowercase hex
 * (seal-canon.c; keygen and the verification key line use this one). */
void jb_seal_key_id(const uint8_t k0[JB_SEAL_LEN], char out[JB_SEAL_ID_LEN + 1]);
/* Wipe a key (OPENSSL_cleanse). NULL-safe. */
void jb_seal_key_wipe(jb_seal_key *k);

/* keygen: a new K0 into a new key file at path (refuses an existing path: -EEXIST with err
 * saying so); the verification key line (no newline, NUL-terminated) into ret_line. */
#define JB_SEAL_VERIFY_LINE_MAX 160
int jb_seal_keygen(const char *path, char ret_line[JB_SEAL_VERIFY_LINE_MAX], jb_error *err);
/* Load a key file, checking that it is a regular file (not a link), owned by geteuid(), mode
 * 0600 or stricter, and well-formed; -EPERM/-EBADMSG/-errno with err naming the path and why. */
int jb_seal_key_load(const char *path, jb_seal_key *ret, jb_error *err);
/* Save atomically and durably (see doc/sealing.md, Keys). */
int jb_seal_key_save(const char *path, const jb_seal_key *k, jb_error *err);
/* Parse one verification key line ("jbridge-verify-key 1 hmac-sha256 KEYID K0HEX") into ret
 * (epoch 0); -EBADMSG with err saying what is wrong. */
int jb_seal_verify_key_parse(const char *line, size_t n, jb_seal_key *ret, jb_error *err);

/* ---- the scheme: the canonical form ---- */

/* An RFC 5424 line, split. Slices borrow from the line. */
typedef struct jb_seal_line {
    unsigned pri;
    bool time_nil;      /* TIMESTAMP was "-" */
    uint64_t time_usec; /* else: microseconds since the epoch, UTC */
    const char *host, *app, *procid, *msgid, *sd, *msg;
    size_t host_len, app_len, procid_len, msgid_len, sd_len, msg_len; /* msg: may be 0 */
} jb_seal_line;

/* Split one line (without its "\n"; a trailing "\r" is dropped) as doc/sealing.md says.
 * -EBADMSG with err saying what is not RFC 5424 (the verifier puts the file and line first). */
int jb_seal_line_parse(const char *p, size_t n, jb_seal_line *ret, jb_error *err);

/* Append CANON (doc/sealing.md) of l to out. -EBADMSG when l->sd is not valid structured data,
 * -ENOMEM. */
int jb_seal_canonical(const jb_seal_line *l, jb_buf *out);

/* The seal parameters of a line (from its jbridge@ element), as text slices borrowed from the
 * line's SD (values as written between the quotes). present: which ones were there. */
typedef struct jb_seal_params {
    const char *key, *chain, *n, *epoch, *tx, *prev, *mac, *beat, *time, *interval;
    size_t key_len, chain_len, n_len, epoch_len, tx_len, prev_len, mac_len, beat_len, time_len, interval_len;
    const char *record_id; /* jbridge@ id="..." (not a seal parameter; for reports) */
    size_t record_id_len;
    unsigned pen; /* of the jbridge@ element */
    bool any;     /* at least one seal.* parameter */
} jb_seal_params;
/* 0 (a jbridge@ element found or not: see ->any), -EBADMSG for SD that does not parse, for a
 * seal parameter given twice (also in two jbridge@ elements) and for an unknown seal.* name in a
 * jbridge@ element (it would be outside the MAC). pen and record_id: of the first jbridge@
 * element. */
int jb_seal_params_get(const char *sd, size_t n, jb_seal_params *ret);

/* The MAC inputs (doc/sealing.md). tx NULL: none. These cannot fail: libcrypto failing to
 * allocate its HMAC context (a few hundred bytes) aborts the process, since a wrong seal must
 * never be sent. seal-canon.c holds these, the key math above (evolve, mac_key, key_id,
 * verify_key_parse), the line, the canonical form, base64 and jb_seal_sd_insert. */
void jb_seal_record_mac(const uint8_t mac_key[JB_SEAL_LEN], const char *key_id, const char *chain, uint64_t n,
                        uint64_t epoch, const uint8_t *tx, const uint8_t prev[JB_SEAL_LEN], const char *canon,
                        size_t canon_len, uint8_t out[JB_SEAL_LEN]);
void jb_seal_beat_mac(const uint8_t mac_key[JB_SEAL_LEN], const char *key_id, const char *chain, uint64_t n,
                      uint64_t epoch, const uint8_t *tx, const uint8_t prev[JB_SEAL_LEN], const char *beat,
                      uint64_t time_usec, uint64_t interval_sec, uint8_t out[JB_SEAL_LEN]);
/* One step of a transition proof: TX_{new_epoch} from t (T of the step before), under the mac key
 * of epoch new_epoch - 1. */
void jb_seal_tx_step(const uint8_t old_mac_key[JB_SEAL_LEN], const char *key_id, const char *chain, uint64_t n_next,
                     uint64_t new_epoch, const uint8_t t[JB_SEAL_LEN], uint8_t out[JB_SEAL_LEN]);
/* The chain id of a chain whose first record (of stream s, record id record_id) is sealed under
 * mac_key. */
void jb_seal_chain_id(const uint8_t mac_key[JB_SEAL_LEN], jb_stream s, const char *record_id,
                      char out[JB_SEAL_ID_LEN + 1]);

/* base64 (RFC 4648 section 4, padded) of 32 bytes, NUL-terminated; and back (-EBADMSG unless
 * exactly 32 bytes). */
void jb_seal_b64(const uint8_t in[JB_SEAL_LEN], char out[JB_SEAL_B64_LEN + 1]);
int jb_seal_unb64(const char *p, size_t n, uint8_t out[JB_SEAL_LEN]);

/* Insert params (text such as ` seal.key="..." ...`, starting with a space) before the ']' that
 * closes the jbridge@ element of the SD text in sd (jb_sd_build's output). -EBADMSG when there is
 * no such element, -ENOMEM; sd unchanged on failure. */
int jb_seal_sd_insert(jb_buf *sd, const char *params, size_t n);
/* libjbseal's own: the same for sd already known to be valid structured data (the sealer, whose
 * canonical form just walked the same text), without parsing it again. */
int jb__seal_sd_insert_valid(jb_buf *sd, const char *params, size_t n);

/* Internal, for seal-key.c: n bytes as 2 * n lowercase hex digits and a NUL into out; and back:
 * exactly 2 * n lowercase hex digits at p (len bytes) into out, 0 or -EBADMSG. */
void jb__seal_hex(const uint8_t *p, size_t n, char *out);
int jb__seal_unhex(const char *p, size_t len, uint8_t *out, size_t n);

/* ---- the sealer: what an adapter drives ---- */

typedef struct jb_seal_config {
    const char *key_path;    /* the key file (updated in place as the key evolves) */
    bool streams[2];         /* by jb_stream: which streams are sealed (default: audit only) */
    uint64_t epoch_records;  /* move the epoch after this many sealed records (default 10000) */
    uint64_t epoch_usec;     /* ... or this long (default 60 s) */
    uint64_t heartbeat_usec; /* a heartbeat after this long without an item (default 60 s) */
} jb_seal_config;

#define JB_SEAL_EPOCH_RECORDS_DEFAULT 10000u
#define JB_SEAL_EPOCH_SEC_DEFAULT 60u
#define JB_SEAL_HEARTBEAT_SEC_DEFAULT 60u
/* The limits jb_config_check() enforces: epoch records 1..JB_SEAL_EPOCH_RECORDS_MAX; epoch seconds
 * and heartbeat seconds 1..JB_SEAL_SECONDS_MAX (a day). */
#define JB_SEAL_EPOCH_RECORDS_MAX 4294967295u
/* The largest epoch a key file or a state line may hold (the verifier derives keys one by one). */
#define JB_SEAL_EPOCH_MAX 4294967295u
#define JB_SEAL_SECONDS_MAX 86400u

/* The defaults: key_path NULL (no sealing), the audit stream, 10000 records, 60 s, 60 s.
 * (seal-config.c, in libjbcore with the settings: jb_config_init() calls it.) */
void jb_seal_config_init(jb_seal_config *c);
/* Parse "audit", "app,audit" (or "audit,app", "app") into streams; -EINVAL otherwise, with err
 * saying what is expected without naming the setting. */
int jb_seal_streams_parse(const char *s, bool ret[2], jb_error *err);

typedef struct jb_sealer jb_sealer;

/* Load the key file (jb_seal_key_load's checks), after removing the temporary files an
 * interrupted save of it left (jb_state_remove_stale). */
int jb_sealer_new(const jb_seal_config *c, jb_sealer **ret, jb_error *err);
jb_sealer *jb_sealer_free(jb_sealer *s); /* wipes the keys */

/* What jb_sealer_restore() found, for the adapter to say. */
typedef enum jb_seal_restore {
    JB_SEAL_CONTINUED = 0,   /* every sealed stream's chain goes on from the state */
    JB_SEAL_NEW_CHAIN = 1,   /* no chain state (first start, lost or set-aside state): new chains */
    JB_SEAL_KEY_CHANGED = 2, /* the state's chain was sealed by another key: new chains */
    JB_SEAL_KEY_AHEAD = 3,   /* the key file is at a later epoch than the state: new chains */
} jb_seal_restore;

/* Restore the chains from the state file's seal lines (the text after "seal.app=" and
 * "seal.audit="; NULL when absent), after the reader was positioned from the same state. A state
 * ahead of the key file evolves the key file first. -EBADMSG for a line that does not parse
 * (err says why; the adapter treats it as a damaged state). */
int jb_sealer_restore(jb_sealer *s, const char *app, const char *audit, jb_seal_restore *ret, jb_error *err);

/* Seal one record of a sealed stream (does nothing and returns 1 for an unsealed one): line is
 * the record as the adapter will write it, its sd slice pointing into *sd, which holds the
 * structured data without the seal; the seal parameters are inserted into *sd (jbridge@
 * element). The record is kept (its sequence, its chain state) until jb_sealer_release()
 * passes it. 0/1, -ENOMEM, -EBADMSG.
 * Memory: the sealer keeps one entry (about 64 bytes) per sealed record not yet released, in a
 * FIFO per stream that grows by doubling and never shrinks below its peak. The bound is the
 * adapter's: what it keeps in flight between two saved positions. The command saves every
 * SAVE_EVERY_ENTRIES (10,000) entries and when idle (records of lines cut at the maximum line size
 * and a checkpoint held back by a split line add to that: the partial.h limits bound them);
 * without --state it releases everything at the same points. imjbridge releases as rsyslog
 * acknowledges, so its bound is its in-flight window of unacknowledged records. */
int jb_sealer_seal(jb_sealer *s, const jb_record *rec, const jb_seal_line *line, jb_buf *sd);

/* The command's way (doc/sealing.md: exactly the verifier's view): line holds one record formatted
 * without its seal (jb_rfc5424_format, its "\n" included); it is split with jb_seal_line_parse(),
 * sealed (jb_sealer_seal) and written again with the seal in its jbridge@ element. 1 (line
 * unchanged) for an unsealed stream, 0, or a negative errno with err set. */
int jb_sealer_seal_line(jb_sealer *s, const jb_record *rec, jb_buf *line, jb_error *err);

/* The seal lines to save with a position whose sequence counters are seq_app, seq_audit
 * (jb_bridge_checkpoint_sequence): new strings into ret[2] (NULL for an unsealed stream or a chain
 * with no record yet); -ENOMEM. */
int jb_sealer_snapshot(const jb_sealer *s, uint32_t seq_app, uint32_t seq_audit, char *ret[2]);
/* A position with those counters was saved (durably or not): forget the records up to it. */
void jb_sealer_release(jb_sealer *s, uint32_t seq_app, uint32_t seq_audit, bool durable);

/* The epoch is due (records or time, monotonic now_usec). */
bool jb_sealer_epoch_due(const jb_sealer *s, uint64_t now_usec);
/* Every sealed record is covered by a durable save (release(durable=true) passed them all). */
bool jb_sealer_covered(const jb_sealer *s);
/* Move the epoch, in two steps: begin computes the next key and each chain's transition proof
 * (only when covered: else -EBUSY); the adapter then saves its state durably with new snapshots;
 * commit writes the key file and wipes the old key. A failed commit is retried later (the state
 * ahead of the key file is handled at restore). begin: 0, -EBUSY, or -ERANGE at JB_SEAL_EPOCH_MAX
 * (the key stays in its last epoch). */
int jb_sealer_evolve_begin(jb_sealer *s);
int jb_sealer_evolve_commit(jb_sealer *s, jb_error *err);

/* A heartbeat is due on stream st (a chain with records, quiet for heartbeat_usec). */
bool jb_sealer_beat_due(const jb_sealer *s, jb_stream st, uint64_t now_usec);
/* The seal parameters of a heartbeat ("heartbeat") or stop ("stop") line for stream st into out
 * (text starting with a space, for the jbridge@ element of a line with APP-NAME jbridge, MSGID the
 * stream, MSG "seal heartbeat" / "seal stop"); time_usec: realtime now. 1 when the stream has no
 * chain with records (nothing to send), 0, -ENOMEM. */
int jb_sealer_beat(jb_sealer *s, jb_stream st, const char *beat, uint64_t time_usec, uint64_t now_usec, jb_buf *out);
