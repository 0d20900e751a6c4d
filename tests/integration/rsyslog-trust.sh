#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 15, attacks 1 and 2 against Debian's rsyslogd with imjbridge: the same attacks as trust.sh
# (trust-lib.sh: a forged audit line, a forged split-line piece with the container's id, a flood of
# 1000 forged first pieces around a genuine 40 KiB audit line), written by nobody to a real
# journald in a private mount namespace. rsyslogd follows the system journal from before the
# first forged entry: nothing forged reaches the audit ruleset, every genuine audit line does,
# whole; the forged entries reach the app ruleset flagged (structured data and $!jbridge!trust,
# uid, comm) or are dropped with untrusted="drop"; impstats counts them ("untrusted"). Needs root.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"
jb_live_setup "$RSYSLOGD" "$JB_RSYSLOG_MODULES/imjbridge.so" "$JB_WRITE" /usr/bin/python3 \
    "$(command -v setpriv || echo setpriv)" -- "$@"
# shellcheck source=tests/integration/trust-lib.sh
. "$(dirname "$0")/trust-lib.sh"

T=$JB_TMP
# conf NAME EXTRA: an rsyslog.conf whose imjbridge follows the system journal (state NAME.state),
# trusts the test's second genuine writer (python3 as root, see trust.sh) and writes the app and
# audit rulesets as RFC 5424 to NAME-app.log / NAME-audit.log, the JSON properties of the
# untrusted records to NAME-props.log, impstats to NAME-stats.json.
conf() {
    mkdir -p "$T/work"
    cat >"$T/$1.conf" <<EOC
global(workDirectory="$T/work")
module(load="impstats" interval="1" format="json" log.syslog="off" log.file="$T/$1-stats.json" resetCounters="off")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
template(name="props" type="string" string="%\$!jbridge!trust% %\$!jbridge!uid% %\$!jbridge!comm% %msg%\n")
ruleset(name="app") {
    action(type="omfile" file="$T/$1-app.log" template="RSYSLOG_SyslogProtocol23Format")
    if \$!jbridge!trust != "" then action(type="omfile" file="$T/$1-props.log" template="props")
}
ruleset(name="audit") { action(type="omfile" file="$T/$1-audit.log" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" ruleset="app" audit.ruleset="audit" stateFile="$1.state" trust=["uid=0,comm=python3"] $2)
EOC
    jb_ok "$1: rsyslogd -N1 accepts trust and untrusted" "$RSYSLOGD" -N1 -f "$T/$1.conf"
}
conf flag ''
conf drop 'untrusted="drop"'

PIDS=()
start_both() {
    jb_rsyslogd_start flag "$T/flag.conf"
    PIDS+=("$RS_PID")
    jb_rsyslogd_start drop "$T/drop.conf"
    PIDS+=("$RS_PID")
}
trust_write_attacks start_both

# every genuine record, and the forged pieces still pending once they time out (5 s)
jb_wait_for '[ "$(grep -c "seq=\"g3-1\"" "$T/flag-audit.log" 2>/dev/null)" -ge 1 ] &&
    [ "$(grep -c forged-c- "$T/flag-app.log" 2>/dev/null)" -ge 1000 ] &&
    [ "$(grep -c "seq=\"g3-1\"" "$T/drop-audit.log" 2>/dev/null)" -ge 1 ]' 60 ||
    jb_diag "not everything arrived in 60 s"
# the counters once impstats wrote them after the last record
sleep_until_stats() {
    jb_wait_for "grep -q '\"untrusted\": *1002' '$T/$1-stats.json'" 10
}
jb_ok "flag: impstats counts the 1002 untrusted entries" sleep_until_stats flag
jb_ok "drop: impstats counts the 1002 dropped entries" sleep_until_stats drop
RSS=$(awk '/^RssAnon:/ {print $2}' "/proc/${PIDS[0]}/status")
jb_diag "rsyslogd (imjbridge) after the flood: RssAnon ${RSS} kB"
jb_rsyslogd_stop "${PIDS[0]}" "flag"
jb_rsyslogd_stop "${PIDS[1]}" "drop"

trust_check "imjbridge" "$T/flag-app.log" "$T/flag-audit.log" flag
trust_check "imjbridge, untrusted=drop" "$T/drop-app.log" "$T/drop-audit.log" drop
jb_is "$(grep -c '^untrusted 65534 python3 .*forged' "$T/flag-props.log")" 1002 \
    "imjbridge: \$!jbridge!trust, uid and comm name the forger on every forged record"
jb_is "$(grep -c -v forged "$T/flag-props.log")" 0 "imjbridge: no genuine record is flagged"

jb_done
