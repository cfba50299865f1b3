//! The GraphQL entry points (`graphql.js` wraps them): a `Schema`'s GraphQL schema (with
//! its document cache) and a request compiled against it. Types are converted here and
//! nothing else: parsing, validation, variables, caching and every check are qb-graphql's
//! and qb-core's.

use qb_core::{CompileOptions, Placeholder};

use crate::SchemaBox;
use crate::js::{Cx, Env, Fail, JsResult, Raw, Type};

/// The GraphQL schema derived from a `Schema`'s registry, and its document cache; the JS
/// `Schema` keeps it as an external, made on its first GraphQL compile.
struct GraphqlBox {
    inner: qb_graphql::GraphqlSchema,
}

fn graphql_box<'a>(env: Env, v: Raw, call: &str) -> JsResult<&'a GraphqlBox> {
    env.unwrap_external::<GraphqlBox>(v)?
        .ok_or_else(|| Fail::Type(format!("{call}(handle, ...): not a GraphQL schema handle")))
}

/// `graphqlSchemaNew(schemaHandle, cacheSize)`: the GraphQL schema of the registry, with a
/// document cache of `cacheSize` documents (`undefined`/`null`: 1024; `0`: none).
pub(crate) fn graphql_schema_new(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let Some(s) = env.unwrap_external::<SchemaBox>(cx.arg(0)?)? else {
        return Err(Fail::Type(
            "graphqlSchemaNew(handle, ...): not a Schema handle".into(),
        ));
    };
    let capacity = crate::cache_size(
        env,
        cx.arg(1)?,
        "graphqlCacheSize",
        qb_graphql::DocumentCache::DEFAULT_CAPACITY,
    )?;
    let inner = qb_graphql::GraphqlSchema::new(s.inner.clone())?.with_cache_capacity(capacity);
    env.external(GraphqlBox { inner })
}

/// A connection root field's assembler (`qb_graphql::Connection`), held by its JS `RootField`.
struct ConnectionBox {
    response_key: String,
    inner: qb_graphql::Connection,
}

/// The finisher of a root field's rows holding nested connections
/// (`qb_graphql::NestedConnections`), held by its JS `RootField`.
struct NestedBox {
    response_key: String,
    inner: qb_graphql::NestedConnections,
}

