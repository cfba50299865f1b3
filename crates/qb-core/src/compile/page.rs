//! Keyset (cursor) pagination: `first`/`after` and `last`/`before` over any `order_by`, the
//! view's primary key appended as the tie-breaker, with `page_info` and `total_count` on
//! request (docs/query-ast.md, "Keyset pagination"; docs/sql-shapes.md, "Pagination").
//!
//! The page's rows are the filter's rows strictly after (before) the cursor's row in the
//! order, the first (last) `n` of them, returned in the requested order. The keyset
//! predicate is the expanded OR-of-ANDs with explicit NULL handling, since a row-value
//! comparison `(a, b) > ($1, $2)` is wrong with NULLs and mixed directions:
//!
//! ```text
//! (k1 after c1) OR (k1 IS NOT DISTINCT FROM c1 AND k2 after c2) OR …
//! k after c  =  (k > c OR (k IS NULL AND c IS NOT NULL))   -- ascending, NULLS LAST
//! ```
//!
//! with `<` for a descending key (or going backward) and the NULL term mirrored when NULLs
//! come first in the direction of travel. Each term is TRUE exactly when the row is on the
//! far side of the cursor and FALSE or NULL otherwise, so `IS NOT TRUE` is its complement.
//!
//! The cursor's values are bound once per query block, as one-row subquery
//! `(SELECT ($1::jsonb #>> '{}')::<type> AS "c0", …) AS tN` that the planner folds into the
//! predicate: a JSON string is the key's value as text, JSON null a NULL key, and the SQL
//! text is the same whatever the values.
//!
//! A selected list relation or embedded list pages by the same code (`paged_list`): its
//! page is a subquery per parent row whose value is the connection object (docs/query-ast.md,
//! "Keyset pages of a nested list"); the fingerprint then covers the path of registry names
//! from the root view to the list.

use std::cell::OnceCell;
use std::sync::Arc;

use super::relation::Rows;
use super::slot::CursorSlot;
use super::values::Operand;
use super::{Access, Compiler, Conv, Resolved, Scope, Slot, Target, resolve};
use crate::ast::{
    Direction, FieldSelection, Filter, ListPage, Nulls, OrderBy, Output, Query, Selection,
};
use crate::cursor;
use crate::error::{Error, ErrorKind, Path};
use crate::options::{CursorKey, Limits, Placeholder};
use crate::param::{ParamType, ParamValue, PgType};
use crate::schema::{FieldType, Read, ScalarType};
use crate::sql::{Alias, SqlWriter};

/// Output columns the paged statement adds: a selection may not use their names.
const RESERVED: [&str; 5] = [
    "__cursor",
    "__n",
    "__has_next_page",
    "__has_previous_page",
    "__total_count",
];

/// At most this many order keys (with the primary key): `jsonb_build_array` takes 100
/// arguments, the fingerprint one of them.
const MAX_KEYS: usize = 64;

/// The keys of a connection object (a nested page's value), in camelCase and in snake_case:
/// edges, cursor, node, page info, has next page, has previous page, total count.
const CONNECTION_KEYS: [[&str; 7]; 2] = [
    [
        "edges",
        "cursor",
        "node",
        "page_info",
        "has_next_page",
        "has_previous_page",
        "total_count",
    ],
    [
        "edges",
        "cursor",
        "node",
        "pageInfo",
        "hasNextPage",
        "hasPreviousPage",
        "totalCount",
    ],
];

/// What a page is asked for with: the root query's keys, or a selected list's.
struct Args<'a> {
    first: &'a Option<u64>,
    after: &'a Option<String>,
    last: &'a Option<u64>,
    before: &'a Option<String>,
    page_info: bool,
    total_count: bool,
    limit: bool,
    offset: bool,
    order_by: &'a [OrderBy],
    filter: Option<&'a Filter>,
    /// The row cap a nested page's size is held to (`Limits::max_nested_rows`).
    cap: Option<u64>,
}

impl<'a> Args<'a> {
    fn of_query(q: &'a Query) -> Self {
        Args {
            first: &q.first,
            after: &q.after,
            last: &q.last,
            before: &q.before,
            page_info: q.page_info,
            total_count: q.total_count,
            limit: q.limit.is_some(),
            offset: q.offset.is_some(),
            order_by: &q.order_by,
            filter: q.filter.as_ref(),
            cap: None,
        }
    }

