/* SPDX-License-Identifier: Apache-2.0 */
/* imjbridge: rsyslog input module reading Docker's journald entries through the jbridge core.
 * Every input() instance has its own journal reader, worker thread, state file and counters; the
 * core decides what a record is and which stream it belongs to, this glue maps parameters to
 * jb_config and records to rsyslog messages bound to the stream's ruleset. This file: the
 * parameters, their checks and the module's entry points; the worker is imjbridge-submit.c, the
 * acknowledgement imjbridge-ack.c (see imjbridge.h). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsyslog.h"
#include "cfsysline.h"
#include "conf.h"
#include "dirty.h"
#include "errmsg.h"
#include "module-template.h"
#include "rsconf.h"
#include "srUtils.h"
#include "syslogd-types.h"
#include "unicode-helper.h"

#include "imjbridge.h"
#include "partial.h"
#include "paths.h"
#include "seal.h"

MODULE_TYPE_INPUT
MODULE_TYPE_NOKEEP
MODULE_CNFNAME("imjbridge")

DEF_IMOD_STATIC_DATA
DEFobjCurrIf(ruleset)
DEFobjCurrIf(statsobj)
/* shared with the module's other files (imjbridge.h) */
datetime_if_t datetime = {.ifVersion = datetimeCURR_IF_VERSION, .ifIsLoaded = 0};
glbl_if_t glbl = {.ifVersion = glblCURR_IF_VERSION, .ifIsLoaded = 0};
prop_if_t prop = {.ifVersion = propCURR_IF_VERSION, .ifIsLoaded = 0};

#define JB_DEFAULT_STATE "imjbridge.state"
#define JB_DEFAULT_MAX_INFLIGHT 10000
#define JB_DEFAULT_PERSIST_INTERVAL 1000
#define JB_DEFAULT_RATELIMIT_BURST 10000

static const char *const json_props_names[] = {"all", "audit", "off"};

struct modConfData_s {
    rsconf_t *pConf;
    instanceConf_t *root, *tail;
};

static modConfData_t *loadModConf = NULL;
static modConfData_t *runModConf = NULL;

static struct cnfparamdescr inppdescr[] = {
    {"directory", eCmdHdlrString, 0},
    {"directory.perhost", eCmdHdlrBinary, 0},
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
    {"audit.containers", eCmdHdlrArray, 0},
    {"audit.anchor", eCmdHdlrGetWord, 0},
    {"maxline", eCmdHdlrSize, 0},
    {"maxpending", eCmdHdlrPositiveInt, 0},
    {"facility.app", eCmdHdlrGetWord, 0},
    {"facility.audit", eCmdHdlrGetWord, 0},
    {"ratelimit.interval", eCmdHdlrNonNegInt, 0},
    {"ratelimit.burst", eCmdHdlrPositiveInt, 0},
    {"escapecontrolcharacters", eCmdHdlrBinary, 0},
    {"readahead", eCmdHdlrBinary, 0},
    {"jsonproperties", eCmdHdlrGetWord, 0},
    {"trust", eCmdHdlrArray, 0},
    {"untrusted", eCmdHdlrGetWord, 0},
    {"container.fields", eCmdHdlrArray, 0},
    {"components", eCmdHdlrArray, 0},
    {"message", eCmdHdlrGetWord, 0},
    {"seal.keyfile", eCmdHdlrString, 0},
    {"seal.streams", eCmdHdlrString, 0},
    {"seal.epochrecords", eCmdHdlrNonNegInt, 0}, /* the seal.* numbers are checked by the core */
    {"seal.epochseconds", eCmdHdlrNonNegInt, 0},
    {"seal.heartbeat", eCmdHdlrNonNegInt, 0},
};
static struct cnfparamblk inppblk = {CNFPARAMBLK_VERSION, sizeof(inppdescr) / sizeof(struct cnfparamdescr), inppdescr};

/* The parameter that sets each setting of jb_config, for the messages of jb_config_check() (the
 * source, set by three parameters, has a message of its own). */
