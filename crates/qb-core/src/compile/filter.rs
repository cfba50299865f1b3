//! WHERE: the filter tree and every operator, per field type. docs/query-ast.md has the
//! same table in prose; each arm here is one row of it.

use super::relation::Rows;
use super::values::Operand;
use super::{Compiler, Resolved, Target, field_path_string};
use crate::Value;
use crate::ast::{Condition, Filter, NestedFilter, Operator, Quantifier};
use crate::error::{Error, ErrorKind, Path};
use crate::param::{ParamType, ParamValue, PgType};
use crate::schema::{FieldType, RelationDef, ScalarType};

use Operator as Op;
use ScalarType as S;

/// Address ranges behind the network predicates (IANA special-purpose registries).
/// `isPrivate` is FraiseQL's set: RFC 1918, loopback 127/8, link-local 169.254/16, unique local
/// fc00::/7 and link-local fe80::/10 (docs/migrating.md).
const PRIVATE: &str = "'{10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,169.254.0.0/16,fc00::/7,fe80::/10}'::inet[]";
const LOOPBACK: &str = "'{127.0.0.0/8,::1/128}'::inet[]";
const LINK_LOCAL: &str = "'{169.254.0.0/16,fe80::/10}'::inet[]";
const MULTICAST: &str = "'{224.0.0.0/4,ff00::/8}'::inet[]";
const DOCUMENTATION: &str = "'{192.0.2.0/24,198.51.100.0/24,203.0.113.0/24,2001:db8::/32}'::inet[]";
const CARRIER_GRADE: &str = "'{100.64.0.0/10}'::inet[]";
/// Every range above plus "this network", reserved/broadcast and the unspecified address.
const NOT_PUBLIC: &str = "'{10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,127.0.0.0/8,::1/128,\
169.254.0.0/16,fe80::/10,224.0.0.0/4,ff00::/8,192.0.2.0/24,198.51.100.0/24,203.0.113.0/24,\
2001:db8::/32,100.64.0.0/10,0.0.0.0/8,240.0.0.0/4,::/128}'::inet[]";

/// Mean Earth radius in metres (IUGG).
const EARTH_RADIUS_M: &str = "6371008.8";

/// How the names of a filter resolve (passed by value: `Fields` is zero-sized).
pub(crate) trait Names<'a>: Copy {
    /// Where `segs[start..]` leads from `at` (`None`: the current scope's row).
    fn resolve(
        self,
        c: &mut Compiler<'a>,
        at: Option<&Resolved<'a>>,
        segs: &'a [String],
        start: usize,
        base: &Path<'_>,
    ) -> Result<Target<'a>, Error>;
}

/// `where`: fields and relations of the current scope.
#[derive(Clone, Copy)]
pub(crate) struct Fields;

impl<'a> Names<'a> for Fields {
    #[inline(always)]
    fn resolve(
        self,
        c: &mut Compiler<'a>,
        at: Option<&Resolved<'a>>,
        segs: &'a [String],
        start: usize,
        base: &Path<'_>,
    ) -> Result<Target<'a>, Error> {
        c.resolve_from(at, segs, start, base)
    }
}

impl<'a> Compiler<'a> {
    /// The top-level filter (no surrounding parentheses needed).
    pub(crate) fn filter_top(&mut self, f: &'a Filter, path: &Path<'_>) -> Result<(), Error> {
        self.filter(Fields, f, None, path, 1)
    }

    /// A filter read below `at` (a nested object; `None`: the current scope's row), at
    /// nesting `depth`.
    pub(crate) fn filter_at(
        &mut self,
        f: &'a Filter,
        at: Option<&Resolved<'a>>,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        self.filter(Fields, f, at, path, depth)
    }

