/* fuzz_cs1.c — AES-128-CBC-CS1 (engine/cs1.c) against two independent oracles.
 *
 * Input: key[16] iv[16] sel [len16] off data...
 *   sel < 0xc0         length 15 + sel % 35  (dense over 15..49: one block,
 *                      every partial tail, two and three blocks)
 *   0xc0 <= sel < 0xe0 length sel - 0xc0     (0..31: the < 16 rejections)
 *   sel >= 0xe0        length u16 % 4097     (0 .. 4 KiB)
 *   off                overlap offset for the out < in decryption (1..32)
 *   data               the plaintext; past the input's end a PRNG stream
 *                      seeded from the input (so short inputs reach 4 KiB)
 *
 * Properties, for every implementation the CPU can run:
 *   - len < 16: encrypt and decrypt say E2E_ERR_MALFORMED and write nothing;
 *     OpenSSL's CS1 refuses the same lengths;
 *   - the expanded key is byte-identical across implementations;
 *   - encrypt = the BoringSSL oracle (whole-block CBC from BoringSSL, the
 *     stealing steps of the SP 800-38A addendum done here) = OpenSSL 3's
 *     AES-128-CBC-CTS with CTS mode "CS1";
 *   - encrypt in place = out of place; decrypt(encrypt(p)) = p out of place,
 *     in place and with out < in overlapping;
 *   - decrypt of the data taken as ciphertext = both oracles' decryption,
 *     and encrypting that gives the ciphertext back (CS1 is a permutation);
 *   - the raw ECB kernels on the whole blocks = BoringSSL's ECB.
 *
 * The oracles are shared objects loaded with RTLD_LOCAL (oracle/oracle.h);
 * LLVMFuzzerInitialize proves each is the library it claims before any
 * input runs. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "oracle/oracle.h"

#ifndef E2E_FUZZ_ORACLE_DIR
#define E2E_FUZZ_ORACLE_DIR "."
#endif

static const struct e2e_fuzz_oracle *bssl, *ossl;

/* ---------------------------------------------------------------- oracles */

static const struct e2e_fuzz_oracle *load_oracle(const char *file, const char *sym)
{
    char path[4096];
    const char *dir = getenv("E2E_FUZZ_ORACLE_DIR");
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : E2E_FUZZ_ORACLE_DIR, file);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        /* next to the executable */
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = '\0';
            snprintf(path, sizeof path, "%s/%s", exe, file);
            h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        }
    }
    FZ_ASSERT(h != NULL, "dlopen %s: %s", file, dlerror());
    e2e_fuzz_oracle_get_fn get = (e2e_fuzz_oracle_get_fn)dlsym(h, sym);
    FZ_ASSERT(get != NULL, "dlsym %s in %s", sym, path);
    const struct e2e_fuzz_oracle *o = get();
    FZ_ASSERT(o != NULL && o->abi == E2E_FUZZ_ORACLE_ABI, "%s: wrong oracle ABI", path);
    return o;
}

/* The SP 800-38A F.2.1 CBC-AES128 vector (first two blocks). */
static const uint8_t kat_key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                    0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const uint8_t kat_iv[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t kat_pt[32] = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
                                   0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
                                   0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c,
                                   0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51};
static const uint8_t kat_ct[32] = {0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
                                   0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d,
                                   0x50, 0x86, 0xcb, 0x9b, 0x50, 0x72, 0x19, 0xee,
                                   0x95, 0xdb, 0x11, 0x3a, 0x91, 0x76, 0x78, 0xb2};
/* RFC 3962 App. B, 17-byte input, reordered to CS1 (tests/vectors/cs1_rfc3962.txt). */
static const uint8_t cs1_key[16] = {0x63, 0x68, 0x69, 0x63, 0x6b, 0x65, 0x6e, 0x20,
                                    0x74, 0x65, 0x72, 0x69, 0x79, 0x61, 0x6b, 0x69};
static const uint8_t cs1_pt[17] = {0x49, 0x20, 0x77, 0x6f, 0x75, 0x6c, 0x64, 0x20, 0x6c,
                                   0x69, 0x6b, 0x65, 0x20, 0x74, 0x68, 0x65, 0x20};
static const uint8_t cs1_ct[17] = {0x97, 0xc6, 0x35, 0x35, 0x68, 0xf2, 0xbf, 0x8c, 0xb4,
                                   0xd8, 0xa5, 0x80, 0x36, 0x2d, 0xa7, 0xff, 0x7f};

