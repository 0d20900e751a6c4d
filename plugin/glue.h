/* SPDX-License-Identifier: Apache-2.0 */
#ifndef JB_PLUGIN_GLUE_H
#define JB_PLUGIN_GLUE_H

/* What both rsyslog modules share: turning a core record into rsyslog message properties, and the
 * load-time ABI check. Include after rsyslog's headers (rsyslog's config.h is force-included). */

#include "record.h"

/* Values that many messages carry (the stream names; the name, id and image of the last 64
 * containers seen) as JSON strings made once and referenced by every message that carries them,
 * instead of one allocation per message and value. Safe to share across rsyslog's threads:
 * libfastjson counts references atomically, and rsyslog never changes a string in place (`set`
 * replaces it in the message's own object); nothing serializes a leaf on its own (a leaf's print
 * buffer stays unused). One cache per worker thread: the cache itself is not locked. */
typedef struct jbglue_strings jbglue_strings;
jbglue_strings *jbglue_strings_new(void);
void jbglue_strings_free(jbglue_strings *s); /* messages keep their references */

/* Set $!jbridge!stream|id (and audit/reason/line flags), $!container!name|id|image (when the
 * record has a container) and $!audit!KEY for every audit field (values as strings, KEY the
 * original JSON path with nested keys joined by '.'). rec->message is not used. shared: NULL, or
 * a cache of the strings to share (see above). */
rsRetVal jbglue_add_json(smsg_t *pMsg, const jb_record *rec, jbglue_strings *shared);

/* Only $!jbridge!* and $!audit!* from an audit result (mmjbridge, which has no container). */
rsRetVal jbglue_add_audit_json(smsg_t *pMsg, jb_stream stream, const jb_audit *audit);

/* Check at load time that smsg_t as these headers lay it out is what the running rsyslogd's own
 * setters write: a module built against mismatched headers refuses to load instead of corrupting
 * messages. name: the module name for the error message. */
rsRetVal jbglue_check_abi(const char *name);

/* An array parameter's strings as C strings (both modules' array parameters). */
struct cnfarray;
struct cnfparamvals;
typedef struct jbglue_strlist {
    char **v;
    size_t n;
} jbglue_strlist;
/* Replaces what l held; on failure l holds the strings copied so far (free it). */
rsRetVal jbglue_strlist_from_array(jbglue_strlist *l, struct cnfarray *ar);

/* A number parameter of module (for the message) in [min, max]: rsyslog parses numbers into 64
 * bits and the settings are narrower, so a value out of range fails -N1 naming param instead of
 * being truncated. *ret is written only on success. */
rsRetVal jbglue_number(const char *module, struct cnfparamvals *v, const char *param, long long min, long long max,
                       long long *ret);
void jbglue_strlist_free(jbglue_strlist *l);

/* Facility from a parameter value: a number 0-23 or a name ("user", "local0", "audit"...).
 * -1 when invalid. */
int jbglue_facility(const char *s);

#endif
