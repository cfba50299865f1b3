//! The GraphQL entry point: a GraphQL request (document, variables JSON text, operation
//! name) compiled against a schema's GraphQL schema into one statement per root field, each
//! read with the `fqb_compiled_*` functions. Types are converted here and nothing else.

use std::ffi::{CStr, CString, c_char};

use qb_core::{CompileOptions, Value};

use crate::error::{Failure, c_string, fqb_error, fqb_result};
use crate::panic::{self, Out, handle};
use crate::{fqb_buffer, fqb_compiled, fqb_options, fqb_schema, fqb_str, from_core};

/// One root field of a compiled request.
#[derive(Debug)]
struct Field {
    key: CString,
    /// The statement; `None` for a field known without SQL.
    compiled: Option<fqb_compiled>,
    single: bool,
    /// The value of a field known without SQL, as JSON text.
    value: Option<CString>,
    /// The columns of the statement's rows, in order (none without a statement).
    columns: Vec<CString>,
    /// How the rows become the field's value.
    shape: Shape,
}

/// How a field's rows become its response value (the core's assemblers).
#[derive(Debug)]
enum Shape {
    /// Each row's `data` (through `NestedConnections::finish` when it holds nested
    /// connections): the first or `null` when `single`, else the list.
    Rows(Option<qb_graphql::NestedConnections>),
    /// A root connection: `Connection::assemble` of the rows.
    Connection(qb_graphql::Connection),
    /// A value known without SQL.
    Constant,
}

/// A compiled GraphQL request: its root fields in response order. Each field with SQL is
/// one statement (`fqb_graphql_request_field_compiled`, read like `fqb_compile`'s output);
/// the caller runs it and hands its rows' column texts to
/// `fqb_graphql_request_field_assemble`, which returns the field's response value (list,
/// single object, connection, nested connections shaped by the core); the response is
/// `{"data": {key: value, …}}`. Immutable; free it once with `fqb_graphql_request_free`.
#[derive(Debug)]
pub struct fqb_graphql_request {
    fields: Vec<Field>,
}

/// The counters of a schema's GraphQL document cache.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fqb_graphql_cache_stats {
    /// Requests whose validated document was found (no parse, no validation).
    pub hits: u64,
    /// Requests parsed and validated (refused ones included).
    pub misses: u64,
    /// Documents dropped to make room.
    pub evictions: u64,
    /// Documents cached now.
    pub len: usize,
    /// The most documents kept (0: no cache).
    pub capacity: usize,
    /// Approximate bytes of the cached keys and templates.
    pub bytes: usize,
    /// Hits whose variables were bound straight into the root fields' prepared statements
    /// (no lowering; counted among `hits`).
    pub bound: u64,
    /// Variable fingerprints whose templates are kept (at most `capacity`).
    pub templates: usize,
}

fn graphql_schema(schema: &fqb_schema) -> Result<&qb_graphql::GraphqlSchema, Failure> {
    schema
        .graphql
        .get_or_init(|| {
            qb_graphql::GraphqlSchema::new(schema.inner.clone())
                .map(|g| g.with_cache_capacity(schema.cache.stats().capacity))
        })
        .as_ref()
        .map_err(|e| Failure::from(e.clone()))
}

fn refused(errors: &qb_graphql::GraphqlErrors) -> Failure {
    let first = errors.first();
    Failure {
        status: fqb_result::of_kind(first.kind),
        path: first.ast_path.clone().unwrap_or_default(),
        message: first.message.clone(),
        legacy_status: 0,
        graphql_errors: Some(errors.to_json()),
    }
}

