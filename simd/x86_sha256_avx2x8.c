/* x86_sha256_avx2x8.c — SHA-256 compression across 8 messages with AVX2
 * (x86-64), one message per 32-bit lane of a ymm register.
 *
 * Implementation notes
 *  - Exports only e2e_sha_lane_impl_avx2 (simd/impl.h). The file is built
 *    without -mavx2; every function carries target("avx2"), so nothing here
 *    may run unless the engine saw E2E_CPU_AVX2 (which cpu.c reports only
 *    when the OS saves ymm state). Lanes 8..15 of the lane struct are never
 *    touched.
 *  - Lane i is message i; word Hw of the 8 lanes is the first 32 bytes of
 *    the 64-byte aligned row l->h[w]. The state is loaded after each block's
 *    transposition (which needs the registers: AVX2 has only 16) and stored
 *    back after the block; that store is the feed-forward (FIPS 180-4
 *    sec. 6.2.2 step 4).
 *  - Message (sec. 3.1, 6.2.2 step 1): eight 32-byte halves are loaded
 *    (unaligned, through each lane's own pointer; lanes may alias),
 *    byte-swapped with VPSHUFB and transposed 8x8 (VPUNPCK{L,H}DQ,
 *    VPUNPCK{L,H}QDQ, VPERM2I128) into ring[0..15] = W[0..15].
 *  - Schedule: ring is the 16-word window on the stack. Right after round t
 *    (t < 48), W[t+16] = s1(W[t+14]) + W[t+9] + s0(W[t+1]) + W[t] goes into
 *    the slot of W[t]; W[t+14] comes from a register (computed two rounds
 *    earlier), not back through the ring: a load that closely follows the
 *    store of the same slot stalls the loop (measured in the AVX-512 kernel).
 *  - AVX2 has no rotate and no ternary logic: each rotation in the sigma
 *    functions is two shifts whose results go straight into the XOR sum
 *    (sec. 4.1.2: 6 shifts + 5 XORs for S0 / S1, 5 + 4 for s0 / s1). Ch is
 *    ((f ^ g) & e) ^ g. Maj(a,b,c) = ((a ^ b) & (b ^ c)) ^ b, where b ^ c is
 *    the previous round's a ^ b, carried in a register (bc0 / bc1 by the
 *    parity of t), so Maj costs three operations.
 *  - Rounds and schedule steps are inline asm so that the association of the
 *    sums (the new e is d + h + W + K + Ch + S1(e), formed with S1 last) and
 *    the use of the 16 registers do not depend on the compiler; see
 *    x86_sha256_avx512x16.c for the measurements behind that choice. K[t] is
 *    broadcast from the 4-byte table (VPBROADCASTD from memory is a load).
 *  - Rounds 0..47 are a 3-trip loop around one unrolled 16-round body, which
 *    keeps the loop small enough for the instruction caches.
 *  - No data-dependent branches or table lookups; control flow depends on
 *    nblk only. The ring (message words) is wiped on return.
 */
#if defined(__x86_64__)

#include <immintrin.h>

#include "../engine/ct.h"
#include "../engine/e2ecrypt.h"
#include "impl.h"

#define E2E_AVX2_TARGET __attribute__((target("avx2")))

