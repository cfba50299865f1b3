'use strict';
// Relations from JS objects: the binding only converts types (every key is read by the core's
// parser), and PostgreSQL returns the nested rows (the golden schema and fixture).
const test = require('node:test');
const assert = require('node:assert/strict');
const fqb = require('..');
const H = require('./helpers');

const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));
const id = (prefix, n) => `${prefix}-0000-0000-0000-${String(n).padStart(12, '0')}`;
const U = (n) => id('11111111', n);
const P = (n) => id('22222222', n);

const rows = (query) => H.dataRows(query, schema);

test('many-to-many likers, a self relation and an every filter, in one statement', async () => {
  const got = await rows({
    view: 'v_post',
    camel_case: true,
    select: ['id', { field: 'likers', select: ['id', { field: 'manager', select: ['name'] }] }],
    where: { id: { in: [P(1), P(3)] }, comments: { every: { likes: { gte: 0 } } } },
    order_by: ['id'],
  });
  assert.deepEqual(got, [
    {
      id: P(1),
      likers: [
        { id: U(2), manager: { name: 'Alice Martin' } },
        { id: U(3), manager: { name: 'Alice Martin' } },
        { id: U(4), manager: { name: "Bob O'Brien" } },
      ],
    },
    { id: P(3), likers: [] },
  ]);
});

test('a relation error is the core\'s, with its path', () => {
  assert.throws(
    () => fqb.compile({ view: 'v_post', select: ['id', 'author'] }, schema),
    (e) => e instanceof fqb.QueryBuilderError && e.code === 'QB_INVALID_QUERY' && e.path === 'select[1]',
  );
});
