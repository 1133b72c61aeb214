/* test_dispatch_hits.c — proves which kernels actually ran (BoringSSL's
 * impl_dispatch_test), for every tier this CPU can run.
 *
 * Linked with e2e_engine_hits, a copy of the engine built from the same
 * sources and definitions plus E2E_DISPATCH_TEST=1, where every kernel entry
 * sets e2e_dispatch_hit[E2E_HIT_...] (simd/impl.h). This file owns the array.
 *
 * For each tier (tests/tiers.h gives its tables): clear the flags, run one
 * workload, and require that the set flags are EXACTLY those the workload
 * must reach on that tier's tables — so a kernel of another family (an
 * AES-NI flag on the portable tier, a narrow family when the wide one should
 * run, a lane kernel on a single message) fails the test as surely as a
 * missing one. The workloads:
 *  - single messages: key sets built, then e2e_seal and e2e_open of every
 *    suite (a CS1 message with a partial last block reaches ECB decryption):
 *    every kernel of the single-message AES and SHA-256 tables;
 *  - e2e_batch_run of n jobs of one kind (CS1 seal, CS1 open, CCM seal/open,
 *    HMAC seal/open) and two mixes, n = 1, 2, 8, 16, 40: which lane family
 *    each pass runs follows engine/batch.c's rule — one job: one lane on the
 *    single-message table; at least the wide family's lane count: the wide
 *    family; 2 .. half the wide lanes: the narrow family, or the wide one
 *    when the tier has no narrow one; a tier without lanes runs one lane.
 *    The per-message work of the batch (CCM's CTR and S0, CS1 decryption)
 *    runs on the single-message table and is expected too.
 * Every batch job must also succeed, and a sealed one open again. */
#include "tiers.h"

unsigned char e2e_dispatch_hit[E2E_HIT_COUNT];

static const char *const hit_names[E2E_HIT_COUNT] = {
    [E2E_HIT_AESNI_EXPAND] = "aesni-expand",
    [E2E_HIT_AESNI_ECB] = "aesni-ecb",
    [E2E_HIT_AESNI_CBCENC] = "aesni-cbcenc",
    [E2E_HIT_AESNI_CBCDEC] = "aesni-cbcdec",
    [E2E_HIT_AESNI_CTR] = "aesni-ctr",
    [E2E_HIT_AESNI_CBCMAC] = "aesni-cbcmac",
    [E2E_HIT_SHANI_BLOCKS] = "shani-sha256",
    [E2E_HIT_VAES512_CBCENC_X16] = "vaes512-cbcenc-x16",
    [E2E_HIT_VAES512_CBCMAC_X16] = "vaes512-cbcmac-x16",
    [E2E_HIT_VAES512_EXPAND_N] = "vaes512-expand-n",
    [E2E_HIT_AESNI_CBCENC_X8] = "aesni-cbcenc-x8",
    [E2E_HIT_AESNI_CBCMAC_X8] = "aesni-cbcmac-x8",
    [E2E_HIT_AESNI_EXPAND_N] = "aesni-expand-n",
    [E2E_HIT_AVX512_SHA256_X16] = "avx512-sha256-x16",
    [E2E_HIT_AVX2_SHA256_X8] = "avx2-sha256-x8",
    [E2E_HIT_SHANI_SHA256_X2] = "shani-sha256-x2",
    [E2E_HIT_ARMCE_AES] = "armce-aes",
    [E2E_HIT_ARMCE_SHA256] = "armce-sha256",
    [E2E_HIT_ARMCE_CBCENC_LANES] = "armce-aes-lanes",
    [E2E_HIT_ARMCE_SHA256_LANES] = "armce-sha256-lanes",
    [E2E_HIT_PORTABLE_AES] = "portable-aes",
    [E2E_HIT_PORTABLE_SHA256] = "portable-sha256",
    [E2E_HIT_VAES512_CTR_X16] = "vaes512-ctr-x16",
    [E2E_HIT_AESNI_CTR_X8] = "aesni-ctr-x8",
    [E2E_HIT_SHANI_SHA256_X16] = "shani-sha256-x16",
    [E2E_HIT_SHANI_HMAC_MSGS] = "shani-hmac-msgs",
    [E2E_HIT_VAES512_CCM_X16] = "vaes512-ccm-x16",
    [E2E_HIT_SHANI_AESNI_CBC_HMAC] = "shani-aesni-cbc-hmac",
    [E2E_HIT_AESNI_CCM] = "aesni-ccm",
    [E2E_HIT_VAES512_ECB] = "vaes512-ecb",
    [E2E_HIT_VAES512_CBCDEC] = "vaes512-cbcdec",
    [E2E_HIT_VAES512_CTR] = "vaes512-ctr",
    [E2E_HIT_ARMCE_HMAC_MSGS] = "armce-hmac-msgs",
    [E2E_HIT_ARMCE_CBC_HMAC] = "armce-cbc-hmac",
    [E2E_HIT_ARMCE_CCM] = "armce-ccm",
    [E2E_HIT_ARMCE_CCM_LANES] = "armce-ccm-lanes",
};

