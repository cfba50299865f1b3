//! `fraiseql_qb._native`: the PyO3 layer of the Python package. It converts types and maps
//! errors; everything else is qb-core (compiling) or qb-rollout (the rollout engine). The
//! Python package (`python/fraiseql_qb`) holds the conveniences.
//!
//! GIL policy: reading Python objects needs the GIL, so the query parse (the core's parser
//! walking the dicts in place, see `convert::Node`) always runs attached. The compile step
//! (name resolution + SQL rendering) then runs attached for small inputs, and detached
//! ([`Python::detach`]) when the parse read at least [`DETACH_NODES`] nodes. For a
//! typical query (tens of nodes, a few µs) releasing and re-taking the GIL would cost more
//! than it frees, and re-taking it can wait for another thread's switch interval; a large
//! query compiles long enough that letting other threads run is worth it.
//!
//! Every exported function and method runs inside [`boundary::guard`]: a panic reaches Python
//! as `InternalError` (`QB_INTERNAL`), never as `PanicException`.
#![forbid(unsafe_code)]

mod boundary;
mod convert;
mod error;
mod rollout;
mod sql_text;

use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use qb_core::{CompileOptions, Limits, ParamType, Placeholder, Query, SourceCompiled};
use smallvec::SmallVec;

use boundary::guard;
use convert::{ConvError, Doc};

/// Inputs with at least this many nodes (dict entries, list items, scalars; JSON text: one
/// per 16 bytes) compile with the GIL released.
pub const DETACH_NODES: usize = 1024;

/// A schema registry, parsed and validated once, reusable by any number of compiles (and
/// threads: the registry is immutable, its shape cache thread safe).
#[pyclass(frozen, module = "fraiseql_qb", name = "Schema")]
struct Schema {
    inner: qb_core::Schema,
    views: usize,
    /// The compiles of this registry, by query shape (qb-core's `ShapeCache`).
    cache: qb_core::ShapeCache,
    /// The GraphQL schema derived from `inner`, built on the first GraphQL compile; it
    /// owns the document cache of the GraphQL requests.
    graphql: std::sync::OnceLock<Result<qb_graphql::GraphqlSchema, qb_core::Error>>,
    /// The most documents (and query shapes) the GraphQL document cache keeps.
    graphql_cache_size: usize,
    /// Whether its hits may be bound (`None`: qb-graphql's default, on).
    graphql_bound_hits: Option<bool>,
    /// The `str` of each statement text `compile` returned lately (as many as `cache`
    /// keeps shapes): a hit's text is decoded once.
    sql_texts: sql_text::SqlTexts,
}

#[pymethods]
impl Schema {
    /// Builds the registry from a dict (or JSON text). Raises `InvalidSchemaError` (or
    /// `InvalidJsonError`, `DepthLimitError`, `InvalidValueError`) when it is malformed.
    /// `cache_size`: the most query shapes its cache keeps (`None`: the core's default,
    /// 1024; `0`: no cache). `graphql_cache_size`: the most GraphQL documents (and their
    /// query shapes) `fraiseql_qb.graphql.compile` keeps validated (`None`: 1024; `0`: none).
    /// `graphql_bound_hits`: whether a repeated request binds its variables straight into
    /// the cached statements (`None`: on; `False`: every hit lowers, to compare or measure).
    #[new]
    #[pyo3(signature = (doc, *, cache_size = None, graphql_cache_size = None, graphql_bound_hits = None))]
    fn new(
        py: Python<'_>,
        doc: &Bound<'_, PyAny>,
        cache_size: Option<usize>,
        graphql_cache_size: Option<usize>,
        graphql_bound_hits: Option<bool>,
    ) -> PyResult<Self> {
        guard(py, "Schema()", || {
            let mut s = Schema::build(py, doc)?;
            let cache_size = cache_size.unwrap_or(qb_core::ShapeCache::DEFAULT_CAPACITY);
            s.cache = qb_core::ShapeCache::new(cache_size);
            s.sql_texts = sql_text::SqlTexts::new(cache_size);
            s.graphql_cache_size =
                graphql_cache_size.unwrap_or(qb_graphql::DocumentCache::DEFAULT_CAPACITY);
            s.graphql_bound_hits = graphql_bound_hits;
            Ok(s)
        })
    }

