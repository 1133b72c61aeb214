// bench.cc — e2ecrypt_bench: the Google Benchmark harness. A harness only:
// the workloads are built in C (workload.c), every implementation is reached
// through bench/shim.h (e2ecrypt linked in, the peers as modules loaded by
// peers.c), and this file registers the rows, checks outputs, times the
// calls and reports the counters.
//
// Rows are named WORKLOAD/IMPL/SIZE/BATCH, e.g. open_cs1_hmac/boringssl/64/256,
// and carry the counters
//   msgs_per_s        messages per second (rate)
//   bytes_per_second  plaintext bytes per second (rate)
//   cycles_per_byte   TSC ticks (rdtsc, constant rate on modern x86) per
//                     plaintext byte over the timing loop; elsewhere
//                     nanoseconds times Google Benchmark's CPU frequency.
// Before a row is timed the implementation's output on that exact batch is
// compared with the expected one (and a tampered message must be rejected);
// after timing the outputs are compared again. Any difference fails the row
// with SkipWithError and makes the program exit non-zero (the smoke test
// relies on that).
//
// Own flags (taken out before Google Benchmark sees the rest):
//   --e2e_impl=NAME     force an e2ecrypt tier (e2e_engine_init_named): best,
//                       portable, aesni, aesni+shani, shani
//   --e2e_ccm_tag=N     CCM tag bytes (default 16, AES_128_CCM; 4 or 8 let
//                       BoringSSL use its Bluetooth CCM AEADs)
//   --e2e_check_peers   only prove which library each peer runs, then exit
#include <benchmark/benchmark.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#else
#include <chrono>
#endif

#include "e2ecrypt.h"
#include "peers.h"
#include "shim.h"
#include "workload.h"

