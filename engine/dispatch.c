/* dispatch.c — pick the implementation tables for an engine.
 *
 * Implementation notes: an engine pairs one AES table with one SHA-256 table
 * (simd/impl.h). Each family lists its tables fastest first; the first whose
 * needs are within e2e_cpu_features() & allow_mask wins, the portable
 * constant-time table (needs 0) always fits. The choice lives in the caller's
 * e2e_engine, not in a global, so a test or benchmark can hold engines of
 * every tier side by side. The engine's name is "aes+sha" ("aesni+shani"),
 * one part when the other is portable ("aesni", "shani"), or "portable". */
#include <string.h>

#include "internal.h"

_Static_assert(sizeof(struct engine_impl) <= E2E_ENGINE_BYTES, "grow E2E_ENGINE_BYTES");

static const struct e2e_aes_impl *const aes_tables[] = {
#if defined(E2E_HAVE_X86_SIMD)
    &e2e_aes_impl_aesni,
#endif
#if defined(E2E_HAVE_ARM_CE)
    &e2e_aes_impl_armce,
#endif
    &e2e_aes_impl_portable,
};

static const struct e2e_sha_impl *const sha_tables[] = {
#if defined(E2E_HAVE_X86_SIMD)
    &e2e_sha_impl_shani,
#endif
#if defined(E2E_HAVE_ARM_CE)
    &e2e_sha_impl_armce,
#endif
    &e2e_sha_impl_portable,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const impl_names[] = {
    "best", "portable",
#if defined(E2E_HAVE_X86_SIMD)
    "aesni", "aesni+shani", "shani",
#endif
#if defined(E2E_HAVE_ARM_CE)
    "armce",
#endif
    NULL,
};

const char *const *e2e_impl_names(void)
{
    return impl_names;
}

static void compose(struct engine_impl *e, uint32_t features,
                    const struct e2e_aes_impl *aes, const struct e2e_sha_impl *sha)
{
    memset(e, 0, sizeof *e);
    e->magic = E2E_ENGINE_MAGIC;
    e->features = features;
    e->aes = aes;
    e->sha = sha;
#if defined(E2E_HAVE_ARM_CE)
    /* The lane families go with their single-message tables. */
    if (aes == &e2e_aes_impl_armce)
        e->aes_lanes = &e2e_aes_lane_impl_armce;
    if (sha == &e2e_sha_impl_armce)
        e->sha_lanes = &e2e_sha_lane_impl_armce;
#endif
    int aes_p = aes->needs == 0, sha_p = sha->needs == 0;
    if (aes_p && sha_p)
        strcpy(e->name, "portable");
    else if (sha_p || strcmp(aes->name, sha->name) == 0)
        strcpy(e->name, aes->name); /* "aesni"; one family for both: "armce" */
    else if (aes_p)
        strcpy(e->name, sha->name);
    else {
        strcpy(e->name, aes->name);
        strcat(e->name, "+");
        strcat(e->name, sha->name);
    }
}

e2e_status e2e_engine_init(e2e_engine *eng, uint32_t allow_mask)
{
    if (eng == NULL)
        return E2E_ERR_PARAM;
    uint32_t f = e2e_cpu_features() & allow_mask;
    const struct e2e_aes_impl *aes = &e2e_aes_impl_portable;
    const struct e2e_sha_impl *sha = &e2e_sha_impl_portable;
    for (size_t i = 0; i < COUNT(aes_tables); i++)
        if ((aes_tables[i]->needs & f) == aes_tables[i]->needs) {
            aes = aes_tables[i];
            break;
        }
    for (size_t i = 0; i < COUNT(sha_tables); i++)
        if ((sha_tables[i]->needs & f) == sha_tables[i]->needs) {
            sha = sha_tables[i];
            break;
        }
    compose((struct engine_impl *)(void *)eng->opaque, f, aes, sha);
    return E2E_OK;
}

e2e_status e2e_engine_init_named(e2e_engine *eng, const char *name)
{
    if (eng == NULL || name == NULL)
        return E2E_ERR_PARAM;
    if (strcmp(name, "best") == 0)
        return e2e_engine_init(eng, E2E_CPU_ALL);
    uint32_t f = e2e_cpu_features();
    for (size_t i = 0; i < COUNT(aes_tables); i++) {
        for (size_t j = 0; j < COUNT(sha_tables); j++) {
            struct engine_impl cand;
            compose(&cand, f, aes_tables[i], sha_tables[j]);
            if (strcmp(cand.name, name) != 0)
                continue;
            uint32_t needs = aes_tables[i]->needs | sha_tables[j]->needs;
            if ((needs & f) != needs)
                return E2E_ERR_CPU;
            cand.features = needs;
            memcpy(eng->opaque, &cand, sizeof cand);
            return E2E_OK;
        }
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
