/* SPDX-License-Identifier: Apache-2.0 */
#include "bridge.h"

#include <string.h>

#include "audit.h"
#include "entry.h"
#include "filter.h"
#include "partial.h"
#include "readahead.h"
#include "route.h"
#include "timestamp.h"
#include "trust.h"

struct jb_bridge {
    jb_journal *journal;
    bool read_ahead;
    jb_readahead *ra; /* started by the first jb_bridge_process() after a seek, when read_ahead */
    jb_filter *filter;
    jb_trust *trust;
    jb_untrusted_action untrusted;
    jb_partial *partial;
    jb_audit_matcher *matcher;

    jb_entry entry;          /* the entry being read (reused) */
    jb_buf prev_cursor;      /* cursor of the last entry read, filtered or not */
    char *start_cursor;      /* where reading started (NULL: head, or an empty tail) */
    jb_audit audit;          /* recognition result of the record being delivered (reused) */
    jb_buf id_cursor;        /* cursor of the last record delivered; id_seq records before it ended there */
    const jb_entry *feeding; /* the entry being fed to the reassembler, NULL outside of it */
    unsigned id_seq;
    uint32_t seq[2]; /* last sequenceId given per stream (jb_stream index); 0: none yet */
    jb_stats stats;

    jb_record_cb cb; /* set for the duration of one process/flush/expire call */
    void *userdata;

    jb_gap_cb gap_cb;
    void *gap_userdata;
};

jb_bridge *jb_bridge_free(jb_bridge *b) {
    if (!b) return NULL;
    jb_readahead_free(b->ra);
    jb_journal_free(b->journal);
    jb_filter_free(b->filter);
    jb_trust_free(b->trust);
    jb_partial_free(b->partial);
    jb_audit_matcher_free(b->matcher);
    jb_entry_done(&b->entry);
    jb_buf_done(&b->prev_cursor);
    jb_buf_done(&b->id_cursor);
    jb_free(b->start_cursor);
    jb_audit_done(&b->audit);
    jb_free(b);
    return NULL;
}

int jb_bridge_new(const jb_config *c, jb_bridge **ret, jb_error *err) {
    jb_bridge *b = jb_calloc(1, sizeof *b);
    if (!b) return jb_error_set(err, -ENOMEM, "out of memory");
    jb_entry_reset(&b->entry);
    b->read_ahead = c->read_ahead;
    b->untrusted = c->untrusted;

    int r = jb_filter_new(c->containers, c->n_containers, c->images, c->n_images, c->all_entries, &b->filter, err);
    jb_audit_opts ao = {c->profile,    c->markers,          c->n_markers,          c->patterns,
                        c->n_patterns, c->audit_containers, c->n_audit_containers, JB_AUDIT_ANCHOR_LINE_START};
    if (r >= 0 && jb_audit_anchor_from_string(c->audit_anchor, &ao.anchor) < 0)
        r = jb_error_set(err, -EINVAL, "invalid audit anchor '%s'", c->audit_anchor);
    if (r >= 0) r = jb_audit_matcher_new_opts(&ao, &b->matcher, err);
    if (r >= 0) r = jb_trust_new(c->trust, c->n_trust, &b->trust, err);
    if (r >= 0) {
        r = jb_partial_new(c->max_line, c->max_pending, &b->partial);
        if (r < 0)
            jb_error_set(err, r, "invalid split-line limits (max line %zu, max pending %zu)", c->max_line,
                         c->max_pending);
    }
    if (r >= 0) r = jb_journal_open(&c->source, &b->journal, err);
    for (size_t i = 0; r >= 0 && i < c->n_matches; i++) r = jb_journal_add_match(b->journal, c->matches[i], err);
    if (r < 0) {
        jb_bridge_free(b);
        return r;
    }
    *ret = b;
    return 0;
}

/* The journal is the caller's again (to position it): stop reading ahead. */
static jb_journal *journal_of(jb_bridge *b) {
    b->ra = jb_readahead_free(b->ra);
    return b->journal;
}

static int set_start(jb_bridge *b, const char *cursor, jb_error *err) {
    jb_free(b->start_cursor);
    b->start_cursor = NULL;
    jb_buf_reset(&b->prev_cursor);
    if (!cursor) return 0;
    b->start_cursor = jb_strdup(cursor);
    if (!b->start_cursor) return jb_error_set(err, -ENOMEM, "out of memory");
    return 0;
}

int jb_bridge_seek_head(jb_bridge *b, jb_error *err) {
    int r = jb_journal_seek_head(journal_of(b), err);
    return r < 0 ? r : set_start(b, NULL, err);
}

int jb_bridge_seek_tail(jb_bridge *b, jb_error *err) {
    int r = jb_journal_seek_tail(journal_of(b), err);
    return r < 0 ? r : set_start(b, jb_journal_last_cursor(b->journal), err);
}

