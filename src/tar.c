/* SPDX-License-Identifier: Apache-2.0 */
#include "tar.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BLOCK 512

struct jb_tar {
    gzFile gz;
    int error; /* first write error, a negative errno */
};

int jb_tar_open(int fd, int level, jb_tar **ret) {
    jb_tar *t = jb_calloc(1, sizeof *t);
    char mode[8];
    snprintf(mode, sizeof mode, "wb%d", level < 1 || level > 9 ? 6 : level);
    if (t) t->gz = gzdopen(fd, mode);
    if (!t || !t->gz) {
        jb_free(t);
        close(fd);
        return -ENOMEM;
    }
    *ret = t;
    return 0;
}

jb_tar *jb_tar_free(jb_tar *t) {
    if (!t) return NULL;
    if (t->gz) gzclose(t->gz);
    jb_free(t);
    return NULL;
}

static int gz_error(jb_tar *t) {
    int zerr = 0;
    gzerror(t->gz, &zerr);
    return zerr == Z_ERRNO && errno ? -errno : zerr == Z_MEM_ERROR ? -ENOMEM : -EIO;
}

static int put(jb_tar *t, const void *p, size_t n) {
    if (t->error) return t->error;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        if (gzwrite(t->gz, p, chunk) != (int)chunk) return t->error = gz_error(t);
        p = (const char *)p + chunk;
        n -= chunk;
    }
    return 0;
}

static int pad(jb_tar *t, uint64_t size) {
    static const char zeros[BLOCK];
    size_t rest = (size_t)(size % BLOCK);
    return rest ? put(t, zeros, BLOCK - rest) : 0;
}

static void octal(char *field, size_t width, uint64_t v) {
    /* width - 1 digits and a NUL, as GNU tar writes them */
    snprintf(field, width, "%0*llo", (int)(width - 1), (unsigned long long)v);
}

static int header(jb_tar *t, const char *name, unsigned mode, uint64_t mtime, uint64_t size) {
    unsigned char h[BLOCK] = {0};
    size_t len = strlen(name);
    const char *base = name;
    if (size > JB_TAR_MAX_SIZE) return -EFBIG;
    if (len == 0) return -EINVAL;
    if (len > 100) {
        /* split at a '/' so that the prefix has at most 155 bytes and the rest at most 100 */
        const char *slash = NULL;
        for (const char *s = name + len - 1; s > name; s--)
            if (*s == '/' && (size_t)(s - name) <= 155 && len - (size_t)(s - name) - 1 <= 100) {
                slash = s;
                break;
            }
        if (!slash || slash[1] == '\0') return -ENAMETOOLONG;
        memcpy(h + 345, name, (size_t)(slash - name));
        base = slash + 1;
    }
    memcpy(h, base, strlen(base));
    octal((char *)h + 100, 8, mode & 07777);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    octal((char *)h + 124, 12, size);
    octal((char *)h + 136, 12, mtime > JB_TAR_MAX_SIZE ? JB_TAR_MAX_SIZE : mtime);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6); /* magic "ustar\0" */
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "root", 4);
    memcpy(h + 297, "root", 4);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum); /* six digits, NUL, and the space left from above */
    h[155] = ' ';
    return put(t, h, BLOCK);
}

int jb_tar_add_data(jb_tar *t, const char *name, unsigned mode, uint64_t mtime, const void *p, size_t n) {
    int r = header(t, name, mode, mtime, n);
    if (r >= 0) r = put(t, p, n);
    if (r >= 0) r = pad(t, n);
    return r;
}

int jb_tar_add_extents(jb_tar *t, const char *name, unsigned mode, uint64_t mtime, int src_fd, const jb_tar_extent *ext,
                       size_t n) {
    char buf[1 << 16];
    uint64_t size = 0;
    for (size_t i = 0; i < n; i++) size += ext[i].len;
    int r = header(t, name, mode, mtime, size);
    for (size_t i = 0; r >= 0 && i < n; i++)
        for (uint64_t off = 0; r >= 0 && off < ext[i].len;) {
            size_t want = ext[i].len - off < sizeof buf ? (size_t)(ext[i].len - off) : sizeof buf;
            ssize_t got = pread(src_fd, buf, want, (off_t)(ext[i].off + off));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return t->error = -errno;
            if (got == 0) return t->error = -EIO; /* the file is shorter than it said */
            r = put(t, buf, (size_t)got);
            off += (uint64_t)got;
        }
    if (r >= 0) r = pad(t, size);
    return r;
}

int jb_tar_add_fd(jb_tar *t, const char *name, unsigned mode, uint64_t mtime, int src_fd, uint64_t size) {
    jb_tar_extent e = {0, size};
    return jb_tar_add_extents(t, name, mode, mtime, src_fd, &e, 1);
}

int jb_tar_close(jb_tar *t) {
    static const char zeros[2 * BLOCK];
    int r = put(t, zeros, sizeof zeros);
    int z = gzclose(t->gz);
    t->gz = NULL;
    if (r >= 0 && z != Z_OK) r = z == Z_ERRNO && errno ? -errno : -EIO;
    jb_tar_free(t);
    return r;
}
