#!/usr/bin/env bash
# bench/run_bench.sh — build e2ecrypt_bench (Release), run the whole suite on
# one core, keep the JSON, draw the plots and refresh README.md's table.
#
#   bench/run_bench.sh [--reps N] [--min-time S] [--filter REGEX] [--cpu N]
#                      [--out DIR] [--no-readme] [--no-build]
#
#   --reps N        repetitions per row; the report uses their median (default 5)
#   --min-time S    seconds per repetition (default 0.2; with 363 rows the
#                   default run takes 8-14 minutes, more on a busy machine)
#   --filter REGEX  only rows matching (Google Benchmark --benchmark_filter)
#   --cpu N         the core to pin to with taskset (default 1, else 0)
#   --out DIR       where JSON, PNGs and latest.md go (default bench/results)
#   --no-readme     do not touch README.md (the table still goes to latest.md)
#   --no-build      use the existing build
#
# Environment: BUILD_DIR (default build), CMAKE_ARGS (extra configure
# arguments, e.g. "-DE2E_TESTS=OFF"), PYTHON (default /usr/bin/python3:
# Debian's python3-matplotlib is installed for that interpreter).
# Writes DIR/<date>.json and DIR/latest.json, DIR/<workload>.png, DIR/latest.md,
# and the table between <!-- bench:begin --> and <!-- bench:end --> in README.md.
# Exits non-zero if a row failed its output cross-check.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

REPS=5
MIN_TIME=0.2
FILTER=
CPU=
OUT=bench/results
README=1
BUILD=1
BUILD_DIR=${BUILD_DIR:-build}
PYTHON=${PYTHON:-/usr/bin/python3}

while (($#)); do
    case $1 in
    --reps) REPS=$2; shift 2 ;;
    --min-time) MIN_TIME=$2; shift 2 ;;
    --filter) FILTER=$2; shift 2 ;;
    --cpu) CPU=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --no-readme) README=0; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run_bench.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done

log() { printf '== %s\n' "$*" >&2; }
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR

# ---------------------------------------------------------------- build
# The top-level CMakeLists adds bench/ (option E2E_BENCH). Until it does, a
# small wrapper project in the build directory adds both.
BIN=$BUILD_DIR
if ((BUILD)); then
    command -v cmake >/dev/null || { echo "run_bench.sh: needs cmake" >&2; exit 2; }
    gen=()
    if grep -Eq 'add_subdirectory\((bench|\$\{?[A-Z_]*\}?/?bench)' CMakeLists.txt; then
        src=$ROOT
    else
        log "top-level CMakeLists.txt does not add bench/ yet: using a wrapper project"
        src=$BUILD_DIR/bench-wrapper
        BIN=$BUILD_DIR/bench-build
        mkdir -p "$src"
        cat >"$src/CMakeLists.txt.new" <<EOF
cmake_minimum_required(VERSION 3.20)
project(e2ecrypt_bench_wrapper C CXX)
set(E2E_TESTS OFF CACHE BOOL "" FORCE)
set(E2E_CLI OFF CACHE BOOL "" FORCE)
add_subdirectory($ROOT e2e)
add_subdirectory($ROOT/bench bench)
EOF
        cmp -s "$src/CMakeLists.txt.new" "$src/CMakeLists.txt" 2>/dev/null ||
            mv "$src/CMakeLists.txt.new" "$src/CMakeLists.txt"
        rm -f "$src/CMakeLists.txt.new"
    fi
    if [[ ! -f $BIN/CMakeCache.txt ]] && command -v ninja >/dev/null; then
        gen=(-G Ninja)
    fi
    log "configuring and building e2ecrypt_bench (Release) in $BIN"
    # shellcheck disable=SC2086 # CMAKE_ARGS is a list of arguments
    cmake "${gen[@]}" -S "$src" -B "$BIN" -DCMAKE_BUILD_TYPE=Release -DE2E_BENCH=ON \
        ${CMAKE_ARGS:-} >/dev/null
    cmake --build "$BIN" --target e2ecrypt_bench -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
elif [[ ! -x $BIN/e2ecrypt_bench && -x $BUILD_DIR/bench-build/e2ecrypt_bench ]]; then
    BIN=$BUILD_DIR/bench-build
fi
EXE=$BIN/e2ecrypt_bench
[[ -x $EXE ]] || { echo "run_bench.sh: $EXE not built" >&2; exit 2; }

# ---------------------------------------------------------------- run
ncpu=$(nproc 2>/dev/null || echo 1)
[[ -n $CPU ]] || { ((ncpu > 1)) && CPU=1 || CPU=0; }
pin=()
if command -v taskset >/dev/null; then
    pin=(taskset -c "$CPU")
else
    log "taskset missing (util-linux): running unpinned"
fi
mkdir -p "$OUT"
stamp=$(date +%Y-%m-%d_%H%M%S)
json=$OUT/$stamp.json
args=(--benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true
      --benchmark_min_time="$MIN_TIME" --benchmark_out="$json"
      --benchmark_out_format=json --benchmark_color=false)
[[ -n $FILTER ]] && args+=(--benchmark_filter="$FILTER")
command_line="bench/run_bench.sh --reps $REPS --min-time $MIN_TIME${FILTER:+ --filter '$FILTER'} (pinned: taskset -c $CPU)"
log "running ${pin[*]} $EXE ${args[*]}"
rc=0
"${pin[@]}" "$EXE" "${args[@]}" || rc=$?
[[ -s $json ]] || { echo "run_bench.sh: no JSON written" >&2; exit 1; }
cp "$json" "$OUT/latest.json"
log "results: $json (and $OUT/latest.json)"

# ---------------------------------------------------------------- plots, table
readme_args=()
((README)) && readme_args=(--readme README.md)
if ! "$PYTHON" -c 'import matplotlib' 2>/dev/null; then
    log "$PYTHON has no matplotlib (apt-get install python3-matplotlib): table only"
fi
prc=0
"$PYTHON" bench/plot.py "$json" --out "$OUT" --command "$command_line" "${readme_args[@]}" || prc=$?
if ((rc != 0)); then
    echo "run_bench.sh: e2ecrypt_bench failed (exit $rc): a row failed its cross-check" >&2
    exit "$rc"
fi
exit "$prc"
