//! Target (b): arbitrary bytes as schema-registry JSON, then a fixed set of queries
//! compiled against it. The queries name the views and fields of the seed registries
//! (the fixture registry and the registry of docs/query-ast.md, whose `v_kinds` has one
//! field per type, named after the type), so a mutated registry still resolves them.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use qb_core::{Query, Schema};

const QUERIES: &[&str] = &[
    r#"{"view": "v_user", "select": ["id", "email", "__typename", {"field": "profile", "select": ["city", {"field": "address", "select": ["street", "geo"]}]}], "where": {"email": {"icontains": "a"}, "age": {"gte": 18}}, "order_by": [{"field": "age", "direction": "desc", "nulls": "last"}], "limit": 5, "offset": 1}"#,
    r#"{"view": "v_user", "select": ["id", "age", "active", "tags", "metadata"], "output": "columns", "where": {"or": [{"active": {"eq": true}}, {"not": {"tags": {"contains": ["rust"]}}}]}}"#,
    r#"{"view": "v_user", "select": ["active", {"aggregate": "count", "alias": "n"}, {"aggregate": "avg", "field": "age", "alias": "a"}], "group_by": ["active"], "order_by": ["n"]}"#,
    r#"{"view": "v_user", "select": ["email", "name", "age"], "where": {"profile": {"city": {"in": ["Paris", "Tokyo"]}}}}"#,
    r#"{"view": "app.v_order", "select": ["id", "total", "placedOn"], "where": {"status": {"eq": "paid"}, "placed_on": {"lt": "2024-01-01"}}, "order_by": ["total"]}"#,
    r#"{"view": "v_event", "select": ["id", "kind", "anything"], "where": {"anything": {"eq": "x"}, "kind": {"startswith": "a"}}}"#,
    r#"{"view": "v_post", "select": ["id", "title"], "where": {"search": {"websearch_query": "rust"}, "views": {"gt": 1}}, "order_by": ["published_on"]}"#,
    r#"{"view": "v_comment", "select": ["id", "body", "whatever"], "where": {"thread_path": {"descendant_of": "top"}, "whatever": {"isnull": false}}}"#,
    r#"{"view": "v_kinds", "select": ["id", "text", "integer", "numeric", "boolean", "uuid", "date", "timestamptz", "inet", "cidr", "macaddr", "ltree", "daterange", "tsvector", "vector", "bit", "jsonb", "coordinates", "text_list", "integer_list", {"field": "object", "select": ["x"]}], "output": "columns"}"#,
    r#"{"view": "v_kinds", "select": ["id"], "where": {"text": {"eq": "a"}, "integer": {"in": [1, 2]}, "numeric": {"lt": 1.5}, "boolean": {"eq": false}, "uuid": {"eq": "11111111-0000-0000-0000-000000000001"}, "date": {"gte": "2024-01-01"}, "timestamptz": {"lt": "2024-01-01T00:00:00Z"}, "inet": {"inSubnet": "10.0.0.0/8"}, "cidr": {"isPrivate": true}, "macaddr": {"eq": "aa:bb:cc:dd:ee:ff"}, "ltree": {"matches_lquery": "*.a"}, "daterange": {"contains_date": "2024-01-02"}, "tsvector": {"plain_query": "x"}, "vector": {"l2_distance": {"vector": [1, 2], "threshold": 1}}, "bit": {"hamming_distance": {"vector": "101", "threshold": 1}}, "jsonb": {"has_key": "k"}, "coordinates": {"distance_within": {"lat": 1, "lng": 2, "meters": 3}}, "text_list": {"overlaps": ["a"]}, "integer_list": {"len_gt": 1}, "object": {"x": {"isnull": true}}}}"#,
    r#"{"view": "v_kinds", "select": ["id"], "order_by": ["text", "integer", "numeric", "boolean", "uuid", "date", "timestamptz", "inet", "cidr", "macaddr", "ltree", "daterange", "object.x"]}"#,
    r#"{"view": "v_kinds", "select": ["date", {"aggregate": "min", "field": "timestamptz", "alias": "m"}, {"aggregate": "sum", "field": "numeric", "alias": "s"}], "group_by": ["date"]}"#,
    r#"{"view": "v_wide", "select": ["c01", "c02", "c03", "c50", "c51", "c52"], "where": {"c01": {"eq": 1}}}"#,
    r#"{"view": "v", "select": ["a", "b", "id"], "where": {"a": {"eq": "x"}, "b": {"eq": 1}}}"#,
];

fn queries() -> &'static [Query] {
    static Q: OnceLock<Vec<Query>> = OnceLock::new();
    Q.get_or_init(|| {
        QUERIES
            .iter()
            .map(|q| Query::from_json(q).expect("fixed query parses"))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    qb_fuzz::check_json_reader(text);
    let schema = match Schema::from_json(text) {
        Ok(s) => s,
        Err(e) => {
            assert!(e.code().starts_with("QB_"));
            return;
        }
    };
    for q in queries() {
        qb_fuzz::compile_and_check(q, &schema);
    }
});
