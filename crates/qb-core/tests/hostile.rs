//! Hostile inputs (docs/reliability.md, "Hostile inputs"): each is small, and each must be
//! refused with its code, or compiled, within generous bounds: at most 100 MB of resident
//! memory growth and 1 s (3 s in an unoptimised build, which runs this code about five times
//! slower). The bounds catch blow-ups (work or memory not proportional to the input), not
//! speed: the largest linear case takes about 0.1 s optimised; a quadratic one at these sizes
//! takes minutes.
//!
//! Each case runs in a child process (this test binary again, filtered to `hostile_child`),
//! so its peak resident set (`VmHWM` of /proc/self/status, reset after the input is built)
//! is its own.

use std::time::Instant;

use qb_core::ast::{Condition, FieldPath, Filter, Selection};
use qb_core::schema::{FieldDef, FieldType, ObjectDef, ScalarType, ViewDef};
use qb_core::{CompileOptions, Error, Number, Operator, ParamValue, Query, Schema, Value, compile};

const MAX_GROWTH_KB: u64 = 100 * 1024;
const MAX_SECONDS: f64 = if cfg!(debug_assertions) { 3.0 } else { 1.0 };
const CHILD_ENV: &str = "QB_HOSTILE_CASE";

const REGISTRY: &str = r#"{"views": {
    "v_user": {"typename": "User", "columns": {"id": "uuid"},
        "fields": {"age": "integer", "score": "numeric", "name": "text", "metadata": "jsonb",
                   "tags": "text[]", "embedding": "vector"}},
    "v_any": {"permissive": true, "columns": {"id": "uuid"}, "fields": {"kind": "text"}}}}"#;

/// What a case must end with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Compiles,
    Refused(&'static str),
}
use Expect::{Compiles, Refused};

type Work = Box<dyn FnOnce() -> Result<(), Error>>;

