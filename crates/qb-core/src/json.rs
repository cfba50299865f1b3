//! JSON text entry points (feature `json`).
//!
//! JSON text becomes a [`Value`] in one iterative pass (RFC 8259): numbers keep their exact
//! text as checked [`Number`]s, nesting costs heap, not stack, and a key repeated in one
//! object is an error (`QB_INVALID_JSON` at the repeated key's path): parsers disagree on which
//! copy wins, so such a document could show a filter in front of the compiler another query
//! than the one the compiler reads.
//!
//! Why a reader of its own rather than a crate: serde_json hands a number's text over only
//! with its `arbitrary_precision` feature, which would change serde_json for every crate built
//! together with this one; the pull parsers that give number text either bring `getrandom`
//! and `libc` (which the dependency rule keeps out of qb-core) or a newer Rust than this
//! workspace requires. The reader is small, and a test holds it to serde_json's verdict on
//! generated and hand-picked documents (`tests/json_reader.rs`).

use crate::error::{Error, ErrorKind};
use crate::{Number, Value};

/// Deepest nesting of JSON text (arrays and objects) accepted: 127, serde_json's limit, which
/// this reader replaced. The query parser's own limits are lower; this one bounds the
/// document before anything reads it.
pub const MAX_JSON_DEPTH: usize = 127;

/// Objects with more keys than this are checked for repeated keys by sorting (O(n log n))
/// instead of comparing each new key with the earlier ones.
const LINEAR_KEY_CHECK: usize = 16;

/// Parses JSON text into a [`Value`]: `QB_INVALID_JSON` for text that is not JSON or repeats
/// a key in an object, `QB_DEPTH_LIMIT` past [`MAX_JSON_DEPTH`] levels, `QB_INVALID_VALUE`
/// for a number outside PostgreSQL's `numeric` range. Errors carry the path of the node
/// (`where.age.gt`); a syntax error carries the root and names its line and column. Linear
/// in the length of `text` (a wide object: O(n log n) in its keys).
pub fn parse_value(text: &str) -> Result<Value, Error> {
    Reader {
        text,
        b: text.as_bytes(),
        i: 0,
        stack: Vec::new(),
    }
    .document()
}

enum Frame {
    List(Vec<Value>),
    /// Entries so far and the key whose value is being read.
    Object(Vec<(String, Value)>, String),
}

struct Reader<'t> {
    text: &'t str,
    b: &'t [u8],
    i: usize,
    stack: Vec<Frame>,
}

