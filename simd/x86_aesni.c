/* x86_aesni.c — AES-128 with AES-NI (x86-64): one message per call, and
 * multi-buffer lanes (8 messages per call) for CPUs without VAES.
 *
 * Implementation notes
 *  - Exports e2e_aes_impl_aesni and e2e_aes_lane_impl_aesni (simd/impl.h),
 *    and, for x86_vaes512.c's single-message table, the serial kernels
 *    declared in x86_aesni.h (expand, cbc_enc, cbcmac). The file is built
 *    without -maes; every function carries target("aes,sse4.1,ssse3"), so
 *    nothing here may run unless the engine saw E2E_CPU_AESNI | SSSE3 |
 *    SSE41.
 *  - Keys use the shared e2e_aes_key layout: enc[] is FIPS 197 w[0..43] in
 *    state byte order (what AESENC wants as is); dec[] is the equivalent
 *    inverse cipher schedule of FIPS 197 sec. 5.3.5 (what AESDEC wants).
 *  - Expansion uses PSHUFB + AESENCLAST instead of AESKEYGENASSIST (microcoded
 *    and slow on many cores): broadcasting RotWord(w3) to all four columns
 *    makes ShiftRows a no-op, so AESENCLAST(x, rcon) = SubWord(RotWord(w3)) ^
 *    Rcon in every column (FIPS 197 sec. 5.2).
 *  - Parallel modes (ECB, CBC decryption, CTR) keep 8 blocks in flight, which
 *    covers AESENC latency x throughput (4 x 2) on current cores; CBC
 *    encryption and CBC-MAC are serial by definition; their chain is one
 *    PXOR + 10 AESENC per block (in ^ rk0 is computed off the chain).
 *  - Round keys are read from *k at each use and live for one round
 *    (ROUND_FENCE8), so no compiler has a reason to spill them to the stack;
 *    only public values (counter, ciphertext) may be spilled.
 *  - Aliasing (impl.h): out == in, or out < in with overlap. Each group reads
 *    all of its input blocks before it stores any output, and a store to out
 *    block i only reaches input blocks <= i, so no kernel reads bytes it has
 *    already overwritten. CBC chaining ciphertext is kept in locals.
 *  - No branch or table index depends on a key or on data; control flow
 *    depends only on lengths and, in ctr32, on the (public) counter value.
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#include "../engine/ct.h"
#include "../engine/e2ecrypt.h"
#include "impl.h"
#include "x86_aesni.h"

#define E2E_AESNI_TARGET __attribute__((target("aes,sse4.1,ssse3")))

/* Loads and stores go through void * so -Wcast-align stays quiet; the
 * unaligned forms are used for caller buffers, the aligned form only for the
 * round keys (e2e_aes_key is alignas(16)). */
#define LDU(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STU(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))
#define RK(a, r) _mm_load_si128((const __m128i *)(const void *)(a)[r])

/* R9 repeats a per-round statement for the middle rounds 1..9, unrolled:
 * gcc -O2 keeps a rolled round loop, which serialises the single-block
 * tails behind a loop branch per round. */
#define R9(S) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9)

/* X8 repeats a per-block statement for the 8 blocks b0..b7. */
#define X8(S) S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7)

/* ROUND_FENCE8 ends one round of the 8-block kernels: b0..b7 must be in
 * registers here and no load moves across it. Without it clang reorders the
 * rounds block by block, keeps all ten round keys live at once and spills
 * some of them to the stack; with it each round key lives for one round. */
#define ROUND_FENCE8()                                                               \
    __asm__("" : "+x"(b0), "+x"(b1), "+x"(b2), "+x"(b3), "+x"(b4), "+x"(b5), "+x"(b6), \
            "+x"(b7) : : "memory")

/* e2e_aesni_opaque hides x from the optimiser. The serial modes use it to
 * keep in ^ rk0 computed off the chain: otherwise gcc reassociates
 * (in ^ rk0) ^ c into (c ^ rk0) ^ in, two XORs on the serial path. */
static inline E2E_AESNI_TARGET __m128i e2e_aesni_opaque(__m128i x)
{
    __asm__("" : "+x"(x));
    return x;
}

