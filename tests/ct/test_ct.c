/* test_ct.c — constant-time verification under valgrind memcheck (the
 * ctgrind technique, as Monocypher's tests/ctgrind.c and BoringSSL's
 * constant-time validation do it).
 *
 * Secrets are marked undefined with VALGRIND_MAKE_MEM_UNDEFINED. Memcheck
 * then reports every conditional branch and every memory address computed
 * from them ("Conditional jump or move depends on uninitialised value(s)",
 * "Use of uninitialised value of size 8"), so run under
 *   valgrind --error-exitcode=1 --track-origins=yes ./test_ct
 * any secret-dependent branch or table index in the engine fails the test.
 * The engine is built with E2E_CT_VALGRIND, so its own E2E_CT_PUBLIC
 * declassifications (the accept/reject verdict of a tag check) apply.
 *
 * Paths: e2e_keyset_init and e2e_keyset_init_many (the lane families'
 * expand_n), e2e_seal, e2e_open (good, tampered, in place), e2e_batch_run
 * (the lane scheduler and the multi-buffer kernels), the Sigfox XOR.
 *
 * What is secret here, and what is public:
 *   secret  EncryptionKey, AuthenticationKey, plaintext, tags, and the body
 *           (ciphertext || tag) of every message opened — the body is marked
 *           too, so a compare that stops early on the received tag shows up;
 *           the Sigfox key and frame.
 *   public  lengths (of everything), the KI (read from the wire, it picks the
 *           key set), the KIV (it is the KI the device sends in the clear in
 *           the seed's examples, and keyset_init branches on its top nibble
 *           to decide whether it can serve as the KI), the CS1 IV and the CCM
 *           nonce (per-key-set parameters, public by the modes' security
 *           model; the CTR kernels may branch on the counter block), the
 *           suite and tag length, and each call's status. Results are
 *           declassified by this harness only after the call returns, to
 *           check them.
 *
 * Every implementation e2e_impl_names() lists that runs here is checked.
 * Valgrind's virtual CPU reports no SHA-NI, AVX-512 or VAES (and VEX cannot
 * execute SHA256RNDS2), so those implementations print SKIP <name> (cpu)
 * under valgrind; outside valgrind the test runs them all (and, with no one
 * watching definedness, only checks results).
 *
 *   test_ct                 the check (exit 0 unless a result is wrong;
 *                           valgrind's exit code carries the leaks)
 *   test_ct --self-check=branch|index
 *                           the same marking applied to a deliberately leaky
 *                           compare (memcmp-style early exit) or S-box lookup
 *                           indexed by a secret byte: valgrind must report it
 *                           (ctest: test_ct_selfcheck_*, which pass only if
 *                           valgrind fails with that error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "e2ecrypt.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static unsigned long passed, failed;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (cond) {                                        \
            passed++;                                      \
        } else {                                           \
            failed++;                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                  \
            fputc('\n', stderr);                           \
        }                                                  \
    } while (0)

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    uint32_t x = 0x9e3779b9u * (seed + 1);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

/* ---------------------------------------------------------------- key sets */

struct config {
    const char *what;
    e2e_suite suite;
    size_t iv_len, tag_len, auth_len, kiv_len;
    int own_ki;   /* pass a 16-byte KI (else the KIV serves as the KI) */
};

static const struct config configs[] = {
    {"AES_128_CCM n13 t16", E2E_SUITE_AES_128_CCM, 13, 0, 0, 12, 0},
    {"AES_128_CCM_8 n7 t8", E2E_SUITE_AES_128_CCM_8, 7, 0, 0, 0, 1},
    {"AES_128_CCM n12 t4", E2E_SUITE_AES_128_CCM, 12, 4, 0, 0, 1},
    {"CS1+HMAC t16", E2E_SUITE_AES_128_CS1_HMAC_SHA256, 16, 0, 16, 12, 0},
    {"CS1+HMAC t4 key64", E2E_SUITE_AES_128_CS1_HMAC_SHA256, 16, 4, 64, 16, 0},
    {"CS1+HMAC t32 kiv64", E2E_SUITE_AES_128_CS1_HMAC_SHA256, 16, 32, 33, 64, 1},
    {"HMAC t16", E2E_SUITE_HMAC_SHA256, 0, 0, 16, 12, 0},
    {"HMAC t32 key1", E2E_SUITE_HMAC_SHA256, 0, 32, 1, 16, 0},
};

/* Plaintext lengths: empty, short, partial CS1 blocks around 16 and 32,
 * whole blocks, a few blocks plus a tail. */
static const size_t lengths[] = {0, 1, 5, 11, 12, 15, 16, 17, 31, 32, 33, 47, 64, 100};

