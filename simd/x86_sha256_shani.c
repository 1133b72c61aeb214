/* x86_sha256_shani.c — SHA-256 compression with the SHA extensions, one
 * stream, or two interleaved streams for the lane scheduler (x86-64).
 *
 * Implementation notes
 *  - Exports only e2e_sha_impl_shani, e2e_sha_impl_shani_aes (the same with
 *    the stitched CBC + HMAC of a single-message seal, which also needs
 *    AES-NI), e2e_sha_lane_impl_shani and e2e_sha_lane_impl_shani16
 *    (simd/impl.h). The file is built without -msha; every function carries
 *    target("sha,sse4.1,ssse3") (plus "aes" for the stitched one), so
 *    nothing here may run unless the engine saw E2E_CPU_SHANI | SSSE3 |
 *    SSE41 (| AESNI).
 *  - The caller's state is H0..H7 as host-order words (FIPS 180-4 sec. 6.2).
 *    SHA256RNDS2 wants it as two registers, ABEF = (F, E, B, A) and
 *    CDGH = (H, G, D, C) from lane 0 up; the function converts on entry and
 *    back on exit, so the state never leaves that layout in memory.
 *  - Each 4-round group feeds W[4i..4i+3] + K[4i..4i+3] to two SHA256RNDS2
 *    (two rounds each) and, overlapped with them, extends the schedule
 *    (sec. 6.2.2 step 1) with SHA256MSG1 / PALIGNR + PADDD / SHA256MSG2.
 *  - e2e_sha_lane_impl_shani runs two independent messages (lanes 0 and 1
 *    of a struct e2e_sha_lanes) through the same code interleaved, so one
 *    stream's SHA256RNDS2 executes in the other's latency shadow (the
 *    instruction has a 4-cycle latency and one stream is a serial chain of
 *    32 of them per block). Each lane's word-major state l->h[0..7][i] is
 *    gathered into ABEF / CDGH on entry and scattered back on exit.
 *  - e2e_sha_lane_impl_shani16 runs the 8 pairs of a 16-lane struct one
 *    after the other in one call: the same arithmetic as two streams, with
 *    the scheduler's per-call work shared by 16 messages.
 *  - hmac_msgs (both tables) runs whole HMACs, two messages interleaved
 *    from their first block to their digest with the state in registers:
 *    segments of unequal length cost the scheduler nothing, and an
 *    HMAC-only open's plaintext is stored from the registers the block was
 *    loaded into (copying it after the check read it from L2 again).
 *  - No data-dependent branches or table lookups (segment lengths are
 *    public).
 */
#if defined(__x86_64__)

#include <immintrin.h>

#include "../engine/e2ecrypt.h"
#include "impl.h"

#define E2E_SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

#define LDU(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STU(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))

/* FIPS 180-4 sec. 4.2.2. */
static const uint32_t e2e_shani_sha256_k[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* RNDS4 runs rounds 4i..4i+3 with m = W[4i..4i+3] (lane 0 = W[4i]); the two
 * round pairs take their W+K from lanes 0-1 and then 2-3. */
#define RNDS4(i, m)                                                                         \
    do {                                                                                    \
        wk = _mm_add_epi32((m), _mm_load_si128((const __m128i *)(const void *)            \
                                                   &e2e_shani_sha256_k[4 * (i)]));          \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                       \
        wk = _mm_shuffle_epi32(wk, 0x0e);                                                   \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);                                       \
    } while (0)

/* RNDS4_MSG2 is RNDS4 plus, overlapped with it, the end of the schedule for the
 * next group: mn += W[4i-3..4i] (PALIGNR of mp:m), then
 * mn = MSG2(mn, m) adds sigma1 of W[4i+2..4i+3] and completes
 * W[4i+4..4i+7] (FIPS 180-4 sec. 6.2.2 step 1). */
#define RNDS4_MSG2(i, m, mp, mn)                                                            \
    do {                                                                                    \
        wk = _mm_add_epi32((m), _mm_load_si128((const __m128i *)(const void *)            \
                                                   &e2e_shani_sha256_k[4 * (i)]));          \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                       \
        (mn) = _mm_add_epi32((mn), _mm_alignr_epi8((m), (mp), 4));                          \
        (mn) = _mm_sha256msg2_epu32((mn), (m));                                             \
        wk = _mm_shuffle_epi32(wk, 0x0e);                                                   \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);                                       \
    } while (0)

/* BSWAP32X4 reverses the bytes of each 32-bit word: the message is
 * big-endian. */
#define BSWAP32X4() _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL)

/* state_in converts H0..H7 (host-order words, no alignment beyond uint32_t)
 * into SHA256RNDS2's ABEF = (F,E,B,A), CDGH = (H,G,D,C); state_out back. */
