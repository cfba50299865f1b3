//! The shape cache never changes a result: random queries, many differing only slightly
//! (another operator, path, operand kind, list vs scalar, limit present or not, nesting,
//! camelCase, placeholder style, bad operands, keyset pages with good and bad cursors),
//! compiled through one small shared cache (so
//! shapes are evicted and re-planned) and through a prepared plan, give exactly what an
//! uncached compile gives: the same SQL and parameters, or the same error (code, path and
//! message).
//!
//! `QB_CACHE_CASES` sets the number of base queries (each compiled with 16 variants, under
//! two option sets); `make test-long` runs a million queries.

use qb_core::{
    CompileOptions, CompiledQuery, Error, Limits, OperandKind, ParamValue, Query, Schema,
    ShapeCache, SharedQuery, SourceCompiled, Value, compile, encode_cursor,
};
use serde_json::{Value as J, json};

/// A small deterministic generator (xorshift64*): a failure prints its seed and query.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn schema() -> Schema {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/schema.json"
    );
    let text = std::fs::read_to_string(path).expect("the golden registry");
    Schema::from_json(&text).expect("registry")
}

/// Paths of `v_user` a condition may name: every type, camelCase spellings, a nested object
/// field, relation paths, an unknown field.
const PATHS: &[&str] = &[
    "id",
    "email",
    "name",
    "nick_name",
    "nickName",
    "age",
    "score",
    "active",
    "birth_date",
    "birthDate",
    "last_login",
    "lastLogin",
    "ip_address",
    "ipAddress",
    "network",
    "mac",
    "category_path",
    "vacation",
    "search",
    "tags",
    "lucky_numbers",
    "metadata",
    "profile.city",
    "location",
    "embedding",
    "created_at",
    "manager",
    "manager.name",
    "manager.age",
    "nope",
];

const OPS: &[&str] = &[
    "eq",
    "neq",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "nin",
    "contains",
    "icontains",
    "startswith",
    "iendswith",
    "like",
    "ilike",
    "matches",
    "imatches",
    "isnull",
    "is_ipv4",
    "is_ipv6",
    "is_private",
    "is_public",
    "is_loopback",
    "in_subnet",
    "in_range",
    "ancestor_of",
    "descendant_of",
    "matches_lquery",
    "matches_ltxtquery",
    "matches_any_lquery",
    "depth_eq",
    "contains_date",
    "overlaps",
    "adjacent",
    "plain_query",
    "websearch_query",
    "rank_gt",
    "rank_cd_lte",
    "cosine_distance",
    "l2_distance",
    "inner_product",
    "distance_within",
    "has_key",
    "has_any_keys",
    "path_exists",
    "strictly_contains",
    "contained_by",
    "any_eq",
    "all_eq",
    "len_gt",
    "len_eq",
    "bogus_op",
];

/// An operand: mostly well-formed values of some type, sometimes a bad one.
fn operand(r: &mut Rng, depth: usize) -> J {
    let scalars = [
        json!(r.below(200) as i64 - 20),
        json!(-1),
        json!(2.5),
        json!("12.75"),
        json!(true),
        json!(false),
        json!(null),
        json!("alice"),
        json!("50%_off\\"),
        json!(""),
        json!("ab\\"),
        json!("a.b.c"),
        json!("a.*.c"),
        json!("a & b"),
        json!("Top.Science"),
        json!("2024-01-31"),
        json!("2024-02-30"),
        json!("today"),
        json!("2024-01-31T10:00:00Z"),
        json!("2024-01-31 10:00"),
        json!("10.1.2.3"),
        json!("::1"),
        json!("192.168.0.0/16"),
        json!("10.0.0.0/33"),
        json!("08:00:2b:01:02:03"),
        json!("[2024-01-01,2024-02-01)"),
        json!("0c5e4c1f-3c2b-4f7e-9d8a-6b1e2f3a4b5c"),
        json!("not-a-uuid"),
        json!("$.a ? (@ > 1)"),
        json!("$$"),
        json!(9_223_372_036_854_775_807i64),
        json!(1e300),
    ];
    match r.below(10) {
        0..=4 => r.pick(&scalars).clone(),
        5 | 6 if depth < 2 => {
            let n = r.below(4);
            J::Array((0..n).map(|_| operand(r, depth + 1)).collect())
        }
        7 if depth < 2 => {
            let keys = [
                "query",
                "language",
                "threshold",
                "vector",
                "lat",
                "lng",
                "meters",
                "from",
                "to",
                "a",
            ];
            let mut m = serde_json::Map::new();
            for _ in 0..r.below(4) {
                m.insert((*r.pick(&keys)).to_owned(), operand(r, depth + 1));
            }
            J::Object(m)
        }
        _ => {
            // Operands shaped for the structured operators.
            let objects = [
                json!({"query": "cat & dog", "language": "simple"}),
                json!({"query": "cats", "threshold": 0.1}),
                json!({"query": "cats", "threshold": 0.1, "language": "english"}),
                json!({"query": "cats", "language": "no such; config"}),
                json!({"vector": [0.1, 0.2, 0.3], "threshold": 0.5}),
                json!({"vector": "[1,2]", "threshold": "x"}),
                json!({"lat": 48.8, "lng": 2.35, "meters": 1000}),
                json!({"lat": 91, "lng": 2.35, "meters": 1000}),
                json!({"from": "10.0.0.1", "to": "10.0.0.9"}),
                json!({"from": "10.0.0.1", "to": "nope"}),
                json!(["a.b", "c.*"]),
                json!(["x", 1]),
                json!({"a": 1, "b": [true, null]}),
            ];
            r.pick(&objects).clone()
        }
    }
}

