/* SPDX-License-Identifier: Apache-2.0 */
#include "rfc5424.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "sd.h"

#define HOSTNAME_MAX 255
#define APP_NAME_MAX 48
#define PROCID_MAX 128
#define MSGID_MAX 32

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms): plain
 * arithmetic, no time zone lookup or lock as in gmtime_r()/timegm(). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *put_digits(char *p, unsigned v, int width) {
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

int jb_format_time(jb_buf *out, uint64_t usec) {
    uint64_t secs = usec / 1000000u;
    int64_t y;
    unsigned mo, d;

    civil_from_days((int64_t)(secs / 86400), &y, &mo, &d);
    if (y > 9999) return -ERANGE; /* RFC 3339 has four-digit years */
    unsigned sod = (unsigned)(secs % 86400);
    int r = jb_buf_reserve(out, 27);
    if (r < 0) return r;
    char *p = out->data + out->len;
    p = put_digits(p, (unsigned)y, 4);
    *p++ = '-';
    p = put_digits(p, mo, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    *p++ = '.';
    p = put_digits(p, (unsigned)(usec % 1000000u), 6);
    *p++ = 'Z';
    out->len = (size_t)(p - out->data);
    out->data[out->len] = 0;
    return 0;
}

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

/* ---- RFC 3339 parsing ---- */

/* Exactly `digits` decimal digits at p[*pos] into *ret. */
static bool parse_digits(const char *p, size_t n, size_t *pos, size_t digits, int *ret) {
    int v = 0;
    if (n - *pos < digits) return false;
    for (size_t i = 0; i < digits; i++) {
        char c = p[*pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *pos += digits;
    *ret = v;
    return true;
}

static bool expect_char(const char *p, size_t n, size_t *pos, char c) {
    if (*pos >= n || p[*pos] != c) return false;
    (*pos)++;
    return true;
}

static int days_in_month(int year, int month) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

int jb_parse_rfc3339(const char *p, size_t n, uint64_t *ret_usec) {
    int year, month, day, hour, minute, second, off_h = 0, off_m = 0, sign = 0;
    uint64_t usec = 0;
    size_t pos = 0;

    if (!p) return -EINVAL;
    if (!parse_digits(p, n, &pos, 4, &year) || !expect_char(p, n, &pos, '-') || !parse_digits(p, n, &pos, 2, &month) ||
        !expect_char(p, n, &pos, '-') || !parse_digits(p, n, &pos, 2, &day))
        return -EINVAL;
    if (pos >= n || (p[pos] != 'T' && p[pos] != 't')) return -EINVAL;
    pos++;
    if (!parse_digits(p, n, &pos, 2, &hour) || !expect_char(p, n, &pos, ':') || !parse_digits(p, n, &pos, 2, &minute) ||
        !expect_char(p, n, &pos, ':') || !parse_digits(p, n, &pos, 2, &second))
        return -EINVAL;
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
        second > 60) /* 60: leap second, counted as the next second as POSIX time does */
        return -EINVAL;

    if (pos < n && p[pos] == '.') {
        size_t digits = 0;
        uint64_t scale = 100000;
        pos++;
        while (pos < n && p[pos] >= '0' && p[pos] <= '9') {
            if (++digits > 9) return -EINVAL;
            usec += (uint64_t)(p[pos] - '0') * scale;
            scale /= 10; /* digits past the sixth add 0: truncated to microseconds */
            pos++;
        }
        if (digits == 0) return -EINVAL;
    }

    if (pos >= n) return -EINVAL;
    if (p[pos] == 'Z' || p[pos] == 'z') {
        pos++;
    } else if (p[pos] == '+' || p[pos] == '-') {
        sign = p[pos] == '+' ? 1 : -1;
        pos++;
        if (!parse_digits(p, n, &pos, 2, &off_h) || !expect_char(p, n, &pos, ':') ||
            !parse_digits(p, n, &pos, 2, &off_m) || off_h > 23 || off_m > 59)
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    if (pos != n) return -EINVAL;

    int64_t t = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 + minute * 60 + second;
    int64_t secs = (int64_t)t - (int64_t)sign * (off_h * 3600 + off_m * 60);
    if (secs < 0) return -EINVAL; /* before the epoch: not representable */
    *ret_usec = (uint64_t)secs * 1000000u + usec;
    return 0;
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
    r = jb_buf_putc(out, ' ');
    if (r < 0) return r;
    r = append_header_field(out, rec->hostname, HOSTNAME_MAX);
    if (r < 0) return r;
    r = jb_buf_putc(out, ' ');
    if (r < 0) return r;
    r = append_header_field(out, jb_record_app_name(rec), APP_NAME_MAX);
    if (r < 0) return r;
    r = jb_buf_putc(out, ' ');
    if (r < 0) return r;
    r = append_header_field(out, rec->container_id, PROCID_MAX);
    if (r < 0) return r;
    r = jb_buf_putc(out, ' ');
    if (r < 0) return r;
    r = append_header_field(out, jb_stream_name(rec->stream), MSGID_MAX);
    if (r < 0) return r;
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
