/* SPDX-License-Identifier: Apache-2.0 */
#include "journal-source.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-id128.h>

#include "alloc.h"
#include "util.h"

#define MAX_NAMED 3 /* unreadable files named in the error when nothing opened */

typedef struct scan {
    char ***list; /* "PATH: reason" */
    size_t *n;
    int first_error; /* of the first unreadable file */
    size_t files;    /* journal files found */
} scan;

static bool has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool is_journal_file(const char *name) {
    return has_suffix(name, ".journal") || has_suffix(name, ".journal~");
}

/* A machine's subdirectory as sd_journal_open_directory() opens it: 32 hex digits, maybe ".NS". */
static bool is_journal_subdir(const char *name) {
    for (int i = 0; i < 32; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f'))) return false;
    return name[32] == 0 || name[32] == '.';
}

static int add_problem(scan *s, const char *path, int error) {
    char line[4096];
    /* sd-journal's word for a truncated file (or one that is no journal) is ENODATA */
    snprintf(line, sizeof line, "%s: %s", path,
             error == -ENODATA ? "truncated, or not a journal file" : strerror(-error));
    char **l = jb_realloc(*s->list, (*s->n + 1) * sizeof *l);
    if (!l) return -ENOMEM;
    *s->list = l;
    if (!(l[*s->n] = jb_strdup(line))) return -ENOMEM;
    (*s->n)++;
    if (!s->first_error) s->first_error = error;
    return 0;
}

/* Open the one file as sd-journal would: its verdict, not ours (permissions, truncation...). */
static int check_file(scan *s, const char *path) {
    const char *files[] = {path, NULL};
    sd_journal *one = NULL;
    s->files++;
    int r = sd_journal_open_files(&one, files, 0);
    sd_journal_close(one);
    return r < 0 ? add_problem(s, path, r) : 0;
}

/* The journal files in dir; with subdirs, also those of the machines' subdirectories. A missing
 * directory is no problem here (the caller tells it when nothing opened). */
static int scan_dir(scan *s, const char *dir, bool subdirs) {
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT || errno == ENOTDIR ? 0 : add_problem(s, dir, -errno);
    int r = 0;
    struct dirent *de;
    while (r >= 0 && (de = readdir(d))) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path) continue;
        if (is_journal_file(de->d_name))
            r = check_file(s, path);
        else if (subdirs && is_journal_subdir(de->d_name))
            r = scan_dir(s, path, false);
    }
    closedir(d);
    return r;
}

/* The local machine's directories of the system journal, or of namespace ns. */
static int scan_machine(scan *s, const char *ns) {
    sd_id128_t id;
    if (sd_id128_get_machine(&id) < 0) return 0;
    static const char *const roots[] = {"/run/log/journal", "/var/log/journal"};
    for (size_t i = 0; i < JB_ELEMENTSOF(roots); i++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/" SD_ID128_FORMAT_STR "%s%s", roots[i], SD_ID128_FORMAT_VAL(id), ns ? "." : "",
                 ns ? ns : "");
        int r = scan_dir(s, dir, false);
        if (r < 0) return r;
    }
    return 0;
}

/* The source in words, for the error. */
static void describe(const jb_source *src, char *buf, size_t n) {
    if (src->kind == JB_SOURCE_DIRECTORY)
        snprintf(buf, n, "directory %s", src->directory);
    else if (src->kind == JB_SOURCE_NAMESPACE)
        snprintf(buf, n, "namespace %s", src->name_space);
    else if (src->kind == JB_SOURCE_FILES)
        snprintf(buf, n, "the files given");
    else
        snprintf(buf, n, "the system journal");
}

static int nothing_opened(const jb_source *src, const scan *s, char **list, size_t n, jb_error *err) {
    char what[4200], named[1024] = "";
    describe(src, what, sizeof what);
    struct stat st;
    if (src->kind == JB_SOURCE_DIRECTORY && stat(src->directory, &st) < 0)
        return jb_error_set(err, -errno, "cannot open journal directory %s: %s", src->directory, strerror(errno));
    if (s->files == 0 && n == 0)
        return jb_error_set(err, -ENOENT, "no journal files in %s%s", what,
                            src->kind == JB_SOURCE_DIRECTORY ? "" : " (in /run/log/journal or /var/log/journal)");
    for (size_t i = 0, len = 0; i < n && i < MAX_NAMED; i++) {
        int k = snprintf(named + len, sizeof named - len, "%s%s", i ? "; " : "", list[i]);
        if (k < 0 || (size_t)k >= sizeof named - len) break;
        len += (size_t)k;
    }
    if (n > MAX_NAMED) snprintf(named + strlen(named), sizeof named - strlen(named), "; and %zu more", n - MAX_NAMED);
    return jb_error_set(
        err, s->first_error ? s->first_error : -ENOENT, "no journal file of %s could be opened: %s%s", what, named,
        s->first_error == -EACCES ? " (a user outside the systemd-journal group may not read them)" : "");
}

int jb__journal_check_source(sd_journal *sj, const jb_source *src, char ***list, size_t *n, jb_error *err) {
    scan s = {.list = list, .n = n};
    int r = 0;
    if (src->kind == JB_SOURCE_DIRECTORY)
        r = scan_dir(&s, src->directory, true);
    else if (src->kind == JB_SOURCE_NAMESPACE)
        r = scan_machine(&s, src->name_space);
    else if (src->kind == JB_SOURCE_SYSTEM)
        r = scan_machine(&s, NULL);
    if (r < 0) return jb_error_set(err, r, "out of memory");
    /* what sd-journal opened: the size of its files, 0 when none */
    uint64_t usage = 0;
    if (sd_journal_get_usage(sj, &usage) < 0 || usage > 0) return 0;
    return nothing_opened(src, &s, *list, *n, err);
}

int jb_journal_source_present(const jb_source *src, jb_error *err) {
    struct stat st;
    if (src->kind != JB_SOURCE_DIRECTORY || !src->directory) return 0;
    if (stat(src->directory, &st) < 0)
        return jb_error_set(err, -errno, "journal directory %s: %s", src->directory, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return jb_error_set(err, -ENOTDIR, "journal directory %s: not a directory", src->directory);
    return 0;
}
