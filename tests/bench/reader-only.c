/* SPDX-License-Identifier: Apache-2.0 */

/* Benchmark aid: jbridge's journal reader alone (src/journal.c jb_journal_next: every field
 * enumerated, the fields jbridge keeps copied into a jb_entry, the cursor taken and hashed), in
 * one thread, nothing done with the entries. Beside raw-reader.c (row 1) it shows what the
 * reader itself adds to the limit; beside row 4 what running it next to the rest of the pipeline
 * costs. Prints the same line as raw-reader.c.
 *
 * usage: jb-bench-reader DIR                                                                      */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "entry.h"
#include "journal.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    double start = now();
    jb_source src = {.kind = JB_SOURCE_DIRECTORY, .directory = argv[1]};
    jb_journal *j = NULL;
    jb_error err = {0};
    jb_entry e;
    memset(&e, 0, sizeof e);
    if (jb_journal_open(&src, &j, &err) < 0 || jb_journal_seek_head(j, &err) < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], err.msg);
        return 1;
    }
    uint64_t entries = 0, bytes = 0, sum = 0;
    int r;
    while ((r = jb_journal_next(j, &e, &err)) > 0) {
        entries++;
        bytes += e.message.len;
        sum += e.cursor_hash & 0xff; /* use what the reader made */
    }
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], err.msg);
        return 1;
    }
    double secs = now() - start;
    jb_entry_done(&e);
    jb_journal_free(j);
    printf("entries %" PRIu64 " fields - bytes %" PRIu64 " seconds %.3f entries/s %.0f (checksum %" PRIu64 ")\n",
           entries, bytes, secs, secs > 0 ? (double)entries / secs : 0.0, sum);
    return 0;
}