    fn of_list(f: &'a FieldSelection, page: &'a ListPage, cap: Option<u64>) -> Self {
        Args {
            first: &page.first,
            after: &page.after,
            last: &page.last,
            before: &page.before,
            page_info: page.page_info,
            total_count: page.total_count,
            limit: f.limit.is_some(),
            offset: f.offset.is_some(),
            order_by: &f.order_by,
            filter: f.filter.as_ref(),
            cap,
        }
    }
}

/// Where a page's rows come from: the root view, or the rows a selected list reads for the
/// row of `parent`.
#[derive(Clone, Copy)]
enum From<'a, 'r> {
    Root,
    Rows(Rows<'a, 'r>, Scope<'a>),
}

/// One key of the page's order.
struct PageKey<'a> {
    r: Resolved<'a>,
    desc: bool,
    /// Where NULLs go, made explicit (PostgreSQL's default: last ascending, first descending).
    nulls_last: bool,
}

/// The page a query (or a selected list) asks for.
struct Page<'a> {
    keys: Vec<PageKey<'a>>,
    backward: bool,
    size: i64,
    /// The page size's operand (`first` or `last`), for its slots.
    size_at: &'a Option<u64>,
    /// The row cap the page size was checked against, for its slots.
    cap: Option<u64>,
    /// The cursor's values and its operand (`after` or `before`), for its slots.
    cursor: Option<(Vec<Option<String>>, &'a Option<String>)>,
    fingerprint: String,
    fp: [u8; 8],
    key: Option<&'a CursorKey>,
    /// The cursor slots' shared check, made when planning by the first of them.
    cursor_slot: OnceCell<Arc<CursorSlot>>,
}

impl<'a> Compiler<'a> {
    /// The paged statement (called for a query with `first`, `last`, a cursor, `page_info`
    /// or `total_count`). Out of line: the unpaged statement's path stays as it was.
    #[cold]
    #[inline(never)]
    pub(crate) fn paged_statement(&mut self, key: Option<&'a CursorKey>) -> Result<(), Error> {
        let q = self.query;
        let root = Path::ROOT;
        let args = Args::of_query(q);
        let grouped = !q.group_by.is_empty()
            || q.having.is_some()
            || q.distinct
            || !q.distinct_on.is_empty()
            || q.select
                .iter()
                .any(|s| matches!(s, Selection::Aggregate(_)));
        if grouped {
            // The arguments' own errors first.
            let (_, _, size_key) = Self::page_args(&args, &root)?;
            return Err(root.key(size_key).err(
                ErrorKind::Unsupported,
                "keyset pagination of grouped or distinct queries is not supported",
            ));
        }
        if q.output == Output::Columns {
            Self::page_args(&args, &root)?;
            let names = self.output_names(&q.select, &root.key("select"))?;
            if let Some(i) = names.iter().position(|n| RESERVED.contains(n)) {
                return Err(root.key("select").index(i).err(
                    ErrorKind::InvalidQuery,
                    format!("`{}` is an output column of a paged statement", names[i]),
                ));
            }
        }
        let page = self.page(key, &args, &root, &q.view.key())?;
        let wrapped = page.backward || q.page_info || q.total_count;
        if !wrapped {
            // Forward, rows only: the plain statement with the cursor column.
            self.w.sql("SELECT ");
            self.select(&root.key("select"), self.scope.view.document_threshold)?;
            self.page_block(From::Root, &page, &args, &root, 0, false)?;
            return Ok(());
        }
        self.w.sql("WITH page AS (SELECT ");
        self.select(&root.key("select"), self.scope.view.document_threshold)?;
        self.page_block(From::Root, &page, &args, &root, 0, true)?;
        self.w.sql(") SELECT ");
        match q.output {
            Output::Columns => {
                let names = self.output_names(&q.select, &root.key("select"))?;
                for name in names {
                    self.w.sql("page.");
                    self.w.ident(name);
                    self.w.sql(", ");
                }
            }
            Output::Json | Output::JsonText => self.w.sql("page.\"data\", "),
        }
        self.w.sql("page.\"__cursor\"");
        let meta = q.page_info || q.total_count;
        if q.page_info {
            let (next, previous) = if page.backward {
                ("__has_probe", "__has_more")
            } else {
                ("__has_more", "__has_probe")
            };
            self.w.sql(", m.");
            self.w.ident(next);
            self.w.sql(" AS \"__has_next_page\", m.");
            self.w.ident(previous);
            self.w.sql(" AS \"__has_previous_page\"");
        }
        if q.total_count {
            self.w.sql(", m.\"__total_count\"");
        }
        if meta {
            // One row of page-level values, joined to the page's rows: an empty page is one
            // row whose `__cursor` is NULL.
            self.w.sql(" FROM (SELECT ");
            let mut first = true;
            if q.page_info {
                self.w.sql("(SELECT count(*) FROM page) > ");
                self.page_size_param(&page, false);
                self.w.sql(" AS \"__has_more\", ");
                self.probe(From::Root, &page, &args, &root, 0)?;
                self.w.sql(" AS \"__has_probe\"");
                first = false;
            }
            if q.total_count {
                if !first {
                    self.w.sql(", ");
                }
                self.total(From::Root, &args, &root, 0)?;
                self.w.sql(" AS \"__total_count\"");
            }
            self.w.sql(") AS m LEFT JOIN page ON page.\"__n\" <= ");
            self.page_size_param(&page, false);
        } else {
            self.w.sql(" FROM page");
        }
        self.w.sql(if page.backward {
            " ORDER BY page.\"__n\" DESC"
        } else {
            " ORDER BY page.\"__n\""
        });
        Ok(())
    }

