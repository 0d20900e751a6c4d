# SPDX-License-Identifier: Apache-2.0
# The attacks of issue 15 (1 and 2) written to a real journald, for trust.sh (jbridge) and
# rsyslog-trust.sh (rsyslogd + imjbridge); sourced after lib.sh, in the private namespace with
# journald running (jb_live_setup). See trust.sh for what is written and checked.
#
# trust_write_attacks [HOOK]: write the genuine entries and the forged ones; HOOK (a command) runs
# once the genuine container's first entry is there, before anything is forged (e.g. start a
# follower). trust_check NAME APP AUDIT flag|drop: the test points on one run's two outputs.

# shellcheck disable=SC2154 # JB_TMP, JB_WRITE: lib.sh
# Debian's python3, by its path: a user's python (pyenv...) may not be readable by nobody, and
# journald records the comm of the program executed ("python3").
PY=/usr/bin/python3

# The sender: journald's native protocol over its socket, as any local program can speak it.
# Standard input: a JSON list of entries, each an object FIELD -> value. Each entry is one datagram.
# Then it says "sent" and lives on until it is killed: journald reads a sender's _COMM and _EXE
# from /proc when it processes the entry, which may be later (see jb-write's wait_for_journald).
# shellcheck disable=SC2016
SEND='
import json, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
for e in json.load(sys.stdin):
    d = b""
    for k, v in e.items():
        v = v.encode()
        if b"\n" in v:
            d += k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
        else:
            d += k.encode() + b"=" + v + b"\n"
    s.sendto(d, "/run/systemd/journal/socket")
