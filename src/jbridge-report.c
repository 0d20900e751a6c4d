/* SPDX-License-Identifier: Apache-2.0 */
/* What the command tells an operator who watches it: a progress line on a terminal, rewritten in
 * place at most four times a second (long one-shot exports, --follow, bundle), and one summary
 * line at the end. Nothing of it when standard error is not a terminal (cron, a service, a pipe):
 * there the exit status and the warnings speak; no progress line when the records go to the same
 * terminal (standard output), only the summary. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "jbridge.h"
#include "timestamp.h"

#define PROGRESS_EVERY_USEC 250000u

/* The report whose progress line is on the terminal now (one at a time), for jb_cli_report_clear(). */
static jb_cli_report *on_screen;

void jb_cli_report_init(jb_cli_report *r, const char *what, bool uses_stdout) {
    *r = (jb_cli_report){.what = what, .tty = isatty(STDERR_FILENO) == 1, .start = jb_now_usec(CLOCK_MONOTONIC)};
    /* records on the same terminal: a line rewritten in place would land among them */
    r->progress = r->tty && !(uses_stdout && isatty(STDOUT_FILENO) == 1);
}

void jb_cli_report_record(jb_cli_report *r, const jb_record *rec) {
    r->records[rec->stream == JB_STREAM_AUDIT]++;
    /* what jbridge@PEN says is wrong with a record: malformed audit, a line without its end or cut */
    if ((rec->audit && rec->audit->kind == JB_AUDIT_MALFORMED) || rec->line == JB_LINE_INCOMPLETE ||
        rec->line == JB_LINE_OVERFLOW)
        r->flagged++;
}

static void describe(const jb_cli_report *r, const jb_stats *st, char *buf, size_t n) {
    snprintf(buf, n, "%llu entries read; records: app %llu, audit %llu; flagged %llu, untrusted %llu, gaps %llu",
             (unsigned long long)st->entries_read, (unsigned long long)r->records[0], (unsigned long long)r->records[1],
             (unsigned long long)r->flagged, (unsigned long long)st->entries_untrusted, (unsigned long long)st->gaps);
}

void jb_cli_report_progress(jb_cli_report *r, const jb_stats *st, const char *state) {
    if (!r->progress) return;
    uint64_t now = jb_now_usec(CLOCK_MONOTONIC);
    if (r->shown && now - r->last < PROGRESS_EVERY_USEC) return;
    char line[256];
    describe(r, st, line, sizeof line);
    /* \r and "erase to the end of the line": the next line overwrites this one */
    fprintf(stderr, "\r\033[K%s: %s%s%s", r->what, line, state ? " " : "", state ? state : "");
    fflush(stderr);
    r->last = now;
    r->shown = true;
    on_screen = r;
}

void jb_cli_report_clear(void) {
    if (!on_screen || !on_screen->shown) return;
    fputs("\r\033[K", stderr);
    on_screen->shown = false;
    on_screen = NULL;
}

void jb_cli_report_summary(jb_cli_report *r, const jb_stats *st, const char *done) {
    if (!r->tty) return;
    jb_cli_report_clear();
    char line[256];
    describe(r, st, line, sizeof line);
    double secs = (double)(jb_now_usec(CLOCK_MONOTONIC) - r->start) / 1e6;
    fprintf(stderr, "%s: %s%s%s (%.1f s)\n", r->what, done ? done : "", done ? ": " : "", line, secs);
}
