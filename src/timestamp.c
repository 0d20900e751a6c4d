/* SPDX-License-Identifier: Apache-2.0 */
#include "timestamp.h"

uint64_t jb_now_usec(clockid_t clk) {
    struct timespec ts;
    if (clock_gettime(clk, &ts) < 0) return 0;
    return (uint64_t)ts.tv_sec * UINT64_C(1000000) + (uint64_t)ts.tv_nsec / 1000u;
}
