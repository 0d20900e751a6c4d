#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# jbridge bundle on real journals made from the fixtures: the archive's list, counts and contents
# are checked against what `jbridge` writes from the same journal (every container's file holds
# exactly that container's lines of the same stream, in the same order); the manifest's counts
# against the files; --since/--until on a journal with entries a minute apart; output to
# standard output; progress only on a terminal; usage and runtime errors.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || jb_need_program /usr/bin/python3
jb_setup "$JBRIDGE" "$JOURNAL_REMOTE"
T=$JB_TMP

# manifest FILE.tar.gz EXPR: evaluate a Python expression on the manifest (m)
manifest() {
    tar -xzOf "$1" manifest.json | python3 -c "import json,sys; m=json.load(sys.stdin); print($2)"
}

# ---- every fixture: the bundle holds what jbridge writes, split by container and stream
for c in containers audit-values audit-nested wrapped audit-malformed binary newlines non-container; do
    jb_export_to_journal "$JB_FIXTURES/$c.export" "$T/j/$c" || jb_bail_out "cannot build the journal of $c"
    all=
    [ "$c" = non-container ] && all=--all
    "$JBRIDGE" -D "$T/j/$c" $all --app-out "$T/$c.app" --audit-out "$T/$c.audit" 2>"$T/$c.err" ||
        jb_bail_out "jbridge failed on $c: $(cat "$T/$c.err")"
    "$JBRIDGE" bundle -D "$T/j/$c" $all --since @0 -o "$T/$c.tar.gz" 2>"$T/$c.berr"
    jb_is "$?" 0 "$c: bundle exits 0"
    jb_is "$(cat "$T/$c.berr")" "" "$c: nothing on standard error when it is not a terminal"
    rm -rf "$T/x" && mkdir "$T/x" && tar -xzf "$T/$c.tar.gz" -C "$T/x"
    list=$(tar -tzf "$T/$c.tar.gz")
    jb_is "$(echo "$list" | head -1)" manifest.json "$c: manifest.json comes first"
    ok=1 names=
    for f in $(echo "$list" | tail -n +2); do
        d=${f%/*} s=${f##*/} s=${s%.log}
        name=$d
        case $d in _unknown) name=- ;; _*) name=${d#_} ;; esac # APP-NAME "-": no identifier
        names="$names $d/$s"
        # the lines of that container (APP-NAME, field 4) in jbridge's output of that stream
        awk -v n="$name" '$4 == n' "$T/$c.$s" >"$T/want"
        cmp -s "$T/want" "$T/x/$f" || { ok=0; jb_diag "$c: $f differs from jbridge's $s lines of $name"; }
        [ "$(wc -l <"$T/x/$f")" = "$(manifest "$T/$c.tar.gz" "m['containers']['$d']['$s']")" ] ||
            { ok=0; jb_diag "$c: manifest count of $f"; }
    done
    jb_ok "$c: each file holds exactly its container's lines, as the manifest counts them ($names )" test "$ok" = 1
    jb_is "$(cat "$T"/x/*/app.log 2>/dev/null | wc -l) $(cat "$T"/x/*/audit.log 2>/dev/null | wc -l)" \
        "$(wc -l <"$T/$c.app") $(wc -l <"$T/$c.audit")" "$c: no record missing or added"
    jb_is "$(manifest "$T/$c.tar.gz" "m['records']['app'], m['records']['audit']")" \
        "$(wc -l <"$T/$c.app") $(wc -l <"$T/$c.audit")" "$c: manifest totals per stream"
done
jb_is "$(manifest "$T/containers.tar.gz" "m['jbridge_version'], m['hosts'], m['gaps']['count'], m['source']")" \
    "$("$JBRIDGE" --version | cut -d' ' -f2) ['tfe-host'] 0 directory $T/j/containers" \
    "manifest: version, hosts, gaps, source"

# ---- a time range: entries one minute apart in two containers
python3 - "$T/range.export" <<'PY'
import sys
base = 1522187700  # 2018-03-27T21:55:00Z
with open(sys.argv[1], "w") as f:
    for i in range(8):
        t = base + 60 * i
        name = "web" if i % 2 == 0 else "api"
        msg = "line %d" % i if i != 5 else '[Audit Log] {"resource":"run","action":"apply","resource_id":"r-5","actor":"a","timestamp":"t","actor_ip":"10.0.0.1"}'
        f.write("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n"
                "_HOSTNAME=range-host\nPRIORITY=6\n_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\nMESSAGE=%s\nCONTAINER_NAME=%s\nCONTAINER_ID=0123456789ab\n"
                "IMAGE_NAME=img\nSYSLOG_TIMESTAMP=%s.000000000Z\n\n"
                % (t * 1000000 + 500, 1000000 * (i + 1), msg, name,
                   __import__("time").strftime("%Y-%m-%dT%H:%M:%S", __import__("time").gmtime(t))))
PY
jb_export_to_journal "$T/range.export" "$T/j/range" || jb_bail_out "cannot build the range journal"
# 21:56:00 .. 21:59:00 (inclusive) takes lines 1 to 4; 5 (the audit line), 6 and 7 are read and left out
TZ=UTC "$JBRIDGE" bundle -D "$T/j/range" --since "2018-03-27 21:56:00" --until 2018-03-27T21:59:00Z \
    -o "$T/range.tar.gz"
jb_is "$?" 0 "range: exit 0"
jb_is "$(tar -tzf "$T/range.tar.gz" | tr '\n' ' ')" "manifest.json api/app.log web/app.log " "range: the files"
jb_is "$(tar -xzOf "$T/range.tar.gz" web/app.log | sed 's/.* //' | tr '\n' ' ')" "2 4 " "range: web's lines"
jb_is "$(tar -xzOf "$T/range.tar.gz" api/app.log | sed 's/.* //' | tr '\n' ' ')" "1 3 " "range: api's lines"
jb_is "$(manifest "$T/range.tar.gz" "m['range']['since'], m['range']['until'], m['entries']['out_of_range']")" \
    "2018-03-27T21:56:00.000000Z 2018-03-27T21:59:00.000000Z 3" \
    "range: manifest range; entries after --until were read and left out"
# epoch form, no --until, a container filter, the archive on standard output (api is not a tfe
# audit container: --audit-container makes its marker line audit)
"$JBRIDGE" bundle -D "$T/j/range" --since @1522188000 --container api --audit-container api -o - >"$T/stdout.tar.gz"
jb_is "$(tar -tzf "$T/stdout.tar.gz" | tr '\n' ' ')" "manifest.json api/app.log api/audit.log " \
    "-o -: the archive on standard output, --container applies"
jb_is "$(tar -xzOf "$T/stdout.tar.gz" api/audit.log | grep -c 'audit@32473 resource="run"')" 1 \
    "the audit line is in api/audit.log with its structured data"
jb_is "$(TZ=UTC "$JBRIDGE" bundle -D "$T/j/range" --since 2018-03-28 -o "$T/empty.tar.gz"; tar -tzf "$T/empty.tar.gz")" \
    manifest.json "a range without records gives the manifest alone"

# ---- progress on a terminal only
if command -v script >/dev/null 2>&1; then
    script -qec "'$JBRIDGE' bundle -D '$T/j/range' --since @0 -o '$T/tty.tar.gz'" /dev/null >"$T/tty.out" 2>&1
    jb_ok "progress on standard error when it is a terminal" grep -q 'entries read' "$T/tty.out"
    sum=$(sed -n "s|.*wrote $T/tty.tar.gz: [0-9]* entries read; records: app \([0-9]*\), audit \([0-9]*\);.*|\1 + \2|p" "$T/tty.out")
    jb_is "$((${sum:-0}))" 8 \
        "summary line on a terminal: the 8 records, per stream"
else
    jb_skip "progress on a terminal" "no script(1)"
    jb_skip "summary line on a terminal" "no script(1)"
fi

# ---- errors
"$JBRIDGE" bundle -D "$T/j/range" -o "$T/e.tar.gz" 2>"$T/err"
jb_is "$? $(grep -c -- '--since' "$T/err")" "2 1" "no --since: usage error naming it"
"$JBRIDGE" bundle -D "$T/j/range" --since "2018-02-30 10:00:00" -o "$T/e.tar.gz" 2>"$T/err"
jb_is "$? $(grep -c -- "--since '2018-02-30 10:00:00'" "$T/err")" "2 1" "impossible date: usage error"
"$JBRIDGE" bundle -D "$T/j/range" --since @10 --until @5 -o "$T/e.tar.gz" 2>/dev/null
jb_is "$?" 2 "--until before --since: usage error"
"$JBRIDGE" bundle -D "$T/j/range" --since @0 2>/dev/null
jb_is "$?" 2 "no -o: usage error"
"$JBRIDGE" bundle -D "$T/j/range" --since @0 --follow -o "$T/e.tar.gz" 2>/dev/null
jb_is "$?" 2 "--follow with bundle: usage error"
"$JBRIDGE" -D "$T/j/range" --since @0 2>"$T/err" >/dev/null
jb_is "$? $(grep -c "belongs to 'jbridge bundle'" "$T/err")" "2 1" "--since without bundle: usage error"
"$JBRIDGE" bundle -D "$T/j/range" --since @0 -o "$T/no/such/dir/b.tar.gz" 2>"$T/err"
jb_is "$? $(grep -c "archive $T/no/such/dir/b.tar.gz" "$T/err")" "1 1" "unwritable output: exit 1 before reading, naming the archive"
"$JBRIDGE" bundle -D "$T/j/range" --since @0 --profile nomad -o "$T/e.tar.gz" 2>/dev/null
jb_is "$?" 2 "unknown --profile: usage error"
jb_is "$(find "$T" -maxdepth 1 -name 'e.tar.gz*' | wc -l)" 0 "no archive or temporary file left by failed runs"

jb_done
