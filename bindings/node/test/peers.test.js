'use strict';
// The benchmark's peers build the same statements: for every workload, the Knex and Kysely
// statements of bench/peers.js return exactly the rows of fraiseql-qb's on PostgreSQL.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('pg');
const fqb = require('..');
const { knexStatement, kyselyStatement } = require('../bench/peers');
const H = require('./helpers');

const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));

test('Knex and Kysely statements of the benchmark return the same rows as compile', async () => {
  const client = new Client({ connectionString: H.pgUrl() });
  await client.connect();
  try {
    for (const w of ['S', 'M', 'C', 'W']) {
      const q = H.WORKLOADS.workloads[w].query;
      const rows = async (s) => H.losslessParse((await client.query({ text: H.jsonWrap(s.text), values: s.values })).rows[0].rows);
      const ordered = Boolean(q.order_by);
      const want = H.canonicalRows(await rows(fqb.compile(q, schema)), ordered);
      // C's filter matches no fixture row: there the statements are only run (and must run).
      assert.ok(want.length > 0 || w === 'C', `${w}: no rows`);
      for (const [name, build] of [['knex', knexStatement], ['kysely', kyselyStatement]]) {
        const got = H.canonicalRows(await rows(build(w)), ordered);
        assert.ok(H.sameJson(got, want), `${w} ${name}: ${H.canonical(got).slice(0, 300)}`);
      }
    }
  } finally {
    await client.end();
  }
});
