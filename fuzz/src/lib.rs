//! Shared oracle of the fuzz targets: compile, then check the output's invariants.
//!
//! For every successful compile (in both placeholder styles):
//! - placeholders in the SQL are exactly `$1..$n` (PostgreSQL's own parser counts the
//!   `ParamRef` nodes) with `n == params.len()`;
//! - the SQL parses with libpg_query (`pg_query::parse`);
//! - the SQL text depends on the query only (compiling twice gives the same bytes).
//!
//! A compile error must carry a `QB_` code. Anything else (a panic, a stack overflow, a
//! failed assertion) is a finding.

use std::sync::OnceLock;

use qb_core::{CompileOptions, CompiledQuery, Placeholder, Query, Schema, Value};

/// The fixture registry (`tests/golden/schema.json`), parsed once.
pub fn fixture_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::from_json(include_str!("../../tests/golden/schema.json"))
            .expect("fixture schema is valid")
    })
}

/// The fixture registry with `v_user`'s whole-document threshold (a registry opt-in) at
/// `threshold`, one registry per value, built once.
pub fn fixture_schema_with_threshold(threshold: u8) -> &'static Schema {
    static SCHEMAS: OnceLock<Vec<Schema>> = OnceLock::new();
    let all = SCHEMAS.get_or_init(|| {
        (0..8)
            .map(|t| {
                let mut s = fixture_schema().clone();
                let view = s.view("v_user").cloned().expect("v_user");
                s.add_view(view.document_threshold(Some(t)))
                    .expect("valid view");
                s
            })
            .collect()
    });
    &all[usize::from(threshold) % all.len()]
}

/// Reads JSON text with qb-core's reader and checks its contract: an error has a `QB_`
/// code, and a repeated key is `QB_INVALID_JSON` with the key's path; a document read has
/// no object with a repeated key and no number outside `numeric`'s range (every `Number`
/// was checked). Returns the document when it was read.
pub fn check_json_reader(text: &str) -> Option<Value> {
    match qb_core::json::parse_value(text) {
        Ok(value) => {
            let mut stack = vec![&value];
            while let Some(v) = stack.pop() {
                match v {
                    Value::List(items) => stack.extend(items),
                    Value::Object(entries) => {
                        let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
                        keys.sort_unstable();
                        assert!(
                            keys.windows(2).all(|w| w[0] != w[1]),
                            "a repeated key was read: {keys:?}"
                        );
                        stack.extend(entries.iter().map(|(_, v)| v));
                    }
                    Value::Decimal(n) => assert!(qb_core::Number::new(n.as_str()).is_ok()),
                    _ => {}
                }
            }
            Some(value)
        }
        Err(e) => {
            assert!(e.code().starts_with("QB_"), "bad code {}", e.code());
            if e.message().starts_with("duplicate key") {
                assert_eq!(e.code(), "QB_INVALID_JSON");
                assert!(!e.path().is_empty(), "a repeated key has a path");
            }
            None
        }
    }
}

/// `%s` SQL as `$n` SQL (`%%` as `%`). Panics on a lone `%` (psycopg would reject it).
pub fn format_to_numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut chars = sql.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('s') => {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                Some('%') => out.push('%'),
                other => panic!("lone % in format-style SQL (next {other:?}):\n{sql}"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses `sql` with PostgreSQL's parser and checks its placeholders are `$1..$n_params`.
pub fn check_sql(sql: &str, n_params: usize) {
    match pg_query::parse(sql, 0) {
        Ok(parsed) => assert_eq!(
            parsed.protobuf.stmts.len(),
            1,
            "one statement expected:\n{sql}"
        ),
        // The Rust side decodes the tree with prost, which stops at 100 nested messages;
        // libpg_query itself parsed the statement. Check it once more without decoding.
        Err(pg_query::Error::Decode(_)) => {
            if let Err(e) = pg_query::fingerprint(sql, 0, 0) {
                panic!("SQL does not parse ({e}):\n{sql}");
            }
        }
        Err(e) => panic!("SQL does not parse ({e}):\n{sql}"),
    }
    // PostgreSQL's own scanner finds every `$n` token (outside literals and comments).
    let scanned = pg_query::scan(sql).expect("parsed SQL scans");
    let mut seen = vec![false; n_params];
    for t in &scanned.tokens {
        if t.token == pg_query::protobuf::Token::Param as i32 {
            let text = &sql[t.start as usize..t.end as usize];
            let i: usize = text[1..].parse().unwrap_or(0);
            assert!(
                i >= 1 && i <= n_params,
                "placeholder {text} but {n_params} params:\n{sql}"
            );
            seen[i - 1] = true;
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        panic!(
            "param {} has no placeholder ({n_params} params):\n{sql}",
            missing + 1
        );
    }
}

fn check_output(out: &CompiledQuery, style: Placeholder) {
    let sql = match style {
        Placeholder::Format => format_to_numbered(&out.sql),
        _ => out.sql.clone(),
    };
    check_sql(&sql, out.params.len());
}

/// Compiles `query` against `schema` in both placeholder styles and checks the output.
/// Returns whether it compiled.
pub fn compile_and_check(query: &Query, schema: &Schema) -> bool {
    let numbered = CompileOptions::default();
    let first = qb_core::compile(query, schema, &numbered);
    match &first {
        Ok(out) => {
            check_output(out, Placeholder::Numbered);
            let again = qb_core::compile(query, schema, &numbered).expect("second compile");
            assert_eq!(again, *out, "compile is not deterministic");
            let fmt = qb_core::compile(query, schema, &CompileOptions::format())
                .expect("numbered compiled but format did not");
            assert_eq!(fmt.params, out.params, "params differ between styles");
            check_output(&fmt, Placeholder::Format);
            true
        }
        Err(e) => {
            assert!(e.code().starts_with("QB_"), "bad code {}", e.code());
            let fmt = qb_core::compile(query, schema, &CompileOptions::format());
            let fe = fmt.expect_err("numbered failed but format compiled");
            assert_eq!(fe.code(), e.code(), "error differs between styles");
            false
        }
    }
}

/// Builds a query from `value` and compiles it against `schema`; false when either fails.
pub fn value_and_check(value: &Value, schema: &Schema) -> bool {
    match Query::from_value(value) {
        Ok(q) => compile_and_check(&q, schema),
        Err(e) => {
            assert!(e.code().starts_with("QB_"), "bad code {}", e.code());
            false
        }
    }
}
