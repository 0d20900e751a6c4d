/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Time: the clock in microseconds (one helper for every caller). RFC 3339 parsing and formatting
 * and the civil-date arithmetic they share live here too. */

#include <stdint.h>
#include <time.h>

/* The clock clk (CLOCK_MONOTONIC, CLOCK_REALTIME...) in microseconds; 0 when it cannot be read. */
uint64_t jb_now_usec(clockid_t clk);
