//! Limits: huge and deep inputs give an error or a result in bounded time and memory, never
//! a crash. No timing assertions: completing is the assertion. Every limit of
//! `qb_core::Limits` is configurable through `CompileOptions::limits` (and
//! `Query::from_value_with_limits`), checked here in both directions.
#![allow(clippy::unwrap_used)]

use qb_core::ast::{Condition, FieldPath};
use qb_core::{CompileOptions, Filter, Limits, Operator, Query, Schema, Value};
use qb_testpg::golden;
use qb_testpg::{client, query_json};

const DEEP: usize = 10_000;

fn s(x: &str) -> Value {
    Value::Str(x.to_owned())
}
fn obj(kv: Vec<(&str, Value)>) -> Value {
    Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
fn query_with_where(w: Value) -> Value {
    obj(vec![
        ("view", s("v_user")),
        ("select", Value::List(vec![s("id")])),
        ("where", w),
    ])
}
fn age_eq(n: i64) -> Value {
    obj(vec![("age", obj(vec![("eq", Value::Int(n))]))])
}
fn code(r: Result<impl std::fmt::Debug, qb_core::Error>) -> String {
    r.map(|_| "OK".to_owned())
        .unwrap_or_else(|e| e.code().to_owned())
}
fn compile_doc(
    doc: &Value,
    opts: &CompileOptions,
) -> Result<qb_core::CompiledQuery, qb_core::Error> {
    let schema = golden::fixture_schema();
    Query::from_value_with_limits(doc, &opts.limits)
        .and_then(|q| qb_core::compile(&q, &schema, opts))
}
fn run(out: &qb_core::CompiledQuery) -> serde_json::Value {
    // Deep statements exceed the protobuf decoder's nesting limit (100) of the pg_query
    // crate; fingerprinting parses in C without decoding. PostgreSQL then runs it anyway.
    if let Err(e) = pg_query::fingerprint(&out.sql, 0, 0) {
        panic!("libpg_query: {e}");
    }
    let params: Vec<Option<String>> = out.params.iter().map(|p| Some(p.to_pg_text())).collect();
    query_json(&mut client(), &out.sql, &params).unwrap()
}

// ---------------------------------------------------------------- deep nesting

fn deep_value(kind: &str, depth: usize) -> Value {
    let mut v = age_eq(1);
    for _ in 0..depth {
        v = match kind {
            "not" => obj(vec![("not", v)]),
            "and" => obj(vec![("and", Value::List(vec![v]))]),
            "or" => obj(vec![("OR", Value::List(vec![v, age_eq(2)]))]),
            // a path of nested objects: {"profile": {"profile": … {"age": {"eq": 1}}}}
            _ => obj(vec![("profile", v)]),
        };
    }
    v
}

#[test]
fn ten_thousand_deep_values_are_depth_errors() {
    for kind in ["not", "and", "or", "field"] {
        let doc = query_with_where(deep_value(kind, DEEP));
        let e = Query::from_value(&doc).expect_err(kind);
        assert_eq!(e.code(), "QB_DEPTH_LIMIT", "{kind}: {}", e.message());
        assert!(!e.path().is_empty(), "{kind}");
        // dropping `doc` (10,000 levels) must not overflow the stack either
    }
    // a 10,000-deep selection
    let mut sel = s("city");
    for _ in 0..DEEP {
        sel = obj(vec![
            ("field", s("profile")),
            ("select", Value::List(vec![sel])),
        ]);
    }
    let doc = obj(vec![
        ("view", s("v_user")),
        ("select", Value::List(vec![sel])),
    ]);
    assert_eq!(code(Query::from_value(&doc)), "QB_DEPTH_LIMIT");
    // and as JSON text
    let text = "{\"view\": \"v_user\", \"select\": [\"id\"], \"where\": ".to_owned()
        + &"{\"not\": ".repeat(DEEP)
        + "{\"age\": {\"eq\": 1}}"
        + &"}".repeat(DEEP)
        + "}";
    assert_eq!(code(Query::from_json(&text)), "QB_DEPTH_LIMIT");
    assert_eq!(code(qb_core::json::parse_value(&text)), "QB_DEPTH_LIMIT");
}

fn deep_ast(depth: usize) -> Query {
    let mut f = Filter::Condition(Condition {
        path: FieldPath::parse("age"),
        op: Operator::Eq,
        value: Value::Int(1),
    });
    for i in 0..depth {
        f = match i % 3 {
            0 => Filter::Not(Box::new(f)),
            1 => Filter::And(vec![f]),
            _ => Filter::Or(vec![f]),
        };
    }
    let mut q = Query::new("v_user", &["id"]);
    q.filter = Some(f);
    q
}

#[test]
fn ten_thousand_deep_rust_ast_is_a_depth_error() {
    let schema = golden::fixture_schema();
    let q = deep_ast(DEEP);
    let e = qb_core::compile(&q, &schema, &CompileOptions::default()).expect_err("deep");
    assert_eq!(e.code(), "QB_DEPTH_LIMIT");
    drop(q); // iterative drop
    // A 10,000-long path in a Rust-built condition.
    let mut q = Query::new("v_user", &["id"]);
    q.filter = Some(Filter::Condition(Condition {
        path: FieldPath(vec!["profile".to_owned(); DEEP]),
        op: Operator::Eq,
        value: s("x"),
    }));
    let r = qb_core::compile(&q, &schema, &CompileOptions::default());
    assert!(matches!(
        code(r).as_str(),
        "QB_DEPTH_LIMIT" | "QB_INVALID_QUERY" | "QB_UNKNOWN_FIELD"
    ));
}

/// Within the default limit, deep filters compile and run.
#[test]
fn deep_filters_within_the_limit_run() {
    let opts = CompileOptions::default();
    let depth = opts.limits.max_depth - 2;
    for kind in ["not", "and", "or"] {
        let out = compile_doc(&query_with_where(deep_value(kind, depth)), &opts).unwrap();
        run(&out);
    }
}

/// Raising `max_depth` far above the default: the compiler recurses per level, so the limit
/// is what protects the stack. Run in a child process so that a stack overflow is reported
/// as a failure instead of aborting the test binary.
#[test]
fn raised_depth_limit_does_not_crash() {
    if std::env::var_os("FQB_LIMITS_CHILD").is_some() {
        let schema = golden::fixture_schema();
        let opts =
            CompileOptions::default().with_limits(Limits::default().with_max_depth(DEEP + 10));
        let q = deep_ast(DEEP);
        let r = qb_core::compile(&q, &schema, &opts);
        eprintln!("child: {}", code(r));
        let doc = query_with_where(deep_value("not", DEEP));
        eprintln!("child value: {}", code(compile_doc(&doc, &opts)));
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "raised_depth_limit_does_not_crash",
            "--nocapture",
            "--test-threads=1",
            "--include-ignored",
        ])
        .env("FQB_LIMITS_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "compiling a 10,000-deep filter with max_depth {} crashed: {:?}\n{stderr}",
        DEEP + 10,
        out.status
    );
}

