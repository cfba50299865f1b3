#!/usr/bin/env bash
# Builds and installs libfraiseql_qb (what `make install PREFIX=...` runs):
#
#   PREFIX/include/fraiseql_qb.h
#   PREFIX/lib/libfraiseql_qb.a
#   PREFIX/lib/libfraiseql_qb.so.X.Y.Z, with the SONAME link (.so.0.MINOR while 0.x) and .so
#   PREFIX/lib/pkgconfig/fraiseql_qb.pc
#
#   bindings/c/install.sh PREFIX                (release build)
#   PROFILE=debug bindings/c/install.sh PREFIX  (the tests' build)
#
# Then: cc app.c $(pkg-config --cflags --libs fraiseql_qb) with
# PKG_CONFIG_PATH=PREFIX/lib/pkgconfig (and -Wl,-rpath,PREFIX/lib or ldconfig for a prefix
# outside the loader's path). Linking the static library: bindings/c/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: $0 PREFIX" >&2; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fqb-target}"
profile="${PROFILE:-release}"
case "$profile" in
    release) cargo build --locked --release -p fraiseql-qb-c ;;
    debug) cargo build --locked -p fraiseql-qb-c ;;
    *) echo "PROFILE must be release or debug" >&2; exit 2 ;;
esac
src="$CARGO_TARGET_DIR/$profile"
version="$(sed -n 's/^#define FQB_VERSION "\(.*\)"$/\1/p' bindings/c/include/fraiseql_qb.h)"
[ -n "$version" ] || { echo "no FQB_VERSION in the header" >&2; exit 1; }
major="${version%%.*}"
minor="${version#*.}"; minor="${minor%%.*}"
if [ "$major" = 0 ]; then soname="libfraiseql_qb.so.0.$minor"; else soname="libfraiseql_qb.so.$major"; fi

mkdir -p "$1"
prefix="$(cd "$1" && pwd)"
install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 bindings/c/include/fraiseql_qb.h "$prefix/include/"
install -m 644 "$src/libfraiseql_qb.a" "$prefix/lib/"
install -m 755 "$src/libfraiseql_qb.so" "$prefix/lib/libfraiseql_qb.so.$version"
ln -sfn "libfraiseql_qb.so.$version" "$prefix/lib/$soname"
ln -sfn "$soname" "$prefix/lib/libfraiseql_qb.so"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" bindings/c/fraiseql_qb.pc.in \
    > "$prefix/lib/pkgconfig/fraiseql_qb.pc"
echo "installed libfraiseql_qb $version ($profile) into $prefix" >&2
