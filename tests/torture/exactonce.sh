#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Torture: `jbridge --follow --state` writing two regular files, killed with SIGKILL at random
# moments while a writer emits Docker-style entries into a real journald, then the output file
# system (a small tmpfs of its own) filled up until jbridge fails, freed, and jbridge started
# again. The command cuts each output back to the length its state recorded with the cursor
# before reading on (src/outfile.h), so every entry must arrive exactly once: 0 lost,
# 0 duplicated, no torn line. Kills: 8 at 1000 entries/s (CI), 20 at 2000/s with TORTURE_FULL=1.

. "$(dirname "$0")/lib.sh"
jb_live_setup "$JBRIDGE" "$JB_WRITE" -- "$@"

KILLS=$(jb_count 8 20)
RATE=$(jb_count 1000 2000)
K=5 # every 5th line is an audit record
OUT=$JB_TMP/out
mkdir -p "$OUT"
# room for every record of the run (about 300 bytes an entry), filled up on purpose once
mount -t tmpfs -o "size=$(jb_count 16m 128m),mode=0755" jbtest "$OUT" || jb_bail_out "cannot mount a tmpfs on $OUT"
jb_on_cleanup 'umount -l "$OUT" 2>/dev/null'
A=$OUT/app.log
B=$OUT/audit.log
S=$OUT/state # on the file system that fills up too

BRIDGE=
jb_on_cleanup '[ -z "$BRIDGE" ] || kill -KILL "$BRIDGE" 2>/dev/null'
start_bridge() {
    "$JBRIDGE" --follow --state "$S" --app-out "$A" --audit-out "$B" 2>>"$JB_TMP/bridge.err" </dev/null &
    BRIDGE=$!
}
kill_bridge() {
    kill -KILL "$BRIDGE" 2>/dev/null
    wait "$BRIDGE" 2>/dev/null || true
    BRIDGE=
}

t0=$(date +%s)
writer_start_only() {
    "$JB_WRITE" --quiet --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count 100000000 --audit-every "$K" \
        --prefix x --rate "$RATE" 2>>"$JB_TMP/writer.err" &
    WRITER=$!
}
writer_start_only
start_bridge
# Each start catches up a backlog (the entries written while it was down, 1-2 s of them), writing
# records before it saves the state: a kill there is what used to leave records twice. Odd kills
# come 0-80 ms after the start (while it catches up), even ones 0-100 ms after the output grew.
for i in $(seq 1 "$KILLS"); do
    if [ $((i % 2)) -eq 1 ]; then
        sleep "$(printf "0.%03d" $((RANDOM % 80)))"
    else
        wait_growth "$A" "kill $i"
        sleep "$(printf "0.%03d" $((RANDOM % 100)))"
    fi
    kill_bridge
    sleep "$(printf "%d.%03d" $((1 + RANDOM % 2)) $((RANDOM % 1000)))"
    start_bridge
done

# the output file system fills up: jbridge must fail, leaving no half record
wait_growth "$A" "before filling"
dd if=/dev/zero of="$OUT/fill" bs=64k 2>/dev/null || true
if jb_wait_pid_exit "$BRIDGE" 60; then
    jb_is "$JB_EXIT_STATUS" 1 "jbridge exits 1 when the output file system is full"
else
    jb_fail "jbridge exits when the output file system is full"
    kill_bridge
fi
BRIDGE=
full_err=$(grep -c "No space left on device" "$JB_TMP/bridge.err")
jb_ok "it says the file system is full" test "$full_err" -ge 1
torn_full=$(tail -c 1 "$A" | od -An -c | tr -d ' ')
jb_is "$torn_full" '\n' "the application output ends with a whole record on a full file system"
rm -f "$OUT/fill"
start_bridge
wait_growth "$A" "after freeing"
sleep "$(printf "0.%03d" $((RANDOM % 300)))"
kill_bridge
start_bridge

writer_stop
journal_seqs x >"$JB_TMP/expected"
total=$(wc -l <"$JB_TMP/expected")
got() { { seqs_app "$A" x; seqs_audit "$B" x; } | sort -u | wc -l; }
jb_wait_for "[ \$(got) -ge $total ]" 120 || jb_diag "only $(got) of $total arrived"
kill -TERM "$BRIDGE"
jb_wait_pid_exit "$BRIDGE" 30 && jb_is "$JB_EXIT_STATUS" 0 "jbridge exits 0 on SIGTERM at the end"
[ "${JB_EXIT_STATUS:-0}" -eq 0 ] || jb_diag "$(tail -n 3 "$JB_TMP/bridge.err")"
BRIDGE=
t1=$(date +%s)

{ seqs_app "$A" x; seqs_audit "$B" x; } | sort -n >"$JB_TMP/got"
lost=$(count_missing "$JB_TMP/expected" "$JB_TMP/got")
dup=$(count_extra_copies "$JB_TMP/got")
# a torn line: a line that is not one whole record of its stream (each ends with its seq)
torn_app=$(LC_ALL=C grep -a -c -v -E '^<[0-9]+>1 .* seq=x-[0-9]+$' "$A")
torn_audit=$(LC_ALL=C grep -a -c -v -E '^<[0-9]+>1 .* seq="x-[0-9]+".*[^ ]$' "$B")
records=$(($(wc -l <"$A") + $(wc -l <"$B")))
cut=$(grep -c "cut back" "$JB_TMP/bridge.err")
jb_figure kills "$KILLS (SIGKILL) + 1 full file system + 1 SIGKILL after it was freed"
jb_figure entries_written "$total ($RATE/s)"
jb_figure records_delivered "$records"
jb_figure lost "$lost"
jb_figure duplicated "$dup"
jb_figure torn_lines "$((torn_app + torn_audit))"
jb_figure fell_back_to_appending "$cut"
jb_figure seconds "$((t1 - t0))"
jb_is "$lost" 0 "no entry lost over $KILLS SIGKILLs and a full file system"
jb_is "$dup" 0 "no entry duplicated"
jb_is "$((torn_app + torn_audit))" 0 "no torn line"
jb_is "$cut" 0 "no output fell back to appending (no warning)"
if [ "$dup" -gt 0 ] || [ "$cut" -gt 0 ]; then jb_diag "$(grep -v 'No space' "$JB_TMP/bridge.err" | head -5)"; fi
jb_done
