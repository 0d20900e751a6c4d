/* SPDX-License-Identifier: Apache-2.0 */
#include "settings.h"

#include "audit.h"
#include "container.h"
#include "partial.h"
#include "pattern.h"
#include "profile.h"

void jb_config_init(jb_config *c) {
    memset(c, 0, sizeof *c);
    c->source.kind = JB_SOURCE_SYSTEM;
    c->max_line = JB_PARTIAL_DEFAULT_MAX_LINE;
    c->max_pending = JB_PARTIAL_DEFAULT_MAX_PENDING;
    c->read_ahead = true;
    jb_seal_config_init(&c->seal);
}

bool jb_match_valid(const char *match) {
    const char *eq = strchr(match, '=');
    if (!eq || eq == match || eq - match > 64) return false;
    if (match[0] >= '0' && match[0] <= '9') return false;
    for (const char *p = match; p < eq; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) return false;
    return true;
}

static int check_pattern(const char *value, jb_error *err) {
    jb_pattern *p = NULL;
    int r = jb_pattern_new(value, &p, err);
    jb_pattern_free(p);
    return r < 0 ? r : 0;
}

int jb_config_check_value(jb_config_setting s, const char *value, jb_error *err) {
    char names[128];
    value = jb_str_or_empty(value);
    switch (s) {
    case JB_CONFIG_CONTAINERS:
    case JB_CONFIG_IMAGES:
        return value[0] ? 0 : jb_error_set(err, -EINVAL, "needs a non-empty pattern");
    case JB_CONFIG_MATCHES:
        if (jb_match_valid(value)) return 0;
        return jb_error_set(err, -EINVAL, "'%s': expected FIELD=VALUE, FIELD made of A-Z, 0-9 and _", value);
    case JB_CONFIG_MARKERS:
        return value[0] ? 0 : jb_error_set(err, -EINVAL, "needs a non-empty text");
    case JB_CONFIG_PROFILE:
        if (jb_profile_get(value)) return 0;
        jb_profile_list(names, sizeof names, " or ", false);
        return jb_error_set(err, -EINVAL, "'%s': expected %s", value, names);
    case JB_CONFIG_PATTERNS:
        return value[0] ? check_pattern(value, err) : jb_error_set(err, -EINVAL, "needs a non-empty pattern");
    case JB_CONFIG_TRUST:
        return jb_trust_spec_check(value, err);
    case JB_CONFIG_UNTRUSTED: {
        jb_untrusted_action a;
        return jb_untrusted_action_parse(value, &a, err);
    }
    case JB_CONFIG_AUDIT_CONTAINERS:
        return value[0] ? 0 : jb_error_set(err, -EINVAL, "needs a non-empty pattern");
    case JB_CONFIG_AUDIT_ANCHOR: {
        jb_audit_anchor a;
        if (jb_audit_anchor_from_string(value, &a) == 0) return 0;
        return jb_error_set(err, -EINVAL, "'%s': expected " JB_AUDIT_ANCHOR_NAMES, value);
    }
    case JB_CONFIG_CONTAINER_FIELDS:
        if (jb_field_glob_valid(value)) return 0;
        return jb_error_set(err, -EINVAL, "'%s': expected a journal field name or a glob on them (A-Z, 0-9, _, *?[]!-)",
                            value);
    case JB_CONFIG_COMPONENTS:
        return value[0] ? 0 : jb_error_set(err, -EINVAL, "needs a non-empty pattern");
    case JB_CONFIG_MESSAGE: {
        jb_message_kind k;
        if (jb_message_kind_from_string(value, &k) == 0) return 0;
        return jb_error_set(err, -EINVAL, "'%s': expected line or inner", value);
    }
    case JB_CONFIG_DIRECTORY:
        return value[0] ? 0 : jb_error_set(err, -EINVAL, "needs a directory name");
    case JB_CONFIG_NAMESPACE:
        if (!value[0]) return jb_error_set(err, -EINVAL, "needs a namespace name");
        if (strchr(value, '/') || strcmp(value, ".") == 0 || strcmp(value, "..") == 0)
            return jb_error_set(err, -EINVAL, "'%s' is not a namespace name", value);
        return 0;
    case JB_CONFIG_SEAL_STREAMS: {
        bool streams[2];
        return jb_seal_streams_parse(value, streams, err);
    }
    case JB_CONFIG_SOURCE:
    case JB_CONFIG_MAX_LINE:
    case JB_CONFIG_MAX_PENDING:
    default:
        return jb_error_set(err, -EINVAL, "not a list setting");
    }
}

static int check_list(jb_config_setting s, const char *const *v, size_t n, jb_config_setting *ret_setting,
                      jb_error *err) {
    for (size_t i = 0; i < n; i++) {
        int r = jb_config_check_value(s, v ? v[i] : NULL, err);
        if (r < 0) {
            *ret_setting = s;
            return r;
        }
    }
    return 0;
}

