#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A central store of many hosts read per host (issue 19: --per-host), with real
# systemd-journal-remote stores: every entry once and in order within each host; a restart with
# the state file goes on where each host stopped, also for a host whose file was rotated, a host
# whose file was vacuumed, and a host that appeared meanwhile; following picks up a new host and
# appends; a busy host does not hold back the others; 1,000 hosts with bounded open files and
# memory.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/hosts-lib.sh
. "$(dirname "$0")/hosts-lib.sh"
jb_need_program "$JBRIDGE"
jb_need_program "$JOURNAL_REMOTE"
jb_mktemp
trap jb_cleanup EXIT

S=$JB_TMP/store
first=()
for i in $(seq 1 12); do first+=("h$i:0:$((40 + i * 13))"); done
hosts_store "$S" "${first[@]}" || jb_bail_out "cannot build the store"

# ---- one run: every entry once, in order within each host
"$JBRIDGE" -D "$S" --per-host --state "$JB_TMP/st" --app-out "$JB_TMP/a1" </dev/null 2>"$JB_TMP/e1" ||
    jb_bail_out "jbridge --per-host failed: $(cat "$JB_TMP/e1")"
jb_ok "12 hosts: every entry once, in order within each host" hosts_check "$JB_TMP/a1" "${first[@]}"
jb_ok "the state holds a position per host" grep -q '^cursor=jbh1 remote-h[0-9]*=s=' "$JB_TMP/st"
jb_is "$(grep -o ' remote-h[0-9]*=s=' "$JB_TMP/st" | sort -u | wc -l)" 12 "... one cursor for each of the 12 hosts"

# ---- a restart after the store changed: appends, a rotation, a vacuum, a new host
second=()
for i in 1 2 5 6 7 8 9 10 11 12; do second+=("h$i:$((40 + i * 13)):25"); done
hosts_store "$S" "${second[@]}" || jb_bail_out "cannot append to the store"
mv "$S/remote-h3.journal" "$S/remote-h3@0f1e2d3c4b5a69788796a5b4c3d2e1f0-0000000000000001-0005d0f0e0d0c0b0.journal"
hosts_store "$S" "h3:79:25" || jb_bail_out "cannot write h3's new file" # rotated: a new file after the old
rm "$S/remote-h4.journal"
hosts_store "$S" "h4:102:25" || jb_bail_out "cannot write h4's new file" # vacuumed: 92-101 never read
hosts_store "$S" "h13:0:30" || jb_bail_out "cannot add h13"
"$JBRIDGE" -D "$S" --per-host --state "$JB_TMP/st" --app-out "$JB_TMP/a2" </dev/null 2>"$JB_TMP/e2" ||
    jb_bail_out "jbridge --per-host (restart) failed: $(cat "$JB_TMP/e2")"
jb_ok "restart: each host goes on where it stopped (appended, rotated, vacuumed, new host), nothing repeated" \
    hosts_check "$JB_TMP/a2" "${second[@]}" h3:79:25 h4:102:25 h13:0:30
all=("${first[@]/h4:0:92/}" "${second[@]}" h3:79:25 h4:102:25 h13:0:30) # h4's first file is gone
"$JBRIDGE" -D "$S" --per-host --app-out "$JB_TMP/a-all" </dev/null 2>/dev/null
jb_ok "from the head: the whole store, in order within each host" hosts_check "$JB_TMP/a-all" "${all[@]}"
"$JBRIDGE" -D "$S" --app-out "$JB_TMP/a-dir" </dev/null 2>/dev/null
noseq() { sed 's/\[meta sequenceId="[0-9]*"\]//' "$1" | sort | md5sum; } # numbers follow the reading order
jb_is "$(noseq "$JB_TMP/a-all")" "$(noseq "$JB_TMP/a-dir")" \
    "the same records as the directory read as one journal (record ids included)"

