#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Torture: rsyslogd with imjbridge stopped with SIGTERM and started again, over and over, while a
# writer emits Docker-style entries at a steady rate into a real journald. Every entry must
# arrive exactly once, in the right stream. Restarts: 10 (CI), 100 with TORTURE_FULL=1.

. "$(dirname "$0")/lib.sh"
torture_setup "$@"

RESTARTS=$(jb_count 10 100)
RATE=1000
K=7 # every 7th line is an audit record
A=$JB_TMP/app.log
B=$JB_TMP/audit.log
jb_imjbridge_conf "$JB_TMP/rsyslog.conf" "$A" "$B" 'containers=["tfe-*"] persistStateInterval="100"'

t0=$(date +%s)
writer_start r "$RATE" "$K"
clean=0
for i in $(seq 1 "$RESTARTS"); do
    wait_growth "$A" "restart $i"
    rs_stop && clean=$((clean + 1))
    rs_start "$JB_TMP/rsyslog.conf"
done
writer_stop
journal_seqs r >"$JB_TMP/expected"
total=$(wc -l <"$JB_TMP/expected")
last=$(tail -n 1 "$JB_TMP/expected")
got() { { seqs_app "$A" r; seqs_audit "$B" r; } | sort -u | wc -l; }
jb_wait_for "[ \$(got) -ge $total ]" 120 || jb_diag "only $(got) of $total arrived"
rs_stop && clean=$((clean + 1))
t1=$(date +%s)

{ seqs_app "$A" r; seqs_audit "$B" r; } | sort -n >"$JB_TMP/got"
lost=$(count_missing "$JB_TMP/expected" "$JB_TMP/got")
dup=$(count_extra_copies "$JB_TMP/got")
misrouted_audit=$(seqs_audit "$B" r | awk -v k=$K '$1 % k != 0' | wc -l)
misrouted_app=$(seqs_app "$A" r | awk -v k=$K '$1 % k == 0' | wc -l)
jb_figure restarts "$RESTARTS"
jb_figure entries_written "$total (sequence 1-$last, $RATE/s)"
jb_figure delivered_unique "$(sort -u "$JB_TMP/got" | wc -l)"
jb_figure lost "$lost"
jb_figure duplicated "$dup"
jb_figure misrouted "$((misrouted_app + misrouted_audit))"
jb_figure seconds "$((t1 - t0))"
jb_is "$clean" "$((RESTARTS + 1))" "rsyslogd exited 0 on every SIGTERM"
jb_is "$last" "$total" "the journal holds the whole sequence 1-$total"
jb_is "$lost" 0 "0 entries lost over $RESTARTS restarts"
jb_is "$dup" 0 "0 entries duplicated"
jb_is "$((misrouted_app + misrouted_audit))" 0 "every record in its stream (audit: every $K th line)"
jb_done
