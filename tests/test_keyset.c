/* test_keyset.c — e2e_keyset_init validation, defaults and wiping, and key
 * sets shared across implementations.
 *
 *  - Every suite's bad key / IV / nonce / KIV / auth key / KI / tag lengths and
 *    NULL pointers are refused (unsupported or bad_param) and leave ks wiped.
 *  - Every allowed length is accepted (nonce 7..13, CCM tag 4..16 even, HMAC
 *    tag 4..32, KIV and auth key 1..64) with the right e2e_seal_len.
 *  - Tag length defaults: 16, and 8 for AES_128_CCM_8; MACLength overrides.
 *  - e2e_keyset_clear wipes every byte.
 *  - Every implementation's expand() gives identical e2e_aes_key bytes, every
 *    lane family's expand_n agrees with them; e2e_keyset_init gives identical
 *    key sets on every engine; a key set built on one implementation opens
 *    what another sealed, for every tier e2e_impl_names() lists that the CPU
 *    runs (nothing here names a tier but "portable").
 * Random keys are seeded (E2E_TEST_SEED to repeat a run). */
#include "testutil.h"

struct pbuf {
    uint8_t enc[32], auth[80], kiv[80], iv[32], ki[32];
};

/* valid_params fills p with a valid parameter set for suite s. */
static void valid_params(e2e_keyset_params *p, struct pbuf *b, e2e_suite s)
{
    rng_fill(b->enc, sizeof b->enc);
    rng_fill(b->auth, sizeof b->auth);
    rng_fill(b->kiv, sizeof b->kiv);
    rng_fill(b->iv, sizeof b->iv);
    rng_fill(b->ki, sizeof b->ki);
    memset(p, 0, sizeof *p);
    p->suite = s;
    switch (s) {
    case E2E_SUITE_AES_128_CCM:
    case E2E_SUITE_AES_128_CCM_8:
        b->ki[0] = (uint8_t)(0x10 | (b->ki[0] & 0x0f));
        p->enc_key = b->enc;
        p->enc_key_len = 16;
        p->iv = b->iv;
        p->iv_len = 13;
        p->ki = b->ki;
        p->ki_len = 16;
        break;
    case E2E_SUITE_AES_128_CS1_HMAC_SHA256:
        p->enc_key = b->enc;
        p->enc_key_len = 16;
        p->iv = b->iv;
        p->iv_len = 16;
        /* the HMAC parameters follow */
        /* fall through */
    case E2E_SUITE_HMAC_SHA256:
        b->kiv[0] = (uint8_t)(0x20 | (b->kiv[0] & 0x0f));
        p->auth_key = b->auth;
        p->auth_key_len = 16;
        p->kiv = b->kiv;
        p->kiv_len = 12;   /* a valid 12-byte KI: seal writes it */
        break;
    }
}

static const e2e_suite suites[] = {E2E_SUITE_AES_128_CCM, E2E_SUITE_AES_128_CCM_8,
                                   E2E_SUITE_AES_128_CS1_HMAC_SHA256, E2E_SUITE_HMAC_SHA256};
static const char *sname(e2e_suite s)
{
    const char *n = e2e_suite_name(s);
    return n ? n : "?";
}

/* expect_refused: init must fail with unsupported or bad_param (want, if
 * non-zero, pins which) and leave every byte of ks zero. */
static void expect_refused(const e2e_engine *eng, const e2e_keyset_params *p, e2e_status want,
                           const char *what)
{
    e2e_keyset ks;
    memset(&ks, 0xa5, sizeof ks);
    e2e_status st = e2e_keyset_init(&ks, eng, p);
    if (want)
        CHECK(st == want, "%s: %s, want %s", what, e2e_status_name(st), e2e_status_name(want));
    else
        CHECK(st == E2E_ERR_UNSUPPORTED || st == E2E_ERR_PARAM,
              "%s: %s, want unsupported or bad_param", what, e2e_status_name(st));
    CHECK(all_zero(ks.opaque, sizeof ks.opaque), "%s: ks not wiped after failure", what);
    CHECK(e2e_keyset_suite(&ks) == 0 && e2e_keyset_tag_len(&ks) == 0,
          "%s: a refused key set still reports a suite", what);
}

