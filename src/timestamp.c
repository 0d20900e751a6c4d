/* SPDX-License-Identifier: Apache-2.0 */
#include "timestamp.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

uint64_t jb_now_usec(clockid_t clk) {
    struct timespec ts;
    if (clock_gettime(clk, &ts) < 0) return 0;
    return (uint64_t)ts.tv_sec * UINT64_C(1000000) + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- civil dates ---- */

/* H. Hinnant's algorithms. */
int64_t jb_days_from_civil(int64_t y, unsigned m, unsigned d) {
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

int jb_days_in_month(int year, int month) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* ---- RFC 3339 writing ---- */

static char *put_digits(char *p, unsigned v, int width) {
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* The date of usec, or false when its year has more than four digits. */
static bool date_of(uint64_t usec, int64_t *y, unsigned *mo, unsigned *d) {
    civil_from_days((int64_t)(usec / 1000000u / 86400), y, mo, d);
    return *y <= 9999; /* RFC 3339 has four-digit years */
}

/* The JB_RFC3339_LEN bytes of usec (whose date is y-mo-d) at p, without a NUL. */
static void put_time(char *p, uint64_t usec, int64_t y, unsigned mo, unsigned d) {
    unsigned sod = (unsigned)(usec / 1000000u % 86400);
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
    *p = 'Z';
}

int jb_rfc3339_write(uint64_t usec, char out[static JB_RFC3339_LEN + 1]) {
    int64_t y;
    unsigned mo, d;
    if (!date_of(usec, &y, &mo, &d)) return -ERANGE;
    put_time(out, usec, y, mo, d);
    out[JB_RFC3339_LEN] = 0;
    return 0;
}

int jb_format_time(jb_buf *out, uint64_t usec) {
    int64_t y;
    unsigned mo, d;
    if (!date_of(usec, &y, &mo, &d)) return -ERANGE;
    int r = jb_buf_reserve(out, JB_RFC3339_LEN);
    if (r < 0) return r;
    put_time(out->data + out->len, usec, y, mo, d);
    out->len += JB_RFC3339_LEN;
    out->data[out->len] = 0;
    return 0;
}

/* ---- RFC 3339 parsing ---- */

/* The two decimal digits at p as a number, or -1. The fields of an RFC 3339 time are at fixed
 * places: the reader parses the time of every entry, so each is read in one step. */
static inline int digits2(const char *p) {
    unsigned a = (unsigned)(unsigned char)p[0] - '0', b = (unsigned)(unsigned char)p[1] - '0';
    return a > 9 || b > 9 ? -1 : (int)(a * 10 + b);
}

/* The 8 bytes at p are all digits: their value. Eight at once (the reader parses a time per
 * entry, and a fraction of nine digits one by one was a third of the parse). */
static inline bool eight_digits(const char *p, uint32_t *ret) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, p, 8);
    const uint64_t hi = UINT64_C(0xF0F0F0F0F0F0F0F0), zeros = UINT64_C(0x3030303030303030);
    /* each byte 0x30-0x3F, and still 0x3_ with 6 added: 0x30-0x39 ('+ 6' cannot carry out of a
     * byte that passed the first test) */
    if ((w & hi) != zeros || ((w + UINT64_C(0x0606060606060606)) & hi) != zeros) return false;
    w -= zeros;
    w = (w * 10 + (w >> 8)) & UINT64_C(0x00FF00FF00FF00FF);   /* pairs: 10a + b */
    w = (w * 100 + (w >> 16)) & UINT64_C(0x0000FFFF0000FFFF); /* fours */
    *ret = (uint32_t)((w * 10000 + (w >> 32)) & 0xFFFFFFFFu); /* eight */
    return true;
#else
    (void)p;
    (void)ret;
    return false; /* the digit loop does it */
#endif
}

/* The last valid "YYYY-MM-DDTHH:MM" parsed in this thread and its time in seconds: the reader
 * parses a time per entry, and entries in a row mostly share their minute (the date's checks
 * and jb_days_from_civil() were half of the parse). */
static _Thread_local struct {
    uint64_t key[2];
    int64_t secs;
    bool valid;
} last_minute;

static inline bool same_minute(const char *p, int64_t *ret) {
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    if (!last_minute.valid || ((a ^ last_minute.key[0]) | (b ^ last_minute.key[1])) != 0) return false;
    *ret = last_minute.secs;
    return true;
}

static inline void remember_minute(const char *p, int64_t secs) {
    memcpy(last_minute.key, p, 16);
    last_minute.secs = secs;
    last_minute.valid = true;
}

int jb_parse_rfc3339(const char *p, size_t n, uint64_t *ret_usec) {
    int off_h = 0, off_m = 0, sign = 0;
    uint64_t usec = 0;

    /* YYYY-MM-DDTHH:MM:SS and at least one more character (Z or an offset) */
    if (!p || n < 20) return -EINVAL;
    int second = digits2(p + 17);
    /* 60: leap second, counted as the next second as POSIX time does */
    if (second < 0 || second > 60 || p[16] != ':') return -EINVAL;
    int64_t t;
    if (!same_minute(p, &t)) {
        int y_hi = digits2(p), y_lo = digits2(p + 2), month = digits2(p + 5), day = digits2(p + 8);
        int hour = digits2(p + 11), minute = digits2(p + 14);
        if ((y_hi | y_lo | month | day | hour | minute) < 0 || p[4] != '-' || p[7] != '-' ||
            (p[10] != 'T' && p[10] != 't') || p[13] != ':')
            return -EINVAL;
        int year = y_hi * 100 + y_lo;
        if (month < 1 || month > 12 || day < 1 || day > jb_days_in_month(year, month) || hour > 23 || minute > 59)
            return -EINVAL;
        t = jb_days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 + minute * 60;
        remember_minute(p, t);
    }
    t += second;
    size_t pos = 19;

    if (pos < n && p[pos] == '.') {
        /* 1-9 digits; those past the sixth are dropped: truncated to microseconds */
        static const uint32_t scale[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
        size_t start = ++pos;
        uint32_t v8;
        if (n - pos >= 8 && eight_digits(p + pos, &v8)) { /* the common 9 (journald, Docker) or 8 digits */
            usec = v8 / 100;
            pos += 8;
        }
        while (pos < n && (unsigned)(unsigned char)p[pos] - '0' <= 9) {
            if (pos - start < 6) usec = usec * 10 + (unsigned)(p[pos] - '0');
            pos++;
        }
        size_t digits = pos - start;
        if (digits == 0 || digits > 9) return -EINVAL;
        if (digits < 6) usec *= scale[digits];
    }

    if (pos >= n) return -EINVAL;
    if (p[pos] == 'Z' || p[pos] == 'z') {
        pos++;
    } else if (p[pos] == '+' || p[pos] == '-') {
        sign = p[pos] == '+' ? 1 : -1;
        pos++;
        if (n - pos < 5) return -EINVAL;
        off_h = digits2(p + pos);
        off_m = digits2(p + pos + 3);
        if (off_h < 0 || p[pos + 2] != ':' || off_m < 0 || off_h > 23 || off_m > 59) return -EINVAL;
        pos += 5;
    } else {
        return -EINVAL;
    }
    if (pos != n) return -EINVAL;

    int64_t secs = (int64_t)t - (int64_t)sign * (off_h * 3600 + off_m * 60);
    if (secs < 0) return -EINVAL; /* before the epoch: not representable */
    *ret_usec = (uint64_t)secs * 1000000u + usec;
    return 0;
}
