//! Property test of embedded lists (`{"type": "list", "fields": {…}}`): random filters over
//! lists and random list selections give what a reference evaluator computes, on random
//! documents whose lists are missing, JSON null, not an array (a string, an object, a
//! number), empty, or hold elements that are JSON null, not objects (a number, a string, an
//! array) or objects with fields missing or JSON null.
//!
//! The test owns its world: two temporary tables, `lq_order` (fields `status`, the list
//! `items` whose elements hold `sku`, `qty`, a nested object `dims.w` and an inner list
//! `opts`, and the nested object `ship` holding the list `parcels`) and `lq_note` (a
//! one-to-many relation `notes` of an order, whose rows hold the list `tags`), created in
//! the test's session so nothing else sees them.
//!
//! A filter is an and/or/not tree over scalar conditions (three-valued), `some`/`every`/
//! `none`/`isnull` on lists (inside elements of lists too), and `some`/`every`/`none` over
//! the relation `notes` (whose rows hold lists). The evaluator implements the meaning from
//! the documents alone, never from the compiler or its SQL (module doc of
//! `crates/qb-core/src/compile/list.rs`, docs/query-ast.md Relations): a value that is not a
//! JSON array has no elements (so `some` is FALSE, `every` and `none` TRUE on it), `isnull`
//! tests whether the value is not an array, an element's field is NULL when the element is
//! not an object, and a quantifier is two-valued as for relations (`every`: the filter is
//! TRUE on every element).
//!
//! A second property selects `items` with a random `where`, `order_by` (by `qty` or `sku`,
//! either direction, `nulls` first/last/default), `limit` and `offset`: the elements kept,
//! in order (ties by position in the array), a non-object element selected as `null`, a
//! non-array list as `null`; at random each element also selects its inner list `opts` with
//! its own `where` and `order_by`.
//!
//! Cases: `CASES` per property (seconds); `PROPTEST_CASES` overrides it for a long run.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::cmp::Ordering;

use postgres::Client;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use qb_core::{CompileOptions, Query, Schema};
use qb_testpg::{TextParam, client, query_json};
use serde_json::{Value as Json, json};

mod common;
use common::{and3, config, or3};

const CASES: u32 = 120;
/// Filters checked per generated world.
const FILTERS_PER_WORLD: usize = 4;

// ---------------------------------------------------------------- the world

fn registry() -> Schema {
    let opts = json!({"type": "list", "fields": {"name": "text"}});
    let items = json!({"type": "list", "fields": {
        "sku": "text", "qty": "integer", "dims": {"fields": {"w": "integer"}}, "opts": opts}});
    let tags = json!({"type": "list", "fields": {"name": "text"}});
    let parcels = json!({"type": "list", "fields": {"weight": "integer"}});
    let schema = json!({"views": {
        "lq_order": {
            "columns": {"id": "integer", "tenant": "integer"},
            "primary_key": ["id"],
            "distribution_column": "tenant",
            "relations": {"notes": {"view": "lq_note", "kind": "one_to_many",
                                    "join": {"id": "order_id"}}},
            "fields": {"status": "text", "items": items, "ship": {"fields": {"parcels": parcels}}}
        },
        "lq_note": {
            "columns": {"id": "integer", "tenant": "integer", "order_id": "integer"},
            "primary_key": ["id"],
            "distribution_column": "tenant",
            "fields": {"n": "integer", "tags": tags}
        }
    }});
    Schema::from_json(&schema.to_string()).unwrap()
}

#[derive(Debug, Clone)]
struct Row {
    id: i64,
    tenant: i64,
    order_id: Option<i64>,
    data: Json,
}

#[derive(Debug, Clone)]
struct World {
    orders: Vec<Row>,
    notes: Vec<Row>,
}

/// An object from optional fields: `None` leaves the key out (missing).
fn object(fields: Vec<(&str, Option<Json>)>) -> Json {
    Json::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect(),
    )
}

/// Missing, JSON null, or a value.
fn maybe(s: BoxedStrategy<Json>) -> BoxedStrategy<Option<Json>> {
    prop_oneof![1 => Just(None), 1 => Just(Some(Json::Null)), 4 => s.prop_map(Some)].boxed()
}
fn int() -> BoxedStrategy<Json> {
    (-1i64..4).prop_map(|i| json!(i)).boxed()
}
fn text() -> BoxedStrategy<Json> {
    prop::sample::select(vec!["a", "b", "c"])
        .prop_map(|s| json!(s))
        .boxed()
}

