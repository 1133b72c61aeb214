/* aes_ct.c — e2e portable AES-128: bitsliced, constant time, no tables.
 *
 * Implementation notes
 * - This is the fallback every host can run and the in-tree oracle the
 *   accelerated kernels are tested against. It exports only
 *   e2e_aes_impl_portable; everything else is static.
 * - Constant time: no memory access and no branch depends on the key, the
 *   plaintext or the ciphertext. The S-box is a Boolean circuit evaluated on
 *   bitsliced words; lengths and block counts (public) are the only things
 *   branched on.
 * - Bitsliced layout: one pass holds 4 blocks in 8 64-bit words q[0..7];
 *   q[b] holds bit b of all 64 state bytes. The byte at row r, column c of
 *   block n (FIPS 197 sec. 3.4: state byte index 4c + r) sits at bit
 *       p = 16 r + 4 c + n
 *   so each row is a 16-bit lane. ShiftRows rotates lane r by 4r bits and
 *   MixColumns rotates whole words by 16-bit multiples (row r + 1 is 16 bits
 *   up). Round keys are bitsliced once per call, replicated into the 4 slots.
 * - Decryption is FIPS 197 sec. 5.3.5's equivalent inverse cipher on k->dec,
 *   so a key set built by another implementation is exercised as is.
 * - Serial modes (CBC encryption, CBC-MAC) run one block per pass in slot 0;
 *   ECB, CBC decryption and CTR run 4 blocks per pass.
 * - Aliasing (simd/impl.h): every pass reads all its input blocks into the
 *   bitsliced words or a local buffer before it writes any output, and CBC
 *   chaining values live in locals, so out == in and out < in with overlap
 *   both work. Nothing needs to be aligned.
 * - Stack temporaries holding key or data material are wiped on return.
 */
#include "../simd/impl.h"
#include "ct.h"

#include <string.h>

/* ---------------------------------------------------------------- helpers */

