#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# imjbridge saves its position only past records rsyslog has finished with, and keeps at most
# maxInFlight messages out. Two rounds over 400 new Docker-style entries each (every 20th an audit
# record); the audit ruleset forwards with omfwd to a closed port on 127.0.0.1, retrying forever,
# with no action queue: the round's first audit record never completes. While it hangs:
#   - reading stops near maxInFlight (impstats: inflight, inflight.waits, read);
#   - the state file never passes that audit record, although the input handed it (and the
#     records after it) to rsyslog long ago.
# rsyslogd is then stopped (round 1, SIGTERM: it says how many messages were not acknowledged) or
# killed (round 2, SIGKILL), and started again with a working audit output and the same state
# file: every record of the round arrives, and the application records written twice carry their
# first record id. Submitted-before-recorded (the state saved after multiSubmitMsg2) loses the
# audit records of both rounds.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"

jb_rsyslog_test
J=$JB_TMP/j
mkdir -p "$JB_TMP/work"

N=400     # entries per round
EVERY=20  # every 20th entry is an audit record
MAXIN=50
# export FROM TO: Journal Export Format of entries FROM..TO of container tfe-ack; application
# lines end with seq=a-I, audit records carry "seq":"a-I" in their JSON (seq="a-I" in audit@PEN)
export_entries() {
    python3 - "$1" "$2" "$EVERY" <<'PY'
import sys
first, last, every = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t0 = 1700000000000000
for i in range(first, last + 1):
    if i % every == 0:
        msg = ('2023-11-14 22:13:20 [INFO] [Audit Log] {"resource":"run","action":"apply",'
               '"resource_id":"run-%d","actor":"ack","timestamp":"2023-11-14T22:13:20Z",'
               '"actor_ip":"10.0.0.1","seq":"a-%d"}' % (i, i))
    else:
        msg = "application line seq=a-%d" % i
    print("__REALTIME_TIMESTAMP=%d" % (t0 + i * 1000))
    print("__MONOTONIC_TIMESTAMP=%d" % (1000000 + i * 1000))
    print("_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b")
    print("_HOSTNAME=tfe-host")
    print("_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd")
    print("PRIORITY=6")
    print("MESSAGE=" + msg)
    print("CONTAINER_ID=0123456789ab")
    print("CONTAINER_ID_FULL=0123456789ab" + "0" * 52)
    print("CONTAINER_NAME=tfe-ack")
    print("CONTAINER_TAG=0123456789ab")
    print("SYSLOG_IDENTIFIER=0123456789ab")
    print("IMAGE_NAME=hashicorp/tfe-ack:v1")
    print()
PY
}

