'use strict';
// Embedded lists from JS objects: the binding only converts types (every key is read by the
// core's parser), and PostgreSQL returns the elements (the golden schema and fixture's v_order).
const test = require('node:test');
const assert = require('node:assert/strict');
const fqb = require('..');
const H = require('./helpers');

const schema = new fqb.Schema(JSON.parse(H.SCHEMA_TEXT));
const O = (n) => `55555555-0000-0000-0000-${String(n).padStart(12, '0')}`;

test('embedded lists selected and filtered, nested, in one statement', async () => {
  const got = await H.dataRows({
    view: 'v_order',
    camel_case: true,
    select: [
      'id',
      {
        field: 'items',
        alias: 'lines',
        select: ['__typename', 'sku', 'giftWrap', { field: 'options', select: ['value'] }],
        where: { qty: { gte: 2n } },
        order_by: [{ field: 'qty', direction: 'desc' }],
        limit: 2,
        offset: 0n,
      },
    ],
    where: { items: { every: { options: { every: { value: { isnull: false } } } } }, status: { eq: 'paid' } },
    order_by: ['id'],
  }, schema);
  assert.deepEqual(got, [
    { id: O(1), lines: [
      { __typename: 'LineItem', sku: 'C3', giftWrap: null, options: null },
      { __typename: 'LineItem', sku: 'A1', giftWrap: true, options: [{ value: 'red' }, { value: 'M' }] },
    ] },
    { id: O(5), lines: null },
    { id: O(6), lines: null },
    { id: O(7), lines: [{ __typename: 'LineItem', sku: null, giftWrap: null, options: null }] },
    { id: O(10), lines: [
      { __typename: 'LineItem', sku: 'A1', giftWrap: null, options: null },
      { __typename: 'LineItem', sku: 'B2', giftWrap: null, options: null },
    ] },
  ]);
});

test('a list error is the core\'s, with its path', () => {
  assert.throws(
    () => fqb.compile({ view: 'v_order', select: ['id', 'items'] }, schema),
    (e) => e instanceof fqb.QueryBuilderError && e.code === 'QB_INVALID_QUERY' && e.path === 'select[1]',
  );
});

test('aggregates over a relation and a list: selected, filtered, ordered by', async () => {
  const U = (n) => `11111111-0000-0000-0000-${String(n).padStart(12, '0')}`;
  const got = await H.dataRows({
    view: 'v_order',
    select: ['id', { field: 'items.count', alias: 'n' }, { field: ['items', 'max', 'price'], alias: 'top' },
      { field: 'customer', select: ['id', { field: 'orders.count', alias: 'orders' }] }],
    where: { items: { count: { gte: 3n } } },
    order_by: [{ field: 'items.sum.qty', direction: 'desc' }, 'id'],
  }, schema);
  assert.deepEqual(got, [
    { id: O(1), n: 3, top: 100, customer: { id: U(1), orders: 2 } },
    { id: O(10), n: 3, top: 100, customer: { id: U(4), orders: 2 } },
    { id: O(7), n: 3, top: 3, customer: { id: U(4), orders: 2 } },
    { id: O(8), n: 4, top: 0, customer: null },
  ]);
});
