/* wire.c — the Thingstream wire formats: validate, open and seal one message.
 *
 * Implementation notes (the seed: u-blox E2E Data Protection):
 *  - AES_128_CCM / AES_128_CCM_8:  KI || CCM(EncKey, Nonce, P) || tag, no AAD.
 *  - AES_128_CS1_HMAC_SHA256:      KI || CBC-CS1(EncKey, AESIV, P || T).
 *  - HMAC_SHA256:                  KI || P || T.
 *    T = MSB_tag_len(HMAC-SHA256(AuthKey, KIV || P)); the HMAC always covers
 *    the key set's KIV, not the KI read from the wire.
 *  - The KI's length comes from its top nibble (ki.c); the key set's suite,
 *    not the nibble, picks the algorithm (the seed's downlink example pairs a
 *    16-byte KIV with CS1+HMAC).
 *  - A body below the suite's minimum (the tag for CCM and HMAC, 16 bytes for
 *    CS1) is malformed; every other failed check is auth_failed.
 *  - e2e_open_prepare / e2e_seal_prepare do every check that needs no crypto,
 *    shared by the single-message calls here and the batch scheduler.
 *  - Everything derived from keys, plaintext or tags is handled without
 *    branches; the tag compare is constant time; on failure the output is
 *    wiped and *out_len is 0 (house rule 1). */
#include <string.h>

#include "ct.h"
#include "internal.h"

e2e_status e2e_open_prepare(struct e2e_wire *w, const e2e_engine *eng, const e2e_keyset *ks,
                            uint8_t *out, size_t out_cap, const uint8_t *msg, size_t msg_len)
{
    memset(w, 0, sizeof *w);
    const struct keyset_impl *k = e2e_keyset_impl(ks);
    if (k == NULL || e2e_engine_impl(eng) == NULL || out == NULL || out_cap < msg_len ||
        (msg == NULL && msg_len != 0)) {
        if (out != NULL)
            e2e_wipe(out, out_cap < msg_len ? out_cap : msg_len);
        return E2E_ERR_PARAM;
    }
    size_t ki_len;
    e2e_rotation rot;
    e2e_status st = e2e_ki_decode(&ki_len, &rot, msg, msg_len);
    size_t blen = msg_len - ki_len, t = k->tag_len;
    if (st == E2E_OK) {
        switch (k->suite) {
        case E2E_SUITE_AES_128_CCM:
        case E2E_SUITE_AES_128_CCM_8:
            st = blen < t ? E2E_ERR_MALFORMED : e2e_ccm_check(k->iv_len, t, blen - t);
            break;
        case E2E_SUITE_AES_128_CS1_HMAC_SHA256:
            st = blen < 16 || blen < t ? E2E_ERR_MALFORMED : E2E_OK;
            break;
        case E2E_SUITE_HMAC_SHA256:
            st = blen < t ? E2E_ERR_MALFORMED : E2E_OK;
            break;
        default:
            st = E2E_ERR_UNSUPPORTED;
        }
    }
    if (st != E2E_OK) {
        e2e_wipe(out, msg_len);
        return st;
    }
    w->k = k;
    w->in = msg + ki_len;
    w->in_len = blen;
    w->plen = blen - t;
    w->out = out;
    w->wipe_len = msg_len;
    return E2E_OK;
}

e2e_status e2e_seal_prepare(struct e2e_wire *w, const e2e_engine *eng, const e2e_keyset *ks,
                            uint8_t *out, size_t out_cap, const uint8_t *pt, size_t pt_len)
{
    memset(w, 0, sizeof *w);
    const struct keyset_impl *k = e2e_keyset_impl(ks);
    size_t need = k ? k->ki_len + pt_len + k->tag_len : 0;
    if (k == NULL || e2e_engine_impl(eng) == NULL || out == NULL || out_cap < need ||
        (pt == NULL && pt_len != 0)) {
        if (out != NULL)
            e2e_wipe(out, out_cap < need ? out_cap : need);
        return E2E_ERR_PARAM;
    }
    e2e_status st = E2E_OK;
    if (k->ki_len == 0)
        st = E2E_ERR_UNSUPPORTED;  /* no KI to write: neither given nor a valid KIV */
    else if (k->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256 && pt_len + k->tag_len < 16)
        st = E2E_ERR_MALFORMED;    /* CS1 needs P || T of at least one block */
    else if (k->suite == E2E_SUITE_AES_128_CCM || k->suite == E2E_SUITE_AES_128_CCM_8)
        st = e2e_ccm_check(k->iv_len, k->tag_len, pt_len);
    if (st != E2E_OK) {
        e2e_wipe(out, need);
        return st;
    }
    memcpy(out, k->ki, k->ki_len);
    w->k = k;
    w->in = pt;
    w->in_len = pt_len;
    w->plen = pt_len;
    w->out = out + k->ki_len;
    w->wipe_len = need;
    return E2E_OK;
}

/* hmac_tag_ok recomputes T over KIV || p and compares it with tag. */
static int hmac_tag_ok(const e2e_engine *eng, const struct keyset_impl *k,
                       const uint8_t *p, size_t plen, const uint8_t *tag)
{
    uint8_t mac[32];
    e2e_hmac_sha256(eng, &k->hmac, mac, k->kiv, k->kiv_len, p, plen);
    int ok = e2e_ct_verify(mac, tag, k->tag_len);
    e2e_wipe(mac, sizeof mac);
    return ok;
}

