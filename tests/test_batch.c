/* test_batch.c — e2e_batch_run gives exactly what single-message
 * e2e_open / e2e_seal give, job by job, for every implementation.
 *
 * Random job mixes over every suite: open and seal; good, tampered, truncated,
 * bad-nibble, wrong-key and garbage messages; lengths 0..300 and a few large
 * ones; batch sizes 1..300; in-place opens; jobs with a NULL output or a too
 * small out_cap (bad_param for that job, the rest still right); jobs without a
 * key set or with an unknown op. For every job: the same status, out_len and
 * output bytes as the single call on identical inputs; out_len 0 and the
 * output wiped unless OK; nothing written past out_cap; the caller's fields
 * (user, keys, in, out, out_cap, op) untouched. Seeded (E2E_TEST_SEED).
 * E2E_SWEEP_MAX (default 300) lowers the largest batch size.
 * test_lanes.c holds every tier's batches to the portable tier's results
 * and crosses tiers; test_dispatch_hits.c proves which lane kernels ran. */
#include "testutil.h"

#define GUARD 16
#define FILL 0xa5
#define N_KEYSETS 16

struct keypool {
    e2e_keyset ks[N_KEYSETS];
    size_t n;
};

static void make_keysets(struct keypool *kp, const e2e_engine *eng)
{
    kp->n = 0;
    for (size_t i = 0; i < N_KEYSETS; i++) {
        uint8_t enc[16], auth[64], kiv[64], iv[16], ki[16];
        rng_fill(enc, sizeof enc);
        rng_fill(auth, sizeof auth);
        rng_fill(kiv, sizeof kiv);
        rng_fill(iv, sizeof iv);
        rng_fill(ki, sizeof ki);
        e2e_keyset_params p;
        memset(&p, 0, sizeof p);
        p.suite = (e2e_suite)(1 + i % 4);
        int ccm = p.suite == E2E_SUITE_AES_128_CCM || p.suite == E2E_SUITE_AES_128_CCM_8;
        size_t ki_len = rng_below(2) ? 16 : 12;
        ki[0] = (uint8_t)((ki_len == 16 ? 0x10 : 0x20) | (ki[0] & 0x0f));
        p.ki = ki;
        p.ki_len = ki_len;
        if (p.suite != E2E_SUITE_HMAC_SHA256) {
            p.enc_key = enc;
            p.enc_key_len = 16;
            p.iv = iv;
            p.iv_len = ccm ? rng_range(7, 13) : 16;
        }
        if (!ccm) {
            p.auth_key = auth;
            p.auth_key_len = rng_range(1, 64);
            p.kiv = kiv;
            p.kiv_len = rng_range(1, 64);
        }
        /* Half keep the suite's default tag; the rest pick an allowed one
         * (small CS1 tags make short seals malformed). */
        if (rng_below(2))
            p.tag_len = ccm ? 2 * rng_range(2, 8) : rng_range(4, 32);
        e2e_status st = e2e_keyset_init(&kp->ks[kp->n], eng, &p);
        CHECK(st == E2E_OK, "keyset %zu (%s): %s", i, e2e_suite_name(p.suite),
              e2e_status_name(st));
        if (st == E2E_OK)
            kp->n++;
    }
}

/* One job as generated, its expected result, and the batch's copy. */
struct jobcase {
    const e2e_keyset *ks;
    uint8_t op;
    uint8_t *in;          /* pristine input (never passed to the engine) */
    size_t in_len;
    int out_null, in_place;
    size_t out_cap;
    int single;           /* 1: has a single-call oracle */
    /* expected */
    e2e_status st;
    size_t out_len;
    uint8_t *want;        /* out_cap + GUARD bytes after the single call */
    /* batch side */
    uint8_t *buf;         /* out (or in for in-place), out_cap + GUARD */
    uint8_t *inbuf;       /* the batch job's input copy (not in place) */
    int tag;              /* the user pointer target */
};

