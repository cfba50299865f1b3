//! Operand validation: a JSON-like `Value` checked against a field type and turned into a
//! typed parameter value, with `QB_INVALID_VALUE` (and the operand's path) when it does not fit.

use crate::Value;
use crate::error::{Error, ErrorKind, Seg};
use crate::options::Limits;
use crate::param::{ParamValue, PgType};
use crate::schema::ScalarType;
use smallvec::SmallVec;
use std::net::IpAddr;

/// One operand (or a part of one), with what it takes to build `QB_INVALID_VALUE` errors at
/// its path: the operator's path plus the keys/indexes into the operand (rendered only on
/// failure, e.g. `where.id.in[1]`, `where.embedding.l2_distance.vector[2]`).
pub(crate) struct Operand<'v, 'l> {
    pub(crate) value: &'v Value,
    pub(crate) limits: &'l Limits,
    pub(crate) path: &'v dyn Fn() -> String,
    pub(crate) suffix: SmallVec<[Seg<'v>; 2]>,
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
                if s.contains('\0') {
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
                    return Err(self.err(format!(
                        "unknown key `{k}` (expected {})",
                        allowed.join(", ")
                    )));
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

    /// One scalar of type `ty`, as the parameter type and value it travels as.
    pub(crate) fn scalar(&self, ty: ScalarType) -> Result<(PgType, ParamValue), Error> {
        if matches!(self.value, Value::Null) {
            return Err(self.null_error(ty.name()));
        }
        Ok(match ty {
            ScalarType::Text => (
                PgType::Text,
                ParamValue::Text(self.string("a string")?.to_owned()),
            ),
            ScalarType::Integer => (PgType::Bigint, ParamValue::Int(self.integer()?)),
            ScalarType::Numeric => (PgType::Numeric, ParamValue::Text(self.numeric()?)),
            ScalarType::Boolean => (PgType::Boolean, ParamValue::Bool(self.boolean()?)),
            ScalarType::Uuid => (PgType::Uuid, ParamValue::Text(self.uuid()?)),
            ScalarType::Date => {
                let s = self.string("a date (YYYY-MM-DD)")?;
                if !is_date(s) {
                    return Err(self.err(format!("`{s}` is not a date (YYYY-MM-DD)")));
                }
                (PgType::Date, ParamValue::Text(s.to_owned()))
            }
            ScalarType::Timestamptz => {
                let s = self.string("a timestamp")?;
                if !is_timestamptz(s) {
                    return Err(self.err(format!(
                        "`{s}` is not an ISO 8601 timestamp with an offset (e.g. 2024-01-31T10:00:00Z)"
                    )));
                }
                (PgType::Timestamptz, ParamValue::Text(s.to_owned()))
            }
            ScalarType::Inet => (PgType::Inet, ParamValue::Text(self.inet(false)?)),
            ScalarType::Cidr => (PgType::Cidr, ParamValue::Text(self.inet(true)?)),
            ScalarType::Macaddr => (PgType::Macaddr, ParamValue::Text(self.macaddr()?)),
            ScalarType::Ltree => {
                let s = self.string("an ltree path")?;
                if !is_ltree(s) {
                    return Err(self.err(format!(
                        "`{s}` is not an ltree path (labels of A-Z a-z 0-9 _ joined by dots)"
                    )));
                }
                (PgType::Ltree, ParamValue::Text(s.to_owned()))
            }
            ScalarType::Daterange => {
                let s = self.string("a date range")?;
                if !is_daterange(s) {
                    return Err(self.err(format!(
                        "`{s}` is not a date range such as [2024-01-01,2024-02-01)"
                    )));
                }
                (PgType::Daterange, ParamValue::Text(s.to_owned()))
            }
            ScalarType::Jsonb | ScalarType::Coordinates => {
                (PgType::Jsonb, ParamValue::Text(self.json()?))
            }
            ScalarType::Vector => (PgType::Vector, ParamValue::Text(self.vector()?)),
            ScalarType::Bit => {
                let s = self.string("a bit string")?;
                if s.is_empty() || !s.bytes().all(|b| b == b'0' || b == b'1') {
                    return Err(self.err(format!("`{s}` is not a bit string of 0 and 1")));
                }
                (PgType::Bit, ParamValue::Text(s.to_owned()))
            }
            ScalarType::Tsvector => (
                PgType::Text,
                ParamValue::Text(self.string("a string")?.to_owned()),
            ),
        })
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
            other => Err(self.err(format!("expected an integer, found {}", describe(other)))),
        }
    }

    fn numeric(&self) -> Result<String, Error> {
        match self.value {
            Value::Int(i) => Ok(itoa::Buffer::new().format(*i).to_owned()),
            Value::Float(f) if f.is_finite() => {
                let mut s = String::new();
                crate::value::write_float(*f, &mut s);
                Ok(s)
            }
            // A `Number` is checked (grammar, numeric's range) when it is made.
            Value::Decimal(d) => self.bounded(d.as_str()).map(str::to_owned),
            Value::Str(d) if is_decimal(d) && crate::number::decimal_text_in_range(d) => {
                Ok(d.clone())
            }
            Value::Str(d) => Err(self.err(format!("`{d}` is not a decimal number"))),
            other => Err(self.err(format!("expected a number, found {}", describe(other)))),
        }
    }

    fn uuid(&self) -> Result<String, Error> {
        let s = self.string("a UUID")?;
        let b = s.as_bytes();
        let ok = b.len() == 36
            && b.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            });
        if !ok {
            return Err(self.err(format!(
                "`{s}` is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
            )));
        }
        Ok(s.to_ascii_lowercase())
    }

    fn inet(&self, cidr: bool) -> Result<String, Error> {
        let what = if cidr {
            "a network (address/prefix)"
        } else {
            "an IP address"
        };
        let s = self.string(what)?;
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| self.err(format!("`{s}` is not {what}")))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let bits = match prefix {
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max && !p.starts_with('+') => n,
                _ => return Err(self.err(format!("`{s}` has an invalid prefix length"))),
            },
            None => max,
        };
        if cidr {
            let host_bits_set = match ip {
                IpAddr::V4(v4) => bits < 32 && (u32::from(v4) & (u32::MAX >> bits)) != 0,
                IpAddr::V6(v6) => bits < 128 && (u128::from(v6) & (u128::MAX >> bits)) != 0,
            };
            if host_bits_set {
                return Err(self.err(format!("`{s}` has bits set to the right of the prefix")));
            }
        }
        Ok(s.to_owned())
    }

    fn macaddr(&self) -> Result<String, Error> {
        let s = self.string("a MAC address")?;
        let b = s.as_bytes();
        let sep = b.get(2).copied();
        let ok = b.len() == 17
            && matches!(sep, Some(b':') | Some(b'-'))
            && b.iter().enumerate().all(|(i, c)| {
                if i % 3 == 2 {
                    Some(*c) == sep
                } else {
                    c.is_ascii_hexdigit()
                }
            });
        if !ok {
            return Err(self.err(format!("`{s}` is not a MAC address (08:00:2b:01:02:03)")));
        }
        Ok(s.to_ascii_lowercase().replace('-', ":"))
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
            !s.is_empty() && s.len() <= 127 && s.split('.').all(crate::schema::is_sql_identifier);
        if !ok {
            return Err(self.err(format!("`{s}` is not a text search configuration name")));
        }
        Ok(s.to_owned())
    }

    /// An lquery / ltxtquery: checked for its character set; PostgreSQL checks the syntax.
    pub(crate) fn ltree_query(&self, what: &str) -> Result<String, Error> {
        let s = self.string(what)?;
        let ok = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.*|!@%{},&() -".contains(c));
        if !ok {
            return Err(self.err(format!("`{s}` is not {what}")));
        }
        Ok(s.to_owned())
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        other => other.type_name().into(),
    }
}

fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start || i - exp_start > 4 {
            return false;
        }
    }
    i == b.len()
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// `YYYY-MM-DD` naming a real calendar day.
pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10]))
    else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1 && d >= 1 && d <= days
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.frac]](Z|±HH[:MM])`.
pub(crate) fn is_timestamptz(s: &str) -> bool {
    let b = s.as_bytes();
    // `get` rather than slicing: byte 10 may fall inside a multi-byte character.
    let Some(date) = s.get(..10) else {
        return false;
    };
    if b.len() < 17 || !is_date(date) || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return false;
    }
    let rest = &b[11..];
    let (Some(h), Some(mi)) = (
        digits(rest.get(0..2).unwrap_or(&[])),
        digits(rest.get(3..5).unwrap_or(&[])),
    ) else {
        return false;
    };
    if rest[2] != b':' || h > 23 || mi > 59 {
        return false;
    }
    let mut i = 5;
    if rest.get(i) == Some(&b':') {
        match digits(rest.get(i + 1..i + 3).unwrap_or(&[])) {
            Some(sec) if sec <= 60 => i += 3,
            _ => return false,
        }
        if rest.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while rest.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return false;
            }
        }
    }
    match &rest[i..] {
        b"Z" | b"z" => true,
        [sign @ (b'+' | b'-'), tz @ ..] => {
            let _ = sign;
            match tz.len() {
                2 => digits(tz).is_some_and(|h| h <= 15),
                4 => digits(tz).is_some(),
                5 => {
                    tz[2] == b':'
                        && digits(&tz[..2]).is_some_and(|h| h <= 15)
                        && digits(&tz[3..]).is_some()
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Labels of `[A-Za-z0-9_]` joined by dots (PostgreSQL 15's ltree); the empty path is valid.
pub(crate) fn is_ltree(s: &str) -> bool {
    s.is_empty()
        || s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 1000
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        })
}

/// `empty`, or `[`/`(` + optional date + `,` + optional date + `]`/`)`.
pub(crate) fn is_daterange(s: &str) -> bool {
    if s.eq_ignore_ascii_case("empty") {
        return true;
    }
    let b = s.as_bytes();
    if b.len() < 3 || !matches!(b[0], b'[' | b'(') || !matches!(b[b.len() - 1], b']' | b')') {
        return false;
    }
    let inner = &s[1..s.len() - 1];
    let Some((lo, hi)) = inner.split_once(',') else {
        return false;
    };
    (lo.is_empty() || is_date(lo)) && (hi.is_empty() || is_date(hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2024-13-01"));
        assert!(is_timestamptz("2024-01-31T10:00:00Z"));
        assert!(is_timestamptz("2024-01-31 10:00:00.123+02:00"));
        assert!(is_timestamptz("2024-01-31T10:00+0530"));
        assert!(!is_timestamptz("2024-01-31T10:00:00"));
        assert!(!is_timestamptz("2024-01-31T25:00:00Z"));
        assert!(!is_timestamptz("6035-11-0\u{da}1T12:00:00+02:00"));
    }

    #[test]
    fn decimals_ranges_and_ltree() {
        assert!(is_decimal("-12.5e3"));
        assert!(is_decimal(".5"));
        assert!(!is_decimal("1e"));
        assert!(!is_decimal("12.5.1"));
        assert!(!is_decimal("NaN"));
        assert!(is_daterange("[2024-01-01,2024-02-01)"));
        assert!(is_daterange("(,2024-02-01]"));
        assert!(!is_daterange("[2024-01-01;2024-02-01)"));
        assert!(is_ltree("top.science"));
        assert!(!is_ltree("top..science"));
        assert!(!is_ltree("top.sci-ence"));
    }
}
