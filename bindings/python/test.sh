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
WHEEL_DIR="$(mktemp -d "${TMPDIR:-/tmp}/fqb-wheel-test.XXXXXX")"
trap 'rm -rf -- "$WHEEL_DIR"' EXIT
"$HERE/install.sh"
cd "$HERE"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests "$@"

# The package under the oldest CPython it claims (3.10) and the newest one here, each with
# its own wheel (a wheel is built per CPython version).
# FQB_OTHER_PYTHONS (interpreter paths, space-separated) overrides the discovery below;
# set it to "none" to skip.
others="${FQB_OTHER_PYTHONS:-}"
if [ -z "$others" ] && command -v pyenv >/dev/null 2>&1; then
    root="$(pyenv root)"
    for pattern in '3.10.*' '3.13.*'; do
        found="$(ls -d "$root"/versions/$pattern 2>/dev/null | sort -V | tail -n 1)"
        [ -n "$found" ] && [ -x "$found/bin/python" ] && others="$others $found/bin/python"
    done
fi
if [ -z "$others" ]; then
    echo "python/test.sh: no other CPython found (pyenv 3.10/3.13); only $("$VENV/bin/python" -V) was tested" >&2
elif [ "$others" != "none" ]; then
    for py in $others; do
        ver="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
        venv="${VENV}-py$ver"
        [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
        "$venv/bin/python" -c 'import pytest, psycopg, asyncpg, prometheus_client, sqlalchemy, graphql' \
            2>/dev/null \
            || "$venv/bin/python" -m pip install -q --disable-pip-version-check pytest \
                "psycopg[binary]>=3.2" "asyncpg>=0.29" "prometheus-client>=0.17" "sqlalchemy>=2" \
                "graphql-core>=3.3.2,<3.4"
        out="$WHEEL_DIR/py$ver"
        "$VENV/bin/maturin" build --release --quiet -i "$py" \
            -m "$HERE/Cargo.toml" --target-dir "${FQB_PY_TARGET:-/var/tmp/fqb-target-py}" \
            -o "$out" >&2
        "$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall \
            --no-deps "$out"/*.whl
        echo "python/test.sh: the package under CPython $ver (its wheel: $(cd "$out" && ls *.whl))" >&2
        "$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
    done
fi
