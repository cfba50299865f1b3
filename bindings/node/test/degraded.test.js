'use strict';
// The native addon cannot be loaded (docs/rollout.md section 2, rule 1 "on its own"): the
// package still loads, with the legacy-only stand-in (fallback.js) in the addon's place.
//
// - One contract: the stand-in has the addon's functions, its tables (engine-tables.json)
//   are the addon's rolloutMeta() (qb-rollout's FAMILIES among them; BLESS=1 rewrites the
//   file), the rollout vectors that apply to an engine without a native compiler pass
//   against it, and after the same calls its metrics, Prometheus text and prom-client data
//   equal a native engine's on which set_native_available(false) was called.
// - The degraded package in a child process: a copy of the package without its .node file
//   (a real load failure) and FRAISEQL_QB_DISABLE_NATIVE=1 (the rehearsal switch).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { native } = require('../loader');
const { standInFor } = require('../fallback');
const H = require('./helpers');

const ROOT = path.join(__dirname, '..');
const TABLES_FILE = path.join(ROOT, 'engine-tables.json');
const V = JSON.parse(fs.readFileSync(H.VECTORS, 'utf8'));
const TOL = V.float_tolerance;
const standIn = standInFor(new Error('test: the stand-in under test'));

test('engine-tables.json is the addon\'s rolloutMeta() (BLESS=1 rewrites it)', () => {
  const meta = native.rolloutMeta();
  const file = JSON.parse(fs.readFileSync(TABLES_FILE, 'utf8'));
  if (process.env.BLESS) {
    fs.writeFileSync(TABLES_FILE, `${JSON.stringify({ about: file.about, ...meta }, null, 2)}\n`);
    return;
  }
  const { about, ...tables } = file;
  assert.ok(about.length > 0);
  assert.deepEqual(tables, meta, 'engine-tables.json is stale: BLESS=1 bindings/node/test.sh test/degraded.test.js');
});

test('the nine families are qb-rollout\'s FAMILIES, as the addon serves them to prom-client', () => {
  const tables = JSON.parse(fs.readFileSync(TABLES_FILE, 'utf8'));
  const served = native.rolloutMetrics(null, 'families').map(({ name, help, type, byBuilderType }) => ({
    name,
    help,
    type,
    byBuilderType,
  }));
  assert.equal(tables.families.length, 9);
  assert.deepEqual(tables.families, served);
  assert.deepEqual(
    standIn.rolloutMetrics(null, 'families').map((f) => f.name),
    served.map((f) => f.name),
  );
  // docs/rollout.md section 5 lists the same nine.
  const doc = fs.readFileSync(path.join(H.REPO, 'docs', 'rollout.md'), 'utf8');
  for (const f of tables.families) assert.ok(doc.includes(`\`${f.name}\``), f.name);
});

test('the stand-in has exactly the addon\'s functions', () => {
  assert.deepEqual(Object.keys(standIn).sort(), Object.keys(native).sort());
  for (const k of Object.keys(standIn)) assert.equal(typeof standIn[k], 'function', k);
  assert.deepEqual(standIn.rolloutMeta(), native.rolloutMeta());
});

test('the placeholder check has no second route to protect: inconclusive, as in Python', () => {
  // A `%s` statement under a numbered shim would be a mismatch for the engine; without a
  // native route every call is legacy, so the stand-in checks nothing.
  assert.deepEqual(standIn.checkPlaceholders('SELECT 1 WHERE a = %s', 1, 0), ['inconclusive', null]);
  assert.deepEqual(native.checkPlaceholders('SELECT 1 WHERE a = %s', 1, 0)[0], 'mismatch');
  assert.throws(() => standIn.checkPlaceholders('SELECT 1', -1, 0), RangeError);
});

test('everything that needs the core throws a coded NativeUnavailableError', () => {
  const { NativeUnavailableError, QueryBuilderError } = require('..');
  for (const call of [
    () => standIn.compile({ view: 'v' }, {}, undefined),
    () => standIn.compileEncoded(new Uint32Array(4), '', null, {}, undefined),
    () => standIn.compileText('{"view": "v"}', {}, undefined),
    () => standIn.rolloutCompile(standIn.rolloutNew(), null, '{}', null, {}, 0, true),
    () => standIn.toJson({ a: 1 }),
    () => standIn.meta(),
    () => standIn.compareRows([], [], false),
    () => standIn.rolloutRecord(standIn.rolloutNew(), 'native_ok', 1),
    () => standIn.graphqlConnectionAssemble(null, []),
    () => standIn.graphqlNestedFinish(null, {}),
  ]) {
    assert.throws(call, (err) => {
      assert.ok(err instanceof NativeUnavailableError);
      assert.ok(!(err instanceof QueryBuilderError));
      assert.equal(err.code, 'FRAISEQL_QB_NATIVE_UNAVAILABLE');
      assert.match(err.message, /could not be loaded: test: the stand-in under test/);
      assert.equal(err.cause.message, 'test: the stand-in under test');
      return true;
    });
  }
});

