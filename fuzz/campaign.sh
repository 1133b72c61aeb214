#!/usr/bin/env bash
# fuzz/campaign.sh — run a fuzzing campaign, merge the corpora, report coverage.
#
#   fuzz/campaign.sh [options] TARGET... | all
#     --seconds N      wall seconds per target (default 300)
#     --cpu-seconds C  keep going (in further runs of about the missing time)
#                      until the target has had C CPU-seconds: on a shared
#                      machine wall time x workers overstates what ran
#     --jobs J         libFuzzer -fork=J workers per target (default: nproc)
#     --no-merge       leave fuzz/corpus/ alone
#     --no-coverage    skip the coverage build and report
#     --coverage-only  only rebuild the coverage report from the corpora
#
#   Targets: cs1 xor ki open ccm batch keyring records.
#
# For each target, in turn: fuzz_TARGET -fork=J -max_total_time=N over a
# scratch corpus seeded from fuzz/corpus/TARGET and fuzz/regressions/TARGET
# (crashes are collected, not fatal, so one finding does not end the run);
# then -merge=1 -use_counters=0 into a fresh directory that starts with the
# committed seed-* files, so only inputs adding an edge are kept (hit-count
# buckets are not kept: the committed corpus stays small; the full corpus
# stays in $FUZZ_WORK), and that replaces fuzz/corpus/TARGET. CPU time (user + sys of the whole process tree) and
# executions are logged per target in $FUZZ_WORK/summary.txt.
#
# Coverage: a second build with -fprofile-instr-generate -fcoverage-mapping
# (E2E_FUZZ_COVERAGE=ON) replays every target's corpus, regressions and
# targeted inputs (fuzz/targeted/: too slow to fuzz, e.g. CCM's 4 GiB AAD);
# llvm-cov-14 writes fuzz/coverage/summary.txt (committed), the uncovered
# lines of engine/ (fuzz/coverage/uncovered.txt, committed) and an HTML
# report in fuzz/coverage/html/ (not committed).
#
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_COV_BUILD (default
# build-fuzz-cov), FUZZ_WORK (default $FUZZ_BUILD/campaign), CC (clang-14).
# Exit status: 0, or 1 when a target crashed (artifacts listed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ALL=(cs1 xor ki open ccm batch keyring records)

SECONDS_PER=300
CPU_TARGET=0
JOBS=$(nproc 2>/dev/null || echo 2)
MERGE=1
COVERAGE=1
FUZZ=1
TARGETS=()
while (($#)); do
    case $1 in
        --seconds) SECONDS_PER=$2; shift 2 ;;
        --cpu-seconds) CPU_TARGET=$2; shift 2 ;;
        --jobs) JOBS=$2; shift 2 ;;
        --no-merge) MERGE=0; shift ;;
        --no-coverage) COVERAGE=0; shift ;;
        --coverage-only) FUZZ=0; MERGE=0; shift ;;
        all) TARGETS+=("${ALL[@]}"); shift ;;
        -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) TARGETS+=("$1"); shift ;;
    esac
