//! Three-valued logic on NULL fields, on PostgreSQL (docs/query-ast.md, NULL semantics).
//!
//! The promise: a missing key and JSON `null` behave exactly like a SQL NULL column in every
//! operator, and `not` of UNKNOWN stays UNKNOWN. So on a row whose field is NULL, a condition
//! and its negation both select nothing, whatever the operand (empty lists, objects and
//! strings included).
//!
//! For EVERY (field type, operator) pair the compiler accepts, enumerated from the code itself
//! (`ScalarType::ALL`, the array types the registry parser accepts, objects, `Operator::ALL`;
//! a pair is accepted when compiling it is not `QB_OPERATOR_TYPE_MISMATCH`), with edge operands
//! and generated ones, on the four rows of `v_null` (tests/fixtures: the field missing, JSON
//! null, under a missing or JSON-null parent, under an empty parent, JSON null under a
//! parent), through a JSONB field at the root, one under `parent`, and a NULL SQL column:
//! `{"or": [C, {"not": C}]}` selects a row exactly when C is TRUE or FALSE there, so it must
//! select nothing. Exceptions, asserted exactly: `isnull` (TRUE/FALSE by definition), and the
//! documented `in: []` (FALSE, so `not` is TRUE) and `nin: []` (TRUE).
//!
//! A pair with no operand generator below fails the test, so a new operator or type cannot
//! escape it. Pairs that need pgvector (not installable here) are compiled and their SQL is
//! checked to hold no construct that can turn NULL into TRUE/FALSE; they run on PostgreSQL
//! wherever pgvector is installed.
//!
//! `PROPTEST_CASES` sets the number of generated operands per pair and path (default 6).
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use qb_core::{CompileOptions, ErrorKind, Operator, Query, ScalarType, Schema, Value};
use qb_testpg::{client, query_json};
use serde_json::Value as Json;

const CASES_PER_PAIR: u32 = 6;
const ROWS: [&str; 4] = ["json-null", "missing", "parent-empty", "parent-null-keys"];
/// SQL columns of `v_null` are `c_<type>` for these types (the rest need pgvector).
const NO_COLUMN: [ScalarType; 2] = [ScalarType::Vector, ScalarType::Bit];
/// Types whose operators are pgvector's.
const NEEDS_PGVECTOR: [ScalarType; 2] = [ScalarType::Vector, ScalarType::Bit];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Scalar(ScalarType),
    Array(ScalarType),
    Object,
}

impl Kind {
    /// The key of the field in `v_null` (and under `parent`).
    fn key(self) -> String {
        match self {
            Kind::Scalar(s) => s.name().to_owned(),
            Kind::Array(s) => format!("{}_list", s.name()),
            Kind::Object => "object".to_owned(),
        }
    }

    fn registry_type(self) -> Json {
        match self {
            Kind::Scalar(s) => Json::from(s.name()),
            Kind::Array(s) => Json::from(format!("{}[]", s.name())),
            Kind::Object => serde_json::json!({"type": "object", "fields": {"x": "text"}}),
        }
    }
}

/// Every field kind: each scalar type, each array type the registry accepts, an object.
fn kinds() -> Vec<Kind> {
    let mut out: Vec<Kind> = ScalarType::ALL.iter().map(|s| Kind::Scalar(*s)).collect();
    for s in ScalarType::ALL {
        let doc = serde_json::json!({"views": {"v": {"fields": {"f": format!("{}[]", s.name())}}}});
        if Schema::from_json(&doc.to_string()).is_ok() {
            out.push(Kind::Array(*s));
        }
    }
    out.push(Kind::Object);
    out
}

fn registry(kinds: &[Kind]) -> Schema {
    let mut fields = serde_json::Map::new();
    for k in kinds {
        fields.insert(k.key(), k.registry_type());
    }
    let mut root = fields.clone();
    root.insert(
        "parent".into(),
        serde_json::json!({"type": "object", "fields": fields}),
    );
    let mut columns = serde_json::Map::new();
    columns.insert("id".into(), "text".into());
    for s in ScalarType::ALL {
        if !NO_COLUMN.contains(s) {
            columns.insert(format!("c_{}", s.name()), s.name().into());
        }
    }
    let doc = serde_json::json!({"views": {"v_null": {"columns": columns, "fields": root}}});
    Schema::from_json(&doc.to_string()).unwrap()
}

