/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* What the benchmark helpers (runstat.c, daemonstat.c) read of a process in /proc. */
#include <dirent.h>
#include <stdio.h>
#include <sys/types.h>

/* Open file descriptors of pid (entries of /proc/PID/fd), or -1 when it is gone. */
static inline long open_fds(pid_t pid) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    long n = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (de->d_name[0] != '.') n++;
    closedir(d);
    return n;
}
