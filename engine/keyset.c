/* keyset.c — expand a key set into a caller-owned e2e_keyset, and the
 * single-message open and seal over the wire formats.
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
 *  - Everything derived from keys, plaintext or tags is handled without
 *    branches; the tag compare is constant time; on failure the output is
 *    wiped and *out_len is 0 (house rule 1). */
#include <string.h>

#include "ct.h"
#include "internal.h"

_Static_assert(sizeof(struct keyset_impl) <= E2E_KEYSET_BYTES, "grow E2E_KEYSET_BYTES");

const struct keyset_impl *e2e_keyset_impl(const e2e_keyset *ks)
{
    if (ks == NULL)
        return NULL;
    const struct keyset_impl *k = (const struct keyset_impl *)(const void *)ks->opaque;
    return k->magic == E2E_KEYSET_MAGIC ? k : NULL;
}

void e2e_keyset_clear(e2e_keyset *ks)
{
    if (ks != NULL)
        e2e_wipe(ks->opaque, sizeof ks->opaque);
}

static int is_ccm(uint32_t s)
{
    return s == E2E_SUITE_AES_128_CCM || s == E2E_SUITE_AES_128_CCM_8;
}

static int valid_ki(const uint8_t *ki, size_t len)
{
    size_t want;
    e2e_rotation rot;
    return e2e_ki_decode(&want, &rot, ki, len) == E2E_OK && want == len;
}

static e2e_status check(const e2e_keyset_params *p, size_t *tag_len)
{
    if (e2e_suite_name(p->suite) == NULL)
        return E2E_ERR_UNSUPPORTED;
    int ccm = is_ccm(p->suite);
    int aes = p->suite != E2E_SUITE_HMAC_SHA256;
    int hmac = !ccm;
    if ((p->enc_key_len && !p->enc_key) || (p->auth_key_len && !p->auth_key) ||
        (p->kiv_len && !p->kiv) || (p->iv_len && !p->iv) || (p->ki_len && !p->ki))
        return E2E_ERR_PARAM;
    if (aes && p->enc_key_len != 16)
        return E2E_ERR_UNSUPPORTED;
    if (ccm && (p->iv_len < 7 || p->iv_len > 13))
        return E2E_ERR_UNSUPPORTED;
    if (p->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256 && p->iv_len != 16)
        return E2E_ERR_UNSUPPORTED;
    if (hmac && (p->auth_key_len == 0 || p->auth_key_len > 64 || p->kiv_len == 0 ||
                 p->kiv_len > E2E_KIV_MAX))
        return E2E_ERR_UNSUPPORTED;
    if (ccm && p->kiv_len > E2E_KIV_MAX)
        return E2E_ERR_UNSUPPORTED;
    if (p->ki && !valid_ki(p->ki, p->ki_len))
        return E2E_ERR_UNSUPPORTED;
    size_t t = p->tag_len ? p->tag_len : (p->suite == E2E_SUITE_AES_128_CCM_8 ? 8 : 16);
    if (ccm && (t < 4 || t > 16 || (t & 1)))
        return E2E_ERR_UNSUPPORTED;
    if (hmac && (t < 4 || t > E2E_TAG_MAX))
        return E2E_ERR_UNSUPPORTED;
    *tag_len = t;
    return E2E_OK;
}

e2e_status e2e_keyset_init(e2e_keyset *ks, const e2e_engine *eng,
                           const e2e_keyset_params *p)
{
    if (ks == NULL)
        return E2E_ERR_PARAM;
    e2e_keyset_clear(ks);
    if (p == NULL || e2e_engine_impl(eng) == NULL)
        return E2E_ERR_PARAM;
    size_t t;
    e2e_status st = check(p, &t);
    if (st != E2E_OK)
        return st;
    struct keyset_impl *k = (struct keyset_impl *)(void *)ks->opaque;
    k->suite = (uint32_t)p->suite;
    k->tag_len = (uint8_t)t;
    if (p->suite != E2E_SUITE_HMAC_SHA256) {
        e2e_aes128_key_init(eng, &k->aes, p->enc_key);
        memcpy(k->iv, p->iv, p->iv_len);
        k->iv_len = (uint8_t)p->iv_len;
    }
    if (p->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256 || p->suite == E2E_SUITE_HMAC_SHA256)
        e2e_hmac_sha256_key(eng, &k->hmac, p->auth_key, p->auth_key_len);
    if (p->kiv_len) {
        memcpy(k->kiv, p->kiv, p->kiv_len);
        k->kiv_len = (uint8_t)p->kiv_len;
    }
    /* The KI seal writes: the given one, else the KIV when it is a valid KI. */
    if (p->ki) {
        memcpy(k->ki, p->ki, p->ki_len);
        k->ki_len = (uint8_t)p->ki_len;
    } else if (p->kiv_len && p->kiv_len <= E2E_KI_MAX && valid_ki(p->kiv, p->kiv_len)) {
        memcpy(k->ki, p->kiv, p->kiv_len);
        k->ki_len = (uint8_t)p->kiv_len;
    }
    k->magic = E2E_KEYSET_MAGIC;
    return E2E_OK;
}

void e2e_aes128_key_init(const e2e_engine *eng, e2e_aes_key *k, const uint8_t key[16])
{
    e2e_aes_of(eng)->expand(k, key);
}

e2e_suite e2e_keyset_suite(const e2e_keyset *ks)
{
    const struct keyset_impl *k = e2e_keyset_impl(ks);
    return k ? (e2e_suite)k->suite : (e2e_suite)0;
}

