/* SPDX-License-Identifier: Apache-2.0 */
/* imjbridge: the durable part of a state save (fsync of the state file and of its directory) in
 * a thread of its own, for inputs that do not seal. The worker saves the position by a rename, as
 * at every acknowledgement, and asks for the fsyncs; it no longer waits for the disk on the
 * reading path: on a disk busy with other writers, an fsync in the worker held every entry
 * behind it for 50-300 ms once a second (tests/bench/RESULTS.md, round 14). The file is synced as
 * it is when the thread gets to it: the position asked for or a newer one, never an older one.
 * Only the worker calls these functions. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsyslog.h"

#include "util.h"

#include "imjbridge.h"

struct imjb_syncer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    char *path, *dir; /* dir: jb_path_dir()'s, freed by jb_free() */
    /* under mu */
    uint64_t requested, done; /* save generations: asked for, synced */
    int error;                /* of the last sync done: 0 or -errno */
    sbool stop;
};

static int fsyncPath(const char *path, int flags) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0) return -errno;
    int r = fsync(fd) < 0 && errno != EINVAL ? -errno : 0;
    close(fd);
    return r;
}

static void *syncMain(void *arg) {
    imjb_syncer *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        if (s->requested == s->done) {
            pthread_cond_wait(&s->cond, &s->mu);
            continue;
        }
        uint64_t gen = s->requested;
        pthread_mutex_unlock(&s->mu);
        int r = fsyncPath(s->path, 0);
        if (r == 0) r = fsyncPath(s->dir, O_DIRECTORY);
        pthread_mutex_lock(&s->mu);
        s->done = gen;
        s->error = r;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static imjb_syncer *syncerNew(const char *path) {
    imjb_syncer *s = calloc(1, sizeof(*s));
    if (s == NULL) return NULL;
    s->path = strdup(path);
    s->dir = jb_path_dir(path);
    if (s->path == NULL || s->dir == NULL) goto fail;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay with rsyslog's threads */
    int r = pthread_create(&s->thread, NULL, syncMain, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r == 0) return s;
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
fail:
    free(s->path);
    jb_free(s->dir);
    free(s);
    return NULL;
}

int imjb_sync_request(instanceConf_t *inst, uint64_t gen) {
    if (inst->syncer == NULL && (inst->syncer = syncerNew(inst->state_path)) == NULL) return -1;
    imjb_syncer *s = inst->syncer;
    pthread_mutex_lock(&s->mu);
    s->requested = gen;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int imjb_sync_done(instanceConf_t *inst, uint64_t *ret_gen) {
    imjb_syncer *s = inst->syncer;
    if (s == NULL) return 0;
    pthread_mutex_lock(&s->mu);
    *ret_gen = s->done;
    int r = s->error;
    pthread_mutex_unlock(&s->mu);
    return r;
}

void imjb_sync_stop(instanceConf_t *inst) {
    imjb_syncer *s = inst->syncer;
    if (s == NULL) return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    free(s->path);
    jb_free(s->dir);
    free(s);
    inst->syncer = NULL;
}
