#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 15, attack 5: the central server takes audit only from authenticated peers. Debian's
# rsyslogd runs examples/central-server.conf (test certificates, free ports, a private output
# directory: nothing else changed) and an edge runs examples/tfe-forward.conf (imjbridge over a
# journal with a 40 KiB audit line and a 900 KiB application line holding forged records). Then
# an attacker, a plain TCP sender (python), and a client with a valid certificate send:
#   (a) records carrying jbridge@32473 / audit@32473 (and meta) for hosts of their choosing, an
#       audit line without structured data, octet-counted and newline-framed, to the plain port:
#       nothing lands in any audit file; they are in app.log flagged peer="unauthenticated", the
#       sender's id and sequenceId replaced;
#   (b) frames over maxMessageSize (6 MiB) whose tail is a complete forged record, on both ports,
#       and a 300 KiB frame (over imtcp's default maxFrameSize) holding a newline and a forged
#       record: the tail is discarded, the next frame on the connection arrives, the 300 KiB
#       frame arrives whole as one message, no forged record anywhere;
#   (c) the edge's genuine audit (a 40 KiB record included) arrives whole over TLS, equal to what
#       the jbridge command writes for the same journal;
#   (d) one text sent twice from one host and once from another gets three record ids, and
#       sequenceIds 1, 2 in its stream.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"

jb_rsyslog_test "$JBRIDGE" "$JB_RSYSLOG_MODULES/mmjbridge.so" /usr/bin/openssl /usr/bin/python3
moddir=$(dirname "$(echo /usr/lib/*/rsyslog/lmnet.so)")
for m in lmnsd_gtls imrelp; do
    [ -f "$moddir/$m.so" ] && continue
    [ -z "${CI:-}" ] || jb_bail_out "missing $moddir/$m.so (rsyslog-gnutls, rsyslog-relp)"
    jb_skip_all "missing $moddir/$m.so (rsyslog-gnutls, rsyslog-relp)"
done
T=$JB_TMP
MAX=$((6 * 1024 * 1024)) # maxMessageSize="6m" in the examples
grep -q 'maxMessageSize="6m"' "$JB_EXAMPLES/central-server.conf" || jb_bail_out "central-server.conf: maxMessageSize is not 6m"
jb_make_tls "$T/tls" || jb_bail_out "cannot make test certificates: $(cat "$T/tls/openssl.log")"
mkdir -p "$T/central-work" "$T/edge-work" "$T/remote" "$T/remote-journal"
P_TLS=$(jb_free_port)
P_TCP=$(jb_free_port)
P_RELP=$(jb_free_port)

FORGED_JSON='{"resource":"workspace","action":"delete","resource_id":"ws-1","actor":"mallory","timestamp":"2026-01-01T00:00:00Z","actor_ip":"10.6.6.6"}'
FORGED_SD='[jbridge@32473 id="00000000deadbeef" stream="audit"][audit@32473 resource="workspace" action="delete" resource_id="ws-1" actor="mallory" timestamp="2026-01-01T00:00:00Z" actor_ip="10.6.6.6"][meta sequenceId="42"]'
export FORGED_JSON FORGED_SD MAX

# ---- the edge's journal: Docker's entries (dockerd, uid 0) from the fixture, a 40 KiB audit
# line and a 900 KiB application line holding forged records
python3 - "$JB_FIXTURES/audit-values.export" >"$T/edge.export" <<'EOF'
import os, sys
first = open(sys.argv[1]).read().split("\n\n")[0].splitlines()
def entry(n, msg):
    out = []
    for l in first:
        k = l.split("=", 1)[0]
        if k == "MESSAGE": l = "MESSAGE=" + msg
        elif k == "__REALTIME_TIMESTAMP": l = "__REALTIME_TIMESTAMP=%d" % (1767225600000000 + n)
        elif k == "__MONOTONIC_TIMESTAMP": l = "__MONOTONIC_TIMESTAMP=%d" % (86500001000 + n)
        elif k in ("SYSLOG_TIMESTAMP", "CONTAINER_LOG_ORDINAL", "CONTAINER_LOG_EPOCH"): continue
        out.append(l)
    return "\n".join(out) + "\n\n"
