#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Reading-speed benchmark: jbridge beside a raw sd-journal reader over the same journal.
#
# Builds a journal of BENCH_ENTRIES Docker-style entries once (90% application lines of about
# 120 bytes from five containers, 10% audit lines from ptfe_atlas) with systemd-journal-remote,
# keeps it in BENCH_DIR for later runs, then runs each row BENCH_RUNS times and prints a table:
# median entries/s (min-max), CPU seconds, peak RSS and peak RssAnon, and jbridge as % of the raw
# reader. jbridge's output line counts are checked, so the figure counts work really done.
#
# Run from the build tree (or set JB_BUILDDIR):   tests/bench/bench.sh
# Environment:
#   BENCH_ENTRIES  entries in the journal (default 1000000)
#   BENCH_RUNS     runs of each row (default 3)
#   BENCH_DIR      cache of generated journals and outputs (default /var/tmp/jbridge-bench)
#   BENCH_SEED     generator seed (default 1)
#   BENCH_JOURNALCTL=1  add a `journalctl -o export` row (a tool users would pick instead; slow)
#   JBRIDGE        the jbridge binary (default $JB_BUILDDIR/jbridge)
#   JOURNAL_REMOTE systemd-journal-remote (default /lib/systemd/systemd-journal-remote)
#   CC, CFLAGS     used to build the helper programs when the build tree has none
#
# Exit status: 0 when every row ran and jbridge's outputs hold the expected line counts
# (whether or not the 60% target is met: that verdict is printed), 1 otherwise.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
JB_SRCDIR=${JB_SRCDIR:-$(cd "$here/../.." && pwd)}
JB_BUILDDIR=${JB_BUILDDIR:-$PWD}
N=${BENCH_ENTRIES:-1000000}
RUNS=${BENCH_RUNS:-3}
SEED=${BENCH_SEED:-1}
BENCH_DIR=${BENCH_DIR:-/var/tmp/jbridge-bench}
JOURNAL_REMOTE=${JOURNAL_REMOTE:-/lib/systemd/systemd-journal-remote}
JBRIDGE=${JBRIDGE:-$JB_BUILDDIR/jbridge}
TARGET_PCT=60

die() {
    echo "bench.sh: $*" >&2
    exit 1
}

[[ $N =~ ^[1-9][0-9]*$ ]] || die "BENCH_ENTRIES must be a positive number"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number"
[[ -x $JBRIDGE ]] || die "no jbridge at $JBRIDGE (run from the build tree, or set JB_BUILDDIR or JBRIDGE)"
[[ -x $JOURNAL_REMOTE ]] || die "no systemd-journal-remote at $JOURNAL_REMOTE (apt-get install systemd-journal-remote)"
mkdir -p "$BENCH_DIR"

# The helper programs: from the build tree when make built them, else compiled here once.
helper() { # NAME SOURCE [LIBS...]
    local name=$1 src=$2
    shift 2
    if [[ -x $JB_BUILDDIR/tests/bench/$name ]]; then
        echo "$JB_BUILDDIR/tests/bench/$name"
        return
    fi
    local bin=$BENCH_DIR/bin/$name
    if [[ ! -x $bin || $bin -ot $JB_SRCDIR/tests/bench/$src ]]; then
        mkdir -p "$BENCH_DIR/bin"
        ${CC:-cc} ${CFLAGS:--O2} -D_GNU_SOURCE -o "$bin" "$JB_SRCDIR/tests/bench/$src" "$@" >&2 ||
            die "cannot build $name"
    fi
    echo "$bin"
}
GEN=$(helper jb-bench-gen gen-journal.c)
RAW=$(helper jb-bench-raw raw-reader.c -lsystemd)
STAT=$(helper jb-bench-stat runstat.c)

# The journal, built once: in a temporary directory renamed when complete, so an interrupted
# build is never reused. Its name carries a checksum of the generator's first entries, so a
# changed generator builds a new journal.
fingerprint=$("$GEN" -n 1000 -s "$SEED" | cksum | cut -d' ' -f1)
journal=$BENCH_DIR/journal-n$N-s$SEED-$fingerprint
if [[ ! -d $journal ]]; then
    echo "Generating $N entries into $journal (once; reused afterwards)..."
    rm -rf "$journal.tmp"
    mkdir -p "$journal.tmp"
    "$GEN" -n "$N" -s "$SEED" | "$JOURNAL_REMOTE" -o "$journal.tmp/bench.journal" - 2>"$BENCH_DIR/journal-remote.log" ||
        die "systemd-journal-remote failed, see $BENCH_DIR/journal-remote.log"
    mv "$journal.tmp" "$journal"
fi
n_files=$(find "$journal" -name '*.journal' | wc -l)
journal_mb=$(du -sm "$journal" | cut -f1)

out=$BENCH_DIR/out
mkdir -p "$out"
expect_audit=$((N / 10))
expect_app=$((N - expect_audit))

# Warm the page cache so that no row pays for reading the files from disk.
"$RAW" --no-cursor "$journal" >/dev/null

declare -A wall user sys rss anon
failed=0

