//! The JSON reader (`qb_core::json::parse_value`) held to serde_json's verdict: on generated
//! documents (valid ones, and the same with bytes changed, cut or inserted) both accept the
//! same texts and read the same values, except where qb-core refuses on purpose: a key
//! repeated in one object, a number outside PostgreSQL's `numeric` range.

use qb_core::{Number, Value};
use serde_json::Value as Json;

/// xorshift64*: a deterministic generator, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const STRINGS: &[&str] = &[
    "\"\"",
    "\"a\"",
    "\"view\"",
    "\"é\"",
    "\"a\\\"b\"",
    "\"\\\\\"",
    "\"\\n\\t\\r\\b\\f\\/\"",
    "\"\\u0041\"",
    "\"\\u00e9\"",
    "\"\\ud83d\\ude00\"",
    "\"😀\"",
    "\"x y\"",
    "\"\\u0000\"",
];
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "42",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551616",
    "1.5",
    "-0.25",
    "1e3",
    "1E+3",
    "1e-3",
    "12345678901234567890.123",
    "0.000001",
    "2.5e10",
    "1e131071",
    "1e131072",
    "1e-16384",
];
const JUNK: &[&str] = &[
    "", " ", ",", ":", "{", "}", "[", "]", "\"", "\\", "-", "+", ".", "e", "0", "01", "tru", "nul",
    "\u{1}", "\\u", "\\ud800", "NaN", "\n",
];

fn value(r: &mut Rng, depth: usize, out: &mut String) {
    let choice = if depth > 6 { r.below(5) } else { r.below(8) };
    match choice {
        0 => out.push_str(r.pick(STRINGS)),
        1 => out.push_str(r.pick(NUMBERS)),
        2 => out.push_str(r.pick(&["true", "false", "null"])),
        3 | 4 => out.push_str(r.pick(NUMBERS)),
        5 => {
            out.push('[');
            for i in 0..r.below(4) {
                if i > 0 {
                    out.push_str(r.pick(&[",", ", ", " ,"]));
                }
                value(r, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            let keys = ["\"a\"", "\"b\"", "\"view\"", "\"a\\u0062\"", "\"ab\""];
            for i in 0..r.below(4) {
                if i > 0 {
                    out.push_str(r.pick(&[",", ",\n "]));
                }
                out.push_str(keys[r.below(keys.len())]);
                out.push_str(r.pick(&[":", " : "]));
                value(r, depth + 1, out);
            }
            out.push('}');
        }
    }
}

fn mutate(r: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=r.below(2) {
        let at = r.below(chars.len() + 1);
        match r.below(3) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 if at < chars.len() => {
                chars.truncate(at);
            }
            _ => {
                for c in r.pick(JUNK).chars().rev() {
                    chars.insert(at.min(chars.len()), c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

/// What serde_json's own walk of `text` finds: a key repeated in some object, a number outside
/// `numeric`'s range anywhere (also in a subtree a repeated key later replaced).
fn scan(text: &str) -> (bool, bool) {
    /// The key serde_json's `arbitrary_precision` wraps a number's text in.
    const NUMBER_TOKEN: &str = "$serde_json::private::Number";
    struct Walk;
    impl<'de> serde::de::Visitor<'de> for Walk {
        type Value = (bool, bool);
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("json")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut m: A,
        ) -> Result<Self::Value, A::Error> {
            let mut keys = Vec::new();
            let (mut dup, mut range) = (false, false);
            while let Some(k) = m.next_key::<String>()? {
                if keys.is_empty() && k == NUMBER_TOKEN {
                    let n: String = m.next_value()?;
                    return Ok((false, Number::new(n).is_err()));
                }
                dup |= keys.contains(&k);
                keys.push(k);
                let Found(d, r) = m.next_value::<Found>()?;
                dup |= d;
                range |= r;
            }
            Ok((dup, range))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut s: A,
        ) -> Result<Self::Value, A::Error> {
            let (mut dup, mut range) = (false, false);
            while let Some(Found(d, r)) = s.next_element::<Found>()? {
                dup |= d;
                range |= r;
            }
            Ok((dup, range))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok((false, false))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok((false, false))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok((false, false))
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok((false, false))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok((false, false))
        }
    }
    struct Found(bool, bool);
    impl<'de> serde::de::Deserialize<'de> for Found {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Found, D::Error> {
            d.deserialize_any(Walk).map(|(a, b)| Found(a, b))
        }
    }
    serde_json::from_str::<Found>(text).map_or((false, false), |Found(d, r)| (d, r))
}

/// Number text as serde_json writes it back (`1E3` and `1e3` as `1e+3`).
fn norm(n: &str) -> String {
    let n = n.to_ascii_lowercase();
    match n.split_once('e') {
        Some((m, e)) if !e.starts_with(['+', '-']) => format!("{m}e+{e}"),
        _ => n,
    }
}

/// Whether `ours` and serde_json's `theirs` are the same document (object keys compared as
/// sets: serde_json's map sorts them; numbers by value when integral, else by text).
fn same(ours: &Value, theirs: &Json) -> bool {
    match (ours, theirs) {
        (Value::Null, Json::Null) => true,
        (Value::Bool(a), Json::Bool(b)) => a == b,
        (Value::Str(a), Json::String(b)) => a == b,
        (Value::Int(a), Json::Number(b)) => {
            b.to_string().parse::<i64>().ok() == Some(*a)
                || Number::new(b.to_string()).ok().and_then(|n| n.to_i64()) == Some(*a)
        }
        (Value::Decimal(a), Json::Number(b)) => norm(a.as_str()) == norm(&b.to_string()),
        (Value::List(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Json::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

#[test]
fn the_reader_agrees_with_serde_json() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut refused, mut on_purpose) = (0, 0, 0);
    for i in 0..20_000 {
        let mut text = String::new();
        value(&mut r, 0, &mut text);
        if i % 2 == 1 {
            text = mutate(&mut r, &text);
        }
        let ours = qb_core::json::parse_value(&text);
        let theirs = serde_json::from_str::<Json>(&text);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => {
                assert!(same(a, b), "{text:?}: {a:?} vs {b:?}");
                accepted += 1;
            }
            (Err(e), Ok(b)) => {
                let (has_dup, has_out_of_range) = scan(&text);
                let dup = e.code() == "QB_INVALID_JSON" && e.message().starts_with("duplicate key");
                let range = e.code() == "QB_INVALID_VALUE";
                assert!(
                    (dup && has_dup) || (range && has_out_of_range),
                    "{text:?}: refused ({e}) but serde_json reads {b:?}"
                );
                on_purpose += 1;
            }
            (Ok(a), Err(e)) => panic!("{text:?}: read as {a:?} but serde_json refuses: {e}"),
            (Err(a), Err(_)) => {
                assert!(
                    matches!(
                        a.code(),
                        "QB_INVALID_JSON" | "QB_DEPTH_LIMIT" | "QB_INVALID_VALUE"
                    ),
                    "{text:?}: {a}"
                );
                refused += 1;
            }
        }
    }
    // The generator reaches every branch.
    assert!(
        accepted > 5_000 && refused > 2_000 && on_purpose > 500,
        "{accepted} {refused} {on_purpose}"
    );
}

#[test]
fn depth_limits_agree_at_the_boundary() {
    for depth in [127, 128, 129] {
        let text = "[".repeat(depth) + &"]".repeat(depth);
        let ours = qb_core::json::parse_value(&text).is_ok();
        let theirs = serde_json::from_str::<Json>(&text).is_ok();
        assert_eq!(ours, theirs, "depth {depth}");
    }
}
