/* workload.c — build the benchmark workloads and check outputs against them.
 *
 * Implementation notes:
 *  - Key sets follow the shapes the seed documents and cli/gen.c produces:
 *    CCM (continuous rotation): 16-byte KI 11 01 00 00 || 12 random bytes,
 *    random 16-byte key, random 13-byte nonce, 16-byte tag (AES_128_CCM,
 *    MACLength 128) unless another CCM tag length is asked for.
 *    CS1+HMAC and HMAC-only (automatic rotation): 12-byte KIV 2a 00 00 04 ||
 *    8 random bytes, which is also the KI; 16-byte AuthenticationKey; AESIV
 *    = KIV || 00000000; 16-byte tag.
 *  - Every message has its own random plaintext; open and verify messages
 *    are real ones, sealed with e2ecrypt (e2e_seal). The seal workload's
 *    expected output is e2ecrypt's sealed message, so every peer that
 *    matches it also checks e2ecrypt's seal. Sigfox's expected output is
 *    computed here, not by e2ecrypt.
 *  - The random generator is splitmix64 seeded from (workload, size, batch):
 *    every run and every implementation sees the same bytes.
 *  - The outputs are poisoned (0xa5) before a checked call so a peer that
 *    writes nothing cannot pass on a previous implementation's output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

const size_t bench_sizes[] = {5, 16, 64, 256, 1024, 16384};
const size_t bench_n_sizes = sizeof bench_sizes / sizeof bench_sizes[0];
const size_t bench_batches[] = {1, 16, 256};
const size_t bench_n_batches = sizeof bench_batches / sizeof bench_batches[0];

static const char *const wl_names[BENCH_WL_COUNT] = {
    "open_ccm_newkey", "open_ccm", "open_cs1_hmac", "seal_cs1_hmac", "verify_hmac", "sigfox_xor",
};

const char *bench_wl_name(enum bench_wl wl)
{
    return (unsigned)wl < BENCH_WL_COUNT ? wl_names[wl] : "unknown";
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void rand_bytes(uint64_t *s, uint8_t *p, size_t n)
{
    while (n) {
        uint64_t r = splitmix64(s);
        size_t k = n < 8 ? n : 8;
        memcpy(p, &r, k);
        p += k;
        n -= k;
    }
}

static size_t round64(size_t x)
{
    return (x + 63) & ~(size_t)63;
}

static void make_keys(struct bench_keyset *k, enum bench_wl wl, size_t ccm_tag, uint64_t *s)
{
    memset(k, 0, sizeof *k);
    if (wl == BENCH_OPEN_CCM_NEWKEY || wl == BENCH_OPEN_CCM) {
        k->suite = BENCH_SUITE_CCM;
        rand_bytes(s, k->enc_key, 16);
        rand_bytes(s, k->iv, 13);
        k->iv_len = 13;
        k->ki[0] = 0x11;
        k->ki[1] = 0x01;
        rand_bytes(s, k->ki + 4, 12);
        k->ki_len = 16;
        k->tag_len = ccm_tag;
        return;
    }
    k->suite = wl == BENCH_VERIFY_HMAC ? BENCH_SUITE_HMAC : BENCH_SUITE_CS1_HMAC;
    k->kiv[0] = 0x2a;
    k->kiv[3] = 0x04;
    rand_bytes(s, k->kiv + 4, 8);
    k->kiv_len = 12;
    memcpy(k->ki, k->kiv, 12);
    k->ki_len = 12;
    rand_bytes(s, k->auth_key, 16);
    k->auth_key_len = 16;
    k->tag_len = 16;
    if (k->suite == BENCH_SUITE_CS1_HMAC) {
        rand_bytes(s, k->enc_key, 16);
        memcpy(k->iv, k->kiv, 12);
        k->iv_len = 16;
    }
}

static e2e_status keyset_of(e2e_keyset *ks, const e2e_engine *eng, const struct bench_keyset *k)
{
    e2e_keyset_params p;
    memset(&p, 0, sizeof p);
    p.suite = (e2e_suite)k->suite;
    if (k->suite != BENCH_SUITE_HMAC) {
        p.enc_key = k->enc_key;
        p.enc_key_len = 16;
        p.iv = k->iv;
        p.iv_len = k->iv_len;
    }
    if (k->auth_key_len) {
        p.auth_key = k->auth_key;
        p.auth_key_len = k->auth_key_len;
        p.kiv = k->kiv;
        p.kiv_len = k->kiv_len;
    }
    p.ki = k->ki;
    p.ki_len = k->ki_len;
    p.tag_len = k->tag_len;
    return e2e_keyset_init(ks, eng, &p);
}

void bench_workload_free(struct bench_workload *w)
{
    if (w == NULL)
        return;
    free((void *)w->b.keys);
    free(w->in);
    free(w->in_len);
    free((void *)w->b.out);
    free(w->b.out_len);
    free(w->expect);
    free(w->expect_len);
    free(w->arena);
    free(w);
}

struct bench_workload *bench_workload_new(enum bench_wl wl, size_t size, size_t n,
                                          const e2e_engine *eng, size_t ccm_tag,
                                          char *err, size_t err_len)
{
    if ((unsigned)wl >= BENCH_WL_COUNT || n == 0 || eng == NULL ||
        (wl == BENCH_SIGFOX_XOR && size > BENCH_SIGFOX_FRAME)) {
        snprintf(err, err_len, "bad workload parameters");
        return NULL;
    }
    struct bench_workload *w = calloc(1, sizeof *w);
    if (w == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    uint64_t seed = 0x65326563727970u ^ ((uint64_t)wl << 56) ^ ((uint64_t)size << 20) ^ n;
    size_t n_keys = wl == BENCH_OPEN_CCM_NEWKEY ? n : 1;
    /* Open: in = KI + P + tag <= size + 48; seal: out the same; both fit in
     * size + 64 with the last CBC block padded in place. */
    size_t cap = size + 64;
    size_t in_stride = round64(cap), exp_stride = round64(cap);
    size_t out_stride = round64(BENCH_HEADROOM + cap + BENCH_TAILROOM);
    size_t total = n * (in_stride + exp_stride + out_stride) + 64; /* + the XOR key */

    struct bench_keyset *keys = calloc(n_keys, sizeof *keys);
    uint8_t **out = calloc(n, sizeof *out);
    w->in = calloc(n, sizeof *w->in);
    w->in_len = calloc(n, sizeof *w->in_len);
    w->b.out_len = calloc(n, sizeof *w->b.out_len);
    w->expect = calloc(n, sizeof *w->expect);
    w->expect_len = calloc(n, sizeof *w->expect_len);
    w->arena = aligned_alloc(64, round64(total));
    w->b.keys = keys;
    w->b.out = out;
    e2e_keyset *ks = aligned_alloc(64, sizeof *ks);
    if (!keys || !out || !w->in || !w->in_len || !w->b.out_len || !w->expect ||
        !w->expect_len || !w->arena || !ks) {
        snprintf(err, err_len, "out of memory");
        goto fail;
    }
    memset(w->arena, 0, round64(total));
    for (size_t i = 0; i < n_keys; i++)
        make_keys(&keys[i], wl, ccm_tag, &seed);

    unsigned char *p = w->arena;
    for (size_t i = 0; i < n; i++) {
        w->in[i] = p;
        p += in_stride;
        w->expect[i] = p;
        p += exp_stride;
        out[i] = p + BENCH_HEADROOM;
        p += out_stride;
    }
    w->b.wl = wl;
    w->b.n = n;
    w->b.size = size;
    w->b.n_keys = n_keys;
    w->b.in = w->in;
    w->b.in_len = w->in_len;
    w->b.out_cap = cap;
    w->b.eng = eng;

    if (wl == BENCH_SIGFOX_XOR) {
        uint8_t *xor_key = p; /* 96 bits, in the arena */
        const size_t key_len = 12;
        rand_bytes(&seed, xor_key, key_len);
        w->b.xor_key = xor_key;
        w->b.xor_key_len = key_len;
        for (size_t i = 0; i < n; i++) {
            uint8_t *in = (uint8_t *)w->in[i];
            rand_bytes(&seed, in, size);
            w->in_len[i] = size;
            for (size_t j = 0; j < size; j++)
                w->expect[i][j] = in[j] ^ xor_key[key_len - size + j];
            w->expect_len[i] = size;
        }
        free(ks);
        return w;
    }

    for (size_t i = 0; i < n; i++) {
        size_t len;
        const struct bench_keyset *k = &keys[wl == BENCH_OPEN_CCM_NEWKEY ? i : 0];
        e2e_status st = keyset_of(ks, eng, k);
        if (st != E2E_OK) {
            snprintf(err, err_len, "e2e_keyset_init: %s", e2e_status_name(st));
            goto fail;
        }
        if (wl == BENCH_SEAL_CS1_HMAC) {
            uint8_t *in = (uint8_t *)w->in[i];
            rand_bytes(&seed, in, size);
            w->in_len[i] = size;
            st = e2e_seal(eng, ks, w->expect[i], cap, &len, in, size);
            w->expect_len[i] = len;
        } else {
            rand_bytes(&seed, w->expect[i], size);
            w->expect_len[i] = size;
            st = e2e_seal(eng, ks, (uint8_t *)w->in[i], cap, &len, w->expect[i], size);
            w->in_len[i] = len;
        }
        if (st != E2E_OK) {
            snprintf(err, err_len, "e2e_seal: %s", e2e_status_name(st));
            goto fail;
        }
    }
    if (wl != BENCH_SEAL_CS1_HMAC)
        w->tampered_len = w->in_len[0];
    e2e_keyset_clear(ks);
    free(ks);
    return w;