/* ---------------------------------------------------------------- table -> flags */

struct aes_hits {
    int expand, ecb, cbcenc, cbcdec, ctr, cbcmac;
    int ccm; /* the stitched single-message CCM, or -1 */
};

static int aes_hits_of(const struct e2e_aes_impl *a, struct aes_hits *h)
{
    if (a == &e2e_aes_impl_portable) {
        h->expand = h->ecb = h->cbcenc = h->cbcdec = h->ctr = h->cbcmac = E2E_HIT_PORTABLE_AES;
        h->ccm = -1;
        return 1;
    }
#if defined(E2E_TEST_X86_SIMD)
    if (a == &e2e_aes_impl_aesni) {
        h->expand = E2E_HIT_AESNI_EXPAND;
        h->ecb = E2E_HIT_AESNI_ECB;
        h->cbcenc = E2E_HIT_AESNI_CBCENC;
        h->cbcdec = E2E_HIT_AESNI_CBCDEC;
        h->ctr = E2E_HIT_AESNI_CTR;
        h->cbcmac = E2E_HIT_AESNI_CBCMAC;
        h->ccm = E2E_HIT_AESNI_CCM;
        return 1;
    }
    if (a == &e2e_aes_impl_vaes512) {
        /* zmm kernels for the parallel modes; the serial ones are AES-NI's */
        h->expand = E2E_HIT_AESNI_EXPAND;
        h->ecb = E2E_HIT_VAES512_ECB;
        h->cbcenc = E2E_HIT_AESNI_CBCENC;
        h->cbcdec = E2E_HIT_VAES512_CBCDEC;
        h->ctr = E2E_HIT_VAES512_CTR;
        h->cbcmac = E2E_HIT_AESNI_CBCMAC;
        h->ccm = E2E_HIT_AESNI_CCM;
        return 1;
    }
#endif
#if defined(E2E_TEST_ARM_CE)
    if (a == &e2e_aes_impl_armce) {
        h->expand = h->ecb = h->cbcenc = h->cbcdec = h->ctr = h->cbcmac = E2E_HIT_ARMCE_AES;
        h->ccm = E2E_HIT_ARMCE_CCM;
        return 1;
    }
#endif
    CHECK(0, "no hit flags known for the AES table %s", a ? a->name : "(null)");
    return 0;
}

static int sha_hit_of(const struct e2e_sha_impl *s)
{
    if (s == &e2e_sha_impl_portable)
        return E2E_HIT_PORTABLE_SHA256;
#if defined(E2E_TEST_X86_SIMD)
    if (s == &e2e_sha_impl_shani || s == &e2e_sha_impl_shani_aes)
        return E2E_HIT_SHANI_BLOCKS;
#endif
#if defined(E2E_TEST_ARM_CE)
    if (s == &e2e_sha_impl_armce || s == &e2e_sha_impl_armce_aes)
        return E2E_HIT_ARMCE_SHA256;
#endif
    CHECK(0, "no hit flag known for the SHA table %s", s ? s->name : "(null)");
    return -1;
}

/* cbc_hmac_hit: the flag of a SHA table's stitched CBC + HMAC, or -1 when it
 * has none. */
static int cbc_hmac_hit(const struct e2e_sha_impl *s)
{
    if (s->cbc_hmac == NULL)
        return -1;
#if defined(E2E_TEST_X86_SIMD)
    if (s->cbc_hmac == e2e_sha_impl_shani_aes.cbc_hmac)
        return E2E_HIT_SHANI_AESNI_CBC_HMAC;
#endif
#if defined(E2E_TEST_ARM_CE)
    if (s->cbc_hmac == e2e_sha_impl_armce_aes.cbc_hmac)
        return E2E_HIT_ARMCE_CBC_HMAC;
#endif
    CHECK(0, "no cbc_hmac hit flag known for the SHA table %s", s->name);
    return -1;
}

/* aes_lane_hit: the flag of a lane family's cbcenc (enc) or cbcmac. */
static int aes_lane_hit(const struct e2e_aes_lane_impl *l, int enc)
{
#if defined(E2E_TEST_X86_SIMD)
    if (l == &e2e_aes_lane_impl_vaes512)
        return enc ? E2E_HIT_VAES512_CBCENC_X16 : E2E_HIT_VAES512_CBCMAC_X16;
    if (l == &e2e_aes_lane_impl_aesni)
        return enc ? E2E_HIT_AESNI_CBCENC_X8 : E2E_HIT_AESNI_CBCMAC_X8;
#endif
#if defined(E2E_TEST_ARM_CE)
    if (l == &e2e_aes_lane_impl_armce)
        return E2E_HIT_ARMCE_CBCENC_LANES;
#endif
    (void)enc;
    CHECK(0, "no hit flag known for the AES lane table %s", l ? l->name : "(null)");
    return -1;
}

