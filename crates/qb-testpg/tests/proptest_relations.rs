//! Property test of relation filters: random filters that cross relations give the rows a
//! reference evaluator computes, on random related rows.
//!
//! The test owns its world: four temporary tables (`rp_user`, `rp_post`, `rp_comment`,
//! `rp_like`, created in the test's session, so no other test sees them and the golden
//! fixture is untouched) and a registry declaring every relation kind over them: many-to-one
//! (`author`, `manager`, `post`, `user`), one-to-many (`posts`, `reports`, `comments`), many-to-many through
//! a join view that declares a distribution column (`liked`, `likers`) and through one that
//! does not (`commented`), a composite key (`author_likes`), and self-relations.
//!
//! Each case draws rows for every table (on top of a fixed set of edge rows: a NULL key, a
//! dangling key, a key into another tenant, a repeated many-to-many pair, a parent with no
//! children, fields JSON null and missing), loads them, and checks a few random filters
//! rooted at random views. A filter is an and/or/not tree over scalar conditions
//! (three-valued), many-to-one nested filters, `some`/`every`/`none` over list relations and
//! `isnull` on a relation, nested up to three relations deep. The evaluator implements the
//! documented meaning (docs/query-ast.md, Relations) from the rows alone, never from the
//! compiler or its SQL: the related rows of a row are the rows whose join columns equal its
//! own (SQL `=`: a NULL key relates nothing), through the join view for many-to-many, with
//! the distribution columns equal between every two of the joined views that both declare
//! one.
//!
//! A second property selects a random relation with its own random `where`, `order_by`,
//! `limit` and `offset` and checks the nested rows the same way.
//!
//! Cases: `CASES` per property (seconds); `PROPTEST_CASES` overrides it for a long run.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;

use postgres::Client;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use qb_core::{CompileOptions, Query, Schema, Value};
use qb_testpg::{TextParam, client, query_json};
use serde_json::{Value as Json, json};

const CASES: u32 = 150;
/// Filters checked per generated world.
const FILTERS_PER_WORLD: usize = 4;

// ---------------------------------------------------------------- the world

/// A scalar's kind, for the conditions a generator may write on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An `integer` SQL column (a key).
    Column,
    /// An `integer` field of the document.
    Int,
    /// A `numeric` field.
    Num,
    Text,
    Bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RelKind {
    ManyToOne,
    OneToMany,
    ManyToMany,
}

/// A relation as the evaluator reads it: pairs (this view's column, the next view's column).
#[derive(Debug)]
struct Rel {
    name: &'static str,
    target: &'static str,
    kind: RelKind,
    join: &'static [(&'static str, &'static str)],
    /// `(join view, pairs (join view's column, target's column))`.
    through: Option<(&'static str, &'static [(&'static str, &'static str)])>,
}

#[derive(Debug)]
struct ViewDef {
    name: &'static str,
    /// Every column but `tenant`; all `integer`.
    columns: &'static [&'static str],
    /// Whether the registry declares `tenant` as the distribution column (every table has
    /// the column; only these views match it in joins).
    distributed: bool,
    fields: &'static [(&'static str, Kind)],
    rels: &'static [Rel],
}

const fn rel(
    name: &'static str,
    target: &'static str,
    kind: RelKind,
    join: &'static [(&'static str, &'static str)],
) -> Rel {
    Rel {
        name,
        target,
        kind,
        join,
        through: None,
    }
}

use RelKind::{ManyToMany, ManyToOne, OneToMany};

mod common;
use common::{and3, config, or3};

const VIEWS: &[ViewDef] = &[
    ViewDef {
        name: "rp_user",
        columns: &["id", "manager_id"],
        distributed: true,
        fields: &[
            ("name", Kind::Text),
            ("age", Kind::Int),
            ("active", Kind::Bool),
        ],
        rels: &[
            rel("manager", "rp_user", ManyToOne, &[("manager_id", "id")]),
            rel("reports", "rp_user", OneToMany, &[("id", "manager_id")]),
            rel("posts", "rp_post", OneToMany, &[("id", "author_id")]),
            rel("comments", "rp_comment", OneToMany, &[("id", "author_id")]),
            Rel {
                name: "liked",
                target: "rp_post",
                kind: ManyToMany,
                join: &[("id", "user_id")],
                through: Some(("rp_like", &[("post_id", "id")])),
            },
            Rel {
                name: "commented",
                target: "rp_post",
                kind: ManyToMany,
                join: &[("id", "author_id")],
                through: Some(("rp_comment", &[("post_id", "id")])),
            },
        ],
    },
    ViewDef {
        name: "rp_post",
        columns: &["id", "author_id"],
        distributed: true,
        fields: &[("title", Kind::Text), ("stars", Kind::Int)],
        rels: &[
            rel("author", "rp_user", ManyToOne, &[("author_id", "id")]),
            rel("comments", "rp_comment", OneToMany, &[("id", "post_id")]),
            rel("like_rows", "rp_like", OneToMany, &[("id", "post_id")]),
            Rel {
                name: "likers",
                target: "rp_user",
                kind: ManyToMany,
                join: &[("id", "post_id")],
                through: Some(("rp_like", &[("user_id", "id")])),
            },
        ],
    },
    // No distribution column declared: a comment relates across tenants.
    ViewDef {
        name: "rp_comment",
        columns: &["id", "post_id", "author_id"],
        distributed: false,
        fields: &[("body", Kind::Text), ("score", Kind::Num)],
        rels: &[
            rel("post", "rp_post", ManyToOne, &[("post_id", "id")]),
            rel("author", "rp_user", ManyToOne, &[("author_id", "id")]),
            rel(
                "author_likes",
                "rp_like",
                OneToMany,
                &[("post_id", "post_id"), ("author_id", "user_id")],
            ),
        ],
    },
    ViewDef {
        name: "rp_like",
        columns: &["id", "post_id", "user_id"],
        distributed: true,
        fields: &[("reaction", Kind::Text)],
        rels: &[
            rel("post", "rp_post", ManyToOne, &[("post_id", "id")]),
            rel("user", "rp_user", ManyToOne, &[("user_id", "id")]),
        ],
    },
];

