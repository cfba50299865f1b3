'use strict';
// Parameter values as node-postgres sends them, checked on PostgreSQL: int8 beyond 2^53 and
// numeric keep every digit (text), arrays stay arrays, jsonb is JSON text.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('pg');
const fqb = require('..');
const H = require('./helpers');

const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));

test('parameter values reach PostgreSQL with every digit', async () => {
  const client = new Client({ connectionString: H.pgUrl() });
  await client.connect();
  try {
    const big = 9007199254740993n; // 2^53 + 1: not a JS number
    const q = fqb.compile(
      {
        view: 'v_user',
        select: ['id'],
        where: {
          age: { in: [big, -big, 1] },
          score: { lt: '12345678901234567890.123456789' },
          name: { in: ['a', 'b"c', 'd,e'] },
          metadata: { contains: { k: [1, 2.5, 'x'] } },
        },
        limit: 2n ** 62n,
      },
      schema,
      { paramTypes: true },
    );
    assert.deepEqual(q.paramTypes, ['bigint[]', 'numeric', 'text[]', 'jsonb', 'bigint']);
    assert.deepEqual(q.values, [
      ['9007199254740993', '-9007199254740993', '1'],
      '12345678901234567890.123456789',
      ['a', 'b"c', 'd,e'],
      '{"k":[1,2.5,"x"]}',
      '4611686018427387904',
    ]);
    // Each value as the server received it, cast like the statement casts it.
    const echo = await client.query({
      text: 'SELECT $1::bigint[]::text AS a, $2::numeric::text AS b, $3::text[] AS c, $4::text::jsonb AS d, $5::bigint::text AS e',
      values: q.values,
    });
    assert.deepEqual(echo.rows[0], {
      a: '{9007199254740993,-9007199254740993,1}',
      b: '12345678901234567890.123456789',
      c: ['a', 'b"c', 'd,e'],
      d: { k: [1, 2.5, 'x'] },
      e: '4611686018427387904',
    });
    // And the statement itself runs as compile returned it.
    const res = await client.query(q);
    assert.ok(Array.isArray(res.rows));
  } finally {
    await client.end();
  }
});
