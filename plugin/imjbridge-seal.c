/* SPDX-License-Identifier: Apache-2.0 */
/* imjbridge: sealed streams (doc/sealing.md). The scheme is the core's (seal.h): this file only
 * maps the seal.* parameters, hands the sealer each record exactly as the message carries it,
 * saves the chains with the acknowledged position, moves the epoch at a moment when every sealed
 * record is acknowledged and durably saved, and sends heartbeats and stop lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "rsyslog.h"
#include "errmsg.h"
#include "srUtils.h"

#include "rfc5424.h"
#include "timestamp.h"

#include "imjbridge.h"

static char *cstr(struct cnfparamvals *v) {
    return es_str2cstr(v->val.d.estr, NULL);
}

rsRetVal imjb_seal_param(instanceConf_t *inst, const char *name, struct cnfparamvals *v) {
    DEFiRet;
    jb_error err = {0};
    char *s = NULL;
    if (!strcmp(name, "seal.keyfile")) {
        free(inst->seal_key_param);
        CHKmalloc(inst->seal_key_param = cstr(v));
        inst->cfg.seal.key_path = inst->seal_key_param;
    } else if (!strcmp(name, "seal.streams")) {
        CHKmalloc(s = cstr(v));
        inst->seal_streams_set = 1;
        if (jb_seal_streams_parse(s, inst->cfg.seal.streams, &err) < 0) {
            LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'seal.streams': %s", err.msg);
            ABORT_FINALIZE(RS_RET_PARAM_ERROR);
        }
    } else if (!strcmp(name, "seal.epochrecords")) {
        inst->cfg.seal.epoch_records = (uint64_t)v->val.d.n; /* checked by the core (jb_config_check) */
    } else if (!strcmp(name, "seal.epochseconds")) {
        inst->cfg.seal.epoch_usec = (uint64_t)v->val.d.n * 1000000u;
    } else if (!strcmp(name, "seal.heartbeat")) {
        inst->cfg.seal.heartbeat_usec = (uint64_t)v->val.d.n * 1000000u;
    }
finalize_it:
    free(s);
    RETiRet;
}

