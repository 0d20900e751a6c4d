#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Torture: journalctl --rotate, --vacuum-files and --vacuum-size while a writer writes and
# rsyslogd with imjbridge reads. Every entry that still existed when the reader reached it arrives
# once; entries vacuumed before they were read (while rsyslogd was stopped) are counted as a gap
# (impstats counter "gaps" and one log line naming the range), never silently skipped; the idle
# input uses next to no CPU. Rounds: 5 (CI), 30 with TORTURE_FULL=1.

. "$(dirname "$0")/lib.sh"
torture_setup "$@"

ROUNDS=$(jb_count 5 30)
RATE=2000
A=$JB_TMP/app.log
B=$JB_TMP/audit.log
mkdir -p "$JB_TMP/work"
cat >"$JB_TMP/rsyslog.conf" <<EOC
global(workDirectory="$JB_TMP/work" processInternalMessages="on")
module(load="impstats" interval="1" format="json" log.file="$JB_TMP/stats.log" log.syslog="off")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
ruleset(name="app") { action(type="omfile" file="$A" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="audit") { action(type="omfile" file="$B" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" ruleset="app" audit.ruleset="audit" containers=["tfe-*"] persistStateInterval="1000")
*.* action(type="omfile" file="$JB_TMP/internal.log")
EOC
size() { stat -c %s "$A" 2>/dev/null || echo 0; }
got() { { seqs_app "$A" v; seqs_audit "$B" v; } | sort -u | wc -l; }
stat_of() { tail -n 20 "$JB_TMP/stats.log" 2>/dev/null | grep imjbridge | tail -n 1 | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p"; }

# 1. reading live through rotation and vacuum: nothing lost, nothing twice
t0=$(date +%s)
rs_start "$JB_TMP/rsyslog.conf"
"$JB_WRITE" --quiet --container tfe-atlas --count 100000000 --audit-every 9 --prefix v --rate $RATE \
    2>>"$JB_TMP/writer.err" &
WRITER=$!
for i in $(seq 1 "$ROUNDS"); do
    have=$(size)
    jb_wait_for "[ \$(size) -gt $have ]" 30 || jb_diag "round $i: no progress"
    journalctl --rotate >/dev/null 2>&1 || jb_diag "round $i: --rotate failed"
    have=$(size)
    jb_wait_for "[ \$(size) -gt $have ]" 30 || jb_diag "round $i: no progress after rotation"
    if [ $((i % 2)) -eq 0 ]; then
        journalctl --vacuum-files=2 >/dev/null 2>&1
    else
        journalctl --vacuum-size=1 >/dev/null 2>&1 # keeps only the active file
    fi
done
kill -TERM "$WRITER"
jb_wait_pid_exit "$WRITER" 30
WRITER=
# what the writer wrote, read before the last vacuum could take any of it: the last entries are in
# the active file, which vacuum never removes; the reader was caught up at every vacuum (it is
# waited for below), so everything must have arrived
last=$(journal_seqs v | tail -n 1)
jb_wait_for "[ \$(got) -ge $last ]" 60 || jb_diag "only $(got) of $last arrived"
{ seqs_app "$A" v; seqs_audit "$B" v; } | sort -n >"$JB_TMP/got"
seq 1 "$last" >"$JB_TMP/expected"
lost=$(count_missing "$JB_TMP/expected" "$JB_TMP/got")
dup=$(count_extra_copies "$JB_TMP/got")
jb_wait_for "[ -n \"\$(stat_of gaps)\" ]" 10
gaps_live=$(stat_of gaps)
jb_figure live_rounds "$ROUNDS (rotate + vacuum-files=2 / vacuum-size each)"
jb_figure live_entries "$last ($RATE/s)"
jb_figure live_lost "$lost"
jb_figure live_duplicated "$dup"
jb_figure live_invalidations "$(stat_of journal.invalidations)"
jb_figure live_gaps "$gaps_live"
jb_is "$lost" 0 "live: 0 lost through $ROUNDS rotations and vacuums"
jb_is "$dup" 0 "live: 0 duplicated"
jb_is "$gaps_live" 0 "live: no gap (the reader was never behind a vacuum)"

# 2. idle: no busy loop
sleep 1 # let the last batch settle before measuring (a measurement, not a synchronisation)
cpu=$(cpu_percent "$RS" 5)
jb_figure idle_cpu_percent "$cpu (rsyslogd, all threads, over 5 s)"
jb_ok "idle rsyslogd with imjbridge uses < 2% CPU ($cpu%)" awk -v c="$cpu" 'BEGIN { exit !(c < 2) }'

# 3. vacuumed while stopped: a gap, counted and logged with its range
rs_stop
"$JB_WRITE" --quiet --container tfe-atlas --count 3000 --seq-start $((last + 1)) --audit-every 9 --prefix v
journalctl --rotate >/dev/null 2>&1
"$JB_WRITE" --quiet --container tfe-atlas --count 500 --seq-start $((last + 3001)) --audit-every 9 --prefix v
journalctl --vacuum-files=1 >/dev/null 2>&1
journal_seqs v >"$JB_TMP/present"
end=$((last + 3500))
jb_wait_for "grep -q -- '-$end\$' '$JB_TMP/present' || { journal_seqs v >'$JB_TMP/present'; false; }" 10
vacuumed=$(seq $((last + 1)) $end | sort | comm -23 - <(sort "$JB_TMP/present") | wc -l) # comm wants text order
rs_start "$JB_TMP/rsyslog.conf"
jb_wait_for "[ \$(got) -ge \$((last + 3500 - vacuumed)) ]" 60
{ seqs_app "$A" v; seqs_audit "$B" v; } | sort -n >"$JB_TMP/got"
seq $((last + 1)) $end | sort >"$JB_TMP/all2"
missing=$(comm -23 "$JB_TMP/all2" <(sort -u "$JB_TMP/got") | sort -n)
present_missing=$(printf '%s\n' "$missing" | sort | comm -12 - <(sort "$JB_TMP/present") | grep -c . || true)
L=$JB_TMP/internal.log # rsyslogd's own messages (processInternalMessages)
jb_wait_for "grep -q 'gap in' '$L'" 10
jb_wait_for "[ \"\$(stat_of gaps)\" = 1 ]" 10
gapline=$(grep 'gap in' "$L" | head -n 1)
gap_entries=$(stat_of gaps.entries)
jb_figure vacuumed_before_read "$vacuumed"
jb_figure gap_counter "$(stat_of gaps) gap(s), $gap_entries entries"
jb_figure gap_log "$(printf '%s' "$gapline" | sed 's/.*imjbridge: //')"
jb_is "$present_missing" 0 "every entry still in the journal when the reader came back arrived"
jb_is "$(printf '%s\n' "$missing" | grep -c .)" "$vacuumed" "the entries missing are exactly the $vacuumed vacuumed ones"
jb_is "$(grep -c 'gap in' "$L")" 1 "one log line for the gap"
jb_ok "the gap counts at least the vacuumed entries ($gap_entries >= $vacuumed)" test "${gap_entries:-0}" -ge "$vacuumed"
jb_ok "the log line names the range" grep -q "sequence numbers [0-9]*-[0-9]* of journal" "$L"
rs_stop
jb_figure seconds "$(($(date +%s) - t0))"
jb_done
