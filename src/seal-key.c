/* SPDX-License-Identifier: Apache-2.0 */
/* Seal key files (doc/sealing.md, Keys): keygen, load with its checks, the atomic durable save
 * (the state file's, state.h), the key id, and wiping. The key math (evolution, the MAC key, the
 * verification key line) is in seal-canon.c. */
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "state.h"

#define KEY_MAGIC "jbridge-seal-key 1\n"
#define KEY_FILE_MAX 4096

void jb_seal_key_wipe(jb_seal_key *k) {
    if (k) OPENSSL_cleanse(k, sizeof *k);
}

/* The key file's text into out (wiped by the caller). */
static int key_text(const jb_seal_key *k, jb_buf *out) {
    char khex[2 * JB_SEAL_LEN + 1];
    /* room first, so that no copy of the key is left behind by a realloc */
    if (jb_buf_reserve(out, 256) < 0) return -ENOMEM;
    jb__seal_hex(k->k, JB_SEAL_LEN, khex);
    int r = jb_buf_printf(out, KEY_MAGIC "key-id=%s\nepoch=%" PRIu64 "\nkey=%s\n", k->id, k->epoch, khex);
    OPENSSL_cleanse(khex, sizeof khex);
    return r;
}

static void buf_wipe(jb_buf *b) {
    if (b->data) OPENSSL_cleanse(b->data, b->cap);
    jb_buf_done(b);
}

int jb_seal_key_save(const char *path, const jb_seal_key *k, jb_error *err) {
    jb_buf text = JB_BUF_INIT;
    if (key_text(k, &text) < 0) {
        buf_wipe(&text);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    int r = jb_file_write_atomic(path, "key file", text.data, text.len, 0, err);
    buf_wipe(&text);
    return r;
}

int jb_seal_keygen(const char *path, char ret_line[JB_SEAL_VERIFY_LINE_MAX], jb_error *err) {
    jb_seal_key k = {.epoch = 0};
    if (RAND_bytes(k.k, JB_SEAL_LEN) != 1) return jb_error_set(err, -EIO, "cannot draw a random key (RAND_bytes)");
    jb_seal_key_id(k.k, k.id);
    jb_buf text = JB_BUF_INIT;
    int r = key_text(&k, &text) < 0
                ? jb_error_set(err, -ENOMEM, "out of memory")
                : jb_file_write_atomic(path, "key file", text.data, text.len, JB_FILE_NO_REPLACE, err);
    buf_wipe(&text);
    if (r >= 0) {
        char khex[2 * JB_SEAL_LEN + 1];
        jb__seal_hex(k.k, JB_SEAL_LEN, khex);
        snprintf(ret_line, JB_SEAL_VERIFY_LINE_MAX, "jbridge-verify-key 1 hmac-sha256 %s %s", k.id, khex);
        OPENSSL_cleanse(khex, sizeof khex);
    }
    jb_seal_key_wipe(&k);
    return r;
}

/* "NAME=VALUE\n" at *p: the value's slice; *p moves past the line. */
static bool key_line(const char **p, const char *end, const char *name, const char **ret, size_t *ret_len) {
    size_t n = strlen(name);
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl || (size_t)(nl - *p) < n + 1 || memcmp(*p, name, n) != 0 || (*p)[n] != '=') return false;
    *ret = *p + n + 1;
    *ret_len = (size_t)(nl - *ret);
    *p = nl + 1;
    return true;
}

static int parse_key(const char *path, const char *d, size_t n, jb_seal_key *ret, jb_error *err) {
    const char *p = d, *end = d + n, *v;
    size_t vlen;
    jb_seal_key k = {.epoch = 0};
    uint8_t id[JB_SEAL_ID_LEN / 2];
    bool ok = n >= strlen(KEY_MAGIC) && memcmp(d, KEY_MAGIC, strlen(KEY_MAGIC)) == 0;
    if (ok) p += strlen(KEY_MAGIC);
    ok = ok && key_line(&p, end, "key-id", &v, &vlen) && vlen == JB_SEAL_ID_LEN &&
         jb__seal_unhex(v, vlen, id, sizeof id) == 0;
    if (ok) memcpy(k.id, v, JB_SEAL_ID_LEN), k.id[JB_SEAL_ID_LEN] = 0;
    /* epochs up to 4294967295, as the verifier takes them (doc/sealing.md) */
    ok = ok && key_line(&p, end, "epoch", &v, &vlen) && vlen <= 10 && jb_parse_u64(v, vlen, &k.epoch) == 0 &&
         (vlen == 1 || v[0] != '0') && k.epoch <= JB_SEAL_EPOCH_MAX;
    ok = ok && key_line(&p, end, "key", &v, &vlen) && jb__seal_unhex(v, vlen, k.k, JB_SEAL_LEN) == 0 && p == end;
    if (!ok) {
        jb_seal_key_wipe(&k);
        return jb_error_set(err, -EBADMSG,
                            "key file %s is not a jbridge seal key (\"jbridge-seal-key 1\", key-id=, epoch=, key=)",
                            path);
    }
    *ret = k;
    jb_seal_key_wipe(&k);
    return 0;
}

static int load_fd(const char *path, int fd, jb_seal_key *ret, jb_error *err) {
    struct stat st;
    if (fstat(fd, &st) < 0) return jb_error_set(err, -errno, "cannot stat key file %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return jb_error_set(err, -EPERM, "key file %s is not a regular file", path);
    if (st.st_uid != geteuid())
        return jb_error_set(err, -EPERM, "key file %s is owned by uid %u, not by the user running jbridge (%u)", path,
                            (unsigned)st.st_uid, (unsigned)geteuid());
    if (st.st_mode & 077)
        return jb_error_set(err, -EPERM, "key file %s has mode %04o: group and others must have no access (0600)", path,
                            (unsigned)(st.st_mode & 07777));
    char buf[KEY_FILE_MAX + 1];
    size_t n = 0;
    for (;;) {
        ssize_t k = read(fd, buf + n, sizeof buf - n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            int e = errno;
            OPENSSL_cleanse(buf, sizeof buf);
            return jb_error_set(err, -e, "cannot read key file %s: %s", path, strerror(e));
        }
        if (k == 0 || (n += (size_t)k) == sizeof buf) break;
    }
    int r = n > KEY_FILE_MAX ? jb_error_set(err, -EBADMSG, "key file %s is too large", path)
                             : parse_key(path, buf, n, ret, err);
    OPENSSL_cleanse(buf, sizeof buf);
    return r;
}

int jb_seal_key_load(const char *path, jb_seal_key *ret, jb_error *err) {
    /* O_NOFOLLOW: a symbolic link is refused (ELOOP); O_NONBLOCK: a FIFO must not block the open */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP) return jb_error_set(err, -EPERM, "key file %s is a symbolic link, which is refused", path);
        return jb_error_set(err, -e, "cannot open key file %s: %s", path, strerror(e));
    }
    int r = load_fd(path, fd, ret, err);
    close(fd);
    return r;
}
