/* test_diff_boringssl.c — every implementation this CPU can run against
 * BoringSSL (Debian's android-libboringssl), on random keys and every length
 * 0..300 (E2E_SWEEP_MAX) plus random lengths up to 64 KiB
 * (E2E_DIFF_RANDOM_LENGTHS):
 *
 *   AES blocks   impl->ecb_enc / ecb_dec          vs AES_encrypt / AES_decrypt
 *   CBC          impl->cbc_enc / cbc_dec (+ iv)   vs AES_cbc_encrypt
 *   CTR, CBC-MAC impl->ctr32 / cbcmac             vs AES_encrypt (32-bit counter)
 *   SHA-256      e2e_sha256 and streaming         vs SHA256
 *   HMAC         e2e_hmac_sha256 (any key length) vs HMAC(EVP_sha256())
 *   CCM          e2e_ccm_seal / e2e_ccm_open      vs EVP_aead_aes_128_ccm_bluetooth
 *                (13-byte nonce, tag 4) and _bluetooth_8 (tag 8), with AAD
 *   CS1          e2e_cs1_encrypt / decrypt        vs BoringSSL CBC on whole blocks
 *                                                   plus the stealing steps here
 *   wire formats every suite through e2e_seal / e2e_open (diffcore.h), the
 *                CCM ones vs the bluetooth AEADs, HMAC vs HMAC(), bit flips.
 * Seeded: the seed is printed; E2E_TEST_SEED repeats a run.
 * <openssl/...> here is BoringSSL's (include path /usr/include/android). */
#include <openssl/aead.h>
#include <openssl/aes.h>
#include <openssl/base.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "diffcore.h"

#if !defined(OPENSSL_IS_BORINGSSL)
#error "test_diff_boringssl must see BoringSSL's headers (add /usr/include/android first)"
#endif

/* ---------------------------------------------------------------- oracles */

static void oracle_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len,
                               const uint8_t *msg, size_t len)
{
    unsigned ol = 0;
    static const uint8_t empty[1];
    HMAC(EVP_sha256(), key_len ? key : empty, key_len, len ? msg : empty, len, out, &ol);
    CHECK(ol == 32, "HMAC() output length %u", ol);
}

/* CS1 from BoringSSL CBC: encrypt the zero-padded input, then keep
 * C1..C(n-2) || MSB_d(C(n-1)) || Cn (SP 800-38A addendum, CS1). */
static void oracle_cs1_encrypt(uint8_t *out, const uint8_t key[16], const uint8_t iv[16],
                               const uint8_t *in, size_t len)
{
    AES_KEY k;
    AES_set_encrypt_key(key, 128, &k);
    size_t d = len % 16, m = (len + 15) / 16 * 16;
    uint8_t *pad = xmalloc(m), *ct = xmalloc(m), v[16];
    memset(pad, 0, m);
    memcpy(pad, in, len);
    memcpy(v, iv, 16);
    AES_cbc_encrypt(pad, ct, m, &k, v, AES_ENCRYPT);
    if (d == 0) {
        memcpy(out, ct, len);
    } else {
        memcpy(out, ct, m - 32);
        memcpy(out + m - 32, ct + m - 32, d);
        memcpy(out + m - 32 + d, ct + m - 16, 16);
    }
    free(pad);
    free(ct);
}

static int oracle_ccm_seal(uint8_t *out, const uint8_t key[16], const uint8_t *nonce,
                           size_t nonce_len, size_t tag_len, const uint8_t *aad, size_t aad_len,
                           const uint8_t *pt, size_t pt_len)
{
    const EVP_AEAD *a = tag_len == 4   ? EVP_aead_aes_128_ccm_bluetooth()
                        : tag_len == 8 ? EVP_aead_aes_128_ccm_bluetooth_8()
                                       : NULL;
    if (a == NULL || nonce_len != 13 || pt_len > 0xffff)
        return 0;
    EVP_AEAD_CTX ctx;
    if (!EVP_AEAD_CTX_init(&ctx, a, key, 16, tag_len, NULL)) {
        CHECK(0, "EVP_AEAD_CTX_init");
        return 0;
    }
    size_t ol = 0;
    static const uint8_t empty[1];
    int ok = EVP_AEAD_CTX_seal(&ctx, out, &ol, pt_len + tag_len, nonce, nonce_len,
                               pt_len ? pt : empty, pt_len, aad_len ? aad : empty, aad_len);
    EVP_AEAD_CTX_cleanup(&ctx);
    CHECK(ok && ol == pt_len + tag_len, "BoringSSL CCM seal failed (len %zu)", pt_len);
    return ok;
}

