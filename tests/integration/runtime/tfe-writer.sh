#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# What the TFE-like containers of tests/integration/docker.sh and podman.sh write (issue 17). Run
# inside a busybox container; the test runs it outside too (EXPECT=1) to know what each reader must
# deliver: "NAME|SEVERITY|LINE" per line (severity 6 stdout, 3 stderr), in any order.
# Usage: tfe-writer.sh NAME KIND [N]
name=$1 kind=$2 n=${3:-200}
pad() { head -c "$1" /dev/zero | tr '\0' "$2"; }
out() { # out SEV TEXT...: one line on stdout (6) or stderr (3)
    sev=$1
    shift
    if [ -n "${EXPECT:-}" ]; then
        printf '%s|%s|%s\n' "$name" "$sev" "$*"
    elif [ "$sev" = 3 ]; then
        printf '%s\n' "$*" >&2
    else
        printf '%s\n' "$*"
    fi
}
case $kind in
audit) # split audit lines of 40 KiB among application lines, both streams
    i=1
    while [ "$i" -le "$n" ]; do
        if [ $((i % 10)) -eq 0 ]; then
            out 6 "2026-12-03 12:00:00 [INFO] [Audit Log] {\"resource\":\"run\",\"action\":\"apply\",\"resource_id\":\"run-$i\",\"actor\":\"user-$name\",\"actor_ip\":\"10.0.0.1\",\"timestamp\":\"2026-12-03T12:00:00Z\",\"pad\":\"$(pad 40960 A)\"}"
        elif [ $((i % 7)) -eq 0 ]; then
            out 3 "2026-12-03 12:00:00 [ERROR] $name error line $i"
        else
            out 6 "2026-12-03 12:00:00 [INFO] $name line $i"
        fi
        i=$((i + 1))
    done
    ;;
boundary) # lengths that are multiples of 16384, a CR on the 16 KiB boundary, an empty line
    out 6 "$(pad 16384 X)"
    out 6 "$(pad 32768 Y)"
    out 6 "$(pad 16383 R)$(printf '\r')$(pad 100 S)"
    out 6 ""
    out 3 "$(pad 16383 E)$(printf '\r')tail on stderr"
    out 6 "$name done"
    ;;
tty) # run with -t: every line ends in \r\n
    i=1
    while [ "$i" -le "$n" ]; do
        out 6 "$name tty line $i"
        i=$((i + 1))
    done
    ;;
unterminated) # the last output has no newline (the container exits)
    out 6 "$name first line"
    if [ -n "${EXPECT:-}" ]; then out 6 "$name last words without a newline"; else printf '%s' "$name last words without a newline"; fi
    ;;
crash) # killed mid-line
    out 6 "$name before the crash"
    if [ -n "${EXPECT:-}" ]; then
        out 6 "$name half a li"
    else
        # a child, not PID 1 (which the kernel shields from SIGKILL sent inside the container)
        # (the shell's own "Killed" report would be a line on stderr)
        exec 2>/dev/null
        sh -c 'printf "%s" "$1"; kill -9 $$' crash "$name half a li"
        exit $?
    fi
    ;;
fast) # a fast writer, both streams
    i=1
    while [ "$i" -le "$n" ]; do
        out $((i % 3 == 0 ? 3 : 6)) "$name fast $i"
        i=$((i + 1))
    done
    ;;
esac
