#!/usr/bin/awk -f
# SPDX-License-Identifier: Apache-2.0
# Check the per-stream sequence numbers (RFC 5424 [meta sequenceId="N"], one counter per edge
# host and stream) of the records a central server wrote, and report what is missing.
#
#   awk -f check-sequence.awk /var/log/remote/*/audit.log        # all hosts' audit streams
#   awk -v stream=audit -f check-sequence.awk /var/log/remote/all.log
#
# Input: RFC 5424 lines as jbridge and the examples write them
# (<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD...] MSG), in the order they arrived; HOST and MSGID
# (app/audit) name the counter. Lines without a sequenceId are ignored.
# Output, one line each:
#   gap HOST STREAM FROM-TO N             records FROM..TO never arrived (N of them)
#   conflict HOST STREAM SEQ ID1 ID2      one number, two different records (not a duplicate)
#   restart HOST STREAM AFTER             the counter began again at 1 after AFTER (a state file
#                                         was lost or reset on the edge): numbers before are closed
#   summary HOST STREAM first=A last=B records=R duplicates=D missing=M
# Exit status: 1 when anything is missing or in conflict, else 0: run it from cron or a monitoring
# check and alert on 1. A duplicate (the same number with the same record id, what a restart of
# either end may re-deliver) is counted, never reported as a problem; a record that arrives late
# fills its hole. Memory: one entry per record read.
#
# -v stream=NAME checks only that stream; -v max=N sets the number after which the counter wraps
# to 1 (RFC 5424: 2147483647).

function flush_key(k,    s, from, n) {
    # report every hole between first[k] and last[k] that no record filled
    from = 0
    for (s = first[k]; s <= last[k]; s++) {
        if ((k, s) in id) {
            if (from) { gaps(k, from, s - 1); from = 0 }
        } else if (!from) {
            from = s
        }
    }
    if (from) gaps(k, from, last[k])
}

function gaps(k, from, to,    n) {
    n = to - from + 1
    missing[k] += n
    split(k, hs, SUBSEP)
    printf "gap %s %s %d-%d %d\n", hs[1], hs[2], from, to, n
    bad = 1
}

function forget(k,    s) {
    for (s = first[k]; s <= last[k]; s++) delete id[k, s]
}

# the counter k began again at seq (record rid): close its old range (a "restart" line when said),
# then start a new one
function start_over(k, seq, rid, say) {
    flush_key(k)
    if (say) printf "restart %s %s %d\n", host, st, last[k]
    forget(k)
    first[k] = last[k] = seq
    id[k, seq] = rid
}

BEGIN {
    if (max == "") max = 2147483647
    bad = 0
}

{
    if (!match($0, /\[meta sequenceId="[0-9]+"\]/)) next
    seq = substr($0, RSTART + 18, RLENGTH - 20) + 0
    host = $3
    st = $6
    if (stream != "" && st != stream) next
    rid = ""
    if (match($0, /\[jbridge@[0-9]+ id="[^"]*"/)) {
        rid = substr($0, RSTART, RLENGTH)
        sub(/.* id="/, "", rid)
        sub(/"$/, "", rid)
    }
    k = host SUBSEP st
    records[k]++
    if (!(k in last)) {
        keys[k] = 1
        first[k] = last[k] = seq
        id[k, seq] = rid
        next
    }
    if ((k, seq) in id) {
        if (id[k, seq] == rid) { dups[k]++; next }
        if (seq == 1 || seq < first[k]) {
            # a new counter: close the old one
            start_over(k, seq, rid, 1)
            next
        }
        printf "conflict %s %s %d %s %s\n", host, st, seq, id[k, seq], rid
        bad = 1
        next
    }
    if (seq == 1 && last[k] == max) {
        # wrapped: close the old range
        start_over(k, seq, rid, 0)
        next
    }
    if (seq == 1 && last[k] > 1) {
        start_over(k, seq, rid, 1)
        next
    }
    id[k, seq] = rid
    if (seq > last[k]) last[k] = seq
    if (seq < first[k]) first[k] = seq
}

END {
    for (k in keys) {
        flush_key(k)
        split(k, hs, SUBSEP)
        printf "summary %s %s first=%d last=%d records=%d duplicates=%d missing=%d\n", hs[1], hs[2], first[k],
            last[k], records[k], dups[k] + 0, missing[k] + 0
    }
    exit bad
}
