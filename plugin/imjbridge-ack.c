/* SPDX-License-Identifier: Apache-2.0 */
/* imjbridge: acknowledgement. The worker submits its messages in groups (see ackGroup in
 * imjbridge.h), learns from the groups' input name references when rsyslog has finished with
 * every message of a group, and moves the position to save only past acknowledged groups, in
 * order. It also holds a reference to recent messages so they are destroyed on its own thread. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsyslog.h"
#include "errmsg.h"
#include "rsconf.h"
#include "srUtils.h"
#include "unicode-helper.h"

#include "timestamp.h"

#include "imjbridge.h"

#define JB_INFLIGHT_SLEEP_MAX_USEC 50000 /* longest pause while the in-flight bound is reached */
#define JB_ACK_POLL_USEC 2000            /* how often shutdown looks for acknowledgements */
#define JB_SYNC_USEC 1000000             /* a saved position is made durable within about this */
#define JB_IDLE_POLL_MIN_USEC 1000       /* first wait of an idle worker while groups are out */

static ackGroup *groupFree(ackGroup *g) {
    if (g == NULL) return NULL;
    if (g->prop != NULL) prop.Destruct(&g->prop); /* messages still out keep it alive */
    jb_state_done(&g->checkpoint);
    free(g);
    return NULL;
}

/* The input name of the group that new messages join, opened on first use. */
rsRetVal imjb_group_prop(instanceConf_t *inst, prop_t **ret) {
    DEFiRet;
    if (inst->cur == NULL) CHKmalloc(inst->cur = calloc(1, sizeof(*inst->cur)));
    if (inst->cur->prop == NULL)
        CHKiRet(prop.CreateStringProp(&inst->cur->prop, UCHAR_CONSTANT("imjbridge"), sizeof("imjbridge") - 1));
    *ret = inst->cur->prop;
finalize_it:
    RETiRet;
}

/* rsyslog refused (part of) a batch of the current group: it must never be acknowledged, and
 * neither can any later one (the FIFO stops at it), so no position passes these entries. While
 * stopping with a full queue that is expected (reportUnacked() says so); at any other time the
 * input goes on until maxInFlight and the position stays here until rsyslogd restarts. */
void imjb_group_broken(instanceConf_t *inst, rsRetVal r) {
    if (!inst->submit_broken && glbl.GetGlobalInputTermState() == 0)
        LogError(0, r,
                 "imjbridge: rsyslog refused records; the position in '%s' stays before them until rsyslogd "
                 "restarts, then they are read again",
                 inst->state_path);
    inst->submit_broken = 1;
    if (inst->cur != NULL) inst->cur->broken = 1;
}

/* Close the current group (after flushSubmits) with the reader's checkpoint; a batch that
 * submitted nothing gets an empty group, so the position still moves past filtered entries. */
void imjb_group_close(instanceConf_t *inst, jb_bridge *b, sbool ends_interval) {
    ackGroup *g = inst->cur;
    const char *cp = jb_bridge_checkpoint(b);
    inst->cur = NULL;
    if (g == NULL && (g = calloc(1, sizeof(*g))) == NULL) return; /* the next group's checkpoint covers it */
    if (cp != NULL) g->checkpoint.cursor = strdup(cp);            /* NULL (no memory): acknowledging it moves nothing */
    /* with split lines pending the checkpoint stays before them: the last entry read tells a restart
     * what not to deliver again (jb_bridge_set_replay()); NULL (no memory): delivered again */
    const char *rc = jb_bridge_read_cursor(b);
    if (cp != NULL && rc != NULL && strcmp(rc, cp) != 0) g->checkpoint.read_cursor = strdup(rc);
    jb_bridge_checkpoint_sequence(b, &g->checkpoint.seq_app, &g->checkpoint.seq_audit);
    if (g->checkpoint.cursor != NULL) imjb_seal_snapshot(inst, &g->checkpoint); /* the chains at that point */
    g->ends_interval = ends_interval;
    inst->ack_poll_usec = 0; /* a new group out: look for its acknowledgement soon */
    if (inst->tail == NULL)
        inst->head = g;
    else
        inst->tail->next = g;
    inst->tail = g;
}

