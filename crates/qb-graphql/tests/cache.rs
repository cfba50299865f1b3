//! The document cache returns exactly what an uncached compile returns: SQL, parameters,
//! response keys, or the errors (code, message, locations, path). Varied documents,
//! operation names, options and variables (including variables that change a query's
//! shape: `@skip(if: $v)`, an input object used as `where`, a list coerced from one item)
//! run in random order through a schema without a cache, one with the default cache whose
//! hits lower the variables (bound hits off), one with the default cache whose hits bind the
//! variables straight into prepared statements, and one so small that it evicts all the
//! time. The variables repeat their shapes with other leaves (ages, emails, counts, lists,
//! decimals, cursors), change shape, and are invalid, so bound hits, fingerprints that take
//! the slow path, and binds that fail (and fall back) are all exercised.

use std::path::PathBuf;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use qb_core::{CompileOptions, Limits, Placeholder, Schema, Value};
use qb_graphql::{CompiledRequest, GraphqlErrors, GraphqlSchema};

fn registry() -> Schema {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/schema.json");
    Schema::from_json(&std::fs::read_to_string(path).expect("registry")).expect("registry")
}

const DOCS: &[&str] = &[
    // Variables decide the where clause's shape, the order, the page and two directives.
    "query Q($w: UserWhere, $n: Int, $skip: Boolean!, $o: [UserOrderBy!]) {
       userList(where: $w, limit: $n, orderBy: $o) { id email @skip(if: $skip) age ...F }
     }
     fragment F on User { name @include(if: $skip) nickName }",
    // Two operations: the operation name picks one (none given is an error).
    "query A($min: Int = 1) {
       postList(where: {comments: {some: {likes: {gte: $min}}}}, orderBy: {id: ASC}) {
         title comments(limit: $min, orderBy: {likes: DESC}) { likes author { name } }
       }
     }
     query B($id: UUID!) { user(id: $id) { id nickName } }",
    // Invalid: an unknown field (never cached, always the same errors).
    "{ userList { id emial } }",
    // Aliases, an inline fragment, a root __typename, a relation behind @include.
    "query($w: PostWhere, $inc: Boolean = true) {
       posts: postList(where: $w) { id ... on Post { author @include(if: $inc) { name } } }
       __typename
     }",
    // By key: the operand is checked by qb-core (a bad UUID is its error).
    "query($id: UUID!) { user(id: $id) { id profile { city } } }",
    // Deeper nesting: a small max_depth refuses it.
    "{ commentList(limit: 2) { post { author { profile { address { street } } } } } }",
    // A connection: the count and cursor are operands (a bad cursor is qb-core's error).
    "query C($n: Int, $after: String, $w: UserWhere) {
       userConnection(first: $n, after: $after, where: $w, orderBy: [{age: ASC}]) {
         edges { cursor node { id email } } pageInfo { hasNextPage endCursor } totalCount
       }
     }",
    // One variable in two operands, and in a literal list.
    "query T($n: Int, $e: String) {
       userList(limit: $n, where: {age: {gte: $n}, email: {in: [\"x\", $e]}}) { id }
     }",
    // Lists: one item coerced to a list, a list of strings, a string list in a filter.
    "query L($names: [String!], $e: String = \"a@b\", $inc: Boolean = false) {
       userList(where: {name: {in: $names}, email: {eq: $e}}) { id name @include(if: $inc) }
     }",
    // A custom scalar: Decimal as a number or a string; a variable in a directive, and
    // one that is no operand when its field is skipped.
    "query S($s: Decimal, $skip: Boolean = false, $e: String) {
       userList(where: {score: {gte: $s}}) { id score @skip(if: $skip) }
       postList(where: {title: {startswith: $e}}) @skip(if: $skip) { id }
       __typename
     }",
];

const OPERATIONS: &[Option<&str>] = &[None, Some("A"), Some("B"), Some("Q"), Some("Nope")];