done
if ((FUZZ)) && ((${#TARGETS[@]} == 0)); then
    echo "usage: fuzz/campaign.sh [--seconds N] [--jobs J] TARGET... | all" >&2
    exit 2
fi
for t in "${TARGETS[@]}"; do
    [[ " ${ALL[*]} " == *" $t "* ]] || { echo "unknown target $t" >&2; exit 2; }
done

export CC=${CC:-clang-14} CXX=${CXX:-clang++-14}
BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}
COV=${FUZZ_COV_BUILD:-$ROOT/build-fuzz-cov}
WORK=${FUZZ_WORK:-$BUILD/campaign}
log() { printf '== %s\n' "$*" >&2; }

# engine_rev: the commit the engine sources are at (a tree exported with git
# archive carries it in SNAPSHOT_COMMIT), "+ local changes" when they differ.
engine_rev() {
    local rev
    if rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); then
        git -C "$ROOT" diff --quiet HEAD -- engine simd 2>/dev/null || rev="$rev + local changes"
    else
        rev=$(cut -c1-7 "$ROOT/SNAPSHOT_COMMIT" 2>/dev/null || echo '?')
    fi
    echo "$rev"
}

build() {  # build DIR [cmake args...]
    local dir=$1; shift
    if [[ ! -f $dir/build.ninja ]]; then
        cmake -G Ninja -S "$ROOT/fuzz" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    fi
    ninja -C "$dir" >/dev/null
}

dict_for() {
    [[ -f $ROOT/fuzz/dict/$1.dict ]] && echo "-dict=$ROOT/fuzz/dict/$1.dict" || true
}

crashed=()
if ((FUZZ)); then
    log "building the fuzz targets in $BUILD"
    build "$BUILD"
    mkdir -p "$WORK" "$ROOT/fuzz/coverage"
    : >>"$WORK/summary.txt"
    for t in "${TARGETS[@]}"; do
        w=$WORK/$t
        rm -rf "$w/corpus" "$w/artifacts" "$w/merged"
        mkdir -p "$w/corpus" "$w/artifacts" "$ROOT/fuzz/corpus/$t"
        cp "$ROOT"/fuzz/corpus/"$t"/* "$w/corpus/" 2>/dev/null || true
        extra=()
        [[ -d $ROOT/fuzz/regressions/$t ]] && extra+=("$ROOT/fuzz/regressions/$t")
        cpu_total=0 wall_total=0 runs_total=0 secs=$SECONDS_PER round=0
        while :; do
            round=$((round + 1))
            log "fuzz_$t: run $round, $secs s on $JOBS workers"
            start=$(date +%s)
            # shellcheck disable=SC2046
            /usr/bin/time -f '%U %S' -o "$w/cputime" \
                "$BUILD/fuzz_$t" -fork="$JOBS" -max_total_time="$secs" \
                -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -timeout=30 -rss_limit_mb=2048 \
                -artifact_prefix="$w/artifacts/" $(dict_for "$t") \
                "$w/corpus" "${extra[@]}" >"$w/log.$round" 2>&1 || true
            end=$(date +%s)
            read -r u s <"$w/cputime" || { u=0; s=0; }
            runs=$(grep -Eo '^#[0-9]+' "$w/log.$round" | tail -1 | tr -d '#' || true)
            cpu_total=$(awk -v a="$cpu_total" -v u="$u" -v s="$s" 'BEGIN { print a + u + s }')
            wall_total=$((wall_total + end - start))
            runs_total=$((runs_total + ${runs:-0}))
            missing=$(awk -v c="$cpu_total" -v t="$CPU_TARGET" -v j="$JOBS" \
                'BEGIN { m = t - c; print (m <= 0) ? 0 : int(m / j * 1.25) + 30 }')
            ((missing > 0)) || break
            secs=$missing
        done
        ncrash=$(find "$w/artifacts" -type f | wc -l)
        ((ncrash == 0)) || crashed+=("$t: $ncrash artifact(s) in $w/artifacts")
        line=$(printf '%s  %-8s wall %5ss  cpu %7.1fs  execs %s  runs %s  crashes %s  jobs %s  commit %s' \
            "$(date -u +%FT%TZ)" "$t" "$wall_total" "$cpu_total" "$runs_total" "$round" \
            "$ncrash" "$JOBS" "$(engine_rev)")
        echo "$line" | tee -a "$WORK/summary.txt" "$ROOT/fuzz/coverage/campaigns.txt" >&2
        if ((MERGE)); then
            m=$w/merged
            mkdir -p "$m"
            cp "$ROOT"/fuzz/corpus/"$t"/seed-* "$m/" 2>/dev/null || true
            before=$(find "$ROOT/fuzz/corpus/$t" -type f | wc -l)
            "$BUILD/fuzz_$t" -merge=1 -use_counters=0 -timeout=30 -rss_limit_mb=2048 "$m" \
                "$ROOT/fuzz/corpus/$t" "$w/corpus" >"$w/merge.log" 2>&1
            rm -f "$ROOT"/fuzz/corpus/"$t"/*
            cp "$m"/* "$ROOT/fuzz/corpus/$t/"
            after=$(find "$ROOT/fuzz/corpus/$t" -type f | wc -l)
            log "fuzz/corpus/$t: $before -> $after files"
        fi
    done
fi

if ((COVERAGE)); then
    log "coverage build in $COV"
    build "$COV" -DE2E_FUZZ_COVERAGE=ON
    prof=$COV/profiles
    rm -rf "$prof"
    mkdir -p "$prof"
    objs=()
    for t in "${ALL[@]}"; do
        dirs=("$ROOT/fuzz/corpus/$t")
        [[ -d $ROOT/fuzz/regressions/$t ]] && dirs+=("$ROOT/fuzz/regressions/$t")
        [[ -d $ROOT/fuzz/targeted/$t ]] && dirs+=("$ROOT/fuzz/targeted/$t")
        E2E_FUZZ_TARGETED=1 LLVM_PROFILE_FILE="$prof/$t-%p.profraw" "$COV/fuzz_$t" -runs=0 -timeout=300 \
            "${dirs[@]}" >"$prof/$t.log" 2>&1 || { echo "coverage replay of $t failed" >&2; exit 1; }
        if ((${#objs[@]} == 0)); then objs+=("$COV/fuzz_$t"); else objs+=(-object "$COV/fuzz_$t"); fi
    done
    llvm-profdata-14 merge -sparse "$prof"/*.profraw -o "$prof/all.profdata"
    out=$ROOT/fuzz/coverage
    mkdir -p "$out"
    srcs=("$ROOT"/engine/*.c "$ROOT"/simd/*.c)
    {
        echo "# llvm-cov line coverage of engine/ and simd/ by the fuzz corpora"
        echo "# (fuzz/corpus + fuzz/regressions + fuzz/targeted replayed by the"
        echo "# E2E_FUZZ_COVERAGE build),"
        echo "# written by fuzz/campaign.sh on $(date -u +%F) on $(uname -m) ($(
            grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || echo '?'))."
        echo "# Engine at commit $(engine_rev)."
        echo "# Kernels this CPU cannot run are not executed and show as uncovered."
        echo
        printf '%-28s %9s %9s %8s\n' File Lines Missed Cover
        llvm-cov-14 report -instr-profile "$prof/all.profdata" "${objs[@]}" \
            -show-region-summary=false -show-branch-summary=false "${srcs[@]}" |
            sed "s|$ROOT/||g" |
            awk 'NF == 7 && $1 != "Filename" { printf "%-28s %9s %9s %8s\n", $1, $5, $6, $7 }'
    } >"$out/summary.txt"
    # Uncovered lines (count 0) of engine/ and simd/, file by file.
    llvm-cov-14 show -instr-profile "$prof/all.profdata" "${objs[@]}" "${srcs[@]}" \
        -show-line-counts -use-color=false |
        awk -v root="$ROOT/" '
            /^\/.*:$/ { file = $0; sub(":$", "", file); sub(root, "", file); next }
            /^ *[0-9]+\| *0\|/ { split($0, a, "|"); gsub(/ /, "", a[1]);
                                 txt = $0; sub(/^[^|]*\|[^|]*\|/, "", txt);
                                 printf "%s:%s:%s\n", file, a[1], txt }' >"$out/uncovered.txt"
    rm -rf "$out/html"
    llvm-cov-14 show -format=html -output-dir="$out/html" -instr-profile "$prof/all.profdata" \
        "${objs[@]}" "${srcs[@]}" >/dev/null
    log "coverage: $out/summary.txt, $out/uncovered.txt ($(wc -l <"$out/uncovered.txt") lines), $out/html/index.html"
    cat "$out/summary.txt" >&2
fi

if ((${#crashed[@]})); then
    printf 'CRASHES:\n' >&2
    printf '  %s\n' "${crashed[@]}" >&2
    exit 1
fi
