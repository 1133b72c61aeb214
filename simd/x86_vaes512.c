/* x86_vaes512.c — AES-128 multi-buffer lanes with VAES + AVX-512 (x86-64).
 *
 * Implementation notes
 *  - Exports only e2e_aes_lane_impl_vaes512 (simd/impl.h). The file is built
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


#define E2E_VAES512_TARGET \
    __attribute__((target("vaes,avx512f,avx512bw,avx512vl,aes,sse4.1,ssse3")))

#define LDU(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STU(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))
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
static E2E_VAES512_TARGET void e2e_vaes512_aes128_ctr_x16(struct e2e_aes_lanes *l,
                                                          size_t nblk)
{
    E2E_HIT(E2E_HIT_VAES512_CTR_X16);
    if (nblk == 0)
        return;
    const __m512i rev = _mm512_broadcast_i32x4(
        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i one = _mm512_broadcast_i32x4(_mm_set_epi32(0, 0, 0, 1));
#define S(g) __m512i c##g = _mm512_shuffle_epi8(_mm512_load_si512((const void *)l->iv[4 * (g)]), rev);
    X4(S)
#undef S
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
    const __m512i rev = _mm512_broadcast_i32x4(
        _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i one = _mm512_broadcast_i32x4(_mm_set_epi32(0, 0, 0, 1));
#define S(g) __m512i c##g = _mm512_shuffle_epi8(_mm512_load_si512((const void *)l->iv[4 * (g)]), rev); \
             __m512i m##g = _mm512_load_si512((const void *)l->mac[4 * (g)]);                         \
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
