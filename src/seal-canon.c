/* SPDX-License-Identifier: Apache-2.0 */
/* The sealing scheme itself (doc/sealing.md): the RFC 5424 line split as a verifier sees it, its
 * canonical form, the seal parameters, the MAC inputs, base64, and the pure key math. Shared by
 * the sealer and the verifier, so that there is one encoder of the scheme. */
#include <openssl/evp.h>

#include "seal.h"

void jb_seal_b64(const uint8_t in[JB_SEAL_LEN], char out[JB_SEAL_B64_LEN + 1]) {
    EVP_EncodeBlock((unsigned char *)out, in, JB_SEAL_LEN);
    out[JB_SEAL_B64_LEN] = 0;
}

int jb_seal_unb64(const char *p, size_t n, uint8_t out[JB_SEAL_LEN]) {
    unsigned char tmp[JB_SEAL_B64_LEN];
    /* 32 bytes are exactly 44 characters ending in one '=' (43 significant) */
    char again[JB_SEAL_B64_LEN + 1];
    if (n != JB_SEAL_B64_LEN || p[n - 1] != '=' || p[n - 2] == '=') return -EBADMSG;
    if (EVP_DecodeBlock(tmp, (const unsigned char *)p, (int)n) != 33) return -EBADMSG;
    /* one text per value: the unused low bits of the last character must be zero */
    jb_seal_b64(tmp, again);
    if (memcmp(again, p, n) != 0) return -EBADMSG;
    memcpy(out, tmp, JB_SEAL_LEN);
    return 0;
}
