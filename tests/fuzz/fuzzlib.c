/* SPDX-License-Identifier: Apache-2.0 */
#include "fuzzlib.h"

#include <stdarg.h>

const char *jb_fuzz_current_input;

void jb_fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
    va_list ap;
    char msg[512];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (jb_fuzz_current_input) {
        /* the replay driver: a TAP failure naming the corpus file, then stop */
        printf("not ok 1 - %s: property broken at %s:%d: %s:%s\n", jb_fuzz_current_input, file, line, cond, msg);
        fflush(stdout);
    }
    fprintf(stderr, "property broken at %s:%d: %s:%s\n", file, line, cond, msg);
    abort();
}
