//! Aggregates as values: `count`/`sum`/`avg`/`min`/`max` (optionally over distinct values)
//! resolved like a field, so a `having` filter compares them with the same operators and
//! three-valued meaning `where` has on scalars.
//!
//! In `having` (the same filter walker as `where`, its names resolved by [`Aggregates`]) an
//! alias resolves to a [`Resolved`] whose access is [`Access::Aggregate`] and whose type is
//! the aggregate's result type; every reader of a resolved value (`typed_expr`, the operator
//! table in `filter.rs`) then handles it like any scalar. The argument is resolved in the
//! current scope by [`Compiler::aggregate_arg`], the one place that checks it. An aggregate
//! over the rows of a relation or an embedded list (`posts.count`) is resolved the same way
//! by `rows_aggregate.rs`, with the same functions and result types.

use super::filter::Names;
use super::{Access, Compiler, Resolved, Target, resolve};
use crate::ast::{AggregateFn, AggregateSelection, Selection};
use crate::error::{Error, ErrorKind, Path};
use crate::schema::{FieldType, ScalarType};

/// Result types that are not their argument's type.
static INTEGER: FieldType = FieldType::Scalar(ScalarType::Integer);
static NUMERIC: FieldType = FieldType::Scalar(ScalarType::Numeric);

/// `having`: the names are the aliases of the selected aggregates, looked up in the
/// selection's aggregates sorted by alias (built once per `having`: a scan per condition
/// would be quadratic in a wide query).
#[derive(Clone, Copy)]
struct Aggregates<'x> {
    by_alias: &'x [usize],
}

impl<'a> Names<'a> for Aggregates<'_> {
    fn resolve(
        self,
        c: &mut Compiler<'a>,
        _at: Option<&Resolved<'a>>,
        segs: &'a [String],
        _start: usize,
        base: &Path<'_>,
    ) -> Result<Target<'a>, Error> {
        c.resolve_having(self.by_alias, segs, base)
            .map(Target::Value)
    }
}

impl<'a> Compiler<'a> {
    /// Resolves an aggregate of the selection for `having`: checked here, read through
    /// [`Access::Aggregate`] with the aggregate's result type.
    pub(crate) fn resolve_aggregate(
        &self,
        index: usize,
        a: &'a AggregateSelection,
        p: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        let arg = self.aggregate_arg(a, p)?;
        // `count` is an integer, `avg` numeric, `sum`/`min`/`max` of the field's type.
        let ty = match (a.function, &arg) {
            (AggregateFn::Count, _) | (_, None) => &INTEGER,
            (AggregateFn::Avg, _) => &NUMERIC,
            (AggregateFn::Sum | AggregateFn::Min | AggregateFn::Max, Some(r)) => r.ty,
        };
        Ok(Resolved {
            access: Access::Aggregate(index),
            ty,
            language: None,
            alias: self.scope.alias,
        })
    }

