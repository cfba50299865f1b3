//! `__typename` inside nested objects and embedded lists: the registry's `typename` on an
//! object field (JSON and Rust builder), the error when there is none (it used to answer the
//! view's typename), and `Schema::with_default_typenames`, through which the GraphQL front
//! end names every object and list element. Rows are proven on PostgreSQL by the golden
//! cases `select_typename_nested_object*` and `lst_typename_in_object`.

use qb_core::schema::ObjectDef;
use qb_core::{CompileOptions, ErrorKind, FieldType, ListDef, Query, ScalarType, Schema, ViewDef};

const REGISTRY: &str = r#"{"views": {
  "v_user": {"typename": "User", "columns": {"id": "uuid"}, "primary_key": ["id"],
    "relations": {"orders": {"view": "v_order", "kind": "one_to_many", "join": {"id": "fk_user"}}},
    "fields": {"profile": {"fields": {"city": "text",
      "address": {"type": "object", "typename": "Address", "fields": {"street": "text"}}}}}},
  "v_order": {"typename": "Order", "columns": {"id": "uuid", "fk_user": "uuid"}, "primary_key": ["id"],
    "fields": {"shipping": {"fields": {"parcels": {"type": "list", "fields": {
      "code": "text", "dims": {"fields": {"w": "numeric"}}}}}},
      "items": {"type": "list", "typename": "LineItem", "fields": {"sku": "text"}}}}}}"#;

fn sql(schema: &Schema, q: &str) -> Result<String, qb_core::Error> {
    let query = Query::from_json(q).expect("query");
    qb_core::compile(&query, schema, &CompileOptions::default()).map(|c| c.sql)
}

#[test]
fn typename_in_a_nested_object_is_the_objects_own_or_an_error() {
    let schema = Schema::from_json(REGISTRY).expect("registry");
    let got = sql(
        &schema,
        r#"{"view": "v_user", "select": ["__typename", {"field": "profile", "select": [
            {"field": "address", "select": ["__typename"]}]}]}"#,
    )
    .expect("the address has a typename");
    assert!(
        got.contains("jsonb_build_object('__typename', 'User'"),
        "{got}"
    );
    assert!(
        got.contains("jsonb_build_object('__typename', 'Address')"),
        "{got}"
    );
    assert_eq!(got.matches("'User'").count(), 1, "{got}");
    // The profile has none: an error at the item, never the view's typename.
    let e = sql(
        &schema,
        r#"{"view": "v_user", "select": [{"field": "profile", "select": ["city", "__typename"]}]}"#,
    )
    .expect_err("the profile has no typename");
    assert_eq!(
        (e.kind(), e.path(), e.message()),
        (
            ErrorKind::InvalidQuery,
            "select[0].select[1]",
            "object `profile` has no typename in the registry"
        )
    );
    // Inside a list element: the element's object, named by its key path in the element.
    let e = sql(
        &schema,
        r#"{"view": "v_order", "select": [{"field": "shipping", "select": [{"field": "parcels",
            "select": [{"field": "dims", "select": ["__typename"]}]}]}]}"#,
    )
    .expect_err("dims has no typename");
    assert_eq!(e.message(), "object `dims` has no typename in the registry");
}

#[test]
fn the_rust_builder_names_an_object() {
    let mut schema = Schema::new();
    let profile = ObjectDef::new().typename("Profile").with_field(
        "city",
        qb_core::schema::FieldDef::new(FieldType::Scalar(ScalarType::Text)),
    );
    schema
        .add_view(
            ViewDef::new("v_user")
                .column("id", ScalarType::Uuid)
                .field("profile", FieldType::Object(Box::new(profile))),
        )
        .expect("view");
    let got = sql(
        &schema,
        r#"{"view": "v_user", "select": [{"field": "profile", "select": ["__typename"]}]}"#,
    )
    .expect("compiles");
    assert!(
        got.contains("jsonb_build_object('__typename', 'Profile')"),
        "{got}"
    );
    // A typename that is not a GraphQL name is refused when the view is added.
    let bad = ObjectDef::new().typename("a b");
    let e = Schema::new()
        .add_view(ViewDef::new("v").field("o", FieldType::Object(Box::new(bad))))
        .expect_err("not a GraphQL name");
    assert_eq!(
        (e.kind(), e.path()),
        (ErrorKind::InvalidSchema, "views.v.fields.o.typename")
    );
}

