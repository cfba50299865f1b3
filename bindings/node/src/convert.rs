//! Type conversion only: JS values -> the core's query parser ([`Node`], a [`Source`]) or
//! `qb_core::Value` (schemas, operands); typed params -> JS values for node-postgres.
//!
//! Nothing here knows SQL or validates a query: shape and value checks happen once, in
//! qb-core, which reads a query object in place through [`Node`]. The conversion follows
//! `JSON.stringify` where JSON has an answer (a property whose value is `undefined` is
//! absent; a `Date` is its ISO text) and refuses what has no faithful JSON form with a
//! `QB_INVALID_VALUE` at the node's path: `undefined` where a value is required (an array
//! item, a hole of a sparse array), functions, symbols, NaN and infinities, binary data,
//! objects that are not plain (Map, Set, class instances), and operands nested deeper than
//! [`MAX_DEPTH`] (so a cyclic object is an error, not a stack overflow; the parser's own depth
//! limit covers selections and filters). A BigInt is an exact integer. A getter or proxy trap
//! that throws stops the walk, and its exception propagates as is.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};

use qb_core::ast::{Kind, Source};
use qb_core::{Error, ErrorKind, Number, Param, ParamValue, Path, PgType, Value};
use smallvec::SmallVec;

use crate::js::{Env, Fail, JsResult, Raw, Type};

/// Deepest nesting accepted in an operand or a schema (the core's own limits are lower; this
/// one only protects the walk itself, e.g. from cyclic objects).
pub(crate) const MAX_DEPTH: usize = 128;

/// What the nodes of one walk share: the environment and the first failure that is not a core error (a pending JS exception, a failed Node-API call),
/// which the caller reports instead of the core error that stopped the parser.
pub(crate) struct Walk {
    env: Env,
    fail: RefCell<Option<Fail>>,
    /// `Object.prototype` of this realm, fetched on the first object.
    object_proto: Cell<Option<Raw>>,
}

impl Walk {
    pub(crate) fn new(env: Env) -> Self {
        Walk {
            env,
            fail: RefCell::new(None),
            object_proto: Cell::new(None),
        }
    }

    pub(crate) fn env(&self) -> Env {
        self.env
    }

    /// The failure to report for a parse that stopped with `e`.
    pub(crate) fn failure(&self, e: Error) -> Fail {
        self.fail.borrow_mut().take().unwrap_or(Fail::Core(e))
    }

    /// Stops the parse: keeps `fail` (unless it is a core error, returned as is) and returns
    /// a core error that unwinds the parser to the caller, who then asks [`Walk::failure`].
    pub(crate) fn stop(&self, at: &Path<'_>, fail: Fail) -> Error {
        match fail {
            Fail::Core(e) => e,
            other => {
                let mut slot = self.fail.borrow_mut();
                if slot.is_none() {
                    *slot = Some(other);
                }
                at.err(
                    ErrorKind::InvalidValue,
                    "a JavaScript exception was raised here",
                )
            }
        }
    }

    fn object_proto(&self) -> JsResult<Raw> {
        if let Some(p) = self.object_proto.get() {
            return Ok(p);
        }
        let env = self.env;
        let object = env.get_named(env.global()?, "Object\0")?;
        let proto = env.get_named(object, "prototype\0")?;
        self.object_proto.set(Some(proto));
        Ok(proto)
    }

    /// What a JS value is, as JSON sees it (`known`: its `typeof`, when already read).
    fn classify(&self, v: Raw, known: Option<Type>, at: &Path<'_>) -> JsResult<Class> {
        let env = self.env;
        let ty = match known {
            Some(t) => t,
            None => env.type_of(v)?,
        };
        Ok(match ty {
            Type::String => Class::Str,
            Type::Object => {
                if env.is_array(v)? {
                    Class::List
                } else if env.is_typed_array(v)? {
                    // Buffer and typed arrays have index keys: refused before they are read.
                    return Err(no_json_form(env, v, at));
                } else {
                    let entries = self.entries_of(v)?;
                    if entries.is_empty() {
                        // Date, Map, Set, ArrayBuffer... have no own enumerable keys: an
                        // empty object is the one place where they must be told apart.
                        if env.is_date(v)? {
                            return Ok(Class::Date);
                        }
                        if !self.is_plain(v)? {
                            return Err(no_json_form(env, v, at));
                        }
                    }
                    Class::Object(entries)
                }
            }
            Type::Number => {
                let d = env.number_value(v)?;
                if !d.is_finite() {
                    return Err(Fail::Core(at.err(
                        ErrorKind::InvalidValue,
                        format!("{} is not a finite number", js_number_text(d)),
                    )));
                }
                Class::Number(d)
            }
            Type::Boolean => Class::Bool(env.bool_value(v)?),
            Type::Null => Class::Null,
            Type::BigInt => Class::BigInt,
            Type::Undefined => {
                return Err(Fail::Core(at.err(
                    ErrorKind::InvalidValue,
                    "undefined has no JSON form (omit the key, or use null)",
                )));
            }
            Type::Symbol | Type::Function | Type::External => {
                return Err(no_json_form(env, v, at));
            }
        })
    }

