'use strict';
// The benchmarked methods, one closure per (workload, method); each builds one statement
// from scratch and returns `{ text, values }`.
const fs = require('node:fs');
const path = require('node:path');
const fqb = require('..');
const { knexStatement, kyselyStatement } = require('./peers');

const ROOT = path.join(__dirname, '..', '..', '..');
const REGISTRY = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'golden', 'schema.json'), 'utf8'));
const WORKLOADS = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'bench', 'workloads.json'), 'utf8')).workloads;
const schema = new fqb.Schema(REGISTRY);
/** The same registry without a shape cache: every compile is a full one. */
const uncachedSchema = new fqb.Schema(REGISTRY, { cacheSize: 0 });
const shim = new fqb.RolloutQueryBuilder(() => 'SELECT legacy', schema, {
  env: {},
  useNative: true,
  percentage: 100,
  logMode: false,
});

/** The value at an operand's path (`where.and[0].name.like`, `limit`) in a query object. */
function valueAt(q, path) {
  let v = q;
  for (const step of path.split('.')) {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(step);
    v = v[m[1]];
    for (const i of m[2].match(/\d+/g) || []) v = v[Number(i)];
  }
  return v;
}

function methods(w) {
  const q = WORKLOADS[w].query;
  const prepared = schema.prepare(q);
  const values = prepared.operands.map((o) => valueAt(q, o.path));
  return {
    /** Prepared.bind(query): a prepared shape, bound with a whole query object. */
    prepared: () => ({ text: prepared.text, values: prepared.bind(q) }),
    /** Prepared.bindValues(values): a prepared shape bound from its operand values alone
     * (what a service keeping one prepared statement per shape runs per request). */
    bind_values: () => ({ text: prepared.text, values: prepared.bindValues(values) }),
    /** compile(query object, Schema built once): the way to use it. */
    schema: () => fqb.compile(q, schema),
    /** compile(query object, Schema without a cache): the uncached compile. */
    uncached: () => fqb.compile(q, uncachedSchema),
    /** compile(JSON.stringify(query), Schema): the JSON text entry point, for comparison. */
    json_text: () => fqb.compile(JSON.stringify(q), schema),
    /** compile(query, registry object): the registry parsed and validated on every call. */
    registry: () => fqb.compile(q, REGISTRY),
    /** RolloutQueryBuilder.build at 100% native (legacy registered, never called). */
    shim: () => shim.build(q),
    knex: () => knexStatement(w),
    kysely: () => kyselyStatement(w),
  };
}

module.exports = { methods, WORKLOADS };