fn view(name: &str) -> &'static ViewDef {
    VIEWS.iter().find(|v| v.name == name).unwrap()
}

/// The registry of the world, as a user would write it.
fn registry() -> Schema {
    let mut views = serde_json::Map::new();
    for v in VIEWS {
        let mut columns = serde_json::Map::new();
        for c in v.columns.iter().chain(["tenant"].iter()) {
            columns.insert((*c).to_owned(), json!("integer"));
        }
        let mut fields = serde_json::Map::new();
        for (f, k) in v.fields {
            let ty = match k {
                Kind::Int | Kind::Column => "integer",
                Kind::Num => "numeric",
                Kind::Text => "text",
                Kind::Bool => "boolean",
            };
            fields.insert((*f).to_owned(), json!(ty));
        }
        let pairs = |p: &[(&str, &str)]| -> Json {
            Json::Object(p.iter().map(|(a, b)| ((*a).to_owned(), json!(b))).collect())
        };
        let mut rels = serde_json::Map::new();
        for r in v.rels {
            let kind = match r.kind {
                ManyToOne => "many_to_one",
                OneToMany => "one_to_many",
                ManyToMany => "many_to_many",
            };
            let mut def = json!({"view": r.target, "kind": kind, "join": pairs(r.join)});
            if let Some((through, join)) = r.through {
                def["through"] = json!({"view": through, "join": pairs(join)});
            }
            rels.insert(r.name.to_owned(), def);
        }
        let mut def = json!({
            "columns": columns,
            "primary_key": ["id"],
            "relations": rels,
            "fields": fields,
        });
        if v.distributed {
            def["distribution_column"] = json!("tenant");
        }
        views.insert(v.name.to_owned(), def);
    }
    Schema::from_json(&json!({ "views": views }).to_string()).unwrap()
}

/// One row: its integer columns (`None` is SQL NULL) and its document.
#[derive(Debug, Clone)]
struct Row {
    id: i64,
    tenant: i64,
    keys: Vec<(&'static str, Option<i64>)>,
    data: Json,
}

impl Row {
    fn column(&self, c: &str) -> Option<i64> {
        match c {
            "id" => Some(self.id),
            "tenant" => Some(self.tenant),
            _ => self
                .keys
                .iter()
                .find(|(k, _)| *k == c)
                .and_then(|(_, v)| *v),
        }
    }
}

/// The rows of every view, by view name.
#[derive(Debug, Clone)]
struct World {
    tables: Vec<(&'static str, Vec<Row>)>,
}

impl World {
    fn rows(&self, view: &str) -> &[Row] {
        &self.tables.iter().find(|(v, _)| *v == view).unwrap().1
    }

    /// The rows related to `row` (of `from`) by `rel`: the one function every relation
    /// filter reads its rows from (an embedded list would be a second arm).
    fn related(&self, from: &ViewDef, row: &Row, rel: &Rel) -> Vec<&Row> {
        // SQL `=`: a NULL on either side matches nothing.
        let eq = |a: Option<i64>, b: Option<i64>| matches!((a, b), (Some(x), Some(y)) if x == y);
        let joined = |a: &Row, b: &Row, pairs: &[(&str, &str)]| {
            pairs.iter().all(|(ca, cb)| eq(a.column(ca), b.column(cb)))
        };
        let target = view(rel.target);
        // The distribution columns of two joined views match when both declare one.
        let tenants = |va: &ViewDef, a: &Row, vb: &ViewDef, b: &Row| {
            !(va.distributed && vb.distributed) || a.tenant == b.tenant
        };
        self.rows(rel.target)
            .iter()
            .filter(|t| match rel.through {
                None => joined(row, t, rel.join) && tenants(from, row, target, t),
                Some((through, tjoin)) => {
                    let mid = view(through);
                    tenants(from, row, target, t)
                        && self.rows(through).iter().any(|m| {
                            joined(row, m, rel.join)
                                && joined(m, t, tjoin)
                                && tenants(from, row, mid, m)
                                && tenants(mid, m, target, t)
                        })
                }
            })
            .collect()
    }
}

// ---------------------------------------------------------------- rows

/// A document field's value: missing (`None`) or a JSON value (possibly null).
fn field_value(kind: Kind) -> BoxedStrategy<Option<Json>> {
    let v = match kind {
        Kind::Int | Kind::Column => prop::sample::select(vec![0i64, 1, 2, 3])
            .prop_map(|i| json!(i))
            .boxed(),
        Kind::Num => prop::sample::select(vec![-1.5f64, 0.0, 2.0, 2.5])
            .prop_map(|f| json!(f))
            .boxed(),
        Kind::Text => prop::sample::select(vec!["a", "ab", "b", "", "A", "a%"])
            .prop_map(|s| json!(s))
            .boxed(),
        Kind::Bool => any::<bool>().prop_map(|b| json!(b)).boxed(),
    };
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Json::Null)),
        4 => v.prop_map(Some),
    ]
    .boxed()
}