# run ROW RUN COMMAND...: one timed run, its report parsed into the arrays.
run() {
    local row=$1 i=$2
    shift 2
    local st=$out/stat
    rm -f "$st"
    if ! "$STAT" -o "$st" "$@" >"$out/stdout" 2>"$out/stderr"; then
        echo "bench.sh: row '$row' run $i failed:" >&2
        cat "$out/stderr" >&2
        failed=1
    fi
    local kv
    for kv in $(cat "$st"); do
        case $kv in
        wall=*) wall[$row]+="${kv#*=} " ;;
        user=*) user[$row]+="${kv#*=} " ;;
        sys=*) sys[$row]+="${kv#*=} " ;;
        maxrss_kb=*) rss[$row]+="${kv#*=} " ;;
        rssanon_kb=*) anon[$row]+="${kv#*=} " ;;
        esac
    done
}

check_raw() { # the raw reader saw every entry
    local got
    got=$(awk '{print $2}' "$out/stdout")
    if [[ $got != "$N" ]]; then
        echo "bench.sh: raw reader read $got entries, expected $N" >&2
        failed=1
    fi
}

check_jbridge() { # every entry became one record, on the right stream
    local app audit
    app=$(wc -l <"$out/app.log")
    audit=$(wc -l <"$out/audit.log")
    if [[ $app != "$expect_app" || $audit != "$expect_audit" ]]; then
        echo "bench.sh: jbridge wrote $app application and $audit audit lines," \
            "expected $expect_app and $expect_audit" >&2
        failed=1
    fi
    jb_app=$app
    jb_audit=$audit
}

rows=("raw: enumerate+cursor" "raw: enumerate only" "jbridge -D")
[[ ${BENCH_JOURNALCTL:-0} == 1 ]] && rows+=("journalctl -o export")

for ((i = 1; i <= RUNS; i++)); do
    run "${rows[0]}" "$i" "$RAW" "$journal"
    check_raw
    run "${rows[1]}" "$i" "$RAW" --no-cursor "$journal"
    check_raw
    rm -f "$out/app.log" "$out/audit.log"
    run "${rows[2]}" "$i" "$JBRIDGE" -D "$journal" --app-out "$out/app.log" --audit-out "$out/audit.log"
    check_jbridge
    rm -f "$out/app.log" "$out/audit.log"
    if [[ ${BENCH_JOURNALCTL:-0} == 1 ]]; then
        run "${rows[3]}" "$i" sh -c 'journalctl -D "$1" -o export >/dev/null' sh "$journal"
    fi
done

# stats "v1 v2 ...": median min max
stats() {
    tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1}
        END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR]}'
}
# rates "w1 w2 ...": entries/s of each wall time
rates() {
    local w r=""
    for w in $1; do r+="$(awk -v n="$N" -v w="$w" 'BEGIN {printf "%.0f", (w > 0 ? n / w : 0)}') "; done
    echo "$r"
}
# cpu ROW: user+sys of each run
cpu() {
    paste -d' ' <(tr ' ' '\n' <<<"${user[$1]}" | grep .) <(tr ' ' '\n' <<<"${sys[$1]}" | grep .) |
        awk '{printf "%.3f ", $1 + $2}'
}

echo
echo "jbridge reading benchmark: $N entries ($expect_app application, $expect_audit audit), $n_files journal" \
    "files, $journal_mb MB"
echo "$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
    "libsystemd $(pkg-config --modversion libsystemd 2>/dev/null || echo '?'), $RUNS runs per row (median, min-max)"
echo
printf '%-24s %26s %10s %12s %12s\n' "row" "entries/s (min-max)" "CPU s" "max RSS MB" "RssAnon MB"
declare -A median
for row in "${rows[@]}"; do
    read -r rm rmin rmax <<<"$(stats "$(rates "${wall[$row]}")")"
    read -r cm _ _ <<<"$(stats "$(cpu "$row")")"
    read -r mm _ _ <<<"$(stats "${rss[$row]}")"
    read -r am _ _ <<<"$(stats "${anon[$row]}")"
    median[$row]=$rm
    printf '%-24s %26s %10.2f %12.0f %12.1f\n' "$row" "$(printf '%.0f (%.0f-%.0f)' "$rm" "$rmin" "$rmax")" "$cm" \
        "$(awk -v k="$mm" 'BEGIN {print k / 1024}')" "$(awk -v k="$am" 'BEGIN {print k / 1024}')"
done
echo
echo "max RSS counts the mmapped journal files; RssAnon (sampled every 10 ms) is the reader's own memory."
echo "jbridge wrote ${jb_app:-?} application and ${jb_audit:-?} audit lines per run (expected $expect_app and $expect_audit)."

pct=$(awk -v a="${median[jbridge -D]}" -v b="${median[raw: enumerate+cursor]}" 'BEGIN {printf "%.1f", (b > 0 ? 100 * a / b : 0)}')
pct2=$(awk -v a="${median[jbridge -D]}" -v b="${median[raw: enumerate only]}" 'BEGIN {printf "%.1f", (b > 0 ? 100 * a / b : 0)}')
verdict=$(awk -v p="$pct" -v t="$TARGET_PCT" 'BEGIN {print (p + 0 >= t + 0 ? "met" : "NOT met")}')
[[ $failed == 0 ]] || verdict="no verdict, the counts are wrong"
echo "jbridge: $pct% of the raw reader with cursor ($pct2% of enumerate only); target >= $TARGET_PCT%: $verdict"
[[ $failed == 0 ]] || die "some runs failed or produced wrong counts: the figures above are not valid"
