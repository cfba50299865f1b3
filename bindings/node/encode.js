'use strict';
// How a query object reaches the native compiler: one JavaScript walk writes it into a
// buffer of 32-bit words (its structure and numbers) and one string (all of its text), which
// the addon copies with one Node-API call each and reads in place as the core parser's
// `Source` (src/encoded.rs). A walk in Rust over the object itself costs a Node-API call per
// key, value and string (200-900 instructions each); this walk is JIT-compiled JavaScript.
// The result comes back as one string too (`unpack`).
//
// Only plain data is written here: plain objects (prototype Object.prototype or null),
// arrays, strings, finite numbers, booleans and null; a property whose value is `undefined`
// is absent, as in JSON.stringify. Anything else (a Date, a BigInt, a class instance, a
// Map, a Buffer, a function, a symbol, NaN, an array with a hole or an `undefined` item,
// and any container past MAX_DEPTH or past the BUDGET of containers) is handed over as it
// is, a "host" node: the addon reads that value with its walk over JS values
// (src/convert.rs), which holds every rule of the conversion and every error message, at
// the same path. So both routes read a query alike; this one is faster for plain data.
//
// Layout (Uint32Array): [0] the structure's length in words, [1] the text's length (UTF-16
// units), then the root node. A node is a tag word and its payload:
//   'n' null, 't' true, 'f' false
//   'i' v           an integer that fits 32 bits (two's complement)
//   'd' w0 w1       any other finite number: the two words of its Float64Array bytes
//   's' off len     a string: text.slice(off, off + len)
//   'a' count size  then `count` nodes (`size` words)
//   'o' count size  then `count` times: key off, key len, node
//   'h' index       refs[index], read by the addon's walk over JS values

const T_NULL = 0x6e; // n
const T_TRUE = 0x74; // t
const T_FALSE = 0x66; // f
const T_INT = 0x69; // i
const T_FLOAT = 0x64; // d
const T_STR = 0x73; // s
const T_LIST = 0x61; // a
const T_OBJECT = 0x6f; // o
const T_HOST = 0x68; // h

/** Containers nested deeper than this are handed over whole (the core's limits are lower). */
const MAX_DEPTH = 64;
/** Containers written per query before the rest is handed over: bounds the walk of a cyclic
 * or exponentially shared object (the addon's walk stops at its first depth error). */
const BUDGET = 1 << 17;
const INITIAL_WORDS = 512;
/** A buffer grown past this is dropped before the next query (the spare one stays small). */
const KEEP_WORDS = 1 << 18;

const OBJECT_PROTO = Object.prototype;
const EMPTY = Object.freeze({});
const F64 = new Float64Array(1);
const F64_WORDS = new Uint32Array(F64.buffer);

/** Whether Object.prototype has an enumerable property (prototype pollution): then a
 * `for...in` over a plain object would see it, and objects are read by Object.keys. */
function polluted() {
  for (const _ in EMPTY) return true;
  return false;
}

class Encoder {
  constructor() {
    this.w = new Uint32Array(INITIAL_WORDS);
    this.pos = 0;
    /** Host values, created on the first one. */
    this.refs = null;
    this.containers = 0;
    this.ownKeys = false;
    this.text = '';
  }

  /** Writes `query`: the structure is `this.w`, its text `this.text`, hosts `this.refs`. */
  encode(query) {
    if (this.w.length > KEEP_WORDS) this.w = new Uint32Array(INITIAL_WORDS);
    this.pos = 2;
    this.refs = null;
    this.containers = 0;
    // Checked at the first plain object (a list of scalars, `bindValues`'s usual values,
    // needs no check).
    this.ownKeys = null;
    const text = this.value(query, 0, '');
    this.w[0] = this.pos;
    this.w[1] = text.length;
    this.text = text;
  }

  grow(need) {
    let cap = this.w.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint32Array(cap);
    next.set(this.w.subarray(0, this.pos));
    this.w = next;
  }

  host(v) {
    const p = this.pos;
    if (p + 2 > this.w.length) this.grow(p + 2);
    const refs = this.refs === null ? (this.refs = []) : this.refs;
    this.w[p] = T_HOST;
    this.w[p + 1] = refs.length;
    this.pos = p + 2;
    refs.push(v);
  }

  /** Writes one value; `text` is the text so far, the new text is returned. */
  value(v, depth, text) {
    const p = this.pos;
    if (p + 3 > this.w.length) this.grow(p + 3);
    const w = this.w;
    if (typeof v === 'string') {
      w[p] = T_STR;
      w[p + 1] = text.length;
      w[p + 2] = v.length;
      this.pos = p + 3;
      return text + v;
    }
    if (typeof v === 'object') {
      if (v === null) {
        w[p] = T_NULL;
        this.pos = p + 1;
        return text;
      }
      if (depth < MAX_DEPTH && ++this.containers <= BUDGET) {
        if (Array.isArray(v)) return this.list(v, depth, text);
        const proto = Object.getPrototypeOf(v);
        if (proto === OBJECT_PROTO) {
          if (this.ownKeys === null) this.ownKeys = polluted();
          return this.ownKeys ? this.keysObject(v, depth, text) : this.object(v, depth, text);
        }
        if (proto === null) return this.keysObject(v, depth, text);
      }
      this.host(v);
      return text;
    }
    if (typeof v === 'number') {
      if ((v | 0) === v) {
        w[p] = T_INT;
        w[p + 1] = v;
        this.pos = p + 2;
      } else if (v - v === 0) {
        F64[0] = v;
        w[p] = T_FLOAT;
        w[p + 1] = F64_WORDS[0];
        w[p + 2] = F64_WORDS[1];
        this.pos = p + 3;
      } else {
        this.host(v);
      }
      return text;
    }
    if (typeof v === 'boolean') {
      w[p] = v ? T_TRUE : T_FALSE;
      this.pos = p + 1;
      return text;
    }
    this.host(v);
    return text;
  }