fn document(kinds: &'static [(&'static str, Kind)]) -> BoxedStrategy<Json> {
    let parts: Vec<BoxedStrategy<Option<Json>>> =
        kinds.iter().map(|(_, k)| field_value(*k)).collect();
    parts
        .prop_map(move |vals| {
            let mut m = serde_json::Map::new();
            for ((name, _), v) in kinds.iter().zip(vals) {
                if let Some(v) = v {
                    m.insert((*name).to_owned(), v);
                }
            }
            Json::Object(m)
        })
        .boxed()
}

/// A key column's value: NULL, an id of a row (edge rows have ids 1..=5, random rows
/// 10..), or dangling (99).
fn key() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        1 => Just(None),
        6 => prop::sample::select(vec![1i64, 2, 3, 4, 5, 10, 11, 12, 13]).prop_map(Some),
        1 => Just(Some(99)),
    ]
}

/// Random rows of `v`: ids 10.., tenants 1 or 2, random keys and documents.
fn random_rows(v: &'static ViewDef) -> BoxedStrategy<Vec<Row>> {
    let keys: Vec<_> = v.columns.iter().filter(|c| **c != "id").copied().collect();
    let n_keys = keys.len();
    prop::collection::vec(
        (
            1i64..=2,
            prop::collection::vec(key(), n_keys..=n_keys),
            document(v.fields),
        ),
        0..5,
    )
    .prop_map(move |rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (tenant, ks, data))| Row {
                id: 10 + i as i64,
                tenant,
                keys: keys.iter().copied().zip(ks).collect(),
                data,
            })
            .collect()
    })
    .boxed()
}

