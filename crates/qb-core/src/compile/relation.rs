//! Relations: the rows of a related view, read by a correlated subquery in the scope of
//! the row that relates them. One mechanism serves every use (docs/sql-shapes.md has the
//! measurements that chose it):
//!
//! - a many-to-one selection is `(SELECT <object> FROM <view> AS tN WHERE <join>)`: the
//!   object, or NULL when no row relates (a NULL or dangling key);
//! - a list selection is `to_jsonb(ARRAY(SELECT <object> FROM … WHERE <join> ORDER BY …,
//!   <primary key> LIMIT … OFFSET …))`: the rows in the requested order, the target's
//!   primary key breaking ties, `[]` when none relates;
//! - a filter is `[NOT] EXISTS (SELECT 1 FROM … WHERE <join> AND (<inner>) [IS NOT TRUE])`:
//!   two-valued whatever the inner filter gives;
//! - an order key through many-to-one relations is `(SELECT <key> FROM … WHERE <join>)`.
//!
//! `<join>` pairs the declared columns (`t1."id" = t."fk_author"`), goes through the join
//! view for many-to-many (`EXISTS (SELECT 1 FROM <join view> AS tM WHERE …)`), and matches
//! the distribution columns of every two joined views that both declare one.

use super::{Compiler, Scope};
use crate::ast::{Direction, FieldSelection, Nulls, OrderBy};
use crate::error::{Error, ErrorKind, Path};
use crate::schema::{RelationDef, ViewDef};
use crate::sql::{Alias, SqlFragment};

