/* shim_util.h — the few lines of mode glue the peers share: CCM's first
 * block and counter block (SP 800-38C A.2.1, A.3), CBC-CS1's block split
 * (SP 800-38A addendum), a constant-time compare and a wipe the compiler
 * keeps. Header-only so every peer module stays self-contained. */
#ifndef E2E_BENCH_SHIM_UTIL_H
#define E2E_BENCH_SHIM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* bench_ccm_b0 writes B0 = flags || N || [plen]_q for no AAD. */
static inline void bench_ccm_b0(uint8_t b0[16], const uint8_t *nonce, size_t nonce_len,
                                size_t tag_len, size_t plen)
{
    size_t q = 15 - nonce_len;
    b0[0] = (uint8_t)((((tag_len - 2) / 2) << 3) | (q - 1));
    memcpy(b0 + 1, nonce, nonce_len);
    for (size_t i = 0; i < q; i++) {
        b0[15 - i] = (uint8_t)plen;
        plen = i < 7 ? plen >> 8 : 0;
    }
}

/* bench_ccm_ctr0 writes Ctr_0 = (q-1) || N || 0^q. */
static inline void bench_ccm_ctr0(uint8_t ctr[16], const uint8_t *nonce, size_t nonce_len)
{
    memset(ctr, 0, 16);
    ctr[0] = (uint8_t)(15 - nonce_len - 1);
    memcpy(ctr + 1, nonce, nonce_len);
}

/* bench_ct_eq is 1 when a and b (n bytes) are equal, in constant time. */
static inline int bench_ct_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
    unsigned d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned)(a[i] ^ b[i]);
    return (int)(1 & ((d - 1) >> 8));
}

/* bench_wipe zeroes n bytes in a way the optimiser cannot drop. */
static inline void bench_wipe(void *p, size_t n)
{
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

/* CBC-CS1 of len >= 16 bytes: n blocks, the last holding d (1..16) bytes. */
static inline size_t bench_cs1_blocks(size_t len) { return (len + 15) / 16; }
static inline size_t bench_cs1_last(size_t len) { return len - 16 * (bench_cs1_blocks(len) - 1); }

#endif /* E2E_BENCH_SHIM_UTIL_H */
