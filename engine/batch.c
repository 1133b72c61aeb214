/* batch.c — the lane scheduler behind e2e_batch_run.
 *
 * Implementation notes:
 *  - CBC encryption, CBC-MAC and SHA-256 are serial inside one message, so
 *    the only way to fill the AES and SHA units is to run several messages
 *    side by side: one message per lane (simd/impl.h, struct e2e_aes_lanes /
 *    e2e_sha_lanes). CCM's CTR blocks are independent, but a short message
 *    has too few of them to hide the AES latency, so they run in lanes too
 *    (16 messages per VAESENC row) when the lane family has a CTR kernel.
 *    CS1 decryption runs per message on the single-message table. Where the
 *    SHA lane family's streams are independent (SHA-NI pairs), a lane needs
 *    no lockstep: hmac_msgs runs each HMAC from its first block to its
 *    digest in one call (sha_msgs), and an HMAC-only open's plaintext is
 *    copied by that kernel while the block is in registers.
 *  - The jobs run in chunks of CHUNK. Phase 0 checks each job of the chunk
 *    once (e2e_open_prepare / e2e_seal_prepare, shared with the
 *    single-message calls), records what the later passes need in a job
 *    descriptor (struct jd, in the scratch), does the per-message work
 *    (CS1 decryption, copying plaintext into seal outputs) and puts the job
 *    on the list of every pass it needs:
 *      1. CTR lanes: CCM's S0 = E(Ctr0) and the CTR blocks;
 *      2. SHA lanes: HMAC-SHA256 over KIV || P (open: compare; seal: write
 *         the tag);
 *      3. AES CBC-MAC lanes: CCM's tag (open: compare; seal: write it);
 *      4. AES CBC-encryption lanes: CS1 seal (the HMAC tag is part of its
 *         input).
 *    A pass walks only its own list; a job that fails leaves every later
 *    list (its status is no longer E2E_OK, which each pass checks).
 *  - Within a pass (submit / run / flush): each lane holds one message as a
 *    list of up to 3 segments (blocks in the caller's buffers, plus head and
 *    tail blocks built in the scratch: HMAC's KIV || P head and padding,
 *    CCM's B0 and padded last block, CS1's zero-padded last block). Every
 *    kernel call runs as many blocks as the shortest current segment allows;
 *    a lane whose message finishes is refilled with the next job at once, so
 *    messages of unequal length do not stall the others. When no job is
 *    left, idle lanes point at a dummy buffer in the scratch and the rest
 *    drain.
 *  - The widest lane kernel of the engine runs when enough jobs wait for it;
 *    otherwise, and on engines without lane kernels (portable), a one-lane
 *    adapter over the single-message tables runs the same scheduler.
 *  - A lane remembers whose round keys it holds, so a batch under one key
 *    set copies them into the lane layout once per lane, not per message.
 *  - Intermediate values that must survive between passes live in the
 *    caller's output buffer, never in a side table: CCM's tag XOR S0 (open)
 *    or S0 (seal) sits right after the plaintext, where a failed job is
 *    wiped and a good one has it wiped before it is released.
 *  - No allocation: the scheduler's state is the caller's e2e_scratch, whose
 *    secret-bearing parts (lane states, round keys, lane buffers) are wiped
 *    before e2e_batch_run returns. */
#include <stddef.h>
#include <string.h>

#include "ct.h"
#include "internal.h"

#define DUMMY_BLOCKS 4
/* short_ccm's lane buffer: an open's run of 1 + 16 blocks and its saved
 * first block; a seal's two runs of 1 + 7 blocks at 0 and 128 */
#define SHORT_CCM_BUF (16 * (1 + 16) + 16)
#define CHUNK 256 /* list entries are uint8_t */

/* jd describes a job that passed phase 0: w is filled by e2e_open_prepare /
 * e2e_seal_prepare in place (copying it out stalled on store forwarding):
 * w.k its key set, w.in the body after the KI (open) or the plaintext
 * (seal), w.out where the plaintext (open) or the body after the KI (seal)
 * goes, w.plen the plaintext length. */
struct jd {
    struct e2e_wire w;
    e2e_job *job;
};

struct seg {
    const uint8_t *in;
    uint8_t *out;
    size_t nblk;
    const uint8_t *mx;     /* fused CCM: the MAC input's XOR block, or NULL */
    uint8_t sel;           /* fused CCM: MAC the first sel output bytes, the
                              rest from the input (0: input only; 16: output) */
};

struct lane {
    struct seg seg[3];
    const e2e_aes_key *key;  /* whose round keys al.rk[.][lane] holds */
    uint16_t jd;
    uint8_t nseg, cur, phase, active;
};

union lane_bufs {
    struct {
        alignas(64) uint8_t head[64];   /* SHA: KIV || P[..]; MAC: B0; CTR: U | S0 */
        alignas(64) uint8_t tail[128];  /* SHA: last bytes + padding; AES: last block */
        alignas(64) uint8_t outer[64];  /* SHA: inner digest || padding */
    };
    alignas(64) uint8_t raw[SHORT_CCM_BUF];  /* short_ccm's runs of blocks */
};

/* the pass lists; L_SHORT1 / L_SHORT2: HMACs whose inner hash is 1 / 2
 * blocks (short_hmac), L_SHA: the longer ones (the lane scheduler);
 * L_GRP0 + nb: group lists of jobs with nb blocks, first for CCM payloads
 * of nb <= SHORT_CCM_BLOCKS blocks (short_ccm; L_CTR / L_MAC: the longer
 * ones), then rebuilt for CS1 seals of nb <= SHORT_ENC_BLOCKS (short_enc;
 * L_ENC: the rest) */
#define SHORT_CCM_BLOCKS 16       /* opens; seals up to SHORT_CCM_SEAL_BLOCKS */
#define SHORT_CCM_SEAL_BLOCKS 7
#define SHORT_ENC_BLOCKS 16        /* <= SHORT_CCM_BLOCKS: the group lists */
enum { L_CTR, L_SHA, L_MAC, L_ENC, L_SHORT1, L_SHORT2, L_GRP0,
       L_COUNT = L_GRP0 + SHORT_CCM_BLOCKS + 1 };

struct sched {
    struct e2e_sha_lanes sl;
    /* the AES lanes, or the SHA pass's whole HMACs (hmac_msgs), which forget
     * the round keys the lanes held (lane.key) */
    union {
        struct e2e_aes_lanes al;
        struct e2e_hmac_msg msg[E2E_LANES_MAX];
    };
    union lane_bufs buf[E2E_LANES_MAX];
    alignas(64) uint8_t dummy_in[64 * DUMMY_BLOCKS];
    alignas(64) uint8_t dummy_out[64 * DUMMY_BLOCKS];
    struct lane lane[E2E_LANES_MAX];
    struct jd jd[CHUNK];
    uint8_t list[L_COUNT][CHUNK];      /* indices into jd (CHUNK <= 256) */
};