/// A list value: missing, JSON null, not an array, or an array of elements where some
/// elements are JSON null or not objects.
fn list(element: BoxedStrategy<Json>) -> BoxedStrategy<Option<Json>> {
    let odd = prop::sample::select(vec![json!("x"), json!({"a": 1}), json!(5), json!(true)]);
    let el = prop_oneof![
        1 => Just(Json::Null),
        1 => prop::sample::select(vec![json!(7), json!("s"), json!([1])]),
        6 => element,
    ];
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Json::Null)),
        1 => odd.prop_map(Some),
        1 => Just(Some(json!([]))),
        6 => prop::collection::vec(el, 1..4).prop_map(|v| Some(Json::Array(v))),
    ]
    .boxed()
}

fn name_obj() -> BoxedStrategy<Json> {
    maybe(text())
        .prop_map(|n| object(vec![("name", n)]))
        .boxed()
}

fn item() -> BoxedStrategy<Json> {
    let dims = prop_oneof![
        4 => maybe(int()).prop_map(|w| Some(object(vec![("w", w)]))),
        1 => Just(None),
        1 => Just(Some(Json::Null)),
        1 => Just(Some(json!("flat"))),
    ];
    (maybe(text()), maybe(int()), dims, list(name_obj()))
        .prop_map(|(sku, qty, dims, opts)| {
            object(vec![
                ("sku", sku),
                ("qty", qty),
                ("dims", dims),
                ("opts", opts),
            ])
        })
        .boxed()
}

fn order_doc() -> BoxedStrategy<Json> {
    let ship = prop_oneof![
        4 => list(maybe(int()).prop_map(|w| object(vec![("weight", w)])).boxed())
            .prop_map(|p| Some(object(vec![("parcels", p)]))),
        1 => Just(None),
        1 => Just(Some(json!("none"))),
    ];
    (maybe(text()), list(item()), ship)
        .prop_map(|(status, items, ship)| {
            object(vec![("status", status), ("items", items), ("ship", ship)])
        })
        .boxed()
}

fn note_doc() -> BoxedStrategy<Json> {
    (maybe(int()), list(name_obj()))
        .prop_map(|(n, tags)| object(vec![("n", n), ("tags", tags)]))
        .boxed()
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(order_doc(), 3..8),
        prop::collection::vec((note_doc(), 0i64..8, prop::bool::weighted(0.15)), 0..8),
    )
        .prop_map(|(orders, notes)| {
            let n = orders.len() as i64;
            let orders = orders
                .into_iter()
                .enumerate()
                .map(|(i, data)| Row {
                    id: i as i64 + 1,
                    tenant: 1,
                    order_id: None,
                    data,
                })
                .collect();
            let notes = notes
                .into_iter()
                .enumerate()
                .map(|(i, (data, parent, other_tenant))| Row {
                    id: i as i64 + 1,
                    // A note in another tenant relates to no order.
                    tenant: if other_tenant { 2 } else { 1 },
                    // parent 0 or beyond the orders: a NULL or dangling key.
                    order_id: if parent == 0 {
                        None
                    } else {
                        Some(parent.min(n + 1))
                    },
                    data,
                })
                .collect();
            World { orders, notes }
        })
}

// ---------------------------------------------------------------- filters

/// Where a filter stands: the root order, an element of a list, a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Order,
    Item,
    Name,
    Parcel,
    Note,
}

/// A scalar of a scope: its path below the scope's document and whether it is a number.
fn scalars(s: Scope) -> &'static [(&'static [&'static str], bool)] {
    match s {
        Scope::Order => &[(&["status"], false)],
        Scope::Item => &[(&["sku"], false), (&["qty"], true), (&["dims", "w"], true)],
        Scope::Name => &[(&["name"], false)],
        Scope::Parcel => &[(&["weight"], true)],
        Scope::Note => &[(&["n"], true)],
    }
}

/// The lists of a scope: their path and their elements' scope.
fn lists(s: Scope) -> &'static [(&'static [&'static str], Scope)] {
    match s {
        Scope::Order => &[
            (&["items"], Scope::Item),
            (&["ship", "parcels"], Scope::Parcel),
        ],
        Scope::Item => &[(&["opts"], Scope::Name)],
        Scope::Note => &[(&["tags"], Scope::Name)],
        Scope::Name | Scope::Parcel => &[],
    }
}

