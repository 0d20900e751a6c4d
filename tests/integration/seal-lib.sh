# SPDX-License-Identifier: Apache-2.0
# Helpers of the sealing tests (sourced after lib.sh): jbridge verify as test points, and the
# tampering a test applies to a sealed file. SEAL_VERIFY_KEY: the verification key file.

# seal_records FILE STREAM: the number of records of STREAM in FILE (heartbeat and stop lines,
# APP-NAME jbridge, aside).
seal_records() { grep -av ' jbridge - ' "$1" 2>/dev/null | grep -ac " $2 \["; }

# seal_verify_ok WHAT FILE...: jbridge verify exits 0 on the files.
seal_verify_ok() {
    local what=$1 out rc=0
    shift
    out=$("$JBRIDGE" verify --verify-key "$SEAL_VERIFY_KEY" "$@" 2>&1) || rc=$?
    if [ "$rc" -eq 0 ]; then jb_pass "$what: jbridge verify exits 0"; else
        jb_fail "$what: jbridge verify exits 0 (exit $rc)"
        jb_diag "$(printf '%s\n' "$out" | head -n 40)"
    fi
}

# seal_verify_catches WHAT PATTERN [--at TIME] FILE...: jbridge verify exits 1 and its report
# matches PATTERN (an extended regular expression).
seal_verify_catches() {
    local what=$1 pat=$2 out rc=0
    shift 2
    out=$("$JBRIDGE" verify --verify-key "$SEAL_VERIFY_KEY" "$@" 2>&1) || rc=$?
    if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -qE -- "$pat"; then jb_pass "$what: caught ($pat)"; else
        jb_fail "$what: jbridge verify exits 1 naming it ($pat); exit $rc"
        jb_diag "$(printf '%s\n' "$out" | head -n 40)"
    fi
}

# seal_tamper FILE STREAM OUTPREFIX: the tampered copies of a sealed FILE, each changing one record
# of STREAM (the 5th and 6th; heartbeat lines are left alone): OUTPREFIX.delete (the 5th deleted),
# .value (a byte of an SD value changed), .msg (a byte of the message changed), .insert (a forged
# line, the 5th with another action and text, inserted after it), .swap (5th and 6th swapped).
seal_tamper() {
    local f=$1 st=$2 o=$3 l5 l6
    l5=$(grep -an " $st \[" "$f" | grep -av ' jbridge - ' | sed -n 5p | cut -d: -f1)
    l6=$(grep -an " $st \[" "$f" | grep -av ' jbridge - ' | sed -n 6p | cut -d: -f1)
    [ -n "$l5" ] && [ -n "$l6" ] || return 1
    sed "${l5}d" "$f" >"$o.delete"
    # the record id's first hex digit, in jbridge@: a value every record has
    sed -E "${l5}s/(\[jbridge@[0-9]+ id=\")[0-9a-f]/\1g/" "$f" >"$o.value"
    awk -v n="$l5" 'NR == n { c = substr($0, length($0), 1); $0 = substr($0, 1, length($0) - 1) (c == "x" ? "y" : "x") } { print }' \
        "$f" >"$o.msg"
    {
        head -n "$l5" "$f"
        sed -n "${l5}p" "$f" | sed -E 's/action="[a-z]*"/action="destroy"/; s/ ([^ ]*)$/ forged-\1/'
        tail -n +"$((l5 + 1))" "$f"
    } >"$o.insert"
    awk -v a="$l5" -v b="$l6" 'NR == FNR { if (FNR == a) la = $0; if (FNR == b) lb = $0; next }
        FNR == a { print lb; next } FNR == b { print la; next } { print }' "$f" "$f" >"$o.swap"
    cmp -s "$f" "$o.value" && return 1
    return 0
}
