#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Edge to central, streams kept apart, on loopback with two real rsyslogd.
# The edge runs examples/edge-forwarding.conf (imjbridge on a real journald in this private mount
# namespace; both streams over RELP with TLS, two connections; disk-assisted action queues, resumeRetryCount -1); the central server runs
# examples/central-server.conf (imtcp+gtls, imrelp, mmjbridge, per-host per-stream files, and
# imjbridge over a systemd-journal-remote directory). Only paths, ports and the target address
# are changed. jb-write writes steadily at the edge; the central server is killed with SIGKILL
# mid-stream and started again. Checked: no audit record lost, duplicates carry the same record id
# and sequenceId, the sequence numbers have no gap and a deleted record shows as one
# (examples/check-sequence.awk), and the journal-remote store lands in per-host files by the
# _HOSTNAME of each entry. Figures (sent, received, lost, dup) go to the TAP diagnostics.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_reexec_private_ns "$@"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"

jb_need_program "$RSYSLOGD"
jb_need_program "$JB_WRITE"
jb_need_program "$JBRIDGE"
jb_need_program "$JOURNAL_REMOTE"
jb_need_program "$JB_RSYSLOG_MODULES/imjbridge.so"
jb_need_program "$JB_RSYSLOG_MODULES/mmjbridge.so"
moddir=$(dirname "$(echo /usr/lib/*/rsyslog/lmnet.so)")
for m in lmnsd_gtls omrelp imrelp; do
    [ -f "$moddir/$m.so" ] && continue
    [ -z "${CI:-}" ] || jb_bail_out "missing $moddir/$m.so (rsyslog-gnutls, rsyslog-relp)"
    jb_skip_all "missing $moddir/$m.so (rsyslog-gnutls, rsyslog-relp)"
done
command -v openssl >/dev/null 2>&1 || jb_need_program /usr/bin/openssl
jb_mktemp
trap jb_cleanup EXIT
T=$JB_TMP
CHECK="$JB_EXAMPLES/check-sequence.awk"

# ---- certificates: one CA, a central and an edge identity (the central checks *.example.com,
# the edge checks central.example.com)
mk_certs() {
    local d=$1 n
    mkdir -p "$d"
    cd "$d" || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=jbridge-forward-ca -keyout ca-key.pem \
        -out ca.pem -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign || return 1
    for n in central edge; do
        mkdir -p "$n"
        openssl req -newkey rsa:2048 -nodes -subj "/CN=$n.example.com" -keyout "$n/key.pem" -out "$n/req.pem" || return 1
        printf 'subjectAltName=DNS:%s.example.com\nextendedKeyUsage=serverAuth,clientAuth\n' "$n" >"$n/ext.cnf"
        openssl x509 -req -in "$n/req.pem" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
            -extfile "$n/ext.cnf" -out "$n/cert.pem" || return 1
        cp ca.pem "$n/"
    done
}
(mk_certs "$T/tls") >"$T/openssl.log" 2>&1 || {
    jb_diag "$(cat "$T/openssl.log")"
    jb_bail_out "cannot make test certificates"
}

# ---- a systemd-journal-remote store with two hosts (the fixture's entries, _HOSTNAME, boot id
# and time changed for the second one so sd-journal sees different entries)
mkdir -p "$T/jremote"
sed 's/^_HOSTNAME=.*/_HOSTNAME=alpha/' "$JB_FIXTURES/containers.export" >"$T/alpha.export"
sed -e 's/^_HOSTNAME=.*/_HOSTNAME=bravo/' -e 's/^_BOOT_ID=.*/_BOOT_ID=0b0b0b0b0b0b4b0b8b0b0b0b0b0b0b0b/' \
    -e 's/^\(__REALTIME_TIMESTAMP=.*\)000$/\1007/' "$JB_FIXTURES/containers.export" >"$T/bravo.export"
for h in alpha bravo; do
    "$JOURNAL_REMOTE" -o "$T/jremote/remote-$h.journal" - <"$T/$h.export" >>"$T/jremote.log" 2>&1 ||
        jb_bail_out "systemd-journal-remote failed: $(cat "$T/jremote.log")"
done

