#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Side-by-side reading benchmark: the same journal of BENCH_ENTRIES Docker-style entries
# (90% application lines of about 120 bytes from five containers, 10% audit lines from
# ptfe_atlas), read in the same run by
#   1   a raw sd-journal reader (sd_journal_enumerate_data over every field, plus the cursor: the
#       limit), and 1b the same without the cursor; 1r jbridge's own journal reader alone, in one
#       thread (tests/bench/reader-only.c: what the reader adds to the limit);
#   2   rsyslogd + imjournal, RainerScript routing audit lines (parse_json of the text after
#       "[Audit Log] " into $!audit) to a second file;
#   3   syslog-ng's systemd-journal() source to one file (syslog-ng-core unpacked with dpkg-deb -x
#       into BENCH_DIR/syslog-ng: Debian's package would remove rsyslog);
#   4   rsyslogd + imjbridge (directory= the bench journal), the two streams to two files;
#   4a  the same with jsonProperties="audit" (JSON properties on audit messages only, as row 2
#       parses JSON for audit lines only; the output files are the same as row 4's);
#   4s  row 4 with the audit stream sealed (seal.keyFile, a fresh key each run, the seal.*
#       defaults: an epoch every 10000 sealed records or 60 s, each a pause of reading until
#       rsyslog finished every sealed record; doc/sealing.md); 4S the same with both streams
#       sealed (seal.streams="app,audit"). Their line counts leave the stop line aside;
#   5   the jbridge command to two files;
# each BENCH_RUNS times, rows interleaved within a run (1, 4 and 4a back to back). Printed:
# median entries/s (min-max), CPU seconds (the whole process, every thread), peak RSS and peak
# RssAnon, the output line count, the ratios 4/2, 4/3, 4/1, 5/1 (and 4a/2, 4a/3, 4a/1, 4a/4,
# 1r/1, 4/1r) of the medians, 4/1 within each run, and the issue's targets (on the medians). Then
#   live  a real journald in a private namespace, jb-write at the highest rate it accepts,
#         rsyslogd + imjbridge following: lag when the writer ends, time to catch up, CPU share;
#   mem   rsyslogd + imjbridge's RssAnon at 10%, 50%, 100% of the backlog (from row 4's runs)
#         beside rsyslogd + imjbridge idle on an empty journal directory.
# Output line counts are checked on every run, so a figure always counts work really done.
#
# imjournal and syslog-ng read only the system journal (sd_journal_open with LOCAL_ONLY): the
# script re-runs itself in a private mount namespace (unshare -m), hides /run/log/journal and
# /var/log/journal under tmpfs and bind-mounts the bench journal onto
# /var/log/journal/<machine-id>. Nothing of it reaches the host. Rows 2, 3 and live need root.
#
# Run from the build tree (or set JB_BUILDDIR):   tests/bench/bench.sh
# Environment:
#   BENCH_ENTRIES  entries in the journal (default 1000000)
#   BENCH_RUNS     runs of each row (default 3)
#   BENCH_ROWS     rows to run (default "1 2 3 4 4a 4s 4S 5 live mem"; 1 includes 1b and 1r)
#   BENCH_LIVE_ENTRIES  entries the live writer sends (default 500000)
#   BENCH_DIR      cache of generated journals, syslog-ng and outputs (default /var/tmp/jbridge-bench)
#   BENCH_SEED     generator seed (default 1)
#   BENCH_JOURNALCTL=1  add a `journalctl -o export` row (a tool users would pick instead; slow)
#   JBRIDGE        the jbridge binary (default $JB_BUILDDIR/jbridge)
#   IMJBRIDGE      the imjbridge module (default $JB_BUILDDIR/.libs/imjbridge.so)
#   RSYSLOGD       rsyslogd (default /usr/sbin/rsyslogd)
#   BENCH_IMJBRIDGE_PARAMS  more imjbridge input() parameters for rows 4 and mem, e.g.
#                  'readAhead="off"' (default none: the module's defaults)
#   JOURNAL_REMOTE systemd-journal-remote (default /lib/systemd/systemd-journal-remote)
#   CC, CFLAGS     used to build the helper programs when the build tree has none
#
# Exit status: 0 when every selected row ran (or was reported n/a with its reason) and every
# output held the expected line count (whether or not the targets are met: that verdict is
# printed), 1 otherwise.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
JB_SRCDIR=${JB_SRCDIR:-$(cd "$here/../.." && pwd)}
JB_BUILDDIR=${JB_BUILDDIR:-$PWD}
N=${BENCH_ENTRIES:-1000000}
RUNS=${BENCH_RUNS:-3}
SEED=${BENCH_SEED:-1}
ROWS=" ${BENCH_ROWS:-1 2 3 4 4a 4s 4S 5 live mem} "
LIVE_N=${BENCH_LIVE_ENTRIES:-500000}
BENCH_DIR=${BENCH_DIR:-/var/tmp/jbridge-bench}
JOURNAL_REMOTE=${JOURNAL_REMOTE:-/lib/systemd/systemd-journal-remote}
JBRIDGE=${JBRIDGE:-$JB_BUILDDIR/jbridge}
IMJBRIDGE=${IMJBRIDGE:-$JB_BUILDDIR/.libs/imjbridge.so}
RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}
export JB_SRCDIR JB_BUILDDIR JOURNAL_REMOTE

