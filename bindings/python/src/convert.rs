//! Type conversion only: Python objects -> the core's query parser ([`Node`], a
//! [`Source`]) or `qb_core::Value` (schemas, operands), typed params -> Python values.
//!
//! Nothing here knows SQL or validates a query: shape and value checks happen once, in
//! qb-core, which reads a query dict in place through [`Node`]. The conversions only refuse
//! what has no JSON form (bytes, sets, arbitrary objects, NaN/inf, non-string keys) and
//! operands nested deeper than [`MAX_DEPTH`] (so a cyclic dict is an error, not a stack
//! overflow; the parser's own depth limit covers selections and filters).
//!
//! Bounded work on hostile objects: a dict is read from a snapshot of its entries
//! ([`entries`]), so code that runs during the read (a key's `__eq__`, a value's `isoformat`,
//! another thread) cannot change what is being iterated; a list is read up to the length it had when the read began;
//! numbers beyond `i64` are converted without expanding them (a `Decimal` by its own text,
//! `1E+300000000` stays 12 bytes; an `int` by its bit length first, see
//! [`qb_core::Number::MAX_INTEGER_BITS`]), and the core's [`qb_core::Number`] checks the text.

use std::borrow::Cow;
use std::cell::Cell;

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use qb_core::ast::{Kind, Source};
use qb_core::{Error, ErrorKind, Number, Param, ParamValue, Path, PgType, Value};
use smallvec::SmallVec;

/// The UTF-8 text of a Python `str` (PyO3's own accessor: borrowed from the object, no copy);
/// `None` when it is not valid Unicode (a lone surrogate), with no Python exception left set.
fn utf8<'a>(s: &'a Bound<'_, PyString>) -> Option<&'a str> {
    s.to_str().ok()
}

/// The entries of a dict as they were when the read began. Iterating the dict while reading
/// its values panics in PyO3 when it changes size in between (a value's `isoformat` or
/// `__str__`, a key's `__eq__`, another thread may change it); so the entries are first
/// collected, with strong references, in one tight pass that runs no Python code (nothing
/// can change the dict during it), and then read. Up to 8 entries (most query dicts) stay on
/// the stack: the snapshot costs no allocation. A subclass is read through its storage, as
/// the rest of the walk reads it, whatever `keys()`/`__iter__` it defines.
type Entries<'py> = SmallVec<[(Bound<'py, PyAny>, Bound<'py, PyAny>); 8]>;

fn entries<'py>(d: &Bound<'py, PyDict>) -> Entries<'py> {
    d.iter().collect()
}

/// A float operand, or `QB_INVALID_VALUE` at `at` for NaN and the infinities.
fn float(v: f64, at: &Path<'_>) -> Result<Value, ConvError> {
    if !v.is_finite() {
        return Err(core(
            at,
            ErrorKind::InvalidValue,
            format!("{v} is not a finite number"),
        ));
    }
    Ok(Value::Float(v))
}

/// A number that is not an `i64`, as the core's checked [`Number`], or `QB_INVALID_VALUE` at
/// `at` (not a JSON number, or beyond PostgreSQL's `numeric` range).
fn number(text: String, at: &Path<'_>) -> Result<Value, ConvError> {
    Number::new(text)
        .map(Value::Decimal)
        .map_err(|e| core(at, ErrorKind::InvalidValue, e.to_string()))
}

/// An `int` beyond `i64`: refused by its bit length when it cannot fit `numeric` (before any
/// conversion: CPython's int-to-text is quadratic), else converted by `str()`. CPython 3.11+
/// refuses `str()` past 4300 digits (`sys.set_int_max_str_digits`): that is bad input too.
fn big_int(i: &Bound<'_, PyInt>, at: &Path<'_>) -> Result<Value, ConvError> {
    let py = i.py();
    let bits: u64 = i.call_method0(intern!(py, "bit_length"))?.extract()?;
    if bits > Number::MAX_INTEGER_BITS {
        return Err(core(
            at,
            ErrorKind::InvalidValue,
            format!(
                "an int of {bits} bits is outside PostgreSQL's numeric range (at most {} digits)",
                Number::MAX_INTEGER_DIGITS
            ),
        ));
    }
    match i.str() {
        Ok(s) => number(s.to_cow()?.into_owned(), at),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyValueError>(py) => Err(core(
            at,
            ErrorKind::InvalidValue,
            format!("an int of {bits} bits has too many digits to convert to text: {e}"),
        )),
        Err(e) => Err(e.into()),
    }
}
/// Deepest nesting accepted from Python (the core's own depth limit is lower; this one only
/// protects the walk itself, e.g. from cyclic dicts).
pub(crate) const MAX_DEPTH: usize = 128;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Which document is converted: decides the error kind of a shape problem.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Doc {
    Query,
    Schema,
}

