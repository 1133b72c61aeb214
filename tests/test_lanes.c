/* test_lanes.c — every tier's batch path (the lane scheduler and its wide,
 * narrow and one-lane kernels) against the portable tier's single-message
 * e2e_open / e2e_seal, and messages crossing tiers.
 *
 *  1. Kernels: every lane family of every runnable tier (cbcenc out of place
 *     and in place, cbcmac, expand_n for 1..8 keys, SHA-256 lanes), and every
 *     single-message AES / SHA-256 table (ECB, CBC, CTR with a counter about
 *     to wrap, CBC-MAC, compression), each call chained twice, against the
 *     portable tables; a kernel writes nothing past its blocks. Each AES
 *     table's six functions also sweep 0..300 blocks out of place, in place
 *     and with out before in (overlapping), at random offsets mod 64.
 *  2. Mixed batches: one pool of jobs over every suite (several key sets per
 *     suite: nonce 7..13, tag lengths, KIV 1..64), open and seal, every
 *     length 0..300 twice for each suite and op plus E2E_DIFF_RANDOM_LENGTHS
 *     (default 40) random lengths up to 64 KiB; opens good or tampered (a bit
 *     flipped in the body or the tag; a few truncated, with a bad KI nibble or
 *     a flipped KI bit); some in place; out_cap exact or roomy. Per tier the
 *     pool is shuffled and cut into batches of 1, 2, 7, 8, 9, 13, 14, 15, 16,
 *     17, 31, 32, 33, 255, 256, 300 jobs, then random sizes 1..300.
 *     (E2E_SWEEP_MAX, default 300, lowers those 300s: lengths and sizes.)
 *  3. One-kind batches (a single suite and op, only jobs that pass the
 *     length checks, so every job reaches the lane passes) of each of those sizes, which puts each
 *     pass's job count on both sides of every wide / narrow / one-lane
 *     threshold.
 *     For every job of 2 and 3: status, out_len and the out_len output bytes
 *     equal the portable single call's; a failed job has its output wiped;
 *     nothing is written past out_cap; inputs are not modified. The scratch
 *     is filled with garbage before every batch.
 *  4. Cross-tier: for every ordered pair (A, B) of runnable tiers, messages
 *     sealed by batches on A (equal to portable's seal) open with batches on
 *     B, and with single calls on portable; the same messages with one bit
 *     flipped fail with auth_failed on B, output wiped.
 * Seeded (E2E_TEST_SEED). */
#include "testutil.h"

#define GUARD 16
#define FILL 0xa5

static const size_t batch_sizes[] = {1, 2, 7, 8, 9, 13, 14, 15, 16, 17, 31, 32, 33, 255, 256, 300};
#define N_BATCH_SIZES (sizeof batch_sizes / sizeof batch_sizes[0])

static const e2e_engine *portable;
static e2e_scratch scratch;

/* tiers: the runnable engines except "best" (an alias of one of them). */
static const struct t_engine *tiers[T_MAX_ENGINES];
static size_t n_tiers;

/* ================================================================ 1. kernels */

/* A buffer of n bytes followed by GUARD bytes of FILL, at a random
 * misalignment. */
struct gbuf {
    uint8_t *base, *p;
    size_t n;
};

static void gbuf_new(struct gbuf *g, size_t n)
{
    size_t off = rng_below(16);
    g->base = xmalloc(n + GUARD + off);
    g->p = g->base + off;
    g->n = n;
    memset(g->p, FILL, n + GUARD);
}

static int gbuf_guard_ok(const struct gbuf *g)
{
    return all_byte(g->p + g->n, GUARD, FILL);
}

static void random_key(e2e_aes_key *k)
{
    uint8_t key[16];
    rng_fill(key, 16);
    e2e_aes_impl_portable.expand(k, key);
}

