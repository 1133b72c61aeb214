/* shim_openssl.c — OpenSSL 3 (Debian libssl-dev) behind the benchmark shim;
 * built as the module libe2e_bench_openssl.so.
 *
 * Implementation notes (each workload the way a careful OpenSSL 3 user
 * would write it):
 *  - Algorithms are fetched once per process (EVP_CIPHER_fetch "AES-128-CCM"
 *    and "AES-128-CBC-CTS", EVP_MAC_fetch "HMAC"), not looked up per call.
 *  - CCM: one EVP_CIPHER_CTX per benchmark with the nonce and tag lengths
 *    set once, before any key (OpenSSL fixes M and L at key set-up). Per message: EVP_DecryptInit_ex2 with the nonce and the received
 *    tag as an OSSL_PARAM (and the key for open_ccm_newkey; NULL, i.e. kept,
 *    for open_ccm), the length update, one EVP_DecryptUpdate that also
 *    checks the tag. OpenSSL wipes the output on a tag mismatch.
 *  - CBC-CS1: AES-128-CBC-CTS with OSSL_CIPHER_PARAM_CTS_MODE "CS1", the key
 *    set in prepare; per message EVP_CipherInit_ex2 with only the IV, one
 *    EVP_CipherUpdate over the whole message (CTS needs it in one piece).
 *  - HMAC-SHA256: EVP_MAC "HMAC" with digest SHA256; an EVP_MAC_CTX keyed
 *    once in prepare; per message EVP_MAC_init(ctx, NULL, 0, NULL), which
 *    restarts from the stored inner/outer states without re-hashing the
 *    key and without allocating (cheaper than EVP_MAC_CTX_dup from a keyed
 *    template, which allocates a context per message).
 *  - Sigfox XOR: not offered (bench/README.md). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>

#include "shim.h"
#include "shim_util.h"

#if defined(OPENSSL_IS_BORINGSSL) || OPENSSL_VERSION_MAJOR < 3
#error "shim_openssl.c must be compiled against OpenSSL 3's headers"
#endif

struct ossl_ctx {
    EVP_CIPHER_CTX *cipher;
    EVP_MAC_CTX *mac;
    const struct bench_keyset *k;
    char note[160];
};

static EVP_CIPHER *ccm_alg, *cts_alg;
static EVP_MAC *hmac_alg;

static int fetch_all(char *err, size_t err_len)
{
    if (!ccm_alg)
        ccm_alg = EVP_CIPHER_fetch(NULL, "AES-128-CCM", NULL);
    if (!cts_alg)
        cts_alg = EVP_CIPHER_fetch(NULL, "AES-128-CBC-CTS", NULL);
    if (!hmac_alg)
        hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!ccm_alg || !cts_alg || !hmac_alg) {
        snprintf(err, err_len, "openssl: fetching AES-128-CCM / AES-128-CBC-CTS / HMAC failed");
        return 0;
    }
    return 1;
}

static void ossl_release(void *vctx)
{
    struct ossl_ctx *c = vctx;
    if (c == NULL)
        return;
    EVP_CIPHER_CTX_free(c->cipher);
    EVP_MAC_CTX_free(c->mac);
    free(c);
}

static void *ossl_prepare(const struct bench_batch *b, char *err, size_t err_len)
{
    if (!fetch_all(err, err_len))
        return NULL;
    struct ossl_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, err_len, "openssl: out of memory");
        return NULL;
    }
    c->k = &b->keys[0];
    const struct bench_keyset *k = c->k;
    int ok = 1;
    if (b->wl == BENCH_OPEN_CCM_NEWKEY || b->wl == BENCH_OPEN_CCM) {
        /* Nonce and tag lengths before any key: OpenSSL fixes CCM's M and L
         * when the key is set. */
        size_t ivlen = k->iv_len;
        OSSL_PARAM p[] = {OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &ivlen),
                          OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, NULL,
                                                            k->tag_len),
                          OSSL_PARAM_construct_end()};
        c->cipher = EVP_CIPHER_CTX_new();
        ok = c->cipher && EVP_DecryptInit_ex2(c->cipher, ccm_alg, NULL, NULL, p);
        if (ok && b->wl == BENCH_OPEN_CCM)
            ok = EVP_DecryptInit_ex2(c->cipher, NULL, k->enc_key, NULL, NULL);
        snprintf(c->note, sizeof c->note, "EVP AES-128-CCM%s",
                 b->wl == BENCH_OPEN_CCM_NEWKEY ? ", key set per message" : ", key kept");
    } else if (b->wl == BENCH_OPEN_CS1_HMAC || b->wl == BENCH_SEAL_CS1_HMAC ||
               b->wl == BENCH_VERIFY_HMAC) {
        OSSL_PARAM mp[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
            OSSL_PARAM_construct_end()};
        c->mac = EVP_MAC_CTX_new(hmac_alg);
        ok = c->mac && EVP_MAC_init(c->mac, k->auth_key, k->auth_key_len, mp);
        if (ok && b->wl != BENCH_VERIFY_HMAC) {
            OSSL_PARAM cp[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_CIPHER_PARAM_CTS_MODE, (char *)"CS1", 0),
                OSSL_PARAM_construct_end()};
            c->cipher = EVP_CIPHER_CTX_new();
            ok = c->cipher && EVP_CipherInit_ex2(c->cipher, cts_alg, k->enc_key, k->iv,
                                                 b->wl == BENCH_SEAL_CS1_HMAC, cp);
        }
        snprintf(c->note, sizeof c->note, "%sEVP_MAC HMAC reused (EVP_MAC_init NULL key)",
                 b->wl == BENCH_VERIFY_HMAC ? "" : "EVP AES-128-CBC-CTS CS1, ");
    } else {
        snprintf(err, err_len, "openssl: no %d workload", (int)b->wl);
        ok = 0;
    }
    if (!ok) {
        if (!err[0])
            snprintf(err, err_len, "openssl: context set-up failed");
        ossl_release(c);
        return NULL;
    }
    return c;
}

