'use strict';
// Prepared.bindValues: a prepared shape bound from its operand values alone (no query object
// to build or read), giving exactly what compiling the query with those values gives; the
// bound statement runs on PostgreSQL with `pg`.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { compile, Schema } = require('..');
const { GOLDEN, pgUrl } = require('./helpers');

const REGISTRY = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'schema.json'), 'utf8'));

const query = (needle, ids, limit) => ({
  view: 'v_user',
  select: ['id', 'name'],
  where: { email: { isnull: false }, name: { icontains: needle }, id: { in: ids } },
  order_by: [{ field: 'name' }],
  limit,
});

function outcome(run) {
  try {
    return ['ok', run()];
  } catch (e) {
    return ['error', e.constructor.name, e.code, e.path, e.message];
  }
}

const U1 = '11111111-0000-0000-0000-000000000001';

test('operands, values and errors as compile gives them', () => {
  const schema = new Schema(REGISTRY);
  for (const placeholder of ['numbered', 'format']) {
    const p = schema.prepare(query('a', [], 10), { placeholder });
    // `isnull`'s boolean is SQL text: the prepared query's, not an operand.
    assert.deepEqual(
      p.operands.map((o) => [o.path, o.kind]),
      [
        ['where.name.icontains', 'string'],
        ['where.id.in', 'list of uuid'],
        ['limit', 'count'],
      ],
    );
    const want = compile(query('b%', [U1], 5), schema, { placeholder });
    assert.deepEqual(p.bindValues(['b%', [U1], 5]), want.values);
    assert.deepEqual(want.values, ['%b\\%%', [U1], '5']);
    assert.equal(p.text, want.text);
  }
  const p = schema.prepare(query('a', [], 10));
  for (const bad of [
    ['b', [U1, 'not a uuid'], 5],
    [7, [], 5],
    ['b', 'x', 5],
    ['b', [], -1],
    ['b', [], 1.5],
  ]) {
    const got = outcome(() => p.bindValues(bad));
    assert.equal(got[0], 'error', JSON.stringify(bad));
    assert.deepEqual(got, outcome(() => compile(query(...bad), schema)), JSON.stringify(bad));
  }
  assert.throws(() => p.bindValues(['b', [U1, 'x'], 5]), {
    code: 'QB_INVALID_VALUE',
    path: 'where.id.in[1]',
  });
  assert.throws(() => p.bindValues(['b', [() => 1], 5]), (e) => e.path.startsWith('where.id.in'));
  assert.throws(() => p.bindValues([undefined, [], 5]), {
    code: 'QB_INVALID_VALUE',
    path: 'where.name.icontains',
  });
  assert.throws(() => p.bindValues(['b', []]), { code: 'QB_INVALID_QUERY', path: '' });
  assert.throws(() => p.bindValues('b'), TypeError);
});

