//! `numeric_in`, `int8in` and `boolin` of PostgreSQL 15: which strings they accept, and one
//! canonical text per value.

use super::c::{is_space, strtol};

use crate::number::numeric_in_range;

/// A `numeric` value PostgreSQL accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Numeric {
    NaN,
    Infinity,
    NegInfinity,
    /// Canonical decimal text: no exponent, no leading zeros, no trailing fractional zeros,
    /// `0` for every zero.
    Finite(String),
}

impl Numeric {
    /// The parameter text: the decimal, or `NaN`, `Infinity`, `-Infinity`.
    pub(crate) fn into_text(self) -> String {
        match self {
            Numeric::NaN => "NaN".into(),
            Numeric::Infinity => "Infinity".into(),
            Numeric::NegInfinity => "-Infinity".into(),
            Numeric::Finite(s) => s,
        }
    }
}

fn starts_with_ci(s: &[u8], word: &str) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word.as_bytes())
}

/// `numeric_in`: leading and trailing spaces, `NaN`, `[+-]Infinity`, `[+-]inf` in any case,
/// or `[+-]digits[.digits][e[+-]digits]` within numeric's storage limits.
pub(crate) fn numeric(s: &str) -> Option<Numeric> {
    let b = s.as_bytes();
    if is_canonical(b) {
        // The common case (`42`, `-12.5`): nothing to normalise.
        return Some(Numeric::Finite(s.to_owned()));
    }
    let mut i = 0;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    let rest = &b[i..];
    if matches!(rest.first(), Some(b'0'..=b'9' | b'.')) {
        return finite(rest).map(Numeric::Finite);
    }
    // The words float8in also takes, in its order.
    const SPECIAL: [(&str, i8); 7] = [
        ("NaN", 0),
        ("Infinity", 1),
        ("+Infinity", 1),
        ("-Infinity", -1),
        ("inf", 1),
        ("+inf", 1),
        ("-inf", -1),
    ];
    for (word, sign) in SPECIAL {
        if starts_with_ci(rest, word) {
            if !rest[word.len()..].iter().all(|&c| is_space(c)) {
                return None;
            }
            return Some(match sign {
                0 => Numeric::NaN,
                1 => Numeric::Infinity,
                _ => Numeric::NegInfinity,
            });
        }
    }
    finite(rest).map(Numeric::Finite)
}

/// Already canonical: `-`? digits without a leading zero (or `0`), then `.` digits not ending
/// in `0`; short enough to be within numeric's limits.
fn is_canonical(b: &[u8]) -> bool {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    let (int, frac) = match digits.iter().position(|&c| c == b'.') {
        Some(p) => (&digits[..p], Some(&digits[p + 1..])),
        None => (digits, None),
    };
    let int_ok =
        !int.is_empty() && int.iter().all(u8::is_ascii_digit) && (int[0] != b'0' || int.len() == 1);
    let frac_ok = match frac {
        None => true,
        Some(f) => !f.is_empty() && f.iter().all(u8::is_ascii_digit) && f.last() != Some(&b'0'),
    };
    // `-0` and `0.x` with a minus are canonical only as values other than zero.
    let zero = int == b"0" && frac.is_none();
    int_ok && frac_ok && !(zero && digits.len() != b.len()) && b.len() < 1000
}

/// `set_var_from_str` plus the trailing-space check and `make_result`'s overflow checks,
/// writing the canonical text straight from the input's digits.
fn finite(b: &[u8]) -> Option<String> {
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    // The digits before and after the point, as ranges of the input.
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int = int_start..i;
    let mut frac = i..i;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac = start..i;
        if b.get(i) == Some(&b'.') {
            return None;
        }
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut exponent = 0;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let (e, overflow, used) = strtol(&b[i..]);
        if used == 0 || overflow {
            return None;
        }
        i += used;
        exponent = e;
    }
    if !b[i..].iter().all(|&c| is_space(c)) {
        return None;
    }
    // The digits in order, the point skipped.
    let digit = |k: usize| -> u8 {
        if k < int.len() {
            b[int.start + k]
        } else {
            b[frac.start + k - int.len()]
        }
    };
    let total = int.len() + frac.len();
    let lead = (0..total).take_while(|&k| digit(k) == b'0').count();
    if !numeric_in_range(int.len(), frac.len(), exponent, lead) {
        return None;
    }
    if exponent == 0 {
        // No exponent (the common case): trim the zeros around the point.
        let int_digits = &b[int.start + lead.min(int.len())..int.end];
        let frac_digits = &b[frac.clone()];
        let frac_digits = &frac_digits
            [..frac_digits.len() - frac_digits.iter().rev().take_while(|&&c| c == b'0').count()];
        if int_digits.is_empty() && frac_digits.is_empty() {
            return Some("0".into());
        }
        let mut out = String::with_capacity(int_digits.len() + frac_digits.len() + 3);
        if neg {
            out.push('-');
        }
        // The digits are ASCII: each byte is a char.
        out.extend(int_digits.iter().map(|&c| char::from(c)));
        if int_digits.is_empty() {
            out.push('0');
        }
        if !frac_digits.is_empty() {
            out.push('.');
            out.extend(frac_digits.iter().map(|&c| char::from(c)));
        }
        return Some(out);
    }
    // Strip leading and trailing zeros.
    if lead == total {
        return Some("0".into());
    }
    let last = (0..total).rev().find(|&k| digit(k) != b'0').unwrap_or(lead);
    // The decimal weight of the first significant digit (10^w).
    let w = int.len() as i64 - 1 + exponent - lead as i64;
    let n = last + 1 - lead;
    let mut out = String::with_capacity(n + 3 + w.unsigned_abs() as usize);
    if neg {
        out.push('-');
    }
    let sig = (lead..=last).map(|k| char::from(digit(k)));
    if w >= 0 {
        let int_len = (w + 1) as usize;
        if n <= int_len {
            out.extend(sig);
            out.extend(std::iter::repeat_n('0', int_len - n));
        } else {
            let mut sig = sig;
            out.extend(sig.by_ref().take(int_len));
            out.push('.');
            out.extend(sig);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-w - 1) as usize));
        out.extend(sig);
    }
    Some(out)
}