PORT=$(jb_free_port)
STATE=$JB_TMP/work/ack.state
# conf OUTPUT: the configuration with the audit ruleset's action OUTPUT
conf() {
    cat <<EOC
global(workDirectory="$JB_TMP/work")
module(load="impstats" interval="1" format="json" log.syslog="off" log.file="$JB_TMP/stats.json" resetCounters="off")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
ruleset(name="app") { action(type="omfile" file="$JB_TMP/app.log" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="audit" queue.type="LinkedList") { $1 }
input(type="imjbridge" directory="$J" ruleset="app" audit.ruleset="audit" stateFile="ack.state"
      persistStateInterval="10" maxInFlight="$MAXIN" audit.containers=["tfe-ack"])
EOC
}
conf "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"$PORT\" protocol=\"tcp\"
      template=\"RSYSLOG_SyslogProtocol23Format\" action.resumeRetryCount=\"-1\" action.resumeInterval=\"1\")" \
    >"$JB_TMP/blocked.conf"
conf "action(type=\"omfile\" file=\"$JB_TMP/audit.log\" template=\"RSYSLOG_SyslogProtocol23Format\")" \
    >"$JB_TMP/working.conf"

# ctr KEY: the input's counter KEY in the last impstats line (empty when none yet)
ctr() {
    [ -f "$JB_TMP/stats.json" ] || return 0
    grep '"origin": "imjbridge"' "$JB_TMP/stats.json" | tail -n 1 | grep -o "\"$1\": [0-9]*" | grep -o '[0-9]*$'
}
# first_unsaved: the sequence number of the first entry after the saved cursor (empty: none)
first_unsaved() {
    local cur
    cur=$(sed -n 's/^cursor=//p' "$STATE" 2>/dev/null)
    [ -n "$cur" ] || return 0
    journalctl --no-pager -q -D "$J" --after-cursor="$cur" -o cat 2>/dev/null | head -n 1 | grep -o -E 'a-[0-9]+' | head -n 1 | sed 's/a-//'
}

lines() { grep -c '"origin": "imjbridge"' "$JB_TMP/stats.json"; }
app_seqs() { grep -a -o -E 'seq=a-[0-9]+$' "$JB_TMP/app.log" | sed 's/seq=a-//'; }
audit_seqs() { grep -a -o -E ' seq="a-[0-9]+"' "$JB_TMP/audit.log" 2>/dev/null | grep -o -E '[0-9]+'; }
in_range() { awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b'; }

# round NAME SIGNAL FROM: entries FROM..FROM+N-1 through a blocked audit output, SIGNAL, then a
# working one
round() {
    local name=$1 sig=$2 from=$3 to=$(($3 + N - 1)) blocked=$(($3 + EVERY - 1))
    export_entries "$from" "$to" >"$JB_TMP/$name.export"
    jb_export_to_journal "$JB_TMP/$name.export" "$J" || jb_bail_out "cannot build the journal"
    rm -f "$JB_TMP/stats.json"
    jb_rsyslogd_start "$name-blocked" "$JB_TMP/blocked.conf"
    # reading pauses: the input waits for acknowledgements that cannot come
    jb_wait_for "[ \"\$(ctr inflight.waits)\" -ge 1 ] && [ \"\$(ctr inflight)\" -ge $MAXIN ]" 30 ||
        jb_diag "$name: the input did not reach maxInFlight: $(tail -n 1 "$JB_TMP/stats.json" 2>/dev/null)"
    local read1 read2 inflight have first
    read1=$(ctr read)
    # two more impstats reports (one a second): reading must stay where it stopped
    have=$(lines)
    jb_wait_for "[ \$(lines) -ge $((have + 2)) ]" 10 || jb_diag "$name: impstats stopped reporting"
    read2=$(ctr read)
    inflight=$(ctr inflight)
    jb_diag "$name, blocked: read $read2 of $N entries, $inflight messages in flight, acked $(ctr acked)"
    jb_ok "$name: reading stops at maxInFlight: read $read2 <= $MAXIN + one batch, and stays ($read1)" \
        test "${read2:-999}" -le $((MAXIN + 10)) -a "${read1:-0}" = "${read2:-1}"
    jb_ok "$name: impstats inflight ($inflight) >= maxInFlight ($MAXIN)" test "${inflight:-0}" -ge "$MAXIN"
    first=$(first_unsaved)
    jb_ok "$name: the state file was saved but not past the blocked audit record ($blocked): the first entry after it is $first" \
        test -n "$first" -a "${first:-0}" -ge "$from" -a "${first:-0}" -le "$blocked"
    if [ "$sig" = TERM ]; then
        jb_rsyslogd_stop "$RS_PID" "$name, blocked output"
        jb_ok "$name: the stop says how many messages were not acknowledged" \
            grep -q "imjbridge: stopping with [0-9]* messages not acknowledged" "$JB_TMP/$name-blocked.log"
    else
        kill -KILL "$RS_PID"
        jb_wait_pid_exit "$RS_PID" 30 || jb_bail_out "rsyslogd survived SIGKILL"
    fi
    first=$(first_unsaved)
    jb_ok "$name: after SIG$sig the state file still does not pass it: the first entry after it is $first" \
        test -n "$first" -a "${first:-0}" -ge "$from" -a "${first:-0}" -le "$blocked"

    jb_rsyslogd_start "$name-working" "$JB_TMP/working.conf"
    local n_audit=$((N / EVERY)) n_app=$((N - N / EVERY))
    jb_wait_for "[ \$(audit_seqs | in_range $from $to | sort -u | wc -l) -ge $n_audit ] && [ \$(app_seqs | in_range $from $to | sort -u | wc -l) -ge $n_app ]" 30 ||
        jb_diag "$name: not everything arrived"
    jb_rsyslogd_stop "$RS_PID" "$name, working output"
    local audit_missing app_missing app_dup ids
    audit_missing=$(comm -23 <(seq "$EVERY" "$EVERY" "$to" | in_range "$from" "$to" | sort) \
        <(audit_seqs | sort -u) | wc -l)
    app_missing=$(comm -23 <(seq "$from" "$to" | awk -v e="$EVERY" '$1 % e != 0' | sort) <(app_seqs | sort -u) | wc -l)
    app_dup=$(($(app_seqs | in_range "$from" "$to" | wc -l) - $(app_seqs | in_range "$from" "$to" | sort -u | wc -l)))
    ids=$(grep -a -o -E 'jbridge@32473 id="[0-9a-f]+".*seq=a-[0-9]+$' "$JB_TMP/app.log" |
        sed -E 's/.*id="([0-9a-f]+)".*seq=a-([0-9]+)$/\2 \1/' | sort -u | awk '{print $1}' | uniq -d | wc -l)
    jb_diag "$name, restarted: $app_dup application records written twice (read again from the saved position)"
    jb_is "$audit_missing" 0 "$name: every audit record arrives after the restart"
    jb_is "$app_missing" 0 "$name: every application record arrives"
    jb_is "$ids" 0 "$name: a record written twice carries its first record id"
    jb_ok "$name: the restart read again what the blocked run had not acknowledged ($app_dup application duplicates)" \
        test "$app_dup" -gt 0
}

round sigterm TERM 1
round sigkill KILL $((N + 1))
jb_done
