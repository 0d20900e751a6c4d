#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Operations (issue 18), the command as an operator runs it:
# - stale temporary state files: only the user's own are removed (a sticky directory shared with
#   another user, jbridge run as root);
# - bundle --since/--until take journalctl's forms (yesterday, -1h, 21:55, "1h ago"...) and refuse
#   the rest with a usage error;
# - audit parameter names made unique (renamed="N"), duplicate JSON keys flagged;
# - progress on a terminal (script(1)), none when standard error is not one, and the one-line
#   summary at the end of a one-shot export, of --follow and of bundle, with the counts the
#   outputs hold.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

jb_need_program "$JBRIDGE"
jb_mktemp
trap jb_cleanup EXIT
T=$JB_TMP
J=$T/journal
jb_export_to_journal "$JB_FIXTURES/containers.export" "$J" || jb_bail_out "cannot build the test journal"

# ---- stale temporary state files in a sticky directory
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
    chmod 0755 "$T"
    S=$T/sticky
    mkdir -m 1777 "$S"
    setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c "echo theirs >'$S/s.state.tmp.0123456789abcdef'"
    echo mine >"$S/s.state.tmp.fedcba9876543210"
    "$JBRIDGE" --file="$J/x.journal" --state="$S/s.state" --app-out=/dev/null --audit-out=/dev/null 2>"$T/err"
    jb_is "$?" 0 "jbridge --state in a sticky directory, as root: exit 0"
    jb_is "$(stat -c %U "$S/s.state.tmp.0123456789abcdef" 2>&1) $(cat "$S/s.state.tmp.0123456789abcdef" 2>&1)" \
        "nobody theirs" "another user's s.state.tmp.<hex> in the sticky directory is left alone"
    [ ! -e "$S/s.state.tmp.fedcba9876543210" ]
    jb_is "$?" 0 "our own stale s.state.tmp.<hex> is removed"
else
    jb_skip "stale temporary files in a sticky directory" "needs root, setpriv and the user nobody"
    jb_skip "another user's temporary file is left alone" "needs root"
    jb_skip "our own stale temporary file is removed" "needs root"
fi

# ---- bundle --since/--until: journalctl's forms
for t in now today yesterday tomorrow -1h +5min "1h 30min ago" "2d left" 21:55 "21:55:29 UTC" @1522187729 \
    "2018-03-27" "2018-03-27 21:55" "2018-03-27T21:55:29Z"; do
    "$JBRIDGE" bundle --file="$J/x.journal" --since="$t" -o "$T/b.tar.gz" >/dev/null 2>"$T/err"
    rc=$?
    [ "$rc" = 0 ] || jb_diag "--since '$t': exit $rc: $(cat "$T/err")"
    ok=$((${ok:-0} + (rc == 0)))
done
jb_is "$ok" 14 "bundle --since takes journalctl's forms (now, today, yesterday, -1h, +5min, 1h 30min ago, 21:55...)"
"$JBRIDGE" bundle --file="$J/x.journal" --since=yesterday --until=-1h -o "$T/b.tar.gz" 2>"$T/err"
jb_is "$?" 0 "bundle --since=yesterday --until=-1h"
for t in Yesterday 5min "-1x" "Tue 2018-03-27" "2018-03-27 CET" "-60y"; do
    "$JBRIDGE" bundle --file="$J/x.journal" --since="$t" -o "$T/b.tar.gz" >/dev/null 2>"$T/err"
    rc=$?
    bad=$((${bad:-0} + (rc == 2) * $(grep -c -- "--since '$t'" "$T/err")))
done
jb_is "$bad" 6 "forms that are not taken (Yesterday, 5min, -1x, a weekday, CET, -60y): usage error naming --since"
"$JBRIDGE" bundle --file="$J/x.journal" --since=now --until=yesterday -o "$T/b.tar.gz" 2>"$T/err"
jb_is "$? $(head -n 1 "$T/err")" "2 jbridge: --until is before --since" "--until=yesterday before --since=now"

# ---- audit parameter names: unique, a mapped key never takes a genuine one's name; a key twice
# in one object is flagged
entry() { # N MESSAGE: one dockerd entry of ptfe_atlas in Journal Export Format
    printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n' \
        "$((1522188129001000 + $1))" "$((86800001000 + $1))"
    printf 'PRIORITY=6\n_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\n_PID=812\n'
    printf 'MESSAGE=%s\nCONTAINER_ID=eb47f86d0ef4\nCONTAINER_NAME=ptfe_atlas\n' "$2"
    printf 'SYSLOG_IDENTIFIER=eb47f86d0ef4\nIMAGE_NAME=hashicorp/ptfe-atlas:v201803-2\n\n'
}
req='"resource":"run","action":"apply","actor":"alice","timestamp":"t","actor_ip":"10.0.0.1"'
{
    entry 1 "2018-03-27 22:02:09 [INFO] [Audit Log] {\"resource id\":\"forged\",$req,\"resource_id\":\"run-1\"}"
    entry 2 "2018-03-27 22:02:09 [INFO] [Audit Log] {$req,\"resource_id\":\"run-2\",\"actor\":\"mallory\"}"
} >"$T/names.export"
jb_export_to_journal "$T/names.export" "$T/names" || jb_bail_out "cannot build the names journal"
"$JBRIDGE" --file="$T/names/x.journal" --app-out=/dev/null --audit-out="$T/names.audit" 2>"$T/err"
jb_is "$? $(wc -l <"$T/names.audit")" "0 2" "two audit records"
l1=$(sed -n 1p "$T/names.audit")
jb_ok "\"resource id\" and \"resource_id\": the genuine key keeps resource_id, the other is resource_id~2, renamed=\"1\"" \
    sh -c "echo '$l1' | grep -q ' renamed=\"1\"\].*\[audit@32473 resource_id~2=\"forged\" .* resource_id=\"run-1\"\]'"
