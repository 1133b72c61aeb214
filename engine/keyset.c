/* keyset.c — expand a key set into a caller-owned e2e_keyset, and the
 * accessors the wire code (wire.c, batch.c) and the CLI use.
 *
 * Implementation notes:
 *  - A key set holds everything a message needs precomputed: the AES-128
 *    encryption and decryption round keys (simd/impl.h layout, shared by all
 *    implementations) and the HMAC-SHA256 states after the ipad/opad blocks.
 *  - Parameter rules: AES key 16 bytes; CCM nonce 7..13 bytes and tag 4..16
 *    even (SP 800-38C A.1); CS1 IV 16 bytes; HMAC key 1..64 bytes, KIV
 *    1..64 bytes, tag 4..32 bytes. Tag default 16, 8 for AES_128_CCM_8.
 *  - The KI seal writes is the given one, else the KIV when its top nibble
 *    announces its own length (the REST API's KIV is the KI on the wire).
 *  - e2e_keyset_clear wipes the whole struct; a failed init leaves it all
 *    zero; a successful one writes only sizeof(struct keyset_impl) bytes. */
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

/* fill validates p and copies everything but the AES round keys into ks;
 * *needs_aes tells whether the caller must expand p->enc_key into k->aes
 * before the key set is marked usable (finish). */
static e2e_status fill(e2e_keyset *ks, const e2e_engine *eng, const e2e_keyset_params *p,
                       int *needs_aes)
{
    *needs_aes = 0;
    if (ks == NULL)
        return E2E_ERR_PARAM;
    size_t t;
    e2e_status st = p == NULL || e2e_engine_impl(eng) == NULL ? E2E_ERR_PARAM : check(p, &t);
    if (st != E2E_OK) {
        e2e_keyset_clear(ks);
        return st;
    }
    /* Only the part a key set uses is cleared here: the engine never writes
     * past it, so the rest holds nothing of ours (continuous rotation
     * initialises a key set per message; wiping all 1 KiB each time cost
     * more than expanding the AES key). e2e_keyset_clear wipes it all. */
    e2e_wipe(ks->opaque, sizeof(struct keyset_impl));
    struct keyset_impl *k = (struct keyset_impl *)(void *)ks->opaque;
    k->suite = (uint32_t)p->suite;
    k->tag_len = (uint8_t)t;
    if (p->suite != E2E_SUITE_HMAC_SHA256) {
        *needs_aes = 1;
        memcpy(k->iv, p->iv, p->iv_len);
        k->iv_len = (uint8_t)p->iv_len;
    }
    if (is_ccm(p->suite)) {
        /* the per-message blocks' fixed parts, so a message copies 16 bytes
         * instead of assembling them from the nonce */
        size_t q = 15 - p->iv_len;
        k->ccm_ctr0[0] = (uint8_t)(q - 1);
        memcpy(k->ccm_ctr0 + 1, p->iv, p->iv_len);
        k->ccm_b0[0] = (uint8_t)((((t - 2) / 2) << 3) | (q - 1));
        memcpy(k->ccm_b0 + 1, p->iv, p->iv_len);
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
    return E2E_OK;
}

static struct keyset_impl *impl_rw(e2e_keyset *ks)
{
    return (struct keyset_impl *)(void *)ks->opaque;
}

e2e_status e2e_keyset_init(e2e_keyset *ks, const e2e_engine *eng,
                           const e2e_keyset_params *p)
{
    int needs_aes;
    e2e_status st = fill(ks, eng, p, &needs_aes);
    if (st != E2E_OK)
        return st;
    if (needs_aes) {
        /* the lane family's expand_n, where there is one, also for a single
         * key: on x86 its PSHUFB + AESENCLAST schedule beats AESKEYGENASSIST */
        const struct engine_impl *impl = e2e_engine_impl(eng);
        e2e_aes_key *key = &impl_rw(ks)->aes;
        if (impl->aes_lanes != NULL && impl->aes_lanes->expand_n != NULL)
            impl->aes_lanes->expand_n(&key, &p->enc_key, 1);
        else
            e2e_aes128_key_init(eng, key, p->enc_key);
    }
    impl_rw(ks)->magic = E2E_KEYSET_MAGIC;
    return E2E_OK;
}

/* expand_group expands np pending key sets' AES keys together and marks
 * them usable. */
static void expand_group(const struct engine_impl *impl, e2e_keyset *ks, e2e_aes_key *const *keys,
                         const uint8_t *const *raw, const size_t *pending, size_t np)
{
    if (impl->aes_lanes != NULL && impl->aes_lanes->expand_n != NULL)
        impl->aes_lanes->expand_n(keys, raw, np);
    else
        for (size_t q = 0; q < np; q++)
            impl->aes->expand(keys[q], raw[q]);
    for (size_t q = 0; q < np; q++)
        impl_rw(&ks[pending[q]])->magic = E2E_KEYSET_MAGIC;
}

e2e_status e2e_keyset_init_many(e2e_keyset *ks, const e2e_engine *eng,
                                const e2e_keyset_params *p, e2e_status *st, size_t n)
{
    const struct engine_impl *impl = e2e_engine_impl(eng);
    if (impl == NULL || ((ks == NULL || p == NULL || st == NULL) && n != 0))
        return E2E_ERR_PARAM;
    e2e_aes_key *keys[8];
    const uint8_t *raw[8];
    size_t pending[8], np = 0;
    for (size_t i = 0; i < n; i++) {
        int needs_aes;
        st[i] = fill(&ks[i], eng, &p[i], &needs_aes);
        if (st[i] != E2E_OK)
            continue;
        if (!needs_aes) {
            impl_rw(&ks[i])->magic = E2E_KEYSET_MAGIC;
            continue;
        }
        keys[np] = &impl_rw(&ks[i])->aes;
        raw[np] = p[i].enc_key;
        pending[np++] = i;
        if (np == 8) {
            expand_group(impl, ks, keys, raw, pending, np);
            np = 0;
        }
    }
    if (np)
        expand_group(impl, ks, keys, raw, pending, np);
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
