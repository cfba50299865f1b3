//! Binding a prepared query from its operand values alone ([`Prepared::bind_values`]): a
//! service that keeps one prepared statement per shape knows its operands, so it need not
//! build (and the host need not convert) a whole query per call.
//!
//! The operands are the prepared query's, in bind order: the shape's operands in their
//! canonical (walk) order (every condition's operand except those written as SQL text, every
//! `limit`, `offset`, `first`, `last`, and the cursors `after` and `before` when given: a
//! selected list's after its own counts, the query's last). [`walk`] visits them in that order, with the path errors use.
//! Values are bound through the plan's slots, which validate them as a compile does; an
//! operand that does not bind is reported by compiling the prepared query with the values
//! substituted, so the error is that compile's, exactly.

use std::fmt;

use crate::ast::{
    Condition, Filter, NestedFilter, Query, Selection, count_operand, cursor_operand,
};
use crate::ast::{Kind, Source as HostSource};
use crate::compile::{Conv, Scratch, Source, field_path_string, scalar_fast, str_fast};
use crate::error::{Error, ErrorKind, Path};
use crate::param::Param;
use crate::param::ParamValue;
use crate::schema::ScalarType;
use crate::value::Value;

use super::{Bound, operand_is_shape};

/// What an operand of a prepared query takes ([`Prepared::operands`](super::Prepared::operands)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperandKind {
    /// A non-negative integer: `limit`, `offset`, `first`, `last`, a length.
    Count,
    /// One value of this type, in the forms a query takes for it (docs/query-ast.md).
    Scalar(ScalarType),
    /// A list of values of this type.
    List(ScalarType),
    /// A string (a pattern, a substring, a key, an ltree query).
    String,
    /// A list of strings (keys, lqueries).
    StringList,
    /// An object (or, for full-text search, a string) of the form described.
    Object(&'static str),
    /// Any JSON value (the JSONB operators).
    Json,
    /// A cursor: a string, or null for none.
    Cursor,
    /// Not typed by the plan (a shape compiled on every bind, such as a paged query): any
    /// value the operator takes.
    Any,
}

impl fmt::Display for OperandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperandKind::Count => f.write_str("count"),
            OperandKind::Scalar(s) => f.write_str(s.name()),
            OperandKind::List(s) => write!(f, "list of {}", s.name()),
            OperandKind::String => f.write_str("string"),
            OperandKind::StringList => f.write_str("list of string"),
            OperandKind::Object(form) => f.write_str(form),
            OperandKind::Json => f.write_str("json"),
            OperandKind::Cursor => f.write_str("cursor"),
            OperandKind::Any => f.write_str("any"),
        }
    }
}

impl OperandKind {
    /// What the values of a slot converted by `conv` are.
    pub(super) fn of(conv: &Conv) -> OperandKind {
        match conv {
            Conv::Scalar(s) => OperandKind::Scalar(*s),
            Conv::List(s) => OperandKind::List(*s),
            Conv::JsonArray { elem, list: true } => OperandKind::List(*elem),
            Conv::JsonArray { elem, list: false } => OperandKind::Scalar(*elem),
            Conv::Pattern { .. }
            | Conv::Substring { .. }
            | Conv::LtreeQuery { .. }
            | Conv::Text { .. } => OperandKind::String,
            Conv::LqueryList | Conv::Keys => OperandKind::StringList,
            Conv::Fulltext { rank: true, .. } => {
                OperandKind::Object("object {query, threshold, language?}")
            }
            Conv::Fulltext { rank: false, .. } => {
                OperandKind::Object("string or object {query, language?}")
            }
            Conv::InRange { .. } => OperandKind::Object("object {from, to}"),
            Conv::Vector { .. } => OperandKind::Object("object {vector, threshold}"),
            Conv::Distance { .. } => OperandKind::Object("object {lat, lng, meters}"),
            Conv::Json => OperandKind::Json,
            Conv::Count | Conv::Limit { .. } | Conv::Offset | Conv::PageSize { .. } => {
                OperandKind::Count
            }
            Conv::Cursor { .. } => OperandKind::Cursor,
        }
    }
}

