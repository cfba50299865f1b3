//! A query object as `encode.js` wrote it, read by the core's parser ([`Src`], a
//! [`Source`]), and the compile result packed into one string for `unpack` (encode.js).
//!
//! The JS encoder writes plain data (objects, arrays, strings, finite numbers, booleans,
//! null) into a buffer of 32-bit words and one string holding all of its text; every other
//! value is a "host" node, an index into an array of JS values, read here by the walk over
//! JS values ([`Node`], `convert.rs`) at the same path, with the same rules and messages. So
//! the two routes read a document alike; this one crosses Node-API twice per query instead
//! of several times per key, value and string. The layout is documented in `encode.js`.
//!
//! The words and the text are copied before anything is read. Reads are bounded, never
//! trusted: a buffer that does not follow the layout (only a direct call of the internal
//! native function can make one) reads as some other document, which the parser then
//! accepts or refuses like any other; it cannot read out of bounds, panic, allocate more
//! than its own size or loop longer than its length.

use std::borrow::Cow;

use qb_core::ast::{Kind, Source};
use qb_core::{Error, ErrorKind, Param, ParamValue, Path, PgType, Value};

use crate::convert::{self, Node, Walk};
use crate::js::{Env, Fail, JsResult, Raw};

const T_TRUE: u32 = b't' as u32;
const T_FALSE: u32 = b'f' as u32;
const T_INT: u32 = b'i' as u32;
const T_FLOAT: u32 = b'd' as u32;
const T_STR: u32 = b's' as u32;
const T_LIST: u32 = b'a' as u32;
const T_OBJECT: u32 = b'o' as u32;
const T_HOST: u32 = b'h' as u32;

/// Words before the root node: the structure's length and the text's (UTF-16 units).
const HEADER: usize = 2;

/// The text of a query: ASCII (the common case, read in place) or UTF-16 code units.
enum Text {
    Ascii(String),
    Wide(Vec<u16>),
}

impl Text {
    /// ASCII text narrowed to bytes (then read in place as `str`), any other kept as units.
    fn of(units: &[u16]) -> Text {
        // One pass over every unit, no early exit (it vectorizes).
        if units.iter().fold(0, |all, &u| all | u) < 0x80 {
            let bytes: Vec<u8> = units.iter().map(|&u| u as u8).collect();
            if let Ok(s) = String::from_utf8(bytes) {
                return Text::Ascii(s);
            }
        }
        Text::Wide(units.to_vec())
    }
}

/// One encoded query: the structure, its text and its host values.
pub(crate) struct Doc<'w> {
    w: crate::js::Words,
    text: Text,
    refs: Raw,
    walk: &'w Walk,
}

impl<'w> Doc<'w> {
    /// Copies the structure (`buf`, a `Uint32Array`) and the text (`text`, as long as the
    /// structure's header says) out of the JS values.
    pub(crate) fn read(env: Env, buf: Raw, text: Raw, refs: Raw, walk: &'w Walk) -> JsResult<Self> {
        let w = env
            .length_prefixed_words(buf)?
            .ok_or_else(|| Fail::Type("expected the encoded query (a Uint32Array)".into()))?;
        let len = w.get(1).copied().unwrap_or(0) as usize;
        let text = if len == 0 {
            Text::Ascii(String::new())
        } else {
            let mut units = smallvec::SmallVec::<[u16; 512]>::new();
            if env.string_utf16_into(text, len, &mut units)?.is_none() {
                return Err(Fail::Type("expected the encoded query's text".into()));
            }
            Text::of(&units)
        };
        Ok(Doc {
            w,
            text,
            refs,
            walk,
        })
    }

