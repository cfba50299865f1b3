//! Parameter slots: how each parameter of a statement is made from the query, so the shape
//! cache can build the parameters of another query of the same shape without resolving a
//! name or writing SQL (ARCHITECTURE.md, "The shape cache").
//!
//! The writer records one [`Slot`] per parameter, in the same call that writes its
//! placeholder ([`SqlWriter::param_from`](crate::sql::SqlWriter::param_from)); a parameter
//! written without one is [`Slot::Opaque`] and its plan is not cached. Each [`Conv`] runs the
//! same validation and conversion as the compiler (the functions below are shared by both):
//! the whole operand is checked by every slot made from it, so a bind succeeds only where a
//! compile succeeds, with the same values.

use std::sync::Arc;

use super::page;
use super::values::Operand;
use crate::Value;
use crate::error::{Error, ErrorKind};
use crate::options::{CursorKey, Limits};
use crate::param::{ParamValue, PgType};
use crate::schema::ScalarType;

use ScalarType as S;

/// How one parameter is made.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    /// A parameter with no recorded source: its plan is not cached.
    Opaque,
    /// Made from the operand at address `operand` of the planned query (the plan maps it to
    /// the operand's position in the canonical order, see `cache.rs`) by `conv`.
    From {
        /// The operand's address (`&Condition::value`, `&Query::limit`, ...).
        operand: usize,
        /// The validation and conversion.
        conv: Conv,
    },
}

impl Slot {
    /// The slot of a parameter made from `operand` by `conv`.
    pub(crate) fn of<T>(operand: &T, conv: Conv) -> Slot {
        Slot::From {
            operand: std::ptr::from_ref(operand) as usize,
            conv,
        }
    }
}

/// An operand as a slot reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'q> {
    /// A condition's operand.
    Value(&'q Value),
    /// A `limit` or `offset`, or a page size (`first`, `last`).
    Count(Option<u64>),
    /// A cursor (`after`, `before`).
    Cursor(&'q str),
}

/// The validation and conversion of one parameter; see the functions of the same name.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub(crate) enum Conv {
    /// [`Operand::scalar`].
    Scalar(ScalarType),
    /// [`scalar_list`].
    List(ScalarType),
    /// [`pattern`].
    Pattern { like: bool },
    /// [`substring`].
    Substring { prefix: bool, suffix: bool },
    /// Part `part` (0 language, 1 query, 2 threshold) of [`fulltext`].
    Fulltext {
        part: u8,
        rank: bool,
        default_language: Box<str>,
    },
    /// [`in_range`]'s `from` (or `to`).
    InRange { to: bool },
    /// [`Operand::ltree_query`].
    LtreeQuery { txt: bool },
    /// [`lquery_list`].
    LqueryList,
    /// [`Operand::count`].
    Count,
    /// [`vector`]'s vector (or threshold).
    Vector { s: ScalarType, threshold: bool },
    /// Part `part` (0 lat, 1 lng, 2 meters) of [`distance`].
    Distance { part: u8 },
    /// [`Operand::json`].
    Json,
    /// [`Operand::string`] as text.
    Text { what: &'static str },
    /// [`keys`].
    Keys,
    /// [`json_array`] of the operand list (`list`) or of the operand alone.
    JsonArray { elem: ScalarType, list: bool },
    /// A `limit` ([`limit`]), with the nested-list cap when one applies.
    Limit { cap: Option<u64> },
    /// An `offset` ([`offset`]).
    Offset,
    /// A page size (`first` or `last`), plus one for the row `page_info` probes, within the
    /// nested-list cap when one applies ([`page_size`]).
    PageSize { plus_one: bool, cap: Option<u64> },
    /// The value of order key `index` of a cursor, as the `jsonb` text the cursor row binds
    /// ([`page::cursor_values`], [`page::cursor_json`]).
    Cursor { index: u32, cursor: Arc<CursorSlot> },
}

/// What a cursor is checked against, fixed by the plan: the query's fingerprint, the key
/// and each order key's type check. Shared by the slots of one cursor.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CursorSlot {
    /// The options' key (the shape holds it: a plan is bound under its own key only).
    pub(crate) key: Option<CursorKey>,
    /// The fingerprint of the view and ordering.
    pub(crate) fp: [u8; 8],
    /// Per order key, the type its value is checked as (`None`: not checked).
    pub(crate) checks: Box<[Option<ScalarType>]>,
    /// `before` (else `after`): the path of an error.
    pub(crate) before: bool,
}

