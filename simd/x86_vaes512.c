/* x86_vaes512.c — AES-128 with VAES + AVX-512 (x86-64): multi-buffer lanes,
 * and the parallel modes of one message.
 *
 * Implementation notes
 *  - Exports e2e_aes_lane_impl_vaes512 and e2e_aes_impl_vaes512
 *    (simd/impl.h); the single-message table's serial entries are
 *    x86_aesni.c's (see "one message" below). The file is built
 *    without -m flags; every function carries target("vaes,avx512f,...") and
 *    nothing here may run unless the engine saw E2E_CPU_VAES | AVX512 | AESNI.
 *  - CBC encryption and CBC-MAC are serial inside a message, so the kernels
 *    run 16 messages (lanes) side by side: lanes 4g..4g+3 share one zmm
 *    chain g, and one VAESENC advances 4 messages by one round. Lane i's
 *    round key r is l->rk[r][i], so the keys of chain g for round r are one
 *    aligned 512-bit row (impl.h).
 *  - Cost per step (one block on each of the 16 lanes): 44 VAESENC(LAST) on
 *    zmm. Measured on Zen 4: one zmm AES per cycle, latency 4, so a chain's
 *    block is 1 XOR + 10 AES = 41 cycles of latency against 44 cycles of
 *    AES issue for the step: 4 chains are just enough to keep the AES unit
 *    busy, and the floor is 44 cycles per 256 bytes (0.17 cycles per byte,
 *    0.12 TSC ticks on the benchmark host). CBC-MAC runs at that floor. CBC encryption runs about
 *    25% above it: with 28 key rows, 16 blocks and 32 lane pointers read per
 *    step plus 16 stores, the load/store unit, not the AES unit, is the
 *    limit (halving the pointer loads, 2-step 32-byte loads, deferred or
 *    stack-bounced stores all measured no better).
 *  - Round keys: 44 rows do not fit in 32 zmm registers next to the chains
 *    and the next step's inputs. Rows of rounds 1..4 stay in registers for
 *    the whole call; rounds 0 and 5..10 are memory operands, read at each
 *    use. A compiler fence per round (ROUND_FENCE4, with a memory clobber)
 *    keeps those from being hoisted out of the loop, where they would be
 *    spilled. With a fifth round in registers gcc and clang spill key rows to
 *    the stack; with four, neither copies any key or data to the stack.
 *  - Blocks move between the 16 lane buffers and the 4 chains with 128-bit
 *    loads inserted into ymm/zmm (gather) and ymm/xmm extracts stored out
 *    (scatter). The next step's gather (XORed with round key 0, off the
 *    chain) is issued one step ahead, so the chain never waits for a load.
 *  - Aliasing: each lane's next input block is read before the current
 *    step's stores, and the chaining value stays in registers. A store to
 *    out[i] only reaches in[i]'s next block if out[i] > in[i], which impl.h
 *    excludes; out[i] == in[i] works, and idle lanes may all point at one
 *    dummy input and one dummy output buffer (their results are garbage).
 *  - No branch or table index depends on a key or on data; control flow
 *    depends only on nblk.
 */
#if defined(__x86_64__)

#include <immintrin.h>

#include "../engine/e2ecrypt.h"
#include "impl.h"
#include "x86_aesni.h"


#define E2E_VAES512_TARGET \
    __attribute__((target("vaes,avx512f,avx512bw,avx512vl,aes,sse4.1,ssse3")))

#define LDU(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STU(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))
/* R9 repeats a per-round statement for the middle rounds 1..9. */
#define R9(S) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9)
/* RKZ(l, r, g) is the row of round keys r of lanes 4g..4g+3. */
#define RKZ(l, r, g) _mm512_load_si512((const void *)(l)->rk[r][4 * (g)])

/* X4 repeats a per-chain statement for chains 0..3. */
#define X4(S) S(0) S(1) S(2) S(3)

/* ROUND_FENCE4 ends one round: the chains x0..x3 are in registers here, and
 * no load moves across it (see the notes on round keys). */
#define ROUND_FENCE4() __asm__("" : "+v"(x0), "+v"(x1), "+v"(x2), "+v"(x3) : : "memory")

/* e2e_vaes512_opaque hides x from the optimiser, so in ^ rk0 is computed
 * off the chain instead of being reassociated into it. */
static inline E2E_VAES512_TARGET __m512i e2e_vaes512_opaque(__m512i x)
{
    __asm__("" : "+v"(x));
    return x;
}

