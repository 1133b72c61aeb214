/* workload.h — the benchmark workloads, built once in C and shared by the
 * Google Benchmark harness (bench.cc) and the quick run (quick.c).
 *
 * A workload is a bench_batch (bench/shim.h) of real messages — sealed by
 * e2ecrypt with random keys from a fixed seed — plus what every
 * implementation must produce from it (the plaintexts for open and verify,
 * e2ecrypt's sealed bytes for seal, the XOR for Sigfox) and, for open and
 * verify, a tampered message 0 (last byte flipped in place, so pointers
 * an implementation kept from prepare stay valid) that every implementation
 * must reject. bench_workload_verify runs an implementation once on both and
 * says what differs; nothing is timed here. */
#ifndef E2E_BENCH_WORKLOAD_H
#define E2E_BENCH_WORKLOAD_H

#include <stddef.h>

#include "e2ecrypt.h"
#include "shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The plaintext sizes, batch sizes and workload names of the suite. */
extern const size_t bench_sizes[];      /* 5, 16, 64, 256, 1024, 16384 */
extern const size_t bench_n_sizes;
extern const size_t bench_batches[];    /* 1, 16, 256 */
extern const size_t bench_n_batches;
#define BENCH_SIGFOX_FRAME 12           /* Sigfox runs at this size only */

/* bench_wl_name is the workload's benchmark name ("open_ccm_newkey", ...). */
const char *bench_wl_name(enum bench_wl wl);

struct bench_workload {
    struct bench_batch b;        /* what the implementations get */
    const uint8_t **in;          /* the storage behind b.in */
    size_t *in_len;              /* and b.in_len */
    uint8_t **expect;            /* per message: the required output */
    size_t *expect_len;
    size_t tampered_len;         /* open/verify: message 0 is also checked with
                                    its last byte flipped (in place); else 0 */
    unsigned char *arena;        /* the messages and outputs, one block */
};

/* bench_workload_new builds workload wl with n messages of size plaintext
 * bytes, sealed with eng. ccm_tag is the CCM tag length (16: the
 * AES_128_CCM default of the seed's uplink; 4..16 even). NULL with a
 * message in err on failure. */
struct bench_workload *bench_workload_new(enum bench_wl wl, size_t size, size_t n,
                                          const e2e_engine *eng, size_t ccm_tag,
                                          char *err, size_t err_len);
void bench_workload_free(struct bench_workload *w);

/* bench_workload_verify runs op (impl's function for the workload, on the
 * context ctx from impl->prepare) once on the batch and once with the
 * tampered message, and checks every output against the expected one.
 * Returns 1 when all match; else 0 with the first difference in err. */
int bench_workload_verify(struct bench_workload *w, const struct bench_impl *impl,
                          void *ctx, char *err, size_t err_len);

/* bench_workload_check compares the outputs left by the last call (which
 * returned ok) with the expected ones; 1 when all match. */
int bench_workload_check(const struct bench_workload *w, size_t ok, char *err,
                         size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* E2E_BENCH_WORKLOAD_H */
