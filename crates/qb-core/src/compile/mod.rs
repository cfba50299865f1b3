//! AST + registry -> SQL. One pass over the query writes the SQL and its parameters through
//! one [`SqlWriter`]; see ARCHITECTURE.md for the statement shape.

mod filter;
mod values;
mod writer;

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::ast::{AggregateFn, Direction, FieldPath, Nulls, Output, Query, Selection};
use crate::error::{Error, ErrorKind, Path};
use crate::options::{CompileOptions, Limits};
use crate::param::{CompiledQuery, ParamType, ParamValue, PgType};
use crate::schema::{FieldType, ObjectDef, ScalarType, Schema, ViewDef, is_graphql_name};
use writer::SqlWriter;

/// PostgreSQL caps a function call at 100 arguments: 50 key/value pairs per
/// `jsonb_build_object` call; wider objects are concatenated with `||`.
const MAX_PAIRS_PER_CALL: usize = 50;

/// The table alias of the root view in every statement.
const ROOT_ALIAS: &str = "t";

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
                format!("no view `{}` in the schema registry", query.view.key()),
            )
        })?;
    let mut c = Compiler {
        view,
        query,
        camel: query.camel_case.unwrap_or(options.camel_case),
        limits: &options.limits,
        w: SqlWriter::new(options.placeholder, 256),
        nodes: 0,
    };
    c.statement(options)?;
    let (sql, params) = c.w.finish();
    Ok(CompiledQuery { sql, params })
}

