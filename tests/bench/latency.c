/* SPDX-License-Identifier: Apache-2.0 */

/* Benchmark aid: the latency from a container's write to its output line. Sends COUNT
 * Docker-style entries to journald (sd_journal_sendv, as the suite's writer does) at RATE entries/s
 * (0: as fast as journald takes them), every AUDIT_EVERY-th an audit line, each carrying
 * "lat=SEQ:USEC" (USEC: CLOCK_REALTIME at the send) in its message; a second thread tails the
 * output files from their current end and, for each line with such a token, takes the time it
 * saw the line minus USEC. Prints the percentiles of those latencies, one line:
 *
 *   sent N seconds S rate R seen M p50_ms A p99_ms B max_ms C
 *
 * Exit status 0 when every entry was seen within the timeout, 1 otherwise.
 *
 * usage: jb-bench-latency [--rate R] [--count N] [--audit-every K] [--timeout S] FILE...
 * Run it as "dockerd" (a copy so named, run as root): jbridge trusts only container runtimes. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 4

static uint64_t now_usec(clockid_t clk) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

typedef struct tail {
    int fd[MAX_FILES];
    char *path[MAX_FILES];
    char buf[MAX_FILES][1 << 16];
    size_t len[MAX_FILES];
    size_t n_files;
    uint64_t count;        /* entries sent, and so expected */
    uint64_t *latency;     /* by seq: usec, UINT64_MAX when not seen yet */
    uint64_t seen;         /* distinct entries seen */
    uint64_t deadline;     /* CLOCK_MONOTONIC usec; set by the sender when it is done */
    volatile bool sending; /* the sender runs: no deadline yet */
} tail;

/* One complete line: find "lat=SEQ:USEC" and record its latency the first time it is seen. */
static void line_seen(tail *t, const char *p, size_t n, uint64_t now) {
    const char *m = memmem(p, n, "lat=", 4);
    if (!m) return;
    char tmp[64];
    size_t k = (size_t)(p + n - (m + 4));
    if (k >= sizeof tmp) k = sizeof tmp - 1;
    memcpy(tmp, m + 4, k);
    tmp[k] = '\0';
    uint64_t seq, usec;
    if (sscanf(tmp, "%" SCNu64 ":%" SCNu64, &seq, &usec) != 2 || seq >= t->count) return;
    if (t->latency[seq] != UINT64_MAX) return;
    t->latency[seq] = now > usec ? now - usec : 0;
    t->seen++;
}

/* Read what the files gained; 1 when something was read. */
static int poll_files(tail *t) {
    int got = 0;
    for (size_t i = 0; i < t->n_files; i++) {
        if (t->fd[i] < 0) {
            t->fd[i] = open(t->path[i], O_RDONLY | O_CLOEXEC); /* the output may not exist yet */
            if (t->fd[i] < 0) continue;
        }
        for (;;) {
            ssize_t r = read(t->fd[i], t->buf[i] + t->len[i], sizeof t->buf[i] - t->len[i]);
            if (r <= 0) break;
            got = 1;
            uint64_t now = now_usec(CLOCK_REALTIME);
            t->len[i] += (size_t)r;
            char *start = t->buf[i], *end = t->buf[i] + t->len[i], *nl;
            while ((nl = memchr(start, '\n', (size_t)(end - start))) != NULL) {
                line_seen(t, start, (size_t)(nl - start), now);
                start = nl + 1;
            }
            t->len[i] = (size_t)(end - start);
            if (t->len[i] == sizeof t->buf[i]) t->len[i] = 0; /* a line over 64 KiB: not ours */
            memmove(t->buf[i], start, t->len[i]);
        }
    }
    return got;
}