/* aes_lane_ctr_hit: the flag of a lane family's CTR kernel. */
static int aes_lane_ctr_hit(const struct e2e_aes_lane_impl *l)
{
#if defined(E2E_TEST_X86_SIMD)
    if (l == &e2e_aes_lane_impl_vaes512)
        return E2E_HIT_VAES512_CTR_X16;
    if (l == &e2e_aes_lane_impl_aesni)
        return E2E_HIT_AESNI_CTR_X8;
#endif
    CHECK(0, "no CTR hit flag known for the AES lane table %s", l ? l->name : "(null)");
    return -1;
}

static int sha_lane_hit(const struct e2e_sha_lane_impl *l)
{
#if defined(E2E_TEST_X86_SIMD)
    if (l == &e2e_sha_lane_impl_avx512)
        return E2E_HIT_AVX512_SHA256_X16;
    if (l == &e2e_sha_lane_impl_avx2)
        return E2E_HIT_AVX2_SHA256_X8;
    if (l == &e2e_sha_lane_impl_shani)
        return E2E_HIT_SHANI_SHA256_X2;
    if (l == &e2e_sha_lane_impl_shani16)
        return E2E_HIT_SHANI_SHA256_X16;
#endif
#if defined(E2E_TEST_ARM_CE)
    if (l == &e2e_sha_lane_impl_armce)
        return E2E_HIT_ARMCE_SHA256_LANES;
#endif
    CHECK(0, "no hit flag known for the SHA lane table %s", l ? l->name : "(null)");
    return -1;
}

/* sha_msgs_hit: the flag of a lane family's hmac_msgs. */
static int sha_msgs_hit(const struct e2e_sha_lane_impl *l)
{
#if defined(E2E_TEST_X86_SIMD)
    if (l->hmac_msgs == e2e_sha_lane_impl_shani.hmac_msgs)
        return E2E_HIT_SHANI_HMAC_MSGS;
#endif
#if defined(E2E_TEST_ARM_CE)
    if (l->hmac_msgs == e2e_sha_lane_impl_armce.hmac_msgs)
        return E2E_HIT_ARMCE_HMAC_MSGS;
#endif
    CHECK(0, "no hmac_msgs hit flag known for the SHA lane table %s", l->name);
    return -1;
}

/* aes_lane_ccm_hit: the flag of a lane family's fused CCM kernel. */
static int aes_lane_ccm_hit(const struct e2e_aes_lane_impl *l)
{
#if defined(E2E_TEST_X86_SIMD)
    if (l == &e2e_aes_lane_impl_vaes512)
        return E2E_HIT_VAES512_CCM_X16;
#endif
#if defined(E2E_TEST_ARM_CE)
    if (l == &e2e_aes_lane_impl_armce)
        return E2E_HIT_ARMCE_CCM_LANES;
#endif
    CHECK(0, "no CCM hit flag known for the AES lane table %s", l ? l->name : "(null)");
    return -1;
}

/* ---------------------------------------------------------------- the pass rule */

enum width { W_NONE, W_ONE, W_NARROW, W_WIDE, W_UNSURE };

/* width_for: which kernel a pass over n jobs must use (see the top). */
static enum width width_for(size_t n, unsigned wide_lanes, int has_narrow)
{
    if (n == 0)
        return W_NONE;
    if (n == 1 || wide_lanes == 0)
        return W_ONE;
    if (n >= wide_lanes || !has_narrow)
        return W_WIDE;
    if (2 * n <= wide_lanes)
        return W_NARROW;
    return W_UNSURE; /* between half and all of the wide lanes: tuning */
}

static void want_set(unsigned char *want, int flag)
{
    if (flag >= 0 && flag < E2E_HIT_COUNT)
        want[flag] = 1;
}

/* want_sha_pass / want_aes_pass add the flags of a pass over n jobs.
 * Return 0 when the rule leaves the width open. */
static int want_sha_pass(unsigned char *want, const struct t_tier *t, size_t n)
{
    /* whole HMACs (hmac_msgs) from one job on, where the family has them */
    const struct e2e_sha_lane_impl *m = t->sha_lanes && t->sha_lanes->hmac_msgs ? t->sha_lanes
                                        : t->sha_narrow && t->sha_narrow->hmac_msgs ? t->sha_narrow
                                                                                    : NULL;
    if (m != NULL) {
        if (n > 0)
            want_set(want, sha_msgs_hit(m));
        return 1;
    }
    switch (width_for(n, t->sha_lanes ? t->sha_lanes->lanes : 0, t->sha_narrow != NULL)) {
    case W_NONE: return 1;
    case W_ONE: want_set(want, sha_hit_of(t->sha)); return 1;
    case W_NARROW: want_set(want, sha_lane_hit(t->sha_narrow)); return 1;
    case W_WIDE: want_set(want, sha_lane_hit(t->sha_lanes)); return 1;
    default: return 0;
    }
}

