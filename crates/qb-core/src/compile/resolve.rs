//! Name resolution: a field path as the query spells it -> where its value lives in the
//! current scope's view (a column, a registered JSONB field, or a permissive key) and its
//! type. Columns win over JSONB fields of the same name; camelCase spellings resolve through
//! the registry's alias index first and by conversion only when it does not cover them.

use std::borrow::Cow;

use super::{Compiler, field_path_string};
use crate::ast::FieldPath;
use crate::error::{Error, ErrorKind, Path};
use crate::names::{is_graphql_name, snake};
use crate::schema::{ColumnDef, FieldDef, FieldType, ListDef, RelationDef, ScalarType};
use crate::sql::{Alias, SqlFragment};

/// Type of fields read in permissive mode from keys the registry does not list.
static PERMISSIVE_TYPE: FieldType = FieldType::Scalar(ScalarType::Text);

/// Where a field's value lives.
#[derive(Debug)]
pub(crate) enum Access<'a> {
    /// A real SQL column of the view.
    Column(&'a ColumnDef),
    /// A registered JSONB field (accessors rendered in advance).
    Field(&'a FieldDef),
    /// A key path the registry does not list (permissive views), below the data column
    /// (the view's `"data"`). Boxed: the rare case, kept out of every `Resolved`'s size.
    Dynamic(&'a SqlFragment, Box<[Cow<'a, str>]>),
    /// An aggregate of the selection (in `having`), by its position in the selection;
    /// checked when resolved.
    Aggregate(usize),
    /// An aggregate over the rows of a list relation or an embedded list (`posts.count`),
    /// a scalar subquery; checked when resolved.
    RowsAggregate(Box<super::rows_aggregate::RowsAggregate<'a>>),
}

/// What a name resolves to: a value, or a relation whose rows the rest of the path reads.
#[derive(Debug)]
pub(crate) enum Target<'a> {
    /// A column or field (or permissive key).
    Value(Resolved<'a>),
    /// `segs[at]` names a relation of the scope's view (`name` in the registry);
    /// `segs[at + 1..]` read its rows.
    Relation {
        rel: &'a RelationDef,
        name: &'a str,
        at: usize,
    },
    /// `segs[at]` names an embedded list (`r` reads the array); `segs[at + 1..]` read its
    /// elements.
    List {
        list: &'a ListDef,
        /// Boxed: the rare case, kept out of every `Target`'s size.
        r: Box<Resolved<'a>>,
        at: usize,
    },
}

impl<'a> Target<'a> {
    /// `r` resolved at `segs[at]`: an embedded list is a row source, anything else a value.
    #[inline(always)]
    fn of(r: Resolved<'a>, at: usize) -> Target<'a> {
        let ty = r.ty;
        match ty {
            FieldType::List(list) => Target::List {
                list,
                r: Box::new(r),
                at,
            },
            _ => Target::Value(r),
        }
    }
}

/// A field path resolved against the registry, in the scope that reads it.
#[derive(Debug)]
pub(crate) struct Resolved<'a> {
    pub(crate) access: Access<'a>,
    pub(crate) ty: &'a FieldType,
    pub(crate) language: Option<&'a str>,
    /// The alias of the scope it was resolved in: it qualifies every read.
    pub(crate) alias: Alias,
}

impl<'a> Resolved<'a> {
    pub(crate) fn same_place(&self, other: &Resolved<'_>) -> bool {
        self.alias == other.alias
            && match (&self.access, &other.access) {
                (Access::Column(a), Access::Column(b)) => std::ptr::eq(*a, *b),
                (Access::Field(a), Access::Field(b)) => std::ptr::eq(*a, *b),
                (Access::Dynamic(_, a), Access::Dynamic(_, b)) => a == b,
                _ => false,
            }
    }

    /// The key path below the data column (empty for a column).
    fn keys(&self) -> Vec<Cow<'a, str>> {
        match &self.access {
            Access::Column(_) => Vec::new(),
            Access::Field(f) => f.sql.keys.iter().map(|k| Cow::Borrowed(&**k)).collect(),
            Access::Dynamic(_, keys) => keys.to_vec(),
            Access::Aggregate(_) | Access::RowsAggregate(_) => Vec::new(),
        }
    }
}