test('bad values: the error compile gives, or the thrower\'s own exception', () => {
  // bindValues writes the values with encode.js, as compile writes a query: whatever is not
  // plain data is read by the walk over JS values at the operand's path, so every outcome is
  // compile's on the query with those operands.
  const schema = new Schema(REGISTRY);
  const p = schema.prepare(query('a', [], 10));
  const same = (values, check) => {
    const got = outcome(() => p.bindValues(values));
    assert.deepEqual(got, outcome(() => compile(query(...values), schema).values));
    if (check) check(got);
    return got;
  };
  const isError = (code, path) => (got) => {
    assert.equal(got[0], 'error');
    assert.equal(got[2], code);
    if (path !== undefined) assert.equal(got[3], path);
  };
  // (An `undefined` operand is absent in a query object, an error here.)
  assert.throws(() => p.bindValues([undefined, [], 5]), {
    code: 'QB_INVALID_VALUE',
    path: 'where.name.icontains',
  });
  same(['b', [U1, undefined], 5], isError('QB_INVALID_VALUE', 'where.id.in[1]'));
  // eslint-disable-next-line no-sparse-arrays
  same(['b', [U1, , U1], 5], isError('QB_INVALID_VALUE', 'where.id.in[1]'));
  same([Symbol('s'), [], 5], isError('QB_INVALID_VALUE', 'where.name.icontains'));
  same(['b', [Symbol.iterator], 5], isError('QB_INVALID_VALUE', 'where.id.in[0]'));
  same(['b', [], () => 5], isError('QB_INVALID_VALUE', 'limit'));
  for (const n of [NaN, Infinity, -Infinity]) {
    same(['b', [], n], isError('QB_INVALID_VALUE', 'limit'));
    same([n, [], 5], isError('QB_INVALID_VALUE', 'where.name.icontains'));
  }
  // BigInt: an exact integer, as compile reads it.
  assert.deepEqual(same(['b', [], 5n]), ['ok', ['%b%', [], '5']]);
  same(['b', [], 10n ** 30n], isError('QB_INVALID_VALUE', 'limit'));
  same([1n, [], 5], isError('QB_INVALID_VALUE', 'where.name.icontains'));
  // Non-plain values: a Date, a Buffer, a Map, a class instance.
  same([new Date(0), [], 5]);
  same(['b', [Buffer.from('x')], 5], isError('QB_INVALID_VALUE'));
  same(['b', new Map(), 5], isError('QB_INVALID_VALUE'));
  same(['b', [], new (class Limit {})()], isError('QB_INVALID_VALUE', 'limit'));
  // Cycles and deep nesting: a depth error, never a stack overflow.
  const cycle = [];
  cycle.push(cycle);
  same(['b', cycle, 5], isError('QB_DEPTH_LIMIT'));
  const obj = {};
  obj.self = obj;
  same([obj, [], 5], isError('QB_DEPTH_LIMIT'));
  let deep = U1;
  for (let i = 0; i < 10000; i++) deep = [deep];
  same(['b', deep, 5], isError('QB_DEPTH_LIMIT'));
});

test('huge lists, getters and proxies, arrays that are not plain', () => {
  const schema = new Schema(REGISTRY);
  const p = schema.prepare(query('a', [], 10));
  const huge = new Array(1_000_000).fill(U1);
  assert.throws(() => p.bindValues(['b', huge, 5]), { code: 'QB_SIZE_LIMIT', path: 'where.id.in' });
  assert.throws(() => compile(query('b', huge, 5), schema), { code: 'QB_SIZE_LIMIT', path: 'where.id.in' });
  const many = new Array(100_000).fill(U1);
  const got = p.bindValues(['b', many, 5]);
  assert.equal(got[1].length, 100_000);
  assert.deepEqual(got, compile(query('b', many, 5), schema).values);
  many[99_999] = 'not a uuid';
  assert.throws(() => p.bindValues(['b', many, 5]), { code: 'QB_INVALID_VALUE', path: 'where.id.in[99999]' });

  // A getter that throws: its own exception, whether on the values array or inside a value.
  const boom = new Error('boom');
  const thrower = ['b', [], 5];
  Object.defineProperty(thrower, 0, { get() { throw boom; } });
  assert.throws(() => p.bindValues(thrower), (e) => e === boom);
  const inner = [U1];
  Object.defineProperty(inner, 0, { get() { throw boom; } });
  assert.throws(() => p.bindValues(['b', inner, 5]), (e) => e === boom);
  const trap = new Proxy(['b', [], 5], { get() { throw boom; } });
  assert.throws(() => p.bindValues(trap), (e) => e === boom);
  // A getter that binds again while the values are being written.
  const reentrant = ['b', [], 5];
  Object.defineProperty(reentrant, 0, {
    get() {
      assert.deepEqual(p.bindValues(['c', [U1], 1]), ['%c%', [U1], '1']);
      return 'b';
    },
  });
  assert.deepEqual(p.bindValues(reentrant), ['%b%', [], '5']);
  // A getter on a value the addon reads itself (not plain data), binding again meanwhile.
  class Needle {
    get toJSON() {
      return undefined;
    }
  }
  const needle = new Needle();
  Object.defineProperty(needle, 'x', {
    enumerable: true,
    get() {
      assert.deepEqual(p.bindValues(['c', [U1], 1]), ['%c%', [U1], '1']);
      return 1;
    },
  });
  assert.throws(() => p.bindValues([needle, [], 5]), { code: 'QB_INVALID_VALUE', path: 'where.name.icontains' });
  // Arrays the encoder hands over whole: a subclass, a proxy, holes.
  class Values extends Array {}
  assert.deepEqual(p.bindValues(Values.from(['b', [U1], 5])), ['%b%', [U1], '5']);
  assert.deepEqual(p.bindValues(new Proxy(['b', [U1], 5], {})), ['%b%', [U1], '5']);
  // eslint-disable-next-line no-sparse-arrays
  assert.throws(() => p.bindValues([, [], 5]), { code: 'QB_INVALID_VALUE', path: 'where.name.icontains' });
  // Not an array: a TypeError, as before.
  for (const bad of ['b', 5, null, undefined, {}, { 0: 'b', length: 3 }, new Uint32Array(3)]) {
    assert.throws(() => p.bindValues(bad), TypeError, String(bad));
  }
  // Text of every kind comes back unchanged.
  for (const s of ['é', 'ü€😀', 'a\uD800b', 'x"y\\z:[]#;&=', 'ß'.repeat(300), 'a'.repeat(600), 'ÿ\u0080']) {
    assert.deepEqual(p.bindValues([s, [], 5]), compile(query(s, [], 5), schema).values, s);
  }
});

