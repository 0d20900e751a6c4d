#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 15, attacks 1 and 2, run as the attacker would: a local user (nobody, through setpriv)
# writes to a real journald (private mount namespace) entries that carry a container's fields:
#   (a) a forged ptfe_atlas audit line with the container's ids and image and a back-dated
#       SYSLOG_TIMESTAMP;
#   (b) a forged CONTAINER_PARTIAL_MESSAGE=true piece with the genuine container's full id, holding
#       a complete forged audit line, followed by the genuine container's lines;
#   (c) a flood of forged first pieces (1000, each 16 KiB, each under its own container id) while
#       a genuine 40 KiB audit line is being reassembled.
# Checked with jbridge one-shot (flag and drop) and --follow: nothing forged reaches the audit
# stream, every genuine audit line arrives whole in it, the forged entries are in the application
# stream flagged trust="untrusted" uid="65534" comm="python3" (or are dropped with --untrusted
# drop). Needs root.
#
# The writers: the forger is python3 run as nobody, speaking journald's native protocol itself
# (any local user can). The genuine "Docker" of (a) and (b) is jb-write run as root under the
# name dockerd (lib.sh, jb_trusted_writer): the defaults trust it as they trust Docker. The
# genuine writer of (c) must send its pieces in three steps around the flood, so it is python3 as
# root, trusted with --trust uid=0,comm=python3 (a setting the forger cannot satisfy: journald
# records its uid 65534).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_live_setup "$JBRIDGE" "$JB_WRITE" /usr/bin/python3 "$(command -v setpriv || echo setpriv)" -- "$@"

T=$JB_TMP
BRIDGE=
jb_on_cleanup '[ -z "$BRIDGE" ] || { kill -TERM "$BRIDGE" 2>/dev/null; jb_wait_pid_exit "$BRIDGE" 10; }'
TRUST=(--trust uid=0,comm=python3)

# shellcheck source=tests/integration/trust-lib.sh
. "$(dirname "$0")/trust-lib.sh"

# a jbridge following from the start (the --follow check), started before anything is forged
start_follower() {
    "$JBRIDGE" --follow "${TRUST[@]}" --app-out "$T/f-app.log" --audit-out "$T/f-audit.log" 2>"$T/f.err" </dev/null &
    BRIDGE=$!
}
trust_write_attacks start_follower

# ---- one-shot
"$JBRIDGE" "${TRUST[@]}" --app-out "$T/app.log" --audit-out "$T/audit.log" 2>"$T/err"
jb_is "$?" 0 "one-shot: exit 0"
trust_check "one-shot" "$T/app.log" "$T/audit.log" flag

"$JBRIDGE" "${TRUST[@]}" --untrusted drop --app-out "$T/d-app.log" --audit-out "$T/d-audit.log" 2>"$T/err"
jb_is "$?" 0 "one-shot, --untrusted drop: exit 0"
trust_check "one-shot, --untrusted drop" "$T/d-app.log" "$T/d-audit.log" drop

# Without --trust for it the genuine python3 writer is a stranger too: its line is flagged, not audit.
"$JBRIDGE" --app-out "$T/n-app.log" --audit-out "$T/n-audit.log" 2>"$T/err"
jb_is "$(grep -c -E 'seq="g2-1"' "$T/n-audit.log")" 0 "defaults: a root python3 is not a trusted writer"
jb_is "$(grep -c -E 'seq="g[013]-[0-9]+"' "$T/n-audit.log")" 4 "defaults: dockerd as root is (rootful Docker)"

# ---- --follow: the same, live; then its memory
# the last genuine line, and the forged pieces still pending once they time out (5 s)
if jb_wait_for '[ "$(grep -c "seq=\"g3-1\"" "$T/f-audit.log" 2>/dev/null)" -ge 1 ] &&
    [ "$(grep -c forged-c- "$T/f-app.log" 2>/dev/null)" -ge 1000 ]' 30; then
    jb_pass "follow: every record arrived"
else
    jb_fail "follow: every record arrived"
fi
RSS=$(awk '/^RssAnon:/ {print $2}' "/proc/$BRIDGE/status")
HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$BRIDGE/status")
jb_diag "follow after the flood: RssAnon ${RSS} kB, VmHWM ${HWM} kB (1000 forged 16 KiB pieces, max-pending 32)"
jb_ok "follow: RssAnon stays under 40 MiB (bound: 34 pending lines of 1 MiB)" test "${RSS:-999999}" -lt 40960
kill -TERM "$BRIDGE"
jb_wait_pid_exit "$BRIDGE" 20
BRIDGE=
trust_check "follow" "$T/f-app.log" "$T/f-audit.log" flag

jb_done