/* expect_ok: init succeeds with tag length tag; the seal length adds up. */
static void expect_ok(const e2e_engine *eng, const e2e_keyset_params *p, size_t tag,
                      const char *what)
{
    e2e_keyset ks;
    e2e_status st = e2e_keyset_init(&ks, eng, p);
    CHECK(st == E2E_OK, "%s: %s", what, e2e_status_name(st));
    if (st != E2E_OK)
        return;
    CHECK(e2e_keyset_suite(&ks) == p->suite, "%s: suite", what);
    CHECK(e2e_keyset_tag_len(&ks) == tag, "%s: tag %zu, want %zu", what,
          e2e_keyset_tag_len(&ks), tag);
    size_t kl = 99;
    const uint8_t *ki = e2e_keyset_ki(&ks, &kl);
    size_t want_kl = p->ki ? p->ki_len : p->kiv_len;
    const uint8_t *want_ki = p->ki ? p->ki : p->kiv;
    CHECK(ki != NULL && kl == want_kl && memcmp(ki, want_ki, kl) == 0, "%s: KI", what);
    for (size_t n = 0; n < 40; n += 13)
        CHECK(e2e_seal_len(&ks, n) == kl + n + tag, "%s: seal_len(%zu) = %zu", what, n,
              e2e_seal_len(&ks, n));
    /* And it works: seal then open 20 bytes. */
    uint8_t pt[20], msg[20 + E2E_SEAL_OVERHEAD_MAX], out[sizeof msg];
    size_t ml = 0, ol = 0;
    rng_fill(pt, sizeof pt);
    st = e2e_seal(eng, &ks, msg, sizeof msg, &ml, pt, sizeof pt);
    CHECK(st == E2E_OK && ml == e2e_seal_len(&ks, sizeof pt), "%s: seal %s", what,
          e2e_status_name(st));
    if (st == E2E_OK) {
        st = e2e_open(eng, &ks, out, sizeof out, &ol, msg, ml);
        CHECK(st == E2E_OK && ol == sizeof pt && memcmp(out, pt, ol) == 0, "%s: open %s", what,
              e2e_status_name(st));
    }
    e2e_keyset_clear(&ks);
}

