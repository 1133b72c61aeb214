/* ccm.c — AES-128-CCM (NIST SP 800-38C, RFC 3610), written once over the
 * engine's AES table.
 *
 * Implementation notes:
 *  - Parameters (SP 800-38C sec. 5.4, A.1): nonce n = 7..13 bytes, length
 *    field q = 15 - n bytes, tag t = 4, 6, .., 16 bytes.
 *  - B0 = flags || N || [plen]_q with flags = 64*Adata + 8*((t-2)/2) + (q-1)
 *    (A.2.1). AAD, if any, is prefixed by its encoded length: 2 bytes below
 *    2^16 - 2^8, else 0xfffe + 4 bytes, else 0xffff + 8 bytes (A.2.2), and
 *    zero-padded to a block; the payload is zero-padded to a block (A.2.3).
 *  - Counter blocks Ctr_i = (q-1) || N || [i]_q (A.3); S0 = E(Ctr0) masks the
 *    tag, Ctr1.. encrypt the payload. The engine's CTR kernel increments the
 *    last 32 bits; plen < 2^(8q) keeps the count inside the q-byte field, and
 *    payloads are capped below 2^36 bytes so the 32-bit counter never wraps.
 *  - The thingstream wire format has no AAD; the AAD path exists so the
 *    standards' vectors run unchanged.
 *  - Open decrypts, then MACs the plaintext, then compares the tag in
 *    constant time; on mismatch the plaintext is wiped before returning.
 *    Where the AES table stitches CTR with CBC-MAC (aes->ccm) the two run
 *    block by block in one pass (the keystream in the MAC chain's latency
 *    shadow); plaintext still reaches the caller only after the check.
 *  - Aliasing: seal needs out disjoint from pt; open allows out <= ct. */
#include <string.h>

#include "ct.h"
#include "internal.h"

#define CCM_MAX_PAYLOAD (((uint64_t)1 << 36) - 32)

e2e_status e2e_ccm_check(size_t nonce_len, size_t tag_len, size_t plen)
{
    if (nonce_len < 7 || nonce_len > 13)
        return E2E_ERR_UNSUPPORTED;
    if (tag_len < 4 || tag_len > 16 || (tag_len & 1))
        return E2E_ERR_UNSUPPORTED;
    size_t q = 15 - nonce_len;
    if ((uint64_t)plen > CCM_MAX_PAYLOAD)
        return E2E_ERR_MALFORMED;
    if (q < 8 && (uint64_t)plen >= ((uint64_t)1 << (8 * q)))
        return E2E_ERR_MALFORMED;
    return E2E_OK;
}

/* b0 writes B0 = flags || N || [plen]_q (A.2.1). */
static void b0(uint8_t blk[16], const uint8_t *nonce, size_t nonce_len, size_t tag_len,
               size_t aad_len, size_t plen)
{
    size_t q = 15 - nonce_len;
    blk[0] = (uint8_t)((aad_len ? 64 : 0) | (((tag_len - 2) / 2) << 3) | (q - 1));
    memcpy(blk + 1, nonce, nonce_len);
    uint64_t pl = plen;
    for (size_t i = 0; i < q; i++) {
        blk[15 - i] = (uint8_t)pl;
        pl = q > 8 ? 0 : pl >> 8;
    }
}

/* ccm_mac computes the CBC-MAC Y_r over B0, the encoded AAD and pt. */
static void ccm_mac(const struct e2e_aes_impl *aes, const e2e_aes_key *k, uint8_t mac[16],
                    const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t plen)
{
    uint8_t blk[16];
    memset(mac, 0, 16);
    b0(blk, nonce, nonce_len, tag_len, aad_len, plen);
    aes->cbcmac(k, mac, blk, 1);

    if (aad_len) {
        size_t h;
        uint64_t a = aad_len;
        memset(blk, 0, sizeof blk);
        if (a < 0xff00) {
            blk[0] = (uint8_t)(a >> 8);
            blk[1] = (uint8_t)a;
            h = 2;
        } else if (a <= 0xffffffffu) {
            blk[0] = 0xff;
            blk[1] = 0xfe;
            for (int i = 0; i < 4; i++)
                blk[2 + i] = (uint8_t)(a >> (24 - 8 * i));
            h = 6;
        } else {
            blk[0] = 0xff;
            blk[1] = 0xff;
            for (int i = 0; i < 8; i++)
                blk[2 + i] = (uint8_t)(a >> (56 - 8 * i));
            h = 10;
        }
        size_t first = aad_len < 16 - h ? aad_len : 16 - h;
        memcpy(blk + h, aad, first);
        aes->cbcmac(k, mac, blk, 1);
        const uint8_t *rest = aad + first;
        size_t rlen = aad_len - first;
        if (rlen >= 16)
            aes->cbcmac(k, mac, rest, rlen / 16);
        if (rlen % 16) {
            memset(blk, 0, sizeof blk);
            memcpy(blk, rest + (rlen & ~(size_t)15), rlen % 16);
            aes->cbcmac(k, mac, blk, 1);
        }
    }
    if (plen >= 16)
        aes->cbcmac(k, mac, pt, plen / 16);
    if (plen % 16) {
        memset(blk, 0, sizeof blk);
        memcpy(blk, pt + (plen & ~(size_t)15), plen % 16);
        aes->cbcmac(k, mac, blk, 1);
    }
    e2e_wipe(blk, sizeof blk);
}

