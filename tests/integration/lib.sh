# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the integration tests: TAP output, real journals made with
# systemd-journal-remote, a real systemd-journald in a private mount namespace, and polling with
# a deadline. Sourced by tests/integration/*.sh (bash).
#
# Environment (set by `make check`, defaults for running a test by hand from the source tree):
#   JB_SRCDIR       the source tree
#   JB_BUILDDIR     the build tree (jbridge and tests/tools/jb-write live there)
#   JOURNAL_REMOTE  path of systemd-journal-remote

# shellcheck disable=SC2034 # variables used by the scripts that source this file

set -u

: "${JB_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${JB_BUILDDIR:=$JB_SRCDIR}"
: "${JOURNAL_REMOTE:=/lib/systemd/systemd-journal-remote}"
JBRIDGE=${JBRIDGE:-$JB_BUILDDIR/jbridge}
JB_WRITE=${JB_WRITE:-$JB_BUILDDIR/tests/tools/jb-write}
JB_FIXTURES=$JB_SRCDIR/tests/fixtures
export JB_SRCDIR JB_BUILDDIR JOURNAL_REMOTE

# ---------------------------------------------------------------- TAP

_jb_n=0
_jb_failed=0
_jb_planned=

# jb_plan N: print the plan up front (otherwise jb_done prints it at the end).
jb_plan() {
    _jb_planned=$1
    echo "1..$1"
}

# jb_skip_all REASON: the whole script is skipped.
jb_skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

# jb_bail_out REASON: a broken precondition; stops the whole script.
jb_bail_out() {
    echo "Bail out! $*"
    exit 99
}

jb_diag() {
    local line
    printf '%s\n' "$*" | while IFS= read -r line; do echo "# $line"; done
}

jb_pass() {
    _jb_n=$((_jb_n + 1))
    echo "ok $_jb_n - $*"
}

jb_fail() {
    _jb_n=$((_jb_n + 1))
    _jb_failed=$((_jb_failed + 1))
    echo "not ok $_jb_n - $*"
}

# jb_skip NAME REASON
jb_skip() {
    _jb_n=$((_jb_n + 1))
    echo "ok $_jb_n - $1 # SKIP $2"
}

# jb_ok NAME CMD...: passes when CMD succeeds; its output goes to diagnostics when it fails.
jb_ok() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        jb_pass "$name"
    else
        jb_fail "$name"
        jb_diag "command failed: $*"
        [ -n "$out" ] && jb_diag "$out"
    fi
    return 0
}

# jb_is GOT EXPECTED NAME
jb_is() {
    if [ "$1" = "$2" ]; then
        jb_pass "$3"
    else
        jb_fail "$3"
        jb_diag "expected: $2"
        jb_diag "     got: $1"
    fi
}

# jb_files_equal GOT EXPECTED NAME: diff on failure (first lines of it).
jb_files_equal() {
    local d
    if d=$(diff -u "$2" "$1" 2>&1); then
        jb_pass "$3"
    else
        jb_fail "$3"
        jb_diag "$(printf '%s\n' "$d" | head -n 40 | cut -c1-300)"
    fi
}

# jb_done: the late plan, if none was given, and the exit status.
jb_done() {
    if [ -z "$_jb_planned" ]; then
        echo "1..$_jb_n"
    elif [ "$_jb_planned" != "$_jb_n" ]; then
        jb_diag "planned $_jb_planned tests but ran $_jb_n"
        exit 1
    fi
    [ "$_jb_failed" -eq 0 ]
}

# ---------------------------------------------------------------- environment

# jb_need_program PATH: skip the script when a program the test cannot run without is missing
# (in CI, where everything is installed, that is an error instead).
jb_need_program() {
    [ -x "$1" ] && return 0
    if [ -n "${CI:-}" ]; then jb_bail_out "missing $1"; fi
    jb_skip_all "missing $1"
}

# jb_need_root: live tests need root (mount namespaces, journald). In CI (CI set) we are root
# and must not skip; elsewhere skip with the reason.
jb_need_root() {
    [ "$(id -u)" -eq 0 ] && return 0
    if [ -n "${CI:-}" ]; then jb_bail_out "live tests need root, and CI is set"; fi
    jb_skip_all "live tests need root (re-run as root, or with CI=1 to make this an error)"
}

# jb_reexec_private_ns "$@": call at the top of a script, before any output. Re-executes the
# script in a private mount namespace (unshare -m --propagation private) unless it already runs
# in one, so the mounts of jb_start_journald never reach the host.
jb_reexec_private_ns() {
    [ -n "${JB_PRIVATE_NS:-}" ] && return 0
    jb_need_root
    command -v unshare >/dev/null 2>&1 || jb_need_program /usr/bin/unshare
    if ! unshare -m --propagation private true 2>/dev/null; then
        if [ -n "${CI:-}" ]; then jb_bail_out "cannot create a mount namespace (unshare -m)"; fi
        jb_skip_all "cannot create a mount namespace here (unshare -m failed: a container without CAP_SYS_ADMIN?)"
    fi
    export JB_PRIVATE_NS=1
    exec unshare -m --propagation private bash "$0" "$@"
}

