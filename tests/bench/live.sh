#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The live part of tests/bench/bench.sh (run by it, in a private mount namespace of its own):
# a real systemd-journald (tests/integration/lib.sh jb_start_journald: tmpfs, rate limit off),
# rsyslogd with imjbridge following the system journal, and jb-write sending N Docker-style
# entries (every tenth an audit line) with sd_journal_sendv() as fast as journald takes them.
# journald is the bottleneck: a datagram writer blocks when journald's socket is full, so the
# writer's rate is the highest rate journald accepts here.
#
# usage: live.sh REPORT N DAEMONSTAT JB_WRITE RSYSLOGD IMJBRIDGE_SO
# REPORT gets one line: the daemonstat report (marks 1 and 2 are the writer's start and end)
# followed by writer_s=SECONDS. Exit status 0 when every entry was delivered.

set -u
report=$1 n=$2 daemonstat=$3 jb_write=$4 rsyslogd=$5 imjbridge=$6

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
[ -n "${JB_PRIVATE_NS:-}" ] || jb_bail_out "live.sh runs in a private mount namespace (bench.sh starts it)"
jb_mktemp
trap jb_cleanup EXIT
jb_start_journald

W=$JB_TMP/live
mkdir -p "$W"
JB_IMJBRIDGE=$imjbridge jb_imjbridge_conf "$W/rsyslog.conf" "$W/app.log" "$W/audit.log" 'persistStateInterval="10000"'

"$daemonstat" -o "$W/report" -n "$n" -t $((120 + n / 2000)) -f "$W/app.log" -f "$W/audit.log" -s "$W/series" -- \
    "$rsyslogd" -n -f "$W/rsyslog.conf" -i "$W/rsyslogd.pid" >"$W/rsyslogd.log" 2>&1 &
ds=$!
jb_on_cleanup '[ -z "$ds" ] || kill -TERM "$ds" 2>/dev/null'
# rsyslogd writes its pid file once its inputs run
jb_wait_for "test -s '$W/rsyslogd.pid'" 30 || {
    echo "live.sh: rsyslogd did not start: $(cat "$W/rsyslogd.log")" >&2
    exit 1
}

kill -USR1 "$ds"
t0=$(date +%s%N)
"$jb_write" --quiet --container ptfe_atlas --image hashicorp/ptfe-atlas:latest --count "$n" --audit-every 10 \
    --prefix live >/dev/null 2>"$W/writer.err" || {
    echo "live.sh: jb-write failed: $(cat "$W/writer.err")" >&2
    exit 1
}
t1=$(date +%s%N)
kill -USR1 "$ds"
wait "$ds"
rc=$?
ds=
echo "$(cat "$W/report") writer_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')" >"$report"
cp "$W/series" "$report.series"
exit "$rc"
