//! `qb`: compiles query files against a schema file and prints the SQL and parameters.
//!
//! ```text
//! qb --schema tests/golden/schema.json examples/queries/*.json
//! qb --schema s.json --placeholder format --json q.json
//! cat q.json | qb --schema s.json -
//! qb sdl --schema s.json          # the GraphQL schema (SDL) derived from the registry
//! ```
//! Exit status: 0 when every query compiled, 1 when any failed (its error is printed with
//! code and path), 2 on a usage or file error. `--help` and `--version` print to stdout and
//! exit 0. A closed stdout (`qb … | head -1`) ends the run quietly with the status so far.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use qb_core::{CompileOptions, Error, ErrorKind, Placeholder, Query, Schema};
use serde_json::json;

const USAGE: &str = "usage: qb --schema FILE [--placeholder numbered|format] [--json] QUERY_FILE...
       qb sdl --schema FILE
       qb --help | --version

Compiles each query file (JSON, see docs/query-ast.md) against the schema registry and prints
the SQL and its parameters. A FILE of `-` is standard input (at most once).

options:
  -s, --schema FILE         the schema registry (JSON)
  -p, --placeholder STYLE   numbered ($1, default) or format (%s)
      --json                one JSON object per query:
                            {\"file\", \"sql\", \"params\": [{\"type\", \"value\"}]} or
                            {\"file\", \"error\": {\"code\", \"path\", \"message\"}}
  -h, --help                this text
  -V, --version             the version

`qb sdl` prints the GraphQL schema (SDL) derived from the registry (docs/graphql.md).

exit status: 0 every query compiled, 1 a query failed, 2 usage or file error";

struct Args {
    schema: PathBuf,
    placeholder: Placeholder,
    json: bool,
    queries: Vec<PathBuf>,
}

enum Command {
    Help,
    Version,
    Compile(Args),
    Sdl(PathBuf),
}

fn parse_args() -> Result<Command, String> {
    use lexopt::prelude::*;
    if std::env::args_os().nth(1).is_some_and(|a| a == "sdl") {
        let mut parser = lexopt::Parser::from_args(std::env::args_os().skip(2));
        let mut schema = None;
        while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
            match arg {
                Long("schema") | Short('s') => {
                    schema = Some(PathBuf::from(parser.value().map_err(|e| e.to_string())?))
                }
                Long("help") | Short('h') => return Ok(Command::Help),
                other => return Err(other.unexpected().to_string()),
            }
        }
        return Ok(Command::Sdl(schema.ok_or("--schema is required")?));
    }
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
            Long("help") | Short('h') => return Ok(Command::Help),
            Long("version") | Short('V') => return Ok(Command::Version),
            Value(v) => queries.push(PathBuf::from(v)),
            other => return Err(other.unexpected().to_string()),
        }
    }
    let schema = schema.ok_or("--schema is required")?;
    if queries.is_empty() {
        return Err("no query file given".into());
    }
    let stdin_uses = queries
        .iter()
        .chain(std::iter::once(&schema))
        .filter(|p| is_stdin(p))
        .count();
    if stdin_uses > 1 {
        return Err("standard input (`-`) can be read only once".into());
    }
    Ok(Command::Compile(Args {
        schema,
        placeholder,
        json,
        queries,
    }))
}

fn is_stdin(p: &std::path::Path) -> bool {
    p.as_os_str() == "-"
}

/// What went wrong reading an input file.
enum ReadError {
    /// The file could not be read (exit 2).
    Io(io::Error),
    /// It was read but is not UTF-8, so it cannot be JSON (a coded error).
    NotUtf8(Error),
}