/// Where a field's value lives.
#[derive(Debug)]
pub(crate) enum Access<'a> {
    /// A real SQL column of the view.
    Column(&'a str),
    /// A path of keys in the JSONB data column.
    Json(SmallVec<[Cow<'a, str>; 4]>),
}

/// A field path resolved against the registry.
#[derive(Debug)]
pub(crate) struct Resolved<'a> {
    pub(crate) access: Access<'a>,
    pub(crate) ty: &'a FieldType,
    pub(crate) language: Option<&'a str>,
}

impl Resolved<'_> {
    fn same_place(&self, other: &Resolved<'_>) -> bool {
        match (&self.access, &other.access) {
            (Access::Column(a), Access::Column(b)) => a == b,
            (Access::Json(a), Access::Json(b)) => a == b,
            _ => false,
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
        if depth > self.limits.max_depth {
            return Err(path.err(
                ErrorKind::DepthLimit,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        Ok(())
    }

    /// Resolves a field path: columns first (single segment), then JSONB fields.
    pub(crate) fn resolve(
        &self,
        segs: &'a [String],
        base: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        let at = |n: usize| field_path_string(base, &segs[..n], None);
        let Some(first) = segs.first() else {
            return Err(base.err(ErrorKind::InvalidQuery, "empty field path"));
        };
        let key0 = snake(first, self.camel);
        if let Some((name, ty)) = self.view.columns.get_key_value(key0.as_ref()) {
            if segs.len() > 1 {
                return Err(Error::new(
                    ErrorKind::UnknownField,
                    at(2),
                    format!(
                        "`{first}` is a {} column; it has no field `{}`",
                        ty.describe(),
                        segs[1]
                    ),
                ));
            }
            return Ok(Resolved {
                access: Access::Column(name),
                ty,
                language: None,
            });
        }
        let mut obj: &'a ObjectDef = &self.view.fields;
        let mut keys: SmallVec<[Cow<'a, str>; 4]> = SmallVec::new();
        for (i, seg) in segs.iter().enumerate() {
            let key = snake(seg, self.camel);
            match obj.get(&key) {
                Some((k, def)) => {
                    keys.push(Cow::Borrowed(k));
                    if i + 1 == segs.len() {
                        let language = def.language.as_deref();
                        return Ok(Resolved {
                            access: Access::Json(keys),
                            ty: &def.ty,
                            language,
                        });
                    }
                    match &def.ty {
                        FieldType::Object(inner) => obj = inner,
                        other => {
                            return Err(Error::new(
                                ErrorKind::UnknownField,
                                at(i + 2),
                                format!(
                                    "`{seg}` is {}; it has no field `{}`",
                                    other.describe(),
                                    segs[i + 1]
                                ),
                            ));
                        }
                    }
                }
                None => {
                    for (j, rest) in segs[i..].iter().enumerate() {
                        if !is_graphql_name(rest) {
                            return Err(Error::new(
                                ErrorKind::InvalidIdentifier,
                                at(i + j + 1),
                                format!(
                                    "`{rest}` is not a valid field name ([_A-Za-z][_0-9A-Za-z]*)"
                                ),
                            ));
                        }
                    }
                    if !self.view.permissive {
                        return Err(Error::new(
                            ErrorKind::UnknownField,
                            at(i + 1),
                            format!("view `{}` has no field `{seg}`", self.view.key()),
                        ));
                    }
                    for rest in &segs[i..] {
                        let k = snake(rest, self.camel);
                        keys.push(Cow::Owned(k.into_owned()));
                    }
                    return Ok(Resolved {
                        access: Access::Json(keys),
                        ty: &PERMISSIVE_TYPE,
                        language: None,
                    });
                }
            }
        }
        Err(Error::new(
            ErrorKind::InvalidQuery,
            at(segs.len()),
            "empty field path",
        ))
    }

    fn data_col(&mut self) {
        self.w.sql(ROOT_ALIAS);
        self.w.sql(".");
        self.w.ident(&self.view.data_column);
    }

    /// `t."data"->'a'->'b'` (jsonb, JSON null kept), or `t."col"`.
    pub(crate) fn json_expr(&mut self, r: &Resolved<'_>) {
        match &r.access {
            Access::Column(name) => {
                self.w.sql(ROOT_ALIAS);
                self.w.sql(".");
                self.w.ident(name);
            }
            Access::Json(keys) => {
                self.data_col();
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
            Access::Column(name) => {
                self.w.sql(ROOT_ALIAS);
                self.w.sql(".");
                self.w.ident(name);
            }
            Access::Json(keys) => {
                self.data_col();
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
        if let Access::Column(_) = r.access {
            self.json_expr(r);
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

    fn statement(&mut self, options: &CompileOptions) -> Result<(), Error> {
        let q = self.query;
        let root = Path::ROOT;
        let grouped = !q.group_by.is_empty()
            || q.select
                .iter()
                .any(|s| matches!(s, Selection::Aggregate(_)));
        let threshold = q.document_threshold.or(options.document_threshold);

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
        if let Some(s) = &self.view.schema {
            self.w.ident(s);
            self.w.sql(".");
        }
        self.w.ident(&self.view.name);
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
        self.w.sql(match f {
            AggregateFn::Count => "count(",
            AggregateFn::Sum => "sum(",
            AggregateFn::Avg => "avg(",
            AggregateFn::Min => "min(",
            AggregateFn::Max => "max(",
        });
        match field {
            None if f == AggregateFn::Count => self.w.sql("*"),
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
                self.typed_expr(&r);
            }
        }
        self.w.sql(")");
        Ok(())
    }

    /// Leaf fields the selection would build (for the document threshold).
    fn leaf_count(sel: &[Selection]) -> usize {
        sel.iter()
            .map(|s| match s {
                Selection::Field(f) => f.select.as_deref().map_or(1, Self::leaf_count),
                _ => 1,
            })
            .sum()
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
                    self.data_col();
                } else {
                    self.object(&q.select, None, path, 1)?;
                }
                if q.output == Output::JsonText {
                    self.w.sql("::text");
                }
                self.w.sql(" AS \"data\"");
                Ok(())
            }
        }
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
                    let r = self.resolve_in(parent, &f.name, &p)?;
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
            Selection::Field(f) => (f.alias.as_deref().unwrap_or(&f.name), f.alias.is_some()),
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
        let mut seen = (sel.len() > 16).then(|| {
            std::collections::HashSet::with_capacity_and_hasher(
                sel.len(),
                crate::schema::FixedState,
            )
        });
        for (i, s) in sel.iter().enumerate() {
            let p = path.index(i);
            let name = self.output_name(s, &p)?;
            let duplicate = match &mut seen {
                Some(set) => !set.insert(name),
                None => names.contains(&name),
            };
            if duplicate {
                return Err(p.err(
                    ErrorKind::InvalidQuery,
                    format!("duplicate output name `{name}`"),
                ));
            }
            names.push(name);
        }
        Ok(names)
    }

    fn sub_selection_target(&self, r: &Resolved<'_>, p: &Path<'_>) -> Result<(), Error> {
        match (r.ty, &r.access) {
            (FieldType::Object(_), Access::Json(_)) => Ok(()),
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
            self.w.literal(name);
            self.w.sql(", ");
            match s {
                Selection::Typename { .. } => self.typename(&p)?,
                Selection::Aggregate(_) => {
                    return Err(p.err(ErrorKind::InvalidQuery, "aggregates need a grouped query"));
                }
                Selection::Field(f) => {
                    let r = self.resolve_in(parent, &f.name, &p)?;
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

    /// Resolves a selected name inside `parent` (or at the root).
    fn resolve_in(
        &self,
        parent: Option<&Resolved<'a>>,
        name: &'a String,
        p: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        let Some(parent) = parent else {
            return self.resolve(std::slice::from_ref(name), p);
        };
        let (FieldType::Object(obj), Access::Json(keys)) = (parent.ty, &parent.access) else {
            return Err(p.err(
                ErrorKind::InvalidQuery,
                "a sub-selection needs an object field",
            ));
        };
        let key = snake(name, self.camel);
        let mut path_keys = keys.clone();
        match obj.get(&key) {
            Some((k, def)) => {
                path_keys.push(Cow::Borrowed(k));
                Ok(Resolved {
                    access: Access::Json(path_keys),
                    ty: &def.ty,
                    language: def.language.as_deref(),
                })
            }
            None if !is_graphql_name(name) => Err(p.err(
                ErrorKind::InvalidIdentifier,
                format!("`{name}` is not a valid field name ([_A-Za-z][_0-9A-Za-z]*)"),
            )),
            None if self.view.permissive => {
                path_keys.push(Cow::Owned(key.into_owned()));
                Ok(Resolved {
                    access: Access::Json(path_keys),
                    ty: &PERMISSIVE_TYPE,
                    language: None,
                })
            }
            None => Err(p.err(
                ErrorKind::UnknownField,
                format!("this object has no field `{name}`"),
            )),
        }
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
                    let r = self.resolve(std::slice::from_ref(&f.name), &p)?;
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

    /// A leaf as a typed column; vectors stay text so no extension is needed to read them.
    fn column_expr(&mut self, r: &Resolved<'_>) {
        match r.ty {
            FieldType::Scalar(ScalarType::Vector | ScalarType::Bit) => self.text_expr(r),
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
                    let r = self.resolve(std::slice::from_ref(&f.name), &p)?;
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
                        None => self.group_key(&r, groups, columns, &f.name, &p)?,
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
            if q.output == Output::JsonText {
                self.w.sql("::text");
            }
            self.w.sql(" AS \"data\"");
        }
        Ok(())
    }

    /// A selected group key: `to_jsonb(<key>)` (or the typed key as a column).
    fn group_key(
        &mut self,
        r: &Resolved<'a>,
        groups: &[Resolved<'a>],
        columns: bool,
        name: &str,
        p: &Path<'_>,
    ) -> Result<(), Error> {
        let Some(g) = groups.iter().find(|g| g.same_place(r)) else {
            return Err(p.err(
                ErrorKind::InvalidGroupBy,
                format!("`{name}` is selected but not in group_by; group by it or aggregate it"),
            ));
        };
        if columns {
            self.typed_expr(g);
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
                    let r = self.resolve_in(Some(parent), &f.name, &p)?;
                    match &f.select {
                        Some(sub) => {
                            self.sub_selection_target(&r, &p)?;
                            self.grouped_object(sub, &r, groups, &p.key("select"), depth + 1)?;
                        }
                        None => self.group_key(&r, groups, false, &f.name, &p)?,
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
        ScalarType::Text | ScalarType::Tsvector => {
            if s == ScalarType::Text {
                "text"
            } else {
                "tsvector"
            }
        }
        ScalarType::Integer | ScalarType::Numeric => "numeric",
        ScalarType::Boolean => "boolean",
        ScalarType::Uuid => "uuid",
        ScalarType::Date => "date",
        ScalarType::Timestamptz => "timestamptz",
        ScalarType::Inet => "inet",
        ScalarType::Cidr => "cidr",
        ScalarType::Macaddr => "macaddr",
        ScalarType::Ltree => "ltree",
        ScalarType::Daterange => "daterange",
        ScalarType::Vector => "vector",
        ScalarType::Bit => "varbit",
        ScalarType::Jsonb | ScalarType::Coordinates => "jsonb",
    }
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
