#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 16: imjbridge seals the audit stream (doc/sealing.md) and what Debian's rsyslogd writes
# with omfile and the examples' template verifies with `jbridge verify`.
#   - rsyslogd -N1 refuses a bad seal.* value and a key file that is missing, a symbolic link,
#     not 0600 or not ours, naming the parameter;
#   - examples/tfe-sealed.conf (only paths replaced) over a journal of hostile records (audit
#     values with quotes, backslashes and brackets, tabs, a literal #011, UTF-8, trailing spaces,
#     an empty message): audit.log verifies, and is the very file the jbridge command writes for
#     the same journal with a copy of the same key (Z written +00:00), heartbeats and stop lines
#     aside: the module and the command seal alike;
#   - both streams sealed (seal.streams="app,audit"): both files verify;
#   - tampering with audit.log is caught and named: a line deleted, a byte of a value and of the
#     message changed, a forged line inserted, two lines swapped, the tail cut (heartbeats every
#     1 s), a chain restarted by deleting the state file (named as a restart);
#   - forward security: with the key file as it is after some epochs, an attacker's tool (the
#     scheme written again from doc/sealing.md, checked first on a genuine line of the current
#     epoch) re-seals a record of an earlier epoch: verify rejects it, whichever epoch it claims.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"
# shellcheck source=tests/integration/seal-lib.sh
. "$(dirname "$0")/seal-lib.sh"

jb_rsyslog_test "$JBRIDGE" /usr/bin/python3
T=$JB_TMP
mkdir -p "$T/work" "$T/out"

# ---- the journal: Docker entries from ptfe_atlas (the fixture's fields), hostile texts
python3 - "$JB_FIXTURES/audit-values.export" >"$T/j.export" <<'EOF'
import sys
first = open(sys.argv[1]).read().split("\n\n")[0].splitlines()
def entry(n, msg):
    out = []
    for l in first:
        k = l.split("=", 1)[0]
        if k == "MESSAGE": continue
        elif k == "__REALTIME_TIMESTAMP": l = "__REALTIME_TIMESTAMP=%d" % (1767225600000000 + n * 1001)
        elif k == "__MONOTONIC_TIMESTAMP": l = "__MONOTONIC_TIMESTAMP=%d" % (86500001000 + n)
        elif k in ("SYSLOG_TIMESTAMP", "CONTAINER_LOG_ORDINAL", "CONTAINER_LOG_EPOCH"): continue
        out.append(l)
    b = msg.encode()
    # binary form (length-prefixed): tabs, control characters and any byte survive
    return ("\n".join(out) + "\nMESSAGE\n").encode() + len(b).to_bytes(8, "little") + b + b"\n\n"
audit = ('2026-01-01 00:00:00 [INFO] [Audit Log] {"resource":"workspace","action":"%s",'
         '"resource_id":"ws-%d","actor":"o\\"brien \\\\ [x]","timestamp":"2026-01-01T00:00:00Z",'
         '"actor_ip":"10.0.0.5","note":"caf\u00e9 \\t tab"}')
texts = ["GET /app/%d 200", "tab\there %d", "literal #011 and a real\ttab %d", "trailing spaces %d   ",
         "utf-8 \u00e9\u00e8 \u2603 %d", "bell \x07 and esc \x1b %d", "[brackets] \"quotes\" \\ %d"]
out = sys.stdout.buffer
n = 0
for i in range(60):
    n += 1
    out.write(entry(n, texts[i % len(texts)] % i))
    if i % 3 == 0:
        n += 1
        out.write(entry(n, audit % (["create", "update", "destroy"][i % 3], i)))
n += 1
out.write(entry(n, ""))  # an empty application line
EOF
jb_export_to_journal "$T/j.export" "$T/j" || jb_bail_out "cannot build the journal"
N_AUDIT=20

# ---- keys: one for rsyslogd, a copy (same K0, same epoch) for the command
SEAL_VERIFY_KEY=$T/verify.key
"$JBRIDGE" keygen --seal-key "$T/seal.key" >"$SEAL_VERIFY_KEY" || jb_bail_out "jbridge keygen failed"
jb_ok "keygen prints one verification key line" grep -qE '^jbridge-verify-key 1 hmac-sha256 [0-9a-f]{16} [0-9a-f]{64}$' "$T/verify.key"
cp -p "$T/seal.key" "$T/seal-cmd.key"