static int want_aes_pass(unsigned char *want, const struct t_tier *t, size_t n, int enc)
{
    struct aes_hits h;
    if (!aes_hits_of(t->aes, &h))
        return 1;
    switch (width_for(n, t->aes_lanes ? t->aes_lanes->lanes : 0, t->aes_narrow != NULL)) {
    case W_NONE: return 1;
    case W_ONE: want_set(want, enc ? h.cbcenc : h.cbcmac); return 1;
    case W_NARROW: want_set(want, aes_lane_hit(t->aes_narrow, enc)); return 1;
    case W_WIDE: want_set(want, aes_lane_hit(t->aes_lanes, enc)); return 1;
    default: return 0;
    }
}

/* want_expand adds the flags of a single key set's AES expansion: the lane
 * family's expand_n where the tier has one (keyset.c), else the table's. */
static void want_expand(unsigned char *want, const struct t_tier *t, const struct aes_hits *h)
{
    const struct e2e_aes_lane_impl *l = t->aes_lanes;
    if (l == NULL || l->expand_n == NULL) {
        want_set(want, h->expand);
        return;
    }
#if defined(E2E_TEST_X86_SIMD)
    if (l == &e2e_aes_lane_impl_vaes512) {
        want_set(want, E2E_HIT_VAES512_EXPAND_N);
        want_set(want, E2E_HIT_AESNI_EXPAND_N); /* its expand_n is AES-NI's */
        return;
    }
    if (l == &e2e_aes_lane_impl_aesni) {
        want_set(want, E2E_HIT_AESNI_EXPAND_N);
        return;
    }
#endif
#if defined(E2E_TEST_ARM_CE)
    if (l == &e2e_aes_lane_impl_armce) {
        want_set(want, E2E_HIT_ARMCE_CBCENC_LANES);
        return;
    }
#endif
    CHECK(0, "no expand_n hit flag known for the AES lane table %s", l->name);
}

/* want_ctr_pass adds the flags of CCM's CTR over n jobs: lanes when the
 * lane family has a CTR kernel and more than one job waits, else per message
 * on the single-message table (S0 is one more CTR block there). */
static int want_ctr_pass(unsigned char *want, const struct t_tier *t, size_t n,
                         const struct aes_hits *h)
{
    const struct e2e_aes_lane_impl *wl = t->aes_lanes, *nl = t->aes_narrow;
    if (n == 0)
        return 1;
    if (n == 1 || wl == NULL || wl->ctr == NULL) {
        want_set(want, h->ctr);
        return 1;
    }
    switch (width_for(n, wl->lanes, nl != NULL && nl->ctr != NULL)) {
    case W_NARROW: want_set(want, aes_lane_ctr_hit(nl)); return 1;
    case W_WIDE: want_set(want, aes_lane_ctr_hit(wl)); return 1;
    default: return 0;
    }
}

/* ---------------------------------------------------------------- compare */

static const char *flag_list(const unsigned char *f)
{
    static char buf[2][512];
    static int which;
    char *b = buf[which++ & 1];
    size_t o = 0;
    b[0] = '\0';
    for (int i = 0; i < E2E_HIT_COUNT; i++)
        if (f[i])
            o += (size_t)snprintf(b + o, sizeof buf[0] - o, "%s%s", o ? " " : "",
                                  hit_names[i] ? hit_names[i] : "?");
    if (o == 0)
        snprintf(b, sizeof buf[0], "(none)");
    return b;
}

static unsigned char seen_union[E2E_HIT_COUNT];

/* expect: the flags set now are exactly want. */
static void expect(const char *tier, const char *what, const unsigned char *want)
{
    for (int i = 0; i < E2E_HIT_COUNT; i++) {
        if (e2e_dispatch_hit[i] && !want[i])
            CHECK(0, "[%s] %s: %s ran, which this tier must not use here (hit: %s; want: %s)",
                  tier, what, hit_names[i], flag_list(e2e_dispatch_hit), flag_list(want));
        else if (!e2e_dispatch_hit[i] && want[i])
            CHECK(0, "[%s] %s: %s did not run (hit: %s; want: %s)", tier, what, hit_names[i],
                  flag_list(e2e_dispatch_hit), flag_list(want));
        else
            CHECK(1, "");
        seen_union[i] |= e2e_dispatch_hit[i];
    }
}

static void clear_hits(void)
{
    memset(e2e_dispatch_hit, 0, sizeof e2e_dispatch_hit);
}

/* ---------------------------------------------------------------- key sets */

enum { KS_CCM, KS_CCM8, KS_CS1, KS_HMAC, KS_N };

