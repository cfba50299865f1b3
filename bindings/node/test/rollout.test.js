'use strict';
// The rollout shim (docs/rollout.md) through its Node API: routing at 0/30/100%, fallback,
// kill switch, malformed environments, what legacy builders really return (Knex, Kysely),
// the placeholder check, logging and hooks that throw, shadow mode (text and rows on
// PostgreSQL), trip-back, and the golden corpus through the shim.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Pool } = require('pg');
const { native } = require('../loader');
const fqb = require('..');
const H = require('./helpers');

const { RolloutQueryBuilder } = fqb;
const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));
const quiet = () => H.recordingLogger();

/** A shim over `legacy` with `env` as its whole environment. */
function make(env, legacy = H.legacy, opts = {}) {
  return new RolloutQueryBuilder(legacy, schema, { env: env || {}, logger: quiet(), ...opts });
}

const pick = (m, keys) => Object.fromEntries(keys.map((k) => [k, m[k]]));
const COUNTS = ['rust_calls', 'python_calls', 'rust_errors', 'rust_fallbacks', 'total_calls', 'python_errors'];

test('default: everything legacy, nothing native', () => {
  const shim = make();
  for (let i = 0; i < 50; i++) assert.equal(shim.build(H.GOOD).text, H.LEGACY_SQL);
  assert.deepEqual(pick(shim.metrics(), COUNTS), {
    rust_calls: 0, python_calls: 50, rust_errors: 0, rust_fallbacks: 0, total_calls: 50, python_errors: 0,
  });
});

test('100%: everything native, a statement node-postgres takes as is', () => {
  const shim = make({ FRAISEQL_RUST_QB_PERCENTAGE: '100' });
  const out = shim.build(H.GOOD);
  assert.deepEqual(out, fqb.compile(H.GOOD, schema));
  assert.equal(shim.metrics().rust_calls, 1);
  assert.equal(shim.metrics().rust_percentage, 100);
});

test('30%: the native share is within bounds, and the counts add up', () => {
  const shim = make({ FRAISEQL_RUST_QB_PERCENTAGE: '30' });
  const n = 10000;
  for (let i = 0; i < n; i++) shim.build(H.GOOD);
  const m = shim.metrics();
  assert.equal(m.total_calls, n);
  assert.equal(m.rust_calls + m.python_calls, n);
  // 30% of 10,000: 5 standard deviations is ±229.
  assert.ok(Math.abs(m.rust_calls - 3000) < 230, `${m.rust_calls} native of ${n}`);
});

test('sticky keys always take the same route', () => {
  const shim = make({ FRAISEQL_RUST_QB_PERCENTAGE: '50', FRAISEQL_RUST_QB_STICKY: 'true' });
  for (let t = 0; t < 50; t++) {
    const key = `tenant-${t}`;
    const [, bucket] = native.stickyBucket(key);
    for (let i = 0; i < 5; i++) {
      const native_ = shim.build(H.GOOD, { key }).text !== H.LEGACY_SQL;
      assert.equal(native_, bucket < 5000, key);
    }
  }
});

test('fallback on: a native failure is served by legacy and counted once', () => {
  const shim = make({ FRAISEQL_USE_RUST_QUERY_BUILDER: 'true' });
  assert.equal(shim.build(H.BAD).text, H.LEGACY_SQL);
  assert.deepEqual(pick(shim.metrics(), COUNTS), {
    rust_calls: 1, python_calls: 1, rust_errors: 1, rust_fallbacks: 1, total_calls: 1, python_errors: 0,
  });
});

test('fallback off: the native error is thrown, as its class', () => {
  const shim = make({ FRAISEQL_USE_RUST_QUERY_BUILDER: 'true', FRAISEQL_RUST_QB_FALLBACK: 'false' });
  assert.throws(() => shim.build(H.BAD), fqb.UnknownFieldError);
  assert.deepEqual(pick(shim.metrics(), ['rust_errors', 'rust_fallbacks', 'python_calls']), {
    rust_errors: 1, rust_fallbacks: 0, python_calls: 0,
  });
});