_Static_assert(sizeof(struct sched) <= E2E_SCRATCH_BYTES, "grow E2E_SCRATCH_BYTES");



static int is_ccm(uint32_t suite)
{
    return suite == E2E_SUITE_AES_128_CCM || suite == E2E_SUITE_AES_128_CCM_8;
}

/* ---------------------------------------------------------------- passes */

struct pass {
    struct sched *s;
    const struct engine_impl *impl;
    const uint8_t *list;
    size_t n, next;
    unsigned lanes;
    size_t blk;                                          /* 64 (SHA) or 16 (AES) */
    void (*fill)(struct pass *p, unsigned i, const struct jd *d);
    int (*finish)(struct pass *p, unsigned i, const struct jd *d);  /* 1: lane free */
    void (*kernel)(struct pass *p, size_t nblk);
    int fused;  /* the fused CCM kernel: lanes also have sel and mx */
};

static const uint8_t zero_block[16];

static void set_ptrs(struct pass *p, unsigned i, const uint8_t *in, uint8_t *out)
{
    if (p->blk == 64) {
        p->s->sl.data[i] = in;
    } else {
        p->s->al.in[i] = in;
        p->s->al.out[i] = out;
        p->s->al.mx[i] = zero_block;  /* read only by the fused CCM kernel */
    }
}

/* set_seg points lane i at segment sg. */
static void set_seg(struct pass *p, unsigned i, const struct seg *sg)
{
    set_ptrs(p, i, sg->in, sg->out);
    if (p->fused) {
        uint8_t *sel = p->s->al.sel[i];
        for (unsigned q = 0; q < 16; q++)
            sel[q] = (uint8_t)(0u - (q < sg->sel));
        p->s->al.mx[i] = sg->mx != NULL ? sg->mx : zero_block;
    }
}

static void add_seg(struct lane *l, const uint8_t *in, uint8_t *out, size_t nblk)
{
    if (nblk == 0)
        return;
    l->seg[l->nseg].in = in;
    l->seg[l->nseg].out = out;
    l->seg[l->nseg].nblk = nblk;
    l->seg[l->nseg].mx = NULL;
    l->seg[l->nseg].sel = 0;
    l->nseg++;
}

/* submit fills lane i with the next job of the list; 0 when none is left. */
static int submit(struct pass *p, unsigned i)
{
    struct sched *s = p->s;
    while (p->next < p->n) {
        const struct jd *d = &s->jd[p->list[p->next]];
        uint8_t idx = p->list[p->next++];
        if (d->job->status != E2E_OK)
            continue;
        struct lane *l = &s->lane[i];
        l->jd = idx;
        l->nseg = l->cur = l->phase = 0;
        p->fill(p, i, d);
        set_seg(p, i, &l->seg[0]);
        l->active = 1;
        return 1;
    }
    return 0;
}

/* run drives one pass: submit jobs to free lanes, run the kernel over the
 * shortest current segment, advance, finish and refill lanes, then flush.
 * The lane's current position lives in the kernel's pointer arrays; the
 * segment keeps the blocks still to run. */
static void run(struct pass *p)
{
    struct sched *s = p->s;
    const size_t dummy_max = DUMMY_BLOCKS * 64 / p->blk;
    unsigned nactive = 0;
    p->next = 0;
    for (unsigned i = 0; i < p->lanes; i++) {
        s->lane[i].active = 0;
        if (submit(p, i))
            nactive++;
        else
            set_ptrs(p, i, s->dummy_in, s->dummy_out);
    }
    while (nactive > 0) {
        size_t nblk = nactive < p->lanes ? dummy_max : SIZE_MAX;
        for (unsigned i = 0; i < p->lanes; i++) {
            const struct lane *l = &s->lane[i];
            if (l->active && l->seg[l->cur].nblk < nblk)
                nblk = l->seg[l->cur].nblk;
        }
        p->kernel(p, nblk);
        /* advance; finish lanes whose message is done and refill them */
        for (unsigned i = 0; i < p->lanes; i++) {
            struct lane *l = &s->lane[i];
            if (!l->active)
                continue;
            struct seg *sg = &l->seg[l->cur];
            sg->nblk -= nblk;
            if (sg->nblk != 0) {
                if (p->blk == 64) {
                    s->sl.data[i] += nblk * 64;
                } else {
                    s->al.in[i] += nblk * 16;
                    if (s->al.out[i] != NULL)  /* CBC-MAC lanes have no output */
                        s->al.out[i] += nblk * 16;
                }
                continue;
            }
            if (++l->cur < l->nseg) {
                set_seg(p, i, &l->seg[l->cur]);
                continue;
            }
            if (!p->finish(p, i, &s->jd[l->jd])) {
                set_seg(p, i, &l->seg[0]);  /* next phase */
                continue;
            }
            l->active = 0;
            if (submit(p, i))
                continue;
            nactive--;
            set_ptrs(p, i, s->dummy_in, s->dummy_out);
        }
    }
}

/* choose picks the lane width for a pass of count jobs: the wide family from
 * wide_min jobs on, else the narrow family (or the wide one when there is no
 * narrow one) from two jobs on, else one lane on the single-message table. */
static void choose(struct pass *p, size_t count, unsigned wide, size_t wide_min,
                   unsigned narrow, void (*wide_kernel)(struct pass *, size_t),
                   void (*narrow_kernel)(struct pass *, size_t),
                   void (*one_kernel)(struct pass *, size_t))
{
    p->lanes = 1;
    p->kernel = one_kernel;
    if (wide_kernel != NULL && (count >= wide_min || (narrow_kernel == NULL && count >= 2))) {
        p->lanes = wide;
        p->kernel = wide_kernel;
    } else if (narrow_kernel != NULL && count >= 2) {
        p->lanes = narrow;
        p->kernel = narrow_kernel;
    }
}

/* ---------------------------------------------------------------- SHA pass */

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

/* pt_of is the data job d's HMAC covers after KIV: open CS1 = the decrypted
 * P in out; otherwise the input. */
static const uint8_t *pt_of(const struct jd *d)
{
    return d->job->op == E2E_OPEN && d->w.k->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256
               ? d->w.out : d->w.in;
}

