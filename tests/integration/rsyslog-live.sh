#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Live: a real journald in a private mount namespace, jb-write emitting Docker-style entries with
# sd_journal_send(), Debian's rsyslogd with imjbridge on the system journal. rsyslogd is stopped
# and started several times while the writer runs: every entry arrives exactly once, in the right
# file. JB_VALGRIND=1 runs every rsyslogd under valgrind (no invalid access, no definite leak);
# JB_LIVE_SEAL=1 seals both streams and verifies them after the restarts (jbridge verify).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_reexec_private_ns "$@"

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"
jb_need_program "$RSYSLOGD"
jb_need_program "$JB_WRITE"
jb_need_program "$JB_RSYSLOG_MODULES/imjbridge.so"
jb_mktemp
trap jb_cleanup EXIT
VG=()
if [ -n "${JB_VALGRIND:-}" ]; then
    command -v valgrind >/dev/null 2>&1 || jb_need_program /usr/bin/valgrind
    VG=(valgrind --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite
        --log-file="$JB_TMP/vg.%p")
fi
jb_start_journald

A=$JB_TMP/app.log
B=$JB_TMP/audit.log
SEAL=
if [ -n "${JB_LIVE_SEAL:-}" ]; then
    "$JBRIDGE" keygen --seal-key "$JB_TMP/seal.key" >"$JB_TMP/verify.key"
    SEAL="seal.keyFile=\"$JB_TMP/seal.key\" seal.streams=\"app,audit\""
fi
jb_imjbridge_conf "$JB_TMP/rsyslog.conf" "$A" "$B" "containers=[\"tfe-*\"] persistStateInterval=\"50\" $SEAL"

RS=
WRITER=
jb_on_cleanup '[ -z "$WRITER" ] || kill -TERM "$WRITER" 2>/dev/null; [ -z "$RS" ] || kill -TERM "$RS" 2>/dev/null'

start_rsyslogd() { # returns once rsyslogd wrote its pid file (its signal handlers are set then)
    rm -f "$JB_TMP/rsyslogd.pid"
    "${VG[@]}" "$RSYSLOGD" -n -f "$JB_TMP/rsyslog.conf" -i "$JB_TMP/rsyslogd.pid" >>"$JB_TMP/rsyslogd.log" 2>&1 &
    RS=$!
    jb_wait_for "test -s '$JB_TMP/rsyslogd.pid'" 60 || jb_diag "rsyslogd wrote no pid file in 60 s"
}
stop_rsyslogd() {
    kill -TERM "$RS"
    if jb_wait_pid_exit "$RS" 60 && [ "$JB_EXIT_STATUS" -eq 0 ]; then
        jb_pass "$1: rsyslogd exits 0 on SIGTERM"
    else
        jb_fail "$1: rsyslogd exits 0 on SIGTERM (status ${JB_EXIT_STATUS:-timeout})"
        jb_diag "$(tail -n 20 "$JB_TMP/rsyslogd.log")"
        kill -KILL "$RS" 2>/dev/null || true
    fi
    RS=
}

seqs_app() { [ -f "$A" ] && LC_ALL=C grep -a -o -E "seq=$1-[0-9]+( |\"|\$)" "$A" | sed -E "s/^seq=$1-//; s/[ \"]\$//"; }
seqs_audit() { [ -f "$B" ] && LC_ALL=C grep -a -o -E " seq=\"$1-[0-9]+\"" "$B" | sed -E "s/^ seq=\"$1-//; s/\"\$//"; }
count_seqs() { { seqs_app "$1"; seqs_audit "$1"; } | wc -l | tr -d ' '; }

N=${JB_LIVE_N:-3000}
K=7
"$JB_WRITE" --quiet --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count $N --audit-every $K --prefix r \
    --rate "${JB_LIVE_RATE:-1000}" 2>>"$JB_TMP/writer.err" &
WRITER=$!
start_rsyslogd
for i in 1 2 3 4; do
    # wait for progress, then stop and start rsyslogd while the writer goes on
    have=$(count_seqs r)
    jb_wait_for "[ \$(count_seqs r) -gt $have ]" 60 || jb_diag "restart $i: no progress in 60 s"
    stop_rsyslogd "restart $i"
    start_rsyslogd
done
if jb_wait_pid_exit "$WRITER" 120 && [ "$JB_EXIT_STATUS" -eq 0 ]; then jb_pass "jb-write finished"; else jb_fail "jb-write finished"; fi
WRITER=
jb_wait_for "[ \$(count_seqs r) -ge $N ]" 120 || jb_diag "only $(count_seqs r) of $N arrived"
stop_rsyslogd "final"

dups=$({ seqs_app r; seqs_audit r; } | sort -n | uniq -d | head -n 5 | tr '\n' ' ')
jb_is "${dups:-none}" none "no entry arrived twice across 4 restarts"
jb_is "$({ seqs_app r; seqs_audit r; } | sort -n -u | wc -l | tr -d ' ')" $N "all $N entries arrived"
jb_is "$(seqs_audit r | sort -n | md5sum)" "$(seq 1 $N | awk -v k=$K '$1 % k == 0' | md5sum)" \
    "exactly the audit lines are in the audit file"
jb_is "$(seqs_app r | sort -n | md5sum)" "$(seq 1 $N | awk -v k=$K '$1 % k != 0' | md5sum)" \
    "exactly the application lines are in the application file"
jb_ok "the state file was saved" test -s "$JB_TMP/work/imjbridge.state"
if [ -n "$SEAL" ]; then
    jb_ok "sealed: both streams verify across the restarts (jbridge verify)" \
        "$JBRIDGE" verify --verify-key "$JB_TMP/verify.key" "$A" "$B"
fi
if [ ${#VG[@]} -gt 0 ]; then
    bad=$(grep -l -E 'Invalid (read|write)|definitely lost: [1-9]|uninitialised' "$JB_TMP"/vg.* 2>/dev/null | head -n 3)
    jb_is "${bad:-none}" none "valgrind: no invalid access, no definite leak in any rsyslogd run"
    [ -z "$bad" ] || jb_diag "$(grep -h -A 12 -E 'Invalid|definitely lost: [1-9]' $bad | head -n 60)"
fi
jb_done
