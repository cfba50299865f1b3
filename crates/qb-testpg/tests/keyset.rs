//! Keyset pagination on PostgreSQL: a property test that walks every page forward and
//! backward over random orderings (keys of every kind, directions, NULLS placement, page
//! sizes, with and without a filter and a cursor key) on data full of NULLs, missing keys
//! and ties, and checks that every row comes exactly once, in the order a plain ORDER BY
//! (the same keys, the primary key last) gives, with `hasNextPage`, `hasPreviousPage` and
//! `totalCount` right on every page. A second property walks the same way through a
//! relation's nested list (the `kids` of a parent `v_kpp` row, its `g` matching theirs),
//! every parent's page in one statement per step: one parent's list is walked with its
//! cursors, and on the first step every other parent's page is its own first (last) page, and
//! every parent's `totalCount` its own.
//!
//! The data is temporary tables and views (`v_kp`, `v_kpp`) of this session only.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use qb_core::{CompileOptions, Query, Schema, compile, encode_cursor};
use qb_testpg::{client, query_json_with};
use serde_json::{Value as Json, json};

mod common;
use common::config;

const CASES: u32 = 120;

const REGISTRY: &str = r#"{"views": {"v_kp": {"primary_key": ["id"],
    "columns": {"id": "integer", "g": "text"},
    "fields": {"a": "integer", "b": "text", "c": "numeric", "d": "timestamptz",
               "e": "date", "f": "boolean", "u": "uuid", "o": {"fields": {"x": "integer", "y": "text"}}}},
    "v_kpp": {"primary_key": ["id"], "columns": {"id": "integer", "g": "text"},
        "relations": {"kids": {"view": "v_kp", "kind": "one_to_many", "join": {"g": "g"}}}}}}"#;

/// Every value a key takes, NULLs (missing key and JSON null) and ties included.
fn setup(client: &mut postgres::Client) {
    client
        .batch_execute(
            "CREATE TEMP TABLE kp (id integer PRIMARY KEY, g text, data jsonb NOT NULL);
             CREATE TEMP VIEW v_kp AS SELECT id, g, data FROM kp;
             CREATE TEMP TABLE kpp (id integer PRIMARY KEY, g text, data jsonb NOT NULL);
             CREATE TEMP VIEW v_kpp AS SELECT id, g, data FROM kpp;
             INSERT INTO kpp VALUES (1, 'a', '{}'), (2, 'b', '{}'), (3, 'c', '{}'),
                                    (4, NULL, '{}'), (5, 'z', '{}');
             INSERT INTO kp
             SELECT i,
                    CASE WHEN i % 5 = 0 THEN NULL ELSE chr(97 + i % 3) END,
                    jsonb_strip_nulls(jsonb_build_object('keep', 1,
                        'a', CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 3) % 4 END,
                        'c', CASE WHEN i % 4 = 0 THEN NULL ELSE ((i % 3) - 1) * 1.5 END,
                        'd', CASE WHEN i % 6 = 0 THEN NULL
                                  ELSE to_char(timestamptz '2024-01-01 00:00+00'
                                       + (i % 4) * interval '1 hour', 'YYYY-MM-DD\"T\"HH24:MI:SSOF') END,
                        'e', CASE WHEN i % 9 = 0 THEN NULL ELSE (date '2024-02-28' + i % 3)::text END,
                        'f', CASE WHEN i % 8 = 0 THEN NULL ELSE i % 2 = 0 END,
                        'u', CASE WHEN i % 5 = 1 THEN NULL
                                  ELSE '00000000-0000-0000-0000-00000000000' || (i % 3) END,
                        'o', CASE WHEN i % 10 = 0 THEN NULL
                                  ELSE jsonb_build_object('x', CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 END,
                                                          'y', chr(65 + i % 2)) END))
                    || CASE WHEN i % 11 = 0 THEN '{\"a\": null, \"b\": null}'::jsonb
                            WHEN i % 2 = 0 THEN jsonb_build_object('b', chr(120 + i % 3))
                            ELSE '{}'::jsonb END
             FROM generate_series(1, 45) AS i;",
        )
        .unwrap();
}

#[derive(Debug, Clone)]
struct Key {
    field: &'static str,
    desc: bool,
    nulls: Option<bool>,
}

fn key() -> impl Strategy<Value = Key> {
    (
        prop::sample::select(vec![
            "a", "b", "c", "d", "e", "f", "u", "o.x", "o.y", "g", "id",
        ]),
        any::<bool>(),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(field, desc, nulls)| Key { field, desc, nulls })
}

fn order_json(keys: &[Key]) -> Json {
    Json::Array(
        keys.iter()
            .map(|k| {
                let mut o = json!({"field": k.field, "direction": if k.desc {"desc"} else {"asc"}});
                if let Some(last) = k.nulls {
                    o["nulls"] = json!(if last { "last" } else { "first" });
                }
                o
            })
            .collect(),
    )
}

