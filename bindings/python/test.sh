#!/usr/bin/env bash
# Builds and installs the wheel (install.sh), then runs the pytest suite.
#
#   FQB_PG_URL=postgresql://... bindings/python/test.sh [pytest args...]
#
# The database tests need FQB_PG_URL (scripts/pg.sh start && eval "$(scripts/pg.sh env)");
# without it they fail, they never skip. Exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${FQB_VENV:-/var/tmp/fqb-venv}"
"$HERE/install.sh"
cd "$HERE"
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