/// `{"a": {"b": leaf}}` for the path `[a, b]`.
fn nest(path: &[String], leaf: Value) -> Value {
    let mut v = leaf;
    for seg in path.iter().rev() {
        v = Value::Object(vec![(seg.clone(), v)]);
    }
    v
}

fn query(where_: Value) -> Value {
    Value::Object(vec![
        ("view".into(), "v_null".into()),
        ("select".into(), Value::List(vec!["id".into()])),
        ("where".into(), where_),
        ("order_by".into(), Value::List(vec!["id".into()])),
    ])
}

fn compile(schema: &Schema, q: &Value) -> Result<qb_core::CompiledQuery, qb_core::Error> {
    Query::from_value(q).and_then(|q| qb_core::compile(&q, schema, &CompileOptions::default()))
}

// ---------------------------------------------------------------- operand generators

fn s(x: &str) -> Value {
    Value::Str(x.to_owned())
}
fn obj(kv: Vec<(&str, Value)>) -> Value {
    Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
fn list_of(items: Vec<Value>) -> Value {
    Value::List(items)
}
fn strings(re: &'static str) -> BoxedStrategy<Value> {
    re.prop_map(Value::Str).boxed()
}
fn pick(values: Vec<Value>) -> BoxedStrategy<Value> {
    prop::sample::select(values).boxed()
}
fn floats() -> BoxedStrategy<Value> {
    (-1.0e3f64..1.0e3).prop_map(Value::Float).boxed()
}
fn counts() -> BoxedStrategy<Value> {
    (0i64..6).prop_map(Value::Int).boxed()
}
fn bools() -> BoxedStrategy<Value> {
    any::<bool>().prop_map(Value::Bool).boxed()
}
fn date_str() -> impl Strategy<Value = String> {
    (1990i32..2030, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}
fn json_values() -> BoxedStrategy<Value> {
    pick(vec![
        obj(vec![]),
        list_of(vec![]),
        obj(vec![("a", Value::Int(1))]),
        obj(vec![("x", s("a"))]),
        list_of(vec![Value::Int(1), s("b")]),
        s(""),
        Value::Int(0),
        Value::Bool(false),
    ])
}
fn lquery() -> BoxedStrategy<Value> {
    pick(vec![
        s("*"),
        s("top.*"),
        s("*.a"),
        s("a|b.*"),
        s("top.science"),
    ])
}

/// A valid operand of scalar type `t`, as a query would write it.
fn scalar_value(t: ScalarType) -> Option<BoxedStrategy<Value>> {
    use ScalarType as S;
    Some(match t {
        S::Text => strings("[a-zA-Z0-9 %_.]{0,6}"),
        S::Integer => any::<i64>().prop_map(Value::Int).boxed(),
        S::Numeric => {
            prop_oneof![floats(), any::<i32>().prop_map(|i| Value::Int(i.into()))].boxed()
        }
        S::Boolean => bools(),
        S::Uuid => any::<u128>()
            .prop_map(|n| {
                let h = format!("{n:032x}");
                Value::Str(format!(
                    "{}-{}-{}-{}-{}",
                    &h[0..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..]
                ))
            })
            .boxed(),
        S::Date => date_str().prop_map(Value::Str).boxed(),
        S::Timestamptz => (
            date_str(),
            0u32..24,
            prop::sample::select(vec!["Z", "+02:00"]),
        )
            .prop_map(|(d, h, z)| Value::Str(format!("{d}T{h:02}:00:00{z}")))
            .boxed(),
        S::Inet => prop_oneof![
            any::<[u8; 4]>()
                .prop_map(|b| Value::Str(format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]))),
            pick(vec![s("::1"), s("fe80::1"), s("10.0.0.0/8")]),
        ]
        .boxed(),
        S::Cidr => pick(vec![
            s("10.0.0.0/8"),
            s("192.168.1.0/24"),
            s("0.0.0.0/0"),
            s("fe80::/10"),
            s("::/0"),
        ]),
        S::Macaddr => any::<[u8; 6]>()
            .prop_map(|b| {
                Value::Str(
                    b.iter()
                        .map(|x| format!("{x:02x}"))
                        .collect::<Vec<_>>()
                        .join(":"),
                )
            })
            .boxed(),
        S::Ltree => prop::collection::vec("[a-z][a-z0-9_]{0,4}", 1..4)
            .prop_map(|v| Value::Str(v.join(".")))
            .boxed(),
        S::Daterange => prop_oneof![
            Just(s("empty")),
            (date_str(), date_str()).prop_map(|(a, b)| {
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                Value::Str(format!("[{lo},{hi}]"))
            }),
        ]
        .boxed(),
        S::Vector => prop::collection::vec(-10.0f64..10.0, 1..4)
            .prop_map(|v| Value::List(v.into_iter().map(Value::Float).collect()))
            .boxed(),
        S::Bit => strings("[01]{1,8}"),
        S::Jsonb => json_values(),
        // Not a comparison operand of any operator.
        S::Tsvector | S::Coordinates => return None,
        _ => return None,
    })
}

