#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Sealed streams from the command (doc/sealing.md), as a user runs them: jbridge keygen (0600,
# never replaces a file), the key file's checks, sealing one-shot runs of real journal files and
# --follow against the suite's journald (heartbeats, a stop at a clean end, epoch moves), a
# restart with --state that continues the chain, a crash after records were written but before
# the state was saved (the records come again with the very same seals), kill -9 while a writer
# writes, a deleted state file that starts a new chain, and five kill -9 into regular files with
# epochs moving every 50 records (one whole chain per stream). Each output is checked with
# `jbridge verify` against the verification key line keygen printed.

# shellcheck disable=SC2016 # single-quoted commands are evaluated later, on purpose
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_live_setup "$JBRIDGE" "$JB_WRITE" -- "$@"

K=$JB_TMP/seal.key
VK=$JB_TMP/verify.key
S=$JB_TMP/state
A=$JB_TMP/app.log
B=$JB_TMP/audit.log
ERR=$JB_TMP/err
BRIDGE=
WRITER=
CAT=
jb_on_cleanup 'for p in "$WRITER" "$BRIDGE" "$CAT"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null; done; true'

run() {
    RC=0
    "$JBRIDGE" "$@" 2>"$ERR" </dev/null || RC=$?
}

# What the seal says, from a file: records of a stream (no heartbeats or stops), their seal.n.
seal_ns() { # FILE STREAM
    grep -a " $2 \[" "$1" | grep -a -v 'seal\.beat=' | grep -a -o ' seal\.n="[0-9]*"' | grep -o '[0-9]*'
}
chains() { # FILE STREAM: the distinct chain ids of its records, in order of appearance
    grep -a " $2 \[" "$1" | grep -a -o ' seal\.chain="[0-9a-f]*"' | awk '!seen[$0]++' | grep -o '[0-9a-f]\{16\}'
}
key_epoch() { sed -n 's/^epoch=//p' "$K"; }

HAVE_VERIFY=1
"$JBRIDGE" verify --help 2>&1 | grep -q -- --verify-key || HAVE_VERIFY=0
# verify NAME FILE...: jbridge verify accepts the files (exit 0)
verify() {
    local name=$1 rc=0
    shift
    if [ "$HAVE_VERIFY" = 0 ]; then
        jb_skip "$name: jbridge verify accepts the output" "this build has no jbridge verify"
        return
    fi
    "$JBRIDGE" verify --verify-key="$VK" "$@" >"$JB_TMP/verify.out" 2>&1 || rc=$?
    jb_is "$rc" 0 "$name: jbridge verify accepts the output"
    [ "$rc" = 0 ] || jb_diag "$(head -n 20 "$JB_TMP/verify.out")"
}

# ---- 1. keygen
(umask 022 && "$JBRIDGE" keygen --seal-key "$K" >"$VK" 2>"$ERR")
jb_is "$?" 0 "keygen exits 0"
jb_is "$(stat -c %a "$K")" 600 "keygen: the key file is 0600 whatever the umask"
jb_ok "keygen: prints the verification key line" \
    grep -qxE 'jbridge-verify-key 1 hmac-sha256 [0-9a-f]{16} [0-9a-f]{64}' "$VK"
jb_is "$(sed -n 's/^key-id=//p' "$K")" "$(cut -d' ' -f4 "$VK")" "keygen: the key file has the line's key id"
jb_is "$(key_epoch)" 0 "keygen: the key starts at epoch 0"
cp "$K" "$JB_TMP/key0"
run keygen --seal-key "$K"
jb_is "$RC" 1 "keygen refuses an existing file (exit 1)"
jb_ok "... says so" grep -q "already exists, refusing to replace it" "$ERR"
jb_ok "... and leaves it as it was" cmp "$K" "$JB_TMP/key0"
ln -s "$JB_TMP/nowhere" "$JB_TMP/dangling"
run keygen --seal-key "$JB_TMP/dangling"
jb_is "$RC" 1 "keygen refuses a dangling symbolic link"
jb_ok "... and writes nothing through it" test ! -e "$JB_TMP/nowhere"
run keygen
jb_is "$RC" 2 "keygen without --seal-key is a usage error"

