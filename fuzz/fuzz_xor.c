/* fuzz_xor.c — the Sigfox XOR compatibility path (engine/sigfox_xor.c)
 * against an arbitrary-precision model of the blog's integer arithmetic.
 *
 * Input: flags key_len key[key_len] in_len in[in_len]
 *   flags bit 0: run in place (out == in); bit 1: the null-pointer calls
 *   key_len = byte % 41 (0..40; Sigfox keys are 12), in_len = byte %
 *   (key_len + 4) (so some inputs are longer than the key: malformed).
 *
 * The model (seed 004, "Encryption des messages Sigfox") treats in and key
 * as big-endian unsigned integers of any size, here little-endian byte
 * arrays ("bignums") with XOR, bit length and reduction mod 2^b written out:
 *   byte mode    out = (in XOR key) mod 2^(8 in_len), as in_len bytes
 *   legacy mode  out = (in XOR key) mod 2^bitlen(in)   (blog: sigfoxEncrypt)
 *                lossy = ((out XOR key) mod 2^bitlen(out)) != in
 *                                                      (blog: sigfoxDecrypt)
 * with bitlen counting no leading zeros and bitlen(0) = 0 (e2ecrypt.h).
 * lossy is thus computed by actually running the blog's decryption, not by
 * the engine's "top bit lost" shortcut. Both modes also check in_len >
 * key_len -> E2E_ERR_MALFORMED with out untouched and lossy 0, and that
 * decrypting (byte mode twice) gives the input back.
 *
 * The XOR functions have no implementation table: there is nothing
 * per-implementation to iterate over here. */
#include "fuzz_common.h"

#define BN_MAX 64  /* bytes; key_len, in_len <= 43 */

typedef struct {
    uint8_t b[BN_MAX];  /* little-endian */
} bn;

static void bn_from_be(bn *x, const uint8_t *be, size_t len)
{
    memset(x, 0, sizeof *x);
    for (size_t i = 0; i < len; i++)
        x->b[i] = be[len - 1 - i];
}

/* bn_to_be writes x as len big-endian bytes; x must fit. */
static void bn_to_be(uint8_t *be, size_t len, const bn *x)
{
    for (size_t i = len; i < BN_MAX; i++)
        FZ_ASSERT(x->b[i] == 0, "model: value does not fit %zu bytes", len);
    for (size_t i = 0; i < len; i++)
        be[len - 1 - i] = x->b[i];
}

static void bn_xor(bn *r, const bn *a, const bn *b)
{
    for (size_t i = 0; i < BN_MAX; i++)
        r->b[i] = a->b[i] ^ b->b[i];
}

static size_t bn_bitlen(const bn *x)
{
    for (size_t i = BN_MAX; i-- > 0;)
        if (x->b[i])
            for (size_t bit = 8; bit-- > 0;)
                if (x->b[i] >> bit & 1)
                    return 8 * i + bit + 1;
    return 0;
}

/* bn_mod_pow2 reduces x mod 2^bits. */
static void bn_mod_pow2(bn *x, size_t bits)
{
    for (size_t i = 0; i < BN_MAX; i++) {
        if (8 * i >= bits)
            x->b[i] = 0;
        else if (8 * i + 8 > bits)
            x->b[i] &= (uint8_t)((1u << (bits - 8 * i)) - 1);
    }
}

