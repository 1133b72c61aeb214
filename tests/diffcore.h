/* diffcore.h — the parts test_diff_boringssl.c and test_diff_openssl.c share:
 * the lengths to test and the wire-format checks over the public API.
 *
 * A differential test defines three oracle functions with its library before
 * including this header's users (prototypes below), then calls wire_check().
 *
 * wire_check(engine, key set parameters, plaintext) asserts:
 *  - e2e_seal gives exactly KI || body, the body built by the oracle:
 *      CCM:      oracle_ccm_seal(EncKey, nonce, P) (no AAD on the wire);
 *      CS1+HMAC: oracle_cs1_encrypt(EncKey, AESIV, P || T);
 *      HMAC:     P || T;
 *    with T = the first tag_len bytes of oracle_hmac_sha256(AuthKey, KIV || P),
 *    also checked against the library's own e2e_hmac_sha256 over KIV || P;
 *    a CS1 P || T under 16 bytes is malformed (out_len 0, output wiped);
 *  - e2e_open of the oracle's bytes gives P back, out of place and in place;
 *  - one flipped bit: in the KI's top nibble -> malformed; elsewhere in the KI
 *    -> still OK with the same plaintext (the engine authenticates the key
 *    set's KIV, not the KI on the wire, and CCM has no AAD); anywhere in the
 *    body -> auth_failed; every failure with out_len 0 and the whole output
 *    buffer zero, in place too.
 * wire_short_bodies() asserts a body under the suite's minimum (16 for CS1,
 * the tag for CCM and HMAC-only) is malformed. */
#ifndef E2E_TESTS_DIFFCORE_H
#define E2E_TESTS_DIFFCORE_H

#include "testutil.h"

/* ---------------------------------------------------------------- oracles */

/* oracle_hmac_sha256: HMAC-SHA256(key, msg) by the oracle library. */
static void oracle_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len,
                               const uint8_t *msg, size_t len);
/* oracle_cs1_encrypt: AES-128-CBC-CS1 of len >= 16 bytes. */
static void oracle_cs1_encrypt(uint8_t *out, const uint8_t key[16], const uint8_t iv[16],
                               const uint8_t *in, size_t len);
/* oracle_ccm_seal: ciphertext || tag (pt_len + tag_len bytes). Returns 0 when
 * the oracle cannot do these parameters (then only round trips are checked). */
static int oracle_ccm_seal(uint8_t *out, const uint8_t key[16], const uint8_t *nonce,
                           size_t nonce_len, size_t tag_len, const uint8_t *aad,
                           size_t aad_len, const uint8_t *pt, size_t pt_len);

/* ---------------------------------------------------------------- lengths */

/* diff_lengths fills *out with 0..sweep_max() (E2E_SWEEP_MAX, default 300)
 * and then E2E_DIFF_RANDOM_LENGTHS (default 40) random lengths in 301..65536
 * (always including 65535 and 65536 when any are asked for). Returns the
 * count; free *out. */
static T_UNUSED size_t diff_lengths(size_t **out)
{
    size_t r = env_ulong("E2E_DIFF_RANDOM_LENGTHS", 40), top = sweep_max();
    size_t *l = xmalloc((top + 1 + r) * sizeof *l), n = 0;
    for (size_t i = 0; i <= top; i++)
        l[n++] = i;
    for (size_t i = 0; i < r; i++)
        l[n++] = i == 0 ? 65536 : i == 1 ? 65535 : rng_range(301, 65536);
    printf("lengths: 0..%zu (E2E_SWEEP_MAX) and %zu random up to 65536 "
           "(E2E_DIFF_RANDOM_LENGTHS)\n", top, r);
    *out = l;
    return n;
}

/* ---------------------------------------------------------------- wire */

struct wire_cfg {
    e2e_suite suite;
    uint8_t enc[16], auth[64], kiv[64], iv[16], ki[16];
    size_t auth_len, kiv_len, iv_len, ki_len, tag_len; /* ki_len 0: the KIV is the KI */
};

static T_UNUSED const char *suite_str(e2e_suite s)
{
    const char *n = e2e_suite_name(s);
    return n ? n : "?";
}

/* wire_random fills c with random parameters for suite s. nonce_len and
 * tag_len 0 pick at random (CCM: tag 4..16 even; HMAC suites: 4..32). */
