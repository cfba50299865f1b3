//! The `qb` command as users run it: text and JSON output, errors with code and path, exit
//! statuses.

use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn qb(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qb"))
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("qb runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn json_output_has_sql_and_typed_params() {
    let (code, stdout, _) = qb(&[
        "--schema",
        "tests/golden/schema.json",
        "--placeholder",
        "format",
        "--json",
        "examples/queries/01_active_users.json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    let sql = v["sql"].as_str().expect("sql");
    assert!(
        sql.starts_with("SELECT jsonb_build_object('id', t.\"id\""),
        "{sql}"
    );
    assert_eq!(sql.matches("%s").count(), 4);
    assert_eq!(
        v["params"][0],
        serde_json::json!({"type": "boolean", "value": true})
    );
    assert_eq!(v["params"][2]["type"], "text[]");
}

#[test]
fn text_output_lists_placeholders() {
    let (code, stdout, _) = qb(&[
        "--schema",
        "tests/golden/schema.json",
        "examples/queries/04_columns_output.json",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("--   $1 jsonb = "), "{stdout}");
    assert!(stdout.contains(" AS \"publishedOn\""), "{stdout}");
}

#[test]
fn a_bad_query_exits_1_with_code_and_path() {
    let (code, stdout, _) = qb(&[
        "--schema",
        "tests/golden/schema.json",
        "--json",
        "examples/invalid/05_bad_operator.json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(v["error"]["code"], "QB_OPERATOR_TYPE_MISMATCH");
    assert_eq!(v["error"]["path"], "where.age.ilike");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = qb(&["examples/queries/01_active_users.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--schema is required"), "{stderr}");
    let (code, _, stderr) = qb(&["--schema", "no/such/file.json", "x.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no/such/file.json"), "{stderr}");
}

fn qb_with_stdin(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_qb"))
        .args(args)
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qb runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let out = child.wait_with_output().expect("qb ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A temp file holding `bytes`, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!("qb-cli-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("write temp file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn help_and_version_go_to_stdout_and_exit_0() {
    for flag in ["--help", "-h"] {
        let (code, stdout, stderr) = qb(&[flag]);
        assert_eq!(code, 0, "{flag}");
        assert!(stdout.starts_with("usage: qb --schema FILE"), "{stdout}");
        assert!(stderr.is_empty(), "{stderr}");
    }
    for flag in ["--version", "-V"] {
        let (code, stdout, _) = qb(&[flag]);
        assert_eq!(code, 0);
        assert_eq!(stdout, format!("qb {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn a_dash_reads_the_query_from_stdin() {
    let (code, stdout, stderr) = qb_with_stdin(
        &["--schema", "tests/golden/schema.json", "--json", "-"],
        br#"{"view": "v_user", "select": ["id"], "where": {"age": {"gt": 30}}}"#,
    );
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(v["file"], "<stdin>");
    assert_eq!(v["params"][0]["value"], 30);
    // The schema from stdin works too; stdin twice is a usage error.
    let schema = std::fs::read(format!("{ROOT}/tests/golden/schema.json")).expect("schema");
    let (code, _, stderr) = qb_with_stdin(
        &["--schema", "-", "examples/queries/01_active_users.json"],
        &schema,
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = qb(&["--schema", "-", "-"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("only once"), "{stderr}");
}

#[test]
fn a_non_utf8_file_is_a_coded_error() {
    let bad = TempFile::new("bad.json", b"{\"view\": \"v_\xff\"}");
    let (code, stdout, _) = qb(&["--schema", "tests/golden/schema.json", "--json", bad.path()]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(v["error"]["code"], "QB_INVALID_JSON");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("offset 12"),
        "{v}"
    );
    // A non-UTF-8 schema: usage/file error (2), still with the code.
    let (code, _, stderr) = qb(&[
        "--schema",
        bad.path(),
        "examples/queries/01_active_users.json",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("QB_INVALID_JSON"), "{stderr}");
}

#[test]
fn a_closed_stdout_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    // Far more output than a pipe buffer holds, so qb is still writing when the reader goes.
    let mut args = vec!["--schema", "tests/golden/schema.json", "--json"];
    args.extend(std::iter::repeat_n(
        "examples/queries/02_search_and_network.json",
        3000,
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_qb"))
        .args(&args)
        .current_dir(ROOT)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qb runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("one line");
    // The reader (and the pipe) is dropped here, like `| head -1`.
    let out = child.wait_with_output().expect("qb ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(first.starts_with("{\"file\""), "{first}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn sdl_prints_the_registry_graphql_schema() {
    let (code, stdout, _) = qb(&["sdl", "--schema", "tests/golden/schema.json"]);
    assert_eq!(code, 0);
    let golden = std::fs::read_to_string(format!(
        "{ROOT}/crates/qb-graphql/tests/golden/schema.graphql"
    ))
    .expect("golden SDL");
    assert_eq!(stdout, golden);
    let (code, _, stderr) = qb(&["sdl"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--schema is required"), "{stderr}");
}
