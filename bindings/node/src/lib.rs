//! The native module of the npm package `fraiseql-qb` (napi-rs, Node-API 8). It converts
//! types and maps errors; everything else is qb-core (compiling) or qb-rollout (the rollout
//! engine). The JS package (`index.js`, `rollout.js`, `prometheus.js`) holds the
//! conveniences; `index.d.ts` types them.
//!
//! Exported functions are plain Node-API callbacks (`js::entry!`) behind one panic boundary
//! (`js::boundary`): a panic is a `QB_INTERNAL` error, never an abort. Values cross in one
//! walk: a query object is read in place by the core's parser (`convert::Node`, a
//! `qb_core::ast::Source`), never serialized to JSON.
#![deny(unsafe_code)]
// napi-rs registers the module only outside `cfg(test)`; `clippy --all-targets` checks the
// (never run) test build too, where nothing would be reachable.
#![cfg_attr(test, allow(dead_code, unused_imports))]

mod convert;
mod encoded;
mod error;
mod graphql;
mod js;
mod rollout;

use napi::sys;
use qb_core::{
    CompileOptions, CompiledQuery, Limits, Operator, Path, Placeholder, Query, ScalarType,
};

use convert::{Node, Walk};
use js::{Cx, Env, Fail, Instance, JsResult, Raw, Type, entry};

/// A schema registry, parsed and validated once, and the cache of its compiled query shapes;
/// the JS `Schema` holds it as an external.
struct SchemaBox {
    inner: qb_core::Schema,
    cache: qb_core::ShapeCache,
}

/// `init(makeError)`: registers the JS error factory for this environment (main thread or
/// worker).
fn init(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let factory = cx.arg(0)?;
    if env.type_of(factory)? != Type::Function {
        return Err(Fail::Type(
            "init(makeError): makeError must be a function".into(),
        ));
    }
    let make_error = env.reference(factory)?;
    env.set_instance(Instance { make_error })?;
    env.undefined()
}

/// A cache size option named `name`: `undefined`/`null` is `default`, else a non-negative
/// integer.
pub(crate) fn cache_size(env: Env, size: Raw, name: &str, default: usize) -> JsResult<usize> {
    match env.type_of(size)? {
        Type::Undefined | Type::Null => Ok(default),
        Type::Number => {
            let n = env.number_value(size)?;
            if !(n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64) {
                return Err(Fail::Range(format!(
                    "{name} must be a non-negative integer, got {n}"
                )));
            }
            Ok(n as usize)
        }
        _ => Err(Fail::Type(format!("{name} must be a number"))),
    }
}

/// `schemaNew(doc, cacheSize?)`: parses and validates `doc` (an object or JSON text); returns
/// `[handle, viewKeys]`, the handle an external owning the registry and its shape cache of
/// `cacheSize` shapes (`undefined`/`null`: the core's default; `0`: no cache).
fn schema_new(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let capacity = cache_size(
        env,
        cx.arg(1)?,
        "cacheSize",
        qb_core::ShapeCache::DEFAULT_CAPACITY,
    )?;
    let value = convert::document(env, cx.arg(0)?)?;
    let inner = qb_core::Schema::from_value(&value)?;
    let views: Vec<&str> = match value.get("views") {
        Some(qb_core::Value::Object(entries)) => entries.iter().map(|(k, _)| k.as_str()).collect(),
        _ => Vec::new(),
    };
    let keys = string_list(env, views.into_iter())?;
    let out = env.array(2)?;
    let cache = qb_core::ShapeCache::new(capacity);
    env.set_element(out, 0, env.external(SchemaBox { inner, cache })?)?;
    env.set_element(out, 1, keys)?;
    Ok(out)
}

/// What `compile` was asked for.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) placeholder: Placeholder,
    pub(crate) param_types: bool,
    /// The key cursors are authenticated with (its UTF-8 bytes).
    pub(crate) cursor_key: Option<String>,
}

