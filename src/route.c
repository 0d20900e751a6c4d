/* SPDX-License-Identifier: Apache-2.0 */
#include "route.h"

jb_stream jb_route(const jb_record *rec) {
    return rec->audit && rec->audit->kind != JB_AUDIT_NONE ? JB_STREAM_AUDIT : JB_STREAM_APP;
}
