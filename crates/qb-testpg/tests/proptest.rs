//! Property tests over the fixture registry and the fixture database.
//!
//! 1. Random well-typed queries on `v_user` compile, parse with PostgreSQL's parser
//!    (libpg_query) with placeholders `$1..$n` matching the params, and execute.
//! 2. Random ill-typed queries are an error with a `QB_` code and a non-empty path.
//! 3. Random filters (and/or/not over comparisons, in/nin, isnull, contains/startswith,
//!    boolean eq) return the ids a reference evaluator with SQL's three-valued logic
//!    computes over the same rows (`SELECT id, data FROM users`).
//!
//! Case counts (`CASES_*`) keep the file well under a minute; `PROPTEST_CASES` overrides
//! them all.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use qb_core::{CompileOptions, Placeholder, Query, Value};
use qb_testpg::golden::{self, placeholder_count};
use qb_testpg::{client, query_json};
use serde_json::Value as Json;

mod common;
use common::{and3, config, or3};

const CASES_WELL_TYPED: u32 = 300;
const CASES_ILL_TYPED: u32 = 500;
const CASES_SEMANTICS: u32 = 300;

// ---------------------------------------------------------------- value helpers

fn s(x: &str) -> Value {
    Value::Str(x.to_owned())
}
fn obj(kv: Vec<(&str, Value)>) -> Value {
    Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
/// `{"a": {"b": leaf}}` from the path `a.b`.
fn nest(path: &str, leaf: Value) -> Value {
    let mut v = leaf;
    for seg in path.rsplit('.') {
        v = Value::Object(vec![(seg.to_owned(), v)]);
    }
    v
}
fn cond(path: &str, op: &str, operand: Value) -> Value {
    nest(path, obj(vec![(op, operand)]))
}

/// Checks a compiled statement with libpg_query: one statement, placeholders `$1..$n`.
fn assert_parses(sql: &str, n_params: usize) -> Result<(), TestCaseError> {
    let parsed = pg_query::parse(sql, 0)
        .map_err(|e| TestCaseError::fail(format!("libpg_query: {e}\n{sql}")))?;
    prop_assert_eq!(parsed.protobuf.stmts.len(), 1);
    // PostgreSQL's own scanner finds every `$n` token (outside literals and comments).
    let scanned = pg_query::scan(sql).map_err(|e| TestCaseError::fail(format!("scan: {e}")))?;
    let mut seen = std::collections::BTreeSet::new();
    for t in &scanned.tokens {
        if t.token == pg_query::protobuf::Token::Param as i32 {
            let n: usize = sql[t.start as usize + 1..t.end as usize]
                .parse()
                .unwrap_or(0);
            seen.insert(n);
        }
    }
    let expected: std::collections::BTreeSet<usize> = (1..=n_params).collect();
    prop_assert_eq!(seen, expected, "placeholders vs params\n{}", sql);
    prop_assert_eq!(placeholder_count(sql, Placeholder::Numbered), n_params);
    Ok(())
}

// ---------------------------------------------------------------- well-typed generator

fn text_s() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 @._%\\\\'\"-]{0,12}",
        "\\PC{0,8}".prop_map(|x| x.replace('\0', "")),
        Just("Paris".to_owned()),
        Just("50%".to_owned()),
    ]
}
fn date_s() -> impl Strategy<Value = String> {
    (1900i32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}
fn ts_s() -> impl Strategy<Value = String> {
    (
        date_s(),
        0u32..24,
        0u32..60,
        prop::sample::select(vec!["Z", "+02:00", "-05:30", ".123456Z"]),
    )
        .prop_map(|(d, h, m, z)| format!("{d}T{h:02}:{m:02}:00{z}"))
}
fn uuid_s() -> impl Strategy<Value = String> {
    any::<u128>().prop_map(|n| {
        let h = format!("{n:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    })
}
fn ipv4_s() -> impl Strategy<Value = String> {
    any::<[u8; 4]>().prop_map(|b| format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]))
}
fn ltree_s() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z][a-z0-9_]{0,5}", 1..5).prop_map(|v| v.join("."))
}
fn list<T: Strategy>(t: T) -> impl Strategy<Value = Vec<T::Value>> {
    prop::collection::vec(t, 0..5)
}
fn num_v() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        (-1.0e12f64..1.0e12).prop_map(Value::Float),
        (-200i32..200).prop_map(|h| Value::Float(f64::from(h) / 4.0)),
    ]
}
fn strs(v: Vec<String>) -> Value {
    Value::List(v.into_iter().map(Value::Str).collect())
}

