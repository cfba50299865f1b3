//! Operand validation: a JSON-like `Value` checked against a field type and turned into a
//! typed parameter value, with `QB_INVALID_VALUE` (and the operand's path) when it does not fit.

use crate::Value;
use crate::error::{Error, ErrorKind, Seg};
use crate::options::Limits;
use crate::param::{ParamValue, PgType};
use crate::schema::ScalarType;
use smallvec::SmallVec;

mod c;
mod datetime;
mod ltree;
mod network;
mod number;
mod range;

const DATE: &str = "a date (e.g. 2024-01-31)";
const TIMESTAMP: &str = "a timestamp (e.g. 2024-01-31T10:00:00Z)";
const DATERANGE: &str = "a date range such as [2024-01-01,2024-02-01)";

/// Why a string is not accepted as a value of its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bad {
    /// PostgreSQL's input function rejects it.
    Invalid,
    /// PostgreSQL accepts it; we refuse it for a documented reason.
    Refused(Refusal),
}

/// Why an operand PostgreSQL accepts is refused; each has a row in docs/query-ast.md
/// ("Operand formats") and its tag appears in the error message: `refused (<tag>)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `now`, `today`, `tomorrow`, `yesterday`.
    Clock,
    /// A timestamp without an offset: the session's `TimeZone` decides.
    TimeZone,
    /// A time zone name or abbreviation.
    ZoneName,
    /// A numeric date whose field order `DateStyle` decides.
    DateStyle,
    /// `infinity` / `-infinity` dates and timestamps.
    Infinite,
    /// A date or timestamp outside years 1 to 9999 (including BC).
    YearRange,
    /// Non-ASCII text in ltree values.
    Locale,
    /// An ltxtquery nested deeper than [`ltree::LTXTQUERY_MAX_NESTING`].
    Nesting,
    /// `NaN` or `Infinity` as an array element.
    JsonNumber,
}

impl Refusal {
    /// The tag in the message (`refused (timezone)`).
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Refusal::Clock => "clock",
            Refusal::TimeZone => "timezone",
            Refusal::ZoneName => "zone-name",
            Refusal::DateStyle => "datestyle",
            Refusal::Infinite => "infinite",
            Refusal::YearRange => "year-range",
            Refusal::Locale => "locale",
            Refusal::Nesting => "nesting",
            Refusal::JsonNumber => "json-number",
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Refusal::Clock => {
                "its value depends on the clock (now, today, tomorrow, yesterday); \
                 send the date or instant itself"
            }
            Refusal::TimeZone => {
                "it has no UTC offset, so the session's TimeZone would decide the instant; \
                 add a time zone: Z or an offset such as +02:00 (a datetime object must be time-zone aware)"
            }
            Refusal::ZoneName => {
                "time zone names and abbreviations take their offsets from server settings \
                 (timezone_abbreviations, the time zone database); write Z or an offset such \
                 as +02:00"
            }
            Refusal::DateStyle => {
                "its field order depends on the session's DateStyle; write YYYY-MM-DD or a \
                 month name"
            }
            Refusal::Infinite => "infinity has no value in the drivers' native date/datetime types",
            Refusal::YearRange => {
                "years outside 1 to 9999 (and BC) have no value in the drivers' native \
                 date/datetime types"
            }
            Refusal::Locale => {
                "whether a non-ASCII character is a letter depends on the database's LC_CTYPE"
            }
            Refusal::Nesting => {
                "ltxtquery nested deeper than 1000 parentheses: PostgreSQL's limit depends on \
                 its max_stack_depth setting"
            }
            Refusal::JsonNumber => {
                "NaN and Infinity are not JSON numbers, so no stored array holds them"
            }
        }
    }
}

