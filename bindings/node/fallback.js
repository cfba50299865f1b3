'use strict';
// The legacy-only stand-in for the native addon, used by loader.js when the addon cannot be
// loaded (no binary for this platform, a broken install) or FRAISEQL_QB_DISABLE_NATIVE=1.
//
// docs/rollout.md section 2, rule 1 "on its own": qb-rollout lives in the addon, so without
// it this module behaves as an engine on which `set_native_available(false)` was called and
// nothing else can happen: every decision is legacy (reason `native_unavailable`), counters
// exist for the legacy (`python`) side only, `fraiseql_rust_query_builder_available` is 0.
// `compile` and everything else that needs the core throws a NativeUnavailableError.
//
// It has the addon's surface (the same function names, taking and returning the same
// shapes), so index.js, rollout.js and prometheus.js run unchanged on it. Its tables (env
// variables, seed keys, reasons, default config, the nine Prometheus families, the duration
// buckets) are engine-tables.json, generated from the addon's rolloutMeta() and checked
// against it by test/degraded.test.js; that test also runs the rollout vectors that apply
// to an engine without a native compiler against this module. No SQL knowledge, no routing
// beyond rule 1.
const TABLES = require('./engine-tables.json');
const { NativeUnavailableError } = require('./errors');

const REASON = 'native_unavailable';
const REASON_INDEX = TABLES.reasons.indexOf(REASON);
const BUCKETS = TABLES.durationBuckets; // [[upper bound ns, le label]], inclusive bounds

/** The reason the addon could not be loaded (set by loader.js). */
let loadError = null;

function unavailable(what) {
  return new NativeUnavailableError(
    `fraiseql-qb: ${what} needs the native addon, which could not be loaded` +
      (loadError ? `: ${firstLine(loadError)}` : ''),
    loadError,
  );
}

function firstLine(err) {
  const m = err && err.message !== undefined ? err.message : String(err);
  return m.split('\n')[0];
}

// ---- configuration: only log_mode has an effect when every call is legacy ----------------

const TRUE = new Set(['true', '1', 'yes', 'on']);

function clone(config) {
  return { ...config, shadow: { ...config.shadow }, trip: { ...config.trip } };
}

/** `overrides` (canonical keys, as the addon takes them) over `base`. */
function withOverrides(base, overrides) {
  const c = clone(base);
  if (overrides === null || overrides === undefined) return c;
  if (typeof overrides !== 'object') throw new TypeError('a config must be an object');
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined || v === null || !(k in c)) continue;
    if (k === 'shadow' || k === 'trip') Object.assign(c[k], v);
    else c[k] = v;
  }
  return c;
}

/** `[config, warnings]`: the defaults, `log_mode` from FRAISEQL_LOG_QUERY_BUILDER_MODE, then
 * the overrides. The other variables cannot change a legacy-only route and are not parsed
 * (so a malformed one does not warn here). */
function resolveConfig(pairs, overrides) {
  if (!Array.isArray(pairs)) throw new TypeError('resolveConfig(pairs): pairs must be an array');
  const config = clone(TABLES.defaults);
  for (const [name, value] of pairs) {
    if (name === 'FRAISEQL_LOG_QUERY_BUILDER_MODE') {
      config.log_mode = TRUE.has(String(value).trim().toLowerCase());
    }
  }
  return [withOverrides(config, overrides), []];
}

// ---- metrics -----------------------------------------------------------------------------

class Counters {
  constructor() {
    this.reset();
  }

  reset() {
    this.calls = 0;
    this.errors = 0;
    this.sumNs = 0;
    this.buckets = new Array(BUCKETS.length + 1).fill(0); // the last one: above every bound
  }

  record(ns, error) {
    this.calls += 1;
    if (error) this.errors += 1;
    this.sumNs += ns;
    let i = BUCKETS.findIndex(([le]) => ns <= le);
    if (i < 0) i = BUCKETS.length;
    this.buckets[i] += 1;
  }

  snapshot() {
    return {
      rust_calls: 0,
      python_calls: this.calls,
      rust_errors: 0,
      rust_fallbacks: 0,
      total_calls: this.calls,
      rust_percentage: 0,
      rust_error_rate: 0,
      avg_rust_time_ms: 0,
      avg_python_time_ms: this.calls === 0 ? 0 : this.sumNs / this.calls / 1e6,
      python_errors: this.errors,
      shadow_runs: 0,
      shadow_mismatches: 0,
      shadow_errors: 0,
      trip_state: 'closed',
      trips_total: 0,
      native_available: false,
    };
  }

