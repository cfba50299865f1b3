'use strict';
// The shared workloads (tests/bench/workloads.json) built with what Node users pick instead
// of fraiseql-qb: Knex (pg client) and Kysely (Postgres dialect). Each builder constructs the
// statement from scratch on every call (as an application does per request) and returns
// `{ text, values }` with `$n` placeholders. Names and types are written by hand (neither
// library has a registry); JSONB operators, casts and jsonb_build_object go through each
// library's raw-SQL escape hatch (`knex.raw`, kysely's `sql` template), as their users do.
// `node bench/peers.js` prints what each builds; docs/performance.md lists the differences.
const knexLib = require('knex');
const {
  Kysely,
  DummyDriver,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} = require('kysely');

const knex = knexLib({ client: 'pg' });
const db = new Kysely({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (d) => new PostgresIntrospector(d),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const W_FIELDS = [
  ['id', ''], ['name', 'name'], ['email', 'email'], ['nickName', 'nick_name'], ['bio', 'bio'],
  ['age', 'age'], ['score', 'score'], ['active', 'active'], ['managerId', 'manager_id'],
  ['birthDate', 'birth_date'], ['lastLogin', 'last_login'], ['ipAddress', 'ip_address'],
  ['network', 'network'], ['mac', 'mac'], ['categoryPath', 'category_path'], ['vacation', 'vacation'],
  ['tags', 'tags'], ['luckyNumbers', 'lucky_numbers'], ['metadata', 'metadata'], ['location', 'location'],
];
const W_KEYS = ['', '1', '2'].flatMap((s) => W_FIELDS.map(([k, j]) => [k + s, j]));
const M_FIELDS = [
  ['name', 'name'], ['email', 'email'], ['nickName', 'nick_name'], ['age', 'age'], ['score', 'score'],
  ['active', 'active'], ['birthDate', 'birth_date'], ['lastLogin', 'last_login'],
];
const PRIVATE = '{10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7}';
const acc = (j) => (j ? `t."data"->'${j}'` : 't."id"');

// ---- Knex --------------------------------------------------------------------------------

function knexObject(pairs) {
  return `jsonb_build_object(${pairs.map(([k, j]) => `'${k}', ${acc(j)}`).join(', ')})`;
}

const knexBuild = {
  S() {
    return knex
      .select(knex.raw(`${knexObject([['id', ''], ['name', 'name'], ['email', 'email']])} as "data"`))
      .from({ t: 'v_user' });
  },
  M() {
    const obj = `jsonb_build_object('id', t."id", '__typename', 'User', ${M_FIELDS.map(([k, j]) => `'${k}', ${acc(j)}`).join(', ')})`;
    return knex
      .select(knex.raw(`${obj} as "data"`))
      .from({ t: 'v_user' })
      .where(knex.raw(`t."data"->>'email' = ?::text`, ['alice@example.com']))
      .andWhere(knex.raw(`(t."data"->>'score')::numeric >= ?::numeric`, ['10.5']))
      .andWhere(knex.raw(`t."data"->'profile'->>'city' = ANY(?::text[])`, [['Paris', 'Berlin', 'Tokyo']]))
      .orderByRaw(`(t."data"->>'age')::numeric DESC NULLS LAST, t."created_at" ASC`)
      .limit(20);
  },
  C() {
    const city = `t."data"->'profile'->>'city'`;
    const inet = `(t."data"->>'ip_address')::inet`;
    return knex
      .select(
        knex.raw(
          `jsonb_build_object('profile', jsonb_build_object('city', to_jsonb(${city})), 'users', count(*), 'avgAge', avg((t."data"->>'age')::numeric)) as "data"`,
        ),
      )
      .from({ t: 'v_user' })
      .where((b) =>
        b.where(knex.raw(`t."data"->>'name' LIKE ?::text`, ['A%'])).orWhere(knex.raw(`t."data"->>'email' ILIKE ?::text`, ['%@example.com'])),
      )
      .whereNot(knex.raw(`t."data"->>'manager_id' IS NULL`))
      .andWhere(knex.raw(`(t."data"->>'age')::numeric = ANY(?::bigint[])`, [[25, 30, 41]]))
      .andWhere(knex.raw(`t."data"->'profile'->'address'->>'street' ILIKE ?::text`, ['rue%']))
      .andWhere((b) =>
        b.where(knex.raw(`${inet} <<= ?::text::cidr`, ['10.0.0.0/8'])).orWhere(knex.raw(`${inet} <<= ANY('${PRIVATE}'::inet[])`)),
      )
      .andWhere(knex.raw(`(t."data"->>'category_path')::ltree <@ ?::text::ltree`, ['top.science']))
      .andWhere(knex.raw(`(t."data"->>'active')::boolean = ?::boolean`, [true]))
      .groupByRaw(city)
      .orderByRaw(`count(*) DESC, ${city} ASC`);
  },
  W() {
    return knex
      .select(knex.raw(`(${knexObject(W_KEYS.slice(0, 50))} || ${knexObject(W_KEYS.slice(50))}) as "data"`))
      .from({ t: 'v_user' });
  },
};

function knexStatement(name) {
  const n = knexBuild[name]().toSQL().toNative();
  return { text: n.sql, values: n.bindings };
}

// ---- Kysely ------------------------------------------------------------------------------

const kref = (j) => (j ? sql`t.data->${sql.lit(j)}` : sql.ref('t.id'));
function kyselyObject(pairs) {
  return sql`jsonb_build_object(${sql.join(pairs.flatMap(([k, j]) => [sql.lit(k), kref(j)]))})`;
}
const kfrom = () => db.selectFrom('v_user as t');

const kyselyBuild = {
  S() {
    return kfrom().select(kyselyObject([['id', ''], ['name', 'name'], ['email', 'email']]).as('data'));
  },
  M() {
    const obj = sql`jsonb_build_object(${sql.join([
      sql.lit('id'), sql.ref('t.id'), sql.lit('__typename'), sql.lit('User'),
      ...M_FIELDS.flatMap(([k, j]) => [sql.lit(k), kref(j)]),
    ])})`;
    return kfrom()
      .select(obj.as('data'))
      .where(sql`t.data->>'email'`, '=', sql`${'alice@example.com'}::text`)
      .where(sql`(t.data->>'score')::numeric`, '>=', sql`${'10.5'}::numeric`)
      .where(sql`t.data->'profile'->>'city'`, '=', sql`ANY(${['Paris', 'Berlin', 'Tokyo']}::text[])`)
      .orderBy(sql`(t.data->>'age')::numeric`, (o) => o.desc().nullsLast())
      .orderBy('t.created_at', 'asc')
      .limit(20);
  },
  C() {
    const city = sql`t.data->'profile'->>'city'`;
    const inet = sql`(t.data->>'ip_address')::inet`;
    return kfrom()
      .select(
        sql`jsonb_build_object('profile', jsonb_build_object('city', to_jsonb(${city})), 'users', count(*), 'avgAge', avg((t.data->>'age')::numeric))`.as('data'),
      )
      .where((eb) =>
        eb.and([
          eb.or([
            eb(sql`t.data->>'name'`, 'like', sql`${'A%'}::text`),
            eb(sql`t.data->>'email'`, 'ilike', sql`${'%@example.com'}::text`),
          ]),
          eb.not(eb(sql`t.data->>'manager_id'`, 'is', null)),
          eb(sql`(t.data->>'age')::numeric`, '=', sql`ANY(${[25, 30, 41]}::bigint[])`),
          eb(sql`t.data->'profile'->'address'->>'street'`, 'ilike', sql`${'rue%'}::text`),
          eb.or([
            // kysely has no `<<=` operator: a raw expression
            sql`${inet} <<= ${'10.0.0.0/8'}::text::cidr`,
            sql`${inet} <<= ANY(${sql.lit(PRIVATE)}::inet[])`,
          ]),
          eb(sql`(t.data->>'category_path')::ltree`, '<@', sql`${'top.science'}::text::ltree`),
          eb(sql`(t.data->>'active')::boolean`, '=', sql`${true}::boolean`),
        ]),
      )
      .groupBy(city)
      .orderBy(sql`count(*)`, 'desc')
      .orderBy(city, 'asc');
  },
  W() {
    return kfrom().select(sql`(${kyselyObject(W_KEYS.slice(0, 50))} || ${kyselyObject(W_KEYS.slice(50))})`.as('data'));
  },
};

function kyselyStatement(name) {
  const c = kyselyBuild[name]().compile();
  return { text: c.sql, values: c.parameters };
}

module.exports = { knexStatement, kyselyStatement };

if (require.main === module) {
  for (const w of ['S', 'M', 'C', 'W']) {
    for (const [label, f] of [['knex', knexStatement], ['kysely', kyselyStatement]]) {
      const s = f(w);
      console.log(`-- ${w} ${label}\n${s.text}\n   ${JSON.stringify(s.values)}`);
    }
  }
}
