//! Compile-time benchmarks over the shared workloads (tests/bench/workloads.json).
//!
//! `cargo bench -p qb-core --bench compile` (add `-- --quick` for a short run). Groups:
//! - `compile/<W>`: `compile()` on a prebuilt AST and registry (the core cost);
//! - `parse_compile/<W>`: JSON text -> AST -> SQL (what a JSON caller pays);
//! - `from_value_compile/<W>`: an owned `Value` -> AST -> SQL (what the bindings pay after
//!   converting host data);
//! - `baseline/<W>`: a plain `write!` producing the identical SQL text from pre-resolved
//!   strings: the floor for any approach that builds this SQL;
//! - `scale_filter/<n>`, `scale_select/<n>`: growth with AST size.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use qb_core::{CompileOptions, Query, Schema, Value, compile};

fn root() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../..").to_owned()
}

/// The registry and the workloads file, read as `Value` so the queries keep their key order.
fn load() -> (Schema, Value) {
    let r = root();
    let schema = Schema::from_json(
        &std::fs::read_to_string(format!("{r}/tests/golden/schema.json")).expect("schema"),
    )
    .expect("valid schema");
    let text =
        std::fs::read_to_string(format!("{r}/tests/bench/workloads.json")).expect("workloads");
    (
        schema,
        qb_core::json::parse_value(&text).expect("valid workloads"),
    )
}

/// The `write!` baseline: same SQL text as the compiler, from strings resolved in advance.
fn baseline(name: &str, out: &mut String) {
    out.clear();
    match name {
        "S" => {
            let fields = [
                ("id", "t.\"id\""),
                ("name", "t.\"data\"->'name'"),
                ("email", "t.\"data\"->'email'"),
            ];
            out.push_str("SELECT jsonb_build_object(");
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "'{k}', {v}");
            }
            out.push_str(") AS \"data\" FROM \"v_user\" AS t");
        }
        "M" => {
            let fields = [
                ("id", "t.\"id\""),
                ("__typename", "'User'"),
                ("name", "t.\"data\"->'name'"),
                ("email", "t.\"data\"->'email'"),
                ("nickName", "t.\"data\"->'nick_name'"),
                ("age", "t.\"data\"->'age'"),
                ("score", "t.\"data\"->'score'"),
                ("active", "t.\"data\"->'active'"),
                ("birthDate", "t.\"data\"->'birth_date'"),
                ("lastLogin", "t.\"data\"->'last_login'"),
            ];
            out.push_str("SELECT jsonb_build_object(");
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "'{k}', {v}");
            }
            let _ = write!(
                out,
                ") AS \"data\" FROM \"v_user\" AS t WHERE ((t.\"data\"->>'email' = ${}::text) AND \
                 ((t.\"data\"->>'score')::numeric >= ${}::numeric) AND (t.\"data\"->'profile'->>'city' = ANY(${}::text[]))) \
                 ORDER BY (t.\"data\"->>'age')::numeric DESC NULLS LAST, t.\"created_at\" ASC LIMIT ${}::bigint",
                1, 2, 3, 4
            );
        }
        _ => unreachable!("no baseline for {name}"),
    }
}

fn workload_query(w: &Value, name: &str) -> String {
    w.get("workloads")
        .and_then(|ws| ws.get(name))
        .and_then(|x| x.get("query"))
        .expect("workload")
        .to_json()
}

fn scaled_filter(n: usize) -> Query {
    let cond = r#"{"age": {"gte": 18}}"#;
    let and = vec![cond; n].join(",");
    Query::from_json(&format!(
        r#"{{"view": "v_user", "select": ["id"], "where": {{"and": [{and}]}}}}"#
    ))
    .expect("valid")
}

fn scaled_select(n: usize) -> Query {
    let fields: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"field": "name", "alias": "f{i}"}}"#))
        .collect();
    Query::from_json(&format!(
        r#"{{"view": "v_user", "select": [{}]}}"#,
        fields.join(",")
    ))
    .expect("valid")
}

fn benches(c: &mut Criterion) {
    let (schema, w) = load();
    let opts = CompileOptions::default();
    for name in ["S", "M", "C", "W"] {
        let text = workload_query(&w, name);
        let query = Query::from_json(&text).expect("workload parses");
        let sql = compile(&query, &schema, &opts)
            .expect("workload compiles")
            .sql;
        c.bench_function(&format!("compile/{name}"), |b| {
            b.iter(|| compile(black_box(&query), &schema, &opts))
        });
        c.bench_function(&format!("parse_compile/{name}"), |b| {
            b.iter(|| {
                compile(
                    &Query::from_json(black_box(&text)).expect("parses"),
                    &schema,
                    &opts,
                )
            })
        });
        let value = qb_core::json::parse_value(&text).expect("value");
        c.bench_function(&format!("from_value_compile/{name}"), |b| {
            b.iter_batched(
                || value.clone(),
                |v| {
                    compile(
                        &Query::from_owned_value(v).expect("converts"),
                        &schema,
                        &opts,
                    )
                },
                criterion::BatchSize::SmallInput,
            )
        });
        if matches!(name, "S" | "M") {
            let mut out = String::with_capacity(1024);
            baseline(name, &mut out);
            assert_eq!(
                out, sql,
                "the baseline must produce the compiler's SQL for {name}"
            );
            c.bench_function(&format!("baseline/{name}"), |b| {
                b.iter(|| {
                    baseline(black_box(name), &mut out);
                    out.len()
                })
            });
        }
    }
    let mut g = c.benchmark_group("scale_filter");
    for n in [1usize, 10, 100, 1000, 10_000] {
        let q = scaled_filter(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &q, |b, q| {
            b.iter(|| compile(black_box(q), &schema, &opts))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("scale_select");
    for n in [1usize, 10, 100, 1000] {
        let q = scaled_select(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &q, |b, q| {
            b.iter(|| compile(black_box(q), &schema, &opts))
        });
    }
    g.finish();
}

criterion_group!(compile_benches, benches);
criterion_main!(compile_benches);
