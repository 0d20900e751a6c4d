/* SPDX-License-Identifier: Apache-2.0 */
/* Reassembly of split lines (partial.c).
 *
 * File-driven cases in tests/unit/data/partial/NAME.in, one command a line ('#' starts a comment):
 *   max_line=N max_pending=M     (first line, optional; defaults 1 MiB / 32)
 *   entry [c=ID] [sev=N] [partial=1] [pid=X] [ord=N] [last=0|1] [cursor=S] [prev=S|-] [uid=N]
 *         [comm=S] [untrusted=1] msg=TEXT
 *       c= makes a container entry (CONTAINER_ID_FULL and CONTAINER_NAME); without it the entry is
 *       not a container's. cursor defaults to "c<n>" for the n-th entry, prev to the cursor of the
 *       entry before (none for the first; "-" forces none). msg= takes the rest of the line, with
 *       escapes \n \t \r \\ \{ \xHH and runs {X*N} (N times the character X). uid=, comm= set the
 *       writer (_UID, _COMM), untrusted=1 marks it as the bridge marks an untrusted writer's entry.
 *         [rt=USEC] (the journal receive time)
 *   flush | expire now=USEC age=USEC | expire-journal now=USEC age=USEC | clock=USEC (the arrival
 *   clock) | state
 * NAME.out lists, in order, each delivered line:
 *   KIND pieces=N cursor=C first=ID/SEV/FIRST-CURSOR len=L [untrusted] text=TEXT   (runs as {X*N})
 * plus the echo of flush/expire commands and for `state` the pending count and resume cursor. */
#include <limits.h>
#include <time.h>

#include "testlib.h"

#include "entry.h"
#include "partial.h"

/* ---- an output buffer on libc memory, so it does not disturb the allocation counting ---- */

typedef struct out {
    char *s;
    size_t len, cap;
} out;

static void out_add(out *o, const char *p, size_t n) {
    if (o->len + n + 1 > o->cap) {
        while (o->len + n + 1 > o->cap) o->cap = o->cap ? o->cap * 2 : 4096;
        o->s = realloc(o->s, o->cap);
        assert_non_null(o->s);
    }
    memcpy(o->s + o->len, p, n);
    o->len += n;
    o->s[o->len] = 0;
}

static void out_printf(out *o, const char *fmt, ...) _printf_(2, 3);
static void out_printf(out *o, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof tmp);
    out_add(o, tmp, (size_t)n);
}

static void out_char(out *o, unsigned char c) {
    if (c == '\\' || c == '{')
        out_printf(o, "\\%c", c);
    else if (c == '\n')
        out_add(o, "\\n", 2);
    else if (c >= 0x20 && c < 0x7f)
        out_add(o, (const char *)&c, 1);
    else
        out_printf(o, "\\x%02x", c);
}

/* Text with runs of 4 or more equal bytes written as {X*N}: the syntax of the input files. */
static void out_text(out *o, const char *p, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] == p[i]) j++;
        if (j - i >= 4) {
            out_add(o, "{", 1);
            out_char(o, (unsigned char)p[i]);
            out_printf(o, "*%zu}", j - i);
        } else {
            for (size_t k = i; k < j; k++) out_char(o, (unsigned char)p[k]);
        }
        i = j;
    }
}

static int collect(const jb_line *l, void *userdata) {
    out *o = userdata;
    const jb_entry *f = l->first;
    out_printf(o, "%s pieces=%u part=%u cursor=%s first=%s/%d/%s len=%zu%s text=", jb_line_kind_name(l->kind),
               l->pieces, l->part, l->cursor, f->container_id_full.data ? f->container_id_full.data : "", f->severity,
               f->cursor.data ? f->cursor.data : "", l->len, f->untrusted ? " untrusted" : "");
    /* the consumer's mark on the first part is seen by the later parts of a cut line */
    if (l->part == 0)
        *l->tag = 7;
    else
        assert_int_equal(*l->tag, 7);
    out_text(o, l->text, l->len);
    out_add(o, "\n", 1);
    assert_int_equal(l->text[l->len], 0);
    /* A line gathered in a pending slot is the message of its first entry. */
    if (l->kind == JB_LINE_INCOMPLETE || l->pieces > 1) {
        assert_int_equal(f->message.len, l->len);
        assert_ptr_equal(f->message.data, l->text);
    }
    return 0;
}

/* ---- input parsing ---- */

