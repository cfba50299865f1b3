#!/usr/bin/env bash
# Runs every test: Rust (unit, integration, doc, golden corpus on PostgreSQL), the C binding
# (static, dynamic, valgrind, ASan), Python, and the bindings that exist. Starts its own PostgreSQL 15 (own port and state file, so a
# developer's server is left alone) and stops it at the end, pass or fail.
#
#   scripts/test.sh            (what `make test` and CI run)
#   FQB_SKIP_PYTHON=1 FQB_SKIP_NODE=1 FQB_SKIP_C=1 scripts/test.sh   (Rust only, for a quick
#   loop; CI never sets them)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fqb-target}"
export FQB_PG_PORT="${FQB_TEST_PG_PORT:-54330}"
export FQB_PG_STATE="${FQB_TEST_PG_STATE:-/tmp/fqb-pg-test.state}"

step() { printf '\n==> %s\n' "$*"; }
started=0
cleanup() { if [ "$started" = 1 ]; then scripts/pg.sh stop >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

step "PostgreSQL 15 (port $FQB_PG_PORT)"
scripts/pg.sh start
started=1
eval "$(scripts/pg.sh env)"
export FQB_PG_URL
export DATABASE_URL="$FQB_PG_URL"  # what the README's examples read

step "Rust: cargo test (workspace default members, incl. doctests and the golden corpus)"
cargo test --workspace --locked

if [ "${FQB_SKIP_C:-0}" != 1 ]; then
    step "C: bindings/c/test.sh (golden corpus, libpq, rollout; static, dynamic, valgrind, ASan)"
    bindings/c/test.sh
fi

if [ "${FQB_SKIP_PYTHON:-0}" != 1 ] && [ -x bindings/python/test.sh ]; then
    step "Python: bindings/python/test.sh"
    bindings/python/test.sh
fi
if [ "${FQB_SKIP_NODE:-0}" != 1 ] && [ -x bindings/node/test.sh ]; then
    step "Node: bindings/node/test.sh"
    bindings/node/test.sh
fi
step "all test suites passed"