    /// Compiles `query`'s shape once, for `Prepared.bind` / `Prepared.compile` on queries
    /// of the same shape. Raises as `compile` raises on `query`.
    #[pyo3(signature = (query, *, placeholder = None))]
    fn prepare(
        slf: &Bound<'_, Self>,
        query: &Bound<'_, PyAny>,
        placeholder: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Prepared> {
        let py = slf.py();
        guard(py, "Schema.prepare", || {
            let options = options_of(placeholder, None)?;
            let (query, _) = parse(py, query)?;
            let inner = slf
                .get()
                .inner
                .prepare(&query, &options)
                .map_err(|e| error::to_py(py, &e))?;
            Ok(Prepared {
                schema: slf.clone().unbind(),
                inner,
            })
        })
    }

    /// The shape cache's counters: `hits`, `misses`, `evictions`, `recompiles`, `len`,
    /// `capacity`, `bytes`.
    fn cache_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        guard(py, "Schema.cache_stats", || {
            shape_stats(py, &self.cache.stats())
        })
    }

    /// The GraphQL document cache's counters: `hits`, `misses`, `evictions`, `len`,
    /// `capacity`, `bytes`, and `shapes` (the counters of the shape cache its queries
    /// compile through, as `cache_stats`).
    fn graphql_cache_stats<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        guard(py, "Schema.graphql_cache_stats", || {
            let s = match self.graphql.get() {
                Some(Ok(g)) => g.cache_stats(),
                _ => qb_graphql::DocumentCache::new(self.graphql_cache_size).stats(),
            };
            let d = pyo3::types::PyDict::new(py);
            d.set_item("hits", s.hits)?;
            d.set_item("misses", s.misses)?;
            d.set_item("bound", s.bound)?;
            d.set_item("templates", s.templates)?;
            d.set_item("evictions", s.evictions)?;
            d.set_item("len", s.len)?;
            d.set_item("capacity", s.capacity)?;
            d.set_item("bytes", s.bytes)?;
            d.set_item("shapes", shape_stats(py, &s.shapes)?)?;
            Ok(d)
        })
    }

    fn __repr__(&self) -> String {
        format!("<fraiseql_qb.Schema with {} views>", self.views)
    }
}

impl Schema {
    fn build(py: Python<'_>, doc: &Bound<'_, PyAny>) -> PyResult<Self> {
        let converted = convert::document(doc, Doc::Schema).map_err(|e| e.into_py(py))?;
        let inner =
            qb_core::Schema::from_value(&converted.value).map_err(|e| error::to_py(py, &e))?;
        let views = converted.value.get("views").map_or(0, |v| match v {
            qb_core::Value::Object(entries) => entries.len(),
            _ => 0,
        });
        Ok(Schema {
            inner,
            views,
            cache: qb_core::ShapeCache::new(0),
            graphql: std::sync::OnceLock::new(),
            graphql_cache_size: qb_graphql::DocumentCache::DEFAULT_CAPACITY,
            graphql_bound_hits: None,
            sql_texts: sql_text::SqlTexts::new(0),
        })
    }

    fn graphql(&self) -> Result<&qb_graphql::GraphqlSchema, &qb_core::Error> {
        self.graphql
            .get_or_init(|| {
                qb_graphql::GraphqlSchema::new(self.inner.clone()).map(|g| {
                    let g = g.with_cache_capacity(self.graphql_cache_size);
                    if let Some(on) = self.graphql_bound_hits {
                        g.cache().set_bound_hits(on);
                    }
                    g
                })
            })
            .as_ref()
    }
}

/// A shape cache's counters as a dict.
fn shape_stats<'py>(
    py: Python<'py>,
    s: &qb_core::CacheStats,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let d = pyo3::types::PyDict::new(py);
    d.set_item("hits", s.hits)?;
    d.set_item("document_hits", s.document_hits)?;
    d.set_item("misses", s.misses)?;
    d.set_item("evictions", s.evictions)?;
    d.set_item("recompiles", s.recompiles)?;
    d.set_item("len", s.len)?;
    d.set_item("capacity", s.capacity)?;
    d.set_item("bytes", s.bytes)?;
    Ok(d)
}

/// A query shape compiled once (`Schema.prepare`): its SQL, and the parameters of any query
/// of the same shape (`bind`), validated exactly as `compile` validates them.
#[pyclass(frozen, module = "fraiseql_qb", name = "Prepared")]
struct Prepared {
    schema: Py<Schema>,
    inner: qb_core::Prepared,
}

#[pymethods]
impl Prepared {
    /// The SQL of every query of this shape.
    #[getter]
    fn sql(&self) -> &str {
        self.inner.sql()
    }

    /// The parameters' SQL types (`uuid`, `text[]`...), in placeholder order.
    #[getter]
    fn param_types(&self) -> Vec<String> {
        self.inner.param_types().map(|t| t.sql_name()).collect()
    }

