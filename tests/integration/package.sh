#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package: dpkg-buildpackage -us -uc -b in a copy of the source tree (the tree itself is
# never touched), then, on this machine, dpkg -i, rsyslogd -N1 on the installed examples (modules
# loaded by their short name from rsyslog's module directory), jbridge --version, man -w, and
# dpkg --purge, after which the modules must be gone. Files that were in rsyslog's module directory
# before (a `make install`) are put back afterwards.
#
# Not part of `make check`: it installs a package system-wide. tests/run.sh runs it (as root).
# Needs dpkg-dev and debhelper (tests/setup.sh installs them) and the prepared
# rsyslog headers (RSYSLOG_HEADERS, default SRCDIR/rsyslog-headers; tests/setup.sh makes them).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PKG=rsyslog-jbridge
: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${RSYSLOG_HEADERS:=$JB_SRCDIR/rsyslog-headers}"
jb_need_root
jb_need_program /usr/bin/dpkg-buildpackage
jb_need_program /usr/bin/dh
jb_need_program "$RSYSLOGD"
[ -f "$RSYSLOG_HEADERS/config.h" ] || jb_bail_out "no prepared rsyslog headers in $RSYSLOG_HEADERS (run tests/setup.sh)"
[ -f "$JB_SRCDIR/debian/control" ] || jb_bail_out "no debian/ in $JB_SRCDIR"

jb_mktemp
moddir=$(strings "$RSYSLOGD" | grep -m 1 '^/.*/rsyslog/$' | sed 's,/$,,')
[ -n "$moddir" ] || moddir=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)/rsyslog
# keep what a `make install` put there, and put it back at the end
mkdir -p "$JB_TMP/saved"
for m in imjbridge.so mmjbridge.so; do
    [ -e "$moddir/$m" ] && cp -a "$moddir/$m" "$JB_TMP/saved/"
done
[ -e /usr/bin/jbridge ] && cp -a /usr/bin/jbridge "$JB_TMP/saved/"
restore() {
    dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q installed && dpkg --purge "$PKG" >/dev/null 2>&1
    for f in "$JB_TMP"/saved/*.so; do [ -e "$f" ] && cp -a "$f" "$moddir/"; done
    [ -e "$JB_TMP/saved/jbridge" ] && [ ! -e /usr/bin/jbridge ] && cp -a "$JB_TMP/saved/jbridge" /usr/bin/
    jb_cleanup
}
trap restore EXIT
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q installed; then
    jb_diag "$PKG was installed before the test (a previous run?): purging it first"
    dpkg --purge "$PKG" >/dev/null
fi

# a copy of the tree: the files git knows (tracked, or new and not ignored), else all but builds
src=$JB_TMP/src/jbridge
mkdir -p "$src"
if git -C "$JB_SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$JB_SRCDIR" && git ls-files -co --exclude-standard | while IFS= read -r f; do
        [ -e "$f" ] && printf '%s\n' "$f"
    done | tar -cf - -T -) | tar -xf - -C "$src"
else
    tar -C "$JB_SRCDIR" --exclude='./build*' --exclude=./rsyslog-headers --exclude=./autom4te.cache \
        -cf - . | tar -xf - -C "$src"
fi

# the package's own build runs the unit tests (override_dh_auto_test); make check ran them already
start=$(date +%s)
if (cd "$src" && RSYSLOG_HEADERS=$RSYSLOG_HEADERS DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b) >"$JB_TMP/build.log" 2>&1; then
    jb_pass "dpkg-buildpackage -us -uc -b builds the package ($(($(date +%s) - start)) s)"
else
    jb_fail "dpkg-buildpackage -us -uc -b builds the package"
    jb_diag "$(tail -n 40 "$JB_TMP/build.log")"
    jb_done
    exit 1
fi
deb=
for f in "$JB_TMP"/src/"${PKG}"_*.deb; do [ -e "$f" ] && deb=$f && break; done
[ -n "$deb" ] || jb_bail_out "no ${PKG}_*.deb in $JB_TMP/src"

# the dependency on rsyslog is pinned to the upstream version the modules were built for
ver=$("$RSYSLOGD" -v | sed -n '1s/^rsyslogd *\([0-9][0-9.]*\).*/\1/p')
next=$(echo "$ver" | awk -F. -v OFS=. '{ $NF = $NF + 1; print }')
depends=$(dpkg-deb -f "$deb" Depends)
case $depends in
*"rsyslog (>= $ver), rsyslog (<< $next~)"*) jb_pass "Depends pins rsyslog to $ver: $depends" ;;
*) jb_fail "Depends pins rsyslog to $ver"; jb_diag "Depends: $depends" ;;
esac