# ---- fairness: a busy host is read 4096 entries at a time, the others in between
F=$JB_TMP/fair
fair=(big1:0:20000 big2:0:20000 s1:0:5 s2:0:5 s3:0:5)
hosts_store "$F" "${fair[@]}" || jb_bail_out "cannot build the fairness store"
"$JBRIDGE" -D "$F" --per-host --app-out "$JB_TMP/af1" </dev/null 2>/dev/null
# each host's first entry comes before two quanta of the busy hosts and the small ones are out
# (read to the end first, a busy host would hold back every host after it by 20,000 lines)
late=$(awk '{h = $(NF - 1)} !(h in seen) {seen[h] = NR} END {m = 0; for (h in seen) if (seen[h] > m) m = seen[h]; print m}' "$JB_TMP/af1")
jb_ok "a busy host does not hold back the others: each host's first entry by line 8,208 (the last at $late)" \
    test "${late:-99999}" -le 8208
jb_ok "... and every entry once, in order" hosts_check "$JB_TMP/af1" "${fair[@]}"

# ---- a split line pending at a stop: the state's read= position per host, nothing twice after
P=$JB_TMP/split
piece() { # HOST K MESSAGE [FIELD=VALUE]: one entry appended to HOST's journal (K: its time slot)
    printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\n_HOSTNAME=%s\nCONTAINER_NAME=web\nCONTAINER_ID=%s\nSYSLOG_IDENTIFIER=web\nPRIORITY=6\n%sMESSAGE=%s\n\n' \
        $((1700000000000000 + $2 * 1000 + 500)) $((1000 + $2)) "$1" "$(hosts_cid "$1")" "${4:+$4$'\n'}" "$3" |
        "$JOURNAL_REMOTE" -o "$P/remote-$1.journal" - 2>/dev/null
}
hosts_store "$P" p1:0:5 p2:0:5 || jb_bail_out "cannot build the split store"
piece p1 4 "p1 " CONTAINER_PARTIAL_MESSAGE=true # the head of p1's entry 5, its tail not written yet
"$JBRIDGE" -f -D "$P" --per-host --state "$JB_TMP/sts" --app-out "$JB_TMP/as" </dev/null 2>"$JB_TMP/es" &
pid=$!
jb_on_cleanup "kill -TERM $pid 2>/dev/null"
jb_wait_for "test \$(wc -l <'$JB_TMP/as') -ge 10 && grep -q '^read=jbh1 ' '$JB_TMP/sts'" 30 ||
    jb_diag "split: $(wc -l <"$JB_TMP/as") lines, state $(head -c 300 "$JB_TMP/sts" 2>/dev/null)"
kill -TERM "$pid"
jb_wait_pid_exit "$pid" 20 || kill -KILL "$pid"
jb_ok "a split line pending at the stop: the state has a read= position per host" grep -q '^read=jbh1 ' "$JB_TMP/sts"
piece p1 5 "5" # the tail
hosts_store "$P" p1:6:2 p2:5:3 || jb_bail_out "cannot append to the split store"
"$JBRIDGE" -D "$P" --per-host --state "$JB_TMP/sts" --app-out "$JB_TMP/as" </dev/null 2>>"$JB_TMP/es"
jb_ok "... the restart delivers the line once, whole, and nothing twice" hosts_check "$JB_TMP/as" p1:0:8 p2:0:8

# ---- a turn that ends on a piece goes on to the line's last piece (JB_HOSTS_PIECES_MORE): both
# hosts' 4096th entry is the head of a split line, so the host read first ends its turn on it
Q=$JB_TMP/turn
P=$Q
hosts_store "$Q" a:0:4095 b:0:4095 || jb_bail_out "cannot build the turn store"
for h in a b; do
    piece "$h" 4095 "$h " CONTAINER_PARTIAL_MESSAGE=true
    piece "$h" 4096 "4095"
done
"$JBRIDGE" -D "$Q" --per-host --app-out "$JB_TMP/aq" </dev/null 2>/dev/null
jb_ok "a turn ending on a piece: each line is whole and follows its host's entry before it" \
    sh -c "grep -A1 ' a 4094\$' '$JB_TMP/aq' | tail -n 1 | grep -q ' a 4095\$' &&
        grep -A1 ' b 4094\$' '$JB_TMP/aq' | tail -n 1 | grep -q ' b 4095\$'"
