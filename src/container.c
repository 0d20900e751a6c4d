/* SPDX-License-Identifier: Apache-2.0 */
#include "container.h"

#include <string.h>

int jb_message_kind_from_string(const char *s, jb_message_kind *ret) {
    if (!s || strcmp(s, "line") == 0) {
        *ret = JB_MESSAGE_LINE;
        return 0;
    }
    if (strcmp(s, "inner") == 0) {
        *ret = JB_MESSAGE_INNER;
        return 0;
    }
    return -EINVAL;
}

bool jb_field_glob_valid(const char *glob) {
    size_t n = glob ? strlen(glob) : 0;
    if (n < 1 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        char c = glob[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || strchr("*?[]!-", c))) return false;
    }
    return true;
}

const char *jb_container_tag(const jb_entry *e) {
    const jb_buf *t = &e->container_tag, *id = &e->container_id, *full = &e->container_id_full;
    if (t->len == 0) return "";
    /* lengths first: this runs for every record */
    if ((t->len == id->len && memcmp(t->data, id->data, t->len) == 0) ||
        (t->len == full->len && memcmp(t->data, full->data, t->len) == 0))
        return "";
    return t->data;
}

int jb_container_fields(const jb_entry *e, jb_container_field **v, size_t *cap, size_t *ret_n) {
    size_t pos = 0, n = 0;
    const char *name, *value;
    size_t value_len;
    while (jb_entry_next_extra(e, &pos, &name, &value, &value_len) > 0) {
        if (n == *cap) {
            size_t c = *cap ? *cap * 2 : 8;
            jb_container_field *nv = jb_realloc(*v, c * sizeof *nv);
            if (!nv) return -ENOMEM;
            *v = nv;
            *cap = c;
        }
        (*v)[n++] = (jb_container_field){name, value, value_len};
    }
    *ret_n = n;
    return 0;
}