impl Doc {
    fn shape_kind(self) -> ErrorKind {
        match self {
            Doc::Query => ErrorKind::InvalidQuery,
            Doc::Schema => ErrorKind::InvalidSchema,
        }
    }
}

/// A conversion failure: a core error (with the path of the offending node) or a Python
/// exception raised by a `__str__`/`isoformat` call on the way.
pub(crate) enum ConvError {
    Core(Error),
    Py(PyErr),
}

impl ConvError {
    /// The Python exception to raise.
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            ConvError::Py(e) => e,
            ConvError::Core(e) => crate::error::to_py(py, &e),
        }
    }

    /// The core error for the parser (a Python exception is kept in `walk`, to be raised as
    /// is; the core error returned then only stops the parse).
    fn into_core(self, at: &Path<'_>, walk: &Walk) -> Error {
        match self {
            ConvError::Core(e) => e,
            ConvError::Py(e) => {
                walk.py_err.set(Some(e));
                at.err(
                    ErrorKind::InvalidValue,
                    "a Python exception was raised here",
                )
            }
        }
    }
}

/// A Python `str` as Rust text; a lone surrogate (not encodable as UTF-8) is bad input, not an
/// interpreter error.
fn text(s: &Bound<'_, PyString>, at: &Path<'_>) -> Result<String, ConvError> {
    match utf8(s) {
        Some(t) => Ok(t.to_owned()),
        None => Err(core(at, ErrorKind::InvalidValue, NOT_UNICODE)),
    }
}

fn core(at: &Path<'_>, kind: ErrorKind, message: impl Into<String>) -> ConvError {
    ConvError::Core(at.err(kind, message))
}

const NOT_UNICODE: &str = "string is not valid Unicode (it holds a lone surrogate)";

impl From<PyErr> for ConvError {
    fn from(e: PyErr) -> Self {
        ConvError::Py(e)
    }
}

/// A converted document plus its node count (the GIL policy in lib.rs uses it).
pub(crate) struct Converted {
    pub(crate) value: Value,
    pub(crate) nodes: usize,
}

/// Converts a document: a JSON text (`str`) or a dict (or anything the walk accepts; the
/// core reports a wrong top-level type).
pub(crate) fn document(obj: &Bound<'_, PyAny>, doc: Doc) -> Result<Converted, ConvError> {
    if let Ok(s) = obj.cast::<PyString>() {
        let text = text(s, &Path::ROOT)?;
        let value = qb_core::json::parse_value(&text).map_err(ConvError::Core)?;
        // JSON text costs about as much per byte as a small node; a rough size is enough.
        return Ok(Converted {
            value,
            nodes: text.len() / 16,
        });
    }
    let mut walker = Walker { doc, nodes: 0 };
    let value = walker.walk(obj, 0, &Path::ROOT)?;
    Ok(Converted {
        value,
        nodes: walker.nodes,
    })
}

/// One operand value of a prepared query (`Prepared.bind_values`), converted as the same
/// value in a query dict is; a value with no JSON form fails at `at`, its operand's path.
pub(crate) fn operand(obj: &Bound<'_, PyAny>, at: &Path<'_>) -> Result<Value, ConvError> {
    Walker {
        doc: Doc::Query,
        nodes: 0,
    }
    .walk(obj, 0, at)
}

struct Walker {
    doc: Doc,
    nodes: usize,
}