static void kernel_aes_lanes(const char *tier, const struct e2e_aes_lane_impl *li)
{
    static struct e2e_aes_lanes l;
    const unsigned L = li->lanes;
    CHECK(L >= 1 && L <= E2E_LANES_MAX, "%s: %s lanes %u", tier, li->name, L);
    if (L < 1 || L > E2E_LANES_MAX)
        return;
    const size_t nblks[] = {1, 2, 3, 4, 7, 8, 16, 33};
    for (int round = 0; round < 24; round++) {
        size_t n1 = nblks[rng_below(8)], n2 = nblks[rng_below(8)], nb = n1 + n2;
        int in_place = round % 3 == 0;
        e2e_aes_key key[E2E_LANES_MAX];
        uint8_t iv[E2E_LANES_MAX][16];
        struct gbuf in[E2E_LANES_MAX], out[E2E_LANES_MAX];
        uint8_t *want[E2E_LANES_MAX], *orig[E2E_LANES_MAX];
        uint8_t want_iv[E2E_LANES_MAX][16], want_mac[E2E_LANES_MAX][16];
        memset(&l, 0x3c, sizeof l);
        for (unsigned i = 0; i < L; i++) {
            random_key(&key[i]);
            rng_fill(iv[i], 16);
            gbuf_new(&in[i], 16 * nb);
            rng_fill(in[i].p, 16 * nb);
            orig[i] = xmalloc(16 * nb);
            memcpy(orig[i], in[i].p, 16 * nb);
            gbuf_new(&out[i], 16 * nb);
            want[i] = xmalloc(16 * nb);
            memcpy(want_iv[i], iv[i], 16);
            e2e_aes_impl_portable.cbc_enc(&key[i], want_iv[i], want[i], orig[i], nb);
            memcpy(want_mac[i], iv[i], 16);
            e2e_aes_impl_portable.cbcmac(&key[i], want_mac[i], orig[i], nb);
            for (int r = 0; r < 11; r++)
                memcpy(l.rk[r][i], key[i].enc[r], 16);
        }
        /* cbcenc, two chained calls */
        for (unsigned i = 0; i < L; i++) {
            memcpy(l.iv[i], iv[i], 16);
            l.in[i] = in[i].p;
            l.out[i] = in_place ? in[i].p : out[i].p;
        }
        li->cbcenc(&l, n1);
        for (unsigned i = 0; i < L; i++) {
            l.in[i] += 16 * n1;
            l.out[i] += 16 * n1;
        }
        li->cbcenc(&l, n2);
        for (unsigned i = 0; i < L; i++) {
            const uint8_t *got = in_place ? in[i].p : out[i].p;
            CHECK(memcmp(got, want[i], 16 * nb) == 0 && memcmp(l.iv[i], want_iv[i], 16) == 0,
                  "%s: %s cbcenc lane %u/%u, %zu+%zu blocks%s != portable", tier, li->name, i,
                  L, n1, n2, in_place ? " in place" : "");
            CHECK(gbuf_guard_ok(&in[i]) && gbuf_guard_ok(&out[i]),
                  "%s: %s cbcenc lane %u wrote past its blocks", tier, li->name, i);
            if (!in_place)
                CHECK(memcmp(in[i].p, orig[i], 16 * nb) == 0, "%s: %s cbcenc lane %u: input changed",
                      tier, li->name, i);
        }
        /* cbcmac, two chained calls, on the original input */
        for (unsigned i = 0; i < L; i++) {
            memcpy(in[i].p, orig[i], 16 * nb);
            memset(out[i].p, FILL, 16 * nb);
            memcpy(l.iv[i], iv[i], 16);
            l.in[i] = in[i].p;
            l.out[i] = out[i].p;
        }
        li->cbcmac(&l, n1);
        for (unsigned i = 0; i < L; i++)
            l.in[i] += 16 * n1;
        li->cbcmac(&l, n2);
        for (unsigned i = 0; i < L; i++) {
            CHECK(memcmp(l.iv[i], want_mac[i], 16) == 0,
                  "%s: %s cbcmac lane %u/%u, %zu+%zu blocks != portable", tier, li->name, i, L,
                  n1, n2);
            CHECK(memcmp(in[i].p, orig[i], 16 * nb) == 0 && all_byte(out[i].p, 16 * nb + GUARD, FILL),
                  "%s: %s cbcmac lane %u wrote to a buffer", tier, li->name, i);
        }
        /* ctr, two chained calls: in place, out of place, or the output 16
         * bytes before the input (an in-place open writes the plaintext over
         * its KI); counters start anywhere, some just below the 2^32 wrap */
        if (li->ctr != NULL) {
            uint8_t want_ctr[E2E_LANES_MAX][16];
            int mode = round % 3; /* 0: in place, 1: out of place, 2: out = in - 16 */
            size_t cb = mode == 2 ? nb - 1 : nb; /* blocks the lanes run */
            size_t m1 = n1 < cb ? n1 : cb, m2 = cb - m1;
            for (unsigned i = 0; i < L; i++) {
                memset(in[i].p, FILL, 16 * nb);
                memcpy(in[i].p + (mode == 2 ? 16 : 0), orig[i], 16 * cb);
                memset(out[i].p, FILL, 16 * nb);
                memcpy(l.iv[i], iv[i], 16);
                if (rng_below(2))
                    memset(l.iv[i] + 12, 0xff, 3), l.iv[i][15] = (uint8_t)(0xff - rng_below(8));
                memcpy(want_ctr[i], l.iv[i], 16);
                e2e_aes_impl_portable.ctr32(&key[i], want_ctr[i], want[i], orig[i], 16 * cb);
                l.in[i] = in[i].p + (mode == 2 ? 16 : 0);
                l.out[i] = mode == 1 ? out[i].p : in[i].p;
            }
            li->ctr(&l, m1);
            for (unsigned i = 0; i < L; i++) {
                l.in[i] += 16 * m1;
                l.out[i] += 16 * m1;
            }
            li->ctr(&l, m2);
            for (unsigned i = 0; i < L; i++) {
                const uint8_t *got = mode == 1 ? out[i].p : in[i].p;
                CHECK(memcmp(got, want[i], 16 * cb) == 0 && memcmp(l.iv[i], want_ctr[i], 16) == 0,
                      "%s: %s ctr lane %u/%u, %zu+%zu blocks, mode %d != portable ctr32", tier,
                      li->name, i, L, m1, m2, mode);
                CHECK(gbuf_guard_ok(&in[i]) && gbuf_guard_ok(&out[i]),
                      "%s: %s ctr lane %u wrote past its blocks", tier, li->name, i);
            }
        }
        /* ccm (fused CTR + CBC-MAC), two chained calls, the same three
         * aliasing modes; per lane a select mask of 0, 16 or 1..15 bytes
         * and an XOR block of zeros or random bytes */
        if (li->ccm != NULL) {
            uint8_t want_ctr[E2E_LANES_MAX][16], want_m[E2E_LANES_MAX][16];
            uint8_t mxb[E2E_LANES_MAX][16];
            int mode = round % 3;
            size_t cb = mode == 2 ? nb - 1 : nb;
            size_t m1 = n1 < cb ? n1 : cb, m2 = cb - m1;
            for (unsigned i = 0; i < L; i++) {
                unsigned r = (unsigned)rng_below(3) == 0 ? 0 : rng_below(2) ? 16 : 1 + (unsigned)rng_below(15);
                for (unsigned q = 0; q < 16; q++)
                    l.sel[i][q] = (uint8_t)(q < r ? 0xff : 0);
                if (rng_below(2))
                    rng_fill(mxb[i], 16);
                else
                    memset(mxb[i], 0, 16);
                l.mx[i] = mxb[i];
                memset(in[i].p, FILL, 16 * nb);
                memcpy(in[i].p + (mode == 2 ? 16 : 0), orig[i], 16 * cb);
                memset(out[i].p, FILL, 16 * nb);
                memcpy(l.iv[i], iv[i], 16);
                if (rng_below(2))
                    memset(l.iv[i] + 12, 0xff, 3), l.iv[i][15] = (uint8_t)(0xff - rng_below(8));
                rng_fill(l.mac[i], 16);
                memcpy(want_m[i], l.mac[i], 16);
                memcpy(want_ctr[i], l.iv[i], 16);
                e2e_aes_impl_portable.ctr32(&key[i], want_ctr[i], want[i], orig[i], 16 * cb);
                for (size_t b = 0; b < cb; b++) {
                    uint8_t m[16];
                    for (unsigned q = 0; q < 16; q++)
                        m[q] = (uint8_t)(((want[i][16 * b + q] & l.sel[i][q]) |
                                          (orig[i][16 * b + q] & ~l.sel[i][q])) ^ mxb[i][q]);
                    e2e_aes_impl_portable.cbcmac(&key[i], want_m[i], m, 1);
                }
                l.in[i] = in[i].p + (mode == 2 ? 16 : 0);
                l.out[i] = mode == 1 ? out[i].p : in[i].p;
            }
            li->ccm(&l, m1);
            for (unsigned i = 0; i < L; i++) {
                l.in[i] += 16 * m1;
                l.out[i] += 16 * m1;
            }
            li->ccm(&l, m2);
            for (unsigned i = 0; i < L; i++) {
                const uint8_t *got = mode == 1 ? out[i].p : in[i].p;
                CHECK(memcmp(got, want[i], 16 * cb) == 0 && memcmp(l.iv[i], want_ctr[i], 16) == 0 &&
                          memcmp(l.mac[i], want_m[i], 16) == 0,
                      "%s: %s ccm lane %u/%u, %zu+%zu blocks, mode %d != portable ctr32 + cbcmac",
                      tier, li->name, i, L, m1, m2, mode);
                CHECK(gbuf_guard_ok(&in[i]) && gbuf_guard_ok(&out[i]),
                      "%s: %s ccm lane %u wrote past its blocks", tier, li->name, i);
            }
        }
        for (unsigned i = 0; i < L; i++) {
            free(in[i].base);
            free(out[i].base);
            free(want[i]);
            free(orig[i]);
        }
    }
    /* expand_n for 1..8 keys (continuous rotation: one key per message) */
    for (size_t n = 1; n <= 8; n++) {
        for (int round = 0; round < 8; round++) {
            uint8_t keys[8][16];
            e2e_aes_key got[8], want_k;
            e2e_aes_key *kp[8];
            const uint8_t *keyp[8];
            rng_fill(&keys[0][0], sizeof keys);
            if (round == 0)
                memset(keys, 0, sizeof keys);
            if (round == 1)
                memset(keys, 0xff, sizeof keys);
            memset(got, 0xee, sizeof got);
            for (size_t i = 0; i < n; i++) {
                kp[i] = &got[i];
                keyp[i] = keys[i];
            }
            li->expand_n(kp, keyp, n);
            for (size_t i = 0; i < n; i++) {
                e2e_aes_impl_portable.expand(&want_k, keys[i]);
                CHECK(memcmp(&got[i], &want_k, sizeof want_k) == 0,
                      "%s: %s expand_n(%zu) key %zu != portable expand (key %s)", tier, li->name,
                      n, i, hexstr(keys[i], 16));
            }
            for (size_t i = n; i < 8; i++)
                CHECK(all_byte((const uint8_t *)&got[i], sizeof got[i], 0xee),
                      "%s: %s expand_n(%zu) wrote key %zu", tier, li->name, n, i);
        }
    }
}

/* ref_hmac_msg computes what hmac_msgs must leave in m->h: the inner
 * compressions over the three segments from m->inner, then the outer one
 * over the digest and its padding from m->outer, on the portable table. */
static void ref_hmac_msg(const struct e2e_hmac_msg *m, uint32_t h[8])
{
    uint8_t blk[64] = {0};
    memcpy(h, m->inner, 32);
    for (int g = 0; g < 3; g++)
        e2e_sha_impl_portable.blocks(h, m->in[g], m->nblk[g]);
    for (int w = 0; w < 8; w++)
        for (int q = 0; q < 4; q++)
            blk[4 * w + q] = (uint8_t)(h[w] >> (24 - 8 * q));
    blk[32] = 0x80;
    blk[62] = 0x03;
    memcpy(h, m->outer, 32);
    e2e_sha_impl_portable.blocks(h, blk, 1);
}

/* msg_case fills m with random states and three segments of random blocks
 * (seg[0] and seg[2] of 0..2 blocks, seg[1] of 0..max; the total at least
 * one) in bufs[3], which the caller frees. */
