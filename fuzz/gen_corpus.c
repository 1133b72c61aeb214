/* gen_corpus.c — writes the committed seed corpora fuzz/corpus/<target>/seed-*
 * in each target's input format (see the comment at the top of each
 * fuzz_<target>.c). Run through fuzz/gen_corpus.sh; deterministic, so a
 * rerun rewrites the same files. Valid sealed messages are made with the
 * plain engine and the same key-set pool the targets use (fuzz_common.h).
 *
 * Sources of the seeds: the seed documents (the two example wire messages
 * and the REST parameter sets of u-blox's E2E Data Protection guide; the
 * Sigfox blog's 1A2B3C / ABCDEF1234567890ABCDEF12 example), RFC 3962 App. B
 * (CS1 order, tests/vectors/cs1_rfc3962.txt), and edge cases per target. */
#include <errno.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static const char *outdir;
static e2e_engine eng;
static struct fz_keypool pool;

struct b {
    uint8_t p[80000];
    size_t n;
};

static void put(struct b *b, const void *p, size_t n)
{
    if (b->n + n > sizeof b->p)
        abort();
    memcpy(b->p + b->n, p, n);
    b->n += n;
}
static void u8(struct b *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}
static void u16(struct b *b, unsigned v)
{
    u8(b, v >> 8);
    u8(b, v & 0xff);
}
static void str(struct b *b, const char *s)
{
    put(b, s, strlen(s));
}
static void pattern(struct b *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        u8(b, (unsigned)(i * 31 + seed * 7 + (i >> 3)));
}
static size_t unhex(uint8_t *out, const char *h)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}
static void hexput(struct b *b, const char *h)
{
    uint8_t tmp[4096];
    put(b, tmp, unhex(tmp, h));
}

