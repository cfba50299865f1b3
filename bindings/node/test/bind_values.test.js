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
