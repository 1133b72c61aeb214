/* impl.h — the implementation tables every kernel family fills in.
 *
 * The engine's mode logic (engine/cs1.c, ccm.c, hmac.c) is written once over
 * these tables. Each simd/ file exports only its table(s); the engine picks
 * one AES table and one SHA-256 table at e2e_engine_init and copies the
 * pointers into the caller's e2e_engine.
 *
 * Aliasing rule for every kernel with out and in: out == in is allowed, and
 * so is out < in with overlap (the engine's in-place open writes the plaintext
 * over the KI), so a kernel must read each input block before it writes the
 * output block at the same index and keep chaining values (CBC ciphertext) in
 * registers or locals, never re-read them from memory after a store.
 * No alignment is required of out, in, iv, ctr or mac.
 */
#ifndef E2E_SIMD_IMPL_H
#define E2E_SIMD_IMPL_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

/* e2e_aes_key is one expanded AES-128 key, in a layout every implementation
 * shares, so a key set built by one engine works with any other.
 *   enc: the FIPS 197 round keys w[0..43] as 11 blocks of 16 bytes, in the
 *        byte order of the cipher state (identical to AES-NI's layout).
 *   dec: the "equivalent inverse cipher" keys of FIPS 197 sec. 5.3.5:
 *        dec[0] = enc[10], dec[i] = InvMixColumns(enc[10 - i]) for i = 1..9,
 *        dec[10] = enc[0] (what AESDEC / AESD+AESIMC consume in order). */
typedef struct e2e_aes_key {
    alignas(16) uint8_t enc[11][16];
    alignas(16) uint8_t dec[11][16];
} e2e_aes_key;

/* struct e2e_aes_impl is one AES-128 kernel family. All lengths are in blocks
 * (nblk) except ctr32's len, which is in bytes. */
struct e2e_aes_impl {
    const char *name;  /* "portable", "aesni", ... */
    uint32_t needs;    /* E2E_CPU_* bits the family requires */
    /* expand fills k->enc and k->dec from a 16-byte key. */
    void (*expand)(e2e_aes_key *k, const uint8_t key[16]);
    /* ecb_enc / ecb_dec: nblk independent blocks. */
    void (*ecb_enc)(const e2e_aes_key *k, uint8_t *out, const uint8_t *in, size_t nblk);
    void (*ecb_dec)(const e2e_aes_key *k, uint8_t *out, const uint8_t *in, size_t nblk);
    /* cbc_enc / cbc_dec: CBC over nblk blocks; iv is updated to the last
     * ciphertext block so calls chain. */
    void (*cbc_enc)(const e2e_aes_key *k, uint8_t iv[16], uint8_t *out,
                    const uint8_t *in, size_t nblk);
    void (*cbc_dec)(const e2e_aes_key *k, uint8_t iv[16], uint8_t *out,
                    const uint8_t *in, size_t nblk);
    /* ctr32: out = in XOR keystream for len bytes (any len; a partial last
     * block uses the head of its keystream block). The counter block's last 4
     * bytes are a big-endian counter incremented once per block (mod 2^32);
     * on return ctr holds the next unused counter block. */
    void (*ctr32)(const e2e_aes_key *k, uint8_t ctr[16], uint8_t *out,
                  const uint8_t *in, size_t len);
    /* cbcmac: mac = E(mac XOR in[i]) for each of nblk blocks. */
    void (*cbcmac)(const e2e_aes_key *k, uint8_t mac[16], const uint8_t *in, size_t nblk);
};

/* struct e2e_sha_impl is one SHA-256 compression family. */
struct e2e_sha_impl {
    const char *name;  /* "portable", "shani", ... */
    uint32_t needs;
    /* blocks runs the FIPS 180-4 compression function over nblk 64-byte
     * blocks, updating state[8] (host-order words, H0..H7). */
    void (*blocks)(uint32_t state[8], const uint8_t *in, size_t nblk);
};

/* The tables. Those for another architecture are not linked. */
extern const struct e2e_aes_impl e2e_aes_impl_portable;
extern const struct e2e_sha_impl e2e_sha_impl_portable;
#if defined(__x86_64__) || defined(_M_X64)
extern const struct e2e_aes_impl e2e_aes_impl_aesni;
extern const struct e2e_sha_impl e2e_sha_impl_shani;
#endif

#endif /* E2E_SIMD_IMPL_H */