static void keyset_params(e2e_keyset_params *p, int which, uint8_t *buf /* 200 bytes */)
{
    rng_fill(buf, 200);
    memset(p, 0, sizeof *p);
    uint8_t *enc = buf, *auth = buf + 16, *kiv = buf + 80, *iv = buf + 150, *ki = buf + 170;
    ki[0] = (uint8_t)(0x10 | (ki[0] & 0x0f));
    p->ki = ki;
    p->ki_len = 16;
    switch (which) {
    case KS_CCM:
    case KS_CCM8:
        p->suite = which == KS_CCM ? E2E_SUITE_AES_128_CCM : E2E_SUITE_AES_128_CCM_8;
        p->enc_key = enc;
        p->enc_key_len = 16;
        p->iv = iv;
        p->iv_len = which == KS_CCM ? 13 : 7;
        break;
    case KS_CS1:
        p->suite = E2E_SUITE_AES_128_CS1_HMAC_SHA256;
        p->enc_key = enc;
        p->enc_key_len = 16;
        p->iv = iv;
        p->iv_len = 16;
        p->auth_key = auth;
        p->auth_key_len = 32;
        p->kiv = kiv;
        p->kiv_len = 20;
        p->tag_len = 16;
        break;
    default:
        p->suite = E2E_SUITE_HMAC_SHA256;
        p->auth_key = auth;
        p->auth_key_len = 64;
        p->kiv = kiv;
        p->kiv_len = 64; /* HMAC's head block is all KIV */
        break;
    }
}

static void make_keysets(e2e_keyset ks[KS_N], const e2e_engine *eng)
{
    for (int i = 0; i < KS_N; i++) {
        uint8_t buf[200];
        e2e_keyset_params p;
        keyset_params(&p, i, buf);
        e2e_status st = e2e_keyset_init(&ks[i], eng, &p);
        CHECK(st == E2E_OK, "keyset %d: %s", i, e2e_status_name(st));
    }
}

/* ---------------------------------------------------------------- workloads */

/* single_messages: every suite sealed and opened one message at a time, with
 * the key sets built inside the window (expand, HMAC key states). */
static void single_messages(const struct t_tier *t, const e2e_engine *eng)
{
    e2e_keyset ks[KS_N];
    clear_hits();
    make_keysets(ks, eng);
    /* CS1 with P || T = 37 bytes: a partial last block (ECB decryption).
     * CCM: 21 bytes take the short path (one ECB call for S0, E(B0) and the
     * keystream), 150 bytes the CTR kernel. */
    for (int i = 0; i < KS_N; i++) {
        for (size_t len = 21; len <= 150; len += 129) {
            uint8_t pt[150], msg[150 + E2E_SEAL_OVERHEAD_MAX], out[sizeof msg];
            size_t ml = 0, ol = 0;
            rng_fill(pt, len);
            e2e_status st = e2e_seal(eng, &ks[i], msg, sizeof msg, &ml, pt, len);
            CHECK(st == E2E_OK, "[%s] single seal %d: %s", t->name, i, e2e_status_name(st));
            st = e2e_open(eng, &ks[i], out, sizeof out, &ol, msg, ml);
            CHECK(st == E2E_OK && ol == len && memcmp(out, pt, ol) == 0,
                  "[%s] single open %d: %s", t->name, i, e2e_status_name(st));
        }
    }
    unsigned char want[E2E_HIT_COUNT] = {0};
    struct aes_hits h;
    if (aes_hits_of(t->aes, &h)) {
        want_expand(want, t, &h);
        want_set(want, h.ecb);
        want_set(want, h.cbcenc);
        want_set(want, h.cbcdec);
        want_set(want, h.ctr);
        want_set(want, h.cbcmac);
        want_set(want, h.ccm); /* 150-byte CCM: stitched where the table has it */
    }
    want_set(want, sha_hit_of(t->sha)); /* the key sets' ipad / opad states */
    /* CS1 seal: CBC stitched with the HMAC where the SHA table does that */
    want_set(want, cbc_hmac_hit(t->sha));
    /* messages: whole HMACs where the SHA lane family has them */
    if (t->sha_lanes && t->sha_lanes->hmac_msgs)
        want_set(want, sha_msgs_hit(t->sha_lanes));
    else if (t->sha_narrow && t->sha_narrow->hmac_msgs)
        want_set(want, sha_msgs_hit(t->sha_narrow));
    expect(t->name, "single messages", want);
    printf("  %-28s %s\n", "single messages", flag_list(e2e_dispatch_hit));
    for (int i = 0; i < KS_N; i++)
        e2e_keyset_clear(&ks[i]);
}

enum kind { K_CS1_SEAL, K_CS1_OPEN_FULL, K_CS1_OPEN_PART, K_CCM_SEAL, K_CCM_OPEN, K_HMAC_SEAL,
            K_HMAC_OPEN, K_N };
static const char *const kind_names[K_N] = {"CS1 seal", "CS1 open (whole blocks)",
                                             "CS1 open (partial block)", "CCM seal", "CCM open",
                                             "HMAC seal", "HMAC open"};

#define MAX_JOBS 64
#define BUF_CAP (200 + E2E_SEAL_OVERHEAD_MAX)

struct workload {
    e2e_job jobs[MAX_JOBS];
    uint8_t in[MAX_JOBS][BUF_CAP];
    uint8_t out[MAX_JOBS][BUF_CAP];
    uint8_t pt[MAX_JOBS][BUF_CAP];
    size_t pt_len[MAX_JOBS];
    size_t n;
};