    /// A plain object: its prototype is `Object.prototype` or null (object literals,
    /// `JSON.parse` output, `Object.create(null)`).
    fn is_plain(&self, v: Raw) -> JsResult<bool> {
        let env = self.env;
        let proto = env.prototype(v)?;
        if env.type_of(proto)? == Type::Null {
            return Ok(true);
        }
        env.strict_equals(proto, self.object_proto()?)
    }

    /// The own enumerable properties of an object whose value is not `undefined`, with
    /// each value's `typeof`.
    fn entries_of(&self, obj: Raw) -> JsResult<Entries> {
        let env = self.env;
        let keys = env.keys(obj)?;
        let n = env.array_len(keys)?;
        let mut out = Entries::with_capacity(n as usize);
        for i in 0..n {
            let k = env.element(keys, i)?;
            let v = env.get(obj, k)?;
            let t = env.type_of(v)?;
            if t != Type::Undefined {
                out.push((k, v, t));
            }
        }
        Ok(out)
    }

    /// The whole node as a `Value` (operands, schemas).
    pub(crate) fn value(
        &self,
        v: Raw,
        known: Option<Type>,
        depth: usize,
        at: &Path<'_>,
    ) -> JsResult<Value> {
        let env = self.env;
        Ok(match self.classify(v, known, at)? {
            Class::Null => Value::Null,
            Class::Bool(b) => Value::Bool(b),
            Class::Number(d) => number_value(d),
            Class::Str => Value::Str(env.string(v)?),
            Class::BigInt => bigint_value(env, v, at)?,
            Class::Date => Value::Str(date_text(env, v, at)?),
            Class::List => {
                check_depth(depth, at)?;
                let n = env.array_len(v)?;
                let mut items = Vec::with_capacity(n.min(1 << 16) as usize);
                for i in 0..n {
                    let item = env.element(v, i)?;
                    let p = at.index(i as usize);
                    if env.type_of(item)? == Type::Undefined {
                        return Err(Fail::Core(p.err(
                            ErrorKind::InvalidValue,
                            "undefined (or a hole of a sparse array) has no JSON form",
                        )));
                    }
                    items.push(self.value(item, None, depth + 1, &p)?);
                }
                Value::List(items)
            }
            Class::Object(entries) => self.object_value(entries, depth, at)?,
        })
    }

    /// One operand value of a prepared query (`Prepared.bindValues`), converted as the same
    /// value in a query object is; `undefined` has no JSON form (fails at `at`).
    pub(crate) fn operand(&self, v: Raw, at: &Path<'_>) -> JsResult<Value> {
        if self.env.type_of(v)? == Type::Undefined {
            return Err(Fail::Core(at.err(
                ErrorKind::InvalidValue,
                "undefined (or a hole of a sparse array) has no JSON form",
            )));
        }
        self.value(v, None, 0, at)
    }

    fn object_value(&self, entries: Entries, depth: usize, at: &Path<'_>) -> JsResult<Value> {
        check_depth(depth, at)?;
        let mut out = Vec::with_capacity(entries.len());
        for (k, item, t) in entries {
            let key = self.env.string(k)?;
            let value = self.value(item, Some(t), depth + 1, &at.key(&key))?;
            out.push((key, value));
        }
        Ok(Value::Object(out))
    }
}

type Entries = SmallVec<[(Raw, Raw, Type); 8]>;

/// The JSON view of a JS value.
#[derive(Debug)]
enum Class {
    Null,
    Bool(bool),
    Number(f64),
    Str,
    BigInt,
    Date,
    List,
    Object(Entries),
}