const CMP: &[&str] = &["eq", "neq", "gt", "gte", "lt", "lte"];

/// One well-typed condition on a `v_user` field.
fn well_typed_cond() -> BoxedStrategy<Value> {
    let text_fields = prop::sample::select(vec![
        "email",
        "name",
        "nickName",
        "bio",
        "profile.city",
        "profile.zip",
        "profile.address.street",
    ]);
    let text_ops = prop::sample::select(vec![
        "eq",
        "neq",
        "gt",
        "lt",
        "contains",
        "startswith",
        "endswith",
        "icontains",
        "istartswith",
        "iendswith",
        "like",
        "ilike",
    ]);
    prop_oneof![
        (text_fields.clone(), text_ops, text_s()).prop_map(|(f, o, mut v)| {
            // A LIKE pattern ending in a lone escape is refused (QB_INVALID_VALUE), so a
            // well-typed one escapes its trailing backslash.
            if matches!(o, "like" | "ilike")
                && v.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
            {
                v.push('\\');
            }
            cond(f, o, Value::Str(v))
        }),
        (
            text_fields,
            prop::sample::select(vec!["in", "nin"]),
            list(text_s())
        )
            .prop_map(|(f, o, v)| cond(f, o, strs(v))),
        (prop::sample::select(CMP), num_v()).prop_map(|(o, v)| cond("score", o, v)),
        (prop::sample::select(CMP), any::<i64>()).prop_map(|(o, v)| cond("age", o, Value::Int(v))),
        (prop::sample::select(vec!["in", "nin"]), list(any::<i32>())).prop_map(|(o, v)| cond(
            "age",
            o,
            Value::List(v.into_iter().map(|i| Value::Int(i.into())).collect())
        )),
        (prop::sample::select(vec!["eq", "neq"]), any::<bool>()).prop_map(|(o, b)| cond(
            "active",
            o,
            Value::Bool(b)
        )),
        (prop::sample::select(vec!["eq", "neq"]), uuid_s()).prop_map(|(o, u)| cond(
            "managerId",
            o,
            Value::Str(u)
        )),
        (prop::sample::select(vec!["eq", "neq"]), uuid_s()).prop_map(|(o, u)| cond(
            "id",
            o,
            Value::Str(u)
        )),
        (prop::sample::select(CMP), date_s()).prop_map(|(o, d)| cond(
            "birth_date",
            o,
            Value::Str(d)
        )),
        (prop::sample::select(CMP), ts_s()).prop_map(|(o, d)| cond("lastLogin", o, Value::Str(d))),
        (prop::sample::select(CMP), ts_s()).prop_map(|(o, d)| cond("createdAt", o, Value::Str(d))),
        (
            prop::sample::select(vec!["eq", "neq", "lt", "gte"]),
            ipv4_s()
        )
            .prop_map(|(o, d)| cond("ip_address", o, Value::Str(d))),
        (any::<[u8; 2]>(), 0u32..3).prop_map(|(b, k)| {
            let net = match k {
                0 => format!("{}.0.0.0/8", b[0]),
                1 => format!("{}.{}.0.0/16", b[0], b[1]),
                _ => "::/0".to_owned(),
            };
            cond("ipAddress", "inSubnet", Value::Str(net))
        }),
        (
            prop::sample::select(vec![
                "isPrivate",
                "isPublic",
                "isIPv4",
                "isIPv6",
                "isLoopback",
                "isLinkLocal",
                "isMulticast",
                "isDocumentation",
                "isCarrierGrade"
            ]),
            any::<bool>()
        )
            .prop_map(|(o, b)| cond("ip_address", o, Value::Bool(b))),
        (
            prop::sample::select(vec!["eq", "neq", "ancestor_of", "descendant_of"]),
            ltree_s()
        )
            .prop_map(|(o, l)| cond("category_path", o, Value::Str(l))),
        (
            prop::sample::select(vec!["depth_eq", "depth_gt", "depth_lte"]),
            0i64..6
        )
            .prop_map(|(o, n)| cond("category_path", o, Value::Int(n))),
        date_s().prop_map(|d| cond("vacation", "contains_date", Value::Str(d))),
        (date_s(), date_s()).prop_map(|(a, b)| {
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            cond("vacation", "overlaps", Value::Str(format!("[{a},{b})")))
        }),
        (
            prop::sample::select(vec!["contains", "overlaps", "contained_by", "eq"]),
            list("[a-z]{1,5}")
        )
            .prop_map(|(o, v)| cond("tags", o, strs(v))),
        "[a-z]{1,5}".prop_map(|t| cond("tags", "any_eq", Value::Str(t))),
        (
            prop::sample::select(vec!["len_eq", "len_gt", "len_lte"]),
            0i64..4
        )
            .prop_map(|(o, n)| cond("lucky_numbers", o, Value::Int(n))),
        list(any::<i32>()).prop_map(|v| cond(
            "lucky_numbers",
            "contains",
            Value::List(v.into_iter().map(|i| Value::Int(i.into())).collect())
        )),
        "[a-z_]{1,8}".prop_map(|k| cond("metadata", "has_key", Value::Str(k))),
        "[a-z]{1,8}".prop_map(|w| cond("search", "plain_query", Value::Str(w))),
        "[a-z ]{0,12}".prop_map(|w| cond("search", "websearch_query", Value::Str(w))),
        (
            prop::sample::select(vec![
                "age",
                "email",
                "tags",
                "metadata",
                "profile",
                "profile.city",
                "location",
                "vacation",
                "search",
                "manager_id",
                "embedding"
            ]),
            any::<bool>()
        )
            .prop_map(|(f, b)| cond(f, "isnull", Value::Bool(b))),
        (-90.0f64..90.0, -180.0f64..180.0, 0.0f64..1.0e7).prop_map(|(lat, lng, m)| cond(
            "location",
            "distance_within",
            obj(vec![
                ("lat", Value::Float(lat)),
                ("lng", Value::Float(lng)),
                ("meters", Value::Float(m))
            ])
        )),
    ]
    .boxed()
}

