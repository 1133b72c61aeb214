/* fuzz_common.h — what every fuzz target in fuzz/ shares.
 *
 *   FZ_ASSERT(cond, fmt, ...)  a property failed: print it and abort(), which
 *                              libFuzzer reports as a crash with the input.
 *   fz_engines()               one e2e_engine per implementation tier this CPU
 *                              can run (e2e_impl_names(), E2E_ERR_CPU skipped,
 *                              "best" folded into the one it picks);
 *   fz_single_engines()        the same, one per distinct pair of
 *                              single-message tables (AES, SHA-256).
 *   struct fz_in               a cursor over the fuzz input: fz_u8, fz_u16,
 *                              fz_bytes (zero-filled past the end), fz_fill
 *                              (the rest of the input, then a PRNG stream
 *                              seeded from the whole input, so short inputs
 *                              still reach long lengths deterministically).
 *   fz_keysets()               a fixed pool of key sets (every suite, both KI
 *                              kinds, the seed document's parameters, short
 *                              and long tags) for open / batch.
 *   fz_check_reseal()          the "was it sealed with this key set?" oracle.
 *
 * Header-only (static functions): each target is one C file. */
#ifndef E2E_FUZZ_COMMON_H
#define E2E_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__GNUC__)
#define FZ_UNUSED __attribute__((unused))
#else
#define FZ_UNUSED
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static FZ_UNUSED _Noreturn void fz_fail(const char *file, int line, const char *cond,
                                        const char *fmt, ...)
{
    fprintf(stderr, "\nFUZZ PROPERTY FAILED %s:%d: %s\n  ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

#define FZ_ASSERT(cond, ...)                                       \
    do {                                                           \
        if (!(cond))                                               \
            fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);       \
    } while (0)

/* fz_xmalloc returns exactly n bytes (so ASan sees any overrun), never NULL. */
static FZ_UNUSED void *fz_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

static FZ_UNUSED int fz_all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static FZ_UNUSED const char *fz_hex(const uint8_t *p, size_t n)
{
    static char bufs[4][2 * 40 + 8];
    static unsigned which;
    char *b = bufs[which++ & 3];
    size_t m = n > 40 ? 40 : n, o = 0;
    for (size_t i = 0; i < m; i++)
        o += (size_t)snprintf(b + o, sizeof bufs[0] - o, "%02x", p[i]);
    snprintf(b + o, sizeof bufs[0] - o, "%s", m < n ? "..." : "");
    return b;
}

/* ---------------------------------------------------------------- engines */

#define FZ_MAX_ENGINES 16

struct fz_engines {
    size_t n;
    e2e_engine eng[FZ_MAX_ENGINES];
    const char *name[FZ_MAX_ENGINES];
};

/* fz_engines_load lists every tier e2e_impl_names() names that this CPU can
 * run ("best" folded into the tier it picks). With single set, tiers whose
 * single-message tables (engine_impl's aes and sha) equal an earlier tier's
 * are folded too: e2e_open, e2e_seal, the key set and the raw primitives use
 * only those two tables (the lane tables serve e2e_batch_run alone), so for
 * the single-message targets they are the same implementation. */
static FZ_UNUSED void fz_engines_load(struct fz_engines *e, int single)
{
    e->n = 0;
    for (const char *const *nm = e2e_impl_names(); *nm != NULL; nm++) {
        e2e_engine tmp;
        e2e_status st = e2e_engine_init_named(&tmp, *nm);
        if (st == E2E_ERR_CPU) {
            fprintf(stderr, "fuzz: SKIP %s (cpu)\n", *nm);
            continue;
        }
        FZ_ASSERT(st == E2E_OK, "e2e_engine_init_named(%s) = %s", *nm, e2e_status_name(st));
        const char *real = e2e_engine_name(&tmp);
        FZ_ASSERT(strcmp(*nm, "best") == 0 || strcmp(real, *nm) == 0,
                  "engine %s calls itself %s", *nm, real);
        const struct engine_impl *ti = e2e_engine_impl(&tmp);
        const char *same_name = NULL, *same_tables = NULL;
        for (size_t i = 0; i < e->n; i++) {
            const struct engine_impl *ei = e2e_engine_impl(&e->eng[i]);
            if (strcmp(e2e_engine_name(&e->eng[i]), real) == 0)
                same_name = real;
            else if (single && ei->aes == ti->aes && ei->sha == ti->sha && !same_tables)
                same_tables = e2e_engine_name(&e->eng[i]);
        }
        if (same_name)
            continue;
        if (same_tables) {
            fprintf(stderr, "fuzz: %s = %s here (the same single-message AES and SHA tables)\n",
                    real, same_tables);
            continue;
        }
        FZ_ASSERT(e->n < FZ_MAX_ENGINES, "too many implementations");
        e->eng[e->n] = tmp;
        e->n++;
    }
    for (size_t i = 0; i < e->n; i++)
        e->name[i] = e2e_engine_name(&e->eng[i]);
    FZ_ASSERT(e->n >= 1, "no implementation at all");
    fprintf(stderr, "fuzz: implementations%s:", single ? " (single-message tables)" : "");
    for (size_t i = 0; i < e->n; i++)
        fprintf(stderr, " %s", e->name[i]);
    fputc('\n', stderr);
}

/* fz_engines: every tier (e2e_batch_run's lane tables differ per tier). */
static FZ_UNUSED const struct fz_engines *fz_engines(void)
{
    static struct fz_engines e;
    static int done;
    if (!done) {
        fz_engines_load(&e, 0);
        done = 1;
    }
    return &e;
}

/* fz_single_engines: one engine per distinct pair of single-message tables. */
static FZ_UNUSED const struct fz_engines *fz_single_engines(void)
{
    static struct fz_engines e;
    static int done;
    if (!done) {
        fz_engines_load(&e, 1);
        done = 1;
    }
    return &e;
}

/* ---------------------------------------------------------------- input */

struct fz_in {
    const uint8_t *p;
    size_t n;
    uint64_t prng;  /* stream for fz_fill past the end */
};

static FZ_UNUSED void fz_in_init(struct fz_in *in, const uint8_t *data, size_t size)
{
    in->p = data;
    in->n = size;
    uint64_t h = 0xcbf29ce484222325ull ^ size;  /* FNV-1a of the whole input */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 0x100000001b3ull;
    in->prng = h;
}

static FZ_UNUSED uint8_t fz_u8(struct fz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static FZ_UNUSED uint16_t fz_u16(struct fz_in *in)
{
    uint16_t hi = fz_u8(in);
    return (uint16_t)(hi << 8 | fz_u8(in));
}

/* fz_bytes copies len bytes, zero-filled past the end of the input. */
static FZ_UNUSED void fz_bytes(struct fz_in *in, uint8_t *out, size_t len)
{
    size_t m = len < in->n ? len : in->n;
    memcpy(out, in->p, m);
    memset(out + m, 0, len - m);
    in->p += m;
    in->n -= m;
}

static FZ_UNUSED uint64_t fz_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* fz_fill takes len bytes of input, continuing with a deterministic PRNG
 * stream (seeded from the whole input) once the input runs out. */
static FZ_UNUSED void fz_fill(struct fz_in *in, uint8_t *out, size_t len)
{
    size_t m = len < in->n ? len : in->n;
    memcpy(out, in->p, m);
    in->p += m;
    in->n -= m;
    for (size_t i = m; i < len; i++)
        out[i] = (uint8_t)fz_splitmix(&in->prng);
}

/* ---------------------------------------------------------------- key sets */

/* The seed document's parameters (base64-decoded), used as is where they are
 * valid. CS1 upstream example (automatic rotation, 12-byte KIV = KI):
 *   EncryptionKey iGoE1WPNYd6+vcJxZmB2QQ==, AuthenticationKey
 *   CuHbo9SDN/Bbh3Qe8G5xYg==, KIV KgAABAAIAD+yUgAB, AESIV KgAABAAIAD+yUgABAAAAAA==
 * HMAC-only example: AuthenticationKey NR9u5wz3zpF17M5aSkOJpA==, KIV KgAABAAIAD+mYg0C
 * Downlink CS1 example: AuthenticationKey lTZfP2dO5IAXvJT8FlXV5A==, EncryptionKey
 *   EuPzZxheaAoGAQ/+X2mYbg==, KIV EQEBAIkoIrZnYX4vnjgCCC== (16 bytes, nibble 1);
 *   its AESIV "KgXYZgAAiSgisgADBBBBBB" decodes to 16 bytes. */
static const uint8_t fz_doc_cs1_key[16] = {0x88, 0x6a, 0x04, 0xd5, 0x63, 0xcd, 0x61, 0xde,
                                           0xbe, 0xbd, 0xc2, 0x71, 0x66, 0x60, 0x76, 0x41};
static const uint8_t fz_doc_cs1_auth[16] = {0x0a, 0xe1, 0xdb, 0xa3, 0xd4, 0x83, 0x37, 0xf0,
                                            0x5b, 0x87, 0x74, 0x1e, 0xf0, 0x6e, 0x71, 0x62};
static const uint8_t fz_doc_cs1_kiv[12] = {0x2a, 0x00, 0x00, 0x04, 0x00, 0x08, 0x00, 0x3f,
                                           0xb2, 0x52, 0x00, 0x01};
static const uint8_t fz_doc_cs1_iv[16] = {0x2a, 0x00, 0x00, 0x04, 0x00, 0x08, 0x00, 0x3f,
                                          0xb2, 0x52, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
static const uint8_t fz_doc_hmac_auth[16] = {0x35, 0x1f, 0x6e, 0xe7, 0x0c, 0xf7, 0xce, 0x91,
                                             0x75, 0xec, 0xce, 0x5a, 0x4a, 0x43, 0x89, 0xa4};
static const uint8_t fz_doc_hmac_kiv[12] = {0x2a, 0x00, 0x00, 0x04, 0x00, 0x08, 0x00, 0x3f,
                                            0xa6, 0x62, 0x0d, 0x02};
static const uint8_t fz_doc_dl_key[16] = {0x12, 0xe3, 0xf3, 0x67, 0x18, 0x5e, 0x68, 0x0a,
                                          0x06, 0x01, 0x0f, 0xfe, 0x5f, 0x69, 0x98, 0x6e};
static const uint8_t fz_doc_dl_auth[16] = {0x95, 0x36, 0x5f, 0x3f, 0x67, 0x4e, 0xe4, 0x80,
                                           0x17, 0xbc, 0x94, 0xfc, 0x16, 0x55, 0xd5, 0xe4};
static const uint8_t fz_doc_dl_kiv[16] = {0x11, 0x01, 0x01, 0x00, 0x89, 0x28, 0x22, 0xb6,
                                          0x67, 0x61, 0x7e, 0x2f, 0x9e, 0x38, 0x02, 0x08};
static const uint8_t fz_doc_dl_iv[16] = {0x2a, 0x05, 0xd8, 0x66, 0x00, 0x00, 0x89, 0x28,
                                         0x22, 0xb2, 0x00, 0x03, 0x04, 0x10, 0x41, 0x04};
/* The KI of the seed's continuous-rotation CCM example message. */
static const uint8_t fz_doc_ccm_ki[16] = {0x11, 0x01, 0x00, 0x00, 0x89, 0x29, 0x1e, 0x26,
                                          0xec, 0x1a, 0xeb, 0x00, 0x74, 0x45, 0x00, 0x00};

#define FZ_NKEYSETS 12

struct fz_keypool {
    e2e_keyset ks[FZ_NKEYSETS];
    const char *what[FZ_NKEYSETS];
};

/* fz_keysets builds the pool with eng (built once per engine; key sets are
 * engine-independent, which fz_keysets also checks). */
static FZ_UNUSED void fz_keysets(struct fz_keypool *kp, const e2e_engine *eng)
{
    static const uint8_t k2[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                   0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};
    static const uint8_t n13[13] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
                                    0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c};
    static const uint8_t ki12[12] = {0x2f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    uint8_t longkey[64], longkiv[64];
    for (size_t i = 0; i < sizeof longkey; i++)
        longkey[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < sizeof longkiv; i++)
        longkiv[i] = (uint8_t)(0xa0 ^ i);
    const e2e_keyset_params p[FZ_NKEYSETS] = {
        /* 0: CCM, 13-byte nonce, 16-byte tag, the seed's 16-byte KI */
        {.suite = E2E_SUITE_AES_128_CCM, .enc_key = k2, .enc_key_len = 16, .iv = n13,
         .iv_len = 13, .ki = fz_doc_ccm_ki, .ki_len = 16},
        /* 1: CCM_8, 12-byte nonce, KIV = KI */
        {.suite = E2E_SUITE_AES_128_CCM_8, .enc_key = fz_doc_cs1_key, .enc_key_len = 16,
         .iv = n13, .iv_len = 12, .kiv = fz_doc_cs1_kiv, .kiv_len = 12},
        /* 2: CCM, 7-byte nonce (q = 8), 4-byte tag */
        {.suite = E2E_SUITE_AES_128_CCM, .enc_key = k2, .enc_key_len = 16, .iv = n13,
         .iv_len = 7, .ki = ki12, .ki_len = 12, .tag_len = 4},
        /* 3: the seed's upstream CS1 + HMAC parameters */
        {.suite = E2E_SUITE_AES_128_CS1_HMAC_SHA256, .enc_key = fz_doc_cs1_key,
         .enc_key_len = 16, .auth_key = fz_doc_cs1_auth, .auth_key_len = 16,
         .kiv = fz_doc_cs1_kiv, .kiv_len = 12, .iv = fz_doc_cs1_iv, .iv_len = 16},
        /* 4: the seed's downlink CS1 + HMAC parameters (16-byte KIV, nibble 1) */
        {.suite = E2E_SUITE_AES_128_CS1_HMAC_SHA256, .enc_key = fz_doc_dl_key,
         .enc_key_len = 16, .auth_key = fz_doc_dl_auth, .auth_key_len = 16,
         .kiv = fz_doc_dl_kiv, .kiv_len = 16, .iv = fz_doc_dl_iv, .iv_len = 16},
        /* 5: CS1, 4-byte tag (so P || T can be a partial block early) */
        {.suite = E2E_SUITE_AES_128_CS1_HMAC_SHA256, .enc_key = k2, .enc_key_len = 16,
         .auth_key = fz_doc_dl_auth, .auth_key_len = 16, .kiv = fz_doc_cs1_kiv,
         .kiv_len = 12, .iv = fz_doc_dl_iv, .iv_len = 16, .tag_len = 4},
        /* 6: CS1, 32-byte tag, 33-byte auth key, 64-byte KIV, own KI */
        {.suite = E2E_SUITE_AES_128_CS1_HMAC_SHA256, .enc_key = k2, .enc_key_len = 16,
         .auth_key = longkey, .auth_key_len = 33, .kiv = longkiv,
         .kiv_len = sizeof longkiv, .iv = fz_doc_cs1_iv, .iv_len = 16, .ki = fz_doc_ccm_ki,
         .ki_len = 16, .tag_len = 32},
        /* 7: the seed's HMAC-only parameters */
        {.suite = E2E_SUITE_HMAC_SHA256, .auth_key = fz_doc_hmac_auth, .auth_key_len = 16,
         .kiv = fz_doc_hmac_kiv, .kiv_len = 12},
        /* 8: HMAC, 4-byte tag, 64-byte key */
        {.suite = E2E_SUITE_HMAC_SHA256, .auth_key = longkey, .auth_key_len = 64,
         .kiv = fz_doc_dl_kiv, .kiv_len = 16, .tag_len = 4},
        /* 9: HMAC, 32-byte tag, 1-byte KIV, own KI */
        {.suite = E2E_SUITE_HMAC_SHA256, .auth_key = k2, .auth_key_len = 1, .kiv = k2,
         .kiv_len = 1, .ki = ki12, .ki_len = 12, .tag_len = 32},
        /* 10: CCM_8 with 6-byte tag, 11-byte nonce */
        {.suite = E2E_SUITE_AES_128_CCM_8, .enc_key = fz_doc_dl_key, .enc_key_len = 16,
         .iv = n13, .iv_len = 11, .ki = fz_doc_ccm_ki, .ki_len = 16, .tag_len = 6},
        /* 11: CS1, 17-byte KIV, 20-byte tag, own 12-byte KI */
        {.suite = E2E_SUITE_AES_128_CS1_HMAC_SHA256, .enc_key = fz_doc_dl_key,
         .enc_key_len = 16, .auth_key = k2, .auth_key_len = 16, .kiv = longkiv,
         .kiv_len = 17, .iv = fz_doc_dl_iv, .iv_len = 16, .ki = ki12, .ki_len = 12,
         .tag_len = 20},
    };
    static const char *const what[FZ_NKEYSETS] = {
        "ccm n13 t16 ki16", "ccm8 n12 kiv12", "ccm n7 t4 ki12", "cs1 doc upstream",
        "cs1 doc downlink", "cs1 t4", "cs1 t32 key33 kiv64", "hmac doc", "hmac t4 key64",
        "hmac t32 key1 kiv1", "ccm8 n11 t6", "cs1 t20 kiv17"};
    for (size_t i = 0; i < FZ_NKEYSETS; i++) {
        e2e_status st = e2e_keyset_init(&kp->ks[i], eng, &p[i]);
        FZ_ASSERT(st == E2E_OK, "key set %zu (%s): %s", i, what[i], e2e_status_name(st));
        kp->what[i] = what[i];
    }
}

/* ---------------------------------------------------------------- reseal */

/* fz_with_ki returns a copy of ks that seals with a 12-byte KI (for key sets
 * that have none: seal would refuse, but open works with them). */
static FZ_UNUSED void fz_with_ki(e2e_keyset *dst, const e2e_keyset *ks)
{
    *dst = *ks;
    struct keyset_impl *k = (struct keyset_impl *)(void *)dst->opaque;
    if (k->ki_len == 0) {
        memset(k->ki, 0, sizeof k->ki);
        k->ki[0] = 0x20;
        k->ki_len = 12;
    }
}

/* fz_check_reseal is the forgery oracle. e2e_open said E2E_OK for msg and
 * gave pt. All three wire formats are deterministic functions of the key set
 * and the plaintext (CCM's nonce and CS1's IV are fixed per key set), so a
 * message the key set really sealed is, byte for byte, KI || seal-body(pt).
 * The engine authenticates nothing of the KI but its top nibble (which only
 * fixes where the body starts: 0x1 -> 16 bytes, 0x2 -> 12), so:
 *   - msg[0] >> 4 is 0x1 or 0x2 and msg is that KI length + the body;
 *   - the body equals the body e2e_seal(ks, pt) writes after its own KI,
 *     whatever the rest of msg's KI bytes are.
 * Anything else is an accepted forgery (or a truncated/extended message). */
static FZ_UNUSED void fz_check_reseal(const e2e_engine *eng, const e2e_keyset *ks,
                                      const uint8_t *msg, size_t msg_len,
                                      const uint8_t *pt, size_t pt_len)
{
    FZ_ASSERT(msg_len >= 1 && ((msg[0] >> 4) == 1 || (msg[0] >> 4) == 2),
              "open accepted KI nibble %x", msg_len ? msg[0] >> 4 : 0xff);
    size_t ki_len = (msg[0] >> 4) == 1 ? 16 : 12;
    FZ_ASSERT(msg_len >= ki_len, "open accepted a message shorter than its KI");
    e2e_keyset s;
    fz_with_ki(&s, ks);
    size_t cap = e2e_seal_len(&s, pt_len), got = 0;
    size_t s_ki = 0;
    e2e_keyset_ki(&s, &s_ki);
    uint8_t *sealed = fz_xmalloc(cap);
    e2e_status st = e2e_seal(eng, &s, sealed, cap, &got, pt, pt_len);
    FZ_ASSERT(st == E2E_OK, "re-seal of an opened plaintext (%zu bytes): %s", pt_len,
              e2e_status_name(st));
    FZ_ASSERT(got == cap, "seal length %zu, e2e_seal_len %zu", got, cap);
    FZ_ASSERT(got - s_ki == msg_len - ki_len,
              "FORGERY: opened body is %zu bytes, a sealed one %zu", msg_len - ki_len,
              got - s_ki);
    FZ_ASSERT(memcmp(sealed + s_ki, msg + ki_len, got - s_ki) == 0,
              "FORGERY: opened body %s differs from the sealed body %s",
              fz_hex(msg + ki_len, msg_len - ki_len), fz_hex(sealed + s_ki, got - s_ki));
    e2e_keyset_clear(&s);
    free(sealed);
}

#endif /* E2E_FUZZ_COMMON_H */
