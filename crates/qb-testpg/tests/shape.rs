//! "SQL text depends on the query's shape only" (ARCHITECTURE.md; docs/query-ast.md, "Output:
//! SQL and parameters"), as a property: two queries that differ only in the values the docs
//! call non-shape (operands that travel as parameters: comparisons, lists of any length,
//! patterns, JSON, dates, addresses, counts, limit and offset) compile to byte-identical SQL
//! with the same parameter types. The documented exceptions, the booleans of `isnull` and of
//! the `is*` network predicates, are part of the shape: they change the SQL.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use qb_core::{CompileOptions, Number, Query, Value, compile};
use qb_testpg::golden;

fn s(x: &str) -> Value {
    Value::Str(x.to_owned())
}

fn obj(kv: Vec<(&str, Value)>) -> Value {
    Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn uuid_v() -> BoxedStrategy<Value> {
    any::<u128>()
        .prop_map(|n| {
            let h = format!("{n:032x}");
            s(&format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            ))
        })
        .boxed()
}

fn date_v() -> BoxedStrategy<Value> {
    (1i32..9999, 1u32..13, 1u32..29)
        .prop_map(|(y, m, d)| s(&format!("{y:04}-{m:02}-{d:02}")))
        .boxed()
}

fn text_v() -> BoxedStrategy<Value> {
    "[^\\\\\u{0}]{0,12}".prop_map(|t| s(&t)).boxed()
}

fn int_v() -> BoxedStrategy<Value> {
    any::<i64>().prop_map(Value::Int).boxed()
}

fn num_v() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        (-1.0e12f64..1.0e12).prop_map(Value::Float),
        ("-?[1-9][0-9]{0,30}\\.[0-9]{1,20}", 0u32..3).prop_map(|(d, e)| {
            let text = if e == 0 { d } else { format!("{d}e{e}") };
            Value::Decimal(Number::new(text).expect("a number"))
        }),
    ]
    .boxed()
}

fn list_of(item: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop::collection::vec(item, 0..6)
        .prop_map(Value::List)
        .boxed()
}

fn json_v() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        int_v(),
        text_v(),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..4).prop_map(|kv| {
                let mut seen = std::collections::BTreeSet::new();
                Value::Object(
                    kv.into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                )
            }),
        ]
    })
    .prop_filter("a JSON operand is not null", |v| !matches!(v, Value::Null))
    .boxed()
}

/// One slot of a query shape: field, operator and the strategy of its non-shape operand.
fn slots() -> Vec<(&'static str, &'static str, BoxedStrategy<Value>)> {
    let ipv4 = any::<[u8; 4]>()
        .prop_map(|b| s(&format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])))
        .boxed();
    let net = any::<[u8; 3]>()
        .prop_map(|b| s(&format!("{}.{}.{}.0/24", b[0], b[1], b[2])))
        .boxed();
    let ts = (date_v(), 0u32..24, 0u32..60)
        .prop_map(|(d, h, m)| {
            s(&format!(
                "{}T{h:02}:{m:02}:00Z",
                d.as_str().unwrap_or_default()
            ))
        })
        .boxed();
    let ltree = prop::collection::vec("[a-z][a-z0-9_]{0,5}", 1..4)
        .prop_map(|v| s(&v.join(".")))
        .boxed();
    let count = (0i64..1000).prop_map(Value::Int).boxed();
    vec![
        ("age", "eq", int_v()),
        ("age", "gte", int_v()),
        ("age", "in", list_of(int_v())),
        ("age", "nin", list_of(int_v())),
        ("score", "lt", num_v()),
        ("score", "in", list_of(num_v())),
        ("name", "eq", text_v()),
        ("name", "icontains", text_v()),
        ("name", "startswith", text_v()),
        ("name", "like", text_v()),
        ("name", "in", list_of(text_v())),
        ("id", "eq", uuid_v()),
        ("id", "in", list_of(uuid_v())),
        ("birth_date", "gte", date_v()),
        ("last_login", "lt", ts),
        ("ip_address", "eq", ipv4),
        ("ip_address", "in_subnet", net),
        ("active", "eq", any::<bool>().prop_map(Value::Bool).boxed()),
        ("tags", "contains", list_of(text_v())),
        ("tags", "overlaps", list_of(text_v())),
        ("tags", "any_eq", text_v()),
        ("tags", "len_gt", count.clone()),
        ("lucky_numbers", "eq", list_of(int_v())),
        ("metadata", "eq", json_v()),
        ("metadata", "contains", json_v()),
        ("category_path", "descendant_of", ltree),
    ]
}

