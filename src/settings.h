/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The bridge's settings: their defaults (jb_config_init) and their validation (jb_config_check),
 * once for every adapter. An adapter fills a jb_config from its own options or parameters, asks
 * jb_config_check() whether it is valid, and names the setting it reports in its own words (a
 * command-line option, an rsyslog parameter). */

#include <stdbool.h>
#include <stddef.h>

#include "journal.h"
#include "seal.h"
#include "trust.h"
#include "util.h"

typedef struct jb_config {
    jb_source source;
    const char *const *containers; /* globs on CONTAINER_NAME, any may match */
    size_t n_containers;
    const char *const *images; /* globs on IMAGE_NAME, any may match */
    size_t n_images;
    const char *const *matches; /* FIELD=VALUE journal matches */
    size_t n_matches;
    bool all_entries;           /* keep entries that are not Docker's */
    const char *const *markers; /* audit markers; none: the profile's ("[Audit Log]" for "tfe") */
    size_t n_markers;
    const char *profile;         /* recognition profile (profile.h); NULL: "tfe" */
    const char *const *patterns; /* audit line patterns (pattern.h); none: the profile's */
    size_t n_patterns;
    size_t max_line;    /* default 1 MiB */
    size_t max_pending; /* default 32, at most JB_PARTIAL_MAX_PENDING_LIMIT */
    bool read_ahead;    /* read the journal in a thread of its own (readahead.h); default true */

    /* Trusted writers (trust.h): SPECs added to the built-in ones ("none" drops those); what
     * happens to other writers' container entries (default JB_UNTRUSTED_FLAG). */
    const char *const *trust;
    size_t n_trust;
    jb_untrusted_action untrusted;
    /* Audit scope (audit.h): globs on the containers audit may come from (none: the profile's),
     * and where a marker stands: "line-start" (NULL, the default) or "anywhere". */
    const char *const *audit_containers;
    size_t n_audit_containers;
    const char *audit_anchor;
    /* Issue 17: journal fields copied into container@PEN (globs on field names, e.g.
     * "COM_HASHICORP_*"; none: only the tag); globs on the wrapped form's component a record must
     * match (none: every record; a line that is not wrapped has the component ""); the message
     * written: "line" (NULL, the default: the whole line) or "inner" (a wrapped line's "log"). */
    const char *const *container_fields;
    size_t n_container_fields;
    const char *const *components;
    size_t n_components;
    const char *message;

    /* Sealing (seal.h, doc/sealing.md): the key file (seal.key_path NULL: no sealing), the sealed
     * streams (default: audit), the epoch's records and time, the heartbeat interval. */
    jb_seal_config seal;
} jb_config;

/* The defaults: the system journal, Docker's entries only, the "tfe" profile, the split-line
 * limits of partial.h, read-ahead on, no sealing (jb_seal_config_init). */
void jb_config_init(jb_config *c);

/* The settings jb_config_check() can report. */
typedef enum jb_config_setting {
    JB_CONFIG_SOURCE,           /* more than one of source.directory, source.files, source.name_space */
    JB_CONFIG_CONTAINERS,       /* an empty glob */
    JB_CONFIG_IMAGES,           /* an empty glob */
    JB_CONFIG_MATCHES,          /* not FIELD=VALUE (jb_match_valid) */
    JB_CONFIG_MARKERS,          /* an empty marker: it would match every line */
    JB_CONFIG_PROFILE,          /* not a built-in profile */
    JB_CONFIG_PATTERNS,         /* empty, or does not compile (pattern.h) */
    JB_CONFIG_MAX_LINE,         /* 0 */
    JB_CONFIG_MAX_PENDING,      /* 0, or over JB_PARTIAL_MAX_PENDING_LIMIT */
    JB_CONFIG_TRUST,            /* not a SPEC (trust.h) */
    JB_CONFIG_UNTRUSTED,        /* not flag or drop (jb_config_check_value only: the config holds the enum) */
    JB_CONFIG_AUDIT_CONTAINERS, /* an empty glob */
    JB_CONFIG_AUDIT_ANCHOR,     /* not "line-start" or "anywhere" */
    JB_CONFIG_CONTAINER_FIELDS, /* not a glob on journal field names (A-Z, 0-9, _ and *?[]!-) */
    JB_CONFIG_COMPONENTS,       /* an empty glob */
    JB_CONFIG_MESSAGE,          /* not "line" or "inner" */
    JB_CONFIG_DIRECTORY,        /* source.directory empty */
    JB_CONFIG_NAMESPACE,        /* source.name_space empty, or not a name (a '/', "." or "..") */
    /* Sealing (seal.h): an empty key file path; streams not audit, app or app,audit
     * (jb_config_check_value only: the config holds bools); epoch records 0 or over
     * JB_SEAL_EPOCH_RECORDS_MAX; epoch seconds and heartbeat under 1 s or over JB_SEAL_SECONDS_MAX */
    JB_CONFIG_SEAL_KEY,
    JB_CONFIG_SEAL_STREAMS,
    JB_CONFIG_SEAL_EPOCH_RECORDS,
    JB_CONFIG_SEAL_EPOCH_SECONDS,
    JB_CONFIG_SEAL_HEARTBEAT,
    JB_CONFIG_PER_HOST /* source.per_host without source.directory (issue 19) */
} jb_config_setting;

/* The longest max_line (1 GiB: rsyslog's message lengths are ints), for every adapter. */
#define JB_CONFIG_MAX_LINE_LIMIT (1ULL << 30)

/* Check one value of the list setting s (containers, images, matches, markers, patterns, trust,
 * audit containers, container fields, components), the profile name, the untrusted action, the
 * audit anchor, the message kind, the directory, the namespace or the sealed streams
 * (jb_seal_streams_parse), for an adapter
 * that checks values as it reads them. 0, or -EINVAL with err saying what is wrong without naming
 * the setting (e.g. "'x': expected FIELD=VALUE, FIELD made of A-Z, 0-9 and _", "needs a non-empty
 * text"), so that the adapter puts its own name for it first; -ENOMEM. */
int jb_config_check_value(jb_config_setting s, const char *value, jb_error *err);

/* True when match is FIELD=VALUE with a valid journal field name (A-Z, 0-9, _; not starting with a
 * digit; at most 64 characters). The value may be empty. */
bool jb_match_valid(const char *match);

/* Check the whole configuration, every setting in the order of jb_config_setting. 0, or -EINVAL
 * with the first bad setting in *ret_setting and err as jb_config_check_value() words it (the
 * source: "only one source may be given"); -ENOMEM. */
int jb_config_check(const jb_config *c, jb_config_setting *ret_setting, jb_error *err);
