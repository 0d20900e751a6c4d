#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Torture (issue 16): both streams sealed, rsyslogd with imjbridge stopped with SIGTERM 20 times
# and killed with SIGKILL 10 times (every third stop a kill) while a writer emits Docker-style
# entries into a real journald; the epoch moves every 300 sealed records (so restarts and crashes
# fall before, during and after epoch moves), heartbeats every second. The counts are the issue's,
# in make check as with TORTURE_FULL=1.
# Checked: no entry lost; `jbridge verify` accepts both output files (exit 0: every record
# verifies, no chain break, no restart); the records written twice after a kill are counted by
# the verifier as duplicates, as many as the files hold; one chain per stream; the key file
# moved on.

. "$(dirname "$0")/lib.sh"
torture_setup "$@"
# shellcheck source=tests/integration/seal-lib.sh
. "$JB_SRCDIR/tests/integration/seal-lib.sh"
jb_need_program "$JBRIDGE"

TERMS=20
KILLS=10
RATE=1000
K=5 # every 5th line is an audit record
A=$JB_TMP/app.log
B=$JB_TMP/audit.log
SEAL_VERIFY_KEY=$JB_TMP/verify.key
"$JBRIDGE" keygen --seal-key "$JB_TMP/seal.key" >"$SEAL_VERIFY_KEY" || jb_bail_out "jbridge keygen failed"
jb_imjbridge_conf "$JB_TMP/rsyslog.conf" "$A" "$B" "containers=[\"tfe-*\"] persistStateInterval=\"100\"
    seal.keyFile=\"$JB_TMP/seal.key\" seal.streams=\"app,audit\" seal.epochRecords=\"300\" seal.heartbeat=\"1\""
jb_ok "the sealed config loads (rsyslogd -N1)" "$RSYSLOGD" -N1 -f "$JB_TMP/rsyslog.conf"

t0=$(date +%s)
writer_start z "$RATE" "$K"
clean=0 kills=0
for i in $(seq 1 $((TERMS + KILLS))); do
    wait_growth "$A" "stop $i"
    sleep "$(printf "0.%03d" $((RANDOM % 300)))" # anywhere in a batch, an ack or an epoch move
    if [ $((i % 3)) -eq 0 ]; then
        rs_kill
        kills=$((kills + 1))
    else
        rs_stop && clean=$((clean + 1))
    fi
    rs_start "$JB_TMP/rsyslog.conf"
done
writer_stop
journal_seqs z >"$JB_TMP/expected"
total=$(wc -l <"$JB_TMP/expected")
got() { { seqs_app "$A" z; seqs_audit "$B" z; } | sort -u | wc -l; }
jb_wait_for "[ \$(got) -ge $total ]" 180 || jb_diag "only $(got) of $total arrived"
rs_stop && clean=$((clean + 1))
t1=$(date +%s)

{ seqs_app "$A" z; seqs_audit "$B" z; } | sort -n >"$JB_TMP/got"
lost=$(count_missing "$JB_TMP/expected" "$JB_TMP/got")
dup=$(count_extra_copies "$JB_TMP/got")
epoch=$(sed -n 's/^epoch=//p' "$JB_TMP/seal.key")
"$JBRIDGE" verify --verify-key "$SEAL_VERIFY_KEY" --json "$A" "$B" >"$JB_TMP/verify.json" 2>"$JB_TMP/verify.err"
vrc=$?
# the verifier's own counts: chains, records, duplicates (doc/sealing.md, What jbridge verify reports)
# A SIGKILL can tear the line omfile was writing (its buffer does not end at a line): the verifier
# names such a line (not-rfc5424, glued to the first line written after the restart, which is a
# copy of a record written before the kill) and exits 1. Every chain must still verify whole.
read -r chains vrecords vdups chains_ok torn others <<<"$(python3 - "$JB_TMP/verify.json" <<'PY' 2>>"$JB_TMP/verify.err"
import json, sys
r = json.load(open(sys.argv[1]))
chains = r["chains"]
errs = r.get("errors", [])
torn = sum(1 for e in errs if e.get("kind") == "not-rfc5424")
ok = int(all(c.get("ok") for c in chains) and not r.get("restarts"))
print(len(chains), sum(c.get("records", 0) for c in chains), sum(c.get("duplicates", 0) for c in chains), ok,
      torn, len(errs) - torn)
PY
)"
jb_figure sigterms "$TERMS ($clean clean exits)"
jb_figure sigkills "$kills"
jb_figure entries_written "$total ($RATE/s)"
jb_figure lost "$lost"
jb_figure duplicated "$dup (records written twice after kills)"
jb_figure verify "exit $vrc; chains ${chains:-?}, records ${vrecords:-?}, duplicates ${vdups:-?}"
jb_figure key_epoch "${epoch:-?}"
jb_figure seconds "$((t1 - t0))"
jb_is "$clean" "$((TERMS + 1))" "rsyslogd exited 0 on every SIGTERM"
jb_is "$lost" 0 "no entry lost over $TERMS SIGTERMs and $KILLS SIGKILLs"
jb_figure torn_lines "${torn:-?} (lines omfile left torn at a kill)"
jb_is "${chains_ok:-?}" 1 "jbridge verify: every chain verifies whole (nothing missing, altered, forked), no restart"
jb_ok "the only other failures are lines torn by a kill, at most one per kill (${torn:-?})" \
    test "${others:-1}" -eq 0 -a "${torn:-99}" -le "$kills"
[ "${chains_ok:-0}" = 1 ] || jb_diag "$(head -c 3000 "$JB_TMP/verify.json") $(cat "$JB_TMP/verify.err")"
[ "$vrc" -eq 0 ] || [ "${torn:-0}" -gt 0 ] || jb_fail "jbridge verify exits $vrc without a torn line"
jb_is "${chains:-?}" 2 "one chain per stream (no restart)"
jb_is "${vrecords:-?}" "$total" "the verifier counts every record once"
# a torn line swallows the copy written after it: the verifier sees one duplicate less per torn line
jb_is "${vdups:-?}" "$((dup - ${torn:-0}))" "the records written twice count as duplicates ($dup, less ${torn:-0} torn)"
jb_ok "the epoch moved on ($epoch)" test "${epoch:-0}" -ge 3
jb_done
