#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# examples/cloudify.conf with Debian's rsyslogd (imfile) and the built mmjbridge over Cloudify
# Manager's log layout (tests/fixtures/cloudify: rest/, mgmtworker/, mgmtworker/logs/DEPLOYMENT.log,
# __system__.log), the files rotated while they are read, as logrotate does without copytruncate
# (rename to a dated name, a few late lines into the renamed file, a new file): every line arrives
# exactly once, in the right output (audit.log, app.log, deployments/DEPLOYMENT.log), with the right
# structured data (audit@32473 fields of the "cloudify" profile, cloudify@32473 file and deployment).
# rest/audit.log holds hostile REST audit lines (issue 15, attack 4: a user agent of 'x" took 1ms y',
# one that holds a whole fake request, quotes in the path, user, tenant and auth method, a user
# name with a blank): each arrives in the audit output with the genuine fields, or unsplit when
# user, tenant and auth method cannot be told apart. Then the hostile line as RFC 3164 (logger to
# imuxsock, logger and a plain sender over imtcp), its text starting with the space after the tag:
# still audit, with the genuine fields.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"
command -v python3 >/dev/null 2>&1 || jb_need_program /usr/bin/python3
jb_setup "$RSYSLOGD" "$JB_RSYSLOG_MODULES/mmjbridge.so"
T=$JB_TMP
IN=$T/var/log/cloudify
OUT=$T/var/log/cloudify-syslog
FX=$JB_FIXTURES/cloudify
mkdir -p "$T/work" "$OUT"
FILES=$(cd "$FX" && find . -type f -name '*.log' | sed 's|^\./||' | sort)

# The example with its paths moved under $T.
conf=$T/rsyslog.conf
{
    echo "global(workDirectory=\"$T/work\")"
    sed -e "s|/var/log/cloudify/|$IN/|g" -e "s|/var/log/cloudify-syslog|$OUT|g" \
        -e "s|module(load=\"mmjbridge\")|module(load=\"$JB_RSYSLOG_MODULES/mmjbridge.so\")|" \
        -e "s|/usr/local/bin/jbridge-rotate-keep7|$JB_SRCDIR/examples/rotate-keep7.sh|g" \
        "$JB_SRCDIR/examples/cloudify.conf"
} >"$conf"
"$RSYSLOGD" -N1 -f "$conf" >"$T/n1.log" 2>&1
jb_ok "rsyslogd -N1 accepts examples/cloudify.conf" sh -c "! grep -i error '$T/n1.log'"
grep -qi error "$T/n1.log" && jb_bail_out "examples/cloudify.conf: $(cat "$T/n1.log")"

# First half of every file, then rsyslogd.
for f in $FILES; do
    mkdir -p "$(dirname "$IN/$f")"
    n=$(wc -l <"$FX/$f")
    head -n $(((n + 1) / 2)) "$FX/$f" >"$IN/$f"
done
"$RSYSLOGD" -n -f "$conf" -i "$T/rsyslogd.pid" >"$T/rsyslogd.log" 2>&1 &
RS_PID=$!
jb_on_cleanup "kill -TERM $RS_PID 2>/dev/null"

