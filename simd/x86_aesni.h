/* x86_aesni.h — the AES-NI single-message kernels that x86_vaes512.c's
 * table reuses. Internal to simd/: never installed, never included by
 * engine/ (which reaches every kernel through the tables of impl.h).
 *
 * CBC encryption, CBC-MAC, the stitched CCM (bound by its CBC-MAC chain)
 * and key expansion are serial (one block, or one round key, depends on the
 * previous one), so a wider register buys them nothing: e2e_aes_impl_vaes512 points at these AES-NI functions instead of
 * carrying copies. Each is defined in x86_aesni.c with target("aes,sse4.1,
 * ssse3") and documented there; each sets its own E2E_HIT_AESNI_* flag. */
#ifndef E2E_SIMD_X86_AESNI_H
#define E2E_SIMD_X86_AESNI_H

#include "impl.h"

#if defined(__x86_64__)
void e2e_aesni_aes128_expand(e2e_aes_key *k, const uint8_t key[16]);
void e2e_aesni_aes128_cbc_enc(const e2e_aes_key *k, uint8_t iv[16], uint8_t *out,
                              const uint8_t *in, size_t nblk);
void e2e_aesni_aes128_cbcmac(const e2e_aes_key *k, uint8_t mac[16], const uint8_t *in,
                             size_t nblk);
void e2e_aesni_aes128_ccm(const e2e_aes_key *k, uint8_t ctr[16], uint8_t mac[16], uint8_t *out,
                          const uint8_t *in, size_t nblk, int open);
#endif

#endif /* E2E_SIMD_X86_AESNI_H */