static void save(const char *target, const char *label, const struct b *b)
{
    static unsigned counter;
    static char last[32];
    char dir[4096], path[4200];
    if (strcmp(last, target) != 0) {
        counter = 0;
        snprintf(last, sizeof last, "%s", target);
    }
    snprintf(dir, sizeof dir, "%s/%s", outdir, target);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/seed-%03u-%s", dir, counter++, label);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->n, f) != b->n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* The seed document's two example messages ("HELLO"). */
static const char *doc_msg_ccm =
    "1101000089291e26ec1aeb00744500000b874c81e91d623addf63bcebe64fe8b290efb4cd7";
static const char *doc_msg_cs1 =
    "2a0000041908003fa6620001697e2fe027bc63a0c668d2c6a7973043b2307f8228";

/* ---------------------------------------------------------------- cs1 */

static void gen_cs1(void)
{
    static const char *rfc_pt[] = {
        "4920776f756c64206c696b652074686520",
        "4920776f756c64206c696b65207468652047656e6572616c20476175277320",
        "4920776f756c64206c696b65207468652047656e6572616c2047617527732043",
        "4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c",
        "4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20",
        "4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20616e6420776f6e746f6e20736f75702e",
    };
    static const char *chicken = "636869636b656e207465726979616b69";
    struct b b;
    for (size_t i = 0; i < 6; i++) {
        uint8_t pt[64];
        size_t n = unhex(pt, rfc_pt[i]);
        b.n = 0;
        hexput(&b, chicken);
        pattern(&b, 0, 0);
        for (int j = 0; j < 16; j++)
            u8(&b, 0);
        if (n <= 49) {
            u8(&b, (unsigned)(n - 15));
        } else {
            u8(&b, 0xe0);
            u16(&b, (unsigned)n);
        }
        u8(&b, (unsigned)i);
        put(&b, pt, n);
        char label[32];
        snprintf(label, sizeof label, "rfc3962-%zu", n);
        save("cs1", label, &b);
    }
    for (unsigned len = 15; len <= 49; len++) {
        b.n = 0;
        pattern(&b, 32, len);
        u8(&b, len - 15);
        u8(&b, len);
        pattern(&b, len, len + 100);
        char label[32];
        snprintf(label, sizeof label, "len%u", len);
        save("cs1", label, &b);
    }
    static const unsigned small[] = {0, 1, 8, 15};
    for (size_t i = 0; i < 4; i++) {
        b.n = 0;
        pattern(&b, 32, 200 + (unsigned)i);
        u8(&b, 0xc0 + small[i]);
        u8(&b, 3);
        pattern(&b, small[i], 9);
        char label[32];
        snprintf(label, sizeof label, "short%u", small[i]);
        save("cs1", label, &b);
    }
    static const unsigned big[] = {64, 255, 1024, 4095, 4096};
    for (size_t i = 0; i < 5; i++) {
        b.n = 0;
        pattern(&b, 32, 300 + (unsigned)i);
        u8(&b, 0xe0);
        u16(&b, big[i]);
        u8(&b, 17);
        pattern(&b, 64, 11);  /* the rest comes from the PRNG stream */
        char label[32];
        snprintf(label, sizeof label, "len%u", big[i]);
        save("cs1", label, &b);
    }
    /* the seed's CS1 example body (21 bytes) as data under the doc's key and IV */
    b.n = 0;
    put(&b, fz_doc_cs1_key, 16);
    put(&b, fz_doc_cs1_iv, 16);
    u8(&b, 21 - 15);
    u8(&b, 1);
    hexput(&b, doc_msg_cs1 + 24);
    save("cs1", "doc-cs1-body", &b);
}

/* ---------------------------------------------------------------- xor */

static void xor_seed(const char *label, unsigned flags, const char *key, const char *data)
{
    struct b b;
    uint8_t k[64], d[64];
    size_t kl = unhex(k, key), dl = unhex(d, data);
    b.n = 0;
    u8(&b, flags);
    u8(&b, (unsigned)kl);
    put(&b, k, kl);
    u8(&b, (unsigned)dl);
    put(&b, d, dl);
    save("xor", label, &b);
}

static void gen_xor(void)
{
    const char *blog = "abcdef1234567890abcdef12";
    xor_seed("blog-1a2b3c", 0, blog, "1a2b3c");
    xor_seed("blog-1a2b3c-inplace", 1, blog, "1a2b3c");
    xor_seed("zero-data", 0, blog, "000000");
    xor_seed("one-zero-odd-key", 2, "13", "00");
    xor_seed("null-pointers", 2, blog, "1a2b3c");
    xor_seed("leading-zero", 0, blog, "001a2b3c");
    xor_seed("leading-zero-lossy", 0, blog, "001a");
    xor_seed("lossy-top-bit", 1, blog, "12");
    xor_seed("full-12", 0, blog, "0123456789abcdef01234567");
    xor_seed("full-12-lossy", 0, blog, "abcdef1234567890abcdef12");
    xor_seed("longer-than-key", 0, "abcd", "010203");
    xor_seed("empty", 0, blog, "");
    xor_seed("empty-key", 0, "", "");
    xor_seed("key-leading-zeros", 0, "0000000080", "80");
    xor_seed("one-bit", 0, blog, "01");
    xor_seed("long-key-40", 3,
             "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677",
             "0000000000000000ffeeddccbbaa99887766554433221100ffeeddccbbaa998877665544");
}

/* ---------------------------------------------------------------- ki */

static void ki_seed(const char *label, unsigned suite, unsigned flags, const uint8_t *enc,
                    size_t enc_len, const uint8_t *auth, size_t auth_len, const uint8_t *kiv,
                    size_t kiv_len, const uint8_t *iv, size_t iv_len, const uint8_t *ki,
                    size_t ki_len, unsigned tag, const uint8_t *msg, size_t msg_len)
{
    struct b b;
    b.n = 0;
    u8(&b, suite);
    u8(&b, flags);
    u8(&b, (unsigned)enc_len);
    u8(&b, (unsigned)auth_len);
    u8(&b, (unsigned)kiv_len);
    u8(&b, (unsigned)iv_len);
    u8(&b, (unsigned)ki_len);
    u8(&b, tag);
    put(&b, enc, enc_len);
    put(&b, auth, auth_len);
    put(&b, kiv, kiv_len);
    put(&b, iv, iv_len);
    put(&b, ki, ki_len);
    put(&b, msg, msg_len);
    save("ki", label, &b);
}

/* sealed seals pt with p into out (for seeds); returns the length. */
static size_t sealed(const e2e_keyset_params *p, const char *pt, uint8_t *out, size_t cap)
{
    e2e_keyset ks;
    size_t n = 0;
    if (e2e_keyset_init(&ks, &eng, p) != E2E_OK)
        abort();
    if (e2e_seal(&eng, &ks, out, cap, &n, (const uint8_t *)pt, strlen(pt)) != E2E_OK)
        abort();
    return n;
}

static void gen_ki(void)
{
    uint8_t m[256], doc1[64], doc2[64];
    size_t d1 = unhex(doc1, doc_msg_ccm), d2 = unhex(doc2, doc_msg_cs1);
    static const uint8_t k16[16] = "0123456789abcdef", n13[13] = "nonce-13-byte";
    e2e_keyset_params p;

    /* the seed's CS1 parameters and its CS1 example message */
    ki_seed("doc-cs1-docmsg", 3, 16 | 64, fz_doc_cs1_key, 16, fz_doc_cs1_auth, 16, fz_doc_cs1_kiv, 12,
            fz_doc_cs1_iv, 16, NULL, 0, 0, doc2, d2);
    ki_seed("doc-ccm-docmsg", 1, 0, fz_doc_cs1_key, 16, NULL, 0, NULL, 0, n13, 13,
            fz_doc_ccm_ki, 16, 0, doc1, d1);
    p = (e2e_keyset_params){.suite = 3, .enc_key = fz_doc_cs1_key, .enc_key_len = 16,
                            .auth_key = fz_doc_cs1_auth, .auth_key_len = 16,
                            .kiv = fz_doc_cs1_kiv, .kiv_len = 12, .iv = fz_doc_cs1_iv,
                            .iv_len = 16};
    ki_seed("doc-cs1-sealed", 3, 16, fz_doc_cs1_key, 16, fz_doc_cs1_auth, 16, fz_doc_cs1_kiv, 12,
            fz_doc_cs1_iv, 16, NULL, 0, 0, m, sealed(&p, "HELLO", m, sizeof m));
    p = (e2e_keyset_params){.suite = 4, .auth_key = fz_doc_hmac_auth, .auth_key_len = 16,
                            .kiv = fz_doc_hmac_kiv, .kiv_len = 12};
    ki_seed("doc-hmac-sealed", 4, 16, NULL, 0, fz_doc_hmac_auth, 16, fz_doc_hmac_kiv, 12, NULL, 0,
            NULL, 0, 0, m, sealed(&p, "The quick brown fox jumps over the lazy dog.", m, sizeof m));
    p = (e2e_keyset_params){.suite = 3, .enc_key = fz_doc_dl_key, .enc_key_len = 16,
                            .auth_key = fz_doc_dl_auth, .auth_key_len = 16,
                            .kiv = fz_doc_dl_kiv, .kiv_len = 16, .iv = fz_doc_dl_iv,
                            .iv_len = 16};
    ki_seed("doc-downlink-sealed", 3, 16, fz_doc_dl_key, 16, fz_doc_dl_auth, 16, fz_doc_dl_kiv,
            16, fz_doc_dl_iv, 16, NULL, 0, 0, m,
            sealed(&p, "The quick brown fox jumps over the lazy dog.", m, sizeof m));
    p = (e2e_keyset_params){.suite = 1, .enc_key = k16, .enc_key_len = 16, .iv = n13,
                            .iv_len = 13, .ki = fz_doc_ccm_ki, .ki_len = 16};
    ki_seed("ccm-sealed", 1, 128, k16, 16, NULL, 0, NULL, 0, n13, 13, fz_doc_ccm_ki, 16, 0, m,
            sealed(&p, "HELLO", m, sizeof m));
    p = (e2e_keyset_params){.suite = 2, .enc_key = k16, .enc_key_len = 16, .iv = n13,
                            .iv_len = 7, .kiv = fz_doc_cs1_kiv, .kiv_len = 12, .tag_len = 4};
    ki_seed("ccm8-n7-t4-sealed", 2, 16, k16, 16, NULL, 0, fz_doc_cs1_kiv, 12, n13, 7, NULL, 0, 4,
            m, sealed(&p, "", m, sizeof m));
    /* edges of each rule */
    ki_seed("bad-suite-0", 0, 0, k16, 16, NULL, 0, NULL, 0, n13, 13, NULL, 0, 0, doc1, d1);
    ki_seed("bad-suite-5", 5, 0, k16, 16, NULL, 0, NULL, 0, n13, 13, NULL, 0, 0, doc1, d1);
    ki_seed("enc-15", 1, 0, k16, 15, NULL, 0, NULL, 0, n13, 13, fz_doc_ccm_ki, 16, 0, doc1, d1);
    ki_seed("nonce-6", 1, 0, k16, 16, NULL, 0, NULL, 0, n13, 6, fz_doc_ccm_ki, 16, 0, doc1, d1);
    ki_seed("cs1-iv-15", 3, 16, k16, 16, k16, 16, fz_doc_cs1_kiv, 12, fz_doc_cs1_iv, 15, NULL, 0,
            0, doc2, d2);
    ki_seed("hmac-tag-33", 4, 16, NULL, 0, k16, 16, fz_doc_cs1_kiv, 12, NULL, 0, NULL, 0, 33,
            doc2, d2);
    ki_seed("ccm-tag-5", 1, 0, k16, 16, NULL, 0, NULL, 0, n13, 13, fz_doc_ccm_ki, 16, 5, doc1, d1);
    ki_seed("null-enc", 1, 1, k16, 16, NULL, 0, NULL, 0, n13, 13, fz_doc_ccm_ki, 16, 0, doc1, d1);
    ki_seed("ki-nibble-3", 1, 0, k16, 16, NULL, 0, NULL, 0, n13, 13, (const uint8_t *)"\x30" "abcdefghijklmno", 16, 0, doc1, d1);
    ki_seed("ki-from-kiv-bytes", 4, 32, NULL, 0, k16, 16, fz_doc_hmac_kiv, 12, NULL, 0, NULL, 0,
            0, doc2, d2);
    ki_seed("no-ki", 4, 16, NULL, 0, k16, 16, (const uint8_t *)"\x05" "kiv", 4, NULL, 0, NULL, 0, 0,
            doc2, d2);
    uint8_t longkey[100];
    for (size_t i = 0; i < sizeof longkey; i++)
        longkey[i] = (uint8_t)i;
    ki_seed("auth-100-kiv-64", 3, 0, k16, 16, longkey, 100, longkey, 64, fz_doc_cs1_iv, 16,
            fz_doc_ccm_ki, 16, 32, doc1, d1);
    ki_seed("empty-msg", 4, 16, NULL, 0, k16, 16, fz_doc_cs1_kiv, 12, NULL, 0, NULL, 0, 0, m, 0);
    ki_seed("short-ki-msg", 4, 16, NULL, 0, k16, 16, fz_doc_cs1_kiv, 12, NULL, 0, NULL, 0, 0, doc1,
            11);
}

/* ---------------------------------------------------------------- open */

static void gen_open(void)
{
    struct b b;
    uint8_t m[4096];
    static const char *pts[] = {"", "HELLO", "The quick brown fox jumps over the lazy dog.",
                                "0123456789abcde", "0123456789abcdef0123456789abcdef0"};
    for (size_t k = 0; k < FZ_NKEYSETS; k++) {
        for (size_t i = 0; i < 5; i += (k % 2 ? 2 : 1)) {
            size_t n = 0;
            if (e2e_seal(&eng, &pool.ks[k], m, sizeof m, &n, (const uint8_t *)pts[i],
                         strlen(pts[i])) != E2E_OK)
                continue;   /* CS1 with P || T under a block */
            b.n = 0;
            u8(&b, (unsigned)k);
            put(&b, m, n);
            char label[48];
            snprintf(label, sizeof label, "ks%zu-pt%zu", k, strlen(pts[i]));
            save("open", label, &b);
        }
        /* near-valid: seal a 20-byte plaintext, flip a bit in the tag region */
        b.n = 0;
        u8(&b, 0x80 | (unsigned)k);
        u8(&b, 20);
        pattern(&b, 20, (unsigned)k);
        u8(&b, 2);
        u8(&b, 0); u16(&b, 0xffff); u8(&b, 3);   /* flip a bit near the end */
        u8(&b, 5); u16(&b, 0); u8(&b, 0x20);     /* KI nibble -> 2 */
        char label[48];
        snprintf(label, sizeof label, "ks%zu-near", k);
        save("open", label, &b);
        b.n = 0;
        u8(&b, 0x80 | (unsigned)k);
        u8(&b, 0xf0);
        u16(&b, 1500);
        u8(&b, 1);
        u8(&b, 2); u16(&b, 1000); u8(&b, 0);     /* truncate */
        snprintf(label, sizeof label, "ks%zu-long-trunc", k);
        save("open", label, &b);
    }
    uint8_t doc[64];
    size_t n = unhex(doc, doc_msg_ccm);
    b.n = 0;
    u8(&b, 0);
    put(&b, doc, n);
    save("open", "doc-ccm-example", &b);
    n = unhex(doc, doc_msg_cs1);
    b.n = 0;
    u8(&b, 3);
    put(&b, doc, n);
    save("open", "doc-cs1-example", &b);
    b.n = 0;
    u8(&b, 7);
    put(&b, doc, n);
    save("open", "doc-cs1-example-hmac", &b);
    b.n = 0;
    u8(&b, 5);
    str(&b, "\x30" "garbage");
    save("open", "bad-nibble", &b);
}

/* ---------------------------------------------------------------- ccm */

static void ccm_seed(const char *label, unsigned nsel, unsigned tsel, unsigned flags,
                     unsigned asel, unsigned a16, unsigned psel, unsigned p16, unsigned tamper,
                     size_t aad_in, size_t pt_in)
{
    struct b b;
    b.n = 0;
    pattern(&b, 16, nsel * 19 + tsel);
    u8(&b, nsel);
    u8(&b, tsel);
    u8(&b, flags);
    u8(&b, asel);
    u8(&b, psel);
    u16(&b, tamper);
    pattern(&b, 13, 77);
    if (asel >= 0xf0 && asel < 0xfe)
        u16(&b, a16);
    else if (asel == 0xfe)
        u8(&b, a16);
    if (psel >= 0xe0)
        u16(&b, p16);
    pattern(&b, aad_in + pt_in, 5);
    save("ccm", label, &b);
}

static void gen_ccm(void)
{
    char label[48];
    for (unsigned n = 7; n <= 13; n++)
        for (unsigned t = 4; t <= 16; t += 2) {
            snprintf(label, sizeof label, "n%u-t%u", n, t);
            ccm_seed(label, n - 6, t, (n == 13 && t == 16) ? 1 : 0, (n + t) % 3 ? n + t : 0, 0,
                     (n * t) % 40, 0, n * 100 + t, 20, 40);
        }
    ccm_seed("n6-invalid", 0, 16, 0, 5, 0, 10, 0, 1, 5, 10);
    ccm_seed("n14-invalid", 8, 16, 0, 5, 0, 10, 0, 1, 5, 10);
    ccm_seed("t2-invalid", 7, 2, 0, 5, 0, 10, 0, 1, 5, 10);
    ccm_seed("t5-invalid", 7, 5, 0, 5, 0, 10, 0, 1, 5, 10);
    ccm_seed("t18-invalid", 7, 18, 0, 5, 0, 2, 0, 1, 5, 2);
    ccm_seed("aad-2047", 7, 16, 0, 0xf0, 2047, 30, 0, 7, 64, 30);
    ccm_seed("aad-0xff00", 13, 8, 1, 0xfe, 0, 30, 0, 9, 64, 30);
    ccm_seed("aad-0xfeff", 12, 10, 0, 0xff, 0, 30, 0, 9, 64, 30);
    ccm_seed("aad-14", 11, 12, 0, 14, 0, 0, 0, 3, 14, 0);
    ccm_seed("aad-15", 11, 12, 0, 15, 0, 0, 0, 3, 15, 0);
    ccm_seed("pt-4096", 7, 16, 1, 0, 0, 0xe0, 4096, 1234, 0, 100);
    ccm_seed("pt-0-aad-0", 13, 4, 1, 0, 0, 0, 0, 0, 0, 0);
    ccm_seed("n7-huge", 1, 8, 1, 3, 0, 10, 0, 5, 3, 10);
    ccm_seed("n10-huge", 4, 8, 1, 3, 0, 10, 0, 5, 3, 10);
    ccm_seed("n11-huge", 5, 8, 1, 3, 0, 10, 0, 5, 3, 10);
    ccm_seed("n12-huge", 6, 8, 1, 3, 0, 10, 0, 5, 3, 10);
}

/* ---------------------------------------------------------------- batch */

static void job(struct b *b, unsigned kind, unsigned ks, unsigned len, unsigned mut, unsigned cap)
{
    u8(b, kind);
    u8(b, ks);
    u16(b, len);
    u16(b, mut);
    u8(b, cap);
}

static void gen_batch(void)
{
    struct b b;
    char label[48];
    for (unsigned kind = 0; kind < 16; kind++) {
        b.n = 0;
        u8(&b, 1);
        job(&b, kind, kind % FZ_NKEYSETS, 5 + kind, 0x1234 + kind, kind % 4);
        snprintf(label, sizeof label, "one-kind%u", kind);
        save("batch", label, &b);
    }
    for (unsigned s = 0; s < 6; s++) {
        unsigned n = s < 3 ? 16 : 48;
        b.n = 0;
        u8(&b, n);
        for (unsigned i = 0; i < n; i++) {
            unsigned kind = (i * 7 + s) % 16, ks = (i * 5 + s) % FZ_NKEYSETS;
            unsigned len = s % 2 ? (0x8000 | (i * 97 + s * 13)) : (i * 3 + s);
            job(&b, kind | (s << 4), ks, len, i * 0x0101 + s, (i + s) % 3 == 0 ? 2 : 0);
        }
        snprintf(label, sizeof label, "mix%u-%ujobs", s, n);
        save("batch", label, &b);
    }
    /* every key set, all good opens: a full lane group per suite */
    b.n = 0;
    u8(&b, 48);
    for (unsigned i = 0; i < 48; i++)
        job(&b, 0, i % FZ_NKEYSETS, 16 + i, 0, 0);
    save("batch", "all-good-48", &b);
    b.n = 0;
    u8(&b, 0);
    save("batch", "empty", &b);
}

/* ---------------------------------------------------------------- keyring */

static void text_seed(const char *target, const char *label, const char *text)
{
    struct b b;
    b.n = 0;
    str(&b, text);
    save(target, label, &b);
}

static void gen_keyring(void)
{
    /* The seed document's REST responses, as JSON (the guide prints Python
     * dict syntax with single quotes). */
    text_seed("keyring", "doc-uplink-cs1",
              "{\n\"CipherSuite\": \"AES_128_CS1_HMAC_SHA256\",\n"
              "\"AESIV\": \"KgAABAAIAD+yUgABAAAAAA==\",\n\"KIV\": \"KgAABAAIAD+yUgAB\",\n"
              "\"EncryptionKey\": \"iGoE1WPNYd6+vcJxZmB2QQ==\",\n"
              "\"AuthenticationKey\": \"CuHbo9SDN/Bbh3Qe8G5xYg==\",\n\"MACLength\": 128,\n"
              "\"KeyLength\": 128,\n\"AuthKeyLength\": 128,\n"
              "\"ROTPublicUID\": \"00041208003fa662\"\n}\n");
    text_seed("keyring", "doc-hmac",
              "{\"CipherSuite\": \"HMAC_SHA256\", \"AuthenticationKey\": "
              "\"NR9u5wz3zpF17M5aSkOJpA==\", \"KIV\": \"KgAABAAIAD+mYg0C\", \"ROTPublicUID\": "
              "\"00040008003fa662\", \"MACLength\": 128, \"AuthKeyLength\": 128}\n");
    text_seed("keyring", "doc-downlink-noncanonical-b64",
              "{\"MACLength\": 128, \"KeyLength\": 128, \"CipherSuite\": "
              "\"AES_128_CS1_HMAC_SHA256\", \"AuthenticationKey\": \"lTZfP2dO5IAXvJT8FlXV5A==\", "
              "\"AuthKeyLength\": 128, \"EncryptionKey\": \"EuPzZxheaAoGAQ/+X2mYbg==\", \"KIV\": "
              "\"EQEBAIkoIrZnYX4vnjgCCC==\", \"AESIV\": \"KgXYZgAAiSgisgADBBBBBB\", "
              "\"ROTPublicUID\": 2000089282245}\n");
    text_seed("keyring", "ndjson-all-suites",
              "{\"CipherSuite\":\"AES_128_CCM\",\"EncryptionKey\":\"iGoE1WPNYd6+vcJxZmB2QQ==\","
              "\"Nonce\":\"KgAABAAIAD+yUgAB\",\"EncryptedHeader\":\"1101000089291e26ec1aeb0074450000\","
              "\"ROTPublicUID\":\"a\"}\n\n"
              "{\"CipherSuite\":\"AES_128_CCM_8\",\"Key\":\"iGoE1WPNYd6+vcJxZmB2QQ==\","
              "\"AESNonce\":\"KgAABAAIAD+y\",\"KIV\":\"KgAABAAIAD+yUgAB\",\"MACLength\":64}\n"
              "{\"CipherSuite\":\"AES_128_CS1_HMAC_SHA256\",\"EncryptionKey\":\"iGoE1WPNYd6+vcJxZmB2QQ==\","
              "\"AuthenticationKey\":\"CuHbo9SDN/Bbh3Qe8G5xYg==\",\"KIV\":\"KgAABAAIAD+yUgAB\","
              "\"AESIV\":\"KgAABAAIAD+yUgABAAAAAA==\",\"MACLength\":32,\"ROTPublicUID\":\"a\"}\n"
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"NR9u5wz3zpF17M5aSkOJpA==\","
              "\"KIV\":\"KgAABAAIAD+mYg0C\",\"MACLength\":\"256\",\"ROTPublicUID\":7}\n");
    text_seed("keyring", "array-two",
              "[ {\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"NR9u5wz3zpF17M5aSkOJpA==\","
              "\"KIV\":\"KgAABAAIAD+mYg0C\"},\n  {\"CipherSuite\":\"HMAC_SHA256\","
              "\"AuthenticationKey\":\"AQ==\",\"KIV\":\"KgAABAAIAD+mYg0C\",\"MACLength\":32} ]\n");
    text_seed("keyring", "array-bad-entry",
              "[{\"CipherSuite\":\"HMAC_SHA256\"},\n{\"CipherSuite\": nope}]");
    text_seed("keyring", "array-empty", "  []  ");
    text_seed("keyring", "array-not-objects", "[1, \"x\", null]");
    text_seed("keyring", "empty", "   \n\t\n");
    text_seed("keyring", "bad-json-line",
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"AQ==\",\"KIV\":\"KgAABAAIAD+mYg0C\"}\n{oops\n");
    text_seed("keyring", "unknown-suite", "{\"CipherSuite\":\"AES_256_GCM\",\"KIV\":\"EQ==\"}");
    text_seed("keyring", "bad-base64",
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"A-_=\",\"KIV\":\"KgAABAAIAD+mYg0C\"}");
    text_seed("keyring", "bad-padding",
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"A=A=\",\"KIV\":\"KgAABAAIAD+mYg0C\"}");
    text_seed("keyring", "wrong-key-length",
              "{\"CipherSuite\":\"AES_128_CCM\",\"EncryptionKey\":\"AAAA\",\"Nonce\":\"KgAABAAIAD+yUgAB\",\"KIV\":\"KgAABAAIAD+mYg0C\"}");
    text_seed("keyring", "keylength-mismatch",
              "{\"CipherSuite\":\"AES_128_CCM\",\"EncryptionKey\":\"iGoE1WPNYd6+vcJxZmB2QQ==\","
              "\"Nonce\":\"KgAABAAIAD+yUgAB\",\"KIV\":\"KgAABAAIAD+mYg0C\",\"KeyLength\":256}");
    text_seed("keyring", "maclength-odd",
              "{\"CipherSuite\":\"AES_128_CCM\",\"EncryptionKey\":\"iGoE1WPNYd6+vcJxZmB2QQ==\","
              "\"Nonce\":\"KgAABAAIAD+yUgAB\",\"KIV\":\"KgAABAAIAD+mYg0C\",\"MACLength\":40}");
    text_seed("keyring", "maclength-string-bad",
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"AQ==\",\"KIV\":\"KgAABAAIAD+mYg0C\",\"MACLength\":\"12a\"}");
    text_seed("keyring", "encryptedheader-bad",
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"AQ==\",\"KIV\":\"BQ==\",\"EncryptedHeader\":\" 290000020000192800bfff1 \"}");
    text_seed("keyring", "encryptedheader-ok",
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"AQ==\",\"KIV\":\"BQ==\",\"EncryptedHeader\":\" 2a0000041908003fa6620001 \"}");
    text_seed("keyring", "kiv-not-a-ki",
              "{\"CipherSuite\":\"AES_128_CCM\",\"EncryptionKey\":\"iGoE1WPNYd6+vcJxZmB2QQ==\",\"Nonce\":\"KgAABAAIAD+yUgAB\",\"KIV\":\"BQ==\"}");
    text_seed("keyring", "duplicates",
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"AQ==\",\"KIV\":\"KgAABAAIAD+mYg0C\",\"ROTPublicUID\":\"u\"}\n"
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"Ag==\",\"KIV\":\"KgAABAAIAD+mYg0C\",\"ROTPublicUID\":\"u\"}\n");
    text_seed("keyring", "duplicate-member",
              "{\"CipherSuite\":\"HMAC_SHA256\",\"CipherSuite\":\"HMAC_SHA256\"}");
    text_seed("keyring", "uid-types",
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"AQ==\",\"KIV\":\"KgAABAAIAD+mYg0C\",\"ROTPublicUID\":1.5}");
    text_seed("keyring", "uid-nul",
              "{\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"AQ==\",\"KIV\":\"KgAABAAIAD+mYg0C\",\"ROTPublicUID\":\"a\\u0000b\"}");
}

/* ---------------------------------------------------------------- records */

static void rec_seed(const char *label, unsigned flags, const char *text)
{
    struct b b;
    b.n = 0;
    u8(&b, flags);
    str(&b, text);
    save("records", label, &b);
}

static void gen_records(void)
{
    char line[512];
    uint8_t m[256];
    size_t n = 0;
    rec_seed("doc-examples", 0x60, "1101000089291e26ec1aeb00744500000b874c81e91d623addf63bcebe64fe8b290efb4cd7\n"
             "  2a0000041908003fa6620001697e2fe027bc63a0c668d2c6a7973043b2307f8228  \r\n\n");
    rec_seed("json-ids", 0x04,
             "{\"id\": 1, \"data\": \"2a0000041908003fa6620001697e2fe027bc63a0c668d2c6a7973043b2307f8228\"}\n"
             "{\"id\": \"rec-2\", \"data\": \" 1A2B3C \"}\n"
             "{\"id\": 0.1, \"data\": \"\"}\n"
             "{\"id\": {\"b\": [1, 2.5e-3, null, true], \"a\": \"\\u00e9\"}, \"data\": \"00\"}\n"
             "{\"data\": \"0g\"}\n{\"id\": 2}\n[1]\n{bad\n");
    rec_seed("legacy-odd", 0x01, "1a2b3\nabc\n0\n\n   \n");
    rec_seed("odd-not-allowed", 0x08, "1a2b3\n");
    rec_seed("one-line-mode", 0x02, "1a2b\n3c4d");
    rec_seed("bad-hex", 0x10, "12 34\nzz\n0x12\n");
    rec_seed("duplicate-keys", 0x00, "{\"id\":1,\"id\":2,\"data\":\"00\"}");
    /* sealed with pool key sets, by line number (line N uses key set N % 12) */
    static const char *pts[] = {"HELLO", "The quick brown fox jumps over the lazy dog."};
    for (size_t k = 1; k < 6; k++) {
        struct b b;
        b.n = 0;
        u8(&b, (unsigned)(0x20 | 0x40));
        for (size_t l = 1; l <= k; l++) {
            const char *pt = pts[l % 2];
            if (e2e_seal(&eng, &pool.ks[l % FZ_NKEYSETS], m, sizeof m, &n, (const uint8_t *)pt,
                         strlen(pt)) != E2E_OK) {
                str(&b, "\n");
                continue;
            }
            size_t o = 0;
            if (l % 2)
                o += (size_t)snprintf(line + o, sizeof line - o, "{\"id\":%zu,\"data\":\"", l);
            for (size_t i = 0; i < n; i++)
                o += (size_t)snprintf(line + o, sizeof line - o, "%02X", m[i]);
            snprintf(line + o, sizeof line - o, "%s\n", l % 2 ? "\"}" : "");
            str(&b, line);
        }
        char label[32];
        snprintf(label, sizeof label, "sealed-%zu-lines", k);
        save("records", label, &b);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR (writes OUTDIR/<target>/seed-*)\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    if (e2e_engine_init_named(&eng, "portable") != E2E_OK)
        return 1;
    fz_keysets(&pool, &eng);
    gen_cs1();
    gen_xor();
    gen_ki();
    gen_open();
    gen_ccm();
    gen_batch();
    gen_keyring();
    gen_records();
    return 0;
}