# ---- rsyslogd -N1 refuses bad seal settings, naming the parameter
# n1 NAME WORD INPUT-PARAMETERS: -N1 on a config with those input() parameters must fail naming WORD
n1_bad() {
    local f=$T/n1-$1.conf out rc=0
    {
        echo "global(workDirectory=\"$T/work\")"
        echo "module(load=\"$JB_RSYSLOG_MODULES/imjbridge.so\")"
        echo 'ruleset(name="app") { action(type="omfile" file="/dev/null") }'
        echo "input(type=\"imjbridge\" ruleset=\"app\" directory=\"$T/j\" stateFile=\"n1-$1.state\" $3)"
    } >"$f"
    out=$("$RSYSLOGD" -N1 -f "$f" 2>&1) || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && printf '%s' "$out" | grep -qi -- "parameter '$2'"; then
        jb_pass "$1: rsyslogd -N1 fails naming '$2'"
    else
        jb_fail "$1: rsyslogd -N1 fails naming '$2'"
        jb_diag "exit $rc: $out"
    fi
}
ln -s "$T/seal.key" "$T/link.key"
cp -p "$T/seal.key" "$T/open.key" && chmod 0644 "$T/open.key"
cp -p "$T/seal.key" "$T/theirs.key" && chown nobody "$T/theirs.key"
n1_bad key-missing seal.keyFile "seal.keyFile=\"$T/nosuch.key\""
n1_bad key-link seal.keyFile "seal.keyFile=\"$T/link.key\""
n1_bad key-mode seal.keyFile "seal.keyFile=\"$T/open.key\""
n1_bad key-owner seal.keyFile "seal.keyFile=\"$T/theirs.key\""
n1_bad key-relative seal.keyFile 'seal.keyFile="seal.key"'
n1_bad streams seal.streams "seal.keyFile=\"$T/seal.key\" seal.streams=\"everything\""
n1_bad streams-without-key seal.streams 'seal.streams="app,audit"'
n1_bad epoch-records seal.epochRecords "seal.keyFile=\"$T/seal.key\" seal.epochRecords=\"0\""
n1_bad epoch-seconds seal.epochSeconds "seal.keyFile=\"$T/seal.key\" seal.epochSeconds=\"0\""
n1_bad heartbeat seal.heartbeat "seal.keyFile=\"$T/seal.key\" seal.heartbeat=\"86401\""

# ---- examples/tfe-sealed.conf, paths replaced, over the journal
# conf NAME EXTRA-INPUT-PARAMETERS: the example, writing into $T/out/NAME-{app,audit}.log, and
# rsyslogd's own messages (imjbridge's among them) into $T/NAME-internal.log
conf() {
    jb_example_conf "$JB_EXAMPLES/tfe-sealed.conf" "$T/work" "$T/tls" \
        "s|$T/work/seal.key|$T/seal.key|" "s|/var/log/tfe/app.log|$T/out/$1-app.log|" \
        "s|/var/log/tfe/audit.log|$T/out/$1-audit.log|" "s|stateFile=\"[^\"]*\"|stateFile=\"$1.state\" directory=\"$T/j\" $2|"
    printf 'global(processInternalMessages="on")\naction(type="omfile" file="%s")\n' "$T/$1-internal.log"
}
conf sealed '' >"$T/sealed.conf"
jb_ok "examples/tfe-sealed.conf validates (rsyslogd -N1)" "$RSYSLOGD" -N1 -f "$T/sealed.conf"
jb_rsyslogd_start sealed "$T/sealed.conf"
jb_wait_for "[ \$(seal_records '$T/out/sealed-audit.log' audit) -ge $N_AUDIT ]" 60 ||
    jb_diag "the audit records did not all arrive: $(tail -n 5 "$T/sealed.log")"
