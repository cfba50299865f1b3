'use strict';
// graphql.compile: a GraphQL request compiled by the core (the binding converts types only),
// run by `pg`: the nested rows equal those of the same request as a query AST; errors carry
// the GraphQL spec's shape; the schema's document cache returns what no cache returns.
const test = require('node:test');
const assert = require('node:assert/strict');
const fqb = require('..');
const H = require('./helpers');

const registry = JSON.parse(H.SCHEMA_TEXT);
const schema = new fqb.Schema(registry);
const P = (n) => `22222222-0000-0000-0000-${String(n).padStart(12, '0')}`;

const DOC = `
query Posts($min: Int = 1, $ids: [UUID!]) {
  __typename
  posts: postList(where: {id: {in: $ids}, comments: {some: {likes: {gte: $min}}}}, orderBy: {id: ASC}) {
    __typename
    title
    writer: author { ...Who }
    comments(orderBy: {likes: DESC}, limit: 2) { likes author { ...Who } }
  }
  first: post(id: "22222222-0000-0000-0000-000000000001") { id }
  none: post(id: "22222222-0000-0000-0000-0000000000ff") { id }
}
fragment Who on User { name }
`;

const AST = {
  view: 'v_post',
  select: [
    '__typename',
    'title',
    { field: 'author', alias: 'writer', select: ['name'] },
    {
      field: 'comments',
      select: ['likes', { field: 'author', select: ['name'] }],
      order_by: [{ field: 'likes', direction: 'desc' }],
      limit: 2,
    },
  ],
  where: { id: { in: [P(1), P(2)] }, comments: { some: { likes: { gte: 1 } } } },
  order_by: [{ field: 'id', direction: 'asc' }],
};

test('a nested request runs with pg, one statement per root field', async () => {
  const request = fqb.graphql.compile(DOC, { ids: [P(1), P(2)] }, schema);
  assert.ok(request instanceof fqb.graphql.Request);
  assert.deepEqual(
    request.fields.map((f) => [f.responseKey, f.single]),
    [['__typename', false], ['posts', false], ['first', true], ['none', true]],
  );
  const posts = request.fields[1].query;
  assert.deepEqual(posts, fqb.compile(AST, schema));
  const { Client } = require('pg');
  const client = new Client({ connectionString: H.pgUrl() });
  await client.connect();
  try {
    const response = await request.assemble(async (q) => (await client.query(q)).rows.map((r) => r.data));
    const { data } = response;
    assert.equal(data.__typename, 'Query');
    assert.deepEqual(data.posts, await H.dataRows(AST, schema));
    assert.ok(data.posts.length > 0 && data.posts.every((p) => p.__typename === 'Post' && 'writer' in p));
    assert.deepEqual(data.first, { id: P(1) });
    assert.equal(data.none, null);
  } finally {
    await client.end();
  }
});

test('errors: the class of the first code, with every error in the spec shape', () => {
  assert.throws(
    () => fqb.graphql.compile('{ userList { id emial } }', null, schema),
    (e) => {
      assert.ok(e instanceof fqb.GraphqlInvalidError && e instanceof fqb.QueryBuilderError);
      assert.equal(e.code, 'QB_GRAPHQL_INVALID');
      assert.equal(e.number, 18);
      assert.deepEqual(e.errors, [
        {
          message: 'type `User` does not have a field `emial`',
          locations: [{ line: 1, column: 17 }],
          extensions: { code: 'QB_GRAPHQL_INVALID' },
        },
      ]);
      return true;
    },
  );
  assert.throws(
    () => fqb.graphql.compile('query($l: Int) { userList(where: {age: {eq: null}}, limit: $l) { id } }', { l: 3 }, schema),
    (e) =>
      e instanceof fqb.InvalidValueError &&
      e.path === 'where.age.eq' &&
      e.errors[0].path[0] === 'userList' &&
      e.errors[0].extensions.astPath === 'where.age.eq',
  );
  // A required variable missing; an operation name that is not in the document.
  assert.throws(() => fqb.graphql.compile('query($l: Int!) { userList(limit: $l) { id } }', {}, schema), fqb.GraphqlInvalidError);
  assert.throws(
    () => fqb.graphql.compile('query A { userList { id } }', null, schema, { operationName: 'B' }),
    fqb.GraphqlInvalidError,
  );
  // Wrong argument types are TypeErrors, not query errors.
  assert.throws(() => fqb.graphql.compile('{ userList { id } }', null, registry), TypeError);
  assert.throws(() => fqb.graphql.compile(42, null, schema), TypeError);
  assert.throws(() => fqb.graphql.compile('{ userList { id } }', 7, schema), TypeError);
});

