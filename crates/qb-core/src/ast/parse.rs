//! Document -> `Query`: shape checks with error codes and paths. Types and values are checked
//! later, against the schema, by the compiler. The parser reads any [`Source`]: a `Value`,
//! or a binding's host objects.

use std::borrow::Cow;

use super::source::{Kind, Source};
use super::{
    AggregateFn, AggregateSelection, Condition, Direction, FieldPath, FieldSelection, Filter,
    ListPage, NestedFilter, Nulls, Operator, OrderBy, Output, Quantifier, Query, Selection,
    ViewName,
};
use crate::Value;
use crate::error::{Error, ErrorKind, Path};
use crate::options::Limits;

impl Query {
    /// Builds a query from its JSON-like form (see docs/query-ast.md), with default limits.
    pub fn from_value(value: &Value) -> Result<Query, Error> {
        Query::from_value_with_limits(value, &Limits::default())
    }

    /// Builds a query from its JSON-like form, checking depth and size against `limits`.
    pub fn from_value_with_limits(value: &Value, limits: &Limits) -> Result<Query, Error> {
        Query::from_owned_value_with_limits(value.clone(), limits)
    }

    /// Builds a query from its JSON-like form, taking the strings and operands out of `value`
    /// instead of copying them.
    pub fn from_owned_value(value: Value) -> Result<Query, Error> {
        Query::from_owned_value_with_limits(value, &Limits::default())
    }

    /// [`Query::from_owned_value`] with explicit limits.
    pub fn from_owned_value_with_limits(mut value: Value, limits: &Limits) -> Result<Query, Error> {
        Query::from_source(&mut value, limits)
    }

    /// Builds a query straight from a host's document (see [`Source`]): the same checks,
    /// codes and paths as [`Query::from_value`], without building a `Value` tree first.
    pub fn from_source<S: Source>(source: S, limits: &Limits) -> Result<Query, Error> {
        Parser { limits, nodes: 0 }.query(source)
    }
}

