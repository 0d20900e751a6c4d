#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# jbridge --follow against a real systemd-journald, started on tmpfs in a private mount namespace
# (the script re-executes itself under unshare): entries written with sd_journal_send() by
# tests/tools/jb-write arrive; jbridge stopped with SIGTERM/SIGINT while the writer keeps writing
# and restarted with the same --state loses nothing and repeats nothing, split lines included;
# journal rotation while following loses nothing and repeats nothing. Needs root (in CI: must
# not skip).

# shellcheck disable=SC2016 # single-quoted commands are evaluated later, on purpose
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_live_setup "$JBRIDGE" "$JB_WRITE" -- "$@"

S=$JB_TMP/state
A=$JB_TMP/app.log
B=$JB_TMP/audit.log
BRIDGE=
WRITER=
jb_on_cleanup 'stop_process_quietly "$WRITER"; stop_process_quietly "$BRIDGE"'

stop_process_quietly() {
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null || true
    jb_wait_pid_exit "$1" 10 || { kill -KILL "$1" 2>/dev/null || true; }
}

start_bridge() {
    "$JBRIDGE" --follow --state "$S" --app-out "$A" --audit-out "$B" 2>>"$JB_TMP/bridge.err" </dev/null &
    BRIDGE=$!
}

# stop_bridge SIGNAL NAME: stop jbridge and check it exits 0 and leaves a state file.
stop_bridge() {
    local sig=$1 name=$2
    kill "-$sig" "$BRIDGE"
    if ! jb_wait_pid_exit "$BRIDGE" 20; then
        jb_fail "$name: jbridge exits after SIG$sig"
        kill -KILL "$BRIDGE" 2>/dev/null || true
        wait "$BRIDGE" 2>/dev/null || true
    elif [ "$JB_EXIT_STATUS" -ne 0 ]; then
        jb_fail "$name: jbridge exits 0 after SIG$sig (got $JB_EXIT_STATUS)"
        jb_diag "$(tail -n 5 "$JB_TMP/bridge.err")"
    else
        jb_pass "$name: jbridge exits 0 after SIG$sig"
    fi
    BRIDGE=
}

# start_writer ARGS...: jb-write in the background.
start_writer() {
    "$JB_WRITE" --quiet "$@" 2>>"$JB_TMP/writer.err" &
    WRITER=$!
}

wait_writer() {
    if jb_wait_pid_exit "$WRITER" 120 && [ "$JB_EXIT_STATUS" -eq 0 ]; then
        jb_pass "$1: jb-write finished"
    else
        jb_fail "$1: jb-write finished"
        jb_diag "$(cat "$JB_TMP/writer.err")"
    fi
    WRITER=
}

# seqs_app P / seqs_audit P: the sequence numbers of prefix P found in each output, one a line.
# Application lines carry "seq=P-N" in the message, audit records seq="P-N" in audit@PEN.
seqs_app() {
    [ -f "$A" ] || return 0
    LC_ALL=C grep -a -o -E "seq=$1-[0-9]+( |\"|\$)" "$A" | sed -E "s/^seq=$1-//; s/[ \"]\$//"
}
seqs_audit() {
    [ -f "$B" ] || return 0
    LC_ALL=C grep -a -o -E " seq=\"$1-[0-9]+\"" "$B" | sed -E "s/^ seq=\"$1-//; s/\"\$//"
}
count_seqs() {
    { seqs_app "$1"; seqs_audit "$1"; } | wc -l | tr -d ' '
}

# check_seqs NAME P COUNT K: sequences 1..COUNT of prefix P each arrived exactly once, the
# multiples of K in the audit stream and the others in the application stream.
check_seqs() {
    local name=$1 p=$2 count=$3 k=$4 got want dups
    dups=$({ seqs_app "$p"; seqs_audit "$p"; } | sort -n | uniq -d | head -n 5 | tr '\n' ' ')
    jb_is "${dups:-none}" none "$name: no sequence arrived twice"
    got=$({ seqs_app "$p"; seqs_audit "$p"; } | sort -n -u | wc -l | tr -d ' ')
    jb_is "$got" "$count" "$name: all $count sequences arrived"
    want=$(seq 1 "$count" | awk -v k="$k" '$1 % k == 0' | md5sum)
    jb_is "$(seqs_audit "$p" | sort -n | md5sum)" "$want" "$name: exactly the audit lines are in the audit stream"
    want=$(seq 1 "$count" | awk -v k="$k" '$1 % k != 0' | md5sum)
    jb_is "$(seqs_app "$p" | sort -n | md5sum)" "$want" "$name: exactly the application lines are in the application stream"
}

# ---- 1. entries written to journald arrive while following
start_bridge
start_writer --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count 20 --audit-every 5 --prefix a
wait_writer "follow"
if jb_wait_for '[ "$(count_seqs a)" -ge 20 ]' 30; then
    jb_pass "follow: 20 lines written with sd_journal_send() arrive"
else
    jb_fail "follow: 20 lines written with sd_journal_send() arrive"
    jb_diag "got $(count_seqs a); jbridge stderr: $(tail -n 5 "$JB_TMP/bridge.err")"
fi
check_seqs "follow" a 20 5
jb_ok "follow: APP-NAME is the container name" grep -q ' tfe-atlas [0-9a-f]\{12\} app \[container@32473 name="tfe-atlas"' "$A"
jb_ok "follow: audit records have their audit data" grep -q '\[audit@32473 resource="workspace" action="update" resource_id="ws-5" ' "$B"
stop_bridge TERM "follow"
jb_ok "follow: the state file was saved" test -s "$S"