static void msg_case(struct e2e_hmac_msg *m, uint32_t st[2][8], struct gbuf bufs[3], size_t max)
{
    size_t nb[3];
    do {
        nb[0] = rng_range(0, 2);
        nb[1] = rng_range(0, max);
        nb[2] = rng_range(0, 2);
    } while (nb[0] + nb[1] + nb[2] == 0);
    for (int w = 0; w < 8; w++) {
        st[0][w] = (uint32_t)rng_u64();
        st[1][w] = (uint32_t)rng_u64();
    }
    m->inner = st[0];
    m->outer = st[1];
    for (int g = 0; g < 3; g++) {
        gbuf_new(&bufs[g], 64 * nb[g] + 16);  /* 16 spare: a copy 16 bytes back */
        rng_fill(bufs[g].p, 64 * nb[g] + 16);
        m->in[g] = bufs[g].p + 16;
        m->nblk[g] = nb[g];
    }
    m->copy = NULL;
}

static void kernel_sha_lanes(const char *tier, const struct e2e_sha_lane_impl *li)
{
    static struct e2e_sha_lanes l;
    const unsigned L = li->lanes;
    CHECK(L >= 1 && L <= E2E_LANES_MAX, "%s: %s lanes %u", tier, li->name, L);
    if (L < 1 || L > E2E_LANES_MAX)
        return;
    const size_t nblks[] = {1, 2, 3, 5, 8};
    for (int round = 0; round < 24; round++) {
        size_t n1 = nblks[rng_below(5)], n2 = nblks[rng_below(5)], nb = n1 + n2;
        struct gbuf in[E2E_LANES_MAX];
        uint8_t *orig[E2E_LANES_MAX];
        uint32_t want[E2E_LANES_MAX][8];
        memset(&l, 0x3c, sizeof l);
        for (unsigned i = 0; i < L; i++) {
            gbuf_new(&in[i], 64 * nb);
            rng_fill(in[i].p, 64 * nb);
            orig[i] = xmalloc(64 * nb);
            memcpy(orig[i], in[i].p, 64 * nb);
            for (int w = 0; w < 8; w++) {
                want[i][w] = (uint32_t)rng_u64();
                l.h[w][i] = want[i][w];
            }
            e2e_sha_impl_portable.blocks(want[i], orig[i], nb);
            l.data[i] = in[i].p;
        }
        li->blocks(&l, n1);
        for (unsigned i = 0; i < L; i++)
            l.data[i] += 64 * n1;
        li->blocks(&l, n2);
        for (unsigned i = 0; i < L; i++) {
            int ok = 1;
            for (int w = 0; w < 8; w++)
                ok &= l.h[w][i] == want[i][w];
            CHECK(ok, "%s: %s SHA-256 lane %u/%u, %zu+%zu blocks != portable", tier, li->name, i,
                  L, n1, n2);
            CHECK(memcmp(in[i].p, orig[i], 64 * nb) == 0 && gbuf_guard_ok(&in[i]),
                  "%s: %s SHA-256 lane %u wrote to its data", tier, li->name, i);
        }
        /* hmac: the same blocks in one call, then the outer hash under each
         * lane's own outer state, against portable compressions */
        if (li->hmac != NULL) {
            uint32_t outer[E2E_LANES_MAX][8], start[E2E_LANES_MAX][8];
            for (unsigned i = 0; i < L; i++) {
                for (int w = 0; w < 8; w++) {
                    start[i][w] = (uint32_t)rng_u64();
                    outer[i][w] = (uint32_t)rng_u64();
                    l.h[w][i] = start[i][w];
                }
                uint8_t blk[64] = {0};
                e2e_sha_impl_portable.blocks(start[i], orig[i], nb);
                for (int w = 0; w < 8; w++) {
                    blk[4 * w] = (uint8_t)(start[i][w] >> 24);
                    blk[4 * w + 1] = (uint8_t)(start[i][w] >> 16);
                    blk[4 * w + 2] = (uint8_t)(start[i][w] >> 8);
                    blk[4 * w + 3] = (uint8_t)start[i][w];
                }
                blk[32] = 0x80;
                blk[62] = 0x03;
                memcpy(want[i], outer[i], sizeof want[i]);
                e2e_sha_impl_portable.blocks(want[i], blk, 1);
                l.data[i] = in[i].p;
                l.outer[i] = outer[i];
            }
            li->hmac(&l, nb);
            for (unsigned i = 0; i < L; i++) {
                int ok = 1;
                for (int w = 0; w < 8; w++)
                    ok &= l.h[w][i] == want[i][w];
                CHECK(ok, "%s: %s HMAC lane %u/%u, %zu blocks + outer != portable", tier,
                      li->name, i, L, nb);
            }
        }
        for (unsigned i = 0; i < L; i++) {
            free(in[i].base);
            free(orig[i]);
        }
    }
    /* hmac_msgs: 1..17 whole HMACs of unequal shapes (pairs of unequal
     * length, an odd one out), seg[1] copied nowhere, in place, 16 bytes
     * back (overlapping) or to a separate buffer */
    if (li->hmac_msgs != NULL) {
        for (int round = 0; round < 40; round++) {
            struct e2e_hmac_msg m[17];
            uint32_t st[17][2][8], want[17][8];
            struct gbuf bufs[17][3], dst[17];
            uint8_t *orig1[17];
            int mode[17];
            size_t n = rng_range(1, 17);
            for (size_t i = 0; i < n; i++) {
                msg_case(&m[i], st[i], bufs[i], round < 20 ? 4 : 70);
                ref_hmac_msg(&m[i], want[i]);
                size_t len1 = 64 * m[i].nblk[1];
                orig1[i] = xmalloc(len1 + 1);
                memcpy(orig1[i], m[i].in[1], len1);
                gbuf_new(&dst[i], len1);
                mode[i] = (int)rng_below(4); /* 0 none, 1 in place, 2 16 back, 3 apart */
                m[i].copy = mode[i] == 0   ? NULL
                            : mode[i] == 1 ? (uint8_t *)bufs[i][1].p + 16
                            : mode[i] == 2 ? bufs[i][1].p
                                           : dst[i].p;
            }
            li->hmac_msgs(m, n);
            for (size_t i = 0; i < n; i++) {
                size_t len1 = 64 * m[i].nblk[1];
                CHECK(memcmp(m[i].h, want[i], sizeof want[i]) == 0,
                      "%s: %s hmac_msgs message %zu/%zu (%zu+%zu+%zu blocks, copy mode %d) != portable",
                      tier, li->name, i, n, m[i].nblk[0], m[i].nblk[1], m[i].nblk[2], mode[i]);
                if (mode[i] != 0)
                    CHECK(memcmp(m[i].copy, orig1[i], len1) == 0,
                          "%s: %s hmac_msgs message %zu: copy (mode %d) != its blocks", tier,
                          li->name, i, mode[i]);
                CHECK(gbuf_guard_ok(&bufs[i][1]) && gbuf_guard_ok(&dst[i]),
                      "%s: %s hmac_msgs message %zu wrote past its blocks", tier, li->name, i);
                for (int g = 0; g < 3; g++)
                    free(bufs[i][g].base);
                free(dst[i].base);
                free(orig1[i]);
            }
        }
    }
}

