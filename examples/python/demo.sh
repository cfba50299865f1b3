#!/usr/bin/env bash
# Runs examples/python/app.py end to end: its own PostgreSQL (port 54331, stopped at the end),
# the wheel built and installed by bindings/python/install.sh, half the traffic native, and
# every legacy call shadowed (both statements run read-only, their rows compared).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export FQB_PG_PORT="${FQB_DEMO_PG_PORT:-54331}" FQB_PG_STATE="${FQB_DEMO_PG_STATE:-/tmp/fqb-pg-demo.state}"
trap 'scripts/pg.sh stop >/dev/null 2>&1 || true' EXIT
scripts/pg.sh start >/dev/null
eval "$(scripts/pg.sh env)"
export FQB_PG_URL
bindings/python/install.sh
FRAISEQL_RUST_QB_PERCENTAGE="${FRAISEQL_RUST_QB_PERCENTAGE:-50}" \
FRAISEQL_RUST_QB_SHADOW_PERCENTAGE="${FRAISEQL_RUST_QB_SHADOW_PERCENTAGE:-100}" \
    "${FQB_VENV:-/var/tmp/fqb-venv}/bin/python" examples/python/app.py
