/* SPDX-License-Identifier: Apache-2.0 */
/* imjbridge: the worker of one input. It positions the core's reader (resume.h), turns every
 * record into an rsyslog message bound to its stream's ruleset, submits the messages in one batch
 * per stream, and hands each batch's group to the acknowledgement (imjbridge-ack.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "rsyslog.h"
#include "dirty.h"
#include "errmsg.h"
#include "srUtils.h"

#include "resume.h"
#include "rfc5424.h"
#include "timestamp.h"

#include "imjbridge.h"

#define JB_WAIT_USEC 200000ULL               /* how often a worker looks at rsyslog's termination flag */
#define JB_EXPIRE_USEC JB_SPLIT_MAX_AGE_USEC /* a split line with no new piece for 5 s is delivered incomplete */

/* Hand the gathered batches to rsyslog. A batch rsyslog refuses (RS_RET_FORCE_TERM when it
 * stops while the queue is full) may be partly enqueued: its group is never acknowledged, so the
 * next start reads those entries again (duplicates, never a loss). */
rsRetVal imjb_flush_submits(instanceConf_t *inst) {
    rsRetVal r, ret = RS_RET_OK;
    for (int i = 0; i < 2; i++) {
        if (inst->multiSub[i].nElem == 0) continue;
        r = multiSubmitMsg2(&inst->multiSub[i]);
        inst->multiSub[i].nElem = 0;
        if (r != RS_RET_OK) {
            imjb_group_broken(inst, r);
            ret = r;
        }
    }
    return ret;
}

/* Add a message (of the current group) to its stream's batch; a full batch is submitted. */
rsRetVal imjb_enqueue(instanceConf_t *inst, jb_stream stream, smsg_t *pMsg) {
    multi_submit_t *ms = &inst->multiSub[stream == JB_STREAM_AUDIT ? 1 : 0];
    imjb_hold_msg(inst, pMsg);
    ms->ppMsgs[ms->nElem++] = pMsg;
    inst->cur->n_msgs++;
    inst->inflight++;
    if (ms->nElem < ms->maxElem) return RS_RET_OK;
    rsRetVal r = multiSubmitMsg2(ms);
    ms->nElem = 0;
    if (r != RS_RET_OK) imjb_group_broken(inst, r);
    return r;
}

static void syncStats(instanceConf_t *inst, const jb_stats *s) {
    inst->ctrRead = s->entries_read;
    inst->ctrMalformed = s->audit_malformed;
    inst->ctrRejected = s->audit_rejected;
    inst->ctrFilteredComponent = s->records_filtered;
    inst->ctrReassembled = s->lines_reassembled;
    inst->ctrOverflow = s->lines_overflow;
    inst->ctrInvalidations = s->invalidations;
    inst->ctrGaps = s->gaps;
    inst->ctrGapEntries = s->gap_entries;
    inst->ctrUntrusted = s->entries_untrusted;
}

static rsRetVal headerField(instanceConf_t *inst, const char *s, jb_header_field f) {
    jb_buf_reset(&inst->hdrbuf);
    return jb_rfc5424_header(&inst->hdrbuf, s, f) < 0 ? RS_RET_OUT_OF_MEMORY : RS_RET_OK;
}

/* A message stamped usec (jb_time_usable), converting the time once per second of log time. */
static rsRetVal newMsgAt(instanceConf_t *inst, uint64_t usec, smsg_t **ret) {
    struct timeval tv;
    struct syslogTime st;
    tv.tv_sec = (time_t)(usec / 1000000);
    tv.tv_usec = (suseconds_t)(usec % 1000000);
    /* timeval2syslogTime() fills every field from tv_sec but secfrac: once per second of log time
     * (it calls gmtime_r, which takes the time zone lock; figures in tests/bench/RESULTS.md) */
    if (!inst->last_st_valid || inst->last_sec != tv.tv_sec) {
        datetime.timeval2syslogTime(&tv, &inst->last_st, TIME_IN_UTC);
        inst->last_sec = tv.tv_sec;
        inst->last_st_valid = 1;
    }
    st = inst->last_st;
    st.secfrac = tv.tv_usec;
    return msgConstructWithTime(ret, &st, tv.tv_sec);
}

/* A new message with the record's time, its text (control characters escaped if so configured)
 * and the group's input name. */
