/* arm_ce.c — AES-128 and SHA-256 with the ARMv8 Cryptography Extensions
 * (aarch64): single-message kernels and multi-buffer lanes.
 *
 * Implementation notes
 *  - Exports only e2e_aes_impl_armce, e2e_sha_impl_armce,
 *    e2e_sha_impl_armce_aes (the same with the stitched CBC + HMAC of a
 *    single-message seal, which also needs the AES instructions),
 *    e2e_aes_lane_impl_armce and e2e_sha_lane_impl_armce (simd/impl.h). The
 *    file is built without -march flags; every function carries
 *    E2E_ARMCE_TARGET, so nothing here may run unless the engine saw
 *    E2E_CPU_ARM_AES (AES tables) or E2E_CPU_ARM_SHA2 (SHA tables; both for
 *    e2e_sha_impl_armce_aes) in HWCAP.
 *  - Round structure. AESE k folds AddRoundKey in FRONT of SubBytes and
 *    ShiftRows (AESE(x, k) = ShiftRows(SubBytes(x ^ k))); AESMC is MixColumns.
 *    So FIPS 197 sec. 5.1 with enc[0..10] is
 *        9 x (AESE enc[r]; AESMC) for r = 0..8, AESE enc[9], EOR enc[10]:
 *    the first AESE does round 0's key XOR and the last round's key is a
 *    plain EOR (x86's AESENC adds its key AFTER MixColumns instead).
 *    Decryption is the same on FIPS 197 sec. 5.3.5's equivalent inverse
 *    cipher schedule dec[0..10] with AESD / AESIMC, which is why dec[] is
 *    laid out as it is.
 *  - Keys use the shared e2e_aes_key layout, byte for byte what the portable
 *    and AES-NI expand produce. Expansion has no AESKEYGENASSIST: TBL
 *    broadcasts RotWord(w3) to all four columns, which makes ShiftRows a
 *    no-op, so AESE with a zero key gives SubWord(RotWord(w3)) in every
 *    column (FIPS 197 sec. 5.2); dec[i] = AESIMC(enc[10 - i]).
 *  - Serial modes (CBC encryption, CBC-MAC) fold the last round's key into
 *    the next block's first: with p = the chain value before its EOR enc[10],
 *    the next block is AESE(p, in ^ enc[0] ^ enc[10]), and the operand is
 *    computed off the chain, so the serial path is 10 AESE + 9 AESMC per
 *    block (AESE+AESMC pairs fuse on most cores).
 *  - Parallel modes (ECB, CBC decryption, CTR) keep 8 blocks in flight,
 *    enough for AESE+AESMC latency x throughput on current cores (from the
 *    vendors' optimisation guides: about 3 x 1 on Cortex-A72, 2 x 2 on
 *    Neoverse N1, up to 4 pipes on newer big cores). The 11 round
 *    keys of the single-message kernels stay in registers for the whole call
 *    (aarch64 has 32 vector registers: 11 keys + 8 blocks + temporaries).
 *  - Lanes: cbcenc / cbcmac run 8 messages (8 independent serial chains, each
 *    with its own key, round keys read from the lane struct at each use):
 *    8 covers the same latency x throughput product the parallel modes do;
 *    ccm (CCM's CTR and CBC-MAC fused) runs the 8 as two groups of 4, each
 *    with 4 counter chains beside its 4 MAC chains, the same 8 in flight;
 *    SHA-256 runs 2 interleaved streams, which hides SHA256H/H2 latency.
 *    hmac_msgs runs whole HMACs two at a time, from the first inner block
 *    to the digest with the state in registers (see "whole HMACs").
 *    Lane pointers are copied to locals first, so stores through out[] never
 *    force the compiler to re-read them.
 *  - Stitched single-message kernels, each pairing a serial chain with work
 *    that fills its latency shadow: ccm (the keystream beside the CBC-MAC
 *    chain) and cbc_hmac (a CS1 seal's CBC chain woven into its HMAC).
 *  - Aliasing (impl.h): out == in, or out < in with overlap. Every group reads
 *    all of its input blocks before it stores any output, a store to out
 *    block i only reaches input blocks <= i, and CBC chaining ciphertext
 *    lives in registers. Lanes may share one idle dummy buffer: each block
 *    step of cbcenc / cbcmac loads every lane's input before it stores any
 *    lane's output (ccm runs its two groups of 4 one after the other: only
 *    idle lanes share buffers, and their results are never used).
 *  - No branch or table index depends on a key or on data; control flow
 *    depends only on lengths and lane counts. Stack buffers that held
 *    keystream are wiped.
 */
#if defined(__aarch64__)

/* Clang (14 here, and older) declares the AES / SHA-2 intrinsics in
 * <arm_neon.h> only when the command line enables them (#ifdef
 * __ARM_FEATURE_AES / _SHA2), not per function; E2E_ARMCE_TARGET below is
 * what lets the backend emit them, so announcing the features to the header
 * is safe in this file, whose every function carries that attribute. GCC
 * declares them under its own target pragmas and needs nothing. */
#if defined(__clang__)
#ifndef __ARM_FEATURE_AES
#define __ARM_FEATURE_AES 1
#endif
#ifndef __ARM_FEATURE_SHA2
#define __ARM_FEATURE_SHA2 1
#endif
#endif

#include <arm_neon.h>

#include "../engine/ct.h"
#include "../engine/e2ecrypt.h"
#include "impl.h"

/* GCC takes "+crypto" (AES + SHA-1/SHA-256), clang the feature names. */
#if defined(__clang__)
#define E2E_ARMCE_TARGET __attribute__((target("aes,sha2")))
#else
#define E2E_ARMCE_TARGET __attribute__((target("+crypto")))
#endif

#define LD(p) vld1q_u8((const uint8_t *)(p))
#define ST(p, v) vst1q_u8((uint8_t *)(p), (v))

/* X8 / X4 / X2 repeat a per-block (per-lane) statement. */
#define X8(S) S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7)
#define X4(S) S(0) S(1) S(2) S(3)
#define X2(S) S(0) S(1)

/* e2e_armce_rkeys holds the 11 round keys of one direction in registers;
 * e2e_armce_load_rkeys fills it from enc[] or dec[] (no alignment needed). */
struct e2e_armce_rkeys {
    uint8x16_t k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10;
};

static inline E2E_ARMCE_TARGET struct e2e_armce_rkeys
e2e_armce_load_rkeys(const uint8_t rk[11][16])
{
    struct e2e_armce_rkeys r;
    r.k0 = LD(rk[0]);
    r.k1 = LD(rk[1]);
    r.k2 = LD(rk[2]);
    r.k3 = LD(rk[3]);
    r.k4 = LD(rk[4]);
    r.k5 = LD(rk[5]);
    r.k6 = LD(rk[6]);
    r.k7 = LD(rk[7]);
    r.k8 = LD(rk[8]);
    r.k9 = LD(rk[9]);
    r.k10 = LD(rk[10]);
    return r;
}

/* ENC_RND / DEC_RND: one full round, AESE+AESMC (AESD+AESIMC), written as
 * a pair so the compiler emits them back to back on one register (the form
 * cores fuse). */
#define ENC_RND(x, k) ((x) = vaesmcq_u8(vaeseq_u8((x), (k))))
#define DEC_RND(x, k) ((x) = vaesimcq_u8(vaesdq_u8((x), (k))))

/* e2e_armce_aes128_enc_pre runs the cipher on x from its first AESE, whose
 * key operand is k1st (enc[0], or a value with enc[0] folded in), to the
 * last AESE: the result still lacks the final EOR enc[10]. */