    /// The query document.
    pub(crate) fn root(&self) -> Result<Src<'_>, Error> {
        self.node(HEADER)
    }

    /// The root when it is an encoded node (not a host value), as a copyable handle.
    pub(crate) fn encoded_root(&self) -> Option<Enc<'_>> {
        (self.word(HEADER) != T_HOST).then_some(Enc {
            doc: self,
            at: HEADER,
        })
    }

    /// The root when the encoder handed it over whole (a host value: an array with a hole
    /// or an `undefined` item, anything not plain data), to be read by the walk over JS
    /// values.
    pub(crate) fn root_host(&self) -> JsResult<Option<Raw>> {
        if self.word(HEADER) != T_HOST {
            return Ok(None);
        }
        self.walk
            .env()
            .element(self.refs, self.word(HEADER + 1))
            .map(Some)
    }

    /// The items of an encoded list root as `Value`s (operand values, `Prepared.bindValues`),
    /// item `i` read at `path(i)` as the walk reads an operand; `None` when the root is not a
    /// list.
    pub(crate) fn list_values<'p>(
        &self,
        path: impl Fn(usize) -> Path<'p>,
    ) -> JsResult<Option<Vec<Value>>> {
        let root = Enc {
            doc: self,
            at: HEADER,
        };
        if root.tag() != T_LIST {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(self.count(HEADER));
        root.children(|_, child| {
            let at = path(out.len());
            out.push(child.value(0, &at)?);
            Ok(())
        })
        .map_err(|e| self.walk.failure(e))?;
        Ok(Some(out))
    }

    /// The items of an encoded list root, to be read in place (`Prepared.bindValues`
    /// through `bind_sources_params`); `None` when the root is not an encoded list.
    pub(crate) fn list_items(&self) -> Option<smallvec::SmallVec<[Src<'_>; 8]>> {
        let root = Enc {
            doc: self,
            at: HEADER,
        };
        if root.tag() != T_LIST {
            return None;
        }
        let mut out = smallvec::SmallVec::new();
        root.children(|_, child| {
            out.push(child);
            Ok(())
        })
        .ok()?;
        Some(out)
    }

    #[inline]
    fn word(&self, at: usize) -> u32 {
        self.w.get(at).copied().unwrap_or(0)
    }

    /// The float whose Float64Array bytes are the two words at `at`.
    #[inline]
    fn float(&self, at: usize) -> f64 {
        let (a, b) = (self.word(at).to_ne_bytes(), self.word(at + 1).to_ne_bytes());
        f64::from_ne_bytes([a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]])
    }

    /// The size in words of the node at `at`.
    #[inline]
    fn size(&self, at: usize) -> usize {
        match self.word(at) {
            T_INT | T_HOST => 2,
            T_FLOAT | T_STR => 3,
            T_LIST | T_OBJECT => (self.word(at + 2) as usize).saturating_add(3),
            _ => 1,
        }
    }

    /// A container's item count, at most its length (an item takes a word at least).
    #[inline]
    fn count(&self, at: usize) -> usize {
        (self.word(at + 1) as usize).min(self.w.len())
    }

    /// The text of the range whose offset and length are the two words at `at`: borrowed
    /// when the text is ASCII.
    #[inline]
    fn text(&self, at: usize) -> Cow<'_, str> {
        let off = self.word(at) as usize;
        let end = off.saturating_add(self.word(at + 1) as usize);
        match &self.text {
            Text::Ascii(s) => Cow::Borrowed(s.get(off..end).unwrap_or_default()),
            // Lone surrogates become U+FFFD, as V8 writes UTF-8.
            Text::Wide(u) => Cow::Owned(String::from_utf16_lossy(
                u.get(off..end).unwrap_or_default(),
            )),
        }
    }

    /// The node at `at`: an encoded node, or the host value it stands for.
    #[inline]
    fn node(&self, at: usize) -> Result<Src<'_>, Error> {
        if self.word(at) == T_HOST {
            let v = self
                .walk
                .env()
                .element(self.refs, self.word(at + 1))
                .map_err(|f| self.walk.stop(&Path::ROOT, f))?;
            return Ok(Src::Js(Box::new(Node::new(v, self.walk))));
        }
        Ok(Src::Enc(Enc { doc: self, at }))
    }
}

/// An encoded node.
#[derive(Clone, Copy)]
pub(crate) struct Enc<'d> {
    doc: &'d Doc<'d>,
    at: usize,
}