static rsRetVal newMsg(instanceConf_t *inst, const jb_record *rec, smsg_t **ret) {
    DEFiRet;
    smsg_t *pMsg = NULL;
    prop_t *input_name;

    CHKiRet(imjb_group_prop(inst, &input_name));
    if (jb_time_usable(rec->time_usec)) {
        CHKiRet(newMsgAt(inst, rec->time_usec, &pMsg));
    } else {
        /* even the receive time is past 9999 (a forged store): the time it is read, never a
         * wrapped year (timestamp.h) */
        CHKiRet(msgConstruct(&pMsg));
    }
    /* the journal keeps what is not read yet: when the ruleset's queue is full the input waits
     * (rsyslog wakes it every second to check for shutdown), as imfile does; light delay would
     * go on enqueuing after a second and have rsyslog drop messages once the queue is full */
    MsgSetFlowControlType(pMsg, eFLOWCTL_FULL_DELAY);
    MsgSetInputName(pMsg, input_name); /* the message holds a reference to its group */

    jb_buf_reset(&inst->msgbuf);
    if (inst->escape_cc) {
        if (jb_escape_control(&inst->msgbuf, rec->message, rec->message_len) < 0) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    } else if (jb_buf_append(&inst->msgbuf, rec->message, rec->message_len) < 0) {
        ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    }
    MsgSetRawMsg(pMsg, inst->msgbuf.len ? inst->msgbuf.data : "", inst->msgbuf.len);
    MsgSetMSGoffs(pMsg, 0);
    *ret = pMsg;
    pMsg = NULL;
finalize_it:
    if (pMsg != NULL) msgDestruct(&pMsg);
    RETiRet;
}

/* The header fields as the core cuts and cleans them (a container cannot put a space, a control
 * character or an over-long name into a header that rsyslog writes as is), the PRI, the
 * structured data and the JSON properties. */
static rsRetVal setHeader(instanceConf_t *inst, const jb_record *rec, smsg_t *pMsg) {
    DEFiRet;
    const char *app, *host;
    int pri = jb_record_pri(rec, inst->facility_app, inst->facility_audit);

    host = rec->hostname[0] != '\0' ? rec->hostname : (const char *)glbl.GetLocalHostName();
    CHKiRet(headerField(inst, host, JB_HEADER_HOSTNAME));
    MsgSetHOSTNAME(pMsg, (const uchar *)inst->hdrbuf.data, (int)inst->hdrbuf.len);
    MsgSetRcvFrom(pMsg, glbl.GetLocalHostNameProp());
    app = jb_record_app_name(rec);
    if (app[0] != '\0') {
        CHKiRet(headerField(inst, app, JB_HEADER_APP_NAME));
        MsgSetTAG(pMsg, (const uchar *)inst->hdrbuf.data, inst->hdrbuf.len);
        MsgSetAPPNAME(pMsg, inst->hdrbuf.data);
    }
    if (rec->container_id[0] != '\0') {
        CHKiRet(headerField(inst, rec->container_id, JB_HEADER_PROCID));
        MsgSetPROCID(pMsg, inst->hdrbuf.data);
    }
    MsgSetMSGID(pMsg, jb_stream_name(rec->stream));
    msgSetPRI(pMsg, (syslog_pri_t)pri);

    jb_buf_reset(&inst->sdbuf);
    if (jb_sd_build_cached(rec, inst->pen, &inst->sdcache, &inst->sdbuf) < 0) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    /* sealed streams: the seal goes into the structured data before rsyslog gets it (sealed
     * before the rate limit, so a record it drops shows as missing, the same at every start) */
    if (inst->sealer != NULL) CHKiRet(imjb_seal_record(inst, rec, pMsg, pri));
    if (inst->sdbuf.len > 0) CHKiRet(MsgSetStructuredData(pMsg, inst->sdbuf.data));
    if (inst->json_props == JSON_ALL || (inst->json_props == JSON_AUDIT && rec->stream == JB_STREAM_AUDIT))
        CHKiRet(jbglue_add_json(pMsg, rec, inst->jstrings));
finalize_it:
    RETiRet;
}

static rsRetVal submitRecord(instanceConf_t *inst, const jb_record *rec) {
    DEFiRet;
    smsg_t *pMsg = NULL;
    ruleset_t *rs;
    char rlname[512];

    CHKiRet(newMsg(inst, rec, &pMsg));
    CHKiRet(setHeader(inst, rec, pMsg));
    rs = rec->stream == JB_STREAM_AUDIT ? inst->audit_ruleset : inst->ruleset;
    if (rs != NULL) MsgSetRuleset(pMsg, rs);

    if (rec->stream == JB_STREAM_APP) {
        /* the count only, not ratelimitMsg(): its repeated-message reduction (a global setting)
         * would fold identical lines into one, losing their record ids, and hold a reference to
         * the last message, so its group would never be acknowledged */
        if (inst->rl_interval > 0) {
            snprintf(rlname, sizeof(rlname), "%s:%s", getHOSTNAME(pMsg), getAPPNAME(pMsg, LOCK_MUTEX));
            if (ratelimitMsgCount(inst->ratelimiter, (time_t)(rec->time_usec / 1000000), rlname) == RS_RET_DISCARDMSG) {
                STATSCOUNTER_INC(inst->ctrRatelimited, inst->mutCtrRatelimited);
                FINALIZE; /* destroyed below */
            }
        }
        STATSCOUNTER_INC(inst->ctrApp, inst->mutCtrApp);
    } else {
        STATSCOUNTER_INC(inst->ctrAudit, inst->mutCtrAudit);
    }
    {
        smsg_t *m = pMsg;
        pMsg = NULL; /* the batch owns it */
        CHKiRet(imjb_enqueue(inst, rec->stream, m));
    }
finalize_it:
    if (pMsg != NULL) msgDestruct(&pMsg);
    RETiRet;
}

