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

test('__typename answers nested objects and list elements (the core writes the SDL names)', async () => {
  const doc = `{
    userList(where: {id: {eq: "11111111-0000-0000-0000-000000000005"}}) {
      __typename profile { __typename city ...A } }
    orderList(where: {id: {eq: "55555555-0000-0000-0000-000000000001"}}) {
      shipping { kind: __typename parcels { __typename code } } }
  }
  fragment A on UserProfile { address { __typename street } }`;
  const request = fqb.graphql.compile(doc, null, schema);
  const { Client } = require('pg');
  const client = new Client({ connectionString: H.pgUrl() });
  await client.connect();
  try {
    const { data } = await request.assemble(async (q) => (await client.query(q)).rows.map((r) => r.data));
    assert.deepEqual(data.userList, [{
      __typename: 'User',
      profile: {
        __typename: 'UserProfile',
        city: 'Berlin',
        address: { __typename: 'UserProfileAddress', street: 'Unter den Linden 1' },
      },
    }]);
    assert.deepEqual(data.orderList, [{
      shipping: {
        kind: 'OrderShipping',
        parcels: [
          { __typename: 'OrderShippingParcels', code: 'P1' },
          { __typename: 'OrderShippingParcels', code: 'P2' },
        ],
      },
    }]);
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

const KEY = 'a node test key, 32 bytes long..';

const CONNECTION = `
query Page($first: Int, $after: String, $last: Int, $before: String) {
  page: userConnection(orderBy: {age: ASC}, first: $first, after: $after, last: $last, before: $before) {
    __typename
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id age } }
  }
}`;

/** Opens a pg client, runs `body(client)`, closes it. */
async function withClient(body) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: H.pgUrl() });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

test('a root connection pages forward (first/after) and backward (last/before) with signed cursors', async () => {
  const everything = await H.dataRows(
    { view: 'v_user', select: ['id', 'age'], order_by: [{ field: 'age', nulls: 'last' }, 'id'] },
    schema,
  );
  assert.ok(everything.length > 4, `${everything.length} users`);
  await withClient(async (client) => {
    // One page: the core's response from node-postgres rows (the count arrives as text).
    const page = async (variables) => {
      const request = fqb.graphql.compile(CONNECTION, variables, schema, { cursorKey: KEY });
      const [field] = request.fields;
      assert.equal(field.connection, true);
      assert.equal(field.nested, false);
      assert.deepEqual(field.columns, ['data', '__cursor', '__has_next_page', '__has_previous_page', '__total_count']);
      let rows;
      const { data } = await request.assemble(async (q) => {
        rows = (await client.query(q)).rows;
        return rows;
      });
      const value = data.page;
      assert.equal(typeof rows[0].__total_count, 'string');
      assert.equal(value.__typename, 'UserConnection');
      assert.equal(value.totalCount, everything.length);
      assert.deepEqual(value.edges.map((e) => e.node), rows.map((r) => r.data));
      assert.deepEqual(value.edges.map((e) => e.cursor), rows.map((r) => fqb.encodeCursor(r.__cursor, KEY)));
      const cursors = value.edges.map((e) => e.cursor);
      assert.equal(value.pageInfo.startCursor, cursors[0]);
      assert.equal(value.pageInfo.endCursor, cursors[cursors.length - 1]);
      // The same rows as arrays (`rowMode: 'array'`) assemble alike.
      const arrays = (await client.query({ ...request.fields[0].query, rowMode: 'array' })).rows;
      assert.deepEqual(field.assembleConnection(arrays), value);
      return value;
    };
    const forward = [];
    let after = null;
    for (let n = 0; ; n++) {
      assert.ok(n < 10, 'the walk ends');
      const value = await page({ first: 2, after });
      assert.equal(value.pageInfo.hasPreviousPage, n > 0);
      forward.push(...value.edges.map((e) => e.node));
      if (!value.pageInfo.hasNextPage) break;
      after = value.pageInfo.endCursor;
    }
    assert.deepEqual(forward, everything);
    const backward = [];
    let before = null;
    for (let n = 0; ; n++) {
      assert.ok(n < 10, 'the walk ends');
      const value = await page({ last: 3, before });
      assert.equal(value.pageInfo.hasNextPage, n > 0);
      backward.unshift(...value.edges.map((e) => e.node));
      if (!value.pageInfo.hasPreviousPage) break;
      before = value.pageInfo.startCursor;
    }
    assert.deepEqual(backward, everything);
  });
});

test('the empty page is one row that is no edge; plain fields take rows or data values', async () => {
  await withClient(async (client) => {
    const doc =
      '{ userConnection(where: {age: {gt: 1000}}, first: 3) { totalCount nodes { id } pageInfo { hasNextPage startCursor endCursor } } }';
    const request = fqb.graphql.compile(doc, null, schema);
    assert.deepEqual(request.fields[0].columns, ['data', '__cursor', '__has_next_page', '__has_previous_page', '__total_count']);
    const { data } = await request.assemble(async (q) => (await client.query(q)).rows);
    assert.deepEqual(data.userConnection, {
      totalCount: 0,
      nodes: [],
      pageInfo: { hasNextPage: false, startCursor: null, endCursor: null },
    });
    // Without pageInfo flags or totalCount the statement has only `data` and `__cursor`.
    const bare = fqb.graphql.compile('{ userConnection(first: 1) { edges { node { id } } } }', null, schema);
    assert.deepEqual(bare.fields[0].columns, ['data', '__cursor']);
    const got = await bare.assemble(async (q) => (await client.query(q)).rows);
    assert.equal(got.data.userConnection.edges.length, 1);
    const plain = fqb.graphql.compile(`{ user(id: "11111111-0000-0000-0000-000000000001") { id } userList(limit: 1, orderBy: {id: ASC}) { id } }`, null, schema);
    assert.equal(plain.fields[0].connection, false);
    assert.equal(plain.fields[0].columns, null);
    const rows = await plain.assemble(async (q) => (await client.query(q)).rows);
    const arrays = await plain.assemble(async (q) => (await client.query({ ...q, rowMode: 'array' })).rows);
    const values = await plain.assemble(async (q) => (await client.query(q)).rows.map((r) => r.data));
    assert.deepEqual(rows, values);
    assert.deepEqual(arrays, values);
    assert.deepEqual(values.data.user, { id: '11111111-0000-0000-0000-000000000001' });
  });
});

const NESTED = `query($after: String) {
  postList(where: {id: {eq: "22222222-0000-0000-0000-000000000001"}}) {
    id
    page: commentsConnection(orderBy: {likes: DESC}, first: 2, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id } }
    }
  }
}`;

test('a nested connection walks its pages with the core cursors', async () => {
  const [{ comments: everything }] = await H.dataRows(
    {
      view: 'v_post',
      select: [{ field: 'comments', select: ['id'], order_by: [{ field: 'likes', direction: 'desc' }] }],
      where: { id: { eq: P(1) } },
    },
    schema,
  );
  assert.ok(everything.length > 2);
  await withClient(async (client) => {
    const seen = [];
    let after = null;
    for (let n = 0; ; n++) {
      assert.ok(n < 10, 'the walk ends');
      const request = fqb.graphql.compile(NESTED, { after }, schema, { cursorKey: KEY });
      const [field] = request.fields;
      assert.equal(field.nested, true);
      assert.equal(field.connection, false);
      const { data } = await request.assemble(async (q) => (await client.query(q)).rows);
      const [post] = data.postList;
      assert.equal(post.id, P(1));
      const value = post.page;
      assert.equal(value.totalCount, everything.length);
      assert.equal(value.pageInfo.hasPreviousPage, n > 0);
      const cursors = value.edges.map((e) => e.cursor);
      assert.equal(value.pageInfo.startCursor, cursors[0]);
      assert.equal(value.pageInfo.endCursor, cursors[cursors.length - 1]);
      seen.push(...value.edges.map((e) => e.node));
      // `finish` takes the data as JSON text alike.
      const raw = (await client.query(field.query)).rows[0].data;
      assert.deepEqual(field.finish(JSON.stringify(raw)), post);
      if (!value.pageInfo.hasNextPage) break;
      after = value.pageInfo.endCursor;
    }
    assert.deepEqual(seen, everything);
  });
});

const IN_ROOT = `query($after: String, $n: String) {
  page: postConnection(orderBy: {id: ASC}, first: 3, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id c: commentsConnection(orderBy: {likes: DESC}, first: 1, after: $n) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id likes } } } }
  }
}`;

const ONE_POST = `query($id: UUID!, $n: String) { post(id: $id) {
  c: commentsConnection(orderBy: {likes: DESC}, first: 1, after: $n) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id likes } } } } }`;

test('a nested connection in a root connection node is shaped by the core', async () => {
  const ids = (await H.dataRows({ view: 'v_post', select: ['id'], order_by: [{ field: 'id' }] }, schema)).map((r) => r.id);
  await withClient(async (client) => {
    const run = async (q) => (await client.query(q)).rows;
    const seen = [];
    let after = null;
    let nestedCursor = null;
    for (let n = 0; ; n++) {
      assert.ok(n < 10, 'the walk ends');
      const request = fqb.graphql.compile(IN_ROOT, { after }, schema, { cursorKey: KEY });
      const [field] = request.fields;
      assert.equal(field.connection, true);
      const { data } = await request.assemble(run);
      for (const node of data.page.nodes) {
        const alone = await fqb.graphql.compile(ONE_POST, { id: node.id }, schema, { cursorKey: KEY }).assemble(run);
        assert.deepEqual(node.c, alone.data.post.c);
        for (const e of node.c.edges) {
          assert.ok(!e.cursor.startsWith('['), e.cursor);
          nestedCursor = nestedCursor ?? e.cursor;
        }
        seen.push(node.id);
      }
      if (!data.page.pageInfo.hasNextPage) break;
      after = data.page.pageInfo.endCursor;
    }
    assert.deepEqual(seen, ids);
    assert.ok(nestedCursor !== null);
    assert.throws(
      () => fqb.graphql.compile(IN_ROOT, { after: nestedCursor }, schema, { cursorKey: KEY }),
      (e) => e instanceof fqb.CursorMismatchError && JSON.stringify(e.errors[0].path) === '["page"]',
    );
    assert.throws(
      () => fqb.graphql.compile(IN_ROOT, { n: after }, schema, { cursorKey: KEY }),
      (e) => e instanceof fqb.CursorMismatchError && JSON.stringify(e.errors[0].path) === '["page","nodes","c"]',
    );
  });
});

test('connection errors are coded, at the field path', async () => {
  await withClient(async (client) => {
    const request = fqb.graphql.compile(CONNECTION, { first: 2 }, schema, { cursorKey: KEY });
    const [field] = request.fields;
    const rows = (await client.query(field.query)).rows;
    // A cursor that was not signed with the key is refused at compile.
    assert.throws(
      () => fqb.graphql.compile(CONNECTION, { first: 2, after: fqb.encodeCursor(rows[0].__cursor) }, schema, { cursorKey: KEY }),
      (e) => e instanceof fqb.InvalidCursorError && e.code === 'QB_INVALID_CURSOR' && e.errors[0].path[0] === 'page',
    );
    // A root connection's cursor is not one of a nested list over the same view.
    const root = await fqb.graphql
      .compile('{ commentConnection(orderBy: {likes: DESC}, first: 1) { edges { cursor } } }', null, schema, { cursorKey: KEY })
      .assemble(async (q) => (await client.query(q)).rows);
    assert.throws(
      () => fqb.graphql.compile(NESTED, { after: root.data.commentConnection.edges[0].cursor }, schema, { cursorKey: KEY }),
      (e) => e instanceof fqb.CursorMismatchError && JSON.stringify(e.errors[0].path) === '["postList","page"]',
    );
    // Rows whose `__cursor` is not a row cursor (another statement's) are the core's error.
    const bad = rows.map((r) => ({ ...r, __cursor: 'not a cursor' }));
    assert.throws(
      () => field.assembleConnection(bad),
      (e) => e instanceof fqb.InvalidCursorError && e.errors.length === 1 && e.errors[0].path[0] === 'page',
    );
    // A nested connection's data that is not the core's connection object.
    const nested = fqb.graphql.compile(NESTED, null, schema).fields[0];
    assert.throws(
      () => nested.finish({ id: P(1), page: { edges: 'no' } }),
      (e) => e instanceof fqb.InternalError && e.errors[0].path[0] === 'postList',
    );
    // Wrong types are TypeErrors.
    assert.throws(() => field.assembleConnection('rows'), TypeError);
    assert.throws(() => field.assembleConnection([7]), TypeError);
    assert.throws(() => field.assembleConnection([{ ...rows[0], __cursor: 7 }]), TypeError);
    assert.throws(() => field.assembleConnection([{ ...rows[0], __has_next_page: 'yes' }]), TypeError);
    assert.throws(() => field.assembleConnection([{ ...rows[0], __total_count: '1.5' }]), TypeError);
    assert.throws(() => nested.assembleConnection([]), TypeError);
    // A count as a number or a BigInt assembles like its text.
    const want = field.assembleConnection(rows);
    assert.deepEqual(field.assembleConnection(rows.map((r) => ({ ...r, __total_count: Number(r.__total_count) }))), want);
    assert.deepEqual(field.assembleConnection(rows.map((r) => ({ ...r, __total_count: BigInt(r.__total_count) }))), want);
  });
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
      return fqb.graphql.compile(d, v, s).fields.map((f) => [f.responseKey, f.query, f.single, f.value, f.columns]);
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

test('the document cache counts bound hits and templates', () => {
  const s = new fqb.Schema(registry);
  const doc = 'query($n: Int) { userList(limit: $n) { id } }';
  const fresh = s.graphqlCacheStats();
  assert.deepEqual([fresh.bound, fresh.templates], [0, 0]);
  // `{n: 2}` traces the template `{n: 1}` left (the same fingerprint), the last `{n: 1}`
  // binds into it; `{}` is a second fingerprint, seen once.
  for (const v of [{ n: 1 }, { n: 2 }, {}, { n: 1 }]) fqb.graphql.compile(doc, v, s);
  const st = s.graphqlCacheStats();
  assert.deepEqual([st.misses, st.hits, st.bound, st.templates], [1, 3, 1, 2]);
  const off = new fqb.Schema(registry, { graphqlCacheSize: 0 });
  for (const v of [{ n: 1 }, { n: 2 }, { n: 3 }]) fqb.graphql.compile(doc, v, off);
  const o = off.graphqlCacheStats();
  assert.deepEqual([o.bound, o.templates], [0, 0]);
});
