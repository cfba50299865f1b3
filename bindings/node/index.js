'use strict';
// fraiseql-qb: compile a query AST over PostgreSQL JSONB views into one parameterized SQL
// statement. `compile` writes a query object for the addon in one JS walk (encode.js);
// `Schema` is a registry parsed once.
//
//   const { compile, Schema } = require('fraiseql-qb');
//   const schema = new Schema(registry);
//   const { rows } = await client.query(compile(query, schema));
const { native, available, loadError } = require('./loader');
const errors = require('./errors');
const { compile } = require('./compile');
const { Schema, Prepared } = require('./schema');

native.init(errors.makeError);

const rollout = require('./rollout');

module.exports = {
  compile,
  Schema,
  Prepared,
  toJson: native.toJson,
  encodeCursor: native.encodeCursor,
  graphql: require('./graphql'),
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
  InvalidCursorError: errors.InvalidCursorError,
  CursorMismatchError: errors.CursorMismatchError,
  NoPrimaryKeyError: errors.NoPrimaryKeyError,
  GraphqlInvalidError: errors.GraphqlInvalidError,
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