static void kernel_aes_single(const char *tier, const struct e2e_aes_impl *a)
{
    const struct e2e_aes_impl *p = &e2e_aes_impl_portable;
    for (int round = 0; round < 40; round++) {
        uint8_t rawkey[16];
        rng_fill(rawkey, 16);
        e2e_aes_key k, kp;
        memset(&k, 0x11, sizeof k);
        a->expand(&k, rawkey);
        p->expand(&kp, rawkey);
        CHECK(memcmp(&k, &kp, sizeof k) == 0, "%s: %s expand != portable", tier, a->name);
        size_t n1 = rng_range(0, 9), n2 = rng_range(1, 40), nb = n1 + n2;
        struct gbuf in, out;
        gbuf_new(&in, 16 * nb);
        gbuf_new(&out, 16 * nb);
        rng_fill(in.p, 16 * nb);
        uint8_t *want = xmalloc(16 * nb), iv[16], iv_w[16], iv_g[16];
        rng_fill(iv, 16);
        /* ECB enc / dec */
        p->ecb_enc(&kp, want, in.p, nb);
        a->ecb_enc(&k, out.p, in.p, nb);
        CHECK(memcmp(out.p, want, 16 * nb) == 0 && gbuf_guard_ok(&out), "%s: %s ecb_enc(%zu)",
              tier, a->name, nb);
        p->ecb_dec(&kp, want, in.p, nb);
        a->ecb_dec(&k, out.p, in.p, nb);
        CHECK(memcmp(out.p, want, 16 * nb) == 0 && gbuf_guard_ok(&out), "%s: %s ecb_dec(%zu)",
              tier, a->name, nb);
        /* CBC enc / dec, chained n1 + n2, then in place */
        for (int dec = 0; dec < 2; dec++) {
            void (*pf)(const e2e_aes_key *, uint8_t *, uint8_t *, const uint8_t *, size_t) =
                dec ? p->cbc_dec : p->cbc_enc;
            void (*af)(const e2e_aes_key *, uint8_t *, uint8_t *, const uint8_t *, size_t) =
                dec ? a->cbc_dec : a->cbc_enc;
            memcpy(iv_w, iv, 16);
            pf(&kp, iv_w, want, in.p, nb);
            memcpy(iv_g, iv, 16);
            af(&k, iv_g, out.p, in.p, n1);
            af(&k, iv_g, out.p + 16 * n1, in.p + 16 * n1, n2);
            CHECK(memcmp(out.p, want, 16 * nb) == 0 && memcmp(iv_g, iv_w, 16) == 0 &&
                      gbuf_guard_ok(&out),
                  "%s: %s cbc_%s(%zu+%zu) != portable", tier, a->name, dec ? "dec" : "enc", n1,
                  n2);
            memcpy(out.p, in.p, 16 * nb);
            memcpy(iv_g, iv, 16);
            af(&k, iv_g, out.p, out.p, nb);
            CHECK(memcmp(out.p, want, 16 * nb) == 0 && memcmp(iv_g, iv_w, 16) == 0,
                  "%s: %s cbc_%s(%zu) in place != portable", tier, a->name, dec ? "dec" : "enc",
                  nb);
        }
        /* CBC-MAC chained */
        memcpy(iv_w, iv, 16);
        p->cbcmac(&kp, iv_w, in.p, nb);
        memcpy(iv_g, iv, 16);
        a->cbcmac(&k, iv_g, in.p, n1);
        a->cbcmac(&k, iv_g, in.p + 16 * n1, n2);
        CHECK(memcmp(iv_g, iv_w, 16) == 0, "%s: %s cbcmac(%zu+%zu)", tier, a->name, n1, n2);
        /* CTR: any byte length, chained at a block boundary, the 32-bit
         * counter sometimes about to wrap */
        size_t len = rng_range(0, 16 * nb), l1 = 16 * rng_below(len / 16 + 1);
        uint8_t ctr[16], c_w[16], c_g[16];
        rng_fill(ctr, 16);
        if (round % 3 == 0)
            memset(ctr + 12, 0xff, 4), ctr[15] = (uint8_t)(0xff - rng_below(4));
        memcpy(c_w, ctr, 16);
        p->ctr32(&kp, c_w, want, in.p, len);
        memcpy(c_g, ctr, 16);
        memset(out.p, FILL, 16 * nb + GUARD);
        a->ctr32(&k, c_g, out.p, in.p, l1);
        a->ctr32(&k, c_g, out.p + l1, in.p + l1, len - l1);
        CHECK(memcmp(out.p, want, len) == 0 && memcmp(c_g, c_w, 16) == 0 &&
                  all_byte(out.p + len, 16 * nb - len + GUARD, FILL),
              "%s: %s ctr32(%zu+%zu) from %s != portable", tier, a->name, l1, len - l1,
              hexstr(ctr, 16));
        free(in.base);
        free(out.base);
        free(want);
    }
    /* ccm (stitched CTR + CBC-MAC): open and seal, 0..40 blocks, out of
     * place, in place, or 16 bytes before the input; counters near the
     * 2^32 wrap; against portable ctr32 then cbcmac over the plaintext */
    if (a->ccm != NULL) {
        for (int round = 0; round < 60; round++) {
            e2e_aes_key k;
            random_key(&k);
            size_t nb = rng_range(0, 40);
            int open = round & 1, mode = (round / 2) % 3; /* 0 apart, 1 in place, 2 out = in - 16 */
            struct gbuf buf, out;
            gbuf_new(&buf, 16 * nb + 16);
            gbuf_new(&out, 16 * nb);
            uint8_t *src = buf.p + 16, *orig = xmalloc(16 * nb + 1), *want = xmalloc(16 * nb + 1);
            rng_fill(src, 16 * nb);
            memcpy(orig, src, 16 * nb);
            uint8_t ctr[16], c_w[16], mac[16], m_w[16];
            rng_fill(ctr, 16);
            if (round % 3 == 0)
                memset(ctr + 12, 0xff, 4), ctr[15] = (uint8_t)(0xff - rng_below(6));
            rng_fill(mac, 16);
            memcpy(c_w, ctr, 16);
            memcpy(m_w, mac, 16);
            e2e_aes_impl_portable.ctr32(&k, c_w, want, orig, 16 * nb);
            e2e_aes_impl_portable.cbcmac(&k, m_w, open ? want : orig, nb);
            uint8_t *dst = mode == 0 ? out.p : mode == 1 ? src : buf.p;
            a->ccm(&k, ctr, mac, dst, src, nb, open);
            CHECK(memcmp(dst, want, 16 * nb) == 0 && memcmp(ctr, c_w, 16) == 0 &&
                      memcmp(mac, m_w, 16) == 0 && gbuf_guard_ok(&buf) && gbuf_guard_ok(&out),
                  "%s: %s ccm(%zu blocks, %s, aliasing %d) != portable ctr32 + cbcmac", tier,
                  a->name, nb, open ? "open" : "seal", mode);
            free(buf.base);
            free(out.base);
            free(orig);
            free(want);
        }
    }
}

/* The single-message AES functions, for kernel_aes_single_sweep. */
enum { F_ECB_ENC, F_ECB_DEC, F_CBC_ENC, F_CBC_DEC, F_CTR32, F_CBCMAC, F_N };
static const char *const f_names[F_N] = {"ecb_enc", "ecb_dec", "cbc_enc", "cbc_dec", "ctr32",
                                         "cbcmac"};

/* call_aes runs function f of table a over len bytes (whole blocks, except
 * for ctr32) with st as its iv, counter block or MAC (unused by ECB). */
static void call_aes(const struct e2e_aes_impl *a, int f, const e2e_aes_key *k, uint8_t st[16],
                     uint8_t *out, const uint8_t *in, size_t len)
{
    switch (f) {
    case F_ECB_ENC: a->ecb_enc(k, out, in, len / 16); break;
    case F_ECB_DEC: a->ecb_dec(k, out, in, len / 16); break;
    case F_CBC_ENC: a->cbc_enc(k, st, out, in, len / 16); break;
    case F_CBC_DEC: a->cbc_dec(k, st, out, in, len / 16); break;
    case F_CTR32: a->ctr32(k, st, out, in, len); break;
    default: a->cbcmac(k, st, in, len / 16); break;
    }
}

#define SWEEP_PAD 64

/* kernel_aes_single_sweep: every function of table a against portable's, on
 * block counts 0..300 (every count up to 20, the multiples of 16 and their
 * neighbours, then random ones), each in two calls split at a random block
 * (chaining through iv / counter / MAC), ctr32 also on lengths ending in a
 * partial block, with the counter sometimes about to wrap. Each runs three
 * ways: out of place, in place, and out before in with overlap (out = in -
 * delta, delta 1..80 bytes, as the in-place open writes over its KI), at
 * random offsets mod 64. The whole buffer, 64 random guard bytes on each
 * side included, must then equal the expected image: the output where it
 * belongs, every other byte (input not yet overwritten, guards) unchanged. */