static uint8_t *message_for(const e2e_engine *eng, const struct keypool *kp,
                            const e2e_keyset *ks, size_t len, size_t *msg_len)
{
    size_t cap = len + E2E_SEAL_OVERHEAD_MAX;
    uint8_t *pt = xmalloc(len), *m = xmalloc(cap);
    rng_fill(pt, len);
    size_t ml = 0;
    e2e_status st = e2e_seal(eng, ks, m, cap, &ml, pt, len);
    if (st != E2E_OK) { /* e.g. a CS1 seal under 16 bytes: use garbage */
        ml = len + 12;
        rng_fill(m, ml);
    }
    free(pt);
    unsigned v = (unsigned)rng_below(100);
    if (v < 45) {
        /* good */
    } else if (v < 65 && ml > 0) {
        m[rng_below(ml)] ^= (uint8_t)(1u << rng_below(8)); /* one flipped bit */
    } else if (v < 75) {
        ml = rng_below(ml + 1);                              /* truncated */
    } else if (v < 80 && ml > 0) {
        m[0] = (uint8_t)((rng_range(3, 15) << 4) | (m[0] & 0x0f)); /* bad nibble */
    } else if (v < 90) {
        /* sealed for another key set */
        const e2e_keyset *other = &kp->ks[rng_below(kp->n)];
        size_t ol = 0;
        free(m);
        cap = len + E2E_SEAL_OVERHEAD_MAX;
        m = xmalloc(cap);
        uint8_t *p2 = xmalloc(len);
        rng_fill(p2, len);
        if (e2e_seal(eng, other, m, cap, &ol, p2, len) != E2E_OK) {
            ol = len;
            rng_fill(m, ol);
        }
        free(p2);
        ml = ol;
    } else {
        ml = rng_below(len + 40);
        rng_fill(m, ml);                                     /* garbage */
    }
    *msg_len = ml;
    return m;
}

static void gen_job(struct jobcase *jc, const e2e_engine *eng, const struct keypool *kp)
{
    memset(jc, 0, sizeof *jc);
    jc->ks = &kp->ks[rng_below(kp->n)];
    jc->single = 1;
    size_t len = rng_below(50) == 0 ? rng_range(1000, 70000) : rng_range(0, 300);
    jc->op = rng_below(5) < 3 ? E2E_OPEN : E2E_SEAL;
    if (jc->op == E2E_OPEN) {
        jc->in = message_for(eng, kp, jc->ks, len, &jc->in_len);
    } else {
        jc->in = xmalloc(len);
        jc->in_len = len;
        rng_fill(jc->in, len);
    }
    size_t need = jc->op == E2E_OPEN ? jc->in_len : e2e_seal_len(jc->ks, jc->in_len);
    jc->out_cap = need;
    unsigned v = (unsigned)rng_below(100);
    if (v < 4) {
        jc->out_null = 1;                                   /* bad_param */
        jc->out_cap = need;
    } else if (v < 9 && need > 0) {
        jc->out_cap = need - rng_range(1, need);            /* too small: bad_param */
    } else if (v < 14) {
        jc->out_cap = need + rng_range(1, 64);              /* roomy is fine */
    } else if (v < 26 && jc->op == E2E_OPEN) {
        jc->in_place = 1;                                   /* out == in */
    } else if (v == 26) {
        jc->ks = NULL;                                      /* no key set */
        jc->single = 0;
    } else if (v == 27) {
        jc->op = (uint8_t)(rng_below(2) ? 0 : 7);           /* not an op */
        jc->single = 0;
    }
}

/* single computes the expected result with e2e_open / e2e_seal. */
static void single(struct jobcase *jc, const e2e_engine *eng)
{
    size_t cap = jc->out_cap + GUARD;
    jc->want = xmalloc(cap + jc->in_len);
    memset(jc->want, FILL, cap + jc->in_len);
    jc->out_len = 12345;
    if (!jc->single)
        return;
    uint8_t *out = jc->want, *in;
    uint8_t *tmp = NULL;
    if (jc->in_place) {
        memcpy(out, jc->in, jc->in_len);
        in = out;
    } else {
        tmp = xmalloc(jc->in_len);
        memcpy(tmp, jc->in, jc->in_len);
        in = tmp;
    }
    uint8_t *o = jc->out_null ? NULL : out;
    if (jc->op == E2E_OPEN)
        jc->st = e2e_open(eng, jc->ks, o, jc->out_cap, &jc->out_len, in, jc->in_len);
    else
        jc->st = e2e_seal(eng, jc->ks, o, jc->out_cap, &jc->out_len, in, jc->in_len);
    free(tmp);
}

static size_t n_jobs_total, n_ok, n_bad;

