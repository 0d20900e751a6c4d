/* SPDX-License-Identifier: Apache-2.0 */
#ifndef JB_PLUGIN_IMJBRIDGE_H
#define JB_PLUGIN_IMJBRIDGE_H

/* imjbridge's own header, shared by its four files and by nothing else:
 *   imjbridge.c         configuration (parameters, checks, statistics) and the module's entry points;
 *   imjbridge-submit.c  the worker of an input: records to rsyslog messages, batches, positioning;
 *   imjbridge-ack.c     acknowledgement: which messages rsyslog finished, the position to save;
 *   imjbridge-seal.c    sealed streams: the seal.* parameters, sealing, epochs, heartbeats.
 * Include after rsyslog's headers (rsyslog's config.h is force-included). */

#include <pthread.h>
#include <time.h>

#include "rsyslog.h"
#include "datetime.h"
#include "glbl.h"
#include "msg.h"
#include "prop.h"
#include "ratelimit.h"
#include "ruleset.h"
#include "statsobj.h"

#include "bridge.h"
#include "resume.h"
#include "sd.h"
#include "seal.h"
#include "state.h"

#include "glue.h"

#define JB_BATCH_ENTRIES 1024 /* entries per jb_bridge_process() call (imjbridge-submit.c) */
#define JB_HELD_MAX 16384     /* messages the input holds a reference to, at most (see imjb_hold_msg) */
_Static_assert((JB_HELD_MAX & (JB_HELD_MAX - 1)) == 0, "JB_HELD_MAX is a power of two");

/* rsyslog's object interfaces, defined in imjbridge.c and loaded by modInit. */
#define IMJB_HIDDEN __attribute__((visibility("hidden")))
extern datetime_if_t datetime IMJB_HIDDEN;
extern glbl_if_t glbl IMJB_HIDDEN;
extern prop_if_t prop IMJB_HIDDEN;

/* jsonProperties: which messages get the $!jbridge, $!container and $!audit properties. The
 * structured data carries the same values in every case; the properties cost about a tenth of
 * the module's CPU (three objects per message). */
enum { JSON_ALL, JSON_AUDIT, JSON_OFF };

/* A group of messages submitted together (one batch of the worker), acknowledged as a whole.
 *
 * rsyslog tells an input nothing about what became of a message, but every message holds a
 * reference to its input name property (prop_t), and this is what we count on. Read in rsyslog
 * 8.2302's source (rsyslog-headers/runtime): MsgSetInputName() takes a reference (prop.AddRef,
 * an atomic increment) and msgDestruct() drops it when the message's own reference count reaches
 * 0 (prop.Destruct, an atomic decrement; the prop is freed at 0, prop.c); MsgDup() (a `call` of a
 * ruleset with its own queue, an action with a queue copying messages, omruleset) copies the
 * pointer and takes a reference too, and MsgAddRef() (action queues, a DA queue's spill, the
 * ratelimiter's repeat reduction) keeps the message itself alive. rsyslog destroys a message
 * after every action of its batch ran and committed (queue.c DeleteProcessedBatch after the
 * ruleset's processBatch, which ends with actionCommitAllDirect), after serializing it into a
 * disk queue (qAddDisk; a message read back from disk gets a new prop, msg.c MsgDeserialize), or
 * when it discards it (a filter, a full queue, an action that gave up its retries). So when the
 * group's prop is back to the module's single reference, rsyslog has finished with every message
 * of the group and with every copy of them. Groups complete in any order but are acknowledged in
 * order (a FIFO), and each carries the reader's checkpoint taken when it closed: every entry up
 * to it delivered its records in this group or an earlier one. */
typedef struct ackGroup {
    prop_t *prop;        /* the module's reference, the messages hold the others; NULL: no message */
    int n_msgs;          /* messages submitted with it */
    sbool ends_interval; /* the persistStateInterval-th record since the last interval ends here */
    sbool broken;        /* rsyslog refused part of it: never acknowledged */
    jb_state checkpoint; /* position and sequence numbers when it closed (cursor NULL: none yet) */
    struct ackGroup *next;
} ackGroup;