#[test]
fn default_typenames_fill_only_what_the_registry_leaves_unnamed() {
    let schema = Schema::from_json(REGISTRY).expect("registry");
    let mut asked = Vec::new();
    let named = schema
        .with_default_typenames(|view, keys, ty| {
            asked.push(format!("{view}:{}", keys.join("/")));
            assert!(matches!(ty, FieldType::Object(_) | FieldType::List(_)));
            Some(format!("T{}", keys.join("_")))
        })
        .expect("valid names");
    asked.sort();
    assert_eq!(
        asked,
        [
            "v_order:shipping",
            "v_order:shipping/parcels",
            "v_order:shipping/parcels/dims",
            "v_user:profile",
        ],
        "asked only for the unnamed ones (not `address`, not `items`)"
    );
    let user = named.view("v_user").expect("v_user");
    let (_, profile) = user.document().get("profile").expect("profile");
    let FieldType::Object(profile) = &profile.ty else {
        panic!("an object")
    };
    assert_eq!(profile.typename_str(), Some("Tprofile"));
    let (_, address) = profile.get("address").expect("address");
    let FieldType::Object(address) = &address.ty else {
        panic!("an object")
    };
    assert_eq!(
        address.typename_str(),
        Some("Address"),
        "the registry's own is kept"
    );
    let order = named.view("v_order").expect("v_order");
    let (_, items) = order.document().get("items").expect("items");
    let FieldType::List(items) = &items.ty else {
        panic!("a list")
    };
    assert_eq!(items.typename_str(), Some("LineItem"));
    // The names answer `__typename`, inside lists and objects in their elements too.
    let got = sql(
        &named,
        r#"{"view": "v_order", "select": [{"field": "shipping", "select": ["__typename",
            {"field": "parcels", "select": ["__typename", {"field": "dims", "select": ["__typename"]}]}]}]}"#,
    )
    .expect("every object is named");
    for t in [
        "'Tshipping'",
        "'Tshipping_parcels'",
        "'Tshipping_parcels_dims'",
    ] {
        assert!(got.contains(t), "{t} in {got}");
    }
    // Relations still resolve (checked again in the copy).
    sql(
        &named,
        r#"{"view": "v_user", "select": [{"field": "orders", "select": ["id"]}]}"#,
    )
    .expect("the relation");
    // `None` leaves an object unnamed; a bad name is the registry's error.
    let unnamed = schema
        .with_default_typenames(|_, _, _| None)
        .expect("no names");
    assert_eq!(unnamed, schema);
    let e = schema
        .with_default_typenames(|_, keys, _| Some(format!("{}-x", keys[0])))
        .expect_err("not a GraphQL name");
    assert_eq!(
        (e.kind(), e.path()),
        (
            ErrorKind::InvalidSchema,
            "views.v_order.fields.shipping.typename"
        )
    );
}

#[test]
fn a_list_typename_and_an_object_typename_are_separate() {
    // The list's own typename names its elements, not an object inside them.
    let list = ListDef::new(ObjectDef::new().with_field(
        "o",
        qb_core::schema::FieldDef::new(FieldType::Object(Box::new(ObjectDef::new().with_field(
            "x",
            qb_core::schema::FieldDef::new(FieldType::Scalar(ScalarType::Text)),
        )))),
    ))
    .typename("Elem");
    let mut schema = Schema::new();
    schema
        .add_view(
            ViewDef::new("v")
                .typename("V")
                .column("id", ScalarType::Uuid)
                .field("l", FieldType::List(Box::new(list))),
        )
        .expect("view");
    let got = sql(
        &schema,
        r#"{"view": "v", "select": [{"field": "l", "select": ["__typename"]}]}"#,
    )
    .expect("the element is named");
    assert!(got.contains("'Elem'"), "{got}");
    let e = sql(
        &schema,
        r#"{"view": "v", "select": [{"field": "l", "select": [{"field": "o", "select": ["__typename"]}]}]}"#,
    )
    .expect_err("the object in the element is not");
    assert_eq!(e.message(), "object `o` has no typename in the registry");
}