static inline E2E_ARMCE_TARGET uint8x16_t e2e_armce_aes128_enc_pre(const struct e2e_armce_rkeys *r,
                                                                   uint8x16_t x, uint8x16_t k1st)
{
    ENC_RND(x, k1st);
    ENC_RND(x, r->k1);
    ENC_RND(x, r->k2);
    ENC_RND(x, r->k3);
    ENC_RND(x, r->k4);
    ENC_RND(x, r->k5);
    ENC_RND(x, r->k6);
    ENC_RND(x, r->k7);
    ENC_RND(x, r->k8);
    return vaeseq_u8(x, r->k9);
}

/* e2e_armce_aes128_enc1 encrypts one block x (FIPS 197 sec. 5.1). */
static inline E2E_ARMCE_TARGET uint8x16_t e2e_armce_aes128_enc1(const struct e2e_armce_rkeys *r,
                                                                uint8x16_t x)
{
    return veorq_u8(e2e_armce_aes128_enc_pre(r, x, r->k0), r->k10);
}

/* e2e_armce_aes128_dec1 decrypts one block x with the dec[] schedule
 * (FIPS 197 sec. 5.3.5). */
static inline E2E_ARMCE_TARGET uint8x16_t e2e_armce_aes128_dec1(const struct e2e_armce_rkeys *r,
                                                                uint8x16_t x)
{
    DEC_RND(x, r->k0);
    DEC_RND(x, r->k1);
    DEC_RND(x, r->k2);
    DEC_RND(x, r->k3);
    DEC_RND(x, r->k4);
    DEC_RND(x, r->k5);
    DEC_RND(x, r->k6);
    DEC_RND(x, r->k7);
    DEC_RND(x, r->k8);
    return veorq_u8(vaesdq_u8(x, r->k9), r->k10);
}

/* ---------------------------------------------------------------- key schedule */

/* e2e_armce_aes128_expand_step returns round key i+1 from round key k and
 * Rcon[i+1] (FIPS 197 sec. 5.2). t = SubWord(RotWord(w3)) ^ Rcon in every
 * column; k ^= k << 32; k ^= k << 64 gives the prefix XORs w0, w0^w1, ... */
static inline E2E_ARMCE_TARGET uint8x16_t e2e_armce_aes128_expand_step(uint8x16_t k, uint8_t rcon)
{
    static const uint8_t rot_splat[16] = {13, 14, 15, 12, 13, 14, 15, 12,
                                          13, 14, 15, 12, 13, 14, 15, 12};
    const uint8x16_t zero = vdupq_n_u8(0);
    uint8x16_t t = vqtbl1q_u8(k, vld1q_u8(rot_splat));
    t = vaeseq_u8(t, zero);
    t = veorq_u8(t, vreinterpretq_u8_u32(vdupq_n_u32(rcon)));
    k = veorq_u8(k, vextq_u8(zero, k, 12));
    k = veorq_u8(k, vextq_u8(zero, k, 8));
    return veorq_u8(k, t);
}

static const uint8_t e2e_armce_rcon[10] = {0x01, 0x02, 0x04, 0x08, 0x10,
                                           0x20, 0x40, 0x80, 0x1b, 0x36};

/* e2e_armce_aes128_expand fills k->enc with the FIPS 197 AES-128 schedule of
 * key and k->dec with its equivalent inverse cipher schedule. key may be
 * unaligned. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_expand(e2e_aes_key *k, const uint8_t key[16])
{
    E2E_HIT(E2E_HIT_ARMCE_AES);
    uint8x16_t r = LD(key);
    ST(k->enc[0], r);
    ST(k->dec[10], r);
    for (int i = 1; i <= 10; i++) {
        r = e2e_armce_aes128_expand_step(r, e2e_armce_rcon[i - 1]);
        ST(k->enc[i], r);
        ST(k->dec[10 - i], i == 10 ? r : vaesimcq_u8(r));
    }
}

/* e2e_armce_aes128_expand4 expands up to 4 keys in lock step (4 independent
 * chains hide the TBL -> AESE -> EOR latency of each step); slots >= n run on
 * a zero key and are not stored. All keys are read before anything is
 * stored. */
