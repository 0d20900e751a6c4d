/* SPDX-License-Identifier: Apache-2.0 */
/* imjbridge: rsyslog input module reading Docker's journald entries through the jbridge core.
 * Every input() instance has its own journal reader, worker thread, state file and counters; the
 * core decides what a record is and which stream it belongs to, this glue maps parameters to
 * jb_config and records to rsyslog messages bound to the stream's ruleset. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rsyslog.h"
#include "cfsysline.h"
#include "conf.h"
#include "datetime.h"
#include "dirty.h"
#include "errmsg.h"
#include "glbl.h"
#include "module-template.h"
#include "msg.h"
#include "prop.h"
#include "ratelimit.h"
#include "rsconf.h"
#include "ruleset.h"
#include "srUtils.h"
#include "statsobj.h"
#include "syslogd-types.h"
#include "unicode-helper.h"

#include "audit.h"
#include "bridge.h"
#include "partial.h"
#include "rfc5424.h"
#include "sd.h"
#include "state.h"

#include "glue.h"

MODULE_TYPE_INPUT
MODULE_TYPE_NOKEEP
MODULE_CNFNAME("imjbridge")

DEF_IMOD_STATIC_DATA
DEFobjCurrIf(datetime)
DEFobjCurrIf(glbl)
DEFobjCurrIf(prop)
DEFobjCurrIf(ruleset)
DEFobjCurrIf(statsobj)

#define JB_WAIT_USEC 200000ULL    /* how often a worker looks at rsyslog's termination flag */
#define JB_EXPIRE_USEC 5000000ULL /* a split line with no new piece for 5 s is delivered incomplete */
#define JB_BATCH_ENTRIES 1024     /* entries per jb_bridge_process() call */
#define JB_DEFAULT_STATE "imjbridge.state"
#define JB_MAX_LINE_LIMIT (1ULL << 30) /* maxLine: at most 1 GiB */
#define JB_DEFAULT_MAX_INFLIGHT 10000
#define JB_INFLIGHT_SLEEP_MAX_USEC 50000 /* longest pause while the in-flight bound is reached */
#define JB_ACK_POLL_USEC 2000            /* how often shutdown looks for acknowledgements */
#define JB_HELD_MAX 16384                /* messages the input holds a reference to, at most (see holdMsg) */
_Static_assert((JB_HELD_MAX & (JB_HELD_MAX - 1)) == 0, "JB_HELD_MAX is a power of two");

/* jsonProperties: which messages get the $!jbridge, $!container and $!audit properties. The
 * structured data carries the same values in every case; the properties cost about a tenth of
 * the module's CPU (three objects per message). */
enum { JSON_ALL, JSON_AUDIT, JSON_OFF };
static const char *const json_props_names[] = {"all", "audit", "off"};

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

