#!/usr/bin/env bash
# The C call against the core's own JSON-text-to-SQL time (docs/performance.md, "C"):
#
#   bindings/c/bench/run.sh [WORKLOAD...]     (default: S M C W)
#
# Instructions per call with callgrind ((Ir with 2000 calls - Ir with 0 calls) / 2000) for
# the core (examples/core_loop.rs: Query::from_json + compile, output dropped), the C call
# (bench.c: fqb_compile + fqb_compiled_free, from C) and the shim at 100 % native
# (fqb_shim_build); then wall clock on M, the three interleaved 5 times, each the median of
# 200 batches. Release builds; the library is linked statically, as the core example is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fqb-target}"
out="$CARGO_TARGET_DIR/c-bench"
mkdir -p "$out"
cargo build -q --locked --release -p fraiseql-qb-c --example core_loop
cargo build -q --locked -p fqb-c-testgen
bindings/c/install.sh "$out/prefix" 2>/dev/null
export PKG_CONFIG_PATH="$out/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -O2 -g $(pkg-config --cflags fraiseql_qb) bindings/c/bench/bench.c -o "$out/bench" \
    "$out/prefix/lib/libfraiseql_qb.a" \
    $(pkg-config --static --libs-only-l fraiseql_qb | sed 's/-lfraiseql_qb//')
core="$CARGO_TARGET_DIR/release/examples/core_loop"
schema=tests/golden/schema.json

ir() { # ir CMD...: total instructions of CMD
    local f="$out/callgrind.out"
    valgrind --tool=callgrind --callgrind-out-file="$f" "$@" >/dev/null 2>&1
    callgrind_annotate "$f" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,
}
per_call() { # per_call CMD...: (Ir(CMD 2000) - Ir(CMD 0)) / 2000
    local a b
    a="$(ir "$@" 0)"
    b="$(ir "$@" 2000)"
    echo $(((b - a) / 2000))
}

printf '%-3s %9s %9s %9s %8s %9s\n' W core_Ir C_Ir shim_Ir C/core shim/core
for w in ${@:-S M C W}; do
    q="$out/$w.json"
    "$CARGO_TARGET_DIR/debug/fqb-c-testgen" workload "$w" "$q"
    c0="$(per_call "$core" "$schema" "$q")"
    c1="$(per_call "$out/bench" "$schema" "$q" compile)"
    c2="$(per_call "$out/bench" "$schema" "$q" shim)"
    awk -v w="$w" -v a="$c0" -v b="$c1" -v c="$c2" \
        'BEGIN { printf "%-3s %9d %9d %9d %7.3fx %8.3fx\n", w, a, b, c, b / a, c / a }'
done

echo
echo "wall clock on M, ns per call (median of 200 batches of 1000), 5 interleaved rounds:"
q="$out/M.json"
[ -f "$q" ] || "$CARGO_TARGET_DIR/debug/fqb-c-testgen" workload M "$q"
for round in 1 2 3 4 5; do
    echo "  $("$core" "$schema" "$q" 200000 wall) | $("$out/bench" "$schema" "$q" compile 200000 wall) | $("$out/bench" "$schema" "$q" shim 200000 wall)"
done
