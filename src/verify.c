/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier: keys and their epoch keys, lines in, sealed items checked and sorted into
 * chains (verify-chain.c keeps each chain's ranges and links; verify-report.c says the result). */
#include <openssl/crypto.h>

#include "verify-internal.h"

/* ---- keys ---- */

static vkey *key_find(jb_verifier *v, const char *id, size_t n) {
    for (size_t i = 0; i < v->n_keys; i++)
        if (jb_slice_eq(id, n, v->keys[i].id)) return &v->keys[i];
    return NULL;
}

static int key_add(jb_verifier *v, const jb_seal_key *k) {
    vkey *have = key_find(v, k->id, strlen(k->id));
    if (have) return memcmp(have->k0, k->k, JB_SEAL_LEN) == 0 ? 0 : -EEXIST;
    vkey *keys = jb_realloc(v->keys, (v->n_keys + 1) * sizeof *keys);
    if (!keys) return -ENOMEM;
    v->keys = keys;
    vkey *nk = &keys[v->n_keys];
    *nk = (vkey){.n_checkpoint = 0};
    if (!(nk->checkpoint = jb_malloc(sizeof *nk->checkpoint))) return -ENOMEM;
    memcpy(nk->checkpoint[0], k->k, JB_SEAL_LEN); /* K_0 */
    nk->n_checkpoint = 1;
    memcpy(nk->id, k->id, sizeof nk->id);
    memcpy(nk->k0, k->k, JB_SEAL_LEN);
    nk->top = *k;
    nk->top.epoch = 0;
    /* v->keys moved: the chains point at keys by address */
    for (size_t i = 0; i < v->n_chains; i++)
        if (v->chains[i].key) v->chains[i].key = key_find(v, v->chains[i].key_id, JB_SEAL_ID_LEN);
    v->n_keys++;
    return 0;
}

int jb_verifier_add_keys(jb_verifier *v, const char *name, const char *text, size_t n, jb_error *err) {
    size_t pos = 0;
    uint64_t line = 0;
    while (pos < n) {
        const char *eol = memchr(text + pos, '\n', n - pos);
        size_t len = eol ? (size_t)(eol - (text + pos)) : n - pos, i = 0;
        const char *l = text + pos;
        pos += len + (eol ? 1 : 0);
        line++;
        while (i < len && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r')) i++;
        if (i == len || l[i] == '#') continue;
        jb_seal_key k;
        jb_error e = {0};
        int r = jb_seal_verify_key_parse(l, len, &k, &e);
        if (r < 0) return jb_error_set(err, r, "%s:%" PRIu64 ": %s", name, line, e.msg);
        r = key_add(v, &k);
        OPENSSL_cleanse(k.k, sizeof k.k);
        if (r == -EEXIST)
            return jb_error_set(err, r, "%s:%" PRIu64 ": key id %s given before with another key", name, line, k.id);
        if (r < 0) return jb_error_set(err, r, "out of memory");
    }
    return 0;
}

/* M_e of key k into out: 0, -ERANGE for an epoch past JB_VERIFY_EPOCH_MAX, -ENOMEM. Derives
 * forward from the highest key known, or from the checkpoint below e. */
static void mcache_put(vkey *k, const jb_seal_key *key, uint8_t out[JB_SEAL_LEN]) {
    size_t slot = key->epoch % JB_ELEMENTSOF(k->mcache);
    jb_seal_key_mac_key(key, k->mcache[slot].m);
    k->mcache[slot].epoch = key->epoch;
    k->mcache[slot].valid = true;
    if (out) memcpy(out, k->mcache[slot].m, JB_SEAL_LEN);
}

int jb__verify_mac_key(vkey *k, uint64_t e, uint8_t out[JB_SEAL_LEN]) {
    size_t slot = e % JB_ELEMENTSOF(k->mcache);
    if (e > JB_VERIFY_EPOCH_MAX) return -ERANGE;
    if (k->mcache[slot].valid && k->mcache[slot].epoch == e) {
        memcpy(out, k->mcache[slot].m, JB_SEAL_LEN);
        return 0;
    }
    if (e >= k->top.epoch) {
        while (k->top.epoch < e) {
            if ((k->top.epoch + 1) % JB_VERIFY_CHECKPOINT == 0) {
                void *c = jb_realloc(k->checkpoint, (k->n_checkpoint + 1) * sizeof *k->checkpoint);
                if (!c) return -ENOMEM;
                k->checkpoint = c;
            }
            jb_seal_key_evolve(&k->top);
            if (k->top.epoch % JB_VERIFY_CHECKPOINT == 0)
                memcpy(k->checkpoint[k->n_checkpoint++], k->top.k, JB_SEAL_LEN);
            mcache_put(k, &k->top, NULL); /* every epoch passed: the ones just below e come next */
        }
        if (k->mcache[slot].epoch != e || !k->mcache[slot].valid) mcache_put(k, &k->top, NULL);
        memcpy(out, k->mcache[slot].m, JB_SEAL_LEN);
        return 0;
    }
    jb_seal_key w = {.epoch = e / JB_VERIFY_CHECKPOINT * JB_VERIFY_CHECKPOINT};
    memcpy(w.k, k->checkpoint[e / JB_VERIFY_CHECKPOINT], JB_SEAL_LEN);
    while (w.epoch < e) jb_seal_key_evolve(&w);
    mcache_put(k, &w, out);
    OPENSSL_cleanse(&w, sizeof w);
    return 0;
}

/* ---- the verifier ---- */

int jb_verifier_new(jb_verifier **ret) {
    jb_verifier *v = jb_calloc(1, sizeof *v);
    if (!v) return -ENOMEM;
    *ret = v;
    return 0;
}

jb_verifier *jb_verifier_free(jb_verifier *v) {
    if (!v) return NULL;
    for (size_t i = 0; i < v->n_keys; i++) {
        if (v->keys[i].checkpoint) OPENSSL_cleanse(v->keys[i].checkpoint, v->keys[i].n_checkpoint * JB_SEAL_LEN);
        jb_free(v->keys[i].checkpoint);
    }
    if (v->keys) OPENSSL_cleanse(v->keys, v->n_keys * sizeof *v->keys);
    jb_free(v->keys);
    for (size_t i = 0; i < v->n_chains; i++) {
        vchain *c = &v->chains[i];
        jb_free(c->ranges);
        jb_free(c->window);
        for (size_t j = 0; j < c->n_events; j++) jb_free(c->events[j].what);
        jb_free(c->events);
    }
    jb_free(v->chains);
    jb_free(v->index);
    for (size_t i = 0; i < v->n_groups; i++) jb_free(v->groups[i].chains);
    jb_free(v->groups);
    jb_free(v->gindex);
    for (size_t i = 0; i < v->n_files; i++) jb_free(v->files[i]);
    jb_free(v->files);
    for (size_t j = 0; j < v->n_events; j++) jb_free(v->events[j].what);
    jb_free(v->events);
    jb_buf_done(&v->canon);
    jb_free(v);
    return NULL;
}

int jb_verifier_begin_file(jb_verifier *v, const char *name) {
    char **files = jb_realloc(v->files, (v->n_files + 1) * sizeof *files);
    if (!files) return -ENOMEM;
    v->files = files;
    size_t len = strlen(name);
    if (!(files[v->n_files] = jb_malloc(len + 1))) return -ENOMEM;
    memcpy(files[v->n_files++], name, len + 1);
    v->line = 0;
    return 0;
}

int jb__verify_event(vevent **list, size_t *n, size_t *cap, vkind kind, uint32_t file, uint64_t line, uint64_t n_rec,
                     const char *what) {
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        vevent *l = jb_realloc(*list, c * sizeof *l);
        if (!l) return -ENOMEM;
        *list = l;
        *cap = c;
    }
    vevent *e = &(*list)[*n];
    *e = (vevent){.kind = kind, .file = file, .line = line, .n = n_rec};
    if (what) {
        size_t len = strlen(what);
        if (!(e->what = jb_malloc(len + 1))) return -ENOMEM;
        memcpy(e->what, what, len + 1);
    }
    (*n)++;
    return 0;
}

static int global_event(jb_verifier *v, vkind kind, const char *what) {
    return jb__verify_event(&v->events, &v->n_events, &v->cap_events, kind, (uint32_t)(v->n_files - 1), v->line, 0,
                            what);
}

int jb__verify_chain_event(jb_verifier *v, vchain *c, vkind kind, uint64_t n, const char *what) {
    return jb__verify_event(&c->events, &c->n_events, &c->cap_events, kind, (uint32_t)(v->n_files - 1), v->line, n,
                            what);
}

/* ---- chains and host/stream groups ---- */

static uint64_t chain_hash(const char *key_id, const char *id) {
    return jb_hash64_update(jb_hash64(key_id, JB_SEAL_ID_LEN), id, JB_SEAL_ID_LEN);
}

static int index_grow(jb_verifier *v) {
    size_t cap = v->index_cap ? 2 * v->index_cap : 64;
    size_t *index = jb_calloc(cap, sizeof *index);
    if (!index) return -ENOMEM;
    for (size_t i = 0; i < v->n_chains; i++) {
        size_t h = (size_t)chain_hash(v->chains[i].key_id, v->chains[i].id) & (cap - 1);
        while (index[h]) h = (h + 1) & (cap - 1);
        index[h] = i + 1;
    }
    jb_free(v->index);
    v->index = index;
    v->index_cap = cap;
    return 0;
}

static size_t group_hash(const char *host, size_t host_len, const char *stream, size_t stream_len, size_t cap) {
    uint64_t h = jb_hash64_update(jb_hash64(host, host_len), "", 1);
    return (size_t)jb_hash64_update(h, stream, stream_len) & (cap - 1);
}

static vgroup *group_find(jb_verifier *v, const char *host, size_t host_len, const char *stream, size_t stream_len) {
    if (!v->gindex_cap) return NULL;
    for (size_t h = group_hash(host, host_len, stream, stream_len, v->gindex_cap); v->gindex[h];
         h = (h + 1) & (v->gindex_cap - 1)) {
        vgroup *g = &v->groups[v->gindex[h] - 1];
        if (jb_slice_eq(host, host_len, g->host) && jb_slice_eq(stream, stream_len, g->stream)) return g;
    }
    return NULL;
}

/* a new group of c's host and stream, indexed */
static vgroup *group_add(jb_verifier *v, const vchain *c) {
    vgroup *groups = jb_realloc(v->groups, (v->n_groups + 1) * sizeof *groups);
    if (!groups) return NULL;
    v->groups = groups;
    if (2 * (v->n_groups + 1) > v->gindex_cap) {
        size_t cap = v->gindex_cap ? 2 * v->gindex_cap : 64;
        size_t *index = jb_calloc(cap, sizeof *index);
        if (!index) return NULL;
        for (size_t i = 0; i < v->n_groups; i++) {
            size_t h =
                group_hash(groups[i].host, strlen(groups[i].host), groups[i].stream, strlen(groups[i].stream), cap);
            while (index[h]) h = (h + 1) & (cap - 1);
            index[h] = i + 1;
        }
        jb_free(v->gindex);
        v->gindex = index;
        v->gindex_cap = cap;
    }
    vgroup *g = &groups[v->n_groups++];
    *g = (vgroup){.n_chains = 0};
    memcpy(g->host, c->host, sizeof g->host);
    memcpy(g->stream, c->stream, sizeof g->stream);
    size_t h = group_hash(g->host, strlen(g->host), g->stream, strlen(g->stream), v->gindex_cap);
    while (v->gindex[h]) h = (h + 1) & (v->gindex_cap - 1);
    v->gindex[h] = v->n_groups;
    return g;
}

/* the chain's host and stream are those of its first valid item: put it in its group */
int jb__verify_chain_grouped(jb_verifier *v, vchain *c, const jb_seal_line *l) {
    size_t host_len = l->host_len < sizeof c->host ? l->host_len : sizeof c->host - 1;
    size_t stream_len = l->msgid_len < sizeof c->stream ? l->msgid_len : sizeof c->stream - 1;
    memcpy(c->host, l->host, host_len);
    c->host[host_len] = 0;
    memcpy(c->stream, l->msgid, stream_len);
    c->stream[stream_len] = 0;
    vgroup *g = group_find(v, c->host, host_len, c->stream, stream_len);
    if (!g && !(g = group_add(v, c))) return -ENOMEM;
    size_t *chains = jb_realloc(g->chains, (g->n_chains + 1) * sizeof *chains);
    if (!chains) return -ENOMEM;
    g->chains = chains;
    chains[g->n_chains++] = (size_t)(c - v->chains);
    return 0;
}

/* The chain (KEYID, CHAIN), made when new. NULL: no memory. */
static vchain *chain_get(jb_verifier *v, const char *key_id, const char *id, vkey *key) {
    if (v->index_cap) {
        size_t h = (size_t)chain_hash(key_id, id) & (v->index_cap - 1);
        for (; v->index[h]; h = (h + 1) & (v->index_cap - 1)) {
            vchain *c = &v->chains[v->index[h] - 1];
            if (memcmp(c->key_id, key_id, JB_SEAL_ID_LEN) == 0 && memcmp(c->id, id, JB_SEAL_ID_LEN) == 0) return c;
        }
    }
    if (v->n_chains == v->cap_chains) {
        size_t cap = v->cap_chains ? 2 * v->cap_chains : 16;
        vchain *chains = jb_realloc(v->chains, cap * sizeof *chains);
        if (!chains) return NULL;
        v->chains = chains;
        v->cap_chains = cap;
    }
    if (2 * (v->n_chains + 1) > v->index_cap && index_grow(v) < 0) return NULL;
    vchain *c = &v->chains[v->n_chains];
    *c = (vchain){.key = key, .first_file = (uint32_t)(v->n_files - 1), .first_line = v->line, .order = v->n_chains};
    memcpy(c->key_id, key_id, JB_SEAL_ID_LEN);
    memcpy(c->id, id, JB_SEAL_ID_LEN);
    size_t h = (size_t)chain_hash(key_id, id) & (v->index_cap - 1);
    while (v->index[h]) h = (h + 1) & (v->index_cap - 1);
    v->index[h] = ++v->n_chains;
    return c;
}

/* ---- lines ---- */

static bool is_hex_id(const char *p, size_t n) {
    if (!p || n != JB_SEAL_ID_LEN) return false;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) return false;
    return true;
}

