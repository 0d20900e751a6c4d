#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# jbridge verify (doc/sealing.md, "What jbridge verify reports") on files the real command sealed
# (jbridge keygen, jbridge --seal-key of a real journal): a clean output verifies (also as
# rsyslog would write it, and from standard input); each tampering a user could do to the file
# is caught and named in the report (a deleted line, one byte of a value or of the message
# changed, a forged line inserted, two lines swapped, the tail cut, an unsealed line, a line that
# is not RFC 5424, another host's key); a lost state shows as a restart; exit statuses 0, 1, 2.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

jb_need_program "$JBRIDGE"
jb_need_program /usr/bin/jq
jb_mktemp
trap jb_cleanup EXIT

K=$JB_TMP/seal.key
VK=$JB_TMP/verify.key
S=$JB_TMP/state
A=$JB_TMP/app.log
B=$JB_TMP/audit.log
OUT=$JB_TMP/out
ERR=$JB_TMP/err
J=$JB_TMP/journal
N=40

# a journal of N audit records of one container (every fourth with a tab), and application lines
export_file=$JB_TMP/audit.export
for i in $(seq 1 $N); do
    msg="2018-03-27 21:55:29 [INFO] [Audit Log] {\"resource\":\"run\",\"action\":\"apply\",\"actor\":\"user$i\",\"n\":$i}"
    [ $((i % 4)) = 0 ] && msg="$msg	tabbed"
    for m in "$msg" "GET /app/$i HTTP/1.1 200"; do
        printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n' \
            "$((1522187729000000 + i * 2000 + ${#m} % 2))" "$((86400000000 + i * 2000))"
        printf 'PRIORITY=6\n_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\n_PID=812\n'
        printf 'MESSAGE=%s\nCONTAINER_ID=eb47f86d0ef4\nCONTAINER_NAME=ptfe_atlas\nCONTAINER_TAG=eb47f86d0ef4\n' "$m"
        printf 'SYSLOG_IDENTIFIER=eb47f86d0ef4\nIMAGE_NAME=hashicorp/ptfe-atlas:v201803-2\n'
        printf '_MACHINE_ID=0d3e8f2c6b7a4c19a1b2c3d4e5f60718\n_HOSTNAME=tfe-host\n\n'
    done
done >"$export_file"
jb_export_to_journal "$export_file" "$J" || jb_bail_out "cannot build the test journal"

"$JBRIDGE" keygen --seal-key "$K" >"$VK" 2>"$ERR" || jb_bail_out "keygen failed: $(cat "$ERR")"
"$JBRIDGE" -D "$J" --state "$S" --seal-key "$K" --seal-streams app,audit --seal-epoch-records 7 \
    --app-out "$A" --audit-out "$B" 2>"$ERR" </dev/null || jb_bail_out "sealing failed: $(cat "$ERR")"
[ "$(grep -c ' audit \[container' "$B")" = $N ] || jb_bail_out "expected $N audit records in $B"

# v FILE...: jbridge verify --json; RC its status, OUT the report
v() {
    RC=0
    "$JBRIDGE" verify --verify-key="$VK" --json "$@" >"$OUT" 2>"$ERR" || RC=$?
}
q() { jq -r "$@" "$OUT"; } # a field of the report

# ---- a clean output
v "$A" "$B"
jb_is "$RC" 0 "the command's sealed output verifies (exit 0)"
jb_is "$(q '.ok')" true "... the report says ok"
jb_is "$(q '.chains | length')" 2 "... two chains (app, audit)"
jb_is "$(q '.chains[] | select(.stream == "audit") | .records')" $N "... the $N audit records"
jb_is "$(q '.chains[] | select(.stream == "audit") | .host')" tfe-host "... of their host"
jb_ok "... across an epoch move (at the save that ends the run)" \
    test "$(q '.chains[] | select(.stream == "audit") | .last_epoch')" -ge 1
jb_is "$(q '.chains[] | select(.stream == "audit") | .tail.stopped')" true "... ending with a stop"
RC=0
"$JBRIDGE" verify --verify-key="$VK" "$B" >"$OUT" 2>&1 || RC=$?
jb_is "$RC" 0 "the text report: exit 0"
jb_ok "... its last line says verified" sh -c "tail -n 1 '$OUT' | grep -q '^verified: 1 chains, $N records verified'"
RC=0
"$JBRIDGE" verify --verify-key="$VK" - <"$B" >/dev/null 2>&1 || RC=$?
jb_is "$RC" 0 "a log on standard input (-) verifies"

# as rsyslog's omfile writes the same records: +00:00, raw tabs, a space after the message
sed -e 's/^\(<[0-9]*>1 [^ ]*\)Z /\1+00:00 /' -e 's/#011/\t/g' -e 's/$/ /' "$B" >"$JB_TMP/rsyslog"
jb_ok "the rsyslog form differs from the command's" sh -c "! cmp -s '$B' '$JB_TMP/rsyslog' && grep -q '+00:00' '$JB_TMP/rsyslog'"
v "$JB_TMP/rsyslog"
jb_is "$RC" 0 "... and verifies the same"