static inline uint64_t e2e_portable_aes128_load64le(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
           (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline void e2e_portable_aes128_store64le(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(x >> (8 * i));
}

static inline uint64_t e2e_portable_aes128_ror64(uint64_t x, unsigned n)
{
    return (x >> n) | (x << (64 - n)); /* n in 1..63 */
}

/* e2e_portable_aes128_xor16 sets dst = a XOR b for 16 bytes; dst may equal
 * a or b. */
static inline void e2e_portable_aes128_xor16(uint8_t *dst, const uint8_t *a, const uint8_t *b)
{
    for (int i = 0; i < 16; i++)
        dst[i] = (uint8_t)(a[i] ^ b[i]);
}

/* ---------------------------------------------------------------- S-box */

/* e2e_portable_aes128_sbox applies SubBytes (FIPS 197 sec. 5.1.1) to every
 * byte slot of q. The straight-line program is the 110-gate (32 AND) AES
 * S-box circuit of the NIST circuit-complexity collection
 * (usnistgov/Circuits, data/slp/aes/aes-sbox/aes-sbox-a32-ad5-g110-gd23-xx78-3),
 * a descendant of Boyar and Peralta's circuits; its input U0 and output S0
 * are the most significant bit. Checked against GF(2^8) inversion plus the
 * affine map for all 256 inputs. */
static void e2e_portable_aes128_sbox(uint64_t q[8])
{
    const uint64_t u0 = q[7], u1 = q[6], u2 = q[5], u3 = q[4];
    const uint64_t u4 = q[3], u5 = q[2], u6 = q[1], u7 = q[0];
    const uint64_t t1 = u4 ^ u5, t2 = u0 ^ u6, t3 = u0 ^ u3, t4 = u3 ^ u5;
    const uint64_t t5 = u0 ^ u5, t6 = u1 ^ u4, t7 = t2 ^ t4, t8 = u6 ^ t1;
    const uint64_t t9 = u2 ^ t8, t10 = u1 ^ t8, t11 = t1 ^ t7, t12 = t7 & t1;
    const uint64_t t13 = u7 ^ t10, t14 = u7 ^ t11, t15 = t9 ^ t11, t16 = t6 ^ t12;
    const uint64_t t17 = t2 & t9, t18 = t3 & t10, t19 = t9 ^ t13, t20 = t10 ^ t15;
    const uint64_t t21 = t17 ^ t18, t22 = t16 ^ t18, t23 = t4 & t15, t24 = u3 ^ t19;
    const uint64_t t25 = u6 ^ t19, t26 = u0 ^ t19, t27 = t9 ^ t21, t28 = t2 ^ t23;
    const uint64_t t29 = t5 & t20, t30 = t7 ^ t24, t31 = u0 ^ t29, t32 = t27 ^ t28;
    const uint64_t t33 = t24 & u7, t34 = t25 & t19, t35 = t26 & t13, t36 = t32 ^ t34;
    const uint64_t t37 = u2 ^ t31, t38 = t27 ^ t31, t39 = t30 & t14, t40 = t39 ^ t23;
    const uint64_t t41 = t33 ^ t37, t42 = t35 ^ t38, t43 = t22 ^ t40, t44 = t40 ^ t41;
    const uint64_t t45 = t22 ^ t41, t46 = t36 ^ t42, t47 = t43 & t36, t48 = t42 ^ t47;
    const uint64_t t49 = t45 ^ t47, t50 = t44 & t48, t51 = t49 & t46, t52 = t47 ^ t51;
    const uint64_t t53 = t47 ^ t50, t54 = t42 ^ t51, t55 = t50 ^ t45, t56 = t54 ^ t55;
    const uint64_t t57 = t42 & t52, t58 = t45 & t53, t59 = t54 & u7, t60 = t55 & t13;
    const uint64_t t61 = t54 & t24, t62 = t55 & t26, t63 = t36 ^ t57, t64 = t43 ^ t58;
    const uint64_t t65 = t56 & t10, t66 = t56 & t3, t67 = t63 ^ t54, t68 = t64 ^ t55;
    const uint64_t t69 = t63 ^ t64, t70 = t63 & t11, t71 = t64 & t9, t72 = t63 & t7;
    const uint64_t t73 = t64 & t2, t74 = t67 ^ t68, t75 = t65 ^ t71, t76 = t70 ^ t71;
    const uint64_t t77 = t62 ^ t73, t78 = t67 & t14, t79 = t68 & t19, t80 = t69 & t15;
    const uint64_t t81 = t67 & t30, t82 = t68 & t25, t83 = t69 & t4, t84 = t78 ^ t79;
    const uint64_t t85 = t80 ^ t79, t86 = t83 ^ t66, t87 = t59 ^ t76, t88 = t74 & t20;
    const uint64_t t89 = t74 & t5, t90 = t75 ^ t85, t91 = t88 ^ t85, t92 = t81 ^ t86;
    const uint64_t t93 = t82 ^ t86, t94 = t84 ^ t76, t95 = t60 ^ t87, t96 = t89 ^ t90;
    const uint64_t t97 = t72 ^ t92, t98 = t61 ^ t92, t99 = t93 ^ t73, t100 = t91 ^ t87;
    const uint64_t t101 = t96 ^ t66, s0 = t90 ^ t97, s3 = t94 ^ t97, s7 = ~(t99 ^ t95);
    const uint64_t t102 = t77 ^ t100, s1 = ~(t90 ^ s3), s4 = s3 ^ t95, s6 = s7 ^ t100;
    const uint64_t s2 = ~(t101 ^ t102), s5 = t98 ^ t102;
    q[7] = s0; q[6] = s1; q[5] = s2; q[4] = s3;
    q[3] = s4; q[2] = s5; q[1] = s6; q[0] = s7;
}

/* e2e_portable_aes128_invsbox applies InvSubBytes (FIPS 197 sec. 5.3.2):
 * the 112-gate (32 AND) inverse S-box circuit of the same collection
 * (data/slp/aes/aes-invsbox/aes-invsbox-a32-ad5-g112-gd26-xx80-9), MSB first,
 * checked for all 256 inputs. */
static void e2e_portable_aes128_invsbox(uint64_t q[8])
{
    const uint64_t u0 = q[7], u1 = q[6], u2 = q[5], u3 = q[4];
    const uint64_t u4 = q[3], u5 = q[2], u6 = q[1], u7 = q[0];
    const uint64_t t1 = u0 ^ u5, t2 = u3 ^ u4, t3 = ~(u1 ^ u3), t4 = ~(u0 ^ u1);
    const uint64_t t5 = u0 ^ u3, t6 = ~(u4 ^ u7), t7 = ~(u7 ^ t2), t8 = ~(u1 ^ t5);
    const uint64_t t9 = ~(u2 ^ t1), t10 = ~(u6 ^ t7), t11 = t8 ^ t7, t12 = u4 ^ t8;
    const uint64_t t13 = t8 ^ t9, t14 = t3 & t7, t15 = t5 & t8, t16 = t3 ^ t10;
    const uint64_t t17 = ~(u6 ^ t14), t18 = t15 ^ t12, t19 = t4 & t11, t20 = t2 ^ t16;
    const uint64_t t21 = t1 ^ t20, t22 = u2 ^ t20, t23 = t5 ^ t20, t24 = ~(u2 ^ t20);
    const uint64_t t25 = t9 & t20, t26 = t11 ^ t21, t27 = t7 ^ t24, t28 = t19 ^ t25;
    const uint64_t t29 = t16 & t22, t30 = t2 & t21, t31 = t13 & t23, t32 = t19 ^ t29;
    const uint64_t t33 = t18 ^ t26, t34 = t31 ^ t6, t35 = t30 ^ t24, t36 = t12 & t26;
    const uint64_t t37 = t10 & t27, t38 = t36 ^ t17, t39 = t36 ^ t33, t40 = t30 ^ t34;
    const uint64_t t41 = t37 ^ t35, t42 = t32 ^ t38, t43 = t39 ^ t40, t44 = t41 ^ t38;
    const uint64_t t45 = t28 ^ t40, t46 = t32 ^ t41, t47 = t28 ^ t39, t48 = t43 & t44;
    const uint64_t t49 = t48 ^ t45, t50 = t48 ^ t46, t51 = t42 & t49, t52 = t47 & t50;
    const uint64_t t53 = t51 ^ t46, t54 = t52 ^ t45, t55 = t48 ^ t52, t56 = t48 ^ t51;
    const uint64_t t57 = t53 ^ t54, t58 = t45 & t55, t59 = t46 & t56, t60 = t24 & t54;
    const uint64_t t61 = t20 & t53, t62 = t16 & t54, t63 = t9 & t53, t64 = t58 ^ t43;
    const uint64_t t65 = t59 ^ t44, t66 = t61 ^ t62, t67 = t21 & t57, t68 = t2 & t57;
    const uint64_t t69 = t54 ^ t64, t70 = t65 ^ t64, t71 = t61 ^ t68, t72 = t53 ^ t65;
    const uint64_t t73 = t10 & t64, t74 = t27 & t64, t75 = t23 & t65, t76 = t13 & t65;
    const uint64_t t77 = t67 ^ t73, t78 = t57 ^ t70, t79 = t60 ^ t74, t80 = t3 & t69;
    const uint64_t t81 = t12 & t70, t82 = t8 & t72, t83 = t7 & t69, t84 = t5 & t72;
    const uint64_t t85 = t26 & t70, t86 = t68 ^ t81, t87 = t74 ^ t83, t88 = t63 ^ t79;
    const uint64_t t89 = t11 & t78, t90 = t4 & t78, t91 = t80 ^ t86, t92 = t89 ^ t79;
    const uint64_t t93 = t90 ^ t71, t94 = t82 ^ t87, t95 = t84 ^ t86, t96 = t76 ^ t88;
    const uint64_t t97 = t85 ^ t87, t98 = t77 ^ t91, s7 = t75 ^ t93, t99 = t95 ^ t96;
    const uint64_t s0 = t98 ^ t92, t100 = t73 ^ s7, t101 = t66 ^ t99, s6 = t97 ^ t98;
    const uint64_t t102 = t76 ^ s0, s3 = s0 ^ t96, t103 = t93 ^ s6, s5 = t94 ^ t102;
    const uint64_t s4 = t103 ^ t99, t104 = s5 ^ t101, s1 = t100 ^ t104, s2 = t91 ^ t104;
    q[7] = s0; q[6] = s1; q[5] = s2; q[4] = s3;
    q[3] = s4; q[2] = s5; q[1] = s6; q[0] = s7;
}

/* ---------------------------------------------------------------- (un)packing */

/* e2e_portable_aes128_spread moves byte i (0..3) of x to byte 2i and clears
 * the rest; e2e_portable_aes128_compact undoes it. */
static inline uint64_t e2e_portable_aes128_spread(uint64_t x)
{
    x &= 0x00000000FFFFFFFFu;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFu;
    return (x | (x << 8)) & 0x00FF00FF00FF00FFu;
}

static inline uint64_t e2e_portable_aes128_compact(uint64_t x)
{
    x &= 0x00FF00FF00FF00FFu;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFu;
    return (x | (x >> 16)) & 0x00000000FFFFFFFFu;
}

#define E2E_SWAPMOVE(a, b, mask, s)                 \
    do {                                            \
        uint64_t t_ = (((a) >> (s)) ^ (b)) & (mask); \
        (b) ^= t_;                                  \
        (a) ^= t_ << (s);                           \
    } while (0)

/* e2e_portable_aes128_transpose transposes, in each of the 8 byte lanes, the
 * 8x8 bit matrix whose row j is that byte of w[j]: afterwards bit j of the
 * lane in w[b] is what bit b of the lane in w[j] was. It is an involution. */
static void e2e_portable_aes128_transpose(uint64_t w[8])
{
    E2E_SWAPMOVE(w[0], w[1], 0x5555555555555555u, 1);
    E2E_SWAPMOVE(w[2], w[3], 0x5555555555555555u, 1);
    E2E_SWAPMOVE(w[4], w[5], 0x5555555555555555u, 1);
    E2E_SWAPMOVE(w[6], w[7], 0x5555555555555555u, 1);
    E2E_SWAPMOVE(w[0], w[2], 0x3333333333333333u, 2);
    E2E_SWAPMOVE(w[1], w[3], 0x3333333333333333u, 2);
    E2E_SWAPMOVE(w[4], w[6], 0x3333333333333333u, 2);
    E2E_SWAPMOVE(w[5], w[7], 0x3333333333333333u, 2);
    E2E_SWAPMOVE(w[0], w[4], 0x0F0F0F0F0F0F0F0Fu, 4);
    E2E_SWAPMOVE(w[1], w[5], 0x0F0F0F0F0F0F0F0Fu, 4);
    E2E_SWAPMOVE(w[2], w[6], 0x0F0F0F0F0F0F0F0Fu, 4);
    E2E_SWAPMOVE(w[3], w[7], 0x0F0F0F0F0F0F0F0Fu, 4);
}

#undef E2E_SWAPMOVE

/* e2e_portable_aes128_pack loads n (1..4) 16-byte blocks from in into the
 * bitsliced q (missing slots are zero). Word w[4(c & 1) + n] byte lane
 * 2r + (c >> 1) takes the byte at row r, column c of block n, so that after
 * the transpose that byte sits at bit 8 lane + w-index = 16r + 4c + n. */
static void e2e_portable_aes128_pack(uint64_t q[8], const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < 4; i++) {
        uint64_t a = 0, b = 0;
        if (i < n) {
            a = e2e_portable_aes128_load64le(in + 16 * i);     /* columns 0, 1 */
            b = e2e_portable_aes128_load64le(in + 16 * i + 8); /* columns 2, 3 */
        }
        q[i] = e2e_portable_aes128_spread(a) | e2e_portable_aes128_spread(b) << 8;
        q[i + 4] = e2e_portable_aes128_spread(a >> 32) |
                   e2e_portable_aes128_spread(b >> 32) << 8;
    }
    e2e_portable_aes128_transpose(q);
}

/* e2e_portable_aes128_unpack stores the first n (1..4) blocks of q to out;
 * q is destroyed. */
static void e2e_portable_aes128_unpack(uint8_t *out, uint64_t q[8], size_t n)
{
    e2e_portable_aes128_transpose(q);
    for (size_t i = 0; i < n; i++) {
        uint64_t a = e2e_portable_aes128_compact(q[i]) |
                     e2e_portable_aes128_compact(q[i + 4]) << 32;
        uint64_t b = e2e_portable_aes128_compact(q[i] >> 8) |
                     e2e_portable_aes128_compact(q[i + 4] >> 8) << 32;
        e2e_portable_aes128_store64le(out + 16 * i, a);
        e2e_portable_aes128_store64le(out + 16 * i + 8, b);
    }
}

/* ---------------------------------------------------------------- round functions */

/* e2e_portable_aes128_shift_rows is ShiftRows (FIPS 197 sec. 5.1.2): new
 * column c of row r is old column c + r, so lane r rotates right by 4r bits. */
static void e2e_portable_aes128_shift_rows(uint64_t q[8])
{
    for (int i = 0; i < 8; i++) {
        uint64_t x = q[i];
        q[i] = (x & 0x000000000000FFFFu) |
               ((x >> 4) & 0x000000000FFF0000u) | ((x << 12) & 0x00000000F0000000u) |
               ((x >> 8) & 0x000000FF00000000u) | ((x << 8) & 0x0000FF0000000000u) |
               ((x >> 12) & 0x000F000000000000u) | ((x << 4) & 0xFFF0000000000000u);
    }
}

/* e2e_portable_aes128_inv_shift_rows is InvShiftRows (sec. 5.3.1): lane r
 * rotates left by 4r bits. */
static void e2e_portable_aes128_inv_shift_rows(uint64_t q[8])
{
    for (int i = 0; i < 8; i++) {
        uint64_t x = q[i];
        q[i] = (x & 0x000000000000FFFFu) |
               ((x << 4) & 0x00000000FFF00000u) | ((x >> 12) & 0x00000000000F0000u) |
               ((x >> 8) & 0x000000FF00000000u) | ((x << 8) & 0x0000FF0000000000u) |
               ((x >> 4) & 0x0FFF000000000000u) | ((x << 12) & 0xF000000000000000u);
    }
}

/* e2e_portable_aes128_mix_columns is MixColumns (sec. 5.1.3):
 *   b_r = 2 a_r + 3 a_(r+1) + a_(r+2) + a_(r+3)
 *       = 2 t_r + a_(r+1) + t_(r+2), with t_r = a_r + a_(r+1).
 * ror64(x, 16) brings row r + 1 to row r; multiplication by 2 (xtime) is
 * a shift of the bit planes with the x^8 = x^4 + x^3 + x + 1 feedback. */
static void e2e_portable_aes128_mix_columns(uint64_t q[8])
{
    uint64_t r[8], t[8];
    for (int i = 0; i < 8; i++) {
        r[i] = e2e_portable_aes128_ror64(q[i], 16);
        t[i] = q[i] ^ r[i];
    }
    for (int i = 0; i < 8; i++)
        q[i] = r[i] ^ e2e_portable_aes128_ror64(t[i], 32);
    q[0] ^= t[7];
    q[1] ^= t[0] ^ t[7];
    q[2] ^= t[1];
    q[3] ^= t[2] ^ t[7];
    q[4] ^= t[3] ^ t[7];
    q[5] ^= t[4];
    q[6] ^= t[5];
    q[7] ^= t[6];
}

/* e2e_portable_aes128_inv_mix_columns is InvMixColumns (sec. 5.3.3),
 * factored as MixColumns after a_r += 4 (a_r + a_(r+2)), since the circulant
 * {0e,0b,0d,09} = {02,03,01,01} x {05,00,04,00}. */
static void e2e_portable_aes128_inv_mix_columns(uint64_t q[8])
{
    uint64_t u[8];
    for (int i = 0; i < 8; i++)
        u[i] = q[i] ^ e2e_portable_aes128_ror64(q[i], 32);
    /* q += 4 u: bit planes of 4u are (u6, u6+u7, u0+u7, u1+u6, u2+u6+u7,
     * u3+u7, u4, u5) for bits 0..7. */
    q[0] ^= u[6];
    q[1] ^= u[6] ^ u[7];
    q[2] ^= u[0] ^ u[7];
    q[3] ^= u[1] ^ u[6];
    q[4] ^= u[2] ^ u[6] ^ u[7];
    q[5] ^= u[3] ^ u[7];
    q[6] ^= u[4];
    q[7] ^= u[5];
    e2e_portable_aes128_mix_columns(q);
}

/* e2e_portable_aes128_add_round_key XORs one bitsliced round key into q. */
static inline void e2e_portable_aes128_add_round_key(uint64_t q[8], const uint64_t sk[8])
{
    for (int i = 0; i < 8; i++)
        q[i] ^= sk[i];
}

/* e2e_portable_aes128_bs_keys bitslices the 11 round keys rk, replicating
 * each into the 4 block slots (bits p with p mod 4 = 0..3). */
static void e2e_portable_aes128_bs_keys(uint64_t sk[11][8], const uint8_t rk[11][16])
{
    for (int r = 0; r < 11; r++) {
        e2e_portable_aes128_pack(sk[r], rk[r], 1);
        for (int i = 0; i < 8; i++) {
            uint64_t x = sk[r][i];
            x |= x << 1;
            sk[r][i] = x | x << 2;
        }
    }
}

/* e2e_portable_aes128_encrypt_bs runs the cipher (sec. 5.1) on the 4 slots. */
static void e2e_portable_aes128_encrypt_bs(const uint64_t sk[11][8], uint64_t q[8])
{
    e2e_portable_aes128_add_round_key(q, sk[0]);
    for (int r = 1; r < 10; r++) {
        e2e_portable_aes128_sbox(q);
        e2e_portable_aes128_shift_rows(q);
        e2e_portable_aes128_mix_columns(q);
        e2e_portable_aes128_add_round_key(q, sk[r]);
    }
    e2e_portable_aes128_sbox(q);
    e2e_portable_aes128_shift_rows(q);
    e2e_portable_aes128_add_round_key(q, sk[10]);
}

/* e2e_portable_aes128_decrypt_bs runs the equivalent inverse cipher
 * (sec. 5.3.5) with the k->dec schedule bitsliced in dk. */
static void e2e_portable_aes128_decrypt_bs(const uint64_t dk[11][8], uint64_t q[8])
{
    e2e_portable_aes128_add_round_key(q, dk[0]);
    for (int r = 1; r < 10; r++) {
        e2e_portable_aes128_invsbox(q);
        e2e_portable_aes128_inv_shift_rows(q);
        e2e_portable_aes128_inv_mix_columns(q);
        e2e_portable_aes128_add_round_key(q, dk[r]);
    }
    e2e_portable_aes128_invsbox(q);
    e2e_portable_aes128_inv_shift_rows(q);
    e2e_portable_aes128_add_round_key(q, dk[10]);
}

/* ---------------------------------------------------------------- key expansion */

/* e2e_portable_aes128_sub_word applies the S-box to the 4 bytes of w[0..3]
 * in place, through the bitsliced circuit (bit i of plane b = bit b of
 * byte i). */
static void e2e_portable_aes128_sub_word(uint8_t w[4])
{
    uint64_t q[8] = {0};
    for (int b = 0; b < 8; b++)
        for (int i = 0; i < 4; i++)
            q[b] |= (uint64_t)((w[i] >> b) & 1u) << i;
    e2e_portable_aes128_sbox(q);
    for (int i = 0; i < 4; i++) {
        unsigned v = 0;
        for (int b = 0; b < 8; b++)
            v |= (unsigned)((q[b] >> i) & 1u) << b;
        w[i] = (uint8_t)v;
    }
    e2e_wipe(q, sizeof q);
}

/* e2e_portable_aes128_xtime multiplies by {02} in GF(2^8) without a branch. */
static inline uint8_t e2e_portable_aes128_xtime(uint8_t x)
{
    return (uint8_t)((x << 1) ^ (0x1b & (0u - (unsigned)(x >> 7))));
}

/* e2e_portable_aes128_imc_block applies InvMixColumns to the 4 columns of a
 * 16-byte round key (byte arithmetic, branch-free). */
static void e2e_portable_aes128_imc_block(uint8_t out[16], const uint8_t in[16])
{
    for (int c = 0; c < 4; c++) {
        const uint8_t *a = in + 4 * c;
        uint8_t a2[4], a4[4], a8[4];
        for (int r = 0; r < 4; r++) {
            a2[r] = e2e_portable_aes128_xtime(a[r]);
            a4[r] = e2e_portable_aes128_xtime(a2[r]);
            a8[r] = e2e_portable_aes128_xtime(a4[r]);
        }
        for (int r = 0; r < 4; r++) {
            int r1 = (r + 1) & 3, r2 = (r + 2) & 3, r3 = (r + 3) & 3;
            /* 0e a_r + 0b a_(r+1) + 0d a_(r+2) + 09 a_(r+3) */
            out[4 * c + r] = (uint8_t)(a8[r] ^ a4[r] ^ a2[r] ^
                                       a8[r1] ^ a2[r1] ^ a[r1] ^
                                       a8[r2] ^ a4[r2] ^ a[r2] ^
                                       a8[r3] ^ a[r3]);
        }
    }
}

/* e2e_portable_aes128_expand fills k->enc with the FIPS 197 sec. 5.2 round
 * keys and k->dec with the equivalent-inverse-cipher keys of sec. 5.3.5, in
 * the layout of simd/impl.h. key needs no alignment. */
static void e2e_portable_aes128_expand(e2e_aes_key *k, const uint8_t key[16])
{
    E2E_HIT(E2E_HIT_PORTABLE_AES);
    uint8_t *w = &k->enc[0][0]; /* w[4i .. 4i+3] is word i */
    uint8_t rcon = 0x01;
    uint8_t t[4];

    memcpy(w, key, 16);
    for (int i = 4; i < 44; i++) {
        memcpy(t, w + 4 * (i - 1), 4);
        if (i % 4 == 0) { /* public index */
            uint8_t t0 = t[0];
            t[0] = t[1]; t[1] = t[2]; t[2] = t[3]; t[3] = t0; /* RotWord */
            e2e_portable_aes128_sub_word(t);
            t[0] ^= rcon;
            rcon = e2e_portable_aes128_xtime(rcon);
        }
        for (int j = 0; j < 4; j++)
            w[4 * i + j] = (uint8_t)(w[4 * (i - 4) + j] ^ t[j]);
    }
    memcpy(k->dec[0], k->enc[10], 16);
    for (int i = 1; i < 10; i++)
        e2e_portable_aes128_imc_block(k->dec[i], k->enc[10 - i]);
    memcpy(k->dec[10], k->enc[0], 16);
    e2e_wipe(t, sizeof t);
}

/* ---------------------------------------------------------------- modes */

/* e2e_portable_aes128_ecb_enc encrypts nblk blocks, 4 per pass; out may
 * equal in or sit before it. */
static void e2e_portable_aes128_ecb_enc(const e2e_aes_key *k, uint8_t *out,
                                        const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_PORTABLE_AES);
    uint64_t sk[11][8], q[8];

    if (nblk == 0)
        return;
    e2e_portable_aes128_bs_keys(sk, k->enc);
    while (nblk > 0) {
        size_t n = nblk < 4 ? nblk : 4;
        e2e_portable_aes128_pack(q, in, n);
        e2e_portable_aes128_encrypt_bs((const uint64_t (*)[8])sk, q);
        e2e_portable_aes128_unpack(out, q, n);
        in += 16 * n;
        out += 16 * n;
        nblk -= n;
    }
    e2e_wipe(sk, sizeof sk);
    e2e_wipe(q, sizeof q);
}

