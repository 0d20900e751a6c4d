/* SPDX-License-Identifier: Apache-2.0 */
/* mmjbridge: message modification module running the jbridge core's audit recognition on the
 * text of any message (imfile, imtcp, imjournal...). It sets $!jbridge!stream and $!audit!*, adds
 * jbridge's structured data, and on a central server splits forwarded messages again by the
 * jbridge@PEN / audit@PEN elements they already carry. The decisions are the core's (resplit.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsyslog.h"
#include "conf.h"
#include "errmsg.h"
#include "module-template.h"
#include "msg.h"
#include "syslogd-types.h"

#include "audit.h"
#include "resplit.h"
#include "sd.h"
#include "settings.h"

#include "glue.h"

MODULE_TYPE_OUTPUT
MODULE_TYPE_NOKEEP
MODULE_CNFNAME("mmjbridge")

DEF_OMOD_STATIC_DATA

typedef struct _instanceData {
    unsigned pen;
    sbool resplit;       /* trust existing jbridge@PEN / audit@PEN elements */
    sbool add_sd;        /* add jbridge@PEN (and audit@PEN) to the structured data */
    sbool audit_allowed; /* off: an input anyone may write to, nothing becomes audit (resplit.h) */
    jb_resplit_ids ids;  /* record ids and sequenceIds of the records this instance describes */
    jbglue_strlist markers;
    char *profile;           /* recognition profile (profile.h); NULL: "tfe" */
    jbglue_strlist patterns; /* audit line patterns (pattern.h) */
    char *audit_anchor;      /* where a marker stands (audit.h); NULL: line-start. No container scope here:
                                a message from another input has no container (doc/mmjbridge.md) */
    jb_audit_matcher *matcher;
} instanceData;

typedef struct wrkrInstanceData {
    instanceData *pData;
    jb_buf sd;
} wrkrInstanceData_t;

struct modConfData_s {
    rsconf_t *pConf;
};

static struct cnfparamdescr actpdescr[] = {
    {"sd.pen", eCmdHdlrPositiveInt, 0},   {"audit.markers", eCmdHdlrArray, 0},  {"resplit", eCmdHdlrBinary, 0},
    {"sd.add", eCmdHdlrBinary, 0},        {"profile", eCmdHdlrGetWord, 0},      {"audit.patterns", eCmdHdlrArray, 0},
    {"audit.allowed", eCmdHdlrBinary, 0}, {"audit.anchor", eCmdHdlrGetWord, 0},
};
static struct cnfparamblk actpblk = {CNFPARAMBLK_VERSION, sizeof(actpdescr) / sizeof(struct cnfparamdescr), actpdescr};

BEGINbeginCnfLoad
    CODESTARTbeginCnfLoad
    pModConf->pConf = pConf;
ENDbeginCnfLoad

BEGINendCnfLoad
    CODESTARTendCnfLoad
ENDendCnfLoad

BEGINcheckCnf
    CODESTARTcheckCnf
ENDcheckCnf

BEGINactivateCnf
    CODESTARTactivateCnf
ENDactivateCnf

BEGINfreeCnf
    CODESTARTfreeCnf
ENDfreeCnf

BEGINcreateInstance
    CODESTARTcreateInstance
    pData->pen = JB_SD_DEFAULT_PEN;
    pData->resplit = 1;
    pData->add_sd = 1;
    pData->audit_allowed = 1;
    jb_resplit_ids_init(&pData->ids);
ENDcreateInstance

BEGINcreateWrkrInstance
    CODESTARTcreateWrkrInstance
    pWrkrData->sd = (jb_buf)JB_BUF_INIT;
ENDcreateWrkrInstance

BEGINisCompatibleWithFeature
    CODESTARTisCompatibleWithFeature
ENDisCompatibleWithFeature

BEGINfreeInstance
    CODESTARTfreeInstance
    jb_audit_matcher_free(pData->matcher);
    jbglue_strlist_free(&pData->markers);
    jbglue_strlist_free(&pData->patterns);
    free(pData->profile);
    free(pData->audit_anchor);
ENDfreeInstance

BEGINfreeWrkrInstance
    CODESTARTfreeWrkrInstance
    jb_buf_done(&pWrkrData->sd);
ENDfreeWrkrInstance

BEGINdbgPrintInstInfo
    CODESTARTdbgPrintInstInfo
ENDdbgPrintInstInfo

BEGINtryResume
    CODESTARTtryResume
ENDtryResume

/* Replace the structured data of a message whose forwarded jbridge elements were not taken
 * (an unauthenticated input): the sender's other elements stay. */
