/* cpu.c — probe the CPU once: which E2E_CPU_* features may be used.
 *
 * Implementation notes: on x86-64, CPUID leaf 1 and leaf 7 give the
 * instruction sets; AVX, AVX2, VAES and AVX-512 are reported only when XCR0
 * (read with XGETBV, itself gated on OSXSAVE) shows the OS saves the ymm
 * (bits 1-2) and, for AVX-512, the opmask/zmm state (bits 5-7). On aarch64
 * the kernel's HWCAP bits are authoritative. The result is cached in a
 * relaxed atomic: every thread computes the same value, so a race is benign. */
#include <stdatomic.h>

#include "internal.h"

#if defined(__x86_64__)
#include <cpuid.h>

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t probe(void)
{
    unsigned a, b, c, d;
    uint32_t f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    unsigned c1 = c;
    if (c1 & bit_SSSE3) f |= E2E_CPU_SSSE3;
    if (c1 & bit_SSE4_1) f |= E2E_CPU_SSE41;
    if (c1 & bit_AES) f |= E2E_CPU_AESNI;
    if (c1 & bit_PCLMUL) f |= E2E_CPU_PCLMUL;
    int ymm_ok = 0, zmm_ok = 0;
    if (c1 & bit_OSXSAVE) {
        uint64_t xcr0 = xgetbv0();
        ymm_ok = (xcr0 & 0x6) == 0x6;
        zmm_ok = ymm_ok && (xcr0 & 0xe0) == 0xe0;
    }
    if ((c1 & bit_AVX) && ymm_ok)
        f |= E2E_CPU_AVX;
    unsigned max = __get_cpuid_max(0, NULL);
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if (b & bit_SHA) f |= E2E_CPU_SHANI;
        if ((f & E2E_CPU_AVX) && (b & bit_AVX2)) f |= E2E_CPU_AVX2;
        if ((f & E2E_CPU_AVX) && (c & bit_VAES)) f |= E2E_CPU_VAES;
        const unsigned avx512 = bit_AVX512F | bit_AVX512BW | bit_AVX512VL | bit_AVX512DQ;
        if (zmm_ok && (b & avx512) == avx512) f |= E2E_CPU_AVX512;
    }
    return f;
}
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_AES
#define HWCAP_AES (1 << 3)
#endif
#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1 << 6)
#endif
static uint32_t probe(void)
{
    unsigned long hw = getauxval(AT_HWCAP);
    uint32_t f = 0;
    if (hw & HWCAP_AES) f |= E2E_CPU_ARM_AES;
    if (hw & HWCAP_SHA2) f |= E2E_CPU_ARM_SHA2;
    return f;
}
#else
static uint32_t probe(void) { return 0; }
#endif

#define PROBED (1u << 31)

uint32_t e2e_cpu_features(void)
{
    static _Atomic uint32_t cached;
    uint32_t f = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!(f & PROBED)) {
        f = probe() | PROBED;
        atomic_store_explicit(&cached, f, memory_order_relaxed);
    }
    return f & ~PROBED;
}