// ---------------------------------------------------------------- big lists

#[test]
fn in_list_of_a_million_values() {
    let big: Vec<Value> = (0..1_000_000).map(Value::Int).collect();
    let doc = query_with_where(obj(vec![("age", obj(vec![("in", Value::List(big))]))]));
    // default limit: 100,000 list elements
    let e = compile_doc(&doc, &CompileOptions::default()).expect_err("over the list limit");
    assert_eq!(e.code(), "QB_SIZE_LIMIT");
    assert!(e.path().starts_with("where.age.in"), "{}", e.path());
    // raised: one array parameter, runs on PostgreSQL
    let opts =
        CompileOptions::default().with_limits(Limits::default().with_max_list_len(1_000_000));
    let out = compile_doc(&doc, &opts).unwrap();
    assert_eq!(out.params.len(), 1);
    assert!(out.sql.len() < 200, "{}", out.sql);
    let rows = run(&out);
    assert_eq!(
        rows.as_array().unwrap().len(),
        14,
        "every user with an age (0..=99)"
    );
    // a million strings, over the default limit
    let strs: Vec<Value> = (0..1_000_000)
        .map(|i| Value::Str(format!("v{i}")))
        .collect();
    let doc = query_with_where(obj(vec![("email", obj(vec![("nin", Value::List(strs))]))]));
    assert_eq!(
        code(compile_doc(&doc, &CompileOptions::default())),
        "QB_SIZE_LIMIT"
    );
}