/* ---------------------------------------------------------------- key schedule */

/* e2e_aesni_aes128_expand_step returns round key i+1 from round key i (k)
 * and Rcon[i+1] broadcast in rcon. */
static inline E2E_AESNI_TARGET __m128i e2e_aesni_aes128_expand_step(__m128i k, __m128i rcon)
{
    /* bytes 13,14,15,12 = RotWord(w3) in each column */
    __m128i t = _mm_shuffle_epi8(k, _mm_set1_epi32(0x0c0f0e0d));
    t = _mm_aesenclast_si128(t, rcon);
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 8));
    return _mm_xor_si128(k, t);
}

/* e2e_aesni_aes128_expand fills k->enc with the FIPS 197 AES-128 schedule of
 * key and k->dec with its equivalent inverse cipher schedule. key may be
 * unaligned; k must be a properly aligned e2e_aes_key. */
E2E_AESNI_TARGET void e2e_aesni_aes128_expand(e2e_aes_key *k, const uint8_t key[16])
{
    E2E_HIT(E2E_HIT_AESNI_EXPAND);
    __m128i r0 = LDU(key);
    __m128i r1 = e2e_aesni_aes128_expand_step(r0, _mm_set1_epi32(0x01));
    __m128i r2 = e2e_aesni_aes128_expand_step(r1, _mm_set1_epi32(0x02));
    __m128i r3 = e2e_aesni_aes128_expand_step(r2, _mm_set1_epi32(0x04));
    __m128i r4 = e2e_aesni_aes128_expand_step(r3, _mm_set1_epi32(0x08));
    __m128i r5 = e2e_aesni_aes128_expand_step(r4, _mm_set1_epi32(0x10));
    __m128i r6 = e2e_aesni_aes128_expand_step(r5, _mm_set1_epi32(0x20));
    __m128i r7 = e2e_aesni_aes128_expand_step(r6, _mm_set1_epi32(0x40));
    __m128i r8 = e2e_aesni_aes128_expand_step(r7, _mm_set1_epi32(0x80));
    __m128i r9 = e2e_aesni_aes128_expand_step(r8, _mm_set1_epi32(0x1b));
    __m128i r10 = e2e_aesni_aes128_expand_step(r9, _mm_set1_epi32(0x36));

    STU(k->enc[0], r0);
    STU(k->enc[1], r1);
    STU(k->enc[2], r2);
    STU(k->enc[3], r3);
    STU(k->enc[4], r4);
    STU(k->enc[5], r5);
    STU(k->enc[6], r6);
    STU(k->enc[7], r7);
    STU(k->enc[8], r8);
    STU(k->enc[9], r9);
    STU(k->enc[10], r10);

    STU(k->dec[0], r10);
    STU(k->dec[1], _mm_aesimc_si128(r9));
    STU(k->dec[2], _mm_aesimc_si128(r8));
    STU(k->dec[3], _mm_aesimc_si128(r7));
    STU(k->dec[4], _mm_aesimc_si128(r6));
    STU(k->dec[5], _mm_aesimc_si128(r5));
    STU(k->dec[6], _mm_aesimc_si128(r4));
    STU(k->dec[7], _mm_aesimc_si128(r3));
    STU(k->dec[8], _mm_aesimc_si128(r2));
    STU(k->dec[9], _mm_aesimc_si128(r1));
    STU(k->dec[10], r0);
}

/* ---------------------------------------------------------------- one block */

/* e2e_aesni_aes128_enc_r1 runs rounds 1..10 of the cipher on x, which has
 * already been XORed with round key 0. */
static inline E2E_AESNI_TARGET __m128i e2e_aesni_aes128_enc_r1(const e2e_aes_key *k, __m128i x)
{
#define S(r) x = _mm_aesenc_si128(x, RK(k->enc, r));
    R9(S)
#undef S
    return _mm_aesenclast_si128(x, RK(k->enc, 10));
}

/* e2e_aesni_aes128_enc1 encrypts one block x (FIPS 197 sec. 5.1). */
static inline E2E_AESNI_TARGET __m128i e2e_aesni_aes128_enc1(const e2e_aes_key *k, __m128i x)
{
    return e2e_aesni_aes128_enc_r1(k, _mm_xor_si128(x, RK(k->enc, 0)));
}

