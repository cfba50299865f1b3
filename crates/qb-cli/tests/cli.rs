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
