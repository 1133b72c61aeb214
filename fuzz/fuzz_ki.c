/* fuzz_ki.c — KI decoding (engine/ki.c), key set parameters (keyset.c) and
 * open/seal with arbitrary key parameters.
 *
 * Input: suite flags enc_len auth_len kiv_len iv_len ki_len tag_len
 *        enc[] auth[] kiv[] iv[] ki[] msg...
 *   suite 0..6 (1..4 valid); flags bit 0..4 pass NULL for enc/auth/kiv/iv/ki
 *   (bit 4 with ki_len 0 = "no KI given"); bit 5: ki given as the KIV's own
 *   bytes. Lengths are bytes mod 21 (enc, iv), mod 101 (auth), mod 71 (kiv),
 *   mod 19 (ki), mod 40 (tag), so both sides of every limit are reached.
 *
 * Properties:
 *   - e2e_ki_decode equals the seed's rule (top nibble 0x1 -> 16, 0x2 -> 12,
 *     else malformed; shorter than announced -> malformed) on msg;
 *   - e2e_keyset_init accepts exactly the parameter sets e2e_ecrypt.h allows
 *     (a model of the rules written out here), and says E2E_ERR_PARAM for
 *     null pointers with lengths, E2E_ERR_UNSUPPORTED for the rest; on
 *     failure the key set is all zero; key sets built by every
 *     implementation are byte-identical; suite, tag length, KI and
 *     e2e_seal_len report what was asked;
 *   - e2e_open(msg) never crashes or reads out of bounds, agrees across
 *     implementations, wipes out and gives length 0 on failure, and on
 *     E2E_OK passes fz_check_reseal (the message is KI || seal body);
 *   - e2e_seal(msg as plaintext) opens back to msg, or fails for the
 *     documented reasons (CS1 P || T under 16 bytes, no KI);
 *   - e2e_keyset_init_many over 1..12 variants of the parameters (own AES
 *     keys, some entries refused) = e2e_keyset_init entry by entry, status
 *     and bytes, on every tier (the lane families expand the keys);
 *   - e2e_suite_parse of msg as text = the four REST names, exactly;
 *   - raw HMAC-SHA256 with auth[] as key (0..100 bytes), kiv[] as prefix and
 *     msg = RFC 2104 over the engine's SHA-256, on every implementation. */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_single_engines();
    fz_engines();
    return 0;
}

/* model_keyset returns what e2e_keyset_init must say for p, and the tag
 * length it must keep. *either: both PARAM and UNSUPPORTED reasons exist
 * (the engine may report either). */
static e2e_status model_keyset(const e2e_keyset_params *p, size_t *tag, int *either)
{
    int param = (p->enc_key_len && !p->enc_key) || (p->auth_key_len && !p->auth_key) ||
                (p->kiv_len && !p->kiv) || (p->iv_len && !p->iv) || (p->ki_len && !p->ki);
    int uns = 0;
    int s = (int)p->suite;
    int known = s >= 1 && s <= 4;
    int ccm = s == 1 || s == 2, aes = ccm || s == 3, hmac = s == 3 || s == 4;
    size_t t = p->tag_len ? p->tag_len : (s == 2 ? 8 : 16);
    if (!known)
        uns = 1;
    if (aes && p->enc_key_len != 16)
        uns = 1;
    if (ccm && (p->iv_len < 7 || p->iv_len > 13))
        uns = 1;
    if (s == 3 && p->iv_len != 16)
        uns = 1;
    if (hmac && (p->auth_key_len < 1 || p->auth_key_len > 64 || p->kiv_len < 1 ||
                 p->kiv_len > 64))
        uns = 1;
    if (ccm && p->kiv_len > 64)
        uns = 1;
    if (p->ki) {
        int nib = p->ki_len ? p->ki[0] >> 4 : 0;
        size_t want = nib == 1 ? 16 : nib == 2 ? 12 : 0;
        if (want == 0 || p->ki_len != want)
            uns = 1;
    }
    if (ccm && (t < 4 || t > 16 || (t & 1)))
        uns = 1;
    if (hmac && (t < 4 || t > 32))
        uns = 1;
    *tag = t;
    *either = param && uns;
    /* An unknown suite is reported before any pointer is looked at. */
    if (!known)
        return E2E_ERR_UNSUPPORTED;
    return param ? E2E_ERR_PARAM : uns ? E2E_ERR_UNSUPPORTED : E2E_OK;
}

