//! A GraphQL request in, one qb-core query (and its SQL) per root field out.
//!
//! The document is parsed and validated by apollo-compiler against the derived schema;
//! variables are coerced here (the spec's CoerceVariableValues, keeping exact numbers);
//! fields are collected per the spec's CollectFields (fragments, `@skip`/`@include`, merging
//! by response key), and each root field becomes a query AST as plain data
//! (`qb_core::Value`) handed to `Query::from_owned_value_with_limits` and `qb_core::compile`,
//! so every check and error of a query stays in qb-core. A qb-core error's AST path is
//! mapped back to the response path and location of the field it came from.

use std::collections::{HashMap, HashSet};

use apollo_compiler::ast::{self, Type};
use apollo_compiler::executable::{self, Field, Selection, SelectionSet};
use apollo_compiler::parser::{Parser, SourceMap, SourceSpan};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node};
use qb_core::{CompileOptions, CompiledQuery, CursorKey, ErrorKind, Number, Query, Value};

use crate::GraphqlSchema;
use crate::bound::Template;
use crate::error::{GraphqlError, GraphqlErrors, Location};
use crate::sdl::RootKind;

/// What one root field of the response is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RootField {
    /// Rows from one SQL statement.
    Sql {
        /// The response key (the alias, else the field name).
        response_key: String,
        /// The query AST the field was compiled from.
        query: Box<Query>,
        /// Its SQL and parameters. Each row's single `data` column is one item.
        compiled: CompiledQuery,
        /// `true`: the field is a single object (by primary key): the first row, or `null`
        /// when there is none. `false`: a list of every row.
        single: bool,
        /// When the selection has nested connections (`postsConnection(first:)`): each
        /// row's `data` goes through [`NestedConnections::finish`] before it is the
        /// response's. `None`: `data` is the response value as it is.
        nested: Option<NestedConnections>,
    },
    /// A connection (`<type>Connection`): one keyset-paged statement whose rows
    /// ([`Connection::columns`]) [`Connection::assemble`] turns into the connection object
    /// (`{edges: [{cursor, node}], nodes, pageInfo, totalCount}`, as selected).
    Connection {
        /// The response key.
        response_key: String,
        /// The query AST the field was compiled from (`first`/`after`/`last`/`before`,
        /// `page_info` and `total_count` only when `pageInfo`'s flags or `totalCount` are
        /// selected).
        query: Box<Query>,
        /// Its SQL and parameters.
        compiled: CompiledQuery,
        /// How its rows become the response value.
        connection: Connection,
    },
    /// A value known without SQL (`__typename` at the root: `"Query"`).
    Constant {
        /// The response key.
        response_key: String,
        /// The value.
        value: Value,
    },
}

impl RootField {
    /// The key of this field in the response's `data` object.
    pub fn response_key(&self) -> &str {
        match self {
            RootField::Sql { response_key, .. }
            | RootField::Connection { response_key, .. }
            | RootField::Constant { response_key, .. } => response_key,
        }
    }
}

/// Where a statement's `data` holds nested connections (`postsConnection(first:)`), and
/// how [`NestedConnections::finish`] turns each core connection object there (`edges`
/// with the row's raw `cursor`, `pageInfo` flags, `totalCount`) into the selected
/// connection value: cursors encoded as a root connection's are (with the compile
/// options' `cursor_key`), `startCursor`/`endCursor`, `nodes`, `__typename`s and aliases.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedConnections {
    plan: Vec<(String, Plan)>,
    cursor_key: Option<CursorKey>,
}

/// What is under one response key of a `data` object.
#[derive(Debug, Clone, PartialEq)]
enum Plan {
    /// An object (or a list of objects) holding nested connections deeper.
    Object(Vec<(String, Plan)>),
    /// A nested connection.
    Connection(Box<NestedConnection>),
}

#[derive(Debug, Clone, PartialEq)]
struct NestedConnection {
    /// Its parts (its `cursor_key` is the [`NestedConnections`]'s).
    connection: Connection,
    /// Nested connections in its node.
    node: Vec<(String, Plan)>,
}

impl NestedConnections {
    /// One row's `data` with every nested connection in it as selected. A value that is
    /// not the core's connection object (the `data` of another statement) is
    /// `QB_INTERNAL`; a cursor that is not one is `QB_INVALID_CURSOR`.
    pub fn finish(&self, mut data: Value) -> Result<Value, GraphqlError> {
        self.apply(&self.plan, &mut data)?;
        Ok(data)
    }

    fn apply(&self, plan: &[(String, Plan)], value: &mut Value) -> Result<(), GraphqlError> {
        match value {
            Value::List(items) => {
                for v in items {
                    self.apply(plan, v)?;
                }
            }
            Value::Object(entries) => {
                for (key, sub) in plan {
                    let Some((_, v)) = entries.iter_mut().find(|(k, _)| k == key) else {
                        continue;
                    };
                    match sub {
                        Plan::Object(inner) => self.apply(inner, v)?,
                        Plan::Connection(c) => *v = self.connection(c, v)?,
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn connection(&self, c: &NestedConnection, raw: &mut Value) -> Result<Value, GraphqlError> {
        let bad = || {
            GraphqlError::new(
                ErrorKind::Internal,
                "a nested connection's value is not the core's connection object",
            )
        };
        let Value::Object(entries) = raw else {
            return Err(bad());
        };
        let get = |entries: &[(String, Value)], k: &str| entries.iter().position(|(n, _)| n == k);
        let edges = match get(entries, "edges").map(|i| &mut entries[i].1) {
            Some(Value::List(edges)) => std::mem::take(edges),
            _ => return Err(bad()),
        };
        let flag = |k: &str| {
            let info = get(entries, "pageInfo").map(|i| &entries[i].1)?;
            let Value::Object(e) = info else { return None };
            e.iter().find(|(n, _)| n == k).and_then(|(_, v)| match v {
                Value::Bool(b) => Some(*b),
                _ => None,
            })
        };
        let (has_next, has_previous) = (flag("hasNextPage"), flag("hasPreviousPage"));
        let total_count = match get(entries, "totalCount").map(|i| &entries[i].1) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        };
        // The page info and total ride on the first row, as in a root connection's rows;
        // an empty page is one row without a cursor.
        let mut rows = Vec::with_capacity(edges.len().max(1));
        for mut edge in edges {
            let Value::Object(e) = &mut edge else {
                return Err(bad());
            };
            let mut field = |k: &str| {
                e.iter_mut()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| std::mem::replace(v, Value::Null))
            };
            let cursor = match &mut field("cursor") {
                Some(Value::Str(c)) => std::mem::take(c),
                _ => return Err(bad()),
            };
            let mut node = field("node").unwrap_or(Value::Null);
            self.apply(&c.node, &mut node)?;
            rows.push(ConnectionRow {
                data: Some(node),
                cursor: Some(cursor),
                has_next_page: None,
                has_previous_page: None,
                total_count: None,
            });
        }
        if rows.is_empty() {
            rows.push(ConnectionRow {
                data: None,
                cursor: None,
                has_next_page: None,
                has_previous_page: None,
                total_count: None,
            });
        }
        rows[0].has_next_page = has_next;
        rows[0].has_previous_page = has_previous;
        rows[0].total_count = total_count;
        Ok(c.connection
            .assemble_keyed(rows, self.cursor_key.as_ref(), |d, _| {
                Ok::<_, GraphqlError>(d)
            })?
            .into_value())
    }
}

impl Response<Value> {
    /// The response value as plain data (a row's `data` as it is).
    fn into_value(self) -> Value {
        match self {
            Response::Null => Value::Null,
            Response::Bool(b) => Value::Bool(b),
            Response::Int(i) => Value::Int(i),
            Response::Str(s) => Value::Str(s),
            Response::List(items) => {
                Value::List(items.into_iter().map(Response::into_value).collect())
            }
            Response::Object(entries) => Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, v.into_value()))
                    .collect(),
            ),
            Response::Row(v) => v,
        }
    }
}

