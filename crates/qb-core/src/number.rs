//! [`Number`]: a JSON number kept as its exact text, checked once when it is made.
//!
//! Every number that is not an `i64` or an `f64` travels as text (integers beyond 64 bits,
//! decimals written in JSON, Python `Decimal`s). The text reaches SQL parameters (`numeric`)
//! and JSON operands (`jsonb`) as it is, so it must be a number and nothing else: the
//! constructor checks the JSON number grammar, so no caller can smuggle `1, "x": 2` into a
//! `jsonb` operand, and PostgreSQL's `numeric` range, so every `Number` is a value the server
//! accepts and none costs more than its own text to check.

use std::fmt;

/// A JSON number as exact text (RFC 8259 grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`)
/// within PostgreSQL's `numeric` range: at most [`Number::MAX_INTEGER_DIGITS`] digits before
/// the decimal point and [`Number::MAX_SCALE`] after it, once the exponent is applied.
///
/// ```
/// use qb_core::Number;
/// assert_eq!(Number::new("1.50e3").unwrap().as_str(), "1.50e3");
/// assert!(Number::new("1, \"x\": 2").is_err()); // not a number
/// assert!(Number::new("1e300000000").is_err()); // beyond numeric's range
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number(Box<str>);

/// Why a text is not a [`Number`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NumberError {
    /// The text is not a JSON number.
    Syntax,
    /// A JSON number outside PostgreSQL's `numeric` range.
    OutOfRange,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumberError::Syntax => "not a JSON number",
            NumberError::OutOfRange => {
                "number outside PostgreSQL's numeric range (at most 131072 digits before the \
                 decimal point and 16383 after it)"
            }
        })
    }
}

impl std::error::Error for NumberError {}

/// The parts of a decimal number's text: its digits before and after the point and its
/// exponent (saturated: only its size matters past the limits).
struct Parts<'t> {
    int: &'t [u8],
    frac: &'t [u8],
    exp: i64,
}

/// PostgreSQL refuses exponents of this magnitude or more before anything else (numeric.c).
const PG_MAX_EXPONENT: i64 = (i32::MAX / 2) as i64;

impl Number {
    /// Most digits before the decimal point PostgreSQL's `numeric` holds (weight 32767 in
    /// base 10000).
    pub const MAX_INTEGER_DIGITS: u64 = 131_072;

    /// Most digits after the decimal point PostgreSQL's `numeric` holds (its display scale).
    pub const MAX_SCALE: u64 = 16_383;

    /// An integer of more bits than this has more than [`Number::MAX_INTEGER_DIGITS`]
    /// digits: a binding can refuse a host integer by its bit length before converting it to
    /// text (the conversion is quadratic in CPython). One of exactly this many bits may
    /// still fit; convert it and let [`Number::new`] decide.
    pub const MAX_INTEGER_BITS: u64 = 435_412;

    /// Checks `text` (JSON number grammar, `numeric` range) and keeps it as it is. Linear in
    /// the length of `text`; nothing is expanded.
    pub fn new(text: impl Into<String>) -> Result<Number, NumberError> {
        let text = text.into();
        let parts = parse_json(text.as_bytes()).ok_or(NumberError::Syntax)?;
        if !parts.in_numeric_range() {
            return Err(NumberError::OutOfRange);
        }
        Ok(Number(text.into_boxed_str()))
    }

    /// The text, as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, as written.
    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    /// The value when it is an integer within `i64` (`18`, `18.0`, `1.8e1`, `1800e-2`),
    /// else `None`.
    pub fn to_i64(&self) -> Option<i64> {
        let p = parse_json(self.0.as_bytes())?;
        if !p.is_integer() {
            return None;
        }
        // Digits of the integer value: the significant digits shifted by the exponent.
        let digits = p.int.iter().chain(p.frac).skip_while(|d| **d == b'0');
        let shift = p.exp - p.frac.len() as i64; // value = digits * 10^shift
        let mut value: i128 = 0;
        let mut count = 0i64;
        let significant: Vec<u8> = digits.copied().collect();
        // Trailing zeros beyond a negative shift are dropped (they are the fraction's zeros).
        let keep = (significant.len() as i64 + shift.min(0)).max(0) as usize;
        for d in &significant[..keep.min(significant.len())] {
            value = value * 10 + i128::from(d - b'0');
            count += 1;
            if count > 20 {
                return None;
            }
        }
        for _ in 0..shift.max(0) {
            value *= 10;
            count += 1;
            if count > 20 {
                return None;
            }
        }
        if self.0.starts_with('-') {
            value = -value;
        }
        i64::try_from(value).ok()
    }

    /// Whether the value is a whole number (`18`, `18.0`, `1.8e1`).
    pub fn is_integer(&self) -> bool {
        parse_json(self.0.as_bytes()).is_some_and(|p| p.is_integer())
    }
}

impl Parts<'_> {
    fn in_numeric_range(&self) -> bool {
        let leading_zeros = self
            .int
            .iter()
            .chain(self.frac)
            .take_while(|d| **d == b'0')
            .count();
        numeric_in_range(self.int.len(), self.frac.len(), self.exp, leading_zeros)
    }

    /// Whether no non-zero digit sits after the point once the exponent is applied.
    fn is_integer(&self) -> bool {
        let frac_digits = self.int.iter().chain(self.frac).rev();
        // Digits after the point: the last `frac.len() - exp` of the digit string.
        let after = (self.frac.len() as i64 - self.exp).max(0) as usize;
        frac_digits.take(after).all(|d| *d == b'0')
    }
}

