#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hostile log content, end to end: entries whose messages, audit keys and values (and, beyond what
# a container controls, its name and image) carry newlines, carriage returns, terminal escape
# sequences, NULs, invalid UTF-8, forged RFC 5424 records and forged structured-data elements, a
# JSON document nested 5,000 deep and one with 1,000 keys. Through the jbridge command and through
# rsyslogd with imjbridge writing RSYSLOG_SyslogProtocol23Format files, every record must be
# exactly one line, without control characters, whose structured data validates (jb_sd_validate)
# and holds only jbridge's elements (tests/tools/jb-sdcheck).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"
SDCHECK=$JB_BUILDDIR/tests/tools/jb-sdcheck
jb_need_program "$JBRIDGE"
jb_need_program "$JOURNAL_REMOTE"
jb_need_program "$SDCHECK"
jb_need_program "$(command -v python3 || echo python3)"
jb_mktemp
trap jb_cleanup EXIT

# ---- the hostile entries (binary export format where a field holds bytes text cannot) ----
N=$(python3 - "$JB_TMP/hostile.export" <<'PY'
import json, struct, sys
out = open(sys.argv[1], "wb")
n = 0
def field(name, value):
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    if b"\n" in value or any(c < 0x20 and c != 0x09 for c in value) or not _utf8(value):
        return name.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return name.encode() + b"=" + value + b"\n"
def _utf8(b):
    try:
        b.decode("utf-8"); return True
    except UnicodeDecodeError:
        return False
def entry(msg, name="ptfe_atlas", image="hashicorp/ptfe-atlas:latest", extra=()):
    global n
    n += 1
    e = b"__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n" % (1522187729000000 + n, 86400000000 + n)
    e += b"_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n_HOSTNAME=tfe-host\nPRIORITY=6\n"
    e += b"_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\n"  # written by dockerd (trusted)
    e += field("CONTAINER_NAME", name) + field("CONTAINER_ID", "0123456789ab")
    e += field("CONTAINER_ID_FULL", "0123456789ab" + "0" * 52) + field("IMAGE_NAME", image)
    for k, v in extra:
        e += field(k, v)
    e += field("MESSAGE", msg) + b"\n"
    out.write(e)
forged = '<14>1 2018-03-27T21:55:29Z tfe-host ptfe_atlas - audit [jbridge@32473 id="0" stream="audit"][audit@32473 actor="admin"] forged'
req = {"timestamp": "t", "resource": "r", "action": "a", "resource_id": "i", "actor": "x", "actor_ip": "1"}
def audit(d, prefix="2018-03-27 21:55:29 [INFO] [Audit Log] "):
    return prefix + json.dumps(d, ensure_ascii=False)
entry("line one\n" + forged)
entry("cr\rreturn and \r\n" + forged)
entry("\x1b[2J\x1b]0;owned\x07\x1b[31mred\x1b[0m \x00nul\x7fdel")
entry(b"invalid \xff\xfe\xc0\xaf utf-8 \xed\xa0\x80 and a C1 \xc2\x9b csi")
entry('text "] [evil@1 a="b"] \\ ] [')
entry(audit(dict(req, resource='r"] [evil@32473 x="y', action="a\n" + forged, actor="\\\\\"]\\")))
entry(audit(dict(req, **{'k"ey] [x': "v", "a b=c": '"]', "\u00e9t\u00e9": "\x00\x1b[0m", "": "empty key",
                         "x" * 100: "long key"})))
entry(audit(dict(req, nested={"a": {"b": ["\n", {"c": "]\"["}]}}, actor_ip="\ud800")).encode("utf-8", "surrogatepass"))
entry(json.dumps({"component": "atlas", "log": audit(dict(req, resource="w\n" + forged))}))
entry("[Audit Log] " + "[" * 5000 + "]" * 5000)
entry(audit(dict(req, **{"k%d" % i: "v" for i in range(1000)})))
entry("[Audit Log] {\"resource\":\"r\"" + ",\"x\":\"\\u0000\\u001b[0m\\n" + forged.replace('"', '\\"') + "\"")
entry("plain", name="evil name\n" + forged, image='img"] [evil@1 a="b"]\x1b[0m')
entry("priority", extra=(("PRIORITY", "1\n2"), ("SYSLOG_FACILITY", "99"), ("SYSLOG_TIMESTAMP", "\n")))
print(n)
PY
) || jb_bail_out "cannot write the hostile entries"
jb_export_to_journal "$JB_TMP/hostile.export" "$JB_TMP/j" || jb_bail_out "cannot build the journal"

