#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# imjbridge's counters through impstats (format json, to a file, every second) over fixture
# journals whose content is known: entries read, submitted per stream, audit malformed, split
# lines reassembled, rate-limited, state saves, gaps, messages acknowledged and in flight. The
# input rate-limits the application stream to a burst of 2: every audit record still arrives (the
# audit stream is never rate-limited). Hostile header fields (a space, ']' and non-ASCII in the host and container
# names) reach rsyslog cut and cleaned as the jbridge command writes them.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"

jb_rsyslog_test "$JBRIDGE"
J=$JB_TMP/j
mkdir -p "$JB_TMP/work" "$JB_TMP/fx"

python3 "$JB_FIXTURES/make-fixtures.py" --large "$JB_TMP/fx" >/dev/null || jb_bail_out "make-fixtures.py --large failed"
# header fields a container (or a forged _HOSTNAME) could send
awk 'BEGIN { RS = ""; ORS = "\n\n" } NR == 1' "$JB_FIXTURES/containers.export" |
    sed -e 's/^__REALTIME_TIMESTAMP=.*/__REALTIME_TIMESTAMP=1522187800000000/' \
        -e 's/^__MONOTONIC_TIMESTAMP=.*/__MONOTONIC_TIMESTAMP=86500000000/' \
        -e 's/^_HOSTNAME=.*/_HOSTNAME=bad host]é/' -e 's/^CONTAINER_NAME=.*/CONTAINER_NAME=evil name"x/' \
        -e 's/^MESSAGE=.*/MESSAGE=hostile header fields/' >"$JB_TMP/fx/hostile.export"
for f in "$JB_FIXTURES/containers.export" "$JB_FIXTURES/audit-malformed.export" "$JB_FIXTURES/wrapped.export" \
    "$JB_TMP/fx/split.export" "$JB_TMP/fx/hostile.export"; do
    jb_export_to_journal "$f" "$J" || jb_bail_out "cannot build the journal from $f"
done
"$JBRIDGE" --directory "$J" --app-out "$JB_TMP/ref.app" --audit-out "$JB_TMP/ref.audit" </dev/null || jb_bail_out "jbridge failed"
sed -i -E 's/^(<[0-9]+>1 [^ ]+)Z /\1+00:00 /' "$JB_TMP/ref.app" "$JB_TMP/ref.audit"
n_read=$(journalctl --no-pager -D "$J" -o export | grep -c '^__CURSOR=')
n_app=$(wc -l <"$JB_TMP/ref.app")
n_audit=$(wc -l <"$JB_TMP/ref.audit")
n_malformed=$(grep -c 'audit="malformed"' "$JB_TMP/ref.audit")
n_reassembled=$(cat "$JB_TMP/ref.app" "$JB_TMP/ref.audit" | grep -c 'line="reassembled"')
jb_diag "fixture: $n_read entries, $n_app app, $n_audit audit, $n_malformed malformed, $n_reassembled reassembled"
[ "$n_app" -gt 2 ] && [ "$n_malformed" -gt 0 ] && [ "$n_reassembled" -gt 0 ] || jb_bail_out "the fixture lacks a case"

cat >"$JB_TMP/rsyslog.conf" <<EOC
global(workDirectory="$JB_TMP/work")
module(load="impstats" interval="1" format="json" log.syslog="off" log.file="$JB_TMP/stats.json" resetCounters="off")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
template(name="jb" type="string" string="<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% %STRUCTURED-DATA% %msg%\n")
ruleset(name="app") { action(type="omfile" file="$JB_TMP/app.log" template="jb") }
ruleset(name="audit") { action(type="omfile" file="$JB_TMP/audit.log" template="jb") }
input(type="imjbridge" directory="$J" ruleset="app" audit.ruleset="audit" stateFile="s.state"
      ratelimit.interval="600" ratelimit.burst="2")
EOC

# the last impstats line of the input, as "name=value" pairs in a fixed order
stats() {
    jb_impstats "$JB_TMP/stats.json" read submitted.app submitted.audit audit.malformed lines.reassembled \
        lines.overflow ratelimited.app gaps submit.failed acked inflight 'state.saves>0'
}
want="read=$n_read submitted.app=2 submitted.audit=$n_audit audit.malformed=$n_malformed"
want="$want lines.reassembled=$n_reassembled lines.overflow=0 ratelimited.app=$((n_app - 2)) gaps=0 submit.failed=0"
# every message submitted was written: acknowledged, none in flight
want="$want acked=$((2 + n_audit)) inflight=0"
want="$want state.saves>0=True"
jb_rsyslogd_start rs "$JB_TMP/rsyslog.conf"
jb_wait_for "[ \"\$(stats)\" = '$want' ]" 30 || true
got=$(stats)
jb_rsyslogd_stop "$RS_PID" "impstats"
jb_is "$got" "$want" "impstats: imjbridge's counters have the fixture's values"
jb_ok "impstats: the object is named after the state file" grep -q '"name": *"imjbridge(.*work\\/s\.state)"' "$JB_TMP/stats.json"

touch "$JB_TMP/audit.log" "$JB_TMP/app.log"
jb_files_equal "$JB_TMP/audit.log" "$JB_TMP/ref.audit" "rate limit on: every audit record arrives, as jbridge writes it"
jb_is "$(wc -l <"$JB_TMP/app.log")" 2 "rate limit on: the application stream is cut to the burst (2)"
jb_is "$(grep -h 'hostile header fields' "$JB_TMP/ref.app" | cut -d' ' -f3-4)" 'bad_host]__ evil_name"x' \
    "the jbridge command cleans hostile header fields"

# without the rate limit: the hostile entry through rsyslog has the same header as from jbridge
sed -i 's/ ratelimit.interval="600" ratelimit.burst="2"//; s/stateFile="s.state"/stateFile="t.state"/' "$JB_TMP/rsyslog.conf"
rm -f "$JB_TMP/app.log" "$JB_TMP/audit.log"
jb_rsyslogd_start rs "$JB_TMP/rsyslog.conf"
jb_wait_for "[ \$(cat $JB_TMP/app.log | wc -l) -ge $n_app ]" 30 || jb_diag "not every application record arrived"
jb_rsyslogd_stop "$RS_PID" "no rate limit"
jb_files_equal "$JB_TMP/app.log" "$JB_TMP/ref.app" "rate limit off: the application stream (hostile header fields included) equals jbridge's"
jb_done