/* model_ki is the seed's KI rule. */
static e2e_status model_ki(const uint8_t *msg, size_t len, size_t *ki_len)
{
    *ki_len = 0;
    if (len == 0)
        return E2E_ERR_MALFORMED;
    size_t want = (msg[0] >> 4) == 1 ? 16 : (msg[0] >> 4) == 2 ? 12 : 0;
    if (want == 0 || len < want)
        return E2E_ERR_MALFORMED;
    *ki_len = want;
    return E2E_OK;
}

/* raw_hmac: HMAC-SHA256 (engine/hmac.c) with a key of any length — a key
 * over 64 bytes (hashed first, RFC 2104 sec. 2) is reachable only here, key
 * sets take 1..64 — against RFC 2104 written out over the engine's
 * streaming SHA-256, for every implementation. */
static void raw_hmac(const struct fz_engines *E, const uint8_t *key, size_t key_len,
                     const uint8_t *prefix, size_t prefix_len, const uint8_t *msg,
                     size_t msg_len)
{
    uint8_t k0[64] = {0}, pad[64], inner[32], want[32], got[32];
    if (key_len > 64)
        e2e_sha256(&E->eng[0], k0, key, key_len);
    else
        memcpy(k0, key, key_len);
    e2e_sha256_ctx c;
    for (int i = 0; i < 64; i++)
        pad[i] = k0[i] ^ 0x36;
    e2e_sha256_init(&c, &E->eng[0]);
    e2e_sha256_update(&c, pad, 64);
    e2e_sha256_update(&c, prefix, prefix_len);
    e2e_sha256_update(&c, msg, msg_len);
    e2e_sha256_final(&c, inner);
    for (int i = 0; i < 64; i++)
        pad[i] = k0[i] ^ 0x5c;
    e2e_sha256_init(&c, &E->eng[0]);
    e2e_sha256_update(&c, pad, 64);
    e2e_sha256_update(&c, inner, 32);
    e2e_sha256_final(&c, want);
    for (size_t e = 0; e < E->n; e++) {
        e2e_hmac_key hk;
        e2e_hmac_sha256_key(&E->eng[e], &hk, key, key_len);
        e2e_hmac_sha256(&E->eng[e], &hk, got, prefix, prefix_len, msg, msg_len);
        FZ_ASSERT(memcmp(got, want, 32) == 0, "%s: HMAC key %zu prefix %zu msg %zu", E->name[e],
                  key_len, prefix_len, msg_len);
        uint8_t one[32];
        e2e_sha256(&E->eng[e], one, msg, msg_len);
        e2e_sha256(&E->eng[0], got, msg, msg_len);
        FZ_ASSERT(memcmp(one, got, 32) == 0, "%s: SHA-256 of %zu bytes", E->name[e], msg_len);
    }
}

/* names: e2e_suite_parse on arbitrary text against the four REST names,
 * and every name function on every value (plus out-of-range ones). */