/// Lists of 0 to 3 values of `t` (`[]` included).
fn list_value(t: ScalarType) -> Option<BoxedStrategy<Value>> {
    let item = scalar_value(t)?;
    Some(
        prop::collection::vec(item, 0..4)
            .prop_map(Value::List)
            .boxed(),
    )
}

/// Operands tried on every pair first (empty lists, objects and strings where the operator
/// takes them), then generated ones.
struct Operands {
    edges: Vec<Value>,
    random: BoxedStrategy<Value>,
}

fn with_edges(edges: Vec<Value>, random: Option<BoxedStrategy<Value>>) -> Option<Operands> {
    random.map(|random| Operands { edges, random })
}

/// The operands of `op` on a field of kind `k`; `None` when the test does not know how to
/// build one (a failure for a pair the compiler accepts).
fn operands(k: Kind, op: Operator) -> Option<Operands> {
    use Operator as O;
    use ScalarType as S;
    let empty_list = || list_of(vec![]);
    match (k, op) {
        (_, O::IsNull) => with_edges(vec![], Some(bools())),
        // JSONB fields and nested objects.
        (Kind::Scalar(S::Jsonb) | Kind::Object, O::Eq | O::Neq | O::Contains)
        | (Kind::Scalar(S::Jsonb) | Kind::Object, O::ContainedBy | O::StrictlyContains) => {
            with_edges(vec![obj(vec![]), empty_list()], Some(json_values()))
        }
        (Kind::Scalar(S::Jsonb) | Kind::Object, O::HasKey) => {
            with_edges(vec![s("")], Some(strings("[a-z]{1,3}")))
        }
        (Kind::Scalar(S::Jsonb) | Kind::Object, O::HasAnyKeys | O::HasAllKeys) => with_edges(
            vec![empty_list()],
            Some(
                prop::collection::vec("[a-z]{0,3}", 0..3)
                    .prop_map(|v| Value::List(v.into_iter().map(Value::Str).collect()))
                    .boxed(),
            ),
        ),
        (Kind::Scalar(S::Jsonb) | Kind::Object, O::PathExists | O::PathMatch) => with_edges(
            vec![s("$")],
            Some(pick(vec![
                s("$.a"),
                s("$.a ? (@ > 1)"),
                s("$.a == 1"),
                s("$[*]"),
                s("exists($.x)"),
            ])),
        ),
        // Comparison and lists on scalars.
        (Kind::Scalar(t), O::Eq | O::Neq | O::Gt | O::Gte | O::Lt | O::Lte) => {
            with_edges(vec![], scalar_value(t))
        }
        (Kind::Scalar(t), O::In | O::Nin) => with_edges(vec![empty_list()], list_value(t)),
        // Strings.
        (
            Kind::Scalar(S::Text),
            O::Contains
            | O::IContains
            | O::StartsWith
            | O::IStartsWith
            | O::EndsWith
            | O::IEndsWith,
        ) => with_edges(vec![s("")], Some(strings("[a-zA-Z0-9 %_\\\\]{0,6}"))),
        (Kind::Scalar(S::Text), O::Like | O::ILike) => {
            with_edges(vec![s(""), s("%")], Some(strings("[a-zA-Z0-9 %_]{0,6}")))
        }
        (Kind::Scalar(S::Text), O::Matches | O::IMatches | O::NotMatches) => with_edges(
            vec![s("")],
            Some(pick(vec![s("^a"), s("b$"), s("[0-9]+"), s("."), s("x|y")])),
        ),
        // Full text.
        (Kind::Scalar(S::Tsvector), O::Matches) => with_edges(
            vec![],
            Some(pick(vec![
                s("fat & rat"),
                s("cat | dog"),
                s("!cat"),
                s("run:*"),
            ])),
        ),
        (Kind::Scalar(S::Tsvector), O::PlainQuery | O::PhraseQuery | O::WebsearchQuery) => {
            with_edges(
                vec![
                    s(""),
                    obj(vec![("query", s("")), ("language", s("simple"))]),
                ],
                Some(strings("[a-z ]{0,12}")),
            )
        }
        (
            Kind::Scalar(S::Tsvector),
            O::RankGt
            | O::RankGte
            | O::RankLt
            | O::RankLte
            | O::RankCdGt
            | O::RankCdGte
            | O::RankCdLt
            | O::RankCdLte,
        ) => with_edges(
            vec![obj(vec![
                ("query", s("")),
                ("threshold", Value::Float(0.0)),
            ])],
            Some(
                ("[a-z ]{0,12}", -1.0f64..1.0)
                    .prop_map(|(q, t)| {
                        obj(vec![
                            ("query", Value::Str(q)),
                            ("threshold", Value::Float(t)),
                        ])
                    })
                    .boxed(),
            ),
        ),
        // Network.
        (Kind::Scalar(S::Inet | S::Cidr), O::InSubnet) => {
            with_edges(vec![s("0.0.0.0/0")], scalar_value(S::Cidr))
        }
        (Kind::Scalar(S::Inet | S::Cidr), O::InRange) => with_edges(
            vec![],
            Some(
                (scalar_value(S::Inet)?, scalar_value(S::Inet)?)
                    .prop_map(|(a, b)| obj(vec![("from", a), ("to", b)]))
                    .boxed(),
            ),
        ),
        (
            Kind::Scalar(S::Inet | S::Cidr),
            O::IsIPv4
            | O::IsIPv6
            | O::IsPrivate
            | O::IsPublic
            | O::IsLoopback
            | O::IsLinkLocal
            | O::IsMulticast
            | O::IsDocumentation
            | O::IsCarrierGrade,
        ) => with_edges(vec![], Some(bools())),
        // ltree.
        (Kind::Scalar(S::Ltree), O::AncestorOf | O::DescendantOf) => {
            with_edges(vec![], scalar_value(S::Ltree))
        }
        (Kind::Scalar(S::Ltree), O::MatchesLquery) => with_edges(vec![], Some(lquery())),
        (Kind::Scalar(S::Ltree), O::MatchesLtxtquery) => with_edges(
            vec![],
            Some(pick(vec![
                s("a"),
                s("a & b"),
                s("!top"),
                s("science | art"),
            ])),
        ),
        (Kind::Scalar(S::Ltree), O::MatchesAnyLquery) => with_edges(
            vec![empty_list()],
            Some(
                prop::collection::vec(lquery(), 0..3)
                    .prop_map(Value::List)
                    .boxed(),
            ),
        ),
        (
            Kind::Scalar(S::Ltree),
            O::DepthEq | O::DepthNeq | O::DepthGt | O::DepthGte | O::DepthLt | O::DepthLte,
        ) => with_edges(vec![Value::Int(0)], Some(counts())),
        // Date ranges.
        (Kind::Scalar(S::Daterange), O::ContainsDate) => with_edges(vec![], scalar_value(S::Date)),
        (
            Kind::Scalar(S::Daterange),
            O::Overlaps
            | O::Adjacent
            | O::StrictlyLeft
            | O::StrictlyRight
            | O::NotLeft
            | O::NotRight,
        ) => with_edges(vec![s("empty")], scalar_value(S::Daterange)),
        // Vectors and coordinates.
        (
            Kind::Scalar(S::Vector),
            O::CosineDistance | O::L2Distance | O::L1Distance | O::InnerProduct,
        )
        | (Kind::Scalar(S::Bit), O::HammingDistance | O::JaccardDistance) => {
            let Kind::Scalar(t) = k else { return None };
            with_edges(
                vec![],
                Some(
                    (scalar_value(t)?, -2.0f64..2.0)
                        .prop_map(|(v, th)| {
                            obj(vec![("vector", v), ("threshold", Value::Float(th))])
                        })
                        .boxed(),
                ),
            )
        }
        (Kind::Scalar(S::Coordinates), O::DistanceWithin) => with_edges(
            vec![
                obj(vec![
                    ("lat", Value::Int(0)),
                    ("lng", Value::Int(0)),
                    ("meters", Value::Int(0)),
                ]),
                // Farther than any two points on Earth.
                obj(vec![
                    ("lat", Value::Int(0)),
                    ("lng", Value::Int(0)),
                    ("meters", Value::Float(3.0e7)),
                ]),
            ],
            Some(
                (-90.0f64..90.0, -180.0f64..180.0, 0.0f64..3.0e7)
                    .prop_map(|(lat, lng, m)| {
                        obj(vec![
                            ("lat", Value::Float(lat)),
                            ("lng", Value::Float(lng)),
                            ("meters", Value::Float(m)),
                        ])
                    })
                    .boxed(),
            ),
        ),
        // Arrays.
        (Kind::Array(t), O::Eq | O::Neq | O::Contains | O::ContainedBy | O::Overlaps) => {
            with_edges(vec![empty_list()], list_value(t))
        }
        (Kind::Array(t), O::AnyEq | O::AllEq) => with_edges(vec![], scalar_value(t)),
        (Kind::Array(_), O::LenEq | O::LenNeq | O::LenGt | O::LenGte | O::LenLt | O::LenLte) => {
            with_edges(vec![Value::Int(0)], Some(counts()))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------- the check

/// What `{"or": [C, {"not": C}]}` must select on the NULL rows.
fn expected(op: Operator, operand: &Value) -> &'static [&'static str] {
    let empty = matches!(operand, Value::List(l) if l.is_empty());
    match op {
        Operator::IsNull => &ROWS,
        // Documented: `in: []` is FALSE (so its `not` is TRUE), `nin: []` TRUE, on every row.
        Operator::In | Operator::Nin if empty => &ROWS,
        _ => &[],
    }
}

/// SQL constructs that can turn a NULL argument into TRUE or FALSE.
const NON_STRICT: [&str; 9] = [
    "ANY(",
    "ALL(",
    "EXISTS",
    "COALESCE",
    "least(",
    "greatest(",
    " OR ",
    "IS NULL",
    "IS NOT NULL",
];

struct Checker<'a> {
    schema: &'a Schema,
    client: postgres::Client,
    checked: usize,
    structural: BTreeSet<String>,
}

impl Checker<'_> {
    fn check(
        &mut self,
        k: Kind,
        op: Operator,
        path: &[String],
        operand: &Value,
    ) -> Result<(), TestCaseError> {
        let leaf = || Value::Object(vec![(op.name().to_owned(), operand.clone())]);
        let cond = nest(path, leaf());
        let where_ = obj(vec![(
            "or",
            list_of(vec![cond.clone(), obj(vec![("not", cond.clone())])]),
        )]);
        let q = query(where_);
        let out = compile(self.schema, &q).map_err(|e| {
            TestCaseError::fail(format!(
                "{k:?} {}: operand {operand:?} refused: {} at {}: {}",
                op.name(),
                e.code(),
                e.path(),
                e.message()
            ))
        })?;
        let params: Vec<Option<String>> = out.params.iter().map(|p| Some(p.to_pg_text())).collect();
        self.checked += 1;
        match query_json(&mut self.client, &out.sql, &params) {
            Ok(Json::Array(rows)) => {
                let got: Vec<String> = rows.iter().filter_map(qb_testpg::golden::row_id).collect();
                let want = expected(op, operand);
                prop_assert_eq!(
                    &got,
                    &want.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                    "{:?} {} {:?} on {:?}: `C OR NOT C` selected NULL rows\n{}\n{:?}",
                    k,
                    op.name(),
                    operand,
                    path,
                    out.sql,
                    params
                );
                Ok(())
            }
            Ok(other) => Err(TestCaseError::fail(format!("unexpected result {other}"))),
            Err(e) => {
                let needs_pgvector = matches!(k, Kind::Scalar(t) if NEEDS_PGVECTOR.contains(&t));
                let msg = e.to_string();
                let detail = e
                    .as_db_error()
                    .map(|d| d.message().to_owned())
                    .unwrap_or(msg);
                if !(needs_pgvector && detail.contains("does not exist")) {
                    return Err(TestCaseError::fail(format!(
                        "{k:?} {}: PostgreSQL rejected the SQL: {detail}\n{}\n{params:?}",
                        op.name(),
                        out.sql
                    )));
                }
                // No pgvector here: the condition alone must hold no non-strict construct
                // (pgvector's operators are STRICT), unless it is guarded.
                let alone = compile(self.schema, &query(cond)).unwrap();
                let where_sql = alone.sql.split(" WHERE ").nth(1).unwrap_or_default();
                let guarded = where_sql.starts_with("(CASE WHEN ");
                for bad in NON_STRICT {
                    prop_assert!(
                        guarded || !where_sql.contains(bad),
                        "{:?} {}: `{}` in unguarded SQL {}",
                        k,
                        op.name(),
                        bad,
                        where_sql
                    );
                }
                self.structural.insert(format!("{k:?} {}", op.name()));
                Ok(())
            }
        }
    }
}