/// What the slots of one bind share: the cursor decoded last, so the slots of a cursor's
/// values (one per order key, in each query block that reads them) decode and check it once.
#[derive(Default)]
pub(crate) struct Scratch<'q> {
    /// The cursor's text, its check, and its values as the `jsonb` parameters bind them.
    cursor: Option<(&'q str, Arc<CursorSlot>, Vec<String>)>,
}

impl Conv {
    /// The parameter value this slot makes from `src`, validated as a compile validates it,
    /// sharing `scratch` with the other slots of the same bind. An error's path is not the
    /// compile's: a caller that reports it recompiles instead.
    pub(crate) fn make_with<'q>(
        &self,
        src: Source<'q>,
        limits: &Limits,
        scratch: &mut Scratch<'q>,
    ) -> Result<ParamValue, Error> {
        let no_path = || String::new();
        let value = match src {
            Source::Value(v) => v,
            Source::Count(n) => {
                return match self {
                    Conv::Limit { cap } => limit(n, *cap),
                    Conv::Offset => offset(n),
                    Conv::PageSize { plus_one, cap } => page_size(n, *plus_one, *cap),
                    _ => Err(internal("a count operand in a value slot")),
                };
            }
            Source::Cursor(text) => {
                let Conv::Cursor { index, cursor } = self else {
                    return Err(internal("a cursor operand in another slot"));
                };
                let known = scratch.cursor.as_ref().is_some_and(|(t, c, _)| {
                    std::ptr::eq(*t, text) && (Arc::ptr_eq(c, cursor) || **c == **cursor)
                });
                if !known {
                    let values = page::cursor_values(
                        text,
                        cursor.key.as_ref(),
                        &cursor.fp,
                        &cursor.checks,
                        limits,
                        &|| (if cursor.before { "before" } else { "after" }).to_owned(),
                    )?;
                    let json = values.iter().map(|v| page::cursor_json(v.as_deref()));
                    scratch.cursor = Some((text, Arc::clone(cursor), json.collect()));
                }
                let values = scratch
                    .cursor
                    .as_ref()
                    .map(|(_, _, v)| v)
                    .ok_or_else(|| internal("a cursor slot without its cursor"))?;
                let value = values
                    .get(*index as usize)
                    .ok_or_else(|| internal("a cursor slot past the cursor's keys"))?;
                return Ok(ParamValue::Text(value.clone()));
            }
        };
        let v = Operand::new(value, limits, &no_path);
        Ok(match self {
            Conv::Scalar(s) => v.scalar(*s)?.1,
            Conv::List(s) => scalar_list(&v, *s)?,
            Conv::Pattern { like } => ParamValue::Text(pattern(&v, *like)?),
            Conv::Substring { prefix, suffix } => {
                ParamValue::Text(substring(&v, *prefix, *suffix)?)
            }
            Conv::Fulltext {
                part,
                rank,
                default_language,
            } => {
                let (query, language, threshold) =
                    fulltext(&v, *rank, || default_language.to_string())?;
                match part {
                    0 => ParamValue::Text(language),
                    1 => ParamValue::Text(query),
                    _ => ParamValue::Float(threshold),
                }
            }
            Conv::InRange { to } => {
                let (from, upto) = in_range(&v)?;
                if *to { upto } else { from }
            }
            Conv::LtreeQuery { txt } => ParamValue::Text(v.ltree_query(*txt)?),
            Conv::LqueryList => lquery_list(&v)?,
            Conv::Count => ParamValue::Int(v.count()?),
            Conv::Vector { s, threshold } => {
                let ((_, vector), t) = vector(&v, *s)?;
                if *threshold {
                    ParamValue::Float(t)
                } else {
                    vector
                }
            }
            Conv::Distance { part } => {
                let (lat, lng, meters) = distance(&v)?;
                ParamValue::Float(match part {
                    0 => lat,
                    1 => lng,
                    _ => meters,
                })
            }
            Conv::Json => ParamValue::Text(v.json()?),
            Conv::Text { what } => ParamValue::Text(v.string(what)?.to_owned()),
            Conv::Keys => keys(&v)?,
            Conv::JsonArray { elem, list } => ParamValue::Text(if *list {
                json_array(*elem, &v, v.list()?, true)?
            } else {
                json_array(*elem, &v, std::slice::from_ref(v.value), false)?
            }),
            Conv::Limit { .. } | Conv::Offset | Conv::PageSize { .. } | Conv::Cursor { .. } => {
                return Err(internal("a value operand in a count or cursor slot"));
            }
        })
    }
}

