//! Relations between views: the registry's checks (each a coded error at its path), the
//! nested-rows cap, the depth limit through relation cycles, and the statement's shape that
//! the golden corpus does not pin (the distribution column in every join, one statement).
//! Meanings are proven on PostgreSQL by the `rel_*` golden cases.

use qb_core::{CompileOptions, ErrorKind, Limits, Query, Schema, compile};

/// Users, posts and likes: every relation kind, a composite key, distribution columns.
const REGISTRY: &str = r#"{"views": {
  "v_user": {"columns": {"id": "uuid", "tenant_id": "uuid", "manager_id": "uuid"},
    "primary_key": ["id"], "distribution_column": "tenant_id",
    "fields": {"name": "text"},
    "relations": {
      "manager": {"view": "v_user", "kind": "many_to_one", "join": {"manager_id": "id"}},
      "posts": {"view": "v_post", "kind": "one_to_many", "join": {"id": "author_id"}},
      "liked": {"view": "v_post", "kind": "many_to_many", "join": {"id": "user_id"},
                "through": {"view": "v_like", "join": {"post_id": "id"}}}}},
  "v_post": {"columns": {"id": "uuid", "tenant_id": "uuid", "author_id": "uuid"},
    "primary_key": ["id"], "distribution_column": "tenant_id",
    "fields": {"title": "text"},
    "relations": {
      "author": {"view": "v_user", "kind": "many_to_one", "join": {"author_id": "id"}},
      "author_likes": {"view": "v_like", "kind": "one_to_many",
                       "join": {"id": "post_id", "author_id": "user_id"}}}},
  "v_like": {"columns": {"id": "uuid", "tenant_id": "uuid", "post_id": "uuid", "user_id": "uuid"},
    "primary_key": ["id"], "distribution_column": "tenant_id"}}}"#;

fn schema() -> Schema {
    Schema::from_json(REGISTRY).expect("the test registry")
}

fn sql(q: &str) -> String {
    let query = Query::from_json(q).expect("query");
    compile(&query, &schema(), &CompileOptions::default())
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .sql
}

/// The registry with `edit` applied to its JSON value, built: the error it gives.
fn registry_error(edit: impl FnOnce(&mut serde_json::Value)) -> qb_core::Error {
    let mut v: serde_json::Value = serde_json::from_str(REGISTRY).expect("the registry is JSON");
    edit(&mut v);
    Schema::from_json(&v.to_string()).expect_err("an invalid registry")
}

/// A change to the registry's JSON value.
type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;

#[test]
fn registry_refuses_bad_relations_at_their_path() {
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "unknown view",
            Box::new(|v| v["views"]["v_post"]["relations"]["author"]["view"] = "v_usr".into()),
            "views.v_post.relations.author.view",
        ),
        (
            "unknown column on this side",
            Box::new(|v| {
                v["views"]["v_post"]["relations"]["author"]["join"] =
                    serde_json::json!({"writer_id": "id"})
            }),
            "views.v_post.relations.author.join.writer_id",
        ),
        (
            "unknown column on the related side",
            Box::new(|v| {
                v["views"]["v_post"]["relations"]["author"]["join"] =
                    serde_json::json!({"author_id": "uid"})
            }),
            "views.v_post.relations.author.join.author_id",
        ),
        (
            "key type mismatch",
            Box::new(|v| v["views"]["v_post"]["columns"]["author_id"] = "text".into()),
            "views.v_post.relations.author.join.author_id",
        ),
        (
            "list without a primary key on the target",
            Box::new(|v| {
                v["views"]["v_post"]
                    .as_object_mut()
                    .expect("an object")
                    .remove("primary_key");
            }),
            "views.v_user.relations.liked.view",
        ),
        (
            "through on a one-to-many relation",
            Box::new(|v| {
                v["views"]["v_user"]["relations"]["posts"]["through"] =
                    serde_json::json!({"view": "v_like", "join": {"post_id": "id"}})
            }),
            "views.v_user.relations.posts.through",
        ),
        (
            "many-to-many without through",
            Box::new(|v| {
                v["views"]["v_user"]["relations"]["liked"]
                    .as_object_mut()
                    .expect("an object")
                    .remove("through");
            }),
            "views.v_user.relations.liked",
        ),
        (
            "a relation named like a field",
            Box::new(|v| {
                v["views"]["v_post"]["relations"]["title"] =
                    v["views"]["v_post"]["relations"]["author"].clone()
            }),
            "views.v_post.relations.title",
        ),
    ];
    for (what, edit, path) in cases {
        let e = registry_error(edit);
        assert_eq!(e.kind(), ErrorKind::InvalidSchema, "{what}: {e}");
        assert_eq!(e.path(), path, "{what}: {e}");
    }
}

