#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The README's Quick start demo runs: examples/demo.sh --no-setup against this build (a private
# journald, Debian's rsyslogd with imjbridge and examples/tfe-local.conf), within 60 s, and both
# files it prints hold records of their stream.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
jb_need_root
jb_need_program "$JB_WRITE"
jb_need_program "${JB_RSYSLOG_MODULES:-$JB_BUILDDIR/.libs}/imjbridge.so"
jb_mktemp
trap jb_cleanup EXIT

start=$(date +%s)
rc=0
JB_BUILD_DIR=$JB_BUILDDIR timeout 60 "$JB_SRCDIR/examples/demo.sh" --no-setup >"$JB_TMP/out" 2>"$JB_TMP/err" || rc=$?
took=$(($(date +%s) - start))
jb_is "$rc" 0 "examples/demo.sh --no-setup exits 0 (in ${took} s)"
[ "$rc" -eq 0 ] || jb_diag "$(tail -n 30 "$JB_TMP/err")"
# section SECTION-TITLE-PATTERN: the lines after that header up to the next blank line
section() { awk -v p="$1" 'index($0, p) == 1 { on = 1; next } on && /^$/ { exit } on' "$JB_TMP/out"; }
app=$(section '== rsyslogd with imjbridge (examples/tfe-local.conf): application')
audit=$(section '== rsyslogd with imjbridge (examples/tfe-local.conf): audit')
jb_ok "the demo prints rsyslogd's application file, with application records" \
    sh -c '[ -n "$1" ] && ! printf "%s\n" "$1" | grep -v " app \[container@32473 " | grep -q .' _ "$app"
jb_ok "the demo prints rsyslogd's audit file, with audit records" \
    sh -c '[ -n "$1" ] && ! printf "%s\n" "$1" | grep -v " audit \[container@32473 " | grep -q .' _ "$audit"
jb_ok "the audit file holds the wrapped (terraform-enterprise) audit record" \
    sh -c 'printf "%s\n" "$1" | grep -q "terraform-enterprise .*actor=\"carol\""' _ "$audit"
jb_is "$(printf '%s\n' "$app" | wc -l) $(printf '%s\n' "$audit" | wc -l)" "5 4" "the sample's 5 application and 4 audit records"
jb_done
