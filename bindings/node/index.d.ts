// Type declarations of the npm package `fraiseql-qb`. Hand-written for the JS API (the
// native module's own surface is internal); the block between the `generated` markers is
// produced from the core's vocabularies and `test/types.test.js` fails when it, or the
// list of exports, is stale (`BLESS=1 node --test test/types.test.js` rewrites the block).
// The query and registry forms are documented in docs/query-ast.md.

// <generated from the native module by test/types.test.js: do not edit>
/** Every filter operator name (docs/query-ast.md, "Operators"). */
export type OperatorName =
  | 'eq'
  | 'neq'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'in'
  | 'nin'
  | 'isnull'
  | 'contains'
  | 'startswith'
  | 'endswith'
  | 'icontains'
  | 'istartswith'
  | 'iendswith'
  | 'like'
  | 'ilike'
  | 'matches'
  | 'imatches'
  | 'not_matches'
  | 'plain_query'
  | 'phrase_query'
  | 'websearch_query'
  | 'rank_gt'
  | 'rank_gte'
  | 'rank_lt'
  | 'rank_lte'
  | 'rank_cd_gt'
  | 'rank_cd_gte'
  | 'rank_cd_lt'
  | 'rank_cd_lte'
  | 'contained_by'
  | 'overlaps'
  | 'len_eq'
  | 'len_neq'
  | 'len_gt'
  | 'len_gte'
  | 'len_lt'
  | 'len_lte'
  | 'any_eq'
  | 'all_eq'
  | 'strictly_contains'
  | 'has_key'
  | 'has_any_keys'
  | 'has_all_keys'
  | 'path_exists'
  | 'path_match'
  | 'inSubnet'
  | 'inRange'
  | 'isPrivate'
  | 'isPublic'
  | 'isIPv4'
  | 'isIPv6'
  | 'isLoopback'
  | 'isLinkLocal'
  | 'isMulticast'
  | 'isDocumentation'
  | 'isCarrierGrade'
  | 'ancestor_of'
  | 'descendant_of'
  | 'matches_lquery'
  | 'matches_ltxtquery'
  | 'matches_any_lquery'
  | 'depth_eq'
  | 'depth_neq'
  | 'depth_gt'
  | 'depth_gte'
  | 'depth_lt'
  | 'depth_lte'
  | 'contains_date'
  | 'adjacent'
  | 'strictly_left'
  | 'strictly_right'
  | 'not_left'
  | 'not_right'
  | 'cosine_distance'
  | 'l2_distance'
  | 'l1_distance'
  | 'inner_product'
  | 'hamming_distance'
  | 'jaccard_distance'
  | 'distance_within';

/** Every registry scalar type name (docs/query-ast.md, "The schema registry"). */
export type ScalarTypeName =
  | 'text'
  | 'integer'
  | 'numeric'
  | 'boolean'
  | 'uuid'
  | 'date'
  | 'timestamptz'
  | 'inet'
  | 'cidr'
  | 'macaddr'
  | 'ltree'
  | 'daterange'
  | 'tsvector'
  | 'vector'
  | 'bit'
  | 'jsonb'
  | 'coordinates';

/** Every error code, with its stable number (docs/errors.md). */
export interface ErrorNumbers {
  QB_INVALID_JSON: 1;
  QB_INVALID_QUERY: 2;
  QB_INVALID_SCHEMA: 3;
  QB_UNKNOWN_VIEW: 4;
  QB_UNKNOWN_FIELD: 5;
  QB_UNKNOWN_OPERATOR: 6;
  QB_OPERATOR_TYPE_MISMATCH: 7;
  QB_INVALID_VALUE: 8;
  QB_INVALID_IDENTIFIER: 9;
  QB_DEPTH_LIMIT: 10;
  QB_SIZE_LIMIT: 11;
  QB_INVALID_GROUP_BY: 12;
  QB_UNSUPPORTED: 13;
  QB_INTERNAL: 14;
  QB_INVALID_CURSOR: 15;
  QB_CURSOR_MISMATCH: 16;
  QB_NO_PRIMARY_KEY: 17;
  QB_GRAPHQL_INVALID: 18;
}
// </generated>