/* e2e_aesni_aes128_dec1 decrypts one block x (FIPS 197 sec. 5.3.5). */
static inline E2E_AESNI_TARGET __m128i e2e_aesni_aes128_dec1(const e2e_aes_key *k, __m128i x)
{
    x = _mm_xor_si128(x, RK(k->dec, 0));
#define S(r) x = _mm_aesdec_si128(x, RK(k->dec, r));
    R9(S)
#undef S
    return _mm_aesdeclast_si128(x, RK(k->dec, 10));
}

/* ---------------------------------------------------------------- ECB */

/* e2e_aesni_aes128_ecb_enc encrypts nblk independent 16-byte blocks from in to
 * out, 8 at a time. out == in and out < in with overlap are allowed; no
 * alignment is required. */
static E2E_AESNI_TARGET void e2e_aesni_aes128_ecb_enc(const e2e_aes_key *k, uint8_t *out,
                                                      const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_AESNI_ECB);
    for (; nblk >= 8; nblk -= 8, in += 128, out += 128) {
        __m128i rk = RK(k->enc, 0);
#define S(i) __m128i b##i = _mm_xor_si128(LDU(in + 16 * (i)), rk);
        X8(S)
#undef S
        for (int r = 1; r < 10; r++) {
            rk = RK(k->enc, r);
#define S(i) b##i = _mm_aesenc_si128(b##i, rk);
            X8(S)
#undef S
            ROUND_FENCE8();
        }
        rk = RK(k->enc, 10);
#define S(i) STU(out + 16 * (i), _mm_aesenclast_si128(b##i, rk));
        X8(S)
#undef S
    }
    for (; nblk > 0; nblk--, in += 16, out += 16)
        STU(out, e2e_aesni_aes128_enc1(k, LDU(in)));
}

/* e2e_aesni_aes128_ecb_dec decrypts nblk independent 16-byte blocks from in to
 * out, 8 at a time. Aliasing and alignment as for ecb_enc. */
static E2E_AESNI_TARGET void e2e_aesni_aes128_ecb_dec(const e2e_aes_key *k, uint8_t *out,
                                                      const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_AESNI_ECB);
    for (; nblk >= 8; nblk -= 8, in += 128, out += 128) {
        __m128i rk = RK(k->dec, 0);
#define S(i) __m128i b##i = _mm_xor_si128(LDU(in + 16 * (i)), rk);
        X8(S)
#undef S
        for (int r = 1; r < 10; r++) {
            rk = RK(k->dec, r);
#define S(i) b##i = _mm_aesdec_si128(b##i, rk);
            X8(S)
#undef S
            ROUND_FENCE8();
        }
        rk = RK(k->dec, 10);
#define S(i) STU(out + 16 * (i), _mm_aesdeclast_si128(b##i, rk));
        X8(S)
#undef S
    }
    for (; nblk > 0; nblk--, in += 16, out += 16)
        STU(out, e2e_aesni_aes128_dec1(k, LDU(in)));
}

/* ---------------------------------------------------------------- CBC */

/* e2e_aesni_aes128_cbc_enc CBC-encrypts nblk blocks (SP 800-38A sec. 6.2) and
 * leaves the last ciphertext block in iv. Serial by definition. out == in and
 * out < in with overlap are allowed; no alignment is required. */
E2E_AESNI_TARGET void e2e_aesni_aes128_cbc_enc(const e2e_aes_key *k, uint8_t iv[16],
                                               uint8_t *out, const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_AESNI_CBCENC);
    __m128i c = LDU(iv);
    for (; nblk > 0; nblk--, in += 16, out += 16) {
        /* in ^ rk0 is off the serial path, which is one PXOR + 10 AESENC */
        const __m128i w = e2e_aesni_opaque(_mm_xor_si128(LDU(in), RK(k->enc, 0)));
        c = e2e_aesni_aes128_enc_r1(k, _mm_xor_si128(w, c));
        STU(out, c);
    }
    STU(iv, c);
}