static void validation(const e2e_engine *eng)
{
    e2e_keyset_params p;
    struct pbuf b;
    char what[160];

    for (size_t si = 0; si < 4; si++) {
        e2e_suite s = suites[si];
        int ccm = s == E2E_SUITE_AES_128_CCM || s == E2E_SUITE_AES_128_CCM_8;
        int aes = s != E2E_SUITE_HMAC_SHA256;
        int hmac = !ccm;
        size_t deftag = s == E2E_SUITE_AES_128_CCM_8 ? 8 : 16;

        valid_params(&p, &b, s);
        snprintf(what, sizeof what, "%s defaults", sname(s));
        expect_ok(eng, &p, deftag, what);

        if (aes) {
            size_t bad[] = {0, 1, 15, 17, 24, 32};
            for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                valid_params(&p, &b, s);
                p.enc_key_len = bad[i];
                snprintf(what, sizeof what, "%s enc_key_len %zu", sname(s), bad[i]);
                expect_refused(eng, &p, 0, what);
            }
            valid_params(&p, &b, s);
            p.enc_key = NULL;
            snprintf(what, sizeof what, "%s enc_key NULL", sname(s));
            expect_refused(eng, &p, 0, what);
        }
        if (ccm) {
            size_t bad[] = {0, 1, 6, 14, 15, 16};
            for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                valid_params(&p, &b, s);
                p.iv_len = bad[i];
                snprintf(what, sizeof what, "%s nonce_len %zu", sname(s), bad[i]);
                expect_refused(eng, &p, 0, what);
            }
            for (size_t n = 7; n <= 13; n++) {
                valid_params(&p, &b, s);
                p.iv_len = n;
                snprintf(what, sizeof what, "%s nonce_len %zu", sname(s), n);
                expect_ok(eng, &p, deftag, what);
            }
            for (size_t t = 1; t <= 34; t++) {
                valid_params(&p, &b, s);
                p.tag_len = t;
                snprintf(what, sizeof what, "%s tag_len %zu", sname(s), t);
                if (t >= 4 && t <= 16 && t % 2 == 0)
                    expect_ok(eng, &p, t, what);
                else
                    expect_refused(eng, &p, 0, what);
            }
        }
        if (s == E2E_SUITE_AES_128_CS1_HMAC_SHA256) {
            size_t bad[] = {0, 7, 12, 13, 15, 17, 32};
            for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                valid_params(&p, &b, s);
                p.iv_len = bad[i];
                snprintf(what, sizeof what, "%s iv_len %zu", sname(s), bad[i]);
                expect_refused(eng, &p, 0, what);
            }
            valid_params(&p, &b, s);
            p.iv = NULL;
            snprintf(what, sizeof what, "%s iv NULL", sname(s));
            expect_refused(eng, &p, 0, what);
        }
        if (hmac) {
            for (size_t t = 1; t <= 40; t++) {
                valid_params(&p, &b, s);
                p.tag_len = t;
                snprintf(what, sizeof what, "%s tag_len %zu", sname(s), t);
                if (t >= 4 && t <= 32)
                    expect_ok(eng, &p, t, what);
                else
                    expect_refused(eng, &p, 0, what);
            }
            /* AuthenticationKey 1..64 bytes (e2ecrypt.h). */
            size_t ak_bad[] = {0, 65, 80};
            for (size_t i = 0; i < sizeof ak_bad / sizeof ak_bad[0]; i++) {
                valid_params(&p, &b, s);
                p.auth_key_len = ak_bad[i];
                snprintf(what, sizeof what, "%s auth_key_len %zu", sname(s), ak_bad[i]);
                expect_refused(eng, &p, 0, what);
            }
            size_t ak_ok[] = {1, 16, 32, 63, 64};
            for (size_t i = 0; i < sizeof ak_ok / sizeof ak_ok[0]; i++) {
                valid_params(&p, &b, s);
                p.auth_key_len = ak_ok[i];
                snprintf(what, sizeof what, "%s auth_key_len %zu", sname(s), ak_ok[i]);
                expect_ok(eng, &p, 16, what);
            }
            valid_params(&p, &b, s);
            p.auth_key = NULL;
            snprintf(what, sizeof what, "%s auth_key NULL", sname(s));
            expect_refused(eng, &p, 0, what);
            /* KIV 1..64 bytes; with a KI given, any such KIV is fine. */
            size_t kiv_bad[] = {0, 65, 80};
            for (size_t i = 0; i < sizeof kiv_bad / sizeof kiv_bad[0]; i++) {
                valid_params(&p, &b, s);
                p.kiv_len = kiv_bad[i];
                snprintf(what, sizeof what, "%s kiv_len %zu", sname(s), kiv_bad[i]);
                expect_refused(eng, &p, 0, what);
            }
            size_t kiv_ok[] = {1, 12, 16, 20, 64};
            for (size_t i = 0; i < sizeof kiv_ok / sizeof kiv_ok[0]; i++) {
                valid_params(&p, &b, s);
                b.ki[0] = (uint8_t)(0x20 | (b.ki[0] & 0x0f));
                p.ki = b.ki;
                p.ki_len = 12;
                p.kiv_len = kiv_ok[i];
                snprintf(what, sizeof what, "%s kiv_len %zu with a KI", sname(s), kiv_ok[i]);
                expect_ok(eng, &p, 16, what);
            }
            valid_params(&p, &b, s);
            p.kiv = NULL;
            snprintf(what, sizeof what, "%s kiv NULL", sname(s));
            expect_refused(eng, &p, 0, what);
            /* A 16-byte KIV that is a continuous-rotation KI: seal writes it. */
            valid_params(&p, &b, s);
            b.kiv[0] = (uint8_t)(0x10 | (b.kiv[0] & 0x0f));
            p.kiv_len = 16;
            snprintf(what, sizeof what, "%s 16-byte KIV as KI", sname(s));
            expect_ok(eng, &p, 16, what);
        }
        /* MACLength overrides the default either way. */
        valid_params(&p, &b, s);
        p.tag_len = s == E2E_SUITE_AES_128_CCM_8 ? 16 : 8;
        snprintf(what, sizeof what, "%s tag_len override %zu", sname(s), p.tag_len);
        expect_ok(eng, &p, p.tag_len, what);

        /* The KI seal writes: 12 bytes with nibble 2 or 16 with nibble 1. */
        struct {
            size_t len;
            uint8_t nib;
            int ok;
        } kis[] = {{16, 1, 1}, {12, 2, 1}, {12, 1, 0}, {16, 2, 0}, {16, 0, 0}, {12, 3, 0},
                   {16, 0xf, 0}, {11, 2, 0}, {13, 2, 0}, {15, 1, 0}, {17, 1, 0}};
        for (size_t i = 0; i < sizeof kis / sizeof kis[0]; i++) {
            valid_params(&p, &b, s);
            b.ki[0] = (uint8_t)(kis[i].nib << 4 | (b.ki[0] & 0x0f));
            p.ki = b.ki;
            p.ki_len = kis[i].len;
            snprintf(what, sizeof what, "%s ki %zu bytes nibble %x", sname(s), kis[i].len,
                     kis[i].nib);
            if (kis[i].ok)
                expect_ok(eng, &p, deftag, what);
            else
                expect_refused(eng, &p, 0, what);
        }
        valid_params(&p, &b, s);
        p.ki = NULL;
        p.ki_len = 16;
        snprintf(what, sizeof what, "%s ki NULL with ki_len 16", sname(s));
        expect_refused(eng, &p, 0, what);
    }

    /* Suites that do not exist. */
    int bad_suites[] = {0, 5, 6, 99, -1};
    for (size_t i = 0; i < sizeof bad_suites / sizeof bad_suites[0]; i++) {
        valid_params(&p, &b, E2E_SUITE_AES_128_CS1_HMAC_SHA256);
        p.suite = (e2e_suite)bad_suites[i];
        snprintf(what, sizeof what, "suite %d", bad_suites[i]);
        expect_refused(eng, &p, E2E_ERR_UNSUPPORTED, what);
    }

    /* NULL and uninitialised arguments. */
    valid_params(&p, &b, E2E_SUITE_AES_128_CCM);
    CHECK(e2e_keyset_init(NULL, eng, &p) == E2E_ERR_PARAM, "ks NULL");
    expect_refused(eng, NULL, E2E_ERR_PARAM, "params NULL");
    expect_refused(NULL, &p, E2E_ERR_PARAM, "engine NULL");
    e2e_engine zero;
    memset(&zero, 0, sizeof zero);
    expect_refused(&zero, &p, E2E_ERR_PARAM, "uninitialised engine");
}

