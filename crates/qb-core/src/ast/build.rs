//! A fluent way to write a query in Rust, as short as its JSON form:
//!
//! ```
//! use qb_core::ast::{OrderBy, field};
//! use qb_core::{compile, CompileOptions, Query, Schema};
//!
//! let schema = Schema::from_json(r#"{"views": {"v_user": {"typename": "User",
//!     "columns": {"id": "uuid"}, "fields": {"age": "integer", "email": "text"}}}}"#)?;
//! let built = Query::new("v_user", &["id", "email"])
//!     .filter(field("age").gte(25))
//!     .filter(field("email").icontains("@example.com"))
//!     .order_by(OrderBy::desc("age").nulls_last())
//!     .limit(10);
//! let parsed = Query::from_json(r#"{"view": "v_user", "select": ["id", "email"],
//!     "where": {"age": {"gte": 25}, "email": {"icontains": "@example.com"}},
//!     "order_by": [{"field": "age", "direction": "desc", "nulls": "last"}], "limit": 10}"#)?;
//! let options = CompileOptions::default();
//! assert_eq!(compile(&built, &schema, &options)?, compile(&parsed, &schema, &options)?);
//! # Ok::<(), qb_core::Error>(())
//! ```
//!
//! Operators without a method of their own are reached with [`FieldRef::op`]; the operator
//! table (which operator applies to which field type, and the operand each takes) is in
//! docs/query-ast.md and on [`Operator`]'s variants.

use super::{
    Condition, Direction, FieldPath, FieldSelection, Filter, NestedFilter, Nulls, OrderBy,
    Quantifier, Query, Selection,
};
use crate::{Operator, Value};

/// The field at a dotted path (`"profile.city"`), to build a condition on.
pub fn field(path: &str) -> FieldRef {
    FieldRef(FieldPath::parse(path))
}

/// A field path waiting for its operator; see [`field`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef(FieldPath);

