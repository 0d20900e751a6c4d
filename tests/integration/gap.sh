#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Gap detection, live: entries vacuumed before the reader reached them are reported as a gap (the
# range of sequence numbers, once, on standard error), never silently skipped; entries that a
# journal match skips but that still exist are not counted.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_live_setup "$JBRIDGE" "$JB_WRITE" -- "$@"

W() { "$JB_WRITE" --quiet "$@" || jb_bail_out "jb-write failed"; }
# seqnum [PATTERN]: the sequence number (i= of the cursor) of the entry whose MESSAGE holds PATTERN,
# or of the first entry in the journal
seqnum() {
    journalctl --no-pager -q -o export ${1:+-g "$1"} | sed -n 's/^__CURSOR=.*;i=\([0-9a-f]*\);.*/\1/p' |
        head -n 1 | { read -r h && printf '%d\n' "0x$h"; }
}
flushed() { journalctl --no-pager -q -o cat -g "$1" | grep -q .; }
S=$JB_TMP/state
run() { "$JBRIDGE" --state "$S" --app-out "$JB_TMP/app" --audit-out "$JB_TMP/audit" "$@" 2>"$JB_TMP/err"; }

# 1. no match: everything between the saved position and the first entry left is the gap
W --container tfe-gap --count 100 --prefix g
jb_wait_for "flushed 'seq=g-100$'" 10 || jb_bail_out "entries not in the journal"
run --container 'tfe-gap'
jb_is "$(grep -c 'seq=g-' "$JB_TMP/app")" 100 "first run reads 100 entries"
W --container tfe-gap --count 100 --prefix g --seq-start 101
# every entry must be in the file that the rotation closes (and the vacuum removes)
jb_wait_for "flushed 'seq=g-200$'" 10 || jb_bail_out "entries not in the journal"
journalctl --rotate >/dev/null 2>&1 || jb_bail_out "journalctl --rotate failed"
W --container tfe-gap --count 100 --prefix g --seq-start 201
jb_wait_for "flushed 'seq=g-300$'" 10 || jb_bail_out "entries not in the journal"
first=$(($(seqnum 'seq=g-100$') + 1))
journalctl --vacuum-files=1 >/dev/null 2>&1
last=$(($(seqnum) - 1)) # the gap ends before the first entry left, kept by the filter or not
jb_is "$(flushed 'seq=g-200$' && echo present || echo gone)" gone "vacuum removed entries 101-200"
: >"$JB_TMP/app"
run --container 'tfe-gap'
jb_is "$(grep -c 'gap:' "$JB_TMP/err")" 1 "one gap line on standard error"
jb_ok "it names the range $first-$last" grep -q "sequence numbers $first-$last of journal" "$JB_TMP/err"
jb_ok "and the count" grep -q ": $((last - first + 1)) entries vacuumed before they were read" "$JB_TMP/err"
jb_is "$(grep -o 'seq=g-[0-9]*' "$JB_TMP/app" | sort -u | wc -l)" 100 "entries 201-300 all arrive"
jb_is "$(grep -c -E 'seq=g-(1[0-9][0-9]|[0-9]?[0-9])$' "$JB_TMP/app")" 0 "and nothing else"
jb_diag "$(cat "$JB_TMP/err")"

# 2. with a journal match: entries the match skips but which still exist are not counted
rm -f "$S"
run --match CONTAINER_NAME=tfe-gap2 # empty: just positions at the end of nothing
W --container tfe-gap2 --count 50 --prefix h
jb_wait_for "flushed 'seq=h-50$'" 10 || jb_bail_out "entries not in the journal"
run --match CONTAINER_NAME=tfe-gap2
jb_is "$(grep -c 'seq=h-' "$JB_TMP/app")" 50 "match run reads 50 entries"
W --container tfe-gap2 --count 50 --prefix h --seq-start 51
jb_wait_for "flushed 'seq=h-100$'" 10 || jb_bail_out "entries not in the journal"
journalctl --rotate >/dev/null 2>&1
W --no-container --tag other --count 30 --prefix o
W --container tfe-gap2 --count 20 --prefix h --seq-start 101
jb_wait_for "flushed 'seq=h-120$'" 10 || jb_bail_out "entries not in the journal"
first=$(($(seqnum 'seq=h-50$') + 1))
journalctl --vacuum-files=1 >/dev/null 2>&1
last=$(($(seqnum) - 1)) # entries left that the match skips (o-*) are not in the gap
jb_ok "entries the match skips are still there" test "$last" -lt "$(seqnum 'seq=o-1$')"
: >"$JB_TMP/app"
run --match CONTAINER_NAME=tfe-gap2
jb_is "$(grep -c 'gap:' "$JB_TMP/err")" 1 "match: one gap line"
jb_ok "match: the range $first-$last stops before the entries that still exist" \
    grep -q "sequence numbers $first-$last of journal" "$JB_TMP/err"
jb_is "$(grep -c 'seq=h-' "$JB_TMP/app")" 20 "match: entries 101-120 arrive"
jb_diag "$(cat "$JB_TMP/err")"

# 3. nothing vacuumed: a restart reports no gap
W --container tfe-gap2 --count 10 --prefix h --seq-start 121
journalctl --rotate >/dev/null 2>&1
jb_wait_for "flushed 'seq=h-130$'" 10 || jb_bail_out "entries not in the journal"
: >"$JB_TMP/app"
run --match CONTAINER_NAME=tfe-gap2
jb_is "$(grep -c 'gap' "$JB_TMP/err")" 0 "no vacuum, no gap"
jb_is "$(grep -c 'seq=h-' "$JB_TMP/app")" 10 "and entries 121-130 arrive"
jb_done
