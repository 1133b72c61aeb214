/* shim_boringssl.c — BoringSSL (Debian android-libboringssl-dev) behind the
 * benchmark shim; built as the module libe2e_bench_boringssl.so.
 *
 * Implementation notes (each workload the way a careful BoringSSL user
 * would write it):
 *  - AES: AES_KEY expanded once per key set (AES_set_encrypt_key /
 *    AES_set_decrypt_key); for open_ccm_newkey once per message, inside the
 *    timed call.
 *  - CCM: BoringSSL's only CCM AEADs are EVP_aead_aes_128_ccm_bluetooth
 *    (tag 4) and _bluetooth_8 (tag 8), both with 13-byte nonces. When the
 *    key set fits one (e2ecrypt_bench --e2e_ccm_tag=4 or 8) the shim uses it
 *    (EVP_AEAD_CTX initialised once, or once per message for newkey);
 *    otherwise — the default AES_128_CCM, tag 16 — it runs CCM glue over the
 *    public AES API: AES_encrypt for S0, AES_ctr128_encrypt (the hardware
 *    ctr32 path) for the payload, AES_cbc_encrypt into a 1 KiB scratch for
 *    the CBC-MAC, CRYPTO_memcmp for the tag. The row note says which.
 *  - CBC-CS1: AES_cbc_encrypt over the whole blocks plus the CS1 fix-up of
 *    the last two blocks (one AES_decrypt of Cn when opening).
 *  - HMAC-SHA256: one HMAC_CTX keyed in prepare; every message restarts it
 *    with HMAC_Init_ex(ctx, NULL, 0, NULL, NULL), which reuses the
 *    precomputed inner/outer states (no key hashing, no allocation).
 *  - A rejected message's output is wiped (OPENSSL_cleanse), like e2ecrypt.
 *  - Sigfox XOR: none of the peers implements it; the shim offers no
 *    function (bench/README.md).
 *  - Only bench_impl_boringssl is exported; the module is linked with
 *    -Bsymbolic and hidden visibility and dlopen()ed RTLD_LOCAL, so its
 *    AES_* / HMAC_* references bind to BoringSSL even though OpenSSL 3 is in
 *    the same process (boringssl_identity checks it). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/aead.h>
#include <openssl/aes.h>
#include <openssl/crypto.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/is_boringssl.h> /* only BoringSSL's include dir has this */
#include <openssl/mem.h>

#include "shim.h"
#include "shim_util.h"

#ifndef OPENSSL_IS_BORINGSSL
#error "shim_boringssl.c must be compiled against BoringSSL's headers"
#endif

#define MAC_SCRATCH 1024

struct bssl_ctx {
    AES_KEY enc, dec;
    HMAC_CTX hmac;
    int hmac_ready;
    EVP_AEAD_CTX aead;
    const EVP_AEAD *aead_alg; /* non-NULL: CCM through the AEAD */
    int aead_ready;
    const struct bench_keyset *k;
    uint8_t scratch[MAC_SCRATCH];
    char note[160];
};

static const EVP_AEAD *ccm_aead_for(const struct bench_keyset *k)
{
    if (k->iv_len != 13)
        return NULL;
    if (k->tag_len == 4)
        return EVP_aead_aes_128_ccm_bluetooth();
    if (k->tag_len == 8)
        return EVP_aead_aes_128_ccm_bluetooth_8();
    return NULL;
}

