#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# jbridge over more entries than it handles between two state saves (10,000): a one-shot run
# delivers every entry, and a run with --state over a journal that grew in between delivers
# exactly the new entries, each once. Journals are made with systemd-journal-remote.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

jb_need_program "$JBRIDGE"
jb_need_program "$JOURNAL_REMOTE"
jb_mktemp
trap jb_cleanup EXIT

# gen FIRST COUNT: Docker-style entries with sequence numbers FIRST.., every tenth an audit line.
gen() {
    awk -v first="$1" -v n="$2" 'BEGIN {
        for (i = first; i < first + n; i++) {
            printf "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n", 1522187729000000 + i, 1000 + i
            printf "_HOSTNAME=tfe-host\n_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\nCONTAINER_NAME=ptfe_atlas\nCONTAINER_ID=eb47f86d0ef4\nIMAGE_NAME=hashicorp/ptfe-atlas\nPRIORITY=6\n"
            if (i % 10 == 0)
                printf "MESSAGE=2018-03-27 21:55:29 [INFO] [Audit Log] {\"resource\":\"workspace\",\"action\":\"update\",\"resource_id\":\"ws-%d\",\"actor\":\"u\",\"timestamp\":\"2018-03-27T21:55:29Z\",\"actor_ip\":\"10.0.0.1\"}\n\n", i
            else
                printf "MESSAGE=app line seq=%d\n\n", i
        }
    }'
}

J=$JB_TMP/j
gen 0 25000 >"$JB_TMP/a.export"
jb_export_to_journal "$JB_TMP/a.export" "$J" || jb_bail_out "cannot build the journal"

"$JBRIDGE" -D "$J" --app-out "$JB_TMP/app1" --audit-out "$JB_TMP/audit1"
jb_is "$?" 0 "one-shot over 25,000 entries exits 0"
jb_is "$(wc -l <"$JB_TMP/app1")" 22500 "one-shot: every application entry delivered"
jb_is "$(wc -l <"$JB_TMP/audit1")" 2500 "one-shot: every audit entry delivered"

S=$JB_TMP/state
"$JBRIDGE" -D "$J" --state "$S" --app-out "$JB_TMP/app2" --audit-out "$JB_TMP/audit2"
jb_is "$?" 0 "first run with --state exits 0"
jb_is "$(stat -c %a "$S")" 600 "the state file has mode 0600"

gen 25000 12345 >"$JB_TMP/b.export"
jb_export_to_journal "$JB_TMP/b.export" "$J" || jb_bail_out "cannot extend the journal"
"$JBRIDGE" -D "$J" --state "$S" --app-out "$JB_TMP/app2" --audit-out "$JB_TMP/audit2"
jb_is "$?" 0 "second run with --state exits 0"
"$JBRIDGE" -D "$J" --state "$S" --app-out "$JB_TMP/app2" --audit-out "$JB_TMP/audit2"
jb_is "$?" 0 "third run (nothing new) exits 0"

total=$(cat "$JB_TMP/app2" "$JB_TMP/audit2" | wc -l)
jb_is "$total" 37345 "runs with --state: every entry delivered"
seqs=$(grep -ohE 'seq=[0-9]+$|:"ws-[0-9]+"' "$JB_TMP/app2" "$JB_TMP/audit2" | sort)
jb_is "$(printf '%s\n' "$seqs" | sort -u | wc -l)" 37345 "runs with --state: every sequence number present"
dups=$(printf '%s\n' "$seqs" | uniq -d | wc -l)
jb_is "$dups" 0 "runs with --state: no entry delivered twice"
ids=$(cat "$JB_TMP/app2" "$JB_TMP/audit2" | grep -oE 'jbridge@32473 id="[0-9a-f]{16}"' | sort -u | wc -l)
jb_is "$ids" 37345 "every record has its own record id"
jb_is "$(grep -c ' audit \[container@32473 ' "$JB_TMP/audit2")" 3735 "audit entries in the audit output, as audit"
jb_is "$(grep -c ' app \[container@32473 ' "$JB_TMP/app2")" 33610 "application entries in the application output"

jb_done
