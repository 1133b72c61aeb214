/* x86_sha256_avx512x16.c — SHA-256 compression across 16 messages with
 * AVX-512 (x86-64): two interleaved groups of 8 lanes in ymm registers.
 *
 * Implementation notes
 *  - Exports only e2e_sha_lane_impl_avx512 (simd/impl.h). The file is built
 *    without -mavx512*; every function carries
 *    target("avx512f,avx512bw,avx512vl,avx512dq"), so nothing here may run
 *    unless the engine saw E2E_CPU_AVX512 (F+BW+VL+DQ, zmm state enabled).
 *  - Lane i is message i. Lanes 0-7 are group x, lanes 8-15 group y; each
 *    group's word Hw is one 32-byte half of the 64-byte aligned row l->h[w],
 *    loaded and stored without shuffling. a..h of both groups take 16 of the
 *    32 registers during the rounds; they are stored to l->h after each
 *    block (that store is the feed-forward, sec. 6.2.2 step 4) and loaded
 *    again after the next block's transposition, which needs the registers
 *    (kept live across it, gcc spilled them and the loop ran 25% slower).
 *  - Why 2 x 8 lanes in ymm and not 16 in zmm: AVX-512VL gives ymm the same
 *    VPRORD / VPTERNLOGD and 32 registers, and on AMD Zen 4 (where zmm ops
 *    are split into two 256-bit halves) a dependent VPRORD zmm chain issues
 *    markedly worse than two independent ymm chains. Measured on this EPYC:
 *    the 16x16-word zmm kernel ran at 0.74 TSC ticks/byte, this one at 0.68.
 *    Two independent groups also cover the ~5-cycle latency of a round.
 *  - Message (FIPS 180-4 sec. 3.1, 6.2.2 step 1): per group, eight 32-byte
 *    halves are loaded (unaligned, through each lane's own pointer; lanes may
 *    alias), byte-swapped with VPSHUFB and transposed 8x8 (VPUNPCK{L,H}DQ,
 *    VPUNPCK{L,H}QDQ, VPERM2I128) into ring[0..15][group] = W[0..15].
 *  - Schedule: ring is the 16-word window on the stack. Right after round t
 *    (t < 48), W[t+16] = s1(W[t+14]) + W[t+9] + s0(W[t+1]) + W[t] goes into
 *    the slot of W[t]. W[t+14] is taken from a register (it was computed two
 *    rounds earlier): reading it back through the ring, a store followed so
 *    closely by a load of the same slot, made the loop up to 50% slower.
 *  - Rounds (sec. 6.2.2 step 3) are inline asm, one per round and group, so
 *    the association is fixed: h accumulates h + W[t] + K[t] + Ch(e,f,g), the
 *    new e is d + that + S1(e) and the new a is that + Maj(a,b,c) + S1(e) +
 *    S0(a), which keeps the e and a chains at ~5 cycles per round. With
 *    intrinsics gcc reassociated the sums into a 7-cycle chain and spilled
 *    working variables; the asm also holds its temporaries out of the
 *    compilers' register allocation. Ch / Maj / the 3-way XORs are one
 *    VPTERNLOGD each, rotations VPRORD, K[t] an embedded {1to8} broadcast.
 *  - Code size: rounds 0..47 are a 3-trip loop around one unrolled 16-round
 *    body (ring slot j = t mod 16 and the parity of t are the same in every
 *    trip), rounds 48..63 one more body without the schedule. Unrolled to 64
 *    rounds the loop is about 30 KB and ran 30-50% slower, depending on
 *    layout, as it no longer fits the instruction caches.
 *  - No data-dependent branches or table lookups; control flow depends on
 *    nblk only. The ring (message words) is wiped on return.
 */
#if defined(__x86_64__)

#include <immintrin.h>

#include "../engine/ct.h"
#include "../engine/e2ecrypt.h"
#include "impl.h"

#define E2E_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