contents=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's,^\./,/,')
for f in "$moddir/imjbridge.so" "$moddir/mmjbridge.so" /usr/bin/jbridge \
    /usr/share/man/man1/jbridge.1.gz /usr/share/man/man7/jbridge-rsyslog.7.gz \
    /usr/share/doc/$PKG/copyright "$JB_SRCDIR"/examples/*.conf; do
    case $f in "$JB_SRCDIR"/examples/*) f=/usr/share/doc/$PKG/examples/${f##*/} ;; esac
    if printf '%s\n' "$contents" | grep -qxF "$f"; then jb_pass "the package holds $f"; else jb_fail "the package holds $f"; fi
done
if printf '%s\n' "$contents" | grep -q '\.la$'; then
    jb_fail "the package holds no libtool .la files"
else
    jb_pass "the package holds no libtool .la files"
fi

jb_ok "dpkg -i installs the package" dpkg -i "$deb"
jb_is "$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null)" "install ok installed" "dpkg says $PKG is installed"
# The installed examples, included as /etc/rsyslog.conf includes /etc/rsyslog.d/*.conf (after
# setting workDirectory), load the modules by their short names from rsyslog's module directory.
# Examples that use TLS get throwaway certificates in place of /etc/rsyslog-tls/ (rsyslogd -N1
# opens them), made with rsyslog-lib.sh's jb_make_tls.
ex=/usr/share/doc/$PKG/examples
mkdir -p "$JB_TMP/work"
# shellcheck source=tests/integration/rsyslog-lib.sh
[ -f "$(dirname "$0")/rsyslog-lib.sh" ] && . "$(dirname "$0")/rsyslog-lib.sh"
tls=
if command -v jb_make_tls >/dev/null 2>&1 && jb_make_tls "$JB_TMP/tls"; then tls=$JB_TMP/tls; fi
n_im=0 n_mm=0
for conf in "$ex"/*.conf; do
    name=$(basename "$conf")
    if grep -q '/etc/rsyslog-tls/' "$conf"; then
        if [ -z "$tls" ]; then
            jb_skip "rsyslogd -N1 with the installed $name" "no throwaway TLS certificates (openssl)"
            continue
        fi
        sed "s|/etc/rsyslog-tls/|$tls/|g" "$conf" >"$JB_TMP/$name"
    else
        cp "$conf" "$JB_TMP/$name"
    fi
    # a sealing example gets a key of its own in place of /etc/jbridge/seal.key (-N1 loads it)
    if grep -q '/etc/jbridge/seal.key' "$conf"; then
        [ -e "$JB_TMP/work/seal.key" ] || /usr/bin/jbridge keygen --seal-key "$JB_TMP/work/seal.key" >/dev/null
        sed -i "s|/etc/jbridge/seal.key|$JB_TMP/work/seal.key|g" "$JB_TMP/$name"
    fi
    { grep -q 'workDirectory=' "$conf" || echo "global(workDirectory=\"$JB_TMP/work\")"
      echo "include(file=\"$JB_TMP/$name\")"; } >"$JB_TMP/main.conf"
    if out=$("$RSYSLOGD" -N1 -f "$JB_TMP/main.conf" 2>&1); then
        jb_pass "rsyslogd -N1 with the installed $name"
        grep -q 'module(load="imjbridge"' "$conf" && n_im=$((n_im + 1))
        grep -q 'module(load="mmjbridge"' "$conf" && n_mm=$((n_mm + 1))
    else
        jb_fail "rsyslogd -N1 with the installed $name"
        jb_diag "$out"
    fi
done
[ "$n_im" -gt 0 ] && [ "$n_mm" -gt 0 ]
jb_is "$?" 0 "installed examples that validate load imjbridge ($n_im) and mmjbridge ($n_mm) by their short names"
jb_is "$(/usr/bin/jbridge --version 2>&1 | head -n 1)" "jbridge $(sed -n 's/^AC_INIT(\[jbridge\], \[\([^]]*\)\].*/\1/p' "$JB_SRCDIR/configure.ac")" \
    "the installed jbridge --version"
jb_is "$(man -w jbridge 2>&1)" /usr/share/man/man1/jbridge.1.gz "man -w jbridge"
jb_is "$(man -w 7 jbridge-rsyslog 2>&1)" /usr/share/man/man7/jbridge-rsyslog.7.gz "man -w 7 jbridge-rsyslog"

jb_ok "dpkg --purge removes the package" dpkg --purge "$PKG"
for f in "$moddir/imjbridge.so" "$moddir/mmjbridge.so" /usr/bin/jbridge /usr/share/man/man1/jbridge.1.gz "$ex"; do
    if [ -e "$f" ]; then jb_fail "gone after purge: $f"; else jb_pass "gone after purge: $f"; fi
done
jb_done
