//! `range_in` for `daterange` (PostgreSQL 15): the bracket syntax, quoting and escaping of
//! the bounds, each bound read by `date_in`, then the range made canonical as the server
//! does (`[lower, upper)`, `empty`). The canonical text is `range_out`'s under
//! `DateStyle = ISO`.

use std::borrow::Cow;

use super::Bad;
use super::c::is_space;
use super::datetime::{self, DateValue};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Bound {
    value: Option<DateValue>, // None: unbounded
    inclusive: bool,
}

/// The canonical text of a `daterange`, or the reason it is not accepted.
pub(crate) fn daterange(s: &str) -> Result<String, Bad> {
    const INVALID: Bad = Bad::Invalid;
    let b = s.as_bytes();
    if b.len() == 23
        && b[0] == b'['
        && b[11] == b','
        && b[22] == b')'
        && let (Some(lo), Some(hi)) = (datetime::iso_day(&b[1..11]), datetime::iso_day(&b[12..22]))
        && lo < hi
    {
        // The hot path: `[YYYY-MM-DD,YYYY-MM-DD)` is already canonical.
        return Ok(s.to_owned());
    }
    let mut i = 0;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    if b.len() - i >= 5 && b[i..i + 5].eq_ignore_ascii_case(b"empty") {
        return if b[i + 5..].iter().all(|&c| is_space(c)) {
            Ok("empty".into())
        } else {
            Err(INVALID)
        };
    }
    let lower_inc = match b.get(i) {
        Some(b'[') => true,
        Some(b'(') => false,
        _ => return Err(INVALID),
    };
    i += 1;
    let lower = bound(s, &mut i)?;
    if b.get(i) != Some(&b',') {
        return Err(INVALID);
    }
    i += 1;
    let upper = bound(s, &mut i)?;
    let upper_inc = match b.get(i) {
        Some(b']') => true,
        Some(b')') => false,
        _ => return Err(INVALID),
    };
    i += 1;
    if !b[i..].iter().all(|&c| is_space(c)) {
        return Err(INVALID);
    }
    // Every bound is read (and refused if need be) before the range is judged.
    let read = |text: Option<Cow<'_, str>>| -> Result<Option<DateValue>, Bad> {
        text.map(|t| datetime::date_bound(&t)).transpose()
    };
    let mut lower = Bound {
        value: read(lower)?,
        inclusive: lower_inc,
    };
    let mut upper = Bound {
        value: read(upper)?,
        inclusive: upper_inc,
    };
    // range_serialize: unbounded ends are never inclusive; lower above upper is an error;
    // equal bounds not both inclusive make the range empty.
    if lower.value.is_none() {
        lower.inclusive = false;
    }
    if upper.value.is_none() {
        upper.inclusive = false;
    }
    if let (Some(l), Some(u)) = (lower.value, upper.value) {
        if l > u {
            return Err(INVALID);
        }
        if l == u && !(lower.inclusive && upper.inclusive) {
            return Ok("empty".into());
        }
    }
    // daterange_canonical: finite bounds become [lower, upper).
    if let Some(v @ DateValue::Day(_)) = lower.value
        && !lower.inclusive
    {
        lower.value = Some(datetime::next_day(v).ok_or(INVALID)?);
        lower.inclusive = true;
    }
    if let Some(v @ DateValue::Day(_)) = upper.value
        && upper.inclusive
    {
        upper.value = Some(datetime::next_day(v).ok_or(INVALID)?);
        upper.inclusive = false;
    }
    if let (Some(l), Some(u)) = (lower.value, upper.value)
        && l == u
        && !(lower.inclusive && upper.inclusive)
    {
        return Ok("empty".into());
    }
    let mut out = String::with_capacity(26);
    out.push(if lower.inclusive { '[' } else { '(' });
    if let Some(v) = lower.value {
        push_bound(&mut out, v);
    }
    out.push(',');
    if let Some(v) = upper.value {
        push_bound(&mut out, v);
    }
    out.push(if upper.inclusive { ']' } else { ')' });
    Ok(out)
}

/// `range_parse_bound`: nothing (unbounded), or text up to `,`, `)` or `]` outside double
/// quotes, with `\x` escapes and `""` inside quotes (borrowed when it has neither).
fn bound<'s>(s: &'s str, i: &mut usize) -> Result<Option<Cow<'s, str>>, Bad> {
    let b = s.as_bytes();
    if matches!(b.get(*i), Some(b',' | b')' | b']')) {
        return Ok(None);
    }
    let start = *i;
    let plain = b[start..]
        .iter()
        .position(|&c| matches!(c, b',' | b')' | b']' | b'"' | b'\\'))
        .map(|p| start + p);
    if let Some(end) = plain
        && !matches!(b[end], b'"' | b'\\')
    {
        *i = end;
        return Ok(Some(Cow::Borrowed(&s[start..end])));
    }
    let mut text = Vec::new();
    let mut inquote = false;
    loop {
        let Some(&c) = b.get(*i) else {
            return Err(Bad::Invalid);
        };
        if !inquote && matches!(c, b',' | b')' | b']') {
            break;
        }
        *i += 1;
        if c == b'\\' {
            let Some(&e) = b.get(*i) else {
                return Err(Bad::Invalid);
            };
            text.push(e);
            *i += 1;
        } else if c == b'"' {
            if !inquote {
                inquote = true;
            } else if b.get(*i) == Some(&b'"') {
                text.push(b'"');
                *i += 1;
            } else {
                inquote = false;
            }
        } else {
            text.push(c);
        }
    }
    // An escape may split a multi-byte character; such text is no date anyway.
    String::from_utf8(text)
        .map(|t| Some(Cow::Owned(t)))
        .map_err(|_| Bad::Invalid)
}

/// A bound as `range_out` writes it: the date's text, quoted when it contains a space (BC).
fn push_bound(out: &mut String, v: DateValue) {
    if !datetime::is_bc(v) {
        datetime::write_date(out, v);
        return;
    }
    let mut text = String::with_capacity(16);
    datetime::write_date(&mut text, v);
    if text.contains(' ') {
        out.push('"');
        out.push_str(&text);
        out.push('"');
    } else {
        out.push_str(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::values::Refusal;

    #[test]
    fn ranges() {
        let ok = |s: &str, want: &str| assert_eq!(daterange(s).as_deref(), Ok(want), "{s}");
        ok("[2024-01-01,2024-02-01)", "[2024-01-01,2024-02-01)");
        ok(" [2024-01-01,2024-01-31] ", "[2024-01-01,2024-02-01)");
        ok("(2024-01-01,2024-02-01)", "[2024-01-02,2024-02-01)");
        ok("(,2024-02-01]", "(,2024-02-02)");
        ok("[,)", "(,)");
        ok("[2024-01-01,2024-01-01)", "empty");
        ok("(2024-01-01,2024-01-02)", "empty");
        ok("EMPTY", "empty");
        ok("[\"Jan 8, 1999\",infinity)", "[1999-01-08,infinity)");
        ok("[0044-03-15 BC,)", "[\"0044-03-15 BC\",)");
        ok("[ 2024-01-01 , 2024-02-01 )", "[2024-01-01,2024-02-01)");
        let bad = |s: &str| assert!(daterange(s).is_err(), "{s}");
        bad("[2024-02-01,2024-01-01)");
        bad("[2024-01-01;2024-02-01)");
        bad("[2024-01-01,2024-02-01");
        bad("empty x");
        assert_eq!(daterange("[today,)"), Err(Bad::Refused(Refusal::Clock)));
    }
}