fn filter_tree(leaf: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| obj(vec![("and", Value::List(v))])),
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| obj(vec![("or", Value::List(v))])),
            inner.clone().prop_map(|f| obj(vec![("not", f)])),
            // several keys in one object: AND
            (inner.clone(), inner).prop_map(|(a, b)| {
                let (Value::Object(x), Value::Object(y)) = (&a, &b) else {
                    return a;
                };
                let mut x = x.clone();
                for (k, v) in y {
                    if !x.iter().any(|(k2, _)| k2 == k) {
                        x.push((k.clone(), v.clone()));
                    }
                }
                Value::Object(x)
            }),
        ]
    })
}

const SELECTABLE: &[&str] = &[
    "id",
    "tenantId",
    "createdAt",
    "email",
    "name",
    "nickName",
    "age",
    "score",
    "active",
    "managerId",
    "birthDate",
    "lastLogin",
    "ipAddress",
    "network",
    "mac",
    "categoryPath",
    "vacation",
    "search",
    "tags",
    "luckyNumbers",
    "metadata",
    "profile",
    "location",
    "embedding",
    "__typename",
];
const ORDERABLE: &[&str] = &[
    "id",
    "createdAt",
    "email",
    "name",
    "age",
    "score",
    "active",
    "managerId",
    "birthDate",
    "lastLogin",
    "ipAddress",
    "network",
    "mac",
    "categoryPath",
    "vacation",
    "profile.city",
];

