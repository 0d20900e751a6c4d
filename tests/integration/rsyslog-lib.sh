# SPDX-License-Identifier: Apache-2.0
# Helpers of the rsyslog tests (sourced after lib.sh): Debian's rsyslogd and the built modules,
# example configs made runnable in a private directory, throwaway TLS certificates.

: "${RSYSLOGD:=/usr/sbin/rsyslogd}"
: "${JB_RSYSLOG_MODULES:=$JB_BUILDDIR/.libs}"
JB_EXAMPLES=$JB_SRCDIR/examples

# jb_rsyslog_test [PROGRAM...]: the start of an rsyslog test: rsyslogd, systemd-journal-remote, the
# imjbridge module and each PROGRAM must be there (see jb_need_program), and a temporary
# directory ($JB_TMP) is made and removed at exit.
jb_rsyslog_test() {
    local p
    for p in "$RSYSLOGD" "$JOURNAL_REMOTE" "$JB_RSYSLOG_MODULES/imjbridge.so" "$@"; do jb_need_program "$p"; done
    jb_mktemp
    trap jb_cleanup EXIT
}

# jb_make_tls DIR: a CA and a certificate for the names the examples use (siem.example.com,
# logs.example.com, localhost, 127.0.0.1), as DIR/ca.pem, DIR/cert.pem, DIR/key.pem.
jb_make_tls() {
    local d=$1
    mkdir -p "$d"
    (
        cd "$d" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=jbridge-test-ca -keyout ca-key.pem \
            -out ca.pem -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign &&
            openssl req -newkey rsa:2048 -nodes -subj /CN=siem.example.com -keyout key.pem -out req.pem &&
            printf 'subjectAltName=DNS:siem.example.com,DNS:logs.example.com,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >ext.cnf &&
            openssl x509 -req -in req.pem -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile ext.cnf \
                -out cert.pem
    ) >"$d/openssl.log" 2>&1
}

# jb_example_conf EXAMPLE WORKDIR TLSDIR [SED-EXPRESSION...]: the example on stdout, runnable here:
# the modules loaded from the build, a global(workDirectory) line when it has none, the TLS files
# of /etc/rsyslog-tls/ taken from TLSDIR, the sealing key /etc/jbridge/seal.key made in WORKDIR,
# then the extra sed expressions.
jb_example_conf() {
    local ex=$1 work=$2 tls=$3 e
    shift 3
    local args=(-e "s|module(load=\"imjbridge\"|module(load=\"$JB_RSYSLOG_MODULES/imjbridge.so\"|"
        -e "s|module(load=\"mmjbridge\"|module(load=\"$JB_RSYSLOG_MODULES/mmjbridge.so\"|"
        -e "s|/etc/rsyslog-tls/|$tls/|g")
    # a sealing example: a key of the test's own (WORKDIR/seal.key, made once; its verification
    # key in WORKDIR/seal.verify) in place of /etc/jbridge/seal.key, which rsyslogd -N1 loads
    if grep -q '/etc/jbridge/seal.key' "$ex"; then
        mkdir -p "$work" && { [ -e "$work/seal.key" ] || "$JBRIDGE" keygen --seal-key "$work/seal.key" >"$work/seal.verify"; } || return 1
        args+=(-e "s|/etc/jbridge/seal.key|$work/seal.key|g")
    fi
    for e in "$@"; do args+=(-e "$e"); done
    grep -q 'workDirectory=' "$ex" || echo "global(workDirectory=\"$work\")"
    sed "${args[@]}" "$ex"
}

# jb_free_port: a TCP port nobody listens on now (bound then released by the kernel's choice).
jb_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# jb_rsyslogd_start NAME CONF: rsyslogd -n in the background with its own pid file
# ($JB_TMP/NAME.pid) and log ($JB_TMP/NAME.log); returns when the pid file is written (its
# listeners are up then). Sets RS_PID. JB_RS_WRAPPER (an array) runs it under another program.
jb_rsyslogd_start() {
    local name=$1 conf=$2
    rm -f "$JB_TMP/$name.pid"
    "${JB_RS_WRAPPER[@]+"${JB_RS_WRAPPER[@]}"}" "$RSYSLOGD" -n -f "$conf" -i "$JB_TMP/$name.pid" \
        >>"$JB_TMP/$name.log" 2>&1 &
    RS_PID=$!
    jb_on_cleanup "kill -TERM $RS_PID 2>/dev/null"
    jb_wait_for "test -s '$JB_TMP/$name.pid'" 60 || jb_diag "rsyslogd $name wrote no pid file in 60 s: $(cat "$JB_TMP/$name.log")"
}

# jb_rsyslogd_stop PID NAME: SIGTERM, wait (60 s), one test point: exits 0.
jb_rsyslogd_stop() {
    kill -TERM "$1" 2>/dev/null
    if jb_wait_pid_exit "$1" 60 && [ "$JB_EXIT_STATUS" -eq 0 ]; then
        jb_pass "$2: rsyslogd exits 0 on SIGTERM"
    else
        jb_fail "$2: rsyslogd exits 0 on SIGTERM (status ${JB_EXIT_STATUS:-timeout})"
        kill -KILL "$1" 2>/dev/null || true
    fi
}

# jb_impstats FILE KEY...: imjbridge's counters in the last impstats report of FILE (format json),
# as "KEY=VALUE" pairs in the order given; a KEY written NAME>0 prints NAME>0=True or False. Fails
# when FILE holds no report of the input yet.
jb_impstats() {
    [ -f "$1" ] || return 1
    python3 - "$@" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    i = line.find("{")
    if i < 0:
        continue
    try:
        o = json.loads(line[i:])
    except ValueError:
        continue
    if o.get("origin") == "imjbridge":
        last = o
if last is None:
    sys.exit(1)
out = []
for k in sys.argv[2:]:
    if k.endswith(">0"):
        out.append("%s=%s" % (k, last.get(k[:-2], 0) > 0))
    else:
        out.append("%s=%s" % (k, last.get(k)))
print(" ".join(out))
PY
}
