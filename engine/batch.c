/* batch.c — the lane scheduler behind e2e_batch_run.
 *
 * Implementation notes:
 *  - CBC encryption, CBC-MAC and SHA-256 are serial inside one message, so
 *    the only way to fill the AES and SHA units is to run several messages
 *    side by side: one message per lane (simd/impl.h, struct e2e_aes_lanes /
 *    e2e_sha_lanes). The work that is already parallel inside a message (CTR,
 *    CBC decryption) runs per message on the single-message kernels.
 *  - A batch runs in three phases, each a pass over the job vector:
 *      0. checks (e2e_open_prepare / e2e_seal_prepare, shared with the
 *         single-message calls) and the per-message parallel work: CCM CTR,
 *         CS1 decryption, copying plaintext into seal outputs;
 *      1. SHA lanes: HMAC-SHA256 over KIV || P for CS1 and HMAC-only jobs
 *         (open: compare; seal: write the tag);
 *      2. AES lanes: CCM CBC-MAC (open: compare; seal: write the tag) and
 *         CS1 seal's CBC encryption (the HMAC tag is part of its input).
 *    A job's status is E2E_OK while it is alive; a phase skips jobs that
 *    failed, and sets a failed job's status the moment it fails.
 *  - Within a pass (submit / run / flush): each lane holds one message as a
 *    list of segments (blocks in the caller's buffers, plus head and tail
 *    blocks built in the scratch: HMAC's KIV || P head and padding, CCM's B0
 *    and padded last block, CS1's zero-padded last block). Every kernel call
 *    runs as many blocks as the shortest current segment allows; a lane whose
 *    message finishes is refilled with the next job at once, so messages of
 *    unequal length do not stall the others. When no job is left, idle lanes
 *    point at a dummy buffer in the scratch and the rest drain.
 *  - The widest lane kernel of the engine runs when enough jobs wait for it;
 *    otherwise, and on engines without lane kernels (portable), a one-lane
 *    adapter over the single-message tables runs the same scheduler.
 *  - Intermediate values that must survive between phases live in the
 *    caller's output buffer, never in a side table: CCM's tag XOR S0 (S0 =
 *    E(Ctr0)) sits right after the plaintext, where a failed job is wiped
 *    and a good one has it wiped before it is released.
 *  - No allocation: the scheduler's state is the caller's e2e_scratch. */
#include <string.h>

#include "ct.h"
#include "internal.h"

#define DUMMY_BLOCKS 4

struct seg {
    const uint8_t *in;
    uint8_t *out;
    size_t nblk;
};

struct lane {
    size_t job;
    struct seg seg[4];
    unsigned nseg, cur;
    unsigned phase;          /* SHA: 0 inner, 1 outer */
    unsigned active;
};

struct lane_bufs {
    alignas(64) uint8_t head[64];     /* SHA: KIV || P[..]; AES: CCM B0 */
    alignas(64) uint8_t tail[128];    /* SHA: last bytes + padding; AES: last block */
    alignas(64) uint8_t outer[64];    /* SHA: inner digest || padding */
};

struct sched {
    struct e2e_sha_lanes sl;
    struct e2e_aes_lanes al;
    struct lane lane[E2E_LANES_MAX];
    struct lane_bufs buf[E2E_LANES_MAX];
    alignas(64) uint8_t dummy_in[64 * DUMMY_BLOCKS];
    alignas(64) uint8_t dummy_out[64 * DUMMY_BLOCKS];
};

_Static_assert(sizeof(struct sched) <= E2E_SCRATCH_BYTES, "grow E2E_SCRATCH_BYTES");

/* ---------------------------------------------------------------- job geometry */

static int is_ccm(uint32_t suite)
{
    return suite == E2E_SUITE_AES_128_CCM || suite == E2E_SUITE_AES_128_CCM_8;
}

/* geom recomputes what prepare derived for a job that passed it. While the
 * batch runs, a live job's out_len carries its plaintext length (an in-place
 * open has overwritten its KI by then); the last pass sets the real out_len. */
struct geom {
    const struct keyset_impl *k;
    const uint8_t *in;   /* open: body; seal: plaintext */
    uint8_t *out;        /* open: plaintext; seal: body after the KI */
    size_t plen;
    size_t wipe_len;
};