static inline __attribute__((always_inline)) E2E_SHANI_TARGET void
state_in(const uint32_t h[8], __m128i *abef, __m128i *cdgh)
{
    __m128i t = _mm_shuffle_epi32(LDU(&h[0]), 0xb1);   /* B A D C */
    __m128i c = _mm_shuffle_epi32(LDU(&h[4]), 0x1b);   /* H G F E */
    *abef = _mm_alignr_epi8(t, c, 8);                  /* F E B A */
    *cdgh = _mm_blend_epi16(c, t, 0xf0);               /* H G D C */
}

static inline __attribute__((always_inline)) E2E_SHANI_TARGET void
state_out(uint32_t h[8], __m128i abef, __m128i cdgh)
{
    __m128i t = _mm_shuffle_epi32(abef, 0x1b);         /* A B E F */
    cdgh = _mm_shuffle_epi32(cdgh, 0xb1);              /* G H C D */
    STU(&h[0], _mm_blend_epi16(t, cdgh, 0xf0));        /* A B C D */
    STU(&h[4], _mm_alignr_epi8(cdgh, t, 8));           /* E F G H */
}

/* SHA_ROUNDS(STEP) is the 64 rounds of one block on abef / cdgh (with wk),
 * the message in m0..m3: group i uses W[4i..4i+3] from m(i mod 4); from
 * group 3 to 14 it finishes W[4i+4..] (MSG2 into m((i+1) mod 4)), from group
 * 1 to 12 it starts W[4i+12..] (MSG1 on m((i-1) mod 4)). After group g it
 * runs STEP(g / 4, g % 4): nothing for plain SHA-256, a share of another
 * chain's work where one is stitched in (compress1_cbc4). */
#define SHA_ROUNDS(STEP)                                                   \
    do {                                                                   \
        RNDS4(0, m0); STEP(0, 0);                                          \
        RNDS4(1, m1); STEP(0, 1);                                          \
        m0 = _mm_sha256msg1_epu32(m0, m1);                                 \
        RNDS4(2, m2); STEP(0, 2);                                          \
        m1 = _mm_sha256msg1_epu32(m1, m2);                                 \
        RNDS4_MSG2(3, m3, m2, m0); STEP(0, 3);                             \
        m2 = _mm_sha256msg1_epu32(m2, m3);                                 \
        RNDS4_MSG2(4, m0, m3, m1); STEP(1, 0);                             \
        m3 = _mm_sha256msg1_epu32(m3, m0);                                 \
        RNDS4_MSG2(5, m1, m0, m2); STEP(1, 1);                             \
        m0 = _mm_sha256msg1_epu32(m0, m1);                                 \
        RNDS4_MSG2(6, m2, m1, m3); STEP(1, 2);                             \
        m1 = _mm_sha256msg1_epu32(m1, m2);                                 \
        RNDS4_MSG2(7, m3, m2, m0); STEP(1, 3);                             \
        m2 = _mm_sha256msg1_epu32(m2, m3);                                 \
        RNDS4_MSG2(8, m0, m3, m1); STEP(2, 0);                             \
        m3 = _mm_sha256msg1_epu32(m3, m0);                                 \
        RNDS4_MSG2(9, m1, m0, m2); STEP(2, 1);                             \
        m0 = _mm_sha256msg1_epu32(m0, m1);                                 \
        RNDS4_MSG2(10, m2, m1, m3); STEP(2, 2);                            \
        m1 = _mm_sha256msg1_epu32(m1, m2);                                 \
        RNDS4_MSG2(11, m3, m2, m0); STEP(2, 3);                            \
        m2 = _mm_sha256msg1_epu32(m2, m3);                                 \
        RNDS4_MSG2(12, m0, m3, m1); STEP(3, 0);                            \
        m3 = _mm_sha256msg1_epu32(m3, m0);                                 \
        RNDS4_MSG2(13, m1, m0, m2); STEP(3, 1);                            \
        RNDS4_MSG2(14, m2, m1, m3); STEP(3, 2);                            \
        RNDS4(15, m3); STEP(3, 3);                                         \
    } while (0)
#define NO_STEP(j, s) ((void)0)

/* compress1 runs the FIPS 180-4 sec. 6.2.2 compression of one block, whose
 * words W0..W15 (already in host order) are m0..m3, on *abef / *cdgh. */
static inline __attribute__((always_inline)) E2E_SHANI_TARGET void
compress1(__m128i *pabef, __m128i *pcdgh, __m128i m0, __m128i m1, __m128i m2, __m128i m3)
{
    __m128i abef = *pabef, cdgh = *pcdgh, wk;
    const __m128i abef0 = abef, cdgh0 = cdgh;

    SHA_ROUNDS(NO_STEP);

    *pabef = _mm_add_epi32(abef, abef0);
    *pcdgh = _mm_add_epi32(cdgh, cdgh0);
}

