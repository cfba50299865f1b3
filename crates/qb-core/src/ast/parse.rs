//! `Value` -> `Query`: shape checks with error codes and paths. Types and values are checked
//! later, against the schema, by the compiler.

use super::{
    AggregateFn, AggregateSelection, Condition, Direction, FieldPath, FieldSelection, Filter,
    Nulls, Operator, OrderBy, Output, Query, Selection, ViewName,
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
    /// instead of copying them (what the bindings use: they build the `Value` for this call).
    pub fn from_owned_value(value: Value) -> Result<Query, Error> {
        Query::from_owned_value_with_limits(value, &Limits::default())
    }

    /// [`Query::from_owned_value`] with explicit limits.
    pub fn from_owned_value_with_limits(mut value: Value, limits: &Limits) -> Result<Query, Error> {
        Parser { limits, nodes: 0 }.query(&mut value)
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

fn expect_object_mut<'v>(
    v: &'v mut Value,
    path: &Path<'_>,
    what: &str,
) -> Result<&'v mut [(String, Value)], Error> {
    match v {
        Value::Object(entries) => Ok(entries),
        other => Err(invalid(
            path,
            format!("{what} must be an object, found {}", other.type_name()),
        )),
    }
}

fn expect_list_mut<'v>(
    v: &'v mut Value,
    path: &Path<'_>,
    what: &str,
) -> Result<&'v mut [Value], Error> {
    match v {
        Value::List(items) => Ok(items),
        other => Err(invalid(
            path,
            format!("{what} must be an array, found {}", other.type_name()),
        )),
    }
}

fn expect_list<'v>(v: &'v Value, path: &Path<'_>, what: &str) -> Result<&'v [Value], Error> {
    match v {
        Value::List(items) => Ok(items),
        other => Err(invalid(
            path,
            format!("{what} must be an array, found {}", other.type_name()),
        )),
    }
}

fn expect_str<'v>(v: &'v Value, path: &Path<'_>, what: &str) -> Result<&'v str, Error> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(invalid(
            path,
            format!("{what} must be a string, found {}", other.type_name()),
        )),
    }
}

fn expect_uint(v: &Value, path: &Path<'_>, what: &str) -> Result<u64, Error> {
    match v {
        Value::Int(i) if *i >= 0 => Ok(*i as u64),
        Value::Int(_) | Value::Decimal(_) | Value::Float(_) => Err(path.err(
            ErrorKind::InvalidValue,
            format!("{what} must be a non-negative integer"),
        )),
        other => Err(invalid(
            path,
            format!("{what} must be an integer, found {}", other.type_name()),
        )),
    }
}

fn expect_bool(v: &Value, path: &Path<'_>, what: &str) -> Result<bool, Error> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(invalid(
            path,
            format!("{what} must be a boolean, found {}", other.type_name()),
        )),
    }
}

