//! Prints ns/op for qb-core (and sea-query) on the shared workloads, one JSON object a line:
//! `{"workload": "M", "method": "qb_core", "min": .., "median": .., "p99": .., "samples": ..}`.
//!
//! Used by bindings/python/bench/bench.py for the Python / core ratio, measured in the same
//! script. Methods are interleaved round by round so drift on a noisy machine hits them
//! alike. A sample is the mean of a batch of calls (batch sized to ~`--batch-us` µs);
//! min/median/p99 are over the samples.
//!
//! `qb-bench-ns [--samples N] [--batch-us U] [--workloads S,M,C,W]`
//!
//! `qb-bench-ns --run METHOD --iters N --workloads W` only runs METHOD N times on workload W
//! (no timing): for `valgrind --tool=callgrind` instruction counts; run it with N and with 0
//! and subtract, so start-up cancels (docs/performance.md).

use std::hint::black_box;
use std::time::Instant;

use qb_bench::{NAMES, Workloads, sea};
use qb_core::{CompileOptions, compile};
use sea_query::PostgresQueryBuilder;

/// A named benchmark body.
type Method<'a> = Box<dyn FnMut() + 'a>;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (v[0], at(0.5), at(0.99))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let samples: usize = arg(&args, "--samples").map_or(200, |s| s.parse().expect("--samples N"));
    let batch_us: f64 =
        arg(&args, "--batch-us").map_or(200.0, |s| s.parse().expect("--batch-us U"));
    let names: Vec<String> = arg(&args, "--workloads").map_or_else(
        || NAMES.iter().map(|s| s.to_string()).collect(),
        |s| s.split(',').map(str::to_owned).collect(),
    );
    let w = Workloads::load();
    let opts = CompileOptions::default();
    for name in &names {
        let name = name.as_str();
        let query = w.query(name);
        let stmt = sea::statement(name);
        let mut methods: Vec<(&str, Method)> = vec![
            (
                "qb_core",
                Box::new(|| {
                    black_box(compile(black_box(query), &w.schema, &opts).expect("compiles"));
                }),
            ),
            (
                "sea_query",
                Box::new(|| {
                    black_box(sea::build(black_box(name)));
                }),
            ),
            (
                "sea_query_render",
                Box::new(|| {
                    black_box(black_box(&stmt).build(PostgresQueryBuilder));
                }),
            ),
        ];
        if let Some(only) = arg(&args, "--run") {
            let iters: usize =
                arg(&args, "--iters").map_or(1000, |s| s.parse().expect("--iters N"));
            let (_, f) = methods
                .iter_mut()
                .find(|(m, _)| *m == only)
                .unwrap_or_else(|| panic!("no method {only}"));
            for _ in 0..iters {
                f();
            }
            continue;
        }
        // Calibrate: calls per batch so a batch lasts ~batch_us (after a warm-up).
        let mut loops = Vec::new();
        for (_, f) in methods.iter_mut() {
            for _ in 0..1000 {
                f();
            }
            let t = Instant::now();
            for _ in 0..1000 {
                f();
            }
            let per = t.elapsed().as_nanos() as f64 / 1000.0;
            loops.push(((batch_us * 1000.0 / per) as usize).max(1));
        }
        let mut results: Vec<Vec<f64>> = vec![Vec::with_capacity(samples); methods.len()];
        for _ in 0..samples {
            for (i, (_, f)) in methods.iter_mut().enumerate() {
                let t = Instant::now();
                for _ in 0..loops[i] {
                    f();
                }
                results[i].push(t.elapsed().as_nanos() as f64 / loops[i] as f64);
            }
        }
        for ((method, _), r) in methods.iter().zip(results) {
            let n = r.len();
            let (min, median, p99) = stats(r);
            println!(
                "{{\"workload\": \"{name}\", \"method\": \"{method}\", \"min\": {min:.1}, \
                 \"median\": {median:.1}, \"p99\": {p99:.1}, \"samples\": {n}}}"
            );
        }
    }
}
