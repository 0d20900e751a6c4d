#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# A central store of many hosts (issue 19): systemd-journal-remote stores of 1, 100 and 1,000
# hosts holding the same HOSTS_ENTRIES Docker-style entries in all (tests/bench/gen-journal.c, a
# seed per host, one remote-HOST.journal per host), read in the same run by
#   raw       a raw sd-journal reader over the directory (tests/bench/raw-reader.c:
#             sd_journal_open_directory, every field, the cursor);
#   cmd-dir   jbridge -D STORE, the directory read as one journal, to two files;
#   cmd-host  jbridge -D STORE --per-host: each host's files a journal of its own, read in turn;
#   rs-dir    rsyslogd + imjbridge directory="STORE", the two streams to two files;
#   rs-host   rsyslogd + imjbridge directory="STORE" directory.perHost="on";
# each BENCH_RUNS times, rows and stores interleaved within a run. The host is shared: the
# figure is CPU seconds per million entries (user + sys of the whole process, every thread), with
# the wall time beside it. Printed per store and row: median CPU s per million (min-max), median
# wall s per million, peak RssAnon, peak open file descriptors; then the ratio 100-host/1-host
# (and 1,000/1) of the medians per row, rsyslogd's RssAnon over rsyslogd + imjbridge idle (on an
# empty directory) and the issue's targets. Output line counts are checked on every run.
# BENCH_CALLGRIND=1 adds instruction counts (valgrind --tool=callgrind) of jbridge -D in both
# modes on the 1- and 100-host stores: exact where CPU seconds on a shared host are not.
#
# Run from the build tree (or set JB_BUILDDIR):   tests/bench/hosts.sh
# Environment:
#   HOSTS_ENTRIES  entries in each store (default 200000; a multiple of every host count)
#   HOSTS_COUNTS   host counts of the stores (default "1 100 1000"; the ratios need 1 and 100)
#   HOSTS_ROWS     rows (default "raw cmd-dir cmd-host rs-dir rs-host")
#   BENCH_RUNS     runs (default 3)
#   BENCH_DIR      cache of the stores (default /var/tmp/jbridge-bench; the 1,000-host store takes
#                  8 GiB: journal-remote's files start at 8 MiB)
#   BENCH_SEED, JBRIDGE, IMJBRIDGE, RSYSLOGD, JOURNAL_REMOTE, CC, CFLAGS: as tests/bench/bench.sh
# Exit status: 0 when every row ran and every output held the expected line count (whether or
# not the targets are met: that verdict is printed), 1 otherwise.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
JB_SRCDIR=${JB_SRCDIR:-$(cd "$here/../.." && pwd)}
JB_BUILDDIR=${JB_BUILDDIR:-$PWD}
N=${HOSTS_ENTRIES:-200000}
COUNTS=${HOSTS_COUNTS:-1 100 1000}
ROWS=${HOSTS_ROWS:-raw cmd-dir cmd-host rs-dir rs-host}
RUNS=${BENCH_RUNS:-3}
SEED=${BENCH_SEED:-1}
BENCH_DIR=${BENCH_DIR:-/var/tmp/jbridge-bench}
JOURNAL_REMOTE=${JOURNAL_REMOTE:-/lib/systemd/systemd-journal-remote}
JBRIDGE=${JBRIDGE:-$JB_BUILDDIR/jbridge}
IMJBRIDGE=${IMJBRIDGE:-$JB_BUILDDIR/.libs/imjbridge.so}
RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}

die() {
    echo "hosts.sh: $*" >&2
    exit 1
}
[[ $N =~ ^[1-9][0-9]*$ ]] || die "HOSTS_ENTRIES must be a positive number"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number"
for h in $COUNTS; do
    [[ $h =~ ^[1-9][0-9]*$ && $((N % h)) -eq 0 ]] || die "host count '$h' must divide HOSTS_ENTRIES ($N)"
