//! The select list: a JSON object per row (`jsonb_build_object`), typed columns, or the whole
//! stored document; output names; `__typename`.

use smallvec::SmallVec;

use super::relation::Rows;
use super::rows_aggregate::names_aggregate;
use super::{Access, Compiler, Resolved, Target};
use crate::ast::{FieldSelection, Output, Selection};
use crate::error::{Error, ErrorKind, Path};
use crate::names::is_graphql_name;
use crate::schema::{FieldType, ListDef, RelationDef};

/// PostgreSQL caps a function call at 100 arguments: 50 key/value pairs per
/// `jsonb_build_object` call; wider objects are concatenated with `||`.
pub(crate) const MAX_PAIRS_PER_CALL: usize = 50;

impl<'a> Compiler<'a> {
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

    // Inlined into both statements, as it was into its one caller before the paged
    // statement (the workloads' instruction counts, docs/performance.md).
    #[inline(always)]
    pub(crate) fn select(
        &mut self,
        path: &Path<'_>,
        threshold: Option<usize>,
    ) -> Result<(), Error> {
        let q = self.query;
        if q.select.is_empty() {
            return Err(path.err(ErrorKind::InvalidQuery, "a selection must not be empty"));
        }
        let whole_document = q.output != Output::Columns
            && threshold.is_some_and(|t| Self::leaf_count(&q.select) > t);
        match q.output {
            Output::Columns => self.columns(&q.select, path),
            Output::Json | Output::JsonText => {
                let nodes = self.nodes;
                // Still validate the selection, so a bad field is an error either way; a
                // selected relation is not in the stored document, so the object is built.
                if whole_document && !self.check_selection(&q.select, None, path, 1)? {
                    self.w
                        .qualified(self.scope.alias, &self.scope.view.sql_data);
                } else {
                    self.nodes = nodes;
                    self.object(&q.select, None, path, 1)?;
                }
                self.data_column_alias();
                Ok(())
            }
        }
    }

    /// ` AS "data"` after the object (cast to text for `json_text` output).
    pub(crate) fn data_column_alias(&mut self) {
        if self.query.output == Output::JsonText {
            self.w.sql("::text");
        }
        self.w.sql(" AS \"data\"");
    }

    /// Resolves every field of a selection without writing SQL (the whole-document form
    /// still rejects bad fields); `true` when it selects a relation, which the stored
    /// document does not hold (the object is built then).
    fn check_selection(
        &mut self,
        sel: &'a [Selection],
        parent: Option<&Resolved<'a>>,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<bool, Error> {
        self.check_depth(depth, path)?;
        self.output_names(sel, path)?;
        for (i, s) in sel.iter().enumerate() {
            let p = path.index(i);
            self.count_node(&|| p.render())?;
            match s {
                Selection::Field(f) => {
                    let r = match self.resolve_selected(parent, &f.path, &p)? {
                        Target::Value(r) => r,
                        Target::Relation { .. } | Target::List { .. } => return Ok(true),
                    };
                    no_rows_arguments(f, &p)?;
                    if let Some(sub) = &f.select {
                        self.sub_selection_target(&r, &p)?;
                        if self.check_selection(sub, Some(&r), &p.key("select"), depth + 1)? {
                            return Ok(true);
                        }
                    }
                }
                Selection::Typename { .. } => {
                    self.typename_of(parent, &p)?;
                }
                Selection::Aggregate(_) => {
                    return Err(p.err(ErrorKind::InvalidQuery, "aggregates need a grouped query"));
                }
            }
        }
        Ok(false)
    }

    /// A relation named by a selected path: selected whole (with its sub-selection) when the
    /// path ends at it.
    fn selected_relation(
        &mut self,
        rel: &'a RelationDef,
        name: &'a str,
        at: usize,
        f: &'a FieldSelection,
        p: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        if at + 1 < f.path.0.len() {
            return Err(Error::new(
                ErrorKind::InvalidQuery,
                super::field_path_string(&p.key("field"), &f.path.0[..=at], None),
                format!(
                    "`{}` is a relation: select its fields with {{\"field\": \"{}\", \"select\": [...]}}",
                    f.path.0[at], f.path.0[at]
                ),
            ));
        }
        self.relation_select(Rows::Relation(rel, name), f, p, depth)
    }