jb_ok "... every entry once, in order" hosts_check "$JB_TMP/aq" a:0:4096 b:0:4096

# ---- the setting
"$JBRIDGE" --per-host --app-out /dev/null </dev/null 2>"$JB_TMP/e3"
jb_is "$?" 2 "--per-host without --directory is a usage error"
jb_ok "... that names the option" grep -q -- '--per-host needs --directory' "$JB_TMP/e3"

# ---- following: a new host and appends are read as they come; the state is saved on SIGTERM
"$JBRIDGE" -f -D "$S" --per-host --state "$JB_TMP/stf" --app-out "$JB_TMP/af" </dev/null 2>"$JB_TMP/ef" &
pid=$!
jb_on_cleanup "kill -TERM $pid 2>/dev/null"
n_all=$(wc -l <"$JB_TMP/a-all")
jb_wait_for "test \$(wc -l <'$JB_TMP/af') -ge $n_all" 30 || jb_diag "following: $(wc -l <"$JB_TMP/af") of $n_all lines"
hosts_store "$S" "h14:0:20" "h1:78:10" || jb_bail_out "cannot write while following"
jb_wait_for "test \$(wc -l <'$JB_TMP/af') -ge $((n_all + 30))" 30 || jb_diag "following: $(wc -l <"$JB_TMP/af") lines"
kill -TERM "$pid"
jb_wait_pid_exit "$pid" 20 || kill -KILL "$pid"
jb_ok "following: the backlog, then a new host and an append, every entry once in order" \
    hosts_check "$JB_TMP/af" "${all[@]}" h14:0:20 h1:78:10
jb_ok "following: the state names the new host" grep -q ' remote-h14=s=' "$JB_TMP/stf"

# ---- 1,000 hosts: open journals and memory bounded (at most 64 host journals open at once)
M=$JB_TMP/many
mapfile -t many < <(hosts_specs m 1000 0 5)
hosts_store "$M" "${many[@]}" || jb_bail_out "cannot build the 1,000-host store"
"$JBRIDGE" -f -D "$M" --per-host --state "$JB_TMP/stm" --app-out "$JB_TMP/am" </dev/null 2>"$JB_TMP/em" &
pid=$!
jb_on_cleanup "kill -TERM $pid 2>/dev/null"
jb_wait_for "test \$(wc -l <'$JB_TMP/am') -ge 5000" 60 || jb_diag "1,000 hosts: $(wc -l <"$JB_TMP/am") lines"
fds=$(hosts_fds "$pid")
rss=$(hosts_rssanon_kb "$pid")
jb_diag "1,000 hosts caught up: $fds open file descriptors, RssAnon $rss KiB"
jb_ok "1,000 hosts: at most 64 journals open ($fds descriptors <= 100)" test "$fds" -le 100
jb_ok "1,000 hosts: RssAnon $rss KiB <= 64 MiB" test "$rss" -le 65536
hosts_store "$M" m001:5:3 m500:5:3 m1000:5:3 || jb_bail_out "cannot append to the 1,000-host store"
jb_wait_for "test \$(wc -l <'$JB_TMP/am') -ge 5009" 30 || jb_diag "1,000 hosts: $(wc -l <"$JB_TMP/am") lines"
fds=$(hosts_fds "$pid")
kill -TERM "$pid"
jb_wait_pid_exit "$pid" 20 || kill -KILL "$pid"
jb_ok "1,000 hosts: every entry once in order, appends to closed hosts included" \
    hosts_check "$JB_TMP/am" "${many[@]}" m001:5:3 m500:5:3 m1000:5:3
jb_ok "1,000 hosts: still at most 64 journals open after the appends ($fds descriptors)" test "$fds" -le 100
jb_is "$(grep -o ' remote-m[0-9]*=s=' "$JB_TMP/stm" | wc -l)" 1000 "1,000 hosts: the state holds 1,000 cursors"
jb_done