done
for r in $ROWS; do [[ $r =~ ^(raw|cmd-dir|cmd-host|rs-dir|rs-host)$ ]] || die "unknown row '$r'"; done
[[ -x $JBRIDGE ]] || die "no jbridge at $JBRIDGE (run from the build tree, or set JB_BUILDDIR or JBRIDGE)"
[[ -x $JOURNAL_REMOTE ]] || die "no systemd-journal-remote at $JOURNAL_REMOTE"
[[ " $ROWS " != *" rs-"* ]] || [[ -x $RSYSLOGD && -f $IMJBRIDGE ]] || die "no rsyslogd or imjbridge.so"
BENCH_DIR=$(mkdir -p "$BENCH_DIR" && cd "$BENCH_DIR" && pwd)
# A directory read as one journal keeps every file open: 1,000 hosts need more than 1,024.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# shellcheck source=tests/bench/helper.sh
. "$here/helper.sh"
GEN=$(helper jb-bench-gen tests/bench/gen-journal.c)
RAW=$(helper jb-bench-raw tests/bench/raw-reader.c -lsystemd)
STAT=$(helper jb-bench-stat tests/bench/runstat.c)
DSTAT=$(helper jb-bench-daemonstat tests/bench/daemonstat.c)

# store H: the store of H hosts (N/H entries each), built once into a temporary directory renamed
# when complete; the name carries a checksum of the generator's first entries.
fingerprint=$("$GEN" -n 1000 -s "$SEED" | cksum | cut -d' ' -f1)
store() {
    local h=$1 per=$((N / $1)) d
    d=$BENCH_DIR/hosts-$h-n$N-s$SEED-$fingerprint
    if [[ ! -d $d ]]; then
        echo "Generating a store of $h hosts x $per entries into $d (once)..." >&2
        rm -rf "$d.tmp.$$"
        mkdir -p "$d.tmp.$$"
        seq 1 "$h" | xargs -P 2 -I{} sh -c 'i={}; "$1" -n "$2" -s $(($3 * 1000000 + i)) |
            "$4" -o "$5/remote-host$(printf %04d "$i").journal" - 2>>"$5.log"' sh \
            "$GEN" "$per" "$SEED" "$JOURNAL_REMOTE" "$d.tmp.$$" || die "systemd-journal-remote failed ($d.tmp.$$.log)"
        rm -f "$d.tmp.$$.log"
        mv -T "$d.tmp.$$" "$d" 2>/dev/null || rm -rf "$d.tmp.$$"
    fi
    echo "$d"
}
declare -A dir
for h in $COUNTS; do dir[$h]=$(store "$h"); done

out=$(mktemp -d "$BENCH_DIR/hosts-out.XXXXXX")
trap 'rm -rf "$out"' EXIT
timeout=$((60 + N / 2000))
declare -A cpu wall anon fds
failed=0