/// One operand (or a part of one), with what it takes to build `QB_INVALID_VALUE` errors at
/// its path: the operator's path plus the keys/indexes into the operand (rendered only on
/// failure, e.g. `where.id.in[1]`, `where.embedding.l2_distance.vector[2]`).
pub(crate) struct Operand<'v, 'l> {
    pub(crate) value: &'v Value,
    pub(crate) limits: &'l Limits,
    pub(crate) path: &'v dyn Fn() -> String,
    pub(crate) suffix: SmallVec<[Seg<'v>; 2]>,
}

/// [`Operand::scalar`]'s common cases, with no error context: a string as `text`,
/// `tsvector` or `uuid`, an integer as `integer` or `numeric`, a boolean as `boolean`, a
/// finite float as `numeric`. The same checks make the same value; `None` for anything else,
/// including every value the full path refuses (which then reports it with its path). Shape
/// cache binds and compiles alike take it first; the tests below hold it to the full path.
#[inline]
pub(crate) fn scalar_fast(value: &Value, ty: ScalarType, limits: &Limits) -> Option<ParamValue> {
    Some(match (ty, value) {
        (_, Value::Str(s)) => return str_fast(s, ty, limits),
        (ScalarType::Integer, Value::Int(i)) => ParamValue::Int(*i),
        (ScalarType::Boolean, Value::Bool(b)) => ParamValue::Bool(*b),
        (ScalarType::Numeric, Value::Int(i)) => {
            ParamValue::Text(itoa::Buffer::new().format(*i).to_owned())
        }
        (ScalarType::Numeric, Value::Float(f)) if f.is_finite() => {
            let mut s = String::new();
            crate::value::write_float(*f, &mut s);
            ParamValue::Text(s)
        }
        _ => return None,
    })
}

/// Whether `s` holds a NUL (PostgreSQL text cannot): a byte search, cheaper on the short
/// strings operands are than `str::contains`'s character search.
#[inline]
pub(crate) fn has_nul(s: &str) -> bool {
    s.as_bytes().contains(&0)
}

/// [`scalar_fast`] of a string operand, read where it is (a host's string: no [`Value`]
/// built for it).
#[inline]
pub(crate) fn str_fast(s: &str, ty: ScalarType, limits: &Limits) -> Option<ParamValue> {
    if s.len() > limits.max_string_len || has_nul(s) {
        return None;
    }
    Some(match ty {
        ScalarType::Text | ScalarType::Tsvector => ParamValue::Text(s.to_owned()),
        ScalarType::Uuid => ParamValue::Text(network::uuid(s)?),
        _ => return None,
    })
}

impl<'v, 'l> Operand<'v, 'l> {
    /// The operand at the operator's path.
    pub(crate) fn new(value: &'v Value, limits: &'l Limits, path: &'v dyn Fn() -> String) -> Self {
        Operand {
            value,
            limits,
            path,
            suffix: SmallVec::new(),
        }
    }

    /// This operand's path, rendered.
    pub(crate) fn render_path(&self) -> String {
        let mut s = (self.path)();
        for seg in &self.suffix {
            match seg {
                Seg::Key(k) => {
                    s.push('.');
                    s.push_str(k);
                }
                Seg::Index(i) => {
                    s.push('[');
                    s.push_str(itoa::Buffer::new().format(*i));
                    s.push(']');
                }
                Seg::Keys(keys) => {
                    for k in *keys {
                        s.push('.');
                        s.push_str(k);
                    }
                }
            }
        }
        s
    }

    pub(crate) fn err(&self, msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidValue, self.render_path(), msg)
    }