/* Every message of g (and every copy) has been destroyed by rsyslog: only the module's own
 * reference is left. The acquire load pairs with the atomic decrement of prop.Destruct. */
static int groupDone(ackGroup *g) {
    return !g->broken && (g->prop == NULL || __atomic_load_n(&g->prop->iRefCount, __ATOMIC_ACQUIRE) == 1);
}

/* Save the newest acknowledged position: durably (fsync of the file and its directory) or by a
 * rename only, which a crash of rsyslogd cannot undo (the page cache survives it; only a power
 * loss can). in_background: the fsyncs of a durable save are left to the syncer thread
 * (imjbridge-sync.c), the worker goes on reading; they are done here when it cannot start. */
static void saveState(instanceConf_t *inst, sbool durable, sbool in_background) {
    jb_error err = {0};
    if (inst->acked.cursor == NULL) return;
    inst->acked_unsaved = 0; /* a failure is retried at the next acknowledgement, idle moment or shutdown */
    if (jb_state_save(inst->state_path, &inst->acked, durable && !in_background ? 0 : JB_STATE_NO_SYNC, &err) < 0) {
        /* once per failing spell, not at every checkpoint: the input goes on and retries */
        if (!inst->state_failing)
            LogError(-err.code, RS_RET_IO_ERROR,
                     "imjbridge: cannot save state to '%s': %s; still reading, saving again at each checkpoint",
                     inst->state_path, err.msg);
        inst->state_failing = 1;
        return;
    }
    if (inst->state_failing) LogMsg(0, NO_ERRCODE, LOG_INFO, "imjbridge: state saved again to '%s'", inst->state_path);
    inst->state_failing = 0;
    inst->save_gen++;
    if (durable && in_background) {
        if (imjb_sync_request(inst, inst->save_gen) == 0) {
            inst->sync_gen = inst->save_gen;
            inst->saved_unsynced = 1;                         /* until the syncer says so (syncCheck) */
            inst->synced_usec = jb_now_usec(CLOCK_MONOTONIC); /* asked: the next one is due a second later */
            imjb_seal_saved(inst, 0);
            STATSCOUNTER_INC(inst->ctrSaves, inst->mutCtrSaves);
            return;
        }
        saveState(inst, durable, 0); /* no thread: the fsyncs here */
        return;
    }
    inst->saved_unsynced = !durable;
    if (durable) inst->synced_usec = jb_now_usec(CLOCK_MONOTONIC);
    imjb_seal_saved(inst, durable); /* the sealer forgets the records the saved chains cover */
    STATSCOUNTER_INC(inst->ctrSaves, inst->mutCtrSaves);
}

void imjb_save_state(instanceConf_t *inst, sbool durable) {
    /* a sealed input's epoch move waits for durable saves: those stay in the worker */
    saveState(inst, durable, inst->sealer == NULL);
}

/* What the syncer finished: a failure is said once per spell and the durable save is due again;
 * the last save is durable when nothing was saved after the one synced. */
static void syncCheck(instanceConf_t *inst) {
    uint64_t done = 0;
    if (inst->sync_gen == 0) return;
    int r = imjb_sync_done(inst, &done);
    if (done < inst->sync_gen) return; /* under way */
    inst->sync_gen = 0;
    if (r < 0) {
        if (!inst->sync_failing)
            LogError(-r, RS_RET_IO_ERROR,
                     "imjbridge: cannot make the state in '%s' durable (fsync): %s; still reading, trying again "
                     "within a second",
                     inst->state_path, strerror(-r));
        inst->sync_failing = 1;
        inst->synced_usec = 0;
        return;
    }
    if (inst->sync_failing) LogMsg(0, NO_ERRCODE, LOG_INFO, "imjbridge: state durable again in '%s'", inst->state_path);
    inst->sync_failing = 0;
    if (done == inst->save_gen) inst->saved_unsynced = 0;
}

