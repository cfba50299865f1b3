'use strict';
// Error mapping (one class per core kind, exactly docs/errors.md) and bad JS input: every
// value with no JSON form gets a coded error at its path, or the thrower's own exception;
// never a crash or a hang.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { native } = require('../loader');
const errors = require('../errors');
const fqb = require('..');
const H = require('./helpers');

const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));
const q = (extra) => ({ view: 'v_user', select: ['id'], ...extra });

function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    if (e instanceof fqb.QueryBuilderError) return [e.code, e.path];
    throw e;
  }
  return null;
}

test('one class per core error kind, in catalog order, as docs/errors.md lists them', () => {
  const core = native.meta().errorKinds;
  assert.deepEqual(
    errors.KINDS.map(([code, number]) => [code, number]),
    core,
  );
  const doc = fs.readFileSync(path.join(H.REPO, 'docs', 'errors.md'), 'utf8');
  const headed = [...doc.matchAll(/^## (QB_[A-Z_]+) \((\d+)\)$/gm)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(headed, core);
  for (const [code, number, name] of errors.KINDS) {
    const cls = fqb[name];
    assert.equal(typeof cls, 'function', name);
    assert.equal(fqb.errorsByCode[code], cls);
    assert.equal(cls.code, code);
    assert.equal(cls.number, number);
    assert.ok(cls.prototype instanceof fqb.QueryBuilderError);
    assert.ok(cls.prototype instanceof Error);
  }
});

test('a core error carries code, number, path and message; its stack shows the whole line', () => {
  let err;
  try {
    fqb.compile(q({ where: { and: [{ age: { gte: 18 } }, { emial: { eq: 'a@b.c' } }] } }), schema);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof fqb.UnknownFieldError);
  assert.equal(err.name, 'UnknownFieldError');
  assert.equal(err.code, 'QB_UNKNOWN_FIELD');
  assert.equal(err.number, 5);
  assert.equal(err.path, 'where.and[1].emial');
  assert.equal(err.message, 'view `v_user` has no field `emial` (did you mean `email`?)');
  assert.match(err.stack, /^UnknownFieldError: QB_UNKNOWN_FIELD at where\.and\[1\]\.emial: view `v_user` has no field `emial`/);
});

test('a panic inside the addon is a QB_INTERNAL InternalError, and the addon keeps working', () => {
  assert.throws(() => native.panicForTest(), (e) => e instanceof fqb.InternalError && e.code === 'QB_INTERNAL' && e.number === 14);
  assert.equal(fqb.compile(q(), schema).values.length, 0);
});

test('API misuse is a TypeError or RangeError', () => {
  assert.throws(() => fqb.compile(q(), schema, { placeholder: 'qmark' }), RangeError);
  assert.throws(() => fqb.compile(q(), schema, { placeholder: 1 }), TypeError);
  assert.throws(() => fqb.compile(q(), schema, 'format'), TypeError);
  assert.throws(() => fqb.compile(q(), 42), TypeError);
  assert.throws(() => new fqb.Schema({ views: { 'v-x': {} } }), fqb.InvalidSchemaError);
  assert.throws(() => new fqb.Schema('{'), fqb.InvalidJsonError);
});

const BAD = [
  ['undefined in a list', () => q({ select: ['id', undefined] }), 'QB_INVALID_VALUE', 'select[1]'],
  ['a symbol', () => q({ select: ['id', Symbol('x')] }), 'QB_INVALID_VALUE', 'select[1]'],
  ['a function', () => q({ where: { age: { eq: () => 1 } } }), 'QB_INVALID_VALUE', 'where.age.eq'],
  ['NaN', () => q({ where: { age: { eq: NaN } } }), 'QB_INVALID_VALUE', 'where.age.eq'],
  ['Infinity', () => q({ where: { age: { in: [1, -Infinity] } } }), 'QB_INVALID_VALUE', 'where.age.in[1]'],
  ['a Buffer', () => q({ where: { name: { eq: Buffer.from('ab') } } }), 'QB_INVALID_VALUE', 'where.name.eq'],
  ['a typed array', () => q({ where: { tags: { contains: new Uint8Array(2) } } }), 'QB_INVALID_VALUE', 'where.tags.contains'],
  ['a Map', () => q({ where: { metadata: { contains: new Map([['a', 1]]) } } }), 'QB_INVALID_VALUE', 'where.metadata.contains'],
  ['a Set as the selection', () => q({ select: new Set(['id']) }), 'QB_INVALID_VALUE', 'select'],
  ['an invalid Date', () => q({ where: { lastLogin: { gte: new Date(NaN) } } }), 'QB_INVALID_VALUE', 'where.lastLogin.gte'],
  ['a hole of a sparse array', () => q({ where: { age: { in: [1, , 3] } } }), 'QB_INVALID_VALUE', 'where.age.in[1]'],
  ['undefined as the whole query', () => undefined, 'QB_INVALID_VALUE', ''],
];

for (const [name, make, code, at] of BAD) {
  test(`bad input: ${name}`, () => {
    assert.deepEqual(codeOf(() => fqb.compile(make(), schema)), [code, at]);
  });
}

test('JSON.stringify semantics where JSON has an answer', () => {
  // A property whose value is undefined is absent.
  assert.deepEqual(fqb.compile(q({ where: undefined, limit: undefined }), schema).values, []);
  // ...so a filter object of undefined operators is empty: an error, never "match all".
  assert.deepEqual(codeOf(() => fqb.compile(q({ where: { age: { eq: undefined } } }), schema)), ['QB_INVALID_QUERY', 'where.age']);
  // A Date is its ISO text; a BigInt an exact integer; Object.create(null) a plain object.
  const d = new Date(Date.UTC(2024, 0, 31, 10, 0, 0, 123));
  const out = fqb.compile(q({ where: { lastLogin: { gte: d }, age: { eq: 2n ** 40n } } }), schema);
  // (the core sends every timestamptz as its UTC instant with an explicit +00:00 offset)
  assert.deepEqual(out.values, ['2024-01-31T10:00:00.123000+00:00', '1099511627776']);
  // A Date for a date field: its ISO text, which PostgreSQL's date input reads as the UTC
  // calendar day (docs/query-ast.md, operand formats).
  assert.deepEqual(fqb.compile(q({ where: { birthDate: { eq: new Date(0) } } }), schema).values, ['1970-01-01']);
  const bare = Object.assign(Object.create(null), { view: 'v_user', select: ['id'] });
  assert.equal(fqb.compile(bare, schema).text, fqb.compile(q(), schema).text);
  // Class instances are read by their own enumerable properties, as JSON.stringify does.
  class Query {
    constructor() {
      this.view = 'v_user';
      this.select = ['id'];
    }
  }
  assert.equal(fqb.compile(new Query(), schema).text, fqb.compile(q(), schema).text);
});

test('Dates convert exactly as toISOString, BigInts exactly as String()', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 2000; i++) {
    const ms = Math.floor((rnd() - 0.5) * 2 * 8.64e15);
    const d = new Date(ms);
    assert.equal(fqb.toJson([d]), JSON.stringify([d.toISOString()]), `${ms}`);
    let b = 0n;
    for (let k = 0; k < 1 + (i % 5); k++) b = b * 2n ** 64n + BigInt(Math.floor(rnd() * 2 ** 53)) * 2048n + BigInt(i);
    if (i % 2) b = -b;
    assert.equal(fqb.toJson([b]), `[${b}]`);
  }
});

