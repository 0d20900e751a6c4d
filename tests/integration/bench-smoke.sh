#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Smoke test of the benchmark harness (tests/bench/bench.sh), so that it cannot rot: a 2,000-entry
# journal, one run of every row that needs no network (raw reader, rsyslogd+imjournal,
# rsyslogd+imjbridge with all and with audit-only JSON properties, jbridge; the live part with a
# real journald; the memory part), and checks that the table prints and every row's output line
# counts are right. Row 3 (syslog-ng) is left
# out: it downloads Debian's syslog-ng packages. Not a timing test: no figure is checked. Then
# tests/bench/hosts.sh on stores of 1 and 10 hosts of 200 entries.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"
jb_need_program "$JBRIDGE"
jb_need_program "$JOURNAL_REMOTE"
rows="1 5"
if [ "$(id -u)" -eq 0 ] || [ -n "${CI:-}" ]; then
    jb_need_root
    jb_need_program "$RSYSLOGD"
    jb_need_program "$JB_RSYSLOG_MODULES/imjbridge.so"
    rows="1 2 4 4a 5 live mem"
fi
jb_mktemp
trap jb_cleanup EXIT

out=$JB_TMP/bench.out
if BENCH_DIR=$JB_TMP/bench BENCH_ENTRIES=2000 BENCH_RUNS=1 BENCH_LIVE_ENTRIES=2000 BENCH_ROWS="$rows" \
    RSYSLOGD=$RSYSLOGD IMJBRIDGE=$JB_RSYSLOG_MODULES/imjbridge.so \
    bash "$JB_SRCDIR/tests/bench/bench.sh" >"$out" 2>&1; then
    jb_pass "bench.sh ($rows) exits 0"
else
    jb_fail "bench.sh ($rows) exits 0"
    jb_diag "$(tail -n 30 "$out")"
fi

# row NAME TEXT: the row's line is in the table and ends with its output line counts
row() {
    local line
    line=$(grep -E "^$1 " "$out" | head -n1)
    case $line in
    *" $2") jb_pass "row '$1' printed with $2" ;;
    *)
        jb_fail "row '$1' printed with $2"
        jb_diag "got: ${line:-no such row}"
        ;;
    esac
}
jb_ok "the table's header is printed" grep -q '^row .*entries/s (min-max)' "$out"
row "1 raw: enumerate\\+cursor" "2000 entries"
row "1b raw: enumerate only" "2000 entries"
row "1r jbridge reader alone" "2000 entries"
jb_ok "the reader-alone ratios have values" grep -q "^  jbridge's reader alone: 1r/1 = [0-9]" "$out"
row "5 jbridge CLI" "1800 app + 200 audit"
jb_ok "the ratios are printed" grep -q '^ratios (entries/s): 4/2 = .* 5/1 = [0-9]' "$out"
if [ "$rows" != "1 5" ]; then
    row "2 rsyslogd\\+imjournal" "1800 app + 200 audit"
    row "4 rsyslogd\\+imjbridge" "1800 app + 200 audit"
    row "4a imjbridge json=audit" "1800 app + 200 audit"
    jb_ok "the ratios of row 4a have values" grep -q '^  row 4a: .* 4a/1 = [0-9.]* *4a/4 = [0-9]' "$out"
    jb_ok "the ratios 4/1 and 4/2 have values" grep -q '^ratios (entries/s): 4/2 = [0-9.]* .* 4/1 = [0-9]' "$out"
    jb_ok "the targets are judged" grep -q '^targets (issue 19, on the medians): 4/1 >= 0.85: \(met\|NOT met\); 5/1 >= 0.90: ' "$out"
    jb_ok "row 4's CPU is split by thread" grep -q "^  row 4 CPU s per million by thread: .*jb_read-ahead [0-9.]*.*; row 1 (raw reader) [0-9.]*$" "$out"
    jb_ok "row 4's CPU over the raw reader's is judged" grep -q "^  row 4 CPU over row 1's for the same entries: [0-9.]* <= 2: \(met\|NOT met\)" "$out"
    jb_ok "the memory part prints RssAnon at 10%, 50%, 100%" \
        grep -q '^memory, rsyslogd+imjbridge RssAnon MB.*idle [0-9.]*, backlog at 10% [0-9.]*, 50% [0-9.]*, 100% [0-9.]*' "$out"
    jb_ok "the live part delivered every entry" grep -q '^live: journald accepted 2000 entries .* delivered 2000$' "$out"
    # the latency row (tests/bench/latency.sh): every entry seen, both inputs, figures printed
    lat=$JB_TMP/latency.out
    if LAT_RATES=2000 LAT_COUNT=500 LAT_RUNS=1 RSYSLOGD=$RSYSLOGD IMJBRIDGE=$JB_RSYSLOG_MODULES/imjbridge.so \
        bash "$JB_SRCDIR/tests/bench/latency.sh" >"$lat" 2>&1; then
        jb_pass "latency.sh exits 0 (every entry reached the outputs)"
    else
        jb_fail "latency.sh exits 0 (every entry reached the outputs)"
        jb_diag "$(tail -n 20 "$lat")"
    fi
    jb_ok "latency.sh prints p50/p99/max for imjbridge" \
        grep -Eq '^imjbridge +2000 +1 +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9.]+ +[0-9.]+$' "$lat"
    jb_ok "latency.sh prints p50/p99/max for imjournal" \
        grep -Eq '^imjournal +2000 +1 +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9.]+ +[0-9.]+$' "$lat"
else
    jb_diag "not root: rows 2, 4, live and memory not run"
fi

# tests/bench/hosts.sh (issue 19: a store of many hosts), tiny: stores of 1 and 10 hosts
hrows="raw cmd-dir cmd-host"
[ "$rows" = "1 5" ] || hrows="$hrows rs-dir rs-host"
hout=$JB_TMP/hosts.out
if BENCH_DIR=$JB_TMP/bench HOSTS_ENTRIES=200 HOSTS_COUNTS="1 10" BENCH_RUNS=1 HOSTS_ROWS="$hrows" RSYSLOGD=$RSYSLOGD \
    IMJBRIDGE=$JB_RSYSLOG_MODULES/imjbridge.so bash "$JB_SRCDIR/tests/bench/hosts.sh" >"$hout" 2>&1; then
    jb_pass "hosts.sh ($hrows) exits 0 (every row's output complete)"
else
    jb_fail "hosts.sh ($hrows) exits 0 (every row's output complete)"
    jb_diag "$(tail -n 30 "$hout")"
fi
for r in $hrows; do
    jb_ok "hosts.sh prints row $r for 10 hosts and its 10/1 ratio" \
        sh -c "grep -Eq '^10 +$r +[0-9.]+ ' '$hout' && grep -Eq '^per entry, CPU $r: +10/1 hosts: [0-9.]+ ' '$hout'"
done
jb_done