impl Walker {
    fn walk(
        &mut self,
        obj: &Bound<'_, PyAny>,
        depth: usize,
        at: &Path<'_>,
    ) -> Result<Value, ConvError> {
        self.nodes += 1;
        let py = obj.py();
        // Exact types first (the common case), then subclasses and the richer types.
        if let Ok(s) = obj.cast_exact::<PyString>() {
            return Ok(Value::Str(text(s, at)?));
        }
        if obj.is_none() {
            return Ok(Value::Null);
        }
        if let Ok(f) = obj.cast_exact::<PyFloat>() {
            return float(f.value(), at);
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return Ok(Value::Bool(b.is_true()));
        }
        if let Ok(i) = obj.cast::<PyInt>() {
            return match i.extract::<i64>() {
                Ok(v) => Ok(Value::Int(v)),
                Err(_) => big_int(i, at),
            };
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            self.check_depth(depth, at)?;
            let d = entries(d);
            let mut out = Vec::with_capacity(d.len());
            for (k, v) in d {
                let Ok(ks) = k.cast::<PyString>() else {
                    let msg = format!(
                        "object keys must be strings, got {}",
                        type_name(&k).unwrap_or(Cow::Borrowed("?"))
                    );
                    return Err(core(at, self.doc.shape_kind(), msg));
                };
                let Some(key) = utf8(ks) else {
                    return Err(core(&at.key("<key>"), ErrorKind::InvalidValue, NOT_UNICODE));
                };
                let value = self.walk(&v, depth + 1, &at.key(key))?;
                out.push((key.to_owned(), value));
            }
            return Ok(Value::Object(out));
        }
        if let Ok(l) = obj.cast::<PyList>() {
            self.check_depth(depth, at)?;
            let mut items = Vec::with_capacity(l.len());
            for (i, item) in l.iter().enumerate() {
                items.push(self.walk(&item, depth + 1, &at.index(i))?);
            }
            return Ok(Value::List(items));
        }
        if let Ok(t) = obj.cast::<PyTuple>() {
            self.check_depth(depth, at)?;
            let mut items = Vec::with_capacity(t.len());
            for (i, item) in t.iter().enumerate() {
                items.push(self.walk(&item, depth + 1, &at.index(i))?);
            }
            return Ok(Value::List(items));
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            return float(f.value(), at);
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Value::Str(text(s, at)?));
        }
        if obj.is_instance(DECIMAL.import(py, "decimal", "Decimal")?)? {
            if !obj.call_method0(intern!(py, "is_finite"))?.is_truthy()? {
                return Err(core(
                    at,
                    ErrorKind::InvalidValue,
                    format!("Decimal('{}') is not a finite number", obj.str()?.to_cow()?),
                ));
            }
            // Its own text (`1E+3`, `1E+300000000`): a JSON number, never expanded; the core
            // checks it against numeric's range and reads exponents where it needs integers.
            return number(obj.str()?.to_cow()?.into_owned(), at);
        }
        if obj.is_instance(UUID.import(py, "uuid", "UUID")?)? {
            return Ok(Value::Str(obj.str()?.to_cow()?.into_owned()));
        }
        if obj.is_instance(DATETIME.import(py, "datetime", "datetime")?)?
            || obj.is_instance(DATE.import(py, "datetime", "date")?)?
        {
            let text = obj.call_method0(intern!(py, "isoformat"))?;
            return Ok(Value::Str(
                text.cast::<PyString>()
                    .map_err(PyErr::from)?
                    .to_cow()?
                    .into_owned(),
            ));
        }
        Err(core(
            at,
            ErrorKind::InvalidValue,
            format!(
                "a value of Python type `{}` has no JSON form (use dict, list, str, int, \
                 float, bool, None, Decimal, UUID, date or datetime)",
                type_name(obj).unwrap_or(Cow::Borrowed("?"))
            ),
        ))
    }

    fn check_depth(&self, depth: usize, at: &Path<'_>) -> Result<(), ConvError> {
        if depth >= MAX_DEPTH {
            return Err(core(
                at,
                ErrorKind::DepthLimit,
                format!("input nested deeper than {MAX_DEPTH} levels (or cyclic)"),
            ));
        }
        Ok(())
    }
}

