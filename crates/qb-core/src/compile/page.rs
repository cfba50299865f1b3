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

use std::cell::OnceCell;
use std::sync::Arc;

use super::slot::CursorSlot;
use super::values::Operand;
use super::{Access, Compiler, Conv, Resolved, Slot, Target, resolve};
use crate::ast::{Direction, Nulls, Output};
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

/// One key of the page's order.
struct PageKey<'a> {
    r: Resolved<'a>,
    desc: bool,
    /// Where NULLs go, made explicit (PostgreSQL's default: last ascending, first descending).
    nulls_last: bool,
}

/// The page a query asks for.
struct Page<'a> {
    keys: Vec<PageKey<'a>>,
    backward: bool,
    size: i64,
    /// The page size's operand (`first` or `last`), for its slots.
    size_at: &'a Option<u64>,
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
        let page = self.page(key)?;
        let q = self.query;
        let root = Path::ROOT;
        let wrapped = page.backward || q.page_info || q.total_count;
        if !wrapped {
            // Forward, rows only: the plain statement with the cursor column.
            self.page_block(&page, false)?;
            return Ok(());
        }
        self.w.sql("WITH page AS (");
        self.page_block(&page, true)?;
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
                self.probe(&page)?;
                self.w.sql(" AS \"__has_probe\"");
                first = false;
            }
            if q.total_count {
                if !first {
                    self.w.sql(", ");
                }
                self.total(&root)?;
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

    /// The arguments checked, the order keys resolved (primary key appended), the cursor
    /// decoded.
    fn page(&mut self, key: Option<&'a CursorKey>) -> Result<Page<'a>, Error> {
        let q = self.query;
        let root = Path::ROOT;
        let (size, backward, size_key, size_at) = match (q.first, q.last) {
            (Some(_), Some(_)) => {
                return Err(root.key("last").err(
                    ErrorKind::InvalidQuery,
                    "`first` and `last` page in opposite directions: give one of them",
                ));
            }
            (Some(n), None) => (n, false, "first", &q.first),
            (None, Some(n)) => (n, true, "last", &q.last),
            (None, None) => {
                let key = [
                    ("after", q.after.is_some()),
                    ("before", q.before.is_some()),
                    ("page_info", q.page_info),
                    ("total_count", q.total_count),
                ]
                .into_iter()
                .find_map(|(k, on)| on.then_some(k))
                .unwrap_or("first");
                return Err(root.key(key).err(
                    ErrorKind::InvalidQuery,
                    format!("`{key}` belongs to a keyset page: give `first` or `last` with it"),
                ));
            }
        };
        let p = root.key(size_key);
        let size = page_size(size)
            .ok_or_else(|| p.err(ErrorKind::InvalidValue, format!("{size_key} is too large")))?;
        if q.after.is_some() && backward {
            return Err(root.key("after").err(
                ErrorKind::InvalidQuery,
                "`after` pages forward: use it with `first` (with `last`, use `before`)",
            ));
        }
        if q.before.is_some() && !backward {
            return Err(root.key("before").err(
                ErrorKind::InvalidQuery,
                "`before` pages backward: use it with `last` (with `first`, use `after`)",
            ));
        }
        for (key, given) in [("limit", q.limit.is_some()), ("offset", q.offset.is_some())] {
            if given {
                return Err(root.key(key).err(
                    ErrorKind::InvalidQuery,
                    format!("`{key}` and keyset pagination (`{size_key}`) do not mix: use one"),
                ));
            }
        }
        let grouped = !q.group_by.is_empty()
            || q.having.is_some()
            || q.distinct
            || !q.distinct_on.is_empty()
            || q.select
                .iter()
                .any(|s| matches!(s, crate::ast::Selection::Aggregate(_)));
        if grouped {
            return Err(p.err(
                ErrorKind::Unsupported,
                "keyset pagination of grouped or distinct queries is not supported",
            ));
        }
        if q.output == Output::Columns {
            let names = self.output_names(&q.select, &root.key("select"))?;
            if let Some(i) = names.iter().position(|n| RESERVED.contains(n)) {
                return Err(root.key("select").index(i).err(
                    ErrorKind::InvalidQuery,
                    format!("`{}` is an output column of a paged statement", names[i]),
                ));
            }
        }
        let view = self.scope.view;
        if view.primary_key.is_empty() {
            return Err(p.err(
                ErrorKind::NoPrimaryKey,
                format!(
                    "keyset pagination needs a unique order: view `{}` declares no primary_key",
                    q.view.key()
                ),
            ));
        }

        let keys = self.page_keys()?;
        // The fingerprint: the view and the forward ORDER BY text.
        let style = if self.style == 1 {
            Placeholder::Format
        } else {
            Placeholder::Numbered
        };
        let main = std::mem::replace(&mut self.w, SqlWriter::new(style, 128));
        self.order_by(&keys, false);
        let (order_sql, _) = std::mem::replace(&mut self.w, main).finish();
        let fp = cursor::fingerprint(&q.view.key(), &order_sql);
        let cursor = match (&q.after, &q.before) {
            (Some(c), _) => Some((c, "after", &q.after)),
            (_, Some(c)) => Some((c, "before", &q.before)),
            _ => None,
        };
        let cursor = match cursor {
            None => None,
            Some((c, at, cursor_at)) => {
                let checks: Vec<_> = keys.iter().map(|k| cursor_check(k.r.ty)).collect();
                let values = cursor_values(c, key, &fp, &checks, self.limits, at)?;
                Some((values, cursor_at))
            }
        };
        Ok(Page {
            keys,
            backward,
            size,
            size_at,
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
        self.w.param_from(
            ParamType::Scalar(PgType::Bigint),
            ParamValue::Int(n),
            || Slot::of(page.size_at, Conv::PageSize { plus_one }),
        );
    }

    /// The order keys, then the primary key columns the order does not already hold.
    fn page_keys(&mut self) -> Result<Vec<PageKey<'a>>, Error> {
        let q = self.query;
        let order_path = Path::ROOT.key("order_by");
        let mut keys = Vec::with_capacity(q.order_by.len() + 1);
        for (i, o) in q.order_by.iter().enumerate() {
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
        let view = self.scope.view;
        for col in &view.primary_key {
            let segs = std::slice::from_ref(col);
            let p = Path::ROOT.key("first");
            let r = self.page_key(segs, &p, &p)?;
            if !keys.iter().any(|k| k.r.same_place(&r)) {
                keys.push(PageKey {
                    r,
                    desc: false,
                    nulls_last: true,
                });
            }
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

    /// `SELECT <selection>, <cursor> FROM <view> AS t[, <cursor values>] WHERE <filter> AND
    /// <keyset> ORDER BY <keys> LIMIT $n`; in the wrapped form also the row's position
    /// (`__n`) and one row more than the page when `page_info` counts it.
    fn page_block(&mut self, page: &Page<'a>, wrapped: bool) -> Result<(), Error> {
        let q = self.query;
        let root = Path::ROOT;
        self.w.sql("SELECT ");
        self.select(&root.key("select"), self.scope.view.document_threshold)?;
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
        self.w.sql(" FROM ");
        self.w.fragment(&self.scope.view.sql_from);
        self.w.sql(" AS ");
        self.w.alias(self.scope.alias);
        let cur = self.cursor_row(page);
        let mut and = " WHERE ";
        if let Some(f) = &q.filter {
            self.w.sql(" WHERE (");
            self.filter_top(f, &root.key("where"))?;
            self.w.sql(")");
            and = " AND ";
        }
        if let Some(cur) = cur {
            self.w.sql(and);
            self.keyset(&page.keys, cur, !page.backward);
        }
        self.order_by(&page.keys, page.backward);
        self.w.sql(" LIMIT ");
        self.page_size_param(page, q.page_info);
        Ok(())
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
                                before: std::ptr::eq(*cursor_at, &self.query.before),
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
    /// one; FALSE without a cursor (the page starts at the order's end).
    fn probe(&mut self, page: &Page<'a>) -> Result<(), Error> {
        if page.cursor.is_none() {
            self.w.sql("FALSE");
            return Ok(());
        }
        let q = self.query;
        self.w.sql("EXISTS (SELECT 1 FROM ");
        let view = self.scope.view;
        self.enter(view);
        self.w.fragment(&view.sql_from);
        self.w.sql(" AS ");
        self.w.alias(self.scope.alias);
        let cur = self.cursor_row(page);
        self.w.sql(" WHERE ");
        if let Some(f) = &q.filter {
            self.w.sql("(");
            self.filter_top(f, &Path::ROOT.key("where"))?;
            self.w.sql(") AND ");
        }
        if let Some(cur) = cur {
            // The same keys, read in this block's scope.
            let keys = self.page_keys()?;
            self.keyset(&keys, cur, !page.backward);
        }
        self.w.sql(" IS NOT TRUE)");
        self.leave();
        Ok(())
    }

    /// `(SELECT count(*) FROM <view> AS tN WHERE <filter>)`: the rows the filter matches.
    fn total(&mut self, root: &Path<'_>) -> Result<(), Error> {
        let q = self.query;
        let view = self.scope.view;
        self.w.sql("(SELECT count(*) FROM ");
        self.enter(view);
        self.w.fragment(&view.sql_from);
        self.w.sql(" AS ");
        self.w.alias(self.scope.alias);
        if let Some(f) = &q.filter {
            self.w.sql(" WHERE ");
            self.filter_top(f, &root.key("where"))?;
        }
        self.w.sql(")");
        self.leave();
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

/// A cursor (given at `at`: `after` or `before`) decoded and checked against the query's
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
    at: &str,
) -> Result<Vec<Option<String>>, Error> {
    let path = || Path::ROOT.key(at).render();
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
