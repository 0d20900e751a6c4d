#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The README's Quick start on a fresh machine: a debootstrap (minbase) Debian 12 chroot with empty
# package lists, a copy of this tree in /root/jbridge, and the README's two commands run in it as
# root, each timed:
#   examples/demo.sh
#   tests/run.sh
# A package that tests/setup.sh forgets (one that this machine happens to have, or that apt only
# recommends) fails here first. Not part of the test suite: it downloads a Debian system (about
# 100 MB, then the build packages) and runs the whole suite once more, which takes long.
#
# Usage (as root, with network access to the Debian mirror):
#   tests/tools/fresh-debian.sh [--keep] [--demo-only] [DIR]
#     DIR          where the chroot goes (default: a new directory under ${TMPDIR:-/tmp})
#     --keep       leave the chroot in place afterwards (to look into a failure)
#     --demo-only  run only examples/demo.sh (the first command; it installs and builds too)
# Environment: JB_MIRROR (default http://deb.debian.org/debian), JB_SUITE (default bookworm).
# Ends with one line per command: "fresh-debian: COMMAND: exit N in S s"; exits non-zero when a
# command failed. Logs: DIR.logs/demo.log and DIR.logs/run.log, with the suite's build/*.out and
# test-suite.log files beside them (kept after the chroot is removed).
#
# Needs debootstrap (apt-get install debootstrap) and unshare (util-linux). The chroot runs in a
# private mount namespace, so its /proc, /sys and /dev mounts disappear with the script.
set -eu

keep=0 demo_only=0 dir=
for a in "$@"; do
    case $a in
    --keep) keep=1 ;;
    --demo-only) demo_only=1 ;;
    -h | --help) sed -n '3,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fresh-debian: unknown option $a" >&2; exit 2 ;;
    *) dir=$a ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "fresh-debian: run as root" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh-debian: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }

top=$(cd "$(dirname "$0")/../.." && pwd)
mirror=${JB_MIRROR:-http://deb.debian.org/debian}
suite=${JB_SUITE:-bookworm}
[ -n "$dir" ] || dir=$(mktemp -d "${TMPDIR:-/tmp}/fresh-debian.XXXXXX")
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
logs=$dir.logs
mkdir -p "$logs"

cleanup() {
    if [ "$keep" = 1 ]; then
        echo "fresh-debian: chroot kept in $dir" >&2
    else
        rm -rf --one-file-system "$dir"
    fi
}
trap cleanup EXIT

t0=$(date +%s)
if [ ! -x "$dir/bin/sh" ]; then
    echo "fresh-debian: debootstrap --variant=minbase $suite $dir $mirror" >&2
    if ! debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1; then
        tail -n 20 "$dir.debootstrap.log" >&2
        echo "fresh-debian: debootstrap failed (is $mirror reachable?)" >&2
        exit 1
    fi
    rm -f "$dir.debootstrap.log"
fi
echo "fresh-debian: debootstrap: $(($(date +%s) - t0)) s" >&2

# What a Debian 12 installation's sources look like (main, updates, security), and no package
# lists at all, as in a container image.
security=${mirror%/debian}/debian-security
case $mirror in */debian) ;; *) security=http://deb.debian.org/debian-security ;; esac
cat >"$dir/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
rm -rf "$dir"/var/lib/apt/lists/*
cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true

# The tree as a clone holds it: the files git knows (tracked, or new and not ignored), without
# builds and without the prepared rsyslog headers.
rm -rf "$dir/root/jbridge"
mkdir -p "$dir/root/jbridge"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$top" && git ls-files -co --exclude-standard | grep -v '^rsyslog-headers' | while IFS= read -r f; do
        [ -e "$f" ] && printf '%s\n' "$f"
    done | tar -cf - -T -) | tar -xf - -C "$dir/root/jbridge"
    # and its history, so that tests/run.sh's dist check (which compares git ls-files with the
    # tarball) sees a checkout
    git clone -q --no-checkout "$top" "$dir/root/jbridge.clone" &&
        mv "$dir/root/jbridge.clone/.git" "$dir/root/jbridge/.git" && rm -rf "$dir/root/jbridge.clone"
else
    tar -C "$top" --exclude='./build*' --exclude=./rsyslog-headers --exclude=./autom4te.cache \
        -cf - . | tar -xf - -C "$dir/root/jbridge"
fi

# run_in COMMAND: the command in the chroot, from the tree, in a private mount namespace with
# /proc, /sys and /dev; its output in DIR.logs/NAME.log.
status=0
summary=
run_in() {
    local cmd=$1 name start rc
    name=$(basename "$cmd" .sh)
    start=$(date +%s)
    echo "fresh-debian: running $cmd (log: $logs/$name.log)" >&2
    set +e
    unshare -m --propagation private /bin/sh -c '
        set -e
        d=$1
        # the chroot'\''s / a mount point of its own, as on a real machine: the tests'\'' own
        # "unshare -m --propagation private" fails (EINVAL) on a root that is not one
        mount --bind "$d" "$d"
        mount -t proc proc "$d/proc"
        mount --rbind /sys "$d/sys"
        mount --rbind /dev "$d/dev"
        mount -t tmpfs tmpfs "$d/run"
        exec chroot "$d" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            /bin/sh -c "cd /root/jbridge && $2"' sh "$dir" "$cmd" >"$logs/$name.log" 2>&1
    rc=$?
    set -e
    # what the suite left for a failure's diagnosis (build/*.out, every test-suite.log), kept with
    # the logs: the chroot goes at the end
    (cd "$dir/root/jbridge" && find build* -maxdepth 1 -name '*.out' 2>/dev/null
        find build* -name test-suite.log 2>/dev/null) | while IFS= read -r f; do
        cp "$dir/root/jbridge/$f" "$logs/$name.$(printf '%s' "$f" | tr / _)" 2>/dev/null || true
    done
    summary="${summary}fresh-debian: $cmd: exit $rc in $(($(date +%s) - start)) s
"
    if [ "$rc" != 0 ]; then
        status=1
        tail -n 30 "$logs/$name.log" >&2
    fi
    return "$rc"
}

run_in examples/demo.sh || true
if [ "$demo_only" = 0 ]; then
    run_in tests/run.sh || true
    tail -n 1 "$logs/run.log" >&2
fi
printf '%s' "$summary"
exit "$status"
