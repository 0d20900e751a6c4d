/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Which entries are kept: by default only Docker's (they carry CONTAINER_NAME); then glob patterns
 * (fnmatch) on the container name and on the image name, several of each allowed, any may match;
 * the two lists are combined with AND. Exact FIELD=VALUE matches are journal matches (journal.h). */

#include <stdbool.h>
#include <stddef.h>

#include "entry.h"
#include "util.h"

typedef struct jb_filter jb_filter;

/* Patterns are copied. all_entries: keep entries without CONTAINER_NAME too (they then only pass
 * when no container/image pattern is given). -EINVAL for an empty pattern, -ENOMEM. */
int jb_filter_new(const char *const *containers, size_t n_containers, const char *const *images, size_t n_images,
                  bool all_entries, jb_filter **ret, jb_error *err);
jb_filter *jb_filter_free(jb_filter *f);

bool jb_filter_match(const jb_filter *f, const jb_entry *e);

/* Globs on the component of the wrapped form (issue 17, container.h), copied; they replace those
 * set before. -EINVAL for an empty glob, -ENOMEM. */
int jb_filter_set_components(jb_filter *f, const char *const *globs, size_t n, jb_error *err);

/* The record whose line has the component c (n bytes; "" for a line that is not wrapped) is kept:
 * no component globs, or one matches. A component with a NUL inside matches nothing. */
bool jb_filter_component(const jb_filter *f, const char *c, size_t n);
