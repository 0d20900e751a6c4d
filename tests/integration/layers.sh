#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The layers of the core (Makefile.am): libjbcore (plain C and jansson), libjbreader (libsystemd,
# the read-ahead thread) on top of it, libjbbundle (tar, zlib) on top of that, libjbseal
# (libcrypto: sealed streams) on top of the core beside the reader. Every jb_ symbol
# a layer's objects use is defined in that layer or below it, so a file put into the wrong list
# fails here instead of when rsyslogd loads a module (a module links with undefined symbols; its
# load fails). And what each binary then needs: mmjbridge.so neither libsystemd nor libz nor
# libcrypto, imjbridge.so no libz (it may need libcrypto), the command every layer. Only
# libjbseal's objects call libcrypto.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

L=$JB_BUILDDIR/.libs
command -v nm >/dev/null 2>&1 || jb_need_program /usr/bin/nm
command -v readelf >/dev/null 2>&1 || jb_need_program /usr/bin/readelf
for a in core reader bundle seal; do
    [ -f "$L/libjb$a.a" ] || jb_bail_out "no $L/libjb$a.a (build first)"
done

# the jb_ symbols the archives define, and those they use
defined() { nm --defined-only "$@" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TDBR]$/ && $3 ~ /^jb/ { print $3 }' | sort -u; }
used() { nm --undefined-only "$1" 2>/dev/null | awk '$NF ~ /^jb/ { print $NF }' | sort -u; }

# layer NAME BELOW...: libjbNAME uses nothing of the core that neither it nor BELOW defines
layer() {
    local name=$1 a missing below=
    local archives=("$L/libjb$name.a")
    shift
    for a in "$@"; do
        archives+=("$L/libjb$a.a")
        below="$below, libjb$a"
    done
    missing=$(comm -23 <(used "$L/libjb$name.a") <(defined "${archives[@]}") | tr '\n' ' ')
    jb_is "${missing% }" "" "every jb_ symbol libjb$name uses is defined in libjb$name$below"
}
layer core
layer reader core
layer bundle reader core
layer seal core

# only the sealing layer calls OpenSSL (HMAC, EVP, SHA256, RAND, OPENSSL_cleanse, CRYPTO_...)
for a in core reader bundle; do
    got=$(nm --undefined-only "$L/libjb$a.a" 2>/dev/null |
        awk '$NF ~ /^(HMAC|EVP_|SHA[0-9]|RAND_|OPENSSL_|CRYPTO_|ERR_)/ { print $NF }' | sort -u | tr '\n' ' ')
    jb_is "${got% }" "" "libjb$a calls nothing of libcrypto"
done

# not_needed NAME FILE LIBRARY...: FILE's NEEDED entries name none of LIBRARY
not_needed() {
    local name=$1 file=$2 got lib bad=
    shift 2
    if [ ! -f "$file" ]; then
        jb_skip "$name" "$file not built"
        return
    fi
    got=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    for lib in "$@"; do
        printf '%s\n' "$got" | grep -q "^$lib\.so" && bad="$bad $lib"
    done
    jb_is "${bad# }" "" "$name"
}
not_needed "mmjbridge.so needs neither libsystemd nor libz nor libcrypto" "$L/mmjbridge.so" libsystemd libz libcrypto
not_needed "imjbridge.so does not need libz" "$L/imjbridge.so" libz

jb_done
