/* oracle_boringssl.c — BoringSSL's AES as an oracle for fuzz_cs1 (oracle.h).
 * Built against /usr/include/android (BoringSSL's headers) and linked with
 * /usr/lib/<arch>/android/libcrypto.so; exports only e2e_fuzz_oracle_boringssl.
 * Whole-block CBC and ECB only: the CS1 stealing steps are done in the
 * harness, independently of engine/cs1.c. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

#include <openssl/aes.h>
#include <openssl/crypto.h>

#include "oracle.h"

#ifndef OPENSSL_IS_BORINGSSL
#error "oracle_boringssl.c must be built against BoringSSL's headers"
#endif

static const char *version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

static const char *lib_path(void)
{
    Dl_info info;
    if (!dladdr((void *)AES_cbc_encrypt, &info) || info.dli_fname == NULL)
        return "?";
    return info.dli_fname;
}

static int cbc(int enc, const uint8_t key[16], const uint8_t iv[16], uint8_t *out,
               const uint8_t *in, size_t nblk)
{
    AES_KEY k;
    uint8_t v[16];
    memcpy(v, iv, 16);
    if ((enc ? AES_set_encrypt_key(key, 128, &k) : AES_set_decrypt_key(key, 128, &k)) != 0)
        return -1;
    AES_cbc_encrypt(in, out, 16 * nblk, &k, v, enc ? AES_ENCRYPT : AES_DECRYPT);
    return 0;
}

static int ecb(int enc, const uint8_t key[16], uint8_t *out, const uint8_t *in, size_t nblk)
{
    AES_KEY k;
    if ((enc ? AES_set_encrypt_key(key, 128, &k) : AES_set_decrypt_key(key, 128, &k)) != 0)
        return -1;
    for (size_t i = 0; i < nblk; i++)
        AES_ecb_encrypt(in + 16 * i, out + 16 * i, &k, enc ? AES_ENCRYPT : AES_DECRYPT);
    return 0;
}

static const struct e2e_fuzz_oracle oracle = {
    .abi = E2E_FUZZ_ORACLE_ABI,
    .claims = "BoringSSL",
    .version = version,
    .lib_path = lib_path,
    .cbc = cbc,
    .ecb = ecb,
    .cs1 = NULL,
};

__attribute__((visibility("default"))) const struct e2e_fuzz_oracle *e2e_fuzz_oracle_boringssl(void)
{
    return &oracle;
}
