#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The command line of jbridge: --help, --version, usage errors (exit 2, the message names the
# option, nothing on stdout) and runtime errors (exit 1).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

jb_need_program "$JBRIDGE"
jb_mktemp
trap jb_cleanup EXIT

# run ARGS...: runs jbridge, sets RC, OUT (stdout file) and ERR (stderr text).
OUT=$JB_TMP/out
run() {
    RC=0
    "$JBRIDGE" "$@" >"$OUT" 2>"$JB_TMP/err" </dev/null || RC=$?
    ERR=$(cat "$JB_TMP/err")
}

# A small real journal for the runtime cases.
J=$JB_TMP/journal
jb_export_to_journal "$JB_FIXTURES/containers.export" "$J" || jb_bail_out "cannot build the test journal"

# ---- --help and --version
run --help
jb_is "$RC" 0 "--help exits 0"
missing=
for opt in -D --directory --file --namespace --container --image --match --all --marker --app-out --audit-out \
    --state --follow --tail --sd-pen --max-line --max-pending --facility-app --facility-audit --no-read-ahead \
    --help --version; do
    grep -q -e "$opt\\b" "$OUT" || missing="$missing $opt"
done
jb_is "${missing:-none}" none "--help mentions every option"
jb_is "$ERR" "" "--help writes nothing to stderr"
run -h
jb_is "$RC" 0 "-h exits 0"

run --version
jb_is "$RC" 0 "--version exits 0"
jb_ok "--version prints the name and a version" grep -Eq '^jbridge [0-9]+\.[0-9]+' "$OUT"

# ---- usage errors: exit 2, a message naming the option, nothing on stdout
usage_error() {
    local name=$1 needle=$2
    shift 2
    run "$@"
    if [ "$RC" -eq 2 ] && [ ! -s "$OUT" ] && [[ "$ERR" == *"$needle"* ]]; then
        jb_pass "usage error: $name"
    else
        jb_fail "usage error: $name"
        jb_diag "args: $*"
        jb_diag "exit $RC (expected 2), stdout $(wc -c <"$OUT") bytes, stderr: $ERR"
        jb_diag "(stderr should mention: $needle)"
    fi
}

usage_error "unknown option" "--bogus" --bogus
usage_error "unknown short option" "-Q" -Q
usage_error "--sd-pen abc" "--sd-pen" --sd-pen abc
usage_error "--sd-pen 0" "--sd-pen" --sd-pen 0
usage_error "--sd-pen too large" "--sd-pen" --sd-pen 4294967296
usage_error "--match without =" "--match" --match CONTAINER_NAME
usage_error "--match with an invalid field" "--match" --match lower=x
usage_error "--max-line 0" "--max-line" --max-line 0
usage_error "--max-line abc" "--max-line" --max-line 12abc
usage_error "--max-pending 0" "--max-pending" --max-pending 0
usage_error "--facility-app 24" "--facility-app" --facility-app 24
usage_error "--facility-audit -1" "--facility-audit" --facility-audit -1
usage_error "empty --marker" "--marker" --marker=
usage_error "--trust with an unknown key" "--trust 'user=root': unknown key" --trust user=root
usage_error "--trust with a bad uid" "--trust 'comm=dockerd,uid=x': uid must be a number" --trust comm=dockerd,uid=x
usage_error "--trust empty" "--trust" --trust=
usage_error "--untrusted bogus" "--untrusted 'ignore': expected flag or drop" --untrusted ignore
usage_error "empty --container" "--container" --container=
usage_error "empty --image" "--image" --image=
usage_error "missing argument" "--app-out" --app-out
usage_error "two sources" "--file" -D "$J" --file "$J/x.journal"
usage_error "unexpected argument" "extra" -D "$J" extra

# ---- runtime errors: exit 1 with a message
runtime_error() {
    local name=$1 needle=$2
    shift 2
    run "$@"
    if [ "$RC" -eq 1 ] && [[ "$ERR" == *"$needle"* ]]; then
        jb_pass "runtime error: $name"
    else
        jb_fail "runtime error: $name"
        jb_diag "args: $*"
        jb_diag "exit $RC (expected 1), stderr: $ERR"
        jb_diag "(stderr should mention: $needle)"
    fi
    # Every message line says something (no empty "jbridge: " line).
    if printf '%s\n' "$ERR" | grep -Eq '^jbridge: *$'; then
        jb_fail "runtime error: $name: no empty message line"
        jb_diag "stderr: $ERR"
    else
        jb_pass "runtime error: $name: no empty message line"
    fi
}

runtime_error "missing directory" "$JB_TMP/missing" -D "$JB_TMP/missing"
runtime_error "missing journal file" "$JB_TMP/missing.journal" --file "$JB_TMP/missing.journal"
runtime_error "unwritable --app-out" "$JB_TMP/no/such/dir/app.log" -D "$J" --app-out "$JB_TMP/no/such/dir/app.log"
runtime_error "unwritable --audit-out" "$JB_TMP/no/such/dir/audit.log" -D "$J" --audit-out "$JB_TMP/no/such/dir/audit.log"
runtime_error "unwritable --state" "$JB_TMP/no/such/dir/state" -D "$J" --state "$JB_TMP/no/such/dir/state" \
    --app-out "$JB_TMP/a" --audit-out "$JB_TMP/b"

# ---- a successful one-shot run exits 0 and writes to stdout by default
run -D "$J"
jb_is "$RC" 0 "one-shot read exits 0"
jb_is "$(wc -l <"$OUT")" 8 "default outputs are stdout: 8 records"

# ---- read-ahead (default) and --no-read-ahead: the same records, the same state
cp "$OUT" "$JB_TMP/ahead.out"
run -D "$J" --no-read-ahead
jb_is "$RC" 0 "--no-read-ahead exits 0"
jb_ok "--no-read-ahead writes exactly what read-ahead writes" cmp "$OUT" "$JB_TMP/ahead.out"
run -D "$J" --state "$JB_TMP/st-ahead" --app-out "$JB_TMP/a1" --audit-out "$JB_TMP/b1"
run -D "$J" --state "$JB_TMP/st-plain" --app-out "$JB_TMP/a2" --audit-out "$JB_TMP/b2" --no-read-ahead
# the same cursor and counters (the out lines name each run's own output files)
jb_ok "... and saves the same state" cmp <(grep -v '^out\.' "$JB_TMP/st-ahead") <(grep -v '^out\.' "$JB_TMP/st-plain")

jb_done