static struct geom geom_of(const e2e_job *j)
{
    struct geom g;
    g.k = e2e_keyset_impl(j->keys);
    g.plen = j->out_len;
    if (j->op == E2E_OPEN) {
        g.in = j->in + (j->in_len - g.plen - g.k->tag_len);
        g.out = j->out;
        g.wipe_len = j->in_len;
    } else {
        g.in = j->in;
        g.out = j->out + g.k->ki_len;
        g.wipe_len = g.k->ki_len + j->in_len + g.k->tag_len;
    }
    return g;
}

static void fail(e2e_job *j, const struct geom *g, e2e_status st)
{
    e2e_wipe(j->out, g->wipe_len);
    j->status = st;
}

/* ---------------------------------------------------------------- passes */

struct pass {
    struct sched *s;
    const e2e_engine *eng;
    const struct engine_impl *impl;
    e2e_job *jobs;
    size_t n, next;
    unsigned lanes;
    size_t blk;                                  /* 64 (SHA) or 16 (AES) */
    int (*wants)(const e2e_job *j);
    void (*fill)(struct pass *p, unsigned i, e2e_job *j);
    int (*finish)(struct pass *p, unsigned i, e2e_job *j);  /* 1: lane free */
    void (*kernel)(struct pass *p, size_t nblk);
};

static void set_ptrs(struct pass *p, unsigned i, const uint8_t *in, uint8_t *out)
{
    if (p->blk == 64) {
        p->s->sl.data[i] = in;
    } else {
        p->s->al.in[i] = in;
        p->s->al.out[i] = out;
    }
}

/* run drives one pass: submit jobs to free lanes, run the kernel over the
 * shortest current segment, advance, finish and refill lanes, then flush. */
static void run(struct pass *p)
{
    struct sched *s = p->s;
    unsigned nactive = 0;
    for (unsigned i = 0; i < p->lanes; i++)
        s->lane[i].active = 0;
    p->next = 0;
    for (;;) {
        /* submit */
        for (unsigned i = 0; i < p->lanes; i++) {
            while (!s->lane[i].active && p->next < p->n) {
                e2e_job *j = &p->jobs[p->next];
                size_t idx = p->next++;
                if (j->status != E2E_OK || !p->wants(j))
                    continue;
                struct lane *l = &s->lane[i];
                memset(l->seg, 0, sizeof l->seg);
                l->job = idx;
                l->nseg = l->cur = l->phase = 0;
                p->fill(p, i, j);
                l->active = 1;
                nactive++;
            }
        }
        if (nactive == 0)
            return;
        /* the shortest current segment bounds this call */
        size_t nblk = SIZE_MAX;
        for (unsigned i = 0; i < p->lanes; i++) {
            struct lane *l = &s->lane[i];
            if (l->active) {
                if (l->seg[l->cur].nblk < nblk)
                    nblk = l->seg[l->cur].nblk;
                set_ptrs(p, i, l->seg[l->cur].in, l->seg[l->cur].out);
            }
        }
        if (nactive < p->lanes) {
            if (nblk > DUMMY_BLOCKS * 64 / p->blk)
                nblk = DUMMY_BLOCKS * 64 / p->blk;
            for (unsigned i = 0; i < p->lanes; i++)
                if (!s->lane[i].active)
                    set_ptrs(p, i, s->dummy_in, s->dummy_out);
        }
        p->kernel(p, nblk);
        /* advance; finish lanes whose message is done */
        for (unsigned i = 0; i < p->lanes; i++) {
            struct lane *l = &s->lane[i];
            if (!l->active)
                continue;
            struct seg *sg = &l->seg[l->cur];
            sg->nblk -= nblk;
            sg->in += nblk * p->blk;
            if (sg->out)
                sg->out += nblk * p->blk;
            while (l->cur < l->nseg && l->seg[l->cur].nblk == 0)
                l->cur++;
            if (l->cur == l->nseg && p->finish(p, i, &p->jobs[l->job])) {
                l->active = 0;
                nactive--;
            }
        }
    }
}

static void add_seg(struct lane *l, const uint8_t *in, uint8_t *out, size_t nblk)
{
    if (nblk == 0)
        return;
    l->seg[l->nseg].in = in;
    l->seg[l->nseg].out = out;
    l->seg[l->nseg].nblk = nblk;
    l->nseg++;
}

/* ---------------------------------------------------------------- SHA pass */

