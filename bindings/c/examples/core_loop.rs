//! The core's own JSON-text-to-SQL path, for comparison with a C call (bindings/c/bench):
//! `Query::from_json` (parse with the default limits) and `qb_core::compile` against a
//! prebuilt `Schema`, N times; the output is dropped each time, as `fqb_compiled_free` does.
//!
//!   core_loop SCHEMA.json QUERY.json N [wall]
//!
//! With `wall`, prints the median ns per call over 200 batches of N / 200 calls.

use std::hint::black_box;
use std::time::Instant;

use qb_core::{CompileOptions, Query, Schema, compile};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: core_loop SCHEMA.json QUERY.json N [wall]");
        std::process::exit(2);
    }
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    let schema = Schema::from_json(&read(&args[1])).expect("valid schema");
    let text = read(&args[2]);
    let n: usize = args[3].parse().expect("N");
    let options = CompileOptions::default();
    let once = || {
        let query = Query::from_json(black_box(&text)).expect("query");
        let out = compile(&query, &schema, &options).expect("compiles");
        black_box(out.sql.len() + out.params.len())
    };
    if args.get(4).map(String::as_str) != Some("wall") {
        let mut total = 0;
        for _ in 0..n {
            total += once();
        }
        println!("{n} calls, {total}");
        return;
    }
    let batch = (n / 200).max(1);
    let mut samples: Vec<f64> = (0..200)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                once();
            }
            t.elapsed().as_nanos() as f64 / batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    println!(
        "core {:.0} ns/call (median of 200 batches of {batch})",
        samples[100]
    );
}
