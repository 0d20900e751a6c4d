/* SPDX-License-Identifier: Apache-2.0 */
#include "state.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor.h"
#include "hostpos.h"
#include "timestamp.h"

#define STATE_MAGIC "jbridge-state "
#define STATE_VERSION "1\n"
#define STATE_CURSOR "cursor="
#define STATE_SEQ_APP "seq.app="
#define STATE_SEQ_AUDIT "seq.audit="
#define STATE_OUT_APP "out.app="
#define STATE_OUT_AUDIT "out.audit="
#define STATE_SEAL_APP "seal.app="
#define STATE_SEAL_AUDIT "seal.audit="
#define STATE_READ "read="
/* A store read per host keeps a cursor per host (hostpos.h): 1,000 hosts take about 150 KiB, twice
 * with a read= line. */
#define STATE_MAX_SIZE (4u * 1024u * 1024u)

/* A journal cursor, or a position per host (hostpos.h). */
static bool position_valid(const char *c) {
    return jb_hostpos_is(c) ? jb_hostpos_valid(c) : jb_cursor_valid(c);
}
#define TEMP_TRIES 16

/* ---- load ---- */

/* A decimal number of 1 to 20 digits, at most max, ending at end or at a space. */
static bool parse_u64(const char **p, const char *end, uint64_t max, uint64_t *ret) {
    const char *q = *p;
    uint64_t v = 0;
    while (q < end && *q >= '0' && *q <= '9' && q - *p < 20) {
        unsigned d = (unsigned)(*q - '0');
        if (v > (max - d) / 10) return false;
        v = v * 10 + d;
        q++;
    }
    if (q == *p || (q < end && *q != ' ')) return false;
    *ret = v;
    *p = q;
    return true;
}

/* The value of an "out." line: "LENGTH DEV INO". */
static bool parse_out(const char *v, size_t vlen, jb_state_output *ret) {
    const char *end = v + vlen;
    uint64_t f[3];
    for (int i = 0; i < 3; i++) {
        if (i > 0 && (v >= end || *v++ != ' ')) return false;
        if (!parse_u64(&v, end, i == 0 ? (uint64_t)INT64_MAX : UINT64_MAX, &f[i])) return false;
    }
    if (v != end) return false;
    *ret = (jb_state_output){.set = true, .length = f[0], .dev = f[1], .ino = f[2]};
    return true;
}

/* The value of the "read=" line: a cursor, new in *ret. */
static int parse_read(const char *path, const char *v, size_t vlen, char **ret, jb_error *err) {
    char *c = jb_strndup(v, vlen);
    if (!c) return jb_error_set(err, -ENOMEM, "out of memory");
    if (strlen(c) != vlen || !position_valid(c)) {
        jb_free(c);
        return jb_error_set(err, -EBADMSG, "state file %s: read= is not a journal cursor", path);
    }
    *ret = c;
    return 0;
}

/* The text of a "seal." line: 1 to JB_STATE_SEAL_MAX printable ASCII characters (the sealer
 * parses it). */
static bool seal_text_valid(const char *v, size_t n) {
    if (n == 0 || n > JB_STATE_SEAL_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0x20 || v[i] > 0x7e) return false;
    return true;
}

/* The optional lines after the cursor: "seq.app=N", "seq.audit=N" (N from 0 to JB_SEQUENCE_MAX),
 * "out.app=LENGTH DEV INO", "out.audit=LENGTH DEV INO", "seal.app=TEXT", "seal.audit=TEXT" and
 * "read=CURSOR", each at most once, in any order. Anything else is refused. ret->read_cursor and
 * ret->seal[] are new on success. */
