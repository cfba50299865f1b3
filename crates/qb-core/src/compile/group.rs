//! Grouped queries: group keys in the select list, aggregates, and ORDER BY over groups.

use super::select::MAX_PAIRS_PER_CALL;
use super::{Compiler, Resolved};
use crate::ast::{AggregateFn, FieldPath, Output, Selection};
use crate::error::{Error, ErrorKind, Path};
use crate::schema::{FieldType, ScalarType};

impl<'a> Compiler<'a> {
    /// One ORDER BY key of a grouped query: an aggregate's alias, or a group key.
    pub(crate) fn grouped_order_key(
        &mut self,
        path: &'a FieldPath,
        groups: &[Resolved<'a>],
        p: &Path<'_>,
    ) -> Result<(), Error> {
        // An aggregate's alias orders by the aggregate.
        if let [single] = path.0.as_slice() {
            let agg = self.query.select.iter().find_map(|s| match s {
                Selection::Aggregate(a) if &a.alias == single => Some(a),
                _ => None,
            });
            if let Some(a) = agg {
                return self.aggregate_expr(a.function, a.field.as_ref(), p);
            }
        }
        let fp = p.key("field");
        let r = self.resolve(&path.0, &fp)?;
        let Some(g) = groups.iter().find(|g| g.same_place(&r)) else {
            return Err(p.err(
                ErrorKind::InvalidGroupBy,
                format!(
                    "`{}` is neither a group_by key nor an aggregate alias",
                    path.0.join(".")
                ),
            ));
        };
        self.typed_expr(g);
        Ok(())
    }

    fn aggregate_expr(
        &mut self,
        f: AggregateFn,
        field: Option<&'a FieldPath>,
        p: &Path<'_>,
    ) -> Result<(), Error> {
        let arg = match field {
            None if f == AggregateFn::Count => None,
            None => {
                return Err(p.err(
                    ErrorKind::InvalidQuery,
                    format!("{} needs a `field`", f.name()),
                ));
            }
            Some(fp) => {
                let path = p.key("field");
                let r = self.resolve(&fp.0, &path)?;
                let ok = match (f, r.ty) {
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
                };
                if !ok {
                    return Err(path.err(
                        ErrorKind::OperatorTypeMismatch,
                        format!("{} does not apply to {} fields", f.name(), r.ty.describe()),
                    ));
                }
                Some(r)
            }
        };
        // The sum, min or max of integers is an integer: `bigint`, not the `numeric` the
        // field is compared as (which drivers return as a decimal type).
        let as_bigint = matches!(f, AggregateFn::Sum | AggregateFn::Min | AggregateFn::Max)
            && arg
                .as_ref()
                .is_some_and(|r| matches!(r.ty, FieldType::Scalar(ScalarType::Integer)));
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
        match &arg {
            None => self.w.sql("*"),
            Some(r) => self.typed_expr(r),
        }
        self.w.sql(")");
        if as_bigint {
            self.w.sql(")::bigint");
        }
        Ok(())
    }

    pub(crate) fn grouped_select(
        &mut self,
        groups: &[Resolved<'a>],
        path: &Path<'_>,
    ) -> Result<(), Error> {
        let q = self.query;
        if q.select.is_empty() {
            return Err(path.err(ErrorKind::InvalidQuery, "a selection must not be empty"));
        }
        let names = self.output_names(&q.select, path)?;
        let columns = q.output == Output::Columns;
        let chunked = !columns && q.select.len() > MAX_PAIRS_PER_CALL;
        if chunked {
            self.w.sql("(");
        }
        for (i, s) in q.select.iter().enumerate() {
            let p = path.index(i);
            self.count_node(&|| p.render())?;
            let name = names[i];
            if columns {
                if i > 0 {
                    self.w.sql(", ");
                }
            } else {
                if i % MAX_PAIRS_PER_CALL == 0 {
                    if i > 0 {
                        self.w.sql(") || ");
                    }
                    self.w.sql("jsonb_build_object(");
                } else {
                    self.w.sql(", ");
                }
                self.w.literal(name);
                self.w.sql(", ");
            }
            match s {
                Selection::Typename { .. } => self.typename(&p)?,
                Selection::Aggregate(a) => self.aggregate_expr(a.function, a.field.as_ref(), &p)?,
                Selection::Field(f) => {
                    let r = self.resolve_selected(None, &f.path, &p)?;
                    match &f.select {
                        Some(_) if columns => {
                            return Err(p.err(
                                ErrorKind::Unsupported,
                                "sub-selections in grouped queries need json or json_text output",
                            ));
                        }
                        Some(sub) => {
                            self.sub_selection_target(&r, &p)?;
                            self.grouped_object(sub, &r, groups, &p.key("select"), 2)?;
                        }
                        None => self.group_key(&r, groups, columns, &f.path, &p)?,
                    }
                }
            }
            if columns {
                self.w.sql(" AS ");
                self.w.ident(name);
            }
        }
        if !columns {
            self.w.sql(")");
            if chunked {
                self.w.sql(")");
            }
            self.data_column_alias();
        }
        Ok(())
    }

    /// A selected group key: `to_jsonb(<key>)` (or the typed key as a column).
    fn group_key(
        &mut self,
        r: &Resolved<'a>,
        groups: &[Resolved<'a>],
        columns: bool,
        path: &FieldPath,
        p: &Path<'_>,
    ) -> Result<(), Error> {
        let Some(g) = groups.iter().find(|g| g.same_place(r)) else {
            return Err(p.err(
                ErrorKind::InvalidGroupBy,
                format!(
                    "`{}` is selected but not in group_by; group by it or aggregate it",
                    path.0.join(".")
                ),
            ));
        };
        if columns {
            self.column_expr(g);
        } else {
            self.w.sql("to_jsonb(");
            self.typed_expr(g);
            self.w.sql(")");
        }
        Ok(())
    }

    /// A nested object in a grouped query: every leaf must be a group key.
    fn grouped_object(
        &mut self,
        sel: &'a [Selection],
        parent: &Resolved<'a>,
        groups: &[Resolved<'a>],
        path: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        self.check_depth(depth, path)?;
        let names = self.output_names(sel, path)?;
        if sel.len() > MAX_PAIRS_PER_CALL {
            return Err(path.err(
                ErrorKind::Unsupported,
                "grouped sub-selections take at most 50 fields",
            ));
        }
        self.w.sql("jsonb_build_object(");
        for (i, s) in sel.iter().enumerate() {
            if i > 0 {
                self.w.sql(", ");
            }
            let p = path.index(i);
            self.count_node(&|| p.render())?;
            let name = names[i];
            self.w.literal(name);
            self.w.sql(", ");
            match s {
                Selection::Typename { .. } | Selection::Aggregate(_) => {
                    return Err(p.err(
                        ErrorKind::Unsupported,
                        "only fields may be nested in a grouped sub-selection",
                    ));
                }
                Selection::Field(f) => {
                    let r = self.resolve_selected(Some(parent), &f.path, &p)?;
                    match &f.select {
                        Some(sub) => {
                            self.sub_selection_target(&r, &p)?;
                            self.grouped_object(sub, &r, groups, &p.key("select"), depth + 1)?;
                        }
                        None => self.group_key(&r, groups, false, &f.path, &p)?,
                    }
                }
            }
        }
        self.w.sql(")");
        Ok(())
    }
}