#[derive(Debug, Clone)]
enum Cond {
    /// eq/neq/gt/lte with an integer or a text operand.
    Cmp(&'static str, Json),
    IsNull(bool),
}

#[derive(Debug, Clone)]
enum G {
    And(Vec<G>),
    Or(Vec<G>),
    Not(Box<G>),
    Leaf(&'static [&'static str], bool, Cond),
    /// `some`/`every`/`none` over a list's elements.
    List(&'static [&'static str], &'static str, Box<G>),
    ListNull(&'static [&'static str], bool),
    /// `some`/`every`/`none` over the order's notes.
    Notes(&'static str, Box<G>),
}

fn leaf(s: Scope) -> BoxedStrategy<G> {
    prop::sample::select(scalars(s).to_vec())
        .prop_flat_map(|(path, num)| {
            let operand = if num { int() } else { text() };
            let ops: Vec<&'static str> = if num {
                vec!["eq", "neq", "gt", "lte"]
            } else {
                vec!["eq", "neq"]
            };
            prop_oneof![
                4 => (prop::sample::select(ops), operand).prop_map(|(o, v)| Cond::Cmp(o, v)),
                1 => any::<bool>().prop_map(Cond::IsNull),
            ]
            .prop_map(move |c| G::Leaf(path, num, c))
        })
        .boxed()
}

fn quantifier() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["some", "every", "none"])
}

fn filter(s: Scope, depth: u32) -> BoxedStrategy<G> {
    let mut options: Vec<(u32, BoxedStrategy<G>)> = vec![(3, leaf(s))];
    if !lists(s).is_empty() {
        options.push((
            1,
            (prop::sample::select(lists(s).to_vec()), any::<bool>())
                .prop_map(|((p, _), b)| G::ListNull(p, b))
                .boxed(),
        ));
        if depth > 0 {
            options.push((
                4,
                (prop::sample::select(lists(s).to_vec()), quantifier())
                    .prop_flat_map(move |((p, inner), q)| {
                        filter(inner, depth - 1).prop_map(move |f| G::List(p, q, Box::new(f)))
                    })
                    .boxed(),
            ));
        }
    }
    if s == Scope::Order && depth > 0 {
        options.push((
            2,
            (quantifier(), filter(Scope::Note, depth - 1))
                .prop_map(|(q, f)| G::Notes(q, Box::new(f)))
                .boxed(),
        ));
    }
    let base = prop::strategy::Union::new_weighted(options).boxed();
    base.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..=2).prop_map(G::And),
            prop::collection::vec(inner.clone(), 2..=2).prop_map(G::Or),
            inner.prop_map(|g| G::Not(Box::new(g))),
        ]
    })
    .boxed()
}

/// `{"a": {"b": inner}}` for the path `a.b`.
fn nest(path: &[&str], inner: Json) -> Json {
    path.iter().rev().fold(inner, |acc, k| json!({ (*k): acc }))
}

/// `a` AND `b` as one object when that means the same, as users write them
/// (`{"items": {"some": …, "isnull": false}}`): keys of both, merged below a field or
/// relation name present in both; a repeated operator, quantifier or `and`/`or`/`not` key
/// cannot merge (below a quantifier a merge would change the meaning).
fn merge(a: &Json, b: &Json) -> Option<Json> {
    const KEYS: &[&str] = &[
        "and", "or", "not", "some", "every", "none", "isnull", "eq", "neq", "gt", "lte",
    ];
    let (mut a, b) = (a.as_object()?.clone(), b.as_object()?);
    for (k, v) in b {
        let merged = match a.get(k) {
            None => v.clone(),
            Some(_) if KEYS.contains(&k.as_str()) => return None,
            Some(w) => merge(w, v)?,
        };
        a.insert(k.clone(), merged);
    }
    Some(Json::Object(a))
}

fn to_query(g: &G) -> Json {
    match g {
        G::And(v) if v.len() == 2 => {
            let (a, b) = (to_query(&v[0]), to_query(&v[1]));
            merge(&a, &b).unwrap_or_else(|| json!({"and": [a, b]}))
        }
        G::And(v) => json!({"and": v.iter().map(to_query).collect::<Vec<_>>()}),
        G::Or(v) => json!({"or": v.iter().map(to_query).collect::<Vec<_>>()}),
        G::Not(x) => json!({"not": to_query(x)}),
        G::Leaf(p, _, Cond::Cmp(op, v)) => nest(p, json!({ (*op): v })),
        G::Leaf(p, _, Cond::IsNull(b)) | G::ListNull(p, b) => nest(p, json!({"isnull": b})),
        G::List(p, q, f) => nest(p, json!({ (*q): to_query(f) })),
        G::Notes(q, f) => json!({"notes": { (*q): to_query(f) }}),
    }
}

