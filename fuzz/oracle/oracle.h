/* oracle.h — the interface of the two libcrypto oracles of fuzz_cs1.
 *
 * BoringSSL (Debian's android-libboringssl) and OpenSSL 3 both export
 * AES_encrypt, EVP_*, OpenSSL_version...: one process cannot link both. Each
 * oracle is therefore a small shared object (oracle_boringssl.so,
 * oracle_openssl.so) linked against its own libcrypto, built with hidden
 * visibility and -Bsymbolic so it exports exactly one symbol, and fuzz_cs1
 * dlopen()s each with RTLD_LOCAL. fuzz_cs1 itself links no libcrypto, so the
 * global symbol scope holds none of these names and every reference made by
 * an oracle or by its libcrypto resolves inside that oracle's own local scope
 * (RTLD_DEEPBIND would also do it, but AddressSanitizer refuses it).
 * fuzz_cs1 proves this at start-up (see oracle_check in fuzz_cs1.c).
 *
 * No engine header is included: the oracles know nothing of e2ecrypt. */
#ifndef E2E_FUZZ_ORACLE_H
#define E2E_FUZZ_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#define E2E_FUZZ_ORACLE_ABI 1

struct e2e_fuzz_oracle {
    int abi;                 /* E2E_FUZZ_ORACLE_ABI */
    const char *claims;      /* "BoringSSL" or "OpenSSL" */
    /* version returns OpenSSL_version(OPENSSL_VERSION) as the bound library
     * answers it ("BoringSSL", "OpenSSL 3.0.x ..."). */
    const char *(*version)(void);
    /* lib_path returns the file (dladdr) that defines the cipher entry point
     * this oracle actually calls. */
    const char *(*lib_path)(void);
    /* cbc: AES-128-CBC over nblk whole blocks, no padding; 0 on success. */
    int (*cbc)(int enc, const uint8_t key[16], const uint8_t iv[16], uint8_t *out,
               const uint8_t *in, size_t nblk);
    /* ecb: AES-128 on nblk independent blocks; 0 on success. */
    int (*ecb)(int enc, const uint8_t key[16], uint8_t *out, const uint8_t *in, size_t nblk);
    /* cs1: AES-128-CBC-CTS in CS1 mode over len bytes; NULL when the library
     * has none (BoringSSL); 0 on success, -1 when the library refuses. */
    int (*cs1)(int enc, const uint8_t key[16], const uint8_t iv[16], uint8_t *out,
               const uint8_t *in, size_t len);
};

typedef const struct e2e_fuzz_oracle *(*e2e_fuzz_oracle_get_fn)(void);

#endif /* E2E_FUZZ_ORACLE_H */