// ---------------------------------------------------------------- many fields

#[test]
fn ten_thousand_fields() {
    // the permissive view reads any GraphQL name
    let names: Vec<Value> = (0..10_000).map(|i| Value::Str(format!("f{i}"))).collect();
    let doc = obj(vec![
        ("view", s("v_comment")),
        ("select", Value::List(names.clone())),
    ]);
    let out = compile_doc(&doc, &CompileOptions::default()).unwrap();
    let rows = run(&out);
    assert_eq!(rows.as_array().unwrap().len(), 12);
    // 10,000 columns: PostgreSQL's own limit is 1,664 target entries
    let doc = obj(vec![
        ("view", s("v_comment")),
        ("select", Value::List(names)),
        ("output", s("columns")),
    ]);
    let r = compile_doc(&doc, &CompileOptions::default());
    if let Ok(out) = r {
        assert!(pg_query::parse(&out.sql, 0).is_ok());
    }
    // 10,000 conditions
    let conds: Vec<Value> = (0..10_000)
        .map(|i| {
            obj(vec![(
                format!("f{i}").as_str(),
                obj(vec![("isnull", Value::Bool(true))]),
            )])
        })
        .collect();
    let doc = obj(vec![
        ("view", s("v_comment")),
        ("select", Value::List(vec![s("id")])),
        ("where", obj(vec![("and", Value::List(conds))])),
    ]);
    let out = compile_doc(&doc, &CompileOptions::default()).unwrap();
    assert_eq!(run(&out).as_array().unwrap().len(), 12);
    // over max_nodes: an error
    let opts = CompileOptions::default().with_limits(Limits::default().with_max_nodes(5_000));
    assert_eq!(code(compile_doc(&doc, &opts)), "QB_SIZE_LIMIT");
    // 10,000 registry fields
    let mut fields =
        String::from("{\"views\": {\"v_user\": {\"columns\": {\"id\": \"uuid\"}, \"fields\": {");
    for i in 0..10_000 {
        if i > 0 {
            fields.push_str(", ");
        }
        fields.push_str(&format!("\"f{i}\": \"text\""));
    }
    fields.push_str("}}}}");
    let schema = Schema::from_json(&fields).unwrap();
    let q = Query::new("v_user", &["f0", "f9999"]);
    qb_core::compile(&q, &schema, &CompileOptions::default()).unwrap();
}

// ---------------------------------------------------------------- big strings

#[test]
fn one_megabyte_strings() {
    let max = Limits::default().max_string_len;
    assert_eq!(max, 1 << 20);
    let at = "é".repeat(max / 2); // exactly max bytes
    let over = "x".repeat(max + 1);
    let doc = query_with_where(obj(vec![(
        "email",
        obj(vec![("eq", Value::Str(at.clone()))]),
    )]));
    let out = compile_doc(&doc, &CompileOptions::default()).unwrap();
    assert_eq!(run(&out).as_array().unwrap().len(), 0);
    for op in ["eq", "contains", "like"] {
        let doc = query_with_where(obj(vec![(
            "email",
            obj(vec![(op, Value::Str(over.clone()))]),
        )]));
        let e = compile_doc(&doc, &CompileOptions::default()).expect_err(op);
        assert_eq!(e.code(), "QB_SIZE_LIMIT", "{op}: {}", e.message());
        assert_eq!(e.path(), format!("where.email.{op}"));
    }
    // a 1 MB name anywhere is an error, not a crash
    for doc in [
        obj(vec![
            ("view", Value::Str(over.clone())),
            ("select", Value::List(vec![s("id")])),
        ]),
        obj(vec![
            ("view", s("v_user")),
            ("select", Value::List(vec![Value::Str(over.clone())])),
        ]),
        obj(vec![
            ("view", s("v_comment")),
            ("select", Value::List(vec![Value::Str(over.clone())])),
        ]),
        query_with_where(obj(vec![(over.as_str(), obj(vec![("eq", s("x"))]))])),
        query_with_where(obj(vec![("email", obj(vec![(over.as_str(), s("x"))]))])),
    ] {
        assert!(compile_doc(&doc, &CompileOptions::default()).is_err());
    }
    // raised limit: 8 MB compiles
    let opts =
        CompileOptions::default().with_limits(Limits::default().with_max_string_len(8 << 20));
    let doc = query_with_where(obj(vec![(
        "email",
        obj(vec![("contains", Value::Str("y".repeat(8 << 20)))]),
    )]));
    let out = compile_doc(&doc, &opts).unwrap();
    assert_eq!(run(&out).as_array().unwrap().len(), 0);
}

