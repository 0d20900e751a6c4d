/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What the three files of the audit recognition share: audit.c (the rules and the markers),
 * audit-flat.c (flat objects, parsed without a JSON library) and audit-json.c (everything else,
 * through the JSON library: the only file of the core that includes it). */

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

/* audit.c: the "missing key NAME" reason for the first required key (jb_audit_required_keys
 * order) that has(ctx, key) does not find at the top of the object, or NULL when it has them all. */
const char *jb__audit_missing_key(bool (*has)(const void *ctx, const char *key), const void *ctx);

/* audit-flat.c: the flat object at the start of p (n bytes; JSON whitespace before it, any text
 * after it). 1 with a filled as jb__audit_json_object() would, 0 to leave it to that (nothing
 * done), -ENOMEM. */
int jb__audit_flat_object(const char *p, size_t n, jb_audit *a);

/* audit-flat.c: the wrapped form without a JSON library (issue 17): when p (n bytes, JSON
 * whitespace around it) is one JSON object with a member "log", whose keys are plain strings and
 * whose values are all strings (as the platform writes it), set a->wrapped and its component
 * (jb__audit_set_component()). Never allocates; anything else leaves a as it was. */
void jb__audit_flat_wrapper(const char *p, size_t n, jb_audit *a);

/* audit.c: the component c (len bytes; NULL: none) into a when it has 1 to JB_COMPONENT_MAX bytes
 * and no NUL, else "". */
void jb__audit_set_component(jb_audit *a, const char *c, size_t len);

/* audit-json.c: rule 2 on the text after a marker (p, n bytes, blanks skipped): fill a (kind
 * MALFORMED with its reason, or OK with the fields). 0 or -ENOMEM. */
int jb__audit_json_object(const char *p, size_t n, jb_audit *a);

/* audit-json.c: rule 1. When p (n bytes) is a JSON object with a string member "log", returns
 * inner(log, log_len, component, component_len, userdata) when that is negative, else 1 (component:
 * the string member "component", NULL when there is none or it is not a string); 0 when p is not
 * such an object; -ENOMEM. */
int jb__audit_json_unwrap(const char *p, size_t n,
                          int (*inner)(const char *log, size_t n, const char *component, size_t component_len,
                                       void *userdata),
                          void *userdata);
