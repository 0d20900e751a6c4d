/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* RFC 5424 structured data. Records of a container (CONTAINER_NAME not empty) get
 *   [container@PEN name="..." id="..." image="..." tag="..." component="..." FIELD="..." ...]
 * (other journal entries have no container, so the element is left out rather than sent empty);
 * tag only when the operator set one (record.h), component only for the wrapped form, then one
 * parameter per journal field named by the setting "container fields", named after the field (its
 * first 32 characters: journal field names are upper case, so they never meet the lower-case names
 * before them);
 * every record gets
 *   [jbridge@PEN id="RECORD-ID" stream="app|audit" ...flags]
 * and audit records also
 *   [audit@PEN KEY="VALUE" ...]   one parameter per audit field, in document order.
 * and, when rec->sequence is not 0, last
 *   [meta sequenceId="N"]         the record's number in its stream (RFC 5424 section 7.3.1).
 * Flags in jbridge@PEN, present only when they apply: audit="malformed" reason="...",
 * renamed="N" (audit parameter names made unique, see jb_audit.renamed),
 * line="reassembled|incomplete|overflow" pieces="N", peer="unauthenticated" (record.h).
 * Keeping the flags out of audit@PEN means no audit key can forge them. */

#include <stdbool.h>
#include <stddef.h>

#include "record.h"
#include "util.h"

#define JB_SD_DEFAULT_PEN 32473u
#define JB_SD_NAME_MAX 32

/* Map arbitrary bytes to a valid PARAM-NAME into out (NUL-terminated): bytes outside 33-126
 * and '=', ']', '"' become '_', the result is cut to max (1..32) characters; empty input gives
 * "_". Deterministic, so the same JSON key always gives the same name. */
void jb_sd_name(const char *p, size_t n, size_t max, char *out);

/* Append a PARAM-VALUE body (without quotes) for n bytes at p: '"', '\' and ']' get a backslash,
 * control characters (0x00-0x1f, 0x7f) become #ooo as rsyslog writes them, invalid UTF-8 bytes
 * become U+FFFD. The value can therefore never end the element or the line. */
int jb_sd_append_value(jb_buf *out, const char *p, size_t n);

/* Append the structured data of rec (the elements above, no surrounding spaces).
 * pen: the private enterprise number (1..4294967295; 0 means JB_SD_DEFAULT_PEN). Field names are
 * passed through jb_sd_name() again, so a bad name can never break the element.
 * 0 or -ENOMEM; on failure out is left as it was. */
int jb_sd_build(const jb_record *rec, unsigned pen, jb_buf *out);

/* The container elements last built, for a caller that builds the structured data of many records
 * in a row: the records of a container (the same name, id, image and PEN) reuse its element
 * instead of escaping the three values again. A slot per hash of the container id; a container
 * whose id hashes to a taken slot replaces the one there. Zero-initialize it; one per thread;
 * jb_sd_cache_done() at the end. */
#define JB_SD_CACHE_SLOTS 16 /* a power of two */

typedef struct jb_sd_cache_slot {
    jb_buf element; /* "[container@PEN name=... id=... image=... tag=...]" (tag when set) */
    jb_buf key;     /* name, id, image and tag, each with its NUL */
    unsigned pen;
    bool valid;
} jb_sd_cache_slot;

typedef struct jb_sd_cache {
    jb_sd_cache_slot slot[JB_SD_CACHE_SLOTS];
} jb_sd_cache;

/* jb_sd_build() through cache (NULL: none); the output is the same. On failure out is left as it
 * was and the record's slot is emptied. */
int jb_sd_build_cached(const jb_record *rec, unsigned pen, jb_sd_cache *cache, jb_buf *out);
void jb_sd_cache_done(jb_sd_cache *cache);

/* Walk the structured data s (n bytes, need not be NUL-terminated): check that it is a
 * syntactically valid RFC 5424 STRUCTURED-DATA ("-" or one or more elements) with unique SD-IDs,
 * and nothing after the last element, calling v back (v and either callback may be NULL) in
 * document order: element() at each SD-ELEMENT's SD-ID, before its parameters; param() for each
 * SD-PARAM of that element, with the PARAM-VALUE as written between the quotes (escapes kept).
 * Slices borrow from s. The callbacks run as the walk goes, so they may see elements before a
 * later error: a caller that gets -EBADMSG drops what they gathered. A callback's non-zero
 * return stops the walk, which returns it.
 * PARAM-VALUEs must be well-formed UTF-8 with '"', '\' and ']' escaped (a backslash before any
 * other character is a plain backslash, as the RFC says); control characters are valid UTF-8 and
 * therefore accepted. Needs no memory. 0, -EBADMSG, or a callback's value. */
typedef struct jb_sd_visitor {
    int (*element)(const char *id, size_t id_len, void *userdata);
    int (*param)(const char *name, size_t name_len, const char *value, size_t value_len, void *userdata);
} jb_sd_visitor;

int jb_sd_walk(const char *s, size_t n, const jb_sd_visitor *v, void *userdata);

/* jb_sd_walk() without callbacks: 0 or -EBADMSG. */
int jb_sd_validate(const char *s, size_t n);