/* e2e_shani_sha256_blocks runs the FIPS 180-4 sec. 6.2.2 compression over
 * nblk 64-byte blocks at in (no alignment required), updating state[8]
 * (host-order H0..H7; no alignment beyond uint32_t required). */
static E2E_SHANI_TARGET void e2e_shani_sha256_blocks(uint32_t state[8], const uint8_t *in,
                                                     size_t nblk)
{
    const __m128i bswap = BSWAP32X4();
    __m128i abef, cdgh;

    E2E_HIT(E2E_HIT_SHANI_BLOCKS);
    state_in(state, &abef, &cdgh);
    for (; nblk > 0; nblk--, in += 64)
        compress1(&abef, &cdgh, _mm_shuffle_epi8(LDU(in + 0), bswap),
                  _mm_shuffle_epi8(LDU(in + 16), bswap), _mm_shuffle_epi8(LDU(in + 32), bswap),
                  _mm_shuffle_epi8(LDU(in + 48), bswap));
    state_out(state, abef, cdgh);
}

/* RNDS4X2 is RNDS4 for both streams (suffixes 0 and 1), interleaved. */
#define RNDS4X2(i, m0, m1)                                                              \
    do {                                                                                \
        const __m128i k_ = _mm_load_si128((const __m128i *)(const void *)              \
                                              &e2e_shani_sha256_k[4 * (i)]);            \
        __m128i wk0_ = _mm_add_epi32((m0), k_), wk1_ = _mm_add_epi32((m1), k_);        \
        cdgh0 = _mm_sha256rnds2_epu32(cdgh0, abef0, wk0_);                              \
        cdgh1 = _mm_sha256rnds2_epu32(cdgh1, abef1, wk1_);                              \
        wk0_ = _mm_shuffle_epi32(wk0_, 0x0e);                                           \
        wk1_ = _mm_shuffle_epi32(wk1_, 0x0e);                                           \
        abef0 = _mm_sha256rnds2_epu32(abef0, cdgh0, wk0_);                              \
        abef1 = _mm_sha256rnds2_epu32(abef1, cdgh1, wk1_);                              \
    } while (0)

/* MSG2X2 finishes W[4i+4..4i+7] of both streams into mn (see RNDS4_MSG2). */
#define MSG2X2(m0, mp0, mn0, m1, mp1, mn1)                                              \
    do {                                                                                \
        (mn0) = _mm_add_epi32((mn0), _mm_alignr_epi8((m0), (mp0), 4));                  \
        (mn1) = _mm_add_epi32((mn1), _mm_alignr_epi8((m1), (mp1), 4));                  \
        (mn0) = _mm_sha256msg2_epu32((mn0), (m0));                                      \
        (mn1) = _mm_sha256msg2_epu32((mn1), (m1));                                      \
    } while (0)

/* MSG1X2 starts W[4i+12..] of both streams: m = MSG1(m, mnext). */
#define MSG1X2(a0, b0, a1, b1)                  \
    do {                                        \
        (a0) = _mm_sha256msg1_epu32((a0), (b0)); \
        (a1) = _mm_sha256msg1_epu32((a1), (b1)); \
    } while (0)

/* G4 is group i of both streams: rounds 4i..4i+3 on m<j>, then, when
 * asked, the MSG2 step into m<(j+1) mod 4> and the MSG1 step on
 * m<(j+3) mod 4> (the same order as the single-stream kernel). */