# jb_live_setup PROGRAM... -- "$@": the start of a script that needs a journald of its own: re-run
# in a private mount namespace (jb_reexec_private_ns, so call it before any output), each PROGRAM
# must be there (jb_need_program), a temporary directory (jb_mktemp) removed at exit
# (jb_cleanup), and a real journald (jb_start_journald).
jb_live_setup() {
    local programs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        programs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    jb_reexec_private_ns "$@"
    jb_setup "${programs[@]}"
    jb_start_journald
}

# jb_setup PROGRAM...: each PROGRAM must be there (jb_need_program), and a temporary directory
# (jb_mktemp) is removed at exit (jb_cleanup).
jb_setup() {
    local p
    for p in "$@"; do jb_need_program "$p"; done
    jb_mktemp
    trap jb_cleanup EXIT
}

# jb_mktemp: a temporary directory removed by jb_cleanup (set as the EXIT trap by the caller,
# or call it yourself). Sets JB_TMP.
JB_TMP=
jb_mktemp() {
    JB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/jbridge-test.XXXXXX")
}

# Extra cleanup commands, run by jb_cleanup before the temporary directory goes.
_jb_cleanup_hooks=()
jb_on_cleanup() {
    _jb_cleanup_hooks+=("$*")
}

jb_cleanup() {
    local h
    for h in "${_jb_cleanup_hooks[@]+"${_jb_cleanup_hooks[@]}"}"; do eval "$h" || true; done
    jb_stop_journald
    if [ -n "$JB_TMP" ] && [ -z "${JB_KEEP_TMP:-}" ]; then rm -rf "$JB_TMP"; fi
}

# ---------------------------------------------------------------- polling

# _jb_now_ms: monotonic enough milliseconds for deadlines.
_jb_now_ms() {
    local ns
    ns=$(date +%s%N)
    echo $((ns / 1000000))
}

# jb_wait_for CMD TIMEOUT_SECONDS: run CMD (a shell command string, eval'd) until it succeeds or
# the deadline passes. 0 when it succeeded, 1 on timeout. Polls every 20 ms (the poll interval,
# not a synchronisation sleep: the condition decides).
jb_wait_for() {
    local cmd=$1 timeout=$2 deadline
    deadline=$(($(_jb_now_ms) + timeout * 1000))
    while :; do
        if eval "$cmd" >/dev/null 2>&1; then return 0; fi
        if [ "$(_jb_now_ms)" -ge "$deadline" ]; then return 1; fi
        sleep 0.02
    done
}

# jb_wait_pid_exit PID TIMEOUT_SECONDS: wait until PID (a child of this shell) has exited, then
# reap it and set JB_EXIT_STATUS. 1 on timeout (the process is still running).
JB_EXIT_STATUS=
jb_wait_pid_exit() {
    local pid=$1 timeout=$2
    if ! jb_wait_for "! kill -0 $pid" "$timeout"; then
        # kill -0 succeeds on a zombie too: the child may have exited without being reaped.
        if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]; then return 1; fi
    fi
    JB_EXIT_STATUS=0
    wait "$pid" || JB_EXIT_STATUS=$?
    return 0
}

# ---------------------------------------------------------------- journals from export files

# jb_export_to_journal EXPORTFILE DIR: turn Journal Export Format into a real journal file
# DIR/x.journal (appending when it exists).
jb_export_to_journal() {
    local export=$1 dir=$2
    mkdir -p "$dir"
    "$JOURNAL_REMOTE" -o "$dir/x.journal" - <"$export" >"$dir/journal-remote.log" 2>&1 || {
        jb_diag "systemd-journal-remote failed on $export:"
        jb_diag "$(cat "$dir/journal-remote.log")"
        return 1
    }
}

# ---------------------------------------------------------------- rsyslogd with imjbridge