die() {
    echo "bench.sh: $*" >&2
    exit 1
}
want() { [[ $ROWS == *" $1 "* ]]; }

[[ $N =~ ^[1-9][0-9]*$ ]] || die "BENCH_ENTRIES must be a positive number"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number"
[[ $LIVE_N =~ ^[1-9][0-9]*$ ]] || die "BENCH_LIVE_ENTRIES must be a positive number"
for r in $ROWS; do [[ $r =~ ^(1|2|3|4|4a|4s|4S|5|live|mem)$ ]] || die "unknown row '$r' in BENCH_ROWS (1 2 3 4 4a 4s 4S 5 live mem)"; done
[[ -x $JBRIDGE ]] || die "no jbridge at $JBRIDGE (run from the build tree, or set JB_BUILDDIR or JBRIDGE)"
[[ -x $JOURNAL_REMOTE ]] || die "no systemd-journal-remote at $JOURNAL_REMOTE (apt-get install systemd-journal-remote)"
BENCH_DIR=$(mkdir -p "$BENCH_DIR" && cd "$BENCH_DIR" && pwd)

# Rows that read the system journal run in a private mount namespace: re-run this script in one.
ns_reason=
if want 2 || want 3 || want live; then
    if [[ -z ${BENCH_IN_NS:-} ]]; then
        if [[ $(id -u) != 0 ]]; then
            ns_reason="needs root"
        elif ! unshare -m --propagation private true 2>/dev/null; then
            ns_reason="unshare -m failed"
        else
            BENCH_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
        fi
    fi
fi

# The helper programs: from the build tree when make built them, else compiled here once.
# shellcheck source=tests/bench/helper.sh
. "$here/helper.sh"
GEN=$(helper jb-bench-gen tests/bench/gen-journal.c)
RAW=$(helper jb-bench-raw tests/bench/raw-reader.c -lsystemd)
STAT=$(helper jb-bench-stat tests/bench/runstat.c)
DSTAT=$(helper jb-bench-daemonstat tests/bench/daemonstat.c)
if [[ -x $JB_BUILDDIR/tests/tools/jb-write ]]; then JB_WRITE=$JB_BUILDDIR/tests/tools/jb-write; else
    JB_WRITE=$(helper jb-write tests/tools/jb-write.c -lsystemd)
fi

# The journal, built once: in a temporary directory renamed when complete, so an interrupted
# build is never reused. Its name carries a checksum of the generator's first entries, so a
# changed generator builds a new journal.
fingerprint=$("$GEN" -n 1000 -s "$SEED" | cksum | cut -d' ' -f1)
journal=$BENCH_DIR/journal-n$N-s$SEED-$fingerprint
if [[ ! -d $journal ]]; then
    echo "Generating $N entries into $journal (once; reused afterwards)..."
    rm -rf "$journal.tmp.$$"
    mkdir -p "$journal.tmp.$$"
    "$GEN" -n "$N" -s "$SEED" | "$JOURNAL_REMOTE" -o "$journal.tmp.$$/bench.journal" - 2>"$BENCH_DIR/journal-remote.log" ||
        die "systemd-journal-remote failed, see $BENCH_DIR/journal-remote.log"
    mv -T "$journal.tmp.$$" "$journal" 2>/dev/null || rm -rf "$journal.tmp.$$" # another run made it first
fi
n_files=$(find "$journal" -name '*.journal' | wc -l)
journal_mb=$(du -sm "$journal" | cut -f1)

out=$(mktemp -d "$BENCH_DIR/out.XXXXXX")
trap 'rm -rf "$out"' EXIT
expect_audit=$((N / 10))
expect_app=$((N - expect_audit))
timeout=$((60 + N / 2000)) # seconds a daemon row may take: 500 entries/s at least

declare -A wall user sys rss anon lines na tcpu tnames
declare -a rows=()
failed=0

# ---- the system journal of this namespace: the bench journal, nothing else
if want 2 || want 3; then
    if [[ -z $ns_reason ]]; then
        mid=$(tr -d ' \n' </etc/machine-id 2>/dev/null || true)
        for d in /run/log/journal /var/log/journal; do
            mkdir -p "$d"
            mount -t tmpfs -o mode=0755 tmpfs "$d" || die "cannot mount tmpfs on $d"
        done
        if [[ ! $mid =~ ^[0-9a-f]{32}$ ]]; then # a container image may have none
            mid=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
            echo "$mid" >/run/log/journal/machine-id
            [[ -e /etc/machine-id ]] || : >/etc/machine-id
            mount --bind /run/log/journal/machine-id /etc/machine-id || die "cannot provide /etc/machine-id"
        fi
        mkdir "/var/log/journal/$mid"
        mount --bind "$journal" "/var/log/journal/$mid" || die "cannot bind the journal onto /var/log/journal/$mid"
        # the namespace's system journal is the bench journal (its counts are checked on every run)
        [[ $(journalctl -q --no-pager -n 1 -o export) == *$'\nCONTAINER_NAME=ptfe_'* ]] ||
            die "the system journal of the namespace is not the bench journal"
    fi