fn type_name<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, str>> {
    Ok(Cow::Owned(
        obj.get_type().qualname()?.to_cow()?.into_owned(),
    ))
}

/// A string argument that must be a `str` (rollout keys, placeholder names).
pub(crate) fn type_error(what: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!(
        "{what} must be a str, got {}",
        type_name(obj).unwrap_or(Cow::Borrowed("?"))
    ))
}

// ---------------------------------------------------------------------------------------
// A query dict read in place by the core's parser

/// What the nodes of one query walk share: how many nodes were read (the GIL policy in lib.rs
/// uses it) and the first Python exception raised on the way, which is re-raised as is.
#[derive(Default)]
pub(crate) struct Walk {
    nodes: Cell<usize>,
    py_err: Cell<Option<PyErr>>,
}

impl Walk {
    /// The number of nodes read so far.
    pub(crate) fn nodes(&self) -> usize {
        self.nodes.get()
    }

    /// Forgets what an earlier read counted and raised (a document read again from its
    /// root).
    pub(crate) fn reset(&self) {
        self.nodes.set(0);
        self.py_err.set(None);
    }

    fn count(&self, n: usize) {
        self.nodes.set(self.nodes.get() + n);
    }

    /// The exception for a parse error: the Python exception behind it, if there was one.
    pub(crate) fn error(&self, py: Python<'_>, e: &Error) -> PyErr {
        match self.py_err.take() {
            Some(pe) => pe,
            None => crate::error::to_py(py, e),
        }
    }
}

/// One Python object of a query document, as the core's parser reads it
/// ([`qb_core::Query::from_source`]): keys and strings are borrowed, never copied unless the
/// AST keeps them; operands become `Value`s through the same walk as schemas.
pub(crate) struct Node<'w, 'py> {
    obj: Bound<'py, PyAny>,
    walk: &'w Walk,
}

impl<'w, 'py> Node<'w, 'py> {
    pub(crate) fn new(obj: Bound<'py, PyAny>, walk: &'w Walk) -> Self {
        Node { obj, walk }
    }

    /// The Python object of this node.
    pub(crate) fn object(&self) -> &Bound<'py, PyAny> {
        &self.obj
    }

    fn value(&self, at: &Path<'_>) -> Result<Value, Error> {
        let mut walker = Walker {
            doc: Doc::Query,
            nodes: 0,
        };
        let out = walker
            .walk(&self.obj, 0, at)
            .map_err(|e| e.into_core(at, self.walk));
        self.walk.count(walker.nodes);
        out
    }
}

