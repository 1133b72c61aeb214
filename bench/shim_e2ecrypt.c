/* shim_e2ecrypt.c — e2ecrypt behind the benchmark shim (bench/shim.h).
 *
 * Implementation notes:
 *  - One message per call (b->n == 1) goes through e2e_open / e2e_seal;
 *    batches go through e2e_batch_run with a job array and one e2e_scratch
 *    built in prepare, as a server draining a queue would.
 *  - open_ccm_newkey expands every message's key set (e2e_keyset_init, into
 *    a caller-owned e2e_keyset per message) inside the timed call, then opens
 *    the batch; the other workloads expand their one key set in prepare.
 *  - The engine is the one the batch was built with (b->eng), so the
 *    benchmark can force any tier (e2ecrypt_bench --e2e_impl=NAME).
 *  - Sigfox XOR runs e2e_sigfox_xor once per frame.
 *  - Allocation happens only in prepare; the timed calls allocate nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2ecrypt.h"
#include "shim.h"

struct e2ecrypt_ctx {
    const e2e_engine *eng;
    e2e_keyset *ks;             /* n_keys key sets, 64-byte aligned */
    e2e_keyset_params *params;  /* n_keys raw parameter sets (newkey) */
    e2e_job *jobs;              /* n jobs */
    e2e_scratch *scratch;
    char note[96];
};

static void params_of(e2e_keyset_params *p, const struct bench_keyset *k)
{
    memset(p, 0, sizeof *p);
    p->suite = (e2e_suite)k->suite;
    if (k->suite != BENCH_SUITE_HMAC) {
        p->enc_key = k->enc_key;
        p->enc_key_len = 16;
        p->iv = k->iv;
        p->iv_len = k->iv_len;
    }
    if (k->suite == BENCH_SUITE_CS1_HMAC || k->suite == BENCH_SUITE_HMAC) {
        p->auth_key = k->auth_key;
        p->auth_key_len = k->auth_key_len;
        p->kiv = k->kiv;
        p->kiv_len = k->kiv_len;
    }
    p->ki = k->ki;
    p->ki_len = k->ki_len;
    p->tag_len = k->tag_len;
}

static void e2ecrypt_release(void *vctx)
{
    struct e2ecrypt_ctx *c = vctx;
    if (c == NULL)
        return;
    free(c->ks);
    free(c->params);
    free(c->jobs);
    free(c->scratch);
    free(c);
}

static void *e2ecrypt_prepare(const struct bench_batch *b, char *err, size_t err_len)
{
    struct e2ecrypt_ctx *c = calloc(1, sizeof *c);
    if (c == NULL || b->eng == NULL) {
        snprintf(err, err_len, "e2ecrypt: %s", c ? "no engine" : "out of memory");
        free(c);
        return NULL;
    }
    c->eng = b->eng;
    size_t nk = b->n_keys ? b->n_keys : 1;
    c->ks = aligned_alloc(64, nk * sizeof *c->ks);
    c->params = calloc(nk, sizeof *c->params);
    c->jobs = calloc(b->n, sizeof *c->jobs);
    c->scratch = aligned_alloc(64, sizeof *c->scratch);
    if (!c->ks || !c->params || !c->jobs || !c->scratch) {
        snprintf(err, err_len, "e2ecrypt: out of memory");
        e2ecrypt_release(c);
        return NULL;
    }
    memset(c->ks, 0, nk * sizeof *c->ks);
    for (size_t i = 0; i < nk && b->keys; i++) {
        params_of(&c->params[i], &b->keys[i]);
        if (b->wl == BENCH_OPEN_CCM_NEWKEY)
            continue; /* expanded in the timed call */
        e2e_status st = e2e_keyset_init(&c->ks[i], c->eng, &c->params[i]);
        if (st != E2E_OK) {
            snprintf(err, err_len, "e2ecrypt: e2e_keyset_init: %s", e2e_status_name(st));
            e2ecrypt_release(c);
            return NULL;
        }
    }
    for (size_t i = 0; i < b->n; i++) {
        e2e_job *j = &c->jobs[i];
        j->keys = &c->ks[b->wl == BENCH_OPEN_CCM_NEWKEY ? i : 0];
        j->in = b->in[i];
        j->in_len = b->in_len[i];
        j->out = b->out[i];
        j->out_cap = b->out_cap;
        j->op = b->wl == BENCH_SEAL_CS1_HMAC ? E2E_SEAL : E2E_OPEN;
    }
    snprintf(c->note, sizeof c->note, "%s, %s", e2e_engine_name(c->eng),
             b->wl == BENCH_SIGFOX_XOR ? "e2e_sigfox_xor per frame"
             : b->n == 1 ? (b->wl == BENCH_SEAL_CS1_HMAC ? "e2e_seal" : "e2e_open")
                         : "e2e_batch_run");
    return c;
}

