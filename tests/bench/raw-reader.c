/* SPDX-License-Identifier: Apache-2.0 */

/* Benchmark baseline: the least a journal reader can do. Reads every entry of a journal directory
 * or of journal files with sd-journal, enumerates every field (SD_JOURNAL_FOREACH_DATA, no size
 * threshold) touching the data, and takes the entry's cursor as a reader that checkpoints must.
 * Prints the number of entries and entries/s.
 *
 * usage: raw-reader [--no-cursor] DIR | FILE...                                                  */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_journal(sd_journal **ret, char **paths) {
    struct stat st;

    if (paths[1] == NULL && stat(paths[0], &st) == 0 && S_ISDIR(st.st_mode))
        return sd_journal_open_directory(ret, paths[0], 0);
    return sd_journal_open_files(ret, (const char **)paths, 0);
}

int main(int argc, char **argv) {
    bool cursor = true;
    int first = 1;

    if (argc > 1 && strcmp(argv[1], "--no-cursor") == 0) {
        cursor = false;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [--no-cursor] DIR | FILE...\n", argv[0]);
        return 2;
    }

    double start = now();
    sd_journal *j = NULL;
    int r = open_journal(&j, argv + first);
    if (r < 0) {
        fprintf(stderr, "open %s: %s\n", argv[first], strerror(-r));
        return 1;
    }
    r = sd_journal_set_data_threshold(j, 0);
    if (r < 0) {
        fprintf(stderr, "sd_journal_set_data_threshold: %s\n", strerror(-r));
        return 1;
    }

    uint64_t entries = 0, fields = 0, bytes = 0, sum = 0;
    for (;;) {
        r = sd_journal_next(j);
        if (r < 0) {
            fprintf(stderr, "sd_journal_next: %s\n", strerror(-r));
            return 1;
        }
        if (r == 0) break;

        const void *data;
        size_t len;
        SD_JOURNAL_FOREACH_DATA(j, data, len) {
            fields++;
            bytes += len;
            sum += ((const unsigned char *)data)[len - 1]; /* touch the data, not just its length */
        }
        if (cursor) {
            char *c;
            r = sd_journal_get_cursor(j, &c);
            if (r < 0) {
                fprintf(stderr, "sd_journal_get_cursor: %s\n", strerror(-r));
                return 1;
            }
            sum += (unsigned char)c[0];
            free(c);
        }
        entries++;
    }
    double secs = now() - start;
    sd_journal_close(j);

    printf("entries %" PRIu64 " fields %" PRIu64 " bytes %" PRIu64 " seconds %.3f entries/s %.0f (checksum %" PRIu64
           ")\n",
           entries, fields, bytes, secs, secs > 0 ? (double)entries / secs : 0.0, sum);
    return 0;
}