/* ctr0 writes the counter block Ctr_0 = (q-1) || N || 0^q. */
static void ctr0(uint8_t ctr[16], const uint8_t *nonce, size_t nonce_len)
{
    memset(ctr, 0, 16);
    ctr[0] = (uint8_t)(15 - nonce_len - 1);
    memcpy(ctr + 1, nonce, nonce_len);
}

/* Short payloads without AAD (the wire format's case) take one ecb_enc call
 * over Ctr0, B0, Ctr1..Ctrn: S0, the first CBC-MAC state E(B0) and the
 * whole keystream are independent blocks, so they run pipelined instead of
 * as three dependent calls, and only the payload blocks stay on the MAC's
 * serial chain. SHORT_BLOCKS payload blocks fill one 8-block ECB step. */
#define SHORT_BLOCKS 6

/* ccm_short_ks fills ks[0..16) = S0, ks[16..32) = E(B0) and ks[32..) the
 * keystream for a plen-byte payload (plen <= 16 * SHORT_BLOCKS). */
#define KS_S0 0
#define KS_MAC 16
#define KS_STREAM 32
static void ccm_short_ks(const struct e2e_aes_impl *aes, const e2e_aes_key *k,
                         uint8_t ks[16 * (2 + SHORT_BLOCKS)], const uint8_t *nonce,
                         size_t nonce_len, size_t tag_len, size_t plen)
{
    uint8_t blk[2 + SHORT_BLOCKS][16];
    size_t n = (plen + 15) / 16, q = 15 - nonce_len;
    ctr0(blk[0], nonce, nonce_len);
    blk[1][0] = (uint8_t)((((tag_len - 2) / 2) << 3) | (q - 1));
    memcpy(blk[1] + 1, nonce, nonce_len);
    memset(blk[1] + 1 + nonce_len, 0, q);
    blk[1][15] = (uint8_t)plen;  /* [plen]_q: plen <= 96 fits its last byte */
    for (size_t i = 0; i < n; i++) {
        memcpy(blk[2 + i], blk[0], 16);
        blk[2 + i][15] = (uint8_t)(1 + i);
    }
    aes->ecb_enc(k, ks, blk[0], 2 + n);
    e2e_wipe(blk, sizeof blk);
}

/* ccm_short_mac continues the CBC-MAC from mac = E(B0) over pt (zero-padded). */
static void ccm_short_mac(const struct e2e_aes_impl *aes, const e2e_aes_key *k,
                          uint8_t mac[16], const uint8_t *pt, size_t plen)
{
    if (plen >= 16)
        aes->cbcmac(k, mac, pt, plen / 16);
    if (plen % 16) {
        uint8_t blk[16] = {0};
        memcpy(blk, pt + (plen & ~(size_t)15), plen % 16);
        aes->cbcmac(k, mac, blk, 1);
        e2e_wipe(blk, sizeof blk);
    }
}

/* ccm_stitched runs a payload without AAD on the table's stitched CTR +
 * CBC-MAC (aes->ccm): S0 and E(B0) in one ECB call, the whole blocks in one
 * pass, the partial last block with ctr32 and cbcmac. On return mac holds
 * the tag XOR'd with S0 (CCM's T), in tag_len bytes. */
static void ccm_stitched(const struct e2e_aes_impl *aes, const e2e_aes_key *k, uint8_t mac[16],
                         const uint8_t *nonce, size_t nonce_len, size_t tag_len, uint8_t *out,
                         const uint8_t *in, size_t plen, int open)
{
    uint8_t blk[2][16], s[2][16];
    size_t whole = plen & ~(size_t)15, r = plen & 15;
    ctr0(blk[0], nonce, nonce_len);
    b0(blk[1], nonce, nonce_len, tag_len, 0, plen);
    aes->ecb_enc(k, s[0], blk[0], 2);      /* S0, E(B0) */
    memcpy(mac, s[1], 16);
    blk[0][15] = 1;                         /* Ctr1 */
    aes->ccm(k, blk[0], mac, out, in, whole / 16, open);
    if (r) {
        memset(blk[1], 0, 16);
        if (open) {
            aes->ctr32(k, blk[0], out + whole, in + whole, r);
            memcpy(blk[1], out + whole, r);
        } else {
            memcpy(blk[1], in + whole, r);
            aes->ctr32(k, blk[0], out + whole, in + whole, r);
        }
        aes->cbcmac(k, mac, blk[1], 1);
    }
    for (size_t i = 0; i < tag_len; i++)
        mac[i] ^= s[0][i];
    e2e_wipe(blk, sizeof blk);
    e2e_wipe(s, sizeof s);
}