/* FIPS 180-4 sec. 4.2.2. */
static const uint32_t e2e_avx512_sha256_k[64] __attribute__((aligned(64))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Loads and stores go through void * so -Wcast-align stays quiet. */
#define LDU(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define LDA(p) _mm256_load_si256((const __m256i *)(const void *)(p))
#define STA(p, v) _mm256_store_si256((__m256i *)(void *)(p), (v))

/* RND is round t of one group: H_ += W[t] + K[t] + Ch(E_, F_, G_); then
 * D_ += H_ + S1(E_) (the new e) and H_ += Maj(A_, B_, C_) + S1(E_) + S0(A_)
 * (the new a). wmem is W[t] (32 bytes), kmem is K[t] (broadcast). The
 * VPTERNLOGD immediates are truth tables over (dst, src2, src3) = (F0, CC,
 * AA): 0xca = dst ? src2 : src3 (Ch), 0xe8 = majority, 0x96 = 3-way XOR. */
#define RND(A_, B_, C_, D_, E_, F_, G_, H_, wmem, kmem)                              \
    do {                                                                             \
        __m256i t1_, t2_, t3_, t4_;                                                  \
        __asm__("vpaddd %[w], %[h], %[h]\n\t"                                        \
                "vpaddd %[k]%{1to8%}, %[h], %[h]\n\t"                                \
                "vmovdqa64 %[e], %[t1]\n\t"                                          \
                "vpternlogd $0xca, %[g], %[f], %[t1]\n\t"                            \
                "vpaddd %[t1], %[h], %[h]\n\t"                                       \
                "vprord $6, %[e], %[t2]\n\t"                                         \
                "vprord $11, %[e], %[t3]\n\t"                                        \
                "vprord $25, %[e], %[t4]\n\t"                                        \
                "vpternlogd $0x96, %[t4], %[t3], %[t2]\n\t"                          \
                "vpaddd %[h], %[d], %[d]\n\t"                                        \
                "vpaddd %[t2], %[d], %[d]\n\t"                                       \
                "vmovdqa64 %[a], %[t1]\n\t"                                          \
                "vpternlogd $0xe8, %[c], %[b], %[t1]\n\t"                            \
                "vpaddd %[t1], %[h], %[h]\n\t"                                       \
                "vpaddd %[t2], %[h], %[h]\n\t"                                       \
                "vprord $2, %[a], %[t1]\n\t"                                         \
                "vprord $13, %[a], %[t3]\n\t"                                        \
                "vprord $22, %[a], %[t4]\n\t"                                        \
                "vpternlogd $0x96, %[t4], %[t3], %[t1]\n\t"                          \
                "vpaddd %[t1], %[h], %[h]"                                           \
                : [d] "+v"(D_), [h] "+v"(H_), [t1] "=&v"(t1_), [t2] "=&v"(t2_),      \
                  [t3] "=&v"(t3_), [t4] "=&v"(t4_)                                   \
                : [a] "v"(A_), [b] "v"(B_), [c] "v"(C_), [e] "v"(E_), [f] "v"(F_),   \
                  [g] "v"(G_), [w] "m"(wmem), [k] "m"(kmem));                        \
    } while (0)

/* SCHED puts W[t+16] = s1(W[t+14]) + W[t+9] + s0(W[t+1]) + W[t] (sec. 6.2.2
 * step 1) into ring slot j = t mod 16 of group g. WR holds W[t+14] on entry
 * and W[t+16] on exit (the input two rounds later). */
#define SCHED(g, j, WR)                                                              \
    do {                                                                             \
        __m256i s0_, s1_, s2_, s3_;                                                  \
        __asm__("vprord $17, %[w14], %[s1]\n\t"                                      \
                "vprord $19, %[w14], %[s2]\n\t"                                      \
                "vpsrld $10, %[w14], %[s3]\n\t"                                      \
                "vpternlogd $0x96, %[s3], %[s2], %[s1]\n\t"                          \
                "vpaddd %[w0], %[s1], %[s1]\n\t"                                     \
                "vpaddd %[w9], %[s1], %[s1]\n\t"                                     \
                "vmovdqa64 %[w1], %[s0]\n\t"                                         \
                "vprord $7, %[s0], %[s2]\n\t"                                        \
                "vprord $18, %[s0], %[s3]\n\t"                                       \
                "vpsrld $3, %[s0], %[s0]\n\t"                                        \
                "vpternlogd $0x96, %[s0], %[s3], %[s2]\n\t"                          \
                "vpaddd %[s2], %[s1], %[s1]\n\t"                                     \
                "vmovdqa64 %[s1], %[w0]"                                             \
                : [w0] "+m"(ring[(j)][g]), [s0] "=&v"(s0_), [s1] "=&v"(s1_),         \
                  [s2] "=&v"(s2_), [s3] "=&v"(s3_)                                   \
                : [w1] "m"(ring[((j) + 1) & 15][g]), [w9] "m"(ring[((j) + 9) & 15][g]), \
                  [w14] "v"(WR));                                                    \
        (WR) = s1_;                                                                  \
    } while (0)

/* W[t+14] of each group alternates between two registers by the parity of t. */
#define WRX_0 wrx0
#define WRX_1 wrx1
#define WRX_2 wrx0
#define WRX_3 wrx1
#define WRX_4 wrx0
#define WRX_5 wrx1
#define WRX_6 wrx0
#define WRX_7 wrx1
#define WRX_8 wrx0
#define WRX_9 wrx1
#define WRX_10 wrx0
#define WRX_11 wrx1
#define WRX_12 wrx0
#define WRX_13 wrx1
#define WRX_14 wrx0
#define WRX_15 wrx1
#define WRY_0 wry0
#define WRY_1 wry1
#define WRY_2 wry0
#define WRY_3 wry1
#define WRY_4 wry0
#define WRY_5 wry1
#define WRY_6 wry0
#define WRY_7 wry1
#define WRY_8 wry0
#define WRY_9 wry1
#define WRY_10 wry0
#define WRY_11 wry1
#define WRY_12 wry0
#define WRY_13 wry1
#define WRY_14 wry0
#define WRY_15 wry1

/* X_SCHED / X_LAST are round j of a 16-round body for both groups (kp points
 * at K[t - j]); X_SCHED also extends the schedule. */
#define X_SCHED(a, b, c, d, e, f, g, h, j)                                  \
    RND(x##a, x##b, x##c, x##d, x##e, x##f, x##g, x##h, ring[j][0], kp[j]); \
    RND(y##a, y##b, y##c, y##d, y##e, y##f, y##g, y##h, ring[j][1], kp[j]); \
    SCHED(0, j, WRX_##j);                                                   \
    SCHED(1, j, WRY_##j);
#define X_LAST(a, b, c, d, e, f, g, h, j)                                   \
    RND(x##a, x##b, x##c, x##d, x##e, x##f, x##g, x##h, ring[j][0], kp[j]); \
    RND(y##a, y##b, y##c, y##d, y##e, y##f, y##g, y##h, ring[j][1], kp[j]);

/* R16 is 16 rounds with the working variables renamed instead of shifted. */
#define R16(X)                       \
    X(a, b, c, d, e, f, g, h, 0)     \
    X(h, a, b, c, d, e, f, g, 1)     \
    X(g, h, a, b, c, d, e, f, 2)     \
    X(f, g, h, a, b, c, d, e, 3)     \
    X(e, f, g, h, a, b, c, d, 4)     \
    X(d, e, f, g, h, a, b, c, 5)     \
    X(c, d, e, f, g, h, a, b, 6)     \
    X(b, c, d, e, f, g, h, a, 7)     \
    X(a, b, c, d, e, f, g, h, 8)     \
    X(h, a, b, c, d, e, f, g, 9)     \
    X(g, h, a, b, c, d, e, f, 10)    \
    X(f, g, h, a, b, c, d, e, 11)    \
    X(e, f, g, h, a, b, c, d, 12)    \
    X(d, e, f, g, h, a, b, c, 13)    \
    X(c, d, e, f, g, h, a, b, 14)    \
    X(b, c, d, e, f, g, h, a, 15)

/* T4 transposes the 4x4 dword blocks inside each 128-bit lane of r0..r3:
 * afterwards r<j> holds, in 128-bit lane k, word 4k+j of the four rows. */
#define T4(r0, r1, r2, r3)                                  \
    do {                                                    \
        __m256i t0_ = _mm256_unpacklo_epi32((r0), (r1));    \
        __m256i t1_ = _mm256_unpackhi_epi32((r0), (r1));    \
        __m256i t2_ = _mm256_unpacklo_epi32((r2), (r3));    \
        __m256i t3_ = _mm256_unpackhi_epi32((r2), (r3));    \
        (r0) = _mm256_unpacklo_epi64(t0_, t2_);             \
        (r1) = _mm256_unpackhi_epi64(t0_, t2_);             \
        (r2) = _mm256_unpacklo_epi64(t1_, t3_);             \
        (r3) = _mm256_unpackhi_epi64(t1_, t3_);             \
    } while (0)

/* L2 swaps 128-bit lanes: x0 (rows 0-3) and x1 (rows 4-7) hold word j in
 * lane 0 and word 4+j in lane 1; afterwards x0 = word j, x1 = word 4+j of
 * all eight rows. */
#define L2(x0, x1)                                                 \
    do {                                                           \
        __m256i s0_ = _mm256_permute2x128_si256((x0), (x1), 0x20); \
        (x1) = _mm256_permute2x128_si256((x0), (x1), 0x31);        \
        (x0) = s0_;                                                \
    } while (0)

/* LOAD8 stores W[8h..8h+7] of lanes 8g..8g+7 (block at byte offset off) into
 * ring[8h..8h+7][g]. */
#define LOAD8(g, h)                                                            \
    do {                                                                       \
        __m256i r0 = _mm256_shuffle_epi8(LDU(l->data[8 * (g) + 0] + off + 32 * (h)), bswap); \
        __m256i r1 = _mm256_shuffle_epi8(LDU(l->data[8 * (g) + 1] + off + 32 * (h)), bswap); \
        __m256i r2 = _mm256_shuffle_epi8(LDU(l->data[8 * (g) + 2] + off + 32 * (h)), bswap); \
        __m256i r3 = _mm256_shuffle_epi8(LDU(l->data[8 * (g) + 3] + off + 32 * (h)), bswap); \
        __m256i r4 = _mm256_shuffle_epi8(LDU(l->data[8 * (g) + 4] + off + 32 * (h)), bswap); \
        __m256i r5 = _mm256_shuffle_epi8(LDU(l->data[8 * (g) + 5] + off + 32 * (h)), bswap); \
        __m256i r6 = _mm256_shuffle_epi8(LDU(l->data[8 * (g) + 6] + off + 32 * (h)), bswap); \
        __m256i r7 = _mm256_shuffle_epi8(LDU(l->data[8 * (g) + 7] + off + 32 * (h)), bswap); \
        T4(r0, r1, r2, r3);                                                    \
        T4(r4, r5, r6, r7);                                                    \
        L2(r0, r4);                                                            \
        L2(r1, r5);                                                            \
        L2(r2, r6);                                                            \
        L2(r3, r7);                                                            \
        STA(&ring[8 * (h) + 0][g], r0);                                        \
        STA(&ring[8 * (h) + 1][g], r1);                                        \
        STA(&ring[8 * (h) + 2][g], r2);                                        \
        STA(&ring[8 * (h) + 3][g], r3);                                        \
        STA(&ring[8 * (h) + 4][g], r4);                                        \
        STA(&ring[8 * (h) + 5][g], r5);                                        \
        STA(&ring[8 * (h) + 6][g], r6);                                        \
        STA(&ring[8 * (h) + 7][g], r7);                                        \
    } while (0)

/* FF is the feed-forward of word w for group G (lanes lo..lo+7). */
#define FF(G, v, w, lo)                          \
    do {                                         \
        G##v = _mm256_add_epi32(G##v, LDA(&l->h[w][lo])); \
        STA(&l->h[w][lo], G##v);                 \
    } while (0)

/* e2e_avx512_sha256_blocks_x16 runs the FIPS 180-4 sec. 6.2.2 compression over
 * nblk consecutive 64-byte blocks of each of the 16 lanes: lane i reads
 * l->data[i] (any alignment; lanes may point at the same bytes) and updates
 * l->h[0..7][i]. l->data is not advanced. nblk may be 0. */
static E2E_AVX512_TARGET void e2e_avx512_sha256_blocks_x16(struct e2e_sha_lanes *l,
                                                           size_t nblk)
{
    /* Reverses the bytes of each 32-bit word, in both 128-bit lanes. */
    const __m256i bswap = _mm256_broadcastsi128_si256(
        _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL));
    __m256i xa, xb, xc, xd, xe, xf, xg, xh, ya, yb, yc, yd, ye, yf, yg, yh;
    __m256i wrx0, wrx1, wry0, wry1;
    __m256i ring[16][2]; /* ring[j][g]: W[t], t = j mod 16, of group g */

    E2E_HIT(E2E_HIT_AVX512_SHA256_X16);
    for (size_t off = 0; nblk > 0; nblk--, off += 64) {
        const uint32_t *kp = e2e_avx512_sha256_k;

        /* 16 streams are more than the hardware prefetchers follow: fetch
         * each lane's block 8 ahead (a prefetch past a buffer's end is
         * harmless; it never faults). */
        for (int i = 0; i < 16; i++)
            _mm_prefetch((const char *)l->data[i] + off + 512, _MM_HINT_T0);

        LOAD8(0, 0);
        LOAD8(0, 1);
        LOAD8(1, 0);
        LOAD8(1, 1);
        wrx0 = ring[14][0]; wrx1 = ring[15][0];
        wry0 = ring[14][1]; wry1 = ring[15][1];
        /* The state is (re)loaded after the transposition, so that its 16
         * registers are free during it. */
        xa = LDA(&l->h[0][0]); xb = LDA(&l->h[1][0]); xc = LDA(&l->h[2][0]); xd = LDA(&l->h[3][0]);
        xe = LDA(&l->h[4][0]); xf = LDA(&l->h[5][0]); xg = LDA(&l->h[6][0]); xh = LDA(&l->h[7][0]);
        ya = LDA(&l->h[0][8]); yb = LDA(&l->h[1][8]); yc = LDA(&l->h[2][8]); yd = LDA(&l->h[3][8]);
        ye = LDA(&l->h[4][8]); yf = LDA(&l->h[5][8]); yg = LDA(&l->h[6][8]); yh = LDA(&l->h[7][8]);

        for (int i = 0; i < 3; i++, kp += 16) {
            R16(X_SCHED)
        }
        R16(X_LAST)

        /* sec. 6.2.2 step 4; l->h holds the state from before this block. */
        FF(x, a, 0, 0); FF(x, b, 1, 0); FF(x, c, 2, 0); FF(x, d, 3, 0);
        FF(x, e, 4, 0); FF(x, f, 5, 0); FF(x, g, 6, 0); FF(x, h, 7, 0);
        FF(y, a, 0, 8); FF(y, b, 1, 8); FF(y, c, 2, 8); FF(y, d, 3, 8);
        FF(y, e, 4, 8); FF(y, f, 5, 8); FF(y, g, 6, 8); FF(y, h, 7, 8);
    }
    e2e_wipe(ring, sizeof ring);
}

const struct e2e_sha_lane_impl e2e_sha_lane_impl_avx512 = {
    "avx512",
    E2E_CPU_AVX512,
    16,
    e2e_avx512_sha256_blocks_x16,
    NULL, /* no fused HMAC: the scheduler builds the outer block */
    NULL, /* lockstep lanes: no whole-message HMACs */
};

#endif /* __x86_64__ */