  list(v, depth, text) {
    const start = this.pos;
    this.pos = start + 3;
    const n = v.length;
    let t = text;
    let i = 0;
    // Leading strings (a selection, an `in` list) in place, without a call per item.
    if (start + 3 + 3 * n <= this.w.length) {
      const w = this.w;
      let p = start + 3;
      for (; i < n; i++) {
        const x = v[i];
        if (typeof x !== 'string') break;
        w[p] = T_STR;
        w[p + 1] = t.length;
        w[p + 2] = x.length;
        p += 3;
        t = t + x;
      }
      this.pos = p;
    }
    for (; i < n; i++) {
      const x = v[i];
      if (x === undefined) {
        // A hole or an undefined item: the addon's walk reads the whole list and says
        // where, without this walk visiting the rest of a sparse array.
        this.pos = start;
        this.host(v);
        return text;
      }
      t = this.value(x, depth + 1, t);
    }
    this.close(start, T_LIST, n);
    return t;
  }

  /** A plain object under an unpolluted Object.prototype: `for...in` visits exactly its own
   * enumerable string keys, in Object.keys order. */
  object(v, depth, text) {
    const start = this.pos;
    this.pos = start + 3;
    let n = 0;
    let t = text;
    for (const k in v) {
      const x = v[k];
      if (x === undefined) continue;
      n++;
      t = this.entry(k, x, depth, t);
    }
    this.close(start, T_OBJECT, n);
    return t;
  }

  /** The same through Object.keys (a null prototype, or a polluted Object.prototype). */
  keysObject(v, depth, text) {
    const start = this.pos;
    this.pos = start + 3;
    const keys = Object.keys(v);
    let n = 0;
    let t = text;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const x = v[k];
      if (x === undefined) continue;
      n++;
      t = this.entry(k, x, depth, t);
    }
    this.close(start, T_OBJECT, n);
    return t;
  }

  entry(k, x, depth, t) {
    const p = this.pos;
    if (p + 2 > this.w.length) this.grow(p + 2);
    this.w[p] = t.length;
    this.w[p + 1] = k.length;
    this.pos = p + 2;
    return this.value(x, depth + 1, t + k);
  }

  close(start, tag, count) {
    const w = this.w;
    w[start] = tag;
    w[start + 1] = count;
    w[start + 2] = this.pos - start - 3;
  }
}

/** The encoder of this thread, free between calls (a getter that compiles while a query is
 * being written gets an encoder of its own). */
let spare = new Encoder();

/** Writes `query`; returns the encoder holding it (`w`, `text`, `refs`), to be passed to the
 * addon at once: the addon copies it before anything else can run, so the encoder is free
 * again for the next call. */
function encode(query) {
  const e = spare === null ? new Encoder() : spare;
  spare = null;
  try {
    e.encode(query);
  } finally {
    spare = e;
  }
  return e;
}

/**
 * The addon's compile result, one string (src/encoded.rs, `packed`):
 * `<n>:<sql><values>[&<types>]`, each value a token: `"<len>:<text>` a string, `t` / `f` a
 * boolean, `#<number>;` a float8, `[` ... `]` an array (one level); types as string tokens.
 * A prepared query's result starts with `=` instead of `<n>:<sql>` when its SQL is
 * `knownText`, which the caller holds (the SQL does not cross Node-API again).
 * Returns node-postgres' `{ text, values }` (and `paramTypes` when they were asked for).
 */
function unpack(s, knownText) {
  let i = 0;
  let text;
  if (s.charCodeAt(0) === 61) {
    // =
    text = knownText;
    i = 1;
  } else {
    let n = 0;
    for (let d = s.charCodeAt(0); d !== 58; d = s.charCodeAt(++i)) n = n * 10 + d - 48;
    const start = i + 1;
    text = s.slice(start, start + n);
    i = start + n;
  }
  const end = s.length;
  if (i === end) return { text, values: [] };
  const values = [];
  let list = values;
  let types = null;
  while (i < end) {
    const c = s.charCodeAt(i);
    let item;
    if (c === 34) {
      // "<len>:<text>
      let len = 0;
      for (let d = s.charCodeAt(++i); d !== 58; d = s.charCodeAt(++i)) len = len * 10 + d - 48;
      i++;
      item = s.slice(i, i + len);
      i += len;
    } else if (c === 91) {
      list = [];
      i++;
      continue;
    } else if (c === 93) {
      item = list;
      list = values;
      i++;
    } else if (c === 116 || c === 102) {
      item = c === 116;
      i++;
    } else if (c === 35) {
      const j = s.indexOf(';', i);
      item = +s.slice(i + 1, j);
      i = j + 1;
    } else {
      // & : the parameter types follow
      types = list = [];
      i++;
      continue;
    }
    list[list.length] = item;
  }
  return types === null ? { text, values } : { text, values, paramTypes: types };
}

module.exports = { Encoder, encode, unpack, MAX_DEPTH, BUDGET };
