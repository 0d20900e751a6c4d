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
    if (n == 0) {
        buf_empty(b);
        return 0;
    }
    b->len = 0; /* the reservation counts from here; data and its end are written below */
    int r = jb_buf_reserve_inline(b, n);
    if (r < 0) {
        buf_empty(b);
        return r;
    }
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

/* The fields that are not strings: their values as jb_entry_set_field() documents them. One place
 * for both ways in (by name, by data). */
static inline void set_priority(jb_entry *e, const char *value, size_t value_len) {
    if (value_len == 1 && value[0] >= '0' && value[0] <= '7')
        e->severity = value[0] - '0';
    else
        e->severity = JB_SEVERITY_DEFAULT;
}

static void set_facility(jb_entry *e, const char *value, size_t value_len) {
    uint64_t u;
    if (jb_parse_u64(value, value_len, &u) == 0 && u <= 23)
        e->facility = (int)u;
    else
        e->facility = -1;
}

static void set_syslog_ts(jb_entry *e, const char *value, size_t value_len) {
    uint64_t u;
    e->has_syslog_ts = jb_parse_rfc3339(value, value_len, &u) == 0;
    e->syslog_ts_usec = e->has_syslog_ts ? u : 0;
}

static void set_source_ts(jb_entry *e, const char *value, size_t value_len) {
    uint64_t u;
    e->has_source_ts = jb_parse_u64(value, value_len, &u) == 0;
    e->source_ts_usec = e->has_source_ts ? u : 0;
}

static void set_partial_last(jb_entry *e, const char *value, size_t value_len) {
    e->partial_last = jb_slice_eq(value, value_len, "true");
    e->has_partial_last = e->partial_last || jb_slice_eq(value, value_len, "false");
}

static void set_partial_ordinal(jb_entry *e, const char *value, size_t value_len) {
    uint64_t u;
    e->partial_ordinal = jb_parse_u64(value, value_len, &u) == 0 ? u : 0;
}

int jb_entry_set_field(jb_entry *e, const char *name, size_t name_len, const char *value, size_t value_len) {
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
            set_priority(e, value, value_len);
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
            set_facility(e, value, value_len);
            return 0;
        }
        break;
    case 16:
        if (NAME_IS(name, name_len, "SYSLOG_TIMESTAMP")) {
            set_syslog_ts(e, value, value_len);
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
            set_partial_last(e, value, value_len);
            return 0;
        }
        break;
    case 25:
        if (NAME_IS(name, name_len, "CONTAINER_PARTIAL_MESSAGE")) {
            e->partial = jb_slice_eq(value, value_len, "true");
            return 0;
        }
        if (NAME_IS(name, name_len, "CONTAINER_PARTIAL_ORDINAL")) {
            set_partial_ordinal(e, value, value_len);
            return 0;
        }
        break;
    case 26:
        if (NAME_IS(name, name_len, "_SOURCE_REALTIME_TIMESTAMP")) {
            set_source_ts(e, value, value_len);
            return 0;
        }
        break;
    default:
        break;
    }
    return 1; /* not a field jbridge uses */
}

/* The first four bytes of journal data as one number, to switch on; K4 spells such a number. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define K4(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#else
#define K4(a, b, c, d) ((uint32_t)(d) | (uint32_t)(c) << 8 | (uint32_t)(b) << 16 | (uint32_t)(a) << 24)
#endif

/* The l bytes at p equal those at lit, l a constant from 1 to 16: one or two loads of each side
 * (overlapping when l is not a power of two), folded into immediates for a literal. memcmp() is
 * a call for most such lengths. */
