#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Quick start demo. As root on a fresh Debian 12:
#
#     examples/demo.sh
#
# installs and builds everything (tests/setup.sh), starts a private systemd-journald in a private
# mount namespace (nothing reaches the host's journal or mounts), writes a sample of Terraform
# Enterprise container traffic through Docker's journald fields (tests/tools/jb-write --demo),
# runs jbridge over it and prints the application and the audit output. It leaves nothing behind.
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

for p in "$JBRIDGE" "$JB_WRITE"; do
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

"$JBRIDGE" --app-out "$JB_TMP/app.log" --audit-out "$JB_TMP/audit.log"

echo "== Application records: jbridge --app-out $JB_TMP/app.log"
cat "$JB_TMP/app.log"
echo
echo "== Audit records: jbridge --audit-out $JB_TMP/audit.log"
cat "$JB_TMP/audit.log"
echo
echo "(The host service's line (cron) is not there: by default jbridge keeps containers' entries only; --all keeps every entry.)"