export type ErrorCode = keyof ErrorNumbers;

// ---- the query AST (JSON form) -------------------------------------------------------------

/**
 * A value the compiler reads, as JSON sees it: a property whose value is `undefined` is
 * absent; a `Date` is its ISO text; a `BigInt` an exact integer. Functions, symbols, NaN,
 * infinities, binary data, Map/Set and other non-JSON values are refused with
 * `InvalidValueError`.
 */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | JsonValue[]
  | { [key: string]: JsonValue | undefined };

/** Operands by operator: a value, a list for `in`/`nin`, a boolean for `isnull`... */
export type FieldFilter = { [op in OperatorName]?: JsonValue } & {
  /** A nested field: an object of operators (or of further nested fields). */
  [nestedField: string]: JsonValue | FieldFilter | undefined;
};

/** A filter over the rows of a list relation or the elements of an embedded list: a
 * quantifier (two-valued). */
export type RelationFilter = { some: Filter } | { every: Filter } | { none: Filter };

/** A `where` filter: field filters, combined with `and` / `or` / `not`; a relation is
 * filtered with nested fields (many-to-one), a `RelationFilter`, or `{ isnull: boolean }`;
 * an embedded list with a `RelationFilter` or `{ isnull: boolean }` (not an array). */
export type Filter =
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter }
  | { [field: string]: FieldFilter | RelationFilter | Filter[] | Filter | undefined };

/** One selected item: a field path (`"profile.city"`), or an object form. */
export type Selection =
  | string
  | {
      /** A field path, as a dotted string or a list of segments; through a list relation
       * or an embedded list, an aggregate over its rows (`posts.count`,
       * `posts.max.created_at`). */
      field?: string | string[];
      /** The output name. */
      alias?: string;
      /** A nested selection on an object field, a relation or an embedded list. */
      select?: Selection[];
      /** An aggregate (grouped queries). */
      aggregate?: 'count' | 'sum' | 'avg' | 'min' | 'max';
      /** With `aggregate` and `field`: aggregate distinct values only (`count(DISTINCT …)`). */
      distinct?: boolean;
      /** A list relation or embedded list: which rows (elements) (its own filter). */
      where?: Filter;
      /** A list relation or embedded list: their order (ties: the related view's primary
       * key, the elements' array order). */
      order_by?: OrderKey[];
      /** A list relation or embedded list: at most this many rows. */
      limit?: number | bigint;
      /** A list relation or embedded list: rows skipped first. */
      offset?: number | bigint;
      /** A list relation or embedded list as a keyset page (its value becomes
       * `{ edges: [{ cursor, node }], pageInfo?, totalCount? }`): at most this many rows,
       * after `after` if given. */
      first?: number | bigint;
      /** A cursor of this list (from `encodeCursor` of an edge's `cursor`), with `first`. */
      after?: string | null;
      /** A keyset page backward: the last this many rows, before `before` if given. */
      last?: number | bigint;
      /** A cursor of this list, with `last`. */
      before?: string | null;
      /** Add `pageInfo` (`hasNextPage`, `hasPreviousPage`) to the list's value. */
      page_info?: boolean;
      /** Add `totalCount`: the parent's rows the list's `where` matches. */
      total_count?: boolean;
    };

/** An order key: a field path, or an object with direction and NULLS placement. */
export type OrderKey =
  | string
  | {
      field: string | string[];
      direction?: 'asc' | 'desc';
      nulls?: 'first' | 'last';
    };

