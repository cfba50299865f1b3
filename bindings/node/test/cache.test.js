'use strict';
// The Schema's shape cache (qb-core's ShapeCache): on by default, one option to size or
// turn off; compiling through it gives exactly what an uncached compile gives, errors
// included.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { compile, Schema } = require('..');

const GOLDEN = path.join(__dirname, '..', '..', '..', 'tests', 'golden');
const REGISTRY = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'schema.json'), 'utf8'));
const CASES = fs
  .readdirSync(path.join(GOLDEN, 'cases'))
  .filter((f) => f.endsWith('.json') && !/\.(params|rows|error)\.json$/.test(f))
  .map((f) => JSON.parse(fs.readFileSync(path.join(GOLDEN, 'cases', f), 'utf8')));

function outcome(query, schema, placeholder) {
  try {
    const out = compile(query, schema, { placeholder, paramTypes: true });
    return ['ok', out.text, out.values, out.paramTypes];
  } catch (e) {
    return ['error', e.constructor.name, e.code, e.path, e.message];
  }
}

test('the golden corpus twice through the cache equals uncached compiles', () => {
  const cached = new Schema(REGISTRY);
  const uncached = new Schema(REGISTRY, { cacheSize: 0 });
  for (let round = 0; round < 2; round++) {
    for (const c of CASES) {
      for (const placeholder of ['numbered', 'format']) {
        const want = outcome(c.query, c.schema ?? uncached, placeholder);
        const got = outcome(c.query, c.schema ?? cached, placeholder);
        assert.deepEqual(got, want, JSON.stringify(c.query));
      }
    }
  }
  const s = cached.cacheStats();
  assert.ok(s.hits > 0 && s.misses > 0 && s.bytes > 0);
  // The second round's query objects of plain data were read from their document keys.
  assert.ok(s.documentHits > 0 && s.documentHits <= s.hits);
  assert.equal(s.capacity, 1024);
  assert.equal(uncached.cacheStats().len, 0);
});

test('same shape, other values: a hit; a bad value raises as uncached', () => {
  const schema = new Schema(REGISTRY, { cacheSize: 4 });
  const q = (age) => ({ view: 'v_user', select: ['id'], where: { age: { gte: age } } });
  assert.deepEqual(compile(q(18), schema).values, ['18']);
  assert.deepEqual(compile(q(21), schema).values, ['21']);
  assert.throws(() => compile(q('x'), schema), { code: 'QB_INVALID_VALUE', path: 'where.age.gte' });
  const s = schema.cacheStats();
  assert.deepEqual([s.misses, s.hits, s.recompiles], [1, 2, 1]);
});

test('cacheSize bounds the cache and is checked', () => {
  const schema = new Schema(REGISTRY, { cacheSize: 2 });
  for (const field of ['id', 'name', 'email']) compile({ view: 'v_user', select: [field] }, schema);
  // Each new shape compiled from a query object of plain data is two entries: its shape and
  // its document key.
  let s = schema.cacheStats();
  assert.deepEqual([s.len, s.evictions], [2, 4]);
  for (const field of ['id', 'name', 'email']) compile(JSON.stringify({ view: 'v_user', select: [field], limit: 1 }), schema);
  // JSON text too (parsed, then read through its document key).
  s = schema.cacheStats();
  assert.deepEqual([s.len, s.evictions], [2, 10]);
  assert.throws(() => new Schema(REGISTRY, { cacheSize: -1 }), RangeError);
  assert.throws(() => new Schema(REGISTRY, { cacheSize: 'big' }), TypeError);
});

test('prepare and bind', () => {
  const schema = new Schema(REGISTRY);
  const q = (name, n) => ({
    view: 'v_user',
    select: ['id', 'name'],
    where: { name: { icontains: name }, age: { in: [n, n + 1] } },
    limit: 10,
  });
  for (const placeholder of ['numbered', 'format']) {
    const p = schema.prepare(q('a', 1), { placeholder });
    const want = compile(q('b%', 7), schema, { placeholder, paramTypes: true });
    assert.equal(p.text, want.text);
    assert.deepEqual([...p.paramTypes], want.paramTypes);
    assert.deepEqual(p.bind(q('b%', 7)), want.values);
    assert.deepEqual(p.compile(q('b%', 7), { paramTypes: true }), want);
  }
  const p = schema.prepare(q('a', 1));
  const bad = q('a', 1);
  bad.where.age.in = [1, 'x'];
  assert.throws(() => p.bind(bad), { code: 'QB_INVALID_VALUE', path: 'where.age.in[1]' });
  const other = q('a', 1);
  delete other.limit;
  assert.throws(() => p.bind(other), { code: 'QB_INVALID_QUERY', path: '' });
  assert.throws(() => schema.prepare({ view: 'v_user', select: ['nope'] }), {
    code: 'QB_UNKNOWN_FIELD',
  });
});