    /// The parameters of `query` (a list for the driver). Raises `InvalidQueryError` when
    /// `query` has another shape, and as `compile` raises on a bad operand.
    fn bind<'py>(
        &self,
        py: Python<'py>,
        query: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(py, "Prepared.bind", || {
            let out = self.run(py, query)?;
            params_list(py, &out.params)
        })
    }

    /// The operands `bind_values` takes, in order: `(path, kind)` pairs, the path as errors
    /// name it (`where.email.eq`, `limit`) and what it takes (`uuid`, `list of text`,
    /// `count`, `string`, `object {from, to}`, `json`, `cursor`, `any`).
    #[getter]
    fn operands(&self) -> Vec<(String, String)> {
        self.inner
            .operands()
            .iter()
            .map(|o| (o.path.clone(), o.kind.to_string()))
            .collect()
    }

    /// The parameters of the prepared query with its operands (`operands`) replaced by
    /// `values` (a list or tuple, in that order): raises as `compile` raises on that query
    /// (the error's path is the operand's), and `InvalidQueryError` for a wrong number of
    /// values. The SQL is `sql`: no value changes it.
    fn bind_values<'py>(
        &self,
        py: Python<'py>,
        values: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(py, "Prepared.bind_values", || {
            let schema = &self.schema.get().inner;
            // The values read where they are (no `Value` per operand) when they all bind so;
            // otherwise converted and bound as below, which reports what is wrong.
            let walk = convert::Walk::default();
            let node = |o: Bound<'py, PyAny>| convert::Node::new(o, &walk);
            let list = values.cast::<PyList>().ok();
            let tuple = values.cast::<pyo3::types::PyTuple>().ok();
            let item = |i: usize| -> Option<Bound<'py, PyAny>> {
                match (list, tuple) {
                    (Some(l), _) => l.get_item(i).ok(),
                    (None, Some(t)) => t.get_item(i).ok(),
                    _ => None,
                }
            };
            let n = match (list, tuple) {
                (Some(l), _) => Some(l.len()),
                (None, Some(t)) => Some(t.len()),
                _ => None,
            };
            let fast = n.and_then(|n| {
                self.inner
                    .bind_sources_params(n, |i| item(i).map(node), schema)
            });
            if let Some(params) = fast {
                // A text parameter made from an exact `str` operand, unchanged, is that `str`.
                let items = params
                    .iter()
                    .zip(self.inner.param_operands())
                    .map(|(p, at)| convert::param_to_py_from(py, p, || item(at)))
                    .collect::<PyResult<SmallVec<[_; 8]>>>()?;
                return PyList::new(py, items);
            }
            let ops = self.inner.operands();
            let convert = |i: usize, item: &Bound<'py, PyAny>| {
                let path = ops.get(i).map_or("", |o| o.path.as_str());
                convert::operand(item, &qb_core::Path::ROOT.key(path)).map_err(|e| e.into_py(py))
            };
            let mut vals = Vec::with_capacity(ops.len());
            if let Ok(list) = values.cast::<PyList>() {
                for (i, item) in list.iter().enumerate() {
                    vals.push(convert(i, &item)?);
                }
            } else if let Ok(tuple) = values.cast::<pyo3::types::PyTuple>() {
                for (i, item) in tuple.iter().enumerate() {
                    vals.push(convert(i, &item)?);
                }
            } else {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "bind_values takes a list or tuple of operand values, got {}",
                    values.get_type().name()?
                )));
            }
            let params = self
                .inner
                .bind_values_params(&vals, schema)
                .map_err(|e| error::to_py(py, &e))?;
            params_list(py, &params)
        })
    }

    /// The operand values of `query` (of this shape) in `bind_values`'s order, as Python
    /// values (`InvalidQueryError` for another shape).
    fn operand_values<'py>(
        &self,
        py: Python<'py>,
        query: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(py, "Prepared.operand_values", || {
            let (query, _) = parse(py, query)?;
            let values = self
                .inner
                .operand_values(&query, &self.schema.get().inner)
                .map_err(|e| error::to_py(py, &e))?;
            let out = PyList::empty(py);
            for v in &values {
                out.append(convert::value_to_py_json(py, v)?)?;
            }
            Ok(out)
        })
    }

    /// `bind`, with the SQL: what `compile(query, schema)` returns.
    fn compile(&self, py: Python<'_>, query: &Bound<'_, PyAny>) -> PyResult<CompiledQuery> {
        guard(py, "Prepared.compile", || {
            let out = self.run(py, query)?;
            to_compiled(py, &out)
        })
    }

    fn __repr__(&self) -> String {
        format!("<fraiseql_qb.Prepared {:?}>", self.inner.sql())
    }
}