/// One row of a connection's statement, by column ([`Connection::columns`]): `data` (the
/// node), `__cursor` (NULL on the one row of an empty page), and, when the statement has
/// them, `__has_next_page`, `__has_previous_page` and `__total_count`. `T` is the caller's
/// representation of the `data` column (passed through untouched).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRow<T> {
    /// The `data` column.
    pub data: Option<T>,
    /// The `__cursor` column (the row's sort-key values as JSON array text).
    pub cursor: Option<String>,
    /// The `__has_next_page` column.
    pub has_next_page: Option<bool>,
    /// The `__has_previous_page` column.
    pub has_previous_page: Option<bool>,
    /// The `__total_count` column.
    pub total_count: Option<i64>,
}

/// A response value whose rows' `data` stay in the caller's representation `T`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Response<T> {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Response<T>>),
    /// An object, keys in response order.
    Object(Vec<(String, Response<T>)>),
    /// A row's `data` column, as the caller gave it.
    Row(T),
}

/// What a connection selects, and how its statement's rows become the response value
/// (`__typename`s, `edges { cursor node }`, `nodes`, `pageInfo { … }`, `totalCount`, under
/// their response keys). Cursors are encoded with the compile options' `cursor_key`.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    typename: String,
    parts: Vec<(String, ConnPart)>,
    page_info: bool,
    total_count: bool,
    cursor_key: Option<CursorKey>,
    /// A root connection whose node selects nested connections: each node's `data` goes
    /// through [`NestedConnections::finish`] ([`Connection::assemble`]'s `finish`).
    nested: Option<NestedConnections>,
}

#[derive(Debug, Clone, PartialEq)]
enum ConnPart {
    Typename,
    Edges(Vec<(String, EdgePart)>),
    Nodes,
    PageInfo(Vec<(String, InfoPart)>),
    TotalCount,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum EdgePart {
    Typename,
    Cursor,
    Node,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum InfoPart {
    Typename,
    HasNextPage,
    HasPreviousPage,
    StartCursor,
    EndCursor,
}

impl Connection {
    /// The statement's columns, in order: `data`, `__cursor`, then `__has_next_page` and
    /// `__has_previous_page` when [`Connection::has_page_info`], then `__total_count` when
    /// [`Connection::has_total_count`].
    pub fn columns(&self) -> Vec<&'static str> {
        let mut c = vec!["data", "__cursor"];
        if self.page_info {
            c.extend(["__has_next_page", "__has_previous_page"]);
        }
        if self.total_count {
            c.push("__total_count");
        }
        c
    }

    /// Whether the statement computes the page info columns.
    pub fn has_page_info(&self) -> bool {
        self.page_info
    }

    /// Whether the statement computes the total count column.
    pub fn has_total_count(&self) -> bool {
        self.total_count
    }

    /// Where the nodes hold nested connections (`userConnection { edges { node {
    /// postsConnection(first:) { … } } } }`): the finisher [`Connection::assemble`] hands
    /// each node's `data` to. `None`: the nodes are the rows' `data` as they are.
    pub fn nested(&self) -> Option<&NestedConnections> {
        self.nested.as_ref()
    }

    /// The connection object from the statement's rows, in the order they came. A row
    /// whose cursor is NULL (the empty page's) is no edge; it carries the page info and
    /// the total. A `__cursor` that is not one (rows of another statement) is
    /// `QB_INVALID_CURSOR`.
    ///
    /// When the nodes hold nested connections ([`Connection::nested`]), each node's `data`
    /// goes through `finish(data, nested)` first: the caller turns its representation `T`
    /// into a [`Value`], calls [`NestedConnections::finish`] and turns the result back
    /// (for `T = Value`, [`Connection::assemble_values`] does it). `finish` is not called
    /// otherwise. Its error (`E`, any type a [`GraphqlError`] converts into) is returned
    /// as it is.
    pub fn assemble<T, E: From<GraphqlError>>(
        &self,
        rows: Vec<ConnectionRow<T>>,
        finish: impl FnMut(T, &NestedConnections) -> Result<T, E>,
    ) -> Result<Response<T>, E> {
        self.assemble_keyed(rows, self.cursor_key.as_ref(), finish)
    }

    /// [`Connection::assemble`] of rows whose `data` is plain data: nested connections
    /// finished with [`NestedConnections::finish`].
    pub fn assemble_values(
        &self,
        rows: Vec<ConnectionRow<Value>>,
    ) -> Result<Response<Value>, GraphqlError> {
        self.assemble(rows, |d, n| n.finish(d))
    }

    /// [`Connection::assemble`] with cursors encoded with `cursor_key` (a nested
    /// connection's is its [`NestedConnections`]').
    fn assemble_keyed<T, E: From<GraphqlError>>(
        &self,
        rows: Vec<ConnectionRow<T>>,
        cursor_key: Option<&CursorKey>,
        mut finish: impl FnMut(T, &NestedConnections) -> Result<T, E>,
    ) -> Result<Response<T>, E> {
        let mut options = CompileOptions::default();
        options.cursor_key = cursor_key.cloned();
        let first = rows.first();
        let has_next = first.and_then(|r| r.has_next_page).unwrap_or(false);
        let has_previous = first.and_then(|r| r.has_previous_page).unwrap_or(false);
        let total = first.and_then(|r| r.total_count);
        let mut nodes: Vec<(String, T)> = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(c) = row.cursor else { continue };
            let cursor = qb_core::encode_cursor(&c, &options)
                .map_err(|e| GraphqlError::new(e.kind(), e.message()))?;
            let Some(data) = row.data else {
                return Err(GraphqlError::new(
                    ErrorKind::Internal,
                    "a connection row with a cursor has no `data`",
                )
                .into());
            };
            let data = match &self.nested {
                Some(n) => finish(data, n)?,
                None => data,
            };
            nodes.push((cursor, data));
        }
        let start = nodes.first().map(|(c, _)| c.clone());
        let end = nodes.last().map(|(c, _)| c.clone());
        let cursors: Vec<String> = nodes.iter().map(|(c, _)| c.clone()).collect();
        // At most one part reads the nodes (compile refuses more), so each is moved once.
        let mut data: Vec<Option<T>> = nodes.into_iter().map(|(_, d)| Some(d)).collect();
        let mut out = Vec::with_capacity(self.parts.len());
        for (key, part) in &self.parts {
            let v = match part {
                ConnPart::Typename => Response::Str(self.typename.clone()),
                ConnPart::TotalCount => match total {
                    Some(n) => Response::Int(n),
                    None => {
                        return Err(GraphqlError::new(
                            ErrorKind::Internal,
                            "the connection's statement returned no `__total_count`",
                        )
                        .into());
                    }
                },
                ConnPart::Nodes => Response::List(
                    data.iter_mut()
                        .map(|d| d.take().map_or(Response::Null, Response::Row))
                        .collect(),
                ),
                ConnPart::Edges(fields) => Response::List(
                    cursors
                        .iter()
                        .zip(data.iter_mut())
                        .map(|(cursor, d)| {
                            Response::Object(
                                fields
                                    .iter()
                                    .map(|(k, f)| {
                                        let v = match f {
                                            EdgePart::Typename => {
                                                Response::Str(format!("{}Edge", self.type_base()))
                                            }
                                            EdgePart::Cursor => Response::Str(cursor.clone()),
                                            EdgePart::Node => {
                                                d.take().map_or(Response::Null, Response::Row)
                                            }
                                        };
                                        (k.clone(), v)
                                    })
                                    .collect(),
                            )
                        })
                        .collect(),
                ),
                ConnPart::PageInfo(fields) => Response::Object(
                    fields
                        .iter()
                        .map(|(k, f)| {
                            let v = match f {
                                InfoPart::Typename => Response::Str("PageInfo".into()),
                                InfoPart::HasNextPage => Response::Bool(has_next),
                                InfoPart::HasPreviousPage => Response::Bool(has_previous),
                                InfoPart::StartCursor => {
                                    start.clone().map_or(Response::Null, Response::Str)
                                }
                                InfoPart::EndCursor => {
                                    end.clone().map_or(Response::Null, Response::Str)
                                }
                            };
                            (k.clone(), v)
                        })
                        .collect(),
                ),
            };
            out.push((key.clone(), v));
        }
        Ok(Response::Object(out))
    }