/// Compiles a GraphQL request (docs/graphql.md) against the GraphQL schema derived from
/// `schema` (made on the first call, with a document cache: a repeated document is not
/// parsed or validated again). `variables` is a JSON object's text (NULL with length 0: no
/// variables); `operation_name` picks the operation (NULL with length 0: the only one).
/// `options` NULL means the defaults. On success writes a new handle to `*request_out`
/// (free with `fqb_graphql_request_free`).
///
/// Errors: the first error's status (`FQB_GRAPHQL_INVALID` for a request GraphQL refuses,
/// the core's otherwise) with every error as JSON text in `fqb_error_graphql_errors`;
/// `FQB_INVALID_JSON` for variables that are not JSON; `FQB_NULL_PARAMETER`,
/// `FQB_INVALID_UTF8`.
///
/// # Safety
/// `schema` is a live schema handle; `document` is valid for reading `document_len` bytes;
/// `variables` and `operation_name` likewise or NULL with length 0; `options` is NULL or a
/// live options handle; `request_out` is writable; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn fqb_graphql_compile(
    schema: *const fqb_schema,
    document: *const c_char,
    document_len: usize,
    variables: *const c_char,
    variables_len: usize,
    operation_name: *const c_char,
    operation_name_len: usize,
    options: *const fqb_options,
    request_out: *mut *mut fqb_graphql_request,
    error_out: *mut *mut fqb_error,
) -> fqb_result {
    panic::status(error_out, || {
        let schema = unsafe { handle(schema, "schema") }?;
        let document = unsafe { panic::text(document, document_len, "document") }?;
        let variables = if variables.is_null() && variables_len == 0 {
            None
        } else {
            Some(unsafe { panic::text(variables, variables_len, "variables") }?)
        };
        let operation_name = if operation_name.is_null() && operation_name_len == 0 {
            None
        } else {
            Some(unsafe { panic::text(operation_name, operation_name_len, "operation_name") }?)
        };
        let out = unsafe { Out::new(request_out, "request_out") }?;
        let default = CompileOptions::default();
        let options = unsafe { options.as_ref() }.map_or(&default, |o| &o.inner);
        let gql = graphql_schema(schema)?;
        let variables = variables.map(qb_core::json::parse_value).transpose()?;
        let request =
            qb_graphql::compile(document, variables.as_ref(), operation_name, gql, options)
                .map_err(|e| refused(&e))?;
        let mut fields = Vec::with_capacity(request.fields.len());
        for f in request.fields {
            let key = c_string(f.response_key());
            fields.push(match f {
                qb_graphql::RootField::Sql {
                    compiled,
                    single,
                    nested,
                    ..
                } => Field {
                    key,
                    compiled: Some(from_core(compiled)?),
                    single,
                    value: None,
                    columns: vec![c_string("data")],
                    shape: Shape::Rows(nested),
                },
                qb_graphql::RootField::Connection {
                    compiled,
                    connection,
                    ..
                } => Field {
                    key,
                    compiled: Some(from_core(compiled)?),
                    single: false,
                    value: None,
                    columns: connection.columns().into_iter().map(c_string).collect(),
                    shape: Shape::Connection(connection),
                },
                qb_graphql::RootField::Constant { value, .. } => Field {
                    key,
                    compiled: None,
                    single: false,
                    value: Some(c_string(&value.to_json())),
                    columns: Vec::new(),
                    shape: Shape::Constant,
                },
                // `RootField` is non-exhaustive: a kind this binding does not know yet is
                // refused at its path rather than dropped.
                other => {
                    return Err(Failure {
                        status: fqb_result::FQB_UNSUPPORTED,
                        path: String::new(),
                        message: format!(
                            "root field `{}` is of a kind the C binding does not shape",
                            other.response_key()
                        ),
                        legacy_status: 0,
                        graphql_errors: None,
                    });
                }
            });
        }
        out.put(Box::into_raw(Box::new(fqb_graphql_request { fields })));
        Ok(())
    })
}

/// Field `index` of a request handle.
///
/// # Safety
/// `request` is NULL or a live request handle (which outlives the borrow).
unsafe fn field<'a>(request: *const fqb_graphql_request, index: usize) -> Option<&'a Field> {
    unsafe { request.as_ref() }?.fields.get(index)
}

/// The number of root fields (0 for NULL).
///
/// # Safety
/// `request` is NULL or a live request handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_field_count(
    request: *const fqb_graphql_request,
) -> usize {
    panic::value(0, || {
        unsafe { request.as_ref() }.map_or(0, |r| r.fields.len())
    })
}

/// The response key of field `index` (the alias, else the field name); `{NULL, 0}` when
/// `index` is out of range or `request` is NULL. Valid until the request is freed.
///
/// # Safety
/// `request` is NULL or a live request handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_field_key(
    request: *const fqb_graphql_request,
    index: usize,
) -> fqb_str {
    panic::value(fqb_str::NONE, || {
        unsafe { field(request, index) }.map_or(fqb_str::NONE, |f| {
            fqb_str::of_nul_terminated(f.key.as_bytes())
        })
    })
}

/// The statement of field `index`, read with the `fqb_compiled_*` functions (do not free
/// it: the request owns it); NULL for a field known without SQL (`fqb_graphql_request_field_value`)
/// and when `index` is out of range. Valid until the request is freed.
///
/// # Safety
/// `request` is NULL or a live request handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_field_compiled(
    request: *const fqb_graphql_request,
    index: usize,
) -> *const fqb_compiled {
    panic::value(std::ptr::null(), || {
        unsafe { field(request, index) }
            .and_then(|f| f.compiled.as_ref())
            .map_or(std::ptr::null(), |c| c as *const fqb_compiled)
    })
}