#define G4(i, j, jp, jn, jq, do2, do1)                                                 \
    do {                                                                                \
        RNDS4X2(i, x##j, y##j);                                                         \
        if (do2)                                                                        \
            MSG2X2(x##j, x##jp, x##jn, y##j, y##jp, y##jn);                             \
        if (do1)                                                                        \
            MSG1X2(x##jq, x##j, y##jq, y##j);                                           \
    } while (0)

/* COMPRESS_X2 runs the 64 rounds of one block on both streams (abef0/cdgh0
 * with message x0..x3, abef1/cdgh1 with y0..y3). As in
 * e2e_shani_sha256_blocks: group i uses m(i mod 4), groups 3..14 finish
 * W[4i+4..] into m((i+1) mod 4), groups 1..12 start W[4i+12..] on
 * m((i-1) mod 4). */
#define COMPRESS_X2()                \
    do {                             \
        G4(0, 0, 3, 1, 3, 0, 0);     \
        G4(1, 1, 0, 2, 0, 0, 1);     \
        G4(2, 2, 1, 3, 1, 0, 1);     \
        G4(3, 3, 2, 0, 2, 1, 1);     \
        G4(4, 0, 3, 1, 3, 1, 1);     \
        G4(5, 1, 0, 2, 0, 1, 1);     \
        G4(6, 2, 1, 3, 1, 1, 1);     \
        G4(7, 3, 2, 0, 2, 1, 1);     \
        G4(8, 0, 3, 1, 3, 1, 1);     \
        G4(9, 1, 0, 2, 0, 1, 1);     \
        G4(10, 2, 1, 3, 1, 1, 1);    \
        G4(11, 3, 2, 0, 2, 1, 1);    \
        G4(12, 0, 3, 1, 3, 1, 1);    \
        G4(13, 1, 0, 2, 0, 1, 0);    \
        G4(14, 2, 1, 3, 1, 1, 0);    \
        G4(15, 3, 2, 0, 2, 0, 0);    \
    } while (0)

/* ABEF_OF / CDGH_OF load state words h0..h7 (host order) into SHA256RNDS2's
 * register layout: ABEF = (F, E, B, A) and CDGH = (H, G, D, C) from lane 0
 * up (_mm_set_epi32 lists lanes 3..0). */
#define ABEF_OF(h0, h1, h4, h5) _mm_set_epi32((int)(h0), (int)(h1), (int)(h4), (int)(h5))
#define CDGH_OF(h2, h3, h6, h7) _mm_set_epi32((int)(h2), (int)(h3), (int)(h6), (int)(h7))

/* e2e_shani_sha256_pair runs the FIPS 180-4 sec. 6.2.2 compression over
 * nblk consecutive 64-byte blocks of lanes a and a + 1, interleaved. */
static inline __attribute__((always_inline)) E2E_SHANI_TARGET void
e2e_shani_sha256_pair(struct e2e_sha_lanes *l, unsigned a, size_t nblk, int hmac)
{
    const unsigned b = a + 1;
    const __m128i bswap = BSWAP32X4();
    const uint8_t *p0 = l->data[a], *p1 = l->data[b];
    /* ABEF = (F, E, B, A) and CDGH = (H, G, D, C) from lane 0 of the xmm up
     * (_mm_set_epi32 lists lanes 3..0). */
    __m128i abef0 = ABEF_OF(l->h[0][a], l->h[1][a], l->h[4][a], l->h[5][a]);
    __m128i cdgh0 = CDGH_OF(l->h[2][a], l->h[3][a], l->h[6][a], l->h[7][a]);
    __m128i abef1 = ABEF_OF(l->h[0][b], l->h[1][b], l->h[4][b], l->h[5][b]);
    __m128i cdgh1 = CDGH_OF(l->h[2][b], l->h[3][b], l->h[6][b], l->h[7][b]);

    for (; nblk > 0; nblk--, p0 += 64, p1 += 64) {
        const __m128i sa0 = abef0, sc0 = cdgh0, sa1 = abef1, sc1 = cdgh1;
        __m128i x0 = _mm_shuffle_epi8(LDU(p0 + 0), bswap);
        __m128i y0 = _mm_shuffle_epi8(LDU(p1 + 0), bswap);
        __m128i x1 = _mm_shuffle_epi8(LDU(p0 + 16), bswap);
        __m128i y1 = _mm_shuffle_epi8(LDU(p1 + 16), bswap);
        __m128i x2 = _mm_shuffle_epi8(LDU(p0 + 32), bswap);
        __m128i y2 = _mm_shuffle_epi8(LDU(p1 + 32), bswap);
        __m128i x3 = _mm_shuffle_epi8(LDU(p0 + 48), bswap);
        __m128i y3 = _mm_shuffle_epi8(LDU(p1 + 48), bswap);

        COMPRESS_X2();

        abef0 = _mm_add_epi32(abef0, sa0);
        cdgh0 = _mm_add_epi32(cdgh0, sc0);
        abef1 = _mm_add_epi32(abef1, sa1);
        cdgh1 = _mm_add_epi32(cdgh1, sc1);
    }
    if (hmac) {
        /* HMAC's outer hash (RFC 2104): one block, the inner digest and
         * its padding, under the key's outer state. The digest words go
         * straight from ABEF / CDGH into the message registers:
         * unpackhi64(ABEF, CDGH) = (B, A, D, C), unpacklo64 = (F, E, H, G),
         * and swapping the words of each pair gives W0..3 and W4..7. */
        const uint32_t *o0 = l->outer[a], *o1 = l->outer[b];
        const __m128i pad0 = _mm_set_epi32(0, 0, 0, (int)0x80000000u);
        const __m128i pad1 = _mm_set_epi32(768, 0, 0, 0);  /* (64 + 32) * 8 bits */
        __m128i x0 = _mm_shuffle_epi32(_mm_unpackhi_epi64(abef0, cdgh0), 0xb1);
        __m128i x1 = _mm_shuffle_epi32(_mm_unpacklo_epi64(abef0, cdgh0), 0xb1);
        __m128i y0 = _mm_shuffle_epi32(_mm_unpackhi_epi64(abef1, cdgh1), 0xb1);
        __m128i y1 = _mm_shuffle_epi32(_mm_unpacklo_epi64(abef1, cdgh1), 0xb1);
        __m128i x2 = pad0, y2 = pad0, x3 = pad1, y3 = pad1;
        abef0 = ABEF_OF(o0[0], o0[1], o0[4], o0[5]);
        cdgh0 = CDGH_OF(o0[2], o0[3], o0[6], o0[7]);
        abef1 = ABEF_OF(o1[0], o1[1], o1[4], o1[5]);
        cdgh1 = CDGH_OF(o1[2], o1[3], o1[6], o1[7]);
        const __m128i sa0 = abef0, sc0 = cdgh0, sa1 = abef1, sc1 = cdgh1;
        COMPRESS_X2();
        abef0 = _mm_add_epi32(abef0, sa0);
        cdgh0 = _mm_add_epi32(cdgh0, sc0);
        abef1 = _mm_add_epi32(abef1, sa1);
        cdgh1 = _mm_add_epi32(cdgh1, sc1);
    }

    /* Back to word-major: A = lane 3 of ABEF, B = 2, E = 1, F = 0; C = lane 3
     * of CDGH, D = 2, G = 1, H = 0. */
    l->h[0][a] = (uint32_t)_mm_extract_epi32(abef0, 3);
    l->h[1][a] = (uint32_t)_mm_extract_epi32(abef0, 2);
    l->h[4][a] = (uint32_t)_mm_extract_epi32(abef0, 1);
    l->h[5][a] = (uint32_t)_mm_cvtsi128_si32(abef0);
    l->h[2][a] = (uint32_t)_mm_extract_epi32(cdgh0, 3);
    l->h[3][a] = (uint32_t)_mm_extract_epi32(cdgh0, 2);
    l->h[6][a] = (uint32_t)_mm_extract_epi32(cdgh0, 1);
    l->h[7][a] = (uint32_t)_mm_cvtsi128_si32(cdgh0);
    l->h[0][b] = (uint32_t)_mm_extract_epi32(abef1, 3);
    l->h[1][b] = (uint32_t)_mm_extract_epi32(abef1, 2);
    l->h[4][b] = (uint32_t)_mm_extract_epi32(abef1, 1);
    l->h[5][b] = (uint32_t)_mm_cvtsi128_si32(abef1);
    l->h[2][b] = (uint32_t)_mm_extract_epi32(cdgh1, 3);
    l->h[3][b] = (uint32_t)_mm_extract_epi32(cdgh1, 2);
    l->h[6][b] = (uint32_t)_mm_extract_epi32(cdgh1, 1);
    l->h[7][b] = (uint32_t)_mm_cvtsi128_si32(cdgh1);
}

/* e2e_shani_sha256_blocks_x2 runs the FIPS 180-4 sec. 6.2.2 compression over
 * nblk consecutive 64-byte blocks of lanes 0 and 1: lane i reads l->data[i]
 * (any alignment; the two may point at the same bytes) and updates
 * l->h[0..7][i]. Lanes 2..15 and l->data are not touched. nblk may be 0. */
static E2E_SHANI_TARGET void e2e_shani_sha256_blocks_x2(struct e2e_sha_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_SHANI_SHA256_X2);
    e2e_shani_sha256_pair(l, 0, nblk, 0);
}

/* e2e_shani_hmac_sha256_x2 is e2e_shani_sha256_blocks_x2 followed by HMAC's
 * outer hash on lanes 0 and 1 (struct e2e_sha_lane_impl.hmac). */
static E2E_SHANI_TARGET void e2e_shani_hmac_sha256_x2(struct e2e_sha_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_SHANI_SHA256_X2);
    e2e_shani_sha256_pair(l, 0, nblk, 1);
}

/* e2e_shani_sha256_blocks_x16 is e2e_shani_sha256_blocks_x2 on the 8 lane
 * pairs (0,1), (2,3) .. (14,15) in turn. Short messages (HMAC's inner and
 * outer hash of a small payload are a block each) cost the scheduler one
 * call per 16 messages instead of one per 2. */
static E2E_SHANI_TARGET void e2e_shani_sha256_blocks_x16(struct e2e_sha_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_SHANI_SHA256_X16);
    for (unsigned a = 0; a < 16; a += 2)
        e2e_shani_sha256_pair(l, a, nblk, 0);
}

