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

/// Every aggregate the SDL offers on a view's relations and lists compiles: for each
/// `<Type>Where` field typed `<Elem>ListRelationFilter`, `count` and each field of `sum`,
/// `avg`, `min` and `max`, as a filter (`isnull`, which every filter input has) and as an
/// order key. The SDL is derived by probing qb-core; this checks the probes on the real
/// registry.
#[test]
fn every_offered_aggregate_filter_and_order_key_compiles() {
    use qb_core::CompileOptions;
    let text = std::fs::read_to_string(root().join("tests/golden/schema.json")).expect("registry");
    let schema =
        qb_graphql::GraphqlSchema::new(Schema::from_json(&text).expect("registry")).expect("gql");
    let sdl = apollo_compiler::Schema::parse_and_validate(schema.sdl(), "s.graphql").expect("sdl");
    let query = sdl.get_object("Query").expect("Query");
    let mut checked = 0;
    for (root_name, root_field) in &query.fields {
        if !root_name.as_str().ends_with("List") {
            continue;
        }
        let ty = root_field.ty.inner_named_type().as_str();
        let Some(where_type) = sdl.get_input_object(&format!("{ty}Where")) else {
            continue;
        };
        for (field, def) in &where_type.fields {
            let lrf = def.ty.inner_named_type().as_str();
            if !lrf.ends_with("ListRelationFilter") {
                continue;
            }
            let lrf_def = sdl.get_input_object(lrf).expect("filter");
            let mut probes = vec![(
                format!("{{{field}: {{count: {{isnull: false}}}}}}"),
                format!("{{{field}: {{count: DESC}}}}"),
            )];
            for f in ["sum", "avg", "min", "max"] {
                let Some(fdef) = lrf_def.fields.get(f) else {
                    continue;
                };
                let inner = sdl
                    .get_input_object(fdef.ty.inner_named_type().as_str())
                    .expect("aggregate input");
                for k in inner.fields.keys() {
                    probes.push((
                        format!("{{{field}: {{{f}: {{{k}: {{isnull: true}}}}}}}}"),
                        format!("{{{field}: {{{f}: {{{k}: ASC}}}}}}"),
                    ));
                }
            }
            for (filter, order) in probes {
                let doc = format!(
                    "{{ {root_name}(where: {filter}, orderBy: {order}) {{ __typename }} }}"
                );
                qb_graphql::compile(&doc, None, None, &schema, &CompileOptions::default())
                    .unwrap_or_else(|e| panic!("{doc}: {}", e.to_json()));
                checked += 1;
            }
        }
    }
    assert!(checked > 30, "only {checked}");
}

/// An object field's registry `typename` names its type and the inputs derived from it
/// (`ProfileWhere`, `ProfileOrderBy`, and below it `ProfileGeo…`); a name two places claim is
/// the registry's error, as for views and lists.
#[test]
fn an_object_typename_names_its_type_and_its_inputs() {
    let registry = Schema::from_json(
        r#"{"views": {"v_user": {"typename": "User", "columns": {"id": "uuid"},
          "fields": {"profile": {"typename": "Profile", "fields": {"city": "text",
            "geo": {"fields": {"lat": "numeric"}}}},
            "work": {"fields": {"city": "text"}}}}}}"#,
    )
    .expect("registry");
    let sdl = qb_graphql::sdl(&registry).expect("sdl");
    apollo_compiler::Schema::parse_and_validate(&sdl, "schema.graphql")
        .unwrap_or_else(|e| panic!("the SDL does not validate: {}", e.errors));
    for line in [
        "  profile: Profile\n",
        "type Profile {\n  city: String\n  geo: ProfileGeo\n}",
        "type ProfileGeo {",
        "input ProfileWhere {",
        "  profile: ProfileWhere\n",
        "input ProfileOrderBy {",
        "  work: UserWork\n",
    ] {
        assert!(sdl.contains(line), "no `{line}` in\n{sdl}");
    }
    assert!(!sdl.contains("UserProfile"), "{sdl}");
    // A typename already a view's (or another object's) is refused.
    for clash in [
        r#"{"views": {"v_user": {"typename": "User", "columns": {"id": "uuid"},
          "fields": {"profile": {"typename": "User", "fields": {"city": "text"}}}}}}"#,
        r#"{"views": {"v_user": {"typename": "User", "columns": {"id": "uuid"},
          "fields": {"a": {"typename": "Place", "fields": {"city": "text"}},
                     "b": {"typename": "Place", "fields": {"city": "text"}}}}}}"#,
    ] {
        let registry = Schema::from_json(clash).expect("the registry itself is valid");
        let e = qb_graphql::sdl(&registry).expect_err("one GraphQL type name, two types");
        assert_eq!(e.kind(), qb_core::ErrorKind::InvalidSchema, "{e}");
        assert!(e.message().contains("is derived both from"), "{e}");
    }
}