# jb_imjbridge_conf CONF APP_FILE AUDIT_FILE INPUT_PARAMETERS: write CONF, an rsyslog.conf that
# loads the built imjbridge (or $JB_IMJBRIDGE if set; workDirectory $JB_TMP/work) and writes the app and audit rulesets to
# two files as RFC 5424 (RSYSLOG_SyslogProtocol23Format); INPUT_PARAMETERS go into input(...).
jb_imjbridge_conf() {
    mkdir -p "$JB_TMP/work"
    cat >"$1" <<EOC
global(workDirectory="$JB_TMP/work")
module(load="${JB_IMJBRIDGE:-$JB_RSYSLOG_MODULES/imjbridge.so}")
ruleset(name="app") { action(type="omfile" file="$2" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="audit") { action(type="omfile" file="$3" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" ruleset="app" audit.ruleset="audit" $4)
EOC
}

# ---------------------------------------------------------------- a real journald

JB_JOURNALD_PID=

# jb_start_journald: start systemd-journald on tmpfs, in the private mount namespace the script
# runs in (see jb_reexec_private_ns), with rate limiting off and persistent storage, and wait
# until it accepts entries. Needs JB_TMP.
jb_start_journald() {
    [ -n "${JB_PRIVATE_NS:-}" ] || jb_bail_out "jb_start_journald outside a private mount namespace"
    local journald=/lib/systemd/systemd-journald d
    [ -x "$journald" ] || journald=/usr/lib/systemd/systemd-journald
    jb_need_program "$journald"

    for d in /run/systemd/journal /run/log/journal /var/log/journal; do
        mkdir -p "$d"
        mount -t tmpfs -o mode=0755 tmpfs "$d" || jb_bail_out "cannot mount tmpfs on $d"
    done

    cat >"$JB_TMP/journald.conf" <<'EOF'
[Journal]
Storage=persistent
RateLimitIntervalSec=0
RateLimitBurst=0
SystemMaxUse=1G
RuntimeMaxUse=1G
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
ReadKMsg=no
Audit=no
EOF
    if [ -f /etc/systemd/journald.conf ]; then
        mount --bind "$JB_TMP/journald.conf" /etc/systemd/journald.conf ||
            jb_bail_out "cannot bind-mount journald.conf"
    else
        mkdir -p /etc/systemd
        mount -t tmpfs tmpfs /etc/systemd || jb_bail_out "cannot mount tmpfs on /etc/systemd"
        cp "$JB_TMP/journald.conf" /etc/systemd/journald.conf
    fi
    # Drop-ins of the host must not turn rate limiting back on.
    if [ -d /etc/systemd/journald.conf.d ]; then
        mount -t tmpfs tmpfs /etc/systemd/journald.conf.d || jb_bail_out "cannot hide journald.conf.d"
    fi
    # journald needs a machine id (a fresh container image may have none).
    if [ ! -s /etc/machine-id ]; then
        od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$JB_TMP/machine-id"
        echo >>"$JB_TMP/machine-id"
        [ -e /etc/machine-id ] || : >/etc/machine-id
        mount --bind "$JB_TMP/machine-id" /etc/machine-id || jb_bail_out "cannot provide /etc/machine-id"
    fi
    # Without this flag a hand-started journald keeps the journal in /run/log/journal.
    : >/run/systemd/journal/flushed

    "$journald" >"$JB_TMP/journald.log" 2>&1 &
    JB_JOURNALD_PID=$!
    if ! jb_wait_for "test -S /run/systemd/journal/socket" 10; then
        jb_diag "journald did not create its socket:"
        jb_diag "$(cat "$JB_TMP/journald.log")"
        jb_bail_out "systemd-journald did not start"
    fi
    jb_trusted_writer
}

# jb_trusted_writer: the genuine "Docker" of the live tests. journald records who wrote an entry
# (_COMM, _UID, _TRANSPORT) and jbridge trusts only container runtimes (issue 15: by default
# comm=dockerd or conmon, uid 0, transport journal). There is no dockerd here, so JB_WRITE becomes
# a copy of jb-write named dockerd, run as root: the defaults trust it exactly as they trust
# Docker, and no test needs a --trust setting for it. JB_WRITE_PLAIN keeps the original (a writer
# journald records as comm=jb-write). A forger in a test runs either as an unprivileged uid.
JB_WRITE_PLAIN=$JB_WRITE
jb_trusted_writer() {
    [ -x "$JB_WRITE_PLAIN" ] || return 0
    mkdir -p "$JB_TMP/trusted-bin" && cp "$JB_WRITE_PLAIN" "$JB_TMP/trusted-bin/dockerd" ||
        jb_bail_out "cannot copy jb-write as dockerd"
    JB_WRITE=$JB_TMP/trusted-bin/dockerd
}

# jb_stop_journald: stop the journald started by jb_start_journald (only that PID).
jb_stop_journald() {
    [ -n "$JB_JOURNALD_PID" ] || return 0
    kill -TERM "$JB_JOURNALD_PID" 2>/dev/null || true
    if ! jb_wait_pid_exit "$JB_JOURNALD_PID" 10; then
        kill -KILL "$JB_JOURNALD_PID" 2>/dev/null || true
        wait "$JB_JOURNALD_PID" 2>/dev/null || true
    fi
    JB_JOURNALD_PID=
}

# jb_journal_count MATCH...: number of entries journalctl sees with these matches.
jb_journal_count() {
    journalctl --no-pager -q -o cat "$@" 2>/dev/null | wc -l
}
