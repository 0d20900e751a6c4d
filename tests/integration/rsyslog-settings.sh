#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Settings imjbridge accepted and then did not honour (issue 18): each fails rsyslogd -N1 naming
# the parameter (empty values, numbers out of range instead of truncated, a state file shared
# through path variants); a directory that does not exist yet is a warning at start and a retry
# said once, and the input reads it once it appears; a file of the directory that cannot be
# opened is named.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"
jb_rsyslog_test
T=$JB_TMP
mkdir -p "$T/work/sub"

# n1 NAME CONFIG-BODY: rsyslogd -N1 on a config; sets N1_RC and N1_OUT.
n1() {
    local f=$T/$1.conf
    {
        echo "global(workDirectory=\"$T/work\")"
        echo "module(load=\"$JB_RSYSLOG_MODULES/imjbridge.so\")"
        echo "module(load=\"$JB_RSYSLOG_MODULES/mmjbridge.so\")"
        echo 'ruleset(name="app") { action(type="omfile" file="/dev/null") }'
        printf '%s\n' "$2"
    } >"$f"
    N1_RC=0
    N1_OUT=$(cd "$T/work" && "$RSYSLOGD" -N1 -f "$f" 2>&1) || N1_RC=$?
}
# bad NAME PARAM CONFIG-BODY: -N1 fails (not a crash) naming the parameter
bad() {
    n1 "$1" "$3"
    if [ "$N1_RC" -ne 0 ] && [ "$N1_RC" -lt 128 ] && printf '%s' "$N1_OUT" | grep -qF -- "parameter '$2'"; then
        jb_pass "$1: rsyslogd -N1 fails naming '$2'"
    else
        jb_fail "$1: rsyslogd -N1 fails naming '$2'"
        jb_diag "exit $N1_RC: $N1_OUT"
    fi
}
inp() { printf 'input(type="imjbridge" ruleset="app" %s)\n' "$@"; }
bad containers-empty containers "$(inp 'containers=["ptfe_*",""]')"
bad images-empty images "$(inp 'images=[""]')"
bad state-empty stateFile "$(inp 'stateFile=""')"
bad state-root stateFile "$(inp 'stateFile="/"')"
bad state-dir stateFile "$(inp 'stateFile="sub"')"
bad state-slash stateFile "$(inp 'stateFile="sub/"')"
bad namespace-empty namespace "$(inp 'namespace=""')"
bad directory-empty directory "$(inp 'directory=""')"
bad pen-wrap sd.pen "$(inp 'sd.pen="4294967297"')"
bad inflight-wrap maxInFlight "$(inp 'maxInFlight="2147483648"')"
bad persist-wrap persistStateInterval "$(inp 'persistStateInterval="4294967297"')"
bad ratelimit-interval-wrap ratelimit.interval "$(inp 'ratelimit.interval="4294967296"')"
bad ratelimit-burst-wrap ratelimit.burst "$(inp 'ratelimit.burst="4294967297"')"
bad max-pending-wrap maxPending "$(inp 'maxPending="4294967298"')"
bad mm-pen-wrap sd.pen "$(inp 'stateFile="mm.state"')
action(type=\"mmjbridge\" sd.pen=\"4294967297\")"
bad state-dot stateFile "$(inp 'stateFile="x.state"' 'stateFile="./x.state"')"
bad state-slashes stateFile "$(inp 'stateFile="x.state"' "stateFile=\"$T/work//x.state\"")"
ln -s "$T/work" "$T/link"
bad state-symlink stateFile "$(inp 'stateFile="x.state"' "stateFile=\"$T/link/x.state\"")"
bad state-dotdot stateFile "$(inp 'stateFile="x.state"' 'stateFile="sub/../x.state"')"
n1 good "$(inp 'stateFile="x.state" sd.pen="4294967295"' 'stateFile="y.state" maxInFlight="2147483647"' \
    'stateFile="sub/x.state" persistStateInterval="0"')"
jb_is "$N1_RC" 0 "distinct state files and the largest numbers in range pass -N1"
[ "$N1_RC" -eq 0 ] || jb_diag "$N1_OUT"
n1 later "$(inp "directory=\"$T/later\"")"
jb_is "$N1_RC" 0 "a directory that does not exist yet passes -N1 (it may appear later)"

# Run time: the directory appears after the start; a file of another directory is truncated.
jb_export_to_journal "$JB_FIXTURES/containers.export" "$T/j" || jb_bail_out "cannot build the journal"
mkdir "$T/mixed"
cp "$T/j/x.journal" "$T/mixed/a.journal"
head -c 3000 "$T/j/x.journal" >"$T/mixed/b.journal"
n_app=$("$JBRIDGE" -D "$T/j" --audit-out /dev/null </dev/null 2>/dev/null | wc -l)
cat >"$T/run.conf" <<EOC
global(workDirectory="$T/work" processInternalMessages="on")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
syslog.* action(type="omfile" file="$T/internal.log")
ruleset(name="later") { action(type="omfile" file="$T/later.app") }
ruleset(name="mixed") { action(type="omfile" file="$T/mixed.app") }
ruleset(name="drop") { stop }
input(type="imjbridge" directory="$T/later" ruleset="later" audit.ruleset="drop" stateFile="later.state")
input(type="imjbridge" directory="$T/mixed" ruleset="mixed" audit.ruleset="drop" stateFile="mixed.state")
EOC
jb_rsyslogd_start rs "$T/run.conf"
jb_wait_for "grep -q 'retrying every 10 s' '$T/internal.log'" 30
jb_ok "missing directory: a warning at start names it" grep -qF "parameter 'directory': journal directory $T/later: No such file or directory; the input will open it when it can" "$T/internal.log"
jb_ok "missing directory: the retry is said" grep -qF "$T/later: No such file or directory; retrying every 10 s" "$T/internal.log"
jb_wait_for "test \$(wc -l <'$T/mixed.app') -ge $n_app" 30
jb_is "$(wc -l <"$T/mixed.app")" "$n_app" "a truncated file beside a good one: the good one is read"
jb_ok "a truncated file beside a good one: named" grep -qF "cannot open journal file $T/mixed/b.journal: truncated" "$T/internal.log"
mkdir "$T/later"
cp "$T/j/x.journal" "$T/later/x.journal"
jb_wait_for "test \$(wc -l <'$T/later.app' 2>/dev/null || echo 0) -ge $n_app" 40
jb_is "$(wc -l <"$T/later.app" 2>/dev/null)" "$n_app" "the directory that appeared later is read"
jb_ok "reading it is said" grep -qF "opened the journal for state '$T/work/later.state' after retrying" "$T/internal.log"
jb_is "$(grep -c 'cannot open the journal for state' "$T/internal.log")" 1 "the retry is said once, not every 10 s"
jb_rsyslogd_stop "$RS_PID" "settings"
jb_done