fi

# ---- row configurations
# The same template for every rsyslog output: rsyslog's own RFC 5424 format.
mkdir -p "$out/imjournal/work" "$out/imjbridge/work" "$out/imjbridge-a/work" "$out/imjbridge-s/work" "$out/imjbridge-S/work" "$out/idle/work" "$out/idle/journal" "$out/syslog-ng"
cat >"$out/imjournal/rsyslog.conf" <<EOC
global(workDirectory="$out/imjournal/work")
module(load="imjournal" StateFile="imjournal.state" Ratelimit.Interval="0" PersistStateInterval="10000")
if \$msg contains "[Audit Log] " then {
    set \$.parsed = parse_json(field(\$msg, "[Audit Log] ", 2), "\\\$!audit");
    action(type="omfile" file="$out/imjournal/audit.log" template="RSYSLOG_SyslogProtocol23Format")
} else {
    action(type="omfile" file="$out/imjournal/app.log" template="RSYSLOG_SyslogProtocol23Format")
}
EOC
imjbridge_conf() { # DIR JOURNALDIR [PARAMETERS]
    cat <<EOC
global(workDirectory="$1/work")
module(load="$IMJBRIDGE")
ruleset(name="app") { action(type="omfile" file="$1/app.log" template="RSYSLOG_SyslogProtocol23Format") }
ruleset(name="audit") { action(type="omfile" file="$1/audit.log" template="RSYSLOG_SyslogProtocol23Format") }
input(type="imjbridge" directory="$2" ruleset="app" audit.ruleset="audit" persistStateInterval="10000"
      ${BENCH_IMJBRIDGE_PARAMS:-} ${3:-})
EOC
}
imjbridge_conf "$out/imjbridge" "$journal" >"$out/imjbridge/rsyslog.conf"
imjbridge_conf "$out/imjbridge-a" "$journal" 'jsonProperties="audit"' >"$out/imjbridge-a/rsyslog.conf"
imjbridge_conf "$out/imjbridge-s" "$journal" "seal.keyFile=\"$out/imjbridge-s/seal.key\"" >"$out/imjbridge-s/rsyslog.conf"
imjbridge_conf "$out/imjbridge-S" "$journal" "seal.keyFile=\"$out/imjbridge-S/seal.key\" seal.streams=\"app,audit\"" \
    >"$out/imjbridge-S/rsyslog.conf"
# newkey DIR: a fresh sealing key for a sealed row's run (the key file moves on as it seals)
newkey() {
    rm -f "$1/seal.key"
    "$JBRIDGE" keygen --seal-key "$1/seal.key" >"$1/verify.key"
}
imjbridge_conf "$out/idle" "$out/idle/journal" >"$out/idle/rsyslog.conf"