// ---- the rollout vectors that apply without a native compiler ------------------------------

for (const c of V.sticky) {
  test(`vector sticky hash: ${JSON.stringify(c.key)}`, () => {
    assert.deepEqual(standIn.stickyBucket(c.key), [c.fnv1a64, c.bucket]);
  });
}

for (const c of V.decisions.filter((d) => !d.native_available)) {
  test(`vector decision without native: ${c.name}`, () => {
    const e = standIn.rolloutNew(c.config);
    standIn.rolloutSet(e, 'legacy_registered', c.legacy_registered);
    const [isNative, shadow, reason, , bucket] = standIn.rolloutDecide(e, c.key);
    assert.deepEqual([isNative ? 'native' : 'legacy', reason, shadow, bucket], [c.route, c.reason, c.shadow, c.bucket]);
  });
}

const LEGACY_OPS = new Set(['legacy_ok', 'legacy_err']);
const legacyOnly = (c) => c.events.every((e) => LEGACY_OPS.has(e.op));

for (const c of V.sequences.filter(legacyOnly)) {
  test(`vector legacy sequence: ${c.name}`, () => {
    const e = standIn.rolloutNew(c.config);
    for (const ev of c.events) standIn.rolloutRecord(e, ev.op, ev.duration_ns);
    const want = { ...c.metrics };
    // The vectors' engine has a native compiler; the stand-in by definition has none.
    assert.equal(want.native_available, true);
    want.native_available = false;
    const got = standIn.rolloutMetrics(e, 'snapshot');
    assert.deepEqual(Object.keys(got), Object.keys(want));
    for (const [k, w] of Object.entries(want)) {
      if (typeof w === 'number' && !Number.isInteger(w)) {
        assert.ok(Math.abs(got[k] - w) <= TOL * Math.max(1, Math.abs(w)), `${k} = ${got[k]}, want ${w}`);
      } else assert.equal(got[k], w, k);
    }
  });
}

for (const c of V.prometheus.filter((p) => !p.native_available && legacyOnly(p))) {
  test(`vector prometheus without native: ${c.name}`, () => {
    const e = standIn.rolloutNew();
    for (const ev of c.events) standIn.rolloutRecord(e, ev.op, ev.duration_ns);
    assert.equal(standIn.rolloutMetrics(e, 'text'), c.text);
  });
}

for (const c of V.env) {
  test(`vector env, the one setting a legacy-only shim uses (log_mode): ${c.name}`, () => {
    const [config, warnings] = standIn.resolveConfig(Object.entries(c.env), null);
    assert.equal(config.log_mode, c.config.log_mode);
    assert.deepEqual(warnings, []);
  });
}

// ---- the same calls, the same metrics as a native engine without a native compiler ----------

test('after the same calls: snapshot, Prometheus text and prom-client data equal the engine\'s', () => {
  const n = native.rolloutNew();
  native.rolloutSet(n, 'native_available', false);
  const s = standIn.rolloutNew();
  const same = () => {
    assert.equal(standIn.rolloutMetrics(s, 'text'), native.rolloutMetrics(n, 'text'));
    assert.deepEqual(standIn.rolloutMetrics(s, 'families'), native.rolloutMetrics(n, 'families'));
    const a = native.rolloutMetrics(n, 'snapshot');
    const b = standIn.rolloutMetrics(s, 'snapshot');
    assert.deepEqual(Object.keys(b), Object.keys(a));
    for (const k of Object.keys(a)) {
      if (typeof a[k] === 'number') assert.ok(Math.abs(a[k] - b[k]) <= TOL * Math.max(1, Math.abs(a[k])), k);
      else assert.equal(b[k], a[k], k);
    }
  };
  same();
  // Bucket bounds (inclusive), sums needing positional notation, a non-integer, odd inputs.
  const durations = [0, 1, 900, 1000, 1001, 1500, 30000, 99999999, 100000000, 2e9, 123456789, -5, NaN, 7.9];
  durations.forEach((ns, i) => {
    for (const [h, m] of [
      [n, native],
      [s, standIn],
    ]) {
      m.rolloutRecord(h, i % 4 === 3 ? 'legacy_err' : 'legacy_ok', ns);
    }
    same();
  });
  native.rolloutResetMetrics(n);
  standIn.rolloutResetMetrics(s);
  same();
  const [config] = standIn.resolveConfig([], null);
  assert.deepEqual(config, native.rolloutMeta().defaults);
  assert.deepEqual(standIn.rolloutState(s), native.rolloutState(n));
  assert.deepEqual(standIn.rolloutDecide(s, 'k'), native.rolloutDecide(n, 'k'));
});