impl<'a> Compiler<'a> {
    /// The view `rel` reads, checked against the registry (unless the whole registry was:
    /// [`Schema::check_relations`](crate::Schema::check_relations)).
    pub(crate) fn related_view(
        &self,
        rel: &'a RelationDef,
        name: &str,
    ) -> Result<&'a ViewDef, Error> {
        if !self.schema.relations_checked {
            crate::schema::check_relation(self.schema, self.scope.view, name, rel)?;
        }
        self.schema.view(&rel.view).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidSchema,
                "",
                format!("no view `{}` in the schema registry", rel.view),
            )
        })
    }

    /// ` FROM "<view>" AS tN WHERE <join>`: the rows of `rel` related to the row of
    /// `parent`, read in the current scope (entered for the related view).
    pub(crate) fn related_rows(
        &mut self,
        rel: &'a RelationDef,
        parent: Scope<'a>,
    ) -> Result<(), Error> {
        let target = self.scope;
        self.w.sql(" FROM ");
        self.w.fragment(&target.view.sql_from);
        self.w.sql(" AS ");
        self.w.alias(target.alias);
        self.w.sql(" WHERE ");
        match &rel.through {
            None => {
                self.pairs(target.alias, parent.alias, &rel.join.sql);
                self.same_tenant(target, parent);
            }
            Some((through_key, through_join)) => {
                let through = self.schema.view(through_key).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidSchema,
                        "",
                        format!("no view `{through_key}` in the schema registry"),
                    )
                })?;
                let middle = Scope {
                    view: through,
                    alias: self.next_alias(),
                };
                self.w.sql("EXISTS (SELECT 1 FROM ");
                self.w.fragment(&through.sql_from);
                self.w.sql(" AS ");
                self.w.alias(middle.alias);
                self.w.sql(" WHERE ");
                self.pairs(middle.alias, parent.alias, &rel.join.sql);
                self.w.sql(" AND ");
                self.pairs(target.alias, middle.alias, &through_join.sql);
                self.same_tenant(middle, parent);
                self.same_tenant(target, middle);
                self.w.sql(")");
                if through.sql_distribution.is_none() {
                    self.same_tenant(target, parent);
                }
            }
        }
        Ok(())
    }

    /// `next."b" = this."a" AND …` for the pairs (this view's `a`, the next view's `b`).
    fn pairs(&mut self, next: Alias, this: Alias, pairs: &'a [(SqlFragment, SqlFragment)]) {
        for (i, (a, b)) in pairs.iter().enumerate() {
            if i > 0 {
                self.w.sql(" AND ");
            }
            self.w.qualified(next, b);
            self.w.sql(" = ");
            self.w.qualified(this, a);
        }
    }

    /// ` AND a."tenant_id" = b."tenant_id"` when both views declare a distribution column.
    fn same_tenant(&mut self, a: Scope<'a>, b: Scope<'a>) {
        if let (Some(da), Some(db)) = (&a.view.sql_distribution, &b.view.sql_distribution) {
            self.w.sql(" AND ");
            self.w.qualified(a.alias, da);
            self.w.sql(" = ");
            self.w.qualified(b.alias, db);
        }
    }

    /// A selected relation (the value of its output key): an object or NULL for a
    /// many-to-one relation, a list for the others.
    pub(crate) fn relation_select(
        &mut self,
        rel: &'a RelationDef,
        name: &str,
        f: &'a FieldSelection,
        p: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        let Some(sub) = &f.select else {
            return Err(p.err(
                ErrorKind::InvalidQuery,
                format!(
                    "`{}` is a relation to `{}`: select its fields with `select`",
                    f.output_name(),
                    rel.view
                ),
            ));
        };
        let list = rel.kind.is_list();
        if !list {
            let extra = [
                ("order_by", !f.order_by.is_empty()),
                ("limit", f.limit.is_some()),
                ("offset", f.offset.is_some()),
            ];
            if let Some((key, _)) = extra.iter().find(|(_, given)| *given) {
                return Err(p.key(key).err(
                    ErrorKind::InvalidQuery,
                    format!(
                        "`{}` relates at most one row: order_by, limit and offset apply to \
                         list relations",
                        f.output_name()
                    ),
                ));
            }
        } else if let Some(cap) = self.limits.max_nested_rows {
            match f.limit {
                Some(n) if n <= cap => {}
                Some(n) => {
                    return Err(p.key("limit").err(
                        ErrorKind::SizeLimit,
                        format!("a nested list of {n} rows is more than the limit of {cap}"),
                    ));
                }
                None => {
                    return Err(p.err(
                        ErrorKind::SizeLimit,
                        format!("a nested list needs a `limit` of at most {cap} rows"),
                    ));
                }
            }
        }
        let target = self.related_view(rel, name)?;
        let parent = self.enter(target);
        self.w.sql(if list {
            "to_jsonb(ARRAY(SELECT "
        } else {
            "(SELECT "
        });
        self.object(sub, None, &p.key("select"), depth + 1)?;
        self.related_rows(rel, parent)?;
        if let Some(w) = &f.filter {
            self.w.sql(" AND (");
            self.filter_at(w, None, &p.key("where"), depth + 1)?;
            self.w.sql(")");
        }
        if list {
            self.list_order(&f.order_by, &p.key("order_by"))?;
            self.limit_offset(&f.limit, &f.offset, p, self.limits.max_nested_rows)?;
            self.w.sql("))");
        } else {
            self.w.sql(")");
        }
        self.leave();
        Ok(())
    }

    /// ` ORDER BY <keys>, <primary key>`: the requested order, ties broken by the current
    /// scope's primary key (ascending), so a list's order is always the same.
    fn list_order(&mut self, order: &'a [OrderBy], p: &Path<'_>) -> Result<(), Error> {
        self.w.sql(" ORDER BY ");
        for (i, o) in order.iter().enumerate() {
            self.order_key(&o.path, &p.index(i))?;
            self.w.sql(match o.direction {
                Direction::Asc => " ASC",
                Direction::Desc => " DESC",
            });
            match o.nulls {
                Some(Nulls::First) => self.w.sql(" NULLS FIRST"),
                Some(Nulls::Last) => self.w.sql(" NULLS LAST"),
                None => {}
            }
            self.w.sql(", ");
        }
        let scope = self.scope;
        for (i, k) in scope.view.sql_primary_key.iter().enumerate() {
            if i > 0 {
                self.w.sql(", ");
            }
            self.w.qualified(scope.alias, k);
        }
        Ok(())
    }

    /// `[NOT ]EXISTS (SELECT 1 FROM <related rows>`: the start of a relation filter, in the
    /// related view's scope; [`Compiler::close_exists`] ends it.
    pub(crate) fn open_exists(
        &mut self,
        rel: &'a RelationDef,
        name: &str,
        negated: bool,
    ) -> Result<(), Error> {
        let target = self.related_view(rel, name)?;
        self.w.sql(if negated {
            "NOT EXISTS (SELECT 1"
        } else {
            "EXISTS (SELECT 1"
        });
        let parent = self.enter(target);
        self.related_rows(rel, parent)
    }

    /// `)`, back in the enclosing scope.
    pub(crate) fn close_exists(&mut self) {
        self.w.sql(")");
        self.leave();
    }
}