    /// A filter tree whose names resolve through `N` (fields and relations in `where`,
    /// aggregates in `having`): one walker and one operator table for both, monomorphized.
    pub(crate) fn filter<N: Names<'a>>(
        &mut self,
        names: N,
        f: &'a Filter,
        at: Option<&Resolved<'a>>,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        self.check_depth(depth, path)?;
        match f {
            Filter::And(children) => self.junction(
                names,
                children,
                " AND ",
                "TRUE",
                Some(path.key("and")).as_ref(),
                at,
                path,
                depth,
            ),
            Filter::Or(children) => self.junction(
                names,
                children,
                " OR ",
                "FALSE",
                Some(path.key("or")).as_ref(),
                at,
                path,
                depth,
            ),
            Filter::Object(children) => {
                self.junction(names, children, " AND ", "TRUE", None, at, path, depth)
            }
            Filter::Not(inner) => {
                self.w.sql("NOT (");
                self.filter(names, inner, at, &path.key("not"), depth + 1)?;
                self.w.sql(")");
                Ok(())
            }
            Filter::Condition(c) => self.condition(names, c, 0, at, path, depth),
            Filter::Nested(n) => self.nested(names, n, 0, at, path, depth),
        }
    }

    /// `(a AND b)`; children of an explicit `and`/`or` sit at `key[i]`, children of one
    /// filter object at the object's own path.
    #[allow(clippy::too_many_arguments)]
    fn junction<N: Names<'a>>(
        &mut self,
        names: N,
        children: &'a [Filter],
        sep: &'static str,
        empty: &'static str,
        indexed: Option<&Path<'_>>,
        at: Option<&Resolved<'a>>,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        if children.is_empty() {
            self.w.sql(empty);
            return Ok(());
        }
        if children.len() > 1 {
            self.w.sql("(");
        }
        for (i, child) in children.iter().enumerate() {
            if i > 0 {
                self.w.sql(sep);
            }
            match indexed {
                Some(base) => self.filter(names, child, at, &base.index(i), depth + 1)?,
                None => self.filter(names, child, at, path, depth + 1)?,
            }
        }
        if children.len() > 1 {
            self.w.sql(")");
        }
        Ok(())
    }

    /// A filter under a path (`Filter::Nested`), from `n.path[start]` on: over the fields of
    /// a nested object, or a quantifier over the rows of a relation.
    #[allow(clippy::too_many_arguments)]
    fn nested<N: Names<'a>>(
        &mut self,
        names: N,
        n: &'a NestedFilter,
        start: usize,
        at: Option<&Resolved<'a>>,
        base: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        let segs = &n.path.0;
        if start == 0 {
            self.count_node(&|| field_path_string(base, segs, None))?;
        }
        self.check_depth(depth + segs.len(), base)?;
        let below = base.keys(segs);
        let inner_path = match n.quantifier {
            Some(q) => below.key(q.name()),
            None => below,
        };
        match names.resolve(self, at, segs, start, base)? {
            Target::Value(r) => {
                let object = matches!(r.ty, FieldType::Object(_))
                    || matches!(r.access, super::Access::Dynamic(..));
                if let Some(q) = n.quantifier {
                    return Err(inner_path.err(
                        ErrorKind::InvalidQuery,
                        format!(
                            "`{}` applies to relations; `{}` is {}",
                            q.name(),
                            segs.join("."),
                            if object { "an object" } else { "a field" }
                        ),
                    ));
                }
                if !object {
                    return Err(below.err(
                        ErrorKind::InvalidQuery,
                        format!(
                            "`{}` is {}: and, or and not below a field need an object or a \
                             relation; write the operators inside them",
                            segs.join("."),
                            r.ty.describe()
                        ),
                    ));
                }
                self.filter(names, &n.filter, Some(&r), &inner_path, depth + segs.len())
            }
            Target::Relation { rel, name, at: i } => {
                if i + 1 < segs.len() {
                    // The path goes on through this relation: its one related row.
                    self.through_one(rel, segs, i, base)?;
                    let filtered = self.open_exists(Rows::Relation(rel, name), false)?;
                    self.rows_and(filtered);
                    self.w.sql("(");
                    self.nested(Fields, n, i + 1, None, base, depth + 1)?;
                    self.w.sql(")");
                    self.close_exists();
                    return Ok(());
                }
                if n.quantifier.is_none() && rel.kind.is_list() {
                    return Err(list_needs_quantifier(rel, segs, i, base));
                }
                self.quantified(
                    Rows::Relation(rel, name),
                    n,
                    &inner_path,
                    depth + segs.len(),
                )
            }
            Target::List { list, r, at: i } => {
                if i + 1 < segs.len() || n.quantifier.is_none() {
                    return Err(super::list::list_needs_quantifier(segs, i, base));
                }
                self.quantified(Rows::List(list, &r), n, &inner_path, depth + segs.len())
            }
        }
    }

    /// `some` (`EXISTS (… AND (<inner>))`), `none` (`NOT EXISTS (… AND (<inner>))`) or
    /// `every` (`NOT EXISTS (… AND (<inner>) IS NOT TRUE)`) over `rows`; no quantifier: the
    /// one row of a many-to-one relation.
    fn quantified(
        &mut self,
        rows: Rows<'a, '_>,
        n: &'a NestedFilter,
        inner_path: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        let (negated, every) = match n.quantifier {
            Some(Quantifier::Some) | None => (false, false),
            Some(Quantifier::None) => (true, false),
            Some(Quantifier::Every) => (true, true),
        };
        let filtered = self.open_exists(rows, negated)?;
        self.rows_and(filtered);
        self.w.sql("(");
        self.filter(Fields, &n.filter, None, inner_path, depth)?;
        self.w.sql(if every { ") IS NOT TRUE" } else { ")" });
        self.close_exists();
        Ok(())
    }

    /// A path that goes on past the relation at `segs[i]` reads its one related row: the
    /// relation must be many-to-one.
    fn through_one(
        &self,
        rel: &'a RelationDef,
        segs: &[String],
        i: usize,
        base: &Path<'_>,
    ) -> Result<(), Error> {
        if rel.kind.is_list() {
            return Err(list_needs_quantifier(rel, segs, i, base));
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn condition<N: Names<'a>>(
        &mut self,
        names: N,
        c: &'a Condition,
        start: usize,
        at: Option<&Resolved<'a>>,
        base: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        let op_path = || field_path_string(base, &c.path.0, Some(c.op.name()));
        if start == 0 {
            self.count_node(&op_path)?;
        }
        let r = match names.resolve(self, at, &c.path.0, start, base)? {
            Target::Value(r) => r,
            Target::Relation { rel, name, at: i } => {
                return self.relation_condition(c, rel, name, i, base, depth);
            }
            Target::List { r, at: i, .. } => return self.list_condition(c, &r, i, base),
        };
        let operand = Operand::new(&c.value, self.limits, &op_path);
        let mismatch = || {
            Error::new(
                ErrorKind::OperatorTypeMismatch,
                op_path(),
                format!(
                    "operator `{}` does not apply to {} fields",
                    c.op.name(),
                    r.ty.describe()
                ),
            )
        };

        if c.op == Op::IsNull {
            // `->>` yields SQL NULL for a missing key and for JSON null alike, whatever the type.
            let is_null = operand.boolean()?;
            self.w.sql("(");
            self.text_expr(&r);
            self.w.sql(if is_null {
                " IS NULL)"
            } else {
                " IS NOT NULL)"
            });
            return Ok(());
        }

        // A NULL field must make the condition NULL (UNKNOWN), so that `not` of it is UNKNOWN
        // too. Most predicates are NULL on a NULL field by themselves (strict operators and
        // functions); the few whose SQL is not get a guard (see `null_guard`).
        if null_guard(r.ty, c.op) {
            return self.null_guarded(c.op, &r, &operand, &mismatch);
        }
        self.typed_condition(c.op, &r, &operand, &mismatch)
    }

    /// A condition whose path meets the relation at `c.path[i]`: `isnull` on the relation
    /// itself tests for a related row; a path going on reads the one related row of a
    /// many-to-one relation (`EXISTS`, so a missing row makes the condition FALSE).
    #[cold]
    fn relation_condition(
        &mut self,
        c: &'a Condition,
        rel: &'a RelationDef,
        name: &'a str,
        i: usize,
        base: &Path<'_>,
        depth: usize,
    ) -> Result<(), Error> {
        let segs = &c.path.0;
        if i + 1 == segs.len() {
            let op_path = || field_path_string(base, segs, Some(c.op.name()));
            if c.op != Op::IsNull {
                return Err(Error::new(
                    ErrorKind::OperatorTypeMismatch,
                    op_path(),
                    format!(
                        "`{}` is a relation: only `isnull` applies to it (is there no related \
                         row?); filter its rows with nested fields{}",
                        segs[i],
                        if rel.kind.is_list() {
                            " under `some`, `every` or `none`"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let is_null = Operand::new(&c.value, self.limits, &op_path).boolean()?;
            self.open_exists(Rows::Relation(rel, name), is_null)?;
            self.close_exists();
            return Ok(());
        }
        self.through_one(rel, segs, i, base)?;
        let filtered = self.open_exists(Rows::Relation(rel, name), false)?;
        self.rows_and(filtered);
        self.condition(Fields, c, i + 1, None, base, depth + 1)?;
        self.close_exists();
        Ok(())
    }

    /// The predicate of `op` on `r`, by the field's type (inlined into both callers: it is
    /// only a dispatch, and a call would cost the common path ~25 instructions per condition).
    #[inline(always)]
    fn typed_condition(
        &mut self,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        match r.ty {
            FieldType::Scalar(s) => self.scalar_condition(*s, op, r, v, mismatch),
            FieldType::Array(elem) => self.array_condition(*elem, op, r, v, mismatch),
            FieldType::Object(_) => self.jsonb_condition(op, r, v, mismatch),
            // Resolution makes a list a row source (`Target::List`), never a value.
            FieldType::List(_) => Err(mismatch()),
        }
    }

    /// `(CASE WHEN <field> IS NULL THEN NULL ELSE <predicate> END)`: NULL on a NULL field for
    /// the predicates that would not be by themselves ([`null_guard`]).
    #[inline(never)]
    fn null_guarded(
        &mut self,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        self.w.sql("(CASE WHEN ");
        self.typed_expr(r);
        self.w.sql(" IS NULL THEN NULL ELSE ");
        self.typed_condition(op, r, v, mismatch)?;
        self.w.sql(" END)");
        Ok(())
    }

    /// `<typed field> <sql_op> <param>` in parentheses.
    fn compare(&mut self, r: &Resolved<'_>, sql_op: &'static str, ty: PgType, value: ParamValue) {
        self.w.sql("(");
        self.typed_expr(r);
        self.w.sql(sql_op);
        self.param(ty, value);
        self.w.sql(")");
    }

    fn scalar_condition(
        &mut self,
        s: ScalarType,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        let ordered = matches!(
            s,
            S::Text
                | S::Integer
                | S::Numeric
                | S::Uuid
                | S::Date
                | S::Timestamptz
                | S::Inet
                | S::Cidr
        );
        let equatable = !matches!(s, S::Tsvector | S::Vector | S::Bit | S::Coordinates);
        let listable = equatable && !matches!(s, S::Jsonb | S::Daterange);
        match op {
            Op::Eq | Op::Neq if equatable => {
                let (ty, value) = v.scalar(s)?;
                self.compare(r, if op == Op::Eq { " = " } else { " <> " }, ty, value);
            }
            Op::Gt | Op::Gte | Op::Lt | Op::Lte if ordered => {
                let (ty, value) = v.scalar(s)?;
                let sql_op = match op {
                    Op::Gt => " > ",
                    Op::Gte => " >= ",
                    Op::Lt => " < ",
                    _ => " <= ",
                };
                self.compare(r, sql_op, ty, value);
            }
            Op::In | Op::Nin if listable => {
                let items = v.list()?;
                let mut values = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    values.push(v.item(i, item).scalar(s)?.1);
                }
                let elem_ty = s.sql().param;
                self.w.sql("(");
                self.typed_expr(r);
                self.w
                    .sql(if op == Op::In { " = ANY(" } else { " <> ALL(" });
                self.w
                    .param(ParamType::Array(elem_ty), ParamValue::Array(values));
                self.w.sql("))");
            }
            _ => match s {
                S::Text => self.text_condition(op, r, v, mismatch)?,
                S::Tsvector => self.fulltext_condition(op, r, v, mismatch)?,
                S::Inet | S::Cidr => self.network_condition(op, r, v, mismatch)?,
                S::Ltree => self.ltree_condition(op, r, v, mismatch)?,
                S::Daterange => self.daterange_condition(op, r, v, mismatch)?,
                S::Vector | S::Bit => self.vector_condition(s, op, r, v, mismatch)?,
                S::Jsonb => self.jsonb_condition(op, r, v, mismatch)?,
                S::Coordinates if op == Op::DistanceWithin => self.distance_within(r, v)?,
                _ => return Err(mismatch()),
            },
        }
        Ok(())
    }

    fn text_condition(
        &mut self,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        // Substring tests become LIKE patterns with the operand's wildcards escaped, so `50%`
        // matches literally and a btree/trigram index can still serve the prefix forms.
        let (sql_op, prefix, suffix) = match op {
            Op::Contains => (" LIKE ", true, true),
            Op::IContains => (" ILIKE ", true, true),
            Op::StartsWith => (" LIKE ", false, true),
            Op::IStartsWith => (" ILIKE ", false, true),
            Op::EndsWith => (" LIKE ", true, false),
            Op::IEndsWith => (" ILIKE ", true, false),
            Op::Like | Op::ILike | Op::Matches | Op::IMatches | Op::NotMatches => {
                let pattern = v.string("a pattern string")?.to_owned();
                let is_like = matches!(op, Op::Like | Op::ILike);
                if is_like && pattern.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1 {
                    return Err(v.err(
                        "a LIKE pattern must not end with the escape character `\\` (write `\\\\` for a literal backslash)",
                    ));
                }
                let sql_op = match op {
                    Op::Like => " LIKE ",
                    Op::ILike => " ILIKE ",
                    Op::Matches => " ~ ",
                    Op::IMatches => " ~* ",
                    _ => " !~ ",
                };
                self.compare(r, sql_op, PgType::Text, ParamValue::Text(pattern));
                return Ok(());
            }
            _ => return Err(mismatch()),
        };
        let needle = v.string("a string")?;
        let mut pattern = String::with_capacity(needle.len() + 4);
        if prefix {
            pattern.push('%');
        }
        for ch in needle.chars() {
            if matches!(ch, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(ch);
        }
        if suffix {
            pattern.push('%');
        }
        self.compare(r, sql_op, PgType::Text, ParamValue::Text(pattern));
        Ok(())
    }

    /// Query text and configuration of a full-text operand: `"text"` or
    /// `{"query": "text", "language": "simple"}` (plus `threshold` for rank operators).
    fn fulltext_condition(
        &mut self,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        let default_language = r.language.unwrap_or(&self.scope.view.language).to_owned();
        let tsquery_fn = match op {
            Op::Matches => "to_tsquery(",
            Op::PlainQuery => "plainto_tsquery(",
            Op::PhraseQuery => "phraseto_tsquery(",
            Op::WebsearchQuery => "websearch_to_tsquery(",
            Op::RankGt
            | Op::RankGte
            | Op::RankLt
            | Op::RankLte
            | Op::RankCdGt
            | Op::RankCdGte
            | Op::RankCdLt
            | Op::RankCdLte => {
                let entries = v.object(&["query", "threshold", "language"])?;
                let query = v
                    .field(entries, "query")?
                    .string("a query string")?
                    .to_owned();
                let threshold = v.field(entries, "threshold")?.float()?;
                let language = match v.opt_field(entries, "language") {
                    Some(l) => l.config_name()?,
                    None => default_language,
                };
                let (rank_fn, cmp) = match op {
                    Op::RankGt => ("ts_rank(", " > "),
                    Op::RankGte => ("ts_rank(", " >= "),
                    Op::RankLt => ("ts_rank(", " < "),
                    Op::RankLte => ("ts_rank(", " <= "),
                    Op::RankCdGt => ("ts_rank_cd(", " > "),
                    Op::RankCdGte => ("ts_rank_cd(", " >= "),
                    Op::RankCdLt => ("ts_rank_cd(", " < "),
                    _ => ("ts_rank_cd(", " <= "),
                };
                self.w.sql("(");
                self.w.sql(rank_fn);
                self.typed_expr(r);
                self.w.sql(", plainto_tsquery(");
                self.param(PgType::Regconfig, ParamValue::Text(language));
                self.w.sql(", ");
                self.param(PgType::Text, ParamValue::Text(query));
                self.w.sql("))");
                self.w.sql(cmp);
                self.param(PgType::Float8, ParamValue::Float(threshold));
                self.w.sql(")");
                return Ok(());
            }
            _ => return Err(mismatch()),
        };
        let (query, language) = match v.value {
            Value::Object(_) => {
                let entries = v.object(&["query", "language"])?;
                let query = v
                    .field(entries, "query")?
                    .string("a query string")?
                    .to_owned();
                let language = match v.opt_field(entries, "language") {
                    Some(l) => l.config_name()?,
                    None => default_language,
                };
                (query, language)
            }
            _ => (v.string("a query string")?.to_owned(), default_language),
        };
        self.w.sql("(");
        self.typed_expr(r);
        self.w.sql(" @@ ");
        self.w.sql(tsquery_fn);
        self.param(PgType::Regconfig, ParamValue::Text(language));
        self.w.sql(", ");
        self.param(PgType::Text, ParamValue::Text(query));
        self.w.sql("))");
        Ok(())
    }

    fn network_condition(
        &mut self,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        let (ranges, positive) = match op {
            Op::InSubnet => {
                let (_, net) = v.scalar(S::Cidr)?;
                self.compare(r, " <<= ", PgType::Cidr, net);
                return Ok(());
            }
            Op::InRange => {
                let entries = v.object(&["from", "to"])?;
                let (_, from) = v.field(entries, "from")?.scalar(S::Inet)?;
                let (_, to) = v.field(entries, "to")?.scalar(S::Inet)?;
                self.w.sql("(");
                self.typed_expr(r);
                self.w.sql(" BETWEEN ");
                self.param(PgType::Inet, from);
                self.w.sql(" AND ");
                self.param(PgType::Inet, to);
                self.w.sql(")");
                return Ok(());
            }
            Op::IsIPv4 | Op::IsIPv6 => {
                let want = v.boolean()?;
                self.w.sql("(family(");
                self.typed_expr(r);
                self.w.sql(match (op == Op::IsIPv4, want) {
                    (true, true) | (false, false) => ") = 4)",
                    _ => ") = 6)",
                });
                return Ok(());
            }
            Op::IsPrivate => (PRIVATE, true),
            Op::IsLoopback => (LOOPBACK, true),
            Op::IsLinkLocal => (LINK_LOCAL, true),
            Op::IsMulticast => (MULTICAST, true),
            Op::IsDocumentation => (DOCUMENTATION, true),
            Op::IsCarrierGrade => (CARRIER_GRADE, true),
            Op::IsPublic => (NOT_PUBLIC, false),
            _ => return Err(mismatch()),
        };
        let want = v.boolean()?;
        self.w.sql(if want == positive { "(" } else { "(NOT " });
        self.typed_expr(r);
        self.w.sql(" <<= ANY(");
        self.w.sql(ranges);
        self.w.sql("))");
        Ok(())
    }

    fn ltree_condition(
        &mut self,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        match op {
            Op::AncestorOf | Op::DescendantOf => {
                let (_, path) = v.scalar(S::Ltree)?;
                self.compare(
                    r,
                    if op == Op::AncestorOf { " @> " } else { " <@ " },
                    PgType::Ltree,
                    path,
                );
            }
            Op::MatchesLquery => {
                let q = v.ltree_query(false)?;
                self.compare(r, " ~ ", PgType::Lquery, ParamValue::Text(q));
            }
            Op::MatchesLtxtquery => {
                let q = v.ltree_query(true)?;
                self.compare(r, " @ ", PgType::Ltxtquery, ParamValue::Text(q));
            }
            Op::MatchesAnyLquery => {
                let items = v.list()?;
                let mut qs = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    qs.push(ParamValue::Text(v.item(i, item).ltree_query(false)?));
                }
                self.w.sql("(");
                self.typed_expr(r);
                self.w.sql(" ? ");
                self.w
                    .param(ParamType::Array(PgType::Lquery), ParamValue::Array(qs));
                self.w.sql(")");
            }
            Op::DepthEq
            | Op::DepthNeq
            | Op::DepthGt
            | Op::DepthGte
            | Op::DepthLt
            | Op::DepthLte => {
                self.count_condition("(nlevel(", op, r, v)?;
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    fn daterange_condition(
        &mut self,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        if op == Op::ContainsDate {
            let (_, d) = v.scalar(S::Date)?;
            self.compare(r, " @> ", PgType::Date, d);
            return Ok(());
        }
        let sql_op = match op {
            Op::Overlaps => " && ",
            Op::Adjacent => " -|- ",
            Op::StrictlyLeft => " << ",
            Op::StrictlyRight => " >> ",
            Op::NotLeft => " &> ",
            Op::NotRight => " &< ",
            _ => return Err(mismatch()),
        };
        let (_, range) = v.scalar(S::Daterange)?;
        self.compare(r, sql_op, PgType::Daterange, range);
        Ok(())
    }

    /// `{"vector": [..] | "0101", "threshold": n}`: distance below the threshold; inner
    /// product at least the threshold.
    fn vector_condition(
        &mut self,
        s: ScalarType,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        let sql_op = match (s, op) {
            (S::Vector, Op::CosineDistance) => " <=> ",
            (S::Vector, Op::L2Distance) => " <-> ",
            (S::Vector, Op::L1Distance) => " <+> ",
            (S::Vector, Op::InnerProduct) => " <#> ",
            (S::Bit, Op::HammingDistance) => " <~> ",
            (S::Bit, Op::JaccardDistance) => " <%> ",
            _ => return Err(mismatch()),
        };
        let entries = v.object(&["vector", "threshold"])?;
        let (ty, vector) = v.field(entries, "vector")?.scalar(s)?;
        let threshold = v.field(entries, "threshold")?.float()?;
        self.w.sql("((");
        self.typed_expr(r);
        self.w.sql_with_percent(sql_op);
        self.param(ty, vector);
        if op == Op::InnerProduct {
            // pgvector's <#> is the negated inner product.
            self.w.sql(") * -1 >= ");
        } else {
            self.w.sql(") < ");
        }
        self.param(PgType::Float8, ParamValue::Float(threshold));
        self.w.sql(")");
        Ok(())
    }

    /// Great-circle (haversine) distance on a sphere of the mean Earth radius.
    fn distance_within(&mut self, r: &Resolved<'_>, v: &Operand<'_, '_>) -> Result<(), Error> {
        let entries = v.object(&["lat", "lng", "meters"])?;
        let lat = v.field(entries, "lat")?.float()?;
        let lng = v.field(entries, "lng")?.float()?;
        let meters = v.field(entries, "meters")?.float()?;
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) || meters < 0.0 {
            return Err(v.err("lat must be within ±90, lng within ±180 and meters not negative"));
        }
        self.w.sql("((SELECT 2 * ");
        self.w.sql(EARTH_RADIUS_M);
        self.w
            .sql(" * asin(least(1, sqrt(power(sin(radians(p.lat - ");
        self.coord(r, "'lat'");
        self.w.sql(") / 2), 2) + cos(radians(");
        self.coord(r, "'lat'");
        self.w
            .sql(")) * cos(radians(p.lat)) * power(sin(radians(p.lng - ");
        self.coord(r, "'lng'");
        self.w.sql(") / 2), 2)))) FROM (VALUES (");
        self.param(PgType::Float8, ParamValue::Float(lat));
        self.w.sql(", ");
        self.param(PgType::Float8, ParamValue::Float(lng));
        self.w.sql(")) AS p(lat, lng)) <= ");
        self.param(PgType::Float8, ParamValue::Float(meters));
        self.w.sql(")");
        Ok(())
    }

    fn coord(&mut self, r: &Resolved<'_>, key: &'static str) {
        self.w.sql("(");
        self.json_expr(r);
        self.w.sql("->>");
        self.w.sql(key);
        self.w.sql(")::float8");
    }

    fn jsonb_condition(
        &mut self,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        match op {
            Op::Eq | Op::Neq | Op::Contains | Op::ContainedBy => {
                let json = v.json()?;
                let sql_op = match op {
                    Op::Eq => " = ",
                    Op::Neq => " <> ",
                    Op::Contains => " @> ",
                    _ => " <@ ",
                };
                self.compare(r, sql_op, PgType::Jsonb, ParamValue::Text(json));
            }
            Op::StrictlyContains => {
                let json = v.json()?;
                self.w.sql("(");
                self.typed_expr(r);
                self.w.sql(" @> ");
                self.param(PgType::Jsonb, ParamValue::Text(json.clone()));
                self.w.sql(" AND ");
                self.typed_expr(r);
                self.w.sql(" <> ");
                self.param(PgType::Jsonb, ParamValue::Text(json));
                self.w.sql(")");
            }
            Op::HasKey => {
                let key = v.string("a key")?.to_owned();
                self.compare(r, " ? ", PgType::Text, ParamValue::Text(key));
            }
            Op::HasAnyKeys | Op::HasAllKeys => {
                let items = v.list()?;
                let mut keys = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    keys.push(ParamValue::Text(
                        v.item(i, item).string("a key")?.to_owned(),
                    ));
                }
                self.w.sql("(");
                self.typed_expr(r);
                self.w
                    .sql(if op == Op::HasAnyKeys { " ?| " } else { " ?& " });
                self.w
                    .param(ParamType::Array(PgType::Text), ParamValue::Array(keys));
                self.w.sql(")");
            }
            Op::PathExists | Op::PathMatch => {
                let path = v.string("a jsonpath")?.to_owned();
                self.compare(
                    r,
                    if op == Op::PathExists { " @? " } else { " @@ " },
                    PgType::Jsonpath,
                    ParamValue::Text(path),
                );
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    fn array_condition(
        &mut self,
        elem: ScalarType,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
        mismatch: &dyn Fn() -> Error,
    ) -> Result<(), Error> {
        match op {
            Op::Eq | Op::Neq | Op::Contains | Op::ContainedBy | Op::Overlaps => {
                let json = self.json_array(elem, v, v.list()?, true)?;
                match op {
                    Op::Overlaps => {
                        // Shares an element: contains one of the operand's one-element arrays.
                        self.w.sql("(");
                        self.typed_expr(r);
                        self.w.sql(
                            " @> ANY(ARRAY(SELECT jsonb_build_array(e) FROM jsonb_array_elements(",
                        );
                        self.param(PgType::Jsonb, ParamValue::Text(json));
                        self.w.sql(") AS e)))");
                    }
                    _ => {
                        let sql_op = match op {
                            Op::Eq => " = ",
                            Op::Neq => " <> ",
                            Op::Contains => " @> ",
                            _ => " <@ ",
                        };
                        self.compare(r, sql_op, PgType::Jsonb, ParamValue::Text(json));
                    }
                }
            }
            Op::AnyEq | Op::AllEq => {
                // any: contains [v]; all: contained by [v] (every element equals v).
                let json = self.json_array(elem, v, std::slice::from_ref(v.value), false)?;
                self.compare(
                    r,
                    if op == Op::AnyEq { " @> " } else { " <@ " },
                    PgType::Jsonb,
                    ParamValue::Text(json),
                );
            }
            Op::LenEq | Op::LenNeq | Op::LenGt | Op::LenGte | Op::LenLt | Op::LenLte => {
                self.count_condition("(jsonb_array_length(", op, r, v)?;
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    /// `(<func>(<field>) <op> $n::bigint)`: ltree depth and array length comparisons.
    fn count_condition(
        &mut self,
        func: &'static str,
        op: Operator,
        r: &Resolved<'_>,
        v: &Operand<'_, '_>,
    ) -> Result<(), Error> {
        let n = v.count()?;
        self.w.sql(func);
        self.typed_expr(r);
        self.w.sql(")");
        self.w.sql(len_op(op));
        self.param(PgType::Bigint, ParamValue::Int(n));
        self.w.sql(")");
        Ok(())
    }

    /// Validates each element as `elem` and writes the list as a JSON array in the form the
    /// data stores it (numbers as numbers, everything else as canonical strings).
    fn json_array(
        &self,
        elem: ScalarType,
        v: &Operand<'_, '_>,
        items: &[Value],
        indexed: bool,
    ) -> Result<String, Error> {
        let mut out = String::with_capacity(items.len() * 8 + 2);
        out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let (_, value) = if indexed {
                v.item(i, item).array_element(elem)?
            } else {
                v.array_element(elem)?
            };
            match &value {
                ParamValue::Int(n) => out.push_str(itoa::Buffer::new().format(*n)),
                ParamValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                ParamValue::Float(f) => crate::value::write_float(*f, &mut out),
                ParamValue::Text(t) if elem == S::Numeric => out.push_str(t),
                ParamValue::Text(t) => crate::value::write_json_string(t, &mut out),
                ParamValue::Array(_) => return Err(v.err("nested lists are not array elements")),
            }
        }
        out.push(']');
        Ok(out)
    }
}

/// A filter on the rows of a list relation without `some`, `every` or `none`.
fn list_needs_quantifier(rel: &RelationDef, segs: &[String], i: usize, base: &Path<'_>) -> Error {
    Error::new(
        ErrorKind::InvalidQuery,
        field_path_string(base, &segs[..=i], None),
        format!(
            "`{}` relates a list of `{}` rows: filter them with `some`, `every` or `none`",
            segs[i], rel.view
        ),
    )
}

/// Whether the SQL written for `op` on a field of type `ty` can be non-NULL when the field is
/// NULL, and so needs `CASE WHEN <field> IS NULL THEN NULL ELSE <predicate> END`.
///
/// A predicate built only from strict operators and functions (`=`, `@>`, `?|`, `<<=`, `~`,
/// `@@`, `nlevel`, `jsonb_array_length`, `ts_rank`, pgvector's distances, ...) is NULL on a
/// NULL field whatever the operand. These are not:
/// - array `overlaps`: `f @> ANY(ARRAY(…operand elements…))` is FALSE for an empty operand, even
///   when `f` is NULL (ANY over an empty array);
/// - `distance_within`: `least(1, …)` ignores a NULL argument, so a NULL location has the
///   distance of the antipode.
///
/// `in`/`nin` are not listed: `in: []` (FALSE) and `nin: []` (TRUE) on every row are
/// documented in docs/query-ast.md (NULL semantics). `isnull` tests NULL itself.
/// `crates/qb-testpg/tests/null_semantics.rs` checks on PostgreSQL, for every (type, operator)
/// pair the compiler accepts, that nothing else needs a guard.
fn null_guard(ty: &FieldType, op: Operator) -> bool {
    matches!(
        (ty, op),
        (FieldType::Array(_), Op::Overlaps)
            | (FieldType::Scalar(S::Coordinates), Op::DistanceWithin)
    )
}

fn len_op(op: Operator) -> &'static str {
    match op {
        Op::LenEq | Op::DepthEq => " = ",
        Op::LenNeq | Op::DepthNeq => " <> ",
        Op::LenGt | Op::DepthGt => " > ",
        Op::LenGte | Op::DepthGte => " >= ",
        Op::LenLt | Op::DepthLt => " < ",
        _ => " <= ",
    }
}