test('no legacy registered: every call native, errors thrown', () => {
  const shim = new RolloutQueryBuilder(null, schema, { env: {}, logger: quiet() });
  assert.deepEqual(shim.build(H.GOOD), fqb.compile(H.GOOD, schema));
  assert.throws(() => shim.build(H.BAD), fqb.UnknownFieldError);
  shim.setNativeAvailable(false);
  assert.throws(() => shim.build(H.GOOD), fqb.NoBuilderAvailableError);
  shim.setNativeAvailable(true);
});

test('kill switch wins over everything', () => {
  const shim = make({
    FRAISEQL_USE_RUST_QUERY_BUILDER: 'true', FRAISEQL_RUST_QB_PERCENTAGE: '100', FRAISEQL_USE_PYTHON_QUERY_BUILDER: 'yes',
  });
  assert.equal(shim.build(H.GOOD).text, H.LEGACY_SQL);
  assert.equal(shim.metrics().rust_calls, 0);
});

test('malformed environment values only warn; defaults apply; the shim works', () => {
  const logger = H.recordingLogger();
  const env = {
    FRAISEQL_RUST_QB_PERCENTAGE: 'abc', FRAISEQL_USE_RUST_QUERY_BUILDER: 'maybe', FRAISEQL_RUST_QB_FALLBACK: '2',
    FRAISEQL_USE_PYTHON_QUERY_BUILDER: '\u0000', FRAISEQL_RUST_QB_SHADOW_PERCENTAGE: '150', FRAISEQL_RUST_QB_TRIP_BACK: 'sure',
  };
  const shim = new RolloutQueryBuilder(H.legacy, schema, { env, logger });
  assert.equal(logger.lines.warn.length, 6);
  assert.match(logger.lines.warn[0], /ignoring malformed FRAISEQL_USE_RUST_QUERY_BUILDER="maybe".*using default false/);
  assert.equal(shim.config.percentage_bp, 0);
  assert.equal(shim.config.fallback, true);
  assert.equal(shim.build(H.GOOD).text, H.LEGACY_SQL);
  // The default logger turns them into process warnings (code FRAISEQL_QB_CONFIG).
  const emit = process.emitWarning;
  const seen = [];
  process.emitWarning = (msg, opts) => seen.push([msg, opts && opts.code]);
  try {
    new RolloutQueryBuilder(H.legacy, schema, { env: { FRAISEQL_RUST_QB_PERCENTAGE: '50%' } });
  } finally {
    process.emitWarning = emit;
  }
  assert.equal(seen.length, 1);
  assert.match(seen[0][0], /FRAISEQL_RUST_QB_PERCENTAGE="50%"/);
  assert.equal(seen[0][1], 'FRAISEQL_QB_CONFIG');
});

test('invalid options are code errors, thrown at construction', () => {
  assert.throws(() => make({}, H.legacy, { percentage: 150 }), RangeError);
  assert.throws(() => make({}, H.legacy, { placeholder: 'qmark' }), RangeError);
  assert.throws(() => make({}, H.legacy, { percentag: 5 }), RangeError);
  assert.throws(() => make({}, 'SELECT 1'), TypeError);
});

test('reload() and configure() change routing at runtime, counters kept', () => {
  const env = {};
  const shim = make(env);
  shim.build(H.GOOD);
  env.FRAISEQL_USE_RUST_QUERY_BUILDER = '1';
  assert.equal(shim.build(H.GOOD).text, H.LEGACY_SQL);
  shim.reload();
  assert.notEqual(shim.build(H.GOOD).text, H.LEGACY_SQL);
  shim.configure({ killSwitch: true });
  assert.equal(shim.build(H.GOOD).text, H.LEGACY_SQL);
  assert.equal(shim.metrics().total_calls, 4);
  shim.configure({ killSwitch: false, useNative: false, percentage: 12.5 });
  assert.equal(shim.config.percentage_bp, 1250);
});