/* FIPS 180-4 sec. 4.2.2. */
static const uint32_t e2e_avx2_sha256_k[64] __attribute__((aligned(64))) = {
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

/* RND is round t: H_ += W[t] + K[t] + Ch(E_, F_, G_); D_ += H_ + S1(E_)
 * (the new e); H_ += S1(E_) + Maj + S0(A_) (the new a). BC_ holds b ^ c on
 * entry; NC_ receives a ^ b (the next round's b ^ c). In AT&T operand order
 * "op src2, src1, dst" computes dst = src1 op src2. */
#define RND(A_, B_, D_, E_, F_, G_, H_, BC_, NC_, wmem, kmem)                       \
    do {                                                                            \
        __m256i t1_, t2_, t3_;                                                      \
        __asm__("vpaddd %[w], %[h], %[h]\n\t"                                       \
                "vpbroadcastd %[k], %[t1]\n\t"                                      \
                "vpaddd %[t1], %[h], %[h]\n\t"                                      \
                "vpxor %[f], %[g], %[t1]\n\t"                                       \
                "vpand %[e], %[t1], %[t1]\n\t"                                      \
                "vpxor %[g], %[t1], %[t1]\n\t"                                      \
                "vpaddd %[t1], %[h], %[h]\n\t"                                      \
                "vpsrld $6, %[e], %[t1]\n\t"                                        \
                "vpslld $26, %[e], %[t2]\n\t"                                       \
                "vpxor %[t2], %[t1], %[t1]\n\t"                                     \
                "vpsrld $11, %[e], %[t2]\n\t"                                       \
                "vpslld $21, %[e], %[t3]\n\t"                                       \
                "vpxor %[t3], %[t2], %[t2]\n\t"                                     \
                "vpxor %[t2], %[t1], %[t1]\n\t"                                     \
                "vpsrld $25, %[e], %[t2]\n\t"                                       \
                "vpslld $7, %[e], %[t3]\n\t"                                        \
                "vpxor %[t3], %[t2], %[t2]\n\t"                                     \
                "vpxor %[t2], %[t1], %[t1]\n\t"                                     \
                "vpaddd %[h], %[d], %[d]\n\t"                                       \
                "vpaddd %[t1], %[d], %[d]\n\t"                                      \
                "vpaddd %[t1], %[h], %[h]\n\t"                                      \
                "vpxor %[b], %[a], %[nc]\n\t"                                       \
                "vpand %[nc], %[bc], %[t2]\n\t"                                     \
                "vpxor %[b], %[t2], %[t2]\n\t"                                      \
                "vpaddd %[t2], %[h], %[h]\n\t"                                      \
                "vpsrld $2, %[a], %[t1]\n\t"                                        \
                "vpslld $30, %[a], %[t2]\n\t"                                       \
                "vpxor %[t2], %[t1], %[t1]\n\t"                                     \
                "vpsrld $13, %[a], %[t2]\n\t"                                       \
                "vpslld $19, %[a], %[t3]\n\t"                                       \
                "vpxor %[t3], %[t2], %[t2]\n\t"                                     \
                "vpxor %[t2], %[t1], %[t1]\n\t"                                     \
                "vpsrld $22, %[a], %[t2]\n\t"                                       \
                "vpslld $10, %[a], %[t3]\n\t"                                       \
                "vpxor %[t3], %[t2], %[t2]\n\t"                                     \
                "vpxor %[t2], %[t1], %[t1]\n\t"                                     \
                "vpaddd %[t1], %[h], %[h]"                                          \
                : [d] "+x"(D_), [h] "+x"(H_), [nc] "=&x"(NC_), [t1] "=&x"(t1_),     \
                  [t2] "=&x"(t2_), [t3] "=&x"(t3_)                                  \
                : [a] "x"(A_), [b] "x"(B_), [e] "x"(E_), [f] "x"(F_), [g] "x"(G_),  \
                  [bc] "x"(BC_), [w] "m"(wmem), [k] "m"(kmem));                     \
    } while (0)

/* SCHED puts W[t+16] = s1(W[t+14]) + W[t+9] + s0(W[t+1]) + W[t] (sec. 6.2.2
 * step 1) into ring slot j = t mod 16. WR holds W[t+14] on entry and W[t+16]
 * on exit (the input two rounds later). */
#define SCHED(j, WR)                                                                \
    do {                                                                            \
        __m256i s0_, s1_, s2_, s3_;                                                 \
        __asm__("vpsrld $10, %[w14], %[s1]\n\t"                                     \
                "vpsrld $17, %[w14], %[s2]\n\t"                                     \
                "vpxor %[s2], %[s1], %[s1]\n\t"                                     \
                "vpsrld $19, %[w14], %[s2]\n\t"                                     \
                "vpxor %[s2], %[s1], %[s1]\n\t"                                     \
                "vpslld $15, %[w14], %[s2]\n\t"                                     \
                "vpxor %[s2], %[s1], %[s1]\n\t"                                     \
                "vpslld $13, %[w14], %[s2]\n\t"                                     \
                "vpxor %[s2], %[s1], %[s1]\n\t"                                     \
                "vpaddd %[w0], %[s1], %[s1]\n\t"                                    \
                "vpaddd %[w9], %[s1], %[s1]\n\t"                                    \
                "vmovdqa %[w1], %[s0]\n\t"                                          \
                "vpsrld $3, %[s0], %[s2]\n\t"                                       \
                "vpsrld $7, %[s0], %[s3]\n\t"                                       \
                "vpxor %[s3], %[s2], %[s2]\n\t"                                     \
                "vpsrld $18, %[s0], %[s3]\n\t"                                      \
                "vpxor %[s3], %[s2], %[s2]\n\t"                                     \
                "vpslld $25, %[s0], %[s3]\n\t"                                      \
                "vpxor %[s3], %[s2], %[s2]\n\t"                                     \
                "vpslld $14, %[s0], %[s0]\n\t"                                      \
                "vpxor %[s0], %[s2], %[s2]\n\t"                                     \
                "vpaddd %[s2], %[s1], %[s1]\n\t"                                    \
                "vmovdqa %[s1], %[w0]"                                              \
                : [w0] "+m"(ring[(j)]), [s0] "=&x"(s0_), [s1] "=&x"(s1_),           \
                  [s2] "=&x"(s2_), [s3] "=&x"(s3_)                                  \
                : [w1] "m"(ring[((j) + 1) & 15]), [w9] "m"(ring[((j) + 9) & 15]),   \
                  [w14] "x"(WR));                                                   \
        (WR) = s1_;                                                                 \
    } while (0)

/* By the parity of t: W[t+14] (wr0 / wr1), b ^ c in (bc0 / bc1). */
#define WR_0 wr0
#define WR_1 wr1
#define WR_2 wr0
#define WR_3 wr1
#define WR_4 wr0
#define WR_5 wr1
#define WR_6 wr0
#define WR_7 wr1
#define WR_8 wr0
#define WR_9 wr1
#define WR_10 wr0
#define WR_11 wr1
#define WR_12 wr0
#define WR_13 wr1
#define WR_14 wr0
#define WR_15 wr1
#define BC_0 bc0, bc1
#define BC_1 bc1, bc0
#define BC_2 bc0, bc1
#define BC_3 bc1, bc0
#define BC_4 bc0, bc1
#define BC_5 bc1, bc0
#define BC_6 bc0, bc1
#define BC_7 bc1, bc0
#define BC_8 bc0, bc1
#define BC_9 bc1, bc0
#define BC_10 bc0, bc1
#define BC_11 bc1, bc0
#define BC_12 bc0, bc1
#define BC_13 bc1, bc0
#define BC_14 bc0, bc1
#define BC_15 bc1, bc0

/* RND_ expands the BC_j pair into RND's two carry arguments. */
#define RND_(...) RND(__VA_ARGS__)

/* X_SCHED / X_LAST are round j of a 16-round body (kp points at K[t - j]);
 * X_SCHED also extends the schedule. c is not needed: Maj uses b ^ c. */
#define X_SCHED(a, b, c, d, e, f, g, h, j)                    \
    RND_(a, b, d, e, f, g, h, BC_##j, ring[j], kp[j]);        \
    SCHED(j, WR_##j);
#define X_LAST(a, b, c, d, e, f, g, h, j)                     \
    RND_(a, b, d, e, f, g, h, BC_##j, ring[j], kp[j]);

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

/* LOAD8 stores W[8h..8h+7] of the 8 lanes (block at byte offset off) into
 * ring[8h..8h+7]. */
#define LOAD8(h)                                                               \
    do {                                                                       \
        __m256i r0 = _mm256_shuffle_epi8(LDU(l->data[0] + off + 32 * (h)), bswap); \
        __m256i r1 = _mm256_shuffle_epi8(LDU(l->data[1] + off + 32 * (h)), bswap); \
        __m256i r2 = _mm256_shuffle_epi8(LDU(l->data[2] + off + 32 * (h)), bswap); \
        __m256i r3 = _mm256_shuffle_epi8(LDU(l->data[3] + off + 32 * (h)), bswap); \
        __m256i r4 = _mm256_shuffle_epi8(LDU(l->data[4] + off + 32 * (h)), bswap); \
        __m256i r5 = _mm256_shuffle_epi8(LDU(l->data[5] + off + 32 * (h)), bswap); \
        __m256i r6 = _mm256_shuffle_epi8(LDU(l->data[6] + off + 32 * (h)), bswap); \
        __m256i r7 = _mm256_shuffle_epi8(LDU(l->data[7] + off + 32 * (h)), bswap); \
        T4(r0, r1, r2, r3);                                                    \
        T4(r4, r5, r6, r7);                                                    \
        L2(r0, r4);                                                            \
        L2(r1, r5);                                                            \
        L2(r2, r6);                                                            \
        L2(r3, r7);                                                            \
        STA(&ring[8 * (h) + 0], r0);                                           \
        STA(&ring[8 * (h) + 1], r1);                                           \
        STA(&ring[8 * (h) + 2], r2);                                           \
        STA(&ring[8 * (h) + 3], r3);                                           \
        STA(&ring[8 * (h) + 4], r4);                                           \
        STA(&ring[8 * (h) + 5], r5);                                           \
        STA(&ring[8 * (h) + 6], r6);                                           \
        STA(&ring[8 * (h) + 7], r7);                                           \
    } while (0)

/* FF is the feed-forward of word w. */
#define FF(v, w)                                          \
    do {                                                  \
        v = _mm256_add_epi32(v, LDA(&l->h[w][0]));        \
        STA(&l->h[w][0], v);                              \
    } while (0)

/* e2e_avx2_sha256_blocks_x8 runs the FIPS 180-4 sec. 6.2.2 compression over
 * nblk consecutive 64-byte blocks of each of lanes 0..7: lane i reads
 * l->data[i] (any alignment; lanes may point at the same bytes) and updates
 * l->h[0..7][i]. Lanes 8..15 and l->data are not touched. nblk may be 0. */
static E2E_AVX2_TARGET void e2e_avx2_sha256_blocks_x8(struct e2e_sha_lanes *l, size_t nblk)
{
    /* Reverses the bytes of each 32-bit word, in both 128-bit lanes. */
    const __m256i bswap = _mm256_broadcastsi128_si256(
        _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL));
    __m256i a, b, c, d, e, f, g, h, wr0, wr1, bc0, bc1;
    __m256i ring[16]; /* ring[j]: W[t], t = j mod 16 */

    E2E_HIT(E2E_HIT_AVX2_SHA256_X8);
    for (size_t off = 0; nblk > 0; nblk--, off += 64) {
        const uint32_t *kp = e2e_avx2_sha256_k;

        LOAD8(0);
        LOAD8(1);
        wr0 = ring[14];
        wr1 = ring[15];
        a = LDA(&l->h[0][0]); b = LDA(&l->h[1][0]); c = LDA(&l->h[2][0]); d = LDA(&l->h[3][0]);
        e = LDA(&l->h[4][0]); f = LDA(&l->h[5][0]); g = LDA(&l->h[6][0]); h = LDA(&l->h[7][0]);
        bc0 = _mm256_xor_si256(b, c);

        for (int i = 0; i < 3; i++, kp += 16) {
            R16(X_SCHED)
        }
        R16(X_LAST)

        /* sec. 6.2.2 step 4; l->h holds the state from before this block. */
        FF(a, 0); FF(b, 1); FF(c, 2); FF(d, 3);
        FF(e, 4); FF(f, 5); FF(g, 6); FF(h, 7);
    }
    e2e_wipe(ring, sizeof ring);
}

const struct e2e_sha_lane_impl e2e_sha_lane_impl_avx2 = {
    "avx2",
    E2E_CPU_AVX2,
    8,
    e2e_avx2_sha256_blocks_x8,
    NULL, /* no fused HMAC: the scheduler builds the outer block */
    NULL, /* lockstep lanes: no whole-message HMACs */
};

#endif /* __x86_64__ */
