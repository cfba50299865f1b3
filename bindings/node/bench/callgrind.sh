#!/usr/bin/env bash
# Instruction counts per call (valgrind --tool=callgrind), stable on a noisy machine: the core
# (qb-bench-ns) and the Node methods of bench/methods.js. Each Node figure is
# (Ir with 2,000 calls - Ir with 0 calls) / 2,000, both after the same warm-up (loop.js,
# FQB_BENCH_WARMUP, default 20,000 calls), so start-up and JIT compilation cancel. About
# 35-90 s per valgrind run.
#
#   bindings/node/bench/callgrind.sh [W...] [-- METHOD...]      (default: M; schema shim knex kysely)
# Env: CARGO_TARGET_DIR (default /var/tmp/fqb-target), OUT (callgrind files, default a temp dir),
# FQB_NODE_FLAGS (default --single-threaded --hash-seed=1 --random-seed=1 --predictable-gc-schedule:
# a mark-compact inside the measured window otherwise adds ~17k Ir to one run and not the
# other (bindValues read 20,383 and 3,016 per call for the same code). V8 optimizes on the
# main thread; under valgrind, which runs one thread at a time, a concurrent TurboFan job can
# finish at any point, and the code then ran in its baseline tier for part of one run but not
# of the other: M moved between 35k and 46k Ir, C read 268k, Kysely 1.2M. The fixed seeds
# make start-up the same in both runs: with random ones, two runs of 0 calls differed by
# ~900k Ir, 460 Ir per call at 2,000 calls), FQB_BENCH_CALLS (default 2,000; 20,000 spreads
# what is left of that, and each run's share of garbage collection, over more calls).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-/var/tmp/fqb-target}"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/fqb-node-callgrind.XXXXXX")}"
mkdir -p "$OUT"
N="${FQB_BENCH_CALLS:-2000}"
workloads=(); methods=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do workloads+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
methods=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(M)
[ ${#methods[@]} -gt 0 ] || methods=(schema shim knex kysely)
(cd "$ROOT" && cargo build -q --release --locked -p qb-bench --bin qb-bench-ns)
"$HERE/../build.sh" >/dev/null
ir() { valgrind --tool=callgrind --callgrind-out-file="$OUT/$1" "${@:2}" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
echo "Ir per call (callgrind files in $OUT)"
for w in "${workloads[@]}"; do
    a=$(ir "core.$w.0" "$TARGET/release/qb-bench-ns" --workloads "$w" --run qb_core --iters 0)
    b=$(ir "core.$w.$N" "$TARGET/release/qb-bench-ns" --workloads "$w" --run qb_core --iters "$N")
    printf '%-22s %10d\n' "$w core" $(( (b - a) / N ))
    for m in "${methods[@]}"; do
        a=$(ir "node.$w.$m.0" node ${FQB_NODE_FLAGS---single-threaded --hash-seed=1 --random-seed=1 --predictable-gc-schedule} "$HERE/loop.js" "$w" "$m" 0)
        b=$(ir "node.$w.$m.$N" node ${FQB_NODE_FLAGS---single-threaded --hash-seed=1 --random-seed=1 --predictable-gc-schedule} "$HERE/loop.js" "$w" "$m" "$N")
        printf '%-22s %10d\n' "$w node $m" $(( (b - a) / N ))
    done
done
