#!/usr/bin/env bash
# fuzz/ci.sh — the fuzzing CI job: build every fuzz target with clang-14,
# replay each target's committed corpus and regression inputs, then fuzz each
# for a short fixed time. Exits non-zero on any crash, leak, sanitizer report
# or failed property.
#
#   fuzz/ci.sh [--seconds N] [--targeted]
#     N: fuzzing seconds per target (default 10); --targeted also replays
#     fuzz/targeted/ (slow inputs, e.g. CCM with 4 GiB of AAD: ~20 s)
#
# Environment: FUZZ_BUILD (default build-fuzz), CC / CXX (default clang-14).
# Needs: clang-14 libclang-rt-14-dev llvm-14 cmake ninja-build pkg-config
#        libssl-dev android-libboringssl-dev libjansson-dev.
# The committed corpora are read, never written (new inputs go to a
# temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ALL=(cs1 xor ki open ccm batch keyring records)
SECS=10
TARGETED=0
while (($#)); do
    case $1 in
        --seconds) SECS=$2; shift 2 ;;
        --targeted) TARGETED=1; shift ;;
        *) echo "usage: fuzz/ci.sh [--seconds N] [--targeted]" >&2; exit 2 ;;
    esac
done
export CC=${CC:-clang-14} CXX=${CXX:-clang++-14}
BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}
log() { printf '== %s\n' "$*" >&2; }

log "building fuzz targets ($CC) in $BUILD"
if [[ ! -f $BUILD/build.ninja ]]; then
    cmake -G Ninja -S "$ROOT/fuzz" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$BUILD" >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=()
for t in "${ALL[@]}"; do
    dirs=("$ROOT/fuzz/corpus/$t")
    [[ -d $ROOT/fuzz/regressions/$t ]] && dirs+=("$ROOT/fuzz/regressions/$t")
    dict=()
    [[ -f $ROOT/fuzz/dict/$t.dict ]] && dict=(-dict="$ROOT/fuzz/dict/$t.dict")
    mkdir -p "$tmp/$t/new"
    nin=$(find "${dirs[@]}" -type f | wc -l)
    replay=("${dirs[@]}")
    ((TARGETED)) && [[ -d $ROOT/fuzz/targeted/$t ]] && replay+=("$ROOT/fuzz/targeted/$t")
    # 1. replay: every committed input once
    if ! E2E_FUZZ_TARGETED=$TARGETED "$BUILD/fuzz_$t" -runs=0 -timeout=300 \
            -artifact_prefix="$tmp/$t/" "${replay[@]}" >"$tmp/$t/replay.log" 2>&1; then
        tail -40 "$tmp/$t/replay.log" >&2
        failed+=("$t (replay)")
        continue
    fi
    # 2. a short fuzzing run from the same inputs
    if ! "$BUILD/fuzz_$t" -max_total_time="$SECS" -timeout=30 -rss_limit_mb=2048 \
            -artifact_prefix="$tmp/$t/" "${dict[@]}" "$tmp/$t/new" "${dirs[@]}" \
            >"$tmp/$t/fuzz.log" 2>&1; then
        tail -40 "$tmp/$t/fuzz.log" >&2
        for a in "$tmp/$t"/crash-* "$tmp/$t"/leak-* "$tmp/$t"/timeout-* "$tmp/$t"/oom-*; do
            [[ -f $a ]] && { mkdir -p "$BUILD/ci-artifacts/$t"; cp "$a" "$BUILD/ci-artifacts/$t/"; }
        done
        failed+=("$t (fuzzing; artifacts in $BUILD/ci-artifacts/$t)")
        continue
    fi
    runs=$(grep -Eo '^#[0-9]+' "$tmp/$t/fuzz.log" | tail -1 | tr -d '#' || true)
    log "fuzz_$t: $nin inputs replayed, ${runs:-?} executions in ${SECS}s: ok"
done
if ((${#failed[@]})); then
    printf 'FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
log "all ${#ALL[@]} fuzz targets passed"