static int parse_seq_lines(const char *path, const char *p, size_t left, jb_state *ret, jb_error *err) {
    static const char *const keys[7] = {STATE_SEQ_APP,  STATE_SEQ_AUDIT,  STATE_OUT_APP, STATE_OUT_AUDIT,
                                        STATE_SEAL_APP, STATE_SEAL_AUDIT, STATE_READ};
    bool seen[7] = {false, false, false, false, false, false, false};
    _cleanup_free_ char *read_cursor = NULL;
    uint32_t seq[2] = {0, 0};
    jb_state_output out[2] = {{0}, {0}};
    const char *seal[2] = {NULL, NULL};
    size_t seal_len[2] = {0, 0};

    while (left > 0) {
        const char *nl = memchr(p, '\n', left);
        size_t len = nl ? (size_t)(nl - p) : left;
        int k = -1;
        for (int i = 0; i < 7; i++)
            if (len >= strlen(keys[i]) && memcmp(p, keys[i], strlen(keys[i])) == 0) k = i;
        if (k < 0) return jb_error_set(err, -EBADMSG, "state file %s has data after the cursor line", path);
        if (!nl) return jb_error_set(err, -EBADMSG, "state file %s is truncated", path);
        if (seen[k])
            return jb_error_set(err, -EBADMSG, "state file %s: %.*s appears twice", path, (int)strlen(keys[k]) - 1,
                                keys[k]);
        seen[k] = true;
        const char *v = p + strlen(keys[k]);
        size_t vlen = len - strlen(keys[k]);
        uint64_t val = 0;
        if (k == 6) {
            int r = parse_read(path, v, vlen, &read_cursor, err);
            if (r < 0) return r;
            left -= len + 1;
            p = nl + 1;
            continue;
        }
        if (k >= 4 && !seal_text_valid(v, vlen))
            return jb_error_set(err, -EBADMSG, "state file %s: %.*s is not 1 to %u printable characters", path,
                                (int)strlen(keys[k]) - 1, keys[k], JB_STATE_SEAL_MAX);
        if (k >= 4) {
            seal[k - 4] = v;
            seal_len[k - 4] = vlen;
        }
        if (k >= 2 && k < 4 && !parse_out(v, vlen, &out[k - 2]))
            return jb_error_set(err, -EBADMSG, "state file %s: %.*s is not \"LENGTH DEV INO\"", path,
                                (int)strlen(keys[k]) - 1, keys[k]);
        const char *vend = v + vlen;
        if (k < 2 && (vlen > 10 || !parse_u64(&v, vend, JB_SEQUENCE_MAX, &val) || v != vend))
            return jb_error_set(err, -EBADMSG, "state file %s: %.*s is not a number from 0 to %u", path,
                                (int)strlen(keys[k]) - 1, keys[k], JB_SEQUENCE_MAX);
        if (k < 2) seq[k] = (uint32_t)val;
        left -= len + 1;
        p = nl + 1;
    }
    for (int i = 0; i < 2; i++)
        if (seal[i] && !(ret->seal[i] = jb_strndup(seal[i], seal_len[i]))) {
            jb_free(ret->seal[0]);
            ret->seal[0] = NULL;
            return jb_error_set(err, -ENOMEM, "out of memory");
        }
    ret->seq_app = seq[0];
    ret->seq_audit = seq[1];
    ret->out[0] = out[0];
    ret->out[1] = out[1];
    ret->read_cursor = read_cursor;
    read_cursor = NULL;
    return 0;
}