rs_conf() { # DIR STORE [PARAMETERS]
    mkdir -p "$1/work"
    cat >"$1/rsyslog.conf" <<EOC
global(workDirectory="$1/work")
module(load="$IMJBRIDGE")
ruleset(name="app") { action(type="omfile" file="$1/app.log" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="audit") { action(type="omfile" file="$1/audit.log" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" directory="$2" ruleset="app" audit.ruleset="audit" persistStateInterval="10000" ${3:-})
EOC
}

# record KEY: the report $out/stat into the arrays (CPU and wall per million entries)
record() {
    local kv u=0 s=0 w=0 a=0 f=0
    for kv in $(cat "$out/stat"); do
        case $kv in
        wall=*) w=${kv#*=} ;;
        user=*) u=${kv#*=} ;;
        sys=*) s=${kv#*=} ;;
        rssanon_kb=*) a=${kv#*=} ;;
        fds=*) f=${kv#*=} ;;
        esac
    done
    cpu[$1]+="$(awk -v u="$u" -v s="$s" -v n="$N" 'BEGIN {printf "%.3f", (u + s) * 1e6 / n}') "
    wall[$1]+="$(awk -v w="$w" -v n="$N" 'BEGIN {printf "%.3f", w * 1e6 / n}') "
    anon[$1]+="$a "
    fds[$1]+="$f "
}

# lines_ok KEY FILE...: the files hold N lines in all
lines_ok() {
    local key=$1 got
    shift
    got=$(cat "$@" 2>/dev/null | wc -l)
    [[ $got -eq $N ]] || {
        echo "hosts.sh: $key: $got lines, expected $N" >&2
        failed=1
    }
}

one() { # H ROW RUN
    local h=$1 row=$2 key="$1/$2" d=${dir[$1]} w=$out/$2
    rm -rf "$w"
    mkdir -p "$w"
    rm -f "$out/stat"
    case $row in
    raw)
        "$STAT" -o "$out/stat" "$RAW" "$d" >"$w/stdout" 2>"$w/stderr" || failed=1
        grep -q "^entries $N " "$w/stdout" || {
            echo "hosts.sh: $key: $(cat "$w/stdout" "$w/stderr")" >&2
            failed=1
        }
        ;;
    cmd-dir | cmd-host)
        local o=()
        [[ $row == cmd-dir ]] || o=(--per-host)
        "$STAT" -o "$out/stat" "$JBRIDGE" -D "$d" "${o[@]}" --app-out "$w/app.log" --audit-out "$w/audit.log" \
            2>"$w/stderr" || {
            echo "hosts.sh: $key: $(cat "$w/stderr")" >&2
            failed=1
        }
        lines_ok "$key" "$w/app.log" "$w/audit.log"
        ;;
    rs-dir | rs-host)
        local p=
        [[ $row == rs-dir ]] || p='directory.perHost="on"'
        rs_conf "$w" "$d" "$p"
        "$DSTAT" -o "$out/stat" -n "$N" -t "$timeout" -f "$w/app.log" -f "$w/audit.log" -- \
            "$RSYSLOGD" -n -f "$w/rsyslog.conf" -i "$w/pid" >"$w/log" 2>&1 || {
            echo "hosts.sh: $key: $(cat "$out/stat" 2>/dev/null) $(tail -n 3 "$w/log")" >&2
            failed=1
        }
        lines_ok "$key" "$w/app.log" "$w/audit.log"
        ;;
    esac
    [[ -f $out/stat ]] && record "$key"
    rm -rf "$w"
}

for ((i = 1; i <= RUNS; i++)); do
    echo "run $i of $RUNS..." >&2
    for h in $COUNTS; do for row in $ROWS; do one "$h" "$row" "$i"; done; done
done

# rsyslogd + imjbridge idle on an empty directory: what the store's figures are compared with
idle=
if [[ " $ROWS " == *" rs-"* ]]; then
    mkdir -p "$out/idle/empty"
    rs_conf "$out/idle" "$out/idle/empty"
    "$DSTAT" -o "$out/stat" -I 3 -- "$RSYSLOGD" -n -f "$out/idle/rsyslog.conf" -i "$out/idle/pid" >"$out/idle/log" 2>&1 || failed=1
    idle=$(sed -n 's/.*rssanon_kb=\([0-9]*\).*/\1/p' "$out/stat")
fi

stats() { # "v1 v2 ...": median min max
    tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1}
        END {if (!NR) {print "0 0 0"; exit} m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR]}'
}
med() { stats "$1" | cut -d' ' -f1; }