static inline E2E_ARMCE_TARGET void e2e_armce_aes128_expand4(e2e_aes_key *const k[],
                                                             const uint8_t *const key[], size_t n)
{
    const uint8x16_t zero = vdupq_n_u8(0);
#define S(i) uint8x16_t r##i = (i) < n ? LD(key[i]) : zero;
    X4(S)
#undef S
#define S(i) if ((i) < n) { ST(k[i]->enc[0], r##i); ST(k[i]->dec[10], r##i); }
    X4(S)
#undef S
    for (int j = 1; j <= 10; j++) {
        const uint8_t rc = e2e_armce_rcon[j - 1];
#define S(i) r##i = e2e_armce_aes128_expand_step(r##i, rc);
        X4(S)
#undef S
#define S(i)                                                                  \
    if ((i) < n) {                                                            \
        ST(k[i]->enc[j], r##i);                                               \
        ST(k[i]->dec[10 - j], j == 10 ? r##i : vaesimcq_u8(r##i));            \
    }
        X4(S)
#undef S
    }
}

/* e2e_armce_aes128_expand_n expands n <= 8 independent keys, 4 at a time;
 * same output as e2e_armce_aes128_expand. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_expand_n(e2e_aes_key *const k[],
                                                       const uint8_t *const key[], size_t n)
{
    E2E_HIT(E2E_HIT_ARMCE_CBCENC_LANES);
    for (size_t g = 0; g < n; g += 4)
        e2e_armce_aes128_expand4(k + g, key + g, n - g < 4 ? n - g : 4);
}

/* EACH_ROUND8(OP, r) applies OP(b_i, r.kN) (ENC_RND or DEC_RND) for
 * N = 0..8 to the 8 blocks b0..b7, each round key to all 8 blocks before the
 * next; the last round (AESE/AESD k9 + EOR k10) is left to the caller. */
#define ROUND8(OP, key) OP(b0, key); OP(b1, key); OP(b2, key); OP(b3, key); \
                        OP(b4, key); OP(b5, key); OP(b6, key); OP(b7, key);
#define EACH_ROUND8(OP, r)                                                        \
    ROUND8(OP, (r).k0) ROUND8(OP, (r).k1) ROUND8(OP, (r).k2) ROUND8(OP, (r).k3)  \
    ROUND8(OP, (r).k4) ROUND8(OP, (r).k5) ROUND8(OP, (r).k6) ROUND8(OP, (r).k7)  \
    ROUND8(OP, (r).k8)

/* ---------------------------------------------------------------- ECB */

/* e2e_armce_aes128_ecb_enc encrypts nblk independent 16-byte blocks from in
 * to out, 8 at a time. out == in and out < in with overlap are allowed; no
 * alignment is required. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_ecb_enc(const e2e_aes_key *k, uint8_t *out,
                                                      const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_ARMCE_AES);
    const struct e2e_armce_rkeys r = e2e_armce_load_rkeys(k->enc);
    for (; nblk >= 8; nblk -= 8, in += 128, out += 128) {
#define S(i) uint8x16_t b##i = LD(in + 16 * (i));
        X8(S)
#undef S
        EACH_ROUND8(ENC_RND, r)
#define S(i) ST(out + 16 * (i), veorq_u8(vaeseq_u8(b##i, r.k9), r.k10));
        X8(S)
#undef S
    }
    for (; nblk > 0; nblk--, in += 16, out += 16)
        ST(out, e2e_armce_aes128_enc1(&r, LD(in)));
}

/* e2e_armce_aes128_ecb_dec decrypts nblk independent 16-byte blocks from in
 * to out, 8 at a time. Aliasing and alignment as for ecb_enc. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_ecb_dec(const e2e_aes_key *k, uint8_t *out,
                                                      const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_ARMCE_AES);
    const struct e2e_armce_rkeys r = e2e_armce_load_rkeys(k->dec);
    for (; nblk >= 8; nblk -= 8, in += 128, out += 128) {
#define S(i) uint8x16_t b##i = LD(in + 16 * (i));
        X8(S)
#undef S
        EACH_ROUND8(DEC_RND, r)
#define S(i) ST(out + 16 * (i), veorq_u8(vaesdq_u8(b##i, r.k9), r.k10));
        X8(S)
#undef S
    }
    for (; nblk > 0; nblk--, in += 16, out += 16)
        ST(out, e2e_armce_aes128_dec1(&r, LD(in)));
}

/* ---------------------------------------------------------------- CBC */

/* e2e_armce_aes128_cbc_enc CBC-encrypts nblk blocks (SP 800-38A sec. 6.2)
 * and leaves the last ciphertext block in iv. Serial by definition; the
 * chain is 10 AESE + 9 AESMC per block (enc[10] folded into the next
 * block's operand). out == in and out < in with overlap are allowed; no
 * alignment is required. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_cbc_enc(const e2e_aes_key *k, uint8_t iv[16],
                                                      uint8_t *out, const uint8_t *in,
                                                      size_t nblk)
{
    E2E_HIT(E2E_HIT_ARMCE_AES);
    const struct e2e_armce_rkeys r = e2e_armce_load_rkeys(k->enc);
    const uint8x16_t kx = veorq_u8(r.k0, r.k10);
    uint8x16_t p = veorq_u8(LD(iv), r.k10); /* ciphertext ^ enc[10] */
    for (; nblk > 0; nblk--, in += 16, out += 16) {
        p = e2e_armce_aes128_enc_pre(&r, p, veorq_u8(LD(in), kx));
        ST(out, veorq_u8(p, r.k10));
    }
    ST(iv, veorq_u8(p, r.k10));
}

/* e2e_armce_aes128_cbc_dec CBC-decrypts nblk blocks (SP 800-38A sec. 6.2), 8
 * at a time, and leaves the last ciphertext block in iv. The chaining
 * ciphertext lives in registers, read before any store of its group, so
 * out == in and out < in with overlap work. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_cbc_dec(const e2e_aes_key *k, uint8_t iv[16],
                                                      uint8_t *out, const uint8_t *in,
                                                      size_t nblk)
{
    E2E_HIT(E2E_HIT_ARMCE_AES);
    const struct e2e_armce_rkeys r = e2e_armce_load_rkeys(k->dec);
    uint8x16_t prev = LD(iv);
    for (; nblk >= 8; nblk -= 8, in += 128, out += 128) {
#define S(i) const uint8x16_t c##i = LD(in + 16 * (i)); uint8x16_t b##i = c##i;
        X8(S)
#undef S
        EACH_ROUND8(DEC_RND, r)
        /* last round: AESD k9, then EOR (dec[10] ^ previous ciphertext) */
        b0 = veorq_u8(vaesdq_u8(b0, r.k9), veorq_u8(r.k10, prev));
        b1 = veorq_u8(vaesdq_u8(b1, r.k9), veorq_u8(r.k10, c0));
        b2 = veorq_u8(vaesdq_u8(b2, r.k9), veorq_u8(r.k10, c1));
        b3 = veorq_u8(vaesdq_u8(b3, r.k9), veorq_u8(r.k10, c2));
        b4 = veorq_u8(vaesdq_u8(b4, r.k9), veorq_u8(r.k10, c3));
        b5 = veorq_u8(vaesdq_u8(b5, r.k9), veorq_u8(r.k10, c4));
        b6 = veorq_u8(vaesdq_u8(b6, r.k9), veorq_u8(r.k10, c5));
        b7 = veorq_u8(vaesdq_u8(b7, r.k9), veorq_u8(r.k10, c6));
        prev = c7;
#define S(i) ST(out + 16 * (i), b##i);
        X8(S)
#undef S
    }
    for (; nblk > 0; nblk--, in += 16, out += 16) {
        const uint8x16_t c = LD(in);
        ST(out, veorq_u8(e2e_armce_aes128_dec1(&r, c), prev));
        prev = c;
    }
    ST(iv, prev);
}

/* ---------------------------------------------------------------- CTR */

/* e2e_armce_aes128_ctr32 XORs len bytes of in with the AES-CTR keystream
 * (SP 800-38A sec. 6.5) into out, 8 counter blocks at a time. The last 4
 * bytes of ctr are a big-endian counter incremented mod 2^32 per block; the
 * first 12 never change. A partial final block uses the head of its
 * keystream block and still consumes a counter. On return ctr is the next
 * unused counter block. out == in and out < in with overlap are allowed; no
 * alignment is required. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_ctr32(const e2e_aes_key *k, uint8_t ctr[16],
                                                    uint8_t *out, const uint8_t *in, size_t len)
{
    E2E_HIT(E2E_HIT_ARMCE_AES);
    const struct e2e_armce_rkeys r = e2e_armce_load_rkeys(k->enc);
    const uint32x4_t base = vreinterpretq_u32_u8(LD(ctr));
    /* the counter is public: it lives in a scalar, host order */
    uint32_t c = (uint32_t)ctr[12] << 24 | (uint32_t)ctr[13] << 16 |
                 (uint32_t)ctr[14] << 8 | (uint32_t)ctr[15];
#define CB(j) vreinterpretq_u8_u32(vsetq_lane_u32(__builtin_bswap32(c + (j)), base, 3))

    for (; len >= 128; len -= 128, in += 128, out += 128) {
#define S(i) uint8x16_t b##i = CB(i);
        X8(S)
#undef S
        c += 8;
        EACH_ROUND8(ENC_RND, r)
#define S(i) b##i = veorq_u8(vaeseq_u8(b##i, r.k9), r.k10);
        X8(S)
#undef S
#define S(i) ST(out + 16 * (i), veorq_u8(b##i, LD(in + 16 * (i))));
        X8(S)
#undef S
    }
    for (; len >= 16; len -= 16, in += 16, out += 16) {
        const uint8x16_t ks = e2e_armce_aes128_enc1(&r, CB(0));
        c += 1;
        ST(out, veorq_u8(ks, LD(in)));
    }
    if (len > 0) {
        /* A byte loop, not memcpy: a call would make the compiler spill the
         * (caller-saved) round-key registers to the stack around it. Byte i
         * is read before it is written, so out <= in still works. */
        uint8_t ks[16];
        ST(ks, e2e_armce_aes128_enc1(&r, CB(0)));
        c += 1;
        for (size_t i = 0; i < len; i++)
            out[i] = (uint8_t)(in[i] ^ ks[i]);
        e2e_wipe(ks, sizeof ks); /* raw keystream */
    }
    ST(ctr, CB(0));
#undef CB
}

/* ---------------------------------------------------------------- CBC-MAC */