    /// `User` of `UserConnection`.
    fn type_base(&self) -> &str {
        self.typename
            .strip_suffix("Connection")
            .unwrap_or(&self.typename)
    }
}

/// A compiled request: the root fields in response order. The caller runs each `Sql`
/// field's statement and assembles `{"data": {response_key: rows (or the first row or
/// null when `single`), …}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledRequest {
    /// The root fields, in the order the response lists them.
    pub fields: Vec<RootField>,
    /// The operation's name, when it has one.
    pub operation_name: Option<String>,
}

/// Bounds of a request, checked on the parsed document before GraphQL validation runs
/// and again while fields are collected (fragments can multiply fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestLimits {
    pub(crate) max_depth: usize,
    pub(crate) max_fields: usize,
}

fn location(span: Option<SourceSpan>, sources: &SourceMap) -> Option<Location> {
    span.and_then(|s| s.line_column(sources))
        .map(|lc| Location {
            line: lc.line,
            column: lc.column,
        })
}

fn invalid(message: impl Into<String>) -> GraphqlError {
    GraphqlError::new(ErrorKind::GraphqlInvalid, message)
}

/// Compiles a GraphQL request (see the crate docs). A document the schema's cache holds
/// (the same text, operation name and options) is not parsed or validated again
/// ([`crate::DocumentCache`]); the variables are coerced on every call, and a request whose
/// variables have a fingerprint traced before binds them into the root fields' prepared
/// statements without lowering (`bound.rs`).
pub fn compile(
    document: &str,
    variables: Option<&Value>,
    operation_name: Option<&str>,
    schema: &GraphqlSchema,
    options: &CompileOptions,
) -> Result<CompiledRequest, GraphqlErrors> {
    let cache = &schema.cache;
    let entry = cache.document(document, operation_name, options, || {
        validate(document, schema, options)
    })?;
    let doc = entry.doc();
    let sources = doc.sources.clone();
    let operation = doc
        .operations
        .get(operation_name)
        .map_err(|e| invalid(e.message().to_string()))?;
    let Some(id) = entry.id().filter(|_| cache.binds()) else {
        let vars = coerce_variables(schema, operation, variables, &sources, None)?;
        return lower(doc, operation, &vars, &sources, schema, options);
    };
    let mut trace = Trace::default();
    let vars = coerce_variables(schema, operation, variables, &sources, Some(&mut trace))?;
    match cache.template(id, &trace.fingerprint).as_deref() {
        Some(Template::Bound(bound)) => {
            if let Some(out) = bound.bind(&trace.leaves, schema) {
                cache.count_bound();
                return Ok(out);
            }
            lower(doc, operation, &vars, &sources, schema, options)
        }
        Some(Template::Slow) => lower(doc, operation, &vars, &sources, schema, options),
        None => {
            let out = lower(doc, operation, &vars, &sources, schema, options)?;
            cache.insert_template(id, trace.fingerprint, Template::Seen);
            Ok(out)
        }
        Some(Template::Seen) => {
            let out = lower(doc, operation, &vars, &sources, schema, options)?;
            let template = crate::bound::trace(
                doc, operation, variables, &sources, &trace, &out, schema, options,
            )
            .map_or(Template::Slow, Template::Bound);
            cache.insert_template(id, trace.fingerprint, template);
            Ok(out)
        }
    }
}

/// Parses and validates a document (the part of [`compile`] that depends on the document
/// text, the schema and the options' limits only).
pub(crate) fn validate(
    document: &str,
    schema: &GraphqlSchema,
    options: &CompileOptions,
) -> Result<Valid<ExecutableDocument>, GraphqlErrors> {
    let limits = schema.limits(options);
    // Parse, bounded: the parser's own recursion and token limits stop pathological text.
    let mut parser = Parser::new()
        .recursion_limit(limits.max_depth * 8 + 64)
        .token_limit(limits.max_fields * 16 + 100_000);
    let ast = match parser.parse_ast(document, "request.graphql") {
        Ok(ast) => ast,
        Err(with) => {
            let mut errors = diagnostics(&with.errors);
            // The parser's own bounds are the request's limits too.
            for e in &mut errors.0 {
                if e.message.contains("recursion limit") {
                    e.kind = ErrorKind::DepthLimit;
                } else if e.message.contains("token limit") {
                    e.kind = ErrorKind::SizeLimit;
                }
            }
            return Err(errors);
        }
    };
    check_shape(&ast, &limits)?;
    ast.to_executable_validate(&schema.apollo)
        .map_err(|with| diagnostics(&with.errors))
}