test('a getter or proxy trap that throws propagates its own exception', () => {
  class Mine extends Error {}
  const boom = () => {
    throw new Mine('mine');
  };
  assert.throws(() => fqb.compile({ view: 'v_user', get select() { return boom(); } }, schema), Mine);
  const trap = new Proxy({}, { ownKeys: boom });
  assert.throws(() => fqb.compile(trap, schema), Mine);
  assert.throws(() => fqb.compile(q({ where: { metadata: { contains: { get a() { return boom(); } } } } }), schema), Mine);
  // and the addon is fine afterwards
  assert.equal(fqb.compile(q(), schema).values.length, 0);
});

test('10,000-deep nesting is a depth error, not a stack overflow', () => {
  let f = { age: { eq: 1 } };
  for (let i = 0; i < 10000; i++) f = { not: f };
  assert.deepEqual(codeOf(() => fqb.compile(q({ where: f }), schema))[0], 'QB_DEPTH_LIMIT');
  let v = 1;
  for (let i = 0; i < 10000; i++) v = [v];
  assert.equal(codeOf(() => fqb.compile(q({ where: { metadata: { contains: v } } }), schema))[0], 'QB_DEPTH_LIMIT');
  const cyclic = { view: 'v_user', select: ['id'] };
  cyclic.where = { not: cyclic };
  assert.ok(codeOf(() => fqb.compile(cyclic, schema)) !== null);
  const cyc2 = [];
  cyc2.push(cyc2);
  assert.equal(codeOf(() => fqb.compile(q({ where: { metadata: { contains: cyc2 } } }), schema))[0], 'QB_DEPTH_LIMIT');
});

test('a 1,000,000-item list is a size error', () => {
  const big = Array.from({ length: 1_000_000 }, (_, i) => i);
  assert.deepEqual(codeOf(() => fqb.compile(q({ where: { age: { in: big } } }), schema)), ['QB_SIZE_LIMIT', 'where.age.in']);
  const sparse = new Array(1e9);
  assert.deepEqual(codeOf(() => fqb.compile(q({ where: { age: { in: sparse } } }), schema)), ['QB_INVALID_VALUE', 'where.age.in[0]']);
});

test('lone surrogates are replaced (U+FFFD), as V8 writes UTF-8', () => {
  const out = fqb.compile(q({ where: { name: { eq: 'a\uD800b' } } }), schema);
  assert.deepEqual(out.values, ['a\uFFFDb']);
});