/* JB_SYNC_USEC since the last durable save (or none yet). */
static int syncDue(instanceConf_t *inst) {
    return inst->synced_usec == 0 || jb_now_usec(CLOCK_MONOTONIC) - inst->synced_usec >= JB_SYNC_USEC;
}

void imjb_save_idle(instanceConf_t *inst) {
    syncCheck(inst);
    if (inst->acked_unsaved || (inst->saved_unsynced && syncDue(inst))) imjb_save_state(inst, syncDue(inst));
}

uint64_t imjb_idle_wait_usec(instanceConf_t *inst, uint64_t max_usec) {
    if (inst->head == NULL || inst->head->broken) return max_usec;
    uint64_t usec = inst->ack_poll_usec < JB_IDLE_POLL_MIN_USEC ? JB_IDLE_POLL_MIN_USEC : inst->ack_poll_usec;
    if (usec > max_usec) usec = max_usec;
    inst->ack_poll_usec = usec * 2; /* reset when a group closes or is acknowledged */
    return usec;
}

/* Drop the references of up to max of the oldest held messages that only the module still
 * references (all != 0: of every held message). The acquire load pairs with msgDestruct's
 * atomic decrement. */
static void releaseHeld(instanceConf_t *inst, size_t max, int all) {
    for (; inst->held_n > 0 && max > 0; max--) {
        smsg_t *m = inst->held[inst->held_first];
        if (!all && __atomic_load_n(&m->iRefCount, __ATOMIC_ACQUIRE) != 1) break;
        msgDestruct(&m);
        inst->held_first = (inst->held_first + 1) & (JB_HELD_MAX - 1);
        inst->held_n--;
    }
}

/* Keep a reference to a message rsyslog is about to get, so that it is destroyed here rather
 * than by the queue worker: its memory then goes back to this thread's malloc caches, where the
 * next messages are made, instead of crossing threads twice per allocation with the arena
 * locked (which the queue worker waited on). Out of memory: the message is not held, rsyslog
 * destroys it as usual. */
void imjb_hold_msg(instanceConf_t *inst, smsg_t *pMsg) {
    /* one at most: the blocks of a message freed just before the next one is made are what
     * malloc's per-thread cache (7 blocks of each size) hands out again, without taking the
     * arena's lock; two per message overflowed it with the JSON objects (4.7 per message) */
    releaseHeld(inst, 1, 0);
    /* a message rsyslog keeps (an action's repeated-message reduction holds the last one) must
     * not make the module keep every later one: past the bound the oldest is let go, and
     * rsyslog frees it as it would without the module's reference */
    if (inst->held == NULL && (inst->held = malloc(JB_HELD_MAX * sizeof(*inst->held))) == NULL) return;
    if (inst->held_n == JB_HELD_MAX) releaseHeld(inst, 1, 1);
    inst->held[(inst->held_first + inst->held_n++) & (JB_HELD_MAX - 1)] = MsgAddRef(pMsg);
}

/* Acknowledge the completed groups at the front of the FIFO, in order, and save the position they
 * reach: a rename only (enough against a crash of rsyslogd, so that it reads again about one batch
 * at most), durably when one of them ended a persistStateInterval or JB_SYNC_USEC passed since
 * the last durable save (against a power loss). */
void imjb_reap(instanceConf_t *inst) {
    ackGroup *g;
    syncCheck(inst);
    releaseHeld(inst, SIZE_MAX, 0);
    while ((g = inst->head) != NULL && groupDone(g)) {
        inst->head = g->next;
        if (inst->head == NULL) inst->tail = NULL;
        inst->inflight -= g->n_msgs;
        STATSCOUNTER_ADD(inst->ctrAcked, inst->mutCtrAcked, (intctr_t)g->n_msgs);
        if (g->checkpoint.cursor != NULL) {
            jb_state_done(&inst->acked);
            inst->acked = g->checkpoint; /* its cursors and seal lines move over */
            g->checkpoint = (jb_state){0};
            inst->acked_unsaved = 1;
        }
        if (g->ends_interval) inst->save_due = 1;
        inst->ack_poll_usec = 0;
        groupFree(g);
    }
    if (inst->save_due || inst->acked_unsaved) {
        sbool durable = inst->save_due || syncDue(inst);
        inst->save_due = 0;
        imjb_save_state(inst, durable);
    }
}