/// One operand of a prepared query: where it is and what it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PreparedOperand {
    /// Its path in the query, as errors name it (`where.email.eq`, `limit`,
    /// `select[1].where.views.gt`).
    pub path: String,
    /// What it takes.
    pub kind: OperandKind,
}

/// An operand, to read or replace.
pub(super) enum OperandMut<'a> {
    /// A condition's operand.
    Value(&'a mut Value),
    /// A `limit`, `offset`, `first` or `last` (named).
    Count(&'a mut Option<u64>, &'static str),
    /// `after` or `before`.
    Cursor(&'a mut Option<String>),
}

type Visit<'f> = dyn FnMut(&dyn Fn() -> String, OperandMut<'_>) -> Result<(), Error> + 'f;

/// Visits the operands of `q` in bind order, each with its path (rendered on demand). Only
/// called on prepared queries, whose shape walk bounded their depth.
pub(super) fn walk(q: &mut Query, f: &mut Visit<'_>) -> Result<(), Error> {
    let root = Path::ROOT;
    selections(&mut q.select, &root.key("select"), f)?;
    if let Some(w) = &mut q.filter {
        filter(w, &root.key("where"), f)?;
    }
    if let Some(h) = &mut q.having {
        filter(h, &root.key("having"), f)?;
    }
    count(&mut q.limit, &root, "limit", f)?;
    count(&mut q.offset, &root, "offset", f)?;
    count(&mut q.first, &root, "first", f)?;
    count(&mut q.last, &root, "last", f)?;
    cursors(&mut q.after, &mut q.before, &root, f)
}

/// `after` and `before` (of the query or of a list), when given.
fn cursors(
    after: &mut Option<String>,
    before: &mut Option<String>,
    base: &Path<'_>,
    f: &mut Visit<'_>,
) -> Result<(), Error> {
    for (cursor, key) in [(after, "after"), (before, "before")] {
        if cursor.is_some() {
            f(&|| base.key(key).render(), OperandMut::Cursor(cursor))?;
        }
    }
    Ok(())
}

fn count(
    n: &mut Option<u64>,
    base: &Path<'_>,
    key: &'static str,
    f: &mut Visit<'_>,
) -> Result<(), Error> {
    if n.is_some() {
        f(&|| base.key(key).render(), OperandMut::Count(n, key))?;
    }
    Ok(())
}

fn selections(select: &mut [Selection], path: &Path<'_>, f: &mut Visit<'_>) -> Result<(), Error> {
    for (i, s) in select.iter_mut().enumerate() {
        let Selection::Field(fs) = s else { continue };
        let p = path.index(i);
        if let Some(sub) = &mut fs.select {
            selections(sub, &p.key("select"), f)?;
        }
        if let Some(w) = &mut fs.filter {
            filter(w, &p.key("where"), f)?;
        }
        count(&mut fs.limit, &p, "limit", f)?;
        count(&mut fs.offset, &p, "offset", f)?;
        if let Some(page) = fs.page.as_deref_mut() {
            count(&mut page.first, &p, "first", f)?;
            count(&mut page.last, &p, "last", f)?;
            cursors(&mut page.after, &mut page.before, &p, f)?;
        }
    }
    Ok(())
}

