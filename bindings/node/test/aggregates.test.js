'use strict';
// count distinct, having, distinct and distinct_on from JS objects: the binding only converts
// types (every key is read by the core's parser), and the rows come back from PostgreSQL.
const test = require('node:test');
const assert = require('node:assert/strict');
const fqb = require('..');
const H = require('./helpers');

const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));
const A = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';

const rows = (query) => H.dataRows(query, schema);

test('count distinct and having (a BigInt operand) per tenant', async () => {
  const got = await rows({
    view: 'v_post',
    select: ['tenant_id', { aggregate: 'count', field: 'author_id', distinct: true, alias: 'authors' }],
    group_by: ['tenant_id'],
    having: { authors: { gte: 1n } },
    order_by: ['tenant_id'],
  });
  assert.deepEqual(got, [{ tenant_id: A, authors: 6 }, { tenant_id: B, authors: 1 }]);
});

test('distinct and distinct_on (camelCase keys)', async () => {
  const distinct = await rows({
    view: 'v_post', select: ['published'], distinct: true, order_by: [{ field: 'published', nulls: 'first' }],
  });
  assert.deepEqual(distinct, [{ published: null }, { published: false }, { published: true }]);
  const latest = await rows({
    view: 'v_post', camel_case: true, select: ['tenantId', 'title'], where: { title: { isnull: false } },
    distinct_on: ['tenantId'], order_by: [{ field: 'createdAt', direction: 'desc' }],
  });
  assert.deepEqual(latest, [{ tenantId: A, title: 'Rust tips' }, { tenantId: B, title: 'Berlin Rust meetup' }]);
});

test('having errors carry code and path', () => {
  assert.throws(
    () => fqb.compile({ view: 'v_post', select: ['title'], having: { n: { gt: 1 } } }, schema),
    (e) => e instanceof fqb.QueryBuilderError && e.code === 'QB_INVALID_GROUP_BY' && e.path === 'having',
  );
});