impl Options {
    fn compile_options(&self) -> CompileOptions {
        let o = CompileOptions::default().with_placeholder(self.placeholder);
        match &self.cursor_key {
            Some(k) => o.with_cursor_key(k.as_bytes()),
            None => o,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            placeholder: Placeholder::Numbered,
            param_types: false,
            cursor_key: None,
        }
    }
}

pub(crate) fn placeholder_of(env: Env, v: Raw) -> JsResult<Placeholder> {
    if env.type_of(v)? != Type::String {
        return Err(Fail::Type(
            "placeholder must be the string \"numbered\" or \"format\"".into(),
        ));
    }
    env.with_str(v, |s| match s {
        "numbered" => Ok(Placeholder::Numbered),
        "format" => Ok(Placeholder::Format),
        other => Err(Fail::Range(format!(
            "placeholder must be \"numbered\" or \"format\", got {other:?}"
        ))),
    })?
}

/// `cursorKey`: a string or `undefined`/`null`.
fn cursor_key_of(env: Env, v: Raw) -> JsResult<Option<String>> {
    match env.type_of(v)? {
        Type::Undefined | Type::Null => Ok(None),
        Type::String => Ok(Some(env.string(v)?)),
        _ => Err(Fail::Type("cursorKey must be a string".into())),
    }
}

/// `{ placeholder, paramTypes, cursorKey }`, each optional; `undefined`/`null` means the
/// defaults.
fn options_of(env: Env, v: Raw) -> JsResult<Options> {
    let mut o = Options::default();
    match env.type_of(v)? {
        Type::Undefined | Type::Null => return Ok(o),
        Type::Object => {}
        _ => {
            return Err(Fail::Type(
                "compile(query, schema, options): options must be an object such as \
                 { placeholder: \"format\" }"
                    .into(),
            ));
        }
    }
    let p = env.get_named(v, "placeholder\0")?;
    if !matches!(env.type_of(p)?, Type::Undefined | Type::Null) {
        o.placeholder = placeholder_of(env, p)?;
    }
    let t = env.get_named(v, "paramTypes\0")?;
    o.param_types = match env.type_of(t)? {
        Type::Undefined | Type::Null => false,
        Type::Boolean => env.bool_value(t)?,
        _ => return Err(Fail::Type("options.paramTypes must be a boolean".into())),
    };
    o.cursor_key = cursor_key_of(env, env.get_named(v, "cursorKey\0")?)?;
    Ok(o)
}

/// The query of a `compile` call: an object is read in place by the core's parser; a
/// string is JSON text, parsed by the core.
fn parse_query(env: Env, v: Raw) -> JsResult<Query> {
    if env.type_of(v)? == Type::String {
        let text = env.string(v)?;
        return Ok(Query::from_json(&text)?);
    }
    let walk = Walk::new(env);
    Query::from_source(Node::new(v, &walk), &Limits::default()).map_err(|e| walk.failure(e))
}

/// A registry: the one a `Schema` wraps (with its shape cache), or one parsed and validated
/// for this call (no cache).
enum SchemaRef<'a> {
    Wrapped(&'a SchemaBox),
    Owned(qb_core::Schema),
}

impl SchemaRef<'_> {
    fn compile(
        &self,
        query: &Query,
        options: &CompileOptions,
    ) -> Result<CompiledQuery, qb_core::Error> {
        match self {
            SchemaRef::Wrapped(s) => s.cache.compile(query, &s.inner, options),
            SchemaRef::Owned(s) => qb_core::compile(query, s, options),
        }
    }

    /// A document (`doc` gives it, each read the same) compiled as [`SchemaRef::compile`]
    /// compiles its query: through the cache's document key when there is a cache, so a hit
    /// builds no query.
    fn compile_source<S: qb_core::ast::Source>(
        &self,
        doc: impl Fn() -> S,
        options: &CompileOptions,
    ) -> Result<CompiledQuery, qb_core::Error> {
        match self {
            SchemaRef::Wrapped(s) => s.cache.compile_source(doc, &s.inner, options),
            SchemaRef::Owned(s) => {
                qb_core::compile(&Query::from_source(doc(), &options.limits)?, s, options)
            }
        }
    }
}

