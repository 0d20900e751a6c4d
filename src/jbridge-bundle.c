/* SPDX-License-Identifier: Apache-2.0 */
/* jbridge bundle: the records of a time range into one .tar.gz (the work is bundle.c's). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "jbridge.h"

static void describe_source(const jb_source *src, char *buf, size_t n) {
    switch (src->kind) {
    case JB_SOURCE_DIRECTORY:
        snprintf(buf, n, "directory %s", src->directory);
        break;
    case JB_SOURCE_FILES:
        snprintf(buf, n, "%zu journal file%s", src->n_files, src->n_files == 1 ? "" : "s");
        break;
    case JB_SOURCE_NAMESPACE:
        snprintf(buf, n, "namespace %s", src->name_space);
        break;
    case JB_SOURCE_SYSTEM:
    default:
        snprintf(buf, n, "system journal");
        break;
    }
}

/* The archive goes to a temporary file beside FILE, renamed over it once complete. */
static int bundle_open_out(const char *path, char *tmp, size_t n) {
    if (strcmp(path, "-") == 0) {
        tmp[0] = 0;
        int fd = dup(STDOUT_FILENO);
        return fd < 0 ? -errno : fd;
    }
    if ((size_t)snprintf(tmp, n, "%s.XXXXXX", path) >= n) return -ENAMETOOLONG;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) return -errno;
    if (fchmod(fd, 0640) < 0) {
        int r = -errno;
        close(fd);
        unlink(tmp);
        return r;
    }
    return fd;
}

/* The bundle's record callback, counting what it takes (records outside the range are not). */
typedef struct bundle_ctx {
    jb_bundle *bundle;
    jb_cli_report *report;
} bundle_ctx;

static int take_record(const jb_record *rec, void *userdata) {
    bundle_ctx *c = userdata;
    uint64_t before = jb_bundle_records(c->bundle);
    int r = jb_bundle_add(rec, c->bundle);
    if (r >= 0 && jb_bundle_records(c->bundle) > before) jb_cli_report_record(c->report, rec);
    return r;
}

static int bundle_read(const options *o, jb_bridge *b, bundle_ctx *ctx, jb_error *err) {
    int r = jb_bridge_seek_realtime(b, o->since_usec, err);
    while (r >= 0) {
        int n = jb_bridge_process(b, SAVE_EVERY_ENTRIES, take_record, ctx, err);
        if (n < 0) return n;
        jb_cli_report_progress(ctx->report, jb_bridge_stats(b), NULL);
        if (jb_cli_stop_requested) return jb_error_set(err, -EINTR, "interrupted: no archive written");
        if (n == 0) break;
    }
    if (r >= 0) r = jb_bridge_flush(b, take_record, ctx, err);
    return r;
}

int jb_cli_bundle(const options *o) {
    jb_error err = {0};
    jb_bundle_opts bo = {.since_usec = o->since_usec, .until_usec = o->until_usec, .fmt = o->fmt};
    jb_bundle *bundle = NULL;
    jb_bridge *b = NULL;
    jb_cli_report report;
    jb_cli_report_init(&report, "jbridge bundle", strcmp(o->bundle_out, "-") == 0);
    char tmp[PATH_MAX], source[PATH_MAX + 32], host[256] = "";
    int fd = -1;

    int r = jb_bundle_new(&bo, &bundle, &err);
    if (r >= 0) r = jb_bridge_new(&o->cfg, &b, &err);
    if (r >= 0) {
        jb_bridge_set_gap_cb(b, jb_cli_report_gap, NULL);
        jb_cli_report_unreadable(b);
        bundle_ctx ctx = {.bundle = bundle, .report = &report};
        r = bundle_read(o, b, &ctx, &err);
        const char *dir;
        int e = jb_bundle_spool_error(bundle, &dir);
        if (r < 0 && e < 0) r = jb_error_set(&err, e, "cannot spool records in %s (TMPDIR): %s", dir, strerror(-e));
    }
    if (r >= 0) {
        fd = bundle_open_out(o->bundle_out, tmp, sizeof tmp);
        if (fd < 0) r = jb_error_set(&err, fd, "cannot create %s: %s", o->bundle_out, strerror(-fd));
    }
    if (r >= 0) {
        gethostname(host, sizeof host - 1);
        describe_source(&o->cfg.source, source, sizeof source);
        jb_bundle_info info = {.host = host, .source = source, .version = PACKAGE_VERSION, .stats = jb_bridge_stats(b)};
        int keep = tmp[0] ? dup(fd) : -1; /* to fsync the file after the archive closed fd */
        r = jb_bundle_write(bundle, fd, &info, &err);
        if (r < 0) { /* name the archive */
            jb_error e = err;
            r = jb_error_set(&err, r, "%s: %s", o->bundle_out, e.msg);
        }
        if (r >= 0 && keep >= 0 && fsync(keep) < 0)
            r = jb_error_set(&err, -errno, "cannot write %s: %s", o->bundle_out, strerror(errno));
        if (keep >= 0) close(keep);
        if (r >= 0 && tmp[0] && rename(tmp, o->bundle_out) < 0)
            r = jb_error_set(&err, -errno, "cannot rename %s to %s: %s", tmp, o->bundle_out, strerror(errno));
        if (r < 0 && tmp[0]) unlink(tmp);
    }
    if (r < 0) {
        jb_cli_report_clear();
        fprintf(stderr, "jbridge: %s\n", err.msg);
    } else if (b) {
        char done[PATH_MAX + 8];
        snprintf(done, sizeof done, "wrote %s", o->bundle_out);
        jb_cli_report_summary(&report, jb_bridge_stats(b), done);
    }
    jb_bridge_free(b);
    jb_bundle_free(bundle);
    return r;
}
