//! Compiles one workload of tests/bench/workloads.json N times: a fixed amount of work for
//! instruction counting (`valgrind --tool=callgrind`), which is stable on a noisy machine.
//!
//! `cargo run --release -p qb-core --example compile_loop -- M 10000 [owned|cached|prepared]`:
//! with `owned`, each iteration also builds the AST from an owned `Value` (what the bindings
//! pay); with `cached`, each compile is a hit of a `ShapeCache` warmed before the loop; with
//! `prepared`, each iteration binds the query to a `Prepared` made before the loop; with
//! `miss`, each compile misses a one-shape cache and evicts (the query alternates with a
//! copy whose `limit` is toggled, another shape); with `values`, each iteration binds the
//! query's operand values (taken once, before the loop) with `Prepared::bind_values`; with
//! `doc`, each compile reads the workload's document through `ShapeCache::compile_source` (a
//! document-key hit); with `docparse`, each parses the document and hits the shape; with
//! `docuncached`, each parses the document and compiles it uncached.
//!
//! A workload name ending in `+page` (`M+page`) is the workload as a keyset page: `limit`
//! replaced by `first`, `page_info`, and an `after` cursor on the order's keys; `+signed`
//! (`M+page+signed`) signs the cursor (`CompileOptions::cursor_key`).

use qb_core::{CompileOptions, Query, Schema, ShapeCache, compile};

fn main() {
    let mut args = std::env::args().skip(1);
    let arg = args.next().unwrap_or_else(|| "M".into());
    let paged = arg.contains("+page");
    let signed = arg.contains("+signed");
    let name = arg.split('+').next().unwrap_or("M").to_owned();
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let mode = args.next().unwrap_or_default();
    let owned = mode == "owned";
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let schema_text =
        std::fs::read_to_string(format!("{root}/tests/golden/schema.json")).expect("schema");
    let schema = Schema::from_json(&schema_text).expect("valid schema");
    let text =
        std::fs::read_to_string(format!("{root}/tests/bench/workloads.json")).expect("workloads");
    let w = qb_core::json::parse_value(&text).expect("valid workloads");
    let q = w
        .get("workloads")
        .and_then(|ws| ws.get(&name))
        .and_then(|x| x.get("query"))
        .expect("workload");
    let mut query = Query::from_value(q).expect("query");
    let mut opts = CompileOptions::default();
    if signed {
        opts = opts.with_cursor_key(b"a benchmark key of 32 bytes.....");
    }
    if paged {
        page(&mut query, &schema, &opts);
    }
    let mut total = 0;
    if mode == "miss" {
        let cache = ShapeCache::new(1);
        let mut other = query.clone();
        other.limit = if other.limit.is_some() { None } else { Some(5) };
        for i in 0..n {
            let q = std::hint::black_box(if i % 2 == 0 { &query } else { &other });
            total += cache
                .compile(q, &schema, &opts)
                .expect("compiles")
                .params
                .len();
        }
        println!("{arg}: {n} misses, {total} params, {:?}", cache.stats());
        return;
    }
    if mode == "values" {
        let prepared = schema.prepare(&query, &opts).expect("prepares");
        let values = prepared.operand_values(&query, &schema).expect("its shape");
        for _ in 0..n {
            let v = std::hint::black_box(&values[..]);
            total += prepared
                .bind_values(v, &schema)
                .expect("binds")
                .params
                .len();
        }
        println!("{arg}: {n} binds from values, {total} params");
        return;
    }
    if mode == "docuncached" {
        // The document parsed and compiled uncached (the denominator of the `doc` modes).
        for _ in 0..n {
            let d = std::hint::black_box(q);
            total += Query::from_source(d, &opts.limits)
                .and_then(|q| compile(&q, &schema, &opts))
                .expect("compiles")
                .params
                .len();
        }
        println!("{arg}: {n} uncached compiles from the document, {total} params");
        return;
    }
    if mode == "doc" || mode == "docparse" {
        // From the workload's document, as a binding calls the cache: `doc`, a hit of the
        // document key (`ShapeCache::compile_source`); `docparse`, the document parsed into a
        // `Query` and then a hit of the shape (what bindings did before document keys).
        assert!(
            !paged,
            "the document modes read the workload's own document"
        );
        let cache = ShapeCache::new(16);
        cache
            .compile_source(|| q, &schema, &opts)
            .expect("compiles");
        for _ in 0..n {
            let d = std::hint::black_box(q);
            total += if mode == "doc" {
                cache.compile_source(|| d, &schema, &opts)
            } else {
                Query::from_source(d, &opts.limits).and_then(|q| cache.compile(&q, &schema, &opts))
            }
            .expect("compiles")
            .params
            .len();
        }
        println!(
            "{arg}: {n} {mode} compiles, {total} params, {:?}",
            cache.stats()
        );
        return;
    }
    if mode == "cached" || mode == "prepared" {
        let cache = ShapeCache::new(16);
        let prepared = schema.prepare(&query, &opts).expect("prepares");
        cache.compile(&query, &schema, &opts).expect("compiles");
        for _ in 0..n {
            let q = std::hint::black_box(&query);
            total += if mode == "cached" {
                cache
                    .compile(q, &schema, &opts)
                    .expect("compiles")
                    .params
                    .len()
            } else {
                prepared.bind(q, &schema).expect("binds").len()
            };
        }
        println!(
            "{arg}: {n} {mode} compiles, {total} params, {:?}",
            cache.stats()
        );
        return;
    }
    for _ in 0..n {
        total += if owned {
            let v = std::hint::black_box(q.clone());
            let query = Query::from_owned_value(v).expect("query");
            compile(&query, &schema, &opts).expect("compiles").sql.len()
        } else {
            compile(std::hint::black_box(&query), &schema, &opts)
                .expect("compiles")
                .sql
                .len()
        };
    }
    println!(
        "{arg}: {n} compiles{}, {total} bytes of SQL",
        if owned { " (owned Value)" } else { "" }
    );
}

/// `query` as a keyset page: `first` for its `limit`, `page_info`, and an `after` cursor
/// made as an application makes one (`encode_cursor` of a row's `__cursor` column), with a
/// value per order key (the primary key appended).
fn page(query: &mut Query, schema: &Schema, opts: &CompileOptions) {
    query.first = query.limit.take().or(Some(20));
    query.offset = None;
    query.page_info = true;
    let sql = compile(query, schema, opts).expect("compiles").sql;
    let at = sql.find("jsonb_build_array('").expect("a cursor column") + 19;
    let fp = &sql[at..at + 16];
    let keys = query.order_by.len() + 1;
    let values = [
        "30",
        "2024-01-01 00:00:00+00",
        "00000000-0000-4000-8000-000000000001",
    ];
    let mut row = format!("[\"{fp}\"");
    for v in values.iter().skip(values.len().saturating_sub(keys)) {
        row.push_str(&format!(", \"{v}\""));
    }
    row.push(']');
    query.after = Some(qb_core::encode_cursor(&row, opts).expect("a cursor"));
    compile(query, schema, opts).expect("a paged query compiles");
}
