/* SPDX-License-Identifier: Apache-2.0 */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "macro.h"
#include "util.h"

/* The directory of path must exist and be writable (to create the file or its temporary). */
static int check_dir(const char *what, const char *path, const char *dir, jb_error *err) {
    struct stat st;
    if (stat(dir, &st) < 0)
        return jb_error_set(err, -errno, "%s %s: directory %s: %s", what, path, dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return jb_error_set(err, -ENOTDIR, "%s %s: %s is not a directory", what, path, dir);
    if (access(dir, W_OK | X_OK) < 0)
        return jb_error_set(err, -errno, "%s %s: directory %s is not writable: %s", what, path, dir, strerror(errno));
    return 0;
}

/* The file itself may exist, but not as a directory. */
static int check_not_dir(const char *what, const char *path, jb_error *err) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return jb_error_set(err, -EISDIR, "%s %s is a directory, expected a file", what, path);
    return 0;
}

/* A new string a + sep + b (jb_free), NULL on allocation failure. */
static char *join(const char *a, const char *sep, const char *b) {
    size_t na = strlen(a), ns = strlen(sep), nb = strlen(b);
    char *s = jb_malloc(na + ns + nb + 1);
    if (!s) return NULL;
    memcpy(s, a, na);
    memcpy(s + na, sep, ns);
    memcpy(s + na + ns, b, nb + 1);
    return s;
}

/* The last component of path, or NULL when it names no file ("", "dir/", ".", ".."). */
static const char *file_name(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return NULL;
    return name;
}

int jb_path_state_resolve(const char *base, const char *path, char **ret, jb_error *err) {
    static const char what[] = "state file";
    if (!path || !*path) return jb_error_set(err, -EINVAL, "%s: needs a file name", what);
    const char *name = file_name(path);
    if (!name) return jb_error_set(err, -EINVAL, "%s '%s' names no file (it ends in '/', '.' or '..')", what, path);
    char *full = path[0] != '/' && base && *base ? join(base, "/", path) : jb_strdup(path);
    if (!full) return jb_error_set(err, -ENOMEM, "out of memory");
    char *dir = jb_path_dir(full);
    char *canon = NULL;
    int r = dir ? check_dir(what, full, dir, err) : jb_error_set(err, -ENOMEM, "out of memory");
    if (r >= 0) r = check_not_dir(what, full, err);
    if (r >= 0 && !(canon = realpath(dir, NULL)))
        r = jb_error_set(err, -errno, "%s %s: directory %s: %s", what, full, dir, strerror(errno));
    jb_free(full);
    jb_free(dir);
    if (r < 0) return r;
    char *out = join(canon, strcmp(canon, "/") == 0 ? "" : "/", name);
    free(canon); /* realpath's */
    if (!out) return jb_error_set(err, -ENOMEM, "out of memory");
    *ret = out;
    return 0;
}

int jb_path_check_new_file(const char *what, const char *path, jb_error *err) {
    if (!file_name(path)) return jb_error_set(err, -EINVAL, "%s '%s' names no file", what, path);
    int r = check_not_dir(what, path, err);
    if (r < 0) return r;
    char *dir = jb_path_dir(path);
    if (!dir) return jb_error_set(err, -ENOMEM, "out of memory");
    r = check_dir(what, path, dir, err);
    jb_free(dir);
    return r;
}
