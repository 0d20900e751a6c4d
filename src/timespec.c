/* SPDX-License-Identifier: Apache-2.0 */
#include "timespec.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "macro.h"
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

/* "HH:MM[:SS[.fraction]]" at *p, advancing it. */
static bool clock_time(const char **p, int *h, int *mi, int *sec, uint64_t *usec) {
    if (!digits(p, 2, h) || *(*p)++ != ':' || !digits(p, 2, mi)) return false;
    if (**p != ':') return true;
    (*p)++;
    return digits(p, 2, sec) && fraction(p, usec);
}

/* Local midnight of now's day plus days (yesterday: -1). */
static int midnight(uint64_t now, int days, uint64_t *ret_usec) {
    struct tm tm;
    time_t t = (time_t)(now / 1000000u);
    if (!localtime_r(&t, &tm)) return -EINVAL;
    tm.tm_mday += days;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    t = mktime(&tm);
    if (t == (time_t)-1 || t < 0 || (long long)t > 253402300799LL) return -EINVAL;
    *ret_usec = (uint64_t)t * 1000000u;
    return 0;
}

/* systemd's time span units (parse_sec()), case-sensitive: "m" is minutes, "M" months. */
static const struct {
    const char *name;
    uint64_t usec;
} units[] = {
    {"usec", 1},
    {"us", 1},
    {"msec", 1000},
    {"ms", 1000},
    {"seconds", 1000000},
    {"second", 1000000},
    {"sec", 1000000},
    {"s", 1000000},
    {"minutes", 60000000},
    {"minute", 60000000},
    {"min", 60000000},
    {"m", 60000000},
    {"hours", UINT64_C(3600000000)},
    {"hour", UINT64_C(3600000000)},
    {"hr", UINT64_C(3600000000)},
    {"h", UINT64_C(3600000000)},
    {"days", UINT64_C(86400000000)},
    {"day", UINT64_C(86400000000)},
    {"d", UINT64_C(86400000000)},
    {"weeks", UINT64_C(604800000000)},
    {"week", UINT64_C(604800000000)},
    {"w", UINT64_C(604800000000)},
    {"months", UINT64_C(2629800000000)}, /* 30.44 days */
    {"month", UINT64_C(2629800000000)},
    {"M", UINT64_C(2629800000000)},
    {"years", UINT64_C(31557600000000)}, /* 365.25 days */
    {"year", UINT64_C(31557600000000)},
    {"y", UINT64_C(31557600000000)},
};

/* The longest span accepted: 10,000 years, more than any valid time is from another. */
#define SPAN_MAX (UINT64_C(10000) * UINT64_C(31557600000000))

/* A time span as journalctl takes it: one or more "NUMBER[.fraction][ ]UNIT" (blanks between
 * them allowed), e.g. "1h", "5min", "1h 30min", "2.5d"; a number without a unit is seconds. */
static int parse_span(const char *s, size_t n, uint64_t *ret_usec) {
    const char *p = s, *end = s + n;
    uint64_t total = 0;
    bool any = false;
    while (p < end) {
        while (p < end && *p == ' ') p++;
        if (p == end) break;
        if (*p < '0' || *p > '9') return -EINVAL;
        uint64_t whole = 0, frac = 0, scale = 1;
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            whole = whole * 10 + (uint64_t)(*p - '0');
            if (whole > SPAN_MAX) return -EINVAL;
        }
        if (p < end && *p == '.') {
            p++;
            if (p == end || *p < '0' || *p > '9') return -EINVAL;
            for (; p < end && *p >= '0' && *p <= '9'; p++)
                if (scale < UINT64_C(1000000)) frac = frac * 10 + (uint64_t)(*p - '0'), scale *= 10;
        }
        while (p < end && *p == ' ') p++;
        const char *u = p;
        while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) p++;
        uint64_t mult = 1000000; /* no unit: seconds */
        if (p > u) {
            size_t i, len = (size_t)(p - u);
            for (i = 0; i < JB_ELEMENTSOF(units); i++)
                if (strlen(units[i].name) == len && memcmp(units[i].name, u, len) == 0) break;
            if (i == JB_ELEMENTSOF(units)) return -EINVAL;
            mult = units[i].usec;
        }
        if (whole > SPAN_MAX / mult) return -EINVAL;
        /* at most 6 fraction digits; units from seconds up are whole multiples of 10^6 usec */
        total += whole * mult + (mult >= scale ? frac * (mult / scale) : frac * mult / scale);
        if (total > SPAN_MAX) return -EINVAL;
        any = true;
    }
    if (!any) return -EINVAL;
    *ret_usec = total;
    return 0;
}

/* now plus or minus a span, within [the epoch, 9999-12-31T23:59:59Z]. */
static int relative(uint64_t now, const char *span, size_t n, bool back, uint64_t *ret_usec) {
    uint64_t d;
    if (parse_span(span, n, &d) < 0) return -EINVAL;
    if (back ? d > now : now + d > UINT64_C(253402300799999999)) return -EINVAL;
    *ret_usec = back ? now - d : now + d;
    return 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix) {
    size_t k = strlen(suffix);
    return n > k && memcmp(s + n - k, suffix, k) == 0;
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

/* A date and/or a time of day, local or with a zone (now: for a time alone, today's date). */
static int parse_date(const char *s, uint64_t now, uint64_t *ret_usec) {
    int y, mo, d, h = 0, mi = 0, sec = 0;
    uint64_t usec = 0;
    const char *p = s;
    if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':') {
        /* a time alone: today's date (local, like journalctl) */
        struct tm now_tm;
        time_t t = (time_t)(now / 1000000u);
        if (!localtime_r(&t, &now_tm)) return -EINVAL;
        y = now_tm.tm_year + 1900;
        mo = now_tm.tm_mon + 1;
        d = now_tm.tm_mday;
        if (!clock_time(&p, &h, &mi, &sec, &usec)) return -EINVAL;
    } else {
        if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
            return -EINVAL;
        if ((*p == ' ' && strcmp(p, " UTC") != 0) || *p == 'T' || *p == 't') {
            p++;
            if (!clock_time(&p, &h, &mi, &sec, &usec)) return -EINVAL;
        }
    }
    bool zoned = false;
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        zoned = true;
        p++;
    } else if (strcmp(p, " UTC") == 0) {
        zoned = true;
        p += 4;
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

int jb__parse_time_spec_at(const char *s, uint64_t now, uint64_t *ret_usec) {
    if (!s) return -EINVAL;
    size_t n = strlen(s);
    if (strcmp(s, "now") == 0) {
        *ret_usec = now;
        return 0;
    }
    if (strcmp(s, "today") == 0) return midnight(now, 0, ret_usec);
    if (strcmp(s, "yesterday") == 0) return midnight(now, -1, ret_usec);
    if (strcmp(s, "tomorrow") == 0) return midnight(now, 1, ret_usec);
    if (s[0] == '@') return parse_epoch(s + 1, ret_usec);
    if (s[0] == '+' || s[0] == '-') return relative(now, s + 1, n - 1, s[0] == '-', ret_usec);
    if (ends_with(s, n, " ago")) return relative(now, s, n - 4, true, ret_usec);
    if (ends_with(s, n, " left")) return relative(now, s, n - 5, false, ret_usec);
    return parse_date(s, now, ret_usec);
}

int jb_parse_time_spec(const char *s, uint64_t *ret_usec) {
    uint64_t now = jb_now_usec(CLOCK_REALTIME);
    if (now == 0) return -EINVAL; /* the clock cannot be read */
    return jb__parse_time_spec_at(s, now, ret_usec);
}