static void names(const uint8_t *txt, size_t len)
{
    static const char *const rest[4] = {"AES_128_CCM", "AES_128_CCM_8",
                                        "AES_128_CS1_HMAC_SHA256", "HMAC_SHA256"};
    e2e_suite want = 0, got = 0;
    for (int i = 0; i < 4; i++)
        if (strlen(rest[i]) == len && memcmp(rest[i], txt, len) == 0)
            want = (e2e_suite)(i + 1);
    FZ_ASSERT(e2e_suite_parse(NULL, (const char *)txt, len) == E2E_ERR_PARAM &&
                  e2e_suite_parse(&got, NULL, 1 + len) == E2E_ERR_PARAM,
              "suite_parse(NULL)");
    e2e_status st = e2e_suite_parse(&got, (const char *)txt, len);
    FZ_ASSERT(want ? st == E2E_OK && got == want : st == E2E_ERR_UNSUPPORTED,
              "suite_parse(\"%.*s\") = %s / %d", (int)len, (const char *)txt,
              e2e_status_name(st), (int)got);
    for (int v = -1; v <= 8; v++) {
        const char *sn = e2e_status_name((e2e_status)v);
        FZ_ASSERT(sn != NULL && *sn, "status name %d", v);
        const char *su = e2e_suite_name((e2e_suite)v);
        FZ_ASSERT((v >= 1 && v <= 4) == (su != NULL), "suite name %d", v);
        FZ_ASSERT((e2e_suite_mode_name((e2e_suite)v) != NULL) == (su != NULL), "mode name %d", v);
        if (su)
            FZ_ASSERT(strcmp(su, rest[v - 1]) == 0, "suite name %d: %s", v, su);
        FZ_ASSERT((e2e_rotation_name((e2e_rotation)v) != NULL) == (v == 1 || v == 2),
                  "rotation name %d", v);
    }
}

/* caller_bugs: the E2E_ERR_PARAM paths (null pointers, uninitialised
 * contexts, unknown implementation names). */
static void caller_bugs(const e2e_engine *eng, const e2e_keyset *ks, const e2e_keyset_params *p)
{
    e2e_engine zero_eng;
    e2e_keyset zero_ks;
    memset(&zero_eng, 0, sizeof zero_eng);
    memset(&zero_ks, 0, sizeof zero_ks);
    uint8_t out[64];
    size_t ol = 9;
    FZ_ASSERT(e2e_engine_init(NULL, E2E_CPU_ALL) == E2E_ERR_PARAM, "engine_init(NULL)");
    FZ_ASSERT(e2e_engine_init_named(NULL, "portable") == E2E_ERR_PARAM, "init_named(NULL)");
    FZ_ASSERT(e2e_engine_init_named(&zero_eng, NULL) == E2E_ERR_PARAM, "init_named(name NULL)");
    FZ_ASSERT(e2e_engine_init_named(&zero_eng, "no-such-impl") == E2E_ERR_PARAM,
              "init_named(unknown)");
    memset(&zero_eng, 0, sizeof zero_eng);
    FZ_ASSERT(strcmp(e2e_engine_name(&zero_eng), "uninitialised") == 0, "engine_name");
    FZ_ASSERT(e2e_keyset_init(NULL, eng, p) == E2E_ERR_PARAM, "keyset_init(NULL ks)");
    FZ_ASSERT(e2e_keyset_init(&zero_ks, eng, NULL) == E2E_ERR_PARAM, "keyset_init(NULL p)");
    FZ_ASSERT(e2e_keyset_init(&zero_ks, &zero_eng, p) == E2E_ERR_PARAM,
              "keyset_init(uninitialised engine)");
    FZ_ASSERT(e2e_open(eng, NULL, out, sizeof out, &ol, out, 20) == E2E_ERR_PARAM && ol == 0,
              "open(NULL ks)");
    FZ_ASSERT(e2e_open(eng, &zero_ks, out, sizeof out, &ol, out, 20) == E2E_ERR_PARAM,
              "open(uninitialised ks)");
    FZ_ASSERT(e2e_open(&zero_eng, ks, out, sizeof out, &ol, out, 20) == E2E_ERR_PARAM,
              "open(uninitialised engine)");
    FZ_ASSERT(e2e_open(eng, ks, out, sizeof out, &ol, NULL, 20) == E2E_ERR_PARAM,
              "open(msg NULL)");
    FZ_ASSERT(e2e_seal(eng, ks, out, sizeof out, NULL, out, 5) == E2E_ERR_PARAM,
              "seal(out_len NULL)");
    FZ_ASSERT(e2e_seal(eng, ks, out, sizeof out, &ol, NULL, 5) == E2E_ERR_PARAM,
              "seal(pt NULL)");
    FZ_ASSERT(e2e_seal(eng, NULL, out, sizeof out, &ol, out, 5) == E2E_ERR_PARAM,
              "seal(NULL ks)");
    FZ_ASSERT(e2e_seal(&zero_eng, ks, out, sizeof out, &ol, out, 5) == E2E_ERR_PARAM,
              "seal(uninitialised engine)");
    FZ_ASSERT(e2e_keyset_ki(NULL, &ol) == NULL && ol == 0, "keyset_ki(NULL)");
    FZ_ASSERT(e2e_seal_len(NULL, 5) == 0, "seal_len(NULL)");
    int lossy;
    FZ_ASSERT(e2e_sigfox_xor(NULL, out, 12, out, 3) == E2E_ERR_PARAM, "xor(out NULL)");
    FZ_ASSERT(e2e_sigfox_xor(out, NULL, 12, out, 3) == E2E_ERR_PARAM, "xor(key NULL)");
    FZ_ASSERT(e2e_sigfox_xor_legacy(out, &lossy, NULL, 12, out, 3) == E2E_ERR_PARAM,
              "xor_legacy(key NULL)");
    FZ_ASSERT(e2e_sigfox_xor_legacy(out, &lossy, out, 12, NULL, 3) == E2E_ERR_PARAM,
              "xor_legacy(in NULL)");
    e2e_keyset_clear(NULL);
}