/* e2e_aesni_aes128_cbc_dec CBC-decrypts nblk blocks (SP 800-38A sec. 6.2), 8
 * at a time, and leaves the last ciphertext block in iv. The chaining
 * ciphertext lives in locals, read before any store of its group, so out ==
 * in and out < in with overlap work. The XOR with the previous ciphertext
 * follows AESDECLAST rather than being folded into its key (rk10 ^ c[i-1]):
 * compilers hoist and spill such folded keys, and rk10 is the cipher key. */
static E2E_AESNI_TARGET void e2e_aesni_aes128_cbc_dec(const e2e_aes_key *k, uint8_t iv[16],
                                                      uint8_t *out, const uint8_t *in,
                                                      size_t nblk)
{
    E2E_HIT(E2E_HIT_AESNI_CBCDEC);
    __m128i prev = LDU(iv);
    for (; nblk >= 8; nblk -= 8, in += 128, out += 128) {
        __m128i rk = RK(k->dec, 0);
#define S(i) const __m128i c##i = LDU(in + 16 * (i)); __m128i b##i = _mm_xor_si128(c##i, rk);
        X8(S)
#undef S
        for (int r = 1; r < 10; r++) {
            rk = RK(k->dec, r);
#define S(i) b##i = _mm_aesdec_si128(b##i, rk);
            X8(S)
#undef S
            ROUND_FENCE8();
        }
        rk = RK(k->dec, 10);
        b0 = _mm_xor_si128(_mm_aesdeclast_si128(b0, rk), prev);
        b1 = _mm_xor_si128(_mm_aesdeclast_si128(b1, rk), c0);
        b2 = _mm_xor_si128(_mm_aesdeclast_si128(b2, rk), c1);
        b3 = _mm_xor_si128(_mm_aesdeclast_si128(b3, rk), c2);
        b4 = _mm_xor_si128(_mm_aesdeclast_si128(b4, rk), c3);
        b5 = _mm_xor_si128(_mm_aesdeclast_si128(b5, rk), c4);
        b6 = _mm_xor_si128(_mm_aesdeclast_si128(b6, rk), c5);
        b7 = _mm_xor_si128(_mm_aesdeclast_si128(b7, rk), c6);
        prev = c7;
#define S(i) STU(out + 16 * (i), b##i);
        X8(S)
#undef S
    }
    for (; nblk > 0; nblk--, in += 16, out += 16) {
        const __m128i c = LDU(in);
        STU(out, _mm_xor_si128(e2e_aesni_aes128_dec1(k, c), prev));
        prev = c;
    }
    STU(iv, prev);
}

/* ---------------------------------------------------------------- CTR */

/* e2e_aesni_aes128_ctr32 XORs len bytes of in with the AES-CTR keystream
 * (SP 800-38A sec. 6.5) into out, 8 counter blocks at a time. The last 4
 * bytes of ctr are a big-endian counter incremented mod 2^32 per block; the
 * first 12 never change. A partial final block uses the head of its keystream
 * block and still consumes a counter. On return ctr is the next unused
 * counter block. out == in and out < in with overlap are allowed; no
 * alignment is required. */
