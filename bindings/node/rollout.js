'use strict';
// The rollout shim: keep your existing ("legacy") query builder and move traffic to the
// native compiler step by step. The contract is docs/rollout.md, identical in every binding:
// routing, exact metrics, trip-back, the shadow store, the Prometheus values and the
// row comparison live in the Rust engine (qb-rollout); this module calls your legacy
// builder, times it, logs and converts types.
//
//   const shim = new RolloutQueryBuilder(legacyBuild, schema, { placeholder: 'numbered' });
//   const { rows } = await client.query(shim.build(query, { key: tenantId }));
//
// Environment (read on creation and on reload(); options override it):
// FRAISEQL_USE_RUST_QUERY_BUILDER, FRAISEQL_RUST_QB_PERCENTAGE, FRAISEQL_LOG_QUERY_BUILDER_MODE,
// FRAISEQL_RUST_QB_FALLBACK, FRAISEQL_USE_PYTHON_QUERY_BUILDER (kill switch),
// FRAISEQL_RUST_QB_STICKY, FRAISEQL_RUST_QB_SHADOW_PERCENTAGE, FRAISEQL_RUST_QB_TRIP_BACK.
// A malformed value only warns (the default applies); an invalid option throws (it is code).
const { native } = require('./loader');
const {
  QueryBuilderError,
  LegacyResultError,
  PlaceholderMismatchError,
  NoBuilderAvailableError,
} = require('./errors');
const { Schema } = require('./schema');
const { compile } = require('./compile');
const { encode, unpack } = require('./encode');

const META = native.rolloutMeta();
/** Environment variables read by the shim, in the engine's order. */
const ENV_VARS = Object.freeze(META.envVars.slice());
/** The seed's metric keys, in order (`getQueryBuilderMetrics()` returns exactly these). */
const SEED_KEYS = Object.freeze(META.seedKeys.slice());
const REASONS = META.reasons;

const PLACEHOLDERS = { numbered: 0, format: 1 };

/** A percentage (0-100, 0.01 steps) as basis points; anything else throws a RangeError. */
function percentageBp(value, what = 'percentage') {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new RangeError(`${what} must be a number from 0 to 100, got ${String(value)}`);
  }
  return Math.round(n * 100);
}