/* ccm_too_long: a CCM key set with a 13-byte nonce has a 2-byte length
 * field, so 65536 bytes of plaintext cannot be sealed, nor such a body
 * opened: E2E_ERR_MALFORMED, output wiped. */
static void ccm_too_long(const e2e_engine *eng, const e2e_keyset *ks)
{
    static uint8_t pt[65536], out[65536 + E2E_SEAL_OVERHEAD_MAX];
    size_t ol = 7, cap = e2e_seal_len(ks, sizeof pt);
    memset(out, 0xcc, cap);
    e2e_status st = e2e_seal(eng, ks, out, cap, &ol, pt, sizeof pt);
    FZ_ASSERT(st == E2E_ERR_MALFORMED && ol == 0 && fz_all_zero(out, cap),
              "CCM (13-byte nonce) seal of 65536 bytes: %s", e2e_status_name(st));
    size_t kl = 0;
    const uint8_t *ki = e2e_keyset_ki(ks, &kl);
    memset(out, 0, cap);
    memcpy(out, ki, kl);
    st = e2e_open(eng, ks, out, cap, &ol, out, cap);
    FZ_ASSERT(st == E2E_ERR_MALFORMED && ol == 0 && fz_all_zero(out, cap),
              "CCM (13-byte nonce) open of a 65536-byte body: %s", e2e_status_name(st));
}

/* many: e2e_keyset_init_many over n variants of p (each with its own AES
 * key; entries whose bit in mix is set get an unknown suite, so refused
 * entries sit between good ones) = e2e_keyset_init entry by entry, status
 * and every byte, on every tier (the lane families' expand_n differ). */