/* e2e_vaes512_gather returns the 16-byte blocks at off in lanes 4g..4g+3. */
static inline E2E_VAES512_TARGET __m512i e2e_vaes512_gather(const uint8_t *const *in,
                                                            size_t off)
{
    const __m256i lo = _mm256_inserti128_si256(_mm256_castsi128_si256(LDU(in[0] + off)),
                                               LDU(in[1] + off), 1);
    const __m256i hi = _mm256_inserti128_si256(_mm256_castsi128_si256(LDU(in[2] + off)),
                                               LDU(in[3] + off), 1);
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

/* e2e_vaes512_scatter stores the 4 blocks of x at off in lanes 4g..4g+3. */
static inline E2E_VAES512_TARGET void e2e_vaes512_scatter(uint8_t *const *out, size_t off,
                                                          __m512i x)
{
    const __m256i lo = _mm512_castsi512_si256(x), hi = _mm512_extracti64x4_epi64(x, 1);
    STU(out[0] + off, _mm256_castsi256_si128(lo));
    STU(out[1] + off, _mm256_extracti128_si256(lo, 1));
    STU(out[2] + off, _mm256_castsi256_si128(hi));
    STU(out[3] + off, _mm256_extracti128_si256(hi, 1));
}

/* KREG / KMEM name round r's key row of chain g: held in a register for the
 * whole call, or read from l at each use. */
#define KREG(r, g) k##r##_##g
#define KMEM(r, g) RKZ(l, r, g)
#define K1 KREG
#define K2 KREG
#define K3 KREG
#define K4 KREG
#define K5 KMEM
#define K6 KMEM
#define K7 KMEM
#define K8 KMEM
#define K9 KMEM
#define K10 KMEM

/* ROUND(r) advances the 4 chains by AES round r. */
#define ROUND(r)                                                                         \
    x0 = _mm512_aesenc_epi128(x0, K##r(r, 0));                                          \
    x1 = _mm512_aesenc_epi128(x1, K##r(r, 1));                                          \
    x2 = _mm512_aesenc_epi128(x2, K##r(r, 2));                                          \
    x3 = _mm512_aesenc_epi128(x3, K##r(r, 3));                                          \
    ROUND_FENCE4();

/* e2e_vaes512_aes128_lanes_x16 runs nblk CBC steps on lanes 0..15 of l,
 * storing each ciphertext block to out[i] when store is set (CBC
 * encryption) and only chaining otherwise (CBC-MAC).
 *
 * Register plan (32 zmm): 4 chains, the 4 input rows of the next step, 16
 * key rows (rounds 1..4) and temporaries. More key rows in registers made
 * gcc and clang spill some of them to the stack; rounds 0 and 5..10 are
 * memory operands. The next step's blocks are gathered (and XORed with
 * round key 0, off the chain) one step ahead, so the chain never waits for
 * a load; they are read before this step's stores, which is safe because
 * this step's store to out[i] never reaches in[i]'s next block (out[i] ==
 * in[i] or disjoint). */
static inline __attribute__((always_inline)) E2E_VAES512_TARGET void
e2e_vaes512_aes128_lanes_x16(struct e2e_aes_lanes *l, size_t nblk, int store)
{
    if (nblk == 0)
        return;
#define S(g) __m512i x##g = _mm512_load_si512((const void *)l->iv[4 * (g)]);
    X4(S)
#undef S
#define S(g) const __m512i k1_##g = RKZ(l, 1, g), k2_##g = RKZ(l, 2, g), k3_##g = RKZ(l, 3, g), \
                           k4_##g = RKZ(l, 4, g);
    X4(S)
#undef S
    /* w = in ^ rk0 is off the serial path, which is one XOR + 10 AES */
#define S(g) __m512i w##g = e2e_vaes512_opaque(_mm512_xor_si512(                             \
                 e2e_vaes512_gather(l->in + 4 * (g), 0), RKZ(l, 0, g)));
    X4(S)
#undef S
    for (size_t off = 0;; off += 16) {
#define S(g) x##g = _mm512_xor_si512(x##g, w##g);
        X4(S)
#undef S
        const int more = off + 16 < 16 * nblk;
        if (more) {
#define S(g) w##g = e2e_vaes512_opaque(_mm512_xor_si512(                                    \
                 e2e_vaes512_gather(l->in + 4 * (g), off + 16), RKZ(l, 0, g)));
            X4(S)
#undef S
        }
        ROUND(1) ROUND(2) ROUND(3) ROUND(4) ROUND(5) ROUND(6) ROUND(7) ROUND(8) ROUND(9)
        x0 = _mm512_aesenclast_epi128(x0, K10(10, 0));
        x1 = _mm512_aesenclast_epi128(x1, K10(10, 1));
        x2 = _mm512_aesenclast_epi128(x2, K10(10, 2));
        x3 = _mm512_aesenclast_epi128(x3, K10(10, 3));
        if (store) {
#define S(g) e2e_vaes512_scatter(l->out + 4 * (g), off, x##g);
            X4(S)
#undef S
        }
        if (!more)
            break;
    }
#define S(g) _mm512_store_si512((void *)l->iv[4 * (g)], x##g);
    X4(S)
#undef S
}


/* e2e_vaes512_aes128_cbcenc_x16 CBC-encrypts (SP 800-38A sec. 6.2) nblk
 * blocks on each of lanes 0..15: in[i] to out[i] under lane i's round keys,
 * chaining from iv[i], which is left at the last ciphertext block.
 * out[i] == in[i] is allowed; the lane pointers are not advanced. No
 * alignment is required of the buffers. */
static E2E_VAES512_TARGET void e2e_vaes512_aes128_cbcenc_x16(struct e2e_aes_lanes *l,
                                                             size_t nblk)
{
    E2E_HIT(E2E_HIT_VAES512_CBCENC_X16);
    e2e_vaes512_aes128_lanes_x16(l, nblk, 1);
}

/* e2e_vaes512_aes128_cbcmac_x16 runs iv[i] = E_i(iv[i] ^ block) over nblk
 * blocks of in[i] on each of lanes 0..15 (SP 800-38C sec. 6.1's CBC
 * chain). out[] is not touched. */
static E2E_VAES512_TARGET void e2e_vaes512_aes128_cbcmac_x16(struct e2e_aes_lanes *l,
                                                             size_t nblk)
{
    E2E_HIT(E2E_HIT_VAES512_CBCMAC_X16);
    e2e_vaes512_aes128_lanes_x16(l, nblk, 0);
}

/* ---------------------------------------------------------------- CTR
 *
 * e2e_vaes512_aes128_ctr_x16 runs AES-CTR (SP 800-38A sec. 6.5) on lanes
 * 0..15, each with its own key and counter block iv[i]: out[i][b] =
 * in[i][b] ^ E_i(ctr_i + b), the counter being iv[i]'s last 4 bytes
 * (big-endian, mod 2^32). CCM's S0 = E(Ctr0) and its CTR blocks for many
 * short messages ride here, 16 messages per VAESENC row. The 4 rows of a
 * step are independent of each other and of the next step, so the AES unit
 * stays busy without any software pipelining. The counters are kept
 * byte-reversed (the counter word is then dword 0 of each 128-bit lane) and
 * swapped back per step. Round keys as in the CBC kernels (ROUND, K1..K10). Each step reads all 16 input blocks before it
 * stores any, so out[i] <= in[i] with overlap works. No branch or index
 * depends on a key or on data. */
/* CTR_SETUP declares rev (reverses the bytes of each 128-bit lane) and one
 * (+1 on each lane's counter word), and loads the counters c0..c3 of lanes
 * 4g..4g+3 from l->iv, byte-reversed. */
#define CTR_SETUP()                                                                    \
    const __m512i rev = _mm512_broadcast_i32x4(                                        \
        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));            \
    const __m512i one = _mm512_broadcast_i32x4(_mm_set_epi32(0, 0, 0, 1));             \
    __m512i c0 = _mm512_shuffle_epi8(_mm512_load_si512((const void *)l->iv[0]), rev),  \
            c1 = _mm512_shuffle_epi8(_mm512_load_si512((const void *)l->iv[4]), rev),  \
            c2 = _mm512_shuffle_epi8(_mm512_load_si512((const void *)l->iv[8]), rev),  \
            c3 = _mm512_shuffle_epi8(_mm512_load_si512((const void *)l->iv[12]), rev)