#[cfg(feature = "json")]
impl Query {
    /// Parses a query from JSON text.
    pub fn from_json(text: &str) -> Result<Query, Error> {
        Query::from_owned_value(crate::json::parse_value(text)?)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Query {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Query, D::Error> {
        let value = Value::deserialize(d)?;
        Query::from_owned_value(value).map_err(serde::de::Error::custom)
    }
}

struct Parser<'l> {
    limits: &'l Limits,
    nodes: usize,
}

fn invalid(path: &Path<'_>, msg: impl Into<String>) -> Error {
    path.err(ErrorKind::InvalidQuery, msg)
}

/// `{what} must be {expected}, found {kind}`.
fn wrong(path: &Path<'_>, what: &str, expected: &str, found: Kind) -> Error {
    invalid(
        path,
        format!("{what} must be {expected}, found {}", found.type_name()),
    )
}

fn expect_object<S: Source>(v: &S, path: &Path<'_>, what: &str) -> Result<(), Error> {
    match v.kind(path)? {
        Kind::Object => Ok(()),
        other => Err(wrong(path, what, "an object", other)),
    }
}

fn expect_list<S: Source>(v: &S, path: &Path<'_>, what: &str) -> Result<(), Error> {
    match v.kind(path)? {
        Kind::List => Ok(()),
        other => Err(wrong(path, what, "an array", other)),
    }
}

fn expect_str<'v, S: Source>(v: &'v S, path: &Path<'_>, what: &str) -> Result<Cow<'v, str>, Error> {
    match v.kind(path)? {
        Kind::Str => v.str(path),
        other => Err(wrong(path, what, "a string", other)),
    }
}

fn expect_string<S: Source>(v: S, path: &Path<'_>, what: &str) -> Result<String, Error> {
    match v.kind(path)? {
        Kind::Str => v.into_string(path),
        other => Err(wrong(path, what, "a string", other)),
    }
}

fn expect_uint<S: Source>(v: &S, path: &Path<'_>, what: &str) -> Result<u64, Error> {
    match v.kind(path)? {
        Kind::Int(i) if i >= 0 => Ok(i as u64),
        Kind::Int(_) | Kind::Number => Err(path.err(
            ErrorKind::InvalidValue,
            format!("{what} must be a non-negative integer"),
        )),
        other => Err(wrong(path, what, "an integer", other)),
    }
}

/// A count operand (`limit`, `offset`, `first`, `last`) given as a value, checked as the
/// parser checks it in a query (a prepared query's `bind_values`).
pub(crate) fn count_operand(v: &Value, path: &Path<'_>, what: &str) -> Result<u64, Error> {
    let mut v = v.clone();
    expect_uint(&&mut v, path, what)
}

/// A cursor operand (`after`, `before`) given as a value, checked as the parser checks it.
pub(crate) fn cursor_operand(v: &Value, path: &Path<'_>) -> Result<Option<String>, Error> {
    opt_cursor(&mut v.clone(), path)
}

/// A cursor: a string, or `null` for none (GraphQL clients send `after: null` on the first
/// page). Decoded and checked by the compiler, against the query's view and order.
fn opt_cursor<S: Source>(v: S, path: &Path<'_>) -> Result<Option<String>, Error> {
    match v.kind(path)? {
        Kind::Null => Ok(None),
        Kind::Str => v.into_string(path).map(Some),
        other => Err(wrong(path, "a cursor", "a string or null", other)),
    }
}

fn expect_bool<S: Source>(v: &S, path: &Path<'_>, what: &str) -> Result<bool, Error> {
    match v.kind(path)? {
        Kind::Bool(b) => Ok(b),
        other => Err(wrong(path, what, "a boolean", other)),
    }
}

/// An array whose items each become a `T` through `item`.
fn list_of<S: Source, T>(
    v: S,
    path: &Path<'_>,
    what: &str,
    item: impl Fn(S, &Path<'_>) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    expect_list(&v, path, what)?;
    let mut out = Vec::with_capacity(v.len());
    v.items(path, |i, node| {
        out.push(item(node, &path.index(i))?);
        Ok(())
    })?;
    Ok(out)
}

/// A field path written as `"a.b"` or `["a", "b"]`.
fn field_path<S: Source>(v: S, path: &Path<'_>) -> Result<FieldPath, Error> {
    let fp = match v.kind(path)? {
        Kind::Str => {
            let text = v.str(path)?;
            // Counted before splitting: a long run of dots must not become as many strings.
            if text.bytes().filter(|b| *b == b'.').count() >= Limits::HARD_MAX_DEPTH {
                return Err(too_long(path));
            }
            FieldPath::parse(&text)
        }
        Kind::List if v.len() > Limits::HARD_MAX_DEPTH => return Err(too_long(path)),
        Kind::List => {
            let mut segs = Vec::with_capacity(v.len());
            v.items(path, |i, item| {
                segs.push(expect_string(item, &path.index(i), "a path segment")?);
                Ok(())
            })?;
            FieldPath(segs)
        }
        other => {
            return Err(wrong(
                path,
                "a field path",
                "a string or an array of strings",
                other,
            ));
        }
    };
    checked_path(fp, path)
}

/// A field path has one segment per nesting level: no more than any depth limit allows.
fn too_long(path: &Path<'_>) -> Error {
    path.err(
        ErrorKind::DepthLimit,
        format!(
            "a field path of more than {} segments",
            Limits::HARD_MAX_DEPTH
        ),
    )
}

fn checked_path(fp: FieldPath, path: &Path<'_>) -> Result<FieldPath, Error> {
    if fp.0.len() > Limits::HARD_MAX_DEPTH {
        return Err(too_long(path));
    }
    if fp.0.is_empty() || fp.0.iter().any(String::is_empty) {
        return Err(invalid(
            path,
            "a field path must not be empty or have empty segments",
        ));
    }
    Ok(fp)
}

fn aggregate_fn<S: Source>(v: &S, path: &Path<'_>) -> Result<AggregateFn, Error> {
    Ok(match &*expect_str(v, path, "aggregate")? {
        "count" => AggregateFn::Count,
        "sum" => AggregateFn::Sum,
        "avg" => AggregateFn::Avg,
        "min" => AggregateFn::Min,
        "max" => AggregateFn::Max,
        other => {
            return Err(invalid(
                path,
                format!("unknown aggregate `{other}` (expected count, sum, avg, min or max)"),
            ));
        }
    })
}

/// The field a filter is on (`profile` -> `city`), kept as a chain of borrowed keys on the
/// stack: only a condition turns it into an owned [`FieldPath`].
struct Field<'k> {
    parent: Option<&'k Field<'k>>,
    key: &'k str,
    len: usize,
}

impl Field<'_> {
    fn to_path(&self) -> FieldPath {
        let mut segs = vec![String::new(); self.len];
        let mut node = Some(self);
        for seg in segs.iter_mut().rev() {
            if let Some(n) = node {
                n.key.clone_into(seg);
                node = n.parent;
            }
        }
        FieldPath(segs)
    }
}