/** A query: which view, which fields, which rows, in which order (docs/query-ast.md). */
export interface Query {
  /** A registry key: `v_user` or schema-qualified `app.v_order`. */
  view: string;
  select: Selection[];
  where?: Filter;
  order_by?: OrderKey[];
  group_by?: Array<string | string[]>;
  /** A filter over the selected aggregates, named by their aliases (grouped queries). */
  having?: Filter;
  /** Each distinct row of the selection once. */
  distinct?: boolean;
  /** PostgreSQL's `DISTINCT ON (keys)`: the first row per key tuple in `order_by` order. */
  distinct_on?: Array<string | string[]>;
  limit?: number | bigint;
  offset?: number | bigint;
  /** Keyset pagination forward: at most this many rows, after the `after` cursor if given. */
  first?: number | bigint;
  /** A cursor from `encodeCursor`: rows strictly after its row (with `first`). */
  after?: string | null;
  /** Keyset pagination backward: the last this many rows, before `before` if given. */
  last?: number | bigint;
  /** A cursor from `encodeCursor`: rows strictly before its row (with `last`). */
  before?: string | null;
  /** Add the `__has_next_page` and `__has_previous_page` columns (with `first`/`last`). */
  page_info?: boolean;
  /** Add the `__total_count` column: the rows the filter matches (with `first`/`last`). */
  total_count?: boolean;
  /** `json` (default: one jsonb `data` column), `json_text`, or `columns`. */
  output?: 'json' | 'json_text' | 'text' | 'columns';
  /** Map camelCase names to snake_case keys (default true). */
  camel_case?: boolean;
}

// ---- the schema registry ----------------------------------------------------------------

/** A field type: a scalar name, an array of one (`"text[]"`), or an object form. */
export type FieldType =
  | ScalarTypeName
  | `${ScalarTypeName}[]`
  | string
  | {
      type: ScalarTypeName | 'object' | 'list' | string;
      /** The fields of an `object` field, or of each element of a `list` field. */
      fields?: Record<string, FieldType>;
      /** The text search configuration of a `tsvector` field. */
      language?: string;
      /** The GraphQL typename of an `object` field, or of a `list` field's elements (for `__typename`). */
      typename?: string;
    };

/** One view of the registry. */
export interface ViewDef {
  typename?: string;
  /** The JSONB column (default `data`). */
  data_column?: string;
  /** SQL columns by name. */
  columns?: Record<string, ScalarTypeName | string>;
  /** JSONB fields by key. */
  fields?: Record<string, FieldType>;
  /** Accept fields the registry does not list. */
  permissive?: boolean;
  /** Default text search configuration. */
  language?: string;
  /** Opt-in: select the whole stored document when a selection has more leaf fields than
   * this (the registry decides; a query cannot). */
  document_threshold?: number | null;
  /** The columns that identify a row (a list relation's tie-breaker). */
  primary_key?: string[];
  /** The tenant (sharding) column, matched in every relation join. */
  distribution_column?: string;
  /** Views related to this one by SQL columns. */
  relations?: Record<string, RelationDef>;
}

/** A relation to another view (docs/query-ast.md, Relations). */
export interface RelationDef {
  view: string;
  kind: 'many_to_one' | 'one_to_many' | 'many_to_many';
  /** This view's column -> the related (or, with `through`, the join) view's column. */
  join: Record<string, string>;
  /** `many_to_many` only: the join view and its column -> the related view's column. */
  through?: { view: string; join: Record<string, string> };
}

/** The registry document: `{ views: { KEY: VIEW } }`. */
export interface Registry {
  views: Record<string, ViewDef>;
}

/** A schema registry, parsed and validated once; reusable by any number of compiles. */
/** A query shape compiled once (`Schema.prepare`): one PostgreSQL prepared statement per
 * shape, bound with the values of each query of that shape. */