/// The shape (slot indexes, the `not` around the filter, limit/offset present) and two sets
/// of values for it.
#[allow(clippy::type_complexity)]
fn two_fillings()
-> impl Strategy<Value = (Vec<usize>, bool, bool, (Vec<Value>, Vec<Value>), (u64, u64))> {
    let n = slots().len();
    (
        prop::collection::vec(0..n, 1..6),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(shape, negate, paginate)| {
            let all = slots();
            let values: Vec<BoxedStrategy<Value>> =
                shape.iter().map(|&i| all[i].2.clone()).collect();
            (
                Just(shape),
                Just(negate),
                Just(paginate),
                (values.clone(), values),
                (
                    any::<u32>().prop_map(u64::from),
                    any::<u32>().prop_map(u64::from),
                ),
            )
        })
}

fn query(shape: &[usize], negate: bool, page: Option<u64>, values: Vec<Value>) -> Value {
    let all = slots();
    let conds: Vec<Value> = shape
        .iter()
        .zip(values)
        .map(|(&i, v)| obj(vec![(all[i].0, obj(vec![(all[i].1, v)]))]))
        .collect();
    let mut filter = obj(vec![("and", Value::List(conds))]);
    if negate {
        filter = obj(vec![("not", filter)]);
    }
    let mut q = vec![
        ("view", s("v_user")),
        ("select", Value::List(vec![s("id"), s("name")])),
        ("where", filter),
    ];
    if let Some(n) = page {
        q.push(("limit", Value::Int(i64::try_from(n).unwrap_or(0))));
        q.push(("offset", Value::Int(i64::try_from(n / 2).unwrap_or(0))));
    }
    obj(q)
}

#[test]
fn queries_differing_only_in_non_shape_values_compile_to_the_same_sql() {
    let schema = golden::fixture_schema();
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &two_fillings(),
            |(shape, negate, paginate, (a, b), (la, lb))| {
                let qa = query(&shape, negate, paginate.then_some(la), a);
                let qb = query(&shape, negate, paginate.then_some(lb), b);
                for options in [CompileOptions::default(), CompileOptions::format()] {
                    let ca = Query::from_value(&qa)
                        .and_then(|q| compile(&q, &schema, &options))
                        .map_err(|e| TestCaseError::fail(format!("{e} in {}", qa.to_json())))?;
                    let cb = Query::from_value(&qb)
                        .and_then(|q| compile(&q, &schema, &options))
                        .map_err(|e| TestCaseError::fail(format!("{e} in {}", qb.to_json())))?;
                    prop_assert_eq!(&ca.sql, &cb.sql, "\n{}\n{}", qa.to_json(), qb.to_json());
                    let types = |c: &qb_core::CompiledQuery| {
                        c.params.iter().map(|p| p.ty).collect::<Vec<_>>()
                    };
                    prop_assert_eq!(types(&ca), types(&cb));
                }
                Ok(())
            },
        )
        .expect("equal shapes compile to the same SQL");
}

/// The documented exceptions: these booleans are shape, not values.
#[test]
fn isnull_and_network_predicate_booleans_are_shape() {
    let schema = golden::fixture_schema();
    let sql = |field: &str, op: &str, b: bool| {
        let q = query_with(field, op, Value::Bool(b));
        compile(
            &Query::from_value(&q).expect("query"),
            &schema,
            &CompileOptions::default(),
        )
        .expect("compiles")
        .sql
    };
    for (field, op) in [
        ("name", "isnull"),
        ("ip_address", "is_ipv4"),
        ("ip_address", "is_ipv6"),
        ("ip_address", "is_private"),
        ("ip_address", "is_public"),
        ("ip_address", "is_loopback"),
    ] {
        assert_ne!(sql(field, op, true), sql(field, op, false), "{field} {op}");
    }
}

fn query_with(field: &str, op: &str, v: Value) -> Value {
    obj(vec![
        ("view", s("v_user")),
        ("select", Value::List(vec![s("id")])),
        ("where", obj(vec![(field, obj(vec![(op, v)]))])),
    ])
}