/* oracle_check proves that each oracle is the library it claims:
 *  1. no libcrypto symbol is visible in the global scope (this executable
 *     links none), so the oracles' references cannot cross over;
 *  2. OpenSSL_version(), as bound inside each oracle, names that library;
 *  3. the file defining the cipher entry point each oracle calls is that
 *     library's file (dladdr);
 *  4. both compute a known answer. */
static void oracle_check(void)
{
    static const char *const crypto_syms[] = {"AES_encrypt", "AES_cbc_encrypt", "OpenSSL_version",
                                              "EVP_CipherUpdate", "EVP_CIPHER_fetch", NULL};
    for (const char *const *s = crypto_syms; *s; s++)
        FZ_ASSERT(dlsym(RTLD_DEFAULT, *s) == NULL,
                  "%s is in the global scope: the oracles are not isolated", *s);

    const char *bv = bssl->version(), *ov = ossl->version();
    const char *bp = bssl->lib_path(), *op = ossl->lib_path();
    FZ_ASSERT(strcmp(bssl->claims, "BoringSSL") == 0 && strstr(bv, "BoringSSL") != NULL,
              "BoringSSL oracle reports \"%s\"", bv);
    FZ_ASSERT(strcmp(ossl->claims, "OpenSSL") == 0 && strncmp(ov, "OpenSSL 3", 9) == 0,
              "OpenSSL oracle reports \"%s\"", ov);
    FZ_ASSERT(strstr(bp, "/android/libcrypto.so") != NULL,
              "BoringSSL oracle's AES_cbc_encrypt comes from %s", bp);
    FZ_ASSERT(strstr(op, "libcrypto.so.3") != NULL && strstr(op, "android") == NULL,
              "OpenSSL oracle's EVP_CipherUpdate comes from %s", op);

    uint8_t out[32];
    for (int w = 0; w < 2; w++) {
        const struct e2e_fuzz_oracle *o = w ? ossl : bssl;
        FZ_ASSERT(o->cbc(1, kat_key, kat_iv, out, kat_pt, 2) == 0 &&
                      memcmp(out, kat_ct, 32) == 0,
                  "%s: SP 800-38A CBC vector", o->claims);
        FZ_ASSERT(o->cbc(0, kat_key, kat_iv, out, kat_ct, 2) == 0 &&
                      memcmp(out, kat_pt, 32) == 0,
                  "%s: SP 800-38A CBC vector (decrypt)", o->claims);
    }
    static const uint8_t zero_iv[16];
    FZ_ASSERT(ossl->cs1(1, cs1_key, zero_iv, out, cs1_pt, 17) == 0 &&
                  memcmp(out, cs1_ct, 17) == 0,
              "OpenSSL CS1: RFC 3962 17-byte vector in CS1 order");
    fprintf(stderr, "fuzz_cs1: oracle 1 = \"%s\" from %s\n", bv, bp);
    fprintf(stderr, "fuzz_cs1: oracle 2 = \"%s\" from %s\n", ov, op);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    bssl = load_oracle("oracle_boringssl.so", "e2e_fuzz_oracle_boringssl");
    ossl = load_oracle("oracle_openssl.so", "e2e_fuzz_oracle_openssl");
    oracle_check();
    fz_single_engines();
    return 0;
}

/* ---------------------------------------------------------------- stealing */

/* bssl_cs1_encrypt: the addendum's CBC-CS1-Encrypt, step by step, over
 * BoringSSL's whole-block CBC. len >= 16. */
static void bssl_cs1_encrypt(const uint8_t key[16], const uint8_t iv[16], uint8_t *out,
                             const uint8_t *in, size_t len)
{
    size_t n = (len + 15) / 16, d = len - 16 * (n - 1);
    uint8_t *pad = fz_xmalloc(16 * n), *c = fz_xmalloc(16 * n);
    memset(pad, 0, 16 * n);
    memcpy(pad, in, len);                        /* P1 .. P(n-1) || Pn || 0^(16-d) */
    FZ_ASSERT(bssl->cbc(1, key, iv, c, pad, n) == 0, "BoringSSL CBC");
    /* C1 .. C(n-2) || MSB_d(C(n-1)) || Cn */
    memcpy(out, c, 16 * (n - 2 + (d == 16)));
    if (d == 16) {
        memcpy(out + 16 * (n - 1), c + 16 * (n - 1), 16);
    } else {
        memcpy(out + 16 * (n - 2), c + 16 * (n - 2), d);
        memcpy(out + 16 * (n - 2) + d, c + 16 * (n - 1), 16);
    }
    free(pad);
    free(c);
}