delivered() { cat "$OUT"/*.log "$OUT"/deployments/*.log 2>/dev/null | wc -l; }
want=0
for f in $FILES; do want=$((want + ($(wc -l <"$FX/$f") + 1) / 2)); done
jb_wait_for "test \$(cat $OUT/*.log $OUT/deployments/*.log 2>/dev/null | wc -l) -ge $want" 30
jb_is "$(delivered)" "$want" "first halves delivered before the rotation"

# Rotation as logrotate does it (dateext, no copytruncate): rename, late lines of the writer that
# still holds the renamed file, then a new file with the rest.
for f in $FILES; do
    mv "$IN/$f" "$IN/$f-20180327"
    echo "late line of $f, written after the rename" >>"$IN/$f-20180327"
    n=$(wc -l <"$FX/$f")
    tail -n +$(((n + 1) / 2 + 1)) "$FX/$f" >"$IN/$f.new"
    mv "$IN/$f.new" "$IN/$f"
done
want=0
for f in $FILES; do want=$((want + $(wc -l <"$FX/$f") + 1)); done
jb_wait_for "test \$(cat $OUT/*.log $OUT/deployments/*.log 2>/dev/null | wc -l) -ge $want" 30 ||
    jb_diag "not everything arrived: $(delivered) of $want"
kill -TERM "$RS_PID"
jb_wait_pid_exit "$RS_PID" 20 || { kill -KILL "$RS_PID"; jb_fail "rsyslogd stopped on SIGTERM"; }
jb_is "$(delivered)" "$want" "every line of every file delivered once in all (rotated files included)"

# Every fixture line (and late line) exactly once, in the output it belongs to.
python3 - "$FX" "$IN" "$OUT" $FILES >"$T/check.log" 2>&1 <<'PY'
import json, os, re, sys
fx, indir, out = sys.argv[1:4]
files = sys.argv[4:]
outputs = {}
for root, _, names in os.walk(out):
    for n in names:
        p = os.path.join(root, n)
        outputs[os.path.relpath(p, out)] = open(p, encoding="utf-8", errors="replace").read().splitlines()
bad = 0
def fail(msg):
    global bad
    bad += 1
    print("FAIL:", msg)
def where(line):
    """the outputs (with counts) whose lines end with (app) or hold as JSON message (audit) line"""
    hits = []
    for name, lines in outputs.items():
        for l in lines:
            if name == "audit.log":
                if json.loads(l)["message"] == line: hits.append((name, l))
            elif l.endswith(" " + line): hits.append((name, l))
    return hits
SD_ELEM = re.compile(r'\[([^ \]]+)((?: [^=]+="(?:[^"\\]|\\.)*")*)\]')
SD_PARAM = re.compile(r' ([^=]+)="((?:[^"\\]|\\.)*)"')
def sd_value(sd, elem, param):
    """RFC 5424 structured data: the unescaped value of param in element elem, or None"""
    for m in SD_ELEM.finditer(sd):
        if m.group(1) != elem: continue
        for p in SD_PARAM.finditer(m.group(2)):
            if p.group(1) == param: return re.sub(r'\\(["\\\]])', r"\1", p.group(2))
    return None
for f in files:
    lines = open(os.path.join(fx, f)).read().splitlines() + ["late line of %s, written after the rename" % f]
    dep = re.match(r"mgmtworker/logs/(.+)\.log$", f)
    for line in lines:
        hits = where(line)
        if len(hits) != 1:
            fail("%s: %r arrived %d times: %s" % (f, line, len(hits), [h[0] for h in hits])); continue
        name, got = hits[0]
        if f.startswith("rest/") and ("audit" in f):
            expect = "audit.log"
        elif dep:
            expect = "deployments/%s.log" % ("system" if dep.group(1) == "__system__" else dep.group(1))
        else:
            expect = "app.log"
        if name != expect:
            fail("%s: %r went to %s, not %s" % (f, line, name, expect)); continue
        if name == "audit.log":
            rec = json.loads(got)
            sd = rec["structured_data"]
            a = rec.get("audit") or {}
            if line.startswith("late line"):
                if a: fail("%s: late line has audit fields %s" % (f, a))
                continue
            if sd_value(sd, "jbridge@32473", "stream") != "audit": fail("%s: no stream=audit in %s" % (f, sd))
            if f == "rest/audit.log":
                # gunicorn escapes nothing: the user agent runs to the last '" took', the other
                # fields hold no blank; a user, tenant or auth method with a blank leaves the rest
                # unsplit (no field of it may be guessed)
                m = re.match(r'\[([^\]]*)\] (\S+) (\S+) (\S+) (\S+) "(\S+) (\S+) (\S+)" (\d+) (\S+) "(.*)" took (\d+)ms$', line)
                names = "time origin user tenant auth_method method path protocol status bytes user_agent duration_ms"
                if not m:
                    m = re.match(r'\[([^\]]*)\] (\S+) (.*) took (\d+)ms$', line)
                    names = "time origin unsplit duration_ms"
                    for k in ("user", "tenant", "method", "path", "status"):
                        if k in a: fail("%s: %r has a guessed %s=%r" % (f, line, k, a[k]))
                want = {k: v for k, v in zip(names.split(), m.groups()) if v != ""}
            else:
                want = {"outcome": "success" if "successfully" in line else "failure"}
                m = re.search(r'from host \[(?:([^/\]]*)/)?([^\]]*)\]', line)
                want["origin"] = m.group(2)
                if m.group(1): want["origin_host"] = m.group(1)
                m = re.search(r'user "([^"]*)"', line)
                if m: want["user"] = m.group(1)
                m = re.search(r"provider: (\S+)$", line)
                if m: want["auth_method"] = m.group(1)
                m = re.search(r"\]; (.*)$", line)
                if m: want["reason"] = m.group(1)
            for k, v in want.items():
                if a.get(k) != v: fail("%s: $!audit!%s is %r, not %r" % (f, k, a.get(k), v))
                if sd_value(sd, "audit@32473", k) != v: fail("%s: audit@32473 %s is %r, not %r in %s" % (f, k, sd_value(sd, "audit@32473", k), v, sd))
        else:
            sd = re.match(r"<\d+>1 \S+ \S+ \S+ \S+ \S+ (\[.*\]) ", got).group(1)
            if sd_value(sd, "cloudify@32473", "file") not in (os.path.join(indir, f), os.path.join(indir, f) + "-20180327"):
                fail("%s: cloudify@32473 file is %r" % (f, sd_value(sd, "cloudify@32473", "file")))
            want_dep = dep.group(1) if dep and dep.group(1) != "__system__" else None
            if sd_value(sd, "cloudify@32473", "deployment") != want_dep:
                fail("%s: deployment is %r, not %r" % (f, sd_value(sd, "cloudify@32473", "deployment"), want_dep))
            if sd_value(sd, "jbridge@32473", "stream") != "app": fail("%s: %r not stream=app: %s" % (f, line, sd))
total = sum(len(v) for v in outputs.values())
print("checked %d output lines in %s" % (total, sorted(outputs)))
if total == 0: fail("no output lines at all (fixtures missing?)")
sys.exit(1 if bad else 0)
PY
jb_is "$?" 0 "each line exactly once, in its output, with its structured data" || true
[ -s "$T/check.log" ] && jb_diag "$(cat "$T/check.log")"
jb_ok "rsyslogd logged no error" sh -c "! grep -i 'error' '$T/rsyslogd.log'"

# The same REST audit lines sent as RFC 3164, where rsyslog keeps the space after the tag at the
# start of the message: by logger to a unix socket (imuxsock) and by a plain TCP sender (imtcp),
# into mmjbridge with the cloudify profile and nothing else deciding the stream.
T2=$T/rfc3164
mkdir -p "$T2/work"
port=$((20000 + $$ % 20000))
cat >"$T2/rsyslog.conf" <<EOC
global(workDirectory="$T2/work")
module(load="imuxsock" SysSock.Use="off")
module(load="imtcp")
module(load="$JB_RSYSLOG_MODULES/mmjbridge.so")
template(name="t" type="string"
         string="%\$!jbridge!stream%|%\$!audit!user%|%\$!audit!status%|%\$!audit!path%|%\$!audit!user_agent%|%msg%\n")
ruleset(name="r") {
    action(type="mmjbridge" profile="cloudify")
    action(type="omfile" file="$T2/out.log" template="t")
}
input(type="imuxsock" socket="$T2/log.sock" ruleset="r")
input(type="imtcp" port="$port" address="127.0.0.1" ruleset="r")
EOC
"$RSYSLOGD" -n -f "$T2/rsyslog.conf" -i "$T2/rsyslogd.pid" >"$T2/rsyslogd.log" 2>&1 &
RS2_PID=$!
jb_on_cleanup "kill -TERM $RS2_PID 2>/dev/null"
jb_wait_for "test -S '$T2/log.sock' && test -s '$T2/rsyslogd.pid'" 30 || jb_diag "rsyslogd: $(cat "$T2/rsyslogd.log")"
hostile='[27/Mar/2018:21:55:35 +0000] 10.0.0.66 mallory default_tenant token "DELETE /api/v3.1/deployments/prod HTTP/1.1" 204 0 "x" took 1ms y" took 9ms'
logger -u "$T2/log.sock" -t cloudify-rest-audit -- "$hostile"
logger --rfc3164 -T -n 127.0.0.1 -P "$port" -t cloudify-rest-audit -- "$hostile"
printf '<14>Mar 27 21:55:36 manager cloudify-rest-audit: %s\n' "$hostile" | python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
s.close()' "$port"
jb_wait_for "[ \$(wc -l <'$T2/out.log' 2>/dev/null || echo 0) -ge 3 ]" 30 || jb_diag "not everything arrived: $(cat "$T2/out.log" 2>/dev/null)"
kill -TERM "$RS2_PID"
jb_wait_pid_exit "$RS2_PID" 20 || kill -KILL "$RS2_PID"
jb_is "$(cut -d'|' -f1-5 "$T2/out.log" | sort | uniq -c | tr -s ' ')" \
    ' 3 audit|mallory|204|/api/v3.1/deployments/prod|x" took 1ms y' \
    "RFC 3164 (logger to imuxsock, logger and a plain sender over TCP): audit, with the genuine fields"
jb_is "$(cut -d'|' -f6- "$T2/out.log" | cut -c1 | tr -d '\n' | tr ' ' _)" "___" \
    "RFC 3164: each message did start with the space after the tag"

# The shipped logrotate policy for the per-deployment outputs parses and selects those files
# (-d: nothing is rotated and no script runs).
if command -v logrotate >/dev/null 2>&1; then
    sed "s|/var/log/cloudify-syslog|$OUT|g" "$JB_SRCDIR/examples/cloudify-logrotate" >"$T/logrotate.conf"
    logrotate -d -s "$T/logrotate.state" "$T/logrotate.conf" >"$T/logrotate.log" 2>&1
    jb_is "$? $(grep -c "considering log $OUT/deployments/dep-1.log" "$T/logrotate.log")" "0 1" \
        "examples/cloudify-logrotate parses and covers the deployment outputs"
    jb_ok "rotation policy: 100M, keep 7" grep -q "rotating pattern: $OUT/deployments/\*.log  104857600 bytes (7 rotations)" "$T/logrotate.log"
else
    jb_skip "examples/cloudify-logrotate parses" "no logrotate"
    jb_skip "rotation policy: 100M, keep 7" "no logrotate"
fi
jb_done
