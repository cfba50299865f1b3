//! Aggregates over the rows of a list relation or the elements of an embedded list: a path
//! `posts.count`, `posts.max.created_at`, `items.sum.price` (the relation or list, the
//! function, and for all but `count` the field it reads). Selected, filtered and ordered by
//! like a scalar field: it resolves to a [`Resolved`] whose access is
//! [`Access::RowsAggregate`] and whose type is the aggregate's result type (as `having`
//! resolves [`Access::Aggregate`]), written as a scalar subquery over the rows
//! (`(SELECT max(<arg>) FROM <related rows>)`, the rows of `relation.rs`). `count` of no row
//! is 0, the others NULL, as in SQL.
//!
//! The function name sits where a field of the rows could not: a path through a list
//! relation or an embedded list to their rows' fields is otherwise an error (they are read
//! under `some`, `every` or `none`), so the spelling takes no meaning away.

use super::relation::Rows;
use super::{Access, Compiler, Resolved, Scope, Target, field_path_string};
use crate::ast::AggregateFn;
use crate::error::{Error, ErrorKind, Path};
use crate::schema::{FieldType, ListDef, RelationDef, ScalarType};

static INTEGER: FieldType = FieldType::Scalar(ScalarType::Integer);
static NUMERIC: FieldType = FieldType::Scalar(ScalarType::Numeric);

/// An aggregate over rows, as [`Access::RowsAggregate`] holds it.
#[derive(Debug)]
pub(crate) struct RowsAggregate<'a> {
    rows: RowsOf<'a>,
    function: AggregateFn,
    /// The whole path; the argument is `segs[arg..]` (none for `count`).
    segs: &'a [String],
    arg: usize,
}

/// [`Rows`] owning the list's resolved field.
#[derive(Debug)]
enum RowsOf<'a> {
    Relation(&'a RelationDef, &'a str),
    List(&'a ListDef, Resolved<'a>),
}

impl<'a> RowsOf<'a> {
    fn rows(&self) -> Rows<'a, '_> {
        match self {
            RowsOf::Relation(rel, name) => Rows::Relation(rel, name),
            RowsOf::List(list, r) => Rows::List(list, r),
        }
    }
}

fn function(name: &str) -> Option<AggregateFn> {
    Some(match name {
        "count" => AggregateFn::Count,
        "sum" => AggregateFn::Sum,
        "avg" => AggregateFn::Avg,
        "min" => AggregateFn::Min,
        "max" => AggregateFn::Max,
        _ => return None,
    })
}

/// Whether `f` applies to values of type `ty` (`count` to any).
pub(crate) fn fits(f: AggregateFn, ty: &FieldType) -> bool {
    match (f, ty) {
        (AggregateFn::Count, _) => true,
        (AggregateFn::Sum | AggregateFn::Avg, FieldType::Scalar(s)) => {
            matches!(s, ScalarType::Integer | ScalarType::Numeric)
        }
        (AggregateFn::Min | AggregateFn::Max, FieldType::Scalar(s)) => matches!(
            s,
            ScalarType::Text
                | ScalarType::Integer
                | ScalarType::Numeric
                | ScalarType::Date
                | ScalarType::Timestamptz
                | ScalarType::Inet
        ),
        _ => false,
    }
}

/// Whether `t`, resolved from `segs`, is a list relation or an embedded list followed by an
/// aggregate's name (`posts.count`): cheap, so the usual paths never call the cold
/// [`Compiler::rows_aggregate_value`].
#[inline(always)]
pub(crate) fn names_aggregate(t: &Target<'_>, segs: &[String]) -> bool {
    let at = match t {
        Target::Relation { rel, at, .. } if rel.kind.is_list() => *at,
        Target::List { at, .. } => *at,
        _ => return false,
    };
    segs.get(at + 1).is_some_and(|s| function(s).is_some())
}