# ---- 2. options and the key file's checks
J=$JB_TMP/journal
jb_export_to_journal "$JB_FIXTURES/containers.export" "$J" || jb_bail_out "cannot build the test journal"
for bad in "--seal-streams=bogus" "--seal-epoch-records=0" "--seal-epoch-seconds=86401" "--seal-heartbeat=x"; do
    run -D "$J" --seal-key "$K" "$bad" --app-out /dev/null --audit-out /dev/null
    jb_is "$RC" 2 "usage error: $bad"
    jb_ok "usage error: $bad names the option" grep -q -- "${bad%%=*}" "$ERR"
done
run -D "$J" --seal-heartbeat 5 --app-out /dev/null --audit-out /dev/null
jb_is "$RC" 2 "usage error: --seal-heartbeat without --seal-key"
chmod 0640 "$K"
run -D "$J" --seal-key "$K" --app-out "$A" --audit-out "$B"
jb_is "$RC" 1 "a key file readable by the group is refused (exit 1)"
jb_ok "... saying why" grep -q "has mode 0640" "$ERR"
jb_ok "... before writing anything" test ! -s "$B"
chmod 0600 "$K"
ln -s "$K" "$JB_TMP/key.link"
run -D "$J" --seal-key "$JB_TMP/key.link" --app-out "$A" --audit-out "$B"
jb_is "$RC" 1 "a key file that is a symbolic link is refused"
chown nobody "$K"
run -D "$J" --seal-key "$K" --app-out "$A" --audit-out "$B"
jb_is "$RC" 1 "a key file owned by another user is refused"
chown root "$K"

# ---- 3. one-shot runs of real journal files
rm -f "$A" "$B"
run -D "$J" --seal-key "$K" --app-out "$A" --audit-out "$B"
jb_is "$RC" 0 "one-shot: exits 0"
jb_ok "one-shot: says each run starts new chains without --state" grep -q "no --state: each run starts new chains" "$ERR"
n_audit=$(grep -a -c ' audit \[container' "$B")
jb_is "$(seal_ns "$B" audit | tr '\n' ' ')" "$(seq 1 "$n_audit" | tr '\n' ' ')" \
    "one-shot: the $n_audit audit records are numbered 1..$n_audit in one chain"
jb_is "$(chains "$B" audit | wc -l)" 1 "one-shot: one audit chain"
jb_is "$(grep -a -c 'seal\.' "$A")" 0 "one-shot: the application stream is not sealed by default"
jb_ok "one-shot: the audit stream ends with a stop line" \
    sh -c "tail -n 1 '$B' | grep -q ' jbridge - audit \[jbridge@32473 stream=\"audit\" seal.key=.* seal.beat=\"stop\" .*\] seal stop\$'"
verify "one-shot" "$B"
rm -f "$A" "$B"
run -D "$J" --seal-key "$K" --seal-streams app,audit --app-out "$A" --audit-out "$B"
jb_is "$RC" 0 "one-shot, app,audit: exits 0"
n_app=$(grep -a -c ' app \[container' "$A")
jb_is "$(seal_ns "$A" app | tr '\n' ' ')" "$(seq 1 "$n_app" | tr '\n' ' ')" "one-shot, app,audit: the application stream is sealed too"
jb_ok "one-shot, app,audit: it ends with a stop line" sh -c "tail -n 1 '$A' | grep -q 'seal stop\$'"
verify "one-shot, app,audit" "$A" "$B"
# one file for both streams, altered: the verifier must notice
rm -f "$A" "$B"
run -D "$J" --seal-key "$K" --seal-streams app,audit --app-out "$A" --audit-out "$A"
verify "one file for both streams" "$A"
if [ "$HAVE_VERIFY" = 1 ]; then
    sed '2s/alice/mallory/' "$A" >"$JB_TMP/altered"
    grep -q mallory "$JB_TMP/altered" || sed -i '2s/ \([^ ]*\)$/ X\1/' "$JB_TMP/altered"
    rc=0
    "$JBRIDGE" verify --verify-key="$VK" "$JB_TMP/altered" >/dev/null 2>&1 || rc=$?
    jb_is "$rc" 1 "an altered record fails jbridge verify"
    sed '3d' "$A" >"$JB_TMP/removed"
    rc=0
    "$JBRIDGE" verify --verify-key="$VK" "$JB_TMP/removed" >/dev/null 2>&1 || rc=$?
    jb_is "$rc" 1 "a removed record fails jbridge verify"