/* Before reading more: while maxInFlight messages are out, acknowledge what finishes, pausing 1 ms
 * at first and up to 50 ms; the journal keeps what is not read yet. */
void imjb_wait_inflight(instanceConf_t *inst) {
    int usec = 1000;
    if (inst->max_inflight <= 0) return;
    imjb_reap(inst);
    if (inst->inflight < inst->max_inflight) return;
    STATSCOUNTER_INC(inst->ctrInflightWaits, inst->mutCtrInflightWaits);
    while (inst->inflight >= inst->max_inflight && glbl.GetGlobalInputTermState() == 0) {
        srSleep(0, usec);
        usec = usec * 2 > JB_INFLIGHT_SLEEP_MAX_USEC ? JB_INFLIGHT_SLEEP_MAX_USEC : usec * 2;
        imjb_reap(inst);
    }
}

/* At shutdown: rsyslog stops the inputs before it drains its queues, and cancels an input that is
 * not done within inputs.timeout.shutdown (1000 ms by default, threads.c thrdTerminateNonCancel).
 * Wait up to 60% of it for the open groups to complete, then save the newest acknowledged
 * position; what rsyslog has not finished by then is read again at the next start. Returns how
 * long it waited, in ms. */
static unsigned drainAcks(instanceConf_t *inst) {
    uint64_t t0 = jb_now_usec(CLOCK_MONOTONIC), budget = 600000;
    if (runConf != NULL && runConf->globals.inputTimeoutShutdown > 0)
        budget = (uint64_t)runConf->globals.inputTimeoutShutdown * 600; /* ms -> 60% in us */
    imjb_reap(inst);
    while (inst->head != NULL && !inst->head->broken && jb_now_usec(CLOCK_MONOTONIC) - t0 < budget) {
        srSleep(0, JB_ACK_POLL_USEC);
        imjb_reap(inst);
    }
    return (unsigned)((jb_now_usec(CLOCK_MONOTONIC) - t0) / 1000);
}

/* After the shutdown wait: the messages the saved position does not cover (rsyslog had not
 * finished them, or an earlier one), what the next start reads again. */
static void reportUnacked(instanceConf_t *inst, unsigned waited_ms) {
    if (inst->inflight > 0)
        LogMsg(0, NO_ERRCODE, LOG_INFO,
               "imjbridge: stopping with %d messages not acknowledged (rsyslog had not finished them all after "
               "%u ms); the position in '%s' stays before them, the next start reads them again (same record ids)",
               inst->inflight, waited_ms, inst->state_path);
    if (inst->submit_broken)
        LogMsg(0, NO_ERRCODE, LOG_WARNING,
               "imjbridge: rsyslog refused records while stopping with a full queue; the position in '%s' "
               "stays before them, the next start reads them again",
               inst->state_path);
}

void imjb_ack_finish(instanceConf_t *inst, jb_bridge *b) {
    if (inst->cur != NULL) imjb_group_close(inst, b, 0);
    releaseHeld(inst, SIZE_MAX, 1);
    free(inst->held);
    inst->held = NULL;
    inst->held_n = inst->held_first = 0;
    unsigned waited_ms = drainAcks(inst);
    imjb_sync_stop(inst);  /* a sync under way finishes first */
    saveState(inst, 1, 0); /* the last save durable before the input ends */
    reportUnacked(inst, waited_ms);
    while (inst->head != NULL) {
        ackGroup *g = inst->head;
        inst->head = g->next;
        groupFree(g);
    }
    inst->tail = NULL;
    jb_state_done(&inst->acked);
}