/* e2e_shani_hmac_sha256_x16: the same with HMAC's outer hash (.hmac). */
static E2E_SHANI_TARGET void e2e_shani_hmac_sha256_x16(struct e2e_sha_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_SHANI_SHA256_X16);
    for (unsigned a = 0; a < 16; a += 2)
        e2e_shani_sha256_pair(l, a, nblk, 1);
}

/* ---------------------------------------------------------------- whole HMACs
 *
 * hmac_msgs runs each message from its first block to its HMAC with the state
 * in registers throughout: no per-block scheduler work, no word-major state
 * in memory, and seg[1]'s optional copy made from the registers the block was
 * loaded into (the data is hashed and copied in one pass while it is in L1). */

/* struct hcur walks the inner blocks of one e2e_hmac_msg. */
struct hcur {
    const struct e2e_hmac_msg *m;
    const uint8_t *p;
    uint8_t *dst;   /* where the block p points at is copied, or NULL */
    size_t left;    /* blocks left in segment seg from p on */
    unsigned seg;
};

static inline __attribute__((always_inline)) size_t hcur_init(struct hcur *c,
                                                             const struct e2e_hmac_msg *m)
{
    c->m = m;
    c->seg = 0;
    c->p = m->in[0];
    c->left = m->nblk[0];
    c->dst = NULL;
    return m->nblk[0] + m->nblk[1] + m->nblk[2];
}

