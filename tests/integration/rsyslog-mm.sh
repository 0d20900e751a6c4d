#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mmjbridge with Debian's rsyslogd, and the forwarding examples run for real (examples/cloudify.conf
# runs in cloudify.sh):
#   1. imfile + mmjbridge: Terraform Enterprise lines (plain, audit, wrapped, malformed) from a
#      file; audit to one file, application to another, $!audit!* in a template.
#   2. examples/tfe-forward.conf (imjbridge over fixture journals) sending to
#      examples/central-server.conf over TLS (audit) and TCP (application) on 127.0.0.1: the
#      central server splits the streams again by their structured data into per-host, per-stream
#      files equal to what the jbridge command writes; a plain TCP sender's audit line is not audit
#      (the plain port is unauthenticated: app, flagged peer="unauthenticated").

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"

jb_rsyslog_test "$JBRIDGE" "$JB_RSYSLOG_MODULES/mmjbridge.so" /usr/bin/openssl

# ---------------------------------------------------------------- 1. imfile + mmjbridge
T=$JB_TMP/1
mkdir -p "$T/work"
A='{"resource":"oauth_client","action":"create","resource_id":"oc-1","actor":"alice","timestamp":"2018-03-27T21:55:29Z","actor_ip":"10.0.0.5"}'
{
    echo '2018-03-27 21:55:29 [INFO] [ActionController] Started GET "/api/v2/organizations"'
    echo "2018-03-27 21:55:29 [INFO] [Audit Log] $A"
    echo 'audit logs are shipped every minute'
    echo '{"component":"atlas","log":"2023-09-01 10:00:00 [INFO] [Audit Log] {\"resource\":\"run\",\"action\":\"queue\",\"resource_id\":\"run-1\",\"actor\":\"carol\",\"timestamp\":\"2023-09-01T10:00:00Z\",\"actor_ip\":\"10.0.0.9\"}"}'
    echo '2018-03-27 21:55:30 [INFO] [Audit Log] {"resource":"run","action":"apply","resource_id":"run-'
    echo '{"component":"nginx","log":"10.0.0.9 - - \"GET /_health_check HTTP/1.1\" 200 2"}'
} >"$T/atlas.log"
cat >"$T/rsyslog.conf" <<EOC
global(workDirectory="$T/work")
module(load="imfile")
module(load="$JB_RSYSLOG_MODULES/mmjbridge.so")
template(name="aud" type="string" string="%\$!audit!actor%|%\$!audit!action%|%\$!jbridge!audit%|%STRUCTURED-DATA%\n")
template(name="app" type="string" string="%\$!jbridge!stream%|%STRUCTURED-DATA%|%msg%\n")
ruleset(name="in") {
    action(type="mmjbridge")
    if \$!jbridge!stream == "audit" then {
        action(type="omfile" file="$T/audit.log" template="aud")
        stop
    }
    action(type="omfile" file="$T/app.log" template="app")
}
input(type="imfile" file="$T/atlas.log" tag="atlas" ruleset="in")
EOC
jb_rsyslogd_start rs1 "$T/rsyslog.conf"
jb_wait_for "[ \$(cat '$T/audit.log' '$T/app.log' 2>/dev/null | wc -l) -ge 6 ]" 30 || jb_diag "imfile: not everything arrived"
jb_rsyslogd_stop "$RS_PID" "imfile+mmjbridge"
touch "$T/audit.log" "$T/app.log"
jb_is "$(cut -d'|' -f1-3 "$T/audit.log" | tr '\n' ' ')" "alice|create| carol|queue| ||malformed " \
    "imfile+mmjbridge: audit lines (plain, wrapped, malformed) in the audit file, \$!audit!* in the template"
jb_ok "imfile+mmjbridge: audit@32473 added to the structured data" \
    grep -q '\[audit@32473 resource="oauth_client" action="create" resource_id="oc-1" actor="alice"' "$T/audit.log"
jb_ok "imfile+mmjbridge: the malformed line is flagged in the structured data" \
    grep -q 'stream="audit" audit="malformed" reason=' "$T/audit.log"