# syslog-ng: unpacked once from Debian's packages (syslog-ng-core and the libraries it needs that
# are not installed), run from there. Sets SNG_ROOT, or sng_reason when it cannot run.
sng_reason=
SNG_ROOT=$BENCH_DIR/syslog-ng/root
prepare_syslog_ng() {
    local d=$BENCH_DIR/syslog-ng p pkgs=syslog-ng-core
    if [[ ! -x $SNG_ROOT/usr/sbin/syslog-ng ]]; then
        echo "Unpacking syslog-ng-core into $d (once; reused afterwards)..."
        for p in $(apt-cache depends syslog-ng-core 2>/dev/null | sed -n -E 's/^ *\|?Depends: ([^<][^ ]*)$/\1/p'); do
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=" $p"
        done
        rm -rf "$d/debs" "$d/root.tmp"
        mkdir -p "$d/debs" "$d/root.tmp"
        chmod 755 "$d/debs"
        # shellcheck disable=SC2086
        if ! (cd "$d/debs" && apt-get download $pkgs) >"$d/download.log" 2>&1; then
            sng_reason="apt-get download $pkgs failed: $(grep -m1 -E '^E:' "$d/download.log" || tail -n1 "$d/download.log")"
            return
        fi
        for p in "$d"/debs/*.deb; do dpkg-deb -x "$p" "$d/root.tmp" || {
            sng_reason="dpkg-deb -x $p failed"
            return
        }; done
        rm -rf "$SNG_ROOT"
        mv "$d/root.tmp" "$SNG_ROOT"
    fi
    SNG_MODULES=$(find "$SNG_ROOT/usr/lib/syslog-ng" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*' | head -n1)
    SNG_LD=$SNG_ROOT/usr/lib/syslog-ng:$SNG_ROOT/usr/lib/x86_64-linux-gnu:$SNG_ROOT/usr/lib/$(uname -m)-linux-gnu
    local ver
    ver=$(LD_LIBRARY_PATH=$SNG_LD "$SNG_ROOT/usr/sbin/syslog-ng" --version 2>&1 | sed -n 's/^Config version: *//p')
    cat >"$out/syslog-ng/syslog-ng.conf" <<EOC
@version: ${ver:-3.38}
options { stats-freq(0); use-dns(no); dns-cache(no); use-fqdn(no); keep-hostname(yes); };
# flow control: without it a full destination queue drops messages
source s_journal { systemd-journal(log-fetch-limit(1000) log-iw-size(10000)); };
destination d_file { file("$out/syslog-ng/all.log"
    template("<\${PRI}>1 \${ISODATE} \${HOST} \${PROGRAM} \${PID} \${MSGID} - \${MSG}\n")); };
log { source(s_journal); destination(d_file); flags(flow-control); };
EOC
    local msg
    if ! msg=$(LD_LIBRARY_PATH=$SNG_LD "$SNG_ROOT/usr/sbin/syslog-ng" -s -f "$out/syslog-ng/syslog-ng.conf" \
        --module-path="$SNG_MODULES" 2>&1); then
        sng_reason="syslog-ng -s rejects the configuration: $(head -n1 <<<"$msg")"
    fi
    SNG_VERSION=$(LD_LIBRARY_PATH=$SNG_LD "$SNG_ROOT/usr/sbin/syslog-ng" --version 2>&1 | head -n1)
}

declare -A row_names=([1]="1 raw: enumerate+cursor" [1b]="1b raw: enumerate only" [1r]="1r jbridge reader alone" \
    [2]="2 rsyslogd+imjournal" \
    [3]="3 syslog-ng" [4]="4 rsyslogd+imjbridge" [4a]="4a imjbridge json=audit" [4s]="4s imjbridge audit sealed" \
    [4S]="4S imjbridge both sealed" [5]="5 jbridge CLI" [j]="   journalctl -o export")
if want 1; then
    rows+=(1 1b 1r)
    # links the core library: from the build tree only
    READER=$JB_BUILDDIR/tests/bench/jb-bench-reader
    if [[ ! -x $READER || $READER -ot $JB_SRCDIR/tests/bench/reader-only.c ]] &&
        ! make -C "$JB_BUILDDIR" tests/bench/jb-bench-reader >/dev/null 2>&1; then
        na[1r]="cannot build tests/bench/jb-bench-reader in $JB_BUILDDIR"
    fi
fi
if want 2; then
    rows+=(2)
    if [[ -n $ns_reason ]]; then na[2]=$ns_reason; elif ! "$RSYSLOGD" -N1 -f "$out/imjournal/rsyslog.conf" >"$out/n1.log" 2>&1; then
        na[2]="rsyslogd -N1 rejects the imjournal configuration: $(grep -m1 -i error "$out/n1.log")"
    fi
fi
if want 3; then
    rows+=(3)
    if [[ -n $ns_reason ]]; then na[3]=$ns_reason; else
        prepare_syslog_ng
        [[ -z $sng_reason ]] || na[3]=$sng_reason
    fi
fi
if want 4 || want mem; then
    [[ -f $IMJBRIDGE ]] || die "no imjbridge module at $IMJBRIDGE (build with the rsyslog modules, or set IMJBRIDGE)"
    [[ -x $RSYSLOGD ]] || die "no rsyslogd at $RSYSLOGD"
    "$RSYSLOGD" -N1 -f "$out/imjbridge/rsyslog.conf" >"$out/n1.log" 2>&1 ||
        die "rsyslogd -N1 rejects the imjbridge configuration: $(cat "$out/n1.log")"
    rows+=(4)
fi
if want 4a; then
    [[ -f $IMJBRIDGE ]] || die "no imjbridge module at $IMJBRIDGE (build with the rsyslog modules, or set IMJBRIDGE)"
    "$RSYSLOGD" -N1 -f "$out/imjbridge-a/rsyslog.conf" >"$out/n1.log" 2>&1 ||
        die "rsyslogd -N1 rejects the imjbridge configuration of row 4a: $(cat "$out/n1.log")"
    rows+=(4a)
fi
for r in 4s 4S; do
    want $r || continue
    [[ -f $IMJBRIDGE ]] || die "no imjbridge module at $IMJBRIDGE (build with the rsyslog modules, or set IMJBRIDGE)"
    newkey "$out/imjbridge-${r#4}" || die "jbridge keygen failed (row $r)"
    "$RSYSLOGD" -N1 -f "$out/imjbridge-${r#4}/rsyslog.conf" >"$out/n1.log" 2>&1 ||
        die "rsyslogd -N1 rejects the imjbridge configuration of row $r: $(cat "$out/n1.log")"
    rows+=("$r")
