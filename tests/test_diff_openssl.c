/* test_diff_openssl.c — every implementation this CPU can run against
 * OpenSSL 3, on random keys and every length 0..300 (E2E_SWEEP_MAX) plus
 * random lengths up to 64 KiB (E2E_DIFF_RANDOM_LENGTHS):
 *
 *   CCM   e2e_ccm_seal / e2e_ccm_open vs EVP_aes_128_ccm, for every nonce
 *         length 7..13 and every tag length 4..16 (even), with and without AAD
 *         (every combination on lengths 0..300, three random ones on the long
 *         lengths); OpenSSL also opens ours; the length-field limits.
 *   CS1   e2e_cs1_encrypt / decrypt vs AES-128-CBC-CTS with
 *         OSSL_CIPHER_PARAM_CTS_MODE "CS1" for every length >= 16 (OpenSSL's
 *         CTS needs a block); OpenSSL also decrypts ours; < 16 is malformed.
 *   wire  every suite through e2e_seal / e2e_open (diffcore.h), CCM over
 *         every nonce/tag pair, HMAC vs OpenSSL's HMAC(), bit flips.
 * Seeded: the seed is printed; E2E_TEST_SEED repeats a run. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "diffcore.h"

#if defined(OPENSSL_IS_BORINGSSL) || !defined(OPENSSL_VERSION_MAJOR) || OPENSSL_VERSION_MAJOR < 3
#error "test_diff_openssl needs OpenSSL 3's headers"
#endif

static const uint8_t empty[1];
static EVP_CIPHER *cts;

/* ---------------------------------------------------------------- oracles */

static void oracle_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len,
                               const uint8_t *msg, size_t len)
{
    unsigned ol = 0;
    uint8_t *r = HMAC(EVP_sha256(), key_len ? key : empty, (int)key_len, len ? msg : empty, len,
                      out, &ol);
    CHECK(r != NULL && ol == 32, "OpenSSL HMAC() failed");
}

static int cts_run(uint8_t *out, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                   size_t len, int enc)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    OSSL_PARAM prm[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_CIPHER_PARAM_CTS_MODE, (char *)"CS1", 0),
        OSSL_PARAM_construct_end()};
    int ol = 0, fl = 0;
    int ok = x != NULL && EVP_CipherInit_ex2(x, cts, key, iv, enc, prm) &&
             EVP_CipherUpdate(x, out, &ol, in, (int)len) &&
             EVP_CipherFinal_ex(x, out + ol, &fl) && (size_t)(ol + fl) == len;
    EVP_CIPHER_CTX_free(x);
    return ok;
}

static void oracle_cs1_encrypt(uint8_t *out, const uint8_t key[16], const uint8_t iv[16],
                               const uint8_t *in, size_t len)
{
    CHECK(cts_run(out, key, iv, in, len, 1), "OpenSSL CBC-CTS CS1 encrypt of %zu bytes failed",
          len);
}

/* ccm_evp: OpenSSL CCM seal (enc) or open (!enc: in is ct || tag). */
static int ccm_evp(int enc, uint8_t *out, const uint8_t key[16], const uint8_t *nonce,
                   size_t nonce_len, size_t tag_len, const uint8_t *aad, size_t aad_len,
                   const uint8_t *in, size_t len)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int ol = 0, ok = x != NULL;
    ok = ok && EVP_CipherInit_ex(x, EVP_aes_128_ccm(), NULL, NULL, NULL, enc);
    ok = ok && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)nonce_len, NULL);
    ok = ok && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, (int)tag_len,
                                   enc ? NULL : (void *)(in + len));
    ok = ok && EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc);
    ok = ok && EVP_CipherUpdate(x, NULL, &ol, NULL, (int)len);
    if (aad_len)
        ok = ok && EVP_CipherUpdate(x, NULL, &ol, aad, (int)aad_len);
    ok = ok && EVP_CipherUpdate(x, out, &ol, len ? in : empty, (int)len);
    if (enc) {
        int fl = 0;
        ok = ok && EVP_CipherFinal_ex(x, out + len, &fl);
        ok = ok && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, out + len);
    }
    EVP_CIPHER_CTX_free(x);
    return ok;
}