/* e2e_portable_aes128_ecb_dec decrypts nblk blocks with k->dec, 4 per pass;
 * out may equal in or sit before it. */
static void e2e_portable_aes128_ecb_dec(const e2e_aes_key *k, uint8_t *out,
                                        const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_PORTABLE_AES);
    uint64_t dk[11][8], q[8];

    if (nblk == 0)
        return;
    e2e_portable_aes128_bs_keys(dk, k->dec);
    while (nblk > 0) {
        size_t n = nblk < 4 ? nblk : 4;
        e2e_portable_aes128_pack(q, in, n);
        e2e_portable_aes128_decrypt_bs((const uint64_t (*)[8])dk, q);
        e2e_portable_aes128_unpack(out, q, n);
        in += 16 * n;
        out += 16 * n;
        nblk -= n;
    }
    e2e_wipe(dk, sizeof dk);
    e2e_wipe(q, sizeof q);
}

/* e2e_portable_aes128_cbc_enc: CBC encryption (SP 800-38A sec. 6.2), one
 * block per pass since each block depends on the last; iv ends as the last
 * ciphertext block. The chaining value is kept in a local, so out may equal
 * in or sit before it. */
static void e2e_portable_aes128_cbc_enc(const e2e_aes_key *k, uint8_t iv[16], uint8_t *out,
                                        const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_PORTABLE_AES);
    uint64_t sk[11][8], q[8];
    uint8_t x[16];

    if (nblk == 0)
        return;
    e2e_portable_aes128_bs_keys(sk, k->enc);
    memcpy(x, iv, 16);
    for (size_t i = 0; i < nblk; i++) {
        e2e_portable_aes128_xor16(x, x, in + 16 * i);
        e2e_portable_aes128_pack(q, x, 1);
        e2e_portable_aes128_encrypt_bs((const uint64_t (*)[8])sk, q);
        e2e_portable_aes128_unpack(x, q, 1);
        memcpy(out + 16 * i, x, 16);
    }
    memcpy(iv, x, 16);
    e2e_wipe(sk, sizeof sk);
    e2e_wipe(q, sizeof q);
    e2e_wipe(x, sizeof x);
}

