# SPDX-License-Identifier: Apache-2.0
# Real container runtimes for the integration tests (issue 17): a dockerd (Debian's docker.io) and
# a rootful podman, both with the journald log driver, inside the private mount namespace of
# jb_live_setup so that they write to the suite's journald. Images are made without a registry from
# busybox-static. Sourced after lib.sh.

# shellcheck disable=SC2034

JB_DOCKER_HOST=
JB_DOCKERD_PID=

# jb_busybox_rootfs_tar OUT.tar: a root file system holding /bin/busybox and its applet links.
jb_busybox_rootfs_tar() {
    local root=$JB_TMP/rootfs a
    rm -rf "$root"
    mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
    cp /bin/busybox "$root/bin/busybox"
    for a in $("$root/bin/busybox" --list); do
        [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
    done
    tar -C "$root" -cf "$1" .
}

# jb_start_dockerd: dockerd with the journald log driver, its data and sockets under JB_TMP, no
# network (no iptables, no bridge). Sets JB_DOCKER_HOST (for docker -H) and stops it at cleanup.
jb_start_dockerd() {
    jb_need_program /usr/sbin/dockerd
    local d=$JB_TMP/docker
    mkdir -p "$d/data" "$d/exec"
    JB_DOCKER_HOST=unix://$d/docker.sock
    /usr/sbin/dockerd --log-driver=journald --iptables=false --ip6tables=false --bridge=none \
        --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/docker.pid" -H "$JB_DOCKER_HOST" \
        --containerd-namespace "jbtest" --containerd-plugins-namespace "jbtest-plugins" \
        >"$d/dockerd.log" 2>&1 &
    JB_DOCKERD_PID=$!
    jb_on_cleanup jb_stop_dockerd
    if ! jb_wait_for "docker -H $JB_DOCKER_HOST info" 60; then
        jb_diag "$(tail -n 30 "$d/dockerd.log")"
        jb_bail_out "dockerd did not come up"
    fi
}

jb_docker() {
    docker -H "$JB_DOCKER_HOST" "$@"
}

jb_stop_dockerd() {
    [ -n "$JB_DOCKERD_PID" ] || return 0
    jb_docker ps -aq 2>/dev/null | xargs -r docker -H "$JB_DOCKER_HOST" rm -f >/dev/null 2>&1 || true
    kill "$JB_DOCKERD_PID" 2>/dev/null || true
    jb_wait_for "! kill -0 $JB_DOCKERD_PID" 30 || kill -9 "$JB_DOCKERD_PID" 2>/dev/null || true
    wait "$JB_DOCKERD_PID" 2>/dev/null || true
    JB_DOCKERD_PID=
    # dockerd's own mounts (overlay, the exec root) go with the namespace; unmount what is left.
    grep " $JB_TMP/docker" /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
}

# jb_podman ARGS...: a rootful podman whose storage and runtime state live under JB_TMP.
jb_podman() {
    local d=$JB_TMP/podman
    mkdir -p "$d/root" "$d/run" "$d/tmp"
    podman --root "$d/root" --runroot "$d/run" --tmpdir "$d/tmp" --cgroup-manager=cgroupfs \
        --events-backend=file "$@"
}

# ---------------------------------------------------------------- checking what readers delivered

# NAME|SEVERITY|MESSAGE of every record in the files given, sorted.
records() {
    cat "$@" 2>/dev/null | LC_ALL=C sed -E -n 's/^<([0-9]+)>1 [^ ]+ [^ ]+ ([^ ]+) .*\[meta sequenceId="[0-9]+"\] ?(.*)$/\1|\2|\3/p' |
        LC_ALL=C awk -F'|' 'BEGIN { OFS = "|" } { p = $1; $1 = ""; sub(/^\|/, ""); n = $1; $1 = ""; sub(/^\|/, ""); print n, p % 8, $0 }' |
        LC_ALL=C sort
}
flagged() { cat "$@" 2>/dev/null | grep -a -c 'line="incomplete"'; }
ids() { cat "$@" 2>/dev/null | grep -a -o 'jbridge@32473 id="[0-9a-f]*"' | sort | uniq -d | wc -l; }

# check READER FILES...: exactly the lines of $JB_TMP/expected, $JB_EXPECT_INCOMPLETE (default 2)
# flagged incomplete, ids distinct, as many audit records as audit lines.
check() {
    local reader=$1
    shift
    records "$@" >"$JB_TMP/got.$reader"
    jb_diag "$reader: $(wc -l <"$JB_TMP/got.$reader") records delivered"
    jb_files_equal "$JB_TMP/got.$reader" "$JB_TMP/expected" "$reader: every line once, whole, with its container and severity"
    jb_is "$(flagged "$@")" "${JB_EXPECT_INCOMPLETE:-2}" "$reader: only the unterminated and the crashed line are flagged incomplete"
    jb_is "$(ids "$@")" 0 "$reader: record ids are distinct"
    jb_is "$(cat "$@" | grep -a -c 'stream="audit"')" "$(grep -c '\[Audit Log\]' "$JB_TMP/expected")" \
        "$reader: the split audit lines are in the audit stream"
}

# jb_stop_podman: remove the containers (conmon processes) and podman's mounts under JB_TMP.
jb_stop_podman() {
    jb_podman rm -af >/dev/null 2>&1 || true
    grep " $JB_TMP/podman" /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
}