/* Check the content of a state file and return what it holds. */
static int parse_state(const char *path, const char *d, size_t n, jb_state *ret, jb_error *err) {
    static const char magic[] = STATE_MAGIC STATE_VERSION;
    const size_t magic_len = sizeof magic - 1;
    const size_t prefix_len = sizeof STATE_MAGIC - 1;
    const size_t key_len = sizeof STATE_CURSOR - 1;

    if (n == 0) return jb_error_set(err, -EBADMSG, "state file %s is empty", path);

    /* "jbridge-state " then the version */
    size_t cmp = n < prefix_len ? n : prefix_len;
    if (memcmp(d, STATE_MAGIC, cmp) != 0) return jb_error_set(err, -EBADMSG, "%s is not a jbridge state file", path);
    const char *nl = memchr(d, '\n', n);
    if (!nl) return jb_error_set(err, -EBADMSG, "state file %s is truncated", path);
    if ((size_t)(nl - d) + 1 != magic_len || memcmp(d, magic, magic_len) != 0)
        return jb_error_set(err, -EBADMSG, "state file %s has an unsupported first line (expected \"%.*s\")", path,
                            (int)magic_len - 1, magic);

    /* "cursor=" CURSOR "\n", and nothing after it */
    const char *p = d + magic_len;
    size_t left = n - magic_len;
    if (left < key_len) {
        if (memcmp(p, STATE_CURSOR, left) == 0) return jb_error_set(err, -EBADMSG, "state file %s is truncated", path);
        return jb_error_set(err, -EBADMSG, "state file %s: second line does not start with \"cursor=\"", path);
    }
    if (memcmp(p, STATE_CURSOR, key_len) != 0)
        return jb_error_set(err, -EBADMSG, "state file %s: second line does not start with \"cursor=\"", path);
    p += key_len;
    left -= key_len;
    nl = memchr(p, '\n', left);
    if (!nl) return jb_error_set(err, -EBADMSG, "state file %s is truncated", path);
    size_t clen = (size_t)(nl - p);
    jb_state lines = {0};
    int r = parse_seq_lines(path, nl + 1, left - clen - 1, &lines, err);
    if (r < 0) return r;

    char *cursor = jb_strndup(p, clen);
    if (!cursor) {
        jb_state_done(&lines);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    if (strlen(cursor) != clen || !position_valid(cursor)) {
        jb_free(cursor);
        jb_state_done(&lines);
        return jb_error_set(err, -EBADMSG, "state file %s holds an invalid cursor", path);
    }
    lines.cursor = cursor;
    *ret = lines;
    return 0;
}

/* Read at most max + 1 bytes of fd into buf, so that a bigger file is noticed. */
static ssize_t read_all(int fd, char *buf, size_t max) {
    size_t n = 0;
    while (n <= max) {
        ssize_t k = read(fd, buf + n, max + 1 - n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (k == 0) break;
        n += (size_t)k;
    }
    return (ssize_t)n;
}

static int load_fd(const char *path, int fd, jb_state *ret, jb_error *err) {
    struct stat st;
    if (fstat(fd, &st) < 0) return jb_error_set(err, -errno, "cannot stat state file %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return jb_error_set(err, -EISDIR, "state file %s is a directory", path);
    if (!S_ISREG(st.st_mode)) return jb_error_set(err, -EINVAL, "state file %s is not a regular file", path);

    _cleanup_free_ char *buf = jb_malloc(STATE_MAX_SIZE + 1);
    if (!buf) return jb_error_set(err, -ENOMEM, "out of memory");
    ssize_t n = read_all(fd, buf, STATE_MAX_SIZE);
    if (n < 0) return jb_error_set(err, (int)n, "cannot read state file %s: %s", path, strerror((int)-n));
    if ((size_t)n > STATE_MAX_SIZE)
        return jb_error_set(err, -EBADMSG, "state file %s is too large (more than %u bytes)", path, STATE_MAX_SIZE);
    return parse_state(path, buf, (size_t)n, ret, err);
}

/* ---- stale temporary files ---- */

/* True when name is base + ".tmp." + 16 lowercase hex digits: the name create_temp() gives. */
static bool is_own_temp(const char *name, const char *base, size_t base_len) {
    static const char suffix[] = ".tmp.";
    const size_t suffix_len = sizeof suffix - 1;
    if (strncmp(name, base, base_len) != 0 || strncmp(name + base_len, suffix, suffix_len) != 0) return false;
    const char *hex = name + base_len + suffix_len;
    size_t i;
    for (i = 0; hex[i]; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'))) return false;
    return i == 16;
}

int jb_state_remove_stale(const char *path, jb_error *err) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t base_len = strlen(base);
    if (base_len == 0) return jb_error_set(err, -EINVAL, "state file %s has no file name", path);
    _cleanup_free_ char *dir = jb_path_dir(path);
    if (!dir) return jb_error_set(err, -ENOMEM, "out of memory");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return jb_error_set(err, -errno, "cannot open directory %s of state file %s: %s", dir, path, strerror(errno));
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return jb_error_set(err, -e, "cannot read directory %s of state file %s: %s", dir, path, strerror(e));
    }
    int removed = 0, r = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (!is_own_temp(de->d_name, base, base_len)) continue;
        /* only regular files: a link or anything else with such a name is not ours; nor is a file
         * of another user (in a shared sticky directory root could otherwise remove it) */
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) continue;
        if (st.st_uid != geteuid()) continue;
        if (unlinkat(dfd, de->d_name, 0) == 0)
            removed++;
        else if (errno != ENOENT && r == 0)
            r = jb_error_set(err, -errno, "cannot remove stale temporary file %s/%s: %s", dir, de->d_name,
                             strerror(errno));
    }
    closedir(d);
    return r < 0 ? r : removed;
}

