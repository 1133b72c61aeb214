/* quick.h — the dependency-free quick run behind `e2ecrypt bench`. */
#ifndef E2E_BENCH_QUICK_H
#define E2E_BENCH_QUICK_H

#include <stdio.h>

#include "e2ecrypt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* e2e_quick_bench runs every workload of the benchmark suite (bench/README.md)
 * with e2ecrypt alone on engine eng — each (workload, size, batch) for about
 * seconds_per_row seconds of clock_gettime(CLOCK_MONOTONIC) time, after
 * checking its output — and prints one table row per workload, size and
 * batch to out. seconds_per_row <= 0 means 0.05. Returns 0 when every row
 * ran with correct output, 1 otherwise (failed rows say why). Single-
 * threaded; allocates (it is meant for the CLI, not the engine). */
int e2e_quick_bench(FILE *out, const e2e_engine *eng, double seconds_per_row);

#ifdef __cplusplus
}
#endif

#endif /* E2E_BENCH_QUICK_H */
