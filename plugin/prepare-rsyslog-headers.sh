#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Prepare rsyslog's module headers for building imjbridge/mmjbridge: Debian ships no rsyslog-dev,
# so fetch Debian's rsyslog source package with the installed rsyslogd's upstream version, unpack
# it and run only its ./configure (never make), which writes the config.h that the headers need.
#
#   plugin/prepare-rsyslog-headers.sh [DEST]     (default DEST: ./rsyslog-headers)
#
# Then: ./configure --with-rsyslog-headers=DEST (configure also looks at ./rsyslog-headers and at
# $srcdir/rsyslog-headers on its own). Needs root for apt-get (deb-src and build dependencies).
# Idempotent: a DEST that already holds a configured tree of the right version is left alone.
#
# Layout-relevant choices (see doc/imjbridge.md, "ABI"): --enable-debug=no, because Debian's
# rsyslogd is built with NDEBUG and obj_t (the head of every rsyslog object, smsg_t included)
# is 8 bytes longer without it; everything else at configure's defaults (atomics, regexp).
set -eu

dest=${1:-rsyslog-headers}
case $dest in /*) ;; *) dest=$(pwd)/$dest ;; esac

rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$rsyslogd" ] || { echo "prepare-rsyslog-headers: rsyslogd is not installed (apt-get install rsyslog)" >&2; exit 1; }
# "rsyslogd  8.2302.0 (aka 2023.02) compiled with:"
upstream=$("$rsyslogd" -v | sed -n '1s/^rsyslogd *\([0-9][0-9.]*\).*/\1/p')
[ -n "$upstream" ] || { echo "prepare-rsyslog-headers: cannot read the version of $rsyslogd" >&2; exit 1; }

if [ -f "$dest/config.h" ] && grep -q "^#define VERSION \"$upstream\"" "$dest/config.h"; then
    echo "prepare-rsyslog-headers: $dest already prepared for rsyslog $upstream" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# The headers include libestr, libfastjson and zlib; configure also wants uuid.
need="dpkg-dev libestr-dev libfastjson-dev zlib1g-dev uuid-dev pkg-config"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

# deb-src: a copy of the deb822 sources with Types: deb-src (the original is left untouched).
srclist=/etc/apt/sources.list.d/jbridge-deb-src.sources
updated=no
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$srclist"
    else
        grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >/etc/apt/sources.list.d/jbridge-deb-src.list
    fi
    apt-get update -qq
    updated=yes
fi
if [ -n "$missing" ]; then
    [ $updated = yes ] || apt-get update -qq
    updated=yes
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/rsyslog-src.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# Installed: e.g. 8.2302.0-1+deb12u2 (security), whose source answers 404; any Debian revision of
# the same upstream version has the same headers. Try the installed one, then every revision that
# apt knows for that upstream version.
installed=$(dpkg-query -W -f='${Version}' rsyslog 2>/dev/null || true)
candidates=$( (echo "$installed"; apt-cache showsrc rsyslog 2>/dev/null | sed -n 's/^Version: //p') |
    grep "^$upstream-" | awk '!seen[$0]++')
got=""
for v in $candidates; do
    if apt-get source -qq --download-only "rsyslog=$v" >/dev/null 2>&1; then got=$v; break; fi
    if [ $updated = no ]; then apt-get update -qq; updated=yes
        if apt-get source -qq --download-only "rsyslog=$v" >/dev/null 2>&1; then got=$v; break; fi
    fi
done
[ -n "$got" ] || { echo "prepare-rsyslog-headers: no Debian source of rsyslog $upstream could be downloaded (tried: $candidates)" >&2; exit 1; }
dsc=$(ls rsyslog_*.dsc | head -n 1)
dpkg-source --no-check -x "$dsc" src >/dev/null
cd src
# Only configure: it writes config.h. As Debian: no fmhttp (needs libcurl) and no libgcrypt.
./configure --enable-debug=no --disable-generate-man-pages --disable-fmhttp --disable-libgcrypt >configure.log 2>&1 ||
    { tail -n 20 configure.log >&2; echo "prepare-rsyslog-headers: rsyslog's configure failed" >&2; exit 1; }
grep -q "^#define VERSION \"$upstream\"" config.h ||
    { echo "prepare-rsyslog-headers: source version does not match rsyslogd $upstream" >&2; exit 1; }
echo "$got" >debian-version
rm -rf "$dest.tmp"
mkdir -p "$(dirname "$dest")"
cd "$work"
mv src "$dest.tmp"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "prepare-rsyslog-headers: rsyslog $got headers in $dest" >&2
