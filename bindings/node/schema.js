'use strict';
// `Schema`: a registry parsed and validated once by the addon, which keeps it; the instance
// holds the addon's handle to it.
const { native } = require('./loader');

/** A schema registry, parsed and validated once; reusable by any number of compiles. */
class Schema {
  #native;
  #views;
  /** `options.cacheSize`: the most query shapes its cache keeps (default 1024; 0: none). */
  constructor(registry, options) {
    const [handle, views] = native.schemaNew(registry, options == null ? undefined : options.cacheSize);
    this.#native = handle;
    this.#views = Object.freeze(views);
  }
  /** The counters of the shape cache: hits, misses, evictions, recompiles, len, capacity,
   * bytes. */
  cacheStats() {
    return native.schemaCacheStats(this.#native);
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

module.exports = { Schema };