// ---------------------------------------------------------------- the evaluator

/// The value at a path below a document: `None` where a step is missing or the value
/// stepped into is not an object (an element `7` has no fields); JSON null is `None` too.
fn at<'j>(doc: &'j Json, path: &[&str]) -> Option<&'j Json> {
    let v = path.iter().try_fold(doc, |d, k| d.as_object()?.get(*k))?;
    (!v.is_null()).then_some(v)
}

/// The elements of a list value: none unless it is a JSON array.
fn elements<'j>(doc: &'j Json, path: &[&str]) -> &'j [Json] {
    at(doc, path)
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A quantifier over the truth values of the elements (two-valued).
fn quantify(q: &str, mut truths: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    Some(match q {
        "some" => truths.any(|t| t == Some(true)),
        "every" => truths.all(|t| t == Some(true)),
        "none" => !truths.any(|t| t == Some(true)),
        _ => unreachable!(),
    })
}

fn leaf_eval(doc: &Json, path: &[&str], num: bool, c: &Cond) -> Option<bool> {
    let v = at(doc, path);
    match c {
        Cond::IsNull(b) => Some(v.is_none() == *b),
        Cond::Cmp(op, lit) => {
            let v = v?;
            let ord = if num {
                v.as_i64().unwrap().cmp(&lit.as_i64().unwrap())
            } else {
                v.as_str().unwrap().cmp(lit.as_str().unwrap())
            };
            Some(match *op {
                "eq" => ord == Ordering::Equal,
                "neq" => ord != Ordering::Equal,
                "gt" => ord == Ordering::Greater,
                "lte" => ord != Ordering::Greater,
                _ => unreachable!(),
            })
        }
    }
}

/// The notes of an order: same tenant, `order_id` equal to its id (SQL `=`).
fn notes<'w>(w: &'w World, order: &Row) -> impl Iterator<Item = &'w Row> {
    let (id, tenant) = (order.id, order.tenant);
    w.notes
        .iter()
        .filter(move |n| n.order_id == Some(id) && n.tenant == tenant)
}

fn eval(w: &World, row: Option<&Row>, doc: &Json, g: &G) -> Option<bool> {
    match g {
        G::And(v) => v
            .iter()
            .map(|x| eval(w, row, doc, x))
            .reduce(and3)
            .unwrap_or(Some(true)),
        G::Or(v) => v
            .iter()
            .map(|x| eval(w, row, doc, x))
            .reduce(or3)
            .unwrap_or(Some(false)),
        G::Not(x) => eval(w, row, doc, x).map(|b| !b),
        G::Leaf(p, num, c) => leaf_eval(doc, p, *num, c),
        G::ListNull(p, b) => Some(at(doc, p).is_none_or(|v| !v.is_array()) == *b),
        G::List(p, q, f) => quantify(q, elements(doc, p).iter().map(|e| eval(w, None, e, f))),
        G::Notes(q, f) => {
            let order = row.unwrap();
            quantify(q, notes(w, order).map(|n| eval(w, Some(n), &n.data, f)))
        }
    }
}

// ---------------------------------------------------------------- PostgreSQL

fn create_tables(pg: &mut Client) {
    pg.batch_execute(
        "CREATE TEMP TABLE lq_order (id integer PRIMARY KEY, tenant integer NOT NULL, \
         data jsonb NOT NULL);
         CREATE TEMP TABLE lq_note (id integer PRIMARY KEY, tenant integer NOT NULL, \
         order_id integer, data jsonb NOT NULL);",
    )
    .unwrap();
}

fn load(pg: &mut Client, w: &World) -> Result<(), postgres::Error> {
    pg.batch_execute("DELETE FROM lq_order; DELETE FROM lq_note;")?;
    for (table, rows) in [("lq_order", &w.orders), ("lq_note", &w.notes)] {
        let rows: Vec<Json> = rows
            .iter()
            .map(
                |r| json!({"id": r.id, "tenant": r.tenant, "order_id": r.order_id, "data": r.data}),
            )
            .collect();
        let sql = format!(
            "INSERT INTO {table} SELECT (r->>'id')::integer, (r->>'tenant')::integer, {} \
             r->'data' FROM jsonb_array_elements($1::text::jsonb) AS r",
            if table == "lq_note" {
                "(r->>'order_id')::integer,"
            } else {
                ""
            }
        );
        let text = Json::Array(rows).to_string();
        pg.execute(sql.as_str(), &[&TextParam(Some(&text))])?;
    }
    Ok(())
}