impl Prepared {
    fn run(&self, py: Python<'_>, query: &Bound<'_, PyAny>) -> PyResult<qb_core::CompiledQuery> {
        let (query, _) = parse(py, query)?;
        self.inner
            .compile(&query, &self.schema.get().inner)
            .map_err(|e| error::to_py(py, &e))
    }
}

/// Parameters as a Python list (made at its length, not grown).
fn params_list<'py>(py: Python<'py>, params: &[qb_core::Param]) -> PyResult<Bound<'py, PyList>> {
    let items = params
        .iter()
        .map(|p| convert::param_to_py(py, p))
        .collect::<PyResult<SmallVec<[_; 8]>>>()?;
    PyList::new(py, items)
}

/// A core result as a Python `CompiledQuery`.
fn to_compiled(py: Python<'_>, out: &qb_core::CompiledQuery) -> PyResult<CompiledQuery> {
    Ok(CompiledQuery {
        sql: PyString::new(py, &out.sql).unbind(),
        params: params_list(py, &out.params)?.unbind(),
        types: Some(out.params.iter().map(|p| p.ty).collect()),
    })
}

/// A Python `CompiledQuery` of `sql` and `params`, parameter `i` made from `host(i)` when
/// that is an equal object ([`convert::param_to_py_from`]).
fn compiled_from<'py>(
    py: Python<'py>,
    sql: Py<PyString>,
    params: &[qb_core::Param],
    host: impl Fn(usize) -> Option<Bound<'py, PyAny>>,
) -> PyResult<CompiledQuery> {
    let items = params
        .iter()
        .enumerate()
        .map(|(i, p)| convert::param_to_py_from(py, p, || host(i)))
        .collect::<PyResult<SmallVec<[_; 8]>>>()?;
    Ok(CompiledQuery {
        sql,
        params: PyList::new(py, items)?.unbind(),
        types: Some(params.iter().map(|p| p.ty).collect()),
    })
}

/// The result of a compile: SQL text and its parameters (Python values for the driver).
/// Unpacks as `(sql, params)`.
#[pyclass(frozen, module = "fraiseql_qb", name = "CompiledQuery")]
struct CompiledQuery {
    sql: Py<PyString>,
    params: Py<PyList>,
    /// SQL type names of the params (`uuid`, `text[]`...), when known.
    /// (Inline up to 8: a typical query's params cost no allocation.)
    types: Option<SmallVec<[ParamType; 8]>>,
}

#[pymethods]
impl CompiledQuery {
    /// A compiled query from parts (e.g. a legacy builder's `(sql, params)`).
    #[new]
    fn new(py: Python<'_>, sql: Bound<'_, PyString>, params: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(py, "CompiledQuery()", || {
            let list = match params.cast::<PyList>() {
                Ok(l) => l.clone(),
                Err(_) => PyList::new(py, params.try_iter()?.collect::<PyResult<Vec<_>>>()?)?,
            };
            Ok(CompiledQuery {
                sql: sql.unbind(),
                params: list.unbind(),
                types: None,
            })
        })
    }

    /// The SQL statement.
    #[getter]
    fn sql(&self, py: Python<'_>) -> Py<PyString> {
        self.sql.clone_ref(py)
    }

    /// The parameters, in placeholder order.
    #[getter]
    fn params(&self, py: Python<'_>) -> Py<PyList> {
        self.params.clone_ref(py)
    }

    /// The SQL type of each parameter (`"uuid"`, `"text[]"`...), or None for a query built
    /// from parts.
    #[getter]
    fn param_types(&self, py: Python<'_>) -> PyResult<Option<Vec<String>>> {
        guard(py, "CompiledQuery.param_types", || {
            Ok(self
                .types
                .as_ref()
                .map(|t| t.iter().map(|ty| ty.sql_name()).collect()))
        })
    }

    fn __len__(&self) -> usize {
        2
    }

    fn __getitem__(&self, py: Python<'_>, index: isize) -> PyResult<Py<PyAny>> {
        match index {
            0 | -2 => Ok(self.sql.clone_ref(py).into_any()),
            1 | -1 => Ok(self.params.clone_ref(py).into_any()),
            _ => Err(PyIndexError::new_err("CompiledQuery index out of range")),
        }
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        PyTuple::new(
            py,
            [self.sql.bind(py).as_any(), self.params.bind(py).as_any()],
        )?
        .into_any()
        .try_iter()
        .map(Bound::into_any)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        guard(py, "CompiledQuery.__eq__", || self.equals(py, other))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, "CompiledQuery.__repr__", || {
            Ok(format!(
                "CompiledQuery(sql={}, params={})",
                self.sql.bind(py).repr()?,
                self.params.bind(py).repr()?
            ))
        })
    }
}