static E2E_VAES512_TARGET void e2e_vaes512_aes128_ctr_x16(struct e2e_aes_lanes *l,
                                                          size_t nblk)
{
    E2E_HIT(E2E_HIT_VAES512_CTR_X16);
    if (nblk == 0)
        return;
    CTR_SETUP();
#define S(g) const __m512i k1_##g = RKZ(l, 1, g), k2_##g = RKZ(l, 2, g), k3_##g = RKZ(l, 3, g), \
                           k4_##g = RKZ(l, 4, g);
    X4(S)
#undef S
    for (size_t off = 0; off < 16 * nblk; off += 16) {
#define S(g) __m512i x##g = _mm512_xor_si512(_mm512_shuffle_epi8(c##g, rev), RKZ(l, 0, g)); \
             c##g = _mm512_add_epi32(c##g, one);
        X4(S)
#undef S
        ROUND(1) ROUND(2) ROUND(3) ROUND(4) ROUND(5) ROUND(6) ROUND(7) ROUND(8) ROUND(9)
#define S(g) const __m512i d##g = e2e_vaes512_gather(l->in + 4 * (g), off);
        X4(S)
#undef S
#define S(g) e2e_vaes512_scatter(l->out + 4 * (g), off,                                   \
                 _mm512_xor_si512(_mm512_aesenclast_epi128(x##g, K10(10, g)), d##g));
        X4(S)
#undef S
    }
#define S(g) _mm512_store_si512((void *)l->iv[4 * (g)], _mm512_shuffle_epi8(c##g, rev));
    X4(S)
#undef S
}

/* ---------------------------------------------------------------- CCM
 *
 * e2e_vaes512_aes128_ccm_x16 runs CCM's CTR and CBC-MAC (SP 800-38C) in
 * one pass over the lanes (struct e2e_aes_lane_impl.ccm): separate passes
 * read every block twice and ran the MAC's serial chains with the AES unit
 * half idle behind them. The MAC of block b needs the CTR output of block
 * b (open), so the two are software-pipelined: step b runs the CTR rows of
 * block b and the MAC rows of block b - 1 round by round, 8 independent
 * rows per round, each round key row loaded once for both. The first step
 * has CTR rows only, and a last step MAC rows only. The MAC's input is
 * built from the step's own registers (output, input, sel, mx), so a step
 * loads 16 blocks and stores 16. Aliasing as in the CTR kernel: each step
 * reads its 16 input blocks before it stores. No branch or index depends on a key or on data. */
#define MROUND(r)                                                                        \
    m0 = _mm512_aesenc_epi128(m0, K##r(r, 0));                                          \
    m1 = _mm512_aesenc_epi128(m1, K##r(r, 1));                                          \
    m2 = _mm512_aesenc_epi128(m2, K##r(r, 2));                                          \
    m3 = _mm512_aesenc_epi128(m3, K##r(r, 3));                                          \
    __asm__("" : "+v"(m0), "+v"(m1), "+v"(m2), "+v"(m3) : : "memory");
#define BROUND(r)                                                                        \
    {                                                                                    \
        const __m512i r0_ = K##r(r, 0), r1_ = K##r(r, 1), r2_ = K##r(r, 2),              \
                      r3_ = K##r(r, 3);                                                  \
        x0 = _mm512_aesenc_epi128(x0, r0_);                                              \
        m0 = _mm512_aesenc_epi128(m0, r0_);                                              \
        x1 = _mm512_aesenc_epi128(x1, r1_);                                              \
        m1 = _mm512_aesenc_epi128(m1, r1_);                                              \
        x2 = _mm512_aesenc_epi128(x2, r2_);                                              \
        m2 = _mm512_aesenc_epi128(m2, r2_);                                              \
        x3 = _mm512_aesenc_epi128(x3, r3_);                                              \
        m3 = _mm512_aesenc_epi128(m3, r3_);                                              \
        __asm__("" : "+v"(x0), "+v"(x1), "+v"(x2), "+v"(x3), "+v"(m0), "+v"(m1),        \
                "+v"(m2), "+v"(m3) : : "memory");                                        \
    }

static E2E_VAES512_TARGET void e2e_vaes512_aes128_ccm_x16(struct e2e_aes_lanes *l,
                                                          size_t nblk)
{
    E2E_HIT(E2E_HIT_VAES512_CCM_X16);
    if (nblk == 0)
        return;
    CTR_SETUP();
#define S(g) __m512i m##g = _mm512_load_si512((const void *)l->mac[4 * (g)]);                         \
             const __m512i s##g = _mm512_load_si512((const void *)l->sel[4 * (g)]);                   \
             const __m512i z##g = _mm512_xor_si512(e2e_vaes512_gather(l->mx + 4 * (g), 0),           \
                                                   RKZ(l, 0, g));                                     \
             __m512i b##g, x##g;
    X4(S)
#undef S
#define S(g) const __m512i k1_##g = RKZ(l, 1, g), k2_##g = RKZ(l, 2, g), k3_##g = RKZ(l, 3, g), \
                           k4_##g = RKZ(l, 4, g);
    X4(S)
#undef S
    /* CTR_START: x = E's input for the counter blocks; CTR_END: the output
     * blocks stored, and the MAC inputs b (0xca: s ? o : in); MAC_START:
     * m ^ b ^ (mx ^ rk0) (0x96: a three-way XOR) */
#define CTR_START(g) x##g = _mm512_xor_si512(_mm512_shuffle_epi8(c##g, rev), RKZ(l, 0, g)); \
                     c##g = _mm512_add_epi32(c##g, one);
#define CTR_END(g)                                                                          \
    {                                                                                       \
        const __m512i d_ = e2e_vaes512_gather(l->in + 4 * (g), off);                        \
        const __m512i o_ = _mm512_xor_si512(_mm512_aesenclast_epi128(x##g, K10(10, g)), d_); \
        e2e_vaes512_scatter(l->out + 4 * (g), off, o_);                                     \
        b##g = _mm512_ternarylogic_epi64(s##g, o_, d_, 0xca);                               \
    }
#define MAC_START(g) m##g = _mm512_ternarylogic_epi64(m##g, b##g, z##g, 0x96);
#define MAC_END(g) m##g = _mm512_aesenclast_epi128(m##g, K10(10, g));
    size_t off = 0;
    X4(CTR_START)
    ROUND(1) ROUND(2) ROUND(3) ROUND(4) ROUND(5) ROUND(6) ROUND(7) ROUND(8) ROUND(9)
    X4(CTR_END)
    for (off = 16; off < 16 * nblk; off += 16) {
        X4(CTR_START)
        X4(MAC_START)
        BROUND(1) BROUND(2) BROUND(3) BROUND(4) BROUND(5) BROUND(6) BROUND(7) BROUND(8)
        BROUND(9)
        X4(MAC_END)
        X4(CTR_END)
    }
    X4(MAC_START)
    MROUND(1) MROUND(2) MROUND(3) MROUND(4) MROUND(5) MROUND(6) MROUND(7) MROUND(8) MROUND(9)
    X4(MAC_END)
#undef CTR_START
#undef CTR_END
#undef MAC_START
#undef MAC_END
#define S(g) _mm512_store_si512((void *)l->iv[4 * (g)], _mm512_shuffle_epi8(c##g, rev)); \
             _mm512_store_si512((void *)l->mac[4 * (g)], m##g);
    X4(S)
#undef S
}
#undef MROUND
#undef BROUND
#undef CTR_SETUP

#undef ROUND
#undef K1
#undef K2
#undef K3
#undef K4
#undef K5
#undef K6
#undef K7
#undef K8
#undef K9
#undef K10

/* ---------------------------------------------------------------- one message
 *
 * e2e_aes_impl_vaes512: the single-message table (e2e_open / e2e_seal, and
 * the batch scheduler's per-message CS1 decryption and CTR). Its parallel
 * modes, ECB, CBC decryption and CTR, put 4 blocks of one message in each
 * zmm; CBC encryption, CBC-MAC and key expansion are serial and are
 * x86_aesni.c's (x86_aesni.h).
 *  - A group is 4 zmm (16 blocks), each advanced one round per VAESENC /
 *    VAESDEC, round by round across the group: on Zen 4 (one zmm AES per
 *    cycle, latency 4) 4 zmm keep the AES unit busy, and successive groups
 *    are independent, so the core overlaps them too (e2e_kernels: 0.11
 *    TSC ticks a byte from 1 KiB up, half the AES-NI kernels' 0.22).
 *  - The 0..15 blocks left are 1..3 zmm, then a ymm if 2 or 3 are left,
 *    then an xmm if 1 is: every vector is full, so no AES time goes to
 *    masked-off blocks (a ymm VAESENC costs half a zmm one: 2 per cycle on
 *    Zen 4), and loads and stores are plain (a masked store does not
 *    forward to a later load of the bytes: an early version with masked
 *    1..4-block tails took about 10 ticks more latency per call than
 *    AES-NI on 1 or 2 blocks).
 *    So 1 block is one xmm and 2 one ymm, the common IoT case (CS1 of a
 *    16-byte payload is 2 blocks). Only CTR's partial last block uses a
 *    masked xmm load and store: no access past the caller's bytes and no
 *    copy of keystream through a stack buffer. The stages are independent
 *    (CBC's previous ciphertext passes between them in registers), so the
 *    core overlaps them.
 *  - Round keys are broadcast from *k (VBROADCASTI32X4) at each use and live
 *    for one round; the keys are never copied elsewhere.
 *  - Aliasing (impl.h): a group, or a stage of the tail, loads all of its
 *    input before it stores any output, and a store to output block i only
 *    reaches input blocks <= i when out <= in, so out == in and out < in
 *    with overlap work. CBC decryption's previous ciphertext comes from
 *    registers (VALIGNQ of this vector and the one before), never from
 *    memory after a store; the chaining value left in iv is the last
 *    ciphertext block, also kept in a register since its load.
 *  - Loop counts, the stages run and CTR's byte mask depend only on lengths
 *    (public); no branch or index depends on a key or on data. */

/* BK(s, r) is round key r of schedule s (k->enc or k->dec) in all 4 lanes;
 * BKY in both lanes of a ymm; BKX as an xmm. */
#define BKX(s, r) _mm_load_si128((const __m128i *)(const void *)(s)[r])
#define BK(s, r) _mm512_broadcast_i32x4(BKX(s, r))
#define BKY(s, r) _mm256_broadcastsi128_si256(BKX(s, r))

/* EACH(S) applies S(j) to the zmm x0..x(nz-1) of a group; nz is a constant
 * after inlining, so the unused ones vanish. */
#define EACH(S)                                                                          \
    if (nz > 0) { S(0) }                                                                 \
    if (nz > 1) { S(1) }                                                                 \
    if (nz > 2) { S(2) }                                                                 \
    if (nz > 3) { S(3) }

/* e2e_vaes512_aes128_xn runs the cipher (dec: the equivalent inverse cipher
 * of FIPS 197 sec. 5.3.5) on the blocks of *x0..*x(nz-1), round by round
 * across them. */
static inline __attribute__((always_inline)) E2E_VAES512_TARGET void
e2e_vaes512_aes128_xn(const e2e_aes_key *k, __m512i *x0, __m512i *x1, __m512i *x2, __m512i *x3,
                      const int nz, const int dec)
{
    const uint8_t(*s)[16] = dec ? k->dec : k->enc;
    __m512i rk = BK(s, 0);
#define S(j) *x##j = _mm512_xor_si512(*x##j, rk);
    EACH(S)
#undef S
#define S(j) *x##j = dec ? _mm512_aesdec_epi128(*x##j, rk) : _mm512_aesenc_epi128(*x##j, rk);
#define R(r) rk = BK(s, r); EACH(S)
    R9(R)
#undef R
#undef S
    rk = BK(s, 10);
#define S(j) *x##j = dec ? _mm512_aesdeclast_epi128(*x##j, rk) : _mm512_aesenclast_epi128(*x##j, rk);
    EACH(S)
#undef S
}

/* e2e_vaes512_aes128_y runs the cipher (dec: the inverse cipher) on the 2
 * blocks of x. */
static inline __attribute__((always_inline)) E2E_VAES512_TARGET __m256i
e2e_vaes512_aes128_y(const e2e_aes_key *k, __m256i x, const int dec)
{
    const uint8_t(*s)[16] = dec ? k->dec : k->enc;
    x = _mm256_xor_si256(x, BKY(s, 0));
#define S(r) x = dec ? _mm256_aesdec_epi128(x, BKY(s, r)) : _mm256_aesenc_epi128(x, BKY(s, r));
    R9(S)
#undef S
    return dec ? _mm256_aesdeclast_epi128(x, BKY(s, 10)) : _mm256_aesenclast_epi128(x, BKY(s, 10));
}

/* e2e_vaes512_aes128_x runs the cipher (dec: the inverse cipher) on the
 * block x (VEX-encoded AESENC). */
static inline __attribute__((always_inline)) E2E_VAES512_TARGET __m128i
e2e_vaes512_aes128_x(const e2e_aes_key *k, __m128i x, const int dec)
{
    const uint8_t(*s)[16] = dec ? k->dec : k->enc;
    x = _mm_xor_si128(x, BKX(s, 0));
#define S(r) x = dec ? _mm_aesdec_si128(x, BKX(s, r)) : _mm_aesenc_si128(x, BKX(s, r));
    R9(S)
#undef S
    return dec ? _mm_aesdeclast_si128(x, BKX(s, 10)) : _mm_aesenclast_si128(x, BKX(s, 10));
}

#define LDZ(p) _mm512_loadu_si512((const void *)(p))
#define STZ(p, v) _mm512_storeu_si512((void *)(p), (v))
#define LDY(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define STY(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))

/* e2e_vaes512_ecb_group en- or decrypts the 4 nz blocks at in to out. */
static inline __attribute__((always_inline)) E2E_VAES512_TARGET void
e2e_vaes512_ecb_group(const e2e_aes_key *k, uint8_t *out, const uint8_t *in, const int nz,
                      const int dec)
{
    __m512i x0 = _mm512_setzero_si512(), x1 = x0, x2 = x0, x3 = x0;
#define S(j) x##j = LDZ(in + 64 * (j));
    EACH(S)
#undef S
    e2e_vaes512_aes128_xn(k, &x0, &x1, &x2, &x3, nz, dec);
#define S(j) STZ(out + 64 * (j), x##j);
    EACH(S)
#undef S
}

/* e2e_vaes512_aes128_ecb en- or decrypts nblk independent blocks: groups of
 * 16, then 1..3 zmm, a ymm and an xmm for the rest. */
static inline __attribute__((always_inline)) E2E_VAES512_TARGET void
e2e_vaes512_aes128_ecb(const e2e_aes_key *k, uint8_t *out, const uint8_t *in, size_t nblk,
                       const int dec)
{
    if (nblk >= 4) {
        for (; nblk >= 16; nblk -= 16, in += 256, out += 256)
            e2e_vaes512_ecb_group(k, out, in, 4, dec);
        switch (nblk / 4) {
        case 1: e2e_vaes512_ecb_group(k, out, in, 1, dec); break;
        case 2: e2e_vaes512_ecb_group(k, out, in, 2, dec); break;
        case 3: e2e_vaes512_ecb_group(k, out, in, 3, dec); break;
        default: break;
        }
        in += 64 * (nblk / 4);
        out += 64 * (nblk / 4);
    }
    if (nblk & 2) {
        STY(out, e2e_vaes512_aes128_y(k, LDY(in), dec));
        in += 32;
        out += 32;
    }
    if (nblk & 1)
        STU(out, e2e_vaes512_aes128_x(k, LDU(in), dec));
}

/* e2e_vaes512_aes128_ecb_enc encrypts nblk independent 16-byte blocks from in
 * to out. out == in and out < in with overlap are allowed; no alignment is
 * required. */
static E2E_VAES512_TARGET void e2e_vaes512_aes128_ecb_enc(const e2e_aes_key *k, uint8_t *out,
                                                          const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_VAES512_ECB);
    e2e_vaes512_aes128_ecb(k, out, in, nblk, 0);
}

/* e2e_vaes512_aes128_ecb_dec decrypts nblk independent 16-byte blocks from in
 * to out. Aliasing and alignment as for ecb_enc. */
static E2E_VAES512_TARGET void e2e_vaes512_aes128_ecb_dec(const e2e_aes_key *k, uint8_t *out,
                                                          const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_VAES512_ECB);
    e2e_vaes512_aes128_ecb(k, out, in, nblk, 1);
}

/* e2e_vaes512_cbcdec_group CBC-decrypts the 4 nz blocks at in to out; prev
 * holds the ciphertext block before them in its lane 3. Returns the group's
 * last zmm of ciphertext (the next group's prev). */
static inline __attribute__((always_inline)) E2E_VAES512_TARGET __m512i
e2e_vaes512_cbcdec_group(const e2e_aes_key *k, uint8_t *out, const uint8_t *in, const int nz,
                         __m512i prev)
{
    __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0;
#define S(j) c##j = LDZ(in + 64 * (j));
    EACH(S)
#undef S
    __m512i x0 = c0, x1 = c1, x2 = c2, x3 = c3;
    e2e_vaes512_aes128_xn(k, &x0, &x1, &x2, &x3, nz, 1);
    /* P_i = D(C_i) ^ C_(i-1) (SP 800-38A sec. 6.2): C_(i-1) of the 4 blocks
     * of zmm j is the top block of zmm j-1, then blocks 0..2 of zmm j */
    x0 = _mm512_xor_si512(x0, _mm512_alignr_epi64(c0, prev, 6));
    if (nz > 1) x1 = _mm512_xor_si512(x1, _mm512_alignr_epi64(c1, c0, 6));
    if (nz > 2) x2 = _mm512_xor_si512(x2, _mm512_alignr_epi64(c2, c1, 6));
    if (nz > 3) x3 = _mm512_xor_si512(x3, _mm512_alignr_epi64(c3, c2, 6));
#define S(j) STZ(out + 64 * (j), x##j);
    EACH(S)
#undef S
    return nz == 1 ? c0 : nz == 2 ? c1 : nz == 3 ? c2 : c3;
}

/* e2e_vaes512_aes128_cbc_dec CBC-decrypts nblk blocks (SP 800-38A sec. 6.2)
 * and leaves the last ciphertext block in iv. out == in and out < in with
 * overlap are allowed; no alignment is required. */
static E2E_VAES512_TARGET void e2e_vaes512_aes128_cbc_dec(const e2e_aes_key *k, uint8_t iv[16],
                                                          uint8_t *out, const uint8_t *in,
                                                          size_t nblk)
{
    E2E_HIT(E2E_HIT_VAES512_CBCDEC);
    if (nblk == 0)
        return;
    __m128i pc = LDU(iv); /* the ciphertext block before in, at the end the last one */
    if (nblk >= 4) {
        __m512i prev = _mm512_broadcast_i32x4(pc);
        for (; nblk >= 16; nblk -= 16, in += 256, out += 256)
            prev = e2e_vaes512_cbcdec_group(k, out, in, 4, prev);
        switch (nblk / 4) {
        case 1: prev = e2e_vaes512_cbcdec_group(k, out, in, 1, prev); break;
        case 2: prev = e2e_vaes512_cbcdec_group(k, out, in, 2, prev); break;
        case 3: prev = e2e_vaes512_cbcdec_group(k, out, in, 3, prev); break;
        default: break;
        }
        in += 64 * (nblk / 4);
        out += 64 * (nblk / 4);
        pc = _mm512_extracti32x4_epi32(prev, 3);
    }
    if (nblk & 2) {
        const __m256i c = LDY(in);
        const __m256i x = e2e_vaes512_aes128_y(k, c, 1);
        STY(out, _mm256_xor_si256(x, _mm256_alignr_epi64(c, _mm256_broadcastsi128_si256(pc), 2)));
        pc = _mm256_extracti128_si256(c, 1);
        in += 32;
        out += 32;
    }
    if (nblk & 1) {
        const __m128i c = LDU(in);
        STU(out, _mm_xor_si128(e2e_vaes512_aes128_x(k, c, 1), pc));
        pc = c;
    }
    STU(iv, pc);
}

/* e2e_vaes512_ctr_group XORs the 64 nz bytes at in with the keystream of
 * the counter blocks cb (bytes 12..15 reversed, so dword 3 of each lane
 * counts; lanes hold counters n..n+3) and on, into out. Returns the
 * counters 4 nz blocks on. */
static inline __attribute__((always_inline)) E2E_VAES512_TARGET __m512i
e2e_vaes512_ctr_group(const e2e_aes_key *k, uint8_t *out, const uint8_t *in, const int nz,
                      __m512i cb, const __m512i bswap_ctr)
{
    const __m512i four = _mm512_broadcast_i32x4(_mm_set_epi32(4, 0, 0, 0));
    __m512i x0 = _mm512_setzero_si512(), x1 = x0, x2 = x0, x3 = x0;
#define S(j) x##j = _mm512_shuffle_epi8(cb, bswap_ctr); cb = _mm512_add_epi32(cb, four);
    EACH(S)
#undef S
    e2e_vaes512_aes128_xn(k, &x0, &x1, &x2, &x3, nz, 0);
    __m512i d0 = x0, d1 = x0, d2 = x0, d3 = x0;
#define S(j) d##j = LDZ(in + 64 * (j));
    EACH(S)
#undef S
#define S(j) STZ(out + 64 * (j), _mm512_xor_si512(x##j, d##j));
    EACH(S)
#undef S
    return cb;
}

/* e2e_vaes512_aes128_ctr32 XORs len bytes of in with the AES-CTR keystream
 * (SP 800-38A sec. 6.5) into out. The last 4 bytes of ctr are a big-endian
 * counter incremented mod 2^32 per block; the first 12 never change. A
 * partial final block uses the head of its keystream block and still
 * consumes a counter. On return ctr is the next unused counter block. out ==
 * in and out < in with overlap are allowed; no alignment is required. */
static E2E_VAES512_TARGET void e2e_vaes512_aes128_ctr32(const e2e_aes_key *k, uint8_t ctr[16],
                                                        uint8_t *out, const uint8_t *in,
                                                        size_t len)
{
    E2E_HIT(E2E_HIT_VAES512_CTR);
    /* Byte-swap only the counter word, so _mm*_add_epi32 on dword 3 counts
     * (and wraps mod 2^32) in big-endian order after swapping back. */
    const __m128i bswap_ctr = _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m128i c0 = _mm_shuffle_epi8(LDU(ctr), bswap_ctr);
    const uint32_t used = (uint32_t)(len / 16 + (len % 16 != 0)); /* blocks, mod 2^32 */
    __m128i c = c0;                                                 /* the next counter */
    if (len >= 64) {
        const __m512i bswap_z = _mm512_broadcast_i32x4(bswap_ctr);
        __m512i cb = _mm512_add_epi32(
            _mm512_broadcast_i32x4(c), _mm512_set_epi32(3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0));
        for (; len >= 256; len -= 256, in += 256, out += 256)
            cb = e2e_vaes512_ctr_group(k, out, in, 4, cb, bswap_z);
        switch (len / 64) {
        case 1: cb = e2e_vaes512_ctr_group(k, out, in, 1, cb, bswap_z); break;
        case 2: cb = e2e_vaes512_ctr_group(k, out, in, 2, cb, bswap_z); break;
        case 3: cb = e2e_vaes512_ctr_group(k, out, in, 3, cb, bswap_z); break;
        default: break;
        }
        in += 64 * (len / 64);
        out += 64 * (len / 64);
        c = _mm512_castsi512_si128(cb);
    }
    const __m128i one = _mm_set_epi32(1, 0, 0, 0);
    if (len & 32) {
        const __m256i cy = _mm256_add_epi32(_mm256_broadcastsi128_si256(c),
                                            _mm256_set_epi32(1, 0, 0, 0, 0, 0, 0, 0));
        const __m256i ks = e2e_vaes512_aes128_y(
            k, _mm256_shuffle_epi8(cy, _mm256_broadcastsi128_si256(bswap_ctr)), 0);
        STY(out, _mm256_xor_si256(ks, LDY(in)));
        c = _mm_add_epi32(c, _mm_set_epi32(2, 0, 0, 0));
        in += 32;
        out += 32;
    }
    if (len & 16) {
        STU(out, _mm_xor_si128(e2e_vaes512_aes128_x(k, _mm_shuffle_epi8(c, bswap_ctr), 0), LDU(in)));
        c = _mm_add_epi32(c, one);
        in += 16;
        out += 16;
    }
    if (len & 15) {
        /* the partial block: masked bytes, nothing read or written past len */
        const __mmask16 m = (__mmask16)((1u << (len & 15)) - 1);
        const __m128i ks = e2e_vaes512_aes128_x(k, _mm_shuffle_epi8(c, bswap_ctr), 0);
        _mm_mask_storeu_epi8(out, m, _mm_xor_si128(ks, _mm_maskz_loadu_epi8(m, in)));
    }
    STU(ctr, _mm_shuffle_epi8(_mm_add_epi32(c0, _mm_set_epi32((int)used, 0, 0, 0)), bswap_ctr));
}

#undef EACH
#undef BK
#undef BKY
#undef BKX
#undef LDZ
#undef STZ
#undef LDY
#undef STY

/* ---------------------------------------------------------------- many keys
 *
 * e2e_vaes512_aes128_expand_n is x86_aesni.c's expand_n (4 xmm schedules
 * interleaved), reached through its table. A zmm version (4 keys per zmm,
 * InvMixColumns as VAESDEC(VAESENCLAST(x, 0), 0), rows transposed for 64-byte
 * stores) measured no faster on Zen 4 at n = 8 and slower at n <= 4: one
 * schedule step is a ~9-cycle PSHUFB/AESENCLAST/XOR chain either way, and
 * the zmm shuffles cost what the wider stores save. */
static void e2e_vaes512_aes128_expand_n(e2e_aes_key *const k[], const uint8_t *const key[],
                                        size_t n)
{
    E2E_HIT(E2E_HIT_VAES512_EXPAND_N);
    e2e_aes_lane_impl_aesni.expand_n(k, key, n);
}

const struct e2e_aes_impl e2e_aes_impl_vaes512 = {
    "vaes512",
    E2E_CPU_VAES | E2E_CPU_AVX512 | E2E_CPU_AESNI | E2E_CPU_SSSE3 | E2E_CPU_SSE41,
    e2e_aesni_aes128_expand,    /* serial: x86_aesni.h */
    e2e_vaes512_aes128_ecb_enc,
    e2e_vaes512_aes128_ecb_dec,
    e2e_aesni_aes128_cbc_enc,   /* serial: x86_aesni.h */
    e2e_vaes512_aes128_cbc_dec,
    e2e_vaes512_aes128_ctr32,
    e2e_aesni_aes128_cbcmac,    /* serial: x86_aesni.h */
    e2e_aesni_aes128_ccm,       /* the CBC-MAC chain's pace: x86_aesni.h */
};

const struct e2e_aes_lane_impl e2e_aes_lane_impl_vaes512 = {
    "vaes512",
    E2E_CPU_VAES | E2E_CPU_AVX512 | E2E_CPU_AESNI | E2E_CPU_SSSE3 | E2E_CPU_SSE41,
    16,
    e2e_vaes512_aes128_cbcenc_x16,
    e2e_vaes512_aes128_cbcmac_x16,
    e2e_vaes512_aes128_expand_n,
    e2e_vaes512_aes128_ctr_x16,
    e2e_vaes512_aes128_ccm_x16,
};

#endif /* __x86_64__ */