impl Reader<'_> {
    fn document(&mut self) -> Result<Value, Error> {
        loop {
            // Read one value: a scalar, or the opening of a container (then, unless it is
            // empty, around again for its first item).
            self.ws();
            let mut done = match self.b.get(self.i) {
                Some(b'{') => {
                    self.open()?;
                    self.i += 1;
                    self.ws();
                    if self.b.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        Value::Object(Vec::new())
                    } else {
                        let key = self.key()?;
                        self.stack.push(Frame::Object(Vec::new(), key));
                        continue;
                    }
                }
                Some(b'[') => {
                    self.open()?;
                    self.i += 1;
                    self.ws();
                    if self.b.get(self.i) == Some(&b']') {
                        self.i += 1;
                        Value::List(Vec::new())
                    } else {
                        self.stack.push(Frame::List(Vec::new()));
                        continue;
                    }
                }
                Some(b'"') => Value::Str(self.string()?),
                Some(b't') => self.word("true", Value::Bool(true))?,
                Some(b'f') => self.word("false", Value::Bool(false))?,
                Some(b'n') => self.word("null", Value::Null)?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b']') if self.after_comma() => return Err(self.syntax("trailing comma")),
                Some(_) => return Err(self.syntax("expected a value")),
                None => return Err(self.syntax("unexpected end of input, expected a value")),
            };
            // Hand the value to its container; close every container that ends here.
            loop {
                self.ws();
                let next = self.b.get(self.i).copied();
                match self.stack.last_mut() {
                    None => {
                        if next.is_some() {
                            return Err(self.syntax("trailing characters after the document"));
                        }
                        return Ok(done);
                    }
                    Some(Frame::List(items)) => {
                        items.push(done);
                        self.i += 1;
                        match next {
                            Some(b',') => break,
                            Some(b']') => match self.stack.pop() {
                                Some(Frame::List(items)) => done = Value::List(items),
                                _ => return Err(self.internal()),
                            },
                            _ => {
                                self.i -= 1;
                                return Err(self.syntax("expected `,` or `]`"));
                            }
                        }
                    }
                    Some(Frame::Object(entries, key)) => {
                        if entries.len() < LINEAR_KEY_CHECK && entries.iter().any(|(k, _)| k == key)
                        {
                            // `path()` ends with the key being read: the repeated one.
                            let key = key.clone();
                            return Err(self.duplicate(self.path(), &key));
                        }
                        entries.push((std::mem::take(key), done));
                        self.i += 1;
                        match next {
                            Some(b',') => {
                                let next_key = self.key()?;
                                if let Some(Frame::Object(_, key)) = self.stack.last_mut() {
                                    *key = next_key;
                                }
                                break;
                            }
                            Some(b'}') => match self.stack.pop() {
                                Some(Frame::Object(entries, _)) => {
                                    let repeated = (entries.len() > LINEAR_KEY_CHECK)
                                        .then(|| repeated_key(&entries))
                                        .flatten();
                                    if let Some(k) = repeated {
                                        let mut at = self.path();
                                        if !at.is_empty() {
                                            at.push('.');
                                        }
                                        at.push_str(k);
                                        return Err(self.duplicate(at, k));
                                    }
                                    done = Value::Object(entries)
                                }
                                _ => return Err(self.internal()),
                            },
                            _ => {
                                self.i -= 1;
                                return Err(self.syntax("expected `,` or `}`"));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Whether the last non-whitespace byte before the reader is a comma.
    fn after_comma(&self) -> bool {
        self.b[..self.i]
            .iter()
            .rev()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            == Some(&b',')
    }

    /// Skips JSON whitespace.
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// Checks the depth before a container opens.
    fn open(&self) -> Result<(), Error> {
        if self.stack.len() >= MAX_JSON_DEPTH {
            return Err(Error::new(
                ErrorKind::DepthLimit,
                self.path(),
                format!("JSON nested deeper than {MAX_JSON_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, Error> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(value)
        } else {
            Err(self.syntax("expected a value"))
        }
    }

    /// `"key"` and the `:` after it.
    fn key(&mut self) -> Result<String, Error> {
        self.ws();
        match self.b.get(self.i) {
            Some(b'"') => {}
            Some(b'}') if self.after_comma() => return Err(self.syntax("trailing comma")),
            _ => return Err(self.syntax("expected a key (a string)")),
        }
        let key = self.string()?;
        self.ws();
        if self.b.get(self.i) != Some(&b':') {
            return Err(self.syntax("expected `:`"));
        }
        self.i += 1;
        Ok(key)
    }

    /// A string, at its opening quote.
    fn string(&mut self) -> Result<String, Error> {
        self.i += 1;
        let start = self.i;
        // The common case: no escapes, one copy.
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    let s = self.text[start..self.i].to_owned();
                    self.i += 1;
                    return Ok(s);
                }
                b'\\' => break,
                0..=0x1f => return Err(self.syntax("control character in a string")),
                _ => self.i += 1,
            }
        }
        let mut out = String::with_capacity(self.i - start + 16);
        out.push_str(&self.text[start..self.i]);
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.syntax("unexpected end of input in a string"));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.i += 1;
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(self.syntax("unexpected end of input in a string"));
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => {
                            self.i -= 1;
                            return Err(self.syntax("invalid escape in a string"));
                        }
                    }
                }
                0..=0x1f => return Err(self.syntax("control character in a string")),
                _ => {
                    // Copy up to the next quote, backslash or control character at once
                    // (never inside a UTF-8 sequence: those bytes are all >= 0x80).
                    let run = self.b[self.i..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                        .map_or(self.b.len(), |n| self.i + n);
                    out.push_str(&self.text[self.i..run]);
                    self.i = run;
                }
            }
        }
    }

    /// The character of a `\uXXXX` escape (after the `u`), a surrogate pair included.
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let hi = self.hex4()?;
        let code = match hi {
            0xd800..=0xdbff => {
                if !self.b[self.i..].starts_with(b"\\u") {
                    return Err(self.syntax("lone leading surrogate in a \\u escape"));
                }
                self.i += 2;
                let lo = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&lo) {
                    return Err(self.syntax("invalid trailing surrogate in a \\u escape"));
                }
                0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
            }
            0xdc00..=0xdfff => return Err(self.syntax("lone trailing surrogate in a \\u escape")),
            _ => hi,
        };
        char::from_u32(code).ok_or_else(|| self.syntax("invalid \\u escape"))
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let Some(digits) = self.b.get(self.i..self.i + 4) else {
            return Err(self.syntax("unexpected end of input in a \\u escape"));
        };
        let mut v = 0;
        for &d in digits {
            let x = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.syntax("invalid \\u escape"))?;
            v = v * 16 + x;
        }
        self.i += 4;
        Ok(v)
    }

    /// A number: `Int` when it is an integer within `i64`, else a checked [`Number`].
    fn number(&mut self) -> Result<Value, Error> {
        let start = self.i;
        while matches!(
            self.b.get(self.i),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            self.i += 1;
        }
        let text = &self.text[start..self.i];
        let plain_integer = text.len() <= 20 && !text.contains(['.', 'e', 'E']);
        let int = (plain_integer && crate::number::is_json_number(text))
            .then(|| text.parse::<i64>().ok())
            .flatten();
        if let Some(i) = int {
            return Ok(Value::Int(i));
        }
        match Number::new(text) {
            Ok(n) => Ok(Value::Decimal(n)),
            Err(crate::NumberError::OutOfRange) => Err(Error::new(
                ErrorKind::InvalidValue,
                self.path(),
                crate::NumberError::OutOfRange.to_string(),
            )),
            Err(_) => {
                self.i = start;
                Err(self.syntax("invalid number"))
            }
        }
    }

    /// The path of the value being read: the keys and indexes of the open containers.
    fn path(&self) -> String {
        let mut out = String::new();
        for frame in &self.stack {
            match frame {
                Frame::List(items) => {
                    out.push('[');
                    out.push_str(itoa::Buffer::new().format(items.len()));
                    out.push(']');
                }
                Frame::Object(_, key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
            }
        }
        out
    }

    /// `QB_INVALID_JSON` at the root, naming the line and column of the reader.
    fn syntax(&self, what: &str) -> Error {
        let before = &self.b[..self.i.min(self.b.len())];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let column = self.text[line_start..self.i.min(self.b.len())]
            .chars()
            .count()
            + 1;
        Error::new(
            ErrorKind::InvalidJson,
            "",
            format!("invalid JSON: {what} at line {line} column {column}"),
        )
    }

    /// `QB_INVALID_JSON` for `key` repeated in one object, at path `at`.
    fn duplicate(&self, at: String, key: &str) -> Error {
        Error::new(
            ErrorKind::InvalidJson,
            at,
            format!("duplicate key `{key}` in one object"),
        )
    }

    fn internal(&self) -> Error {
        Error::new(
            ErrorKind::Internal,
            self.path(),
            "JSON reader out of step with its stack",
        )
    }
}