static const char *ossl_note(const void *vctx)
{
    return ((const struct ossl_ctx *)vctx)->note;
}

/* ccm_open opens one message; key NULL keeps the context's key. */
static int ccm_open(EVP_CIPHER_CTX *ctx, const struct bench_keyset *k, const uint8_t *key,
                    uint8_t *out, const uint8_t *body, size_t blen, size_t *plen_out)
{
    size_t t = k->tag_len;
    if (blen < t)
        return 0;
    int plen = (int)(blen - t), len;
    OSSL_PARAM p[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
                                                        (void *)(body + plen), t),
                      OSSL_PARAM_construct_end()};
    if (!EVP_DecryptInit_ex2(ctx, NULL, key, k->iv, p) ||
        !EVP_DecryptUpdate(ctx, NULL, &len, NULL, plen))
        return 0;
    if (EVP_DecryptUpdate(ctx, out, &len, body, plen) <= 0)
        return 0;
    *plen_out = (size_t)plen;
    return 1;
}

static size_t ossl_open_ccm_any(struct ossl_ctx *c, const struct bench_batch *b, int newkey)
{
    size_t ok = 0;
    for (size_t i = 0; i < b->n; i++) {
        const struct bench_keyset *k = newkey ? &b->keys[i] : c->k;
        size_t plen = 0;
        int good = ccm_open(c->cipher, k, newkey ? k->enc_key : NULL, b->out[i],
                            b->in[i] + k->ki_len, b->in_len[i] - k->ki_len, &plen);
        b->out_len[i] = good ? plen : 0;
        ok += (size_t)good;
    }
    return ok;
}

static size_t ossl_open_ccm_newkey(void *vctx, const struct bench_batch *b)
{
    return ossl_open_ccm_any(vctx, b, 1);
}

static size_t ossl_open_ccm(void *vctx, const struct bench_batch *b)
{
    return ossl_open_ccm_any(vctx, b, 0);
}

static int hmac_kiv(struct ossl_ctx *c, uint8_t mac[32], const uint8_t *p, size_t plen)
{
    size_t len;
    return EVP_MAC_init(c->mac, NULL, 0, NULL) &&
           EVP_MAC_update(c->mac, c->k->kiv, c->k->kiv_len) &&
           EVP_MAC_update(c->mac, p, plen) && EVP_MAC_final(c->mac, mac, &len, 32);
}

/* cts runs one whole message through the CTS context (IV reset first). */
static int cts(struct ossl_ctx *c, uint8_t *out, const uint8_t *in, size_t len)
{
    int olen;
    return EVP_CipherInit_ex2(c->cipher, NULL, NULL, c->k->iv, -1, NULL) &&
           EVP_CipherUpdate(c->cipher, out, &olen, in, (int)len) && (size_t)olen == len;
}

