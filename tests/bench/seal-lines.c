/* SPDX-License-Identifier: Apache-2.0 */
/* jb-bench-seal-lines N EVERY: N sealed audit records of one chain on standard output, a
 * heartbeat and an epoch move after every EVERY records, a stop at the end, under the test-vector
 * key of doc/sealing.md (K0 = bytes 0 to 31; its verification key line is in that page). The input
 * of the verifier's figures in tests/bench/RESULTS.md ("jbridge verify"). */
#include <stdlib.h>

#include "../unit/sealgen.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: jb-bench-seal-lines N EVERY\n");
        return 2;
    }
    size_t n = strtoul(argv[1], NULL, 10), every = strtoul(argv[2], NULL, 10);
    uint8_t k0[JB_SEAL_LEN];
    for (int i = 0; i < JB_SEAL_LEN; i++) k0[i] = (uint8_t)i;
    sg_chain c;
    sg_init(&c, k0, JB_STREAM_AUDIT, "host-1");
    jb_buf b = JB_BUF_INIT;
    char rid[32];
    uint64_t t0 = UINT64_C(1796299200000000);
    for (size_t k = 1; k <= n; k++) {
        snprintf(rid, sizeof rid, "%016zx", k);
        sg_record(
            &c, t0 + k * 1000, rid,
            "2026-12-03 12:00:00 [INFO] [Audit Log] {\"resource\":\"run\",\"action\":\"apply\",\"actor\":\"alice\"}",
            &b);
        if (every && k % every == 0) {
            sg_beat(&c, "heartbeat", t0 + k * 1000, 60, &b);
            sg_evolve(&c);
        }
        if (b.len > 1 << 20) {
            fwrite(b.data, 1, b.len, stdout);
            jb_buf_reset(&b);
        }
    }
    sg_beat(&c, "stop", t0 + (n + 1) * 1000, 60, &b);
    fwrite(b.data, 1, b.len, stdout);
    jb_buf_done(&b);
    return fflush(stdout) == 0 ? 0 : 1;
}
