/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Time: the clock in microseconds (one helper for every caller), and RFC 3339 timestamps, parsed
 * and written with the civil-date arithmetic they share (plain arithmetic, no time zone lookup or
 * lock as in gmtime_r()/timegm()). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

/* The clock clk (CLOCK_MONOTONIC, CLOCK_REALTIME...) in microseconds; 0 when it cannot be read. */
uint64_t jb_now_usec(clockid_t clk);

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1-12; d need not be checked:
 * day 31 of a month of 30 gives the first of the next month). */
int64_t jb_days_from_civil(int64_t y, unsigned m, unsigned d);

/* The number of days (28-31) of month m (1-12) of year y. */
int jb_days_in_month(int y, int m);

/* Length of an RFC 3339 UTC timestamp with microseconds: "2018-03-27T21:55:29.000000Z". */
#define JB_RFC3339_LEN 27

/* The last time an RFC 3339 timestamp (four-digit years) can hold: 9999-12-31T23:59:59.999999Z. */
#define JB_TIME_MAX_USEC UINT64_C(253402300799999999)

/* The one rule for record times, in both adapters: a time is usable when RFC 3339 can write it
 * (1970 to 9999; times before 1970 never parse). An entry's time that is not (a forged or odd
 * SYSLOG_TIMESTAMP or _SOURCE_REALTIME_TIMESTAMP) gives way to the next one (jb_entry_finish());
 * when even the receive time is not, the command writes the NILVALUE and the module the time it
 * reads the entry. */
static inline bool jb_time_usable(uint64_t usec) {
    return usec <= JB_TIME_MAX_USEC;
}

/* Write usec (microseconds since the epoch) as an RFC 3339 UTC timestamp with microseconds into
 * out: JB_RFC3339_LEN bytes and a NUL. 0, or -ERANGE for a time after 9999-12-31 (out
 * unchanged). */
int jb_rfc3339_write(uint64_t usec, char out[static JB_RFC3339_LEN + 1]);

/* Append the same to out. 0, -ENOMEM, or -ERANGE for a time after 9999-12-31 (out unchanged). */
int jb_format_time(jb_buf *out, uint64_t usec);

/* Parse an RFC 3339 timestamp (Docker's SYSLOG_TIMESTAMP: "2023-01-02T03:04:05.123456789Z" or with
 * a +hh:mm offset) of n bytes into microseconds since the epoch. The fraction (optional, 1-9
 * digits) is truncated to microseconds; 'T' and 'Z' may be lower case; second 60 (leap second)
 * is accepted as the next second. 0 or -EINVAL (malformed, impossible date, trailing bytes,
 * before the epoch). */
int jb_parse_rfc3339(const char *p, size_t n, uint64_t *ret_usec);
