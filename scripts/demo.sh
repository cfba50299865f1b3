#!/usr/bin/env bash
# The main job, end to end: compile the example queries with the `qb` CLI (SQL + typed
# params), show a rejected query's error, run a C program on the installed libfraiseql_qb
# with libpq, then route example queries through the rollout shim (legacy builder vs native
# compiler) on a real PostgreSQL and print the rollout metrics, and serve a GraphQL query from
# one SQL statement (examples/graphql-server).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fqb-target}"

echo "==> qb: example queries against tests/golden/schema.json"
cargo run -q --locked -p qb-cli -- --schema tests/golden/schema.json examples/queries/*.json

echo "==> qb: an invalid query is rejected with a code and the path of the offending node"
if cargo run -q --locked -p qb-cli -- --schema tests/golden/schema.json examples/invalid/*.json; then
    echo "demo: the invalid example compiled, which it must not" >&2
    exit 1
fi

echo "==> C: a libpq program linking the installed libfraiseql_qb (pkg-config), with the rollout shim"
examples/c/demo.sh

if [ -x examples/python/demo.sh ]; then
    echo "==> rollout: a psycopg application moving from its legacy builder to the native one"
    examples/python/demo.sh
fi

if [ -x examples/graphql-server/demo.sh ]; then
    echo "==> GraphQL: an HTTP endpoint (graphql-core) answering a nested query from one SQL statement"
    examples/graphql-server/demo.sh
fi

if [ -x examples/node/demo.sh ]; then
    echo "==> rollout: a node-postgres application moving from its legacy builder to the native one"
    examples/node/demo.sh
fi