static int make_keyset(e2e_keyset *ks, const e2e_engine *eng, const struct config *c,
                       unsigned seed)
{
    uint8_t enc[16], auth[64], kiv[64], iv[16], ki[16];
    fill(enc, sizeof enc, seed);
    fill(auth, sizeof auth, seed + 1);
    fill(kiv, sizeof kiv, seed + 2);
    fill(iv, sizeof iv, seed + 3);
    kiv[0] = (uint8_t)(c->kiv_len == 16 ? 0x11 : 0x2a);   /* a valid KI when 12/16 */
    memset(ki, 0x00, sizeof ki);
    ki[0] = 0x1f;
    SECRET(enc, sizeof enc);
    SECRET(auth, sizeof auth);
    e2e_keyset_params p = {
        .suite = c->suite,
        .enc_key = c->suite != E2E_SUITE_HMAC_SHA256 ? enc : NULL,
        .enc_key_len = c->suite != E2E_SUITE_HMAC_SHA256 ? 16 : 0,
        .auth_key = c->auth_len ? auth : NULL,
        .auth_key_len = c->auth_len,
        .kiv = c->kiv_len ? kiv : NULL,
        .kiv_len = c->kiv_len,
        .iv = c->iv_len ? iv : NULL,
        .iv_len = c->iv_len,
        .ki = c->own_ki ? ki : NULL,
        .ki_len = c->own_ki ? 16 : 0,
        .tag_len = c->tag_len,
    };
    e2e_status st = e2e_keyset_init(ks, eng, &p);
    /* the stack copies are not the engine's business any more */
    PUBLIC(enc, sizeof enc);
    PUBLIC(auth, sizeof auth);
    return st == E2E_OK;
}

/* ---------------------------------------------------------------- messages */

static void one_length(const e2e_engine *eng, const e2e_keyset *ks, const struct config *c,
                       size_t pt_len, unsigned seed)
{
    uint8_t pt[128], msg[128 + E2E_SEAL_OVERHEAD_MAX], out[sizeof msg], bad[sizeof msg];
    size_t ml = 0, ol = 0, cap = e2e_seal_len(ks, pt_len);
    fill(pt, pt_len, seed);
    SECRET(pt, pt_len);
    e2e_status st = e2e_seal(eng, ks, msg, cap, &ml, pt, pt_len);
    PUBLIC(&st, sizeof st);   /* seal's status depends on lengths only */
    size_t t = e2e_keyset_tag_len(ks);
    if (c->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256 && pt_len + t < 16) {
        CHECK(st == E2E_ERR_MALFORMED, "%s: seal of %zu bytes: %s", c->what, pt_len,
              e2e_status_name(st));
        return;
    }
    CHECK(st == E2E_OK && ml == cap, "%s: seal of %zu bytes: %s", c->what, pt_len,
          e2e_status_name(st));
    if (st != E2E_OK)
        return;
    size_t ki_len = 0;
    e2e_keyset_ki(ks, &ki_len);
    /* What crosses the wire: the KI is public, the body stays marked (it is
     * derived from the key and the plaintext, and open must not branch on
     * it either). */
    PUBLIC(msg, ki_len);

    /* good */
    st = e2e_open(eng, ks, out, sizeof out, &ol, msg, ml);
    PUBLIC(&st, sizeof st);
    PUBLIC(&ol, sizeof ol);
    PUBLIC(out, sizeof out);
    PUBLIC(pt, pt_len);
    CHECK(st == E2E_OK && ol == pt_len && memcmp(out, pt, pt_len) == 0,
          "%s: open(seal(%zu bytes)): %s", c->what, pt_len, e2e_status_name(st));
    SECRET(pt, pt_len);

    /* in place */
    memcpy(bad, msg, ml);
    st = e2e_open(eng, ks, bad, sizeof bad, &ol, bad, ml);
    PUBLIC(&st, sizeof st);
    CHECK(st == E2E_OK, "%s: in-place open (%zu bytes): %s", c->what, pt_len,
          e2e_status_name(st));

    /* tampered: one bit of the body (its position is public, the bit is not) */
    for (int where = 0; where < 2; where++) {
        memcpy(bad, msg, ml);
        size_t pos = where == 0 ? ki_len : ml - 1;   /* first body byte, last tag byte */
        bad[pos] ^= 0x01;
        st = e2e_open(eng, ks, out, sizeof out, &ol, bad, ml);
        PUBLIC(&st, sizeof st);
        PUBLIC(&ol, sizeof ol);
        PUBLIC(out, sizeof out);
        int wiped = 1;
        for (size_t i = 0; i < ml; i++)
            wiped &= out[i] == 0;
        CHECK(st == E2E_ERR_AUTH && ol == 0 && wiped, "%s: tampered (%zu bytes, byte %zu): %s",
              c->what, pt_len, pos, e2e_status_name(st));
    }
}

/* run_batch pushes a mix of good and tampered opens and seals through
 * e2e_batch_run (the lane scheduler has its own tag checks). */