/// Compiles and runs `doc`: its rows, or a failure that shows the query, SQL and params.
fn run(pg: &mut Client, schema: &Schema, doc: &Json) -> Result<(Json, String), TestCaseError> {
    let q = Query::from_json(&doc.to_string())
        .map_err(|e| TestCaseError::fail(format!("{e}: {doc}")))?;
    let out = qb_core::compile(&q, schema, &CompileOptions::default()).map_err(|e| {
        TestCaseError::fail(format!(
            "{}: {} at {} in {doc}",
            e.code(),
            e.message(),
            e.path()
        ))
    })?;
    let params: Vec<Option<String>> = out.params.iter().map(|p| Some(p.to_pg_text())).collect();
    let rows = query_json(pg, &out.sql, &params)
        .map_err(|e| TestCaseError::fail(format!("{e:?}\n{}", out.sql)))?;
    let shown = format!("{doc}\nsql {}\nparams {:?}", out.sql, out.params);
    Ok((rows, shown))
}

#[test]
fn list_filters_match_reference_evaluator() {
    let schema = registry();
    let mut pg = client();
    create_tables(&mut pg);
    let pg = RefCell::new(pg);
    let strategy = (
        world(),
        prop::collection::vec(
            filter(Scope::Order, 3),
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
            for f in &filters {
                let doc = json!({"view": "lq_order", "select": ["id"], "output": "columns",
                                 "where": to_query(f)});
                let (got, shown) = run(&mut pg, &schema, &doc)?;
                let mut got: Vec<i64> = got
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["id"].as_i64().unwrap())
                    .collect();
                got.sort_unstable();
                let want: Vec<i64> = w
                    .orders
                    .iter()
                    .filter(|r| eval(&w, Some(r), &r.data, f) == Some(true))
                    .map(|r| r.id)
                    .collect();
                let mut t = tally.borrow_mut();
                t.0 += 1;
                if !want.is_empty() && want.len() < w.orders.len() {
                    t.1 += 1;
                }
                prop_assert_eq!(got, want, "{}\nworld {:?}", shown, w);
            }
            Ok(())
        })
        .unwrap();
    common::assert_discriminating(tally.into_inner());
}

// ---------------------------------------------------------------- selected lists

/// `items` selected with its own `where`, `order_by`, `limit` and `offset`.
#[derive(Debug, Clone)]
struct Selected {
    filter: Option<G>,
    /// (`qty` or `sku`, descending, nulls: None default / Some(true) first / Some(false) last)
    order: Option<(&'static str, bool, Option<bool>)>,
    limit: Option<u64>,
    offset: Option<u64>,
    /// `opts` selected inside each element, with its own `where` and `order_by` on `name`
    /// (descending or not).
    opts: Option<(Option<G>, Option<bool>)>,
}

fn selected() -> impl Strategy<Value = Selected> {
    (
        prop::option::of(filter(Scope::Item, 1)),
        prop::option::of((
            prop::sample::select(vec!["qty", "sku"]),
            any::<bool>(),
            prop::option::of(any::<bool>()),
        )),
        prop::option::of(0u64..4),
        prop::option::of(0u64..3),
        prop::option::of((
            prop::option::of(filter(Scope::Name, 0)),
            prop::option::of(any::<bool>()),
        )),
    )
        .prop_map(|(filter, order, limit, offset, opts)| Selected {
            opts,
            filter,
            order,
            limit,
            offset,
        })
}

impl Selected {
    fn to_query(&self) -> Json {
        let mut sel = json!({"field": "items", "select": ["sku", "qty"]});
        if let Some((f, desc)) = &self.opts {
            let mut o = json!({"field": "opts", "select": ["name"]});
            if let Some(f) = f {
                o["where"] = to_query(f);
            }
            if let Some(desc) = desc {
                o["order_by"] = json!([{"field": "name",
                                        "direction": if *desc { "desc" } else { "asc" }}]);
            }
            sel["select"].as_array_mut().unwrap().push(o);
        }
        if let Some(f) = &self.filter {
            sel["where"] = to_query(f);
        }
        if let Some((field, desc, nulls)) = self.order {
            let mut key = json!({"field": field, "direction": if desc { "desc" } else { "asc" }});
            if let Some(first) = nulls {
                key["nulls"] = json!(if first { "first" } else { "last" });
            }
            sel["order_by"] = json!([key]);
        }
        if let Some(l) = self.limit {
            sel["limit"] = json!(l);
        }
        if let Some(o) = self.offset {
            sel["offset"] = json!(o);
        }
        json!({"view": "lq_order", "select": ["id", sel], "output": "columns",
               "order_by": ["id"]})
    }