# ---- the two configurations, from the examples
P_TLS=$(jb_free_port)
P_TCP=$(jb_free_port)
P_RELP=$(jb_free_port)
mkdir -p "$T/cwork" "$T/ework" "$T/remote"
ports=("s|port=\"6514\"|port=\"$P_TLS\"|" "s|port=\"514\"|port=\"$P_TCP\"|" "s|port=\"2514\"|port=\"$P_RELP\"|")
jb_example_conf "$JB_EXAMPLES/central-server.conf" "$T/cwork" "$T/tls/central" "${ports[@]}" \
    "s|/var/log/remote/|$T/remote/|" "s|/var/log/journal/remote|$T/jremote|" >"$T/central.conf"
jb_example_conf "$JB_EXAMPLES/edge-forwarding.conf" "$T/ework" "$T/tls/edge" "${ports[@]}" \
    's|target="central.example.com"|target="127.0.0.1"|' >"$T/edge.conf"
grep -q "port=\"$P_RELP\"" "$T/central.conf" || jb_bail_out "central-server.conf has no RELP input on 2514"
jb_ok "central-server.conf validates (rsyslogd -N1)" "$RSYSLOGD" -N1 -f "$T/central.conf"
jb_ok "edge-forwarding.conf validates (rsyslogd -N1)" "$RSYSLOGD" -N1 -f "$T/edge.conf"

jb_start_journald

A_SEQ() { cat "$T"/remote/*/audit.log 2>/dev/null | LC_ALL=C grep -a -o -E " seq=\"f-[0-9]+\"" | sed -E 's/^ seq="f-//; s/"$//'; }
P_SEQ() { cat "$T"/remote/*/app.log 2>/dev/null | LC_ALL=C grep -a -o -E "seq=f-[0-9]+( |\"|\$)" | sed -E 's/^seq=f-//; s/[ "]$//'; }
uniq_count() { sort -n -u | wc -l | tr -d ' '; }

N=3000
K=5
N_AUDIT=$((N / K))
N_APP=$((N - N_AUDIT))
jb_rsyslogd_start central "$T/central.conf"
CENTRAL=$RS_PID
jb_rsyslogd_start edge "$T/edge.conf"
EDGE=$RS_PID
"$JB_WRITE" --quiet --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count $N --audit-every $K --prefix f \
    --rate 600 2>>"$T/writer.err" &
WRITER=$!
jb_on_cleanup "kill -TERM $WRITER 2>/dev/null"

# SIGKILL the central server once a part of the stream went through, keep writing, start it again
if jb_wait_for "[ \$(A_SEQ | wc -l) -ge $((N_AUDIT / 5)) ]" 60; then
    jb_pass "the central server receives audit records over RELP"
else
    jb_fail "the central server receives audit records over RELP"
    jb_diag "$(tail -n 20 "$T/central.log" "$T/edge.log")"
fi
kill -KILL "$CENTRAL"
jb_wait_pid_exit "$CENTRAL" 10 || true
at_kill=$(A_SEQ | wc -l | tr -d ' ')
written=$(jb_journal_count CONTAINER_NAME=tfe-atlas)
jb_wait_for "[ \$(jb_journal_count CONTAINER_NAME=tfe-atlas) -ge $((written + 600)) ]" 30 ||
    jb_diag "the writer did not go on while the central server was down"
jb_rsyslogd_start central "$T/central.conf"
CENTRAL=$RS_PID
jb_wait_pid_exit "$WRITER" 60 || jb_diag "jb-write did not finish"
jb_wait_for "[ \$(A_SEQ | uniq_count) -ge $N_AUDIT ] && [ \$(P_SEQ | uniq_count) -ge $N_APP ]" 90 ||
    jb_diag "not everything arrived in 90 s: audit $(A_SEQ | uniq_count)/$N_AUDIT, app $(P_SEQ | uniq_count)/$N_APP"
# the journal-remote input is read as well (it may have read some entries twice: SIGKILL)
jb_wait_for "[ -s '$T/remote/bravo/audit.log' ]" 30 || true
jb_rsyslogd_stop "$EDGE" "edge"
jb_rsyslogd_stop "$CENTRAL" "central"