int jb_bridge_seek_realtime(jb_bridge *b, uint64_t usec, jb_error *err) {
    int r = jb_journal_seek_realtime(journal_of(b), usec, err);
    return r < 0 ? r : set_start(b, NULL, err);
}

int jb_bridge_seek_cursor(jb_bridge *b, const char *cursor, jb_error *err) {
    int r = jb_journal_seek_cursor(journal_of(b), cursor, err);
    if (r < 0) return r;
    int q = set_start(b, cursor, err);
    return q < 0 ? q : r;
}

/* One finished line: recognize, route, count and hand over. */
static int deliver_line(const jb_line *line, void *userdata) {
    jb_bridge *b = userdata;
    const jb_entry *e = line->first;

    jb_audit_done(&b->audit);
    int r = e->untrusted ? 0
                         : jb_audit_recognize_scoped(b->matcher, jb_str_or_empty(e->container_name.data), line->text,
                                                     line->len, &b->audit);
    if (r < 0) return r;
    if (r == JB_AUDIT_REJECTED) b->stats.audit_rejected++;

    /* Parts of a cut line may end on the same entry: number them so that every record id differs. */
    size_t cl = strlen(line->cursor);
    if (b->id_cursor.len == cl && memcmp(b->id_cursor.data, line->cursor, cl) == 0) {
        b->id_seq++;
    } else {
        jb_buf_reset(&b->id_cursor);
        r = jb_buf_append(&b->id_cursor, line->cursor, cl);
        if (r < 0) return r;
        b->id_seq = 0;
    }
    char id[17];
    const jb_entry *cur = b->feeding;
    if (cur && cur->has_cursor_hash && line->cursor == cur->cursor.data) /* ends on the entry just read */
        jb_record_id_hashed(cur->cursor_hash, b->id_seq, id);
    else
        jb_record_id(line->cursor, b->id_seq, id);
    jb_record rec = {
        .message = line->text,
        .message_len = line->len,
        .container_name = jb_str_or_empty(e->container_name.data),
        .container_id = jb_str_or_empty(e->container_id.data),
        .image = jb_str_or_empty(e->image.data),
        .identifier = jb_str_or_empty(e->identifier.data),
        .hostname = jb_str_or_empty(e->hostname.data),
        .untrusted = e->untrusted,
        .writer_uid = jb_str_or_empty(e->writer_uid.data),
        .writer_comm = jb_str_or_empty(e->writer_comm.data),
        .time_usec = e->time_usec,
        .severity = e->severity,
        .facility = e->facility,
        .cursor = line->cursor,
        .record_id = id,
        .line = line->kind,
        .pieces = line->pieces,
        .part = line->part,
        .first_part_stream = (jb_stream)*line->tag,
        .audit = &b->audit,
    };
    rec.stream = jb_route(&rec);
    if (line->part == 0) *line->tag = (int)rec.stream;
    b->seq[rec.stream] = jb_sequence_next(b->seq[rec.stream]);
    rec.sequence = b->seq[rec.stream];

    if (rec.stream == JB_STREAM_AUDIT) {
        b->stats.records_audit++;
        if (b->audit.kind == JB_AUDIT_MALFORMED) b->stats.audit_malformed++;
    } else {
        b->stats.records_app++;
    }
    switch (line->kind) {
    case JB_LINE_REASSEMBLED:
        b->stats.lines_reassembled++;
        break;
    case JB_LINE_INCOMPLETE:
        b->stats.lines_incomplete++;
        break;
    case JB_LINE_OVERFLOW:
        b->stats.lines_overflow++;
        break;
    case JB_LINE_WHOLE:
        break;
    }
    return b->cb(&rec, b->userdata);
}

static int next_entry(jb_bridge *b, jb_entry **e, const jb_gap **gap, jb_error *err) {
    if (b->ra) return jb_readahead_next(b->ra, e, gap, err);
    int r = jb_journal_next(b->journal, *e, err);
    if (r > 0) *gap = jb_journal_take_gap(b->journal);
    return r;
}

/* Mark a container entry of an untrusted writer (trust.h) and count it. False when it is dropped. */
static bool trust_check(jb_bridge *b, jb_entry *e) {
    e->untrusted = e->is_container && !jb_trust_match(b->trust, e);
    if (!e->untrusted) return true;
    b->stats.entries_untrusted++;
    return b->untrusted != JB_UNTRUSTED_DROP;
}

static void update_journal_stats(jb_bridge *b) {
    b->stats.invalidations = b->ra ? jb_readahead_invalidations(b->ra) : jb_journal_invalidations(b->journal);
    b->stats.lost_positions = b->ra ? jb_readahead_lost_positions(b->ra) : jb_journal_lost_positions(b->journal);
}