export class Prepared {
  private constructor();
  /** The SQL of every query of this shape. */
  readonly text: string;
  /** The parameters' SQL types, in placeholder order. */
  readonly paramTypes: readonly string[];
  /** The values of `query`, of the prepared shape (else `InvalidQueryError`); a bad operand
   * throws as `compile` throws. */
  bind(query: Query | string): unknown[];
  /** `bind`, with the text: what `compile(query, schema, options)` returns. */
  compile(query: Query | string, options?: { paramTypes?: boolean }): CompiledQuery;
  /** The operands `bindValues` takes, in order. */
  readonly operands: readonly PreparedOperand[];
  /** The values of the prepared query with its operands replaced by `values` (in `operands`
   * order), without building a query: throws as `compile` throws on that query (at the
   * operand's path), and `InvalidQueryError` for a wrong number of values. The SQL is
   * `text`: no value changes it. */
  bindValues(values: readonly unknown[]): unknown[];
}

/** One operand of a prepared query. */
export interface PreparedOperand {
  /** Its path in the query, as errors name it (`where.email.eq`, `limit`). */
  readonly path: string;
  /** What it takes: a scalar type name (`uuid`), `list of <type>`, `count`, `string`,
   * `list of string`, `object {...}`, `json`, `cursor` or `any`. */
  readonly kind: string;
}

/** The counters of a `Schema`'s shape cache. */
export interface CacheStats {
  /** Compiles served from a cached plan. */
  hits: number;
  /** Of the hits, those read from the query's document key (a query object of plain data,
   * or JSON text: no query built). */
  documentHits: number;
  /** Compiles that planned their shape. */
  misses: number;
  /** Plans dropped to make room. */
  evictions: number;
  /** Hits compiled uncached after all (a bad operand, reported as without the cache). */
  recompiles: number;
  /** Shapes cached now. */
  len: number;
  /** The most shapes kept (0: no cache). */
  capacity: number;
  /** Approximate bytes of the cached shapes. */
  bytes: number;
}

export interface SchemaOptions {
  /** The most query shapes the schema's cache keeps: default 1024 (about 0.4 to 4 KiB
   * each); 0 turns the cache off. */
  cacheSize?: number;
  /** The most GraphQL documents (and their query shapes) `graphql.compile` keeps validated:
   * default 1024; 0 turns that cache off. */
  graphqlCacheSize?: number;
}

export class Schema {
  /** Throws `InvalidSchemaError` (or `InvalidJsonError` for bad JSON text). */
  constructor(registry: Registry | string, options?: SchemaOptions);
  /** The view keys, in registry order. */
  readonly views: readonly string[];
  /** The counters of the shape cache. */
  cacheStats(): CacheStats;
  /** The counters of the GraphQL document cache (`graphql.compile`). */
  graphqlCacheStats(): GraphqlCacheStats;
  /** Compiles `query`'s shape once (throws as `compile` would). */
  prepare(query: Query | string, options?: { placeholder?: Placeholder }): Prepared;
  toString(): string;
}

// ---- compiling ------------------------------------------------------------------------------

export type Placeholder = 'numbered' | 'format';

export interface CompileOptions {
  /** `numbered` (default): `$1, $2` (node-postgres); `format`: `%s`. */
  placeholder?: Placeholder;
  /** Add `paramTypes` (`["uuid", "text[]", ...]`) to the result. */
  paramTypes?: boolean;
  /** Authenticates keyset pagination cursors (HMAC-SHA256 with the key's UTF-8 bytes): the
   * `after`/`before` cursors must come from `encodeCursor` with the same key. */
  cursorKey?: string;
}

/**
 * A parameter value as node-postgres sends it: `boolean` for booleans, `number` for float8,
 * and exact text for every other type (int8 and numeric keep every digit; uuid, dates,
 * timestamps, network types, jsonb...: the SQL casts each placeholder); arrays as arrays.
 */
export type ParamValue = string | number | boolean | ParamValue[];

/** What `compile` returns: node-postgres' QueryConfig (`client.query(result)`). */
export interface CompiledQuery {
  text: string;
  values: ParamValue[];
  /** With `{ paramTypes: true }`: the SQL type of each value. */
  paramTypes?: string[];
}