namespace {

e2e_engine g_eng;
size_t g_ccm_tag = 16;
int g_errors = 0;

struct Impl {
    std::string name;
    const bench_impl *impl = nullptr;  // nullptr: not loaded (error says why)
    std::string error;
};
std::vector<Impl> g_impls;

uint64_t ticks()
{
#ifdef BENCH_HAVE_TSC
    return __rdtsc();
#else
    auto ns = std::chrono::steady_clock::now().time_since_epoch();
    return (uint64_t)std::chrono::duration_cast<std::chrono::nanoseconds>(ns).count();
#endif
}

double ticks_per_tick()
{
#ifdef BENCH_HAVE_TSC
    return 1.0;
#else
    return benchmark::CPUInfo::Get().cycles_per_second / 1e9;
#endif
}

// One workload and one prepared context are cached: rows are registered so
// that the implementations of one (workload, size, batch) run one after the
// other, and Google Benchmark calls a row's function several times.
struct Key {
    int wl = -1;
    size_t size = 0, batch = 0;
    bool operator==(const Key &o) const { return wl == o.wl && size == o.size && batch == o.batch; }
};

struct Prepared {
    Key key;
    size_t impl = SIZE_MAX;
    void *ctx = nullptr;
    std::string error;  // set: prepare or the cross-check failed
};

Key g_wl_key;
bench_workload *g_wl = nullptr;
std::string g_wl_error;
Prepared g_prep;

void release_prepared()
{
    if (g_prep.ctx != nullptr)
        g_impls[g_prep.impl].impl->release(g_prep.ctx);
    g_prep = Prepared();
}

bench_workload *workload_for(const Key &k, std::string *error)
{
    if (!(g_wl_key == k)) {
        release_prepared();
        bench_workload_free(g_wl);
        char err[256] = "";
        g_wl = bench_workload_new((bench_wl)k.wl, k.size, k.batch, &g_eng, g_ccm_tag, err,
                                  sizeof err);
        g_wl_error = g_wl ? "" : std::string("building the workload: ") + err;
        g_wl_key = k;
    }
    *error = g_wl_error;
    return g_wl;
}

Prepared *prepared_for(const Key &k, size_t impl, bench_workload *w)
{
    if (g_prep.key == k && g_prep.impl == impl)
        return &g_prep;
    release_prepared();
    g_prep.key = k;
    g_prep.impl = impl;
    char err[512] = "";
    const bench_impl *im = g_impls[impl].impl;
    g_prep.ctx = im->prepare(&w->b, err, sizeof err);
    if (g_prep.ctx == nullptr) {
        g_prep.error = std::string("prepare failed: ") + err;
    } else if (!bench_workload_verify(w, im, g_prep.ctx, err, sizeof err)) {
        g_prep.error = std::string("cross-check failed: ") + err;
    }
    return &g_prep;
}

std::string row_name(int wl, size_t impl, size_t size, size_t batch)
{
    return std::string(bench_wl_name((bench_wl)wl)) + "/" + g_impls[impl].name + "/" +
           std::to_string(size) + "/" + std::to_string(batch);
}

void fail(benchmark::State &state, const std::string &row, const std::string &why)
{
    g_errors++;
    std::fprintf(stderr, "e2ecrypt_bench: %s: %s\n", row.c_str(), why.c_str());
    state.SkipWithError(why.c_str());
}

void run_row(benchmark::State &state, int wl, size_t impl, size_t size, size_t batch)
{
    const Impl &im = g_impls[impl];
    const std::string row = row_name(wl, impl, size, batch);
    if (im.impl == nullptr) {
        fail(state, row, im.name + " not available: " + im.error);
        return;
    }
    Key key;
    key.wl = wl;
    key.size = size;
    key.batch = batch;
    std::string error;
    bench_workload *w = workload_for(key, &error);
    if (w == nullptr) {
        fail(state, row, error);
        return;
    }
    Prepared *p = prepared_for(key, impl, w);
    if (!p->error.empty()) {
        fail(state, row, p->error);
        return;
    }
    bench_op op = bench_impl_op(im.impl, (bench_wl)wl);
    void *ctx = p->ctx;
    size_t ok = batch, bad = 0;
    uint64_t t0 = ticks();
    for (auto _ : state) {
        ok = op(ctx, &w->b);
        bad |= ok ^ batch;
        benchmark::ClobberMemory();
    }
    uint64_t t1 = ticks();
    char err[256] = "";
    if (bad != 0 || !bench_workload_check(w, ok, err, sizeof err)) {
        fail(state, row, std::string("output wrong after timing: ") +
                        (err[0] ? err : "a timed call rejected messages"));
        return;
    }
    double msgs = (double)state.iterations() * (double)batch;
    state.SetBytesProcessed((int64_t)(msgs * (double)size));
    state.counters["msgs_per_s"] = benchmark::Counter(msgs, benchmark::Counter::kIsRate);
    state.counters["cycles_per_byte"] =
        benchmark::Counter((double)(t1 - t0) * ticks_per_tick() / (msgs * (double)size));
    state.SetLabel(im.impl->note(ctx));
}

std::string cpu_model()
{
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
            size_t c = line.find(':');
            if (c != std::string::npos)
                return line.substr(line.find_first_not_of(" \t", c + 1));
        }
    }
    return "unknown";
}

// load_impls fills g_impls: e2ecrypt, then the peers with their identity
// proven. Returns the number of peers that failed.
int load_impls(bool verbose)
{
    int failed = 0;
    Impl e2e;
    e2e.name = "e2ecrypt";
    e2e.impl = bench_impl_e2ecrypt();
    g_impls.push_back(e2e);
    char err[512] = "";
    if (!bench_global_scope_clean(err, sizeof err)) {
        // A libcrypto in the global scope would capture the modules' symbols.
        for (size_t i = 0; i < bench_n_peers; i++) {
            Impl p;
            p.name = bench_peer_names[i];
            p.error = err;
            g_impls.push_back(p);
        }
        std::fprintf(stderr, "e2ecrypt_bench: %s\n", err);
        return (int)bench_n_peers;
    }
    for (size_t i = 0; i < bench_n_peers; i++) {
        Impl p;
        p.name = bench_peer_names[i];
        const bench_impl *im = bench_load_peer(bench_peer_names[i], err, sizeof err);
        if (im == nullptr) {
            p.error = err;
        } else {
            char id[1024] = "";
            int good = im->identity(id, sizeof id);
            if (verbose || !good)
                std::fprintf(good ? stdout : stderr, "%-10s %s\n", p.name.c_str(), id);
            if (good) {
                p.impl = im;
                benchmark::AddCustomContext("peer_" + p.name, im->version());
            } else {
                p.error = std::string("identity check failed: ") + id;
            }
        }
        if (p.impl == nullptr) {
            failed++;
            if (!verbose)
                std::fprintf(stderr, "e2ecrypt_bench: %s: %s\n", p.name.c_str(), p.error.c_str());
        }
        g_impls.push_back(p);
    }
    if (verbose) {
        std::printf("%-10s global symbol scope holds no AES_encrypt/HMAC_Init_ex/EVP_sha256: %s\n",
                    "scope", "ok");
        std::printf("%-10s %s, engine %s\n", "e2ecrypt", E2E_VERSION, e2e_engine_name(&g_eng));
    }
    return failed;
}

