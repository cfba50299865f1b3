//! Every statement of the golden corpus parses with PostgreSQL's own parser (libpg_query),
//! including the cases that cannot run here (pgvector is not installable on this machine).

use qb_testpg::golden::{self, Outcome};

#[test]
fn every_compiled_case_parses_with_postgresql_parser() {
    let schema = golden::fixture_schema();
    let mut parsed = 0;
    let mut failures = Vec::new();
    for case in golden::load_cases() {
        if let Outcome::Compiled(out) = golden::compile_case(&case, &schema) {
            let sql = golden::format_to_numbered(&out.sql);
            match pg_query::parse(&sql, 0) {
                Ok(_) => parsed += 1,
                Err(e) => failures.push(format!("[{}] {e}\n{sql}", case.name)),
            }
        }
    }
    eprintln!("{parsed} statements parsed by libpg_query");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(parsed > 0);
}