macro_rules! operator_methods {
    ($($(#[$doc:meta])* $method:ident => $op:ident,)*) => {
        impl FieldRef {
            $(
                $(#[$doc])*
                pub fn $method(self, value: impl Into<Value>) -> Filter {
                    self.op(Operator::$op, value)
                }
            )*
        }
    };
}

operator_methods! {
    /// `eq`: equal.
    eq => Eq,
    /// `neq`: not equal.
    neq => Neq,
    /// `gt`: greater than.
    gt => Gt,
    /// `gte`: greater than or equal.
    gte => Gte,
    /// `lt`: less than.
    lt => Lt,
    /// `lte`: less than or equal.
    lte => Lte,
    /// `in`: one of a list (`field("id").is_in(vec!["a", "b"])`).
    is_in => In,
    /// `nin`: none of a list.
    nin => Nin,
    /// `contains`: substring (text), containment (arrays, JSONB).
    contains => Contains,
    /// `icontains`: case-insensitive substring.
    icontains => IContains,
    /// `startswith`: prefix.
    starts_with => StartsWith,
    /// `endswith`: suffix.
    ends_with => EndsWith,
    /// `like`: an SQL LIKE pattern.
    like => Like,
    /// `ilike`: an SQL ILIKE pattern.
    ilike => ILike,
    /// `overlaps`: shares an element (arrays), overlaps (ranges).
    overlaps => Overlaps,
}

impl FieldRef {
    /// `field op value` for any operator.
    pub fn op(self, op: Operator, value: impl Into<Value>) -> Filter {
        Filter::Condition(Condition {
            path: self.0,
            op,
            value: value.into(),
        })
    }

    /// `isnull`: `true` tests that the field is null or missing, `false` that it is not. On a
    /// relation: `true` tests that no related row exists.
    pub fn is_null(self, is_null: bool) -> Filter {
        self.op(Operator::IsNull, is_null)
    }

    /// `filter` read below this path: on a many-to-one relation, the related row exists and
    /// `filter` holds on it; on a nested object, `filter` on its fields.
    pub fn nested(self, filter: Filter) -> Filter {
        self.quantified(None, filter)
    }

    /// `some`: at least one related row where `filter` holds.
    pub fn some(self, filter: Filter) -> Filter {
        self.quantified(Some(Quantifier::Some), filter)
    }

    /// `every`: `filter` holds on every related row (TRUE when there is none).
    pub fn every(self, filter: Filter) -> Filter {
        self.quantified(Some(Quantifier::Every), filter)
    }

    /// `none`: no related row where `filter` holds.
    pub fn none(self, filter: Filter) -> Filter {
        self.quantified(Some(Quantifier::None), filter)
    }

    fn quantified(self, quantifier: Option<Quantifier>, filter: Filter) -> Filter {
        Filter::Nested(NestedFilter {
            path: self.0,
            quantifier,
            filter: Box::new(filter),
        })
    }
}

impl Filter {
    /// All of `filters` (`TRUE` when empty).
    pub fn and(filters: impl IntoIterator<Item = Filter>) -> Filter {
        Filter::And(filters.into_iter().collect())
    }

    /// Any of `filters` (`FALSE` when empty).
    pub fn or(filters: impl IntoIterator<Item = Filter>) -> Filter {
        Filter::Or(filters.into_iter().collect())
    }

    /// The negation of `filter` (`NOT NULL` stays `NULL`).
    #[allow(clippy::should_implement_trait)] // a constructor, not `!filter`
    pub fn not(filter: Filter) -> Filter {
        Filter::Not(Box::new(filter))
    }
}

impl OrderBy {
    /// Ascending by the field at a dotted path.
    pub fn asc(path: &str) -> OrderBy {
        OrderBy {
            path: FieldPath::parse(path),
            direction: Direction::Asc,
            nulls: None,
        }
    }

    /// Descending by the field at a dotted path.
    pub fn desc(path: &str) -> OrderBy {
        OrderBy {
            direction: Direction::Desc,
            ..OrderBy::asc(path)
        }
    }

    /// NULLs before the other values.
    pub fn nulls_first(mut self) -> OrderBy {
        self.nulls = Some(Nulls::First);
        self
    }

    /// NULLs after the other values.
    pub fn nulls_last(mut self) -> OrderBy {
        self.nulls = Some(Nulls::Last);
        self
    }
}

impl Selection {
    /// A field (a dotted path selects a nested field flat) under another output name.
    pub fn aliased(path: &str, alias: impl Into<String>) -> Selection {
        let mut f = FieldSelection::new(FieldPath::parse(path));
        f.alias = Some(alias.into());
        Selection::Field(f)
    }

    /// An object field (at a dotted path) or a relation with its own selection.
    pub fn nested(path: &str, select: Vec<Selection>) -> Selection {
        let mut f = FieldSelection::new(FieldPath::parse(path));
        f.select = Some(select);
        Selection::Field(f)
    }
}

impl FieldSelection {
    /// This selection under another output name.
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// This relation's related rows filtered by `filter` (combined with AND with any filter it
    /// has).
    pub fn filter(mut self, filter: Filter) -> Self {
        and_into(&mut self.filter, filter);
        self
    }

    /// This list relation with one more `ORDER BY` key.
    pub fn order_by(mut self, key: OrderBy) -> Self {
        self.order_by.push(key);
        self
    }

    /// This list relation with a `LIMIT`.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// This list relation with an `OFFSET`.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
}

/// `filter` combined with AND with what `slot` holds (a query's or a relation's filter).
fn and_into(slot: &mut Option<Filter>, filter: Filter) {
    match slot {
        None => *slot = Some(filter),
        Some(Filter::And(all) | Filter::Object(all)) => all.push(filter),
        Some(other) => {
            let first = std::mem::replace(other, Filter::Object(Vec::with_capacity(2)));
            if let Filter::Object(all) = other {
                all.extend([first, filter]);
            }
        }
    }
}

impl From<FieldSelection> for Selection {
    fn from(f: FieldSelection) -> Selection {
        Selection::Field(f)
    }
}

impl Query {
    /// This query with `filter` added: combined with AND with any filter it already has.
    pub fn filter(mut self, filter: Filter) -> Query {
        and_into(&mut self.filter, filter);
        self
    }

    /// This query with one more `ORDER BY` key (after the ones it has).
    pub fn order_by(mut self, key: OrderBy) -> Query {
        self.order_by.push(key);
        self
    }

    /// This query with one more `GROUP BY` key (a dotted path).
    pub fn group_by(mut self, path: &str) -> Query {
        self.group_by.push(FieldPath::parse(path));
        self
    }

    /// This query with one more selected item.
    pub fn select(mut self, item: Selection) -> Query {
        self.select.push(item);
        self
    }

    /// This query with a `LIMIT`.
    pub fn limit(mut self, limit: u64) -> Query {
        self.limit = Some(limit);
        self
    }

    /// This query with an `OFFSET`.
    pub fn offset(mut self, offset: u64) -> Query {
        self.offset = Some(offset);
        self
    }

    /// This query with another output form.
    pub fn output(mut self, output: super::Output) -> Query {
        self.output = output;
        self
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<u32> for Value {
    fn from(i: u32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Self {
        Value::List(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value> + Clone> From<&[T]> for Value {
    fn from(items: &[T]) -> Self {
        Value::List(items.iter().cloned().map(Into::into).collect())
    }
}

impl<T: Into<Value>, const N: usize> From<[T; N]> for Value {
    fn from(items: [T; N]) -> Self {
        Value::List(items.into_iter().map(Into::into).collect())
    }
}
