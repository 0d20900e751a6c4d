#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# jbridge over real journal files: every fixture of tests/fixtures (Journal Export Format) is
# turned into a journal by systemd-journal-remote, read with -D DIR and with --file FILE, and the
# outputs are compared with tests/fixtures/expected/CASE.app and CASE.audit after normalizing
# the record ids (which depend on the journal file) and long runs of padding. Then targeted
# checks: one line per record, split lines reassembled, hostile bytes escaped, filters, options.
#
# JB_REGENERATE=1 writes the expected files from the current output instead of comparing (read
# the diff before committing it: the expected files are the specification).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

jb_need_program "$JBRIDGE"
jb_need_program "$JOURNAL_REMOTE"
command -v python3 >/dev/null 2>&1 || jb_need_program /usr/bin/python3
command -v perl >/dev/null 2>&1 || jb_need_program /usr/bin/perl
jb_mktemp
trap jb_cleanup EXIT

EXPECTED=$JB_FIXTURES/expected
SMALL="containers audit-values audit-nested wrapped audit-malformed audit-mention non-container binary newlines tty"
LARGE="split long"
CASES="$SMALL $LARGE"
O=$JB_TMP/out
mkdir -p "$O" "$JB_TMP/fx"

# ---- journals from the fixtures (the large ones are generated now, not kept in the repository)
for c in $SMALL; do cp "$JB_FIXTURES/$c.export" "$JB_TMP/fx/"; done
python3 "$JB_FIXTURES/make-fixtures.py" --large "$JB_TMP/fx" || jb_bail_out "make-fixtures.py --large failed"
for c in $CASES; do
    jb_export_to_journal "$JB_TMP/fx/$c.export" "$JB_TMP/j/$c" || jb_bail_out "cannot build the journal of $c"
done

# normalize < output: record ids and runs of 64 or more 'x' (the padding of long lines).
normalize() {
    sed -E 's/(\[jbridge@[0-9]+ id=")[0-9a-f]{16}"/\1RECORD-ID"/' | perl -pe 's/(x{64,})/"<" . length($1) . " x>"/ge'
}

# jbr NAME ARGS...: run jbridge with --app-out O/NAME.app --audit-out O/NAME.audit. Sets RC.
jbr() {
    local name=$1
    shift
    RC=0
    "$JBRIDGE" "$@" --app-out "$O/$name.app" --audit-out "$O/$name.audit" 2>"$O/$name.err" </dev/null || RC=$?
    if [ "$RC" -ne 0 ]; then jb_diag "jbridge $* exited $RC: $(cat "$O/$name.err")"; fi
}

lines() { wc -l <"$1" | tr -d ' '; }

# check_lines NAME STREAM FILE: every line is one RFC 5424 record of that stream with exactly one
# well-formed record id.
check_lines() {
    local name=$1 stream=$2 f=$3 bad
    bad=$(LC_ALL=C grep -a -v -E "^<[0-9]{1,3}>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z [!-~]{1,255} [!-~]{1,48} [!-~]{1,128} $stream \[container@[0-9]+ [^]]*\]\[jbridge@[0-9]+ id=\"[0-9a-f]{16}\" stream=\"$stream\"" "$f" | head -n 3)
    if [ -z "$bad" ]; then
        jb_pass "$name: every $stream line is one RFC 5424 record with a 16-hex record id"
    else
        jb_fail "$name: every $stream line is one RFC 5424 record with a 16-hex record id"
        jb_diag "$(printf '%s\n' "$bad" | cut -c1-300)"
    fi
}

# check_ids_unique NAME FILES...: no record id twice.
check_ids_unique() {
    local name=$1 dups
    shift
    dups=$(cat "$@" | LC_ALL=C grep -a -o -E '\[jbridge@[0-9]+ id="[0-9a-f]{16}"' | sort | uniq -d)
    if [ -z "$dups" ]; then
        jb_pass "$name: record ids are unique"
    else
        jb_fail "$name: record ids are unique"
        jb_diag "repeated: $dups"
    fi
}

# no_controls NAME FILES...: no control character but the newline that ends each record.
no_controls() {
    local name=$1 n
    shift
    n=$(cat "$@" | LC_ALL=C tr -d '\n' | LC_ALL=C tr -cd '\000-\037\177' | wc -c)
    jb_is "$n" 0 "$name: no raw control character in the output"
}

# ---- every case against its expected output, from -D DIR and from --file FILE
for c in $CASES; do
    jbr "$c" -D "$JB_TMP/j/$c"
    jb_is "$RC" 0 "$c: -D exits 0"
    for s in app audit; do
        normalize <"$O/$c.$s" >"$O/$c.$s.norm"
        if [ -n "${JB_REGENERATE:-}" ]; then
            mkdir -p "$EXPECTED"
            cp "$O/$c.$s.norm" "$EXPECTED/$c.$s"
        fi
        jb_files_equal "$O/$c.$s.norm" "$EXPECTED/$c.$s" "$c: $s output as expected"
        [ -s "$O/$c.$s" ] && check_lines "$c" "$s" "$O/$c.$s"
    done
    check_ids_unique "$c" "$O/$c.app" "$O/$c.audit"
    no_controls "$c" "$O/$c.app" "$O/$c.audit"

    jbr "$c-file" --file "$JB_TMP/j/$c/x.journal"
    if [ "$RC" -eq 0 ] && cmp -s "$O/$c.app" "$O/$c-file.app" && cmp -s "$O/$c.audit" "$O/$c-file.audit"; then
        jb_pass "$c: --file gives the same output as -D"
    else
        jb_fail "$c: --file gives the same output as -D"
    fi
