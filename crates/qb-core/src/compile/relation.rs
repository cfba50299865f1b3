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
//!
//! The elements of an embedded list are read by the same functions ([`Rows::List`]): their
//! row source is written by `compile/list.rs`, the rest is shared.

use super::{Compiler, Resolved, Scope};
use crate::ast::{Direction, FieldSelection, Nulls, OrderBy};
use crate::error::{Error, ErrorKind, Path};
use crate::schema::{ListDef, RelationDef, ViewDef};
use crate::sql::{Alias, SqlFragment};

/// The rows a scope reads below the current one: a relation's related rows, or the
/// elements of an embedded list (`compile/list.rs`).
#[derive(Clone, Copy)]
pub(crate) enum Rows<'a, 'r> {
    /// The relation registered as `name`.
    Relation(&'a RelationDef, &'a str),
    /// The embedded list the field `r` (resolved in the enclosing scope) holds.
    List(&'a ListDef, &'r Resolved<'a>),
}

impl<'a> Rows<'a, '_> {
    /// Whether any number of rows relate (a list), rather than at most one.
    pub(crate) fn is_list(self) -> bool {
        match self {
            Rows::Relation(rel, _) => rel.kind.is_list(),
            Rows::List(..) => true,
        }
    }
}

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

    /// The view (or list element) whose rows `rows` reads.
    pub(crate) fn rows_view(&self, rows: Rows<'a, '_>) -> Result<&'a ViewDef, Error> {
        match rows {
            Rows::Relation(rel, name) => self.related_view(rel, name),
            Rows::List(list, _) => Ok(&list.elem),
        }
    }

    /// ` FROM "<view>" AS tN WHERE <join>` (the rows of a relation related to the row of
    /// `parent`), or ` FROM jsonb_array_elements(…) WITH ORDINALITY AS tN("value", "ord")`
    /// (the elements of a list), read in the current scope (entered for them). Returns
    /// whether it wrote a WHERE clause ([`Compiler::rows_and`] continues it).
    pub(crate) fn related_rows(
        &mut self,
        rows: Rows<'a, '_>,
        parent: Scope<'a>,
    ) -> Result<bool, Error> {
        self.rows_source(rows);
        self.rows_join(rows, parent)
    }

    /// ` FROM "<view>" AS tN` or ` FROM jsonb_array_elements(…) WITH ORDINALITY AS
    /// tN("value", "ord")`: the first half of [`Compiler::related_rows`] (a keyset page adds
    /// its cursor row between the two).
    pub(crate) fn rows_source(&mut self, rows: Rows<'a, '_>) {
        match rows {
            Rows::Relation(..) => {
                let target = self.scope;
                self.w.sql(" FROM ");
                self.w.fragment(&target.view.sql_from);
                self.w.sql(" AS ");
                self.w.alias(target.alias);
            }
            Rows::List(_, r) => self.list_elements(r),
        }
    }

    /// ` WHERE <join>` (a relation's; a list's elements need none): the second half of
    /// [`Compiler::related_rows`]. Returns whether it wrote a WHERE clause.
    pub(crate) fn rows_join(
        &mut self,
        rows: Rows<'a, '_>,
        parent: Scope<'a>,
    ) -> Result<bool, Error> {
        let Rows::Relation(rel, _) = rows else {
            return Ok(false);
        };
        let target = self.scope;
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
        Ok(true)
    }

    /// ` AND ` after a WHERE clause [`Compiler::related_rows`] wrote, ` WHERE ` otherwise.
    pub(crate) fn rows_and(&mut self, filtered: bool) {
        self.w.sql(if filtered { " AND " } else { " WHERE " });
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

    /// A selected relation or embedded list (the value of its output key): an object or
    /// NULL for a many-to-one relation, a list for the others (NULL for a list field that
    /// does not hold an array).
    pub(crate) fn relation_select(
        &mut self,
        rows: Rows<'a, '_>,
        f: &'a FieldSelection,
        p: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        let Some(sub) = &f.select else {
            return Err(p.err(
                ErrorKind::InvalidQuery,
                match rows {
                    Rows::Relation(rel, _) => format!(
                        "`{}` is a relation to `{}`: select its fields with `select`",
                        f.output_name(),
                        rel.view
                    ),
                    Rows::List(..) => format!(
                        "`{}` is an embedded list: select its elements' fields with `select`",
                        f.output_name()
                    ),
                },
            ));
        };
        let list = rows.is_list();
        let page = f.page.as_deref().filter(|p| p.is_paged());
        if let (false, Some(page)) = (list, page) {
            let key = super::select::page_key(page);
            return Err(p.key(key).err(
                ErrorKind::InvalidQuery,
                format!(
                    "`{}` relates at most one row: keyset pages apply to list relations and \
                     embedded lists",
                    f.output_name()
                ),
            ));
        }
        if let (true, Some(page)) = (list, page) {
            return self.paged_select(rows, f, page, p, depth);
        }
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
        let target = self.rows_view(rows)?;
        if let Rows::List(_, r) = rows {
            self.list_guard(r);
        }
        let name = match rows {
            Rows::Relation(_, name) => name,
            Rows::List(list, _) => list.elem.name.as_str(),
        };
        self.lists.push(name);
        let parent = self.enter(target);
        self.w.sql(if list {
            "to_jsonb(ARRAY(SELECT "
        } else {
            "(SELECT "
        });
        let element = matches!(rows, Rows::List(..));
        if element {
            self.element_guard();
        }
        self.object(sub, None, &p.key("select"), depth + 1)?;
        if element {
            self.w.sql(" END");
        }
        let filtered = self.related_rows(rows, parent)?;
        if let Some(w) = &f.filter {
            self.rows_and(filtered);
            self.w.sql("(");
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
        if let Rows::List(..) = rows {
            self.w.sql(" END");
        }
        self.leave();
        self.lists.pop();
        Ok(())
    }

    /// A keyset page of a list relation or embedded list (`compile/page.rs`): `null` for a
    /// list value that is not an array, as when not paged.
    #[cold]
    #[inline(never)]
    fn paged_select(
        &mut self,
        rows: Rows<'a, '_>,
        f: &'a FieldSelection,
        page: &'a crate::ast::ListPage,
        p: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        // The fingerprint's name: the root view's key and the registry names of the lists
        // selected down to this one (`v_user/posts/comments`), so a cursor of the root or of
        // another list is another fingerprint.
        let name = match rows {
            Rows::Relation(_, name) => name,
            Rows::List(list, _) => list.elem.name.as_str(),
        };
        let mut fp_name = self.query.view.key();
        for n in self.lists.iter().copied().chain([name]) {
            fp_name.push('/');
            fp_name.push_str(n);
        }
        if let Rows::List(_, r) = rows {
            self.list_guard(r);
        }
        self.lists.push(name);
        self.paged_list(rows, f, page, p, depth, &fp_name)?;
        self.lists.pop();
        if let Rows::List(..) = rows {
            self.w.sql(" END");
        }
        Ok(())
    }

    /// ` ORDER BY <keys>, <tie-breakers>`: the requested order, ties broken by
    /// [`Compiler::tie_breakers`] (ascending), so a list's order is always the same.
    fn list_order(&mut self, order: &'a [OrderBy], p: &Path<'_>) -> Result<(), Error> {
        self.w.sql(" ORDER BY ");
        let mut held = Vec::with_capacity(order.len());
        for (i, o) in order.iter().enumerate() {
            if i > 0 {
                self.w.sql(", ");
            }
            if let Some(r) = self.order_key(&o.path, &p.index(i))? {
                held.push(r);
            }
            self.w.sql(match o.direction {
                Direction::Asc => " ASC",
                Direction::Desc => " DESC",
            });
            match o.nulls {
                Some(Nulls::First) => self.w.sql(" NULLS FIRST"),
                Some(Nulls::Last) => self.w.sql(" NULLS LAST"),
                None => {}
            }
        }
        let ties = self.tie_breakers(|r| held.iter().any(|h| h.same_place(r)));
        for (i, r) in ties.iter().enumerate() {
            if i > 0 || !order.is_empty() {
                self.w.sql(", ");
            }
            self.typed_expr(r);
        }
        Ok(())
    }

    /// `[NOT ]EXISTS (SELECT 1 FROM <related rows>`: the start of a relation (or list)
    /// filter, in the related view's scope; [`Compiler::close_exists`] ends it. Returns
    /// whether a WHERE clause was written ([`Compiler::rows_and`]).
    pub(crate) fn open_exists(&mut self, rows: Rows<'a, '_>, negated: bool) -> Result<bool, Error> {
        let target = self.rows_view(rows)?;
        self.w.sql(if negated {
            "NOT EXISTS (SELECT 1"
        } else {
            "EXISTS (SELECT 1"
        });
        let parent = self.enter(target);
        self.related_rows(rows, parent)
    }

    /// `)`, back in the enclosing scope.
    pub(crate) fn close_exists(&mut self) {
        self.w.sql(")");
        self.leave();
    }
}