test('Prepared.bind and compile: query objects through encode.js, JSON text as it is', () => {
  const schema = new Schema(REGISTRY);
  const p = schema.prepare(query('a', [], 10));
  const q = query('b', [U1], 5);
  const want = compile(q, schema, { paramTypes: true });
  assert.deepEqual(p.compile(q, { paramTypes: true }), want);
  assert.deepEqual(p.compile(JSON.stringify(q), { paramTypes: true }), want);
  assert.deepEqual(p.compile(q), { text: want.text, values: want.values });
  assert.deepEqual(p.bind(q), want.values);
  assert.deepEqual(p.bind(JSON.stringify(q)), want.values);
  assert.equal(p.compile(q).text, p.text);
  // The internal functions refuse what is not their handles, and words that are not a
  // Uint32Array.
  const { native } = require('../loader');
  const { encode, unpack } = require('../encode');
  const e = encode(['b', [U1], 5]);
  const h = Schema.handle(schema);
  assert.throws(() => native.preparedBindEncoded({}, h, e.w, e.text, e.refs), TypeError);
  assert.throws(() => native.preparedBindEncoded(h, h, e.w, e.text, e.refs), TypeError);
  assert.throws(() => native.preparedCompileEncoded(h, h, e.w, e.text, e.refs, false), TypeError);
  // `refs` is passed only when there are host values: words naming a host value without
  // it are refused, not misread; plain values bind with or without a null `refs`.
  const [ph] = native.schemaPrepare(h, q, undefined);
  const hosted = encode([new Date(0), [U1], 5]);
  assert.notEqual(hosted.refs, null);
  assert.throws(() => native.preparedBindEncoded(ph, h, hosted.w, hosted.text), TypeError);
  assert.deepEqual(unpack(native.preparedBindEncoded(ph, h, hosted.w, hosted.text, hosted.refs)).values, [
    '%1970-01-01T00:00:00.000Z%',
    [U1],
    '5',
  ]);
  const plain = encode(['b', [U1], 5]);
  for (const args of [[], [null]]) {
    assert.deepEqual(unpack(native.preparedBindEncoded(ph, h, plain.w, plain.text, ...args)).values, ['%b%', [U1], '5']);
  }
});

