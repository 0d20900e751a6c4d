#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Debian's rsyslogd loads both modules (rsyslogd -N1 validates a config without running it), only
# modInit is exported, the examples validate, and bad parameter values fail -N1 with a message
# that names the parameter, without crashing the daemon.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"
jb_need_program "$RSYSLOGD"
jb_need_program "$JB_RSYSLOG_MODULES/imjbridge.so"
jb_need_program "$JB_RSYSLOG_MODULES/mmjbridge.so"
jb_mktemp
trap jb_cleanup EXIT
mkdir -p "$JB_TMP/work" "$JB_TMP/ro"

for m in imjbridge mmjbridge; do
    syms=$(nm -D --defined-only "$JB_RSYSLOG_MODULES/$m.so" | awk '$2 == "T" {print $3}' | tr '\n' ' ')
    jb_is "$syms" "modInit " "$m.so exports only modInit"
done

# n1 NAME CONFIG-BODY: run rsyslogd -N1 on a config; sets N1_RC and N1_OUT.
n1() {
    local f=$JB_TMP/$1.conf
    {
        echo "global(workDirectory=\"$JB_TMP/work\")"
        echo "module(load=\"$JB_RSYSLOG_MODULES/imjbridge.so\")"
        echo "module(load=\"$JB_RSYSLOG_MODULES/mmjbridge.so\")"
        echo 'ruleset(name="app") { action(type="omfile" file="/dev/null") }'
        echo 'ruleset(name="aud") { action(type="omfile" file="/dev/null") }'
        printf '%s\n' "$2"
    } >"$f"
    N1_RC=0
    N1_OUT=$("$RSYSLOGD" -N1 -f "$f" 2>&1) || N1_RC=$?
}

n1 good 'input(type="imjbridge" ruleset="app" audit.ruleset="aud" containers=["ptfe_*"] images=["hashicorp/*"]
  match=["_HOSTNAME=tfe-host"] audit.markers=["[Audit Log]"] sd.pen="32473" facility.app="local0"
  facility.audit="13" ratelimit.interval="5" ratelimit.burst="100" persistStateInterval="100"
  ignorePreviousMessages="on" escapeControlCharacters="on" stateFile="one.state" readAhead="off"
  maxInFlight="5000" maxLine="64k" maxPending="8" profile="tfe" audit.patterns=["AUDIT %{actor} did %{action}"]
  jsonProperties="audit" trust=["uid=1000,comm=dockerd", "unit=docker.service"] untrusted="drop")
input(type="imjbridge" directory="/var/log/journal/remote" ruleset="app" stateFile="two.state")
action(type="mmjbridge" sd.pen="32473" audit.markers=["[Audit Log]", "AUDIT:"] resplit="on")'
jb_is "$N1_RC" 0 "rsyslogd -N1 loads imjbridge and mmjbridge with every parameter set"
[ "$N1_RC" -eq 0 ] || jb_diag "$N1_OUT"

# bad NAME WORD CONFIG: -N1 must fail (or report an error) naming WORD, and must not crash.
bad() {
    n1 "$1" "$3"
    if [ "$N1_RC" -ne 0 ] && [ "$N1_RC" -lt 128 ] && printf '%s' "$N1_OUT" | grep -qi -- "$2"; then
        jb_pass "$1: rsyslogd -N1 fails naming '$2'"
    else
        jb_fail "$1: rsyslogd -N1 fails naming '$2'"
        jb_diag "exit $N1_RC: $N1_OUT"
    fi
}
bad containers-number containers 'input(type="imjbridge" ruleset="app" containers=5)'
bad unknown-ruleset ruleset 'input(type="imjbridge" ruleset="nosuch")'
bad unknown-audit-ruleset audit.ruleset 'input(type="imjbridge" ruleset="app" audit.ruleset="nosuch")'
chmod 0555 "$JB_TMP/ro"
if [ "$(id -u)" -eq 0 ]; then
    # root writes anywhere; a path under a regular file is unwritable for everyone
    : >"$JB_TMP/file"
    bad state-dir stateFile "input(type=\"imjbridge\" ruleset=\"app\" stateFile=\"$JB_TMP/file/x.state\")"
else
    bad state-dir stateFile "input(type=\"imjbridge\" ruleset=\"app\" stateFile=\"$JB_TMP/ro/x.state\")"
fi
bad same-state stateFile 'input(type="imjbridge" ruleset="app") input(type="imjbridge" ruleset="aud")'
bad facility facility.app 'input(type="imjbridge" ruleset="app" facility.app="nosuch")'
bad match match 'input(type="imjbridge" ruleset="app" match=["no equals sign"])'
bad sources directory 'input(type="imjbridge" ruleset="app" directory="/tmp" namespace="x")'
bad unknown-param frobnicate 'input(type="imjbridge" ruleset="app" frobnicate="1")'
bad pen sd.pen 'input(type="imjbridge" ruleset="app" sd.pen="-1")'
bad mm-marker audit.markers 'action(type="mmjbridge" audit.markers=[""])'
bad max-line maxLine 'input(type="imjbridge" ruleset="app" maxLine="0")'
bad max-line-big maxLine 'input(type="imjbridge" ruleset="app" maxLine="2g")'
bad max-pending maxPending 'input(type="imjbridge" ruleset="app" maxPending="2000000")'
bad profile profile 'input(type="imjbridge" ruleset="app" profile="nosuch")'
bad patterns audit.patterns 'input(type="imjbridge" ruleset="app" audit.patterns=["%{a}%{b}"])'
bad trust trust 'input(type="imjbridge" ruleset="app" trust=["user=root"])'
bad trust-uid trust 'input(type="imjbridge" ruleset="app" trust=["comm=dockerd,uid=x"])'
bad untrusted untrusted 'input(type="imjbridge" ruleset="app" untrusted="ignore")'
bad json-properties jsonProperties 'input(type="imjbridge" ruleset="app" jsonProperties="some")'

# every example config validates (module paths pointed at the build, a private work directory,
# the TLS files of /etc/rsyslog-tls/ replaced by throwaway ones: rsyslogd -N1 opens them)
# (the TLS examples need rsyslog-gnutls's driver)
gtls=$(echo /usr/lib/*/rsyslog/lmnsd_gtls.so)
[ -f "$gtls" ] || { [ -z "${CI:-}" ] || jb_bail_out "missing rsyslog-gnutls ($gtls)"; }
jb_make_tls "$JB_TMP/tls" || jb_bail_out "cannot make test certificates with openssl"
n_examples=0
for ex in "$JB_SRCDIR"/examples/*.conf; do
    [ -e "$ex" ] || continue
    name=$(basename "$ex")
    if [ ! -f "$gtls" ] && grep -q gtls "$ex"; then
        jb_skip "examples/$name validates with rsyslogd -N1" "rsyslog-gnutls is not installed"
        continue
    fi
    jb_example_conf "$ex" "$JB_TMP/work" "$JB_TMP/tls" >"$JB_TMP/$name"
    jb_ok "examples/$name validates with rsyslogd -N1" "$RSYSLOGD" -N1 -f "$JB_TMP/$name"
    n_examples=$((n_examples + 1))
done
jb_ok "the five example configs are there ($n_examples)" test "$n_examples" -ge 5
jb_done