/// Well-typed conditions (path, operator, operand), one per kind of parameter slot.
fn typed(r: &mut Rng) -> (&'static str, &'static str, J) {
    let n = r.below(1000) as i64;
    let text = r.pick(&["alice", "50%_off", "x\\y", "", "Ünï"]).to_string();
    let all = [
        ("age", "eq", json!(n)),
        ("age", "gte", json!(n)),
        ("age", "in", json!([n, n + 1])),
        ("age", "nin", json!([])),
        ("score", "lt", json!(format!("{n}.5"))),
        ("name", "eq", json!(text)),
        ("nickName", "icontains", json!(text)),
        ("name", "startswith", json!(text)),
        ("name", "like", json!(format!("{text}%"))),
        ("name", "imatches", json!("^a.*")),
        ("name", "isnull", json!(r.chance(2))),
        ("id", "eq", json!("0c5e4c1f-3c2b-4f7e-9d8a-6b1e2f3a4b5c")),
        ("birthDate", "gte", json!(format!("20{:02}-01-31", n % 100))),
        ("last_login", "lt", json!("2024-01-31T10:00:00+02:00")),
        (
            "ip_address",
            "in_subnet",
            json!(format!("10.{}.0.0/16", n % 256)),
        ),
        (
            "ip_address",
            "in_range",
            json!({"from": "10.0.0.1", "to": format!("10.0.0.{}", n % 256)}),
        ),
        ("ip_address", "is_private", json!(r.chance(2))),
        ("ip_address", "is_ipv4", json!(r.chance(2))),
        ("active", "eq", json!(r.chance(2))),
        ("category_path", "descendant_of", json!("top.science")),
        ("category_path", "matches_lquery", json!("top.*")),
        (
            "category_path",
            "matches_ltxtquery",
            json!("science & !art"),
        ),
        (
            "category_path",
            "matches_any_lquery",
            json!(["top.*", "*.art"]),
        ),
        ("category_path", "depth_gt", json!(n % 5)),
        ("vacation", "contains_date", json!("2024-06-01")),
        ("vacation", "overlaps", json!("[2024-01-01,2024-02-01)")),
        ("search", "websearch_query", json!(text)),
        (
            "search",
            "plain_query",
            json!({"query": text, "language": "simple"}),
        ),
        (
            "search",
            "rank_gt",
            json!({"query": "cats", "threshold": n as f64 / 1000.0}),
        ),
        (
            "embedding",
            "cosine_distance",
            json!({"vector": [0.5, n as f64], "threshold": 0.3}),
        ),
        (
            "location",
            "distance_within",
            json!({"lat": 48.8, "lng": 2.3, "meters": n}),
        ),
        ("metadata", "contains", json!({"a": n})),
        ("metadata", "strictly_contains", json!({"b": [n]})),
        ("metadata", "has_key", json!(text)),
        ("metadata", "has_any_keys", json!(["a", text])),
        ("metadata", "path_exists", json!("$.a")),
        ("tags", "contains", json!([text])),
        ("tags", "overlaps", json!(["a", "b"])),
        ("tags", "any_eq", json!(text)),
        ("tags", "len_gt", json!(n % 7)),
        ("lucky_numbers", "eq", json!([n, 7])),
        ("profile.city", "eq", json!(text)),
        ("manager.age", "lt", json!(n)),
        ("manager", "isnull", json!(r.chance(2))),
        ("mac", "eq", json!("08:00:2b:01:02:03")),
        ("created_at", "gt", json!("2024-01-31T10:00:00Z")),
    ];
    r.pick(&all).clone()
}

fn condition(r: &mut Rng) -> J {
    let (path, op, value) = if r.chance(4) {
        (*r.pick(PATHS), *r.pick(OPS), operand(r, 0))
    } else {
        typed(r)
    };
    let mut leaf = json!({ op: value });
    for seg in path.rsplit('.') {
        leaf = json!({ seg: leaf });
    }
    leaf
}

fn filter(r: &mut Rng, depth: usize) -> J {
    match r.below(if depth > 2 { 1 } else { 6 }) {
        0..=2 => condition(r),
        3 => json!({"and": (0..r.below(3) + 1).map(|_| filter(r, depth + 1)).collect::<Vec<_>>()}),
        4 => json!({"or": (0..r.below(3) + 1).map(|_| filter(r, depth + 1)).collect::<Vec<_>>()}),
        _ => json!({"not": filter(r, depth + 1)}),
    }
}

/// The key cursors are signed with under the second option set.
const KEY: &[u8] = b"cursor key";

/// The fingerprint (16 hex digits) of `view` ordered by `order_by`: read from the paged
/// statement's `__cursor` column, as an application reads it.
fn fingerprint(schema: &Schema, view: &str, order_by: &J) -> String {
    let q = json!({"view": view, "select": ["id"], "order_by": order_by, "first": 1});
    let q = Query::from_json(&q.to_string()).expect("query");
    let sql = compile(&q, schema, &CompileOptions::default())
        .expect("paged")
        .sql;
    let at = sql.find("jsonb_build_array('").expect("the cursor column") + 19;
    sql[at..at + 16].to_owned()
}

/// A cursor for `q`'s page: random key values (good, of another type, NULL), signed with
/// [`KEY`], another key or unsigned; sometimes for another ordering or view, or tampered.
fn cursor(r: &mut Rng, q: &J, schema: &Schema) -> J {
    let desc = q.get("order_by").is_some();
    let (view, order) = match r.below(12) {
        0 => ("v_post", json!([])),
        1 => (
            "v_user",
            if desc {
                json!([])
            } else {
                json!([{"field": "age", "direction": "desc"}])
            },
        ),
        _ => ("v_user", q.get("order_by").cloned().unwrap_or(json!([]))),
    };
    let mut values = vec![json!(fingerprint(schema, view, &order))];
    if desc {
        values.push(match r.below(6) {
            0 => J::Null,
            1 => json!("1.5"),
            2 => json!("old"),
            _ => json!((r.below(100) as i64 - 5).to_string()),
        });
    }
    values.push(match r.below(8) {
        0 => J::Null,
        1 => json!("not-a-uuid"),
        _ => json!(format!("00000000-0000-4000-8000-{:012x}", r.below(1 << 20))),
    });
    if r.chance(10) {
        values.push(json!("1"));
    }
    let options = match r.below(10) {
        0..=4 => CompileOptions::default(),
        5 => CompileOptions::default().with_cursor_key(b"another key"),
        _ => CompileOptions::default().with_cursor_key(KEY),
    };
    let mut c = encode_cursor(&J::Array(values).to_string(), &options).expect("encodes");
    if r.chance(10) {
        // Tampered: one character changed.
        let at = r.below(c.len());
        let ch = if c.as_bytes()[at] == b'A' { "B" } else { "A" };
        c.replace_range(at..=at, ch);
    }
    json!(c)
}

/// `q` as a keyset page (in place of limit/offset): `first` or `last`, a cursor or none,
/// `page_info` and `total_count` sometimes; rarely a wrong mix (both sizes, `after` with
/// `last`, a size with `limit`).
fn page(r: &mut Rng, q: &mut J, schema: &Schema) {
    let m = q.as_object_mut().expect("object");
    if !r.chance(20) {
        m.remove("limit");
    }
    m.remove("offset");
    let backward = r.chance(2);
    let size = json!(r.below(20));
    m.insert((if backward { "last" } else { "first" }).into(), size);
    if r.chance(20) {
        m.insert("first".into(), json!(3));
    }
    if !r.chance(3) {
        let at = if backward != r.chance(20) {
            "before"
        } else {
            "after"
        };
        let c = cursor(r, q, schema);
        q[at] = c;
    }
    if r.chance(2) {
        q["page_info"] = json!(true);
    }
    if r.chance(3) {
        q["total_count"] = json!(true);
    }
}

