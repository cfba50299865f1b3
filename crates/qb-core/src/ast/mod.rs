//! The query AST: plain data describing one statement over one view and, through the
//! registry's relations, the views related to it.
//!
//! Build it from Rust directly, or from a JSON-like [`Value`] with
//! [`Query::from_value`] (and from JSON text with `Query::from_json`, feature `json`).
//! docs/query-ast.md documents the JSON form with an example per feature.

mod build;
mod operator;
mod parse;
pub(crate) use parse::{count_operand, cursor_operand};
mod source;

pub use build::{FieldRef, field};
pub use operator::Operator;
pub use source::{Kind, Source};

use crate::Value;

/// One query: a selection from one view, filtered, ordered, grouped and paginated.
///
/// `#[non_exhaustive]`: build one with [`Query::new`] (or parse one) and set the fields, so
/// new features (relations, pagination) are not breaking changes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Query {
    /// The root view, as named in the schema registry.
    pub view: ViewName,
    /// What to select, in output order. Must not be empty.
    pub select: Vec<Selection>,
    /// The shape of each returned row.
    pub output: Output,
    /// The `where` filter, if any.
    pub filter: Option<Filter>,
    /// `ORDER BY` keys, most significant first.
    pub order_by: Vec<OrderBy>,
    /// `GROUP BY` keys. When non-empty (or when an aggregate is selected) the query is grouped.
    pub group_by: Vec<FieldPath>,
    /// The `having` filter of a grouped query: its field names are the output names (aliases)
    /// of the selected aggregates.
    pub having: Option<Filter>,
    /// Distinct rows of the selection: rows with equal selected values (compared by type, as
    /// group keys are) are returned once.
    pub distinct: bool,
    /// `DISTINCT ON` keys: one row per distinct key tuple, the first in `order_by` order.
    pub distinct_on: Vec<FieldPath>,
    /// `LIMIT`, sent as a parameter.
    pub limit: Option<u64>,
    /// `OFFSET`, sent as a parameter.
    pub offset: Option<u64>,
    /// Keyset pagination forward: at most this many rows, from the start of the order or
    /// after [`Query::after`] (docs/query-ast.md, "Keyset pagination").
    pub first: Option<u64>,
    /// A cursor (from [`crate::encode_cursor`]): rows strictly after its row. Needs `first`.
    pub after: Option<String>,
    /// Keyset pagination backward: the last this many rows, of the whole order or before
    /// [`Query::before`], still returned in the requested order.
    pub last: Option<u64>,
    /// A cursor: rows strictly before its row. Needs `last`.
    pub before: Option<String>,
    /// Also return `hasNextPage` and `hasPreviousPage` (columns `"__has_next_page"` and
    /// `"__has_previous_page"`). Needs `first` or `last`.
    pub page_info: bool,
    /// Also return the number of rows the filter matches, ignoring the page (column
    /// `"__total_count"`). Needs `first` or `last`.
    pub total_count: bool,
    /// Map camelCase names in the query to snake_case keys in the data. `None` uses
    /// [`CompileOptions::camel_case`](crate::CompileOptions::camel_case). Only spelling
    /// changes: every name still resolves to a registered field (or, in a permissive view,
    /// to a key the view lets any query read), so a query may set it (docs/query-ast.md).
    pub camel_case: Option<bool>,
}

impl Query {
    /// Whether the query asks for a keyset page (`first`, `last`, a cursor, `page_info` or
    /// `total_count`).
    #[inline]
    pub fn is_paged(&self) -> bool {
        // Without short-circuits: one test on the unpaged path of every compile.
        self.first.is_some()
            | self.last.is_some()
            | self.after.is_some()
            | self.before.is_some()
            | self.page_info
            | self.total_count
    }