/// A query on `v_user` and the view's whole-document threshold (a registry opt-in) to
/// compile it with.
fn well_typed_query() -> impl Strategy<Value = (Value, Option<i64>)> {
    let select = prop::sample::subsequence(SELECTABLE.to_vec(), 1..8);
    let nested = prop::option::of(prop::sample::subsequence(vec!["city", "zip"], 1..3));
    let order = prop::collection::vec(
        (
            prop::sample::select(ORDERABLE.to_vec()),
            prop::sample::select(vec!["asc", "desc"]),
            prop::option::of(prop::sample::select(vec!["first", "last"])),
        ),
        0..3,
    );
    (
        select,
        nested,
        prop::sample::select(vec!["json", "json_text", "columns"]),
        prop::option::of(filter_tree(well_typed_cond())),
        order,
        prop::option::of(0u64..20),
        prop::option::of(0u64..20),
        prop::option::of(0i64..6),
    )
        .prop_map(|(sel, nested, output, filter, order, limit, offset, thr)| {
            let mut items: Vec<Value> = sel
                .into_iter()
                .filter(|f| *f != "profile" || nested.is_none())
                .map(s)
                .collect();
            if let Some(sub) = nested {
                items.push(obj(vec![
                    ("field", s("profile")),
                    ("alias", s("where_")),
                    ("select", Value::List(sub.into_iter().map(s).collect())),
                ]));
            }
            let mut q = vec![
                ("view", s("v_user")),
                ("select", Value::List(items)),
                ("output", s(output)),
            ];
            if let Some(f) = filter {
                q.push(("where", f));
            }
            // Keys must be distinct: ORDER BY the same key twice is allowed but pointless.
            let mut seen = Vec::new();
            let keys: Vec<Value> = order
                .into_iter()
                .filter(|(f, _, _)| {
                    let new = !seen.contains(f);
                    seen.push(*f);
                    new
                })
                .map(|(f, d, n)| {
                    let mut kv = vec![("field", s(f)), ("direction", s(d))];
                    if let Some(n) = n {
                        kv.push(("nulls", s(n)));
                    }
                    obj(kv)
                })
                .collect();
            if !keys.is_empty() {
                q.push(("order_by", Value::List(keys)));
            }
            if let Some(l) = limit {
                q.push(("limit", Value::Int(l as i64)));
            }
            if let Some(o) = offset {
                q.push(("offset", Value::Int(o as i64)));
            }
            (obj(q), thr)
        })
}

fn pg_params(out: &qb_core::CompiledQuery) -> Vec<Option<String>> {
    out.params.iter().map(|p| Some(p.to_pg_text())).collect()
}

#[test]
fn well_typed_queries_parse_and_execute() {
    let fixture = golden::fixture_schema();
    // The fixture with v_user's whole-document threshold at 0..6 (a registry opt-in).
    let with_threshold: Vec<qb_core::Schema> = (0..6)
        .map(|t| {
            let mut s = fixture.clone();
            let view = s.view("v_user").cloned().expect("v_user");
            s.add_view(view.document_threshold(Some(t)))
                .expect("valid view");
            s
        })
        .collect();
    let pg = RefCell::new(client());
    let mut runner = TestRunner::new(config(CASES_WELL_TYPED));
    runner
        .run(&well_typed_query(), |(v, thr)| {
            let schema = match thr {
                Some(t) => &with_threshold[t as usize],
                None => &fixture,
            };
            let q = Query::from_value(&v)
                .map_err(|e| TestCaseError::fail(format!("{e} in {}", v.to_json())))?;
            for opts in [CompileOptions::default(), CompileOptions::format()] {
                let out = qb_core::compile(&q, schema, &opts).map_err(|e| {
                    TestCaseError::fail(format!(
                        "{}: {} at {} in {}",
                        e.code(),
                        e.message(),
                        e.path(),
                        v.to_json()
                    ))
                })?;
                let sql = golden::format_to_numbered(&out.sql);
                assert_parses(&sql, out.params.len())?;
                if opts.placeholder == Placeholder::Numbered {
                    query_json(&mut pg.borrow_mut(), &sql, &pg_params(&out)).map_err(|e| {
                        TestCaseError::fail(format!(
                            "PostgreSQL: {e:?}\n{sql}\n{:?}\n{}",
                            out.params,
                            v.to_json()
                        ))
                    })?;
                }
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------- ill-typed

fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        "\\PC{0,6}".prop_map(Value::Str),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::List),
            prop::collection::vec(("[a-z]{1,4}", inner), 0..3).prop_map(Value::Object),
        ]
    })
}