function nonNegativeInt(value, what) {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** `[name, value]` pairs of the variables the engine reads, from `env` (default process.env). */
function envPairs(env) {
  const source = env || process.env;
  const out = [];
  for (const name of ENV_VARS) {
    const v = source[name];
    if (v !== undefined && v !== null) out.push([name, String(v)]);
  }
  return out;
}

/**
 * Parse the environment (process.env by default) as a shim does: `{ config, warnings }`,
 * the canonical config (percentages in basis points) and one warning per malformed variable.
 */
function configFromEnv(env) {
  const [config, warnings] = native.resolveConfig(envPairs(env), null);
  return { config, warnings };
}

// ---- legacy results ------------------------------------------------------------------

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array of length ${v.length}`;
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    const ctor = proto && proto.constructor && proto.constructor.name;
    if (ctor && ctor !== 'Object') return ctor;
    return `object with keys [${Object.keys(v).slice(0, 6).join(', ')}]`;
  }
  return typeof v;
}

/**
 * What a legacy builder may return: SQL text, node-postgres' `{ text, values }`,
 * `[sql, params]` or `{ sql, params }`. Anything else is a LegacyResultError naming the type
 * (use the `adaptLegacy` option, e.g. `legacyAdapters.knex`, for other shapes).
 */
const QUERY_CONFIG_KEYS = new Set(['text', 'values', 'name', 'rowMode', 'types']);

function normalizeLegacy(r) {
  if (typeof r === 'string') return { text: r, values: [] };
  if (Array.isArray(r)) {
    if (r.length === 2 && typeof r[0] === 'string' && Array.isArray(r[1])) {
      return { text: r[0], values: r[1] };
    }
  } else if (r !== null && typeof r === 'object' && typeof r.then !== 'function') {
    const keys = Object.keys(r);
    // node-postgres' QueryConfig (extra keys it knows are allowed), or { sql, params }.
    if (
      typeof r.text === 'string' &&
      (r.values === undefined || Array.isArray(r.values)) &&
      keys.every((k) => QUERY_CONFIG_KEYS.has(k))
    ) {
      return { text: r.text, values: r.values === undefined ? [] : r.values };
    }
    if (typeof r.sql === 'string' && Array.isArray(r.params) && keys.every((k) => k === 'sql' || k === 'params')) {
      return { text: r.sql, values: r.params };
    }
  }
  const hint =
    r !== null && typeof r === 'object' && typeof r.then === 'function'
      ? ' (a Promise or thenable: the shim is synchronous; return the statement, not its execution)'
      : '';
  throw new LegacyResultError(
    `fraiseql rollout: the legacy builder returned ${typeName(r)}${hint}; expected SQL text, ` +
      '{ text, values }, [sql, params] or { sql, params } (or pass adaptLegacy, e.g. ' +
      'legacyAdapters.knex / legacyAdapters.kysely)',
  );
}

/** Adapters for popular builders' statement objects (the `adaptLegacy` option). */
const legacyAdapters = Object.freeze({
  /** Knex: `builder.toSQL().toNative()` -> `{ sql, bindings }` (`$n` with the pg client). */
  knex(r) {
    if (r && typeof r.toSQL === 'function') r = r.toSQL().toNative();
    return { text: r.sql, values: r.bindings };
  },
  /** Kysely: `query.compile()` -> `{ sql, parameters }`. */
  kysely(r) {
    if (r && typeof r.compile === 'function') r = r.compile();
    return { text: r.sql, values: r.parameters };
  },
});

// ---- helpers -------------------------------------------------------------------------

/** The core's display form of an error: `CODE at PATH: message`. */
function displayOf(err) {
  return err.path ? `${err.code} at ${err.path}: ${err.message}` : `${err.code}: ${err.message}`;
}

function viewOf(query) {
  try {
    let q = query;
    if (typeof q === 'string') q = JSON.parse(q);
    const v = q && q.view;
    return typeof v === 'string' ? v : '?';
  } catch {
    return '?';
  }
}

function ordersRows(query) {
  try {
    let q = query;
    if (typeof q === 'string') q = JSON.parse(q);
    return Array.isArray(q.order_by) ? q.order_by.length > 0 : q.order_by != null;
  } catch {
    return false;
  }
}

function describe(query) {
  try {
    return typeof query === 'string' ? query : native.toJson(query);
  } catch {
    try {
      return String(query);
    } catch {
      return '<unprintable input>';
    }
  }
}

/** What node-postgres sends for a value, as text: the basis of text-mode comparison. */
function pgText(v) {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(pgText);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && !Buffer.isBuffer(v)) return JSON.stringify(v);
  return String(v);
}

function sameStatement(a, b) {
  if (a.text !== b.text || a.values.length !== b.values.length) return false;
  return JSON.stringify(a.values.map(pgText)) === JSON.stringify(b.values.map(pgText));
}

/** One row as one canonical text: its values, columns in order, as JSON (column names are
 * not compared: a legacy builder may name its column `result` where the native one writes
 * `data`). */
function rowText(row) {
  const values = row !== null && typeof row === 'object' ? Object.values(row) : [row];
  return JSON.stringify(values, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

function statementText(s) {
  return `${JSON.stringify(s.text)} ${JSON.stringify((s.values || []).map(pgText))}`;
}

/** A shadow statement ran past `shadow.timeoutMs`. */
class ShadowTimeoutError extends Error {}

/** Out of time: the shim's budget, or the server's statement_timeout (SQLSTATE 57014). */
function isTimeout(err) {
  return err instanceof ShadowTimeoutError || (err !== null && typeof err === 'object' && err.code === '57014');
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new ShadowTimeoutError(`shadow execution exceeded ${ms} ms`)), ms);
    if (timer.unref) timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const now = () => performance.now();
const elapsedNs = (t0) => Math.max(0, Math.round((performance.now() - t0) * 1e6));

/** The default logger: debug lines on the console (only ever asked for when log mode is
 * on), configuration warnings as process warnings (`FRAISEQL_QB_CONFIG`). */
const defaultLogger = Object.freeze({
  debug(msg) {
    console.debug(msg);
  },
  warn(msg) {
    process.emitWarning(msg, { code: 'FRAISEQL_QB_CONFIG' });
  },
});

/**
 * A shadow executor over a node-postgres Pool (or anything with `connect()`): each
 * statement runs in a READ ONLY transaction with `statement_timeout`, then rolls back.
 */
function pgShadowExecutor(pool, { statementTimeoutMs = 2000 } = {}) {
  const timeout = nonNegativeInt(statementTimeoutMs, 'statementTimeoutMs');
  return async (statement) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${timeout}`);
      const res = await client.query(statement);
      return res.rows;
    } finally {
      try {
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    }
  };
}

