'use strict';
// The golden corpus through the JS API: exactly the core's SQL and parameters (as the JS
// values node-postgres sends: int8 and numeric as exact text, float8 as numbers, booleans,
// arrays as arrays, every other type as text), the same errors, an object and its JSON text
// agreeing, and the same rows on PostgreSQL through `pg`.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('pg');
const fqb = require('..');
const H = require('./helpers');

const CASES = H.loadCases();
const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));
const schemaOf = (c) => (c.inlineSchema === null ? schema : c.inlineSchema);

/** The query as the test sends it: the object when every number has an exact JS form
 * (integers beyond 2^53 as BigInt), else the case's JSON text. */
const input = (c) => (c.query === undefined ? c.queryJson : c.query);

function outcome(query, c) {
  try {
    const out = fqb.compile(query, schemaOf(c), { placeholder: c.placeholder, paramTypes: true });
    return { ok: true, text: out.text, values: out.values, types: out.paramTypes };
  } catch (e) {
    if (!(e instanceof fqb.QueryBuilderError)) throw e;
    return { ok: false, code: e.code, path: e.path, message: e.message, cls: e.constructor };
  }
}

/** The JS value expected for one corpus param `{type, value}` (value lossless). */
function expectedValue(type, value) {
  if (type.endsWith('[]')) return value.map((v) => expectedValue(type.slice(0, -2), v));
  if (type === 'boolean') return value;
  if (type === 'float8') return Number(H.textOf(value));
  return String(H.textOf(value));
}

test('the corpus is there', () => {
  assert.ok(CASES.length >= 100, `${CASES.length} cases`);
  const textOnly = CASES.filter((c) => c.query === undefined).map((c) => c.name);
  // Only numbers no JS type holds exactly go as JSON text (reported, and kept few).
  assert.ok(textOnly.length <= 10, `cases sent as JSON text: ${textOnly}`);
});

for (const c of CASES) {
  test(`golden ${c.name}`, () => {
    const got = outcome(input(c), c);
    if (c.error !== null) {
      const want = JSON.parse(c.error);
      assert.equal(got.ok, false, `${c.name}: compiled, but the corpus expects ${want.code}`);
      assert.deepEqual({ code: got.code, path: got.path, message: got.message }, want);
      assert.equal(got.cls, fqb.errorsByCode[want.code]);
      return;
    }
    assert.ok(got.ok, `${c.name}: ${got.code} at ${got.path}: ${got.message}`);
    assert.ok(c.sql !== null, `${c.name}: no .sql (bless the case)`);
    assert.equal(got.text + '\n', c.sql);
    const want = H.losslessParse(c.params);
    assert.deepEqual(got.types, want.map((p) => p.type));
    assert.deepEqual(got.values, want.map((p) => expectedValue(p.type, p.value)));
  });

  if (c.query !== undefined) {
    test(`object and JSON text agree: ${c.name}`, () => {
      // An object is read in place by the core's parser (the Source over JS values); JSON
      // text goes through the core's own parser. Same statement or same error.
      const a = outcome(c.query, c);
      const b = outcome(c.queryJson, c);
      delete a.cls;
      delete b.cls;
      assert.deepEqual(a, b);
    });
  }
}

const EXECUTED = CASES.filter((c) => c.execute && c.rows !== null);

test('rows on PostgreSQL through pg equal the corpus rows', async (t) => {
  assert.ok(EXECUTED.length >= 100, `${EXECUTED.length} executed cases`);
  const client = new Client({ connectionString: H.pgUrl() });
  await client.connect();
  try {
    for (const c of EXECUTED) {
      await t.test(c.name, async () => {
        // `numbered` for pg ($n); the statement is the one compile returns, as is.
        const q = fqb.compile(input(c), schemaOf(c));
        const res = await client.query({ text: H.jsonWrap(q.text), values: q.values });
        const got = H.canonicalRows(H.losslessParse(res.rows[0].rows), c.ordered);
        const want = H.canonicalRows(H.losslessParse(c.rows), c.ordered);
        assert.ok(H.sameJson(got, want), `${c.name}:\n got ${H.canonical(got)}\nwant ${H.canonical(want)}`);
      });
    }
  } finally {
    await client.end();
  }
});