impl<'a> Compiler<'a> {
    /// The keys that make an order total in the current scope, each ascending: an embedded
    /// list element's position, else the primary key columns that `held` (the order's keys)
    /// does not already hold by [`Resolved::same_place`]. The one rule of selected lists'
    /// `ORDER BY` and keyset pages' keys.
    pub(crate) fn tie_breakers(&self, held: impl Fn(&Resolved<'a>) -> bool) -> Vec<Resolved<'a>> {
        let view = self.scope.view;
        let alias = self.scope.alias;
        let column = |col: &'a ColumnDef| Resolved {
            access: Access::Column(col),
            ty: &col.ty,
            language: None,
            alias,
        };
        if let Some(ord) = view.ordinality.as_deref() {
            // No name resolves to it: it is never among the order keys already.
            return vec![column(ord)];
        }
        view.primary_key
            .iter()
            .filter_map(|c| view.columns.lookup_indexed(c, false))
            .map(|(_, col)| column(col))
            .filter(|r| !held(r))
            .collect()
    }

    fn field(&self, def: &'a FieldDef) -> Resolved<'a> {
        Resolved {
            access: Access::Field(def),
            ty: &def.ty,
            language: def.language.as_deref(),
            alias: self.scope.alias,
        }
    }

    /// Resolves `segs[start..]` in the current scope, below `at` (a nested object) or at
    /// the scope's root (`None`), where the first segment may name a column (which wins over
    /// a JSONB field of the same name), a JSONB field or a relation. Error paths name `base`
    /// and the whole of `segs` up to the offending segment.
    pub(crate) fn resolve_from(
        &self,
        at: Option<&Resolved<'a>>,
        segs: &'a [String],
        start: usize,
        base: &Path<'_>,
    ) -> Result<Target<'a>, Error> {
        if let Some(parent) = at {
            return self.resolve_below(parent, segs, start, base);
        }
        let Some(first) = segs.get(start) else {
            return Err(base.err(ErrorKind::InvalidQuery, "empty field path"));
        };
        // One segment per nesting level (a hand-built path may be of any length).
        self.check_depth(segs.len(), base)?;
        // Both indexes hold the camelCase aliases, so a conversion is needed only for
        // spellings they do not cover.
        let view = self.scope.view;
        let columns = &view.columns;
        let fields = &view.fields.fields;
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
            if segs.len() > start + 1 {
                return Err(Error::new(
                    ErrorKind::UnknownField,
                    field_path_string(base, &segs[..start + 2], None),
                    format!(
                        "`{first}` is a {} column; it has no field `{}`",
                        col.ty.describe(),
                        segs[start + 1]
                    ),
                ));
            }
            return Ok(Target::Value(Resolved {
                access: Access::Column(col),
                ty: &col.ty,
                language: None,
                alias: self.scope.alias,
            }));
        }
        if let Some((_, def)) = field {
            if segs.len() == start + 1 {
                // The common case: one registered field, no nesting.
                return Ok(Target::of(self.field(def), start));
            }
            let r = self.field(def);
            if let FieldType::List(_) = r.ty {
                return Ok(Target::of(r, start));
            }
            check_descend(&r, segs, start, base)?;
            return self.resolve_below(&r, segs, start + 1, base);
        }
        // Relations (registry names never collide with columns or fields).
        if let Some((name, rel)) = view.relations.lookup(first, self.camel) {
            return Ok(Target::Relation {
                rel,
                name,
                at: start,
            });
        }
        let r = self.resolve_in(None, first, segs, start, base)?;
        if segs.len() == start + 1 {
            return Ok(Target::Value(r));
        }
        check_descend(&r, segs, start, base)?;
        self.resolve_below(&r, segs, start + 1, base)
    }

