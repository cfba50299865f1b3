//! The golden corpus: `tests/golden/cases/<case>.json` (a query, optional options) with its
//! expectations beside it: `<case>.sql` + `<case>.params.json` + `<case>.rows.json`, or
//! `<case>.error.json`. `BLESS=1` rewrites the expectations from what the code does now.
//!
//! Case file keys: `description` (text), `query` (the query AST, JSON form), `placeholder`
//! (`numbered` default, or `format`), `schema` (an inline registry replacing
//! `tests/golden/schema.json`), `execute` (default `true`: run on PostgreSQL and compare
//! rows), `expect_ids` (hand-written: the `id`s the rows must have, in order when the query
//! orders), `reason` (why `execute` is false).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use qb_core::{CompileOptions, Param, Placeholder, Query, Schema};
use serde_json::{Value as Json, json};

/// The repository root (two levels above this crate). Read from the environment `cargo test`
/// sets when it runs a test, not only from the path baked in at build time: a build reused
/// from another checkout (a copied target dir, identical sources) would otherwise read that
/// checkout's corpus.
#[must_use]
pub fn repo_root() -> PathBuf {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    dir.join("../..")
}

/// One case on disk.
#[derive(Debug)]
pub struct Case {
    /// File stem.
    pub name: String,
    /// `tests/golden/cases/<name>` without extension.
    pub stem: PathBuf,
    /// The parsed case file.
    pub spec: Json,
    query_value: qb_core::Value,
}

impl Case {
    /// The query document (for inspection; compile from [`Case::query_value`]).
    #[must_use]
    pub fn query(&self) -> &Json {
        &self.spec["query"]
    }

    /// The query as the core reads it: key order as written, numbers exact.
    #[must_use]
    pub fn query_value(&self) -> &qb_core::Value {
        &self.query_value
    }

    /// Whether the case runs on PostgreSQL.
    #[must_use]
    pub fn execute(&self) -> bool {
        self.spec
            .get("execute")
            .and_then(Json::as_bool)
            .unwrap_or(true)
    }

    /// The placeholder style.
    #[must_use]
    pub fn placeholder(&self) -> Placeholder {
        match self.spec.get("placeholder").and_then(Json::as_str) {
            Some("format") => Placeholder::Format,
            _ => Placeholder::Numbered,
        }
    }

    /// Expectation file `<case>.<ext>`.
    #[must_use]
    pub fn file(&self, ext: &str) -> PathBuf {
        let mut p = self.stem.clone().into_os_string();
        p.push(".");
        p.push(ext);
        PathBuf::from(p)
    }
}

/// Every case, sorted by name.
///
/// # Panics
/// On an unreadable or non-JSON case file (a broken corpus is a test failure).
#[must_use]
pub fn load_cases() -> Vec<Case> {
    let dir = repo_root().join("tests/golden/cases");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && !p.to_string_lossy().ends_with(".params.json")
                && !p.to_string_lossy().ends_with(".rows.json")
                && !p.to_string_lossy().ends_with(".error.json")
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let spec: Json =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let whole = qb_core::json::parse_value(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let query_value = whole.get("query").cloned().unwrap_or(qb_core::Value::Null);
            Case {
                stem: path.with_extension(""),
                name,
                spec,
                query_value,
            }
        })
        .collect()
}

/// The shared fixture registry.
///
/// # Panics
/// When `tests/golden/schema.json` is missing or invalid.
#[must_use]
pub fn fixture_schema() -> Schema {
    let path = repo_root().join("tests/golden/schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Schema::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What compiling a case gives.
#[derive(Debug)]
pub enum Outcome {
    /// SQL and params.
    Compiled(qb_core::CompiledQuery),
    /// The error as `{"code", "path", "message"}`.
    Failed(Json),
}

/// Compiles a case with the core.
#[must_use]
pub fn compile_case(case: &Case, shared: &Schema) -> Outcome {
    let inline;
    let schema = match case.spec.get("schema") {
        Some(s) => match Schema::from_json(&s.to_string()) {
            Ok(s) => {
                inline = s;
                &inline
            }
            Err(e) => return Outcome::Failed(error_json(&e)),
        },
        None => shared,
    };
    let options = CompileOptions::default().with_placeholder(case.placeholder());
    match Query::from_value(case.query_value()).and_then(|q| qb_core::compile(&q, schema, &options))
    {
        Ok(c) => Outcome::Compiled(c),
        Err(e) => Outcome::Failed(error_json(&e)),
    }
}

/// An error as the corpus stores it.
#[must_use]
pub fn error_json(e: &qb_core::Error) -> Json {
    json!({"code": e.code(), "path": e.path(), "message": e.message()})
}

/// Parameters as the corpus stores them: `[{"type": "uuid", "value": "..."}]` (qb-core's
/// `Serialize` for `Param`).
#[must_use]
pub fn params_json(params: &[Param]) -> Json {
    json!(params)
}

/// `%s` SQL as `$n` SQL (and `%%` as `%`), to run format-style cases on the server.
#[must_use]
pub fn format_to_numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.peek() {
                Some('s') => {
                    chars.next();
                    n += 1;
                    let _ = write!(out, "${n}");
                }
                Some('%') => {
                    chars.next();
                    out.push('%');
                }
                _ => out.push('%'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The number of placeholders in `sql`: distinct `$n` (numbered) or `%s` occurrences.
#[must_use]
pub fn placeholder_count(sql: &str, style: Placeholder) -> usize {
    match style {
        Placeholder::Format => format_to_numbered(sql).matches('$').count(),
        _ => {
            let b = sql.as_bytes();
            let mut max = 0;
            let mut i = 0;
            let mut in_literal = false;
            while i < b.len() {
                if b[i] == b'\'' {
                    in_literal = !in_literal;
                } else if !in_literal && b[i] == b'$' {
                    let start = i + 1;
                    let mut j = start;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    if let Ok(n) = sql[start..j].parse::<usize>() {
                        max = max.max(n);
                    }
                    i = j;
                    continue;
                }
                i += 1;
            }
            max
        }
    }
}

/// Reads an expectation file, or writes it when blessing. Returns a failure message.
pub fn check_file(path: &Path, actual: &str, bless: bool) -> Option<String> {
    if bless {
        if let Err(e) = std::fs::write(path, actual) {
            return Some(format!("cannot write {}: {e}", path.display()));
        }
        return None;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => None,
        Ok(expected) => Some(format!(
            "{} differs\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )),
        Err(_) => Some(format!(
            "{} is missing (run with BLESS=1 to create it)",
            path.display()
        )),
    }
}

/// Pretty JSON with a trailing newline.
#[must_use]
pub fn pretty(v: &Json) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The `id` of a result row: the `id` column, or `data.id` of the JSON object form.
#[must_use]
pub fn row_id(row: &Json) -> Option<String> {
    row.get("id")
        .or_else(|| row.get("data").and_then(|d| d.get("id")))
        .and_then(Json::as_str)
        .map(str::to_owned)
}