static rsRetVal stripForwarded(wrkrInstanceData_t *pWrkrData, smsg_t *pMsg, const uchar *sd, rs_size_t sd_len) {
    DEFiRet;
    jb_buf_reset(&pWrkrData->sd);
    if (jb_resplit_strip((const char *)sd, (size_t)sd_len, pWrkrData->pData->pen, &pWrkrData->sd) < 0)
        ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    CHKiRet(MsgSetStructuredData(pMsg, pWrkrData->sd.len > 0 ? pWrkrData->sd.data : "-"));
finalize_it:
    RETiRet;
}

/* Add jbridge@PEN (and audit@PEN, meta) for a record this instance describes itself: its own
 * unique id and the next sequenceId of its stream; peer="unauthenticated" when demoted. */
static rsRetVal addStructuredData(wrkrInstanceData_t *pWrkrData, smsg_t *pMsg, const char *text, size_t len,
                                  const jb_audit *audit, jb_stream stream, sbool demoted) {
    DEFiRet;
    instanceData *pData = pWrkrData->pData;
    jb_record rec;
    char id[17];
    jb_resplit_record(text, len, audit, stream, id, &rec);
    jb_resplit_ids_next(&pData->ids, getHOSTNAME(pMsg), (uint64_t)pMsg->ttGenTime * 1000000u, text, len, stream, id,
                        &rec.sequence);
    if (demoted) rec.peer = JB_RESPLIT_PEER_UNAUTHENTICATED;
    jb_buf_reset(&pWrkrData->sd);
    if (jb_sd_build(&rec, pData->pen, &pWrkrData->sd) < 0) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    if (pWrkrData->sd.len > 0)
        CHKiRet(MsgAddToStructuredData(pMsg, (uchar *)pWrkrData->sd.data, (rs_size_t)pWrkrData->sd.len));
finalize_it:
    RETiRet;
}

BEGINdoAction_NoStrings
    smsg_t **ppMsg = (smsg_t **)pMsgData;
    smsg_t *pMsg = ppMsg[0];
    instanceData *pData = pWrkrData->pData;
    jb_audit audit = {0};
    jb_stream stream = JB_STREAM_APP;
    uchar *sd = NULL;
    rs_size_t sd_len = 0;
    const char *text;
    sbool demoted = 0;
    int r;
    CODESTARTdoAction
    text = (const char *)getMSG(pMsg);
    if (pData->resplit || !pData->audit_allowed) MsgGetStructuredData(pMsg, &sd, &sd_len);
    r = jb_resplit_message(pData->matcher, text, (size_t)getMSGLen(pMsg), (const char *)sd,
                           sd != NULL ? (size_t)sd_len : 0, pData->pen, &audit, &stream);
    if (r < 0) ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    if (!pData->audit_allowed) demoted = (sbool)jb_resplit_untrusted(&audit, &stream);
    CHKiRet(jbglue_add_audit_json(pMsg, stream, &audit));
    if (demoted && r == JB_RESPLIT_SD) CHKiRet(stripForwarded(pWrkrData, pMsg, sd, sd_len));
    if ((r == JB_RESPLIT_TEXT || demoted) && pData->add_sd)
        CHKiRet(addStructuredData(pWrkrData, pMsg, text, (size_t)getMSGLen(pMsg), &audit, stream, demoted));
finalize_it:
    jb_audit_done(&audit);
ENDdoAction

/* The recognition settings checked by the core (so that rsyslogd -N1 names a bad one), then the
 * matcher they make. */
static rsRetVal newMatcher(instanceData *pData) {
    DEFiRet;
    jb_config c;
    jb_config_setting bad;
    jb_error err = {0};
    jb_audit_opts ao;
    jb_config_init(&c);
    c.profile = pData->profile;
    c.markers = (const char *const *)pData->markers.v;
    c.n_markers = pData->markers.n;
    c.patterns = (const char *const *)pData->patterns.v;
    c.n_patterns = pData->patterns.n;
    c.audit_anchor = pData->audit_anchor;
    if (jb_config_check(&c, &bad, &err) < 0) {
        LogError(0, RS_RET_PARAM_ERROR, "mmjbridge: parameter '%s': %s",
                 bad == JB_CONFIG_PROFILE        ? "profile"
                 : bad == JB_CONFIG_MARKERS      ? "audit.markers"
                 : bad == JB_CONFIG_AUDIT_ANCHOR ? "audit.anchor"
                                                 : "audit.patterns",
                 err.msg);
        ABORT_FINALIZE(RS_RET_PARAM_ERROR);
    }
    ao = (jb_audit_opts){c.profile,    c.markers, c.n_markers, c.patterns,
                         c.n_patterns, NULL,      0,           JB_AUDIT_ANCHOR_LINE_START};
    (void)jb_audit_anchor_from_string(c.audit_anchor, &ao.anchor); /* checked above */
    if (jb_audit_matcher_new_opts(&ao, &pData->matcher, &err) < 0) {
        LogError(0, RS_RET_OUT_OF_MEMORY, "mmjbridge: %s", err.msg);
        ABORT_FINALIZE(RS_RET_OUT_OF_MEMORY);
    }
finalize_it:
    RETiRet;
}