fn edge(id: i64, tenant: i64, keys: &[(&'static str, Option<i64>)], data: Json) -> Row {
    Row {
        id,
        tenant,
        keys: keys.to_vec(),
        data,
    }
}

/// Rows every world holds, each an edge case the evaluator must agree on:
/// - users: u1 has no manager (NULL key); u2 reports to u1; u3 (tenant 2) names u1, a
///   manager in another tenant (relates nothing); u4 names a dangling manager (99) and has
///   no fields; u5 has every field JSON null and no posts, comments or likes.
/// - posts: p1 by u2; p2 with a NULL author; p3 (tenant 2) by u2 (another tenant); p4 by
///   u2 with JSON-null fields; p5 by a dangling author.
/// - comments (no distribution column): c1 on p1 by u1; c2 (tenant 2) on p1 by u3, related
///   across tenants; c3 with NULL post and author; c4 on p1 by u1 with null fields.
/// - likes: l1 and l2 the same pair (p1, u1); l3 (tenant 2) pairs p1 with u3, across
///   tenants; l4 likes a dangling post; l5 has a NULL user; l6 NULL post and user (c3's
///   composite key is NULL too: NULL = NULL relates nothing).
fn edge_rows(v: &str) -> Vec<Row> {
    let n = Json::Null;
    match v {
        "rp_user" => vec![
            edge(
                1,
                1,
                &[("manager_id", None)],
                json!({"name": "a", "age": 1, "active": true}),
            ),
            edge(
                2,
                1,
                &[("manager_id", Some(1))],
                json!({"name": "ab", "age": 2, "active": false}),
            ),
            edge(
                3,
                2,
                &[("manager_id", Some(1))],
                json!({"name": "b", "age": 3}),
            ),
            edge(4, 1, &[("manager_id", Some(99))], json!({})),
            edge(
                5,
                1,
                &[("manager_id", Some(2))],
                json!({"name": n, "age": n, "active": n}),
            ),
        ],
        "rp_post" => vec![
            edge(
                1,
                1,
                &[("author_id", Some(2))],
                json!({"title": "a", "stars": 2}),
            ),
            edge(
                2,
                1,
                &[("author_id", None)],
                json!({"title": "b", "stars": 0}),
            ),
            edge(
                3,
                2,
                &[("author_id", Some(2))],
                json!({"title": "a%", "stars": 3}),
            ),
            edge(
                4,
                1,
                &[("author_id", Some(2))],
                json!({"title": n, "stars": n}),
            ),
            edge(5, 1, &[("author_id", Some(99))], json!({"title": "A"})),
        ],
        "rp_comment" => vec![
            edge(
                1,
                1,
                &[("post_id", Some(1)), ("author_id", Some(1))],
                json!({"body": "a", "score": 2.5}),
            ),
            edge(
                2,
                2,
                &[("post_id", Some(1)), ("author_id", Some(3))],
                json!({"body": "b", "score": -1.5}),
            ),
            edge(
                3,
                1,
                &[("post_id", None), ("author_id", None)],
                json!({"body": "ab", "score": 0}),
            ),
            edge(
                4,
                1,
                &[("post_id", Some(1)), ("author_id", Some(1))],
                json!({"body": n, "score": n}),
            ),
        ],
        "rp_like" => vec![
            edge(
                1,
                1,
                &[("post_id", Some(1)), ("user_id", Some(1))],
                json!({"reaction": "a"}),
            ),
            edge(
                2,
                1,
                &[("post_id", Some(1)), ("user_id", Some(1))],
                json!({"reaction": "b"}),
            ),
            edge(
                3,
                2,
                &[("post_id", Some(1)), ("user_id", Some(3))],
                json!({"reaction": "a"}),
            ),
            edge(
                4,
                1,
                &[("post_id", Some(99)), ("user_id", Some(2))],
                json!({}),
            ),
            edge(
                5,
                1,
                &[("post_id", Some(2)), ("user_id", None)],
                json!({"reaction": n}),
            ),
            edge(
                6,
                1,
                &[("post_id", None), ("user_id", None)],
                json!({"reaction": "ab"}),
            ),
        ],
        _ => unreachable!(),
    }
}

fn world() -> impl Strategy<Value = World> {
    let per_view: Vec<BoxedStrategy<Vec<Row>>> = VIEWS.iter().map(random_rows).collect();
    per_view.prop_map(|random| World {
        tables: VIEWS
            .iter()
            .zip(random)
            .map(|(v, extra)| {
                let mut rows = edge_rows(v.name);
                rows.extend(extra);
                (v.name, rows)
            })
            .collect(),
    })
}

// ---------------------------------------------------------------- filters

/// A scalar operand.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    I(i64),
    F(f64),
    S(String),
}

impl Lit {
    fn to_value(&self) -> Value {
        match self {
            Lit::I(i) => Value::Int(*i),
            Lit::F(f) => Value::Float(*f),
            Lit::S(s) => Value::Str(s.clone()),
        }
    }
}

#[derive(Debug, Clone)]
enum Cond {
    /// eq/neq/gt/gte/lt/lte on a number, eq/neq on text.
    Cmp(&'static str, Lit),
    In(bool, Vec<Lit>),
    /// contains / startswith.
    Like(&'static str, String),
    IsNull(bool),
    BoolEq(bool),
}

/// A filter the evaluator understands, rooted at one view.
#[derive(Debug, Clone)]
enum G {
    And(Vec<G>),
    Or(Vec<G>),
    Not(Box<G>),
    Leaf(&'static str, Cond),
    /// `{"rel": F}` on a many-to-one relation.
    One(&'static str, Box<G>),
    /// `{"rel": {"some" | "every" | "none": F}}` on a list relation.
    Quant(&'static str, &'static str, Box<G>),
    /// `{"rel": {"isnull": b}}`.
    RelNull(&'static str, bool),
}

fn num_lit(kind: Kind) -> BoxedStrategy<Lit> {
    match kind {
        Kind::Num => prop_oneof![
            prop::sample::select(vec![-1.5f64, 0.0, 2.0, 2.5, 1.25]).prop_map(Lit::F),
            (-2i64..5).prop_map(Lit::I),
        ]
        .boxed(),
        _ => (-1i64..5).prop_map(Lit::I).boxed(),
    }
}
fn text_lit() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "ab", "b", "", "A", "a%", "%", "_"]).prop_map(str::to_owned)
}

/// A scalar condition on one of `v`'s fields or columns.
fn leaf(v: &'static ViewDef) -> BoxedStrategy<G> {
    let mut all: Vec<(&'static str, Kind)> = v.fields.to_vec();
    all.extend(v.columns.iter().map(|c| (*c, Kind::Column)));
    prop::sample::select(all)
        .prop_flat_map(|(field, kind)| {
            let cmp = prop::sample::select(vec!["eq", "neq", "gt", "gte", "lt", "lte"]);
            let cond: BoxedStrategy<Cond> = match kind {
                Kind::Int | Kind::Num | Kind::Column => prop_oneof![
                    3 => (cmp, num_lit(kind)).prop_map(|(o, l)| Cond::Cmp(o, l)),
                    1 => (any::<bool>(), prop::collection::vec(num_lit(kind), 0..3))
                        .prop_map(|(n, l)| Cond::In(n, l)),
                    1 => any::<bool>().prop_map(Cond::IsNull),
                ]
                .boxed(),
                Kind::Text => prop_oneof![
                    2 => (prop::sample::select(vec!["eq", "neq"]), text_lit())
                        .prop_map(|(o, s)| Cond::Cmp(o, Lit::S(s))),
                    2 => (prop::sample::select(vec!["contains", "startswith"]), text_lit())
                        .prop_map(|(o, s)| Cond::Like(o, s)),
                    1 => (any::<bool>(), prop::collection::vec(text_lit().prop_map(Lit::S), 0..3))
                        .prop_map(|(n, l)| Cond::In(n, l)),
                    1 => any::<bool>().prop_map(Cond::IsNull),
                ]
                .boxed(),
                Kind::Bool => prop_oneof![
                    any::<bool>().prop_map(Cond::BoolEq),
                    any::<bool>().prop_map(Cond::IsNull),
                ]
                .boxed(),
            };
            cond.prop_map(move |c| G::Leaf(field, c))
        })
        .boxed()
}

/// A relation filter on one of `v`'s relations, its inner filter `hops - 1` relations deep
/// at most.
fn relation_filter(v: &'static ViewDef, hops: u32) -> BoxedStrategy<G> {
    prop::sample::select(v.rels.iter().collect::<Vec<_>>())
        .prop_flat_map(move |r| {
            let inner = filter(view(r.target), hops - 1);
            let is_null = any::<bool>().prop_map(move |b| G::RelNull(r.name, b));
            if r.kind == ManyToOne {
                prop_oneof![
                    4 => inner.prop_map(move |f| G::One(r.name, Box::new(f))),
                    1 => is_null,
                ]
                .boxed()
            } else {
                prop_oneof![
                    4 => (prop::sample::select(vec!["some", "every", "none"]), inner)
                        .prop_map(move |(q, f)| G::Quant(r.name, q, Box::new(f))),
                    1 => is_null,
                ]
                .boxed()
            }
        })
        .boxed()
}

/// A filter rooted at `v`, crossing at most `hops` relations on any path.
fn filter(v: &'static ViewDef, hops: u32) -> BoxedStrategy<G> {
    let base = if hops == 0 {
        leaf(v)
    } else {
        prop_oneof![3 => leaf(v), 2 => relation_filter(v, hops)].boxed()
    };
    base.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(G::And),
            prop::collection::vec(inner.clone(), 0..3).prop_map(G::Or),
            inner.prop_map(|f| G::Not(Box::new(f))),
        ]
    })
    .boxed()
}

fn rooted_filter() -> impl Strategy<Value = (&'static str, G)> {
    prop::sample::select(VIEWS.iter().collect::<Vec<_>>())
        .prop_flat_map(|v| filter(v, 3).prop_map(move |f| (v.name, f)))
}

fn obj(k: &str, v: Value) -> Value {
    Value::Object(vec![(k.to_owned(), v)])
}

/// The query form of a filter.
/// `a` AND `b` as one object, when that means the same: keys of both, and a key in both
/// merged below it when it names a field or a relation (under `not` or a quantifier the
/// merge would change the meaning; an operator twice is a repeated key). Under a
/// many-to-one relation the merge relies on its one related row.
fn merge(a: &Value, b: &Value) -> Option<Value> {
    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "not",
        "some",
        "every",
        "none",
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "in",
        "nin",
        "contains",
        "startswith",
        "isnull",
    ];
    let (Value::Object(x), Value::Object(y)) = (a, b) else {
        return None;
    };
    let mut out = x.clone();
    for (k, vb) in y {
        match out.iter_mut().find(|(ka, _)| ka == k) {
            None => out.push((k.clone(), vb.clone())),
            Some(_) if KEYWORDS.contains(&k.as_str()) => return None,
            Some((_, va)) => *va = merge(va, vb)?,
        }
    }
    Some(Value::Object(out))
}