static int oracle_ccm_seal(uint8_t *out, const uint8_t key[16], const uint8_t *nonce,
                           size_t nonce_len, size_t tag_len, const uint8_t *aad, size_t aad_len,
                           const uint8_t *pt, size_t pt_len)
{
    int ok = ccm_evp(1, out, key, nonce, nonce_len, tag_len, aad, aad_len, pt, pt_len);
    CHECK(ok, "OpenSSL CCM seal failed (nonce %zu tag %zu len %zu)", nonce_len, tag_len, pt_len);
    return ok;
}

/* ---------------------------------------------------------------- CCM */

static size_t ccm_compared;

static void ccm_one(const struct t_engine *te, size_t nl, size_t t, size_t al, size_t len,
                    int evp_opens)
{
    uint8_t key[16], nonce[13];
    rng_fill(key, 16);
    rng_fill(nonce, nl);
    uint8_t *aad = xmalloc(al), *pt = xmalloc(len), *ref = xmalloc(len + t),
            *got = xmalloc(len + t), *back = xmalloc(len + t);
    rng_fill(aad, al);
    rng_fill(pt, len);
    e2e_aes_key k;
    e2e_aes128_key_init(&te->eng, &k, key);
    memset(got, 0xa5, len + t);
    e2e_status st = e2e_ccm_seal(&te->eng, &k, nonce, nl, t, got, aad, al, pt, len);
    size_t q = 15 - nl;
    if (q < 8 && (len >> (8 * q)) != 0) {
        CHECK(st == E2E_ERR_MALFORMED, "[%s] ccm nonce %zu, %zu bytes do not fit: %s", te->name,
              nl, len, e2e_status_name(st));
        goto out;
    }
    if (!oracle_ccm_seal(ref, key, nonce, nl, t, aad, al, pt, len))
        goto out;
    ccm_compared++;
    CHECK(st == E2E_OK && memcmp(got, ref, len + t) == 0,
          "[%s] ccm nonce %zu tag %zu aad %zu len %zu: %s, %s vs %s", te->name, nl, t, al, len,
          e2e_status_name(st), hexstr(got, len + t), hexstr(ref, len + t));
    memset(back, 0xa5, len + t);
    st = e2e_ccm_open(&te->eng, &k, nonce, nl, t, back, aad, al, ref, len + t);
    CHECK(st == E2E_OK && memcmp(back, pt, len) == 0,
          "[%s] ccm open nonce %zu tag %zu len %zu: %s", te->name, nl, t, len,
          e2e_status_name(st));
    if (evp_opens) {
        int ok = ccm_evp(0, back, key, nonce, nl, t, aad, al, got, len);
        CHECK(ok && memcmp(back, pt, len) == 0, "[%s] OpenSSL cannot open our CCM (nonce %zu "
              "tag %zu len %zu)", te->name, nl, t, len);
        /* A wrong tag: auth_failed, nothing released. */
        ref[len + t - 1] ^= 0x01;
        memset(back, 0xa5, len + t);
        st = e2e_ccm_open(&te->eng, &k, nonce, nl, t, back, aad, al, ref, len + t);
        CHECK(st == E2E_ERR_AUTH && all_zero(back, len),
              "[%s] ccm bad tag (nonce %zu tag %zu len %zu): %s", te->name, nl, t, len,
              e2e_status_name(st));
    }
out:
    free(aad);
    free(pt);
    free(ref);
    free(got);
    free(back);
}

static void diff_ccm(const struct t_engine *te, size_t len)
{
    if (len <= 300) {
        for (size_t nl = 7; nl <= 13; nl++)
            for (size_t t = 4; t <= 16; t += 2)
                for (int with_aad = 0; with_aad < 2; with_aad++)
                    ccm_one(te, nl, t, with_aad ? rng_range(1, 300) : 0, len,
                            (nl + t + len) % 5 == 0);
    } else {
        for (int i = 0; i < 3; i++)
            ccm_one(te, rng_range(7, 13), 2 * rng_range(2, 8),
                    rng_below(2) ? rng_range(0, 70000) : 0, len, 1);
    }
}