test('the log lines are the engine\'s', () => {
  for (const view of ['v_user', 'v "quoted"\\', 'tab\tnl\nret\r', '\u0001\u007f\u0085', 'ü€😀']) {
    for (const reason of native.rolloutMeta().reasons) {
      for (const served of [false, true]) {
        assert.equal(standIn.logLine('served', view, served, reason), native.logLine('served', view, served, reason));
      }
    }
    assert.equal(standIn.logLine('fallback', view, 'QB_X: y'), native.logLine('fallback', view, 'QB_X: y'));
  }
});

// ---- the degraded package, in a child process ---------------------------------------------

/** Runs `script` with the package at `dir` as `fqb`; returns its JSON and its stderr. */
function runDegraded(dir, script, env = {}) {
  const res = require('node:child_process').spawnSync(process.execPath, ['-e', script], {
    cwd: dir,
    env: { ...process.env, FQB_PKG: dir, NODE_PATH: path.join(ROOT, 'node_modules'), ...env },
    encoding: 'utf8',
  });
  assert.equal(res.status, 0, res.stderr);
  return { out: JSON.parse(res.stdout), stderr: res.stderr };
}

const SCRIPT = `
const out = {};
const warnings = [];
process.on('warning', (w) => warnings.push({ code: w.code, message: w.message }));
const fqb = require(process.env.FQB_PKG);
require(process.env.FQB_PKG + '/rollout.js');
require(process.env.FQB_PKG + '/prometheus.js');
out.nativeAvailable = fqb.nativeAvailable;
out.loadError = fqb.nativeLoadError && fqb.nativeLoadError.code;
try { fqb.compile({ view: 'v', select: ['id'] }, { views: {} }); } catch (e) {
  out.compile = [e.name, e.code, e instanceof fqb.NativeUnavailableError, e instanceof fqb.QueryBuilderError];
}
const calls = [];
const legacy = (q) => { calls.push(q); return { text: 'SELECT 1 WHERE x = $1', values: [q.x] }; };
const schema = new fqb.Schema({ views: { v_user: {} } });
out.views = schema.views;
const shim = new fqb.RolloutQueryBuilder(legacy, schema, { env: {}, useNative: true, percentage: 100, tripBack: true });
out.results = [1, 2, 3].map((x) => shim.build({ view: 'v', x }, { key: 'tenant' }));
out.legacyCalls = calls.length;
out.shimNativeAvailable = shim.nativeAvailable;
shim.setNativeAvailable(true);
out.afterSetAvailable = shim.nativeAvailable;
out.config = shim.config;
out.shimMetrics = shim.metrics();
const failing = new fqb.RolloutQueryBuilder(() => { throw new SyntaxError('legacy bug'); }, schema, { env: {} });
try { failing.build({ view: 'v' }); } catch (e) { out.legacyError = [e.name, e.message]; }
try { new fqb.RolloutQueryBuilder(null, schema, { env: {} }).build({ view: 'v' }); } catch (e) { out.noBuilder = e.code; }
const lines = [];
const logged = new fqb.RolloutQueryBuilder(legacy, schema, { env: { FRAISEQL_LOG_QUERY_BUILDER_MODE: 'on' },
  logger: { debug: (l) => lines.push(l), warn: (l) => lines.push(l) } });
logged.build({ view: 'v_user', x: 1 });
out.logLines = lines;
out.metrics = fqb.getQueryBuilderMetrics();
out.text = fqb.getPrometheusText();
const client = require('prom-client');
const registry = new client.Registry();
require(process.env.FQB_PKG + '/prometheus').registerCollector({ registry });
registry.metrics().then((promText) => {
  out.promText = promText;
  import(process.env.FQB_PKG + '/index.mjs').then((esm) => {
    out.esm = [esm.nativeAvailable, typeof esm.compile, esm.default === fqb];
    out.warnings = warnings;
    process.stdout.write(JSON.stringify(out));
  });
});
`;

