#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Debian's rsyslogd with imjbridge reading a central store of many hosts per host (issue 19:
# directory.perHost="on"), with real systemd-journal-remote stores: every entry once and in order
# within each host; SIGTERM while the backlog is read, then a restart from the state file after
# appends, a rotation and a new host: nothing lost, nothing repeated; 1,000 hosts with bounded
# open files and memory; rsyslogd -N1 rejects a bad value naming the parameter.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/rsyslog-lib.sh
. "$(dirname "$0")/rsyslog-lib.sh"
# shellcheck source=tests/integration/hosts-lib.sh
. "$(dirname "$0")/hosts-lib.sh"
jb_rsyslog_test
T=$JB_TMP
mkdir -p "$T/work"

# ---- the parameter
n1() { # CONF-BODY: rsyslogd -N1; sets N1_RC and N1_OUT
    {
        echo "global(workDirectory=\"$T/work\")"
        echo "module(load=\"$JB_RSYSLOG_MODULES/imjbridge.so\")"
        echo 'ruleset(name="app") { action(type="omfile" file="/dev/null") }'
        printf '%s\n' "$1"
    } >"$T/n1.conf"
    N1_RC=0
    N1_OUT=$(cd "$T/work" && "$RSYSLOGD" -N1 -f "$T/n1.conf" 2>&1) || N1_RC=$?
}
n1 "input(type=\"imjbridge\" ruleset=\"app\" directory=\"$T/none\" directory.perHost=\"maybe\")"
jb_ok "rsyslogd -N1 rejects directory.perHost=\"maybe\" naming the parameter" \
    sh -c "[ $N1_RC -ne 0 ] && [ $N1_RC -lt 128 ] && printf '%s' \"\$0\" | grep -qi 'directory.perHost'" "$N1_OUT"
n1 'input(type="imjbridge" ruleset="app" directory.perHost="on")'
jb_ok "rsyslogd -N1 rejects directory.perHost without a directory, naming it" \
    sh -c "[ $N1_RC -ne 0 ] && [ $N1_RC -lt 128 ] && printf '%s' \"\$0\" | grep -qF \"parameter 'directory.perHost'\"" "$N1_OUT"
n1 "input(type=\"imjbridge\" ruleset=\"app\" directory=\"$T/none\" directory.perHost=\"on\")"
jb_is "$N1_RC" 0 "directory.perHost=\"on\" with a directory passes -N1"

# ---- a store of 40 hosts, read, stopped while reading, restarted after changes
S=$T/store
first=()
for i in $(seq 1 40); do first+=("h$i:0:$((1000 + i * 20))"); done
hosts_store "$S" "${first[@]}" || jb_bail_out "cannot build the store"
total=$(($(printf '%s\n' "${first[@]}" | awk -F: '{s += $3} END {print s}')))
conf=$T/rs.conf
cat >"$conf" <<EOC
global(workDirectory="$T/work")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
template(name="m" type="string" string="%msg%\n")
ruleset(name="app") { action(type="omfile" file="$T/out" template="m") }
ruleset(name="audit") { stop }
input(type="imjbridge" directory="$S" directory.perHost="on" ruleset="app" audit.ruleset="audit" stateFile="h.state")
EOC
jb_rsyslogd_start rs1 "$conf"
jb_wait_for "test -s '$T/out'" 30
kill -TERM "$RS_PID"
jb_wait_pid_exit "$RS_PID" 30 || kill -KILL "$RS_PID"
jb_diag "stopped after $(wc -l <"$T/out") of $total entries"
jb_ok "the state holds a position per host" grep -q '^cursor=jbh1 remote-h[0-9]*=s=' "$T/work/h.state"
jb_rsyslogd_start rs2 "$conf"
jb_wait_for "test \$(wc -l <'$T/out') -ge $total" 60 || jb_diag "restart: $(wc -l <"$T/out") of $total lines"
jb_rsyslogd_stop "$RS_PID" "first store"
jb_ok "SIGTERM mid-way and a restart: every entry once, in order within each host" hosts_check "$T/out" "${first[@]}"

second=()
for i in $(seq 1 40); do [ "$i" = 7 ] || second+=("h$i:$((1000 + i * 20)):30"); done
hosts_store "$S" "${second[@]}" || jb_bail_out "cannot append to the store"
mv "$S/remote-h7.journal" "$S/remote-h7@0f1e2d3c4b5a69788796a5b4c3d2e1f0-0000000000000001-0005d0f0e0d0c0b0.journal"
hosts_store "$S" "h7:1140:30" "h41:0:50" || jb_bail_out "cannot write the rotated and the new host"
jb_rsyslogd_start rs3 "$conf"
jb_wait_for "test \$(wc -l <'$T/out') -ge $((total + 39 * 30 + 30 + 50))" 60 || jb_diag "$(wc -l <"$T/out") lines"
jb_rsyslogd_stop "$RS_PID" "changed store"
jb_ok "restart after appends, a rotation and a new host: every entry once, in order" \
    hosts_check "$T/out" "${first[@]}" "${second[@]}" h7:1140:30 h41:0:50

# ---- 1,000 hosts: open files and memory bounded while following
M=$T/many
mapfile -t many < <(hosts_specs m 1000 0 5)
hosts_store "$M" "${many[@]}" || jb_bail_out "cannot build the 1,000-host store"
cat >"$T/many.conf" <<EOC
global(workDirectory="$T/work")
module(load="$JB_RSYSLOG_MODULES/imjbridge.so")
template(name="m" type="string" string="%msg%\n")
ruleset(name="app") { action(type="omfile" file="$T/many.out" template="m") }
ruleset(name="audit") { stop }
input(type="imjbridge" directory="$M" directory.perHost="on" ruleset="app" audit.ruleset="audit" stateFile="m.state")
EOC
jb_rsyslogd_start many "$T/many.conf"
jb_wait_for "test \$(wc -l <'$T/many.out') -ge 5000" 60 || jb_diag "1,000 hosts: $(wc -l <"$T/many.out") lines"
fds=$(hosts_fds "$RS_PID")
rss=$(hosts_rssanon_kb "$RS_PID")
jb_diag "rsyslogd, 1,000 hosts caught up: $fds open file descriptors, RssAnon $rss KiB"
jb_ok "1,000 hosts: at most 64 host journals open ($fds descriptors <= 120)" test "$fds" -le 120
jb_ok "1,000 hosts: RssAnon $rss KiB <= 64 MiB" test "$rss" -le 65536
hosts_store "$M" m002:5:4 m999:5:4 || jb_bail_out "cannot append to the 1,000-host store"
jb_wait_for "test \$(wc -l <'$T/many.out') -ge 5008" 30 || jb_diag "1,000 hosts: $(wc -l <"$T/many.out") lines"
jb_rsyslogd_stop "$RS_PID" "1,000 hosts"
jb_ok "1,000 hosts: every entry once in order, appends included" hosts_check "$T/many.out" "${many[@]}" m002:5:4 m999:5:4
jb_is "$(grep -o ' remote-m[0-9]*=s=' "$T/work/m.state" | wc -l)" 1000 "1,000 hosts: the state holds 1,000 cursors"
jb_done