fn filter(fl: &mut Filter, path: &Path<'_>, f: &mut Visit<'_>) -> Result<(), Error> {
    match fl {
        Filter::And(children) => junction(children, &path.key("and"), f)?,
        Filter::Or(children) => junction(children, &path.key("or"), f)?,
        Filter::Object(children) => {
            for c in children {
                filter(c, path, f)?;
            }
        }
        Filter::Not(inner) => filter(inner, &path.key("not"), f)?,
        Filter::Condition(c) => {
            let Condition {
                path: field,
                op,
                value,
            } = c;
            if !operand_is_shape(*op) {
                let op = op.name();
                f(
                    &|| field_path_string(path, &field.0, Some(op)),
                    OperandMut::Value(value),
                )?;
            }
        }
        Filter::Nested(n) => {
            let NestedFilter {
                path: field,
                quantifier,
                filter: inner,
            } = n;
            let below = path.keys(&field.0);
            match quantifier {
                Some(q) => filter(inner, &below.key(q.name()), f)?,
                None => filter(inner, &below, f)?,
            }
        }
    }
    Ok(())
}

/// The children of an explicit `and`/`or`, at `key[i]`.
fn junction(children: &mut [Filter], key: &Path<'_>, f: &mut Visit<'_>) -> Result<(), Error> {
    for (i, c) in children.iter_mut().enumerate() {
        filter(c, &key.index(i), f)?;
    }
    Ok(())
}

/// The parameters of the bound plan `b` made from `values` (in bind order; `operands[i]`
/// says what value `i` stands for: a count, a cursor, a condition's operand), or `None` when
/// a value does not bind (the caller compiles to report it).
pub(super) fn bind_fast(
    b: &Bound,
    values: &[Value],
    operands: &[PreparedOperand],
    limits: &crate::Limits,
) -> Option<Vec<Param>> {
    let mut params = Vec::with_capacity(b.slots.len());
    let mut scratch = Scratch::default();
    for (ty, at, conv) in b.slots.iter() {
        let at = *at as usize;
        let value = values.get(at)?;
        let src = match (&operands.get(at)?.kind, value) {
            (OperandKind::Count, Value::Int(n)) if *n >= 0 => Source::Count(Some(*n as u64)),
            (OperandKind::Cursor, Value::Str(c)) => Source::Cursor(c),
            (OperandKind::Count | OperandKind::Cursor, _) => return None,
            _ => Source::Value(value),
        };
        params.push(Param::new(
            *ty,
            conv.make_with(src, limits, &mut scratch).ok()?,
        ));
    }
    Some(params)
}

/// [`bind_fast`] with the operands read where the host holds them, through `operand` (the
/// source of operand `i`, or `None`; it may be asked for the same operand again): strings,
/// integers, booleans and lists of them build no [`Value`] (a string is read in place and
/// copied once, into its parameter); anything else is converted to one and bound as
/// [`bind_fast`] binds it. Every parameter is made by the checks [`bind_fast`] applies
/// ([`scalar_fast`]'s, else the slot's own conversion), so the result is the same; `None`
/// when a value is not read, does not bind, or is a cursor (the caller then converts the
/// values and takes [`bind_fast`]'s path, which reports what is wrong).
pub(super) fn bind_sources<S: HostSource>(
    b: &Bound,
    operand: &mut dyn FnMut(usize) -> Option<S>,
    operands: &[PreparedOperand],
    limits: &crate::Limits,
) -> Option<Vec<Param>> {
    // Errors are not reported from here: the owned path does that, at the operand's path.
    let at_root = &Path::ROOT;
    let mut params = Vec::with_capacity(b.slots.len());
    for (ty, at, conv) in b.slots.iter() {
        let at = *at as usize;
        let src = operand(at)?;
        let kind = src.kind(at_root).ok()?;
        let value = match (&operands.get(at)?.kind, kind) {
            (OperandKind::Count, Kind::Int(n)) if n >= 0 => {
                make(conv, Source::Count(Some(n as u64)), limits)?
            }
            (OperandKind::Count | OperandKind::Cursor, _) => return None,
            _ => value_param(conv, src, kind, &mut || operand(at), limits)?,
        };
        params.push(Param::new(*ty, value));
    }
    Some(params)
}

