//! Integration tests of the harness against the real fixture database.
//! Run with: `scripts/pg.sh start && eval "$(scripts/pg.sh env)" && cargo test -p qb-testpg`.
//! Without FQB_PG_URL (or a reachable server) these tests fail, on purpose.
#![allow(clippy::unwrap_used)]

use qb_testpg::{client, explain, p, pg_array_literal, query_json};
use serde_json::json;

#[test]
fn connects_and_server_is_utc() {
    let mut c = client();
    let v = query_json(
        &mut c,
        "SELECT current_setting('TimeZone') AS tz, current_database() AS db",
        &[],
    )
    .unwrap();
    assert_eq!(v, json!([{"tz": "UTC", "db": "fqb_test"}]));
    let v = query_json(
        &mut c,
        "SELECT extname FROM pg_extension WHERE extname = 'ltree'",
        &[],
    )
    .unwrap();
    assert_eq!(v, json!([{"extname": "ltree"}]));
}

#[test]
fn fixture_row_counts() {
    let mut c = client();
    for (view, n) in [
        ("v_user", 16),
        ("public.v_user", 16),
        ("app.v_user", 16),
        ("v_post", 10),
        ("v_comment", 12),
    ] {
        let v = query_json(&mut c, &format!("SELECT count(*) AS n FROM {view}"), &[]).unwrap();
        assert_eq!(v, json!([{"n": n}]), "{view}");
    }
    // per tenant
    let v = query_json(
        &mut c,
        "SELECT tenant_id::text AS t, count(*) AS n FROM v_user GROUP BY 1 ORDER BY 1",
        &[],
    )
    .unwrap();
    assert_eq!(
        v,
        json!([
            {"t": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "n": 10},
            {"t": "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb", "n": 6}
        ])
    );
    // key present vs JSON null vs missing, as documented in tests/fixtures/README.md
    let v = query_json(
        &mut c,
        "SELECT count(*) FILTER (WHERE data ? 'email') AS has_key, \
                count(*) FILTER (WHERE data->'email' = 'null'::jsonb) AS json_null, \
                count(*) FILTER (WHERE data->>'email' IS NULL) AS sql_null \
           FROM v_user",
        &[],
    )
    .unwrap();
    assert_eq!(v, json!([{"has_key": 15, "json_null": 1, "sql_null": 2}]));
}

#[test]
fn empty_result_is_empty_array() {
    let mut c = client();
    let v = query_json(&mut c, "SELECT id FROM v_user WHERE false", &[]).unwrap();
    assert_eq!(v, json!([]));
}

