//! The SDL of the golden corpus registry (tests/golden/schema.json) is a golden file,
//! parsed and validated by apollo-compiler here; `BLESS=1` rewrites it.

use std::path::PathBuf;

use qb_core::Schema;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn golden_registry_sdl_is_the_committed_file_and_validates() {
    let text = std::fs::read_to_string(root().join("tests/golden/schema.json")).expect("registry");
    let registry = Schema::from_json(&text).expect("registry parses");
    let sdl = qb_graphql::sdl(&registry).expect("sdl");
    // Deterministic: a second derivation gives the same text.
    assert_eq!(sdl, qb_graphql::sdl(&registry).expect("sdl"));
    // A valid GraphQL schema by the spec's rules.
    apollo_compiler::Schema::parse_and_validate(&sdl, "schema.graphql")
        .unwrap_or_else(|e| panic!("the SDL does not validate: {}", e.errors));
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/schema.graphql");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &sdl).expect("write golden SDL");
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        golden, sdl,
        "the SDL changed: review and rerun with BLESS=1"
    );
}
