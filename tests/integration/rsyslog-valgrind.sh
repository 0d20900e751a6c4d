#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Debian's rsyslogd with both modules under valgrind (memcheck): imjbridge over the fixture
# journals (every case, split lines included) and mmjbridge on every record (on audit records
# also with audit.allowed="off": their elements stripped and replaced, issue 15), then SIGTERM. No
# invalid access, no use of uninitialised memory, no definite leak: valgrind's --error-exitcode
# turns any of them into rsyslogd's exit status. (rsyslog-live-valgrind.sh does the live run.)

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"

jb_need_program "$RSYSLOGD"
jb_need_program "$JBRIDGE"
jb_need_program "$JOURNAL_REMOTE"
jb_need_program "$JB_RSYSLOG_MODULES/imjbridge.so"
jb_need_program "$JB_RSYSLOG_MODULES/mmjbridge.so"
jb_need_program /usr/bin/valgrind
jb_mktemp
trap jb_cleanup EXIT
J=$JB_TMP/j
mkdir -p "$JB_TMP/work" "$JB_TMP/fx"

python3 "$JB_FIXTURES/make-fixtures.py" --large "$JB_TMP/fx" >/dev/null || jb_bail_out "make-fixtures.py --large failed"
for f in "$JB_FIXTURES"/*.export "$JB_TMP"/fx/*.export; do
    jb_export_to_journal "$f" "$J" || jb_bail_out "cannot build the journal from $f"
done
"$JBRIDGE" --directory "$J" --app-out "$JB_TMP/ref.app" --audit-out "$JB_TMP/ref.audit" </dev/null || jb_bail_out "jbridge failed"
want=$(cat "$JB_TMP/ref.app" "$JB_TMP/ref.audit" | wc -l)

cat >"$JB_TMP/rsyslog.conf" <<EOC
global(workDirectory="$JB_TMP/work")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
module(load="$JB_RSYSLOG_MODULES/mmjbridge.so")
template(name="t" type="string" string="%\$!jbridge!stream% %\$!audit!actor% %STRUCTURED-DATA% %msg%\n")
ruleset(name="app") { action(type="mmjbridge") action(type="omfile" file="$JB_TMP/app.log" template="t") }
ruleset(name="audit") {
    action(type="mmjbridge")
    action(type="mmjbridge" audit.allowed="off")
    action(type="omfile" file="$JB_TMP/audit.log" template="t")
}
input(type="imjbridge" directory="$J" ruleset="app" audit.ruleset="audit" ratelimit.interval="1" ratelimit.burst="1000")
EOC

JB_RS_WRAPPER=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --track-origins=yes --log-file="$JB_TMP/valgrind.%p")
jb_rsyslogd_start rs "$JB_TMP/rsyslog.conf"
jb_wait_for "[ \$(cat $JB_TMP/app.log $JB_TMP/audit.log 2>/dev/null | wc -l) -ge $want ]" 120 ||
    jb_diag "under valgrind, not every record arrived in 120 s"
jb_rsyslogd_stop "$RS_PID" "valgrind, directory input over every fixture"
jb_is "$(cat "$JB_TMP/app.log" "$JB_TMP/audit.log" | wc -l | tr -d ' ')" "$want" "valgrind: every record delivered"
jb_is "$(grep -c -v '^app .*peer="unauthenticated"' "$JB_TMP/audit.log")" 0 \
    "valgrind: audit.allowed=\"off\" made every audit record an application record, flagged"
summary=$(grep -h -E 'ERROR SUMMARY|definitely lost' "$JB_TMP"/valgrind.* | sed 's/^==[0-9]*== *//' | sort -u | tr '\n' ' ')
jb_diag "valgrind: $summary"
bad=$(grep -l -E 'Invalid (read|write|free)|uninitialised|definitely lost: [1-9]' "$JB_TMP"/valgrind.* | head -n 1)
jb_is "${bad:-none}" none "valgrind: no invalid access, no uninitialised value, no definite leak"
[ -z "$bad" ] || jb_diag "$(grep -A 14 -E 'Invalid|uninitialised|definitely lost' "$bad" | head -n 80)"
jb_done