/* add_job appends one job of kind k; opens are sealed here, before the
 * flags are cleared. */
static void add_job(struct workload *w, const e2e_engine *eng, const e2e_keyset ks[KS_N],
                    enum kind k)
{
    size_t i = w->n++;
    e2e_job *j = &w->jobs[i];
    memset(j, 0, sizeof *j);
    size_t len = rng_range(0, 180);
    const e2e_keyset *key = &ks[KS_HMAC];
    if (k == K_CS1_SEAL || k == K_CS1_OPEN_FULL || k == K_CS1_OPEN_PART) {
        key = &ks[KS_CS1];
        /* tag 16: P || T is whole blocks exactly when len is */
        if (k == K_CS1_OPEN_FULL)
            len &= ~(size_t)15;
        if (k == K_CS1_OPEN_PART && len % 16 == 0)
            len++;
    } else if (k == K_CCM_SEAL || k == K_CCM_OPEN) {
        key = &ks[i % 2 ? KS_CCM8 : KS_CCM];
    }
    rng_fill(w->pt[i], len);
    w->pt_len[i] = len;
    j->keys = key;
    j->out = w->out[i];
    j->out_cap = BUF_CAP;
    j->user = w;
    int open = k == K_CS1_OPEN_FULL || k == K_CS1_OPEN_PART || k == K_CCM_OPEN || k == K_HMAC_OPEN;
    if (open) {
        size_t ml = 0;
        e2e_status st = e2e_seal(eng, key, w->in[i], BUF_CAP, &ml, w->pt[i], len);
        CHECK(st == E2E_OK, "sealing a message to open: %s", e2e_status_name(st));
        j->op = E2E_OPEN;
        j->in = w->in[i];
        j->in_len = ml;
    } else {
        j->op = E2E_SEAL;
        j->in = w->pt[i];
        j->in_len = len;
    }
}

/* run_and_check runs the batch and checks every job (flags saved around the
 * checking opens). */
static void run_and_check(const struct t_tier *t, const e2e_engine *eng, struct workload *w,
                          const char *what, e2e_scratch *scratch)
{
    clear_hits();
    e2e_status st = e2e_batch_run(eng, w->jobs, w->n, scratch);
    unsigned char hits[E2E_HIT_COUNT];
    memcpy(hits, e2e_dispatch_hit, sizeof hits);
    CHECK(st == E2E_OK, "[%s] %s: e2e_batch_run = %s", t->name, what, e2e_status_name(st));
    for (size_t i = 0; i < w->n; i++) {
        e2e_job *j = &w->jobs[i];
        CHECK(j->status == E2E_OK, "[%s] %s: job %zu: %s", t->name, what, i,
              e2e_status_name(j->status));
        if (j->status != E2E_OK)
            continue;
        if (j->op == E2E_OPEN) {
            CHECK(j->out_len == w->pt_len[i] && memcmp(j->out, w->pt[i], j->out_len) == 0,
                  "[%s] %s: job %zu opened to other bytes", t->name, what, i);
        } else {
            uint8_t back[BUF_CAP];
            size_t bl = 0;
            e2e_status so = e2e_open(eng, j->keys, back, sizeof back, &bl, j->out, j->out_len);
            CHECK(so == E2E_OK && bl == w->pt_len[i] && memcmp(back, w->pt[i], bl) == 0,
                  "[%s] %s: job %zu's seal does not open: %s", t->name, what, i,
                  e2e_status_name(so));
        }
    }
    memcpy(e2e_dispatch_hit, hits, sizeof hits);
}