/* e2e_portable_aes128_cbc_dec: CBC decryption, 4 blocks per pass. Each
 * pass copies its ciphertext to a local first, so out may equal in or sit
 * before it. */
static void e2e_portable_aes128_cbc_dec(const e2e_aes_key *k, uint8_t iv[16], uint8_t *out,
                                        const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_PORTABLE_AES);
    uint64_t dk[11][8], q[8];
    uint8_t c[64], p[64], chain[16];

    if (nblk == 0)
        return;
    e2e_portable_aes128_bs_keys(dk, k->dec);
    memcpy(chain, iv, 16);
    while (nblk > 0) {
        size_t n = nblk < 4 ? nblk : 4;
        memcpy(c, in, 16 * n);
        e2e_portable_aes128_pack(q, c, n);
        e2e_portable_aes128_decrypt_bs((const uint64_t (*)[8])dk, q);
        e2e_portable_aes128_unpack(p, q, n);
        e2e_portable_aes128_xor16(p, p, chain);
        for (size_t i = 1; i < n; i++)
            e2e_portable_aes128_xor16(p + 16 * i, p + 16 * i, c + 16 * (i - 1));
        memcpy(chain, c + 16 * (n - 1), 16);
        memcpy(out, p, 16 * n);
        in += 16 * n;
        out += 16 * n;
        nblk -= n;
    }
    memcpy(iv, chain, 16);
    e2e_wipe(dk, sizeof dk);
    e2e_wipe(q, sizeof q);
    e2e_wipe(p, sizeof p);
    e2e_wipe(c, sizeof c);
}