static int parse_escape(const char **pp) {
    const char *p = *pp; /* after the backslash */
    int c;
    switch (*p) {
    case 'n':
        c = '\n';
        break;
    case 't':
        c = '\t';
        break;
    case 'r':
        c = '\r';
        break;
    case '0':
        c = 0;
        break;
    case 'x': {
        char hex[3] = {p[1], p[2], 0};
        c = (int)strtol(hex, NULL, 16);
        p += 2;
        break;
    }
    default:
        c = (unsigned char)*p;
    }
    *pp = p + 1;
    return c;
}

static void parse_msg(const char *p, jb_buf *b) {
    while (*p) {
        if (*p == '\\') {
            p++;
            char c = (char)parse_escape(&p);
            assert_int_equal(jb_buf_append(b, &c, 1), 0);
        } else if (*p == '{') {
            p++;
            char c = *p == '\\' ? (p++, (char)parse_escape(&p)) : *p++;
            assert_int_equal(*p++, '*');
            char *end;
            unsigned long n = strtoul(p, &end, 10);
            assert_int_equal(*end, '}');
            p = end + 1;
            for (unsigned long i = 0; i < n; i++) assert_int_equal(jb_buf_append(b, &c, 1), 0);
        } else {
            assert_int_equal(jb_buf_append(b, p++, 1), 0);
        }
    }
}

static void set_str(jb_buf *b, const char *s) {
    jb_buf_reset(b);
    assert_int_equal(jb_buf_puts(b, s), 0);
}

/* Fill e from the words of an `entry` line (after "entry "). */
static void parse_entry(char *line, jb_entry *e, unsigned n, const char *prev, char *ret_prev, size_t prev_size,
                        bool *ret_has_prev) {
    jb_entry_reset(e);
    e->severity = JB_SEVERITY_DEFAULT;
    char cursor[64];
    snprintf(cursor, sizeof cursor, "c%u", n);
    *ret_has_prev = prev != NULL;
    if (prev) snprintf(ret_prev, prev_size, "%s", prev);
    char *p = line;
    for (;;) {
        while (*p == ' ') p++;
        if (!*p) break;
        if (strncmp(p, "msg=", 4) == 0) {
            parse_msg(p + 4, &e->message);
            break;
        }
        char *end = strchr(p, ' ');
        if (end) *end = 0;
        char *eq = strchr(p, '=');
        if (!eq) fail_msg("bad word %s", p);
        *eq = 0;
        const char *k = p, *v = eq + 1;
        if (strcmp(k, "c") == 0) {
            e->is_container = true;
            set_str(&e->container_id_full, v);
            set_str(&e->container_name, v);
        } else if (strcmp(k, "sev") == 0) {
            e->severity = atoi(v);
        } else if (strcmp(k, "partial") == 0) {
            e->partial = strcmp(v, "1") == 0;
        } else if (strcmp(k, "pid") == 0) {
            set_str(&e->partial_id, v);
        } else if (strcmp(k, "ord") == 0) {
            e->partial_ordinal = strtoull(v, NULL, 10);
        } else if (strcmp(k, "last") == 0) {
            e->has_partial_last = true;
            e->partial_last = strcmp(v, "1") == 0;
        } else if (strcmp(k, "uid") == 0) {
            set_str(&e->writer_uid, v);
        } else if (strcmp(k, "comm") == 0) {
            set_str(&e->writer_comm, v);
        } else if (strcmp(k, "untrusted") == 0) {
            e->untrusted = strcmp(v, "1") == 0;
        } else if (strcmp(k, "rt") == 0) {
            e->receive_usec = strtoull(v, NULL, 10);
        } else if (strcmp(k, "cursor") == 0) {
            snprintf(cursor, sizeof cursor, "%s", v);
        } else if (strcmp(k, "prev") == 0) {
            *ret_has_prev = strcmp(v, "-") != 0;
            snprintf(ret_prev, prev_size, "%s", v);
        } else {
            fail_msg("unknown key %s", k);
        }
        if (!end) break;
        p = end + 1;
    }
    set_str(&e->cursor, cursor);
}

static uint64_t fake_now;
static uint64_t fake_clock(void) {
    return fake_now;
}

