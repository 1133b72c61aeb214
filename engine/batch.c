/* batch.c — run a vector of jobs.
 *
 * Implementation notes: this is the single-message scheduler: each job runs
 * through e2e_open / e2e_seal in order. The multi-buffer lane scheduler
 * (submit / run / flush across messages) replaces it behind the same API;
 * the scratch argument is already part of the contract so callers need not
 * change. House rule 8: a bad job only sets its own status — E2E_ERR_PARAM
 * comes back from the call only for a bad call. A job without a key set
 * (keys == NULL) is E2E_ERR_UNKNOWN_KEY: the caller found none for its KI. */
#include "ct.h"
#include "internal.h"

_Static_assert(sizeof(e2e_scratch) == E2E_SCRATCH_BYTES, "scratch size");

e2e_status e2e_batch_run(const e2e_engine *eng, e2e_job *jobs, size_t n,
                         e2e_scratch *scratch)
{
    if (e2e_engine_impl(eng) == NULL || (jobs == NULL && n != 0) || scratch == NULL)
        return E2E_ERR_PARAM;
    for (size_t i = 0; i < n; i++) {
        e2e_job *j = &jobs[i];
        j->out_len = 0;
        if (j->keys == NULL) {
            j->status = E2E_ERR_UNKNOWN_KEY;
        } else if (j->op == E2E_OPEN) {
            j->status = e2e_open(eng, j->keys, j->out, j->out_cap, &j->out_len, j->in, j->in_len);
            continue;
        } else if (j->op == E2E_SEAL) {
            j->status = e2e_seal(eng, j->keys, j->out, j->out_cap, &j->out_len, j->in, j->in_len);
            continue;
        } else {
            j->status = E2E_ERR_PARAM;
        }
        if (j->out != NULL)
            e2e_wipe(j->out, j->out_cap);
    }
    return E2E_OK;
}