static T_UNUSED void wire_random(struct wire_cfg *c, e2e_suite s, size_t nonce_len,
                                 size_t tag_len)
{
    memset(c, 0, sizeof *c);
    c->suite = s;
    rng_fill(c->enc, 16);
    rng_fill(c->auth, sizeof c->auth);
    rng_fill(c->kiv, sizeof c->kiv);
    rng_fill(c->iv, 16);
    rng_fill(c->ki, 16);
    int ccm = s == E2E_SUITE_AES_128_CCM || s == E2E_SUITE_AES_128_CCM_8;
    c->iv_len = ccm ? (nonce_len ? nonce_len : rng_range(7, 13)) : 16;
    c->tag_len = tag_len ? tag_len : ccm ? 2 * rng_range(2, 8) : rng_range(4, 32);
    c->auth_len = rng_range(1, 64);
    if (ccm || rng_below(2)) {
        /* an explicit KI of either rotation; the KIV is anything */
        c->ki_len = rng_below(2) ? 16 : 12;
        c->ki[0] = (uint8_t)((c->ki_len == 16 ? 0x10 : 0x20) | (c->ki[0] & 0x0f));
        c->kiv_len = rng_range(1, 64);
    } else {
        /* no KI: the KIV is a valid KI and seal writes it (as the seed's
         * automatic-rotation examples do) */
        c->kiv_len = rng_below(2) ? 16 : 12;
        c->kiv[0] = (uint8_t)((c->kiv_len == 16 ? 0x10 : 0x20) | (c->kiv[0] & 0x0f));
    }
}

static T_UNUSED e2e_status wire_keyset(e2e_keyset *ks, const e2e_engine *eng,
                                       const struct wire_cfg *c)
{
    e2e_keyset_params p;
    memset(&p, 0, sizeof p);
    p.suite = c->suite;
    if (c->suite != E2E_SUITE_HMAC_SHA256) {
        p.enc_key = c->enc;
        p.enc_key_len = 16;
        p.iv = c->iv;
        p.iv_len = c->iv_len;
    }
    if (c->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256 || c->suite == E2E_SUITE_HMAC_SHA256) {
        p.auth_key = c->auth;
        p.auth_key_len = c->auth_len;
        p.kiv = c->kiv;
        p.kiv_len = c->kiv_len;
    }
    if (c->ki_len) {
        p.ki = c->ki;
        p.ki_len = c->ki_len;
    }
    p.tag_len = c->tag_len;
    return e2e_keyset_init(ks, eng, &p);
}

/* wire_expected builds the oracle's sealed message. Returns its length, 0
 * when the oracle cannot (CCM parameters it lacks), or (size_t)-1 when the
 * seal must be malformed (CS1 P || T under 16 bytes, CCM too long). */
static T_UNUSED size_t wire_expected(uint8_t *out, const struct wire_cfg *c, const uint8_t *pt,
                                     size_t len, const e2e_engine *eng)
{
    const uint8_t *ki = c->ki_len ? c->ki : c->kiv;
    size_t kl = c->ki_len ? c->ki_len : c->kiv_len, t = c->tag_len;
    memcpy(out, ki, kl);
    uint8_t *body = out + kl;
    if (c->suite == E2E_SUITE_AES_128_CCM || c->suite == E2E_SUITE_AES_128_CCM_8) {
        size_t q = 15 - c->iv_len;
        if (q < 8 && len >> (8 * q) != 0)
            return (size_t)-1;
        if (!oracle_ccm_seal(body, c->enc, c->iv, c->iv_len, t, NULL, 0, pt, len))
            return 0;
        return kl + len + t;
    }
    uint8_t *mac_in = xmalloc(c->kiv_len + len), mac[32], lib[32];
    memcpy(mac_in, c->kiv, c->kiv_len);
    memcpy(mac_in + c->kiv_len, pt, len);
    oracle_hmac_sha256(mac, c->auth, c->auth_len, mac_in, c->kiv_len + len);
    free(mac_in);
    /* The library's own HMAC over KIV || P agrees. */
    e2e_hmac_key hk;
    e2e_hmac_sha256_key(eng, &hk, c->auth, c->auth_len);
    e2e_hmac_sha256(eng, &hk, lib, c->kiv, c->kiv_len, pt, len);
    CHECK(memcmp(lib, mac, 32) == 0, "e2e_hmac_sha256(KIV || P) != oracle HMAC (len %zu)", len);
    if (c->suite == E2E_SUITE_HMAC_SHA256) {
        memcpy(body, pt, len);
        memcpy(body + len, mac, t);
        return kl + len + t;
    }
    if (len + t < 16)
        return (size_t)-1;
    uint8_t *buf = xmalloc(len + t);
    memcpy(buf, pt, len);
    memcpy(buf + len, mac, t);
    oracle_cs1_encrypt(body, c->enc, c->iv, buf, len + t);
    free(buf);
    return kl + len + t;
}