static E2E_AESNI_TARGET void e2e_aesni_aes128_ctr32(const e2e_aes_key *k, uint8_t ctr[16],
                                                    uint8_t *out, const uint8_t *in, size_t len)
{
    E2E_HIT(E2E_HIT_AESNI_CTR);
    /* Byte-swap only the counter word so _mm_add_epi32 on lane 3 counts (and
     * wraps mod 2^32) in big-endian order after swapping back. */
    const __m128i bswap_ctr = _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m128i cb = _mm_shuffle_epi8(LDU(ctr), bswap_ctr);
    const __m128i one = _mm_set_epi32(1, 0, 0, 0);
    const __m128i eight = _mm_set_epi32(8, 0, 0, 0);

    for (; len >= 128; len -= 128, in += 128, out += 128) {
        __m128i rk = RK(k->enc, 0);
        __m128i b0, b1, b2, b3, b4, b5, b6, b7;
        if (((uint32_t)_mm_extract_epi32(cb, 3) & 0xff) <= 0xf8) {
            /* Fast path (public counter): +0..+7 cannot carry out of the
             * counter's last byte, so add j to byte 15 of the big-endian
             * block and skip the per-block byte swap. */
            const __m128i t = _mm_shuffle_epi8(cb, bswap_ctr);
#define S(i) b##i = _mm_xor_si128(_mm_add_epi8(t, _mm_set_epi8((char)(i), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), rk);
            X8(S)
#undef S
        } else {
            __m128i t = cb;
#define S(i) b##i = _mm_xor_si128(_mm_shuffle_epi8(t, bswap_ctr), rk); t = _mm_add_epi32(t, one);
            X8(S)
#undef S
        }
        cb = _mm_add_epi32(cb, eight);
        for (int r = 1; r < 10; r++) {
            rk = RK(k->enc, r);
#define S(i) b##i = _mm_aesenc_si128(b##i, rk);
            X8(S)
#undef S
            ROUND_FENCE8();
        }
        rk = RK(k->enc, 10);
#define S(i) STU(out + 16 * (i), _mm_xor_si128(_mm_aesenclast_si128(b##i, rk), LDU(in + 16 * (i))));
        X8(S)
#undef S
    }
    for (; len >= 16; len -= 16, in += 16, out += 16) {
        __m128i ks = e2e_aesni_aes128_enc1(k, _mm_shuffle_epi8(cb, bswap_ctr));
        cb = _mm_add_epi32(cb, one);
        STU(out, _mm_xor_si128(ks, LDU(in)));
    }
    if (len > 0) {
        uint8_t buf[16] = {0};
        memcpy(buf, in, len);
        __m128i ks = e2e_aesni_aes128_enc1(k, _mm_shuffle_epi8(cb, bswap_ctr));
        cb = _mm_add_epi32(cb, one);
        STU(buf, _mm_xor_si128(ks, LDU(buf)));
        memcpy(out, buf, len);
        e2e_wipe(buf, sizeof buf); /* the tail of buf is raw keystream */
    }
    STU(ctr, _mm_shuffle_epi8(cb, bswap_ctr));
}

/* ---------------------------------------------------------------- CBC-MAC */

/* e2e_aesni_aes128_cbcmac runs mac = E(mac ^ in[i]) over nblk blocks
 * (SP 800-38C sec. 6.1 step 4's CBC chain). Serial by definition. No
 * alignment is required of mac or in. */
E2E_AESNI_TARGET void e2e_aesni_aes128_cbcmac(const e2e_aes_key *k, uint8_t mac[16],
                                              const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_AESNI_CBCMAC);
    __m128i m = LDU(mac);
    for (; nblk > 0; nblk--, in += 16) {
        /* in ^ rk0 is off the serial path, which is one PXOR + 10 AESENC */
        const __m128i w = e2e_aesni_opaque(_mm_xor_si128(LDU(in), RK(k->enc, 0)));
        m = e2e_aesni_aes128_enc_r1(k, _mm_xor_si128(w, m));
    }
    STU(mac, m);
}

/* ---------------------------------------------------------------- CCM
 *
 * e2e_aesni_aes128_ccm (struct e2e_aes_impl.ccm): one message's CTR and
 * CBC-MAC stitched. The MAC is a serial chain of one PXOR + 10 AESENC per
 * block; each step also encrypts the next counter block, round by round
 * beside the MAC's, so the keystream costs no latency of its own. Open MACs
 * the plaintext, which needs the current block's keystream: it comes from
 * the step before (one counter block is encrypted ahead, and unused at the
 * end). Each input block is read before the output block at its index is
 * stored, so out <= in with overlap works. Control flow depends only on
 * nblk and open. */
