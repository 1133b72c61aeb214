/* ct.h — constant-time helpers: compare, masks, select, value barrier, wipe.
 * Everything here is branch-free in its data arguments. */
#ifndef E2E_CT_H
#define E2E_CT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* e2e_value_barrier_u32 hides x from the optimiser so mask arithmetic is not
 * turned back into a branch. */
static inline uint32_t e2e_value_barrier_u32(uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    __asm__ volatile("" : "+r"(x));
#endif
    return x;
}

/* e2e_ct_mask_nonzero returns 0xffffffff if x != 0 else 0. */
static inline uint32_t e2e_ct_mask_nonzero(uint32_t x)
{
    x = e2e_value_barrier_u32(x);
    return (uint32_t)0 - ((x | ((uint32_t)0 - x)) >> 31);
}

/* e2e_ct_select returns a where mask is all ones, b where it is zero. */
static inline uint32_t e2e_ct_select(uint32_t mask, uint32_t a, uint32_t b)
{
    return (a & mask) | (b & ~mask);
}

/* e2e_ct_eq compares len bytes of a and b in constant time; 1 if equal. */
static inline int e2e_ct_eq(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint32_t d = 0;
    for (size_t i = 0; i < len; i++)
        d |= (uint32_t)(a[i] ^ b[i]);
    return (int)(1u & ~(e2e_ct_mask_nonzero(d)));
}

/* e2e_wipe zeroes len bytes at p in a way the compiler may not elide. */
static inline void e2e_wipe(void *p, size_t len)
{
    if (len == 0 || p == NULL)
        return;
    memset(p, 0, len);
#if defined(__GNUC__) || defined(__clang__)
    __asm__ volatile("" : : "r"(p) : "memory");
#else
    volatile unsigned char *v = (volatile unsigned char *)p;
    for (size_t i = 0; i < len; i++)
        v[i] = 0;
#endif
}

/* E2E_CT_SECRET / E2E_CT_PUBLIC mark memory as secret (valgrind: undefined)
 * or declassify it. No-ops unless built with E2E_CT_VALGRIND. */
#ifdef E2E_CT_VALGRIND
#include <valgrind/memcheck.h>
#define E2E_CT_SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define E2E_CT_PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define E2E_CT_SECRET(p, n) ((void)(p), (void)(n))
#define E2E_CT_PUBLIC(p, n) ((void)(p), (void)(n))
#endif

/* e2e_ct_verify is e2e_ct_eq for a tag check. The bytes compared stay
 * secret, but the verdict (accept or reject) is public — the caller branches
 * on it and the status reveals it anyway — so it is declassified for the
 * E2E_CT_VALGRIND check (tests/ct). Use e2e_ct_eq for anything else. */
static inline int e2e_ct_verify(const uint8_t *a, const uint8_t *b, size_t len)
{
    int ok = e2e_ct_eq(a, b, len);
    E2E_CT_PUBLIC(&ok, sizeof ok);
    return ok;
}

#endif /* E2E_CT_H */
