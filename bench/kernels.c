/* kernels.c — e2e_kernels: the throughput of each kernel family this CPU can
 * run, in isolation (no scheduler, no peers), in TSC ticks.
 *
 *   e2e_kernels [KIB]   KIB KiB per lane (default 16)
 *
 * Every lane gets its own buffer of KIB KiB (warm in cache after the first
 * repetition); each figure is the best of 30 repetitions, reported per
 * 64-byte block per lane (SHA-256) or per byte over all lanes (AES), the
 * units README.md quotes. The single-message AES tables' CBC decryption and
 * CTR are timed per byte over KIB KiB cut into messages of 32 B, 64 B,
 * 1 KiB and KIB KiB, one call per message. It reaches the tables through
 * the engine's private headers, as the tests do; e2ecrypt_bench measures
 * the whole engine against the peers. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime off x86 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#define TICKS() __rdtsc()
#else
#include <time.h>
static unsigned long long ticks_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}
#define TICKS() ticks_ns()
#endif

#include "internal.h"

#define REPS 30

static uint8_t *lane_buf[E2E_LANES_MAX];

static unsigned long long best_of(void (*fn)(void *, size_t), void *arg, size_t nblk)
{
    unsigned long long best = ~0ull;
    for (int r = 0; r < REPS; r++) {
        unsigned long long t0 = TICKS();
        fn(arg, nblk);
        unsigned long long t = TICKS() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

/* ---------------------------------------------------------------- SHA */

static const struct e2e_sha_lane_impl *cur_sha;
static struct e2e_sha_lanes sha_l;

static void run_sha_lanes(void *arg, size_t nblk)
{
    (void)arg;
    for (unsigned i = 0; i < cur_sha->lanes; i++)
        sha_l.data[i] = lane_buf[i];
    cur_sha->blocks(&sha_l, nblk);
}

static const struct e2e_sha_impl *cur_sha1;

static void run_sha1(void *arg, size_t nblk)
{
    uint32_t *h = arg;
    cur_sha1->blocks(h, lane_buf[0], nblk);
}

/* ---------------------------------------------------------------- AES */

static const struct e2e_aes_lane_impl *cur_aes;
static struct e2e_aes_lanes aes_l;

static void set_aes_ptrs(void)
{
    for (unsigned i = 0; i < cur_aes->lanes; i++) {
        aes_l.in[i] = lane_buf[i];
        aes_l.out[i] = lane_buf[i];
    }
}

static void run_cbcmac(void *arg, size_t nblk)
{
    (void)arg;
    set_aes_ptrs();
    cur_aes->cbcmac(&aes_l, nblk);
}

static void run_cbcenc(void *arg, size_t nblk)
{
    (void)arg;
    set_aes_ptrs();
    cur_aes->cbcenc(&aes_l, nblk);
}

static void run_ctr(void *arg, size_t nblk)
{
    (void)arg;
    set_aes_ptrs();
    cur_aes->ctr(&aes_l, nblk);
}

static const uint8_t zero16[16];

static void run_ccm(void *arg, size_t nblk)
{
    (void)arg;
    set_aes_ptrs();
    for (unsigned i = 0; i < cur_aes->lanes; i++) {
        memset(aes_l.sel[i], 0xff, 16);  /* open: MAC the CTR output */
        aes_l.mx[i] = zero16;
    }
    cur_aes->ccm(&aes_l, nblk);
}

static void run_expand8(void *arg, size_t n)
{
    static e2e_aes_key keys[8];
    e2e_aes_key *k[8];
    const uint8_t *raw[8];
    (void)arg;
    for (size_t r = 0; r < n; r++) {
        for (int i = 0; i < 8; i++) {
            k[i] = &keys[i];
            raw[i] = lane_buf[0] + 16 * i;
        }
        cur_aes->expand_n(k, raw, 8);
    }
}

/* ---------------------------------------------------------------- AES, one message */

static const struct e2e_aes_impl *cur_aes1;
static e2e_aes_key aes1_key;
static int aes1_ctr;     /* 0: cbc_dec, 1: ctr32 */
static size_t aes1_total; /* bytes per repetition */

/* run_aes1 runs one message's cbc_dec or ctr32 on each msg-byte slice of
 * lane 0's buffer in turn (out of place, into lane 1's): independent
 * messages back to back, as the batch scheduler's per-message CS1
 * decryption and CTR run them. */
static void run_aes1(void *arg, size_t msg)
{
    uint8_t iv[16] = {0};
    (void)arg;
    for (size_t off = 0; off + msg <= aes1_total; off += msg) {
        if (aes1_ctr)
            cur_aes1->ctr32(&aes1_key, iv, lane_buf[1] + off, lane_buf[0] + off, msg);
        else
            cur_aes1->cbc_dec(&aes1_key, iv, lane_buf[1] + off, lane_buf[0] + off, msg / 16);
    }
}

