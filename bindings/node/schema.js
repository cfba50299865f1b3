'use strict';
// `Schema`: a registry parsed and validated once by the addon, which keeps it; the instance
// holds the addon's handle to it.
const { native } = require('./loader');
const { encode, unpack } = require('./encode');

/** A schema registry, parsed and validated once; reusable by any number of compiles. */
class Schema {
  #native;
  #views;
  #graphql = null;
  #graphqlCacheSize;
  /** `options.cacheSize`: the most query shapes its cache keeps (default 1024; 0: none).
   * `options.graphqlCacheSize`: the most GraphQL documents (and their query shapes)
   * `graphql.compile` keeps validated (default 1024; 0: none). */
  constructor(registry, options) {
    const [handle, views] = native.schemaNew(registry, options == null ? undefined : options.cacheSize);
    this.#native = handle;
    this.#views = Object.freeze(views);
    this.#graphqlCacheSize = options == null ? undefined : options.graphqlCacheSize;
  }
  /** The counters of the GraphQL document cache: hits, misses, evictions, len, capacity,
   * bytes, and `shapes` (those of the shape cache its queries compile through). */
  graphqlCacheStats() {
    return native.graphqlCacheStats(Schema.graphqlHandle(this));
  }
  /** @internal the addon's handle to this registry's GraphQL schema, made on first use. */
  static graphqlHandle(s) {
    if (s.#graphql === null) s.#graphql = native.graphqlSchemaNew(s.#native, s.#graphqlCacheSize);
    return s.#graphql;
  }
  /** The counters of the shape cache: hits, misses, evictions, recompiles, len, capacity,
   * bytes. */
  cacheStats() {
    return native.schemaCacheStats(this.#native);
  }
  /** Compiles `query`'s shape once (throws as `compile` would): a `Prepared` whose `bind`
   * gives the values of any query of that shape. `options.placeholder` as for `compile`. */
  prepare(query, options) {
    return new Prepared(this.#native, native.schemaPrepare(this.#native, query, options));
  }
  /** The view keys of the registry, in its order. */
  get views() {
    return this.#views;
  }
  get [Symbol.toStringTag]() {
    return 'Schema';
  }
  toString() {
    return `[Schema with ${this.#views.length} views]`;
  }
  /** @internal whether `v` is a Schema. */
  static isSchema(v) {
    return typeof v === 'object' && v !== null && #native in v;
  }
  /** @internal what the addon takes for `schema`: a Schema's handle, or the value as given
   * (a registry object or JSON text, parsed for the call). */
  static handle(v) {
    return typeof v === 'object' && v !== null && #native in v ? v.#native : v;
  }
}

/** A query shape compiled once (`Schema.prepare`). */
class Prepared {
  #native;
  #schema;
  #text;
  #paramTypes;
  #operands;
  /** @internal made by `Schema.prepare`. */
  constructor(schemaHandle, [handle, text, paramTypes, operands]) {
    this.#native = handle;
    this.#schema = schemaHandle;
    this.#text = text;
    this.#paramTypes = Object.freeze(paramTypes);
    this.#operands = Object.freeze(operands.map(([path, kind]) => Object.freeze({ path, kind })));
  }
  /** The operands `bindValues` takes, in order: `{ path, kind }`, the path as errors name it
   * (`where.email.eq`, `limit`) and what it takes (`uuid`, `list of text`, `count`,
   * `string`, `object {from, to}`, `json`, `cursor`, `any`). */
  get operands() {
    return this.#operands;
  }
  /** The values (parameters) of the prepared query with its operands replaced by `values`
   * (an array, in `operands` order), without building a query: throws as `compile` throws on
   * that query (at the operand's path), and `InvalidQueryError` for a wrong number of
   * values. The SQL is `text`: no value changes it. */
  bindValues(values) {
    // Written by encode.js and returned packed (src/encoded.rs), as `compile` does: one
    // Node-API call in, one string out; the SQL stays on this side.
    const e = encode(values);
    // `refs` only when there are host values: the addon reads the values in place without it.
    const r =
      e.refs === null
        ? native.preparedBindEncoded(this.#native, this.#schema, e.w, e.text)
        : native.preparedBindEncoded(this.#native, this.#schema, e.w, e.text, e.refs);
    return typeof r === 'string' ? unpack(r, this.#text).values : r.values;
  }
  /** The SQL of every query of this shape. */
  get text() {
    return this.#text;
  }
  /** The parameters' SQL types, in placeholder order. */
  get paramTypes() {
    return this.#paramTypes;
  }
  /** The values of `query`, of the prepared shape (else `InvalidQueryError`); a bad operand
   * throws as `compile` throws. */
  bind(query) {
    return this.#compile(query, false).values;
  }
  /** `bind`, with the text: what `compile(query, schema, options)` returns. */
  compile(query, options) {
    return this.#compile(query, options != null && options.paramTypes === true);
  }
  /** A query object is written by encode.js and the result comes back packed, without the
   * SQL when it is `text` (always, for a query of this shape); JSON text goes as it is. */
  #compile(query, types) {
    if (typeof query === 'object' && query !== null) {
      const e = encode(query);
      const r = native.preparedCompileEncoded(this.#native, this.#schema, e.w, e.text, e.refs, types);
      return typeof r === 'string' ? unpack(r, this.#text) : r;
    }
    return native.preparedCompile(this.#native, this.#schema, query, types);
  }
  get [Symbol.toStringTag]() {
    return 'Prepared';
  }
}

module.exports = { Schema, Prepared };