static void run_case(const char *dir, const char *name) {
    char *in = tl_read_case(dir, name, NULL);

    size_t max_line = JB_PARTIAL_DEFAULT_MAX_LINE, max_pending = JB_PARTIAL_DEFAULT_MAX_PENDING;
    out o = {0};
    jb_entry e = {0};
    jb_partial *p = NULL;
    char last_cursor[64] = "";
    char prev[64];
    bool has_last = false;
    unsigned n = 0;
    fake_now = 0;

    char *save = NULL;
    for (char *line = strtok_r(in, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == 0) continue;
        if (strncmp(line, "max_line=", 9) == 0) {
            assert_null(p);
            assert_int_equal(sscanf(line, "max_line=%zu max_pending=%zu", &max_line, &max_pending), 2);
            continue;
        }
        if (!p) {
            assert_int_equal(jb_partial_new(max_line, max_pending, &p), 0);
            jb_partial_set_clock(p, fake_clock);
        }
        if (strncmp(line, "entry ", 6) == 0) {
            bool has_prev;
            parse_entry(line + 6, &e, ++n, has_last ? last_cursor : NULL, prev, sizeof prev, &has_prev);
            assert_int_equal(jb_partial_feed(p, &e, has_prev ? prev : NULL, collect, &o), 0);
            snprintf(last_cursor, sizeof last_cursor, "%s", e.cursor.data);
            has_last = true;
        } else if (strcmp(line, "flush") == 0) {
            out_printf(&o, "> flush\n");
            assert_int_equal(jb_partial_flush(p, collect, &o), 0);
            assert_int_equal(jb_partial_pending(p), 0);
        } else if (strncmp(line, "expire ", 7) == 0) {
            unsigned long long now, age;
            assert_int_equal(sscanf(line, "expire now=%llu age=%llu", &now, &age), 2);
            out_printf(&o, "> %s\n", line);
            assert_int_equal(jb_partial_expire(p, now, age, collect, &o), 0);
        } else if (strncmp(line, "expire-journal ", 15) == 0) {
            unsigned long long now, age;
            assert_int_equal(sscanf(line, "expire-journal now=%llu age=%llu", &now, &age), 2);
            out_printf(&o, "> %s\n", line);
            assert_int_equal(jb_partial_expire_journal(p, now, age, collect, &o), 0);
        } else if (strncmp(line, "clock=", 6) == 0) {
            fake_now = strtoull(line + 6, NULL, 10);
        } else if (strcmp(line, "state") == 0) {
            const char *r = jb_partial_resume_cursor(p);
            out_printf(&o, "> state pending=%zu resume=%s\n", jb_partial_pending(p), r ? (*r ? r : "\"\"") : "none");
        } else {
            fail_msg("%s: bad line %s", name, line);
        }
    }

    tl_expect_case(dir, name, o.s ? o.s : "", o.len);
    p = jb_partial_free(p);
    jb_entry_done(&e);
    free(o.s);
    free(in);
}

static void test_cases(void **state) {
    tl_each_case("partial", run_case);
}

/* ---- allocation failure ---- */

/* testlib.h's hook, paused while the test builds its entries: only the partial.c calls count. */

static void make_entry(jb_entry *e, const char *c, int sev, bool partial, const char *pid, int last, const char *cursor,
                       char fill, size_t len) {
    jb_entry_reset(e);
    e->is_container = c != NULL;
    if (c) {
        set_str(&e->container_id_full, c);
        set_str(&e->container_name, c);
    }
    e->severity = sev;
    e->partial = partial;
    if (pid) set_str(&e->partial_id, pid);
    e->has_partial_last = last >= 0;
    e->partial_last = last == 1;
    set_str(&e->cursor, cursor);
    for (size_t i = 0; i < len; i++) assert_int_equal(jb_buf_putc(&e->message, fill), 0);
}

/* A script of entries and flushes exercising every allocation site: new lines, appends, overflow
 * with chunks and a continuation, eviction, completion, flush. */
typedef struct step {
    const char *c;
    int sev;
    bool partial;
    const char *pid;
    int last;
    char fill;
    size_t len;
} step;

static const step script[] = {
    {"A", 6, true, NULL, -1, 'a', 10}, {"B", 6, false, NULL, -1, 'b', 5},  {"A", 6, true, NULL, -1, 'a', 60},
    {"C", 3, true, "p1", 0, 'c', 250}, {"D", 6, true, NULL, -1, 'd', 3},   {"A", 6, false, NULL, -1, 'a', 4},
    {"C", 3, false, "p1", 1, 'C', 5},  {"E", 6, true, "p2", 0, 'e', 100},  {"F", 3, true, NULL, -1, 'f', 1},
    {"E", 6, false, "p2", 0, 'E', 2},  {"D", 6, true, NULL, -1, 'd', 200}, {"G", 6, true, NULL, -1, 'g', 0},
    {NULL, 6, true, NULL, -1, 'n', 9}, {"H", 6, true, "p3", 0, 'h', 20},   {"H", 6, true, "p3", 0, 'H', 20},
    {"H", 6, false, "p3", 1, 'x', 25}, {"G", 6, true, NULL, -1, 'g', 70},  {"G", 6, false, NULL, -1, 'G', 250},
    {"I", 3, true, NULL, -1, 'i', 5},  {"J", 3, true, "p4", 0, 'j', 7},
};

