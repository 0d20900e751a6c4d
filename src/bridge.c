/* SPDX-License-Identifier: Apache-2.0 */
#include "bridge.h"

#include <string.h>

#include "audit.h"
#include "container.h"
#include "cursor.h"
#include "entry.h"
#include "filter.h"
#include "hostpos.h"
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
    const jb_entry *feeding; /* the entry being fed to the reassembler, NULL outside of it */
    uint32_t seq[2];         /* last sequenceId given per stream (jb_stream index); 0: none yet */
    jb_stats stats;
    uint64_t newest_receive_usec; /* the latest journal receive time read (jb_bridge_expire_journal) */
    char *replay_cursor;          /* set: replaying up to this entry, delivering nothing (set_replay) */
    jb_cursor_pos replay_pos;     /* ... its position; replay_pos_ok: it parsed */
    bool replay_pos_ok;

    jb_record_cb cb; /* set for the duration of one process/flush/expire call */
    void *userdata;

    jb_gap_cb gap_cb;
    void *gap_userdata;

    /* issue 17: the message written, and the record's container fields (reused) */
    jb_message_kind message;
    jb_container_field *fields;
    size_t fields_cap;

    /* issue 19: a directory read per host. Its position is one cursor per host (hostpos.h): the
     * entries delivered update their host's; a checkpoint writes them all. Pointers, so that the
     * const accessors can format into them. */
    jb_hostpos *hosts;        /* NULL: not per host */
    jb_hostpos *replay_hosts; /* replaying (replay_cursor set): each host's read= cursor */
    bool replaying;           /* ... the entry being processed is at or before its host's */
    jb_buf *host_text;        /* [0] the checkpoint, [1] the read cursor, [2] a resume point */
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
    jb_free(b->start_cursor);
    jb_free(b->replay_cursor);
    jb_audit_done(&b->audit);
    jb_free(b->fields);
    if (b->hosts) {
        jb_hostpos_done(b->hosts);
        jb_free(b->hosts);
    }
    if (b->replay_hosts) {
        jb_hostpos_done(b->replay_hosts);
        jb_free(b->replay_hosts);
    }
    if (b->host_text)
        for (int i = 0; i < 3; i++) jb_buf_done(&b->host_text[i]);
    jb_free(b->host_text);
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
    if (r >= 0) r = jb_filter_set_components(b->filter, c->components, c->n_components, err);
    if (r >= 0 && jb_message_kind_from_string(c->message, &b->message) < 0)
        r = jb_error_set(err, -EINVAL, "invalid message kind '%s'", c->message);
    if (r >= 0) r = jb_journal_open(&c->source, &b->journal, err);
    if (r >= 0 && jb_journal_set_extra_fields(b->journal, c->container_fields, c->n_container_fields) < 0)
        r = jb_error_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; r >= 0 && i < c->n_matches; i++) r = jb_journal_add_match(b->journal, c->matches[i], err);
    if (r >= 0 && jb_journal_per_host(b->journal)) {
        b->hosts = jb_calloc(1, sizeof *b->hosts);
        b->replay_hosts = jb_calloc(1, sizeof *b->replay_hosts);
        b->host_text = jb_calloc(3, sizeof *b->host_text);
        if (!b->hosts || !b->replay_hosts || !b->host_text) r = jb_error_set(err, -ENOMEM, "out of memory");
    }
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
    jb_free(b->replay_cursor);
    b->replay_cursor = NULL;
    b->newest_receive_usec = 0;
    jb_buf_reset(&b->prev_cursor);
    if (b->hosts) {
        jb_hostpos_reset(b->hosts);
        int r = cursor && jb_hostpos_is(cursor) ? jb_hostpos_parse(b->hosts, cursor) : 0;
        if (r < 0) return jb_error_set(err, r, r == -ENOMEM ? "out of memory" : "invalid position per host");
    }
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
    /* per host: every host's position, also from one journal's cursor (journal-hosts.h) */
    int q = set_start(b, b->hosts ? jb_journal_last_cursor(b->journal) : cursor, err);
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

    /* Parts of a cut line may end on the same entry: their part numbers make the record ids differ
     * (record.h), also for a remainder delivered incomplete long after the part before it. */
    /* The component filter (issue 17), before the sequence numbers, so that a stream's numbers
     * have no holes; record ids do not depend on it. */
    jb_audit *a = &b->audit;
    if (!jb_filter_component(b->filter, a->wrap_component, a->wrap_component_len)) {
        b->stats.records_filtered++;
        return 0;
    }
    size_t n_fields = 0;
    if (e->extra.len > 0 && (r = jb_container_fields(e, &b->fields, &b->fields_cap, &n_fields)) < 0) return r;
    if (b->message == JB_MESSAGE_INNER && (r = jb_audit_inner(line->text, line->len, a)) < 0) return r;
    bool inner = b->message == JB_MESSAGE_INNER && a->wrap_log;

    char id[17];
    const jb_entry *cur = b->feeding;
    if (cur && cur->has_cursor_hash && line->cursor == cur->cursor.data) /* ends on the entry just read */
        jb_record_id_hashed(cur->cursor_hash, line->part, id);
    else
        jb_record_id(line->cursor, line->part, id);
    jb_record rec = {
        .message = inner ? a->wrap_log : line->text,
        .message_len = inner ? a->wrap_log_len : line->len,
        .container_name = jb_str_or_empty(e->container_name.data),
        .container_id = jb_str_or_empty(e->container_id.data),
        .image = jb_str_or_empty(e->image.data),
        .identifier = jb_str_or_empty(e->identifier.data),
        .hostname = jb_str_or_empty(e->hostname.data),
        .container_tag = jb_container_tag(e),
        .component = a->wrap_component,
        .container_fields = b->fields,
        .n_container_fields = n_fields,
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
    if (b->replay_cursor && (!b->hosts || b->replaying)) return 0; /* delivered before the state was saved */

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

static int expire_journal(jb_bridge *b, jb_error *err) {
    if (b->newest_receive_usec == 0) return 0;
    int r = jb_partial_expire_journal(b->partial, b->newest_receive_usec, JB_SPLIT_MAX_AGE_USEC, deliver_line, b);
    if (r < 0) return jb_error_set(err, r, "delivering a record failed: %s", strerror(-r));
    return 0;
}

/* The replay is over: repeat the expiry that preceded the save (silently), then deliver again. */
static int end_replay(jb_bridge *b, jb_error *err) {
    if (!b->replay_cursor) return 0;
    int r = expire_journal(b, err);
    jb_free(b->replay_cursor);
    b->replay_cursor = NULL;
    return r;
}

/* Replaying, e is past the position of the replay cursor (whose entry is then gone). */
static bool past_replay(const jb_bridge *b, const jb_entry *e) {
    jb_cursor_pos pos;
    if (!b->replay_pos_ok || !e->cursor.data || !jb_cursor_parse(e->cursor.data, &pos)) return false;
    if (jb_cursor_same_journal(&pos, &b->replay_pos)) return pos.seqnum > b->replay_pos.seqnum;
    return pos.realtime && b->replay_pos.realtime && pos.realtime > b->replay_pos.realtime;
}

static bool is_replay_cursor(const jb_bridge *b, const jb_entry *e) {
    size_t n = strlen(b->replay_cursor);
    return e->cursor.len == n && memcmp(e->cursor.data, b->replay_cursor, n) == 0;
}

int jb_bridge_set_replay(jb_bridge *b, const char *read_cursor, jb_error *err) {
    jb_free(b->replay_cursor);
    b->replay_cursor = jb_strdup(read_cursor);
    if (!b->replay_cursor) return jb_error_set(err, -ENOMEM, "out of memory");
    b->replay_pos_ok = jb_cursor_parse(b->replay_cursor, &b->replay_pos);
    if (b->hosts) {
        jb_hostpos_reset(b->replay_hosts);
        int r = jb_hostpos_is(read_cursor) ? jb_hostpos_parse(b->replay_hosts, read_cursor) : 0;
        if (r < 0) return jb_error_set(err, r, "invalid read position per host");
    }
    return 0;
}

/* Per host, replaying: whether e is at or before its host's read= cursor (the records it completes
 * were delivered before the state was saved). */
static bool host_replaying(jb_bridge *b, const jb_entry *e) {
    if (!e->host || !e->cursor.data) return false;
    ssize_t s = jb_hostpos_find(b->replay_hosts, e->host);
    if (s < 0) return false;
    const jb_buf *rc = &b->replay_hosts->cursor[s];
    if (e->cursor.len == rc->len && memcmp(e->cursor.data, rc->data, rc->len) == 0) return true;
    jb_cursor_pos pos, at;
    if (!jb_cursor_parse(e->cursor.data, &pos) || !jb_cursor_parse(rc->data, &at)) return false;
    if (jb_cursor_same_journal(&pos, &at)) return pos.seqnum <= at.seqnum;
    return pos.realtime && at.realtime && pos.realtime <= at.realtime;
}

/* The per-host position into host_text[i]; NULL when no host has one. */
static const char *host_position(const jb_bridge *b, int i) {
    if (jb_hostpos_format(b->hosts, &b->host_text[i]) < 0 || b->host_text[i].len == 0) return NULL;
    return b->host_text[i].data;
}

const char *jb_bridge_read_cursor(const jb_bridge *b) {
    if (b->replay_cursor) return b->replay_cursor;
    if (b->hosts) {
        const char *p = host_position(b, 1);
        return p ? p : b->start_cursor;
    }
    return b->prev_cursor.len ? b->prev_cursor.data : b->start_cursor;
}

/* The resume point a split line starting at e remembers: per host, every host's position, built
 * only while the reassembler may need it (a piece, or lines pending). */
static const char *resume_point(jb_bridge *b, const jb_entry *e) {
    if (!b->hosts) return b->prev_cursor.len ? b->prev_cursor.data : NULL;
    if (!e->partial && !e->has_partial_last && e->partial_id.len == 0 && !jb_partial_resume_cursor(b->partial))
        return NULL;
    const char *p = host_position(b, 2);
    return p ? p : b->start_cursor;
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
        if (b->hosts && b->replay_cursor) b->replaying = host_replaying(b, e);
        if (b->replay_cursor && !b->hosts && past_replay(b, e) && (r = end_replay(b, err)) < 0) return r;
        if (e->receive_usec > b->newest_receive_usec) b->newest_receive_usec = e->receive_usec;
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
            r = jb_partial_feed(b->partial, e, resume_point(b, e), deliver_line, b);
            b->feeding = NULL;
            if (r < 0) return jb_error_set(err, r, "delivering a record failed: %s", strerror(-r));
        }
        if (b->replay_cursor && !b->hosts && is_replay_cursor(b, e) && (r = end_replay(b, err)) < 0) return r;
        if (b->hosts && e->host &&
            jb_hostpos_update(b->hosts, e->host_index, e->host, e->cursor.data, e->cursor.len) < 0)
            return jb_error_set(err, -ENOMEM, "out of memory");
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
    int r = end_replay(b, err); /* caught up without meeting the replay cursor's entry: it is gone */
    if (r < 0) return r;
    r = jb_partial_flush(b->partial, deliver_line, b);
    if (r < 0) return jb_error_set(err, r, "delivering a record failed: %s", strerror(-r));
    return 0;
}

int jb_bridge_expire(jb_bridge *b, uint64_t max_age_usec, jb_record_cb cb, void *userdata, jb_error *err) {
    uint64_t now = jb_now_usec(CLOCK_MONOTONIC);
    b->cb = cb;
    b->userdata = userdata;
    int r = end_replay(b, err);
    if (r < 0) return r;
    r = jb_partial_expire(b->partial, now, max_age_usec, deliver_line, b);
    if (r < 0) return jb_error_set(err, r, "delivering a record failed: %s", strerror(-r));
    return 0;
}

int jb_bridge_expire_journal(jb_bridge *b, jb_record_cb cb, void *userdata, jb_error *err) {
    b->cb = cb;
    b->userdata = userdata;
    if (b->replay_cursor) return 0; /* the replay repeats this expiry where it ends */
    return expire_journal(b, err);
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
    if (!resume && b->hosts) {
        const char *p = host_position(b, 0);
        return p ? p : b->start_cursor;
    }
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