/* e2e_portable_aes128_ctr32: CTR mode (SP 800-38A sec. 6.5) with a 32-bit
 * big-endian counter in ctr[12..15] that wraps mod 2^32, 4 blocks per pass.
 * len is in bytes; a partial last block uses the head of its keystream block
 * and still consumes a counter; ctr ends at the next unused counter block.
 * out may equal in or sit before it. */
static void e2e_portable_aes128_ctr32(const e2e_aes_key *k, uint8_t ctr[16], uint8_t *out,
                                      const uint8_t *in, size_t len)
{
    E2E_HIT(E2E_HIT_PORTABLE_AES);
    uint64_t sk[11][8], q[8];
    uint8_t cb[64], ks[64];
    uint32_t n32;

    if (len == 0)
        return;
    e2e_portable_aes128_bs_keys(sk, k->enc);
    n32 = (uint32_t)ctr[12] << 24 | (uint32_t)ctr[13] << 16 |
          (uint32_t)ctr[14] << 8 | (uint32_t)ctr[15];
    for (size_t i = 0; i < 4; i++)
        memcpy(cb + 16 * i, ctr, 12);
    while (len > 0) {
        size_t take = len < 64 ? len : 64;
        size_t n = (take + 15) / 16;
        for (size_t i = 0; i < n; i++, n32++) {
            cb[16 * i + 12] = (uint8_t)(n32 >> 24);
            cb[16 * i + 13] = (uint8_t)(n32 >> 16);
            cb[16 * i + 14] = (uint8_t)(n32 >> 8);
            cb[16 * i + 15] = (uint8_t)n32;
        }
        e2e_portable_aes128_pack(q, cb, n);
        e2e_portable_aes128_encrypt_bs((const uint64_t (*)[8])sk, q);
        e2e_portable_aes128_unpack(ks, q, n);
        /* in[j] is read before out[j] is written, and out <= in. */
        for (size_t j = 0; j < take; j++)
            out[j] = (uint8_t)(in[j] ^ ks[j]);
        in += take;
        out += take;
        len -= take;
    }
    ctr[12] = (uint8_t)(n32 >> 24);
    ctr[13] = (uint8_t)(n32 >> 16);
    ctr[14] = (uint8_t)(n32 >> 8);
    ctr[15] = (uint8_t)n32;
    e2e_wipe(sk, sizeof sk);
    e2e_wipe(q, sizeof q);
    e2e_wipe(ks, sizeof ks);
    e2e_wipe(cb, sizeof cb);
}

