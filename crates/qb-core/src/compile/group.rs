//! Grouped queries: group keys in the select list, aggregates, and ORDER BY over groups.

use super::select::MAX_PAIRS_PER_CALL;
use super::{Compiler, Resolved};
use crate::ast::{FieldPath, Output, Selection};
use crate::error::{Error, ErrorKind, Path};

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
                return self.aggregate_expr(a, p);
            }
        }
        let fp = p.key("field");
        let r = self.resolve(&path.0, &fp)?;
        let Some(g) = groups.iter().find(|g| g.same_place(&r)) else {
            let msg = if self.query.distinct {
                "is not a selected field; a distinct query orders by its selected fields"
            } else {
                "is neither a group_by key nor an aggregate alias"
            };
            return Err(p.err(
                ErrorKind::InvalidGroupBy,
                format!("`{}` {msg}", path.0.join(".")),
            ));
        };
        self.typed_expr(g);
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
                Selection::Aggregate(a) => self.aggregate_expr(a, &p)?,
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
