/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The verifier of sealed streams (doc/sealing.md, "What jbridge verify reports"): feed it the
 * verification keys, then lines of RFC 5424 files in the order they were written (several hosts,
 * sources and streams interleaved, as a central server writes them); it groups the sealed items
 * by (KEYID, CHAIN), checks every MAC, link and epoch transition, and reports per chain what
 * verified and what did not.
 *
 * Memory: per chain, a fixed part, the valid record numbers as ranges (one range per gap: about
 * 150 bytes each), the MACs needed to check the links at each range's ends, and a window of the
 * last JB_VERIFY_WINDOW records' MAC prefixes (8 bytes each) to tell a duplicate (the same MAC)
 * from a fork (another record sealed with the same number); plus one entry per failed line (what
 * the report lists). Nothing grows with the number of records that verify. Per key, the epoch
 * keys are derived once: K_e at every JB_VERIFY_CHECKPOINT-th epoch is kept, so reaching any
 * epoch costs at most that many HMACs after the first pass. */

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "util.h"

#define JB_VERIFY_WINDOW 4096
#define JB_VERIFY_CHECKPOINT 1024
/* A seal.epoch above this is not accepted (deriving it would take hours): 2^32 epochs are 8,000
 * years of the default epoch length. */
#define JB_VERIFY_EPOCH_MAX UINT64_C(4294967295)

typedef struct jb_verifier jb_verifier;

/* 0 or -ENOMEM. */
int jb_verifier_new(jb_verifier **ret);
/* Frees it and wipes the keys. NULL-safe; returns NULL. */
jb_verifier *jb_verifier_free(jb_verifier *v);

/* Add the verification keys of a key file's text (one "jbridge-verify-key ..." line per host, '#'
 * comments and empty lines ignored). name: the file's name for messages. -EBADMSG with err naming
 * name:line and why, -EEXIST for a KEYID given twice with another key, -ENOMEM. */
int jb_verifier_add_keys(jb_verifier *v, const char *name, const char *text, size_t n, jb_error *err);

/* The lines that follow come from the file called name (copied; "-" for standard input). 0 or
 * -ENOMEM. */
int jb_verifier_begin_file(jb_verifier *v, const char *name);
/* One line of the current file (its "\n" may be there or not). Counts lines; an empty line is
 * counted and skipped. 0 or -ENOMEM (the verifier is then unusable). */
int jb_verifier_line(jb_verifier *v, const char *p, size_t n);

/* The report as text (for people) or JSON (doc/jbridge.md, "jbridge verify"), judging the tails at
 * at_usec (realtime, microseconds), into out. ret_ok: whether everything verified (duplicates
 * and restarts are fine: doc/sealing.md). 0 or -ENOMEM (out is then as it was). */
int jb_verifier_report(const jb_verifier *v, uint64_t at_usec, bool json, jb_buf *out, bool *ret_ok);