/// Whether field `index` is one object (by primary key): its value is the first row's
/// `data`, or `null` without rows; otherwise a list of every row's `data`.
///
/// # Safety
/// `request` is NULL or a live request handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_field_single(
    request: *const fqb_graphql_request,
    index: usize,
) -> bool {
    panic::value(false, || {
        unsafe { field(request, index) }.is_some_and(|f| f.single)
    })
}

/// The value of a field known without SQL, as JSON text (root `__typename`: `"Query"`);
/// `{NULL, 0}` for a field with a statement and when `index` is out of range. Valid until
/// the request is freed.
///
/// # Safety
/// `request` is NULL or a live request handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_field_value(
    request: *const fqb_graphql_request,
    index: usize,
) -> fqb_str {
    panic::value(fqb_str::NONE, || {
        unsafe { field(request, index) }
            .and_then(|f| f.value.as_ref())
            .map_or(fqb_str::NONE, |v| fqb_str::of_nul_terminated(v.as_bytes()))
    })
}

/// Whether field `index` is a root connection (`userConnection`): its rows carry the
/// columns `fqb_graphql_request_field_column` names and its value is the connection object
/// `fqb_graphql_request_field_assemble` builds. `false` for NULL or out of range.
///
/// # Safety
/// `request` is NULL or a live request handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_field_connection(
    request: *const fqb_graphql_request,
    index: usize,
) -> bool {
    panic::value(false, || {
        unsafe { field(request, index) }.is_some_and(|f| matches!(f.shape, Shape::Connection(_)))
    })
}

/// Whether the rows of field `index` hold nested connections (`postsConnection`), which
/// `fqb_graphql_request_field_assemble` shapes (cursors encoded, `pageInfo`, `nodes`):
/// a row's raw `data` is then not the response's. `false` for NULL or out of range.
///
/// # Safety
/// `request` is NULL or a live request handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_field_nested(
    request: *const fqb_graphql_request,
    index: usize,
) -> bool {
    panic::value(false, || {
        unsafe { field(request, index) }.is_some_and(|f| matches!(f.shape, Shape::Rows(Some(_))))
    })
}

/// The number of columns each row of field `index`'s statement carries, in the order the
/// statement returns them: 1 (`data`) for a list or single-object field; 2 to 5 for a
/// connection (`data`, `__cursor`, then `__has_next_page`, `__has_previous_page` when
/// `pageInfo`'s flags are selected, then `__total_count` when `totalCount` is); 0 for a
/// field known without SQL, NULL and out of range.
///
/// # Safety
/// `request` is NULL or a live request handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_field_column_count(
    request: *const fqb_graphql_request,
    index: usize,
) -> usize {
    panic::value(0, || {
        unsafe { field(request, index) }.map_or(0, |f| f.columns.len())
    })
}

/// The name of column `column` of field `index`'s rows (see
/// `fqb_graphql_request_field_column_count`); `{NULL, 0}` out of range. Valid until the
/// request is freed.
///
/// # Safety
/// `request` is NULL or a live request handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_field_column(
    request: *const fqb_graphql_request,
    index: usize,
    column: usize,
) -> fqb_str {
    panic::value(fqb_str::NONE, || {
        unsafe { field(request, index) }
            .and_then(|f| f.columns.get(column))
            .map_or(fqb_str::NONE, |c| fqb_str::of_nul_terminated(c.as_bytes()))
    })
}