impl CompiledQuery {
    fn equals(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let (sql, params) = if let Ok(o) = other.cast::<CompiledQuery>() {
            let o = o.get();
            (
                o.sql.bind(py).clone().into_any(),
                o.params.bind(py).clone().into_any(),
            )
        } else if let Ok(t) = other.cast::<PyTuple>() {
            if t.len() != 2 {
                return Ok(false);
            }
            (t.get_item(0)?, t.get_item(1)?)
        } else {
            return Ok(false);
        };
        Ok(self.sql.bind(py).as_any().eq(sql)? && self.params.bind(py).as_any().eq(params)?)
    }
}

pub(crate) fn placeholder(p: &Bound<'_, PyAny>) -> PyResult<Placeholder> {
    let s = p
        .cast::<PyString>()
        .map_err(|_| convert::type_error("placeholder", p))?;
    match s.to_str().unwrap_or_default() {
        "numbered" => Ok(Placeholder::Numbered),
        "format" => Ok(Placeholder::Format),
        other => Err(PyValueError::new_err(format!(
            "placeholder must be \"numbered\" or \"format\", got {other:?}"
        ))),
    }
}

/// Compile ``query`` (a dict or JSON text) against ``schema``.
///
/// ``schema`` is best a :class:`Schema` built once and reused; a dict or JSON text is parsed
/// and validated on every call. ``placeholder="numbered"`` writes ``$1, $2`` (asyncpg,
/// ``conn.fetch(q.sql, *q.params)``); ``"format"`` writes ``%s`` (psycopg 3,
/// ``cursor.execute(q.sql, q.params)``).
///
/// Returns a :class:`CompiledQuery` (``.sql``, ``.params``, unpacks as ``(sql, params)``).
/// Raises a :class:`QueryBuilderError` subclass with ``.code``, ``.path`` and ``.message``.
///
/// ``cursor_key`` (bytes) authenticates keyset pagination cursors (HMAC-SHA256): the
/// cursors of ``after``/``before`` must then be made by :func:`encode_cursor` with the same
/// key.
///
/// This is ``fraiseql_qb.compile`` itself (no Python wrapper in between: a wrapper's frame
/// cost about 5% of a medium compile).
#[pyfunction]
#[pyo3(signature = (query, schema, *, placeholder = None, cursor_key = None),
       text_signature = "(query, schema, *, placeholder='numbered', cursor_key=None)")]
fn compile(
    py: Python<'_>,
    query: &Bound<'_, PyAny>,
    schema: &Bound<'_, PyAny>,
    placeholder: Option<&Bound<'_, PyAny>>,
    cursor_key: Option<&[u8]>,
) -> PyResult<CompiledQuery> {
    guard(py, "compile", || {
        let options = options_of(placeholder, cursor_key)?;
        compile_options(py, query, schema, options)
    })
}

/// The compile options of a call's `placeholder` (default numbered) and `cursor_key`.
fn options_of(
    placeholder: Option<&Bound<'_, PyAny>>,
    cursor_key: Option<&[u8]>,
) -> PyResult<CompileOptions> {
    let placeholder = match placeholder {
        Some(p) => self::placeholder(p)?,
        None => Placeholder::Numbered,
    };
    let options = CompileOptions::default().with_placeholder(placeholder);
    Ok(match cursor_key {
        Some(key) => options.with_cursor_key(key),
        None => options,
    })
}

/// The cursor of a row of a keyset page, from its ``__cursor`` column (text), for
/// ``after``/``before``; signed when ``cursor_key`` (bytes) is given, which must then be the
/// key ``compile`` gets. Raises :class:`InvalidCursorError` for a value that is no
/// ``__cursor`` column.
#[pyfunction]
#[pyo3(signature = (row_cursor, *, cursor_key = None),
       text_signature = "(row_cursor, *, cursor_key=None)")]
fn encode_cursor(py: Python<'_>, row_cursor: &str, cursor_key: Option<&[u8]>) -> PyResult<String> {
    guard(py, "encode_cursor", || {
        let options = options_of(None, cursor_key)?;
        qb_core::encode_cursor(row_cursor, &options).map_err(|e| error::to_py(py, &e))
    })
}

/// `compile` with the placeholder style already parsed (the shim parses it once).
pub(crate) fn compile_with(
    py: Python<'_>,
    query: &Bound<'_, PyAny>,
    schema: &Bound<'_, PyAny>,
    placeholder: Placeholder,
) -> PyResult<CompiledQuery> {
    compile_options(
        py,
        query,
        schema,
        CompileOptions::default().with_placeholder(placeholder),
    )
}

