# SPDX-License-Identifier: Apache-2.0
# Helpers of the torture runs (tests/torture/*.sh): counts that depend on TORTURE_FULL, rsyslogd
# with imjbridge started, stopped and killed by PID, the outputs checked entry by entry, RssAnon and
# CPU time of a process. Builds on tests/integration/lib.sh (TAP, journald in a private namespace).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"

# jb_count CI_VALUE FULL_VALUE: the shortened count, or the full one with TORTURE_FULL=1.
# torture_setup "$@": the start of an rsyslogd torture run: re-run in a private mount namespace,
# rsyslogd, the writer and the imjbridge module must be there, a temporary directory removed at
# exit, and a real journald of its own.
torture_setup() {
    jb_live_setup "$RSYSLOGD" "$JB_WRITE" "$JB_RSYSLOG_MODULES/imjbridge.so" -- "$@"
}

jb_count() {
    if [ -n "${TORTURE_FULL:-}" ]; then echo "$2"; else echo "$1"; fi
}

# jb_figure NAME VALUE: a figure, printed as a TAP diagnostic "figure: NAME = VALUE".
jb_figure() {
    echo "# figure: $1 = $2"
}

# ---------------------------------------------------------------- rsyslogd by PID

RS=
RS_CONF=
# rs_start CONF: start rsyslogd -n with CONF, return once it wrote its pid file.
rs_start() {
    RS_CONF=$1
    rm -f "$JB_TMP/rsyslogd.pid"
    "$RSYSLOGD" -n -f "$RS_CONF" -i "$JB_TMP/rsyslogd.pid" >>"$JB_TMP/rsyslogd.log" 2>&1 &
    RS=$!
    jb_wait_for "test -s '$JB_TMP/rsyslogd.pid'" 60 || jb_diag "rsyslogd wrote no pid file in 60 s"
}
# rs_stop: SIGTERM, wait; 0 when it exited 0.
rs_stop() {
    [ -n "$RS" ] || return 0
    kill -TERM "$RS" 2>/dev/null
    local ok=1
    if jb_wait_pid_exit "$RS" 60 && [ "$JB_EXIT_STATUS" -eq 0 ]; then ok=0; else
        jb_diag "rsyslogd did not exit 0 on SIGTERM (status ${JB_EXIT_STATUS:-timeout}):"
        jb_diag "$(tail -n 20 "$JB_TMP/rsyslogd.log")"
        kill -KILL "$RS" 2>/dev/null || true
        wait "$RS" 2>/dev/null || true
    fi
    RS=
    return $ok
}
# rs_kill: SIGKILL, reap.
rs_kill() {
    [ -n "$RS" ] || return 0
    kill -KILL "$RS" 2>/dev/null
    wait "$RS" 2>/dev/null || true
    RS=
}

WRITER=
jb_on_cleanup '[ -z "$WRITER" ] || kill -TERM "$WRITER" 2>/dev/null; [ -z "$RS" ] || kill -KILL "$RS" 2>/dev/null'

# writer_start PREFIX RATE EVERY: tfe-atlas lines "PREFIX-N" written in the background at RATE a
# second, every EVERY-th an audit record, until writer_stop (WRITER: its pid); then rsyslogd on
# $JB_TMP/rsyslog.conf (rs_start).
writer_start() {
    "$JB_WRITE" --quiet --container tfe-atlas --image hashicorp/tfe-atlas:v1 --count 100000000 --audit-every "$3" \
        --prefix "$1" --rate "$2" 2>>"$JB_TMP/writer.err" &
    WRITER=$!
    rs_start "$JB_TMP/rsyslog.conf"
}
writer_stop() {
    kill -TERM "$WRITER"
    jb_wait_pid_exit "$WRITER" 30 || jb_diag "the writer did not stop"
    WRITER=
}

# wait_growth FILE WHAT: wait (60 s at most) until FILE grows; a diagnostic "WHAT: no progress"
# otherwise.
file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
wait_growth() {
    local have
    have=$(file_size "$1")
    jb_wait_for "[ \$(file_size '$1') -gt $have ]" 60 || jb_diag "$2: no progress"
}

# ---------------------------------------------------------------- entry-by-entry checks

# seqs_app FILE PREFIX / seqs_audit FILE PREFIX: the sequence numbers found in an output file
# (application lines end with seq=P-N, audit records carry seq="P-N" in audit@PEN).
seqs_app() { [ -f "$1" ] && LC_ALL=C grep -a -o -E "seq=$2-[0-9]+( |\"|\$)" "$1" | sed -E "s/^seq=$2-//; s/[ \"]\$//"; }
seqs_audit() { [ -f "$1" ] && LC_ALL=C grep -a -o -E " seq=\"$2-[0-9]+\"" "$1" | sed -E "s/^ seq=\"$2-//; s/\"\$//"; }

# journal_seqs PREFIX: the sequence numbers of the entries of PREFIX still in the journal.
journal_seqs() {
    journalctl --no-pager -q -o cat 2>/dev/null | LC_ALL=C grep -a -o -E "seq(=|\":\")$1-[0-9]+" |
        sed -E "s/.*$1-//" | sort -n -u
}

# count_lost EXPECTED_LIST GOT_LIST: lines of EXPECTED_LIST (sorted -n, unique) not in GOT_LIST.
count_missing() { comm -23 <(sort -u "$1") <(sort -u "$2") | wc -l | tr -d ' '; }
count_dups() { sort "$1" | uniq -d | wc -l | tr -d ' '; }
count_extra_copies() { local t u; t=$(wc -l <"$1"); u=$(sort -u "$1" | wc -l); echo $((t - u)); }

# ---------------------------------------------------------------- process figures

# rss_anon PID: RssAnon in kB.
rss_anon() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# cpu_ticks PID: utime + stime of the process (all its threads), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# cpu_percent PID SECONDS: CPU used by PID over SECONDS of wall time, in percent (one decimal).
cpu_percent() {
    local a b hz
    hz=$(getconf CLK_TCK)
    a=$(cpu_ticks "$1")
    sleep "$2" # measuring over a span of time: this is the measurement, not a synchronisation
    b=$(cpu_ticks "$1")
    awk -v d=$((b - a)) -v hz="$hz" -v s="$2" 'BEGIN { printf "%.1f\n", 100 * d / hz / s }'
}