#[test]
fn every_join_matches_the_distribution_column() {
    let s = sql(r#"{"view": "v_user", "select": [
        {"field": "manager", "select": ["id"]},
        {"field": "posts", "select": ["id"]},
        {"field": "liked", "select": ["id"]}],
      "where": {"posts": {"some": {"author": {"name": {"eq": "x"}}}}}}"#);
    // manager, posts, liked (through v_like: two joins), the filter's posts and author.
    assert_eq!(s.matches(r#"."tenant_id" = "#).count(), 6, "{s}");
    // One statement: the root, three selected relations, the join view and two filters.
    assert_eq!(s.matches("SELECT").count(), 7, "{s}");
}

#[test]
fn a_composite_join_pairs_every_column() {
    let s = sql(r#"{"view": "v_post", "select": [{"field": "author_likes", "select": ["id"]}]}"#);
    assert!(
        s.contains(r#"t1."post_id" = t."id" AND t1."user_id" = t."author_id""#),
        "{s}"
    );
}

#[test]
fn the_nested_rows_cap_needs_a_limit_within_it() {
    let options = CompileOptions::default().with_limits(Limits::default().with_max_nested_rows(50));
    let run = |q: &str| compile(&Query::from_json(q).expect("query"), &schema(), &options);
    let within =
        r#"{"view": "v_user", "select": [{"field": "posts", "select": ["id"], "limit": 50}]}"#;
    run(within).expect("within the cap");
    let over =
        r#"{"view": "v_user", "select": [{"field": "posts", "select": ["id"], "limit": 51}]}"#;
    let e = run(over).expect_err("over the cap");
    assert_eq!(
        (e.kind(), e.path()),
        (ErrorKind::SizeLimit, "select[0].limit"),
        "{e}"
    );
    let unbounded = r#"{"view": "v_user", "select": [{"field": "posts", "select": ["id"]}]}"#;
    let e = run(unbounded).expect_err("no limit");
    assert_eq!(
        (e.kind(), e.path()),
        (ErrorKind::SizeLimit, "select[0]"),
        "{e}"
    );
    // A many-to-one relation is one row: no limit needed.
    let one = r#"{"view": "v_user", "select": [{"field": "manager", "select": ["id"]}]}"#;
    run(one).expect("one row needs no limit");
}

#[test]
fn a_relation_cycle_is_bounded_by_the_depth_limit() {
    let mut sel = r#"["id"]"#.to_string();
    for _ in 0..200 {
        sel = format!(r#"[{{"field": "manager", "select": {sel}}}]"#);
    }
    let q = format!(r#"{{"view": "v_user", "select": {sel}}}"#);
    let e = Query::from_json(&q)
        .and_then(|q| compile(&q, &schema(), &CompileOptions::default()))
        .expect_err("past the depth limit");
    assert_eq!(e.kind(), ErrorKind::DepthLimit, "{e}");
    // Well within the limit, the same cycle compiles: one subquery per level.
    let mut sel = r#"["id"]"#.to_string();
    for _ in 0..5 {
        sel = format!(r#"[{{"field": "manager", "select": {sel}}}]"#);
    }
    let s = sql(&format!(r#"{{"view": "v_user", "select": {sel}}}"#));
    assert_eq!(s.matches("FROM \"v_user\"").count(), 6, "{s}");
}

#[test]
fn an_unknown_relation_suggests_the_nearest_name() {
    let q = Query::from_json(
        r#"{"view": "v_post", "select": ["id"], "where": {"autor": {"name": {"eq": "x"}}}}"#,
    )
    .expect("query");
    let e = compile(&q, &schema(), &CompileOptions::default()).expect_err("unknown relation");
    assert_eq!(e.kind(), ErrorKind::UnknownField, "{e}");
    assert!(e.message().contains("did you mean `author`"), "{e}");
}

#[test]
fn an_unknown_relation_kind_is_refused_at_its_path() {
    let e = registry_error(|v| {
        v["views"]["v_post"]["relations"]["author"]["kind"] = "one_to_one".into();
    });
    assert_eq!(e.kind(), ErrorKind::InvalidSchema, "{e}");
    assert_eq!(e.path(), "views.v_post.relations.author.kind", "{e}");
}

/// `manager` nested `n` times around `inner`, as a selection and as a filter.
fn manager_chain(n: usize) -> (String, String) {
    let mut select = r#"["id"]"#.to_owned();
    let mut filter = r#"{"name": {"eq": "x"}}"#.to_owned();
    for _ in 0..n {
        select = format!(r#"[{{"field": "manager", "select": {select}}}]"#);
        filter = format!(r#"{{"manager": {filter}}}"#);
    }
    (select, filter)
}

/// A relation cycle is bounded in filters as in selections: through a many-to-one chain,
/// under a quantifier, and exactly at the limit (each relation is one level).
#[test]
fn a_relation_cycle_in_a_filter_is_bounded_by_the_depth_limit() {
    let options = CompileOptions::default().with_limits(Limits::default().with_max_depth(8));
    let run =
        |q: &str| Query::from_json(q).and_then(|q| compile(&q, &schema(), &options).map(|o| o.sql));
    let (_, deep) = manager_chain(40);
    for q in [
        format!(r#"{{"view": "v_user", "select": ["id"], "where": {deep}}}"#),
        format!(
            r#"{{"view": "v_user", "select": ["id"], "where": {{"posts": {{"some": {{"author": {deep}}}}}}}}}"#
        ),
        format!(
            r#"{{"view": "v_user", "select": ["id"], "where": {{"not": {{"manager": {{"isnull": false}}, "and": [{deep}]}}}}}}"#
        ),
    ] {
        let e = run(&q).expect_err("past the depth limit");
        assert_eq!(e.kind(), ErrorKind::DepthLimit, "{q}: {e}");
        assert!(e.path().starts_with("where"), "{q}: {e}");
    }
    // The boundary, as in a selection: 7 managers fit within 8 levels, one EXISTS each;
    // 8 do not.
    let chain = |n: usize| {
        let (_, f) = manager_chain(n);
        run(&format!(
            r#"{{"view": "v_user", "select": ["id"], "where": {f}}}"#
        ))
    };
    let s = chain(7).expect("seven levels compile");
    assert_eq!(s.matches("EXISTS").count(), 7, "{s}");
    let e = chain(8).expect_err("eight levels");
    assert_eq!(e.kind(), ErrorKind::DepthLimit, "{e}");
}

#[test]
fn a_relation_cycle_in_a_selection_stops_exactly_at_the_depth_limit() {
    let options = CompileOptions::default().with_limits(Limits::default().with_max_depth(8));
    let run = |n: usize| {
        let (sel, _) = manager_chain(n);
        Query::from_json(&format!(r#"{{"view": "v_user", "select": {sel}}}"#))
            .and_then(|q| compile(&q, &schema(), &options).map(drop))
    };
    // Each relation is one level below the top selection: 7 fit within 8, 8 do not.
    run(7).expect("seven levels compile");
    let e = run(8).expect_err("eight levels");
    assert_eq!(e.kind(), ErrorKind::DepthLimit, "{e}");
    assert_eq!(e.path(), "(select[0] × 8).select", "{e}");
}

/// The cap applies to a list however it is reached, e.g. below a many-to-one relation.
#[test]
fn the_nested_rows_cap_applies_below_a_many_to_one_relation() {
    let options = CompileOptions::default().with_limits(Limits::default().with_max_nested_rows(50));
    let q = r#"{"view": "v_user", "select": [{"field": "manager", "select": [{"field": "posts", "select": ["id"]}]}]}"#;
    let e = compile(&Query::from_json(q).expect("query"), &schema(), &options)
        .expect_err("a list without a limit");
    assert_eq!(
        (e.kind(), e.path()),
        (ErrorKind::SizeLimit, "select[0].select[0]"),
        "{e}"
    );
}

#[test]
fn an_unknown_relation_is_refused_where_it_is_named() {
    for (q, path) in [
        (
            r#"{"view": "v_post", "select": [{"field": "writer", "select": ["id"]}]}"#,
            "select[0].writer",
        ),
        (
            r#"{"view": "v_user", "select": ["id"], "where": {"postz": {"some": {"title": {"eq": "a"}}}}}"#,
            "where.postz",
        ),
        (
            r#"{"view": "v_user", "select": ["id"], "where": {"posts": {"some": {"autor": {"isnull": true}}}}}"#,
            "where.posts.some.autor",
        ),
    ] {
        let e = Query::from_json(q)
            .and_then(|q| compile(&q, &schema(), &CompileOptions::default()).map(drop))
            .expect_err("unknown relation");
        assert_eq!(
            (e.kind(), e.path()),
            (ErrorKind::UnknownField, path),
            "{q}: {e}"
        );
    }
}
