'use strict';
// 8 worker_threads hammer their own shims (and compile) at once; the process-wide totals are
// exact. FQB_NODE_WORKER_CALLS sets the calls per worker (default 100,000).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const fqb = require('..');

const WORKERS = 8;
const CALLS = Number(process.env.FQB_NODE_WORKER_CALLS || 100000);

const body = `
const { parentPort, workerData } = require('node:worker_threads');
const fqb = require(workerData.pkg);
const schema = new fqb.Schema(workerData.schema);
const good = { view: 'v_user', select: ['id'], where: { age: { gte: 41 } } };
const bad = { view: 'v_user', select: ['id'], where: { emial: { eq: 'x' } } };
// Native for every call: even calls fail and fall back to the legacy builder.
const shim = new fqb.RolloutQueryBuilder(() => 'SELECT legacy', schema, { env: {}, useNative: true });
let legacy = 0;
for (let i = 0; i < workerData.calls; i++) {
  const out = shim.build(i % 2 ? good : bad);
  if (out.text === 'SELECT legacy') legacy++;
}
parentPort.postMessage({ legacy, metrics: shim.metrics() });
`;

test(`${WORKERS} worker threads x ${CALLS} calls: exact per-shim and process-wide totals`, async () => {
  const before = fqb.getQueryBuilderMetrics({ extended: true });
  const schema = require(path.join(__dirname, '..', '..', '..', 'tests', 'golden', 'schema.json'));
  const runs = Array.from({ length: WORKERS }, () =>
    new Promise((resolve, reject) => {
      const w = new Worker(body, { eval: true, workerData: { pkg: path.join(__dirname, '..'), schema, calls: CALLS } });
      w.once('message', resolve);
      w.once('error', reject);
    }),
  );
  const results = await Promise.all(runs);
  const half = CALLS / 2;
  for (const r of results) {
    assert.equal(r.legacy, half);
    assert.equal(r.metrics.rust_calls, CALLS);
    assert.equal(r.metrics.rust_errors, half);
    assert.equal(r.metrics.rust_fallbacks, half);
    assert.equal(r.metrics.python_calls, half);
    assert.equal(r.metrics.total_calls, CALLS);
  }
  const after = fqb.getQueryBuilderMetrics({ extended: true });
  const delta = (k) => after[k] - before[k];
  assert.equal(delta('rust_calls'), WORKERS * CALLS);
  assert.equal(delta('rust_errors'), (WORKERS * CALLS) / 2);
  assert.equal(delta('rust_fallbacks'), (WORKERS * CALLS) / 2);
  assert.equal(delta('python_calls'), (WORKERS * CALLS) / 2);
  assert.equal(delta('total_calls'), WORKERS * CALLS);
});