static const char *const setting_params[] = {
    [JB_CONFIG_SOURCE] = "directory",
    [JB_CONFIG_CONTAINERS] = "containers",
    [JB_CONFIG_IMAGES] = "images",
    [JB_CONFIG_MATCHES] = "match",
    [JB_CONFIG_MARKERS] = "audit.markers",
    [JB_CONFIG_PROFILE] = "profile",
    [JB_CONFIG_PATTERNS] = "audit.patterns",
    [JB_CONFIG_MAX_LINE] = "maxLine",
    [JB_CONFIG_MAX_PENDING] = "maxPending",
    [JB_CONFIG_TRUST] = "trust",
    [JB_CONFIG_UNTRUSTED] = "untrusted",
    [JB_CONFIG_AUDIT_CONTAINERS] = "audit.containers",
    [JB_CONFIG_AUDIT_ANCHOR] = "audit.anchor",
    [JB_CONFIG_CONTAINER_FIELDS] = "container.fields",
    [JB_CONFIG_COMPONENTS] = "components",
    [JB_CONFIG_MESSAGE] = "message",
    [JB_CONFIG_DIRECTORY] = "directory",
    [JB_CONFIG_NAMESPACE] = "namespace",
    [JB_CONFIG_SEAL_KEY] = "seal.keyFile",
    [JB_CONFIG_SEAL_STREAMS] = "seal.streams",
    [JB_CONFIG_SEAL_EPOCH_RECORDS] = "seal.epochRecords",
    [JB_CONFIG_SEAL_EPOCH_SECONDS] = "seal.epochSeconds",
    [JB_CONFIG_SEAL_HEARTBEAT] = "seal.heartbeat",
    [JB_CONFIG_PER_HOST] = "directory.perHost",
};

static void instanceFree(instanceConf_t *inst) {
    free(inst->directory);
    jbglue_strlist_free(&inst->files);
    free(inst->name_space);
    jbglue_strlist_free(&inst->containers);
    jbglue_strlist_free(&inst->images);
    jbglue_strlist_free(&inst->matches);
    jbglue_strlist_free(&inst->markers);
    jbglue_strlist_free(&inst->patterns);
    jbglue_strlist_free(&inst->trust);
    jbglue_strlist_free(&inst->audit_containers);
    free(inst->audit_anchor);
    jbglue_strlist_free(&inst->container_fields);
    jbglue_strlist_free(&inst->components);
    free(inst->message);
    free(inst->profile);
    free(inst->ruleset_name);
    free(inst->audit_ruleset_name);
    free(inst->state_param);
    jb_free(inst->state_path);
    jb_buf_done(&inst->msgbuf);
    jb_buf_done(&inst->sdbuf);
    jb_buf_done(&inst->hdrbuf);
    jb_sd_cache_done(&inst->sdcache);
    imjb_seal_conf_free(inst);
    free(inst);
}

/* A new instance with the defaults: the core's (jb_config_init, the SD's PEN, the facilities of
 * record.h) and the module's own. */
static instanceConf_t *instanceNew(void) {
    instanceConf_t *inst = calloc(1, sizeof(*inst));
    if (inst == NULL) return NULL;
    jb_config_init(&inst->cfg);
    inst->pen = JB_SD_DEFAULT_PEN;
    inst->facility_app = JB_FACILITY_APP_DEFAULT;
    inst->facility_audit = JB_FACILITY_AUDIT_DEFAULT;
    inst->persist_interval = JB_DEFAULT_PERSIST_INTERVAL;
    inst->max_inflight = JB_DEFAULT_MAX_INFLIGHT;
    inst->rl_burst = JB_DEFAULT_RATELIMIT_BURST;
    inst->escape_cc = 1;
    inst->json_props = JSON_ALL;
    return inst;
}

static char *cstr(struct cnfparamvals *v) {
    return es_str2cstr(v->val.d.estr, NULL);
}

