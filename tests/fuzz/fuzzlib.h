/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What the fuzz targets share: reading structured values from the fuzzer's bytes, and a check
 * that reports a broken property. The same target source is linked either with libFuzzer
 * (./configure CC=clang --enable-fuzzing) or with tests/fuzz/replay.c, the corpus replay driver
 * that `make check` runs with any compiler. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set by the replay driver to the corpus file being replayed (NULL under libFuzzer). */
extern const char *jb_fuzz_current_input;

/* A broken property: report it (as a TAP failure in the replay driver) and abort, which
 * libFuzzer records as a finding. */
__attribute__((noreturn, format(printf, 4, 5))) void jb_fuzz_fail(const char *file, int line, const char *cond,
                                                                  const char *fmt, ...);
#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) jb_fuzz_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__); \
    } while (0)

/* A cursor over the input. Reads past the end give zeros / empty slices. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

static inline uint8_t fuzz_u8(fuzz_in *in) {
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t fuzz_u16(fuzz_in *in) {
    uint16_t lo = fuzz_u8(in);
    return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

/* Up to max bytes (fewer when the input ends). */
static inline const char *fuzz_bytes(fuzz_in *in, size_t want, size_t *ret_len) {
    size_t n = want < in->n ? want : in->n;
    const char *p = (const char *)in->p;
    in->p += n;
    in->n -= n;
    *ret_len = n;
    return p;
}

/* A slice whose length is given by the next byte (0..max). */
static inline const char *fuzz_slice(fuzz_in *in, size_t max, size_t *ret_len) {
    size_t want = fuzz_u8(in) % (max + 1);
    return fuzz_bytes(in, want, ret_len);
}