    /// A query selecting `fields` from `view`, with everything else at its default.
    pub fn new(view: impl Into<String>, fields: &[&str]) -> Self {
        Query {
            view: ViewName {
                schema: None,
                name: view.into(),
            },
            select: fields.iter().map(|f| Selection::field(f)).collect(),
            output: Output::Json,
            filter: None,
            order_by: Vec::new(),
            group_by: Vec::new(),
            having: None,
            distinct: false,
            distinct_on: Vec::new(),
            limit: None,
            offset: None,
            first: None,
            after: None,
            last: None,
            before: None,
            page_info: false,
            total_count: false,
            camel_case: None,
        }
    }
}

/// A view name, optionally schema-qualified. It must name a view of the registry exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewName {
    /// The SQL schema, e.g. `app`.
    pub schema: Option<String>,
    /// The view, e.g. `v_user`.
    pub name: String,
}

impl ViewName {
    /// The registry key: `schema.name` or `name`.
    pub fn key(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The shape of each returned row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Output {
    /// One `jsonb` column named `data` holding an object per row (`jsonb_build_object`).
    #[default]
    Json,
    /// The same object cast to `text` (raw JSON passthrough, no driver-side decoding).
    JsonText,
    /// One typed SQL column per selected leaf field, named by its output name.
    Columns,
}

/// One item of a selection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Selection {
    /// A field (column or JSON key), possibly a nested object with its own selection.
    Field(FieldSelection),
    /// `__typename`: the view's GraphQL typename as a constant.
    Typename {
        /// Output name; `__typename` when `None`.
        alias: Option<String>,
    },
    /// An aggregate over the group (grouped queries).
    Aggregate(AggregateSelection),
}

impl Selection {
    /// A plain field by name, or a nested field by dotted path (`profile.city`, output as
    /// `city`).
    pub fn field(path: &str) -> Self {
        Selection::Field(FieldSelection::new(FieldPath::parse(path)))
    }
}

/// A selected field, object or relation.
///
/// `#[non_exhaustive]`: build one with [`FieldSelection::new`] and set the fields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FieldSelection {
    /// The field as the query spells it (camelCase allowed): one segment for a field of the
    /// enclosing object (or a column or relation of the view), several for a nested field
    /// selected flat (`["address", "city"]`).
    pub path: FieldPath,
    /// Output name; the path's last segment when `None`.
    pub alias: Option<String>,
    /// For object fields: the sub-selection (`None` selects the whole value). For a
    /// relation: what to select from each related row (required).
    pub select: Option<Vec<Selection>>,
    /// For a relation: which related rows (the `where` of the related view).
    pub filter: Option<Filter>,
    /// For a list relation: their order, most significant first (the related view's key
    /// breaks ties).
    pub order_by: Vec<OrderBy>,
    /// For a list relation: at most this many rows (a parameter).
    pub limit: Option<u64>,
    /// For a list relation: rows skipped first (a parameter).
    pub offset: Option<u64>,
    /// For a list relation or embedded list: a keyset page (docs/query-ast.md, "Keyset pages
    /// of a nested list"); the value becomes a connection object. Boxed: most selections
    /// have none, and every selection item carries the field.
    pub page: Option<Box<ListPage>>,
}

/// The keyset page of a selected list relation or embedded list: the keys of [`Query`]'s
/// page, with the same meanings, per parent row.
///
/// `#[non_exhaustive]`: start from `ListPage::default()` and set the fields.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ListPage {
    /// At most this many rows from the start of the order, or after [`ListPage::after`].
    pub first: Option<u64>,
    /// A cursor of this list: its rows strictly after the cursor's position. Needs `first`.
    pub after: Option<String>,
    /// The last this many rows of the order, or before [`ListPage::before`].
    pub last: Option<u64>,
    /// A cursor of this list: its rows strictly before the cursor's position. Needs `last`.
    pub before: Option<String>,
    /// Also return the page info (`pageInfo`) of each parent's page.
    pub page_info: bool,
    /// Also return the number of each parent's rows the list's filter matches (`totalCount`).
    pub total_count: bool,
}