/* hcur_load loads the next block into w0..w3 (host-order words), copying
 * it first when its segment asks for it. The caller knows a block is left. */
static inline __attribute__((always_inline)) E2E_SHANI_TARGET void
hcur_load(struct hcur *c, __m128i bswap, __m128i *w0, __m128i *w1, __m128i *w2, __m128i *w3)
{
    while (c->left == 0) {
        c->seg++;
        c->p = c->m->in[c->seg];
        c->left = c->m->nblk[c->seg];
        c->dst = c->seg == 1 ? c->m->copy : NULL;
    }
    __m128i a = LDU(c->p), b = LDU(c->p + 16), d = LDU(c->p + 32), e = LDU(c->p + 48);
    if (c->dst != NULL) {  /* every load before the first store: dst <= p may overlap */
        STU(c->dst, a);
        STU(c->dst + 16, b);
        STU(c->dst + 32, d);
        STU(c->dst + 48, e);
        c->dst += 64;
    }
    c->p += 64;
    c->left--;
    *w0 = _mm_shuffle_epi8(a, bswap);
    *w1 = _mm_shuffle_epi8(b, bswap);
    *w2 = _mm_shuffle_epi8(d, bswap);
    *w3 = _mm_shuffle_epi8(e, bswap);
}

/* DIGEST_WORDS turns an inner digest in ABEF / CDGH into the outer block's
 * W0..3 and W4..7: unpackhi64(ABEF, CDGH) = (B, A, D, C), unpacklo64 =
 * (F, E, H, G); swapping the words of each pair gives (A, B, C, D) and
 * (E, F, G, H). W8 = 0x80000000 (the padding bit) and W15 = 768, the bit
 * length of opad-block || digest. */
#define DIGEST_WORDS(abef, cdgh, w0, w1, w2, w3)                            \
    do {                                                                    \
        (w0) = _mm_shuffle_epi32(_mm_unpackhi_epi64((abef), (cdgh)), 0xb1); \
        (w1) = _mm_shuffle_epi32(_mm_unpacklo_epi64((abef), (cdgh)), 0xb1); \
        (w2) = _mm_set_epi32(0, 0, 0, (int)0x80000000u);                    \
        (w3) = _mm_set_epi32(768, 0, 0, 0);                                 \
    } while (0)

/* hmac_one runs message m alone. */
static E2E_SHANI_TARGET void hmac_one(struct e2e_hmac_msg *m)
{
    const __m128i bswap = BSWAP32X4();
    struct hcur c;
    __m128i abef, cdgh, w0, w1, w2, w3;
    size_t n = hcur_init(&c, m);
    state_in(m->inner, &abef, &cdgh);
    for (; n > 0; n--) {
        hcur_load(&c, bswap, &w0, &w1, &w2, &w3);
        compress1(&abef, &cdgh, w0, w1, w2, w3);
    }
    DIGEST_WORDS(abef, cdgh, w0, w1, w2, w3);
    state_in(m->outer, &abef, &cdgh);
    compress1(&abef, &cdgh, w0, w1, w2, w3);
    state_out(m->h, abef, cdgh);
}

/* hmac_pair runs messages ma and mb interleaved for as many inner blocks as
 * both have, the longer one's rest alone, then both outer hashes
 * interleaved. */
