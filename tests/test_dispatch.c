/* test_dispatch.c — which tier e2e_engine_init picks, and that the tables an
 * engine holds are the ones its tier promises.
 *
 * The expectations come from tests/tiers.h (the tests' own statement of the
 * tiers, fastest first, each with its needs and six tables) applied to
 * e2e_cpu_features(), never from this machine: on any CPU the test runs
 * every check that applies and prints what the CPU has.
 *
 *  - The CPU probe against CPUID / the compiler runtime (x86-64) or HWCAP
 *    (aarch64).
 *  - The tier list itself: each tier's tables need no more than the tier;
 *    lane families have 2..E2E_LANES_MAX lanes, narrow ones fewer than wide.
 *  - e2e_engine_init for the named masks (ALL, ALL without SHA-NI, AVX-512,
 *    VAES, AVX/AVX2, AES-NI, the ARM bits, 0) and for every subset of the
 *    E2E_CPU_* bits: name and all six tables of the expected tier; the tables
 *    chosen never need a bit outside cpu & mask; clearing a bit never gives
 *    a tier listed before (faster than) the one with the bit.
 *  - e2e_impl_names() is exactly "best" plus the tiers of this architecture;
 *    e2e_engine_init_named of each gives that tier, or E2E_ERR_CPU exactly
 *    when the CPU lacks its needs; the other architecture's names and
 *    unknown names are E2E_ERR_PARAM. */
#include "tiers.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

/* Every tier name of every architecture (those not built are bad_param). */
static const char *const all_tier_names[] = {"vaes512",     "avx512",    "avx2+shani",
                                             "avx2",        "aesni+shani", "aesni",
                                             "shani",       "armce",     "armce-aes",
                                             "armce-sha2",  "portable"};

static const char *tname(const char *n)
{
    return n ? n : "(none)";
}

#define AES_NAME(t) ((t) ? (t)->name : "(none)")

/* check_tables: eng holds exactly tier t (name and the six tables). */
static void check_tables(const char *what, const e2e_engine *eng, const struct t_tier *t)
{
    const struct engine_impl *e = e2e_engine_impl(eng);
    CHECK(e != NULL, "%s: no tables", what);
    if (e == NULL)
        return;
    CHECK(strcmp(e2e_engine_name(eng), t->name) == 0, "%s: tier %s, want %s", what,
          e2e_engine_name(eng), t->name);
    CHECK(e->aes == t->aes, "%s: AES table %s, want %s", what, AES_NAME(e->aes),
          AES_NAME(t->aes));
    CHECK(e->sha == t->sha, "%s: SHA table %s, want %s", what, AES_NAME(e->sha),
          AES_NAME(t->sha));
    CHECK(e->aes_lanes == t->aes_lanes, "%s: AES lanes %s, want %s", what,
          AES_NAME(e->aes_lanes), AES_NAME(t->aes_lanes));
    CHECK(e->aes_narrow == t->aes_narrow, "%s: narrow AES lanes %s, want %s", what,
          AES_NAME(e->aes_narrow), AES_NAME(t->aes_narrow));
    CHECK(e->sha_lanes == t->sha_lanes, "%s: SHA lanes %s, want %s", what,
          AES_NAME(e->sha_lanes), AES_NAME(t->sha_lanes));
    CHECK(e->sha_narrow == t->sha_narrow, "%s: narrow SHA lanes %s, want %s", what,
          AES_NAME(e->sha_narrow), AES_NAME(t->sha_narrow));
}

/* needs_of: the union of what eng's tables declare they need. */
static uint32_t needs_of(const struct engine_impl *e)
{
    uint32_t n = 0;
    if (e->aes) n |= e->aes->needs;
    if (e->sha) n |= e->sha->needs;
    if (e->aes_lanes) n |= e->aes_lanes->needs;
    if (e->aes_narrow) n |= e->aes_narrow->needs;
    if (e->sha_lanes) n |= e->sha_lanes->needs;
    if (e->sha_narrow) n |= e->sha_narrow->needs;
    return n;
}

static size_t tier_index(const char *name)
{
    for (size_t i = 0; i < T_N_TIERS; i++)
        if (strcmp(t_tiers[i].name, name) == 0)
            return i;
    return T_N_TIERS;
}