fn run(
    client: &mut postgres::Client,
    schema: &Schema,
    q: &Json,
    options: &CompileOptions,
) -> Result<Vec<Json>, TestCaseError> {
    let query =
        Query::from_json(&q.to_string()).map_err(|e| TestCaseError::fail(format!("{e}\n{q}")))?;
    let out =
        compile(&query, schema, options).map_err(|e| TestCaseError::fail(format!("{e}\n{q}")))?;
    match query_json_with(client, &out.sql, &out.pg_params()) {
        Ok(Json::Array(rows)) => Ok(rows),
        other => Err(TestCaseError::fail(format!("{other:?}\n{}", out.sql))),
    }
}

fn id(row: &Json) -> i64 {
    row["data"]["id"].as_i64().unwrap()
}

#[test]
fn walking_all_pages_returns_every_row_once_in_order() {
    let mut c = client();
    setup(&mut c);
    let schema = Schema::from_json(REGISTRY).unwrap();
    let c = std::cell::RefCell::new(c);
    let strategy = (
        prop::collection::vec(key(), 1..4),
        1u64..8,
        prop::option::of(0i64..4),
        any::<bool>(),
    );
    TestRunner::new(config(CASES))
        .run(&strategy, |(keys, size, filter, signed)| {
            let c = &mut *c.borrow_mut();
            let options = if signed {
                CompileOptions::default().with_cursor_key(b"a test key of some length")
            } else {
                CompileOptions::default()
            };
            let mut base = json!({"view": "v_kp", "select": ["id"], "order_by": order_json(&keys)});
            if let Some(v) = filter {
                base["where"] = json!({"or": [{"a": {"neq": v}}, {"c": {"isnull": true}}]});
            }
            // The reference: a plain ORDER BY of the same keys, the primary key last.
            let mut plain = base.clone();
            let mut all_keys = keys.clone();
            all_keys.push(Key {
                field: "id",
                desc: false,
                nulls: None,
            });
            plain["order_by"] = order_json(&all_keys);
            let want: Vec<i64> = run(c, &schema, &plain, &options)?.iter().map(id).collect();
            let total = want.len();

            // Forward.
            let mut got = Vec::new();
            let mut after: Option<String> = None;
            for page_no in 0.. {
                prop_assert!(page_no <= total + 1, "no end going forward");
                let mut q = base.clone();
                q["first"] = json!(size);
                q["page_info"] = json!(true);
                q["total_count"] = json!(true);
                if let Some(a) = &after {
                    q["after"] = json!(a);
                }
                let rows = run(c, &schema, &q, &options)?;
                prop_assert!(!rows.is_empty());
                prop_assert_eq!(rows[0]["__total_count"].as_u64(), Some(total as u64));
                prop_assert_eq!(rows[0]["__has_previous_page"].as_bool(), Some(page_no > 0));
                let edges: Vec<&Json> = rows.iter().filter(|r| !r["__cursor"].is_null()).collect();
                prop_assert!(edges.len() as u64 <= size);
                got.extend(edges.iter().map(|r| id(r)));
                let next = rows[0]["__has_next_page"].as_bool().unwrap();
                prop_assert_eq!(next, got.len() < total, "hasNextPage at {}", got.len());
                if !next {
                    break;
                }
                let last = edges.last().unwrap()["__cursor"].as_str().unwrap();
                after = Some(encode_cursor(last, &options).unwrap());
            }
            prop_assert_eq!(&got, &want, "forward {}", base);

            // Backward.
            let mut got: Vec<i64> = Vec::new();
            let mut before: Option<String> = None;
            for page_no in 0.. {
                prop_assert!(page_no <= total + 1, "no end going backward");
                let mut q = base.clone();
                q["last"] = json!(size);
                q["page_info"] = json!(true);
                if let Some(b) = &before {
                    q["before"] = json!(b);
                }
                let rows = run(c, &schema, &q, &options)?;
                prop_assert_eq!(rows[0]["__has_next_page"].as_bool(), Some(page_no > 0));
                let edges: Vec<&Json> = rows.iter().filter(|r| !r["__cursor"].is_null()).collect();
                let mut page: Vec<i64> = edges.iter().map(|r| id(r)).collect();
                page.extend(got);
                got = page;
                let previous = rows[0]["__has_previous_page"].as_bool().unwrap();
                prop_assert_eq!(
                    previous,
                    got.len() < total,
                    "hasPreviousPage at {}",
                    got.len()
                );
                if !previous {
                    break;
                }
                let first = edges[0]["__cursor"].as_str().unwrap();
                before = Some(encode_cursor(first, &options).unwrap());
            }
            prop_assert_eq!(&got, &want, "backward {}", base);

            // Without page_info: the same pages (forward plain statement, backward wrapped).
            if total > 0 {
                let mut q = base.clone();
                q["first"] = json!(size);
                let rows = run(c, &schema, &q, &options)?;
                let n = rows.len();
                prop_assert_eq!(rows.iter().map(id).collect::<Vec<_>>(), want[..n].to_vec());
                let mut q = base.clone();
                q["last"] = json!(size);
                let rows = run(c, &schema, &q, &options)?;
                let n = rows.len();
                prop_assert_eq!(
                    rows.iter().map(id).collect::<Vec<_>>(),
                    want[total - n..].to_vec()
                );
            }
            Ok(())
        })
        .unwrap();
}