static int onRecord(const jb_record *rec, void *userdata) {
    instanceConf_t *inst = userdata;
    rsRetVal r = submitRecord(inst, rec);
    if (r != RS_RET_OK) {
        /* the entry stays unsubmitted: stop so the checkpoint does not pass it */
        STATSCOUNTER_INC(inst->ctrSubmitFailed, inst->mutCtrSubmitFailed);
        return r == RS_RET_OUT_OF_MEMORY ? -ENOMEM : -EIO;
    }
    return 0;
}

/* Entries vacuumed before they were read: logged once per gap, with the range. */
static int onGap(const jb_gap *gap, void *userdata) {
    instanceConf_t *inst = userdata;
    char msg[512];
    jb_gap_describe(gap, msg, sizeof(msg));
    LogMsg(0, RS_RET_ERR, LOG_WARNING, "imjbridge: gap in '%s': %s", inst->state_path, msg);
    return 0;
}

/* A reader positioned as the core's resume policy says, with what it did logged here. */
static int openBridge(instanceConf_t *inst, jb_bridge **ret, jb_resume_info *ret_info, jb_error *err) {
    jb_bridge *b = NULL;
    jb_resume_info info;
    int r = jb_bridge_new(&inst->cfg, &b, err);
    if (r < 0) return r;
    jb_bridge_set_gap_cb(b, onGap, inst);
    for (size_t i = 0; i < jb_bridge_n_unreadable(b); i++)
        LogMsg(0, RS_RET_ERR, LOG_WARNING, "imjbridge: cannot open journal file %s; skipped (input of state '%s')",
               jb_bridge_unreadable(b, i), inst->state_path);
    r = jb_bridge_resume(b, inst->state_path, inst->ignore_previous, &info, err);
    if (info.outcome == JB_RESUME_SET_ASIDE) {
        /* documented fallback, as the jbridge command: keep the file for inspection and start as
         * without a state, so nothing is lost; records read again carry their record ids */
        LogError(0, RS_RET_ERR,
                 "imjbridge: state file '%s' unusable (%s); moved it to '%s" JB_STATE_BAD_SUFFIX
                 "' and reading from the %s of the journal",
                 inst->state_path, info.bad.msg, inst->state_path, inst->ignore_previous ? "end" : "beginning");
        if (info.aside.code < 0) LogError(-info.aside.code, RS_RET_ERR, "imjbridge: %s", info.aside.msg);
    }
    if (r < 0) {
        jb_bridge_free(b);
        return r;
    }
    if (info.outcome == JB_RESUMED_AFTER_GONE)
        LogMsg(0, NO_ERRCODE, LOG_WARNING,
               "imjbridge: the entry of the saved position in '%s' is gone (vacuumed?); continuing after it",
               inst->state_path);
    *ret = b;
    *ret_info = info;
    return 0;
}

/* Open the reader, retrying every 10 s until it opens or rsyslog stops (NULL then); *info: what
 * the resume found. A failure is logged when it first happens or changes (not every 10 s), and the
 * opening that ends it too. */
static jb_bridge *openRetrying(instanceConf_t *inst, jb_resume_info *info) {
    jb_bridge *b = NULL;
    jb_error err = {0};
    char last[sizeof(err.msg)] = "";
    while (glbl.GetGlobalInputTermState() == 0) {
        int r = openBridge(inst, &b, info, &err);
        if (r == 0) {
            if (last[0] != '\0')
                LogMsg(0, NO_ERRCODE, LOG_INFO, "imjbridge: opened the journal for state '%s' after retrying",
                       inst->state_path);
            return b;
        }
        if (strcmp(last, err.msg) != 0)
            LogError(-r, RS_RET_ERR,
                     "imjbridge: cannot open the journal for state '%s': %s; retrying every 10 s (said again only "
                     "when the reason changes)",
                     inst->state_path, err.msg);
        snprintf(last, sizeof(last), "%s", err.msg);
        for (int i = 0; i < 50 && glbl.GetGlobalInputTermState() == 0; i++) srSleep(0, 200000);
    }
    return NULL;
}