    /// `segs[start..]` below the object (or permissive key) `parent`; an embedded list met
    /// on the way ends the resolution (the rest of the path reads its elements).
    fn resolve_below(
        &self,
        parent: &Resolved<'a>,
        segs: &'a [String],
        start: usize,
        base: &Path<'_>,
    ) -> Result<Target<'a>, Error> {
        if start >= segs.len() {
            return Err(base.err(ErrorKind::InvalidQuery, "empty field path"));
        }
        self.check_depth(segs.len(), base)?;
        let mut cur: Option<Resolved<'a>> = None;
        for i in start..segs.len() {
            let r = self.resolve_in(
                Some(cur.as_ref().unwrap_or(parent)),
                &segs[i],
                segs,
                i,
                base,
            )?;
            if let FieldType::List(_) = r.ty {
                return Ok(Target::of(r, i));
            }
            check_descend(&r, segs, i, base)?;
            cur = Some(r);
        }
        cur.map(Target::Value)
            .ok_or_else(|| base.err(ErrorKind::InvalidQuery, "empty field path"))
    }

    /// A field path that must name a value (a column or field) of the current scope: a
    /// relation there is an error saying what `what` (`group by`, …) needs instead.
    pub(crate) fn resolve(
        &self,
        segs: &'a [String],
        base: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        self.value(self.resolve_from(None, segs, 0, base)?, segs, base)
    }

    /// The value of a resolved target; a relation is `QB_INVALID_QUERY` at its segment.
    pub(crate) fn value(
        &self,
        t: Target<'a>,
        segs: &[String],
        base: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        match t {
            Target::Value(r) => Ok(r),
            Target::Relation { rel, at, .. } => Err(Error::new(
                ErrorKind::InvalidQuery,
                field_path_string(base, &segs[..=at], None),
                format!(
                    "`{}` is a relation to `{}`, not a field: select it with a sub-selection, \
                     or filter it with nested fields{}",
                    segs[at],
                    rel.view,
                    if rel.kind.is_list() {
                        " under `some`, `every` or `none`"
                    } else {
                        ""
                    }
                ),
            )),
            Target::List { at, .. } => Err(list_not_value(segs, at, base)),
        }
    }

    /// Resolves `segs[i]` inside `parent` (`None`: the document root of the current scope);
    /// errors name `base` + `segs[..=i]`.
    pub(crate) fn resolve_in(
        &self,
        parent: Option<&Resolved<'a>>,
        name: &'a str,
        segs: &[String],
        i: usize,
        base: &Path<'_>,
    ) -> Result<Resolved<'a>, Error> {
        let at = || field_path_string(base, &segs[..=i], None);
        let view = self.scope.view;
        let obj = match parent.map(|p| p.ty) {
            None => Some(&view.fields),
            Some(FieldType::Object(obj)) => Some(&**obj),
            Some(_) => None,
        };
        if let Some((_, def)) = obj.and_then(|o| o.fields.lookup(name, self.camel)) {
            return Ok(self.field(def));
        }
        if !is_graphql_name(name) {
            return Err(Error::new(
                ErrorKind::InvalidIdentifier,
                at(),
                format!("`{name}` is not a valid field name ([_A-Za-z][_0-9A-Za-z]*)"),
            ));
        }
        if !view.permissive {
            let msg = match parent {
                None if view.element => format!("list `{}` has no field `{name}`", view.name),
                None => format!("view `{}` has no field `{name}`", view.key()),
                Some(_) if i > 0 => format!("`{}` has no field `{name}`", segs[..i].join(".")),
                Some(_) => format!("this object has no field `{name}`"),
            };
            // Columns and relations are candidates at the document root only.
            let root = parent.is_none();
            let columns = root
                .then(|| view.columns.spellings(self.camel))
                .into_iter()
                .flatten();
            let relations = root
                .then(|| view.relations.spellings(self.camel))
                .into_iter()
                .flatten();
            let fields = obj.into_iter().flat_map(|o| o.fields.spellings(self.camel));
            let hint = crate::suggest::did_you_mean(name, columns.chain(relations).chain(fields));
            return Err(Error::new(ErrorKind::UnknownField, at(), msg + &hint));
        }
        let mut keys = parent.map(Resolved::keys).unwrap_or_default();
        keys.push(Cow::Owned(snake(name, self.camel).into_owned()));
        Ok(Resolved {
            access: Access::Dynamic(&view.sql_data, keys.into_boxed_slice()),
            ty: &PERMISSIVE_TYPE,
            language: None,
            alias: self.scope.alias,
        })
    }

    /// A selected field's path resolved inside `parent` (or at the scope's root, where a
    /// one-segment path may name a column or a relation); errors name `p` + the segments.
    pub(crate) fn resolve_selected(
        &self,
        parent: Option<&Resolved<'a>>,
        path: &'a FieldPath,
        p: &Path<'_>,
    ) -> Result<Target<'a>, Error> {
        self.resolve_from(parent, &path.0, 0, p)
    }
}

/// `segs[at]`, an embedded list, used where a value is needed.
#[cold]
pub(crate) fn list_not_value(segs: &[String], at: usize, base: &Path<'_>) -> Error {
    Error::new(
        ErrorKind::InvalidQuery,
        field_path_string(base, &segs[..=at], None),
        format!(
            "`{}` is an embedded list, not a scalar field: select it with a sub-selection, or \
             filter its elements under `some`, `every` or `none`",
            segs[at]
        ),
    )
}

/// `segs[i]` resolved to `r`: it must be an object (or a permissive key) when the path goes on.
fn check_descend(
    r: &Resolved<'_>,
    segs: &[String],
    i: usize,
    base: &Path<'_>,
) -> Result<(), Error> {
    let nested_ok = matches!(r.ty, FieldType::Object(_)) || matches!(r.access, Access::Dynamic(..));
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

/// Whether `r` can be an ORDER BY or GROUP BY key (`what` names which, for the message).
pub(crate) fn check_orderable(r: &Resolved<'_>, p: &Path<'_>, what: &str) -> Result<(), Error> {
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
