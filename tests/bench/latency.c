/* SPDX-License-Identifier: Apache-2.0 */

/* Benchmark aid: the latency from a container's write to its output line. Sends COUNT
 * Docker-style entries to journald (sd_journal_sendv, as the suite's writer does) at RATE entries/s
 * (0: as fast as journald takes them), every AUDIT_EVERY-th an audit line, each carrying
 * "lat=SEQ:USEC" (USEC: CLOCK_REALTIME at the send) in its message; a second thread tails the
 * output files from their current end and, for each line with such a token, takes the time it
 * saw the line minus USEC. Prints the percentiles of those latencies, one line:
 *
 *   sent N seconds S rate R seen M p50_ms A p99_ms B max_ms C jd_p99_ms D jd_max_ms E late L
 *   first_ms F warm_max_ms W
 *
 * --warmup K: the first K entries are sent at the same rate but left out of the percentiles
 * (seen is still every entry): they measure the input waking from idle, which is reported apart
 * as first_ms (the first entry's latency) and warm_max_ms (the worst of the K). Without it the
 * percentiles of a short run mix the steady state with that one wake.
 * The stages: a line's RFC 3339 timestamp (RSYSLOG_SyslogProtocol23Format) is the entry's
 * __REALTIME_TIMESTAMP, the time journald began to process it (it has no SYSLOG_TIMESTAMP), so
 * jd_* is the send -> journald part of each latency (the rest is the reader, the input and
 * rsyslog's queue and omfile). late: entries over --late-ms (default 50); with --bursts each
 * run of late entries is described on stderr (when it started, relative to the first send, how
 * many, the worst total and journald latencies), which tells a periodic stall from a random one.
 *
 * --follow instead of FILE...: no output files; a thread of this program follows the local
 * journal itself with sd-journal (sd_journal_next every 0.2 ms, no wait on journald's
 * notification): the baseline a reader cannot beat, journald's own write and visibility.
 *
 * Exit status 0 when every entry was seen within the timeout, 1 otherwise.
 *
 * usage: jb-bench-latency [--rate R] [--count N] [--audit-every K] [--timeout S] [--late-ms M]
 *                         [--bursts] FILE... | --follow
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
    uint64_t warmup;       /* the first entries, left out of the percentiles */
    uint64_t *latency;     /* by seq: usec, UINT64_MAX when not seen yet */
    uint64_t *jd;          /* by seq: send -> journald's receive time, usec (0 when unknown) */
    uint64_t *sent;        /* by seq: CLOCK_REALTIME usec of the send */
    sd_journal *follow;    /* --follow: the journal this program reads itself */
    uint64_t seen;         /* distinct entries seen */
    uint64_t deadline;     /* CLOCK_MONOTONIC usec; set by the sender when it is done */
    volatile bool sending; /* the sender runs: no deadline yet */
} tail;

/* The RFC 3339 time after "<PRI>1 " at the start of a line (2026-12-03T15:06:16.123456+00:00),
 * as usec since the epoch; 0 when there is none. */
static uint64_t line_time(const char *p, size_t n) {
    const char *gt = memchr(p, '>', n < 8 ? n : 8);
    if (!gt || (size_t)(p + n - gt) < 36 || gt[1] != '1' || gt[2] != ' ') return 0;
    const char *s = gt + 3;
    struct tm tm = {0};
    unsigned frac = 0, oh = 0, om = 0;
    char sign = '+';
    int fl = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%u%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &frac, &fl) != 7)
        return 0;
    int digits = 0;
    for (const char *q = s + 20; *q >= '0' && *q <= '9'; q++) digits++;
    for (; digits < 6; digits++) frac *= 10;
    if (sscanf(s + fl, "%c%2u:%2u", &sign, &oh, &om) != 3 && s[fl] != 'Z') return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t secs = (int64_t)timegm(&tm), off = (int64_t)(oh * 3600 + om * 60);
    secs += sign == '-' ? off : -off;
    return (uint64_t)secs * 1000000u + frac;
}