test('a throwing legacy builder: its own error, counted as a legacy error', () => {
  class Boom extends Error {}
  const shim = make({}, () => {
    throw new Boom('legacy broke');
  });
  assert.throws(() => shim.build(H.GOOD), Boom);
  const m = shim.metrics();
  assert.deepEqual([m.python_calls, m.python_errors, m.total_calls], [1, 1, 1]);
  // and on the fallback path
  const fb = make({ FRAISEQL_USE_RUST_QUERY_BUILDER: 'true' }, () => {
    throw new Boom('legacy broke');
  });
  assert.throws(() => fb.build(H.BAD), Boom);
  assert.deepEqual(pick(fb.metrics(), ['rust_errors', 'rust_fallbacks', 'python_errors']), {
    rust_errors: 1, rust_fallbacks: 1, python_errors: 1,
  });
});

test('a throwing logger or metrics hook never fails a call', () => {
  const broken = { debug() { throw new Error('logger'); }, warn() { throw new Error('logger'); } };
  const events = [];
  const shim = new RolloutQueryBuilder(H.legacy, schema, {
    env: { FRAISEQL_LOG_QUERY_BUILDER_MODE: 'on', FRAISEQL_RUST_QB_PERCENTAGE: 'bad' },
    logger: broken,
    onMetrics: (e) => {
      events.push(e);
      throw new Error('hook');
    },
  });
  shim.build(H.GOOD);
  shim.configure({ useNative: true });
  shim.build(H.GOOD);
  shim.build(H.BAD);
  assert.deepEqual(events.map((e) => [e.servedBy, e.reason, e.fallback]), [
    ['python', 'percentage_sampled', false],
    ['rust', 'forced', false],
    ['python', 'forced', true],
  ]);
});

test('log mode: the engine\'s lines, at debug level', () => {
  const logger = H.recordingLogger();
  const shim = new RolloutQueryBuilder(H.legacy, schema, {
    env: { FRAISEQL_LOG_QUERY_BUILDER_MODE: 'true', FRAISEQL_USE_RUST_QUERY_BUILDER: 'true' }, logger,
  });
  shim.build(H.GOOD);
  shim.build(H.BAD);
  assert.deepEqual(logger.lines.debug, [
    'fraiseql query builder: view "v_user" served by rust (reason=forced)',
    'fraiseql query builder: view "v_user" native build failed, served by python (fallback): ' +
      'QB_UNKNOWN_FIELD at where.emial: view `v_user` has no field `emial` (did you mean `email`?)',
    'fraiseql query builder: view "v_user" served by python (reason=forced)',
  ]);
});

// ---- what legacy builders return -------------------------------------------------------

test('legacy results: text, { text, values }, [sql, params], { sql, params }', () => {
  for (const [r, want] of [
    ['SELECT 1', { text: 'SELECT 1', values: [] }],
    [{ text: 'SELECT $1', values: [1] }, { text: 'SELECT $1', values: [1] }],
    [{ text: 'SELECT 1' }, { text: 'SELECT 1', values: [] }],
    [['SELECT $1', ['a']], { text: 'SELECT $1', values: ['a'] }],
    [{ sql: 'SELECT $1', params: [2] }, { text: 'SELECT $1', values: [2] }],
  ]) {
    assert.deepEqual(make({}, () => r).build(H.GOOD), want);
  }
});

test('anything else is a LegacyResultError naming the type, counted as a legacy error, never reinterpreted', () => {
  for (const [r, named] of [
    [{ sql: 'SELECT 1', bindings: [1] }, /object with keys \[sql, bindings\]/],
    [['SELECT 1', 'not a list'], /array of length 2/],
    [42, /number/],
    [null, /null/],
    [Promise.resolve('SELECT 1'), /Promise/],
    [new Map(), /Map/],
  ]) {
    const shim = make({}, () => r);
    assert.throws(() => shim.build(H.GOOD), (e) => e instanceof fqb.LegacyResultError && named.test(e.message));
    assert.equal(shim.metrics().python_errors, 1);
  }
});

