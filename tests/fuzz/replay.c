/* SPDX-License-Identifier: Apache-2.0 */
/* Corpus replay without libFuzzer: calls the target's LLVMFuzzerTestOneInput() on every file of
 * tests/fuzz/corpus/NAME (under $JB_SRCDIR, else the source tree given at build time), or on the
 * files and directories given as arguments (to reproduce a finding with gcc). Prints one TAP test
 * point; a broken property prints "not ok" naming the file and aborts. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzzlib.h"

#ifndef JB_FUZZ_TARGET
#error "build with -DJB_FUZZ_TARGET=\"name\""
#endif

static size_t n_inputs, n_bytes;

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("not ok 1 - %s: cannot open %s: %s\n", JB_FUZZ_TARGET, path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *b = realloc(buf, cap * 2);
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    fclose(f);
    if (!buf) {
        printf("not ok 1 - %s: out of memory reading %s\n", JB_FUZZ_TARGET, path);
        return -1;
    }
    /* an exact-size copy, so ASan sees reads past the input's end */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    jb_fuzz_current_input = path;
    LLVMFuzzerTestOneInput(exact, n);
    jb_fuzz_current_input = NULL;
    free(exact);
    n_inputs++;
    n_bytes += n;
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_path(const char *path) {
    struct stat st;
    if (stat(path, &st) < 0) {
        printf("not ok 1 - %s: %s: %s\n", JB_FUZZ_TARGET, path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return replay_file(path);
    struct dirent **list;
    int n = scandir(path, &list, NULL, by_name);
    if (n < 0) {
        printf("not ok 1 - %s: cannot list %s: %s\n", JB_FUZZ_TARGET, path, strerror(errno));
        return -1;
    }
    int r = 0;
    for (int i = 0; i < n; i++) {
        if (r == 0 && list[i]->d_name[0] != '.') {
            char file[4096];
            snprintf(file, sizeof file, "%s/%s", path, list[i]->d_name);
            r = replay_file(file);
        }
        free(list[i]);
    }
    free(list);
    return r;
}

int main(int argc, char **argv) {
    printf("1..1\n");
    fflush(stdout);
    int r = 0;
    if (argc > 1) {
        for (int i = 1; i < argc && r == 0; i++) r = replay_path(argv[i]);
    } else {
        const char *src = getenv("JB_SRCDIR");
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", src && *src ? src : JB_FUZZ_SRCDIR, JB_FUZZ_TARGET);
        r = replay_path(dir);
    }
    if (r < 0) return 1;
    if (n_inputs == 0) {
        printf("not ok 1 - %s: no corpus files\n", JB_FUZZ_TARGET);
        return 1;
    }
    printf("ok 1 - %s: %zu corpus inputs (%zu bytes) replayed, every property held\n", JB_FUZZ_TARGET, n_inputs,
           n_bytes);
    return 0;
}
