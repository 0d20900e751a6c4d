# SPDX-License-Identifier: Apache-2.0
# The body of the real-runtime tests (docker.sh, podman.sh; issue 17), sourced after lib.sh and
# runtime-lib.sh once the caller has set: RT_NAME (docker or podman), rt (a function running the
# runtime's command line), rt_start (starts the runtime, if it has a daemon), RT_RUN (options of
# every `run`: no network, the journald log driver...) and RT_ATLAS_OPTS (extra options of the
# tfe-atlas container: tag, labels, env). TFE-like containers (runtime/tfe-writer.sh) write split
# 40 KiB audit lines, lines of k * 16 KiB, a CR on the 16 KiB boundary, a TTY, an unterminated last
# line, a crash mid-line and two fast writers at once (JB_RUNTIME_N lines each, default 3000).
# jbridge one-shot, one-shot --state (twice before and twice after the unfinished lines are 5 s old
# in journal time), --follow, and rsyslogd with imjbridge must each deliver every line exactly once,
# whole, with its container and severity (and the record times lie within the test); only the
# unfinished lines are flagged incomplete; record ids are distinct.

# shellcheck disable=SC2154 # RT_* set by the caller

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"
HAVE_RSYSLOG=1
[ -x "$RSYSLOGD" ] && [ -f "$JB_RSYSLOG_MODULES/imjbridge.so" ] || HAVE_RSYSLOG=
WRITER=$JB_SRCDIR/tests/integration/runtime/tfe-writer.sh
N=${JB_RUNTIME_N:-3000}
T0=$(date -u +%Y-%m-%dT%H:%M:%S)

jb_busybox_rootfs_tar "$JB_TMP/rootfs.tar"
tar -C "$(dirname "$WRITER")" -rf "$JB_TMP/rootfs.tar" --transform 's,^,bin/,' tfe-writer.sh
rt_start
rt import "$JB_TMP/rootfs.tar" jbtest/tfe:v1 >/dev/null 2>&1 || jb_bail_out "$RT_NAME import failed"

# Readers that follow start before the containers.
"$JBRIDGE" --follow --app-out "$JB_TMP/follow.app" --audit-out "$JB_TMP/follow.audit" 2>"$JB_TMP/follow.err" &
FOLLOW=$!
jb_on_cleanup "kill -TERM $FOLLOW 2>/dev/null"
RS_PID=
rs_start() {
    rm -f "$JB_TMP/rsyslogd.pid"
    "$RSYSLOGD" -n -f "$JB_TMP/rsyslog.conf" -i "$JB_TMP/rsyslogd.pid" >>"$JB_TMP/rsyslogd.log" 2>&1 &
    RS_PID=$!
    jb_on_cleanup "kill -TERM $RS_PID 2>/dev/null"
    jb_wait_for "test -s '$JB_TMP/rsyslogd.pid'" 60 || jb_diag "rsyslogd wrote no pid file"
}
rs_stop() {
    kill -TERM "$RS_PID"
    jb_wait_pid_exit "$RS_PID" 60 || true
}
if [ -n "$HAVE_RSYSLOG" ]; then
    mkdir -p "$JB_TMP/work"
    cat >"$JB_TMP/rsyslog.conf" <<EOC
