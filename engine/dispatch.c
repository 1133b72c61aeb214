/* dispatch.c — pick the implementation tier of an engine.
 *
 * Implementation notes: a tier names one complete set of tables
 * (simd/impl.h): single-message AES and SHA-256, and the multi-buffer AES
 * and SHA-256 lane families the batch scheduler uses (NULL: it runs one lane
 * on the single-message tables). Tiers are listed fastest first; an engine
 * takes the first whose needs are within e2e_cpu_features() & allow_mask, and
 * "portable" (needs 0: bitsliced AES, plain C SHA-256) always fits. The
 * intermediate tiers match real CPU generations (AVX2 without AVX-512,
 * AVX-512 without VAES, SHA-NI without AVX) and let tests force each table.
 * The choice lives in the caller's e2e_engine, not in a global, so a test or
 * benchmark can hold engines of every tier side by side. */
#include <string.h>

#include "internal.h"

_Static_assert(sizeof(struct engine_impl) <= E2E_ENGINE_BYTES, "grow E2E_ENGINE_BYTES");

struct tier {
    const char *name;
    uint32_t needs;
    const struct e2e_aes_impl *aes;
    const struct e2e_sha_impl *sha;
    const struct e2e_aes_lane_impl *aes_lanes, *aes_narrow;
    const struct e2e_sha_lane_impl *sha_lanes, *sha_narrow;
};

#define X86_BASE (E2E_CPU_AESNI | E2E_CPU_SSSE3 | E2E_CPU_SSE41)
#define X86_AVX2 (E2E_CPU_AVX | E2E_CPU_AVX2)
#define X86_512 (X86_AVX2 | E2E_CPU_AVX512)

static const struct tier tiers[] = {
#if defined(E2E_HAVE_X86_LANES)
    /* name, needs, single AES, single SHA, AES lanes (wide, narrow), SHA lanes
     * (wide, narrow). Narrow lanes serve passes with too few messages to fill
     * the wide ones.
     * SHA on a CPU with both SHA-NI and AVX-512: in the batch scheduler
     * (e2ecrypt_bench verify_hmac, Zen 4, 256 messages) SHA-NI pairs beat
     * the 16 AVX-512 lanes at small sizes and match them at large ones:
     * 16 B 6.9M vs 10.1M msgs/s (x16 AVX-512 vs 8 SHA-NI pairs per call),
     * 64 B 5.5M vs 8.3M, 1 KiB 2.3M vs 2.1M, 16 KiB 154k vs 160k. The x16
     * kernel's 0.68 ticks/byte holds only in isolation; its transposition
     * and state traffic cost the rest.
     * AVX-512 lanes serve CPUs without SHA-NI (the avx512 tier). */
    {"vaes512", X86_BASE | X86_512 | E2E_CPU_VAES | E2E_CPU_SHANI, &e2e_aes_impl_vaes512,
     &e2e_sha_impl_shani_aes, &e2e_aes_lane_impl_vaes512, &e2e_aes_lane_impl_aesni,
     &e2e_sha_lane_impl_shani16, &e2e_sha_lane_impl_shani},
    {"avx512", X86_BASE | X86_512, &e2e_aes_impl_aesni, &e2e_sha_impl_portable,
     &e2e_aes_lane_impl_aesni, NULL, &e2e_sha_lane_impl_avx512, &e2e_sha_lane_impl_avx2},
    /* AVX2's 8 SHA lanes (1.37 ticks/byte) lose to SHA-NI's two streams (0.79) */
    {"avx2+shani", X86_BASE | X86_AVX2 | E2E_CPU_SHANI, &e2e_aes_impl_aesni, &e2e_sha_impl_shani_aes,
     &e2e_aes_lane_impl_aesni, NULL, &e2e_sha_lane_impl_shani16, &e2e_sha_lane_impl_shani},
    {"avx2", X86_BASE | X86_AVX2, &e2e_aes_impl_aesni, &e2e_sha_impl_portable,
     &e2e_aes_lane_impl_aesni, NULL, &e2e_sha_lane_impl_avx2, NULL},
    {"aesni+shani", X86_BASE | E2E_CPU_SHANI, &e2e_aes_impl_aesni, &e2e_sha_impl_shani_aes,
     &e2e_aes_lane_impl_aesni, NULL, &e2e_sha_lane_impl_shani16, &e2e_sha_lane_impl_shani},
    {"aesni", X86_BASE, &e2e_aes_impl_aesni, &e2e_sha_impl_portable, &e2e_aes_lane_impl_aesni,
     NULL, NULL, NULL},
    {"shani", E2E_CPU_SHANI | E2E_CPU_SSSE3 | E2E_CPU_SSE41, &e2e_aes_impl_portable,
     &e2e_sha_impl_shani, NULL, NULL, &e2e_sha_lane_impl_shani, NULL},
#elif defined(E2E_HAVE_X86_SIMD)
    {"aesni+shani", X86_BASE | E2E_CPU_SHANI, &e2e_aes_impl_aesni, &e2e_sha_impl_shani_aes, NULL,
     NULL, NULL, NULL},
    {"aesni", X86_BASE, &e2e_aes_impl_aesni, &e2e_sha_impl_portable, NULL, NULL, NULL, NULL},
    {"shani", E2E_CPU_SHANI | E2E_CPU_SSSE3 | E2E_CPU_SSE41, &e2e_aes_impl_portable,
     &e2e_sha_impl_shani, NULL, NULL, NULL, NULL},
#endif
#if defined(E2E_HAVE_ARM_CE)
    {"armce", E2E_CPU_ARM_AES | E2E_CPU_ARM_SHA2, &e2e_aes_impl_armce, &e2e_sha_impl_armce_aes,
     &e2e_aes_lane_impl_armce, NULL, &e2e_sha_lane_impl_armce, NULL},
    {"armce-aes", E2E_CPU_ARM_AES, &e2e_aes_impl_armce, &e2e_sha_impl_portable,
     &e2e_aes_lane_impl_armce, NULL, NULL, NULL},
    {"armce-sha2", E2E_CPU_ARM_SHA2, &e2e_aes_impl_portable, &e2e_sha_impl_armce, NULL, NULL,
     &e2e_sha_lane_impl_armce, NULL},
#endif
    {"portable", 0, &e2e_aes_impl_portable, &e2e_sha_impl_portable, NULL, NULL, NULL, NULL},
};