impl Parser<'_> {
    fn count_node(&mut self, path: &Path<'_>) -> Result<(), Error> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(path.err(
                ErrorKind::SizeLimit,
                format!(
                    "the query has more than {} fields and conditions",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn check_depth(&self, depth: usize, path: &Path<'_>) -> Result<(), Error> {
        self.limits.check_depth(depth, path)
    }

    fn query<S: Source>(&mut self, v: S) -> Result<Query, Error> {
        let root = Path::ROOT;
        expect_object(&v, &root, "a query")?;
        let mut q = Query::new(String::new(), &[]);
        let mut view = None;
        let mut select = None;
        v.entries(&root, |key, value| {
            let path = root.key(key);
            match key {
                "view" => view = Some(view_name(value, &path)?),
                "select" => select = Some(self.selections(value, &path, 1)?),
                "output" => {
                    q.output = match &*expect_str(&value, &path, "output")? {
                        "json" => Output::Json,
                        "json_text" | "text" => Output::JsonText,
                        "columns" => Output::Columns,
                        other => {
                            return Err(invalid(
                                &path,
                                format!(
                                    "unknown output `{other}` (expected json, json_text or columns)"
                                ),
                            ));
                        }
                    }
                }
                "where" => q.filter = Some(self.filter(value, &path, 1)?),
                "order_by" => q.order_by = list_of(value, &path, "order_by", order_by)?,
                "group_by" => q.group_by = list_of(value, &path, "group_by", field_path)?,
                "having" => q.having = Some(self.filter(value, &path, 1)?),
                "distinct" => q.distinct = expect_bool(&value, &path, "distinct")?,
                "distinct_on" => q.distinct_on = list_of(value, &path, "distinct_on", field_path)?,
                "limit" => q.limit = Some(expect_uint(&value, &path, "limit")?),
                "offset" => q.offset = Some(expect_uint(&value, &path, "offset")?),
                "first" => q.first = Some(expect_uint(&value, &path, "first")?),
                "last" => q.last = Some(expect_uint(&value, &path, "last")?),
                "after" => q.after = opt_cursor(value, &path)?,
                "before" => q.before = opt_cursor(value, &path)?,
                "page_info" => q.page_info = expect_bool(&value, &path, "page_info")?,
                "total_count" => q.total_count = expect_bool(&value, &path, "total_count")?,
                "camel_case" => q.camel_case = Some(expect_bool(&value, &path, "camel_case")?),
                // What a query may read is the registry's decision: whole-document output
                // (`document_threshold`) is a per-view opt-in there, never a query key.
                other => {
                    return Err(invalid(
                        &path,
                        crate::suggest::unknown_key(
                            other,
                            &[
                                "view",
                                "select",
                                "output",
                                "where",
                                "order_by",
                                "group_by",
                                "having",
                                "distinct",
                                "distinct_on",
                                "limit",
                                "offset",
                                "first",
                                "after",
                                "last",
                                "before",
                                "page_info",
                                "total_count",
                                "camel_case",
                            ],
                        ),
                    ));
                }
            }
            Ok(())
        })?;
        q.view = view.ok_or_else(|| invalid(&root, "missing key `view`"))?;
        q.select = select.ok_or_else(|| invalid(&root, "missing key `select`"))?;
        Ok(q)
    }

    fn selections<S: Source>(
        &mut self,
        v: S,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Vec<Selection>, Error> {
        self.check_depth(depth, path)?;
        expect_list(&v, path, "select")?;
        if v.is_empty() {
            return Err(invalid(path, "a selection must not be empty"));
        }
        let mut out = Vec::with_capacity(v.len());
        v.items(path, |i, item| {
            let p = path.index(i);
            self.count_node(&p)?;
            out.push(self.selection(item, &p, depth)?);
            Ok(())
        })?;
        Ok(out)
    }

    fn selection<S: Source>(
        &mut self,
        v: S,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Selection, Error> {
        match v.kind(path)? {
            Kind::Str => {
                // Borrowed: the path's segments are its own strings.
                let name = v.str(path)?;
                if name == "__typename" {
                    return Ok(Selection::Typename { alias: None });
                }
                Ok(Selection::Field(FieldSelection::new(checked_path(
                    FieldPath::parse(&name),
                    path,
                )?)))
            }
            Kind::Object => {
                let mut field = None;
                let mut alias = None;
                let mut select = None;
                let mut aggregate = None;
                let mut distinct = None;
                let mut filter = None;
                let mut order = Vec::new();
                let mut limit = None;
                let mut offset = None;
                let mut page = ListPage::default();
                v.entries(path, |key, value| {
                    let p = path.key(key);
                    match key {
                        "field" => field = Some(field_path(value, &p)?),
                        "alias" => alias = Some(expect_string(value, &p, "alias")?),
                        "select" => select = Some(self.selections(value, &p, depth + 1)?),
                        "aggregate" => aggregate = Some(aggregate_fn(&value, &p)?),
                        "distinct" => distinct = Some(expect_bool(&value, &p, "distinct")?),
                        "where" => filter = Some(self.filter(value, &p, depth + 1)?),
                        "order_by" => order = list_of(value, &p, "order_by", order_by)?,
                        "limit" => limit = Some(expect_uint(&value, &p, "limit")?),
                        "offset" => offset = Some(expect_uint(&value, &p, "offset")?),
                        "first" => page.first = Some(expect_uint(&value, &p, "first")?),
                        "last" => page.last = Some(expect_uint(&value, &p, "last")?),
                        "after" => page.after = opt_cursor(value, &p)?,
                        "before" => page.before = opt_cursor(value, &p)?,
                        "page_info" => page.page_info = expect_bool(&value, &p, "page_info")?,
                        "total_count" => page.total_count = expect_bool(&value, &p, "total_count")?,
                        other => {
                            return Err(invalid(
                                &p,
                                crate::suggest::unknown_key(
                                    other,
                                    &[
                                        "field",
                                        "alias",
                                        "select",
                                        "aggregate",
                                        "distinct",
                                        "where",
                                        "order_by",
                                        "limit",
                                        "offset",
                                        "first",
                                        "after",
                                        "last",
                                        "before",
                                        "page_info",
                                        "total_count",
                                    ],
                                ),
                            ));
                        }
                    }
                    Ok(())
                })?;
                let rows = filter.is_some()
                    || !order.is_empty()
                    || limit.is_some()
                    || offset.is_some()
                    || page.is_paged();
                if let Some(function) = aggregate {
                    if select.is_some() {
                        return Err(invalid(path, "an aggregate takes no sub-selection"));
                    }
                    if rows {
                        return Err(invalid(
                            path,
                            "an aggregate takes no where, order_by, limit, offset or keyset page",
                        ));
                    }
                    let alias =
                        alias.ok_or_else(|| invalid(path, "an aggregate needs an `alias`"))?;
                    let distinct = distinct.unwrap_or(false);
                    if distinct && field.is_none() {
                        return Err(invalid(
                            &path.key("distinct"),
                            "a distinct aggregate needs a `field`",
                        ));
                    }
                    return Ok(Selection::Aggregate(AggregateSelection {
                        function,
                        field,
                        distinct,
                        alias,
                    }));
                }
                if distinct.is_some() {
                    return Err(invalid(
                        &path.key("distinct"),
                        "`distinct` applies to aggregates; a query's rows take `\"distinct\": true` at the top level",
                    ));
                }
                let field_path = field.ok_or_else(|| invalid(path, "missing key `field`"))?;
                if field_path.0.len() == 1 && field_path.0[0] == "__typename" {
                    if select.is_some() || rows {
                        return Err(invalid(
                            path,
                            "__typename takes no sub-selection, where, order_by, limit, offset or keyset page",
                        ));
                    }
                    return Ok(Selection::Typename { alias });
                }
                let mut f = FieldSelection::new(field_path);
                f.alias = alias;
                f.select = select;
                f.filter = filter;
                f.order_by = order;
                f.limit = limit;
                f.offset = offset;
                if page.is_paged() {
                    f.page = Some(Box::new(page));
                }
                Ok(Selection::Field(f))
            }
            other => Err(wrong(
                path,
                "a selection item",
                "a string or an object",
                other,
            )),
        }
    }

    fn filter<S: Source>(&mut self, v: S, path: &Path<'_>, depth: usize) -> Result<Filter, Error> {
        self.check_depth(depth, path)?;
        expect_object(&v, path, "a filter")?;
        let mut nodes = Vec::with_capacity(v.len());
        v.entries(path, |key, value| {
            let p = path.key(key);
            match key {
                "and" | "AND" | "or" | "OR" => {
                    expect_list(&value, &p, key)?;
                    let mut children = Vec::with_capacity(value.len());
                    value.items(&p, |i, item| {
                        children.push(self.filter(item, &p.index(i), depth + 1)?);
                        Ok(())
                    })?;
                    nodes.push(if key.eq_ignore_ascii_case("and") {
                        Filter::And(children)
                    } else {
                        Filter::Or(children)
                    });
                }
                "not" | "NOT" => {
                    nodes.push(Filter::Not(Box::new(self.filter(value, &p, depth + 1)?)))
                }
                _ => {
                    let field = Field {
                        parent: None,
                        key,
                        len: 1,
                    };
                    self.field_filter(&field, value, &p, depth + 1, &mut nodes)?
                }
            }
            Ok(())
        })?;
        Ok(if nodes.len() == 1 {
            nodes.pop().unwrap_or(Filter::Object(Vec::new()))
        } else {
            Filter::Object(nodes)
        })
    }

    /// `{"op": value, "nested": {...}}` for `field`.
    fn field_filter<S: Source>(
        &mut self,
        field: &Field<'_>,
        v: S,
        path: &Path<'_>,
        depth: usize,
        out: &mut Vec<Filter>,
    ) -> Result<(), Error> {
        self.check_depth(depth, path)?;
        match v.kind(path)? {
            Kind::Object => {}
            other => {
                return Err(invalid(
                    path,
                    format!(
                        "a field filter must be an object of operators, e.g. {{\"eq\": ...}}, found {}",
                        other.type_name()
                    ),
                ));
            }
        }
        if v.is_empty() {
            return Err(invalid(
                path,
                "a field filter must name at least one operator",
            ));
        }
        v.entries(path, |key, value| {
            let p = path.key(key);
            if let Some(op) = Operator::from_name(key) {
                self.count_node(&p)?;
                out.push(Filter::Condition(Condition {
                    path: field.to_path(),
                    op,
                    value: value.into_value(&p)?,
                }));
            } else if is_scoped_key(key) {
                // `and`/`or`/`not` and the quantifiers read below this field: kept as one
                // node, so a relation's filter stays one subquery.
                let (quantifier, filter) = self.scoped_filter(key, value, &p, depth)?;
                self.count_node(&p)?;
                out.push(Filter::Nested(NestedFilter {
                    path: field.to_path(),
                    quantifier,
                    filter: Box::new(filter),
                }));
            } else if matches!(value.kind(&p), Ok(Kind::Object)) {
                let nested = Field {
                    parent: Some(field),
                    key,
                    len: field.len + 1,
                };
                self.field_filter(&nested, value, &p, depth + 1, out)?;
            } else {
                let hint = crate::suggest::did_you_mean(key, Operator::ALL.iter().map(|o| o.name()));
                return Err(p.err(
                    ErrorKind::UnknownOperator,
                    format!(
                        "unknown operator `{key}`{hint}; a nested field takes an object of operators"
                    ),
                ));
            }
            Ok(())
        })
    }
}

/// Inside a field filter, `and`/`or` (arrays), `not` and `some`/`every`/`none` (objects)
/// are keywords: the filter they hold reads below the field.
fn is_scoped_key(key: &str) -> bool {
    matches!(
        key,
        "and" | "AND" | "or" | "OR" | "not" | "NOT" | "some" | "every" | "none"
    )
}

impl Parser<'_> {
    /// The filter of a keyword of [`is_scoped_key`], and its quantifier.
    fn scoped_filter<S: Source>(
        &mut self,
        key: &str,
        value: S,
        p: &Path<'_>,
        depth: usize,
    ) -> Result<(Option<Quantifier>, Filter), Error> {
        let junction = match key {
            "and" | "AND" => Some(true),
            "or" | "OR" => Some(false),
            _ => None,
        };
        if let Some(is_and) = junction {
            expect_list(&value, p, key)?;
            let mut children = Vec::with_capacity(value.len());
            value.items(p, |i, item| {
                children.push(self.filter(item, &p.index(i), depth + 1)?);
                Ok(())
            })?;
            let f = if is_and {
                Filter::And(children)
            } else {
                Filter::Or(children)
            };
            return Ok((None, f));
        }
        if matches!(key, "not" | "NOT") {
            let inner = self.filter(value, p, depth + 1)?;
            return Ok((None, Filter::Not(Box::new(inner))));
        }
        Ok((
            Quantifier::from_name(key),
            self.filter(value, p, depth + 1)?,
        ))
    }
}

fn view_name<S: Source>(v: S, path: &Path<'_>) -> Result<ViewName, Error> {
    match v.kind(path)? {
        Kind::Str => {
            let s = v.into_string(path)?;
            Ok(match s.split_once('.') {
                Some((schema, name)) => ViewName {
                    schema: Some(schema.to_owned()),
                    name: name.to_owned(),
                },
                None => ViewName {
                    schema: None,
                    name: s,
                },
            })
        }
        Kind::Object => {
            let mut schema = None;
            let mut name = None;
            v.entries(path, |key, value| {
                let p = path.key(key);
                match key {
                    "schema" => schema = Some(expect_string(value, &p, "schema")?),
                    "name" => name = Some(expect_string(value, &p, "name")?),
                    other => {
                        return Err(invalid(
                            &p,
                            crate::suggest::unknown_key(other, &["schema", "name"]),
                        ));
                    }
                }
                Ok(())
            })?;
            let name = name.ok_or_else(|| invalid(path, "missing key `name`"))?;
            Ok(ViewName { schema, name })
        }
        other => Err(wrong(path, "view", "a string or an object", other)),
    }
}

fn order_by<S: Source>(v: S, path: &Path<'_>) -> Result<OrderBy, Error> {
    match v.kind(path)? {
        Kind::Str => Ok(OrderBy {
            path: field_path(v, path)?,
            direction: Direction::Asc,
            nulls: None,
        }),
        Kind::Object => {
            let mut field = None;
            let mut direction = Direction::Asc;
            let mut nulls = None;
            v.entries(path, |key, value| {
                let p = path.key(key);
                match key {
                    "field" => field = Some(field_path(value, &p)?),
                    "direction" => {
                        direction = match &*expect_str(&value, &p, "direction")? {
                            "asc" | "ASC" => Direction::Asc,
                            "desc" | "DESC" => Direction::Desc,
                            other => {
                                return Err(p.err(
                                    ErrorKind::InvalidValue,
                                    format!("direction must be `asc` or `desc`, found `{other}`"),
                                ));
                            }
                        }
                    }
                    "nulls" => {
                        nulls = Some(match &*expect_str(&value, &p, "nulls")? {
                            "first" | "FIRST" => Nulls::First,
                            "last" | "LAST" => Nulls::Last,
                            other => {
                                return Err(p.err(
                                    ErrorKind::InvalidValue,
                                    format!("nulls must be `first` or `last`, found `{other}`"),
                                ));
                            }
                        })
                    }
                    other => {
                        return Err(invalid(
                            &p,
                            crate::suggest::unknown_key(other, &["field", "direction", "nulls"]),
                        ));
                    }
                }
                Ok(())
            })?;
            let path_ = field.ok_or_else(|| invalid(path, "missing key `field`"))?;
            Ok(OrderBy {
                path: path_,
                direction,
                nulls,
            })
        }
        other => Err(wrong(
            path,
            "an order_by item",
            "a string or an object",
            other,
        )),
    }
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Query, Error> {
        Query::from_json(text)
    }

    #[test]
    fn parses_a_full_query() {
        let q = parse(
            r#"{"view": "app.v_user", "select": ["id", "__typename", {"field": "profile", "select": ["city"]}],
                "where": {"age": {"gte": 18, "lt": 65}, "or": [{"email": {"ilike": "%@x"}}]},
                "order_by": [{"field": "age", "direction": "desc", "nulls": "last"}, "name"],
                "limit": 10}"#,
        )
        .expect("valid query");
        assert_eq!(
            q.view,
            ViewName {
                schema: Some("app".into()),
                name: "v_user".into()
            }
        );
        assert_eq!(q.select.len(), 3);
        match &q.filter {
            Some(Filter::Object(children)) => assert_eq!(children.len(), 3),
            other => panic!("expected an and, got {other:?}"),
        }
        assert_eq!(q.order_by[0].direction, Direction::Desc);
        assert_eq!(q.limit, Some(10));
    }

    #[test]
    fn unknown_operator_has_a_path() {
        let e = parse(r#"{"view": "v", "select": ["a"], "where": {"and": [{}, {}, {"email": {"ilikee": 1}}]}}"#)
            .expect_err("unknown operator");
        assert_eq!(e.code(), "QB_UNKNOWN_OPERATOR");
        assert_eq!(e.path(), "where.and[2].email.ilikee");
    }

    #[test]
    fn parses_having_distinct_and_distinct_on() {
        let q = parse(
            r#"{"view": "v", "select": ["a", {"aggregate": "count", "field": "b", "distinct": true, "alias": "n"}],
                "group_by": ["a"], "having": {"n": {"gt": 1}}}"#,
        )
        .expect("valid query");
        match &q.select[1] {
            Selection::Aggregate(a) => assert!(a.distinct && a.field.is_some()),
            other => panic!("expected an aggregate, got {other:?}"),
        }
        match &q.having {
            Some(Filter::Condition(c)) => assert_eq!(c.path.0, ["n"]),
            other => panic!("expected one condition, got {other:?}"),
        }
        let q = parse(
            r#"{"view": "v", "select": ["a"], "distinct": true, "distinct_on": ["b.c", ["d"]]}"#,
        )
        .expect("valid query");
        assert!(q.distinct);
        assert_eq!(
            q.distinct_on,
            [FieldPath::parse("b.c"), FieldPath::parse("d")]
        );
        let q = parse(r#"{"view": "v", "select": ["a"]}"#).expect("valid query");
        assert!(!q.distinct && q.distinct_on.is_empty() && q.having.is_none());
    }

    #[test]
    fn bad_distinct_shapes_have_paths() {
        for (text, path) in [
            (
                r#"{"view": "v", "select": ["a"], "distinct": 1}"#,
                "distinct",
            ),
            (
                r#"{"view": "v", "select": ["a"], "distinct_on": "a"}"#,
                "distinct_on",
            ),
            (
                r#"{"view": "v", "select": ["a"], "distinct_on": [""]}"#,
                "distinct_on[0]",
            ),
            (r#"{"view": "v", "select": ["a"], "having": []}"#, "having"),
            (
                r#"{"view": "v", "select": [{"aggregate": "count", "distinct": true, "alias": "n"}]}"#,
                "select[0].distinct",
            ),
            (
                r#"{"view": "v", "select": [{"field": "a", "distinct": true}]}"#,
                "select[0].distinct",
            ),
        ] {
            let e = parse(text).expect_err(text);
            assert_eq!((e.code(), e.path()), ("QB_INVALID_QUERY", path), "{text}");
        }
    }

    #[test]
    fn deep_not_chain_is_a_depth_error() {
        let mut f = Filter::Condition(Condition {
            path: FieldPath(vec!["a".into()]),
            op: Operator::Eq,
            value: Value::Int(1),
        });
        let mut v = Value::Object(vec![(
            "a".into(),
            Value::Object(vec![("eq".into(), Value::Int(1))]),
        )]);
        for _ in 0..10_000 {
            v = Value::Object(vec![("not".into(), v)]);
            f = Filter::Not(Box::new(f));
        }
        let q = Value::Object(vec![
            ("view".into(), "v".into()),
            ("select".into(), Value::List(vec!["a".into()])),
            ("where".into(), v),
        ]);
        let e = Query::from_value(&q).expect_err("too deep");
        assert_eq!(e.code(), "QB_DEPTH_LIMIT");
        drop(f);
    }
}
