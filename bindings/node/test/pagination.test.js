'use strict';
// Keyset pagination from JS: pages walked with cursors made by `encodeCursor` from each row's
// `__cursor` column (no SQL knowledge in the application), signed and unsigned, and the
// core's cursor errors as their classes (the golden schema and fixture).
const test = require('node:test');
const assert = require('node:assert/strict');
const fqb = require('..');
const H = require('./helpers');

const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));
const U = (n) => `11111111-0000-0000-0000-${String(n).padStart(12, '0')}`;
// age ascending (NULLs last), ties by id: the fixture's 16 users.
const BY_AGE = [5, 13, 3, 10, 15, 1, 2, 12, 16, 6, 4, 11, 14, 7, 8, 9].map(U);

async function walk(key) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: H.pgUrl() });
  await client.connect();
  try {
    const base = { view: 'v_user', select: ['id'], order_by: [{ field: 'age' }], page_info: true };
    const page = async (q) => (await client.query(fqb.compile({ ...base, ...q }, schema, { cursorKey: key }))).rows;
    let forward = [];
    let after = null;
    for (;;) {
      const rows = await page({ first: 6, after, total_count: true });
      assert.equal(Number(rows[0].__total_count), 16);
      const edges = rows.filter((r) => r.__cursor !== null);
      forward = forward.concat(edges.map((r) => r.data.id));
      if (!rows[0].__has_next_page) break;
      after = fqb.encodeCursor(edges[edges.length - 1].__cursor, key);
    }
    let backward = [];
    let before = null;
    for (;;) {
      const rows = await page({ last: 5, before });
      const edges = rows.filter((r) => r.__cursor !== null);
      backward = edges.map((r) => r.data.id).concat(backward);
      if (!rows[0].__has_previous_page) break;
      before = fqb.encodeCursor(edges[0].__cursor, key);
    }
    return [forward, backward];
  } finally {
    await client.end();
  }
}

test('walking every page forward and backward returns each row once, in order', async () => {
  for (const key of [undefined, 'a secret key of thirty-two bytes']) {
    const [forward, backward] = await walk(key);
    assert.deepEqual(forward, BY_AGE);
    assert.deepEqual(backward, BY_AGE);
  }
});

test('cursor errors are the core\'s', () => {
  const row = `["0000000000000000", "30", "${U(1)}"]`;
  const signed = fqb.encodeCursor(row, 'k1');
  const query = { view: 'v_user', select: ['id'], order_by: [{ field: 'age' }], first: 2, after: signed };
  assert.throws(() => fqb.compile(query, schema, { cursorKey: 'k2' }),
    (e) => e instanceof fqb.InvalidCursorError && e.code === 'QB_INVALID_CURSOR' && e.path === 'after');
  assert.throws(() => fqb.compile({ ...query, after: fqb.encodeCursor(row) }, schema),
    (e) => e instanceof fqb.CursorMismatchError && e.number === 16);
  assert.throws(() => fqb.encodeCursor('{}'), fqb.InvalidCursorError);
  assert.throws(() => fqb.encodeCursor(5), TypeError);
  assert.throws(() => fqb.compile({ view: 'v_address', select: ['id'], first: 1 }, schema), fqb.NoPrimaryKeyError);
});