static void run_batch(const struct t_engine *te, const struct keypool *kp, size_t n,
                      e2e_scratch *scratch)
{
    struct jobcase *jc = xmalloc(n * sizeof *jc);
    e2e_job *jobs = xmalloc(n * sizeof *jobs);
    for (size_t i = 0; i < n; i++) {
        gen_job(&jc[i], &te->eng, kp);
        single(&jc[i], &te->eng);
    }
    for (size_t i = 0; i < n; i++) {
        struct jobcase *c = &jc[i];
        size_t cap = c->out_cap + GUARD;
        c->buf = xmalloc(cap + c->in_len);
        memset(c->buf, FILL, cap + c->in_len);
        c->inbuf = xmalloc(c->in_len);
        memcpy(c->inbuf, c->in, c->in_len);
        e2e_job *j = &jobs[i];
        j->keys = c->ks;
        j->op = c->op;
        j->in_len = c->in_len;
        j->out_cap = c->out_cap;
        if (c->in_place) {
            memcpy(c->buf, c->in, c->in_len);
            j->in = c->buf;
            j->out = c->buf;
        } else {
            j->in = c->inbuf;
            j->out = c->out_null ? NULL : c->buf;
        }
        j->out_len = 777;
        j->status = (e2e_status)99;
        j->user = &c->tag;
    }
    e2e_status st = e2e_batch_run(&te->eng, jobs, n, scratch);
    CHECK(st == E2E_OK, "[%s] e2e_batch_run(%zu jobs) = %s", te->name, n, e2e_status_name(st));
    for (size_t i = 0; i < n; i++) {
        struct jobcase *c = &jc[i];
        e2e_job *j = &jobs[i];
        size_t cap = c->out_cap + GUARD;
        n_jobs_total++;
        CHECK(j->user == &c->tag && j->keys == c->ks && j->op == c->op &&
                  j->in_len == c->in_len && j->out_cap == c->out_cap,
              "[%s] job %zu/%zu: caller fields changed", te->name, i, n);
        if (c->single) {
            CHECK(j->status == c->st, "[%s] job %zu/%zu (op %u, len %zu, cap %zu%s%s): batch %s, "
                  "single %s", te->name, i, n, c->op, c->in_len, c->out_cap,
                  c->out_null ? ", out NULL" : "", c->in_place ? ", in place" : "",
                  e2e_status_name(j->status), e2e_status_name(c->st));
            CHECK(j->out_len == c->out_len, "[%s] job %zu/%zu: out_len %zu, single %zu",
                  te->name, i, n, j->out_len, c->out_len);
            /* Equal: the result out[0..out_len), and everything past the
             * region a job may use (open: the message length; seal: the wire
             * length; e2ecrypt.h: bytes between out_len and that are
             * unspecified scratch, never plaintext or keys). */
            size_t used = c->op == E2E_SEAL && c->ks ? e2e_seal_len(c->ks, c->in_len) : c->in_len;
            if (used > c->out_cap)
                used = c->out_cap;
            CHECK(memcmp(c->buf, c->want, j->out_len) == 0 &&
                      memcmp(c->buf + used, c->want + used, cap + c->in_len - used) == 0,
                  "[%s] job %zu/%zu: output bytes differ from the single call", te->name, i, n);
        } else {
            CHECK(j->status != E2E_OK, "[%s] job %zu/%zu: %s job succeeded", te->name, i, n,
                  c->ks == NULL ? "key-less" : "op-less");
        }
        if (j->status == E2E_OK) {
            n_ok++;
            CHECK(j->out_len <= c->out_cap, "[%s] job %zu: out_len past out_cap", te->name, i);
        } else {
            n_bad++;
            CHECK(j->out_len == 0, "[%s] job %zu: failed (%s) with out_len %zu", te->name, i,
                  e2e_status_name(j->status), j->out_len);
            if (!c->out_null) {
                /* The region a failure must wipe: what the job could have
                 * written (open: the message length; seal: the sealed length),
                 * within out_cap. */
                size_t need = c->op == E2E_SEAL && c->ks ? e2e_seal_len(c->ks, c->in_len)
                                                          : c->in_len;
                size_t w = need < c->out_cap ? need : c->out_cap;
                CHECK(all_zero(c->buf, w), "[%s] job %zu (%s): output not wiped", te->name, i,
                      e2e_status_name(j->status));
            }
        }
        if (c->single && c->out_null)
            CHECK(j->status == E2E_ERR_PARAM, "[%s] job %zu: NULL out gave %s", te->name, i,
                  e2e_status_name(j->status));
        if (c->single && !c->out_null && !c->in_place) {
            size_t need = c->op == E2E_SEAL ? e2e_seal_len(c->ks, c->in_len) : c->in_len;
            if (c->out_cap < need)
                CHECK(j->status == E2E_ERR_PARAM, "[%s] job %zu: out_cap %zu < %zu gave %s",
                      te->name, i, c->out_cap, need, e2e_status_name(j->status));
        }
        /* Nothing past out_cap, and the input of a not-in-place job intact. */
        CHECK(all_byte(c->buf + c->out_cap, GUARD, FILL),
              "[%s] job %zu: wrote past out_cap", te->name, i);
        if (!c->in_place)
            CHECK(memcmp(c->inbuf, c->in, c->in_len) == 0, "[%s] job %zu: input modified",
                  te->name, i);
        /* An OK open returns the plaintext the single call returned; an OK
         * seal of the same plaintext opens back to it. */
        if (j->status == E2E_OK && j->op == E2E_SEAL) {
            uint8_t *back = xmalloc(j->out_len);
            size_t bl = 0;
            e2e_status so = e2e_open(&te->eng, c->ks, back, j->out_len, &bl, j->out, j->out_len);
            CHECK(so == E2E_OK && bl == c->in_len && memcmp(back, c->in, bl) == 0,
                  "[%s] job %zu: batch seal does not open: %s", te->name, i,
                  e2e_status_name(so));
            free(back);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(jc[i].in);
        free(jc[i].want);
        free(jc[i].buf);
        free(jc[i].inbuf);
    }
    free(jc);
    free(jobs);
}

static void bad_calls(const e2e_engine *eng, e2e_scratch *scratch)
{
    e2e_job job;
    memset(&job, 0, sizeof job);
    job.status = (e2e_status)55;
    job.out_len = 66;
    CHECK(e2e_batch_run(NULL, &job, 1, scratch) == E2E_ERR_PARAM, "batch_run(NULL engine)");
    CHECK(e2e_batch_run(eng, NULL, 3, scratch) == E2E_ERR_PARAM, "batch_run(NULL jobs, 3)");
    CHECK(e2e_batch_run(eng, &job, 1, NULL) == E2E_ERR_PARAM, "batch_run(NULL scratch)");
    e2e_engine zero;
    memset(&zero, 0, sizeof zero);
    CHECK(e2e_batch_run(&zero, &job, 1, scratch) == E2E_ERR_PARAM,
          "batch_run(uninitialised engine)");
    CHECK(e2e_batch_run(eng, NULL, 0, scratch) == E2E_OK, "batch_run(NULL jobs, 0) is a no-op");
    CHECK(e2e_batch_run(eng, &job, 0, scratch) == E2E_OK, "batch_run(jobs, 0)");
    CHECK(job.status == (e2e_status)55 && job.out_len == 66, "an empty batch touched a job");
}

int main(void)
{
    rng_init("test_batch");
    size_t ne = engines_init();
    static e2e_scratch scratch;
    static struct keypool kp;
    /* Batch sizes 1..300 (E2E_SWEEP_MAX): every size to 40, then a spread,
     * then random. */
    size_t sizes[80], ns = 0, top = sweep_max();
    for (size_t s = 1; s <= 40 && s <= top; s++)
        sizes[ns++] = s;
    size_t spread[] = {47, 48, 63, 64, 65, 100, 127, 128, 129, 200, 255, 256, 299, 300};
    for (size_t i = 0; i < sizeof spread / sizeof spread[0]; i++)
        if (spread[i] <= top)
            sizes[ns++] = spread[i];
    for (int i = 0; i < 6; i++)
        sizes[ns++] = rng_range(1, top);
    for (size_t e = 0; e < ne; e++) {
        const struct t_engine *te = &t_engines[e];
        unsigned long before = t_failed;
        make_keysets(&kp, &te->eng);
        bad_calls(&te->eng, &scratch);
        for (size_t i = 0; i < ns; i++)
            run_batch(te, &kp, sizes[i], &scratch);
        for (size_t i = 0; i < kp.n; i++)
            e2e_keyset_clear(&kp.ks[i]);
        printf("%-12s %s\n", te->name, t_failed == before ? "ok" : "FAILED");
    }
    printf("%zu jobs: %zu ok, %zu not ok\n", n_jobs_total, n_ok, n_bad);
    CHECK(n_ok > n_jobs_total / 5 && n_bad > n_jobs_total / 5,
          "the job mix is lopsided (%zu ok, %zu not)", n_ok, n_bad);
    return t_summary();
}
