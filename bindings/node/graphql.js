'use strict';
// `graphql.compile(document, variables, schema, options)`: a GraphQL request compiled by the
// core (qb-graphql, docs/graphql.md) into one statement per root field, and `assemble` to
// build `{ data: {...} }` from the rows. The schema's GraphQL schema (and its document
// cache) is made on the first call and kept by the `Schema`. Only types are converted here.
const { native } = require('./loader');
const errors = require('./errors');
const { Schema } = require('./schema');

/** One root field of the response. */
class RootField {
  constructor(responseKey, query, single, value) {
    /** The key in `data` (the alias, else the field name). */
    this.responseKey = responseKey;
    /** `{ text, values }` for `client.query`, or null for a field known without SQL. */
    this.query = query;
    /** True: one object (by primary key): the first row's `data`, or null. */
    this.single = single;
    /** The value of a field known without SQL (root `__typename`: `"Query"`). */
    this.value = value;
    Object.freeze(this);
  }
}

/** A compiled GraphQL request: its root fields in response order. */
class Request {
  constructor(fields) {
    this.fields = Object.freeze(fields);
    Object.freeze(this);
  }

  /** `{ data: {...} }`: `run(query)` returns (or resolves to) the `data` column of each row
   * of one statement, e.g. `async (q) => (await client.query(q)).rows.map((r) => r.data)`.
   * The statements run one after the other, in response order. */
  async assemble(run) {
    const data = {};
    for (const f of this.fields) {
      if (f.query === null) {
        data[f.responseKey] = f.value;
        continue;
      }
      const rows = await run(f.query);
      data[f.responseKey] = f.single ? (rows.length > 0 ? rows[0] : null) : rows;
    }
    return { data };
  }
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
    captureFrom: compile,
  });
  err.errors = list;
  return err;
}

/** Compile a GraphQL request against the GraphQL schema derived from `schema` (a `Schema`).
 * `variables`: an object (or JSON text, or null). `options.operationName` picks the
 * operation; `options.placeholder` is `"numbered"` (default) or `"format"`. Throws a
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
  );
  if (!ok) throw refused(out, display);
  return new Request(out.map(([key, query, single, value]) => new RootField(key, query, single, value)));
}

module.exports = { compile, Request, RootField };