int jb_state_set_aside(const char *path, jb_error *err) {
    size_t size = strlen(path) + sizeof JB_STATE_BAD_SUFFIX;
    _cleanup_free_ char *aside = jb_malloc(size);
    if (!aside) return jb_error_set(err, -ENOMEM, "out of memory");
    snprintf(aside, size, "%s" JB_STATE_BAD_SUFFIX, path);
    if (rename(path, aside) < 0)
        return jb_error_set(err, -errno, "cannot move state file %s aside to %s: %s", path, aside, strerror(errno));
    return 0;
}

int jb_state_read(const char *path, jb_state *ret, jb_error *err) {
    /* Temporary files of saves a crash interrupted: removed first, best effort (a directory that
     * cannot be listed or written is reported by the read or the next save, not here). */
    (void)jb_state_remove_stale(path, NULL);
    /* O_NONBLOCK: a FIFO planted at the path must not block the open; it is refused below. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT) return jb_error_set(err, -ENOENT, "state file %s does not exist", path);
        if (e == ELOOP) return jb_error_set(err, -ELOOP, "state file %s is a symbolic link, which is refused", path);
        return jb_error_set(err, -e, "cannot open state file %s: %s", path, strerror(e));
    }
    int r = load_fd(path, fd, ret, err);
    close(fd);
    return r;
}

void jb_state_done(jb_state *s) {
    if (!s) return;
    jb_free(s->cursor);
    jb_free(s->read_cursor);
    jb_free(s->seal[0]);
    jb_free(s->seal[1]);
    *s = (jb_state){0};
}

/* ---- save ---- */

static uint64_t random_u64(void) {
    uint64_t v;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v) return v;
    static uint64_t counter;
    return (jb_now_usec(CLOCK_MONOTONIC) << 20) ^ ((uint64_t)getpid() << 40) ^ ++counter;
}

/* Create "<path>.tmp.XXXXXXXX" exclusively with mode 0600; its name goes into tmp (size at least
 * strlen(path) + 22). Returns the descriptor or a negative errno. */
static int create_temp(const char *path, char *tmp, size_t size) {
    for (int i = 0; i < TEMP_TRIES; i++) {
        snprintf(tmp, size, "%s.tmp.%016" PRIx64, path, random_u64());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd >= 0) return fd;
        if (errno != EEXIST) return -errno;
    }
    return -EEXIST;
}

static int fsync_dir(const char *dir, const char *path, const char *what, jb_error *err) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return jb_error_set(err, -errno, "cannot open directory %s of %s %s: %s", dir, what, path, strerror(errno));
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    /* EINVAL: the file system cannot sync directories; the rename is all there is. */
    if (r < 0 && r != -EINVAL)
        return jb_error_set(err, r, "cannot sync directory %s of %s %s: %s", dir, what, path, strerror(-r));
    return 0;
}

/* Write n bytes at data to the new temporary file fd (named tmp), sync it (unless no_sync) and
 * rename it over path (or, no_replace, link it to path, which never replaces a file). The
 * temporary file is gone afterwards, whatever happened. */
static int write_and_rename(int fd, const char *tmp, const char *path, const void *data, size_t n, unsigned flags,
                            const char *what_file, jb_error *err) {
    int r;
    const char *what;
    if ((r = fchmod(fd, 0600) < 0 ? -errno : 0) < 0)
        what = "set the mode of";
    else if ((r = jb_write_all(fd, data, n)) < 0)
        what = "write";
    else if (!(flags & JB_STATE_NO_SYNC) && (r = fsync(fd) < 0 ? -errno : 0) < 0)
        what = "sync";
    else
        what = "close";
    if (close(fd) < 0 && r == 0) r = -errno;
    if (r == 0 && (flags & JB_FILE_NO_REPLACE)) {
        if (link(tmp, path) < 0) {
            r = -errno;
            what = "create";
        }
    } else if (r == 0 && rename(tmp, path) < 0) {
        r = -errno;
        what = "rename the temporary file over";
    }
    if (r < 0 || (flags & JB_FILE_NO_REPLACE)) unlink(tmp);
    if (r == -EEXIST && (flags & JB_FILE_NO_REPLACE))
        return jb_error_set(err, r, "%s %s already exists, refusing to replace it", what_file, path);
    if (r < 0) return jb_error_set(err, r, "cannot %s %s %s: %s", what, what_file, path, strerror(-r));
    return 0;
}