size_t e2e_keyset_tag_len(const e2e_keyset *ks)
{
    const struct keyset_impl *k = e2e_keyset_impl(ks);
    return k ? k->tag_len : 0;
}

const uint8_t *e2e_keyset_ki(const e2e_keyset *ks, size_t *len)
{
    const struct keyset_impl *k = e2e_keyset_impl(ks);
    if (len)
        *len = k ? k->ki_len : 0;
    return k && k->ki_len ? k->ki : NULL;
}

size_t e2e_seal_len(const e2e_keyset *ks, size_t pt_len)
{
    const struct keyset_impl *k = e2e_keyset_impl(ks);
    return k ? k->ki_len + pt_len + k->tag_len : 0;
}

/* hmac_tag_ok recomputes T over KIV || p and compares it with tag. */
static int hmac_tag_ok(const e2e_engine *eng, const struct keyset_impl *k,
                       const uint8_t *p, size_t plen, const uint8_t *tag)
{
    uint8_t mac[32];
    e2e_hmac_sha256(eng, &k->hmac, mac, k->kiv, k->kiv_len, p, plen);
    int ok = e2e_ct_eq(mac, tag, k->tag_len);
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
    if (st != E2E_OK) {
        e2e_wipe(out, msg_len);
        return st;
    }
    const uint8_t *body = msg + ki_len;
    size_t blen = msg_len - ki_len, t = k->tag_len, plen = 0;
    switch (k->suite) {
    case E2E_SUITE_AES_128_CCM:
    case E2E_SUITE_AES_128_CCM_8:
        st = e2e_ccm_open(eng, &k->aes, k->iv, k->iv_len, t, out, NULL, 0, body, blen);
        plen = blen - t;
        break;
    case E2E_SUITE_AES_128_CS1_HMAC_SHA256:
        if (blen < 16 || blen < t) {
            st = E2E_ERR_MALFORMED;
            break;
        }
        e2e_cs1_decrypt(eng, &k->aes, k->iv, out, body, blen);
        plen = blen - t;
        st = hmac_tag_ok(eng, k, out, plen, out + plen) ? E2E_OK : E2E_ERR_AUTH;
        if (st == E2E_OK)
            e2e_wipe(out + plen, t);
        break;
    case E2E_SUITE_HMAC_SHA256:
        if (blen < t) {
            st = E2E_ERR_MALFORMED;
            break;
        }
        plen = blen - t;
        st = hmac_tag_ok(eng, k, body, plen, body + plen) ? E2E_OK : E2E_ERR_AUTH;
        if (st == E2E_OK && plen)
            memmove(out, body, plen);
        break;
    default:
        st = E2E_ERR_UNSUPPORTED;
    }
    if (st != E2E_OK) {
        e2e_wipe(out, msg_len);
        return st;
    }
    *out_len = plen;
    return E2E_OK;
}

e2e_status e2e_seal(const e2e_engine *eng, const e2e_keyset *ks,
                    uint8_t *out, size_t out_cap, size_t *out_len,
                    const uint8_t *pt, size_t pt_len)
{
    if (out_len == NULL)
        return E2E_ERR_PARAM;
    *out_len = 0;
    const struct keyset_impl *k = e2e_keyset_impl(ks);
    size_t need = k ? k->ki_len + pt_len + k->tag_len : 0;
    if (k == NULL || e2e_engine_impl(eng) == NULL || out == NULL || out_cap < need ||
        (pt == NULL && pt_len != 0)) {
        if (out != NULL)
            e2e_wipe(out, out_cap < need ? out_cap : need);
        return E2E_ERR_PARAM;
    }
    if (k->ki_len == 0) {
        e2e_wipe(out, need);
        return E2E_ERR_UNSUPPORTED;  /* no KI to write: neither given nor a valid KIV */
    }
    memcpy(out, k->ki, k->ki_len);
    uint8_t *body = out + k->ki_len;
    size_t t = k->tag_len;
    e2e_status st = E2E_OK;
    uint8_t mac[32];
    switch (k->suite) {
    case E2E_SUITE_AES_128_CCM:
    case E2E_SUITE_AES_128_CCM_8:
        st = e2e_ccm_seal(eng, &k->aes, k->iv, k->iv_len, t, body, NULL, 0, pt, pt_len);
        break;
    case E2E_SUITE_AES_128_CS1_HMAC_SHA256:
        if (pt_len + t < 16) {
            st = E2E_ERR_MALFORMED;
            break;
        }
        e2e_hmac_sha256(eng, &k->hmac, mac, k->kiv, k->kiv_len, pt, pt_len);
        if (pt_len)
            memcpy(body, pt, pt_len);
        memcpy(body + pt_len, mac, t);
        st = e2e_cs1_encrypt(eng, &k->aes, k->iv, body, body, pt_len + t);
        break;
    case E2E_SUITE_HMAC_SHA256:
        e2e_hmac_sha256(eng, &k->hmac, mac, k->kiv, k->kiv_len, pt, pt_len);
        if (pt_len)
            memcpy(body, pt, pt_len);
        memcpy(body + pt_len, mac, t);
        break;
    default:
        st = E2E_ERR_UNSUPPORTED;
    }
    e2e_wipe(mac, sizeof mac);
    if (st != E2E_OK) {
        e2e_wipe(out, need);
        return st;
    }
    *out_len = need;
    return E2E_OK;
}