function checkDegraded(out, loadErrorCode) {
  assert.equal(out.nativeAvailable, false);
  assert.equal(out.loadError, loadErrorCode);
  assert.deepEqual(out.compile, ['NativeUnavailableError', 'FRAISEQL_QB_NATIVE_UNAVAILABLE', true, false]);
  assert.deepEqual(out.views, ['v_user']);
  // Forced native at 100 %, sticky key, trip-back on: still every call legacy.
  assert.deepEqual(out.results, [1, 2, 3].map((x) => ({ text: 'SELECT 1 WHERE x = $1', values: [x] })));
  assert.equal(out.legacyCalls, 3);
  assert.equal(out.shimNativeAvailable, false);
  assert.equal(out.afterSetAvailable, false);
  assert.equal(out.config.use_native, true);
  assert.equal(out.config.percentage_bp, 10000);
  assert.equal(out.shimMetrics.python_calls, 3);
  assert.equal(out.shimMetrics.rust_calls, 0);
  assert.equal(out.shimMetrics.native_available, false);
  assert.deepEqual(out.legacyError, ['SyntaxError', 'legacy bug']);
  assert.equal(out.noBuilder, 'FRAISEQL_QB_NO_BUILDER');
  assert.deepEqual(out.logLines, ['fraiseql query builder: view "v_user" served by python (reason=native_unavailable)']);
  // Process-wide: the seed's nine keys; 3 + 1 failing + 1 logged legacy calls.
  assert.deepEqual(Object.keys(out.metrics), native.rolloutMeta().seedKeys);
  assert.equal(out.metrics.python_calls, 5);
  assert.equal(out.metrics.total_calls, 5);
  assert.equal(out.metrics.rust_calls, 0);
  assert.match(out.text, /^fraiseql_rust_query_builder_available 0$/m);
  assert.match(out.text, /^fraiseql_query_builder_calls_total\{builder_type="python"\} 5$/m);
  assert.match(out.text, /^fraiseql_query_builder_errors_total\{builder_type="python"\} 1$/m);
  for (const f of native.rolloutMeta().families) {
    assert.ok(out.text.includes(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`), f.name);
  }
  // prom-client renders the same lines.
  const lines = (t) => t.split('\n').filter((l) => l !== '');
  assert.deepEqual(lines(out.promText), lines(out.text));
  assert.deepEqual(out.esm, [false, 'function', true]);
  // Reported once, however many of the package's modules are loaded.
  const reported = out.warnings.filter((w) => w.code === 'FRAISEQL_QB_NATIVE_UNAVAILABLE');
  assert.equal(reported.length, 1, JSON.stringify(out.warnings));
  assert.match(reported[0].message, /every query goes to the legacy builder/);
}

test('FRAISEQL_QB_DISABLE_NATIVE=1: the package runs on the stand-in and says so once', () => {
  const { out, stderr } = runDegraded(ROOT, SCRIPT, { FRAISEQL_QB_DISABLE_NATIVE: '1' });
  checkDegraded(out, 'FRAISEQL_QB_NATIVE_UNAVAILABLE');
  assert.equal(stderr.match(/FRAISEQL_QB_NATIVE_UNAVAILABLE/g).length, 1, stderr);
});

test('a package without its addon (a real load failure) runs on the stand-in', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fqb-node-degraded-'));
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    for (const f of pkg.files.filter((f) => !f.includes('*'))) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith('.node')));
    const env = { FRAISEQL_QB_DISABLE_NATIVE: '', FRAISEQL_QB_NATIVE_PATH: '' };
    const { out } = runDegraded(dir, SCRIPT, env);
    checkDegraded(out, 'FRAISEQL_QB_NATIVE_UNAVAILABLE');
    // The load error names the file it tried.
    const msg = execFileSync(process.execPath, ['-p', `require(${JSON.stringify(dir)}).nativeLoadError.message`], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    assert.ok(msg.includes(`native addon could not be loaded for ${require("../loader").platformSuffix()}`), msg);
    assert.ok(msg.includes(path.join(dir, 'fraiseql-qb.')), msg);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('FRAISEQL_QB_DISABLE_NATIVE off or unset: the addon is used', () => {
  for (const v of ['0', 'false', '']) {
    const got = execFileSync(process.execPath, ['-p', "require('.').nativeAvailable"], {
      cwd: ROOT,
      env: { ...process.env, FRAISEQL_QB_DISABLE_NATIVE: v },
      encoding: 'utf8',
    });
    assert.equal(got.trim(), 'true', v);
  }
});
