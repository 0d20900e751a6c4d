/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Audit recognition: finds a marker (default "[Audit Log]") followed by a JSON object, or the
 * newer wrapped form, a line that is itself a JSON object whose "log" string holds such a line.
 * Three files: audit.c (the rules, the markers and the matcher), audit-flat.c (flat objects, parsed
 * without a JSON library) and audit-json.c (the rest, the only file that includes the JSON
 * library; it points the library's process-wide allocator at the core's, jb_malloc, once, before
 * its first parse). */

#include <stdbool.h>
#include <stddef.h>

#include "record.h"
#include "util.h"

#define JB_AUDIT_DEFAULT_MARKER "[Audit Log]"

/* The keys every Terraform Enterprise audit record carries; a record missing one is MALFORMED
 * (reason "missing key NAME") but still audit. */
extern const char *const jb_audit_required_keys[6];

typedef struct jb_audit_matcher jb_audit_matcher;

/* What a matcher recognizes: a built-in profile (profile.h: "tfe", the default, or "cloudify"),
 * whose markers and line patterns (pattern.h) are replaced by the ones given here when there are
 * any. Strings are copied. */
typedef struct jb_audit_opts {
    const char *profile; /* NULL: "tfe" */
    const char *const *markers;
    size_t n_markers; /* 0: the profile's markers */
    const char *const *patterns;
    size_t n_patterns; /* 0: the profile's patterns */
} jb_audit_opts;

/* New matcher for o (NULL: the defaults). -EINVAL with a message in err for an unknown profile,
 * an empty marker or a pattern that does not compile; -ENOMEM. *ret is written only on success. */
int jb_audit_matcher_new_opts(const jb_audit_opts *o, jb_audit_matcher **ret, jb_error *err);
jb_audit_matcher *jb_audit_matcher_free(jb_audit_matcher *m);

/* Recognize the message (n bytes, may contain NULs, need not be NUL-terminated).
 * Fills *ret (which must be zeroed or cleared before) and returns 0; -ENOMEM on allocation failure
 * (then *ret is cleared). Rules, in order:
 *  1. the message, after leading blanks, is a JSON object with a string member "log": recognition
 *     runs on that string (marker inside it: audit; none: application);
 *  2. otherwise the first occurrence of a marker in the message: the text after it (blanks
 *     skipped) must be a JSON object; trailing text after the object is allowed;
 *  3. no marker: the line patterns in order; the first that matches the whole line makes the
 *     record JB_AUDIT_OK with its fields (ret->json: a copy of the line);
 *  4. otherwise JB_AUDIT_NONE.
 * Rule 1 is tried only when the line holds a marker in raw or JSON-escaped form, so application
 * lines never reach the JSON parser; a wrapper that does not parse falls back to rule 2.
 * Nested objects and arrays are flattened to fields with '.'-joined keys ("actor.name",
 * "tags.0"); an empty object or array gives one field "{}" or "[]"; a duplicated key keeps its
 * first place and its last value. At most JB_AUDIT_MAX_FIELDS fields are kept; beyond that the
 * record is MALFORMED with reason "too many keys" (the JSON text is still kept whole).
 * MALFORMED reasons: "no JSON after marker", "invalid JSON", "not a JSON object" (ret->json: the
 * rest of the line after the marker, or the non-object value), "missing key NAME" (checked in
 * jb_audit_required_keys order, before "too many keys"). */
#define JB_AUDIT_MAX_FIELDS 256

/* true (the default): flat audit objects (string, integer, true, false and null members in
 * printable ASCII, no escapes) are parsed without the JSON library, with the same result. Tests
 * set it to false to compare both paths. */
extern bool jb_audit_fast_path;
int jb_audit_recognize(const jb_audit_matcher *m, const char *msg, size_t n, jb_audit *ret);