static void bssl_release(void *vctx)
{
    struct bssl_ctx *c = vctx;
    if (c == NULL)
        return;
    if (c->hmac_ready)
        HMAC_CTX_cleanup(&c->hmac);
    if (c->aead_ready)
        EVP_AEAD_CTX_cleanup(&c->aead);
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

static void *bssl_prepare(const struct bench_batch *b, char *err, size_t err_len)
{
    struct bssl_ctx *c = aligned_alloc(64, (sizeof *c + 63) & ~(size_t)63);
    if (c == NULL) {
        snprintf(err, err_len, "boringssl: out of memory");
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->k = &b->keys[0];
    const struct bench_keyset *k = c->k;
    switch (b->wl) {
    case BENCH_OPEN_CCM_NEWKEY:
    case BENCH_OPEN_CCM:
        c->aead_alg = ccm_aead_for(k);
        if (b->wl == BENCH_OPEN_CCM && c->aead_alg) {
            if (!EVP_AEAD_CTX_init(&c->aead, c->aead_alg, k->enc_key, 16, k->tag_len, NULL)) {
                snprintf(err, err_len, "boringssl: EVP_AEAD_CTX_init failed");
                bssl_release(c);
                return NULL;
            }
            c->aead_ready = 1;
        } else if (b->wl == BENCH_OPEN_CCM) {
            AES_set_encrypt_key(k->enc_key, 128, &c->enc);
        }
        snprintf(c->note, sizeof c->note, "%s%s",
                 c->aead_alg ? (k->tag_len == 4 ? "EVP_aead_aes_128_ccm_bluetooth"
                                                : "EVP_aead_aes_128_ccm_bluetooth_8")
                             : "CCM glue: AES_encrypt + AES_ctr128_encrypt + AES_cbc_encrypt "
                               "(no AEAD for this tag length)",
                 b->wl == BENCH_OPEN_CCM_NEWKEY ? ", key set-up per message" : "");
        break;
    case BENCH_OPEN_CS1_HMAC:
    case BENCH_SEAL_CS1_HMAC:
    case BENCH_VERIFY_HMAC:
        if (b->wl == BENCH_OPEN_CS1_HMAC)
            AES_set_decrypt_key(k->enc_key, 128, &c->dec);
        if (b->wl == BENCH_SEAL_CS1_HMAC)
            AES_set_encrypt_key(k->enc_key, 128, &c->enc);
        HMAC_CTX_init(&c->hmac);
        c->hmac_ready = 1;
        if (!HMAC_Init_ex(&c->hmac, k->auth_key, k->auth_key_len, EVP_sha256(), NULL)) {
            snprintf(err, err_len, "boringssl: HMAC_Init_ex failed");
            bssl_release(c);
            return NULL;
        }
        snprintf(c->note, sizeof c->note, "%sHMAC_CTX reused (HMAC_Init_ex NULL key)",
                 b->wl == BENCH_VERIFY_HMAC ? "" : "AES_cbc_encrypt + CS1 fix-up, ");
        break;
    default:
        snprintf(err, err_len, "boringssl: no %d workload", (int)b->wl);
        bssl_release(c);
        return NULL;
    }
    return c;
}

static const char *bssl_note(const void *vctx)
{
    return ((const struct bssl_ctx *)vctx)->note;
}

/* ccm_open_glue opens body (blen bytes: ciphertext || tag) into out with an
 * expanded encryption key; 1 when the tag matches. */
static int ccm_open_glue(struct bssl_ctx *c, const AES_KEY *key, const struct bench_keyset *k,
                         uint8_t *out, const uint8_t *body, size_t blen)
{
    size_t t = k->tag_len;
    if (blen < t)
        return 0;
    size_t plen = blen - t;
    uint8_t ctr[16], s0[16], ecount[16], mac[16], blk[16];
    unsigned num = 0;
    bench_ccm_ctr0(ctr, k->iv, k->iv_len);
    AES_encrypt(ctr, s0, key);
    ctr[15] = 1;
    AES_ctr128_encrypt(body, out, plen, key, ctr, ecount, &num);
    bench_ccm_b0(blk, k->iv, k->iv_len, t, plen);
    AES_encrypt(blk, mac, key);
    size_t full = plen & ~(size_t)15;
    for (size_t off = 0; off < full; off += MAC_SCRATCH) {
        size_t len = full - off < MAC_SCRATCH ? full - off : MAC_SCRATCH;
        AES_cbc_encrypt(out + off, c->scratch, len, key, mac, AES_ENCRYPT);
    }
    if (plen & 15) {
        memset(blk, 0, sizeof blk);
        memcpy(blk, out + full, plen & 15);
        AES_cbc_encrypt(blk, blk, 16, key, mac, AES_ENCRYPT);
    }
    for (size_t i = 0; i < t; i++)
        mac[i] ^= s0[i];
    int ok = CRYPTO_memcmp(mac, body + plen, t) == 0;
    if (!ok)
        OPENSSL_cleanse(out, plen);
    OPENSSL_cleanse(s0, sizeof s0);
    OPENSSL_cleanse(mac, sizeof mac);
    OPENSSL_cleanse(ecount, sizeof ecount);
    return ok;
}

static int ccm_open_aead(const EVP_AEAD_CTX *aead, const struct bench_keyset *k, uint8_t *out,
                         size_t out_cap, size_t *out_len, const uint8_t *body, size_t blen)
{
    if (EVP_AEAD_CTX_open(aead, out, out_len, out_cap, k->iv, k->iv_len, body, blen, NULL, 0))
        return 1;
    OPENSSL_cleanse(out, blen < out_cap ? blen : out_cap);
    return 0;
}

static size_t bssl_open_ccm_newkey(void *vctx, const struct bench_batch *b)
{
    struct bssl_ctx *c = vctx;
    size_t ok = 0;
    for (size_t i = 0; i < b->n; i++) {
        const struct bench_keyset *k = &b->keys[i];
        const uint8_t *body = b->in[i] + k->ki_len;
        size_t blen = b->in_len[i] - k->ki_len, len = 0;
        int good;
        if (c->aead_alg) {
            EVP_AEAD_CTX aead;
            if (!EVP_AEAD_CTX_init(&aead, c->aead_alg, k->enc_key, 16, k->tag_len, NULL)) {
                b->out_len[i] = 0;
                continue;
            }
            good = ccm_open_aead(&aead, k, b->out[i], b->out_cap, &len, body, blen);
            EVP_AEAD_CTX_cleanup(&aead);
        } else {
            AES_set_encrypt_key(k->enc_key, 128, &c->enc);
            good = ccm_open_glue(c, &c->enc, k, b->out[i], body, blen);
            len = blen - k->tag_len;
        }
        b->out_len[i] = good ? len : 0;
        ok += (size_t)good;
    }
    OPENSSL_cleanse(&c->enc, sizeof c->enc);
    return ok;
}

static size_t bssl_open_ccm(void *vctx, const struct bench_batch *b)
{
    struct bssl_ctx *c = vctx;
    const struct bench_keyset *k = c->k;
    size_t ok = 0;
    for (size_t i = 0; i < b->n; i++) {
        const uint8_t *body = b->in[i] + k->ki_len;
        size_t blen = b->in_len[i] - k->ki_len, len = 0;
        int good;
        if (c->aead_ready) {
            good = ccm_open_aead(&c->aead, k, b->out[i], b->out_cap, &len, body, blen);
        } else {
            good = ccm_open_glue(c, &c->enc, k, b->out[i], body, blen);
            len = blen - k->tag_len;
        }
        b->out_len[i] = good ? len : 0;
        ok += (size_t)good;
    }
    return ok;
}

/* cs1_decrypt: CBC-CS1 decryption of len >= 16 bytes, out != in. */
static void cs1_decrypt(const AES_KEY *dk, const uint8_t iv[16], uint8_t *out,
                        const uint8_t *in, size_t len)
{
    size_t n = bench_cs1_blocks(len), d = bench_cs1_last(len);
    uint8_t ivec[16], cprev[16], z[16], pn[16];
    memcpy(ivec, iv, 16);
    if (d == 16) {
        AES_cbc_encrypt(in, out, len, dk, ivec, AES_DECRYPT);
        return;
    }
    size_t tail = 16 * (n - 2);                 /* offset of C*(n-1) */
    AES_decrypt(in + tail + d, z, dk);          /* Z = C(n-1) ^ (Pn || 0) */
    memcpy(cprev, in + tail, d);
    memcpy(cprev + d, z + d, 16 - d);           /* the whole C(n-1) */
    for (size_t i = 0; i < d; i++)
        pn[i] = z[i] ^ in[tail + i];
    if (tail)
        AES_cbc_encrypt(in, out, tail, dk, ivec, AES_DECRYPT); /* ivec = C(n-2) */
    AES_cbc_encrypt(cprev, out + tail, 16, dk, ivec, AES_DECRYPT);
    memcpy(out + tail + 16, pn, d);
    OPENSSL_cleanse(z, sizeof z);
    OPENSSL_cleanse(pn, sizeof pn);
}

/* cs1_encrypt_inplace: CBC-CS1 encryption of buf (len >= 16 bytes). */
static void cs1_encrypt_inplace(const AES_KEY *ek, const uint8_t iv[16], uint8_t *buf,
                                size_t len)
{
    size_t n = bench_cs1_blocks(len), d = bench_cs1_last(len);
    uint8_t ivec[16], last[16];
    memcpy(ivec, iv, 16);
    if (d == 16) {
        AES_cbc_encrypt(buf, buf, len, ek, ivec, AES_ENCRYPT);
        return;
    }
    memset(last, 0, sizeof last);
    memcpy(last, buf + 16 * (n - 1), d);
    AES_cbc_encrypt(buf, buf, 16 * (n - 1), ek, ivec, AES_ENCRYPT); /* ivec = C(n-1) */
    AES_cbc_encrypt(last, last, 16, ek, ivec, AES_ENCRYPT);        /* Cn */
    memcpy(buf + 16 * (n - 2) + d, last, 16);
}

/* hmac_kiv computes HMAC-SHA256(AuthKey, KIV || p) with the keyed context. */
static void hmac_kiv(struct bssl_ctx *c, uint8_t mac[32], const uint8_t *p, size_t plen)
{
    unsigned len;
    HMAC_Init_ex(&c->hmac, NULL, 0, NULL, NULL);
    HMAC_Update(&c->hmac, c->k->kiv, c->k->kiv_len);
    HMAC_Update(&c->hmac, p, plen);
    HMAC_Final(&c->hmac, mac, &len);
}

static size_t bssl_open_cs1_hmac(void *vctx, const struct bench_batch *b)
{
    struct bssl_ctx *c = vctx;
    const struct bench_keyset *k = c->k;
    size_t ok = 0, t = k->tag_len;
    uint8_t mac[32];
    for (size_t i = 0; i < b->n; i++) {
        size_t blen = b->in_len[i] - k->ki_len;
        uint8_t *out = b->out[i];
        b->out_len[i] = 0;
        if (blen < 16 || blen < t)
            continue;
        cs1_decrypt(&c->dec, k->iv, out, b->in[i] + k->ki_len, blen);
        size_t plen = blen - t;
        hmac_kiv(c, mac, out, plen);
        if (CRYPTO_memcmp(mac, out + plen, t) != 0) {
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

static size_t bssl_seal_cs1_hmac(void *vctx, const struct bench_batch *b)
{
    struct bssl_ctx *c = vctx;
    const struct bench_keyset *k = c->k;
    size_t t = k->tag_len;
    uint8_t mac[32];
    for (size_t i = 0; i < b->n; i++) {
        size_t plen = b->in_len[i];
        uint8_t *out = b->out[i], *body = out + k->ki_len;
        hmac_kiv(c, mac, b->in[i], plen);
        memcpy(out, k->ki, k->ki_len);
        memcpy(body, b->in[i], plen);
        memcpy(body + plen, mac, t);
        cs1_encrypt_inplace(&c->enc, k->iv, body, plen + t);
        b->out_len[i] = k->ki_len + plen + t;
    }
    OPENSSL_cleanse(mac, sizeof mac);
    return b->n;
}

static size_t bssl_verify_hmac(void *vctx, const struct bench_batch *b)
{
    struct bssl_ctx *c = vctx;
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
        hmac_kiv(c, mac, p, plen);
        if (CRYPTO_memcmp(mac, p + plen, t) != 0) {
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

static const char *bssl_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

/* lib_of names the file that defines the function at f. */
static const char *lib_of(const void *f)
{
    Dl_info info;
    return dladdr(f, &info) && info.dli_fname ? info.dli_fname : "?";
}

static int hexeq(const uint8_t *b, const char *hex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1 || v != b[i])
            return 0;
    }
    return 1;
}

/* boringssl_identity proves the code behind this module is BoringSSL: the
 * version string, the files its symbols resolved to, a BoringSSL-only AEAD
 * agreeing with the CCM glue, and an RFC 4231 HMAC vector (which also runs
 * libcrypto's internal calls: a library bound to the wrong SHA-256 fails). */
static int boringssl_identity(char *buf, size_t len)
{
    const void *syms[] = {(const void *)AES_encrypt, (const void *)AES_cbc_encrypt,
                          (const void *)AES_ctr128_encrypt, (const void *)HMAC_Init_ex,
                          (const void *)EVP_sha256, (const void *)EVP_AEAD_CTX_open};
    int good = strcmp(OpenSSL_version(OPENSSL_VERSION), "BoringSSL") == 0;
    const char *lib = lib_of(syms[0]);
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        const char *l = lib_of(syms[i]);
        good &= strcmp(l, lib) == 0 && strstr(l, "android") != NULL &&
                strstr(l, "libcrypto.so.3") == NULL;
    }
    /* RFC 4231 test case 2. */
    uint8_t mac[32];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), "Jefe", 4, (const uint8_t *)"what do ya want for nothing?", 28, mac,
         &mac_len);
    int hmac_ok = mac_len == 32 &&
        hexeq(mac, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32);
    /* EVP_aead_aes_128_ccm_bluetooth (BoringSSL only) against the glue. */
    struct bench_keyset k;
    memset(&k, 0, sizeof k);
    for (int i = 0; i < 16; i++)
        k.enc_key[i] = (uint8_t)(0x40 + i);
    for (int i = 0; i < 13; i++)
        k.iv[i] = (uint8_t)(0x10 + i);
    k.iv_len = 13;
    k.tag_len = 4;
    uint8_t pt[37], sealed[64], opened[64];
    size_t sealed_len = 0;
    for (int i = 0; i < 37; i++)
        pt[i] = (uint8_t)(3 * i);
    int aead_ok = 0;
    EVP_AEAD_CTX aead;
    if (EVP_AEAD_CTX_init(&aead, EVP_aead_aes_128_ccm_bluetooth(), k.enc_key, 16, 4, NULL)) {
        aead_ok = EVP_AEAD_CTX_seal(&aead, sealed, &sealed_len, sizeof sealed, k.iv, 13, pt,
                                    sizeof pt, NULL, 0) && sealed_len == sizeof pt + 4;
        EVP_AEAD_CTX_cleanup(&aead);
    }
    if (aead_ok) {
        struct bssl_ctx *c = calloc(1, sizeof *c);
        aead_ok = c != NULL;
        if (c) {
            AES_set_encrypt_key(k.enc_key, 128, &c->enc);
            aead_ok = ccm_open_glue(c, &c->enc, &k, opened, sealed, sealed_len) &&
                      memcmp(opened, pt, sizeof pt) == 0;
            free(c);
        }
    }
    good &= hmac_ok & aead_ok;
    snprintf(buf, len, "%s: OpenSSL_version=\"%s\", AES_*/HMAC_*/EVP_AEAD_* from %s, "
             "EVP_aead_aes_128_ccm_bluetooth %s, RFC 4231 HMAC %s",
             good ? "ok" : "WRONG LIBRARY", OpenSSL_version(OPENSSL_VERSION), lib,
             aead_ok ? "agrees with the CCM glue" : "FAILED", hmac_ok ? "ok" : "FAILED");
    return good;
}

static const struct bench_impl impl = {
    .name = "boringssl",
    .version = bssl_version,
    .identity = boringssl_identity,
    .prepare = bssl_prepare,
    .note = bssl_note,
    .release = bssl_release,
    .open_ccm_newkey = bssl_open_ccm_newkey,
    .open_ccm = bssl_open_ccm,
    .open_cs1_hmac = bssl_open_cs1_hmac,
    .seal_cs1_hmac = bssl_seal_cs1_hmac,
    .verify_hmac = bssl_verify_hmac,
    .sigfox_xor = NULL,
};

BENCH_EXPORT const struct bench_impl *bench_impl_boringssl(void);
const struct bench_impl *bench_impl_boringssl(void)
{
    return &impl;
}