int jb_bridge_process(jb_bridge *b, size_t max_entries, jb_record_cb cb, void *userdata, jb_error *err) {
    b->cb = cb;
    b->userdata = userdata;
    size_t n = 0;
    if (b->read_ahead && !b->ra) {
        int r = jb_readahead_start(b->journal, &b->ra, err);
        if (r < 0) return r;
    }
    while (max_entries == 0 || n < max_entries) {
        jb_entry *e = &b->entry;
        const jb_gap *gap = NULL;
        int r = next_entry(b, &e, &gap, err);
        if (r < 0) return r;
        if (r == 0) break;
        n++;
        b->stats.entries_read++;
        if (gap) {
            b->stats.gaps++;
            b->stats.gap_entries += gap->count;
            if (b->gap_cb) {
                r = b->gap_cb(gap, b->gap_userdata);
                if (r < 0) return jb_error_set(err, r, "reporting a gap failed: %s", strerror(-r));
            }
        }
        if (!jb_filter_match(b->filter, e) || !trust_check(b, e)) {
            b->stats.entries_filtered++;
        } else {
            /* A line that starts here remembers the counters as they were before this entry: they
             * go with its resume point into the state (see jb_bridge_checkpoint_sequence). */
            jb_partial_set_mark(b->partial, (uint64_t)b->seq[JB_STREAM_APP] << 32 | b->seq[JB_STREAM_AUDIT]);
            b->feeding = e;
            r = jb_partial_feed(b->partial, e, b->prev_cursor.len ? b->prev_cursor.data : NULL, deliver_line, b);
            b->feeding = NULL;
            if (r < 0) return jb_error_set(err, r, "delivering a record failed: %s", strerror(-r));
        }
        /* The entry is now delivered or held by the reassembler: it becomes the previous one. The
         * buffers are swapped, not copied (a read-ahead slot is the caller's until the next entry). */
        jb_buf t = b->prev_cursor;
        b->prev_cursor = e->cursor;
        e->cursor = t;
    }
    update_journal_stats(b);
    return (int)(n > INT32_MAX ? INT32_MAX : n);
}

int jb_bridge_flush(jb_bridge *b, jb_record_cb cb, void *userdata, jb_error *err) {
    b->cb = cb;
    b->userdata = userdata;
    int r = jb_partial_flush(b->partial, deliver_line, b);
    if (r < 0) return jb_error_set(err, r, "delivering a record failed: %s", strerror(-r));
    return 0;
}

int jb_bridge_expire(jb_bridge *b, uint64_t max_age_usec, jb_record_cb cb, void *userdata, jb_error *err) {
    uint64_t now = jb_now_usec(CLOCK_MONOTONIC);
    b->cb = cb;
    b->userdata = userdata;
    int r = jb_partial_expire(b->partial, now, max_age_usec, deliver_line, b);
    if (r < 0) return jb_error_set(err, r, "delivering a record failed: %s", strerror(-r));
    return 0;
}

void jb_bridge_stop_reading(jb_bridge *b) {
    jb_readahead_request_stop(b->ra);
}

int jb_bridge_wait(jb_bridge *b, uint64_t timeout_usec, jb_error *err) {
    if (b->ra) {
        uint64_t before = b->stats.invalidations;
        jb_readahead_wait(b->ra, timeout_usec);
        update_journal_stats(b);
        return b->stats.invalidations != before;
    }
    int r = jb_journal_wait(b->journal, timeout_usec, err);
    update_journal_stats(b);
    return r;
}

const char *jb_bridge_checkpoint(const jb_bridge *b) {
    const char *resume = jb_partial_resume_cursor(b->partial);
    if (!resume) return b->prev_cursor.len ? b->prev_cursor.data : b->start_cursor;
    if (!*resume) return b->start_cursor;
    return resume;
}

void jb_bridge_set_sequence(jb_bridge *b, uint32_t app, uint32_t audit) {
    b->seq[JB_STREAM_APP] = app > JB_SEQUENCE_MAX ? 0 : app;
    b->seq[JB_STREAM_AUDIT] = audit > JB_SEQUENCE_MAX ? 0 : audit;
}

void jb_bridge_checkpoint_sequence(const jb_bridge *b, uint32_t *ret_app, uint32_t *ret_audit) {
    if (!jb_partial_resume_cursor(b->partial)) {
        *ret_app = b->seq[JB_STREAM_APP];
        *ret_audit = b->seq[JB_STREAM_AUDIT];
        return;
    }
    uint64_t mark = jb_partial_resume_mark(b->partial);
    *ret_app = (uint32_t)(mark >> 32);
    *ret_audit = (uint32_t)mark;
}

size_t jb_bridge_n_unreadable(const jb_bridge *b) {
    return jb_journal_n_unreadable(b->journal);
}

const char *jb_bridge_unreadable(const jb_bridge *b, size_t i) {
    return jb_journal_unreadable(b->journal, i);
}

const jb_stats *jb_bridge_stats(const jb_bridge *b) {
    return &b->stats;
}

void jb_bridge_set_gap_cb(jb_bridge *b, jb_gap_cb cb, void *userdata) {
    b->gap_cb = cb;
    b->gap_userdata = userdata;
}
