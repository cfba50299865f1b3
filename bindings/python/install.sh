#!/usr/bin/env bash
# Builds the fraiseql-qb wheel with maturin for the venv's CPython (a wheel is built per
# CPython version) and installs it (plus the test and example dependencies) into a venv.
# Prints nothing on stdout; the venv's python is $FQB_VENV/bin/python.
#
# Env: FQB_VENV (default /var/tmp/fqb-venv, created if missing, reused otherwise),
#      FQB_PY_TARGET (cargo target dir for maturin, default /var/tmp/fqb-target-py: kept apart
#      from plain cargo's so neither rebuilds pyo3 for the other), PYTHON (default python3).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${FQB_VENV:-/var/tmp/fqb-venv}"
TARGET="${FQB_PY_TARGET:-/var/tmp/fqb-target-py}"
PYTHON="${PYTHON:-python3}"

log() { echo "python/install.sh: $*" >&2; }

# The venv and its tools/test packages (maturin, pytest, drivers): created or completed only
# when something is missing.
FQB_VENV="$VENV" PYTHON="$PYTHON" "$ROOT/scripts/setup.sh" python
PY="$VENV/bin/python"

WHEELS="$(mktemp -d "${TMPDIR:-/tmp}/fqb-wheel.XXXXXX")"
trap 'rm -rf -- "$WHEELS"' EXIT

log "building the wheel for $("$PY" -V) (maturin, release, target dir $TARGET)"
start=$(date +%s)
"$VENV/bin/maturin" build --release --quiet -i "$PY" \
    -m "$ROOT/bindings/python/Cargo.toml" --target-dir "$TARGET" -o "$WHEELS" >&2
log "wheel built in $(( $(date +%s) - start )) s: $(cd "$WHEELS" && ls *.whl)"

"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$WHEELS"/*.whl