impl ListPage {
    /// Whether any key is given (`first`, `last`, a cursor, `page_info` or `total_count`).
    pub fn is_paged(&self) -> bool {
        self.first.is_some()
            | self.last.is_some()
            | self.after.is_some()
            | self.before.is_some()
            | self.page_info
            | self.total_count
    }
}

impl FieldSelection {
    /// The field (or relation) at `path`, selected whole, under its own name.
    pub fn new(path: FieldPath) -> Self {
        FieldSelection {
            path,
            alias: None,
            select: None,
            filter: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
            page: None,
        }
    }

    /// Whether a keyset page of the list is asked for (see [`ListPage::is_paged`]).
    #[inline]
    pub fn is_paged(&self) -> bool {
        self.page.as_deref().is_some_and(ListPage::is_paged)
    }

    /// The output name: the alias, else the path's last segment.
    pub fn output_name(&self) -> &str {
        match &self.alias {
            Some(a) => a,
            None => self.path.0.last().map_or("", String::as_str),
        }
    }
}

/// An aggregate in a grouped query.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateSelection {
    /// The function.
    pub function: AggregateFn,
    /// Its argument; `count` without a field counts rows.
    pub field: Option<FieldPath>,
    /// Aggregate distinct values only (`count(DISTINCT field)`); needs a `field`.
    pub distinct: bool,
    /// Output name (required).
    pub alias: String,
}

/// Aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AggregateFn {
    /// `count(*)` or `count(field)` (non-null values).
    Count,
    /// `sum(field)` over numbers.
    Sum,
    /// `avg(field)` over numbers.
    Avg,
    /// `min(field)` over ordered types.
    Min,
    /// `max(field)` over ordered types.
    Max,
}

impl AggregateFn {
    /// The JSON name and SQL function name.
    pub fn name(self) -> &'static str {
        match self {
            AggregateFn::Count => "count",
            AggregateFn::Sum => "sum",
            AggregateFn::Avg => "avg",
            AggregateFn::Min => "min",
            AggregateFn::Max => "max",
        }
    }
}

/// A path to a field: one segment per nesting level, as the query spells the names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldPath(pub Vec<String>);

impl FieldPath {
    /// A path from dotted text: `profile.address.city`.
    pub fn parse(dotted: &str) -> Self {
        if !dotted.contains('.') {
            // Most paths have one segment: one exact allocation, no splitting.
            return FieldPath(vec![dotted.to_owned()]);
        }
        FieldPath(dotted.split('.').map(str::to_owned).collect())
    }
}

/// A filter tree with SQL's three-valued logic.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Filter {
    /// All must hold (`TRUE` when empty).
    And(Vec<Filter>),
    /// At least one must hold (`FALSE` when empty).
    Or(Vec<Filter>),
    /// The entries of one filter object (`{"age": {...}, "email": {...}}`), combined with
    /// AND like [`Filter::And`]; kept apart only so error paths name the object's keys
    /// (`where.email.eq`) rather than an index.
    Object(Vec<Filter>),
    /// Negation; `NOT NULL` stays `NULL`.
    Not(Box<Filter>),
    /// One operator applied to one field.
    Condition(Condition),
    /// A filter written under a field path: on a relation, over its related rows (with a
    /// quantifier, or directly for a many-to-one relation); on a nested object, over its
    /// fields.
    Nested(NestedFilter),
}

/// `{"author": {...}}`, `{"comments": {"some": {...}}}`: a filter read below `path`.
///
/// On a relation it is a quantifier over the related rows and is two-valued (TRUE or FALSE,
/// never UNKNOWN): `some` holds when the inner filter is TRUE on at least one related row,
/// `none` when on none, `every` when on all of them (a row where it is FALSE or UNKNOWN
/// fails it; an empty set passes). Without a quantifier (a many-to-one relation only) it
/// holds when the related row exists and the inner filter is TRUE on it. On a nested object
/// (no quantifier) the inner filter reads the object's fields, with three-valued logic as
/// everywhere else.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedFilter {
    /// The relation or object, as the query spells it; a path may go through many-to-one
    /// relations (`["post", "comments"]`).
    pub path: FieldPath,
    /// `some`, `every` or `none`; `None` when the filter is written directly under the path.
    pub quantifier: Option<Quantifier>,
    /// The filter on each related row (or on the object), its paths relative to it.
    pub filter: Box<Filter>,
}