static E2E_SHANI_TARGET void hmac_pair(struct e2e_hmac_msg *ma, struct e2e_hmac_msg *mb)
{
    const __m128i bswap = BSWAP32X4();
    struct hcur ca, cb;
    __m128i abef0, cdgh0, abef1, cdgh1;
    __m128i x0, x1, x2, x3, y0, y1, y2, y3;
    size_t na = hcur_init(&ca, ma), nb = hcur_init(&cb, mb);
    size_t both = na < nb ? na : nb;
    state_in(ma->inner, &abef0, &cdgh0);
    state_in(mb->inner, &abef1, &cdgh1);
    for (size_t i = 0; i < both; i++) {
        const __m128i sa0 = abef0, sc0 = cdgh0, sa1 = abef1, sc1 = cdgh1;
        hcur_load(&ca, bswap, &x0, &x1, &x2, &x3);
        hcur_load(&cb, bswap, &y0, &y1, &y2, &y3);
        COMPRESS_X2();
        abef0 = _mm_add_epi32(abef0, sa0);
        cdgh0 = _mm_add_epi32(cdgh0, sc0);
        abef1 = _mm_add_epi32(abef1, sa1);
        cdgh1 = _mm_add_epi32(cdgh1, sc1);
    }
    for (size_t i = both; i < na; i++) {
        hcur_load(&ca, bswap, &x0, &x1, &x2, &x3);
        compress1(&abef0, &cdgh0, x0, x1, x2, x3);
    }
    for (size_t i = both; i < nb; i++) {
        hcur_load(&cb, bswap, &y0, &y1, &y2, &y3);
        compress1(&abef1, &cdgh1, y0, y1, y2, y3);
    }
    DIGEST_WORDS(abef0, cdgh0, x0, x1, x2, x3);
    DIGEST_WORDS(abef1, cdgh1, y0, y1, y2, y3);
    state_in(ma->outer, &abef0, &cdgh0);
    state_in(mb->outer, &abef1, &cdgh1);
    {
        const __m128i sa0 = abef0, sc0 = cdgh0, sa1 = abef1, sc1 = cdgh1;
        COMPRESS_X2();
        abef0 = _mm_add_epi32(abef0, sa0);
        cdgh0 = _mm_add_epi32(cdgh0, sc0);
        abef1 = _mm_add_epi32(abef1, sa1);
        cdgh1 = _mm_add_epi32(cdgh1, sc1);
    }
    state_out(ma->h, abef0, cdgh0);
    state_out(mb->h, abef1, cdgh1);
}

/* e2e_shani_hmac_msgs runs n whole HMACs, two at a time
 * (struct e2e_sha_lane_impl.hmac_msgs). */
static E2E_SHANI_TARGET void e2e_shani_hmac_msgs(struct e2e_hmac_msg *m, size_t n)
{
    E2E_HIT(E2E_HIT_SHANI_HMAC_MSGS);
    size_t i = 0;
    for (; i + 2 <= n; i += 2)
        hmac_pair(&m[i], &m[i + 1]);
    if (i < n)
        hmac_one(&m[i]);
}

/* ---------------------------------------------------------------- stitched
 *
 * e2e_shani_aesni_cbc_hmac (struct e2e_sha_impl.cbc_hmac): a single-message
 * CS1 seal is HMAC over KIV || P, then CBC over P || T, and both are serial
 * chains, SHA256RNDS2's and AESENC's, each leaving its unit idle most of the
 * time. Only the blocks that carry T must wait for it, so the CBC chain over
 * P's whole blocks runs here interleaved with the HMAC: each step issues one
 * SHA-256 block (the outer hash is the last) with four CBC blocks woven
 * into its round groups, so each chain issues in the other's latency
 * shadow (leaving it to the out-of-order core, with the blocks one after
 * the other, measured 1.45x the serial seal at 16 KiB; woven, see the
 * commit). Round keys are memory operands (11 registers more would spill
 * the SHA state). */
#define E2E_SHANI_AES_TARGET __attribute__((target("sha,aes,sse4.1,ssse3")))

/* AES_STEP(j, s) is sub-step s (0..3) of CBC block j (0..3) of a step:
 * 0: XOR the plaintext and round key 0 in, rounds 1-2; 1: rounds 3-5;
 * 2: rounds 6-8; 3: round 9, the last round, and the store. */
#define AES_STEP(j, s)                                                          \
    do {                                                                        \
        if ((s) == 0) {                                                         \
            ch = _mm_xor_si128(ch, _mm_xor_si128(LDU(in + 16 * (j)), LDU(rk[0]))); \
            ch = _mm_aesenc_si128(ch, LDU(rk[1]));                              \
            ch = _mm_aesenc_si128(ch, LDU(rk[2]));                              \
        } else if ((s) == 1) {                                                  \
            ch = _mm_aesenc_si128(ch, LDU(rk[3]));                              \
            ch = _mm_aesenc_si128(ch, LDU(rk[4]));                              \
            ch = _mm_aesenc_si128(ch, LDU(rk[5]));                              \
        } else if ((s) == 2) {                                                  \
            ch = _mm_aesenc_si128(ch, LDU(rk[6]));                              \
            ch = _mm_aesenc_si128(ch, LDU(rk[7]));                              \
            ch = _mm_aesenc_si128(ch, LDU(rk[8]));                              \
        } else {                                                                \
            ch = _mm_aesenc_si128(ch, LDU(rk[9]));                              \
            ch = _mm_aesenclast_si128(ch, LDU(rk[10]));                         \
            STU(out + 16 * (j), ch);                                            \
        }                                                                       \
    } while (0)