fi

# ---- 4. --follow against journald: heartbeats, epochs, stop, restart with --state
rm -f "$A" "$B" "$S"
start_bridge() { # extra options
    "$JBRIDGE" --follow --state "$S" --seal-key "$K" --app-out "$A" --audit-out "$B" "$@" 2>>"$ERR" </dev/null &
    BRIDGE=$!
}
stop_bridge() { # NAME
    kill -TERM "$BRIDGE"
    if jb_wait_pid_exit "$BRIDGE" 20 && [ "$JB_EXIT_STATUS" = 0 ]; then
        jb_pass "$1: jbridge exits 0 after SIGTERM"
    else
        jb_fail "$1: jbridge exits 0 after SIGTERM"
        jb_diag "$(tail -n 5 "$ERR")"
    fi
    BRIDGE=
}
write() { # ARGS: jb-write, waited for
    "$JB_WRITE" --quiet --container tfe-atlas --image hashicorp/tfe-atlas:v1 "$@" 2>>"$JB_TMP/writer.err" ||
        jb_diag "jb-write failed: $(tail -n 2 "$JB_TMP/writer.err")"
}
audit_records() { grep -a -c ' audit \[container' "$B" 2>/dev/null || true; }

: >"$ERR"
start_bridge --seal-heartbeat 1 --seal-epoch-records 4
write --count 30 --audit-every 3 --prefix a
jb_ok "follow: 10 audit records arrive" jb_wait_for '[ "$(audit_records)" -ge 10 ]' 30
jb_ok "follow: a quiet chain sends a heartbeat" \
    jb_wait_for "grep -a -q 'seal.beat=\"heartbeat\" .*\] seal heartbeat\$' '$B'" 10
jb_ok "follow: the epoch moved (every 4 records): the key file is past epoch 0" \
    jb_wait_for '[ "$(key_epoch)" -ge 1 ]' 10
stop_bridge "follow"
jb_ok "follow: a stop line ends the chain at SIGTERM" sh -c "tail -n 1 '$B' | grep -q 'seal stop\$'"
jb_ok "follow: the state holds the audit chain" grep -qE '^seal\.audit=[0-9a-f]{16} [0-9a-f]{16} 10 [0-9]+ [A-Za-z0-9+/]{43}= (-|[A-Za-z0-9+/]{43}=)$' "$S"
jb_ok "follow: records after an epoch move carry the transition proof" grep -a -q ' seal\.tx="' "$B"
jb_is "$(seal_ns "$B" audit | tr '\n' ' ')" "$(seq 1 10 | tr '\n' ' ')" "follow: audit records 1..10, one chain"
verify "follow" "$B"
jb_ok "follow: says a new chain starts (no state file yet)" grep -q "new chains start (no state file yet)" "$ERR"

: >"$ERR"
start_bridge --seal-heartbeat 1 --seal-epoch-records 4
write --count 15 --audit-every 3 --prefix b
jb_ok "restart: 5 more audit records arrive" jb_wait_for '[ "$(audit_records)" -ge 15 ]' 30
stop_bridge "restart"
jb_is "$(chains "$B" audit | wc -l)" 1 "restart with --state: the chain goes on (one chain id)"
jb_is "$(seal_ns "$B" audit | tr '\n' ' ')" "$(seq 1 15 | tr '\n' ' ')" "restart: numbered on, 1..15"
jb_is "$(grep -c 'new chains' "$ERR")" 0 "restart: says nothing about new chains"
verify "restart" "$B"