void register_rows()
{
    for (int wl = 0; wl < BENCH_WL_COUNT; wl++) {
        std::vector<size_t> sizes;
        if (wl == BENCH_SIGFOX_XOR)
            sizes.push_back(BENCH_SIGFOX_FRAME);
        else
            sizes.assign(bench_sizes, bench_sizes + bench_n_sizes);
        for (size_t size : sizes) {
            for (size_t bi = 0; bi < bench_n_batches; bi++) {
                size_t batch = bench_batches[bi];
                for (size_t impl = 0; impl < g_impls.size(); impl++) {
                    const Impl &im = g_impls[impl];
                    bool offered = im.impl ? bench_impl_op(im.impl, (bench_wl)wl) != nullptr
                                           : wl != BENCH_SIGFOX_XOR;
                    if (!offered)
                        continue;  // no peer implements the Sigfox XOR
                    std::string name = row_name(wl, impl, size, batch);
                    benchmark::RegisterBenchmark(name.c_str(), run_row, wl, impl, size, batch);
                }
            }
        }
    }
}

}  // namespace

int main(int argc, char **argv)
{
    std::string impl_name = "best";
    bool check_peers = false;
    int out = 1;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a.rfind("--e2e_impl=", 0) == 0) {
            impl_name = a.substr(11);
        } else if (a.rfind("--e2e_ccm_tag=", 0) == 0) {
            g_ccm_tag = std::strtoul(a.c_str() + 14, nullptr, 10);
        } else if (a == "--e2e_check_peers") {
            check_peers = true;
        } else {
            argv[out++] = argv[i];
        }
    }
    argc = out;
    argv[argc] = nullptr;

    e2e_status st = impl_name == "best" ? e2e_engine_init(&g_eng, E2E_CPU_ALL)
                                        : e2e_engine_init_named(&g_eng, impl_name.c_str());
    if (st != E2E_OK) {
        std::fprintf(stderr, "e2ecrypt_bench: --e2e_impl=%s: %s\n", impl_name.c_str(),
                     e2e_status_name(st));
        return 2;
    }
    if (g_ccm_tag < 4 || g_ccm_tag > 16 || (g_ccm_tag & 1)) {
        std::fprintf(stderr, "e2ecrypt_bench: --e2e_ccm_tag must be 4, 6, ..., 16\n");
        return 2;
    }
    if (check_peers)
        return load_impls(true) == 0 ? 0 : 1;

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::AddCustomContext("e2ecrypt_impl", e2e_engine_name(&g_eng));
    benchmark::AddCustomContext("e2ecrypt_version", E2E_VERSION);
    benchmark::AddCustomContext("cpu_model", cpu_model());
    benchmark::AddCustomContext("ccm_tag_bytes", std::to_string(g_ccm_tag));
#ifdef BENCH_HAVE_TSC
    benchmark::AddCustomContext("cycles_per_byte", "rdtsc TSC ticks per plaintext byte");
#else
    benchmark::AddCustomContext("cycles_per_byte", "ns x Google Benchmark's CPU MHz per byte");
#endif
    int peers_failed = load_impls(false);
    register_rows();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    release_prepared();
    bench_workload_free(g_wl);
    if (g_errors > 0 || peers_failed > 0) {
        std::fprintf(stderr, "e2ecrypt_bench: %d row(s) failed%s\n", g_errors,
                     peers_failed ? ", and a peer could not be loaded" : "");
        return 1;
    }
    return 0;
}