#[test]
fn text_params_of_many_types_round_trip() {
    let mut c = client();
    let cases: &[(&str, &str)] = &[
        ("uuid", "11111111-0000-0000-0000-000000000001"),
        ("numeric", "12345678901234567890.123"),
        ("date", "2024-02-29"),
        ("inet", "2001:db8::1"),
        ("inet", "192.168.1.10"),
        ("cidr", "10.0.0.0/8"),
        ("macaddr", "08:00:2b:01:02:03"),
        ("ltree", "top.science.physics"),
        ("daterange", "[2024-07-01,2024-07-15)"),
        ("text[]", r#"{"a","b\"c",NULL}"#),
        ("int4[]", "{1,2,-3}"),
        ("timestamptz", "2024-06-01 10:00:00+00"),
        ("boolean", "true"),
        ("jsonb", r#"{"a": [1, 2]}"#),
        ("text", "O'Brien 100% \\ \"q\" 🚀"),
    ];
    for (ty, val) in cases {
        // $1::ty parses the text with the type's input function; ::text prints it back.
        let sql = format!("SELECT $1::{ty}::text AS v, pg_typeof($1::{ty})::text AS t");
        let v = query_json(&mut c, &sql, &[p(val)]).unwrap_or_else(|e| panic!("{ty} {val}: {e}"));
        let got = v[0]["v"].as_str().unwrap();
        // inet::text always shows the mask length
        let expected = match (*ty, *val) {
            ("inet", "2001:db8::1") => "2001:db8::1/128",
            ("inet", "192.168.1.10") => "192.168.1.10/32",
            // array output quotes only the elements that need it
            ("text[]", _) => r#"{a,"b\"c",NULL}"#,
            _ => val,
        };
        assert_eq!(got, expected, "{ty}");
    }
    // Untyped placeholder compared with a typed column: the server infers the type.
    let v = query_json(
        &mut c,
        "SELECT data->>'name' AS name FROM v_user WHERE id = $1",
        &[p("11111111-0000-0000-0000-000000000002")],
    )
    .unwrap();
    assert_eq!(v, json!([{"name": "Bob O'Brien"}]));
    // ltree / daterange / inet predicates over the fixture with text params.
    let v = query_json(
        &mut c,
        "SELECT count(*) AS n FROM v_user WHERE (data->>'category_path')::ltree <@ $1::ltree",
        &[p("top.science")],
    )
    .unwrap();
    assert_eq!(v, json!([{"n": 6}]));
    let v = query_json(
        &mut c,
        "SELECT count(*) AS n FROM v_user WHERE (data->>'vacation')::daterange @> $1::date",
        &[p("2024-07-12")],
    )
    .unwrap();
    assert_eq!(v, json!([{"n": 2}]));
    let v = query_json(
        &mut c,
        "SELECT count(*) AS n FROM v_user WHERE (data->>'ip_address')::inet <<= $1::inet",
        &[p("10.0.0.0/8")],
    )
    .unwrap();
    assert_eq!(v, json!([{"n": 1}]));
    // NULL parameter
    let v = query_json(&mut c, "SELECT $1::uuid IS NULL AS isnull", &[None]).unwrap();
    assert_eq!(v, json!([{"isnull": true}]));
    // text[] parameter built with pg_array_literal
    let tags = pg_array_literal(&[p("rust"), p("go")]);
    let v = query_json(
        &mut c,
        "SELECT count(*) AS n FROM v_user \
          WHERE ARRAY(SELECT jsonb_array_elements_text(CASE jsonb_typeof(data->'tags') \
                      WHEN 'array' THEN data->'tags' ELSE '[]' END)) && $1::text[]",
        &[Some(tags)],
    )
    .unwrap();
    assert_eq!(v, json!([{"n": 6}]));
}

#[test]
fn bad_text_param_is_an_error() {
    let mut c = client();
    let err = query_json(&mut c, "SELECT $1::uuid AS u", &[p("not-a-uuid")]).unwrap_err();
    let db = err.as_db_error().expect("server error");
    assert_eq!(db.code().code(), "22P02", "{db}");
}

#[test]
fn array_literal_survives_hostile_strings() {
    let mut c = client();
    let hostile: Vec<Option<String>> = vec![
        p("plain"),
        p(""),
        p("NULL"),
        p("null"),
        None,
        p("a,b"),
        p("{braces}"),
        p("  spaces  "),
        p("quote\"inside"),
        p("back\\slash"),
        p("\\\""),
        p("\"\\\"\\"),
        p("single'quote"),
        p("100%_under"),
        p("tab\tnew\nline"),
        p("日本 🚀 مريم"),
        p("}"),
        p("\\"),
    ];
    let lit = pg_array_literal(&hostile);
    let v = query_json(
        &mut c,
        "SELECT to_json($1::text[]) AS arr, cardinality($1::text[]) AS n",
        &[Some(lit.clone())],
    )
    .unwrap_or_else(|e| panic!("{lit}: {e}"));
    let expected: Vec<serde_json::Value> = hostile
        .iter()
        .map(|h| h.as_ref().map_or(serde_json::Value::Null, |s| json!(s)))
        .collect();
    assert_eq!(v[0]["arr"], json!(expected), "{lit}");
    assert_eq!(v[0]["n"], json!(hostile.len()));

    assert_eq!(pg_array_literal(&[]), "{}");
    let v = query_json(
        &mut c,
        "SELECT cardinality($1::text[]) AS n",
        &[Some(pg_array_literal(&[]))],
    )
    .unwrap();
    assert_eq!(v, json!([{"n": 0}]));
}

#[test]
fn explain_surfaces_errors_without_executing() {
    let mut c = client();
    // valid statement: plan lines come back
    let plan = explain(
        &mut c,
        "SELECT data FROM v_user WHERE id = $1",
        &[p("11111111-0000-0000-0000-000000000001")],
    )
    .unwrap();
    assert!(!plan.is_empty());
    // analysis error: unknown column
    let e = explain(&mut c, "SELECT nope FROM v_user", &[]).unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "42703");
    // analysis error: operator does not exist
    let e = explain(&mut c, "SELECT 1 FROM v_user WHERE data > 1", &[]).unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "42883");
    // parse error
    let e = explain(&mut c, "SELEC 1", &[]).unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "42601");
    // bad parameter value for the inferred type
    let e = explain(&mut c, "SELECT 1 FROM v_user WHERE id = $1", &[p("zzz")]).unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "22P02");
    // wrong parameter count is an error too
    assert!(explain(&mut c, "SELECT 1 FROM v_user WHERE id = $1", &[]).is_err());
    // not executed: a division by zero at run time does not happen
    explain(&mut c, "SELECT 1 / (count(*) - count(*)) FROM v_user", &[]).unwrap();
}
