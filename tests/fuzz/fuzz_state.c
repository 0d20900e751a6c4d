/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the state file reader. The input is written as the content of a state file (in a
 * private directory, on /dev/shm when there is one) and read back with jb_state_read().
 * Properties: a file is either accepted or refused with -EBADMSG and a message, nothing else
 * (ret untouched on refusal); an accepted file starts with "jbridge-state 1\ncursor=CURSOR\n" for
 * a CURSOR that jb_cursor_valid() accepts, ends with a newline, and has a "seq.app=" or
 * "seq.audit=" line for every non-zero counter, an "out.app=" or "out.audit=" line for every output
 * length set, a "seal.app=" or "seal.audit=" line for every seal text (printable, as in the file),
 * and no other kind of line; writing that state with
 * jb_state_write() and reading it again gives it back, in a file of mode 0600.
 * jb_cursor_valid() also gets the raw input as a string. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor.h"
#include "fuzzlib.h"
#include "state.h"

static char dir[64], path[96], saved[96];

static void setup(void) {
    if (dir[0]) return;
    snprintf(dir, sizeof dir, "%s/jb-fuzz-state.XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(path, sizeof path, "%s/state", dir);
    snprintf(saved, sizeof saved, "%s/saved", dir);
}

static void cleanup(void) {
    unlink(path);
    unlink(saved);
    rmdir(dir);
}

static bool same_out(const jb_state_output *a, const jb_state_output *b) {
    return a->set == b->set && a->length == b->length && a->dev == b->dev && a->ino == b->ino;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dir[0]) {
        setup();
        atexit(cleanup);
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
    close(fd);

    jb_state st = {0};
    jb_error err = {0};
    int r = jb_state_read(path, &st, &err);
    if (r == 0) {
        FUZZ_CHECK(st.cursor != NULL && jb_cursor_valid(st.cursor));
        FUZZ_CHECK(st.seq_app <= JB_SEQUENCE_MAX && st.seq_audit <= JB_SEQUENCE_MAX);
        static const char head[] = "jbridge-state 1\ncursor=";
        size_t hl = sizeof head - 1, cl = strlen(st.cursor);
        FUZZ_CHECK(size >= hl + cl + 1 && memcmp(data, head, hl) == 0 && memcmp(data + hl, st.cursor, cl) == 0 &&
                       data[hl + cl] == '\n' && data[size - 1] == '\n',
                   "accepted a file that does not start with the state format");
        /* the rest: only seq and out lines */
        for (size_t i = hl + cl + 1; i < size;) {
            const uint8_t *nl = memchr(data + i, '\n', size - i);
            FUZZ_CHECK(nl != NULL);
            size_t len = (size_t)(nl - (data + i));
            FUZZ_CHECK((len > 8 && memcmp(data + i, "seq.app=", 8) == 0) ||
                           (len > 10 && memcmp(data + i, "seq.audit=", 10) == 0) ||
                           (len > 8 && memcmp(data + i, "out.app=", 8) == 0) ||
                           (len > 10 && memcmp(data + i, "out.audit=", 10) == 0) ||
                           (len > 9 && memcmp(data + i, "seal.app=", 9) == 0) ||
                           (len > 11 && memcmp(data + i, "seal.audit=", 11) == 0),
                       "accepted a line that is not a seq, out or seal line");
            i += len + 1;
        }
        if (st.seq_app) FUZZ_CHECK(memmem(data, size, "\nseq.app=", 9) != NULL);
        if (st.seq_audit) FUZZ_CHECK(memmem(data, size, "\nseq.audit=", 11) != NULL);
        if (st.out[0].set) FUZZ_CHECK(memmem(data, size, "\nout.app=", 9) != NULL);
        if (st.out[1].set) FUZZ_CHECK(memmem(data, size, "\nout.audit=", 11) != NULL);
        FUZZ_CHECK(st.out[0].length <= INT64_MAX && st.out[1].length <= INT64_MAX);
        static const char *const seal_keys[2] = {"\nseal.app=", "\nseal.audit="};
        for (int k = 0; k < 2; k++) {
            if (!st.seal[k]) continue;
            size_t kl = strlen(seal_keys[k]), tl = strlen(st.seal[k]);
            const uint8_t *at = memmem(data, size, seal_keys[k], kl);
            FUZZ_CHECK(at != NULL && tl >= 1 && tl <= JB_STATE_SEAL_MAX && (size_t)(data + size - at) > kl + tl &&
                           memcmp(at + kl, st.seal[k], tl) == 0 && at[kl + tl] == '\n',
                       "a seal text that is not the file's line");
            for (size_t j = 0; j < tl; j++) FUZZ_CHECK(st.seal[k][j] >= 0x20 && st.seal[k][j] <= 0x7e);
        }

        jb_state again = {0};
        FUZZ_CHECK(jb_state_write(saved, &st, &err) == 0, "write: %s", err.msg);
        FUZZ_CHECK(jb_state_read(saved, &again, &err) == 0, "read of the written file: %s", err.msg);
        FUZZ_CHECK(strcmp(again.cursor, st.cursor) == 0 && again.seq_app == st.seq_app &&
                       again.seq_audit == st.seq_audit && same_out(&again.out[0], &st.out[0]) &&
                       same_out(&again.out[1], &st.out[1]) && !again.seal[0] == !st.seal[0] &&
                       !again.seal[1] == !st.seal[1] && (!st.seal[0] || strcmp(again.seal[0], st.seal[0]) == 0) &&
                       (!st.seal[1] || strcmp(again.seal[1], st.seal[1]) == 0),
                   "the state does not round-trip");
        struct stat sb;
        FUZZ_CHECK(stat(saved, &sb) == 0 && (sb.st_mode & 07777) == 0600, "saved state mode %o", sb.st_mode & 07777);
        jb_state_done(&again);
        jb_state_done(&st);
    } else {
        FUZZ_CHECK(r == -EBADMSG, "unexpected error %d: %s", r, err.msg);
        FUZZ_CHECK(err.code == r && err.msg[0] != 0, "refused without a message");
        FUZZ_CHECK(st.cursor == NULL && st.seq_app == 0 && st.seq_audit == 0 && !st.out[0].set && !st.out[1].set &&
                       !st.seal[0] && !st.seal[1],
                   "ret written on failure");
    }

    char *s = jb_strndup((const char *)data, size);
    FUZZ_CHECK(s != NULL);
    (void)jb_cursor_valid(s);
    jb_free(s);
    return 0;
}
