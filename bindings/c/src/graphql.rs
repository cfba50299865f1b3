//! The GraphQL entry point: a GraphQL request (document, variables JSON text, operation
//! name) compiled against a schema's GraphQL schema into one statement per root field, each
//! read with the `fqb_compiled_*` functions. Types are converted here and nothing else.

use std::ffi::{CString, c_char};

use qb_core::CompileOptions;

use crate::error::{Failure, c_string, fqb_error, fqb_result};
use crate::panic::{self, Out, handle};
use crate::{fqb_compiled, fqb_options, fqb_schema, fqb_str, from_core};

/// One root field of a compiled request.
#[derive(Debug)]
struct Field {
    key: CString,
    /// The statement; `None` for a field known without SQL.
    compiled: Option<fqb_compiled>,
    single: bool,
    /// The value of a field known without SQL, as JSON text.
    value: Option<CString>,
}

/// A compiled GraphQL request: its root fields in response order. Each field with SQL is
/// one statement (`fqb_graphql_request_field_compiled`, read like `fqb_compile`'s output);
/// the caller runs it (each row's one `data` column is an item) and builds
/// `{"data": {key: rows…}}`. Immutable; free it once with `fqb_graphql_request_free`.
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
    /// Approximate bytes of the cached keys.
    pub bytes: usize,
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
                .and_then(|r| r.without_connections("C"))
                .map_err(|e| refused(&e))?;
        let mut fields = Vec::with_capacity(request.fields.len());
        for f in request.fields {
            let key = c_string(f.response_key());
            fields.push(match f {
                qb_graphql::RootField::Sql {
                    compiled, single, ..
                } => Field {
                    key,
                    compiled: Some(from_core(compiled)?),
                    single,
                    value: None,
                },
                qb_graphql::RootField::Constant { value, .. } => Field {
                    key,
                    compiled: None,
                    single: false,
                    value: Some(c_string(&value.to_json())),
                },
                // Refused above (`without_connections`).
                _ => continue,
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
        });
        Ok(())
    })
}