    /// A keyset page (`list_page`) of a selected list relation or embedded list (`rows`,
    /// selected by `f`), in the scope of the parent row: the connection object (docs/query-ast.md,
    /// "Keyset pages of a nested list"), written as one aggregate over the page's rows
    ///
    /// ```text
    /// (SELECT jsonb_build_object('edges', COALESCE(jsonb_agg(jsonb_build_object('cursor',
    ///     tP."__cursor", 'node', tP."data") ORDER BY tP."__n") [FILTER (WHERE tP."__n" <= $n)],
    ///     '[]'::jsonb)[, 'pageInfo', jsonb_build_object(…)][, 'totalCount', (SELECT count(*) …)])
    ///  FROM (<the page block>) AS tP)
    /// ```
    ///
    /// whose one row exists for an empty page too. The page block is the root's, its rows
    /// those `rows` relates to the parent row.
    #[cold]
    #[inline(never)]
    pub(crate) fn paged_list(
        &mut self,
        rows: Rows<'a, '_>,
        f: &'a FieldSelection,
        list_page: &'a ListPage,
        p: &Path<'_>,
        depth: usize,
        fp_name: &str,
    ) -> Result<(), Error> {
        let key = self.cursor_key;
        let args = Args::of_list(f, list_page, self.limits.max_nested_rows);
        // Checked by the caller: a list is selected with `select`.
        let sub = f.select.as_deref().unwrap_or_default();
        // The arguments checked before anything is resolved, as at the root.
        Self::page_args(&args, p)?;
        let target = self.rows_view(rows)?;
        let parent = self.enter(target);
        let page = self.page(key, &args, p, fp_name)?;
        let from = From::Rows(rows, parent);
        let names = &CONNECTION_KEYS[usize::from(self.camel)];
        let wrapper = self.next_alias();
        let col = |c: &mut Self, name: &str| {
            c.w.alias(wrapper);
            c.w.sql(".");
            c.w.ident(name);
        };
        self.w.sql("(SELECT jsonb_build_object(");
        self.w.literal(names[0]);
        self.w.sql(", COALESCE(jsonb_agg(jsonb_build_object(");
        self.w.literal(names[1]);
        self.w.sql(", ");
        col(self, "__cursor");
        self.w.sql(", ");
        self.w.literal(names[2]);
        self.w.sql(", ");
        col(self, "data");
        self.w.sql(") ORDER BY ");
        col(self, "__n");
        if page.backward {
            self.w.sql(" DESC");
        }
        self.w.sql(")");
        if args.page_info {
            self.w.sql(" FILTER (WHERE ");
            col(self, "__n");
            self.w.sql(" <= ");
            self.page_size_param(&page, false);
            self.w.sql(")");
        }
        self.w.sql(", '[]'::jsonb)");
        if args.page_info {
            self.w.sql(", ");
            self.w.literal(names[3]);
            self.w.sql(", jsonb_build_object(");
            // Going forward, whether a row follows is whether the page fetched `first + 1`
            // rows; whether one precedes is the probe (backward: the mirror image).
            for (i, more) in [!page.backward, page.backward].into_iter().enumerate() {
                if i > 0 {
                    self.w.sql(", ");
                }
                self.w.literal(names[4 + i]);
                self.w.sql(", ");
                if more {
                    self.w.sql("count(*) > ");
                    self.page_size_param(&page, false);
                } else {
                    self.in_rows_scope(target, |c| c.probe(from, &page, &args, p, depth))?;
                }
            }
            self.w.sql(")");
        }
        if args.total_count {
            self.w.sql(", ");
            self.w.literal(names[6]);
            self.w.sql(", ");
            self.in_rows_scope(target, |c| c.total(from, &args, p, depth))?;
        }
        self.w.sql(") FROM (SELECT ");
        let element = matches!(rows, Rows::List(..));
        if element {
            self.element_guard();
        }
        self.object(sub, None, &p.key("select"), depth + 1)?;
        if element {
            self.w.sql(" END");
        }
        self.w.sql(" AS \"data\"");
        self.page_block(from, &page, &args, p, depth, true)?;
        self.w.sql(") AS ");
        self.w.alias(wrapper);
        self.w.sql(")");
        self.leave();
        Ok(())
    }