/// What the parser reads: an encoded node, or a host value read by the walk over JS values
/// (boxed: a `Node` holds its object's entries inline, and every `Src` is moved by value
/// through the parser's closures).
pub(crate) enum Src<'d> {
    Enc(Enc<'d>),
    Js(Box<Node<'d>>),
}

impl<'d> Enc<'d> {
    #[inline]
    fn tag(self) -> u32 {
        self.doc.word(self.at)
    }

    /// A float node's value; a non-finite one (never written by the encoder) is refused as
    /// the walk refuses NaN.
    fn float(self, at: &Path<'_>) -> Result<f64, Error> {
        let d = self.doc.float(self.at + 1);
        if d.is_finite() {
            return Ok(d);
        }
        Err(at.err(
            ErrorKind::InvalidValue,
            format!("{} is not a finite number", convert::js_number_text(d)),
        ))
    }

    /// Calls `f` with each key (`None` for a list item) and child, in order.
    #[inline]
    fn children<F>(self, mut f: F) -> Result<(), Error>
    where
        F: FnMut(Option<Cow<'d, str>>, Src<'d>) -> Result<(), Error>,
    {
        let doc = self.doc;
        let object = match self.tag() {
            T_OBJECT => true,
            T_LIST => false,
            _ => return Ok(()),
        };
        let mut at = self.at + 3;
        for _ in 0..doc.count(self.at) {
            let key = if object {
                let k = doc.text(at);
                at += 2;
                Some(k)
            } else {
                None
            };
            let next = at.saturating_add(doc.size(at));
            f(key, doc.node(at)?)?;
            at = next;
        }
        Ok(())
    }

    /// The node as a `Value`, `depth` levels inside an operand (the walk's depth rule).
    fn value(self, depth: usize, at: &Path<'_>) -> Result<Value, Error> {
        let doc = self.doc;
        Ok(match self.tag() {
            T_TRUE => Value::Bool(true),
            T_FALSE => Value::Bool(false),
            T_INT => Value::Int(i64::from(doc.word(self.at + 1) as i32)),
            T_FLOAT => convert::number_value(self.float(at)?),
            T_STR => Value::Str(doc.text(self.at + 1).into_owned()),
            T_LIST => {
                convert::check_depth(depth, at).map_err(|f| doc.walk.stop(at, f))?;
                let mut items = Vec::with_capacity(doc.count(self.at));
                self.children(|_, child| {
                    items.push(child.value(depth + 1, &at.index(items.len()))?);
                    Ok(())
                })?;
                Value::List(items)
            }
            T_OBJECT => {
                convert::check_depth(depth, at).map_err(|f| doc.walk.stop(at, f))?;
                let mut entries = Vec::with_capacity(doc.count(self.at));
                self.children(|key, child| {
                    let key = key.unwrap_or_default().into_owned();
                    let v = child.value(depth + 1, &at.key(&key))?;
                    entries.push((key, v));
                    Ok(())
                })?;
                Value::Object(entries)
            }
            _ => Value::Null,
        })
    }
}

impl<'d> Src<'d> {
    /// Another handle on an encoded node (`None` for a host value, read by the walk).
    pub(crate) fn encoded(&self) -> Option<Src<'d>> {
        match self {
            Src::Enc(e) => Some(Src::Enc(*e)),
            Src::Js(_) => None,
        }
    }

    fn value(self, depth: usize, at: &Path<'_>) -> Result<Value, Error> {
        match self {
            Src::Enc(e) => e.value(depth, at),
            Src::Js(n) => (*n).value_at(depth, at),
        }
    }
}

impl<'d> Source for Src<'d> {
    #[inline]
    fn kind(&self, at: &Path<'_>) -> Result<Kind, Error> {
        let e = match self {
            Src::Enc(e) => *e,
            Src::Js(n) => return n.kind(at),
        };
        Ok(match e.tag() {
            T_TRUE => Kind::Bool(true),
            T_FALSE => Kind::Bool(false),
            T_INT => Kind::Int(i64::from(e.doc.word(e.at + 1) as i32)),
            T_FLOAT => match convert::int_of(e.float(at)?) {
                Some(i) => Kind::Int(i),
                None => Kind::Number,
            },
            T_STR => Kind::Str,
            T_LIST => Kind::List,
            T_OBJECT => Kind::Object,
            _ => Kind::Null,
        })
    }

