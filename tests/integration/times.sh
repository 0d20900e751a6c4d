#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Out-of-range times (issue 18): a forged SYSLOG_TIMESTAMP past 9999, an odd store's
# _SOURCE_REALTIME_TIMESTAMP past 9999 or "negative", a year 0. One rule in the core
# (jb_time_usable, timestamp.h): such a time gives way to the next one, the entry's receive time.
# The command and Debian's rsyslogd with imjbridge write the same line for each, never a wrapped
# year. (A receive time past 9999 cannot be made with systemd-journal-remote: the unit test
# tests/unit/data/entry/time_range.in covers it.)

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"
jb_rsyslog_test "$JBRIDGE"

python3 - >"$JB_TMP/t.export" <<'PY'
def e(rt, extra, msg):
    print("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=1000\n_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n"
          "_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\nCONTAINER_NAME=web\n"
          "CONTAINER_ID=faf5e7d81f7a\nSYSLOG_IDENTIFIER=web\n_HOSTNAME=h\n%sMESSAGE=%s\n" % (rt, extra, msg))
e(1522187729001000, "SYSLOG_TIMESTAMP=9999-12-31T23:59:59-23:59\n", "forged-syslog-ts")
e(1522187729002000, "_SOURCE_REALTIME_TIMESTAMP=253402300800000000\n", "source-after-9999")
e(1522187729003000, "_SOURCE_REALTIME_TIMESTAMP=18446744073709551615\n", "source-negative")
e(1522187729004000, "SYSLOG_TIMESTAMP=0000-01-01T00:00:00Z\n", "year-0")
e(1522187729005000, "_SOURCE_REALTIME_TIMESTAMP=253402300799999999\n", "last-writable")
PY
jb_export_to_journal "$JB_TMP/t.export" "$JB_TMP/j" || jb_bail_out "cannot build the journal"

"$JBRIDGE" -D "$JB_TMP/j" --app-out "$JB_TMP/cli.app" </dev/null 2>"$JB_TMP/cli.err" || jb_bail_out "jbridge failed"
times() { awk '{print $2, $NF}' "$1"; }
expected="2018-03-27T21:55:29.001000Z forged-syslog-ts
2018-03-27T21:55:29.002000Z source-after-9999
2018-03-27T21:55:29.003000Z source-negative
2018-03-27T21:55:29.004000Z year-0
9999-12-31T23:59:59.999999Z last-writable"
jb_is "$(times "$JB_TMP/cli.app")" "$expected" "the command: an out-of-range time gives way to the receive time"

# rsyslogd writes the same times (its date-rfc3339 writes +00:00 for Z, and milliseconds in
# RSYSLOG_SyslogProtocol23Format: a template with the microseconds the record has)
conf=$JB_TMP/rsyslog.conf
cat >"$conf" <<EOC
global(workDirectory="$JB_TMP/work")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
template(name="t" type="string" string="<%PRI%>1 %TIMESTAMP:::date-rfc3339% %msg%\n")
ruleset(name="app") { action(type="omfile" file="$JB_TMP/rs.app" template="t") }
input(type="imjbridge" directory="$JB_TMP/j" ruleset="app" stateFile="t.state")
EOC
mkdir -p "$JB_TMP/work"
jb_rsyslogd_start rs "$conf"
jb_wait_for "test \$(wc -l <'$JB_TMP/rs.app') -ge 5" 30 || jb_diag "rsyslogd wrote $(cat "$JB_TMP/rs.app" 2>/dev/null)"
jb_rsyslogd_stop "$RS_PID" "times"
jb_is "$(sed 's/+00:00 / /' "$JB_TMP/rs.app" | awk '{print $2, $NF}' | sed -E 's/(\.[0-9]{6})/\1Z/')" "$expected" \
    "rsyslogd with imjbridge: the same times, no wrapped year"
jb_ok "no year of rsyslog's out of 1970-9999" sh -c "! grep -Eq '^<[0-9]+>1 (-|0000|[0-9]{5})' '$JB_TMP/rs.app'"
jb_done
