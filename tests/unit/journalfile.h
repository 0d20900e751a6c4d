/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* A real journal file for a unit test: systemd-journal-remote (JOURNAL_REMOTE, as configure found
 * it) reading a Journal Export Format file. Include after testlib.h. */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void jb_test_journal_file(const char *export, const char *journal_path) {
    const char *remote = getenv("JOURNAL_REMOTE");
    if (!remote || !*remote) remote = "/lib/systemd/systemd-journal-remote";
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(export, O_RDONLY);
        int devnull = open("/dev/null", O_WRONLY);
        if (in < 0 || devnull < 0) _exit(126);
        dup2(in, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execl(remote, remote, "-o", journal_path, "-", (char *)NULL);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("%s -o %s - < %s failed (status %d)", remote, journal_path, export, st);
}
