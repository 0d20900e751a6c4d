#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Where rsyslogd + imjbridge spends its time, thread by thread, over a journal backlog: CPU
# seconds, context switches and time runnable but waiting for a CPU ("ready", schedstat) of each
# thread (from /proc/PID/task/*/), the wall time from the
# start until both output files hold every record, and the peak RssAnon (sampled every 50 ms).
# A measuring aid beside bench.sh (row 4's configuration), not a test.
#
#   tests/bench/threads.sh JOURNAL_DIR RECORDS [imjbridge input() parameters...]
#   e.g. tests/bench/threads.sh /var/tmp/jbridge-bench/journal-n1000000-s1-922584695 1000000
#        tests/bench/threads.sh DIR 1000000 'readAhead="off"'
#        MAIN_QUEUE='main_queue(queue.type="Direct")' tests/bench/threads.sh DIR 1000000
#
# Environment: JB_BUILDDIR (default: the current directory), IMJBRIDGE (default
# $JB_BUILDDIR/.libs/imjbridge.so), RSYSLOGD (default /usr/sbin/rsyslogd), MAIN_QUEUE (a
# main_queue() statement, default none).
set -euo pipefail
journal=${1:?usage: $0 JOURNAL_DIR RECORDS [input parameters...]}
records=${2:?usage: $0 JOURNAL_DIR RECORDS [input parameters...]}
shift 2
JB_BUILDDIR=${JB_BUILDDIR:-$PWD}
IMJBRIDGE=${IMJBRIDGE:-$JB_BUILDDIR/.libs/imjbridge.so}
RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}
[ -f "$IMJBRIDGE" ] || { echo "threads.sh: no module at $IMJBRIDGE (set JB_BUILDDIR or IMJBRIDGE)" >&2; exit 1; }
d=$(mktemp -d /tmp/jb-threads.XXXXXX)
trap 'rm -rf "$d"' EXIT
mkdir "$d/work"
touch "$d/app.log" "$d/audit.log"
cat >"$d/rsyslog.conf" <<EOC
global(workDirectory="$d/work")
${MAIN_QUEUE:-}
module(load="$IMJBRIDGE")
ruleset(name="app") { action(type="omfile" file="$d/app.log" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="audit") { action(type="omfile" file="$d/audit.log" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" directory="$journal" ruleset="app" audit.ruleset="audit" persistStateInterval="10000" $*)
EOC
"$RSYSLOGD" -N1 -f "$d/rsyslog.conf" >/dev/null
start=$(date +%s%N)
"$RSYSLOGD" -n -f "$d/rsyslog.conf" -i "$d/pid" &
pid=$!
peak=0
declare -A off=([app]=0 [audit]=0) lines=([app]=0 [audit]=0)
deadline=$((start + 600 * 1000000000))
while :; do
    # only the bytes written since the last look are read: counting the whole files every 50 ms
    # made this loop cost about 2 CPU s per million records, taken from rsyslogd's cores
    for f in app audit; do
        size=$(stat -c %s "$d/$f.log")
        [ "$size" -gt "${off[$f]}" ] || continue
        lines[$f]=$((lines[$f] + $(dd if="$d/$f.log" bs=1M skip="${off[$f]}" count=$((size - off[$f])) \
            iflag=skip_bytes,count_bytes status=none | wc -l)))
        off[$f]=$size
    done
    n=$((lines[app] + lines[audit]))
    a=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
    [ "${a:-0}" -gt "$peak" ] && peak=$a
    [ "$n" -ge "$records" ] && break
    [ "$(date +%s%N)" -lt "$deadline" ] || { echo "threads.sh: only $n of $records records in 600 s" >&2; break; }
    sleep 0.05
done
end=$(date +%s%N)
tck=$(getconf CLK_TCK)
printf '%-16s %8s %10s %10s %8s\n' thread "CPU s" voluntary preempted "ready s"
for t in /proc/"$pid"/task/*; do
    read -r name <"$t/comm"
    read -r -a st <"$t/stat"
    vol=$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status")
    inv=$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status")
    # schedstat: ns on a CPU, ns runnable but waiting for one ("ready"), time slices
    read -r -a ss <"$t/schedstat" || ss=(0 0 0)
    # utime and stime are fields 14 and 15; the name (field 2) has no spaces for rsyslog's threads
    printf '%-16s %8.2f %10s %10s %8.2f\n' "$name" "$(echo "(${st[13]} + ${st[14]}) / $tck" | bc -l)" "$vol" "$inv" \
        "$(echo "${ss[1]} / 1000000000" | bc -l)"
done
kill -TERM "$pid"
wait "$pid" || true
echo "records $n, wall $(echo "($end - $start) / 1000000000" | bc -l | cut -c1-5) s, RssAnon peak $((peak / 1024)) MB"