done
want 5 && rows+=(5)
[[ ${BENCH_JOURNALCTL:-0} == 1 ]] && rows+=(j)
# Run order within a run: the raw reader right before rows 4 and 4a, so that the ratios within a
# run compare figures taken seconds apart, not minutes (the slow rows 2 and 3 come last).
order=()
for row in 1 4 4s 4S 4a 1b 1r 5 2 3 j; do
    for r in "${rows[@]}"; do [[ $r != "$row" ]] || order+=("$row"); done
done

# parse REPORT ROW: a runstat/daemonstat report into the arrays
parse() {
    local kv
    for kv in $(cat "$1"); do
        case $kv in
        wall=*) wall[$2]+="${kv#*=} " ;;
        user=*) user[$2]+="${kv#*=} " ;;
        sys=*) sys[$2]+="${kv#*=} " ;;
        maxrss_kb=*) rss[$2]+="${kv#*=} " ;;
        rssanon_kb=*) anon[$2]+="${kv#*=} " ;;
        anon_at_*=*) anon[$2@${kv%%=*}]+="${kv#*=} " ;;
        cpu_thread_*=*)
            tcpu[$2@${kv%%=*}]+="${kv#*=} "
            [[ " ${tnames[$2]:-} " == *" ${kv%%=*} "* ]] || tnames[$2]+="${kv%%=*} "
            ;;
        esac
    done
}

# run ROW RUN COMMAND...: one timed run of a command that exits by itself.
run() {
    local row=$1 i=$2
    shift 2
    rm -f "$out/stat"
    if ! "$STAT" -o "$out/stat" "$@" >"$out/stdout" 2>"$out/stderr"; then
        echo "bench.sh: row ${row_names[$row]} run $i failed:" >&2
        cat "$out/stderr" >&2
        failed=1
    fi
    parse "$out/stat" "$row"
}

# run_daemon ROW RUN EXPECTED_LINES LOG OUTFILE... -- COMMAND...: one run of a daemon, stopped
# once its outputs hold EXPECTED_LINES lines.
run_daemon() {
    local row=$1 i=$2 n=$3 log=$4 f=()
    shift 4
    while [[ $1 != -- ]]; do
        rm -f "$1"
        f+=(-f "$1")
        shift
    done
    shift
    rm -f "$out/stat"
    if ! "$DSTAT" -o "$out/stat" -n "$n" -t "$timeout" "${f[@]}" -p 10 -p 50 -p 100 -- "$@" >"$log" 2>&1; then
        echo "bench.sh: row ${row_names[$row]} run $i: $(cat "$out/stat" 2>/dev/null)" >&2
        tail -n 5 "$log" >&2
        failed=1
    fi
    parse "$out/stat" "$row"
}