e2e_status e2e_open(const e2e_engine *eng, const e2e_keyset *ks,
                    uint8_t *out, size_t out_cap, size_t *out_len,
                    const uint8_t *msg, size_t msg_len)
{
    if (out_len == NULL)
        return E2E_ERR_PARAM;
    *out_len = 0;
    struct e2e_wire w;
    e2e_status st = e2e_open_prepare(&w, eng, ks, out, out_cap, msg, msg_len);
    if (st != E2E_OK)
        return st;
    const struct keyset_impl *k = w.k;
    size_t t = k->tag_len, plen = w.plen;
    switch (k->suite) {
    case E2E_SUITE_AES_128_CCM:
    case E2E_SUITE_AES_128_CCM_8:
        st = e2e_ccm_open(eng, &k->aes, k->iv, k->iv_len, t, out, NULL, 0, w.in, w.in_len);
        break;
    case E2E_SUITE_AES_128_CS1_HMAC_SHA256:
        e2e_cs1_decrypt(eng, &k->aes, k->iv, out, w.in, w.in_len);
        st = hmac_tag_ok(eng, k, out, plen, out + plen) ? E2E_OK : E2E_ERR_AUTH;
        if (st == E2E_OK)
            e2e_wipe(out + plen, t);
        break;
    default: /* E2E_SUITE_HMAC_SHA256; prepare rejected every other suite */
        st = hmac_tag_ok(eng, k, w.in, plen, w.in + plen) ? E2E_OK : E2E_ERR_AUTH;
        if (st == E2E_OK && plen)
            memmove(out, w.in, plen);
        break;
    }
    if (st != E2E_OK) {
        e2e_wipe(out, w.wipe_len);
        return st;
    }
    *out_len = plen;
    return E2E_OK;
}

/* cs1_hmac_seal writes CS1(P || T), T = HMAC(KIV || P), to out. Where the
 * SHA table stitches CBC with HMAC (cbc_hmac), P's whole blocks that carry
 * no byte of T are CBC-encrypted while the HMAC runs; CS1 of the rest
 * (at least one block, so the stealing is the same) chains on from there. */
static e2e_status cs1_hmac_seal(const e2e_engine *eng, const struct keyset_impl *k,
                                uint8_t *out, const uint8_t *pt, size_t pt_len)
{
    const struct e2e_sha_impl *sha = e2e_sha_of(eng);
    size_t t = k->tag_len;
    uint8_t mac[32], chain[16];
    e2e_status st;
    if (pt_len + t < 16)
        return E2E_ERR_MALFORMED;
    size_t pre = (pt_len + t - 16) / 16;  /* leaves CS1 at least one block */
    if (pre > pt_len / 16)
        pre = pt_len / 16;
    void (*hmac_msgs)(struct e2e_hmac_msg *, size_t) = e2e_hmac_msgs_of(e2e_engine_impl(eng));
    if (sha->cbc_hmac == NULL || hmac_msgs == NULL || pre == 0 || k->kiv_len > 64) {
        e2e_hmac_sha256(eng, &k->hmac, mac, k->kiv, k->kiv_len, pt, pt_len);
        if (pt_len)
            memcpy(out, pt, pt_len);
        memcpy(out + pt_len, mac, t);
        st = e2e_cs1_encrypt(eng, &k->aes, k->iv, out, out, pt_len + t);
    } else {
        struct e2e_hmac_msg m;
        uint8_t head[64], tail[128];
        size_t done = 16 * pre;
        e2e_hmac_msg_layout(&m, head, tail, &k->hmac, k->kiv, k->kiv_len, pt, pt_len);
        memcpy(chain, k->iv, 16);
        sha->cbc_hmac(&k->aes, chain, out, pt, pre, &m);
        for (size_t q = 0; q < 32; q++)
            mac[q] = (uint8_t)(m.h[q / 4] >> (24 - 8 * (q % 4)));
        memcpy(out + done, pt + done, pt_len - done);
        memcpy(out + pt_len, mac, t);
        st = e2e_cs1_encrypt(eng, &k->aes, chain, out + done, out + done, pt_len - done + t);
        e2e_wipe(&m, sizeof m);
        e2e_wipe(head, sizeof head);
        e2e_wipe(tail, sizeof tail);
        e2e_wipe(chain, sizeof chain);
    }
    e2e_wipe(mac, sizeof mac);
    return st;
}

e2e_status e2e_seal(const e2e_engine *eng, const e2e_keyset *ks,
                    uint8_t *out, size_t out_cap, size_t *out_len,
                    const uint8_t *pt, size_t pt_len)
{
    if (out_len == NULL)
        return E2E_ERR_PARAM;
    *out_len = 0;
    struct e2e_wire w;
    e2e_status st = e2e_seal_prepare(&w, eng, ks, out, out_cap, pt, pt_len);
    if (st != E2E_OK)
        return st;
    const struct keyset_impl *k = w.k;
    size_t t = k->tag_len;
    uint8_t mac[32];
    switch (k->suite) {
    case E2E_SUITE_AES_128_CCM:
    case E2E_SUITE_AES_128_CCM_8:
        st = e2e_ccm_seal(eng, &k->aes, k->iv, k->iv_len, t, w.out, NULL, 0, pt, pt_len);
        break;
    case E2E_SUITE_AES_128_CS1_HMAC_SHA256:
        st = cs1_hmac_seal(eng, k, w.out, pt, pt_len);
        break;
    default: /* E2E_SUITE_HMAC_SHA256 */
        e2e_hmac_sha256(eng, &k->hmac, mac, k->kiv, k->kiv_len, pt, pt_len);
        if (pt_len)
            memcpy(w.out, pt, pt_len);
        memcpy(w.out + pt_len, mac, t);
        break;
    }
    e2e_wipe(mac, sizeof mac);
    if (st != E2E_OK) {
        e2e_wipe(out, w.wipe_len);
        return st;
    }
    *out_len = w.wipe_len;
    return E2E_OK;
}