/// A query shape compiled once (`Schema.prepare`); the JS `Prepared` holds it as an external,
/// and the handle of the `Schema` it binds against.
struct PreparedBox {
    inner: qb_core::Prepared,
}

/// `schemaPrepare(schemaHandle, query, options?)`: `[handle, text, paramTypes]`.
fn schema_prepare(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let Some(s) = env.unwrap_external::<SchemaBox>(cx.arg(0)?)? else {
        return Err(Fail::Type(
            "schemaPrepare(handle, ...): not a Schema handle".into(),
        ));
    };
    let o = options_of(env, cx.arg(2)?)?;
    let options = CompileOptions::default().with_placeholder(o.placeholder);
    let query = parse_query(env, cx.arg(1)?)?;
    let inner = s.inner.prepare(&query, &options)?;
    let text = env.str(inner.sql())?;
    let types: Vec<String> = inner.param_types().map(|t| t.sql_name()).collect();
    let types = string_list(env, types.iter().map(String::as_str))?;
    let operands = env.array(inner.operands().len())?;
    for (i, o) in inner.operands().iter().enumerate() {
        let kind = o.kind.to_string();
        let pair = string_list(env, [o.path.as_str(), kind.as_str()].into_iter())?;
        env.set_element(operands, i as u32, pair)?;
    }
    let out = env.array(4)?;
    env.set_element(out, 0, env.external(PreparedBox { inner })?)?;
    env.set_element(out, 1, text)?;
    env.set_element(out, 2, types)?;
    env.set_element(out, 3, operands)?;
    Ok(out)
}

/// The `Prepared` and the `Schema` behind the first two arguments of a `prepared*` call.
fn prepared_args<'a>(cx: &Cx, name: &str) -> JsResult<(&'a PreparedBox, &'a SchemaBox)> {
    let env = cx.env;
    let Some(p) = env.unwrap_external::<PreparedBox>(cx.arg(0)?)? else {
        return Err(Fail::Type(format!(
            "{name}(handle, ...): not a Prepared handle"
        )));
    };
    let Some(s) = env.unwrap_external::<SchemaBox>(cx.arg(1)?)? else {
        return Err(Fail::Type(format!(
            "{name}(_, handle, ...): not a Schema handle"
        )));
    };
    Ok((p, s))
}

const BIND_VALUES_TYPE: &str = "bindValues(values): values must be an array of operand values";

/// `preparedBindEncoded(preparedHandle, schemaHandle, words, text[, refs])`: the parameter
/// values of the prepared query with its operands replaced by `values` (an array, in
/// `operands` order) as `encode.js` wrote it: the packed result (`=` and the values, the SQL
/// being the prepared text), or `{ text, values }` when a value has no packed form. `refs`
/// is given only when the values hold host values (saves a `napi_typeof` per call).
fn prepared_bind_encoded(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let (p, s) = prepared_args(cx, "preparedBindEncoded")?;
    let walk = Walk::new(env);
    let doc = encoded::Doc::read(env, cx.arg(2)?, cx.arg(3)?, cx.arg(4)?, &walk)?;
    // With no host value in the document (no `refs`), no JavaScript code runs while it is
    // read: its values are read in place when they all bind so; otherwise converted and
    // bound below, which reports what is wrong.
    if cx.given() < 5 {
        if let Some(items) = doc.list_items() {
            let read = |i: usize| items.get(i).and_then(encoded::Src::encoded);
            if let Some(params) = p.inner.bind_sources_params(items.len(), read, &s.inner) {
                return match encoded::packed(None, &params, false) {
                    Some(packed) => packed_js(env, &packed),
                    None => result_to_js(
                        env,
                        &CompiledQuery::new(p.inner.sql().to_owned(), params),
                        false,
                    ),
                };
            }
        }
    }
    let ops = p.inner.operands();
    let path = |i: usize| Path::ROOT.key(ops.get(i).map_or("", |o| o.path.as_str()));
    let vals = match doc.list_values(path)? {
        Some(vals) => vals,
        None => match doc.root_host()? {
            Some(v) if env.is_array(v)? => {
                // An array the encoder handed over (a hole, an `undefined` item, a
                // subclass...): its items read one by one by the walk over JS values.
                let n = env.array_len(v)?;
                let mut vals = Vec::with_capacity(n.min(1 << 16) as usize);
                for i in 0..n {
                    let item = env.element(v, i)?;
                    vals.push(walk.operand(item, &path(i as usize))?);
                }
                vals
            }
            _ => return Err(Fail::Type(BIND_VALUES_TYPE.into())),
        },
    };
    let params = p.inner.bind_values_params(&vals, &s.inner)?;
    match encoded::packed(None, &params, false) {
        Some(packed) => packed_js(env, &packed),
        None => result_to_js(
            env,
            &CompiledQuery::new(p.inner.sql().to_owned(), params),
            false,
        ),
    }
}