/* ---------------------------------------------------------------- primitives */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void diff_aes(const struct t_engine *te, size_t len)
{
    const struct e2e_aes_impl *aes = e2e_engine_impl(&te->eng)->aes;
    uint8_t key[16], iv[16], v[16], w[16];
    rng_fill(key, 16);
    rng_fill(iv, 16);
    AES_KEY ek, dk;
    AES_set_encrypt_key(key, 128, &ek);
    AES_set_decrypt_key(key, 128, &dk);
    e2e_aes_key k;
    e2e_aes128_key_init(&te->eng, &k, key);

    size_t nb = len / 16, n = nb * 16;
    uint8_t *in = xmalloc(len), *ref = xmalloc(len), *got = xmalloc(len + 16);
    rng_fill(in, len);

    /* ECB both ways. */
    for (size_t b = 0; b < nb; b++)
        AES_encrypt(in + 16 * b, ref + 16 * b, &ek);
    aes->ecb_enc(&k, got, in, nb);
    CHECK(memcmp(got, ref, n) == 0, "[%s] ecb_enc %zu blocks", te->name, nb);
    for (size_t b = 0; b < nb; b++)
        AES_decrypt(in + 16 * b, ref + 16 * b, &dk);
    aes->ecb_dec(&k, got, in, nb);
    CHECK(memcmp(got, ref, n) == 0, "[%s] ecb_dec %zu blocks", te->name, nb);

    /* CBC both ways, with the chaining value returned. */
    memcpy(v, iv, 16);
    AES_cbc_encrypt(in, ref, n, &ek, v, AES_ENCRYPT);
    memcpy(w, iv, 16);
    aes->cbc_enc(&k, w, got, in, nb);
    CHECK(memcmp(got, ref, n) == 0 && memcmp(v, w, 16) == 0, "[%s] cbc_enc %zu blocks",
          te->name, nb);
    memcpy(v, iv, 16);
    AES_cbc_encrypt(in, ref, n, &dk, v, AES_DECRYPT);
    memcpy(w, iv, 16);
    aes->cbc_dec(&k, w, got, in, nb);
    CHECK(memcmp(got, ref, n) == 0 && memcmp(v, w, 16) == 0, "[%s] cbc_dec %zu blocks",
          te->name, nb);
    /* In place (the engine's open decrypts over the message). */
    memcpy(got, in, n);
    memcpy(w, iv, 16);
    aes->cbc_dec(&k, w, got, got, nb);
    CHECK(memcmp(got, ref, n) == 0, "[%s] cbc_dec in place %zu blocks", te->name, nb);

    /* CBC-MAC. */
    memcpy(v, iv, 16);
    for (size_t b = 0; b < nb; b++) {
        for (int i = 0; i < 16; i++)
            v[i] ^= in[16 * b + i];
        AES_encrypt(v, v, &ek);
    }
    memcpy(w, iv, 16);
    aes->cbcmac(&k, w, in, nb);
    CHECK(memcmp(v, w, 16) == 0, "[%s] cbcmac %zu blocks", te->name, nb);

    /* CTR with a 32-bit big-endian counter, sometimes about to wrap. */
    uint8_t ctr[16], c2[16], ks[16];
    rng_fill(ctr, 16);
    if (rng_below(2))
        put_be32(ctr + 12, 0xffffffffu - (uint32_t)rng_below(8));
    memcpy(c2, ctr, 16);
    for (size_t off = 0; off < len; off += 16) {
        AES_encrypt(c2, ks, &ek);
        for (size_t i = 0; i < 16 && off + i < len; i++)
            ref[off + i] = in[off + i] ^ ks[i];
        put_be32(c2 + 12, get_be32(c2 + 12) + 1);
    }
    memcpy(w, ctr, 16);
    aes->ctr32(&k, w, got, in, len);
    CHECK(memcmp(got, ref, len) == 0, "[%s] ctr32 %zu bytes (counter %08x)", te->name, len,
          get_be32(ctr + 12));
    CHECK(memcmp(w, c2, 16) == 0, "[%s] ctr32 %zu bytes: next counter", te->name, len);
    free(in);
    free(ref);
    free(got);
}

