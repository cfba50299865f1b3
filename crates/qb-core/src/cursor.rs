//! Keyset pagination cursors: opaque, versioned strings carrying the sort-key values of a
//! page's edge row, bound to the view and ordering they were made for, optionally
//! authenticated (docs/query-ast.md, "Cursors and their threat model").
//!
//! A paged statement returns, per row, a `"__cursor"` column: a JSON array whose first item
//! is the fingerprint of the query's view and ordering (16 hex digits) and whose other items
//! are the row's sort-key values as text (or `null`), in order. [`encode_cursor`] turns that
//! text into the cursor string; the compiler decodes a cursor back into the values it binds
//! as parameters. The bytes, base64url without padding:
//!
//! ```text
//! version (1) | flags (1: bit 0 = signed) | fingerprint (8) | count (varint)
//!   | per value: 0 (NULL) or 1, varint length, UTF-8 bytes | HMAC-SHA256 tag (32, if signed)
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind};
use crate::options::{CompileOptions, CursorKey};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The cursor format this version writes and reads.
const VERSION: u8 = 1;
const SIGNED: u8 = 1;
const TAG_LEN: usize = 32;
/// A cursor longer than this is refused before it is decoded.
const MAX_CURSOR_LEN: usize = 64 * 1024;

/// The fingerprint binding cursors to a view and an ordering: the first 8 bytes of the
/// SHA-256 of the view's registry key and the ORDER BY text (keys, directions, NULLS
/// placement and the appended primary key) the paged statement uses going forward.
pub(crate) fn fingerprint(view_key: &str, order_sql: &str) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(b"fraiseql-qb cursor v1\0");
    h.update(view_key.as_bytes());
    h.update([0]);
    h.update(order_sql.as_bytes());
    let d = h.finalize();
    let mut fp = [0u8; 8];
    fp.copy_from_slice(&d[..8]);
    fp
}

/// The fingerprint as the 16 lowercase hex digits the `"__cursor"` column carries.
pub(crate) fn fingerprint_hex(fp: &[u8; 8]) -> String {
    let mut s = String::with_capacity(16);
    for b in fp {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidCursor, "", msg)
}

fn mac(key: &CursorKey) -> HmacSha256 {
    // HMAC accepts keys of any length.
    <HmacSha256 as KeyInit>::new_from_slice(key.bytes()).unwrap_or_else(|_| unreachable!())
}

fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<usize> {
    let mut n: usize = 0;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        n |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

/// The cursor string for a row, from its `"__cursor"` column (the JSON array text the paged
/// statement returns), signed when `options` carry a [`CursorKey`]. Bindings expose it as
/// is, so an application turns an edge row into its cursor without knowing the SQL.
///
/// ```
/// use qb_core::{compile, encode_cursor, CompileOptions, Query, Schema};
/// let cursor = encode_cursor(r#"["0123456789abcdef", "2024-01-01", null, "7"]"#,
///     &CompileOptions::default()).unwrap();
/// assert!(cursor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
/// ```
#[cfg(feature = "json")]
pub fn encode_cursor(row_cursor: &str, options: &CompileOptions) -> Result<String, Error> {
    use crate::Value;
    let bad = || {
        invalid(
            "not a `__cursor` value: expected the JSON array of a paged statement's `__cursor` column",
        )
    };
    let v = crate::json::parse_value(row_cursor).map_err(|_| bad())?;
    let Value::List(items) = &v else {
        return Err(bad());
    };
    let mut it = items.iter();
    let Some(Value::Str(fp_hex)) = it.next() else {
        return Err(bad());
    };
    let mut fp = [0u8; 8];
    if fp_hex.len() != 16 {
        return Err(bad());
    }
    for (i, b) in fp.iter_mut().enumerate() {
        *b = u8::from_str_radix(&fp_hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    let mut values: Vec<Option<&str>> = Vec::with_capacity(items.len() - 1);
    for v in it {
        match v {
            Value::Null => values.push(None),
            Value::Str(s) => values.push(Some(s)),
            _ => return Err(bad()),
        }
    }
    Ok(encode(&fp, &values, options.cursor_key.as_ref()))
}

/// The cursor bytes for `values`, base64url.
pub(crate) fn encode(fp: &[u8; 8], values: &[Option<&str>], key: Option<&CursorKey>) -> String {
    let mut out =
        Vec::with_capacity(16 + values.iter().flatten().map(|s| s.len() + 3).sum::<usize>());
    out.push(VERSION);
    out.push(if key.is_some() { SIGNED } else { 0 });
    out.extend_from_slice(fp);
    push_varint(&mut out, values.len());
    for v in values {
        match v {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                push_varint(&mut out, s.len());
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    if let Some(key) = key {
        let mut m = mac(key);
        m.update(&out);
        out.extend_from_slice(&m.finalize().into_bytes());
    }
    URL_SAFE_NO_PAD.encode(out)
}

/// A cursor decoded and checked: its values, one per order key. `fp` is the query's
/// fingerprint, `keys` the number of its order keys. Errors carry no path: the caller sets
/// it (`after` or `before`).
pub(crate) fn decode(
    cursor: &str,
    key: Option<&CursorKey>,
    fp: &[u8; 8],
    keys: usize,
) -> Result<Vec<Option<String>>, Error> {
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(invalid("the cursor is too long"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid("not a cursor: the text is not base64url"))?;
    if bytes.len() < 11 {
        return Err(invalid("not a cursor: too short"));
    }
    if bytes[0] != VERSION {
        return Err(invalid(format!(
            "a cursor of format version {} (this version reads {VERSION})",
            bytes[0]
        )));
    }
    let signed = match bytes[1] {
        0 => false,
        SIGNED => true,
        _ => return Err(invalid("not a cursor: unknown flags")),
    };
    let body = match (signed, key) {
        (true, Some(key)) => {
            if bytes.len() < 11 + TAG_LEN {
                return Err(invalid("not a cursor: too short"));
            }
            let (body, tag) = bytes.split_at(bytes.len() - TAG_LEN);
            let mut m = mac(key);
            m.update(body);
            m.verify_slice(tag).map_err(|_| {
                invalid("the cursor's authentication tag does not verify: tampered, or signed with another key")
            })?;
            body
        }
        (false, Some(_)) => {
            return Err(invalid(
                "an unsigned cursor, but cursors are authenticated (a cursor_key is set)",
            ));
        }
        (true, None) => {
            return Err(invalid(
                "a signed cursor, but no cursor_key is set to verify it",
            ));
        }
        (false, None) => &bytes[..],
    };
    if body[2..10] != fp[..] {
        return Err(Error::new(
            ErrorKind::CursorMismatch,
            "",
            "the cursor was made for another view or another order_by than this query's",
        ));
    }
    let malformed = || invalid("not a cursor: malformed values");
    let mut at = 10;
    let n = read_varint(body, &mut at).ok_or_else(malformed)?;
    if n != keys {
        return Err(malformed());
    }
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        match body.get(at) {
            Some(0) => {
                at += 1;
                values.push(None);
            }
            Some(1) => {
                at += 1;
                let len = read_varint(body, &mut at).ok_or_else(malformed)?;
                let end = at.checked_add(len).ok_or_else(malformed)?;
                let s = body.get(at..end).ok_or_else(malformed)?;
                let s = std::str::from_utf8(s).map_err(|_| malformed())?;
                values.push(Some(s.to_owned()));
                at = end;
            }
            _ => return Err(malformed()),
        }
    }
    if at != body.len() {
        return Err(malformed());
    }
    Ok(values)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const FP: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

    #[test]
    fn round_trip_signed_and_unsigned() {
        let vals = [Some("a"), None, Some("é\"x"), Some("")];
        let want: Vec<Option<String>> = vals.iter().map(|v| v.map(str::to_owned)).collect();
        let c = encode(&FP, &vals, None);
        assert_eq!(decode(&c, None, &FP, 4).unwrap(), want);
        let key = CursorKey::new(b"k");
        let c = encode(&FP, &vals, Some(&key));
        assert_eq!(decode(&c, Some(&key), &FP, 4).unwrap(), want);
        let code = |r: Result<_, Error>| r.unwrap_err().kind().code();
        assert_eq!(code(decode(&c, None, &FP, 4)), "QB_INVALID_CURSOR");
        assert_eq!(
            code(decode(&c, Some(&CursorKey::new(b"other")), &FP, 4)),
            "QB_INVALID_CURSOR"
        );
        assert_eq!(
            code(decode(&c, Some(&key), &[0; 8], 4)),
            "QB_CURSOR_MISMATCH"
        );
        assert_eq!(code(decode(&c, Some(&key), &FP, 3)), "QB_INVALID_CURSOR");
    }

    /// Every single-byte change of a signed cursor is refused; every truncation of an
    /// unsigned one is refused or (never) decodes to other values.
    #[test]
    fn tampering_is_detected() {
        let key = CursorKey::new(b"secret");
        let c = encode(&FP, &[Some("10"), None], Some(&key));
        let bytes = URL_SAFE_NO_PAD.decode(&c).unwrap();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                let t = URL_SAFE_NO_PAD.encode(&b);
                assert!(
                    decode(&t, Some(&key), &FP, 2).is_err(),
                    "byte {i} bit {bit}"
                );
            }
        }
        let c = encode(&FP, &[Some("10"), None], None);
        let bytes = URL_SAFE_NO_PAD.decode(&c).unwrap();
        for n in 0..bytes.len() {
            let t = URL_SAFE_NO_PAD.encode(&bytes[..n]);
            assert!(decode(&t, None, &FP, 2).is_err(), "{n}");
        }
        for bad in ["", "!!", "AQ", "====", &"A".repeat(MAX_CURSOR_LEN + 1)] {
            assert_eq!(
                decode(bad, None, &FP, 2).unwrap_err().kind(),
                ErrorKind::InvalidCursor
            );
        }
    }

    #[cfg(feature = "json")]
    #[test]
    fn encode_cursor_reads_the_column() {
        let o = CompileOptions::default();
        let c = encode_cursor(r#"["0102030405060708", "x", null]"#, &o).unwrap();
        assert_eq!(
            decode(&c, None, &FP, 2).unwrap(),
            vec![Some("x".to_owned()), None]
        );
        for bad in [
            "",
            "[]",
            "[1]",
            r#"["01020304050607"]"#,
            r#"["0102030405060708", 1]"#,
            "{}",
        ] {
            assert_eq!(
                encode_cursor(bad, &o).unwrap_err().kind(),
                ErrorKind::InvalidCursor
            );
        }
    }
}