# ---- 5. a crash after writing, before saving: the same records again, with the same seals
# The audit output is a pipe (never cut back), so what a crash leaves stays; the state saved
# before the last records is put back, as if the crash had come before the save.
rm -f "$A" "$B" "$S"
mkfifo "$JB_TMP/fifo"
cat "$JB_TMP/fifo" >>"$B" &
CAT=$!
exec 7<>"$JB_TMP/fifo" # a writer that stays: cat never sees the end when jbridge is killed
start_fifo_bridge() { # --tail: the journal holds the records of the runs above
    "$JBRIDGE" --follow --tail --state "$S" --seal-key "$K" --seal-epoch-records 100000 --seal-epoch-seconds 3600 \
        --app-out "$A" --audit-out "$JB_TMP/fifo" 2>>"$ERR" </dev/null &
    BRIDGE=$!
}
: >"$ERR"
start_fifo_bridge
# positioned at the tail (it says so right after) before anything is written
jb_wait_for 'grep -q "new chains start" "$ERR"' 10 || jb_diag "crash: jbridge did not start: $(cat "$ERR")"
write --count 12 --audit-every 3 --prefix c
jb_wait_for '[ "$(audit_records)" -ge 4 ] && grep -q "^seal.audit=.* 4 " "$S"' 30 ||
    jb_diag "crash: the first 4 audit records were not saved: $(cat "$S")"
cp "$S" "$JB_TMP/state.before"
write --count 12 --seq-start 13 --audit-every 3 --prefix c
jb_ok "crash: 8 audit records written" jb_wait_for '[ "$(audit_records)" -ge 8 ]' 30
kill -KILL "$BRIDGE"
wait "$BRIDGE" 2>/dev/null
BRIDGE=
cp "$JB_TMP/state.before" "$S"
start_fifo_bridge
jb_ok "crash: after the restart, records 5-8 come again" jb_wait_for '[ "$(audit_records)" -ge 12 ]' 30
stop_bridge "crash"
jb_is "$(seal_ns "$B" audit | sort -n | uniq -c | awk '$1 == 2 {print $2}' | tr '\n' ' ')" "5 6 7 8 " \
    "crash: records 5-8 appear twice"
jb_is "$(grep -a ' audit \[container' "$B" | sort | uniq -d | wc -l)" 4 \
    "crash: each duplicate is the same line, the same seal"
jb_is "$(chains "$B" audit | wc -l)" 1 "crash: one chain"
verify "crash (duplicates are fine)" "$B"

# kill -9 while a writer writes: every record once or twice, duplicates identical
: >"$ERR"
start_fifo_bridge
"$JB_WRITE" --quiet --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count 3000 --rate 1500 \
    --audit-every 2 --prefix k 2>>"$JB_TMP/writer.err" &
WRITER=$!
jb_wait_for '[ "$(grep -a -c "seq=\"k-" "$B")" -ge 300 ]' 30 || jb_diag "kill -9: little progress"
kill -KILL "$BRIDGE"
wait "$BRIDGE" 2>/dev/null
start_fifo_bridge
jb_wait_pid_exit "$WRITER" 60 || jb_diag "kill -9: the writer did not finish"
WRITER=
jb_ok "kill -9: all 1500 audit records of the writer arrive" \
    jb_wait_for '[ "$(grep -a -o "seq=\"k-[0-9]*\"" "$B" | sort -u | wc -l)" -ge 1500 ]' 60
stop_bridge "kill -9"
jb_is "$(grep -a ' audit \[container' "$B" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^seal\.n=/) print $i }' |
    sort | uniq -d | while read -r n; do grep -a " $n " "$B" | grep -a ' audit \[container' | sort -u | wc -l; done |
    grep -c -v '^1$')" 0 "kill -9: every record number seen twice is the same line both times"