/**
 * Compile `query` (an object, or JSON text) against `schema` (best a `Schema` built once; a
 * registry object is parsed and validated on every call). Throws a `QueryBuilderError`
 * subclass with `code`, `number`, `path` and `message`; a getter or proxy of the query that
 * throws propagates its own exception.
 */
export function compile(
  query: Query | string,
  schema: Schema | Registry | string,
  options: CompileOptions & { paramTypes: true },
): CompiledQuery & { paramTypes: string[] };
export function compile(query: Query | string, schema: Schema | Registry | string, options?: CompileOptions): CompiledQuery;

/** `value` as compile reads an operand, as compact JSON text (descriptions, tests). */
export function toJson(value: unknown): string;
/**
 * The cursor of a keyset page's row, from its `__cursor` column, for `after`/`before`;
 * signed when `cursorKey` is given (the key `compile` gets). Throws `InvalidCursorError` for
 * a value that is no `__cursor` column.
 */
export function encodeCursor(rowCursor: string, cursorKey?: string): string;

// ---- GraphQL ----------------------------------------------------------------------------------

/** The counters of a schema's GraphQL document cache. */
export interface GraphqlCacheStats {
  /** Requests whose validated document was found (no parse, no validation). */
  hits: number;
  /** Requests parsed and validated (refused ones included). */
  misses: number;
  evictions: number;
  len: number;
  capacity: number;
  bytes: number;
  /** Hits whose variables were bound straight into the root fields' prepared statements
   * (no lowering; counted among `hits`). */
  bound: number;
  /** Variable fingerprints whose templates are kept (at most `capacity`). */
  templates: number;
  /** The shape cache the requests' queries compile through. */
  shapes: CacheStats;
}

/** One error of a GraphQL response (the GraphQL spec's shape). */
export interface GraphqlErrorObject {
  message: string;
  locations?: { line: number; column: number }[];
  /** The response path of the field the error belongs to. */
  path?: string[];
  extensions: { code: ErrorCode; astPath?: string };
}

/** GraphQL requests compiled by the core (docs/graphql.md). */
export namespace graphql {
  interface CompileOptions {
    /** The operation to run, when the document has several. */
    operationName?: string | null;
    /** `numbered` (default): `$1, $2` (node-postgres); `format`: `%s`. */
    placeholder?: Placeholder;
    /** Authenticates connection cursors (HMAC-SHA256), as `compile`'s `cursorKey`: the
     * cursors `assemble` writes are signed with it; `after`/`before` must verify. */
    cursorKey?: string | null;
  }
  /** A connection statement's column (`RootField.columns`). */
  type ConnectionColumn = 'data' | '__cursor' | '__has_next_page' | '__has_previous_page' | '__total_count';
  /** A row of a statement as node-postgres gives it: an object by column name, or an array
   * of the columns (`rowMode: 'array'`). A plain field's row may also be its `data` value. */
  type Row = Record<string, unknown> | unknown[];
  /** One root field of the response. */
  class RootField {
    private constructor();
    /** The key in `data` (the alias, else the field name). */
    readonly responseKey: string;
    /** The statement (`client.query(query)`), or null for a field known without SQL. */
    readonly query: CompiledQuery | null;
    /** True: one object (by primary key): the first row's `data`, or null. */
    readonly single: boolean;
    /** The value of a field known without SQL (root `__typename`: `"Query"`). */
    readonly value: unknown;
    /** For a connection field: its statement's columns, in order; null otherwise. */
    readonly columns: readonly ConnectionColumn[] | null;
    /** True for a connection field (`userConnection`). */
    readonly connection: boolean;
    /** True when the field's rows hold nested connections (`postsConnection`). */
    readonly nested: boolean;
    /** A connection field's value (`{ edges, nodes, pageInfo, totalCount }` as selected)
     * from its statement's rows, shaped by the core (nested connections in its nodes
     * included); `__total_count` may be a number, a BigInt or its decimal text. Throws a
     * `TypeError` for a field that is not a connection. */
    assembleConnection(rows: readonly Row[]): Record<string, unknown>;
    /** One row's `data` (or its JSON text) with its nested connections shaped by the core;
     * the `data` itself when the field has none. */
    finish(data: unknown): unknown;
  }
  /** A compiled request: one statement per root field, in response order. */
  class Request {
    private constructor();
    readonly fields: readonly RootField[];
    /** `{ data }`: `run(query)` gives the rows of one statement as node-postgres does
     * (`(await client.query(query)).rows`); for a field that is not a connection a row may
     * also be its `data` value. */
    assemble(run: (query: CompiledQuery) => readonly unknown[] | Promise<readonly unknown[]>): Promise<{ data: Record<string, unknown> }>;
  }
  /** Compiles a GraphQL request against the GraphQL schema derived from `schema`. Throws a
   * `QueryBuilderError` subclass (the first error's code) whose `errors` lists every error. */
  function compile(
    document: string,
    variables: Record<string, unknown> | string | null | undefined,
    schema: Schema,
    options?: CompileOptions,
  ): Request;
}

