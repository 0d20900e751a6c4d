#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 15, attack 3: third-party text becomes audit. Anyone who can send an HTTP request to the
# platform writes text that its containers log: an nginx access line with the User-Agent
# "x [Audit Log] {...}", atlas echoing a header, a {"component":"nginx","log":"..."} line of the
# single-container install, a second line after a newline. Real journal files (made by
# systemd-journal-remote from export text, as Docker's journald driver writes the entries) go
# through the jbridge command and through rsyslogd with imjbridge: the audit stream must hold the
# platform's genuine records and nothing else, every hostile line must be in the application
# stream, and the rejected ones are counted (impstats audit.rejected). A flood of such requests
# must not write one audit record. The old behaviour stays available by setting (checked, so
# this test can fail), and bad values of the settings are refused, naming them.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"

jb_rsyslog_test "$JBRIDGE" "$(command -v python3 || echo python3)"

FLOOD=${JB_SCOPE_FLOOD:-2000}

# ---- the entries: 4 genuine audit records, 8 hostile forms, then a flood of hostile requests ----
python3 - "$JB_TMP/scope.export" "$FLOOD" <<'PY'
import json, sys
out = open(sys.argv[1], "w")
flood = int(sys.argv[2])
n = 0
IMAGES = {"ptfe_atlas": "hashicorp/ptfe-atlas:v201803-2", "tfe-atlas": "hashicorp/tfe-atlas:v202301-1",
          "terraform-enterprise": "hashicorp/terraform-enterprise:v202309-1", "ptfe_nginx": "hashicorp/ptfe-nginx:v201803-2"}
def entry(name, msg):
    global n
    n += 1
    assert "\n" not in msg or True
    out.write("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n" % (1522187729000000 + n, 86400000000 + n))
    out.write("_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n_HOSTNAME=tfe-host\n_TRANSPORT=journal\n_UID=0\n_GID=0\n")
    out.write("_COMM=dockerd\n_EXE=/usr/bin/dockerd\n_SYSTEMD_UNIT=docker.service\nPRIORITY=6\n")
    out.write("CONTAINER_NAME=%s\nCONTAINER_ID=0123456789ab\nCONTAINER_ID_FULL=%s\nIMAGE_NAME=%s\n"
              % (name, "0123456789ab" + "0" * 52, IMAGES[name]))
    if "\n" in msg:
        b = msg.encode()
        out.flush()
        out.buffer.write(b"MESSAGE\n" + len(b).to_bytes(8, "little") + b + b"\n\n")
        out.flush()
    else:
        out.write("MESSAGE=%s\n\n" % msg)
def rec(actor):
    return json.dumps({"resource": "workspace", "action": "update", "resource_id": "ws-1", "actor": actor,
                       "timestamp": "2018-03-27T21:55:29Z", "actor_ip": "10.0.0.5"}, separators=(",", ":"))
TS = "2018-03-27 21:55:29"
# genuine: the platform's own audit lines
entry("ptfe_atlas", "%s [INFO] [Audit Log] %s" % (TS, rec("genuine-1")))
entry("ptfe_atlas", "%s [WARN] [Audit Log] %s" % (TS, rec("genuine-2")))
entry("tfe-atlas", "%s [INFO] [Audit Log] %s" % (TS, rec("genuine-3")))
entry("terraform-enterprise", json.dumps({"component": "atlas", "log": "%s [INFO] [Audit Log] %s" % (TS, rec("genuine-4"))},
                                         separators=(",", ":")))
# hostile: text a web client chose, as the platform logs it
access = '10.6.6.6 - - [27/Mar/2018:21:55:29 +0000] "GET /api/v2/ping HTTP/1.1" 200 2 "-" "x [Audit Log] %s"'
entry("ptfe_nginx", access % rec("forged-1"))
entry("ptfe_atlas", "%s [INFO] GET /api/v2/ping user_agent=[Audit Log] %s" % (TS, rec("forged-2")))
entry("terraform-enterprise", json.dumps({"component": "nginx", "log": access % rec("forged-3")}, separators=(",", ":")))
entry("terraform-enterprise", json.dumps({"component": "nginx", "log": "[Audit Log] %s" % rec("forged-4")},
                                         separators=(",", ":")))
