//! AST + registry -> SQL. One pass over the query writes the SQL and its parameters through
//! one [`SqlWriter`]; see ARCHITECTURE.md for the statement shape.

mod filter;
mod values;
mod writer;

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::ast::{
    AggregateFn, Direction, FieldPath, FieldSelection, Nulls, Output, Query, Selection,
};
use crate::error::{Error, ErrorKind, Path};
use crate::options::Placeholder;
use crate::options::{CompileOptions, Limits};
use crate::param::{CompiledQuery, ParamType, ParamValue, PgType};
use crate::schema::{ColumnDef, FieldDef, FieldType, ScalarType, Schema, ViewDef, is_graphql_name};
pub(crate) use writer::{ROOT_ALIAS, SqlFragment, SqlWriter};

/// PostgreSQL caps a function call at 100 arguments: 50 key/value pairs per
/// `jsonb_build_object` call; wider objects are concatenated with `||`.
const MAX_PAIRS_PER_CALL: usize = 50;

/// Type of fields read in permissive mode from keys the registry does not list.
static PERMISSIVE_TYPE: FieldType = FieldType::Scalar(ScalarType::Text);

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
        view,
        query,
        camel: query.camel_case.unwrap_or(options.camel_case),
        style: usize::from(options.placeholder == Placeholder::Format),
        limits: &options.limits,
        w: SqlWriter::new(options.placeholder, 128 + 48 * query.select.len()),
        nodes: 0,
    };
    c.statement()?;
    let (sql, params) = c.w.finish();
    Ok(CompiledQuery { sql, params })
}

/// Where a field's value lives.
#[derive(Debug)]
pub(crate) enum Access<'a> {
    /// A real SQL column of the view.
    Column(&'a ColumnDef),
    /// A registered JSONB field (accessors rendered in advance).
    Field(&'a FieldDef),
    /// A key path the registry does not list (permissive views).
    Dynamic(SmallVec<[Cow<'a, str>; 4]>),
}

/// A field path resolved against the registry.
#[derive(Debug)]
pub(crate) struct Resolved<'a> {
    pub(crate) access: Access<'a>,
    pub(crate) ty: &'a FieldType,
    pub(crate) language: Option<&'a str>,
}

impl<'a> Resolved<'a> {
    fn same_place(&self, other: &Resolved<'_>) -> bool {
        match (&self.access, &other.access) {
            (Access::Column(a), Access::Column(b)) => std::ptr::eq(*a, *b),
            (Access::Field(a), Access::Field(b)) => std::ptr::eq(*a, *b),
            (Access::Dynamic(a), Access::Dynamic(b)) => a == b,
            _ => false,
        }
    }

    /// The key path below the data column (empty for a column).
    fn keys(&self) -> SmallVec<[Cow<'a, str>; 4]> {
        match &self.access {
            Access::Column(_) => SmallVec::new(),
            Access::Field(f) => f.sql.keys.iter().map(|k| Cow::Borrowed(&**k)).collect(),
            Access::Dynamic(keys) => keys.clone(),
        }
    }
}

/// A name converted to snake_case without touching the heap: borrowed when there is nothing
/// to change, else built in an inline buffer (heap only past 64 bytes).
#[derive(Debug)]
pub(crate) enum Snake<'n> {
    Same(&'n str),
    Built(SmallVec<[u8; 64]>),
}

impl Snake<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Snake::Same(s) => s,
            // Only ASCII bytes are inserted or changed, so the buffer stays valid UTF-8.
            Snake::Built(b) => std::str::from_utf8(b).unwrap_or_default(),
        }
    }

    pub(crate) fn into_owned(self) -> String {
        self.as_str().to_owned()
    }
}

