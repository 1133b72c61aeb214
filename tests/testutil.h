/* testutil.h — the small harness every test in tests/ shares.
 *
 *   CHECK(cond, fmt, ...)   counts a pass or a failure; a failure prints the
 *                           location and the message (the first 100 in full).
 *   t_summary()             prints "N passed, N failed" as the last line and
 *                           returns the process exit code (non-zero on any
 *                           failure).
 *   rng_*                   a seeded xoshiro256** generator; the seed comes
 *                           from E2E_TEST_SEED when set, else from the clock,
 *                           and is always printed so a failure can be re-run.
 *   engines_*               every implementation e2e_impl_names() lists that
 *                           this CPU can run; the others print SKIP <name> (cpu).
 *   sweep_max()             the top of the exhaustive length / batch-size
 *                           sweeps (E2E_SWEEP_MAX, default 300).
 *
 * Header-only (static functions) so each test is one C file plus vecread.c. */
#ifndef E2E_TESTS_TESTUTIL_H
#define E2E_TESTS_TESTUTIL_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#if defined(__GNUC__)
#define T_UNUSED __attribute__((unused))
#else
#define T_UNUSED
#endif

static unsigned long t_passed, t_failed;

static T_UNUSED void t_fail_at(const char *file, int line, const char *fmt, ...)
{
    t_failed++;
    if (t_failed > 100) {
        if (t_failed == 101)
            fprintf(stderr, "... further failures not printed\n");
        return;
    }
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (cond)                                          \
            t_passed++;                                    \
        else                                               \
            t_fail_at(__FILE__, __LINE__, __VA_ARGS__);    \
    } while (0)

static T_UNUSED int t_summary(void)
{
    fflush(stderr);
    printf("%lu passed, %lu failed\n", t_passed, t_failed);
    fflush(stdout);
    return t_failed ? 1 : 0;
}

/* ---------------------------------------------------------------- bytes */

static T_UNUSED int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static T_UNUSED int all_byte(const uint8_t *p, size_t n, uint8_t b)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != b)
            return 0;
    return 1;
}

/* hexstr formats up to 48 bytes of p into one of four static buffers (for
 * failure messages). */
static T_UNUSED const char *hexstr(const uint8_t *p, size_t n)
{
    static char bufs[4][2 * 48 + 8];
    static unsigned which;
    char *b = bufs[which++ & 3];
    size_t m = n > 48 ? 48 : n, o = 0;
    for (size_t i = 0; i < m; i++)
        o += (size_t)snprintf(b + o, sizeof bufs[0] - o, "%02x", p[i]);
    if (m < n)
        snprintf(b + o, sizeof bufs[0] - o, "...");
    b[o + (m < n ? 3 : 0)] = '\0';
    return b;
}

/* xmalloc never returns NULL (aborts instead) and never returns NULL for 0. */
static T_UNUSED void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

/* ---------------------------------------------------------------- rng */

static uint64_t rng_s[4];

static T_UNUSED uint64_t rng_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static T_UNUSED void rng_seed(uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng_s[i] = rng_splitmix(&x);
}

static T_UNUSED uint64_t rng_u64(void)
{
    uint64_t *s = rng_s;
    uint64_t r = s[1] * 5;
    r = ((r << 7) | (r >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return r;
}

/* rng_below returns a value in [0, n) (n > 0). */
static T_UNUSED size_t rng_below(size_t n)
{
    return (size_t)(rng_u64() % n);
}

/* rng_range returns a value in [lo, hi]. */
static T_UNUSED size_t rng_range(size_t lo, size_t hi)
{
    return lo + rng_below(hi - lo + 1);
}

static T_UNUSED void rng_fill(uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint64_t r = rng_u64();
        memcpy(p, &r, 8);
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t r = rng_u64();
        memcpy(p, &r, n);
    }
}

/* rng_init seeds from E2E_TEST_SEED (decimal or 0x hex) or the clock and
 * prints the seed. Returns it. */
static T_UNUSED uint64_t rng_init(const char *test)
{
    uint64_t seed;
    const char *e = getenv("E2E_TEST_SEED");
    if (e != NULL && *e)
        seed = strtoull(e, NULL, 0);
    else
        seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)clock();
    printf("%s: seed 0x%016" PRIx64 " (re-run with E2E_TEST_SEED=0x%016" PRIx64 ")\n", test,
           seed, seed);
    rng_seed(seed);
    return seed;
}

/* env_ulong reads a decimal environment variable, or def. */
static T_UNUSED unsigned long env_ulong(const char *name, unsigned long def)
{
    const char *e = getenv(name);
    if (e == NULL || *e == '\0')
        return def;
    return strtoul(e, NULL, 10);
}

/* sweep_max is the top of the exhaustive sweeps: every plaintext length
 * 0..sweep_max() in the differential tests and test_lanes' job pool, batch
 * sizes up to it in test_batch and test_lanes. E2E_SWEEP_MAX (environment),
 * default and at most 300, at least 17; tests/ct/memcheck.py lowers it so the
 * suite runs under valgrind in minutes. */
static T_UNUSED size_t sweep_max(void)
{
    size_t m = env_ulong("E2E_SWEEP_MAX", 300);
    return m < 17 ? 17 : m > 300 ? 300 : m;
}

/* ---------------------------------------------------------------- engines */

#define T_MAX_ENGINES 16

struct t_engine {
    const char *name;   /* the name passed to e2e_engine_init_named */
    e2e_engine eng;
};

static struct t_engine t_engines[T_MAX_ENGINES];
static size_t t_n_engines;

/* engines_init initialises every implementation this CPU can run, printing
 * SKIP <name> (cpu) for the others. Any status other than OK or CPU is a
 * failure. Returns the number of runnable engines. */
static T_UNUSED size_t engines_init(void)
{
    const char *const *names = e2e_impl_names();
    CHECK(names != NULL, "e2e_impl_names() returned NULL");
    t_n_engines = 0;
    for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
        if (t_n_engines == T_MAX_ENGINES) {
            CHECK(0, "more than %d implementations", T_MAX_ENGINES);
            break;
        }
        struct t_engine *te = &t_engines[t_n_engines];
        memset(&te->eng, 0, sizeof te->eng);
        e2e_status st = e2e_engine_init_named(&te->eng, names[i]);
        if (st == E2E_ERR_CPU) {
            printf("SKIP %s (cpu)\n", names[i]);
            continue;
        }
        CHECK(st == E2E_OK, "e2e_engine_init_named(%s) = %s", names[i], e2e_status_name(st));
        if (st != E2E_OK)
            continue;
        CHECK(e2e_engine_impl(&te->eng) != NULL, "%s: e2e_engine_impl NULL", names[i]);
        if (e2e_engine_impl(&te->eng) == NULL)
            continue;
        te->name = names[i];
        printf("RUN  %s (%s)\n", names[i], e2e_engine_name(&te->eng));
        t_n_engines++;
    }
    CHECK(t_n_engines > 0, "no runnable implementation");
    fflush(stdout);
    return t_n_engines;
}

/* engine_named returns the initialised engine of that name, or NULL. */
static T_UNUSED const e2e_engine *engine_named(const char *name)
{
    for (size_t i = 0; i < t_n_engines; i++)
        if (strcmp(t_engines[i].name, name) == 0)
            return &t_engines[i].eng;
    return NULL;
}

#endif /* E2E_TESTS_TESTUTIL_H */