# ---- 2. the shapes Docker gives lines: JSON-wrapped, older split form, TTY, stderr
start_bridge
start_writer --container terraform-enterprise --image hashicorp/terraform-enterprise:v1 --wrap atlas --count 10 --audit-every 2 --prefix w
wait_writer "wrapped"
start_writer --container tfe-atlas --image hashicorp/tfe-atlas:v1 --old-partial --split 40000 --count 4 --audit-every 2 --prefix o
wait_writer "old split form"
start_writer --container tfe-atlas --image hashicorp/tfe-atlas:v1 --tty --count 4 --audit-every 2 --prefix t
wait_writer "tty"
start_writer --container tfe-atlas --image hashicorp/tfe-atlas:v1 --stderr --count 4 --audit-every 2 --prefix e
wait_writer "stderr"
jb_wait_for '[ "$(count_seqs e)" -ge 4 ]' 30 || jb_diag "shapes: got $(count_seqs e) of 4 stderr lines"
check_seqs "wrapped" w 10 2
check_seqs "old split form" o 4 2
check_seqs "tty" t 4 2
check_seqs "stderr" e 4 2
jb_is "$(grep -a -E 'seq(=|=")o-' "$A" "$B" | grep -c -v 'line="reassembled" pieces="3"')" 0 \
    "old split form: every 40000-byte line is one record of 3 pieces"
jb_is "$(grep -a -c -E 'seq=t-[0-9]+$' "$A")" 2 "tty: the trailing CR is gone"
jb_is "$(cat "$A" "$B" | grep -a -E 'seq(=|=")e-' | grep -c -v -E '^<(11|107)>')" 0 "stderr: severity 3"
stop_bridge TERM "shapes"

# ---- 3. stop and restart with the same state while the writer keeps writing
N=8000
start_writer --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count $N --rate 2000 --audit-every 7 --prefix b
start_bridge
for round in 1 2 3 4; do
    before=$(count_seqs b)
    if ! jb_wait_for "[ \$(count_seqs b) -ge $((before + 300)) ]" 30; then
        jb_diag "restart round $round: no progress (got $(count_seqs b))"
    fi
    if [ "$round" -eq 3 ]; then sig=INT; else sig=TERM; fi
    stop_bridge "$sig" "restart round $round"
    start_bridge
done
wait_writer "restart"
if jb_wait_for "[ \$(count_seqs b) -ge $N ]" 60; then
    jb_pass "restart: the backlog is read after the last restart"
else
    jb_fail "restart: the backlog is read after the last restart"
    jb_diag "got $(count_seqs b) of $N"
fi
check_seqs "restart" b $N 7
stop_bridge TERM "restart"

# ---- 4. split lines: pieces pending at a restart are read again, each line arrives whole once
N=240
start_writer --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count $N --rate 120 --audit-every 3 --split 40000 --prefix d
start_bridge
for round in 1 2 3; do
    before=$(count_seqs d)
    jb_wait_for "[ \$(count_seqs d) -ge $((before + 30)) ]" 30 || jb_diag "split round $round: no progress"
    stop_bridge TERM "split round $round"
    start_bridge
done
wait_writer "split"
jb_wait_for "[ \$(count_seqs d) -ge $N ]" 60 || jb_diag "split: got $(count_seqs d) of $N"
check_seqs "split" d $N 3
jb_is "$(grep -a -E 'seq(=|=")d-' "$A" "$B" | grep -c -v 'line="reassembled" pieces="3"')" 0 \
    "split: every 40000-byte line is one record of 3 pieces"
stop_bridge TERM "split"

# ---- 5. rotation while following: nothing lost, nothing twice
journals() { find /var/log/journal -name '*.journal' | wc -l | tr -d ' '; }
N=6000
files_before=$(journals)
start_bridge
start_writer --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count $N --rate 2000 --audit-every 11 --prefix c
for round in 1 2 3; do
    before=$(count_seqs c)
    jb_wait_for "[ \$(count_seqs c) -ge $((before + 300)) ]" 30 || jb_diag "rotation round $round: no progress"
    journalctl --rotate >/dev/null 2>&1 || jb_diag "journalctl --rotate failed"
done
wait_writer "rotation"
jb_ok "rotation: journald rotated its files" test "$(journals)" -gt "$files_before"
if jb_wait_for "[ \$(count_seqs c) -ge $N ]" 60; then
    jb_pass "rotation: jbridge keeps following across rotations"
else
    jb_fail "rotation: jbridge keeps following across rotations"
    jb_diag "got $(count_seqs c) of $N"
fi
check_seqs "rotation" c $N 11
stop_bridge TERM "rotation"

# ---- 6. everything, across all runs: one record id per record
dups=$(cat "$A" "$B" | LC_ALL=C grep -a -o -E '\[jbridge@[0-9]+ id="[0-9a-f]{16}"' | sort | uniq -d | head -n 3)
jb_is "${dups:-none}" none "record ids are unique across all runs"
jb_is "$(cat "$A" "$B" | grep -a -c -v '^<[0-9]*>1 ')" 0 "every output line is a record"
jb_is "$(grep -c . "$JB_TMP/bridge.err")" 0 "jbridge wrote no error"

jb_done