jb_is "$(cut -d'|' -f1 "$T/app.log" | sort | uniq -c | tr -s ' ')" " 3 app" "imfile+mmjbridge: three application lines"
jb_ok "imfile+mmjbridge: an application line has jbridge@32473 stream=app, no audit@32473" \
    sh -c "grep -q 'jbridge@32473 id=\"[0-9a-f]\{16\}\" stream=\"app\"' '$T/app.log' && ! grep -q 'audit@32473' '$T/app.log'"

# ---------------------------------------------------------------- 2. forward over TLS to a central server
T=$JB_TMP/2
jb_make_tls "$JB_TMP/tls" || jb_bail_out "cannot make test certificates: $(cat "$JB_TMP/tls/openssl.log")"
mkdir -p "$T/host-work" "$T/central-work" "$T/remote"
P_TLS=$(jb_free_port)
P_TCP=$(jb_free_port)
P_RELP=$(jb_free_port)
mkdir -p "$T/remote-journal"
CASES="containers audit-values wrapped audit-malformed"
for c in $CASES; do
    jb_export_to_journal "$JB_FIXTURES/$c.export" "$T/j" || jb_bail_out "cannot build the journal"
done
"$JBRIDGE" --directory "$T/j" --app-out "$T/ref.app" --audit-out "$T/ref.audit" </dev/null || jb_bail_out "jbridge failed"
sed -i -E 's/^(<[0-9]+>1 [^ ]+)Z /\1+00:00 /' "$T/ref.app" "$T/ref.audit"
jb_example_conf "$JB_EXAMPLES/central-server.conf" "$T/central-work" "$JB_TMP/tls" \
    "s|port=\"6514\"|port=\"$P_TLS\"|" "s|port=\"514\"|port=\"$P_TCP\"|" "s|port=\"2514\"|port=\"$P_RELP\"|" \
    "s|/var/log/remote/|$T/remote/|g" "s|/var/log/journal/remote|$T/remote-journal|g" >"$T/central.conf"
jb_example_conf "$JB_EXAMPLES/tfe-forward.conf" "$T/host-work" "$JB_TMP/tls" \
    "s|port=\"6514\"|port=\"$P_TLS\"|" "s|port=\"514\"|port=\"$P_TCP\"|" \
    's|target="[a-z.]*example.com"|target="127.0.0.1"|' "s|input(type=\"imjbridge\"|input(type=\"imjbridge\" directory=\"$T/j\"|" \
    >"$T/host.conf"
jb_rsyslogd_start central "$T/central.conf"
CENTRAL=$RS_PID
jb_rsyslogd_start host "$T/host.conf"
HOST=$RS_PID
want=$(cat "$T/ref.app" "$T/ref.audit" | wc -l)
jb_wait_for "[ \$(cat $T/remote/tfe-host/*.log 2>/dev/null | wc -l) -ge $want ]" 30 ||
    jb_diag "central: not everything arrived: $(cat "$JB_TMP/host.log" "$JB_TMP/central.log")"
jb_rsyslogd_stop "$HOST" "tfe-forward.conf"
# a plain sender (no jbridge structured data), octet-counted on the TCP port
msg="<14>1 2023-11-21T10:00:00+00:00 plain-host atlas - - - 2023-11-21 10:00:00 [INFO] [Audit Log] $A"
exec 3<>"/dev/tcp/127.0.0.1/$P_TCP"
printf '%d %s' "${#msg}" "$msg" >&3
exec 3>&-
jb_wait_for "test -s '$T/remote/plain-host/app.log'" 20 || jb_diag "central: the plain sender's line did not arrive"
jb_rsyslogd_stop "$CENTRAL" "central-server.conf"
for s in app audit; do
    touch "$T/remote/tfe-host/$s.log"
    jb_files_equal "$T/remote/tfe-host/$s.log" "$T/ref.$s" \
        "central-server.conf: $s stream forwarded (TLS for audit) and split again equals jbridge's"
done
jb_ok "central-server.conf: a plain TCP sender's audit line is not audit (app, peer=\"unauthenticated\"; issue 15)" \
    sh -c "grep -q 'plain-host atlas - - \[jbridge@32473 id=\"[0-9a-f]*\" stream=\"app\" peer=\"unauthenticated\"\]\[meta sequenceId=\"1\"\] ' \
    '$T/remote/plain-host/app.log' && ! test -e '$T/remote/plain-host/audit.log'"
jb_ok "no rsyslogd logged an error" sh -c "! grep -i 'error' '$JB_TMP'/*.log"
jb_done