/* wire_open_expect opens msg (out of place, then in place) and checks the
 * status, the plaintext on OK, and out_len 0 / all-zero output otherwise. */
static T_UNUSED void wire_open_expect(const struct t_engine *te, const e2e_keyset *ks,
                                      const uint8_t *msg, size_t ml, e2e_status want,
                                      const uint8_t *pt, size_t len, const char *what)
{
    uint8_t *out = xmalloc(ml), *inp = xmalloc(ml);
    for (int in_place = 0; in_place < 2; in_place++) {
        size_t ol = 999;
        e2e_status st;
        memset(out, 0xa5, ml);
        if (in_place) {
            memcpy(inp, msg, ml);
            st = e2e_open(&te->eng, ks, inp, ml, &ol, inp, ml);
        } else {
            st = e2e_open(&te->eng, ks, out, ml, &ol, msg, ml);
        }
        const uint8_t *res = in_place ? inp : out;
        CHECK(st == want, "[%s] %s%s: open %s, want %s", te->name, what,
              in_place ? " (in place)" : "", e2e_status_name(st), e2e_status_name(want));
        if (st == E2E_OK)
            CHECK(ol == len && memcmp(res, pt, len) == 0, "[%s] %s%s: plaintext differs",
                  te->name, what, in_place ? " (in place)" : "");
        else
            CHECK(ol == 0 && all_zero(res, ml), "[%s] %s%s: failed open left out_len %zu or "
                  "output bytes", te->name, what, in_place ? " (in place)" : "", ol);
    }
    free(out);
    free(inp);
}

static size_t wire_exact, wire_roundtrip_only;

/* wire_check: seal, compare with the oracle, open, flip bits. flips: how
 * many random body positions to flip besides the fixed ones. */
static T_UNUSED void wire_check(const struct t_engine *te, const struct wire_cfg *c,
                                size_t len, int flips)
{
    char what[128];
    snprintf(what, sizeof what, "%s nonce %zu tag %zu ki %zu len %zu", suite_str(c->suite),
             c->iv_len, c->tag_len, c->ki_len ? c->ki_len : c->kiv_len, len);
    e2e_keyset ks;
    e2e_status st = wire_keyset(&ks, &te->eng, c);
    CHECK(st == E2E_OK, "[%s] %s: keyset %s", te->name, what, e2e_status_name(st));
    if (st != E2E_OK)
        return;
    size_t cap = len + E2E_SEAL_OVERHEAD_MAX;
    uint8_t *pt = xmalloc(len), *want = xmalloc(cap), *got = xmalloc(cap);
    rng_fill(pt, len);
    size_t wl = wire_expected(want, c, pt, len, &te->eng);
    size_t gl = 999;
    memset(got, 0xa5, cap);
    st = e2e_seal(&te->eng, &ks, got, cap, &gl, pt, len);
    if (wl == (size_t)-1) {
        CHECK(st == E2E_ERR_MALFORMED, "[%s] %s: seal %s, want malformed", te->name, what,
              e2e_status_name(st));
        CHECK(gl == 0 && all_zero(got, e2e_seal_len(&ks, len)),
              "[%s] %s: malformed seal left out_len %zu or output bytes", te->name, what, gl);
        goto done;
    }
    CHECK(st == E2E_OK, "[%s] %s: seal %s", te->name, what, e2e_status_name(st));
    if (st != E2E_OK)
        goto done;
    CHECK(gl == e2e_seal_len(&ks, len), "[%s] %s: out_len %zu", te->name, what, gl);
    if (wl != 0) {
        wire_exact++;
        CHECK(gl == wl && memcmp(got, want, wl) == 0, "[%s] %s: sealed %s, oracle %s", te->name,
              what, hexstr(got, gl), hexstr(want, wl));
    } else {
        wire_roundtrip_only++;
    }
    /* Open the oracle's message when there is one, else ours. */
    const uint8_t *msg = wl ? want : got;
    size_t ml = gl;
    wire_open_expect(te, &ks, msg, ml, E2E_OK, pt, len, what);

    /* Bit flips. */
    size_t kl = c->ki_len ? c->ki_len : c->kiv_len;
    uint8_t *bad = xmalloc(ml);
    char fw[192];
    /* (a) the KI's top nibble: malformed */
    memcpy(bad, msg, ml);
    unsigned tb = 4 + (unsigned)rng_below(4);
    bad[0] ^= (uint8_t)(1u << tb);
    snprintf(fw, sizeof fw, "%s, KI top-nibble bit %u flipped", what, tb);
    wire_open_expect(te, &ks, bad, ml, E2E_ERR_MALFORMED, pt, len, fw);
    /* (b) any other KI bit: the message stays valid for this key set */
    memcpy(bad, msg, ml);
    size_t kb = rng_below(kl);
    unsigned kbit = kb == 0 ? (unsigned)rng_below(4) : (unsigned)rng_below(8);
    bad[kb] ^= (uint8_t)(1u << kbit);
    snprintf(fw, sizeof fw, "%s, KI byte %zu bit %u flipped", what, kb, kbit);
    wire_open_expect(te, &ks, bad, ml, E2E_OK, pt, len, fw);
    /* (c) the body: first byte, last byte, and random positions */
    size_t body = ml - kl;
    for (int f = 0; f < 2 + flips && body > 0; f++) {
        size_t pos = f == 0 ? kl : f == 1 ? ml - 1 : kl + rng_below(body);
        unsigned bit = (unsigned)rng_below(8);
        memcpy(bad, msg, ml);
        bad[pos] ^= (uint8_t)(1u << bit);
        snprintf(fw, sizeof fw, "%s, body byte %zu bit %u flipped", what, pos - kl, bit);
        wire_open_expect(te, &ks, bad, ml, E2E_ERR_AUTH, pt, len, fw);
    }
    free(bad);
done:
    e2e_keyset_clear(&ks);
    free(pt);
    free(want);
    free(got);
}

