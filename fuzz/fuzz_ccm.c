/* fuzz_ccm.c — AES-128-CCM with AAD (engine/ccm.c) against OpenSSL 3's
 * EVP_aes_128_ccm, for every nonce length 7..13 and tag length 4..16 (even),
 * plus the lengths either side that must be refused.
 *
 * Input: key[16] nsel tsel flags asel psel tamper[2] nonce[13] aad... pt...
 *   nonce_len = 6 + nsel % 9   (6..14; 6 and 14 unsupported)
 *   tag_len   = tsel % 19      (0..18; only 4, 6, .., 16 supported)
 *   asel < 0xf0: aad_len = asel % 48; 0xf0..0xfd: u16 % 2048; 0xfe: 0xff00 +
 *   u8 and 0xff: 0xfeff (either side of the switch from the 2-byte to the
 *   0xfffe || 4-byte AAD length encoding of SP 800-38C A.2.2; the 0xffff ||
 *   8-byte one needs 4 GiB of AAD: see README, coverage).
 *   psel < 0xe0: pt_len = psel % 70; else u16 % 4097.
 *   aad and pt continue past the input's end as a PRNG stream.
 *   flags bit 0: also try a payload length the nonce's length field cannot
 *   hold (or above the engine's 2^36 cap), passed with a small buffer: the
 *   call must say E2E_ERR_MALFORMED without touching memory (ASan watches).
 *
 * Properties, for every implementation the CPU can run:
 *   - unsupported nonce/tag lengths: seal and open refuse (and so does
 *     OpenSSL);
 *   - seal = OpenSSL's ciphertext || tag;
 *   - open(seal) = pt, out of place, in place and with out < ct;
 *   - a flipped bit anywhere in ciphertext || tag, or in the AAD: open says
 *     E2E_ERR_AUTH, out wiped, and OpenSSL rejects it too;
 *   - open of arbitrary bytes agrees with OpenSSL's verdict and plaintext. */
#include <sys/mman.h>

#include <openssl/evp.h>

#include "fuzz_common.h"


static int valid_params(size_t nonce_len, size_t tag_len)
{
    return nonce_len >= 7 && nonce_len <= 13 && tag_len >= 4 && tag_len <= 16 &&
           !(tag_len & 1);
}

/* ossl_ccm seals (enc) or opens with OpenSSL. enc: out = ct || tag from pt
 * (in, len). !enc: in = ct (len) and tag; out = pt. Returns 1 on success. */
static int ossl_ccm(int enc, const uint8_t key[16], const uint8_t *nonce, size_t nonce_len,
                    size_t tag_len, const uint8_t *aad, size_t aad_len, const uint8_t *in,
                    size_t len, const uint8_t *tag, uint8_t *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = 0, n = 0;
    static const uint8_t dummy;
    if (ctx == NULL)
        abort();
    if (EVP_CipherInit_ex(ctx, EVP_aes_128_ccm(), NULL, NULL, NULL, enc) != 1)
        goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)nonce_len, NULL) != 1)
        goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len,
                            enc ? NULL : (void *)(uintptr_t)tag) != 1)
        goto out;
    if (EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
        goto out;
    if (EVP_CipherUpdate(ctx, NULL, &n, NULL, (int)len) != 1)
        goto out;
    if (aad_len && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
        goto out;
    if (EVP_CipherUpdate(ctx, out, &n, len ? in : &dummy, (int)len) != 1)
        goto out;
    if (enc) {
        if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1)
            goto out;
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, out + len) != 1)
            goto out;
    }
    ok = 1;
out:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* ---------------------------------------------------------------- 4 GiB AAD */

/* The one input "E2E-CCM-AAD-4GiB" (fuzz/targeted/ccm/, replayed with
 * E2E_FUZZ_TARGETED=1 by the coverage build and fuzz/ci.sh --targeted, never
 * fuzzed) checks SP 800-38C A.2.2's third AAD
 * length encoding, 0xff 0xff || [a]_64, which only an AAD of 2^32 bytes or
 * more selects: seal 16 bytes under 2^32 zero bytes of AAD (read-only
 * zero pages, MAP_NORESERVE: no memory is used) with the fastest
 * implementation here (a portable pass over 4 GiB would take minutes; open
 * shares ccm_mac, so seal alone reaches the lines), and compare with the
 * tag built here from the standard's formatting over
 * OpenSSL's AES-128-CBC (whose last block is the CBC-MAC) and ECB (S0). */
