'use strict';
// `graphql.compile(document, variables, schema, options)`: a GraphQL request compiled by the
// core (qb-graphql, docs/graphql.md) into one statement per root field, and `assemble` to
// build `{ data: {...} }` from the rows. Connections (root `userConnection`, nested
// `postsConnection`) are shaped by the core (`Connection::assemble`,
// `NestedConnections::finish`). The schema's GraphQL schema (and its document cache) is made
// on the first call and kept by the `Schema`. Only types are converted here.
const { native } = require('./loader');
const errors = require('./errors');
const { Schema } = require('./schema');

const CONNECTION = Symbol('connection');
const NESTED = Symbol('nested');

/** One root field of the response. */
class RootField {
  constructor(responseKey, query, single, value, connection, columns, nested) {
    /** The key in `data` (the alias, else the field name). */
    this.responseKey = responseKey;
    /** `{ text, values }` for `client.query`, or null for a field known without SQL. */
    this.query = query;
    /** True: one object (by primary key): the first row's `data`, or null. */
    this.single = single;
    /** The value of a field known without SQL (root `__typename`: `"Query"`). */
    this.value = value;
    /** For a connection field (`userConnection`): the columns of its statement's rows, in
     * order (`data`, `__cursor`, then `__has_next_page`, `__has_previous_page`,
     * `__total_count` when selected); null otherwise. */
    this.columns = columns === null ? null : Object.freeze(columns);
    this[CONNECTION] = connection;
    this[NESTED] = nested;
    Object.freeze(this);
  }

  /** True for a connection field: `assembleConnection(rows)` builds its value. */
  get connection() {
    return this[CONNECTION] !== null;
  }

  /** True when the field's rows hold nested connections (`postsConnection`): each row's
   * `data` goes through `finish(data)`. */
  get nested() {
    return this[NESTED] !== null;
  }

  /** A connection field's value (`{ edges, nodes, pageInfo, totalCount }` as selected) from
   * its statement's rows as node-postgres gives them: objects by column name, or arrays in
   * `columns` order (`rowMode: 'array'`). Throws the error class of the code (e.g.
   * `InvalidCursorError` for a `__cursor` that is not one), with `errors` at the field's
   * path. */
  assembleConnection(rows) {
    if (this[CONNECTION] === null) {
      throw new TypeError(`assembleConnection(rows): field \`${this.responseKey}\` is not a connection`);
    }
    return settled(native.graphqlConnectionAssemble(this[CONNECTION], rows));
  }

  /** One row's `data` (an object, or its JSON text) as the response has it: nested
   * connections shaped by the core (encoded cursors, `pageInfo`, `nodes`, aliases); the
   * `data` itself when the field has none. */
  finish(data) {
    return this[NESTED] === null ? data : settled(native.graphqlNestedFinish(this[NESTED], data));
  }
}

/** A compiled GraphQL request: its root fields in response order. */
class Request {
  constructor(fields) {
    this.fields = Object.freeze(fields);
    Object.freeze(this);
  }

  /** `{ data: {...} }`: `run(query)` returns (or resolves to) the rows of one statement as
   * node-postgres gives them, e.g. `async (q) => (await client.query(q)).rows` (objects by
   * column name, or arrays in column order with `rowMode: 'array'`). For a field that is not
   * a connection a row may also be the `data` value itself (`rows.map((r) => r.data)`). The
   * statements run one after the other, in response order. */
  async assemble(run) {
    const data = {};
    for (const f of this.fields) {
      if (f.query === null) {
        data[f.responseKey] = f.value;
        continue;
      }
      const rows = await run(f.query);
      if (f.connection) {
        data[f.responseKey] = f.assembleConnection(rows);
      } else if (f.single) {
        data[f.responseKey] = rows.length > 0 ? f.finish(dataOf(rows[0])) : null;
      } else {
        data[f.responseKey] = rows.map((r) => f.finish(dataOf(r)));
      }
    }
    return { data };
  }
}

/** The `data` column of a row of a statement that has only that column: a row as
 * node-postgres gives it (an object whose one key is `data`, or an array), or the `data`
 * value itself. */
function dataOf(row) {
  if (Array.isArray(row)) return row[0];
  if (row !== null && typeof row === 'object') {
    const keys = Object.keys(row);
    if (keys.length === 1 && keys[0] === 'data') return row.data;
  }
  return row;
}

/** The value of a native `[true, value]`, or the thrown error of `[false, errorsJson,
 * display]`. */
function settled([ok, out, display]) {
  if (!ok) throw refused(out, display);
  return out;
}

/** The error of a refused request: the class of its first error's code (docs/errors.md),
 * with `errors`, every error in the GraphQL spec's shape (`message`, `locations`, `path`,
 * `extensions.code`). */
function refused(json, display) {
  const list = JSON.parse(json);
  const first = list[0];
  const ext = first.extensions || {};
  const cls = errors.errorsByCode[ext.code] || errors.QueryBuilderError;
  const err = new cls(display, {
    code: ext.code,
    number: cls.number,
    path: ext.astPath !== undefined ? ext.astPath : '',
    message: first.message,
    captureFrom: refused,
  });
  err.errors = list;
  return err;
}

/** Compile a GraphQL request against the GraphQL schema derived from `schema` (a `Schema`).
 * `variables`: an object (or JSON text, or null). `options.operationName` picks the
 * operation; `options.placeholder` is `"numbered"` (default) or `"format"`; `options.cursorKey` (a string) authenticates
 * connection cursors (HMAC-SHA256) as for `compile`: the cursors `assemble` writes are signed
 * with it, and `after`/`before` cursors must verify. Throws a
 * `QueryBuilderError` subclass carrying `errors`. */
function compile(document, variables, schema, options) {
  if (!Schema.isSchema(schema)) {
    throw new TypeError('graphql.compile(document, variables, schema): schema must be a Schema');
  }
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new TypeError('graphql.compile(..., options): options must be an object');
  }
  const o = options || {};
  const [ok, out, display] = native.graphqlCompile(
    Schema.graphqlHandle(schema),
    document,
    variables,
    o.operationName,
    o.placeholder,
    o.cursorKey,
  );
  if (!ok) throw refused(out, display);
  return new Request(
    out.map(
      ([key, query, single, value, connection, columns, nested]) =>
        new RootField(key, query, single, value, connection, columns, nested),
    ),
  );
}

module.exports = { compile, Request, RootField };