    /// Runs `write` in a fresh scope reading `view` (the page's rows again, for a probe or a
    /// count), back in the current scope after.
    fn in_rows_scope(
        &mut self,
        view: &'a crate::schema::ViewDef,
        write: impl FnOnce(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.enter(view);
        let out = write(self);
        self.leave();
        out
    }

    /// The arguments' combinations, checked at `at` (the root, or the list's path): one
    /// direction, a page size with a cursor, `page_info` or `total_count`, no
    /// `limit`/`offset`, a page size that fits a `bigint`. Returns the page size, whether it
    /// pages backward, and its key.
    fn page_args(args: &Args<'a>, at: &Path<'_>) -> Result<(i64, bool, &'static str), Error> {
        let (size, backward, size_key) = match (args.first, args.last) {
            (Some(_), Some(_)) => {
                return Err(at.key("last").err(
                    ErrorKind::InvalidQuery,
                    "`first` and `last` page in opposite directions: give one of them",
                ));
            }
            (Some(n), None) => (*n, false, "first"),
            (None, Some(n)) => (*n, true, "last"),
            (None, None) => {
                let key = [
                    ("after", args.after.is_some()),
                    ("before", args.before.is_some()),
                    ("page_info", args.page_info),
                    ("total_count", args.total_count),
                ]
                .into_iter()
                .find_map(|(k, on)| on.then_some(k))
                .unwrap_or("first");
                return Err(at.key(key).err(
                    ErrorKind::InvalidQuery,
                    format!("`{key}` belongs to a keyset page: give `first` or `last` with it"),
                ));
            }
        };
        if args.after.is_some() && backward {
            return Err(at.key("after").err(
                ErrorKind::InvalidQuery,
                "`after` pages forward: use it with `first` (with `last`, use `before`)",
            ));
        }
        if args.before.is_some() && !backward {
            return Err(at.key("before").err(
                ErrorKind::InvalidQuery,
                "`before` pages backward: use it with `last` (with `first`, use `after`)",
            ));
        }
        for (key, given) in [("limit", args.limit), ("offset", args.offset)] {
            if given {
                return Err(at.key(key).err(
                    ErrorKind::InvalidQuery,
                    format!("`{key}` and keyset pagination (`{size_key}`) do not mix: use one"),
                ));
            }
        }
        let size = page_size(size).ok_or_else(|| {
            at.key(size_key)
                .err(ErrorKind::InvalidValue, format!("{size_key} is too large"))
        })?;
        Ok((size, backward, size_key))
    }

    /// The arguments checked, the order keys resolved in the current scope (primary key
    /// appended), the cursor decoded. `at` is where the arguments are (the root, or the
    /// list's path), `fp_name` what the fingerprint binds cursors to besides the order (the
    /// root view's key, or the path of names to the list).
    fn page(
        &mut self,
        key: Option<&'a CursorKey>,
        args: &Args<'a>,
        at: &Path<'_>,
        fp_name: &str,
    ) -> Result<Page<'a>, Error> {
        let (size, backward, size_key) = Self::page_args(args, at)?;
        let p = at.key(size_key);
        if let Some(cap) = args.cap {
            if size as u64 > cap {
                return Err(p.err(
                    ErrorKind::SizeLimit,
                    format!("a nested page of {size} rows is more than the limit of {cap}"),
                ));
            }
        }
        let view = self.scope.view;
        if view.primary_key.is_empty() {
            return Err(p.err(
                ErrorKind::NoPrimaryKey,
                format!(
                    "keyset pagination needs a unique order: view `{}` declares no primary_key",
                    view.key()
                ),
            ));
        }

        let keys = self.page_keys(args.order_by, at, size_key)?;
        // The fingerprint: the name and the forward ORDER BY text, written as the root's
        // alias reads it (a nested scope's alias depends on what precedes it in the query).
        let style = if self.style == 1 {
            Placeholder::Format
        } else {
            Placeholder::Numbered
        };
        let main = std::mem::replace(&mut self.w, SqlWriter::new(style, 128));
        if self.scope.alias == Alias::ROOT {
            self.order_by(&keys, false);
        } else {
            let alias = std::mem::replace(&mut self.scope.alias, Alias::ROOT);
            let canonical = self.page_keys(args.order_by, at, size_key);
            self.scope.alias = alias;
            match canonical {
                Ok(canonical) => self.order_by(&canonical, false),
                Err(e) => {
                    self.w = main;
                    return Err(e);
                }
            }
        }
        let (order_sql, _) = std::mem::replace(&mut self.w, main).finish();
        let fp = cursor::fingerprint(fp_name, &order_sql);
        let cursor = match (args.after, args.before) {
            (Some(c), _) => Some((c, "after", args.after)),
            (_, Some(c)) => Some((c, "before", args.before)),
            _ => None,
        };
        let cursor = match cursor {
            None => None,
            Some((c, k, cursor_at)) => {
                let checks: Vec<_> = keys.iter().map(|k| cursor_check(k.r.ty)).collect();
                let path = || at.key(k).render();
                let values = cursor_values(c, key, &fp, &checks, self.limits, &path)?;
                Some((values, cursor_at))
            }
        };
        Ok(Page {
            keys,
            backward,
            size,
            size_at: if backward { args.last } else { args.first },
            cap: args.cap,
            cursor,
            fingerprint: cursor::fingerprint_hex(&fp),
            fp,
            key,
            cursor_slot: OnceCell::new(),
        })
    }