done

# ---- --all: entries that are not Docker's
jbr non-container-all -D "$JB_TMP/j/non-container" --all
for s in app audit; do
    normalize <"$O/non-container-all.$s" >"$O/non-container-all.$s.norm"
    [ -n "${JB_REGENERATE:-}" ] && cp "$O/non-container-all.$s.norm" "$EXPECTED/non-container-all.$s"
    jb_files_equal "$O/non-container-all.$s.norm" "$EXPECTED/non-container-all.$s" "non-container --all: $s output as expected"
done
jb_ok "non-container: no host entry without --all" test "$(cat "$O/non-container.app" "$O/non-container.audit" | grep -c -v ' ptfe_atlas ')" = 0
jb_is "$(cat "$O/non-container-all.app" "$O/non-container-all.audit" | wc -l | tr -d ' ')" 6 "non-container --all: all 6 entries"

# ---- split lines: one audit record each, nothing leaked into the application stream
jb_is "$(grep -c 'line="reassembled" pieces="3"' "$O/split.audit")" 2 "split: both 40 KiB audit lines arrive as ONE audit line each, line=\"reassembled\" pieces=\"3\""
jb_is "$(grep -c 'audit="malformed"' "$O/split.audit")" 0 "split: the reassembled audit JSON parses"
jb_ok "split: the new-form line is complete" grep -q '"resource_id":"run-split-new".*"pad":"<40748 x>"}$' "$O/split.audit.norm"
jb_ok "split: the old-form line is complete" grep -q '"resource_id":"run-split-old".*"pad":"<40749 x>"}$' "$O/split.audit.norm"
jb_is "$(grep -c 'xxxxxxxx' "$O/split.app")" 0 "split: no piece leaks into the application stream"
jb_is "$(lines "$O/split.app")" 7 "split: the 7 interleaved lines of other containers and streams are application records"

# ---- a 100 KiB line (over sd-journal's default data threshold) arrives whole
jb_ok "long: the 100 KiB line is complete" grep -q 'a very long line: <102341 x> end$' "$O/long.app.norm"
jb_is "$(grep -c 'line=' "$O/long.app")" 0 "long: a single entry is not flagged as split"

# ---- hostile bytes
jb_ok "binary: the NUL line is present and escaped" grep -q -a ' before#000after NUL$' "$O/binary.app"
jb_ok "binary: the invalid UTF-8 line is present" grep -q -a 'invalid utf-8: caf' "$O/binary.app"
# two app records: the fake header line, and the line whose marker follows a newline (not at the
# line start: application text since issue 15)
jb_is "$(lines "$O/newlines.app")" 2 "newlines: a message with newlines stays one line"
jb_ok "newlines: the fake header stays inside the line" grep -q 'first line#012<13>1 2020-01-01T00:00:00.000000Z fakehost fakeapp - - - forged record#012third line$' "$O/newlines.app"
jb_is "$(cat "$O"/*.app "$O"/*.audit | grep -a -c -v '^<[0-9]*>1 ')" 0 "no output line starts with anything but a record header"
jb_ok "newlines: a newline in an audit value is escaped in the structured data" grep -q 'actor="eve#012<13>1 2020' "$O/newlines.audit"
jb_ok "tty: the trailing CR is gone" grep -q 'GET /api/v2/ping status=200$' "$O/tty.app"

# ---- filters
count_all() { cat "$O/$1.app" "$O/$1.audit" | wc -l | tr -d ' '; }
names() { cat "$O/$1.app" "$O/$1.audit" | awk '{print $4}' | sort -u | tr '\n' ' ' | sed 's/ $//'; }
CJ=$JB_TMP/j/containers