int jb_file_write_atomic(const char *path, const char *what, const void *data, size_t n, unsigned flags,
                         jb_error *err) {
    if ((flags & ~(unsigned)(JB_STATE_NO_SYNC | JB_FILE_NO_REPLACE)) != 0)
        return jb_error_set(err, -EINVAL, "unknown flags for saving %s %s", what, path);
    size_t size = strlen(path) + 32;
    _cleanup_free_ char *tmp = jb_malloc(size);
    _cleanup_free_ char *dir = jb_path_dir(path);
    if (!tmp || !dir) return jb_error_set(err, -ENOMEM, "out of memory");

    int fd = create_temp(path, tmp, size);
    if (fd < 0) return jb_error_set(err, fd, "cannot create a temporary file for %s %s: %s", what, path, strerror(-fd));
    int r = write_and_rename(fd, tmp, path, data, n, flags, what, err);
    if (r < 0) return r;
    return (flags & JB_STATE_NO_SYNC) ? 0 : fsync_dir(dir, path, what, err);
}

int jb_state_write(const char *path, const jb_state *s, jb_error *err) {
    return jb_state_save(path, s, 0, err);
}

int jb_state_save(const char *path, const jb_state *s, unsigned flags, jb_error *err) {
    const char *cursor = s->cursor;
    if ((flags & ~(unsigned)JB_STATE_NO_SYNC) != 0)
        return jb_error_set(err, -EINVAL, "unknown flags for saving state file %s", path);
    if (!position_valid(cursor) || (s->read_cursor && !position_valid(s->read_cursor)))
        return jb_error_set(err, -EINVAL, "refusing to save an invalid cursor to state file %s", path);

    /* Everything is allocated before the file system is touched: -ENOMEM changes nothing. */
    _cleanup_(jb_buf_done) jb_buf content = JB_BUF_INIT;
    if (s->seq_app > JB_SEQUENCE_MAX || s->seq_audit > JB_SEQUENCE_MAX)
        return jb_error_set(err, -EINVAL, "refusing to save a sequence number over %u to state file %s",
                            JB_SEQUENCE_MAX, path);
    if ((s->out[0].set && s->out[0].length > INT64_MAX) || (s->out[1].set && s->out[1].length > INT64_MAX))
        return jb_error_set(err, -EINVAL, "refusing to save an output length over %" PRId64 " to state file %s",
                            INT64_MAX, path);
    for (int i = 0; i < 2; i++)
        if (s->seal[i] && !seal_text_valid(s->seal[i], strlen(s->seal[i])))
            return jb_error_set(err, -EINVAL,
                                "refusing to save a seal line that is not 1 to %u printable "
                                "characters to state file %s",
                                JB_STATE_SEAL_MAX, path);
    int r = jb_buf_printf(&content, STATE_MAGIC STATE_VERSION STATE_CURSOR "%s\n", cursor);
    if (r >= 0 && s->seq_app > 0) r = jb_buf_printf(&content, STATE_SEQ_APP "%" PRIu32 "\n", s->seq_app);
    if (r >= 0 && s->seq_audit > 0) r = jb_buf_printf(&content, STATE_SEQ_AUDIT "%" PRIu32 "\n", s->seq_audit);
    static const char *const out_keys[2] = {STATE_OUT_APP, STATE_OUT_AUDIT};
    for (int i = 0; i < 2; i++)
        if (r >= 0 && s->out[i].set)
            r = jb_buf_printf(&content, "%s%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", out_keys[i], s->out[i].length,
                              s->out[i].dev, s->out[i].ino);
    static const char *const seal_keys[2] = {STATE_SEAL_APP, STATE_SEAL_AUDIT};
    for (int i = 0; i < 2; i++)
        if (r >= 0 && s->seal[i]) r = jb_buf_printf(&content, "%s%s\n", seal_keys[i], s->seal[i]);
    if (r >= 0 && s->read_cursor && strcmp(s->read_cursor, cursor) != 0)
        r = jb_buf_printf(&content, STATE_READ "%s\n", s->read_cursor);
    if (r < 0) return jb_error_set(err, -ENOMEM, "out of memory");
    return jb_file_write_atomic(path, "state file", content.data, content.len, flags, err);
}