pub(crate) fn check_depth(depth: usize, at: &Path<'_>) -> JsResult<()> {
    if depth >= MAX_DEPTH {
        return Err(Fail::Core(at.err(
            ErrorKind::DepthLimit,
            format!("input nested deeper than {MAX_DEPTH} levels (or cyclic)"),
        )));
    }
    Ok(())
}

/// Largest magnitude read as an integer (`i64` range; a JS number beyond 2^53 is whatever
/// double it already is).
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

pub(crate) fn int_of(d: f64) -> Option<i64> {
    if d.fract() == 0.0 && d.abs() < I64_BOUND {
        Some(d as i64)
    } else {
        None
    }
}

pub(crate) fn number_value(d: f64) -> Value {
    match int_of(d) {
        Some(i) => Value::Int(i),
        None => Value::Float(d),
    }
}

pub(crate) fn js_number_text(d: f64) -> &'static str {
    if d.is_nan() {
        "NaN"
    } else if d > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

/// A BigInt as an exact integer: `Int` when it fits 64 bits, else a checked [`Number`]
/// (refused by its size before any text is built when it cannot fit `numeric`).
fn bigint_value(env: Env, v: Raw, at: &Path<'_>) -> JsResult<Value> {
    Ok(match env.bigint_value(v)? {
        Ok(i) => Value::Int(i),
        Err((negative, words)) => {
            let bits = words.len() as u64 * 64;
            if bits > Number::MAX_INTEGER_BITS + 64 {
                return Err(Fail::Core(at.err(
                    ErrorKind::InvalidValue,
                    format!("a BigInt of about {bits} bits is outside numeric's range"),
                )));
            }
            let number = Number::new(bigint_text(negative, &words))
                .map_err(|e| Fail::Core(at.err(ErrorKind::InvalidValue, e.to_string())))?;
            Value::Decimal(number)
        }
    })
}

/// Decimal text of a BigInt given as sign and little-endian 64-bit words.
fn bigint_text(negative: bool, words: &[u64]) -> String {
    let mut w: Vec<u64> = words.to_vec();
    while w.last() == Some(&0) {
        w.pop();
    }
    if w.is_empty() {
        return "0".to_owned();
    }
    // Repeated division by 10^19, the largest power of ten in a u64.
    const CHUNK: u64 = 10_000_000_000_000_000_000;
    let mut chunks = Vec::new();
    while !w.is_empty() {
        let mut rem: u128 = 0;
        for word in w.iter_mut().rev() {
            let cur = (rem << 64) | u128::from(*word);
            *word = (cur / u128::from(CHUNK)) as u64;
            rem = cur % u128::from(CHUNK);
        }
        chunks.push(rem as u64);
        while w.last() == Some(&0) {
            w.pop();
        }
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    let mut iter = chunks.iter().rev();
    if let Some(first) = iter.next() {
        out.push_str(itoa::Buffer::new().format(*first));
    }
    for c in iter {
        let s = itoa::Buffer::new().format(*c).to_owned();
        for _ in s.len()..19 {
            out.push('0');
        }
        out.push_str(&s);
    }
    out
}

/// A `Date` as `Date.prototype.toISOString` writes it (`2024-01-31T10:00:00.000Z`); an
/// invalid date is refused.
fn date_text(env: Env, v: Raw, at: &Path<'_>) -> JsResult<String> {
    let ms = env.date_value(v)?;
    iso_date(ms).ok_or_else(|| {
        Fail::Core(at.err(ErrorKind::InvalidValue, "an invalid Date has no JSON form"))
    })
}

/// Milliseconds since the epoch as ISO 8601 UTC text, `None` for NaN or out of range.
pub(crate) fn iso_date(ms: f64) -> Option<String> {
    if !ms.is_finite() || ms.abs() > 8.64e15 {
        return None;
    }
    let ms = ms as i64;
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    let year = if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else if y < 0 {
        format!("-{:06}", -y)
    } else {
        format!("+{y:06}")
    };
    Some(format!(
        "{year}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z"
    ))
}

/// The error for a value with no JSON form, naming its JS type.
fn no_json_form(env: Env, v: Raw, at: &Path<'_>) -> Fail {
    let what = describe_type(env, v).unwrap_or_else(|_| "value".to_owned());
    Fail::Core(at.err(
        ErrorKind::InvalidValue,
        format!(
            "a {what} has no JSON form (use plain objects, arrays, strings, numbers, \
             booleans, null, BigInt or Date)"
        ),
    ))
}

/// `function`, `symbol`, `Buffer`, `Map`, `class Foo`... for messages.
fn describe_type(env: Env, v: Raw) -> JsResult<String> {
    Ok(match env.type_of(v)? {
        Type::Function => "function".to_owned(),
        Type::Symbol => "symbol".to_owned(),
        Type::External => "native external".to_owned(),
        Type::Object => {
            if let Some(kind) = env.binary_kind(v)? {
                return Ok(kind.to_owned());
            }
            let ctor = env.get_named(v, "constructor\0")?;
            let name = if env.type_of(ctor)? == Type::Function {
                let n = env.get_named(ctor, "name\0")?;
                if env.type_of(n)? == Type::String {
                    env.string(n)?
                } else {
                    String::new()
                }
            } else {
                String::new()
            };
            if name.is_empty() {
                "non-plain object".to_owned()
            } else {
                format!("value of JS type `{name}`")
            }
        }
        other => format!("{other:?}").to_lowercase(),
    })
}

/// Converts a whole document (a schema, or a query given as an object for `toJson`): a
/// string is JSON text, parsed by the core; anything else is walked.
pub(crate) fn document(env: Env, v: Raw) -> JsResult<Value> {
    if env.type_of(v)? == Type::String {
        let text = env.string(v)?;
        return Ok(qb_core::json::parse_value(&text)?);
    }
    let walk = Walk::new(env);
    walk.value(v, None, 0, &Path::ROOT)
}

// ---------------------------------------------------------------------------------------
// A query object read in place by the core's parser

/// One JS value of a query document, as the core's parser reads it
/// ([`qb_core::Query::from_source`]): keys are read into a stack buffer, strings copied once
/// (V8 strings cannot be borrowed); operands become `Value`s through the same walk as
/// schemas.
pub(crate) struct Node<'w> {
    v: Raw,
    walk: &'w Walk,
    /// The value's `typeof`, when its parent already read it.
    ty: Option<Type>,
    /// What `kind` found: a list's length, or an object's entries (`undefined` values left
    /// out), for `len`, `entries` and `items`.
    shape: RefCell<Shape>,
}