# ---- figures
a_recv=$(A_SEQ | wc -l | tr -d ' ')
a_uniq=$(A_SEQ | uniq_count)
p_recv=$(P_SEQ | wc -l | tr -d ' ')
p_uniq=$(P_SEQ | uniq_count)
jb_diag "audit (RELP): sent $N_AUDIT, received $a_recv, lost $((N_AUDIT - a_uniq)), dup $((a_recv - a_uniq)) (central killed after $at_kill)"
jb_diag "app (RELP):   sent $N_APP, received $p_recv, lost $((N_APP - p_uniq)), dup $((p_recv - p_uniq))"
jb_is "$((N_AUDIT - a_uniq))" 0 "no audit record lost across a SIGKILL of the central server"
jb_is "$(A_SEQ | sort -n -u | md5sum)" "$(seq 1 $N | awk -v k=$K '$1 % k == 0' | md5sum)" \
    "exactly the audit lines are in the audit files"
jb_is "$((N_APP - p_uniq))" 0 "no application record lost (RELP)"
jb_is "$(P_SEQ | sort -n -u | md5sum)" "$(seq 1 $N | awk -v k=$K '$1 % k != 0' | md5sum)" \
    "exactly the application lines are in the application files"

# the edge's host: the one directory that has the writer's records
edge_dir=$(dirname "$(grep -l -a 'seq="f-' "$T"/remote/*/audit.log | head -n 1)")
AUD=$edge_dir/audit.log
# duplicates: every copy of an entry has the same record id and the same sequenceId
conflicts=$(LC_ALL=C grep -a -o -E 'jbridge@[0-9]+ id="[0-9a-f]{16}"|sequenceId="[0-9]+"| seq="f-[0-9]+"' "$AUD" |
    paste - - - | sort -u | awk '{print $NF}' | sort | uniq -d | head -n 3)
jb_is "${conflicts:-none}" none "a re-delivered audit record carries the same record id and sequenceId"
# sequence numbers: 1..N_AUDIT without a gap; app stream too
out=$(awk -f "$CHECK" "$AUD")
rc=$?
jb_diag "$out"
jb_is "$rc $(printf '%s\n' "$out" | grep -c '^gap')" "0 0" "check-sequence.awk: no gap in the audit stream"
jb_ok "the audit sequenceIds go from 1 to $N_AUDIT" grep -q -E "^summary .* audit first=1 last=$N_AUDIT " <<<"$out"
out=$(awk -f "$CHECK" "$edge_dir/app.log")
jb_is "$? $(printf '%s\n' "$out" | grep -c '^gap')" "0 0" "check-sequence.awk: no gap in the application stream"
# a record deleted on the way shows as a gap of exactly that number, and the check fails
victim=$((N_AUDIT / 2))
grep -a -v "sequenceId=\"$victim\"\]" "$AUD" >"$T/audit-minus-one.log"
out=$(awk -f "$CHECK" "$T/audit-minus-one.log")
rc=$?
host=$(basename "$edge_dir")
jb_is "$rc $(printf '%s\n' "$out" | grep '^gap')" "1 gap $host audit $victim-$victim 1" \
    "check-sequence.awk reports a deleted audit record as a gap and exits 1"

# ---- the systemd-journal-remote store: one directory per _HOSTNAME, as the jbridge command splits it
for h in alpha bravo; do
    "$JBRIDGE" --file "$T/jremote/remote-$h.journal" --app-out "$T/$h.app" --audit-out "$T/$h.audit" 2>>"$T/cli.err"
    for s in app audit; do
        want=$(LC_ALL=C grep -a -o -E 'jbridge@[0-9]+ id="[0-9a-f]{16}"' "$T/$h.$s" | sort -u)
        got=$(LC_ALL=C grep -a -o -E 'jbridge@[0-9]+ id="[0-9a-f]{16}"' "$T/remote/$h/$s.log" 2>/dev/null | sort -u)
        jb_is "$(printf '%s' "$got" | md5sum) $(printf '%s\n' "$got" | grep -c .)" \
            "$(printf '%s' "$want" | md5sum) $(printf '%s\n' "$want" | grep -c .)" \
            "journal-remote store: $h's $s records are in $h/$s.log"
    done
done
jb_done
