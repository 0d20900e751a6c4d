#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Debian's rsyslogd with imjbridge over the fixture journals (directory input), one input() per
# fixture side by side, each with its own rulesets and state file. The two output files of every
# input are compared record by record with what the jbridge command writes for the same journal
# (same core, same journal file, so the same lines, record ids included; rsyslog writes the
# timestamp's UTC offset as +00:00). Two more inputs set the recognition and split-line
# parameters (maxLine, maxPending, audit.patterns) against the same options of the command. Then
# the state: a restart reads nothing again.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"
jb_need_program "$RSYSLOGD"
jb_need_program "$JBRIDGE"
jb_need_program "$JOURNAL_REMOTE"
jb_need_program "$JB_RSYSLOG_MODULES/imjbridge.so"
jb_mktemp
trap jb_cleanup EXIT

CASES="containers audit-values audit-nested wrapped audit-malformed audit-mention non-container binary newlines tty
split-limits pattern"
# the cases with parameters: the fixture, the command's options, the input's parameters
mkdir -p "$JB_TMP/fx"
python3 "$JB_FIXTURES/make-fixtures.py" --large "$JB_TMP/fx" >/dev/null || jb_bail_out "make-fixtures.py --large failed"
declare -A FIXTURE=([split-limits]=$JB_TMP/fx/split.export [pattern]=$JB_FIXTURES/containers.export)
PATTERN='%{date} %{time} [ERROR] [%{component}] %{message}'
cli_opts() { # CASE: the command's options into opts
    case $1 in
    split-limits) opts=(--max-line 20000 --max-pending 2) ;;
    pattern) opts=("--pattern=$PATTERN") ;;
    *) opts=() ;;
    esac
}
declare -A IM_PARAMS=([split-limits]='maxLine="20000" maxPending="2"'
    [pattern]="audit.patterns=[\"$PATTERN\"]")
O=$JB_TMP/out
mkdir -p "$O" "$JB_TMP/work" "$JB_TMP/ref"
for c in $CASES; do
    jb_export_to_journal "${FIXTURE[$c]:-$JB_FIXTURES/$c.export}" "$JB_TMP/j/$c" ||
        jb_bail_out "cannot build the journal of $c"
    cli_opts "$c"
    "$JBRIDGE" --directory "$JB_TMP/j/$c" "${opts[@]}" --app-out "$JB_TMP/ref/$c.app" --audit-out "$JB_TMP/ref/$c.audit" </dev/null ||
        jb_bail_out "jbridge failed on $c"
    # rsyslog writes the UTC offset as +00:00 where jbridge writes Z: the same RFC 3339 time
    for s in app audit; do sed -i -E 's/^(<[0-9]+>1 [^ ]+)Z /\1+00:00 /' "$JB_TMP/ref/$c.$s"; done
done

# The jbridge command's line format as an rsyslog template.
conf=$JB_TMP/rsyslog.conf
{
    echo "global(workDirectory=\"$JB_TMP/work\")"
    echo "module(load=\"$JB_RSYSLOG_MODULES/imjbridge.so\")"
    echo 'template(name="jb" type="string" string="<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% %STRUCTURED-DATA% %msg%\n")'
    for c in $CASES; do
        echo "ruleset(name=\"$c-app\") { action(type=\"omfile\" file=\"$O/$c.app\" template=\"jb\") }"
        echo "ruleset(name=\"$c-audit\") { action(type=\"omfile\" file=\"$O/$c.audit\" template=\"jb\") }"
        echo "input(type=\"imjbridge\" directory=\"$JB_TMP/j/$c\" ruleset=\"$c-app\" audit.ruleset=\"$c-audit\" stateFile=\"$c.state\" ${IM_PARAMS[$c]:-})"
    done
} >"$conf"

run_rsyslogd() { # until every output has as many lines as the reference, then stop it
    "$RSYSLOGD" -n -f "$conf" -i "$JB_TMP/rsyslogd.pid" >"$JB_TMP/rsyslogd.log" 2>&1 &
    RS_PID=$!
    jb_on_cleanup "kill -TERM $RS_PID 2>/dev/null"
    local want=0 c
    for c in $CASES; do want=$((want + $(cat "$JB_TMP/ref/$c.app" "$JB_TMP/ref/$c.audit" | wc -l))); done
    jb_wait_for "test \$(cat $O/*.app $O/*.audit 2>/dev/null | wc -l) -ge $want && test \$(ls $JB_TMP/work/*.state | wc -l) -eq $(echo $CASES | wc -w)" 30 ||
        jb_diag "rsyslogd did not deliver everything in 30 s: $(cat "$JB_TMP/rsyslogd.log")"
    kill -TERM "$RS_PID"
    jb_wait_pid_exit "$RS_PID" 20 || { kill -KILL "$RS_PID"; jb_fail "rsyslogd stopped on SIGTERM"; }
}

run_rsyslogd
jb_is "$JB_EXIT_STATUS" 0 "rsyslogd with imjbridge exits 0 on SIGTERM"
for c in $CASES; do
    for s in app audit; do
        touch "$O/$c.$s"
        jb_files_equal "$O/$c.$s" "$JB_TMP/ref/$c.$s" "$c: $s stream through rsyslogd equals jbridge's"
    done
    jb_ok "$c: state file saved" test -s "$JB_TMP/work/$c.state"
done

# A second run resumes after the saved state: nothing is delivered twice.
mkdir -p "$O.1"
cp "$O"/* "$O.1/"
run_rsyslogd
for c in $CASES; do
    jb_files_equal "$O/$c.app" "$O.1/$c.app" "$c: a restart reads nothing again (app)"
    jb_files_equal "$O/$c.audit" "$O.1/$c.audit" "$c: a restart reads nothing again (audit)"
done
jb_ok "split-limits: maxLine cut lines (overflow records)" grep -q 'line="overflow"' "$O/split-limits.audit"
jb_ok "pattern: audit.patterns made the [ERROR] line an audit record" grep -q 'audit@32473 date=' "$O/pattern.audit"
jb_ok "rsyslogd logged no error" sh -c "! grep -i 'error' '$JB_TMP/rsyslogd.log'"
jb_done