    /// The page size as a parameter (plus one: the row `page_info` probes for), its slot
    /// reading `first` or `last`.
    fn page_size_param(&mut self, page: &Page<'a>, plus_one: bool) {
        let n = if plus_one { page.size + 1 } else { page.size };
        let cap = page.cap;
        self.w.param_from(
            ParamType::Scalar(PgType::Bigint),
            ParamValue::Int(n),
            || Slot::of(page.size_at, Conv::PageSize { plus_one, cap }),
        );
    }

    /// The order keys, then [`Compiler::tie_breakers`]. `at` is where the arguments are.
    fn page_keys(
        &mut self,
        order_by: &'a [OrderBy],
        at: &Path<'_>,
        size_key: &str,
    ) -> Result<Vec<PageKey<'a>>, Error> {
        let order_path = at.key("order_by");
        let mut keys = Vec::with_capacity(order_by.len() + 1);
        for (i, o) in order_by.iter().enumerate() {
            let p = order_path.index(i);
            let r = self.page_key(&o.path.0, &p.key("field"), &p)?;
            let desc = o.direction == Direction::Desc;
            let nulls_last = match o.nulls {
                Some(Nulls::Last) => true,
                Some(Nulls::First) => false,
                None => !desc,
            };
            keys.push(PageKey {
                r,
                desc,
                nulls_last,
            });
        }
        let p = at.key(size_key);
        for r in self.tie_breakers(|r| keys.iter().any(|k| k.r.same_place(r))) {
            resolve::check_orderable(&r, &p, "order by")?;
            keys.push(PageKey {
                r,
                desc: false,
                nulls_last: true,
            });
        }
        if keys.len() > MAX_KEYS {
            return Err(order_path.err(
                ErrorKind::SizeLimit,
                format!("keyset pagination orders by at most {MAX_KEYS} keys"),
            ));
        }
        Ok(keys)
    }

    fn page_key(
        &mut self,
        segs: &'a [String],
        fp: &Path<'_>,
        p: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        let r = match self.resolve_from(None, segs, 0, fp)? {
            Target::Value(r) => r,
            t @ Target::List { .. } => return self.value(t, segs, fp),
            Target::Relation { .. } => {
                return Err(p.err(
                    ErrorKind::Unsupported,
                    "keyset pagination orders by the view's own fields: an order key through \
                     a relation is not supported",
                ));
            }
        };
        resolve::check_orderable(&r, p, "order by")?;
        if let (Access::Column(_), FieldType::Array(_) | FieldType::Object(_)) = (&r.access, r.ty) {
            return Err(p.err(
                ErrorKind::Unsupported,
                "keyset pagination cannot order by an array or object column",
            ));
        }
        Ok(r)
    }

    /// `ORDER BY` the keys, each with its direction and NULLs placement written out; all
    /// of them reversed going backward.
    fn order_by(&mut self, keys: &[PageKey<'a>], reverse: bool) {
        self.w.sql(" ");
        self.order_keys(keys, reverse);
    }

    /// `ORDER BY <keys>` (see [`Compiler::order_by`]).
    fn order_keys(&mut self, keys: &[PageKey<'a>], reverse: bool) {
        for (i, k) in keys.iter().enumerate() {
            self.w.sql(if i == 0 { "ORDER BY " } else { ", " });
            self.typed_expr(&k.r);
            self.w.sql(if k.desc != reverse { " DESC" } else { " ASC" });
            self.w.sql(if k.nulls_last != reverse {
                " NULLS LAST"
            } else {
                " NULLS FIRST"
            });
        }
    }

    /// `, <cursor> [, <position>] FROM <rows> AS tN[, <cursor values>] WHERE <join> AND
    /// (<filter>) AND <keyset> ORDER BY <keys> LIMIT $n` after the selection the caller
    /// wrote: in the wrapped form also the row's position (`__n`) and one row more than the
    /// page when `page_info` counts it.
    fn page_block(
        &mut self,
        from: From<'a, '_>,
        page: &Page<'a>,
        args: &Args<'a>,
        at: &Path<'_>,
        depth: usize,
        wrapped: bool,
    ) -> Result<(), Error> {
        self.w.sql(", jsonb_build_array(");
        self.w.literal(&page.fingerprint);
        for k in &page.keys {
            self.w.sql(", ");
            self.cursor_value(&k.r);
        }
        self.w.sql(")::text AS \"__cursor\"");
        if wrapped {
            self.w.sql(", row_number() OVER (");
            self.order_keys(&page.keys, page.backward);
            self.w.sql(") AS \"__n\"");
        }
        let (cur, filtered) = self.page_from(from, Some(page))?;
        let filtered = self.page_filter(args, at, depth, filtered)?;
        if let Some(cur) = cur {
            self.rows_and(filtered);
            self.keyset(&page.keys, cur, !page.backward);
        }
        self.order_by(&page.keys, page.backward);
        self.w.sql(" LIMIT ");
        self.page_size_param(page, args.page_info);
        Ok(())
    }

    /// ` FROM <rows> AS tN[, <cursor values>][ WHERE <join>]`, the rows in the current
    /// scope: the cursor row's alias (`None` without a cursor or without `page`), and
    /// whether a WHERE clause was written.
    fn page_from(
        &mut self,
        from: From<'a, '_>,
        page: Option<&Page<'a>>,
    ) -> Result<(Option<Alias>, bool), Error> {
        match from {
            From::Root => {
                self.w.sql(" FROM ");
                self.w.fragment(&self.scope.view.sql_from);
                self.w.sql(" AS ");
                self.w.alias(self.scope.alias);
                Ok((page.and_then(|page| self.cursor_row(page)), false))
            }
            From::Rows(rows, parent) => {
                self.rows_source(rows);
                let cur = page.and_then(|page| self.cursor_row(page));
                let filtered = self.rows_join(rows, parent)?;
                Ok((cur, filtered))
            }
        }
    }

    /// ` WHERE (<filter>)` (or ` AND (…)` after a join): the page's `where`, if any; whether
    /// a WHERE clause was written.
    fn page_filter(
        &mut self,
        args: &Args<'a>,
        at: &Path<'_>,
        depth: usize,
        filtered: bool,
    ) -> Result<bool, Error> {
        let Some(f) = args.filter else {
            return Ok(filtered);
        };
        self.rows_and(filtered);
        self.w.sql("(");
        self.filter_at(f, None, &at.key("where"), depth + 1)?;
        self.w.sql(")");
        Ok(true)
    }

    /// `, (SELECT ($1::jsonb #>> '{}')::<type> AS "c0", …) AS tN`: the cursor's values,
    /// typed as the keys read, bound once for the block; its alias, `None` without a cursor.
    fn cursor_row(&mut self, page: &Page<'a>) -> Option<Alias> {
        let (values, cursor_at) = page.cursor.as_ref()?;
        let alias = self.next_alias();
        self.w.sql(", (SELECT ");
        for (i, (k, v)) in page.keys.iter().zip(values).enumerate() {
            if i > 0 {
                self.w.sql(", ");
            }
            let json = cursor_json(v.as_deref());
            self.w.sql("(");
            self.w.param_from(
                ParamType::Scalar(PgType::Jsonb),
                ParamValue::Text(json),
                || {
                    let cursor = page
                        .cursor_slot
                        .get_or_init(|| {
                            Arc::new(CursorSlot {
                                key: page.key.cloned(),
                                fp: page.fp,
                                checks: page.keys.iter().map(|k| cursor_check(k.r.ty)).collect(),
                                before: page.backward,
                            })
                        })
                        .clone();
                    Slot::of(
                        *cursor_at,
                        Conv::Cursor {
                            index: i as u32,
                            cursor,
                        },
                    )
                },
            );
            self.w.sql(" #>> '{}')");
            if let Some(cast) = text_cast(k.r.ty) {
                self.w.sql("::");
                self.w.sql(cast);
            }
            self.w.sql(" AS ");
            self.w.ident(&cursor_column(i));
        }
        self.w.sql(") AS ");
        self.w.alias(alias);
        Some(alias)
    }

    /// The key's value as the text the cursor carries: the `->>` text of a JSON field read
    /// from text, the typed value's text otherwise. Cast back with [`text_cast`], it is the
    /// value the key orders by.
    fn cursor_value(&mut self, r: &Resolved<'a>) {
        let read = match r.ty {
            FieldType::Scalar(s) => s.sql().read,
            FieldType::Array(_) | FieldType::Object(_) | FieldType::List(_) => Read::Jsonb,
        };
        match (&r.access, read) {
            (Access::Field(_) | Access::Dynamic(..), Read::Text | Read::Cast(_)) => {
                self.text_expr(r)
            }
            _ => {
                self.typed_expr(r);
                self.w.sql("::text");
            }
        }
    }

    /// `(<k1 after c1>) OR (<k1 = c1> AND <k2 after c2>) OR …`, in parentheses; `after`
    /// false: before instead.
    fn keyset(&mut self, keys: &[PageKey<'a>], cur: Alias, after: bool) {
        self.w.sql("(");
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                self.w.sql(" OR ");
            }
            self.w.sql("(");
            for (j, e) in keys[..i].iter().enumerate() {
                self.typed_expr(&e.r);
                self.w.sql(" IS NOT DISTINCT FROM ");
                self.cursor_ref(cur, j);
                self.w.sql(" AND ");
            }
            // Moving to greater values, and whether NULLs (greater than every value when
            // last ascending) come later in the direction of travel.
            let up = after != k.desc;
            let nulls_later = after == k.nulls_last;
            self.w.sql("(");
            self.typed_expr(&k.r);
            self.w.sql(if up { " > " } else { " < " });
            self.cursor_ref(cur, i);
            self.w.sql(" OR (");
            if nulls_later {
                self.typed_expr(&k.r);
                self.w.sql(" IS NULL AND ");
                self.cursor_ref(cur, i);
                self.w.sql(" IS NOT NULL");
            } else {
                self.cursor_ref(cur, i);
                self.w.sql(" IS NULL AND ");
                self.typed_expr(&k.r);
                self.w.sql(" IS NOT NULL");
            }
            self.w.sql(")))");
        }
        self.w.sql(")");
    }

    fn cursor_ref(&mut self, cur: Alias, i: usize) {
        self.w.alias(cur);
        self.w.sql(".");
        self.w.ident(&cursor_column(i));
    }

    /// Whether rows exist on the other side of the cursor (the cursor's row included):
    /// `hasPreviousPage` going forward after a cursor, `hasNextPage` going backward before
    /// one; FALSE without a cursor (the page starts at the order's end). Written in a scope
    /// of its own (the root's entered here; a nested page's by the caller).
    fn probe(
        &mut self,
        from: From<'a, '_>,
        page: &Page<'a>,
        args: &Args<'a>,
        at: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        if page.cursor.is_none() {
            self.w.sql("FALSE");
            return Ok(());
        }
        let root = matches!(from, From::Root);
        if root {
            self.enter(self.scope.view);
        }
        self.w.sql("EXISTS (SELECT 1");
        let (cur, filtered) = self.page_from(from, Some(page))?;
        let filtered = self.page_filter(args, at, depth, filtered)?;
        if let Some(cur) = cur {
            // The same keys, read in this block's scope.
            let size_key = if page.backward { "last" } else { "first" };
            let keys = self.page_keys(args.order_by, at, size_key)?;
            self.rows_and(filtered);
            self.keyset(&keys, cur, !page.backward);
        }
        self.w.sql(" IS NOT TRUE)");
        if root {
            self.leave();
        }
        Ok(())
    }

    /// `(SELECT count(*) FROM <rows> AS tN WHERE <filter>)`: the rows the filter matches.
    /// Written in a scope of its own (as [`Compiler::probe`]).
    fn total(
        &mut self,
        from: From<'a, '_>,
        args: &Args<'a>,
        at: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        let root = matches!(from, From::Root);
        if root {
            self.enter(self.scope.view);
        }
        self.w.sql("(SELECT count(*)");
        let (_, filtered) = self.page_from(from, None)?;
        if let Some(f) = args.filter {
            if filtered {
                self.w.sql(" AND (");
                self.filter_at(f, None, &at.key("where"), depth + 1)?;
                self.w.sql(")");
            } else {
                self.w.sql(" WHERE ");
                self.filter_at(f, None, &at.key("where"), depth + 1)?;
            }
        }
        self.w.sql(")");
        if root {
            self.leave();
        }
        Ok(())
    }
}

