//! `Value`: the JSON-like literal tree that every host converts its data into.
//!
//! Bindings turn a Python dict, a JavaScript object or JSON text into a `Value`; everything
//! after that (shape checks, validation, error paths) happens once, in this crate.

use crate::Number;

/// A JSON-like value. Objects keep their keys in input order, so the SQL follows the order
/// the caller wrote. Cloning and dropping are iterative: no input depth can overflow the stack.
#[derive(Debug, PartialEq)]
pub enum Value {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A finite float.
    Float(f64),
    /// Any other number, as its exact text (integers beyond `i64`, decimals from JSON text,
    /// Python `Decimal`): a [`Number`], checked when it was made (JSON number grammar,
    /// PostgreSQL's `numeric` range), so its text is always a number and nothing else.
    Decimal(Number),
    /// A string.
    Str(String),
    /// An array.
    List(Vec<Value>),
    /// An object, keys in input order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The JSON type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) | Value::Decimal(_) => "number",
            Value::Str(_) => "string",
            Value::List(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Looks a key up in an object (first match).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Nesting depth (a scalar is 0, `[1]` is 1), computed without recursion.
    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack: Vec<(&Value, usize)> = vec![(self, 0)];
        while let Some((v, d)) = stack.pop() {
            max = max.max(d);
            match v {
                Value::List(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
                Value::Object(entries) => stack.extend(entries.iter().map(|(_, i)| (i, d + 1))),
                _ => {}
            }
        }
        max
    }

    /// Writes this value as compact JSON text (recursive: check [`Value::depth`] first for
    /// untrusted input).
    pub fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
            Value::Float(f) => write_float(*f, out),
            Value::Decimal(d) => out.push_str(d),
            Value::Str(s) => write_json_string(s, out),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Value::Object(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }

    /// This value as compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }
}

/// Writes a finite float in the shortest form that reads back as the same number,
/// positional (no exponent): the text `format!("{f}")` gives, with an integral value below
/// 1e15 written as an integer (`1.0` as `1`: the same JSON number, and valid numeric/float8
/// text).
///
/// The digits come from `zmij` (dtolnay's port of Zverovich's Schubfach/yy shortest
/// round-trip algorithm, already in the lockfile through serde_json): several times fewer
/// instructions than `core::fmt`'s Grisu with its formatter machinery, which was about a
/// thousand per float in a Node `bindValues` on workload M. Its text is the same shortest,
/// closest digits, except where it writes an exponent (outside roughly 1e-5..1e16) or
/// 16 or more digits (where ties are broken apart, see below): those are `core::fmt`'s. `tests::float_text_is_std_display` holds the two to the same bytes.
pub(crate) fn write_float(f: f64, out: &mut String) {
    use std::fmt::Write;
    if f.is_finite() && f == f.trunc() && f.abs() < 1e15 {
        out.push_str(itoa::Buffer::new().format(f as i64));
        return;
    }
    if f.is_finite() {
        let mut buf = zmij::Buffer::new();
        let s = buf.format_finite(f);
        // Significant digits: two shortest candidates can tie (the float exactly halfway
        // between them, e.g. 0x43179085685d83c9, 1658206780088562.25) only when a 53-bit
        // significand needs 16 or more digits, and there the two break the tie apart
        // (`.2` / `.3`): a different `numeric`. Those, like exponents, take `core::fmt`.
        let significant = s
            .bytes()
            .skip_while(|b| matches!(b, b'-' | b'0' | b'.'))
            .filter(u8::is_ascii_digit)
            .count();
        if significant < 16 && !s.contains(['e', 'E']) {
            out.push_str(s.strip_suffix(".0").unwrap_or(s));
            return;
        }
    }
    let _ = write!(out, "{f}");
}

pub(crate) fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

#[cfg(feature = "serde")]
mod de {
    use super::Value;
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    impl<'de> Deserialize<'de> for Value {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
            d.deserialize_any(ValueVisitor)
        }
    }

    struct ValueVisitor;

    /// The key serde_json's `arbitrary_precision` feature wraps a number's text in.
    const NUMBER_TOKEN: &str = "$serde_json::private::Number";

    /// A JSON number's exact text as a `Value`: `Int` when it fits `i64`, else a checked
    /// `Decimal`.
    fn number_from_text<E: serde::de::Error>(text: String) -> Result<Value, E> {
        match text.parse::<i64>() {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => crate::Number::new(text)
                .map(Value::Decimal)
                .map_err(E::custom),
        }
    }

