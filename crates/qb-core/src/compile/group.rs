//! Grouped queries: group keys in the select list, aggregates, and ORDER BY over groups.

use std::cmp::Ordering;

use super::select::MAX_PAIRS_PER_CALL;
use super::{Access, Compiler, Resolved, Target};
use crate::ast::{FieldPath, FieldSelection, Output, Selection};
use crate::error::{Error, ErrorKind, Path};

/// Finds resolved values by place ([`Resolved::same_place`]) among `n` of them: a scan when
/// few, else a binary search in an order sorted once, so that matching every selected field
/// or order key against wide key lists stays O(n log n) (a scan each would be quadratic in
/// a query's size).
pub(crate) struct PlaceIndex(Vec<usize>);

impl PlaceIndex {
    pub(crate) const SCAN: usize = 16;

    #[inline]
    pub(crate) fn new<'r, 'a: 'r>(n: usize, at: impl Fn(usize) -> &'r Resolved<'a>) -> Self {
        if n <= Self::SCAN {
            return PlaceIndex(Vec::new());
        }
        Self::sorted(n, at)
    }

    #[cold]
    #[inline(never)]
    fn sorted<'r, 'a: 'r>(n: usize, at: impl Fn(usize) -> &'r Resolved<'a>) -> Self {
        let mut order: Vec<usize> = (0..n).collect();
        // Ties by position: the first of equal places is found first, as a scan finds it.
        order.sort_unstable_by(|&i, &j| place_cmp(at(i), at(j)).then(i.cmp(&j)));
        PlaceIndex(order)
    }

    /// The position of the first of the `n` values at the place of `r`.
    #[inline]
    pub(crate) fn position<'r, 'a: 'r>(
        &self,
        n: usize,
        at: impl Fn(usize) -> &'r Resolved<'a>,
        r: &Resolved<'_>,
    ) -> Option<usize> {
        if self.0.is_empty() {
            return (0..n).find(|&i| at(i).same_place(r));
        }
        self.search(at, r)
    }

    #[cold]
    #[inline(never)]
    fn search<'r, 'a: 'r>(
        &self,
        at: impl Fn(usize) -> &'r Resolved<'a>,
        r: &Resolved<'_>,
    ) -> Option<usize> {
        if matches!(r.access, Access::Aggregate(_)) {
            return None; // never the same place as anything (`same_place`)
        }
        let k = self
            .0
            .partition_point(|&i| place_cmp(at(i), r) == Ordering::Less);
        (self.0.get(k).copied()).filter(|&i| place_cmp(at(i), r) == Ordering::Equal)
    }
}

/// A total order on places, `Equal` exactly when [`Resolved::same_place`] holds (for
/// values that are not aggregates).
fn place_cmp(a: &Resolved<'_>, b: &Resolved<'_>) -> Ordering {
    fn kind(r: &Resolved<'_>) -> (u8, usize) {
        match &r.access {
            Access::Column(c) => (0, std::ptr::from_ref(*c) as usize),
            Access::Field(f) => (1, std::ptr::from_ref(*f) as usize),
            Access::Dynamic(..) => (2, 0),
            Access::Aggregate(i) => (3, *i),
            // Never a group key (resolved only where rows are not grouped).
            Access::RowsAggregate(a) => (4, std::ptr::from_ref(&**a) as usize),
        }
    }
    a.alias.0.cmp(&b.alias.0).then_with(|| {
        kind(a)
            .cmp(&kind(b))
            .then_with(|| match (&a.access, &b.access) {
                (Access::Dynamic(_, x), Access::Dynamic(_, y)) => x.cmp(y),
                _ => Ordering::Equal,
            })
    })
}

/// The group keys of a grouped query with their [`PlaceIndex`].
pub(crate) struct Groups<'g, 'a> {
    keys: &'g [Resolved<'a>],
    index: PlaceIndex,
}