jb_rsyslogd_stop "$RS_PID" sealed
A=$T/out/sealed-audit.log
jb_is "$(grep -c ' jbridge - audit .*seal.beat="stop"' "$A")" 1 "a clean stop writes one stop line on the audit chain"
jb_ok "rsyslogd said that new chains start (first start)" grep -q 'new chains start, the state file holds no chain' "$T/sealed-internal.log"
jb_is "$(grep -v ' jbridge - audit ' "$A" | grep -vc 'seal.mac=')" 0 "every audit record carries a seal"
jb_is "$(grep -c 'seal.mac=' "$T/out/sealed-app.log")" 0 "the application stream is not sealed (seal.streams=\"audit\")"
seal_verify_ok "omfile's audit.log" "$A"

# the command over the same journal with a copy of the key: the same lines, heartbeats aside
"$JBRIDGE" --directory "$T/j" --seal-key "$T/seal-cmd.key" --app-out "$T/cmd.app" --audit-out "$T/cmd.audit" \
    --state "$T/cmd.state" </dev/null 2>"$T/cmd.err" || jb_diag "jbridge failed: $(cat "$T/cmd.err")"
seal_verify_ok "the command's audit file" "$T/cmd.audit"
sed -E 's/^(<[0-9]+>1 [^ ]+)Z /\1+00:00 /' "$T/cmd.audit" | grep -v ' jbridge - audit ' >"$T/cmd.records"
grep -v ' jbridge - audit ' "$A" >"$T/rs.records"
jb_files_equal "$T/cmd.records" "$T/rs.records" "rsyslogd's sealed audit records are the command's, byte for byte"
seal_verify_ok "the command's and rsyslogd's files together (duplicates)" "$T/cmd.audit" "$A"

# ---- both streams sealed
conf both 'seal.streams="app,audit"' | sed 's|seal.streams="audit"||' >"$T/both.conf"
jb_rsyslogd_start both "$T/both.conf"
jb_wait_for "[ \$(seal_records '$T/out/both-audit.log' audit) -ge $N_AUDIT ] && [ \$(seal_records '$T/out/both-app.log' app) -ge 61 ]" 60 ||
    jb_diag "the records did not all arrive: $(tail -n 5 "$T/both.log")"
jb_rsyslogd_stop "$RS_PID" both
jb_is "$(grep -v ' jbridge - app ' "$T/out/both-app.log" | grep -vc 'seal.mac=')" 0 "seal.streams=\"app,audit\": every application record carries a seal"
seal_verify_ok "both streams sealed: app.log and audit.log" "$T/out/both-app.log" "$T/out/both-audit.log"

# ---- tampering with the sealed audit.log (records only: heartbeats and the stop line stay)
seal_tamper "$A" audit "$T/t" || jb_bail_out "cannot make the tampered copies of $A"
seal_verify_catches "one line deleted" "missing" "$T/t.delete"
seal_verify_catches "one byte of an SD value changed" "altered" "$T/t.value"
seal_verify_catches "one byte of the message changed" "altered" "$T/t.msg"
seal_verify_catches "a forged line inserted" "inserted" "$T/t.insert"
seal_verify_catches "two lines swapped" "reordered" "$T/t.swap"

# ---- the tail: heartbeats every second; cutting the last records and the stop line shows
conf tail 'seal.heartbeat="1"' | sed 's|seal.heartbeat="60"||' >"$T/tail.conf"
jb_rsyslogd_start tail "$T/tail.conf"
jb_wait_for "[ \$(grep -c 'seal.beat=\"heartbeat\"' '$T/out/tail-audit.log' 2>/dev/null) -ge 2 ]" 30 ||
    jb_diag "no heartbeats: $(tail -n 5 "$T/tail.log")"
jb_rsyslogd_stop "$RS_PID" tail
B=$T/out/tail-audit.log
jb_ok "heartbeats every second on the idle audit chain" test "$(grep -c 'seal.beat="heartbeat"' "$B")" -ge 2
seal_verify_ok "audit.log with heartbeats and its stop line" "$B"
last_rec=$(grep -n ' audit \[' "$B" | grep -v ' jbridge - ' | tail -n 1 | cut -d: -f1)
head -n "$((last_rec - 3))" "$B" | grep -v 'seal.beat=' >"$T/t-cut.log"
seal_verify_catches "the tail cut (last records, heartbeats and stop removed)" "CUT" "$T/t-cut.log"
grep -v 'seal.beat="stop"' "$B" >"$T/t-nostop.log"
at=$(($(date +%s) + 10))
seal_verify_catches "the stop line removed, checked 10 s later" "CUT" --at "@$at" "$T/t-nostop.log"