__attribute__((always_inline)) static inline bool same_bytes(const char *p, const char *lit, size_t l) {
    if (l >= 8) {
        uint64_t a, b, c, d;
        memcpy(&a, p, 8);
        memcpy(&b, lit, 8);
        memcpy(&c, p + l - 8, 8);
        memcpy(&d, lit + l - 8, 8);
        return ((a ^ b) | (c ^ d)) == 0;
    }
    if (l >= 4) {
        uint32_t a, b, c, d;
        memcpy(&a, p, 4);
        memcpy(&b, lit, 4);
        memcpy(&c, p + l - 4, 4);
        memcpy(&d, lit + l - 4, 4);
        return ((a ^ b) | (c ^ d)) == 0;
    }
    if (l >= 2) {
        uint16_t a, b, c, d;
        memcpy(&a, p, 2);
        memcpy(&b, lit, 2);
        memcpy(&c, p + l - 2, 2);
        memcpy(&d, lit + l - 2, 2);
        return ((a ^ b) | (c ^ d)) == 0;
    }
    return l == 0 || p[0] == lit[0];
}

/* The n bytes at p go on with the literal lit (its '=' included, at most 16 bytes: longer ones
 * compare in two) from offset at: the value starts right after it. */
#define GOES_ON(p, n, at, lit) ((n) >= (at) + sizeof(lit) - 1 && same_bytes((p) + (at), (lit), sizeof(lit) - 1))
#define VALUE_AFTER(at, lit) (p + (at) + sizeof(lit) - 1), (n - (at) - (sizeof(lit) - 1))

/* The stores jb_entry_set_data() ends in, out of line so that it is a dispatcher that only jumps
 * (no registers to save for the fields it passes over). */
static __attribute__((noinline)) int store(jb_buf *b, const char *value, size_t value_len) {
    return buf_set(b, value, value_len);
}
static __attribute__((noinline)) int store_message(jb_entry *e, const char *value, size_t value_len) {
    e->has_message = true;
    return buf_set(&e->message, value, value_len);
}
static __attribute__((noinline)) int store_id(jb_entry *e, const char *value, size_t value_len) {
    return set_string(e, &e->container_id, value, value_len);
}
static __attribute__((noinline)) int store_id_full(jb_entry *e, const char *value, size_t value_len) {
    return set_string(e, &e->container_id_full, value, value_len);
}
static __attribute__((noinline)) int store_name(jb_entry *e, const char *value, size_t value_len) {
    e->is_container = true;
    return buf_set(&e->container_name, value, value_len);
}
static __attribute__((noinline)) int store_syslog_ts(jb_entry *e, const char *value, size_t value_len) {
    set_syslog_ts(e, value, value_len);
    return 0;
}
/* _SOURCE_REALTIME_TIMESTAMP= (27 bytes: two compares from the 5th byte) */
static __attribute__((noinline)) int set_source_data(jb_entry *e, const char *p, size_t n) {
    if (GOES_ON(p, n, 4, "RCE_REALTIME") && GOES_ON(p, n, 16, "_TIMESTAMP=")) {
        set_source_ts(e, VALUE_AFTER(16, "_TIMESTAMP="));
        return 0;
    }
    return 1;
}

/* CONTAINER_... from the 11th byte on (p and n are still the whole data). Out of line, as the
 * next two: jb_entry_set_data() then saves no register for the fields it passes over. */
static __attribute__((noinline)) int set_container_data(jb_entry *e, const char *p, size_t n) {
    switch (p[10]) {
    case 'I':
        if (GOES_ON(p, n, 10, "ID=")) return store_id(e, VALUE_AFTER(10, "ID="));
        if (GOES_ON(p, n, 10, "ID_FULL=")) return store_id_full(e, VALUE_AFTER(10, "ID_FULL="));
        break;
    case 'N':
        if (GOES_ON(p, n, 10, "NAME=")) return store_name(e, VALUE_AFTER(10, "NAME="));
        break;
    case 'T':
        if (GOES_ON(p, n, 10, "TAG=")) return store(&e->container_tag, VALUE_AFTER(10, "TAG="));
        break;
    case 'P':
        if (!GOES_ON(p, n, 10, "PARTIAL_")) break;
        if (GOES_ON(p, n, 18, "ID=")) return store(&e->partial_id, VALUE_AFTER(18, "ID="));
        if (GOES_ON(p, n, 18, "LAST=")) {
            set_partial_last(e, VALUE_AFTER(18, "LAST="));
            return 0;
        }
        if (GOES_ON(p, n, 18, "MESSAGE=")) {
            e->partial = jb_slice_eq(VALUE_AFTER(18, "MESSAGE="), "true");
            return 0;
        }
        if (GOES_ON(p, n, 18, "ORDINAL=")) {
            set_partial_ordinal(e, VALUE_AFTER(18, "ORDINAL="));
            return 0;
        }
        break;
    default:
        break;
    }
    return 1;
}

