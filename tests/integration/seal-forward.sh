#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 16: a sealed edge forwards to a central server, and the central server's per-host files
# verify. The edge runs examples/edge-forwarding.conf (imjbridge on a real journald in this
# private mount namespace; both streams over RELP with
# TLS) with both streams sealed (seal.streams="app,audit", heartbeats every second); the central
# server runs examples/central-server.conf (mmjbridge resplit="on", per-host per-stream files).
# Only paths, ports, the target address and the seal parameters are changed. jb-write writes at
# the edge; the central server is killed with SIGKILL mid-stream and started again (the edge's
# queues send again what was not confirmed: duplicates, which verify as duplicates).
# Checked: HOST/audit.log and HOST/app.log verify with `jbridge verify`, each on its own and
# together; each tampering with the central files is caught and named (a line deleted, a byte of
# a value and of the message changed, a forged line inserted, two lines swapped, the tail cut).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_reexec_private_ns "$@"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"
# shellcheck source=tests/integration/seal-lib.sh
. "$(dirname "$0")/seal-lib.sh"

jb_rsyslog_test "$JB_WRITE" "$JBRIDGE" "$JB_RSYSLOG_MODULES/mmjbridge.so" /usr/bin/openssl
moddir=$(dirname "$(echo /usr/lib/*/rsyslog/lmnet.so)")
for m in lmnsd_gtls omrelp imrelp; do
    [ -f "$moddir/$m.so" ] && continue
    [ -z "${CI:-}" ] || jb_bail_out "missing $moddir/$m.so (rsyslog-gnutls, rsyslog-relp)"
    jb_skip_all "missing $moddir/$m.so (rsyslog-gnutls, rsyslog-relp)"
done
T=$JB_TMP
jb_make_tls "$T/tls" || jb_bail_out "cannot make test certificates: $(cat "$T/tls/openssl.log")"
mkdir -p "$T/cwork" "$T/ework" "$T/remote" "$T/jremote"
SEAL_VERIFY_KEY=$T/verify.key
"$JBRIDGE" keygen --seal-key "$T/ework/seal.key" >"$SEAL_VERIFY_KEY" || jb_bail_out "jbridge keygen failed"

# ---- the two configurations, from the examples (the test certificate names every host)
P_TLS=$(jb_free_port)
P_TCP=$(jb_free_port)
P_RELP=$(jb_free_port)
ports=("s|port=\"6514\"|port=\"$P_TLS\"|" "s|port=\"514\"|port=\"$P_TCP\"|" "s|port=\"2514\"|port=\"$P_RELP\"|")
jb_example_conf "$JB_EXAMPLES/central-server.conf" "$T/cwork" "$T/tls" "${ports[@]}" \
    "s|/var/log/remote/|$T/remote/|" "s|/var/log/journal/remote|$T/jremote|" >"$T/central.conf"
jb_example_conf "$JB_EXAMPLES/edge-forwarding.conf" "$T/ework" "$T/tls" "${ports[@]}" \
    's|target="central.example.com"|target="127.0.0.1"|' 's|central.example.com|siem.example.com|g' \
    "s|stateFile=\"imjbridge-edge.state\"|& seal.keyFile=\"$T/ework/seal.key\" seal.streams=\"app,audit\" seal.heartbeat=\"1\"|" \
    >"$T/edge.conf"
grep -q 'seal.keyFile' "$T/edge.conf" || jb_bail_out "edge-forwarding.conf: no stateFile=\"imjbridge-edge.state\" to seal"
jb_ok "central-server.conf validates (rsyslogd -N1)" "$RSYSLOGD" -N1 -f "$T/central.conf"
jb_ok "edge-forwarding.conf with sealing validates (rsyslogd -N1)" "$RSYSLOGD" -N1 -f "$T/edge.conf"

jb_start_journald
N=2000
K=5
N_AUDIT=$((N / K))
N_APP=$((N - N_AUDIT))
jb_rsyslogd_start central "$T/central.conf"
CENTRAL=$RS_PID
jb_rsyslogd_start edge "$T/edge.conf"
EDGE=$RS_PID
"$JB_WRITE" --quiet --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count $N --audit-every $K --prefix s \
    --rate 500 2>>"$T/writer.err" &
