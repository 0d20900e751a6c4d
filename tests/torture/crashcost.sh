#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Torture: what a SIGKILL of rsyslogd costs in duplicates, imjbridge with its defaults beside
# rsyslog's own imjournal, in one run. A writer emits Docker-style entries at 2000/s into a real
# journald; rsyslogd is killed at a random moment and started again, over and over. imjbridge saves
# its acknowledged position after every batch rsyslog finished (a rename, no fsync: a process crash
# does not lose the page cache), so a kill delivers again about what rsyslog wrote since the last
# save: asserted 0 lost and at most 20 duplicates per kill on average (issue 20), every copy with
# its first copy's record id. Then the same with imjournal (PersistStateInterval="100",
# Ratelimit.Interval="0", no other setting), for comparison: figures only.
# Kills: 5 of each (CI), 20 with TORTURE_FULL=1.

. "$(dirname "$0")/lib.sh"
torture_setup "$@"
KILLS=$(jb_count 5 20)
RATE=2000
K=5
PER_KILL_MAX=20

# kill_rounds CONF FILE...: start rsyslogd on CONF (with the writer), KILLS times: wait until the
# first FILE grows, kill at a random moment of the next 0-300 ms (anywhere, mid-batch), start
# again. Then stop the writer.
kill_rounds() {
    local conf=$1 i
    cp "$conf" "$JB_TMP/rsyslog.conf"
    writer_start "$PREFIX" "$RATE" "$K"
    for i in $(seq 1 "$KILLS"); do
        wait_growth "$2" "$PREFIX: kill $i"
        sleep "$(printf "0.%03d" $((RANDOM % 300)))"
        rs_kill
        rs_start "$JB_TMP/rsyslog.conf"
    done
    writer_stop
}

# ---------------------------------------------------------------- imjbridge, its defaults
PREFIX=j
A=$JB_TMP/app.log
B=$JB_TMP/audit.log
jb_imjbridge_conf "$JB_TMP/imjbridge.conf" "$A" "$B" ''
t0=$(date +%s)
kill_rounds "$JB_TMP/imjbridge.conf" "$A"
journal_seqs j >"$JB_TMP/expected.j"
total_j=$(wc -l <"$JB_TMP/expected.j")
got_j() { { seqs_app "$A" j; seqs_audit "$B" j; } | sort -u | wc -l; }
jb_wait_for "[ \$(got_j) -ge $total_j ]" 120 || jb_diag "imjbridge: only $(got_j) of $total_j arrived"
rs_stop
t1=$(date +%s)
{ seqs_app "$A" j; seqs_audit "$B" j; } | sort -n >"$JB_TMP/got.j"
lost_j=$(count_missing "$JB_TMP/expected.j" "$JB_TMP/got.j")
dup_j=$(count_extra_copies "$JB_TMP/got.j")
pairs() {
    LC_ALL=C sed -n -E 's/.*\[jbridge@[0-9]+ id="([0-9a-f]{16})".*seq=j-([0-9]+)$/\2 \1/p' "$A"
    LC_ALL=C sed -n -E 's/.*\[jbridge@[0-9]+ id="([0-9a-f]{16})".* seq="j-([0-9]+)".*/\2 \1/p' "$B"
}
pairs | sort -u >"$JB_TMP/pairs"
ids_differ=$(awk '{print $1}' "$JB_TMP/pairs" | uniq -d | wc -l)

# ---------------------------------------------------------------- imjournal
PREFIX=i
M=$JB_TMP/imjournal.log
mkdir -p "$JB_TMP/work-imjournal"
cat >"$JB_TMP/imjournal.conf" <<EOC
global(workDirectory="$JB_TMP/work-imjournal")
module(load="imjournal" StateFile="imjournal.state" PersistStateInterval="100" Ratelimit.Interval="0")
template(name="msgonly" type="string" string="%msg%\n")
action(type="omfile" file="$M" template="msgonly")
EOC
jb_ok "the imjournal config loads (rsyslogd -N1)" "$RSYSLOGD" -N1 -f "$JB_TMP/imjournal.conf"
t2=$(date +%s)
kill_rounds "$JB_TMP/imjournal.conf" "$M"
journal_seqs i >"$JB_TMP/expected.i"
total_i=$(wc -l <"$JB_TMP/expected.i")
seqs_msg() { [ -f "$1" ] && LC_ALL=C grep -a -o -E "seq(=|\":\")$2-[0-9]+" "$1" | sed -E "s/.*$2-//"; }
got_i() { seqs_msg "$M" i | sort -u | wc -l; }
jb_wait_for "[ \$(got_i) -ge $total_i ]" 120 || jb_diag "imjournal: only $(got_i) of $total_i arrived"
rs_stop
t3=$(date +%s)
seqs_msg "$M" i | sort -n >"$JB_TMP/got.i"
lost_i=$(count_missing "$JB_TMP/expected.i" "$JB_TMP/got.i")
dup_i=$(count_extra_copies "$JB_TMP/got.i")

per_kill() { awk -v d="$1" -v k="$KILLS" 'BEGIN { printf "%.1f\n", d / k }'; }
jb_figure kills "$KILLS (SIGKILL) each, writer $RATE entries/s (every ${K}th an audit record)"
jb_figure imjbridge "$total_j entries, lost $lost_j, duplicated $dup_j ($(per_kill "$dup_j") per kill), $((t1 - t0)) s (defaults: persistStateInterval 1000, maxInFlight 10000)"
jb_figure imjournal "$total_i entries, lost $lost_i, duplicated $dup_i ($(per_kill "$dup_i") per kill), $((t3 - t2)) s (PersistStateInterval 100, Ratelimit.Interval 0)"
jb_figure duplicates_with_another_id "$ids_differ"
jb_is "$lost_j" 0 "imjbridge: no entry lost over $KILLS SIGKILLs"
jb_ok "imjbridge: $dup_j duplicates over $KILLS kills, at most $PER_KILL_MAX per kill on average" \
    test "$dup_j" -le $((KILLS * PER_KILL_MAX))
jb_is "$ids_differ" 0 "imjbridge: every duplicate carries the record id of its first copy"
jb_done
