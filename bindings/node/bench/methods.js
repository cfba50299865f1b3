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
const shim = new fqb.RolloutQueryBuilder(() => 'SELECT legacy', schema, {
  env: {},
  useNative: true,
  percentage: 100,
  logMode: false,
});

function methods(w) {
  const q = WORKLOADS[w].query;
  return {
    /** compile(query object, Schema built once): the way to use it. */
    schema: () => fqb.compile(q, schema),
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
