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

/* Where a marker must stand for the line to be audit (the setting "audit anchor"):
 *   JB_AUDIT_ANCHOR_LINE_START (the default): at the start of the line, after blanks, the
 *     platform's optional timestamp (one or two words of digits and "-:.,/+TZ" starting with a
 *     digit: "2018-03-27 21:55:29", "2018-03-27T21:55:29.5Z") and optional "[LEVEL]" (1 to 16
 *     letters), each followed by blanks; in the wrapped form, at
 *     the start of the "log" string in the same way, and only when the wrapper's "component" is
 *     one of the profile's (profile.h; "atlas" for "tfe");
 *   JB_AUDIT_ANCHOR_ANYWHERE: the first occurrence anywhere, any wrapper (the behaviour before
 *     issue 15: any text a web client can make the platform echo becomes audit). */
typedef enum jb_audit_anchor {
    JB_AUDIT_ANCHOR_LINE_START,
    JB_AUDIT_ANCHOR_ANYWHERE,
} jb_audit_anchor;

#define JB_AUDIT_ANCHOR_NAMES "line-start or anywhere"

/* "line-start" or "anywhere" (NULL: the default, line-start) into *ret; -EINVAL for anything else. */
int jb_audit_anchor_from_string(const char *s, jb_audit_anchor *ret);

/* jb_audit_recognize() and jb_audit_recognize_scoped(): a marker (or a line pattern) was found
 * but the line is not audit, because the marker does not stand where the anchor says or the
 * container (or the wrapper's component) is not one audit may come from. The result is
 * JB_AUDIT_NONE: the line is application text; adapters count it as audit.rejected. */
#define JB_AUDIT_REJECTED 1

/* What a matcher recognizes: a built-in profile (profile.h: "tfe", the default, or "cloudify"),
 * whose markers and line patterns (pattern.h) are replaced by the ones given here when there are
 * any. Strings are copied. */
typedef struct jb_audit_opts {
    const char *profile; /* NULL: "tfe" */
    const char *const *markers;
    size_t n_markers; /* 0: the profile's markers */
    const char *const *patterns;
    size_t n_patterns;             /* 0: the profile's patterns */
    const char *const *containers; /* globs (fnmatch) on the container name audit may come from */
    size_t n_containers;           /* 0: the profile's list (none: any container) */
    jb_audit_anchor anchor;        /* where a marker must stand; default line-start */
} jb_audit_opts;

/* New matcher for o (NULL: the defaults). -EINVAL with a message in err for an unknown profile,
 * an empty marker, an empty container glob, or a pattern that does not compile; -ENOMEM. *ret is written only on
 * success. */
int jb_audit_matcher_new_opts(const jb_audit_opts *o, jb_audit_matcher **ret, jb_error *err);
jb_audit_matcher *jb_audit_matcher_free(jb_audit_matcher *m);

/* Recognize the message (n bytes, may contain NULs, need not be NUL-terminated).
 * Fills *ret (which must be zeroed or cleared before) and returns 0, or JB_AUDIT_REJECTED (ret:
 * JB_AUDIT_NONE) when the message holds a marker that the anchor does not accept; -ENOMEM on
 * allocation failure (then *ret is cleared). The container scope is not applied (see
 * jb_audit_recognize_scoped()). Rules, in order:
 *  1. the message, after leading blanks, is a JSON object with a string member "log": recognition
 *     runs on that string (marker inside it where the anchor allows: audit; none: application);
 *  2. otherwise the marker where the anchor allows it (line-start: after the timestamp and level;
 *     anywhere: the first occurrence): the text after it (blanks skipped) must be a JSON object;
 *     trailing text after the object is allowed;
 *  3. no marker: the line patterns in order; the first that matches the whole line makes the
 *     record JB_AUDIT_OK with its fields (ret->json: a copy of the line);
 *  4. otherwise JB_AUDIT_NONE.
 * Rule 1 is tried only when the line holds a marker in raw or JSON-escaped form, so application
 * lines never reach the JSON parser; a wrapper that does not parse falls back to rule 2.
 * Nested objects and arrays are flattened to fields with '.'-joined keys ("actor.name",
 * "tags.0"); an empty object or array gives one field "{}" or "[]"; a key that appears twice in
 * one object keeps its first place and its last value, and makes the record MALFORMED with reason
 * "duplicate key" (readers of the JSON text disagree on which value counts). Field names are
 * PARAM-NAMEs (jb_sd_name()); two fields with one name (after that mapping: "resource id" and
 * "resource_id") are made unique, the later one named NAME~2, NAME~3... (ret->renamed counts them).
 * At most JB_AUDIT_MAX_FIELDS fields are kept; beyond that the record is MALFORMED with reason
 * "too many keys" (the JSON text is still kept whole).
 * MALFORMED reasons: "no JSON after marker", "invalid JSON", "not a JSON object" (ret->json: the
 * rest of the line after the marker, or the non-object value), "missing key NAME" (checked in
 * jb_audit_required_keys order, before "too many keys" and "duplicate key"). */
#define JB_AUDIT_MAX_FIELDS 256

/* true (the default): flat audit objects (string, integer, true, false and null members in
 * printable ASCII, no escapes) are parsed without the JSON library, with the same result. Tests
 * set it to false to compare both paths. */
extern bool jb_audit_fast_path;
int jb_audit_recognize(const jb_audit_matcher *m, const char *msg, size_t n, jb_audit *ret);

/* The inner text of the wrapped form (issue 17): when a (the result of recognizing msg, n bytes)
 * is wrapped and holds no copy of the "log" string yet, parse the wrapper (the JSON library, once)
 * and keep it in a->wrap_log. Returns 0 (also when a is not wrapped, or the wrapper does not parse:
 * a->wrap_log stays NULL) or -ENOMEM. */
int jb_audit_inner(const char *msg, size_t n, jb_audit *a);

/* Whether audit may come from the container called container (NUL-terminated; "" for an entry
 * that is not a container's): true when the matcher has no container list or a glob matches. */
bool jb_audit_in_scope(const jb_audit_matcher *m, const char *container);

/* jb_audit_recognize() for a line of the container called container: out of scope, the line is
 * never audit (ret: JB_AUDIT_NONE) and JB_AUDIT_REJECTED is returned when it would have been audit
 * or holds a marker. The same for a line of a container whose audit comes only in the wrapped form
 * (the profile's: terraform-enterprise for "tfe", where every service's line is wrapped and only
 * the atlas component's may be audit) that is audit without the wrapper, unless the anchor is
 * anywhere. Same return values otherwise. */
int jb_audit_recognize_scoped(const jb_audit_matcher *m, const char *container, const char *msg, size_t n,
                              jb_audit *ret);