/// `graphqlCompile(handle, document, variables, operationName, placeholder, cursorKey)`:
/// `[true, fields]`, each field `[responseKey, { text, values } | null, single, value,
/// connection | null, columns | null, nested | null]` (`connection`, `nested`: handles for
/// `graphqlConnectionAssemble` and `graphqlNestedFinish`; `columns`: the connection
/// statement's columns), or `[false, errorsJson, display]` for a refused request (the JS
/// side throws the error class of the first error's code, carrying every error in the
/// GraphQL spec's shape).
pub(crate) fn graphql_compile(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let g = graphql_box(env, cx.arg(0)?, "graphqlCompile")?;
    let document = cx.arg(1)?;
    if env.type_of(document)? != Type::String {
        return Err(Fail::Type(
            "graphql.compile(document, ...): document must be a string".into(),
        ));
    }
    let document = env.string(document)?;
    let variables = cx.arg(2)?;
    let variables = match env.type_of(variables)? {
        Type::Undefined | Type::Null => None,
        Type::Object | Type::String => Some(crate::convert::document(env, variables)?),
        _ => {
            return Err(Fail::Type(
                "graphql.compile(_, variables): variables must be an object, JSON text or null"
                    .into(),
            ));
        }
    };
    let name = cx.arg(3)?;
    let operation_name = match env.type_of(name)? {
        Type::Undefined | Type::Null => None,
        Type::String => Some(env.string(name)?),
        _ => return Err(Fail::Type("options.operationName must be a string".into())),
    };
    let p = cx.arg(4)?;
    let placeholder = match env.type_of(p)? {
        Type::Undefined | Type::Null => Placeholder::Numbered,
        _ => crate::placeholder_of(env, p)?,
    };
    let mut options = CompileOptions::default().with_placeholder(placeholder);
    if let Some(k) = crate::cursor_key_of(env, cx.arg(5)?)? {
        options = options.with_cursor_key(k.as_bytes());
    }
    let result = qb_graphql::compile(
        &document,
        variables.as_ref(),
        operation_name.as_deref(),
        &g.inner,
        &options,
    );
    let out = env.array(2)?;
    match result {
        Ok(request) => {
            let fields = env.array(request.fields.len())?;
            for (n, field) in request.fields.iter().enumerate() {
                let item = env.array(7)?;
                let key = env.str(field.response_key())?;
                env.set_element(item, 0, key)?;
                let (mut connection, mut columns, mut nested) =
                    (env.null()?, env.null()?, env.null()?);
                let (query, single, value) = match field {
                    qb_graphql::RootField::Sql {
                        compiled,
                        single,
                        nested: plan,
                        ..
                    } => {
                        if let Some(plan) = plan {
                            nested = env.external(NestedBox {
                                response_key: field.response_key().to_owned(),
                                inner: plan.clone(),
                            })?;
                        }
                        (
                            crate::result_to_js(env, compiled, false)?,
                            *single,
                            env.null()?,
                        )
                    }
                    qb_graphql::RootField::Connection {
                        compiled,
                        connection: c,
                        ..
                    } => {
                        let names = c.columns();
                        columns = env.array(names.len())?;
                        for (i, name) in names.iter().enumerate() {
                            let v = env.str(name)?;
                            env.set_element(columns, i as u32, v)?;
                        }
                        connection = env.external(ConnectionBox {
                            response_key: field.response_key().to_owned(),
                            inner: c.clone(),
                        })?;
                        (
                            crate::result_to_js(env, compiled, false)?,
                            false,
                            env.null()?,
                        )
                    }
                    qb_graphql::RootField::Constant { value, .. } => {
                        let v = match value {
                            qb_core::Value::Str(s) => env.str(s)?,
                            _ => env.null()?,
                        };
                        (env.null()?, false, v)
                    }
                    _ => {
                        return Err(Fail::Core(qb_core::Error::new(
                            qb_core::ErrorKind::Internal,
                            "",
                            "a GraphQL root field of a kind the Node binding does not know",
                        )));
                    }
                };
                env.set_element(item, 1, query)?;
                let single = env.boolean(single)?;
                env.set_element(item, 2, single)?;
                env.set_element(item, 3, value)?;
                env.set_element(item, 4, connection)?;
                env.set_element(item, 5, columns)?;
                env.set_element(item, 6, nested)?;
                env.set_element(fields, n as u32, item)?;
            }
            let ok = env.boolean(true)?;
            env.set_element(out, 0, ok)?;
            env.set_element(out, 1, fields)?;
        }
        Err(errors) => {
            set_errors(env, out, &errors)?;
        }
    }
    Ok(out)
}

/// `out[0..3]` = `false, errorsJson, display`: a refused call, thrown by the JS side as the
/// first error code's class.
fn set_errors(env: Env, out: Raw, errors: &qb_graphql::GraphqlErrors) -> JsResult<()> {
    let ok = env.boolean(false)?;
    env.set_element(out, 0, ok)?;
    let json = env.str(&errors.to_json())?;
    env.set_element(out, 1, json)?;
    let display = env.str(&errors.to_string())?;
    env.set_element(out, 2, display)
}

/// `[true, value]`, or `[false, errorsJson, display]` for the error of a connection's rows
/// (at the field's response path, thrown by the JS side as `graphqlCompile`'s are).
fn outcome(
    env: Env,
    response_key: &str,
    result: Result<Raw, qb_graphql::GraphqlError>,
) -> JsResult<Raw> {
    let out = env.array(2)?;
    match result {
        Ok(value) => {
            let ok = env.boolean(true)?;
            env.set_element(out, 0, ok)?;
            env.set_element(out, 1, value)?;
        }
        Err(mut e) => {
            if e.path.is_empty() {
                e.path = vec![response_key.to_owned()];
            }
            let errors = qb_graphql::GraphqlErrors(vec![e]);
            set_errors(env, out, &errors)?;
        }
    }
    Ok(out)
}

