//! Writes the shared test data as plain records for the C tests, which have no JSON parser:
//!
//! - `fqb-c-testgen golden OUT`: every case of tests/golden/cases with its committed
//!   expectations (SQL, parameter types and PostgreSQL text, rows; or the error);
//! - `fqb-c-testgen vectors OUT`: tests/rollout/vectors.json as commands and expectations;
//! - `fqb-c-testgen workload NAME OUT`: the query of a tests/bench/workloads.json workload
//!   as JSON text (key order and numbers as written), for the C benchmark.
//!
//! Only the committed files are read: nothing here compiles a query, so the C tests compare
//! the C API's output with what the corpus says, not with another run of the same code.
//! A record is `<tag> <length>\n<length bytes>\n` (bindings/c/tests/records.h reads it).

use std::path::Path;

use qb_core::{ErrorKind, ParamValue, Placeholder};
use qb_testpg::golden;
use serde_json::Value as Json;

#[derive(Default)]
struct Records(Vec<u8>);

impl Records {
    fn rec(&mut self, tag: &str, payload: impl AsRef<[u8]>) {
        let p = payload.as_ref();
        self.0
            .extend_from_slice(format!("{tag} {}\n", p.len()).as_bytes());
        self.0.extend_from_slice(p);
        self.0.push(b'\n');
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> Json {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn str_of<'a>(v: &'a Json, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string in {v}"))
}

fn u64_of(v: &Json, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` is not an integer in {v}"))
}

fn bit(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

fn bool_of(v: &Json, key: &str) -> bool {
    v[key]
        .as_bool()
        .unwrap_or_else(|| panic!("`{key}` is not a bool in {v}"))
}

/// A committed parameter value (`.params.json`) as the core's value type, to print it in
/// PostgreSQL's text format exactly as a compile does.
fn param_value(v: &Json) -> ParamValue {
    match v {
        Json::Bool(b) => ParamValue::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => ParamValue::Int(i),
            None => ParamValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => ParamValue::Text(s.clone()),
        Json::Array(items) => ParamValue::Array(items.iter().map(param_value).collect()),
        other => panic!("unexpected parameter value {other}"),
    }
}

fn golden_records() -> Records {
    let root = golden::repo_root();
    let mut r = Records::default();
    r.rec(
        "shared_schema",
        read(&root.join("tests/golden/schema.json")),
    );
    for case in golden::load_cases() {
        r.rec("case", &case.name);
        r.rec("query", case.query_value().to_json());
        if let Some(s) = case.spec.get("schema") {
            // As the Rust runner passes it (crates/qb-testpg/src/golden.rs).
            r.rec("schema", s.to_string());
        }
        r.rec(
            "placeholder",
            match case.placeholder() {
                Placeholder::Format => "format",
                _ => "numbered",
            },
        );
        let error = case.file("error.json");
        if error.exists() {
            let e = json(&error);
            let code = str_of(&e, "code");
            let kind = ErrorKind::from_code(code)
                .unwrap_or_else(|| panic!("{}: unknown code {code}", case.name));
            r.rec("error_code", code);
            r.rec("error_number", kind.number().to_string());
            r.rec("error_path", str_of(&e, "path"));
            r.rec("error_message", str_of(&e, "message"));
        } else {
            let sql = read(&case.file("sql"));
            r.rec("sql", sql.strip_suffix('\n').unwrap_or(&sql));
            let params = json(&case.file("params.json"));
            for p in params.as_array().expect("params.json is an array") {
                r.rec("param_type", str_of(p, "type"));
                r.rec("param_text", param_value(&p["value"]).to_pg_text());
            }
            let rows = case.file("rows.json");
            if case.execute() && rows.exists() {
                let ordered = case
                    .query()
                    .get("order_by")
                    .and_then(Json::as_array)
                    .is_some_and(|a| !a.is_empty());
                r.rec("ordered", bit(ordered));
                r.rec("rows", read(&rows));
            }
        }
        r.rec("end", "");
    }
    r
}

/// The canonical config text both sides print: every field, fixed order.
fn config_text(c: &Json) -> String {
    let s = &c["shadow"];
    let t = &c["trip"];
    format!(
        "use_native={} percentage_bp={} log_mode={} fallback={} kill_switch={} sticky={} \
         shadow={}/{} trip={}/{}/{}/{}/{}/{}",
        bit(bool_of(c, "use_native")),
        u64_of(c, "percentage_bp"),
        bit(bool_of(c, "log_mode")),
        bit(bool_of(c, "fallback")),
        bit(bool_of(c, "kill_switch")),
        bit(bool_of(c, "sticky")),
        u64_of(s, "percentage_bp"),
        u64_of(s, "keep_last"),
        bit(bool_of(t, "enabled")),
        u64_of(t, "window_ms"),
        u64_of(t, "min_calls"),
        u64_of(t, "threshold_bp"),
        u64_of(t, "cool_down_ms"),
        u64_of(t, "probe_successes"),
    )
}

/// A partial config object as `set` commands (one per field given).
fn config_sets(r: &mut Records, c: &Json) {
    let Some(o) = c.as_object() else { return };
    for (k, v) in o {
        let text = match k.as_str() {
            "shadow" => format!(
                "shadow {} {}",
                u64_of(v, "percentage_bp"),
                u64_of(v, "keep_last")
            ),
            "trip" => format!(
                "trip {} {} {} {} {} {}",
                bit(bool_of(v, "enabled")),
                u64_of(v, "window_ms"),
                u64_of(v, "min_calls"),
                u64_of(v, "threshold_bp"),
                u64_of(v, "cool_down_ms"),
                u64_of(v, "probe_successes")
            ),
            "percentage_bp" => format!("percentage_bp {}", v.as_u64().expect("bp")),
            _ => format!("{k} {}", bit(v.as_bool().unwrap_or_else(|| panic!("{k}")))),
        };
        r.rec("set", text);
    }
}

fn events(r: &mut Records, events: &Json) {
    for e in events.as_array().expect("events") {
        match str_of(e, "op") {
            op @ ("native_ok" | "legacy_ok" | "legacy_err") => {
                r.rec(op, u64_of(e, "duration_ns").to_string());
            }
            "native_err" => r.rec(
                "native_err",
                format!(
                    "{} {}",
                    u64_of(e, "duration_ns"),
                    bit(bool_of(e, "fell_back"))
                ),
            ),
            "shadow" => {
                r.rec("shadow", str_of(e, "result"));
                r.rec("view", str_of(e, "view"));
                r.rec("input", str_of(e, "input"));
            }
            "advance_ms" => r.rec("advance_ms", u64_of(e, "ms").to_string()),
            "trip_state" => r.rec("trip_state", str_of(e, "state")),
            "decide" => {
                match e["key"].as_str() {
                    Some(k) => r.rec("decide_key", k),
                    None => r.rec("decide_nokey", ""),
                }
                r.rec(
                    "decide_expect",
                    format!(
                        "{} {} {}",
                        str_of(e, "route"),
                        str_of(e, "reason"),
                        bit(bool_of(e, "probe"))
                    ),
                );
            }
            other => panic!("unknown event {other}"),
        }
    }
}

fn vector_records() -> Records {
    let v = json(&golden::repo_root().join("tests/rollout/vectors.json"));
    assert_eq!(v["format"], 1, "vectors format");
    let mut r = Records::default();
    r.rec("tolerance", v["float_tolerance"].to_string());
    r.rec("defaults", config_text(&v["config_defaults"]));
    for e in v["env"].as_array().expect("env") {
        r.rec("env", str_of(e, "name"));
        for (name, value) in e["env"].as_object().expect("env object") {
            r.rec("var", name);
            r.rec("val", value.as_str().expect("env value"));
        }
        r.rec("config", config_text(&e["config"]));
        for w in e["warnings"].as_array().expect("warnings") {
            r.rec("wvar", str_of(w, "variable"));
            r.rec("wval", str_of(w, "value"));
            r.rec("wexp", str_of(w, "expected"));
            r.rec("wdef", str_of(w, "default"));
        }
        r.rec("end", "");
    }
    for s in v["sticky"].as_array().expect("sticky") {
        r.rec("sticky", str_of(s, "key"));
        r.rec("hash", str_of(s, "fnv1a64"));
        r.rec("bucket", u64_of(s, "bucket").to_string());
        for route in s["routes"].as_array().expect("routes") {
            r.rec(
                "route",
                format!(
                    "{} {}",
                    u64_of(route, "percentage_bp"),
                    str_of(route, "route")
                ),
            );
        }
        r.rec("end", "");
    }
    for d in v["decisions"].as_array().expect("decisions") {
        r.rec("decision", str_of(d, "name"));
        config_sets(&mut r, &d["config"]);
        r.rec("legacy", bit(bool_of(d, "legacy_registered")));
        r.rec("available", bit(bool_of(d, "native_available")));
        match d["key"].as_str() {
            Some(k) => r.rec("key", k),
            None => r.rec("nokey", ""),
        }
        let bucket = d["bucket"]
            .as_u64()
            .map_or_else(|| "-".to_owned(), |b| b.to_string());
        r.rec(
            "expect",
            format!(
                "{} {} {bucket} {}",
                str_of(d, "route"),
                str_of(d, "reason"),
                bit(bool_of(d, "shadow"))
            ),
        );
        r.rec("end", "");
    }
    for s in v["sequences"].as_array().expect("sequences") {
        r.rec("sequence", str_of(s, "name"));
        config_sets(&mut r, &s["config"]);
        r.rec(
            "legacy",
            bit(s
                .get("legacy_registered")
                .and_then(Json::as_bool)
                .unwrap_or(true)),
        );
        events(&mut r, &s["events"]);
        for (k, m) in s["metrics"].as_object().expect("metrics") {
            let (kind, text) = match m {
                Json::Bool(b) => ("b", bit(*b).to_owned()),
                Json::String(t) => ("s", t.clone()),
                Json::Number(n) if n.to_string().contains(['.', 'e', 'E']) => ("f", n.to_string()),
                Json::Number(n) => ("i", n.to_string()),
                other => panic!("metric {k}: {other}"),
            };
            r.rec("metric", format!("{k} {kind} {text}"));
        }
        for kept in s
            .get("shadow_kept")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            r.rec(
                "kept",
                format!("{} {}", u64_of(kept, "seq"), str_of(kept, "result")),
            );
            r.rec("view", str_of(kept, "view"));
            r.rec("input", str_of(kept, "input"));
        }
        r.rec("end", "");
    }
    for p in v["prometheus"].as_array().expect("prometheus") {
        r.rec("prom", str_of(p, "name"));
        r.rec("available", bit(bool_of(p, "native_available")));
        events(&mut r, &p["events"]);
        r.rec("text", str_of(p, "text"));
        r.rec("end", "");
    }
    r
}

/// The query of workload `name`, as the core reads the file (key order, exact numbers).
fn workload(name: &str) -> String {
    let path = golden::repo_root().join("tests/bench/workloads.json");
    let all = qb_core::json::parse_value(&read(&path)).unwrap_or_else(|e| panic!("{e}"));
    all.get("workloads")
        .and_then(|w| w.get(name))
        .and_then(|w| w.get("query"))
        .unwrap_or_else(|| panic!("no workload {name}"))
        .to_json()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(what), Some(out)) = (args.get(1), args.last().filter(|_| args.len() >= 3)) else {
        eprintln!("usage: fqb-c-testgen golden|vectors OUT | fqb-c-testgen workload NAME OUT");
        std::process::exit(2);
    };
    let records = match what.as_str() {
        "workload" if args.len() == 4 => Records(workload(&args[2]).into_bytes()),
        "golden" => golden_records(),
        "vectors" => vector_records(),
        other => {
            eprintln!("fqb-c-testgen: unknown data set {other}");
            std::process::exit(2);
        }
    };
    if let Err(e) = std::fs::write(out, records.0) {
        eprintln!("fqb-c-testgen: cannot write {out}: {e}");
        std::process::exit(1);
    }
}