    /// An embedded list named by a selected path: selected whole (with its sub-selection)
    /// when the path ends at it.
    fn selected_list(
        &mut self,
        list: &'a ListDef,
        r: &Resolved<'a>,
        at: usize,
        f: &'a FieldSelection,
        p: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        if at + 1 < f.path.0.len() {
            return Err(super::resolve::list_not_value(
                &f.path.0,
                at,
                &p.key("field"),
            ));
        }
        self.relation_select(Rows::List(list, r), f, p, depth)
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
    pub(crate) fn output_names(
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
            // One integer per name, (first 8 bytes, length, index), so the sort compares
            // integers only; a run of names equal in both is all one name when they are at
            // most 8 bytes long, and is compared whole (a second, rare sort) otherwise.
            let mut order: Vec<u128> = (0..names.len())
                .map(|i| {
                    let (len, head) = key(i);
                    (u128::from(head) << 64) | ((len as u128) << 32) | (i as u128 & 0xffff_ffff)
                })
                .collect();
            order.sort_unstable();
            let index = |k: u128| (k & 0xffff_ffff) as usize;
            let mut first_repeat: Option<usize> = None;
            let mut i = 0;
            while i < order.len() {
                let group = order[i] >> 32;
                let mut j = i + 1;
                while j < order.len() && order[j] >> 32 == group {
                    j += 1;
                }
                if j - i > 1 {
                    let repeat = if (group & 0xffff_ffff) <= 8 {
                        // Sorted by index within the run: the second is the first repeat.
                        Some(index(order[i + 1]))
                    } else {
                        let mut run: SmallVec<[usize; 8]> =
                            order[i..j].iter().map(|&k| index(k)).collect();
                        run.sort_unstable_by(|&a, &b| names[a].cmp(names[b]).then(a.cmp(&b)));
                        run.windows(2)
                            .filter(|w| names[w[0]] == names[w[1]])
                            .map(|w| w[1])
                            .min()
                    };
                    first_repeat = match (first_repeat, repeat) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                i = j;
            }
            first_repeat
        };
        if let Some(i) = duplicate {
            return Err(path.index(i).err(
                ErrorKind::InvalidQuery,
                format!("duplicate output name `{}`", names[i]),
            ));
        }
        Ok(names)
    }

    pub(crate) fn sub_selection_target(&self, r: &Resolved<'a>, p: &Path<'_>) -> Result<(), Error> {
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
    pub(crate) fn object(
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
                    self.typename(parent, &p)?
                }
                Selection::Aggregate(_) => {
                    return Err(p.err(ErrorKind::InvalidQuery, "aggregates need a grouped query"));
                }
                Selection::Field(f) => {
                    let r = match self.resolve_selected(parent, &f.path, &p)? {
                        Target::Value(r) => r,
                        t if names_aggregate(&t, &f.path.0) => {
                            self.rows_aggregate_value(t, &f.path.0, &p.key("field"))?
                        }
                        Target::Relation { rel, name: rn, at } => {
                            self.w.literal(name);
                            self.w.sql(", ");
                            self.selected_relation(rel, rn, at, f, &p, depth)?;
                            continue;
                        }
                        Target::List { list, r, at } => {
                            self.w.literal(name);
                            self.w.sql(", ");
                            self.selected_list(list, &r, at, f, &p, depth)?;
                            continue;
                        }
                    };
                    no_rows_arguments(f, &p)?;
                    // The output key is usually the field's own key or camelCase alias,
                    // rendered once in the registry with its separator.
                    let entry = match &r.access {
                        Access::Field(def) => def.sql.output.entry(name, self.style),
                        Access::Column(col) => col.output.entry(name, self.style),
                        // Permissive keys (and aggregates, never selected here) have no
                        // pre-rendered entry. A wildcard: it compiles to fewer tests.
                        _ => None,
                    };
                    match entry {
                        Some(e) => self.w.fragment(e),
                        None => {
                            self.w.literal(name);
                            self.w.sql(", ");
                        }
                    }
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

    /// `__typename` as a literal ([`Compiler::typename_of`]).
    pub(crate) fn typename(
        &mut self,
        parent: Option<&Resolved<'a>>,
        p: &Path<'_>,
    ) -> Result<(), Error> {
        let t = self.typename_of(parent, p)?;
        self.w.literal(t);
        Ok(())
    }

    /// The typename `__typename` answers: the nested object's own when the selection is
    /// inside one (`parent`), else the view's (or the list element's); `QB_INVALID_QUERY`
    /// when the registry gives none.
    fn typename_of(&self, parent: Option<&Resolved<'a>>, p: &Path<'_>) -> Result<&'a str, Error> {
        let view: &'a crate::schema::ViewDef = self.scope.view;
        let typename = match parent {
            Some(Resolved {
                ty: FieldType::Object(obj),
                ..
            }) => obj.typename.as_deref(),
            Some(_) => None,
            None => view.typename.as_deref(),
        };
        typename.ok_or_else(|| {
            let owner = match parent {
                Some(Resolved {
                    access: Access::Field(def),
                    ..
                }) => format!("object `{}`", def.sql.keys.join(".")),
                Some(r) => r.ty.describe(),
                None if view.element => format!("list `{}`", view.name),
                None => format!("view `{}`", view.key()),
            };
            p.err(
                ErrorKind::InvalidQuery,
                format!("{owner} has no typename in the registry"),
            )
        })
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
                Selection::Typename { .. } => self.typename(None, &p)?,
                Selection::Aggregate(_) => {
                    return Err(p.err(ErrorKind::InvalidQuery, "aggregates need a grouped query"));
                }
                Selection::Field(f) => {
                    let r = match self.resolve_selected(None, &f.path, &p)? {
                        Target::Value(r) => r,
                        t if names_aggregate(&t, &f.path.0) => {
                            self.rows_aggregate_value(t, &f.path.0, &p.key("field"))?
                        }
                        Target::Relation { rel, name: rn, at } => {
                            self.selected_relation(rel, rn, at, f, &p, 1)?;
                            self.w.sql(" AS ");
                            self.w.ident(name);
                            continue;
                        }
                        Target::List { list, r, at } => {
                            self.selected_list(list, &r, at, f, &p, 1)?;
                            self.w.sql(" AS ");
                            self.w.ident(name);
                            continue;
                        }
                    };
                    no_rows_arguments(f, &p)?;
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
}

/// `where`, `order_by`, `limit` and `offset` choose a relation's rows: on a field they are an
/// error at the key.
#[inline]
pub(crate) fn no_rows_arguments(f: &FieldSelection, p: &Path<'_>) -> Result<(), Error> {
    if f.filter.is_none()
        && f.order_by.is_empty()
        && f.limit.is_none()
        && f.offset.is_none()
        && !f.is_paged()
    {
        return Ok(());
    }
    rows_argument_error(f, p)
}

#[cold]
#[inline(never)]
fn rows_argument_error(f: &FieldSelection, p: &Path<'_>) -> Result<(), Error> {
    let given = [
        ("where", f.filter.is_some()),
        ("order_by", !f.order_by.is_empty()),
        ("limit", f.limit.is_some()),
        ("offset", f.offset.is_some()),
    ];
    let page = f.page.as_deref().filter(|p| p.is_paged()).map(page_key);
    match given.iter().find(|(_, g)| *g).map(|(k, _)| *k).or(page) {
        None => Ok(()),
        Some(key) => Err(p.key(key).err(
            ErrorKind::InvalidQuery,
            format!(
                "`{key}` applies to relations; `{}` is a field",
                f.path.0.join(".")
            ),
        )),
    }
}

/// The first key a keyset page gives (for an error's path).
pub(crate) fn page_key(page: &crate::ast::ListPage) -> &'static str {
    [
        ("first", page.first.is_some()),
        ("after", page.after.is_some()),
        ("last", page.last.is_some()),
        ("before", page.before.is_some()),
        ("page_info", page.page_info),
        ("total_count", page.total_count),
    ]
    .into_iter()
    .find_map(|(k, on)| on.then_some(k))
    .unwrap_or("first")
}