/* check_mask: e2e_engine_init(mask) picks the tier tiers.h gives for
 * cpu & mask; returns the index of the tier picked (T_N_TIERS if none). */
static size_t check_mask(const char *what, uint32_t mask, int print)
{
    e2e_engine eng;
    memset(&eng, 0, sizeof eng);
    e2e_status st = e2e_engine_init(&eng, mask);
    CHECK(st == E2E_OK, "%s: e2e_engine_init = %s", what, e2e_status_name(st));
    if (st != E2E_OK)
        return T_N_TIERS;
    uint32_t f = e2e_cpu_features() & mask;
    const struct t_tier *want = t_tier_for(f);
    check_tables(what, &eng, want);
    const struct engine_impl *e = e2e_engine_impl(&eng);
    if (e != NULL)
        CHECK((needs_of(e) & ~f) == 0, "%s: the tables of %s need 0x%x outside 0x%x", what,
              e2e_engine_name(&eng), needs_of(e) & ~f, f);
    if (print)
        printf("%-34s -> %-12s (want %s)\n", what, e2e_engine_name(&eng), want->name);
    return tier_index(e2e_engine_name(&eng));
}

static void check_tier_list(void)
{
    CHECK(strcmp(t_tiers[T_N_TIERS - 1].name, "portable") == 0 && t_tiers[T_N_TIERS - 1].needs == 0,
          "tiers.h: portable (needs 0) comes last");
    CHECK(e2e_aes_impl_portable.needs == 0 && e2e_sha_impl_portable.needs == 0,
          "portable tables need nothing");
    CHECK(strcmp(e2e_aes_impl_portable.name, "portable") == 0 &&
              strcmp(e2e_sha_impl_portable.name, "portable") == 0,
          "portable table names");
    for (size_t i = 0; i < T_N_TIERS; i++) {
        const struct t_tier *t = &t_tiers[i];
        uint32_t n = t->aes->needs | t->sha->needs;
        const struct e2e_aes_lane_impl *al[2] = {t->aes_lanes, t->aes_narrow};
        const struct e2e_sha_lane_impl *sl[2] = {t->sha_lanes, t->sha_narrow};
        for (int w = 0; w < 2; w++) {
            if (al[w] != NULL) {
                n |= al[w]->needs;
                CHECK(al[w]->lanes >= 2 && al[w]->lanes <= E2E_LANES_MAX && al[w]->cbcenc &&
                          al[w]->cbcmac && al[w]->expand_n && al[w]->name,
                      "%s: AES lane table %s: %u lanes or a NULL entry", t->name,
                      tname(al[w]->name), al[w]->lanes);
            }
            if (sl[w] != NULL) {
                n |= sl[w]->needs;
                CHECK(sl[w]->lanes >= 2 && sl[w]->lanes <= E2E_LANES_MAX && sl[w]->blocks &&
                          sl[w]->name,
                      "%s: SHA lane table %s: %u lanes or a NULL entry", t->name,
                      tname(sl[w]->name), sl[w]->lanes);
            }
        }
        if (t->aes_narrow)
            CHECK(t->aes_lanes && t->aes_narrow->lanes < t->aes_lanes->lanes,
                  "%s: narrow AES lanes without fewer lanes than the wide ones", t->name);
        if (t->sha_narrow)
            CHECK(t->sha_lanes && t->sha_narrow->lanes < t->sha_lanes->lanes,
                  "%s: narrow SHA lanes without fewer lanes than the wide ones", t->name);
        CHECK((n & ~t->needs) == 0, "%s: its tables need 0x%x beyond the tier's 0x%x", t->name,
              n & ~t->needs, t->needs);
        for (size_t j = 0; j < i; j++)
            CHECK(t_tiers[j].needs != t->needs, "%s and %s need the same bits", t_tiers[j].name,
                  t->name);
    }
#if defined(E2E_TEST_X86_SIMD)
    CHECK(strcmp(e2e_aes_impl_aesni.name, "aesni") == 0 && (e2e_aes_impl_aesni.needs & E2E_CPU_AESNI),
          "aesni table: name %s, needs 0x%x", e2e_aes_impl_aesni.name, e2e_aes_impl_aesni.needs);
    CHECK(strcmp(e2e_sha_impl_shani.name, "shani") == 0 && (e2e_sha_impl_shani.needs & E2E_CPU_SHANI),
          "shani table: name %s, needs 0x%x", e2e_sha_impl_shani.name, e2e_sha_impl_shani.needs);
    CHECK(e2e_aes_lane_impl_vaes512.lanes == 16 && (e2e_aes_lane_impl_vaes512.needs & E2E_CPU_VAES) &&
              (e2e_aes_lane_impl_vaes512.needs & E2E_CPU_AVX512),
          "vaes512 lanes: %u lanes, needs 0x%x", e2e_aes_lane_impl_vaes512.lanes,
          e2e_aes_lane_impl_vaes512.needs);
    CHECK(e2e_aes_lane_impl_aesni.lanes == 8 && (e2e_aes_lane_impl_aesni.needs & E2E_CPU_AESNI),
          "aesni lanes: %u lanes, needs 0x%x", e2e_aes_lane_impl_aesni.lanes,
          e2e_aes_lane_impl_aesni.needs);
    CHECK(e2e_sha_lane_impl_avx512.lanes == 16 && (e2e_sha_lane_impl_avx512.needs & E2E_CPU_AVX512),
          "avx512 SHA lanes: %u lanes, needs 0x%x", e2e_sha_lane_impl_avx512.lanes,
          e2e_sha_lane_impl_avx512.needs);
    CHECK(e2e_sha_lane_impl_avx2.lanes == 8 && (e2e_sha_lane_impl_avx2.needs & E2E_CPU_AVX2),
          "avx2 SHA lanes: %u lanes, needs 0x%x", e2e_sha_lane_impl_avx2.lanes,
          e2e_sha_lane_impl_avx2.needs);
    CHECK(e2e_sha_lane_impl_shani.lanes == 2 && (e2e_sha_lane_impl_shani.needs & E2E_CPU_SHANI),
          "shani SHA lanes: %u lanes, needs 0x%x", e2e_sha_lane_impl_shani.lanes,
          e2e_sha_lane_impl_shani.needs);
#endif
#if defined(E2E_TEST_ARM_CE)
    CHECK((e2e_aes_impl_armce.needs & E2E_CPU_ARM_AES) && (e2e_sha_impl_armce.needs & E2E_CPU_ARM_SHA2) &&
              (e2e_aes_lane_impl_armce.needs & E2E_CPU_ARM_AES) &&
              (e2e_sha_lane_impl_armce.needs & E2E_CPU_ARM_SHA2),
          "armce tables need the ARM AES / SHA-2 bits");
    /* the stitched CBC + HMAC runs AESE too: its table needs both */
    CHECK(e2e_sha_impl_armce.cbc_hmac == NULL &&
              (e2e_sha_impl_armce_aes.needs & (E2E_CPU_ARM_AES | E2E_CPU_ARM_SHA2)) ==
                  (E2E_CPU_ARM_AES | E2E_CPU_ARM_SHA2),
          "armce SHA tables: cbc_hmac only where ARM AES is needed too");
#endif
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

/* cpuid_vaes: VAES (CPUID.7.0:ECX[9]); the engine also wants AVX usable. */
static int cpuid_vaes(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    (void)a;
    (void)b;
    (void)d;
    return (int)((c >> 9) & 1);
}
#endif

static void check_cpu_probe(void)
{
    uint32_t f = e2e_cpu_features();
    printf("e2e_cpu_features() = 0x%08x: %s\n", f, t_features_str(f));
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
        {E2E_CPU_VAES, cpuid_vaes() && __builtin_cpu_supports("avx"), "vaes (CPUID.7.0:ECX[9]) with avx"},
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

static void check_masks(void)
{
    const struct {
        const char *what;
        uint32_t mask;
    } masks[] = {
        {"E2E_CPU_ALL", E2E_CPU_ALL},
        {"ALL & ~SHANI", E2E_CPU_ALL & ~E2E_CPU_SHANI},
        {"ALL & ~AVX512", E2E_CPU_ALL & ~E2E_CPU_AVX512},
        {"ALL & ~VAES", E2E_CPU_ALL & ~E2E_CPU_VAES},
        {"ALL & ~(VAES|SHANI)", E2E_CPU_ALL & ~(E2E_CPU_VAES | E2E_CPU_SHANI)},
        {"ALL & ~(AVX512|SHANI)", E2E_CPU_ALL & ~(E2E_CPU_AVX512 | E2E_CPU_SHANI)},
        {"ALL & ~(AVX2|AVX)", E2E_CPU_ALL & ~(E2E_CPU_AVX2 | E2E_CPU_AVX)},
        {"ALL & ~(AVX2|AVX|SHANI)", E2E_CPU_ALL & ~(E2E_CPU_AVX2 | E2E_CPU_AVX | E2E_CPU_SHANI)},
        {"ALL & ~AESNI", E2E_CPU_ALL & ~E2E_CPU_AESNI},
        {"ALL & ~(AESNI|SHANI)", E2E_CPU_ALL & ~(E2E_CPU_AESNI | E2E_CPU_SHANI)},
        {"ALL & ~ARM_AES", E2E_CPU_ALL & ~E2E_CPU_ARM_AES},
        {"ALL & ~ARM_SHA2", E2E_CPU_ALL & ~E2E_CPU_ARM_SHA2},
        {"ALL & ~(ARM_AES|ARM_SHA2)", E2E_CPU_ALL & ~(E2E_CPU_ARM_AES | E2E_CPU_ARM_SHA2)},
        {"0", 0},
    };
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++)
        check_mask(masks[i].what, masks[i].mask, 1);

    /* Every subset of the feature bits, alone and with every other bit set;
     * clearing one bit never moves to a faster (earlier) tier. */
    static const uint32_t bits[] = {E2E_CPU_SSSE3, E2E_CPU_SSE41, E2E_CPU_AESNI, E2E_CPU_PCLMUL,
                                    E2E_CPU_AVX,   E2E_CPU_AVX2,  E2E_CPU_AVX512, E2E_CPU_VAES,
                                    E2E_CPU_SHANI, E2E_CPU_ARM_AES, E2E_CPU_ARM_SHA2};
    const size_t nb = sizeof bits / sizeof bits[0];
    uint32_t known = 0;
    for (size_t b = 0; b < nb; b++)
        known |= bits[b];
    static size_t picked[1u << 11];
    unsigned long before = t_failed;
    for (uint32_t s = 0; s < (1u << nb); s++) {
        uint32_t mask = 0;
        for (size_t b = 0; b < nb; b++)
            if (s & (1u << b))
                mask |= bits[b];
        char what[64];
        snprintf(what, sizeof what, "mask 0x%08x", mask);
        picked[s] = check_mask(what, mask, 0);
        snprintf(what, sizeof what, "mask 0x%08x", mask | ~known);
        CHECK(check_mask(what, mask | ~known, 0) == picked[s],
              "mask 0x%08x: bits outside the known features change the tier", mask);
    }
    for (uint32_t s = 0; s < (1u << nb); s++)
        for (size_t b = 0; b < nb; b++)
            if (s & (1u << b))
                CHECK(picked[s & ~(1u << b)] >= picked[s],
                      "clearing bit 0x%x of subset %u gives a faster tier (%zu < %zu)", bits[b],
                      s, picked[s & ~(1u << b)], picked[s]);
    printf("%u masks (every subset of %zu feature bits): %s\n", 1u << nb, nb,
           t_failed == before ? "ok" : "FAILED");
}

static void check_names(void)
{
    uint32_t f = e2e_cpu_features();
    const char *const *names = e2e_impl_names();
    CHECK(names != NULL, "e2e_impl_names NULL");
    if (names == NULL)
        return;
    /* Exactly "best" and the tiers of tiers.h, each once. */
    size_t n = 0, best = 0;
    int seen[T_N_TIERS];
    memset(seen, 0, sizeof seen);
    for (; names[n] != NULL && n < 64; n++) {
        if (strcmp(names[n], "best") == 0) {
            best++;
            continue;
        }
        size_t ti = tier_index(names[n]);
        CHECK(ti < T_N_TIERS, "e2e_impl_names lists '%s', not a tier of this build", names[n]);
        if (ti < T_N_TIERS) {
            CHECK(!seen[ti], "e2e_impl_names lists '%s' twice", names[n]);
            seen[ti] = 1;
        }
    }
    CHECK(best == 1, "e2e_impl_names lists \"best\" %zu times", best);
    for (size_t i = 0; i < T_N_TIERS; i++)
        CHECK(seen[i], "e2e_impl_names lacks '%s'", t_tiers[i].name);
    CHECK(n == T_N_TIERS + 1, "e2e_impl_names has %zu names, want %zu", n, T_N_TIERS + 1);
    CHECK(e2e_impl_names() == names, "e2e_impl_names moves");

    /* init_named of every tier: that tier, or cpu_unsupported exactly when
     * the CPU lacks what it needs. */
    for (size_t i = 0; i < T_N_TIERS; i++) {
        const struct t_tier *t = &t_tiers[i];
        e2e_engine eng;
        memset(&eng, 0x5a, sizeof eng);
        e2e_status st = e2e_engine_init_named(&eng, t->name);
        char what[64];
        snprintf(what, sizeof what, "init_named(%s)", t->name);
        if ((t->needs & f) != t->needs) {
            CHECK(st == E2E_ERR_CPU, "%s on a CPU without 0x%x (%s): %s, want cpu_unsupported",
                  what, t->needs & ~f, t_features_str(t->needs & ~f), e2e_status_name(st));
            printf("%-34s -> SKIP (cpu lacks %s)\n", what, t_features_str(t->needs & ~f));
            continue;
        }
        CHECK(st == E2E_OK, "%s = %s", what, e2e_status_name(st));
        if (st != E2E_OK)
            continue;
        check_tables(what, &eng, t);
        printf("%-34s -> %s\n", what, e2e_engine_name(&eng));
    }
    /* "best" is init(E2E_CPU_ALL). */
    {
        e2e_engine eng;
        e2e_status st = e2e_engine_init_named(&eng, "best");
        CHECK(st == E2E_OK, "init_named(best) = %s", e2e_status_name(st));
        if (st == E2E_OK)
            check_tables("init_named(best)", &eng, t_tier_for(f));
        printf("%-34s -> %s\n", "init_named(best)", st == E2E_OK ? e2e_engine_name(&eng) : "-");
    }
    /* Names of the other architecture, and names that are no tier. */
    for (size_t i = 0; i < sizeof all_tier_names / sizeof all_tier_names[0]; i++) {
        if (t_tier_named(all_tier_names[i]) != NULL)
            continue;
        e2e_engine eng;
        e2e_status st = e2e_engine_init_named(&eng, all_tier_names[i]);
        CHECK(st == E2E_ERR_PARAM, "init_named(%s), not built here: %s, want bad_param",
              all_tier_names[i], e2e_status_name(st));
    }
    const char *bad[] = {"", "AESNI", "Portable", "aesni ", " aesni", "aesni+", "shani+aesni",
                         "vaes", "avx512+shani", "best ", "portable\n", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e2e_engine eng;
        memset(&eng, 0, sizeof eng);
        e2e_status st = e2e_engine_init_named(&eng, bad[i]);
        CHECK(st == E2E_ERR_PARAM, "init_named(\"%s\") = %s, want bad_param", bad[i],
              e2e_status_name(st));
        CHECK(e2e_engine_impl(&eng) == NULL, "init_named(\"%s\") failed but set up tables", bad[i]);
    }
}

int main(void)
{
    check_cpu_probe();
    printf("tiers this CPU runs:");
    for (size_t i = 0; i < T_N_TIERS; i++)
        if (t_tier_runs(&t_tiers[i]))
            printf(" %s", t_tiers[i].name);
    printf("\n");
    check_tier_list();
    check_masks();
    check_names();

    /* Bad calls. */
    e2e_engine eng;
    memset(&eng, 0, sizeof eng);
    CHECK(e2e_engine_impl(&eng) == NULL, "a zeroed engine has no tables");
    CHECK(strcmp(e2e_engine_name(&eng), "uninitialised") == 0, "a zeroed engine's name: %s",
          e2e_engine_name(&eng));
    CHECK(e2e_engine_init_named(&eng, NULL) == E2E_ERR_PARAM, "NULL name -> bad_param");
    CHECK(e2e_engine_init_named(NULL, "portable") == E2E_ERR_PARAM, "NULL engine (named)");
    CHECK(e2e_engine_init(NULL, E2E_CPU_ALL) == E2E_ERR_PARAM, "NULL engine");
    CHECK(e2e_engine_impl(NULL) == NULL, "e2e_engine_impl(NULL)");
    return t_summary();
}