# a second delivery (a replay after a crash): duplicates are fine
cat "$B" "$B" >"$JB_TMP/twice"
v "$JB_TMP/twice"
jb_is "$RC" 0 "the same lines twice verify"
jb_is "$(q '.chains[0].duplicates')" $N "... counted as $N duplicates"

# ---- tampering; record K of the audit chain is the line "seal.n=K" (heartbeats have none here)
line_of() { grep -n " seal.n=\"$1\" " "$B" | grep -v 'seal.beat' | head -n 1 | cut -d: -f1; }
L5=$(line_of 5)
L6=$(line_of 6)
# tamper NAME SED-SCRIPT: the audit file edited by sed, verified; EXIT must be 1
tamper() {
    sed "$2" "$B" >"$JB_TMP/$1"
    if cmp -s "$B" "$JB_TMP/$1"; then
        jb_fail "$1: the edit changed nothing"
        return
    fi
    v "$JB_TMP/$1"
    jb_is "$RC" 1 "$1: exit 1"
    jb_is "$(q '.ok')" false "$1: the report says not ok"
}
chain_q() { q ".chains[0]$1"; }

tamper deleted "${L5}d"
jb_is "$(chain_q '.missing | map("\(.from)-\(.to)") | join(",")')" "5-5" "deleted: record 5 is missing"
jb_is "$(chain_q '.records')" $((N - 1)) "deleted: the others verify"

tamper value "${L5}s/ actor=\"user5\"/ actor=\"user6\"/"
jb_is "$(chain_q '.altered | map(.n) | join(",")')" 5 "one byte of an SD value: record 5 altered"
jb_is "$(chain_q '.altered[0].line')" "$L5" "... named by its line"
jb_is "$(chain_q '.missing | length')" 0 "... and not counted missing"

tamper message "${L5}s/\\(\"n\":5\\)}\$/\\1 }/"
jb_is "$(chain_q '.altered | map(.n) | join(",")')" 5 "one byte of the message: record 5 altered"

tamper header "${L5}s/ tfe-host / tfe-hosT /"
jb_is "$(chain_q '.altered | map(.n) | join(",")')" 5 "the HOSTNAME: record 5 altered"

tamper param-name "${L5}s/ actor=/ actoR=/"
jb_is "$(chain_q '.altered | map(.n) | join(",")')" 5 "a parameter name: record 5 altered"

tamper seal-n "${L5}s/ seal.n=\"5\" / seal.n=\"50\" /"
jb_is "$(chain_q '.altered | map(.n) | join(",")')" 50 "the record number: the line does not verify"
jb_is "$(chain_q '.missing | map("\(.from)-\(.to)") | join(",")')" "5-5" "... and record 5 is missing"

# a forged copy of record 5 after it, claiming another actor
forged=$(sed -n "${L5}p" "$B" | sed 's/user5/mallory/g')
tamper inserted "${L5}a\\
$forged"
jb_is "$(chain_q '.inserted | map(.n) | join(",")')" 5 "a forged line: inserted, with record 5's number"
jb_is "$(chain_q '.inserted[0].line')" $((L5 + 1)) "... named by its line"
jb_is "$(chain_q '.records')" $N "... every genuine record verifies"

tamper swapped "${L5}{h;d};${L6}G"
jb_is "$(chain_q '.reordered | map(.n) | join(",")')" 5 "two lines swapped: record 5 reordered"
jb_is "$(chain_q '.missing | length')" 0 "... nothing missing"

