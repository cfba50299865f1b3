#!/usr/bin/env bash
# Installs what `make demo` and `make test` need, and nothing that is already there
# (PostgreSQL 15, libclang, the C binding's libpq-dev / pkg-config / valgrind, the Python venv).
# Idempotent: a second run checks each piece and prints nothing but "setup: ok".
#
#   scripts/setup.sh            every piece (what `make demo`, `make test` and .ci/run run first)
#   scripts/setup.sh system     Debian packages only
#   scripts/setup.sh python     the Python venv ($FQB_VENV) and its packages only
#   scripts/setup.sh node       bindings/node/node_modules, exactly as package-lock.json says
#   scripts/setup.sh check      report what is missing, install nothing (exit 1 if anything is)
#
# Each piece is detected the way its user finds it (libclang by loading it as bindgen does,
# PostgreSQL's server by the binaries pg.sh runs, a Python package by importing it), not by a
# file-name guess. As root it installs what is missing with apt-get / pip and says what; as
# another user it stops with the exact command to run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FQB_VENV="${FQB_VENV:-/var/tmp/fqb-venv}"
PYTHON="${PYTHON:-python3}"
mode="${1:-all}"

log() { echo "setup: $*" >&2; }
die() { log "error: $*"; exit 1; }
installed=0

# ---- Debian packages ---------------------------------------------------------------------

# Loads libclang the way clang-sys (bindgen's loader) finds it: $LIBCLANG_PATH, then
# `llvm-config --libdir`, then the system library directories, trying the file names
# clang-sys tries, and accepts a candidate only if it loads and exports clang_createIndex.
# (The image ships libclang-cpp.so.14, which a glob like libclang*.so* matches, but which is
# not libclang: bindgen cannot use it.)
have_libclang() {
    "$PYTHON" - <<'PY' 2>/dev/null
import ctypes, glob, os, subprocess, sys
dirs = []
if os.environ.get("LIBCLANG_PATH"):
    dirs.append(os.environ["LIBCLANG_PATH"])
for cfg in ["llvm-config"] + sorted(glob.glob("/usr/bin/llvm-config-*"), reverse=True):
    try:
        dirs.append(subprocess.run([cfg, "--libdir"], capture_output=True, text=True,
                                   timeout=10).stdout.strip())
    except Exception:
        pass
dirs += sorted(glob.glob("/usr/lib/llvm-*/lib"), reverse=True)
dirs += ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
         "/usr/local/lib"]
names = ["libclang.so", "libclang-*.so", "libclang.so.*", "libclang-*.so.*"]
for d in filter(None, dirs):
    for n in names:
        for path in sorted(glob.glob(os.path.join(d, n))):
            try:
                lib = ctypes.CDLL(path)
                lib.clang_createIndex  # AttributeError if this is not libclang
            except (OSError, AttributeError):
                continue
            print(path)
            sys.exit(0)
sys.exit(1)
PY
}

pg_bin_dir() {  # where pg.sh finds initdb/pg_ctl/postgres (PATH first, then Debian's dir)
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    else
        ls -d /usr/lib/postgresql/15/bin 2>/dev/null | head -n 1
    fi
}

missing_system() {
    local need=()
    command -v make >/dev/null 2>&1 || need+=(make)
    command -v cc >/dev/null 2>&1 || need+=(gcc)
    command -v "$PYTHON" >/dev/null 2>&1 || need+=(python3 python3-venv)
    have_libclang >/dev/null || need+=(libclang-dev)
    local bin; bin="$(pg_bin_dir)"
    { [ -n "$bin" ] && [ -x "$bin/initdb" ] && [ -x "$bin/postgres" ] \
        && "$bin/postgres" --version 2>/dev/null | grep -q ' 15\.'; } || need+=(postgresql-15)
    [ -f /usr/share/postgresql/15/extension/ltree.control ] || need+=(postgresql-contrib)
    command -v psql >/dev/null 2>&1 && command -v pg_isready >/dev/null 2>&1 \
        || need+=(postgresql-client)
    # The C binding's tests and example: libpq's header and pkg-config file (found the way
    # the build finds it), pkg-config itself, valgrind for the memcheck run.
    command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
    { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libpq; } || need+=(libpq-dev)
    command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
    echo "${need[*]}"
}

