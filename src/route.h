/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "record.h"

/* The routing policy, a pure function: a record with an audit marker (well-formed or not) goes
 * to the audit stream, and so do the further parts of such a line cut at the maximum line size;
 * everything else goes to the application stream. Adapters only apply it. */
jb_stream jb_route(const jb_record *rec);
