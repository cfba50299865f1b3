//! Injection corpus: hostile identifiers and values in every place a query or a registry
//! can carry text. Each is either rejected with a coded error, or compiled into SQL that
//! PostgreSQL parses and runs, with the hostile text coming back unchanged (round trip), so
//! it was quoted or parameterized, never interpreted. A second test asserts that no
//! parameter value ever appears in SQL text.
#![allow(clippy::unwrap_used)]

use qb_core::{CompileOptions, CompiledQuery, Error, ParamValue, Query, Schema, Value};
use qb_testpg::golden::{self, Outcome};
use qb_testpg::{TextParam, client, query_json};
use serde_json::{Value as Json, json};

/// The hostile corpus.
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "'",
        "''",
        "\"",
        "\"\"",
        "\\",
        "\\'",
        "'\\",
        "$1",
        "$0",
        "$99999999999",
        "$$",
        "$tag$",
        "%s",
        "%%",
        "%",
        "%(x)s",
        "?",
        "?|",
        "?&",
        ";",
        "; DROP TABLE users; --",
        "--",
        "-- x\n",
        "/*",
        "*/",
        "/* x */",
        "\0",
        "a\0b",
        "\n",
        "\r\n",
        "\t",
        "a'->>'b",
        "a->>'b'",
        "a'->'b",
        "a.b",
        "a..b",
        ".a",
        "a.",
        "a'||'b",
        "email' OR '1'='1",
        "x' ; SELECT pg_sleep(10); --",
        "E'\\x27'",
        "U&\"\\0027\"",
        "$1::text",
        "\u{2019}",
        "\u{FF07}",
        "\u{02BC}",
        "\u{FF02}",
        "ｅｍａｉｌ",
        "\u{0435}mail",
        "emai\u{200B}l",
        "\u{202E}liame",
        "\u{FEFF}email",
        "🚀",
        "é",
        "e\u{0301}",
        "ＳＥＬＥＣＴ",
        "null",
        "NULL",
        "true",
        "{}",
        "[]",
        "{\"a\":1}",
        "a,b",
        "{a}",
        "}",
        "{",
        "\"a\",\"b\"",
        "(",
        ")",
        "::",
        ":x",
        "@x",
        "#",
        "`",
        "\\x00",
        "\\u0000",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.push("a".repeat(63));
    v.push("a".repeat(64));
    v.push("a".repeat(255));
    v.push("a".repeat(256));
    v.push("'".repeat(10_000));
    v.push("x".repeat(100_000));
    v
}

fn s(x: &str) -> Value {
    Value::Str(x.to_owned())
}
fn obj(kv: Vec<(&str, Value)>) -> Value {
    Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
fn list(v: Vec<Value>) -> Value {
    Value::List(v)
}

fn compile_value(doc: &Value, schema: &Schema) -> Result<CompiledQuery, Error> {
    Query::from_value(doc).and_then(|q| qb_core::compile(&q, schema, &CompileOptions::default()))
}

fn params_text(out: &CompiledQuery) -> Vec<Option<String>> {
    out.params.iter().map(|p| Some(p.to_pg_text())).collect()
}

fn assert_error(r: &Result<CompiledQuery, Error>, what: &str, h: &str) {
    match r {
        Err(e) => {
            assert!(e.code().starts_with("QB_"), "{what} {h:?}: {}", e.code());
            assert!(!e.message().is_empty(), "{what} {h:?}: empty message");
        }
        Ok(out) => panic!("{what} {h:?} compiled:\n{}", out.sql),
    }
}

/// Parses and runs compiled SQL; returns the rows.
fn run(c: &mut postgres::Client, out: &CompiledQuery, what: &str) -> Json {
    let parsed = pg_query::parse(&out.sql, 0);
    assert!(
        parsed.is_ok(),
        "{what}: libpg_query: {parsed:?}\n{}",
        out.sql
    );
    query_json(c, &out.sql, &params_text(out))
        .unwrap_or_else(|e| panic!("{what}: PostgreSQL: {e:?}\n{}", out.sql))
}

fn is_graphql_name(h: &str) -> bool {
    let mut c = h.chars();
    matches!(c.next(), Some(x) if x == '_' || x.is_ascii_alphabetic())
        && c.all(|x| x == '_' || x.is_ascii_alphanumeric())
}

#[test]
fn hostile_names_in_queries_are_rejected() {
    let schema = golden::fixture_schema();
    let mut c = client();
    let id = || list(vec![s("id")]);
    for h in hostile() {
        let h = h.as_str();
        let cases = [
            ("view", obj(vec![("view", s(h)), ("select", id())])),
            (
                "select field",
                obj(vec![("view", s("v_user")), ("select", list(vec![s(h)]))]),
            ),
            (
                "alias",
                obj(vec![
                    ("view", s("v_user")),
                    (
                        "select",
                        list(vec![obj(vec![("field", s("email")), ("alias", s(h))])]),
                    ),
                ]),
            ),
            (
                "typename alias",
                obj(vec![
                    ("view", s("v_user")),
                    (
                        "select",
                        list(vec![obj(vec![("field", s("__typename")), ("alias", s(h))])]),
                    ),
                ]),
            ),
            (
                "aggregate alias",
                obj(vec![
                    ("view", s("v_user")),
                    (
                        "select",
                        list(vec![obj(vec![("aggregate", s("count")), ("alias", s(h))])]),
                    ),
                ]),
            ),
            (
                "aggregate fn",
                obj(vec![
                    ("view", s("v_user")),
                    (
                        "select",
                        list(vec![obj(vec![("aggregate", s(h)), ("alias", s("n"))])]),
                    ),
                ]),
            ),
            (
                "where field",
                obj(vec![
                    ("view", s("v_user")),
                    ("select", id()),
                    ("where", obj(vec![(h, obj(vec![("eq", s("x"))]))])),
                ]),
            ),
            (
                "nested where field",
                obj(vec![
                    ("view", s("v_user")),
                    ("select", id()),
                    (
                        "where",
                        obj(vec![("profile", obj(vec![(h, obj(vec![("eq", s("x"))]))]))]),
                    ),
                ]),
            ),
            (
                "operator",
                obj(vec![
                    ("view", s("v_user")),
                    ("select", id()),
                    ("where", obj(vec![("email", obj(vec![(h, s("x"))]))])),
                ]),
            ),
            (
                "order field",
                obj(vec![
                    ("view", s("v_user")),
                    ("select", id()),
                    ("order_by", list(vec![s(h)])),
                ]),
            ),
            (
                "order direction",
                obj(vec![
                    ("view", s("v_user")),
                    ("select", id()),
                    (
                        "order_by",
                        list(vec![obj(vec![("field", s("age")), ("direction", s(h))])]),
                    ),
                ]),
            ),
            (
                "order nulls",
                obj(vec![
                    ("view", s("v_user")),
                    ("select", id()),
                    (
                        "order_by",
                        list(vec![obj(vec![("field", s("age")), ("nulls", s(h))])]),
                    ),
                ]),
            ),
            (
                "group_by",
                obj(vec![
                    ("view", s("v_user")),
                    (
                        "select",
                        list(vec![obj(vec![
                            ("aggregate", s("count")),
                            ("alias", s("n")),
                        ])]),
                    ),
                    ("group_by", list(vec![s(h)])),
                ]),
            ),
            (
                "output",
                obj(vec![
                    ("view", s("v_user")),
                    ("select", id()),
                    ("output", s(h)),
                ]),
            ),
            (
                "top-level key",
                obj(vec![("view", s("v_user")), ("select", id()), (h, s("x"))]),
            ),
        ];
        for (what, doc) in cases {
            let r = compile_value(&doc, &schema);
            match (&r, is_graphql_name(h)) {
                // A GraphQL name (`null`, `true`, `aaa…`) is a legal output name.
                (Ok(out), true) => {
                    run(&mut c, out, &format!("{what} {h:?}"));
                }
                _ => assert_error(&r, what, h),
            }
        }
    }
}

/// The permissive view `v_comment` reads unknown names from the document: they must be
/// GraphQL names, else `QB_INVALID_IDENTIFIER`.
#[test]
fn hostile_names_on_a_permissive_view() {
    let schema = golden::fixture_schema();
    let mut c = client();
    for h in hostile() {
        let h = h.as_str();
        for doc in [
            obj(vec![("view", s("v_comment")), ("select", list(vec![s(h)]))]),
            obj(vec![
                ("view", s("v_comment")),
                ("select", list(vec![s("id")])),
                ("where", obj(vec![(h, obj(vec![("eq", s("x"))]))])),
            ]),
            obj(vec![
                ("view", s("v_comment")),
                ("select", list(vec![s("id")])),
                ("order_by", list(vec![s(h)])),
            ]),
        ] {
            let r = compile_value(&doc, &schema);
            if let Ok(out) = &r {
                // Only GraphQL names (dotted: a path of them) may reach the SQL.
                assert!(
                    h.split('.').all(is_graphql_name) && h.len() <= 255,
                    "{h:?} compiled:\n{}",
                    out.sql
                );
                run(&mut c, out, h);
            } else {
                let e = r.expect_err(h);
                assert!(
                    [
                        "QB_INVALID_IDENTIFIER",
                        "QB_UNKNOWN_FIELD",
                        "QB_INVALID_QUERY",
                        "QB_INVALID_VALUE"
                    ]
                    .contains(&e.code()),
                    "{h:?}: {} {}",
                    e.code(),
                    e.message()
                );
            }
        }
    }
}

fn schema_with(view_key: &str, typename: &str, data_column: &str, field_key: &str) -> Json {
    json!({"views": {view_key: {
        "typename": typename,
        "data_column": data_column,
        "columns": {"id": "uuid"},
        "fields": {field_key: "text", "plain": "text"}
    }}})
}

#[test]
fn hostile_names_in_the_registry() {
    for h in hostile() {
        let h = h.as_str();
        // SQL identifiers: view keys and data columns must be plain identifiers.
        for (what, doc) in [
            ("view key", schema_with(h, "T", "data", "k")),
            (
                "schema-qualified view key",
                schema_with(&format!("{h}.v_inj"), "T", "data", "k"),
            ),
            ("data_column", schema_with("v_inj", "T", h, "k")),
        ] {
            let ident = |x: &str| {
                x.len() <= 63
                    && x.chars()
                        .next()
                        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
                    && x.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
            };
            let plain_ident = match what {
                // `schema.view`: each part a plain identifier
                "view key" => h.splitn(2, '.').all(ident),
                _ => ident(h),
            };
            let r = Schema::from_json(&doc.to_string());
            if !plain_ident {
                let e = r.err().unwrap_or_else(|| panic!("{what} {h:?} accepted"));
                assert!(e.code().starts_with("QB_"), "{what} {h:?}");
            }
        }
        // typename must be a GraphQL name
        let r = Schema::from_json(&schema_with("v_inj", h, "data", "k").to_string());
        if !is_graphql_name(h) {
            assert!(r.is_err(), "typename {h:?} accepted");
        }
        // a column name
        let r =
            Schema::from_json(&json!({"views": {"v_inj": {"columns": {h: "uuid"}}}}).to_string());
        if !(is_graphql_name(h) && h.len() <= 63) {
            assert!(r.is_err(), "column {h:?} accepted");
        }
        // a type name
        let r = Schema::from_json(&json!({"views": {"v_inj": {"fields": {"k": h}}}}).to_string());
        assert!(r.is_err(), "type {h:?} accepted");
        let r = Schema::from_json(
            &json!({"views": {"v_inj": {"fields": {"k": {"type": "tsvector", "language": h}}}}})
                .to_string(),
        );
        if let Ok(schema) = r {
            // A language is sent as a regconfig parameter, never written into SQL.
            let q = obj(vec![
                ("view", s("v_inj")),
                ("select", list(vec![s("k")])),
                (
                    "where",
                    obj(vec![("k", obj(vec![("plain_query", s("x"))]))]),
                ),
            ]);
            let out = compile_value(&q, &schema).unwrap();
            let simple = Schema::from_json(
                &json!({"views": {"v_inj": {"fields": {"k": {"type": "tsvector", "language": "simple"}}}}})
                    .to_string(),
            )
            .unwrap();
            let tame = compile_value(&q, &simple).unwrap();
            assert_eq!(out.sql, tame.sql, "language {h:?} changed the SQL");
            assert!(
                out.params.iter().any(|p| p.to_pg_text() == h),
                "language {h:?} not a parameter"
            );
        }
    }
}

/// JSON keys in the registry may be any text of 1..=255 bytes without NUL: they are written
/// as SQL literals. Round trip: a temp table whose document has the hostile key, selected and
/// filtered through the registry, gives the value back.
#[test]
fn hostile_json_keys_round_trip_through_postgresql() {
    let mut c = client();
    c.batch_execute("CREATE TEMP TABLE v_inj (id uuid, data jsonb)")
        .unwrap();
    let mut round_trips = 0;
    for h in hostile() {
        let h = h.as_str();
        let doc = json!({"views": {"v_inj": {"columns": {"id": "uuid"}, "fields": {h: "text", "nest": {"type": "object", "fields": {h: "text"}}}}}});
        let schema = match Schema::from_json(&doc.to_string()) {
            Ok(s) => s,
            Err(e) => {
                assert!(
                    h.is_empty() || h.contains('\0') || h.len() > 255,
                    "key {h:?} rejected: {e}"
                );
                continue;
            }
        };
        assert!(!h.contains('\0') && h.len() <= 255, "key {h:?} accepted");
        c.batch_execute("TRUNCATE v_inj").unwrap();
        let data = json!({h: "val'\"\\", "nest": {h: "deep"}}).to_string();
        c.execute(
            "INSERT INTO v_inj VALUES ('11111111-0000-0000-0000-000000000001', $1::text::jsonb)",
            &[&TextParam(Some(&data))],
        )
        .unwrap();
        let q = obj(vec![
            ("view", s("v_inj")),
            ("camel_case", Value::Bool(false)),
            (
                "select",
                list(vec![
                    obj(vec![("field", s(h)), ("alias", s("v"))]),
                    obj(vec![
                        ("field", s("nest")),
                        (
                            "select",
                            list(vec![obj(vec![("field", s(h)), ("alias", s("w"))])]),
                        ),
                    ]),
                ]),
            ),
            (
                "where",
                obj(vec![
                    (h, obj(vec![("eq", s("val'\"\\"))])),
                    ("nest", obj(vec![(h, obj(vec![("startswith", s("de"))]))])),
                ]),
            ),
            (
                "order_by",
                list(vec![obj(vec![("field", list(vec![s(h)]))])]),
            ),
        ]);
        let out = match compile_value(&q, &schema) {
            Ok(o) => o,
            Err(e) => {
                // A key the query language cannot name (e.g. an operator name) is fine.
                assert!(e.code().starts_with("QB_"), "{h:?}");
                eprintln!("key {h:?}: not nameable in a query ({})", e.code());
                continue;
            }
        };
        let rows = run(&mut c, &out, h);
        assert_eq!(
            rows,
            json!([{"data": {"v": "val'\"\\", "nest": {"w": "deep"}}}]),
            "key {h:?}\n{}",
            out.sql
        );
        round_trips += 1;
    }
    assert!(round_trips > 40, "{round_trips}");
}

/// Hostile values: always parameters, and they reach PostgreSQL unchanged (the rows match a
/// hand-written parameterized query).
#[test]
fn hostile_values_are_parameters() {
    let schema = golden::fixture_schema();
    let mut c = client();
    for h in hostile() {
        let h = h.as_str();
        let ops: &[(&str, &str, Value)] = &[
            ("email", "eq", s(h)),
            ("email", "neq", s(h)),
            ("name", "contains", s(h)),
            ("name", "startswith", s(h)),
            ("name", "iendswith", s(h)),
            ("bio", "like", s(h)),
            ("bio", "ilike", s(h)),
            ("email", "in", list(vec![s(h), s("x")])),
            ("email", "nin", list(vec![s(h)])),
            ("tags", "any_eq", s(h)),
            ("tags", "contains", list(vec![s(h)])),
            ("metadata", "has_key", s(h)),
            ("metadata", "has_any_keys", list(vec![s(h)])),
            ("search", "plain_query", s(h)),
            ("profile", "city", obj(vec![("eq", s(h))])),
        ];
        for (field, op, operand) in ops {
            let doc = obj(vec![
                ("view", s("v_user")),
                ("select", list(vec![s("id")])),
                (
                    "where",
                    obj(vec![(*field, obj(vec![(*op, operand.clone())]))]),
                ),
            ]);
            let what = format!("{field}.{op} {h:?}");
            let out = match compile_value(&doc, &schema) {
                Ok(o) => o,
                Err(e) => {
                    // Only NUL (PostgreSQL text cannot hold it), over-long values and LIKE
                    // patterns ending in a lone escape character may be refused.
                    let lone_escape = matches!(*op, "like" | "ilike")
                        && h.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1;
                    assert!(
                        h.contains('\0') || h.len() > 1 << 16 || lone_escape,
                        "{what}: {} {}",
                        e.code(),
                        e.message()
                    );
                    assert_eq!(e.code(), "QB_INVALID_VALUE", "{what}");
                    continue;
                }
            };
            assert!(
                !h.contains('\0'),
                "{what}: NUL compiled into a parameter:\n{}",
                out.sql
            );
            // The SQL text depends on the shape only: the same query with a tame value gives
            // the same SQL.
            let tame = obj(vec![
                ("view", s("v_user")),
                ("select", list(vec![s("id")])),
                (
                    "where",
                    obj(vec![(*field, obj(vec![(*op, tame_like(operand))]))]),
                ),
            ]);
            assert_eq!(
                compile_value(&tame, &schema).unwrap().sql,
                out.sql,
                "{what}"
            );
            if matches!(*op, "like" | "ilike") && like_pattern_ends_with_escape(h) {
                // bug: see like_pattern_ending_with_escape_is_rejected
                continue;
            }
            run(&mut c, &out, &what);
        }
        // eq: the rows are exactly those a hand-written parameterized query gives.
        let doc = obj(vec![
            ("view", s("v_user")),
            ("select", list(vec![s("id")])),
            ("output", s("columns")),
            ("where", obj(vec![("email", obj(vec![("eq", s(h))]))])),
        ]);
        if let Ok(out) = compile_value(&doc, &schema) {
            let got = run(&mut c, &out, h);
            let want = query_json(
                &mut c,
                "SELECT id FROM v_user WHERE data->>'email' = $1",
                &[Some(h.to_owned())],
            )
            .unwrap();
            assert_eq!(got, want, "{h:?}");
        }
    }
}

fn like_pattern_ends_with_escape(p: &str) -> bool {
    p.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1
}

/// `like`/`ilike` take a raw pattern; one ending in a lone escape character is invalid in
/// PostgreSQL ("LIKE pattern must not end with escape character", SQLSTATE 22025). The
/// compiler accepts it, so the error only surfaces at execution time, untyped.
#[test]
fn like_pattern_ending_with_escape_is_rejected() {
    let schema = golden::fixture_schema();
    for op in ["like", "ilike"] {
        let doc = obj(vec![
            ("view", s("v_user")),
            ("select", list(vec![s("id")])),
            ("where", obj(vec![("bio", obj(vec![(op, s("50\\"))]))])),
        ]);
        let e = compile_value(&doc, &schema).expect_err("pattern ending with an escape character");
        assert_eq!(e.code(), "QB_INVALID_VALUE");
        assert_eq!(e.path(), format!("where.bio.{op}"));
    }
}

fn tame_like(v: &Value) -> Value {
    match v {
        Value::Str(_) => s("tame"),
        Value::List(items) => Value::List(items.iter().map(tame_like).collect()),
        Value::Object(kv) => {
            Value::Object(kv.iter().map(|(k, v)| (k.clone(), tame_like(v))).collect())
        }
        other => other.clone(),
    }
}

// ---------------------------------------------------------------- values never in SQL

const M: &str = "QbMark7f3a";

/// One query per operator family with distinctive operand values.
fn marked_queries() -> Vec<Value> {
    let w = |field: &str, op: &str, v: Value| {
        obj(vec![
            ("view", s("v_user")),
            ("select", list(vec![s("id")])),
            ("where", obj(vec![(field, obj(vec![(op, v)]))])),
            ("limit", Value::Int(987_651)),
            ("offset", Value::Int(876_541)),
        ])
    };
    let mut out = Vec::new();
    for op in [
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "contains",
        "startswith",
        "endswith",
        "icontains",
        "istartswith",
        "iendswith",
        "like",
        "ilike",
        "matches",
        "imatches",
        "not_matches",
    ] {
        out.push(w("email", op, s(&format!("{M}text{op}"))));
    }
    out.push(w(
        "email",
        "in",
        list(vec![s(&format!("{M}in1")), s(&format!("{M}in2"))]),
    ));
    out.push(w("email", "nin", list(vec![s(&format!("{M}nin"))])));
    for op in ["eq", "gt", "lte"] {
        out.push(w("age", op, Value::Int(987_654_321)));
        out.push(w("score", op, Value::Float(98_765.432_1)));
        out.push(w(
            "score",
            op,
            Value::Decimal(
                qb_core::Number::new("123456789012345678901234567890.987654321").expect("number"),
            ),
        ));
    }
    out.push(w(
        "age",
        "in",
        list(vec![Value::Int(987_654_322), Value::Int(987_654_323)]),
    ));
    out.push(w(
        "managerId",
        "eq",
        s("7f3a9c1e-5b2d-4e6f-8a7b-9c0d1e2f3a4b"),
    ));
    out.push(w("birth_date", "gt", s("2047-03-19")));
    out.push(w("last_login", "lt", s("2047-03-19T11:22:33Z")));
    out.push(w("ip_address", "eq", s("203.0.113.77")));
    out.push(w("ip_address", "inSubnet", s("203.0.113.0/24")));
    out.push(w(
        "ip_address",
        "inRange",
        obj(vec![("from", s("203.0.113.71")), ("to", s("203.0.113.79"))]),
    ));
    out.push(w("network", "eq", s("198.51.100.0/24")));
    out.push(w("mac", "eq", s("7f:3a:9c:1e:5b:2d")));
    out.push(w("category_path", "descendant_of", s("qbmark.deep")));
    out.push(w("category_path", "matches_lquery", s("*.qbmark.*")));
    out.push(w("category_path", "matches_ltxtquery", s("qbmark & !deep")));
    out.push(w("category_path", "depth_gt", Value::Int(987_654_324)));
    out.push(w("vacation", "overlaps", s("[2047-01-01,2047-02-01)")));
    out.push(w("vacation", "contains_date", s("2047-01-15")));
    out.push(w("search", "plain_query", s(&format!("{M}word"))));
    out.push(w(
        "search",
        "rank_gt",
        obj(vec![
            ("query", s(&format!("{M}rank"))),
            ("threshold", Value::Float(0.987_654)),
            ("language", s("simple")),
        ]),
    ));
    out.push(w("tags", "contains", list(vec![s(&format!("{M}tag"))])));
    out.push(w("tags", "any_eq", s(&format!("{M}anyeq"))));
    out.push(w("tags", "len_eq", Value::Int(987_654_325)));
    out.push(w(
        "lucky_numbers",
        "overlaps",
        list(vec![Value::Int(987_654_326)]),
    ));
    out.push(w("metadata", "has_key", s(&format!("{M}key"))));
    out.push(w(
        "metadata",
        "contains",
        obj(vec![(M, s(&format!("{M}json")))]),
    ));
    out.push(w("metadata", "path_exists", s(&format!("$.{M}path"))));
    out.push(w(
        "embedding",
        "cosine_distance",
        obj(vec![
            (
                "vector",
                list(vec![Value::Float(0.987_654_3), Value::Float(0.876_543_2)]),
            ),
            ("threshold", Value::Float(0.765_432_1)),
        ]),
    ));
    out.push(w(
        "location",
        "distance_within",
        obj(vec![
            ("lat", Value::Float(12.345_678_9)),
            ("lng", Value::Float(98.765_432_1)),
            ("meters", Value::Float(87_654.321)),
        ]),
    ));
    out
}

fn param_texts(v: &ParamValue, out: &mut Vec<String>) {
    match v {
        ParamValue::Text(s) => out.push(s.clone()),
        ParamValue::Int(i) => out.push(i.to_string()),
        ParamValue::Float(f) => out.push(f.to_string()),
        ParamValue::Bool(_) => {}
        ParamValue::Array(items) => items.iter().for_each(|i| param_texts(i, out)),
        other => panic!("a parameter value this test does not know: {other:?}"),
    }
}

fn assert_no_value_in_sql(out: &CompiledQuery, min_len: usize, what: &str) {
    for p in &out.params {
        let mut texts = vec![p.to_pg_text()];
        param_texts(&p.value, &mut texts);
        for t in texts {
            let core = t.trim_matches(|c| {
                c == '%' || c == '{' || c == '}' || c == '"' || c == '[' || c == ']'
            });
            if core.len() >= min_len {
                assert!(
                    !out.sql.contains(core),
                    "{what}: param value {core:?} in SQL:\n{}",
                    out.sql
                );
            }
        }
    }
}

#[test]
fn no_parameter_value_appears_in_sql_text() {
    let schema = golden::fixture_schema();
    let mut compiled = 0;
    for q in marked_queries() {
        for opts in [CompileOptions::default(), CompileOptions::format()] {
            let out = Query::from_value(&q)
                .and_then(|qq| qb_core::compile(&qq, &schema, &opts))
                .unwrap_or_else(|e| panic!("{}: {e}", q.to_json()));
            assert!(!out.params.is_empty());
            assert!(
                !out.sql.contains(M)
                    && !out.sql.contains("qbmark")
                    && !out.sql.contains("98765")
                    && !out.sql.contains("2047"),
                "{}",
                out.sql
            );
            assert_no_value_in_sql(&out, 4, &q.to_json());
            compiled += 1;
        }
    }
    // And over the whole golden corpus: no parameter of 8+ characters occurs in its SQL.
    for case in golden::load_cases() {
        if let Outcome::Compiled(out) = golden::compile_case(&case, &schema) {
            assert_no_value_in_sql(&out, 8, &case.name);
            compiled += 1;
        }
    }
    eprintln!("{compiled} statements checked");
}
