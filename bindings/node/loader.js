'use strict';
// Loads the native addon built for this platform. Names follow @napi-rs/cli's `--platform`
// output (fraiseql-qb.<platform>-<arch>[-abi].node); FRAISEQL_QB_NATIVE_PATH overrides the
// file (development: a cargo build copied to a .node file).
//
// When the addon cannot be loaded (no binary for this platform, a broken install) or
// FRAISEQL_QB_DISABLE_NATIVE is true (to rehearse that), the package still loads: `native`
// is the legacy-only stand-in (fallback.js, docs/rollout.md "native unavailable"), and the
// failure is reported once per thread as a process warning with the code
// FRAISEQL_QB_NATIVE_UNAVAILABLE; `available` and `loadError` say so to the package
// (`nativeAvailable`, `nativeLoadError`).
const path = require('node:path');

function platformSuffix() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    let musl = false;
    try {
      const report = process.report && process.report.getReport();
      musl = !(report && report.header && report.header.glibcVersionRuntime);
    } catch {
      musl = false;
    }
    return `linux-${arch}-${musl ? 'musl' : 'gnu'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function load() {
  const tried = [];
  const candidates = [];
  if (process.env.FRAISEQL_QB_NATIVE_PATH) candidates.push(path.resolve(process.env.FRAISEQL_QB_NATIVE_PATH));
  candidates.push(path.join(__dirname, `fraiseql-qb.${platformSuffix()}.node`));
  for (const file of candidates) {
    try {
      return require(file);
    } catch (err) {
      tried.push(`${file}: ${err && err.message ? err.message.split('\n')[0] : err}`);
    }
  }
  const err = new Error(
    `fraiseql-qb: the native addon could not be loaded for ${platformSuffix()} ` +
      `(build it with \`npm run build\` in bindings/node). Tried:\n  ${tried.join('\n  ')}`,
  );
  err.code = 'FRAISEQL_QB_NATIVE_UNAVAILABLE';
  throw err;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);

function loadOrStandIn() {
  let err;
  if (TRUE.has(String(process.env.FRAISEQL_QB_DISABLE_NATIVE || '').trim().toLowerCase())) {
    err = new Error('fraiseql-qb: the native addon is disabled by FRAISEQL_QB_DISABLE_NATIVE');
    err.code = 'FRAISEQL_QB_NATIVE_UNAVAILABLE';
  } else {
    try {
      return { native: load(), available: true, loadError: null };
    } catch (e) {
      err = e;
    }
  }
  const native = require('./fallback').standInFor(err);
  try {
    process.emitWarning(
      `${err.message.split('\n')[0]}; every query goes to the legacy builder ` +
        '(fraiseql_rust_query_builder_available is 0, compile() throws NativeUnavailableError)',
      { code: 'FRAISEQL_QB_NATIVE_UNAVAILABLE', detail: err.message },
    );
  } catch {
    // reporting never fails the load
  }
  return { native, available: false, loadError: err };
}

module.exports = { platformSuffix };
if (!process.env.FRAISEQL_QB_LOADER_NO_LOAD) Object.assign(module.exports, loadOrStandIn());
