/* SPDX-License-Identifier: Apache-2.0 */
/* The seal settings (seal.h): their defaults and the streams word. Plain C in libjbcore, apart from
 * the sealer and its crypto (libjbseal), so that jb_config_init() and jb_config_check() give them
 * to both adapters as every other setting. */
#include "seal.h"

void jb_seal_config_init(jb_seal_config *c) {
    *c = (jb_seal_config){
        .key_path = NULL,
        .streams = {[JB_STREAM_APP] = false, [JB_STREAM_AUDIT] = true},
        .epoch_records = JB_SEAL_EPOCH_RECORDS_DEFAULT,
        .epoch_usec = (uint64_t)JB_SEAL_EPOCH_SEC_DEFAULT * 1000000u,
        .heartbeat_usec = (uint64_t)JB_SEAL_HEARTBEAT_SEC_DEFAULT * 1000000u,
    };
}

int jb_seal_streams_parse(const char *s, bool ret[2], jb_error *err) {
    bool v[2] = {false, false};
    const char *p = jb_str_or_empty(s);
    for (;;) {
        size_t n = strcspn(p, ",");
        jb_stream st;
        if (jb_slice_eq(p, n, "app"))
            st = JB_STREAM_APP;
        else if (jb_slice_eq(p, n, "audit"))
            st = JB_STREAM_AUDIT;
        else
            break;
        if (v[st]) break; /* a stream twice */
        v[st] = true;
        if (p[n] == 0) {
            ret[0] = v[0];
            ret[1] = v[1];
            return 0;
        }
        p += n + 1;
    }
    return jb_error_set(err, -EINVAL, "'%s': expected audit, app or app,audit", jb_str_or_empty(s));
}