/// `graphqlConnectionAssemble(connection, rows)`: the connection's response value from its
/// statement's rows (`Connection::assemble`), each row an object by column name
/// (node-postgres' rows) or an array in `columns` order (`rowMode: 'array'`). `data` values
/// are passed through untouched; `__total_count` may be a number, a BigInt or the decimal
/// text node-postgres gives for a `bigint`.
pub(crate) fn graphql_connection_assemble(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let Some(c) = env.unwrap_external::<ConnectionBox>(cx.arg(0)?)? else {
        return Err(Fail::Type(
            "graphqlConnectionAssemble(handle, ...): not a connection handle".into(),
        ));
    };
    let rows = cx.arg(1)?;
    if !env.is_array(rows)? {
        return Err(Fail::Type(format!(
            "the rows of connection field `{}` must be an array",
            c.response_key
        )));
    }
    let columns = c.inner.columns();
    let mut out = Vec::new();
    for i in 0..env.array_len(rows)? {
        let row = env.element(rows, i)?;
        let by_index = env.is_array(row)?;
        if !by_index && env.type_of(row)? != Type::Object {
            return Err(Fail::Type(format!(
                "a row of connection field `{}` must be an object by column name or an array \
                 of its columns ({})",
                c.response_key,
                columns.join(", ")
            )));
        }
        let col = |at: usize| -> JsResult<Option<Raw>> {
            let v = if by_index {
                env.element(row, at as u32)?
            } else {
                let key = env.str(columns[at])?;
                env.get(row, key)?
            };
            Ok(match env.type_of(v)? {
                Type::Undefined | Type::Null => None,
                _ => Some(v),
            })
        };
        let wrong = |at: usize, what: &str| {
            Fail::Type(format!(
                "column `{}` of connection field `{}` must be {what}",
                columns[at], c.response_key
            ))
        };
        let cursor = match col(1)? {
            None => None,
            Some(v) if env.type_of(v)? == Type::String => Some(env.string(v)?),
            Some(_) => return Err(wrong(1, "a string or null")),
        };
        let flag = |at: usize| -> JsResult<Option<bool>> {
            match col(at)? {
                None => Ok(None),
                Some(v) if env.type_of(v)? == Type::Boolean => Ok(Some(env.bool_value(v)?)),
                Some(_) => Err(wrong(at, "a boolean or null")),
            }
        };
        let (mut has_next_page, mut has_previous_page, mut total_count) = (None, None, None);
        let mut at = 2;
        if c.inner.has_page_info() {
            has_next_page = flag(2)?;
            has_previous_page = flag(3)?;
            at = 4;
        }
        if c.inner.has_total_count() {
            total_count = match col(at)? {
                None => None,
                Some(v) => Some(count_of(env, v).ok_or_else(|| {
                    wrong(
                        at,
                        "an integer (a number, a BigInt or its decimal text) or null",
                    )
                })?),
            };
        }
        out.push(qb_graphql::ConnectionRow {
            data: col(0)?,
            cursor,
            has_next_page,
            has_previous_page,
            total_count,
        });
    }
    // Nodes holding nested connections are finished as a field's rows are
    // (`graphqlNestedFinish`).
    let result = match c
        .inner
        .assemble(out, |data, nested| finish_nested(env, nested, data))
    {
        Ok(r) => Ok(response_to_js(env, r)?),
        Err(Assembly::Refused(e)) => Err(e),
        Err(Assembly::Js(f)) => return Err(f),
    };
    outcome(env, &c.response_key, result)
}

/// A failure of a GraphQL assembly: the core refused (returned as the request's errors
/// are), or JS did (thrown).
enum Assembly {
    Refused(qb_graphql::GraphqlError),
    Js(Fail),
}

