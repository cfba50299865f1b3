//! Target (c): `arbitrary` builds well-shaped query documents over the fixture registry
//! (known views, known field paths, real operator names, operands drawn mostly from valid
//! examples of every type), so the fuzzer spends its time in the compiler's deep paths
//! (operator-by-type dispatch, operand validation, grouping, ordering, nesting) rather than
//! in the JSON and shape checks.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use qb_core::{Operator, Value};

const VIEWS: &[(&str, &[&str])] = &[
    (
        "v_user",
        &[
            "id",
            "tenantId",
            "created_at",
            "email",
            "name",
            "nickName",
            "bio",
            "age",
            "score",
            "active",
            "manager_id",
            "birthDate",
            "last_login",
            "ip_address",
            "network",
            "mac",
            "category_path",
            "vacation",
            "search",
            "tags",
            "lucky_numbers",
            "metadata",
            "profile",
            "profile.city",
            "profile.zip",
            "profile.address",
            "profile.address.street",
            "profile.address.geo",
            "location",
            "embedding",
            "nope",
            "profile.nope",
        ],
    ),
    ("app.v_user", &["id", "email", "name", "age", "created_at"]),
    (
        "v_post",
        &[
            "id",
            "title",
            "body",
            "author_id",
            "published",
            "views",
            "rating",
            "tags",
            "search",
            "published_on",
            "meta",
        ],
    ),
    (
        "v_comment",
        &[
            "id",
            "created_at",
            "post_id",
            "authorId",
            "body",
            "likes",
            "thread_path",
            "free_key",
            "otherKey",
        ],
    ),
];

/// Operands that are valid for some (operator, type) pair.
fn good_operand(i: u8) -> Value {
    let s = |x: &str| Value::Str(x.to_owned());
    let obj = |kv: Vec<(&str, Value)>| {
        Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    };
    match i % 40 {
        0 => s("Paris"),
        1 => Value::Int(30),
        2 => Value::Float(88.5),
        3 => Value::Bool(true),
        4 => Value::Bool(false),
        5 => s("11111111-0000-0000-0000-000000000001"),
        6 => s("2024-01-01"),
        7 => s("2024-06-01T10:00:00Z"),
        8 => s("192.168.0.0/16"),
        9 => s("10.0.0.5"),
        10 => s("aa:bb:cc:dd:ee:ff"),
        11 => s("top.science"),
        12 => s("*.science.*"),
        13 => s("science & !art"),
        14 => s("[2024-01-01,2024-02-01)"),
        15 => Value::List(vec![s("rust"), s("go")]),
        16 => Value::List(vec![Value::Int(1), Value::Int(2)]),
        17 => Value::List(vec![]),
        18 => obj(vec![("from", s("10.0.0.1")), ("to", s("10.0.0.9"))]),
        19 => obj(vec![
            ("lat", Value::Float(48.85)),
            ("lng", Value::Float(2.35)),
            ("meters", Value::Int(5000)),
        ]),
        20 => obj(vec![
            (
                "vector",
                Value::List(vec![Value::Float(0.1), Value::Float(0.2)]),
            ),
            ("threshold", Value::Float(0.5)),
        ]),
        21 => obj(vec![("vector", s("1010")), ("threshold", Value::Int(2))]),
        22 => obj(vec![("query", s("rust")), ("threshold", Value::Float(0.1))]),
        23 => obj(vec![("query", s("rust & go")), ("language", s("simple"))]),
        24 => s("$.plan ? (@ == \"pro\")"),
        25 => s("$.seats > 10"),
        26 => obj(vec![("plan", s("pro"))]),
        27 => Value::List(vec![s("top.*"), s("*.art")]),
        28 => Value::Decimal(
            qb_core::Number::new("12345678901234567890.123").expect("a number"),
        ),
        29 => Value::Int(2),
        30 => s("50%_off\\"),
        31 => s("^a.*$"),
        32 => Value::List(vec![s("2024-01-01"), s("2024-02-01")]),
        33 => Value::List(vec![s("11111111-0000-0000-0000-000000000002")]),
        34 => Value::List(vec![s("10.0.0.1"), s("::1")]),
        35 => s("::1"),
        36 => Value::Int(-1),
        37 => Value::Float(-0.0),
        38 => s(""),
        _ => Value::List(vec![s("plan"), s("trial")]),
    }
}

#[derive(Arbitrary, Debug)]
enum Operand {
    Good(u8),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    List(Vec<Operand>),
    Object(Vec<(u8, Operand)>),
}

const KEYS: &[&str] = &[
    "from",
    "to",
    "lat",
    "lng",
    "meters",
    "vector",
    "threshold",
    "query",
    "language",
    "plan",
];