    impl<'de> Visitor<'de> for ValueVisitor {
        type Value = Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_none<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            Deserialize::deserialize(d)
        }
        fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
            Ok(Value::Bool(b))
        }
        fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
            Ok(Value::Int(i))
        }
        fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
            Ok(match i64::try_from(u) {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Decimal(crate::Number::from(u)),
            })
        }
        fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Value, E> {
            if f.is_finite() {
                Ok(Value::Float(f))
            } else {
                Err(E::custom("non-finite number"))
            }
        }
        fn visit_str<E>(self, s: &str) -> Result<Value, E> {
            Ok(Value::Str(s.to_owned()))
        }
        fn visit_string<E>(self, s: String) -> Result<Value, E> {
            Ok(Value::Str(s))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(Value::List(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
            while let Some(key) = map.next_key::<String>()? {
                if entries.is_empty() && key == NUMBER_TOKEN {
                    // serde_json's `arbitrary_precision` hands numbers over as their text.
                    let text: String = map.next_value()?;
                    return number_from_text(text);
                }
                let value = map.next_value::<Value>()?;
                entries.push((key, value));
            }
            Ok(Value::Object(entries))
        }
    }
}

impl Clone for Value {
    fn clone(&self) -> Value {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::Decimal(d) => Value::Decimal(d.clone()),
            Value::Str(s) => Value::Str(s.clone()),
            Value::List(_) | Value::Object(_) => clone_deep(self),
        }
    }
}

/// Deep copy with an explicit stack instead of recursion.
fn clone_deep(root: &Value) -> Value {
    enum Frame<'a> {
        List(std::slice::Iter<'a, Value>, Vec<Value>),
        Object(
            std::slice::Iter<'a, (String, Value)>,
            Vec<(String, Value)>,
            String,
        ),
    }
    fn open(v: &Value) -> Option<Frame<'_>> {
        match v {
            Value::List(items) => Some(Frame::List(items.iter(), Vec::with_capacity(items.len()))),
            Value::Object(entries) => Some(Frame::Object(
                entries.iter(),
                Vec::with_capacity(entries.len()),
                String::new(),
            )),
            _ => None,
        }
    }
    let Some(first) = open(root) else {
        return root.clone();
    };
    let mut stack = vec![first];
    loop {
        let Some(top) = stack.last_mut() else {
            return Value::Null;
        };
        let next = match top {
            Frame::List(src, _) => src.next(),
            Frame::Object(src, _, key) => src.next().map(|(k, v)| {
                key.clone_from(k);
                v
            }),
        };
        let done = match next {
            Some(child) => match open(child) {
                Some(frame) => {
                    stack.push(frame);
                    continue;
                }
                None => child.clone(),
            },
            None => match stack.pop() {
                Some(Frame::List(_, out)) => {
                    let v = Value::List(out);
                    if stack.is_empty() {
                        return v;
                    }
                    v
                }
                Some(Frame::Object(_, out, _)) => {
                    let v = Value::Object(out);
                    if stack.is_empty() {
                        return v;
                    }
                    v
                }
                None => return Value::Null,
            },
        };
        match stack.last_mut() {
            Some(Frame::List(_, out)) => out.push(done),
            Some(Frame::Object(_, out, key)) => out.push((std::mem::take(key), done)),
            None => return done,
        }
    }
}

/// Dropping a deep value must not overflow the stack either. Children are dismantled
/// deepest-first by a recursion bounded at `RECURSION_BUDGET` levels (cheap for the usual
/// shallow documents), below which an explicit stack takes over.
impl Drop for Value {
    fn drop(&mut self) {
        if is_nonempty_container(self) {
            dismantle(self, 0);
        }
    }
}

const RECURSION_BUDGET: usize = 128;

fn is_nonempty_container(v: &Value) -> bool {
    match v {
        Value::List(items) => !items.is_empty(),
        Value::Object(entries) => !entries.is_empty(),
        _ => false,
    }
}

/// Empties `v`'s container so that dropping it does no further work.
fn dismantle(v: &mut Value, depth: usize) {
    if depth >= RECURSION_BUDGET {
        dismantle_iteratively(v);
        return;
    }
    match v {
        Value::List(items) => {
            for item in items.iter_mut().filter(|i| is_nonempty_container(i)) {
                dismantle(item, depth + 1);
            }
            items.clear();
        }
        Value::Object(entries) => {
            for (_, item) in entries.iter_mut().filter(|(_, i)| is_nonempty_container(i)) {
                dismantle(item, depth + 1);
            }
            entries.clear();
        }
        _ => {}
    }
}