    #[inline]
    fn str(&self, at: &Path<'_>) -> Result<Cow<'_, str>, Error> {
        match self {
            Src::Enc(e) => Ok(e.doc.text(e.at + 1)),
            Src::Js(n) => n.str(at),
        }
    }

    #[inline]
    fn into_string(self, at: &Path<'_>) -> Result<String, Error> {
        match self {
            Src::Enc(e) => Ok(e.doc.text(e.at + 1).into_owned()),
            Src::Js(n) => (*n).into_string(at),
        }
    }

    #[inline]
    fn len(&self) -> usize {
        match self {
            Src::Enc(e) if matches!(e.tag(), T_LIST | T_OBJECT) => e.doc.count(e.at),
            Src::Enc(_) => 0,
            Src::Js(n) => n.len(),
        }
    }

    fn entries<F>(self, at: &Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(&str, Self) -> Result<(), Error>,
    {
        match self {
            Src::Enc(e) => e.children(|key, child| f(&key.unwrap_or_default(), child)),
            Src::Js(n) => n.entries(at, |key, child| f(key, Src::Js(Box::new(child)))),
        }
    }

    fn items<F>(self, at: &Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(usize, Self) -> Result<(), Error>,
    {
        match self {
            Src::Enc(e) => {
                let mut i = 0;
                e.children(|_, child| {
                    f(i, child)?;
                    i += 1;
                    Ok(())
                })
            }
            Src::Js(n) => n.items(at, |i, child| f(i, Src::Js(Box::new(child)))),
        }
    }

    fn into_value(self, at: &Path<'_>) -> Result<Value, Error> {
        self.value(0, at)
    }

    /// An encoded node is two words' address: another handle costs nothing (a document hit
    /// then binds operands where the encoder wrote them); a host value has none.
    fn share(&self) -> Option<Self> {
        self.encoded()
    }
}

// ---------------------------------------------------------------------------------------
// The result, packed

/// The compile result as one JS string, for `unpack` (encode.js), which builds
/// `{ text, values }` from it with string slices (a `JSON.parse` of the values, or a
/// Node-API call per value, costs several times more):
///
/// `<n>:<sql><values>[&<types>]` (or `=<values>[&<types>]`, below), `n` the SQL's length in UTF-16 units; each value a token:
/// `"<len>:<text>` a string (`len` in UTF-16 units), `t` / `f` a boolean, `#<number>;` a
/// float8 (JSON number text, read back as exactly the same double), `[` ... `]` an array;
/// `types` (with `param_types`) the SQL type names as string tokens. `None` when a value
/// has no such form (a non-finite float8, an array of arrays: the caller then builds the
/// result object value by value).
///
/// `sql` is `None` when the JS side already holds the SQL (a prepared query's text): the
/// result then starts with `=` instead of `<n>:<sql>`, and the SQL does not cross again.
pub(crate) fn packed(sql: Option<&str>, params: &[Param], param_types: bool) -> Option<Packed> {
    let mut p = Packed {
        text: String::with_capacity(sql.map_or(1, |s| s.len() + 16) + params.len() * 24),
        ascii: true,
    };
    match sql {
        None => p.text.push('='),
        Some(sql) => {
            let n = p.utf16_len(sql);
            p.text.push_str(itoa::Buffer::new().format(n));
            p.text.push(':');
            p.text.push_str(sql);
        }
    }
    for param in params {
        if !p.value(param.ty.base().wire(), &param.value, true) {
            return None;
        }
    }
    if param_types {
        p.text.push('&');
        for param in params {
            p.string(&param.ty.sql_name());
        }
    }
    Some(p)
}

/// The packed result and whether it is all ASCII (then created as a one-byte JS string
/// without another scan).
pub(crate) struct Packed {
    pub(crate) text: String,
    pub(crate) ascii: bool,
}

impl Packed {
    fn utf16_len(&mut self, s: &str) -> usize {
        if s.is_ascii() {
            s.len()
        } else {
            self.ascii = false;
            s.encode_utf16().count()
        }
    }

    fn string(&mut self, text: &str) {
        let n = self.utf16_len(text);
        self.text.push('"');
        self.text.push_str(itoa::Buffer::new().format(n));
        self.text.push(':');
        self.text.push_str(text);
    }

    /// One parameter value as the token of the JS value `convert::param_to_js` makes for
    /// it.
    fn value(&mut self, wire: PgType, v: &ParamValue, top: bool) -> bool {
        match (wire, v) {
            (_, ParamValue::Array(items)) => {
                if !top {
                    return false;
                }
                self.text.push('[');
                for item in items {
                    if !self.value(wire, item, false) {
                        return false;
                    }
                }
                self.text.push(']');
            }
            (_, ParamValue::Bool(b)) => self.text.push(if *b { 't' } else { 'f' }),
            (PgType::Float8, ParamValue::Float(f)) => return self.float(*f),
            (PgType::Float8, ParamValue::Int(i)) => return self.float(*i as f64),
            (_, ParamValue::Int(i)) => self.string(itoa::Buffer::new().format(*i)),
            (_, ParamValue::Text(s)) => self.string(s),
            (_, other) => self.string(&other.to_pg_text()),
        }
        true
    }

    /// A float8 as JSON number text, which JS reads back as exactly `f` (the shortest
    /// round-trip digits).
    fn float(&mut self, f: f64) -> bool {
        if !f.is_finite() {
            return false;
        }
        self.text.push('#');
        Value::Float(f).write_json(&mut self.text);
        self.text.push(';');
        true
    }
}