/* compress1_cbc4 is compress1 with four CBC blocks (in[0..64) to
 * out[0..64), chaining *pch under rk) woven into its round groups: group
 * g carries sub-step g % 4 of block g / 4, so each of the two serial chains
 * issues while the other waits on its latency. */
static inline __attribute__((always_inline)) E2E_SHANI_AES_TARGET void
compress1_cbc4(__m128i *pabef, __m128i *pcdgh, __m128i m0, __m128i m1, __m128i m2, __m128i m3,
               __m128i *pch, const uint8_t (*rk)[16], uint8_t *out, const uint8_t *in)
{
    __m128i abef = *pabef, cdgh = *pcdgh, wk, ch = *pch;
    const __m128i abef0 = abef, cdgh0 = cdgh;

    SHA_ROUNDS(AES_STEP);

    *pabef = _mm_add_epi32(abef, abef0);
    *pcdgh = _mm_add_epi32(cdgh, cdgh0);
    *pch = ch;
}

static E2E_SHANI_AES_TARGET void e2e_shani_aesni_cbc_hmac(const e2e_aes_key *k, uint8_t iv[16],
                                                          uint8_t *out, const uint8_t *in,
                                                          size_t nblk, struct e2e_hmac_msg *m)
{
    E2E_HIT(E2E_HIT_SHANI_AESNI_CBC_HMAC);
    const __m128i bswap = BSWAP32X4();
    const uint8_t(*rk)[16] = k->enc;
    struct hcur c;
    __m128i abef, cdgh, w0, w1, w2, w3, ch = LDU(iv);
    size_t inner = hcur_init(&c, m);
    int outer_done = 0;
    state_in(m->inner, &abef, &cdgh);
    /* one SHA-256 block (the inner ones, then the outer) and four CBC
     * blocks per step while both last */
    while (nblk >= 4 && !outer_done) {
        if (inner > 0) {
            hcur_load(&c, bswap, &w0, &w1, &w2, &w3);
            inner--;
        } else {
            DIGEST_WORDS(abef, cdgh, w0, w1, w2, w3);
            state_in(m->outer, &abef, &cdgh);
            outer_done = 1;
        }
        compress1_cbc4(&abef, &cdgh, w0, w1, w2, w3, &ch, rk, out, in);
        in += 64;
        out += 64;
        nblk -= 4;
    }
    /* the chain that is left alone */
    for (; inner > 0; inner--) {
        hcur_load(&c, bswap, &w0, &w1, &w2, &w3);
        compress1(&abef, &cdgh, w0, w1, w2, w3);
    }
    if (!outer_done) {
        DIGEST_WORDS(abef, cdgh, w0, w1, w2, w3);
        state_in(m->outer, &abef, &cdgh);
        compress1(&abef, &cdgh, w0, w1, w2, w3);
    }
    for (; nblk > 0; nblk--, in += 16, out += 16) {
        ch = _mm_xor_si128(ch, _mm_xor_si128(LDU(in), LDU(rk[0])));  /* one XOR on the chain */
        for (int r = 1; r < 10; r++)
            ch = _mm_aesenc_si128(ch, LDU(rk[r]));
        ch = _mm_aesenclast_si128(ch, LDU(rk[10]));
        STU(out, ch);
    }
    state_out(m->h, abef, cdgh);
    STU(iv, ch);
}
#undef AES_STEP

const struct e2e_sha_impl e2e_sha_impl_shani = {
    "shani",
    E2E_CPU_SHANI | E2E_CPU_SSSE3 | E2E_CPU_SSE41,
    e2e_shani_sha256_blocks,
    NULL, /* cbc_hmac needs AES-NI: e2e_sha_impl_shani_aes */
};

const struct e2e_sha_impl e2e_sha_impl_shani_aes = {
    "shani",
    E2E_CPU_SHANI | E2E_CPU_AESNI | E2E_CPU_SSSE3 | E2E_CPU_SSE41,
    e2e_shani_sha256_blocks,
    e2e_shani_aesni_cbc_hmac,
};

const struct e2e_sha_lane_impl e2e_sha_lane_impl_shani = {
    "shani",
    E2E_CPU_SHANI | E2E_CPU_SSSE3 | E2E_CPU_SSE41,
    2,
    e2e_shani_sha256_blocks_x2,
    e2e_shani_hmac_sha256_x2,
    e2e_shani_hmac_msgs,
};

const struct e2e_sha_lane_impl e2e_sha_lane_impl_shani16 = {
    "shani-x16",
    E2E_CPU_SHANI | E2E_CPU_SSSE3 | E2E_CPU_SSE41,
    16,
    e2e_shani_sha256_blocks_x16,
    e2e_shani_hmac_sha256_x16,
    e2e_shani_hmac_msgs,
};

#endif /* __x86_64__ */