/// The ids of a nested list's edges.
fn edge_ids(list: &Json) -> Vec<i64> {
    list["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn walking_a_nested_lists_pages_returns_every_row_once_in_order() {
    let mut c = client();
    setup(&mut c);
    let schema = Schema::from_json(REGISTRY).unwrap();
    let c = std::cell::RefCell::new(c);
    let strategy = (
        prop::collection::vec(key(), 1..4),
        1u64..6,
        prop::option::of(0i64..4),
        any::<bool>(),
        1i64..6,
    );
    TestRunner::new(config(CASES / 2))
        .run(&strategy, |(keys, size, filter, signed, walked)| {
            let c = &mut *c.borrow_mut();
            let options = if signed {
                CompileOptions::default().with_cursor_key(b"a test key of some length")
            } else {
                CompileOptions::default()
            };
            let mut list = json!({"field": "kids", "select": ["id"], "order_by": order_json(&keys)});
            if let Some(v) = filter {
                list["where"] = json!({"or": [{"a": {"neq": v}}, {"c": {"isnull": true}}]});
            }
            let query = |list: Json| {
                json!({"view": "v_kpp", "select": ["id", list], "order_by": [{"field": "id"}]})
            };
            // The reference: every parent's whole list in the same order (a plain nested
            // list orders ties by the primary key).
            let want: Vec<Vec<i64>> = run(c, &schema, &query(list.clone()), &options)?
                .iter()
                .map(|r| {
                    r["data"]["kids"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|k| k["id"].as_i64().unwrap())
                        .collect()
                })
                .collect();
            let w = (walked - 1) as usize;
            let total = want[w].len();

            for backward in [false, true] {
                let (size_key, cursor_key) = if backward {
                    ("last", "before")
                } else {
                    ("first", "after")
                };
                let mut got: Vec<i64> = Vec::new();
                let mut cursor: Option<String> = None;
                for page_no in 0.. {
                    prop_assert!(page_no <= total + 1, "no end");
                    let mut l = list.clone();
                    l[size_key] = json!(size);
                    l["page_info"] = json!(true);
                    l["total_count"] = json!(true);
                    if let Some(cur) = &cursor {
                        l[cursor_key] = json!(cur);
                    }
                    let rows = run(c, &schema, &query(l), &options)?;
                    prop_assert_eq!(rows.len(), want.len());
                    for (i, row) in rows.iter().enumerate() {
                        let kids = &row["data"]["kids"];
                        prop_assert_eq!(kids["totalCount"].as_u64(), Some(want[i].len() as u64));
                        if i != w && page_no == 0 {
                            // Every other parent's own first (last) page, unaffected.
                            let n = want[i].len().min(size as usize);
                            let page = if backward {
                                want[i][want[i].len() - n..].to_vec()
                            } else {
                                want[i][..n].to_vec()
                            };
                            prop_assert_eq!(edge_ids(kids), page, "parent {}", i + 1);
                        }
                    }
                    let kids = &rows[w]["data"]["kids"];
                    let edges = kids["edges"].as_array().unwrap();
                    prop_assert!(edges.len() as u64 <= size);
                    let page = edge_ids(kids);
                    let info = &kids["pageInfo"];
                    let (more, earlier) = if backward {
                        ("hasPreviousPage", "hasNextPage")
                    } else {
                        ("hasNextPage", "hasPreviousPage")
                    };
                    prop_assert_eq!(info[earlier].as_bool(), Some(page_no > 0));
                    if backward {
                        let mut all = page;
                        all.extend(got);
                        got = all;
                    } else {
                        got.extend(page);
                    }
                    let has_more = info[more].as_bool().unwrap();
                    prop_assert_eq!(has_more, got.len() < total, "{} at {}", more, got.len());
                    if !has_more {
                        break;
                    }
                    let edge = if backward { &edges[0] } else { &edges[edges.len() - 1] };
                    let text = edge["cursor"].as_str().unwrap();
                    cursor = Some(encode_cursor(text, &options).unwrap());
                }
                prop_assert_eq!(&got, &want[w], "backward {}: {}", backward, list);
            }
            Ok(())
        })
        .unwrap();
}
