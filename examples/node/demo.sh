#!/usr/bin/env bash
# Runs examples/node/app.js end to end: its own PostgreSQL (FQB_DEMO_PG_PORT, stopped at the
# end), the addon built by bindings/node/build.sh, half the traffic native.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export FQB_PG_PORT="${FQB_DEMO_PG_PORT:-54331}" FQB_PG_STATE="${FQB_DEMO_PG_STATE:-/tmp/fqb-pg-demo.state}"
trap 'scripts/pg.sh stop >/dev/null 2>&1 || true' EXIT
scripts/pg.sh start >/dev/null
eval "$(scripts/pg.sh env)"
export FQB_PG_URL
scripts/setup.sh node
bindings/node/build.sh >/dev/null
# pg and prom-client come from the package's dev dependencies (installed by setup.sh node).
NODE_PATH="$PWD/bindings/node/node_modules" \
    FRAISEQL_RUST_QB_PERCENTAGE="${FRAISEQL_RUST_QB_PERCENTAGE:-50}" node examples/node/app.js