static void run_batch(const e2e_engine *eng, e2e_keyset *ks, size_t nks)
{
    enum { N = 40 };
    static uint8_t in[N][128 + E2E_SEAL_OVERHEAD_MAX], out[N][128 + E2E_SEAL_OVERHEAD_MAX];
    static e2e_scratch scratch;
    e2e_job jobs[N];
    int expect_ok[N];
    for (size_t i = 0; i < N; i++) {
        const e2e_keyset *k = &ks[i % nks];
        size_t pt_len = lengths[(i * 5) % (sizeof lengths / sizeof lengths[0])] + 16;
        size_t ki_len = 0;
        e2e_keyset_ki(k, &ki_len);
        uint8_t pt[160];
        fill(pt, pt_len, (unsigned)i + 500);
        SECRET(pt, pt_len);
        int seal = i % 3 == 2;
        jobs[i] = (e2e_job){.keys = k, .out = out[i], .out_cap = sizeof out[i],
                            .op = seal ? E2E_SEAL : E2E_OPEN};
        if (seal) {
            memcpy(in[i], pt, pt_len);
            jobs[i].in = in[i];
            jobs[i].in_len = pt_len;
            expect_ok[i] = 1;
        } else {
            size_t ml = 0;
            e2e_status st = e2e_seal(eng, k, in[i], sizeof in[i], &ml, pt, pt_len);
            PUBLIC(&st, sizeof st);
            PUBLIC(in[i], ki_len);
            if (i % 4 == 1)
                in[i][ml - 1] ^= 0x80;   /* tampered tag */
            jobs[i].in = in[i];
            jobs[i].in_len = ml;
            expect_ok[i] = st == E2E_OK && i % 4 != 1;
        }
    }
    e2e_status st = e2e_batch_run(eng, jobs, N, &scratch);
    PUBLIC(&st, sizeof st);
    CHECK(st == E2E_OK, "batch_run: %s", e2e_status_name(st));
    for (size_t i = 0; i < N; i++) {
        PUBLIC(&jobs[i], sizeof jobs[i]);
        CHECK((jobs[i].status == E2E_OK) == expect_ok[i], "batch job %zu: %s", i,
              e2e_status_name(jobs[i].status));
    }
}

/* init_many expands key sets 8 at a time with the lane family's expand_n:
 * secret keys go in, and each entry must equal e2e_keyset_init's. */
static void init_many(const e2e_engine *eng, const char *name)
{
    enum { M = 11 };
    uint8_t keys[M][16], auth[16], iv[16], ki[16];
    e2e_keyset_params p[M];
    e2e_status st[M];
    static e2e_keyset many[M], one;
    fill(&keys[0][0], sizeof keys, 900);
    fill(auth, sizeof auth, 901);
    fill(iv, sizeof iv, 902);
    memset(ki, 0, sizeof ki);
    ki[0] = 0x10;
    SECRET(keys, sizeof keys);
    SECRET(auth, sizeof auth);
    for (size_t i = 0; i < M; i++) {
        e2e_suite s = i % 3 == 0 ? E2E_SUITE_AES_128_CS1_HMAC_SHA256 : E2E_SUITE_AES_128_CCM;
        p[i] = (e2e_keyset_params){.suite = s, .enc_key = keys[i], .enc_key_len = 16,
                                   .iv = iv, .iv_len = s == E2E_SUITE_AES_128_CCM ? 13 : 16,
                                   .ki = ki, .ki_len = 16};
        if (s == E2E_SUITE_AES_128_CS1_HMAC_SHA256) {
            p[i].auth_key = auth;
            p[i].auth_key_len = 16;
            p[i].kiv = ki;
            p[i].kiv_len = 16;
        }
        if (i == 5)
            p[i].enc_key_len = 15;   /* one refused entry between good ones */
    }
    e2e_status r = e2e_keyset_init_many(many, eng, p, st, M);
    PUBLIC(&r, sizeof r);
    PUBLIC(st, sizeof st);
    CHECK(r == E2E_OK, "%s: keyset_init_many: %s", name, e2e_status_name(r));
    for (size_t i = 0; i < M; i++) {
        e2e_status s1 = e2e_keyset_init(&one, eng, &p[i]);
        PUBLIC(&s1, sizeof s1);
        PUBLIC(&one, sizeof one);
        PUBLIC(&many[i], sizeof many[i]);
        CHECK(st[i] == s1 && memcmp(&many[i], &one, sizeof one) == 0,
              "%s: init_many entry %zu: %s, init %s", name, i, e2e_status_name(st[i]),
              e2e_status_name(s1));
        e2e_keyset_clear(&many[i]);
    }
    e2e_keyset_clear(&one);
    PUBLIC(keys, sizeof keys);
    PUBLIC(auth, sizeof auth);
}