/* e2e_armce_aes128_cbcmac runs mac = E(mac ^ in[i]) over nblk blocks
 * (SP 800-38C sec. 6.1 step 4's CBC chain). Serial by definition, 10 AESE +
 * 9 AESMC per block as in cbc_enc. No alignment is required of mac or in. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_cbcmac(const e2e_aes_key *k, uint8_t mac[16],
                                                     const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_ARMCE_AES);
    const struct e2e_armce_rkeys r = e2e_armce_load_rkeys(k->enc);
    const uint8x16_t kx = veorq_u8(r.k0, r.k10);
    uint8x16_t p = veorq_u8(LD(mac), r.k10);
    for (; nblk > 0; nblk--, in += 16)
        p = e2e_armce_aes128_enc_pre(&r, p, veorq_u8(LD(in), kx));
    ST(mac, veorq_u8(p, r.k10));
}

/* ---------------------------------------------------------------- CCM
 *
 * e2e_armce_aes128_ccm (struct e2e_aes_impl.ccm): one message's CTR and
 * CBC-MAC stitched. The MAC is a serial chain of 10 AESE + 9 AESMC per
 * block (enc[10] folded as in cbcmac); each step also encrypts the next
 * counter block round by round beside it, so the keystream costs no latency
 * of its own. Open MACs the plaintext, which needs the current block's
 * keystream: it comes from the step before (one counter block is encrypted
 * ahead, and unused at the end). Each input block is read before the output
 * block at its index is stored, so out <= in with overlap works. Control
 * flow depends only on nblk and open. */
static inline __attribute__((always_inline)) E2E_ARMCE_TARGET void
e2e_armce_aes128_ccm_body(const e2e_aes_key *k, uint8_t ctr[16], uint8_t mac[16], uint8_t *out,
                          const uint8_t *in, size_t nblk, int open)
{
    const struct e2e_armce_rkeys r = e2e_armce_load_rkeys(k->enc);
    const uint8x16_t kx = veorq_u8(r.k0, r.k10);
    const uint32x4_t base = vreinterpretq_u32_u8(LD(ctr));
    /* the counter is public: it lives in a scalar, host order */
    uint32_t c = (uint32_t)ctr[12] << 24 | (uint32_t)ctr[13] << 16 |
                 (uint32_t)ctr[14] << 8 | (uint32_t)ctr[15];
#define CB(v) vreinterpretq_u8_u32(vsetq_lane_u32(__builtin_bswap32(v), base, 3))
    uint8x16_t p = veorq_u8(LD(mac), r.k10); /* MAC ^ enc[10] */
    uint8x16_t ks = e2e_armce_aes128_enc1(&r, CB(c));
    c += 1;
    for (; nblk > 0; nblk--, in += 16, out += 16) {
        const uint8x16_t d = LD(in), o = veorq_u8(d, ks);
        ST(out, o);
        uint8x16_t x = CB(c);
        c += 1;
        /* the MAC input ^ enc[0] ^ enc[10] is off the serial path */
        ENC_RND(p, veorq_u8(open ? o : d, kx));
        ENC_RND(x, r.k0);
#define S(key) ENC_RND(p, key); ENC_RND(x, key);
        S(r.k1) S(r.k2) S(r.k3) S(r.k4) S(r.k5) S(r.k6) S(r.k7) S(r.k8)
#undef S
        p = vaeseq_u8(p, r.k9);
        ks = veorq_u8(vaeseq_u8(x, r.k9), r.k10);
    }
    ST(mac, veorq_u8(p, r.k10));
    ST(ctr, CB(c - 1)); /* the block ahead is unused */
#undef CB
}

/* e2e_armce_aes128_ccm: CCM's CTR (ctr32's counting) and CBC-MAC (over the
 * output when open, else the input) over nblk whole blocks in one pass;
 * nothing is touched when nblk is 0. Aliasing as ctr32. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_ccm(const e2e_aes_key *k, uint8_t ctr[16],
                                                  uint8_t mac[16], uint8_t *out,
                                                  const uint8_t *in, size_t nblk, int open)
{
    E2E_HIT(E2E_HIT_ARMCE_CCM);
    if (nblk == 0)
        return;
    if (open)
        e2e_armce_aes128_ccm_body(k, ctr, mac, out, in, nblk, 1);
    else
        e2e_armce_aes128_ccm_body(k, ctr, mac, out, in, nblk, 0);
}

/* ---------------------------------------------------------------- 8 lanes */

/* e2e_armce_aes128_lanes_x8 runs nblk CBC blocks on lanes 0..7 of l, each
 * lane a serial chain under its own key (rk[r][lane]); with out != NULL it
 * stores the ciphertext (cbcenc), else only the chaining value is kept
 * (cbcmac). Per lane: p = chain ^ rk10, operand in ^ rk0 ^ rk10, as in
 * cbc_enc. Each block step loads all 8 inputs before it stores any output,
 * so lanes may share (alias) one idle dummy buffer, and out[i] may equal
 * in[i]. */
static inline E2E_ARMCE_TARGET void e2e_armce_aes128_lanes_x8(struct e2e_aes_lanes *l, size_t nblk,
                                                              int enc)
{
#define S(i) const uint8_t *in##i = l->in[i]; uint8_t *out##i = enc ? l->out[i] : NULL; \
             uint8x16_t p##i = veorq_u8(LD(l->iv[i]), LD(l->rk[10][i]));               \
             const uint8x16_t kx##i = veorq_u8(LD(l->rk[0][i]), LD(l->rk[10][i]));
    X8(S)
#undef S
    for (size_t b = 0; b < nblk; b++) {
#define S(i) uint8x16_t x##i = veorq_u8(LD(in##i + 16 * b), kx##i);
        X8(S)
#undef S
#define S(i) ENC_RND(p##i, x##i);
        X8(S)
#undef S
        for (int r = 1; r < 9; r++) {
#define S(i) ENC_RND(p##i, LD(l->rk[r][i]));
            X8(S)
#undef S
        }
#define S(i) p##i = vaeseq_u8(p##i, LD(l->rk[9][i]));
        X8(S)
#undef S
        if (enc) {
#define S(i) ST(out##i + 16 * b, veorq_u8(p##i, LD(l->rk[10][i])));
            X8(S)
#undef S
        }
    }
#define S(i) ST(l->iv[i], veorq_u8(p##i, LD(l->rk[10][i])));
    X8(S)
#undef S
}

/* e2e_armce_aes128_cbcenc_x8: out[i] = CBC-encryption of nblk blocks of
 * in[i] under lane i's key, chaining from iv[i], for lanes 0..7; iv[i] is
 * left at the last ciphertext block. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_cbcenc_x8(struct e2e_aes_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_ARMCE_CBCENC_LANES);
    e2e_armce_aes128_lanes_x8(l, nblk, 1);
}

/* e2e_armce_aes128_cbcmac_x8: iv[i] = E_i(iv[i] ^ in[i][b]) for nblk blocks
 * b, for lanes 0..7; out[] is not used. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_cbcmac_x8(struct e2e_aes_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_ARMCE_CBCENC_LANES);
    e2e_armce_aes128_lanes_x8(l, nblk, 0);
}

/* e2e_armce_aes128_ccm_x4 runs CCM's CTR and CBC-MAC (struct
 * e2e_aes_lane_impl.ccm) over nblk >= 1 blocks of lanes g..g+3. The MAC of
 * block b needs block b's CTR output (open), so the two are software-
 * pipelined: step b runs the counter blocks of block b and the MAC blocks
 * of block b - 1 round by round, 8 independent chains under each lane's
 * round key, loaded once for both (the first step has CTR only, a last one
 * MAC only). The MAC is kept as p = mac ^ rk10 with its operand
 * b ^ mx ^ rk0 ^ rk10 made off the chain, as in the CBC lanes. sel and mx
 * are read once per call; each block's input is loaded before its output
 * is stored. Counters are public scalars. */
