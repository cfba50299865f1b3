#!/usr/bin/env bash
# Runs examples/c/app end to end: installs libfraiseql_qb (release) into a scratch prefix,
# builds the example with its Makefile through pkg-config, starts its own PostgreSQL
# (FQB_DEMO_PG_PORT, stopped at the end) and runs it with half the traffic native.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fqb-target}"
export FQB_PG_PORT="${FQB_DEMO_PG_PORT:-54331}" FQB_PG_STATE="${FQB_DEMO_PG_STATE:-/tmp/fqb-pg-demo.state}"
out="$CARGO_TARGET_DIR/c-demo"
mkdir -p "$out"
bindings/c/install.sh "$out/prefix"
PKG_CONFIG_PATH="$out/prefix/lib/pkgconfig" make -s -C examples/c OUT="$out"
trap 'scripts/pg.sh stop >/dev/null 2>&1 || true' EXIT
scripts/pg.sh start >/dev/null
eval "$(scripts/pg.sh env)"
FRAISEQL_RUST_QB_PERCENTAGE="${FRAISEQL_RUST_QB_PERCENTAGE:-50}" \
    "$out/app" "$FQB_PG_URL" tests/golden/schema.json examples/queries/01_active_users.json