test('connection fields are refused (QB_UNSUPPORTED at their path), never dropped', () => {
  for (const [doc, key] of [
    ['{ page: userConnection(first: 2) { edges { node { id } } } }', 'page'],
    ['{ userList(limit: 1) { id postsConnection(first: 1) { edges { node { id } } } } }', 'userList'],
  ]) {
    assert.throws(
      () => fqb.graphql.compile(doc, null, schema),
      (e) =>
        e instanceof fqb.UnsupportedError &&
        e.code === 'QB_UNSUPPORTED' &&
        e.errors.length === 1 &&
        e.errors[0].path[0] === key &&
        /connection fields are not available from Node/.test(e.errors[0].message),
    );
  }
});

test('operationName, variables as JSON text, the format placeholder', () => {
  const doc = 'query A { userList(limit: 1) { id } } query B($id: UUID!) { user(id: $id) { id } }';
  const r = fqb.graphql.compile(doc, `{"id": "${P(1)}"}`, schema, { operationName: 'B', placeholder: 'format' });
  assert.equal(r.fields.length, 1);
  assert.equal(r.fields[0].responseKey, 'user');
  assert.match(r.fields[0].query.text, /= %s::uuid\)$/);
  assert.deepEqual(r.fields[0].query.values, [P(1)]);
});

test('the document cache returns what an uncached compile returns', () => {
  const cached = new fqb.Schema(registry);
  const off = new fqb.Schema(registry, { graphqlCacheSize: 0 });
  const tiny = new fqb.Schema(registry, { graphqlCacheSize: 1 });
  const doc = `query Q($w: UserWhere, $n: Int, $skip: Boolean!) {
    userList(where: $w, limit: $n, orderBy: {id: ASC}) { id email @skip(if: $skip) ...F }
  }
  fragment F on User { name @include(if: $skip) }`;
  const vars = [
    { skip: false, w: { age: { gte: 18 } } },
    { skip: true, w: { email: { eq: 'a@b' } }, n: 5 },
    { skip: false, w: { or: [{ age: { lt: 1 } }, { active: { eq: true } }] } },
    { skip: true },
    { skip: false, w: { age: { eq: null } } },
    { skip: 'yes' },
    {},
  ];
  const outcome = (s, d, v) => {
    try {
      return fqb.graphql.compile(d, v, s).fields.map((f) => [f.responseKey, f.query, f.single, f.value]);
    } catch (e) {
      return ['error', e.name, e.code, e.errors];
    }
  };
  const seen = new Set();
  for (let round = 0; round < 2; round++) {
    for (const d of [doc, DOC, '{ userList { id emial } }']) {
      for (const v of vars) {
        const want = outcome(off, d, v);
        assert.deepEqual(outcome(cached, d, v), want);
        assert.deepEqual(outcome(tiny, d, v), want);
        seen.add(JSON.stringify(want));
      }
    }
  }
  assert.ok(seen.size > 8, `${seen.size} distinct outcomes`);
  const s = cached.graphqlCacheStats();
  assert.equal(s.misses, 2 + 2 * vars.length);
  assert.equal(s.hits, 2 * 2 * vars.length - 2);
  assert.deepEqual([s.len, s.capacity], [2, 1024]);
  assert.ok(s.shapes.hits > 0 && s.shapes.misses > 0);
  assert.ok(tiny.graphqlCacheStats().evictions > 0);
  const o = off.graphqlCacheStats();
  assert.deepEqual([o.hits, o.misses, o.capacity], [0, 0, 0]);
});
