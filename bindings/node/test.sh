#!/usr/bin/env bash
# Builds the addon (build.sh: cargo, release), makes sure node_modules matches the lock
# (scripts/setup.sh node), and runs the Node suite with node's built-in test runner.
#
#   FQB_PG_URL=postgresql://... bindings/node/test.sh [test files...]
#
# The database tests need FQB_PG_URL (scripts/pg.sh start && eval "$(scripts/pg.sh env)");
# without it they fail, they never skip. FQB_NODE_WORKER_CALLS sets the calls per worker
# thread of the concurrency test (default 100,000).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
"$ROOT/scripts/setup.sh" node
start=$(date +%s)
"$HERE/build.sh" >/dev/null
echo "node/test.sh: addon built in $(( $(date +%s) - start )) s" >&2
cd "$HERE"
if [ "$#" -eq 0 ]; then set -- test/; fi
node --test "$@"