/// How a relation filter counts the related rows on which its inner filter is TRUE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Quantifier {
    /// At least one (`some`): FALSE on an empty set.
    Some,
    /// All of them (`every`): TRUE on an empty set.
    Every,
    /// None of them (`none`): TRUE on an empty set.
    None,
}

impl Quantifier {
    /// The JSON key: `some`, `every` or `none`.
    pub fn name(self) -> &'static str {
        match self {
            Quantifier::Some => "some",
            Quantifier::Every => "every",
            Quantifier::None => "none",
        }
    }

    /// The quantifier for a JSON key.
    pub fn from_name(name: &str) -> Option<Quantifier> {
        match name {
            "some" => Some(Quantifier::Some),
            "every" => Some(Quantifier::Every),
            "none" => Some(Quantifier::None),
            _ => None,
        }
    }
}

/// `field op value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The field.
    pub path: FieldPath,
    /// The operator.
    pub op: Operator,
    /// The operand; its required shape depends on operator and field type.
    pub value: Value,
}

/// One `ORDER BY` key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    /// The field (or, in grouped queries, an aggregate's alias).
    pub path: FieldPath,
    /// Direction.
    pub direction: Direction,
    /// Where NULLs go; PostgreSQL's default (last for asc, first for desc) when `None`.
    pub nulls: Option<Nulls>,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Ascending.
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// NULL placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// `NULLS FIRST`.
    First,
    /// `NULLS LAST`.
    Last,
}

/// Dropping a deep tree iteratively: a 10,000-deep `not` chain built in Rust must not
/// overflow the stack when it goes out of scope either.
impl Drop for Filter {
    fn drop(&mut self) {
        fn take_children(f: &mut Filter, stack: &mut Vec<Filter>) {
            match f {
                Filter::And(v) | Filter::Or(v) | Filter::Object(v) => stack.append(v),
                Filter::Not(inner) => {
                    stack.push(std::mem::replace(&mut **inner, Filter::And(Vec::new())))
                }
                Filter::Nested(n) => {
                    stack.push(std::mem::replace(&mut *n.filter, Filter::And(Vec::new())))
                }
                Filter::Condition(_) => {}
            }
        }
        let shallow = match self {
            Filter::And(v) | Filter::Or(v) | Filter::Object(v) => {
                v.iter().all(|c| matches!(c, Filter::Condition(_)))
            }
            Filter::Not(inner) => matches!(**inner, Filter::Condition(_)),
            Filter::Nested(n) => matches!(*n.filter, Filter::Condition(_)),
            Filter::Condition(_) => true,
        };
        if shallow {
            return;
        }
        let mut stack = Vec::new();
        take_children(self, &mut stack);
        while let Some(mut f) = stack.pop() {
            take_children(&mut f, &mut stack);
        }
    }
}

/// Dropping a deep selection iteratively: nested `select`s built in Rust may be 100,000 deep.
/// Each level's sub-selections are moved onto a heap stack before the level drops, so every
/// `FieldSelection` that drops has no sub-selection left.
impl Drop for FieldSelection {
    #[inline]
    fn drop(&mut self) {
        if let Some(sub) = self.select.take() {
            drop_selections(sub);
        }
    }
}

/// The slow path of [`FieldSelection`]'s drop: sub-selections, level by level.
#[cold]
fn drop_selections(sub: Vec<Selection>) {
    let mut stack = vec![sub];
    while let Some(mut level) = stack.pop() {
        for s in &mut level {
            if let Selection::Field(f) = s {
                if let Some(inner) = f.select.take() {
                    stack.push(inner);
                }
            }
        }
    }
}
