/* oracle_openssl.c — OpenSSL 3's AES-128-CBC-CTS (CS1) and AES-128-CBC/ECB as
 * an oracle for fuzz_cs1 (oracle.h). Linked with OpenSSL 3's libcrypto;
 * exports only e2e_fuzz_oracle_openssl. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "oracle.h"

#if defined(OPENSSL_IS_BORINGSSL) || OPENSSL_VERSION_MAJOR < 3
#error "oracle_openssl.c must be built against OpenSSL 3's headers"
#endif

static const char *version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

static const char *lib_path(void)
{
    Dl_info info;
    if (!dladdr((void *)EVP_CipherUpdate, &info) || info.dli_fname == NULL)
        return "?";
    return info.dli_fname;
}

/* run does one whole update + final with padding off; returns 0 when the
 * library produced exactly len bytes. */
static int run(EVP_CIPHER *c, const OSSL_PARAM *params, int enc, const uint8_t key[16],
               const uint8_t *iv, uint8_t *out, const uint8_t *in, size_t len)
{
    int rc = -1, n1 = 0, n2 = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || c == NULL || len > 0x7fffffff)
        goto out;
    if (EVP_CipherInit_ex2(ctx, c, key, iv, enc, params) != 1)
        goto out;
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    if (EVP_CipherUpdate(ctx, out, &n1, in, (int)len) != 1)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out + n1, &n2) != 1)
        goto out;
    rc = (size_t)n1 + (size_t)n2 == len ? 0 : -1;
out:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

static EVP_CIPHER *fetched(int which)
{
    static EVP_CIPHER *c[3];
    static const char *const names[3] = {"AES-128-CBC-CTS", "AES-128-CBC", "AES-128-ECB"};
    if (c[which] == NULL)
        c[which] = EVP_CIPHER_fetch(NULL, names[which], NULL);
    return c[which];
}

static int cs1(int enc, const uint8_t key[16], const uint8_t iv[16], uint8_t *out,
               const uint8_t *in, size_t len)
{
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_CIPHER_PARAM_CTS_MODE, (char *)"CS1", 0);
    params[1] = OSSL_PARAM_construct_end();
    return run(fetched(0), params, enc, key, iv, out, in, len);
}

static int cbc(int enc, const uint8_t key[16], const uint8_t iv[16], uint8_t *out,
               const uint8_t *in, size_t nblk)
{
    return run(fetched(1), NULL, enc, key, iv, out, in, 16 * nblk);
}

static int ecb(int enc, const uint8_t key[16], uint8_t *out, const uint8_t *in, size_t nblk)
{
    return run(fetched(2), NULL, enc, key, NULL, out, in, 16 * nblk);
}

static const struct e2e_fuzz_oracle oracle = {
    .abi = E2E_FUZZ_ORACLE_ABI,
    .claims = "OpenSSL",
    .version = version,
    .lib_path = lib_path,
    .cbc = cbc,
    .ecb = ecb,
    .cs1 = cs1,
};

__attribute__((visibility("default"))) const struct e2e_fuzz_oracle *e2e_fuzz_oracle_openssl(void)
{
    return &oracle;
}