/// `in`/`nin`: every element as `s`, one array parameter.
pub(crate) fn scalar_list(v: &Operand<'_, '_>, s: ScalarType) -> Result<ParamValue, Error> {
    let items = v.list()?;
    let mut values = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        values.push(match super::values::scalar_fast(item, s, v.limits) {
            Some(value) => value,
            None => v.item(i, item).scalar(s)?.1,
        });
    }
    Ok(ParamValue::Array(values))
}

/// `like`/`ilike` (`like`) and the regex operators: the pattern as given; a LIKE pattern must
/// not end with a lone escape character.
pub(crate) fn pattern(v: &Operand<'_, '_>, like: bool) -> Result<String, Error> {
    let pattern = v.string("a pattern string")?.to_owned();
    if like && pattern.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1 {
        return Err(v.err(
            "a LIKE pattern must not end with the escape character `\\` (write `\\\\` for a literal backslash)",
        ));
    }
    Ok(pattern)
}

/// Substring tests: the operand with LIKE's wildcards escaped, `%` before (`prefix`) and
/// after (`suffix`).
pub(crate) fn substring(v: &Operand<'_, '_>, prefix: bool, suffix: bool) -> Result<String, Error> {
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
    Ok(pattern)
}

/// A full-text operand: `"text"` or `{"query": "text", "language": "simple"}`; rank operators
/// (`rank`) take `{"query", "threshold", "language"?}`. Returns (query, language, threshold;
/// 0 when not `rank`).
pub(crate) fn fulltext(
    v: &Operand<'_, '_>,
    rank: bool,
    default_language: impl FnOnce() -> String,
) -> Result<(String, String, f64), Error> {
    if rank {
        let entries = v.object(&["query", "threshold", "language"])?;
        let query = v
            .field(entries, "query")?
            .string("a query string")?
            .to_owned();
        let threshold = v.field(entries, "threshold")?.float()?;
        let language = match v.opt_field(entries, "language") {
            Some(l) => l.config_name()?,
            None => default_language(),
        };
        return Ok((query, language, threshold));
    }
    Ok(match v.value {
        Value::Object(_) => {
            let entries = v.object(&["query", "language"])?;
            let query = v
                .field(entries, "query")?
                .string("a query string")?
                .to_owned();
            let language = match v.opt_field(entries, "language") {
                Some(l) => l.config_name()?,
                None => default_language(),
            };
            (query, language, 0.0)
        }
        _ => (
            v.string("a query string")?.to_owned(),
            default_language(),
            0.0,
        ),
    })
}