static int sha_wants(const e2e_job *j)
{
    return !is_ccm(e2e_keyset_impl(j->keys)->suite);
}

static void sha_set_state(struct e2e_sha_lanes *sl, unsigned i, const uint32_t h[8])
{
    for (int w = 0; w < 8; w++)
        sl->h[w][i] = h[w];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* sha_fill lays HMAC's inner hash over KIV || P out as segments: a head block
 * (KIV and the first bytes of P) in the scratch, the whole blocks of P in
 * place, and the last bytes with the padding in the scratch. */
static void sha_fill(struct pass *p, unsigned i, e2e_job *j)
{
    struct sched *s = p->s;
    struct lane *l = &s->lane[i];
    struct lane_bufs *b = &s->buf[i];
    struct geom g = geom_of(j);
    const struct keyset_impl *k = g.k;
    /* the data HMAC covers: open CS1 = decrypted P in out; else the input */
    const uint8_t *pt = (j->op == E2E_OPEN && k->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256)
                            ? g.out : g.in;
    size_t kl = k->kiv_len, total = kl + g.plen, rest;
    const uint8_t *tailsrc;
    sha_set_state(&s->sl, i, k->hmac.inner);
    if (total >= 64) {
        memcpy(b->head, k->kiv, kl);
        memcpy(b->head + kl, pt, 64 - kl);
        add_seg(l, b->head, NULL, 1);
        size_t after = g.plen - (64 - kl);
        add_seg(l, pt + (64 - kl), NULL, after / 64);
        tailsrc = pt + (64 - kl) + (after & ~(size_t)63);
        rest = after & 63;
        memcpy(b->tail, tailsrc, rest);
    } else {
        memcpy(b->tail, k->kiv, kl);
        if (g.plen)
            memcpy(b->tail + kl, pt, g.plen);
        rest = total;
    }
    size_t tblk = rest + 9 <= 64 ? 1 : 2;
    memset(b->tail + rest, 0, 64 * tblk - rest);
    b->tail[rest] = 0x80;
    uint64_t bits = (uint64_t)(64 + total) * 8;
    store_be32(b->tail + 64 * tblk - 8, (uint32_t)(bits >> 32));
    store_be32(b->tail + 64 * tblk - 4, (uint32_t)bits);
    add_seg(l, b->tail, NULL, tblk);
}

static int sha_finish(struct pass *p, unsigned i, e2e_job *j)
{
    struct sched *s = p->s;
    struct lane *l = &s->lane[i];
    struct lane_bufs *b = &s->buf[i];
    struct geom g = geom_of(j);
    const struct keyset_impl *k = g.k;
    if (l->phase == 0) {
        /* inner done: hash the digest under the outer state */
        for (int w = 0; w < 8; w++)
            store_be32(b->outer + 4 * w, s->sl.h[w][i]);
        memset(b->outer + 32, 0, 32);
        b->outer[32] = 0x80;
        b->outer[62] = 0x03;  /* (64 + 32) * 8 = 768 bits */
        sha_set_state(&s->sl, i, k->hmac.outer);
        l->phase = 1;
        l->nseg = l->cur = 0;
        add_seg(l, b->outer, NULL, 1);
        return 0;
    }
    uint8_t mac[32];
    for (int w = 0; w < 8; w++)
        store_be32(mac + 4 * w, s->sl.h[w][i]);
    size_t t = k->tag_len;
    if (j->op == E2E_OPEN) {
        const uint8_t *tag = k->suite == E2E_SUITE_HMAC_SHA256 ? g.in + g.plen : g.out + g.plen;
        if (!e2e_ct_verify(mac, tag, t)) {
            fail(j, &g, E2E_ERR_AUTH);
        } else if (k->suite == E2E_SUITE_HMAC_SHA256) {
            if (g.plen)
                memmove(g.out, g.in, g.plen);
        } else {
            e2e_wipe(g.out + g.plen, t);  /* the decrypted tag */
        }
    } else {
        memcpy(g.out + g.plen, mac, t);   /* P was copied in phase 0 */
    }
    e2e_wipe(mac, sizeof mac);
    e2e_wipe(b, sizeof *b);
    return 1;
}

static void sha_kernel_lanes(struct pass *p, size_t nblk)
{
    p->impl->sha_lanes->blocks(&p->s->sl, nblk);
}

static void sha_kernel_narrow(struct pass *p, size_t nblk)
{
    p->impl->sha_narrow->blocks(&p->s->sl, nblk);
}

/* sha_kernel_one runs lane 0 on the single-message table. */
static void sha_kernel_one(struct pass *p, size_t nblk)
{
    uint32_t h[8];
    for (int w = 0; w < 8; w++)
        h[w] = p->s->sl.h[w][0];
    p->impl->sha->blocks(h, p->s->sl.data[0], nblk);
    for (int w = 0; w < 8; w++)
        p->s->sl.h[w][0] = h[w];
}

/* ---------------------------------------------------------------- AES pass */

static int aes_wants(const e2e_job *j)
{
    uint32_t suite = e2e_keyset_impl(j->keys)->suite;
    return is_ccm(suite) || (j->op == E2E_SEAL && suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256);
}

static void aes_set_key(struct e2e_aes_lanes *al, unsigned i, const e2e_aes_key *key)
{
    for (int r = 0; r < 11; r++)
        memcpy(al->rk[r][i], key->enc[r], 16);
}

/* ccm_b0 writes B0 = flags || N || [plen]_q (SP 800-38C A.2.1, no AAD). */
static void ccm_b0(uint8_t b0[16], const struct keyset_impl *k, size_t plen)
{
    size_t q = 15 - k->iv_len;
    b0[0] = (uint8_t)((((k->tag_len - 2) / 2) << 3) | (q - 1));
    memcpy(b0 + 1, k->iv, k->iv_len);
    uint64_t v = plen;
    for (size_t i = 0; i < q; i++, v >>= 8)
        b0[15 - i] = (uint8_t)v;
}

static void aes_fill(struct pass *p, unsigned i, e2e_job *j)
{
    struct sched *s = p->s;
    struct lane *l = &s->lane[i];
    struct lane_bufs *b = &s->buf[i];
    struct geom g = geom_of(j);
    const struct keyset_impl *k = g.k;
    aes_set_key(&s->al, i, &k->aes);
    if (is_ccm(k->suite)) {
        /* CBC-MAC over B0 || P || 0-pad; P is the plaintext (open: in out) */
        const uint8_t *pt = j->op == E2E_OPEN ? g.out : g.in;
        memset(s->al.iv[i], 0, 16);
        ccm_b0(b->head, k, g.plen);
        add_seg(l, b->head, NULL, 1);
        add_seg(l, pt, NULL, g.plen / 16);
        if (g.plen % 16) {
            memset(b->tail, 0, 16);
            memcpy(b->tail, pt + (g.plen & ~(size_t)15), g.plen % 16);
            add_seg(l, b->tail, NULL, 1);
        }
    } else {
        /* CS1 seal: CBC over P || T in place; a partial last block runs
         * zero-padded in the scratch and is stolen back in aes_finish. */
        size_t len = g.plen + k->tag_len, nb = (len + 15) / 16, d = len - 16 * (nb - 1);
        memcpy(s->al.iv[i], k->iv, 16);
        if (d == 16) {
            add_seg(l, g.out, g.out, nb);
        } else {
            memset(b->tail, 0, 16);
            memcpy(b->tail, g.out + 16 * (nb - 1), d);
            add_seg(l, g.out, g.out, nb - 1);
            add_seg(l, b->tail, b->tail, 1);
        }
    }
}

static int aes_finish(struct pass *p, unsigned i, e2e_job *j)
{
    struct sched *s = p->s;
    struct lane_bufs *b = &s->buf[i];
    struct geom g = geom_of(j);
    const struct keyset_impl *k = g.k;
    size_t t = k->tag_len;
    if (is_ccm(k->suite)) {
        /* out[plen..plen+t) holds tag XOR S0 (open) or S0 (seal), phase 0 */
        uint8_t *x = g.out + g.plen;
        if (j->op == E2E_OPEN) {
            int ok = e2e_ct_verify(s->al.iv[i], x, t);
            e2e_wipe(x, t);
            if (!ok)
                fail(j, &g, E2E_ERR_AUTH);
        } else {
            for (size_t q = 0; q < t; q++)
                x[q] ^= s->al.iv[i][q];
        }
    } else {
        size_t len = g.plen + t, nb = (len + 15) / 16, d = len - 16 * (nb - 1);
        if (d != 16)
            memcpy(g.out + 16 * (nb - 2) + d, b->tail, 16);  /* Cn after C*(n-1) */
    }
    e2e_wipe(s->al.iv[i], 16);
    e2e_wipe(b, sizeof *b);
    return 1;
}

static void aes_kernel_cbcmac_lanes(struct pass *p, size_t nblk)
{
    p->impl->aes_lanes->cbcmac(&p->s->al, nblk);
}

static void aes_kernel_cbcenc_lanes(struct pass *p, size_t nblk)
{
    p->impl->aes_lanes->cbcenc(&p->s->al, nblk);
}

static void aes_kernel_cbcmac_narrow(struct pass *p, size_t nblk)
{
    p->impl->aes_narrow->cbcmac(&p->s->al, nblk);
}

static void aes_kernel_cbcenc_narrow(struct pass *p, size_t nblk)
{
    p->impl->aes_narrow->cbcenc(&p->s->al, nblk);
}

/* aes_lane0_key copies lane 0's round keys into a single-message key. */
static void aes_lane0_key(e2e_aes_key *key, const struct e2e_aes_lanes *al)
{
    for (int r = 0; r < 11; r++)
        memcpy(key->enc[r], al->rk[r][0], 16);
}

/* aes_kernel_one_mac / _enc run lane 0 on the single-message table. */
static void aes_kernel_one_mac(struct pass *p, size_t nblk)
{
    struct e2e_aes_lanes *al = &p->s->al;
    e2e_aes_key key;
    aes_lane0_key(&key, al);
    p->impl->aes->cbcmac(&key, al->iv[0], al->in[0], nblk);
    e2e_wipe(&key, sizeof key);
}

static void aes_kernel_one_enc(struct pass *p, size_t nblk)
{
    struct e2e_aes_lanes *al = &p->s->al;
    e2e_aes_key key;
    aes_lane0_key(&key, al);
    p->impl->aes->cbc_enc(&key, al->iv[0], al->out[0], al->in[0], nblk);
    e2e_wipe(&key, sizeof key);
}

/* ---------------------------------------------------------------- phase 0 */

/* prepare checks job j and does its per-message parallel work. */
static void prepare(const e2e_engine *eng, const struct engine_impl *impl, e2e_job *j)
{
    struct e2e_wire w;
    j->out_len = 0;
    if (j->keys == NULL || (j->op != E2E_OPEN && j->op != E2E_SEAL)) {
        if (j->out != NULL)
            e2e_wipe(j->out, j->out_cap);
        j->status = j->keys == NULL ? E2E_ERR_UNKNOWN_KEY : E2E_ERR_PARAM;
        return;
    }
    if (j->op == E2E_OPEN)
        j->status = e2e_open_prepare(&w, eng, j->keys, j->out, j->out_cap, j->in, j->in_len);
    else
        j->status = e2e_seal_prepare(&w, eng, j->keys, j->out, j->out_cap, j->in, j->in_len);
    if (j->status != E2E_OK)
        return;
    j->out_len = w.plen;  /* carried to the later passes (geom_of) */
    const struct keyset_impl *k = w.k;
    const struct e2e_aes_impl *aes = impl->aes;
    if (is_ccm(k->suite)) {
        /* CTR with counters 1.. (SP 800-38C A.3), and S0 = E(Ctr0) parked
         * after the plaintext: open keeps tag XOR S0 there, seal S0. */
        uint8_t ctr[16], s0[16], tag[16];
        memset(ctr, 0, sizeof ctr);
        ctr[0] = (uint8_t)(15 - k->iv_len - 1);
        memcpy(ctr + 1, k->iv, k->iv_len);
        aes->ecb_enc(&k->aes, s0, ctr, 1);
        ctr[15] = 1;
        aes->ctr32(&k->aes, ctr, w.out, w.in, w.plen);
        if (j->op == E2E_OPEN) {
            memcpy(tag, w.in + w.plen, k->tag_len);  /* in place: read before the store */
            for (size_t q = 0; q < k->tag_len; q++)
                w.out[w.plen + q] = tag[q] ^ s0[q];
        } else {
            memcpy(w.out + w.plen, s0, k->tag_len);
        }
        e2e_wipe(s0, sizeof s0);
        e2e_wipe(tag, sizeof tag);
        e2e_wipe(ctr, sizeof ctr);
    } else if (j->op == E2E_OPEN && k->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256) {
        e2e_cs1_decrypt(eng, &k->aes, k->iv, w.out, w.in, w.in_len);
    } else if (j->op == E2E_SEAL && w.plen) {
        memcpy(w.out, w.in, w.plen);  /* CS1 / HMAC seal: P, then T, in out */
    }
}

/* ---------------------------------------------------------------- entry */

/* run_pass picks the lane width for a pass from how many jobs it serves:
 * the wide family from wide_min jobs on, else the narrow family (or the wide
 * one when there is no narrow one) from two jobs on, else one lane on the
 * single-message table. */
static void run_pass(struct pass *p, unsigned wide, size_t wide_min, unsigned narrow,
                     void (*wide_kernel)(struct pass *, size_t),
                     void (*narrow_kernel)(struct pass *, size_t),
                     void (*one_kernel)(struct pass *, size_t))
{
    size_t count = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->jobs[i].status == E2E_OK && p->wants(&p->jobs[i]))
            count++;
    if (count == 0)
        return;
    p->lanes = 1;
    p->kernel = one_kernel;
    if (wide_kernel != NULL && (count >= wide_min || (narrow_kernel == NULL && count >= 2))) {
        p->lanes = wide;
        p->kernel = wide_kernel;
    } else if (narrow_kernel != NULL && count >= 2) {
        p->lanes = narrow;
        p->kernel = narrow_kernel;
    }
    run(p);
}