/// Field `index`'s response value, as JSON text, from the rows its statement returned:
/// `cells` holds `row_count` rows of `fqb_graphql_request_field_column_count` cells each,
/// row after row, each cell a column's value as libpq gives it in text format
/// (`PQgetvalue`, `PQgetlength`; `{NULL, 0}` for SQL NULL, `PQgetisnull`): `data` is JSON
/// text, `__cursor` text, the page flags `t`/`f` (or `true`/`false`), `__total_count` a
/// decimal integer. The value is shaped by the core, as every binding's is: the list of the
/// rows' `data` (the first, or `null` without rows, for a single-object field), with nested
/// connections finished (`NestedConnections::finish`); the connection object of a root
/// connection (`Connection::assemble`: edges, cursors encoded and signed with the compile
/// options' cursor key, `pageInfo`, `totalCount`, `nodes`); the constant of a field known
/// without SQL (`cells` ignored). The response is `{"data": {key: value, …}}` in field order
/// (keys are GraphQL names: no escaping needed). `cells` may be NULL when `row_count` is 0.
/// On success writes a new buffer to `*value_out` (free with `fqb_buffer_free`); the
/// request and `cells` stay the caller's.
///
/// Errors, each with the field's response path in `fqb_error_graphql_errors`:
/// `FQB_INVALID_CURSOR` for a `__cursor` that is not one (rows of another statement),
/// `FQB_INVALID_JSON` for `data` that is not JSON, `FQB_INVALID_VALUE` for a flag or count
/// that is not one, `FQB_INTERNAL` for rows that are not the statement's (a connection row
/// without `data`, a nested value that is not a connection); `FQB_INVALID_ARGUMENT` for
/// `index` out of range; `FQB_NULL_PARAMETER`, `FQB_INVALID_UTF8`.
///
/// # Safety
/// `request` is a live request handle; `cells` is valid for reading `row_count` times the
/// column count `fqb_str`s (or NULL with `row_count` 0), each `{NULL, 0}` or valid for
/// reading `len` bytes; `value_out` is writable; `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_field_assemble(
    request: *const fqb_graphql_request,
    index: usize,
    cells: *const fqb_str,
    row_count: usize,
    value_out: *mut *mut fqb_buffer,
    error_out: *mut *mut fqb_error,
) -> fqb_result {
    panic::status(error_out, || {
        let request = unsafe { handle(request, "request") }?;
        let out = unsafe { Out::new(value_out, "value_out") }?;
        let f = request.fields.get(index).ok_or_else(|| {
            Failure::new(
                fqb_result::FQB_INVALID_ARGUMENT,
                format!(
                    "field index {index} is out of range (the request has {} fields)",
                    request.fields.len()
                ),
            )
        })?;
        let width = f.columns.len();
        let n = row_count.checked_mul(width).ok_or_else(|| {
            Failure::new(fqb_result::FQB_INVALID_ARGUMENT, "`row_count` is too large")
        })?;
        let cells: &[fqb_str] = if n == 0 {
            &[]
        } else if cells.is_null() {
            return Err(Failure::null("cells"));
        } else {
            // SAFETY: the caller passes `row_count` rows of `width` cells.
            unsafe { std::slice::from_raw_parts(cells, n) }
        };
        let key = f.key.to_str().unwrap_or_default();
        let mut rows = Vec::with_capacity(row_count);
        for (r, row) in cells.chunks(width.max(1)).enumerate() {
            let mut texts = Vec::with_capacity(width);
            for (c, cell) in row.iter().enumerate() {
                texts.push(unsafe { cell_text(cell, &f.columns[c], r) }?);
            }
            rows.push(texts);
        }
        let value = assemble(f, rows).map_err(|mut e| {
            if e.path.is_empty() {
                e.path = vec![key.to_owned()];
            }
            refused(&qb_graphql::GraphqlErrors(vec![e]))
        })?;
        out.put(crate::buffer(&value.to_json()));
        Ok(())
    })
}

/// One cell: `None` for SQL NULL.
///
/// # Safety
/// `cell` is `{NULL, 0}` or valid for reading `len` bytes.
unsafe fn cell_text<'a>(
    cell: &fqb_str,
    column: &CStr,
    row: usize,
) -> Result<Option<&'a str>, Failure> {
    if cell.ptr.is_null() && cell.len == 0 {
        return Ok(None);
    }
    let what = format!("row {row}, column {}", column.to_string_lossy());
    unsafe { panic::text(cell.ptr, cell.len, &what) }.map(Some)
}

/// A GraphQL error of the rows (the caller adds the field's path).
fn row_error(kind: qb_core::ErrorKind, message: String) -> qb_graphql::GraphqlError {
    qb_graphql::GraphqlError {
        kind,
        message,
        locations: Vec::new(),
        path: Vec::new(),
        ast_path: None,
    }
}

/// The `data` cell as a value (`null` for SQL NULL).
fn data_value(cell: Option<&str>, row: usize) -> Result<Value, qb_graphql::GraphqlError> {
    cell.map_or(Ok(Value::Null), |t| {
        qb_core::json::parse_value(t)
            .map_err(|e| row_error(e.kind(), format!("row {row}, column data: {}", e.message())))
    })
}