#[derive(Debug, Default)]
enum Shape {
    #[default]
    Unread,
    List(u32),
    Object(Entries),
    Scalar,
}

impl<'w> Node<'w> {
    pub(crate) fn new(v: Raw, walk: &'w Walk) -> Self {
        Node::typed(v, None, walk)
    }

    fn typed(v: Raw, ty: Option<Type>, walk: &'w Walk) -> Self {
        Node {
            v,
            walk,
            ty,
            shape: RefCell::new(Shape::Unread),
        }
    }

    /// The node as a `Value`, `depth` levels inside an operand (a host value inside an
    /// encoded operand, `encoded.rs`).
    pub(crate) fn value_at(self, depth: usize, at: &Path<'_>) -> Result<Value, Error> {
        self.walk
            .value(self.v, self.ty, depth, at)
            .map_err(|f| self.walk.stop(at, f))
    }

    fn read_string(&self, at: &Path<'_>) -> Result<String, Error> {
        let walk = self.walk;
        let env = walk.env;
        let r = (|| -> JsResult<String> {
            let ty = match self.ty {
                Some(t) => t,
                None => env.type_of(self.v)?,
            };
            if ty == Type::String {
                env.string(self.v)
            } else {
                date_text(env, self.v, at)
            }
        })();
        r.map_err(|f| walk.stop(at, f))
    }
}