/// `compile` with its options built.
fn compile_options(
    py: Python<'_>,
    query: &Bound<'_, PyAny>,
    schema: &Bound<'_, PyAny>,
    options: CompileOptions,
) -> PyResult<CompiledQuery> {
    boundary::injected_panic_point();
    let owned;
    // A dict or JSON text schema is built for this call, with no cache.
    let schema: &Schema = match schema.cast::<Schema>() {
        Ok(s) => s.get(),
        Err(_) => {
            owned = Schema::build(py, schema)?;
            &owned
        }
    };
    if !query.is_instance_of::<PyString>() {
        // A dict: read through the cache's document key, so a hit builds no query.
        let walk = convert::Walk::default();
        let node = || {
            walk.reset();
            convert::Node::new(query.clone(), &walk)
        };
        let out = schema
            .cache
            .compile_source_shared(node, &schema.inner, &options, |step| {
                run_step(py, walk.nodes(), step)
            })
            .map_err(|e| walk.error(py, &e))?;
        return match out {
            // A text parameter made from an exact `str` operand, unchanged, is that `str`
            // (as `Prepared.bind_values` gives it).
            SourceCompiled::Shared(q) => {
                compiled_from(py, schema.sql_texts.get(py, &q.sql), &q.params, |i| {
                    q.source(i).map(|n| n.object().clone())
                })
            }
            SourceCompiled::Compiled(out) => to_compiled(py, &out),
        };
    }
    // JSON text: parsed into a document, then read through the document key as a dict is
    // (a hit builds no query).
    let converted = convert::document(query, Doc::Query).map_err(|e| e.into_py(py))?;
    let value = &converted.value;
    let out = schema
        .cache
        .compile_source_shared(
            || value,
            &schema.inner,
            &options,
            |step| run_step(py, converted.nodes, step),
        )
        .map_err(|e| error::to_py(py, &e))?;
    match out {
        SourceCompiled::Shared(q) => {
            compiled_from(py, schema.sql_texts.get(py, &q.sql), &q.params, |_| None)
        }
        SourceCompiled::Compiled(out) => to_compiled(py, &out),
    }
}

/// Runs a compile step of a document of `nodes` input nodes: without the GIL from
/// [`DETACH_NODES`] on.
fn run_step(
    py: Python<'_>,
    nodes: usize,
    step: &qb_core::CompileStep<'_>,
) -> Result<qb_core::CompiledQuery, qb_core::Error> {
    if nodes >= DETACH_NODES {
        py.detach(step)
    } else {
        step()
    }
}

/// The query of a `compile` call and the number of input nodes read: a dict is read in place
/// by the core's parser; JSON text is parsed by the core.
fn parse(py: Python<'_>, query: &Bound<'_, PyAny>) -> PyResult<(Query, usize)> {
    if query.is_instance_of::<PyString>() {
        let converted = convert::document(query, Doc::Query).map_err(|e| e.into_py(py))?;
        let query = Query::from_owned_value(converted.value).map_err(|e| error::to_py(py, &e))?;
        return Ok((query, converted.nodes));
    }
    let walk = convert::Walk::default();
    let node = convert::Node::new(query.clone(), &walk);
    match Query::from_source(node, &Limits::default()) {
        Ok(query) => Ok((query, walk.nodes())),
        Err(e) => Err(walk.error(py, &e)),
    }
}