/// `preparedCompile(preparedHandle, schemaHandle, query, paramTypes)`: `{ text, values }` of
/// a query of the prepared shape.
fn prepared_compile(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let (p, s) = prepared_args(cx, "preparedCompile")?;
    let query = parse_query(env, cx.arg(2)?)?;
    let param_types = env.bool_value(cx.arg(3)?)?;
    let out = p.inner.compile(&query, &s.inner)?;
    result_to_js(env, &out, param_types)
}

/// `preparedCompileEncoded(preparedHandle, schemaHandle, words, text, refs, paramTypes)`:
/// `preparedCompile` of a query written by `encode.js`; returns the packed result, its SQL
/// left out (`=`) when it is the prepared text.
fn prepared_compile_encoded(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let (p, s) = prepared_args(cx, "preparedCompileEncoded")?;
    let walk = Walk::new(env);
    let doc = encoded::Doc::read(env, cx.arg(2)?, cx.arg(3)?, cx.arg(4)?, &walk)?;
    let query = doc
        .root()
        .and_then(|root| Query::from_source(root, &Limits::default()))
        .map_err(|e| walk.failure(e))?;
    let param_types = env.bool_value(cx.arg(5)?)?;
    let out = p.inner.compile(&query, &s.inner)?;
    packed_result(env, &out, param_types, Some(p.inner.sql()))
}

/// `schemaCacheStats(handle)`: the counters of a `Schema`'s shape cache.
fn schema_cache_stats(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let Some(s) = env.unwrap_external::<SchemaBox>(cx.arg(0)?)? else {
        return Err(Fail::Type(
            "schemaCacheStats(handle): not a Schema handle".into(),
        ));
    };
    cache_stats_js(env, &s.cache.stats())
}

/// A shape cache's counters as `{ hits, documentHits, misses, ... }` (`CacheStats` in
/// index.d.ts), for `Schema.cacheStats` and the GraphQL cache's `shapes`.
pub(crate) fn cache_stats_js(env: Env, st: &qb_core::CacheStats) -> JsResult<Raw> {
    let obj = env.object()?;
    for (name, n) in [
        ("hits\0", st.hits as f64),
        ("documentHits\0", st.document_hits as f64),
        ("misses\0", st.misses as f64),
        ("evictions\0", st.evictions as f64),
        ("recompiles\0", st.recompiles as f64),
        ("len\0", st.len as f64),
        ("capacity\0", st.capacity as f64),
        ("bytes\0", st.bytes as f64),
    ] {
        let v = env.number(n)?;
        env.set_named(obj, name, v)?;
    }
    Ok(obj)
}

