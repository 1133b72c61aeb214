/* quick.c — the quick run behind `e2ecrypt bench`: the benchmark suite's
 * workloads with e2ecrypt only, timed with clock_gettime, no Google
 * Benchmark and no peer libraries.
 *
 * Implementation notes:
 *  - The workloads are the suite's own (workload.c) and e2ecrypt is reached
 *    through its shim (shim_e2ecrypt.c), so a quick-run number and an
 *    e2ecrypt_bench row of the same name measure the same calls.
 *  - Every row's output is checked before (bench_workload_verify, which
 *    also feeds a tampered message) and after timing.
 *  - Timing: the call count doubles (at least) until one timed stretch
 *    lasts seconds_per_row; that stretch is the result. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

#include "quick.h"
#include "shim.h"
#include "workload.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void human(char *buf, size_t len, double v)
{
    if (v >= 1e9)
        snprintf(buf, len, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, len, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, len, "%.1fk", v / 1e3);
    else
        snprintf(buf, len, "%.0f", v);
}

/* quick_row times one (workload, size, batch); 0 on success. */
static int quick_row(FILE *out, const e2e_engine *eng, enum bench_wl wl, size_t size,
                     size_t batch, double seconds)
{
    const struct bench_impl *im = bench_impl_e2ecrypt();
    char err[256] = "";
    int rc = 1;
    void *ctx = NULL;
    struct bench_workload *w = bench_workload_new(wl, size, batch, eng, 16, err, sizeof err);
    fprintf(out, "%-16s %6zu %6zu ", bench_wl_name(wl), size, batch);
    if (w == NULL || (ctx = im->prepare(&w->b, err, sizeof err)) == NULL ||
        !bench_workload_verify(w, im, ctx, err, sizeof err)) {
        fprintf(out, "FAILED: %s\n", err);
        goto done;
    }
    bench_op op = bench_impl_op(im, wl);
    size_t reps = 1, ok = batch, bad = 0;
    double dt;
    for (;;) {
        double t0 = now_s();
        for (size_t r = 0; r < reps; r++) {
            ok = op(ctx, &w->b);
            bad |= ok ^ batch;
        }
        dt = now_s() - t0;
        if (dt >= seconds || reps >= ((size_t)1 << 40))
            break;
        double grow = dt > 0 ? 1.2 * seconds / dt : 16;
        reps = grow < 2 ? 2 * reps : grow > 16 ? 16 * reps : (size_t)((double)reps * grow);
    }
    if (bad != 0 || !bench_workload_check(w, ok, err, sizeof err)) {
        fprintf(out, "FAILED after timing: %s\n", err[0] ? err : "messages rejected");
        goto done;
    }
    double msgs = (double)reps * (double)batch / dt;
    char m[32], b[32];
    human(m, sizeof m, msgs);
    human(b, sizeof b, msgs * (double)size);
    fprintf(out, "%10s %10sB/s %10.1f\n", m, b, 1e9 / msgs);
    rc = 0;
done:
    fflush(out);
    if (ctx)
        im->release(ctx);
    bench_workload_free(w);
    return rc;
}

int e2e_quick_bench(FILE *out, const e2e_engine *eng, double seconds_per_row)
{
    if (out == NULL || eng == NULL)
        return 1;
    if (!(seconds_per_row > 0))
        seconds_per_row = 0.05;
    fprintf(out, "e2ecrypt %s, engine %s, one thread, ~%.2f s per row; sizes are plaintext "
                 "bytes, open_ccm_newkey expands a key set per message\n",
            E2E_VERSION, e2e_engine_name(eng), seconds_per_row);
    fprintf(out, "%-16s %6s %6s %10s %13s %10s\n", "workload", "size", "batch", "msgs/s",
            "throughput", "ns/msg");
    int failed = 0;
    for (int wl = 0; wl < BENCH_WL_COUNT; wl++) {
        size_t n_sizes = wl == BENCH_SIGFOX_XOR ? 1 : bench_n_sizes;
        for (size_t si = 0; si < n_sizes; si++) {
            size_t size = wl == BENCH_SIGFOX_XOR ? BENCH_SIGFOX_FRAME : bench_sizes[si];
            for (size_t bi = 0; bi < bench_n_batches; bi++)
                failed |= quick_row(out, eng, (enum bench_wl)wl, size, bench_batches[bi],
                                    seconds_per_row);
        }
    }
    return failed ? 1 : 0;
}
