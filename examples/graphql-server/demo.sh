#!/usr/bin/env bash
# Runs examples/graphql-server/demo.py: its own PostgreSQL (port $FQB_DEMO_PG_PORT, default
# 54331, stopped at the end), the wheel built and installed by bindings/python/install.sh,
# the GraphQL server on a free port, one nested query, its one SQL statement and the response.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export FQB_PG_PORT="${FQB_DEMO_PG_PORT:-54331}" FQB_PG_STATE="${FQB_DEMO_PG_STATE:-/tmp/fqb-pg-demo.state}"
trap 'scripts/pg.sh stop >/dev/null 2>&1 || true' EXIT
scripts/pg.sh start >/dev/null
eval "$(scripts/pg.sh env)"
export FQB_PG_URL
bindings/python/install.sh
"${FQB_VENV:-/var/tmp/fqb-venv}/bin/python" examples/graphql-server/demo.py
