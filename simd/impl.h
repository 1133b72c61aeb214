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
    /* ccm (NULL: none): CCM's CTR and CBC-MAC over nblk whole blocks in one
     * pass: out = in XOR keystream from ctr (ctr32's counting; ctr is left
     * at the next unused counter block) and mac = E(mac XOR p) for each
     * block, p being the output (open: the plaintext) when open is set, else
     * the input. The MAC's serial chain leaves the AES unit idle most of the
     * time; the keystream runs in that shadow. Aliasing as ctr32. */
    void (*ccm)(const e2e_aes_key *k, uint8_t ctr[16], uint8_t mac[16], uint8_t *out,
                const uint8_t *in, size_t nblk, int open);
};

struct e2e_hmac_msg;

/* struct e2e_sha_impl is one SHA-256 compression family. */
struct e2e_sha_impl {
    const char *name;  /* "portable", "shani", ... */
    uint32_t needs;
    /* blocks runs the FIPS 180-4 compression function over nblk 64-byte
     * blocks, updating state[8] (host-order words, H0..H7). */
    void (*blocks)(uint32_t state[8], const uint8_t *in, size_t nblk);
    /* cbc_hmac (NULL: none): CBC-encrypt nblk blocks of in to out under k,
     * chaining from iv (left at the last ciphertext block), while running
     * the whole HMAC m (struct e2e_hmac_msg below): the AES chain and the
     * SHA-256 chain of a single-message seal interleaved ("stitched"), each
     * in the other's latency shadow. out may equal in; m must not read
     * out. The table's needs include the AES extension (AES-NI, ARM AES)
     * where it has one. */
    void (*cbc_hmac)(const e2e_aes_key *k, uint8_t iv[16], uint8_t *out, const uint8_t *in,
                     size_t nblk, struct e2e_hmac_msg *m);
};

/* ---------------------------------------------------------------- lanes
 *
 * Multi-buffer kernels run one serial chain per lane, each lane a different
 * message (CBC encryption, CBC-MAC and SHA-256 are serial inside a message).
 * The scheduler (engine/batch.c) owns the lane structs (in the caller's
 * e2e_scratch), fills lanes, and calls a kernel for nblk blocks on EVERY lane
 * 0..lanes-1: it guarantees each lane's pointers cover nblk blocks (idle lanes
 * point at a dummy buffer in the scratch) and advances the pointers itself.
 * A kernel reads and writes only the lane struct and the lane buffers. */
#define E2E_LANES_MAX 16

/* struct e2e_aes_lanes: CBC encryption / CBC-MAC / CTR across up to 16 messages,
 * each with its own key. rk[r][lane] is lane's round key r (an e2e_aes_key
 * enc[r] copied in by the scheduler), so the round-r keys of lanes 4g..4g+3
 * are one contiguous, 64-byte aligned 512-bit row. */
struct e2e_aes_lanes {
    alignas(64) uint8_t rk[11][E2E_LANES_MAX][16];
    alignas(64) uint8_t iv[E2E_LANES_MAX][16];   /* chaining value / MAC, in-out */
    const uint8_t *in[E2E_LANES_MAX];             /* nblk blocks each */
    uint8_t *out[E2E_LANES_MAX];                  /* cbcenc only; may equal in */
    /* ccm only: the CBC-MAC chain, and the per-lane select mask and XOR
     * block that make its input (see ccm) */
    alignas(64) uint8_t mac[E2E_LANES_MAX][16];
    alignas(64) uint8_t sel[E2E_LANES_MAX][16];
    const uint8_t *mx[E2E_LANES_MAX];             /* one block each */
};

/* struct e2e_sha_lanes: SHA-256 across up to 16 messages. The state is
 * word-major: h[w][lane] is word Hw of lane (so one 512-bit row holds word w
 * of 16 lanes). */
struct e2e_sha_lanes {
    alignas(64) uint32_t h[8][E2E_LANES_MAX];
    const uint8_t *data[E2E_LANES_MAX];           /* nblk 64-byte blocks each */
    const uint32_t *outer[E2E_LANES_MAX];         /* hmac only: HMAC outer states */
};

/* struct e2e_aes_lane_impl is one multi-buffer AES family; lanes is how many
 * lanes each cbcenc/cbcmac call processes (4, 8 or 16). The scheduler uses
 * the single-message table instead when the engine has no lane family. */
