#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The command's outputs cut back to the lengths its state recorded (src/outfile.h), on a small real
# journal: what a crash left after the save (a record written again, half a record) is removed at
# the next start; each case that cannot be cut (an older state, a file replaced or shortened,
# standard output) is said once on stderr and the file is left alone; both outputs one file
# share one writer. The SIGKILL and full file system runs are tests/torture/exactonce.sh.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

jb_need_program "$JBRIDGE"
jb_mktemp
trap jb_cleanup EXIT

J=$JB_TMP/journal
jb_export_to_journal "$JB_FIXTURES/containers.export" "$J" || jb_bail_out "cannot build the test journal"
A=$JB_TMP/app.log
B=$JB_TMP/audit.log
S=$JB_TMP/state
ERR=$JB_TMP/err
run() {
    RC=0
    "$JBRIDGE" -D "$J" --state "$S" "$@" 2>"$ERR" </dev/null || RC=$?
}
# out_line STREAM: "LENGTH DEV INO" the state holds for the stream's output
out_line() { sed -n "s/^out\\.$1=//p" "$S"; }
ident() { stat -c '%d %i' "$1"; }

run --app-out "$A" --audit-out "$B"
jb_is "$RC" 0 "a first run exits 0"
cp "$A" "$JB_TMP/a0"
cp "$B" "$JB_TMP/b0"
jb_ok "it wrote application and audit records" test -s "$A" -a -s "$B"
jb_is "$(out_line app)" "$(stat -c %s "$A") $(ident "$A")" "the state records the application output's length and identity"
jb_is "$(out_line audit)" "$(stat -c %s "$B") $(ident "$B")" "... and the audit output's"

# what a kill after the save leaves: a record written again and half of the next one
tail -n 1 "$A" >>"$A"
printf '<14>1 2018-03-27T21:55:29Z half a rec' >>"$A"
tail -n 1 "$B" >>"$B"
run --app-out "$A" --audit-out "$B"
jb_is "$RC" 0 "the run after the crash exits 0"
jb_ok "the application output is cut back to what the state recorded" cmp "$A" "$JB_TMP/a0"
jb_ok "... and the audit output" cmp "$B" "$JB_TMP/b0"
jb_is "$(cat "$ERR")" "" "cutting back says nothing"

# an older state (no out lines): read, not cut this time, cut again from the next save on
grep -v '^out\.' "$S" >"$S.old" && mv "$S.old" "$S"
echo "after the old save" >>"$A"
run --app-out "$A" --audit-out "$B"
jb_is "$RC" 0 "a state without output lengths loads"
jb_is "$(grep -c "$A has no length in the state file: not cut back at this start" "$ERR")" 1 \
    "... says once that it does not cut the output"
jb_is "$(wc -l <"$ERR")" 2 "... one warning for each output, nothing else"
jb_is "$(tail -n 1 "$A")" "after the old save" "... and leaves the file as it is"
jb_is "$(out_line app)" "$(stat -c %s "$A") $(ident "$A")" "... and records its length for the next start"
echo "torn" >>"$A"
run --app-out "$A" --audit-out "$B"
jb_is "$(tail -n 1 "$A")" "after the old save" "the next start cuts it back again"
jb_is "$(cat "$ERR")" "" "... silently"

# a file replaced, a file cut shorter by someone else: left alone, said once
mv "$A" "$A.rotated"
echo "someone else's line" >"$A"
run --app-out "$A" --audit-out "$B"
jb_is "$(grep -c "$A is not the file the state file recorded" "$ERR")" 1 "a replaced output: said once"
jb_is "$(cat "$A")" "someone else's line" "... and not cut"
truncate -s 5 "$B"
run --app-out "$A" --audit-out "$B"
jb_is "$(grep -c "$B is shorter than the state file recorded" "$ERR")" 1 "a shortened output: said once"
jb_is "$(stat -c %s "$B")" 5 "... and not cut"

# standard output cannot be cut: said once, records still written
rm -f "$S"
RC=0
"$JBRIDGE" -D "$J" --state "$S" --audit-out "$B" 2>"$ERR" >"$JB_TMP/stdout" </dev/null || RC=$?
jb_is "$RC" 0 "--state with standard output exits 0"
jb_is "$(grep -c -- "- is not a regular file: never cut back" "$ERR")" 1 "standard output: said once"
jb_ok "... records go there" cmp "$JB_TMP/stdout" "$JB_TMP/a0"
jb_is "$(out_line app)" "" "... and the state records no length for it"

# both outputs one file: one writer, every line whole, both out lines the same
rm -f "$S"
C=$JB_TMP/both.log
run --app-out "$C" --audit-out "$C"
jb_is "$RC" 0 "both outputs to one file exits 0"
jb_is "$(sort "$C" | md5sum)" "$(sort "$JB_TMP/a0" "$JB_TMP/b0" | md5sum)" "... every record once, whole"
jb_is "$(out_line app)" "$(out_line audit)" "... one length for both streams"
jb_is "$(out_line app)" "$(stat -c %s "$C") $(ident "$C")" "... the file's"
cp "$C" "$JB_TMP/c0"
tail -n 2 "$C" >>"$C"
run --app-out "$C" --audit-out "$C"
jb_ok "... cut back once after a crash" cmp "$C" "$JB_TMP/c0"
jb_done