/* The seal's numbers and MACs, or a reason why they do not parse. */
static const char *seal_fields(const jb_seal_params *p, vitem *it) {
    if (!p->n || jb_parse_u64(p->n, p->n_len, &it->n) < 0 || it->n == 0 || (p->n_len > 1 && p->n[0] == '0'))
        return "seal.n is not a number from 1";
    if (!p->epoch || jb_parse_u64(p->epoch, p->epoch_len, &it->epoch) < 0 || (p->epoch_len > 1 && p->epoch[0] == '0'))
        return "seal.epoch is not a number";
    if (!p->prev || jb_seal_unb64(p->prev, p->prev_len, it->prev) < 0) return "seal.prev is not base64 of 32 bytes";
    if (!p->mac || jb_seal_unb64(p->mac, p->mac_len, it->mac) < 0) return "seal.mac is not base64 of 32 bytes";
    it->has_tx = p->tx != NULL;
    if (p->tx && jb_seal_unb64(p->tx, p->tx_len, it->tx) < 0) return "seal.tx is not base64 of 32 bytes";
    if (!p->beat) {
        if (p->time || p->interval) return "seal.time or seal.interval without seal.beat";
        return NULL;
    }
    if (jb_slice_eq(p->beat, p->beat_len, "heartbeat"))
        it->beat = "heartbeat";
    else if (jb_slice_eq(p->beat, p->beat_len, "stop"))
        it->beat = "stop";
    else
        return "seal.beat is neither heartbeat nor stop";
    if (!p->time || jb_parse_u64(p->time, p->time_len, &it->time_usec) < 0) return "seal.time is not a number";
    if (!p->interval || jb_parse_u64(p->interval, p->interval_len, &it->interval) < 0)
        return "seal.interval is not a number";
    return NULL;
}

