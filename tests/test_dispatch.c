/* test_dispatch.c — which implementation e2e_engine_init picks, and that the
 * tables an engine holds are the ones its name promises.
 *
 * Expectations are derived from e2e_cpu_features() and each table's `needs`,
 * so the test is right (and still runs every check that applies) on a CPU
 * without AES-NI or SHA-NI. The CPU probe itself is cross-checked against
 * the compiler runtime's __builtin_cpu_supports on x86-64. On this project's
 * CI machine (AES-NI and SHA-NI) it asserts: E2E_CPU_ALL -> "aesni+shani",
 * ~SHANI -> "aesni", ~AESNI -> "shani", 0 -> "portable". */
#include "testutil.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

static const struct e2e_aes_impl *aes_best(uint32_t f)
{
#if defined(E2E_TEST_X86_SIMD)
    if ((e2e_aes_impl_aesni.needs & f) == e2e_aes_impl_aesni.needs)
        return &e2e_aes_impl_aesni;
#endif
#if defined(E2E_TEST_ARM_CE)
    if ((e2e_aes_impl_armce.needs & f) == e2e_aes_impl_armce.needs)
        return &e2e_aes_impl_armce;
#endif
    (void)f;
    return &e2e_aes_impl_portable;
}

static const struct e2e_sha_impl *sha_best(uint32_t f)
{
#if defined(E2E_TEST_X86_SIMD)
    if ((e2e_sha_impl_shani.needs & f) == e2e_sha_impl_shani.needs)
        return &e2e_sha_impl_shani;
#endif
#if defined(E2E_TEST_ARM_CE)
    if ((e2e_sha_impl_armce.needs & f) == e2e_sha_impl_armce.needs)
        return &e2e_sha_impl_armce;
#endif
    (void)f;
    return &e2e_sha_impl_portable;
}

/* expected_name composes the documented engine name from its two tables. */
static void expected_name(char *out, size_t cap, const struct e2e_aes_impl *a,
                          const struct e2e_sha_impl *s)
{
    int ap = a == &e2e_aes_impl_portable, sp = s == &e2e_sha_impl_portable;
    if (ap && sp)
        snprintf(out, cap, "portable");
    else if (sp || strcmp(a->name, s->name) == 0)
        snprintf(out, cap, "%s", a->name);
    else if (ap)
        snprintf(out, cap, "%s", s->name);
    else
        snprintf(out, cap, "%s+%s", a->name, s->name);
}

static void check_mask(const char *what, uint32_t mask)
{
    e2e_engine eng;
    memset(&eng, 0, sizeof eng);
    e2e_status st = e2e_engine_init(&eng, mask);
    CHECK(st == E2E_OK, "%s: e2e_engine_init = %s", what, e2e_status_name(st));
    const struct engine_impl *e = e2e_engine_impl(&eng);
    CHECK(e != NULL, "%s: no tables", what);
    if (e == NULL)
        return;
    uint32_t f = e2e_cpu_features() & mask;
    const struct e2e_aes_impl *wa = aes_best(f);
    const struct e2e_sha_impl *ws = sha_best(f);
    char want[64];
    expected_name(want, sizeof want, wa, ws);
    CHECK(e->aes == wa, "%s: AES table %s, want %s", what, e->aes ? e->aes->name : "(null)",
          wa->name);
    CHECK(e->sha == ws, "%s: SHA table %s, want %s", what, e->sha ? e->sha->name : "(null)",
          ws->name);
    CHECK(strcmp(e2e_engine_name(&eng), want) == 0, "%s: name %s, want %s", what,
          e2e_engine_name(&eng), want);
    /* Whatever was picked must fit the allowed features. */
    CHECK((e->aes->needs & f) == e->aes->needs, "%s: AES needs 0x%x outside 0x%x", what,
          e->aes->needs, f);
    CHECK((e->sha->needs & f) == e->sha->needs, "%s: SHA needs 0x%x outside 0x%x", what,
          e->sha->needs, f);
    printf("%-28s -> %s\n", what, e2e_engine_name(&eng));
}

