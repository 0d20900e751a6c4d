#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Split-line defects of issue 17 on real journal files (systemd-journal-remote), read by jbridge:
# the parts of a line longer than --max-line and its remainder delivered incomplete later get
# distinct record ids; a one-shot --state run expires an unfinished line by journal time and a
# second run delivers nothing; a line still young stays pending without duplicates.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_setup "$JOURNAL_REMOTE"

T=1796300000000000
entry() { # entry USEC CONTAINER MESSAGE [PARTIAL]
    printf '__REALTIME_TIMESTAMP=%s\nMESSAGE=%s\nCONTAINER_NAME=%s\nCONTAINER_ID_FULL=%s\nPRIORITY=6\n_COMM=dockerd\n_UID=0\n_TRANSPORT=journal\n' \
        "$1" "$3" "$2" "$(printf '%064d' "$(printf %s "$2" | cksum | cut -d" " -f1)")"
    [ -n "${4:-}" ] && printf 'CONTAINER_PARTIAL_MESSAGE=true\n'
    printf '\n'
}
ids() { grep -a -o 'jbridge@32473 id="[0-9a-f]*"' "$@" | sort | uniq -d | wc -l; }

# 1. a 25-byte piece that is not the last, --max-line 10: parts 0 and 1 at once, the remainder
#    pending, a whole line of another container in between, then the remainder flushed incomplete
{
    entry $T tfe-a 0123456789abcdefghijKLMNO 1
    entry $((T + 1)) tfe-b "a whole line"
} >"$JB_TMP/cut.export"
jb_export_to_journal "$JB_TMP/cut.export" "$JB_TMP/cut"
"$JBRIDGE" -D "$JB_TMP/cut" --max-line 10 >"$JB_TMP/cut.out" 2>>"$JB_TMP/err"
jb_is "$(wc -l <"$JB_TMP/cut.out")" 4 "cut: two parts, the whole line, the remainder"
jb_is "$(ids "$JB_TMP/cut.out")" 0 "cut: the remainder delivered later has its own record id"
"$JBRIDGE" -D "$JB_TMP/cut" --max-line 10 >"$JB_TMP/cut2.out" 2>>"$JB_TMP/err"
jb_ok "cut: the same entries give the same ids" cmp "$JB_TMP/cut.out" "$JB_TMP/cut2.out"

# 2. --state: A's unterminated piece at T, B's young unterminated piece at T+9.5 s, whole lines of C
#    up to T+10 s: the first run delivers A incomplete (10 s old in journal time) and C, keeps B;
#    the second delivers nothing
{
    entry $T tfe-a "a last output without a newline" 1
    entry $((T + 1000000)) tfe-c "c line 1"
    entry $((T + 9500000)) tfe-b "b first piece," 1
    entry $((T + 9800000)) tfe-c "c line 2"
    entry $((T + 10000000)) tfe-c "c line 3"
} >"$JB_TMP/st.export"
jb_export_to_journal "$JB_TMP/st.export" "$JB_TMP/st"
S=$JB_TMP/state
"$JBRIDGE" -D "$JB_TMP/st" --state "$S" >"$JB_TMP/st1.out" 2>>"$JB_TMP/err"
"$JBRIDGE" -D "$JB_TMP/st" --state "$S" >"$JB_TMP/st2.out" 2>>"$JB_TMP/err"
jb_is "$(grep -c 'line="incomplete"' "$JB_TMP/st1.out")|$(grep -c . "$JB_TMP/st1.out")" "1|4" \
    "state: the 10 s old unterminated line is delivered incomplete, the young one is kept"
jb_is "$(wc -l <"$JB_TMP/st2.out")" 0 "state: a second run over the same journal delivers nothing"
jb_ok "state: the state keeps the last entry read" grep -q '^read=' "$S"
# the rest of B arrives, and a later line
{
    entry $((T + 10100000)) tfe-b " b last piece"
    entry $((T + 10200000)) tfe-c "c line 4"
} >"$JB_TMP/st3.export"
jb_export_to_journal "$JB_TMP/st3.export" "$JB_TMP/st"
"$JBRIDGE" -D "$JB_TMP/st" --state "$S" >"$JB_TMP/st3.out" 2>>"$JB_TMP/err"
jb_is "$(sed -E 's/.*\] //' "$JB_TMP/st3.out" | tr '\n' '|')" "b first piece, b last piece|c line 4|" \
    "state: the next run delivers only the completed line and the new one"
"$JBRIDGE" -D "$JB_TMP/st" --state "$S" >"$JB_TMP/st4.out" 2>>"$JB_TMP/err"
jb_is "$(wc -l <"$JB_TMP/st4.out")" 0 "state: and nothing after that"
jb_is "$(grep -c '^read=' "$S")" 0 "state: nothing pending, no read= line"
jb_done