struct instanceConf_s {
    char *directory;
    jbglue_strlist files;
    char *name_space;
    jbglue_strlist containers, images, matches, markers, patterns;
    char *profile;   /* recognition profile; NULL: tfe */
    size_t max_line; /* split-line limits of the core */
    size_t max_pending;
    sbool all_entries;
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
    sbool read_ahead;
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
    int inflight; /* messages of the open groups (gauge: written by the worker only) */
    /* acknowledgement (worker only) */
    ackGroup *cur;         /* the group being filled, NULL until a message needs it */
    ackGroup *head, *tail; /* closed groups, oldest first */
    jb_state acked;        /* the newest acknowledged checkpoint: what the state file gets */
    sbool acked_unsaved;   /* acked moved since the last save */
    sbool save_due;        /* an acknowledged group ended a persistStateInterval */
    /* one batch per stream: rsyslog enqueues a batch into the queue of its first message's
     * ruleset, so mixing the streams would put audit records into the application's queue */
    multi_submit_t multiSub[2];
    smsg_t *msgs[2][CONF_NUM_MULTISUB];
    sbool submit_broken; /* rsyslog refused a batch: that group and the later ones are never acknowledged */
    /* messages handed to rsyslog that the module still holds a reference to (see holdMsg): a
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
    struct instanceConf_s *next;
};
typedef struct instanceConf_s instanceConf_t;

struct modConfData_s {
    rsconf_t *pConf;
    instanceConf_t *root, *tail;
};

static modConfData_t *loadModConf = NULL;
static modConfData_t *runModConf = NULL;

static struct cnfparamdescr inppdescr[] = {
    {"directory", eCmdHdlrString, 0},
    {"files", eCmdHdlrArray, 0},
    {"namespace", eCmdHdlrString, 0},
    {"containers", eCmdHdlrArray, 0},
    {"images", eCmdHdlrArray, 0},
    {"match", eCmdHdlrArray, 0},
    {"allentries", eCmdHdlrBinary, 0},
    {"ruleset", eCmdHdlrString, 0},
    {"audit.ruleset", eCmdHdlrString, 0},
    {"statefile", eCmdHdlrString, 0},
    {"persiststateinterval", eCmdHdlrNonNegInt, 0},
    {"maxinflight", eCmdHdlrNonNegInt, 0},
    {"ignorepreviousmessages", eCmdHdlrBinary, 0},
    {"sd.pen", eCmdHdlrPositiveInt, 0},
    {"audit.markers", eCmdHdlrArray, 0},
    {"audit.patterns", eCmdHdlrArray, 0},
    {"profile", eCmdHdlrGetWord, 0},
    {"maxline", eCmdHdlrSize, 0},
    {"maxpending", eCmdHdlrPositiveInt, 0},
    {"facility.app", eCmdHdlrGetWord, 0},
    {"facility.audit", eCmdHdlrGetWord, 0},
    {"ratelimit.interval", eCmdHdlrNonNegInt, 0},
    {"ratelimit.burst", eCmdHdlrPositiveInt, 0},
    {"escapecontrolcharacters", eCmdHdlrBinary, 0},
    {"readahead", eCmdHdlrBinary, 0},
    {"jsonproperties", eCmdHdlrGetWord, 0},
};
static struct cnfparamblk inppblk = {CNFPARAMBLK_VERSION, sizeof(inppdescr) / sizeof(struct cnfparamdescr), inppdescr};

static void instanceFree(instanceConf_t *inst) {
    free(inst->directory);
    jbglue_strlist_free(&inst->files);
    free(inst->name_space);
    jbglue_strlist_free(&inst->containers);
    jbglue_strlist_free(&inst->images);
    jbglue_strlist_free(&inst->matches);
    jbglue_strlist_free(&inst->markers);
    jbglue_strlist_free(&inst->patterns);
    free(inst->profile);
    free(inst->ruleset_name);
    free(inst->audit_ruleset_name);
    free(inst->state_param);
    free(inst->state_path);
    jb_buf_free(&inst->msgbuf);
    jb_buf_free(&inst->sdbuf);
    jb_buf_free(&inst->hdrbuf);
    jb_sd_cache_free(&inst->sdcache);
    free(inst);
}

static char *cstr(struct cnfparamvals *v) {
    return es_str2cstr(v->val.d.estr, NULL);
}

BEGINnewInpInst
    struct cnfparamvals *pvals;
    instanceConf_t *inst = NULL;
    int i;
    char *s = NULL;
    CODESTARTnewInpInst
    pvals = nvlstGetParams(lst, &inppblk, NULL);
    if (pvals == NULL) ABORT_FINALIZE(RS_RET_MISSING_CNFPARAMS);
    CHKmalloc(inst = calloc(1, sizeof(*inst)));
    inst->persist_interval = 1000;
    inst->max_inflight = JB_DEFAULT_MAX_INFLIGHT;
    inst->max_line = JB_PARTIAL_DEFAULT_MAX_LINE;
    inst->max_pending = JB_PARTIAL_DEFAULT_MAX_PENDING;
    inst->pen = JB_SD_DEFAULT_PEN;
    inst->facility_app = 1;
    inst->facility_audit = 13;
    inst->rl_interval = 0;
    inst->rl_burst = 10000;
    inst->escape_cc = 1;
    inst->read_ahead = 1;
    for (i = 0; i < inppblk.nParams; ++i) {
        const char *name = inppblk.descr[i].name;
        if (!pvals[i].bUsed) continue;
        if (!strcmp(name, "directory")) {
            CHKmalloc(inst->directory = cstr(&pvals[i]));
        } else if (!strcmp(name, "files")) {
            CHKiRet(jbglue_strlist_from_array(&inst->files, pvals[i].val.d.ar));
        } else if (!strcmp(name, "namespace")) {
            CHKmalloc(inst->name_space = cstr(&pvals[i]));
        } else if (!strcmp(name, "containers")) {
            CHKiRet(jbglue_strlist_from_array(&inst->containers, pvals[i].val.d.ar));
        } else if (!strcmp(name, "images")) {
            CHKiRet(jbglue_strlist_from_array(&inst->images, pvals[i].val.d.ar));
        } else if (!strcmp(name, "match")) {
            CHKiRet(jbglue_strlist_from_array(&inst->matches, pvals[i].val.d.ar));
        } else if (!strcmp(name, "allentries")) {
            inst->all_entries = (sbool)pvals[i].val.d.n;
        } else if (!strcmp(name, "ruleset")) {
            CHKmalloc(inst->ruleset_name = cstr(&pvals[i]));
        } else if (!strcmp(name, "audit.ruleset")) {
            CHKmalloc(inst->audit_ruleset_name = cstr(&pvals[i]));
        } else if (!strcmp(name, "statefile")) {
            CHKmalloc(inst->state_param = cstr(&pvals[i]));
        } else if (!strcmp(name, "persiststateinterval")) {
            inst->persist_interval = (int)pvals[i].val.d.n;
        } else if (!strcmp(name, "maxinflight")) {
            inst->max_inflight = (int)pvals[i].val.d.n;
        } else if (!strcmp(name, "ignorepreviousmessages")) {
            inst->ignore_previous = (sbool)pvals[i].val.d.n;
        } else if (!strcmp(name, "sd.pen")) {
            inst->pen = (unsigned)pvals[i].val.d.n;
        } else if (!strcmp(name, "audit.patterns")) {
            CHKiRet(jbglue_strlist_from_array(&inst->patterns, pvals[i].val.d.ar));
        } else if (!strcmp(name, "profile")) {
            CHKmalloc(inst->profile = cstr(&pvals[i]));
        } else if (!strcmp(name, "maxline")) {
            if (pvals[i].val.d.n < 1 || (unsigned long long)pvals[i].val.d.n > JB_MAX_LINE_LIMIT) {
                LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'maxLine': %lld is not from 1 to %llu bytes",
                         (long long)pvals[i].val.d.n, (unsigned long long)JB_MAX_LINE_LIMIT);
                ABORT_FINALIZE(RS_RET_PARAM_ERROR);
            }
            inst->max_line = (size_t)pvals[i].val.d.n;
        } else if (!strcmp(name, "maxpending")) {
            if (pvals[i].val.d.n > JB_PARTIAL_MAX_PENDING_LIMIT) {
                LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'maxPending': %lld is not from 1 to %d",
                         (long long)pvals[i].val.d.n, JB_PARTIAL_MAX_PENDING_LIMIT);
                ABORT_FINALIZE(RS_RET_PARAM_ERROR);
            }
            inst->max_pending = (size_t)pvals[i].val.d.n;
        } else if (!strcmp(name, "audit.markers")) {
            CHKiRet(jbglue_strlist_from_array(&inst->markers, pvals[i].val.d.ar));
        } else if (!strcmp(name, "facility.app") || !strcmp(name, "facility.audit")) {
            int f;
            CHKmalloc(s = cstr(&pvals[i]));
            f = jbglue_facility(s);
            if (f < 0) {
                LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter '%s': invalid facility '%s' (0-23 or a name)",
                         name, s);
                ABORT_FINALIZE(RS_RET_PARAM_ERROR);
            }
            if (!strcmp(name, "facility.app"))
                inst->facility_app = f;
            else
                inst->facility_audit = f;
            free(s);
            s = NULL;
        } else if (!strcmp(name, "ratelimit.interval")) {
            inst->rl_interval = (unsigned int)pvals[i].val.d.n;
        } else if (!strcmp(name, "ratelimit.burst")) {
            inst->rl_burst = (unsigned int)pvals[i].val.d.n;
        } else if (!strcmp(name, "escapecontrolcharacters")) {
            inst->escape_cc = (sbool)pvals[i].val.d.n;
        } else if (!strcmp(name, "readahead")) {
            inst->read_ahead = (sbool)pvals[i].val.d.n;
        } else if (!strcmp(name, "jsonproperties")) {
            size_t k, n = JB_ELEMENTSOF(json_props_names);
            CHKmalloc(s = cstr(&pvals[i]));
            for (k = 0; k < n && strcmp(s, json_props_names[k]) != 0; k++) continue;
            if (k == n) {
                LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'jsonProperties': '%s' is not all, audit or off",
                         s);
                ABORT_FINALIZE(RS_RET_PARAM_ERROR);
            }
            inst->json_props = (int)k;
            free(s);
            s = NULL;
        }
    }
    if ((inst->directory != NULL) + (inst->files.n > 0) + (inst->name_space != NULL) > 1) {
        LogError(0, RS_RET_PARAM_ERROR,
                 "imjbridge: parameters 'directory', 'files' and 'namespace' exclude each other");
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
    for (size_t j = 0; j < inst->matches.n; j++) {
        if (!jb_match_valid(inst->matches.v[j])) {
            LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'match': '%s' is not FIELD=VALUE",
                     inst->matches.v[j]);
            ABORT_FINALIZE(RS_RET_PARAM_ERROR);
        }
    }
    for (size_t j = 0; j < inst->markers.n; j++) {
        if (inst->markers.v[j][0] == '\0') {
            LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'audit.markers': empty marker");
            ABORT_FINALIZE(RS_RET_PARAM_ERROR);
        }
    }
    {
        /* the recognition settings are checked here, so that rsyslogd -N1 names a bad one */
        jb_audit_matcher *m = NULL;
        jb_error err = {0};
        jb_audit_opts ao = {inst->profile, (const char *const *)inst->markers.v, inst->markers.n,
                            (const char *const *)inst->patterns.v, inst->patterns.n};
        if (jb_audit_matcher_new_opts(&ao, &m, &err) < 0) {
            LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameters 'profile', 'audit.markers', 'audit.patterns': %s",
                     err.msg);
            ABORT_FINALIZE(RS_RET_PARAM_ERROR);
        }
        jb_audit_matcher_free(m);
    }
    if (inst->state_param == NULL) CHKmalloc(inst->state_param = strdup(JB_DEFAULT_STATE));
    if (loadModConf->tail == NULL)
        loadModConf->root = inst;
    else
        loadModConf->tail->next = inst;
    loadModConf->tail = inst;
    inst = NULL;