static int run_script(out *o, bool retry) {
    jb_partial *p = NULL;
    jb_entry e = {0};
    int r;
    do {
        tl_alloc_paused = false;
        r = jb_partial_new(100, 3, &p);
        tl_alloc_paused = true;
    } while (r == -ENOMEM && retry);
    if (r < 0) return r;
    for (size_t i = 0; i < JB_ELEMENTSOF(script); i++) {
        const step *s = &script[i];
        /* Cursors of growing length, so that the stored cursors need more room as it goes. */
        char cursor[256], prev[256];
        snprintf(cursor, sizeof cursor, "%0*zu", (int)(10 * i + 10), i + 1);
        snprintf(prev, sizeof prev, "%0*zu", (int)(10 * i), i);
        make_entry(&e, s->c, s->sev, s->partial, s->pid, s->last, cursor, s->fill, s->len);
        size_t before = jb_partial_pending(p);
        do {
            size_t len = o->len;
            tl_alloc_paused = false;
            r = jb_partial_feed(p, &e, i ? prev : NULL, collect, o);
            tl_alloc_paused = true;
            if (r == -ENOMEM) {
                /* Nothing was delivered and nothing changed: the same entry can be fed again. */
                assert_int_equal(o->len, len);
                assert_int_equal(jb_partial_pending(p), before);
            }
        } while (r == -ENOMEM && retry);
        if (r < 0) break;
    }
    if (r >= 0) r = jb_partial_flush(p, collect, o);
    jb_partial_free(p);
    jb_entry_done(&e);
    return r;
}

static void test_alloc_failure(void **state) {
    out ref = {0};
    tl_alloc_paused = true;
    tl_count_allocs();
    assert_int_equal(run_script(&ref, false), 0);
    long total = tl_alloc_count;
    assert_true(total > 5);

    for (long n = 1; n <= total; n++) {
        /* Without retry: -ENOMEM comes back cleanly (ASan checks the leaks). */
        out o = {0};
        tl_fail_once_after(n - 1);
        assert_int_equal(run_script(&o, false), -ENOMEM);
        free(o.s);
        /* With retry of the failed call: the result is the same as without any failure. */
        o = (out){0};
        tl_fail_once_after(n - 1);
        assert_int_equal(run_script(&o, true), 0);
        assert_int_equal(o.len, ref.len);
        assert_memory_equal(o.s, ref.s, ref.len);
        free(o.s);
    }
    tl_fail_off();
    tl_alloc_paused = false;
    free(ref.s);
}

/* Whole lines are handed over as they are: the entry itself, no copy, no allocation, also while
 * other lines are pending. */
static const jb_entry *seen_first;
static const char *seen_text;
static int remember(const jb_line *l, void *userdata) {
    seen_first = l->first;
    seen_text = l->text;
    (*(unsigned *)userdata)++;
    return 0;
}

static void test_whole_zero_copy(void **state) {
    jb_partial *p;
    jb_entry e = {0}, a = {0};
    unsigned lines = 0;
    assert_int_equal(jb_partial_new(1024, 4, &p), 0);
    make_entry(&a, "A", 6, true, NULL, -1, "c1", 'a', 100);
    assert_int_equal(jb_partial_feed(p, &a, NULL, remember, &lines), 0);
    make_entry(&a, "A", 6, true, "x", 0, "c2", 'a', 100);
    assert_int_equal(jb_partial_feed(p, &a, "c1", remember, &lines), 0);
    assert_int_equal(lines, 0);
    assert_int_equal(jb_partial_pending(p), 2);

    tl_count_allocs();
    for (int i = 0; i < 1000; i++) {
        static const char *const containers[] = {"A", "B", NULL};
        const char *c = containers[i % 3];
        tl_alloc_paused = true;
        make_entry(&e, c, i % 2 ? 3 : 6, false, NULL, -1, "w", 'w', (size_t)(i % 50));
        /* A's stderr has no pending line: whole. A's stdout would complete the pending line. */
        if (c && strcmp(c, "A") == 0) e.severity = 3;
        tl_alloc_paused = false;
        assert_int_equal(jb_partial_feed(p, &e, "x", remember, &lines), 0);
        assert_ptr_equal(seen_first, &e);
        if (e.message.data) assert_ptr_equal(seen_text, e.message.data);
    }
    assert_int_equal(tl_alloc_count, 0);
    assert_int_equal(lines, 1000);
    tl_fail_off();
    assert_int_equal(jb_partial_pending(p), 2);
    jb_partial_free(p);
    jb_entry_done(&e);
    jb_entry_done(&a);
}

