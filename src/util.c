/* SPDX-License-Identifier: Apache-2.0 */
#include "util.h"

#include <errno.h>
#include <unistd.h>

int jb_parse_u64(const char *p, size_t n, uint64_t *ret) {
    if (n == 0) return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -EINVAL;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -ERANGE;
        v = v * 10 + d;
    }
    *ret = v;
    return 0;
}

uint64_t jb_hash64(const void *p, size_t n) {
    return jb_hash64_update(JB_HASH64_INIT, p, n);
}

uint64_t jb_hash64_update(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

int jb_write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

char *jb_path_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return jb_strdup(".");
    if (slash == path) return jb_strdup("/");
    return jb_strndup(path, (size_t)(slash - path));
}
