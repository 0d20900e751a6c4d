#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Failures are loud (issue 18): every journal file the source cannot open is named on stderr, a
# source with nothing readable at all is an error (exit 1, as journalctl), and the paths written
# (the state file, a bundle's archive) are checked before anything is read, each error naming its
# path. Run as a user would: a user without access (setpriv to nobody), real files.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_setup "$JBRIDGE" "$JOURNAL_REMOTE"
T=$JB_TMP
chmod 0755 "$T"
jb_export_to_journal "$JB_FIXTURES/containers.export" "$T/j" || jb_bail_out "cannot build the journal"
n_all=$("$JBRIDGE" -D "$T/j" </dev/null 2>/dev/null | wc -l)

# run NAME ARGS...: the command with stdout in $T/NAME.out, stderr in $T/NAME.err, status in RC
run() {
    local name=$1
    shift
    RC=0
    "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null || RC=$?
}
# says NAME TEXT: stderr of NAME holds TEXT (fixed string)
says() { grep -qF -- "$2" "$T/$1.err"; }

# a user who may not read the files (readable directory, 0600 files)
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    mkdir "$T/private"
    cp "$T/j/x.journal" "$T/private/x.journal"
    chmod 0755 "$T/private"
    chmod 0600 "$T/private/x.journal"
    setpriv --reuid=nobody --regid=nogroup --clear-groups ls "$T/private" >/dev/null 2>&1 ||
        jb_bail_out "nobody cannot reach $T/private (TMPDIR's parents must be searchable)"
    run perm setpriv --reuid=nobody --regid=nogroup --clear-groups "$JBRIDGE" -D "$T/private"
    jb_is "$RC" 1 "unreadable files (0600, another user): exit 1"
    jb_ok "unreadable files: the file is named with the reason" says perm "$T/private/x.journal: Permission denied"
    jb_is "$(wc -l <"$T/perm.out")" 0 "unreadable files: no output"
else
    jb_skip "unreadable files (0600, another user)" "needs root and setpriv"
    jb_skip "unreadable files: the file is named with the reason" "needs root and setpriv"
    jb_skip "unreadable files: no output" "needs root and setpriv"
fi

mkdir "$T/empty"
run empty "$JBRIDGE" -D "$T/empty"
jb_is "$RC" 1 "an empty directory: exit 1"
jb_ok "an empty directory: named" says empty "no journal files in directory $T/empty"
run missing "$JBRIDGE" -D "$T/nosuch"
jb_ok "a missing directory: exit 1, named" test "$RC" -eq 1 -a -n "$(grep -F "$T/nosuch" "$T/missing.err")"

# a truncated file alone, then beside a good one: named, and the good one is read
mkdir "$T/trunc" "$T/mixed"
head -c 3000 "$T/j/x.journal" >"$T/trunc/x.journal"
run trunc "$JBRIDGE" -D "$T/trunc"
jb_is "$RC" 1 "a truncated file alone: exit 1"
jb_ok "a truncated file alone: named" says trunc "$T/trunc/x.journal: truncated"
cp "$T/j/x.journal" "$T/mixed/a.journal"
cp "$T/trunc/x.journal" "$T/mixed/b.journal"
run mixed "$JBRIDGE" -D "$T/mixed"
jb_is "$RC" 0 "a truncated file beside a good one: exit 0"
jb_ok "a truncated file beside a good one: a warning names it" says mixed "warning: cannot open journal file $T/mixed/b.journal"
jb_is "$(wc -l <"$T/mixed.out")" "$n_all" "a truncated file beside a good one: the good one is read whole"

run ns "$JBRIDGE" --namespace jbtestnosuchns
jb_ok "--namespace nosuchns: exit 1, named" test "$RC" -eq 1 -a -n "$(grep -F 'namespace jbtestnosuchns' "$T/ns.err")"
run ns-empty "$JBRIDGE" --namespace ""
jb_ok "--namespace \"\": usage error naming it" test "$RC" -eq 2 -a -n "$(grep -F -- '--namespace' "$T/ns-empty.err")"
run dir-empty "$JBRIDGE" -D ""
jb_ok "-D \"\": usage error naming it" test "$RC" -eq 2 -a -n "$(grep -F -- '--directory' "$T/dir-empty.err")"

# paths checked before reading: nothing is written, the path is named
run state "$JBRIDGE" -D "$T/j" --state /nonexistent/dir/s
jb_is "$RC $(wc -l <"$T/state.out")" "1 0" "--state in a missing directory: exit 1 before reading (no output)"
jb_ok "--state in a missing directory: named" says state "state file /nonexistent/dir/s"
run state-dir "$JBRIDGE" -D "$T/j" --state "$T/j"
jb_is "$RC $(wc -l <"$T/state-dir.out")" "1 0" "--state naming a directory: exit 1 before reading"
jb_ok "--state naming a directory: named" says state-dir "state file $T/j is a directory"
mkdir "$T/bdir"
run bundle-dir "$JBRIDGE" bundle -D "$T/j" --since @0 -o "$T/bdir"
jb_is "$RC" 1 "bundle -o DIR: exit 1"
jb_ok "bundle -o DIR: the archive's path is named, no temporary file" sh -c "grep -qF 'archive $T/bdir is a directory' '$T/bundle-dir.err' && ! grep -q 'XXXXXX\|$T/bdir\.' '$T/bundle-dir.err'"
jb_is "$(find "$T" -maxdepth 1 -name 'bdir.*' | wc -l)" 0 "bundle -o DIR: no temporary archive left"
run app-dir "$JBRIDGE" -D "$T/j" --app-out "$T/bdir"
jb_ok "--app-out DIR: exit 1 naming it" test "$RC" -eq 1 -a -n "$(grep -F "$T/bdir" "$T/app-dir.err")"
jb_done