/// A key that appears twice among `entries` (sorting, so a wide object stays O(n log n)).
fn repeated_key(entries: &[(String, Value)]) -> Option<&str> {
    let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    keys.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_json_and_deep_json_have_codes() {
        for bad in [
            "",
            "{",
            "[1,]",
            "1 2",
            "NaN",
            "\"\\ud800\"",
            "\"\\udc00x\"",
            "{\"a\" 1}",
            "{1: 2}",
            "[1 2]",
            "tru",
            "nul",
            "01",
            "-",
            "1.",
            ".5",
            "+1",
            "\"\u{1}\"",
            "\"\\x\"",
            "\"\\u12\"",
            "{\"a\":1,}",
            "[",
            "\"abc",
        ] {
            assert_eq!(
                parse_value(bad).map_err(|e| e.code()),
                Err("QB_INVALID_JSON"),
                "{bad:?}"
            );
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let e = parse_value(&deep).expect_err("deep");
        assert_eq!(e.code(), "QB_DEPTH_LIMIT");
        let ok = "[".repeat(MAX_JSON_DEPTH) + &"]".repeat(MAX_JSON_DEPTH);
        assert!(parse_value(&ok).is_ok());
        let e = parse_value("{\n  \"a\": [1,\n   x]}").expect_err("bad");
        assert_eq!(
            e.message(),
            "invalid JSON: expected a value at line 3 column 4"
        );
    }

    #[test]
    fn values_in_order_with_exact_numbers() {
        let v = parse_value(
            r#" {"z":1,"a":18446744073709551615,"m":2.5,"h":12345678901234567890.123,
                "l":[true,false,null,"s\n\u00e9\ud83d\ude00\/",-9223372036854775808,{}],
                "o":{"x":[]}, "e": -0, "é": "ü"} "#,
        )
        .expect("valid");
        let n = |s: &str| Value::Decimal(Number::new(s).expect("number"));
        assert_eq!(
            v,
            Value::Object(vec![
                ("z".into(), Value::Int(1)),
                ("a".into(), n("18446744073709551615")),
                ("m".into(), n("2.5")),
                ("h".into(), n("12345678901234567890.123")),
                (
                    "l".into(),
                    Value::List(vec![
                        Value::Bool(true),
                        Value::Bool(false),
                        Value::Null,
                        Value::Str("s\né😀/".into()),
                        Value::Int(i64::MIN),
                        Value::Object(vec![]),
                    ])
                ),
                (
                    "o".into(),
                    Value::Object(vec![("x".into(), Value::List(vec![]))])
                ),
                ("e".into(), Value::Int(0)),
                ("é".into(), Value::Str("ü".into())),
            ])
        );
    }

    #[test]
    fn repeated_keys_are_refused_with_their_path() {
        let e = parse_value(r#"{"view": "a", "view": "b"}"#).expect_err("dup");
        assert_eq!((e.code(), e.path()), ("QB_INVALID_JSON", "view"));
        let e = parse_value(r#"{"where": {"age": {"gt": 1, "gt": 2}}}"#).expect_err("dup");
        assert_eq!((e.code(), e.path()), ("QB_INVALID_JSON", "where.age.gt"));
        let e = parse_value(r#"{"a": [{"x": 1}, {"y": 1, "y": 1}]}"#).expect_err("dup");
        assert_eq!((e.code(), e.path()), ("QB_INVALID_JSON", "a[1].y"));
        // The same key spelled with an escape is the same key.
        let e = parse_value(r#"{"ab": 1, "a\u0062": 2}"#).expect_err("dup");
        assert_eq!((e.code(), e.path()), ("QB_INVALID_JSON", "ab"));
        // Wide objects: checked by sorting, the repeated key found wherever it is.
        let mut wide: Vec<String> = (0..1000).map(|i| format!("\"k{i}\": {i}")).collect();
        wide.push("\"k17\": 0".into());
        let e = parse_value(&format!("{{\"w\": {{{}}}}}", wide.join(","))).expect_err("dup");
        assert_eq!((e.code(), e.path()), ("QB_INVALID_JSON", "w.k17"));
        assert_eq!(e.message(), "duplicate key `k17` in one object");
        assert!(parse_value(r#"{"a": {"x": 1}, "b": {"x": 1}}"#).is_ok());
    }

    #[test]
    fn numbers_outside_numeric_are_refused_where_they_stand() {
        let e = parse_value(r#"{"where": {"n": {"eq": 1e300000000}}}"#).expect_err("range");
        assert_eq!((e.code(), e.path()), ("QB_INVALID_VALUE", "where.n.eq"));
        let e = parse_value(r#"[0, 1e-16384]"#).expect_err("range");
        assert_eq!((e.code(), e.path()), ("QB_INVALID_VALUE", "[1]"));
    }
}