/// Compile a GraphQL request (``fraiseql_qb.graphql.compile`` wraps it): one entry per
/// root field, in response order: ``(response_key, CompiledQuery or None, single, value,
/// GraphqlConnection or None)``.
/// Raises the error class of the first error's code; ``.errors`` holds every error in the
/// GraphQL spec's shape.
#[pyfunction]
#[pyo3(signature = (document, variables, schema, *, operation_name = None, placeholder = None, cursor_key = None))]
fn graphql_compile<'py>(
    py: Python<'py>,
    document: &Bound<'py, PyString>,
    variables: &Bound<'py, PyAny>,
    schema: &Bound<'py, Schema>,
    operation_name: Option<&Bound<'py, PyString>>,
    placeholder: Option<&Bound<'py, PyAny>>,
    cursor_key: Option<&[u8]>,
) -> PyResult<Bound<'py, PyList>> {
    guard(py, "graphql.compile", || {
        let options = options_of(placeholder, cursor_key)?;
        let gql = schema.get().graphql().map_err(|e| error::to_py(py, e))?;
        let variables = if variables.is_none() {
            None
        } else {
            Some(
                convert::document(variables, Doc::Query)
                    .map_err(|e| e.into_py(py))?
                    .value,
            )
        };
        let document = document.to_str()?;
        let operation_name = operation_name.map(|n| n.to_str()).transpose()?;
        let request =
            qb_graphql::compile(document, variables.as_ref(), operation_name, gql, &options)
                .map_err(|e| error::graphql_to_py(py, &e))?;
        let out = PyList::empty(py);
        for field in &request.fields {
            let item = match field {
                qb_graphql::RootField::Sql {
                    response_key,
                    compiled,
                    single,
                    nested,
                    ..
                } => (
                    response_key.as_str(),
                    Some(graphql_statement(py, compiled)?),
                    *single,
                    py.None(),
                    None::<Py<GraphqlConnection>>,
                    nested
                        .as_ref()
                        .map(|n| Py::new(py, GraphqlNested(n.clone())))
                        .transpose()?,
                )
                    .into_pyobject(py)?,
                qb_graphql::RootField::Connection {
                    response_key,
                    compiled,
                    connection,
                    ..
                } => (
                    response_key.as_str(),
                    Some(graphql_statement(py, compiled)?),
                    false,
                    py.None(),
                    Some(Py::new(py, GraphqlConnection(connection.clone()))?),
                    None::<Py<GraphqlNested>>,
                )
                    .into_pyobject(py)?,
                qb_graphql::RootField::Constant {
                    response_key,
                    value,
                } => {
                    let value = match value {
                        qb_core::Value::Str(s) => PyString::new(py, s).into_any().unbind(),
                        _ => py.None(),
                    };
                    (
                        response_key.as_str(),
                        None::<Py<CompiledQuery>>,
                        false,
                        value,
                        None::<Py<GraphqlConnection>>,
                        None::<Py<GraphqlNested>>,
                    )
                        .into_pyobject(py)?
                }
                _ => continue,
            };
            out.append(item)?;
        }
        Ok(out)
    })
}

/// A GraphQL root field's statement as a `CompiledQuery`.
fn graphql_statement(
    py: Python<'_>,
    compiled: &qb_core::CompiledQuery,
) -> PyResult<Py<CompiledQuery>> {
    let params = PyList::empty(py);
    for p in &compiled.params {
        params.append(convert::param_to_py(py, p)?)?;
    }
    Py::new(
        py,
        CompiledQuery {
            sql: PyString::new(py, &compiled.sql).unbind(),
            params: params.unbind(),
            types: Some(compiled.params.iter().map(|p| p.ty).collect()),
        },
    )
}

/// How the rows of a GraphQL connection's statement become its response value (the core's
/// `qb_graphql::Connection`); ``fraiseql_qb.graphql.Request.assemble`` calls it.
#[pyclass(frozen, module = "fraiseql_qb", name = "GraphqlConnection")]
struct GraphqlConnection(qb_graphql::Connection);

#[pymethods]
impl GraphqlConnection {
    /// The statement's columns, in order (``data``, ``__cursor``, then the page info and
    /// total columns when selected).
    #[getter]
    fn columns(&self) -> Vec<&'static str> {
        self.0.columns()
    }

    /// The connection's response value (a dict) from the statement's rows: each row a
    /// sequence of the columns in ``columns`` order, or a mapping by column name. ``data``
    /// values are passed through untouched.
    fn assemble<'py>(
        &self,
        py: Python<'py>,
        rows: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, "GraphqlConnection.assemble", || {
            let columns = self.0.columns();
            let mut out = Vec::new();
            for row in rows.try_iter()? {
                let row = row?;
                let col = |i: usize| -> PyResult<Bound<'py, PyAny>> {
                    if row.is_instance_of::<pyo3::types::PyDict>() {
                        row.get_item(columns[i])
                    } else {
                        row.get_item(i)
                    }
                };
                let opt = |v: Bound<'py, PyAny>| (!v.is_none()).then_some(v);
                let data = opt(col(0)?).map(Bound::unbind);
                let cursor = opt(col(1)?).map(|c| c.extract::<String>()).transpose()?;
                let mut at = 2;
                let (mut has_next_page, mut has_previous_page, mut total_count) =
                    (None, None, None);
                if self.0.has_page_info() {
                    has_next_page = opt(col(2)?).map(|v| v.extract::<bool>()).transpose()?;
                    has_previous_page = opt(col(3)?).map(|v| v.extract::<bool>()).transpose()?;
                    at = 4;
                }
                if self.0.has_total_count() {
                    total_count = opt(col(at)?).map(|v| v.extract::<i64>()).transpose()?;
                }
                out.push(qb_graphql::ConnectionRow {
                    data,
                    cursor,
                    has_next_page,
                    has_previous_page,
                    total_count,
                });
            }
            // Nodes holding nested connections are finished as a field's rows are
            // (`GraphqlNested.finish`); a refusal is raised as the request's errors are.
            let value = self
                .0
                .assemble(out, |data, nested| {
                    finish_nested(py, nested, data.bind(py)).map(Bound::unbind)
                })
                .map_err(|e| e.into_py(py))?;
            response_to_py(py, value)
        })
    }
}