tamper unsealed "${L5}a\\
<110>1 2018-03-27T21:55:29.100000Z tfe-host ptfe_atlas eb47f86d0ef4 audit [audit@32473 actor=\"mallory\"] forged"
jb_is "$(chain_q '.inserted | length')" 1 "an unsealed line of the host's audit stream: inserted"
jb_is "$(chain_q '.inserted[0].why')" "unsealed line in a sealed stream" "... saying why"

tamper garbage "${L5}a\\
Mar 27 21:55:29 tfe-host not a syslog line"
jb_is "$(q '.errors[0].kind')" not-rfc5424 "a line that is not RFC 5424 fails"
jb_is "$(q '.errors[0].file'):$(q '.errors[0].line')" "$JB_TMP/garbage:$((L5 + 1))" "... named by file and line"
RC=0
"$JBRIDGE" verify --verify-key="$VK" "$JB_TMP/garbage" >"$OUT" 2>&1 || RC=$?
jb_ok "... the text report names FILE:LINE" grep -q "$JB_TMP/garbage:$((L5 + 1)): not-rfc5424" "$OUT"

# the tail: the stop line removed, judged long after the last item
tamper cut "\$d"
jb_is "$(chain_q '.tail.cut')" true "the stop line cut off, judged now: a cut tail"
last=$(sed -n '$p' "$JB_TMP/cut" | cut -d' ' -f2)
RC=0
"$JBRIDGE" verify --verify-key="$VK" --at "$last" --json "$JB_TMP/cut" >"$OUT" 2>"$ERR" || RC=$?
jb_is "$RC" 0 "... judged at its last record (--at): the chain is open, not cut"
jb_is "$(q '.chains[0].tail.cut')" false "... the report says not cut"
# the last records cut away, the stop kept: the stop says how many there were
tamper cut-records "$((L6 + 1)),\$ { /seal.beat=\"stop\"/!d }"
jb_is "$(chain_q '.missing | map("\(.from)-\(.to)") | join(",")')" "7-$N" "records after 6 cut, the stop kept: 7-$N missing"

# another host's key: the lines do not verify here
"$JBRIDGE" keygen --seal-key "$JB_TMP/other.key" >"$JB_TMP/other.vk" 2>/dev/null
RC=0
"$JBRIDGE" verify --verify-key="$JB_TMP/other.vk" --json "$B" >"$OUT" 2>"$ERR" || RC=$?
jb_is "$RC" 1 "sealed under a key not given: exit 1"
jb_is "$(q '[.errors[] | select(.kind == "unknown-key")] | length')" "$(grep -c seal.key "$B")" "... every line: unknown-key"
v "$B" # both key files together
RC=0
"$JBRIDGE" verify --verify-key="$JB_TMP/other.vk" --verify-key="$VK" "$B" >/dev/null 2>&1 || RC=$?
jb_is "$RC" 0 "two --verify-key files: the right one verifies"

# ---- a lost state: a new chain, a restart of the host's stream
cp "$B" "$JB_TMP/b1"
rm -f "$S"
"$JBRIDGE" -D "$J" --state "$S" --seal-key "$K" --seal-streams app,audit --seal-epoch-records 7 \
    --app-out /dev/null --audit-out "$JB_TMP/b2" 2>"$ERR" </dev/null
jb_ok "a run without its state starts new chains (it says so)" grep -q "new chains start" "$ERR"
v "$JB_TMP/b1" "$JB_TMP/b2"
jb_is "$RC" 1 "a restart after a clean stop: exit 1 (what came between the chains is not sealed)"
jb_is "$(q '.restarts | length')" 1 "... and is reported"
RC=0
"$JBRIDGE" verify --verify-key="$VK" --allow-restarts "$JB_TMP/b1" "$JB_TMP/b2" >/dev/null 2>&1 || RC=$?
jb_is "$RC" 0 "with --allow-restarts, a restart after a clean stop verifies"
jb_is "$(q '.restarts[0].host') $(q '.restarts[0].stream') $(q '.restarts[0].chains | length')" "tfe-host audit 2" \
    "... as two chains of tfe-host's audit stream"
sed '$d' "$JB_TMP/b1" >"$JB_TMP/b1-nostop"
v "$JB_TMP/b1-nostop" "$JB_TMP/b2"
jb_is "$RC" 1 "a restart after a chain that did not stop: exit 1"
jb_is "$(q '.chains[0].tail.cut')" true "... its first chain's tail is cut"

# ---- usage and unreadable files: exit 2
usage() { # NAME ARGS...
    local name=$1
    shift
    RC=0
    "$JBRIDGE" verify "$@" >"$OUT" 2>"$ERR" || RC=$?
    jb_is "$RC" 2 "usage: $name: exit 2"
}
usage "no --verify-key" "$B"
usage "no LOG" --verify-key="$VK"
usage "unknown option" --verify-key="$VK" --bogus "$B"
usage "a bad --at" --verify-key="$VK" --at=yesterdayish "$B"
usage "standard input twice" --verify-key="$VK" - -
usage "a LOG that does not exist" --verify-key="$VK" "$JB_TMP/nonexistent"
jb_ok "... named" grep -q "$JB_TMP/nonexistent" "$ERR"
usage "a key file that does not exist" --verify-key="$JB_TMP/nokey" "$B"
printf '# keys\n\njbridge-verify-key 1 hmac-sha256 0123456789abcdef 00\n' >"$JB_TMP/badkey"
usage "a bad key file" --verify-key="$JB_TMP/badkey" "$B"
jb_ok "... named by file and line" grep -q "$JB_TMP/badkey:3:" "$ERR"
RC=0
"$JBRIDGE" verify --help >"$OUT" 2>&1 || RC=$?
jb_is "$RC" 0 "verify --help exits 0"
jb_ok "... and lists --verify-key, --json and --at" sh -c "grep -q -- --verify-key '$OUT' && grep -q -- --json '$OUT' && grep -q -- --at '$OUT'"

jb_done
