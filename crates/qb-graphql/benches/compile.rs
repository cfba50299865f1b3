//! GraphQL request → SQL, uncached (parse, validate, lower, compile), a document-cache hit
//! that lowers the variables and binds each query through the shape cache (bound hits off),
//! and a bound hit (the variables bound straight into the prepared statements), against
//! the same request as a query AST (qb-core alone). `cargo bench -p qb-graphql -- --quick`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use qb_core::{CompileOptions, Query, Schema};
use qb_graphql::GraphqlSchema;

const DOC: &str = r#"query Posts($min: Int = 1) {
  postList(where: {comments: {some: {likes: {gte: $min}}}}, orderBy: {id: ASC}, limit: 20) {
    id title
    author { name }
    comments(orderBy: {likes: DESC}, limit: 5) { likes author { name } }
  }
}"#;

const AST: &str = r#"{"view": "v_post", "select": ["id", "title",
  {"field": "author", "select": ["name"]},
  {"field": "comments", "select": ["likes", {"field": "author", "select": ["name"]}],
   "order_by": [{"field": "likes", "direction": "desc"}], "limit": 5}],
  "where": {"comments": {"some": {"likes": {"gte": 1}}}},
  "order_by": [{"field": "id", "direction": "asc"}], "limit": 20}"#;

fn bench(c: &mut Criterion) {
    let text = include_str!("../../../tests/golden/schema.json");
    let registry = Schema::from_json(text).expect("registry");
    let uncached = GraphqlSchema::new(registry.clone())
        .expect("schema")
        .with_cache_capacity(0);
    let lowered = GraphqlSchema::new(registry.clone()).expect("schema");
    lowered.cache().set_bound_hits(false);
    let cached = GraphqlSchema::new(registry.clone()).expect("schema");
    let options = CompileOptions::default();
    let vars = qb_core::json::parse_value(r#"{"min": 3}"#).expect("variables");
    for (name, schema) in [
        ("graphql_nested_request_uncached", &uncached),
        ("graphql_nested_request_cached_lowered", &lowered),
        ("graphql_nested_request_cached", &cached),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                qb_graphql::compile(black_box(DOC), Some(&vars), None, schema, &options)
                    .expect("compiles")
            })
        });
    }
    c.bench_function("ast_json_nested_query", |b| {
        b.iter(|| {
            let q = Query::from_json(black_box(AST)).expect("query");
            qb_core::compile(&q, &registry, &options).expect("compiles")
        })
    });
    c.bench_function("graphql_schema_new", |b| {
        b.iter(|| GraphqlSchema::new(black_box(registry.clone())).expect("schema"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
