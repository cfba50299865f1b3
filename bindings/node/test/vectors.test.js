'use strict';
// tests/rollout/vectors.json through the Node entry points: config parsing (configFromEnv,
// the shim's path), the engine handle the shim uses, the Prometheus text.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { native } = require('../loader');
const { configFromEnv } = require('..');
const H = require('./helpers');

const V = JSON.parse(fs.readFileSync(H.VECTORS, 'utf8'));
const TOL = V.float_tolerance;

function assertMetrics(name, got, want) {
  assert.deepEqual(Object.keys(got), Object.keys(want), `${name}: keys`);
  for (const [k, w] of Object.entries(want)) {
    const g = got[k];
    if (typeof w === 'number' && !Number.isInteger(w)) {
      assert.ok(Math.abs(g - w) <= TOL * Math.max(1, Math.abs(w)), `${name}: ${k} = ${g}, want ${w}`);
    } else {
      assert.equal(g, w, `${name}: ${k}`);
    }
  }
}

test('format and defaults', () => {
  assert.equal(V.format, 1);
  assert.deepEqual(native.rolloutConfig(native.rolloutNew()), V.config_defaults);
});

for (const c of V.env) {
  test(`env: ${c.name}`, () => {
    const { config, warnings } = configFromEnv(c.env);
    assert.deepEqual(config, c.config);
    assert.deepEqual(
      warnings.map(({ variable, value, expected, default: d }) => ({ variable, value, expected, default: d })),
      c.warnings,
    );
    for (const w of warnings) assert.ok(w.message.includes(w.variable) && w.message.includes(w.default));
  });
}

for (const c of V.sticky) {
  test(`sticky: ${JSON.stringify(c.key)}`, () => {
    const [hash, bucket] = native.stickyBucket(c.key);
    assert.equal(hash, c.fnv1a64);
    assert.equal(bucket, c.bucket);
    for (const r of c.routes) {
      const e = native.rolloutNew({ sticky: true, percentage_bp: r.percentage_bp });
      const [isNative, , reason, , b] = native.rolloutDecide(e, c.key);
      assert.equal(isNative ? 'native' : 'legacy', r.route);
      assert.equal(reason, 'sticky_bucket');
      assert.equal(b, bucket);
    }
  });
}

for (const c of V.decisions) {
  test(`decision: ${c.name}`, () => {
    const e = native.rolloutNew(c.config, { sampler: 'counting' });
    native.rolloutSet(e, 'legacy_registered', c.legacy_registered);
    native.rolloutSet(e, 'native_available', c.native_available);
    const [isNative, shadow, reason, , bucket] = native.rolloutDecide(e, c.key);
    assert.equal(isNative ? 'native' : 'legacy', c.route);
    assert.equal(reason, c.reason);
    assert.equal(shadow, c.shadow);
    assert.equal(bucket, c.bucket);
    assert.equal(native.rolloutSamplesDrawn(e), 0, 'deterministic decisions draw no randomness');
  });
}

function runEvents(e, name, events) {
  events.forEach((ev, i) => {
    switch (ev.op) {
      case 'native_ok':
      case 'legacy_ok':
      case 'legacy_err':
        native.rolloutRecord(e, ev.op, ev.duration_ns);
        break;
      case 'native_err':
        native.rolloutRecord(e, ev.op, ev.duration_ns, ev.fell_back);
        break;
      case 'shadow':
        native.rolloutRecordShadow(e, ev.result, ev.view, ev.input);
        break;
      case 'advance_ms':
        native.rolloutAdvanceMs(e, ev.ms);
        break;
      case 'trip_state':
        assert.equal(native.rolloutState(e).tripState, ev.state, `${name}: event ${i}`);
        break;
      case 'decide': {
        const [isNative, , reason, probe] = native.rolloutDecide(e, ev.key);
        assert.equal(isNative ? 'native' : 'legacy', ev.route, `${name}: ${i}`);
        assert.equal(reason, ev.reason, `${name}: ${i}`);
        assert.equal(probe, ev.probe, `${name}: ${i} probe`);
        break;
      }
      default:
        throw new Error(`${name}: unknown op ${ev.op}`);
    }
  });
}

for (const c of V.sequences) {
  test(`sequence: ${c.name}`, () => {
    const e = native.rolloutNew(c.config, { manualClock: true, sampler: 'counting' });
    if ('legacy_registered' in c) native.rolloutSet(e, 'legacy_registered', c.legacy_registered);
    runEvents(e, c.name, c.events);
    assertMetrics(c.name, native.rolloutMetrics(e, 'snapshot'), c.metrics);
    if ('shadow_kept' in c) assert.deepEqual(native.rolloutShadowMismatches(e), c.shadow_kept);
  });
}

for (const c of V.prometheus) {
  test(`prometheus: ${c.name}`, () => {
    const e = native.rolloutNew(null, { manualClock: true, sampler: 'counting' });
    native.rolloutSet(e, 'native_available', c.native_available);
    runEvents(e, c.name, c.events);
    assert.equal(native.rolloutMetrics(e, 'text'), c.text);
  });
}