/// Queries that are wrong by construction, each with the error code family it must give.
fn ill_typed_query() -> impl Strategy<Value = Value> {
    let not_int = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        "[a-z]{0,5}".prop_map(Value::Str),
        Just(Value::List(vec![])),
        Just(Value::Object(vec![])),
    ];
    let bad_where = prop_oneof![
        // unknown field on a strict view
        ("zz[a-z]{0,6}", any_value()).prop_map(|(f, v)| cond(&f, "eq", v)),
        ("[a-z]{1,5}", any_value()).prop_map(|(f, v)| cond(&format!("profile.zz{f}"), "eq", v)),
        // unknown operator with a non-object operand
        ("qq[a-zA-Z_]{0,8}", any::<i64>()).prop_map(|(op, n)| cond("age", &op, Value::Int(n))),
        // operators that do not apply to booleans
        (
            prop::sample::select(vec![
                "startswith",
                "icontains",
                "like",
                "len_gt",
                "has_key",
                "inSubnet",
                "ancestor_of",
                "depth_eq",
                "contains_date",
                "cosine_distance",
                "distance_within",
                "plain_query",
                "rank_gt",
                "matches_lquery",
                "isPrivate"
            ]),
            any_value()
        )
            .prop_map(|(op, v)| cond("active", op, v)),
        // wrong operand types
        (prop::sample::select(CMP), not_int).prop_map(|(op, v)| cond("age", op, v)),
        (
            prop::sample::select(vec!["in", "nin"]),
            prop_oneof![
                any::<i64>().prop_map(Value::Int),
                "[a-z]{0,3}".prop_map(Value::Str),
                Just(Value::Null)
            ]
        )
            .prop_map(|(op, v)| cond("age", op, v)),
        "[g-z]{1,8}".prop_map(|u| cond("managerId", "eq", Value::Str(u))),
        (2025i32..9999, 13u32..99).prop_map(|(y, m)| cond(
            "birth_date",
            "eq",
            Value::Str(format!("{y}-{m}-45"))
        )),
        // (`epoch` is a timestamp; every other word is invalid or refused)
        "[a-z]{1,8}"
            .prop_filter("not epoch", |t| t != "epoch")
            .prop_map(|t| cond("lastLogin", "gt", Value::Str(t))),
        (256u32..999).prop_map(|o| cond("ip_address", "eq", Value::Str(format!("{o}.1.1.1")))),
        prop_oneof![Just(Value::Int(1)), Just(s("maybe")), Just(Value::Null)]
            .prop_map(|v| cond("active", "eq", v)),
        any::<i64>().prop_map(|n| cond("tags", "contains", Value::Int(n))),
        any_value()
            .prop_filter("not bool", |v| !matches!(v, Value::Bool(_)))
            .prop_map(|v| cond("age", "isnull", v)),
        any_value()
            .prop_filter("not object/list", |v| !matches!(
                v,
                Value::Object(_) | Value::List(_)
            ))
            .prop_map(|v| obj(vec![("and", v)])),
    ];
    let base = |extra: Vec<(&'static str, Value)>| {
        let mut q = vec![
            ("view", s("v_user")),
            ("select", Value::List(vec![s("id")])),
        ];
        q.extend(extra);
        obj(q)
    };
    prop_oneof![
        4 => bad_where.prop_map(move |w| base(vec![("where", w)])),
        1 => "zz[a-z]{0,6}".prop_map(|f| obj(vec![("view", s("v_user")), ("select", Value::List(vec![s(&f)]))])),
        1 => "[0-9 .;'\"-][a-z]{0,4}".prop_map(|a| obj(vec![("view", s("v_user")), ("select", Value::List(vec![obj(vec![("field", s("id")), ("alias", s(&a))])]))])),
        1 => "[a-z]{0,5}".prop_filter("not a direction", |d| !["asc", "desc"].contains(&d.as_str()))
            .prop_map(|d| obj(vec![("view", s("v_user")), ("select", Value::List(vec![s("id")])), ("order_by", Value::List(vec![obj(vec![("field", s("age")), ("direction", s(&d))])]))])),
        1 => prop_oneof![(i64::MIN..0).prop_map(Value::Int), "[a-z]{0,3}".prop_map(Value::Str), Just(Value::Float(1.5))]
            .prop_map(|l| obj(vec![("view", s("v_user")), ("select", Value::List(vec![s("id")])), ("limit", l)])),
        1 => prop::sample::select(vec!["search", "location", "embedding"]).prop_map(|f| obj(vec![("view", s("v_user")), ("select", Value::List(vec![s("id")])), ("order_by", Value::List(vec![s(f)]))])),
    ]
}