static inline __attribute__((always_inline)) E2E_AESNI_TARGET void
e2e_aesni_aes128_ccm_body(const e2e_aes_key *k, uint8_t ctr[16], uint8_t mac[16], uint8_t *out,
                          const uint8_t *in, size_t nblk, int open)
{
    const __m128i bswap_ctr = _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m128i one = _mm_set_epi32(1, 0, 0, 0);
    __m128i cb = _mm_shuffle_epi8(LDU(ctr), bswap_ctr), m = LDU(mac);
    __m128i ks = e2e_aesni_aes128_enc1(k, _mm_shuffle_epi8(cb, bswap_ctr));
    cb = _mm_add_epi32(cb, one);
    for (; nblk > 0; nblk--, in += 16, out += 16) {
        const __m128i d = LDU(in), o = _mm_xor_si128(d, ks);
        STU(out, o);
        /* the MAC input ^ rk0 is off the serial path */
        m = _mm_xor_si128(m, e2e_aesni_opaque(_mm_xor_si128(open ? o : d, RK(k->enc, 0))));
        __m128i x = _mm_xor_si128(_mm_shuffle_epi8(cb, bswap_ctr), RK(k->enc, 0));
        cb = _mm_add_epi32(cb, one);
#define S(r)                                         \
        {                                            \
            const __m128i rk_ = RK(k->enc, r);       \
            m = _mm_aesenc_si128(m, rk_);            \
            x = _mm_aesenc_si128(x, rk_);            \
        }
        R9(S)
#undef S
        m = _mm_aesenclast_si128(m, RK(k->enc, 10));
        ks = _mm_aesenclast_si128(x, RK(k->enc, 10));
    }
    STU(mac, m);
    STU(ctr, _mm_shuffle_epi8(_mm_sub_epi32(cb, one), bswap_ctr));  /* the block ahead is unused */
}

E2E_AESNI_TARGET void e2e_aesni_aes128_ccm(const e2e_aes_key *k, uint8_t ctr[16],
                                           uint8_t mac[16], uint8_t *out, const uint8_t *in,
                                           size_t nblk, int open)
{
    E2E_HIT(E2E_HIT_AESNI_CCM);
    if (nblk == 0)
        return;
    if (open)
        e2e_aesni_aes128_ccm_body(k, ctr, mac, out, in, nblk, 1);
    else
        e2e_aesni_aes128_ccm_body(k, ctr, mac, out, in, nblk, 0);
}

/* ---------------------------------------------------------------- lanes
 *
 * Multi-buffer kernels (struct e2e_aes_lanes, impl.h): 8 messages per call,
 * each with its own key, one serial CBC chain per message. A CBC block costs
 * one PXOR + 10 AESENC of latency (41 cycles at 4 cycles per AESENC), and 8
 * chains issue 88 AESENC per step, 44 cycles on cores with two AES units
 * (Zen 2-4, Ice Lake): 8 chains fill both units, 4 would leave half of them
 * idle, and on one-unit cores (Skylake) 8 cost no more per byte than 4. The
 * round keys are memory operands, read at each use (16 xmm registers hold
 * the 8 chains and a temporary; 88 keys do not fit), so none is ever copied
 * to the stack; those 88 loads make the load unit, not AES, the limit on
 * Zen 4 (about 50 cycles per step). Every lane's input block is read before
 * any output block of the same step is stored, so out[i] == in[i] works and
 * idle lanes may share one dummy input and one dummy output buffer. */

/* RKL(l, r, i) is lane i's round key r (rows are 64-byte aligned). */
#define RKL(l, r, i) _mm_load_si128((const __m128i *)(const void *)(l)->rk[r][i])

/* e2e_aesni_aes128_lanes_x8 runs nblk CBC steps on lanes 0..7 of l, storing
 * each ciphertext block to out[i] when store is set (CBC encryption) and
 * only chaining otherwise (CBC-MAC). Inlined with a constant store. */
static inline __attribute__((always_inline)) E2E_AESNI_TARGET void
e2e_aesni_aes128_lanes_x8(struct e2e_aes_lanes *l, size_t nblk, int store)
{
#define S(i) __m128i b##i = LDU(l->iv[i]);
    X8(S)
#undef S
    for (size_t off = 0; off < 16 * nblk; off += 16) {
        /* in ^ rk0 is off the serial path, which is one PXOR + 10 AESENC */
#define S(i) b##i = _mm_xor_si128(b##i, e2e_aesni_opaque(_mm_xor_si128(LDU(l->in[i] + off), RKL(l, 0, i))));
        X8(S)
#undef S
        for (int r = 1; r < 10; r++) {
#define S(i) b##i = _mm_aesenc_si128(b##i, RKL(l, r, i));
            X8(S)
#undef S
            ROUND_FENCE8();
        }
#define S(i) b##i = _mm_aesenclast_si128(b##i, RKL(l, 10, i));
        X8(S)
#undef S
        if (store) {
#define S(i) STU(l->out[i] + off, b##i);
            X8(S)
#undef S
        }
    }
#define S(i) STU(l->iv[i], b##i);
    X8(S)
#undef S
}

