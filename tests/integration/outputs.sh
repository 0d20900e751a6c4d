#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Outputs only ever hold whole records (issue 18). On a full file system (a 64 KiB tmpfs) a file
# output is cut back to its last whole record and names its path; standard output redirected to a
# file (never cut back) leaves at most one half line, and the next run begins on a fresh line so
# no record is swallowed. Both streams into one file (--app-out X --audit-out X, /dev/stdout
# beside -) share one writer: thousands of interleaved records, none spliced.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_reexec_private_ns "$@"
jb_setup "$JBRIDGE" "$JOURNAL_REMOTE"
T=$JB_TMP

# 3,000 entries, app and audit in turn, long enough that buffers fill mid-stream
python3 - >"$T/mix.export" <<'PY'
for i in range(3000):
    audit = i % 2 == 1
    pad = "x" * (150 + i % 200)
    if audit:
        msg = '2018-03-27 21:55:29 [INFO] [Audit Log] {"resource":"run","action":"apply","resource_id":"run-%d",' \
              '"actor":"alice","timestamp":"2018-03-27T21:55:29Z","actor_ip":"10.0.0.5","pad":"%s"} end-%d' % (i, pad, i)
        name = "ptfe_atlas"
    else:
        msg = "GET /app/%d %s end-%d" % (i, pad, i)
        name = "ptfe_nginx"
    print("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n"
          "_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\nCONTAINER_NAME=%s\n"
          "CONTAINER_ID=faf5e7d81f7a\nSYSLOG_IDENTIFIER=%s\n_HOSTNAME=h\nMESSAGE=%s\n"
          % (1522187729000000 + i, 1000 + i, name, name, msg))
PY
jb_export_to_journal "$T/mix.export" "$T/j" || jb_bail_out "cannot build the journal"
J=(-D "$T/j")

# bad_lines FILE...: lines that are not exactly one whole record (one "<PRI>1 " at the start, one
# " end-N" at the end)
bad_lines() {
    cat "$@" | awk '!/^<[0-9]+>1 .* end-[0-9]+$/ || gsub(/ end-[0-9]+/, "&") != 1 || gsub(/<[0-9]+>1 /, "&") != 1 { n++ }
        END { print n + 0 }'
}
# ends_nl FILE: empty, or its last byte is a newline
ends_nl() { [ ! -s "$1" ] || [ "$(tail -c1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; }

# ---- one file for both streams: one writer
"$JBRIDGE" "${J[@]}" --app-out "$T/both.log" --audit-out "$T/both.log" </dev/null || jb_fail "jbridge into one file"
jb_is "$(wc -l <"$T/both.log") $(bad_lines "$T/both.log")" "3000 0" "--app-out X --audit-out X: 3000 whole records, none spliced"
"$JBRIDGE" "${J[@]}" --app-out /dev/stdout </dev/null >"$T/stdout.log" || jb_fail "jbridge /dev/stdout beside - (file)"
jb_is "$(wc -l <"$T/stdout.log") $(bad_lines "$T/stdout.log")" "3000 0" "/dev/stdout beside - (a file): none spliced"
"$JBRIDGE" "${J[@]}" --app-out /dev/stdout </dev/null | cat >"$T/pipe.log"
jb_is "$(wc -l <"$T/pipe.log") $(bad_lines "$T/pipe.log")" "3000 0" "/dev/stdout beside - (a pipe): none spliced"
"$JBRIDGE" "${J[@]}" --audit-out /dev/stdout </dev/null | cat >"$T/pipe2.log"
jb_is "$(wc -l <"$T/pipe2.log") $(bad_lines "$T/pipe2.log")" "3000 0" "- beside --audit-out /dev/stdout (a pipe): none spliced"

# ---- a full file system
F=$T/full
mkdir "$F"
mount -t tmpfs -o size=64k tmpfs "$F" || jb_bail_out "cannot mount a tmpfs"
jb_on_cleanup "umount '$F'"
RC=0
"$JBRIDGE" "${J[@]}" --app-out "$F/app.log" --audit-out "$F/audit.log" </dev/null 2>"$T/full.err" || RC=$?
jb_is "$RC" 1 "full file system: exit 1"
jb_ok "full file system: the error names the file" grep -qE "cannot write $F/(app|audit).log: No space left on device" "$T/full.err"
jb_is "$(bad_lines "$F/app.log" "$F/audit.log")" 0 "full file system: both files hold whole records only"
jb_ok "full file system: both files end a line" sh -c "$(declare -f ends_nl); ends_nl '$F/app.log' && ends_nl '$F/audit.log'"
mount -o remount,size=8m "$F"
"$JBRIDGE" "${J[@]}" --app-out "$F/app.log" --audit-out "$F/audit.log" </dev/null 2>/dev/null || jb_fail "jbridge after space was freed"
jb_is "$(bad_lines "$F/app.log" "$F/audit.log")" 0 "the next run appends whole records only"

# standard output redirected to a file is never cut back: at most one half line, and the next run
# begins on a fresh line (no record swallowed)
rm -f "$F"/*
mount -o remount,size=64k "$F"
"$JBRIDGE" "${J[@]}" </dev/null >>"$F/out.log" 2>"$T/out.err"
jb_is "$?" 1 "standard output on a full file system: exit 1"
jb_ok "standard output on a full file system: said so" grep -q "cannot write standard output: No space left on device" "$T/out.err"
n_first=$(grep -c ' end-[0-9]*$' "$F/out.log")
mount -o remount,size=8m "$F"
"$JBRIDGE" "${J[@]}" </dev/null >>"$F/out.log" 2>/dev/null || jb_fail "jbridge >> after space was freed"
jb_ok "standard output: at most one line is not a whole record" test "$(bad_lines "$F/out.log")" -le 1
jb_is "$(awk '/^<[0-9]+>1 .* end-[0-9]+$/ && gsub(/ end-[0-9]+/, "&") == 1 && gsub(/<[0-9]+>1 /, "&") == 1' "$F/out.log" | wc -l)" $((n_first + 3000)) \
    "standard output: the next run's 3000 records are all whole (none swallowed by the half line)"

# a bundle's run-time write errors name their path: the spool (TMPDIR) and the archive
rm -f "$F"/*
mount -o remount,size=64k "$F"
RC=0
TMPDIR=$F "$JBRIDGE" bundle "${J[@]}" --since @0 -o "$T/b.tar.gz" </dev/null 2>"$T/spool.err" || RC=$?
jb_ok "bundle with a full TMPDIR: exit 1 naming the spool directory" \
    test "$RC" -eq 1 -a -n "$(grep -F "cannot spool records in $F (TMPDIR): No space left" "$T/spool.err")"
mount -o remount,size=16k "$F"
RC=0
"$JBRIDGE" bundle "${J[@]}" --since @0 -o "$F/b.tar.gz" </dev/null 2>"$T/archive.err" || RC=$?
jb_ok "bundle onto a full file system: exit 1 naming the archive" \
    test "$RC" -eq 1 -a -n "$(grep -F "$F/b.tar.gz: " "$T/archive.err")"
jb_is "$(ls "$F")" "" "bundle onto a full file system: no temporary archive left"
jb_done
