//! `distinct` and `distinct_on`.
//!
//! `distinct: true` returns each distinct row of the selection once. It compiles as a grouped
//! query whose keys are the selected leaf fields: values compare by type, exactly as group
//! keys do (two spellings of one instant are one row), the rows come out like grouped rows,
//! and `order_by` may name the selected fields (PostgreSQL's `SELECT DISTINCT` could not
//! order by them at all: its only output column is the built object).
//!
//! `distinct_on: [keys]` is PostgreSQL's `DISTINCT ON (keys)`: the first row of each key
//! tuple in `ORDER BY` order. PostgreSQL requires the ORDER BY to start with the keys, so the
//! compiler writes them first (with the direction of the `order_by` entry naming the same
//! field, else ascending), then the other `order_by` keys: `order_by` picks which row of each
//! key tuple is kept (docs/query-ast.md, "Distinct rows").

use super::group::PlaceIndex;
use super::{Compiler, Resolved, resolve};
use crate::ast::{Direction, OrderBy, Selection};
use crate::error::{Error, ErrorKind, Path};

impl<'a> Compiler<'a> {
    /// For `distinct`: every selected leaf field becomes a group key (appended to `groups`).
    #[inline(never)]
    pub(crate) fn distinct_keys(
        &self,
        grouped: bool,
        groups: &mut Vec<Resolved<'a>>,
    ) -> Result<(), Error> {
        let root = Path::ROOT;
        if grouped {
            return Err(root.key("distinct").err(
                ErrorKind::InvalidQuery,
                "`distinct` does not combine with `group_by` or aggregates: a grouped query \
                 returns one row per group already",
            ));
        }
        let first = groups.len();
        self.leaf_keys(&self.query.select, None, &root.key("select"), 1, groups)?;
        // A field selected twice is one key (kept where first selected).
        let leaves = &groups[first..];
        let index = PlaceIndex::new(leaves.len(), |i| &leaves[i]);
        let keep: Vec<bool> = (0..leaves.len())
            .map(|i| index.position(leaves.len(), |j| &leaves[j], &leaves[i]) == Some(i))
            .collect();
        let mut i = 0;
        groups.retain(|_| {
            i += 1;
            i <= first || keep[i - 1 - first]
        });
        if groups.is_empty() {
            // Without a key the grouped form would return every row.
            return Err(root.key("distinct").err(
                ErrorKind::InvalidQuery,
                "`distinct` needs a selected field: a selection of `__typename` only has \
                 one distinct row",
            ));
        }
        Ok(())
    }

    fn leaf_keys(
        &self,
        sel: &'a [Selection],
        parent: Option<&Resolved<'a>>,
        path: &Path<'_>,
        depth: usize,
        groups: &mut Vec<Resolved<'a>>,
    ) -> Result<(), Error> {
        self.check_depth(depth, path)?;
        for (i, s) in sel.iter().enumerate() {
            let Selection::Field(f) = s else { continue };
            let p = path.index(i);
            let r = self.grouped_field(parent, f, &p)?;
            match &f.select {
                Some(sub) => {
                    self.sub_selection_target(&r, &p)?;
                    self.leaf_keys(sub, Some(&r), &p.key("select"), depth + 1, groups)?;
                }
                None => {
                    resolve::check_orderable(&r, &p, "select distinct")?;
                    groups.push(r);
                }
            }
        }
        Ok(())
    }

    /// Resolves the `distinct_on` keys and writes `DISTINCT ON (k1, k2) `.
    #[inline(never)]
    pub(crate) fn distinct_on(&mut self, grouped: bool) -> Result<(), Error> {
        if grouped || self.query.distinct {
            return Err(Path::ROOT.key("distinct_on").err(
                ErrorKind::InvalidQuery,
                "`distinct_on` does not combine with `group_by`, aggregates or `distinct`",
            ));
        }
        let keys = self.distinct_on_keys()?;
        self.w.sql("DISTINCT ON (");
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                self.w.sql(", ");
            }
            self.typed_expr(k);
        }
        self.w.sql(") ");
        Ok(())
    }

    /// The `distinct_on` keys, resolved and checked (again for the ORDER BY: cheaper than
    /// keeping them through the statement for every query).
    fn distinct_on_keys(&self) -> Result<Vec<Resolved<'a>>, Error> {
        let q = self.query;
        let path = Path::ROOT.key("distinct_on");
        let mut keys = Vec::with_capacity(q.distinct_on.len());
        for (i, k) in q.distinct_on.iter().enumerate() {
            let p = path.index(i);
            let r = self.resolve(&k.0, &p)?;
            resolve::check_orderable(&r, &p, "select distinct on")?;
            keys.push(r);
        }
        Ok(keys)
    }

    /// ` ORDER BY` of a `distinct_on` query: the keys first, then the other order keys.
    #[inline(never)]
    pub(crate) fn distinct_on_order_by(&mut self) -> Result<(), Error> {
        let q = self.query;
        let keys = self.distinct_on_keys()?;
        let order_path = Path::ROOT.key("order_by");
        let mut order = Vec::with_capacity(q.order_by.len());
        for (i, o) in q.order_by.iter().enumerate() {
            let p = order_path.index(i);
            let r = self.resolve(&o.path.0, &p.key("field"))?;
            resolve::check_orderable(&r, &p, "order by")?;
            order.push((o, r));
        }
        const ASC: OrderBy = OrderBy {
            path: crate::ast::FieldPath(Vec::new()),
            direction: Direction::Asc,
            nulls: None,
        };
        let by_order = PlaceIndex::new(order.len(), |i| &order[i].1);
        let by_key = PlaceIndex::new(keys.len(), |i| &keys[i]);
        self.w.sql(" ORDER BY ");
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                self.w.sql(", ");
            }
            self.typed_expr(k);
            let named = by_order.position(order.len(), |j| &order[j].1, k);
            self.order_suffix(named.map_or(&ASC, |j| order[j].0));
        }
        for (o, r) in &order {
            if by_key.position(keys.len(), |j| &keys[j], r).is_some() {
                continue;
            }
            self.w.sql(", ");
            self.typed_expr(r);
            self.order_suffix(o);
        }
        Ok(())
    }
}