fn dismantle_iteratively(v: &mut Value) {
    fn take_children(v: &mut Value, stack: &mut Vec<Value>) {
        match v {
            Value::List(items) => stack.append(items),
            Value::Object(entries) => {
                stack.extend(std::mem::take(entries).into_iter().map(|(_, v)| v))
            }
            _ => {}
        }
    }
    let mut stack = Vec::new();
    take_children(v, &mut stack);
    while let Some(mut child) = stack.pop() {
        take_children(&mut child, &mut stack);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text `write_float` wrote before it used `zmij`: `core::fmt`'s shortest
    /// round-trip Display, an integral value below 1e15 as an integer.
    fn std_float_text(f: f64) -> String {
        if f == f.trunc() && f.abs() < 1e15 {
            format!("{}", f as i64)
        } else {
            format!("{f}")
        }
    }

    fn float_text(f: f64) -> String {
        let mut s = String::new();
        write_float(f, &mut s);
        s
    }

    /// `write_float` is byte for byte what it was with `core::fmt` (the text sent as a
    /// `numeric` or `float8` parameter and written into JSON), on every kind of finite
    /// float: random bit patterns (every exponent), short decimals (`10.5`, `0.07`) at
    /// every scale around the switch to exponents, integers near 1e15 and 1e16, subnormals,
    /// the extremes, powers of ten and their neighbours.
    #[test]
    fn float_text_is_std_display() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut cases: Vec<f64> = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.2,
            0.3,
            10.5,
            -10.5,
            1e15,
            -1e15,
            1e16,
            1e17,
            1e21,
            1e22,
            1e23,
            9.999_999_999_999_999e14,
            123_456_789_012_345.6,
            1e-5,
            1e-6,
            1e-7,
            5e-324,
            -5e-324,
            2.225_073_858_507_201e-308,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            0.1 + 0.2,
            1.0 / 3.0,
            2.0 / 3.0,
        ];
        for k in -330..=310 {
            let p = format!("1e{k}").parse::<f64>().unwrap_or(0.0);
            cases.extend([
                p,
                -p,
                f64::from_bits(p.to_bits() + 1),
                f64::from_bits(p.to_bits().saturating_sub(1)),
            ]);
        }
        for _ in 0..200_000 {
            cases.push(f64::from_bits(next()));
        }
        for _ in 0..200_000 {
            // A decimal of 1 to 17 digits, scaled by 10^-12 .. 10^20.
            let digits = next() % 17 + 1;
            let m = next() % 10u64.pow(digits as u32);
            let k = (next() % 33) as i32 - 12;
            let f = format!("{m}e{k}").parse::<f64>().unwrap_or(0.0);
            cases.push(if next() % 2 == 0 { f } else { -f });
        }
        for _ in 0..100_000 {
            // Integral values around 1e15 .. 1e17, and halves.
            let i = 1_000_000_000_000_000 + next() % 100_000_000_000_000_000;
            cases.extend([i as f64, i as f64 + 0.5]);
        }
        for f in cases {
            if !f.is_finite() {
                continue;
            }
            assert_eq!(float_text(f), std_float_text(f), "{:#x}", f.to_bits());
        }
    }

    #[test]
    fn deep_values_clone_and_drop_without_recursion() {
        let mut v = Value::Int(1);
        for i in 0..100_000 {
            v = if i % 2 == 0 {
                Value::List(vec![v, Value::Str("x".into())])
            } else {
                Value::Object(vec![("k".into(), v)])
            };
        }
        let copy = v.clone();
        assert!(matches!(&copy, Value::Object(e) if e.len() == 1));
        drop(v);
        drop(copy);
    }

    #[test]
    fn clone_keeps_order_and_content() {
        let v = Value::Object(vec![
            (
                "b".into(),
                Value::List(vec![
                    Value::Int(1),
                    Value::Object(vec![("z".into(), Value::Null)]),
                ]),
            ),
            (
                "a".into(),
                Value::Decimal(Number::new("1.50").expect("number")),
            ),
        ]);
        assert_eq!(v.clone(), v);
    }

    #[test]
    fn json_text_escapes_strings() {
        let v = Value::Object(vec![
            ("a\"b".into(), Value::Str("x\\y\n\u{1}".into())),
            (
                "n".into(),
                Value::List(vec![Value::Int(-3), Value::Float(1.5), Value::Null]),
            ),
        ]);
        assert_eq!(v.to_json(), r#"{"a\"b":"x\\y\n\u0001","n":[-3,1.5,null]}"#);
    }

    #[test]
    fn numbers_write_their_text() {
        let v = Value::List(vec![
            Value::Decimal(Number::new("12345678901234567890.123").expect("number")),
            Value::Decimal(Number::from(u64::MAX)),
        ]);
        assert_eq!(
            v.to_json(),
            "[12345678901234567890.123,18446744073709551615]"
        );
    }
}