/* A key set without a KI to write (CCM without ki, HMAC whose KIV is not a
 * valid KI) may still open messages, but seal must refuse and wipe. */
static void no_ki(const e2e_engine *eng)
{
    e2e_keyset_params p;
    struct pbuf b;
    e2e_keyset ks;
    for (int i = 0; i < 2; i++) {
        valid_params(&p, &b, i ? E2E_SUITE_HMAC_SHA256 : E2E_SUITE_AES_128_CCM);
        if (i) {
            p.kiv_len = 20;
        } else {
            p.ki = NULL;
            p.ki_len = 0;
        }
        e2e_status st = e2e_keyset_init(&ks, eng, &p);
        if (st != E2E_OK) {
            /* Refusing such a key set up front is also acceptable. */
            CHECK(st == E2E_ERR_UNSUPPORTED, "no-KI key set: %s", e2e_status_name(st));
            continue;
        }
        uint8_t pt[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[64];
        size_t ol = 99;
        memset(out, 0xa5, sizeof out);
        st = e2e_seal(eng, &ks, out, sizeof out, &ol, pt, sizeof pt);
        CHECK(st != E2E_OK, "seal without a KI succeeded");
        CHECK(ol == 0 && all_zero(out, e2e_seal_len(&ks, sizeof pt)),
              "seal without a KI: out_len %zu / output not wiped", ol);
        e2e_keyset_clear(&ks);
    }
}

/* An empty plaintext may be passed as NULL: seal and open both work (and
 * the sanitizer build catches a memcpy from NULL). */
static void empty_plaintext(const e2e_engine *eng)
{
    for (size_t si = 0; si < 4; si++) {
        e2e_keyset_params p;
        struct pbuf b;
        e2e_keyset ks;
        valid_params(&p, &b, suites[si]);
        CHECK(e2e_keyset_init(&ks, eng, &p) == E2E_OK, "init %s", sname(suites[si]));
        uint8_t msg[64], out[64];
        size_t ml = 99, ol = 99;
        e2e_status st = e2e_seal(eng, &ks, msg, sizeof msg, &ml, NULL, 0);
        CHECK(st == E2E_OK && ml == e2e_seal_len(&ks, 0), "%s: seal(NULL, 0): %s",
              sname(suites[si]), e2e_status_name(st));
        if (st == E2E_OK) {
            st = e2e_open(eng, &ks, out, sizeof out, &ol, msg, ml);
            CHECK(st == E2E_OK && ol == 0, "%s: open of an empty plaintext: %s, %zu bytes",
                  sname(suites[si]), e2e_status_name(st), ol);
            st = e2e_open(eng, &ks, msg, ml, &ol, msg, ml);
            CHECK(st == E2E_OK && ol == 0, "%s: in-place open of an empty plaintext: %s",
                  sname(suites[si]), e2e_status_name(st));
        }
        st = e2e_open(eng, &ks, out, sizeof out, &ol, NULL, 0);
        CHECK(st == E2E_ERR_MALFORMED && ol == 0, "%s: open(NULL, 0): %s", sname(suites[si]),
              e2e_status_name(st));
        st = e2e_seal(eng, &ks, msg, sizeof msg, &ol, NULL, 5);
        CHECK(st == E2E_ERR_PARAM && ol == 0, "%s: seal(NULL, 5): %s", sname(suites[si]),
              e2e_status_name(st));
        st = e2e_open(eng, &ks, NULL, 64, &ol, msg, ml);
        CHECK(st == E2E_ERR_PARAM && ol == 0, "%s: open into NULL: %s", sname(suites[si]),
              e2e_status_name(st));
        e2e_keyset_clear(&ks);
    }
}

static void clear_wipes(const e2e_engine *eng)
{
    for (size_t si = 0; si < 4; si++) {
        e2e_keyset_params p;
        struct pbuf b;
        e2e_keyset ks;
        valid_params(&p, &b, suites[si]);
        CHECK(e2e_keyset_init(&ks, eng, &p) == E2E_OK, "init %s", sname(suites[si]));
        CHECK(!all_zero(ks.opaque, sizeof ks.opaque), "an initialised key set is all zero?");
        uint8_t pt[5] = {'H', 'E', 'L', 'L', 'O'}, msg[64], out[64];
        size_t ml = 0, ol = 99;
        CHECK(e2e_seal(eng, &ks, msg, sizeof msg, &ml, pt, sizeof pt) == E2E_OK, "seal");
        e2e_keyset_clear(&ks);
        CHECK(all_zero(ks.opaque, sizeof ks.opaque), "%s: e2e_keyset_clear left bytes",
              sname(suites[si]));
        CHECK(e2e_keyset_suite(&ks) == 0 && e2e_keyset_tag_len(&ks) == 0 &&
                  e2e_seal_len(&ks, 5) == 0,
              "%s: a cleared key set still answers", sname(suites[si]));
        size_t kl = 99;
        CHECK(e2e_keyset_ki(&ks, &kl) == NULL && kl == 0, "cleared key set has a KI");
        memset(out, 0xa5, sizeof out);
        e2e_status st = e2e_open(eng, &ks, out, sizeof out, &ol, msg, ml);
        CHECK(st != E2E_OK && ol == 0 && all_zero(out, ml),
              "%s: open with a cleared key set: %s, out_len %zu", sname(suites[si]),
              e2e_status_name(st), ol);
    }
    e2e_keyset_clear(NULL); /* must not crash */
}

/* Every implementation's expand() and every engine's key set agree byte for
 * byte; messages cross implementations. */
static void cross(void)
{
    /* expand() straight from the tables: every distinct AES table, and every
     * lane family's expand_n, that the runnable tiers (e2e_impl_names) hold. */
    const struct e2e_aes_impl *tabs[T_MAX_ENGINES + 1];
    const struct e2e_aes_lane_impl *ltabs[2 * T_MAX_ENGINES];
    size_t nt = 0, nl = 0;
    tabs[nt++] = &e2e_aes_impl_portable;
    for (size_t e = 0; e < t_n_engines; e++) {
        const struct engine_impl *im = e2e_engine_impl(&t_engines[e].eng);
        if (im == NULL)
            continue;
        int fresh = 1;
        for (size_t t = 0; t < nt; t++)
            fresh &= tabs[t] != im->aes;
        if (fresh)
            tabs[nt++] = im->aes;
        const struct e2e_aes_lane_impl *l2[2] = {im->aes_lanes, im->aes_narrow};
        for (int w = 0; w < 2; w++) {
            fresh = l2[w] != NULL;
            for (size_t t = 0; t < nl && fresh; t++)
                fresh = ltabs[t] != l2[w];
            if (fresh)
                ltabs[nl++] = l2[w];
        }
    }
    for (int i = 0; i < 2000; i++) {
        uint8_t key[16];
        rng_fill(key, 16);
        if (i == 0)
            memset(key, 0, 16);
        if (i == 1)
            memset(key, 0xff, 16);
        e2e_aes_key ref;
        memset(&ref, 0x11, sizeof ref);
        tabs[0]->expand(&ref, key);
        for (size_t t = 1; t < nt; t++) {
            e2e_aes_key k;
            memset(&k, 0xee, sizeof k);
            tabs[t]->expand(&k, key);
            CHECK(memcmp(&k, &ref, sizeof k) == 0, "%s expand() != portable for key %s",
                  tabs[t]->name, hexstr(key, 16));
        }
        for (size_t t = 0; t < nl; t++) {
            e2e_aes_key k;
            e2e_aes_key *kp = &k;
            const uint8_t *keyp = key;
            memset(&k, 0xee, sizeof k);
            ltabs[t]->expand_n(&kp, &keyp, 1);
            CHECK(memcmp(&k, &ref, sizeof k) == 0, "%s lanes' expand_n() != portable for key %s",
                  ltabs[t]->name, hexstr(key, 16));
        }
    }
    printf("expand(): %zu AES tables and %zu lane families' expand_n agree on 2000 keys\n", nt,
           nl);

    /* HMAC states and whole key sets from every engine. */
    for (int round = 0; round < 50; round++) {
        e2e_suite s = suites[round % 4];
        e2e_keyset_params p;
        struct pbuf b;
        valid_params(&p, &b, s);
        if (p.auth_key != NULL)
            p.auth_key_len = rng_range(1, 64);
        static e2e_keyset ks[T_MAX_ENGINES];
        for (size_t e = 0; e < t_n_engines; e++) {
            memset(&ks[e], (int)(0x30 + e), sizeof ks[e]);
            CHECK(e2e_keyset_init(&ks[e], &t_engines[e].eng, &p) == E2E_OK, "init on %s",
                  t_engines[e].name);
            /* the used part: a successful init writes only that (the rest
             * keeps the different prior contents set above) */
            if (e > 0)
                CHECK(memcmp(&ks[e], &ks[0], sizeof(struct keyset_impl)) == 0,
                      "%s: key set built on %s differs from one built on %s", sname(s),
                      t_engines[e].name, t_engines[0].name);
        }
        size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 100, 1000};
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t n = lens[li];
            uint8_t *pt = xmalloc(n), *ref = xmalloc(n + E2E_SEAL_OVERHEAD_MAX);
            uint8_t *msg = xmalloc(n + E2E_SEAL_OVERHEAD_MAX), *out = xmalloc(n + E2E_SEAL_OVERHEAD_MAX);
            rng_fill(pt, n);
            size_t rl = 0;
            e2e_status st = e2e_seal(&t_engines[0].eng, &ks[0], ref, n + E2E_SEAL_OVERHEAD_MAX,
                                     &rl, pt, n);
            CHECK(st == E2E_OK, "seal %s %zu: %s", sname(s), n, e2e_status_name(st));
            for (size_t a = 0; a < t_n_engines && st == E2E_OK; a++) {
                size_t ml = 0;
                e2e_status sa = e2e_seal(&t_engines[a].eng, &ks[a], msg,
                                         n + E2E_SEAL_OVERHEAD_MAX, &ml, pt, n);
                CHECK(sa == E2E_OK && ml == rl && memcmp(msg, ref, rl) == 0,
                      "%s len %zu: sealed on %s differs from %s", sname(s), n,
                      t_engines[a].name, t_engines[0].name);
                for (size_t o = 0; o < t_n_engines; o++) {
                    /* Open with engine o, both with the key set built on a
                     * (the sealing side's) and the one built on o. */
                    for (int which = 0; which < 2; which++) {
                        const e2e_keyset *k = which ? &ks[o] : &ks[a];
                        size_t ol = 0;
                        memset(out, 0, n + E2E_SEAL_OVERHEAD_MAX);
                        e2e_status so = e2e_open(&t_engines[o].eng, k, out,
                                                 n + E2E_SEAL_OVERHEAD_MAX, &ol, msg, ml);
                        CHECK(so == E2E_OK && ol == n && memcmp(out, pt, n) == 0,
                              "%s len %zu: sealed on %s, opened on %s with the key set of %s: %s",
                              sname(s), n, t_engines[a].name, t_engines[o].name,
                              t_engines[which ? o : a].name, e2e_status_name(so));
                    }
                }
            }
            free(pt);
            free(ref);
            free(msg);
            free(out);
        }
        for (size_t e = 0; e < t_n_engines; e++)
            e2e_keyset_clear(&ks[e]);
    }

    /* Portable against every other runnable tier (e2e_impl_names), spelled
     * out: sealed on one, opened on the other, with either side's key set. */
    const e2e_engine *por = engine_named("portable");
    size_t others = 0;
    for (size_t e = 0; por != NULL && e < t_n_engines; e++) {
        const e2e_engine *fast = &t_engines[e].eng;
        const char *fn = t_engines[e].name;
        if (strcmp(fn, "portable") == 0 || strcmp(fn, "best") == 0)
            continue;
        others++;
        for (size_t si = 0; si < 4; si++) {
            e2e_keyset_params p;
            struct pbuf b;
            e2e_keyset kp, kf;
            valid_params(&p, &b, suites[si]);
            CHECK(e2e_keyset_init(&kp, por, &p) == E2E_OK, "init on portable");
            CHECK(e2e_keyset_init(&kf, fast, &p) == E2E_OK, "init on %s", fn);
            uint8_t pt[77], m1[77 + E2E_SEAL_OVERHEAD_MAX], m2[sizeof m1], o[sizeof m1];
            size_t l1 = 0, l2 = 0, ol = 0;
            rng_fill(pt, sizeof pt);
            CHECK(e2e_seal(por, &kp, m1, sizeof m1, &l1, pt, sizeof pt) == E2E_OK, "seal portable");
            CHECK(e2e_open(fast, &kp, o, sizeof o, &ol, m1, l1) == E2E_OK && ol == sizeof pt &&
                      memcmp(o, pt, ol) == 0,
                  "%s: sealed on portable, opened on %s (portable's key set)", sname(suites[si]),
                  fn);
            CHECK(e2e_open(fast, &kf, o, sizeof o, &ol, m1, l1) == E2E_OK && ol == sizeof pt &&
                      memcmp(o, pt, ol) == 0,
                  "%s: sealed on portable, opened on %s", sname(suites[si]), fn);
            CHECK(e2e_seal(fast, &kf, m2, sizeof m2, &l2, pt, sizeof pt) == E2E_OK, "seal on %s",
                  fn);
            CHECK(l2 == l1 && memcmp(m2, m1, l1) == 0, "%s: sealed on %s differs from portable",
                  sname(suites[si]), fn);
            CHECK(e2e_open(por, &kf, o, sizeof o, &ol, m2, l2) == E2E_OK && ol == sizeof pt &&
                      memcmp(o, pt, ol) == 0,
                  "%s: sealed on %s, opened on portable", sname(suites[si]), fn);
            e2e_keyset_clear(&kp);
            e2e_keyset_clear(&kf);
        }
    }
    if (others == 0)
        printf("SKIP portable <-> other tiers (this CPU runs only portable)\n");
    else
        printf("portable <-> %zu other tiers: sealed on one, opened on the other\n", others);
}