/* The length field's limits: 2^(8q) - 1 bytes fit, one more does not. */
static void ccm_limits(const struct t_engine *te)
{
    ccm_one(te, 13, 16, 0, 65535, 1);
    ccm_one(te, 13, 8, 5, 65536, 0);
    ccm_one(te, 12, 16, 0, 65536, 1);
    /* The AAD length encoding switches form at 2^16 - 2^8 bytes. */
    ccm_one(te, 11, 10, 65279, 17, 1);
    ccm_one(te, 11, 10, 65280, 17, 1);
}

/* ---------------------------------------------------------------- CS1 */

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
        CHECK(st == E2E_ERR_MALFORMED, "[%s] cs1 %zu bytes: %s", te->name, len,
              e2e_status_name(st));
        st = e2e_cs1_decrypt(&te->eng, &k, iv, got, pt, len);
        CHECK(st == E2E_ERR_MALFORMED, "[%s] cs1 decrypt %zu bytes: %s", te->name, len,
              e2e_status_name(st));
    } else {
        oracle_cs1_encrypt(ref, key, iv, pt, len);
        e2e_status st = e2e_cs1_encrypt(&te->eng, &k, iv, got, pt, len);
        CHECK(st == E2E_OK && memcmp(got, ref, len) == 0, "[%s] cs1 %zu bytes: %s: %s vs %s",
              te->name, len, e2e_status_name(st), hexstr(got, len), hexstr(ref, len));
        uint8_t *back = xmalloc(len);
        CHECK(cts_run(back, key, iv, got, len, 0) && memcmp(back, pt, len) == 0,
              "[%s] OpenSSL cannot decrypt our CS1 (%zu bytes)", te->name, len);
        st = e2e_cs1_decrypt(&te->eng, &k, iv, back, ref, len);
        CHECK(st == E2E_OK && memcmp(back, pt, len) == 0, "[%s] cs1 decrypt %zu bytes: %s",
              te->name, len, e2e_status_name(st));
        memcpy(got, pt, len);
        st = e2e_cs1_encrypt(&te->eng, &k, iv, got, got, len);
        CHECK(st == E2E_OK && memcmp(got, ref, len) == 0, "[%s] cs1 in place %zu bytes",
              te->name, len);
        free(back);
    }
    free(pt);
    free(ref);
    free(got);
}

int main(void)
{
    rng_init("test_diff_openssl");
    cts = EVP_CIPHER_fetch(NULL, "AES-128-CBC-CTS", NULL);
    CHECK(cts != NULL, "OpenSSL has no AES-128-CBC-CTS");
    if (cts == NULL)
        return t_summary();
    size_t *lens, nl = diff_lengths(&lens);
    size_t ne = engines_init();
    for (size_t e = 0; e < ne; e++) {
        const struct t_engine *te = &t_engines[e];
        unsigned long before = t_failed;
        ccm_limits(te);
        for (size_t i = 0; i < nl; i++) {
            size_t len = lens[i];
            int flips = len > 300 ? 1 : 3;
            diff_ccm(te, len);
            diff_cs1(te, len);
            struct wire_cfg c;
            /* Walk every nonce/tag pair across the lengths. */
            size_t pair = i % 49;
            wire_random(&c, E2E_SUITE_AES_128_CCM, 7 + pair % 7, 4 + 2 * (pair / 7));
            wire_check(te, &c, len, flips);
            wire_random(&c, E2E_SUITE_AES_128_CCM_8, 0, 8);
            wire_check(te, &c, len, flips);
            wire_random(&c, E2E_SUITE_AES_128_CS1_HMAC_SHA256, 0, 0);
            wire_check(te, &c, len, flips);
            wire_random(&c, E2E_SUITE_HMAC_SHA256, 0, 0);
            wire_check(te, &c, len, flips);
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
    printf("CCM messages compared with EVP_aes_128_ccm: %zu; wire messages compared byte for "
           "byte: %zu (round trip only: %zu)\n",
           ccm_compared, wire_exact, wire_roundtrip_only);
    CHECK(wire_roundtrip_only == 0, "OpenSSL covers every CCM shape: no wire message should "
          "go uncompared");
    EVP_CIPHER_free(cts);
    free(lens);
    return t_summary();
}
