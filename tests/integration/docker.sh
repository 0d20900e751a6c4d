#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real Docker (issue 17): Debian's dockerd with the journald log driver writes into the suite's
# journald (private mount namespace); TFE-like containers (tests/integration/runtime/tfe-writer.sh)
# write split 40 KiB audit lines, lines of k * 16 KiB, a CR on the 16 KiB boundary, a TTY, an
# unterminated last line, a crash mid-line and two fast writers at once. jbridge one-shot, one-shot
# --state (twice, before and after the unfinished lines are 5 s old), --follow, and rsyslogd with
# imjbridge must each deliver every line exactly once, whole, in its stream, with its container,
# severity and time; only the unfinished lines are flagged incomplete; record ids are distinct.
# JB_DOCKER_N sets the lines of each fast writer (default 3000).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/runtime-lib.sh
. "$(dirname "$0")/runtime-lib.sh"
jb_live_setup /usr/sbin/dockerd /bin/busybox -- "$@"

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"
HAVE_RSYSLOG=1
[ -x "$RSYSLOGD" ] && [ -f "$JB_RSYSLOG_MODULES/imjbridge.so" ] || HAVE_RSYSLOG=
WRITER=$JB_SRCDIR/tests/integration/runtime/tfe-writer.sh
N=${JB_DOCKER_N:-3000}
T0=$(date -u +%Y-%m-%dT%H:%M:%S)

jb_busybox_rootfs_tar "$JB_TMP/rootfs.tar"
tar -C "$(dirname "$WRITER")" -rf "$JB_TMP/rootfs.tar" --transform 's,^,bin/,' tfe-writer.sh
jb_start_dockerd
jb_docker import "$JB_TMP/rootfs.tar" jbtest/tfe:v1 >/dev/null || jb_bail_out "docker import failed"

# Readers that follow start before the containers.
"$JBRIDGE" --follow --app-out "$JB_TMP/follow.app" --audit-out "$JB_TMP/follow.audit" 2>"$JB_TMP/follow.err" &
FOLLOW=$!
jb_on_cleanup "kill -TERM $FOLLOW 2>/dev/null"
RS_PID=
if [ -n "$HAVE_RSYSLOG" ]; then
    mkdir -p "$JB_TMP/work"
    cat >"$JB_TMP/rsyslog.conf" <<EOC
