/* fuzz_batch.c — e2e_batch_run (engine/batch.c and whatever lane scheduler
 * replaces it) against the single-message path, job by job.
 *
 * Input: njobs, then per job: kind ks len16 mut16 cap
 *   kind % 8: 0-2 open a message sealed with the job's key set (possibly
 *   mutated: bit flip, truncation, KI nibble, extension), 3 open raw bytes,
 *   4-5 seal, 6 a job without a key set (keys == NULL), 7 an unknown op;
 *   kind & 8: open in place (out == in); ks % FZ_NKEYSETS; len: plaintext /
 *   message length (mostly short, sometimes up to 2 KiB, so lanes see mixed
 *   lengths); cap % 4: 0 exact out_cap, 1 one byte short (E2E_ERR_PARAM),
 *   2 generous, 3 out == NULL.
 *   Up to 48 jobs, so a multi-lane scheduler sees full and partial groups.
 *
 * Properties, for every implementation the CPU can run:
 *   - e2e_batch_run returns E2E_OK (jobs never make it fail);
 *   - for each job, status, out_len, out[0..out_len) and out past the region
 *     the job may use as scratch (e2ecrypt.h: in_len for open, the wire
 *     length for seal) equal the single-message call (e2e_open / e2e_seal on
 *     a copy of the same input with the same out_cap and the same starting
 *     out contents); a job
 *     without keys is E2E_ERR_UNKNOWN_KEY and an unknown op E2E_ERR_PARAM
 *     (these have no single-message twin: only the wiping rule applies);
 *   - wiping / out_len rules (e2ecrypt.h: "on any failure the output buffer
 *     is wiped and the reported length is 0"): status != ok -> out_len 0 and
 *     every byte the engine may have written (min(out_cap, in_len) for open,
 *     min(out_cap, e2e_seal_len) for seal) is zero;
 *   - the fields the engine must not touch (keys, in, in_len, out, out_cap,
 *     op, user) come back untouched;
 *   - results are the same for every implementation;
 *   - the lane families' expand_n (1..8 keys from the input's tail) = the
 *     single-key expansion;
 *   - batch_run's caller-bug checks: NULL engine / scratch, jobs NULL with
 *     n > 0 are E2E_ERR_PARAM; n == 0 is E2E_OK. */
#include "fuzz_common.h"

#define MAX_JOBS 48

static struct fz_keypool pools[FZ_MAX_ENGINES];
static e2e_scratch scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const struct fz_engines *E = fz_engines();
    for (size_t e = 0; e < E->n; e++)
        fz_keysets(&pools[e], &E->eng[e]);
    return 0;
}

struct spec {
    uint8_t op;          /* E2E_OPEN, E2E_SEAL or junk */
    int inplace;
    int nokeys;
    size_t ks;
    uint8_t *in;         /* pristine input */
    size_t in_len;
    size_t cap;          /* out_cap */
    int outnull;
    uint8_t fill;        /* starting out contents */
};

static void make_spec(struct spec *s, struct fz_in *in, const e2e_engine *eng)
{
    uint8_t kind = fz_u8(in);
    s->ks = fz_u8(in) % FZ_NKEYSETS;
    uint16_t l16 = fz_u16(in), mut = fz_u16(in);
    uint8_t capsel = fz_u8(in);
    size_t len = (l16 & 0x8000) ? l16 % 2049u : l16 % 96u;
    s->inplace = (kind & 8) != 0;
    s->nokeys = 0;
    s->outnull = capsel % 4 == 3;
    s->fill = (uint8_t)(0x11 * (kind >> 4));
    const e2e_keyset *ks = &pools[0].ks[s->ks];
    switch (kind % 8) {
    case 0: case 1: case 2: {
        s->op = E2E_OPEN;
        size_t cap = e2e_seal_len(ks, len), got = 0;
        uint8_t *pt = fz_xmalloc(len), *m = fz_xmalloc(cap + 16);
        fz_fill(in, pt, len);
        if (e2e_seal(eng, ks, m, cap, &got, pt, len) != E2E_OK)
            got = 0;   /* CS1 with P || T under a block: an empty message */
        switch (kind % 8) {
        case 1: /* flip one bit */
            if (got)
                m[mut % got] ^= (uint8_t)(1u << (mut >> 13));
            break;
        case 2: /* truncate, extend, or rewrite the KI nibble */
            if ((mut & 3) == 0)
                got = got ? (mut >> 2) % got : 0;
            else if ((mut & 3) == 1) {
                fz_fill(in, m + got, 16);
                got += (mut >> 2) % 17;
            } else if (got)
                m[0] = (uint8_t)((m[0] & 0x0f) | ((mut >> 2) & 0x30));
            break;
        }
        s->in = fz_xmalloc(got);
        memcpy(s->in, m, got);
        s->in_len = got;
        free(pt);
        free(m);
        break;
    }
    case 3:
        s->op = E2E_OPEN;
        s->in = fz_xmalloc(len);
        fz_fill(in, s->in, len);
        s->in_len = len;
        break;
    case 4: case 5:
        s->op = E2E_SEAL;
        s->inplace = 0;   /* seal's out must not overlap pt */
        s->in = fz_xmalloc(len);
        fz_fill(in, s->in, len);
        s->in_len = len;
        break;
    default:
        s->op = kind % 8 == 6 ? E2E_OPEN : (uint8_t)(3 + (kind >> 4));
        s->nokeys = kind % 8 == 6;
        s->inplace = 0;
        s->in = fz_xmalloc(len);
        fz_fill(in, s->in, len);
        s->in_len = len;
        break;
    }
    size_t need = s->op == E2E_SEAL ? e2e_seal_len(ks, s->in_len) : s->in_len;
    if (s->inplace) {
        s->cap = s->in_len;   /* out == in: the message buffer itself */
        s->outnull = 0;
    } else {
        switch (capsel % 4) {
        case 0: s->cap = need; break;
        case 1: s->cap = need ? need - 1 : 0; break;
        case 2: s->cap = need + 1 + capsel / 4 % 40; break;
        default: s->cap = need; break;
        }
    }
}