static void *tail_thread(void *userdata) {
    tail *t = userdata;
    while (t->seen < t->count) {
        if (!poll_files(t)) {
            if (!t->sending && now_usec(CLOCK_MONOTONIC) > t->deadline) break;
            usleep(200); /* the resolution of the figures: well under a millisecond */
        }
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void send_entry(uint64_t seq, bool audit) {
    char msg[512], ts[64];
    uint64_t usec = now_usec(CLOCK_REALTIME);
    time_t secs = (time_t)(usec / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
    if (audit)
        snprintf(msg, sizeof msg,
                 "MESSAGE=%s [INFO] [Audit Log] {\"resource\":\"workspace\",\"action\":\"read\",\"resource_id\":"
                 "\"ws-%" PRIu64
                 "\",\"actor\":\"user\",\"timestamp\":\"%s\",\"actor_ip\":\"10.0.0.1\","
                 "\"note\":\"lat=%" PRIu64 ":%" PRIu64 "\"}",
                 ts, seq, ts, seq, usec);
    else
        snprintf(msg, sizeof msg, "MESSAGE=%s [INFO] GET /api/v2/workspaces lat=%" PRIu64 ":%" PRIu64 " 200", ts, seq,
                 usec);
    int r =
        sd_journal_send("%s", msg, "CONTAINER_NAME=ptfe_atlas", "CONTAINER_ID=0123456789ab",
                        "CONTAINER_ID_FULL=0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123",
                        "IMAGE_NAME=hashicorp/ptfe-atlas:latest", "SYSLOG_IDENTIFIER=0123456789ab", "PRIORITY=6", NULL);
    if (r < 0) {
        fprintf(stderr, "sd_journal_send: %s\n", strerror(-r));
        exit(1);
    }
}

int main(int argc, char **argv) {
    static const struct option opts[] = {{"rate", required_argument, NULL, 'r'},
                                         {"count", required_argument, NULL, 'n'},
                                         {"audit-every", required_argument, NULL, 'a'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {0}};
    uint64_t rate = 10000, count = 100000, audit_every = 10, timeout = 30;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        uint64_t v = strtoull(optarg ? optarg : "", NULL, 10);
        if (c == 'r')
            rate = v;
        else if (c == 'n')
            count = v;
        else if (c == 'a')
            audit_every = v;
        else if (c == 't')
            timeout = v;
        else
            return 2;
    }
    if (optind >= argc || argc - optind > MAX_FILES || count == 0) {
        fprintf(stderr, "usage: %s [--rate R] [--count N] [--audit-every K] [--timeout S] FILE...\n", argv[0]);
        return 2;
    }
    static tail t;
    t.n_files = (size_t)(argc - optind);
    t.count = count;
    t.sending = true;
    t.latency = malloc(count * sizeof *t.latency);
    if (!t.latency) return 1;
    memset(t.latency, 0xff, count * sizeof *t.latency);
    for (size_t i = 0; i < t.n_files; i++) {
        t.path[i] = argv[optind + (int)i];
        t.fd[i] = open(t.path[i], O_RDONLY | O_CLOEXEC);
        if (t.fd[i] >= 0) lseek(t.fd[i], 0, SEEK_END); /* only what this run writes */
    }
    pthread_t th;
    if (pthread_create(&th, NULL, tail_thread, &t) != 0) return 1;

    uint64_t start = now_usec(CLOCK_MONOTONIC);
    for (uint64_t seq = 0; seq < count; seq++) {
        if (rate > 0) { /* paced against the start, so a late send does not slow the rest */
            uint64_t due = start + seq * 1000000u / rate, now = now_usec(CLOCK_MONOTONIC);
            if (due > now) usleep((useconds_t)(due - now));
        }
        send_entry(seq, audit_every > 0 && seq % audit_every == audit_every - 1);
    }
    double secs = (double)(now_usec(CLOCK_MONOTONIC) - start) / 1e6;
    t.deadline = now_usec(CLOCK_MONOTONIC) + timeout * 1000000u;
    t.sending = false;
    pthread_join(th, NULL);

    uint64_t *seen = malloc(count * sizeof *seen), m = 0;
    if (!seen) return 1;
    for (uint64_t i = 0; i < count; i++)
        if (t.latency[i] != UINT64_MAX) seen[m++] = t.latency[i];
    qsort(seen, m, sizeof *seen, cmp_u64);
    double p50 = m ? (double)seen[m / 2] / 1000.0 : -1, p99 = m ? (double)seen[(m * 99) / 100] / 1000.0 : -1,
           max = m ? (double)seen[m - 1] / 1000.0 : -1;
    printf("sent %" PRIu64 " seconds %.3f rate %.0f seen %" PRIu64 " p50_ms %.2f p99_ms %.2f max_ms %.2f\n", count,
           secs, secs > 0 ? (double)count / secs : 0.0, m, p50, p99, max);
    free(seen);
    free(t.latency);
    return m == count ? 0 : 1;
}