static const char aad4g_magic[] = "E2E-CCM-AAD-4GiB";
/* targeted: E2E_FUZZ_TARGETED=1 in the environment (the coverage replay,
 * fuzz/ci.sh --targeted). Without it the magic input is an ordinary one: a
 * campaign found the string through libFuzzer's memcmp hooks within minutes
 * and then timed out on it. */
static int targeted;

static void ossl_aes(const EVP_CIPHER *c, const uint8_t key[16], const uint8_t *iv,
                     uint8_t *out, const uint8_t *in, size_t len, EVP_CIPHER_CTX *ctx)
{
    int n = 0;
    if (ctx == NULL) {
        EVP_CIPHER_CTX *one = EVP_CIPHER_CTX_new();
        FZ_ASSERT(one && EVP_EncryptInit_ex(one, c, NULL, key, iv) == 1, "OpenSSL init");
        EVP_CIPHER_CTX_set_padding(one, 0);
        FZ_ASSERT(EVP_EncryptUpdate(one, out, &n, in, (int)len) == 1 && (size_t)n == len,
                  "OpenSSL update");
        EVP_CIPHER_CTX_free(one);
        return;
    }
    FZ_ASSERT(EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 && (size_t)n == len,
              "OpenSSL update");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_single_engines();
    const char *t = getenv("E2E_FUZZ_TARGETED");
    targeted = t != NULL && strcmp(t, "1") == 0;
    /* OpenSSL allocates its method tables on first use: do that here, so no
     * input looks like a leak (libFuzzer reruns those) */
    uint8_t k[16] = {0}, n[16] = {0}, buf[32];
    ossl_ccm(1, k, n, 13, 16, n, 1, k, 16, NULL, buf);
    ossl_ccm(0, k, n, 13, 16, n, 1, buf, 16, buf + 16, buf);
    ossl_aes(EVP_aes_128_cbc(), k, n, buf, k, 16, NULL);
    ossl_aes(EVP_aes_128_ecb(), k, NULL, buf, k, 16, NULL);
    return 0;
}