test('adaptLegacy: Knex (.toSQL().toNative()) and Kysely (.compile()) as legacy builders', () => {
  const knex = require('knex')({ client: 'pg' });
  const knexLegacy = (q) => knex('v_user').select('id').where('age', '>=', q.where.age.gte);
  const k = make({}, knexLegacy, { adaptLegacy: fqb.legacyAdapters.knex });
  assert.deepEqual(k.build(H.GOOD), { text: 'select "id" from "v_user" where "age" >= $1', values: [41] });
  // Without the adapter, a Knex builder is refused, not guessed at.
  assert.throws(() => make({}, knexLegacy).build(H.GOOD), fqb.LegacyResultError);

  const { Kysely, DummyDriver, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } = require('kysely');
  const db = new Kysely({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (d) => new PostgresIntrospector(d),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const kyselyLegacy = (q) => db.selectFrom('v_user').select('id').where('age', '>=', q.where.age.gte);
  const y = make({}, kyselyLegacy, { adaptLegacy: fqb.legacyAdapters.kysely });
  assert.deepEqual(y.build(H.GOOD), { text: 'select "id" from "v_user" where "age" >= $1', values: [41] });
});

test('placeholder styles: a legacy writing another style is a configuration error at its first call', () => {
  const psycopgStyle = make({}, () => ({ text: 'SELECT 1 WHERE x = %s', values: [1] }));
  const styleError = (e) =>
    e instanceof fqb.PlaceholderMismatchError &&
    /placeholder style numbered \(\$1\): it has 1 `%s` placeholders for 1 parameters/.test(e.message);
  assert.throws(() => psycopgStyle.build(H.GOOD), styleError);
  assert.throws(() => psycopgStyle.build(H.GOOD), styleError); // until the configuration is fixed
  assert.equal(psycopgStyle.metrics().python_errors, 2);
  const knexToSql = make({}, () => ({ text: 'select * from t where a = ?', values: [1] }));
  assert.throws(() => knexToSql.build(H.GOOD), /it has no placeholder for 1 parameters.*adaptLegacy/s);
  // The check is qb-rollout's lexical scan: placeholders in constants, quoted identifiers
  // and comments do not count, and every $n must have its value.
  const quoted = make({}, () => ({ text: "SELECT '%s', \"$2\" /* %s */, $1", values: [1] }));
  assert.equal(quoted.build(H.GOOD).text, "SELECT '%s', \"$2\" /* %s */, $1");
  const short = make({}, () => ({ text: 'SELECT $1, $2', values: [1] }));
  assert.throws(() => short.build(H.GOOD), /2 `\$n` placeholders \(up to \$2\) for 1 parameters/);
  assert.deepEqual(native.checkPlaceholders('SELECT 1', 0, 1), ['inconclusive', null]);
  assert.deepEqual(native.checkPlaceholders('SELECT %s', 1, 1), ['consistent', null]);
  assert.throws(() => native.checkPlaceholders('SELECT 1', -1, 0), RangeError);
  // A matching style passes and is checked once; calls without params are not decisive.
  const format = make({ FRAISEQL_RUST_QB_PERCENTAGE: '50' }, () => ({ text: 'SELECT 1 WHERE x = %s', values: [1] }), { placeholder: 'format' });
  for (let i = 0; i < 200; i++) {
    const out = format.build(H.GOOD);
    assert.ok(out.text.includes('%s'), out.text);
  }
  const none = make({}, () => 'SELECT 1');
  assert.equal(none.build(H.GOOD).text, 'SELECT 1');
});

// ---- shadow ----------------------------------------------------------------------------

test('shadow, text mode: same statement is a match, another a mismatch with both statements', () => {
  const same = make({ FRAISEQL_RUST_QB_SHADOW_PERCENTAGE: '100' }, (q) => fqb.compile(q, schema));
  same.build(H.GOOD);
  assert.deepEqual(pick(same.metrics(), ['shadow_runs', 'shadow_mismatches']), { shadow_runs: 1, shadow_mismatches: 0 });
  const other = make({ FRAISEQL_RUST_QB_SHADOW_PERCENTAGE: '100' });
  other.build(H.GOOD);
  other.build(H.BAD);
  const kept = other.shadowMismatches();
  assert.deepEqual(kept.map((k) => k.result), ['mismatch', 'native_error']);
  assert.match(kept[0].input, /^query=\{"view":"v_user".*legacy="SELECT legacy WHERE x = \$1" \["1"\] native="SELECT/);
  // A throwing comparator is a comparator error, never the call's.
  const bad = make({ FRAISEQL_RUST_QB_SHADOW_PERCENTAGE: '100' }, H.legacy, { comparator: () => { throw new Error('cmp'); } });
  assert.equal(bad.build(H.GOOD).text, H.LEGACY_SQL);
  assert.equal(bad.metrics().shadow_errors, 1);
});

test('shadow, rows mode on PostgreSQL: rows compared (multiset or ordered), answer unaffected', async () => {
  const pool = new Pool({ connectionString: H.pgUrl(), max: 2 });
  try {
    const executor = fqb.pgShadowExecutor(pool);
    // A legacy builder writing different SQL text with the same rows.
    const equivalent = (q) => ({
      text: `SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE (t."data"->>'age')::numeric >= $1 ORDER BY t."id" DESC`,
      values: [q.where.age.gte],
    });
    const shim = make({ FRAISEQL_RUST_QB_SHADOW_PERCENTAGE: '100' }, equivalent, { shadow: { executor, timeoutMs: 5000 } });
    const served = shim.build(H.GOOD);
    assert.equal(served.text, equivalent(H.GOOD).text); // legacy's answer, at once
    await shim.shadowIdle();
    assert.deepEqual(pick(shim.metrics(), ['shadow_runs', 'shadow_mismatches', 'shadow_errors']), {
      shadow_runs: 1, shadow_mismatches: 0, shadow_errors: 0,
    });
    // Ordered query: the legacy's other order is a mismatch at the first differing row.
    const ordered = { ...H.GOOD, order_by: ['id'] };
    shim.build(ordered);
    await shim.shadowIdle();
    const kept = shim.shadowMismatches();
    assert.equal(kept.length, 1);
    assert.match(kept[0].input, /ordered first difference at 0: legacy=\[\{"id":"[0-9a-f-]+"\}\] native=\[\{"id"/);
    // A legacy returning other rows: mismatch, showing the row one side lacks.
    const wrong = make({ FRAISEQL_RUST_QB_SHADOW_PERCENTAGE: '100' }, (q) => ({
      text: equivalent(q).text.replace('>= $1', '> $1'), values: [q.where.age.gte],
    }), { shadow: { executor } });
    wrong.build(H.GOOD);
    await wrong.shadowIdle();
    assert.equal(wrong.metrics().shadow_mismatches, 1);
    assert.match(wrong.shadowMismatches()[0].input, /multiset first difference at \d+: legacy=\(none\) native=\[\{"id"/);
    // The time budget: an executor slower than it is a comparator error, nothing else.
    const slow = make({ FRAISEQL_RUST_QB_SHADOW_PERCENTAGE: '100' }, equivalent, {
      shadow: { executor: () => new Promise((r) => setTimeout(r, 200, [])), timeoutMs: 20 },
    });
    slow.build(H.GOOD);
    await slow.shadowIdle();
    assert.deepEqual(pick(slow.metrics(), ['shadow_runs', 'shadow_errors', 'shadow_mismatches']), {
      shadow_runs: 1, shadow_errors: 1, shadow_mismatches: 0,
    });
    // Only the native statement out of time: still no verdict on it (not a native error).
    const slowNative = make({ FRAISEQL_RUST_QB_SHADOW_PERCENTAGE: '100' }, equivalent, {
      shadow: {
        executor: (s) => (s.text.includes('::bigint') ? new Promise((r) => setTimeout(r, 200, [])) : executor(s)),
        timeoutMs: 50,
      },
    });
    slowNative.build(H.GOOD);
    await slowNative.shadowIdle();
    assert.deepEqual(pick(slowNative.metrics(), ['shadow_runs', 'shadow_errors', 'shadow_mismatches']), {
      shadow_runs: 1, shadow_errors: 1, shadow_mismatches: 0,
    });
    // Read-only: a statement that writes fails in the shadow run, never in the database.
    await assert.rejects(executor({ text: 'CREATE TABLE shadow_must_not_write (x int)', values: [] }), /read-only/);
  } finally {
    await pool.end();
  }
});

test('trip-back opens after errors, routes legacy, then probes', () => {
  const engine = native.rolloutNew(null, { manualClock: true });
  const shim = make({}, H.legacy, {
    engine, useNative: true, tripBack: { minCalls: 4, threshold: 50, coolDownMs: 1000, probeSuccesses: 2 },
  });
  for (let i = 0; i < 4; i++) shim.build(H.BAD);
  assert.equal(shim.tripState, 'open');
  assert.equal(shim.build(H.BAD).text, H.LEGACY_SQL);
  assert.equal(shim.metrics().rust_calls, 4);
  native.rolloutAdvanceMs(engine, 1000);
  assert.equal(shim.tripState, 'half_open');
  shim.build(H.GOOD);
  shim.build(H.GOOD);
  assert.equal(shim.tripState, 'closed');
  assert.equal(shim.metrics().trips_total, 1);
});

// ---- the golden corpus through the shim --------------------------------------------------

test('golden corpus through the shim at 0% and 100%: the same statements as compile', () => {
  const cases = H.loadCases().filter((c) => c.error === null && c.inlineSchema === null);
  const asLegacy = (q) => fqb.compile(q, schema);
  const at0 = make({}, asLegacy);
  const at100 = make({ FRAISEQL_RUST_QB_PERCENTAGE: '100' }, () => {
    throw new Error('legacy must not be called at 100%');
  });
  let n = 0;
  for (const c of cases) {
    if (c.placeholder !== 'numbered') continue;
    const q = c.query === undefined ? c.queryJson : c.query;
    const want = fqb.compile(q, schema);
    assert.deepEqual(at0.build(q), want, c.name);
    assert.deepEqual(at100.build(q), want, c.name);
    n++;
  }
  assert.ok(n > 200, `${n} cases`);
  assert.equal(at0.metrics().rust_calls, 0);
  assert.equal(at100.metrics().python_calls, 0);
});

test('getQueryBuilderMetrics(): exactly the seed\'s nine keys; extended: all sixteen', () => {
  const m = fqb.getQueryBuilderMetrics();
  assert.deepEqual(Object.keys(m), [
    'rust_calls', 'python_calls', 'rust_errors', 'rust_fallbacks', 'total_calls', 'rust_percentage',
    'rust_error_rate', 'avg_rust_time_ms', 'avg_python_time_ms',
  ]);
  assert.deepEqual(Object.keys(fqb.getQueryBuilderMetrics({ extended: true })).slice(9), [
    'python_errors', 'shadow_runs', 'shadow_mismatches', 'shadow_errors', 'trip_state', 'trips_total', 'native_available',
  ]);
  assert.deepEqual(fqb.SEED_KEYS, Object.keys(m));
  assert.ok(fqb.getPrometheusText().includes('fraiseql_query_builder_calls_total{builder_type="rust"}'));
});
