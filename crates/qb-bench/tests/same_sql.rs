//! Like with like: for each workload, sea-query's statement and qb-core's are the same
//! statement (PostgreSQL's parser + deparser, via libpg_query, give identical text) with the
//! same parameters. The one documented difference (sea-query has no typed LIMIT parameter)
//! is normalised here; see `qb_bench::sea`.

use qb_bench::{NAMES, Workloads, sea};
use qb_core::ParamValue;
use sea_query::Value;

fn canonical(sql: &str) -> String {
    pg_query::parse(sql, 0)
        .unwrap_or_else(|e| panic!("PostgreSQL rejects {sql}: {e}"))
        .deparse(Default::default())
        .expect("deparse")
}

/// PostgreSQL text input form, as `qb_core::Param::to_pg_text` writes it.
fn sea_text(v: &Value, in_array: bool) -> String {
    match v {
        Value::String(Some(s)) if in_array => format!("\"{s}\""),
        Value::String(Some(s)) => s.clone(),
        Value::Double(Some(f)) => f.to_string(),
        Value::BigInt(Some(i)) => i.to_string(),
        Value::BigUnsigned(Some(i)) => i.to_string(),
        Value::Bool(Some(b)) => (if *b { "t" } else { "f" }).to_owned(),
        Value::Array(_, Some(items)) => {
            let inner: Vec<String> = items.iter().map(|i| sea_text(i, true)).collect();
            format!("{{{}}}", inner.join(","))
        }
        other => panic!("unexpected sea-query value {other:?}"),
    }
}

#[test]
fn sea_query_builds_the_same_statement_and_params() {
    let w = Workloads::load();
    for name in NAMES {
        let ours = w.compile(name);
        let (theirs, values) = sea::build(name);
        // The documented difference: `LIMIT $n::bigint` (qb-core) vs `LIMIT $n` (sea-query).
        let limit_typed = ours.params.last().is_some_and(|p| {
            matches!(p.value, ParamValue::Int(_)) && ours.sql.ends_with("::bigint")
        });
        let ours_sql = if limit_typed {
            ours.sql
                .strip_suffix("::bigint")
                .expect("suffix")
                .to_owned()
        } else {
            ours.sql.clone()
        };
        assert_eq!(
            canonical(&ours_sql),
            canonical(&theirs),
            "workload {name}: statements differ\nqb-core:   {}\nsea-query: {theirs}",
            ours.sql
        );
        let ours_params: Vec<String> = ours.params.iter().map(|p| p.to_pg_text()).collect();
        let their_params: Vec<String> = values.0.iter().map(|v| sea_text(v, false)).collect();
        assert_eq!(ours_params, their_params, "workload {name}: params differ");
    }
}

#[test]
fn only_m_has_the_limit_difference() {
    let w = Workloads::load();
    for name in NAMES {
        let has_limit = w.compile(name).sql.contains(" LIMIT ");
        assert_eq!(has_limit, name == "M", "workload {name}");
    }
}