fn schema_of<'a>(env: Env, schema: Raw) -> JsResult<SchemaRef<'a>> {
    if let Some(s) = env.unwrap_external::<SchemaBox>(schema)? {
        return Ok(SchemaRef::Wrapped(s));
    }
    if !matches!(env.type_of(schema)?, Type::Object | Type::String) {
        return Err(Fail::Type(
            "compile(query, schema): schema must be a Schema, a registry object or JSON text"
                .into(),
        ));
    }
    Ok(SchemaRef::Owned(qb_core::Schema::from_value(
        &convert::document(env, schema)?,
    )?))
}

/// Compiles `query` (an object walked in place, or JSON text) against `schema` (a wrapped
/// `Schema`, or a document parsed for this call).
pub(crate) fn compile_raw(
    env: Env,
    query: Raw,
    schema: Raw,
    o: &Options,
) -> JsResult<CompiledQuery> {
    let options = o.compile_options();
    let schema = schema_of(env, schema)?;
    if env.type_of(query)? == Type::String {
        // JSON text: parsed into a document, then read through the cache's document key.
        let value = qb_core::json::parse_value(&env.string(query)?)?;
        return Ok(schema.compile_source(|| &value, &options)?);
    }
    let query = parse_query(env, query)?;
    Ok(schema.compile(&query, &options)?)
}

/// The arguments of a query encoded by `encode.js`: `(words, text, refs)`.
#[derive(Clone, Copy)]
pub(crate) struct EncodedArgs {
    pub(crate) buf: Raw,
    pub(crate) text: Raw,
    pub(crate) refs: Raw,
}

/// Compiles a query encoded by `encode.js` against `schema`.
pub(crate) fn compile_encoded_raw(
    env: Env,
    q: EncodedArgs,
    schema: Raw,
    o: &Options,
) -> JsResult<CompiledQuery> {
    let options = o.compile_options();
    let schema = schema_of(env, schema)?;
    let walk = Walk::new(env);
    let doc = encoded::Doc::read(env, q.buf, q.text, q.refs, &walk)?;
    // Plain data (no host value: `refs` is null) runs no JavaScript while it is read and
    // reads the same every time: through the cache's document key, so a hit builds no
    // query and binds its operands where the encoder wrote them.
    if let Some(root) = doc.encoded_root() {
        if env.type_of(q.refs)? == Type::Null {
            return schema
                .compile_source(|| encoded::Src::Enc(root), &options)
                .map_err(|e| walk.failure(e));
        }
    }
    let query = doc
        .root()
        .and_then(|root| Query::from_source(root, &Limits::default()))
        .map_err(|e| walk.failure(e))?;
    Ok(schema.compile(&query, &options)?)
}

/// The result of `compileEncoded` and `compileText`: one string for `unpack` (encode.js), or,
/// when a value has no JSON form, the `{ text, values }` object itself.
/// With `known_sql`, a result of that SQL leaves it out (`encoded::packed`).
pub(crate) fn packed_result(
    env: Env,
    out: &CompiledQuery,
    param_types: bool,
    known_sql: Option<&str>,
) -> JsResult<Raw> {
    let sql = (known_sql != Some(out.sql.as_str())).then_some(out.sql.as_str());
    match encoded::packed(sql, &out.params, param_types) {
        Some(p) => packed_js(env, &p),
        None => result_to_js(env, out, param_types),
    }
}

/// A packed result as a JS string (Latin-1 when it is ASCII: no UTF-8 decoding).
fn packed_js(env: Env, p: &encoded::Packed) -> JsResult<Raw> {
    if p.ascii {
        env.latin1(p.text.as_bytes())
    } else {
        env.str(&p.text)
    }
}