static void sigfox(void)
{
    uint8_t key[12], in[16], out[16];
    fill(key, sizeof key, 77);
    for (size_t n = 0; n <= 12; n++) {
        fill(in, n, (unsigned)n);
        if (n)
            in[0] = (uint8_t)(n & 1 ? 0x00 : 0x80);   /* leading zeros / top bit set */
        SECRET(key, sizeof key);
        SECRET(in, n);
        int lossy = 7;
        e2e_status st = e2e_sigfox_xor(out, key, sizeof key, in, n);
        PUBLIC(&st, sizeof st);
        CHECK(st == E2E_OK, "sigfox byte mode %zu: %s", n, e2e_status_name(st));
        st = e2e_sigfox_xor_legacy(out, &lossy, key, sizeof key, in, n);
        PUBLIC(&st, sizeof st);
        PUBLIC(&lossy, sizeof lossy);   /* the function's public answer */
        CHECK(st == E2E_OK && (lossy == 0 || lossy == 1), "sigfox legacy %zu: %s", n,
              e2e_status_name(st));
        st = e2e_sigfox_xor_legacy(in, &lossy, key, sizeof key, in, n);   /* in place */
        PUBLIC(&st, sizeof st);
        CHECK(st == E2E_OK, "sigfox legacy in place %zu", n);
    }
    PUBLIC(key, sizeof key);
}

/* ---------------------------------------------------------------- self-check */

/* leaky_compare is the classic mistake: memcmp-style, it stops at the first
 * difference, so its running time tells how many tag bytes were right. */
__attribute__((noinline)) static int leaky_compare(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* leaky_sbox is a table-driven S-box lookup: the address depends on the
 * secret byte (cache timing). */
__attribute__((noinline)) static uint8_t leaky_sbox(const uint8_t *x, size_t n)
{
    static const uint8_t sbox[256] = {
        0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76};
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc ^= sbox[x[i]];
    return acc;
}

static int self_check(const char *what)
{
    uint8_t mac[16], tag[16];
    fill(mac, sizeof mac, 1);
    memcpy(tag, mac, sizeof tag);
    tag[9] ^= 1;
    SECRET(mac, sizeof mac);   /* exactly as the real check marks a tag */
    int r;
    if (strcmp(what, "branch") == 0) {
        r = leaky_compare(mac, tag, sizeof mac);
    } else if (strcmp(what, "index") == 0) {
        r = leaky_sbox(mac, sizeof mac);
    } else {
        fprintf(stderr, "unknown self-check %s\n", what);
        return 2;
    }
    PUBLIC(&r, sizeof r);
    printf("self-check %s: computed %d; valgrind must have reported the leak above\n", what, r);
    return 0;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    if (argc == 2 && strncmp(argv[1], "--self-check=", 13) == 0)
        return self_check(argv[1] + 13);
    if (argc != 1) {
        fprintf(stderr, "usage: test_ct [--self-check=branch|index]\n");
        return 2;
    }
    printf("test_ct: %s valgrind\n", RUNNING_ON_VALGRIND ? "under" : "NOT under");
    const size_t nc = sizeof configs / sizeof configs[0];
    char seen[16][48];
    size_t nseen = 0, ran = 0;
    for (const char *const *nm = e2e_impl_names(); *nm != NULL; nm++) {
        e2e_engine eng;
        e2e_status st = e2e_engine_init_named(&eng, *nm);
        if (st == E2E_ERR_CPU) {
            printf("SKIP %s (cpu)\n", *nm);
            continue;
        }
        CHECK(st == E2E_OK, "engine %s: %s", *nm, e2e_status_name(st));
        if (st != E2E_OK)
            continue;
        const char *real = e2e_engine_name(&eng);
        int dup = 0;
        for (size_t i = 0; i < nseen; i++)
            dup |= strcmp(seen[i], real) == 0;
        if (dup || nseen == 16)
            continue;
        snprintf(seen[nseen++], sizeof seen[0], "%s", real);
        e2e_keyset ks[sizeof configs / sizeof configs[0]];
        for (size_t c = 0; c < nc; c++) {
            CHECK(make_keyset(&ks[c], &eng, &configs[c], (unsigned)c * 11),
                  "%s: keyset %s", real, configs[c].what);
            for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
                one_length(&eng, &ks[c], &configs[c], lengths[l], (unsigned)(c * 100 + l));
        }
        run_batch(&eng, ks, nc);
        init_many(&eng, real);
        for (size_t c = 0; c < nc; c++)
            e2e_keyset_clear(&ks[c]);
        printf("ok %s\n", real);
        ran++;
    }
    sigfox();
    CHECK(ran >= 1, "no implementation ran");
    printf("%lu passed, %lu failed (%zu implementations)\n", passed, failed, ran);
    return failed ? 1 : 0;
}
