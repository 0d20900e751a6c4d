/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What a record tells of its container beyond name, id and image (issue 17): the tag the operator
 * gave Docker (--log-opt tag=), the journal fields the operator names (Docker's labels and env,
 * e.g. COM_HASHICORP_TFE_ROLE), the component of the wrapped form ({"component":"nginx","log":...},
 * found by audit recognition, audit.h) and which text becomes the message. Policies only: the
 * journal reader keeps the fields (jb_journal_set_extra_fields()), sd.c and the adapters write
 * them. */

#include <stdbool.h>
#include <stddef.h>

#include "entry.h"
#include "record.h"

/* The message a record carries: the whole line (the default) or, for a line in the wrapped form,
 * the text of its "log" string. */
typedef enum jb_message_kind {
    JB_MESSAGE_LINE = 0,
    JB_MESSAGE_INNER = 1,
} jb_message_kind;

/* "line" or "inner" (NULL: the default, line) into *ret; -EINVAL for anything else. */
int jb_message_kind_from_string(const char *s, jb_message_kind *ret);

/* True when glob is a valid glob on journal field names: 1 to 64 characters, each A-Z, 0-9, '_'
 * or one of the fnmatch characters "*?[]!-". */
bool jb_field_glob_valid(const char *glob);

/* The tag to show for e: CONTAINER_TAG when it is not empty and differs from the short and the
 * full container id (Docker's default tag is the short id), else "". Borrowed from e. */
const char *jb_container_tag(const jb_entry *e);

/* The extra fields of e (jb_entry.extra) as an array in *v (grown as needed, *cap its size; the
 * caller frees *v with jb_free), borrowed from e. 0 with the count in *ret_n, or -ENOMEM (*v and
 * *cap still valid). */
int jb_container_fields(const jb_entry *e, jb_container_field **v, size_t *cap, size_t *ret_n);
