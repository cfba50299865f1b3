//! Findings of the fuzz targets (fuzz/, docs/reliability.md), each kept as a regression test.
//! A test marked `#[ignore = "bug: …"]` reproduces a bug in code owned elsewhere; remove the
//! `ignore` when it is fixed.
#![allow(clippy::unwrap_used)]

use qb_core::{CompileOptions, Query};
use qb_testpg::golden;

fn compile(json: &str) -> Result<qb_core::CompiledQuery, qb_core::Error> {
    let schema = golden::fixture_schema();
    Query::from_json(json).and_then(|q| qb_core::compile(&q, &schema, &CompileOptions::default()))
}

/// fuzz target `query_json`, crash-bdf276604a87788032ff1f015c13164814cf1b2f: a timestamptz
/// operand with a multi-byte character across byte 10 made `is_timestamptz` slice a `&str`
/// inside a character (`&s[..10]`, compile/values.rs) and panic.
#[test]
fn timestamptz_operand_with_multibyte_char_at_byte_10() {
    for (field, op, operand) in [
        ("last_login", "in", r#"["6035-11-0Ú1T12:00:00+02:00"]"#),
        ("last_login", "eq", r#""2024-01-0é1T00:00:00Z""#),
        ("lastLogin", "gt", r#""2024-01-0日T00:00:00Z""#),
        ("created_at", "lte", r#""2024-01-0🚀T00:00:00Z""#),
    ] {
        let q = format!(
            r#"{{"view": "v_user", "select": ["id"], "where": {{"{field}": {{"{op}": {operand}}}}}}}"#
        );
        let r = std::panic::catch_unwind(|| compile(&q));
        let e = r
            .unwrap_or_else(|_| panic!("panicked on {q}"))
            .expect_err("not a timestamp");
        assert_eq!(e.code(), "QB_INVALID_VALUE", "{q}");
    }
}

/// The same operands one byte shorter or longer are plain invalid values (no panic), which
/// pins the boundary the bug above sits on.
#[test]
fn timestamptz_operands_with_multibyte_chars_elsewhere() {
    for operand in [
        "\"2024-01-01\u{e9}00:00:00Z\"",
        "\"\u{e9}024-01-01T00:00:00Z\"",
        "\"2024-01-01T00:00:00\u{e9}\"",
        "\"2024-01-01T00:0\u{65e5}:00Z\"",
    ] {
        let q = format!(
            r#"{{"view": "v_user", "select": ["id"], "where": {{"last_login": {{"eq": {operand}}}}}}}"#
        );
        let e = compile(&q).expect_err("not a timestamp");
        assert_eq!(e.code(), "QB_INVALID_VALUE", "{q}");
    }
}
