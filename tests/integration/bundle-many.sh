#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 17, defect 7: jbridge bundle with many containers. TFE starts a container per run; the
# bundle kept two open files per container name, so 600 names under `ulimit -n 1024` failed with
# "Too many open files" and wrote no archive. A real journal (systemd-journal-remote) with 600
# containers writing interleaved lines in both streams, plus names that used to merge or break the
# archive ("ptfe atlas", "ptfe_atlas", "ptfe\natlas" and "manifest.json"), bundled under
# `ulimit -n 256`: the archive is written, GNU tar extracts it, every container has its own files
# holding exactly its lines, and the manifest maps every directory back to the container's name.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || jb_need_program /usr/bin/python3
jb_setup "$JBRIDGE" "$JOURNAL_REMOTE"
T=$JB_TMP
N=${JB_BUNDLE_CONTAINERS:-600}

python3 - "$T/many.export" "$N" <<'PY'
import sys
out = open(sys.argv[1], "wb")
n = int(sys.argv[2])
names = ["tfe-run-%04d" % i for i in range(n)] + ["ptfe atlas", "ptfe_atlas", "ptfe\natlas", "manifest.json"]
k = 0
AUDIT = '2018-03-27 21:55:29 [INFO] [Audit Log] {"resource":"run","action":"apply","resource_id":"r-%d","actor":"a","timestamp":"t","actor_ip":"10.0.0.1"}'
for rnd in range(3):  # every container's lines in turn, so their files interleave in the spool
    for i, name in enumerate(names):
        k += 1
        msg = (AUDIT % k) if (i + rnd) % 3 == 0 else "line %d of %s" % (rnd, name.replace("\n", "\\n"))
        out.write(("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=5c1b1fa3e1a44b8e9a2c2f3d4e5f6a7b\n"
                   "_HOSTNAME=many-host\nPRIORITY=6\n_TRANSPORT=journal\n_UID=0\n_GID=0\n_COMM=dockerd\n"
                   "_EXE=/usr/bin/dockerd\nMESSAGE=%s\nCONTAINER_ID=%012x\nIMAGE_NAME=img\n"
                   % (1522187700000000 + k, 1000000 + k, msg, i)).encode())
        b = name.encode()
        out.write(b"CONTAINER_NAME\n" + len(b).to_bytes(8, "little") + b + b"\n\n")
PY
jb_export_to_journal "$T/many.export" "$T/j" || jb_bail_out "cannot build the journal"
"$JBRIDGE" -D "$T/j" --app-out "$T/all.app" --audit-out "$T/all.audit" 2>"$T/all.err" ||
    jb_bail_out "jbridge failed: $(cat "$T/all.err")"

(ulimit -n 256 && exec "$JBRIDGE" bundle -D "$T/j" --since @0 -o "$T/many.tar.gz") 2>"$T/bundle.err"
jb_is "$?/$(cat "$T/bundle.err")" "0/" "$((N + 4)) containers under ulimit -n 256: bundle exits 0, no error"
mkdir "$T/x"
tar -xzf "$T/many.tar.gz" -C "$T/x" 2>"$T/tar.err"
jb_is "$?/$(cat "$T/tar.err")" "0/" "GNU tar extracts the archive"
jb_is "$(find "$T/x" -type f | wc -l)" "$(($(tar -xzOf "$T/many.tar.gz" manifest.json | grep -c '"path": ') + 1))" \
    "the files the manifest lists, and the manifest"
jb_is "$(head -c 1 "$T/x/manifest.json")" "{" "manifest.json is the manifest, not a container's directory"

# every directory: the manifest names its container; its files hold exactly that container's lines
python3 - "$T/x" "$T/all.app" "$T/all.audit" "$N" >"$T/check.out" <<'PY'
import json, os, re, sys
x, app, audit, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
m = json.load(open(os.path.join(x, "manifest.json")))
want = {}
for stream, path in (("app", app), ("audit", audit)):
    for line in open(path, "rb"):
        name = re.search(rb'\[container@32473 name="((?:[^"\\]|\\.)*)"', line).group(1)
        want.setdefault((name, stream), []).append(line)
bad = 0
names = set()
for d, v in m["containers"].items():
    name = v["name"]
    names.add(name)
    sd = re.sub(r'(["\\\]])', r"\\\1", name).replace("\n", "#012").encode()
    for stream in v["files"]:
        got = open(os.path.join(x, d, stream + ".log"), "rb").readlines()
        if got != want.get((sd, stream)) or v["files"][stream]["path"] != d + "/" + stream + ".log":
            bad += 1
            print("differs: %s %s (%s)" % (d, stream, name), file=sys.stderr)
odd = ["ptfe atlas", "ptfe_atlas", "ptfe\natlas", "manifest.json"]
print(len(m["containers"]), len(names), bad, all(o in names for o in odd), len(want) == sum(len(v["files"]) for v in m["containers"].values()))
PY
jb_is "$(cat "$T/check.out")" "$((N + 4)) $((N + 4)) 0 True True" \
    "each directory holds exactly its container's lines, the manifest maps each back to its name"
top() { find "$T/x" -mindepth 1 -maxdepth 1 -name "$1" | wc -l; }
jb_is "$(top 'ptfe*')/$(top 'ptfe_atlas~*')/$(top 'manifest.json~*')" \
    "3/2/1" "'ptfe atlas', 'ptfe_atlas' and 'ptfe\\natlas' are three directories, 'manifest.json' one of its own"
jb_done
