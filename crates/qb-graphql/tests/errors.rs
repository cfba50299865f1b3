//! Invalid GraphQL requests: each applicable validation rule, variables, limits (depth, an
//! alias bomb, a fragment bomb) and qb-core errors give spec-shaped errors with our codes,
//! never a panic or a hang.

use std::path::PathBuf;

use qb_core::{CompileOptions, ErrorKind, Limits, Schema, Value};
use qb_graphql::{GraphqlErrors, GraphqlSchema};

fn schema() -> GraphqlSchema {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/schema.json");
    let registry =
        Schema::from_json(&std::fs::read_to_string(path).expect("registry")).expect("registry");
    GraphqlSchema::new(registry).expect("graphql schema")
}

fn fail_with(
    schema: &GraphqlSchema,
    doc: &str,
    vars: &str,
    options: &CompileOptions,
) -> GraphqlErrors {
    let vars = (!vars.is_empty()).then(|| qb_core::json::parse_value(vars).expect("variables"));
    match qb_graphql::compile(doc, vars.as_ref(), None, schema, options) {
        Ok(r) => panic!("compiled: {doc}\n{r:?}"),
        Err(e) => e,
    }
}

fn fail(doc: &str) -> GraphqlErrors {
    fail_with(&schema(), doc, "", &CompileOptions::default())
}

/// The SQL of a request's first root field, compiled with the default options.
fn first_sql(doc: &str) -> String {
    let out = qb_graphql::compile(doc, None, None, &schema(), &CompileOptions::default())
        .expect("compiles");
    let qb_graphql::RootField::Sql { compiled, .. } = &out.fields[0] else {
        panic!("not a statement: {doc}")
    };
    compiled.sql.clone()
}

/// Each spec-shaped error: a message, this code in extensions, JSON that parses.
fn check(errors: &GraphqlErrors, kind: ErrorKind, message_part: &str) {
    assert_eq!(errors.first().kind, kind, "{errors}");
    assert!(
        errors.0.iter().any(|e| e.message.contains(message_part)),
        "no message has `{message_part}`: {errors}"
    );
    let json: serde_json::Value = serde_json::from_str(&errors.to_json()).expect("errors JSON");
    for item in json.as_array().expect("array") {
        assert!(item["message"].is_string());
        assert_eq!(item["extensions"]["code"], kind.code());
    }
}

#[test]
fn validation_rules_give_qb_graphql_invalid_with_locations() {
    let cases: &[(&str, &str)] = &[
        ("{ userList { id emial } }", "emial"), // unknown field
        ("{ userList(limit: \"ten\") { id } }", "Int"), // wrong argument type
        ("{ userList(where: {age: {gte: \"x\"}}) { id } }", "Int"), // wrong input type
        ("{ userList(first: 3) { id } }", "first"), // unknown argument
        ("query { userList(limit: $n) { id } }", "$n"), // undefined variable
        ("query($n: Int) { userList { id } }", "$n"), // unused variable
        (
            "{ userList { ...A } } fragment A on User { id ...B } fragment B on User { ...A }",
            "A",
        ), // cycle
        ("{ userList { id } } fragment U on User { id }", "U"), // unused fragment
        ("{ userList { ... on Post { id } } }", "Post"), // fragment on the wrong type
        ("{ userList { id id: email } }", "id"), // response keys that cannot merge
        ("{ userList { profile } }", "subselection"), // object without selection
        ("{ userList { id { x } } }", "must not have subselections"), // selection on a scalar
        ("mutation { userList { id } }", "mutation"), // no mutation type
        ("{ userList { id }", ""),              // syntax
    ];
    for (doc, part) in cases {
        let errors = fail(doc);
        check(&errors, ErrorKind::GraphqlInvalid, part);
        if !part.is_empty() {
            assert!(!errors.first().locations.is_empty(), "{doc}: no location");
        }
    }
}

#[test]
fn the_documented_example_is_exact() {
    let errors = fail("{ userList { id emial } }");
    let json: serde_json::Value = serde_json::from_str(&errors.to_json()).expect("json");
    assert_eq!(
        json[0],
        serde_json::json!({
            "message": "type `User` does not have a field `emial`",
            "locations": [{"line": 1, "column": 17}],
            "extensions": {"code": "QB_GRAPHQL_INVALID"}
        })
    );
}

#[test]
fn variables_are_coerced_per_the_spec() {
    let s = schema();
    let o = CompileOptions::default();
    let doc =
        "query($n: Int!, $ids: [UUID!]) { userList(where: {id: {in: $ids}}, limit: $n) { id } }";
    check(&fail_with(&s, doc, "", &o), ErrorKind::GraphqlInvalid, "$n");
    check(
        &fail_with(&s, doc, r#"{"n": "3"}"#, &o),
        ErrorKind::GraphqlInvalid,
        "$n",
    );
    check(
        &fail_with(&s, doc, r#"{"n": 3000000000}"#, &o),
        ErrorKind::GraphqlInvalid,
        "32-bit",
    );
    check(
        &fail_with(&s, doc, r#"{"n": 1, "ids": [null]}"#, &o),
        ErrorKind::GraphqlInvalid,
        "$ids[0]",
    );
    check(
        &fail_with(&s, doc, "[1]", &o),
        ErrorKind::GraphqlInvalid,
        "object",
    );
    // A single value where a list is expected is a one-item list; an absent nullable
    // variable leaves its argument out.
    let vars =
        qb_core::json::parse_value(r#"{"n": 2, "ids": "11111111-0000-0000-0000-000000000001"}"#)
            .expect("vars");
    let out = qb_graphql::compile(doc, Some(&vars), None, &s, &o).expect("compiles");
    let qb_graphql::RootField::Sql { compiled, .. } = &out.fields[0] else {
        panic!()
    };
    assert!(
        compiled.sql.contains("= ANY($1::uuid[])"),
        "{}",
        compiled.sql
    );
    // An input field whose variable is absent is left out (the spec); what remains is
    // qb-core's to judge: `{id: {}}` names no operator.
    let vars = qb_core::json::parse_value(r#"{"n": 2}"#).expect("vars");
    let e = qb_graphql::compile(doc, Some(&vars), None, &s, &o).expect_err("empty filter");
    check(&e, ErrorKind::InvalidQuery, "at least one operator");
    assert_eq!(e.first().ast_path.as_deref(), Some("where.id"));
    // An absent nullable variable as a whole argument leaves the argument out.
    let doc = "query($w: UserWhere) { userList(where: $w) { id } }";
    let out = qb_graphql::compile(doc, None, None, &s, &o).expect("compiles");
    let qb_graphql::RootField::Sql { compiled, .. } = &out.fields[0] else {
        panic!()
    };
    assert!(!compiled.sql.contains("WHERE"), "{}", compiled.sql);
}

#[test]
fn operation_name_selects_and_unknown_is_an_error() {
    let s = schema();
    let o = CompileOptions::default();
    let doc = "query A { userList { id } } query B { postList { id } }";
    let b = qb_graphql::compile(doc, None, Some("B"), &s, &o).expect("B");
    assert_eq!(b.fields[0].response_key(), "postList");
    assert_eq!(b.operation_name.as_deref(), Some("B"));
    let e = qb_graphql::compile(doc, None, Some("C"), &s, &o).expect_err("C");
    check(&e, ErrorKind::GraphqlInvalid, "C");
    let e = qb_graphql::compile(doc, None, None, &s, &o).expect_err("ambiguous");
    check(&e, ErrorKind::GraphqlInvalid, "");
}

#[test]
fn depth_over_the_limit_is_an_error() {
    let s = schema();
    let mut doc = String::from("{ commentList { ");
    for _ in 0..40 {
        doc.push_str("post { author { ");
    }
    doc.push_str("id");
    doc.push_str(&" } }".repeat(40));
    doc.push_str(" } }");
    let options = CompileOptions::default().with_limits(Limits::default().with_max_depth(16));
    check(
        &fail_with(&s, &doc, "", &options),
        ErrorKind::DepthLimit,
        "deeper than 16",
    );
    // Through fragments too (the parsed document has no deep nesting of its own).
    let mut doc = String::from("{ commentList { ...F0 } }");
    for i in 0..20 {
        doc.push_str(&format!(
            " fragment F{i} on Comment {{ post {{ comments {{ ...F{} }} }} }}",
            i + 1
        ));
    }
    doc.push_str(" fragment F20 on Comment { id }");
    check(
        &fail_with(&s, &doc, "", &options),
        ErrorKind::DepthLimit,
        "deeper than 16",
    );
}

#[test]
fn an_alias_bomb_and_a_fragment_bomb_are_size_errors() {
    let s = schema();
    let mut doc = String::from("{ userList { ");
    for i in 0..20_000 {
        doc.push_str(&format!("a{i}: id "));
    }
    doc.push_str("} }");
    check(&fail(&doc), ErrorKind::SizeLimit, "more than 5000 fields");
    // Ten fragments each spreading the next twice: 2^10 copies of the leaf once expanded.
    let mut doc = String::from("{ userList { ...F0 } }");
    for i in 0..10 {
        doc.push_str(&format!(
            " fragment F{i} on User {{ posts {{ author {{ ...F{n} }} }} p{i}: posts {{ author {{ ...F{n} }} }} }}",
            n = i + 1
        ));
    }
    doc.push_str(" fragment F10 on User { id }");
    let s = s.with_max_fields(500);
    check(
        &fail_with(&s, &doc, "", &CompileOptions::default()),
        ErrorKind::SizeLimit,
        "fragments are expanded",
    );
}

#[test]
fn qb_core_errors_keep_their_code_with_the_response_path() {
    let errors = fail(r#"{ posts: postList { id comments(where: {likes: {eq: null}}) { id } } }"#);
    check(
        &errors,
        ErrorKind::InvalidValue,
        "null is not a valid operand",
    );
    let e = errors.first();
    assert_eq!(e.path, vec!["posts".to_owned(), "comments".to_owned()]);
    assert_eq!(e.ast_path.as_deref(), Some("select[1].where.likes.eq"));
    assert_eq!(e.locations.len(), 1);
    let errors = fail(
        r#"{ appUserList { __typename } x: userList(where: {createdAt: {gt: "yesterday"}}) { id } }"#,
    );
    assert_eq!(errors.0.len(), 1);
    check(&errors, ErrorKind::InvalidValue, "clock");
    assert_eq!(errors.first().path, vec!["x".to_owned()]);
}

#[test]
fn introspection_is_refused_not_served() {
    check(
        &fail("{ __schema { queryType { name } } }"),
        ErrorKind::Unsupported,
        "introspection",
    );
}

#[test]
fn root_typename_is_a_constant() {
    let out = qb_graphql::compile(
        "{ __typename t: __typename }",
        None,
        None,
        &schema(),
        &CompileOptions::default(),
    )
    .expect("compiles");
    assert_eq!(out.fields.len(), 2);
    match &out.fields[1] {
        qb_graphql::RootField::Constant {
            response_key,
            value,
        } => {
            assert_eq!(response_key, "t");
            assert_eq!(*value, Value::Str("Query".into()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn typename_of_a_nested_object_type_is_its_sdl_type_name() {
    // The registry names no nested object: each answers its SDL type's derived name (the
    // query AST alone would refuse it, never write the view's `User` there).
    let sql = first_sql("{ userList { profile { __typename city address { t: __typename } } } }");
    assert!(
        sql.contains("jsonb_build_object('__typename', 'UserProfile'")
            && sql.contains("jsonb_build_object('t', 'UserProfileAddress')")
            && !sql.contains("'User'"),
        "{}",
        sql
    );
    // On a view type, nested through a relation, it is the view's typename.
    let sql = first_sql("{ postList { author { __typename } } }");
    assert!(sql.contains("'__typename', 'User'"), "{}", sql);
}

#[test]
fn connection_errors_are_spec_shaped_with_the_field_path() {
    // A connection reads one page: no `first`/`last` is refused before any SQL.
    let e = fail("{ c: userConnection { totalCount } }");
    check(&e, ErrorKind::InvalidQuery, "needs `first` or `last`");
    assert_eq!(e.first().path, vec!["c".to_owned()]);
    assert_eq!(e.first().locations.len(), 1);
    // The node is one selection: under two aliases it is refused, not silently merged.
    let e = fail("{ userConnection(first: 2) { edges { node { id } } nodes { name } } }");
    check(&e, ErrorKind::Unsupported, "selected once");
    assert_eq!(e.first().path, vec!["userConnection", "nodes"]);
    let e = fail("{ userConnection(first: 2) { edges { a: node { id } b: node { id } } } }");
    check(&e, ErrorKind::Unsupported, "selected once");
    // The core's rules of keyset pages keep their codes and AST paths.
    let e = fail("{ userConnection(first: 2, last: 2) { totalCount } }");
    check(&e, ErrorKind::InvalidQuery, "last");
    assert_eq!(e.first().ast_path.as_deref(), Some("last"));
    let e = fail("{ userConnection(first: 2, after: \"not a cursor\") { totalCount } }");
    check(&e, ErrorKind::InvalidCursor, "cursor");
    assert_eq!(e.first().path, vec!["userConnection".to_owned()]);
    // GraphQL's own rules apply to connection fields too.
    let e = fail("{ userConnection(first: 2, limit: 3) { totalCount } }");
    check(&e, ErrorKind::GraphqlInvalid, "limit");
    let e = fail("{ userConnection(first: 2) { edges { node { id } cursour } } }");
    check(&e, ErrorKind::GraphqlInvalid, "cursour");
}

#[test]
fn a_connection_selects_only_what_it_needs() {
    let schema = schema();
    let compile = |doc: &str| {
        let r = qb_graphql::compile(doc, None, None, &schema, &CompileOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        match r.fields.into_iter().next() {
            Some(qb_graphql::RootField::Connection {
                query, connection, ..
            }) => (query, connection),
            other => panic!("{other:?}"),
        }
    };
    // Cursors alone: no page info, no count, and a placeholder selection.
    let (q, c) = compile("{ userConnection(first: 2) { pageInfo { endCursor } } }");
    assert!(!q.page_info && !q.total_count);
    assert_eq!(c.columns(), ["data", "__cursor"]);
    let (q, c) = compile("{ userConnection(last: 2) { totalCount pageInfo { hasPreviousPage } } }");
    assert!(q.page_info && q.total_count);
    assert_eq!(
        c.columns(),
        [
            "data",
            "__cursor",
            "__has_next_page",
            "__has_previous_page",
            "__total_count"
        ]
    );
    // `nodes` reads the same selection as `edges { node }`.
    let (a, _) = compile("{ userConnection(first: 2) { nodes { id name } } }");
    let (b, _) = compile("{ userConnection(first: 2) { edges { node { id name } } } }");
    assert_eq!(a, b);
}

#[test]
fn typename_of_a_list_element_is_its_registry_typename_or_its_sdl_name() {
    // A list with a registry typename: the core writes it, and it is the GraphQL type's name.
    let sql = first_sql("{ orderList { items { __typename options { __typename } } } }");
    assert!(sql.contains("'__typename', 'LineItem'"), "{}", sql);
    assert!(sql.contains("'__typename', 'ItemOption'"), "{}", sql);
    // Without one, the element type's name is derived (`OrderShippingParcels`), and the
    // core writes that.
    let sql = first_sql("{ orderList { shipping { parcels { __typename } } } }");
    assert!(
        sql.contains("jsonb_build_object('__typename', 'OrderShippingParcels')"),
        "{}",
        sql
    );
    // `some: null` is not a many-to-one `isnull` for a list with a typename either (as
    // without one): the core's error at the quantifier.
    for doc in [
        "{ orderList(where: {items: {some: null}}) { id } }",
        "{ orderList(where: {shipping: {parcels: {some: null}}}) { id } }",
    ] {
        let errors = fail(doc);
        check(
            &errors,
            ErrorKind::InvalidQuery,
            "a filter must be an object",
        );
    }
    // A list's elements are filtered with a quantifier, as in the AST.
    let errors = fail("{ orderList(where: {items: {sku: {eq: \"A1\"}}}) { id } }");
    check(&errors, ErrorKind::GraphqlInvalid, "sku");
}

#[test]
fn distinct_on_offers_only_the_keys_the_core_takes() {
    // `search` is a tsvector: no DISTINCT ON key, so not a value of `PostDistinctOn`.
    let errors = fail("{ postList(distinctOn: [search]) { id } }");
    check(&errors, ErrorKind::GraphqlInvalid, "search");
    // Rules of `distinct_on` that GraphQL cannot see stay the core's, at the field.
    let errors = fail(
        "{ postConnection(first: 2) { totalCount } p: postList(distinctOn: tenantId, offset: -1) { id } }",
    );
    assert_eq!(errors.first().path, vec!["p".to_owned()], "{errors}");
}
