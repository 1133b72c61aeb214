/* sha256.c — e2e portable SHA-256 compression function (FIPS 180-4).
 *
 * Implementation notes
 * - Exports only e2e_sha_impl_portable; padding, lengths and HMAC live in
 *   engine/hmac.c, which drives this through the table.
 * - Constant time: the rounds are straight-line 32-bit arithmetic; the only
 *   table, K (sec. 4.2.2), is indexed by the round number. Branches depend on
 *   nblk alone.
 * - Message words are loaded big-endian byte by byte (sec. 3.1 and 6.2.2
 *   step 1), so in needs no alignment and the host byte order does not
 *   matter. The schedule is kept in a 16-word ring (sec. 6.2.2 step 1 computes
 *   W[t] from W[t-2], W[t-7], W[t-15], W[t-16] only) and wiped on return,
 *   since HMAC feeds key-derived blocks through here.
 */
#include "../simd/impl.h"
#include "ct.h"

/* FIPS 180-4 sec. 4.2.2: the first 32 bits of the fractional parts of the
 * cube roots of the first 64 primes. */
static const uint32_t e2e_portable_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define E2E_ROTR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
/* sec. 4.1.2, (4.2)-(4.7); Ch and Maj in their 3-operation forms. */
#define E2E_CH(x, y, z)  ((z) ^ ((x) & ((y) ^ (z))))
#define E2E_MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define E2E_BSIG0(x) (E2E_ROTR32(x, 2) ^ E2E_ROTR32(x, 13) ^ E2E_ROTR32(x, 22))
#define E2E_BSIG1(x) (E2E_ROTR32(x, 6) ^ E2E_ROTR32(x, 11) ^ E2E_ROTR32(x, 25))
#define E2E_SSIG0(x) (E2E_ROTR32(x, 7) ^ E2E_ROTR32(x, 18) ^ ((x) >> 3))
#define E2E_SSIG1(x) (E2E_ROTR32(x, 17) ^ E2E_ROTR32(x, 19) ^ ((x) >> 10))

/* W[t] for t >= 16, computed in place in the ring w[t mod 16]. */
#define E2E_SCHED(t) \
    (w[(t) & 15] += E2E_SSIG1(w[((t) - 2) & 15]) + w[((t) - 7) & 15] + \
                    E2E_SSIG0(w[((t) - 15) & 15]))

/* One round (sec. 6.2.2 step 3) with the working variables renamed instead
 * of shifted: after it, h holds the new a and d the new e. */
#define E2E_ROUND(a, b, c, d, e, f, g, h, t, wt)                               \
    do {                                                                     \
        uint32_t t1_ = (h) + E2E_BSIG1(e) + E2E_CH(e, f, g) +                \
                       e2e_portable_sha256_k[t] + (wt);                      \
        uint32_t t2_ = E2E_BSIG0(a) + E2E_MAJ(a, b, c);                      \
        (d) += t1_;                                                          \
        (h) = t1_ + t2_;                                                     \
    } while (0)

#define E2E_ROUND8(t, W)                                                     \
    do {                                                                     \
        E2E_ROUND(a, b, c, d, e, f, g, h, (t) + 0, W((t) + 0));              \
        E2E_ROUND(h, a, b, c, d, e, f, g, (t) + 1, W((t) + 1));              \
        E2E_ROUND(g, h, a, b, c, d, e, f, (t) + 2, W((t) + 2));              \
        E2E_ROUND(f, g, h, a, b, c, d, e, (t) + 3, W((t) + 3));              \
        E2E_ROUND(e, f, g, h, a, b, c, d, (t) + 4, W((t) + 4));              \
        E2E_ROUND(d, e, f, g, h, a, b, c, (t) + 5, W((t) + 5));              \
        E2E_ROUND(c, d, e, f, g, h, a, b, (t) + 6, W((t) + 6));              \
        E2E_ROUND(b, c, d, e, f, g, h, a, (t) + 7, W((t) + 7));              \
    } while (0)

#define E2E_W_LOAD(t)  (w[(t)])
#define E2E_W_SCHED(t) E2E_SCHED(t)

/* e2e_portable_sha256_blocks runs the FIPS 180-4 sec. 6.2.2 compression over
 * nblk consecutive 64-byte blocks at in (any alignment), updating state
 * (H0..H7 as host-order words). nblk may be 0. */
static void e2e_portable_sha256_blocks(uint32_t state[8], const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_PORTABLE_SHA256);
    uint32_t w[16];

    if (nblk == 0)
        return;
    while (nblk-- > 0) {
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];

        for (int i = 0; i < 16; i++, in += 4)
            w[i] = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
                   (uint32_t)in[2] << 8 | (uint32_t)in[3];
        E2E_ROUND8(0, E2E_W_LOAD);
        E2E_ROUND8(8, E2E_W_LOAD);
        for (int t = 16; t < 64; t += 16) {
            E2E_ROUND8(t, E2E_W_SCHED);
            E2E_ROUND8(t + 8, E2E_W_SCHED);
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
    e2e_wipe(w, sizeof w);
}

#undef E2E_ROTR32
#undef E2E_CH
#undef E2E_MAJ
#undef E2E_BSIG0
#undef E2E_BSIG1
#undef E2E_SSIG0
#undef E2E_SSIG1
#undef E2E_SCHED
#undef E2E_ROUND
#undef E2E_ROUND8
#undef E2E_W_LOAD
#undef E2E_W_SCHED

const struct e2e_sha_impl e2e_sha_impl_portable = {
    "portable",
    0,
    e2e_portable_sha256_blocks,
    NULL, /* no stitched CBC + HMAC */
};