static void kernel_aes_single_sweep(const char *tier, const struct e2e_aes_impl *a)
{
    const struct e2e_aes_impl *p = &e2e_aes_impl_portable;
    static const size_t fixed[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,  12,  13,
                                   14, 15, 16, 17, 18, 19, 20, 31, 32, 33, 47, 48,  49,  63,
                                   64, 65, 80, 95, 96, 97, 127, 128, 129, 255, 256, 257, 300};
    const size_t n_fixed = sizeof fixed / sizeof fixed[0], n_all = n_fixed + 40;
    size_t cases = 0;
    unsigned long before = t_failed;
    for (size_t t = 0; t < n_all; t++) {
        size_t nb = t < n_fixed ? fixed[t] : rng_range(0, 300);
        uint8_t rawkey[16];
        rng_fill(rawkey, 16);
        e2e_aes_key k, kp;
        a->expand(&k, rawkey);
        p->expand(&kp, rawkey);
        for (int f = 0; f < F_N; f++) {
            size_t len = 16 * nb;
            if (f == F_CTR32 && nb > 0 && rng_below(2))
                len -= rng_range(1, 15);
            size_t l1 = 16 * rng_range(0, len / 16); /* the split, at a block boundary */
            uint8_t *orig = xmalloc(len), *want = xmalloc(len), st0[16], st_w[16];
            rng_fill(orig, len);
            rng_fill(st0, 16);
            if (f == F_CTR32 && rng_below(3) == 0) {
                memset(st0 + 12, 0xff, 4);
                st0[15] = (uint8_t)(0xff - rng_below(20));
            }
            memcpy(st_w, st0, 16);
            call_aes(p, f, &kp, st_w, want, orig, len);
            size_t out_len = f == F_CBCMAC ? 0 : len;
            for (int mode = 0; mode < 3; mode++) { /* out of place, in place, out = in - delta */
                size_t delta = mode == 2 ? (rng_below(3) == 0 ? 16 : rng_range(1, 80)) : 0;
                size_t bn = SWEEP_PAD + delta + len + SWEEP_PAD, on = SWEEP_PAD + len + SWEEP_PAD;
                size_t boff = rng_below(64), ooff = rng_below(64);
                uint8_t *braw = xmalloc(bn + 64), *oraw = xmalloc(on + 64);
                uint8_t *b = braw + boff, *o = oraw + ooff;
                uint8_t *exp_b = xmalloc(bn), *exp_o = xmalloc(on);
                rng_fill(b, bn);
                rng_fill(o, on);
                uint8_t *in = b + SWEEP_PAD + delta, *out = mode == 0 ? o + SWEEP_PAD : b + SWEEP_PAD;
                memcpy(in, orig, len);
                memcpy(exp_b, b, bn);
                memcpy(exp_o, o, on);
                memcpy((mode == 0 ? exp_o : exp_b) + SWEEP_PAD, want, out_len);
                uint8_t st[16];
                memcpy(st, st0, 16);
                call_aes(a, f, &k, st, out, in, l1);
                call_aes(a, f, &k, st, out + l1, in + l1, len - l1);
                int same_st = f == F_ECB_ENC || f == F_ECB_DEC || memcmp(st, st_w, 16) == 0;
                CHECK(memcmp(b, exp_b, bn) == 0 && memcmp(o, exp_o, on) == 0 && same_st,
                      "%s: %s %s, %zu bytes (%zu + %zu), %s%s != portable (or wrote outside "
                      "its output)",
                      tier, a->name, f_names[f], len, l1, len - l1,
                      mode == 0 ? "out of place" : mode == 1 ? "in place" : "out = in - ",
                      mode == 2 ? (delta == 16 ? "16" : "delta") : "");
                free(braw);
                free(oraw);
                free(exp_b);
                free(exp_o);
                cases++;
            }
            free(orig);
            free(want);
        }
    }
    printf("kernel %-8s AES single-message sweep: %zu cases (0..300 blocks, 3 aliasings) %s\n",
           a->name, cases, t_failed == before ? "ok" : "FAILED");
}

static void kernel_sha_single(const char *tier, const struct e2e_sha_impl *s)
{
    for (int round = 0; round < 40; round++) {
        size_t nb = rng_range(0, 12);
        struct gbuf in;
        gbuf_new(&in, 64 * nb);
        rng_fill(in.p, 64 * nb);
        uint32_t hw[8], hg[8];
        for (int w = 0; w < 8; w++)
            hw[w] = hg[w] = (uint32_t)rng_u64();
        e2e_sha_impl_portable.blocks(hw, in.p, nb);
        s->blocks(hg, in.p, nb);
        CHECK(memcmp(hw, hg, sizeof hw) == 0 && gbuf_guard_ok(&in), "%s: %s blocks(%zu)", tier,
              s->name, nb);
        free(in.base);
    }
    /* cbc_hmac: CBC over 0..80 blocks (in place or not) stitched with a
     * whole HMAC of 1..~75 blocks, against portable cbc_enc and compressions:
     * either chain may run out first */
    if (s->cbc_hmac != NULL) {
        for (int round = 0; round < 60; round++) {
            struct e2e_hmac_msg m;
            uint32_t st[2][8], want_h[8];
            struct gbuf bufs[3], in, out;
            e2e_aes_key k;
            uint8_t iv[16], want_iv[16];
            size_t nb = rng_range(0, 80);
            int in_place = round % 2;
            random_key(&k);
            msg_case(&m, st, bufs, rng_range(0, 70));
            ref_hmac_msg(&m, want_h);
            gbuf_new(&in, 16 * nb);
            rng_fill(in.p, 16 * nb);
            gbuf_new(&out, 16 * nb);
            uint8_t *want = xmalloc(16 * nb + 1);
            rng_fill(iv, 16);
            memcpy(want_iv, iv, 16);
            e2e_aes_impl_portable.cbc_enc(&k, want_iv, want, in.p, nb);
            s->cbc_hmac(&k, iv, in_place ? in.p : out.p, in.p, nb, &m);
            CHECK(memcmp(in_place ? in.p : out.p, want, 16 * nb) == 0 &&
                      memcmp(iv, want_iv, 16) == 0 && memcmp(m.h, want_h, 32) == 0 &&
                      gbuf_guard_ok(&in) && gbuf_guard_ok(&out),
                  "%s: %s cbc_hmac(%zu CBC blocks%s, HMAC %zu+%zu+%zu blocks) != portable", tier,
                  s->name, nb, in_place ? " in place" : "", m.nblk[0], m.nblk[1], m.nblk[2]);
            for (int g = 0; g < 3; g++)
                free(bufs[g].base);
            free(in.base);
            free(out.base);
            free(want);
        }
    }
}

/* once: 1 the first time ptr (non-NULL) is seen. */
static int once(const void **done, size_t *nd, const void *ptr)
{
    if (ptr == NULL)
        return 0;
    for (size_t q = 0; q < *nd; q++)
        if (done[q] == ptr)
            return 0;
    done[(*nd)++] = ptr;
    return 1;
}

/* kernels tests each distinct table of the runnable tiers once. */
static void kernels(void)
{
    const void *done[6 * T_MAX_ENGINES];
    size_t nd = 0;
    unsigned long before = t_failed;
    for (size_t t = 0; t < n_tiers; t++) {
        const struct engine_impl *e = e2e_engine_impl(&tiers[t]->eng);
        const char *tn = tiers[t]->name;
        if (e == NULL)
            continue;
        if (e->aes != &e2e_aes_impl_portable && once(done, &nd, e->aes)) {
            kernel_aes_single(tn, e->aes);
            printf("kernel %-8s AES single-message%s\n", e->aes->name,
                   e->aes->ccm ? " (ccm)" : "");
            kernel_aes_single_sweep(tn, e->aes);
        }
        if (e->sha != &e2e_sha_impl_portable && once(done, &nd, e->sha)) {
            kernel_sha_single(tn, e->sha);
            printf("kernel %-8s SHA-256 single-message%s\n", e->sha->name,
                   e->sha->cbc_hmac ? " (blocks, cbc_hmac)" : "");
        }
        const struct e2e_aes_lane_impl *al[2] = {e->aes_lanes, e->aes_narrow};
        const struct e2e_sha_lane_impl *sl[2] = {e->sha_lanes, e->sha_narrow};
        for (int w = 0; w < 2; w++) {
            if (once(done, &nd, al[w])) {
                kernel_aes_lanes(tn, al[w]);
                printf("kernel %-8s AES x%u lanes (cbcenc, cbcmac%s%s%s)\n", al[w]->name,
                       al[w]->lanes, al[w]->ctr ? ", ctr" : "", al[w]->ccm ? ", ccm" : "",
                       al[w]->expand_n ? ", expand_n" : "");
            }
            if (once(done, &nd, sl[w])) {
                kernel_sha_lanes(tn, sl[w]);
                printf("kernel %-8s SHA-256 x%u lanes (blocks%s%s)\n", sl[w]->name, sl[w]->lanes,
                       sl[w]->hmac ? ", hmac" : "", sl[w]->hmac_msgs ? ", hmac_msgs" : "");
            }
        }
    }
    printf("kernels: %zu tables %s\n", nd, t_failed == before ? "ok" : "FAILED");
}

