/* SPDX-License-Identifier: Apache-2.0 */
#include "sd.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

static bool is_name_char(unsigned char c) {
    return c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"';
}

void jb_sd_name(const char *p, size_t n, size_t max, char *out) {
    if (max < 1) max = 1;
    if (max > JB_SD_NAME_MAX) max = JB_SD_NAME_MAX;
    if (!p) n = 0;
    if (n > max) n = max;
    if (n == 0) {
        out[0] = '_';
        out[1] = 0;
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = is_name_char((unsigned char)p[i]) ? p[i] : '_';
    out[n] = 0;
}

/* Byte-wise tests on 8 bytes at once (the classic bit tricks): exact for "is there any". */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define HAS_ZERO(v) (((v)-ONES) & ~(v)&HIGHS)

/* True when none of the 8 bytes in x needs attention in a PARAM-VALUE: all are printable ASCII
 * (0x20-0x7e) and none is '"', '\' or ']'. */
static inline bool plain_word(uint64_t x) {
    uint64_t bad = x & HIGHS;                   /* 0x80-0xff: UTF-8 to check */
    bad |= (x - ONES * 0x20) & ~x & HIGHS;      /* below 0x20 (exact once no byte is >= 0x80) */
    bad |= HAS_ZERO(x ^ (ONES * 0x7f));         /* DEL */
    bad |= HAS_ZERO(x ^ (ONES * '"'));          /* '"' */
    bad |= HAS_ZERO((x | ONES) ^ (ONES * ']')); /* '\' (0x5c) and ']' (0x5d) */
    return bad == 0;
}

int jb_sd_append_value(jb_buf *out, const char *p, size_t n) {
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *s = (const unsigned char *)p;
    size_t run = 0; /* start of the pending run of bytes copied as they are */
    int r;

    /* Most values need no escaping: one reservation for the common case. */
    r = jb_buf_reserve(out, n);
    if (r < 0) return r;

    for (size_t i = 0; i < n;) {
        if (n - i >= 8) { /* the common case: 8 plain bytes at once */
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (plain_word(x)) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != ']') {
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = jb_utf8_decode(s + i, n - i, &cp);
        char esc[5];
        const char *rep = NULL;
        size_t rep_len = 0;

        if (len == 1 && (c < 0x20 || c == 0x7f)) {
            esc[0] = '#';
            esc[1] = (char)('0' + (c >> 6));
            esc[2] = (char)('0' + ((c >> 3) & 7));
            esc[3] = (char)('0' + (c & 7));
            rep = esc;
            rep_len = 4;
        } else if (c == '"' || c == '\\' || c == ']') {
            esc[0] = '\\';
            esc[1] = (char)c;
            rep = esc;
            rep_len = 2;
        } else if (len == 0) {
            rep = replacement;
            rep_len = 3;
            len = 1;
        }
        if (!rep) {
            i += len;
            continue;
        }
        r = jb_buf_append(out, p + run, i - run);
        if (r < 0) return r;
        r = jb_buf_append(out, rep, rep_len);
        if (r < 0) return r;
        i += len;
        run = i;
    }
    return jb_buf_append(out, p + run, n - run);
}

/* A literal as (pointer, length), for names known to be valid PARAM-NAMEs. */
#define LIT(s) s, sizeof(s) - 1

/* ' ' NAME '="' VALUE '"' with a name that is already a valid PARAM-NAME (n bytes). */
static int append_param_n(jb_buf *out, const char *name, size_t n, const char *value, size_t value_len) {
    int r;

    /* ' ' NAME '=' '"' and the closing '"', and the value when it needs no escaping: one
     * reservation (reserve adds the NUL). */
    r = jb_buf_reserve(out, n + 4 + value_len);
    if (r < 0) return r;
    out->data[out->len++] = ' ';
    memcpy(out->data + out->len, name, n);
    out->len += n;
    out->data[out->len++] = '=';
    out->data[out->len++] = '"';
    out->data[out->len] = 0;
    r = jb_sd_append_value(out, value, value_len);
    if (r < 0) return r;
    return jb_buf_putc(out, '"');
}

/* A parameter whose name comes from data (an audit key): passed through jb_sd_name() again, so a
 * bad name can never break the element. */
static int append_param(jb_buf *out, const char *name, const char *value, size_t value_len) {
    char safe[JB_SD_NAME_MAX + 1];
    jb_sd_name(name, name ? strlen(name) : 0, JB_SD_NAME_MAX, safe);
    return append_param_n(out, safe, strlen(safe), value, value_len);
}

/* A parameter with a literal name (LIT("name")) and a NUL-terminated value (NULL: ""). */
static int append_param_str(jb_buf *out, const char *name, size_t name_len, const char *value) {
    value = jb_str_or_empty(value);
    return append_param_n(out, name, name_len, value, strlen(value));
}

/* The decimal digits of v, written backwards ending at end; returns where they start. */
static char *put_uint_rev(char *end, unsigned v) {
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* '[' NAME '@' PEN, with the PEN's digits already written (at: "@N", at_len bytes). */
static int append_sd_id(jb_buf *out, const char *name, size_t name_len, const char *at, size_t at_len) {
    int r = jb_buf_reserve(out, 1 + name_len + at_len);
    if (r < 0) return r;
    out->data[out->len++] = '[';
    memcpy(out->data + out->len, name, name_len);
    memcpy(out->data + out->len + name_len, at, at_len);
    out->len += name_len + at_len;
    out->data[out->len] = 0;
    return 0;
}

static int append_container(jb_buf *out, const jb_record *rec, const char *at, size_t at_len) {
    int r = append_sd_id(out, LIT("container"), at, at_len);
    if (r < 0) return r;
    r = append_param_str(out, LIT("name"), rec->container_name);
    if (r < 0) return r;
    r = append_param_str(out, LIT("id"), rec->container_id);
    if (r < 0) return r;
    r = append_param_str(out, LIT("image"), rec->image);
    if (r >= 0 && rec->container_tag && rec->container_tag[0])
        r = append_param_str(out, LIT("tag"), rec->container_tag);
    return r;
}

/* What follows the container's cached part (issue 17): the component and the fields named by the
 * setting "container fields", then the end of the element. */
static int append_container_rest(jb_buf *out, const jb_record *rec) {
    int r = 0;
    if (rec->component && rec->component[0]) r = append_param_str(out, LIT("component"), rec->component);
    for (size_t i = 0; r >= 0 && i < rec->n_container_fields; i++) {
        const jb_container_field *f = &rec->container_fields[i];
        r = append_param(out, f->name, f->value, f->value_len);
    }
    return r < 0 ? r : jb_buf_putc(out, ']');
}

/* The slot of rec's container. */
static jb_sd_cache_slot *cache_slot(jb_sd_cache *cache, const jb_record *rec) {
    const char *id = jb_str_or_empty(rec->container_id);
    return &cache->slot[jb_hash64(id, strlen(id)) & (JB_SD_CACHE_SLOTS - 1)];
}

/* What a slot's key holds, in order: the container's name, id, image and tag. */
static void container_values(const jb_record *rec, const char *v[4]) {
    v[0] = rec->container_name;
    v[1] = jb_str_or_empty(rec->container_id);
    v[2] = jb_str_or_empty(rec->image);
    v[3] = jb_str_or_empty(rec->container_tag);
}

/* The cached element is rec's: same PEN, and the key holds rec's container values. */
static bool cache_holds(const jb_sd_cache_slot *c, const jb_record *rec, unsigned pen) {
    const char *k = c->key.data;
    const char *v[4];
    if (!c->valid || c->pen != pen) return false;
    container_values(rec, v);
    for (size_t i = 0; i < JB_ELEMENTSOF(v); i++) {
        if (k[0] != v[i][0]) return false;
        if (k[0] == 0) { /* both empty, as the tag usually is */
            k++;
            continue;
        }
        if (strcmp(k, v[i]) != 0) return false;
        k += strlen(k) + 1;
    }
    return true;
}

static int cache_fill(jb_sd_cache_slot *c, const jb_record *rec, unsigned pen, const char *at, size_t at_len) {
    const char *v[4];
    int r;
    container_values(rec, v);
    c->valid = false;
    jb_buf_reset(&c->element);
    jb_buf_reset(&c->key);
    r = append_container(&c->element, rec, at, at_len);
    if (r >= 0) r = jb_buf_putc(&c->element, ']');
    for (size_t i = 0; i < JB_ELEMENTSOF(v) && r >= 0; i++) r = jb_buf_append(&c->key, v[i], strlen(v[i]) + 1);
    if (r < 0) return r;
    c->pen = pen;
    c->valid = true;
    return 0;
}

static int sd_build(const jb_record *rec, unsigned pen, jb_sd_cache *cache, jb_buf *out) {
    const jb_audit *audit = rec->audit;
    int r;
    char pen_buf[16]; /* "@" and the PEN, once for the three SD-IDs */
    char *at = put_uint_rev(pen_buf + sizeof pen_buf, pen);
    *--at = '@';
    size_t at_len = (size_t)(pen_buf + sizeof pen_buf - at);

    if (rec->container_name && rec->container_name[0]) {
        /* the component and the container fields (issue 17) go before the element's ']' */
        bool rest = (rec->component && rec->component[0]) || rec->n_container_fields > 0;
        if (!cache) {
            r = append_container(out, rec, at, at_len);
            if (r >= 0 && !rest) r = jb_buf_putc(out, ']');
        } else {
            jb_sd_cache_slot *c = cache_slot(cache, rec);
            r = cache_holds(c, rec, pen) ? 0 : cache_fill(c, rec, pen, at, at_len);
            if (r >= 0) r = jb_buf_append(out, c->element.data, c->element.len - (rest ? 1 : 0));
        }
        if (r >= 0 && rest) r = append_container_rest(out, rec);
        if (r < 0) return r;
    }

    r = append_sd_id(out, LIT("jbridge"), at, at_len);
    if (r < 0) return r;
    r = append_param_str(out, LIT("id"), rec->record_id);
    if (r < 0) return r;
    r = append_param_str(out, LIT("stream"), jb_stream_name(rec->stream));
    if (r < 0) return r;
    if (audit && audit->kind == JB_AUDIT_MALFORMED) {
        r = append_param_str(out, LIT("audit"), "malformed");
        if (r < 0) return r;
        r = append_param_str(out, LIT("reason"), audit->reason);
        if (r < 0) return r;
    }
    if (audit && audit->renamed > 0) {
        char renamed[16];
        snprintf(renamed, sizeof renamed, "%u", audit->renamed);
        r = append_param_str(out, LIT("renamed"), renamed);
        if (r < 0) return r;
    }
    if (rec->line != JB_LINE_WHOLE) {
        char pieces[16];
        snprintf(pieces, sizeof pieces, "%u", rec->pieces);
        r = append_param_str(out, LIT("line"), jb_line_kind_name(rec->line));
        if (r < 0) return r;
        r = append_param_str(out, LIT("pieces"), pieces);
        if (r < 0) return r;
    }
    if (rec->untrusted) { /* issue 15: the writer journald saw, escaped as any SD value */
        r = append_param_str(out, LIT("trust"), "untrusted");
        if (r >= 0) r = append_param_str(out, LIT("uid"), jb_str_or_empty(rec->writer_uid));
        if (r >= 0) r = append_param_str(out, LIT("comm"), jb_str_or_empty(rec->writer_comm));
        if (r < 0) return r;
    }
    if (rec->part > 0) {
        char part[16];
        snprintf(part, sizeof part, "%u", rec->part);
        r = append_param_str(out, LIT("part"), part);
        if (r < 0) return r;
    }
    if (rec->peer != NULL) {
        r = append_param_str(out, LIT("peer"), rec->peer);
        if (r < 0) return r;
    }
    r = jb_buf_putc(out, ']');
    if (r < 0) return r;

    if (audit && audit->kind != JB_AUDIT_NONE && audit->n_fields > 0) {
        r = append_sd_id(out, LIT("audit"), at, at_len);
        if (r < 0) return r;
        for (size_t i = 0; i < audit->n_fields; i++) {
            const jb_field *f = &audit->fields[i];
            r = append_param(out, f->name, f->value ? f->value : "", f->value ? f->value_len : 0);
            if (r < 0) return r;
        }
        r = jb_buf_putc(out, ']');
        if (r < 0) return r;
    }

    if (rec->sequence > 0) {
        /* IANA-registered SD-ID: no PEN */
        char seq[32];
        char *end = seq + sizeof seq - 2;
        char *start = put_uint_rev(end, (unsigned)rec->sequence);
        start -= sizeof "[meta sequenceId=\"" - 1;
        memcpy(start, "[meta sequenceId=\"", sizeof "[meta sequenceId=\"" - 1);
        memcpy(end, "\"]", 2);
        r = jb_buf_append(out, start, (size_t)(end + 2 - start));
        if (r < 0) return r;
    }
    return 0;
}

int jb_sd_build_cached(const jb_record *rec, unsigned pen, jb_sd_cache *cache, jb_buf *out) {
    size_t old_len = out->len;
    int r = sd_build(rec, pen ? pen : JB_SD_DEFAULT_PEN, cache, out);
    if (r < 0) {
        if (cache && rec->container_name && rec->container_name[0]) cache_slot(cache, rec)->valid = false;
        if (out->data) {
            /* Leave the buffer as it was: never half an element. */
            out->len = old_len;
            out->data[old_len] = 0;
        }
    }
    return r;
}

int jb_sd_build(const jb_record *rec, unsigned pen, jb_buf *out) {
    return jb_sd_build_cached(rec, pen, NULL, out);
}

void jb_sd_cache_done(jb_sd_cache *cache) {
    if (!cache) return;
    for (size_t i = 0; i < JB_SD_CACHE_SLOTS; i++) {
        jb_buf_done(&cache->slot[i].element);
        jb_buf_done(&cache->slot[i].key);
        cache->slot[i].valid = false;
    }
}

/* ---- walking and validation ---- */

/* Parse an SD-NAME (SD-ID or PARAM-NAME) at s[*pos]: 1 to 32 name characters. */
static int parse_name(const char *s, size_t n, size_t *pos, const char **ret_name, size_t *ret_len) {
    size_t start = *pos, i = *pos;
    while (i < n && is_name_char((unsigned char)s[i]) && s[i] != ' ') i++;
    if (i == start || i - start > JB_SD_NAME_MAX) return -EBADMSG;
    *ret_name = s + start;
    *ret_len = i - start;
    *pos = i;
    return 0;
}

/* Parse PARAM-VALUE after its opening quote, up to and including the closing quote. */
static int parse_value(const char *s, size_t n, size_t *pos) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = *pos;
    while (i < n) {
        unsigned char c = u[i];
        if (c == '"') {
            *pos = i + 1;
            return 0;
        }
        if (c == ']') return -EBADMSG; /* must be escaped */
        if (c == '\\') {
            /* \" \\ \] are escapes; a backslash before anything else is a plain backslash. */
            if (i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == ']'))
                i += 2;
            else
                i++;
            continue;
        }
        uint32_t cp;
        size_t len = jb_utf8_decode(u + i, n - i, &cp);
        if (len == 0) return -EBADMSG;
        i += len;
    }
    return -EBADMSG; /* no closing quote */
}

/* Parse one SD-ELEMENT starting at s[*pos] (which must be '['), calling v back (may be NULL).
 * 0, -EBADMSG, or the non-zero value a callback returned. */
static int parse_element(const char *s, size_t n, size_t *pos, const jb_sd_visitor *v, void *userdata,
                         const char **ret_id, size_t *ret_id_len) {
    size_t i = *pos;
    const char *id, *name;
    size_t id_len, name_len;
    int r;

    if (i >= n || s[i] != '[') return -EBADMSG;
    i++;
    r = parse_name(s, n, &i, &id, &id_len);
    if (r < 0) return r;
    if (v && v->element && (r = v->element(id, id_len, userdata)) != 0) return r;
    for (;;) {
        if (i >= n) return -EBADMSG;
        if (s[i] == ']') break;
        if (s[i] != ' ') return -EBADMSG;
        i++;
        r = parse_name(s, n, &i, &name, &name_len);
        if (r < 0) return r;
        if (i + 1 >= n || s[i] != '=' || s[i + 1] != '"') return -EBADMSG;
        i += 2;
        size_t value = i;
        r = parse_value(s, n, &i);
        if (r < 0) return r;
        if (v && v->param && (r = v->param(name, name_len, s + value, i - 1 - value, userdata)) != 0) return r;
    }
    *pos = i + 1;
    *ret_id = id;
    *ret_id_len = id_len;
    return 0;
}

#define SEEN_MAX 64

int jb_sd_walk(const char *s, size_t n, const jb_sd_visitor *v, void *userdata) {
    struct {
        const char *p;
        size_t n;
    } seen[SEEN_MAX];
    size_t n_elements = 0, pos = 0;

    if (!s || n == 0) return -EBADMSG;
    if (n == 1 && s[0] == '-') return 0;

    while (pos < n) {
        const char *id;
        size_t id_len;
        int r = parse_element(s, n, &pos, v, userdata, &id, &id_len);
        if (r != 0) return r;

        /* SD-IDs are unique. The first SEEN_MAX are remembered; past them (rare, hostile input),
         * earlier elements are parsed again from the start, which needs no memory. */
        size_t known = n_elements < SEEN_MAX ? n_elements : SEEN_MAX;
        for (size_t k = 0; k < known; k++)
            if (seen[k].n == id_len && memcmp(seen[k].p, id, id_len) == 0) return -EBADMSG;
        if (n_elements >= SEEN_MAX) {
            size_t q = 0;
            for (size_t k = 0; k < n_elements; k++) {
                const char *prev;
                size_t prev_len;
                if (parse_element(s, n, &q, NULL, NULL, &prev, &prev_len) < 0) return -EBADMSG; /* cannot happen */
                if (k >= SEEN_MAX && prev_len == id_len && memcmp(prev, id, id_len) == 0) return -EBADMSG;
            }
        } else {
            seen[n_elements].p = id;
            seen[n_elements].n = id_len;
        }
        n_elements++;
    }
    return 0;
}

int jb_sd_validate(const char *s, size_t n) {
    return jb_sd_walk(s, n, NULL, NULL);
}
