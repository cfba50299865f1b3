#!/usr/bin/env bash
# The C binding's tests (scripts/test.sh runs this; FQB_PG_URL must name the test database).
#
# Installs the library (debug build) into a scratch prefix and compiles the C tests in
# tests/ against it through pkg-config, with -Wall -Wextra -Werror -pedantic, then runs:
#   1. linked statically, and dynamically (the installed .so through its SONAME link);
#   2. under valgrind memcheck: any error or leak (definite, indirect, possible) fails;
#   3. built with AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included).
# The data the tests read (the golden corpus, the rollout vectors) comes from the
# committed files through fqb-c-testgen.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fqb-target}"
step() { printf '\n--> c: %s\n' "$*"; }
die() { echo "bindings/c/test.sh: $*" >&2; exit 1; }
[ -n "${FQB_PG_URL:-}" ] || die "FQB_PG_URL is not set (scripts/pg.sh start; database tests never skip)"
for tool in cc pkg-config valgrind; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup.sh"
done
pkg-config --exists libpq || die "libpq (libpq-dev) is missing: run scripts/setup.sh"

out="$CARGO_TARGET_DIR/c-tests"
rm -rf "$out"
mkdir -p "$out"
step "build and install (debug) into $out/prefix"
cargo build --locked -p fqb-c-testgen
PROFILE=debug bindings/c/install.sh "$out/prefix"
"$CARGO_TARGET_DIR/debug/fqb-c-testgen" golden "$out/golden.rec"
"$CARGO_TARGET_DIR/debug/fqb-c-testgen" vectors "$out/vectors.rec"

export PKG_CONFIG_PATH="$out/prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
libdir="$(pkg-config --variable=libdir fraiseql_qb)"
cflags="-std=c11 -Wall -Wextra -Werror -pedantic -g -O1 $(pkg-config --cflags fraiseql_qb libpq)"
# gcc takes the .so when both libraries sit in one directory: name the archive for static.
static_libs="$libdir/libfraiseql_qb.a $(pkg-config --static --libs-only-l fraiseql_qb | sed 's/-lfraiseql_qb//')"
dynamic_libs="$(pkg-config --libs fraiseql_qb) -Wl,-rpath,$libdir"
tests=(test_api test_golden test_rollout test_graphql)

build() { # build VARIANT EXTRA_CFLAGS LIBS
    local t
    for t in "${tests[@]}"; do
        # shellcheck disable=SC2086
        cc $cflags $2 "bindings/c/tests/$t.c" -o "$out/$t.$1" $3 $(pkg-config --libs libpq) -lm
    done
}
run() { # run VARIANT [WRAPPER...]
    local v="$1"; shift
    "$@" "$out/test_api.$v" tests/golden/schema.json
    "$@" "$out/test_golden.$v" "$out/golden.rec"
    "$@" "$out/test_rollout.$v" "$out/vectors.rec" tests/golden/schema.json
    "$@" "$out/test_graphql.$v" tests/golden/schema.json
}

# The shim tests read the process environment in one place (reload with NULL): keep the
# caller's rollout variables out of it.
while IFS='=' read -r name _; do
    case "$name" in FRAISEQL_*) unset "$name" ;; esac
done < <(env)

step "static"
build static "" "$static_libs"
run static
step "dynamic"
build dynamic "" "$dynamic_libs"
# ldd's output read whole: `ldd | grep -q` under pipefail fails when grep exits at the match
# before ldd has written everything (SIGPIPE), which happened on a loaded machine.
deps="$(ldd "$out/test_api.dynamic")"
grep -q "libfraiseql_qb.so.0" <<<"$deps" || die "not linked dynamically"
run dynamic

step "valgrind memcheck (static build)"
# valgrind.supp: apollo-compiler's two static tables (see the file); deep stacks so its
# frames are found.
run static valgrind -q --error-exitcode=99 --leak-check=full --num-callers=64 \
    --suppressions=bindings/c/valgrind.supp \
    --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible

step "AddressSanitizer + UndefinedBehaviorSanitizer"
build asan "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" "$static_libs"
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run asan
step "C tests passed (static, dynamic, valgrind, ASan)"
