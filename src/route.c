/* SPDX-License-Identifier: Apache-2.0 */
#include "route.h"

jb_stream jb_route(const jb_record *rec) {
    if (rec->audit && rec->audit->kind != JB_AUDIT_NONE) return JB_STREAM_AUDIT;
    /* The continuation of an audit line cut at the maximum line size is audit too. */
    if (rec->part > 0 && rec->first_part_stream == JB_STREAM_AUDIT) return JB_STREAM_AUDIT;
    return JB_STREAM_APP;
}