impl Source for Node<'_> {
    fn kind(&self, at: &Path<'_>) -> Result<Kind, Error> {
        let walk = self.walk;
        let class = walk
            .classify(self.v, self.ty, at)
            .map_err(|f| walk.stop(at, f))?;
        let (kind, shape) = match class {
            Class::Str | Class::Date => (Kind::Str, Shape::Scalar),
            Class::Object(entries) => (Kind::Object, Shape::Object(entries)),
            Class::List => {
                let n = walk.env.array_len(self.v).map_err(|f| walk.stop(at, f))?;
                (Kind::List, Shape::List(n))
            }
            Class::Null => (Kind::Null, Shape::Scalar),
            Class::Bool(b) => (Kind::Bool(b), Shape::Scalar),
            Class::Number(d) => (
                match int_of(d) {
                    Some(i) => Kind::Int(i),
                    None => Kind::Number,
                },
                Shape::Scalar,
            ),
            Class::BigInt => {
                match bigint_value(walk.env, self.v, at).map_err(|f| walk.stop(at, f))? {
                    Value::Int(i) => (Kind::Int(i), Shape::Scalar),
                    _ => (Kind::Number, Shape::Scalar),
                }
            }
        };
        *self.shape.borrow_mut() = shape;
        Ok(kind)
    }

    fn str(&self, at: &Path<'_>) -> Result<Cow<'_, str>, Error> {
        self.read_string(at).map(Cow::Owned)
    }

    fn into_string(self, at: &Path<'_>) -> Result<String, Error> {
        self.read_string(at)
    }

    fn len(&self) -> usize {
        match &*self.shape.borrow() {
            Shape::List(n) => *n as usize,
            Shape::Object(e) => e.len(),
            _ => 0,
        }
    }

    fn entries<F>(self, at: &Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(&str, Self) -> Result<(), Error>,
    {
        let walk = self.walk;
        let env = walk.env;
        let Shape::Object(entries) = self.shape.take() else {
            return Ok(());
        };
        for (k, v, t) in entries {
            env.with_str(k, |key| f(key, Node::typed(v, Some(t), walk)))
                .map_err(|e| walk.stop(at, e))??;
        }
        Ok(())
    }

    fn items<F>(self, at: &Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(usize, Self) -> Result<(), Error>,
    {
        let walk = self.walk;
        let env = walk.env;
        let Shape::List(n) = self.shape.take() else {
            return Ok(());
        };
        for i in 0..n {
            let item = env.element(self.v, i).map_err(|e| walk.stop(at, e))?;
            f(i as usize, Node::new(item, walk))?;
        }
        Ok(())
    }

    fn into_value(self, at: &Path<'_>) -> Result<Value, Error> {
        // An object already read by `kind` is converted from its entries.
        match self.shape.take() {
            Shape::Object(entries) => self
                .walk
                .object_value(entries, 0, at)
                .map_err(|f| self.walk.stop(at, f)),
            _ => self
                .walk
                .value(self.v, self.ty, 0, at)
                .map_err(|f| self.walk.stop(at, f)),
        }
    }
}

/// A JSON value as the JS data `JSON.parse` gives for its text (numbers as doubles).
pub(crate) fn json_to_js(env: Env, v: &Value) -> JsResult<Raw> {
    match v {
        Value::Null => env.null(),
        Value::Bool(b) => env.boolean(*b),
        Value::Int(i) => env.number(*i as f64),
        Value::Float(f) => env.number(*f),
        Value::Decimal(d) => env.number(d.as_str().parse().unwrap_or(f64::NAN)),
        Value::Str(s) => env.str(s),
        Value::List(items) => {
            let arr = env.array(items.len())?;
            for (i, item) in items.iter().enumerate() {
                let x = json_to_js(env, item)?;
                env.set_element(arr, i as u32, x)?;
            }
            Ok(arr)
        }
        Value::Object(entries) => {
            let obj = env.object()?;
            for (k, item) in entries {
                let x = json_to_js(env, item)?;
                env.set(obj, k, x)?;
            }
            Ok(obj)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Params -> JS

/// The JS value node-postgres sends correctly for one parameter, by the wire type of its
/// base type (`param.ty.base().wire()`): booleans as booleans, float8 as numbers, every other
/// type as text (int8 and numeric keep every digit; the SQL casts each placeholder), arrays
/// as arrays of those.
pub(crate) fn param_to_js(env: Env, p: &Param) -> JsResult<Raw> {
    value_to_js(env, p.ty.base().wire(), &p.value)
}

fn value_to_js(env: Env, wire: PgType, v: &ParamValue) -> JsResult<Raw> {
    match (wire, v) {
        (_, ParamValue::Array(items)) => {
            let arr = env.array(items.len())?;
            for (i, item) in items.iter().enumerate() {
                let x = value_to_js(env, wire, item)?;
                env.set_element(arr, i as u32, x)?;
            }
            Ok(arr)
        }
        (_, ParamValue::Bool(b)) => env.boolean(*b),
        (PgType::Float8, ParamValue::Float(f)) => env.number(*f),
        (PgType::Float8, ParamValue::Int(i)) => env.number(*i as f64),
        (_, ParamValue::Int(i)) => env.str(itoa::Buffer::new().format(*i)),
        (_, ParamValue::Text(s)) => env.str(s),
        (_, other) => env.str(&other.to_pg_text()),
    }
}
