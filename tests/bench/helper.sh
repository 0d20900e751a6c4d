# SPDX-License-Identifier: Apache-2.0
# Sourced by bench.sh and hosts.sh (they set JB_SRCDIR, JB_BUILDDIR, BENCH_DIR and die()).

# older BIN SRC: BIN is missing, or older than SRC or than a header of tests/bench
older() {
    local h
    [[ -x $1 && ! $1 -ot $2 ]] || return 0
    for h in "$JB_SRCDIR"/tests/bench/*.h; do [[ ! $1 -ot $h ]] || return 0; done
    return 1
}

# helper NAME SOURCE [LIBS...]: the path of a benchmark program: the build tree's when it is up to
# date with its source (make bench-programs), else built once into BENCH_DIR/bin
helper() {
    local name=$1 src=$2
    shift 2
    if ! older "$JB_BUILDDIR/tests/bench/$name" "$JB_SRCDIR/$src"; then
        echo "$JB_BUILDDIR/tests/bench/$name"
        return
    fi
    local bin=$BENCH_DIR/bin/$name
    if older "$bin" "$JB_SRCDIR/$src"; then
        mkdir -p "$BENCH_DIR/bin"
        ${CC:-cc} ${CFLAGS:--O2} -D_GNU_SOURCE -o "$bin.$$" "$JB_SRCDIR/$src" "$@" >&2 || die "cannot build $name"
        mv "$bin.$$" "$bin"
    fi
    echo "$bin"
}