# ---- the jbridge command ----
"$JBRIDGE" -D "$JB_TMP/j" --app-out "$JB_TMP/cli.app" --audit-out "$JB_TMP/cli.audit" 2>"$JB_TMP/cli.err"
jb_is "$?" 0 "jbridge reads the hostile journal and exits 0"
jb_is "$(cat "$JB_TMP/cli.app" "$JB_TMP/cli.audit" | wc -l)" "$N" "jbridge: $N entries give $N lines"
jb_ok "jbridge: every line is one valid record with only jbridge's SD elements (app)" \
    sh -c "'$SDCHECK' < '$JB_TMP/cli.app'"
jb_ok "jbridge: every line is one valid record with only jbridge's SD elements (audit)" \
    sh -c "'$SDCHECK' < '$JB_TMP/cli.audit'"
jb_ok "jbridge: the forged record is inside another record's message, never at a line start" \
    sh -c "! grep -aq '^<14>1 2018-03-27T21:55:29Z tfe-host' '$JB_TMP/cli.app' '$JB_TMP/cli.audit'"
jb_ok "jbridge: the forged text is there, escaped inside a record (#012 for its newline)" \
    grep -aq 'line one#012<14>1 2018-03-27T21:55:29Z tfe-host' "$JB_TMP/cli.app"
jb_ok "jbridge: no forged SD element (evil@...) outside a value" sh -c "'$SDCHECK' 32473 < '$JB_TMP/cli.audit'"
jb_is "$(grep -ac 'reason="too many keys"' "$JB_TMP/cli.audit")" 1 "jbridge: 1,000 keys: malformed, too many keys"
jb_is "$(grep -ac 'reason="invalid JSON"' "$JB_TMP/cli.audit")" 3 \
    "jbridge: 5,000-deep, unterminated and invalid-UTF-8 JSON: malformed, invalid JSON"

# ---- rsyslogd with imjbridge, RSYSLOG_SyslogProtocol23Format ----
if [ ! -e "$JB_RSYSLOG_MODULES/imjbridge.so" ] || [ ! -x "$RSYSLOGD" ]; then
    if [ -n "${CI:-}" ]; then jb_fail "rsyslogd or imjbridge.so missing in CI"; fi
    jb_skip "rsyslogd with imjbridge (module not built)"
    jb_done
    exit
fi
conf=$JB_TMP/rsyslog.conf
jb_imjbridge_conf "$conf" "$JB_TMP/rs.app" "$JB_TMP/rs.audit" "directory=\"$JB_TMP/j\" stateFile=\"hostile.state\""
"$RSYSLOGD" -n -f "$conf" -i "$JB_TMP/rsyslogd.pid" >"$JB_TMP/rsyslogd.log" 2>&1 &
RS_PID=$!
jb_on_cleanup "kill -TERM $RS_PID 2>/dev/null"
jb_wait_for "test -s '$JB_TMP/work/hostile.state' && test \$(cat '$JB_TMP/rs.app' '$JB_TMP/rs.audit' 2>/dev/null | wc -l) -ge $N" 30 ||
    jb_diag "rsyslogd did not deliver everything in 30 s: $(cat "$JB_TMP/rsyslogd.log")"
kill -TERM "$RS_PID"
jb_wait_pid_exit "$RS_PID" 20 || { kill -KILL "$RS_PID"; jb_fail "rsyslogd stopped on SIGTERM"; }
touch "$JB_TMP/rs.app" "$JB_TMP/rs.audit"
jb_is "$(cat "$JB_TMP/rs.app" "$JB_TMP/rs.audit" | wc -l)" "$N" "rsyslogd: $N entries give $N lines"
jb_ok "rsyslogd: every line is one valid record with only jbridge's SD elements (app)" \
    sh -c "'$SDCHECK' < '$JB_TMP/rs.app'"
jb_ok "rsyslogd: every line is one valid record with only jbridge's SD elements (audit)" \
    sh -c "'$SDCHECK' < '$JB_TMP/rs.audit'"
jb_ok "rsyslogd: the forged record is never at a line start" \
    sh -c "! grep -aq '^<14>1 2018-03-27T21:55:29Z tfe-host' '$JB_TMP/rs.app' '$JB_TMP/rs.audit'"
jb_is "$(wc -l <"$JB_TMP/rs.audit")" "$(wc -l <"$JB_TMP/cli.audit")" "rsyslogd routes as many records to audit as jbridge"
jb_done
