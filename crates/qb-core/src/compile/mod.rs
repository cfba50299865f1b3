//! AST + registry -> SQL. One pass over the query writes the SQL and its parameters through
//! one [`SqlWriter`]; see ARCHITECTURE.md for the statement shape.
//!
//! By concern: this file holds the entry point and the statement (SELECT … FROM … WHERE …
//! GROUP BY … ORDER BY … LIMIT … OFFSET); `scope.rs` the row sources and their aliases;
//! `resolve.rs` name resolution; `expr.rs` how a resolved field is read; `select.rs` the
//! select list; `group.rs` grouped queries; `aggregate.rs` aggregates and HAVING;
//! `distinct.rs` DISTINCT and DISTINCT ON; `filter.rs` WHERE; `values.rs` operand validation.

mod aggregate;
mod distinct;
mod expr;
mod filter;
mod group;
mod list;
mod page;
mod relation;
mod resolve;
mod rows_aggregate;
mod scope;
mod select;
mod slot;
mod values;

use smallvec::SmallVec;

use crate::ast::{Direction, FieldPath, Nulls, OrderBy, Query, Selection};
use crate::error::{Error, ErrorKind, Path};
use crate::options::{CompileOptions, Limits, Placeholder};
use crate::param::{CompiledQuery, ParamType, ParamValue, PgType};
use crate::schema::Schema;
use crate::sql::{Alias, SqlWriter};

pub(crate) use resolve::{Access, Resolved, Target};
pub(crate) use scope::Scope;
pub(crate) use slot::{Conv, CursorSlot, Scratch, Slot, Source};
pub(crate) use values::{scalar_fast, str_fast};

/// Compiles `query` against `schema`.
///
/// ```
/// use qb_core::{compile, CompileOptions, Query, Schema};
/// let schema = Schema::from_json(r#"{"views": {"v_user": {"typename": "User",
///     "columns": {"id": "uuid"}, "fields": {"age": "integer"}}}}"#).unwrap();
/// let query = Query::from_json(r#"{"view": "v_user", "select": ["id", "age"],
///     "where": {"age": {"gte": 18}}}"#).unwrap();
/// let out = compile(&query, &schema, &CompileOptions::default()).unwrap();
/// assert_eq!(out.sql, "SELECT jsonb_build_object('id', t.\"id\", 'age', t.\"data\"->'age') AS \"data\" \
///     FROM \"v_user\" AS t WHERE ((t.\"data\"->>'age')::numeric >= $1::bigint)");
/// assert_eq!(out.params[0].value, qb_core::ParamValue::Int(18));
/// ```
pub fn compile(
    query: &Query,
    schema: &Schema,
    options: &CompileOptions,
) -> Result<CompiledQuery, Error> {
    run(query, schema, options, false).map(|(out, _)| out)
}

/// [`compile`], recording how each parameter is made from the query (the shape cache's
/// plan): one code path for both, the slots built only here.
pub(crate) fn plan(
    query: &Query,
    schema: &Schema,
    options: &CompileOptions,
) -> Result<(CompiledQuery, Vec<Slot>), Error> {
    run(query, schema, options, true)
}

#[inline]
fn run(
    query: &Query,
    schema: &Schema,
    options: &CompileOptions,
    record: bool,
) -> Result<(CompiledQuery, Vec<Slot>), Error> {
    let root = Path::ROOT;
    let view = schema
        .view_for(query.view.schema.as_deref(), &query.view.name)
        .ok_or_else(|| {
            root.key("view").err(
                ErrorKind::UnknownView,
                format!(
                    "no view `{}` in the schema registry{}",
                    query.view.key(),
                    crate::suggest::did_you_mean(&query.view.key(), schema.view_keys())
                ),
            )
        })?;
    let mut c = Compiler {
        schema,
        scope: Scope {
            view,
            alias: Alias::ROOT,
        },
        outer: SmallVec::new(),
        next_alias: 1,
        query,
        camel: query.camel_case.unwrap_or(options.camel_case),
        style: usize::from(options.placeholder == Placeholder::Format),
        limits: &options.limits,
        w: SqlWriter::new(options.placeholder, 128 + 48 * query.select.len()),
        nodes: 0,
        lists: SmallVec::new(),
        cursor_key: options.cursor_key.as_ref(),
    };
    if record {
        c.w.record_slots();
    }
    if query.is_paged() {
        c.paged_statement(c.cursor_key)?;
    } else {
        c.statement()?;
    }
    let (sql, params, slots) = c.w.finish_with_slots();
    Ok((CompiledQuery { sql, params }, slots))
}

