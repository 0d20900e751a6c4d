/* SPDX-License-Identifier: Apache-2.0 */
#include "entry.h"

#include <stddef.h>
#include <string.h>

#include "timestamp.h"
#include "util.h"

#define SHORT_ID_LEN 12

/* n bytes at p equal the literal lit: a constant length rejects most names in one comparison. */
#define NAME_IS(p, n, lit) ((n) == sizeof(lit) - 1 && memcmp((p), (lit), sizeof(lit) - 1) == 0)

static jb_buf *entry_buf(jb_entry *e, size_t offset) {
    return (jb_buf *)((char *)e + offset);
}

/* Every buffer of an entry, for reset, done and copy: one list, expanded where it is used. */
/* clang-format off */
#define ENTRY_BUFS(X) \
    X(message) X(container_name) X(container_id) X(container_id_full) X(image) X(identifier) X(hostname) \
    X(cursor) X(partial_id) X(writer_comm) X(writer_exe) X(writer_unit) X(writer_transport) X(writer_uid) \
    X(writer_gid) X(container_tag) X(extra)
/* clang-format on */
#define BUF_OFFSET(name) offsetof(jb_entry, name),
static const size_t all_bufs[] = {ENTRY_BUFS(BUF_OFFSET)};

static void reset_scalars(jb_entry *e) {
    e->is_container = false;
    e->has_message = false;
    e->untrusted = false;
    e->partial = false;
    e->has_partial_last = false;
    e->partial_last = false;
    e->partial_ordinal = 0;
    e->time_usec = 0;
    e->receive_usec = 0;
    e->severity = JB_SEVERITY_DEFAULT;
    e->facility = -1;
    e->syslog_ts_usec = 0;
    e->has_syslog_ts = false;
    e->source_ts_usec = 0;
    e->has_source_ts = false;
    e->cursor_hash = 0;
    e->has_cursor_hash = false;
}