struct e2e_aes_lane_impl {
    const char *name;      /* "vaes512", "aesni", "armce", ... */
    uint32_t needs;
    unsigned lanes;
    /* cbcenc: out[i] = CBC-encryption of in[i] under lane i's key, chaining
     * from iv[i]; iv[i] is left at the last ciphertext block. */
    void (*cbcenc)(struct e2e_aes_lanes *l, size_t nblk);
    /* cbcmac: iv[i] = E_i(iv[i] XOR in[i][b]) for each block b; no output. */
    void (*cbcmac)(struct e2e_aes_lanes *l, size_t nblk);
    /* expand_n: expand n <= 8 independent keys (continuous rotation brings a
     * new key per message); same output as e2e_aes_impl.expand. */
    void (*expand_n)(e2e_aes_key *const k[], const uint8_t *const key[], size_t n);
    /* ctr: out[i][b] = in[i][b] XOR E_i(iv[i]) for each block b, iv[i]'s
     * last 4 bytes counting up (big-endian, mod 2^32) after each block, so
     * iv[i] is left at the next unused counter block. The blocks are
     * independent; out[i] <= in[i] with overlap is allowed. NULL: the
     * scheduler runs CTR per message on the single-message table. */
    void (*ctr)(struct e2e_aes_lanes *l, size_t nblk);
    /* ccm: CCM's CTR and CBC-MAC in one pass. For each block b of each
     * lane i: o = in[i][b] XOR E_i(iv[i]) (iv[i] counting as in ctr) is
     * stored to out[i][b], then mac[i] = E_i(mac[i] XOR m) with
     * m = ((o AND sel[i]) OR (in[i][b] AND NOT sel[i])) XOR mx[i]: sel all
     * ones MACs the CTR output (open: the plaintext just decrypted), all
     * zeros the input (seal: the plaintext), a prefix mask the first bytes
     * of the output and the rest of the input (open's zero-padded last
     * block); the block at mx[i] (zeros but for a first block: input XOR
     * B0) turns the input into B0. Aliasing as ctr. NULL: separate ctr and cbcmac passes. */
    void (*ccm)(struct e2e_aes_lanes *l, size_t nblk);
};

/* struct e2e_hmac_msg is one whole HMAC-SHA256 for hmac_msgs: the inner
 * hash runs from state inner over seg[0], seg[1] and seg[2] in that order
 * (nblk[s] 64-byte blocks at in[s]; any nblk may be 0, the sum may not),
 * already padded; the outer hash runs from state outer over the inner
 * digest and its padding. h receives the HMAC (host-order words). When copy
 * is not NULL, seg[1]'s blocks are also written there as they are hashed
 * (copy == in[1], or copy < in[1] with overlap, is allowed: each block is
 * read before it is written). */
struct e2e_hmac_msg {
    const uint32_t *inner, *outer;  /* 8 host-order words each */
    const uint8_t *in[3];
    size_t nblk[3];
    uint8_t *copy;
    uint32_t h[8];
};

/* struct e2e_sha_lane_impl is one multi-buffer SHA-256 family. */
struct e2e_sha_lane_impl {
    const char *name;      /* "avx512", "avx2", "shani", "armce", ... */
    uint32_t needs;
    unsigned lanes;        /* 16, 8, 2 ... */
    /* blocks: compress nblk blocks of data[i] into h[.][i] for lanes
     * 0..lanes-1. */
    void (*blocks)(struct e2e_sha_lanes *l, size_t nblk);
    /* hmac: blocks, then HMAC-SHA256's outer hash on every lane: h[.][i] =
     * the compression under outer[i] (8 host-order words, the state after
     * the opad block) of the block h[.][i] (big-endian) || 0x80 || 0 ||
     * the 64-bit length 768. NULL: the scheduler builds that block itself
     * and calls blocks again. */
    void (*hmac)(struct e2e_sha_lanes *l, size_t nblk);
    /* hmac_msgs: n whole HMACs (struct e2e_hmac_msg), each from its first
     * block to its digest in one call, for families whose streams need not
     * run in lockstep (SHA-NI pairs); NULL: the scheduler drives blocks /
     * hmac. */
    void (*hmac_msgs)(struct e2e_hmac_msg *m, size_t n);
};

