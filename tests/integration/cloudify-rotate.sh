#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# examples/cloudify.conf's size rotations keep the outputs' modes (issue 18): Debian's rsyslogd
# with imfile and the built mmjbridge, rotation.sizeLimit lowered from 100m to 8k, and
# examples/rotate-keep7.sh as the rotation command. REST audit lines and service lines are written
# until the audit output has been rotated at least three times; then audit.log and every
# audit.log.N must still be 0600 (fileCreateMode="0600") and app.log 0640, with rsyslogd's umask
# at 022. (rsyslog 8.2302's omfile reopens a file after its size rotation with the legacy
# $FileCreateMode, 0644 by default, not with the action's fileCreateMode: the rotation command
# creates the new file with the mode and owner of the one it rotated.) Then every line written is
# in the outputs exactly once.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"
jb_setup "$RSYSLOGD" "$JB_RSYSLOG_MODULES/mmjbridge.so"
T=$JB_TMP
IN=$T/var/log/cloudify
OUT=$T/var/log/cloudify-syslog
mkdir -p "$T/work" "$OUT" "$IN/rest"
: >"$IN/rest/audit.log"
: >"$IN/rest/cloudify-rest-service.log"

conf=$T/rsyslog.conf
{
    echo "global(workDirectory=\"$T/work\")"
    sed -e "s|/var/log/cloudify/|$IN/|g" -e "s|/var/log/cloudify-syslog|$OUT|g" \
        -e "s|module(load=\"mmjbridge\")|module(load=\"$JB_RSYSLOG_MODULES/mmjbridge.so\")|" \
        -e "s|/usr/local/bin/jbridge-rotate-keep7|$JB_SRCDIR/examples/rotate-keep7.sh|g" \
        -e 's|rotation.sizeLimit="100m"|rotation.sizeLimit="8k"|g' \
        "$JB_SRCDIR/examples/cloudify.conf"
} >"$conf"
jb_is "$(grep -c 'rotation.sizeLimit="8k"' "$conf")" 2 "the example's two size rotations, lowered to 8k"
"$RSYSLOGD" -N1 -f "$conf" >"$T/n1.log" 2>&1 || jb_bail_out "rsyslogd -N1: $(cat "$T/n1.log")"

(umask 022 && exec "$RSYSLOGD" -n -f "$conf" -i "$T/rsyslogd.pid") >"$T/rsyslogd.log" 2>&1 &
RS_PID=$!
jb_on_cleanup "kill -TERM $RS_PID 2>/dev/null"

# Batches of 40 REST audit lines (gunicorn's access-log shape) and 40 service lines until
# audit.log.3 exists (each audit record is about 700 bytes of JSON in the output).
n=0
batch=0
while [ ! -e "$OUT/audit.log.3" ] && [ "$batch" -lt 20 ]; do
    batch=$((batch + 1))
    for _ in $(seq 1 40); do
        n=$((n + 1))
        printf '[27/Mar/2018:21:55:%02d +0000] 10.0.0.%d admin default_tenant token "GET /api/v3.1/blueprints?n=%d HTTP/1.1" 200 512 "cfy" took %dms\n' \
            $((n % 60)) $((n % 250)) "$n" $((n % 97)) >>"$IN/rest/audit.log"
        printf '2018-03-27 21:55:29,%03d INFO service line %d\n' $((n % 1000)) "$n" >>"$IN/rest/cloudify-rest-service.log"
    done
    jb_wait_for "[ \$(cat $OUT/audit.log* 2>/dev/null | wc -l) -ge $n ] && [ \$(cat $OUT/app.log* 2>/dev/null | wc -l) -ge $n ]" 30 ||
        jb_diag "batch $batch: not everything arrived"
done
kill -TERM "$RS_PID"
jb_wait_pid_exit "$RS_PID" 20 || kill -KILL "$RS_PID"

ls -l "$OUT" >"$T/ls.log"
rotated=$(find "$OUT" -maxdepth 1 -name 'audit.log.[0-9]*' | wc -l)
[ "$rotated" -ge 3 ]
jb_is "$?" 0 "the audit output was rotated at least 3 times ($rotated rotated files, $n lines)"
modes() { # FILE...: "NAME MODE" for each
    local f
    for f in "$@"; do [ -e "$f" ] && printf '%s %s\n' "${f##*/}" "$(stat -c %a "$f")"; done
}
bad=$(modes "$OUT"/audit.log* | grep -v ' 600$')
jb_is "$bad" "" "audit.log and every rotated audit.log.N are 0600 after $rotated rotations"
jb_is "$(modes "$OUT/audit.log")" "audit.log 600" "the current audit.log, created after the last rotation, is 0600"
app_rotated=$(find "$OUT" -maxdepth 1 -name 'app.log.[0-9]*' | wc -l)
bad=$(modes "$OUT"/app.log* | grep -v ' 640$')
jb_is "$bad" "" "app.log and every rotated app.log.N are 0640 after $app_rotated rotations"
[ -n "$bad" ] && jb_diag "$(cat "$T/ls.log")"

jb_is "$(cat "$OUT"/audit.log* | grep -o 'blueprints?n=[0-9]*' | sort -u | wc -l) $(cat "$OUT"/audit.log* | wc -l)" "$n $n" \
    "every audit line in the audit outputs exactly once"
jb_is "$(cat "$OUT"/app.log* | grep -o 'service line [0-9]*$' | sort -u | wc -l) $(cat "$OUT"/app.log* | wc -l)" "$n $n" \
    "every service line in the app outputs exactly once"
jb_ok "rsyslogd logged no error" sh -c "! grep -i 'error' '$T/rsyslogd.log'"
jb_done