# check ROW RUN NAME=FILE:EXPECTED...: output line counts (records: a sealed row's heartbeat and
# stop lines, APP-NAME jbridge, aside)
check() {
    local row=$1 i=$2 spec got desc="" bad=0
    shift 2
    for spec in "$@"; do
        local name=${spec%%=*} file=${spec#*=}
        local exp=${file##*:}
        file=${file%:*}
        got=0
        if [[ $row == 4[sS] ]]; then
            [[ ! -f $file ]] || got=$(grep -avc ' jbridge - ' "$file")
        else
            [[ ! -f $file ]] || got=$(wc -l <"$file")
        fi
        desc+="${desc:+ + }$got $name"
        [[ $got == "$exp" ]] || bad=1
    done
    lines[$row]=$desc
    if [[ $bad == 1 ]]; then
        echo "bench.sh: row ${row_names[$row]} run $i wrote $desc; expected: $*" >&2
        failed=1
    fi
}

check_raw() { # the raw reader saw every entry
    local got
    got=$(awk '{print $2}' "$out/stdout")
    lines[$1]="$got entries"
    if [[ $got != "$N" ]]; then
        echo "bench.sh: raw reader read $got entries, expected $N" >&2
        failed=1
    fi
}

# Warm the page cache so that no row pays for reading the files from disk.
"$RAW" --no-cursor "$journal" >/dev/null

for ((i = 1; i <= RUNS; i++)); do
    echo "run $i of $RUNS..." >&2
    for row in "${order[@]}"; do
        [[ -z ${na[$row]:-} ]] || continue
        case $row in
        1)
            run 1 "$i" "$RAW" "$journal"
            check_raw 1
            ;;
        1b)
            run 1b "$i" "$RAW" --no-cursor "$journal"
            check_raw 1b
            ;;
        1r)
            run 1r "$i" "$READER" "$journal"
            check_raw 1r
            ;;
        2)
            rm -rf "$out/imjournal/work" && mkdir "$out/imjournal/work"
            run_daemon 2 "$i" "$N" "$out/imjournal/log" "$out/imjournal/app.log" "$out/imjournal/audit.log" -- \
                "$RSYSLOGD" -n -f "$out/imjournal/rsyslog.conf" -i "$out/imjournal/pid"
            check 2 "$i" "app=$out/imjournal/app.log:$expect_app" "audit=$out/imjournal/audit.log:$expect_audit"
            rm -f "$out/imjournal/app.log" "$out/imjournal/audit.log"
            ;;
        3)
            rm -f "$out/syslog-ng/persist"
            LD_LIBRARY_PATH=$SNG_LD run_daemon 3 "$i" "$N" "$out/syslog-ng/log" "$out/syslog-ng/all.log" -- \
                "$SNG_ROOT/usr/sbin/syslog-ng" -F --no-caps -f "$out/syslog-ng/syslog-ng.conf" \
                --module-path="$SNG_MODULES" -R "$out/syslog-ng/persist" -p "$out/syslog-ng/pid" -c "$out/syslog-ng/ctl"
            check 3 "$i" "all=$out/syslog-ng/all.log:$N"
            rm -f "$out/syslog-ng/all.log"
            ;;
        4 | 4a | 4s | 4S)
            idir=$out/imjbridge
            [[ $row == 4 ]] || idir=$out/imjbridge-${row#4}
            rm -rf "$idir/work" && mkdir "$idir/work"
            [[ $row != 4[sS] ]] || newkey "$idir" || failed=1
            run_daemon "$row" "$i" "$N" "$idir/log" "$idir/app.log" "$idir/audit.log" -- \
                "$RSYSLOGD" -n -f "$idir/rsyslog.conf" -i "$idir/pid"
            check "$row" "$i" "app=$idir/app.log:$expect_app" "audit=$idir/audit.log:$expect_audit"
            rm -f "$idir/app.log" "$idir/audit.log"
            ;;
        5)
            rm -f "$out/app.log" "$out/audit.log"
            run 5 "$i" "$JBRIDGE" -D "$journal" --app-out "$out/app.log" --audit-out "$out/audit.log"
            check 5 "$i" "app=$out/app.log:$expect_app" "audit=$out/audit.log:$expect_audit"
            rm -f "$out/app.log" "$out/audit.log"
            ;;
        j) run j "$i" sh -c 'journalctl -D "$1" -o export >/dev/null' sh "$journal" ;;
        esac
    done
done

# stats "v1 v2 ...": median min max
stats() {
    tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1}
        END {if (!NR) {print "0 0 0"; exit} m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR]}'
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
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

echo
echo "Side-by-side reading benchmark: $N entries ($expect_app application, $expect_audit audit), $n_files journal" \
    "files, $journal_mb MB"
echo "$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
    "libsystemd $(pkg-config --modversion libsystemd 2>/dev/null || echo '?'), $RUNS runs per row (median, min-max)"
echo "rsyslogd $("$RSYSLOGD" -v 2>/dev/null | sed -n '1s/^rsyslogd  *\([^ ,]*\).*/\1/p')${SNG_VERSION:+, $SNG_VERSION}"
echo
printf '%-26s %26s %8s %8s %8s %9s  %s\n' "row" "entries/s (min-max)" "CPU s" "CPU s/M" "RSS MB" "RssAnon" "output lines (each run)"
declare -A median cpum anonm
for row in "${rows[@]}"; do
    if [[ -n ${na[$row]:-} ]]; then
        printf '%-26s n/a (%s)\n' "${row_names[$row]}" "${na[$row]}"
        continue
    fi
    read -r rm rmin rmax <<<"$(stats "$(rates "${wall[$row]:-}")")"
    read -r cm _ _ <<<"$(stats "$(cpu "$row")")"
    read -r mm _ _ <<<"$(stats "${rss[$row]:-}")"
    read -r am _ _ <<<"$(stats "${anon[$row]:-}")"
    median[$row]=$rm
    cpum[$row]=$cm
    anonm[$row]=$am
    printf '%-26s %26s %8.2f %8.2f %8.0f %9s  %s\n' "${row_names[$row]}" \
        "$(printf '%.0f (%.0f-%.0f)' "$rm" "$rmin" "$rmax")" "$cm" "$(awk -v c="$cm" -v n="$N" 'BEGIN {print c * 1e6 / n}')" \
        "$(mb "$mm")" "$(mb "$am")" "${lines[$row]:-}"
done
echo
echo "entries/s = $N / wall time from the process's start to its last output line (daemons: then stopped by"
echo "SIGTERM; their CPU is read from /proc before the stop). CPU s = user + sys of the whole process;"
echo "RSS = peak RSS, which counts the mmapped journal files; RssAnon = peak anonymous memory (MB), sampled every 10 ms."

