#!/bin/bash
# The whole test suite: installs what it needs, builds, and runs
#   1. make check in build/ (cmocka unit tests, integration tests on real journal files and a real
#      journald, the CLI), every test point counted;
#   2. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/);
#   3. a clang build with -Werror (build-clang/), and the tests that run the read-ahead thread
#      under ThreadSanitizer (build-tsan/);
#   4. the clang-format check of src/, plugin/ and tests/.
# Ends with the line "N passed, N failed, N skipped". Run as root (the live tests start journald in
# a private mount namespace).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

pass=0 fail=0 skip=0
note() { printf '%s\n' "$*"; }
check() { # name, command...: one test point
    local name=$1; shift
    if "$@" >"$top/build/$name.out" 2>&1; then
        pass=$((pass + 1)); note "PASS: $name"
    else
        fail=$((fail + 1)); note "FAIL: $name (log: build/$name.out)"; tail -n 30 "$top/build/$name.out"
    fi
}
# Count the test points that the automake TAP driver recorded in DIR's .trs files.
count_trs() {
    local dir=$1 p f s
    p=$(find "$dir/tests" -name '*.trs' -exec grep -h '^:test-result: PASS' {} + 2>/dev/null | wc -l)
    f=$(find "$dir/tests" -name '*.trs' -exec grep -hE '^:test-result: (FAIL|ERROR|XPASS)' {} + 2>/dev/null | wc -l)
    s=$(find "$dir/tests" -name '*.trs' -exec grep -hE '^:test-result: (SKIP|XFAIL)' {} + 2>/dev/null | wc -l)
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    note "$dir: $p passed, $f failed, $s skipped"
}

if ! tests/setup.sh; then
    note "setup failed"
    echo "0 passed, 1 failed"
    exit 1
fi

# make_check DIR [make arguments]: run make check in DIR from a clean slate and count its test
# points; when the tests could not even start (a build failure), that counts as a failure, so a
# broken build can never pass as "0 failed".
make_check() {
    local dir=$1 f; shift
    find "$dir/tests" \( -name '*.trs' -o -name '*.log' \) -delete 2>/dev/null
    rm -f "$dir/test-suite.log"
    (cd "$dir" && make -j"$(nproc)" check "$@") >"$dir/make-check.out" 2>&1
    if [ ! -f "$dir/test-suite.log" ]; then
        fail=$((fail + 1))
        note "FAIL: make check in $dir did not run the tests (log: $dir/make-check.out)"
        grep -E 'error|Error' "$dir/make-check.out" | head -n 20
    fi
    for f in $(find "$dir/tests" -name '*.log' ! -name test-suite.log); do
        grep -qE '^(not ok|Bail out)' "$f" && { note "--- $f"; grep -E '^(not ok|Bail out|#)' "$f" | head -40; }
    done
    count_trs "$dir"
}

# 1. everything, in the main build
make_check build

# 2. unit tests under ASan + UBSan (the build is a test point of its own, so a failed build counts)
mkdir -p build-asan
unit_tests=$(make -s --no-print-directory -C "$top/build" print-unit-tests)
check asan-build sh -c "cd '$top/build-asan' && { [ -f Makefile ] || '$top/configure' --enable-werror --enable-sanitizers CFLAGS='-O1 -g' >/dev/null; } && make -j$(nproc) && make -j$(nproc) $unit_tests"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 make_check build-asan TESTS="$unit_tests"

# 3. clang, warnings as errors
mkdir -p build-clang
check clang-build sh -c "cd '$top/build-clang' && { [ -f Makefile ] || '$top/configure' CC=clang --enable-werror >/dev/null; } && make -j$(nproc)"

# 3b. the read-ahead thread (src/readahead.c) under ThreadSanitizer: the unit tests that compare
# every record and checkpoint with and without it, the command one-shot (cli.sh) and following a
# live journald across restarts and rotation (live.sh)
mkdir -p build-tsan
tsan_tests="tests/unit/test_allocfail tests/integration/cli.sh tests/integration/live.sh"
check tsan-build sh -c "cd '$top/build-tsan' && { [ -f Makefile ] || '$top/configure' CC=clang CFLAGS='-O1 -g -fsanitize=thread' LDFLAGS='-fsanitize=thread' >/dev/null; } && make -j$(nproc) && make -j$(nproc) tests/unit/test_allocfail"
TSAN_OPTIONS="halt_on_error=1 abort_on_error=1" make_check build-tsan TESTS="$tsan_tests"

# ---- release checks: the Debian package and make distcheck ----
# tests/integration/package.sh installs a package system-wide, so it is not part of make check:
# its TAP points are counted here (a script that stops early, or bails out, counts as a failure).
tap_step() { # name, command...: a TAP script, each of its points counted
    local name=$1 out=$top/build/$1.out p f s n plan; shift
    "$@" >"$out" 2>&1
    p=$(grep -Ec '^ok [0-9]+' "$out"); s=$(grep -Ec '^ok [0-9]+.*# *SKIP' "$out"); p=$((p - s))
    f=$(grep -Ec '^not ok [0-9]+' "$out")
    plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
    n=$((p + s + f))
    if grep -q '^Bail out!' "$out" || [ -z "$plan" ] || { [ "$plan" -ne "$n" ] && [ "$plan" -ne 0 ]; }; then
        f=$((f + 1))
    fi
    grep -q '^1\.\.0 # *SKIP' "$out" && s=$((s + 1))
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    note "$name: $p passed, $f failed, $s skipped (log: build/$name.out)"
    [ "$f" -eq 0 ] || grep -E '^(not ok|Bail out|#)' "$out" | head -n 40
}
tap_step package env JB_SRCDIR="$top" JB_BUILDDIR="$top/build" bash tests/integration/package.sh
# the release tarball builds and passes make check out of tree, installs under its own prefix,
# and holds every file git tracks
check distcheck sh -c "cd '$top/build' && make -j$(nproc) distcheck && '$top/tests/tools/check-dist.sh' jbridge-*.tar.gz"
# ---- end of release checks ----

# 4. formatting, and the house rules of doc/HACKING.md (file and function sizes)
check house tests/tools/check-house.sh "$top"
check clang-format sh -c "cd '$top' && clang-format --dry-run -Werror \$(git ls-files 'src/*.[ch]' 'plugin/*.[ch]' 'tests/*.[ch]' 2>/dev/null || ls src/*.[ch])"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