static void many(const e2e_keyset_params *p, size_t n, uint32_t mix)
{
    const struct fz_engines *A = fz_engines();
    enum { MAXN = 12 };
    uint8_t keys[MAXN][16];
    e2e_keyset_params ps[MAXN];
    e2e_status st[MAXN];
    e2e_keyset *got = fz_xmalloc(sizeof(e2e_keyset) * MAXN), one;
    for (size_t i = 0; i < n; i++) {
        ps[i] = *p;
        if (p->enc_key != NULL) {
            for (size_t b = 0; b < 16; b++)
                keys[i][b] = (uint8_t)((b < p->enc_key_len ? p->enc_key[b] : 0) ^ (i * 0x3d));
            ps[i].enc_key = keys[i];
        }
        if (mix >> i & 1)
            ps[i].suite = (e2e_suite)9;
    }
    for (size_t e = 0; e < A->n; e++) {
        memset(got, 0xee, sizeof(e2e_keyset) * MAXN);
        for (size_t i = 0; i < n; i++)
            st[i] = (e2e_status)77;
        e2e_status r = e2e_keyset_init_many(got, &A->eng[e], ps, st, n);
        FZ_ASSERT(r == E2E_OK, "%s: keyset_init_many = %s", A->name[e], e2e_status_name(r));
        for (size_t i = 0; i < n; i++) {
            memset(&one, 0xee, sizeof one);  /* as got: init writes only the used part */
            e2e_status s1 = e2e_keyset_init(&one, &A->eng[e], &ps[i]);
            FZ_ASSERT(st[i] == s1, "%s: init_many entry %zu of %zu: %s, init %s", A->name[e], i,
                      n, e2e_status_name(st[i]), e2e_status_name(s1));
            FZ_ASSERT(memcmp(&got[i], &one, sizeof one) == 0,
                      "%s: init_many entry %zu of %zu (%s): key set bytes differ", A->name[e], i,
                      n, e2e_status_name(s1));
            e2e_keyset_clear(&got[i]);
        }
    }
    e2e_keyset_clear(&one);
    FZ_ASSERT(e2e_keyset_init_many(got, NULL, ps, st, n) == E2E_ERR_PARAM,
              "keyset_init_many(NULL engine)");
    FZ_ASSERT(e2e_keyset_init_many(NULL, &A->eng[0], NULL, NULL, 0) == E2E_OK,
              "keyset_init_many(n = 0)");
    free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fz_engines *E = fz_single_engines();
    struct fz_in in;
    fz_in_init(&in, data, size);
    uint8_t suite = fz_u8(&in) % 7, flags = fz_u8(&in);
    size_t enc_len = fz_u8(&in) % 21, auth_len = fz_u8(&in) % 101,
           kiv_len = fz_u8(&in) % 71, iv_len = fz_u8(&in) % 21, ki_len = fz_u8(&in) % 19,
           tag_len = fz_u8(&in) % 40;
    uint8_t enc[20], auth[100], kiv[70], iv[20], ki[18];
    fz_bytes(&in, enc, enc_len);
    fz_bytes(&in, auth, auth_len);
    fz_bytes(&in, kiv, kiv_len);
    fz_bytes(&in, iv, iv_len);
    fz_bytes(&in, ki, ki_len);
    size_t msg_len = in.n;
    uint8_t *msg = fz_xmalloc(msg_len);
    fz_bytes(&in, msg, msg_len);

    /* KI decoding */
    size_t want_ki, got_ki = 99;
    e2e_rotation rot = 0;
    e2e_status ki_st = model_ki(msg, msg_len, &want_ki);
    e2e_status st = e2e_ki_decode(&got_ki, &rot, msg, msg_len);
    FZ_ASSERT(st == ki_st, "ki_decode(%s) = %s, model %s", fz_hex(msg, msg_len),
              e2e_status_name(st), e2e_status_name(ki_st));
    FZ_ASSERT(got_ki == want_ki, "ki_decode length %zu, model %zu", got_ki, want_ki);
    if (st == E2E_OK)
        FZ_ASSERT(rot == (want_ki == 16 ? E2E_ROTATION_CONTINUOUS : E2E_ROTATION_AUTOMATIC),
                  "rotation %d for KI length %zu", (int)rot, want_ki);
    FZ_ASSERT(e2e_ki_decode(NULL, &rot, msg, msg_len) == E2E_ERR_PARAM, "ki_decode(NULL)");

    raw_hmac(E, auth, auth_len, kiv, kiv_len, msg, msg_len);
    names(msg, msg_len);

    /* Key set parameters */
    e2e_keyset_params p = {
        .suite = (e2e_suite)suite,
        .enc_key = (flags & 1) ? NULL : enc, .enc_key_len = enc_len,
        .auth_key = (flags & 2) ? NULL : auth, .auth_key_len = auth_len,
        .kiv = (flags & 4) ? NULL : kiv, .kiv_len = kiv_len,
        .iv = (flags & 8) ? NULL : iv, .iv_len = iv_len,
        .ki = (flags & 16) ? NULL : (flags & 32) ? kiv : ki,
        .ki_len = (flags & 32) ? kiv_len : ki_len,
        .tag_len = tag_len,
    };
    if ((flags & 16) && (flags & 32) == 0 && ki_len == 0)
        p.ki = NULL;
    size_t want_tag;
    int either;
    e2e_status want = model_keyset(&p, &want_tag, &either);
    many(&p, 1 + tag_len % 12, (uint32_t)enc_len * 0x9e37u ^ flags);

    e2e_keyset *ks = fz_xmalloc(sizeof *ks * E->n);
    for (size_t e = 0; e < E->n; e++) {
        memset(&ks[e], 0xee, sizeof ks[e]);
        st = e2e_keyset_init(&ks[e], &E->eng[e], &p);
        if (either)
            FZ_ASSERT(st == E2E_ERR_PARAM || st == E2E_ERR_UNSUPPORTED,
                      "%s: keyset_init = %s, want param or unsupported", E->name[e],
                      e2e_status_name(st));
        else
            FZ_ASSERT(st == want,
                      "%s: keyset_init(suite %d enc %zu auth %zu kiv %zu iv %zu ki %zu%s tag "
                      "%zu, flags %02x) = %s, model %s",
                      E->name[e], suite, enc_len, auth_len, kiv_len, iv_len, p.ki_len,
                      p.ki ? "" : "(none)", tag_len, flags, e2e_status_name(st),
                      e2e_status_name(want));
        if (st != E2E_OK) {
            FZ_ASSERT(fz_all_zero(ks[e].opaque, sizeof ks[e].opaque),
                      "%s: failed keyset_init left bytes in the key set", E->name[e]);
            FZ_ASSERT(e2e_keyset_suite(&ks[e]) == 0 && e2e_keyset_tag_len(&ks[e]) == 0 &&
                          e2e_seal_len(&ks[e], 5) == 0,
                      "wiped key set still answers");
            continue;
        }
        FZ_ASSERT(memcmp(&ks[e], &ks[0], sizeof ks[e]) == 0,
                  "%s: key set differs from the one %s built", E->name[e], E->name[0]);
    }
    if (want != E2E_OK || either)
        goto out;
    if (flags & 64)
        caller_bugs(&E->eng[0], &ks[0], &p);
    if ((flags & 128) && (suite == 1 || suite == 2) && iv_len == 13 && e2e_keyset_ki(&ks[0], NULL))
        for (size_t e = 0; e < E->n; e++)
            ccm_too_long(&E->eng[e], &ks[e]);

    /* What the key set reports */
    FZ_ASSERT(e2e_keyset_suite(&ks[0]) == (e2e_suite)suite, "suite");
    FZ_ASSERT(e2e_keyset_tag_len(&ks[0]) == want_tag, "tag length %zu, want %zu",
              e2e_keyset_tag_len(&ks[0]), want_tag);
    size_t kl = 99;
    const uint8_t *kp = e2e_keyset_ki(&ks[0], &kl);
    const uint8_t *want_ki_bytes = NULL;
    size_t want_kl = 0;
    if (p.ki) {
        want_ki_bytes = p.ki;
        want_kl = p.ki_len;
    } else if (p.kiv && (p.kiv_len == 12 || p.kiv_len == 16) &&
               ((p.kiv[0] >> 4) == 1 ? 16u : (p.kiv[0] >> 4) == 2 ? 12u : 0u) == p.kiv_len) {
        want_ki_bytes = p.kiv;
        want_kl = p.kiv_len;
    }
    FZ_ASSERT(kl == want_kl && (kl == 0 ? kp == NULL : memcmp(kp, want_ki_bytes, kl) == 0),
              "keyset KI %s (%zu), want %s (%zu)", kp ? fz_hex(kp, kl) : "NULL", kl,
              want_ki_bytes ? fz_hex(want_ki_bytes, want_kl) : "NULL", want_kl);
    FZ_ASSERT(e2e_seal_len(&ks[0], msg_len) == want_kl + msg_len + want_tag, "seal_len");

    /* Open msg with the key set, every implementation. */
    uint8_t *out = fz_xmalloc(msg_len), *first = fz_xmalloc(msg_len);
    e2e_status st0 = E2E_OK;
    size_t len0 = 0;
    for (size_t e = 0; e < E->n; e++) {
        size_t ol = 77;
        memset(out, 0xcc, msg_len);
        st = e2e_open(&E->eng[e], &ks[e], out, msg_len, &ol, msg, msg_len);
        FZ_ASSERT(st == E2E_OK || st == E2E_ERR_MALFORMED || st == E2E_ERR_AUTH,
                  "%s: open = %s", E->name[e], e2e_status_name(st));
        if (ki_st != E2E_OK)
            FZ_ASSERT(st == E2E_ERR_MALFORMED, "open with a bad KI: %s", e2e_status_name(st));
        if (st != E2E_OK) {
            FZ_ASSERT(ol == 0 && fz_all_zero(out, msg_len), "%s: failed open (%s) left output",
                      E->name[e], e2e_status_name(st));
        } else {
            fz_check_reseal(&E->eng[e], &ks[e], msg, msg_len, out, ol);
        }
        if (e == 0) {
            st0 = st;
            len0 = ol;
            memcpy(first, out, msg_len);
        } else {
            FZ_ASSERT(st == st0 && ol == len0 && memcmp(out, first, msg_len) == 0,
                      "%s: open differs from %s (%s vs %s)", E->name[e], E->name[0],
                      e2e_status_name(st), e2e_status_name(st0));
        }
    }

    /* Seal msg as a plaintext; open it back. */
    {
        e2e_keyset s;
        memset(&s, 0, sizeof s);
        const size_t t = want_tag;
        for (size_t e = 0; e < E->n; e++) {
            size_t cap = want_kl + msg_len + t, got = 99, ol = 99;
            uint8_t *sealed = fz_xmalloc(cap), *back = fz_xmalloc(cap);
            st = e2e_seal(&E->eng[e], &ks[e], sealed, cap, &got, msg, msg_len);
            if (want_kl == 0) {
                FZ_ASSERT(st == E2E_ERR_UNSUPPORTED && got == 0 && fz_all_zero(sealed, cap),
                          "seal without a KI: %s", e2e_status_name(st));
                fz_with_ki(&s, &ks[e]);   /* open does not need one; seal with a stand-in */
                free(sealed);
                free(back);
                cap = 12 + msg_len + t;
                sealed = fz_xmalloc(cap);
                back = fz_xmalloc(cap);
                st = e2e_seal(&E->eng[e], &s, sealed, cap, &got, msg, msg_len);
            }
            if (suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256 && msg_len + t < 16) {
                FZ_ASSERT(st == E2E_ERR_MALFORMED && got == 0 && fz_all_zero(sealed, cap),
                          "CS1 seal of %zu + %zu bytes: %s", msg_len, t, e2e_status_name(st));
            } else {
                FZ_ASSERT(st == E2E_OK && got == cap, "%s: seal: %s", E->name[e],
                          e2e_status_name(st));
                st = e2e_open(&E->eng[e], &ks[e], back, cap, &ol, sealed, got);
                FZ_ASSERT(st == E2E_OK && ol == msg_len && memcmp(back, msg, msg_len) == 0,
                          "%s: open(seal(m)) = %s", E->name[e], e2e_status_name(st));
            }
            free(sealed);
            free(back);
        }
        e2e_keyset_clear(&s);
    }
    free(out);
    free(first);
out:
    for (size_t e = 0; e < E->n; e++)
        e2e_keyset_clear(&ks[e]);
    free(ks);
    free(msg);
    return 0;
}