    /// The aggregate's argument, resolved in the current scope (`None`: `count(*)`).
    fn aggregate_arg(
        &self,
        a: &'a AggregateSelection,
        p: &Path<'_>,
    ) -> Result<Option<Resolved<'a>>, Error> {
        match &a.field {
            None => self.aggregate_without_field(a, p).map(|()| None),
            Some(fp) => self.aggregate_field(a, &fp.0, p).map(Some),
        }
    }

    /// Only `count` (not distinct) goes without a field: `count(*)`.
    #[inline(always)]
    fn aggregate_without_field(&self, a: &AggregateSelection, p: &Path<'_>) -> Result<(), Error> {
        if a.function == AggregateFn::Count && !a.distinct {
            return Ok(());
        }
        let what = if a.distinct {
            "a distinct aggregate"
        } else {
            a.function.name()
        };
        Err(p.err(ErrorKind::InvalidQuery, format!("{what} needs a `field`")))
    }

    /// The aggregate's field, resolved in the current scope: its type must fit the function,
    /// and be comparable when `distinct`. Errors name `p` (`select[i]`) and `p.field`.
    #[inline(always)]
    fn aggregate_field(
        &self,
        a: &AggregateSelection,
        segs: &'a [String],
        p: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        let f = a.function;
        let path = p.key("field");
        let r = self.resolve(segs, &path)?;
        let ok = super::rows_aggregate::fits(f, r.ty);
        if !ok {
            return Err(path.err(
                ErrorKind::OperatorTypeMismatch,
                format!("{} does not apply to {} fields", f.name(), r.ty.describe()),
            ));
        }
        if a.distinct {
            // Distinct values are compared like group keys: the same types qualify.
            resolve::check_orderable(&r, &path, "aggregate distinct values of")?;
        }
        Ok(r)
    }

    /// Writes an aggregate that [`Compiler::resolve_aggregate`] resolved (so its argument
    /// resolves again, to the same place, without error).
    #[cold]
    pub(crate) fn write_aggregate(&mut self, index: usize) {
        let Some(a) = self.aggregate_at(index) else {
            return;
        };
        if let Ok(arg) = self.aggregate_arg(a, &Path::ROOT) {
            self.write_aggregate_call(a.function, a.distinct, arg.as_ref());
        }
    }

    /// `count(*)`, `sum(DISTINCT <typed arg>)`, …; the sum, min or max of integers as
    /// `bigint`, not the `numeric` the field is compared as (drivers return that as a
    /// decimal type).
    #[inline(always)]
    pub(crate) fn write_aggregate_call(
        &mut self,
        f: AggregateFn,
        distinct: bool,
        arg: Option<&Resolved<'a>>,
    ) {
        let as_bigint = matches!(f, AggregateFn::Sum | AggregateFn::Min | AggregateFn::Max)
            && arg.is_some_and(|r| matches!(r.ty, FieldType::Scalar(ScalarType::Integer)));
        if as_bigint {
            self.w.sql("(");
        }
        self.w.sql(match f {
            AggregateFn::Count => "count(",
            AggregateFn::Sum => "sum(",
            AggregateFn::Avg => "avg(",
            AggregateFn::Min => "min(",
            AggregateFn::Max => "max(",
        });
        match arg {
            None => self.w.sql("*"),
            Some(r) => {
                if distinct {
                    self.w.sql("DISTINCT ");
                }
                self.typed_expr(r);
            }
        }
        self.w.sql(")");
        if as_bigint {
            self.w.sql(")::bigint");
        }
    }

    /// Resolves and writes the aggregate of the selection at `p` (select list, ORDER BY).
    pub(crate) fn aggregate_expr(
        &mut self,
        a: &'a AggregateSelection,
        p: &Path<'_>,
    ) -> Result<(), Error> {
        match &a.field {
            None => {
                self.aggregate_without_field(a, p)?;
                self.write_aggregate_call(a.function, a.distinct, None);
            }
            Some(fp) => {
                let r = self.aggregate_field(a, &fp.0, p)?;
                self.write_aggregate_call(a.function, a.distinct, Some(&r));
            }
        }
        Ok(())
    }

    /// The selection's aggregates sorted by alias (aliases are unique: `output_names`).
    /// (Their positions in the selection.)
    pub(crate) fn aggregates_by_alias(&self) -> Vec<usize> {
        let q = self.query;
        let alias = |i: usize| match q.select.get(i) {
            Some(Selection::Aggregate(a)) => a.alias.as_str(),
            _ => "",
        };
        let mut by_alias: Vec<usize> = (q.select.iter().enumerate())
            .filter_map(|(i, s)| matches!(s, Selection::Aggregate(_)).then_some(i))
            .collect();
        by_alias.sort_unstable_by(|&a, &b| alias(a).cmp(alias(b)));
        by_alias
    }

    /// The aggregate at position `index` of the selection.
    pub(crate) fn aggregate_at(&self, index: usize) -> Option<&'a AggregateSelection> {
        match self.query.select.get(index) {
            Some(Selection::Aggregate(a)) => Some(a),
            _ => None,
        }
    }

    /// The aggregate whose alias is `name`, by binary search in `by_alias`.
    pub(crate) fn aggregate_named(
        &self,
        by_alias: &[usize],
        name: &str,
    ) -> Option<(usize, &'a AggregateSelection)> {
        let found = by_alias.binary_search_by(|&i| {
            self.aggregate_at(i)
                .map_or("", |a| a.alias.as_str())
                .cmp(name)
        });
        let i = by_alias[found.ok()?];
        Some((i, self.aggregate_at(i)?))
    }

    /// ` HAVING <filter>`: the filter's field names are the aliases of selected aggregates.
    #[inline(never)]
    pub(crate) fn having(&mut self, grouped: bool) -> Result<(), Error> {
        let Some(f) = &self.query.having else {
            return Ok(());
        };
        let path = Path::ROOT.key("having");
        if !grouped {
            return Err(path.err(
                ErrorKind::InvalidGroupBy,
                "`having` filters groups: the query needs `group_by` or a selected aggregate",
            ));
        }
        let by_alias = self.aggregates_by_alias();
        self.w.sql(" HAVING ");
        self.filter(
            Aggregates {
                by_alias: &by_alias,
            },
            f,
            None,
            &path,
            1,
        )
    }

    fn resolve_having(
        &mut self,
        by_alias: &[usize],
        segs: &'a [String],
        base: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        let name = segs.first().map_or("", String::as_str);
        if let Some((index, a)) = self.aggregate_named(by_alias, name) {
            if segs.len() == 1 {
                return self.resolve_aggregate(index, a, base);
            }
            return Err(Error::new(
                ErrorKind::UnknownField,
                super::field_path_string(base, &segs[..2], None),
                format!("`{name}` is an aggregate; it has no field `{}`", segs[1]),
            ));
        }
        let at = super::field_path_string(base, &segs[..1.min(segs.len())], None);
        let aliases = by_alias.iter().filter_map(|&i| self.aggregate_at(i));
        let hint = crate::suggest::did_you_mean(name, aliases.map(|a| a.alias.as_str()));
        Err(Error::new(
            ErrorKind::UnknownField,
            at,
            format!(
                "`having` names a selected aggregate by its alias, and there is no aggregate \
                 `{name}`{hint}; filter fields and group keys in `where`"
            ),
        ))
    }
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use crate::ast::{AggregateFn, AggregateSelection, Selection};
    use crate::{CompileOptions, Query, Schema, compile};

    fn schema() -> Schema {
        Schema::from_json(
            r#"{"views": {"v": {"columns": {"id": "uuid"}, "fields": {"n": "integer", "s": "tsvector"}}}}"#,
        )
        .expect("registry")
    }

    /// A query built in Rust is checked like a parsed one: a distinct aggregate without a
    /// field is refused by the compiler too.
    #[test]
    fn a_distinct_count_without_field_built_in_rust_is_an_error() {
        let mut q = Query::new("v", &[]);
        q.select.push(Selection::Aggregate(AggregateSelection {
            function: AggregateFn::Count,
            field: None,
            distinct: true,
            alias: "n".into(),
        }));
        let e = compile(&q, &schema(), &CompileOptions::default()).expect_err("no field");
        assert_eq!((e.code(), e.path()), ("QB_INVALID_QUERY", "select[0]"));
    }

    #[test]
    fn having_reads_each_aggregate_by_type() {
        let q = Query::from_json(
            r#"{"view": "v", "select": [{"aggregate": "avg", "field": "n", "alias": "a"},
                {"aggregate": "max", "field": "n", "alias": "m"}, {"aggregate": "count", "field": "n", "distinct": true, "alias": "c"}],
                "having": {"a": {"gt": 1.5}, "m": {"in": [1, 2]}, "c": {"isnull": false}}}"#,
        )
        .expect("query");
        let out = compile(&q, &schema(), &CompileOptions::default()).expect("compiles");
        assert!(
            out.sql.ends_with(
                "HAVING ((avg((t.\"data\"->>'n')::numeric) > $1::numeric) AND \
             ((max((t.\"data\"->>'n')::numeric))::bigint = ANY($2::bigint[])) AND \
             (count(DISTINCT (t.\"data\"->>'n')::numeric) IS NOT NULL))"
            ),
            "{}",
            out.sql
        );
    }
}