/// Where a GraphQL field's rows hold nested connections, and how each row's `data` becomes
/// the response's (the core's `qb_graphql::NestedConnections`);
/// ``fraiseql_qb.graphql.Request.assemble`` calls it.
#[pyclass(frozen, module = "fraiseql_qb", name = "GraphqlNested")]
struct GraphqlNested(qb_graphql::NestedConnections);

#[pymethods]
impl GraphqlNested {
    /// One row's ``data`` (a dict, or its JSON text) with its nested connections as the
    /// request selected them (encoded cursors, ``pageInfo``, ``nodes``, aliases).
    fn finish<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, "GraphqlNested.finish", || {
            finish_nested(py, &self.0, data).map_err(|e| e.into_py(py))
        })
    }
}

/// A failure of a GraphQL assembly: the core refused (raised as the request's errors are),
/// or Python did.
enum Assembly {
    Refused(qb_graphql::GraphqlError),
    Py(PyErr),
}

impl From<qb_graphql::GraphqlError> for Assembly {
    fn from(e: qb_graphql::GraphqlError) -> Self {
        Assembly::Refused(e)
    }
}

impl From<PyErr> for Assembly {
    fn from(e: PyErr) -> Self {
        Assembly::Py(e)
    }
}

impl Assembly {
    fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Assembly::Refused(e) => error::graphql_to_py(py, &qb_graphql::GraphqlErrors(vec![e])),
            Assembly::Py(e) => e,
        }
    }
}

/// One row's (or node's) `data` (a dict, or its JSON text) through
/// `NestedConnections::finish`, as Python data.
fn finish_nested<'py>(
    py: Python<'py>,
    nested: &qb_graphql::NestedConnections,
    data: &Bound<'py, PyAny>,
) -> Result<Bound<'py, PyAny>, Assembly> {
    let value = convert::document(data, Doc::Query)
        .map_err(|e| e.into_py(py))?
        .value;
    let done = nested.finish(value)?;
    Ok(convert::value_to_py_json(py, &done)?)
}

/// A GraphQL response value as Python data (rows' ``data`` as they came).
fn response_to_py<'py>(
    py: Python<'py>,
    v: qb_graphql::Response<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    use pyo3::IntoPyObjectExt;
    use qb_graphql::Response as R;
    Ok(match v {
        R::Bool(b) => b.into_bound_py_any(py)?,
        R::Int(i) => i.into_bound_py_any(py)?,
        R::Str(s) => s.into_bound_py_any(py)?,
        R::List(items) => {
            let list = PyList::empty(py);
            for i in items {
                list.append(response_to_py(py, i)?)?;
            }
            list.into_any()
        }
        R::Object(entries) => {
            let dict = pyo3::types::PyDict::new(py);
            for (k, v) in entries {
                dict.set_item(k, response_to_py(py, v)?)?;
            }
            dict.into_any()
        }
        R::Row(obj) => obj.into_bound(py),
        _ => py.None().into_bound(py),
    })
}

/// Converts `obj` like `compile` does and returns it as compact JSON text (for tests and
/// for describing inputs in shadow-mode reports).
#[pyfunction]
fn to_json(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    guard(py, "to_json", || {
        convert::document(obj, Doc::Query)
            .map(|c| c.value.to_json())
            .map_err(|e: ConvError| e.into_py(py))
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Schema>()?;
    m.add_class::<CompiledQuery>()?;
    m.add_class::<Prepared>()?;
    m.add_class::<GraphqlConnection>()?;
    m.add_class::<GraphqlNested>()?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(to_json, m)?)?;
    m.add_function(wrap_pyfunction!(encode_cursor, m)?)?;
    m.add_function(wrap_pyfunction!(graphql_compile, m)?)?;
    m.add_function(wrap_pyfunction!(error::error_classes, m)?)?;
    m.add_function(wrap_pyfunction!(boundary::inject_panics, m)?)?;
    m.add("DETACH_NODES", DETACH_NODES)?;
    m.add("MAX_INPUT_DEPTH", convert::MAX_DEPTH)?;
    error::register(m)?;
    rollout::register(m)?;
    Ok(())
}

/// The allocator of the extension's own (Rust) allocations; Python objects still use
/// Python's. Off with `maturin build --no-default-features`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
