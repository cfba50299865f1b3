'use strict';
// Shared by the test files: the repository's golden corpus, the fixture schema, the test
// database, and a lossless JSON reader (JS numbers cannot hold every corpus number).
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const GOLDEN = path.join(REPO, 'tests', 'golden');
const VECTORS = path.join(REPO, 'tests', 'rollout', 'vectors.json');
const SCHEMA_TEXT = fs.readFileSync(path.join(GOLDEN, 'schema.json'), 'utf8');
const WORKLOADS = JSON.parse(fs.readFileSync(path.join(REPO, 'tests', 'bench', 'workloads.json'), 'utf8'));

/** A JSON number kept as its literal text. */
class Num {
  constructor(text) {
    this.text = text;
  }
}

/** JSON.parse that keeps numbers as `Num` (their exact text) and object key order. */
function losslessParse(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        const k = string();
        ws();
        i++; // :
        out[k] = value();
        ws();
        if (text[i++] === '}') return out;
      }
    }
    if (c === '[') {
      i++;
      const out = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        if (text[i++] === ']') return out;
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) throw new SyntaxError(`bad JSON at ${i}`);
    i += m[0].length;
    return new Num(m[0]);
  };
  const string = () => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const v = value();
  return v;
}

/**
 * A lossless value as a JS value the binding reads exactly: numbers whose JS text is their
 * literal as numbers, other integer literals as BigInt. Returns undefined when a number has
 * no exact JS form (e.g. 12345678901234567890.123): such cases go through JSON text.
 */
function toJs(v) {
  if (v instanceof Num) {
    if (String(Number(v.text)) === v.text) return Number(v.text);
    if (/^-?\d+$/.test(v.text)) return BigInt(v.text);
    return undefined;
  }
  if (Array.isArray(v)) {
    const out = [];
    for (const x of v) {
      const y = toJs(x);
      if (y === undefined) return undefined;
      out.push(y);
    }
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      const y = toJs(x);
      if (y === undefined) return undefined;
      out[k] = y;
    }
    return out;
  }
  return v;
}

/** The text of a lossless value (for expectations). */
function textOf(v) {
  return v instanceof Num ? v.text : v;
}

const EXPECTATIONS = ['.params.json', '.rows.json', '.error.json'];

function loadCases() {
  const dir = path.join(GOLDEN, 'cases');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !EXPECTATIONS.some((e) => f.endsWith(e)))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.json'.length);
      const raw = fs.readFileSync(path.join(dir, f), 'utf8');
      const spec = losslessParse(raw);
      const file = (ext) => path.join(dir, `${name}.${ext}`);
      const read = (ext) => (fs.existsSync(file(ext)) ? fs.readFileSync(file(ext), 'utf8') : null);
      return {
        name,
        spec,
        raw,
        // The query as a JS object (undefined when a number has no exact JS form).
        query: toJs(spec.query),
        // The query as JSON text, exactly as written (the core parses it).
        queryJson: extractQueryText(raw),
        placeholder: spec.placeholder || 'numbered',
        execute: spec.execute === undefined ? true : spec.execute,
        inlineSchema: spec.schema === undefined ? null : toJs(spec.schema),
        ordered: Boolean(spec.query && spec.query.order_by && spec.query.order_by.length),
        sql: read('sql'),
        params: read('params.json'),
        rows: read('rows.json'),
        error: read('error.json'),
      };
    });
}

/** The `query` member of a case file as written (its exact text). */
function extractQueryText(raw) {
  const start = raw.indexOf('"query"');
  let i = raw.indexOf(':', start) + 1;
  while (' \n\t\r'.includes(raw[i])) i++;
  const open = raw[i];
  if (open !== '{' && open !== '[') {
    const m = /^("(?:[^"\\]|\\.)*"|[^,}\n]+)/.exec(raw.slice(i));
    return m[0].trim();
  }
  let depth = 0;
  let inStr = false;
  for (let j = i; j < raw.length; j++) {
    const c = raw[j];
    if (inStr) {
      if (c === '\\') j++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return raw.slice(i, j + 1);
    }
  }
  throw new Error('unterminated query');
}

function pgUrl() {
  const url = process.env.FQB_PG_URL;
  if (!url) {
    throw new Error(
      'FQB_PG_URL is not set: start the test database with `scripts/pg.sh start && eval "$(scripts/pg.sh env)"` (database tests never skip)',
    );
  }
  return url;
}

/** The Rust harness's wrapper: rows as one JSON array (column name -> value). */
function jsonWrap(sql) {
  return `SELECT coalesce(json_agg(q), '[]'::json)::text AS rows FROM (${sql}\n) AS q`;
}

/** Canonical JSON text with sorted keys (numbers as their text). */
function canonical(v) {
  if (v instanceof Num) return v.text;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Equal JSON; numbers equal by text or within 1e-12 relative (float text may differ by an ulp). */
function sameJson(a, b) {
  if (a instanceof Num || b instanceof Num) {
    if (!(a instanceof Num && b instanceof Num)) return false;
    if (a.text === b.text) return true;
    const x = Number(a.text);
    const y = Number(b.text);
    return Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(y));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
  }
  return a === b;
}

function canonicalRows(rows, ordered) {
  return ordered ? rows : [...rows].sort((x, y) => (canonical(x) < canonical(y) ? -1 : canonical(x) > canonical(y) ? 1 : 0));
}

// ---- shim helpers ----------------------------------------------------------------------

const GOOD = { view: 'v_user', select: ['id'], where: { age: { gte: 41 } } };
const BAD = { view: 'v_user', select: ['id'], where: { emial: { eq: 'x' } } };
const LEGACY_SQL = 'SELECT legacy WHERE x = $1';
const legacy = () => ({ text: LEGACY_SQL, values: [1] });

/** A logger that records what it is given. */
function recordingLogger() {
  const lines = { debug: [], warn: [] };
  return {
    lines,
    debug: (m) => lines.debug.push(m),
    warn: (m) => lines.warn.push(m),
  };
}

/** The `data` column of each row of `query` compiled against `schema`, run by `pg` on the
 * test database (one connection per call). */
async function dataRows(query, schema) {
  const { Client } = require('pg');
  const fqb = require('..');
  const client = new Client({ connectionString: pgUrl() });
  await client.connect();
  try {
    const res = await client.query(fqb.compile(query, schema));
    return res.rows.map((r) => r.data);
  } finally {
    await client.end();
  }
}

module.exports = {
  dataRows,
  REPO,
  GOLDEN,
  VECTORS,
  SCHEMA_TEXT,
  WORKLOADS,
  Num,
  losslessParse,
  toJs,
  textOf,
  loadCases,
  pgUrl,
  jsonWrap,
  canonical,
  sameJson,
  canonicalRows,
  GOOD,
  BAD,
  LEGACY_SQL,
  legacy,
  recordingLogger,
};
