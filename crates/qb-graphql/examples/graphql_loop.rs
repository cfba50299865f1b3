//! Compiles the bench's nested GraphQL request `N` times, for instruction counts under
//! callgrind (`(Ir(2000) - Ir(0)) / 2000` is the cost of one request; docs/performance.md,
//! "GraphQL requests"):
//!
//!     graphql_loop N [uncached|lowered|cached]
//!
//! `lowered`: the document cache with bound hits off (each hit lowers the variables and
//! binds through the shape cache); `cached`: bound hits on (the default).

use qb_core::{CompileOptions, Schema};
use qb_graphql::GraphqlSchema;

const DOC: &str = r#"query Posts($min: Int = 1) {
  postList(where: {comments: {some: {likes: {gte: $min}}}}, orderBy: {id: ASC}, limit: 20) {
    id title
    author { name }
    comments(orderBy: {likes: DESC}, limit: 5) { likes author { name } }
  }
}"#;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let mode = args.next().unwrap_or_default();
    let cached = mode == "cached" || mode == "lowered";
    let text = include_str!("../../../tests/golden/schema.json");
    let registry = Schema::from_json(text).expect("registry");
    let schema = GraphqlSchema::new(registry)
        .expect("schema")
        .with_cache_capacity(if cached { 1024 } else { 0 });
    schema.cache().set_bound_hits(mode != "lowered");
    let options = CompileOptions::default();
    let vars = qb_core::json::parse_value(r#"{"min": 3}"#).expect("variables");
    // Warm, in every mode's baseline: the first request fills the cache (a miss), the
    // second traces its variables' fingerprint (bound hits on).
    for _ in 0..2 {
        qb_graphql::compile(DOC, Some(&vars), None, &schema, &options).expect("compiles");
    }
    for _ in 0..n {
        let out = qb_graphql::compile(DOC, Some(&vars), None, &schema, &options);
        std::hint::black_box(out.expect("compiles"));
    }
    if cached {
        eprintln!("{:?}", schema.cache_stats());
    }
}
