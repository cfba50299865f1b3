//! The few C library behaviours PostgreSQL's input functions build on (`isspace`, `ispunct`,
//! `strtol`, `atoi`, `strtod`), in the C locale (PostgreSQL calls them byte by byte; bytes
//! past ASCII are none of these classes in the `C` and `C.UTF-8` locales).

/// C `isspace`: space, `\t`, `\n`, `\v`, `\f`, `\r`.
pub(super) fn is_space(c: u8) -> bool {
    c == b' ' || (b'\t'..=b'\r').contains(&c)
}

/// C `ispunct`: printable ASCII that is neither alphanumeric nor space.
pub(super) fn is_punct(c: u8) -> bool {
    c.is_ascii_punctuation()
}

/// The byte at `i`, or 0 (C's terminating NUL) past the end.
pub(super) fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// C `strtol(s, &end, 10)`: optional leading spaces and sign, then digits. Returns the value
/// (saturated at the `i64` bounds, as glibc does with `ERANGE`), whether it overflowed, and
/// the number of bytes consumed (0 when there are no digits, like `end == s`).
pub(super) fn strtol(s: &[u8]) -> (i64, bool, usize) {
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let neg = match at(s, i) {
        b'-' => {
            i += 1;
            true
        }
        b'+' => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = i;
    let mut v: i64 = 0;
    let mut overflow = false;
    while i < s.len() && s[i].is_ascii_digit() {
        let d = i64::from(s[i] - b'0');
        // Accumulate negatively so that i64::MIN is reachable.
        match v.checked_mul(10).and_then(|x| x.checked_sub(d)) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == digits {
        return (0, false, 0);
    }
    if overflow {
        return (if neg { i64::MIN } else { i64::MAX }, true, i);
    }
    if neg {
        (v, false, i)
    } else {
        match v.checked_neg() {
            Some(x) => (x, false, i),
            None => (i64::MAX, true, i),
        }
    }
}

/// PostgreSQL's `strtoint`: `strtol` with `ERANGE` when the value does not fit an `int`.
/// `Err(())` is the overflow; otherwise the value and the bytes consumed.
pub(super) fn strtoint(s: &[u8]) -> Result<(i32, usize), ()> {
    let (v, overflow, used) = strtol(s);
    match i32::try_from(v) {
        Ok(x) if !overflow => Ok((x, used)),
        _ => Err(()),
    }
}

/// C `atoi` as glibc implements it: `(int) strtol(s, NULL, 10)` (a value past `int` wraps).
pub(super) fn atoi(s: &[u8]) -> i32 {
    strtol(s).0 as i32
}

/// C `strtod` over a fraction that starts with `.` followed by digits only (the only form the
/// date/time code hands it): its value, or `None` when nothing converts (`"."`).
pub(super) fn fraction(s: &[u8]) -> Option<(f64, usize)> {
    debug_assert_eq!(s.first(), Some(&b'.'));
    let mut i = 1;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    if i == 1 {
        return None;
    }
    // Rust's float parsing rounds correctly, like glibc's strtod.
    let text = std::str::from_utf8(&s[..i]).ok()?;
    let v: f64 = text.parse().ok()?;
    Some((v, i))
}

/// C `rint` in the default rounding mode (to nearest, ties to even).
pub(super) fn rint(x: f64) -> f64 {
    x.round_ties_even()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_like_c() {
        assert_eq!(strtol(b"  -12x"), (-12, false, 5));
        assert_eq!(strtol(b"x"), (0, false, 0));
        assert_eq!(strtol(b"-"), (0, false, 0));
        assert_eq!(strtol(b"99999999999999999999"), (i64::MAX, true, 20));
        assert_eq!(strtol(b"-9223372036854775808"), (i64::MIN, false, 20));
        assert_eq!(strtoint(b"2147483648"), Err(()));
        assert_eq!(strtoint(b"12:"), Ok((12, 2)));
        assert_eq!(atoi(b"4294968296"), 1000);
        assert_eq!(fraction(b".5x"), Some((0.5, 2)));
        assert_eq!(fraction(b"."), None);
        assert_eq!(rint(2.5), 2.0);
        assert!(is_space(0x0b) && !is_space(0xa0) && is_punct(b'~') && !is_punct(0xc3));
    }
}