impl<'py> Source for Node<'_, 'py> {
    fn kind(&self, at: &Path<'_>) -> Result<Kind, Error> {
        self.walk.count(1);
        let obj = &self.obj;
        // The parser's common cases first: exact str, dict, list, int, float (a pointer
        // compare each; the subclass checks are calls).
        if obj.is_exact_instance_of::<PyString>() {
            return Ok(Kind::Str);
        }
        if obj.is_exact_instance_of::<PyDict>() {
            return Ok(Kind::Object);
        }
        if obj.is_exact_instance_of::<PyList>() {
            return Ok(Kind::List);
        }
        // An exact int (never a bool: bool is a subclass) and an exact float.
        if let Ok(i) = obj.cast_exact::<PyInt>() {
            return Ok(i.extract::<i64>().map_or(Kind::Number, Kind::Int));
        }
        if obj.is_exact_instance_of::<PyFloat>() {
            return Ok(Kind::Number);
        }
        if obj.is_instance_of::<PyDict>() {
            return Ok(Kind::Object);
        }
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            return Ok(Kind::List);
        }
        if obj.is_none() {
            return Ok(Kind::Null);
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return Ok(Kind::Bool(b.is_true()));
        }
        if let Ok(i) = obj.cast::<PyInt>() {
            return Ok(i.extract::<i64>().map_or(Kind::Number, Kind::Int));
        }
        if obj.is_instance_of::<PyFloat>() {
            return Ok(Kind::Number);
        }
        if obj.is_instance_of::<PyString>() {
            return Ok(Kind::Str);
        }
        // Decimal (a number), UUID, date, datetime (their text), or a value with no JSON
        // form (the walk's error).
        Ok(match self.value(at)? {
            Value::Str(_) => Kind::Str,
            _ => Kind::Number,
        })
    }

    fn kind_text(&self, at: &Path<'_>) -> Result<(Kind, Option<Cow<'_, str>>), Error> {
        // An exact str (most strings of a query) read once.
        if let Ok(s) = self.obj.cast_exact::<PyString>() {
            self.walk.count(1);
            let text = utf8(s).ok_or_else(|| at.err(ErrorKind::InvalidValue, NOT_UNICODE))?;
            return Ok((Kind::Str, Some(Cow::Borrowed(text))));
        }
        let kind = self.kind(at)?;
        let text = match kind {
            Kind::Str => Some(self.str(at)?),
            _ => None,
        };
        Ok((kind, text))
    }

    fn str(&self, at: &Path<'_>) -> Result<Cow<'_, str>, Error> {
        let obj = &self.obj;
        if let Ok(s) = obj
            .cast_exact::<PyString>()
            .or_else(|_| obj.cast::<PyString>())
        {
            return utf8(s)
                .map(Cow::Borrowed)
                .ok_or_else(|| at.err(ErrorKind::InvalidValue, NOT_UNICODE));
        }
        // A UUID, date or datetime: its text, as an operand would have it.
        match self.value(at)? {
            Value::Str(ref mut s) => Ok(Cow::Owned(std::mem::take(s))),
            other => Err(at.err(
                ErrorKind::InvalidQuery,
                format!("expected a string, found {}", other.type_name()),
            )),
        }
    }

    fn len(&self) -> usize {
        let obj = &self.obj;
        if let Ok(d) = obj.cast::<PyDict>() {
            d.len()
        } else if let Ok(l) = obj.cast::<PyList>() {
            l.len()
        } else if let Ok(t) = obj.cast::<PyTuple>() {
            t.len()
        } else {
            0
        }
    }

    fn entries<F>(self, at: &Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(&str, Self) -> Result<(), Error>,
    {
        let Ok(dict) = self.obj.cast::<PyDict>() else {
            return Ok(());
        };
        let walk = self.walk;
        let mut entry = |k: Bound<'py, PyAny>, v| {
            // An exact str first (a pointer compare; the subclass check is a call).
            let Ok(ks) = k.cast_exact::<PyString>().or_else(|_| k.cast::<PyString>()) else {
                return Err(at.err(
                    ErrorKind::InvalidQuery,
                    format!(
                        "object keys must be strings, got {}",
                        type_name(&k).unwrap_or(Cow::Borrowed("?"))
                    ),
                ));
            };
            let Some(key) = utf8(ks) else {
                return Err(at.key("<key>").err(ErrorKind::InvalidValue, NOT_UNICODE));
            };
            f(key, Node::new(v, walk))
        };
        // One entry (most filter objects): nothing is read from the dict after it, so it
        // needs no snapshot.
        if dict.len() == 1 {
            return match dict.iter().next() {
                Some((k, v)) => entry(k, v),
                None => Ok(()),
            };
        }
        for (k, v) in entries(dict) {
            entry(k, v)?;
        }
        Ok(())
    }

    fn items<F>(self, _at: &Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(usize, Self) -> Result<(), Error>,
    {
        if let Ok(list) = self.obj.cast::<PyList>() {
            for (i, item) in list.iter().enumerate() {
                f(i, Node::new(item, self.walk))?;
            }
        } else if let Ok(tuple) = self.obj.cast::<PyTuple>() {
            for (i, item) in tuple.iter().enumerate() {
                f(i, Node::new(item, self.walk))?;
            }
        }
        Ok(())
    }

    fn into_value(self, at: &Path<'_>) -> Result<Value, Error> {
        self.value(at)
    }

    /// Another reference to the same object: a document hit binds the operand from it in
    /// place (its `str`'s UTF-8 borrowed, no `Value` built).
    fn share(&self) -> Option<Self> {
        Some(Node::new(self.obj.clone(), self.walk))
    }
}

// ---------------------------------------------------------------------------------------
// Params -> Python

/// A query operand as the Python value a query dict holds for it (`Prepared.operand_values`):
/// numbers beyond int and float as `Decimal`, objects as dicts.
pub(crate) fn value_to_py_json<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(f) => f.into_pyobject(py)?.into_any(),
        Value::Decimal(d) => DECIMAL
            .import(py, "decimal", "Decimal")?
            .call1((d.as_str(),))?,
        Value::Str(s) => PyString::new(py, s).into_any(),
        Value::List(items) => {
            let out = PyList::empty(py);
            for item in items {
                out.append(value_to_py_json(py, item)?)?;
            }
            out.into_any()
        }
        Value::Object(entries) => {
            let out = PyDict::new(py);
            for (k, item) in entries {
                out.set_item(k, value_to_py_json(py, item)?)?;
            }
            out.into_any()
        }
    })
}