/* SYSLOG_... from the 8th byte on. */
static __attribute__((noinline)) int set_syslog_data(jb_entry *e, const char *p, size_t n) {
    if (GOES_ON(p, n, 7, "IDENTIFIER=")) return store(&e->identifier, VALUE_AFTER(7, "IDENTIFIER="));
    if (GOES_ON(p, n, 7, "TIMESTAMP=")) return store_syslog_ts(e, VALUE_AFTER(7, "TIMESTAMP="));
    if (GOES_ON(p, n, 7, "FACILITY=")) {
        set_facility(e, VALUE_AFTER(7, "FACILITY="));
        return 0;
    }
    return 1;
}

int jb_entry_set_data(jb_entry *e, const void *data, size_t n) {
    const char *p = data;
    uint32_t k;
    /* the shortest field used is "_UID=" (five bytes): anything shorter is not one */
    if (n < 5) return 1;
    memcpy(&k, p, 4);
    switch (k) {
    case K4('_', 'U', 'I', 'D'):
        if (p[4] == '=') return store(&e->writer_uid, VALUE_AFTER(4, "="));
        break;
    case K4('_', 'G', 'I', 'D'):
        if (p[4] == '=') return store(&e->writer_gid, VALUE_AFTER(4, "="));
        break;
    case K4('_', 'E', 'X', 'E'):
        if (p[4] == '=') return store(&e->writer_exe, VALUE_AFTER(4, "="));
        break;
    case K4('_', 'C', 'O', 'M'):
        if (GOES_ON(p, n, 4, "M=")) return store(&e->writer_comm, VALUE_AFTER(4, "M="));
        break;
    case K4('M', 'E', 'S', 'S'):
        if (GOES_ON(p, n, 4, "AGE=")) return store_message(e, VALUE_AFTER(4, "AGE="));
        break;
    case K4('P', 'R', 'I', 'O'):
        if (GOES_ON(p, n, 4, "RITY=")) {
            set_priority(e, VALUE_AFTER(4, "RITY="));
            return 0;
        }
        break;
    case K4('_', 'H', 'O', 'S'):
        if (GOES_ON(p, n, 4, "TNAME=")) return store(&e->hostname, VALUE_AFTER(4, "TNAME="));
        break;
    case K4('I', 'M', 'A', 'G'):
        if (GOES_ON(p, n, 4, "E_NAME=")) return store(&e->image, VALUE_AFTER(4, "E_NAME="));
        break;
    case K4('_', 'T', 'R', 'A'):
        if (GOES_ON(p, n, 4, "NSPORT=")) return store(&e->writer_transport, VALUE_AFTER(4, "NSPORT="));
        break;
    case K4('_', 'S', 'Y', 'S'):
        if (GOES_ON(p, n, 4, "TEMD_UNIT=")) return store(&e->writer_unit, VALUE_AFTER(4, "TEMD_UNIT="));
        break;
    case K4('C', 'O', 'N', 'T'):
        /* the shortest: CONTAINER_ID= (13 bytes) */
        if (n >= 13 && same_bytes(p + 4, "AINER_", 6)) return set_container_data(e, p, n);
        break;
    case K4('S', 'Y', 'S', 'L'):
        if (GOES_ON(p, n, 4, "OG_")) return set_syslog_data(e, p, n);
        break;
    case K4('_', 'S', 'O', 'U'):
        return set_source_data(e, p, n);
    default:
        break;
    }
    return 1;
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
