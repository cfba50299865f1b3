//! The README's example is executed: its JSON query must compile to exactly its SQL.

use qb_core::{CompileOptions, Query, Schema, compile};

fn block<'a>(text: &'a str, lang: &str) -> &'a str {
    let fence = format!("```{lang}\n");
    let start = text
        .find(&fence)
        .map(|i| i + fence.len())
        .expect("README has the block");
    let len = text[start..].find("```").expect("block is closed");
    &text[start..start + len]
}

#[test]
fn readme_example_compiles_to_the_sql_shown() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README.md");
    let schema_text =
        std::fs::read_to_string(format!("{root}/tests/golden/schema.json")).expect("schema");
    let schema = Schema::from_json(&schema_text).expect("valid schema");
    let query = Query::from_json(block(&readme, "json")).expect("valid query");
    let out = compile(&query, &schema, &CompileOptions::default()).expect("compiles");
    let sql_block = block(&readme, "sql");
    let shown = sql_block.lines().next().expect("SQL line");
    assert_eq!(out.sql, shown);
    let params_line = sql_block.lines().nth(1).expect("params line");
    assert_eq!(
        params_line,
        "-- $1 bigint = 25, $2 text = '%@example.com%', $3 bigint = 10"
    );
    assert_eq!(
        out.params
            .iter()
            .map(|p| p.to_pg_text())
            .collect::<Vec<_>>(),
        ["25", "%@example.com%", "10"]
    );
}