# ratio A B: A's entries/s over B's, or n/a
ratio() {
    if [[ -n ${median[$1]:-} && -n ${median[$2]:-} ]]; then
        awk -v a="${median[$1]}" -v b="${median[$2]}" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'
    else echo "n/a"; fi
}
verdict() { awk -v v="$1" -v t="$2" 'BEGIN {if (v == "n/a" || v == "") print "n/a"; else print (v + 0 >= t + 0 ? "met" : "NOT met")}'; }
verdict_max() { awk -v v="$1" -v t="$2" 'BEGIN {if (v == "n/a" || v == "") print "n/a"; else print (v + 0 <= t + 0 ? "met" : "NOT met")}'; }
# pass_ratios A B: A's entries/s over B's within each run (the rows of one run are minutes apart,
# so a phase of a shared host weighs on both alike), in run order
pass_ratios() {
    paste -d' ' <(tr ' ' '\n' <<<"${wall[$1]:-}" | grep .) <(tr ' ' '\n' <<<"${wall[$2]:-}" | grep .) |
        awk '{printf "%.2f ", ($1 > 0 ? $2 / $1 : 0)}'
}
echo
echo "ratios (entries/s): 4/2 = $(ratio 4 2)   4/3 = $(ratio 4 3)   4/1 = $(ratio 4 1)   5/1 = $(ratio 5 1)"
[[ -z ${median[4a]:-} ]] || echo "  row 4a: 4a/2 = $(ratio 4a 2)   4a/3 = $(ratio 4a 3)   4a/1 = $(ratio 4a 1)   4a/4 = $(ratio 4a 4)"
[[ -z ${median[4]:-} || -z ${median[1]:-} ]] || echo "  4/1 within each run (run 1, 2, ...): $(pass_ratios 4 1 | sed "s/ $//")"
for r in 4s 4S; do
    [[ -n ${median[$r]:-} && -n ${median[4]:-} ]] || continue
    echo "  row $r: $r/4 = $(ratio $r 4) (within each run: $(pass_ratios $r 4 | sed "s/ $//"));" \
        "CPU $(awk -v a="${cpum[$r]}" -v b="${cpum[4]}" 'BEGIN {printf("%+.0f%%", (b > 0 ? 100 * (a - b) / b : 0))}') over row 4"
done
[[ -z ${median[4s]:-} || -z ${median[4]:-} ]] ||
    echo "target: the audit stream sealed costs at most 10% of row 4's entries/s: 4s/4 = $(ratio 4s 4) >= 0.90: $(verdict "$(ratio 4s 4)" 0.90)"
[[ -z ${median[1r]:-} || -z ${median[1]:-} ]] ||
    echo "  jbridge's reader alone: 1r/1 = $(ratio 1r 1); row 4 over it: 4/1r = $(ratio 4 1r)"
if [[ -n ${median[4]:-} ]]; then
    r41=$(ratio 4 1)
    c4=$(awk -v c="${cpum[4]}" -v n="$N" 'BEGIN {printf "%.2f", c * 1e6 / n}')
    echo "targets (issue 19, on the medians): 4/1 >= 0.85: $(verdict "$r41" 0.85);" \
        "5/1 >= 0.90: $(verdict "$(ratio 5 1)" 0.90); 1r/1 >= 0.95: $(verdict "$(ratio 1r 1)" 0.95)"
    if [[ -n ${cpum[1]:-} ]]; then
        cr=$(awk -v a="${cpum[4]}" -v b="${cpum[1]}" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}')
        echo "  row 4 CPU over row 1's for the same entries: $cr <= 2: $(verdict_max "$cr" 2)"
    fi
    echo "  earlier targets: 4/2 >= 5: $(verdict "$(ratio 4 2)" 5); 4/3 >= 2: $(verdict "$(ratio 4 3)" 2);" \
        "row 4 CPU $c4 s per million <= 10: $(awk -v c="$c4" 'BEGIN {print (c + 0 <= 10 ? "met" : "NOT met")}')"
fi

# where rsyslogd's CPU goes: each thread's CPU (median of the runs, s per million entries) beside
# the raw reader's; jb_read-ahead reads the journal, in_imjbridge builds rsyslog's messages and
# acknowledges them, rs_main_Q_Reg runs the rulesets and omfile
for r in 4 4a; do
    [[ -n ${tnames[$r]:-} ]] || continue
    line=""
    for t in ${tnames[$r]}; do
        read -r m _ _ <<<"$(stats "${tcpu[$r@$t]}")"
        line+="${t#cpu_thread_} $(awk -v c="$m" -v n="$N" 'BEGIN {printf "%.2f", c * 1e6 / n}'), "
    done
    raw=$(awk -v c="${cpum[1]:-0}" -v n="$N" 'BEGIN {printf "%.2f", c * 1e6 / n}')
    echo "  row $r CPU s per million by thread: ${line%, }; row 1 (raw reader) $raw"
done

