//! qb-core vs sea-query on the shared workloads, in one criterion run.
//!
//! `cargo bench -p qb-bench` (add `-- --quick` for a short run). For each workload W:
//! - `peers/W/qb_core`: `qb_core::compile` on a prebuilt AST and registry (names and types
//!   resolved against the registry on every call);
//! - `peers/W/sea_query`: build the `SelectStatement` and render it with
//!   `PostgresQueryBuilder`, what a sea-query user pays per query (names and types resolved
//!   by hand, in the code);
//! - `peers/W/sea_query_render`: render a prebuilt `SelectStatement` only (sea-query's best
//!   case, closest to "prebuilt AST").
//!
//! tests/same_sql.rs proves the statements are the same (see `qb_bench::sea` for the spelling
//! differences). Ratios: sea_query / qb_core.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use qb_bench::{NAMES, Workloads, sea};
use qb_core::{CompileOptions, compile};
use sea_query::PostgresQueryBuilder;

fn peers(c: &mut Criterion) {
    let w = Workloads::load();
    let opts = CompileOptions::default();
    for name in NAMES {
        let query = w.query(name);
        let mut g = c.benchmark_group(format!("peers/{name}"));
        g.bench_function("qb_core", |b| {
            b.iter(|| compile(black_box(query), &w.schema, &opts))
        });
        g.bench_function("sea_query", |b| b.iter(|| sea::build(black_box(name))));
        let stmt = sea::statement(name);
        g.bench_function("sea_query_render", |b| {
            b.iter(|| black_box(&stmt).build(PostgresQueryBuilder))
        });
        g.finish();
    }
}

criterion_group!(benches, peers);
criterion_main!(benches);