/// `v` with every name spelled in camelCase (`author_likes` -> `authorLikes`): operators
/// and keywords have no `_`.
fn camel(v: &Value) -> Value {
    match v {
        Value::Object(kv) => Value::Object(
            kv.iter()
                .map(|(k, x)| {
                    let mut out = String::new();
                    let mut up = false;
                    for c in k.chars() {
                        if c == '_' {
                            up = true;
                        } else if up {
                            out.extend(c.to_uppercase());
                            up = false;
                        } else {
                            out.push(c);
                        }
                    }
                    (out, camel(x))
                })
                .collect(),
        ),
        Value::List(items) => Value::List(items.iter().map(camel).collect()),
        other => other.clone(),
    }
}

fn to_query(g: &G) -> Value {
    let list = |v: &[G]| Value::List(v.iter().map(to_query).collect());
    match g {
        // Two filters that can be one object are written as one, as users write them.
        G::And(v) if v.len() == 2 => {
            let (a, b) = (to_query(&v[0]), to_query(&v[1]));
            merge(&a, &b).unwrap_or_else(|| obj("and", Value::List(vec![a, b])))
        }
        G::And(v) => obj("and", list(v)),
        G::Or(v) => obj("or", list(v)),
        G::Not(x) => obj("not", to_query(x)),
        G::Leaf(field, c) => {
            let (op, operand) = match c {
                Cond::Cmp(op, l) => (*op, l.to_value()),
                Cond::In(nin, l) => (
                    if *nin { "nin" } else { "in" },
                    Value::List(l.iter().map(Lit::to_value).collect()),
                ),
                Cond::Like(op, s) => (*op, Value::Str(s.clone())),
                Cond::IsNull(b) => ("isnull", Value::Bool(*b)),
                Cond::BoolEq(b) => ("eq", Value::Bool(*b)),
            };
            obj(field, obj(op, operand))
        }
        G::One(r, f) => obj(r, to_query(f)),
        G::Quant(r, q, f) => obj(r, obj(q, to_query(f))),
        G::RelNull(r, b) => obj(r, obj("isnull", Value::Bool(*b))),
    }
}

// ---------------------------------------------------------------- the evaluator

