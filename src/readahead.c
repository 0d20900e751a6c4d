/* SPDX-License-Identifier: Apache-2.0 */
#include "readahead.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>

/* Entries the reader reads before it publishes them (one lock per batch, not per entry), and how
 * many the taker takes before it gives slots back. A side that waits is woken only when there is
 * a batch worth the switch: the taker when WAKE_TAKER entries are ready (or the reader found the
 * end, or an error, or the ring is full), the reader when a quarter of the ring is free again.
 * The taker is the faster side and drains the ring, so every wake of it is a switch; woken for
 * half the ring rather than 128 entries, it preempts the busy reader about half as often
 * (tests/bench/threads.sh; figures in tests/bench/RESULTS.md). */
#define FILL_BATCH 32
#define GIVE_BACK_EVERY 64
#define WAKE_TAKER (JB_READAHEAD_SLOTS / 2)
#define IDLE_WAIT_USEC 200000u /* the reader's wait on the journal: also its reaction time to a stop */
#define ERROR_RETRY_SEC 1

typedef struct slot {
    jb_entry entry;
    int status; /* 1: an entry; negative: a read error, described in err */
    bool has_gap;
    jb_gap gap;
    jb_error err;
    size_t bytes;
} slot;

/* Slots are used in order: slot i of the stream is slots[i % JB_READAHEAD_SLOTS]. The reader owns
 * the slots in [head, fill), the taker those in [tail, head); the counters only grow. */
struct jb_readahead {
    jb_journal *j;
    slot *slots;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t reader_cond; /* room in the ring, or stop */
    pthread_cond_t taker_cond;  /* entries, the end of the journal, or an error */

    /* under mu */
    uint64_t head; /* slots published by the reader */
    uint64_t tail; /* slots given back by the taker */
    size_t bytes;  /* entry bytes in published slots not given back yet */
    bool at_end;   /* the reader found nothing more after the last published slot */
    bool stop;
    bool reader_waiting, taker_waiting;
    uint64_t invalidations, lost_positions;

    /* the reader's own */
    uint64_t fill;     /* the next slot to fill */
    size_t fill_bytes; /* bytes of slots filled and not published yet */
    int wait_error;    /* a failed wait, to publish as an error slot */
    jb_error wait_err;

    /* the taker's own */
    uint64_t take;      /* the next slot to take */
    uint64_t seen;      /* head as the taker last read it */
    size_t taken_bytes; /* bytes of slots taken and not given back */
    uint64_t t_invalidations, t_lost_positions;
};

