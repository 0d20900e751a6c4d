/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Times as a user types them (jbridge bundle --since/--until), as journalctl takes them:
 *   "2018-03-27 21:55:29" or "2018-03-27T21:55:29"  local time (seconds optional: "21:55");
 *   the same with ".fraction" (1-9 digits, truncated to microseconds) and/or a zone:
 *   "Z" (UTC) or "+hh:mm", "-hh:mm", "+hhmm" (that offset from UTC);
 *   "2018-03-27"                                    local midnight (also with a zone);
 *   "@1522187729" or "@1522187729.25"               seconds since the epoch (UTC);
 *   "now".
 * Local time follows TZ like journalctl. */

#include <stdint.h>

/* Parse s into microseconds since the epoch. 0, or -EINVAL (not one of the forms, an impossible
 * date such as 2018-02-30, a time before the epoch or after 9999-12-31). */
int jb_parse_time_spec(const char *s, uint64_t *ret_usec);