fn user_where() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("null".to_owned())),
        (-5i64..100).prop_map(|n| Some(format!(r#"{{"age": {{"gte": {n}}}}}"#))),
        Just(Some(r#"{"age": {"gte": "x"}}"#.to_owned())),
        Just(Some(r#"{"age": {"eq": null}}"#.to_owned())),
        "[a-z@.]{0,6}".prop_map(|s| Some(format!(r#"{{"email": {{"eq": "{s}"}}}}"#))),
        (0i64..50, any::<bool>()).prop_map(|(n, b)| Some(format!(
            r#"{{"or": [{{"age": {{"lt": {n}}}}}, {{"active": {{"eq": {b}}}}}]}}"#
        ))),
        any::<bool>().prop_map(|b| Some(format!(r#"{{"age": {{"isnull": {b}}}}}"#))),
        Just(Some(r#"{"not": {"name": {"in": ["a", "b"]}}}"#.to_owned())),
        Just(Some(r#"{"name": {"in": "a"}}"#.to_owned())),
        Just(Some(r#"{"nope": {"eq": 1}}"#.to_owned())),
    ]
}

fn post_where() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (0i64..9).prop_map(|n| Some(format!(r#"{{"views": {{"gt": {n}}}}}"#))),
        Just(Some(
            r#"{"author": {"name": {"startswith": "A"}}, "published": {"eq": true}}"#.to_owned()
        )),
        Just(Some(r#"{"rating": {"gte": "1.5"}}"#.to_owned())),
        Just(Some(r#"{"rating": {"gte": "abc"}}"#.to_owned())),
    ]
}

fn flag() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        4 => Just(Some("true".to_owned())),
        4 => Just(Some("false".to_owned())),
        1 => Just(Some("null".to_owned())),
        1 => Just(Some(r#""yes""#.to_owned())),
    ]
}

fn int() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("null".to_owned())),
        (-3i64..30).prop_map(|n| Some(n.to_string())),
        Just(Some("1099511627776".to_owned())),
    ]
}

fn order() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(r#"[{"age": "DESC"}]"#.to_owned())),
        Just(Some(r#"{"email": "ASC"}"#.to_owned())),
        Just(Some(
            r#"[{"id": "ASC"}, {"age": "ASC_NULLS_LAST"}]"#.to_owned()
        )),
        Just(Some(r#"[{"age": "SIDEWAYS"}]"#.to_owned())),
    ]
}

fn cursor() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("null".to_owned())),
        "[a-zA-Z0-9_-]{0,12}".prop_map(|s| Some(format!(r#""{s}""#))),
        Just(Some("3".to_owned())),
    ]
}

fn email() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("null".to_owned())),
        "[a-z@.]{0,6}".prop_map(|s| Some(format!(r#""{s}""#))),
        Just(Some(r#""x""#.to_owned())),
        Just(Some(r#""a\u0000b""#.to_owned())),
        Just(Some("5".to_owned())),
    ]
}

fn names() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("null".to_owned())),
        "[a-c]{0,3}".prop_map(|s| Some(format!(r#""{s}""#))),
        prop::collection::vec("[a-c]{0,3}", 0..3).prop_map(|v| Some(format!(
            "[{}]",
            v.iter()
                .map(|s| format!(r#""{s}""#))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Just(Some(r#"["a", null]"#.to_owned())),
        Just(Some(r#"["a", 1]"#.to_owned())),
    ]
}

fn decimal() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (-50i64..50).prop_map(|n| Some(n.to_string())),
        (-50i64..50, 1u32..99).prop_map(|(n, f)| Some(format!("{n}.{f}"))),
        (0i64..50).prop_map(|n| Some(format!(r#""{n}.5""#))),
        Just(Some(r#""abc""#.to_owned())),
        Just(Some(r#"{"a": 1}"#.to_owned())),
    ]
}

fn uuid() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(r#""11111111-0000-0000-0000-000000000001""#.to_owned())),
        Just(Some(r#""not-a-uuid""#.to_owned())),
        Just(Some("7".to_owned())),
    ]
}

/// The variables object, as JSON text (absent entries left out; `$w` a `UserWhere` or a
/// `PostWhere` as the document declares it), or no variables at all.
fn variables() -> impl Strategy<Value = Option<(String, String)>> {
    let entries = (
        user_where(),
        post_where(),
        int(),
        flag(),
        flag(),
        order(),
        uuid(),
        int(),
        (cursor(), email(), names(), decimal()),
    )
        .prop_map(
            |(w, pw, n, skip, inc, o, id, min, (after, e, names, dec))| {
                let text = |w: Option<String>| {
                    let fields = [
                        ("w", w),
                        ("n", n.clone()),
                        ("skip", skip.clone()),
                        ("inc", inc.clone()),
                        ("o", o.clone()),
                        ("id", id.clone()),
                        ("min", min.clone()),
                        ("after", after.clone()),
                        ("e", e.clone()),
                        ("names", names.clone()),
                        ("s", dec.clone()),
                    ];
                    let items: Vec<String> = fields
                        .iter()
                        .filter_map(|(k, v)| v.as_ref().map(|v| format!(r#""{k}": {v}"#)))
                        .collect();
                    format!("{{{}}}", items.join(", "))
                };
                (text(w), text(pw))
            },
        );
    prop_oneof![1 => Just(None), 6 => entries.prop_map(Some)]
}

fn options(i: usize) -> CompileOptions {
    match i {
        0 => CompileOptions::default(),
        1 => CompileOptions::default().with_placeholder(Placeholder::Format),
        _ => CompileOptions::default().with_limits(Limits::default().with_max_depth(3)),
    }
}

type Request = (usize, usize, usize, Option<(String, String)>);

fn request() -> impl Strategy<Value = Request> {
    let operation =
        prop_oneof![6 => Just(0usize), 2 => Just(1), 2 => Just(2), 1 => Just(3), 1 => Just(4)];
    let options = prop_oneof![3 => Just(0usize), 1 => Just(1), 1 => Just(2)];
    (0..DOCS.len(), operation, options, variables())
}

fn run(schema: &GraphqlSchema, r: &Request) -> Result<CompiledRequest, GraphqlErrors> {
    let (doc, op, opts, vars) = r;
    let vars = vars.as_ref().map(|(user, post)| {
        let text = if *doc == 3 { post } else { user };
        qb_core::json::parse_value(text).expect("variables JSON")
    });
    qb_graphql::compile(
        DOCS[*doc],
        vars.as_ref(),
        OPERATIONS[*op],
        schema,
        &options(*opts),
    )
}

#[test]
fn cached_compiles_equal_uncached_compiles() {
    let uncached = GraphqlSchema::new(registry())
        .expect("schema")
        .with_cache_capacity(0);
    let cached = GraphqlSchema::new(registry()).expect("schema");
    let lowered = GraphqlSchema::new(registry()).expect("schema");
    lowered.cache().set_bound_hits(false);
    let tiny = GraphqlSchema::new(registry())
        .expect("schema")
        .with_cache_capacity(2);
    let mut runner = TestRunner::new(Config {
        cases: 300,
        ..Config::default()
    });
    let (ok, err) = (std::cell::Cell::new(0usize), std::cell::Cell::new(0usize));
    let codes = std::cell::RefCell::new(std::collections::BTreeSet::new());
    runner
        .run(&prop::collection::vec(request(), 1..12), |requests| {
            for r in &requests {
                let expected = run(&uncached, r);
                match &expected {
                    Ok(_) => ok.set(ok.get() + 1),
                    Err(e) => {
                        err.set(err.get() + 1);
                        codes.borrow_mut().insert(e.first().code());
                    }
                }
                prop_assert_eq!(&run(&cached, r), &expected, "request {:?}", r);
                prop_assert_eq!(&run(&lowered, r), &expected, "request {:?} (lowered)", r);
                prop_assert_eq!(&run(&tiny, r), &expected, "request {:?} (tiny cache)", r);
                // Again: now certainly a hit (bound when the fingerprint binds).
                prop_assert_eq!(&run(&cached, r), &expected, "request {:?} (again)", r);
            }
            Ok(())
        })
        .expect("cached == uncached");
    // The mix has both outcomes, and the caches were used.
    let (ok, err) = (ok.get(), err.get());
    assert!(ok > 100 && err > 100, "ok {ok}, errors {err}");
    let codes = codes.into_inner();
    for code in ["QB_GRAPHQL_INVALID", "QB_INVALID_VALUE", "QB_DEPTH_LIMIT"] {
        assert!(codes.contains(code), "no {code} in {codes:?}");
    }
    let s = cached.cache_stats();
    assert!(s.hits > 1000 && s.misses > 0, "{s:?}");
    // Many hits were bound; others (errors, fingerprints that do not bind) were lowered.
    assert!(s.bound > 100 && s.bound < s.hits, "{s:?}");
    assert!(s.templates > 0 && s.templates <= s.capacity, "{s:?}");
    let l = lowered.cache_stats();
    assert_eq!((l.bound, l.templates), (0, 0), "{l:?}");
    assert!(l.shapes.hits > 0, "{l:?}");
    assert!(s.shapes.hits > 0 && s.shapes.misses > 0, "{s:?}");
    assert!(s.len <= s.capacity);
    let t = tiny.cache_stats();
    assert!(t.evictions > 0 && t.len <= 2, "{t:?}");
    assert_eq!(
        uncached.cache_stats().hits + uncached.cache_stats().misses,
        0
    );
}

#[test]
fn a_hit_never_returns_another_requests_sql() {
    let schema = GraphqlSchema::new(registry()).expect("schema");
    let uncached = GraphqlSchema::new(registry())
        .expect("schema")
        .with_cache_capacity(0);
    let doc = DOCS[0];
    let vars = [
        r#"{"skip": false, "w": {"age": {"gte": 3}}}"#,
        r#"{"skip": true, "w": {"email": {"eq": "a@b"}}, "n": 5}"#,
        r#"{"skip": false, "w": {"or": [{"age": {"lt": 1}}, {"active": {"eq": true}}]}}"#,
        r#"{"skip": true}"#,
    ];
    let mut sqls = Vec::new();
    for v in vars.iter().chain(vars.iter()) {
        let v = qb_core::json::parse_value(v).expect("json");
        let opts = CompileOptions::default();
        let got = qb_graphql::compile(doc, Some(&v), None, &schema, &opts).expect("compiles");
        let want = qb_graphql::compile(doc, Some(&v), None, &uncached, &opts).expect("compiles");
        assert_eq!(got, want);
        let qb_graphql::RootField::Sql { compiled, .. } = &got.fields[0] else {
            panic!("a SQL field")
        };
        sqls.push(compiled.sql.clone());
    }
    // Four shapes, each seen twice: the document was validated once.
    let distinct: std::collections::HashSet<_> = sqls.iter().collect();
    assert_eq!(distinct.len(), 4);
    let s = schema.cache_stats();
    assert_eq!((s.misses, s.hits, s.len), (1, 7, 1), "{s:?}");
    // The same text under other options is another key.
    let depth = CompileOptions::default().with_limits(Limits::default().with_max_depth(1));
    let v = qb_core::json::parse_value(vars[0]).expect("json");
    let e = qb_graphql::compile(doc, Some(&v), None, &schema, &depth).expect_err("too deep");
    assert_eq!(e.first().code(), "QB_DEPTH_LIMIT");
    assert_eq!(schema.cache_stats().misses, 2);
    schema.cache().clear();
    assert_eq!(schema.cache_stats().len, 0);
}

#[test]
fn threads_share_one_cache() {
    let schema = Arc::new(GraphqlSchema::new(registry()).expect("schema"));
    let uncached = Arc::new(
        GraphqlSchema::new(registry())
            .expect("schema")
            .with_cache_capacity(0),
    );
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let (schema, uncached) = (Arc::clone(&schema), Arc::clone(&uncached));
            std::thread::spawn(move || {
                for i in 0..50i64 {
                    let v = Value::Object(vec![
                        ("skip".into(), Value::Bool((i + t) % 2 == 0)),
                        ("n".into(), Value::Int(i)),
                    ]);
                    let opts = CompileOptions::default();
                    let got = qb_graphql::compile(DOCS[0], Some(&v), None, &schema, &opts);
                    let want = qb_graphql::compile(DOCS[0], Some(&v), None, &uncached, &opts);
                    assert_eq!(got, want);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    let s = schema.cache_stats();
    assert_eq!(s.hits + s.misses, 200);
    assert_eq!(s.len, 1);
    // Two fingerprints (`skip` true or false), each bound after its trace, across threads.
    // Threads that miss the document at once keep the entry (and id) stored first, so the
    // two fingerprints' templates are the only ones.
    assert!(s.bound > 150, "{s:?}");
    assert_eq!(s.templates, 2, "{s:?}");
}

/// A request twice (its fingerprint seen, then traced), then another on the same schema:
/// whether the last was bound (`true`) or lowered, each result compared with an uncached
/// compile's.
fn bound_after(doc: &str, first: &str, second: &str) -> bool {
    let schema = GraphqlSchema::new(registry()).expect("schema");
    let uncached = GraphqlSchema::new(registry())
        .expect("schema")
        .with_cache_capacity(0);
    let opts = CompileOptions::default();
    let mut bound = 0;
    for (i, v) in [first, first, second].iter().enumerate() {
        let v = qb_core::json::parse_value(v).expect("json");
        let got = qb_graphql::compile(doc, Some(&v), None, &schema, &opts);
        let want = qb_graphql::compile(doc, Some(&v), None, &uncached, &opts);
        assert_eq!(got, want, "{doc} {v:?}");
        if i == 1 {
            bound = schema.cache_stats().bound;
            // Seen, then traced: never bound yet.
            assert_eq!(bound, 0);
        }
    }
    schema.cache_stats().bound > bound
}

#[test]
fn which_hits_are_bound() {
    let list = "query($w: UserWhere, $n: Int) { userList(where: $w, limit: $n) { id } }";
    // Other leaves, same fingerprint: bound.
    assert!(bound_after(
        list,
        r#"{"w": {"age": {"gte": 3}}, "n": 4}"#,
        r#"{"w": {"age": {"gte": 30}}, "n": 1}"#
    ));
    // A leaf that does not coerce (4.0 is not an Int here) is the coercion's error.
    assert!(!bound_after(list, r#"{"n": 4}"#, r#"{"n": 4.0}"#));
    // Another shape (an operator, a key, a null): another fingerprint, lowered once.
    assert!(!bound_after(
        list,
        r#"{"w": {"age": {"gte": 3}}}"#,
        r#"{"w": {"age": {"lt": 3}}}"#
    ));
    assert!(!bound_after(list, r#"{"n": 4}"#, r#"{"n": null}"#));
    // A value that does not bind (not a count, out of Int's range, not a UUID): lowered,
    // so the error is the uncached compile's.
    assert!(!bound_after(list, r#"{"n": 4}"#, r#"{"n": -1}"#));
    assert!(!bound_after(list, r#"{"n": 4}"#, r#"{"n": 4294967296}"#));
    let by_key = "query($id: UUID!) { user(id: $id) { id } }";
    assert!(bound_after(
        by_key,
        r#"{"id": "11111111-0000-0000-0000-000000000001"}"#,
        r#"{"id": "11111111-0000-0000-0000-000000000002"}"#
    ));
    assert!(!bound_after(
        by_key,
        r#"{"id": "11111111-0000-0000-0000-000000000001"}"#,
        r#"{"id": "nope"}"#
    ));
    // One variable in two operands, beside a literal: bound, both filled.
    let twice = "query($n: Int) { userList(limit: $n, where: {age: {in: [1, $n]}}) { id } }";
    assert!(bound_after(twice, r#"{"n": 2}"#, r#"{"n": 5}"#));
    // A single value coerced to a list, and a list of strings: bound per list length.
    let names = "query($v: [String!]) { userList(where: {name: {in: $v}}) { id } }";
    assert!(bound_after(names, r#"{"v": "a"}"#, r#"{"v": "b"}"#));
    assert!(bound_after(
        names,
        r#"{"v": ["a", "b"]}"#,
        r#"{"v": ["c", "d"]}"#
    ));
    assert!(!bound_after(
        names,
        r#"{"v": ["a"]}"#,
        r#"{"v": ["c", "d"]}"#
    ));
    // A leaf that went into no operand (its field skipped, a variable not used) must be
    // equal: another value is lowered.
    let skipped = "query($n: Int, $s: Boolean!) {
        postList(limit: 2) { id comments(limit: $n) @skip(if: $s) { id } } }";
    assert!(bound_after(
        skipped,
        r#"{"n": 1, "s": false}"#,
        r#"{"n": 2, "s": false}"#
    ));
    assert!(!bound_after(
        skipped,
        r#"{"n": 1, "s": true}"#,
        r#"{"n": 2, "s": true}"#
    ));
    assert!(bound_after(
        skipped,
        r#"{"n": 1, "s": true}"#,
        r#"{"n": 1, "s": true}"#
    ));
    // Defaults are the document's values; a custom scalar's object is kept in full.
    let defaults = r#"query($e: String = "a@b", $s: Decimal) {
        userList(where: {email: {eq: $e}, score: {gte: $s}}) { id } }"#;
    assert!(bound_after(defaults, r#"{"s": 1.5}"#, r#"{"s": 2.25}"#));
    assert!(bound_after(defaults, r#"{"s": "1.5"}"#, r#"{"s": "2"}"#));
    assert!(!bound_after(defaults, r#"{"s": 1.5}"#, r#"{"s": "2"}"#));
    // A leaf equal to its own marker could not be told from a document value: that
    // fingerprint is always lowered.
    let age = "query($a: Int) { userList(where: {age: {gte: $a}}) { id } }";
    assert!(!bound_after(age, r#"{"a": 1500000000}"#, r#"{"a": 3}"#));
    // An input object's Float leaves in one operand (an object with holes).
    let geo = "query($r: GeoRadius) {
        userList(where: {location: {distance_within: $r}}) { id } }";
    assert!(bound_after(
        geo,
        r#"{"r": {"lat": 1.5, "lng": 2.5, "meters": 100}}"#,
        r#"{"r": {"lat": -3.25, "lng": 40.5, "meters": 7}}"#
    ));
    // A connection: the count is bound; root `__typename` is a constant.
    let conn = "query($n: Int) { __typename userConnection(first: $n, orderBy: [{age: ASC}]) {
        edges { cursor node { id } } pageInfo { hasNextPage } totalCount } }";
    assert!(bound_after(conn, r#"{"n": 2}"#, r#"{"n": 9}"#));
    assert!(!bound_after(conn, r#"{"n": 2}"#, r#"{"n": -9}"#));
}

/// GraphQL's Float is finite: a host's NaN or infinity is a variable error, on a miss and
/// on a hit whose fingerprint was bound with finite values.
#[test]
fn a_float_variable_is_finite() {
    let schema = GraphqlSchema::new(registry()).expect("schema");
    let doc = "query($r: GeoRadius) { userList(where: {location: {distance_within: $r}}) { id } }";
    let radius = |lat: f64| {
        Value::Object(vec![(
            "r".into(),
            Value::Object(vec![
                ("lat".into(), Value::Float(lat)),
                ("lng".into(), Value::Float(2.5)),
                ("meters".into(), Value::Float(100.0)),
            ]),
        )])
    };
    let opts = CompileOptions::default();
    for lat in [1.5, 1.5, 1.5, f64::NAN, f64::INFINITY, 2.5] {
        let got = qb_graphql::compile(doc, Some(&radius(lat)), None, &schema, &opts);
        if lat.is_finite() {
            got.expect("compiles");
        } else {
            let e = got.expect_err("not a Float");
            assert_eq!(e.first().code(), "QB_GRAPHQL_INVALID");
            assert!(e.first().message.contains("$r.lat"), "{e:?}");
        }
    }
    assert_eq!(schema.cache_stats().bound, 2);
}