/* bssl_cs1_decrypt: the addendum's CBC-CS1-Decrypt. len >= 16. */
static void bssl_cs1_decrypt(const uint8_t key[16], const uint8_t iv[16], uint8_t *out,
                             const uint8_t *in, size_t len)
{
    size_t n = (len + 15) / 16, d = len - 16 * (n - 1);
    if (d == 16) {
        FZ_ASSERT(bssl->cbc(0, key, iv, out, in, n) == 0, "BoringSSL CBC");
        return;
    }
    uint8_t *c = fz_xmalloc(16 * n), *p = fz_xmalloc(16 * n), z[16];
    /* Z = D(Cn); C(n-1) = C*(n-1) || LSB_(16-d)(Z); Pn = MSB_d(C*(n-1) ^ Z) */
    const uint8_t *cstar = in + 16 * (n - 2), *cn = cstar + d;
    FZ_ASSERT(bssl->ecb(0, key, z, cn, 1) == 0, "BoringSSL ECB");
    memcpy(c, in, 16 * (n - 2));
    memcpy(c + 16 * (n - 2), cstar, d);
    memcpy(c + 16 * (n - 2) + d, z + d, 16 - d);
    FZ_ASSERT(bssl->cbc(0, key, iv, p, c, n - 1) == 0, "BoringSSL CBC");
    memcpy(out, p, 16 * (n - 1));
    for (size_t i = 0; i < d; i++)
        out[16 * (n - 1) + i] = cstar[i] ^ z[i];
    free(c);
    free(p);
}

