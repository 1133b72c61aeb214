/* internal.h — private declarations of the engine. Never installed.
 * Tests and fuzz targets in this tree include it to reach the raw primitives
 * (CS1, CCM with AAD, SHA-256, HMAC) of each implementation. */
#ifndef E2E_INTERNAL_H
#define E2E_INTERNAL_H

#include <string.h>

#include "e2ecrypt.h"
#include "../simd/impl.h"

/* ---------------------------------------------------------------- engine */

/* struct engine_impl is what an e2e_engine holds: the chosen tables. */
struct engine_impl {
    uint32_t magic;
    uint32_t features;              /* e2e_cpu_features() & allow_mask */
    const struct e2e_aes_impl *aes;
    const struct e2e_sha_impl *sha;
    const struct e2e_aes_lane_impl *aes_lanes;  /* widest; NULL: one lane on aes */
    const struct e2e_aes_lane_impl *aes_narrow; /* for fewer messages; may be NULL */
    const struct e2e_sha_lane_impl *sha_lanes;  /* widest; NULL: one lane on sha */
    const struct e2e_sha_lane_impl *sha_narrow; /* for fewer messages; may be NULL */
    char name[48];                  /* "aesni+shani", "portable", ... */
};
#define E2E_ENGINE_MAGIC 0x45324545u /* "E2EE" */

/* e2e_engine_impl returns the tables of eng, or NULL if eng was not
 * initialised. */
const struct engine_impl *e2e_engine_impl(const e2e_engine *eng);
/* e2e_aes_of / e2e_sha_of return eng's tables (the portable ones when eng is
 * NULL or not initialised, so internal callers always have a table). */
const struct e2e_aes_impl *e2e_aes_of(const e2e_engine *eng);
const struct e2e_sha_impl *e2e_sha_of(const e2e_engine *eng);

/* ---------------------------------------------------------------- SHA-256 / HMAC */

typedef struct e2e_sha256_ctx {
    uint32_t h[8];
    uint64_t total;     /* bytes hashed so far */
    uint8_t buf[64];
    size_t fill;
    void (*blocks)(uint32_t state[8], const uint8_t *in, size_t nblk);
} e2e_sha256_ctx;

/* e2e_sha256_* hash with the SHA implementation of eng (FIPS 180-4). */
void e2e_sha256_init(e2e_sha256_ctx *c, const e2e_engine *eng);
void e2e_sha256_update(e2e_sha256_ctx *c, const uint8_t *in, size_t len);
void e2e_sha256_final(e2e_sha256_ctx *c, uint8_t out[32]);
void e2e_sha256(const e2e_engine *eng, uint8_t out[32], const uint8_t *in, size_t len);

/* e2e_hmac_key holds the HMAC-SHA256 states after the ipad and opad blocks
 * (RFC 2104), so a message costs two fewer compressions. */
typedef struct e2e_hmac_key {
    uint32_t inner[8];
    uint32_t outer[8];
} e2e_hmac_key;

/* e2e_hmac_sha256_key derives hk from key (any length; > 64 bytes is hashed
 * first, per RFC 2104). */
void e2e_hmac_sha256_key(const e2e_engine *eng, e2e_hmac_key *hk,
                         const uint8_t *key, size_t key_len);
/* e2e_hmac_sha256 computes HMAC-SHA256(key, prefix || msg) into out. Either
 * part may be empty. */
void e2e_hmac_sha256(const e2e_engine *eng, const e2e_hmac_key *hk, uint8_t out[32],
                     const uint8_t *prefix, size_t prefix_len,
                     const uint8_t *msg, size_t msg_len);

/* e2e_hmac_msgs_of returns the engine's whole-HMAC kernel (struct
 * e2e_sha_lane_impl.hmac_msgs of its wide, else narrow, SHA lane family), or
 * NULL. */
void (*e2e_hmac_msgs_of(const struct engine_impl *impl))(struct e2e_hmac_msg *, size_t);
/* e2e_hmac_msg_layout describes HMAC(hk, prefix || msg), prefix_len <= 64,
 * for hmac_msgs in m: a head block in head (the prefix and the first
 * 64 - prefix_len bytes of msg) when prefix || msg fills one, msg's next
 * whole blocks in place (m->in[1]), and the rest with SHA-256's padding in
 * tail (1 or 2 blocks). m->copy is NULL. Inline: it is on the batch
 * scheduler's per-message path. */
static inline void e2e_hmac_msg_layout(struct e2e_hmac_msg *m, uint8_t head[64],
                                       uint8_t tail[128], const e2e_hmac_key *hk,
                                       const uint8_t *prefix, size_t prefix_len,
                                       const uint8_t *msg, size_t msg_len)
{
    size_t total = prefix_len + msg_len, rest;
    m->inner = hk->inner;
    m->outer = hk->outer;
    m->nblk[0] = m->nblk[1] = 0;
    m->in[0] = m->in[1] = tail;
    m->copy = NULL;
    if (total >= 64) {
        size_t h = 64 - prefix_len, after = msg_len - h;
        if (prefix_len)
            memcpy(head, prefix, prefix_len);
        if (h)
            memcpy(head + prefix_len, msg, h);
        m->in[0] = head;
        m->nblk[0] = 1;
        m->in[1] = msg + h;
        m->nblk[1] = after / 64;
        rest = after & 63;
        if (rest)
            memcpy(tail, msg + h + (after & ~(size_t)63), rest);
    } else {
        if (prefix_len)
            memcpy(tail, prefix, prefix_len);
        if (msg_len)
            memcpy(tail + prefix_len, msg, msg_len);
        rest = total;
    }
    size_t tblk = rest + 9 <= 64 ? 1 : 2;
    memset(tail + rest, 0, 64 * tblk - rest);
    tail[rest] = 0x80;
    uint64_t bits = (uint64_t)(64 + total) * 8;  /* the key block, then the data */
    for (int i = 0; i < 8; i++)
        tail[64 * tblk - 8 + i] = (uint8_t)(bits >> (56 - 8 * i));
    m->in[2] = tail;
    m->nblk[2] = tblk;
}