jbr f1 -D "$CJ" --container ptfe_nginx
jb_is "$(count_all f1)/$(names f1)" "2/ptfe_nginx" "--container NAME keeps that container only"
jbr f2 -D "$CJ" --container 'ptfe_a*'
jb_is "$(lines "$O/f2.app")/$(lines "$O/f2.audit")/$(names f2)" "2/3/ptfe_atlas" "--container GLOB"
jbr f3 -D "$CJ" --container ptfe_nginx --container ptfe_redis
jb_is "$(count_all f3)/$(names f3)" "3/ptfe_nginx ptfe_redis" "--container twice: either may match"
jbr f4 -D "$CJ" --image 'redis:*'
jb_is "$(count_all f4)/$(names f4)" "1/ptfe_redis" "--image GLOB"
jbr f5 -D "$CJ" --container ptfe_atlas --image 'redis:*'
jb_is "$(count_all f5)" 0 "--container and --image combine with AND"
jbr f6 -D "$CJ" --match CONTAINER_NAME=ptfe_redis
jb_is "$(count_all f6)/$(names f6)" "1/ptfe_redis" "--match FIELD=VALUE"
jbr f7 -D "$CJ" --match PRIORITY=3
jb_is "$(count_all f7)" 3 "--match PRIORITY=3: the stderr lines"
jb_is "$(cat "$O/f7.app" "$O/f7.audit" | grep -c -v -E '^<(11|107)>')" 0 "--match PRIORITY=3: only severity 3"
jbr f8 -D "$CJ" --match PRIORITY=3 --match CONTAINER_NAME=ptfe_nginx
jb_is "$(count_all f8)/$(names f8)" "1/ptfe_nginx" "--match on two fields: all must match"
jbr f9 -D "$CJ" --match CONTAINER_NAME=ptfe_nginx --match CONTAINER_NAME=ptfe_redis
jb_is "$(count_all f9)" 3 "--match twice on one field: any may match"
jbr f10 -D "$JB_TMP/j/non-container" --all --container ptfe_atlas
jb_is "$(count_all f10)/$(names f10)" "1/ptfe_atlas" "--all with --container: host entries do not pass the container filter"
jbr f11 -D "$JB_TMP/j/non-container" --match SYSLOG_IDENTIFIER=sshd
jb_is "$(count_all f11)" 0 "--match on a host service without --all: nothing"
jbr f12 -D "$JB_TMP/j/non-container" --match SYSLOG_IDENTIFIER=sshd --all
jb_is "$(count_all f12)/$(names f12)" "1/sshd" "--match on a host service with --all"

# ---- options that shape the output
jbr m1 -D "$JB_TMP/j/audit-mention" --marker '[audit log]'
jb_is "$(lines "$O/m1.app")/$(lines "$O/m1.audit")" "4/1" "--marker replaces the default marker"
jb_ok "--marker: the line with the custom marker is a complete audit record" grep -q 'actor="leo"' "$O/m1.audit"
jbr m2 -D "$CJ" --marker '[Audit Log]' --marker '[ActionController]'
jb_is "$(lines "$O/m2.audit")" 4 "--marker twice: both markers are recognized"

jbr p1 -D "$CJ" --sd-pen 12345
jb_is "$(cat "$O/p1.app" "$O/p1.audit" | grep -c '@32473')/$(grep -c '\[container@12345 .*\]\[jbridge@12345 .*\]\[audit@12345 ' "$O/p1.audit")" "0/3" "--sd-pen sets the enterprise number of every SD-ID"

jbr fa -D "$CJ" --facility-app 16 --facility-audit 4
jb_is "$(sed 's/>.*/>/' "$O/fa.app" | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')" "<131>x2 <134>x3 " "--facility-app: PRI of application records"
jb_is "$(sed 's/>.*/>/' "$O/fa.audit" | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')" "<35>x1 <38>x2 " "--facility-audit: PRI of audit records"

# Outputs are opened for append.
jbr ap -D "$CJ"
jbr ap -D "$CJ"
jb_is "$(lines "$O/ap.app")/$(lines "$O/ap.audit")" "10/6" "outputs are appended to"

# --max-line cuts a split line: no byte is lost and every record keeps its own id.
jbr ml -D "$JB_TMP/j/split" --max-line 20000
jb_is "$(cat "$O/ml.app" "$O/ml.audit" | perl -ne '$n += length($1) while /(x{10,})/g; END { print $n + 0 }')" $((40748 + 40749)) "--max-line: every byte of the cut lines arrives"
jb_ok "--max-line: records over the limit are flagged overflow" grep -q 'line="overflow"' "$O/ml.audit"
check_ids_unique "--max-line" "$O/ml.app" "$O/ml.audit"

# --tail without a state: nothing of the past.
jbr t1 -D "$CJ" --tail
jb_is "$RC/$(count_all t1)" "0/0" "--tail without a state starts at the end"

# --state in one-shot mode: resume after the last record, nothing twice.
S=$JB_TMP/state
cp -r "$CJ" "$JB_TMP/j/resume"
jbr s1 -D "$JB_TMP/j/resume" --state "$S"
jb_is "$RC/$(count_all s1)" "0/8" "--state: the first run reads everything"
jb_is "$(stat -c %a "$S" 2>/dev/null)" 600 "--state: the state file has mode 0600"
jbr s2 -D "$JB_TMP/j/resume" --state "$S"
jb_is "$RC/$(count_all s2)" "0/0" "--state: a second run finds nothing new"
jb_export_to_journal "$JB_TMP/fx/tty.export" "$JB_TMP/j/resume"
jbr s3 -D "$JB_TMP/j/resume" --state "$S"
jb_is "$RC/$(count_all s3)" "0/3" "--state: a run after new entries reads only those"
jbr s4 -D "$JB_TMP/j/resume" --state "$S" --tail
jb_is "$RC/$(count_all s4)" "0/0" "--state wins over --tail"

jb_done
