/* SPDX-License-Identifier: Apache-2.0 */
#include "hostpos.h"

#include <string.h>
#include <sys/types.h>

#include "cursor.h"

#define MAGIC_LEN (sizeof JB_HOSTPOS_MAGIC - 1)

bool jb_hostpos_is(const char *s) {
    return s && strncmp(s, JB_HOSTPOS_MAGIC, MAGIC_LEN) == 0 && (s[MAGIC_LEN] == 0 || s[MAGIC_LEN] == ' ');
}

static bool name_plain(unsigned char c) {
    return c > 0x20 && c < 0x7f && c != '%' && c != '=';
}

int jb_hostpos_append_item(jb_buf *out, const char *name, const char *cursor, size_t cursor_len) {
    static const char hex[] = "0123456789ABCDEF";
    int r = jb_buf_putc(out, ' ');
    for (const unsigned char *s = (const unsigned char *)name; r >= 0 && *s; s++) {
        if (name_plain(*s)) {
            r = jb_buf_putc(out, (char)*s);
        } else {
            char esc[3] = {'%', hex[*s >> 4], hex[*s & 15]};
            r = jb_buf_append(out, esc, 3);
        }
    }
    if (r >= 0) r = jb_buf_putc(out, '=');
    if (r >= 0) r = jb_buf_append(out, cursor, cursor_len);
    return r < 0 ? r : 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Decode the escaped name of n bytes at p into out (n + 1 bytes). false when malformed or empty. */
static bool decode_name(const char *p, size_t n, char *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '%') {
            if (i + 2 >= n) return false;
            int a = hexval(p[i + 1]), b = hexval(p[i + 2]);
            if (a < 0 || b < 0 || (a == 0 && b == 0)) return false;
            out[k++] = (char)(a << 4 | b);
            i += 2;
        } else if (name_plain(c)) {
            out[k++] = (char)c;
        } else {
            return false;
        }
    }
    out[k] = 0;
    return k > 0;
}

void jb_hostpos_reset(jb_hostpos *p) {
    for (size_t i = 0; i < p->n; i++) {
        jb_free(p->name[i]);
        jb_buf_done(&p->cursor[i]);
    }
    p->n = 0;
    if (p->slot_of) memset(p->slot_of, 0, p->n_slot_of * sizeof *p->slot_of);
    p->changes++;
}

void jb_hostpos_done(jb_hostpos *p) {
    jb_hostpos_reset(p);
    jb_free(p->name);
    jb_free(p->cursor);
    jb_free(p->slot_of);
    *p = (jb_hostpos){0};
}

ssize_t jb_hostpos_find(const jb_hostpos *p, const char *name) {
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0) return (ssize_t)i;
    return -1;
}

static ssize_t add_slot(jb_hostpos *p, const char *name) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        char **nm = jb_realloc(p->name, cap * sizeof *nm);
        if (!nm) return -ENOMEM;
        p->name = nm;
        jb_buf *cu = jb_realloc(p->cursor, cap * sizeof *cu);
        if (!cu) return -ENOMEM;
        p->cursor = cu;
        p->cap = cap;
    }
    char *copy = jb_strdup(name);
    if (!copy) return -ENOMEM;
    p->name[p->n] = copy;
    p->cursor[p->n] = (jb_buf){0};
    return (ssize_t)p->n++;
}

ssize_t jb_hostpos_slot(jb_hostpos *p, uint32_t host_index, const char *name) {
    if (host_index > 0 && host_index <= p->n_slot_of && p->slot_of[host_index - 1])
        return (ssize_t)p->slot_of[host_index - 1] - 1;
    ssize_t s = jb_hostpos_find(p, name);
    if (s < 0) s = add_slot(p, name);
    if (s < 0 || host_index == 0) return s;
    if (host_index > p->n_slot_of) {
        size_t n = p->n_slot_of ? p->n_slot_of : 16;
        while (n < host_index) n *= 2;
        size_t *v = jb_realloc(p->slot_of, n * sizeof *v);
        if (!v) return -ENOMEM;
        memset(v + p->n_slot_of, 0, (n - p->n_slot_of) * sizeof *v);
        p->slot_of = v;
        p->n_slot_of = n;
    }
    p->slot_of[host_index - 1] = (size_t)s + 1;
    return s;
}

int jb_hostpos_update(jb_hostpos *p, uint32_t host_index, const char *name, const char *cursor, size_t n) {
    ssize_t s = jb_hostpos_slot(p, host_index, name);
    if (s < 0) return (int)s;
    jb_buf *b = &p->cursor[s];
    b->len = 0;
    int r = jb_buf_append(b, cursor, n);
    p->changes++;
    return r < 0 ? r : 0;
}

int jb_hostpos_format(const jb_hostpos *p, jb_buf *out) {
    jb_buf_reset(out);
    if (p->n == 0) return 0;
    int r = jb_buf_puts(out, JB_HOSTPOS_MAGIC);
    size_t items = 0;
    for (size_t i = 0; r >= 0 && i < p->n; i++) {
        if (p->cursor[i].len == 0) continue;
        r = jb_hostpos_append_item(out, p->name[i], p->cursor[i].data, p->cursor[i].len);
        items++;
    }
    if (r < 0) return r;
    if (items == 0) jb_buf_reset(out);
    return 0;
}

/* Walk the items of s: cb(name, cursor) for each, decoded and NUL-terminated (cb may be NULL). */
static int walk(const char *s, int (*cb)(const char *name, const char *cursor, void *u), void *u) {
    if (!jb_hostpos_is(s)) return -EINVAL;
    _cleanup_free_ char *tmp = jb_malloc(strlen(s) + 2);
    if (!tmp) return -ENOMEM;
    const char *p = s + MAGIC_LEN;
    size_t count = 0;
    while (*p) {
        p++; /* the space */
        const char *end = strchrnul(p, ' ');
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq || ++count > JB_HOSTPOS_MAX_HOSTS) return -EINVAL;
        char *name = tmp, *cursor = tmp + (eq - p) + 1;
        memcpy(cursor, eq + 1, (size_t)(end - eq - 1));
        cursor[end - eq - 1] = 0;
        if (!decode_name(p, (size_t)(eq - p), name) || !jb_cursor_valid(cursor)) return -EINVAL;
        if (cb) {
            int r = cb(name, cursor, u);
            if (r < 0) return r;
        }
        p = end;
    }
    return 0;
}

static int add_item(const char *name, const char *cursor, void *u) {
    jb_hostpos *p = u;
    if (jb_hostpos_find(p, name) >= 0) return -EINVAL;
    ssize_t s = add_slot(p, name);
    if (s < 0) return (int)s;
    int r = jb_buf_puts(&p->cursor[s], cursor);
    return r < 0 ? r : 0;
}

int jb_hostpos_parse(jb_hostpos *p, const char *s) {
    jb_hostpos_reset(p);
    int r = walk(s, add_item, p);
    if (r < 0) jb_hostpos_reset(p);
    return r;
}

bool jb_hostpos_valid(const char *s) {
    return walk(s, NULL, NULL) == 0;
}