// ---- the shim ------------------------------------------------------------------------

const SETTINGS = [
  'useNative',
  'percentage',
  'logMode',
  'fallback',
  'killSwitch',
  'sticky',
  'shadowPercentage',
  'shadowKeepLast',
  'tripBack',
];

const OPTIONS = new Set([
  ...SETTINGS,
  'placeholder',
  'adaptLegacy',
  'comparator',
  'shadow',
  'onMetrics',
  'logger',
  'env',
  'engine',
]);

/** Settings (camelCase options) -> the canonical override object of the engine. */
function overridesFrom(s, previous) {
  const o = {};
  const flag = (name, key) => {
    if (s[name] !== undefined && s[name] !== null) o[key] = Boolean(s[name]);
  };
  flag('useNative', 'use_native');
  flag('logMode', 'log_mode');
  flag('fallback', 'fallback');
  flag('killSwitch', 'kill_switch');
  flag('sticky', 'sticky');
  if (s.percentage !== undefined && s.percentage !== null) {
    o.percentage_bp = percentageBp(s.percentage);
  }
  if (s.shadowPercentage != null || s.shadowKeepLast != null) {
    const shadow = { ...((previous && previous.shadow) || {}) };
    if (s.shadowPercentage != null) shadow.percentage_bp = percentageBp(s.shadowPercentage, 'shadowPercentage');
    if (s.shadowKeepLast != null) shadow.keep_last = nonNegativeInt(s.shadowKeepLast, 'shadowKeepLast');
    o.shadow = shadow;
  }
  if (s.tripBack !== undefined && s.tripBack !== null) {
    const t = typeof s.tripBack === 'object' ? s.tripBack : { enabled: Boolean(s.tripBack) };
    const trip = { enabled: t.enabled === undefined ? true : Boolean(t.enabled) };
    if (t.windowMs != null) trip.window_ms = nonNegativeInt(t.windowMs, 'tripBack.windowMs');
    if (t.minCalls != null) trip.min_calls = nonNegativeInt(t.minCalls, 'tripBack.minCalls');
    if (t.threshold != null) trip.threshold_bp = percentageBp(t.threshold, 'tripBack.threshold');
    if (t.coolDownMs != null) trip.cool_down_ms = nonNegativeInt(t.coolDownMs, 'tripBack.coolDownMs');
    if (t.probeSuccesses != null) trip.probe_successes = nonNegativeInt(t.probeSuccesses, 'tripBack.probeSuccesses');
    o.trip = trip;
  }
  return o;
}

class RolloutQueryBuilder {
  #h;
  #legacy;
  #schema;
  #schemaHandle;
  #placeholder;
  #placeholderCode;
  #adapt;
  #comparator;
  #shadow;
  #onMetrics;
  #logger;
  #env;
  #overrides = {};
  #canFallBack = true;
  #logMode = false;
  #quiet = true;
  #placeholderChecked = false;
  #inFlight = new Set();
  /** Warnings of the last configuration (malformed environment values). */
  warnings = [];