/* A word parameter: its index in names (n of them), or a message naming it. */
static rsRetVal wordParam(struct cnfparamvals *v, const char *param, const char *const *names, size_t n,
                          const char *expected, int *ret) {
    DEFiRet;
    size_t k;
    char *s = NULL;
    CHKmalloc(s = cstr(v));
    for (k = 0; k < n && strcmp(s, names[k]) != 0; k++) continue;
    if (k == n) {
        LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter '%s': '%s' is not %s", param, s, expected);
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
    *ret = (int)k;
finalize_it:
    free(s);
    RETiRet;
}

/* untrusted="flag|drop", read by the core (trust.h). */
static rsRetVal untrustedParam(struct cnfparamvals *v, jb_untrusted_action *ret) {
    DEFiRet;
    jb_error err = {0};
    char *s = NULL;
    CHKmalloc(s = cstr(v));
    if (jb_untrusted_action_parse(s, ret, &err) < 0) {
        LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'untrusted': %s", err.msg);
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
finalize_it:
    free(s);
    RETiRet;
}

static rsRetVal facilityParam(struct cnfparamvals *v, const char *param, int *ret) {
    DEFiRet;
    char *s = NULL;
    CHKmalloc(s = cstr(v));
    *ret = jbglue_facility(s);
    if (*ret < 0) {
        LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter '%s': invalid facility '%s' (0-23 or a name)", param, s);
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
finalize_it:
    free(s);
    RETiRet;
}

/* The number parameters: their names as rsyslog lists them and as the user writes them, ranges. */
static rsRetVal setNumParam(instanceConf_t *inst, const char *name, struct cnfparamvals *v, sbool *done) {
    DEFiRet;
    long long n = 0;
    *done = 1;
    if (!strcmp(name, "persiststateinterval")) {
        CHKiRet(jbglue_number("imjbridge", v, "persistStateInterval", 0, INT_MAX, &n));
        inst->persist_interval = (int)n;
    } else if (!strcmp(name, "maxinflight")) {
        CHKiRet(jbglue_number("imjbridge", v, "maxInFlight", 0, INT_MAX, &n));
        inst->max_inflight = (int)n;
    } else if (!strcmp(name, "sd.pen")) {
        CHKiRet(jbglue_number("imjbridge", v, "sd.pen", 1, UINT32_MAX, &n));
        inst->pen = (unsigned)n;
    } else if (!strcmp(name, "maxline")) {
        CHKiRet(jbglue_number("imjbridge", v, "maxLine", 1, (long long)JB_CONFIG_MAX_LINE_LIMIT, &n));
        inst->cfg.max_line = (size_t)n;
    } else if (!strcmp(name, "maxpending")) {
        CHKiRet(jbglue_number("imjbridge", v, "maxPending", 1, JB_PARTIAL_MAX_PENDING_LIMIT, &n));
        inst->cfg.max_pending = (size_t)n;
    } else if (!strcmp(name, "ratelimit.interval")) {
        CHKiRet(jbglue_number("imjbridge", v, "ratelimit.interval", 0, INT_MAX, &n));
        inst->rl_interval = (unsigned int)n;
    } else if (!strcmp(name, "ratelimit.burst")) {
        CHKiRet(jbglue_number("imjbridge", v, "ratelimit.burst", 1, INT_MAX, &n));
        inst->rl_burst = (unsigned int)n;
    } else {
        *done = 0;
    }
finalize_it:
    RETiRet;
}

/* One parameter into inst (name: as rsyslog lists it, lower case). */
static rsRetVal setParam(instanceConf_t *inst, const char *name, struct cnfparamvals *v) {
    DEFiRet;
    sbool done;
    CHKiRet(setNumParam(inst, name, v, &done));
    if (done) FINALIZE;
    if (!strcmp(name, "directory")) {
        CHKmalloc(inst->directory = cstr(v));
    } else if (!strcmp(name, "files")) {
        CHKiRet(jbglue_strlist_from_array(&inst->files, v->val.d.ar));
    } else if (!strcmp(name, "namespace")) {
        CHKmalloc(inst->name_space = cstr(v));
    } else if (!strcmp(name, "containers")) {
        CHKiRet(jbglue_strlist_from_array(&inst->containers, v->val.d.ar));
    } else if (!strcmp(name, "images")) {
        CHKiRet(jbglue_strlist_from_array(&inst->images, v->val.d.ar));
    } else if (!strcmp(name, "match")) {
        CHKiRet(jbglue_strlist_from_array(&inst->matches, v->val.d.ar));
    } else if (!strcmp(name, "allentries")) {
        inst->cfg.all_entries = v->val.d.n != 0;
    } else if (!strcmp(name, "ruleset")) {
        CHKmalloc(inst->ruleset_name = cstr(v));
    } else if (!strcmp(name, "audit.ruleset")) {
        CHKmalloc(inst->audit_ruleset_name = cstr(v));
    } else if (!strcmp(name, "statefile")) {
        CHKmalloc(inst->state_param = cstr(v));
    } else if (!strcmp(name, "ignorepreviousmessages")) {
        inst->ignore_previous = (sbool)v->val.d.n;
    } else if (!strcmp(name, "audit.markers")) {
        CHKiRet(jbglue_strlist_from_array(&inst->markers, v->val.d.ar));
    } else if (!strcmp(name, "audit.patterns")) {
        CHKiRet(jbglue_strlist_from_array(&inst->patterns, v->val.d.ar));
    } else if (!strcmp(name, "profile")) {
        CHKmalloc(inst->profile = cstr(v));
    } else if (!strcmp(name, "audit.containers")) {
        CHKiRet(jbglue_strlist_from_array(&inst->audit_containers, v->val.d.ar));
    } else if (!strcmp(name, "audit.anchor")) {
        CHKmalloc(inst->audit_anchor = cstr(v));
    } else if (!strcmp(name, "facility.app")) {
        CHKiRet(facilityParam(v, "facility.app", &inst->facility_app));
    } else if (!strcmp(name, "facility.audit")) {
        CHKiRet(facilityParam(v, "facility.audit", &inst->facility_audit));
    } else if (!strcmp(name, "escapecontrolcharacters")) {
        inst->escape_cc = (sbool)v->val.d.n;
    } else if (!strcmp(name, "readahead")) {
        inst->cfg.read_ahead = v->val.d.n != 0;
    } else if (!strcmp(name, "directory.perhost")) {
        inst->cfg.source.per_host = v->val.d.n != 0;
    } else if (!strcmp(name, "jsonproperties")) {
        CHKiRet(wordParam(v, "jsonProperties", json_props_names, JB_ELEMENTSOF(json_props_names), "all, audit or off",
                          &inst->json_props));
    } else if (!strcmp(name, "trust")) {
        CHKiRet(jbglue_strlist_from_array(&inst->trust, v->val.d.ar));
    } else if (!strcmp(name, "untrusted")) {
        CHKiRet(untrustedParam(v, &inst->cfg.untrusted));
    } else if (!strcmp(name, "container.fields")) {
        CHKiRet(jbglue_strlist_from_array(&inst->container_fields, v->val.d.ar));
    } else if (!strcmp(name, "components")) {
        CHKiRet(jbglue_strlist_from_array(&inst->components, v->val.d.ar));
    } else if (!strcmp(name, "message")) {
        CHKmalloc(inst->message = cstr(v));
    } else if (!strncmp(name, "seal.", 5)) {
        CHKiRet(imjb_seal_param(inst, name, v));
    }
finalize_it:
    RETiRet;
}

/* Point the core's settings at the parameters' strings and have the core check them, so that
 * rsyslogd -N1 names a bad one. */
static rsRetVal checkInst(instanceConf_t *inst) {
    DEFiRet;
    jb_config *c = &inst->cfg;
    jb_config_setting bad;
    jb_error err = {0};
    c->source.directory = inst->directory;
    c->source.files = (const char *const *)inst->files.v;
    c->source.n_files = inst->files.n;
    c->source.name_space = inst->name_space;
    c->source.kind = inst->directory != NULL ? JB_SOURCE_DIRECTORY
                     : inst->files.n > 0     ? JB_SOURCE_FILES
                     : inst->name_space      ? JB_SOURCE_NAMESPACE
                                             : JB_SOURCE_SYSTEM;
    c->containers = (const char *const *)inst->containers.v;
    c->n_containers = inst->containers.n;
    c->images = (const char *const *)inst->images.v;
    c->n_images = inst->images.n;
    c->matches = (const char *const *)inst->matches.v;
    c->n_matches = inst->matches.n;
    c->markers = (const char *const *)inst->markers.v;
    c->n_markers = inst->markers.n;
    c->patterns = (const char *const *)inst->patterns.v;
    c->n_patterns = inst->patterns.n;
    c->profile = inst->profile;
    c->trust = (const char *const *)inst->trust.v;
    c->n_trust = inst->trust.n;
    c->audit_containers = (const char *const *)inst->audit_containers.v;
    c->n_audit_containers = inst->audit_containers.n;
    c->audit_anchor = inst->audit_anchor;
    c->container_fields = (const char *const *)inst->container_fields.v;
    c->n_container_fields = inst->container_fields.n;
    c->components = (const char *const *)inst->components.v;
    c->n_components = inst->components.n;
    c->message = inst->message;
    if (jb_config_check(c, &bad, &err) < 0) {
        if (bad == JB_CONFIG_SOURCE)
            LogError(0, RS_RET_PARAM_ERROR,
                     "imjbridge: parameters 'directory', 'files' and 'namespace' exclude each other");
        else
            LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter '%s': %s", setting_params[bad], err.msg);
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
finalize_it:
    RETiRet;
}

BEGINnewInpInst
    struct cnfparamvals *pvals;
    instanceConf_t *inst = NULL;
    CODESTARTnewInpInst
    pvals = nvlstGetParams(lst, &inppblk, NULL);
    if (pvals == NULL) ABORT_FINALIZE(RS_RET_MISSING_CNFPARAMS);
    CHKmalloc(inst = instanceNew());
    for (int i = 0; i < inppblk.nParams; ++i)
        if (pvals[i].bUsed) CHKiRet(setParam(inst, inppblk.descr[i].name, &pvals[i]));
    CHKiRet(checkInst(inst));
    CHKiRet(imjb_seal_check(inst));
    if (inst->state_param == NULL) CHKmalloc(inst->state_param = strdup(JB_DEFAULT_STATE));
    if (loadModConf->tail == NULL)
        loadModConf->root = inst;
    else
        loadModConf->tail->next = inst;
    loadModConf->tail = inst;
    inst = NULL;
finalize_it:
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

/* The state file against workDirectory, checked and made canonical by the core (paths.h), so that
 * two inputs naming one file in different ways are told. */
static rsRetVal resolveState(rsconf_t *conf, instanceConf_t *inst) {
    DEFiRet;
    const char *wd;
    jb_error err = {0};
    jb_free(inst->state_path);
    inst->state_path = NULL;
    wd = (const char *)glbl.GetWorkDir(conf);
    if (wd == NULL || *wd == '\0') wd = "/var/spool/rsyslog"; /* rsyslog's own fallback is the cwd */
    if (jb_path_state_resolve(wd, inst->state_param, &inst->state_path, &err) < 0) {
        LogError(0, RS_RET_PARAM_ERROR, "imjbridge: parameter 'stateFile': %s", err.msg);
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
finalize_it:
    RETiRet;
}

/* A directory that does not exist (yet) is not an error (a store systemd-journal-remote creates
 * later): said once at start, the input retries opening it (imjbridge-submit.c). */
static void warnDirectory(const instanceConf_t *inst) {
    jb_error err = {0};
    if (jb_journal_source_present(&inst->cfg.source, &err) == 0) return;
    LogMsg(0, RS_RET_PARAM_ERROR, LOG_WARNING,
           "imjbridge: parameter 'directory': %s; the input will open it when it can, retrying every 10 s", err.msg);
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
        warnDirectory(inst);
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
            /* each input moves its key file's epoch on its own */
            if (inst->ok && other->ok && inst->seal_key_param != NULL && other->seal_key_param != NULL &&
                !strcmp(inst->seal_key_param, other->seal_key_param)) {
                LogError(0, RS_RET_PARAM_ERROR,
                         "imjbridge: parameter 'seal.keyFile': two inputs use '%s'; give each input its own",
                         inst->seal_key_param);
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
    JB_CTR(ctrRejected, mutCtrRejected, "audit.rejected");
    JB_CTR(ctrFilteredComponent, mutCtrFilteredComponent, "filtered.component");
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
    JB_CTR(ctrUntrusted, mutCtrUntrusted, "untrusted");
    JB_CTR(ctrSealed, mutCtrSealed, "seal.records");
    JB_CTR(ctrSealEpochs, mutCtrSealEpochs, "seal.epochs");
    JB_CTR(ctrSealPauseMs, mutCtrSealPauseMs, "seal.pause.ms");
    JB_CTR(ctrSealBeats, mutCtrSealBeats, "seal.beats");
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

BEGINrunInput
    instanceConf_t *inst;
    pthread_attr_t attr;
    CODESTARTrunInput
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 4096 * 1024);
    for (inst = runModConf->root; inst != NULL; inst = inst->next) {
        if (!inst->ok) continue;
        if (pthread_create(&inst->tid, &attr, imjb_worker, inst) == 0)
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
    jb_seal_release(); /* before the module's code is unmapped: libcrypto outlives it */
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