/// The field's value from its rows' cells (in [`Field::columns`] order).
fn assemble(f: &Field, rows: Vec<Vec<Option<&str>>>) -> Result<Value, qb_graphql::GraphqlError> {
    match &f.shape {
        Shape::Constant => Ok(f
            .value
            .as_ref()
            .and_then(|v| qb_core::json::parse_value(v.to_str().ok()?).ok())
            .unwrap_or(Value::Null)),
        Shape::Rows(nested) => {
            let take = if f.single {
                rows.len().min(1)
            } else {
                rows.len()
            };
            let mut items = Vec::with_capacity(take);
            for (r, row) in rows.into_iter().take(take).enumerate() {
                let data = data_value(row[0], r)?;
                items.push(match nested {
                    Some(n) => n.finish(data)?,
                    None => data,
                });
            }
            Ok(if f.single {
                items.pop().unwrap_or(Value::Null)
            } else {
                Value::List(items)
            })
        }
        Shape::Connection(connection) => {
            let mut out = Vec::with_capacity(rows.len());
            for (r, row) in rows.into_iter().enumerate() {
                let flag = |c: usize| -> Result<Option<bool>, qb_graphql::GraphqlError> {
                    row[c]
                        .map(|t| match t {
                            "t" | "true" => Ok(true),
                            "f" | "false" => Ok(false),
                            _ => Err(row_error(
                                qb_core::ErrorKind::InvalidValue,
                                format!(
                                    "row {r}, column {}: `{t}` is not a boolean (`t` or `f`)",
                                    f.columns[c].to_string_lossy()
                                ),
                            )),
                        })
                        .transpose()
                };
                let mut at = 2;
                let (mut has_next_page, mut has_previous_page, mut total_count) =
                    (None, None, None);
                if connection.has_page_info() {
                    has_next_page = flag(2)?;
                    has_previous_page = flag(3)?;
                    at = 4;
                }
                if connection.has_total_count() {
                    total_count = row[at]
                        .map(|t| {
                            t.parse::<i64>().map_err(|_| {
                                row_error(
                                    qb_core::ErrorKind::InvalidValue,
                                    format!(
                                        "row {r}, column __total_count: `{t}` is not an integer"
                                    ),
                                )
                            })
                        })
                        .transpose()?;
                }
                out.push(qb_graphql::ConnectionRow {
                    data: row[0].map(|t| data_value(Some(t), r)).transpose()?,
                    cursor: row[1].map(str::to_owned),
                    has_next_page,
                    has_previous_page,
                    total_count,
                });
            }
            Ok(plain(connection.assemble_values(out)?))
        }
    }
}

/// A response value whose rows are values, as one value.
fn plain(v: qb_graphql::Response<Value>) -> Value {
    use qb_graphql::Response as R;
    match v {
        R::Bool(b) => Value::Bool(b),
        R::Int(i) => Value::Int(i),
        R::Str(s) => Value::Str(s),
        R::List(items) => Value::List(items.into_iter().map(plain).collect()),
        R::Object(entries) => {
            Value::Object(entries.into_iter().map(|(k, v)| (k, plain(v))).collect())
        }
        R::Row(v) => v,
        _ => Value::Null,
    }
}

/// Frees `*request` (and the statements it owns) and sets it to NULL (NULL-safe).
///
/// # Safety
/// `request` is NULL or points to NULL or to a handle from `fqb_graphql_compile` not freed
/// yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_graphql_request_free(request: *mut *mut fqb_graphql_request) {
    panic::value((), || unsafe { panic::free_box(request) });
}

/// Writes the counters of `schema`'s GraphQL document cache to `*stats_out` (zeros, with
/// the capacity, before the first `fqb_graphql_compile`).
///
/// Errors: `FQB_NULL_PARAMETER`.
///
/// # Safety
/// `schema` is a live schema handle; `stats_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fqb_schema_graphql_cache_stats(
    schema: *const fqb_schema,
    stats_out: *mut fqb_graphql_cache_stats,
) -> fqb_result {
    panic::status(std::ptr::null_mut(), || {
        let schema = unsafe { handle(schema, "schema") }?;
        let out = unsafe { Out::new(stats_out, "stats_out") }?;
        let s = match schema.graphql.get() {
            Some(Ok(g)) => g.cache_stats(),
            _ => qb_graphql::DocumentCache::new(schema.cache.stats().capacity).stats(),
        };
        out.put(fqb_graphql_cache_stats {
            hits: s.hits,
            misses: s.misses,
            evictions: s.evictions,
            len: s.len,
            capacity: s.capacity,
            bytes: s.bytes,
            bound: s.bound,
            templates: s.templates,
        });
        Ok(())
    })
}