static const char *e2ecrypt_note(const void *vctx)
{
    return ((const struct e2ecrypt_ctx *)vctx)->note;
}

/* run_jobs runs the prepared batch and returns how many jobs succeeded. */
static size_t run_jobs(struct e2ecrypt_ctx *c, const struct bench_batch *b)
{
    size_t ok = 0;
    if (b->n == 1) {
        const e2e_job *j = &c->jobs[0];
        e2e_status st = j->op == E2E_SEAL
            ? e2e_seal(c->eng, j->keys, b->out[0], b->out_cap, &b->out_len[0], j->in, j->in_len)
            : e2e_open(c->eng, j->keys, b->out[0], b->out_cap, &b->out_len[0], j->in, j->in_len);
        return st == E2E_OK;
    }
    if (e2e_batch_run(c->eng, c->jobs, b->n, c->scratch) != E2E_OK)
        return 0;
    for (size_t i = 0; i < b->n; i++) {
        b->out_len[i] = c->jobs[i].out_len;
        ok += c->jobs[i].status == E2E_OK;
    }
    return ok;
}

/* open_ccm_newkey: a key set per message (continuous rotation), expanded
 * together by e2e_keyset_init_many when there is more than one. */
static size_t e2ecrypt_open_ccm_newkey(void *vctx, const struct bench_batch *b)
{
    struct e2ecrypt_ctx *c = vctx;
    if (b->n == 1) {
        if (e2e_keyset_init(&c->ks[0], c->eng, &c->params[0]) != E2E_OK)
            return 0;
    } else {
        e2e_status st[256];
        for (size_t i = 0; i < b->n; i += 256) {
            size_t m = b->n - i < 256 ? b->n - i : 256;
            if (e2e_keyset_init_many(&c->ks[i], c->eng, &c->params[i], st, m) != E2E_OK)
                return 0;
            for (size_t q = 0; q < m; q++)
                if (st[q] != E2E_OK)
                    return 0;
        }
    }
    return run_jobs(c, b);
}

static size_t e2ecrypt_run(void *vctx, const struct bench_batch *b)
{
    return run_jobs(vctx, b);
}

static size_t e2ecrypt_sigfox_xor(void *vctx, const struct bench_batch *b)
{
    (void)vctx;
    size_t ok = 0;
    for (size_t i = 0; i < b->n; i++) {
        e2e_status st = e2e_sigfox_xor(b->out[i], b->xor_key, b->xor_key_len, b->in[i],
                                       b->in_len[i]);
        b->out_len[i] = st == E2E_OK ? b->in_len[i] : 0;
        ok += st == E2E_OK;
    }
    return ok;
}

static const char *e2ecrypt_version(void)
{
    return "e2ecrypt " E2E_VERSION;
}

static int e2ecrypt_identity(char *buf, size_t len)
{
    snprintf(buf, len, "e2ecrypt %s (linked in)", E2E_VERSION);
    return 1;
}

static const struct bench_impl impl = {
    .name = "e2ecrypt",
    .version = e2ecrypt_version,
    .identity = e2ecrypt_identity,
    .prepare = e2ecrypt_prepare,
    .note = e2ecrypt_note,
    .release = e2ecrypt_release,
    .open_ccm_newkey = e2ecrypt_open_ccm_newkey,
    .open_ccm = e2ecrypt_run,
    .open_cs1_hmac = e2ecrypt_run,
    .seal_cs1_hmac = e2ecrypt_run,
    .verify_hmac = e2ecrypt_run,
    .sigfox_xor = e2ecrypt_sigfox_xor,
};

const struct bench_impl *bench_impl_e2ecrypt(void)
{
    return &impl;
}
