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

/// `graphqlCompile(handle, document, variables, operationName, placeholder)`:
/// `[true, fields]`, each field `[responseKey, { text, values } | null, single, value]`, or
/// `[false, errorsJson, display]` for a refused request (the JS side throws the error class
/// of the first error's code, carrying every error in the GraphQL spec's shape).
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
    let options = CompileOptions::default().with_placeholder(placeholder);
    let result = qb_graphql::compile(
        &document,
        variables.as_ref(),
        operation_name.as_deref(),
        &g.inner,
        &options,
    )
    .and_then(|r| r.without_connections("Node"));
    let out = env.array(2)?;
    match result {
        Ok(request) => {
            let fields = env.array(request.fields.len())?;
            let mut n = 0u32;
            for field in &request.fields {
                let item = env.array(4)?;
                let key = env.str(field.response_key())?;
                env.set_element(item, 0, key)?;
                let (query, single, value) = match field {
                    qb_graphql::RootField::Sql {
                        compiled, single, ..
                    } => (
                        crate::result_to_js(env, compiled, false)?,
                        *single,
                        env.null()?,
                    ),
                    qb_graphql::RootField::Constant { value, .. } => {
                        let v = match value {
                            qb_core::Value::Str(s) => env.str(s)?,
                            _ => env.null()?,
                        };
                        (env.null()?, false, v)
                    }
                    // Refused above (`without_connections`).
                    _ => continue,
                };
                env.set_element(item, 1, query)?;
                let single = env.boolean(single)?;
                env.set_element(item, 2, single)?;
                env.set_element(item, 3, value)?;
                env.set_element(fields, n, item)?;
                n += 1;
            }
            let ok = env.boolean(true)?;
            env.set_element(out, 0, ok)?;
            env.set_element(out, 1, fields)?;
        }
        Err(errors) => {
            let ok = env.boolean(false)?;
            env.set_element(out, 0, ok)?;
            let json = env.str(&errors.to_json())?;
            env.set_element(out, 1, json)?;
            let display = env.str(&errors.to_string())?;
            env.set_element(out, 2, display)?;
        }
    }
    Ok(out)
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
    ] {
        let v = env.number(n)?;
        env.set_named(obj, name, v)?;
    }
    let sh = &st.shapes;
    let shapes = env.object()?;
    for (name, n) in [
        ("hits\0", sh.hits as f64),
        ("misses\0", sh.misses as f64),
        ("evictions\0", sh.evictions as f64),
        ("recompiles\0", sh.recompiles as f64),
        ("len\0", sh.len as f64),
        ("capacity\0", sh.capacity as f64),
        ("bytes\0", sh.bytes as f64),
    ] {
        let v = env.number(n)?;
        env.set_named(shapes, name, v)?;
    }
    env.set_named(obj, "shapes\0", shapes)?;
    Ok(obj)
}