/// The Python value a driver expects for one parameter, chosen by the wire type of its base
/// type (`param.ty.base().wire()`); arrays become lists of such values.
pub(crate) fn param_to_py<'py>(py: Python<'py>, p: &Param) -> PyResult<Bound<'py, PyAny>> {
    value_to_py(py, p.ty.base().wire(), &p.value)
}

/// [`param_to_py`], or `host` itself (the operand the parameter was made from) when that is
/// an object equal to the one [`param_to_py`] would build, of the same type: an exact `str`
/// with the parameter's text, for a parameter sent as a `str`; for an array of such, a new
/// list of the host list's own items when each is one (`host` is called only for those). Anything else (a `str`
/// subclass, other text, another type) is built as [`param_to_py`] builds it.
pub(crate) fn param_to_py_from<'py>(
    py: Python<'py>,
    p: &Param,
    host: impl FnOnce() -> Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let reusable = matches!(p.value, ParamValue::Text(_) | ParamValue::Array(_))
        && sent_as_str(p.ty.base().wire());
    if let Some(host) = reusable.then(host).flatten() {
        match &p.value {
            ParamValue::Text(s) if same_str(&host, s) => return Ok(host),
            ParamValue::Array(items) => {
                if let Ok(l) = host.cast_exact::<PyList>() {
                    let same = l.len() == items.len()
                        && l.iter().zip(items).all(|(h, v)| match v {
                            ParamValue::Text(s) => same_str(&h, s),
                            _ => false,
                        });
                    if same {
                        // No Python code ran since the check: the copy holds those items.
                        return Ok(l.get_slice(0, l.len()).into_any());
                    }
                }
            }
            _ => {}
        }
    }
    param_to_py(py, p)
}

/// Whether [`value_to_py`] sends a text parameter of this wire type as a `str`.
fn sent_as_str(wire: PgType) -> bool {
    !matches!(
        wire,
        PgType::Boolean
            | PgType::Bigint
            | PgType::Float8
            | PgType::Numeric
            | PgType::Uuid
            | PgType::Date
            | PgType::Timestamptz
    )
}

/// Whether `obj` is an exact `str` whose text is `s` (a lone surrogate never is).
fn same_str(obj: &Bound<'_, PyAny>, s: &str) -> bool {
    obj.cast_exact::<PyString>()
        .is_ok_and(|o| utf8(o) == Some(s))
}

