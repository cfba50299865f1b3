'use strict';
// The package's error classes. `QueryBuilderError` is the base; every error kind of the core
// (docs/errors.md) has its own subclass. Each thrown instance carries `code`
// (`QB_UNKNOWN_FIELD`), `number`, `path` (the offending node, `''` for the root) and
// `message` (without code or path); its stack's first line is the core's display form
// (`UnknownFieldError: QB_UNKNOWN_FIELD at where.emial: ...`).

class QueryBuilderError extends Error {
  constructor(display, details) {
    super(display);
    this.name = new.target.name;
    const d = details || {};
    this.code = d.code !== undefined ? d.code : new.target.code;
    this.number = d.number !== undefined ? d.number : new.target.number;
    this.path = d.path !== undefined ? d.path : '';
    if (d.message !== undefined) {
      // The stack keeps the display line (code and path included); `message` is the core's.
      if (d.captureFrom) Error.captureStackTrace(this, d.captureFrom);
      void this.stack;
      this.message = d.message;
    }
  }
}
QueryBuilderError.code = '';
QueryBuilderError.number = 0;

// [code, number, class name], in catalog order. test/errors.test.js checks it against the
// core's list and docs/errors.md.
const KINDS = [
  ['QB_INVALID_JSON', 1, 'InvalidJsonError'],
  ['QB_INVALID_QUERY', 2, 'InvalidQueryError'],
  ['QB_INVALID_SCHEMA', 3, 'InvalidSchemaError'],
  ['QB_UNKNOWN_VIEW', 4, 'UnknownViewError'],
  ['QB_UNKNOWN_FIELD', 5, 'UnknownFieldError'],
  ['QB_UNKNOWN_OPERATOR', 6, 'UnknownOperatorError'],
  ['QB_OPERATOR_TYPE_MISMATCH', 7, 'OperatorTypeMismatchError'],
  ['QB_INVALID_VALUE', 8, 'InvalidValueError'],
  ['QB_INVALID_IDENTIFIER', 9, 'InvalidIdentifierError'],
  ['QB_DEPTH_LIMIT', 10, 'DepthLimitError'],
  ['QB_SIZE_LIMIT', 11, 'SizeLimitError'],
  ['QB_INVALID_GROUP_BY', 12, 'InvalidGroupByError'],
  ['QB_UNSUPPORTED', 13, 'UnsupportedError'],
  ['QB_INTERNAL', 14, 'InternalError'],
  ['QB_INVALID_CURSOR', 15, 'InvalidCursorError'],
  ['QB_CURSOR_MISMATCH', 16, 'CursorMismatchError'],
  ['QB_NO_PRIMARY_KEY', 17, 'NoPrimaryKeyError'],
  ['QB_GRAPHQL_INVALID', 18, 'GraphqlInvalidError'],
];

const classes = { QueryBuilderError };
const byCode = {};
const byNumber = [];
for (const [code, number, name] of KINDS) {
  // A named class per kind (`err.name`, `instanceof`, stack traces).
  const cls = { [name]: class extends QueryBuilderError {} }[name];
  cls.code = code;
  cls.number = number;
  classes[name] = cls;
  byCode[code] = cls;
  byNumber[number] = cls;
}

/** The factory the native module calls for every core error. */
function makeError(number, code, path, message, display) {
  const cls = byNumber[number] || QueryBuilderError;
  return new cls(display, { code, number, path, message, captureFrom: makeError });
}

// ---- errors of the rollout shim (not core errors) -------------------------------------

/** The legacy builder returned something the shim does not understand. */
class LegacyResultError extends TypeError {
  constructor(message) {
    super(message);
    this.name = 'LegacyResultError';
    this.code = 'FRAISEQL_QB_LEGACY_RESULT';
  }
}

/** The legacy builder writes another placeholder style than the shim's `placeholder`. */
class PlaceholderMismatchError extends Error {
  constructor(message) {
    super(message);
    this.name = 'PlaceholderMismatchError';
    this.code = 'FRAISEQL_QB_PLACEHOLDER_MISMATCH';
  }
}

/** Neither builder can serve: the native one is unavailable and no legacy is registered. */
class NoBuilderAvailableError extends Error {
  constructor(message) {
    super(message);
    this.name = 'NoBuilderAvailableError';
    this.code = 'FRAISEQL_QB_NO_BUILDER';
  }
}

/** The native addon could not be loaded (docs/rollout.md, "native unavailable"): thrown by
 * `compile` and everything else that needs the core; `cause` is the load failure. Not a
 * `QueryBuilderError`: the query is not at fault. */
class NativeUnavailableError extends Error {
  constructor(message, cause) {
    super(message, cause === undefined || cause === null ? undefined : { cause });
    this.name = 'NativeUnavailableError';
    this.code = 'FRAISEQL_QB_NATIVE_UNAVAILABLE';
  }
}

module.exports = {
  ...classes,
  KINDS,
  errorsByCode: Object.freeze({ ...byCode }),
  makeError,
  LegacyResultError,
  PlaceholderMismatchError,
  NoBuilderAvailableError,
  NativeUnavailableError,
};
