'use strict';
// prom-client: the families registered into a registry render the engine's own text.
const test = require('node:test');
const assert = require('node:assert/strict');
const client = require('prom-client');
const fqb = require('..');
const { registerCollector } = require('../prometheus');
const H = require('./helpers');

const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));

function shimWithTraffic() {
  const shim = new fqb.RolloutQueryBuilder(H.legacy, schema, { env: {}, useNative: true, shadowPercentage: 0, logger: H.recordingLogger() });
  shim.build(H.GOOD);
  shim.build(H.BAD);
  shim.configure({ useNative: false });
  shim.build(H.GOOD);
  return shim;
}

test("one shim's metrics in a registry: prom-client's text equals the engine's", async () => {
  const shim = shimWithTraffic();
  const registry = new client.Registry();
  const c = registerCollector({ registry, shim });
  assert.equal(c.names.length, 9);
  const text = await registry.metrics();
  // prom-client separates families with a blank line; every line is the engine's.
  const lines = (t) => t.split('\n').filter((l) => l !== '');
  assert.deepEqual(lines(text), lines(shim.prometheusText()));
  assert.match(text, /fraiseql_query_builder_calls_total\{builder_type="rust"\} 2/);
  assert.match(text, /fraiseql_query_builder_fallbacks_total 1/);
  assert.match(text, /fraiseql_query_build_duration_seconds_bucket\{builder_type="python",le="\+Inf"\} 2/);
  c.unregister();
  assert.equal((await registry.metrics()).trim(), '');
});

test('process-wide metrics on the default registry, read on every scrape', async () => {
  const c = registerCollector();
  const before = await client.register.getSingleMetric('fraiseql_query_builder_calls_total').get();
  shimWithTraffic();
  const after = await client.register.getSingleMetric('fraiseql_query_builder_calls_total').get();
  const rust = (m) => m.values.find((v) => v.labels.builder_type === 'rust').value;
  assert.equal(rust(after) - rust(before), 2);
  assert.match(await client.register.metrics(), /^# HELP fraiseql_query_builder_calls_total Query builder invocations by builder type\.$/m);
  c.unregister();
});

test('an OpenMetrics registry gets counter names without _total (it appends it)', async () => {
  const registry = new client.Registry(client.Registry.OPENMETRICS_CONTENT_TYPE);
  const c = registerCollector({ registry, shim: shimWithTraffic() });
  const text = await registry.metrics();
  assert.match(text, /^# TYPE fraiseql_query_builder_calls counter$/m);
  assert.match(text, /^fraiseql_query_builder_calls_total\{builder_type="rust"\} 2$/m);
  c.unregister();
});