/// The `{ text, values }` object node-postgres takes as is (`client.query(result)`), with
/// `paramTypes` (`["uuid", "text[]", ...]`) when asked for.
pub(crate) fn result_to_js(env: Env, out: &CompiledQuery, param_types: bool) -> JsResult<Raw> {
    let obj = env.object()?;
    let text = env.str(&out.sql)?;
    env.set_named(obj, "text\0", text)?;
    let values = env.array(out.params.len())?;
    for (i, p) in out.params.iter().enumerate() {
        let v = convert::param_to_js(env, p)?;
        env.set_element(values, i as u32, v)?;
    }
    env.set_named(obj, "values\0", values)?;
    if param_types {
        let types = env.array(out.params.len())?;
        for (i, p) in out.params.iter().enumerate() {
            let t = env.str(&p.ty.sql_name())?;
            env.set_element(types, i as u32, t)?;
        }
        env.set_named(obj, "paramTypes\0", types)?;
    }
    Ok(obj)
}

/// `compile(query, schema, options?)`.
fn compile(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let o = options_of(env, cx.arg(2)?)?;
    let out = compile_raw(env, cx.arg(0)?, cx.arg(1)?, &o)?;
    result_to_js(env, &out, o.param_types)
}

/// `compileEncoded(words, text, refs, schema, options?)`: `compile` of a query written
/// by `encode.js`; returns the packed result.
fn compile_encoded(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let o = options_of(env, cx.arg(4)?)?;
    let q = EncodedArgs {
        buf: cx.arg(0)?,
        text: cx.arg(1)?,
        refs: cx.arg(2)?,
    };
    let out = compile_encoded_raw(env, q, cx.arg(3)?, &o)?;
    packed_result(env, &out, o.param_types, None)
}

/// `compileText(query, schema, options?)`: `compile` of JSON text (or of an object, walked
/// in place); returns the packed result.
fn compile_text(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let o = options_of(env, cx.arg(2)?)?;
    let out = compile_raw(env, cx.arg(0)?, cx.arg(1)?, &o)?;
    packed_result(env, &out, o.param_types, None)
}

/// `encodeCursor(rowCursor, cursorKey?)`: the cursor of a keyset page's row, from its
/// `__cursor` column, signed when a key is given.
fn encode_cursor(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let row = cx.arg(0)?;
    if env.type_of(row)? != Type::String {
        return Err(Fail::Type(
            "encodeCursor(rowCursor, cursorKey?): rowCursor must be the string of a row's \
             __cursor column"
                .into(),
        ));
    }
    let row = env.string(row)?;
    let mut options = CompileOptions::default();
    if let Some(k) = cursor_key_of(env, cx.arg(1)?)? {
        options = options.with_cursor_key(k.as_bytes());
    }
    let cursor = qb_core::encode_cursor(&row, &options)?;
    env.str(&cursor)
}

/// `toJson(value)`: converts `value` as `compile` reads an operand and returns compact JSON
/// text (tests, and descriptions of inputs in shadow reports).
fn to_json(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let walk = Walk::new(env);
    let v = walk.value(cx.arg(0)?, None, 0, &Path::ROOT)?;
    env.str(&v.to_json())
}

fn string_list<'a>(env: Env, items: impl ExactSizeIterator<Item = &'a str>) -> JsResult<Raw> {
    let arr = env.array(items.len())?;
    for (i, s) in items.enumerate() {
        let v = env.str(s)?;
        env.set_element(arr, i as u32, v)?;
    }
    Ok(arr)
}

/// `meta()`: the core's vocabularies, for the package and for the test that keeps
/// `index.d.ts` current: `{ errorKinds: [[code, number]...], operators, scalarTypes,
/// maxInputDepth }`.
fn meta(cx: &Cx) -> JsResult<Raw> {
    let env = cx.env;
    let obj = env.object()?;
    let kinds: Vec<(&str, u32)> = error::kinds().collect();
    let arr = env.array(kinds.len())?;
    for (i, (code, number)) in kinds.iter().enumerate() {
        let pair = env.array(2)?;
        let c = env.str(code)?;
        env.set_element(pair, 0, c)?;
        let n = env.number(f64::from(*number))?;
        env.set_element(pair, 1, n)?;
        env.set_element(arr, i as u32, pair)?;
    }
    env.set_named(obj, "errorKinds\0", arr)?;
    let ops = string_list(env, Operator::ALL.iter().map(|o| o.name()))?;
    env.set_named(obj, "operators\0", ops)?;
    let types = string_list(env, ScalarType::ALL.iter().map(|t| t.name()))?;
    env.set_named(obj, "scalarTypes\0", types)?;
    let depth = env.number(convert::MAX_DEPTH as f64)?;
    env.set_named(obj, "maxInputDepth\0", depth)?;
    Ok(obj)
}

