#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Latency row of the benchmark: from a container's write to its output line, for rsyslogd +
# imjbridge and rsyslogd + imjournal side by side, on a real systemd-journald (tmpfs, rate limit
# off) in a private mount namespace. jb-bench-latency (latency.c) sends Docker-style entries at a
# fixed rate, every tenth an audit line, and tails the outputs; each row prints p50/p99/max.
#
# Rates: LAT_RATES (default "10000 0"; 0 is as fast as journald takes them, the highest rate it
# accepts here). LAT_COUNT entries per run (default 50000), LAT_RUNS runs per row (default 3).
# LAT_ROWS (default "imjbridge imjournal"; "raw" is the sender following the journal itself with
# sd-journal, no rsyslogd: journald's own part, the least any reader can show; "jbridge" is the
# command, jbridge --follow --tail, writing the two files: the reader and pipeline without rsyslogd). Columns besides
# p50/p99/max: jd_p99_ms, the send -> journald part (the line's timestamp is the entry's receive
# time), and late, the entries over 50 ms. LAT_BURSTS=1 describes each run of late entries
# (latency.c --bursts) under its row. Before the LAT_COUNT measured entries, each run sends
# LAT_WARMUP more at the same rate (default: a second's worth, 20000 at rate 0), left out of
# the percentiles: the input wakes from idle on them. first_ms is the first one's latency (the
# wake), warm_ms the worst of them.
# From the build tree (after make):   ../tests/bench/latency.sh
# Figures go to tests/bench/RESULTS.md by hand, with this command.

set -u
here=$(cd "$(dirname "$0")" && pwd)
JB_SRCDIR=${JB_SRCDIR:-$(cd "$here/../.." && pwd)}
JB_BUILDDIR=${JB_BUILDDIR:-$PWD}
# shellcheck source=tests/integration/lib.sh
. "$JB_SRCDIR/tests/integration/lib.sh"

IMJBRIDGE=${IMJBRIDGE:-$JB_BUILDDIR/.libs/imjbridge.so}
RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}
RATES=${LAT_RATES:-10000 0}
COUNT=${LAT_COUNT:-50000}
RUNS=${LAT_RUNS:-3}
ROWS=${LAT_ROWS:-imjbridge imjournal}
BURSTS=${LAT_BURSTS:+--bursts}
# warmup RATE: the entries sent before the measured ones
warmup() { echo "${LAT_WARMUP:-$(($1 > 0 ? $1 : 20000))}"; }
LAT=$JB_BUILDDIR/tests/bench/jb-bench-latency
# always through make: a binary left from an older tree would not know today's options
make -C "$JB_BUILDDIR" tests/bench/jb-bench-latency >/dev/null || jb_bail_out "cannot build jb-bench-latency"
[ -f "$IMJBRIDGE" ] || jb_bail_out "no imjbridge.so at $IMJBRIDGE (make first, or set IMJBRIDGE)"

jb_live_setup "$RSYSLOGD" -- "$@"
# the sender is the trusted "Docker" (lib.sh, jb_trusted_writer): a copy named dockerd, as root
mkdir -p "$JB_TMP/trusted-bin" && cp "$LAT" "$JB_TMP/trusted-bin/dockerd" || jb_bail_out "cannot copy the sender"
SENDER=$JB_TMP/trusted-bin/dockerd

# conf ROW DIR: an rsyslog.conf for ROW (imjbridge or imjournal) writing DIR/app.log and
# DIR/audit.log, reading from the end of the journal
conf() {
    local row=$1 d=$2
    mkdir -p "$d/work"
    {
        echo "global(workDirectory=\"$d/work\")"
        if [ "$row" = imjbridge ]; then
            echo "module(load=\"$IMJBRIDGE\")"
        else
            echo 'module(load="imjournal" StateFile="imjournal.state" Ratelimit.Interval="0" IgnorePreviousMessages="on")'
        fi
        echo "ruleset(name=\"app\") { action(type=\"omfile\" file=\"$d/app.log\" template=\"RSYSLOG_SyslogProtocol23Format\") }"
        echo "ruleset(name=\"audit\") { action(type=\"omfile\" file=\"$d/audit.log\" template=\"RSYSLOG_SyslogProtocol23Format\") }"
        if [ "$row" = imjbridge ]; then
            echo 'input(type="imjbridge" ruleset="app" audit.ruleset="audit" ignorePreviousMessages="on")'
        else
            # imjournal has no audit stream: the audit lines go by their text
            echo 'if $msg contains "[Audit Log]" then { call audit stop }'
            echo 'call app'
        fi
    } >"$d/rsyslog.conf"
}

printf '%-10s %-8s %-6s %10s %10s %10s %10s %10s %6s %9s %9s\n' row rate run sent_rate p50_ms p99_ms max_ms jd_p99_ms late first_ms warm_ms
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
for rate in $RATES; do
    for row in $ROWS; do
        for run in $(seq 1 "$RUNS"); do
            d=$JB_TMP/$row-$rate-$run
            if [ "$row" = raw ]; then
                out=$("$SENDER" --rate "$rate" --count "$COUNT" --audit-every 10 --warmup "$(warmup "$rate")" --timeout 60 $BURSTS --follow 2>"$JB_TMP/bursts")
                r=$?
                [ $r -eq 0 ] || rc=1
                read -r _ _ _ _ _ srate _ _ _ p50 _ p99 _ max _ jd99 _ _ _ late _ first _ warm <<<"$out"
                printf '%-10s %-8s %-6s %10s %10s %10s %10s %10s %6s %9s %9s\n' "$row" "$rate" "$run" "$srate" "$p50" "$p99" "$max" "$jd99" "$late" "$first" "$warm"
                sed 's/^/    /' "$JB_TMP/bursts"
                continue
            fi
            if [ "$row" = jbridge ]; then
                mkdir -p "$d"
                : >"$d/app.log"
                : >"$d/audit.log"
                "$JB_BUILDDIR/jbridge" --follow --tail --app-out "$d/app.log" --audit-out "$d/audit.log" 2>"$d/rsyslogd.log" &
                pid=$!
            else
                conf "$row" "$d"
                : >"$d/app.log"
                : >"$d/audit.log"
                "$RSYSLOGD" -n -f "$d/rsyslog.conf" -i "$d/pid" >"$d/rsyslogd.log" 2>&1 &
                pid=$!
                jb_wait_for "test -s '$d/pid'" 30 || jb_bail_out "rsyslogd ($row) did not start: $(cat "$d/rsyslogd.log")"
            fi
            sleep 1 # the input has opened the journal at its end
            out=$("$SENDER" --rate "$rate" --count "$COUNT" --audit-every 10 --warmup "$(warmup "$rate")" --timeout 60 $BURSTS "$d/app.log" "$d/audit.log" 2>"$JB_TMP/bursts")
            r=$?
            kill -TERM "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            [ $r -eq 0 ] || rc=1
            read -r _ _ _ _ _ srate _ _ _ p50 _ p99 _ max _ jd99 _ _ _ late _ first _ warm <<<"$out"
            printf '%-10s %-8s %-6s %10s %10s %10s %10s %10s %6s %9s %9s\n' "$row" "$rate" "$run" "$srate" "$p50" "$p99" "$max" "$jd99" "$late" "$first" "$warm"
            sed 's/^/    /' "$JB_TMP/bursts"
            [ $r -eq 0 ] || echo "  ($row: not every entry arrived within 60 s: $out)"
        done
    done
done
exit $rc
