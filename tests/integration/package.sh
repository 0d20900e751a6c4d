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


# What an operator would otherwise write by hand (issue 18): the service, its user, the logrotate
# configuration for /var/log/tfe, the Cloudify logrotate example and the security page where the
# installed README's links find it.
unit=/lib/systemd/system/jbridge.service
[ -e "$unit" ] || unit=/usr/lib/systemd/system/jbridge.service
for f in "$unit" /usr/lib/sysusers.d/$PKG.conf /etc/logrotate.d/$PKG "$ex/cloudify-logrotate" \
    /usr/share/doc/$PKG/README.md /usr/share/doc/$PKG/doc/security.md; do
    if [ -f "$f" ]; then jb_pass "installed: $f"; else jb_fail "installed: $f"; fi
done
# every relative link of the installed README to doc/ and examples/ finds its file
missing=$(grep -o '](\(doc\|examples\)/[^)#]*' /usr/share/doc/$PKG/README.md | sed 's/^](//' | sort -u |
    grep -v '^doc/HACKING.md$' | while read -r l; do [ -e "/usr/share/doc/$PKG/$l" ] || echo "$l"; done)
jb_is "$missing" "" "the installed README's links to doc/ and examples/ (doc/security.md among them) resolve"
jb_is "$(id -nG jbridge 2>&1 | tr ' ' '\n' | grep -cx systemd-journal)" 1 \
    "the service's user jbridge exists (systemd-sysusers) and is in systemd-journal"
if command -v systemd-analyze >/dev/null 2>&1; then
    out=$(systemd-analyze verify "$unit" 2>&1)
    jb_is "$? $out" "0 " "systemd-analyze verify $unit: no error, no warning"
else
    jb_skip "systemd-analyze verify $unit" "no systemd-analyze"
fi
jb_is "$(systemctl is-enabled jbridge.service 2>/dev/null)" disabled "jbridge.service is installed disabled"
# the unit's command line is one jbridge accepts: run as the unit runs it (its user, its
# arguments, JBRIDGE_OPTS split on blanks), without --follow, over a journal file and with the
# state and outputs in a directory of that user
execstart=$(sed -n 's/^ExecStart=//p' "$unit")
opts=$(sed -n 's/^Environment="JBRIDGE_OPTS=\(.*\)"$/\1/p' "$unit")
# the journal as journald keeps it: readable by the group systemd-journal only
mkdir -p "$JB_TMP/svc" "$JB_TMP/jr" && chown jbridge: "$JB_TMP/svc" && chmod 0755 "$JB_TMP"
jb_export_to_journal "$JB_FIXTURES/containers.export" "$JB_TMP/jr"
chown -R root:systemd-journal "$JB_TMP/jr" && chmod 0750 "$JB_TMP/jr" && chmod 0640 "$JB_TMP/jr/x.journal"
set -f # the words of the unit's line, as systemd splits them: no globbing of --container=ptfe_*
# shellcheck disable=SC2046
set -- $(printf '%s\n' "${execstart/\$JBRIDGE_OPTS/$opts}" | sed -e 's| --follow||' \
    -e "s|/var/lib/jbridge/|$JB_TMP/svc/|; s|/var/log/tfe/|$JB_TMP/svc/|g")
set +f
(umask 0077 && setpriv --reuid=jbridge --regid=jbridge --init-groups "$@" --file="$JB_TMP/jr/x.journal") \
    >"$JB_TMP/svc.log" 2>&1
jb_is "$? $(stat -c '%U %a' "$JB_TMP/svc/jbridge.state" "$JB_TMP/svc/audit.log" 2>&1 | sort -u | tr '\n' ' ')" \
    "0 jbridge 600 " "the unit's ExecStart, as its user with its UMask: exit 0, state and audit output 0600" ||
    jb_diag "$* => $(cat "$JB_TMP/svc.log")"
jb_is "$(cat "$JB_TMP/svc/app.log" "$JB_TMP/svc/audit.log" 2>/dev/null | wc -l)" 8 \
    "...reading a journal only the group systemd-journal may read: the 8 records of the TFE containers"

# The logrotate configuration: logrotate -d parses it and selects both files; a real forced
# rotation (paths under $JB_TMP, the restart of the writers left out) creates audit.log 0600 and
# app.log 0640 again, owned as before.
lr=/etc/logrotate.d/$PKG
logrotate -d -s "$JB_TMP/lr.state" "$lr" >"$JB_TMP/lr-d.log" 2>&1
jb_is "$? $(grep -c -E 'considering log /var/log/tfe/(app|audit).log' "$JB_TMP/lr-d.log")" "0 2" \
    "logrotate -d $lr: parses, considers /var/log/tfe/app.log and audit.log" || jb_diag "$(cat "$JB_TMP/lr-d.log")"
mkdir -p "$JB_TMP/tfe"
sed -e "s|/var/log/tfe/|$JB_TMP/tfe/|g" -e '/postrotate/,/endscript/d' "$lr" >"$JB_TMP/lr.conf"
for f in app audit; do
    (umask 077 && echo "a line" >"$JB_TMP/tfe/$f.log")
    chown jbridge:jbridge "$JB_TMP/tfe/$f.log"
done
for i in 1 2 3; do
    logrotate -f -s "$JB_TMP/lr.state" "$JB_TMP/lr.conf" >"$JB_TMP/lr.log" 2>&1 || jb_diag "$(cat "$JB_TMP/lr.log")"
    for f in app audit; do echo "line $i" >>"$JB_TMP/tfe/$f.log"; done
done
jb_is "$(cd "$JB_TMP/tfe" && stat -c '%n %U %a' app.log audit.log app.log.1 audit.log.1 | tr '\n' ' ')" \
    "app.log jbridge 640 audit.log jbridge 600 app.log.1 jbridge 640 audit.log.1 jbridge 600 " \
    "after 3 forced rotations: audit.log 0600, app.log 0640, owner kept"

jb_ok "dpkg --purge removes the package" dpkg --purge "$PKG"
for f in "$moddir/imjbridge.so" "$moddir/mmjbridge.so" /usr/bin/jbridge /usr/share/man/man1/jbridge.1.gz "$ex" \
    "$unit" /etc/logrotate.d/$PKG; do
    if [ -e "$f" ]; then jb_fail "gone after purge: $f"; else jb_pass "gone after purge: $f"; fi
done
jb_done