fail:
    free(ks);
    bench_workload_free(w);
    return NULL;
}

static void poison(struct bench_workload *w)
{
    for (size_t i = 0; i < w->b.n; i++) {
        memset(w->b.out[i], 0xa5, w->b.out_cap);
        w->b.out_len[i] = (size_t)-1;
    }
}

static int check_from(const struct bench_workload *w, size_t first, char *err, size_t err_len)
{
    for (size_t i = first; i < w->b.n; i++) {
        if (w->b.out_len[i] != w->expect_len[i]) {
            snprintf(err, err_len, "message %zu: output length %zu, expected %zu", i,
                     w->b.out_len[i], w->expect_len[i]);
            return 0;
        }
        if (memcmp(w->b.out[i], w->expect[i], w->expect_len[i]) != 0) {
            size_t j = 0;
            while (w->b.out[i][j] == w->expect[i][j])
                j++;
            snprintf(err, err_len, "message %zu: output differs at byte %zu of %zu", i, j,
                     w->expect_len[i]);
            return 0;
        }
    }
    return 1;
}

int bench_workload_check(const struct bench_workload *w, size_t ok, char *err, size_t err_len)
{
    if (ok != w->b.n) {
        snprintf(err, err_len, "%zu of %zu messages accepted", ok, w->b.n);
        return 0;
    }
    return check_from(w, 0, err, err_len);
}