/* sha_fill lays HMAC's inner hash over KIV || P out as segments: a head block
 * (KIV and the first bytes of P) in the scratch, the whole blocks of P in
 * place, and the last bytes with the padding in the scratch. */
static void sha_fill(struct pass *p, unsigned i, const struct jd *d)
{
    struct sched *s = p->s;
    struct lane *l = &s->lane[i];
    union lane_bufs *b = &s->buf[i];
    const struct keyset_impl *k = d->w.k;
    const uint8_t *pt = pt_of(d);
    size_t kl = k->kiv_len, plen = d->w.plen, total = kl + plen, rest;
    sha_set_state(&s->sl, i, k->hmac.inner);
    if (total >= 64) {
        memcpy(b->head, k->kiv, kl);
        memcpy(b->head + kl, pt, 64 - kl);
        add_seg(l, b->head, NULL, 1);
        size_t after = plen - (64 - kl);
        add_seg(l, pt + (64 - kl), NULL, after / 64);
        rest = after & 63;
        memcpy(b->tail, pt + (64 - kl) + (after & ~(size_t)63), rest);
    } else {
        memcpy(b->tail, k->kiv, kl);
        if (plen)
            memcpy(b->tail + kl, pt, plen);
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

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A digest is 8 host-order words h[0], h[st], .. h[7 * st]: st is
 * E2E_LANES_MAX for a lane of struct e2e_sha_lanes (word-major), 1 for a
 * struct e2e_hmac_msg. */

/* sha_byte is byte q of digest h (big-endian words, FIPS 180-4). */
static uint8_t sha_byte(const uint32_t *h, size_t st, size_t q)
{
    return (uint8_t)(h[q / 4 * st] >> (24 - 8 * (q % 4)));
}

/* sha_tag_ok compares tag with the first t bytes of digest h in constant
 * time, straight from the state words: storing the digest bytewise and
 * comparing it with wide loads stalled on store forwarding. The verdict is
 * public (e2e_ct_verify). */
static int sha_tag_ok(const uint32_t *h, size_t st, const uint8_t *tag, size_t t)
{
    uint32_t diff = 0;
    size_t q = 0;
    for (; q + 4 <= t; q += 4)
        diff |= load_be32(tag + q) ^ h[q / 4 * st];
    for (; q < t; q++)
        diff |= (uint32_t)(tag[q] ^ sha_byte(h, st, q));
    int ok = (int)(1u & ~e2e_ct_mask_nonzero(diff));
    E2E_CT_PUBLIC(&ok, sizeof ok);
    return ok;
}

static void fail(const struct jd *d, e2e_status st)
{
    e2e_job *j = d->job;
    e2e_wipe(j->out, j->op == E2E_OPEN ? j->in_len : d->w.k->ki_len + j->in_len + d->w.k->tag_len);
    j->status = st;
}

/* sha_outer builds lane i's outer block (the inner digest and its padding)
 * in out and sets the lane's state to the key set's outer state. */
static void sha_outer(struct e2e_sha_lanes *sl, unsigned i, uint8_t out[64],
                      const struct keyset_impl *k)
{
    for (int w = 0; w < 8; w++)
        store_be32(out + 4 * w, sl->h[w][i]);
    memset(out + 32, 0, 32);
    out[32] = 0x80;
    out[62] = 0x03;  /* (64 + 32) * 8 = 768 bits */
    sha_set_state(sl, i, k->hmac.outer);
}

/* sha_done: h (stride st) is job d's HMAC; open compares it with the tag
 * and releases the plaintext, seal writes the tag after P. An HMAC-only
 * open's plaintext is moved into place here, or, when b is not NULL, has
 * had its whole middle blocks copied by the kernel (hmac_msgs) and takes
 * its first and last bytes from the lane buffers b (see msg_fill). */
static void sha_done(const uint32_t *h, size_t st, const struct jd *d, const union lane_bufs *b)
{
    const struct keyset_impl *k = d->w.k;
    size_t t = k->tag_len, plen = d->w.plen;
    if (d->job->op == E2E_OPEN) {
        const uint8_t *tag = k->suite == E2E_SUITE_HMAC_SHA256 ? d->w.in + plen : d->w.out + plen;
        if (!sha_tag_ok(h, st, tag, t)) {
            fail(d, E2E_ERR_AUTH);
        } else if (k->suite == E2E_SUITE_HMAC_SHA256) {
            size_t kl = k->kiv_len;
            if (b == NULL) {
                if (plen)
                    memmove(d->w.out, d->w.in, plen);
            } else if (kl + plen < 64) {
                memcpy(d->w.out, b->tail + kl, plen);
            } else {
                size_t head = 64 - kl, rest = (plen - head) & 63;
                memcpy(d->w.out, b->head + kl, head);
                memcpy(d->w.out + plen - rest, b->tail, rest);
            }
        } else {
            e2e_wipe(d->w.out + plen, t);  /* the decrypted tag */
        }
    } else {                             /* P was copied in phase 0 */
        size_t q = 0;
        for (; q + 4 <= t; q += 4)
            store_be32(d->w.out + plen + q, h[q / 4 * st]);
        for (; q < t; q++)
            d->w.out[plen + q] = sha_byte(h, st, q);
    }
}

static int sha_finish(struct pass *p, unsigned i, const struct jd *d)
{
    struct sched *s = p->s;
    struct lane *l = &s->lane[i];
    union lane_bufs *b = &s->buf[i];
    const struct keyset_impl *k = d->w.k;
    if (l->phase == 0) {
        /* inner done: hash the digest under the outer state */
        sha_outer(&s->sl, i, b->outer, k);
        l->phase = 1;
        l->nseg = l->cur = 0;
        add_seg(l, b->outer, NULL, 1);
        return 0;
    }
    sha_done(&s->sl.h[0][i], E2E_LANES_MAX, d, NULL);
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

/* short_hmac runs the HMACs of a list whose inner hash is nb (1 or 2)
 * blocks: KIV || P || padding is built in the lane's tail buffer, and each
 * group of lanes takes two kernel calls (inner, outer), or one where the
 * lane family has a fused HMAC kernel (.hmac), with no segment bookkeeping,
 * since every lane of the group has the same shape. Payloads
 * of a few dozen bytes, the common IoT case, spent more time in the lane
 * scheduler than in SHA-256. */
static void short_hmac(struct pass *p, const uint8_t *list, size_t n, size_t nb)
{
    struct sched *s = p->s;
    /* the lane family's fused inner + outer kernel, when it has one */
    const struct e2e_sha_lane_impl *fam = p->kernel == sha_kernel_lanes ? p->impl->sha_lanes
                                          : p->kernel == sha_kernel_narrow ? p->impl->sha_narrow
                                                                           : NULL;
    void (*fused)(struct e2e_sha_lanes *, size_t) = fam != NULL ? fam->hmac : NULL;
    for (size_t base = 0; base < n; base += p->lanes) {
        size_t g = n - base < p->lanes ? n - base : p->lanes;
        for (unsigned i = 0; i < p->lanes; i++) {
            if (i >= g) {
                s->sl.data[i] = s->dummy_in;
                continue;
            }
            const struct jd *d = &s->jd[list[base + i]];
            const struct keyset_impl *k = d->w.k;
            uint8_t *b = s->buf[i].tail;
            size_t kl = k->kiv_len, total = kl + d->w.plen;
            memcpy(b, k->kiv, kl);
            if (d->w.plen)
                memcpy(b + kl, pt_of(d), d->w.plen);
            memset(b + total, 0, 64 * nb - total);
            b[total] = 0x80;
            uint64_t bits = (uint64_t)(64 + total) * 8;
            store_be32(b + 64 * nb - 8, (uint32_t)(bits >> 32));
            store_be32(b + 64 * nb - 4, (uint32_t)bits);
            sha_set_state(&s->sl, i, k->hmac.inner);
            s->sl.data[i] = b;
        }
        if (fused != NULL) {
            for (unsigned i = 0; i < p->lanes; i++)
                s->sl.outer[i] = s->jd[list[base + (i < g ? i : 0)]].w.k->hmac.outer;
            fused(&s->sl, nb);
        } else {
            p->kernel(p, nb);
            for (unsigned i = 0; i < g; i++) {
                sha_outer(&s->sl, i, s->buf[i].outer, s->jd[list[base + i]].w.k);
                s->sl.data[i] = s->buf[i].outer;
            }
            p->kernel(p, 1);
        }
        for (unsigned i = 0; i < g; i++)
            sha_done(&s->sl.h[0][i], E2E_LANES_MAX, &s->jd[list[base + i]], NULL);
    }
}

/* msg_fill describes job d's HMAC for hmac_msgs in m, with lane buffers b:
 * as sha_fill lays it out (head block, whole blocks of P in place, tail and
 * padding). An HMAC-only open has the kernel copy the whole blocks to the
 * plaintext's place as it hashes them (the data is in L1 then; moving it
 * after the check read it all again), and sha_done adds the head and tail
 * bytes from b once the tag is good; a bad tag wipes it all (fail). */
static void msg_fill(struct e2e_hmac_msg *m, union lane_bufs *b, const struct jd *d)
{
    const struct keyset_impl *k = d->w.k;
    size_t kl = k->kiv_len;
    e2e_hmac_msg_layout(m, b->head, b->tail, &k->hmac, k->kiv, kl, pt_of(d), d->w.plen);
    if (m->nblk[1] != 0 && d->job->op == E2E_OPEN && k->suite == E2E_SUITE_HMAC_SHA256)
        m->copy = d->w.out + (64 - kl);
}

/* sha_msgs runs the HMACs of a list with the lane family's hmac_msgs, a
 * group of E2E_LANES_MAX at a time (the lane buffers hold their head and
 * tail blocks). */
static void sha_msgs(struct sched *s, const uint8_t *list, size_t n,
                     void (*hmac_msgs)(struct e2e_hmac_msg *, size_t))
{
    for (size_t base = 0; base < n; base += E2E_LANES_MAX) {
        size_t g = n - base < E2E_LANES_MAX ? n - base : E2E_LANES_MAX, live = 0;
        uint8_t idx[E2E_LANES_MAX];
        for (size_t i = 0; i < g; i++) {
            const struct jd *d = &s->jd[list[base + i]];
            if (d->job->status != E2E_OK)
                continue;
            idx[live] = list[base + i];
            msg_fill(&s->msg[live], &s->buf[live], d);
            live++;
        }
        hmac_msgs(s->msg, live);
        for (size_t i = 0; i < live; i++)
            sha_done(s->msg[i].h, 1, &s->jd[idx[i]], &s->buf[i]);
    }
    for (unsigned i = 0; i < E2E_LANES_MAX; i++)
        s->lane[i].key = NULL;  /* s->msg overwrote the lanes' round keys */
}

/* ---------------------------------------------------------------- AES passes */

/* aes_set_key makes lane i hold key (skipped when it already does; a
 * one-lane pass reads the key set directly). */
static void aes_set_key(struct pass *p, unsigned i, const e2e_aes_key *key)
{
    struct lane *l = &p->s->lane[i];
    if (p->lanes == 1 || l->key == key)
        return;
    for (int r = 0; r < 11; r++)
        memcpy(p->s->al.rk[r][i], key->enc[r], 16);
    l->key = key;
}

/* ctr_fill runs CCM's CTR from Ctr0 over: the received tag U, zero-padded
 * (open; zeros for seal), giving U XOR S0 (or S0); the whole blocks of the
 * body in place; its partial last block in the scratch. Every input block is
 * copied or read before the lane writes anything, so an in-place open whose
 * plaintext lands over its KI is safe. */
static void ctr_fill(struct pass *p, unsigned i, const struct jd *d)
{
    struct sched *s = p->s;
    struct lane *l = &s->lane[i];
    union lane_bufs *b = &s->buf[i];
    const struct keyset_impl *k = d->w.k;
    size_t plen = d->w.plen, whole = plen & ~(size_t)15, r = plen & 15;
    aes_set_key(p, i, &k->aes);
    memcpy(s->al.iv[i], k->ccm_ctr0, 16);
    memset(b->head, 0, 16);
    if (d->job->op == E2E_OPEN)
        memcpy(b->head, d->w.in + plen, k->tag_len);
    add_seg(l, b->head, b->head + 16, 1);
    add_seg(l, d->w.in, d->w.out, whole / 16);
    if (r) {
        memset(b->tail, 0, 16);
        memcpy(b->tail, d->w.in + whole, r);
        add_seg(l, b->tail, b->tail + 16, 1);
    }
}

static int ctr_finish(struct pass *p, unsigned i, const struct jd *d)
{
    union lane_bufs *b = &p->s->buf[i];
    size_t plen = d->w.plen, r = plen & 15;
    if (r)
        memcpy(d->w.out + (plen & ~(size_t)15), b->tail + 16, r);
    memcpy(d->w.out + plen, b->head + 16, d->w.k->tag_len);
    return 1;
}

/* ctr_one is CTR of one job on the single-message table (one-lane passes and
 * lane families without a CTR kernel). */
static void ctr_one(const struct engine_impl *impl, const struct jd *d)
{
    const struct keyset_impl *k = d->w.k;
    uint8_t ctr[16], s0[16];
    memcpy(ctr, k->ccm_ctr0, 16);
    memset(s0, 0, sizeof s0);
    if (d->job->op == E2E_OPEN)
        memcpy(s0, d->w.in + d->w.plen, k->tag_len);  /* in place: read before the store */
    impl->aes->ctr32(&k->aes, ctr, s0, s0, 16);
    impl->aes->ctr32(&k->aes, ctr, d->w.out, d->w.in, d->w.plen);
    memcpy(d->w.out + d->w.plen, s0, k->tag_len);
    e2e_wipe(s0, sizeof s0);
    e2e_wipe(ctr, sizeof ctr);
}

/* ccm_b0 writes B0 = flags || N || [plen]_q (SP 800-38C A.2.1, no AAD). */
static void ccm_b0(uint8_t b0[16], const struct keyset_impl *k, size_t plen)
{
    size_t q = 15 - k->iv_len;
    memcpy(b0, k->ccm_b0, 16);
    uint64_t v = plen;
    for (size_t i = 0; i < q; i++, v >>= 8)
        b0[15 - i] = (uint8_t)v;
}

/* mac_fill: CBC-MAC over B0 || P || 0-pad; P is the plaintext (open: in out). */
static void mac_fill(struct pass *p, unsigned i, const struct jd *d)
{
    struct sched *s = p->s;
    struct lane *l = &s->lane[i];
    union lane_bufs *b = &s->buf[i];
    const struct keyset_impl *k = d->w.k;
    const uint8_t *pt = d->job->op == E2E_OPEN ? d->w.out : d->w.in;
    size_t plen = d->w.plen;
    aes_set_key(p, i, &k->aes);
    memset(s->al.iv[i], 0, 16);
    ccm_b0(b->head, k, plen);
    add_seg(l, b->head, NULL, 1);
    add_seg(l, pt, NULL, plen / 16);
    if (plen % 16) {
        memset(b->tail, 0, 16);
        memcpy(b->tail, pt + (plen & ~(size_t)15), plen % 16);
        add_seg(l, b->tail, NULL, 1);
    }
}

static int mac_finish(struct pass *p, unsigned i, const struct jd *d)
{
    struct sched *s = p->s;
    size_t t = d->w.k->tag_len;
    /* out[plen..plen+t) holds tag XOR S0 (open) or S0 (seal), from CTR */
    uint8_t *x = d->w.out + d->w.plen;
    if (d->job->op == E2E_OPEN) {
        int ok = e2e_ct_verify(s->al.iv[i], x, t);
        e2e_wipe(x, t);
        if (!ok)
            fail(d, E2E_ERR_AUTH);
    } else {
        for (size_t q = 0; q < t; q++)
            x[q] ^= s->al.iv[i][q];
    }
    return 1;
}

/* ccm_fill: CCM's CTR and CBC-MAC in one pass (the lane family's ccm
 * kernel), three segments aligned block for block:
 *   - CTR from Ctr0 over the received tag U, zero-padded (seal: zeros),
 *     giving U XOR S0 (S0) in head + 16, while the MAC takes B0: the input
 *     U XOR the segment's mx block U XOR B0 (head + 32);
 *   - the whole blocks of the body in place; the MAC takes the CTR output
 *     (open: the plaintext) or the input (seal: the plaintext);
 *   - the partial last block, zero-padded, in tail; the MAC takes its first
 *     r output bytes zero-padded (open) or the input (seal).
 * Inputs are copied or read before the lane writes anything (ctr_fill). */
static void ccm_fill(struct pass *p, unsigned i, const struct jd *d)
{
    struct sched *s = p->s;
    struct lane *l = &s->lane[i];
    union lane_bufs *b = &s->buf[i];
    const struct keyset_impl *k = d->w.k;
    size_t plen = d->w.plen;
    ctr_fill(p, i, d);  /* the CTR side: U, the body, the partial block */
    memset(s->al.mac[i], 0, 16);
    ccm_b0(b->head + 32, k, plen);
    for (unsigned q = 0; q < 16; q++)
        b->head[32 + q] ^= b->head[q];
    l->seg[0].mx = b->head + 32;
    if (d->job->op == E2E_OPEN) {
        for (unsigned g = 1; g < l->nseg; g++)  /* the body, then the partial block */
            l->seg[g].sel = (uint8_t)(g == 1 && plen >= 16 ? 16 : plen & 15);
    }
}

static int ccm_finish(struct pass *p, unsigned i, const struct jd *d)
{
    struct sched *s = p->s;
    union lane_bufs *b = &s->buf[i];
    size_t plen = d->w.plen, r = plen & 15, t = d->w.k->tag_len;
    if (d->job->op == E2E_OPEN) {
        int ok = e2e_ct_verify(s->al.mac[i], b->head + 16, t);
        if (!ok) {
            fail(d, E2E_ERR_AUTH);
            return 1;
        }
    } else {
        for (size_t q = 0; q < t; q++)
            d->w.out[plen + q] = (uint8_t)(s->al.mac[i][q] ^ b->head[16 + q]);
    }
    if (r)
        memcpy(d->w.out + (plen & ~(size_t)15), b->tail + 16, r);
    return 1;
}

/* enc_fill: CS1 seal, CBC over P || T in place; a partial last block runs
 * zero-padded in the scratch and is stolen back in enc_finish. */
static void enc_fill(struct pass *p, unsigned i, const struct jd *d)
{
    struct sched *s = p->s;
    struct lane *l = &s->lane[i];
    union lane_bufs *b = &s->buf[i];
    const struct keyset_impl *k = d->w.k;
    size_t len = d->w.plen + k->tag_len, nb = (len + 15) / 16, r = len - 16 * (nb - 1);
    aes_set_key(p, i, &k->aes);
    memcpy(s->al.iv[i], k->iv, 16);
    if (r == 16) {
        add_seg(l, d->w.out, d->w.out, nb);
    } else {
        memset(b->tail, 0, 16);
        memcpy(b->tail, d->w.out + 16 * (nb - 1), r);
        add_seg(l, d->w.out, d->w.out, nb - 1);
        add_seg(l, b->tail, b->tail, 1);
    }
}

static int enc_finish(struct pass *p, unsigned i, const struct jd *d)
{
    union lane_bufs *b = &p->s->buf[i];
    size_t len = d->w.plen + d->w.k->tag_len, nb = (len + 15) / 16, r = len - 16 * (nb - 1);
    if (r != 16)
        memcpy(d->w.out + 16 * (nb - 2) + r, b->tail, 16);  /* Cn after C*(n-1) */
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

static void aes_kernel_ctr_lanes(struct pass *p, size_t nblk)
{
    p->impl->aes_lanes->ctr(&p->s->al, nblk);
}

static void aes_kernel_ccm_lanes(struct pass *p, size_t nblk)
{
    p->impl->aes_lanes->ccm(&p->s->al, nblk);
}

static void aes_kernel_cbcmac_narrow(struct pass *p, size_t nblk)
{
    p->impl->aes_narrow->cbcmac(&p->s->al, nblk);
}

static void aes_kernel_cbcenc_narrow(struct pass *p, size_t nblk)
{
    p->impl->aes_narrow->cbcenc(&p->s->al, nblk);
}

static void aes_kernel_ctr_narrow(struct pass *p, size_t nblk)
{
    p->impl->aes_narrow->ctr(&p->s->al, nblk);
}

/* aes_kernel_one_mac / _enc run lane 0 on the single-message table, with the
 * key of lane 0's key set. */
static const e2e_aes_key *lane0_key(const struct pass *p)
{
    return &p->s->jd[p->s->lane[0].jd].w.k->aes;
}

static void aes_kernel_one_mac(struct pass *p, size_t nblk)
{
    struct e2e_aes_lanes *al = &p->s->al;
    p->impl->aes->cbcmac(lane0_key(p), al->iv[0], al->in[0], nblk);
}

static void aes_kernel_one_enc(struct pass *p, size_t nblk)
{
    struct e2e_aes_lanes *al = &p->s->al;
    p->impl->aes->cbc_enc(lane0_key(p), al->iv[0], al->out[0], al->in[0], nblk);
}

/* group_size returns how many jobs of a list of n fill the group of lanes
 * starting at base, and points the AES lanes past them at the dummy
 * buffers. */
static size_t group_size(struct pass *p, size_t n, size_t base)
{
    size_t g = n - base < p->lanes ? n - base : p->lanes;
    for (size_t i = g; i < p->lanes; i++) {
        p->s->al.in[i] = p->s->dummy_in;
        p->s->al.out[i] = p->s->dummy_out;
    }
    return g;
}

/* short_ccm runs the CCM of a list of jobs whose payloads are all nb
 * blocks (opens up to SHORT_CCM_BLOCKS, seals up to SHORT_CCM_SEAL_BLOCKS),
 * a group of lanes at a time, with one CTR and one CBC-MAC kernel call per
 * group and no segment bookkeeping. The message is copied into the lane's
 * 256-byte buffer before anything is written, so an in-place open is safe.
 *  - open: [received tag | ciphertext], zero-padded, runs CTR from Ctr0 in
 *    place, giving [tag XOR S0 | plaintext + keystream tail]; the first
 *    block moves to the buffer's last 16 bytes, B0 takes its place and the
 *    keystream tail is zeroed, so the same run is the CBC-MAC input
 *    [B0 | plaintext, zero-padded].
 *  - seal: at 0, [zeros | plaintext] runs CTR into [S0 | ciphertext]; at
 *    128, [B0 | plaintext, zero-padded] is the CBC-MAC input. */
static void short_ccm(struct pass *p, const uint8_t *list, size_t n, size_t nb)
{
    struct sched *s = p->s;
    const size_t run_len = 16 * (1 + nb);
    for (size_t base = 0; base < n; base += p->lanes) {
        size_t g = group_size(p, n, base);
        for (unsigned i = 0; i < g; i++) {
            const struct jd *d = &s->jd[list[base + i]];
            const struct keyset_impl *k = d->w.k;
            uint8_t *b = s->buf[i].raw;
            size_t plen = d->w.plen;
            aes_set_key(p, i, &k->aes);
            memset(b, 0, run_len);
            if (d->job->op == E2E_OPEN) {
                memcpy(b, d->w.in + plen, k->tag_len);
            } else {
                ccm_b0(b + 128, k, plen);
                memset(b + 128 + 16, 0, 16 * nb);
                if (plen)
                    memcpy(b + 128 + 16, d->w.in, plen);
            }
            if (plen)
                memcpy(b + 16, d->w.in, plen);
            memcpy(s->al.iv[i], k->ccm_ctr0, 16);
            s->al.in[i] = b;
            s->al.out[i] = b;
        }
        p->kernel(p, 1 + nb);  /* CTR from Ctr0 */
        for (unsigned i = 0; i < g; i++) {
            const struct jd *d = &s->jd[list[base + i]];
            uint8_t *b = s->buf[i].raw;
            size_t plen = d->w.plen;
            if (d->job->op == E2E_OPEN) {
                memcpy(b + SHORT_CCM_BUF - 16, b, 16);          /* tag XOR S0 */
                memset(b + 16 + plen, 0, run_len - 16 - plen);   /* keystream tail */
                ccm_b0(b, d->w.k, plen);
            } else {
                s->al.in[i] = b + 128;
            }
            memset(s->al.iv[i], 0, 16);
        }
        if (p->lanes == p->impl->aes_lanes->lanes)
            aes_kernel_cbcmac_lanes(p, 1 + nb);
        else
            aes_kernel_cbcmac_narrow(p, 1 + nb);
        for (unsigned i = 0; i < g; i++) {
            const struct jd *d = &s->jd[list[base + i]];
            const uint8_t *b = s->buf[i].raw;
            size_t plen = d->w.plen, t = d->w.k->tag_len;
            if (d->job->op == E2E_OPEN) {
                if (e2e_ct_verify(s->al.iv[i], b + SHORT_CCM_BUF - 16, t)) {
                    if (plen)
                        memcpy(d->w.out, b + 16, plen);
                } else {
                    fail(d, E2E_ERR_AUTH);
                }
            } else {
                if (plen)
                    memcpy(d->w.out, b + 16, plen);
                for (size_t q = 0; q < t; q++)
                    d->w.out[plen + q] = (uint8_t)(s->al.iv[i][q] ^ b[q]);
            }
        }
    }
}

/* short_enc runs the CBC encryption of CS1 seals whose P || T is nb <=
 * SHORT_ENC_BLOCKS blocks, a group of lanes at a time, one cbcenc call per
 * group: P || T (in out since the SHA pass) is copied zero-padded into the
 * lane buffer, encrypted in place, and written back as CS1 orders it:
 * C1 .. C(n-2) || MSB_d(C(n-1)) || Cn. */
static void short_enc(struct pass *p, const uint8_t *list, size_t n, size_t nb)
{
    struct sched *s = p->s;
    for (size_t base = 0; base < n; base += p->lanes) {
        size_t g = group_size(p, n, base);
        for (unsigned i = 0; i < g; i++) {
            const struct jd *d = &s->jd[list[base + i]];
            const struct keyset_impl *k = d->w.k;
            uint8_t *b = s->buf[i].raw;
            size_t len = d->w.plen + k->tag_len;
            aes_set_key(p, i, &k->aes);
            memcpy(b, d->w.out, len);
            memset(b + len, 0, 16 * nb - len);
            memcpy(s->al.iv[i], k->iv, 16);
            s->al.in[i] = b;
            s->al.out[i] = b;
        }
        p->kernel(p, nb);
        for (unsigned i = 0; i < g; i++) {
            const struct jd *d = &s->jd[list[base + i]];
            const uint8_t *b = s->buf[i].raw;
            size_t len = d->w.plen + d->w.k->tag_len, r = len - 16 * (nb - 1);
            if (r == 16) {  /* whole blocks: CS1 is CBC */
                memcpy(d->w.out, b, len);
                continue;
            }
            memcpy(d->w.out, b, 16 * (nb - 2) + r);                   /* .. MSB_r(C(n-1)) */
            memcpy(d->w.out + 16 * (nb - 2) + r, b + 16 * (nb - 1), 16); /* Cn */
        }
    }
}

/* ---------------------------------------------------------------- phase 0 */

/* prepare checks job j; on success it fills d and returns 1. */
static int prepare(const e2e_engine *eng, e2e_job *j, struct jd *d)
{
    j->out_len = 0;
    if (j->keys == NULL || (j->op != E2E_OPEN && j->op != E2E_SEAL)) {
        if (j->out != NULL)
            e2e_wipe(j->out, j->out_cap);
        j->status = j->keys == NULL ? E2E_ERR_UNKNOWN_KEY : E2E_ERR_PARAM;
        return 0;
    }
    if (j->op == E2E_OPEN)
        j->status = e2e_open_prepare(&d->w, eng, j->keys, j->out, j->out_cap, j->in, j->in_len);
    else
        j->status = e2e_seal_prepare(&d->w, eng, j->keys, j->out, j->out_cap, j->in, j->in_len);
    if (j->status != E2E_OK)
        return 0;
    d->job = j;
    return 1;
}

/* ---------------------------------------------------------------- entry */

static size_t count_live(const struct sched *s, const uint8_t *list, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += s->jd[list[i]].job->status == E2E_OK;
    return c;
}

/* prefetch_keyset asks for the used part of a job's key set a few jobs
 * ahead: with continuous rotation, or a large keyring behind a streaming
 * reader, every job's key set is a fresh cache miss that phase 0 and the
 * passes would otherwise wait for one after another. */
#define KEYSET_AHEAD 4
static void prefetch_keyset(const e2e_keyset *ks)
{
#if defined(__GNUC__) || defined(__clang__)
    if (ks == NULL)
        return;
    for (size_t off = 0; off < sizeof(struct keyset_impl); off += 64)
        __builtin_prefetch((const char *)ks->opaque + off);
#else
    (void)ks;
#endif
}

/* run_chunk runs jobs[0..m) (m <= CHUNK) through phase 0 and the passes. */
static void run_chunk(const e2e_engine *eng, const struct engine_impl *impl, struct sched *s,
                      e2e_job *jobs, size_t m)
{
    const struct e2e_sha_lane_impl *shl = impl->sha_lanes, *shn = impl->sha_narrow;
    const struct e2e_aes_lane_impl *ael = impl->aes_lanes, *aen = impl->aes_narrow;
    size_t cnt[L_COUNT] = {0}, nd = 0;
    int lane_ctr = ael != NULL && ael->ctr != NULL;

    /* phase 0 */
    for (size_t i = 0; i < m; i++) {
        struct jd *d = &s->jd[nd];
        if (i + KEYSET_AHEAD < m)
            prefetch_keyset(jobs[i + KEYSET_AHEAD].keys);
        if (!prepare(eng, &jobs[i], d))
            continue;
        const struct keyset_impl *k = d->w.k;
        uint8_t idx = (uint8_t)nd++;
        if (is_ccm(k->suite)) {
            size_t nb = (d->w.plen + 15) / 16;
            if (lane_ctr && nb <= (d->job->op == E2E_OPEN ? SHORT_CCM_BLOCKS
                                                          : SHORT_CCM_SEAL_BLOCKS)) {
                int l = L_GRP0 + (int)nb;
                s->list[l][cnt[l]++] = idx;
                continue;
            }
            s->list[L_CTR][cnt[L_CTR]++] = idx;
            s->list[L_MAC][cnt[L_MAC]++] = idx;
            continue;
        }
        size_t inner = (k->kiv_len + d->w.plen + 9 + 63) / 64;
        int l = inner == 1 ? L_SHORT1 : inner == 2 ? L_SHORT2 : L_SHA;
        s->list[l][cnt[l]++] = idx;
        if (d->job->op == E2E_OPEN) {
            if (k->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256)
                e2e_cs1_decrypt(eng, &k->aes, k->iv, d->w.out, d->w.in, d->w.plen + k->tag_len);
        } else {
            if (d->w.plen)
                memcpy(d->w.out, d->w.in, d->w.plen);  /* P, then T, in out */
            if (k->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256)
                s->list[L_ENC][cnt[L_ENC]++] = idx;
        }
    }

    struct pass p = {.s = s, .impl = impl};

    /* 0. short CCM payloads, grouped by block count */
    for (int nb = 0; nb <= SHORT_CCM_BLOCKS; nb++) {
        size_t c = cnt[L_GRP0 + nb];
        if (c == 0)
            continue;
        p.blk = 16;
        choose(&p, c, ael->lanes, ael->lanes / 2 + 1, aen ? aen->lanes : 0,
               aes_kernel_ctr_lanes, aen && aen->ctr ? aes_kernel_ctr_narrow : NULL, NULL);
        if (c == 1 || p.kernel == NULL) {
            p.list = s->list[L_GRP0 + nb];  /* one job: the lane scheduler's one lane */
            for (size_t i = 0; i < c; i++) {
                s->list[L_CTR][cnt[L_CTR]++] = p.list[i];
                s->list[L_MAC][cnt[L_MAC]++] = p.list[i];
            }
            continue;
        }
        short_ccm(&p, s->list[L_GRP0 + nb], c, (size_t)nb);
    }

    /* 1. CCM: CTR and CBC-MAC in one pass where the wide lane family fuses
     * them and enough jobs wait to fill it; else CTR here and CBC-MAC in 3 */
    if (cnt[L_CTR] >= (size_t)(ael != NULL ? ael->lanes / 2 + 1 : SIZE_MAX) &&
        ael->ccm != NULL) {
        p.list = s->list[L_CTR];
        p.n = cnt[L_CTR];
        p.blk = 16;
        p.fill = ccm_fill;
        p.finish = ccm_finish;
        p.lanes = ael->lanes;
        p.kernel = aes_kernel_ccm_lanes;
        p.fused = 1;
        run(&p);
        p.fused = 0;
        cnt[L_CTR] = cnt[L_MAC] = 0;
    }
    if (cnt[L_CTR] > 0) {
        p.list = s->list[L_CTR];
        p.n = cnt[L_CTR];
        if (lane_ctr && p.n >= 2) {
            p.blk = 16;
            p.fill = ctr_fill;
            p.finish = ctr_finish;
            choose(&p, p.n, ael->lanes, ael->lanes / 2 + 1, aen ? aen->lanes : 0,
                   aes_kernel_ctr_lanes, aen && aen->ctr ? aes_kernel_ctr_narrow : NULL,
                   NULL);
            run(&p);
        } else {
            for (size_t i = 0; i < p.n; i++)
                ctr_one(impl, &s->jd[p.list[i]]);
        }
    }

    /* 2. SHA: whole HMACs where the lane family runs them (hmac_msgs); else
     * the wide family when (nearly) full, else the narrow one */
    p.blk = 64;
    void (*hmac_msgs)(struct e2e_hmac_msg *, size_t) =
        shl != NULL && shl->hmac_msgs != NULL ? shl->hmac_msgs
        : shn != NULL && shn->hmac_msgs != NULL ? shn->hmac_msgs : NULL;
    for (int pass = L_SHA; pass <= L_SHORT2; pass++) {
        if (pass != L_SHA && pass != L_SHORT1 && pass != L_SHORT2)
            continue;
        if (cnt[pass] == 0)
            continue;
        if (hmac_msgs != NULL) {
            sha_msgs(s, s->list[pass], cnt[pass], hmac_msgs);
            continue;
        }
        p.list = s->list[pass];
        p.n = cnt[pass];
        choose(&p, p.n, shl ? shl->lanes : 0, shl ? shl->lanes - shl->lanes / 8 : 0,
               shn ? shn->lanes : 0, shl ? sha_kernel_lanes : NULL,
               shn ? sha_kernel_narrow : NULL, sha_kernel_one);
        if (pass == L_SHA) {
            p.fill = sha_fill;
            p.finish = sha_finish;
            run(&p);
        } else {
            short_hmac(&p, p.list, p.n, pass == L_SHORT1 ? 1 : 2);
        }
    }

    /* 3-4. AES: 16 VAES lanes cost about one 8-lane AES-NI step, so they win
     * from half full on. */
    p.blk = 16;
    if (cnt[L_ENC] > 0 && ael != NULL) {
        /* CS1 seals of up to SHORT_ENC_BLOCKS blocks: groups of equal block
         * count (the group lists are free again); the rest stay on L_ENC */
        size_t rest = 0;
        for (int nb = 0; nb <= SHORT_ENC_BLOCKS; nb++)
            cnt[L_GRP0 + nb] = 0;
        for (size_t i = 0; i < cnt[L_ENC]; i++) {
            uint8_t idx = s->list[L_ENC][i];
            const struct jd *d = &s->jd[idx];
            size_t nb = (d->w.plen + d->w.k->tag_len + 15) / 16;
            if (nb <= SHORT_ENC_BLOCKS)
                s->list[L_GRP0 + nb][cnt[L_GRP0 + nb]++] = idx;
            else
                s->list[L_ENC][rest++] = idx;
        }
        for (int nb = 1; nb <= SHORT_ENC_BLOCKS; nb++) {
            size_t c = cnt[L_GRP0 + nb];
            if (c == 0)
                continue;
            choose(&p, c, ael->lanes, ael->lanes / 2 + 1, aen ? aen->lanes : 0,
                   aes_kernel_cbcenc_lanes, aen ? aes_kernel_cbcenc_narrow : NULL, NULL);
            if (c == 1 || p.kernel == NULL) {
                for (size_t i = 0; i < c; i++)
                    s->list[L_ENC][rest++] = s->list[L_GRP0 + nb][i];
                continue;
            }
            short_enc(&p, s->list[L_GRP0 + nb], c, (size_t)nb);
        }
        cnt[L_ENC] = rest;
    }
    for (int pass = L_MAC; pass <= L_ENC; pass++) {
        if (cnt[pass] == 0)
            continue;
        size_t live = count_live(s, s->list[pass], cnt[pass]);
        if (live == 0)
            continue;
        int mac = pass == L_MAC;
        p.list = s->list[pass];
        p.n = cnt[pass];
        p.fill = mac ? mac_fill : enc_fill;
        p.finish = mac ? mac_finish : enc_finish;
        choose(&p, live, ael ? ael->lanes : 0, ael ? ael->lanes / 2 + 1 : 0,
               aen ? aen->lanes : 0,
               ael ? (mac ? aes_kernel_cbcmac_lanes : aes_kernel_cbcenc_lanes) : NULL,
               aen ? (mac ? aes_kernel_cbcmac_narrow : aes_kernel_cbcenc_narrow) : NULL,
               mac ? aes_kernel_one_mac : aes_kernel_one_enc);
        run(&p);
    }

    for (size_t i = 0; i < nd; i++) {
        const struct jd *d = &s->jd[i];
        e2e_job *j = d->job;
        if (j->status == E2E_OK)
            j->out_len = j->op == E2E_OPEN ? d->w.plen
                                           : d->w.k->ki_len + d->w.plen + d->w.k->tag_len;
    }
}

e2e_status e2e_batch_run(const e2e_engine *eng, e2e_job *jobs, size_t n,
                         e2e_scratch *scratch)
{
    const struct engine_impl *impl = e2e_engine_impl(eng);
    if (impl == NULL || (jobs == NULL && n != 0) || scratch == NULL)
        return E2E_ERR_PARAM;
    struct sched *s = (struct sched *)(void *)scratch->opaque;
    for (unsigned i = 0; i < E2E_LANES_MAX; i++)
        s->lane[i].key = NULL;
    for (size_t base = 0; base < n; base += CHUNK)
        run_chunk(eng, impl, s, jobs + base, n - base < CHUNK ? n - base : CHUNK);
    /* the secret-bearing part of the scratch: lane states, round keys, lane
     * buffers, the dummy output (keystream); not the descriptors */
    e2e_wipe(s, offsetof(struct sched, lane));
    return E2E_OK;
}
