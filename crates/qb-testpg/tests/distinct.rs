//! `distinct`, `distinct_on` and count distinct over every field of the fixture registry, on
//! PostgreSQL (docs/query-ast.md, "Distinct rows").
//!
//! For each column, JSONB field and nested object field of `v_user`, `v_post` and
//! `v_comment` (enumerated from tests/golden/schema.json, so a new field is covered without
//! editing this file):
//! - whatever the compiler accepts runs on the server, and what it refuses is refused with
//!   `QB_OPERATOR_TYPE_MISMATCH` for exactly the types that cannot be compared (`tsvector`,
//!   `vector`, `bit`, `coordinates`);
//! - the three agree with one another on the server: the distinct rows of the field are its
//!   count distinct, plus one row when some row has it NULL (missing or JSON null: one NULL,
//!   which count distinct does not count), and `distinct_on` the field keeps as many rows.
#![allow(clippy::unwrap_used)]

use qb_core::{CompileOptions, Query, Schema, compile};
use qb_testpg::{client, golden};
use serde_json::{Value as Json, json};

const VIEWS: [&str; 3] = ["v_user", "v_post", "v_comment"];
const NOT_COMPARABLE: [&str; 4] = ["tsvector", "vector", "bit", "coordinates"];

/// `(path, type name)` of every column and field of a view, nested object fields included.
fn fields(view: &Json) -> Vec<(String, String)> {
    fn walk(prefix: &str, fields: &Json, out: &mut Vec<(String, String)>) {
        for (name, def) in fields.as_object().into_iter().flatten() {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let ty = match def {
                Json::String(t) => t.clone(),
                _ => def["type"].as_str().unwrap().to_owned(),
            };
            if ty == "object" {
                walk(&path, &def["fields"], out);
            }
            out.push((path, ty));
        }
    }
    let mut out = Vec::new();
    walk("", &view["columns"], &mut out);
    walk("", &view["fields"], &mut out);
    out
}

fn run(c: &mut postgres::Client, schema: &Schema, query: &Json) -> Result<Vec<Json>, String> {
    let q = Query::from_json(&query.to_string()).map_err(|e| e.to_string())?;
    let out = compile(&q, schema, &CompileOptions::default()).map_err(|e| e.code().to_owned())?;
    match qb_testpg::query_json_with(c, &out.sql, &out.pg_params()) {
        Ok(Json::Array(rows)) => Ok(rows),
        Ok(other) => panic!("not rows: {other}"),
        Err(e) => panic!("PostgreSQL refused {query}: {e}\n{}", out.sql),
    }
}

#[test]
fn distinct_distinct_on_and_count_distinct_agree_on_every_field() {
    let registry: Json = serde_json::from_str(
        &std::fs::read_to_string(golden::repo_root().join("tests/golden/schema.json")).unwrap(),
    )
    .unwrap();
    let schema = golden::fixture_schema();
    let mut c = client();
    let mut checked = 0;
    for view in VIEWS {
        for (field, ty) in fields(&registry["views"][view]) {
            let count = json!({"view": view, "output": "columns", "select": [
                {"aggregate": "count", "field": field, "distinct": true, "alias": "n"}]});
            let n = match run(&mut c, &schema, &count) {
                Ok(rows) => rows[0]["n"].as_i64().unwrap(),
                Err(code) => {
                    assert!(
                        NOT_COMPARABLE.contains(&ty.as_str()),
                        "{view}.{field} ({ty}): count distinct refused with {code}"
                    );
                    assert_eq!(code, "QB_OPERATOR_TYPE_MISMATCH", "{view}.{field}");
                    for q in [
                        json!({"view": view, "select": [field], "distinct": true}),
                        json!({"view": view, "select": ["id"], "distinct_on": [field]}),
                    ] {
                        let refused = run(&mut c, &schema, &q).expect_err("refused");
                        assert_eq!(refused, "QB_OPERATOR_TYPE_MISMATCH", "{q}");
                    }
                    continue;
                }
            };
            assert!(
                !NOT_COMPARABLE.contains(&ty.as_str()),
                "{view}.{field} ({ty}) compiled"
            );
            // `{"profile": {"city": {"isnull": true}}}` for `profile.city`.
            let test = field
                .rsplit('.')
                .fold(json!({"isnull": true}), |inner, seg| json!({seg: inner}));
            let nulls = json!({"view": view, "output": "columns",
                "select": [{"aggregate": "count", "alias": "n"}], "where": test});
            let has_null = run(&mut c, &schema, &nulls).unwrap()[0]["n"]
                .as_i64()
                .unwrap()
                > 0;
            let distinct = json!({"view": view, "select": [field], "distinct": true});
            let rows = run(&mut c, &schema, &distinct).unwrap();
            assert_eq!(
                rows.len() as i64,
                n + i64::from(has_null),
                "{view}.{field}: distinct rows {rows:?}, count distinct {n}, NULL {has_null}"
            );
            let on = json!({"view": view, "select": [field], "distinct_on": [field]});
            let kept = run(&mut c, &schema, &on).unwrap();
            assert_eq!(
                kept.len(),
                rows.len(),
                "{view}.{field}: distinct_on {kept:?}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} fields checked");
}