/* ================================================================ job pool */

#define KS_PER_SUITE 6
#define N_SUITES 4
static const e2e_suite suites[N_SUITES] = {E2E_SUITE_AES_128_CCM, E2E_SUITE_AES_128_CCM_8,
                                           E2E_SUITE_AES_128_CS1_HMAC_SHA256,
                                           E2E_SUITE_HMAC_SHA256};
static e2e_keyset keysets[N_SUITES][KS_PER_SUITE];

static const char *sname(e2e_suite s)
{
    const char *n = e2e_suite_name(s);
    return n ? n : "?";
}

static void make_keysets(void)
{
    for (int s = 0; s < N_SUITES; s++) {
        for (int i = 0; i < KS_PER_SUITE; i++) {
            uint8_t enc[16], auth[64], kiv[64], iv[16], ki[16];
            rng_fill(enc, 16);
            rng_fill(auth, 64);
            rng_fill(kiv, 64);
            rng_fill(iv, 16);
            rng_fill(ki, 16);
            e2e_keyset_params p;
            memset(&p, 0, sizeof p);
            p.suite = suites[s];
            int ccm = s < 2;
            size_t ki_len = i % 2 ? 16 : 12;
            ki[0] = (uint8_t)((ki_len == 16 ? 0x10 : 0x20) | (ki[0] & 0x0f));
            p.ki = ki;
            p.ki_len = ki_len;
            if (p.suite != E2E_SUITE_HMAC_SHA256) {
                p.enc_key = enc;
                p.enc_key_len = 16;
                p.iv = iv;
                /* nonce 13 and 7 always present (the shortest and longest
                 * length fields), the rest random */
                p.iv_len = ccm ? (i == 0 ? 13 : i == 1 ? 7 : rng_range(7, 13)) : 16;
            }
            if (!ccm) {
                /* KIV lengths that put the HMAC padding on either side of a
                 * block boundary, and the extremes */
                static const size_t kivs[KS_PER_SUITE] = {1, 64, 55, 56, 12, 0};
                p.auth_key = auth;
                p.auth_key_len = rng_range(1, 64);
                p.kiv = kiv;
                p.kiv_len = kivs[i] ? kivs[i] : rng_range(1, 64);
            }
            if (i >= 2)
                p.tag_len = ccm ? 2 * rng_range(2, 8) : rng_range(4, 32);
            e2e_status st = e2e_keyset_init(&keysets[s][i], portable, &p);
            CHECK(st == E2E_OK, "keyset %s #%d: %s", sname(suites[s]), i, e2e_status_name(st));
        }
    }
}

enum variant { V_GOOD, V_FLIP_BODY, V_FLIP_TAG, V_FLIP_KI, V_TRUNC, V_NIBBLE, V_SEAL };
static const char *const variant_names[] = {"good",      "body bit", "tag bit", "KI bit",
                                            "truncated", "KI nibble", "seal"};

struct lcase {
    const e2e_keyset *ks;
    int suite;            /* index into suites[] */
    uint8_t op;
    enum variant v;
    uint8_t *in;          /* pristine input, exactly in_len bytes */
    uint8_t *backup;      /* a copy, to check the input is left alone */
    size_t in_len;
    size_t out_cap;
    int in_place;
    int lanes;            /* reaches the lane passes (portable says ok or auth_failed) */
    /* the portable single call's result */
    e2e_status st;
    size_t out_len;
    uint8_t *ref;         /* out_len bytes */
};

/* make_case builds one job over key set ks with plaintext length len. */
static void make_case(struct lcase *c, int s, const e2e_keyset *ks, uint8_t op, size_t len,
                      enum variant v)
{
    memset(c, 0, sizeof *c);
    c->ks = ks;
    c->suite = s;
    c->op = op;
    c->v = op == E2E_SEAL ? V_SEAL : v;
    uint8_t *pt = xmalloc(len);
    rng_fill(pt, len);
    if (op == E2E_SEAL) {
        c->in = pt;
        c->in_len = len;
    } else {
        size_t cap = e2e_seal_len(ks, len), ml = 0;
        uint8_t *m = xmalloc(cap);
        e2e_status st = e2e_seal(portable, ks, m, cap, &ml, pt, len);
        if (st != E2E_OK) {  /* a CS1 P || T under 16 bytes: bytes of that length */
            ml = cap;
            rng_fill(m, ml);
            size_t kl = cap - len - e2e_keyset_tag_len(ks);
            m[0] = (uint8_t)((kl == 16 ? 0x10 : 0x20) | (m[0] & 0x0f));
        }
        free(pt);
        size_t ki = ml - len - e2e_keyset_tag_len(ks), tag = e2e_keyset_tag_len(ks);
        switch (c->v) {
        case V_GOOD:
            break;
        case V_FLIP_BODY:
            if (ml > ki + tag) {
                m[ki + rng_below(ml - ki - tag)] ^= (uint8_t)(1u << rng_below(8));
                break;
            }
            c->v = V_FLIP_TAG; /* no body: flip a tag bit */
            /* fall through */
        case V_FLIP_TAG:
            m[ml - 1 - rng_below(tag)] ^= (uint8_t)(1u << rng_below(8));
            break;
        case V_FLIP_KI:
            m[1 + rng_below(ki - 1)] ^= (uint8_t)(1u << rng_below(8));
            break;
        case V_TRUNC:
            ml -= rng_range(1, ml < 20 ? ml : 20);
            break;
        case V_NIBBLE:
            m[0] = (uint8_t)((rng_range(3, 15) << 4) | (m[0] & 0x0f));
            break;
        default:
            break;
        }
        c->in = m;
        c->in_len = ml;
        c->in_place = rng_below(6) == 0;
    }
    size_t need = op == E2E_SEAL ? e2e_seal_len(ks, len) : c->in_len;
    c->out_cap = rng_below(4) == 0 ? need + rng_range(1, 40) : need;
    c->backup = xmalloc(c->in_len);
    memcpy(c->backup, c->in, c->in_len);
    /* the reference: portable, one message at a time, out of place */
    uint8_t *out = xmalloc(c->out_cap);
    c->out_len = 9999;
    if (op == E2E_SEAL)
        c->st = e2e_seal(portable, ks, out, c->out_cap, &c->out_len, c->in, c->in_len);
    else
        c->st = e2e_open(portable, ks, out, c->out_cap, &c->out_len, c->in, c->in_len);
    c->ref = out;
    /* past the checks: the job reaches the lane passes */
    c->lanes = c->st == E2E_OK || c->st == E2E_ERR_AUTH;
}

static void free_case(struct lcase *c)
{
    free(c->in);
    free(c->backup);
    free(c->ref);
}

static struct lcase *pool;
static size_t n_pool;
/* by class (suite, op): indices of the pool's jobs that reach the lanes */
static size_t *klass[N_SUITES][2], n_klass[N_SUITES][2];

static enum variant random_open_variant(void)
{
    unsigned r = (unsigned)rng_below(100);
    return r < 50 ? V_GOOD : r < 70 ? V_FLIP_BODY : r < 88 ? V_FLIP_TAG : r < 93 ? V_FLIP_KI
           : r < 97 ? V_TRUNC : V_NIBBLE;
}