finalize_it:
    free(s);
    if (inst != NULL) instanceFree(inst);
    CODE_STD_FINALIZERnewInpInst if (pvals != NULL) cnfparamvalsDestruct(pvals, &inppblk);
ENDnewInpInst

BEGINbeginCnfLoad
    CODESTARTbeginCnfLoad
    loadModConf = pModConf;
    pModConf->pConf = pConf;
    pModConf->root = pModConf->tail = NULL;
ENDbeginCnfLoad

BEGINendCnfLoad
    CODESTARTendCnfLoad
    loadModConf = NULL;
ENDendCnfLoad

static rsRetVal findRuleset(rsconf_t *conf, const char *param, const char *name, ruleset_t **ret) {
    DEFiRet;
    *ret = NULL;
    if (name == NULL) FINALIZE;
    if (ruleset.GetRuleset(conf, ret, (uchar *)name) != RS_RET_OK) {
        LogError(0, RS_RET_RULESET_NOT_FOUND, "imjbridge: parameter '%s': ruleset '%s' not found", param, name);
        ABORT_FINALIZE(RS_RET_RULESET_NOT_FOUND);
    }
finalize_it:
    RETiRet;
}

/* The state file against workDirectory, and its directory must be writable. */
static rsRetVal resolveState(rsconf_t *conf, instanceConf_t *inst) {
    DEFiRet;
    const char *wd;
    char *dir = NULL, *slash;
    free(inst->state_path);
    inst->state_path = NULL;
    if (inst->state_param[0] == '/') {
        CHKmalloc(inst->state_path = strdup(inst->state_param));
    } else {
        wd = (const char *)glbl.GetWorkDir(conf);
        if (wd == NULL || *wd == '\0') wd = "/var/spool/rsyslog"; /* rsyslog's own fallback is the cwd */
        if (asprintf(&inst->state_path, "%s/%s", wd, inst->state_param) < 0) {
            inst->state_path = NULL;
            ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
        }
    }
    CHKmalloc(dir = strdup(inst->state_path));
    slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    if (access(dir, W_OK | X_OK) != 0) {
        LogError(errno, RS_RET_PARAM_ERROR, "imjbridge: parameter 'stateFile': directory '%s' of '%s' is not writable",
                 dir, inst->state_path);
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
finalize_it:
    free(dir);
    RETiRet;
}

BEGINcheckCnf
    instanceConf_t *inst, *other;
    rsRetVal localRet;
    CODESTARTcheckCnf
    if (pModConf->root == NULL) {
        LogError(0, RS_RET_NO_LISTNERS, "imjbridge: module loaded, but no input() configured");
        ABORT_FINALIZE(RS_RET_NO_LISTNERS);
    }
    for (inst = pModConf->root; inst != NULL; inst = inst->next) {
        inst->ok = 0;
        if (findRuleset(pModConf->pConf, "ruleset", inst->ruleset_name, &inst->ruleset) != RS_RET_OK) continue;
        if (findRuleset(pModConf->pConf, "audit.ruleset", inst->audit_ruleset_name, &inst->audit_ruleset) != RS_RET_OK)
            continue;
        if (inst->audit_ruleset_name == NULL) inst->audit_ruleset = inst->ruleset;
        if (resolveState(pModConf->pConf, inst) != RS_RET_OK) continue;
        inst->ok = 1;
    }
    /* two inputs sharing a state file would overwrite each other's position */
    for (inst = pModConf->root; inst != NULL; inst = inst->next) {
        for (other = inst->next; other != NULL; other = other->next) {
            if (inst->ok && other->ok && !strcmp(inst->state_path, other->state_path)) {
                LogError(0, RS_RET_PARAM_ERROR,
                         "imjbridge: parameter 'stateFile': two inputs use '%s'; give each input its own",
                         inst->state_path);
                other->ok = 0;
            }
        }
    }
    localRet = RS_RET_OK;
    for (inst = pModConf->root; inst != NULL; inst = inst->next)
        if (!inst->ok) localRet = RS_RET_PARAM_ERROR;
    iRet = localRet;
finalize_it:
ENDcheckCnf

static rsRetVal setupStats(instanceConf_t *inst) {
    DEFiRet;
    char name[PATH_MAX + 16];
    snprintf(name, sizeof(name), "imjbridge(%s)", inst->state_path);
    CHKiRet(statsobj.Construct(&inst->stats));
    CHKiRet(statsobj.SetName(inst->stats, (uchar *)name));
    CHKiRet(statsobj.SetOrigin(inst->stats, (uchar *)"imjbridge"));
#define JB_CTR(field, mut, label)              \
    STATSCOUNTER_INIT(inst->field, inst->mut); \
    CHKiRet(statsobj.AddCounter(inst->stats, UCHAR_CONSTANT(label), ctrType_IntCtr, CTR_FLAG_NONE, &inst->field))
    JB_CTR(ctrRead, mutCtrRead, "read");
    JB_CTR(ctrApp, mutCtrApp, "submitted.app");
    JB_CTR(ctrAudit, mutCtrAudit, "submitted.audit");
    JB_CTR(ctrMalformed, mutCtrMalformed, "audit.malformed");
    JB_CTR(ctrReassembled, mutCtrReassembled, "lines.reassembled");
    JB_CTR(ctrOverflow, mutCtrOverflow, "lines.overflow");
    JB_CTR(ctrRatelimited, mutCtrRatelimited, "ratelimited.app");
    JB_CTR(ctrSaves, mutCtrSaves, "state.saves");
    JB_CTR(ctrInvalidations, mutCtrInvalidations, "journal.invalidations");
    JB_CTR(ctrGaps, mutCtrGaps, "gaps");
    JB_CTR(ctrGapEntries, mutCtrGapEntries, "gaps.entries");
    JB_CTR(ctrSubmitFailed, mutCtrSubmitFailed, "submit.failed");
    JB_CTR(ctrAcked, mutCtrAcked, "acked");
    JB_CTR(ctrInflightWaits, mutCtrInflightWaits, "inflight.waits");
#undef JB_CTR
    CHKiRet(statsobj.AddCounter(inst->stats, UCHAR_CONSTANT("inflight"), ctrType_Int, CTR_FLAG_NONE, &inst->inflight));
    CHKiRet(statsobj.ConstructFinalize(inst->stats));
finalize_it:
    RETiRet;
}

BEGINactivateCnf
    instanceConf_t *inst;
    CODESTARTactivateCnf
    runModConf = pModConf;
    for (inst = pModConf->root; inst != NULL; inst = inst->next) {
        if (!inst->ok) continue;
        CHKiRet(setupStats(inst));
        CHKiRet(ratelimitNew(&inst->ratelimiter, "imjbridge", inst->state_path));
        ratelimitSetLinuxLike(inst->ratelimiter, inst->rl_interval, inst->rl_burst);
        ratelimitSetNoTimeCache(inst->ratelimiter);
    }
finalize_it:
ENDactivateCnf

BEGINfreeCnf
    instanceConf_t *inst, *del;
    CODESTARTfreeCnf
    for (inst = pModConf->root; inst != NULL;) {
        if (inst->stats != NULL) statsobj.Destruct(&inst->stats);
        if (inst->ratelimiter != NULL) ratelimitDestruct(inst->ratelimiter);
        del = inst;
        inst = inst->next;
        instanceFree(del);
    }
ENDfreeCnf

/* ---- acknowledgement (see ackGroup); the worker's own ---- */

static ackGroup *groupFree(ackGroup *g) {
    if (g == NULL) return NULL;
    if (g->prop != NULL) prop.Destruct(&g->prop); /* messages still out keep it alive */
    jb_state_done(&g->checkpoint);
    free(g);
    return NULL;
}

/* The input name of the group that new messages join, opened on first use. */
static rsRetVal groupProp(instanceConf_t *inst, prop_t **ret) {
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
static void groupBroken(instanceConf_t *inst, rsRetVal r) {
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
static void groupClose(instanceConf_t *inst, jb_bridge *b, sbool ends_interval) {
    ackGroup *g = inst->cur;
    const char *cp = jb_bridge_checkpoint(b);
    inst->cur = NULL;
    if (g == NULL && (g = calloc(1, sizeof(*g))) == NULL) return; /* the next group's checkpoint covers it */
    if (cp != NULL) g->checkpoint.cursor = strdup(cp);            /* NULL (no memory): acknowledging it moves nothing */
    jb_bridge_checkpoint_sequence(b, &g->checkpoint.seq_app, &g->checkpoint.seq_audit);
    g->ends_interval = ends_interval;
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

/* Save the newest acknowledged position. */
static void saveState(instanceConf_t *inst) {
    jb_error err = {0};
    if (inst->acked.cursor == NULL) return;
    inst->acked_unsaved = 0; /* a failure is retried at the next interval, idle moment or shutdown */
    if (jb_state_write(inst->state_path, &inst->acked, &err) < 0) {
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
    STATSCOUNTER_INC(inst->ctrSaves, inst->mutCtrSaves);
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
static void holdMsg(instanceConf_t *inst, smsg_t *pMsg) {
    /* a message rsyslog keeps (an action's repeated-message reduction holds the last one) must
     * not make the module keep every later one: past the bound the oldest is let go, and
     * rsyslog frees it as it would without the module's reference */
    if (inst->held == NULL && (inst->held = malloc(JB_HELD_MAX * sizeof(*inst->held))) == NULL) return;
    if (inst->held_n == JB_HELD_MAX) releaseHeld(inst, 1, 1);
    inst->held[(inst->held_first + inst->held_n++) & (JB_HELD_MAX - 1)] = MsgAddRef(pMsg);
}

/* Acknowledge the completed groups at the front of the FIFO, in order; save the state when one
 * of them ended a persistStateInterval. */
static void reap(instanceConf_t *inst) {
    ackGroup *g;
    releaseHeld(inst, SIZE_MAX, 0);
    while ((g = inst->head) != NULL && groupDone(g)) {
        inst->head = g->next;
        if (inst->head == NULL) inst->tail = NULL;
        inst->inflight -= g->n_msgs;
        STATSCOUNTER_ADD(inst->ctrAcked, inst->mutCtrAcked, (intctr_t)g->n_msgs);
        if (g->checkpoint.cursor != NULL) {
            jb_state_done(&inst->acked);
            inst->acked = g->checkpoint;
            g->checkpoint.cursor = NULL;
            inst->acked_unsaved = 1;
        }
        if (g->ends_interval) inst->save_due = 1;
        groupFree(g);
    }
    if (inst->save_due) {
        inst->save_due = 0;
        saveState(inst);
    }
}

/* Before reading more: while maxInFlight messages are out, acknowledge what finishes, pausing 1 ms
 * at first and up to 50 ms; the journal keeps what is not read yet. */
static void waitInflight(instanceConf_t *inst) {
    int usec = 1000;
    if (inst->max_inflight <= 0) return;
    reap(inst);
    if (inst->inflight < inst->max_inflight) return;
    STATSCOUNTER_INC(inst->ctrInflightWaits, inst->mutCtrInflightWaits);
    while (inst->inflight >= inst->max_inflight && glbl.GetGlobalInputTermState() == 0) {
        srSleep(0, usec);
        usec = usec * 2 > JB_INFLIGHT_SLEEP_MAX_USEC ? JB_INFLIGHT_SLEEP_MAX_USEC : usec * 2;
        reap(inst);
    }
}

static uint64_t monotonicUsec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* At shutdown: rsyslog stops the inputs before it drains its queues, and cancels an input that is
 * not done within inputs.timeout.shutdown (1000 ms by default, threads.c thrdTerminateNonCancel).
 * Wait up to 60% of it for the open groups to complete, then save the newest acknowledged
 * position; what rsyslog has not finished by then is read again at the next start. Returns how
 * long it waited, in ms. */
static unsigned drainAcks(instanceConf_t *inst) {
    uint64_t t0 = monotonicUsec(), budget = 600000;
    if (runConf != NULL && runConf->globals.inputTimeoutShutdown > 0)
        budget = (uint64_t)runConf->globals.inputTimeoutShutdown * 600; /* ms -> 60% in us */
    reap(inst);
    while (inst->head != NULL && !inst->head->broken && monotonicUsec() - t0 < budget) {
        srSleep(0, JB_ACK_POLL_USEC);
        reap(inst);
    }
    return (unsigned)((monotonicUsec() - t0) / 1000);
}

/* ---- the worker of one input ---- */

/* Hand the gathered batches to rsyslog. A batch rsyslog refuses (RS_RET_FORCE_TERM when it
 * stops while the queue is full) may be partly enqueued: its group is never acknowledged, so the
 * next start reads those entries again (duplicates, never a loss). */
static rsRetVal flushSubmits(instanceConf_t *inst) {
    rsRetVal r, ret = RS_RET_OK;
    for (int i = 0; i < 2; i++) {
        if (inst->multiSub[i].nElem == 0) continue;
        r = multiSubmitMsg2(&inst->multiSub[i]);
        inst->multiSub[i].nElem = 0;
        if (r != RS_RET_OK) {
            groupBroken(inst, r);
            ret = r;
        }
    }
    return ret;
}

/* Add a message (of the current group) to its stream's batch; a full batch is submitted. */
static rsRetVal enqueueMsg(instanceConf_t *inst, int stream, smsg_t *pMsg) {
    multi_submit_t *ms = &inst->multiSub[stream == JB_STREAM_AUDIT ? 1 : 0];
    /* one at most: the blocks of a message freed just before the next one is made are what
     * malloc's per-thread cache (7 blocks of each size) hands out again, without taking the
     * arena's lock; two per message overflowed it with the JSON objects (4.7 per message) */
    releaseHeld(inst, 1, 0);
    holdMsg(inst, pMsg);
    ms->ppMsgs[ms->nElem++] = pMsg;
    inst->cur->n_msgs++;
    inst->inflight++;
    if (ms->nElem < ms->maxElem) return RS_RET_OK;
    rsRetVal r = multiSubmitMsg2(ms);
    ms->nElem = 0;
    if (r != RS_RET_OK) groupBroken(inst, r);
    return r;
}

static void syncStats(instanceConf_t *inst, const jb_stats *s) {
    inst->ctrRead = s->entries_read;
    inst->ctrMalformed = s->audit_malformed;
    inst->ctrReassembled = s->lines_reassembled;
    inst->ctrOverflow = s->lines_overflow;
    inst->ctrInvalidations = s->invalidations;
    inst->ctrGaps = s->gaps;
    inst->ctrGapEntries = s->gap_entries;
}

static rsRetVal headerField(instanceConf_t *inst, const char *s, jb_header_field f) {
    jb_buf_reset(&inst->hdrbuf);
    return jb_rfc5424_header(&inst->hdrbuf, s, f) < 0 ? RS_RET_OUT_OF_MEMORY : RS_RET_OK;
}

static rsRetVal submitRecord(instanceConf_t *inst, const jb_record *rec) {
    DEFiRet;
    smsg_t *pMsg = NULL;
    prop_t *input_name;
    struct timeval tv;
    struct syslogTime st;
    const char *app, *host;
    ruleset_t *rs;
    int fac;
    char rlname[512];

    CHKiRet(groupProp(inst, &input_name));
    tv.tv_sec = (time_t)(rec->time_usec / 1000000);
    tv.tv_usec = (suseconds_t)(rec->time_usec % 1000000);
    /* timeval2syslogTime() fills every field from tv_sec but secfrac: once per second of log time
     * (callgrind: 214 instructions per record fewer, gmtime_r and its time zone lock) */
    if (!inst->last_st_valid || inst->last_sec != tv.tv_sec) {
        datetime.timeval2syslogTime(&tv, &inst->last_st, TIME_IN_UTC);
        inst->last_sec = tv.tv_sec;
        inst->last_st_valid = 1;
    }
    st = inst->last_st;
    st.secfrac = tv.tv_usec;
    CHKiRet(msgConstructWithTime(&pMsg, &st, tv.tv_sec));
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

    /* header fields as the core cuts and cleans them: a container cannot put a space, a control
     * character or an over-long name into a header that rsyslog writes as is */
    host = rec->hostname[0] != '\0' ? rec->hostname : (const char *)glbl.GetLocalHostName();
    CHKiRet(headerField(inst, host, JB_HEADER_HOSTNAME));
    MsgSetHOSTNAME(pMsg, (const uchar *)inst->hdrbuf.data, (int)inst->hdrbuf.len);
    MsgSetRcvFrom(pMsg, glbl.GetLocalHostNameProp());
    app = rec->container_name[0] != '\0' ? rec->container_name : rec->identifier;
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

    if (rec->stream == JB_STREAM_AUDIT)
        fac = inst->facility_audit;
    else
        fac = rec->facility >= 0 && rec->facility <= 23 ? rec->facility : inst->facility_app;
    msgSetPRI(pMsg, (syslog_pri_t)(fac * 8 + (rec->severity >= 0 && rec->severity <= 7 ? rec->severity : 6)));

    jb_buf_reset(&inst->sdbuf);
    if (jb_sd_build_cached(rec, inst->pen, &inst->sdcache, &inst->sdbuf) < 0) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    if (inst->sdbuf.len > 0) CHKiRet(MsgSetStructuredData(pMsg, inst->sdbuf.data));
    if (inst->json_props == JSON_ALL || (inst->json_props == JSON_AUDIT && rec->stream == JB_STREAM_AUDIT))
        CHKiRet(jbglue_add_json(pMsg, rec, inst->jstrings));

    rs = rec->stream == JB_STREAM_AUDIT ? inst->audit_ruleset : inst->ruleset;
    if (rs != NULL) MsgSetRuleset(pMsg, rs);

    if (rec->stream == JB_STREAM_APP) {
        /* the count only, not ratelimitMsg(): its repeated-message reduction (a global setting)
         * would fold identical lines into one, losing their record ids, and hold a reference to
         * the last message, so its group would never be acknowledged */
        if (inst->rl_interval > 0) {
            snprintf(rlname, sizeof(rlname), "%s:%s", getHOSTNAME(pMsg), getAPPNAME(pMsg, LOCK_MUTEX));
            if (ratelimitMsgCount(inst->ratelimiter, tv.tv_sec, rlname) == RS_RET_DISCARDMSG) {
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
        CHKiRet(enqueueMsg(inst, rec->stream, m));
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

static int openBridge(instanceConf_t *inst, jb_bridge **ret, jb_error *err) {
    jb_config c;
    jb_bridge *b = NULL;
    jb_state st = {0};
    int r;

    jb_config_init(&c);
    if (inst->directory != NULL) {
        c.source.kind = JB_SOURCE_DIRECTORY;
        c.source.directory = inst->directory;
    } else if (inst->files.n > 0) {
        c.source.kind = JB_SOURCE_FILES;
        c.source.files = (const char *const *)inst->files.v;
        c.source.n_files = inst->files.n;
    } else if (inst->name_space != NULL) {
        c.source.kind = JB_SOURCE_NAMESPACE;
        c.source.name_space = inst->name_space;
    }
    c.containers = (const char *const *)inst->containers.v;
    c.n_containers = inst->containers.n;
    c.images = (const char *const *)inst->images.v;
    c.n_images = inst->images.n;
    c.matches = (const char *const *)inst->matches.v;
    c.n_matches = inst->matches.n;
    c.markers = (const char *const *)inst->markers.v;
    c.n_markers = inst->markers.n;
    c.patterns = (const char *const *)inst->patterns.v;
    c.n_patterns = inst->patterns.n;
    c.profile = inst->profile;
    c.max_line = inst->max_line;
    c.max_pending = inst->max_pending;
    c.all_entries = inst->all_entries;
    c.read_ahead = inst->read_ahead;
    r = jb_bridge_new(&c, &b, err);
    if (r < 0) return r;
    jb_bridge_set_gap_cb(b, onGap, inst);

    r = jb_state_read(inst->state_path, &st, err);
    if (r == 0) {
        jb_bridge_set_sequence(b, st.seq_app, st.seq_audit);
        r = jb_bridge_seek_cursor(b, st.cursor, err);
        if (r == 0)
            LogMsg(0, NO_ERRCODE, LOG_WARNING,
                   "imjbridge: the entry of the saved position in '%s' is gone (vacuumed?); continuing after it",
                   inst->state_path);
    } else if (r == -ENOENT) {
        r = inst->ignore_previous ? jb_bridge_seek_tail(b, err) : jb_bridge_seek_head(b, err);
    } else if (r == -EBADMSG) {
        /* documented fallback, as the jbridge command: keep the file for inspection and start as
         * without a state, so nothing is lost; records read again carry their record ids */
        jb_error aside = {0};
        LogError(0, RS_RET_ERR,
                 "imjbridge: state file '%s' unusable (%s); moved it to '%s" JB_STATE_BAD_SUFFIX
                 "' and reading from the %s of the journal",
                 inst->state_path, err->msg, inst->state_path, inst->ignore_previous ? "end" : "beginning");
        if (jb_state_set_aside(inst->state_path, &aside) < 0)
            LogError(-aside.code, RS_RET_ERR, "imjbridge: %s", aside.msg);
        r = inst->ignore_previous ? jb_bridge_seek_tail(b, err) : jb_bridge_seek_head(b, err);
    }
    jb_state_done(&st);
    if (r < 0) {
        jb_bridge_free(b);
        return r;
    }
    *ret = b;
    return 0;
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

static void *worker(void *arg) {
    instanceConf_t *inst = arg;
    jb_bridge *b = NULL;
    jb_error err = {0};
    int r, n, max, since_mark = 0, delivered;
    sbool ends_interval;
    uint64_t last;

    dbgSetThrdName((uchar *)"imjbridge");
    for (int i = 0; i < 2; i++) {
        inst->multiSub[i].ppMsgs = inst->msgs[i];
        inst->multiSub[i].maxElem = CONF_NUM_MULTISUB;
        inst->multiSub[i].nElem = 0;
    }
    while (glbl.GetGlobalInputTermState() == 0) {
        r = openBridge(inst, &b, &err);
        if (r == 0) break;
        LogError(-r, RS_RET_ERR, "imjbridge: cannot open the journal for state '%s': %s; retrying in 10 s",
                 inst->state_path, err.msg);
        for (int i = 0; i < 50 && glbl.GetGlobalInputTermState() == 0; i++) srSleep(0, 200000);
    }
    if (b == NULL) return NULL;
    inst->jstrings = jbglue_strings_new(); /* NULL (out of memory): every message gets its own */

    while (glbl.GetGlobalInputTermState() == 0) {
        waitInflight(inst);
        if (glbl.GetGlobalInputTermState() != 0) break;
        last = jb_bridge_stats(b)->records_app + jb_bridge_stats(b)->records_audit;
        /* a batch (and its group) ends where persistStateInterval records since the last interval
         * are reached, so the save that follows that group's acknowledgement leaves at most
         * persistStateInterval acknowledged records unsaved (but for split lines delivered by the
         * timeout, one record for several entries or none) */
        max = JB_BATCH_ENTRIES;
        if (inst->persist_interval > 0 && inst->persist_interval - since_mark < max)
            max = inst->persist_interval - since_mark > 0 ? inst->persist_interval - since_mark : 1;
        n = jb_bridge_process(b, (size_t)max, onRecord, inst, &err);
        /* n is kept apart from r: only a batch that read nothing means the journal is idle */
        r = n < 0 ? n : jb_bridge_expire(b, JB_EXPIRE_USEC, onRecord, inst, &err);
        flushSubmits(inst);
        syncStats(inst, jb_bridge_stats(b));
        delivered = (int)(jb_bridge_stats(b)->records_app + jb_bridge_stats(b)->records_audit - last);
        since_mark += delivered;
        ends_interval = inst->persist_interval > 0 && since_mark >= inst->persist_interval;
        if (ends_interval) since_mark = 0;
        if (n > 0 || delivered > 0 || inst->cur != NULL) groupClose(inst, b, ends_interval);
        reap(inst);
        if (r < 0) {
            LogError(-r, RS_RET_ERR, "imjbridge: reading the journal failed: %s", err.msg);
            srSleep(1, 0);
            continue;
        }
        if (n == 0) {
            if (inst->acked_unsaved) saveState(inst); /* idle: a good moment to record the position */
            r = jb_bridge_wait(b, JB_WAIT_USEC, &err);
            if (r < 0) {
                LogError(-r, RS_RET_ERR, "imjbridge: waiting for the journal failed: %s", err.msg);
                srSleep(1, 0);
            }
        }
    }
    jb_bridge_stop_reading(b); /* the read-ahead thread ends while the acknowledgements are awaited */
    flushSubmits(inst);
    if (inst->cur != NULL) groupClose(inst, b, 0);
    releaseHeld(inst, SIZE_MAX, 1);
    free(inst->held);
    inst->held = NULL;
    inst->held_n = inst->held_first = 0;
    unsigned waited_ms = drainAcks(inst);
    saveState(inst);
    reportUnacked(inst, waited_ms);
    while (inst->head != NULL) {
        ackGroup *g = inst->head;
        inst->head = g->next;
        groupFree(g);
    }
    inst->tail = NULL;
    jb_state_done(&inst->acked);
    jb_bridge_free(b);
    jbglue_strings_free(inst->jstrings);
    inst->jstrings = NULL;
    return NULL;
}

BEGINrunInput
    instanceConf_t *inst;
    pthread_attr_t attr;
    CODESTARTrunInput
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 4096 * 1024);
    for (inst = runModConf->root; inst != NULL; inst = inst->next) {
        if (!inst->ok) continue;
        if (pthread_create(&inst->tid, &attr, worker, inst) == 0)
            inst->running = 1;
        else
            LogError(errno, RS_RET_ERR, "imjbridge: cannot start the worker for '%s'", inst->state_path);
    }
    pthread_attr_destroy(&attr);
    while (glbl.GetGlobalInputTermState() == 0) srSleep(0, 200000);
    for (inst = runModConf->root; inst != NULL; inst = inst->next) {
        if (inst->running) pthread_join(inst->tid, NULL);
        inst->running = 0;
    }
ENDrunInput

BEGINwillRun
    CODESTARTwillRun
ENDwillRun

BEGINafterRun
    CODESTARTafterRun
ENDafterRun

BEGINmodExit
    CODESTARTmodExit
    objRelease(statsobj, CORE_COMPONENT);
    objRelease(ruleset, CORE_COMPONENT);
    objRelease(prop, CORE_COMPONENT);
    objRelease(glbl, CORE_COMPONENT);
    objRelease(datetime, CORE_COMPONENT);
ENDmodExit

BEGINisCompatibleWithFeature
    CODESTARTisCompatibleWithFeature
    if (eFeat == sFEATURENonCancelInputTermination) iRet = RS_RET_OK;
ENDisCompatibleWithFeature

BEGINqueryEtryPt
    CODESTARTqueryEtryPt
    CODEqueryEtryPt_STD_IMOD_QUERIES CODEqueryEtryPt_STD_CONF2_QUERIES CODEqueryEtryPt_STD_CONF2_IMOD_QUERIES
        CODEqueryEtryPt_IsCompatibleWithFeature_IF_OMOD_QUERIES
ENDqueryEtryPt

BEGINmodInit()
    CODESTARTmodInit
    *ipIFVersProvided = CURR_MOD_IF_VERSION;
    CODEmodInit_QueryRegCFSLineHdlr CHKiRet(objUse(datetime, CORE_COMPONENT));
    CHKiRet(objUse(glbl, CORE_COMPONENT));
    CHKiRet(objUse(prop, CORE_COMPONENT));
    CHKiRet(objUse(ruleset, CORE_COMPONENT));
    CHKiRet(objUse(statsobj, CORE_COMPONENT));
    CHKiRet(jbglue_check_abi("imjbridge"));
ENDmodInit