/// A validated document's operation and its coerced variables to one query per root field
/// (the part of [`compile`] that depends on the variables).
fn lower(
    doc: &ExecutableDocument,
    operation: &executable::Operation,
    vars: &HashMap<String, Value>,
    sources: &SourceMap,
    schema: &GraphqlSchema,
    options: &CompileOptions,
) -> Result<CompiledRequest, GraphqlErrors> {
    let mut lower = Lower::new(schema, doc, vars, sources, options);
    let groups = lower.collect(&[&operation.selection_set], 1)?;
    let mut fields = Vec::with_capacity(groups.len());
    let mut errors = Vec::new();
    for (key, group) in groups {
        match lower.root_field(&key, &group, options) {
            Ok(f) => fields.push(f),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(GraphqlErrors(errors));
    }
    Ok(CompiledRequest {
        fields,
        operation_name: operation.name.as_ref().map(|n| n.as_str().to_owned()),
    })
}

/// [`lower`] without compiling: each root field's query AST (for `bound.rs`'s trace).
pub(crate) fn lower_fields(
    doc: &ExecutableDocument,
    operation: &executable::Operation,
    vars: &HashMap<String, Value>,
    sources: &SourceMap,
    schema: &GraphqlSchema,
    options: &CompileOptions,
) -> Result<Vec<Lowered>, GraphqlErrors> {
    let mut lower = Lower::new(schema, doc, vars, sources, options);
    let groups = lower.collect(&[&operation.selection_set], 1)?;
    groups
        .iter()
        .map(|(key, group)| lower.lower_root(key, group, options).map_err(Into::into))
        .collect()
}

fn diagnostics(list: &apollo_compiler::validation::DiagnosticList) -> GraphqlErrors {
    let mut out: Vec<GraphqlError> = list
        .iter()
        .map(|d| {
            let json = d.to_json();
            let mut e = invalid(json.message);
            e.locations = json
                .locations
                .iter()
                .map(|l| Location {
                    line: l.line,
                    column: l.column,
                })
                .collect();
            e
        })
        .collect();
    if out.is_empty() {
        out.push(invalid("invalid GraphQL request"));
    }
    GraphqlErrors(out)
}

/// Before validation: the selection depth of every definition and the number of fields in
/// the whole document stay within the limits (an alias bomb, thousands of fields, is
/// refused here, before any validation rule compares fields pairwise).
fn check_shape(doc: &ast::Document, limits: &RequestLimits) -> Result<(), GraphqlErrors> {
    let mut count = 0usize;
    for def in &doc.definitions {
        let set = match def {
            ast::Definition::OperationDefinition(op) => &op.selection_set,
            ast::Definition::FragmentDefinition(f) => &f.selection_set,
            _ => continue,
        };
        let mut stack: Vec<(&Vec<ast::Selection>, usize)> = vec![(set, 1)];
        while let Some((sels, depth)) = stack.pop() {
            for sel in sels {
                match sel {
                    ast::Selection::Field(f) => {
                        count += 1;
                        if count > limits.max_fields {
                            return Err(GraphqlError::new(
                                ErrorKind::SizeLimit,
                                format!(
                                    "the request selects more than {} fields (aliases included)",
                                    limits.max_fields
                                ),
                            )
                            .into());
                        }
                        if !f.selection_set.is_empty() {
                            if depth >= limits.max_depth {
                                return Err(GraphqlError::new(
                                    ErrorKind::DepthLimit,
                                    format!(
                                        "selections nest deeper than {} levels",
                                        limits.max_depth
                                    ),
                                )
                                .into());
                            }
                            stack.push((&f.selection_set, depth + 1));
                        }
                    }
                    ast::Selection::InlineFragment(f) => stack.push((&f.selection_set, depth)),
                    ast::Selection::FragmentSpread(_) => {}
                }
            }
        }
    }
    Ok(())
}

/// A GraphQL value as plain data, variables resolved (`None`: a variable that was not
/// provided, so the enclosing argument or input field is absent).
fn resolve(value: &ast::Value, vars: &HashMap<String, Value>) -> Option<Value> {
    Some(match value {
        ast::Value::Null => Value::Null,
        ast::Value::Enum(n) => Value::Str(n.as_str().to_owned()),
        ast::Value::Variable(n) => return vars.get(n.as_str()).cloned(),
        ast::Value::String(s) => Value::Str(s.clone()),
        ast::Value::Boolean(b) => Value::Bool(*b),
        ast::Value::Int(i) => number(i.as_str()),
        ast::Value::Float(f) => number(f.as_str()),
        ast::Value::List(items) => Value::List(
            items
                .iter()
                .map(|i| resolve(i, vars).unwrap_or(Value::Null))
                .collect(),
        ),
        ast::Value::Object(entries) => Value::Object(
            entries
                .iter()
                .filter_map(|(k, v)| resolve(v, vars).map(|v| (k.as_str().to_owned(), v)))
                .collect(),
        ),
    })
}

/// A GraphQL number literal (valid JSON number text) as exact data.
fn number(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::Int(i);
    }
    match Number::new(text) {
        Ok(n) => Value::Decimal(n),
        // Beyond PostgreSQL's numeric range: qb-core refuses it with its own error.
        Err(_) => Value::Str(text.to_owned()),
    }
}

/// Input coercion of a value to a type (the spec's rules for lists and input objects):
/// a single value where a list is expected becomes a one-item list; input object fields
/// follow their declared types. Scalars were checked by validation (literals) or by
/// [`coerce_variables`]; their meaning is checked by qb-core.
fn coerce(value: &Value, ty: &Type, schema: &GraphqlSchema) -> Value {
    match (ty, value) {
        (_, Value::Null) => Value::Null,
        (Type::List(inner) | Type::NonNullList(inner), Value::List(items)) => {
            Value::List(items.iter().map(|i| coerce(i, inner, schema)).collect())
        }
        (Type::List(inner) | Type::NonNullList(inner), v) => {
            Value::List(vec![coerce(v, inner, schema)])
        }
        (Type::Named(n) | Type::NonNullNamed(n), Value::Object(entries)) => {
            let def = schema.apollo.get_input_object(n.as_str());
            Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let v = match def.and_then(|d| d.fields.get(k.as_str())) {
                            Some(f)
                                if *v == Value::Null && is_relation_filter(k, &f.ty, schema) =>
                            {
                                // `author: null`: no related row (the AST's `isnull`).
                                Value::Object(vec![("isnull".into(), Value::Bool(true))])
                            }
                            Some(f) => coerce(v, &f.ty, schema),
                            None => v.clone(),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            )
        }
        (_, v) => v.clone(),
    }
}

/// Whether the input field `key` of type `ty` (in a `<Type>Where`) filters a many-to-one
/// relation: its type is the `Where` input of a view's type (`author: UserWhere`), as the
/// SDL writes only for such relations (and for `and`/`or`/`not`).
fn is_relation_filter(key: &str, ty: &Type, schema: &GraphqlSchema) -> bool {
    !matches!(key, "and" | "or" | "not")
        && matches!(ty, Type::Named(n) | Type::NonNullNamed(n)
            if n.as_str().strip_suffix("Where").is_some_and(|t| schema.view_types.contains(t)))
}

/// What coercing the variables tells the document cache's bound hits
/// ([`crate::DocumentCache`]): a **fingerprint** of the variables that keeps everything that
/// can change the lowering or the SQL (which variables are given, JSON kinds, object keys,
/// list lengths, booleans, enum values, nulls, custom scalars' objects and lists) and leaves
/// out only the **leaves**: the values of `Int`, `Float`, `String`, `ID` and custom scalars
/// given as a string or number, which a query may take as an operand. The leaves, coerced,
/// are kept in walk order. With `markers`, each leaf's coerced value is replaced by a
/// marker ([`marker`]), to trace where each leaf lands in the lowered queries.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    pub(crate) fingerprint: Vec<u8>,
    pub(crate) leaves: Vec<Value>,
    markers: bool,
}

impl Trace {
    /// A trace that puts a marker in place of each leaf.
    pub(crate) fn with_markers() -> Trace {
        Trace {
            markers: true,
            ..Trace::default()
        }
    }

    fn byte(&mut self, b: u8) {
        self.fingerprint.push(b);
    }

    fn len(&mut self, n: usize) {
        self.fingerprint
            .extend_from_slice(&(n as u64).to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.fingerprint.extend_from_slice(s.as_bytes());
    }

    /// A value kept in full.
    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.byte(0),
            Value::Bool(b) => self.byte(1 + u8::from(*b)),
            Value::Int(i) => {
                self.byte(3);
                self.fingerprint.extend_from_slice(&i.to_le_bytes());
            }
            Value::Float(f) => {
                self.byte(4);
                self.fingerprint
                    .extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Value::Decimal(d) => {
                self.byte(5);
                self.str(d.as_str());
            }
            Value::Str(s) => {
                self.byte(6);
                self.str(s);
            }
            Value::List(items) => {
                self.byte(7);
                self.len(items.len());
                for i in items {
                    self.value(i);
                }
            }
            Value::Object(entries) => {
                self.byte(8);
                self.len(entries.len());
                for (k, i) in entries {
                    self.str(k);
                    self.value(i);
                }
            }
        }
    }

    /// A leaf: its JSON kind in the fingerprint, its coerced value kept (or a marker in
    /// its place, returned).
    fn leaf(&mut self, raw: &Value, coerced: Value) -> Value {
        self.byte(match raw {
            Value::Int(_) => 9,
            Value::Float(_) => 10,
            Value::Decimal(_) => 11,
            _ => 12,
        });
        let i = self.leaves.len();
        let out = if self.markers {
            marker(i, &coerced)
        } else {
            coerced.clone()
        };
        self.leaves.push(coerced);
        out
    }
}

/// The first marker integer (markers stay 32-bit integers, as `Int` requires).
const MARKER_INT: i64 = 1_500_000_000;

