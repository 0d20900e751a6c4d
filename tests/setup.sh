#!/bin/sh
# Install what jbridge needs on Debian 12 (as root) and build it in the source tree.
# Used by the Quick start's two commands (examples/demo.sh and tests/run.sh) and by CI.
# JB_SETUP_SKIP_APT=1 skips apt-get (a machine that has everything already).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

PACKAGES="build-essential autoconf automake libtool pkg-config libsystemd-dev libjansson-dev
libcmocka-dev systemd systemd-journal-remote rsyslog uuid-dev clang llvm util-linux python3 time"
# the suite's own checks: clang-format (tests/run.sh), ps (tests/integration/lib.sh), git (dist check)
PACKAGES="$PACKAGES clang-format procps git"
# packaging and man pages: dpkg-buildpackage, dh, groff, man, lexgrog
PACKAGES="$PACKAGES dpkg-dev debhelper groff-base man-db"
# edge to central: rsyslog's TLS driver and RELP, openssl for the test certificates
PACKAGES="$PACKAGES rsyslog-gnutls rsyslog-relp openssl"
# Cloudify and support bundles: zlib for the .tar.gz, logrotate to check the example
# policy, tar for the archive checks (script(1), for the terminal test, is in bsdutils: essential)
PACKAGES="$PACKAGES zlib1g-dev logrotate tar"
# rsyslog modules: rsyslogd under valgrind; the TLS examples (rsyslog-gnutls, openssl above)
PACKAGES="$PACKAGES valgrind"
# clang's sanitizer runtimes (the ThreadSanitizer build): only recommended by clang, so
# --no-install-recommends on a minimal Debian skips them
PACKAGES="$PACKAGES libclang-rt-14-dev"
# sealed streams (libjbseal.la, doc/sealing.md): HMAC-SHA-256 and RAND_bytes from libcrypto
PACKAGES="$PACKAGES libssl-dev"
# jbridge verify's JSON report read back in tests/integration/verify.sh
PACKAGES="$PACKAGES jq"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ] && [ "${JB_SETUP_SKIP_APT:-0}" != 1 ]; then
    echo "setup: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# rsyslog's module headers for imjbridge/mmjbridge (Debian has no rsyslog-dev): Debian's source
# package of the installed rsyslogd, configured only (about 30 s once; a no-op afterwards).
# configure finds them in $top/rsyslog-headers.
if [ "${JB_SETUP_SKIP_APT:-0}" != 1 ] || [ -f rsyslog-headers/config.h ]; then
    plugin/prepare-rsyslog-headers.sh "$top/rsyslog-headers"
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    ./autogen.sh >/dev/null
fi
# Out of the source tree, so that other configurations (sanitizers, clang) can sit beside it.
build=${JB_BUILD_DIR:-$top/build}
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$top/configure" -nt config.status ] ||
    { [ -f "$top/rsyslog-headers/config.h" ] && [ "$top/rsyslog-headers/config.h" -nt config.status ]; }; then
    "$top/configure" --enable-werror ${JB_CONFIGURE_FLAGS:-} >/dev/null
fi
make -j"$(nproc)" >/dev/null
make -j"$(nproc)" check TESTS= >/dev/null
echo "setup: built in $build" >&2
