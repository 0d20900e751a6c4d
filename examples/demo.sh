#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Quick start demo. As root on a fresh Debian 12:
#
#     examples/demo.sh
#
# installs and builds everything (tests/setup.sh), starts a private systemd-journald in a private
# mount namespace (nothing reaches the host's journal or mounts), writes a sample of Terraform
# Enterprise container traffic through Docker's journald fields (tests/tools/jb-write --demo),
# then runs Debian's rsyslogd loading the built imjbridge with examples/tfe-local.conf (its paths
# pointed at a temporary directory) and prints the two files it writes: application and audit.
# A second part runs the jbridge command over the same journal. It leaves nothing behind.
#
# --no-setup skips tests/setup.sh (the tree is built already). JB_BUILD_DIR: the build directory
# (default: build/ in the source tree, where tests/setup.sh builds).

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

if [ -z "${JB_PRIVATE_NS:-}" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "demo: run me as root (I start a private systemd-journald in a mount namespace)" >&2
        exit 1
    fi
    if [ "${1:-}" != "--no-setup" ]; then
        "$top/tests/setup.sh"
    fi
fi

export JB_SRCDIR=$top
export JB_BUILDDIR=${JB_BUILD_DIR:-$top/build}
# shellcheck source=tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
set -e
jb_reexec_private_ns "$@"

# shellcheck source=tests/integration/rsyslog-lib.sh
. "$top/tests/integration/rsyslog-lib.sh"
for p in "$JBRIDGE" "$JB_WRITE" "$RSYSLOGD" "$JB_RSYSLOG_MODULES/imjbridge.so"; do
    if [ ! -x "$p" ]; then
        echo "demo: $p is missing: run tests/setup.sh (or set JB_BUILD_DIR)" >&2
        exit 1
    fi
done

JB_TMP=$(mktemp -d /tmp/jbridge-demo.XXXXXX)
trap jb_cleanup EXIT
jb_start_journald

"$JB_WRITE" --demo 2>/dev/null
# The sample ends with a host service's line: once journald has it, it has everything before it.
# shellcheck disable=SC2016 # evaluated by jb_wait_for
if ! jb_wait_for '[ "$(jb_journal_count SYSLOG_IDENTIFIER=cron)" -ge 1 ]' 10; then
    echo "demo: journald did not store the sample" >&2
    exit 1
fi

echo "== What the containers wrote (journalctl -o short-iso, the private journal)"
journalctl --no-pager -o short-iso
echo

# What the jbridge command makes of it: the reference the rsyslog part waits for.
"$JBRIDGE" --app-out "$JB_TMP/app.log" --audit-out "$JB_TMP/audit.log"
want=$(cat "$JB_TMP/app.log" "$JB_TMP/audit.log" | wc -l)

# Debian's rsyslogd with the built imjbridge and examples/tfe-local.conf, its files put here.
mkdir -p "$JB_TMP/rsyslog/work"
jb_example_conf "$top/examples/tfe-local.conf" "$JB_TMP/rsyslog/work" /nonexistent \
    "s|/var/log/tfe/|$JB_TMP/rsyslog/|g" >"$JB_TMP/rsyslog/rsyslog.conf"
jb_rsyslogd_start rsyslogd "$JB_TMP/rsyslog/rsyslog.conf"
# shellcheck disable=SC2016 # evaluated by jb_wait_for
if ! jb_wait_for '[ "$(cat "$JB_TMP/rsyslog/app.log" "$JB_TMP/rsyslog/audit.log" 2>/dev/null | wc -l)" -ge "$want" ]' 20; then
    echo "demo: rsyslogd did not write every record in 20 s:" >&2
    cat "$JB_TMP/rsyslogd.log" >&2
    exit 1
fi
kill -TERM "$RS_PID"
jb_wait_pid_exit "$RS_PID" 20 || kill -KILL "$RS_PID"

echo "== rsyslogd with imjbridge (examples/tfe-local.conf): application records, /var/log/tfe/app.log"
cat "$JB_TMP/rsyslog/app.log"
echo
echo "== rsyslogd with imjbridge (examples/tfe-local.conf): audit records, /var/log/tfe/audit.log"
cat "$JB_TMP/rsyslog/audit.log"
echo
echo "== The same with the jbridge command: jbridge --app-out app.log --audit-out audit.log"
echo "-- app.log"
cat "$JB_TMP/app.log"
echo "-- audit.log"
cat "$JB_TMP/audit.log"
echo
echo "(The host service's line (cron) is in neither: imjbridge and jbridge keep containers' entries only"
echo " by default; allEntries=\"on\" / --all keeps every entry.)"