/// A page size as the `bigint` it is bound as: `None` when too large (`i64::MAX` is too
/// large too: the `page_info` probe reads one row more).
pub(crate) fn page_size(n: u64) -> Option<i64> {
    i64::try_from(n).ok().filter(|n| *n < i64::MAX)
}

/// The type an order key's cursor value is checked as: the key's scalar type, `numeric` for
/// integers (the type the key is read as); `None` for keys whose values are not checked
/// (text takes any text; jsonb and coordinates are left to the server).
fn cursor_check(ty: &FieldType) -> Option<ScalarType> {
    match ty {
        FieldType::Scalar(ScalarType::Text | ScalarType::Jsonb | ScalarType::Coordinates) => None,
        FieldType::Scalar(ScalarType::Integer) => Some(ScalarType::Numeric),
        FieldType::Scalar(s) => Some(*s),
        FieldType::Array(_) | FieldType::Object(_) | FieldType::List(_) => None,
    }
}

/// A cursor (given at `path`: `after` or `before`, of the query or of a list) decoded and checked against the query's
/// fingerprint `fp`, its key count and `key`, each value checked like a filter operand of
/// its order key's type (`checks`, see [`cursor_check`]; PostgreSQL's input functions,
/// re-implemented in `values/`): a forged value is `QB_INVALID_CURSOR` here, not a cast
/// error on the server. The one check of a cursor, for the compiler and a cached plan's
/// cursor slots alike.
pub(crate) fn cursor_values(
    cursor: &str,
    key: Option<&CursorKey>,
    fp: &[u8; 8],
    checks: &[Option<ScalarType>],
    limits: &Limits,
    path: &dyn Fn() -> String,
) -> Result<Vec<Option<String>>, Error> {
    let values = cursor::decode(cursor, key, fp, checks.len())
        .map_err(|e| Error::new(e.kind(), path(), e.message()))?;
    for (check, v) in checks.iter().zip(&values) {
        let (Some(ty), Some(text)) = (check, v) else {
            continue;
        };
        let value = crate::Value::Str(text.clone());
        Operand::new(&value, limits, &path)
            .scalar(*ty)
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidCursor,
                    path(),
                    format!(
                        "a value of the cursor is not of its order key's type: {}",
                        e.message()
                    ),
                )
            })?;
    }
    Ok(values)
}

/// A cursor value as the `jsonb` parameter the cursor row binds: a JSON string, or `null`.
pub(crate) fn cursor_json(v: Option<&str>) -> String {
    let mut json = String::with_capacity(v.map_or(4, |s| s.len() + 2));
    match v {
        Some(s) => crate::value::write_json_string(s, &mut json),
        None => json.push_str("null"),
    }
    json
}

/// `"c0"`, `"c1"`, …: the cursor row's columns.
fn cursor_column(i: usize) -> String {
    let mut s = String::from("c");
    s.push_str(itoa::Buffer::new().format(i));
    s
}

/// The cast from a key's cursor text back to the value it orders by (the read of its type):
/// `None` for text.
fn text_cast(ty: &FieldType) -> Option<&'static str> {
    match ty {
        FieldType::Scalar(s) => match s.sql().read {
            Read::Text => None,
            Read::Cast(c) => Some(c),
            Read::Jsonb => Some("jsonb"),
        },
        FieldType::Array(_) | FieldType::Object(_) | FieldType::List(_) => Some("jsonb"),
    }
}
