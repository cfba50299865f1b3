#!/usr/bin/env bash
# Instruction counts per call (valgrind --tool=callgrind), stable on a noisy machine:
# qb-core, sea-query (full build and render only) through qb-bench-ns, and the Python binding
# (_native.compile with a Schema, the rollout shim; M also with a dict schema, through the
# public fraiseql_qb.compile, and the shim's legacy route). Each figure is
# (Ir with N calls - Ir with 0 calls) / N.
#
#   bindings/python/bench/callgrind.sh            # N=1000; about 5 minutes
# Env: CARGO_TARGET_DIR (default /var/tmp/fqb-target), FQB_VENV (default /var/tmp/fqb-venv),
#      N (calls), OUT (callgrind files, default a temp dir, kept for callgrind_annotate).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-/var/tmp/fqb-target}"
PY="${FQB_VENV:-/var/tmp/fqb-venv}/bin/python"
N="${N:-1000}"
export PYTHONHASHSEED=0  # dict order and hashing identical across the runs
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/fqb-callgrind.XXXXXX")}"
BIN="$TARGET/release/qb-bench-ns"
cargo build -q --release -p qb-bench --bin qb-bench-ns

ir() { # name command... -> Ir collected
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$1" "${@:2}" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per_call() { # label name0 name1 cmd-with-N-placeholder...
    local label=$1 a b
    a=$(ir "$2.0" "${@:3}" 0)
    b=$(ir "$2.$N" "${@:3}" "$N")
    printf '%-34s %10d\n' "$label" $(( (b - a) / N ))
}
echo "Ir per call (N=$N; callgrind files in $OUT)"
for w in S M C W; do
    for m in qb_core sea_query sea_query_render; do
        per_call "$w rust $m" "rs.$w.$m" "$BIN" --workloads "$w" --run "$m" --iters
    done
    for mode in schema shim; do
        per_call "$w python $mode" "py.$w.$mode" \
            "$PY" bindings/python/bench/profile_binding.py "$w" "$mode"
    done
done
for mode in dict public legacy; do
    per_call "M python $mode" "py.M.$mode" \
        "$PY" bindings/python/bench/profile_binding.py M "$mode"
done