/* wire_cs1_short_seals: CS1 seals around the 16-byte minimum of P || T, for
 * every tag length that allows one: under 16 malformed, 16 and 17 exact. */
static T_UNUSED void wire_cs1_short_seals(const struct t_engine *te)
{
    for (size_t t = 4; t <= 16; t++) {
        for (size_t len = 0; len + t <= 17; len++) {
            struct wire_cfg c;
            wire_random(&c, E2E_SUITE_AES_128_CS1_HMAC_SHA256, 0, t);
            wire_check(te, &c, len, 1);
        }
    }
}

/* wire_short_bodies: every body shorter than the suite's minimum is
 * malformed (and one exactly at the minimum is not). */
static T_UNUSED void wire_short_bodies(const struct t_engine *te, const struct wire_cfg *c)
{
    e2e_keyset ks;
    if (wire_keyset(&ks, &te->eng, c) != E2E_OK) {
        CHECK(0, "[%s] short bodies: keyset", te->name);
        return;
    }
    size_t kl = c->ki_len ? c->ki_len : c->kiv_len;
    const uint8_t *ki = c->ki_len ? c->ki : c->kiv;
    size_t min = c->suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256
                     ? (c->tag_len > 16 ? c->tag_len : 16)
                     : c->tag_len;
    uint8_t msg[16 + 64];
    char what[128];
    for (size_t b = 0; b <= min; b++) {
        memcpy(msg, ki, kl);
        rng_fill(msg + kl, b);
        snprintf(what, sizeof what, "%s tag %zu: %zu-byte body", suite_str(c->suite), c->tag_len,
                 b);
        /* At the minimum, random bytes are well-formed but fail the tag. */
        wire_open_expect(te, &ks, msg, kl + b, b < min ? E2E_ERR_MALFORMED : E2E_ERR_AUTH, NULL,
                         0, what);
    }
    /* A message shorter than its KI: malformed. */
    for (size_t m = 1; m < kl; m++) {
        snprintf(what, sizeof what, "%s: %zu bytes of a %zu-byte KI", suite_str(c->suite), m, kl);
        wire_open_expect(te, &ks, ki, m, E2E_ERR_MALFORMED, NULL, 0, what);
    }
    e2e_keyset_clear(&ks);
}

#endif /* E2E_TESTS_DIFFCORE_H */