test('document hits: near shapes alternating through one cache equal uncached compiles', () => {
  const uncached = new Schema(REGISTRY, { cacheSize: 0 });
  const base = { view: 'v_user', select: ['id', 'name'] };
  const where = (w) => ({ ...base, where: w });
  // Pairs that differ by one thing the SQL depends on (operator, path, list or scalar,
  // limit or none, nesting, camelCase, isnull's value), and values that are refused.
  const variants = [
    where({ age: { eq: 1 } }),
    where({ age: { neq: 1 } }),
    where({ age: { in: [1] } }),
    where({ age: { in: [1, 2, 3] } }),
    where({ age: { eq: 1 } , name: { eq: 'a' } }),
    where({ name: { eq: 'a' }, age: { eq: 1 } }),
    where({ nickName: { eq: 'a' } }),
    where({ nick_name: { eq: 'a' } }),
    where({ name: { isnull: true } }),
    where({ name: { isnull: false } }),
    where({ profile: { city: { eq: 'Paris' } } }),
    where({ profile: { zip: { eq: 'Paris' } } }),
    where({ profile: { address: { street: { eq: 'Rue' } } } }),
    where({ or: [{ age: { eq: 1 } }, { name: { eq: 'b' } }] }),
    where({ and: [{ age: { eq: 1 } }, { name: { eq: 'b' } }] }),
    where({ not: { age: { eq: 1 } } }),
    where({ tags: { contains: ['x'] } }),
    where({ score: { gte: 10.5 } }),
    where({ score: { gte: 10 } }),
    where({ ipAddress: { eq: '10.0.0.1' } }),
    where({ name: { eq: 'é ü 😀' } }),
    { ...base, limit: 5 },
    { ...base, limit: 5, offset: 10 },
    { ...base, orderBy: [{ field: 'age', direction: 'desc' }] },
    base,
    // Refused, at the operand's path, as uncached.
    where({ age: { eq: 'x' } }),
    where({ age: { in: [1, 'x'] } }),
    where({ ipAddress: { eq: 'not an address' } }),
    where({ name: { eq: 'a\u0000b' } }),
    { ...base, limit: -1 },
  ];
  // Not plain data: read by the walk over JS values, through the shape.
  const hosts = [where({ birthDate: { eq: new Date(Date.UTC(2020, 0, 2)) } }), where({ age: { eq: 10n } })];
  // Each plain variant again with other operand values of the same kinds: hits bind new values.
  const again = (q) =>
    JSON.parse(JSON.stringify(q), (k, v) => (typeof v === 'number' && k !== 'limit' ? v + 1 : v));
  const rounds = [
    [...variants, ...hosts],
    [...hosts, ...variants].reverse(),
    [...variants.map(again), ...hosts],
  ];
  // A cache holding them all, and one evicting all the time.
  for (const cacheSize of [1024, 4]) {
    const cached = new Schema(REGISTRY, { cacheSize });
    for (const round of rounds) {
      for (const q of round) {
        for (const placeholder of ['numbered', 'format']) {
          const label = JSON.stringify(q, (k, x) => (typeof x === 'bigint' ? `${x}n` : x));
          const want = outcome(q, uncached, placeholder);
          assert.deepEqual(outcome(q, cached, placeholder), want, label);
          if (hosts.includes(q)) continue;
          // The same query as JSON text: its own document key, the same result.
          assert.deepEqual(outcome(JSON.stringify(q), cached, placeholder), want, `${label} as JSON text`);
        }
      }
    }
    const s = cached.cacheStats();
    if (cacheSize === 4) {
      assert.ok(s.evictions > 0, JSON.stringify(s));
      continue;
    }
    // Every shape missed once per placeholder style; the plain ones then hit by document key.
    const shapes = (variants.length + hosts.length) * 2;
    assert.ok(s.misses <= shapes && s.evictions === 0, JSON.stringify(s));
    assert.ok(s.documentHits >= variants.length * 2, JSON.stringify(s));
  }
});