// ---- errors -----------------------------------------------------------------------------------

/** Base class of every compile, parse and schema error. */
export class QueryBuilderError extends Error {
  /** The stable code, e.g. `QB_UNKNOWN_FIELD`. */
  readonly code: ErrorCode;
  /** The stable number (1-14). */
  readonly number: number;
  /** The offending node, e.g. `where.and[1].email.eq`; `''` for the root. */
  readonly path: string;
  /** The sentence, without code or path. */
  readonly message: string;
  /** Thrown by `graphql.compile`: every error of the request, in the GraphQL spec's shape. */
  readonly errors?: GraphqlErrorObject[];
  static readonly code: ErrorCode | '';
  static readonly number: number;
}
export class InvalidJsonError extends QueryBuilderError {}
export class InvalidQueryError extends QueryBuilderError {}
export class InvalidSchemaError extends QueryBuilderError {}
export class UnknownViewError extends QueryBuilderError {}
export class UnknownFieldError extends QueryBuilderError {}
export class UnknownOperatorError extends QueryBuilderError {}
export class OperatorTypeMismatchError extends QueryBuilderError {}
export class InvalidValueError extends QueryBuilderError {}
export class InvalidIdentifierError extends QueryBuilderError {}
export class DepthLimitError extends QueryBuilderError {}
export class SizeLimitError extends QueryBuilderError {}
export class InvalidGroupByError extends QueryBuilderError {}
export class UnsupportedError extends QueryBuilderError {}
/** A bug (a panic caught at the binding boundary); the shim may fall back from it. */
export class InternalError extends QueryBuilderError {}
/** A cursor that is malformed, of an unknown version, or fails authentication. */
export class InvalidCursorError extends QueryBuilderError {}
/** A cursor made for another view or ordering. */
export class CursorMismatchError extends QueryBuilderError {}
/** Keyset pagination over a view without a `primary_key`. */
export class NoPrimaryKeyError extends QueryBuilderError {}
export class GraphqlInvalidError extends QueryBuilderError {}

/** The error class of each code. */
export const errorsByCode: Readonly<{ [C in ErrorCode]: typeof QueryBuilderError }>;

/** The legacy builder returned something the shim does not understand (a legacy error). */
export class LegacyResultError extends TypeError {
  readonly code: 'FRAISEQL_QB_LEGACY_RESULT';
}
/** The legacy builder writes another placeholder style than the shim (configuration error). */
export class PlaceholderMismatchError extends Error {
  readonly code: 'FRAISEQL_QB_PLACEHOLDER_MISMATCH';
}
/** Native compiler unavailable and no legacy builder registered. */
export class NoBuilderAvailableError extends Error {
  readonly code: 'FRAISEQL_QB_NO_BUILDER';
}
/** The native addon could not be loaded: thrown by `compile` and `toJson` (the legacy-only
 * stand-in runs the rollout shim); `cause` is the load failure. Not a `QueryBuilderError`. */
