/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Times as a user types them (jbridge bundle --since/--until), the forms journalctl takes:
 *   "2018-03-27 21:55:29" or "2018-03-27T21:55:29"  local time (seconds optional: "21:55");
 *   the same with ".fraction" (1-9 digits, truncated to microseconds) and/or a zone:
 *   "Z" or " UTC" (UTC), "+hh:mm", "-hh:mm", "+hhmm" (that offset from UTC);
 *   "2018-03-27"                                    local midnight (also with a zone);
 *   "21:55:29", "21:55"                             that time today (local, or with a zone);
 *   "@1522187729" or "@1522187729.25"               seconds since the epoch (UTC);
 *   "now"; "today", "yesterday", "tomorrow"         local midnight of that day;
 *   "-1h", "+5min", "1h 30min ago", "2d left"       now minus/plus a span: one or more
 *       NUMBER[.fraction] UNIT (blanks allowed), units as systemd's: us usec ms msec s sec second(s)
 *       m min minute(s) h hr hour(s) d day(s) w week(s) M month(s) (30.44 d) y year(s) (365.25 d);
 *       a number without a unit is seconds.
 * Not taken (journalctl takes them): a weekday before the date, two-digit years, time zone names
 * other than UTC. Local time follows TZ like journalctl. */

#include <stdint.h>

/* Parse s into microseconds since the epoch. 0, or -EINVAL (not one of the forms, an impossible
 * date such as 2018-02-30, a time before the epoch or after 9999-12-31, the clock unreadable). */
int jb_parse_time_spec(const char *s, uint64_t *ret_usec);

/* The same with "now" given (microseconds since the epoch): for the tests. */
int jb__parse_time_spec_at(const char *s, uint64_t now, uint64_t *ret_usec);