setup_system() {
    local need; need="$(missing_system)"
    [ -n "$need" ] || return 0
    if [ "$mode" = check ]; then log "missing Debian packages: $need"; return 1; fi
    if [ "$(id -u)" -ne 0 ]; then
        die "missing Debian packages; run: sudo apt-get install -y $need"
    fi
    log "installing Debian packages: $need"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >&2
    installed=1
    need="$(missing_system)"
    [ -z "$need" ] || die "still missing after apt-get install: $need"
}

# ---- Python venv -------------------------------------------------------------------------

# Import name -> pip requirement, for everything the binding's build, tests and demo use.
PY_PACKAGES=(
    "maturin:maturin>=1.16,<2"
    "pytest:pytest>=7"
    "psycopg:psycopg[binary]>=3.2"
    "asyncpg:asyncpg>=0.29"
    "prometheus_client:prometheus-client>=0.17"
    "sqlalchemy:sqlalchemy>=2"
    "graphql:graphql-core>=3.2"
)

missing_python() {
    local need=() entry
    [ -x "$FQB_VENV/bin/python" ] || { echo "venv"; return; }
    for entry in "${PY_PACKAGES[@]}"; do
        "$FQB_VENV/bin/python" -c "import ${entry%%:*}" 2>/dev/null || need+=("${entry#*:}")
    done
    echo "${need[*]}"
}

setup_python() {
    local need; need="$(missing_python)"
    [ -n "$need" ] || return 0
    if [ "$mode" = check ]; then log "missing in $FQB_VENV: $need"; return 1; fi
    if [ "$need" = venv ]; then
        log "creating the Python venv $FQB_VENV"
        "$PYTHON" -m venv "$FQB_VENV" || die "could not create a venv; run: $PYTHON -m venv $FQB_VENV"
        need="$(missing_python)"
    fi
    local reqs=() entry
    for entry in "${PY_PACKAGES[@]}"; do
        case " $need " in *" ${entry#*:} "*) reqs+=("${entry#*:}") ;; esac
    done
    log "pip install into $FQB_VENV: ${reqs[*]}"
    "$FQB_VENV/bin/python" -m pip install -q --disable-pip-version-check "${reqs[@]}" >&2
    installed=1
    need="$(missing_python)"
    [ -z "$need" ] || die "still missing in $FQB_VENV after pip install: $need"
}

# ---- Node packages -----------------------------------------------------------------------

NODE_DIR=bindings/node
NODE_STAMP="$NODE_DIR/node_modules/.fqb-lock.sha256"

node_lock_hash() { sha256sum "$NODE_DIR/package-lock.json" | cut -d' ' -f1; }

# node_modules matches the lock when `npm ci` ran on this very lock (it writes the stamp
# after installing); anything else (missing, stale, edited by hand) is reinstalled.
missing_node() {
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { echo "nodejs npm"; return; }
    local major; major="$(node -p 'process.versions.node.split(".")[0]')"
    [ "$major" -ge 18 ] || { echo "nodejs>=18 (found $(node --version))"; return; }
    [ -f "$NODE_STAMP" ] && [ "$(cat "$NODE_STAMP")" = "$(node_lock_hash)" ] || echo "node_modules"
}

setup_node() {
    local need; need="$(missing_node)"
    [ -n "$need" ] || return 0
    if [ "$mode" = check ]; then log "missing: $need"; return 1; fi
    case "$need" in
        node_modules) ;;
        *) die "Node.js 18+ with npm is needed (found: $need); install it (e.g. apt-get install nodejs npm)" ;;
    esac
    log "npm ci in $NODE_DIR (node_modules missing or not matching package-lock.json)"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
    node_lock_hash > "$NODE_STAMP"
    installed=1
}

# ---- main ----------------------------------------------------------------------------------

command -v cargo >/dev/null 2>&1 || die "cargo not found; install Rust with rustup (https://rustup.rs)"
status=0
case "$mode" in
    all) setup_system; setup_python; setup_node ;;
    system) setup_system ;;
    python) setup_python ;;
    node) setup_node ;;
    check) setup_system || status=1; setup_python || status=1; setup_node || status=1 ;;
    *) echo "usage: $0 [all|system|python|node|check]" >&2; exit 2 ;;
esac
if [ "$status" -ne 0 ]; then exit 1; fi
if [ "$installed" = 0 ]; then log "ok (nothing to install)"; else log "ok"; fi