max=$(seal_ns "$B" audit | sort -n | tail -n 1)
jb_is "$(seal_ns "$B" audit | sort -n -u | wc -l)" "$max" "kill -9: no record number is missing (1..$max)"
verify "kill -9" "$B"
exec 7>&-
jb_wait_pid_exit "$CAT" 10 || kill -TERM "$CAT" 2>/dev/null
CAT=

# ---- 6. the state file deleted: a new chain
rm -f "$S"
: >"$ERR"
start_bridge --tail
jb_wait_for 'grep -q "new chains start" "$ERR"' 10
write --count 6 --audit-every 3 --prefix d
jb_ok "deleted state: new audit records arrive" jb_wait_for '[ "$(grep -a -c "seq=\"d-" "$B")" -ge 2 ]' 30
stop_bridge "deleted state"
jb_ok "deleted state: says new chains start" grep -q "new chains start (no state file yet)" "$ERR"
jb_is "$(chains "$B" audit | wc -l)" 2 "deleted state: a second audit chain"
jb_is "$(grep -a 'seq="d-' "$B" | grep -a -o ' seal\.n="[0-9]*"' | tr '\n' ' ')" ' seal.n="1"  seal.n="2" ' \
    "deleted state: the new chain starts at 1"
if [ "$HAVE_VERIFY" = 1 ]; then
    "$JBRIDGE" verify --verify-key="$VK" "$B" >"$JB_TMP/verify.out" 2>&1
    jb_ok "deleted state: jbridge verify reports the restart" grep -qi "restart" "$JB_TMP/verify.out"
fi

# ---- 7. five kill -9 under a live writer into regular files, epochs moving every 50 records:
# the outputs are cut back to the saved state, so the chains come out whole: every number once,
# every seal verified, across epoch moves interrupted anywhere
rm -f "$A" "$B" "$S"
: >"$ERR"
start_kill_bridge() {
    "$JBRIDGE" --follow --tail --state "$S" --seal-key "$K" --seal-streams app,audit --seal-epoch-records 50 \
        --app-out "$A" --audit-out "$B" 2>>"$ERR" </dev/null &
    BRIDGE=$!
}
start_kill_bridge
jb_wait_for 'grep -q "new chains start" "$ERR"' 10 || jb_diag "kills: jbridge did not start: $(cat "$ERR")"
epoch_before=$(key_epoch)
"$JB_WRITE" --quiet --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count 4000 --rate 1000 \
    --audit-every 4 --prefix z 2>>"$JB_TMP/writer.err" &
WRITER=$!
for round in 1 2 3 4 5; do
    before=$(cat "$A" "$B" | grep -a -c 'z-')
    jb_wait_for "[ \$(cat '$A' '$B' | grep -a -c 'z-') -ge $((before + 200)) ]" 30 || jb_diag "kills: round $round: no progress"
    kill -KILL "$BRIDGE"
    wait "$BRIDGE" 2>/dev/null
    start_kill_bridge
done
jb_wait_pid_exit "$WRITER" 60 || jb_diag "kills: the writer did not finish"
WRITER=
jb_ok "kills: all 4000 lines arrive" jb_wait_for '[ "$(cat "$A" "$B" | grep -a -c "z-")" -ge 4000 ]' 60
stop_bridge "kills"
jb_ok "kills: the key moved through several epochs" test "$(key_epoch)" -ge $((epoch_before + 10))
for st in app audit; do
    f=$A
    [ $st = audit ] && f=$B
    n=$(seal_ns "$f" $st | wc -l)
    jb_is "$(seal_ns "$f" $st | sort -n | uniq -d | wc -l)" 0 "kills: no $st record twice (cut back)"
    jb_is "$(seal_ns "$f" $st | sort -n | tail -n 1)" "$n" "kills: $st records numbered 1..$n, none missing"
    jb_is "$(chains "$f" $st | wc -l)" 1 "kills: one $st chain through five kills"
done
jb_ok "kills: records after epoch moves carry transition proofs" grep -a -q ' seal\.tx="' "$B"
verify "kills" "$A" "$B"
jb_done
