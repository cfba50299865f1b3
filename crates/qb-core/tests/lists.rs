//! Embedded lists: the registry's checks, the nested-rows cap and the depth limit, the Rust
//! builder, and the statement's shape the golden corpus does not pin. Meanings are proven on
//! PostgreSQL by the `lst_*` golden cases.

use qb_core::schema::{FieldDef, ObjectDef};
use qb_core::{
    CompileOptions, ErrorKind, FieldType, Limits, ListDef, Query, ScalarType, Schema, ViewDef,
    compile,
};

const REGISTRY: &str = r#"{"views": {"v_order": {"columns": {"id": "uuid"},
  "fields": {"items": {"type": "list", "typename": "LineItem", "fields": {
    "sku": "text", "qty": "integer",
    "options": {"type": "list", "fields": {"name": "text"}}}}}}}}"#;

fn run(q: &str, options: &CompileOptions) -> Result<qb_core::CompiledQuery, qb_core::Error> {
    let schema = Schema::from_json(REGISTRY).expect("the test registry");
    compile(&Query::from_json(q).expect("query"), &schema, options)
}

#[test]
fn the_nested_rows_cap_applies_to_lists() {
    let options = CompileOptions::default().with_limits(Limits::default().with_max_nested_rows(10));
    let within =
        r#"{"view": "v_order", "select": [{"field": "items", "select": ["sku"], "limit": 10}]}"#;
    run(within, &options).expect("within the cap");
    let over =
        r#"{"view": "v_order", "select": [{"field": "items", "select": ["sku"], "limit": 11}]}"#;
    let e = run(over, &options).expect_err("over the cap");
    assert_eq!(
        (e.kind(), e.path()),
        (ErrorKind::SizeLimit, "select[0].limit"),
        "{e}"
    );
    let inner = r#"{"view": "v_order", "select": [{"field": "items", "limit": 5,
        "select": [{"field": "options", "select": ["name"]}]}]}"#;
    let e = run(inner, &options).expect_err("the inner list has no limit");
    assert_eq!(
        (e.kind(), e.path()),
        (ErrorKind::SizeLimit, "select[0].select[0]"),
        "{e}"
    );
    // A filter reads no rows out: no limit needed.
    let filter = r#"{"view": "v_order", "select": ["id"],
        "where": {"items": {"some": {"options": {"some": {"name": {"eq": "x"}}}}}}}"#;
    run(filter, &options).expect("filters need no limit");
}

#[test]
fn nested_lists_count_against_the_depth_limit() {
    let options = CompileOptions::default().with_limits(Limits::default().with_max_depth(2));
    let q = r#"{"view": "v_order", "select": [{"field": "items",
        "select": [{"field": "options", "select": ["name"]}]}]}"#;
    let e = run(q, &options).expect_err("three levels of selection under a depth limit of 2");
    assert_eq!(e.kind(), ErrorKind::DepthLimit, "{e}");
    run(q, &CompileOptions::default()).expect("within the default depth");
}

#[test]
fn the_registry_caps_list_nesting() {
    let mut fields = r#"{"name": "text"}"#.to_string();
    for _ in 0..40 {
        fields = format!(r#"{{"inner": {{"type": "list", "fields": {fields}}}}}"#);
    }
    let e = Schema::from_json(&format!(r#"{{"views": {{"v": {{"fields": {fields}}}}}}}"#))
        .expect_err("lists nested past 32 levels");
    assert_eq!(e.kind(), ErrorKind::DepthLimit, "{e}");
}

#[test]
fn a_list_built_in_rust_compiles_like_the_json_registry() {
    let elem = ObjectDef::new()
        .with_field("sku", FieldDef::new(FieldType::Scalar(ScalarType::Text)))
        .with_field("qty", FieldDef::new(FieldType::Scalar(ScalarType::Integer)));
    let view = ViewDef::new("v_order")
        .column("id", ScalarType::Uuid)
        .field(
            "items",
            FieldType::List(Box::new(ListDef::new(elem).typename("LineItem"))),
        );
    let mut schema = Schema::new();
    schema.add_view(view).expect("view");
    let q = r#"{"view": "v_order", "select": [{"field": "items", "select": ["__typename", "sku"],
        "where": {"qty": {"gt": 1}}}], "where": {"items": {"every": {"qty": {"gte": 1}}}}}"#;
    let built = compile(
        &Query::from_json(q).expect("query"),
        &schema,
        &CompileOptions::default(),
    )
    .expect("compiles");
    let json = run(q, &CompileOptions::default()).expect("compiles");
    assert_eq!(built.sql, json.sql);
    assert!(
        built
            .sql
            .contains(r#"WITH ORDINALITY AS t1("value", "ord")"#),
        "{}",
        built.sql
    );
    assert!(built.sql.contains(r#"ORDER BY t1."ord""#), "{}", built.sql);
}

#[test]
fn a_deep_list_built_in_rust_drops_without_recursion() {
    let mut obj = ObjectDef::new();
    for _ in 0..100_000 {
        obj = ObjectDef::new().with_field(
            "inner",
            FieldDef::new(FieldType::List(Box::new(ListDef::new(obj)))),
        );
    }
    drop(obj);
}