/// The marker of leaf `i`, of the coerced leaf's JSON kind (so the lowering takes the same
/// branches as for the leaf).
pub(crate) fn marker(i: usize, like: &Value) -> Value {
    let n = MARKER_INT + i as i64;
    match like {
        Value::Int(_) => Value::Int(n),
        Value::Float(_) => Value::Float(n as f64 + 0.25),
        Value::Decimal(_) => Number::new(format!("{n}.25"))
            .map_or_else(|_| Value::Str(format!("{n}")), Value::Decimal),
        _ => Value::Str(format!("\u{1}qb-variable-{i}\u{1}")),
    }
}

/// Checks a provided variable value against its type (the spec's CoerceVariableValues for
/// one value), returning the coerced value or a message; with a [`Trace`], also its
/// fingerprint and leaves.
fn check_input(
    value: &Value,
    ty: &Type,
    schema: &GraphqlSchema,
    path: &str,
    mut trace: Option<&mut Trace>,
) -> Result<Value, String> {
    let (named, non_null, list) = match ty {
        Type::Named(n) => (Some(n), false, None),
        Type::NonNullNamed(n) => (Some(n), true, None),
        Type::List(i) => (None, false, Some(i)),
        Type::NonNullList(i) => (None, true, Some(i)),
    };
    if *value == Value::Null {
        if let Some(t) = trace {
            t.byte(0);
        }
        return if non_null {
            Err(format!("{path} must not be null (type {ty})"))
        } else {
            Ok(Value::Null)
        };
    }
    if let Some(inner) = list {
        return match value {
            Value::List(items) => {
                if let Some(t) = trace.as_deref_mut() {
                    t.byte(7);
                    t.len(items.len());
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        check_input(
                            v,
                            inner,
                            schema,
                            &format!("{path}[{i}]"),
                            trace.as_deref_mut(),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::List)
            }
            v => {
                if let Some(t) = trace.as_deref_mut() {
                    t.byte(13);
                }
                Ok(Value::List(vec![check_input(
                    v, inner, schema, path, trace,
                )?]))
            }
        };
    }
    let name = named.expect("named type").as_str();
    let mismatch = |v: &Value| format!("{path} is a {}, not a valid {name}", v.type_name());
    match schema.apollo.types.get(name) {
        Some(ExtendedType::Scalar(_)) => {
            let coerced = coerce_scalar(value, name, &mismatch)?;
            match trace {
                Some(t)
                    if name != "Boolean"
                        && matches!(
                            value,
                            Value::Int(_) | Value::Float(_) | Value::Decimal(_) | Value::Str(_)
                        ) =>
                {
                    Ok(t.leaf(value, coerced))
                }
                Some(t) => {
                    t.value(value);
                    Ok(coerced)
                }
                None => Ok(coerced),
            }
        }
        Some(ExtendedType::Enum(e)) => match &value {
            Value::Str(s) if e.values.contains_key(s.as_str()) => {
                if let Some(t) = trace {
                    t.value(value);
                }
                Ok(value.clone())
            }
            v => Err(format!("{} (one of the enum's values)", mismatch(v))),
        },
        Some(ExtendedType::InputObject(def)) => {
            let Value::Object(entries) = value else {
                return Err(mismatch(value));
            };
            if let Some(t) = trace.as_deref_mut() {
                t.byte(8);
                t.len(entries.len());
            }
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let Some(field) = def.fields.get(k.as_str()) else {
                    return Err(format!("{path}.{k} is not a field of {name}"));
                };
                if let Some(t) = trace.as_deref_mut() {
                    t.str(k);
                }
                out.push((
                    k.clone(),
                    check_input(
                        v,
                        &field.ty,
                        schema,
                        &format!("{path}.{k}"),
                        trace.as_deref_mut(),
                    )?,
                ));
            }
            for (k, field) in &def.fields {
                if field.ty.is_non_null()
                    && field.default_value.is_none()
                    && !out.iter().any(|(n, _)| n == k.as_str())
                {
                    return Err(format!("{path}.{k} is required (type {})", field.ty));
                }
            }
            Ok(Value::Object(out))
        }
        _ => Err(format!("{path}: {name} is not an input type")),
    }
}

/// GraphQL's input coercion of a scalar value (a variable's, or a leaf of one) to the
/// scalar type `name`.
fn coerce_scalar(
    value: &Value,
    name: &str,
    mismatch: &dyn Fn(&Value) -> String,
) -> Result<Value, String> {
    let ok = || Ok(value.clone());
    match name {
        "Int" => match &value {
            Value::Int(i) if i32::try_from(*i).is_ok() => ok(),
            Value::Float(f) if f.fract() == 0.0 && f.abs() <= i32::MAX as f64 => {
                Ok(Value::Int(*f as i64))
            }
            v => Err(format!("{} (a 32-bit integer)", mismatch(v))),
        },
        // The spec's Float is finite (a host's NaN or infinity is not one).
        "Float" => match &value {
            Value::Int(_) | Value::Decimal(_) => ok(),
            Value::Float(f) if f.is_finite() => ok(),
            v => Err(format!("{} (a finite number)", mismatch(v))),
        },
        "String" => match &value {
            Value::Str(_) => ok(),
            v => Err(mismatch(v)),
        },
        "Boolean" => match &value {
            Value::Bool(_) => ok(),
            v => Err(mismatch(v)),
        },
        "ID" => match &value {
            Value::Str(_) | Value::Int(_) => ok(),
            v => Err(mismatch(v)),
        },
        // Custom scalars: any JSON; qb-core checks the operand for its field's type.
        _ => ok(),
    }
}

/// The operation's variables, coerced (the spec's CoerceVariableValues); with a [`Trace`],
/// also their fingerprint and leaves.
pub(crate) fn coerce_variables(
    schema: &GraphqlSchema,
    operation: &executable::Operation,
    variables: Option<&Value>,
    sources: &SourceMap,
    mut trace: Option<&mut Trace>,
) -> Result<HashMap<String, Value>, GraphqlErrors> {
    let empty = Vec::new();
    let provided: &Vec<(String, Value)> = match variables {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(entries)) => entries,
        Some(v) => {
            return Err(invalid(format!(
                "variables must be an object, not a {}",
                v.type_name()
            ))
            .into());
        }
    };
    let mut out = HashMap::new();
    let mut errors = Vec::new();
    for def in &operation.variables {
        let name = def.name.as_str();
        let loc = location(def.location(), sources);
        let given = provided.iter().find(|(k, _)| k == name);
        if let Some(t) = trace.as_deref_mut() {
            t.byte(u8::from(given.is_some()));
        }
        match given {
            Some((_, v)) => match check_input(
                v,
                &def.ty,
                schema,
                &format!("${name}"),
                trace.as_deref_mut(),
            ) {
                Ok(v) => {
                    out.insert(name.to_owned(), v);
                }
                Err(m) => errors.push(invalid(format!("variable {m}")).at(loc)),
            },
            None => match &def.default_value {
                Some(d) => {
                    let v = resolve(d, &HashMap::new()).unwrap_or(Value::Null);
                    out.insert(name.to_owned(), coerce(&v, &def.ty, schema));
                }
                None if def.ty.is_non_null() => errors.push(
                    invalid(format!("variable ${name} of type {} is required", def.ty)).at(loc),
                ),
                None => {}
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(GraphqlErrors(errors))
    }
}

/// Fields with one response key, collected from every selection set that selects it.
type Group<'d> = Vec<&'d Node<Field>>;

/// What a connection field selects ([`Lower::connection_shape`]).
struct ConnShape<'d> {
    /// `<Type>Connection`.
    typename: String,
    parts: Vec<(String, ConnPart)>,
    /// Where the node is read: its response path and its fields merged.
    node: Option<(Vec<String>, Group<'d>)>,
    page_info: bool,
    total_count: bool,
}

/// A root field lowered to its query AST, before it is compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lowered {
    /// A value known without SQL.
    Constant(RootField),
    /// [`RootField::Sql`] without its statement.
    Sql {
        response_key: String,
        query: Query,
        single: bool,
        nested: Option<NestedConnections>,
    },
    /// [`RootField::Connection`] without its statement.
    Connection {
        response_key: String,
        query: Query,
        connection: Connection,
    },
}