// ---------------------------------------------------------------- configurable

#[test]
fn every_limit_is_configurable() {
    let d = Limits::default();
    assert_eq!(
        (d.max_depth, d.max_nodes, d.max_list_len, d.max_string_len),
        (64, 100_000, 100_000, 1 << 20)
    );
    let tight = |f: &dyn Fn(&mut Limits)| {
        let mut l = Limits::default();
        f(&mut l);
        CompileOptions::default().with_limits(l)
    };
    let deep = query_with_where(deep_value("not", 4));
    assert_eq!(
        code(compile_doc(&deep, &tight(&|l| l.max_depth = 3))),
        "QB_DEPTH_LIMIT"
    );
    assert_eq!(code(compile_doc(&deep, &tight(&|l| l.max_depth = 8))), "OK");
    let many = obj(vec![
        ("view", s("v_user")),
        ("select", Value::List(vec![s("id"), s("email"), s("age")])),
    ]);
    assert_eq!(
        code(compile_doc(&many, &tight(&|l| l.max_nodes = 2))),
        "QB_SIZE_LIMIT"
    );
    assert_eq!(code(compile_doc(&many, &tight(&|l| l.max_nodes = 3))), "OK");
    let list = query_with_where(obj(vec![(
        "age",
        obj(vec![(
            "in",
            Value::List(vec![Value::Int(1), Value::Int(2), Value::Int(3)]),
        )]),
    )]));
    assert_eq!(
        code(compile_doc(&list, &tight(&|l| l.max_list_len = 2))),
        "QB_SIZE_LIMIT"
    );
    assert_eq!(
        code(compile_doc(&list, &tight(&|l| l.max_list_len = 3))),
        "OK"
    );
    let string = query_with_where(obj(vec![("email", obj(vec![("eq", s("abcdef"))]))]));
    assert_eq!(
        code(compile_doc(&string, &tight(&|l| l.max_string_len = 5))),
        "QB_SIZE_LIMIT"
    );
    assert_eq!(
        code(compile_doc(&string, &tight(&|l| l.max_string_len = 6))),
        "OK"
    );
    // compile() re-checks a query built with looser limits (or in Rust)
    let q = Query::from_value(&deep).unwrap();
    let schema = golden::fixture_schema();
    assert_eq!(
        code(qb_core::compile(&q, &schema, &tight(&|l| l.max_depth = 3))),
        "QB_DEPTH_LIMIT"
    );
    let q = Query::from_value(&list).unwrap();
    assert_eq!(
        code(qb_core::compile(
            &q,
            &schema,
            &tight(&|l| l.max_list_len = 2)
        )),
        "QB_SIZE_LIMIT"
    );
    let q = Query::from_value(&string).unwrap();
    assert_eq!(
        code(qb_core::compile(
            &q,
            &schema,
            &tight(&|l| l.max_string_len = 5)
        )),
        "QB_SIZE_LIMIT"
    );
}

/// The deepest nesting any configuration allows compiles on a default 2 MiB test thread
/// (debug build): the hard cap is what keeps raised limits safe.
#[test]
fn hard_depth_cap_compiles_on_a_default_thread() {
    let schema = golden::fixture_schema();
    let opts = CompileOptions::default().with_limits(Limits::default().with_max_depth(usize::MAX));
    let at_cap = deep_ast(Limits::HARD_MAX_DEPTH - 1);
    assert_eq!(code(qb_core::compile(&at_cap, &schema, &opts)), "OK");
    let past_cap = deep_ast(Limits::HARD_MAX_DEPTH);
    assert_eq!(
        code(qb_core::compile(&past_cap, &schema, &opts)),
        "QB_DEPTH_LIMIT"
    );
}
