/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Built-in recognition profiles: the audit markers and line patterns (pattern.h) one platform's
 * audit records are recognized by.
 *   "tfe"       Terraform Enterprise (the default): the marker "[Audit Log]" followed by JSON, from
 *               the containers ptfe_atlas, tfe-atlas and terraform-enterprise, in the wrapped
 *               form only from the component "atlas" (the platform's documentation: the audit
 *               logs are emitted by the atlas service);
 *   "cloudify"  Cloudify Manager's REST audit log: no marker, the patterns of its line shapes
 *               (jb_profile_cloudify_patterns, documented in doc/jbridge.md). */

#include <stdbool.h>
#include <stddef.h>

#define JB_PROFILE_DEFAULT "tfe"

typedef struct jb_profile {
    const char *name;
    const char *const *markers; /* audit markers (a marker followed by a JSON object) */
    size_t n_markers;
    const char *const *patterns; /* line patterns, tried in order after the markers */
    size_t n_patterns;
    const char *const *audit_containers; /* globs on the container names audit may come from (none: any) */
    size_t n_audit_containers;
    const char *const *components; /* wrapped form: the "component" values audit may come from (none: any) */
    size_t n_components;
    const char *const *wrapped_containers; /* containers whose audit comes only in the wrapped form */
    size_t n_wrapped_containers;
} jb_profile;

/* The profile called name (NULL: JB_PROFILE_DEFAULT), or NULL when there is none. Static data. */
const jb_profile *jb_profile_get(const char *name);

/* The names of the built-in profiles, NULL-terminated, for help texts and error messages. */
extern const char *const jb_profile_names[];

/* The names of the built-in profiles as a list for a message: "tfe, cloudify" with last_sep ", ",
 * "tfe or cloudify" with " or "; mark_default adds " (default)" after JB_PROFILE_DEFAULT. Written
 * into buf as snprintf does (always NUL-terminated when size > 0); returns the length of the
 * whole list. */
size_t jb_profile_list(char *buf, size_t size, const char *last_sep, bool mark_default);