  /** The families as prom-client metric data, in the addon's shape. */
  families() {
    const legacy = { calls: this.calls, errors: this.errors, sumNs: this.sumNs, buckets: this.buckets };
    const none = { calls: 0, errors: 0, sumNs: 0, buckets: this.buckets.map(() => 0) };
    const perBuilder = (key) => [
      { value: none[key], labels: { builder_type: 'rust' } },
      { value: legacy[key], labels: { builder_type: 'python' } },
    ];
    const histograms = (name) => {
      const out = [];
      for (const [bt, h] of [
        ['rust', none],
        ['python', legacy],
      ]) {
        let acc = 0;
        BUCKETS.forEach(([, le], i) => {
          acc += h.buckets[i];
          out.push({ value: acc, labels: { builder_type: bt, le }, metricName: `${name}_bucket` });
        });
        out.push({ value: h.calls, labels: { builder_type: bt, le: '+Inf' }, metricName: `${name}_bucket` });
        out.push({ value: h.sumNs / 1e9, labels: { builder_type: bt }, metricName: `${name}_sum` });
        out.push({ value: h.calls, labels: { builder_type: bt }, metricName: `${name}_count` });
      }
      return out;
    };
    // Every other family is 0 without a native compiler: fallbacks, mode (legacy served),
    // availability, shadow mismatches, trip state (closed) and trips.
    const samples = {
      fraiseql_query_builder_calls_total: () => perBuilder('calls'),
      fraiseql_query_builder_errors_total: () => perBuilder('errors'),
      fraiseql_query_build_duration_seconds: () => histograms('fraiseql_query_build_duration_seconds'),
    };
    return TABLES.families.map((f) => ({
      name: f.name,
      help: f.help,
      type: f.type,
      values: samples[f.name] ? samples[f.name]() : [{ value: 0, labels: {} }],
      byBuilderType: f.byBuilderType,
    }));
  }