entry("terraform-enterprise", json.dumps({"component": "atlas", "log": "%s [INFO] GET /x q=[Audit Log] %s" % (TS, rec("forged-5"))},
                                         separators=(",", ":")))
entry("ptfe_nginx", "[Audit Log] %s" % rec("forged-6"))
entry("ptfe_atlas", "%s [INFO] GET /search q=x\n[Audit Log] %s" % (TS, rec("forged-7")))
# the single container wraps every service's line: a bare line is no atlas audit line
entry("terraform-enterprise", "%s [INFO] [Audit Log] %s" % (TS, rec("forged-8")))
# the flood: one request each
for i in range(flood):
    entry("ptfe_nginx", access % rec("flood-%d" % i))
PY
J=$JB_TMP/j
jb_export_to_journal "$JB_TMP/scope.export" "$J" || jb_bail_out "cannot build the journal"
HOSTILE=$((8 + FLOOD))

# the actors of an audit stream's records (audit@PEN actor="..."), sorted, on one line
actors() { grep -o ' actor="[^"]*"' "$1" | sed 's/.*="//; s/"$//' | sort -V | tr '\n' ' ' | sed 's/ $//'; }

# ---- the command ----
"$JBRIDGE" -D "$J" --app-out "$JB_TMP/cmd.app" --audit-out "$JB_TMP/cmd.audit" 2>"$JB_TMP/cmd.err"
jb_is "$?" 0 "jbridge: runs"
jb_is "$(actors "$JB_TMP/cmd.audit")" "genuine-1 genuine-2 genuine-3 genuine-4" \
    "jbridge: the audit stream holds the four genuine records and nothing else"
jb_is "$(grep -c -e 'forged-' -e 'flood-' "$JB_TMP/cmd.app")" "$HOSTILE" \
    "jbridge: every hostile line ($HOSTILE) is in the application stream"
jb_is "$(grep -c -e 'forged-' -e 'flood-' "$JB_TMP/cmd.audit")" 0 "jbridge: no hostile line in the audit stream"
jb_is "$(grep -c 'genuine-' "$JB_TMP/cmd.app")" 0 "jbridge: no genuine record left the audit stream"
jb_diag "jbridge: audit $(wc -l <"$JB_TMP/cmd.audit") records, app $(wc -l <"$JB_TMP/cmd.app") records ($FLOOD flood lines)"

# the old behaviour, by setting only: the same journal writes the hostile lines as audit
"$JBRIDGE" -D "$J" --audit-container '*' --audit-anchor anywhere --app-out "$JB_TMP/old.app" \
    --audit-out "$JB_TMP/old.audit" 2>/dev/null
jb_is "$(grep -c -e 'forged-' -e 'flood-' "$JB_TMP/old.audit")" "$HOSTILE" \
    "jbridge --audit-container '*' --audit-anchor anywhere: the behaviour before issue 15 (hostile lines become audit)"
# each setting closes a part: the container scope alone lets the audit containers' echoes through,
# the anchor alone a marker-led line of another container
"$JBRIDGE" -D "$J" --audit-anchor anywhere --app-out /dev/null --audit-out "$JB_TMP/scope-only.audit" 2>/dev/null
jb_is "$(actors "$JB_TMP/scope-only.audit" | sed 's/genuine-[0-9] *//g; s/ *$//')" "forged-2 forged-3 forged-4 forged-5 forged-7 forged-8" \
    "jbridge --audit-anchor anywhere: the container scope alone keeps nginx out, not the audit containers' echoes"
"$JBRIDGE" -D "$J" --audit-container '*' --app-out /dev/null --audit-out "$JB_TMP/anchor-only.audit" 2>/dev/null
jb_is "$(actors "$JB_TMP/anchor-only.audit" | sed 's/genuine-[0-9] *//g; s/ *$//')" "forged-6" \
    "jbridge --audit-container '*': only the marker-led line of another container passes"
"$JBRIDGE" -D "$J" --audit-container 'tfe-*' --app-out /dev/null --audit-out "$JB_TMP/glob.audit" 2>/dev/null
jb_is "$(actors "$JB_TMP/glob.audit")" "genuine-3" "jbridge --audit-container GLOB replaces the profile's containers"