typedef struct instanceConf_s {
    /* the core's settings (jb_config_init's defaults); its lists point into the strlists below */
    jb_config cfg;
    char *directory;
    jbglue_strlist files;
    char *name_space;
    jbglue_strlist containers, images, matches, markers, patterns;
    jbglue_strlist trust;            /* trusted writers added to the core's (trust.h) */
    jbglue_strlist audit_containers; /* audit.containers */
    char *audit_anchor;              /* audit.anchor */
    jbglue_strlist container_fields; /* container.fields (issue 17) */
    jbglue_strlist components;       /* components (issue 17) */
    char *message;                   /* message: line or inner (issue 17) */
    char *profile;                   /* recognition profile; NULL: the core's default */
    char *ruleset_name, *audit_ruleset_name;
    ruleset_t *ruleset, *audit_ruleset;
    char *state_param; /* as configured */
    char *state_path;  /* resolved against workDirectory */
    int persist_interval;
    int max_inflight; /* messages submitted and not yet finished by rsyslog; 0: no bound */
    sbool ignore_previous;
    unsigned pen;
    int facility_app, facility_audit;
    unsigned int rl_interval, rl_burst;
    sbool escape_cc;
    int json_props; /* which messages get JSON properties: JSON_ALL, JSON_AUDIT or JSON_OFF */
    sbool ok;       /* passed checkCnf */

    /* run time */
    pthread_t tid;
    sbool running;
    sbool state_failing; /* the last save failed: said once, retried at each checkpoint */
    ratelimit_t *ratelimiter;
    statsobj_t *stats;
    STATSCOUNTER_DEF(ctrRead, mutCtrRead)
    STATSCOUNTER_DEF(ctrApp, mutCtrApp)
    STATSCOUNTER_DEF(ctrAudit, mutCtrAudit)
    STATSCOUNTER_DEF(ctrMalformed, mutCtrMalformed)
    STATSCOUNTER_DEF(ctrRejected, mutCtrRejected)
    STATSCOUNTER_DEF(ctrFilteredComponent, mutCtrFilteredComponent)
    STATSCOUNTER_DEF(ctrReassembled, mutCtrReassembled)
    STATSCOUNTER_DEF(ctrOverflow, mutCtrOverflow)
    STATSCOUNTER_DEF(ctrRatelimited, mutCtrRatelimited)
    STATSCOUNTER_DEF(ctrSaves, mutCtrSaves)
    STATSCOUNTER_DEF(ctrInvalidations, mutCtrInvalidations)
    STATSCOUNTER_DEF(ctrGaps, mutCtrGaps)
    STATSCOUNTER_DEF(ctrGapEntries, mutCtrGapEntries)
    STATSCOUNTER_DEF(ctrSubmitFailed, mutCtrSubmitFailed)
    STATSCOUNTER_DEF(ctrAcked, mutCtrAcked)
    STATSCOUNTER_DEF(ctrInflightWaits, mutCtrInflightWaits)
    STATSCOUNTER_DEF(ctrUntrusted, mutCtrUntrusted)
    STATSCOUNTER_DEF(ctrSealed, mutCtrSealed)           /* records sealed */
    STATSCOUNTER_DEF(ctrSealEpochs, mutCtrSealEpochs)   /* epoch moves */
    STATSCOUNTER_DEF(ctrSealPauseMs, mutCtrSealPauseMs) /* ms of reading paused for them */
    STATSCOUNTER_DEF(ctrSealBeats, mutCtrSealBeats)     /* heartbeat and stop lines sent */
    int inflight; /* messages of the open groups (gauge: written by the worker only) */
    /* acknowledgement (worker only) */
    ackGroup *cur;          /* the group being filled, NULL until a message needs it */
    ackGroup *head, *tail;  /* closed groups, oldest first */
    jb_state acked;         /* the newest acknowledged checkpoint: what the state file gets */
    sbool acked_unsaved;    /* acked moved since the last save */
    sbool save_due;         /* an acknowledged group ended a persistStateInterval: a durable save */
    sbool saved_unsynced;   /* the last save was not made durable (no fsync yet) */
    uint64_t synced_usec;   /* CLOCK_MONOTONIC of the last durable save (0: none yet) */
    uint64_t ack_poll_usec; /* how long an idle worker waits while groups are out (see imjb_idle_wait_usec) */
    /* the fsyncs of durable saves of an unsealed input (imjbridge-sync.c; worker only) */
    struct imjb_syncer *syncer;
    uint64_t save_gen;  /* saves made */
    uint64_t sync_gen;  /* the save whose fsyncs were last asked for (0: none under way) */
    sbool sync_failing; /* the syncer's last fsync failed (said once) */
    /* one batch per stream: rsyslog enqueues a batch into the queue of its first message's
     * ruleset, so mixing the streams would put audit records into the application's queue */
    multi_submit_t multiSub[2];
    smsg_t *msgs[2][CONF_NUM_MULTISUB];
    sbool submit_broken; /* rsyslog refused a batch: that group and the later ones are never acknowledged */
    /* messages handed to rsyslog that the module still holds a reference to (see imjb_hold_msg): a
     * ring of JB_HELD_MAX, oldest first, allocated at the first message (worker only) */
    smsg_t **held;
    size_t held_first, held_n;
    jb_buf msgbuf, sdbuf, hdrbuf;
    jb_sd_cache sdcache;      /* container elements of recent records (worker only) */
    jbglue_strings *jstrings; /* JSON strings shared by the worker's messages (NULL: none) */
    /* the broken-down time of the last second seen: the records of one second share it */
    struct syslogTime last_st;
    time_t last_sec;
    sbool last_st_valid;
    /* sealing (imjbridge-seal.c): the parameters, then the worker's sealer (NULL: not sealing) */
    char *seal_key_param;     /* seal.keyFile as configured (NULL: no sealing); cfg.seal.key_path points here */
    sbool seal_streams_set;   /* seal.streams was given */
    jb_sealer *sealer;        /* worker only */
    int seal_phase;           /* IMJB_SEAL_READING, _PAUSED (epoch due), _SAVING (begun, saving), _COMMIT */
    sbool seal_caught_up;     /* the reader was idle once since the start (epochStep) */
    jb_buf sealbuf;           /* heartbeat lines (worker only) */
    uint64_t seal_pause_usec; /* CLOCK_MONOTONIC when the current epoch pause began */
    char seal_host[2][256];   /* by stream: the HOSTNAME of the last sealed record, for its heartbeats */
    struct instanceConf_s *next;
} instanceConf_t;