/* jb_buf_reset(), inline: the reader empties every buffer of every entry. */
static inline void buf_empty(jb_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void jb_entry_reset(jb_entry *e) {
    /* unrolled over the named buffers: the reader resets every entry */
#define BUF_EMPTY(name) buf_empty(&e->name);
    ENTRY_BUFS(BUF_EMPTY)
#undef BUF_EMPTY
    reset_scalars(e);
}

void jb_entry_done(jb_entry *e) {
    if (!e) return;
    for (size_t i = 0; i < JB_ELEMENTSOF(all_bufs); i++) jb_buf_done(entry_buf(e, all_bufs[i]));
    reset_scalars(e);
}

size_t jb_entry_bytes(const jb_entry *e) {
    size_t n = 0;
    for (size_t i = 0; i < JB_ELEMENTSOF(all_bufs); i++) n += ((const jb_buf *)((const char *)e + all_bufs[i]))->len;
    return n;
}

void jb_entry_trim(jb_entry *e, size_t keep) {
    size_t held = 0;
    for (size_t i = 0; i < JB_ELEMENTSOF(all_bufs); i++) held += entry_buf(e, all_bufs[i])->cap;
    if (held > keep) jb_entry_done(e);
}

/* An empty value allocates nothing (the buffer may stay NULL: see jb_entry_str()). */
static inline int buf_set(jb_buf *b, const char *p, size_t n) {
    buf_empty(b);
    if (n == 0) return 0;
    int r = jb_buf_reserve_inline(b, n);
    if (r < 0) return r;
    memcpy(b->data, p, n);
    b->len = n;
    b->data[n] = 0;
    return 0;
}

/* Store the n bytes at p in b, which must already have room for them (see jb_entry_finish()). */
static void buf_set_reserved(jb_buf *b, const char *p, size_t n) {
    if (b->cap < n + 1) return; /* cannot happen: set_field reserved it */
    memcpy(b->data, p, n);
    b->len = n;
    b->data[n] = 0;
}

/* Store a string field; reserve what jb_entry_finish() may copy into the other id, so that it
 * cannot fail. Inlined into each case of jb_entry_set_field(), where b is known and the id tests
 * fold away: the reader stores about fourteen strings per entry. */
__attribute__((always_inline)) static inline int set_string(jb_entry *e, jb_buf *b, const char *value,
                                                            size_t value_len) {
    int r = buf_set(b, value, value_len);
    if (r < 0) return r;
    if (value_len == 0) return 0;
    if (b == &e->container_id_full)
        return jb_buf_reserve(&e->container_id, value_len < SHORT_ID_LEN ? value_len : SHORT_ID_LEN);
    if (b == &e->container_id) return jb_buf_reserve(&e->container_id_full, value_len);
    return 0;
}

static int set_message(jb_entry *e, const char *value, size_t value_len) {
    e->has_message = true;
    return set_string(e, &e->message, value, value_len);
}

int jb_entry_set_field(jb_entry *e, const char *name, size_t name_len, const char *value, size_t value_len) {
    uint64_t u;

    /* Dispatch on the length first: an entry has about 26 fields, of which most are not used, and
     * each is then rejected by one or two comparisons of a constant length. */
    switch (name_len) {
    case 4:
        if (NAME_IS(name, name_len, "_UID")) return set_string(e, &e->writer_uid, value, value_len);
        if (NAME_IS(name, name_len, "_GID")) return set_string(e, &e->writer_gid, value, value_len);
        if (NAME_IS(name, name_len, "_EXE")) return set_string(e, &e->writer_exe, value, value_len);
        break;
    case 5:
        if (NAME_IS(name, name_len, "_COMM")) return set_string(e, &e->writer_comm, value, value_len);
        break;
    case 7:
        if (NAME_IS(name, name_len, "MESSAGE")) return set_message(e, value, value_len);
        break;
    case 8:
        if (NAME_IS(name, name_len, "PRIORITY")) {
            if (value_len == 1 && value[0] >= '0' && value[0] <= '7')
                e->severity = value[0] - '0';
            else
                e->severity = JB_SEVERITY_DEFAULT;
            return 0;
        }
        break;
    case 9:
        if (NAME_IS(name, name_len, "_HOSTNAME")) return set_string(e, &e->hostname, value, value_len);
        break;
    case 10:
        if (NAME_IS(name, name_len, "IMAGE_NAME")) return set_string(e, &e->image, value, value_len);
        if (NAME_IS(name, name_len, "_TRANSPORT")) return set_string(e, &e->writer_transport, value, value_len);
        break;
    case 12:
        if (NAME_IS(name, name_len, "CONTAINER_ID")) return set_string(e, &e->container_id, value, value_len);
        break;
    case 13:
        if (NAME_IS(name, name_len, "_SYSTEMD_UNIT")) return set_string(e, &e->writer_unit, value, value_len);
        if (NAME_IS(name, name_len, "CONTAINER_TAG")) return set_string(e, &e->container_tag, value, value_len);
        break;
    case 14:
        if (NAME_IS(name, name_len, "CONTAINER_NAME")) {
            e->is_container = true;
            return set_string(e, &e->container_name, value, value_len);
        }
        break;
    case 15:
        if (NAME_IS(name, name_len, "SYSLOG_FACILITY")) {
            if (jb_parse_u64(value, value_len, &u) == 0 && u <= 23)
                e->facility = (int)u;
            else
                e->facility = -1;
            return 0;
        }
        break;
    case 16:
        if (NAME_IS(name, name_len, "SYSLOG_TIMESTAMP")) {
            e->has_syslog_ts = jb_parse_rfc3339(value, value_len, &u) == 0;
            e->syslog_ts_usec = e->has_syslog_ts ? u : 0;
            return 0;
        }
        break;
    case 17:
        if (NAME_IS(name, name_len, "CONTAINER_ID_FULL")) return set_string(e, &e->container_id_full, value, value_len);
        if (NAME_IS(name, name_len, "SYSLOG_IDENTIFIER")) return set_string(e, &e->identifier, value, value_len);
        break;
    case 20:
        if (NAME_IS(name, name_len, "CONTAINER_PARTIAL_ID")) return set_string(e, &e->partial_id, value, value_len);
        break;
    case 22:
        if (NAME_IS(name, name_len, "CONTAINER_PARTIAL_LAST")) {
            e->partial_last = jb_slice_eq(value, value_len, "true");
            e->has_partial_last = e->partial_last || jb_slice_eq(value, value_len, "false");
            return 0;
        }
        break;
    case 25:
        if (NAME_IS(name, name_len, "CONTAINER_PARTIAL_MESSAGE")) {
            e->partial = jb_slice_eq(value, value_len, "true");
            return 0;
        }
        if (NAME_IS(name, name_len, "CONTAINER_PARTIAL_ORDINAL")) {
            e->partial_ordinal = jb_parse_u64(value, value_len, &u) == 0 ? u : 0;
            return 0;
        }
        break;
    case 26:
        if (NAME_IS(name, name_len, "_SOURCE_REALTIME_TIMESTAMP")) {
            e->has_source_ts = jb_parse_u64(value, value_len, &u) == 0;
            e->source_ts_usec = e->has_source_ts ? u : 0;
            return 0;
        }
        break;
    default:
        break;
    }
    return 1; /* not a field jbridge uses */
}

/* An extra field in e->extra: the name's length (one byte), the name, NUL, the value's length
 * (a size_t, unaligned), the value, NUL. */
int jb_entry_add_extra(jb_entry *e, const char *name, size_t name_len, const char *value, size_t value_len) {
    if (name_len < 1 || name_len > 255) return -EINVAL;
    unsigned char nl = (unsigned char)name_len;
    int r = jb_buf_reserve(&e->extra, 1 + name_len + 1 + sizeof value_len + value_len + 1);
    if (r < 0) return r;
    /* reserved: the appends cannot fail */
    jb_buf_append(&e->extra, (const char *)&nl, 1);
    jb_buf_append(&e->extra, name, name_len);
    jb_buf_putc(&e->extra, 0);
    jb_buf_append(&e->extra, (const char *)&value_len, sizeof value_len);
    if (value_len) jb_buf_append(&e->extra, value, value_len);
    jb_buf_putc(&e->extra, 0);
    return 0;
}

int jb_entry_next_extra(const jb_entry *e, size_t *pos, const char **ret_name, const char **ret_value,
                        size_t *ret_value_len) {
    const char *p = e->extra.data;
    size_t i = *pos, vl;
    if (!p || i >= e->extra.len) return 0;
    size_t nl = (unsigned char)p[i];
    *ret_name = p + i + 1;
    i += 1 + nl + 1;
    memcpy(&vl, p + i, sizeof vl);
    i += sizeof vl;
    *ret_value = p + i;
    *ret_value_len = vl;
    *pos = i + vl + 1;
    return 1;
}

void jb_entry_finish(jb_entry *e, uint64_t receive_usec) {
    /* a time RFC 3339 cannot write gives way to the next one (timestamp.h: jb_time_usable) */
    if (e->has_syslog_ts && jb_time_usable(e->syslog_ts_usec))
        e->time_usec = e->syslog_ts_usec;
    else if (e->has_source_ts && jb_time_usable(e->source_ts_usec))
        e->time_usec = e->source_ts_usec;
    else
        e->time_usec = receive_usec;
    e->receive_usec = receive_usec;

    /* Podman's conmon keeps the newline at the end of a container's line (Docker does not) */
    bool more = jb_entry_more_pieces(e);
    if (e->is_container && !more && e->message.len > 0 && e->message.data[e->message.len - 1] == '\n') {
        e->message.len--;
        e->message.data[e->message.len] = 0;
    }
    if (e->message.len > 0 && e->message.data[e->message.len - 1] == '\r' && !more) {
        e->message.len--;
        e->message.data[e->message.len] = 0;
    }

    if (e->container_id.len == 0 && e->container_id_full.len > 0) {
        size_t n = e->container_id_full.len < SHORT_ID_LEN ? e->container_id_full.len : SHORT_ID_LEN;
        buf_set_reserved(&e->container_id, e->container_id_full.data, n);
    } else if (e->container_id_full.len == 0 && e->container_id.len > 0) {
        buf_set_reserved(&e->container_id_full, e->container_id.data, e->container_id.len);
    }
}

int jb_entry_copy(jb_entry *dst, const jb_entry *src) {
    if (dst == src) return 0;
    for (size_t i = 0; i < JB_ELEMENTSOF(all_bufs); i++) {
        const jb_buf *s = (const jb_buf *)((const char *)src + all_bufs[i]);
        int r = buf_set(entry_buf(dst, all_bufs[i]), s->data, s->len);
        if (r < 0) return r;
    }
    /* Every other member is a plain value: copy the whole struct, then put dst's buffers back. */
    jb_entry bufs = *dst;
    *dst = *src;
    for (size_t i = 0; i < JB_ELEMENTSOF(all_bufs); i++) *entry_buf(dst, all_bufs[i]) = *entry_buf(&bufs, all_bufs[i]);
    return 0;
}
