/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Trusted writers (issue 15): an entry counts as a container's only when the fields journald sets
 * itself (_TRANSPORT, _UID, _GID, _COMM, _EXE, _SYSTEMD_UNIT; a writer cannot choose them) show
 * that a container runtime wrote it. Any local user can write CONTAINER_NAME and the rest.
 *
 * A writer is described by a SPEC: one or more conditions KEY=VALUE separated by commas, all of
 * which must hold. KEY is one of comm, exe, uid, gid, unit, transport (the journal fields _COMM,
 * _EXE, _UID, _GID, _SYSTEMD_UNIT, _TRANSPORT); each key at most once; VALUE is compared exactly
 * (uid and gid as decimal numbers, 0 to 4294967295), is not empty and holds no comma. A field the
 * entry lacks fails its condition. The SPEC "none" (alone) drops the built-in writers.
 *
 * The built-in writers, always trusted unless "none" is given: rootful Docker
 * (comm=dockerd,uid=0,transport=journal) and Podman's journald driver
 * (comm=conmon,uid=0,transport=journal). SPECs given by the operator add writers to them. */

#include <stdbool.h>
#include <stddef.h>

#include "entry.h"
#include "util.h"

/* What happens to an entry with container fields from an untrusted writer. */
typedef enum jb_untrusted_action {
    JB_UNTRUSTED_FLAG = 0, /* the application stream, flagged trust="untrusted" (default) */
    JB_UNTRUSTED_DROP = 1, /* not delivered (counted) */
} jb_untrusted_action;

/* The built-in writers as SPECs, NULL-terminated (for documentation and tests). */
extern const char *const jb_trust_defaults[];

/* Check one SPEC. 0, or -EINVAL with err saying what is wrong without naming the setting. */
int jb_trust_spec_check(const char *spec, jb_error *err);

/* "flag" or "drop" into *ret. 0, or -EINVAL with err. */
int jb_untrusted_action_parse(const char *value, jb_untrusted_action *ret, jb_error *err);

typedef struct jb_trust jb_trust;

/* The built-in writers plus specs[0..n) (all checked; "none" drops the built-in ones). 0, or
 * -EINVAL (a bad SPEC) / -ENOMEM with err. */
int jb_trust_new(const char *const *specs, size_t n, jb_trust **ret, jb_error *err);
jb_trust *jb_trust_free(jb_trust *t);

/* True when one of the writers matches the trusted fields of e. */
bool jb_trust_match(const jb_trust *t, const jb_entry *e);
