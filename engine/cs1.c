/* cs1.c — AES-128-CBC-CS1 (ciphertext stealing), written once over the
 * engine's AES table.
 *
 * Implementation notes (NIST SP 800-38A Addendum, "CBC-CS1"):
 *  - Input of len >= 16 bytes: n = ceil(len / 16) blocks, the last holding
 *    d = len - 16(n - 1) bytes, 1 <= d <= 16.
 *  - d == 16: CS1 is plain CBC (the addendum: "if d = b, CBC-CS1 is CBC").
 *  - d < 16: CBC over P1 .. P(n-1) || (Pn || 0^(16-d)); the output is
 *    C1 .. C(n-2) || MSB_d(C(n-1)) || Cn — the partial block stays second to
 *    last (CS1; CS2 swaps when d < 16, CS3 = RFC 3962 always swaps).
 *  - Decryption: Z = D(Cn) = C(n-1) XOR (Pn || 0), so C(n-1) = C*(n-1) ||
 *    LSB_(16-d)(Z), Pn = MSB_d(Z) XOR C*(n-1), and P(n-1) = D(C(n-1)) XOR
 *    C(n-2) (the IV when n == 2).
 *  - Inputs under one block are malformed, not a crash (the seed's sample
 *    code crashes on them).
 *  - Aliasing: out == in is allowed for both directions; decryption also
 *    allows out < in (in-place open writes the plaintext over the KI), so the
 *    two tail blocks are copied to locals before anything is written.
 *  - Lengths are public; no branch depends on data. */
#include <string.h>

#include "ct.h"
#include "internal.h"

e2e_status e2e_cs1_encrypt(const e2e_engine *eng, const e2e_aes_key *k,
                           const uint8_t iv[16], uint8_t *out,
                           const uint8_t *in, size_t len)
{
    if (len < 16)
        return E2E_ERR_MALFORMED;
    const struct e2e_aes_impl *aes = e2e_aes_of(eng);
    size_t n = (len + 15) / 16;
    size_t d = len - 16 * (n - 1);
    uint8_t chain[16], last[16];
    memcpy(chain, iv, 16);
    if (d == 16) {
        aes->cbc_enc(k, chain, out, in, n);
        e2e_wipe(chain, sizeof chain);
        return E2E_OK;
    }
    /* Read the partial tail before any output is written (out may be in). */
    memset(last, 0, sizeof last);
    memcpy(last, in + 16 * (n - 1), d);
    aes->cbc_enc(k, chain, out, in, n - 1);     /* chain = C(n-1) */
    aes->cbc_enc(k, chain, last, last, 1);      /* last = Cn */
    /* out[16(n-2) .. +d) already holds MSB_d(C(n-1)); Cn follows it. */
    memcpy(out + 16 * (n - 2) + d, last, 16);
    e2e_wipe(chain, sizeof chain);
    e2e_wipe(last, sizeof last);
    return E2E_OK;
}

e2e_status e2e_cs1_decrypt(const e2e_engine *eng, const e2e_aes_key *k,
                           const uint8_t iv[16], uint8_t *out,
                           const uint8_t *in, size_t len)
{
    if (len < 16)
        return E2E_ERR_MALFORMED;
    const struct e2e_aes_impl *aes = e2e_aes_of(eng);
    size_t n = (len + 15) / 16;
    size_t d = len - 16 * (n - 1);
    uint8_t chain[16], cstar[16], cn[16], z[16];
    memcpy(chain, iv, 16);
    if (d == 16) {
        aes->cbc_dec(k, chain, out, in, n);
        e2e_wipe(chain, sizeof chain);
        return E2E_OK;
    }
    size_t tail = 16 * (n - 2);                 /* offset of C*(n-1) */
    memcpy(cstar, in + tail, d);
    memcpy(cn, in + tail + d, 16);
    if (n > 2)
        aes->cbc_dec(k, chain, out, in, n - 2); /* chain = C(n-2) (else the IV) */
    aes->ecb_dec(k, z, cn, 1);                  /* Z = C(n-1) ^ (Pn || 0) */
    memcpy(cstar + d, z + d, 16 - d);           /* cstar = full C(n-1) */
    for (size_t i = 0; i < d; i++)
        z[i] ^= cstar[i];                       /* z[0..d) = Pn */
    aes->cbc_dec(k, chain, out + tail, cstar, 1);
    memcpy(out + tail + 16, z, d);
    e2e_wipe(chain, sizeof chain);
    e2e_wipe(cstar, sizeof cstar);
    e2e_wipe(cn, sizeof cn);
    e2e_wipe(z, sizeof z);
    return E2E_OK;
}
