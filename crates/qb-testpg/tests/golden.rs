//! Runs the golden corpus: each case compiles to exactly its committed SQL and params (or
//! error), and runs on the real PostgreSQL with exactly its committed rows. `BLESS=1`
//! rewrites the expectations; review the diff before committing it. A case may also carry
//! hand-written expectations that blessing never rewrites: `expect_ids` (the rows' `id`s) and
//! `expect_rows` (the whole documents, nested relations included).

use qb_testpg::golden::{self, Outcome};
use serde_json::Value as Json;

const MIN_CASES: usize = 150;

#[test]
fn golden_corpus() {
    let bless = std::env::var("BLESS").is_ok_and(|v| v == "1");
    let cases = golden::load_cases();
    let schema = golden::fixture_schema();
    let mut client = qb_testpg::client();
    let mut failures = Vec::new();
    let (mut executed, mut errors) = (0, 0);

    for case in &cases {
        let mut fail = |msg: String| failures.push(format!("[{}] {msg}", case.name));
        match golden::compile_case(case, &schema) {
            Outcome::Failed(err) => {
                errors += 1;
                if case.spec.get("expect_ids").is_some() {
                    fail(format!("has expect_ids but does not compile: {err}"));
                    continue;
                }
                if case.file("sql").exists() && !bless {
                    fail(format!("expected SQL but compile failed: {err}"));
                    continue;
                }
                if bless {
                    for ext in ["sql", "params.json", "rows.json"] {
                        let _ = std::fs::remove_file(case.file(ext));
                    }
                }
                if let Some(m) =
                    golden::check_file(&case.file("error.json"), &golden::pretty(&err), bless)
                {
                    fail(m);
                }
            }
            Outcome::Compiled(out) => {
                if bless {
                    let _ = std::fs::remove_file(case.file("error.json"));
                }
                if case.file("error.json").exists() {
                    fail(format!("expected an error but it compiled to: {}", out.sql));
                    continue;
                }
                let style = case.placeholder();
                let count = golden::placeholder_count(&out.sql, style);
                if count != out.params.len() {
                    fail(format!(
                        "{count} placeholders but {} params: {}",
                        out.params.len(),
                        out.sql
                    ));
                }
                if let Some(m) =
                    golden::check_file(&case.file("sql"), &format!("{}\n", out.sql), bless)
                {
                    fail(m);
                }
                let params = golden::params_json(&out.params);
                if let Some(m) =
                    golden::check_file(&case.file("params.json"), &golden::pretty(&params), bless)
                {
                    fail(m);
                }
                if !case.execute() {
                    if case.spec.get("reason").and_then(Json::as_str).is_none() {
                        fail("`execute: false` needs a `reason`".into());
                    }
                    continue;
                }
                executed += 1;
                let sql = golden::format_to_numbered(&out.sql);
                // The compiled params go through qb-core's own driver glue (`ToSql`).
                let rows = match qb_testpg::query_json_with(&mut client, &sql, &out.pg_params()) {
                    Ok(Json::Array(rows)) => rows,
                    Ok(other) => {
                        fail(format!("unexpected result {other}"));
                        continue;
                    }
                    Err(e) => {
                        fail(format!("PostgreSQL rejected the SQL: {e}\n{sql}"));
                        continue;
                    }
                };
                let ordered = case
                    .query()
                    .get("order_by")
                    .is_some_and(|o| o.as_array().is_some_and(|a| !a.is_empty()));
                let mut rows = rows;
                if !ordered {
                    rows.sort_by_key(|r| r.to_string());
                }
                if let Some(expect) = case.spec.get("expect_ids").and_then(Json::as_array) {
                    let mut want: Vec<String> = expect
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect();
                    let mut got: Vec<String> = rows.iter().filter_map(golden::row_id).collect();
                    if !ordered {
                        want.sort();
                        got.sort();
                    }
                    if want != got {
                        fail(format!(
                            "expect_ids mismatch\n  want {want:?}\n  got  {got:?}\n{sql}"
                        ));
                    }
                }
                // Hand-written rows, whole: the nested content too (relations, lists).
                if let Some(expect) = case.spec.get("expect_rows").and_then(Json::as_array) {
                    let mut want = expect.clone();
                    if !ordered {
                        want.sort_by_key(|r| r.to_string());
                    }
                    // The `data` column's documents (json output), else the rows as they are.
                    let mut got: Vec<Json> = rows
                        .iter()
                        .map(|r| match r.as_object() {
                            Some(o) if o.len() == 1 && o.contains_key("data") => o["data"].clone(),
                            _ => r.clone(),
                        })
                        .collect();
                    if !ordered {
                        got.sort_by_key(|r| r.to_string());
                    }
                    if want != got {
                        fail(format!(
                            "expect_rows mismatch\n  want {}\n  got  {}\n{sql}",
                            Json::Array(want),
                            Json::Array(got)
                        ));
                    }
                }
                let rows_text = golden::pretty(&Json::Array(rows));
                if let Some(m) = golden::check_file(&case.file("rows.json"), &rows_text, bless) {
                    fail(m);
                }
            }
        }
    }
    eprintln!(
        "golden corpus: {} cases, {executed} executed on PostgreSQL, {errors} error cases",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    assert!(
        cases.len() >= MIN_CASES || bless,
        "the corpus has {} cases; at least {MIN_CASES} are required",
        cases.len()
    );
}
