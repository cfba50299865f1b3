//! PostgreSQL is the judge of `Number`'s range check (qb_core::Number: JSON number grammar and
//! `numeric`'s limits): for numbers at and around every limit (digits before the point,
//! digits after it once the exponent applies, the exponent itself, zero with any exponent),
//! `Number::new` accepts exactly the texts PostgreSQL 15 accepts as `numeric` and inside
//! `jsonb`; and the operand validator (`numeric_in`, which shares the range check with
//! `Number`) accepts exactly those texts as a string operand of a `numeric` field.

use qb_core::{CompileOptions, Number, Query, Value, compile};
use qb_testpg::{client, golden};

/// Texts at and around the limits (all JSON numbers: the grammar is checked elsewhere).
fn candidates() -> Vec<String> {
    let mut out: Vec<String> = [
        "0",
        "-0",
        "1",
        "1e131071",
        "9.9e131071",
        "1e131072",
        "-1e131071",
        "-1e131072",
        "1e-16383",
        "1e-16384",
        "1.5e-16383",
        "1.5e-16382",
        "0e-16383",
        "0e-16384",
        "0e999999",
        "0e1073741822",
        "0e1073741823",
        "0e-1073741822",
        "1e-1073741822",
        "0.0012e131074",
        "0.0012e131075",
        "12e131070",
        "12e131071",
        "0.5e-16382",
        "0.5e-16383",
        "1e2147483647",
        "1e-2147483648",
        "1e99999999999999999999",
        "0.000e5",
        "100e-2",
        "1E+3",
        "1e0000000000000000000003",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in [131_071, 131_072, 131_073] {
        out.push(format!("9{}", "0".repeat(n - 1)));
        out.push(format!("-{}.5", "9".repeat(n)));
    }
    for n in [16_382, 16_383, 16_384] {
        out.push(format!("0.{}", "1".repeat(n)));
        out.push(format!("7.{}e-1", "0".repeat(n - 1)));
        out.push(format!("{}e-{n}", "1".repeat(5)));
    }
    out
}

#[test]
fn number_range_is_postgresql_numeric_range() {
    let mut pg = client();
    let mut disagreements = Vec::new();
    for text in candidates() {
        let ours = Number::new(text.clone()).is_ok();
        for cast in ["$1::text::numeric", "('[' || $1::text || ']')::jsonb"] {
            let sql = format!("SELECT ({cast}) IS NOT NULL");
            let theirs = pg.query_one(&sql, &[&text]).is_ok();
            if ours != theirs {
                let shown: String = text.chars().take(40).collect();
                disagreements.push(format!(
                    "{shown}… ({} bytes) via {cast}: ours {ours}, PostgreSQL {theirs}",
                    text.len()
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn numeric_operand_range_is_postgresql_numeric_range() {
    let mut pg = client();
    let schema = golden::fixture_schema();
    let mut disagreements = Vec::new();
    for text in candidates() {
        let doc = Value::Object(vec![
            ("view".into(), Value::Str("v_user".into())),
            ("select".into(), Value::List(vec![Value::Str("id".into())])),
            (
                "where".into(),
                Value::Object(vec![(
                    "score".into(),
                    Value::Object(vec![("eq".into(), Value::Str(text.clone()))]),
                )]),
            ),
        ]);
        let ours = Query::from_value(&doc)
            .and_then(|q| compile(&q, &schema, &CompileOptions::default()))
            .is_ok();
        let theirs = pg
            .query_one("SELECT ($1::text::numeric) IS NOT NULL", &[&text])
            .is_ok();
        if ours != theirs {
            let shown: String = text.chars().take(40).collect();
            disagreements.push(format!(
                "{shown}… ({} bytes): ours {ours}, PostgreSQL {theirs}",
                text.len()
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
