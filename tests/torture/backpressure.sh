#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Torture: the audit output is blocked (an omfwd target on 127.0.0.1 that is down) while a writer
# emits Docker-style entries. Queues as in examples/tfe-forward.conf (TLS left out): bounded
# in-memory ruleset queues (imjbridge waits when one is full: full-delay flow control), the audit
# action with a disk-assisted queue (memory part 5000 messages, spills to disk from 4000), retried
# forever every 1 s at first, at most every 5 s (30 s in the example). imjbridge reads until
# maxInFlight (default 10000) messages are out and rsyslog has not finished them (the application
# stream too: its position cannot pass the audit records that wait), then waits; the journal keeps
# the rest. Nothing is dropped from either stream, rsyslogd's heap (RssAnon) stays bounded, and
# delivery resumes when a receiver (a second rsyslogd with imtcp) comes up. Entries: 20000 (CI),
# 200000 with TORTURE_FULL=1 (target down >= 60 s).
# Then the same entries again, from the start of the journal, through rsyslog's default queues
# (no queue of their own: the 100000-message main queue) with the target down: imjbridge's
# maxInFlight (default 10000) alone must stop the reading and bound the heap.

. "$(dirname "$0")/lib.sh"
torture_setup "$@"

N=$(jb_count 20000 200000)
A=$JB_TMP/app.log
R=$JB_TMP/received.log
PORT=$((20000 + RANDOM % 20000))
mkdir -p "$JB_TMP/work" "$JB_TMP/rwork"
cat >"$JB_TMP/rsyslog.conf" <<EOC
global(workDirectory="$JB_TMP/work")
module(load="impstats" interval="2" format="json" log.syslog="off" log.file="$JB_TMP/stats.log")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
ruleset(name="tfe-audit" queue.type="LinkedList" queue.size="5000") {
    action(type="omfwd" target="127.0.0.1" port="$PORT" protocol="tcp"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
           queue.type="LinkedList" queue.size="5000" queue.highWatermark="4000" queue.lowWatermark="1000"
           queue.filename="tfe-audit-fwd" queue.maxDiskSpace="1g" queue.saveOnShutdown="on"
           action.resumeRetryCount="-1" action.resumeInterval="1" action.resumeIntervalMax="5")
}
ruleset(name="tfe-app" queue.type="LinkedList" queue.size="5000") {
    action(type="omfile" file="$A" template="RSYSLOG_SyslogProtocol23Format")
}
input(type="imjbridge" containers=["tfe-*"] ruleset="tfe-app" audit.ruleset="tfe-audit")
EOC
cat >"$JB_TMP/receiver.conf" <<EOC
global(workDirectory="$JB_TMP/rwork")
module(load="imtcp")
ruleset(name="in") { action(type="omfile" file="$R" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imtcp" port="$PORT" address="127.0.0.1" ruleset="in")
EOC

t0=$(date +%s)
rs_start "$JB_TMP/rsyslog.conf"
base=$(rss_anon "$RS")
"$JB_WRITE" --quiet --container tfe-atlas --count "$N" --audit-every 2 --prefix b 2>>"$JB_TMP/writer.err" ||
    jb_bail_out "jb-write failed"
# while the target is down: sample the heap until the input waits at maxInFlight (or read
# everything, for a count below it), then a few seconds more with the queues holding the audit stream
peak=$base
apps=$((N / 2))
sample() { local v; v=$(rss_anon "$RS"); [ "$v" -gt "$peak" ] && peak=$v; true; }
# ctr FILE KEY: the input's counter KEY in the last impstats report of FILE
ctr() { grep -s '"origin": "imjbridge"' "$1" | tail -n 1 | grep -o "\"$2\": [0-9]*" | grep -o '[0-9]*$'; }
jb_wait_for "sample; [ \"\$(ctr '$JB_TMP/stats.log' inflight.waits)\" -ge 1 ] || [ \$(seqs_app '$A' b | wc -l) -ge $apps ]" 120 ||
    jb_diag "the input neither read everything nor waited at maxInFlight"
for _ in $(seq 1 10); do sample; sleep 0.5; done # sampling over time (a measurement)
# the full run keeps the target down for at least a minute, so the action's retries back off
min_down=$(jb_count 0 60)
while [ $(($(date +%s) - t0)) -lt "$min_down" ]; do sample; sleep 1; done
down_s=$(($(date +%s) - t0))
queued=$(find "$JB_TMP/work" -name 'tfe-audit-fwd*' -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
read_down=$(ctr "$JB_TMP/stats.log" read)
apps_down=$(seqs_app "$A" b | wc -l)

# the receiver comes up: delivery resumes
RS_MAIN=$RS
RS=
"$RSYSLOGD" -n -f "$JB_TMP/receiver.conf" -i "$JB_TMP/receiver.pid" >>"$JB_TMP/receiver.log" 2>&1 &
RECV=$!
jb_on_cleanup "kill -TERM $RECV 2>/dev/null"
RS=$RS_MAIN
t1=$(date +%s)
got_audit() { seqs_audit "$R" b | sort -u | wc -l; }
got_app() { seqs_app "$A" b | sort -u | wc -l; }
jb_wait_for "sample; [ \$(got_audit) -ge $apps ] && [ \$(got_app) -ge $apps ]" 300 ||
    jb_diag "only $(got_audit) of $apps audit and $(got_app) of $apps application records delivered"
resume_s=$(($(date +%s) - t1))
sample
rs_stop
kill -TERM $RECV
jb_wait_pid_exit $RECV 30

seq 2 2 "$N" >"$JB_TMP/expected"
seqs_audit "$R" b | sort -n >"$JB_TMP/got"
lost=$(count_missing "$JB_TMP/expected" "$JB_TMP/got")
dup=$(count_extra_copies "$JB_TMP/got")
app_lost=$(count_missing <(seq 1 2 "$N") <(seqs_app "$A" b))
jb_figure entries "$N (half audit)"
jb_figure target_down_seconds "$down_s"
jb_figure while_down "read ${read_down:-?} entries, wrote $apps_down application records"
jb_figure audit_queue_on_disk_bytes "$queued"
jb_figure rss_anon_kB "start $base, peak $peak"
jb_figure audit_lost "$lost"
jb_figure audit_duplicated "$dup"
jb_figure app_lost "$app_lost"
jb_figure resume_seconds "$resume_s (every audit record received and every application record written after the target came up)"
jb_is "$lost" 0 "0 audit records dropped while the target was down"
jb_is "$app_lost" 0 "0 application records dropped"
jb_ok "the queue spilled to disk while the target was down ($queued bytes)" test "$queued" -gt 0
jb_ok "heap bounded: peak RssAnon $peak kB < start $base kB + 64 MiB" test "$peak" -lt $((base + 65536))

# ---- rsyslog's default queues, the target down (the receiver stopped above) ----
mkdir -p "$JB_TMP/work2"
cat >"$JB_TMP/default.conf" <<EOC
global(workDirectory="$JB_TMP/work2")
module(load="impstats" interval="1" format="json" log.syslog="off" log.file="$JB_TMP/stats2.json")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
ruleset(name="tfe-audit") {
    action(type="omfwd" target="127.0.0.1" port="$PORT" protocol="tcp" template="RSYSLOG_SyslogProtocol23Format"
           action.resumeRetryCount="-1" action.resumeInterval="1")
}
ruleset(name="tfe-app") { action(type="omfile" file="$JB_TMP/app2.log" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" containers=["tfe-*"] ruleset="tfe-app" audit.ruleset="tfe-audit")
EOC
reports() { grep -s -c '"origin": "imjbridge"' "$JB_TMP/stats2.json"; }
rs_start "$JB_TMP/default.conf"
base2=$(rss_anon "$RS")
peak2=$base2
sample2() { local v; v=$(rss_anon "$RS"); [ "$v" -gt "$peak2" ] && peak2=$v; true; }
jb_wait_for "sample2; [ \"\$(ctr '$JB_TMP/stats2.json' inflight.waits)\" -ge 1 ]" 60 || jb_diag "the input never reached maxInFlight"
# three more impstats reports (one a second), sampling: reading must stay stopped
have=$(reports)
jb_wait_for "sample2; [ \$(reports) -ge $((have + 3)) ]" 20 || jb_diag "impstats stopped reporting"
read2=$(ctr "$JB_TMP/stats2.json" read)
inflight2=$(ctr "$JB_TMP/stats2.json" inflight)
mainq=$(grep -s '"name": "main Q"' "$JB_TMP/stats2.json" | tail -n 1 | grep -o '"size": [0-9]*' | grep -o '[0-9]*$')
rs_stop || true
jb_figure default_queues "$N entries in the journal, target down: read ${read2:-?}, in flight ${inflight2:-?}, main queue ${mainq:-?}, RssAnon $base2 kB when first sampled, peak $peak2 kB"
jb_ok "default queues: reading stops at maxInFlight (read ${read2:-?} <= 10000 + one batch of 1024)" \
    test "${read2:-999999}" -le $((10000 + 1024))
# against the idle heap of the first run (this one is reading from its first moment)
jb_ok "default queues: heap bounded, peak RssAnon $peak2 kB < idle $base kB + 64 MiB" test "$peak2" -lt $((base + 65536))
jb_done