export class NativeUnavailableError extends Error {
  readonly code: 'FRAISEQL_QB_NATIVE_UNAVAILABLE';
}

/** Whether the native addon was loaded. When false (no binary for this platform, a broken
 * install, or `FRAISEQL_QB_DISABLE_NATIVE=1`), a process warning with the code
 * `FRAISEQL_QB_NATIVE_UNAVAILABLE` was emitted at load, `compile` throws
 * `NativeUnavailableError`, and every `RolloutQueryBuilder.build` is served by the legacy
 * builder (docs/rollout.md, "native unavailable"). */
export const nativeAvailable: boolean;
/** Why the native addon could not be loaded, or null. */
export const nativeLoadError: Error | null;

// ---- the rollout shim (docs/rollout.md) ------------------------------------------------------

/** What a legacy builder may return. */
export type LegacyStatement =
  | string
  | { text: string; values?: unknown[] }
  | [string, unknown[]]
  | { sql: string; params: unknown[] };

export type LegacyBuilder<Q = Query> = (query: Q) => unknown;

/** A statement as the shim hands it to the shadow executor. */
export interface Statement {
  text: string;
  values: unknown[];
}

export interface Logger {
  debug(message: string): void;
  warn(message: string): void;
}

export interface TripBackOptions {
  enabled?: boolean;
  windowMs?: number;
  minCalls?: number;
  /** Percentage of failed native attempts (0-100) above which the breaker opens. */
  threshold?: number;
  coolDownMs?: number;
  probeSuccesses?: number;
}

/** Settings: each overrides its environment variable; `undefined` keeps the environment's. */
export interface RolloutSettings {
  useNative?: boolean;
  /** Share of calls native, 0-100 (0.01 steps). */
  percentage?: number | string;
  logMode?: boolean;
  fallback?: boolean;
  killSwitch?: boolean;
  sticky?: boolean;
  shadowPercentage?: number | string;
  shadowKeepLast?: number;
  tripBack?: boolean | TripBackOptions;
}

export interface ShadowOptions {
  /**
   * Runs one statement and resolves to its rows (e.g. `pgShadowExecutor(pool)`): with it,
   * shadow runs compare rows (ordered when the query has `order_by`, else as multisets)
   * after the call has returned, never affecting its answer or latency.
   */
  executor?: (statement: Statement) => Promise<unknown[]>;
  /** `rows` (default with an executor) or `text` (SQL text and values). */
  mode?: 'rows' | 'text';
  /** Time budget of one shadow execution (default 5000 ms): past it, a comparator error. */
  timeoutMs?: number;
  /** Shadow executions in flight at most (default 4); samples beyond are skipped. */
  maxInFlight?: number;
}

export interface MetricsEvent {
  view: string;
  servedBy: 'rust' | 'python';
  reason: string;
  fallback: boolean;
  durationNs: number;
}

export interface RolloutOptions<Q = Query> extends RolloutSettings {
  /** The one placeholder style of both routes (default `numbered`); the legacy builder's
   * output is checked against it (qb-rollout's scan) until one statement shows its style. */
  placeholder?: Placeholder;
  /** Turns a legacy result of another shape into a `LegacyStatement` (`legacyAdapters`). */
  adaptLegacy?: (result: any) => LegacyStatement;
  /** Text-mode shadow comparison: `true` when the statements are equivalent. */
  comparator?: (legacy: Statement, native: CompiledQuery) => boolean;
  shadow?: ShadowOptions;
  /** Called after every call (never fails it). */
  onMetrics?: (event: MetricsEvent) => void;
  /** Default: debug lines on the console (log mode only), warnings as process warnings. */
  logger?: Logger;
  /** Replaces `process.env` (tests). */
  env?: Record<string, string | undefined>;
}