impl From<qb_graphql::GraphqlError> for Assembly {
    fn from(e: qb_graphql::GraphqlError) -> Self {
        Assembly::Refused(e)
    }
}

impl From<Fail> for Assembly {
    fn from(e: Fail) -> Self {
        Assembly::Js(e)
    }
}

/// One row's (or node's) `data` (an object, or its JSON text) through
/// `NestedConnections::finish`, as the JS data `JSON.parse` gives for it.
fn finish_nested(
    env: Env,
    nested: &qb_graphql::NestedConnections,
    data: Raw,
) -> Result<Raw, Assembly> {
    let value = crate::convert::document(env, data)?;
    let done = nested.finish(value)?;
    Ok(crate::convert::json_to_js(env, &done)?)
}

/// A row count as PostgreSQL's `bigint` reaches JS: a number, a BigInt, or its decimal text
/// (node-postgres' default for `int8`).
fn count_of(env: Env, v: Raw) -> Option<i64> {
    match env.type_of(v).ok()? {
        Type::Number => crate::convert::int_of(env.number_value(v).ok()?),
        Type::BigInt => env.bigint_value(v).ok()?.ok(),
        Type::String => env.string(v).ok()?.parse().ok(),
        _ => None,
    }
}

/// A connection's response value as JS data (rows' `data` as they came).
fn response_to_js(env: Env, v: qb_graphql::Response<Raw>) -> JsResult<Raw> {
    use qb_graphql::Response as R;
    Ok(match v {
        R::Null => env.null()?,
        R::Bool(b) => env.boolean(b)?,
        R::Int(i) => env.number(i as f64)?,
        R::Str(s) => env.str(&s)?,
        R::List(items) => {
            let arr = env.array(items.len())?;
            for (i, item) in items.into_iter().enumerate() {
                let x = response_to_js(env, item)?;
                env.set_element(arr, i as u32, x)?;
            }
            arr
        }
        R::Object(entries) => {
            let obj = env.object()?;
            for (k, item) in entries {
                let x = response_to_js(env, item)?;
                env.set(obj, &k, x)?;
            }
            obj
        }
        R::Row(v) => v,
        _ => env.null()?,
    })
}

/// `graphqlNestedFinish(nested, data)`: one row's `data` (an object, or its JSON text) with
/// its nested connections as the request selected them (`NestedConnections::finish`), as
/// the JS data `JSON.parse` gives for it.
pub(crate) fn graphql_nested_finish(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let Some(n) = env.unwrap_external::<NestedBox>(cx.arg(0)?)? else {
        return Err(Fail::Type(
            "graphqlNestedFinish(handle, ...): not a nested-connections handle".into(),
        ));
    };
    let result = match finish_nested(env, &n.inner, cx.arg(1)?) {
        Ok(v) => Ok(v),
        Err(Assembly::Refused(e)) => Err(e),
        Err(Assembly::Js(f)) => return Err(f),
    };
    outcome(env, &n.response_key, result)
}

/// `graphqlCacheStats(handle)`: the document cache's counters, and `shapes`, those of the
/// shape cache its queries compile through.
pub(crate) fn graphql_cache_stats(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let g = graphql_box(env, cx.arg(0)?, "graphqlCacheStats")?;
    let st = g.inner.cache_stats();
    let obj = env.object()?;
    for (name, n) in [
        ("hits\0", st.hits as f64),
        ("misses\0", st.misses as f64),
        ("evictions\0", st.evictions as f64),
        ("len\0", st.len as f64),
        ("capacity\0", st.capacity as f64),
        ("bytes\0", st.bytes as f64),
        ("bound\0", st.bound as f64),
        ("templates\0", st.templates as f64),
    ] {
        let v = env.number(n)?;
        env.set_named(obj, name, v)?;
    }
    let shapes = crate::cache_stats_js(env, &st.shapes)?;
    env.set_named(obj, "shapes\0", shapes)?;
    Ok(obj)
}
