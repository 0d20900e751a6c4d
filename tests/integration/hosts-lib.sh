# SPDX-License-Identifier: Apache-2.0
# Helpers of the tests of a store of many hosts read per host (issue 19), sourced after lib.sh:
# systemd-journal-remote stores of many hosts, and the check that every host's entries came out
# once each and in order.

# hosts_store DIR SPEC...: add entries to the store DIR, one systemd-journal-remote run per host
# (two at a time). SPEC is HOST:FIRST:COUNT[:FILE]: entries FIRST..FIRST+COUNT-1 of HOST, whose
# MESSAGE is "HOST K" (container "web", its id hosts_cid HOST), appended to DIR/FILE (default
# remote-HOST.journal). Receive times grow with K (K milliseconds after a fixed start, plus the
# host's number in microseconds), as a store of hosts that log at once has them.
hosts_store() {
    local dir=$1
    shift
    mkdir -p "$dir" "$dir.export"
    python3 - "$dir" "$@" <<'PY' || return 1
import hashlib, sys
d = sys.argv[1]
def hosts_cid(host):  # each host's container has an id of its own, as on real hosts
    return hashlib.md5(host.encode()).hexdigest()[:12]
for n, spec in enumerate(sys.argv[2:]):
    host, first, count, *f = spec.split(":")
    with open("%s.export/%s" % (d, f[0] if f else "remote-%s.journal" % host), "w") as out:
        for k in range(int(first), int(first) + int(count)):
            rt = 1700000000000000 + k * 1000 + n
            out.write("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n"
                      "_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n_EXE=/usr/bin/dockerd\n_HOSTNAME=%s\n"
                      "CONTAINER_NAME=web\nCONTAINER_ID=%s\nSYSLOG_IDENTIFIER=web\nPRIORITY=6\n"
                      "MESSAGE=%s %d\n\n" % (rt, 1000 + k, host, hosts_cid(host), host, k))
PY
    (cd "$dir.export" && ls) | xargs -P 2 -I{} sh -c \
        "'$JOURNAL_REMOTE' -o '$dir/{}' - <'$dir.export/{}' 2>>'$dir.export.log'" || return 1
    rm -rf "$dir.export"
}

# hosts_check OUT SPEC...: the lines of OUT (records whose message is "HOST K") hold, for each
# SPEC HOST:FIRST:COUNT, the messages HOST FIRST..FIRST+COUNT-1 once each and in this order, and
# nothing else. Prints what differs; 0 when all hold.
hosts_check() {
    python3 - "$@" <<'PY'
import sys
got = {}
for line in open(sys.argv[1], errors="replace"):
    w = line.split()
    if len(w) < 2:
        continue
    got.setdefault(w[-2], []).append(int(w[-1]))
want = {}
for spec in filter(None, sys.argv[2:]):
    host, first, count = spec.split(":")[:3]
    want.setdefault(host, []).extend(range(int(first), int(first) + int(count)))
bad = 0
for host in sorted(set(got) | set(want)):
    g, w = got.get(host, []), want.get(host, [])
    if g != w:
        bad += 1
        if bad <= 5:
            print("%s: got %d entries (%s...), want %d (%s...)" % (host, len(g), g[:5], len(w), w[:5]))
print("%d hosts, %d entries, %d hosts differ" % (len(want), sum(len(v) for v in got.values()), bad))
sys.exit(1 if bad else 0)
PY
}

# hosts_cid HOST: the container id of HOST's entries (hosts_store)
hosts_cid() {
    python3 -c 'import hashlib, sys; print(hashlib.md5(sys.argv[1].encode()).hexdigest()[:12])' "$1"
}

# hosts_specs PREFIX N FIRST COUNT: the SPECs of N hosts PREFIX001... each FIRST:COUNT.
hosts_specs() {
    local i
    for ((i = 1; i <= $2; i++)); do printf '%s%03d:%s:%s\n' "$1" "$i" "$3" "$4"; done
}

# hosts_fds PID, hosts_rssanon_kb PID: open file descriptors; RssAnon in KiB.
hosts_fds() { ls "/proc/$1/fd" | wc -l; }
hosts_rssanon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }
