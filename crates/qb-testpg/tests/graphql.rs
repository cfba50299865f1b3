//! The GraphQL front end against the golden corpus: GraphQL documents that ask what a golden
//! case's query AST asks compile to byte-identical SQL and params, and run on PostgreSQL
//! with the case's committed rows. Invalid documents give spec-shaped errors with our codes.

use qb_core::{CompileOptions, Value};
use qb_graphql::{GraphqlSchema, RootField};
use qb_testpg::golden;
use serde_json::Value as Json;

/// (golden case, GraphQL document, variables as JSON text).
const MIRRORS: &[(&str, &str, &str)] = &[
    // Relations at depth 3 and 4.
    (
        "rel_depth3",
        r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000001"]}}) { id posts { id comments { id author { name } } } } }"#,
        "",
    ),
    (
        "rel_depth3_select",
        r#"query Q($id: UUID!) { userList(where: {id: {eq: $id}}) { id ...P } } fragment P on User { posts { id comments { id author { name } } } }"#,
        r#"{"id": "11111111-0000-0000-0000-000000000001"}"#,
    ),
    (
        "rel_depth4",
        r#"{ commentList(where: {id: {in: "33333333-0000-0000-0000-000000000005"}}) { id post { id author { name manager { name manager { name } } } } } }"#,
        "",
    ),
    (
        "rel_depth4_select",
        r#"{ commentList(where: {id: {in: ["33333333-0000-0000-0000-000000000005", "33333333-0000-0000-0000-000000000008"]}}, orderBy: {id: ASC}) { id post { id author { id manager { name manager { id } } } } } }"#,
        "",
    ),
    (
        "rel_depth3_filter",
        r#"{ commentList(where: {post: {author: {manager: {name: {eq: "Alice Martin"}}}}}) { id } }"#,
        "",
    ),
    (
        "rel_depth4_filter",
        r#"query($n: String = "Bob O'Brien") { userList(where: {posts: {some: {comments: {some: {author: {manager: {name: {eq: $n}}}}}}}}) { id } }"#,
        "",
    ),
    (
        "rel_depth3_every",
        r#"{ userList(where: {posts: {every: {comments: {every: {author: {name: {isnull: false}}}}}}}) { id } }"#,
        "",
    ),
    // some / every / none, with NULLs and empty sets.
    (
        "rel_some",
        r#"{ postList(where: {comments: {some: {likes: {gte: 5}}}}) { id } }"#,
        "",
    ),
    (
        "rel_some_empty_inner",
        r#"{ postList(where: {comments: {some: {}}}) { id } }"#,
        "",
    ),
    (
        "rel_some_isnull_inner",
        r#"{ postList(where: {comments: {some: {likes: {isnull: true}}}}) { id } }"#,
        "",
    ),
    (
        "rel_some_null_title",
        r#"{ userList(where: {posts: {some: {title: {neq: "Hello World"}}}}) { id } }"#,
        "",
    ),
    (
        "rel_every",
        r#"{ postList(where: {comments: {every: {likes: {gte: 0}}}}) { id } }"#,
        "",
    ),
    (
        "rel_every_null_title",
        r#"{ userList(where: {posts: {every: {title: {neq: "Hello World"}}}}) { id } }"#,
        "",
    ),
    (
        "rel_every_empty_set_false_inner",
        r#"{ postList(where: {comments: {every: {likes: {gt: 1000000000}}}}) { id } }"#,
        "",
    ),
    (
        "rel_none",
        r#"{ postList(where: {comments: {none: {likes: {gte: 5}}}}) { id } }"#,
        "",
    ),
    (
        "rel_none_null_title",
        r#"{ userList(where: {posts: {none: {title: {eq: "Hello World"}}}}) { id } }"#,
        "",
    ),
    (
        "rel_not_every",
        r#"{ userList(where: {not: {posts: {every: {title: {neq: "Hello World"}}}}}) { id } }"#,
        "",
    ),
    (
        "rel_m2m_none",
        r#"{ postList(where: {likers: {none: {name: {eq: "Alice Martin"}}}}) { id } }"#,
        "",
    ),
    (
        "rel_m2m_two_hops",
        r#"{ userList(where: {likedPosts: {some: {likers: {some: {name: {eq: "Chloé Dubois"}}}}}}) { id } }"#,
        "",
    ),
    (
        "rel_where_every_none",
        r#"{ userList(orderBy: [{id: ASC}], where: {posts: {every: {comments: {none: {likes: {lt: 0}}}}}}) { id } }"#,
        "",
    ),
    (
        "rel_filter_or",
        r#"{ postList(where: {or: [{author: {name: {eq: "Bob O'Brien"}}}, {comments: {some: {likes: {lt: 0}}}}]}) { id } }"#,
        "",
    ),
    (
        "rel_filter_n1_not",
        r#"{ postList(where: {not: {author: {name: {eq: "Alice Martin"}}}}) { id } }"#,
        "",
    ),
    (
        "rel_filter_n1_null_leaf",
        r#"{ commentList(where: {not: {author: {active: {eq: true}}}}) { id } }"#,
        "",
    ),
    (
        "rel_o2m_has_row",
        r#"{ userList(where: {posts: {isnull: false}}) { id } }"#,
        "",
    ),
    // Relations selected with arguments, aliases, empty lists, missing rows.
    (
        "rel_1n_offset",
        r#"{ postList(where: {id: {in: ["22222222-0000-0000-0000-000000000001"]}}) { id comments(orderBy: {createdAt: DESC}, limit: 2, offset: 1) { id } } }"#,
        "",
    ),
    (
        "rel_1n_where_order",
        r#"query($min: Int) { postList(where: {id: {eq: "22222222-0000-0000-0000-000000000001"}}, orderBy: [{id: ASC}]) { id comments(where: {likes: {gt: $min}}, orderBy: [{likes: ASC}]) { id likes } } }"#,
        r#"{"min": 1}"#,
    ),
    (
        "rel_filter_and_select",
        r#"{ postList(where: {author: {active: {eq: true}}, comments: {some: {likes: {gt: 0}}}}, orderBy: {id: ASC}) { id comments(where: {likes: {gt: 0}}, orderBy: {likes: DESC}, limit: 1) { id } } }"#,
        "",
    ),
    (
        "rel_m2m_order_limit",
        r#"{ userList(where: {id: {eq: "11111111-0000-0000-0000-000000000001"}}) { id likedPosts(orderBy: {createdAt: DESC}, limit: 1) { id createdAt } } }"#,
        "",
    ),
    (
        "rel_m2m_where_order",
        r#"{ postList(where: {id: {eq: "22222222-0000-0000-0000-000000000001"}}, orderBy: {id: ASC}) { id likers(where: {name: {like: "%o%"}}, orderBy: {name: DESC}) { id name } } }"#,
        "",
    ),
    (
        "rel_o2m_empty_list",
        r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000005", "11111111-0000-0000-0000-000000000004"]}}, orderBy: {id: ASC}) { id posts { id } } }"#,
        "",
    ),
    (
        "rel_manager_missing",
        r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002"]}}, orderBy: {id: ASC}) { id manager { id } reports { id } } }"#,
        "",
    ),
    (
        "rel_n1_alias",
        r#"{ postList(where: {id: {in: ["22222222-0000-0000-0000-000000000002"]}}) { writer: author { name } } }"#,
        "",
    ),
    (
        "rel_select_alias",
        r#"{ postList(where: {id: {eq: "22222222-0000-0000-0000-000000000001"}}, orderBy: {id: ASC}) { id ... on Post { writer: author { name } } } }"#,
        "",
    ),
    // camelCase and __typename.
    (
        "rel_camel_typename",
        r#"{ postList(where: {id: {in: ["22222222-0000-0000-0000-000000000001"]}}) { id __typename author { __typename nickName lastLogin } } }"#,
        "",
    ),
    (
        "rel_camel_relation_name",
        r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000001"]}}) { id likedPosts { id } } }"#,
        "",
    ),
    (
        "camel_true_fields_and_order",
        r#"{ userList(where: {managerId: {eq: "11111111-0000-0000-0000-000000000011"}}, orderBy: {birthDate: DESC_NULLS_LAST}) { id nickName lastLogin birthDate } }"#,
        "",
    ),
    (
        "nested_select_camel",
        r#"query($skip: Boolean!) { userList(where: {profile: {city: {eq: "Paris"}}}, orderBy: {createdAt: DESC}) { id __typename nickName email @skip(if: $skip) profile { city address { street } } } }"#,
        r#"{"skip": true}"#,
    ),
    (
        "select_typename_aliased",
        r#"{ postList(where: {id: {in: ["22222222-0000-0000-0000-000000000001", "22222222-0000-0000-0000-000000000005"]}}) { id __typename kind: __typename title } }"#,
        "",
    ),
    // Filters with NULLs.
    (
        "logic_nin_or_isnull",
        r#"{ userList(where: {or: [{age: {nin: [30, 25, 41]}}, {age: {isnull: true}}]}) { id } }"#,
        "",
    ),
    (
        "logic_not_nested_path_null",
        r#"{ userList(where: {not: {profile: {city: {eq: "Paris"}}}}) { id } }"#,
        "",
    ),
    (
        "logic_not_null_field_stays_out",
        r#"{ userList(where: {not: {active: {eq: true}}}) { id active } }"#,
        "",
    ),
    (
        "null_isnull_object",
        r#"{ userList(where: {profile: {isnull: true}}) { id } }"#,
        "",
    ),
    (
        "null_not_overlaps_empty",
        r#"{ userList(where: {not: {tags: {overlaps: []}}}) { id } }"#,
        "",
    ),
    (
        "order_age_desc_nulls_last",
        r#"{ userList(orderBy: [{age: DESC_NULLS_LAST}, {id: ASC}]) { id age } }"#,
        "",
    ),
    (
        "order_nested_city_nulls_first",
        r#"{ userList(orderBy: [{profile: {city: ASC_NULLS_FIRST}}, {id: ASC}]) { id profile { city } } }"#,
        "",
    ),
    (
        "select_nested_object_nulls",
        r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000005", "11111111-0000-0000-0000-000000000006", "11111111-0000-0000-0000-000000000008", "11111111-0000-0000-0000-000000000009", "11111111-0000-0000-0000-000000000014", "11111111-0000-0000-0000-000000000016"]}}, orderBy: {id: ASC}) { id profile { city zip address { street geo } } } }"#,
        "",
    ),
];

fn schema() -> GraphqlSchema {
    GraphqlSchema::new(golden::fixture_schema()).expect("the fixture registry has a GraphQL schema")
}

fn variables(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| qb_core::json::parse_value(text).expect("variables JSON"))
}

#[test]
fn graphql_documents_compile_to_the_golden_sql_and_rows() {
    assert!(MIRRORS.len() >= 30);
    let schema = schema();
    let cases = golden::load_cases();
    let mut client = qb_testpg::client();
    let mut failures = Vec::new();
    for (name, doc, vars) in MIRRORS {
        let case = cases
            .iter()
            .find(|c| c.name == *name)
            .unwrap_or_else(|| panic!("no golden case {name}"));
        let vars = variables(vars);
        let request = match qb_graphql::compile(
            doc,
            vars.as_ref(),
            None,
            &schema,
            &CompileOptions::default(),
        ) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("[{name}] {}", e.to_json()));
                continue;
            }
        };
        assert_eq!(request.fields.len(), 1, "[{name}] one root field");
        let RootField::Sql {
            compiled, single, ..
        } = &request.fields[0]
        else {
            panic!("[{name}] not SQL");
        };
        assert!(!single);
        let sql = std::fs::read_to_string(case.file("sql")).expect("golden sql");
        if compiled.sql != sql.trim_end() {
            failures.push(format!(
                "[{name}] SQL differs\n  golden  {sql}\n  graphql {}",
                compiled.sql
            ));
            continue;
        }
        let params: Json = serde_json::from_str(
            &std::fs::read_to_string(case.file("params.json")).expect("params"),
        )
        .expect("params JSON");
        if golden::params_json(&compiled.params) != params {
            failures.push(format!(
                "[{name}] params differ: {}",
                golden::params_json(&compiled.params)
            ));
            continue;
        }
        let rows =
            match qb_testpg::query_json_with(&mut client, &compiled.sql, &compiled.pg_params()) {
                Ok(Json::Array(rows)) => rows,
                other => {
                    failures.push(format!("[{name}] {other:?}"));
                    continue;
                }
            };
        let mut rows = rows;
        if case
            .query()
            .get("order_by")
            .is_none_or(|o| o.as_array().is_some_and(Vec::is_empty))
        {
            rows.sort_by_key(|r| r.to_string());
        }
        let want: Json =
            serde_json::from_str(&std::fs::read_to_string(case.file("rows.json")).expect("rows"))
                .expect("rows JSON");
        if Json::Array(rows.clone()) != want {
            failures.push(format!("[{name}] rows differ: {}", Json::Array(rows)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