/// `panicForTest()`: panics inside the boundary (the test of the panic boundary).
fn panic_for_test(_cx: &Cx) -> JsResult<Raw> {
    panic!("panicForTest was called");
}

entry!(init_cb => init);
entry!(schema_new_cb => schema_new);
entry!(schema_cache_stats_cb => schema_cache_stats);
entry!(schema_prepare_cb => schema_prepare);
entry!(prepared_compile_cb => prepared_compile);
entry!(prepared_compile_encoded_cb => prepared_compile_encoded);
entry!(prepared_bind_encoded_cb => prepared_bind_encoded);
entry!(compile_cb => compile);
entry!(compile_encoded_cb => compile_encoded);
entry!(compile_text_cb => compile_text);
entry!(to_json_cb => to_json);
entry!(encode_cursor_cb => encode_cursor);
entry!(meta_cb => meta);
entry!(panic_for_test_cb => panic_for_test);
entry!(graphql_schema_new_cb => graphql::graphql_schema_new);
entry!(graphql_compile_cb => graphql::graphql_compile);
entry!(graphql_cache_stats_cb => graphql::graphql_cache_stats);
entry!(graphql_connection_assemble_cb => graphql::graphql_connection_assemble);
entry!(graphql_nested_finish_cb => graphql::graphql_nested_finish);

/// Module registration (napi-rs calls this once per environment: main thread or worker).
mod registration {
    use napi::bindgen_prelude::Object;
    use napi::{Env, JsValue};

    use super::*;

    #[napi_derive::napi(module_exports)]
    pub fn module_exports(exports: Object, env: Env) -> napi::Result<()> {
        let e = js::Env(env.raw());
        let fns: &[(&'static str, sys::napi_callback)] = &[
            ("init", Some(init_cb)),
            ("schemaNew", Some(schema_new_cb)),
            ("schemaCacheStats", Some(schema_cache_stats_cb)),
            ("schemaPrepare", Some(schema_prepare_cb)),
            ("preparedCompile", Some(prepared_compile_cb)),
            ("preparedCompileEncoded", Some(prepared_compile_encoded_cb)),
            ("preparedBindEncoded", Some(prepared_bind_encoded_cb)),
            ("compile", Some(compile_cb)),
            ("compileEncoded", Some(compile_encoded_cb)),
            ("compileText", Some(compile_text_cb)),
            ("encodeCursor", Some(encode_cursor_cb)),
            ("toJson", Some(to_json_cb)),
            ("meta", Some(meta_cb)),
            ("panicForTest", Some(panic_for_test_cb)),
            ("graphqlSchemaNew", Some(graphql_schema_new_cb)),
            ("graphqlCompile", Some(graphql_compile_cb)),
            ("graphqlCacheStats", Some(graphql_cache_stats_cb)),
            (
                "graphqlConnectionAssemble",
                Some(graphql_connection_assemble_cb),
            ),
            ("graphqlNestedFinish", Some(graphql_nested_finish_cb)),
        ];
        js::export_functions(e, exports.raw(), fns)
            .and_then(|()| rollout::export(e, exports.raw()))
            .map_err(|_| {
                napi::Error::from_reason("fraiseql-qb: registering the native functions failed")
            })
    }
}

/// The allocator of the addon's own (Rust) allocations; JS values still use V8's heap.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