#define NTIERS (sizeof(tiers) / sizeof(tiers[0]))

/* "best" first, then every tier fastest first, NULL-ended. */
static const char *impl_names[NTIERS + 2];

const char *const *e2e_impl_names(void)
{
    if (impl_names[0] == NULL) {  /* same values from every thread: a benign race */
        for (size_t i = 0; i < NTIERS; i++)
            impl_names[i + 1] = tiers[i].name;
        impl_names[0] = "best";
    }
    return impl_names;
}

static void use(e2e_engine *eng, const struct tier *t, uint32_t features)
{
    struct engine_impl *e = (struct engine_impl *)(void *)eng->opaque;
    memset(e, 0, sizeof *e);
    e->magic = E2E_ENGINE_MAGIC;
    e->features = features;
    e->aes = t->aes;
    e->sha = t->sha;
    e->aes_lanes = t->aes_lanes;
    e->aes_narrow = t->aes_narrow;
    e->sha_lanes = t->sha_lanes;
    e->sha_narrow = t->sha_narrow;
    size_t len = strlen(t->name);
    memcpy(e->name, t->name, len < sizeof e->name ? len : sizeof e->name - 1);
}

e2e_status e2e_engine_init(e2e_engine *eng, uint32_t allow_mask)
{
    if (eng == NULL)
        return E2E_ERR_PARAM;
    uint32_t f = e2e_cpu_features() & allow_mask;
    for (size_t i = 0; i < NTIERS; i++) {
        if ((tiers[i].needs & f) == tiers[i].needs) {
            use(eng, &tiers[i], f);
            return E2E_OK;
        }
    }
    return E2E_ERR_CPU; /* unreachable: "portable" needs nothing */
}

e2e_status e2e_engine_init_named(e2e_engine *eng, const char *name)
{
    if (eng == NULL || name == NULL)
        return E2E_ERR_PARAM;
    if (strcmp(name, "best") == 0)
        return e2e_engine_init(eng, E2E_CPU_ALL);
    uint32_t f = e2e_cpu_features();
    for (size_t i = 0; i < NTIERS; i++) {
        if (strcmp(tiers[i].name, name) != 0)
            continue;
        if ((tiers[i].needs & f) != tiers[i].needs)
            return E2E_ERR_CPU;
        use(eng, &tiers[i], tiers[i].needs);
        return E2E_OK;
    }
    return E2E_ERR_PARAM;
}

const struct engine_impl *e2e_engine_impl(const e2e_engine *eng)
{
    if (eng == NULL)
        return NULL;
    const struct engine_impl *e = (const struct engine_impl *)(const void *)eng->opaque;
    return e->magic == E2E_ENGINE_MAGIC ? e : NULL;
}

const char *e2e_engine_name(const e2e_engine *eng)
{
    const struct engine_impl *e = e2e_engine_impl(eng);
    return e ? e->name : "uninitialised";
}

const struct e2e_aes_impl *e2e_aes_of(const e2e_engine *eng)
{
    const struct engine_impl *e = e2e_engine_impl(eng);
    return e ? e->aes : &e2e_aes_impl_portable;
}

const struct e2e_sha_impl *e2e_sha_of(const e2e_engine *eng)
{
    const struct engine_impl *e = e2e_engine_impl(eng);
    return e ? e->sha : &e2e_sha_impl_portable;
}