/* run_single runs spec through e2e_open / e2e_seal into out (cap bytes). */
static e2e_status run_single(const e2e_engine *eng, const e2e_keyset *ks, const struct spec *s,
                             uint8_t *out, size_t *out_len)
{
    uint8_t *in = s->inplace ? out : s->in;
    uint8_t *o = s->outnull ? NULL : out;
    if (s->inplace)
        memcpy(out, s->in, s->in_len);
    if (s->nokeys) {
        *out_len = 0;
        return E2E_ERR_UNKNOWN_KEY;
    }
    if (s->op == E2E_OPEN)
        return e2e_open(eng, ks, o, s->cap, out_len, in, s->in_len);
    if (s->op == E2E_SEAL)
        return e2e_seal(eng, ks, o, s->cap, out_len, in, s->in_len);
    *out_len = 0;
    return E2E_ERR_PARAM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fz_engines *E = fz_engines();
    struct fz_in in;
    fz_in_init(&in, data, size);
    size_t n = fz_u8(&in) % (MAX_JOBS + 1);
    struct spec sp[MAX_JOBS];
    for (size_t i = 0; i < n; i++)
        make_spec(&sp[i], &in, &E->eng[0]);

    e2e_job jobs[MAX_JOBS], saved[MAX_JOBS];
    uint8_t *bufs[MAX_JOBS], *want[MAX_JOBS], *ref[MAX_JOBS];
    e2e_status ref_st[MAX_JOBS];
    size_t ref_len[MAX_JOBS];
    for (size_t i = 0; i < n; i++) {
        bufs[i] = fz_xmalloc(sp[i].cap);
        want[i] = fz_xmalloc(sp[i].cap);
        ref[i] = fz_xmalloc(sp[i].cap);
    }

    for (size_t e = 0; e < E->n; e++) {
        const e2e_engine *eng = &E->eng[e];
        const char *nm = E->name[e];
        for (size_t i = 0; i < n; i++) {
            const struct spec *s = &sp[i];
            memset(bufs[i], s->fill, s->cap);
            if (s->inplace)
                memcpy(bufs[i], s->in, s->in_len);
            jobs[i] = (e2e_job){
                .keys = s->nokeys ? NULL : &pools[e].ks[s->ks],
                .in = s->inplace ? bufs[i] : s->in,
                .in_len = s->in_len,
                .out = s->outnull ? NULL : bufs[i],
                .out_cap = s->cap,
                .out_len = 12345,
                .status = (e2e_status)77,
                .op = s->op,
                .user = (void *)(uintptr_t)(0x1000 + i),
            };
            saved[i] = jobs[i];
        }
        e2e_status st = e2e_batch_run(eng, jobs, n, &scratch);
        FZ_ASSERT(st == E2E_OK, "%s: batch_run = %s", nm, e2e_status_name(st));

        for (size_t i = 0; i < n; i++) {
            const struct spec *s = &sp[i];
            const e2e_job *j = &jobs[i], *o = &saved[i];
            FZ_ASSERT(j->keys == o->keys && j->in == o->in && j->in_len == o->in_len &&
                          j->out == o->out && j->out_cap == o->out_cap && j->op == o->op &&
                          j->user == o->user,
                      "%s: job %zu: the engine changed a caller field", nm, i);
            size_t wl = 0;
            memset(want[i], s->fill, s->cap);
            e2e_status ws = run_single(eng, &pools[e].ks[s->ks], s, want[i], &wl);
            FZ_ASSERT(j->status == ws && j->out_len == wl,
                      "%s: job %zu (op %d, %s, in %zu, cap %zu%s%s): batch %s/%zu, single "
                      "%s/%zu",
                      nm, i, s->op, s->nokeys ? "no keys" : pools[e].what[s->ks], s->in_len,
                      s->cap, s->inplace ? ", in place" : "", s->outnull ? ", out NULL" : "",
                      e2e_status_name(j->status), j->out_len, e2e_status_name(ws), wl);
            /* A job with no single-message equivalent (no key set, unknown
             * op) is only held to the wiping rule below. Bytes between
             * out_len and the region a job may use (open: in_len; seal: the
             * wire length) are scratch (e2ecrypt.h); everything else must
             * match the single call byte for byte. */
            int single = !s->nokeys && (s->op == E2E_OPEN || s->op == E2E_SEAL);
            size_t used = s->op == E2E_SEAL && !s->nokeys
                              ? e2e_seal_len(&pools[e].ks[s->ks], s->in_len)
                              : s->in_len;
            if (used > s->cap)
                used = s->cap;
            FZ_ASSERT(!single || (memcmp(bufs[i], want[i], j->out_len) == 0 &&
                                  memcmp(bufs[i] + used, want[i] + used, s->cap - used) == 0),
                      "%s: job %zu: output buffer differs from the single call: %s vs %s", nm, i,
                      fz_hex(bufs[i], s->cap), fz_hex(want[i], s->cap));
            if (j->status != E2E_OK) {
                size_t reach = s->op == E2E_SEAL && !s->nokeys
                                   ? e2e_seal_len(&pools[e].ks[s->ks], s->in_len)
                                   : s->in_len;
                if (reach > s->cap)
                    reach = s->cap;
                FZ_ASSERT(j->out_len == 0, "%s: job %zu failed with out_len %zu", nm, i,
                          j->out_len);
                FZ_ASSERT(s->outnull || fz_all_zero(bufs[i], reach),
                          "%s: job %zu failed (%s) without wiping out", nm, i,
                          e2e_status_name(j->status));
            }
            if (e == 0) {
                ref_st[i] = j->status;
                ref_len[i] = j->out_len;
                memcpy(ref[i], bufs[i], s->cap);
            } else {
                FZ_ASSERT(j->status == ref_st[i] && j->out_len == ref_len[i] &&
                              memcmp(bufs[i], ref[i], j->out_len) == 0,
                          "%s: job %zu differs from %s", nm, i, E->name[0]);
            }
        }
    }

    /* The lane families' multi-key expansion (expand_n, n <= 8: continuous
     * rotation brings a new key per message) = the single-key expansion. */
    {
        uint8_t keys[8][16];
        size_t nk = 1 + fz_u8(&in) % 8;
        fz_fill(&in, &keys[0][0], sizeof keys);
        e2e_aes_key want_k[8], got_k[8];
        e2e_aes_key *kp[8];
        const uint8_t *keyp[8];
        for (size_t i = 0; i < nk; i++) {
            e2e_aes128_key_init(&E->eng[0], &want_k[i], keys[i]);
            kp[i] = &got_k[i];
            keyp[i] = keys[i];
        }
        for (size_t e = 0; e < E->n; e++) {
            const struct engine_impl *ei = e2e_engine_impl(&E->eng[e]);
            const struct e2e_aes_lane_impl *fam[2] = {ei->aes_lanes, ei->aes_narrow};
            for (int f = 0; f < 2; f++) {
                if (fam[f] == NULL || fam[f]->expand_n == NULL)
                    continue;
                memset(got_k, 0x5a, sizeof got_k);
                fam[f]->expand_n(kp, keyp, nk);
                for (size_t i = 0; i < nk; i++)
                    FZ_ASSERT(memcmp(&got_k[i], &want_k[i], sizeof got_k[i]) == 0,
                              "%s: %s expand_n(%zu): key %zu differs", E->name[e], fam[f]->name,
                              nk, i);
            }
        }
    }

    /* Caller bugs. */
    FZ_ASSERT(e2e_batch_run(NULL, jobs, n, &scratch) == E2E_ERR_PARAM, "batch_run(NULL eng)");
    FZ_ASSERT(e2e_batch_run(&E->eng[0], jobs, n, NULL) == E2E_ERR_PARAM,
              "batch_run(NULL scratch)");
    FZ_ASSERT(e2e_batch_run(&E->eng[0], NULL, 1 + n, &scratch) == E2E_ERR_PARAM,
              "batch_run(NULL jobs)");
    FZ_ASSERT(e2e_batch_run(&E->eng[0], NULL, 0, &scratch) == E2E_OK, "batch_run(n = 0)");

    for (size_t i = 0; i < n; i++) {
        free(sp[i].in);
        free(bufs[i]);
        free(want[i]);
        free(ref[i]);
    }
    return 0;
}