/** The canonical configuration (percentages in basis points). */
export interface RolloutConfig {
  use_native: boolean;
  percentage_bp: number;
  log_mode: boolean;
  fallback: boolean;
  kill_switch: boolean;
  sticky: boolean;
  shadow: { percentage_bp: number; keep_last: number };
  trip: {
    enabled: boolean;
    window_ms: number;
    min_calls: number;
    threshold_bp: number;
    cool_down_ms: number;
    probe_successes: number;
  };
}

export interface ConfigWarning {
  variable: string;
  value: string;
  expected: 'bool' | 'percentage';
  default: string;
  message: string;
}

/** The seed's nine metric keys, names as in the seed. */
export interface SeedMetrics {
  rust_calls: number;
  python_calls: number;
  rust_errors: number;
  rust_fallbacks: number;
  total_calls: number;
  rust_percentage: number;
  rust_error_rate: number;
  avg_rust_time_ms: number;
  avg_python_time_ms: number;
}

export interface Metrics extends SeedMetrics {
  python_errors: number;
  shadow_runs: number;
  shadow_mismatches: number;
  shadow_errors: number;
  trip_state: 'closed' | 'open' | 'half_open';
  trips_total: number;
  native_available: boolean;
}

export interface ShadowMismatch {
  seq: number;
  result: 'mismatch' | 'native_error';
  view: string;
  input: string;
}

export class RolloutQueryBuilder<Q = Query> {
  constructor(legacy: LegacyBuilder<Q> | null, schema: Schema | Registry | string, options?: RolloutOptions<Q>);
  /** Build `query` with the builder the rollout picks; `key` makes the choice sticky. */
  build(query: Q, options?: { key?: string }): CompiledQuery | Statement;
  configure(settings: RolloutSettings): void;
  reload(): void;
  readonly config: RolloutConfig;
  readonly warnings: ConfigWarning[];
  readonly schema: Schema;
  readonly placeholder: Placeholder;
  readonly nativeAvailable: boolean;
  setNativeAvailable(available: boolean): void;
  readonly tripState: 'closed' | 'open' | 'half_open';
  metrics(): Metrics;
  prometheusText(): string;
  shadowMismatches(): ShadowMismatch[];
  /** Resolves when every shadow execution started so far has finished. */
  shadowIdle(): Promise<void>;
  resetMetrics(): void;
}

/** Process-wide metrics: the seed's nine keys, or all sixteen with `{ extended: true }`. */
export function getQueryBuilderMetrics(options?: { extended?: false }): SeedMetrics;
export function getQueryBuilderMetrics(options: { extended: true }): Metrics;
/** Process-wide metrics in Prometheus text format 0.0.4. */
export function getPrometheusText(): string;
/** Parse the environment (default `process.env`) as a shim does. */
export function configFromEnv(env?: Record<string, string | undefined>): {
  config: RolloutConfig;
  warnings: ConfigWarning[];
};
/** `adaptLegacy` functions for Knex (`.toSQL().toNative()`) and Kysely (`.compile()`). */
export const legacyAdapters: Readonly<{
  knex(result: any): LegacyStatement;
  kysely(result: any): LegacyStatement;
}>;
/** A shadow executor over a node-postgres Pool: READ ONLY transaction, statement_timeout. */
export function pgShadowExecutor(
  pool: { connect(): Promise<{ query(q: any): Promise<{ rows: unknown[] }>; release(): void }> },
  options?: { statementTimeoutMs?: number },
): (statement: Statement) => Promise<unknown[]>;
/** The environment variables the shim reads. */
export const ENV_VARS: readonly string[];
/** The seed's metric keys, in order. */
export const SEED_KEYS: readonly (keyof SeedMetrics)[];
