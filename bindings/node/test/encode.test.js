'use strict';
// The JS-side encoder (encode.js) against the addon's walk over JS values (`native.compile`,
// which reads the object itself): both routes must read every query alike. Proxies and
// getters are read through their traps, a polluted Object.prototype is not read, text of any
// kind (non-ASCII, astral, lone surrogates) and numbers of any size arrive unchanged.
const test = require('node:test');
const assert = require('node:assert/strict');
const fqb = require('..');
const { native } = require('../loader');
const { encode, unpack } = require('../encode');
const H = require('./helpers');

const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));
const q = (extra) => ({ view: 'v_user', select: ['id', 'email'], ...extra });

/** Both routes give the same statement, or the same error (code and path). */
function same(query) {
  const run = (f) => {
    try {
      const r = f();
      return { text: r.text, values: r.values };
    } catch (e) {
      return { error: [e.constructor.name, e.code, e.path, e.message] };
    }
  };
  const encoded = run(() => fqb.compile(query, schema));
  const walked = run(() => native.compile(query, fqb.Schema.handle(schema)));
  assert.deepEqual(encoded, walked);
  return encoded;
}

test('text of every kind reaches the core unchanged', () => {
  for (const s of ['plain', '', 'é', 'ü€😀', 'a\uD800b', '\uDC00', 'x"y\\z:[]#;&', '\u0000\u001f', 'ß'.repeat(300), 'a'.repeat(600), 'ÿ\u0080\u00ff']) {
    const r = same(q({ where: { name: { eq: s } } }));
    if (s.includes('\u0000')) assert.equal(r.error[1], 'QB_INVALID_VALUE');
    else assert.deepEqual(r.values, [s.toWellFormed()]);
    same(q({ where: { name: { in: [s, 'plain', s] } } }));
    same(q({ select: [{ field: 'id', alias: s || 'a' }] }));
    same(q({ where: { [s || 'k']: { eq: 1 } } }));
  }
});

test('numbers of every size reach the core unchanged', () => {
  for (const n of [0, -0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e21, 1.5, -2.25, 1e-7, Number.MAX_VALUE, Number.MIN_VALUE]) {
    same(q({ where: { age: { eq: n } } }));
    same(q({ where: { score: { gte: n } } }));
    same(q({ limit: n }));
  }
  for (const bad of [NaN, Infinity, -Infinity, 10n ** 30n]) same(q({ where: { age: { eq: bad } } }));
});

test('proxies and getters are read through their traps, once per property', () => {
  const reads = [];
  const where = new Proxy(
    { age: { gte: 1 } },
    {
      get(target, key, receiver) {
        reads.push(key);
        return key === 'age' ? { gte: 42 } : Reflect.get(target, key, receiver);
      },
    },
  );
  const r = same(q({ where }));
  assert.deepEqual(r.values.map(String), ['42']);
  assert.equal(reads.filter((k) => k === 'age').length, 2); // one read per route
  let calls = 0;
  const withGetter = q({
    get limit() {
      calls++;
      return 7;
    },
  });
  assert.deepEqual(fqb.compile(withGetter, schema).values.map(String), ['7']);
  assert.equal(calls, 1);
});

test('a polluted Object.prototype is not read', () => {
  const clean = same(q({ where: { age: { eq: 1 } } }));
  Object.prototype.where = { never: { eq: 1 } }; // eslint-disable-line no-extend-native
  try {
    assert.deepEqual(same(q({ where: { age: { eq: 1 } } })), clean);
    assert.deepEqual(fqb.compile(q(), schema).values, []);
  } finally {
    delete Object.prototype.where;
  }
});

test('a polluted Object.prototype is not read in an object after scalars', () => {
  // The pollution check runs at the first plain object of a query (a list of scalars, as
  // `bindValues` usually gets, needs none): an object after scalars is still read by its
  // own keys only.
  Object.prototype.polluted = 1; // eslint-disable-line no-extend-native
  try {
    const e = encode([7, 'a', { x: 1 }]);
    const w = Array.from(e.w.subarray(0, e.w[0]));
    const at = w.indexOf(0x6f); // 'o': count, size, then the members
    assert.ok(at > 0, String(w));
    assert.equal(w[at + 1], 1, 'one own key, not the prototype\'s');
    assert.equal(e.text, 'ax');
  } finally {
    delete Object.prototype.polluted;
  }
});

test('non-plain values go to the walk over JS values at the same path', () => {
  class Box {
    constructor() {
      this.eq = 3;
    }
  }
  for (const v of [new Box(), new Date(0), new Map(), Symbol('s'), () => 1, undefined, [1, , 3], [1, undefined], Buffer.from('x'), new Uint8Array(2)]) {
    same(q({ where: { age: { eq: v } } }));
    same(q({ where: { age: v } }));
  }
  same(Object.assign(Object.create(null), q()));
  let deep = { age: { eq: 1 } };
  for (let i = 0; i < 200; i++) deep = { not: deep };
  same(q({ where: deep }));
});

test('unpack reads what the addon packs: strings, booleans, floats, lists, types', () => {
  const query = q({
    where: {
      name: { in: ['a', 'b"c', ''] },
      active: { eq: true },
      luckyNumbers: { contains: [1, 2] },
      score: { gte: 1.25 },
      age: { in: [1, 2] },
      tags: { contains: ['x', 'y:z'] },
    },
  });
  const packed = native.compileEncoded(...(() => {
    const e = encode(query);
    return [e.w, e.text, e.refs];
  })(), fqb.Schema.handle(schema), { paramTypes: true });
  const viaObject = native.compile(query, fqb.Schema.handle(schema), { paramTypes: true });
  assert.deepEqual(typeof packed === 'string' ? unpack(packed) : packed, viaObject);
});

test('the internal entry point refuses text that is not a string', () => {
  const e = encode(q({ where: { name: { eq: 'plain' } } }));
  const h = fqb.Schema.handle(schema);
  assert.equal(typeof native.compileEncoded(e.w, e.text, e.refs, h, {}), 'string');
  for (const text of [5, null, undefined, {}, ['plain']]) {
    assert.throws(() => native.compileEncoded(e.w, text, e.refs, h, {}), TypeError, String(text));
  }
});