impl<'a> Compiler<'a> {
    /// The aggregate `t` names ([`names_aggregate`] holds).
    #[cold]
    #[inline(never)]
    pub(crate) fn rows_aggregate_value(
        &mut self,
        t: Target<'a>,
        segs: &'a [String],
        base: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        match self.rows_aggregate(t, segs, base)? {
            Target::Value(r) => Ok(r),
            _ => Err(base.err(ErrorKind::Internal, "not an aggregate over rows")),
        }
    }

    /// `t` resolved from `segs`: when it is a list relation or an embedded list followed by
    /// an aggregate's name, the aggregate (a value); `t` itself otherwise.
    fn rows_aggregate(
        &mut self,
        t: Target<'a>,
        segs: &'a [String],
        base: &Path<'_>,
    ) -> Result<Target<'a>, Error> {
        let at = match &t {
            Target::Relation { rel, at, .. } if rel.kind.is_list() => *at,
            Target::List { at, .. } => *at,
            _ => return Ok(t),
        };
        let Some(f) = segs.get(at + 1).and_then(|s| function(s)) else {
            return Ok(t);
        };
        let rows = match t {
            Target::Relation { rel, name, .. } => RowsOf::Relation(rel, name),
            Target::List { list, r, .. } => RowsOf::List(list, *r),
            Target::Value(_) => return Ok(t),
        };
        let at_fn = || field_path_string(base, &segs[..at + 2], None);
        let ty = if f == AggregateFn::Count {
            if segs.len() > at + 2 {
                return Err(Error::new(
                    ErrorKind::InvalidQuery,
                    at_fn(),
                    format!(
                        "`{}.count` counts the rows of `{}` and takes no field",
                        segs[at], segs[at]
                    ),
                ));
            }
            &INTEGER
        } else {
            if segs.len() == at + 2 {
                return Err(Error::new(
                    ErrorKind::InvalidQuery,
                    at_fn(),
                    format!(
                        "`{}` needs a field of the rows of `{}`: `{}.{}.<field>`",
                        f.name(),
                        segs[at],
                        segs[at],
                        f.name()
                    ),
                ));
            }
            let view = self.rows_view(rows.rows())?;
            // Resolved in the rows' scope (without opening one: no alias is taken).
            let alias = self.scope.alias;
            let saved = std::mem::replace(&mut self.scope, Scope { view, alias });
            let arg = self
                .resolve_from(None, segs, at + 2, base)
                .and_then(|t| self.value(t, segs, base));
            self.scope = saved;
            let arg = arg?;
            if !fits(f, arg.ty) {
                return Err(Error::new(
                    ErrorKind::OperatorTypeMismatch,
                    field_path_string(base, segs, None),
                    format!(
                        "{} does not apply to {} fields",
                        f.name(),
                        arg.ty.describe()
                    ),
                ));
            }
            match f {
                AggregateFn::Avg => &NUMERIC,
                _ => arg.ty,
            }
        };
        let alias = self.scope.alias;
        Ok(Target::Value(Resolved {
            access: Access::RowsAggregate(Box::new(RowsAggregate {
                rows,
                function: f,
                segs,
                arg: at + 2,
            })),
            ty,
            language: None,
            alias,
        }))
    }

    /// `(SELECT <aggregate> FROM <rows>)`, for a resolved [`RowsAggregate`] (its argument
    /// resolves again, in the rows' scope, to the same field).
    #[cold]
    #[inline(never)]
    pub(crate) fn write_rows_aggregate(&mut self, a: &RowsAggregate<'a>) {
        let rows = a.rows.rows();
        let Ok(view) = self.rows_view(rows) else {
            return;
        };
        self.w.sql("(SELECT ");
        let parent = self.enter(view);
        if a.function == AggregateFn::Count {
            self.write_aggregate_call(AggregateFn::Count, false, None);
        } else if let Ok(Target::Value(arg)) = self.resolve_from(None, a.segs, a.arg, &Path::ROOT) {
            self.write_aggregate_call(a.function, false, Some(&arg));
        }
        let _ = self.related_rows(rows, parent);
        self.w.sql(")");
        self.leave();
    }
}