# ---- memory: rsyslogd + imjbridge over the backlog (row 4's runs) beside rsyslogd + imjbridge idle
if want mem; then
    rm -f "$out/stat"
    "$DSTAT" -o "$out/stat" -I 3 -- "$RSYSLOGD" -n -f "$out/idle/rsyslog.conf" -i "$out/idle/pid" >"$out/idle/log" 2>&1 || {
        echo "bench.sh: idle rsyslogd: $(cat "$out/stat" 2>/dev/null) $(tail -n 3 "$out/idle/log")" >&2
        failed=1
    }
    idle=$(sed -n 's/.*rssanon_kb=\([0-9]*\).*/\1/p' "$out/stat")
    echo
    if [[ -n ${anon[4@anon_at_10]:-} ]]; then
        read -r a10 _ _ <<<"$(stats "${anon[4@anon_at_10]}")"
        read -r a50 _ _ <<<"$(stats "${anon[4@anon_at_50]}")"
        read -r a100 _ _ <<<"$(stats "${anon[4@anon_at_100]}")"
        peak=${anonm[4]}
        echo "memory, rsyslogd+imjbridge RssAnon MB (median of $RUNS): idle $(mb "${idle:-0}"), backlog at 10% $(mb "$a10")," \
            "50% $(mb "$a50"), 100% $(mb "$a100"), peak $(mb "$peak")"
        echo "target: peak within 64 MiB of idle: $(awk -v p="$peak" -v i="${idle:-0}" 'BEGIN {d = (p - i) / 1024;
            printf "%+.1f MB, %s", d, (d <= 64 ? "met" : "NOT met")}')"
        if [[ -n ${anon[2@anon_at_100]:-} ]]; then
            read -r b10 _ _ <<<"$(stats "${anon[2@anon_at_10]}")"
            read -r b50 _ _ <<<"$(stats "${anon[2@anon_at_50]}")"
            read -r b100 _ _ <<<"$(stats "${anon[2@anon_at_100]}")"
            echo "  (rsyslogd+imjournal, same points: $(mb "$b10"), $(mb "$b50"), $(mb "$b100"))"
        fi
    else
        echo "memory: rsyslogd+imjbridge idle RssAnon $(mb "${idle:-0}") MB (add row 4 for the backlog figures)"
    fi
fi

# ---- live: a real journald, the writer at the highest rate it accepts, imjbridge following
if want live; then
    echo
    if [[ -n $ns_reason ]]; then
        echo "live: n/a ($ns_reason)"
    elif [[ ! -f $IMJBRIDGE ]]; then
        echo "live: n/a (no imjbridge module at $IMJBRIDGE)"
    else
        rm -f "$out/live"
        if ! unshare -m --propagation private env JB_PRIVATE_NS=1 bash "$here/live.sh" "$out/live" "$LIVE_N" "$DSTAT" \
            "$JB_WRITE" "$RSYSLOGD" "$IMJBRIDGE" >"$out/live.log" 2>&1; then
            echo "bench.sh: live run failed: $(cat "$out/live" 2>/dev/null) $(tail -n 5 "$out/live.log")" >&2
            failed=1
        fi
        if [[ -s $out/live ]]; then
            declare -A L=()
            for kv in $(cat "$out/live"); do L[${kv%%=*}]=${kv#*=}; done
            awk -v n="$LIVE_N" -v m1t="${L[mark1_t]:-0}" -v m2t="${L[mark2_t]:-0}" -v m1c="${L[mark1_cpu]:-0}" \
                -v m2c="${L[mark2_cpu]:-0}" -v m2l="${L[mark2_lines]:-0}" -v done="${L[wall]:-0}" -v got="${L[lines]:-0}" \
                -v ws="${L[writer_s]:-0}" -v cpu="$(awk -v u="${L[user]:-0}" -v s="${L[sys]:-0}" 'BEGIN {print u + s}')" 'BEGIN {
                # no second mark: every entry was out before the writer had exited (daemonstat
                # stops at the last line), so the end of the writing is taken as that moment
                if (m2t == 0) { m2t = done; m2l = got; m2c = cpu }
                d = m2t - m1t; rate = (d > 0 ? n / d : 0); lag = n - m2l
                printf "live: journald accepted %d entries in %.1f s (%.0f/s, the writer'\''s rate); rsyslogd+imjbridge delivered %d\n", n, ws, rate, got
                printf "  lag when the writer ended: %d entries (%.2f s of writing); all delivered %.2f s after the writer ended\n", lag, (rate > 0 ? lag / rate : 0), done - m2t
                printf "  rsyslogd CPU while the writer ran: %.2f s in %.2f s = %.0f%% of one core (%.2f s per million entries overall)\n", m2c - m1c, d, (d > 0 ? 100 * (m2c - m1c) / d : 0), cpu * 1e6 / n
                printf "  target (no growing lag at journald'\''s maximum rate): %s\n", (lag <= rate ? "met (lag under one second of writing)" : "NOT met")
            }'
        fi
    fi
fi

[[ $failed == 0 ]] || die "some runs failed or produced wrong counts: the figures above are not valid"