/* ---- imjbridge-submit.c ---- */

/* Add a message (of the current group) to its stream's batch; a full batch is submitted. */
rsRetVal imjb_enqueue(instanceConf_t *inst, jb_stream stream, smsg_t *pMsg);
/* Hand the gathered batches to rsyslog. */
rsRetVal imjb_flush_submits(instanceConf_t *inst);

/* The thread of one input: position the reader, then read, submit and acknowledge until rsyslog
 * stops, then save the acknowledged position. arg: the instanceConf_t. */
void *imjb_worker(void *arg);

/* ---- imjbridge-ack.c (the worker's own) ---- */

/* The input name of the group that new messages join, opened on first use. */
rsRetVal imjb_group_prop(instanceConf_t *inst, prop_t **ret);
/* rsyslog refused (part of) a batch of the current group (r: its answer). */
void imjb_group_broken(instanceConf_t *inst, rsRetVal r);
/* Close the current group with the reader's checkpoint (after the batches went to rsyslog). */
void imjb_group_close(instanceConf_t *inst, jb_bridge *b, sbool ends_interval);
/* Keep a reference to a message rsyslog is about to get (see there), after letting go of at most
 * one held message rsyslog has finished. */
void imjb_hold_msg(instanceConf_t *inst, smsg_t *pMsg);
/* Acknowledge the completed groups at the front of the FIFO, saving the state when one ended a
 * persistStateInterval. */
