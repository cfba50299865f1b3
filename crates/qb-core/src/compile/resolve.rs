//! Name resolution: a field path as the query spells it -> where its value lives in the
//! current scope's view (a column, a registered JSONB field, or a permissive key) and its
//! type. Columns win over JSONB fields of the same name; camelCase spellings resolve through
//! the registry's alias index first and by conversion only when it does not cover them.

use std::borrow::Cow;

use super::{Compiler, field_path_string};
use crate::ast::FieldPath;
use crate::error::{Error, ErrorKind, Path};
use crate::names::{is_graphql_name, snake};
use crate::schema::{ColumnDef, FieldDef, FieldType, ScalarType};
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
            Access::Aggregate(_) => Vec::new(),
        }
    }
}

impl<'a> Compiler<'a> {
    fn field(&self, def: &'a FieldDef) -> Resolved<'a> {
        Resolved {
            access: Access::Field(def),
            ty: &def.ty,
            language: def.language.as_deref(),
            alias: self.scope.alias,
        }
    }

    /// Resolves a field path in the current scope: columns first (single segment), then
    /// JSONB fields.
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
                alias: self.scope.alias,
            });
        }
        if let (Some((_, def)), 1) = (field, segs.len()) {
            // The common case: one registered field, no nesting.
            return Ok(self.field(def));
        }
        // The first segment was already found (or not) at the root; the rest resolve level by
        // level below it.
        let mut root = field.map(|(_, def)| self.field(def));
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
                None => format!("view `{}` has no field `{name}`", view.key()),
                Some(_) if i > 0 => format!("`{}` has no field `{name}`", segs[..i].join(".")),
                Some(_) => format!("this object has no field `{name}`"),
            };
            // Columns are candidates at the document root only.
            let columns = parent
                .is_none()
                .then(|| view.columns.spellings(self.camel))
                .into_iter()
                .flatten();
            let fields = obj.into_iter().flat_map(|o| o.fields.spellings(self.camel));
            let hint = crate::suggest::did_you_mean(name, columns.chain(fields));
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

    /// A selected field's path resolved inside `parent` (or at the root, where a one-segment
    /// path may name a column); errors name `p` + the segments.
    pub(crate) fn resolve_selected(
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