static void deadline_in(struct timespec *ts, uint64_t usec) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    uint64_t ns = (uint64_t)ts->tv_nsec + usec % 1000000u * 1000u;
    ts->tv_sec += (time_t)(usec / 1000000u + ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

/* ---- the reader thread ---- */

static void publish_locked(jb_readahead *ra, bool at_end) {
    if (ra->fill != ra->head) ra->at_end = false;
    ra->head = ra->fill;
    ra->bytes += ra->fill_bytes;
    ra->fill_bytes = 0;
    if (at_end) ra->at_end = true;
    ra->invalidations = jb_journal_invalidations(ra->j);
    ra->lost_positions = jb_journal_lost_positions(ra->j);
    /* a waiting taker has given back everything it took: tail is where it waits */
    if (ra->taker_waiting && (ra->at_end || ra->head - ra->tail >= WAKE_TAKER ||
                              (ra->head != ra->tail && ra->slots[(ra->head - 1) % JB_READAHEAD_SLOTS].status < 0)))
        pthread_cond_signal(&ra->taker_cond);
}

static void publish(jb_readahead *ra, bool at_end) {
    pthread_mutex_lock(&ra->mu);
    publish_locked(ra, at_end);
    pthread_mutex_unlock(&ra->mu);
}

/* Fill up to max slots (at least one, at most max_bytes of entries past the first). 1: filled and
 * there may be more; 0: the journal has nothing more for now; negative: an error slot was filled. */
static int fill_slots(jb_readahead *ra, uint64_t max, size_t max_bytes) {
    for (uint64_t k = 0; k < max && (k == 0 || ra->fill_bytes < max_bytes); k++) {
        slot *s = &ra->slots[ra->fill % JB_READAHEAD_SLOTS];
        int r;
        s->has_gap = false;
        s->bytes = 0;
        if (ra->wait_error) {
            r = s->status = ra->wait_error;
            s->err = ra->wait_err;
            ra->wait_error = 0;
        } else {
            /* no trim here: the taker trimmed the slot when it gave it back (trim_taken) */
            r = jb_journal_next(ra->j, &s->entry, &s->err);
            if (r == 0) return 0;
            s->status = r;
            if (r > 0) {
                const jb_gap *gap = jb_journal_take_gap(ra->j);
                if (gap) {
                    s->gap = *gap;
                    s->has_gap = true;
                }
                s->bytes = jb_entry_bytes(&s->entry);
            }
        }
        ra->fill++;
        ra->fill_bytes += s->bytes;
        if (r < 0) return r;
    }
    return 1;
}

static void *reader_main(void *arg) {
    jb_readahead *ra = arg;
    pthread_setname_np(pthread_self(), "jb:read-ahead"); /* shown by top -H, ps -L, perf */
    pthread_mutex_lock(&ra->mu);
    for (;;) {
        while (!ra->stop && (ra->fill - ra->tail >= JB_READAHEAD_SLOTS ||
                             (ra->fill != ra->tail && ra->bytes >= JB_READAHEAD_MAX_BYTES))) {
            /* the ring is as full as it gets: whatever the taker waits for, this is it */
            if (ra->taker_waiting) pthread_cond_signal(&ra->taker_cond);
            ra->reader_waiting = true;
            pthread_cond_wait(&ra->reader_cond, &ra->mu);
            ra->reader_waiting = false;
        }
        if (ra->stop) break;
        uint64_t room = JB_READAHEAD_SLOTS - (ra->fill - ra->tail);
        size_t byte_room = ra->bytes < JB_READAHEAD_MAX_BYTES ? JB_READAHEAD_MAX_BYTES - ra->bytes : 0;
        pthread_mutex_unlock(&ra->mu);

        int r = fill_slots(ra, room < FILL_BATCH ? room : FILL_BATCH, byte_room);
        if (r == 0) {
            publish(ra, true);
            r = jb_journal_wait(ra->j, IDLE_WAIT_USEC, &ra->wait_err);
            if (r < 0) ra->wait_error = r; /* goes out in order, as the next slot */
            pthread_mutex_lock(&ra->mu);
            publish_locked(ra, false); /* the counters after the wait */
            continue;
        }
        pthread_mutex_lock(&ra->mu);
        publish_locked(ra, false);
        if (r < 0) { /* the taker gets the error; try again a little later */
            struct timespec ts;
            deadline_in(&ts, ERROR_RETRY_SEC * 1000000u);
            while (!ra->stop && pthread_cond_timedwait(&ra->reader_cond, &ra->mu, &ts) == 0) {
            }
        }
    }
    pthread_mutex_unlock(&ra->mu);
    return NULL;
}

/* ---- the taker's side ---- */

int jb_readahead_start(jb_journal *j, jb_readahead **ret, jb_error *err) {
    jb_readahead *ra = jb_calloc(1, sizeof *ra);
    if (!ra) return jb_error_set(err, -ENOMEM, "out of memory");
    ra->slots = jb_calloc(JB_READAHEAD_SLOTS, sizeof *ra->slots);
    if (!ra->slots) {
        jb_free(ra);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < JB_READAHEAD_SLOTS; i++) jb_entry_reset(&ra->slots[i].entry);
    ra->j = j;

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&ra->mu, NULL);
    pthread_cond_init(&ra->reader_cond, &ca);
    pthread_cond_init(&ra->taker_cond, &ca);
    pthread_condattr_destroy(&ca);

    /* signals stay with the caller's threads (its handlers set flags it looks at) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int r = pthread_create(&ra->thread, NULL, reader_main, ra);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        pthread_mutex_destroy(&ra->mu);
        pthread_cond_destroy(&ra->reader_cond);
        pthread_cond_destroy(&ra->taker_cond);
        jb_free(ra->slots);
        jb_free(ra);
        return jb_error_set(err, -r, "cannot start the read-ahead thread: %s", strerror(r));
    }
    *ret = ra;
    return 0;
}

void jb_readahead_request_stop(jb_readahead *ra) {
    if (!ra) return;
    pthread_mutex_lock(&ra->mu);
    ra->stop = true;
    pthread_cond_signal(&ra->reader_cond);
    pthread_mutex_unlock(&ra->mu);
}

jb_readahead *jb_readahead_free(jb_readahead *ra) {
    if (!ra) return NULL;
    jb_readahead_request_stop(ra);
    pthread_join(ra->thread, NULL);
    for (size_t i = 0; i < JB_READAHEAD_SLOTS; i++) jb_entry_done(&ra->slots[i].entry);
    pthread_mutex_destroy(&ra->mu);
    pthread_cond_destroy(&ra->reader_cond);
    pthread_cond_destroy(&ra->taker_cond);
    jb_free(ra->slots);
    jb_free(ra);
    return NULL;
}

/* Give back every slot taken before (the caller is done with them) and look at what is new. */
static void refresh_locked(jb_readahead *ra) {
    ra->tail = ra->take;
    ra->bytes -= ra->taken_bytes;
    ra->taken_bytes = 0;
    ra->seen = ra->head;
    ra->t_invalidations = ra->invalidations;
    ra->t_lost_positions = ra->lost_positions;
    if (ra->reader_waiting && ra->head - ra->tail <= JB_READAHEAD_SLOTS * 3 / 4 &&
        ra->bytes <= JB_READAHEAD_MAX_BYTES / 4 * 3)
        pthread_cond_signal(&ra->reader_cond);
}

/* Before the slots taken are given back: a slot that holds more than JB_READAHEAD_KEEP_BYTES
 * frees it now, not when the reader comes round to it again (2048 slots later), so the ring never
 * keeps more than that per slot between entries. The taker owns [tail, take) until refresh. */
static void trim_taken(jb_readahead *ra) {
    for (uint64_t i = ra->tail; i != ra->take; i++)
        jb_entry_trim(&ra->slots[i % JB_READAHEAD_SLOTS].entry, JB_READAHEAD_KEEP_BYTES);
}

int jb_readahead_next(jb_readahead *ra, jb_entry **ret_entry, const jb_gap **ret_gap, jb_error *err) {
    if (ra->take == ra->seen || ra->take - ra->tail >= GIVE_BACK_EVERY) {
        trim_taken(ra);
        pthread_mutex_lock(&ra->mu);
        refresh_locked(ra);
        /* 0 only when the reader says so: "nothing more for now" means the same as without it */
        while (ra->take == ra->seen && !ra->at_end && !ra->stop) {
            ra->taker_waiting = true;
            pthread_cond_wait(&ra->taker_cond, &ra->mu);
            ra->taker_waiting = false;
            refresh_locked(ra);
        }
        pthread_mutex_unlock(&ra->mu);
        if (ra->take == ra->seen) return 0;
    }
    slot *s = &ra->slots[ra->take % JB_READAHEAD_SLOTS];
    ra->take++;
    ra->taken_bytes += s->bytes;
    if (s->status < 0) {
        if (err) *err = s->err;
        return s->status;
    }
    *ret_entry = &s->entry;
    *ret_gap = s->has_gap ? &s->gap : NULL;
    return 1;
}

void jb_readahead_wait(jb_readahead *ra, uint64_t timeout_usec) {
    struct timespec ts;
    deadline_in(&ts, timeout_usec);
    trim_taken(ra);
    pthread_mutex_lock(&ra->mu);
    refresh_locked(ra);
    while (ra->take == ra->seen && !ra->stop) {
        ra->taker_waiting = true;
        int r = pthread_cond_timedwait(&ra->taker_cond, &ra->mu, &ts);
        ra->taker_waiting = false;
        refresh_locked(ra);
        if (r == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&ra->mu);
}

uint64_t jb_readahead_invalidations(const jb_readahead *ra) {
    return ra->t_invalidations;
}

uint64_t jb_readahead_lost_positions(const jb_readahead *ra) {
    return ra->t_lost_positions;
}
