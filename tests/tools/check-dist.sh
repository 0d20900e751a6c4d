#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# check-dist.sh TARBALL: every file git tracks is in the release tarball (EXTRA_DIST forgets
# nothing that the tests, the build or the README's steps need). Exit 1 with the list otherwise.
# Run from the source tree (tests/run.sh does, after make distcheck).
set -eu
tarball=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "check-dist: $top is not a git checkout" >&2; exit 1; }
# not shipped on purpose: git's own files
ignore='^(\.gitignore|\.gitattributes)$'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -tzf "$tarball" | sed 's,^[^/]*/,,' | sort -u >"$tmp/dist"
git -C "$top" ls-files | grep -Ev "$ignore" | sort -u >"$tmp/git"
missing=$(comm -23 "$tmp/git" "$tmp/dist")
if [ -n "$missing" ]; then
    echo "check-dist: tracked files missing from $tarball (add them to EXTRA_DIST in Makefile.am):" >&2
    printf '%s\n' "$missing" | sed 's/^/  /' >&2
    exit 1
fi
echo "check-dist: $(wc -l <"$tmp/git") tracked files, all in $tarball"