static void aad4g(const struct fz_engines *E)
{
    const size_t alen = (size_t)1 << 32, nonce_len = 12, tag_len = 16, q = 15 - nonce_len;
    static const uint8_t key[16] = "4GiB-of-AAD-key!", nonce[12] = "nonce-12byte";
    static const uint8_t pt[16] = "sixteen byte pt.";
    const uint8_t *aad = mmap(NULL, alen, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                              -1, 0);
    FZ_ASSERT(aad != MAP_FAILED, "mmap of 4 GiB (address space) failed");

    /* reference: CBC-MAC over B0 || [0xffff || a_64 || AAD] padded || P */
    uint8_t b[32], mac[16], s0[16], ctr[16], ks1[16], want[32];
    b[0] = (uint8_t)(64 | ((tag_len - 2) / 2) << 3 | (q - 1));
    memcpy(b + 1, nonce, nonce_len);
    memset(b + 1 + nonce_len, 0, q);
    b[15] = sizeof pt;
    b[16] = 0xff;
    b[17] = 0xff;
    for (int i = 0; i < 8; i++)
        b[18 + i] = (uint8_t)((uint64_t)alen >> (56 - 8 * i));
    memset(b + 26, 0, 6);               /* the first 6 AAD bytes (zeros) */
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    static const uint8_t zero_iv[16];
    FZ_ASSERT(ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, zero_iv) == 1,
              "OpenSSL CBC init");
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    enum { CHUNK = 1 << 20 };
    uint8_t *sink = fz_xmalloc(CHUNK);
    ossl_aes(NULL, key, NULL, sink, b, 32, ctx);
    /* the other alen - 6 AAD bytes, zero-padded: exactly 2^28 zero blocks */
    size_t rest = ((alen - 6) + 15) / 16 * 16;
    for (size_t done = 0; done < rest; done += CHUNK)
        ossl_aes(NULL, key, NULL, sink, aad, rest - done < CHUNK ? rest - done : CHUNK, ctx);
    ossl_aes(NULL, key, NULL, sink, pt, 16, ctx);
    memcpy(mac, sink, 16);
    EVP_CIPHER_CTX_free(ctx);
    free(sink);
    memset(ctr, 0, 16);
    ctr[0] = (uint8_t)(q - 1);
    memcpy(ctr + 1, nonce, nonce_len);
    ossl_aes(EVP_aes_128_ecb(), key, NULL, s0, ctr, 16, NULL);
    ctr[15] = 1;
    ossl_aes(EVP_aes_128_ecb(), key, NULL, ks1, ctr, 16, NULL);
    for (int i = 0; i < 16; i++) {
        want[i] = pt[i] ^ ks1[i];
        want[16 + i] = mac[i] ^ s0[i];
    }

    size_t pick = 0;   /* the last implementation listed with AES-NI, else the first */
    for (size_t e = 0; e < E->n; e++)
        if (strstr(E->name[e], "aesni"))
            pick = e;
    e2e_aes_key k;
    uint8_t got[32];
    e2e_aes128_key_init(&E->eng[pick], &k, key);
    e2e_status st = e2e_ccm_seal(&E->eng[pick], &k, nonce, nonce_len, tag_len, got, aad, alen,
                                 pt, sizeof pt);
    FZ_ASSERT(st == E2E_OK && memcmp(got, want, 32) == 0,
              "%s: CCM with 2^32 bytes of AAD: %s, %s; reference %s", E->name[pick],
              e2e_status_name(st), fz_hex(got, 32), fz_hex(want, 32));
    munmap((void *)(uintptr_t)aad, alen);
    fprintf(stderr, "fuzz_ccm: 2^32-byte AAD (0xffff || 8-byte length) ok on %s\n",
            E->name[pick]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fz_engines *E = fz_single_engines();
    if (targeted && SIZE_MAX > 0xffffffffu && size == sizeof aad4g_magic - 1 &&
        memcmp(data, aad4g_magic, size) == 0) {
        aad4g(E);
        return 0;
    }
    struct fz_in in;
    fz_in_init(&in, data, size);
    uint8_t key[16], nonce[13];
    fz_bytes(&in, key, 16);
    size_t nonce_len = 6 + fz_u8(&in) % 9, tag_len = fz_u8(&in) % 19;
    uint8_t flags = fz_u8(&in), asel = fz_u8(&in), psel = fz_u8(&in);
    size_t tamper = fz_u16(&in);
    fz_bytes(&in, nonce, 13);
    size_t aad_len = asel < 0xf0 ? asel % 48u
                   : asel < 0xfe ? fz_u16(&in) % 2048u
                   : asel == 0xfe ? 0xff00u + fz_u8(&in)
                                  : 0xfeffu;
    /* heavy: a 64 KiB AAD; one implementation (picked by the input) seals,
     * opens and rejects a tampered AAD; the placement checks are left to the
     * short inputs */
    int heavy = aad_len > 4096;
    size_t pt_len = psel < 0xe0 ? psel % 70u : fz_u16(&in) % 4097u;
    uint8_t *aad = fz_xmalloc(aad_len), *pt = fz_xmalloc(pt_len);
    fz_fill(&in, aad, aad_len);
    fz_fill(&in, pt, pt_len);
    size_t ct_len = pt_len + tag_len;
    /* The nonce is read from a block of exactly nonce_len bytes (ASan). */
    uint8_t *nc = fz_xmalloc(nonce_len);
    memcpy(nc, nonce, nonce_len < 13 ? nonce_len : 13);
    if (nonce_len > 13)
        nc[13] = 0;

    uint8_t *ct = fz_xmalloc(ct_len), *want = fz_xmalloc(ct_len), *out = fz_xmalloc(ct_len + 32);
    e2e_aes_key k;

    if (!valid_params(nonce_len, tag_len)) {
        FZ_ASSERT(!ossl_ccm(1, key, nc, nonce_len, tag_len, aad, aad_len, pt, pt_len, NULL,
                            want),
                  "OpenSSL took nonce %zu tag %zu", nonce_len, tag_len);
        for (size_t e = 0; e < E->n; e++) {
            e2e_aes128_key_init(&E->eng[e], &k, key);
            e2e_status st = e2e_ccm_seal(&E->eng[e], &k, nc, nonce_len, tag_len, ct, aad,
                                         aad_len, pt, pt_len);
            FZ_ASSERT(st == E2E_ERR_UNSUPPORTED, "%s: seal nonce %zu tag %zu: %s", E->name[e],
                      nonce_len, tag_len, e2e_status_name(st));
            st = e2e_ccm_open(&E->eng[e], &k, nc, nonce_len, tag_len, out, aad, aad_len, pt,
                              pt_len);
            int tag_ok = tag_len >= 4 && tag_len <= 16 && !(tag_len & 1);
            FZ_ASSERT(st == E2E_ERR_UNSUPPORTED ||
                          (st == E2E_ERR_MALFORMED && tag_ok && pt_len < tag_len),
                      "%s: open nonce %zu tag %zu len %zu: %s", E->name[e], nonce_len, tag_len,
                      pt_len, e2e_status_name(st));
        }
        goto done;
    }

    FZ_ASSERT(ossl_ccm(1, key, nc, nonce_len, tag_len, aad, aad_len, pt, pt_len, NULL, want),
              "OpenSSL seal failed: nonce %zu tag %zu aad %zu pt %zu", nonce_len, tag_len,
              aad_len, pt_len);
    /* The tampered copy and OpenSSL's verdict on it. */
    uint8_t *bad = fz_xmalloc(ct_len), *bad_aad = fz_xmalloc(aad_len), *opt = fz_xmalloc(pt_len + 1);
    memcpy(bad, want, ct_len);
    bad[tamper / 8 % ct_len] ^= (uint8_t)(1u << (tamper % 8));
    FZ_ASSERT(!ossl_ccm(0, key, nc, nonce_len, tag_len, aad, aad_len, bad, pt_len,
                        bad + pt_len, opt),
              "OpenSSL accepted a tampered message");
    memcpy(bad_aad, aad, aad_len);
    if (aad_len)
        bad_aad[tamper / 8 % aad_len] ^= (uint8_t)(1u << (tamper % 8));
    /* Arbitrary bytes taken as a message: pt || (first tag_len bytes of aad
     * or zeros). OpenSSL decides. */
    uint8_t *arb = fz_xmalloc(ct_len);
    memcpy(arb, pt, pt_len);
    for (size_t i = 0; i < tag_len; i++)
        arb[pt_len + i] = i < aad_len ? aad[i] : 0;
    int arb_ok = ossl_ccm(0, key, nc, nonce_len, tag_len, aad, aad_len, arb, pt_len,
                          arb + pt_len, opt);

    for (size_t e = 0; e < E->n; e++) {
        if (heavy && e != tamper % E->n)
            continue;   /* a 64 KiB AAD runs on one implementation, chosen by the input */
        const e2e_engine *eng = &E->eng[e];
        const char *nm = E->name[e];
        e2e_aes128_key_init(eng, &k, key);
        e2e_status st = e2e_ccm_seal(eng, &k, nc, nonce_len, tag_len, ct, aad, aad_len, pt,
                                     pt_len);
        FZ_ASSERT(st == E2E_OK, "%s: seal: %s", nm, e2e_status_name(st));
        FZ_ASSERT(memcmp(ct, want, ct_len) == 0,
                  "%s: seal nonce %zu tag %zu aad %zu pt %zu: %s, OpenSSL %s", nm, nonce_len,
                  tag_len, aad_len, pt_len, fz_hex(ct, ct_len), fz_hex(want, ct_len));

        /* open: out of place, in place, out < ct */
        st = e2e_ccm_open(eng, &k, nc, nonce_len, tag_len, out, aad, aad_len, ct, ct_len);
        FZ_ASSERT(st == E2E_OK && memcmp(out, pt, pt_len) == 0, "%s: open(seal): %s", nm,
                  e2e_status_name(st));
        if (heavy) {
            memset(out, 0xcc, ct_len);
            st = e2e_ccm_open(eng, &k, nc, nonce_len, tag_len, out, bad_aad, aad_len, ct,
                              ct_len);
            FZ_ASSERT(st == E2E_ERR_AUTH && fz_all_zero(out, pt_len),
                      "%s: tampered long AAD: %s or output not wiped", nm, e2e_status_name(st));
            continue;
        }
        memcpy(out, ct, ct_len);
        st = e2e_ccm_open(eng, &k, nc, nonce_len, tag_len, out, aad, aad_len, out, ct_len);
        FZ_ASSERT(st == E2E_OK && memcmp(out, pt, pt_len) == 0, "%s: in-place open: %s", nm,
                  e2e_status_name(st));
        size_t off = 1 + tamper % 31;
        memcpy(out + off, ct, ct_len);
        st = e2e_ccm_open(eng, &k, nc, nonce_len, tag_len, out, aad, aad_len, out + off, ct_len);
        FZ_ASSERT(st == E2E_OK && memcmp(out, pt, pt_len) == 0, "%s: open out = ct - %zu: %s",
                  nm, off, e2e_status_name(st));

        /* tampered ciphertext / tag */
        memset(out, 0xcc, ct_len);
        st = e2e_ccm_open(eng, &k, nc, nonce_len, tag_len, out, aad, aad_len, bad, ct_len);
        FZ_ASSERT(st == E2E_ERR_AUTH && fz_all_zero(out, pt_len),
                  "%s: tampered message: %s or output not wiped", nm, e2e_status_name(st));
        /* tampered AAD */
        if (aad_len) {
            memset(out, 0xcc, ct_len);
            st = e2e_ccm_open(eng, &k, nc, nonce_len, tag_len, out, bad_aad, aad_len, ct,
                              ct_len);
            FZ_ASSERT(st == E2E_ERR_AUTH && fz_all_zero(out, pt_len),
                      "%s: tampered AAD: %s or output not wiped", nm, e2e_status_name(st));
        }
        /* arbitrary bytes */
        memset(out, 0xcc, ct_len);
        st = e2e_ccm_open(eng, &k, nc, nonce_len, tag_len, out, aad, aad_len, arb, ct_len);
        FZ_ASSERT((st == E2E_OK) == arb_ok, "%s: arbitrary message: %s, OpenSSL %s", nm,
                  e2e_status_name(st), arb_ok ? "accepts" : "rejects");
        if (st == E2E_OK)
            FZ_ASSERT(memcmp(out, opt, pt_len) == 0, "%s: plaintext differs from OpenSSL", nm);
        else
            FZ_ASSERT(st == E2E_ERR_AUTH && fz_all_zero(out, pt_len), "%s: %s", nm,
                      e2e_status_name(st));
        /* short ciphertext: below the tag */
        if (tag_len > 0) {
            st = e2e_ccm_open(eng, &k, nc, nonce_len, tag_len, out, aad, aad_len, ct,
                              tamper % tag_len);
            FZ_ASSERT(st == E2E_ERR_MALFORMED, "%s: open of %zu < tag bytes: %s", nm,
                      tamper % tag_len, e2e_status_name(st));
        }
        /* lengths the nonce cannot carry, with a buffer far too small: the
         * engine must refuse before reading */
        if (flags & 1) {
            size_t q = 15 - nonce_len;
            uint64_t huge = q < 5 ? ((uint64_t)1 << (8 * q)) + (tamper & 0xff)
                                  : ((uint64_t)1 << 36) + (tamper & 0xff);
            if (huge <= SIZE_MAX - 16) {
                uint8_t tiny_out[16], tiny_in[16] = {0};
                st = e2e_ccm_seal(eng, &k, nc, nonce_len, tag_len, tiny_out, aad, aad_len,
                                  tiny_in, (size_t)huge);
                FZ_ASSERT(st == E2E_ERR_MALFORMED, "%s: seal of 0x%llx bytes, nonce %zu: %s",
                          nm, (unsigned long long)huge, nonce_len, e2e_status_name(st));
                st = e2e_ccm_open(eng, &k, nc, nonce_len, tag_len, tiny_out, aad, aad_len,
                                  tiny_in, (size_t)huge + tag_len);
                FZ_ASSERT(st == E2E_ERR_MALFORMED, "%s: open of 0x%llx bytes, nonce %zu: %s",
                          nm, (unsigned long long)huge, nonce_len, e2e_status_name(st));
            }
        }
    }
    free(bad);
    free(bad_aad);
    free(opt);
    free(arb);
done:
    free(aad);
    free(pt);
    free(nc);
    free(ct);
    free(want);
    free(out);
    return 0;
}
