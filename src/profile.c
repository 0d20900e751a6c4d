/* SPDX-License-Identifier: Apache-2.0 */
#include "profile.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "util.h"

static const char *const tfe_markers[] = {JB_AUDIT_DEFAULT_MARKER};
/* Terraform Enterprise's documentation: "The audit logs are emitted along with other logs by the
 * ptfe_atlas container" (Replicated installs; tfe-atlas in later ones); the single-container
 * install (terraform-enterprise) wraps each service's line as {"component":"atlas","log":"..."}. */
static const char *const tfe_audit_containers[] = {"ptfe_atlas", "tfe-atlas", "terraform-enterprise"};
static const char *const tfe_components[] = {"atlas"};
static const char *const tfe_wrapped_containers[] = {"terraform-enterprise"};

/* Cloudify Manager's REST audit log.
 * Newer managers write it as a gunicorn access log with the format
 *   %(t)s %(h)s %({X-Cloudify-Audit-Username}o)s %({X-Cloudify-Audit-Tenant}o)s
 *   %({X-Cloudify-Audit-Auth-Method}o)s "%(r)s" %(s)s %(b)s "%(a)s" took %(M)sms
 * where %(t)s is "[27/Mar/2018:21:55:29 +0000]" and a missing header gives "-". gunicorn escapes
 * nothing: the user agent, the headers (user, tenant, auth method) and the request's path may hold
 * quotes, "took 1ms" and the like; only the path is free of spaces (gunicorn's request line is
 * split at them). So the user agent is the spanning field, the duration is read from the end, the
 * request line and what precedes it from the start, and user, tenant and auth method are taken
 * apart only when none of them holds a blank (auth_method:word; else they could be told apart in
 * more than one way). The first pattern splits the request line, the second keeps a request line
 * that is not "METHOD PATH PROTOCOL"; the third keeps, for a line whose user, tenant or auth method
 * holds a blank, what is certain (time, origin, duration) and the rest unsplit, so that no audit
 * line is lost and no hostile value moves another field.
 * Older managers (rest-security-audit.log) wrote flask-securest's messages behind a
 * "[TIME] [LEVEL] " prefix:
 *   user "NAME" authenticated successfully from host [HOST/ADDRESS], authentication provider: METHOD
 *   User unauthorized; user tried to login from host [HOST/ADDRESS];
 *   all authentication methods failed: ... (the reason, on the following lines)
 * where "[HOST/ADDRESS]" is "[ADDRESS]" when the address has no name. */
static const char *const cloudify_patterns[] = {
    "[%{time}] %{origin} %{user} %{tenant} %{auth_method:word} \"%{method} %{path} %{protocol:word}\" %{status} "
    "%{bytes} \"%{user_agent*}\" took %{duration_ms}ms",
    "[%{time}] %{origin} %{user} %{tenant} %{auth_method:word} \"%{request}\" %{status} %{bytes} "
    "\"%{user_agent*}\" took %{duration_ms}ms",
    "[%{time}] %{origin} %{unsplit*} took %{duration_ms}ms",
    "%{outcome=success}[%{time}] [%{level}] user \"%{user}\" authenticated successfully from host "
    "[%{origin_host}/%{origin}], authentication provider: %{auth_method}",
    "%{outcome=success}[%{time}] [%{level}] user \"%{user}\" authenticated successfully from host [%{origin}], "
    "authentication provider: %{auth_method}",
    "%{outcome=failure}[%{time}] [%{level}] User unauthorized; user tried to login from host "
    "[%{origin_host}/%{origin}];%{reason}",
    "%{outcome=failure}[%{time}] [%{level}] User unauthorized; user tried to login from host [%{origin}];%{reason}",
};

static const jb_profile profiles[] = {
    {"tfe", tfe_markers, JB_ELEMENTSOF(tfe_markers), NULL, 0, tfe_audit_containers, JB_ELEMENTSOF(tfe_audit_containers),
     tfe_components, JB_ELEMENTSOF(tfe_components), tfe_wrapped_containers, JB_ELEMENTSOF(tfe_wrapped_containers)},
    /* Cloudify's logs are files (imfile, mmjbridge), not containers: no container scope. */
    {"cloudify", NULL, 0, cloudify_patterns, JB_ELEMENTSOF(cloudify_patterns), NULL, 0, NULL, 0, NULL, 0},
};

const char *const jb_profile_names[] = {"tfe", "cloudify", NULL};
_Static_assert(JB_ELEMENTSOF(jb_profile_names) == JB_ELEMENTSOF(profiles) + 1, "one name per profile");

const jb_profile *jb_profile_get(const char *name) {
    if (!name) name = JB_PROFILE_DEFAULT;
    for (size_t i = 0; i < JB_ELEMENTSOF(profiles); i++)
        if (strcmp(profiles[i].name, name) == 0) return &profiles[i];
    return NULL;
}

size_t jb_profile_list(char *buf, size_t size, const char *last_sep, bool mark_default) {
    size_t len = 0;
    for (size_t i = 0; jb_profile_names[i]; i++) {
        const char *sep = i == 0 ? "" : jb_profile_names[i + 1] ? ", " : last_sep;
        const char *mark = mark_default && strcmp(jb_profile_names[i], JB_PROFILE_DEFAULT) == 0 ? " (default)" : "";
        int n = snprintf(buf + (len < size ? len : size), len < size ? size - len : 0, "%s%s%s", sep,
                         jb_profile_names[i], mark);
        if (n > 0) len += (size_t)n;
    }
    if (size > 0 && len == 0) buf[0] = 0;
    return len;
}
