#!/usr/bin/env bash
# cli/bench_cli.sh — benchmark of the e2ecrypt command-line tool itself (the
# README's "CLI benchmark" table).
#
#   cli/bench_cli.sh [BUILD_DIR]      (default: build; uses BUILD_DIR/e2ecrypt)
#
#  1. e2ecrypt gen: 1,000,000 records, 64-byte payloads, every suite mixed
#     (continuous-rotation CCM and CCM_8, automatic CS1+HMAC and HMAC-only;
#     seed 5), written once as bare hex and once as {"id":N,"data":"..."}
#     lines - the same records and the same keyring.
#  2. The engine's batched throughput on those records: `e2ecrypt bench --keys
#     --in` (every record parsed and in memory first, then e2e_batch_run, 256
#     records per call, one thread; the best pass of a second's worth).
#  3. `e2ecrypt open --threads 1` and `--threads 2` on each file, results to
#     /dev/null. records/s is --stats' figure: from the first read to the last
#     write (parsing, key-set lookup, the engine, formatting, I/O), without
#     loading the keyring.
#  4. The seed's Python decode path (cli/bench/seed_decode.py, Debian's
#     python3-pycryptodome) on the first PY_RECORDS records of each file.
#  2-4 run in REPS interleaved rounds; each figure is the best of its rounds.
#  5. Peak RSS (/usr/bin/time -v) of `e2ecrypt open` and `e2ecrypt xor` on
#     ~100 MB and ~1 GB inputs (the hex records repeated: same keyring).
#
# Prints the table as markdown. The files live in a temporary directory under
# BENCH_DIR (default /dev/shm, a tmpfs: the timings are of the tool, not of a
# disk or of page-cache eviction; about 1.8 GB at the peak), removed at the end.
# Environment: REPS (default 3), PY_RECORDS (default 50000), PYTHON
# (default /usr/bin/python3), BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BIN=$(cd "$BUILD" && pwd)/e2ecrypt
REPS=${REPS:-3}
PY_RECORDS=${PY_RECORDS:-50000}
PYTHON=${PYTHON:-/usr/bin/python3}
SEED_PY=$PWD/cli/bench/seed_decode.py
[[ -x $BIN ]] || { echo "no $BIN: build first (cmake -G Ninja -S . -B $BUILD && ninja -C $BUILD)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
D=$(mktemp -d "${BENCH_DIR:-/dev/shm}/e2ecrypt-bench.XXXXXX")
trap 'rm -rf "$D"' EXIT
log() { printf '== %s\n' "$*" >&2; }

log "generating 1,000,000 records (64-byte payloads), hex and JSON, in $D"
"$BIN" gen --keys-out "$D/keys.ndjson" --records-out "$D/hex.txt" --count 1000000 \
    --payload-size 64 --format hex --seed 5 2>/dev/null
"$BIN" gen --keys-out "$D/keys2.ndjson" --records-out "$D/json.txt" --count 1000000 \
    --payload-size 64 --format json --seed 5 2>/dev/null
cmp -s "$D/keys.ndjson" "$D/keys2.ndjson" || { echo "gen: keyrings differ" >&2; exit 1; }
rm "$D/keys2.ndjson"
NKEYS=$(grep -c . "$D/keys.ndjson")

# The machine may be shared: each figure is the best of REPS rounds, and the
# rounds interleave the engine, the CLI runs and the Python path, so each gets
# the same chances of a quiet moment.

# engine_once: records/s of the best pass of `e2ecrypt bench --keys --in`
engine_once() {
    local line
    line=$("$BIN" bench --keys "$D/keys.ndjson" --in "$D/hex.txt" --seconds 1)
    grep -q "(1000000 ok" <<<"$line" || { echo "bench: $line" >&2; exit 1; }
    sed -n 's/.* \([0-9]*\) records\/s (e2e_batch_run.*/\1/p' <<<"$line"
}

# open_once FILE THREADS: "records/s cpu-seconds" of one run
open_once() {
    local line secs cpu
    line=$("$BIN" open --keys "$D/keys.ndjson" --in "$1" --out /dev/null --threads "$2" \
           --stats 2>&1 >/dev/null | grep '^e2ecrypt open:')
    grep -q " 1000000 records, 1000000 ok" <<<"$line" || { echo "open: $line" >&2; exit 1; }
    secs=$(sed -n 's/.*) in \([0-9.]*\) s, .*/\1/p' <<<"$line")
    cpu=$(sed -n 's/.*, cpu \([0-9.]*\) s;.*/\1/p' <<<"$line")
    echo "$(awk -v s="$secs" 'BEGIN { printf "%d", 1000000 / s }') $cpu"
}

# python_once FMT: records/s of the seed's path on the first PY_RECORDS records
python_once() {
    local line
    line=$("$PYTHON" "$SEED_PY" --keys "$D/keys.ndjson" --in "$D/$1.txt" \
           --limit "$PY_RECORDS" 2>&1 >/dev/null)
    grep -q "$PY_RECORDS records, $PY_RECORDS ok" <<<"$line" || { echo "python: $line" >&2; exit 1; }
    sed -n 's/.*, \([0-9]*\) records\/s/\1/p' <<<"$line"
}

declare -A RATE CPU PY
ENGINE=0
RATE=([hex1]=0 [hex2]=0 [json1]=0 [json2]=0)
PY=([hex]=0 [json]=0)
ENGINE_NAME=$("$BIN" --version | sed -n 's/.*engine: \([a-z0-9+]*\)).*/\1/p')
for round in $(seq "$REPS"); do
    log "round $round of $REPS: engine, open (hex, JSON; 1 and 2 threads), seed Python"
    r=$(engine_once)
    (( r > ENGINE )) && ENGINE=$r
    for fmt in hex json; do
        for t in 1 2; do
            read -r r c < <(open_once "$D/$fmt.txt" "$t")
            if (( r > ${RATE[$fmt$t]} )); then RATE[$fmt$t]=$r; CPU[$fmt$t]=$c; fi
        done
        r=$(python_once "$fmt")
        (( r > ${PY[$fmt]} )) && PY[$fmt]=$r
    done
done

log "peak RSS on ~100 MB and ~1 GB inputs"
HEXLINES=$(wc -l <"$D/hex.txt")
head -n $((HEXLINES * 100 / 187)) "$D/hex.txt" >"$D/100m.txt"
{ for _ in 1 2 3 4 5; do cat "$D/hex.txt"; done; head -n $((HEXLINES * 65 / 187)) "$D/hex.txt"; } >"$D/1g.txt"
XKEY=$(head -c 24 "$D/hex.txt")
declare -A RSS
for f in 100m 1g; do
    for t in 1 2; do
        RSS[open$f$t]=$(/usr/bin/time -f '%M' "$BIN" open --keys "$D/keys.ndjson" --in "$D/$f.txt" \
                        --out /dev/null --threads "$t" 2>&1 >/dev/null | tail -1)
        RSS[xor$f$t]=$( { /usr/bin/time -f '%M' "$BIN" xor --key "$XKEY" --in "$D/$f.txt" \
                          --out /dev/null --threads "$t" 2>&1 >/dev/null || true; } | tail -1)
    done
done
SIZE100=$(du -m "$D/100m.txt" | cut -f1)
SIZE1G=$(du -m "$D/1g.txt" | cut -f1)

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
times() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0fx", a / b }'; }
mrate() { awk -v a="$1" 'BEGIN { printf "%.2f M", a / 1e6 }'; }
mib() { awk -v a="$1" 'BEGIN { printf "%.0f MiB", a / 1024 }'; }

cat <<EOF

Measured $(date -u +%Y-%m-%d) on $(lscpu | sed -n 's/^Model name: *//p' | head -1) ($(nproc) CPUs),
engine \`$ENGINE_NAME\`, 1,000,000 records of 64-byte payloads (every suite mixed), keyring
of $NKEYS key sets; input files on tmpfs, results to /dev/null. Command:
\`REPS=$REPS cli/bench_cli.sh $BUILD\`.

| input | what | records/s | vs engine batched | vs seed Python |
|---|---|---:|---:|---:|
| hex | engine batched (\`e2ecrypt bench --keys --in\`, 1 thread) | $(mrate "$ENGINE") | 100% | $(times "$ENGINE" "${PY[hex]}") |
| hex | \`e2ecrypt open --threads 1\` | $(mrate "${RATE[hex1]}") | $(pct "${RATE[hex1]}" "$ENGINE") | $(times "${RATE[hex1]}" "${PY[hex]}") |
| hex | \`e2ecrypt open --threads 2\` | $(mrate "${RATE[hex2]}") | $(pct "${RATE[hex2]}" "$ENGINE") | $(times "${RATE[hex2]}" "${PY[hex]}") |
| hex | seed Python (\`cli/bench/seed_decode.py\`, first $PY_RECORDS records) | $(awk -v a="${PY[hex]}" 'BEGIN { printf "%.1f k", a / 1e3 }') | $(pct "${PY[hex]}" "$ENGINE") | 1x |
| JSON | \`e2ecrypt open --threads 1\` | $(mrate "${RATE[json1]}") | $(pct "${RATE[json1]}" "$ENGINE") | $(times "${RATE[json1]}" "${PY[json]}") |
| JSON | \`e2ecrypt open --threads 2\` | $(mrate "${RATE[json2]}") | $(pct "${RATE[json2]}" "$ENGINE") | $(times "${RATE[json2]}" "${PY[json]}") |
| JSON | seed Python (\`cli/bench/seed_decode.py\`, first $PY_RECORDS records) | $(awk -v a="${PY[json]}" 'BEGIN { printf "%.1f k", a / 1e3 }') | $(pct "${PY[json]}" "$ENGINE") | 1x |

CPU seconds of the best \`open\` runs (all threads): hex ${CPU[hex1]} s (1 thread), ${CPU[hex2]} s (2);
JSON ${CPU[json1]} s (1 thread), ${CPU[json2]} s (2).

| peak RSS (\`/usr/bin/time\`) | ${SIZE100} MB input, 1 thread | 2 threads | ${SIZE1G} MB input, 1 thread | 2 threads |
|---|---:|---:|---:|---:|
| \`e2ecrypt open\` (keyring of $NKEYS key sets loaded) | $(mib "${RSS[open100m1]}") | $(mib "${RSS[open100m2]}") | $(mib "${RSS[open1g1]}") | $(mib "${RSS[open1g2]}") |
| \`e2ecrypt xor\` (the pipeline alone) | $(mib "${RSS[xor100m1]}") | $(mib "${RSS[xor100m2]}") | $(mib "${RSS[xor1g1]}") | $(mib "${RSS[xor1g2]}") |
EOF
