//! `qb`: compiles query files against a schema file and prints the SQL and parameters.
//!
//! ```text
//! qb --schema tests/golden/schema.json examples/queries/*.json
//! qb --schema s.json --placeholder format --json q.json
//! ```
//! Exit status: 0 when every query compiled, 1 when any failed (its error is printed with
//! code and path), 2 on a usage or file error.

use std::path::PathBuf;
use std::process::ExitCode;

use qb_core::{CompileOptions, Placeholder, Query, Schema};
use serde_json::json;

const USAGE: &str = "usage: qb --schema FILE [--placeholder numbered|format] [--json] QUERY_FILE...

Compiles each query file (JSON, see docs/query-ast.md) against the schema registry and prints
the SQL and its parameters. --json prints one JSON object per query:
{\"file\", \"sql\", \"params\": [{\"type\", \"value\"}]} or {\"file\", \"error\": {\"code\", \"path\", \"message\"}}.";

struct Args {
    schema: PathBuf,
    placeholder: Placeholder,
    json: bool,
    queries: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut schema = None;
    let mut placeholder = Placeholder::Numbered;
    let mut json = false;
    let mut queries = Vec::new();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("schema") | Short('s') => {
                schema = Some(PathBuf::from(parser.value().map_err(|e| e.to_string())?))
            }
            Long("placeholder") | Short('p') => {
                let v = parser.value().map_err(|e| e.to_string())?;
                placeholder = match v.to_str() {
                    Some("numbered") => Placeholder::Numbered,
                    Some("format") => Placeholder::Format,
                    _ => return Err(format!("--placeholder takes numbered or format, not {v:?}")),
                };
            }
            Long("json") => json = true,
            Long("help") | Short('h') => return Err(String::new()),
            Value(v) => queries.push(PathBuf::from(v)),
            other => return Err(other.unexpected().to_string()),
        }
    }
    let schema = schema.ok_or("--schema is required")?;
    if queries.is_empty() {
        return Err("no query file given".into());
    }
    Ok(Args {
        schema,
        placeholder,
        json,
        queries,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("qb: {msg}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let schema = match std::fs::read_to_string(&args.schema) {
        Ok(text) => match Schema::from_json(&text) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("qb: {}: {e}", args.schema.display());
                return ExitCode::from(2);
            }
        },
        Err(e) => {
            eprintln!("qb: {}: {e}", args.schema.display());
            return ExitCode::from(2);
        }
    };
    let options = CompileOptions::default().with_placeholder(args.placeholder);
    let mut failed = false;
    for path in &args.queries {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("qb: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        let result = Query::from_json(&text).and_then(|q| qb_core::compile(&q, &schema, &options));
        let file = path.display().to_string();
        match (result, args.json) {
            (Ok(out), true) => {
                println!(
                    "{}",
                    json!({"file": file, "sql": out.sql, "params": out.params})
                );
            }
            (Ok(out), false) => {
                println!("-- {file}\n{}", out.sql);
                for (i, p) in out.params.iter().enumerate() {
                    let mark = match args.placeholder {
                        Placeholder::Format => format!("%s#{}", i + 1),
                        _ => format!("${}", i + 1),
                    };
                    println!("--   {mark} {} = {}", p.ty.sql_name(), json!(p.value));
                }
                println!();
            }
            (Err(e), true) => {
                failed = true;
                println!(
                    "{}",
                    json!({"file": file, "error": {"code": e.code(), "path": e.path(), "message": e.message()}})
                );
            }
            (Err(e), false) => {
                failed = true;
                println!("-- {file}\n-- error: {e}\n");
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