    /// The rows the evaluator expects: `[{"id", "items"}]` by id.
    fn expect(&self, w: &World) -> Json {
        let rows = w.orders.iter().map(|r| {
            let items = match at(&r.data, &["items"]).and_then(Json::as_array) {
                None => Json::Null,
                Some(els) => {
                    let mut kept: Vec<(usize, &Json)> = els
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| {
                            self.filter
                                .as_ref()
                                .is_none_or(|f| eval(w, None, e, f) == Some(true))
                        })
                        .collect();
                    // A stable sort keeps the array's order among equal keys (the
                    // ordinality tie-breaker).
                    if let Some((field, desc, nulls)) = self.order {
                        let nulls_first = nulls.unwrap_or(desc);
                        kept.sort_by(|(_, a), (_, b)| match (at(a, &[field]), at(b, &[field])) {
                            (None, None) => Ordering::Equal,
                            (None, Some(_)) if nulls_first => Ordering::Less,
                            (None, Some(_)) => Ordering::Greater,
                            (Some(_), None) if nulls_first => Ordering::Greater,
                            (Some(_), None) => Ordering::Less,
                            (Some(x), Some(y)) => {
                                let o = if field == "qty" {
                                    x.as_i64().cmp(&y.as_i64())
                                } else {
                                    x.as_str().cmp(&y.as_str())
                                };
                                if desc { o.reverse() } else { o }
                            }
                        });
                    }
                    let offset = self.offset.unwrap_or(0) as usize;
                    let limit = self.limit.map_or(usize::MAX, |l| l as usize);
                    Json::Array(
                        kept.into_iter()
                            .skip(offset)
                            .take(limit)
                            .map(|(_, e)| {
                                if e.is_object() {
                                    // A missing field is selected as JSON null.
                                    let mut o = json!({
                                        "sku": e.get("sku").cloned().unwrap_or(Json::Null),
                                        "qty": e.get("qty").cloned().unwrap_or(Json::Null)});
                                    if let Some((f, desc)) = &self.opts {
                                        o["opts"] = opts_expect(w, e, f.as_ref(), *desc);
                                    }
                                    o
                                } else {
                                    Json::Null
                                }
                            })
                            .collect(),
                    )
                }
            };
            json!({"id": r.id, "items": items})
        });
        Json::Array(rows.collect())
    }
}

/// The `opts` selected inside an element: `null` unless an array; the elements its filter
/// keeps, by `name` (NULLs last ascending, first descending) then position.
fn opts_expect(w: &World, element: &Json, f: Option<&G>, desc: Option<bool>) -> Json {
    let Some(els) = at(element, &["opts"]).and_then(Json::as_array) else {
        return Json::Null;
    };
    let mut kept: Vec<&Json> = els
        .iter()
        .filter(|e| f.is_none_or(|f| eval(w, None, e, f) == Some(true)))
        .collect();
    if let Some(desc) = desc {
        kept.sort_by(|a, b| {
            // NULLs sort last ascending; the reversal puts them first descending.
            let o = match (at(a, &["name"]), at(b, &["name"])) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => x.as_str().cmp(&y.as_str()),
            };
            if desc { o.reverse() } else { o }
        });
    }
    Json::Array(
        kept.into_iter()
            .map(|e| {
                if e.is_object() {
                    json!({"name": e.get("name").cloned().unwrap_or(Json::Null)})
                } else {
                    Json::Null
                }
            })
            .collect(),
    )
}

#[test]
fn selected_lists_match_reference_evaluator() {
    let schema = registry();
    let mut pg = client();
    create_tables(&mut pg);
    let pg = RefCell::new(pg);
    let strategy = (world(), prop::collection::vec(selected(), 2..=2));
    let mut runner = TestRunner::new(config(CASES));
    runner
        .run(&strategy, |(w, sels)| {
            let mut pg = pg.borrow_mut();
            load(&mut pg, &w).map_err(|e| TestCaseError::fail(format!("load: {e:?}")))?;
            for s in &sels {
                let (got, shown) = run(&mut pg, &schema, &s.to_query())?;
                prop_assert_eq!(got, s.expect(&w), "{}\nworld {:?}", shown, w);
            }
            Ok(())
        })
        .unwrap();
}
