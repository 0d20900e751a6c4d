/* SPDX-License-Identifier: Apache-2.0 */
#include "filter.h"

#include <fnmatch.h>
#include <string.h>

struct jb_filter {
    char **containers;
    size_t n_containers;
    char **images;
    size_t n_images;
    char **components;
    size_t n_components;
    bool all_entries;
};

static void free_patterns(char **v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) jb_free(v[i]);
    jb_free(v);
}

jb_filter *jb_filter_free(jb_filter *f) {
    if (!f) return NULL;
    free_patterns(f->containers, f->n_containers);
    free_patterns(f->images, f->n_images);
    free_patterns(f->components, f->n_components);
    jb_free(f);
    return NULL;
}

static int check_patterns(const char *const *v, size_t n, const char *what, jb_error *err) {
    if (n > 0 && !v) return jb_error_set(err, -EINVAL, "no %s patterns given", what);
    for (size_t i = 0; i < n; i++)
        if (!v[i] || !v[i][0]) return jb_error_set(err, -EINVAL, "%s pattern %zu of %zu is empty", what, i + 1, n);
    return 0;
}

/* Copy n patterns into *ret (NULL when n is 0). On failure *ret holds what was copied so far,
 * for the caller to free with the filter. */
static int copy_patterns(const char *const *v, size_t n, char ***ret) {
    if (n == 0) return 0;
    *ret = jb_calloc(n, sizeof **ret);
    if (!*ret) return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        (*ret)[i] = jb_strdup(v[i]);
        if (!(*ret)[i]) return -ENOMEM;
    }
    return 0;
}

int jb_filter_new(const char *const *containers, size_t n_containers, const char *const *images, size_t n_images,
                  bool all_entries, jb_filter **ret, jb_error *err) {
    int r = check_patterns(containers, n_containers, "container name", err);
    if (r < 0) return r;
    r = check_patterns(images, n_images, "image name", err);
    if (r < 0) return r;

    jb_filter *f = jb_calloc(1, sizeof *f);
    if (!f) return jb_error_set(err, -ENOMEM, "out of memory");
    f->all_entries = all_entries;
    f->n_containers = n_containers;
    f->n_images = n_images;
    /* the counts are set first: free_patterns() skips the NULL slots not yet copied */
    if (copy_patterns(containers, n_containers, &f->containers) < 0 ||
        copy_patterns(images, n_images, &f->images) < 0) {
        jb_filter_free(f);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    *ret = f;
    return 0;
}

/* Any of the n patterns matches the buffer. A value with a NUL inside matches nothing: fnmatch()
 * would only see the part before it. */
static bool any_match(char *const *patterns, size_t n, const jb_buf *b) {
    const char *s = jb_entry_str(b);
    if (strlen(s) != b->len) return false;
    for (size_t i = 0; i < n; i++)
        if (fnmatch(patterns[i], s, 0) == 0) return true;
    return false;
}

bool jb_filter_match(const jb_filter *f, const jb_entry *e) {
    if (!e->is_container) return f->all_entries && f->n_containers == 0 && f->n_images == 0;
    if (f->n_containers > 0 && !any_match(f->containers, f->n_containers, &e->container_name)) return false;
    if (f->n_images > 0 && !any_match(f->images, f->n_images, &e->image)) return false;
    return true;
}

int jb_filter_set_components(jb_filter *f, const char *const *globs, size_t n, jb_error *err) {
    char **v = NULL;
    int r = check_patterns(globs, n, "component", err);
    if (r < 0) return r;
    if (copy_patterns(globs, n, &v) < 0) {
        free_patterns(v, n);
        return jb_error_set(err, -ENOMEM, "out of memory");
    }
    free_patterns(f->components, f->n_components);
    f->components = v;
    f->n_components = n;
    return 0;
}

bool jb_filter_component(const jb_filter *f, const char *c, size_t n) {
    if (f->n_components == 0) return true;
    jb_buf b = {(char *)(c ? c : ""), c ? n : 0, 0};
    return any_match(f->components, f->n_components, &b);
}