rsRetVal imjb_seal_check(instanceConf_t *inst) {
    DEFiRet;
    jb_error err = {0};
    jb_seal_key k;
    if (inst->seal_key_param == NULL) {
        if (inst->seal_streams_set) {
            LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'seal.streams' needs 'seal.keyFile'");
            ABORT_FINALIZE(RS_RET_PARAM_ERROR);
        }
        FINALIZE;
    }
    if (inst->seal_key_param[0] != '/') {
        LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'seal.keyFile': '%s' is not an absolute path",
                 inst->seal_key_param);
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
    /* the checks the worker's load makes (a regular file, ours, 0600, well-formed), now, so that
     * rsyslogd -N1 names the parameter */
    if (jb_seal_key_load(inst->seal_key_param, &k, &err) < 0) {
        LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'seal.keyFile': %s", err.msg);
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
    jb_seal_key_wipe(&k);
finalize_it:
    RETiRet;
}

void imjb_seal_conf_free(instanceConf_t *inst) {
    free(inst->seal_key_param);
    jb_buf_done(&inst->sealbuf);
}

static const char *sealedStreams(const instanceConf_t *inst) {
    return inst->cfg.seal.streams[JB_STREAM_APP]
               ? (inst->cfg.seal.streams[JB_STREAM_AUDIT] ? "app and audit streams" : "app stream")
               : "audit stream";
}

/* Say what the restore found: whether the chains go on, and when not, why new ones start. */
static void logRestore(instanceConf_t *inst, jb_seal_restore outcome) {
    const char *why = NULL;
    switch (outcome) {
    case JB_SEAL_CONTINUED:
        LogMsg(0, NO_ERRCODE, LOG_INFO, "imjbridge: sealing the %s of '%s': the chains go on from the state file",
               sealedStreams(inst), inst->state_path);
        return;
    case JB_SEAL_NEW_CHAIN:
        why = "the state file holds no chain (first start, or the state file was lost or set aside)";
        break;
    case JB_SEAL_KEY_CHANGED:
        why = "the state's chains were sealed with another key";
        break;
    case JB_SEAL_KEY_AHEAD:
        why =
            "the key file is at a later epoch than the state file (a state restored from a backup?): its "
            "chains cannot go on";
        break;
    }
    LogMsg(0, NO_ERRCODE, LOG_NOTICE, "imjbridge: sealing the %s of '%s' with key file '%s': new chains start, %s",
           sealedStreams(inst), inst->state_path, inst->seal_key_param, why);
}

int imjb_seal_open(instanceConf_t *inst, const jb_resume_info *info) {
    jb_error err = {0};
    jb_seal_restore outcome = JB_SEAL_NEW_CHAIN;
    int r;
    inst->seal_phase = IMJB_SEAL_READING;
    inst->seal_caught_up = 0;
    if (inst->seal_key_param == NULL) return 0;
    r = jb_sealer_new(&inst->cfg.seal, &inst->sealer, &err);
    if (r < 0) {
        LogError(-r, RS_RET_ERR, "imjbridge: cannot seal with key file '%s': %s; input '%s' not reading",
                 inst->seal_key_param, err.msg, inst->state_path);
        return r;
    }
    /* the chains saved with the cursor the reader was just positioned from ("": none) */
    r = jb_sealer_restore(inst->sealer, info->seal[JB_STREAM_APP][0] ? info->seal[JB_STREAM_APP] : NULL,
                          info->seal[JB_STREAM_AUDIT][0] ? info->seal[JB_STREAM_AUDIT] : NULL, &outcome, &err);
    if (r == -EBADMSG) {
        LogError(0, RS_RET_ERR, "imjbridge: the seal lines of state file '%s' are damaged (%s); new chains start",
                 inst->state_path, err.msg);
        r = jb_sealer_restore(inst->sealer, NULL, NULL, &outcome, &err);
    }
    if (r < 0) {
        LogError(-r, RS_RET_ERR, "imjbridge: cannot restore the sealed chains of '%s': %s; input not reading",
                 inst->state_path, err.msg);
        inst->sealer = jb_sealer_free(inst->sealer);
        return r;
    }
    logRestore(inst, outcome);
    /* a stream sealed now and not before (seal.streams changed) starts its chain beside the
     * other's that goes on */
    for (int st = 0; st < 2 && outcome == JB_SEAL_CONTINUED; st++)
        if (inst->cfg.seal.streams[st] && info->seal[st][0] == '\0')
            LogMsg(0, NO_ERRCODE, LOG_NOTICE,
                   "imjbridge: sealing the %s stream of '%s': a new chain starts, the state file holds none for it",
                   jb_stream_name((jb_stream)st), inst->state_path);
    return 0;
}

void imjb_seal_close(instanceConf_t *inst) {
    inst->sealer = jb_sealer_free(inst->sealer);
}

rsRetVal imjb_seal_record(instanceConf_t *inst, const jb_record *rec, smsg_t *pMsg, int pri) {
    DEFiRet;
    jb_seal_line l = {0};
    const char *app, *procid;
    int r;
    if (inst->sealer == NULL) FINALIZE;
    /* the values rsyslog's template writes (%HOSTNAME%, %APP-NAME%, %PROCID%, %MSGID%,
     * %STRUCTURED-DATA%, %msg%): those set on pMsg, read back */
    l.pri = (unsigned)pri;
    l.time_usec = rec->time_usec;
    l.host = getHOSTNAME(pMsg);
    l.host_len = strlen(l.host);
    app = getAPPNAME(pMsg, LOCK_MUTEX);
    l.app = app[0] != '\0' ? app : "-";
    l.app_len = strlen(l.app);
    procid = getPROCID(pMsg, LOCK_MUTEX);
    l.procid = procid;
    l.procid_len = strlen(procid);
    l.msgid = jb_stream_name(rec->stream);
    l.msgid_len = strlen(l.msgid);
    l.sd = inst->sdbuf.len > 0 ? inst->sdbuf.data : "-";
    l.sd_len = inst->sdbuf.len > 0 ? inst->sdbuf.len : 1;
    l.msg = inst->msgbuf.len > 0 ? inst->msgbuf.data : "";
    l.msg_len = inst->msgbuf.len;
    r = jb_sealer_seal(inst->sealer, rec, &l, &inst->sdbuf);
    if (r == 0) {
        STATSCOUNTER_INC(inst->ctrSealed, inst->mutCtrSealed);
        if (l.host_len < sizeof inst->seal_host[0] &&
            strncmp(inst->seal_host[rec->stream], l.host, l.host_len + 1) != 0)
            memcpy(inst->seal_host[rec->stream], l.host, l.host_len + 1);
    }
    if (r == -ENOMEM) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    if (r < 0) {
        LogError(-r, RS_RET_ERR, "imjbridge: cannot seal record %s: structured data the scheme refuses",
                 rec->record_id);
        ABORT_FINALIZE(RS_RET_ERR);
    }
finalize_it:
    RETiRet;
}

void imjb_seal_snapshot(instanceConf_t *inst, jb_state *cp) {
    char *lines[2] = {NULL, NULL};
    if (inst->sealer == NULL) return;
    if (jb_sealer_snapshot(inst->sealer, cp->seq_app, cp->seq_audit, lines) < 0) {
        /* no memory: this checkpoint cannot carry its chains, so acknowledging it moves nothing
         * (the next group's checkpoint covers its entries) */
        free(cp->cursor);
        cp->cursor = NULL;
        return;
    }
    for (int i = 0; i < 2; i++) {
        free(cp->seal[i]);
        cp->seal[i] = lines[i];
    }
}

void imjb_seal_saved(instanceConf_t *inst, sbool durable) {
    if (inst->sealer == NULL) return;
    jb_sealer_release(inst->sealer, inst->acked.seq_app, inst->acked.seq_audit, durable != 0);
}

/* A heartbeat or stop line on stream st (nothing when its chain has no record yet): HOSTNAME that
 * of the chain's last record, APP-NAME jbridge, MSGID the stream, the seal in jbridge@PEN with stream="..." (so that a
 * central server's mmjbridge resplit files it with its stream), on the stream's ruleset, in the current group like a
 * record. */
static rsRetVal sendBeat(instanceConf_t *inst, jb_stream st, const char *beat) {
    DEFiRet;
    smsg_t *pMsg = NULL;
    prop_t *input_name;
    struct timeval tv;
    struct syslogTime stime;
    ruleset_t *rs;
    char text[32];
    int r;

    gettimeofday(&tv, NULL);
    jb_buf_reset(&inst->sealbuf);
    if (jb_buf_printf(&inst->sealbuf, "[jbridge@%u stream=\"%s\"", inst->pen, jb_stream_name(st)) < 0)
        ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    r = jb_sealer_beat(inst->sealer, st, beat, (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec,
                       jb_now_usec(CLOCK_MONOTONIC), &inst->sealbuf);
    if (r < 0) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    if (r == 1) FINALIZE; /* no chain with records on this stream */
    if (jb_buf_append(&inst->sealbuf, "]", 1) < 0) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);

    CHKiRet(imjb_group_prop(inst, &input_name));
    datetime.timeval2syslogTime(&tv, &stime, TIME_IN_UTC);
    CHKiRet(msgConstructWithTime(&pMsg, &stime, tv.tv_sec));
    MsgSetFlowControlType(pMsg, eFLOWCTL_FULL_DELAY);
    MsgSetInputName(pMsg, input_name);
    snprintf(text, sizeof(text), "seal %s", beat);
    MsgSetRawMsg(pMsg, text, strlen(text));
    MsgSetMSGoffs(pMsg, 0);
    /* the host of the chain's records (a journal-remote directory holds other hosts' entries),
     * so that a central server files the heartbeat beside them */
    jb_buf_reset(&inst->hdrbuf);
    if (jb_rfc5424_header(&inst->hdrbuf,
                          inst->seal_host[st][0] ? inst->seal_host[st] : (const char *)glbl.GetLocalHostName(),
                          JB_HEADER_HOSTNAME) < 0)
        ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    MsgSetHOSTNAME(pMsg, (const uchar *)inst->hdrbuf.data, (int)inst->hdrbuf.len);
    MsgSetRcvFrom(pMsg, glbl.GetLocalHostNameProp());
    MsgSetTAG(pMsg, (const uchar *)"jbridge", sizeof("jbridge") - 1);
    MsgSetAPPNAME(pMsg, "jbridge");
    MsgSetMSGID(pMsg, jb_stream_name(st));
    const jb_record as_record = {.stream = st, .severity = 6, .facility = -1}; /* info, the stream's facility */
    msgSetPRI(pMsg, (syslog_pri_t)jb_record_pri(&as_record, inst->facility_app, inst->facility_audit));
    CHKiRet(MsgSetStructuredData(pMsg, inst->sealbuf.data));
    rs = st == JB_STREAM_AUDIT ? inst->audit_ruleset : inst->ruleset;
    if (rs != NULL) MsgSetRuleset(pMsg, rs);
    STATSCOUNTER_INC(inst->ctrSealBeats, inst->mutCtrSealBeats);
    {
        smsg_t *m = pMsg;
        pMsg = NULL; /* the batch owns it */
        CHKiRet(imjb_enqueue(inst, st, m));
    }
finalize_it:
    if (pMsg != NULL) msgDestruct(&pMsg);
    RETiRet;
}

static void sendBeats(instanceConf_t *inst, const char *beat, sbool due_only) {
    uint64_t now = jb_now_usec(CLOCK_MONOTONIC);
    for (int st = 0; st < 2; st++) {
        if (!inst->cfg.seal.streams[st]) continue;
        if (due_only && !jb_sealer_beat_due(inst->sealer, (jb_stream)st, now)) continue;
        rsRetVal r = sendBeat(inst, (jb_stream)st, beat);
        if (r != RS_RET_OK && glbl.GetGlobalInputTermState() == 0)
            LogError(0, r, "imjbridge: cannot send a seal %s on the %s stream", beat, jb_stream_name((jb_stream)st));
    }
}

/* Every sealed record is acknowledged (no group out): the acknowledged position covers them. It
 * is released as durable although it may not be saved durably yet, because the save that
 * follows jb_sealer_evolve_begin() (with the chains' transition proofs) is durable and comes
 * before the key file moves (epochStep): a crash before it finds the key file still at this
 * epoch. One fsync of the state per epoch move instead of two. */
static int sealCovered(instanceConf_t *inst) {
    if (inst->head != NULL || inst->cur != NULL) return 0; /* readBatch reaps while paused */
    if (!jb_sealer_covered(inst->sealer) && inst->acked.cursor != NULL)
        jb_sealer_release(inst->sealer, inst->acked.seq_app, inst->acked.seq_audit, true);
    return jb_sealer_covered(inst->sealer);
}

/* The acknowledged position's seal lines again, after the epoch began: the chains' transition
 * proofs go into the state before the key file moves. */
static int resnapshot(instanceConf_t *inst) {
    char *lines[2] = {NULL, NULL};
    if (inst->acked.cursor == NULL) return 0; /* nothing saved yet: no chain either */
    if (jb_sealer_snapshot(inst->sealer, inst->acked.seq_app, inst->acked.seq_audit, lines) < 0) return -ENOMEM;
    for (int i = 0; i < 2; i++) {
        free(inst->acked.seal[i]);
        inst->acked.seal[i] = lines[i];
    }
    return 0;
}

/* Records read again after a crash or a stop (not acknowledged, or acknowledged after the last
 * durable save) were sealed before it, all under the epoch the state holds (a move needs them
 * covered), and are sealed again: the epoch must not move in their middle, or those after the
 * move would get a second valid seal under the next key (a fork) instead of the same one. The
 * epoch is due after a count of records looked at between batches, whose bounds differ between a
 * backlog and a live journal, so after a start it moves only once that many records were read:
 * the in-flight window, a persistStateInterval and two batches (with their pending split lines);
 * or once the reader caught up (every one of them was in the journal at the start), the only
 * bound when maxInFlight or persistStateInterval is 0. */
static int pastReplay(instanceConf_t *inst, jb_bridge *b) {
    const jb_stats *st;
    uint64_t bound;
    if (inst->seal_caught_up) return 1;
    if (b == NULL || inst->max_inflight <= 0 || inst->persist_interval <= 0) return 0;
    bound = (uint64_t)inst->max_inflight + (uint64_t)inst->persist_interval +
            2 * ((uint64_t)JB_BATCH_ENTRIES + inst->cfg.max_pending);
    st = jb_bridge_stats(b);
    return st->records_app + st->records_audit >= bound;
}

/* The epoch move (doc/sealing.md, "Restarts"): paused reading until every sealed record is
 * acknowledged, then begin, a durable save of the position with the transition proofs (it covers
 * every record of the epoch left), commit (the key file). Returns 1 while reading stays paused. */
static int epochStep(instanceConf_t *inst, jb_bridge *b) {
    jb_error err = {0};
    int r;
    switch (inst->seal_phase) {
    case IMJB_SEAL_READING:
        if (!pastReplay(inst, b)) return 0;
        if (!jb_sealer_epoch_due(inst->sealer, jb_now_usec(CLOCK_MONOTONIC))) return 0;
        inst->seal_phase = IMJB_SEAL_PAUSED;
        inst->seal_pause_usec = jb_now_usec(CLOCK_MONOTONIC);
        /* fall through */
    case IMJB_SEAL_PAUSED:
        if (!sealCovered(inst)) return 1;
        r = jb_sealer_evolve_begin(inst->sealer);
        if (r == -EBUSY) return 1;
        if (r < 0 || resnapshot(inst) < 0) return 1; /* out of memory: tried again at the next batch */
        inst->seal_phase = IMJB_SEAL_SAVING;
        /* fall through */
    case IMJB_SEAL_SAVING:
        if (inst->acked.cursor != NULL) {
            imjb_save_state(inst, 1);
            if (inst->state_failing) return 1; /* said by imjb_save_state; retried while paused */
        }
        inst->seal_phase = IMJB_SEAL_COMMIT;
        /* fall through */
    default:
        r = jb_sealer_evolve_commit(inst->sealer, &err);
        if (r < 0)
            LogError(-r, RS_RET_IO_ERROR,
                     "imjbridge: cannot move key file '%s' to its next epoch: %s; the next start evolves it from the "
                     "state file",
                     inst->seal_key_param, err.msg);
        inst->seal_phase = IMJB_SEAL_READING;
        STATSCOUNTER_INC(inst->ctrSealEpochs, inst->mutCtrSealEpochs);
        STATSCOUNTER_ADD(inst->ctrSealPauseMs, inst->mutCtrSealPauseMs,
                         (intctr_t)((jb_now_usec(CLOCK_MONOTONIC) - inst->seal_pause_usec) / 1000));
        return 0;
    }
}

int imjb_seal_tick(instanceConf_t *inst, jb_bridge *b) {
    int paused;
    if (inst->sealer == NULL) return 0;
    paused = epochStep(inst, b);
    /* between evolve_begin and the key file's move nothing of the new epoch may leave */
    if (inst->seal_phase <= IMJB_SEAL_PAUSED) sendBeats(inst, "heartbeat", 1);
    return paused;
}

void imjb_seal_stop(instanceConf_t *inst) {
    if (inst->sealer == NULL) return;
    /* an epoch move half done (the new key computed, the key file not moved yet) is finished
     * first if it can be: no item of the new epoch leaves before the key file moved */
    if (inst->seal_phase >= IMJB_SEAL_SAVING) epochStep(inst, NULL);
    if (inst->seal_phase >= IMJB_SEAL_SAVING) return;
    /* rsyslog still takes messages while its inputs stop (the queues drain after them); a full
     * queue while stopping refuses them, and the chain then ends without its stop line */
    sendBeats(inst, "stop", 0);
}
