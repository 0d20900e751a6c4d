#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Torture: state file faults, for rsyslogd with imjbridge and for the jbridge command: an empty,
# truncated, garbage and foreign state file, a directory that turns read-only, a full disk (a small
# tmpfs), a temporary file left by a save that a crash interrupted. Each gives a clear message and
# the documented fallback, and the input keeps running: entries written afterwards arrive. A
# damaged file is moved aside to FILE.bad and reading starts at the beginning (nothing lost, the
# records read again carry their record ids); a failing save is reported once, and its recovery.

. "$(dirname "$0")/lib.sh"
jb_live_setup "$RSYSLOGD" "$JB_WRITE" "$JBRIDGE" "$JB_RSYSLOG_MODULES/imjbridge.so" -- "$@"

SD=$JB_TMP/statedir # a small tmpfs of its own: made read-only and filled below
mkdir -p "$SD" "$JB_TMP/work"
mount -t tmpfs -o size=64k tmpfs "$SD" || jb_bail_out "cannot mount a tmpfs on $SD"
jb_on_cleanup "umount '$SD' 2>/dev/null"
S=$SD/imjbridge.state
A=$JB_TMP/app.log
L=$JB_TMP/internal.log
cat >"$JB_TMP/rsyslog.conf" <<EOC
global(workDirectory="$JB_TMP/work" processInternalMessages="on")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
ruleset(name="app") { action(type="omfile" file="$A" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" ruleset="app" containers=["tfe-*"] stateFile="$S" persistStateInterval="10")
*.* action(type="omfile" file="$L")
EOC
n=0
write() { # write COUNT entries with prefix s, numbered on
    "$JB_WRITE" --quiet --container tfe-state --count "$1" --prefix s --seq-start $((n + 1)) || jb_bail_out "jb-write"
    n=$((n + $1))
}
arrived() { seqs_app "$A" s | grep -q -x -- "$1"; }
msgs() { cat "$JB_TMP/rsyslogd.log" "$L" 2>/dev/null; }

# a valid state to damage; a temporary file a crash left beside it is removed at the start, a
# link with such a name and another file's temporary are not
write 20
stale=$S.tmp.0123456789abcdef
echo stale >"$stale"
echo keep >"$SD/other.state.tmp.0123456789abcdef"
ln -s "$JB_TMP/valid.state" "$S.tmp.1111111111111111"
rs_start "$JB_TMP/rsyslog.conf"
jb_wait_for "arrived $n" 30 || jb_bail_out "imjbridge delivers nothing"
rs_stop
jb_ok "a valid state file was saved" test -s "$S"
jb_ok "imjbridge: the stale temporary file of the state is removed at the start" test ! -e "$stale"
jb_ok "imjbridge: another state's temporary file and a link are left alone" \
    test -e "$SD/other.state.tmp.0123456789abcdef" -a -L "$S.tmp.1111111111111111"
rm -f "$SD/other.state.tmp.0123456789abcdef" "$S.tmp.1111111111111111"
cp "$S" "$JB_TMP/valid.state"
valid=$(cat "$S")

fault() { # NAME: put the fault in place
    case $1 in
    empty) : >"$S" ;;
    truncated) head -c $(($(wc -c <"$JB_TMP/valid.state") / 2)) "$JB_TMP/valid.state" >"$S" ;;
    garbage) head -c 300 /dev/urandom >"$S" ;;
    foreign) sed -E 's/s=[0-9a-f]{32}/s=0123456789abcdef0123456789abcdef/; s/b=[0-9a-f]{32}/b=fedcba9876543210fedcba9876543210/' "$JB_TMP/valid.state" >"$S" ;;
    esac
}

# ids SEQ: the record ids of every copy of application entry SEQ in the output, one a line
ids() { LC_ALL=C grep -a "seq=s-$1\$" "$A" | grep -o ' id="[0-9a-f]*" stream=' | sort -u; }

for f in empty truncated garbage foreign; do
    # rsyslogd with imjbridge; an entry is written while it is down
    rm -f "$S.bad"
    fault $f
    write 1
    down=$n
    copies=$(LC_ALL=C grep -a -c "seq=s-1\$" "$A")
    : >"$JB_TMP/rsyslogd.log"
    : >"$L"
    rs_start "$JB_TMP/rsyslog.conf"
    write 5
    if jb_wait_for "arrived $n" 30; then jb_pass "imjbridge, $f state: keeps running (entry $n arrives)"; else
        jb_fail "imjbridge, $f state: keeps running (entry $n arrives)"
    fi
    m=$(msgs | grep -m 1 -F "$S")
    jb_figure "imjbridge_${f}_message" "${m:-(none)}"
    if [ -n "$m" ]; then jb_pass "imjbridge, $f state: a message names the state file"; else
        jb_fail "imjbridge, $f state: a message names the state file"
    fi
    jb_ok "imjbridge, $f state: the entry written while rsyslogd was down arrives" arrived $down
    if [ $f != foreign ]; then # a foreign cursor is valid: reading resumes after its position
        jb_ok "imjbridge, $f state: moved aside to FILE.bad" test -e "$S.bad"
        jb_ok "imjbridge, $f state: the message says so" grep -q -F "moved it to '$S.bad'" <<<"$m"
        jb_ok "imjbridge, $f state: reading started at the beginning (entry 1 read again)" \
            test "$(LC_ALL=C grep -a -c "seq=s-1\$" "$A")" -gt "$copies"
        jb_is "$(ids 1 | wc -l)" 1 "imjbridge, $f state: every copy of entry 1 has the same record id"
    fi
    rs_stop
    jb_ok "imjbridge, $f state: a valid state is saved again" grep -q "s=" "$S"

    # the jbridge command
    fault $f
    write 5
    # journald writes what it received a moment later: the one-shot run must find the last entry
    jb_wait_for "journal_seqs s | grep -q -x $n" 10 || jb_diag "entry $n is not in the journal after 10 s"
    : >"$JB_TMP/cli.out"
    "$JBRIDGE" --state "$S" --container 'tfe-*' --app-out "$JB_TMP/cli.out" --audit-out "$JB_TMP/cli.out" \
        2>"$JB_TMP/cli.err"
    st=$?
    m=$(grep -m 1 . "$JB_TMP/cli.err")
    jb_figure "jbridge_${f}_message" "${m:-(none)} (exit $st)"
    jb_is "$st" 0 "jbridge, $f state: exit 0"
    jb_ok "jbridge, $f state: entry $n delivered" grep -q "seq=s-$n\$" "$JB_TMP/cli.out"
    jb_ok "jbridge, $f state: says so on standard error" test -s "$JB_TMP/cli.err"
    cp "$JB_TMP/valid.state" "$S"