static void diff_sha_hmac(const struct t_engine *te, size_t len)
{
    uint8_t *m = xmalloc(len), a[32], b[32];
    rng_fill(m, len);
    static const uint8_t empty[1];
    SHA256(len ? m : empty, len, a);
    e2e_sha256(&te->eng, b, m, len);
    CHECK(memcmp(a, b, 32) == 0, "[%s] sha256 %zu bytes", te->name, len);
    /* Streaming in random pieces. */
    e2e_sha256_ctx c;
    e2e_sha256_init(&c, &te->eng);
    for (size_t off = 0; off < len;) {
        size_t n = rng_range(0, len - off < 200 ? len - off : 200);
        e2e_sha256_update(&c, m + off, n);
        off += n;
    }
    memset(b, 0, 32);
    e2e_sha256_final(&c, b);
    CHECK(memcmp(a, b, 32) == 0, "[%s] sha256 streamed %zu bytes", te->name, len);

    /* HMAC: keys of every kind of length (<, =, > the 64-byte block). */
    size_t kl = rng_below(4) == 0 ? rng_range(65, 200) : rng_range(0, 64);
    uint8_t key[200];
    rng_fill(key, kl);
    oracle_hmac_sha256(a, key, kl, m, len);
    e2e_hmac_key hk;
    e2e_hmac_sha256_key(&te->eng, &hk, key, kl);
    size_t split = rng_range(0, len);
    e2e_hmac_sha256(&te->eng, &hk, b, m, split, m + split, len - split);
    CHECK(memcmp(a, b, 32) == 0, "[%s] hmac key %zu msg %zu (split %zu)", te->name, kl, len,
          split);
    free(m);
}

static void diff_ccm(const struct t_engine *te, size_t len)
{
    size_t tags[2] = {4, 8};
    for (int ti = 0; ti < 2; ti++) {
        size_t t = tags[ti];
        uint8_t key[16], nonce[13];
        rng_fill(key, 16);
        rng_fill(nonce, 13);
        size_t al = rng_below(3) == 0 ? 0 : rng_range(1, 300);
        if (rng_below(200) == 0)
            al = rng_range(65280, 70000); /* the 6-byte AAD length encoding */
        uint8_t *aad = xmalloc(al), *pt = xmalloc(len), *ref = xmalloc(len + t),
                *got = xmalloc(len + t), *back = xmalloc(len + t);
        rng_fill(aad, al);
        rng_fill(pt, len);
        e2e_aes_key k;
        e2e_aes128_key_init(&te->eng, &k, key);
        e2e_status st = e2e_ccm_seal(&te->eng, &k, nonce, 13, t, got, aad, al, pt, len);
        if (len > 0xffff) {
            /* L = 2: the length field cannot hold it (BoringSSL refuses too). */
            CHECK(st == E2E_ERR_MALFORMED, "[%s] ccm 13-byte nonce, %zu bytes: %s", te->name, len,
                  e2e_status_name(st));
        } else {
            int have = oracle_ccm_seal(ref, key, nonce, 13, t, aad, al, pt, len);
            CHECK(st == E2E_OK && have && memcmp(got, ref, len + t) == 0,
                  "[%s] ccm tag %zu aad %zu len %zu: %s", te->name, t, al, len,
                  e2e_status_name(st));
            st = e2e_ccm_open(&te->eng, &k, nonce, 13, t, back, aad, al, ref, len + t);
            CHECK(st == E2E_OK && memcmp(back, pt, len) == 0, "[%s] ccm open tag %zu len %zu: %s",
                  te->name, t, len, e2e_status_name(st));
            /* And BoringSSL opens ours. */
            EVP_AEAD_CTX ctx;
            EVP_AEAD_CTX_init(&ctx, t == 4 ? EVP_aead_aes_128_ccm_bluetooth()
                                           : EVP_aead_aes_128_ccm_bluetooth_8(),
                              key, 16, t, NULL);
            size_t ol = 0;
            static const uint8_t empty[1];
            int ok = EVP_AEAD_CTX_open(&ctx, back, &ol, len + t, nonce, 13, got, len + t,
                                       al ? aad : empty, al);
            EVP_AEAD_CTX_cleanup(&ctx);
            CHECK(ok && ol == len && memcmp(back, pt, len) == 0,
                  "[%s] BoringSSL cannot open our CCM (tag %zu len %zu)", te->name, t, len);
        }
        free(aad);
        free(pt);
        free(ref);
        free(got);
        free(back);
    }
}

