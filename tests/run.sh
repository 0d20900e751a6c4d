#!/bin/bash
# The whole test suite: installs what it needs, builds, and runs
#   1. make check in build/ (cmocka unit tests, integration tests on real journal files and a real
#      journald, the CLI), every test point counted;
#   2. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/);
#   3. a clang build with -Werror (build-clang/);
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

# 1. everything, in the main build
(cd build && make -j"$(nproc)" check >/dev/null 2>&1)
for f in $(find build/tests -name '*.log' ! -name test-suite.log); do
    grep -qE '^(not ok|Bail out)' "$f" && { note "--- $f"; grep -E '^(not ok|Bail out|#)' "$f" | head -40; }
done
count_trs build

# 2. unit tests under ASan + UBSan (the build is a test point of its own, so a failed build counts)
mkdir -p build-asan
unit_tests=$(grep -o 'tests/unit/test_[a-z0-9_]*' Makefile.am | sort -u | tr '\n' ' ')
check asan-build sh -c "cd '$top/build-asan' && { [ -f Makefile ] || '$top/configure' --enable-werror --enable-sanitizers CFLAGS='-O1 -g' >/dev/null; } && make -j$(nproc) && make -j$(nproc) $unit_tests"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    make -j"$(nproc)" check TESTS="$unit_tests" >/dev/null 2>&1) || true
count_trs build-asan

# 3. clang, warnings as errors
mkdir -p build-clang
check clang-build sh -c "cd '$top/build-clang' && { [ -f Makefile ] || '$top/configure' CC=clang --enable-werror >/dev/null; } && make -j$(nproc)"

# 4. formatting
check clang-format sh -c "cd '$top' && clang-format --dry-run -Werror \$(git ls-files 'src/*.[ch]' 'plugin/*.[ch]' 'tests/*.[ch]' 2>/dev/null || ls src/*.[ch])"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