static void make_pool(void)
{
    size_t n_random = env_ulong("E2E_DIFF_RANDOM_LENGTHS", 40), top = sweep_max();
    n_pool = 2 * N_SUITES * 2 * (top + 1) + n_random;
    pool = xmalloc(n_pool * sizeof *pool);
    size_t k = 0;
    for (int rep = 0; rep < 2; rep++)
        for (int s = 0; s < N_SUITES; s++)
            for (int op = E2E_OPEN; op <= E2E_SEAL; op++)
                for (size_t len = 0; len <= top; len++)
                    make_case(&pool[k++], s, &keysets[s][rng_below(KS_PER_SUITE)], (uint8_t)op, len,
                          random_open_variant());
    for (size_t i = 0; i < n_random; i++) {
        int s = (int)rng_below(N_SUITES);
        size_t len = i == 0 ? 65536 : i == 1 ? 65535 : rng_range(301, 65536);
        make_case(&pool[k++], s, &keysets[s][rng_below(KS_PER_SUITE)],
                  (uint8_t)(rng_below(2) ? E2E_OPEN : E2E_SEAL), len, random_open_variant());
    }
    size_t per[6 + 1] = {0}, ok = 0;
    for (size_t i = 0; i < n_pool; i++) {
        struct lcase *c = &pool[i];
        int o = c->op == E2E_SEAL;
        per[c->v]++;
        ok += c->st == E2E_OK;
        if (c->lanes) {
            if (n_klass[c->suite][o] % 256 == 0) {
                klass[c->suite][o] = realloc(klass[c->suite][o],
                                             (n_klass[c->suite][o] + 256) * sizeof(size_t));
                if (klass[c->suite][o] == NULL)
                    abort();
            }
            klass[c->suite][o][n_klass[c->suite][o]++] = i;
        }
    }
    printf("pool: %zu jobs (lengths 0..%zu [E2E_SWEEP_MAX] twice per suite and op, %zu random "
           "up to 65536 [E2E_DIFF_RANDOM_LENGTHS]); %zu ok on portable\n",
           n_pool, top, n_random, ok);
    printf("      seal %zu, good %zu, body bit %zu, tag bit %zu, KI bit %zu, truncated %zu, "
           "KI nibble %zu\n",
           per[V_SEAL], per[V_GOOD], per[V_FLIP_BODY], per[V_FLIP_TAG], per[V_FLIP_KI],
           per[V_TRUNC], per[V_NIBBLE]);
    CHECK(ok > n_pool / 4 && ok < n_pool - n_pool / 8, "the pool is lopsided: %zu of %zu ok", ok,
          n_pool);
}

/* ================================================================ 2, 3. batches vs portable */

static size_t n_jobs_run;

/* run_batch runs jobs cs[0..n) on tier te in one e2e_batch_run and checks each
 * against its portable reference. */
static void run_batch(const struct t_engine *te, struct lcase *const *cs, size_t n,
                      const char *what)
{
    e2e_job *jobs = xmalloc(n * sizeof *jobs);
    uint8_t **buf = xmalloc(n * sizeof *buf);
    for (size_t i = 0; i < n; i++) {
        const struct lcase *c = cs[i];
        size_t sz = (c->in_place && c->in_len > c->out_cap ? c->in_len : c->out_cap) + GUARD;
        buf[i] = xmalloc(sz);
        memset(buf[i], FILL, sz);
        e2e_job *j = &jobs[i];
        j->keys = c->ks;
        j->op = c->op;
        j->in_len = c->in_len;
        j->out_cap = c->out_cap;
        j->out = buf[i];
        if (c->in_place) {
            memcpy(buf[i], c->in, c->in_len);
            j->in = buf[i];
        } else {
            j->in = c->in; /* shared, read-only: duplicates in a batch share it */
        }
        j->out_len = 31337;
        j->status = (e2e_status)77;
        j->user = (void *)c;
    }
    rng_fill(scratch.opaque, sizeof scratch.opaque);
    e2e_status st = e2e_batch_run(&te->eng, jobs, n, &scratch);
    CHECK(st == E2E_OK, "[%s] %s: e2e_batch_run(%zu) = %s", te->name, what, n,
          e2e_status_name(st));
    for (size_t i = 0; i < n; i++) {
        const struct lcase *c = cs[i];
        const e2e_job *j = &jobs[i];
        n_jobs_run++;
        CHECK(j->user == (const void *)c && j->keys == c->ks && j->op == c->op &&
                  j->in_len == c->in_len && j->out_cap == c->out_cap && j->out == buf[i],
              "[%s] %s: job %zu/%zu: caller fields changed", te->name, what, i, n);
        int same = j->status == c->st && j->out_len == c->out_len &&
                   (j->status != E2E_OK || memcmp(j->out, c->ref, c->out_len) == 0);
        CHECK(same,
              "[%s] %s: job %zu/%zu (%s %s, %s, in_len %zu, out_cap %zu%s): batch %s/%zu, "
              "portable single %s/%zu%s",
              te->name, what, i, n, sname(suites[c->suite]), c->op == E2E_SEAL ? "seal" : "open",
              variant_names[c->v], c->in_len, c->out_cap, c->in_place ? ", in place" : "",
              e2e_status_name(j->status), j->out_len, e2e_status_name(c->st), c->out_len,
              j->status == c->st && j->out_len == c->out_len ? ", bytes differ" : "");
        if (j->status != E2E_OK) {
            size_t need = c->op == E2E_SEAL ? e2e_seal_len(c->ks, c->in_len) : c->in_len;
            size_t w = need < c->out_cap ? need : c->out_cap;
            CHECK(j->out_len == 0 && all_zero(buf[i], w),
                  "[%s] %s: job %zu (%s): out_len %zu / output not wiped", te->name, what, i,
                  e2e_status_name(j->status), j->out_len);
        }
        CHECK(all_byte(buf[i] + (c->in_place && c->in_len > c->out_cap ? c->in_len : c->out_cap),
                       GUARD, FILL),
              "[%s] %s: job %zu wrote past out_cap", te->name, what, i);
        if (!c->in_place)
            CHECK(memcmp(c->in, c->backup, c->in_len) == 0, "[%s] %s: job %zu: input modified",
                  te->name, what, i);
    }
    for (size_t i = 0; i < n; i++)
        free(buf[i]);
    free(buf);
    free(jobs);
}

static size_t next_size(size_t *k)
{
    while (*k < N_BATCH_SIZES && batch_sizes[*k] > sweep_max())
        (*k)++;   /* E2E_SWEEP_MAX */
    size_t s = *k < N_BATCH_SIZES ? batch_sizes[*k] : rng_range(1, sweep_max());
    (*k)++;
    return s;
}

/* mixed: the whole pool, shuffled, in batches of every listed size. */
static void mixed(const struct t_engine *te)
{
    struct lcase **order = xmalloc(n_pool * sizeof *order);
    for (size_t i = 0; i < n_pool; i++)
        order[i] = &pool[i];
    for (size_t i = n_pool - 1; i > 0; i--) {
        size_t r = rng_below(i + 1);
        struct lcase *t = order[i];
        order[i] = order[r];
        order[r] = t;
    }
    size_t k = 0, batches = 0;
    for (size_t at = 0; at < n_pool;) {
        size_t s = next_size(&k);
        if (s > n_pool - at)
            s = n_pool - at;
        char what[48];
        snprintf(what, sizeof what, "mixed batch of %zu", s);
        run_batch(te, order + at, s, what);
        at += s;
        batches++;
    }
    free(order);
}

/* one_kind: batches of each listed size from one (suite, op) class. */
static void one_kind(const struct t_engine *te)
{
    struct lcase **cs = xmalloc(300 * sizeof *cs);
    for (int s = 0; s < N_SUITES; s++) {
        for (int o = 0; o < 2; o++) {
            if (n_klass[s][o] == 0) {
                CHECK(0, "no lane-reaching jobs for %s %s", sname(suites[s]), o ? "seal" : "open");
                continue;
            }
            for (size_t b = 0; b < N_BATCH_SIZES; b++) {
                size_t n = batch_sizes[b];
                if (n > sweep_max())
                    continue;   /* E2E_SWEEP_MAX */
                for (size_t i = 0; i < n; i++)
                    cs[i] = &pool[klass[s][o][rng_below(n_klass[s][o])]];
                char what[64];
                snprintf(what, sizeof what, "%s %s x%zu", sname(suites[s]), o ? "seal" : "open",
                         n);
                run_batch(te, cs, n, what);
            }
        }
    }
    free(cs);
}

/* ================================================================ 4. cross-tier */

struct xmsg {
    const e2e_keyset *ks;
    int suite;
    uint8_t *pt;
    size_t pt_len;
    e2e_status st;   /* portable's single seal */
    uint8_t *ref;    /* portable's sealed bytes */
    size_t ref_len;
};