l2=$(sed -n 2p "$T/names.audit")
jb_ok "a key twice in one object: audit=\"malformed\" reason=\"duplicate key\"" \
    sh -c "echo '$l2' | grep -q 'stream=\"audit\" audit=\"malformed\" reason=\"duplicate key\"\]'"

# ---- progress and summary: a terminal (script(1)) or not
if command -v script >/dev/null 2>&1; then
    M=$T/malformed
    jb_export_to_journal "$JB_FIXTURES/audit-malformed.export" "$M" || jb_bail_out "cannot build the malformed journal"
    # tty CMD...: CMD on a pseudo-terminal (stdin, stdout, stderr); what the terminal showed, \r kept
    tty() { script -qec "$(printf '%q ' "$@")" /dev/null </dev/null; }
    summary_of() { # APP AUDIT: the summary's counts as the outputs hold them
        printf 'records: app %s, audit %s; flagged %s' "$(wc -l <"$1")" "$(wc -l <"$2")" \
            "$(cat "$1" "$2" | grep -c -E 'jbridge@[0-9]+ [^]]*(audit="malformed"|line="(incomplete|overflow)")')"
    }
    tty "$JBRIDGE" --file="$M/x.journal" --app-out="$T/p-app" --audit-out="$T/p-audit" >"$T/tty.out"
    jb_is "$(grep -c $'\r\e\\[Kjbridge: [0-9]* entries read; records: app' "$T/tty.out")" 1 \
        "a one-shot export on a terminal: a progress line (rewritten in place)"
    want=$(summary_of "$T/p-app" "$T/p-audit")
    jb_is "$(grep -o 'jbridge: done: .*gaps [0-9]*' "$T/tty.out" | sed 's/^jbridge: done: [0-9]* entries read; //; s/, untrusted.*//')" \
        "$want" "...and a summary line whose counts are the outputs' ($want)"
    jb_ok "the flagged count is not zero on the malformed-audit journal" sh -c "! echo '$want' | grep -q 'flagged 0$'"
    "$JBRIDGE" --file="$M/x.journal" --app-out="$T/q-app" --audit-out="$T/q-audit" 2>"$T/err"
    jb_is "$? $(wc -c <"$T/err")" "0 0" "standard error not a terminal: no progress, no summary"
    tty "$JBRIDGE" --file="$M/x.journal" --audit-out=/dev/null >"$T/tty.out"
    jb_is "$(grep -c $'\r\e\\[K' "$T/tty.out") $(grep -c '^jbridge: done: ' "$T/tty.out")" "0 1" \
        "records to the same terminal: no progress line among them, the summary at the end"
    tty timeout -s INT 2 "$JBRIDGE" --follow --file="$J/x.journal" --app-out="$T/f-app" --audit-out="$T/f-audit" >"$T/tty.out"
    jb_ok "--follow on a terminal: a progress line that says it is following" grep -q 'gaps 0 (following)' "$T/tty.out"
    want=$(summary_of "$T/f-app" "$T/f-audit")
    jb_is "$(grep -o 'jbridge: stopped: .*gaps [0-9]*' "$T/tty.out" | sed 's/^jbridge: stopped: [0-9]* entries read; //; s/, untrusted.*//')" \
        "$want" "--follow stopped by SIGINT: the summary line ($want)"
    tty "$JBRIDGE" bundle --file="$J/x.journal" --since=@0 -o "$T/b.tar.gz" >"$T/tty.out"
    n_app=$(tar -xzOf "$T/b.tar.gz" --wildcards '*/app.log' 2>/dev/null | wc -l)
    n_audit=$(tar -xzOf "$T/b.tar.gz" --wildcards '*/audit.log' 2>/dev/null | wc -l)
    jb_ok "bundle on a terminal: its summary counts each stream (app $n_app, audit $n_audit)" \
        grep -q "jbridge bundle: wrote $T/b.tar.gz: [0-9]* entries read; records: app $n_app, audit $n_audit; " "$T/tty.out"
    "$JBRIDGE" bundle --file="$J/x.journal" --since=@0 -o "$T/b.tar.gz" 2>"$T/err"
    jb_is "$? $(wc -c <"$T/err")" "0 0" "bundle, standard error not a terminal: nothing on it"
else
    jb_skip "progress and summary on a terminal" "no script(1)"
fi

jb_done