    fn child<'w>(&'w self, value: &'w Value, seg: Seg<'w>) -> Operand<'w, 'l> {
        let mut suffix: SmallVec<[Seg<'w>; 2]> = self.suffix.iter().copied().collect();
        suffix.push(seg);
        Operand {
            value,
            limits: self.limits,
            path: self.path,
            suffix,
        }
    }

    /// Element `index` of this (list) operand.
    pub(crate) fn item<'w>(&'w self, index: usize, value: &'w Value) -> Operand<'w, 'l> {
        self.child(value, Seg::Index(index))
    }

    /// Key `key` of this (object) operand; the key must be present.
    pub(crate) fn field<'w>(
        &'w self,
        entries: &'w [(String, Value)],
        key: &'w str,
    ) -> Result<Operand<'w, 'l>, Error> {
        match entries.iter().find(|(k, _)| k == key) {
            Some((_, value)) => Ok(self.child(value, Seg::Key(key))),
            None => Err(self.err(format!("missing key `{key}`"))),
        }
    }

    /// Key `key` of this (object) operand, if present.
    pub(crate) fn opt_field<'w>(
        &'w self,
        entries: &'w [(String, Value)],
        key: &'w str,
    ) -> Option<Operand<'w, 'l>> {
        let (_, value) = entries.iter().find(|(k, _)| k == key)?;
        Some(self.child(value, Seg::Key(key)))
    }

    /// The one message for a null operand, whatever the operator expected.
    fn null_error(&self, expected: &str) -> Error {
        self.err(format!(
            "null is not a valid operand (expected {expected}); test for null with `isnull`"
        ))
    }

    /// A string within the size limit and without NUL (PostgreSQL text cannot hold NUL).
    pub(crate) fn string(&self, what: &str) -> Result<&'v str, Error> {
        match self.value {
            Value::Str(s) => {
                self.bounded(s)?;
                if has_nul(s) {
                    return Err(self.err(format!("{what} must not contain NUL characters")));
                }
                Ok(s)
            }
            other => Err(self.err(format!("expected {what}, found {}", describe(other)))),
        }
    }

    /// `text` when it is within `max_string_len`, else `QB_SIZE_LIMIT` at this operand.
    fn bounded<'t>(&self, text: &'t str) -> Result<&'t str, Error> {
        if text.len() > self.limits.max_string_len {
            return Err(Error::new(
                ErrorKind::SizeLimit,
                self.render_path(),
                format!(
                    "string of {} bytes exceeds the limit of {}",
                    text.len(),
                    self.limits.max_string_len
                ),
            ));
        }
        Ok(text)
    }

    pub(crate) fn boolean(&self) -> Result<bool, Error> {
        match self.value {
            Value::Bool(b) => Ok(*b),
            other => Err(self.err(format!("expected a boolean, found {}", describe(other)))),
        }
    }

    pub(crate) fn list(&self) -> Result<&'v [Value], Error> {
        match self.value {
            Value::Null => Err(self.null_error("a list")),
            Value::List(items) => {
                if items.len() > self.limits.max_list_len {
                    return Err(Error::new(
                        ErrorKind::SizeLimit,
                        self.render_path(),
                        format!(
                            "list of {} items exceeds the limit of {}",
                            items.len(),
                            self.limits.max_list_len
                        ),
                    ));
                }
                Ok(items)
            }
            other => Err(self.err(format!("expected a list, found {}", describe(other)))),
        }
    }

    pub(crate) fn count(&self) -> Result<i64, Error> {
        match self.value {
            Value::Int(i) if *i >= 0 => Ok(*i),
            other => Err(self.err(format!(
                "expected a non-negative integer, found {}",
                describe(other)
            ))),
        }
    }

    pub(crate) fn float(&self) -> Result<f64, Error> {
        match self.value {
            Value::Int(i) => Ok(*i as f64),
            Value::Float(f) if f.is_finite() => Ok(*f),
            Value::Decimal(d) => d
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| self.err("expected a finite number")),
            other => Err(self.err(format!("expected a number, found {}", describe(other)))),
        }
    }

    /// The object's entries, checking that only `allowed` keys appear.
    pub(crate) fn object(&self, allowed: &[&str]) -> Result<&'v [(String, Value)], Error> {
        match self.value {
            Value::Object(entries) => {
                if let Some((k, _)) = entries.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
                    return Err(self.err(crate::suggest::unknown_key(k, allowed)));
                }
                Ok(entries)
            }
            other => Err(self.err(format!(
                "expected an object with {}, found {}",
                allowed.join(", "),
                describe(other)
            ))),
        }
    }

    /// One scalar of type `ty`, as the parameter type and value it travels as. Strings are
    /// checked against PostgreSQL's input function for the type and sent in one canonical
    /// form per value (docs/query-ast.md, "Operand formats").
    pub(crate) fn scalar(&self, ty: ScalarType) -> Result<(PgType, ParamValue), Error> {
        if let Some(value) = scalar_fast(self.value, ty, self.limits) {
            return Ok((ty.sql().param, value));
        }
        self.scalar_full(ty)
    }

    /// [`Operand::scalar`] without its fast path ([`scalar_fast`]).
    fn scalar_full(&self, ty: ScalarType) -> Result<(PgType, ParamValue), Error> {
        if matches!(self.value, Value::Null) {
            return Err(self.null_error(ty.name()));
        }
        let value = match ty {
            ScalarType::Text | ScalarType::Tsvector => {
                ParamValue::Text(self.string("a string")?.to_owned())
            }
            ScalarType::Integer => ParamValue::Int(self.integer()?),
            ScalarType::Numeric => ParamValue::Text(self.numeric()?.into_text()),
            ScalarType::Boolean => ParamValue::Bool(self.bool_value()?),
            ScalarType::Uuid => ParamValue::Text(self.uuid()?),
            ScalarType::Date => {
                let s = self.string("a date")?;
                ParamValue::Text(datetime::date(s).map_err(|b| self.bad(s, b, DATE))?)
            }
            ScalarType::Timestamptz => {
                let s = self.string("a timestamp")?;
                ParamValue::Text(datetime::timestamptz(s).map_err(|b| self.bad(s, b, TIMESTAMP))?)
            }
            ScalarType::Inet => ParamValue::Text(self.inet(false)?),
            ScalarType::Cidr => ParamValue::Text(self.inet(true)?),
            ScalarType::Macaddr => ParamValue::Text(self.macaddr()?),
            ScalarType::Ltree => {
                let s = self.string("an ltree path")?;
                ltree::ltree(s).map_err(|b| {
                    self.bad(
                        s,
                        b,
                        "an ltree path (labels of A-Z a-z 0-9 _ joined by dots)",
                    )
                })?;
                ParamValue::Text(s.to_owned())
            }
            ScalarType::Daterange => {
                let s = self.string("a date range")?;
                ParamValue::Text(range::daterange(s).map_err(|b| self.bad(s, b, DATERANGE))?)
            }
            ScalarType::Jsonb | ScalarType::Coordinates => ParamValue::Text(self.json()?),
            ScalarType::Vector => ParamValue::Text(self.vector()?),
            ScalarType::Bit => {
                let s = self.string("a bit string")?;
                if s.is_empty() || !s.bytes().all(|b| b == b'0' || b == b'1') {
                    return Err(self.err(format!("`{s}` is not a bit string of 0 and 1")));
                }
                ParamValue::Text(s.to_owned())
            }
        };
        // The parameter type is the type's row of the one table.
        Ok((ty.sql().param, value))
    }

    #[cfg(test)]
    pub(crate) fn scalar_full_for_tests(
        &self,
        ty: ScalarType,
    ) -> Result<(PgType, ParamValue), Error> {
        self.scalar_full(ty)
    }

    /// One element of an array operand (`contains`, `any_eq`, …), as the JSON value written
    /// into the jsonb operand. Array operators compare JSON values, not typed values, so
    /// string elements are validated as their type but written as given (normalising them
    /// would change which stored arrays match); numbers and booleans become JSON numbers and
    /// booleans.
    pub(crate) fn array_element(&self, ty: ScalarType) -> Result<(PgType, ParamValue), Error> {
        if ty == ScalarType::Numeric && !matches!(self.value, Value::Null) {
            return match self.numeric()? {
                number::Numeric::Finite(t) => Ok((PgType::Numeric, ParamValue::Text(t))),
                special => {
                    let text = match self.value {
                        Value::Str(s) => s.clone(),
                        _ => special.into_text(),
                    };
                    Err(self.refused(&text, Refusal::JsonNumber))
                }
            };
        }
        let (pg, value) = self.scalar(ty)?;
        Ok(match (value, self.value) {
            (v @ (ParamValue::Int(_) | ParamValue::Bool(_) | ParamValue::Float(_)), _) => (pg, v),
            (_, Value::Str(s)) => (pg, ParamValue::Text(s.clone())),
            (v, _) => (pg, v),
        })
    }

    /// A boolean field's value: a JSON boolean, or a string `boolin` accepts.
    fn bool_value(&self) -> Result<bool, Error> {
        match self.value {
            Value::Str(_) => {
                let s = self.string("a boolean")?;
                number::boolean(s).ok_or_else(|| {
                    self.err(format!(
                        "`{s}` is not a boolean (true/false, yes/no, on/off, 1/0)"
                    ))
                })
            }
            _ => self.boolean(),
        }
    }

    fn integer(&self) -> Result<i64, Error> {
        match self.value {
            Value::Int(i) => Ok(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(*f as i64),
            Value::Float(_) => Err(self.err("expected an integer, found a fractional number")),
            // `18.0` and `1.8e1` are integers written another way; `18.5` is not.
            Value::Decimal(d) if !d.is_integer() => {
                Err(self.err("expected an integer, found a fractional number"))
            }
            Value::Decimal(d) => d.to_i64().ok_or_else(|| {
                self.err(format!("`{d}` is not an integer within the 64-bit range"))
            }),
            Value::Str(_) => {
                let s = self.string("an integer")?;
                number::int8(s)
                    .ok_or_else(|| self.err(format!("`{s}` is not an integer in the bigint range")))
            }
            other => Err(self.err(format!("expected an integer, found {}", describe(other)))),
        }
    }

    fn numeric(&self) -> Result<number::Numeric, Error> {
        let text: std::borrow::Cow<'_, str> = match self.value {
            Value::Int(i) => {
                return Ok(number::Numeric::Finite(
                    itoa::Buffer::new().format(*i).to_owned(),
                ));
            }
            Value::Float(f) if f.is_finite() => {
                // The shortest round-trip decimal, positional: already canonical.
                let mut s = String::new();
                crate::value::write_float(*f, &mut s);
                return Ok(number::Numeric::Finite(s));
            }
            // A `Number` is checked (grammar, numeric's range) when it is made; its text is
            // still bounded by `max_string_len` like any operand text.
            Value::Decimal(d) => self.bounded(d.as_str())?.into(),
            Value::Str(_) => self.string("a number")?.into(),
            other => {
                return Err(self.err(format!("expected a number, found {}", describe(other))));
            }
        };
        number::numeric(&text).ok_or_else(|| self.err(format!("`{text}` is not a decimal number")))
    }

    fn uuid(&self) -> Result<String, Error> {
        let s = self.string("a UUID")?;
        network::uuid(s).ok_or_else(|| {
            self.err(format!(
                "`{s}` is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
            ))
        })
    }

    fn inet(&self, cidr: bool) -> Result<String, Error> {
        let what = if cidr {
            "a network (address/prefix)"
        } else {
            "an IP address"
        };
        let s = self.string(what)?;
        match network::inet(s, cidr) {
            Some(v) => Ok(v.to_text(cidr)),
            None if cidr && network::inet(s, false).is_some() => {
                Err(self.err(format!("`{s}` has bits set to the right of the prefix")))
            }
            None => Err(self.err(format!("`{s}` is not {what}"))),
        }
    }

    fn macaddr(&self) -> Result<String, Error> {
        let s = self.string("a MAC address")?;
        network::macaddr(s)
            .map(network::macaddr_text)
            .ok_or_else(|| self.err(format!("`{s}` is not a MAC address (08:00:2b:01:02:03)")))
    }

    fn refused(&self, s: &str, why: Refusal) -> Error {
        self.err(format!(
            "`{s}` is refused ({}): {}",
            why.tag(),
            why.reason()
        ))
    }

    /// The error for string `s` that is not `what` (`an ltree path …`).
    fn bad(&self, s: &str, bad: Bad, what: &str) -> Error {
        match bad {
            Bad::Invalid => self.err(format!("`{s}` is not {what}")),
            Bad::Refused(why) => self.refused(s, why),
        }
    }

    /// Any non-null JSON value, as JSON text.
    pub(crate) fn json(&self) -> Result<String, Error> {
        if matches!(self.value, Value::Null) {
            return Err(self.null_error("a JSON value"));
        }
        let max_depth = self.limits.effective_max_depth().saturating_mul(4);
        if self.value.depth() > max_depth {
            return Err(Error::new(
                ErrorKind::DepthLimit,
                self.render_path(),
                format!("JSON operand nested deeper than {max_depth} levels"),
            ));
        }
        let mut out = String::new();
        self.value.write_json(&mut out);
        if out.len() > self.limits.max_string_len {
            return Err(Error::new(
                ErrorKind::SizeLimit,
                self.render_path(),
                format!(
                    "JSON operand of {} bytes exceeds the limit of {}",
                    out.len(),
                    self.limits.max_string_len
                ),
            ));
        }
        if out.contains("\\u0000") {
            return Err(self.err("JSON text must not contain NUL characters"));
        }
        Ok(out)
    }

    fn vector(&self) -> Result<String, Error> {
        let items = self.list()?;
        if items.is_empty() || items.len() > 16_000 {
            return Err(self.err("a vector needs 1 to 16000 numbers"));
        }
        let mut out = String::with_capacity(items.len() * 8);
        out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let f = self.item(i, item).float()?;
            crate::value::write_float(f, &mut out);
        }
        out.push(']');
        Ok(out)
    }

    /// A text-search configuration or similar dotted SQL name passed as a parameter.
    pub(crate) fn config_name(&self) -> Result<String, Error> {
        let s = self.string("a text search configuration name")?;
        let ok =
            !s.is_empty() && s.len() <= 127 && s.split('.').all(crate::names::is_sql_identifier);
        if !ok {
            return Err(self.err(format!("`{s}` is not a text search configuration name")));
        }
        Ok(s.to_owned())
    }

    /// An `lquery` (`txt` false) or `ltxtquery` (`txt` true), checked as `lquery_in` /
    /// `ltxtquery_in` check it; sent as given (their output repeats the input).
    pub(crate) fn ltree_query(&self, txt: bool) -> Result<String, Error> {
        let what = if txt { "an ltxtquery" } else { "an lquery" };
        let s = self.string(what)?;
        let checked = if txt {
            ltree::ltxtquery(s)
        } else {
            ltree::lquery(s)
        };
        checked.map_err(|b| self.bad(s, b, what))?;
        Ok(s.to_owned())
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        other => other.type_name().into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::{CompileOptions, ParamValue, Query, Schema, compile};

    fn params(field_type: &str, op: &str, operand: &str) -> Result<Vec<ParamValue>, String> {
        let schema = Schema::from_json(&format!(
            r#"{{"views": {{"v": {{"columns": {{"id": "uuid"}}, "fields": {{"f": "{field_type}"}}}}}}}}"#
        ))
        .map_err(|e| e.message().to_owned())?;
        let q = Query::from_json(&format!(
            r#"{{"view": "v", "select": ["id"], "where": {{"f": {{"{op}": {operand}}}}}}}"#
        ))
        .map_err(|e| e.message().to_owned())?;
        compile(&q, &schema, &CompileOptions::default())
            .map(|c| c.params.into_iter().map(|p| p.value).collect())
            .map_err(|e| e.message().to_owned())
    }

    fn text(s: &str) -> ParamValue {
        ParamValue::Text(s.to_owned())
    }

    /// `scalar_fast` gives what the full path gives whenever it gives anything: every scalar
    /// type, strings of every form a fast case reads (canonical and other UUIDs, NUL, over
    /// the length limit), numbers and booleans, under two length limits.
    #[test]
    fn the_fast_path_is_the_full_path() {
        use super::{Operand, scalar_fast};
        use crate::schema::ScalarType as S;
        use crate::{Limits, Number, Value};
        let types = [
            S::Text,
            S::Integer,
            S::Numeric,
            S::Boolean,
            S::Uuid,
            S::Date,
            S::Timestamptz,
            S::Inet,
            S::Cidr,
            S::Macaddr,
            S::Ltree,
            S::Daterange,
            S::Tsvector,
            S::Vector,
            S::Bit,
        ];
        let mut values = vec![
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(0),
            Value::Int(-1),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Float(10.5),
            Value::Float(-0.0),
            Value::Float(1.0),
            Value::Float(1e15),
            Value::Float(1e300),
            Value::Float(f64::NAN),
            Value::Float(f64::INFINITY),
            Value::Decimal(Number::new("1.5").expect("a number")),
            Value::List(vec![Value::Str("a".into())]),
            Value::Object(vec![]),
        ];
        for s in [
            "",
            "a",
            "Paris",
            "x\0y",
            "\0",
            "true",
            "12",
            "00000000-0000-4000-8000-00000000000A",
            "00000000-0000-4000-8000-00000000000a",
            "{00000000-0000-4000-8000-000000000001}",
            "0000000000004000800000000000000a",
            "00000000-0000-4000-8000-00000000000g",
            "00000000-0000-4000-8000-0000000000\0a",
            "a long string past the short limit",
        ] {
            values.push(Value::Str(s.into()));
        }
        // Random strings over the characters the fast cases look at.
        let alphabet = b"0123456789abcdefABCDEFg-{}\0 x";
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let mut t = String::new();
            for k in 0..len {
                let c = alphabet[((seed >> (k % 50)) as usize + k * 7) % alphabet.len()];
                t.push(char::from(c));
            }
            if seed % 3 == 0 {
                // Dashes where a UUID has them.
                t = format!(
                    "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                    seed >> 32,
                    seed & 0xffff,
                    seed & 0xfff,
                    (seed >> 12) & 0xfff,
                    seed >> 16
                );
                if seed % 5 == 0 {
                    t = t.to_uppercase();
                }
            }
            values.push(Value::Str(t));
        }
        let limits = [Limits::default(), Limits::default().with_max_string_len(8)];
        let path = || "where.f.eq".to_owned();
        let mut fast = 0;
        for limits in &limits {
            for v in &values {
                for ty in types {
                    let full = Operand::new(v, limits, &path).scalar_full_for_tests(ty);
                    if let Some(value) = scalar_fast(v, ty, limits) {
                        fast += 1;
                        assert_eq!(full, Ok((ty.sql().param, value)), "{v:?} as {ty:?}");
                    }
                    // The entry point agrees with the full path, errors included.
                    assert_eq!(
                        Operand::new(v, limits, &path).scalar(ty),
                        full,
                        "{v:?} as {ty:?}"
                    );
                }
            }
        }
        assert!(fast > 1000, "the fast path was taken {fast} times");
    }

    #[test]
    fn scalars_are_sent_in_canonical_form() {
        assert_eq!(
            params("uuid", "in", r#"["{A0EEBC999C0B4EF8BB6D6BB9BD380A11}"]"#),
            Ok(vec![ParamValue::Array(vec![text(
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
            )])])
        );
        assert_eq!(
            params("timestamptz", "eq", r#""2024-01-31 12:00+02""#),
            Ok(vec![text("2024-01-31T10:00:00+00:00")])
        );
        assert_eq!(params("numeric", "eq", "1.50e2"), Ok(vec![text("150")]));
        assert_eq!(params("numeric", "eq", r#""-0.00""#), Ok(vec![text("0")]));
        assert_eq!(
            params("integer", "eq", r#"" 42 ""#),
            Ok(vec![ParamValue::Int(42)])
        );
        assert_eq!(
            params("boolean", "eq", r#""on""#),
            Ok(vec![ParamValue::Bool(true)])
        );
        let refused = params("timestamptz", "eq", r#""2024-01-31 12:00""#).expect_err("no offset");
        assert!(refused.contains("refused (timezone)"), "{refused}");
        // Operator switches stay JSON booleans.
        assert!(params("inet", "isPrivate", r#""yes""#).is_err());
    }

    #[test]
    fn array_elements_are_checked_but_written_as_given() {
        assert_eq!(
            params(
                "uuid[]",
                "contains",
                r#"["A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"]"#
            ),
            Ok(vec![text(r#"["A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"]"#)])
        );
        assert_eq!(
            params("timestamptz[]", "any_eq", r#""2024-01-31T10:00:00Z""#),
            Ok(vec![text(r#"["2024-01-31T10:00:00Z"]"#)])
        );
        assert_eq!(
            params("numeric[]", "contains", r#"[1.50e2, "2.50"]"#),
            Ok(vec![text("[150,2.5]")])
        );
        assert_eq!(
            params("integer[]", "contains", r#"[" 7"]"#),
            Ok(vec![text("[7]")])
        );
        let refused = params("numeric[]", "contains", r#"["NaN"]"#).expect_err("NaN element");
        assert!(refused.contains("refused (json-number)"), "{refused}");
        assert!(params("uuid[]", "contains", r#"["nope"]"#).is_err());
        assert!(params("timestamptz[]", "contains", r#"["2024-01-31T10:00:00"]"#).is_err());
    }
}