/* Dispatch-hit flags (as BoringSSL's impl_dispatch_test): in a build with
 * E2E_DISPATCH_TEST defined (a separate test copy of the engine, never the
 * shipped one: a global store on the hot path would bounce cache lines between
 * threads), every kernel entry sets its flag, so a test proves which kernel
 * actually ran. */
enum e2e_hit {
    E2E_HIT_AESNI_EXPAND, E2E_HIT_AESNI_ECB, E2E_HIT_AESNI_CBCENC, E2E_HIT_AESNI_CBCDEC,
    E2E_HIT_AESNI_CTR, E2E_HIT_AESNI_CBCMAC, E2E_HIT_SHANI_BLOCKS,
    E2E_HIT_VAES512_CBCENC_X16, E2E_HIT_VAES512_CBCMAC_X16, E2E_HIT_VAES512_EXPAND_N,
    E2E_HIT_AESNI_CBCENC_X8, E2E_HIT_AESNI_CBCMAC_X8, E2E_HIT_AESNI_EXPAND_N,
    E2E_HIT_AVX512_SHA256_X16, E2E_HIT_AVX2_SHA256_X8, E2E_HIT_SHANI_SHA256_X2,
    E2E_HIT_ARMCE_AES, E2E_HIT_ARMCE_SHA256, E2E_HIT_ARMCE_CBCENC_LANES,
    E2E_HIT_ARMCE_SHA256_LANES,
    E2E_HIT_PORTABLE_AES, E2E_HIT_PORTABLE_SHA256,
    E2E_HIT_VAES512_CTR_X16, E2E_HIT_AESNI_CTR_X8, E2E_HIT_SHANI_SHA256_X16,
    E2E_HIT_SHANI_HMAC_MSGS, E2E_HIT_VAES512_CCM_X16, E2E_HIT_SHANI_AESNI_CBC_HMAC,
    E2E_HIT_AESNI_CCM,
    E2E_HIT_VAES512_ECB, E2E_HIT_VAES512_CBCDEC, E2E_HIT_VAES512_CTR,
    E2E_HIT_ARMCE_HMAC_MSGS, E2E_HIT_ARMCE_CBC_HMAC, E2E_HIT_ARMCE_CCM,
    E2E_HIT_ARMCE_CCM_LANES,
    E2E_HIT_COUNT
};
#ifdef E2E_DISPATCH_TEST
extern unsigned char e2e_dispatch_hit[E2E_HIT_COUNT];
#define E2E_HIT(i) (e2e_dispatch_hit[(i)] = 1)
#else
#define E2E_HIT(i) ((void)0)
#endif

/* The tables. Those for another architecture are not linked. */
extern const struct e2e_aes_impl e2e_aes_impl_portable;
extern const struct e2e_sha_impl e2e_sha_impl_portable;
#if defined(__x86_64__) || defined(_M_X64)
extern const struct e2e_aes_impl e2e_aes_impl_aesni;
extern const struct e2e_aes_impl e2e_aes_impl_vaes512;            /* zmm ECB, CBC-dec, CTR */
extern const struct e2e_sha_impl e2e_sha_impl_shani;
extern const struct e2e_sha_impl e2e_sha_impl_shani_aes;          /* + AES-NI: cbc_hmac */
extern const struct e2e_aes_lane_impl e2e_aes_lane_impl_aesni;    /* 8 xmm lanes */
extern const struct e2e_aes_lane_impl e2e_aes_lane_impl_vaes512;  /* 16 lanes, 4 per zmm */
extern const struct e2e_sha_lane_impl e2e_sha_lane_impl_avx512;   /* 16 lanes */
extern const struct e2e_sha_lane_impl e2e_sha_lane_impl_avx2;     /* 8 lanes */
extern const struct e2e_sha_lane_impl e2e_sha_lane_impl_shani;    /* 2 streams */
extern const struct e2e_sha_lane_impl e2e_sha_lane_impl_shani16;  /* 8 pairs of 2 */
#endif
#if defined(__aarch64__)
extern const struct e2e_aes_impl e2e_aes_impl_armce;
extern const struct e2e_sha_impl e2e_sha_impl_armce;
extern const struct e2e_sha_impl e2e_sha_impl_armce_aes;          /* + ARM AES: cbc_hmac */
extern const struct e2e_aes_lane_impl e2e_aes_lane_impl_armce;
extern const struct e2e_sha_lane_impl e2e_sha_lane_impl_armce;
#endif

#endif /* E2E_SIMD_IMPL_H */
