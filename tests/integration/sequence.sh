#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Per-stream sequence numbers ([meta sequenceId="N"]) with the jbridge command on real journal
# files: each stream counts 1, 2, 3...; the counters are saved with the state, so a run that
# resumes goes on where the last one stopped; a run resumed from an older state (a crash after
# records were delivered but before the state was saved) numbers the records it delivers again
# exactly as the first time, with the same record ids; a state file of an earlier version (no seq
# lines) still loads and the counters start again at 1.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_need_program "$JBRIDGE"
jb_need_program "$JOURNAL_REMOTE"
jb_mktemp
trap jb_cleanup EXIT
T=$JB_TMP

# 28 entries of several fixtures, in two halves
for f in containers audit-values audit-nested wrapped audit-malformed; do
    cat "$JB_FIXTURES/$f.export"
    echo
done | awk -v RS= -v ORS='\n\n' '{ print }' >"$T/all.export"
total=$(awk -v RS= 'END { print NR }' "$T/all.export")
half=$((total / 2))
awk -v RS= -v ORS='\n\n' -v h=$half 'NR <= h' "$T/all.export" >"$T/first.export"
awk -v RS= -v ORS='\n\n' -v h=$half 'NR > h' "$T/all.export" >"$T/second.export"
jb_export_to_journal "$T/all.export" "$T/full" || jb_bail_out "cannot build the journal"
jb_export_to_journal "$T/first.export" "$T/inc" || jb_bail_out "cannot build the journal"

jbr() { # OUT-PREFIX ARGS...: one run, appending to OUT.app / OUT.audit
    local o=$1
    shift
    "$JBRIDGE" "$@" --app-out "$o.app" --audit-out "$o.audit" 2>>"$T/err" || jb_diag "jbridge $* failed: $(cat "$T/err")"
}
seqs() { LC_ALL=C grep -a -o -E '\[meta sequenceId="[0-9]+"\]$|\[meta sequenceId="[0-9]+"\] ' "$1" | tr -dc '0-9\n'; }
no_ids() { sed -E 's/(\[jbridge@[0-9]+ id=")[0-9a-f]{16}"/\1ID"/' "$1"; }

jbr "$T/full" --file "$T/full/x.journal"
n_app=$(wc -l <"$T/full.app")
n_audit=$(wc -l <"$T/full.audit")
jb_ok "both streams have records ($n_app app, $n_audit audit)" test "$n_app" -gt 3 -a "$n_audit" -gt 3
jb_is "$(seqs "$T/full.app" | tr '\n' ' ')" "$(seq 1 "$n_app" | tr '\n' ' ')" "application records are numbered 1..$n_app in order"
jb_is "$(seqs "$T/full.audit" | tr '\n' ' ')" "$(seq 1 "$n_audit" | tr '\n' ' ')" "audit records are numbered 1..$n_audit in order"

# two runs with a state file, the journal growing in between: the same numbers as one run
jbr "$T/inc" --file "$T/inc/x.journal" --state "$T/state"
cp "$T/state" "$T/state.first"
app1=$(wc -l <"$T/inc.app")
audit1=$(wc -l <"$T/inc.audit")
jb_ok "the state file holds both counters" grep -q -x "seq.app=$app1" "$T/state"
jb_ok "the state file holds the audit counter" grep -q -x "seq.audit=$audit1" "$T/state"
jb_export_to_journal "$T/second.export" "$T/inc" || jb_bail_out "cannot append to the journal"
jbr "$T/inc" --file "$T/inc/x.journal" --state "$T/state"
jb_is "$(no_ids "$T/inc.app" | md5sum)" "$(no_ids "$T/full.app" | md5sum)" \
    "application: two runs with a state give the records and numbers of one run"
jb_is "$(no_ids "$T/inc.audit" | md5sum)" "$(no_ids "$T/full.audit" | md5sum)" \
    "audit: two runs with a state give the records and numbers of one run"

# a crash before the second run's state was saved: the second run again from the first state
cp "$T/state.first" "$T/state"
jbr "$T/replay" --file "$T/inc/x.journal" --state "$T/state"
jb_is "$(md5sum <"$T/replay.audit")" "$(tail -n +$((audit1 + 1)) "$T/inc.audit" | md5sum)" \
    "audit records delivered again carry the same sequenceId and record id"
jb_is "$(md5sum <"$T/replay.app")" "$(tail -n +$((app1 + 1)) "$T/inc.app" | md5sum)" \
    "application records delivered again carry the same sequenceId and record id"

# a state file of an earlier version: only the cursor
head -n 2 "$T/state.first" >"$T/state"
: >"$T/err"
jbr "$T/old" --file "$T/inc/x.journal" --state "$T/state"
jb_is "$(cat "$T/err")" "" "a state file without seq lines loads without a warning"
jb_is "$(seqs "$T/old.audit" | head -n 1)" 1 "... and the counters start again at 1"
jb_is "$(wc -l <"$T/old.audit")" "$((n_audit - audit1))" "... after the saved cursor"
jb_done
