/* SPDX-License-Identifier: Apache-2.0 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int jb_outfile_open(jb_outfile *o, const char *path, jb_error *err) {
    struct stat st;
    int fd = STDOUT_FILENO;
    *o = (jb_outfile){.path = path, .fd = -1, .buf = JB_BUF_INIT, .is_stdout = strcmp(path, "-") == 0};
    if (!o->is_stdout) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0) return jb_error_set(err, -errno, "cannot open %s: %s", path, strerror(errno));
    }
    o->fd = fd;
    if (fstat(fd, &st) < 0) return jb_error_set(err, -errno, "cannot stat %s: %s", path, strerror(errno));
    o->dev = (uint64_t)st.st_dev;
    o->ino = (uint64_t)st.st_ino;
    o->length = (uint64_t)st.st_size;
    /* standard output is never cut, even when it is a regular file: the shell opened it */
    o->cuttable = S_ISREG(st.st_mode) && !o->is_stdout;
    o->status = o->cuttable ? JB_OUTFILE_CUTTABLE : JB_OUTFILE_NOT_REGULAR;
    o->check_line_end = S_ISREG(st.st_mode);
    return 0;
}

/* Whether the regular file o ends a line (or is empty): read its last byte through a descriptor
 * of its own (o->fd is write-only; standard output through /proc). True when it cannot be told,
 * or when standard output does not write at the file's end (opened without O_APPEND, 1<>file). */
static bool ends_line(const jb_outfile *o) {
    struct stat st;
    char c = '\n';
    if (fstat(o->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return true;
    if (o->is_stdout && lseek(o->fd, 0, SEEK_CUR) != st.st_size && !(fcntl(o->fd, F_GETFL) & O_APPEND)) return true;
    int fd = open(o->is_stdout ? "/proc/self/fd/1" : o->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return true;
    struct stat st2;
    /* the same file, still as long (another writer may append meanwhile: then it is not ours to judge) */
    if (fstat(fd, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino ||
        pread(fd, &c, 1, st.st_size - 1) != 1)
        c = '\n';
    close(fd);
    return c == '\n';
}

bool jb_outfile_same(const jb_outfile *a, const jb_outfile *b) {
    return a->fd >= 0 && b->fd >= 0 && a->dev == b->dev && a->ino == b->ino;
}

int jb_outfile_cut_back(jb_outfile *o, const jb_state_output *saved, bool start, uint64_t *ret_cut, jb_error *err) {
    struct stat st;
    *ret_cut = 0;
    if (!o->cuttable) return 0;
    if (fstat(o->fd, &st) < 0) return jb_error_set(err, -errno, "cannot stat %s: %s", o->path, strerror(errno));
    o->length = (uint64_t)st.st_size;
    /* an empty file holds nothing a crash could have left: nothing to cut, nothing to say */
    if (start || o->length == 0) return 0;
    if (!saved || !saved->set)
        o->status = JB_OUTFILE_NO_LENGTH;
    else if (saved->dev != o->dev || saved->ino != o->ino)
        o->status = JB_OUTFILE_REPLACED;
    else if (o->length < saved->length)
        o->status = JB_OUTFILE_SHORTER;
    if (o->status != JB_OUTFILE_CUTTABLE) return 0;
    if (o->length > saved->length && ftruncate(o->fd, (off_t)saved->length) < 0)
        return jb_error_set(err, -errno, "cannot cut %s back to %" PRIu64 " bytes: %s", o->path, saved->length,
                            strerror(errno));
    *ret_cut = o->length - saved->length;
    o->length = saved->length;
    return 0;
}

/* Write the buffer. A cuttable file is checked to be as long as our own writes make it; a failed
 * write cuts it back to the last whole record. */
static int write_buffer(jb_outfile *o, jb_error *err) {
    if (o->buf.len == 0) return 0;
    int r = 0;
    if (o->check_line_end) {
        o->check_line_end = false;
        if (!ends_line(o)) {
            r = jb_write_all(o->fd, "\n", 1);
            if (r >= 0 && o->cuttable) o->length++;
        }
    }
    if (r >= 0) r = jb_write_all(o->fd, o->buf.data, o->buf.len);
    if (r < 0) {
        /* the buffer holds whole records only: the length before it ends a whole record; a file
         * that cannot be cut may end in half a record now: the next write begins a new line */
        if (o->cuttable)
            (void)!ftruncate(o->fd, (off_t)o->length);
        else
            o->check_line_end = true;
        jb_buf_reset(&o->buf);
        return jb_error_set(err, r, "cannot write %s: %s", o->is_stdout ? "standard output" : o->path, strerror(-r));
    }
    uint64_t expected = o->length + o->buf.len;
    jb_buf_reset(&o->buf);
    if (!o->cuttable) return 0;
    struct stat st;
    if (fstat(o->fd, &st) < 0) return jb_error_set(err, -errno, "cannot stat %s: %s", o->path, strerror(errno));
    o->length = (uint64_t)st.st_size;
    if (o->length == expected) return 0;
    o->cuttable = false;
    o->status = JB_OUTFILE_FOREIGN;
    return 1;
}

int jb_outfile_add(jb_outfile *o, const char *p, size_t n, jb_error *err) {
    if (jb_buf_append(&o->buf, p, n) < 0) return jb_error_set(err, -ENOMEM, "out of memory");
    return o->buf.len >= JB_OUTFILE_BUFFER ? write_buffer(o, err) : 0;
}

int jb_outfile_flush(jb_outfile *o, bool durable, jb_error *err) {
    int r = write_buffer(o, err);
    if (r < 0) return r;
    if (durable && !o->is_stdout && fsync(o->fd) < 0 && errno != EINVAL)
        return jb_error_set(err, -errno, "cannot sync %s: %s", o->is_stdout ? "standard output" : o->path,
                            strerror(errno));
    return r;
}

jb_state_output jb_outfile_mark(const jb_outfile *o) {
    if (!o->cuttable) return (jb_state_output){0};
    return (jb_state_output){.set = true, .length = o->length, .dev = o->dev, .ino = o->ino};
}

void jb_outfile_done(jb_outfile *o) {
    if (!o) return;
    if (o->path && o->fd >= 0 && !o->is_stdout) close(o->fd); /* a zeroed o was never opened */
    jb_buf_done(&o->buf);
    *o = (jb_outfile){.fd = -1};
}