void imjb_reap(instanceConf_t *inst);
/* Before reading more: wait while maxInFlight messages are out. */
void imjb_wait_inflight(instanceConf_t *inst);
/* Save the newest acknowledged position, durably (fsync) or not (a rename only: safe against a
 * crash of rsyslogd, not against a power loss). A failure is said once and retried later. */
void imjb_save_state(instanceConf_t *inst, sbool durable);
/* imjbridge-sync.c: ask for the fsyncs of the state file as saved by save gen (a thread started
 * at the first request; -1 when it cannot be: sync in the caller), what was done (the last
 * generation synced in *ret_gen; 0 or the failure's -errno), and stop (waits for a sync under
 * way). */
typedef struct imjb_syncer imjb_syncer;
int imjb_sync_request(instanceConf_t *inst, uint64_t gen);
int imjb_sync_done(instanceConf_t *inst, uint64_t *ret_gen);
void imjb_sync_stop(instanceConf_t *inst);
/* The journal is idle: save a position not saved yet, and make the saved one durable once
 * JB_SYNC_USEC passed since the last durable save. */
void imjb_save_idle(instanceConf_t *inst);
/* How long an idle worker may wait for the journal: briefly (1 ms, doubling) while groups are
 * out, so their acknowledgement is saved soon after rsyslog finished them; otherwise max_usec. */
uint64_t imjb_idle_wait_usec(instanceConf_t *inst, uint64_t max_usec);
/* At shutdown, after the last batches went to rsyslog: close the group, wait a while for rsyslog
 * to finish the open groups, save the position, say what stays unacknowledged, free it all. */
void imjb_ack_finish(instanceConf_t *inst, jb_bridge *b);

/* ---- imjbridge-seal.c: sealed streams (doc/sealing.md) ---- */

enum { IMJB_SEAL_READING, IMJB_SEAL_PAUSED, IMJB_SEAL_SAVING, IMJB_SEAL_COMMIT };

/* The seal.* parameters (name as rsyslog lists it, lower case); RS_RET_OK when name is not one. */
rsRetVal imjb_seal_param(instanceConf_t *inst, const char *name, struct cnfparamvals *v);
/* After the core's checks: the key file can be loaded (present, ours, 0600, not a link). */
rsRetVal imjb_seal_check(instanceConf_t *inst);
void imjb_seal_conf_free(instanceConf_t *inst);
/* The worker, after the reader was positioned from the state file: the sealer, its chains
 * restored from the same state (info: what the resume found; what it did is logged). -errno when
 * sealing cannot start. */
int imjb_seal_open(instanceConf_t *inst, const jb_resume_info *info);
/* Seal the record being built (its header already set on pMsg, its structured data in
 * inst->sdbuf, its text in inst->msgbuf): the seal goes into inst->sdbuf. */
rsRetVal imjb_seal_record(instanceConf_t *inst, const jb_record *rec, smsg_t *pMsg, int pri);
/* A group closes: the seal lines that go with its checkpoint's sequence numbers. */
void imjb_seal_snapshot(instanceConf_t *inst, jb_state *checkpoint);
/* The acknowledged position (and its seal lines) was saved. */
void imjb_seal_saved(instanceConf_t *inst, sbool durable);
/* Between batches: heartbeats, and the epoch move. Returns 1 while reading is paused for the
 * epoch (the caller must not read new entries; this call did the waiting). */
int imjb_seal_tick(instanceConf_t *inst, jb_bridge *b);
/* A clean stop: a stop line on every sealed chain, before the last batches are flushed. */
void imjb_seal_stop(instanceConf_t *inst);
/* The worker ends: the sealer (keys wiped). */
void imjb_seal_close(instanceConf_t *inst);

#endif