/* An unsealed line: inserted when its host has a sealed chain of its stream. */
static int unsealed_line(jb_verifier *v, const jb_seal_line *l) {
    vgroup *g = group_find(v, l->host, l->host_len, l->msgid, l->msgid_len);
    if (!g) {
        if (jb_slice_eq(l->msgid, l->msgid_len, "app") || jb_slice_eq(l->msgid, l->msgid_len, "audit"))
            v->unsealed++;
        else
            v->other++;
        return 0;
    }
    vchain *c = &v->chains[g->chains[g->n_chains - 1]];
    return jb__verify_chain_event(v, c, V_UNSEALED, 0, NULL);
}

static int sealed_line(jb_verifier *v, const jb_seal_line *l, const jb_seal_params *p) {
    char why[200];
    vitem it = {.line = l};
    if (!is_hex_id(p->key, p->key_len) || !is_hex_id(p->chain, p->chain_len))
        return global_event(v, V_BAD_SEAL, "seal.key or seal.chain is not 16 lowercase hex digits");
    vkey *k = key_find(v, p->key, p->key_len);
    if (!k) {
        snprintf(why, sizeof why, "%.*s", (int)p->key_len, p->key);
        return global_event(v, V_UNKNOWN_KEY, why);
    }
    char chain_id[JB_SEAL_ID_LEN + 1];
    memcpy(chain_id, p->chain, JB_SEAL_ID_LEN);
    chain_id[JB_SEAL_ID_LEN] = 0;
    vchain *c = chain_get(v, k->id, chain_id, k);
    if (!c) return -ENOMEM;
    const char *bad = seal_fields(p, &it);
    if (bad) {
        /* a record whose seal was damaged: not valid, counted against its number when it has one */
        return jb__verify_chain_event(v, c, V_BAD_MAC, it.n, bad);
    }
    it.record_id = p->record_id;
    it.record_id_len = p->record_id_len;
    return jb__verify_item(v, c, &it);
}

int jb_verifier_line(jb_verifier *v, const char *p, size_t n) {
    jb_seal_line l;
    jb_seal_params sp;
    jb_error err = {0};

    v->line++;
    if (v->n_files == 0 && jb_verifier_begin_file(v, "-") < 0) return -ENOMEM;
    while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r')) n--;
    if (n == 0) return 0;
    v->lines++;
    if (jb_seal_line_parse(p, n, &l, &err) < 0) return global_event(v, V_BAD_LINE, err.msg);
    if (jb_seal_params_get(l.sd, l.sd_len, &sp) < 0)
        return global_event(v, V_BAD_SEAL, "a seal parameter given twice, or an unknown seal.* parameter");
    return sp.any ? sealed_line(v, &l, &sp) : unsealed_line(v, &l);
}