static void diff_cs1(const struct t_engine *te, size_t len)
{
    uint8_t key[16], iv[16];
    rng_fill(key, 16);
    rng_fill(iv, 16);
    e2e_aes_key k;
    e2e_aes128_key_init(&te->eng, &k, key);
    uint8_t *pt = xmalloc(len), *ref = xmalloc(len), *got = xmalloc(len);
    rng_fill(pt, len);
    if (len < 16) {
        e2e_status st = e2e_cs1_encrypt(&te->eng, &k, iv, got, pt, len);
        CHECK(st == E2E_ERR_MALFORMED, "[%s] cs1 encrypt %zu bytes: %s", te->name, len,
              e2e_status_name(st));
        st = e2e_cs1_decrypt(&te->eng, &k, iv, got, pt, len);
        CHECK(st == E2E_ERR_MALFORMED, "[%s] cs1 decrypt %zu bytes: %s", te->name, len,
              e2e_status_name(st));
    } else {
        oracle_cs1_encrypt(ref, key, iv, pt, len);
        e2e_status st = e2e_cs1_encrypt(&te->eng, &k, iv, got, pt, len);
        CHECK(st == E2E_OK && memcmp(got, ref, len) == 0, "[%s] cs1 encrypt %zu bytes: %s",
              te->name, len, e2e_status_name(st));
        st = e2e_cs1_decrypt(&te->eng, &k, iv, got, ref, len);
        CHECK(st == E2E_OK && memcmp(got, pt, len) == 0, "[%s] cs1 decrypt %zu bytes: %s",
              te->name, len, e2e_status_name(st));
        memcpy(got, ref, len);
        st = e2e_cs1_decrypt(&te->eng, &k, iv, got, got, len);
        CHECK(st == E2E_OK && memcmp(got, pt, len) == 0, "[%s] cs1 decrypt in place %zu",
              te->name, len);
    }
    free(pt);
    free(ref);
    free(got);
}

int main(void)
{
    rng_init("test_diff_boringssl");
    size_t *lens, nl = diff_lengths(&lens);
    size_t ne = engines_init();
    for (size_t e = 0; e < ne; e++) {
        const struct t_engine *te = &t_engines[e];
        unsigned long before = t_failed;
        for (size_t i = 0; i < nl; i++) {
            size_t len = lens[i];
            int big = len > 300;
            diff_aes(te, len);
            diff_sha_hmac(te, len);
            diff_ccm(te, len);
            diff_cs1(te, len);
            /* Wire formats: the CCM ones in BoringSSL's two shapes. */
            struct wire_cfg c;
            wire_random(&c, E2E_SUITE_AES_128_CCM, 13, 4);
            wire_check(te, &c, len, big ? 1 : 3);
            wire_random(&c, E2E_SUITE_AES_128_CCM_8, 13, 8);
            wire_check(te, &c, len, big ? 1 : 3);
            wire_random(&c, E2E_SUITE_AES_128_CS1_HMAC_SHA256, 0, 0);
            wire_check(te, &c, len, big ? 1 : 3);
            wire_random(&c, E2E_SUITE_HMAC_SHA256, 0, 0);
            wire_check(te, &c, len, big ? 1 : 3);
        }
        wire_cs1_short_seals(te);
        for (int s = 1; s <= 4; s++) {
            for (int r = 0; r < 4; r++) {
                struct wire_cfg c;
                wire_random(&c, (e2e_suite)s, 0, 0);
                wire_short_bodies(te, &c);
            }
        }
        printf("%-12s %s\n", te->name, t_failed == before ? "ok" : "FAILED");
        fflush(stdout);
    }
    printf("wire messages compared byte for byte with BoringSSL: %zu (round trip only: %zu)\n",
           wire_exact, wire_roundtrip_only);
    CHECK(wire_roundtrip_only == 0 || wire_exact > 0, "no wire message was compared exactly");
    free(lens);
    return t_summary();
}