  /**
   * @param legacy the application's builder: `(query) => statement`, or null (every call native)
   * @param schema a `Schema` (or a registry object / JSON text, validated once here)
   * @param options see index.d.ts (`RolloutOptions`)
   */
  constructor(legacy, schema, options = {}) {
    if (legacy !== null && legacy !== undefined && typeof legacy !== 'function') {
      throw new TypeError('legacy must be a function (query) => statement, or null');
    }
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    for (const k of Object.keys(options)) {
      if (!OPTIONS.has(k)) throw new RangeError(`unknown RolloutQueryBuilder option \`${k}\``);
    }
    this.#schema = Schema.isSchema(schema) ? schema : new Schema(schema);
    this.#schemaHandle = Schema.handle(this.#schema);
    const placeholder = options.placeholder === undefined ? 'numbered' : options.placeholder;
    if (!(placeholder in PLACEHOLDERS)) {
      throw new RangeError(`placeholder must be "numbered" or "format", got ${String(placeholder)}`);
    }
    this.#placeholder = placeholder;
    this.#placeholderCode = PLACEHOLDERS[placeholder];
    this.#legacy = legacy || null;
    for (const [name, fn] of [
      ['adaptLegacy', options.adaptLegacy],
      ['comparator', options.comparator],
      ['onMetrics', options.onMetrics],
    ]) {
      if (fn !== undefined && fn !== null && typeof fn !== 'function') {
        throw new TypeError(`${name} must be a function`);
      }
    }
    this.#adapt = options.adaptLegacy || null;
    this.#comparator = options.comparator || null;
    this.#onMetrics = options.onMetrics || null;
    this.#logger = options.logger || defaultLogger;
    this.#env = options.env || null;
    this.#shadow = this.#shadowOptions(options.shadow);
    this.#h = options.engine || native.rolloutNew(null, null);
    native.rolloutSet(this.#h, 'legacy_registered', this.#legacy !== null);
    this.configure(Object.fromEntries(SETTINGS.map((k) => [k, options[k]])));
  }

  #shadowOptions(s) {
    const o = { mode: 'text', executor: null, timeoutMs: 5000, maxInFlight: 4 };
    if (s === undefined || s === null) return o;
    if (typeof s !== 'object') throw new TypeError('shadow must be an object');
    if (s.executor != null && typeof s.executor !== 'function') throw new TypeError('shadow.executor must be a function');
    o.executor = s.executor || null;
    o.mode = s.mode || (o.executor ? 'rows' : 'text');
    if (o.mode !== 'text' && o.mode !== 'rows') throw new RangeError('shadow.mode must be "text" or "rows"');
    if (o.mode === 'rows' && !o.executor) throw new TypeError('shadow.mode "rows" needs shadow.executor');
    if (s.timeoutMs != null) o.timeoutMs = nonNegativeInt(s.timeoutMs, 'shadow.timeoutMs');
    if (s.maxInFlight != null) o.maxInFlight = nonNegativeInt(s.maxInFlight, 'shadow.maxInFlight');
    return o;
  }

  // -- configuration -------------------------------------------------------------------