static inline __attribute__((always_inline)) E2E_ARMCE_TARGET void
e2e_armce_aes128_ccm_x4(struct e2e_aes_lanes *l, unsigned g, size_t nblk)
{
#define S(i) const uint8_t *in##i = l->in[g + (i)]; uint8_t *out##i = l->out[g + (i)];             \
             const uint8x16_t sel##i = LD(l->sel[g + (i)]), mx##i = LD(l->mx[g + (i)]);          \
             const uint32x4_t base##i = vreinterpretq_u32_u8(LD(l->iv[g + (i)]));                \
             uint32_t c##i = (uint32_t)l->iv[g + (i)][12] << 24 |                                \
                             (uint32_t)l->iv[g + (i)][13] << 16 |                                \
                             (uint32_t)l->iv[g + (i)][14] << 8 | (uint32_t)l->iv[g + (i)][15];   \
             uint8x16_t p##i = veorq_u8(LD(l->mac[g + (i)]), LD(l->rk[10][g + (i)]));            \
             uint8x16_t x##i, b##i;
    X4(S)
#undef S
#define CB(i) vreinterpretq_u8_u32(vsetq_lane_u32(__builtin_bswap32(c##i), base##i, 3))
#define RK(r, i) LD(l->rk[r][g + (i)])
    /* CTR_START: the counter block; CTR_END (after the rounds): the output
     * stored and the MAC input b = sel ? output : input */
#define CTR_START(i) x##i = CB(i); c##i += 1;
#define CTR_END(i)                                                            \
    {                                                                         \
        const uint8x16_t d_ = LD(in##i + off);                                \
        const uint8x16_t o_ = veorq_u8(veorq_u8(x##i, RK(10, i)), d_);        \
        ST(out##i + off, o_);                                                 \
        b##i = vbslq_u8(sel##i, o_, d_);                                      \
    }
    /* round 0: the counter block's AESE rk0; the MAC's AESE with
     * b ^ mx ^ rk0 ^ rk10 (p carries rk10 from the block before) */
#define BOTH0(i)                                                              \
    {                                                                         \
        const uint8x16_t k0_ = RK(0, i);                                      \
        ENC_RND(x##i, k0_);                                                   \
        ENC_RND(p##i, veorq_u8(veorq_u8(b##i, mx##i), veorq_u8(k0_, RK(10, i)))); \
    }
#define BOTH(i, r) { const uint8x16_t k_ = RK(r, i); ENC_RND(x##i, k_); ENC_RND(p##i, k_); }
#define BOTH9(i) { const uint8x16_t k_ = RK(9, i); x##i = vaeseq_u8(x##i, k_); p##i = vaeseq_u8(p##i, k_); }
#define CTR0(i) ENC_RND(x##i, RK(0, i));
#define CTR(i, r) ENC_RND(x##i, RK(r, i));
#define CTR9(i) x##i = vaeseq_u8(x##i, RK(9, i));
#define MAC0(i) ENC_RND(p##i, veorq_u8(veorq_u8(b##i, mx##i), veorq_u8(RK(0, i), RK(10, i))));
#define MAC(i, r) ENC_RND(p##i, RK(r, i));
#define MAC9(i) p##i = vaeseq_u8(p##i, RK(9, i));
#define ROUNDS(F, F0, F9)                                                     \
    X4(F0)                                                                    \
    for (int r = 1; r < 9; r++) {                                             \
        F(0, r) F(1, r) F(2, r) F(3, r)                                       \
    }                                                                         \
    X4(F9)
    size_t off = 0;
    X4(CTR_START)
    ROUNDS(CTR, CTR0, CTR9)
    X4(CTR_END)
    for (off = 16; off < 16 * nblk; off += 16) {
        X4(CTR_START)
        ROUNDS(BOTH, BOTH0, BOTH9)
        X4(CTR_END)
    }
    ROUNDS(MAC, MAC0, MAC9)
#define S(i) ST(l->mac[g + (i)], veorq_u8(p##i, RK(10, i))); ST(l->iv[g + (i)], CB(i));
    X4(S)
#undef S
#undef ROUNDS
#undef MAC9
#undef MAC
#undef MAC0
#undef CTR9
#undef CTR
#undef CTR0
#undef BOTH9
#undef BOTH
#undef BOTH0
#undef CTR_END
#undef CTR_START
#undef RK
#undef CB
}

/* e2e_armce_aes128_ccm_x8 is CCM's fused CTR + CBC-MAC on lanes 0..7
 * (struct e2e_aes_lane_impl.ccm), as two groups of 4: 4 counter chains
 * and 4 MAC chains in flight cover AESE+AESMC latency x throughput as the
 * 8 CBC lanes do, without spilling. Only idle lanes share buffers (the
 * scheduler's dummy blocks) and their results are never used, so the
 * groups may run one after the other. */
static E2E_ARMCE_TARGET void e2e_armce_aes128_ccm_x8(struct e2e_aes_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_ARMCE_CCM_LANES);
    if (nblk == 0)
        return;
    e2e_armce_aes128_ccm_x4(l, 0, nblk);
    e2e_armce_aes128_ccm_x4(l, 4, nblk);
}

/* ---------------------------------------------------------------- SHA-256 */

/* FIPS 180-4 sec. 4.2.2. */
static const uint32_t e2e_armce_sha256_k[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* One SHA-256 stream in registers: abcd = (A, B, C, D), efgh = (E, F, G, H)
 * from lane 0 up (the operand order SHA256H / SHA256H2 use), m0..m3 the
 * current 16 schedule words W[4i..4i+3]. */
struct e2e_armce_sha {
    uint32x4_t abcd, efgh, m0, m1, m2, m3;
};

/* e2e_armce_sha256_load_block loads one 64-byte block as big-endian words
 * (FIPS 180-4 sec. 5.2.1). */
static inline E2E_ARMCE_TARGET void e2e_armce_sha256_load_block(struct e2e_armce_sha *s,
                                                                const uint8_t *p)
{
    s->m0 = vreinterpretq_u32_u8(vrev32q_u8(LD(p)));
    s->m1 = vreinterpretq_u32_u8(vrev32q_u8(LD(p + 16)));
    s->m2 = vreinterpretq_u32_u8(vrev32q_u8(LD(p + 32)));
    s->m3 = vreinterpretq_u32_u8(vrev32q_u8(LD(p + 48)));
}

/* e2e_armce_sha256_rnds4 runs rounds 4i..4i+3 on s with m = W[4i..4i+3];
 * with sched it also extends the schedule (sec. 6.2.2 step 1):
 * m = SU1(SU0(m, m1), m2, m3) = W[4i+16..4i+19]. */
#define E2E_ARMCE_RNDS4(s, i, m, m1, m2, m3, sched)                                \
    do {                                                                           \
        const uint32x4_t wk = vaddq_u32((s).m, vld1q_u32(&e2e_armce_sha256_k[4 * (i)])); \
        const uint32x4_t abcd0 = (s).abcd;                                         \
        if (sched)                                                                 \
            (s).m = vsha256su0q_u32((s).m, (s).m1);                                \
        (s).abcd = vsha256hq_u32((s).abcd, (s).efgh, wk);                          \
        (s).efgh = vsha256h2q_u32((s).efgh, abcd0, wk);                            \
        if (sched)                                                                 \
            (s).m = vsha256su1q_u32((s).m, (s).m2, (s).m3);                        \
    } while (0)

/* E2E_ARMCE_SHA_BLOCK(R) compresses one loaded block for every stream R
 * names (R(stmt-on-stream) applies a statement to each interleaved stream):
 * 16 groups of 4 rounds, the first 12 extending the schedule. */
#define E2E_ARMCE_SHA_BLOCK(R)                                                     \
    do {                                                                           \
        for (int g = 0; g < 12; g += 4) {                                          \
            R(E2E_ARMCE_RNDS4, g + 0, m0, m1, m2, m3, 1);                          \
            R(E2E_ARMCE_RNDS4, g + 1, m1, m2, m3, m0, 1);                          \
            R(E2E_ARMCE_RNDS4, g + 2, m2, m3, m0, m1, 1);                          \
            R(E2E_ARMCE_RNDS4, g + 3, m3, m0, m1, m2, 1);                          \
        }                                                                          \
        R(E2E_ARMCE_RNDS4, 12, m0, m1, m2, m3, 0);                                 \
        R(E2E_ARMCE_RNDS4, 13, m1, m2, m3, m0, 0);                                 \
        R(E2E_ARMCE_RNDS4, 14, m2, m3, m0, m1, 0);                                 \
        R(E2E_ARMCE_RNDS4, 15, m3, m0, m1, m2, 0);                                 \
    } while (0)

/* e2e_armce_sha256_blocks runs the FIPS 180-4 compression function over nblk
 * 64-byte blocks of in, updating state[8] (host-order words H0..H7). in
 * needs no alignment. */
static E2E_ARMCE_TARGET void e2e_armce_sha256_blocks(uint32_t state[8], const uint8_t *in,
                                                     size_t nblk)
{
    E2E_HIT(E2E_HIT_ARMCE_SHA256);
    struct e2e_armce_sha s;
    s.abcd = vld1q_u32(state);
    s.efgh = vld1q_u32(state + 4);
#define R1(OP, ...) OP(s, __VA_ARGS__)
    for (; nblk > 0; nblk--, in += 64) {
        const uint32x4_t abcd_save = s.abcd, efgh_save = s.efgh;
        e2e_armce_sha256_load_block(&s, in);
        E2E_ARMCE_SHA_BLOCK(R1);
        s.abcd = vaddq_u32(s.abcd, abcd_save);
        s.efgh = vaddq_u32(s.efgh, efgh_save);
    }
#undef R1
    vst1q_u32(state, s.abcd);
    vst1q_u32(state + 4, s.efgh);
}

/* e2e_armce_sha256_blocks_x2 compresses nblk blocks of data[0] and data[1]
 * into lanes 0 and 1 of the word-major state h[w][lane], the two streams
 * interleaved round group by round group. */
static E2E_ARMCE_TARGET void e2e_armce_sha256_blocks_x2(struct e2e_sha_lanes *l, size_t nblk)
{
    E2E_HIT(E2E_HIT_ARMCE_SHA256_LANES);
    struct e2e_armce_sha s0, s1;
    const uint8_t *d0 = l->data[0], *d1 = l->data[1];
    /* gather lane i's words with lane loads: no copy of the state (an HMAC
     * midstate) is left on the stack */
#define S(i)                                                                          \
    s##i.abcd = vdupq_n_u32(0);                                                       \
    s##i.efgh = vdupq_n_u32(0);                                                       \
    s##i.abcd = vld1q_lane_u32(&l->h[0][i], s##i.abcd, 0);                            \
    s##i.abcd = vld1q_lane_u32(&l->h[1][i], s##i.abcd, 1);                            \
    s##i.abcd = vld1q_lane_u32(&l->h[2][i], s##i.abcd, 2);                            \
    s##i.abcd = vld1q_lane_u32(&l->h[3][i], s##i.abcd, 3);                            \
    s##i.efgh = vld1q_lane_u32(&l->h[4][i], s##i.efgh, 0);                            \
    s##i.efgh = vld1q_lane_u32(&l->h[5][i], s##i.efgh, 1);                            \
    s##i.efgh = vld1q_lane_u32(&l->h[6][i], s##i.efgh, 2);                            \
    s##i.efgh = vld1q_lane_u32(&l->h[7][i], s##i.efgh, 3);
    X2(S)
#undef S
#define R2(OP, ...) OP(s0, __VA_ARGS__); OP(s1, __VA_ARGS__)
    for (size_t b = 0; b < nblk; b++) {
        const uint32x4_t a0 = s0.abcd, e0 = s0.efgh, a1 = s1.abcd, e1 = s1.efgh;
        e2e_armce_sha256_load_block(&s0, d0 + 64 * b);
        e2e_armce_sha256_load_block(&s1, d1 + 64 * b);
        E2E_ARMCE_SHA_BLOCK(R2);
        s0.abcd = vaddq_u32(s0.abcd, a0);
        s0.efgh = vaddq_u32(s0.efgh, e0);
        s1.abcd = vaddq_u32(s1.abcd, a1);
        s1.efgh = vaddq_u32(s1.efgh, e1);
    }
#undef R2
#define S(i)                                                                          \
    vst1q_lane_u32(&l->h[0][i], s##i.abcd, 0);                                        \
    vst1q_lane_u32(&l->h[1][i], s##i.abcd, 1);                                        \
    vst1q_lane_u32(&l->h[2][i], s##i.abcd, 2);                                        \
    vst1q_lane_u32(&l->h[3][i], s##i.abcd, 3);                                        \
    vst1q_lane_u32(&l->h[4][i], s##i.efgh, 0);                                        \
    vst1q_lane_u32(&l->h[5][i], s##i.efgh, 1);                                        \
    vst1q_lane_u32(&l->h[6][i], s##i.efgh, 2);                                        \
    vst1q_lane_u32(&l->h[7][i], s##i.efgh, 3);
    X2(S)
#undef S
}

/* ---------------------------------------------------------------- whole HMACs
 *
 * hmac_msgs (struct e2e_sha_lane_impl.hmac_msgs) runs each message from its
 * first block to its HMAC with the state in registers throughout, two
 * messages interleaved round group by round group: no per-block scheduler
 * work, no word-major state in memory, and seg[1]'s optional copy stored
 * from the registers the block was loaded into (hashed and copied in one
 * pass while the data is in L1). The state layout (A, B, C, D), (E, F, G, H)
 * is H0..H7 in host order, so it loads and stores as is, and the inner
 * digest is the outer block's W0..W7 without a shuffle. */

/* struct e2e_armce_hcur walks the inner blocks of one e2e_hmac_msg. */
struct e2e_armce_hcur {
    const struct e2e_hmac_msg *m;
    const uint8_t *p;
    uint8_t *dst;   /* where the block p points at is copied, or NULL */
    size_t left;    /* blocks left in segment seg from p on */
    unsigned seg;
};

/* e2e_armce_hcur_init starts c on m's first segment and returns the number
 * of inner blocks. */
static inline size_t e2e_armce_hcur_init(struct e2e_armce_hcur *c, const struct e2e_hmac_msg *m)
{
    c->m = m;
    c->seg = 0;
    c->p = m->in[0];
    c->left = m->nblk[0];
    c->dst = NULL;
    return m->nblk[0] + m->nblk[1] + m->nblk[2];
}

/* e2e_armce_hcur_load loads the next block into s->m0..m3 (host-order
 * words), copying it first when its segment asks for it. The caller knows
 * a block is left. All four loads come before the first store, so the copy
 * may lie at or below p with overlap. */
static inline __attribute__((always_inline)) E2E_ARMCE_TARGET void
e2e_armce_hcur_load(struct e2e_armce_hcur *c, struct e2e_armce_sha *s)
{
    while (c->left == 0) {
        c->seg++;
        c->p = c->m->in[c->seg];
        c->left = c->m->nblk[c->seg];
        c->dst = c->seg == 1 ? c->m->copy : NULL;
    }
    const uint8x16_t a = LD(c->p), b = LD(c->p + 16), d = LD(c->p + 32), e = LD(c->p + 48);
    if (c->dst != NULL) {
        ST(c->dst, a);
        ST(c->dst + 16, b);
        ST(c->dst + 32, d);
        ST(c->dst + 48, e);
        c->dst += 64;
    }
    c->p += 64;
    c->left--;
    s->m0 = vreinterpretq_u32_u8(vrev32q_u8(a));
    s->m1 = vreinterpretq_u32_u8(vrev32q_u8(b));
    s->m2 = vreinterpretq_u32_u8(vrev32q_u8(d));
    s->m3 = vreinterpretq_u32_u8(vrev32q_u8(e));
}

/* e2e_armce_hmac_outer turns the inner digest in s into the outer block
 * (RFC 2104): W0..7 = the digest, W8 = 0x80000000 (the padding bit),
 * W15 = 768 (the bit length of opad block || digest), and loads the outer
 * state. */
static inline __attribute__((always_inline)) E2E_ARMCE_TARGET void
e2e_armce_hmac_outer(struct e2e_armce_sha *s, const uint32_t outer[8])
{
    static const uint32_t pad[8] __attribute__((aligned(16))) = {0x80000000u, 0, 0, 0,
                                                                0,           0, 0, 768};
    s->m0 = s->abcd;
    s->m1 = s->efgh;
    s->m2 = vld1q_u32(pad);
    s->m3 = vld1q_u32(pad + 4);
    s->abcd = vld1q_u32(outer);
    s->efgh = vld1q_u32(outer + 4);
}

/* e2e_armce_sha256_compress1 compresses the block loaded in s (FIPS 180-4
 * sec. 6.2.2). */
static inline __attribute__((always_inline)) E2E_ARMCE_TARGET void
e2e_armce_sha256_compress1(struct e2e_armce_sha *ps)
{
    struct e2e_armce_sha s = *ps;
    const uint32x4_t a0 = s.abcd, e0 = s.efgh;
#define R1(OP, ...) OP(s, __VA_ARGS__)
    E2E_ARMCE_SHA_BLOCK(R1);
#undef R1
    s.abcd = vaddq_u32(s.abcd, a0);
    s.efgh = vaddq_u32(s.efgh, e0);
    *ps = s;
}

/* e2e_armce_sha256_compress2 compresses the blocks loaded in s0 and s1,
 * interleaved. */
static inline __attribute__((always_inline)) E2E_ARMCE_TARGET void
e2e_armce_sha256_compress2(struct e2e_armce_sha *ps0, struct e2e_armce_sha *ps1)
{
    struct e2e_armce_sha s0 = *ps0, s1 = *ps1;
    const uint32x4_t a0 = s0.abcd, e0 = s0.efgh, a1 = s1.abcd, e1 = s1.efgh;
#define R2(OP, ...) OP(s0, __VA_ARGS__); OP(s1, __VA_ARGS__)
    E2E_ARMCE_SHA_BLOCK(R2);
#undef R2
    s0.abcd = vaddq_u32(s0.abcd, a0);
    s0.efgh = vaddq_u32(s0.efgh, e0);
    s1.abcd = vaddq_u32(s1.abcd, a1);
    s1.efgh = vaddq_u32(s1.efgh, e1);
    *ps0 = s0;
    *ps1 = s1;
}

/* e2e_armce_hmac_one runs message m alone. */
static E2E_ARMCE_TARGET void e2e_armce_hmac_one(struct e2e_hmac_msg *m)
{
    struct e2e_armce_hcur c;
    struct e2e_armce_sha s;
    size_t n = e2e_armce_hcur_init(&c, m);
    s.abcd = vld1q_u32(m->inner);
    s.efgh = vld1q_u32(m->inner + 4);
    for (; n > 0; n--) {
        e2e_armce_hcur_load(&c, &s);
        e2e_armce_sha256_compress1(&s);
    }
    e2e_armce_hmac_outer(&s, m->outer);
    e2e_armce_sha256_compress1(&s);
    vst1q_u32(m->h, s.abcd);
    vst1q_u32(m->h + 4, s.efgh);
}

/* e2e_armce_hmac_pair runs messages ma and mb interleaved for as many inner
 * blocks as both have, the longer one's rest alone, then both outer hashes
 * interleaved. */
static E2E_ARMCE_TARGET void e2e_armce_hmac_pair(struct e2e_hmac_msg *ma, struct e2e_hmac_msg *mb)
{
    struct e2e_armce_hcur ca, cb;
    struct e2e_armce_sha s0, s1;
    size_t na = e2e_armce_hcur_init(&ca, ma), nb = e2e_armce_hcur_init(&cb, mb);
    size_t both = na < nb ? na : nb;
    s0.abcd = vld1q_u32(ma->inner);
    s0.efgh = vld1q_u32(ma->inner + 4);
    s1.abcd = vld1q_u32(mb->inner);
    s1.efgh = vld1q_u32(mb->inner + 4);
    for (size_t i = 0; i < both; i++) {
        e2e_armce_hcur_load(&ca, &s0);
        e2e_armce_hcur_load(&cb, &s1);
        e2e_armce_sha256_compress2(&s0, &s1);
    }
    for (size_t i = both; i < na; i++) {
        e2e_armce_hcur_load(&ca, &s0);
        e2e_armce_sha256_compress1(&s0);
    }
    for (size_t i = both; i < nb; i++) {
        e2e_armce_hcur_load(&cb, &s1);
        e2e_armce_sha256_compress1(&s1);
    }
    e2e_armce_hmac_outer(&s0, ma->outer);
    e2e_armce_hmac_outer(&s1, mb->outer);
    e2e_armce_sha256_compress2(&s0, &s1);
    vst1q_u32(ma->h, s0.abcd);
    vst1q_u32(ma->h + 4, s0.efgh);
    vst1q_u32(mb->h, s1.abcd);
    vst1q_u32(mb->h + 4, s1.efgh);
}

/* e2e_armce_hmac_msgs runs n whole HMACs, two at a time
 * (struct e2e_sha_lane_impl.hmac_msgs). */
static E2E_ARMCE_TARGET void e2e_armce_hmac_msgs(struct e2e_hmac_msg *m, size_t n)
{
    E2E_HIT(E2E_HIT_ARMCE_HMAC_MSGS);
    size_t i = 0;
    for (; i + 2 <= n; i += 2)
        e2e_armce_hmac_pair(&m[i], &m[i + 1]);
    if (i < n)
        e2e_armce_hmac_one(&m[i]);
}

/* ---------------------------------------------------------------- stitched
 *
 * e2e_armce_cbc_hmac (struct e2e_sha_impl.cbc_hmac): a single-message CS1
 * seal is HMAC over KIV || P, then CBC over P || T; both are serial chains
 * (SHA256H/H2's and AESE+AESMC's), each leaving its unit idle most of the
 * time, and only the blocks that carry T must wait for the HMAC. So the CBC
 * chain over P's whole blocks runs here woven into the HMAC: each step is
 * one SHA-256 block (the outer hash is the last) with four CBC blocks
 * spread over its 16 round groups, one quarter block per group, so each
 * chain issues in the other's latency shadow on an in-order core as on an
 * out-of-order one. The 11 round keys stay in registers (aarch64 has 32:
 * 11 keys, the SHA state, its saved copy, 4 schedule registers, the CBC
 * chain and temporaries fit). */

/* E2E_ARMCE_CBC_Q(j, q) is quarter q (0..3) of CBC block j (0..3) of a step,
 * on the chain p (ciphertext ^ enc[10], as in cbc_enc): 0: the first AESE
 * with in ^ enc[0] ^ enc[10] folded in, and rounds 1-2; 1: rounds 3-5;
 * 2: rounds 6-7; 3: round 8, the last AESE, and the store. */
#define E2E_ARMCE_CBC_Q(j, q)                                                   \
    do {                                                                        \
        if ((q) == 0) {                                                         \
            ENC_RND(p, veorq_u8(LD(in + 16 * (j)), kx));                        \
            ENC_RND(p, r->k1);                                                  \
            ENC_RND(p, r->k2);                                                  \
        } else if ((q) == 1) {                                                  \
            ENC_RND(p, r->k3);                                                  \
            ENC_RND(p, r->k4);                                                  \
            ENC_RND(p, r->k5);                                                  \
        } else if ((q) == 2) {                                                  \
            ENC_RND(p, r->k6);                                                  \
            ENC_RND(p, r->k7);                                                  \
        } else {                                                                \
            ENC_RND(p, r->k8);                                                  \
            p = vaeseq_u8(p, r->k9);                                            \
            ST(out + 16 * (j), veorq_u8(p, r->k10));                            \
        }                                                                       \
    } while (0)

/* E2E_ARMCE_G_CBC(i, ...) is round group i of the SHA block in s followed
 * by quarter i % 4 of CBC block i / 4. */
#define E2E_ARMCE_G_CBC(i, m, m1, m2, m3, sched)                               \
    do {                                                                        \
        E2E_ARMCE_RNDS4(s, i, m, m1, m2, m3, sched);                            \
        E2E_ARMCE_CBC_Q((i) / 4, (i) % 4);                                      \
    } while (0)

/* e2e_armce_sha256_cbc4 is compress1 with four CBC blocks (in[0..64) to
 * out[0..64), chaining *pp under r, kx = enc[0] ^ enc[10]) woven into its
 * round groups. Block j's input is loaded before its output is stored. */
static inline __attribute__((always_inline)) E2E_ARMCE_TARGET void
e2e_armce_sha256_cbc4(struct e2e_armce_sha *ps, uint8x16_t *pp, const struct e2e_armce_rkeys *r,
                      uint8x16_t kx, uint8_t *out, const uint8_t *in)
{
    struct e2e_armce_sha s = *ps;
    uint8x16_t p = *pp;
    const uint32x4_t a0 = s.abcd, e0 = s.efgh;
    E2E_ARMCE_G_CBC(0, m0, m1, m2, m3, 1);
    E2E_ARMCE_G_CBC(1, m1, m2, m3, m0, 1);
    E2E_ARMCE_G_CBC(2, m2, m3, m0, m1, 1);
    E2E_ARMCE_G_CBC(3, m3, m0, m1, m2, 1);
    E2E_ARMCE_G_CBC(4, m0, m1, m2, m3, 1);
    E2E_ARMCE_G_CBC(5, m1, m2, m3, m0, 1);
    E2E_ARMCE_G_CBC(6, m2, m3, m0, m1, 1);
    E2E_ARMCE_G_CBC(7, m3, m0, m1, m2, 1);
    E2E_ARMCE_G_CBC(8, m0, m1, m2, m3, 1);
    E2E_ARMCE_G_CBC(9, m1, m2, m3, m0, 1);
    E2E_ARMCE_G_CBC(10, m2, m3, m0, m1, 1);
    E2E_ARMCE_G_CBC(11, m3, m0, m1, m2, 1);
    E2E_ARMCE_G_CBC(12, m0, m1, m2, m3, 0);
    E2E_ARMCE_G_CBC(13, m1, m2, m3, m0, 0);
    E2E_ARMCE_G_CBC(14, m2, m3, m0, m1, 0);
    E2E_ARMCE_G_CBC(15, m3, m0, m1, m2, 0);
    s.abcd = vaddq_u32(s.abcd, a0);
    s.efgh = vaddq_u32(s.efgh, e0);
    *ps = s;
    *pp = p;
}
#undef E2E_ARMCE_G_CBC
#undef E2E_ARMCE_CBC_Q

/* e2e_armce_cbc_hmac CBC-encrypts nblk blocks of in to out under k (SP
 * 800-38A sec. 6.2), chaining from iv (left at the last ciphertext block),
 * while running the whole HMAC m: one SHA-256 block and four CBC blocks per
 * step while both chains last, then the one left alone. out may equal in;
 * m's blocks must not lie in out. No alignment is required. */
static E2E_ARMCE_TARGET void e2e_armce_cbc_hmac(const e2e_aes_key *k, uint8_t iv[16],
                                                uint8_t *out, const uint8_t *in, size_t nblk,
                                                struct e2e_hmac_msg *m)
{
    E2E_HIT(E2E_HIT_ARMCE_CBC_HMAC);
    const struct e2e_armce_rkeys r = e2e_armce_load_rkeys(k->enc);
    const uint8x16_t kx = veorq_u8(r.k0, r.k10);
    uint8x16_t p = veorq_u8(LD(iv), r.k10); /* ciphertext ^ enc[10] */
    struct e2e_armce_hcur c;
    struct e2e_armce_sha s;
    size_t inner = e2e_armce_hcur_init(&c, m);
    int outer_done = 0;
    s.abcd = vld1q_u32(m->inner);
    s.efgh = vld1q_u32(m->inner + 4);
    while (nblk >= 4 && !outer_done) {
        if (inner > 0) {
            e2e_armce_hcur_load(&c, &s);
            inner--;
        } else {
            e2e_armce_hmac_outer(&s, m->outer);
            outer_done = 1;
        }
        e2e_armce_sha256_cbc4(&s, &p, &r, kx, out, in);
        in += 64;
        out += 64;
        nblk -= 4;
    }
    /* the chain that is left alone */
    for (; inner > 0; inner--) {
        e2e_armce_hcur_load(&c, &s);
        e2e_armce_sha256_compress1(&s);
    }
    if (!outer_done) {
        e2e_armce_hmac_outer(&s, m->outer);
        e2e_armce_sha256_compress1(&s);
    }
    for (; nblk > 0; nblk--, in += 16, out += 16) {
        p = e2e_armce_aes128_enc_pre(&r, p, veorq_u8(LD(in), kx));
        ST(out, veorq_u8(p, r.k10));
    }
    vst1q_u32(m->h, s.abcd);
    vst1q_u32(m->h + 4, s.efgh);
    ST(iv, veorq_u8(p, r.k10));
}

/* ---------------------------------------------------------------- tables */

const struct e2e_aes_impl e2e_aes_impl_armce = {
    "armce",
    E2E_CPU_ARM_AES,
    e2e_armce_aes128_expand,
    e2e_armce_aes128_ecb_enc,
    e2e_armce_aes128_ecb_dec,
    e2e_armce_aes128_cbc_enc,
    e2e_armce_aes128_cbc_dec,
    e2e_armce_aes128_ctr32,
    e2e_armce_aes128_cbcmac,
    e2e_armce_aes128_ccm,
};

const struct e2e_sha_impl e2e_sha_impl_armce = {
    "armce",
    E2E_CPU_ARM_SHA2,
    e2e_armce_sha256_blocks,
    NULL, /* cbc_hmac needs ARM AES: e2e_sha_impl_armce_aes */
};

const struct e2e_sha_impl e2e_sha_impl_armce_aes = {
    "armce",
    E2E_CPU_ARM_SHA2 | E2E_CPU_ARM_AES,
    e2e_armce_sha256_blocks,
    e2e_armce_cbc_hmac,
};

const struct e2e_aes_lane_impl e2e_aes_lane_impl_armce = {
    "armce",
    E2E_CPU_ARM_AES,
    8,
    e2e_armce_aes128_cbcenc_x8,
    e2e_armce_aes128_cbcmac_x8,
    e2e_armce_aes128_expand_n,
    NULL, /* no CTR lanes: the scheduler runs CCM's CTR per message */
    e2e_armce_aes128_ccm_x8,
};

const struct e2e_sha_lane_impl e2e_sha_lane_impl_armce = {
    "armce",
    E2E_CPU_ARM_SHA2,
    2,
    e2e_armce_sha256_blocks_x2,
    NULL, /* no fused HMAC: hmac_msgs serves the scheduler */
    e2e_armce_hmac_msgs,
};

#endif /* __aarch64__ */
