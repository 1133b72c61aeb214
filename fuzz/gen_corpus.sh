#!/usr/bin/env bash
# fuzz/gen_corpus.sh — (re)write the committed seed corpora fuzz/corpus/*/seed-*
# with fuzz_gen_corpus (fuzz/gen_corpus.c). Files a campaign merged in (named
# by their SHA-1) are kept. Environment: FUZZ_BUILD (default build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CC=${CC:-clang-14} CXX=${CXX:-clang++-14}
BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}
if [[ ! -f $BUILD/build.ninja ]]; then
    cmake -G Ninja -S "$ROOT/fuzz" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$BUILD" fuzz_gen_corpus >/dev/null
mkdir -p "$ROOT/fuzz/corpus"
find "$ROOT/fuzz/corpus" -type f -name 'seed-*' -delete
"$BUILD/fuzz_gen_corpus" "$ROOT/fuzz/corpus"
for d in "$ROOT"/fuzz/corpus/*/; do
    printf '%-10s %3d seeds\n' "$(basename "$d")" "$(find "$d" -name 'seed-*' | wc -l)"
done