echo
echo "A central store of many hosts: $N entries per store, $RUNS runs, $(nproc) CPUs, $(date -u +%Y-%m-%d)"
printf '%-6s %-9s %22s %14s %14s %13s %8s\n' hosts row "CPU s/M entries" "wall s/M" "entries/s" "RssAnon MiB" "fds"
for h in $COUNTS; do
    for row in $ROWS; do
        k="$h/$row"
        [[ -n ${cpu[$k]:-} ]] || continue
        read -r cm cl ch <<<"$(stats "${cpu[$k]}")"
        wm=$(med "${wall[$k]}")
        printf '%-6s %-9s %8.2f (%.2f-%.2f) %14.2f %14.0f %13.1f %8d\n' "$h" "$row" "$cm" "$cl" "$ch" "$wm" \
            "$(awk -v w="$wm" 'BEGIN {print (w > 0 ? 1e6 / w : 0)}')" \
            "$(awk -v a="$(stats "${anon[$k]}" | cut -d' ' -f3)" 'BEGIN {print a / 1024}')" \
            "$(stats "${fds[$k]}" | cut -d' ' -f3)"
    done
done
ratio() { # ROW H: CPU and wall of H hosts over 1 host
    local a=${cpu[$2/$1]:-} b=${cpu[1/$1]:-}
    [[ -n $a && -n $b ]] || return 0
    awk -v a="$(med "$a")" -v b="$(med "$b")" -v wa="$(med "${wall[$2/$1]}")" -v wb="$(med "${wall[1/$1]}")" \
        'BEGIN {printf "%.2f (wall %.2f)", (b > 0 ? a / b : 0), (wb > 0 ? wa / wb : 0)}'
}
echo
for row in $ROWS; do
    line=""
    for h in $COUNTS; do
        [[ $h == 1 ]] && continue
        r=$(ratio "$row" "$h")
        [[ -z $r ]] || line+="  $h/1 hosts: $r"
    done
    [[ -z $line ]] || echo "per entry, CPU $row:$line"
done
verdict() { awk -v v="$1" -v t="$2" 'BEGIN {print (v + 0 <= t + 0 ? "met" : "NOT met")}'; }
for row in cmd-host rs-host; do
    r=$(ratio "$row" 100)
    [[ -z $r ]] || echo "target: $row 100-host/1-host CPU per entry <= 1.2: ${r%% *}: $(verdict "${r%% *}" 1.2)"
done
if [[ -n $idle && -n ${anon[100/rs-host]:-} ]]; then
    a=$(stats "${anon[100/rs-host]}" | cut -d' ' -f3)
    over=$(awk -v a="$a" -v i="$idle" 'BEGIN {printf "%.1f", (a - i) / 1024}')
    echo "target: rs-host peak RssAnon on the 100-host store $((a / 1024)) MiB, idle rsyslogd + imjbridge $idle KiB:" \
        "$over MiB over idle <= 64: $(verdict "$over" 64)"
fi

# ---- instruction counts: the command in both modes on the 1- and 100-host stores
if [[ ${BENCH_CALLGRIND:-0} == 1 ]] && command -v valgrind >/dev/null && [[ -n ${dir[1]:-} && -n ${dir[100]:-} ]]; then
    echo
    declare -A ir
    for h in 1 100; do
        for mode in dir host; do
            o=()
            [[ $mode == dir ]] || o=(--per-host)
            valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$JBRIDGE" -D "${dir[$h]}" "${o[@]}" \
                --app-out /dev/null --audit-out /dev/null >/dev/null 2>"$out/cg.log" || failed=1
            ir[$h/$mode]=$(sed -n 's/^summary: *//p' "$out/cg" | head -1)
            echo "callgrind jbridge -D, $mode mode, $h hosts: $(awk -v i="${ir[$h/$mode]}" -v n="$N" 'BEGIN {printf "%.0f", i / n}') instructions per entry"
            rm -f "$out/cg"
        done
    done
    for mode in dir host; do
        echo "callgrind $mode mode: 100-host/1-host instructions per entry $(awk -v a="${ir[100/$mode]}" -v b="${ir[1/$mode]}" 'BEGIN {printf "%.2f", a / b}')"
    done
fi
exit "$failed"