/// A case: its name, what it must end with, and the builder of its input and work.
type Case = (&'static str, Expect, fn() -> Work);

fn registry() -> Schema {
    Schema::from_json(REGISTRY).expect("registry")
}

/// Parse and compile JSON text against the registry.
fn json_query(text: String) -> Work {
    let schema = registry();
    Box::new(move || {
        let q = Query::from_json(&text)?;
        compile(&q, &schema, &CompileOptions::default()).map(drop)
    })
}

fn where_(view: &str, filter: &str) -> String {
    format!(r#"{{"view": "{view}", "select": ["id"], "where": {filter}}}"#)
}

fn repeat_joined(item: &str, n: usize) -> String {
    let mut s = String::with_capacity((item.len() + 1) * n);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(item);
    }
    s
}

fn compile_ast(q: Query) -> Work {
    let schema = registry();
    Box::new(move || compile(&q, &schema, &CompileOptions::default()).map(drop))
}

fn condition(path: FieldPath, op: Operator, value: Value) -> Filter {
    Filter::Condition(Condition { path, op, value })
}

/// Every case: name, expectation, and the input built (outside the measurement) with the
/// work to run on it.
fn cases() -> Vec<Case> {
    vec![
        // Numbers.
        (
            "json: 1e300000000 as a numeric operand",
            Refused("QB_INVALID_VALUE"),
            || json_query(where_("v_user", r#"{"score": {"eq": 1e300000000}}"#)),
        ),
        (
            "json: a numeric operand of 131072 digits (the most numeric holds)",
            Compiles,
            || {
                json_query(where_(
                    "v_user",
                    &format!(r#"{{"score": {{"eq": 9{}}}}}"#, "0".repeat(131_071)),
                ))
            },
        ),
        (
            "json: a numeric operand of 131073 digits",
            Refused("QB_INVALID_VALUE"),
            || {
                json_query(where_(
                    "v_user",
                    &format!(r#"{{"score": {{"eq": 9{}}}}}"#, "0".repeat(131_072)),
                ))
            },
        ),
        (
            "json: a number of 1,000,000 fraction digits in a jsonb operand",
            Refused("QB_INVALID_VALUE"),
            || {
                json_query(where_(
                    "v_user",
                    &format!(
                        r#"{{"metadata": {{"eq": [0.{}1]}}}}"#,
                        "0".repeat(1_000_000)
                    ),
                ))
            },
        ),
        (
            "json: 1e-16384 (scale past numeric's)",
            Refused("QB_INVALID_VALUE"),
            || json_query(where_("v_user", r#"{"score": {"in": [1, 1e-16384]}}"#)),
        ),
        (
            "json: an exponent of 10,000 digits",
            Refused("QB_INVALID_VALUE"),
            || {
                json_query(where_(
                    "v_user",
                    &format!(r#"{{"age": {{"eq": 1e{}}}}}"#, "9".repeat(10_000)),
                ))
            },
        ),
        (
            "rust: Number::new with JSON structure in it",
            Refused("QB_INVALID_VALUE"),
            || {
                Box::new(|| match Number::new("1, \"x\": {\"y\": 2}") {
                    Ok(_) => Ok(()),
                    Err(e) => Err(Error::new(
                        qb_core::ErrorKind::InvalidValue,
                        "",
                        e.to_string(),
                    )),
                })
            },
        ),
        // Keys.
        (
            "json: one key repeated 100,000 times",
            Refused("QB_INVALID_JSON"),
            || {
                json_query(where_(
                    "v_user",
                    &format!(r#"{{"age": {{{}}}}}"#, repeat_joined(r#""eq": 1"#, 100_000)),
                ))
            },
        ),
        (
            "json: 60,000 distinct keys in a jsonb operand",
            Compiles,
            || {
                let keys: Vec<String> = (0..60_000).map(|i| format!(r#""k{i}": 0"#)).collect();
                json_query(where_(
                    "v_user",
                    &format!(r#"{{"metadata": {{"contains": {{{}}}}}}}"#, keys.join(",")),
                ))
            },
        ),
        (
            "json: 60,000 distinct keys, the last one repeating the first",
            Refused("QB_INVALID_JSON"),
            || {
                let mut keys: Vec<String> = (0..60_000).map(|i| format!(r#""k{i}": 0"#)).collect();
                keys.push(r#""k0": 1"#.into());
                json_query(where_(
                    "v_user",
                    &format!(r#"{{"metadata": {{"contains": {{{}}}}}}}"#, keys.join(",")),
                ))
            },
        ),
        (
            "json: a field name of 1 MB",
            Refused("QB_INVALID_IDENTIFIER"),
            || {
                json_query(where_(
                    "v_user",
                    &format!(r#"{{"{}": {{"eq": 1}}}}"#, "n".repeat(1 << 20)),
                ))
            },
        ),
        (
            "json: a permissive field name of 1 MB",
            Refused("QB_INVALID_IDENTIFIER"),
            || {
                json_query(where_(
                    "v_any",
                    &format!(r#"{{"{}x": {{"eq": "a"}}}}"#, "é".repeat(1 << 19)),
                ))
            },
        ),
        // Nesting.
        (
            "json: 1,000,000 nested arrays",
            Refused("QB_DEPTH_LIMIT"),
            || json_query("[".repeat(1_000_000) + &"]".repeat(1_000_000)),
        ),
        (
            "json: a `not` chain 120 deep",
            Refused("QB_DEPTH_LIMIT"),
            || {
                let mut f = String::from(r#"{"age": {"eq": 1}}"#);
                for _ in 0..120 {
                    f = format!(r#"{{"not": {f}}}"#);
                }
                json_query(where_("v_user", &f))
            },
        ),
        ("json: a jsonb operand nested 126 deep", Compiles, || {
            json_query(where_(
                "v_user",
                &format!(
                    r#"{{"metadata": {{"eq": {}1{}}}}}"#,
                    "[".repeat(122),
                    "]".repeat(122)
                ),
            ))
        }),
        (
            "json: a dotted order_by path of 500,000 segments",
            Refused("QB_DEPTH_LIMIT"),
            || {
                json_query(format!(
                    r#"{{"view": "v_any", "select": ["id"], "order_by": ["{}a"]}}"#,
                    "a.".repeat(500_000)
                ))
            },
        ),
        (
            "json: an order_by path of 500,000 array segments",
            Refused("QB_DEPTH_LIMIT"),
            || {
                json_query(format!(
                    r#"{{"view": "v_any", "select": ["id"], "order_by": [{{"field": [{}]}}]}}"#,
                    repeat_joined(r#""a""#, 500_000)
                ))
            },
        ),
        // Size.
        (
            "json: a string operand of 2 MB",
            Refused("QB_SIZE_LIMIT"),
            || {
                json_query(where_(
                    "v_user",
                    &format!(r#"{{"name": {{"eq": "{}"}}}}"#, "x".repeat(2 << 20)),
                ))
            },
        ),
        ("json: 200,000 \\u escapes in one string", Compiles, || {
            json_query(where_(
                "v_user",
                &format!(r#"{{"name": {{"eq": "{}"}}}}"#, "\\u00e9".repeat(200_000)),
            ))
        }),
        (
            "json: an `in` list of 100,000 tiny items (the limit)",
            Compiles,
            || {
                json_query(where_(
                    "v_user",
                    &format!(r#"{{"age": {{"in": [{}]}}}}"#, repeat_joined("7", 100_000)),
                ))
            },
        ),
        (
            "json: an `in` list of 100,001 tiny items",
            Refused("QB_SIZE_LIMIT"),
            || {
                json_query(where_(
                    "v_user",
                    &format!(r#"{{"age": {{"in": [{}]}}}}"#, repeat_joined("7", 100_001)),
                ))
            },
        ),
        (
            "json: an array operand of 100,000 strings",
            Compiles,
            || {
                json_query(where_(
                    "v_user",
                    &format!(
                        r#"{{"tags": {{"overlaps": [{}]}}}}"#,
                        repeat_joined(r#""t""#, 100_000)
                    ),
                ))
            },
        ),
        (
            "json: a vector of 100,000 numbers",
            Refused("QB_INVALID_VALUE"),
            || {
                json_query(where_(
                    "v_user",
                    &format!(
                        r#"{{"embedding": {{"l2_distance": {{"vector": [{}], "threshold": 1}}}}}}"#,
                        repeat_joined("0.5", 100_000)
                    ),
                ))
            },
        ),
        ("json: 100,001 conditions", Refused("QB_SIZE_LIMIT"), || {
            json_query(where_(
                "v_user",
                &format!(
                    r#"{{"and": [{}]}}"#,
                    repeat_joined(r#"{"age": {"eq": 1}}"#, 100_001)
                ),
            ))
        }),
        (
            "json: 100,001 selected fields",
            Refused("QB_SIZE_LIMIT"),
            || {
                json_query(format!(
                    r#"{{"view": "v_user", "select": [{}]}}"#,
                    repeat_joined(r#""id""#, 100_001)
                ))
            },
        ),
        (
            "json: 50,000 distinct permissive fields selected",
            Compiles,
            || {
                let names: Vec<String> = (0..50_000).map(|i| format!(r#""f{i}""#)).collect();
                json_query(format!(
                    r#"{{"view": "v_any", "select": [{}]}}"#,
                    names.join(",")
                ))
            },
        ),
        (
            "json: 50,000 permissive fields selected, distinct (one group key each)",
            Compiles,
            || {
                let names: Vec<String> = (0..50_000).map(|i| format!(r#""f{i}""#)).collect();
                json_query(format!(
                    r#"{{"view": "v_any", "select": [{}], "distinct": true, "order_by": [{}]}}"#,
                    names.join(","),
                    names.join(",")
                ))
            },
        ),
        (
            "json: distinct_on 50,000 permissive keys, ordered by 50,000",
            Compiles,
            || {
                let names: Vec<String> = (0..50_000).map(|i| format!(r#""f{i}""#)).collect();
                json_query(format!(
                    r#"{{"view": "v_any", "select": ["id"], "distinct_on": [{}], "order_by": [{}]}}"#,
                    names.join(","),
                    names.join(",")
                ))
            },
        ),
        (
            "json: group_by 50,000 permissive keys, all selected and ordered by",
            Compiles,
            || {
                let names: Vec<String> = (0..50_000).map(|i| format!(r#""f{i}""#)).collect();
                json_query(format!(
                    r#"{{"view": "v_any", "select": [{}], "group_by": [{}], "order_by": [{}]}}"#,
                    names.join(","),
                    names.join(","),
                    names.join(",")
                ))
            },
        ),
        (
            "json: 40,000 aggregates, having and order_by naming each",
            Compiles,
            || {
                let aggs: Vec<String> = (0..40_000)
                    .map(|i| format!(r#"{{"aggregate": "count", "alias": "a{i}"}}"#))
                    .collect();
                let having: Vec<String> = (0..40_000)
                    .map(|i| format!(r#""a{i}": {{"gt": 0}}"#))
                    .collect();
                let order: Vec<String> = (0..40_000).map(|i| format!(r#""a{i}""#)).collect();
                json_query(format!(
                    r#"{{"view": "v_any", "select": [{}], "having": {{{}}}, "order_by": [{}]}}"#,
                    aggs.join(","),
                    having.join(","),
                    order.join(",")
                ))
            },
        ),
        (
            "json: 50,000 selected aliases, the last repeating the first",
            Refused("QB_INVALID_QUERY"),
            || {
                let mut names: Vec<String> = (0..50_000)
                    .map(|i| format!(r#"{{"field": "kind", "alias": "a{i}"}}"#))
                    .collect();
                names.push(r#"{"field": "kind", "alias": "a0"}"#.into());
                json_query(format!(
                    r#"{{"view": "v_any", "select": [{}]}}"#,
                    names.join(",")
                ))
            },
        ),
        // Registries.
        (
            "registry json: a view key repeated",
            Refused("QB_INVALID_JSON"),
            || {
                Box::new(|| {
                    Schema::from_json(r#"{"views": {"v": {"fields": {"a": "text"}}, "v": {"fields": {"b": "text"}}}}"#).map(drop)
                })
            },
        ),
        (
            "registry json: fields nested 100 deep",
            Refused("QB_DEPTH_LIMIT"),
            || {
                let mut f = String::from(r#""text""#);
                for _ in 0..100 {
                    f = format!(r#"{{"fields": {{"a": {f}}}}}"#);
                }
                let text = format!(r#"{{"views": {{"v": {{"fields": {{"a": {f}}}}}}}}}"#);
                Box::new(move || Schema::from_json(&text).map(drop))
            },
        ),
        // Hand-built Rust trees: 100,000 deep, compiled (refused before any recursion) and
        // dropped (iteratively).
        (
            "rust: a `not` chain 100,000 deep",
            Refused("QB_DEPTH_LIMIT"),
            || {
                let mut f = condition(FieldPath(vec!["age".into()]), Operator::Eq, Value::Int(1));
                for _ in 0..100_000 {
                    f = Filter::Not(Box::new(f));
                }
                let mut q = Query::new("v_user", &["id"]);
                q.filter = Some(f);
                compile_ast(q)
            },
        ),
        (
            "rust: a nested selection 100,000 deep",
            Refused("QB_INVALID_QUERY"),
            || {
                let mut sel = vec![Selection::field("a")];
                for _ in 0..100_000 {
                    sel = vec![Selection::nested("a", sel)];
                }
                let mut q = Query::new("v_any", &[]);
                q.select = sel;
                compile_ast(q)
            },
        ),
        (
            "rust: a jsonb operand 100,000 deep",
            Refused("QB_DEPTH_LIMIT"),
            || {
                let mut v = Value::Int(1);
                for _ in 0..100_000 {
                    v = Value::List(vec![v]);
                }
                let mut q = Query::new("v_user", &["id"]);
                q.filter = Some(condition(
                    FieldPath(vec!["metadata".into()]),
                    Operator::Eq,
                    v,
                ));
                compile_ast(q)
            },
        ),
        (
            "rust: a field path of 100,000 segments",
            Refused("QB_DEPTH_LIMIT"),
            || {
                let path = FieldPath(vec!["a".to_owned(); 100_000]);
                let mut q = Query::new("v_any", &["id"]);
                q.filter = Some(condition(path, Operator::Eq, Value::from("x")));
                compile_ast(q)
            },
        ),
        (
            "rust: an object definition 100,000 deep",
            Refused("QB_DEPTH_LIMIT"),
            || {
                let mut obj = ObjectDef::new()
                    .with_field("a", FieldDef::new(FieldType::Scalar(ScalarType::Text)));
                for _ in 0..100_000 {
                    obj = ObjectDef::new()
                        .with_field("a", FieldDef::new(FieldType::Object(Box::new(obj))));
                }
                Box::new(move || {
                    let mut schema = Schema::new();
                    schema.add_view(
                        ViewDef::new("v")
                            .field_def("o", FieldDef::new(FieldType::Object(Box::new(obj)))),
                    )
                })
            },
        ),
        (
            "rust: a parameter value nested 100,000 deep (dropped)",
            Compiles,
            || {
                let mut v = ParamValue::Int(1);
                for _ in 0..100_000 {
                    v = ParamValue::Array(vec![v]);
                }
                Box::new(move || {
                    drop(v);
                    Ok(())
                })
            },
        ),
    ]
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The child: runs the case named by `QB_HOSTILE_CASE` (a no-op in a normal test run).
#[test]
fn hostile_child() {
    let Ok(name) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (_, _, build) = cases()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .expect("a known case");
    let work = build();
    // Reset the peak to the current resident set, so the peak is the work's own.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kb("VmRSS:");
    let start = Instant::now();
    let outcome = work();
    let seconds = start.elapsed().as_secs_f64();
    let peak = status_kb("VmHWM:");
    let result = match &outcome {
        Ok(()) => "OK".to_owned(),
        Err(e) => e.code().to_owned(),
    };
    println!("HOSTILE-RESULT {seconds} {before} {peak} {result}");
}

#[test]
fn hostile_inputs_are_refused_or_compiled_within_bounds() {
    let exe = std::env::current_exe().expect("the test binary");
    let mut failures = Vec::new();
    for (name, expect, _) in cases() {
        let out = std::process::Command::new(&exe)
            .args([
                "--exact",
                "hostile_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, name)
            .output()
            .expect("the child runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Some(line) = stdout
            .lines()
            .find_map(|l| l.split("HOSTILE-RESULT ").nth(1))
        else {
            failures.push(format!(
                "{name}: no result (status {}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        };
        let f: Vec<&str> = line.split(' ').collect();
        let seconds: f64 = f[0].parse().unwrap_or(f64::MAX);
        let before: u64 = f[1].parse().unwrap_or(0);
        let peak: u64 = f[2].parse().unwrap_or(u64::MAX);
        let got = match f[3] {
            "OK" => Compiles,
            code => Refused(
                if let Some(e) = [
                    "QB_INVALID_JSON",
                    "QB_INVALID_VALUE",
                    "QB_DEPTH_LIMIT",
                    "QB_SIZE_LIMIT",
                    "QB_UNKNOWN_FIELD",
                    "QB_INVALID_IDENTIFIER",
                    "QB_INVALID_QUERY",
                ]
                .iter()
                .find(|c| **c == code)
                {
                    e
                } else {
                    "other"
                },
            ),
        };
        let growth = peak.saturating_sub(before);
        eprintln!("{name}: {got:?} in {seconds:.4} s, +{growth} kB");
        if got != expect {
            failures.push(format!("{name}: {got:?} ({}), expected {expect:?}", f[3]));
        }
        if seconds > MAX_SECONDS {
            failures.push(format!("{name}: {seconds:.3} s > {MAX_SECONDS} s"));
        }
        if growth > MAX_GROWTH_KB {
            failures.push(format!("{name}: +{growth} kB > {MAX_GROWTH_KB} kB"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