static int aes_wants_mac(const e2e_job *j)
{
    return aes_wants(j) && is_ccm(e2e_keyset_impl(j->keys)->suite);
}

static int aes_wants_enc(const e2e_job *j)
{
    return aes_wants(j) && !is_ccm(e2e_keyset_impl(j->keys)->suite);
}

e2e_status e2e_batch_run(const e2e_engine *eng, e2e_job *jobs, size_t n,
                         e2e_scratch *scratch)
{
    const struct engine_impl *impl = e2e_engine_impl(eng);
    if (impl == NULL || (jobs == NULL && n != 0) || scratch == NULL)
        return E2E_ERR_PARAM;
    struct sched *s = (struct sched *)(void *)scratch->opaque;

    for (size_t i = 0; i < n; i++)
        prepare(eng, impl, &jobs[i]);

    struct pass p = {.s = s, .eng = eng, .impl = impl, .jobs = jobs, .n = n};
    const struct e2e_sha_lane_impl *shl = impl->sha_lanes, *shn = impl->sha_narrow;
    const struct e2e_aes_lane_impl *ael = impl->aes_lanes, *aen = impl->aes_narrow;

    p.blk = 64;
    p.wants = sha_wants;
    p.fill = sha_fill;
    p.finish = sha_finish;
    /* SHA: 16 AVX-512 lanes beat SHA-NI's two streams only when nearly full
     * (0.68 vs 0.79 ticks/byte measured at 16 and 2 busy lanes). */
    run_pass(&p, shl ? shl->lanes : 0, shl ? shl->lanes - shl->lanes / 8 : 0,
             shn ? shn->lanes : 0, shl ? sha_kernel_lanes : NULL,
             shn ? sha_kernel_narrow : NULL, sha_kernel_one);

    p.blk = 16;
    p.fill = aes_fill;
    p.finish = aes_finish;
    p.wants = aes_wants_mac;
    /* AES: 16 VAES lanes cost about one 8-lane AES-NI step, so they win
     * from half full on. */
    run_pass(&p, ael ? ael->lanes : 0, ael ? ael->lanes / 2 + 1 : 0, aen ? aen->lanes : 0,
             ael ? aes_kernel_cbcmac_lanes : NULL, aen ? aes_kernel_cbcmac_narrow : NULL,
             aes_kernel_one_mac);
    p.wants = aes_wants_enc;
    run_pass(&p, ael ? ael->lanes : 0, ael ? ael->lanes / 2 + 1 : 0, aen ? aen->lanes : 0,
             ael ? aes_kernel_cbcenc_lanes : NULL, aen ? aes_kernel_cbcenc_narrow : NULL,
             aes_kernel_one_enc);

    for (size_t i = 0; i < n; i++) {
        e2e_job *j = &jobs[i];
        if (j->status != E2E_OK) {
            j->out_len = 0;
            continue;
        }
        struct geom g = geom_of(j);
        j->out_len = j->op == E2E_OPEN ? g.plen : g.wipe_len;
    }
    e2e_wipe(s, sizeof *s);
    return E2E_OK;
}