/// A cursor for the keyset page of `sel` (the `posts` list of a `v_user` query): random
/// key values, signed or not; sometimes the root's or another ordering's (a mismatch).
fn nested_cursor(r: &mut Rng, sel: &J, schema: &Schema) -> J {
    let order = match r.below(8) {
        0 => json!([{"field": "title"}]),
        _ => sel.get("order_by").cloned().unwrap_or(json!([])),
    };
    if r.chance(8) {
        // The root's cursor: another fingerprint.
        return cursor(r, &json!({}), schema);
    }
    let q = json!({"view": "v_user", "select": [
        {"field": "posts", "select": ["id"], "order_by": order, "first": 1}]});
    let fp = fingerprint_of(schema, &q);
    let mut values = vec![json!(fp)];
    if !order.as_array().is_none_or(Vec::is_empty) {
        values.push(match r.below(6) {
            0 => J::Null,
            1 => json!("x"),
            _ => json!((r.below(100) as i64 - 5).to_string()),
        });
    }
    values.push(match r.below(8) {
        0 => J::Null,
        1 => json!("not-a-uuid"),
        _ => json!(format!("00000000-0000-4000-8000-{:012x}", r.below(1 << 20))),
    });
    let options = match r.below(10) {
        0..=4 => CompileOptions::default(),
        _ => CompileOptions::default().with_cursor_key(KEY),
    };
    json!(encode_cursor(&J::Array(values).to_string(), &options).expect("encodes"))
}

/// The fingerprint the first `__cursor` of `q`'s statement carries.
fn fingerprint_of(schema: &Schema, q: &J) -> String {
    let q = Query::from_json(&q.to_string()).expect("query");
    let sql = compile(&q, schema, &CompileOptions::default())
        .expect("paged")
        .sql;
    let at = sql.find("jsonb_build_array('").expect("the cursor column") + 19;
    sql[at..at + 16].to_owned()
}

/// The selected list `sel` as a keyset page: `first` or `last` (rarely both, or with its
/// `limit`), a cursor or none, `page_info` and `total_count` sometimes.
fn nested_page(r: &mut Rng, sel: &mut J, schema: &Schema) {
    let m = sel.as_object_mut().expect("object");
    if !r.chance(20) {
        m.remove("limit");
    }
    if r.chance(2) {
        m.insert(
            "order_by".into(),
            json!([{"field": "views", "direction": "desc"}]),
        );
    }
    let backward = r.chance(2);
    m.insert(
        (if backward { "last" } else { "first" }).into(),
        json!(r.below(20)),
    );
    if r.chance(20) {
        m.insert("first".into(), json!(3));
    }
    if !r.chance(3) {
        let at = if backward != r.chance(20) {
            "before"
        } else {
            "after"
        };
        let c = nested_cursor(r, sel, schema);
        sel[at] = c;
    }
    if r.chance(2) {
        sel["page_info"] = json!(true);
    }
    if r.chance(3) {
        sel["total_count"] = json!(true);
    }
}

/// A base query: selection, filter, order, page; sometimes a nested list relation with its
/// own filter and limit, or its own keyset page; sometimes a keyset page.
fn base(r: &mut Rng, schema: &Schema) -> J {
    let mut q = json!({"view": "v_user", "select": ["id", "name"]});
    if r.chance(3) {
        q["select"] = json!([
            "id",
            {"field": "posts", "select": ["title"], "where": {"views": {"gt": 1}}, "limit": 5}
        ]);
        if r.chance(2) {
            nested_page(r, &mut q["select"][1], schema);
        }
    }
    q["where"] = filter(r, 0);
    if r.chance(2) {
        q["order_by"] = json!([{"field": "age", "direction": "desc"}]);
    }
    if r.chance(2) {
        q["limit"] = json!(r.below(100));
    }
    if r.chance(3) {
        q["offset"] = json!(r.below(10));
    }
    if r.chance(4) {
        page(r, &mut q, schema);
    }
    q
}

/// A variant of `q` differing slightly: other operand values (same shape), another operand
/// or operator or path, a limit added or removed, one more level of nesting, camelCase off;
/// for a page, another cursor or page size (same shape) or `page_info` toggled.
fn variant(r: &mut Rng, q: &J, schema: &Schema) -> J {
    let mut v = q.clone();
    let nested = &q["select"][1];
    let nested_paged = ["first", "last"].iter().any(|k| nested.get(k).is_some());
    if nested_paged && r.chance(3) {
        // Another page of the list: same shape.
        let sel = &mut v["select"][1];
        for size in ["first", "last"] {
            if sel.get(size).is_some() && r.chance(2) {
                sel[size] = json!(r.below(50));
            }
        }
        for at in ["after", "before"] {
            if sel.get(at).is_some() {
                sel[at] = nested_cursor(r, nested, schema);
            }
        }
        if r.chance(4) {
            sel["page_info"] = json!(nested.get("page_info").is_none());
        }
        return v;
    }
    let paged = ["first", "last"].iter().any(|k| q.get(k).is_some());
    if paged && r.chance(2) {
        for size in ["first", "last"] {
            if v.get(size).is_some() && r.chance(2) {
                v[size] = json!(r.below(50));
            }
        }
        for at in ["after", "before"] {
            if v.get(at).is_some() {
                v[at] = cursor(r, q, schema);
            }
        }
        if r.chance(4) {
            v["page_info"] = json!(q.get("page_info").is_none());
        }
        return v;
    }
    match r.below(8) {
        0..=2 => revalue(r, &mut v["where"]),
        3 => v["where"] = json!({"and": [v["where"].clone(), condition(r)]}),
        4 => v["where"] = json!({"not": v["where"].clone()}),
        5 if paged => revalue(r, &mut v["where"]),
        5 => match v.get("limit") {
            Some(_) => {
                v.as_object_mut().expect("object").remove("limit");
            }
            None => v["limit"] = json!(r.below(50)),
        },
        6 => v["camel_case"] = json!(r.chance(2)),
        _ => {
            if let Some(sel) = v["select"].get_mut(1) {
                if sel.is_object() {
                    sel["limit"] = json!(r.below(1000));
                    sel["where"] = filter(r, 1);
                }
            }
        }
    }
    v
}

/// Replaces operand values in place, keeping operators and paths (so most variants have the
/// same shape and hit the cache; a replaced `isnull` operand changes the shape).
fn revalue(r: &mut Rng, f: &mut J) {
    let Some(m) = f.as_object_mut() else {
        if let Some(items) = f.as_array_mut() {
            for i in items {
                revalue(r, i);
            }
        }
        return;
    };
    for (k, v) in m.iter_mut() {
        if OPS.contains(&k.as_str()) {
            *v = match v {
                J::Number(_) if r.chance(2) => json!(r.below(1000) as i64 - 5),
                J::String(s) if r.chance(2) => json!(format!("{s}x")),
                J::Array(items) if r.chance(2) => {
                    let mut items = items.clone();
                    if r.chance(2) {
                        items.pop();
                    } else {
                        items.push(operand(r, 1));
                    }
                    J::Array(items)
                }
                _ => operand(r, 0),
            };
        } else {
            revalue(r, v);
        }
    }
}