fn value_to_py<'py>(py: Python<'py>, wire: PgType, v: &ParamValue) -> PyResult<Bound<'py, PyAny>> {
    if let ParamValue::Array(items) = v {
        let list = PyList::empty(py);
        for item in items {
            list.append(value_to_py(py, wire, item)?)?;
        }
        return Ok(list.into_any());
    }
    match (wire, v) {
        (PgType::Boolean, ParamValue::Bool(b)) => Ok(PyBool::new(py, *b).to_owned().into_any()),
        (PgType::Bigint, ParamValue::Int(i)) => Ok(i.into_pyobject(py)?.into_any()),
        (PgType::Float8, ParamValue::Float(f)) => Ok(PyFloat::new(py, *f).into_any()),
        (PgType::Float8, ParamValue::Int(i)) => Ok(PyFloat::new(py, *i as f64).into_any()),
        (PgType::Numeric, ParamValue::Text(s)) => DECIMAL
            .import(py, "decimal", "Decimal")?
            .call1((s.as_str(),)),
        (PgType::Numeric, v) => DECIMAL
            .import(py, "decimal", "Decimal")?
            .call1((v.to_pg_text(),)),
        (PgType::Uuid, ParamValue::Text(s)) => UUID.import(py, "uuid", "UUID")?.call1((s,)),
        (PgType::Date, ParamValue::Text(s)) => DATE
            .import(py, "datetime", "date")?
            .call_method1(intern!(py, "fromisoformat"), (s,)),
        (PgType::Timestamptz, ParamValue::Text(s)) => {
            let iso = normalize_timestamp(s);
            match DATETIME
                .import(py, "datetime", "datetime")?
                .call_method1(intern!(py, "fromisoformat"), (iso.as_ref(),))
            {
                Ok(dt) => Ok(dt),
                // Valid for PostgreSQL but not for `datetime` (e.g. a leap second): send the
                // text; the SQL casts it.
                Err(_) => Ok(PyString::new(py, s).into_any()),
            }
        }
        (PgType::Bigint, ParamValue::Text(s)) => {
            // Exact text that does not fit i64 (never produced today; keep the value exact).
            py.get_type::<PyInt>().call1((s,))
        }
        (_, ParamValue::Text(s)) => Ok(PyString::new(py, s).into_any()),
        (_, other) => Ok(PyString::new(py, &other.to_pg_text()).into_any()),
    }
}

/// ISO 8601 text as `datetime.fromisoformat` of Python 3.9/3.10 reads it: `Z` -> `+00:00`,
/// `+HHMM`/`+HH` -> `+HH:MM`, fractions padded or cut to 6 digits. Anything else unchanged.
fn normalize_timestamp(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    if b.len() < 16 {
        return Cow::Borrowed(s);
    }
    // Split date-time from the zone.
    let (body, zone) = if let Some(stripped) = s.strip_suffix(['Z', 'z']) {
        (stripped, String::from("+00:00"))
    } else {
        match s[11..].rfind(['+', '-']) {
            Some(i) => {
                let (body, tz) = s.split_at(11 + i);
                let (sign, digits) = tz.split_at(1);
                let zone = match digits.len() {
                    2 => format!("{sign}{digits}:00"),
                    4 => format!("{sign}{}:{}", &digits[..2], &digits[2..]),
                    _ => tz.to_owned(),
                };
                (body, zone)
            }
            None => return Cow::Borrowed(s),
        }
    };
    let mut out = String::with_capacity(body.len() + 10);
    match body.split_once('.') {
        Some((main, frac)) => {
            out.push_str(main);
            out.push('.');
            let f: String = frac.chars().take(6).collect();
            out.push_str(&f);
            for _ in f.len()..6 {
                out.push('0');
            }
        }
        None => out.push_str(body),
    }
    // `HH:MM` without seconds is fine for 3.11+, but not for 3.9: add `:00`.
    if out.len() == 16 {
        out.push_str(":00");
    }
    out.push_str(&zone);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::normalize_timestamp;

    #[test]
    fn timestamps_normalize_for_old_pythons() {
        assert_eq!(
            normalize_timestamp("2024-01-31T10:00:00Z"),
            "2024-01-31T10:00:00+00:00"
        );
        assert_eq!(
            normalize_timestamp("2024-01-31 10:00:00.123+02:00"),
            "2024-01-31 10:00:00.123000+02:00"
        );
        assert_eq!(
            normalize_timestamp("2024-01-31T10:00+0530"),
            "2024-01-31T10:00:00+05:30"
        );
        assert_eq!(
            normalize_timestamp("2024-01-31T10:00:00-03"),
            "2024-01-31T10:00:00-03:00"
        );
    }
}