/// PostgreSQL 15's `numeric_in` limits on a finite decimal written `<int>.<frac>e<exp>`
/// (`int_len`, `frac_len`: the digits before and after the point as written;
/// `leading_zeros`: the zeros leading the digit string, integer part then fraction): the
/// exponent below `INT_MAX / 2` in magnitude, the display scale (fraction digits once the
/// exponent applies) at most [`Number::MAX_SCALE`], and a non-zero value's integer digits at
/// most [`Number::MAX_INTEGER_DIGITS`] (base-10000 weight 32767; the lowest weight cannot be
/// reached within the scale). The one range check: [`Number::new`] and the operand validator
/// (`compile/values/number.rs`, `numeric_in`) both use it, and `qb-testpg/tests/numeric_range.rs`
/// holds it to the server.
pub(crate) fn numeric_in_range(
    int_len: usize,
    frac_len: usize,
    exp: i64,
    leading_zeros: usize,
) -> bool {
    if exp.unsigned_abs() >= PG_MAX_EXPONENT.unsigned_abs() {
        return false;
    }
    let scale = (frac_len as i64 - exp).max(0);
    if scale > Number::MAX_SCALE as i64 {
        return false;
    }
    if leading_zeros == int_len + frac_len {
        return true; // zero: no integer digits
    }
    // Integer digits of the value: digits before the point, plus the exponent, less the
    // leading zeros (`0.0012e4` has two: `12`).
    let int_digits = int_len as i64 + exp - leading_zeros as i64;
    int_digits <= Number::MAX_INTEGER_DIGITS as i64
}

/// Splits a JSON number into its parts, or `None` when `b` is not one.
fn parse_json(b: &[u8]) -> Option<Parts<'_>> {
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return None,
    }
    let int = &b[int_start..i];
    let mut frac: &[u8] = &[];
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        frac = &b[start..i];
    }
    let mut exp = 0i64;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let negative = match b.get(i) {
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
        let start = i;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            // Saturate: past PG_MAX_EXPONENT the exact value no longer matters.
            exp = (exp * 10 + i64::from(d - b'0')).min(PG_MAX_EXPONENT);
            i += 1;
        }
        if i == start {
            return None;
        }
        if negative {
            exp = -exp;
        }
    }
    (i == b.len()).then_some(Parts { int, frac, exp })
}

/// Whether `s` is a JSON number (grammar only).
pub(crate) fn is_json_number(s: &str) -> bool {
    parse_json(s.as_bytes()).is_some()
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({})", self.0)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for Number {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Number {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number(itoa::Buffer::new().format(i).into())
    }
}

impl From<u64> for Number {
    fn from(u: u64) -> Number {
        Number(itoa::Buffer::new().format(u).into())
    }
}

impl std::str::FromStr for Number {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Number, NumberError> {
        Number::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        for ok in [
            "0",
            "-0",
            "1",
            "-12.50",
            "1e3",
            "1E+3",
            "1.5e-7",
            "0.0",
            "123456789012345678901234567890",
        ] {
            assert_eq!(Number::new(ok).map(|n| n.into_string()).as_deref(), Ok(ok));
        }
        for bad in [
            "",
            "-",
            "+1",
            "01",
            ".5",
            "5.",
            "1e",
            "1e+",
            "NaN",
            "Infinity",
            "0x10",
            "1 ",
            " 1",
            "1,2",
            "1, \"x\": 2",
            "1}",
            "1.2.3",
            "--1",
            "1e1.5",
        ] {
            assert_eq!(Number::new(bad), Err(NumberError::Syntax), "{bad:?}");
        }
    }

    #[test]
    fn numeric_range() {
        let ok = |s: &str| Number::new(s).is_ok();
        assert!(ok("1e131071"));
        assert!(ok("9.9e131071"));
        assert!(!ok("1e131072"));
        assert!(ok("1e-16383"));
        assert!(!ok("1e-16384"));
        assert!(!ok("1.5e-16383"));
        assert!(!ok("0e-16384"));
        assert!(ok("0e999999"));
        assert!(ok("0e1073741822"));
        assert!(!ok("0e1073741823"));
        assert!(!ok("1e300000000"));
        assert!(!ok("1e99999999999999999999999999"));
        assert!(ok("0.0012e131074"));
        assert!(!ok("0.0012e131075"));
        assert!(ok(&format!("1{}", "0".repeat(131_071))));
        assert!(!ok(&format!("1{}", "0".repeat(131_072))));
        assert!(ok(&format!("0.{}", "1".repeat(16_383))));
        assert!(!ok(&format!("0.{}", "1".repeat(16_384))));
    }

    #[test]
    fn integers() {
        let i = |s: &str| Number::new(s).expect("number").to_i64();
        assert_eq!(i("18"), Some(18));
        assert_eq!(i("18.0"), Some(18));
        assert_eq!(i("1.8e1"), Some(18));
        assert_eq!(i("1800e-2"), Some(18));
        assert_eq!(i("1E+3"), Some(1000));
        assert_eq!(i("-0"), Some(0));
        assert_eq!(i("0e-5"), Some(0));
        assert_eq!(i("18.5"), None);
        assert_eq!(i("1.85e1"), None);
        assert_eq!(i("9223372036854775807"), Some(i64::MAX));
        assert_eq!(i("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(i("9223372036854775808"), None);
        assert_eq!(i("1e19"), None);
        assert_eq!(i("1e131071"), None);
        assert!(Number::new("1e131071").expect("number").is_integer());
        assert!(!Number::new("1.5").expect("number").is_integer());
    }
}