type Outcome = Result<CompiledQuery, (String, String, String)>;

fn outcome(r: Result<CompiledQuery, Error>) -> Outcome {
    r.map_err(|e| {
        (
            e.kind().code().to_owned(),
            e.path().to_owned(),
            e.message().to_owned(),
        )
    })
}

/// A document the parser or the document reader may refuse or read the full way: a bad
/// count, a float outside an operand, a cursor that is not a string, a key that does not
/// render in a path, an unknown key, upper-case junctions, a list where an object goes.
fn malform(r: &mut Rng, q: &J) -> J {
    let mut v = q.clone();
    match r.below(10) {
        0 => v["limit"] = json!(-1),
        1 => v["limit"] = json!(1.5),
        2 => v["after"] = json!(3),
        3 => v["where"] = json!({"a.b": {"eq": 1}}),
        4 => v["whereX"] = json!(1),
        5 => v["where"] = json!({"AND": [v["where"].clone(), {"OR": [condition(r)]}]}),
        6 => v["where"] = json!([v["where"].clone()]),
        7 => v["select"] = json!([]),
        8 => v["distinct"] = json!(2.5),
        _ => {
            if let Some(sel) = v["select"].get_mut(1) {
                if sel.is_object() {
                    sel["where"] = json!({"NOT": filter(r, 1)});
                }
            }
        }
    }
    v
}

/// A document read as `&Value` reads it, but as a host that holds no `Value` reads it
/// (`Source::as_value` is `None`): with `share`, a document hit keeps its operands where the
/// host holds them and reads them in place (`Source::share`); without, it converts them first.
struct Host<'v> {
    doc: &'v Value,
    share: bool,
}

