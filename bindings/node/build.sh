#!/usr/bin/env bash
# Builds the native addon with cargo (release) and copies it where the package loads it:
# fraiseql-qb.<platform>.node, the name @napi-rs/cli's `napi build --platform` gives it.
# The test loop uses this instead of the napi CLI, which always builds for an explicit
# target (a second full compile); `npm run build` (napi build) is the same addon for users.
#
#   bindings/node/build.sh            prints the .node path on stdout
#   FQB_NODE_PROFILE=debug bindings/node/build.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fqb-target}"
profile="${FQB_NODE_PROFILE:-release}"
flag=--release; dir=release
if [ "$profile" = debug ]; then flag=; dir=debug; fi
(cd "$ROOT" && cargo build $flag --locked -q -p fraiseql-qb-node) >&2
suffix="$(FRAISEQL_QB_LOADER_NO_LOAD=1 node -p "require('$HERE/loader.js').platformSuffix()")"
case "$(uname -s)" in
    Darwin) lib=libfraiseql_qb_node.dylib ;;
    *) lib=libfraiseql_qb_node.so ;;
esac
# A copy, not a symlink: Node would read a symlinked ELF as JavaScript.
cp "$CARGO_TARGET_DIR/$dir/$lib" "$HERE/fraiseql-qb.$suffix.node.tmp"
mv -f "$HERE/fraiseql-qb.$suffix.node.tmp" "$HERE/fraiseql-qb.$suffix.node"
echo "$HERE/fraiseql-qb.$suffix.node"