/* init_many: e2e_keyset_init_many equals e2e_keyset_init per entry, byte
 * for byte, for mixes of every suite and of refused parameters, across the
 * groups of up to 8 AES keys it expands together. */
static void init_many(const e2e_engine *eng)
{
    enum { N = 37 };
    static e2e_keyset many[N], one[N];
    e2e_keyset_params p[N];
    struct pbuf b[N];
    e2e_status st[N];
    for (int round = 0; round < 20; round++) {
        size_t n = rng_range(0, N);
        for (size_t i = 0; i < n; i++) {
            valid_params(&p[i], &b[i], suites[rng_below(sizeof suites / sizeof suites[0])]);
            if (rng_below(5) == 0)
                p[i].enc_key_len = p[i].suite == E2E_SUITE_HMAC_SHA256 ? 0 : 15;  /* refused */
            if (rng_below(7) == 0)
                p[i].tag_len = 3;                                                  /* refused */
        }
        /* the same prior contents in both: a successful init writes only
         * the part of the key set it uses */
        memset(many, 0xa5, sizeof many);
        memset(one, 0xa5, sizeof one);
        CHECK(e2e_keyset_init_many(many, eng, p, st, n) == E2E_OK, "init_many(%zu)", n);
        for (size_t i = 0; i < n; i++) {
            e2e_status want = e2e_keyset_init(&one[i], eng, &p[i]);
            CHECK(st[i] == want, "init_many[%zu]: %s, init: %s", i, e2e_status_name(st[i]),
                  e2e_status_name(want));
            CHECK(memcmp(&many[i], &one[i], sizeof one[i]) == 0,
                  "init_many[%zu] (%s) differs from e2e_keyset_init", i, sname(p[i].suite));
            e2e_keyset_clear(&one[i]);
            e2e_keyset_clear(&many[i]);
        }
    }
    CHECK(e2e_keyset_init_many(NULL, eng, p, st, 1) == E2E_ERR_PARAM, "init_many(NULL ks)");
    CHECK(e2e_keyset_init_many(many, NULL, p, st, 1) == E2E_ERR_PARAM, "init_many(NULL eng)");
    CHECK(e2e_keyset_init_many(NULL, eng, NULL, NULL, 0) == E2E_OK, "init_many of nothing");
}

int main(void)
{
    rng_init("test_keyset");
    size_t n = engines_init();
    for (size_t i = 0; i < n; i++) {
        unsigned long before = t_failed;
        validation(&t_engines[i].eng);
        no_ki(&t_engines[i].eng);
        empty_plaintext(&t_engines[i].eng);
        clear_wipes(&t_engines[i].eng);
        init_many(&t_engines[i].eng);
        printf("%-12s %s\n", t_engines[i].name, t_failed == before ? "ok" : "FAILED");
    }
    cross();
    return t_summary();
}