/// One slot's parameter made from the condition operand `src`, of kind `kind`, read in
/// place: a string is read where the host holds it, an integer, a boolean or `null` builds
/// no [`Value`], a list of strings, integers or booleans is read item by item; anything else
/// (and a list that does not take that path, which `again` reads a second time) is converted
/// to a [`Value`] and made by the slot's own conversion. The same parameter, or the same
/// refusal (`None`), as the slot's conversion of the operand as a [`Value`].
#[inline(always)]
pub(super) fn value_param<S: HostSource>(
    conv: &Conv,
    src: S,
    kind: Kind,
    again: &mut dyn FnMut() -> Option<S>,
    limits: &crate::Limits,
) -> Option<ParamValue> {
    let at_root = &Path::ROOT;
    match kind {
        Kind::Str => {
            let text = src.str(at_root).ok()?;
            match conv {
                Conv::Scalar(s) => str_fast(&text, *s, limits),
                _ => None,
            }
            .or_else(|| make(conv, Source::Value(&Value::Str(text.into_owned())), limits))
        }
        Kind::List => match conv {
            Conv::List(s) => list_fast(src, *s, limits),
            _ => None,
        }
        .or_else(|| {
            let v = again()?.into_value(at_root).ok()?;
            make(conv, Source::Value(&v), limits)
        }),
        Kind::Null => make(conv, Source::Value(&Value::Null), limits),
        Kind::Bool(v) => make(conv, Source::Value(&Value::Bool(v)), limits),
        Kind::Int(i) => make(conv, Source::Value(&Value::Int(i)), limits),
        Kind::Number | Kind::Object => {
            make(conv, Source::Value(&src.into_value(at_root).ok()?), limits)
        }
    }
}

/// One slot's parameter from `src` (never a cursor: [`bind_sources`] leaves those to
/// [`bind_fast`], whose slots share the decoded cursor).
fn make(conv: &Conv, src: Source<'_>, limits: &crate::Limits) -> Option<ParamValue> {
    conv.make_with(src, limits, &mut Scratch::default()).ok()
}

/// A list of scalars of type `s` read in place, when its length is within the limit and
/// every item takes [`scalar_fast`]'s path (as the slot's conversion, `scalar_list`, makes
/// it); `None` otherwise (the caller converts the list and binds it as a compile does).
fn list_fast<S: HostSource>(src: S, s: ScalarType, limits: &crate::Limits) -> Option<ParamValue> {
    let n = src.len();
    if n > limits.max_list_len {
        return None;
    }
    let at_root = &Path::ROOT;
    let mut items = Vec::with_capacity(n);
    let stop = || Error::new(ErrorKind::Internal, "", "");
    src.items(at_root, |_, item| {
        let v = match item.kind(at_root)? {
            Kind::Str => str_fast(&item.str(at_root)?, s, limits),
            Kind::Int(i) => scalar_fast(&Value::Int(i), s, limits),
            Kind::Bool(b) => scalar_fast(&Value::Bool(b), s, limits),
            _ => None,
        };
        items.push(v.ok_or_else(stop)?);
        Ok(())
    })
    .ok()?;
    (items.len() <= limits.max_list_len).then_some(ParamValue::Array(items))
}

/// `query` with `values` (in bind order) put in place of its operands; a count or cursor
/// that is not one is refused as the parser refuses it, at the operand's path.
pub(super) fn substitute(query: &mut Query, values: &[Value]) -> Result<(), Error> {
    let mut next = values.iter();
    walk(query, &mut |path, operand| {
        let Some(v) = next.next() else {
            return Err(Error::new(
                ErrorKind::Internal,
                "",
                "fewer values than operands",
            ));
        };
        let at = |e: Error| Error::new(e.kind(), path(), e.message());
        match operand {
            OperandMut::Value(slot) => *slot = v.clone(),
            OperandMut::Count(n, what) => {
                *n = Some(count_operand(v, &Path::ROOT, what).map_err(at)?)
            }
            OperandMut::Cursor(c) => *c = cursor_operand(v, &Path::ROOT).map_err(at)?,
        }
        Ok(())
    })
}