global(workDirectory="$JB_TMP/work" maxMessageSize="256k")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
ruleset(name="app") { action(type="omfile" file="$JB_TMP/rs.app" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="audit") { action(type="omfile" file="$JB_TMP/rs.audit" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" ruleset="app" audit.ruleset="audit" containers=["tfe-*"])
EOC
    rs_start
fi

run() { # run NAME [run options] -- KIND [N]: a container of the image, in the foreground
    local name=$1
    shift
    local opts=()
    while [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    shift
    rt run "${RT_RUN[@]}" --name "$name" "${opts[@]}" jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh "$name" "$@" \
        >/dev/null 2>&1 </dev/null
    EXPECT=1 busybox sh "$WRITER" "$name" "$@" >>"$JB_TMP/expected.raw"
}

run tfe-atlas "${RT_ATLAS_OPTS[@]}" -- audit 300
run tfe-nginx -- boundary
run tfe-tty -t -- tty 50
run tfe-sidekiq -- unterminated
run tfe-crash -- crash
# two fast writers at once
rt run -d "${RT_RUN[@]}" --name tfe-w1 jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh tfe-w1 fast "$N" >/dev/null
rt run -d "${RT_RUN[@]}" --name tfe-w2 jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh tfe-w2 fast "$N" >/dev/null
rt wait tfe-w1 >/dev/null
rt wait tfe-w2 >/dev/null
EXPECT=1 busybox sh "$WRITER" tfe-w1 fast "$N" >>"$JB_TMP/expected.raw"
EXPECT=1 busybox sh "$WRITER" tfe-w2 fast "$N" >>"$JB_TMP/expected.raw"
crashed=$(rt inspect -f '{{.State.ExitCode}}' tfe-crash)
jb_is "$crashed" 137 "$RT_NAME: the crash container was killed mid-line (exit 137)"

# jbridge writes a control character as #ooo (a TTY's '\r' is removed from the finished line only).
LC_ALL=C sed 's/\r/#015/g' "$JB_TMP/expected.raw" | LC_ALL=C sort >"$JB_TMP/expected"
lines=$(wc -l <"$JB_TMP/expected")
jb_diag "lines written by the containers: $lines"

# one-shot --state, twice, while the unfinished lines are younger than 5 s of journal time: the
# second run delivers nothing
ST=$JB_TMP/state
"$JBRIDGE" --state "$ST" >"$JB_TMP/state1.out" 2>"$JB_TMP/state.err"
"$JBRIDGE" --state "$ST" >"$JB_TMP/state2.out" 2>>"$JB_TMP/state.err"
jb_is "$(wc -l <"$JB_TMP/state2.out")" 0 "state: a second run over the same journal delivers nothing"
jb_diag "state: first run $(wc -l <"$JB_TMP/state1.out") records, $(flagged "$JB_TMP/state1.out") incomplete"

# 6 s later, a last container: the unfinished lines are now 5 s old in journal time
sleep 6
rt run "${RT_RUN[@]}" --name tfe-late jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh tfe-late fast 3 >/dev/null 2>&1
EXPECT=1 busybox sh "$WRITER" tfe-late fast 3 | LC_ALL=C sort - "$JB_TMP/expected" >"$JB_TMP/expected.new"
mv "$JB_TMP/expected.new" "$JB_TMP/expected"
total=$(wc -l <"$JB_TMP/expected")

"$JBRIDGE" --state "$ST" >"$JB_TMP/state3.out" 2>>"$JB_TMP/state.err"
"$JBRIDGE" --state "$ST" >"$JB_TMP/state4.out" 2>>"$JB_TMP/state.err"
jb_is "$(wc -l <"$JB_TMP/state4.out")" 0 "state: once more, a run over the same journal delivers nothing"
check state "$JB_TMP/state1.out" "$JB_TMP/state2.out" "$JB_TMP/state3.out" "$JB_TMP/state4.out"
jb_is "$(grep -a -v '^#' "$ST" | grep -c '^read=')" 0 "state: nothing left pending, no read= line"

"$JBRIDGE" >"$JB_TMP/oneshot.out" 2>"$JB_TMP/oneshot.err"
check one-shot "$JB_TMP/oneshot.out"

count() { records "$@" | wc -l; }
jb_wait_for "[ \$(count $JB_TMP/follow.app $JB_TMP/follow.audit) -ge $total ]" 60 || true
kill -TERM "$FOLLOW"
jb_wait_pid_exit "$FOLLOW" 30 || true
check follow "$JB_TMP/follow.app" "$JB_TMP/follow.audit"

if [ -n "$RS_PID" ]; then
    jb_wait_for "[ \$(count $JB_TMP/rs.app $JB_TMP/rs.audit) -ge $total ]" 60 || true
    rs_stop
    check imjbridge "$JB_TMP/rs.app" "$JB_TMP/rs.audit"
else
    jb_skip "imjbridge" "rsyslogd or imjbridge.so missing"
fi

# time: every record's timestamp lies between the start of the test and now
T1=$(date -u +%Y-%m-%dT%H:%M:%S)
bad=$(cat "$JB_TMP/oneshot.out" | cut -d' ' -f2 | cut -c1-19 | awk -v a="$T0" -v b="$T1" '$0 < a || $0 > b' | wc -l)
jb_is "$bad" 0 "one-shot: every record's time is the container's write time"

# the fields the runtime wrote for the pieces of a split line, for the record (with the figures)
jb_diag "lines written in all: $total"
jb_diag "$RT_NAME: the entries of the 32768-byte line (journalctl -o json; MESSAGE as its length):"
jb_diag "$(journalctl --all -o json CONTAINER_NAME=tfe-nginx 2>/dev/null | python3 -c '
import json, sys
skip = ("__", "_BOOT_ID", "_MACHINE_ID", "_HOSTNAME", "_CAP_", "_RUNTIME_SCOPE", "_CMDLINE", "_PID", "_SYSTEMD")
taking = False
for line in sys.stdin:
    e = json.loads(line)
    m = e.get("MESSAGE") or ""
    m = bytes(m) if isinstance(m, list) else m.encode()
    if m.startswith(b"Y"):
        taking = True
    elif not taking:
        continue
    print(" ".join("%s=%s" % (k, v) for k, v in sorted(e.items()) if not k.startswith(skip) and k != "MESSAGE"),
          "MESSAGE=<%d bytes%s>" % (len(m), ", ends in \\n" if m.endswith(b"\n") else ""))
    if not m.startswith(b"Y"):
        break
' 2>&1)"

# imjbridge's position advanced past the unfinished lines: after a restart only a new line comes
if [ -n "$RS_PID" ]; then
    before=$(cat "$JB_TMP/rs.app" "$JB_TMP/rs.audit" | wc -l)
    rs_start
    rt run "${RT_RUN[@]}" --name tfe-mark jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh tfe-mark fast 1 >/dev/null 2>&1
    jb_wait_for "grep -q 'tfe-mark fast 1' '$JB_TMP/rs.app'" 60 || jb_diag "the marker line did not arrive"
    rs_stop
    jb_is "$(cat "$JB_TMP/rs.app" "$JB_TMP/rs.audit" | wc -l)" $((before + 1)) \
        "imjbridge: after a restart only the new line is delivered"

    # stopped while an unterminated line is pending (younger than 5 s), with lines after it: the
    # restart reads again from before that line but delivers each line once (the state's read=)
    rs_start
    rt run "${RT_RUN[@]}" --name tfe-pend jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh tfe-pend unterminated >/dev/null 2>&1
    rt run "${RT_RUN[@]}" --name tfe-after jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh tfe-after fast 5 >/dev/null 2>&1
    jb_wait_for "grep -q 'tfe-after fast 5' '$JB_TMP/rs.app'" 60 || jb_diag "the lines after did not arrive"
    rs_stop
    if grep -q -s '^read=' "$JB_TMP"/work/*; then
        jb_diag "imjbridge: stopped with the unterminated line pending (state has read=)"
    else
        jb_diag "imjbridge: the unterminated line had already expired at the stop"
    fi
    rs_start
    rt run "${RT_RUN[@]}" --name tfe-mark2 jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh tfe-mark2 fast 1 >/dev/null 2>&1
    jb_wait_for "grep -q 'tfe-pend last words' '$JB_TMP/rs.app' && grep -q 'tfe-mark2 fast 1' '$JB_TMP/rs.app'" 60 ||
        jb_diag "the unterminated line or the marker did not arrive"
    rs_stop
    got=$(for l in 'tfe-pend first line' 'tfe-pend last words without a newline' 'tfe-after fast 1' 'tfe-after fast 2' \
        'tfe-after fast 3' 'tfe-after fast 4' 'tfe-after fast 5' 'tfe-mark2 fast 1'; do
        grep -a -c -F "] $l" "$JB_TMP/rs.app"
    done | tr '\n' ' ')
    jb_is "$got" "1 1 1 1 1 1 1 1 " "imjbridge: a restart with a line pending delivers every line once"
fi
jb_done
