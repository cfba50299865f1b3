'use strict';
// Loads the native addon built for this platform. Names follow @napi-rs/cli's `--platform`
// output (fraiseql-qb.<platform>-<arch>[-abi].node); FRAISEQL_QB_NATIVE_PATH overrides the
// file (development: a cargo build copied to a .node file).
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

module.exports = { platformSuffix };
if (!process.env.FRAISEQL_QB_LOADER_NO_LOAD) module.exports.native = load();