static size_t ossl_open_cs1_hmac(void *vctx, const struct bench_batch *b)
{
    struct ossl_ctx *c = vctx;
    const struct bench_keyset *k = c->k;
    size_t ok = 0, t = k->tag_len;
    uint8_t mac[32];
    for (size_t i = 0; i < b->n; i++) {
        size_t blen = b->in_len[i] - k->ki_len;
        uint8_t *out = b->out[i];
        b->out_len[i] = 0;
        if (blen < 16 || blen < t || !cts(c, out, b->in[i] + k->ki_len, blen))
            continue;
        size_t plen = blen - t;
        if (!hmac_kiv(c, mac, out, plen) || CRYPTO_memcmp(mac, out + plen, t) != 0) {
            OPENSSL_cleanse(out, blen);
            continue;
        }
        OPENSSL_cleanse(out + plen, t);
        b->out_len[i] = plen;
        ok++;
    }
    OPENSSL_cleanse(mac, sizeof mac);
    return ok;
}

static size_t ossl_seal_cs1_hmac(void *vctx, const struct bench_batch *b)
{
    struct ossl_ctx *c = vctx;
    const struct bench_keyset *k = c->k;
    size_t ok = 0, t = k->tag_len;
    uint8_t mac[32];
    for (size_t i = 0; i < b->n; i++) {
        size_t plen = b->in_len[i];
        uint8_t *out = b->out[i], *body = out + k->ki_len;
        b->out_len[i] = 0;
        if (!hmac_kiv(c, mac, b->in[i], plen))
            continue;
        memcpy(out, k->ki, k->ki_len);
        memcpy(body, b->in[i], plen);
        memcpy(body + plen, mac, t);
        if (!cts(c, body, body, plen + t))
            continue;
        b->out_len[i] = k->ki_len + plen + t;
        ok++;
    }
    OPENSSL_cleanse(mac, sizeof mac);
    return ok;
}

static size_t ossl_verify_hmac(void *vctx, const struct bench_batch *b)
{
    struct ossl_ctx *c = vctx;
    const struct bench_keyset *k = c->k;
    size_t ok = 0, t = k->tag_len;
    uint8_t mac[32];
    for (size_t i = 0; i < b->n; i++) {
        size_t blen = b->in_len[i] - k->ki_len;
        const uint8_t *p = b->in[i] + k->ki_len;
        b->out_len[i] = 0;
        if (blen < t)
            continue;
        size_t plen = blen - t;
        if (!hmac_kiv(c, mac, p, plen) || CRYPTO_memcmp(mac, p + plen, t) != 0) {
            OPENSSL_cleanse(b->out[i], blen);
            continue;
        }
        memcpy(b->out[i], p, plen);
        b->out_len[i] = plen;
        ok++;
    }
    OPENSSL_cleanse(mac, sizeof mac);
    return ok;
}

static const char *ossl_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

static const char *lib_of(const void *f)
{
    Dl_info info;
    return dladdr(f, &info) && info.dli_fname ? info.dli_fname : "?";
}

/* openssl_identity: the version string says OpenSSL 3 (BoringSSL's says
 * "BoringSSL"), every symbol comes from the same libcrypto.so.3, and the
 * OpenSSL-3-only fetch API works. */
static int openssl_identity(char *buf, size_t len)
{
    char err[128] = "";
    const void *syms[] = {(const void *)EVP_CIPHER_fetch, (const void *)EVP_MAC_fetch,
                          (const void *)EVP_DecryptUpdate, (const void *)OpenSSL_version};
    const char *v = OpenSSL_version(OPENSSL_VERSION);
    int good = strncmp(v, "OpenSSL 3", 9) == 0 && OPENSSL_version_major() == 3;
    const char *lib = lib_of(syms[0]);
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        const char *l = lib_of(syms[i]);
        good &= strcmp(l, lib) == 0 && strstr(l, "libcrypto.so.3") != NULL;
    }
    int fetched = fetch_all(err, sizeof err);
    good &= fetched;
    snprintf(buf, len, "%s: OpenSSL_version=\"%s\", EVP_* from %s, fetch %s",
             good ? "ok" : "WRONG LIBRARY", v, lib, fetched ? "ok" : err);
    return good;
}

static const struct bench_impl impl = {
    .name = "openssl",
    .version = ossl_version,
    .identity = openssl_identity,
    .prepare = ossl_prepare,
    .note = ossl_note,
    .release = ossl_release,
    .open_ccm_newkey = ossl_open_ccm_newkey,
    .open_ccm = ossl_open_ccm,
    .open_cs1_hmac = ossl_open_cs1_hmac,
    .seal_cs1_hmac = ossl_seal_cs1_hmac,
    .verify_hmac = ossl_verify_hmac,
    .sigfox_xor = NULL,
};

BENCH_EXPORT const struct bench_impl *bench_impl_openssl(void);
const struct bench_impl *bench_impl_openssl(void)
{
    return &impl;
}