/// `inRange`: `{"from": inet, "to": inet}`.
pub(crate) fn in_range(v: &Operand<'_, '_>) -> Result<(ParamValue, ParamValue), Error> {
    let entries = v.object(&["from", "to"])?;
    let (_, from) = v.field(entries, "from")?.scalar(S::Inet)?;
    let (_, to) = v.field(entries, "to")?.scalar(S::Inet)?;
    Ok((from, to))
}

/// `matches_any_lquery`: a list of lqueries, one array parameter.
pub(crate) fn lquery_list(v: &Operand<'_, '_>) -> Result<ParamValue, Error> {
    let items = v.list()?;
    let mut qs = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        qs.push(ParamValue::Text(v.item(i, item).ltree_query(false)?));
    }
    Ok(ParamValue::Array(qs))
}

/// Vector distances: `{"vector": [..] | "0101", "threshold": n}`.
pub(crate) fn vector(
    v: &Operand<'_, '_>,
    s: ScalarType,
) -> Result<((PgType, ParamValue), f64), Error> {
    let entries = v.object(&["vector", "threshold"])?;
    let vector = v.field(entries, "vector")?.scalar(s)?;
    let threshold = v.field(entries, "threshold")?.float()?;
    Ok((vector, threshold))
}

/// `distance_within`: `{"lat", "lng", "meters"}` within their ranges.
pub(crate) fn distance(v: &Operand<'_, '_>) -> Result<(f64, f64, f64), Error> {
    let entries = v.object(&["lat", "lng", "meters"])?;
    let lat = v.field(entries, "lat")?.float()?;
    let lng = v.field(entries, "lng")?.float()?;
    let meters = v.field(entries, "meters")?.float()?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) || meters < 0.0 {
        return Err(v.err("lat must be within ±90, lng within ±180 and meters not negative"));
    }
    Ok((lat, lng, meters))
}

/// `has_any_keys`/`has_all_keys`: a list of keys, one `text[]` parameter.
pub(crate) fn keys(v: &Operand<'_, '_>) -> Result<ParamValue, Error> {
    let items = v.list()?;
    let mut keys = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        keys.push(ParamValue::Text(
            v.item(i, item).string("a key")?.to_owned(),
        ));
    }
    Ok(ParamValue::Array(keys))
}

/// Validates each element as `elem` and writes the list as a JSON array in the form the
/// data stores it (numbers as numbers, everything else as canonical strings).
pub(crate) fn json_array(
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

/// A `limit` as a `bigint`, within the nested-list cap `cap` when one applies.
pub(crate) fn limit(n: Option<u64>, cap: Option<u64>) -> Result<ParamValue, Error> {
    let n = n.ok_or_else(|| internal("a limit slot without a limit"))?;
    if cap.is_some_and(|cap| n > cap) {
        return Err(internal("a nested list over the row cap"));
    }
    i64::try_from(n)
        .map(ParamValue::Int)
        .map_err(|_| internal("limit is too large"))
}

/// An `offset` as a `bigint`.
pub(crate) fn offset(n: Option<u64>) -> Result<ParamValue, Error> {
    let n = n.ok_or_else(|| internal("an offset slot without an offset"))?;
    i64::try_from(n)
        .map(ParamValue::Int)
        .map_err(|_| internal("offset is too large"))
}

/// A page size as a `bigint` (see [`page::page_size`]), plus one when `plus_one`, within
/// the nested-list cap `cap` when one applies.
pub(crate) fn page_size(
    n: Option<u64>,
    plus_one: bool,
    cap: Option<u64>,
) -> Result<ParamValue, Error> {
    let n = n.ok_or_else(|| internal("a page size slot without a page size"))?;
    if cap.is_some_and(|cap| n > cap) {
        return Err(internal("a nested page over the row cap"));
    }
    let n = page::page_size(n).ok_or_else(|| internal("the page size is too large"))?;
    Ok(ParamValue::Int(if plus_one { n + 1 } else { n }))
}

/// A bind that cannot be made (a caller recompiles, which reports the real error).
fn internal(msg: &str) -> Error {
    Error::new(ErrorKind::Internal, "", msg)
}
