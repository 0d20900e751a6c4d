/* SPDX-License-Identifier: Apache-2.0 */

/* Benchmark helper for daemons (rsyslogd, syslog-ng) that never exit by themselves: runs the
 * daemon in the foreground, counts the lines it writes to its output files as they grow (each
 * byte read once, so polling costs next to nothing) and, once LINES lines are there, takes the
 * daemon's CPU time and peak RSS from /proc, stops it with SIGTERM and reports
 *   wall=SECONDS user=SECONDS sys=SECONDS maxrss_kb=KB rssanon_kb=KB lines=N status=N timeout=0|1
 *   [anon_at_P=KB ...] [mark1_t=S mark1_lines=N mark1_cpu=S ...] fds=N [cpu_thread_NAME=S ...]
 * wall runs from the start of the daemon to the moment the last line was seen; user/sys are the
 * daemon's (all threads) at that moment, before its shutdown. rssanon is the peak of RssAnon
 * (/proc/PID/status) sampled every 10 ms; anon_at_P is RssAnon when P% of LINES were written; fds
 * the peak of its open file descriptors, sampled with it (issue 19).
 * cpu_thread_NAME is the CPU of each thread when LINES were reached (NAME its comm,
 * e.g. "jb:read-ahead", with every character but letters, digits and '-' made '_'; threads of the
 * same name add up): where the daemon's CPU goes, e.g. rsyslogd's reader, input and queue threads.
 * SIGUSR1 records a mark (time since start, lines, CPU seconds): the live benchmark sends one when
 * its writer starts and one when it ends.
 * With -I SECONDS instead of -n, the daemon runs that long (its idle memory), then is stopped.
 *
 * usage: daemonstat -o REPORT (-n LINES [-t TIMEOUT] | -I SECONDS) [-f FILE]... [-p PERCENT]...
 *                   [-s SERIES] -- COMMAND [ARG...]
 * -s writes "seconds lines cpu_seconds rssanon_kb" every 0.5 s to SERIES. Exit status 0 when
 * LINES were reached (or the idle time passed), 1 on timeout or when the daemon died first. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"

#define MAX_FILES 8
#define MAX_MARKS 8

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ssize_t read_small(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = '\0';
    return n;
}

/* A "Key:   N kB" line of /proc/PID/status, or -1. */
static long status_kb(pid_t pid, const char *key) {
    char path[64], buf[4096], pat[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (read_small(path, buf, sizeof(buf)) <= 0) return -1;
    snprintf(pat, sizeof(pat), "\n%s:", key);
    const char *p = strstr(buf, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* utime and stime in seconds from a /proc stat file; -1 when it is gone. */
static int stat_times(const char *path, double *ret_user, double *ret_sys) {
    char buf[4096];
    if (read_small(path, buf, sizeof(buf)) <= 0) return -1;
    const char *p = strrchr(buf, ')'); /* comm may hold spaces */
    if (!p) return -1;
    /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
    unsigned long ut = 0, st = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
    double hz = (double)sysconf(_SC_CLK_TCK);
    *ret_user = (double)ut / hz;
    *ret_sys = (double)st / hz;
    return 0;
}

/* utime and stime of the whole process (every thread) in seconds; -1 when it is gone. */
static int cpu_times(pid_t pid, double *ret_user, double *ret_sys) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    return stat_times(path, ret_user, ret_sys);
}

/* ... of one thread */
static int cpu_times_of(const char *dir, const char *tid, double *ret_user, double *ret_sys) {
    char path[512];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s/stat", dir, tid) >= sizeof(path)) return -1;
    return stat_times(path, ret_user, ret_sys);
}

#define MAX_THREADS 64

typedef struct thread_cpu {
    char name[32];
    double cpu;
} thread_cpu;

/* CPU seconds per thread name of pid, into t (at most MAX_THREADS names); the number of names. */
static int thread_times(pid_t pid, thread_cpu *t) {
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char path[512], comm[32];
        double u, s;
        if (de->d_name[0] == '.') continue;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s/comm", dir, de->d_name) >= sizeof(path)) continue;
        ssize_t k = read_small(path, comm, sizeof(comm));
        if (k <= 0) continue;
        comm[k] = 0;
        for (char *c = comm; *c; c++)
            if (*c == '\n')
                *c = 0;
            else if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-'))
                *c = '_';
        if (cpu_times_of(dir, de->d_name, &u, &s) < 0) continue;
        int i = 0;
        while (i < n && strcmp(t[i].name, comm) != 0) i++;
        if (i == n) {
            if (n == MAX_THREADS) continue;
            snprintf(t[n].name, sizeof(t[n].name), "%s", comm);
            t[n++].cpu = 0;
        }
        t[i].cpu += u + s;
    }
    closedir(d);
    return n;
}

typedef struct counted {
    const char *path;
    int fd;
    long long lines;
} counted;

/* Counts the newlines appended to f since the last call. */
static void count_new_lines(counted *f) {
    static char buf[1 << 20];
    if (f->fd < 0) {
        f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0) return;
    }
    for (;;) {
        ssize_t n = read(f->fd, buf, sizeof(buf));
        if (n <= 0) return;
        const char *p = buf, *end = buf + n;
        while ((p = memchr(p, '\n', (size_t)(end - p)))) {
            f->lines++;
            p++;
        }
    }
}

static volatile sig_atomic_t mark_requests, stop_requested;
static void on_usr1(int sig) {
    (void)sig;
    mark_requests++;
}
/* SIGTERM/SIGINT: stop the daemon too, never leave it behind. */
static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s -o REPORT (-n LINES [-t TIMEOUT] | -I SECONDS) [-f FILE]... [-p PERCENT]... [-s SERIES] -- "
            "COMMAND [ARG...]\n",
            argv0);
    exit(2);
}