/* batch_workload: n jobs of kind k, plus m jobs of kind k2 (m may be 0). */
static void batch_workload(const struct t_tier *t, const e2e_engine *eng,
                           const e2e_keyset ks[KS_N], e2e_scratch *scratch, enum kind k,
                           size_t n, enum kind k2, size_t m)
{
    static struct workload w;
    w.n = 0;
    /* interleave the two kinds so the scheduler has to group them */
    for (size_t i = 0, a = 0, b = 0; i < n + m; i++) {
        if (b < m && (a == n || i % 2))
            add_job(&w, eng, ks, k2), b++;
        else
            add_job(&w, eng, ks, k), a++;
    }
    size_t cnt[K_N] = {0};
    cnt[k] += n;
    cnt[k2] += m;
    char what[96];
    if (m)
        snprintf(what, sizeof what, "%s x%zu + %s x%zu", kind_names[k], n, kind_names[k2], m);
    else
        snprintf(what, sizeof what, "%s x%zu", kind_names[k], n);

    /* What each pass must run. */
    unsigned char want[E2E_HIT_COUNT] = {0};
    struct aes_hits h;
    int sure = 1;
    if (aes_hits_of(t->aes, &h)) {
        size_t ccm = cnt[K_CCM_SEAL] + cnt[K_CCM_OPEN];
        size_t sha = cnt[K_CS1_SEAL] + cnt[K_CS1_OPEN_FULL] + cnt[K_CS1_OPEN_PART] +
                     cnt[K_HMAC_SEAL] + cnt[K_HMAC_OPEN];
        /* CCM: with CTR lanes, payloads of up to 16 blocks (open) or 7
         * (seal) run in groups of equal block count (CTR and CBC-MAC lanes
         * of the group's width); a group of one, longer payloads, and every
         * CCM job on tiers without CTR lanes go through the CTR and CBC-MAC
         * passes */
        size_t group[17] = {0}, generic = 0;
        int lane_ctr = t->aes_lanes != NULL && t->aes_lanes->ctr != NULL;
        for (size_t i = 0; i < w.n; i++) {
            const e2e_job *j = &w.jobs[i];
            if (j->keys != &ks[KS_CCM] && j->keys != &ks[KS_CCM8])
                continue;
            size_t nb = (w.pt_len[i] + 15) / 16;
            if (lane_ctr && nb <= (j->op == E2E_OPEN ? 16u : 7u))
                group[nb]++;
            else
                generic++;
        }
        for (int nb = 0; nb <= 16; nb++) {
            if (group[nb] == 1)
                generic++;
            if (group[nb] < 2)
                continue;
            const struct e2e_aes_lane_impl *wl = t->aes_lanes, *nl = t->aes_narrow;
            switch (width_for(group[nb], wl->lanes, nl != NULL && nl->ctr != NULL)) {
            case W_NARROW:
                want_set(want, aes_lane_ctr_hit(nl));
                want_set(want, aes_lane_hit(nl, 0));
                break;
            case W_WIDE:
                want_set(want, aes_lane_ctr_hit(wl));
                want_set(want, aes_lane_hit(wl, 0));
                break;
            default:
                sure = 0;
            }
        }
        CHECK(generic <= ccm, "%s: CCM job count", what);
        /* the rest: one fused CTR + CBC-MAC pass where the wide family has
         * one and more than half of its lanes fill, else two passes */
        size_t mac_generic = generic;
        if (t->aes_lanes != NULL && t->aes_lanes->ccm != NULL &&
            generic >= t->aes_lanes->lanes / 2 + 1) {
            want_set(want, aes_lane_ccm_hit(t->aes_lanes));
            mac_generic = 0;
        } else {
            sure &= want_ctr_pass(want, t, generic, &h);
        }
        /* per message, on the single-message table */
        if (cnt[K_CS1_OPEN_FULL] + cnt[K_CS1_OPEN_PART])
            want_set(want, h.cbcdec);
        if (cnt[K_CS1_OPEN_PART])
            want_set(want, h.ecb);
        /* the SHA passes: one per shape of the inner hash (1 block, 2
         * blocks, longer), each choosing its width from its own count */
        size_t shape[3] = {0, 0, 0};
        for (size_t i = 0; i < w.n; i++) {
            const e2e_job *j = &w.jobs[i];
            size_t kiv = j->keys == &ks[KS_CS1] ? 20 : j->keys == &ks[KS_HMAC] ? 64 : 0;
            if (kiv == 0)
                continue; /* CCM */
            size_t inner = (kiv + w.pt_len[i] + 9 + 63) / 64;
            shape[inner == 1 ? 0 : inner == 2 ? 1 : 2]++;
        }
        CHECK(shape[0] + shape[1] + shape[2] == sha, "%s: SHA job count", what);
        for (int c = 0; c < 3; c++)
            sure &= want_sha_pass(want, t, shape[c]);
        sure &= want_aes_pass(want, t, mac_generic, 0);
        /* CS1 seal's CBC: with AES lanes, P || T of up to 16 blocks runs in
         * groups of equal block count (cbcenc lanes of the group's width); a
         * group of one and longer ones go through the CBC pass */
        size_t egroup[17] = {0}, egeneric = 0;
        for (size_t i = 0; i < w.n; i++) {
            const e2e_job *j = &w.jobs[i];
            if (j->keys != &ks[KS_CS1] || j->op != E2E_SEAL)
                continue;
            size_t nb = (w.pt_len[i] + 16 + 15) / 16;
            if (t->aes_lanes != NULL && nb <= 16)
                egroup[nb]++;
            else
                egeneric++;
        }
        for (int nb = 0; nb <= 16; nb++) {
            if (egroup[nb] == 1)
                egeneric++;
            if (egroup[nb] < 2)
                continue;
            switch (width_for(egroup[nb], t->aes_lanes->lanes, t->aes_narrow != NULL)) {
            case W_NARROW: want_set(want, aes_lane_hit(t->aes_narrow, 1)); break;
            case W_WIDE: want_set(want, aes_lane_hit(t->aes_lanes, 1)); break;
            default: sure = 0;
            }
        }
        CHECK(egeneric <= cnt[K_CS1_SEAL], "%s: CS1 seal count", what);
        sure &= want_aes_pass(want, t, egeneric, 1);
    }
    run_and_check(t, eng, &w, what, scratch);
    if (!sure) {
        printf("  %-40s %s (width left to tuning: not asserted)\n", what,
               flag_list(e2e_dispatch_hit));
        return;
    }
    expect(t->name, what, want);
    printf("  %-40s %s\n", what, flag_list(e2e_dispatch_hit));
}