  /** Prometheus text format 0.0.4, written as the engine writes it. */
  text() {
    let out = '';
    for (const f of this.families()) {
      out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
      for (const s of f.values) {
        const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`);
        out += `${s.metricName || f.name}${labels.length ? `{${labels.join(',')}}` : ''} ${rustNumber(s.value)}\n`;
      }
    }
    return out;
  }
}

/** A number as Rust's `{}` writes an f64: positional notation, no `.0` on whole numbers. */
function rustNumber(x) {
  if (Number.isInteger(x)) return Math.abs(x) < 1e21 ? String(x) : BigInt(x).toString();
  const s = String(x);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = '', e] = m;
  const digits = lead + frac;
  const point = 1 + Number(e); // position of the decimal point within `digits`
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const GLOBAL = new Counters();

// ---- the engine handle -------------------------------------------------------------------

class Engine {
  constructor(config) {
    this.config = withOverrides(TABLES.defaults, config);
    this.counters = new Counters();
    this.legacyRegistered = true;
  }
}

function handle(h) {
  if (!(h instanceof Engine)) throw new TypeError('expected a rollout engine handle');
  return h;
}

function durationNs(v) {
  if (typeof v !== 'number') throw new TypeError('a duration must be a number of nanoseconds');
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

function str(v, what) {
  if (typeof v !== 'string') throw new TypeError(`${what} must be a string`);
  return v;
}

/** The engine's quoting of a view name in log lines (qb-rollout `config::quote`). */
function quote(s) {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0);
    if (c === '\\') out += '\\\\';
    else if (c === '"') out += '\\"';
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `\\u{${cp.toString(16)}}`;
    else out += c;
  }
  return `${out}"`;
}

const standIn = {
  init() {},
  /** Nothing can validate a registry without the core: `[handle, view keys]`, the keys read
   * from the document if it has them. */
  schemaNew(registry) {
    let views = [];
    try {
      const r = typeof registry === 'string' ? JSON.parse(registry) : registry;
      const v = r && typeof r === 'object' ? r.views : null;
      if (v && typeof v === 'object') views = Object.keys(v);
    } catch {
      views = [];
    }
    return [Object.freeze({}), views];
  },
  schemaCacheStats() {
    throw unavailable('Schema.cacheStats');
  },
  schemaPrepare() {
    throw unavailable('Schema.prepare');
  },
  preparedBindEncoded() {
    throw unavailable('Prepared.bindValues');
  },
  preparedCompile() {
    throw unavailable('Prepared.bind');
  },
  preparedCompileEncoded() {
    throw unavailable('Prepared.bind');
  },
  compile() {
    throw unavailable('compile');
  },
  compileEncoded() {
    throw unavailable('compile');
  },
  compileText() {
    throw unavailable('compile');
  },
  toJson() {
    throw unavailable('toJson');
  },
  encodeCursor() {
    throw unavailable('encodeCursor');
  },
  meta() {
    throw unavailable('meta');
  },
  panicForTest() {
    throw unavailable('panicForTest');
  },
  graphqlSchemaNew() {
    throw unavailable('graphql.compile');
  },
  graphqlCompile() {
    throw unavailable('graphql.compile');
  },
  graphqlCacheStats() {
    throw unavailable('Schema.graphqlCacheStats');
  },
  graphqlConnectionAssemble() {
    throw unavailable('graphql.RootField.assembleConnection');
  },
  graphqlNestedFinish() {
    throw unavailable('graphql.RootField.finish');
  },
  rolloutNew(config) {
    return new Engine(config);
  },
  rolloutApply(h, config) {
    handle(h).config = withOverrides(TABLES.defaults, config);
  },
  rolloutConfig(h) {
    return clone(handle(h).config);
  },
  rolloutDecide(h, key) {
    handle(h);
    if (key !== undefined && key !== null) str(key, 'the sticky key');
    return [false, false, REASON, false, null];
  },
  /** Always legacy: `reason index * 4 + native * 2 + shadow` with the reason
   * `native_unavailable`. */
  rolloutRoute(h, key) {
    handle(h);
    if (key !== undefined && key !== null) str(key, 'the sticky key');
    return REASON_INDEX * 4;
  },
  /** Never called: no call is routed native. */
  rolloutCompile(h) {
    handle(h);
    throw unavailable('compile');
  },
  rolloutLastReason(h) {
    handle(h);
    return REASON;
  },
  rolloutRecord(h, event, ns) {
    const e = handle(h);
    const d = durationNs(ns);
    switch (str(event, 'event')) {
      case 'legacy_ok':
      case 'legacy_err':
        e.counters.record(d, event === 'legacy_err');
        GLOBAL.record(d, event === 'legacy_err');
        return undefined;
      case 'native_ok':
      case 'native_err':
        throw unavailable('recording a native call');
      default:
        throw new RangeError(`unknown event \`${event}\``);
    }
  },
  /** Never called: nothing is shadowed without a native compiler. */
  rolloutRecordShadow(h) {
    handle(h);
  },
  rolloutShadowMismatches(h) {
    handle(h);
    return [];
  },
  rolloutSet(h, what, value) {
    const e = handle(h);
    if (typeof value !== 'boolean') throw new TypeError('expected a boolean');
    if (str(what, 'setting') === 'legacy_registered') e.legacyRegistered = value;
    else if (what !== 'native_available') throw new RangeError(`unknown setting \`${what}\``);
    // native_available stays false: there is no native compiler to make available.
  },
  rolloutState(h) {
    const e = handle(h);
    return { legacyRegistered: e.legacyRegistered, nativeAvailable: false, tripState: 'closed' };
  },
  rolloutMetrics(h, what) {
    const c = h === null || h === undefined ? GLOBAL : handle(h).counters;
    switch (str(what, 'what')) {
      case 'snapshot':
        return c.snapshot();
      case 'text':
        return c.text();
      case 'families':
        return c.families();
      default:
        throw new RangeError(`unknown metrics view \`${what}\``);
    }
  },
  rolloutResetMetrics(h) {
    handle(h).counters.reset();
  },
  rolloutAdvanceMs(h) {
    handle(h);
    throw new RangeError('this engine has no manual clock');
  },
  rolloutSamplesDrawn(h) {
    handle(h);
    throw new RangeError('this engine has no counting sampler');
  },
  resolveConfig,
  rolloutMeta() {
    const { about: _about, ...meta } = TABLES;
    return JSON.parse(JSON.stringify(meta));
  },
  logLine(kind, view, a, b) {
    const v = quote(str(view, 'view'));
    switch (str(kind, 'kind')) {
      case 'served':
        if (typeof a !== 'boolean') throw new TypeError('expected a boolean');
        if (!TABLES.reasons.includes(str(b, 'reason'))) throw new RangeError(`unknown reason \`${b}\``);
        return `fraiseql query builder: view ${v} served by ${a ? 'rust' : 'python'} (reason=${b})`;
      case 'fallback':
        return `fraiseql query builder: view ${v} native build failed, served by python (fallback): ${str(a, 'error')}`;
      default:
        throw new RangeError(`unknown log line \`${kind}\``);
    }
  },
  /** `[FNV-1a 64 of the key's UTF-8 as 16 hex digits, bucket]`, as the engine hashes. */
  stickyBucket(key) {
    let h = 0xcbf29ce484222325n;
    for (const byte of Buffer.from(str(key, 'key'), 'utf8')) {
      h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    return [h.toString(16).padStart(16, '0'), Number(h % 10000n)];
  },
  /** Without the native compiler every call is legacy: there is no second route whose
   * placeholder style could differ, so nothing is checked (`inconclusive`, as for a statement
   * that shows no style), as Python's stand-in does. */
  checkPlaceholders(text, paramCount) {
    str(text, 'the statement');
    if (!Number.isInteger(paramCount) || paramCount < 0) {
      throw new RangeError(`the parameter count must be a non-negative integer, got ${paramCount}`);
    }
    return ['inconclusive', null];
  },
  /** Only shadow mode compares rows, and nothing is shadowed without a native compiler. */
  compareRows() {
    throw unavailable('compareRows');
  },
};

/** The stand-in, remembering why the addon could not be loaded. */
function standInFor(err) {
  loadError = err;
  return standIn;
}

module.exports = { standInFor, rustNumber };
