'use strict';
// examples/node/app.js runs against the test database, also under malformed environment
// values (they only warn: the contract's defaults apply).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const H = require('./helpers');

const APP = path.join(H.REPO, 'examples', 'node', 'app.js');

function run(env) {
  return spawnSync(process.execPath, [APP], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      FQB_PG_URL: H.pgUrl(),
      NODE_PATH: path.join(__dirname, '..', 'node_modules'),
      ...env,
    },
  });
}

for (const [name, env, share] of [
  ['at 50%', { FRAISEQL_RUST_QB_PERCENTAGE: '50' }, '50% native'],
  ['malformed percentage', { FRAISEQL_RUST_QB_PERCENTAGE: 'abc' }, '0% native (1 malformed'],
  ['every variable malformed', {
    FRAISEQL_USE_RUST_QUERY_BUILDER: 'perhaps', FRAISEQL_RUST_QB_PERCENTAGE: '150', FRAISEQL_LOG_QUERY_BUILDER_MODE: 'x',
    FRAISEQL_RUST_QB_FALLBACK: '-1', FRAISEQL_USE_PYTHON_QUERY_BUILDER: '?', FRAISEQL_RUST_QB_STICKY: 'y',
    FRAISEQL_RUST_QB_SHADOW_PERCENTAGE: '1e9', FRAISEQL_RUST_QB_TRIP_BACK: 'enable',
  }, '0% native (8 malformed'],
]) {
  test(`the example app: ${name}`, () => {
    const r = run(env);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(share), r.stdout.slice(0, 300));
    assert.match(r.stdout, /^4 rows for /m);
    assert.match(r.stdout, /"total_calls": \d+/);
    assert.match(r.stdout, /^fraiseql_query_builder_calls_total\{builder_type="rust"\} \d+$/m);
  });
}
