//! Keeps docs/query-ast.md and docs/errors.md true to the code.
//!
//! Markers understood in both documents (fenced code blocks, by info string):
//!
//! - ```` ```json registry ```` (query-ast.md, exactly one): the schema registry every example
//!   compiles against.
//! - ```` ```json query [options] ```` followed by ```` ```sql ```` and, when the query has
//!   parameters, ```` ```json params ````: the query must compile to exactly that SQL and
//!   those parameters (`[{"type": …, "value": …}, …]`).
//! - ```` ```json error-query [options] ```` (raw query text) or ```` ```json error-schema ````
//!   followed by ```` ```json error ````: parsing/compiling must fail with exactly that
//!   `{"code", "path", "message"}`.
//!
//! Options: `format` (`%s` placeholders), `camel_case=false`,
//! `max_depth=N`, `max_nodes=N`, `max_list_len=N`, `max_string_len=N`, `max_nested_rows=N`.
//!
//! The operator table of query-ast.md (between `<!-- operator-table:begin -->` and
//! `<!-- operator-table:end -->`) has rows `| op | type | operand | SQL | params |`; each row is
//! compiled as `{"view": "v_kinds", "select": ["id"], "where": {FIELD: {op: operand}}}` and its
//! WHERE clause compared with the SQL cell, where `{f}`, `{t}` and `{j}` stand for the field's
//! typed, text and jsonb expressions. The table must list every (operator, type) pair the
//! compiler accepts, and nothing else.
//!
//! `BLESS=1 cargo test -p qb-core --test docs` rewrites the expected SQL, params and errors
//! from the compiler (review the diff!).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use qb_core::{CompileOptions, Error, ErrorKind, Operator, Param, Placeholder, Query, Schema};
use serde_json::{Value as Json, json};

fn doc_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(name)
}

fn read_doc(name: &str) -> String {
    std::fs::read_to_string(doc_path(name)).unwrap_or_else(|e| panic!("read docs/{name}: {e}"))
}

/// Held by every test that may rewrite a document, so blessing never races.
static DOC_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| v == "1")
}

/// A fenced code block: its info string, body, and the line numbers of its fences.
#[derive(Debug)]
struct Block {
    info: String,
    body: String,
    open: usize,
    close: usize,
}

fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(info) = lines[i].strip_prefix("```") {
            let open = i;
            let mut j = i + 1;
            while j < lines.len() && lines[j] != "```" {
                j += 1;
            }
            assert!(j < lines.len(), "unclosed code block at line {}", open + 1);
            out.push(Block {
                info: info.trim().to_owned(),
                body: lines[open + 1..j].join("\n"),
                open,
                close: j,
            });
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

fn options(words: &[&str], line: usize) -> CompileOptions {
    let mut o = CompileOptions::default();
    for w in words {
        let (k, v) = w.split_once('=').unwrap_or((w, ""));
        let n = || -> usize {
            v.parse()
                .unwrap_or_else(|_| panic!("line {line}: option {k} needs a number"))
        };
        match k {
            "format" => o.placeholder = Placeholder::Format,
            "camel_case" => o.camel_case = v == "true",
            "max_depth" => o.limits.max_depth = n(),
            "max_nodes" => o.limits.max_nodes = n(),
            "max_list_len" => o.limits.max_list_len = n(),
            "max_string_len" => o.limits.max_string_len = n(),
            "max_nested_rows" => o.limits.max_nested_rows = Some(n() as u64),
            other => panic!("line {line}: unknown example option `{other}`"),
        }
    }
    o
}

fn params_json(params: &[Param]) -> Json {
    json!(params)
}

fn params_text(params: &[Param]) -> String {
    let mut s = String::from("[\n");
    for (i, p) in params.iter().enumerate() {
        let one = json!(p);
        s.push_str("  ");
        s.push_str(&one.to_string());
        if i + 1 < params.len() {
            s.push(',');
        }
        s.push('\n');
    }
    s.push(']');
    s
}

fn error_json(e: &Error) -> Json {
    json!({"code": e.code(), "path": e.path(), "message": e.message()})
}

fn error_text(e: &Error) -> String {
    format!(
        "{{\n  \"code\": {},\n  \"path\": {},\n  \"message\": {}\n}}",
        json!(e.code()),
        json!(e.path()),
        json!(e.message())
    )
}

fn compile_text(
    text: &str,
    schema: &Schema,
    o: &CompileOptions,
) -> Result<qb_core::CompiledQuery, Error> {
    let v = qb_core::json::parse_value(text)?;
    let q = Query::from_value_with_limits(&v, &o.limits)?;
    qb_core::compile(&q, schema, o)
}

fn registry() -> Schema {
    let doc = read_doc("query-ast.md");
    let regs: Vec<Block> = blocks(&doc)
        .into_iter()
        .filter(|b| b.info == "json registry")
        .collect();
    assert_eq!(
        regs.len(),
        1,
        "query-ast.md must have exactly one ```json registry block"
    );
    Schema::from_json(&regs[0].body).unwrap_or_else(|e| panic!("the doc registry: {e}"))
}

/// Replacement of lines `open..=close` by `lines`, or insertion after line `open` when
/// `close` is `None`.
struct Edit {
    open: usize,
    close: Option<usize>,
    lines: Vec<String>,
}

fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.open));
    for e in edits {
        match e.close {
            Some(c) => {
                lines.splice(e.open..=c, e.lines);
            }
            None => {
                lines.splice(e.open + 1..e.open + 1, e.lines);
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn fenced(info: &str, body: &str) -> Vec<String> {
    let mut v = vec![format!("```{info}")];
    v.extend(body.lines().map(str::to_owned));
    v.push("```".to_owned());
    v
}

/// Checks (or, with BLESS=1, rewrites) every example of one document. Returns the number
/// of examples and, per `## ` heading, the error codes its examples produced.
fn check_examples(name: &str, schema: &Schema) -> (usize, BTreeMap<String, Vec<String>>) {
    let _guard = DOC_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let doc = read_doc(name);
    let bs = blocks(&doc);
    let lines: Vec<&str> = doc.lines().collect();
    let heading_at = |line: usize| -> String {
        lines[..line]
            .iter()
            .rev()
            .find(|l| l.starts_with("## "))
            .map(|l| l[3..].trim().to_owned())
            .unwrap_or_default()
    };
    let mut failures = Vec::new();
    let mut edits = Vec::new();
    let mut count = 0;
    let mut codes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, b) in bs.iter().enumerate() {
        let words: Vec<&str> = b.info.split_whitespace().collect();
        let line = b.open + 1;
        match words.as_slice() {
            ["json", "query", opts @ ..] => {
                count += 1;
                let o = options(opts, line);
                let out = match compile_text(&b.body, schema, &o) {
                    Ok(out) => out,
                    Err(e) => {
                        failures.push(format!("{name}:{line}: example does not compile: {e}"));
                        continue;
                    }
                };
                let sql_block = bs.get(i + 1).filter(|n| n.info == "sql");
                let params_block = bs
                    .get(i + 2)
                    .filter(|n| sql_block.is_some() && n.info == "json params");
                match sql_block {
                    Some(s) if s.body == out.sql => {}
                    Some(s) => {
                        if bless() {
                            edits.push(Edit {
                                open: s.open,
                                close: Some(s.close),
                                lines: fenced("sql", &out.sql),
                            });
                        } else {
                            failures.push(format!(
                                "{name}:{line}: SQL differs\n  doc: {}\n  got: {}",
                                s.body, out.sql
                            ));
                        }
                    }
                    None => {
                        if bless() {
                            edits.push(Edit {
                                open: b.close,
                                close: None,
                                lines: [vec![String::new()], fenced("sql", &out.sql)].concat(),
                            });
                        } else {
                            failures.push(format!(
                                "{name}:{line}: query without a ```sql block after it"
                            ));
                        }
                    }
                }
                let got = params_json(&out.params);
                match params_block {
                    Some(p) => {
                        let doc_params: Json = serde_json::from_str(&p.body).unwrap_or(Json::Null);
                        if doc_params != got || out.params.is_empty() {
                            if bless() {
                                let lines = if out.params.is_empty() {
                                    Vec::new()
                                } else {
                                    fenced("json params", &params_text(&out.params))
                                };
                                edits.push(Edit {
                                    open: p.open,
                                    close: Some(p.close),
                                    lines,
                                });
                            } else {
                                failures.push(format!(
                                    "{name}:{line}: params differ\n  doc: {}\n  got: {}",
                                    p.body, got
                                ));
                            }
                        }
                    }
                    None if out.params.is_empty() => {}
                    None => {
                        if bless() && sql_block.is_some() {
                            let s = sql_block.map_or(b.close, |s| s.close);
                            edits.push(Edit {
                                open: s,
                                close: None,
                                lines: [
                                    vec![String::new()],
                                    fenced("json params", &params_text(&out.params)),
                                ]
                                .concat(),
                            });
                        } else {
                            failures.push(format!(
                                "{name}:{line}: missing ```json params block ({got})"
                            ));
                        }
                    }
                }
            }
            ["json", kind @ ("error-query" | "error-schema"), opts @ ..] => {
                count += 1;
                let o = options(opts, line);
                let result = if *kind == "error-schema" {
                    Schema::from_json(&b.body).map(|_| ())
                } else {
                    compile_text(&b.body, schema, &o).map(|_| ())
                };
                let Err(e) = result else {
                    failures.push(format!("{name}:{line}: error example does not fail"));
                    continue;
                };
                codes
                    .entry(heading_at(b.open))
                    .or_default()
                    .push(e.code().to_owned());
                match bs.get(i + 1).filter(|n| n.info == "json error") {
                    Some(d) => {
                        let doc_err: Json = serde_json::from_str(&d.body).unwrap_or(Json::Null);
                        if doc_err != error_json(&e) {
                            if bless() {
                                edits.push(Edit {
                                    open: d.open,
                                    close: Some(d.close),
                                    lines: fenced("json error", &error_text(&e)),
                                });
                            } else {
                                failures.push(format!(
                                    "{name}:{line}: error differs\n  doc: {}\n  got: {}",
                                    d.body,
                                    error_json(&e)
                                ));
                            }
                        }
                    }
                    None => {
                        if bless() {
                            edits.push(Edit {
                                open: b.close,
                                close: None,
                                lines: [vec![String::new()], fenced("json error", &error_text(&e))]
                                    .concat(),
                            });
                        } else {
                            failures.push(format!(
                                "{name}:{line}: error example without a ```json error block"
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if bless() && !edits.is_empty() {
        std::fs::write(doc_path(name), apply(&doc, edits)).expect("write blessed doc");
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    (count, codes)
}

#[test]
fn query_ast_examples_compile_to_the_documented_sql() {
    let schema = registry();
    let (n, _) = check_examples("query-ast.md", &schema);
    assert!(n >= 25, "query-ast.md has only {n} examples");
}

#[test]
fn error_examples_fail_with_the_documented_error() {
    let schema = registry();
    let (_, codes) = check_examples("errors.md", &schema);
    // Every section's examples produce the section's own code.
    // QB_GRAPHQL_INVALID comes from GraphQL documents, never from a query AST: qb-graphql's
    // tests check that section's examples.
    for kind in ErrorKind::ALL
        .iter()
        .filter(|k| k.is_input_error() && **k != ErrorKind::GraphqlInvalid)
    {
        let heading = format!("{} ({})", kind.code(), kind.number());
        let got = codes.get(&heading).cloned().unwrap_or_default();
        assert!(
            !got.is_empty(),
            "errors.md: section `{heading}` has no error example"
        );
        assert!(
            got.iter().all(|c| c == kind.code()),
            "errors.md: examples in `{heading}` fail with {got:?}"
        );
    }
}

#[test]
fn errors_md_lists_every_code_exactly_once() {
    let doc = read_doc("errors.md");
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for line in doc.lines() {
        let Some(h) = line.strip_prefix("## ") else {
            continue;
        };
        let Some(code) = h.split_whitespace().next().filter(|c| c.starts_with("QB_")) else {
            continue;
        };
        let kind = ErrorKind::from_code(code)
            .unwrap_or_else(|| panic!("errors.md: heading for unknown code `{code}`"));
        assert_eq!(
            h.trim(),
            format!("{} ({})", kind.code(), kind.number()),
            "errors.md: heading must be `## CODE (NUMBER)`"
        );
        assert!(
            seen.insert(code.to_owned(), kind.number()).is_none(),
            "errors.md: `{code}` twice"
        );
    }
    for kind in ErrorKind::ALL {
        assert!(
            seen.contains_key(kind.code()),
            "errors.md: no heading for {}",
            kind.code()
        );
    }
    let numbers: BTreeSet<u32> = seen.values().copied().collect();
    assert_eq!(
        numbers.len(),
        ErrorKind::ALL.len(),
        "errors.md: duplicate numbers"
    );
    // No unknown code anywhere in the text.
    let bytes = doc.as_bytes();
    let mut i = 0;
    while let Some(pos) = doc[i..].find("QB_") {
        let start = i + pos;
        let mut end = start + 3;
        while end < bytes.len() && (bytes[end].is_ascii_uppercase() || bytes[end] == b'_') {
            end += 1;
        }
        let code = doc[start..end].trim_end_matches('_');
        assert!(
            ErrorKind::from_code(code).is_some(),
            "errors.md mentions unknown code `{code}`"
        );
        i = end;
    }
}

// ---------------------------------------------------------------------------------------
// The operator table.

/// The `v_kinds` field holding a value of registry type `ty`.
fn kind_field(ty: &str) -> String {
    ty.replace("[]", "_list")
}

/// Registry types with a field in `v_kinds`.
const KINDS: &[&str] = &[
    "text",
    "integer",
    "numeric",
    "boolean",
    "uuid",
    "date",
    "timestamptz",
    "inet",
    "cidr",
    "macaddr",
    "ltree",
    "daterange",
    "tsvector",
    "vector",
    "bit",
    "jsonb",
    "coordinates",
    "text[]",
    "integer[]",
    "object",
];

fn exprs(ty: &str) -> (String, String, String) {
    let key = kind_field(ty);
    let j = format!("t.\"data\"->'{key}'");
    let t = format!("t.\"data\"->>'{key}'");
    let f = match ty {
        "text" => t.clone(),
        "jsonb" | "coordinates" | "object" => format!("NULLIF({j}, 'null'::jsonb)"),
        a if a.ends_with("[]") => format!("NULLIF({j}, 'null'::jsonb)"),
        "integer" => format!("({t})::numeric"),
        "bit" => format!("({t})::varbit"),
        other => format!("({t})::{other}"),
    };
    (f, t, j)
}

/// Table rows the compiler cannot produce today because of a known bug; their SQL cell is
/// written by hand. Each entry must still panic: once the bug is fixed, remove it here and
/// bless the row.
///
/// - `jaccard_distance`: pgvector's `<%>` operator is written through `SqlWriter::sql`, whose
///   debug assertion forbids `%` in static SQL (and the `%s` placeholder style would need it
///   written `<%%>`).
const KNOWN_PANICS: &[(&str, &str)] = &[];

fn compile_caught(
    text: &str,
    schema: &Schema,
    o: &CompileOptions,
) -> Option<Result<qb_core::CompiledQuery, Error>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        compile_text(text, schema, o)
    }))
    .ok()
}

const WHERE_PREFIX: &str =
    "SELECT jsonb_build_object('id', t.\"id\") AS \"data\" FROM \"v_kinds\" AS t WHERE ";

fn table_query(op: &str, ty: &str, operand: &str) -> String {
    format!(
        "{{\"view\": \"v_kinds\", \"select\": [\"id\"], \"where\": {{{}: {{{}: {operand}}}}}}}",
        json!(kind_field(ty)),
        json!(op)
    )
}

/// Splits a markdown table row into cells, honouring `\|`.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|c| {
            let c = c.trim();
            c.strip_prefix('`')
                .and_then(|c| c.strip_suffix('`'))
                .unwrap_or(c)
                .to_owned()
        })
        .collect()
}

fn cell_text(s: &str) -> String {
    format!("`{}`", s.replace('|', "\\|"))
}

#[test]
fn operator_table_is_exact_and_complete() {
    let schema = registry();
    let _guard = DOC_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let doc = read_doc("query-ast.md");
    let lines: Vec<&str> = doc.lines().collect();
    let begin = lines
        .iter()
        .position(|l| l.trim() == "<!-- operator-table:begin -->")
        .expect("operator-table:begin marker");
    let end = lines
        .iter()
        .position(|l| l.trim() == "<!-- operator-table:end -->")
        .expect("operator-table:end marker");
    let o = CompileOptions::default();
    let mut failures = Vec::new();
    let mut edits = Vec::new();
    let mut documented: BTreeSet<(String, String)> = BTreeSet::new();
    for (n, line) in lines.iter().enumerate().take(end).skip(begin) {
        if !line.starts_with("| `") {
            continue;
        }
        let c = cells(line);
        assert_eq!(
            c.len(),
            5,
            "query-ast.md:{}: operator rows have 5 cells",
            n + 1
        );
        let (op, ty, operand) = (&c[0], &c[1], &c[2]);
        let canonical = Operator::from_name(op)
            .unwrap_or_else(|| panic!("query-ast.md:{}: unknown operator `{op}`", n + 1));
        assert_eq!(
            canonical.name(),
            op,
            "query-ast.md:{}: use the canonical name",
            n + 1
        );
        assert!(
            KINDS.contains(&ty.as_str()),
            "query-ast.md:{}: no v_kinds field for `{ty}`",
            n + 1
        );
        assert!(
            documented.insert((op.clone(), ty.clone())),
            "query-ast.md:{}: `{op}` on `{ty}` twice",
            n + 1
        );
        let known_panic = KNOWN_PANICS.contains(&(op.as_str(), ty.as_str()));
        let out = match compile_caught(&table_query(op, ty, operand), &schema, &o) {
            None if known_panic => continue,
            None => {
                failures.push(format!(
                    "query-ast.md:{}: `{op}` on {ty}: the compiler panics",
                    n + 1
                ));
                continue;
            }
            Some(_) if known_panic => {
                failures.push(format!(
                    "query-ast.md:{}: `{op}` on {ty} no longer panics: remove it from KNOWN_PANICS and bless",
                    n + 1
                ));
                continue;
            }
            Some(Ok(out)) => out,
            Some(Err(e)) => {
                failures.push(format!("query-ast.md:{}: `{op}` on {ty}: {e}", n + 1));
                continue;
            }
        };
        let cond = out
            .sql
            .strip_prefix(WHERE_PREFIX)
            .unwrap_or_else(|| panic!("unexpected statement {}", out.sql));
        let (f, t, j) = exprs(ty);
        let expanded = c[3]
            .replace("{f}", &f)
            .replace("{t}", &t)
            .replace("{j}", &j);
        let values = Json::Array(out.params.iter().map(|p| json!(p.value)).collect());
        let doc_values: Json = serde_json::from_str(&c[4]).unwrap_or(Json::Null);
        if expanded != cond || doc_values != values {
            if bless() {
                let tokened = cond
                    .replace(&f, "{f}")
                    .replace(&t, "{t}")
                    .replace(&j, "{j}");
                edits.push(Edit {
                    open: n,
                    close: Some(n),
                    lines: vec![format!(
                        "| {} | {} | {} | {} | {} |",
                        cell_text(op),
                        cell_text(ty),
                        cell_text(operand),
                        cell_text(&tokened),
                        cell_text(&values.to_string())
                    )],
                });
            } else {
                failures.push(format!(
                    "query-ast.md:{}: `{op}` on {ty}\n  doc: {expanded} {doc_values}\n  got: {cond} {values}",
                    n + 1
                ));
            }
        }
    }
    if bless() && !edits.is_empty() {
        std::fs::write(doc_path("query-ast.md"), apply(&doc, edits)).expect("write blessed doc");
    }
    // Completeness: a null operand fails with QB_OPERATOR_TYPE_MISMATCH exactly when the
    // operator does not apply to the type (applicability is decided before the operand).
    for op in Operator::ALL {
        for ty in KINDS {
            let applies = match compile_text(&table_query(op.name(), ty, "null"), &schema, &o) {
                Err(e) => e.kind() != ErrorKind::OperatorTypeMismatch,
                Ok(_) => true,
            };
            let listed = documented.contains(&(op.name().to_owned(), (*ty).to_owned()));
            if applies && !listed {
                failures.push(format!(
                    "operator table: `{}` applies to {ty} but has no row",
                    op.name()
                ));
            }
            if !applies && listed {
                failures.push(format!(
                    "operator table: `{}` does not apply to {ty} but has a row",
                    op.name()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// The Rust form shown in query-ast.md builds the same query as its JSON twin.

#[test]
fn rust_form_matches_json_form() {
    use qb_core::Filter;
    use qb_core::ast::{
        Condition, Direction, FieldPath, FieldSelection, Nulls, OrderBy, Selection,
    };

    let mut q = Query::new("v_user", &["id", "email"]);
    let mut home = FieldSelection::new(FieldPath::parse("profile"));
    home.alias = Some("home".into());
    home.select = Some(vec![Selection::field("city")]);
    q.select.push(Selection::Field(home));
    q.filter = Some(Filter::Or(vec![
        Filter::Condition(Condition {
            path: FieldPath::parse("age"),
            op: Operator::Gte,
            value: 18.into(),
        }),
        Filter::Condition(Condition {
            path: FieldPath::parse("profile.city"),
            op: Operator::Eq,
            value: "Paris".into(),
        }),
    ]));
    q.order_by.push(OrderBy {
        path: FieldPath::parse("createdAt"),
        direction: Direction::Desc,
        nulls: Some(Nulls::Last),
    });
    q.limit = Some(20);

    let from_json = Query::from_json(
        r#"{"view": "v_user",
            "select": ["id", "email", {"field": "profile", "alias": "home", "select": ["city"]}],
            "where": {"or": [{"age": {"gte": 18}}, {"profile": {"city": {"eq": "Paris"}}}]},
            "order_by": [{"field": "createdAt", "direction": "desc", "nulls": "last"}],
            "limit": 20}"#,
    )
    .expect("valid JSON query");
    assert_eq!(q, from_json);
    let schema = registry();
    let a = qb_core::compile(&q, &schema, &CompileOptions::default()).expect("compiles");
    let b = qb_core::compile(&from_json, &schema, &CompileOptions::default()).expect("compiles");
    assert_eq!(a, b);
}

// ---------------------------------------------------------------------------------------
// docs/migrating.md backs its claims with golden cases: every linked case exists and has
// committed rows or an error (or says why it cannot run here), and the cases of the
// builder-input table run on PostgreSQL (they have committed rows).

#[test]
fn migrating_md_links_existing_golden_cases() {
    let text = read_doc("migrating.md");
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/cases");
    let marker = "](../tests/golden/cases/";
    let (builder_start, builder_end) = (
        text.find("<!-- builder-inputs:begin -->")
            .expect("builder-inputs:begin marker"),
        text.find("<!-- builder-inputs:end -->")
            .expect("builder-inputs:end marker"),
    );
    let mut linked = 0;
    let mut failures = Vec::new();
    for (at, _) in text.match_indices(marker) {
        let rest = &text[at + marker.len()..];
        let Some(name) = rest.split(')').next().and_then(|n| n.strip_suffix(".json")) else {
            failures.push(format!("malformed case link at byte {at}"));
            continue;
        };
        linked += 1;
        let stem = cases.join(name);
        if !stem.with_extension("json").exists() {
            failures.push(format!("linked case `{name}` does not exist"));
            continue;
        }
        let executed = cases.join(format!("{name}.rows.json")).exists();
        let error = cases.join(format!("{name}.error.json")).exists();
        if (builder_start..builder_end).contains(&at) && !executed {
            failures.push(format!(
                "builder input case `{name}` is not executed on PostgreSQL (no rows.json)"
            ));
        }
        let spec: Json = serde_json::from_str(
            &std::fs::read_to_string(stem.with_extension("json")).unwrap_or_default(),
        )
        .unwrap_or(Json::Null);
        let not_executable = spec["execute"] == json!(false) && spec["reason"].is_string();
        if !executed && !error && !not_executable {
            failures.push(format!("case `{name}` has neither rows nor an error"));
        }
    }
    assert!(
        linked > 30,
        "only {linked} golden case links in migrating.md"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The README's and `make demo`'s example queries: every `examples/queries/*.json` compiles
/// against the golden registry and every `examples/invalid/*.json` fails with a code, so the
/// examples and the documented rules cannot drift apart (examples/queries/03 is the grouped
/// sub-selection query-ast.md documents).
#[test]
fn example_queries_compile_and_invalid_examples_fail() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let schema_text = std::fs::read_to_string(root.join("tests/golden/schema.json"))
        .unwrap_or_else(|e| panic!("tests/golden/schema.json: {e}"));
    let schema = Schema::from_json(&schema_text).unwrap_or_else(|e| panic!("schema: {e}"));
    for (dir, must_compile) in [("examples/queries", true), ("examples/invalid", false)] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{dir} has no examples");
        for f in files {
            let text = std::fs::read_to_string(&f).expect("example");
            let got = Query::from_json(&text)
                .and_then(|q| qb_core::compile(&q, &schema, &CompileOptions::default()));
            match (got, must_compile) {
                (Ok(_), true) | (Err(_), false) => {}
                (Err(e), true) => panic!("{}: {e}", f.display()),
                (Ok(out), false) => panic!("{} compiled: {}", f.display(), out.sql),
            }
        }
    }
}

/// README's "Not supported yet" list stays true: each row's example query is refused with
/// the row's code (compiled against the golden registry), so an item that becomes supported
/// (or refused differently) fails here until the list is updated.
#[test]
fn readme_not_supported_list_is_refused_with_its_code() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let schema_text =
        std::fs::read_to_string(root.join("tests/golden/schema.json")).expect("golden schema");
    let schema = Schema::from_json(&schema_text).unwrap_or_else(|e| panic!("schema: {e}"));
    let start = readme
        .find("<!-- not-supported:begin -->")
        .expect("not-supported:begin marker");
    let end = readme
        .find("<!-- not-supported:end -->")
        .expect("not-supported:end marker");
    let mut rows = 0;
    for line in readme[start..end].lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let [what, code, example] = cells[..] else {
            panic!("a row has three cells: {line}")
        };
        if what == "not supported yet" || what.starts_with("---") {
            continue; // the header
        }
        let code = code.trim_matches('`');
        let example = example.trim_matches('`');
        let got = Query::from_json(example)
            .and_then(|q| qb_core::compile(&q, &schema, &CompileOptions::default()));
        match got {
            Ok(out) => panic!("`{what}` compiles: {}", out.sql),
            Err(e) => assert_eq!(e.code(), code, "`{what}`: {e}"),
        }
        rows += 1;
    }
    assert!(rows >= 5, "only {rows} rows in README's not-supported list");
}

/// The operator table in the API docs (`Operator`'s rustdoc includes
/// `src/ast/operators.md`): which operators the compiler accepts on each field type, found by
/// compiling every (type, operator) pair with a null operand (refused as an invalid value
/// when the operator applies, as a type mismatch when it does not). `BLESS=1` rewrites it.
#[test]
fn the_api_docs_operator_table_is_the_compilers() {
    use qb_core::ScalarType;
    let mut kinds: Vec<(String, Json)> = ScalarType::ALL
        .iter()
        .map(|s| (format!("`{}`", s.name()), Json::from(s.name())))
        .collect();
    for s in ScalarType::ALL {
        let ty = format!("{}[]", s.name());
        let doc = json!({"views": {"v": {"fields": {"f": ty}}}});
        if Schema::from_json(&doc.to_string()).is_ok() {
            kinds.push((format!("`{ty}`"), Json::from(ty)));
        }
    }
    kinds.push((
        "object".into(),
        json!({"type": "object", "fields": {"x": "text"}}),
    ));
    let mut table = String::from(
        "# Operators by field type\n\n\
         Which operators the compiler accepts on a field of each type (generated from the \
         compiler by `crates/qb-core/tests/docs.rs`; the operand each one takes is in \
         docs/query-ast.md). Any other pair is `QB_OPERATOR_TYPE_MISMATCH`.\n\n\
         | field type | operators |\n|---|---|\n",
    );
    for (label, ty) in &kinds {
        let doc = json!({"views": {"v": {"fields": {"f": ty}}}});
        let schema = Schema::from_json(&doc.to_string()).expect("probe registry");
        let mut names = Vec::new();
        for op in Operator::ALL {
            let q = json!({"view": "v", "select": ["f"], "where": {"f": {op.name(): null}}});
            let got = Query::from_json(&q.to_string())
                .and_then(|q| qb_core::compile(&q, &schema, &CompileOptions::default()));
            match got {
                Err(e) if e.kind() == ErrorKind::OperatorTypeMismatch => {}
                Err(e) if e.kind() == ErrorKind::InvalidValue => {
                    names.push(format!("`{}`", op.name()))
                }
                other => panic!("{label} {}: a null operand gave {other:?}", op.name()),
            }
        }
        table.push_str(&format!("| {label} | {} |\n", names.join(", ")));
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/ast/operators.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if bless() {
        std::fs::write(&path, &table).expect("write operators.md");
    } else {
        assert_eq!(
            current, table,
            "src/ast/operators.md is stale: rerun with BLESS=1 (the API docs' operator table)"
        );
    }
}
