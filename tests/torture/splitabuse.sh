#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Torture: split-line abuse. A container emits endless partial pieces without a last piece, and
# pieces of many interleaved partial ids. `jbridge --follow` with --max-line 64 KiB and
# --max-pending 8 (a bound of 512 KiB): its heap (RssAnon) stays under the bound plus a fixed
# margin, and the gathered text is delivered, flagged overflow / incomplete. Lines: 40 of 1 MiB and
# 400 interleaved by 50 (CI); 10x with TORTURE_FULL=1.

. "$(dirname "$0")/lib.sh"
jb_live_setup "$JBRIDGE" "$JB_WRITE" -- "$@"

F=$(jb_count 1 10)
ENDLESS=$((40 * F))
INTER=$((400 * F))
MAXLINE=65536
MAXPEND=8
O=$JB_TMP/out
# From the head, not --tail: the journal is this test's own, and with --tail a reader slower to
# position itself than the writers are to start would skip their first entries.
"$JBRIDGE" --follow --container 'tfe-*' --max-line $MAXLINE --max-pending $MAXPEND --app-out "$O" \
    --audit-out "$O" 2>"$JB_TMP/err" &
CLI=$!
jb_on_cleanup "kill -TERM $CLI 2>/dev/null"
jb_wait_for "test -e '$O'" 10
base=$(rss_anon $CLI)
peak=$base
sample() { local v; v=$(rss_anon $CLI); [ "$v" -gt "$peak" ] && peak=$v; true; }

t0=$(date +%s)
# endless: 1 MiB lines whose last piece never comes
"$JB_WRITE" --quiet --container tfe-abuse --count $ENDLESS --prefix e --split 1048576 --no-last &
W1=$!
# many ids: 50 lines at a time, pieces interleaved, none ends
"$JB_WRITE" --quiet --container tfe-abuse2 --count $INTER --prefix i --split 65536 --interleave 50 --no-last &
W2=$!
while kill -0 $W1 2>/dev/null || kill -0 $W2 2>/dev/null; do sample; sleep 0.2; done # sampling
wait $W1 $W2
have() { LC_ALL=C grep -a -o -E "seq=$1-[0-9]+" "$O" | sort -u | wc -l; }
jb_wait_for "sample; [ \$(have e) -ge $ENDLESS ] && [ \$(have i) -ge $INTER ]" 120 ||
    jb_diag "delivered: endless $(have e)/$ENDLESS, interleaved $(have i)/$INTER"
# the last lines wait for the 5 s expiry
jb_wait_for "sample; [ \$(have i) -ge $INTER ]" 30
sample
kill -TERM $CLI
jb_wait_pid_exit $CLI 30
overflow=$(LC_ALL=C grep -a -c 'line="overflow"' "$O")
incomplete=$(LC_ALL=C grep -a -c 'line="incomplete"' "$O")
bound_kb=$((MAXLINE * MAXPEND / 1024))
jb_figure lines "$ENDLESS endless (1 MiB, no last piece), $INTER interleaved by 50 (64 KiB, no last piece)"
jb_figure rss_anon_kB "start $base, peak $peak (bound $bound_kb kB + margin 16384 kB)"
jb_figure records "overflow $overflow, incomplete $incomplete"
jb_figure seconds "$(($(date +%s) - t0))"
jb_is "$JB_EXIT_STATUS" 0 "jbridge exits 0"
jb_is "$(have e)" "$ENDLESS" "every endless line's text is delivered"
jb_is "$(have i)" "$INTER" "every interleaved line's text is delivered"
jb_ok "overflow pieces are flagged ($overflow)" test "$overflow" -gt 0
jb_ok "lines without their last piece are flagged incomplete ($incomplete)" test "$incomplete" -ge "$INTER"
jb_ok "heap bounded: peak RssAnon $peak kB < start $base kB + $bound_kb kB + 16 MiB" \
    test "$peak" -lt $((base + bound_kb + 16384))
jb_done