static void check_named(const char *name)
{
    e2e_engine eng;
    memset(&eng, 0, sizeof eng);
    e2e_status st = e2e_engine_init_named(&eng, name);
    uint32_t f = e2e_cpu_features();
    const struct e2e_aes_impl *wa = &e2e_aes_impl_portable;
    const struct e2e_sha_impl *ws = &e2e_sha_impl_portable;
    int known = 1;
    if (strcmp(name, "best") == 0) {
        wa = aes_best(f);
        ws = sha_best(f);
    } else if (strcmp(name, "portable") == 0) {
    }
#if defined(E2E_TEST_X86_SIMD)
    else if (strcmp(name, "aesni") == 0) {
        wa = &e2e_aes_impl_aesni;
    } else if (strcmp(name, "shani") == 0) {
        ws = &e2e_sha_impl_shani;
    } else if (strcmp(name, "aesni+shani") == 0) {
        wa = &e2e_aes_impl_aesni;
        ws = &e2e_sha_impl_shani;
    }
#endif
#if defined(E2E_TEST_ARM_CE)
    else if (strcmp(name, "armce") == 0) {
        wa = &e2e_aes_impl_armce;
        ws = &e2e_sha_impl_armce;
    }
#endif
    else {
        known = 0;
    }
    CHECK(known, "e2e_impl_names lists '%s', which this test does not know", name);
    if (!known)
        return;
    uint32_t needs = wa->needs | ws->needs;
    if ((needs & f) != needs) {
        CHECK(st == E2E_ERR_CPU, "init_named(%s) on a CPU without 0x%x: %s, want cpu_unsupported",
              name, needs & ~f, e2e_status_name(st));
        printf("%-28s -> SKIP (cpu)\n", name);
        return;
    }
    CHECK(st == E2E_OK, "init_named(%s) = %s", name, e2e_status_name(st));
    const struct engine_impl *e = e2e_engine_impl(&eng);
    CHECK(e != NULL, "init_named(%s): no tables", name);
    if (e == NULL)
        return;
    CHECK(e->aes == wa && e->sha == ws, "init_named(%s): tables %s/%s, want %s/%s", name,
          e->aes->name, e->sha->name, wa->name, ws->name);
    char want[64];
    expected_name(want, sizeof want, wa, ws);
    if (strcmp(name, "best") != 0)
        CHECK(strcmp(want, name) == 0, "the engine name composed from %s/%s is %s, not %s",
              wa->name, ws->name, want, name);
    CHECK(strcmp(e2e_engine_name(&eng), want) == 0, "init_named(%s): name %s, want %s", name,
          e2e_engine_name(&eng), want);
    printf("init_named(%-12s)       -> %s\n", name, e2e_engine_name(&eng));
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
/* cpuid_sha: SHA extensions, read here directly (clang 14 has no
 * __builtin_cpu_supports("sha")). */
static int cpuid_sha(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    (void)a;
    (void)c;
    (void)d;
    return (int)((b >> 29) & 1);
}
#endif

static void check_cpu_probe(void)
{
    uint32_t f = e2e_cpu_features();
    printf("e2e_cpu_features() = 0x%08x\n", f);
    CHECK(f == e2e_cpu_features(), "e2e_cpu_features is not stable");
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    struct {
        uint32_t bit;
        int have;
        const char *name;
    } x[] = {
        {E2E_CPU_AESNI, __builtin_cpu_supports("aes"), "aes"},
        {E2E_CPU_SHANI, cpuid_sha(), "sha (CPUID.7.0:EBX[29])"},
        {E2E_CPU_PCLMUL, __builtin_cpu_supports("pclmul"), "pclmul"},
        {E2E_CPU_SSSE3, __builtin_cpu_supports("ssse3"), "ssse3"},
        {E2E_CPU_SSE41, __builtin_cpu_supports("sse4.1"), "sse4.1"},
        /* libgcc's avx/avx2 bits already require the OS to save ymm (XCR0). */
        {E2E_CPU_AVX, __builtin_cpu_supports("avx"), "avx"},
        {E2E_CPU_AVX2, __builtin_cpu_supports("avx2"), "avx2"},
        {E2E_CPU_AVX512,
         __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"),
         "avx512f+bw+vl+dq"},
    };
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        CHECK(!!(f & x[i].bit) == !!x[i].have, "E2E_CPU bit for %s is %d, the CPU says %d",
              x[i].name, !!(f & x[i].bit), !!x[i].have);
    CHECK((f & (E2E_CPU_ARM_AES | E2E_CPU_ARM_SHA2)) == 0, "ARM bits on x86-64");
#elif defined(__aarch64__) && defined(__linux__)
    /* HWCAP_AES is bit 3, HWCAP_SHA2 bit 6 (asm/hwcap.h). */
    unsigned long hw = getauxval(AT_HWCAP);
    CHECK(!!(f & E2E_CPU_ARM_AES) == !!(hw & (1ul << 3)), "E2E_CPU_ARM_AES vs HWCAP_AES");
    CHECK(!!(f & E2E_CPU_ARM_SHA2) == !!(hw & (1ul << 6)), "E2E_CPU_ARM_SHA2 vs HWCAP_SHA2");
    CHECK((f & (E2E_CPU_AESNI | E2E_CPU_SHANI | E2E_CPU_AVX)) == 0, "x86 bits on aarch64");
    printf("HWCAP = 0x%lx: aes %d, sha2 %d\n", hw, !!(hw & (1ul << 3)), !!(hw & (1ul << 6)));
#else
    CHECK((f & (E2E_CPU_AESNI | E2E_CPU_SHANI | E2E_CPU_AVX)) == 0, "x86 bits on another CPU");
#endif
}

int main(void)
{
    check_cpu_probe();
    uint32_t f = e2e_cpu_features();

    /* The table declarations must match what they claim to need. */
    CHECK(e2e_aes_impl_portable.needs == 0 && e2e_sha_impl_portable.needs == 0,
          "portable tables need nothing");
    CHECK(strcmp(e2e_aes_impl_portable.name, "portable") == 0, "portable AES table name");
#if defined(E2E_TEST_X86_SIMD)
    CHECK(e2e_aes_impl_aesni.needs & E2E_CPU_AESNI, "aesni table needs AES-NI");
    CHECK(e2e_sha_impl_shani.needs & E2E_CPU_SHANI, "shani table needs SHA-NI");
    CHECK(strcmp(e2e_aes_impl_aesni.name, "aesni") == 0, "aesni table name %s",
          e2e_aes_impl_aesni.name);
    CHECK(strcmp(e2e_sha_impl_shani.name, "shani") == 0, "shani table name %s",
          e2e_sha_impl_shani.name);
#endif

    check_mask("E2E_CPU_ALL", E2E_CPU_ALL);
    check_mask("E2E_CPU_ALL & ~E2E_CPU_SHANI", E2E_CPU_ALL & ~E2E_CPU_SHANI);
    check_mask("E2E_CPU_ALL & ~E2E_CPU_AESNI", E2E_CPU_ALL & ~E2E_CPU_AESNI);
    check_mask("0", 0);
    check_mask("E2E_CPU_AESNI|E2E_CPU_SHANI", E2E_CPU_AESNI | E2E_CPU_SHANI);
    check_mask("E2E_CPU_ALL & ~E2E_CPU_ARM_SHA2", E2E_CPU_ALL & ~E2E_CPU_ARM_SHA2);
    check_mask("E2E_CPU_ALL & ~E2E_CPU_ARM_AES", E2E_CPU_ALL & ~E2E_CPU_ARM_AES);

    /* The concrete expectations of the issue, on a CPU that has both. */
#if defined(E2E_TEST_X86_SIMD)
    if ((f & e2e_aes_impl_aesni.needs) == e2e_aes_impl_aesni.needs &&
        (f & e2e_sha_impl_shani.needs) == e2e_sha_impl_shani.needs) {
        e2e_engine eng;
        e2e_engine_init(&eng, E2E_CPU_ALL);
        CHECK(strcmp(e2e_engine_name(&eng), "aesni+shani") == 0, "ALL -> %s",
              e2e_engine_name(&eng));
        e2e_engine_init(&eng, E2E_CPU_ALL & ~E2E_CPU_SHANI);
        CHECK(strcmp(e2e_engine_name(&eng), "aesni") == 0, "~SHANI -> %s",
              e2e_engine_name(&eng));
        e2e_engine_init(&eng, E2E_CPU_ALL & ~E2E_CPU_AESNI);
        CHECK(strcmp(e2e_engine_name(&eng), "shani") == 0, "~AESNI -> %s",
              e2e_engine_name(&eng));
    } else {
        printf("note: this CPU lacks AES-NI or SHA-NI; the mask checks above used its features\n");
    }
#endif
#if defined(E2E_TEST_ARM_CE)
    if ((f & (E2E_CPU_ARM_AES | E2E_CPU_ARM_SHA2)) == (E2E_CPU_ARM_AES | E2E_CPU_ARM_SHA2)) {
        e2e_engine eng;
        e2e_engine_init(&eng, E2E_CPU_ALL);
        CHECK(strcmp(e2e_engine_name(&eng), "armce") == 0, "ALL -> %s", e2e_engine_name(&eng));
        const struct engine_impl *e = e2e_engine_impl(&eng);
        CHECK(e && e->aes == &e2e_aes_impl_armce && e->sha == &e2e_sha_impl_armce,
              "ALL -> the armce tables");
    } else {
        printf("note: this CPU lacks the ARMv8 AES or SHA-2 extensions (portable expected)\n");
        e2e_engine eng;
        e2e_engine_init(&eng, E2E_CPU_ALL);
        const struct engine_impl *e = e2e_engine_impl(&eng);
        if (!(f & E2E_CPU_ARM_AES))
            CHECK(e && e->aes == &e2e_aes_impl_portable, "no ARM AES -> portable AES");
        if (!(f & E2E_CPU_ARM_SHA2))
            CHECK(e && e->sha == &e2e_sha_impl_portable, "no ARM SHA2 -> portable SHA-256");
    }
#endif
    {
        e2e_engine eng;
        e2e_engine_init(&eng, 0);
        CHECK(strcmp(e2e_engine_name(&eng), "portable") == 0, "0 -> %s", e2e_engine_name(&eng));
        const struct engine_impl *e = e2e_engine_impl(&eng);
        CHECK(e && e->aes == &e2e_aes_impl_portable && e->sha == &e2e_sha_impl_portable,
              "0 -> portable tables");
    }

    /* Every listed name, and the list itself. */
    const char *const *names = e2e_impl_names();
    CHECK(names != NULL, "e2e_impl_names NULL");
    int has_best = 0, has_portable = 0, n = 0;
    for (size_t i = 0; names && names[i]; i++, n++) {
        has_best |= strcmp(names[i], "best") == 0;
        has_portable |= strcmp(names[i], "portable") == 0;
        check_named(names[i]);
    }
    CHECK(has_best && has_portable, "e2e_impl_names lacks best or portable");
#if defined(E2E_TEST_X86_SIMD)
    CHECK(n == 5, "an x86-64 SIMD build lists 5 implementations, not %d", n);
#elif defined(E2E_TEST_ARM_CE)
    CHECK(n == 3, "an aarch64 CE build lists 3 implementations, not %d", n);
#else
    CHECK(n == 2, "a portable-only build lists 2 implementations, not %d", n);
#endif

    /* Bad calls. */
    e2e_engine eng;
    memset(&eng, 0, sizeof eng);
    CHECK(e2e_engine_impl(&eng) == NULL, "a zeroed engine has no tables");
    CHECK(e2e_engine_init_named(&eng, "vaes512") == E2E_ERR_PARAM, "unknown name -> bad_param");
    CHECK(e2e_engine_init_named(&eng, "") == E2E_ERR_PARAM, "empty name -> bad_param");
    CHECK(e2e_engine_init_named(&eng, "AESNI") == E2E_ERR_PARAM, "names are case-sensitive");
    CHECK(e2e_engine_init_named(&eng, NULL) == E2E_ERR_PARAM, "NULL name -> bad_param");
    CHECK(e2e_engine_init_named(NULL, "portable") == E2E_ERR_PARAM, "NULL engine (named)");
    CHECK(e2e_engine_init(NULL, E2E_CPU_ALL) == E2E_ERR_PARAM, "NULL engine");
    CHECK(e2e_engine_impl(NULL) == NULL, "e2e_engine_impl(NULL)");
    return t_summary();
}
