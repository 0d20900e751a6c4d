/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Line patterns for audit logs that are not JSON (Cloudify Manager's REST audit log): literal
 * text with named fields, matched without regular expressions ("dissect" semantics).
 *
 * Syntax:
 *   %{name}         a field: the text up to the first occurrence of the literal text that
 *                   follows it in the pattern, or, for a field at the end, the rest of the line;
 *   %{}             the same, but the text is skipped;
 *   %{name:word}    a field that holds no blank (space, tab) once trimmed: the line does not
 *                   match otherwise (so that a value with blanks cannot be taken for two fields);
 *   %{name*}        the spanning field (at most one): the items before it (the head) are matched
 *                   from the start of the line as above, the items after it (the tail) from the
 *                   end of the line backward (a field there starts after the LAST occurrence of
 *                   the literal text before it), and it takes whatever lies between, so that no
 *                   text inside it can move a field of the head or of the tail; %{*} skips it;
 *   %{name=value}   a constant field: adds name="value" when the pattern matches, reads nothing;
 *   %%              a literal '%'; any other character is literal.
 * name: 1 to 32 characters of A-Z a-z 0-9 _ . - (a valid RFC 5424 PARAM-NAME as it is).
 * A field's text loses its leading and trailing blanks (space, tab, CR, LF); a field left empty is
 * not added. A pattern matches a whole line: from its first byte, and the last literal (if the pattern ends
 * with one) must end the line, trailing blanks, CR and LF aside. There is no backtracking: a
 * field ends at the first occurrence of what follows it (in the tail: starts at the last
 * occurrence of what precedes it). With a spanning field the tail is matched first and the head
 * within what the tail leaves; without one the whole pattern is a head. A match costs O(n * L)
 * for a line of n bytes and a longest literal of L bytes. Two reading fields side by side (%{a}%{b}) are
 * ambiguous and rejected, and so is a pattern without any literal text. */

#include <stddef.h>

#include "record.h"
#include "util.h"

#define JB_PATTERN_MAX_ITEMS 64

typedef struct jb_pattern jb_pattern;

/* Compile text (copied). -EINVAL with a message in err naming the position, -ENOMEM. */
int jb_pattern_new(const char *text, jb_pattern **ret, jb_error *err);
jb_pattern *jb_pattern_free(jb_pattern *p);

/* The pattern's text as given. Borrowed from p. */
const char *jb_pattern_text(const jb_pattern *p);

/* Match the line (n bytes, need not be NUL-terminated). On a match, appends the fields to
 * ret_fields/ret_n (reallocated; names and keys are the field names, values new copies; a pattern
 * has at most JB_PATTERN_MAX_ITEMS items) and returns 1; 0 when the line does not match (nothing
 * changed); -ENOMEM (fields appended before the failure stay, the caller clears them). */
int jb_pattern_match(const jb_pattern *p, const char *line, size_t n, jb_field **ret_fields, size_t *ret_n);