/// Where a part of a query AST came from: its AST path prefix, the response path and the
/// document location, to map a qb-core error back.
#[derive(Debug)]
struct Mark {
    ast: String,
    path: Vec<String>,
    location: Option<Location>,
}

struct Lower<'a> {
    schema: &'a GraphqlSchema,
    doc: &'a ExecutableDocument,
    vars: &'a HashMap<String, Value>,
    sources: &'a SourceMap,
    limits: RequestLimits,
    fields_seen: usize,
    marks: Vec<Mark>,
}

impl<'a> Lower<'a> {
    fn new(
        schema: &'a GraphqlSchema,
        doc: &'a ExecutableDocument,
        vars: &'a HashMap<String, Value>,
        sources: &'a SourceMap,
        options: &CompileOptions,
    ) -> Self {
        Lower {
            schema,
            doc,
            vars,
            sources,
            limits: schema.limits(options),
            fields_seen: 0,
            marks: Vec::new(),
        }
    }

    /// `@skip(if:)` / `@include(if:)`: whether the selection is in.
    fn included(&self, directives: &ast::DirectiveList) -> bool {
        let flag = |name: &str| {
            directives.get(name).and_then(|d| {
                d.specified_argument_by_name("if")
                    .and_then(|v| resolve(v, self.vars))
            })
        };
        if let Some(Value::Bool(true)) = flag("skip") {
            return false;
        }
        !matches!(flag("include"), Some(Value::Bool(false)))
    }

