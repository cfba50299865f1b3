//! Target (e): arbitrary text as a GraphQL document (optionally `document \0 variables
//! JSON`), compiled by qb-graphql against the fixture registry's GraphQL schema. Every root
//! field's SQL goes through the shared oracle (parses, placeholders `$1..$n` match the
//! params, deterministic); every error has a `QB_` code and a message. A panic, a stack
//! overflow or a hang is a finding.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use qb_core::{CompileOptions, Limits};
use qb_graphql::{GraphqlSchema, RootField};

fn schema() -> &'static GraphqlSchema {
    static SCHEMA: OnceLock<GraphqlSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        GraphqlSchema::new(qb_fuzz::fixture_schema().clone())
            .expect("fixture registry has a GraphQL schema")
            .with_max_fields(2_000)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (document, vars) = match text.split_once('\0') {
        Some((d, v)) => (d, qb_fuzz::check_json_reader(v)),
        None => (text, None),
    };
    let options = CompileOptions::default().with_limits(Limits::default().with_max_depth(32));
    let first = qb_graphql::compile(document, vars.as_ref(), None, schema(), &options);
    match &first {
        Ok(request) => {
            for field in &request.fields {
                if let RootField::Sql { compiled, .. } | RootField::Connection { compiled, .. } =
                    field
                {
                    qb_fuzz::check_sql(&compiled.sql, compiled.params.len());
                }
            }
            let again = qb_graphql::compile(document, vars.as_ref(), None, schema(), &options);
            assert_eq!(again.as_ref().ok(), Some(request), "compile is not deterministic");
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "an error list without errors");
            for e in &errors.0 {
                assert!(e.code().starts_with("QB_"), "bad code {}", e.code());
                assert!(!e.message.is_empty(), "an error without a message");
            }
        }
    }
});