/* One batch: read, submit, close its group, acknowledge; wait for the journal when idle.
 * *since_mark: records delivered since the last persistStateInterval ended. paused (a sealed
 * input moving its epoch): no new entry is read, split lines still time out, groups are
 * acknowledged. */
static void readBatch(instanceConf_t *inst, jb_bridge *b, int *since_mark, sbool paused) {
    jb_error err = {0};
    int r, n, max, delivered;
    sbool ends_interval;
    uint64_t last = jb_bridge_stats(b)->records_app + jb_bridge_stats(b)->records_audit;

    /* a batch (and its group) ends where persistStateInterval records since the last interval
     * are reached, so the save that follows that group's acknowledgement leaves at most
     * persistStateInterval acknowledged records unsaved (but for split lines delivered by the
     * timeout, one record for several entries or none) */
    max = JB_BATCH_ENTRIES;
    if (inst->persist_interval > 0 && inst->persist_interval - *since_mark < max)
        max = inst->persist_interval - *since_mark > 0 ? inst->persist_interval - *since_mark : 1;
    n = paused ? 0 : jb_bridge_process(b, (size_t)max, onRecord, inst, &err);
    /* n is kept apart from r: only a batch that read nothing means the journal is idle */
    r = n < 0 ? n : jb_bridge_expire(b, JB_EXPIRE_USEC, onRecord, inst, &err);
    /* what a restart's replay expires silently must have been delivered before the group closes */
    if (r >= 0) r = jb_bridge_expire_journal(b, onRecord, inst, &err);
    imjb_flush_submits(inst);
    syncStats(inst, jb_bridge_stats(b));
    delivered = (int)(jb_bridge_stats(b)->records_app + jb_bridge_stats(b)->records_audit - last);
    *since_mark += delivered;
    ends_interval = inst->persist_interval > 0 && *since_mark >= inst->persist_interval;
    if (ends_interval) *since_mark = 0;
    if (n > 0 || delivered > 0 || inst->cur != NULL) imjb_group_close(inst, b, ends_interval);
    imjb_reap(inst);
    if (r < 0) {
        LogError(-r, RS_RET_ERR, "imjbridge: reading the journal failed: %s", err.msg);
        srSleep(1, 0);
        return;
    }
    if (paused) {
        srSleep(0, (int)imjb_idle_wait_usec(inst, JB_WAIT_USEC)); /* new entries must not wake us */
    } else if (n == 0) {
        inst->seal_caught_up = 1; /* every entry there was at the start is read (imjbridge-seal.c) */
        imjb_save_idle(inst);     /* idle: a good moment to make the position durable */
        r = jb_bridge_wait(b, imjb_idle_wait_usec(inst, JB_WAIT_USEC), &err);
        if (r < 0) {
            LogError(-r, RS_RET_ERR, "imjbridge: waiting for the journal failed: %s", err.msg);
            srSleep(1, 0);
        }
    }
}

void *imjb_worker(void *arg) {
    instanceConf_t *inst = arg;
    jb_bridge *b;
    jb_resume_info info;
    int since_mark = 0;

    dbgSetThrdName((uchar *)"imjbridge");
    for (int i = 0; i < 2; i++) {
        inst->multiSub[i].ppMsgs = inst->msgs[i];
        inst->multiSub[i].maxElem = CONF_NUM_MULTISUB;
        inst->multiSub[i].nElem = 0;
    }
    if ((b = openRetrying(inst, &info)) == NULL) return NULL;
    if (imjb_seal_open(inst, &info) < 0) {
        jb_bridge_free(b);
        return NULL;
    }
    inst->jstrings = jbglue_strings_new(); /* NULL (out of memory): every message gets its own */

    while (glbl.GetGlobalInputTermState() == 0) {
        imjb_wait_inflight(inst);
        if (glbl.GetGlobalInputTermState() != 0) break;
        readBatch(inst, b, &since_mark, (sbool)imjb_seal_tick(inst, b));
    }
    jb_bridge_stop_reading(b); /* the read-ahead thread ends while the acknowledgements are awaited */
    imjb_seal_stop(inst);
    imjb_flush_submits(inst);
    imjb_ack_finish(inst, b);
    imjb_seal_close(inst);
    jb_bridge_free(b);
    jbglue_strings_free(inst->jstrings);
    inst->jstrings = NULL;
    return NULL;
}
