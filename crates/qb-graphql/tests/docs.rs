//! docs/graphql.md is executed: every ```` ```graphql ```` block (with the ```` ```json
//! variables ```` block after it, if any) is compiled against the golden registry
//! (tests/golden/schema.json), and must give the SQL of the ```` ```sql ```` block and the
//! params of the ```` ```json params ```` block that follow (first root field), or the
//! errors of the ```` ```json errors ```` block.

use std::path::PathBuf;

use qb_core::{CompileOptions, Schema};
use qb_graphql::{GraphqlSchema, RootField};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (info string, body) of every fenced block.
fn blocks(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut body = String::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        out.push((info.trim().to_owned(), body));
    }
    out
}

#[test]
fn graphql_md_examples_compile_to_the_documented_sql() {
    let text = std::fs::read_to_string(root().join("tests/golden/schema.json")).expect("registry");
    let schema = GraphqlSchema::new(Schema::from_json(&text).expect("registry")).expect("schema");
    let doc = std::fs::read_to_string(root().join("docs/graphql.md")).expect("docs/graphql.md");
    let blocks = blocks(&doc);
    let mut checked = 0;
    let mut failures = Vec::new();
    for (i, (info, body)) in blocks.iter().enumerate() {
        if info != "graphql" {
            continue;
        }
        let mut next = blocks[i + 1..].iter();
        let mut following = next.next();
        let vars = match following {
            Some((info, vars)) if info == "json variables" => {
                following = next.next();
                Some(qb_core::json::parse_value(vars).expect("variables JSON"))
            }
            _ => None,
        };
        let got = qb_graphql::compile(
            body,
            vars.as_ref(),
            None,
            &schema,
            &CompileOptions::default(),
        );
        match (following, got) {
            (Some((info, sql)), Ok(req)) if info == "sql" => {
                let (RootField::Sql { compiled, .. } | RootField::Connection { compiled, .. }) =
                    &req.fields[0]
                else {
                    failures.push(format!("not SQL: {body}"));
                    continue;
                };
                if compiled.sql != sql.trim_end() {
                    failures.push(format!("{body}\n  doc: {sql}  got: {}", compiled.sql));
                }
                if let Some((_, params)) = next.next().filter(|(i, _)| i == "json params") {
                    let want: serde_json::Value =
                        serde_json::from_str(params).expect("params JSON");
                    let got_plain = serde_json::to_value(&compiled.params).expect("params");
                    if want != got_plain {
                        failures.push(format!("{body}\n  params doc: {want}  got: {got_plain}"));
                    }
                }
                checked += 1;
            }
            (Some((info, errors)), Err(e)) if info == "json errors" => {
                let want: serde_json::Value = serde_json::from_str(errors).expect("errors JSON");
                let got: serde_json::Value = serde_json::from_str(&e.to_json()).expect("json");
                if want != got {
                    failures.push(format!("{body}\n  doc: {want}\n  got: {got}"));
                }
                checked += 1;
            }
            (_, Ok(req)) => failures.push(format!("{body}\n  got: {req:?}")),
            (_, Err(e)) => failures.push(format!("{body}\n  got: {}", e.to_json())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked >= 5, "only {checked} examples");
}