/* e2e_portable_aes128_cbcmac: mac = E(mac XOR in[i]) over nblk blocks, one
 * block per pass. */
static void e2e_portable_aes128_cbcmac(const e2e_aes_key *k, uint8_t mac[16],
                                       const uint8_t *in, size_t nblk)
{
    E2E_HIT(E2E_HIT_PORTABLE_AES);
    uint64_t sk[11][8], q[8];
    uint8_t x[16];

    if (nblk == 0)
        return;
    e2e_portable_aes128_bs_keys(sk, k->enc);
    memcpy(x, mac, 16);
    for (size_t i = 0; i < nblk; i++) {
        e2e_portable_aes128_xor16(x, x, in + 16 * i);
        e2e_portable_aes128_pack(q, x, 1);
        e2e_portable_aes128_encrypt_bs((const uint64_t (*)[8])sk, q);
        e2e_portable_aes128_unpack(x, q, 1);
    }
    memcpy(mac, x, 16);
    e2e_wipe(sk, sizeof sk);
    e2e_wipe(q, sizeof q);
    e2e_wipe(x, sizeof x);
}

const struct e2e_aes_impl e2e_aes_impl_portable = {
    "portable",
    0,
    e2e_portable_aes128_expand,
    e2e_portable_aes128_ecb_enc,
    e2e_portable_aes128_ecb_dec,
    e2e_portable_aes128_cbc_enc,
    e2e_portable_aes128_cbc_dec,
    e2e_portable_aes128_ctr32,
    e2e_portable_aes128_cbcmac,
    NULL, /* no stitched CCM: ctr32, then cbcmac */
};
