'use strict';
// A small node-postgres application moving from its own query builder to fraiseql-qb.
//
//   scripts/pg.sh start && eval "$(scripts/pg.sh env)"
//   NODE_PATH=bindings/node/node_modules FRAISEQL_RUST_QB_PERCENTAGE=50 node examples/node/app.js
//   (or examples/node/demo.sh, which also starts its own PostgreSQL)
//
// Step 1 (before): the app calls legacyBuild(query) directly.
// Step 2 (now):    the app calls shim.build(query); the rollout shim sends a share of calls
//                  to the native compiler (FRAISEQL_RUST_QB_PERCENTAGE, read from the
//                  environment: a malformed value only warns), falls back to the legacy
//                  builder on native errors, and counts everything.
// Step 3 (later):  FRAISEQL_USE_RUST_QUERY_BUILDER=true, then drop the legacy builder.
const fs = require('node:fs');
const path = require('node:path');
const { Pool } = require('pg');
const client = require('prom-client');
const fqb = require('../../bindings/node');
const { registerCollector } = require('../../bindings/node/prometheus');

const ROOT = path.join(__dirname, '..', '..');

/** The application's own builder: string templates, `$n` placeholders (what pg takes). */
function legacyBuild(query) {
  const fields = query.select
    .map((f) => (f === 'id' ? `'id', t."id"` : `'${f}', t."data"->'${f}'`))
    .join(', ');
  let text = `SELECT jsonb_build_object(${fields}) AS "data" FROM "${query.view}" AS t`;
  const values = [];
  for (const [field, ops] of Object.entries(query.where || {})) {
    for (const [op, value] of Object.entries(ops)) {
      if (op !== 'gte') throw new Error(`the legacy builder only knows gte, not ${op}`);
      values.push(value);
      text += ` WHERE (t."data"->>'${field}')::numeric >= $${values.length}`;
    }
  }
  return { text, values };
}

async function main() {
  const schema = new fqb.Schema(JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/golden/schema.json'), 'utf8')));
  // Settings come from the environment (docs/rollout.md); nothing is forced here.
  const shim = new fqb.RolloutQueryBuilder(legacyBuild, schema, { placeholder: 'numbered' });
  console.log(`rollout: ${shim.config.percentage_bp / 100}% native` +
    (shim.warnings.length ? ` (${shim.warnings.length} malformed setting(s) ignored)` : ''));
  const queries = [
    { view: 'v_user', select: ['id', 'age'], where: { age: { gte: 41 } } },
    { view: 'v_user', select: ['id', 'email'], where: { age: { gte: 60 } } },
  ];
  const pool = new Pool({ connectionString: process.env.FQB_PG_URL, max: 2 });
  try {
    for (let i = 0; i < 30; i++) {
      const query = queries[i % 2];
      const { rows } = await pool.query(shim.build(query, { key: `tenant-${i % 5}` }));
      if (i < 2) console.log(`${rows.length} rows for ${JSON.stringify(query)}`);
    }
    // A native-only feature (icontains), compiled directly:
    const native = fqb.compile({ view: 'v_user', select: ['id'], where: { email: { icontains: 'example' } } }, schema);
    console.log(`${(await pool.query(native)).rows.length} rows (native icontains)`);
  } finally {
    await pool.end();
  }
  console.log('metrics:', JSON.stringify(fqb.getQueryBuilderMetrics(), null, 2));
  // Prometheus: the same families through prom-client (what an app's /metrics serves).
  const registry = new client.Registry();
  registerCollector({ registry, shim });
  process.stdout.write(`${await registry.metrics()}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