/// A field's value as text (`->>`: missing or JSON null is NULL; a string is itself,
/// anything else its JSON text), or a column's.
fn text_of(v: &ViewDef, row: &Row, field: &str) -> Option<String> {
    if v.columns.contains(&field) {
        return row.column(field).map(|i| i.to_string());
    }
    match row.data.get(field)? {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn lit_num(l: &Lit) -> f64 {
    match l {
        Lit::I(i) => *i as f64,
        Lit::F(f) => *f,
        Lit::S(_) => unreachable!("a text operand on a number"),
    }
}

/// SQL's three-valued logic over the world: scalar conditions are UNKNOWN on NULL; a
/// relation filter is TRUE or FALSE, a quantifier over the related rows.
fn eval(w: &World, v: &ViewDef, row: &Row, g: &G) -> Option<bool> {
    match g {
        // A loop, not `try_fold`: UNKNOWN must not stop the walk (FALSE/TRUE may follow).
        G::And(xs) => {
            let mut acc = Some(true);
            for x in xs {
                acc = and3(acc, eval(w, v, row, x));
            }
            acc
        }
        G::Or(xs) => {
            let mut acc = Some(false);
            for x in xs {
                acc = or3(acc, eval(w, v, row, x));
            }
            acc
        }
        G::Not(x) => eval(w, v, row, x).map(|b| !b),
        G::Leaf(field, c) => leaf_eval(v, row, field, c),
        G::One(r, f) | G::Quant(r, _, f) => {
            let rel = v.rels.iter().find(|x| x.name == *r).unwrap();
            let target = view(rel.target);
            let mut holds = w
                .related(v, row, rel)
                .into_iter()
                .map(|t| eval(w, target, t, f) == Some(true));
            Some(match g {
                G::Quant(_, "every", _) => holds.all(|b| b),
                G::Quant(_, "none", _) => !holds.any(|b| b),
                _ => holds.any(|b| b),
            })
        }
        G::RelNull(r, b) => {
            let rel = v.rels.iter().find(|x| x.name == *r).unwrap();
            Some(w.related(v, row, rel).is_empty() == *b)
        }
    }
}

fn leaf_eval(v: &ViewDef, row: &Row, field: &str, c: &Cond) -> Option<bool> {
    let x = text_of(v, row, field);
    match c {
        Cond::IsNull(b) => Some(x.is_none() == *b),
        // = ANY('{}') is FALSE and <> ALL('{}') TRUE, even on NULL.
        Cond::In(nin, l) if l.is_empty() => Some(*nin),
        Cond::In(nin, l) => {
            let x = x?;
            let found = l.iter().any(|l| match l {
                Lit::S(s) => *s == x,
                n => x.parse::<f64>().unwrap() == lit_num(n),
            });
            Some(found != *nin)
        }
        Cond::Cmp(op, Lit::S(s)) => {
            let x = x?;
            Some(if *op == "eq" { x == *s } else { x != *s })
        }
        Cond::Cmp(op, n) => {
            let x: f64 = x?.parse().unwrap();
            let y = lit_num(n);
            Some(match *op {
                "eq" => x == y,
                "neq" => x != y,
                "gt" => x > y,
                "gte" => x >= y,
                "lt" => x < y,
                _ => x <= y,
            })
        }
        Cond::Like(op, s) => {
            let x = x?;
            Some(if *op == "contains" {
                x.contains(s.as_str())
            } else {
                x.starts_with(s.as_str())
            })
        }
        Cond::BoolEq(b) => Some((x? == "true") == *b),
    }
}

// ---------------------------------------------------------------- PostgreSQL

/// Creates the world's tables in this session (temporary: invisible to other sessions,
/// gone with the connection).
fn create_tables(pg: &mut Client) {
    let mut sql = String::new();
    for v in VIEWS {
        let cols: String = v
            .columns
            .iter()
            .filter(|c| **c != "id")
            .map(|c| format!(", \"{c}\" integer"))
            .collect();
        sql.push_str(&format!(
            "CREATE TEMP TABLE {} (id integer PRIMARY KEY, tenant integer NOT NULL{cols}, \
             data jsonb NOT NULL);\n",
            v.name
        ));
    }
    pg.batch_execute(&sql).unwrap();
}

/// Replaces every table's rows with the world's (one JSON parameter per table).
fn load(pg: &mut Client, w: &World) -> Result<(), postgres::Error> {
    let names: Vec<&str> = VIEWS.iter().map(|v| v.name).collect();
    pg.batch_execute(&format!("DELETE FROM {};", names.join("; DELETE FROM ")))?;
    for v in VIEWS {
        let rows: Vec<Json> = w
            .rows(v.name)
            .iter()
            .map(|r| {
                let mut o = json!({"id": r.id, "tenant": r.tenant, "data": r.data});
                for (k, val) in &r.keys {
                    o[*k] = json!(val);
                }
                o
            })
            .collect();
        let cols: Vec<String> = v.columns.iter().map(|c| format!("\"{c}\"")).collect();
        let reads: Vec<String> = v
            .columns
            .iter()
            .map(|c| format!("(r->>'{c}')::integer"))
            .collect();
        let sql = format!(
            "INSERT INTO {} (tenant, data, {}) SELECT (r->>'tenant')::integer, r->'data', {} \
             FROM jsonb_array_elements($1::text::jsonb) AS r",
            v.name,
            cols.join(", "),
            reads.join(", ")
        );
        let text = Json::Array(rows).to_string();
        pg.execute(sql.as_str(), &[&TextParam(Some(&text))])?;
    }
    Ok(())
}

/// Compiles `doc` with the world's registry and runs it: its rows, or a failure that shows
/// the query, the SQL and the params.
fn run(pg: &mut Client, schema: &Schema, doc: &Value) -> Result<(Json, String), TestCaseError> {
    let q = Query::from_value(doc)
        .map_err(|e| TestCaseError::fail(format!("{e}: {}", doc.to_json())))?;
    let out = qb_core::compile(&q, schema, &CompileOptions::default()).map_err(|e| {
        TestCaseError::fail(format!(
            "{}: {} at {} in {}",
            e.code(),
            e.message(),
            e.path(),
            doc.to_json()
        ))
    })?;
    let params: Vec<Option<String>> = out.params.iter().map(|p| Some(p.to_pg_text())).collect();
    let rows = query_json(pg, &out.sql, &params)
        .map_err(|e| TestCaseError::fail(format!("{e:?}\n{}", out.sql)))?;
    let shown = format!(
        "{}\nsql {}\nparams {:?}",
        doc.to_json(),
        out.sql,
        out.params
    );
    Ok((rows, shown))
}

fn key_value(k: &str, v: Value) -> (String, Value) {
    (k.to_owned(), v)
}

#[test]
fn relation_filters_match_reference_evaluator() {
    let schema = registry();
    let mut pg = client();
    create_tables(&mut pg);
    let pg = RefCell::new(pg);
    let strategy = (
        world(),
        prop::collection::vec(
            (rooted_filter(), any::<bool>()),
            FILTERS_PER_WORLD..=FILTERS_PER_WORLD,
        ),
    );
    // (filters checked, filters that kept some rows and dropped others)
    let tally = RefCell::new((0u32, 0u32));
    let mut runner = TestRunner::new(config(CASES));
    runner
        .run(&strategy, |(w, filters)| {
            let mut pg = pg.borrow_mut();
            load(&mut pg, &w).map_err(|e| TestCaseError::fail(format!("load: {e:?}")))?;
            for ((root, f), camel_case) in &filters {
                let filter = to_query(f);
                let doc = Value::Object(vec![
                    key_value("view", Value::Str((*root).to_owned())),
                    key_value("select", Value::List(vec![Value::Str("id".into())])),
                    key_value("output", Value::Str("columns".into())),
                    key_value("where", if *camel_case { camel(&filter) } else { filter }),
                ]);
                let (got, shown) = run(&mut pg, &schema, &doc)?;
                let mut got: Vec<i64> = got
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["id"].as_i64().unwrap())
                    .collect();
                got.sort_unstable();
                let v = view(root);
                let want: Vec<i64> = w
                    .rows(root)
                    .iter()
                    .filter(|r| eval(&w, v, r, f) == Some(true))
                    .map(|r| r.id)
                    .collect();
                let mut t = tally.borrow_mut();
                t.0 += 1;
                if !want.is_empty() && want.len() < w.rows(root).len() {
                    t.1 += 1;
                }
                prop_assert_eq!(got, want, "filter on {}: {}", root, shown);
            }
            Ok(())
        })
        .unwrap();
    common::assert_discriminating(tally.into_inner());
}

// ---------------------------------------------------------------- selected relations

/// A relation selected with its own `where`, `order_by`, `limit` and `offset`, under a root
/// filtered by a random filter.
#[derive(Debug, Clone)]
struct Selected {
    root: &'static str,
    root_filter: Option<G>,
    rel: &'static str,
    filter: Option<G>,
    /// (a numeric field or column of the related view, descending, explicit nulls first)
    order: Option<(&'static str, bool, Option<bool>)>,
    limit: Option<i64>,
    offset: Option<i64>,
}

fn selected() -> impl Strategy<Value = Selected> {
    let pairs: Vec<(&'static ViewDef, &'static Rel)> = VIEWS
        .iter()
        .flat_map(|v| v.rels.iter().map(move |r| (v, r)))
        .collect();
    prop::sample::select(pairs).prop_flat_map(|(v, r)| {
        let target = view(r.target);
        let list = r.kind != ManyToOne;
        let mut keys: Vec<&'static str> = target
            .fields
            .iter()
            .filter(|(_, k)| matches!(k, Kind::Int | Kind::Num))
            .map(|(f, _)| *f)
            .collect();
        keys.extend(target.columns.iter().copied());
        let order = (
            prop::sample::select(keys),
            any::<bool>(),
            prop::option::of(any::<bool>()),
        );
        let (order, limit, offset) = if list {
            (
                prop::option::of(order).boxed(),
                prop::option::of(0i64..4).boxed(),
                prop::option::of(0i64..3).boxed(),
            )
        } else {
            (Just(None).boxed(), Just(None).boxed(), Just(None).boxed())
        };
        (
            prop::option::of(filter(v, 2)),
            prop::option::of(filter(target, 2)),
            order,
            limit,
            offset,
        )
            .prop_map(
                move |(root_filter, filter, order, limit, offset)| Selected {
                    root: v.name,
                    root_filter,
                    rel: r.name,
                    filter,
                    order,
                    limit,
                    offset,
                },
            )
    })
}

impl Selected {
    fn to_query(&self) -> Value {
        let mut item = vec![
            key_value("field", Value::Str(self.rel.to_owned())),
            key_value("alias", Value::Str("r".into())),
            key_value("select", Value::List(vec![Value::Str("id".into())])),
        ];
        if let Some(f) = &self.filter {
            item.push(key_value("where", to_query(f)));
        }
        if let Some((field, desc, nulls_first)) = self.order {
            let mut key = vec![
                key_value("field", Value::Str(field.to_owned())),
                key_value(
                    "direction",
                    Value::Str(if desc { "desc" } else { "asc" }.into()),
                ),
            ];
            if let Some(first) = nulls_first {
                key.push(key_value(
                    "nulls",
                    Value::Str(if first { "first" } else { "last" }.into()),
                ));
            }
            item.push(key_value("order_by", Value::List(vec![Value::Object(key)])));
        }
        if let Some(n) = self.limit {
            item.push(key_value("limit", Value::Int(n)));
        }
        if let Some(n) = self.offset {
            item.push(key_value("offset", Value::Int(n)));
        }
        let mut q = vec![
            key_value("view", Value::Str(self.root.to_owned())),
            key_value(
                "select",
                Value::List(vec![Value::Str("id".into()), Value::Object(item)]),
            ),
        ];
        if let Some(f) = &self.root_filter {
            q.push(key_value("where", to_query(f)));
        }
        Value::Object(q)
    }

    /// What the evaluator expects: each root row the root filter keeps, with the ids of its
    /// related rows the relation's filter keeps, in the requested order (ties by id), paged;
    /// a many-to-one relation gives its one id or null.
    fn expect(&self, w: &World) -> Json {
        let v = view(self.root);
        let rel = v.rels.iter().find(|r| r.name == self.rel).unwrap();
        let target = view(rel.target);
        let rows: Vec<Json> = w
            .rows(self.root)
            .iter()
            .filter(|row| {
                self.root_filter
                    .as_ref()
                    .is_none_or(|f| eval(w, v, row, f) == Some(true))
            })
            .map(|row| {
                let mut related: Vec<&Row> = w
                    .related(v, row, rel)
                    .into_iter()
                    .filter(|t| {
                        self.filter
                            .as_ref()
                            .is_none_or(|f| eval(w, target, t, f) == Some(true))
                    })
                    .collect();
                let r = if rel.kind == ManyToOne {
                    assert!(related.len() <= 1, "a many-to-one relation relates one row");
                    related.first().map_or(Json::Null, |t| json!({"id": t.id}))
                } else {
                    related.sort_by(|a, b| {
                        let by_key = self
                            .order
                            .map_or(std::cmp::Ordering::Equal, |o| order_key(target, a, b, o));
                        by_key.then(a.id.cmp(&b.id))
                    });
                    let ids: Vec<Json> = related
                        .iter()
                        .skip(self.offset.unwrap_or(0) as usize)
                        .take(self.limit.map_or(usize::MAX, |n| n as usize))
                        .map(|t| json!({"id": t.id}))
                        .collect();
                    Json::Array(ids)
                };
                json!({"id": row.id, "r": r})
            })
            .collect();
        Json::Array(rows)
    }
}

/// PostgreSQL's ORDER BY on a numeric key: ascending puts NULLs last, descending first,
/// unless `nulls` says otherwise.
fn order_key(
    v: &ViewDef,
    a: &Row,
    b: &Row,
    (field, desc, nulls_first): (&str, bool, Option<bool>),
) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let num = |r: &Row| text_of(v, r, field).map(|t| t.parse::<f64>().unwrap());
    let nulls_first = nulls_first.unwrap_or(desc);
    match (num(a), num(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (Some(_), None) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Some(x), Some(y)) => {
            let o = x.partial_cmp(&y).unwrap();
            if desc { o.reverse() } else { o }
        }
    }
}

/// Selected relations with their own `where` (a random filter, compiled in the related
/// view's scope inside the statement), `order_by`, `limit` and `offset`, under a root filter:
/// the nested ids are the ones the evaluator computes from the same `World::related`.
#[test]
fn selected_relations_match_reference_evaluator() {
    let schema = registry();
    let mut pg = client();
    create_tables(&mut pg);
    let pg = RefCell::new(pg);
    let strategy = (
        world(),
        prop::collection::vec(selected(), FILTERS_PER_WORLD..=FILTERS_PER_WORLD),
    );
    let mut runner = TestRunner::new(config(CASES));
    runner
        .run(&strategy, |(w, selections)| {
            let mut pg = pg.borrow_mut();
            load(&mut pg, &w).map_err(|e| TestCaseError::fail(format!("load: {e:?}")))?;
            for sel in &selections {
                let (got, shown) = run(&mut pg, &schema, &sel.to_query())?;
                let mut got: Vec<Json> = got
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["data"].clone())
                    .collect();
                got.sort_by_key(|r| r["id"].as_i64());
                let want = sel.expect(&w);
                prop_assert_eq!(&Json::Array(got), &want, "{}", shown);
            }
            Ok(())
        })
        .unwrap();
}