/* aes1_row prints a table's cbc_dec and ctr32 per byte at 32 B, 64 B, 1 KiB
 * and bytes per message. */
static void aes1_row(const struct e2e_aes_impl *a, size_t bytes)
{
    const size_t msgs[4] = {32, 64, 1024, bytes};
    uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    cur_aes1 = a;
    a->expand(&aes1_key, key);
    aes1_total = bytes;
    for (aes1_ctr = 0; aes1_ctr < 2; aes1_ctr++) {
        printf("  %-12s AES, one message: %-7s", a->name, aes1_ctr ? "CTR" : "CBC-dec");
        for (int i = 0; i < 4; i++) {
            double per = (double)best_of(run_aes1, NULL, msgs[i]) / (double)bytes;
            if (msgs[i] >= 1024)
                printf("  %3zu KiB %6.3f", msgs[i] / 1024, per);
            else
                printf("  %3zu B %6.3f", msgs[i], per);
        }
        printf(" per byte\n");
    }
}

int main(int argc, char **argv)
{
    size_t kib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 16;
    if (kib == 0 || kib > 4096) {
        fprintf(stderr, "usage: e2e_kernels [KIB per lane, 1..4096]\n");
        return 2;
    }
    size_t bytes = kib * 1024;
    for (unsigned i = 0; i < E2E_LANES_MAX; i++) {
        lane_buf[i] = aligned_alloc(64, bytes);
        if (lane_buf[i] == NULL)
            return 1;
        memset(lane_buf[i], (int)(i + 1), bytes);
    }
    printf("e2e_kernels: %zu KiB per lane, best of %d, %s\n", kib, REPS,
#if defined(__x86_64__)
           "TSC ticks"
#else
           "nanoseconds"
#endif
    );
    const char *const *names = e2e_impl_names();
    const void *seen[64];
    size_t nseen = 0;
    for (size_t t = 1; names[t] != NULL; t++) {  /* names[0] is "best" */
        e2e_engine eng;
        if (e2e_engine_init_named(&eng, names[t]) != E2E_OK)
            continue;
        const struct engine_impl *impl = e2e_engine_impl(&eng);
        int aes1_new = nseen < 64;
        for (size_t q = 0; q < nseen && aes1_new; q++)
            aes1_new = seen[q] != (const void *)impl->aes;
        if (aes1_new) {
            seen[nseen++] = impl->aes;
            aes1_row(impl->aes, bytes);
        }
        const void *fams[] = {impl->sha, impl->sha_lanes, impl->sha_narrow, impl->aes_lanes,
                              impl->aes_narrow};
        for (size_t f = 0; f < sizeof fams / sizeof fams[0]; f++) {
            const void *fam = fams[f];
            int dup = fam == NULL;
            for (size_t q = 0; q < nseen && !dup; q++)
                dup = seen[q] == fam;
            if (dup || nseen == 64)
                continue;
            seen[nseen++] = fam;
            size_t nblk = bytes / 64;
            if (f == 0) {
                uint32_t h[8] = {0};
                cur_sha1 = impl->sha;
                unsigned long long tk = best_of(run_sha1, h, nblk);
                printf("  %-12s SHA-256, one stream   %7.1f per block  %6.3f per byte\n",
                       impl->sha->name, (double)tk / nblk, (double)tk / bytes);
            } else if (f <= 2) {
                cur_sha = fam;
                unsigned long long tk = best_of(run_sha_lanes, NULL, nblk);
                double per = (double)tk / ((double)nblk * cur_sha->lanes);
                printf("  %-12s SHA-256, %2u lanes     %7.1f per block  %6.3f per byte\n",
                       cur_sha->name, cur_sha->lanes, per, per / 64);
            } else {
                cur_aes = fam;
                size_t ab = bytes / 16;
                double all = (double)bytes * cur_aes->lanes;
                unsigned long long mac = best_of(run_cbcmac, NULL, ab);
                unsigned long long enc = best_of(run_cbcenc, NULL, ab);
                printf("  %-12s AES, %2u lanes: CBC-MAC %6.3f  CBC-enc %6.3f", cur_aes->name,
                       cur_aes->lanes, mac / all, enc / all);
                if (cur_aes->ctr != NULL)
                    printf("  CTR %6.3f", best_of(run_ctr, NULL, ab) / all);
                if (cur_aes->ccm != NULL)
                    printf("  CCM (CTR + CBC-MAC) %6.3f", best_of(run_ccm, NULL, ab) / all);
                printf(" per byte");
                if (cur_aes->expand_n != NULL)
                    printf("; expand_n %5.1f per key", best_of(run_expand8, NULL, 16) / 128.0);
                printf("\n");
            }
        }
    }
    for (unsigned i = 0; i < E2E_LANES_MAX; i++)
        free(lane_buf[i]);
    return 0;
}