/* all_flags_of: every flag any table of tier t may set. */
static void all_flags_of(const struct t_tier *t, unsigned char *f)
{
    memset(f, 0, E2E_HIT_COUNT);
    struct aes_hits h;
    if (aes_hits_of(t->aes, &h)) {
        want_set(f, h.expand);
        want_expand(f, t, &h);
        want_set(f, h.ecb);
        want_set(f, h.cbcenc);
        want_set(f, h.cbcdec);
        want_set(f, h.ctr);
        want_set(f, h.cbcmac);
        want_set(f, h.ccm);
    }
    want_set(f, sha_hit_of(t->sha));
    want_set(f, cbc_hmac_hit(t->sha));
    const struct e2e_aes_lane_impl *al[2] = {t->aes_lanes, t->aes_narrow};
    for (int i = 0; i < 2; i++)
        if (al[i]) {
            want_set(f, aes_lane_hit(al[i], 0));
            want_set(f, aes_lane_hit(al[i], 1));
            if (al[i]->ctr)
                want_set(f, aes_lane_ctr_hit(al[i]));
            if (al[i]->ccm)
                want_set(f, aes_lane_ccm_hit(al[i]));
        }
    if (t->sha_lanes)
        want_set(f, sha_lane_hit(t->sha_lanes));
    if (t->sha_narrow)
        want_set(f, sha_lane_hit(t->sha_narrow));
    if (t->sha_lanes && t->sha_lanes->hmac_msgs)
        want_set(f, sha_msgs_hit(t->sha_lanes));
    if (t->sha_narrow && t->sha_narrow->hmac_msgs)
        want_set(f, sha_msgs_hit(t->sha_narrow));
}

static void run_tier(const struct t_tier *t, e2e_scratch *scratch)
{
    e2e_engine eng;
    e2e_status st = e2e_engine_init_named(&eng, t->name);
    CHECK(st == E2E_OK && strcmp(e2e_engine_name(&eng), t->name) == 0,
          "init_named(%s) = %s (%s)", t->name, e2e_status_name(st), e2e_engine_name(&eng));
    if (st != E2E_OK)
        return;
    printf("%s:\n", t->name);
    unsigned long before = t_failed;
    memset(seen_union, 0, sizeof seen_union);

    single_messages(t, &eng);

    e2e_keyset ks[KS_N];
    make_keysets(ks, &eng);
    const size_t counts[] = {1, 2, 8, 16, 40};
    const enum kind kinds[] = {K_CS1_SEAL, K_CS1_OPEN_FULL, K_CS1_OPEN_PART, K_CCM_SEAL,
                               K_CCM_OPEN, K_HMAC_SEAL, K_HMAC_OPEN};
    for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++)
        for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++)
            batch_workload(t, &eng, ks, scratch, kinds[ki], counts[ci], kinds[ki], 0);
    /* Passes count only the jobs they serve. */
    batch_workload(t, &eng, ks, scratch, K_CCM_SEAL, 16, K_HMAC_SEAL, 1);
    batch_workload(t, &eng, ks, scratch, K_CCM_OPEN, 1, K_HMAC_OPEN, 16);
    batch_workload(t, &eng, ks, scratch, K_CS1_SEAL, 16, K_CCM_OPEN, 2);
    batch_workload(t, &eng, ks, scratch, K_CS1_OPEN_PART, 8, K_CCM_SEAL, 40);
    for (int i = 0; i < KS_N; i++)
        e2e_keyset_clear(&ks[i]);

    /* Across all workloads: only this tier's families ran (key sets expand
     * with the lane family's expand_n where the tier has one). */
    unsigned char allowed[E2E_HIT_COUNT];
    all_flags_of(t, allowed);
    for (int i = 0; i < E2E_HIT_COUNT; i++)
        CHECK(!seen_union[i] || allowed[i], "[%s] %s ran: not one of this tier's kernels",
              t->name, hit_names[i]);
    printf("  %-40s %s\n", "all workloads", flag_list(seen_union));
    printf("%-12s %s\n", t->name, t_failed == before ? "ok" : "FAILED");
}

int main(void)
{
    rng_init("test_dispatch_hits");
    uint32_t f = e2e_cpu_features();
    printf("e2e_cpu_features() = 0x%08x: %s\n", f, t_features_str(f));
    static e2e_scratch scratch;
    size_t ran = 0;
    for (size_t i = 0; i < T_N_TIERS; i++) {
        if (!t_tier_runs(&t_tiers[i])) {
            printf("SKIP %s (cpu)\n", t_tiers[i].name);
            continue;
        }
        run_tier(&t_tiers[i], &scratch);
        ran++;
    }
    CHECK(ran > 0, "no tier ran");
    return t_summary();
}