/* The seal settings (seal.h); the streams are bools already. */
static int check_seal(const jb_seal_config *s, jb_config_setting *ret_setting, jb_error *err) {
    const uint64_t max_usec = (uint64_t)JB_SEAL_SECONDS_MAX * 1000000u;
    if (s->key_path && !s->key_path[0]) {
        *ret_setting = JB_CONFIG_SEAL_KEY;
        return jb_error_set(err, -EINVAL, "needs a file name");
    }
    if (s->epoch_records < 1 || s->epoch_records > JB_SEAL_EPOCH_RECORDS_MAX) {
        *ret_setting = JB_CONFIG_SEAL_EPOCH_RECORDS;
        return jb_error_set(err, -EINVAL, "expected a number from 1 to %u", JB_SEAL_EPOCH_RECORDS_MAX);
    }
    if (s->epoch_usec < 1000000u || s->epoch_usec > max_usec) {
        *ret_setting = JB_CONFIG_SEAL_EPOCH_SECONDS;
        return jb_error_set(err, -EINVAL, "expected a number of seconds from 1 to %u", JB_SEAL_SECONDS_MAX);
    }
    if (s->heartbeat_usec < 1000000u || s->heartbeat_usec > max_usec) {
        *ret_setting = JB_CONFIG_SEAL_HEARTBEAT;
        return jb_error_set(err, -EINVAL, "expected a number of seconds from 1 to %u", JB_SEAL_SECONDS_MAX);
    }
    return 0;
}

int jb_config_check(const jb_config *c, jb_config_setting *ret_setting, jb_error *err) {
    int r;
    if ((c->source.directory != NULL) + (c->source.n_files > 0) + (c->source.name_space != NULL) > 1) {
        *ret_setting = JB_CONFIG_SOURCE;
        return jb_error_set(err, -EINVAL, "only one source may be given");
    }
    if ((r = check_list(JB_CONFIG_CONTAINERS, c->containers, c->n_containers, ret_setting, err)) < 0 ||
        (r = check_list(JB_CONFIG_IMAGES, c->images, c->n_images, ret_setting, err)) < 0 ||
        (r = check_list(JB_CONFIG_MATCHES, c->matches, c->n_matches, ret_setting, err)) < 0 ||
        (r = check_list(JB_CONFIG_MARKERS, c->markers, c->n_markers, ret_setting, err)) < 0)
        return r;
    if (c->profile && (r = jb_config_check_value(JB_CONFIG_PROFILE, c->profile, err)) < 0) {
        *ret_setting = JB_CONFIG_PROFILE;
        return r;
    }
    if ((r = check_list(JB_CONFIG_PATTERNS, c->patterns, c->n_patterns, ret_setting, err)) < 0) return r;
    if (c->max_line < 1 || c->max_line > JB_CONFIG_MAX_LINE_LIMIT) {
        *ret_setting = JB_CONFIG_MAX_LINE;
        return jb_error_set(err, -EINVAL, "expected a number of bytes from 1 to %llu", JB_CONFIG_MAX_LINE_LIMIT);
    }
    if (c->max_pending < 1 || c->max_pending > JB_PARTIAL_MAX_PENDING_LIMIT) {
        *ret_setting = JB_CONFIG_MAX_PENDING;
        return jb_error_set(err, -EINVAL, "expected a number from 1 to %d", JB_PARTIAL_MAX_PENDING_LIMIT);
    }
    if ((r = check_list(JB_CONFIG_TRUST, c->trust, c->n_trust, ret_setting, err)) < 0) return r;
    if ((r = check_list(JB_CONFIG_AUDIT_CONTAINERS, c->audit_containers, c->n_audit_containers, ret_setting, err)) < 0)
        return r;
    if (c->audit_anchor && (r = jb_config_check_value(JB_CONFIG_AUDIT_ANCHOR, c->audit_anchor, err)) < 0) {
        *ret_setting = JB_CONFIG_AUDIT_ANCHOR;
        return r;
    }
    if ((r = check_list(JB_CONFIG_CONTAINER_FIELDS, c->container_fields, c->n_container_fields, ret_setting, err)) <
            0 ||
        (r = check_list(JB_CONFIG_COMPONENTS, c->components, c->n_components, ret_setting, err)) < 0)
        return r;
    if (c->message && (r = jb_config_check_value(JB_CONFIG_MESSAGE, c->message, err)) < 0) {
        *ret_setting = JB_CONFIG_MESSAGE;
        return r;
    }
    if (c->source.directory && (r = jb_config_check_value(JB_CONFIG_DIRECTORY, c->source.directory, err)) < 0) {
        *ret_setting = JB_CONFIG_DIRECTORY;
        return r;
    }
    if (c->source.name_space && (r = jb_config_check_value(JB_CONFIG_NAMESPACE, c->source.name_space, err)) < 0) {
        *ret_setting = JB_CONFIG_NAMESPACE;
        return r;
    }
    if (c->source.per_host && !c->source.directory) {
        *ret_setting = JB_CONFIG_PER_HOST;
        return jb_error_set(err, -EINVAL, "reads a directory per host: it needs a directory");
    }
    return check_seal(&c->seal, ret_setting, err);
}