int bench_workload_verify(struct bench_workload *w, const struct bench_impl *impl, void *ctx,
                          char *err, size_t err_len)
{
    bench_op op = bench_impl_op(impl, w->b.wl);
    if (op == NULL) {
        snprintf(err, err_len, "%s has no %s", impl->name, bench_wl_name(w->b.wl));
        return 0;
    }
    char why[200];
    poison(w);
    size_t ok = op(ctx, &w->b);
    if (!bench_workload_check(w, ok, why, sizeof why)) {
        snprintf(err, err_len, "%s output differs from the expected one: %s", impl->name, why);
        return 0;
    }
    if (w->tampered_len == 0)
        return 1;
    /* Message 0 tampered in place (implementations may keep the message
     * pointers from prepare): it alone must be rejected, no plaintext left. */
    uint8_t *last = (uint8_t *)w->in[0] + w->in_len[0] - 1;
    *last ^= 1;
    poison(w);
    ok = op(ctx, &w->b);
    *last ^= 1;
    if (ok != w->b.n - 1 || w->b.out_len[0] != 0) {
        snprintf(err, err_len, "%s accepted a tampered message (%zu of %zu accepted, length %zu)",
                 impl->name, ok, w->b.n, w->b.out_len[0]);
        return 0;
    }
    if (w->expect_len[0] >= 4 && memcmp(w->b.out[0], w->expect[0], w->expect_len[0]) == 0) {
        snprintf(err, err_len, "%s left the plaintext of a rejected message in its output",
                 impl->name);
        return 0;
    }
    if (!check_from(w, 1, why, sizeof why)) {
        snprintf(err, err_len, "%s, batch with one tampered message: %s", impl->name, why);
        return 0;
    }
    return 1;
}
