/* quick_main.c — runs e2e_quick_bench for the bench_quick test (the CLI's
 * `e2ecrypt bench` calls the same function). Usage: e2e_quick_bench_run
 * [seconds_per_row] [impl]. */
#include <stdio.h>
#include <stdlib.h>

#include "quick.h"

int main(int argc, char **argv)
{
    e2e_engine eng;
    double s = argc > 1 ? strtod(argv[1], NULL) : 0.05;
    e2e_status st = argc > 2 ? e2e_engine_init_named(&eng, argv[2])
                             : e2e_engine_init(&eng, E2E_CPU_ALL);
    if (st != E2E_OK) {
        fprintf(stderr, "e2e_quick_bench_run: %s\n", e2e_status_name(st));
        return 2;
    }
    return e2e_quick_bench(stdout, &eng, s);
}