/* e2e_aesni_aes128_cbcenc_x8 CBC-encrypts (SP 800-38A sec. 6.2) nblk blocks
 * on each of lanes 0..7: in[i] to out[i] under lane i's round keys, chaining
 * from iv[i], which is left at the last ciphertext block. out[i] == in[i] is
 * allowed; the lane pointers are not advanced. No alignment is required of
 * the buffers. */
static E2E_AESNI_TARGET void e2e_aesni_aes128_cbcenc_x8(struct e2e_aes_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_AESNI_CBCENC_X8); /* impl.h's flag for the xmm lane kernel */
    e2e_aesni_aes128_lanes_x8(l, nblk, 1);
}

/* e2e_aesni_aes128_cbcmac_x8 runs iv[i] = E_i(iv[i] ^ block) over nblk
 * blocks of in[i] on each of lanes 0..7 (SP 800-38C sec. 6.1's CBC chain).
 * out[] is not touched. */
static E2E_AESNI_TARGET void e2e_aesni_aes128_cbcmac_x8(struct e2e_aes_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_AESNI_CBCMAC_X8); /* impl.h's flag for the xmm lane kernel */
    e2e_aesni_aes128_lanes_x8(l, nblk, 0);
}

/* e2e_aesni_aes128_ctr_x8 runs AES-CTR on lanes 0..7, each with its own key
 * and counter block iv[i] (last 4 bytes big-endian, mod 2^32): out[i][b] =
 * in[i][b] ^ E_i(ctr_i + b); iv[i] is left at the next counter. The 8
 * blocks of a step are independent. All 8 inputs of a step are read before
 * any output is stored, so out[i] <= in[i] with overlap works. */
static E2E_AESNI_TARGET void e2e_aesni_aes128_ctr_x8(struct e2e_aes_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_AESNI_CTR_X8);
    const __m128i bswap_ctr = _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m128i one = _mm_set_epi32(1, 0, 0, 0);
#define S(i) __m128i c##i = _mm_shuffle_epi8(LDU(l->iv[i]), bswap_ctr);
    X8(S)
#undef S
    for (size_t off = 0; off < 16 * nblk; off += 16) {
#define S(i) __m128i b##i = _mm_xor_si128(_mm_shuffle_epi8(c##i, bswap_ctr), RKL(l, 0, i)); \
             c##i = _mm_add_epi32(c##i, one);
        X8(S)
#undef S
        for (int r = 1; r < 10; r++) {
#define S(i) b##i = _mm_aesenc_si128(b##i, RKL(l, r, i));
            X8(S)
#undef S
            ROUND_FENCE8();
        }
#define S(i) b##i = _mm_xor_si128(_mm_aesenclast_si128(b##i, RKL(l, 10, i)), LDU(l->in[i] + off));
        X8(S)
#undef S
#define S(i) STU(l->out[i] + off, b##i);
        X8(S)
#undef S
    }
#define S(i) STU(l->iv[i], _mm_shuffle_epi8(c##i, bswap_ctr));
    X8(S)
#undef S
}

/* ---------------------------------------------------------------- many keys */

/* X4 repeats a per-key statement for the 4 keys of one expansion group. */
#define X4(S) S(0) S(1) S(2) S(3)

/* e2e_aesni_aes128_expand_xm expands the m (1..4, a constant after
 * inlining) keys key[0..m-1] into k[0..m-1] (enc and dec, as
 * e2e_aesni_aes128_expand) with the m schedules interleaved: one expansion
 * step is a PSHUFB + AESENCLAST + PXOR chain of about 9 cycles, and 4 in
 * flight fill the vector units. */