    /// The spec's CollectFields over several selection sets (the merged sub-selections of
    /// one response key): fields grouped by response key in first-seen order.
    fn collect(
        &mut self,
        sets: &[&'a SelectionSet],
        depth: usize,
    ) -> Result<Vec<(String, Group<'a>)>, GraphqlErrors> {
        if depth > self.limits.max_depth {
            return Err(GraphqlError::new(
                ErrorKind::DepthLimit,
                format!(
                    "selections nest deeper than {} levels",
                    self.limits.max_depth
                ),
            )
            .into());
        }
        let mut groups: Vec<(String, Group<'a>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut visited: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&'a Selection> = Vec::new();
        for set in sets.iter().rev() {
            stack.extend(set.selections.iter().rev());
        }
        while let Some(sel) = stack.pop() {
            match sel {
                Selection::Field(f) => {
                    if !self.included(&f.directives) {
                        continue;
                    }
                    self.fields_seen += 1;
                    if self.fields_seen > self.limits.max_fields {
                        return Err(GraphqlError::new(
                            ErrorKind::SizeLimit,
                            format!(
                                "the request selects more than {} fields once fragments are expanded",
                                self.limits.max_fields
                            ),
                        )
                        .into());
                    }
                    let key = f.response_key().as_str().to_owned();
                    match index.get(&key) {
                        Some(&i) => groups[i].1.push(f),
                        None => {
                            index.insert(key.clone(), groups.len());
                            groups.push((key, vec![f]));
                        }
                    }
                }
                Selection::InlineFragment(f) => {
                    if self.included(&f.directives) {
                        stack.extend(f.selection_set.selections.iter().rev());
                    }
                }
                Selection::FragmentSpread(s) => {
                    if !self.included(&s.directives) || !visited.insert(s.fragment_name.as_str()) {
                        continue;
                    }
                    if let Some(frag) = self.doc.fragments.get(&s.fragment_name) {
                        stack.extend(frag.selection_set.selections.iter().rev());
                    }
                }
            }
        }
        Ok(groups)
    }

    fn loc(&self, span: Option<SourceSpan>) -> Option<Location> {
        location(span, self.sources)
    }

    /// An argument of the field, resolved and coerced to its declared type; `None` when it
    /// is absent, null, or a variable that was not provided.
    fn argument(&self, field: &Field, name: &str) -> Option<(Value, Option<Location>)> {
        let arg = field.arguments.iter().find(|a| a.name == name)?;
        let value = resolve(&arg.value, self.vars)?;
        if value == Value::Null {
            return None;
        }
        let ty = &field.definition.argument_by_name(name)?.ty;
        Some((coerce(&value, ty, self.schema), self.loc(arg.location())))
    }

    /// A root field: lowered ([`Lower::lower_root`]), then compiled.
    fn root_field(
        &mut self,
        key: &str,
        group: &Group<'a>,
        options: &CompileOptions,
    ) -> Result<RootField, GraphqlError> {
        let lowered = self.lower_root(key, group, options)?;
        self.finish(lowered, options)
    }

    /// A lowered root field compiled: a list's query through the shape cache, a
    /// connection's uncached (a paged shape is compiled on every bind anyway).
    fn finish(
        &self,
        lowered: Lowered,
        options: &CompileOptions,
    ) -> Result<RootField, GraphqlError> {
        Ok(match lowered {
            Lowered::Constant(f) => f,
            Lowered::Sql {
                response_key,
                query,
                single,
                nested,
            } => {
                let compiled = self
                    .schema
                    .cache
                    .shapes()
                    .compile(&query, &self.schema.registry, options)
                    .map_err(|e| self.core_error(e))?;
                RootField::Sql {
                    response_key,
                    query: Box::new(query),
                    compiled,
                    single,
                    nested,
                }
            }
            Lowered::Connection {
                response_key,
                query,
                connection,
            } => {
                let compiled = qb_core::compile(&query, &self.schema.registry, options)
                    .map_err(|e| self.core_error(e))?;
                RootField::Connection {
                    response_key,
                    query: Box::new(query),
                    compiled,
                    connection,
                }
            }
        })
    }

    /// A root field as its query AST (not compiled).
    fn lower_root(
        &mut self,
        key: &str,
        group: &Group<'a>,
        options: &CompileOptions,
    ) -> Result<Lowered, GraphqlError> {
        let field = group[0];
        let name = field.name.as_str();
        let loc = self.loc(field.location());
        if name == "__typename" {
            return Ok(Lowered::Constant(RootField::Constant {
                response_key: key.to_owned(),
                value: Value::Str("Query".into()),
            }));
        }
        let Some(root) = self.schema.roots.get(name) else {
            return Err(GraphqlError::new(
                ErrorKind::Unsupported,
                format!(
                    "`{name}` is not compiled to SQL (introspection is not served: read the SDL, `qb sdl`)"
                ),
            )
            .at(loc));
        };
        self.marks.clear();
        let path = vec![key.to_owned()];
        self.marks.push(Mark {
            ast: String::new(),
            path: path.clone(),
            location: loc,
        });
        let mut entries = vec![("view".to_owned(), Value::Str(root.view.clone()))];
        if root.kind == RootKind::Connection {
            return self.connection(key, group, entries, options);
        }
        let mut plan = Vec::new();
        let select = self
            .selection(group, "", &path, &mut plan)
            .map_err(|e| e.0.into_iter().next().expect("an error"))?;
        entries.push(("select".into(), Value::List(select)));
        let single = match &root.kind {
            RootKind::List => {
                self.list_arguments(field, "", &path, &mut entries);
                false
            }
            RootKind::Connection => unreachable!("handled above"),
            RootKind::ByKey(columns) => {
                let mut filter = Vec::new();
                for c in columns {
                    if let Some((v, l)) = self.argument(field, c) {
                        self.mark("where", &path, l);
                        filter.push((c.clone(), Value::Object(vec![("eq".into(), v)])));
                    }
                }
                entries.push(("where".into(), Value::Object(filter)));
                true
            }
        };
        entries.push(("camel_case".into(), Value::Bool(true)));
        let ast = Value::Object(entries);
        let query = Query::from_owned_value_with_limits(ast, &options.limits)
            .map_err(|e| self.core_error(e))?;
        Ok(Lowered::Sql {
            response_key: key.to_owned(),
            query,
            single,
            nested: (!plan.is_empty()).then(|| NestedConnections {
                plan,
                cursor_key: options.cursor_key.clone(),
            }),
        })
    }

    /// A `<type>Connection` root field: the node's selection is the query's, the
    /// connection's arguments its `where`/`order_by`/`first`/`after`/`last`/`before`, and
    /// `page_info`/`total_count` are asked for only when selected.
    fn connection(
        &mut self,
        key: &str,
        group: &Group<'a>,
        mut entries: Vec<(String, Value)>,
        options: &CompileOptions,
    ) -> Result<Lowered, GraphqlError> {
        let field = group[0];
        let loc = self.loc(field.location());
        let path = vec![key.to_owned()];
        let first_err = |e: GraphqlErrors| e.0.into_iter().next().expect("an error");
        let shape = self.connection_shape(group, &path)?;
        let ConnShape {
            typename,
            parts,
            node,
            page_info,
            total_count,
        } = shape;
        let mut plan = Vec::new();
        let select = match &node {
            Some((at, fields)) => self
                .selection(fields, "", at, &mut plan)
                .map_err(first_err)?,
            // No node selected: the rows still carry the cursors; `__typename` is the
            // cheapest selection.
            None => vec![Value::Str("__typename".into())],
        };
        entries.push(("select".into(), Value::List(select)));
        self.page_arguments(field, "", &path, loc, page_info, total_count, &mut entries)?;
        entries.push(("camel_case".into(), Value::Bool(true)));
        let query = Query::from_owned_value_with_limits(Value::Object(entries), &options.limits)
            .map_err(|e| self.core_error(e))?;
        Ok(Lowered::Connection {
            response_key: key.to_owned(),
            query,
            connection: Connection {
                typename,
                parts,
                page_info,
                total_count,
                cursor_key: options.cursor_key.clone(),
                nested: (!plan.is_empty()).then(|| NestedConnections {
                    plan,
                    cursor_key: options.cursor_key.clone(),
                }),
            },
        })
    }

    /// What a connection field (root or nested, at response path `path`) selects: its
    /// parts, where its node is read, and whether page info and the total are asked for.
    fn connection_shape(
        &mut self,
        group: &Group<'a>,
        path: &[String],
    ) -> Result<ConnShape<'a>, GraphqlError> {
        let first_err = |e: GraphqlErrors| e.0.into_iter().next().expect("an error");
        let sets: Vec<&'a SelectionSet> = group.iter().map(|f| &f.selection_set).collect();
        let typename = sets
            .first()
            .map(|s| s.ty.as_str().to_owned())
            .unwrap_or_default();
        let mut parts = Vec::new();
        // Where the node is read: (its response path, its fields merged).
        let mut node: Option<(Vec<String>, Group<'a>)> = None;
        let mut node_site = |this: &Self, at: Vec<String>, g: &Group<'a>, l| {
            match &mut node {
                Some((p, fields)) if *p == at => fields.extend(g.iter().copied()),
                Some(_) => {
                    let mut e = GraphqlError::new(
                        ErrorKind::Unsupported,
                        "a connection's node is selected once: under one `edges { node }` or one `nodes`",
                    )
                    .at(this.loc(l));
                    e.path = at;
                    return Err(e);
                }
                None => node = Some((at, g.clone())),
            }
            Ok(())
        };
        let mut page_info = false;
        let mut total_count = false;
        for (k, g) in self.collect(&sets, path.len() + 1).map_err(first_err)? {
            let part = match g[0].name.as_str() {
                "__typename" => ConnPart::Typename,
                "totalCount" => {
                    total_count = true;
                    ConnPart::TotalCount
                }
                "nodes" => {
                    let at = [path, std::slice::from_ref(&k)].concat();
                    node_site(self, at, &g, g[0].location())?;
                    ConnPart::Nodes
                }
                "edges" => {
                    let sub: Vec<&'a SelectionSet> = g.iter().map(|f| &f.selection_set).collect();
                    let mut fields = Vec::new();
                    for (ek, eg) in self.collect(&sub, path.len() + 2).map_err(first_err)? {
                        let f = match eg[0].name.as_str() {
                            "__typename" => EdgePart::Typename,
                            "cursor" => EdgePart::Cursor,
                            _ => {
                                let at = [path, &[k.clone(), ek.clone()]].concat();
                                node_site(self, at, &eg, eg[0].location())?;
                                EdgePart::Node
                            }
                        };
                        fields.push((ek, f));
                    }
                    ConnPart::Edges(fields)
                }
                _ => {
                    // pageInfo (validation admits nothing else).
                    let sub: Vec<&'a SelectionSet> = g.iter().map(|f| &f.selection_set).collect();
                    let mut fields = Vec::new();
                    for (pk, pg) in self.collect(&sub, path.len() + 2).map_err(first_err)? {
                        let f = match pg[0].name.as_str() {
                            "__typename" => InfoPart::Typename,
                            "hasNextPage" => InfoPart::HasNextPage,
                            "hasPreviousPage" => InfoPart::HasPreviousPage,
                            "startCursor" => InfoPart::StartCursor,
                            _ => InfoPart::EndCursor,
                        };
                        page_info |= matches!(f, InfoPart::HasNextPage | InfoPart::HasPreviousPage);
                        fields.push((pk, f));
                    }
                    ConnPart::PageInfo(fields)
                }
            };
            parts.push((k, part));
        }
        Ok(ConnShape {
            typename,
            parts,
            node,
            page_info,
            total_count,
        })
    }

    /// `where`/`orderBy` and `first`/`after`/`last`/`before` of a connection field (root:
    /// `prefix` empty; nested: its selection item's AST path), then `page_info` and
    /// `total_count` when asked for. `first` or `last` is required.
    #[allow(clippy::too_many_arguments)]
    fn page_arguments(
        &mut self,
        field: &Field,
        prefix: &str,
        path: &[String],
        loc: Option<Location>,
        page_info: bool,
        total_count: bool,
        entries: &mut Vec<(String, Value)>,
    ) -> Result<(), GraphqlError> {
        self.list_arguments(field, prefix, path, entries);
        let mut paged = false;
        for arg in ["first", "after", "last", "before"] {
            if let Some((v, l)) = self.argument(field, arg) {
                let ast = if prefix.is_empty() {
                    arg.to_owned()
                } else {
                    format!("{prefix}.{arg}")
                };
                self.mark(&ast, path, l);
                paged |= matches!(arg, "first" | "last");
                entries.push((arg.into(), v));
            }
        }
        if !paged {
            let mut e = GraphqlError::new(
                ErrorKind::InvalidQuery,
                format!(
                    "`{}` needs `first` or `last`: a connection reads one page",
                    field.name
                ),
            )
            .at(loc);
            e.path = path.to_vec();
            return Err(e);
        }
        if page_info {
            entries.push(("page_info".into(), Value::Bool(true)));
        }
        if total_count {
            entries.push(("total_count".into(), Value::Bool(true)));
        }
        Ok(())
    }

    fn mark(&mut self, ast: &str, path: &[String], location: Option<Location>) {
        self.marks.push(Mark {
            ast: ast.to_owned(),
            path: path.to_vec(),
            location,
        });
    }

    /// `where`, `orderBy`, `distinctOn` (root lists), `limit`, `offset` of a list (root or
    /// relation) as AST keys.
    fn list_arguments(
        &mut self,
        field: &Field,
        prefix: &str,
        path: &[String],
        entries: &mut Vec<(String, Value)>,
    ) {
        let at = |k: &str| {
            if prefix.is_empty() {
                k.to_owned()
            } else {
                format!("{prefix}.{k}")
            }
        };
        if let Some((v, l)) = self.argument(field, "where") {
            self.mark(&at("where"), path, l);
            entries.push(("where".into(), v));
        }
        if let Some((v, l)) = self.argument(field, "orderBy") {
            self.mark(&at("order_by"), path, l);
            let mut keys = Vec::new();
            if let Value::List(items) = &v {
                for item in items {
                    order_keys(item, "", &mut keys);
                }
            }
            entries.push(("order_by".into(), Value::List(keys)));
        }
        if let Some((v, l)) = self.argument(field, "distinctOn") {
            self.mark(&at("distinct_on"), path, l);
            entries.push(("distinct_on".into(), v));
        }
        for (arg, key) in [("limit", "limit"), ("offset", "offset")] {
            if let Some((v, l)) = self.argument(field, arg) {
                self.mark(&at(key), path, l);
                entries.push((key.into(), v));
            }
        }
    }

    /// The AST selection items of a merged field's sub-selection.
    fn selection(
        &mut self,
        group: &Group<'a>,
        prefix: &str,
        path: &[String],
        plan: &mut Vec<(String, Plan)>,
    ) -> Result<Vec<Value>, GraphqlErrors> {
        let sets: Vec<&'a SelectionSet> = group.iter().map(|f| &f.selection_set).collect();
        let depth = path.len() + 1;
        let fields = self.collect(&sets, depth)?;
        // The GraphQL type these fields belong to: a view's, or a nested object's. (Its
        // `__typename` is the core's: the registry names every object as the SDL does.)
        let parent = sets.first().map(|s| s.ty.as_str()).unwrap_or_default();
        let view_type = self.schema.view_types.contains(parent);
        let mut items = Vec::with_capacity(fields.len());
        for (i, (key, sub)) in fields.into_iter().enumerate() {
            let f = sub[0];
            let name = f.name.as_str();
            let item_prefix = if prefix.is_empty() {
                format!("select[{i}]")
            } else {
                format!("{prefix}.select[{i}]")
            };
            let mut item_path = path.to_vec();
            item_path.push(key.clone());
            let loc = self.loc(f.location());
            self.mark(&item_prefix, &item_path, loc);
            if f.selection_set.selections.is_empty() && f.arguments.is_empty() {
                if key == name {
                    items.push(Value::Str(key));
                } else {
                    items.push(Value::Object(vec![
                        ("field".into(), Value::Str(name.to_owned())),
                        ("alias".into(), Value::Str(key)),
                    ]));
                }
                continue;
            }
            let relation = name.strip_suffix("Connection").filter(|_| {
                view_type
                    && f.selection_set
                        .ty
                        .as_str()
                        .strip_suffix("Connection")
                        .is_some_and(|t| self.schema.view_types.contains(t))
            });
            if let Some(relation) = relation {
                let (item, conn) =
                    self.nested_connection(&sub, relation, &key, &item_prefix, &item_path)?;
                items.push(item);
                plan.push((key, Plan::Connection(Box::new(conn))));
                continue;
            }
            let mut entries = vec![("field".to_owned(), Value::Str(name.to_owned()))];
            if key != name {
                entries.push(("alias".into(), Value::Str(key.clone())));
            }
            let mut sub_plan = Vec::new();
            let select = self.selection(&sub, &item_prefix, &item_path, &mut sub_plan)?;
            if !sub_plan.is_empty() {
                plan.push((key.clone(), Plan::Object(sub_plan)));
            }
            entries.push(("select".into(), Value::List(select)));
            self.list_arguments(f, &item_prefix, &item_path, &mut entries);
            items.push(Value::Object(entries));
        }
        Ok(items)
    }

    /// A list relation's connection (`postsConnection(first:, after:)`): the relation's
    /// selection item with the core's nested keyset page keys, and how
    /// [`NestedConnections::finish`] turns the core's connection object into the
    /// selected one.
    fn nested_connection(
        &mut self,
        group: &Group<'a>,
        relation: &str,
        key: &str,
        prefix: &str,
        path: &[String],
    ) -> Result<(Value, NestedConnection), GraphqlErrors> {
        let field = group[0];
        let loc = self.loc(field.location());
        let ConnShape {
            typename,
            parts,
            node,
            page_info,
            total_count,
        } = self.connection_shape(group, path)?;
        let mut entries = vec![("field".to_owned(), Value::Str(relation.to_owned()))];
        entries.push(("alias".into(), Value::Str(key.to_owned())));
        let mut node_plan = Vec::new();
        let select = match &node {
            Some((at, fields)) => self.selection(fields, prefix, at, &mut node_plan)?,
            // No node selected: the edges still carry the cursors.
            None => vec![Value::Str("__typename".into())],
        };
        entries.push(("select".into(), Value::List(select)));
        self.page_arguments(
            field,
            prefix,
            path,
            loc,
            page_info,
            total_count,
            &mut entries,
        )?;
        let connection = Connection {
            typename,
            parts,
            page_info,
            total_count,
            cursor_key: None,
            nested: None,
        };
        Ok((
            Value::Object(entries),
            NestedConnection {
                connection,
                node: node_plan,
            },
        ))
    }

    /// A qb-core error at the response path and location of the field its AST path is in
    /// (the longest recorded prefix).
    fn core_error(&self, e: qb_core::Error) -> GraphqlError {
        let ast = e.path();
        let mark = self
            .marks
            .iter()
            .filter(|m| {
                m.ast.is_empty()
                    || (ast.starts_with(&m.ast)
                        && matches!(ast.as_bytes().get(m.ast.len()), None | Some(b'.' | b'[')))
            })
            .max_by_key(|m| m.ast.len());
        let mut out = GraphqlError::new(e.kind(), e.message());
        out.ast_path = Some(ast.to_owned());
        if let Some(m) = mark {
            out.path = m.path.clone();
            out.locations.extend(m.location);
        }
        out
    }
}

/// One `orderBy` item (`{age: DESC, profile: {city: ASC}}`) as AST order keys, in the
/// order written.
fn order_keys(item: &Value, prefix: &str, out: &mut Vec<Value>) {
    let Value::Object(entries) = item else {
        return;
    };
    for (k, v) in entries {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Str(dir) => {
                let (direction, nulls) = match dir.as_str() {
                    "ASC" => ("asc", None),
                    "ASC_NULLS_FIRST" => ("asc", Some("first")),
                    "ASC_NULLS_LAST" => ("asc", Some("last")),
                    "DESC" => ("desc", None),
                    "DESC_NULLS_FIRST" => ("desc", Some("first")),
                    "DESC_NULLS_LAST" => ("desc", Some("last")),
                    // Validation allows only the enum's values; anything else reaches
                    // qb-core, which refuses it.
                    other => (other, None),
                };
                let mut key = vec![
                    ("field".to_owned(), Value::Str(path)),
                    ("direction".into(), Value::Str(direction.to_owned())),
                ];
                if let Some(n) = nulls {
                    key.push(("nulls".into(), Value::Str(n.to_owned())));
                }
                out.push(Value::Object(key));
            }
            Value::Object(_) => order_keys(v, &path, out),
            _ => {}
        }
    }
}