impl qb_core::ast::Source for Host<'_> {
    fn kind(&self, at: &qb_core::Path<'_>) -> Result<qb_core::ast::Kind, Error> {
        self.doc.kind(at)
    }
    fn str(&self, at: &qb_core::Path<'_>) -> Result<std::borrow::Cow<'_, str>, Error> {
        qb_core::ast::Source::str(&self.doc, at)
    }
    fn len(&self) -> usize {
        qb_core::ast::Source::len(&self.doc)
    }
    fn entries<F>(self, at: &qb_core::Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(&str, Self) -> Result<(), Error>,
    {
        let share = self.share;
        self.doc.entries(at, |k, doc| f(k, Host { doc, share }))
    }
    fn items<F>(self, at: &qb_core::Path<'_>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(usize, Self) -> Result<(), Error>,
    {
        let share = self.share;
        self.doc.items(at, |i, doc| f(i, Host { doc, share }))
    }
    fn into_value(self, at: &qb_core::Path<'_>) -> Result<Value, Error> {
        self.doc.into_value(at)
    }
    fn share(&self) -> Option<Self> {
        self.share.then_some(Host {
            doc: self.doc,
            share: true,
        })
    }
}

/// Runs cases `from..to`, returning (compiles, successes, prepared binds, binds from values,
/// paged successes, of them nested pages).
fn run_cases(
    schema: &Schema,
    cache: &ShapeCache,
    docs: &ShapeCache,
    seed: u64,
    cases: std::ops::Range<u64>,
) -> (u64, u64, u64, u64, u64, u64) {
    let option_sets = [
        CompileOptions::default(),
        // Only camelCase off: every other option as the default's, so a key that forgot it
        // would hit the default's entries.
        CompileOptions::default().with_camel_case(false),
        CompileOptions::format()
            .with_camel_case(false)
            .with_cursor_key(KEY),
        CompileOptions::default().with_limits(Limits::default().with_max_nested_rows(10)),
    ];
    let (mut compiled, mut ok, mut bound, mut by_values, mut paged_ok) = (0, 0, 0, 0, 0);
    let (mut nested_ok, mut by_sources) = (0, 0);
    for case in cases {
        let mut r = Rng(seed ^ (case.wrapping_mul(0x1000_0000_01b3) | 1));
        let base = base(&mut r, schema);
        let mut queries = vec![base.clone()];
        for _ in 0..15 {
            let from = r.pick(&queries).clone();
            queries.push(variant(&mut r, &from, schema));
        }
        for _ in 0..3 {
            let from = r.pick(&queries).clone();
            queries.push(malform(&mut r, &from));
        }
        for options in &option_sets {
            let parsed: Vec<Result<Query, Error>> = queries
                .iter()
                .map(|q| Query::from_json(&q.to_string()))
                .collect();
            let prepared = parsed[0]
                .as_ref()
                .ok()
                .and_then(|q| schema.prepare(q, options).ok());
            for text in &queries {
                // From the document, as the bindings call it: what parsing it (with the
                // options' limits) and compiling it uncached give, errors included.
                let doc = qb_core::json::parse_value(&text.to_string()).expect("json");
                let want = outcome(
                    Query::from_value_with_limits(&doc, &options.limits)
                        .and_then(|q| compile(&q, schema, options)),
                );
                let got = outcome(docs.compile_source(|| &doc, schema, options));
                assert_eq!(got, want, "document, seed {seed} case {case}: {text}");
                // A host holding no `Value`s, sharing its nodes or not: its operands are read
                // in place, or converted first; the same result, from the same keys.
                for share in [true, false] {
                    let host = || Host { doc: &doc, share };
                    let got = outcome(docs.compile_source(host, schema, options));
                    assert_eq!(got, want, "host {share}, seed {seed} case {case}: {text}");
                }
            }
            for (q, text) in parsed.iter().zip(&queries) {
                let Ok(q) = q else { continue };
                let want = outcome(compile(q, schema, options));
                let nested = ["first", "last"]
                    .iter()
                    .any(|k| text["select"][1].get(k).is_some());
                let paged = nested || text.get("first").is_some() || text.get("last").is_some();
                paged_ok += u64::from(paged && want.is_ok());
                nested_ok += u64::from(nested && want.is_ok());
                let got = outcome(cache.compile(q, schema, options));
                assert_eq!(got, want, "seed {seed} case {case}: {text}");
                compiled += 1;
                ok += u64::from(want.is_ok());
                if let Some(p) = &prepared {
                    // Bound from the operand values alone: what compiling `q` gives.
                    if let Ok(values) = p.operand_values(q, schema) {
                        let got = outcome(p.bind_values(&values, schema));
                        assert_eq!(got, want, "bind_values, case {case}: {text}");
                        // Read in place: the same parameters whenever it binds at all.
                        let sources =
                            p.bind_sources_params(values.len(), |i| values.get(i), schema);
                        if let Some(params) = sources {
                            assert_eq!(
                                Ok(params),
                                p.bind_values_params(&values, schema),
                                "bind_sources_params, case {case}: {text}"
                            );
                            by_sources += 1;
                        }
                        by_values += 1;
                    }
                    match outcome(p.compile(q, schema)) {
                        Ok(out) => {
                            bound += 1;
                            assert_eq!(Ok(out), want, "prepared, case {case}: {text}");
                        }
                        // Another shape (shapes are conservative: two may give one SQL).
                        Err(e) if e.0 == "QB_INVALID_QUERY" && e.1.is_empty() => {}
                        Err(e) => assert_eq!(Err(e), want, "prepared, case {case}: {text}"),
                    }
                }
            }
        }
    }
    assert!(
        by_sources * 3 > by_values,
        "a third of the binds from values or more bind in place: {by_sources} of {by_values}"
    );
    (compiled, ok, bound, by_values, paged_ok, nested_ok)
}

/// Two threads share one small cache (so shapes are evicted and planned again while the
/// other thread hits them).
#[test]
fn cached_and_prepared_compiles_equal_uncached_ones() {
    let cases: u64 = std::env::var("QB_CACHE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let seed: u64 = std::env::var("QB_CACHE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let schema = schema();
    let cache = ShapeCache::new(64);
    let docs = ShapeCache::new(64);
    let half = cases / 2;
    let (a, b) = std::thread::scope(|s| {
        let t = s.spawn(|| run_cases(&schema, &cache, &docs, seed, 0..half));
        let b = run_cases(&schema, &cache, &docs, seed, half..cases);
        (t.join().expect("thread"), b)
    });
    let (compiled, ok, bound, by_values, paged_ok, nested_ok) = (
        a.0 + b.0,
        a.1 + b.1,
        a.2 + b.2,
        a.3 + b.3,
        a.4 + b.4,
        a.5 + b.5,
    );
    let stats = cache.stats();
    eprintln!(
        "{compiled} compiles ({ok} ok, {paged_ok} of them keyset pages, {nested_ok} nested), \
         {bound} prepared \
         binds, {by_values} from values; cache: {} hits ({} recompiled), {} misses, {} evictions",
        stats.hits, stats.recompiles, stats.misses, stats.evictions
    );
    // Bad operands and cursors are frequent on purpose; a fifth compile.
    assert!(
        ok * 5 > compiled,
        "too few queries compile: {ok} of {compiled}"
    );
    assert!(
        paged_ok * 30 > compiled,
        "too few keyset pages compile: {paged_ok}"
    );
    assert!(
        nested_ok * 60 > compiled,
        "too few nested keyset pages compile: {nested_ok}"
    );
    // Hits are bound from their plan (a hit with a bad operand is recompiled, to report it):
    // a good share of the successful compiles.
    assert!((stats.hits - stats.recompiles) * 3 > ok, "{stats:?}");
    // The document reader hits too (its hits count document and shape hits alike).
    let d = docs.stats();
    eprintln!(
        "documents: {} hits ({} from a document key, {} recompiled), {} misses, {} evictions",
        d.hits, d.document_hits, d.recompiles, d.misses, d.evictions
    );
    assert!((d.hits - d.recompiles) * 3 > ok, "{d:?}");
    assert!(d.document_hits * 2 > d.hits, "{d:?}");
    assert!(stats.evictions > 0 && bound > 0 && by_values >= bound);
}

/// Each operand of a prepared query is named by the path the compile's errors use: a value
/// no operand form takes, put in its place, fails there.
#[test]
fn operand_paths_are_the_compiles_error_paths() {
    let schema = schema();
    let options = CompileOptions::default();
    let bad = Value::Object(vec![("\u{1}".to_owned(), Value::List(Vec::new()))]);
    let mut checked = 0;
    for case in 0..300u64 {
        let mut r = Rng(0x5eed ^ (case.wrapping_mul(0x1000_0000_01b3) | 1));
        let text = base(&mut r, &schema).to_string();
        let Ok(q) = Query::from_json(&text) else {
            continue;
        };
        let Ok(p) = schema.prepare(&q, &options) else {
            continue;
        };
        let values = p.operand_values(&q, &schema).expect("its own shape");
        assert_eq!(values.len(), p.operands().len(), "{text}");
        assert_eq!(
            outcome(p.bind_values(&values, &schema)),
            outcome(compile(&q, &schema, &options)),
            "{text}"
        );
        for (i, operand) in p.operands().iter().enumerate() {
            if matches!(operand.kind, OperandKind::Json | OperandKind::Any) {
                continue;
            }
            let mut with_bad = values.clone();
            with_bad[i] = bad.clone();
            let e = p
                .bind_values(&with_bad, &schema)
                .expect_err("no operand takes it");
            assert!(
                e.path().starts_with(&operand.path),
                "{text}: operand {i} at {} ({}), error at {}: {}",
                operand.path,
                operand.kind,
                e.path(),
                e.message()
            );
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked}");
}

/// A wrong number of values, another registry, a count or cursor that is not one: coded
/// errors, never a bind.
#[test]
fn bind_values_refuses_what_is_not_an_operand_list() {
    let schema = schema();
    let q = Query::from_json(
        r#"{"view": "v_user", "select": ["id"], "where": {"age": {"gt": 3}, "email": {"isnull": false}}, "limit": 5}"#,
    )
    .expect("query");
    let p = schema
        .prepare(&q, &CompileOptions::default())
        .expect("prepares");
    let ops: Vec<(String, String)> = p
        .operands()
        .iter()
        .map(|o| (o.path.clone(), o.kind.to_string()))
        .collect();
    // `isnull`'s boolean is the prepared query's (it is SQL text), not an operand.
    assert_eq!(
        ops,
        [
            ("where.age.gt".into(), "integer".into()),
            ("limit".into(), "count".into())
        ]
    );
    let e = p
        .bind_values(&[Value::Int(1)], &schema)
        .expect_err("too few");
    assert_eq!((e.kind().code(), e.path()), ("QB_INVALID_QUERY", ""));
    let e = p
        .bind_values(&[Value::Int(1), Value::Int(-1)], &schema)
        .expect_err("a negative limit");
    assert_eq!(
        (e.kind().code(), e.path(), e.message()),
        (
            "QB_INVALID_VALUE",
            "limit",
            "limit must be a non-negative integer"
        )
    );
    let e = p
        .bind_values(&[Value::Int(1), Value::Str("5".into())], &schema)
        .expect_err("a string limit");
    assert_eq!((e.kind().code(), e.path()), ("QB_INVALID_QUERY", "limit"));
    let other = Schema::from_json(r#"{"views": {"v_user": {"columns": {"id": "uuid"}}}}"#)
        .expect("registry");
    let e = p
        .bind_values(&[Value::Int(1), Value::Int(5)], &other)
        .expect_err("another registry");
    assert_eq!(e.kind().code(), "QB_INVALID_QUERY");
    let out = p
        .bind_values(&[Value::Int(7), Value::Int(2)], &schema)
        .expect("binds");
    assert_eq!(out.sql, p.sql());
    assert_eq!(
        (&out.params[0].value, &out.params[1].value),
        (&ParamValue::Int(7), &ParamValue::Int(2))
    );
}

/// A paged query (compiled on every bind: its page parameters have no slots) binds its page
/// size and cursor from values too; `null` for the cursor is the first page.
#[test]
fn bind_values_pages() {
    let schema = schema();
    let options = CompileOptions::default();
    // The order's fingerprint, as the statement writes it first in its `__cursor` column.
    let first_page = compile(
        &Query::from_json(
            r#"{"view": "v_user", "select": ["id"], "order_by": [{"field": "age"}], "first": 1}"#,
        )
        .expect("query"),
        &schema,
        &options,
    )
    .expect("compiles");
    let at = first_page
        .sql
        .find("jsonb_build_array('")
        .expect("a cursor column")
        + 19;
    let fingerprint = &first_page.sql[at..at + 16];
    let cursor = |age: i64| {
        qb_core::encode_cursor(
            &format!(r#"["{fingerprint}", "{age}", "00000000-0000-0000-0000-00000000000{age}"]"#),
            &options,
        )
        .expect("cursor")
    };
    let page = |first: u64, after: Option<String>| {
        let mut q = serde_json::json!({"view": "v_user", "select": ["id"],
            "order_by": [{"field": "age"}], "first": first});
        if let Some(c) = after {
            q["after"] = serde_json::json!(c);
        }
        Query::from_json(&q.to_string()).expect("query")
    };
    let p = schema
        .prepare(&page(2, Some(cursor(1))), &options)
        .expect("prepares");
    let ops: Vec<(String, String)> = p
        .operands()
        .iter()
        .map(|o| (o.path.clone(), o.kind.to_string()))
        .collect();
    assert_eq!(
        ops,
        [
            ("first".into(), "count".into()),
            ("after".into(), "cursor".into())
        ]
    );
    let q2 = page(3, Some(cursor(4)));
    let want = compile(&q2, &schema, &options).expect("compiles");
    assert_eq!(
        p.bind_values(&p.operand_values(&q2, &schema).expect("its shape"), &schema),
        Ok(want)
    );
    assert_eq!(
        p.bind_values(&[Value::Int(3), Value::Null], &schema),
        compile(&page(3, None), &schema, &options)
    );
    let e = p
        .bind_values(&[Value::Int(3), Value::Str("x".into())], &schema)
        .expect_err("not a cursor");
    assert_eq!(
        Err(e),
        compile(&page(3, Some("x".into())), &schema, &options)
    );
}

/// A keyset page is bound from its plan on a hit (page size and cursor values from the new
/// query), and every bad cursor on a hit fails exactly as an uncached compile: tampered,
/// made for another ordering or view, unsigned when cursors are signed, signed with
/// another key, with a value not of its key's type, with too many values.
#[test]
fn keyset_pages_hit_and_bad_cursors_fail_as_uncached() {
    let schema = schema();
    let options = CompileOptions::default().with_cursor_key(KEY);
    let order = json!([{"field": "age", "direction": "desc"}]);
    let fp = fingerprint(&schema, "v_user", &order);
    let make = |values: J, key: Option<&[u8]>| {
        let mut o = CompileOptions::default();
        if let Some(k) = key {
            o = o.with_cursor_key(k);
        }
        let mut items = vec![json!(fp)];
        items.extend(values.as_array().expect("values").iter().cloned());
        encode_cursor(&J::Array(items).to_string(), &o).expect("encodes")
    };
    let query = |first: u64, cursor: &str| {
        let q = json!({"view": "v_user", "select": ["id", "name"], "order_by": order,
            "first": first, "after": cursor, "page_info": true, "total_count": true});
        Query::from_json(&q.to_string()).expect("query")
    };
    let uuid = "00000000-0000-4000-8000-000000000001";
    let cache = ShapeCache::new(16);
    let good = [
        make(json!(["30", uuid]), Some(KEY)),
        make(json!([null, uuid]), Some(KEY)),
        make(
            json!(["-7", "00000000-0000-4000-8000-0000000000ff"]),
            Some(KEY),
        ),
    ];
    for (i, c) in good.iter().enumerate() {
        let q = query(i as u64 + 2, c);
        let want = compile(&q, &schema, &options).expect("compiles");
        assert_eq!(cache.compile(&q, &schema, &options), Ok(want));
    }
    let s = cache.stats();
    assert_eq!((s.misses, s.hits, s.recompiles), (1, 2, 0), "{s:?}");

    let mut tampered = good[0].clone();
    let at = tampered.len() / 2;
    let ch = if tampered.as_bytes()[at] == b'A' {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(at..=at, ch);
    let other_order = {
        let fp = fingerprint(&schema, "v_user", &json!([]));
        let items = json!([fp, uuid]).to_string();
        encode_cursor(&items, &options).expect("encodes")
    };
    let other_view = {
        let fp = fingerprint(&schema, "v_post", &json!([]));
        let items = json!([fp, "30", uuid]).to_string();
        encode_cursor(&items, &options).expect("encodes")
    };
    let bad = [
        (tampered, "QB_INVALID_CURSOR"),
        (other_order, "QB_CURSOR_MISMATCH"),
        (other_view, "QB_CURSOR_MISMATCH"),
        (make(json!(["30", uuid]), None), "QB_INVALID_CURSOR"),
        (
            make(json!(["30", uuid]), Some(b"another key")),
            "QB_INVALID_CURSOR",
        ),
        (make(json!(["old", uuid]), Some(KEY)), "QB_INVALID_CURSOR"),
        (
            make(json!(["30", "not-a-uuid"]), Some(KEY)),
            "QB_INVALID_CURSOR",
        ),
        (
            make(json!(["30", uuid, "1"]), Some(KEY)),
            "QB_INVALID_CURSOR",
        ),
        ("!!".to_owned(), "QB_INVALID_CURSOR"),
    ];
    for (i, (c, code)) in bad.iter().enumerate() {
        let q = query(3, c);
        let want = outcome(compile(&q, &schema, &options));
        assert_eq!(
            want.as_ref().map_err(|e| e.0.as_str()).err(),
            Some(*code),
            "{i}"
        );
        assert_eq!(outcome(cache.compile(&q, &schema, &options)), want, "{i}");
    }
    let s = cache.stats();
    assert_eq!((s.misses, s.hits, s.recompiles), (1, 11, 9), "{s:?}");
    // A page size too large for a `bigint` with the probe's row: recompiled, refused.
    let q = query(i64::MAX as u64, &good[0]);
    let want = outcome(compile(&q, &schema, &options));
    assert!(want.is_err());
    assert_eq!(outcome(cache.compile(&q, &schema, &options)), want);
}

/// A nested list's keyset page binds from the cache like the root's: another page size or
/// cursor of the list is a hit bound from the plan (no recompile); a cursor of the root, a
/// bad one, or a page size over `max_nested_rows` fails exactly as the uncached compile.
#[test]
fn nested_keyset_pages_hit_and_bad_operands_fail_as_uncached() {
    let schema = schema();
    let options = CompileOptions::default()
        .with_cursor_key(KEY)
        .with_limits(Limits::default().with_max_nested_rows(10));
    let order = json!([{"field": "views", "direction": "desc"}]);
    let fp = fingerprint_of(
        &schema,
        &json!({"view": "v_user", "select": [
            {"field": "posts", "select": ["id"], "order_by": order, "first": 1}]}),
    );
    let make = |views: J, id: &str| {
        let o = CompileOptions::default().with_cursor_key(KEY);
        encode_cursor(&json!([fp, views, id]).to_string(), &o).expect("encodes")
    };
    let query = |size: u64, backward: bool, cursor: &str| {
        let mut sel = json!({"field": "posts", "select": ["title"], "order_by": order,
            "page_info": true, "total_count": true});
        sel[if backward { "last" } else { "first" }] = json!(size);
        sel[if backward { "before" } else { "after" }] = json!(cursor);
        let q = json!({"view": "v_user", "select": ["id", sel], "where": {"age": {"gt": 3}}});
        Query::from_json(&q.to_string()).expect("query")
    };
    let uuid = "00000000-0000-4000-8000-000000000001";
    let cache = ShapeCache::new(16);
    let good = [make(json!("30"), uuid), make(J::Null, uuid)];
    for backward in [false, true] {
        for (i, c) in good.iter().enumerate() {
            let q = query(i as u64 + 2, backward, c);
            let want = compile(&q, &schema, &options).expect("compiles");
            assert_eq!(cache.compile(&q, &schema, &options), Ok(want));
        }
    }
    let s = cache.stats();
    assert_eq!((s.misses, s.hits, s.recompiles), (2, 2, 0), "{s:?}");
    let root = {
        let fp = fingerprint(
            &schema,
            "v_user",
            &json!([{"field": "age", "direction": "desc"}]),
        );
        encode_cursor(&json!([fp, "30", uuid]).to_string(), &options).expect("encodes")
    };
    let bad = [
        (query(3, false, &root), "QB_CURSOR_MISMATCH"),
        (
            query(3, false, &make(json!("x"), uuid)),
            "QB_INVALID_CURSOR",
        ),
        (query(11, false, &good[0]), "QB_SIZE_LIMIT"),
        (query(11, true, &good[0]), "QB_SIZE_LIMIT"),
    ];
    for (i, (q, code)) in bad.iter().enumerate() {
        let want = outcome(compile(q, &schema, &options));
        assert_eq!(
            want.as_ref().map_err(|e| e.0.as_str()).err(),
            Some(*code),
            "{i}"
        );
        assert_eq!(outcome(cache.compile(q, &schema, &options)), want, "{i}");
        let p = schema
            .prepare(&query(2, i == 3, &good[0]), &options)
            .expect("prepares");
        let values = p.operand_values(q, &schema).expect("same shape");
        assert_eq!(outcome(p.bind_values(&values, &schema)), want, "{i}");
    }
    let s = cache.stats();
    assert_eq!((s.hits, s.recompiles), (6, 4), "{s:?}");
}

/// The document reader's hits, and the documents it leaves to the full way: a document whose
/// operands it cannot match to the parsed query's by path (upper-case junctions, which the
/// query names in lower case), or whose keys would not render unambiguously, is never
/// cached under its document key; its compiles still hit the shape.
#[test]
fn document_keys_hit_only_where_their_operands_are_the_querys() {
    let schema = schema();
    let options = CompileOptions::default();
    let run = |text: &str, n: usize| {
        let cache = ShapeCache::new(16);
        for i in 0..n {
            let text = text.replace("$", &i.to_string());
            assert_document_compiles_as_uncached(&cache, &text, &schema, &options);
        }
        let s = cache.stats();
        (s.misses, s.hits, s.document_hits)
    };
    let v = r#""view": "v_user", "select": ["id""#;
    // Same shape, other values: every call after the first is a document hit.
    let plain = format!(r#"{{{v}, "name"], "where": {{"age": {{"gte": $}}}}, "limit": $}}"#);
    assert_eq!(run(&plain, 4), (1, 3, 3));
    let upper = format!(r#"{{{v}], "where": {{"AND": [{{"age": {{"gte": $}}}}]}}}}"#);
    assert_eq!(run(&upper, 4), (1, 3, 0));
    let dotted = format!(r#"{{{v}], "where": {{"a.b": {{"eq": $}}}}}}"#);
    let (misses, hits, document_hits) = run(&dotted, 3);
    assert_eq!(document_hits, 0, "{misses} {hits}");
    // `isnull`'s boolean is shape: another boolean is another document key.
    let isnull =
        format!(r#"{{{v}], "where": {{"email": {{"isnull": true}}, "age": {{"gt": $}}}}}}"#);
    assert_eq!(run(&isnull, 3), (1, 2, 2));
}

/// `text` read through `cache`'s document keys gives what parsing and compiling it uncached
/// gives (SQL, parameters or error).
fn assert_document_compiles_as_uncached(
    cache: &ShapeCache,
    text: &str,
    schema: &Schema,
    options: &CompileOptions,
) {
    let doc = qb_core::json::parse_value(text).expect("json");
    let want = outcome(Query::from_value(&doc).and_then(|q| compile(&q, schema, options)));
    let got = outcome(cache.compile_source(|| &doc, schema, options));
    assert_eq!(got, want, "{text}");
}

/// A regression: the document key left out the `camel_case` option (the shape keeps the
/// effective value; a document keeps only its own `camelCase` key), so a document compiled
/// with camelCase on was a hit with it off, giving the camelCase SQL instead of
/// `QB_UNKNOWN_FIELD`.
#[test]
fn document_keys_keep_the_camel_case_option() {
    let schema = schema();
    let cache = ShapeCache::new(16);
    let doc = qb_core::json::parse_value(
        r#"{"view": "v_user", "select": ["nickName"], "where": {"nickName": {"eq": "a"}}}"#,
    )
    .expect("json");
    for camel_case in [true, false, true, false] {
        let options = CompileOptions::default().with_camel_case(camel_case);
        let want = outcome(Query::from_value(&doc).and_then(|q| compile(&q, &schema, &options)));
        let got = outcome(cache.compile_source(|| &doc, &schema, &options));
        assert_eq!(got, want, "camel_case {camel_case}");
    }
    // camelCase on: a miss, then a document hit; off: an error each time (never cached).
    assert_eq!(cache.stats().document_hits, 1);
}

/// A document key writes the object keys the parser reads as names (operators and their
/// aliases, `and`/`or`/`not` in both spellings, the quantifiers, the query's members) as
/// one-byte tags, and any other key as its text; a length byte is never the tag's marker.
/// Documents differing only there, through one cache in turns, each give the uncached
/// compile's result.
#[test]
fn document_keys_tell_names_from_text() {
    let schema = schema();
    let options = CompileOptions::default();
    let long = |n: usize| "a".repeat(n);
    let v = r#""view": "v_user", "select": ["id""#;
    let mut docs = vec![
        format!(r#"{{{v}], "where": {{"age": {{"nin": [$]}}}}}}"#),
        format!(r#"{{{v}], "where": {{"age": {{"notin": [$]}}}}}}"#),
        format!(r#"{{{v}], "where": {{"age": {{"not_in": [$]}}}}}}"#),
        format!(r#"{{{v}], "where": {{"age": {{"in": [$]}}}}}}"#),
        format!(
            r#"{{{v}], "where": {{"and": [{{"age": {{"gt": $}}}}, {{"age": {{"lt": $}}}}]}}}}"#
        ),
        format!(r#"{{{v}], "where": {{"or": [{{"age": {{"gt": $}}}}, {{"age": {{"lt": $}}}}]}}}}"#),
        format!(r#"{{{v}], "where": {{"not": {{"age": {{"gt": $}}}}}}}}"#),
        format!(r#"{{{v}], "where": {{"age": {{"not": {{"gt": $}}}}}}}}"#),
        format!(r#"{{{v}], "where": {{"age": {{"or": [{{"gt": $}}, {{"lt": $}}]}}}}}}"#),
        format!(r#"{{{v}], "where": {{"age": {{"and": [{{"gt": $}}, {{"lt": $}}]}}}}}}"#),
        format!(r#"{{{v}], "where": {{"eq": {{"eq": $}}}}}}"#),
        format!(r#"{{{v}], "where": {{"limit": {{"eq": $}}}}}}"#),
        format!(r#"{{{v}], "where": {{"age": {{"eq": $}}}}, "limit": $}}"#),
        format!(r#"{{{v}], "where": {{"age": {{"eq": $}}}}, "offset": $}}"#),
        format!(r#"{{{v}], "where": {{"age": {{"eq": $}}}}, "first": $}}"#),
        format!(r#"{{{v}, {{"field": "age", "alias": "a$"}}]}}"#),
        format!(r#"{{{v}, {{"aggregate": "count", "alias": "a$"}}], "group_by": ["age"]}}"#),
        format!(r#"{{{v}], "order_by": [{{"field": "age"}}], "limit": $}}"#),
        format!(r#"{{{v}], "order_by": [{{"field": "age", "nulls": "last"}}], "limit": $}}"#),
        format!(r#"{{{v}], "order_by": [{{"field": "age", "direction": "desc"}}], "limit": $}}"#),
        format!(r#"{{{v}], "order_by": [{{"field": "age", "direction": "asc"}}], "limit": $}}"#),
        format!(r#"{{{v}], "order_by": [{{"field": "age", "direction": "last"}}], "limit": $}}"#),
    ];
    // Object keys whose length byte would be the tag's marker, and their neighbours.
    for n in [253, 254, 255] {
        docs.push(format!(
            r#"{{{v}], "where": {{"{}": {{"eq": $}}}}}}"#,
            long(n)
        ));
        docs.push(format!(
            r#"{{{v}], "where": {{"profile": {{"{}": {{"eq": $}}}}}}}}"#,
            long(n)
        ));
    }
    let cache = ShapeCache::new(256);
    for round in 1..4 {
        for text in &docs {
            let text = text.replace('$', &round.to_string());
            assert_document_compiles_as_uncached(&cache, &text, &schema, &options);
        }
    }
    assert!(cache.stats().document_hits >= 20, "{:?}", cache.stats());
}

/// `compile_source_shared` gives a cached document key's statement as the plan's own `Arc`
/// (the miss that cached the key, then every hit), the same query as `compile_source`, and
/// on a hit the node each parameter was made from: an operand's (converted or not), never a
/// count's.
#[test]
fn shared_statements_are_the_plans_and_hits_name_their_operand_nodes() {
    let schema = schema();
    let options = CompileOptions::default();
    let cache = ShapeCache::new(16);
    let doc = |email: &str, part: &str, limit: u32| {
        qb_core::json::parse_value(&format!(
            r#"{{"view": "v_user", "select": ["id"], "limit": {limit},
                "where": {{"email": {{"eq": "{email}"}}, "name": {{"contains": "{part}"}}}}}}"#
        ))
        .expect("json")
    };
    let docs = [
        doc("a@x", "al", 5),
        doc("b@x", "bo", 7),
        doc("c@x", "ca", 9),
    ];
    fn shared<'d>(
        cache: &ShapeCache,
        d: &'d Value,
        schema: &Schema,
        options: &CompileOptions,
    ) -> SharedQuery<&'d Value> {
        match cache.compile_source_shared(|| d, schema, options, |s| s()) {
            Ok(SourceCompiled::Shared(q)) => q,
            other => panic!("not shared: {other:?}"),
        }
    }
    let shared = |d| shared(&cache, d, &schema, &options);
    let first = shared(&docs[0]);
    assert_eq!(cache.stats().document_hits, 0);
    assert!((0..first.params.len()).all(|i| first.source(i).is_none()));
    for d in &docs[1..] {
        let q = shared(d);
        assert!(std::sync::Arc::ptr_eq(&q.sql, &first.sql));
        let want = compile(&Query::from_value(d).expect("query"), &schema, &options);
        let want = want.expect("compiles");
        assert_eq!((&*q.sql, &q.params), (want.sql.as_str(), &want.params));
        // $1 the email (as given), $2 the pattern made from `contains`, $3 the limit (a
        // count: no node).
        let operand = |p: &str, op: &str| d.get("where").and_then(|w| w.get(p)?.get(op));
        let (email, part) = (operand("email", "eq"), operand("name", "contains"));
        assert!(
            q.source(0)
                .is_some_and(|n| email.is_some_and(|e| std::ptr::eq(*n, e)))
        );
        assert!(
            q.source(1)
                .is_some_and(|n| part.is_some_and(|p| std::ptr::eq(*n, p)))
        );
        let part = part.and_then(Value::as_str).expect("the part");
        assert_ne!(q.params[1].value, ParamValue::Text(part.into()));
        assert!(q.source(2).is_none() && q.source(3).is_none());
    }
    assert_eq!(cache.stats().document_hits, 2);
    // Through `compile_source`, the same query; without a cache, compiled in full.
    let want = shared(&docs[2]);
    let got = cache
        .compile_source(|| &docs[2], &schema, &options)
        .expect("compiles");
    assert_eq!((got.sql.as_str(), &got.params), (&*want.sql, &want.params));
    let off = ShapeCache::new(0);
    let full = off.compile_source_shared(|| &docs[2], &schema, &options, |s| s());
    assert!(matches!(full, Ok(SourceCompiled::Compiled(q)) if q == got));
}