/* ---------------------------------------------------------------- target */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fz_engines *E = fz_single_engines();
    struct fz_in in;
    fz_in_init(&in, data, size);
    uint8_t key[16], iv[16];
    fz_bytes(&in, key, 16);
    fz_bytes(&in, iv, 16);
    uint8_t sel = fz_u8(&in);
    size_t len;
    if (sel < 0xc0)
        len = 15 + sel % 35;
    else if (sel < 0xe0)
        len = (size_t)(sel - 0xc0);
    else
        len = fz_u16(&in) % 4097;
    size_t off = 1 + fz_u8(&in) % 32;

    uint8_t *pt = fz_xmalloc(len), *x = fz_xmalloc(len);  /* x: data as ciphertext */
    fz_fill(&in, pt, len);
    memcpy(x, pt, len);

    if (len < 16) {
        uint8_t out[16], buf[16];
        memset(buf, 0xa5, sizeof buf);
        FZ_ASSERT(ossl->cs1(1, key, iv, out, pt, len) != 0, "OpenSSL CS1 took %zu bytes", len);
        for (size_t e = 0; e < E->n; e++) {
            e2e_aes_key k;
            e2e_aes128_key_init(&E->eng[e], &k, key);
            memcpy(out, buf, sizeof out);
            e2e_status st = e2e_cs1_encrypt(&E->eng[e], &k, iv, out, pt, len);
            FZ_ASSERT(st == E2E_ERR_MALFORMED && memcmp(out, buf, 16) == 0,
                      "%s: cs1_encrypt(len %zu) = %s or wrote output", E->name[e], len,
                      e2e_status_name(st));
            st = e2e_cs1_decrypt(&E->eng[e], &k, iv, out, pt, len);
            FZ_ASSERT(st == E2E_ERR_MALFORMED && memcmp(out, buf, 16) == 0,
                      "%s: cs1_decrypt(len %zu) = %s or wrote output", E->name[e], len,
                      e2e_status_name(st));
        }
        free(pt);
        free(x);
        return 0;
    }

    /* The oracles, once per input. */
    uint8_t *want = fz_xmalloc(len), *want_x = fz_xmalloc(len), *o2 = fz_xmalloc(len);
    bssl_cs1_encrypt(key, iv, want, pt, len);
    FZ_ASSERT(ossl->cs1(1, key, iv, o2, pt, len) == 0, "OpenSSL CS1 refused %zu bytes", len);
    FZ_ASSERT(memcmp(o2, want, len) == 0, "oracles disagree on encrypt, len %zu: %s vs %s",
              len, fz_hex(want, len), fz_hex(o2, len));
    bssl_cs1_decrypt(key, iv, want_x, x, len);
    FZ_ASSERT(ossl->cs1(0, key, iv, o2, x, len) == 0, "OpenSSL CS1 refused %zu bytes", len);
    FZ_ASSERT(memcmp(o2, want_x, len) == 0, "oracles disagree on decrypt, len %zu", len);

    /* Raw ECB of the whole blocks (the kernels' 8-block paths): BoringSSL. */
    size_t nb = len / 16;
    uint8_t *ecb_e = fz_xmalloc(16 * nb), *ecb_d = fz_xmalloc(16 * nb);
    FZ_ASSERT(bssl->ecb(1, key, ecb_e, pt, nb) == 0 && bssl->ecb(0, key, ecb_d, x, nb) == 0,
              "BoringSSL ECB");

    uint8_t *ct = fz_xmalloc(len), *buf = fz_xmalloc(len), *big = fz_xmalloc(len + off);
    e2e_aes_key k0;
    for (size_t e = 0; e < E->n; e++) {
        const e2e_engine *eng = &E->eng[e];
        const char *nm = E->name[e];
        e2e_aes_key k;
        memset(&k, 0x5a, sizeof k);
        e2e_aes128_key_init(eng, &k, key);
        if (e == 0)
            k0 = k;
        FZ_ASSERT(memcmp(&k, &k0, sizeof k) == 0, "%s: expanded key differs from %s", nm,
                  E->name[0]);

        FZ_ASSERT(e2e_cs1_encrypt(eng, &k, iv, ct, pt, len) == E2E_OK, "%s: encrypt", nm);
        FZ_ASSERT(memcmp(ct, want, len) == 0, "%s: encrypt, len %zu: %s, oracles %s", nm, len,
                  fz_hex(ct, len), fz_hex(want, len));
        memcpy(buf, pt, len);
        FZ_ASSERT(e2e_cs1_encrypt(eng, &k, iv, buf, buf, len) == E2E_OK, "%s: encrypt", nm);
        FZ_ASSERT(memcmp(buf, want, len) == 0, "%s: in-place encrypt, len %zu", nm, len);

        FZ_ASSERT(e2e_cs1_decrypt(eng, &k, iv, buf, ct, len) == E2E_OK, "%s: decrypt", nm);
        FZ_ASSERT(memcmp(buf, pt, len) == 0, "%s: decrypt(encrypt(p)) != p, len %zu", nm, len);
        memcpy(buf, ct, len);
        FZ_ASSERT(e2e_cs1_decrypt(eng, &k, iv, buf, buf, len) == E2E_OK, "%s: decrypt", nm);
        FZ_ASSERT(memcmp(buf, pt, len) == 0, "%s: in-place decrypt, len %zu", nm, len);
        memcpy(big + off, ct, len);
        FZ_ASSERT(e2e_cs1_decrypt(eng, &k, iv, big, big + off, len) == E2E_OK, "%s: decrypt",
                  nm);
        FZ_ASSERT(memcmp(big, pt, len) == 0, "%s: decrypt with out = in - %zu, len %zu", nm,
                  off, len);

        FZ_ASSERT(e2e_cs1_decrypt(eng, &k, iv, buf, x, len) == E2E_OK, "%s: decrypt", nm);
        FZ_ASSERT(memcmp(buf, want_x, len) == 0, "%s: decrypt of arbitrary data, len %zu", nm,
                  len);
        FZ_ASSERT(e2e_cs1_encrypt(eng, &k, iv, buf, buf, len) == E2E_OK, "%s: encrypt", nm);
        FZ_ASSERT(memcmp(buf, x, len) == 0, "%s: encrypt(decrypt(c)) != c, len %zu", nm, len);

        const struct e2e_aes_impl *aes = e2e_aes_of(eng);
        aes->ecb_enc(&k, buf, pt, nb);
        FZ_ASSERT(memcmp(buf, ecb_e, 16 * nb) == 0, "%s: ECB encrypt of %zu blocks", nm, nb);
        aes->ecb_dec(&k, buf, x, nb);
        FZ_ASSERT(memcmp(buf, ecb_d, 16 * nb) == 0, "%s: ECB decrypt of %zu blocks", nm, nb);
    }
    free(ecb_e);
    free(ecb_d);
    free(pt);
    free(x);
    free(want);
    free(want_x);
    free(o2);
    free(ct);
    free(buf);
    free(big);
    return 0;
}