#[test]
fn ill_typed_queries_are_errors_with_code_and_path() {
    let schema = golden::fixture_schema();
    let mut runner = TestRunner::new(config(CASES_ILL_TYPED));
    runner
        .run(&ill_typed_query(), |v| {
            let r = Query::from_value(&v)
                .and_then(|q| qb_core::compile(&q, &schema, &CompileOptions::default()));
            match r {
                Ok(out) => Err(TestCaseError::fail(format!(
                    "compiled: {}\n{}",
                    v.to_json(),
                    out.sql
                ))),
                Err(e) => {
                    prop_assert!(e.code().starts_with("QB_"), "code {}", e.code());
                    prop_assert!(
                        !e.path().is_empty(),
                        "empty path for {} ({}) in {}",
                        e.code(),
                        e.message(),
                        v.to_json()
                    );
                    prop_assert!(!e.message().is_empty());
                    Ok(())
                }
            }
        })
        .unwrap();
}

/// Fully random documents under `where`: never a panic; an error always has a code.
#[test]
fn random_filters_never_panic() {
    let schema = golden::fixture_schema();
    let fields = prop::sample::select(vec![
        "age",
        "email",
        "active",
        "tags",
        "metadata",
        "profile",
        "location",
        "vacation",
        "ip_address",
        "category_path",
        "search",
        "embedding",
        "id",
        "nope",
    ]);
    let ops = prop::sample::select(
        qb_core::Operator::ALL
            .iter()
            .map(|o| o.name())
            .collect::<Vec<_>>(),
    );
    let mut runner = TestRunner::new(config(CASES_ILL_TYPED));
    runner
        .run(&(fields, ops, any_value()), |(f, op, v)| {
            let doc = obj(vec![
                ("view", s("v_user")),
                ("select", Value::List(vec![s("id")])),
                ("where", cond(f, op, v)),
            ]);
            match Query::from_value(&doc)
                .and_then(|q| qb_core::compile(&q, &schema, &CompileOptions::default()))
            {
                Ok(out) => assert_parses(&out.sql, out.params.len()),
                Err(e) => {
                    prop_assert!(e.code().starts_with("QB_"));
                    prop_assert!(
                        !e.path().is_empty(),
                        "{} {} {}",
                        e.code(),
                        e.message(),
                        doc.to_json()
                    );
                    Ok(())
                }
            }
        })
        .unwrap();
}

// ---------------------------------------------------------------- semantics

/// A filter the reference evaluator understands.
#[derive(Debug, Clone)]
enum F {
    And(Vec<F>),
    Or(Vec<F>),
    Not(Box<F>),
    Num {
        field: &'static str,
        op: &'static str,
        v: f64,
    },
    NumIn {
        field: &'static str,
        nin: bool,
        v: Vec<f64>,
    },
    Text {
        field: &'static str,
        op: &'static str,
        v: String,
    },
    TextIn {
        field: &'static str,
        nin: bool,
        v: Vec<String>,
    },
    IsNull {
        field: &'static str,
        v: bool,
    },
    Bool {
        v: bool,
    },
}

const NUM_FIELDS: &[&str] = &["age", "score"];
const TEXT_FIELDS: &[&str] = &["name", "email", "nickName", "profile.city"];

fn data_key(field: &str) -> Vec<&'static str> {
    match field {
        "nickName" => vec!["nick_name"],
        "profile.city" => vec!["profile", "city"],
        "age" => vec!["age"],
        "score" => vec!["score"],
        "name" => vec!["name"],
        "email" => vec!["email"],
        "active" => vec!["active"],
        other => panic!("no data key for {other}"),
    }
}