print("sent", flush=True)
time.sleep(120)
'
# send [CMD...]: run the sender (under CMD, e.g. setpriv) on standard input; once it has sent,
# journalctl --sync (as root) waits until journald processed it all, then the sender is stopped.
send() {
    local pid
    cat >"$JB_TMP/send.json"
    : >"$JB_TMP/send.out"
    "$@" "$PY" -c "$SEND" <"$JB_TMP/send.json" >"$JB_TMP/send.out" &
    pid=$!
    jb_wait_for "grep -q sent '$JB_TMP/send.out'" 60 || jb_diag "the sender did not finish"
    journalctl --sync
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
forge() { send setpriv --reuid=nobody --regid=nogroup --clear-groups; }
genuine_py() { send; }

# audit_line SEQ: a TFE audit line as ptfe_atlas prints it, carrying SEQ.
audit_line() {
    printf '2018-03-27 21:55:29 [INFO] [Audit Log] {"resource":"workspace","action":"destroy","resource_id":"ws-%s","actor":"user-1","timestamp":"2018-03-27T21:55:29Z","actor_ip":"10.0.0.1","seq":"%s"}' "$1" "$1"
}

# fields ID: the container's fields with that full id, as the body of a JSON object.
fields() {
    printf '"CONTAINER_NAME":"ptfe_atlas","CONTAINER_ID":"%s","CONTAINER_ID_FULL":"%s","CONTAINER_TAG":"%s","SYSLOG_IDENTIFIER":"%s","IMAGE_NAME":"hashicorp/ptfe-atlas:v1","PRIORITY":"6"' \
        "${1:0:12}" "$1" "${1:0:12}" "${1:0:12}"
}
json_str() { "$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

trust_write_attacks() {
    local T=$JB_TMP
    # ---- the genuine container, and what the forger reads about it (ids, image)
    "$JB_WRITE" --quiet --container ptfe_atlas --image hashicorp/ptfe-atlas:v1 --count 1 --audit-every 1 --prefix g0 ||
        jb_bail_out "jb-write failed"
    jb_wait_for '[ "$(jb_journal_count CONTAINER_NAME=ptfe_atlas)" -ge 1 ]' 10 || jb_bail_out "the genuine entry did not arrive"
    FULL=$(journalctl --no-pager -q -o export CONTAINER_NAME=ptfe_atlas | sed -n 's/^CONTAINER_ID_FULL=//p' | head -n 1)
    jb_is "$(journalctl --no-pager -q -o export CONTAINER_NAME=ptfe_atlas | grep -c -E '^(_COMM=dockerd|_UID=0|_TRANSPORT=journal)$')" 3 \
        "setup: journald records the genuine writer as comm dockerd, uid 0, transport journal"

    [ $# -eq 0 ] || "$@"

    # ---- (a) a forged audit line, back-dated
    forge <<<"[{$(fields "$FULL"),\"SYSLOG_TIMESTAMP\":\"2018-01-01T00:00:00.000000000Z\",\"MESSAGE\":$(json_str "$(audit_line forged-a)")}]"

    # ---- (b) a forged first piece with the container's full id, then the container's own lines
    forge <<<"[{$(fields "$FULL"),\"CONTAINER_PARTIAL_MESSAGE\":\"true\",\"MESSAGE\":$(json_str "$(audit_line forged-b)")}]"
    "$JB_WRITE" --quiet --container ptfe_atlas --image hashicorp/ptfe-atlas:v1 --count 4 --audit-every 2 --prefix g1 ||
        jb_bail_out "jb-write failed"

    # ---- (c) a genuine 40 KiB audit line (old split form: 16384 + 16384 + rest) with a flood of
    # forged first pieces between its first and its second piece.
    G=$("$PY" -c 'import sys; l = sys.argv[1][:-1]; print(l + ",\"pad\":\"" + "x" * (40960 - len(l) - 10) + "\"}")' "$(audit_line g2-1)")
    piece() { printf '%s' "${G:$1:$2}"; }
    GID=1111111111112222222222223333333333334444444444445555555555556666
    genuine_py <<<"[{$(fields $GID),\"CONTAINER_PARTIAL_MESSAGE\":\"true\",\"MESSAGE\":$(json_str "$(piece 0 16384)")}]"
    "$PY" - "$FULL" >"$T/flood.json" <<'PY'
import json, sys
pad = "x" * 16000
out = []
for i in range(1000):
    fid = "%064x" % (0xf0000000 + i)
    out.append({"CONTAINER_NAME": "ptfe_atlas", "CONTAINER_ID": fid[:12], "CONTAINER_ID_FULL": fid,
                "IMAGE_NAME": "hashicorp/ptfe-atlas:v1", "PRIORITY": "6", "CONTAINER_PARTIAL_MESSAGE": "true",
                "MESSAGE": "forged-c-%d %s" % (i, pad)})
print(json.dumps(out))
PY
    forge <"$T/flood.json"
    genuine_py <<<"[{$(fields $GID),\"CONTAINER_PARTIAL_MESSAGE\":\"true\",\"MESSAGE\":$(json_str "$(piece 16384 16384)")}]"
    genuine_py <<<"[{$(fields $GID),\"MESSAGE\":$(json_str "$(piece 32768 8192)")}]"
    "$JB_WRITE" --quiet --container ptfe_atlas --image hashicorp/ptfe-atlas:v1 --count 1 --audit-every 1 --prefix g3 ||
        jb_bail_out "jb-write failed"
    jb_wait_for '[ "$(jb_journal_count CONTAINER_NAME=ptfe_atlas)" -ge 1010 ]' 20 ||
        jb_diag "journald holds $(jb_journal_count CONTAINER_NAME=ptfe_atlas) ptfe_atlas entries"
    jb_is "$(journalctl --no-pager -q -o export CONTAINER_NAME=ptfe_atlas _UID=65534 | grep -c '^_COMM=python3$')" 1002 \
        "setup: journald records the 1002 forged entries as uid 65534, comm python3"
}

# trust_check NAME APP AUDIT MODE: the outputs of one run (MODE flag or drop)
trust_check() {
    local name=$1 app=$2 audit=$3 mode=$4
    jb_is "$(grep -c forged "$audit")" 0 "$name: nothing forged is in the audit stream"
    jb_is "$(grep -o -E 'seq="g[0-9]-[0-9]+"' "$audit" | sort | tr '\n' ' ')" \
        'seq="g0-1" seq="g1-2" seq="g1-4" seq="g2-1" seq="g3-1" ' "$name: every genuine audit line is in the audit stream"
    jb_is "$(grep -c 'stream="audit"' "$audit")" 5 "$name: the audit stream holds those five records and no other"
    jb_is "$(grep 'seq="g2-1"' "$audit" | grep -c 'line="reassembled" pieces="3"')" 1 \
        "$name: the 40 KiB line arrives whole (3 pieces), not evicted by the flood"
    jb_is "$(grep -c -E 'seq=g1-[13]$' "$app")" 2 "$name: the container's application lines are whole lines of their own"
    jb_is "$(grep 'seq=g1-1' "$app" | grep -c 'pieces=')" 0 "$name: the forged piece did not swallow the container's next line"
    if [ "$mode" = flag ]; then
        jb_is "$(grep 'forged-a' "$app" | grep -c 'trust="untrusted" uid="65534" comm="python3"')" 1 \
            "$name: (a) the forged audit line is an application record flagged untrusted"
        jb_is "$(grep 'forged-b' "$app" | grep -c 'trust="untrusted" uid="65534" comm="python3"\]')" 1 \
            "$name: (b) the forged piece is an application record flagged untrusted"
        jb_is "$(grep -c 'forged-c-' "$app")" 1000 "$name: (c) the 1000 forged pieces are application records"
        jb_is "$(grep 'forged-c-' "$app" | grep -c 'trust="untrusted" uid="65534" comm="python3"')" 1000 \
            "$name: (c) ... each flagged untrusted"
    else
        jb_is "$(grep -c forged "$app")" 0 "$name: the forged entries are dropped"
    fi
}