int main(int argc, char **argv) {
    const char *report = NULL, *series_path = NULL;
    long long want = -1;
    double timeout = 600, idle = -1;
    counted files[MAX_FILES];
    int n_files = 0, n_pct = 0;
    int pct[MAX_MARKS];
    long anon_at[MAX_MARKS];
    int c;

    while ((c = getopt(argc, argv, "+o:n:t:I:f:p:s:")) != -1) {
        switch (c) {
        case 'o':
            report = optarg;
            break;
        case 'n':
            want = atoll(optarg);
            break;
        case 't':
            timeout = atof(optarg);
            break;
        case 'I':
            idle = atof(optarg);
            break;
        case 'f':
            if (n_files == MAX_FILES) usage(argv[0]);
            files[n_files++] = (counted){.path = optarg, .fd = -1};
            break;
        case 'p':
            if (n_pct == MAX_MARKS) usage(argv[0]);
            anon_at[n_pct] = -1;
            pct[n_pct++] = atoi(optarg);
            break;
        case 's':
            series_path = optarg;
            break;
        default:
            usage(argv[0]);
        }
    }
    if (!report || optind >= argc || (want < 0) == (idle < 0)) usage(argv[0]);
    FILE *series = NULL;
    if (series_path && !(series = fopen(series_path, "we"))) {
        fprintf(stderr, "%s: %s\n", series_path, strerror(errno));
        return 1;
    }
    /* The outputs must be the daemon's, not an earlier run's. */
    for (int i = 0; i < n_files; i++)
        if (access(files[i].path, F_OK) == 0) {
            fprintf(stderr, "daemonstat: %s exists already\n", files[i].path);
            return 1;
        }

    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    struct sigaction sa_stop = {.sa_handler = on_stop};
    sigaction(SIGTERM, &sa_stop, NULL);
    sigaction(SIGINT, &sa_stop, NULL);

    double start = now();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        signal(SIGUSR1, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        execvp(argv[optind], argv + optind);
        fprintf(stderr, "%s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }

    long peak_anon = 0, maxrss = 0, peak_fds = 0;
    long long lines = 0;
    double user = 0, sys = 0, done_at = -1, next_series = 0;
    int marks = 0, timed_out = 0, died = 0, status = 0;
    double mark_t[MAX_MARKS], mark_cpu[MAX_MARKS];
    long long mark_lines[MAX_MARKS];
    thread_cpu threads[MAX_THREADS];
    int n_threads = 0;

    for (;;) {
        double t = now() - start;
        lines = 0;
        for (int i = 0; i < n_files; i++) {
            count_new_lines(&files[i]);
            lines += files[i].lines;
        }
        long anon = status_kb(pid, "RssAnon");
        if (anon > peak_anon) peak_anon = anon;
        long fds = open_fds(pid);
        if (fds > peak_fds) peak_fds = fds;
        for (int i = 0; i < n_pct; i++)
            if (anon_at[i] < 0 && want > 0 && lines * 100 >= want * pct[i]) anon_at[i] = anon;
        double u = 0, s = 0;
        int have_cpu = cpu_times(pid, &u, &s) == 0;
        if (have_cpu) {
            user = u;
            sys = s;
        }
        while (marks < mark_requests && marks < MAX_MARKS) {
            mark_t[marks] = t;
            mark_lines[marks] = lines;
            mark_cpu[marks] = user + sys;
            marks++;
        }
        if (series && t >= next_series) {
            fprintf(series, "%.3f %lld %.2f %ld\n", t, lines, user + sys, anon);
            fflush(series);
            next_series = t + 0.5;
        }
        if ((want >= 0 && lines >= want) || (idle >= 0 && t >= idle)) {
            done_at = t;
            n_threads = thread_times(pid, threads);
            long hwm = status_kb(pid, "VmHWM");
            if (hwm > 0) maxrss = hwm;
            break;
        }
        if (waitpid(pid, &status, WNOHANG) == pid) {
            died = 1;
            done_at = t;
            break;
        }
        if ((want >= 0 && t >= timeout) || stop_requested) {
            timed_out = 1;
            done_at = t;
            break;
        }
        struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }

    int code = 0;
    if (!died) {
        kill(pid, SIGTERM);
        double deadline = now() + 60;
        while (waitpid(pid, &status, WNOHANG) != pid) {
            if (now() > deadline) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                break;
            }
            struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    /* lines written during shutdown count too (a check for duplicates) */
    lines = 0;
    for (int i = 0; i < n_files; i++) {
        count_new_lines(&files[i]);
        lines += files[i].lines;
    }

    FILE *out = fopen(report, "we");
    if (!out) {
        fprintf(stderr, "%s: %s\n", report, strerror(errno));
        return 1;
    }
    fprintf(out, "wall=%.3f user=%.3f sys=%.3f maxrss_kb=%ld rssanon_kb=%ld lines=%lld status=%d timeout=%d died=%d",
            done_at, user, sys, maxrss, peak_anon, lines, code, timed_out, died);
    for (int i = 0; i < n_pct; i++) fprintf(out, " anon_at_%d=%ld", pct[i], anon_at[i]);
    for (int i = 0; i < marks; i++)
        fprintf(out, " mark%d_t=%.3f mark%d_lines=%lld mark%d_cpu=%.2f", i + 1, mark_t[i], i + 1, mark_lines[i], i + 1,
                mark_cpu[i]);
    fprintf(out, " fds=%ld", peak_fds);
    for (int i = 0; i < n_threads; i++) fprintf(out, " cpu_thread_%s=%.2f", threads[i].name, threads[i].cpu);
    fputc('\n', out);
    fclose(out);
    if (series) fclose(series);
    return timed_out || died ? 1 : 0;
}
