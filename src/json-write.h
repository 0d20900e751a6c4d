/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Writing JSON with no JSON library: the string escaper (bundle manifests, the JSON-escaped forms
 * of audit markers) and a small writer that lays a document out one member per line, indented by
 * two spaces per level, members in the order written (the layout json_dumps() gives with
 * JSON_INDENT(2)). Parsing JSON stays in the audit recognition (audit-json.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Append the n bytes at s as the body of a JSON string (no quotes): '"', '\' and the control
 * characters escaped ("\n" and the like where JSON has a short form, else "\u00xx" in lowercase
 * hex, as Python and Go write it); with ascii, also every non-ASCII character (as \uXXXX, or a
 * surrogate pair) and <>&' (as Python, Go and Rails do). s must be well-formed UTF-8.
 * 0, -EINVAL when it is not (out then holds part of the text), -ENOMEM. */
int jb_json_escape(jb_buf *out, const char *s, size_t n, bool ascii);

/* A document being written into out. Start with {.out = buf}; each call adds one value (key is its
 * member name inside an object, NULL inside an array or for the document itself) and returns the
 * writer's error: the first failure (-ENOMEM, or -EINVAL for a string that is not UTF-8) sticks and
 * makes the later calls do nothing, so a caller may check only at the end. */
typedef struct jb_json_writer {
    jb_buf *out;
    unsigned depth;
    bool first; /* the object or array being written has no member yet */
    int error;
} jb_json_writer;

/* Open an object (bracket '{') or an array ('['); close it with '}' or ']'. An empty one is
 * written "{}" or "[]". */
int jb_json_open(jb_json_writer *w, const char *key, char bracket);
int jb_json_close(jb_json_writer *w, char bracket);

/* A string (value NULL: null) and an unsigned integer. */
int jb_json_string(jb_json_writer *w, const char *key, const char *value);
int jb_json_uint(jb_json_writer *w, const char *key, uint64_t value);
/* true or false. */
int jb_json_bool(jb_json_writer *w, const char *key, bool value);