/* ---------------------------------------------------------------- AES modes */

/* e2e_aes128_key_init expands key with eng's AES implementation. */
void e2e_aes128_key_init(const e2e_engine *eng, e2e_aes_key *k, const uint8_t key[16]);

/* e2e_cs1_encrypt encrypts len >= 16 bytes with AES-128-CBC-CS1 (SP 800-38A
 * addendum): CBC with the last block zero-padded, and the partial
 * second-to-last ciphertext block truncated to the tail's length. out may
 * equal in. E2E_ERR_MALFORMED if len < 16. */
e2e_status e2e_cs1_encrypt(const e2e_engine *eng, const e2e_aes_key *k,
                           const uint8_t iv[16], uint8_t *out,
                           const uint8_t *in, size_t len);
/* e2e_cs1_decrypt inverts e2e_cs1_encrypt; out may equal in or sit before it
 * (out <= in). E2E_ERR_MALFORMED if len < 16. */
e2e_status e2e_cs1_decrypt(const e2e_engine *eng, const e2e_aes_key *k,
                           const uint8_t iv[16], uint8_t *out,
                           const uint8_t *in, size_t len);

/* e2e_ccm_seal writes CCM(pt) || tag (pt_len + tag_len bytes) to out per
 * SP 800-38C with the given AAD. nonce_len 7..13, tag_len 4..16 even.
 * E2E_ERR_UNSUPPORTED for other lengths; E2E_ERR_MALFORMED if pt_len does
 * not fit the 15 - nonce_len byte length field. out must not overlap pt. */
e2e_status e2e_ccm_seal(const e2e_engine *eng, const e2e_aes_key *k,
                        const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                        uint8_t *out, const uint8_t *aad, size_t aad_len,
                        const uint8_t *pt, size_t pt_len);
/* e2e_ccm_open verifies and decrypts ct_len bytes (ciphertext || tag) into
 * out (ct_len - tag_len bytes; out <= ct allowed). E2E_ERR_MALFORMED if
 * ct_len < tag_len or too long for the nonce; E2E_ERR_AUTH on a bad tag,
 * with out wiped. */
e2e_status e2e_ccm_open(const e2e_engine *eng, const e2e_aes_key *k,
                        const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                        uint8_t *out, const uint8_t *aad, size_t aad_len,
                        const uint8_t *ct, size_t ct_len);

/* e2e_ccm_check: E2E_OK when nonce_len, tag_len and a plen-byte payload are
 * allowed (see e2e_ccm_seal), else E2E_ERR_UNSUPPORTED / E2E_ERR_MALFORMED. */
e2e_status e2e_ccm_check(size_t nonce_len, size_t tag_len, size_t plen);

/* ---------------------------------------------------------------- key set */

struct keyset_impl {
    uint32_t magic;
    uint32_t suite;          /* e2e_suite */
    uint8_t tag_len;
    uint8_t ki_len;
    uint8_t kiv_len;
    uint8_t iv_len;          /* 16 for CS1, nonce length for CCM, 0 for HMAC */
    uint8_t ki[E2E_KI_MAX];
    uint8_t iv[16];
    uint8_t kiv[E2E_KIV_MAX];
    uint8_t ccm_ctr0[16];    /* CCM: Ctr0 = (q-1) || N || 0 (SP 800-38C A.3) */
    uint8_t ccm_b0[16];      /* CCM: B0 with a zero length field (A.2.1, no AAD) */
    e2e_aes_key aes;
    e2e_hmac_key hmac;
};
#define E2E_KEYSET_MAGIC 0x4b455953u /* "KEYS" */

/* e2e_keyset_impl returns ks's contents, or NULL if ks is not initialised. */
const struct keyset_impl *e2e_keyset_impl(const e2e_keyset *ks);

/* ---------------------------------------------------------------- wire */

/* struct e2e_wire is one message that passed every check needing no crypto. */
struct e2e_wire {
    const struct keyset_impl *k;
    const uint8_t *in;   /* open: the body after the KI; seal: the plaintext */
    size_t in_len;
    size_t plen;         /* plaintext length */
    uint8_t *out;        /* open: where the plaintext goes; seal: the body
                            (after the KI, already written) */
    size_t wipe_len;     /* bytes of the caller's buffer to wipe on failure;
                            for seal also the wire length */
};

/* e2e_open_prepare checks an open call (parameters, KI nibble, minimum and
 * maximum body length for the suite) and fills w. On failure the output is
 * wiped as e2e_open documents. */
e2e_status e2e_open_prepare(struct e2e_wire *w, const e2e_engine *eng, const e2e_keyset *ks,
                            uint8_t *out, size_t out_cap, const uint8_t *msg, size_t msg_len);
/* e2e_seal_prepare checks a seal call, writes the KI and fills w. */
e2e_status e2e_seal_prepare(struct e2e_wire *w, const e2e_engine *eng, const e2e_keyset *ks,
                            uint8_t *out, size_t out_cap, const uint8_t *pt, size_t pt_len);

#endif /* E2E_INTERNAL_H */