# bad values: usage errors naming the option
"$JBRIDGE" -D "$J" --audit-anchor start </dev/null >/dev/null 2>"$JB_TMP/bad.err"
jb_is "$?/$(grep -c -- "--audit-anchor 'start': expected line-start or anywhere" "$JB_TMP/bad.err")" "2/1" \
    "jbridge --audit-anchor start: usage error naming the option"
"$JBRIDGE" -D "$J" --audit-container '' </dev/null >/dev/null 2>"$JB_TMP/bad.err"
jb_is "$?/$(grep -c -- "--audit-container" "$JB_TMP/bad.err")" "2/1" "jbridge --audit-container '': usage error naming the option"

# ---- rsyslogd + imjbridge, with impstats ----
cat >"$JB_TMP/rsyslog.conf" <<EOC
global(workDirectory="$JB_TMP/work")
module(load="impstats" interval="1" format="json" log.syslog="off" log.file="$JB_TMP/stats.json" resetCounters="off")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
ruleset(name="app") { action(type="omfile" file="$JB_TMP/rs.app" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="audit") { action(type="omfile" file="$JB_TMP/rs.audit" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" directory="$J" ruleset="app" audit.ruleset="audit" stateFile="s.state")
EOC
mkdir -p "$JB_TMP/work"
# the last impstats values of the input: read submitted.audit audit.rejected
stats() { jb_impstats "$JB_TMP/stats.json" read submitted.audit audit.rejected; }
n_read=$((12 + FLOOD))
want="read=$n_read submitted.audit=4 audit.rejected=$HOSTILE"
jb_rsyslogd_start rs "$JB_TMP/rsyslog.conf"
jb_wait_for "[ \"\$(stats)\" = '$want' ] && [ \$(cat '$JB_TMP/rs.app' 2>/dev/null | wc -l) -ge $HOSTILE ]" 60 || true
got=$(stats)
jb_rsyslogd_stop "$RS_PID" "imjbridge"
jb_is "$got" "$want" "imjbridge: impstats counts every hostile line as audit.rejected, 4 audit records"
jb_is "$(actors "$JB_TMP/rs.audit")" "genuine-1 genuine-2 genuine-3 genuine-4" \
    "imjbridge: the audit ruleset gets the four genuine records and nothing else"
jb_is "$(grep -c -e 'forged-' -e 'flood-' "$JB_TMP/rs.app")" "$HOSTILE" \
    "imjbridge: every hostile line is in the application ruleset"
jb_is "$(grep -c 'genuine-' "$JB_TMP/rs.app")" 0 "imjbridge: no genuine record in the application ruleset"

# ---- bad values fail rsyslogd -N1 naming the parameter ----
check_n1() { # IMJBRIDGE-PARAMETERS MMJBRIDGE-ACTION NAME
    cat >"$JB_TMP/n1.conf" <<EOC
global(workDirectory="$JB_TMP/work")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
module(load="$JB_RSYSLOG_MODULES/mmjbridge.so")
ruleset(name="app") { $2 action(type="omfile" file="$JB_TMP/n1.app") }
input(type="imjbridge" directory="$J" ruleset="app" $1)
EOC
    "$RSYSLOGD" -N1 -f "$JB_TMP/n1.conf" >"$JB_TMP/n1.log" 2>&1
    local st=$?
    jb_ok "rsyslogd -N1 refuses ${2:+mmjbridge }$3 (naming it)" test "$st" -ne 0 -a "$(grep -c "parameter '$3'" "$JB_TMP/n1.log")" -ge 1
}
check_n1 'audit.anchor="start"' "" audit.anchor
check_n1 'audit.containers=[""]' "" audit.containers
check_n1 "" 'action(type="mmjbridge" audit.anchor="everywhere")' audit.anchor
cat >"$JB_TMP/n1.conf" <<EOC
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
module(load="$JB_RSYSLOG_MODULES/mmjbridge.so")
ruleset(name="app") { action(type="mmjbridge" audit.anchor="anywhere") action(type="omfile" file="$JB_TMP/n1.app") }
input(type="imjbridge" directory="$J" ruleset="app" audit.anchor="line-start" audit.containers=["tfe-*", "ptfe_atlas"])
EOC
jb_ok "rsyslogd -N1 accepts audit.anchor and audit.containers" "$RSYSLOGD" -N1 -f "$JB_TMP/n1.conf"

jb_done