/* An entry seen (its token at m, "lat=..."), with its receive time rcv (0: unknown). */
static void entry_seen(tail *t, const char *m, size_t left, uint64_t now, uint64_t rcv) {
    char tmp[64];
    size_t k = left - 4;
    if (k >= sizeof tmp) k = sizeof tmp - 1;
    memcpy(tmp, m + 4, k);
    tmp[k] = '\0';
    uint64_t seq, usec;
    if (sscanf(tmp, "%" SCNu64 ":%" SCNu64, &seq, &usec) != 2 || seq >= t->count) return;
    if (t->latency[seq] != UINT64_MAX) return;
    t->latency[seq] = now > usec ? now - usec : 0;
    t->jd[seq] = rcv > usec ? rcv - usec : 0;
    t->sent[seq] = usec;
    t->seen++;
}

/* One complete line: find "lat=SEQ:USEC" and record its latency the first time it is seen. */
static void line_seen(tail *t, const char *p, size_t n, uint64_t now) {
    const char *m = memmem(p, n, "lat=", 4);
    if (!m) return;
    entry_seen(t, m, (size_t)(p + n - m), now, line_time(p, n));
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

/* --follow: what sd_journal_next returns now; 1 when something was read. When nothing was,
 * journald's inotify events are taken in (without waiting), so that a file journald rotated to
 * is followed too. */
static int poll_journal(tail *t) {
    int got = 0;
    while (sd_journal_next(t->follow) > 0) {
        const void *d;
        size_t n;
        uint64_t now = now_usec(CLOCK_REALTIME), rcv = 0;
        got = 1;
        if (sd_journal_get_data(t->follow, "MESSAGE", &d, &n) < 0) continue;
        sd_journal_get_realtime_usec(t->follow, &rcv);
        const char *m = memmem(d, n, "lat=", 4);
        if (m) entry_seen(t, m, (size_t)((const char *)d + n - m), now, rcv);
    }
    if (!got) sd_journal_process(t->follow);
    return got;
}

static void *tail_thread(void *userdata) {
    tail *t = userdata;
    while (t->seen < t->count) {
        if (!(t->follow ? poll_journal(t) : poll_files(t))) {
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

/* --bursts: each run of entries over late_usec (in send order, broken by 100 ms of timely ones)
 * on stderr: when it began (ms after the first send), entries, worst total and journald latency. */
static void report_bursts(const tail *t, uint64_t late_usec, uint64_t start_rt) {
    uint64_t first = 0, last = 0, n = 0, worst = 0, worst_jd = 0;
    for (uint64_t i = 0; i <= t->count; i++) {
        bool is_late = i < t->count && t->latency[i] != UINT64_MAX && t->latency[i] > late_usec;
        if (n > 0 && (i == t->count || (!is_late && t->sent[i] > t->sent[last] + 100000u))) {
            fprintf(stderr,
                    "burst at %.1f ms: %" PRIu64 " late entries over %.1f ms, worst %.1f ms (journald %.1f ms)\n",
                    (double)(t->sent[first] - start_rt) / 1000.0, n, (double)(t->sent[last] - t->sent[first]) / 1000.0,
                    (double)worst / 1000.0, (double)worst_jd / 1000.0);
            n = worst = worst_jd = 0;
        }
        if (!is_late) continue;
        if (n == 0) first = i;
        last = i;
        n++;
        if (t->latency[i] > worst) worst = t->latency[i];
        if (t->jd[i] > worst_jd) worst_jd = t->jd[i];
    }
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
                                         {"late-ms", required_argument, NULL, 'l'},
                                         {"bursts", no_argument, NULL, 'b'},
                                         {"follow", no_argument, NULL, 'f'},
                                         {"warmup", required_argument, NULL, 'w'},
                                         {0}};
    uint64_t rate = 10000, count = 100000, audit_every = 10, timeout = 30, late_ms = 50, warmup = 0;
    bool bursts = false, follow = false;
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
        else if (c == 'l')
            late_ms = v;
        else if (c == 'b')
            bursts = true;
        else if (c == 'f')
            follow = true;
        else if (c == 'w')
            warmup = v;
        else
            return 2;
    }
    if ((follow ? optind != argc : optind >= argc) || argc - optind > MAX_FILES || count == 0) {
        fprintf(stderr,
                "usage: %s [--rate R] [--count N] [--warmup K] [--audit-every K] [--timeout S] [--late-ms M] "
                "[--bursts] FILE... | --follow\n",
                argv[0]);
        return 2;
    }
    static tail t;
    t.n_files = (size_t)(argc - optind);
    t.count = count + warmup;
    t.warmup = warmup;
    t.sending = true;
    uint64_t total = count + warmup;
    t.latency = malloc(total * sizeof *t.latency);
    t.jd = calloc(total, sizeof *t.jd);
    t.sent = calloc(total, sizeof *t.sent);
    if (!t.latency || !t.jd || !t.sent) return 1;
    memset(t.latency, 0xff, total * sizeof *t.latency);
    if (follow) {
        int r = sd_journal_open(&t.follow, SD_JOURNAL_LOCAL_ONLY);
        if (r >= 0) r = sd_journal_seek_tail(t.follow);
        if (r >= 0) r = sd_journal_previous(t.follow); /* on the last entry: next returns what follows */
        if (r >= 0) r = sd_journal_get_fd(t.follow);   /* inotify on, for sd_journal_process() */
        if (r < 0) {
            fprintf(stderr, "cannot follow the journal: %s\n", strerror(-r));
            return 1;
        }
    }
    for (size_t i = 0; i < t.n_files; i++) {
        t.path[i] = argv[optind + (int)i];
        t.fd[i] = open(t.path[i], O_RDONLY | O_CLOEXEC);
        if (t.fd[i] >= 0) lseek(t.fd[i], 0, SEEK_END); /* only what this run writes */
    }
    pthread_t th;
    if (pthread_create(&th, NULL, tail_thread, &t) != 0) return 1;

    uint64_t start = now_usec(CLOCK_MONOTONIC), start_rt = now_usec(CLOCK_REALTIME);
    for (uint64_t seq = 0; seq < total; seq++) {
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

    uint64_t *seen = malloc(count * sizeof *seen), *jd = malloc(count * sizeof *jd), m = 0, late = 0, warm_max = 0;
    if (!seen || !jd) return 1;
    for (uint64_t i = 0; i < warmup; i++)
        if (t.latency[i] != UINT64_MAX && t.latency[i] > warm_max) warm_max = t.latency[i];
    for (uint64_t i = warmup; i < total; i++)
        if (t.latency[i] != UINT64_MAX) {
            jd[m] = t.jd[i];
            seen[m++] = t.latency[i];
            late += t.latency[i] > late_ms * 1000u;
        }
    if (bursts) report_bursts(&t, late_ms * 1000u, start_rt);
    qsort(seen, m, sizeof *seen, cmp_u64);
    qsort(jd, m, sizeof *jd, cmp_u64);
    double p50 = m ? (double)seen[m / 2] / 1000.0 : -1, p99 = m ? (double)seen[(m * 99) / 100] / 1000.0 : -1,
           max = m ? (double)seen[m - 1] / 1000.0 : -1;
    double jd99 = m ? (double)jd[(m * 99) / 100] / 1000.0 : -1, jdmax = m ? (double)jd[m - 1] / 1000.0 : -1;
    printf("sent %" PRIu64 " seconds %.3f rate %.0f seen %" PRIu64
           " p50_ms %.2f p99_ms %.2f max_ms %.2f jd_p99_ms %.2f jd_max_ms %.2f late %" PRIu64
           " first_ms %.2f warm_max_ms %.2f\n",
           total, secs, secs > 0 ? (double)total / secs : 0.0, m, p50, p99, max, jd99, jdmax, late,
           t.latency[0] != UINT64_MAX ? (double)t.latency[0] / 1000.0 : -1, (double)warm_max / 1000.0);
    free(seen);
    free(jd);
    free(t.jd);
    free(t.sent);
    if (t.follow) sd_journal_close(t.follow);
    free(t.latency);
    return m == count && t.seen == total ? 0 : 1;
}