static int bn_eq(const bn *a, const bn *b)
{
    return memcmp(a->b, b->b, BN_MAX) == 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in;
    fz_in_init(&in, data, size);
    uint8_t flags = fz_u8(&in);
    size_t key_len = fz_u8(&in) % 41;
    uint8_t *key = fz_xmalloc(key_len);
    fz_bytes(&in, key, key_len);
    size_t in_len = fz_u8(&in) % (key_len + 4);
    uint8_t *src = fz_xmalloc(in_len), *out = fz_xmalloc(in_len), *back = fz_xmalloc(in_len);
    fz_bytes(&in, src, in_len);
    int inplace = flags & 1;
    e2e_status st;
    int lossy = 7;

    if (in_len > key_len) {
        memset(out, 0x5a, in_len);
        st = e2e_sigfox_xor(out, key, key_len, src, in_len);
        FZ_ASSERT(st == E2E_ERR_MALFORMED, "byte mode, in %zu > key %zu: %s", in_len, key_len,
                  e2e_status_name(st));
        st = e2e_sigfox_xor_legacy(out, &lossy, key, key_len, src, in_len);
        FZ_ASSERT(st == E2E_ERR_MALFORMED && lossy == 0,
                  "legacy mode, in %zu > key %zu: %s lossy %d", in_len, key_len,
                  e2e_status_name(st), lossy);
        for (size_t i = 0; i < in_len; i++)
            FZ_ASSERT(out[i] == 0x5a, "malformed call wrote output");
        goto done;
    }

    bn I, K, X, O, D;
    bn_from_be(&I, src, in_len);
    bn_from_be(&K, key, key_len);
    bn_xor(&X, &I, &K);

    /* byte mode */
    uint8_t *want = fz_xmalloc(in_len);
    O = X;
    bn_mod_pow2(&O, 8 * in_len);
    bn_to_be(want, in_len, &O);
    uint8_t *dst = inplace ? memcpy(out, src, in_len) : out;
    st = e2e_sigfox_xor(dst, key, key_len, inplace ? dst : src, in_len);
    FZ_ASSERT(st == E2E_OK, "byte mode: %s", e2e_status_name(st));
    FZ_ASSERT(memcmp(dst, want, in_len) == 0, "byte mode: %s, model %s", fz_hex(dst, in_len),
              fz_hex(want, in_len));
    FZ_ASSERT(e2e_sigfox_xor(back, key, key_len, dst, in_len) == E2E_OK &&
                  memcmp(back, src, in_len) == 0,
              "byte mode does not round-trip");

    /* legacy mode */
    size_t bl = bn_bitlen(&I);
    O = X;
    bn_mod_pow2(&O, bl);
    bn_to_be(want, in_len, &O);
    bn_xor(&D, &O, &K);                 /* the blog's decryption of O */
    bn_mod_pow2(&D, bn_bitlen(&O));
    int want_lossy = !bn_eq(&D, &I);
    dst = inplace ? memcpy(out, src, in_len) : out;
    lossy = 7;
    st = e2e_sigfox_xor_legacy(dst, &lossy, key, key_len, inplace ? dst : src, in_len);
    FZ_ASSERT(st == E2E_OK, "legacy mode: %s", e2e_status_name(st));
    FZ_ASSERT(memcmp(dst, want, in_len) == 0, "legacy mode: in %s key %s: %s, model %s",
              fz_hex(src, in_len), fz_hex(key, key_len), fz_hex(dst, in_len),
              fz_hex(want, in_len));
    FZ_ASSERT(lossy == want_lossy, "legacy mode: in %s key %s: lossy %d, model %d",
              fz_hex(src, in_len), fz_hex(key, key_len), lossy, want_lossy);
    if (!want_lossy) {
        /* The blog's decryption, through the engine: legacy mode applied to
         * the ciphertext gives the input back. */
        int l2 = 7;
        FZ_ASSERT(e2e_sigfox_xor_legacy(back, &l2, key, key_len, dst, in_len) == E2E_OK,
                  "legacy decrypt");
        FZ_ASSERT(memcmp(back, src, in_len) == 0, "legacy mode: not lossy yet no round trip");
    }
    if (flags & 2) {
        FZ_ASSERT(e2e_sigfox_xor_legacy(out, NULL, key, key_len, src, in_len) == E2E_ERR_PARAM,
                  "lossy == NULL accepted");
        FZ_ASSERT(e2e_sigfox_xor(NULL, key, key_len, src, 1 + in_len) == E2E_ERR_PARAM,
                  "out == NULL accepted");
        FZ_ASSERT(e2e_sigfox_xor(out, NULL, 1 + key_len, src, in_len) == E2E_ERR_PARAM,
                  "key == NULL accepted");
        FZ_ASSERT(e2e_sigfox_xor_legacy(out, &lossy, NULL, 1 + key_len, src, in_len) ==
                      E2E_ERR_PARAM,
                  "legacy key == NULL accepted");
        FZ_ASSERT(e2e_sigfox_xor_legacy(out, &lossy, key, key_len, NULL, 1 + in_len) ==
                      E2E_ERR_PARAM,
                  "legacy in == NULL accepted");
    }
    free(want);
done:
    free(key);
    free(src);
    free(out);
    free(back);
    return 0;
}
