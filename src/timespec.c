/* SPDX-License-Identifier: Apache-2.0 */
#include "timespec.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "timestamp.h"

/* Exactly n digits at *s, advancing it. */
static bool digits(const char **s, int n, int *ret) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9') return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *ret = v;
    return true;
}

/* ".fraction": 1-9 digits, truncated to microseconds. */
static bool fraction(const char **s, uint64_t *ret_usec) {
    uint64_t usec = 0, scale = 100000;
    int nd = 0;
    if (**s != '.') return true;
    (*s)++;
    while (**s >= '0' && **s <= '9') {
        if (++nd > 9) return false;
        usec += (uint64_t)(**s - '0') * scale;
        scale /= 10;
        (*s)++;
    }
    *ret_usec = usec;
    return nd > 0;
}

static int parse_epoch(const char *s, uint64_t *ret_usec) {
    uint64_t sec = 0, usec = 0;
    if (*s < '0' || *s > '9') return -EINVAL;
    for (; *s >= '0' && *s <= '9'; s++) {
        sec = sec * 10 + (uint64_t)(*s - '0');
        if (sec > UINT64_C(253402300799)) return -EINVAL; /* 9999-12-31T23:59:59Z */
    }
    if (!fraction(&s, &usec) || *s) return -EINVAL;
    *ret_usec = sec * 1000000u + usec;
    return 0;
}

int jb_parse_time_spec(const char *s, uint64_t *ret_usec) {
    if (!s) return -EINVAL;
    if (strcmp(s, "now") == 0) {
        uint64_t now = jb_now_usec(CLOCK_REALTIME);
        if (now == 0) return -EINVAL; /* the clock cannot be read */
        *ret_usec = now;
        return 0;
    }
    if (s[0] == '@') return parse_epoch(s + 1, ret_usec);

    int y, mo, d, h = 0, mi = 0, sec = 0;
    uint64_t usec = 0;
    const char *p = s;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d)) return -EINVAL;
    if (*p == ' ' || *p == 'T' || *p == 't') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi)) return -EINVAL;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec)) return -EINVAL;
            if (!fraction(&p, &usec)) return -EINVAL;
        }
    }
    bool zoned = false;
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        zoned = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!digits(&p, 2, &oh)) return -EINVAL;
        if (*p == ':') p++;
        if (!digits(&p, 2, &om) || oh > 23 || om > 59) return -EINVAL;
        zoned = true;
        offset = sign * (oh * 3600L + om * 60L);
    }
    if (*p) return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return -EINVAL;

    long long v;
    if (zoned) {
        if (d > jb_days_in_month(y, mo)) return -EINVAL;
        v = jb_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600L + mi * 60L + sec - offset;
    } else {
        struct tm tm = {0};
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        /* mktime normalizes 2018-02-30 into March: an impossible date no longer reads the same. */
        if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31)) return -EINVAL;
        if (tm.tm_mday != d || tm.tm_mon != mo - 1) return -EINVAL;
        v = (long long)t;
    }
    if (v < 0 || v > 253402300799LL) return -EINVAL;
    *ret_usec = (uint64_t)v * 1000000u + usec;
    return 0;
}