test('the bound statement runs on PostgreSQL', async () => {
  const { Client } = require('pg');
  const client = new Client({ connectionString: pgUrl() });
  await client.connect();
  try {
    const schema = new Schema(REGISTRY);
    const p = schema.prepare(query('a', [], 10));
    const ids = (await client.query('SELECT id FROM v_user ORDER BY id LIMIT 3')).rows.map(
      (r) => r.id,
    );
    const expected = [
      ['', 10, ['Alice Martin', "Bob O'Brien", 'Chloé Dubois']],
      ['', 2, ['Alice Martin', "Bob O'Brien"]],
      ['B', 10, ["Bob O'Brien", 'Chloé Dubois']],
      ['%', 10, []],
    ];
    for (const [needle, limit, names] of expected) {
      // One named prepared statement, as a service keeps it.
      const res = await client.query({ name: 'users', text: p.text, values: p.bindValues([needle, ids, limit]) });
      assert.deepEqual(
        res.rows.map((r) => r.data.name),
        names,
      );
      const want = await client.query(compile(query(needle, ids, limit), schema));
      assert.deepEqual(res.rows, want.rows);
    }
  } finally {
    await client.end();
  }
});

test('the bench workloads bound from their values equal their compiles', () => {
  const { methods } = require('../bench/methods');
  for (const w of ['S', 'M', 'C', 'W']) {
    const m = methods(w);
    assert.deepEqual(m.bind_values(), { text: m.schema().text, values: m.schema().values }, w);
  }
});

test('values read in place bind as the compile of the same values', () => {
  // The addon reads encoded values where they are (strings, integers, lists of them) and
  // converts the rest; either way the result is compile's, good or bad.
  const schema = new Schema(REGISTRY);
  const q = (email, age, score, cities, limit) => ({
    view: 'v_user',
    select: ['id'],
    where: {
      email: { eq: email },
      age: { eq: age },
      score: { gte: score },
      profile: { city: { in: cities } },
    },
    limit,
  });
  const p = schema.prepare(q('a', 1, 1.5, ['x'], 10));
  assert.deepEqual(
    p.operands.map((o) => o.kind),
    ['text', 'integer', 'numeric', 'list of text', 'count'],
  );
  const variants = [
    ['a@b', 3, 10.5, ['Paris', 'Berlin'], 20],
    ['', 0, 0, [], 0],
    ['é ü 😀', -3, 1e21, ['Zürich', '東京'], 1], // non-ASCII text: the encoder's UTF-16 form
    ['a\ud800', 1, 1, ['x'], 1], // lone surrogates
    ['a', 1, 1, ['x', 'y\udc00'], 1],
    ['a\0b', 1, 1, ['x'], 1], // NUL is refused
    ['a', true, 1, ['x'], 1], // a boolean where an integer is declared
    ['a', 1, true, ['x'], true],
    ['a', 1.5, 1, ['x'], 1],
    ['a', 2 ** 60, 1, ['x'], 1],
    ['a', 1, '1.5', ['x'], 1],
    ['a', 1, 1, 'x', 1],
    ['a', 1, 1, ['x', 2], 1],
    ['a', 1, 1, [null], 1],
    ['a', 1, 1, ['x'], -1],
    ['a', 1, 1, ['x'], 2.5],
    [null, 1, 1, ['x'], 1],
    [1, 1, 1, ['x'], 1],
    ['x'.repeat(70000), 1, 1, ['x'], 1],
    ['a', 1, 1, { k: 1 }, 1],
    ['a', 1, 1, Array(2000).fill('x'), 1],
    ['a', 1, 1, ['x'], 1, 'one too many'],
  ];
  for (const values of variants) {
    const want = outcome(() => compile(q(...values.slice(0, 5)), schema).values);
    const got = outcome(() => p.bindValues(values));
    if (values.length === 5) {
      assert.deepEqual(got, want, JSON.stringify(values).slice(0, 200));
    } else {
      assert.equal(got[0], 'error');
      assert.equal(got[2], 'QB_INVALID_QUERY');
    }
  }
});
