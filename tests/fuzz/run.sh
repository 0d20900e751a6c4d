#!/bin/bash
# Run the libFuzzer targets one after the other and print, for each, the executions, the time and
# the result (a program that prints figures, not a test: make check only replays the corpora).
#
#   ./configure CC=clang --enable-fuzzing && make          # in a build directory of its own
#   tests/fuzz/run.sh BUILDDIR [RUNS] [TARGET...]          # RUNS default 10000000; targets: all
#
# Each target starts from its committed corpus (tests/fuzz/corpus/NAME) and works in a copy under
# $JB_FUZZ_WORK (default /tmp/jb-fuzz); with JB_FUZZ_UPDATE=1 the committed corpus is replaced by
# the minimized union (libFuzzer -merge=1). A finding stops the run and is left in the work
# directory (crash-*, leak-*, timeout-*); replay it with gcc: BUILD/tests/fuzz/replay-NAME FILE.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: $0 BUILDDIR [RUNS] [TARGET...]}
runs=${2:-10000000}
shift $(($# < 2 ? $# : 2))
targets=${*:-audit sd partial state cli pattern seal}
work=${JB_FUZZ_WORK:-/tmp/jb-fuzz}
status=0

max_len() {
    case $1 in
    partial) echo 20000 ;; # several 8 KiB messages: lines over max_line, many pieces
    audit) echo 16384 ;;
    pattern) echo 4096 ;;
    *) echo 4096 ;;
    esac
}

for t in $targets; do
    bin=$build/tests/fuzz/fuzz-$t
    [ -x "$bin" ] || { echo "$t: $bin not built (configure CC=clang --enable-fuzzing)"; status=1; continue; }
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
    cp -n "$top/tests/fuzz/corpus/$t/"* "$work/$t/corpus/" 2>/dev/null
    start=$(date +%s)
    "$bin" -runs="$runs" -max_len="$(max_len "$t")" -timeout=20 -print_final_stats=1 \
        -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" >"$work/$t/log" 2>&1
    rc=$?
    end=$(date +%s)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t/log" | tail -1)
    ncorp=$(ls "$work/$t/corpus" | wc -l)
    if [ "$rc" -eq 0 ]; then result="no finding"; else result="FINDING (exit $rc, see $work/$t/log)"; status=1; fi
    printf '%-8s %12s executions in %6s s (%s/s), corpus %s files: %s\n' "$t" "${execs:-?}" \
        "$((end - start))" "${rate:-?}" "$ncorp" "$result"
    if [ "$rc" -eq 0 ] && [ "${JB_FUZZ_UPDATE:-0}" = 1 ]; then
        mkdir -p "$work/$t/min"
        rm -f "$work/$t/min/"*
        "$bin" -merge=1 -max_len="$(max_len "$t")" "$work/$t/min" "$work/$t/corpus" >"$work/$t/merge.log" 2>&1 &&
            rm -rf "$top/tests/fuzz/corpus/$t" && mkdir -p "$top/tests/fuzz/corpus/$t" &&
            cp "$work/$t/min/"* "$top/tests/fuzz/corpus/$t/" &&
            echo "$t: committed corpus now $(ls "$top/tests/fuzz/corpus/$t" | wc -l) files"
    fi
done
exit $status