/// The file's text (`-`: standard input).
fn read_text(path: &std::path::Path) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    if is_stdin(path) {
        io::stdin().read_to_end(&mut bytes).map_err(ReadError::Io)?;
    } else {
        bytes = std::fs::read(path).map_err(ReadError::Io)?;
    }
    String::from_utf8(bytes).map_err(|e| {
        ReadError::NotUtf8(Error::new(
            ErrorKind::InvalidJson,
            "",
            format!(
                "the input is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

fn display(path: &std::path::Path) -> String {
    if is_stdin(path) {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}

/// Writes to stdout; `Err` only when stdout is closed or failing (then the run stops).
fn emit(out: &mut impl Write, text: &str) -> io::Result<()> {
    out.write_all(text.as_bytes())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Command::Compile(a)) => a,
        Ok(Command::Sdl(schema)) => return sdl(&schema),
        Ok(Command::Help) => return print_and_exit(&format!("{USAGE}\n")),
        Ok(Command::Version) => {
            return print_and_exit(&format!("qb {}\n", env!("CARGO_PKG_VERSION")));
        }
        Err(msg) => {
            eprintln!("qb: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let schema_name = display(&args.schema);
    let schema = match read_text(&args.schema) {
        Ok(text) => match Schema::from_json(&text) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("qb: {schema_name}: {e}");
                return ExitCode::from(2);
            }
        },
        Err(ReadError::NotUtf8(e)) => {
            eprintln!("qb: {schema_name}: {e}");
            return ExitCode::from(2);
        }
        Err(ReadError::Io(e)) => {
            eprintln!("qb: {schema_name}: {e}");
            return ExitCode::from(2);
        }
    };
    let options = CompileOptions::default().with_placeholder(args.placeholder);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for path in &args.queries {
        let file = display(path);
        let result = match read_text(path) {
            Ok(text) => {
                Query::from_json(&text).and_then(|q| qb_core::compile(&q, &schema, &options))
            }
            Err(ReadError::NotUtf8(e)) => Err(e),
            Err(ReadError::Io(e)) => {
                let _ = out.flush();
                eprintln!("qb: {file}: {e}");
                return ExitCode::from(2);
            }
        };
        failed |= result.is_err();
        let text = render(&file, result, args.placeholder, args.json);
        if emit(&mut out, &text).is_err() {
            // stdout closed (`| head`) or failing: nothing more can be shown.
            return status(failed);
        }
    }
    if out.flush().is_err() {
        return status(failed);
    }
    status(failed)
}

/// `qb sdl --schema FILE`: the registry's GraphQL schema on stdout.
fn sdl(path: &std::path::Path) -> ExitCode {
    let name = display(path);
    let schema = match read_text(path) {
        Ok(text) => Schema::from_json(&text),
        Err(ReadError::NotUtf8(e)) => Err(e),
        Err(ReadError::Io(e)) => {
            eprintln!("qb: {name}: {e}");
            return ExitCode::from(2);
        }
    };
    match schema.and_then(|s| qb_graphql::sdl(&s)) {
        Ok(text) => {
            let _ = io::stdout().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("qb: {name}: {e}");
            ExitCode::from(1)
        }
    }
}

fn status(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_and_exit(text: &str) -> ExitCode {
    let _ = io::stdout().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

/// One query's output block, text or JSON.
fn render(
    file: &str,
    result: Result<qb_core::CompiledQuery, Error>,
    placeholder: Placeholder,
    as_json: bool,
) -> String {
    match (result, as_json) {
        (Ok(out), true) => format!(
            "{}\n",
            json!({"file": file, "sql": out.sql, "params": out.params})
        ),
        (Ok(out), false) => {
            let mut s = format!("-- {file}\n{}\n", out.sql);
            for (i, p) in out.params.iter().enumerate() {
                let mark = match placeholder {
                    Placeholder::Format => format!("%s#{}", i + 1),
                    _ => format!("${}", i + 1),
                };
                s.push_str(&format!(
                    "--   {mark} {} = {}\n",
                    p.ty.sql_name(),
                    json!(p.value)
                ));
            }
            s.push('\n');
            s
        }
        (Err(e), true) => format!(
            "{}\n",
            json!({"file": file, "error": {"code": e.code(), "path": e.path(), "message": e.message()}})
        ),
        (Err(e), false) => format!("-- {file}\n-- error: {e}\n\n"),
    }
}