/// `int8in`: spaces, an optional sign, decimal digits within the `bigint` range, spaces.
pub(crate) fn int8(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    let start = i;
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let (v, overflow, used) = strtol(&b[start..i]);
    if overflow || used != i - start {
        return None;
    }
    b[i..].iter().all(|&c| is_space(c)).then_some(v)
}

/// `boolin`: after trimming spaces, a prefix of `true`, `false`, `yes`, `no`, at least two
/// letters of `on`/`off`, or `1`/`0`, in any case.
pub(crate) fn boolean(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| !is_space(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| !is_space(c))
        .map_or(start, |e| e + 1);
    let v = &b[start..end];
    let lower: Vec<u8> = v.iter().map(u8::to_ascii_lowercase).collect();
    let prefix_of = |word: &[u8]| !lower.is_empty() && word.starts_with(&lower);
    match lower.first()? {
        b't' if prefix_of(b"true") => Some(true),
        b'f' if prefix_of(b"false") => Some(false),
        b'y' if prefix_of(b"yes") => Some(true),
        b'n' if prefix_of(b"no") => Some(false),
        b'o' if lower.len() >= 2 && prefix_of(b"on") => Some(true),
        b'o' if lower.len() >= 2 && prefix_of(b"off") => Some(false),
        b'1' if lower.len() == 1 => Some(true),
        b'0' if lower.len() == 1 => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> Option<String> {
        numeric(s).map(Numeric::into_text)
    }

    #[test]
    fn numerics() {
        assert_eq!(canon(" -12.50e3 ").as_deref(), Some("-12500"));
        assert_eq!(canon(".5").as_deref(), Some("0.5"));
        assert_eq!(canon("5.").as_deref(), Some("5"));
        assert_eq!(canon("-0.000").as_deref(), Some("0"));
        assert_eq!(canon("00012.0100").as_deref(), Some("12.01"));
        assert_eq!(canon("-0").as_deref(), Some("0"));
        assert_eq!(canon("-0.5").as_deref(), Some("-0.5"));
        assert_eq!(canon("-12.5").as_deref(), Some("-12.5"));
        assert_eq!(canon("10").as_deref(), Some("10"));
        assert_eq!(canon("1e-3").as_deref(), Some("0.001"));
        assert_eq!(canon("123e-1").as_deref(), Some("12.3"));
        assert_eq!(canon("1e 5").as_deref(), Some("100000"));
        assert_eq!(canon("nan").as_deref(), Some("NaN"));
        assert_eq!(canon(" -INF ").as_deref(), Some("-Infinity"));
        assert_eq!(canon("infinity").as_deref(), Some("Infinity"));
        for bad in [
            "", "1e", "12.5.1", "e5", ".", "+", "1_000", "0x1f", "infinit", "1e131072",
        ] {
            assert_eq!(canon(bad), None, "{bad}");
        }
        assert!(canon("1e131071").is_some_and(|s| s.len() == 131_072));
        assert!(canon("1e-16383").is_some());
        assert!(canon("0e-16384").is_none());
    }

    #[test]
    fn integers_and_booleans() {
        assert_eq!(int8(" +42 "), Some(42));
        assert_eq!(int8("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(int8("9223372036854775808"), None);
        assert_eq!(int8("1.0"), None);
        assert_eq!(int8("- 1"), None);
        for (s, v) in [
            ("t", true),
            ("TRUE ", true),
            ("of", false),
            ("on", true),
            ("0", false),
        ] {
            assert_eq!(boolean(s), Some(v), "{s}");
        }
        for s in ["o", "", "truex", "10", "nope"] {
            assert_eq!(boolean(s), None, "{s}");
        }
    }
}
