# SPDX-License-Identifier: Apache-2.0
# JB_RSYSLOG_MODULES: find prepared rsyslog module headers, check that they match the installed
# rsyslogd (version, layout-relevant build features, smsg_t offsets against the daemon's own
# setter code), and find rsyslog's module directory. Defines the conditional BUILD_RSYSLOG_MODULES
# and substitutes RSYSLOG_HEADERS, RSYSLOG_CPPFLAGS, RSYSLOG_MODULEDIR, RSYSLOGD.
AC_DEFUN([JB_RSYSLOG_MODULES], [
AC_ARG_WITH([rsyslog-headers],
  [AS_HELP_STRING([--with-rsyslog-headers=DIR],
    [an rsyslog source tree on which ./configure has run (plugin/prepare-rsyslog-headers.sh makes
     one); default: ./rsyslog-headers or SRCDIR/rsyslog-headers if present; "no": do not build the
     rsyslog modules])],
  [jb_rs_hdr=$withval], [jb_rs_hdr=auto])
AC_ARG_WITH([rsyslog-moduledir],
  [AS_HELP_STRING([--with-rsyslog-moduledir=DIR],
    [where make install puts imjbridge.so and mmjbridge.so (default: rsyslogd's own module directory)])],
  [jb_rs_moddir=$withval], [jb_rs_moddir=auto])
AC_ARG_VAR([RSYSLOGD], [the rsyslogd the modules are built for])
AC_PATH_PROG([RSYSLOGD], [rsyslogd], [], [$PATH:/usr/sbin:/sbin])
AC_PATH_PROG([OBJDUMP_FOR_RSYSLOG], [objdump], [])

jb_rs_build=no
AS_IF([test -z "$jb_rs_hdr"], [jb_rs_hdr=auto])
AS_IF([test "x$jb_rs_hdr" = xauto], [
    jb_rs_hdr=
    for d in "$ac_pwd/rsyslog-headers" "$srcdir/rsyslog-headers"; do
        AS_IF([test -f "$d/config.h" && test -f "$d/runtime/msg.h"], [jb_rs_hdr=`cd "$d" && pwd`; break])
    done
    AS_IF([test -z "$jb_rs_hdr"],
      [AC_MSG_WARN([rsyslog modules (imjbridge, mmjbridge) NOT built: no prepared rsyslog headers.
  Debian ships no rsyslog-dev; run (as root) plugin/prepare-rsyslog-headers.sh DIR
  and then ./configure --with-rsyslog-headers=DIR (tests/setup.sh does both).])
       jb_rs_hdr=no])],
  [test "x$jb_rs_hdr" = xyes], [AC_MSG_ERROR([--with-rsyslog-headers needs a directory])])

AS_IF([test "x$jb_rs_hdr" != xno], [
    AS_IF([test -f "$jb_rs_hdr/config.h" && test -f "$jb_rs_hdr/runtime/msg.h"], [],
      [AC_MSG_ERROR([$jb_rs_hdr is not a prepared rsyslog source tree (config.h and runtime/msg.h missing); run plugin/prepare-rsyslog-headers.sh $jb_rs_hdr])])
    jb_rs_hdr=`cd "$jb_rs_hdr" && pwd`
    AS_IF([test -z "$RSYSLOGD"], [AC_MSG_ERROR([rsyslogd not found: the modules are built for the installed rsyslogd (apt-get install rsyslog)])])
    PKG_CHECK_MODULES([LIBESTR], [libestr])
    PKG_CHECK_MODULES([LIBFASTJSON], [libfastjson])

    # 1. The same upstream version.
    AC_MSG_CHECKING([whether the rsyslog headers match $RSYSLOGD's version])
    jb_rs_dver=`"$RSYSLOGD" -v 2>/dev/null | sed -n '1s/^rsyslogd *\([[0-9]][[0-9.]]*\).*/\1/p'`
    jb_rs_hver=`sed -n 's/^#define VERSION "\(.*\)"$/\1/p' "$jb_rs_hdr/config.h"`
    AS_IF([test -n "$jb_rs_dver" && test "x$jb_rs_dver" = "x$jb_rs_hver"], [AC_MSG_RESULT([yes, $jb_rs_dver])],
      [AC_MSG_RESULT([no])
       AC_MSG_ERROR([ABI guard: the headers in $jb_rs_hdr are rsyslog $jb_rs_hver but $RSYSLOGD is $jb_rs_dver; prepare matching headers with plugin/prepare-rsyslog-headers.sh])])

    # 2. The build features that change struct layouts, as the daemon reports them (rsyslogd -v).
    AC_MSG_CHECKING([whether the rsyslog headers were configured like $RSYSLOGD])
    jb_rs_v=`"$RSYSLOGD" -v 2>/dev/null`
    jb_rs_bad=
    jb_rs_feature() { # daemon line pattern, config.h macro
        jb_d=`printf '%s\n' "$jb_rs_v" | grep "$[]1" | sed -n 's/.*:[[ 	]]*//p' | head -n 1`
        if grep -q "^@%:@define $[]2 1" "$jb_rs_hdr/config.h"; then jb_h=Yes; else jb_h=No; fi
        case $[]2 in NDEBUG) jb_h=`test $jb_h = Yes && echo No || echo Yes` ;; esac
        test "x$jb_d" = "x$jb_h" || jb_rs_bad="$jb_rs_bad $[]2(daemon: $jb_d, headers: $jb_h)"
    }
    jb_rs_feature 'FEATURE_DEBUG' NDEBUG
    jb_rs_feature 'FEATURE_REGEXP' FEATURE_REGEXP
    jb_rs_feature '32bit Atomic' HAVE_ATOMIC_BUILTINS
    jb_rs_feature '64bit Atomic' HAVE_ATOMIC_BUILTINS64
    jb_rs_feature 'uuid support' USE_LIBUUID
    AS_IF([test -z "$jb_rs_bad"], [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       AC_MSG_ERROR([ABI guard: $jb_rs_hdr/config.h differs from $RSYSLOGD in:$jb_rs_bad (re-run the headers' configure with --enable-debug=no and defaults otherwise)])])

    # 3. smsg_t offsets seen by the headers == offsets in the daemon's own setters.
    RSYSLOG_CPPFLAGS="-isystem $jb_rs_hdr -isystem $jb_rs_hdr/runtime -isystem $jb_rs_hdr/grammar $LIBESTR_CFLAGS $LIBFASTJSON_CFLAGS"
    jb_rs_save_CPPFLAGS=$CPPFLAGS
    CPPFLAGS="$RSYSLOG_CPPFLAGS"
    jb_rs_inc="@%:@include \"$jb_rs_hdr/config.h\"
@%:@include <stddef.h>
@%:@include \"rsyslog.h\"
@%:@include \"msg.h\""
    AC_COMPUTE_INT([jb_rs_off_flowctl], [offsetof(smsg_t, flowCtlType)], [$jb_rs_inc],
      [AC_MSG_ERROR([cannot compile against the rsyslog headers in $jb_rs_hdr (see config.log)])])
    AC_COMPUTE_INT([jb_rs_off_msg], [offsetof(smsg_t, offMSG)], [$jb_rs_inc],
      [AC_MSG_ERROR([cannot compile against the rsyslog headers in $jb_rs_hdr (see config.log)])])
    CPPFLAGS=$jb_rs_save_CPPFLAGS
    AC_MSG_CHECKING([smsg_t offsets against $RSYSLOGD's MsgSetFlowControlType and MsgSetMSGoffs])
    jb_rs_dis() { # symbol: where the setter stores its int argument: "mov %esi,0xNN(%rdi)"
        jb_a=`$OBJDUMP_FOR_RSYSLOG -T "$RSYSLOGD" 2>/dev/null | awk -v s="$[]1" '$NF==s && $[]4==".text" {print $[]1, $[]5; exit}'`
        test -n "$jb_a" || return 0
        set -- $jb_a
        $OBJDUMP_FOR_RSYSLOG -d --no-show-raw-insn --start-address=0x$[]1 --stop-address=`printf '0x%x' $((0x$[]1 + 0x$[]2))` "$RSYSLOGD" 2>/dev/null |
            sed -n 's/.*mov  *%esi,0x\([[0-9a-f]]*\)(%rdi)$/\1/p' | head -n 1
    }
    jb_rs_d1= jb_rs_d2=
    AS_IF([test -n "$OBJDUMP_FOR_RSYSLOG"], [jb_rs_d1=`jb_rs_dis MsgSetFlowControlType`; jb_rs_d2=`jb_rs_dis MsgSetMSGoffs`])
    AS_IF([test -z "$jb_rs_d1" || test -z "$jb_rs_d2"],
      [AC_MSG_RESULT([not checked (no objdump or unknown code shape); the modules check at load time])],
      [test $((0x$jb_rs_d1)) -eq $jb_rs_off_flowctl && test $((0x$jb_rs_d2)) -eq $jb_rs_off_msg],
      [AC_MSG_RESULT([yes ($jb_rs_off_flowctl, $jb_rs_off_msg)])],
      [AC_MSG_RESULT([no])
       AC_MSG_ERROR([ABI guard: smsg_t layout differs: headers flowCtlType=$jb_rs_off_flowctl offMSG=$jb_rs_off_msg, $RSYSLOGD uses $((0x$jb_rs_d1)) and $((0x$jb_rs_d2)) (NDEBUG?); prepare the headers with plugin/prepare-rsyslog-headers.sh])])

    # Module directory: rsyslogd's compiled-in default.
    AS_IF([test "x$jb_rs_moddir" = xauto], [
        jb_rs_moddir=`strings "$RSYSLOGD" 2>/dev/null | grep -m 1 '^/.*/rsyslog/$' | sed 's,/$,,'`
        AS_IF([test -z "$jb_rs_moddir"], [jb_rs_moddir='${libdir}/rsyslog'])])
    AC_MSG_CHECKING([rsyslog module directory])
    AC_MSG_RESULT([$jb_rs_moddir])
    jb_rs_build=yes
])
AS_IF([test "x$jb_rs_moddir" = xauto], [jb_rs_moddir='${libdir}/rsyslog'])
RSYSLOG_HEADERS=$jb_rs_hdr
RSYSLOG_MODULEDIR=$jb_rs_moddir
AC_SUBST([RSYSLOG_HEADERS])
AC_SUBST([RSYSLOG_CPPFLAGS])
AC_SUBST([RSYSLOG_MODULEDIR])
AM_CONDITIONAL([BUILD_RSYSLOG_MODULES], [test "x$jb_rs_build" = xyes])
])
