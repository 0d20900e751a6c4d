/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A gzip-compressed POSIX ustar archive writer (what `tar -czf` writes and `tar -xzf` reads):
 * regular files only, each added whole with its size known beforehand. gzip through zlib. */

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Longest size one ustar header can say (11 octal digits). */
#define JB_TAR_MAX_SIZE UINT64_C(077777777777)

typedef struct jb_tar jb_tar;

/* Start an archive on fd, which is taken (closed by jb_tar_close() or jb_tar_free(), also on
 * failure here). level: gzip level 1-9. 0 or -ENOMEM. */
int jb_tar_open(int fd, int level, jb_tar **ret);

/* Add a regular file name (at most 100 bytes, or a '/'-separated path that splits into 155 + 100)
 * with mode (e.g. 0640) and mtime (seconds since the epoch), its content the first size bytes
 * read from src_fd from offset 0 (pread). -ENAMETOOLONG, -EFBIG (size over JB_TAR_MAX_SIZE),
 * -EIO (src_fd shorter than size), or a negative errno of the read or write. */
int jb_tar_add_fd(jb_tar *t, const char *name, unsigned mode, uint64_t mtime, int src_fd, uint64_t size);

/* A part of a file: len bytes from offset off. */
typedef struct jb_tar_extent {
    uint64_t off;
    uint64_t len;
} jb_tar_extent;

/* The same with the content made of the n extents of src_fd, in order (a file spooled in pieces
 * among others'): its size is the sum of their lengths. */
int jb_tar_add_extents(jb_tar *t, const char *name, unsigned mode, uint64_t mtime, int src_fd, const jb_tar_extent *ext,
                       size_t n);

/* The same with the content in memory. */
int jb_tar_add_data(jb_tar *t, const char *name, unsigned mode, uint64_t mtime, const void *p, size_t n);

/* Write the end of the archive, flush and close: 0 or a negative errno. Frees t either way. */
int jb_tar_close(jb_tar *t);

/* Abandon an archive (the output is left incomplete). Returns NULL. */
jb_tar *jb_tar_free(jb_tar *t);
