/* SPDX-License-Identifier: Apache-2.0 */

/* Benchmark helper: runs a command and reports what it cost, like /usr/bin/time plus the heap.
 *   wall=SECONDS user=SECONDS sys=SECONDS maxrss_kb=KB rssanon_kb=KB status=N fds=N
 * maxrss is the kernel's peak RSS (it counts the mmapped journal files); rssanon is the peak of
 * RssAnon from /proc/PID/status sampled every 10 ms (anonymous memory: heap, stacks), the figure
 * that says what the reader itself allocates. fds is the peak of its open file descriptors, sampled
 * with it (issue 19: a store of many hosts).
 *
 * usage: runstat [-o FILE] COMMAND [ARG...]      (report on stderr without -o) */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_secs(struct timeval tv) {
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* RssAnon of pid in kB, or -1 when it cannot be read (the process is gone). */
static long rss_anon_kb(const char *status_path) {
    char buf[4096];
    int fd = open(status_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    const char *p = strstr(buf, "\nRssAnon:");
    return p ? strtol(p + strlen("\nRssAnon:"), NULL, 10) : -1;
}

int main(int argc, char **argv) {
    FILE *out = stderr;
    int first = 1;

    if (argc > 2 && strcmp(argv[1], "-o") == 0) {
        out = fopen(argv[2], "we");
        if (!out) {
            fprintf(stderr, "%s: %s\n", argv[2], strerror(errno));
            return 127;
        }
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-o FILE] COMMAND [ARG...]\n", argv[0]);
        return 127;
    }

    double start = now();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        return 127;
    }
    if (pid == 0) {
        execvp(argv[first], argv + first);
        fprintf(stderr, "%s: %s\n", argv[first], strerror(errno));
        _exit(127);
    }

    char status_path[64];
    snprintf(status_path, sizeof(status_path), "/proc/%d/status", (int)pid);
    /* A pidfd wakes the poll as soon as the child exits, so sampling adds no latency to wall. */
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

    long peak_anon = 0, peak_fds = 0;
    int status = 0;
    struct rusage ru;
    for (;;) {
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) {
            fprintf(stderr, "wait4: %s\n", strerror(errno));
            return 127;
        }
        long anon = rss_anon_kb(status_path);
        if (anon > peak_anon) peak_anon = anon;
        long fds = open_fds(pid);
        if (fds > peak_fds) peak_fds = fds;
        if (pidfd >= 0) {
            struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
            (void)poll(&pfd, 1, 10);
        } else {
            struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    double wall = now() - start;

    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(out, "wall=%.3f user=%.3f sys=%.3f maxrss_kb=%ld rssanon_kb=%ld status=%d fds=%ld\n", wall,
            tv_secs(ru.ru_utime), tv_secs(ru.ru_stime), ru.ru_maxrss, peak_anon, code, peak_fds);
    if (out != stderr) fclose(out);
    return code;
}
