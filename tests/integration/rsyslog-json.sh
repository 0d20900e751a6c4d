#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# imjbridge's JSON properties with Debian's rsyslogd: $!container!name|id|image, $!jbridge!stream
# and $!jbridge!id of every record equal the container@ / jbridge@ structured data the same record
# carries, over 150 containers (more than the 64 whose strings the module shares between
# messages, so shared strings are replaced while messages holding them are still queued), and a
# ruleset that changes $!container!name with `set` changes it only in its own messages (a shared
# string is never modified in place). jsonProperties="audit" and "off" leave the properties out of
# application messages (and audit messages) and nothing else.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"

jb_rsyslog_test
mkdir -p "$JB_TMP/work"
J=$JB_TMP/j

# 150 containers, 4 entries each, interleaved; every 4th entry of a container is an audit line
containers=150
awk -v n="$containers" 'BEGIN {
    e = 0
    for (round = 0; round < 4; round++)
        for (c = 0; c < n; c++) {
            id = sprintf("%012x", 1000003 * (c + 1))
            printf "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n", 1522187729000000 + e, 86400000000 + e
            printf "_HOSTNAME=h\nPRIORITY=6\n_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\nCONTAINER_NAME=svc-%d\nCONTAINER_ID=%s\n", c, id
            printf "CONTAINER_ID_FULL=%s%052d\nIMAGE_NAME=registry/img-%d:v%d\n", id, 0, c % 7, c % 3
            if (round == 3)
                printf "MESSAGE=[Audit Log] {\"resource\":\"ws\",\"action\":\"a%d\"}\n\n", c
            else
                printf "MESSAGE=line %d of svc-%d\n\n", round, c
            e++
        }
}' >"$JB_TMP/many.export"
jb_export_to_journal "$JB_TMP/many.export" "$J" || jb_bail_out "cannot build the journal"
want=$((containers * 4))

cat >"$JB_TMP/rsyslog.conf" <<EOC
global(workDirectory="$JB_TMP/work")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
template(name="t" type="string"
         string="%\$!container!name%|%\$!container!id%|%\$!container!image%|%\$!jbridge!stream%|%\$!jbridge!id%|%STRUCTURED-DATA%\n")
ruleset(name="app" queue.type="LinkedList") { action(type="omfile" file="$JB_TMP/app.log" template="t") }
ruleset(name="audit" queue.type="LinkedList") {
    set \$!container!name = "changed";
    action(type="omfile" file="$JB_TMP/audit.log" template="t")
}
input(type="imjbridge" directory="$J" ruleset="app" audit.ruleset="audit" audit.containers=["svc-*"])
EOC
jb_ok "the configuration loads (rsyslogd -N1)" "$RSYSLOGD" -N1 -f "$JB_TMP/rsyslog.conf"
jb_rsyslogd_start rs "$JB_TMP/rsyslog.conf"
jb_wait_for "[ \$(cat $JB_TMP/app.log $JB_TMP/audit.log 2>/dev/null | wc -l) -ge $want ]" 60 ||
    jb_diag "not every record arrived in 60 s"
jb_rsyslogd_stop "$RS_PID" "JSON properties over $containers containers"
jb_is "$(wc -l <"$JB_TMP/app.log" | tr -d ' ')" $((containers * 3)) "every application record"
jb_is "$(wc -l <"$JB_TMP/audit.log" | tr -d ' ')" "$containers" "every audit record"

# JSON field N against the SD parameter of the same line. Prints the lines that differ.
check() { # FILE NAME_OVERRIDE
    awk -F'|' -v over="$2" '
        function sd(name,   r) {
            if (match($6, "[ \\[]" name "=\"[^\"]*\"")) { r = substr($6, RSTART, RLENGTH); sub(/^[ \[][^=]*="/, "", r); sub(/"$/, "", r); return r }
            return "?"
        }
        {
            name = over != "" ? over : sd("name")
            if ($1 != name || $2 != sd("id") || $3 != sd("image")) { print; next }
            if (match($6, /\[jbridge@32473 id="[0-9a-f]+"/) == 0) { print; next }
            id = substr($6, RSTART + 19, RLENGTH - 20)
            if ($5 != id) { print; next }
            if (($4 == "audit") != (index($6, "[audit@32473") > 0)) { print; next }
        }' "$1"
}
bad=$(check "$JB_TMP/app.log" "" | head -n 3)
jb_is "${bad:-none}" none "application records: \$!container!* and \$!jbridge!id equal their SD, \$!jbridge!stream app"
bad=$(check "$JB_TMP/audit.log" changed | head -n 3)
jb_is "${bad:-none}" none "audit records: their own \$!container!name changed by set, the rest equal their SD"
jb_is "$(cut -d'|' -f1 "$JB_TMP/app.log" | grep -c '^svc-[0-9]*$')" $((containers * 3)) \
    "no application record sees the name the audit ruleset set"
jb_is "$(cut -d'|' -f1 "$JB_TMP/app.log" | sort -u | wc -l | tr -d ' ')" "$containers" "$containers distinct names"

# jsonProperties="audit": only audit messages get JSON properties; "off": none. The structured
# data is the same in every mode, and no record is lost.
for mode in audit off; do
    rm -rf "$JB_TMP/work" "$JB_TMP/app.log" "$JB_TMP/audit.log"
    mkdir -p "$JB_TMP/work"
    sed -e 's/^input(type="imjbridge" /input(type="imjbridge" jsonProperties="'"$mode"'" /' \
        -e 's/^    set .*$//' "$JB_TMP/rsyslog.conf" >"$JB_TMP/rsyslog-$mode.conf"
    jb_ok "jsonProperties=\"$mode\": the configuration loads" "$RSYSLOGD" -N1 -f "$JB_TMP/rsyslog-$mode.conf"
    jb_rsyslogd_start rs "$JB_TMP/rsyslog-$mode.conf"
    jb_wait_for "[ \$(cat $JB_TMP/app.log $JB_TMP/audit.log 2>/dev/null | wc -l) -ge $want ]" 60 ||
        jb_diag "not every record arrived in 60 s"
    jb_rsyslogd_stop "$RS_PID" "jsonProperties=$mode"
    jb_is "$(cat "$JB_TMP/app.log" "$JB_TMP/audit.log" | wc -l | tr -d ' ')" "$want" "jsonProperties=$mode: every record"
    jb_is "$(grep -vc '^||||[^|]*|\[container@32473 name="svc-' "$JB_TMP/app.log")" 0 \
        "jsonProperties=$mode: application records have no JSON properties, their SD is whole"
    if [ "$mode" = audit ]; then
        bad=$(check "$JB_TMP/audit.log" "" | head -n 3)
        jb_is "${bad:-none}" none "jsonProperties=audit: audit records have every JSON property, equal to their SD"
    else
        jb_is "$(grep -vc '^||||[^|]*|\[container@32473 .*\[audit@32473 ' "$JB_TMP/audit.log")" 0 \
            "jsonProperties=off: audit records have no JSON properties, their SD is whole"
    fi
done
jb_done