#[allow(clippy::approx_constant)]
fn num_operand() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::sample::select(vec![
            0.0,
            18.0,
            25.0,
            30.0,
            41.0,
            99.0,
            88.5,
            -42.75,
            0.001,
            99.99,
            -0.5,
            1_000_000.0,
            3.141_59, // u12's score (not pi)
            50.0,
            1.5,
            -1.0e12
        ]),
        (-400i32..400).prop_map(|h| f64::from(h) / 4.0),
    ]
}
fn text_operand() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Alice Martin",
            "alice",
            "Alice",
            "ALICE",
            "Bob O'Brien",
            "O'",
            "Paris",
            "Berlin",
            "Tokyo",
            "New York",
            "Montréal",
            "é",
            "田中",
            "🚀",
            "%",
            "_",
            "\\",
            "100%",
            "a_b",
            "ar",
            "in",
            "e",
            "",
            "example.com",
            "@example",
            "BOB@Example.COM",
            "bob",
            "Ali",
            "ali",
            "\"Q\"",
            "Real_",
            "Zoë",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z%_\\\\' ]{0,4}",
    ]
}

/// `age` is an integer field: its operands must be integers.
fn int_if_age(field: &str, v: f64) -> f64 {
    if field == "age" { v.trunc() } else { v }
}

fn leaf_f() -> BoxedStrategy<F> {
    let ops = prop::sample::select(vec!["eq", "neq", "gt", "gte", "lt", "lte"]);
    prop_oneof![
        (prop::sample::select(NUM_FIELDS), ops, num_operand()).prop_map(|(field, op, v)| F::Num {
            field,
            op,
            v: int_if_age(field, v)
        }),
        (
            prop::sample::select(NUM_FIELDS),
            any::<bool>(),
            prop::collection::vec(num_operand(), 0..4)
        )
            .prop_map(|(field, nin, v)| F::NumIn {
                field,
                nin,
                v: v.into_iter().map(|x| int_if_age(field, x)).collect()
            }),
        (
            prop::sample::select(TEXT_FIELDS),
            prop::sample::select(vec!["eq", "neq", "contains", "startswith"]),
            text_operand()
        )
            .prop_map(|(field, op, v)| F::Text { field, op, v }),
        (
            prop::sample::select(TEXT_FIELDS),
            any::<bool>(),
            prop::collection::vec(text_operand(), 0..4)
        )
            .prop_map(|(field, nin, v)| F::TextIn { field, nin, v }),
        (
            prop::sample::select(vec![
                "age",
                "score",
                "name",
                "email",
                "nickName",
                "profile.city",
                "active"
            ]),
            any::<bool>()
        )
            .prop_map(|(field, v)| F::IsNull { field, v }),
        any::<bool>().prop_map(|v| F::Bool { v }),
    ]
    .boxed()
}

fn filter_f() -> impl Strategy<Value = F> {
    leaf_f().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(F::And),
            prop::collection::vec(inner.clone(), 0..4).prop_map(F::Or),
            inner.prop_map(|f| F::Not(Box::new(f))),
        ]
    })
}