/// A field path written as `"a.b"` or `["a", "b"]`.
fn field_path(v: &Value, path: &Path<'_>) -> Result<FieldPath, Error> {
    let fp = match v {
        Value::Str(s) => FieldPath::parse(s),
        Value::List(items) => {
            let mut segs = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                segs.push(expect_str(item, &path.index(i), "a path segment")?.to_owned());
            }
            FieldPath(segs)
        }
        other => {
            return Err(invalid(
                path,
                format!(
                    "a field path must be a string or an array of strings, found {}",
                    other.type_name()
                ),
            ));
        }
    };
    if fp.0.is_empty() || fp.0.iter().any(String::is_empty) {
        return Err(invalid(
            path,
            "a field path must not be empty or have empty segments",
        ));
    }
    Ok(fp)
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

    fn query(&mut self, v: &mut Value) -> Result<Query, Error> {
        let root = Path::ROOT;
        let entries = expect_object_mut(v, &root, "a query")?;
        let mut q = Query::new(String::new(), &[]);
        let mut view = None;
        let mut select = None;
        for (key, value) in entries.iter_mut() {
            let path = root.key(key);
            match key.as_str() {
                "view" => view = Some(view_name(value, &path)?),
                "select" => select = Some(self.selections(value, &path, 1)?),
                "output" => {
                    q.output = match expect_str(value, &path, "output")? {
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
                "order_by" => {
                    let items = expect_list(value, &path, "order_by")?;
                    q.order_by = items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| order_by(item, &path.index(i)))
                        .collect::<Result<_, _>>()?;
                }
                "group_by" => {
                    let items = expect_list(value, &path, "group_by")?;
                    q.group_by = items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| field_path(item, &path.index(i)))
                        .collect::<Result<_, _>>()?;
                }
                "limit" => q.limit = Some(expect_uint(value, &path, "limit")?),
                "offset" => q.offset = Some(expect_uint(value, &path, "offset")?),
                "camel_case" => q.camel_case = Some(expect_bool(value, &path, "camel_case")?),
                "document_threshold" => {
                    q.document_threshold =
                        Some(expect_uint(value, &path, "document_threshold")? as usize)
                }
                other => {
                    return Err(invalid(
                        &path,
                        format!(
                            "unknown key `{other}` (expected view, select, output, where, order_by, \
                             group_by, limit, offset, camel_case or document_threshold)"
                        ),
                    ));
                }
            }
        }
        q.view = view.ok_or_else(|| invalid(&root, "missing key `view`"))?;
        q.select = select.ok_or_else(|| invalid(&root, "missing key `select`"))?;
        Ok(q)
    }

    fn selections(
        &mut self,
        v: &mut Value,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Vec<Selection>, Error> {
        self.check_depth(depth, path)?;
        let items = expect_list_mut(v, path, "select")?;
        if items.is_empty() {
            return Err(invalid(path, "a selection must not be empty"));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter_mut().enumerate() {
            let p = path.index(i);
            self.count_node(&p)?;
            out.push(self.selection(item, &p, depth)?);
        }
        Ok(out)
    }

    fn selection(
        &mut self,
        v: &mut Value,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Selection, Error> {
        match v {
            Value::Str(name) if name == "__typename" => Ok(Selection::Typename { alias: None }),
            Value::Str(name) => Ok(Selection::field(std::mem::take(name))),
            Value::Object(entries) => {
                let mut field = None;
                let mut alias = None;
                let mut select = None;
                let mut aggregate = None;
                for (key, value) in entries.iter_mut() {
                    let p = path.key(key);
                    match key.as_str() {
                        "field" => field = Some(expect_str(value, &p, "field")?),
                        "alias" => alias = Some(expect_str(value, &p, "alias")?.to_owned()),
                        "select" => select = Some(self.selections(value, &p, depth + 1)?),
                        "aggregate" => aggregate = Some((expect_str(value, &p, "aggregate")?, p)),
                        other => {
                            return Err(invalid(
                                &p,
                                format!(
                                    "unknown key `{other}` (expected field, alias, select or aggregate)"
                                ),
                            ));
                        }
                    }
                }
                if let Some((name, p)) = aggregate {
                    let function = match name {
                        "count" => AggregateFn::Count,
                        "sum" => AggregateFn::Sum,
                        "avg" => AggregateFn::Avg,
                        "min" => AggregateFn::Min,
                        "max" => AggregateFn::Max,
                        other => {
                            return Err(invalid(
                                &p,
                                format!(
                                    "unknown aggregate `{other}` (expected count, sum, avg, min or max)"
                                ),
                            ));
                        }
                    };
                    if select.is_some() {
                        return Err(invalid(path, "an aggregate takes no sub-selection"));
                    }
                    let field = match field {
                        Some(f) => Some(field_path(&Value::Str(f.to_owned()), &path.key("field"))?),
                        None => None,
                    };
                    let alias =
                        alias.ok_or_else(|| invalid(path, "an aggregate needs an `alias`"))?;
                    return Ok(Selection::Aggregate(AggregateSelection {
                        function,
                        field,
                        alias,
                    }));
                }
                let name = field.ok_or_else(|| invalid(path, "missing key `field`"))?;
                if name == "__typename" {
                    if select.is_some() {
                        return Err(invalid(path, "__typename takes no sub-selection"));
                    }
                    return Ok(Selection::Typename { alias });
                }
                Ok(Selection::Field(FieldSelection {
                    name: name.to_owned(),
                    alias,
                    select,
                }))
            }
            other => Err(invalid(
                path,
                format!(
                    "a selection item must be a string or an object, found {}",
                    other.type_name()
                ),
            )),
        }
    }

    fn filter(&mut self, v: &mut Value, path: &Path<'_>, depth: usize) -> Result<Filter, Error> {
        self.check_depth(depth, path)?;
        let entries = expect_object_mut(v, path, "a filter")?;
        let mut nodes = Vec::with_capacity(entries.len());
        for (key, value) in entries.iter_mut() {
            let p = path.key(key);
            match key.as_str() {
                "and" | "AND" | "or" | "OR" => {
                    let items = expect_list_mut(value, &p, key)?;
                    let mut children = Vec::with_capacity(items.len());
                    for (i, item) in items.iter_mut().enumerate() {
                        children.push(self.filter(item, &p.index(i), depth + 1)?);
                    }
                    nodes.push(if key.eq_ignore_ascii_case("and") {
                        Filter::And(children)
                    } else {
                        Filter::Or(children)
                    });
                }
                "not" | "NOT" => {
                    nodes.push(Filter::Not(Box::new(self.filter(value, &p, depth + 1)?)))
                }
                _ => self.field_filter(vec![key.clone()], value, &p, depth + 1, &mut nodes)?,
            }
        }
        Ok(if nodes.len() == 1 {
            nodes.pop().unwrap_or(Filter::Object(Vec::new()))
        } else {
            Filter::Object(nodes)
        })
    }

    /// `{"op": value, "nested": {...}}` for the field at `segments`.
    fn field_filter(
        &mut self,
        segments: Vec<String>,
        v: &mut Value,
        path: &Path<'_>,
        depth: usize,
        out: &mut Vec<Filter>,
    ) -> Result<(), Error> {
        self.check_depth(depth, path)?;
        let entries = match v {
            Value::Object(entries) => entries,
            other => {
                return Err(invalid(
                    path,
                    format!(
                        "a field filter must be an object of operators, e.g. {{\"eq\": ...}}, found {}",
                        other.type_name()
                    ),
                ));
            }
        };
        if entries.is_empty() {
            return Err(invalid(
                path,
                "a field filter must name at least one operator",
            ));
        }
        for (key, value) in entries.iter_mut() {
            let p = path.key(key);
            if let Some(op) = Operator::from_name(key) {
                self.count_node(&p)?;
                out.push(Filter::Condition(Condition {
                    path: FieldPath(segments.clone()),
                    op,
                    value: std::mem::replace(value, Value::Null),
                }));
            } else if matches!(value, Value::Object(_)) {
                let mut nested = segments.clone();
                nested.push(key.clone());
                self.field_filter(nested, value, &p, depth + 1, out)?;
            } else {
                return Err(p.err(
                    ErrorKind::UnknownOperator,
                    format!(
                        "unknown operator `{key}` (a nested field takes an object of operators)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn view_name(v: &Value, path: &Path<'_>) -> Result<ViewName, Error> {
    match v {
        Value::Str(s) => Ok(match s.split_once('.') {
            Some((schema, name)) => ViewName {
                schema: Some(schema.to_owned()),
                name: name.to_owned(),
            },
            None => ViewName {
                schema: None,
                name: s.clone(),
            },
        }),
        Value::Object(entries) => {
            let mut schema = None;
            let mut name = None;
            for (key, value) in entries {
                let p = path.key(key);
                match key.as_str() {
                    "schema" => schema = Some(expect_str(value, &p, "schema")?.to_owned()),
                    "name" => name = Some(expect_str(value, &p, "name")?.to_owned()),
                    other => {
                        return Err(invalid(
                            &p,
                            format!("unknown key `{other}` (expected schema or name)"),
                        ));
                    }
                }
            }
            let name = name.ok_or_else(|| invalid(path, "missing key `name`"))?;
            Ok(ViewName { schema, name })
        }
        other => Err(invalid(
            path,
            format!(
                "view must be a string or an object, found {}",
                other.type_name()
            ),
        )),
    }
}

fn order_by(v: &Value, path: &Path<'_>) -> Result<OrderBy, Error> {
    match v {
        Value::Str(_) => Ok(OrderBy {
            path: field_path(v, path)?,
            direction: Direction::Asc,
            nulls: None,
        }),
        Value::Object(entries) => {
            let mut field = None;
            let mut direction = Direction::Asc;
            let mut nulls = None;
            for (key, value) in entries {
                let p = path.key(key);
                match key.as_str() {
                    "field" => field = Some(field_path(value, &p)?),
                    "direction" => {
                        direction = match expect_str(value, &p, "direction")? {
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
                        nulls = Some(match expect_str(value, &p, "nulls")? {
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
                            format!("unknown key `{other}` (expected field, direction or nulls)"),
                        ));
                    }
                }
            }
            let path_ = field.ok_or_else(|| invalid(path, "missing key `field`"))?;
            Ok(OrderBy {
                path: path_,
                direction,
                nulls,
            })
        }
        other => Err(invalid(
            path,
            format!(
                "an order_by item must be a string or an object, found {}",
                other.type_name()
            ),
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