impl<'g, 'a> Groups<'g, 'a> {
    #[inline]
    fn new(keys: &'g [Resolved<'a>]) -> Self {
        Groups {
            keys,
            index: PlaceIndex::new(keys.len(), |i| &keys[i]),
        }
    }

    #[inline]
    fn find(&self, r: &Resolved<'_>) -> Option<&'g Resolved<'a>> {
        let keys = self.keys;
        (self.index.position(keys.len(), |i| &keys[i], r)).map(|i| &keys[i])
    }
}

impl<'a> Compiler<'a> {
    /// The ORDER BY keys of a grouped query (after ` ORDER BY `).
    #[inline(always)]
    pub(crate) fn grouped_order_by(&mut self, groups: &[Resolved<'a>]) -> Result<(), Error> {
        let q = self.query;
        let groups = Groups::new(groups);
        // Aggregates by alias, sorted when a scan per order key could be long.
        let by_alias = (q.select.len() > PlaceIndex::SCAN && q.order_by.len() > 1)
            .then(|| self.aggregates_by_alias());
        let order_path = Path::ROOT.key("order_by");
        for (i, o) in q.order_by.iter().enumerate() {
            if i > 0 {
                self.w.sql(", ");
            }
            self.grouped_order_key(&o.path, &groups, by_alias.as_deref(), &order_path.index(i))?;
            self.order_suffix(o);
        }
        Ok(())
    }

    /// A field selected in a grouped query: a group key or an object of them (relations
    /// are not selectable there).
    pub(crate) fn grouped_field(
        &self,
        parent: Option<&Resolved<'a>>,
        f: &'a FieldSelection,
        p: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        match self.resolve_selected(parent, &f.path, p)? {
            Target::Value(r) => {
                super::select::no_rows_arguments(f, p)?;
                Ok(r)
            }
            Target::List { at, .. } => Err(Error::new(
                ErrorKind::Unsupported,
                super::field_path_string(&p.key("field"), &f.path.0[..=at], None),
                format!(
                    "`{}` is an embedded list: grouped queries do not select lists",
                    f.path.0[at]
                ),
            )),
            Target::Relation { at, .. } => Err(Error::new(
                ErrorKind::Unsupported,
                super::field_path_string(&p.key("field"), &f.path.0[..=at], None),
                format!(
                    "`{}` is a relation: grouped queries do not select relations",
                    f.path.0[at]
                ),
            )),
        }
    }

    /// One ORDER BY key of a grouped query: an aggregate's alias, or a group key.
    fn grouped_order_key(
        &mut self,
        path: &'a FieldPath,
        groups: &Groups<'_, 'a>,
        by_alias: Option<&[usize]>,
        p: &Path<'_>,
    ) -> Result<(), Error> {
        // An aggregate's alias orders by the aggregate.
        if let [single] = path.0.as_slice() {
            let agg = match by_alias {
                Some(sorted) => self.aggregate_named(sorted, single).map(|(_, a)| a),
                None => self.query.select.iter().find_map(|s| match s {
                    Selection::Aggregate(a) if &a.alias == single => Some(a),
                    _ => None,
                }),
            };
            if let Some(a) = agg {
                return self.aggregate_expr(a, p);
            }
        }
        let fp = p.key("field");
        let r = self.resolve(&path.0, &fp)?;
        let Some(g) = groups.find(&r) else {
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
        let groups = &Groups::new(groups);
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
                Selection::Typename { .. } => self.typename(None, &p)?,
                Selection::Aggregate(a) => self.aggregate_expr(a, &p)?,
                Selection::Field(f) => {
                    let r = self.grouped_field(None, f, &p)?;
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
        groups: &Groups<'_, 'a>,
        columns: bool,
        path: &FieldPath,
        p: &Path<'_>,
    ) -> Result<(), Error> {
        let Some(g) = groups.find(r) else {
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
        groups: &Groups<'_, 'a>,
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
                    let r = self.grouped_field(Some(parent), f, &p)?;
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
