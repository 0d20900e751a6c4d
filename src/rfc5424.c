/* SPDX-License-Identifier: Apache-2.0 */
#include "rfc5424.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "sd.h"
#include "timestamp.h"

#define HOSTNAME_MAX 255
#define APP_NAME_MAX 48
#define PROCID_MAX 128
#define MSGID_MAX 32

/* True when one of the 8 bytes in x is a control character (below 0x20, or 0x7f). Exact: the
 * classic "has a byte less than" and "has a zero byte" tricks, which never flag 0x80-0xff. */
static inline bool has_control(uint64_t x) {
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    uint64_t del = x ^ (ones * 0x7f);
    return (((x - ones * 0x20) & ~x) | ((del - ones) & ~del)) & highs;
}

int jb_escape_control(jb_buf *out, const char *p, size_t n) {
    size_t run = 0;
    int r;

    r = jb_buf_reserve(out, n);
    if (r < 0) return r;
    for (size_t i = 0; i < n; i++) {
        if (n - i >= 8) { /* messages are mostly text: skip 8 bytes at once */
            uint64_t x;
            memcpy(&x, p + i, 8);
            if (!has_control(x)) {
                i += 7;
                continue;
            }
        }
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c != 0x7f) continue;
        char esc[4] = {'#', (char)('0' + (c >> 6)), (char)('0' + ((c >> 3) & 7)), (char)('0' + (c & 7))};
        r = jb_buf_append(out, p + run, i - run);
        if (r < 0) return r;
        r = jb_buf_append(out, esc, sizeof esc);
        if (r < 0) return r;
        run = i + 1;
    }
    return jb_buf_append(out, p + run, n - run);
}

/* ---- the line ---- */

/* A header field: printable ASCII only, at most max bytes, "-" when empty. */
static int append_header_field(jb_buf *out, const char *s, size_t max) {
    size_t n = s ? strnlen(s, max) : 0;
    int r;

    if (n == 0) return jb_buf_putc(out, '-');
    r = jb_buf_reserve(out, n);
    if (r < 0) return r;
    char *d = out->data + out->len; /* a local pointer: the loop needs no reload of out */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        d[i] = c >= 33 && c <= 126 ? (char)c : '_';
    }
    out->len += n;
    out->data[out->len] = 0;
    return 0;
}

int jb_rfc5424_header(jb_buf *out, const char *s, jb_header_field f) {
    static const size_t max[] = {HOSTNAME_MAX, APP_NAME_MAX, PROCID_MAX, MSGID_MAX};
    return append_header_field(out, s, (unsigned)f < JB_ELEMENTSOF(max) ? max[f] : MSGID_MAX);
}

/* A space, then a header field (append_header_field). */
static int space_then_field(jb_buf *out, const char *s, size_t max) {
    int r = jb_buf_putc(out, ' ');
    return r < 0 ? r : append_header_field(out, s, max);
}

static int rfc5424_format(const jb_record *rec, const jb_format_opts *o, jb_buf *out) {
    int r;
    char pri[8], *p = pri;
    int v = jb_record_pri(rec, o->facility_app, o->facility_audit); /* 0..191 */
    *p++ = '<';
    if (v >= 100) *p++ = (char)('0' + v / 100);
    if (v >= 10) *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    memcpy(p, ">1 ", 3);
    r = jb_buf_append(out, pri, (size_t)(p + 3 - pri));
    if (r < 0) return r;
    r = jb_format_time(out, rec->time_usec);
    if (r == -ERANGE) r = jb_buf_putc(out, '-'); /* a time RFC 3339 cannot write: NILVALUE */
    if (r < 0) return r;
    if ((r = space_then_field(out, rec->hostname, HOSTNAME_MAX)) < 0 ||
        (r = space_then_field(out, jb_record_app_name(rec), APP_NAME_MAX)) < 0 ||
        (r = space_then_field(out, rec->container_id, PROCID_MAX)) < 0 ||
        (r = space_then_field(out, jb_stream_name(rec->stream), MSGID_MAX)) < 0)
        return r;
    r = jb_buf_putc(out, ' ');
    if (r < 0) return r;
    r = jb_sd_build_cached(rec, o->pen, o->sd_cache, out);
    if (r < 0) return r;
    if (rec->message_len > 0) {
        r = jb_buf_putc(out, ' ');
        if (r < 0) return r;
        r = jb_escape_control(out, rec->message, rec->message_len);
        if (r < 0) return r;
    }
    return jb_buf_putc(out, '\n');
}

int jb_rfc5424_format(const jb_record *rec, const jb_format_opts *o, jb_buf *out) {
    static const jb_format_opts defaults = JB_FORMAT_OPTS_DEFAULT;
    size_t old_len = out->len;
    int r = rfc5424_format(rec, o ? o : &defaults, out);
    if (r < 0 && out->data) {
        /* Never leave half a line behind. */
        out->len = old_len;
        out->data[old_len] = 0;
    }
    return r;
}