e2e_status e2e_ccm_seal(const e2e_engine *eng, const e2e_aes_key *k,
                        const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                        uint8_t *out, const uint8_t *aad, size_t aad_len,
                        const uint8_t *pt, size_t pt_len)
{
    e2e_status st = e2e_ccm_check(nonce_len, tag_len, pt_len);
    if (st != E2E_OK)
        return st;
    const struct e2e_aes_impl *aes = e2e_aes_of(eng);
    if (aad_len == 0 && pt_len <= 16 * SHORT_BLOCKS) {
        uint8_t ks[16 * (2 + SHORT_BLOCKS)];
        ccm_short_ks(aes, k, ks, nonce, nonce_len, tag_len, pt_len);
        ccm_short_mac(aes, k, ks + KS_MAC, pt, pt_len);
        for (size_t i = 0; i < pt_len; i++)
            out[i] = pt[i] ^ ks[KS_STREAM + i];
        for (size_t i = 0; i < tag_len; i++)
            out[pt_len + i] = ks[KS_MAC + i] ^ ks[KS_S0 + i];
        e2e_wipe(ks, sizeof ks);
        return E2E_OK;
    }
    uint8_t mac[16], ctr[16], s0[16];
    if (aad_len == 0 && aes->ccm != NULL) {
        ccm_stitched(aes, k, mac, nonce, nonce_len, tag_len, out, pt, pt_len, 0);
        memcpy(out + pt_len, mac, tag_len);
        e2e_wipe(mac, sizeof mac);
        return E2E_OK;
    }
    ccm_mac(aes, k, mac, nonce, nonce_len, tag_len, aad, aad_len, pt, pt_len);
    ctr0(ctr, nonce, nonce_len);
    aes->ecb_enc(k, s0, ctr, 1);
    ctr[15] = 1;
    aes->ctr32(k, ctr, out, pt, pt_len);
    for (size_t i = 0; i < tag_len; i++)
        out[pt_len + i] = mac[i] ^ s0[i];
    e2e_wipe(mac, sizeof mac);
    e2e_wipe(s0, sizeof s0);
    e2e_wipe(ctr, sizeof ctr);
    return E2E_OK;
}

e2e_status e2e_ccm_open(const e2e_engine *eng, const e2e_aes_key *k,
                        const uint8_t *nonce, size_t nonce_len, size_t tag_len,
                        uint8_t *out, const uint8_t *aad, size_t aad_len,
                        const uint8_t *ct, size_t ct_len)
{
    if (ct_len < tag_len)
        return tag_len >= 4 && tag_len <= 16 && !(tag_len & 1) ? E2E_ERR_MALFORMED
                                                               : E2E_ERR_UNSUPPORTED;
    size_t plen = ct_len - tag_len;
    e2e_status st = e2e_ccm_check(nonce_len, tag_len, plen);
    if (st != E2E_OK)
        return st;
    const struct e2e_aes_impl *aes = e2e_aes_of(eng);
    uint8_t mac[16], ctr[16], s0[16], tag[16];
    memcpy(tag, ct + plen, tag_len);  /* before out (<= ct) can overwrite it */
    if (aad_len == 0 && plen <= 16 * SHORT_BLOCKS) {
        uint8_t ks[16 * (2 + SHORT_BLOCKS)];
        ccm_short_ks(aes, k, ks, nonce, nonce_len, tag_len, plen);
        for (size_t i = 0; i < plen; i++)
            out[i] = ct[i] ^ ks[KS_STREAM + i];  /* forward: out <= ct stays safe */
        ccm_short_mac(aes, k, ks + KS_MAC, out, plen);
        for (size_t i = 0; i < tag_len; i++)
            ks[KS_MAC + i] ^= ks[KS_S0 + i];
        int ok = e2e_ct_verify(ks + KS_MAC, tag, tag_len);
        e2e_wipe(ks, sizeof ks);
        e2e_wipe(tag, sizeof tag);
        if (!ok) {
            e2e_wipe(out, plen);
            return E2E_ERR_AUTH;
        }
        return E2E_OK;
    }
    if (aad_len == 0 && aes->ccm != NULL) {
        ccm_stitched(aes, k, mac, nonce, nonce_len, tag_len, out, ct, plen, 1);
    } else {
        ctr0(ctr, nonce, nonce_len);
        aes->ecb_enc(k, s0, ctr, 1);
        ctr[15] = 1;
        aes->ctr32(k, ctr, out, ct, plen);
        ccm_mac(aes, k, mac, nonce, nonce_len, tag_len, aad, aad_len, out, plen);
        for (size_t i = 0; i < tag_len; i++)
            mac[i] ^= s0[i];
    }
    int ok = e2e_ct_verify(mac, tag, tag_len);
    e2e_wipe(mac, sizeof mac);
    e2e_wipe(s0, sizeof s0);
    e2e_wipe(ctr, sizeof ctr);
    if (!ok) {
        e2e_wipe(out, plen);
        return E2E_ERR_AUTH;
    }
    return E2E_OK;
}
