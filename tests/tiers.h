/* tiers.h — the tests' own statement of the implementation tiers.
 *
 * This restates, independently of engine/dispatch.c, what each tier is: its
 * name, the E2E_CPU_* bits it needs, and the six tables it must hold (single
 * AES and SHA-256, wide and narrow AES and SHA-256 lane families; NULL where
 * the tier has none). The rule it encodes: e2e_engine_init takes the first
 * tier, in this (fastest-first) order, whose needs are within
 * e2e_cpu_features() & allow_mask; "portable" needs nothing. test_dispatch
 * checks the engine against it and test_dispatch_hits derives from it which
 * kernels a workload must reach. When a tier is added or retuned in
 * dispatch.c, this list is the second place that has to agree.
 *
 * Only the tables of the architecture built are named (E2E_TEST_X86_SIMD,
 * E2E_TEST_ARM_CE, set by tests/CMakeLists.txt as the engine's own
 * E2E_HAVE_X86_LANES / E2E_HAVE_ARM_CE). */
#ifndef E2E_TESTS_TIERS_H
#define E2E_TESTS_TIERS_H

#include "testutil.h"

struct t_tier {
    const char *name;
    uint32_t needs;
    const struct e2e_aes_impl *aes;
    const struct e2e_sha_impl *sha;
    const struct e2e_aes_lane_impl *aes_lanes, *aes_narrow;
    const struct e2e_sha_lane_impl *sha_lanes, *sha_narrow;
};

#define T_X86_BASE (E2E_CPU_AESNI | E2E_CPU_SSSE3 | E2E_CPU_SSE41)
#define T_X86_AVX2 (E2E_CPU_AVX | E2E_CPU_AVX2)

static const struct t_tier t_tiers[] = {
#if defined(E2E_TEST_X86_SIMD)
    /* VAES/AVX-512: 16 AES lanes (AES-NI x8 for small passes), 8 SHA-NI
     * pairs per call (SHA-NI x2 for small passes), the VAES single-message
     * AES table (zmm ECB, CBC decryption, CTR; AES-NI's serial kernels) and
     * SHA-NI single. */
    {"vaes512", T_X86_BASE | T_X86_AVX2 | E2E_CPU_AVX512 | E2E_CPU_VAES | E2E_CPU_SHANI,
     &e2e_aes_impl_vaes512, &e2e_sha_impl_shani_aes, &e2e_aes_lane_impl_vaes512,
     &e2e_aes_lane_impl_aesni, &e2e_sha_lane_impl_shani16, &e2e_sha_lane_impl_shani},
    /* AVX-512 without VAES (or without SHA-NI): AES-NI lanes, AVX-512 SHA
     * lanes with AVX2 for small passes, portable SHA for single messages. */
    {"avx512", T_X86_BASE | T_X86_AVX2 | E2E_CPU_AVX512, &e2e_aes_impl_aesni,
     &e2e_sha_impl_portable, &e2e_aes_lane_impl_aesni, NULL, &e2e_sha_lane_impl_avx512,
     &e2e_sha_lane_impl_avx2},
    {"avx2+shani", T_X86_BASE | T_X86_AVX2 | E2E_CPU_SHANI, &e2e_aes_impl_aesni,
     &e2e_sha_impl_shani_aes, &e2e_aes_lane_impl_aesni, NULL, &e2e_sha_lane_impl_shani16,
     &e2e_sha_lane_impl_shani},
    {"avx2", T_X86_BASE | T_X86_AVX2, &e2e_aes_impl_aesni, &e2e_sha_impl_portable,
     &e2e_aes_lane_impl_aesni, NULL, &e2e_sha_lane_impl_avx2, NULL},
    {"aesni+shani", T_X86_BASE | E2E_CPU_SHANI, &e2e_aes_impl_aesni, &e2e_sha_impl_shani_aes,
     &e2e_aes_lane_impl_aesni, NULL, &e2e_sha_lane_impl_shani16, &e2e_sha_lane_impl_shani},
    {"aesni", T_X86_BASE, &e2e_aes_impl_aesni, &e2e_sha_impl_portable,
     &e2e_aes_lane_impl_aesni, NULL, NULL, NULL},
    {"shani", E2E_CPU_SHANI | E2E_CPU_SSSE3 | E2E_CPU_SSE41, &e2e_aes_impl_portable,
     &e2e_sha_impl_shani, NULL, NULL, &e2e_sha_lane_impl_shani, NULL},
#endif
#if defined(E2E_TEST_ARM_CE)
    {"armce", E2E_CPU_ARM_AES | E2E_CPU_ARM_SHA2, &e2e_aes_impl_armce, &e2e_sha_impl_armce_aes,
     &e2e_aes_lane_impl_armce, NULL, &e2e_sha_lane_impl_armce, NULL},
    {"armce-aes", E2E_CPU_ARM_AES, &e2e_aes_impl_armce, &e2e_sha_impl_portable,
     &e2e_aes_lane_impl_armce, NULL, NULL, NULL},
    {"armce-sha2", E2E_CPU_ARM_SHA2, &e2e_aes_impl_portable, &e2e_sha_impl_armce, NULL, NULL,
     &e2e_sha_lane_impl_armce, NULL},
#endif
    {"portable", 0, &e2e_aes_impl_portable, &e2e_sha_impl_portable, NULL, NULL, NULL, NULL},
};

#define T_N_TIERS (sizeof t_tiers / sizeof t_tiers[0])

/* t_tier_for returns the tier e2e_engine_init must pick for features f
 * (already masked). */
static T_UNUSED const struct t_tier *t_tier_for(uint32_t f)
{
    for (size_t i = 0; i < T_N_TIERS; i++)
        if ((t_tiers[i].needs & f) == t_tiers[i].needs)
            return &t_tiers[i];
    return &t_tiers[T_N_TIERS - 1];
}

/* t_tier_named returns the tier of that name, or NULL. */
static T_UNUSED const struct t_tier *t_tier_named(const char *name)
{
    for (size_t i = 0; i < T_N_TIERS; i++)
        if (strcmp(t_tiers[i].name, name) == 0)
            return &t_tiers[i];
    return NULL;
}

/* t_tier_runs: this CPU has everything tier t needs. */
static T_UNUSED int t_tier_runs(const struct t_tier *t)
{
    return (t->needs & e2e_cpu_features()) == t->needs;
}

/* t_features_str writes the names of the E2E_CPU_* bits in f. */
static T_UNUSED const char *t_features_str(uint32_t f)
{
    static char buf[160];
    static const struct {
        uint32_t bit;
        const char *name;
    } bits[] = {
        {E2E_CPU_SSSE3, "ssse3"}, {E2E_CPU_SSE41, "sse4.1"},  {E2E_CPU_AESNI, "aesni"},
        {E2E_CPU_PCLMUL, "pclmul"}, {E2E_CPU_AVX, "avx"},     {E2E_CPU_AVX2, "avx2"},
        {E2E_CPU_AVX512, "avx512"}, {E2E_CPU_VAES, "vaes"},   {E2E_CPU_SHANI, "shani"},
        {E2E_CPU_ARM_AES, "arm-aes"}, {E2E_CPU_ARM_SHA2, "arm-sha2"},
    };
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (f & bits[i].bit)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", o ? " " : "", bits[i].name);
    if (o == 0)
        snprintf(buf, sizeof buf, "(none)");
    return buf;
}

#endif /* E2E_TESTS_TIERS_H */