fn num_value(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

fn to_query_filter(f: &F) -> Value {
    match f {
        F::And(v) => obj(vec![(
            "and",
            Value::List(v.iter().map(to_query_filter).collect()),
        )]),
        F::Or(v) => obj(vec![(
            "or",
            Value::List(v.iter().map(to_query_filter).collect()),
        )]),
        F::Not(x) => obj(vec![("not", to_query_filter(x))]),
        F::Num { field, op, v } => cond(field, op, num_value(*v)),
        // `age` is an integer field: in/nin lists of it take integers only.
        F::NumIn { field, nin, v } => cond(
            field,
            if *nin { "nin" } else { "in" },
            Value::List(v.iter().map(|x| num_value(*x)).collect()),
        ),
        F::Text { field, op, v } => cond(field, op, Value::Str(v.clone())),
        F::TextIn { field, nin, v } => {
            cond(field, if *nin { "nin" } else { "in" }, strs(v.clone()))
        }
        F::IsNull { field, v } => cond(field, "isnull", Value::Bool(*v)),
        F::Bool { v } => cond("active", "eq", Value::Bool(*v)),
    }
}

/// `->>` semantics: missing key or JSON null is NULL, a string is itself, anything else
/// its JSON text.
fn text_of(data: &Json, field: &str) -> Option<String> {
    let mut cur = data;
    for k in data_key(field) {
        cur = cur.get(k)?;
    }
    match cur {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The reference evaluator: SQL three-valued logic, NULL = missing or JSON null.
fn eval(f: &F, data: &Json) -> Option<bool> {
    match f {
        F::And(v) => {
            let mut acc = Some(true);
            for x in v {
                acc = and3(acc, eval(x, data));
            }
            acc
        }
        F::Or(v) => {
            let mut acc = Some(false);
            for x in v {
                acc = or3(acc, eval(x, data));
            }
            acc
        }
        F::Not(x) => eval(x, data).map(|b| !b),
        F::Num { field, op, v } => {
            let x: f64 = text_of(data, field)?.parse().ok()?;
            Some(match *op {
                "eq" => x == *v,
                "neq" => x != *v,
                "gt" => x > *v,
                "gte" => x >= *v,
                "lt" => x < *v,
                _ => x <= *v,
            })
        }
        F::NumIn { field, nin, v } => {
            if v.is_empty() {
                // = ANY('{}') is false and <> ALL('{}') true, even for NULL
                return Some(*nin);
            }
            let x: f64 = text_of(data, field)?.parse().ok()?;
            let found = v.contains(&x);
            Some(if *nin { !found } else { found })
        }
        F::Text { field, op, v } => {
            let x = text_of(data, field)?;
            Some(match *op {
                "eq" => x == *v,
                "neq" => x != *v,
                "contains" => x.contains(v.as_str()),
                _ => x.starts_with(v.as_str()),
            })
        }
        F::TextIn { field, nin, v } => {
            if v.is_empty() {
                return Some(*nin);
            }
            let x = text_of(data, field)?;
            let found = v.contains(&x);
            Some(if *nin { !found } else { found })
        }
        F::IsNull { field, v } => Some(text_of(data, field).is_none() == *v),
        F::Bool { v } => {
            let x = text_of(data, "active")?;
            Some((x == "true") == *v)
        }
    }
}

#[test]
fn filters_match_reference_evaluator() {
    let schema = golden::fixture_schema();
    let mut pg = client();
    let rows = query_json(
        &mut pg,
        "SELECT id::text AS id, data FROM users ORDER BY id",
        &[],
    )
    .unwrap();
    let rows: Vec<(String, Json)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), r["data"].clone()))
        .collect();
    assert_eq!(rows.len(), 16);
    let pg = RefCell::new(pg);
    let mut runner = TestRunner::new(config(CASES_SEMANTICS));
    runner
        .run(&filter_f(), |f| {
            let doc = obj(vec![
                ("view", s("v_user")),
                ("select", Value::List(vec![s("id")])),
                ("output", s("columns")),
                ("where", to_query_filter(&f)),
            ]);
            let q = Query::from_value(&doc)
                .map_err(|e| TestCaseError::fail(format!("{e}: {}", doc.to_json())))?;
            let out = qb_core::compile(&q, &schema, &CompileOptions::default()).map_err(|e| {
                TestCaseError::fail(format!("{}: {} {}", e.code(), e.message(), doc.to_json()))
            })?;
            let got = query_json(&mut pg.borrow_mut(), &out.sql, &pg_params(&out))
                .map_err(|e| TestCaseError::fail(format!("{e:?}\n{}", out.sql)))?;
            let mut got: Vec<String> = got
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect();
            got.sort();
            let want: Vec<String> = rows
                .iter()
                .filter(|(_, data)| eval(&f, data) == Some(true))
                .map(|(id, _)| id.clone())
                .collect();
            prop_assert_eq!(
                got,
                want,
                "filter {}\nsql {}\nparams {:?}",
                doc.to_json(),
                out.sql,
                out.params
            );
            Ok(())
        })
        .unwrap();
}