global(workDirectory="$JB_TMP/work" maxMessageSize="256k")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
ruleset(name="app") { action(type="omfile" file="$JB_TMP/rs.app" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="audit") { action(type="omfile" file="$JB_TMP/rs.audit" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" ruleset="app" audit.ruleset="audit" containers=["tfe-*"])
EOC
    "$RSYSLOGD" -n -f "$JB_TMP/rsyslog.conf" -i "$JB_TMP/rsyslogd.pid" >"$JB_TMP/rsyslogd.log" 2>&1 &
    RS_PID=$!
    jb_on_cleanup "kill -TERM $RS_PID 2>/dev/null"
    jb_wait_for "test -s '$JB_TMP/rsyslogd.pid'" 60 || jb_diag "rsyslogd wrote no pid file"
fi

run() { # run NAME [docker run options] -- KIND [N]: a container of the image, in the foreground
    local name=$1
    shift
    local opts=()
    while [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    shift
    jb_docker run --network none --name "$name" "${opts[@]}" jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh "$name" "$@" \
        >/dev/null 2>&1 </dev/null
    EXPECT=1 busybox sh "$WRITER" "$name" "$@" >>"$JB_TMP/expected.raw"
}

run tfe-atlas --log-opt tag='{{.Name}}/{{.ImageName}}/{{.ID}}' --label com.hashicorp.tfe.role=atlas \
    --log-opt labels=com.hashicorp.tfe.role --env TFE_COMPONENT=atlas --log-opt env=TFE_COMPONENT -- audit 300
run tfe-nginx -- boundary
run tfe-tty -t -- tty 50
run tfe-sidekiq -- unterminated
run tfe-crash -- crash
# two fast writers at once
jb_docker run -d --network none --name tfe-w1 jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh tfe-w1 fast "$N" >/dev/null
jb_docker run -d --network none --name tfe-w2 jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh tfe-w2 fast "$N" >/dev/null
jb_docker wait tfe-w1 tfe-w2 >/dev/null
EXPECT=1 busybox sh "$WRITER" tfe-w1 fast "$N" >>"$JB_TMP/expected.raw"
EXPECT=1 busybox sh "$WRITER" tfe-w2 fast "$N" >>"$JB_TMP/expected.raw"
crashed=$(jb_docker inspect -f '{{.State.ExitCode}}' tfe-crash)
jb_is "$crashed" 137 "docker: the crash container was killed mid-line (exit 137)"

# jbridge writes a control character as #ooo (a TTY's '\r' is removed from the finished line only).
LC_ALL=C sed 's/\r/#015/g' "$JB_TMP/expected.raw" | LC_ALL=C sort >"$JB_TMP/expected"
lines=$(wc -l <"$JB_TMP/expected")
jb_diag "lines written by the containers: $lines"

# NAME|SEVERITY|MESSAGE of every record in the files given, sorted.
records() {
    cat "$@" 2>/dev/null | LC_ALL=C sed -E -n 's/^<([0-9]+)>1 [^ ]+ [^ ]+ ([^ ]+) .*\[meta sequenceId="[0-9]+"\] ?(.*)$/\1|\2|\3/p' |
        LC_ALL=C awk -F'|' 'BEGIN { OFS = "|" } { p = $1; $1 = ""; sub(/^\|/, ""); n = $1; $1 = ""; sub(/^\|/, ""); print n, p % 8, $0 }' |
        LC_ALL=C sort
}
flagged() { cat "$@" 2>/dev/null | grep -a -c 'line="incomplete"'; }
ids() { cat "$@" 2>/dev/null | grep -a -o 'jbridge@32473 id="[0-9a-f]*"' | sort | uniq -d | wc -l; }

check() { # check READER FILES...: exactly the expected lines, two flagged incomplete, ids distinct
    local reader=$1
    shift
    records "$@" >"$JB_TMP/got.$reader"
    jb_diag "$reader: $(wc -l <"$JB_TMP/got.$reader") records delivered"
    jb_files_equal "$JB_TMP/got.$reader" "$JB_TMP/expected" "$reader: every line once, whole, with its container and severity"
    jb_is "$(flagged "$@")" 2 "$reader: only the unterminated and the crashed line are flagged incomplete"
    jb_is "$(ids "$@")" 0 "$reader: record ids are distinct"
    jb_is "$(cat "$@" | grep -a -c 'stream="audit"')" "$(grep -c '\[Audit Log\]' "$JB_TMP/expected")" \
        "$reader: the split audit lines are in the audit stream"
}

# one-shot --state, twice, while the unfinished lines are younger than 5 s of journal time: the
# second run delivers nothing
ST=$JB_TMP/state
"$JBRIDGE" --state "$ST" >"$JB_TMP/state1.out" 2>"$JB_TMP/state.err"
"$JBRIDGE" --state "$ST" >"$JB_TMP/state2.out" 2>>"$JB_TMP/state.err"
jb_is "$(wc -l <"$JB_TMP/state2.out")" 0 "state: a second run over the same journal delivers nothing"
jb_diag "state: first run $(wc -l <"$JB_TMP/state1.out") records, $(flagged "$JB_TMP/state1.out") incomplete"

# 6 s later, a last container: the unfinished lines are now 5 s old in journal time
sleep 6
jb_docker run --network none --name tfe-late jbtest/tfe:v1 /bin/sh /bin/tfe-writer.sh tfe-late fast 3 >/dev/null 2>&1
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
    kill -TERM "$RS_PID"
    jb_wait_pid_exit "$RS_PID" 60 || true
    check imjbridge "$JB_TMP/rs.app" "$JB_TMP/rs.audit"
else
    jb_skip "imjbridge" "rsyslogd or imjbridge.so missing"
fi

# time: every record's timestamp lies between the start of the test and now
T1=$(date -u +%Y-%m-%dT%H:%M:%S)
bad=$(cat "$JB_TMP/oneshot.out" | cut -d' ' -f2 | cut -c1-19 | awk -v a="$T0" -v b="$T1" '$0 < a || $0 > b' | wc -l)
jb_is "$bad" 0 "one-shot: every record's time is the container's write time"

# the fields Docker wrote for a split line, for the record
jb_diag "$(journalctl -o export CONTAINER_NAME=tfe-nginx 2>/dev/null | LC_ALL=C grep -a -E '^(MESSAGE|CONTAINER_|IMAGE_NAME|SYSLOG_IDENTIFIER|PRIORITY|_COMM|_SOURCE_REALTIME)' | cut -c1-100 | head -n 40)"
jb_done