pub(crate) struct Compiler<'a> {
    pub(crate) schema: &'a Schema,
    /// The row source names resolve in: the root view, or the view a subquery reads.
    pub(crate) scope: Scope<'a>,
    /// The scopes enclosing `scope`, innermost last (see `scope.rs`).
    pub(crate) outer: SmallVec<[Scope<'a>; 4]>,
    /// The number of the next table alias (`t1`, `t2`, …; the root is `t`).
    pub(crate) next_alias: u32,
    pub(crate) query: &'a Query,
    pub(crate) camel: bool,
    /// Index of the placeholder style in the registry's pre-rendered accessors.
    pub(crate) style: usize,
    pub(crate) limits: &'a Limits,
    pub(crate) w: SqlWriter,
    nodes: usize,
    /// The registry names of the selected relations and lists enclosing the current one,
    /// outermost first: a nested keyset page's fingerprint names them (`page.rs`).
    pub(crate) lists: SmallVec<[&'a str; 4]>,
    /// The options' key, which signs and checks cursors.
    pub(crate) cursor_key: Option<&'a crate::options::CursorKey>,
}

/// Renders `base.seg1.seg2…[.op]` for errors on a field path.
pub(crate) fn field_path_string(base: &Path<'_>, segs: &[String], op: Option<&str>) -> String {
    let mut s = base.render();
    for seg in segs.iter().map(String::as_str).chain(op) {
        if !s.is_empty() {
            s.push('.');
        }
        s.push_str(seg);
    }
    s
}

impl<'a> Compiler<'a> {
    pub(crate) fn count_node(&mut self, path: &dyn Fn() -> String) -> Result<(), Error> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(Error::new(
                ErrorKind::SizeLimit,
                path(),
                format!(
                    "the query has more than {} fields and conditions",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn check_depth(&self, depth: usize, path: &Path<'_>) -> Result<(), Error> {
        self.limits.check_depth(depth, path)
    }

    fn statement(&mut self) -> Result<(), Error> {
        let q = self.query;
        let root = Path::ROOT;
        let mut grouped = !q.group_by.is_empty()
            || q.select
                .iter()
                .any(|s| matches!(s, Selection::Aggregate(_)));
        // Whole-document output returns keys the registry may not list: only a view that
        // opted in (its `document_threshold`) ever gets it.
        let threshold = self.scope.view.document_threshold;

        // Group keys first: selections and order keys are checked against them.
        let group_path = root.key("group_by");
        let mut groups = Vec::with_capacity(q.group_by.len());
        for (i, g) in q.group_by.iter().enumerate() {
            let p = group_path.index(i);
            let r = self.resolve(&g.0, &p)?;
            resolve::check_orderable(&r, &p, "group by")?;
            groups.push(r);
        }
        if q.distinct {
            self.distinct_keys(grouped, &mut groups)?;
            grouped = true;
        }

        self.w.sql("SELECT ");
        if !q.distinct_on.is_empty() {
            self.distinct_on(grouped)?;
        }
        let select_path = root.key("select");
        if grouped {
            self.grouped_select(&groups, &select_path)?;
        } else {
            self.select(&select_path, threshold)?;
        }
        self.w.sql(" FROM ");
        self.w.fragment(&self.scope.view.sql_from);
        self.w.sql(" AS ");
        self.w.alias(self.scope.alias);

        if let Some(f) = &q.filter {
            self.w.sql(" WHERE ");
            self.filter_top(f, &root.key("where"))?;
        }
        if !groups.is_empty() {
            self.w.sql(" GROUP BY ");
            for (i, g) in groups.iter().enumerate() {
                if i > 0 {
                    self.w.sql(", ");
                }
                self.typed_expr(g);
            }
        }
        if q.having.is_some() {
            self.having(grouped)?;
        }
        if !q.distinct_on.is_empty() {
            self.distinct_on_order_by()?;
        } else if !q.order_by.is_empty() {
            self.w.sql(" ORDER BY ");
            if grouped {
                self.grouped_order_by(&groups)?;
            } else {
                let order_path = root.key("order_by");
                for (i, o) in q.order_by.iter().enumerate() {
                    if i > 0 {
                        self.w.sql(", ");
                    }
                    self.order_key(&o.path, &order_path.index(i))?;
                    self.order_suffix(o);
                }
            }
        }
        if q.limit.is_some() || q.offset.is_some() {
            self.limit_offset(&q.limit, &q.offset, &root, None)?;
        }
        Ok(())
    }

    /// ` ASC`/` DESC` and the NULLs placement of an order key.
    fn order_suffix(&mut self, o: &OrderBy) {
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

    /// ` LIMIT $n OFFSET $m`, each a parameter when given; `cap` is the row cap the caller
    /// checked `limit` against (a nested list's), recorded in its slot.
    fn limit_offset(
        &mut self,
        limit_at: &'a Option<u64>,
        offset_at: &'a Option<u64>,
        path: &Path<'_>,
        cap: Option<u64>,
    ) -> Result<(), Error> {
        if let Some(limit) = *limit_at {
            self.w.sql(" LIMIT ");
            let v = i64::try_from(limit).map_err(|_| {
                path.key("limit")
                    .err(ErrorKind::InvalidValue, "limit is too large")
            })?;
            self.w.param_from(
                ParamType::Scalar(PgType::Bigint),
                ParamValue::Int(v),
                || Slot::of(limit_at, Conv::Limit { cap }),
            );
        }
        if let Some(offset) = *offset_at {
            self.w.sql(" OFFSET ");
            let v = i64::try_from(offset).map_err(|_| {
                path.key("offset")
                    .err(ErrorKind::InvalidValue, "offset is too large")
            })?;
            self.w.param_from(
                ParamType::Scalar(PgType::Bigint),
                ParamValue::Int(v),
                || Slot::of(offset_at, Conv::Offset),
            );
        }
        Ok(())
    }

    /// One ORDER BY key of an ungrouped query: a field of the current scope, or of the row
    /// a many-to-one relation relates (`author.name`: a scalar subquery, NULL when none).
    /// Returns the key when it is a value of the current scope (what a tie-breaker compares
    /// with, [`Compiler::tie_breakers`]).
    pub(crate) fn order_key(
        &mut self,
        path: &'a FieldPath,
        p: &Path<'_>,
    ) -> Result<Option<Resolved<'a>>, Error> {
        let fp = p.key("field");
        self.order_key_from(&path.0, 0, &fp, p)
    }

    fn order_key_from(
        &mut self,
        segs: &'a [String],
        start: usize,
        fp: &Path<'_>,
        p: &Path<'_>,
    ) -> Result<Option<Resolved<'a>>, Error> {
        match self.resolve_from(None, segs, start, fp)? {
            Target::Value(r) => {
                resolve::check_orderable(&r, p, "order by")?;
                self.typed_expr(&r);
                Ok(Some(r))
            }
            t if rows_aggregate::names_aggregate(&t, segs) => {
                // An aggregate over the rows of a relation or list (`posts.count`).
                let r = self.rows_aggregate_value(t, segs, fp)?;
                resolve::check_orderable(&r, p, "order by")?;
                self.typed_expr(&r);
                Ok(Some(r))
            }
            t @ Target::List { .. } => self.value(t, segs, fp).map(|_| None),
            Target::Relation { rel, name, at } => {
                if at + 1 == segs.len() || rel.kind.is_list() {
                    let t = Target::Relation { rel, name, at };
                    return self.value(t, segs, fp).map(|_| None);
                }
                let target = self.related_view(rel, name)?;
                let parent = self.enter(target);
                self.w.sql("(SELECT ");
                self.order_key_from(segs, at + 1, fp, p)?;
                self.related_rows(relation::Rows::Relation(rel, name), parent)?;
                self.w.sql(")");
                self.leave();
                // A value of the related row: never one of this scope's keys.
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Duplicate output names are found among narrow and wide selections, also when names
    /// share their first 8 bytes (compared as integers first) and repeat far apart.
    #[cfg(feature = "json")]
    #[test]
    fn duplicate_output_names_narrow_and_wide() {
        use crate::{CompileOptions, Query, Schema, compile};
        let schema = Schema::from_json(
            r#"{"views": {"v": {"permissive": true, "columns": {"id": "uuid"}}}}"#,
        )
        .expect("registry");
        let check = |names: &[String]| {
            let sel: Vec<String> = names
                .iter()
                .map(|n| format!(r#"{{"field": "id", "alias": "{n}"}}"#))
                .collect();
            let q = Query::from_json(&format!(
                r#"{{"view": "v", "select": [{}]}}"#,
                sel.join(",")
            ))
            .expect("query");
            compile(&q, &schema, &CompileOptions::default()).map_err(|e| e.path().to_owned())
        };
        for n in [3, 16, 17, 200] {
            let mut names: Vec<String> = (0..n).map(|i| format!("abcdefgh_{i}")).collect();
            assert!(check(&names).is_ok(), "{n} distinct names");
            names.push("abcdefgh_1".into());
            names.push("abcdefgh_0".into());
            assert_eq!(check(&names), Err(format!("select[{n}]")), "{n}");
            let mut short: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
            short.push("n0".into());
            assert_eq!(check(&short), Err(format!("select[{n}]")), "{n} short");
        }
    }
}