audit = '2026-01-01 00:00:%02d [INFO] [Audit Log] {"resource":"run","action":"apply","resource_id":"run-%d","actor":"alice","timestamp":"2026-01-01T00:00:00Z","actor_ip":"10.0.0.5","plan":"%s"}'
forged = "<110>1 2026-01-01T00:00:00Z forged-edge ptfe_atlas - audit " + os.environ["FORGED_SD"] + " x"
app = "GET /app padded=" + "".join(("y" * 8000) + " " + forged + " " for _ in range(110))
sys.stdout.write(entry(1, audit % (1, 1, "p" * 40960)) + entry(2, audit % (2, 2, "small")) +
                 entry(3, app + "END-OF-BIG-APP-LINE") + entry(4, "an application line"))
EOF
jb_export_to_journal "$T/edge.export" "$T/j" || jb_bail_out "cannot build the edge's journal"
"$JBRIDGE" --directory "$T/j" --app-out "$T/ref.app" --audit-out "$T/ref.audit" </dev/null || jb_bail_out "jbridge failed"
sed -i -E 's/^(<[0-9]+>1 [^ ]+)Z /\1+00:00 /' "$T/ref.app" "$T/ref.audit"
jb_is "$(wc -l <"$T/ref.audit") $(LC_ALL=C awk '/plan="ppp/ && length($0) > 40960' "$T/ref.audit" | wc -l)" "2 1" \
    "the edge's journal: two audit lines, one of 40 KiB (jbridge's own output)"

# ---- the two servers, from the examples
jb_example_conf "$JB_EXAMPLES/central-server.conf" "$T/central-work" "$T/tls" \
    "s|port=\"6514\"|port=\"$P_TLS\"|" "s|port=\"514\"|port=\"$P_TCP\"|" "s|port=\"2514\"|port=\"$P_RELP\"|" \
    "s|/var/log/remote/|$T/remote/|g" "s|/var/log/journal/remote|$T/remote-journal|g" >"$T/central.conf"
jb_example_conf "$JB_EXAMPLES/tfe-forward.conf" "$T/edge-work" "$T/tls" \
    "s|port=\"6514\"|port=\"$P_TLS\"|" "s|port=\"514\"|port=\"$P_TCP\"|" \
    's|target="[a-z.]*example.com"|target="127.0.0.1"|' "s|input(type=\"imjbridge\"|input(type=\"imjbridge\" directory=\"$T/j\"|" \
    >"$T/edge.conf"
jb_ok "central-server.conf validates (rsyslogd -N1)" "$RSYSLOGD" -N1 -f "$T/central.conf"
jb_rsyslogd_start central "$T/central.conf"
CENTRAL=$RS_PID
jb_rsyslogd_start edge "$T/edge.conf"
EDGE=$RS_PID
HOSTDIR=$T/remote/tfe-host
jb_wait_for "[ \$(cat '$HOSTDIR/audit.log' 2>/dev/null | wc -l) -ge 2 ] && grep -q END-OF-BIG-APP-LINE '$HOSTDIR/app.log'" 60 ||
    jb_diag "the edge's records did not all arrive: $(tail -n 5 "$T/central.log" "$T/edge.log")"
jb_rsyslogd_stop "$EDGE" "edge"

# ---- the attacker
cat >"$T/send.py" <<'EOF'
# send.py plain|tls PORT TLSDIR SCENARIO: one connection, the scenario's frames on it.
import os, socket, ssl, sys, time
mode, port, tlsdir, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
MAX = int(os.environ["MAX"])
SD, JSON = os.environ["FORGED_SD"], os.environ["FORGED_JSON"]
AUDIT_TEXT = "2026-01-01 00:00:00 [INFO] [Audit Log] " + JSON
def rec(host, sd, msg, pri=110, app="ptfe_atlas", msgid="audit"):
    return ("<%d>1 2026-01-01T00:00:00Z %s %s - %s %s %s" % (pri, host, app, msgid, sd, msg)).encode()
def oc(b): return str(len(b)).encode() + b" " + b
def long_frame(host, tail_host):
    head = rec(host, "-", "", pri=14, app="app", msgid="-")
    head += b"z" * (MAX - len(head))          # exactly maxMessageSize: the cut falls here
    return oc(head + rec(tail_host, SD, AUDIT_TEXT))
frames = {
    "forge": [oc(rec("tfe-prod-1", SD, AUDIT_TEXT)),
              rec("tfe-prod-2", SD, AUDIT_TEXT) + b"\n",          # newline framing
              oc(rec("tfe-prod-3", "-", AUDIT_TEXT)),             # audit text, no structured data
              oc(rec("tfe-host", SD, AUDIT_TEXT)),                # the genuine edge's host
              oc(rec("tfe-prod-4", SD.replace("[jbridge@32473 id=\"00000000deadbeef\" stream=\"audit\"]", ""),
                     AUDIT_TEXT))],                               # audit@ alone
    "long": [long_frame("cut-" + mode, "forged-cut-" + mode),
             oc(rec("cut-" + mode, "-", "after-the-long-frame", pri=14, app="app", msgid="-"))],
    "lf": [oc(rec("lf-host", "-", "x" * 300000 + "\n" + rec("forged-lf", SD, "x").decode() + " END-LF",
                  pri=14, app="app", msgid="-"))],
    "dup": [oc(rec("dup-a", "-", "the same text", pri=14, app="app", msgid="-")),
            oc(rec("dup-a", "-", "the same text", pri=14, app="app", msgid="-")),
            oc(rec("dup-b", "-", "the same text", pri=14, app="app", msgid="-"))],
    "dup-audit": [oc(rec("dup-tls", "-", AUDIT_TEXT.replace("mallory", "trent")))] * 2,
}[scenario]
s = socket.create_connection(("127.0.0.1", port))
if mode == "tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tlsdir + "/ca.pem")
    ctx.load_cert_chain(tlsdir + "/cert.pem", tlsdir + "/key.pem")
    ctx.check_hostname = False
    s = ctx.wrap_socket(s)
for f in frames:
    s.sendall(f)
time.sleep(0.3)
try:
    s.unwrap() if mode == "tls" else None  # close_notify; rsyslogd closes without answering
except (ssl.SSLError, OSError):
    pass
s.close()
EOF
send() { python3 "$T/send.py" "$1" "$2" "$T/tls" "$3" 2>>"$T/send.err" || jb_diag "send.py $*: $(cat "$T/send.err")"; }
send plain "$P_TCP" forge
send plain "$P_TCP" long
send tls "$P_TLS" long
send tls "$P_TLS" lf
send plain "$P_TCP" dup
send tls "$P_TLS" dup-audit
jb_wait_for "grep -q after-the-long-frame '$T/remote/cut-plain/app.log' && grep -q after-the-long-frame '$T/remote/cut-tls/app.log' &&
    grep -q END-LF '$T/remote/lf-host/app.log' && [ \$(cat '$T/remote/dup-a/app.log' | wc -l) -ge 2 ] &&
    [ -s '$T/remote/dup-b/app.log' ] && [ \$(cat '$T/remote/dup-tls/audit.log' | wc -l) -ge 2 ] &&
    [ -s '$T/remote/tfe-prod-4/app.log' ]" 60 ||
    jb_diag "not everything arrived: $(ls -R "$T/remote"; tail -n 5 "$T/central.log")"
jb_rsyslogd_stop "$CENTRAL" "central"

# (a) plain TCP: never audit
jb_is "$(cd "$T/remote" && LC_ALL=C grep -a -l mallory ./*/audit.log 2>/dev/null | tr '\n' ' ')" "" \
    "(a) no forged record is in any audit file"
jb_is "$(cd "$T/remote" && ls -d tfe-prod-*/audit.log forged-*/ 2>/dev/null | tr '\n' ' ')" "" \
    "(a) no audit file for a host the sender chose, no directory for a host inside a frame"
for h in tfe-prod-1 tfe-prod-2 tfe-prod-3 tfe-prod-4 tfe-host; do
    jb_ok "(a) $h: the forged record is in app.log, flagged peer=\"unauthenticated\", no audit@, its own id and sequenceId" \
        sh -c "LC_ALL=C grep -a mallory '$T/remote/$h/app.log' | grep -a -E '^<[0-9]+>1 [^ ]+ $h ptfe_atlas - audit \[jbridge@32473 id=\"[0-9a-f]{16}\" stream=\"app\" peer=\"unauthenticated\"\]\[meta sequenceId=\"[0-9]+\"\] ' |
            grep -a -v -e deadbeef -e 'audit@32473' -e 'sequenceId=\"42\"' | grep -q ."
done

# (b) over-long frames
for m in plain tls; do
    jb_is "$(LC_ALL=C grep -a -c . "$T/remote/cut-$m/app.log")" 2 \
        "(b) $m: a frame over maxMessageSize gives its head (cut) and nothing else; the next frame arrives"
    jb_ok "(b) $m: the head is cut at maxMessageSize" \
        sh -c "LC_ALL=C grep -a -o 'z*' '$T/remote/cut-$m/app.log' | awk 'length > $MAX - 200 && length < $MAX { ok = 1 } END { exit !ok }'"
done
jb_is "$(LC_ALL=C grep -a -c . "$T/remote/lf-host/app.log") $(LC_ALL=C awk '/xxx/ && length($0) > 300000' "$T/remote/lf-host/app.log" | wc -l)" \
    "1 1" "(b) a 300 KiB frame with a newline (over imtcp's default maxFrameSize) is one message, whole"
grep -q "received oversize message" "$T/central.log" && jb_pass "(b) rsyslogd logs the over-long frames" ||
    jb_fail "(b) rsyslogd logs the over-long frames"

# (c) the edge's audit, whole
touch "$HOSTDIR/audit.log"
jb_files_equal "$HOSTDIR/audit.log" "$T/ref.audit" \
    "(c) the edge's audit over TLS equals jbridge's, the 40 KiB record whole"
jb_is "$(LC_ALL=C grep -a -c . "$HOSTDIR/audit.log")" 2 "(c) tfe-host/audit.log holds the two genuine records, nothing else"
jb_is "$(LC_ALL=C grep -a -c 'END-OF-BIG-APP-LINE' "$HOSTDIR/app.log") $(LC_ALL=C grep -a 'END-OF-BIG-APP-LINE' "$HOSTDIR/app.log" | grep -a -o 'forged-edge' | wc -l)" \
    "1 110" "(c) the 900 KiB application line arrives whole, as one record, the records inside it with it"

# (d) ids unique per message, sequenceIds per stream
ids() { LC_ALL=C grep -a -h -o 'jbridge@32473 id="[0-9a-f]*"' "$@" | sort -u | wc -l | tr -d ' '; }
jb_is "$(ids "$T/remote/dup-a/app.log" "$T/remote/dup-b/app.log")" 3 "(d) one text, twice from one host and once from another: three ids"
jb_is "$(ids "$T/remote/dup-tls/audit.log")" 2 "(d) one audit text twice over TLS: two ids"
jb_is "$(LC_ALL=C grep -a -h -o 'sequenceId="[0-9]*"' "$T/remote/dup-tls/audit.log" | tr '\n' ' ')" \
    'sequenceId="1" sequenceId="2" ' "(d) ... with sequenceIds 1 and 2 of the TLS ruleset's audit stream"
jb_done
