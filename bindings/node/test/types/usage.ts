// Compiled (strict, no emit) by test/types.test.js against index.d.ts: the declarations
// describe the package as a TypeScript user meets it. `@ts-expect-error` lines must fail.
import { Client } from 'pg';
import {
  compile,
  Schema,
  RolloutQueryBuilder,
  QueryBuilderError,
  UnknownFieldError,
  errorsByCode,
  graphql,
  getQueryBuilderMetrics,
  legacyAdapters,
  pgShadowExecutor,
  type Query,
  type Registry,
  type CompiledQuery,
  type ErrorCode,
  type OperatorName,
} from '../../index';
import { registerCollector } from '../../prometheus';

const registry: Registry = {
  views: {
    v_user: {
      columns: { id: 'uuid' },
      fields: {
        age: 'integer',
        tags: 'text[]',
        orders: { type: 'list', typename: 'Order', fields: { total: 'numeric' } },
      },
    },
  },
};
const schema = new Schema(registry);
const views: readonly string[] = schema.views;

const query: Query = {
  view: 'v_user',
  select: ['id', { field: 'age', alias: 'years' }],
  where: { and: [{ age: { gte: 18n } }, { tags: { contains: ['a'] } }], not: undefined } as Query['where'],
  order_by: [{ field: 'age', direction: 'desc', nulls: 'last' }],
  limit: 10,
};

const grouped: Query = {
  view: 'v_user',
  select: ['age', { aggregate: 'count', field: 'tags', distinct: true, alias: 'tagSets' }],
  group_by: ['age'],
  having: { tagSets: { gt: 1 } },
};
const firstPerAge: Query = { view: 'v_user', select: ['id'], distinct_on: ['age'], order_by: ['id'] };
const withRelations: Query = {
  view: 'v_post',
  select: ['id', { field: 'author', select: ['name'] },
    { field: 'comments', select: ['id'], where: { likes: { gte: 5 } }, order_by: [{ field: 'likes', direction: 'desc' }], limit: 5 }],
  where: { author: { name: { eq: 'x' } }, comments: { some: { likes: { gt: 0 } } }, likers: { isnull: false } },
};
const related: Registry = { views: { v_a: { columns: { id: 'uuid', b_id: 'uuid' }, primary_key: ['id'], distribution_column: 'id',
  relations: { b: { view: 'v_b', kind: 'many_to_one', join: { b_id: 'id' } },
    cs: { view: 'v_c', kind: 'many_to_many', join: { id: 'a_id' }, through: { view: 'v_ac', join: { c_id: 'id' } } } } } } };
void [withRelations, related];
const distinctAges: Query = { view: 'v_user', select: ['age'], distinct: true };
void [grouped, firstPerAge, distinctAges];

async function run(client: Client): Promise<number> {
  const q: CompiledQuery = compile(query, schema);
  const res = await client.query(q);
  const typed = compile(query, schema, { placeholder: 'numbered', paramTypes: true });
  const types: string[] = typed.paramTypes;
  return res.rowCount ?? types.length;
}

try {
  compile('{"view": "v_user", "select": ["id"]}', schema);
} catch (e) {
  if (e instanceof QueryBuilderError) {
    const code: ErrorCode = e.code;
    const where: string = e.path;
    const n: number = e.number;
    void [code, where, n, e instanceof UnknownFieldError, errorsByCode.QB_UNKNOWN_FIELD];
  }
}

const shim = new RolloutQueryBuilder((q: Query) => ({ text: `SELECT ${q.view}`, values: [] }), schema, {
  placeholder: 'numbered',
  percentage: 25,
  tripBack: { minCalls: 10 },
  adaptLegacy: legacyAdapters.knex,
  shadow: { executor: async () => [], timeoutMs: 100 },
  onMetrics: (e) => void e.servedBy,
});
const built = shim.build(query, { key: 'tenant-1' });
const text: string = built.text;
const rustCalls: number = getQueryBuilderMetrics().rust_calls;
const state: 'closed' | 'open' | 'half_open' = getQueryBuilderMetrics({ extended: true }).trip_state;
const op: OperatorName = 'isIPv4';
registerCollector({ shim });
void [views, run, text, rustCalls, state, op, pgShadowExecutor];

// @ts-expect-error: not a placeholder style
compile(query, schema, { placeholder: 'qmark' });
// @ts-expect-error: a query needs a view
const noView: Query = { select: ['id'] };
// @ts-expect-error: not an operator
const badOp: OperatorName = 'equals';
// @ts-expect-error: not a seed metric
void getQueryBuilderMetrics().python_errors;
void [noView, badOp];

// GraphQL: a request, its statements, the response; errors carry the spec's shape.
async function graphqlRequest(client: Client, s: Schema): Promise<unknown> {
  const request = graphql.compile('query($n: Int) { userList(limit: $n) { id } }', { n: 3 }, s, {
    operationName: null,
    placeholder: 'numbered',
  });
  const key: string = request.fields[0].responseKey;
  const q: CompiledQuery | null = request.fields[0].query;
  const stats: number = s.graphqlCacheStats().shapes.hits + s.cacheStats().documentHits;
  void [key, q, stats];
  const page = graphql.compile('{ userConnection(first: 2) { edges { cursor } } }', null, s, { cursorKey: 'k' });
  const field = page.fields[0];
  const columns: readonly string[] | null = field.columns;
  if (field.connection) {
    const rows = (await client.query(field.query!)).rows;
    void field.assembleConnection(rows).edges;
  }
  void [columns, field.nested, field.finish({})];
  try {
    return await request.assemble(async (query) => (await client.query(query)).rows);
  } catch (e) {
    if (e instanceof QueryBuilderError && e.errors) return e.errors[0].extensions.code;
    throw e;
  }
}
void graphqlRequest;
// @ts-expect-error: the schema must be a Schema
graphql.compile('{ userList { id } }', null, registry);