impl Operand {
    fn to_value(&self) -> Value {
        match self {
            Operand::Good(i) => good_operand(*i),
            Operand::Str(s) => Value::Str(s.clone()),
            Operand::Int(i) => Value::Int(*i),
            Operand::Float(f) if f.is_finite() => Value::Float(*f),
            Operand::Float(_) => Value::Float(0.5),
            Operand::Bool(b) => Value::Bool(*b),
            Operand::Null => Value::Null,
            Operand::List(items) => Value::List(items.iter().map(Operand::to_value).collect()),
            Operand::Object(kv) => Value::Object(
                kv.iter()
                    .map(|(k, v)| (KEYS[*k as usize % KEYS.len()].to_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Cond {
        field: u8,
        op: u8,
        alias: bool,
        value: Operand,
    },
}

#[derive(Arbitrary, Debug)]
enum Sel {
    Field(u8),
    Aliased(u8, u8),
    Nested(u8, Vec<u8>),
    Typename(Option<u8>),
    Agg {
        func: u8,
        field: Option<u8>,
        alias: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Order {
    field: u8,
    direction: Option<bool>,
    nulls: Option<bool>,
    alias: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct Doc {
    view: u8,
    select: Vec<Sel>,
    output: Option<u8>,
    filter: Option<Filter>,
    order: Vec<Order>,
    group: Vec<u8>,
    limit: Option<u32>,
    offset: Option<u32>,
    camel: Option<bool>,
    threshold: Option<u8>,
}

const ALIASES: &[&str] = &["a", "b", "n", "total", "x_1", "__typename", "id"];
const AGGS: &[&str] = &["count", "sum", "avg", "min", "max"];

fn nest(path: &str, leaf: Value) -> (String, Value) {
    let segs: Vec<&str> = path.split('.').collect();
    let mut v = leaf;
    for s in segs[1..].iter().rev() {
        v = Value::Object(vec![((*s).to_owned(), v)]);
    }
    (segs[0].to_owned(), v)
}

fn filter_value(f: &Filter, fields: &[&str]) -> Value {
    match f {
        Filter::And(v) => Value::Object(vec![(
            "and".into(),
            Value::List(v.iter().map(|f| filter_value(f, fields)).collect()),
        )]),
        Filter::Or(v) => Value::Object(vec![(
            "or".into(),
            Value::List(v.iter().map(|f| filter_value(f, fields)).collect()),
        )]),
        Filter::Not(inner) => Value::Object(vec![("not".into(), filter_value(inner, fields))]),
        Filter::Cond {
            field,
            op,
            alias,
            value,
        } => {
            let ops = Operator::ALL;
            let op = ops[*op as usize % ops.len()];
            let name = if *alias && op == Operator::Nin {
                "not_in"
            } else {
                op.name()
            };
            let path = fields[*field as usize % fields.len()];
            let (k, v) = nest(
                path,
                Value::Object(vec![(name.to_owned(), value.to_value())]),
            );
            Value::Object(vec![(k, v)])
        }
    }
}

fn build(doc: &Doc) -> Value {
    let (view, fields) = VIEWS[doc.view as usize % VIEWS.len()];
    let field = |i: u8| fields[i as usize % fields.len()];
    let s = |x: &str| Value::Str(x.to_owned());
    let mut q = vec![("view".to_owned(), s(view))];
    let select: Vec<Value> = doc
        .select
        .iter()
        .map(|sel| match sel {
            Sel::Field(i) => s(field(*i)),
            Sel::Aliased(i, a) => Value::Object(vec![
                ("field".into(), s(field(*i))),
                ("alias".into(), s(ALIASES[*a as usize % ALIASES.len()])),
            ]),
            Sel::Nested(i, subs) => Value::Object(vec![
                ("field".into(), s(field(*i))),
                (
                    "select".into(),
                    Value::List(
                        subs.iter()
                            .map(|j| {
                                let f = field(*j);
                                s(f.rsplit('.').next().unwrap_or(f))
                            })
                            .collect(),
                    ),
                ),
            ]),
            Sel::Typename(None) => s("__typename"),
            Sel::Typename(Some(a)) => Value::Object(vec![
                ("field".into(), s("__typename")),
                ("alias".into(), s(ALIASES[*a as usize % ALIASES.len()])),
            ]),
            Sel::Agg {
                func,
                field: f,
                alias,
            } => {
                let mut kv = vec![("aggregate".to_owned(), s(AGGS[*func as usize % AGGS.len()]))];
                if let Some(f) = f {
                    kv.push(("field".into(), s(field(*f))));
                }
                kv.push(("alias".into(), s(ALIASES[*alias as usize % ALIASES.len()])));
                Value::Object(kv)
            }
        })
        .collect();
    q.push(("select".into(), Value::List(select)));
    if let Some(o) = doc.output {
        q.push((
            "output".into(),
            s(["json", "json_text", "columns"][o as usize % 3]),
        ));
    }
    if let Some(f) = &doc.filter {
        q.push(("where".into(), filter_value(f, fields)));
    }
    if !doc.order.is_empty() {
        let keys = doc
            .order
            .iter()
            .map(|o| {
                let path = match o.alias {
                    Some(a) => ALIASES[a as usize % ALIASES.len()],
                    None => field(o.field),
                };
                let mut kv = vec![("field".to_owned(), s(path))];
                if let Some(d) = o.direction {
                    kv.push(("direction".into(), s(if d { "asc" } else { "DESC" })));
                }
                if let Some(n) = o.nulls {
                    kv.push(("nulls".into(), s(if n { "first" } else { "last" })));
                }
                Value::Object(kv)
            })
            .collect();
        q.push(("order_by".into(), Value::List(keys)));
    }
    if !doc.group.is_empty() {
        q.push((
            "group_by".into(),
            Value::List(doc.group.iter().map(|g| s(field(*g))).collect()),
        ));
    }
    if let Some(l) = doc.limit {
        q.push(("limit".into(), Value::Int(i64::from(l))));
    }
    if let Some(o) = doc.offset {
        q.push(("offset".into(), Value::Int(i64::from(o))));
    }
    if let Some(c) = doc.camel {
        q.push(("camel_case".into(), Value::Bool(c)));
    }
    Value::Object(q)
}

fuzz_target!(|doc: Doc| {
    let value = build(&doc);
    // Whole-document output is the registry's opt-in: the threshold picks a registry.
    let schema = match doc.threshold {
        Some(t) => qb_fuzz::fixture_schema_with_threshold(t % 8),
        None => qb_fuzz::fixture_schema(),
    };
    qb_fuzz::value_and_check(&value, schema);
});