# ---- forward security: a new epoch after 3 sealed records, over four runs of rsyslogd on a
# journal that grows between them (the epoch moves once the input has read what there was at its
# start: a run reads its 5 or so new audit records, then moves); the key file after them cannot
# re-seal the past
python3 - "$T/j.export" "$T/fs" <<'EOF2'
import sys
entries = open(sys.argv[1], "rb").read().split(b"\n\n")[:-1]
q = (len(entries) + 3) // 4
for k in range(4):
    open("%s%d.export" % (sys.argv[2], k), "wb").write(b"".join(e + b"\n\n" for e in entries[k * q:(k + 1) * q]))
EOF2
conf fs 'seal.epochRecords="3"' | sed -e 's|seal.epochRecords="10000"||' -e "s|directory=\"$T/j\"|directory=\"$T/jfs\"|" >"$T/fs.conf"
for k in 0 1 2 3; do
    jb_export_to_journal "$T/fs$k.export" "$T/jfs" || jb_bail_out "cannot build the growing journal"
    want=$(cat "$T"/fs[0-$k].export | grep -ac 'Audit Log')
    jb_rsyslogd_start fs "$T/fs.conf"
    jb_wait_for "[ \$(seal_records '$T/out/fs-audit.log' audit) -ge $want ] && [ \$(sed -n 's/^epoch=//p' '$T/seal.key') -gt $k ]" 60 ||
        jb_diag "run $k: $(seal_records "$T/out/fs-audit.log" audit) of $want audit records, key epoch $(sed -n 's/^epoch=//p' "$T/seal.key")"
    jb_rsyslogd_stop "$RS_PID" "epochs every 3 records, run $((k + 1))"
done
F=$T/out/fs-audit.log
seal_verify_ok "audit.log over several epochs" "$F"
epoch=$(sed -n 's/^epoch=//p' "$T/seal.key")
jb_ok "the key file moved on (epoch $epoch)" test "${epoch:-0}" -ge 3
python3 "$JB_SRCDIR/tests/integration/seal-forge.py" "$T/seal.key" "$T/verify.key" "$F" "$T/forged" >"$T/forge.out" 2>&1 ||
    jb_diag "seal-forge.py: $(cat "$T/forge.out")"
jb_ok "the attacker's tool reproduces a genuine seal of the current epoch" grep -q '^selfcheck ok' "$T/forge.out"
for claim in own current; do
    [ -f "$T/forged.$claim" ] || { jb_fail "forged line claiming the $claim epoch made"; continue; }
    seal_verify_catches "an epoch-0 record re-sealed with the current key, claiming the $claim epoch" "altered|inserted|transition" "$T/forged.$claim"
done

# ---- a chain restarted by deleting the state file (the key has moved on since: a new chain id):
# the verifier reports the restart
rm -f "$T/work/sealed.state"
jb_rsyslogd_start sealed2 "$T/sealed.conf"
jb_wait_for "[ \$(seal_records '$A' audit) -ge $((2 * N_AUDIT)) ]" 60 || jb_diag "no second run: $(tail -n 5 "$T/sealed2.log")"
jb_rsyslogd_stop "$RS_PID" "sealed, state file deleted"
jb_ok "rsyslogd said why a new chain starts" test "$(grep -c 'new chains start, the state file holds no chain' "$T/sealed-internal.log")" -eq 2
# (a restart is named and is a failure, exit 1, unless --allow-restarts)
rc=0
out=$("$JBRIDGE" verify --verify-key "$SEAL_VERIFY_KEY" "$A" 2>&1) || rc=$?
jb_is "$rc" 1 "the state file deleted: jbridge verify exits 1 for the restart"
rc=0
"$JBRIDGE" verify --verify-key "$SEAL_VERIFY_KEY" --allow-restarts "$A" >/dev/null 2>&1 || rc=$?
jb_is "$rc" 0 "... and 0 with --allow-restarts (both chains verify)"
if printf '%s\n' "$out" | grep -q '^restart: host tfe-host stream audit has 2 chains'; then
    jb_pass "the state file deleted: jbridge verify names the restart of the chain"
else
    jb_fail "the state file deleted: jbridge verify names the restart of the chain"
    jb_diag "$out"
fi

jb_done