WRITER=$!
jb_on_cleanup "kill -TERM $WRITER 2>/dev/null"
HOST=$(hostname)
H=$T/remote/$HOST
jb_wait_for "[ \$(seal_records '$H/audit.log' audit) -ge $((N_AUDIT / 4)) ]" 60 ||
    jb_diag "no audit records at the central server: $(tail -n 5 "$T/central.log" "$T/edge.log")"
kill -KILL "$CENTRAL"
jb_wait_pid_exit "$CENTRAL" 10 || true
jb_rsyslogd_start central "$T/central.conf"
CENTRAL=$RS_PID
jb_wait_pid_exit "$WRITER" 60 || jb_diag "jb-write did not finish"
seqs() { grep -av ' jbridge - ' "$H/$1.log" 2>/dev/null | LC_ALL=C grep -ao -E "seq(=|=\")s-[0-9]+" | sort -u | wc -l; }
jb_wait_for "[ \$(seqs audit) -ge $N_AUDIT ] && [ \$(seqs app) -ge $N_APP ]" 90 ||
    jb_diag "not everything arrived: audit $(seqs audit)/$N_AUDIT, app $(seqs app)/$N_APP"
jb_wait_for "[ \$(grep -c 'seal.beat=\"heartbeat\"' '$H/audit.log') -ge 5 ]" 30 ||
    jb_diag "no heartbeats at the central server"
jb_rsyslogd_stop "$EDGE" "edge"
jb_wait_for "grep -q 'seal.beat=\"stop\"' '$H/audit.log' && grep -q 'seal.beat=\"stop\"' '$H/app.log'" 30 ||
    jb_diag "the edge's stop lines did not arrive"
jb_rsyslogd_stop "$CENTRAL" "central"

jb_is "$(seqs audit) $(seqs app)" "$N_AUDIT $N_APP" "every record arrived at the central server"
jb_diag "central audit.log: $(seal_records "$H/audit.log" audit) audit lines, app.log: $(seal_records "$H/app.log" app) app lines (duplicates after the SIGKILL included)"
jb_ok "heartbeats of the audit chain are in the central audit.log (resplit by stream=)" \
    test "$(grep -c ' jbridge - audit .*seal.beat="heartbeat"' "$H/audit.log")" -ge 1
jb_is "$(grep -c ' jbridge - audit ' "$H/app.log")" 0 "no audit heartbeat in the central app.log"
seal_verify_ok "the central server's $HOST/audit.log (TLS)" "$H/audit.log"
seal_verify_ok "the central server's $HOST/app.log (RELP)" "$H/app.log"
seal_verify_ok "both files together" "$H/app.log" "$H/audit.log"

# ---- tampering with the central server's files
for st in audit app; do
    seal_tamper "$H/$st.log" "$st" "$T/$st" || jb_bail_out "cannot make the tampered copies of $H/$st.log"
    seal_verify_catches "$st.log: one line deleted" "missing" "$T/$st.delete"
    seal_verify_catches "$st.log: one byte of an SD value changed" "altered" "$T/$st.value"
    seal_verify_catches "$st.log: one byte of the message changed" "altered" "$T/$st.msg"
    seal_verify_catches "$st.log: a forged line inserted" "inserted" "$T/$st.insert"
    seal_verify_catches "$st.log: two lines swapped" "reordered" "$T/$st.swap"
done
# the tail: the stop line and the last heartbeats cut (the newest heartbeat left is older than
# twice its 1 s interval); then the last records too, with every line after them, checked as a
# SIEM would 130 s later (no heartbeat left: the default interval, 60 s)
last=$(grep -an 'seal.beat="heartbeat"' "$H/audit.log" | tail -n 3 | head -n 1 | cut -d: -f1)
head -n "$((last - 1))" "$H/audit.log" >"$T/audit.cut-beats"
seal_verify_catches "audit.log: the stop line and the last heartbeats cut" "CUT" "$T/audit.cut-beats"
last=$(grep -an ' audit \[' "$H/audit.log" | grep -av ' jbridge - ' | tail -n 10 | head -n 1 | cut -d: -f1)
head -n "$((last - 1))" "$H/audit.log" >"$T/audit.cut-records"
seal_verify_catches "audit.log: the last 10 records and everything after them cut" "CUT" --at "@$(($(date +%s) + 130))" \
    "$T/audit.cut-records"
jb_done