  /** Change settings at runtime (no restart); `undefined` leaves a setting as it is. The
   * environment is re-read too, as on `reload()`. */
  configure(settings = {}) {
    for (const k of Object.keys(settings)) {
      if (!SETTINGS.includes(k)) throw new RangeError(`unknown setting \`${k}\``);
    }
    const next = overridesFrom(settings, this.#overrides);
    this.#overrides = { ...this.#overrides, ...next };
    this.reload();
  }

  /** Re-read the environment, re-apply the settings, warn once per malformed variable.
   * Counters are kept. */
  reload() {
    const pairs = envPairs(this.#env);
    const overrides = { ...this.#overrides };
    if (overrides.shadow) {
      // The engine replaces the whole shadow sub-config: keep the environment's value for
      // a shadow setting that was not given.
      const [fromEnv] = native.resolveConfig(pairs, null);
      overrides.shadow = { ...fromEnv.shadow, ...overrides.shadow };
    }
    const [config, warnings] = native.resolveConfig(pairs, overrides);
    native.rolloutApply(this.#h, config);
    this.#logMode = config.log_mode;
    this.#canFallBack = config.fallback && this.#legacy !== null;
    this.#quiet = !this.#logMode && this.#onMetrics === null;
    this.warnings = warnings;
    for (const w of warnings) {
      try {
        this.#logger.warn(w.message);
      } catch {
        // a logger never fails the shim
      }
    }
  }

  /** The configuration in force (canonical: percentages in basis points). */
  get config() {
    return native.rolloutConfig(this.#h);
  }

  get schema() {
    return this.#schema;
  }

  get placeholder() {
    return this.#placeholder;
  }

  get nativeAvailable() {
    return native.rolloutState(this.#h).nativeAvailable;
  }

  /** Mark the native compiler (un)usable: when not, every call is legacy. */
  setNativeAvailable(available) {
    native.rolloutSet(this.#h, 'native_available', Boolean(available));
  }

  /** `closed`, `open` or `half_open`. */
  get tripState() {
    return native.rolloutState(this.#h).tripState;
  }

  // -- the call ------------------------------------------------------------------------

  /**
   * Build `query` with the builder the rollout picks. `key` (tenant, user, request id, or a
   * shape hash) makes the choice sticky when sticky routing is on. Returns `{ text, values }`
   * for `client.query`. A legacy builder's exception propagates unchanged; a native error is
   * thrown only when fallback is off or no legacy is registered.
   */
  build(query, options) {
    const key = options === undefined || options === null ? undefined : options.key;
    const r = native.rolloutRoute(this.#h, key);
    if (r & 2) {
      let out;
      try {
        if (typeof query === 'object' && query !== null) {
          const e = encode(query);
          out = native.rolloutCompile(this.#h, e.w, e.text, e.refs, this.#schemaHandle, this.#placeholderCode, this.#canFallBack);
        } else {
          out = native.rolloutCompile(this.#h, null, query, null, this.#schemaHandle, this.#placeholderCode, this.#canFallBack);
        }
      } catch (err) {
        // The engine recorded the native failure (with fell_back = canFallBack).
        if (!(err instanceof QueryBuilderError) || !this.#canFallBack) throw err;
        return this.#fallBack(query, err);
      }
      const result = typeof out === 'string' ? unpack(out) : out;
      if (this.#quiet) return result;
      this.#after(query, true, REASONS[r >> 2], false, 0);
      return result;
    }
    const reason = REASONS[r >> 2];
    if (reason === 'native_unavailable' && this.#legacy === null) {
      throw new NoBuilderAvailableError(
        'fraiseql rollout: the native compiler is unavailable and no legacy builder is registered',
      );
    }
    const t0 = now();
    const result = this.#callLegacy(query, t0);
    const ns = elapsedNs(t0);
    native.rolloutRecord(this.#h, 'legacy_ok', ns);
    if (r & 1) this.#runShadow(query, result);
    if (!this.#quiet) this.#after(query, false, reason, false, ns);
    return result;
  }

  #fallBack(query, err) {
    if (this.#logMode) this.#log(native.logLine('fallback', viewOf(query), displayOf(err)));
    const t0 = now();
    const result = this.#callLegacy(query, t0);
    const ns = elapsedNs(t0);
    native.rolloutRecord(this.#h, 'legacy_ok', ns);
    if (!this.#quiet) this.#after(query, false, native.rolloutLastReason(this.#h), true, ns);
    return result;
  }

  /** Calls the legacy builder and checks what it returned; a failure is recorded as a
   * legacy error and thrown unchanged. */
  #callLegacy(query, t0) {
    try {
      const raw = this.#legacy(query);
      const out = normalizeLegacy(this.#adapt ? this.#adapt(raw) : raw);
      if (!this.#placeholderChecked) this.#checkPlaceholder(out);
      return out;
    } catch (err) {
      native.rolloutRecord(this.#h, 'legacy_err', elapsedNs(t0));
      throw err;
    }
  }

  /** qb-rollout's check of the legacy statement against the shim's style, until one
   * statement shows its style (a statement without placeholders or values does not). */
  #checkPlaceholder(out) {
    const [status, message] = native.checkPlaceholders(out.text, out.values.length, this.#placeholderCode);
    if (status === 'consistent') {
      this.#placeholderChecked = true;
    } else if (status === 'mismatch') {
      throw new PlaceholderMismatchError(
        `fraiseql rollout: ${message} (this shim: placeholder "${this.#placeholder}"; a builder ` +
          'writing `?` placeholders needs adaptLegacy, e.g. legacyAdapters.knex). ' +
          `Statement: ${out.text.slice(0, 200)}`,
      );
    }
  }

  #after(query, servedNative, reason, fellBack, ns) {
    if (this.#logMode) this.#log(native.logLine('served', viewOf(query), servedNative, reason));
    if (this.#onMetrics !== null) {
      try {
        this.#onMetrics({
          view: viewOf(query),
          servedBy: servedNative ? 'rust' : 'python',
          reason,
          fallback: fellBack,
          durationNs: ns,
        });
      } catch {
        // a metrics hook never fails the call
      }
    }
  }

  #log(line) {
    try {
      this.#logger.debug(line);
    } catch {
      // a logger never fails the call
    }
  }

  // -- shadow --------------------------------------------------------------------------

  #runShadow(query, legacy) {
    let view = '?';
    try {
      view = viewOf(query);
      let nat;
      try {
        nat = compile(query, this.#schema, { placeholder: this.#placeholder });
      } catch (err) {
        native.rolloutRecordShadow(
          this.#h,
          'native_error',
          view,
          `query=${describe(query)} native_error=${err instanceof QueryBuilderError ? displayOf(err) : err}`,
        );
        return;
      }
      if (this.#shadow.mode === 'rows') {
        if (this.#inFlight.size >= this.#shadow.maxInFlight) return; // budget: skip this sample
        const p = this.#compareRows(query, view, legacy, nat);
        this.#inFlight.add(p);
        p.finally(() => this.#inFlight.delete(p));
        return;
      }
      let same;
      try {
        same = this.#comparator ? Boolean(this.#comparator(legacy, nat)) : sameStatement(legacy, nat);
      } catch {
        native.rolloutRecordShadow(this.#h, 'comparator_error', view, '');
        return;
      }
      if (same) native.rolloutRecordShadow(this.#h, 'match', view, '');
      else {
        native.rolloutRecordShadow(
          this.#h,
          'mismatch',
          view,
          `query=${describe(query)} legacy=${statementText(legacy)} native=${statementText(nat)}`,
        );
      }
    } catch {
      try {
        native.rolloutRecordShadow(this.#h, 'comparator_error', view, '');
      } catch {
        // never fails the call
      }
    }
  }

  /** Runs both statements through the executor (never awaited by `build`) and compares
   * the rows: as ordered lists when the query orders, as multisets otherwise. */
  async #compareRows(query, view, legacy, nat) {
    const record = (result, input) => {
      try {
        native.rolloutRecordShadow(this.#h, result, view, input);
      } catch {
        // never fails
      }
    };
    try {
      const run = (s) => withTimeout(Promise.resolve().then(() => this.#shadow.executor(s)), this.#shadow.timeoutMs);
      const [l, n] = await Promise.allSettled([run(legacy), run(nat)]);
      if (l.status === 'rejected') return record('comparator_error', '');
      const head = `query=${describe(query)} legacy=${statementText(legacy)} native=${statementText(nat)}`;
      if (n.status === 'rejected') {
        // Out of time is no verdict on the native statement; the database refusing it is.
        if (isTimeout(n.reason)) return record('comparator_error', '');
        return record('native_error', `${head} native_error=${n.reason}`);
      }
      if (!Array.isArray(l.value) || !Array.isArray(n.value)) return record('comparator_error', '');
      const lt = l.value.map(rowText);
      const nt = n.value.map(rowText);
      const d = native.compareRows(lt, nt, ordersRows(query));
      if (d === null) return record('match', '');
      const lr = d.legacyRow === null ? '(none)' : lt[d.legacyRow];
      const nr = d.nativeRow === null ? '(none)' : nt[d.nativeRow];
      return record(
        'mismatch',
        `${head} rows=${lt.length}/${nt.length} ${ordersRows(query) ? 'ordered' : 'multiset'} ` +
          `first difference at ${d.position}: legacy=${lr} native=${nr}`,
      );
    } catch {
      return record('comparator_error', '');
    }
  }

  /** Resolves when every shadow execution started so far has finished (tests, shutdown). */
  async shadowIdle() {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  // -- metrics -------------------------------------------------------------------------

  /** This shim's metrics: the seed's nine keys, then the extras (docs/rollout.md). */
  metrics() {
    return native.rolloutMetrics(this.#h, 'snapshot');
  }

  /** This shim's metrics in Prometheus text format 0.0.4. */
  prometheusText() {
    return native.rolloutMetrics(this.#h, 'text');
  }

  /** The last `shadowKeepLast` mismatching inputs, oldest first. */
  shadowMismatches() {
    return native.rolloutShadowMismatches(this.#h);
  }

  /** Zero this shim's counters (the process-wide totals keep counting). */
  resetMetrics() {
    native.rolloutResetMetrics(this.#h);
  }

  /** @internal the engine handle (prometheus.js reads it). */
  get _engine() {
    return this.#h;
  }
}

/** Process-wide metrics (every shim of the process, workers included): exactly the seed's
 * nine keys, or all sixteen keys of docs/rollout.md with `{ extended: true }`. */
function getQueryBuilderMetrics({ extended = false } = {}) {
  const snap = native.rolloutMetrics(null, 'snapshot');
  if (extended) return snap;
  const out = {};
  for (const k of SEED_KEYS) out[k] = snap[k];
  return out;
}

/** Process-wide metrics in Prometheus text format 0.0.4. */
function getPrometheusText() {
  return native.rolloutMetrics(null, 'text');
}

module.exports = {
  RolloutQueryBuilder,
  getQueryBuilderMetrics,
  getPrometheusText,
  configFromEnv,
  legacyAdapters,
  pgShadowExecutor,
  normalizeLegacy,
  percentageBp,
  ENV_VARS,
  SEED_KEYS,
};