static inline __attribute__((always_inline)) E2E_AESNI_TARGET void
e2e_aesni_aes128_expand_xm(e2e_aes_key *const k[], const uint8_t *const key[], const size_t m)
{
    const __m128i rot = _mm_set1_epi32(0x0c0f0e0d);
    /* the key pointers are copied first: the 16-byte stores may alias k[] */
#define S(i) e2e_aes_key *const k##i = (i) < m ? k[i] : NULL; \
             __m128i a##i = (i) < m ? LDU(key[i]) : _mm_setzero_si128();
    X4(S)
#undef S
#define S(i) if ((i) < m) { STU(k##i->enc[0], a##i); STU(k##i->dec[10], a##i); }
    X4(S)
#undef S
#define S(i)                                                                             \
    if ((i) < m) {                                                                       \
        const __m128i t = _mm_aesenclast_si128(_mm_shuffle_epi8(a##i, rot), rc);         \
        a##i = _mm_xor_si128(a##i, _mm_slli_si128(a##i, 4));                            \
        a##i = _mm_xor_si128(_mm_xor_si128(a##i, _mm_slli_si128(a##i, 8)), t);          \
        STU(k##i->enc[r], a##i);                                                        \
        STU(k##i->dec[10 - r], r == 10 ? a##i : _mm_aesimc_si128(a##i));                \
    }
    /* the fence after each step keeps the m live round keys in registers:
     * without it gcc runs steps ahead and spills round keys to the stack */
#define STEP(r_, rcon)                                                                   \
    {                                                                                    \
        const int r = (r_);                                                              \
        const __m128i rc = _mm_set1_epi32(rcon);                                         \
        X4(S)                                                                            \
        __asm__("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3) : : "memory");               \
    }
    STEP(1, 0x01) STEP(2, 0x02) STEP(3, 0x04) STEP(4, 0x08) STEP(5, 0x10)
    STEP(6, 0x20) STEP(7, 0x40) STEP(8, 0x80) STEP(9, 0x1b) STEP(10, 0x36)
#undef STEP
#undef S
}

/* e2e_aesni_aes128_expand_n expands n <= 8 independent keys, key[i] into
 * k[i], with the same output as e2e_aesni_aes128_expand: groups of up to 4
 * run interleaved, and the two groups of n > 4 overlap out of order. key[i]
 * need not be aligned and must not overlap any k[j]. */
static E2E_AESNI_TARGET void e2e_aesni_aes128_expand_n(e2e_aes_key *const k[],
                                                       const uint8_t *const key[], size_t n)
{
    E2E_HIT(E2E_HIT_AESNI_EXPAND_N);
    for (size_t j = 0; j < n; j += 4) {
        switch (n - j) {
        case 1:
            e2e_aesni_aes128_expand_xm(k + j, key + j, 1);
            break;
        case 2:
            e2e_aesni_aes128_expand_xm(k + j, key + j, 2);
            break;
        case 3:
            e2e_aesni_aes128_expand_xm(k + j, key + j, 3);
            break;
        default:
            e2e_aesni_aes128_expand_xm(k + j, key + j, 4);
            break;
        }
    }
}

const struct e2e_aes_impl e2e_aes_impl_aesni = {
    "aesni",
    E2E_CPU_AESNI | E2E_CPU_SSSE3 | E2E_CPU_SSE41,
    e2e_aesni_aes128_expand,
    e2e_aesni_aes128_ecb_enc,
    e2e_aesni_aes128_ecb_dec,
    e2e_aesni_aes128_cbc_enc,
    e2e_aesni_aes128_cbc_dec,
    e2e_aesni_aes128_ctr32,
    e2e_aesni_aes128_cbcmac,
    e2e_aesni_aes128_ccm,
};

const struct e2e_aes_lane_impl e2e_aes_lane_impl_aesni = {
    "aesni",
    E2E_CPU_AESNI | E2E_CPU_SSSE3 | E2E_CPU_SSE41,
    8,
    e2e_aesni_aes128_cbcenc_x8,
    e2e_aesni_aes128_cbcmac_x8,
    e2e_aesni_aes128_expand_n,
    e2e_aesni_aes128_ctr_x8,
    NULL, /* no fused CCM: separate CTR and CBC-MAC passes */
};

#endif /* __x86_64__ */