#[test]
fn null_fields_make_every_condition_unknown() {
    let kinds = kinds();
    let schema = registry(&kinds);
    let mut client = client();

    // The fixture: every field of the registry is a JSON null key in the `json-null` row, and
    // every row is NULL for every path this test uses (checked below with `isnull: true`).
    let row = query_json(
        &mut client,
        "SELECT data FROM public.nulls WHERE id = 'json-null'",
        &[],
    )
    .unwrap();
    let data = &row[0]["data"];
    for k in &kinds {
        assert_eq!(
            data.get(k.key()),
            Some(&Json::Null),
            "tests/fixtures/fixture.sql: row `json-null` of public.nulls needs `\"{}\": null`",
            k.key()
        );
    }

    let checker = RefCell::new(Checker {
        schema: &schema,
        client,
        checked: 0,
        structural: BTreeSet::new(),
    });
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES_PER_PAIR);
    let mut pairs = 0;
    let mut missing = Vec::new();
    let mut failures = Vec::new();
    for &k in &kinds {
        let mut paths = vec![vec![k.key()], vec!["parent".to_owned(), k.key()]];
        if let Kind::Scalar(t) = k {
            if !NO_COLUMN.contains(&t) {
                paths.push(vec![format!("c_{}", t.name())]);
            }
        }
        for &op in Operator::ALL {
            // Accepted? A NULL operand is refused either way, as a type mismatch when the
            // operator does not apply to the type, as an invalid value when it does.
            let probe = query(nest(&paths[0], obj(vec![(op.name(), Value::Null)])));
            match compile(&schema, &probe) {
                Err(e) if e.kind() == ErrorKind::OperatorTypeMismatch => continue,
                Err(e) if e.kind() == ErrorKind::InvalidValue => {}
                other => panic!(
                    "{k:?} {}: probe with a null operand gave {other:?}",
                    op.name()
                ),
            }
            pairs += 1;
            let Some(ops) = operands(k, op) else {
                missing.push(format!("{k:?} {}", op.name()));
                continue;
            };
            for path in &paths {
                // The field is NULL on every row through this path.
                let control = query(nest(path, obj(vec![("isnull", Value::Bool(true))])));
                let sql = compile(&schema, &control).unwrap();
                let rows = query_json(&mut checker.borrow_mut().client, &sql.sql, &[]).unwrap();
                assert_eq!(
                    rows.as_array().map(Vec::len),
                    Some(ROWS.len()),
                    "{path:?} not NULL everywhere"
                );

                for edge in &ops.edges {
                    if let Err(e) = checker.borrow_mut().check(k, op, path, edge) {
                        failures.push(e.to_string());
                    }
                }
                let mut runner = TestRunner::new(Config {
                    cases,
                    failure_persistence: None,
                    ..Config::default()
                });
                if let Err(e) =
                    runner.run(&ops.random, |v| checker.borrow_mut().check(k, op, path, &v))
                {
                    failures.push(e.to_string());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "pairs the compiler accepts with no operand generator here: {missing:?}"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // Sanity: the enumeration found the operator table (docs/query-ast.md lists ~250 pairs).
    assert!(pairs > 200, "only {pairs} accepted pairs");
    let checker = checker.into_inner();
    eprintln!(
        "{pairs} (type, operator) pairs, {} statements checked; without pgvector, checked by shape only: {:?}",
        checker.checked, checker.structural
    );
}