impl std::ops::Deref for Snake<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Snake<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<&str> for Snake<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// camelCase -> snake_case (`createdAt` -> `created_at`, `userID` -> `user_id`,
/// `HTTPStatus` -> `http_status`), or the name itself when `camel` is off.
pub(crate) fn snake(name: &str, camel: bool) -> Snake<'_> {
    if !camel || !name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Snake::Same(name);
    }
    let b = name.as_bytes();
    let mut out: SmallVec<[u8; 64]> = SmallVec::with_capacity(name.len() + 4);
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = if i > 0 { b[i - 1] } else { b'_' };
            let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if i > 0
                && prev != b'_'
                && (prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower))
            {
                out.push(b'_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    Snake::Built(out)
}

pub(crate) struct Compiler<'a> {
    pub(crate) view: &'a ViewDef,
    query: &'a Query,
    camel: bool,
    /// Index of the placeholder style in the registry's pre-rendered accessors.
    style: usize,
    pub(crate) limits: &'a Limits,
    pub(crate) w: SqlWriter,
    nodes: usize,
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

    /// Resolves a field path: columns first (single segment), then JSONB fields.
    pub(crate) fn resolve(
        &self,
        segs: &'a [String],
        base: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        let Some(first) = segs.first() else {
            return Err(base.err(ErrorKind::InvalidQuery, "empty field path"));
        };
        // One segment per nesting level (a hand-built path may be of any length).
        self.check_depth(segs.len(), base)?;
        // Columns win over JSONB fields of the same name. Both indexes hold the camelCase
        // aliases, so a conversion is needed only for spellings they do not cover.
        let columns = &self.view.columns;
        let fields = &self.view.fields.fields;
        let mut col = columns.lookup_indexed(first, self.camel);
        let mut field = if col.is_none() {
            fields.lookup_indexed(first, self.camel)
        } else {
            None
        };
        if col.is_none()
            && field.is_none()
            && self.camel
            && first.bytes().any(|b| b.is_ascii_uppercase())
        {
            let key = snake(first, true);
            col = columns.lookup_indexed(&key, false);
            field = if col.is_none() {
                fields.lookup_indexed(&key, false)
            } else {
                None
            };
        }
        if let Some((_, col)) = col {
            if segs.len() > 1 {
                return Err(Error::new(
                    ErrorKind::UnknownField,
                    field_path_string(base, &segs[..2], None),
                    format!(
                        "`{first}` is a {} column; it has no field `{}`",
                        col.ty.describe(),
                        segs[1]
                    ),
                ));
            }
            return Ok(Resolved {
                access: Access::Column(col),
                ty: &col.ty,
                language: None,
            });
        }
        if let (Some((_, def)), 1) = (field, segs.len()) {
            // The common case: one registered field, no nesting.
            return Ok(Resolved {
                access: Access::Field(def),
                ty: &def.ty,
                language: def.language.as_deref(),
            });
        }
        // The first segment was already found (or not) at the root; the rest resolve level by
        // level below it.
        let mut root = field.map(|(_, def)| Resolved {
            access: Access::Field(def),
            ty: &def.ty,
            language: def.language.as_deref(),
        });
        let mut parent: Option<Resolved<'a>> = None;
        for (i, seg) in segs.iter().enumerate() {
            let r = match root.take() {
                Some(r) => r,
                None => self.resolve_in(parent.as_ref(), seg, segs, i, base)?,
            };
            check_descend(&r, segs, i, base)?;
            parent = Some(r);
        }
        parent.ok_or_else(|| base.err(ErrorKind::InvalidQuery, "empty field path"))
    }

    /// Resolves `segs[i]` inside `parent` (`None`: the document root); errors name
    /// `base` + `segs[..=i]`.
    fn resolve_in(
        &self,
        parent: Option<&Resolved<'a>>,
        name: &'a str,
        segs: &[String],
        i: usize,
        base: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        let at = || field_path_string(base, &segs[..=i], None);
        let obj = match parent.map(|p| p.ty) {
            None => Some(&self.view.fields),
            Some(FieldType::Object(obj)) => Some(&**obj),
            Some(_) => None,
        };
        if let Some((_, def)) = obj.and_then(|o| o.fields.lookup(name, self.camel)) {
            return Ok(Resolved {
                access: Access::Field(def),
                ty: &def.ty,
                language: def.language.as_deref(),
            });
        }
        if !is_graphql_name(name) {
            return Err(Error::new(
                ErrorKind::InvalidIdentifier,
                at(),
                format!("`{name}` is not a valid field name ([_A-Za-z][_0-9A-Za-z]*)"),
            ));
        }
        if !self.view.permissive {
            let msg = match parent {
                None => format!("view `{}` has no field `{name}`", self.view.key()),
                Some(_) if i > 0 => format!("`{}` has no field `{name}`", segs[..i].join(".")),
                Some(_) => format!("this object has no field `{name}`"),
            };
            // Columns are candidates at the document root only.
            let columns = parent
                .is_none()
                .then(|| self.view.columns.spellings(self.camel))
                .into_iter()
                .flatten();
            let fields = obj.into_iter().flat_map(|o| o.fields.spellings(self.camel));
            let hint = crate::suggest::did_you_mean(name, columns.chain(fields));
            return Err(Error::new(ErrorKind::UnknownField, at(), msg + &hint));
        }
        let mut keys = parent.map(Resolved::keys).unwrap_or_default();
        keys.push(Cow::Owned(snake(name, self.camel).into_owned()));
        Ok(Resolved {
            access: Access::Dynamic(keys),
            ty: &PERMISSIVE_TYPE,
            language: None,
        })
    }

    /// A selected field's path resolved inside `parent` (or at the root, where a one-segment
    /// path may name a column); errors name `p` + the segments.
    fn resolve_selected(
        &self,
        parent: Option<&Resolved<'a>>,
        path: &'a FieldPath,
        p: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        let segs = &path.0;
        let Some(parent) = parent else {
            return self.resolve(segs, p);
        };
        let mut cur: Option<Resolved<'a>> = None;
        for (i, seg) in segs.iter().enumerate() {
            let r = self.resolve_in(Some(cur.as_ref().unwrap_or(parent)), seg, segs, i, p)?;
            check_descend(&r, segs, i, p)?;
            cur = Some(r);
        }
        cur.ok_or_else(|| p.err(ErrorKind::InvalidQuery, "empty field path"))
    }

    /// `t."data"->'a'->'b'` (jsonb, JSON null kept), or `t."col"`.
    pub(crate) fn json_expr(&mut self, r: &Resolved<'_>) {
        match &r.access {
            Access::Column(col) => self.w.fragment(&col.sql),
            Access::Field(f) => self.w.fragment(&f.sql.json[self.style]),
            Access::Dynamic(keys) => {
                self.w.fragment(&self.view.sql_data);
                for k in keys {
                    self.w.sql("->");
                    self.w.literal(k);
                }
            }
        }
    }

    /// `t."data"->'a'->>'b'` (text; SQL NULL for a missing key or JSON null), or `t."col"`.
    pub(crate) fn text_expr(&mut self, r: &Resolved<'_>) {
        match &r.access {
            Access::Column(col) => self.w.fragment(&col.sql),
            Access::Field(f) => self.w.fragment(&f.sql.text[self.style]),
            Access::Dynamic(keys) => {
                self.w.fragment(&self.view.sql_data);
                let last = keys.len() - 1;
                for (i, k) in keys.iter().enumerate() {
                    self.w.sql(if i == last { "->>" } else { "->" });
                    self.w.literal(k);
                }
            }
        }
    }

    /// The field's value as its SQL type: `(t."data"->>'age')::numeric`; jsonb-valued fields
    /// as `NULLIF(t."data"->'m', 'null'::jsonb)` so JSON null behaves as SQL NULL.
    pub(crate) fn typed_expr(&mut self, r: &Resolved<'_>) {
        if let Access::Column(col) = r.access {
            self.w.fragment(&col.sql);
            return;
        }
        let cast = match r.ty {
            FieldType::Scalar(ScalarType::Text) => {
                self.text_expr(r);
                return;
            }
            FieldType::Scalar(ScalarType::Jsonb | ScalarType::Coordinates)
            | FieldType::Array(_)
            | FieldType::Object(_) => {
                self.w.sql("NULLIF(");
                self.json_expr(r);
                self.w.sql(", 'null'::jsonb)");
                return;
            }
            FieldType::Scalar(s) => scalar_cast(*s),
        };
        self.w.sql("(");
        self.text_expr(r);
        self.w.sql(")::");
        self.w.sql(cast);
    }

    pub(crate) fn param(&mut self, ty: PgType, value: ParamValue) {
        self.w.param(ParamType::Scalar(ty), value);
    }

    fn statement(&mut self) -> Result<(), Error> {
        let q = self.query;
        let root = Path::ROOT;
        let grouped = !q.group_by.is_empty()
            || q.select
                .iter()
                .any(|s| matches!(s, Selection::Aggregate(_)));
        // Whole-document output returns keys the registry may not list: only a view that
        // opted in (its `document_threshold`) ever gets it.
        let threshold = self.view.document_threshold;

        // Group keys first: selections and order keys are checked against them.
        let group_path = root.key("group_by");
        let mut groups = Vec::with_capacity(q.group_by.len());
        for (i, g) in q.group_by.iter().enumerate() {
            let p = group_path.index(i);
            let r = self.resolve(&g.0, &p)?;
            check_orderable(&r, &p, "group by")?;
            groups.push(r);
        }

        self.w.sql("SELECT ");
        let select_path = root.key("select");
        if grouped {
            self.grouped_select(&groups, &select_path)?;
        } else {
            self.select(&select_path, threshold)?;
        }
        self.w.sql(" FROM ");
        self.w.fragment(&self.view.sql_from);
        self.w.sql(" AS ");
        self.w.sql(ROOT_ALIAS);

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
        if !q.order_by.is_empty() {
            self.w.sql(" ORDER BY ");
            let order_path = root.key("order_by");
            for (i, o) in q.order_by.iter().enumerate() {
                if i > 0 {
                    self.w.sql(", ");
                }
                let p = order_path.index(i);
                self.order_key(&o.path, grouped, &groups, &p)?;
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
        }
        if let Some(limit) = q.limit {
            self.w.sql(" LIMIT ");
            let v = i64::try_from(limit).map_err(|_| {
                root.key("limit")
                    .err(ErrorKind::InvalidValue, "limit is too large")
            })?;
            self.param(PgType::Bigint, ParamValue::Int(v));
        }
        if let Some(offset) = q.offset {
            self.w.sql(" OFFSET ");
            let v = i64::try_from(offset).map_err(|_| {
                root.key("offset")
                    .err(ErrorKind::InvalidValue, "offset is too large")
            })?;
            self.param(PgType::Bigint, ParamValue::Int(v));
        }
        Ok(())
    }

    fn order_key(
        &mut self,
        path: &'a FieldPath,
        grouped: bool,
        groups: &[Resolved<'a>],
        p: &Path<'_>,
    ) -> Result<(), Error> {
        if grouped {
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
            return Ok(());
        }
        let fp = p.key("field");
        let r = self.resolve(&path.0, &fp)?;
        check_orderable(&r, p, "order by")?;
        self.typed_expr(&r);
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

    /// Leaf fields the selection would build (for the document threshold), counted
    /// without recursion: a hand-built selection may nest deeper than any limit, and the
    /// depth is checked only when the selection is walked.
    fn leaf_count(sel: &[Selection]) -> usize {
        let mut count = 0;
        let mut stack = vec![sel];
        while let Some(level) = stack.pop() {
            for s in level {
                match s {
                    Selection::Field(FieldSelection {
                        select: Some(sub), ..
                    }) => stack.push(sub),
                    _ => count += 1,
                }
            }
        }
        count
    }

    fn select(&mut self, path: &Path<'_>, threshold: Option<usize>) -> Result<(), Error> {
        let q = self.query;
        if q.select.is_empty() {
            return Err(path.err(ErrorKind::InvalidQuery, "a selection must not be empty"));
        }
        let whole_document = q.output != Output::Columns
            && threshold.is_some_and(|t| Self::leaf_count(&q.select) > t);
        match q.output {
            Output::Columns => self.columns(&q.select, path),
            Output::Json | Output::JsonText => {
                if whole_document {
                    // Still validate the selection, so a bad field is an error either way.
                    self.check_selection(&q.select, None, path, 1)?;
                    self.w.fragment(&self.view.sql_data);
                } else {
                    self.object(&q.select, None, path, 1)?;
                }
                self.data_column_alias();
                Ok(())
            }
        }
    }

    /// ` AS "data"` after the object (cast to text for `json_text` output).
    fn data_column_alias(&mut self) {
        if self.query.output == Output::JsonText {
            self.w.sql("::text");
        }
        self.w.sql(" AS \"data\"");
    }

    /// Resolves every field of a selection without writing SQL (the whole-document form
    /// still rejects bad fields).
    fn check_selection(
        &mut self,
        sel: &'a [Selection],
        parent: Option<&Resolved<'a>>,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        self.check_depth(depth, path)?;
        self.output_names(sel, path)?;
        for (i, s) in sel.iter().enumerate() {
            let p = path.index(i);
            self.count_node(&|| p.render())?;
            match s {
                Selection::Field(f) => {
                    let r = self.resolve_selected(parent, &f.path, &p)?;
                    if let Some(sub) = &f.select {
                        self.sub_selection_target(&r, &p)?;
                        self.check_selection(sub, Some(&r), &p.key("select"), depth + 1)?;
                    }
                }
                Selection::Typename { .. } => {
                    if self.view.typename.is_none() {
                        self.typename(&p)?;
                    }
                }
                Selection::Aggregate(_) => {
                    return Err(p.err(ErrorKind::InvalidQuery, "aggregates need a grouped query"));
                }
            }
        }
        Ok(())
    }

    fn output_name<'s>(&self, s: &'s Selection, p: &Path<'_>) -> Result<&'s str, Error> {
        let (name, aliased) = match s {
            Selection::Field(f) => (f.output_name(), f.alias.is_some()),
            Selection::Typename { alias } => {
                (alias.as_deref().unwrap_or("__typename"), alias.is_some())
            }
            Selection::Aggregate(a) => (a.alias.as_str(), true),
        };
        if !is_graphql_name(name) {
            let alias_path = p.key("alias");
            return Err((if aliased { &alias_path } else { p }).err(
                ErrorKind::InvalidIdentifier,
                format!("output name `{name}` is not a valid name ([_A-Za-z][_0-9A-Za-z]*)"),
            ));
        }
        Ok(name)
    }

    /// Every item's output name, validated once, with duplicates rejected.
    fn output_names(
        &self,
        sel: &'a [Selection],
        path: &Path<'_>,
    ) -> Result<SmallVec<[&'a str; 16]>, Error> {
        let mut names: SmallVec<[&'a str; 16]> = SmallVec::with_capacity(sel.len());
        for (i, s) in sel.iter().enumerate() {
            names.push(self.output_name(s, &path.index(i))?);
        }
        // The first item whose name an earlier item already has: a scan for the usual
        // narrow selection, a sort for a wide one (O(n log n) whatever the names: a hashed
        // filter with fixed seeds degraded to a quadratic scan on names chosen to collide).
        // Names are compared by (length, first 8 bytes) as integers first; only names equal
        // in both are compared whole.
        let key = |i: usize| {
            let b = names[i].as_bytes();
            let mut head = [0u8; 8];
            let n = b.len().min(8);
            head[..n].copy_from_slice(&b[..n]);
            (b.len(), u64::from_be_bytes(head))
        };
        let duplicate = if names.len() <= 16 {
            let keys: SmallVec<[(usize, u64); 16]> = (0..names.len()).map(key).collect();
            (1..names.len()).find(|&i| {
                (0..i).any(|j| keys[j] == keys[i] && (keys[i].0 <= 8 || names[j] == names[i]))
            })
        } else {
            let mut order: Vec<(usize, u64, usize)> = (0..names.len())
                .map(|i| {
                    let (len, head) = key(i);
                    (len, head, i)
                })
                .collect();
            order.sort_unstable_by(|a, b| {
                (a.0, a.1)
                    .cmp(&(b.0, b.1))
                    .then_with(|| names[a.2].cmp(names[b.2]))
                    .then(a.2.cmp(&b.2))
            });
            order
                .windows(2)
                .filter(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1) && names[w[0].2] == names[w[1].2])
                .map(|w| w[1].2)
                .min()
        };
        if let Some(i) = duplicate {
            return Err(path.index(i).err(
                ErrorKind::InvalidQuery,
                format!("duplicate output name `{}`", names[i]),
            ));
        }
        Ok(names)
    }

    fn sub_selection_target(&self, r: &Resolved<'_>, p: &Path<'_>) -> Result<(), Error> {
        match (r.ty, &r.access) {
            (FieldType::Object(_), Access::Field(_)) => Ok(()),
            (FieldType::Array(_), _) => Err(p.err(
                ErrorKind::Unsupported,
                "sub-selections on arrays are not supported; select the array whole",
            )),
            (other, _) => Err(p.err(
                ErrorKind::InvalidQuery,
                format!(
                    "a sub-selection needs an object field, not {}",
                    other.describe()
                ),
            )),
        }
    }

    /// `jsonb_build_object('k', v, …)`, split into `||`-joined calls past 50 pairs.
    /// `parent` is the resolved object the selection reads from (`None`: the document).
    fn object(
        &mut self,
        sel: &'a [Selection],
        parent: Option<&Resolved<'a>>,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        self.check_depth(depth, path)?;
        let names = self.output_names(sel, path)?;
        let chunked = sel.len() > MAX_PAIRS_PER_CALL;
        if chunked {
            self.w.sql("(");
        }
        for (i, s) in sel.iter().enumerate() {
            if i % MAX_PAIRS_PER_CALL == 0 {
                if i > 0 {
                    self.w.sql(") || ");
                }
                self.w.sql("jsonb_build_object(");
            } else {
                self.w.sql(", ");
            }
            let p = path.index(i);
            self.count_node(&|| p.render())?;
            let name = names[i];
            match s {
                Selection::Typename { .. } => {
                    self.w.literal(name);
                    self.w.sql(", ");
                    self.typename(&p)?
                }
                Selection::Aggregate(_) => {
                    return Err(p.err(ErrorKind::InvalidQuery, "aggregates need a grouped query"));
                }
                Selection::Field(f) => {
                    let r = self.resolve_selected(parent, &f.path, &p)?;
                    // The output key is usually the field's own key or camelCase alias,
                    // rendered once in the registry.
                    match &r.access {
                        Access::Field(def) => match def.sql.output_literal(name, self.style) {
                            Some(lit) => self.w.fragment(lit),
                            None => self.w.literal(name),
                        },
                        _ => self.w.literal(name),
                    }
                    self.w.sql(", ");
                    match &f.select {
                        None => self.json_expr(&r),
                        Some(sub) => {
                            self.sub_selection_target(&r, &p)?;
                            self.w.sql("CASE WHEN jsonb_typeof(");
                            self.json_expr(&r);
                            self.w.sql(") = 'object' THEN ");
                            self.object(sub, Some(&r), &p.key("select"), depth + 1)?;
                            self.w.sql(" END");
                        }
                    }
                }
            }
        }
        self.w.sql(")");
        if chunked {
            self.w.sql(")");
        }
        Ok(())
    }

    fn typename(&mut self, p: &Path<'_>) -> Result<(), Error> {
        match &self.view.typename {
            Some(t) => {
                self.w.literal(t);
                Ok(())
            }
            None => Err(p.err(
                ErrorKind::InvalidQuery,
                format!("view `{}` has no typename in the registry", self.view.key()),
            )),
        }
    }

    /// One typed column per selected item: `expr AS "name"`.
    fn columns(&mut self, sel: &'a [Selection], path: &Path<'_>) -> Result<(), Error> {
        let names = self.output_names(sel, path)?;
        for (i, s) in sel.iter().enumerate() {
            if i > 0 {
                self.w.sql(", ");
            }
            let p = path.index(i);
            self.count_node(&|| p.render())?;
            let name = names[i];
            match s {
                Selection::Typename { .. } => self.typename(&p)?,
                Selection::Aggregate(_) => {
                    return Err(p.err(ErrorKind::InvalidQuery, "aggregates need a grouped query"));
                }
                Selection::Field(f) => {
                    let r = self.resolve_selected(None, &f.path, &p)?;
                    match &f.select {
                        None => self.column_expr(&r),
                        Some(sub) => {
                            self.sub_selection_target(&r, &p)?;
                            self.w.sql("CASE WHEN jsonb_typeof(");
                            self.json_expr(&r);
                            self.w.sql(") = 'object' THEN ");
                            self.object(sub, Some(&r), &p.key("select"), 2)?;
                            self.w.sql(" END");
                        }
                    }
                }
            }
            self.w.sql(" AS ");
            self.w.ident(name);
        }
        Ok(())
    }

    /// A leaf as a typed column; vectors stay text so no extension is needed to read them,
    /// and integer JSON fields come back as `bigint` (drivers' integer type) rather than the
    /// `numeric` they are compared as.
    fn column_expr(&mut self, r: &Resolved<'_>) {
        match r.ty {
            FieldType::Scalar(ScalarType::Vector | ScalarType::Bit) => self.text_expr(r),
            FieldType::Scalar(ScalarType::Integer) if !matches!(r.access, Access::Column(_)) => {
                self.typed_expr(r);
                self.w.sql("::bigint");
            }
            _ => self.typed_expr(r),
        }
    }

    fn grouped_select(&mut self, groups: &[Resolved<'a>], path: &Path<'_>) -> Result<(), Error> {
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

/// The cast that reads a JSON text value as its SQL type.
fn scalar_cast(s: ScalarType) -> &'static str {
    match s {
        ScalarType::Integer | ScalarType::Numeric => "numeric",
        ScalarType::Bit => "varbit",
        ScalarType::Coordinates => "jsonb",
        // Every other registry type name is its PostgreSQL type name.
        other => other.name(),
    }
}

/// `segs[i]` resolved to `r`: it must be an object (or a permissive key) when the path goes on.
fn check_descend(
    r: &Resolved<'_>,
    segs: &[String],
    i: usize,
    base: &Path<'_>,
) -> Result<(), Error> {
    let nested_ok = matches!(r.ty, FieldType::Object(_)) || matches!(r.access, Access::Dynamic(_));
    if i + 1 < segs.len() && !nested_ok {
        return Err(Error::new(
            ErrorKind::UnknownField,
            field_path_string(base, &segs[..i + 2], None),
            format!(
                "`{}` is {}; it has no field `{}`",
                segs[i],
                r.ty.describe(),
                segs[i + 1]
            ),
        ));
    }
    Ok(())
}

fn check_orderable(r: &Resolved<'_>, p: &Path<'_>, what: &str) -> Result<(), Error> {
    if let FieldType::Scalar(
        s @ (ScalarType::Tsvector | ScalarType::Vector | ScalarType::Bit | ScalarType::Coordinates),
    ) = r.ty
    {
        return Err(p.err(
            ErrorKind::OperatorTypeMismatch,
            format!("cannot {what} a {} field", s.name()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::snake;

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

    #[test]
    fn camel_to_snake() {
        for (a, b) in [
            ("createdAt", "created_at"),
            ("userID", "user_id"),
            ("HTTPStatus", "http_status"),
            ("address1", "address1"),
            ("line1Name", "line1_name"),
            ("already_snake", "already_snake"),
            ("_private", "_private"),
        ] {
            assert_eq!(snake(a, true), b, "{a}");
        }
    }
}