/* A failing callback stops the call and its error comes back; p stays usable and leak-free. */
static int fail_count; /* fail the callback call with this number */
static int calls;
static int failing_cb(const jb_line *l, void *userdata) {
    return ++calls == fail_count ? -EIO : 0;
}

static void test_callback_error(void **state) {
    jb_entry e = {0};
    for (fail_count = 1; fail_count <= 1000; fail_count++) {
        jb_partial *p;
        bool failed = false;
        calls = 0;
        assert_int_equal(jb_partial_new(32, 2, &p), 0);
        jb_partial_set_clock(p, fake_clock);
        fake_now = 0;
        for (size_t i = 0; i < JB_ELEMENTSOF(script); i++) {
            const step *s = &script[i];
            make_entry(&e, s->c, s->sev, s->partial, s->pid, s->last, "cur", s->fill, s->len);
            int r = jb_partial_feed(p, &e, "prev", failing_cb, NULL);
            if (r < 0) {
                assert_int_equal(r, -EIO);
                failed = true;
            }
            assert_true(jb_partial_pending(p) <= 2);
        }
        fake_now = 1000;
        int r = jb_partial_expire(p, 2000, 500, failing_cb, NULL);
        if (r < 0) {
            assert_int_equal(r, -EIO);
            failed = true;
        }
        make_entry(&e, "Z", 6, true, NULL, -1, "z", 'z', 5);
        r = jb_partial_feed(p, &e, "prev", failing_cb, NULL);
        if (r < 0) {
            assert_int_equal(r, -EIO);
            failed = true;
        }
        r = jb_partial_flush(p, failing_cb, NULL);
        if (r < 0) {
            assert_int_equal(r, -EIO);
            failed = true;
            assert_int_equal(jb_partial_flush(p, failing_cb, NULL), 0);
        }
        assert_int_equal(jb_partial_pending(p), 0);
        jb_partial_free(p);
        if (calls < fail_count) break; /* no callback call was left to fail */
        assert_true(failed);           /* the failing call's error came back */
    }
    assert_true(fail_count > 10 && fail_count < 1000); /* every callback call was made to fail once */
    jb_entry_done(&e);
}

static void test_new_invalid(void **state) {
    jb_partial *p = (jb_partial *)&p;
    assert_int_equal(jb_partial_new(0, 1, &p), -EINVAL);
    assert_int_equal(jb_partial_new(1, 0, &p), -EINVAL);
    assert_int_equal(jb_partial_new(1, SIZE_MAX, &p), -EINVAL);
    assert_ptr_equal(p, (jb_partial *)&p); /* untouched on failure */
    assert_null(jb_partial_free(NULL));
    assert_int_equal(jb_partial_new(1, 1, &p), 0);
    assert_null(jb_partial_resume_cursor(p));
    assert_int_equal(jb_partial_flush(p, failing_cb, NULL), 0);
    assert_int_equal(jb_partial_expire(p, UINT64_MAX, 0, failing_cb, NULL), 0);
    p = jb_partial_free(p);
    assert_null(p);
}

/* The default clock is CLOCK_MONOTONIC. */
static void test_expire_monotonic(void **state) {
    jb_partial *p;
    jb_entry e = {0};
    unsigned lines = 0;
    struct timespec ts;
    assert_int_equal(jb_partial_new(100, 4, &p), 0);
    make_entry(&e, "A", 6, true, NULL, -1, "c1", 'a', 10);
    assert_int_equal(jb_partial_feed(p, &e, NULL, remember, &lines), 0);
    assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    assert_int_equal(jb_partial_expire(p, now, 3600u * 1000000u, remember, &lines), 0);
    assert_int_equal(lines, 0);
    assert_int_equal(jb_partial_expire(p, now + 10u * 1000000u, 1000000u, remember, &lines), 0);
    assert_int_equal(lines, 1);
    assert_int_equal(jb_partial_pending(p), 0);
    jb_partial_free(p);
    jb_entry_done(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),           cmocka_unit_test(test_new_invalid),
        cmocka_unit_test(test_whole_zero_copy), cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_callback_error),  cmocka_unit_test(test_expire_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