BEGINnewActInst
    struct cnfparamvals *pvals;
    int i;
    long long n;
    CODESTARTnewActInst
    if ((pvals = nvlstGetParams(lst, &actpblk, NULL)) == NULL) ABORT_FINALIZE(RS_RET_MISSING_CNFPARAMS);
    CODE_STD_STRING_REQUESTnewActInst(1)
    CHKiRet(OMSRsetEntry(*ppOMSR, 0, NULL, OMSR_TPL_AS_MSG));
    CHKiRet(createInstance(&pData));
    for (i = 0; i < actpblk.nParams; ++i) {
        if (!pvals[i].bUsed) continue;
        if (!strcmp(actpblk.descr[i].name, "sd.pen")) {
            CHKiRet(jbglue_number("mmjbridge", &pvals[i], "sd.pen", 1, UINT32_MAX, &n));
            pData->pen = (unsigned)n;
        } else if (!strcmp(actpblk.descr[i].name, "resplit")) {
            pData->resplit = (sbool)pvals[i].val.d.n;
        } else if (!strcmp(actpblk.descr[i].name, "audit.allowed")) {
            pData->audit_allowed = (sbool)pvals[i].val.d.n;
        } else if (!strcmp(actpblk.descr[i].name, "sd.add")) {
            pData->add_sd = (sbool)pvals[i].val.d.n;
        } else if (!strcmp(actpblk.descr[i].name, "audit.markers")) {
            CHKiRet(jbglue_strlist_from_array(&pData->markers, pvals[i].val.d.ar));
        } else if (!strcmp(actpblk.descr[i].name, "profile")) {
            CHKmalloc(pData->profile = es_str2cstr(pvals[i].val.d.estr, NULL));
        } else if (!strcmp(actpblk.descr[i].name, "audit.anchor")) {
            CHKmalloc(pData->audit_anchor = es_str2cstr(pvals[i].val.d.estr, NULL));
        } else if (!strcmp(actpblk.descr[i].name, "audit.patterns")) {
            CHKiRet(jbglue_strlist_from_array(&pData->patterns, pvals[i].val.d.ar));
        }
    }
    CHKiRet(newMatcher(pData));
    CODE_STD_FINALIZERnewActInst
    cnfparamvalsDestruct(pvals, &actpblk);
ENDnewActInst

BEGINparseSelectorAct
    CODESTARTparseSelectorAct CODE_STD_STRING_REQUESTparseSelectorAct(1)
    /* only the RainerScript action(type="mmjbridge") form */
    ABORT_FINALIZE(RS_RET_CONFLINE_UNPROCESSED);
    CODE_STD_FINALIZERparseSelectorAct
ENDparseSelectorAct

BEGINmodExit
    CODESTARTmodExit
ENDmodExit

BEGINqueryEtryPt
    CODESTARTqueryEtryPt
    CODEqueryEtryPt_STD_OMOD_QUERIES CODEqueryEtryPt_STD_OMOD8_QUERIES CODEqueryEtryPt_STD_CONF2_OMOD_QUERIES
        CODEqueryEtryPt_STD_CONF2_QUERIES
ENDqueryEtryPt

BEGINmodInit()
    rsRetVal localRet;
    rsRetVal (*pomsrGetSupportedTplOpts)(unsigned long *pOpts);
    unsigned long opts;
    CODESTARTmodInit
    *ipIFVersProvided = CURR_MOD_IF_VERSION;
    CODEmodInit_QueryRegCFSLineHdlr localRet =
        pHostQueryEtryPt((uchar *)"OMSRgetSupportedTplOpts", &pomsrGetSupportedTplOpts);
    if (localRet != RS_RET_OK) ABORT_FINALIZE(RS_RET_NO_MSG_PASSING);
    CHKiRet((*pomsrGetSupportedTplOpts)(&opts));
    if (!(opts & OMSR_TPL_AS_MSG)) ABORT_FINALIZE(RS_RET_NO_MSG_PASSING);
    CHKiRet(jbglue_check_abi("mmjbridge"));
ENDmodInit