static void cross_tier(void)
{
    /* per key set: lengths 0..300 at random plus one random large one */
    size_t per_ks = 8, n = N_SUITES * KS_PER_SUITE * per_ks;
    struct xmsg *m = xmalloc(n * sizeof *m);
    size_t k = 0;
    for (int s = 0; s < N_SUITES; s++)
        for (int i = 0; i < KS_PER_SUITE; i++)
            for (size_t r = 0; r < per_ks; r++, k++) {
                struct xmsg *x = &m[k];
                x->ks = &keysets[s][i];
                x->suite = s;
                x->pt_len = r == 0 ? rng_range(301, 65536) : r == 1 ? 0 : rng_range(0, 300);
                x->pt = xmalloc(x->pt_len);
                rng_fill(x->pt, x->pt_len);
                size_t cap = e2e_seal_len(x->ks, x->pt_len);
                x->ref = xmalloc(cap);
                x->st = e2e_seal(portable, x->ks, x->ref, cap, &x->ref_len, x->pt, x->pt_len);
            }
    e2e_job *jobs = xmalloc(n * sizeof *jobs);
    uint8_t **sealed = xmalloc(n * sizeof *sealed), **opened = xmalloc(n * sizeof *opened);
    size_t *sealed_len = xmalloc(n * sizeof *sealed_len);
    int *flipped = xmalloc(n * sizeof *flipped);
    for (size_t i = 0; i < n; i++) {
        sealed[i] = xmalloc(e2e_seal_len(m[i].ks, m[i].pt_len));
        opened[i] = xmalloc(e2e_seal_len(m[i].ks, m[i].pt_len));
    }
    size_t pairs = 0;
    unsigned long before = t_failed;
    for (size_t a = 0; a < n_tiers; a++) {
        const struct t_engine *A = tiers[a];
        /* seal on A, in batches of varied sizes */
        size_t bk = rng_below(N_BATCH_SIZES);
        for (size_t at = 0; at < n;) {
            size_t s = next_size(&bk);
            if (s > n - at)
                s = n - at;
            for (size_t i = at; i < at + s; i++) {
                e2e_job *j = &jobs[i];
                memset(j, 0, sizeof *j);
                j->keys = m[i].ks;
                j->op = E2E_SEAL;
                j->in = m[i].pt;
                j->in_len = m[i].pt_len;
                j->out = sealed[i];
                j->out_cap = e2e_seal_len(m[i].ks, m[i].pt_len);
            }
            rng_fill(scratch.opaque, sizeof scratch.opaque);
            CHECK(e2e_batch_run(&A->eng, jobs + at, s, &scratch) == E2E_OK, "[%s] seal batch",
                  A->name);
            at += s;
        }
        for (size_t i = 0; i < n; i++) {
            sealed_len[i] = jobs[i].out_len;
            CHECK(jobs[i].status == m[i].st && (m[i].st != E2E_OK ||
                  (jobs[i].out_len == m[i].ref_len &&
                   memcmp(sealed[i], m[i].ref, m[i].ref_len) == 0)),
                  "[%s] batch seal %s len %zu: %s, portable %s (or other bytes)", A->name,
                  sname(suites[m[i].suite]), m[i].pt_len, e2e_status_name(jobs[i].status),
                  e2e_status_name(m[i].st));
            flipped[i] = 0;
            if (jobs[i].status != E2E_OK)
                continue;
            /* single open on portable */
            size_t ol = 0;
            e2e_status so = e2e_open(portable, m[i].ks, opened[i], sealed_len[i], &ol, sealed[i],
                                     sealed_len[i]);
            CHECK(so == E2E_OK && ol == m[i].pt_len && memcmp(opened[i], m[i].pt, ol) == 0,
                  "sealed by a batch on %s, opened on portable (single) %s len %zu: %s", A->name,
                  sname(suites[m[i].suite]), m[i].pt_len, e2e_status_name(so));
            /* a third of them get one bit flipped after the KI */
            if (rng_below(3) == 0) {
                size_t ki = sealed_len[i] - m[i].pt_len - e2e_keyset_tag_len(m[i].ks);
                sealed[i][ki + rng_below(sealed_len[i] - ki)] ^= (uint8_t)(1u << rng_below(8));
                flipped[i] = 1;
            }
        }
        for (size_t b = 0; b < n_tiers; b++) {
            const struct t_engine *B = tiers[b];
            size_t nj = 0;
            size_t *idx = xmalloc(n * sizeof *idx);
            for (size_t i = 0; i < n; i++) {
                if (m[i].st != E2E_OK || jobs[i].status != E2E_OK)
                    continue;
                idx[nj++] = i;
            }
            e2e_job *oj = xmalloc((nj ? nj : 1) * sizeof *oj);
            for (size_t q = 0; q < nj; q++) {
                size_t i = idx[q];
                memset(&oj[q], 0, sizeof oj[q]);
                oj[q].keys = m[i].ks;
                oj[q].op = E2E_OPEN;
                oj[q].in = sealed[i];
                oj[q].in_len = sealed_len[i];
                oj[q].out = opened[i];
                oj[q].out_cap = sealed_len[i];
                memset(opened[i], FILL, sealed_len[i]);
            }
            size_t ok2 = rng_below(N_BATCH_SIZES);
            for (size_t at = 0; at < nj;) {
                size_t s = next_size(&ok2);
                if (s > nj - at)
                    s = nj - at;
                rng_fill(scratch.opaque, sizeof scratch.opaque);
                CHECK(e2e_batch_run(&B->eng, oj + at, s, &scratch) == E2E_OK,
                      "[%s] open batch", B->name);
                at += s;
            }
            for (size_t q = 0; q < nj; q++) {
                size_t i = idx[q];
                if (flipped[i])
                    CHECK(oj[q].status == E2E_ERR_AUTH && oj[q].out_len == 0 &&
                              all_zero(opened[i], sealed_len[i]),
                          "sealed on %s, one bit flipped, opened on %s: %s, out_len %zu (%s "
                          "len %zu)",
                          A->name, B->name, e2e_status_name(oj[q].status), oj[q].out_len,
                          sname(suites[m[i].suite]), m[i].pt_len);
                else
                    CHECK(oj[q].status == E2E_OK && oj[q].out_len == m[i].pt_len &&
                              memcmp(opened[i], m[i].pt, m[i].pt_len) == 0,
                          "sealed on %s, opened on %s (batch): %s (%s len %zu)", A->name,
                          B->name, e2e_status_name(oj[q].status), sname(suites[m[i].suite]),
                          m[i].pt_len);
            }
            free(oj);
            free(idx);
            pairs++;
        }
    }
    printf("cross-tier: %zu tier pairs x %zu messages (a third bit-flipped): %s\n", pairs, n,
           t_failed == before ? "ok" : "FAILED");
    for (size_t i = 0; i < n; i++) {
        free(m[i].pt);
        free(m[i].ref);
        free(sealed[i]);
        free(opened[i]);
    }
    free(m);
    free(jobs);
    free(sealed);
    free(opened);
    free(sealed_len);
    free(flipped);
}

int main(void)
{
    rng_init("test_lanes");
    size_t ne = engines_init();
    for (size_t i = 0; i < ne; i++)
        if (strcmp(t_engines[i].name, "best") != 0)
            tiers[n_tiers++] = &t_engines[i];
    portable = engine_named("portable");
    CHECK(portable != NULL, "no portable engine");
    if (portable == NULL)
        return t_summary();

    kernels();

    make_keysets();
    make_pool();
    for (size_t t = 0; t < n_tiers; t++) {
        unsigned long before = t_failed;
        size_t jobs_before = n_jobs_run;
        mixed(tiers[t]);
        one_kind(tiers[t]);
        printf("%-12s %zu jobs in mixed and one-kind batches: %s\n", tiers[t]->name,
               n_jobs_run - jobs_before, t_failed == before ? "ok" : "FAILED");
        fflush(stdout);
    }
    cross_tier();

    for (size_t i = 0; i < n_pool; i++)
        free_case(&pool[i]);
    free(pool);
    for (int s = 0; s < N_SUITES; s++) {
        for (int o = 0; o < 2; o++)
            free(klass[s][o]);
        for (int i = 0; i < KS_PER_SUITE; i++)
            e2e_keyset_clear(&keysets[s][i]);
    }
    return t_summary();
}