done

# unwritable directory and full disk, while running
for f in readonly full; do
    cp "$JB_TMP/valid.state" "$S"
    : >"$L"
    rs_start "$JB_TMP/rsyslog.conf"
    write 5
    jb_wait_for "arrived $n" 30
    if [ $f = readonly ]; then
        mount -o remount,ro "$SD"
    else
        dd if=/dev/zero of="$SD/fill" bs=4k count=100 2>/dev/null # fills the 64k tmpfs: ENOSPC
    fi
    before=$(cat "$S")
    write 50
    if jb_wait_for "arrived $n" 30; then jb_pass "imjbridge, $f: keeps running (entry $n arrives)"; else
        jb_fail "imjbridge, $f: keeps running (entry $n arrives)"
    fi
    jb_wait_for "grep -q 'cannot save state' '$L'" 10
    m=$(grep -m 1 'cannot save state' "$L" | sed 's/.*imjbridge: //')
    jb_figure "imjbridge_${f}_message" "${m:-(none)}"
    jb_ok "imjbridge, $f: 'cannot save state' with the reason" test -n "$m"
    write 30 # more checkpoints (every 10 records, and when idle) that fail
    jb_wait_for "arrived $n" 30
    jb_is "$(cat "$S")" "$before" "imjbridge, $f: the old state file is intact"
    if [ $f = readonly ]; then mount -o remount,rw "$SD"; else rm -f "$SD/fill"; fi
    write 20
    jb_wait_for "arrived $n" 30
    jb_ok "imjbridge, $f: saving works again once the directory is writable" \
        jb_wait_for "[ \"\$(cat '$S')\" != '$before' ]" 20
    jb_ok "imjbridge, $f: 'state saved again' logged" jb_wait_for "grep -q 'state saved again' '$L'" 10
    jb_is "$(grep -c 'cannot save state' "$L")" 1 "imjbridge, $f: the failure logged once, not at every checkpoint"
    rs_stop
    rm -f "$SD"/*.tmp* 2>/dev/null

    # the jbridge command, following
    cp "$JB_TMP/valid.state" "$S"
    : >"$JB_TMP/cli.out"
    "$JBRIDGE" --follow --state "$S" --container 'tfe-*' --app-out "$JB_TMP/cli.out" --audit-out "$JB_TMP/cli.out" \
        2>"$JB_TMP/cli.err" &
    CLI=$!
    jb_on_cleanup "kill -TERM $CLI 2>/dev/null"
    jb_wait_for "grep -q 'seq=s-$n\$' '$JB_TMP/cli.out'" 30
    if [ $f = readonly ]; then mount -o remount,ro "$SD"; else dd if=/dev/zero of="$SD/fill" bs=4k count=100 2>/dev/null; fi
    write 20
    if jb_wait_for "grep -q 'seq=s-$n\$' '$JB_TMP/cli.out'" 30 && kill -0 $CLI 2>/dev/null; then
        jb_pass "jbridge --follow, $f: keeps running (entry $n delivered)"
    else
        jb_fail "jbridge --follow, $f: keeps running (entry $n delivered)"
    fi
    jb_wait_for "test -s '$JB_TMP/cli.err'" 10
    jb_figure "jbridge_${f}_message" "$(head -n 1 "$JB_TMP/cli.err")"
    jb_ok "jbridge --follow, $f: says why on standard error" test -s "$JB_TMP/cli.err"
    if [ $f = readonly ]; then mount -o remount,rw "$SD"; else rm -f "$SD/fill"; fi
    write 5
    jb_ok "jbridge --follow, $f: saves again once the directory is writable" \
        jb_wait_for "grep -q 'state saved again' '$JB_TMP/cli.err'" 30
    kill -TERM $CLI
    jb_wait_pid_exit $CLI 20
    jb_is "$JB_EXIT_STATUS" 0 "jbridge --follow, $f: exits 0 on SIGTERM"
    rm -f "$SD"/*.tmp* 2>/dev/null
done
jb_done
