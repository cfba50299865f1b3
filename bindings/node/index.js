'use strict';
// fraiseql-qb: compile a query AST over PostgreSQL JSONB views into one parameterized SQL
// statement. `compile` is the native function itself; `Schema` a registry parsed once.
//
//   const { compile, Schema } = require('fraiseql-qb');
//   const schema = new Schema(registry);
//   const { rows } = await client.query(compile(query, schema));
const { native, available, loadError } = require('./loader');
const errors = require('./errors');

native.init(errors.makeError);

/** A schema registry, parsed and validated once; reusable by any number of compiles. */
class Schema {
  #views;
  constructor(registry) {
    this.#views = Object.freeze(native.schemaWrap(this, registry));
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
}

const rollout = require('./rollout');

module.exports = {
  compile: native.compile,
  Schema,
  toJson: native.toJson,
  QueryBuilderError: errors.QueryBuilderError,
  InvalidJsonError: errors.InvalidJsonError,
  InvalidQueryError: errors.InvalidQueryError,
  InvalidSchemaError: errors.InvalidSchemaError,
  UnknownViewError: errors.UnknownViewError,
  UnknownFieldError: errors.UnknownFieldError,
  UnknownOperatorError: errors.UnknownOperatorError,
  OperatorTypeMismatchError: errors.OperatorTypeMismatchError,
  InvalidValueError: errors.InvalidValueError,
  InvalidIdentifierError: errors.InvalidIdentifierError,
  DepthLimitError: errors.DepthLimitError,
  SizeLimitError: errors.SizeLimitError,
  InvalidGroupByError: errors.InvalidGroupByError,
  UnsupportedError: errors.UnsupportedError,
  InternalError: errors.InternalError,
  errorsByCode: errors.errorsByCode,
  LegacyResultError: errors.LegacyResultError,
  PlaceholderMismatchError: errors.PlaceholderMismatchError,
  NoBuilderAvailableError: errors.NoBuilderAvailableError,
  NativeUnavailableError: errors.NativeUnavailableError,
  nativeAvailable: available,
  nativeLoadError: loadError,
  RolloutQueryBuilder: rollout.RolloutQueryBuilder,
  getQueryBuilderMetrics: rollout.getQueryBuilderMetrics,
  getPrometheusText: rollout.getPrometheusText,
  configFromEnv: rollout.configFromEnv,
  legacyAdapters: rollout.legacyAdapters,
  pgShadowExecutor: rollout.pgShadowExecutor,
  ENV_VARS: rollout.ENV_VARS,
  SEED_KEYS: rollout.SEED_KEYS,
};
