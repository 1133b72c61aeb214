/* sigfox_xor.c — the Sigfox "XOR with a fixed key" scheme. COMPATIBILITY
 * ONLY: THIS IS NOT ENCRYPTION.
 *
 * Implementation notes (seed 004, "Encryption des messages Sigfox"):
 *  - A 96-bit key is XOR-ed onto every frame, right-aligned: the frame's
 *    bytes meet the key's last bytes ("je n'ai utilisé que la fin de la
 *    clef"). Every frame reuses the key: a many-time pad. XOR two frames and
 *    the key cancels; one known frame reveals the key; nothing detects
 *    tampering. Offer devices a real suite (CCM or CS1+HMAC) instead.
 *  - Byte mode: out = in XOR key[key_len - in_len ..], as long as in.
 *    1A2B3C with ABCDEF1234567890ABCDEF12 -> D7C42E.
 *  - Legacy mode: the blog's Python works on integers and keeps only
 *    bitlen(in) bits of the result (bitlen without leading zeros), so
 *    out = (in XOR key) mod 2^bitlen(in): 1A2B3C -> 17C42E. When the result
 *    has fewer significant bits than in, the blog's decryption (which keeps
 *    bitlen(ciphertext) bits) cannot restore in: that case is reported lossy.
 *  - The data is treated as secret: the bit-length mask is built with a
 *    branch-free prefix smear, not by searching for the first set bit. */
#include "ct.h"
#include "internal.h"

e2e_status e2e_sigfox_xor(uint8_t *out, const uint8_t *key, size_t key_len,
                          const uint8_t *in, size_t in_len)
{
    if ((out == NULL || in == NULL) && in_len != 0)
        return E2E_ERR_PARAM;
    if (key == NULL && key_len != 0)
        return E2E_ERR_PARAM;
    if (in_len > key_len)
        return E2E_ERR_MALFORMED;
    const uint8_t *tail = key + (key_len - in_len);
    for (size_t i = 0; i < in_len; i++)
        out[i] = in[i] ^ tail[i];
    return E2E_OK;
}

/* smear returns b with every bit below its highest set bit also set. */
static uint32_t smear(uint32_t b)
{
    b |= b >> 1;
    b |= b >> 2;
    b |= b >> 4;
    return b;
}

e2e_status e2e_sigfox_xor_legacy(uint8_t *out, int *lossy, const uint8_t *key,
                                 size_t key_len, const uint8_t *in, size_t in_len)
{
    if (lossy == NULL || ((out == NULL || in == NULL) && in_len != 0))
        return E2E_ERR_PARAM;
    if (key == NULL && key_len != 0)
        return E2E_ERR_PARAM;
    *lossy = 0;
    if (in_len > key_len)
        return E2E_ERR_MALFORMED;
    const uint8_t *tail = key + (key_len - in_len);
    uint32_t seen = 0;  /* all ones once a nonzero byte of in has passed */
    uint32_t hit = 0;   /* nonzero if the result keeps in's top bit */
    for (size_t i = 0; i < in_len; i++) {
        uint32_t b = in[i];
        uint32_t s = smear(b);
        uint32_t m = e2e_ct_select(seen, 0xff, s);      /* bits kept in this byte */
        uint32_t top = ~seen & (s ^ (s >> 1)) & 0xff;   /* in's top bit, if here */
        uint32_t o = (b ^ tail[i]) & m;
        hit |= o & top;
        seen |= e2e_ct_mask_nonzero(b);
        out[i] = (uint8_t)o;
    }
    /* lossy: in != 0 and the result lost in's top bit. Declassified: it is
     * the function's public answer. */
    uint32_t l = seen & ~e2e_ct_mask_nonzero(hit) & 1;
    *lossy = (int)e2e_value_barrier_u32(l);
    return E2E_OK;
}
