//! The GraphQL front end against the golden corpus: GraphQL documents that ask what a golden
//! case's query AST asks compile to byte-identical SQL and params, and run on PostgreSQL
//! with the case's committed rows. Invalid documents give spec-shaped errors with our codes.

use qb_core::{CompileOptions, Value};
use qb_graphql::{ConnectionRow, GraphqlSchema, Response, RootField};
use qb_testpg::golden;
use serde_json::Value as Json;

/// (golden case, GraphQL document, variables as JSON text).
const MIRRORS: &[(&str, &str, &str)] = &[
    // Relations at depth 3 and 4.
    (
        "rel_depth3",
        r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000001"]}}) { id posts { id comments { id author { name } } } } }"#,
        "",
    ),
    (
        "rel_depth3_select",
        r#"query Q($id: UUID!) { userList(where: {id: {eq: $id}}) { id ...P } } fragment P on User { posts { id comments { id author { name } } } }"#,
        r#"{"id": "11111111-0000-0000-0000-000000000001"}"#,
    ),
    (
        "rel_depth4",
        r#"{ commentList(where: {id: {in: "33333333-0000-0000-0000-000000000005"}}) { id post { id author { name manager { name manager { name } } } } } }"#,
        "",
    ),
    (
        "rel_depth4_select",
        r#"{ commentList(where: {id: {in: ["33333333-0000-0000-0000-000000000005", "33333333-0000-0000-0000-000000000008"]}}, orderBy: {id: ASC}) { id post { id author { id manager { name manager { id } } } } } }"#,
        "",
    ),
    (
        "rel_depth3_filter",
        r#"{ commentList(where: {post: {author: {manager: {name: {eq: "Alice Martin"}}}}}) { id } }"#,
        "",
    ),
    (
        "rel_depth4_filter",
        r#"query($n: String = "Bob O'Brien") { userList(where: {posts: {some: {comments: {some: {author: {manager: {name: {eq: $n}}}}}}}}) { id } }"#,
        "",
    ),
    (
        "rel_depth3_every",
        r#"{ userList(where: {posts: {every: {comments: {every: {author: {name: {isnull: false}}}}}}}) { id } }"#,
        "",
    ),
    // some / every / none, with NULLs and empty sets.
    (
        "rel_some",
        r#"{ postList(where: {comments: {some: {likes: {gte: 5}}}}) { id } }"#,
        "",
    ),
    (
        "rel_some_empty_inner",
        r#"{ postList(where: {comments: {some: {}}}) { id } }"#,
        "",
    ),
    (
        "rel_some_isnull_inner",
        r#"{ postList(where: {comments: {some: {likes: {isnull: true}}}}) { id } }"#,
        "",
    ),
    (
        "rel_some_null_title",
        r#"{ userList(where: {posts: {some: {title: {neq: "Hello World"}}}}) { id } }"#,
        "",
    ),
    (
        "rel_every",
        r#"{ postList(where: {comments: {every: {likes: {gte: 0}}}}) { id } }"#,
        "",
    ),
    (
        "rel_every_null_title",
        r#"{ userList(where: {posts: {every: {title: {neq: "Hello World"}}}}) { id } }"#,
        "",
    ),
    (
        "rel_every_empty_set_false_inner",
        r#"{ postList(where: {comments: {every: {likes: {gt: 1000000000}}}}) { id } }"#,
        "",
    ),
    (
        "rel_none",
        r#"{ postList(where: {comments: {none: {likes: {gte: 5}}}}) { id } }"#,
        "",
    ),
    (
        "rel_none_null_title",
        r#"{ userList(where: {posts: {none: {title: {eq: "Hello World"}}}}) { id } }"#,
        "",
    ),
    (
        "rel_not_every",
        r#"{ userList(where: {not: {posts: {every: {title: {neq: "Hello World"}}}}}) { id } }"#,
        "",
    ),
    (
        "rel_m2m_none",
        r#"{ postList(where: {likers: {none: {name: {eq: "Alice Martin"}}}}) { id } }"#,
        "",
    ),
    (
        "rel_m2m_two_hops",
        r#"{ userList(where: {likedPosts: {some: {likers: {some: {name: {eq: "Chloé Dubois"}}}}}}) { id } }"#,
        "",
    ),
    (
        "rel_where_every_none",
        r#"{ userList(orderBy: [{id: ASC}], where: {posts: {every: {comments: {none: {likes: {lt: 0}}}}}}) { id } }"#,
        "",
    ),
    (
        "rel_filter_or",
        r#"{ postList(where: {or: [{author: {name: {eq: "Bob O'Brien"}}}, {comments: {some: {likes: {lt: 0}}}}]}) { id } }"#,
        "",
    ),
    (
        "rel_filter_n1_not",
        r#"{ postList(where: {not: {author: {name: {eq: "Alice Martin"}}}}) { id } }"#,
        "",
    ),
    (
        "rel_filter_n1_null_leaf",
        r#"{ commentList(where: {not: {author: {active: {eq: true}}}}) { id } }"#,
        "",
    ),
    (
        "rel_o2m_has_row",
        r#"{ userList(where: {posts: {isnull: false}}) { id } }"#,
        "",
    ),
    // Relations selected with arguments, aliases, empty lists, missing rows.
    (
        "rel_1n_offset",
        r#"{ postList(where: {id: {in: ["22222222-0000-0000-0000-000000000001"]}}) { id comments(orderBy: {createdAt: DESC}, limit: 2, offset: 1) { id } } }"#,
        "",
    ),
    (
        "rel_1n_where_order",
        r#"query($min: Int) { postList(where: {id: {eq: "22222222-0000-0000-0000-000000000001"}}, orderBy: [{id: ASC}]) { id comments(where: {likes: {gt: $min}}, orderBy: [{likes: ASC}]) { id likes } } }"#,
        r#"{"min": 1}"#,
    ),
    (
        "rel_filter_and_select",
        r#"{ postList(where: {author: {active: {eq: true}}, comments: {some: {likes: {gt: 0}}}}, orderBy: {id: ASC}) { id comments(where: {likes: {gt: 0}}, orderBy: {likes: DESC}, limit: 1) { id } } }"#,
        "",
    ),
    (
        "rel_m2m_order_limit",
        r#"{ userList(where: {id: {eq: "11111111-0000-0000-0000-000000000001"}}) { id likedPosts(orderBy: {createdAt: DESC}, limit: 1) { id createdAt } } }"#,
        "",
    ),
    (
        "rel_m2m_where_order",
        r#"{ postList(where: {id: {eq: "22222222-0000-0000-0000-000000000001"}}, orderBy: {id: ASC}) { id likers(where: {name: {like: "%o%"}}, orderBy: {name: DESC}) { id name } } }"#,
        "",
    ),
    (
        "rel_o2m_empty_list",
        r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000005", "11111111-0000-0000-0000-000000000004"]}}, orderBy: {id: ASC}) { id posts { id } } }"#,
        "",
    ),
    (
        "rel_manager_missing",
        r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002"]}}, orderBy: {id: ASC}) { id manager { id } reports { id } } }"#,
        "",
    ),
    (
        "rel_n1_alias",
        r#"{ postList(where: {id: {in: ["22222222-0000-0000-0000-000000000002"]}}) { writer: author { name } } }"#,
        "",
    ),
    (
        "rel_select_alias",
        r#"{ postList(where: {id: {eq: "22222222-0000-0000-0000-000000000001"}}, orderBy: {id: ASC}) { id ... on Post { writer: author { name } } } }"#,
        "",
    ),
    // camelCase and __typename.
    (
        "rel_camel_typename",
        r#"{ postList(where: {id: {in: ["22222222-0000-0000-0000-000000000001"]}}) { id __typename author { __typename nickName lastLogin } } }"#,
        "",
    ),
    (
        "rel_camel_relation_name",
        r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000001"]}}) { id likedPosts { id } } }"#,
        "",
    ),
    (
        "camel_true_fields_and_order",
        r#"{ userList(where: {managerId: {eq: "11111111-0000-0000-0000-000000000011"}}, orderBy: {birthDate: DESC_NULLS_LAST}) { id nickName lastLogin birthDate } }"#,
        "",
    ),
    (
        "nested_select_camel",
        r#"query($skip: Boolean!) { userList(where: {profile: {city: {eq: "Paris"}}}, orderBy: {createdAt: DESC}) { id __typename nickName email @skip(if: $skip) profile { city address { street } } } }"#,
        r#"{"skip": true}"#,
    ),
    (
        "select_typename_aliased",
        r#"{ postList(where: {id: {in: ["22222222-0000-0000-0000-000000000001", "22222222-0000-0000-0000-000000000005"]}}) { id __typename kind: __typename title } }"#,
        "",
    ),
    // Filters with NULLs.
    (
        "logic_nin_or_isnull",
        r#"{ userList(where: {or: [{age: {nin: [30, 25, 41]}}, {age: {isnull: true}}]}) { id } }"#,
        "",
    ),
    (
        "logic_not_nested_path_null",
        r#"{ userList(where: {not: {profile: {city: {eq: "Paris"}}}}) { id } }"#,
        "",
    ),
    (
        "logic_not_null_field_stays_out",
        r#"{ userList(where: {not: {active: {eq: true}}}) { id active } }"#,
        "",
    ),
    (
        "null_isnull_object",
        r#"{ userList(where: {profile: {isnull: true}}) { id } }"#,
        "",
    ),
    (
        "null_not_overlaps_empty",
        r#"{ userList(where: {not: {tags: {overlaps: []}}}) { id } }"#,
        "",
    ),
    (
        "order_age_desc_nulls_last",
        r#"{ userList(orderBy: [{age: DESC_NULLS_LAST}, {id: ASC}]) { id age } }"#,
        "",
    ),
    (
        "order_nested_city_nulls_first",
        r#"{ userList(orderBy: [{profile: {city: ASC_NULLS_FIRST}}, {id: ASC}]) { id profile { city } } }"#,
        "",
    ),
    (
        "select_nested_object_nulls",
        r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000005", "11111111-0000-0000-0000-000000000006", "11111111-0000-0000-0000-000000000008", "11111111-0000-0000-0000-000000000009", "11111111-0000-0000-0000-000000000014", "11111111-0000-0000-0000-000000000016"]}}, orderBy: {id: ASC}) { id profile { city zip address { street geo } } } }"#,
        "",
    ),
    // Embedded lists: selected with their own arguments, filtered with quantifiers and
    // `isnull`, inside nested objects, relations and other lists (every `lst_*` case whose
    // output is the `data` column with `$n` placeholders).
    (
        "lst_every",
        r#"{ orderList(where: {items: {every: {qty: {gte: 1}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_every_empty_filter",
        r#"{ orderList(where: {items: {every: {}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_filter_and_select",
        r#"{ orderList(where: {items: {some: {sku: {eq: "B2"}}}}, orderBy: {id: ASC}) { id items(where: {sku: {eq: "A1"}}) { sku } } }"#,
        "",
    ),
    (
        "lst_in_object",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000001", "55555555-0000-0000-0000-000000000002", "55555555-0000-0000-0000-000000000003", "55555555-0000-0000-0000-000000000004", "55555555-0000-0000-0000-000000000005", "55555555-0000-0000-0000-000000000006", "55555555-0000-0000-0000-000000000007"]}}, orderBy: {id: ASC}) { id shipping { carrier parcels { code weight } } } }"#,
        "",
    ),
    (
        "lst_in_object_isnull",
        r#"{ orderList(where: {shipping: {parcels: {isnull: true}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_in_object_none_empty",
        r#"{ orderList(where: {shipping: {parcels: {none: {}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_in_object_some",
        r#"{ orderList(where: {shipping: {parcels: {some: {weight: {gt: 1}}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_in_relation",
        r#"{ userList(where: {id: {eq: "11111111-0000-0000-0000-000000000001"}}, orderBy: {id: ASC}) { id orders { id items { sku } } } }"#,
        "",
    ),
    (
        "lst_in_relation_filtered",
        r#"{ userList(where: {id: {eq: "11111111-0000-0000-0000-000000000004"}}, orderBy: {id: ASC}) { id orders(orderBy: {id: DESC}) { id items(where: {qty: {gte: 2}}, orderBy: {qty: DESC}) { sku } } } }"#,
        "",
    ),
    (
        "lst_isnull_false",
        r#"{ orderList(where: {items: {isnull: false}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_isnull_true",
        r#"{ orderList(where: {items: {isnull: true}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_limit_offset",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000001", "55555555-0000-0000-0000-000000000002"]}}, orderBy: {id: ASC}) { id items(limit: 1, offset: 1) { sku } } }"#,
        "",
    ),
    (
        "lst_nested_list",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000001"]}}, orderBy: {id: ASC}) { id items { sku options { name value } } } }"#,
        "",
    ),
    (
        "lst_nested_list_nonarray",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000009", "55555555-0000-0000-0000-000000000010"]}}, orderBy: {id: ASC}) { id items { sku options { value __typename } } } }"#,
        "",
    ),
    (
        "lst_nested_list_where",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000009"]}}, orderBy: {id: ASC}) { id items { sku options(where: {value: {isnull: false}}) { value } } } }"#,
        "",
    ),
    (
        "lst_none",
        r#"{ orderList(where: {items: {none: {sku: {eq: "A1"}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_none_empty_filter",
        r#"{ orderList(where: {items: {none: {}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_not_every",
        r#"{ orderList(where: {not: {items: {every: {qty: {gte: 1}}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_not_some",
        r#"{ orderList(where: {not: {items: {some: {sku: {eq: "A1"}}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_order_desc_tiebreak_ord",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000010"]}}, orderBy: {id: ASC}) { id items(orderBy: {sku: DESC}) { sku qty } } }"#,
        "",
    ),
    (
        "lst_order_limit",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000001", "55555555-0000-0000-0000-000000000008", "55555555-0000-0000-0000-000000000010"]}}, orderBy: {id: ASC}) { id items(orderBy: {price: DESC}, limit: 2) { sku } } }"#,
        "",
    ),
    (
        "lst_order_nulls_first",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000007"]}}, orderBy: {id: ASC}) { id items(orderBy: {qty: ASC_NULLS_FIRST}) { sku qty } } }"#,
        "",
    ),
    (
        "lst_order_numeric",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000001"]}}, orderBy: {id: ASC}) { id items(orderBy: {price: DESC}) { sku } } }"#,
        "",
    ),
    (
        "lst_order_tiebreak_ord",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000010"]}}, orderBy: {id: ASC}) { id items(orderBy: {sku: ASC}) { sku qty } } }"#,
        "",
    ),
    (
        "lst_relation_in_list_row",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000008", "55555555-0000-0000-0000-000000000009"]}}, orderBy: {id: ASC}) { id customer { name } items(limit: 1) { sku } } }"#,
        "",
    ),
    (
        "lst_relation_many_to_one_list",
        r#"{ orderList(where: {customer: {profile: {city: {eq: "Paris"}}}, items: {some: {sku: {eq: "B2"}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_relation_some_list",
        r#"{ userList(where: {orders: {some: {items: {some: {price: {gte: 100}}}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_select_alias",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000006", "55555555-0000-0000-0000-000000000009"]}}, orderBy: {id: ASC}) { id lines: items { code: sku } } }"#,
        "",
    ),
    (
        "lst_select_array_field",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000001"]}}, orderBy: {id: ASC}) { id items { sku tags } } }"#,
        "",
    ),
    (
        "lst_select_basic",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000001"]}}, orderBy: {id: ASC}) { id items { sku qty } } }"#,
        "",
    ),
    (
        "lst_select_camel",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000001"]}}, orderBy: {id: ASC}) { id items(where: {giftWrap: {isnull: false}}) { sku giftWrap } } }"#,
        "",
    ),
    (
        "lst_select_empty_null_missing_nonarray",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000002", "55555555-0000-0000-0000-000000000003", "55555555-0000-0000-0000-000000000004", "55555555-0000-0000-0000-000000000005", "55555555-0000-0000-0000-000000000006"]}}, orderBy: {id: ASC}) { id items { sku } } }"#,
        "",
    ),
    (
        "lst_select_non_object_elements",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000008"]}}, orderBy: {id: ASC}) { id items { sku price } } }"#,
        "",
    ),
    (
        "lst_select_nulls_inside",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000007"]}}, orderBy: {id: ASC}) { id items { sku qty price } } }"#,
        "",
    ),
    (
        "lst_select_typename",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000009"]}}, orderBy: {id: ASC}) { __typename id items { __typename sku } } }"#,
        "",
    ),
    (
        "lst_some",
        r#"{ orderList(where: {items: {some: {sku: {eq: "A1"}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_some_array_field",
        r#"{ orderList(where: {items: {some: {tags: {contains: ["gift"]}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_some_camel",
        r#"{ orderList(where: {items: {some: {giftWrap: {eq: false}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_some_empty_filter",
        r#"{ orderList(where: {items: {some: {}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_some_nested_every",
        r#"{ orderList(where: {items: {some: {options: {every: {value: {isnull: false}}}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_some_nested_none",
        r#"{ orderList(where: {items: {some: {options: {none: {name: {eq: "color"}}}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_some_nested_some",
        r#"{ orderList(where: {items: {some: {options: {some: {value: {eq: "blue"}}}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_some_null_fields",
        r#"{ orderList(where: {items: {some: {qty: {isnull: true}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_some_or",
        r#"{ orderList(where: {items: {some: {or: [{sku: {eq: "D4"}}, {price: {gte: 100}}]}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_some_same_element",
        r#"{ orderList(where: {items: {some: {sku: {eq: "B2"}, qty: {gte: 2}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_some_separate_elements",
        r#"{ orderList(where: {and: [{items: {some: {sku: {eq: "B2"}}}}, {items: {some: {qty: {gte: 2}}}}]}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "lst_where",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000001"]}}, orderBy: {id: ASC}) { id items(where: {price: {gt: 5}}) { sku } } }"#,
        "",
    ),
    (
        "lst_where_isnull",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000007", "55555555-0000-0000-0000-000000000008"]}}, orderBy: {id: ASC}) { id items(where: {qty: {isnull: true}}) { sku } } }"#,
        "",
    ),
    (
        "lst_where_not_three_valued",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000007"]}}, orderBy: {id: ASC}) { id items(where: {not: {qty: {eq: 3}}}) { sku } } }"#,
        "",
    ),
    (
        "lst_where_on_null_list",
        r#"{ orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000003", "55555555-0000-0000-0000-000000000005"]}}, orderBy: {id: ASC}) { id items(where: {qty: {gt: 0}}) { sku } } }"#,
        "",
    ),
    (
        "lst_with_scalar_and",
        r#"{ orderList(where: {status: {eq: "paid"}, items: {every: {price: {gte: 2}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    // `isnull` on a many-to-one relation: `author: null` is `{"author": {"isnull": true}}`.
    (
        "rel_filter_isnull",
        r#"{ postList(where: {author: null}) { id } }"#,
        "",
    ),
    (
        "rel_like_user_missing",
        r#"{ postLikeList(where: {user: null}) { id } }"#,
        "",
    ),
    (
        "rel_m2o_has_no_row",
        r#"{ postList(where: {author: null}) { id } }"#,
        "",
    ),
    (
        "rel_m2o_or_isnull",
        r#"{ postList(where: {or: [{author: null}, {author: {name: {eq: "Bob O'Brien"}}}]}) { id } }"#,
        "",
    ),
    (
        "rel_where_comment_post_isnull",
        r#"{ commentList(where: {post: null}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "rel_where_like_post_isnull",
        r#"{ postLikeList(where: {post: null}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "rel_where_like_user_isnull",
        r#"{ postLikeList(where: {user: null}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "rel_where_n1_inner_null",
        r#"{ postList(where: {author: {manager: null}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "rel_where_n1_isnull_true",
        r#"{ postList(where: {author: null}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    // Aggregates over a relation's or a list's rows, filtered (`posts: {count: {gte: 2}}`)
    // and ordered by (`orderBy: {posts: {count: DESC}}`).
    (
        "agg_rel_avg_filter",
        r#"{ postList(where: {comments: {avg: {likes: {gt: 4}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "agg_rel_count_filter",
        r#"{ userList(where: {posts: {count: {gte: 2}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "agg_rel_count_order",
        r#"{ userList(orderBy: [{posts: {count: DESC}}, {id: ASC}], limit: 3) { id } }"#,
        "",
    ),
    (
        "agg_rel_count_zero_filter",
        r#"{ userList(where: {posts: {count: {eq: 0}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "agg_rel_in_quantifier",
        r#"{ userList(where: {posts: {some: {comments: {count: {gte: 2}}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "agg_rel_max_filter_gt",
        r#"{ userList(where: {posts: {max: {createdAt: {gt: "2024-02-01T05:00:00Z"}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "agg_rel_max_isnull",
        r#"{ userList(where: {posts: {max: {createdAt: {isnull: true}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "agg_rel_not_three_valued",
        r#"{ userList(where: {not: {posts: {max: {createdAt: {lt: "2024-02-01T05:00:00Z"}}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "agg_rel_order_max_nulls_last",
        r#"{ postList(orderBy: [{comments: {max: {likes: DESC_NULLS_LAST}}}, {id: ASC}]) { id } }"#,
        "",
    ),
    (
        "agg_lst_count_filter_empty",
        r#"{ orderList(where: {items: {count: {eq: 0}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "agg_lst_order_sum",
        r#"{ orderList(orderBy: [{items: {sum: {price: DESC_NULLS_LAST}}}, {id: ASC}]) { id } }"#,
        "",
    ),
    (
        "agg_lst_relation_quantifier",
        r#"{ userList(where: {orders: {some: {items: {sum: {price: {gt: 100}}}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    (
        "agg_lst_sum_filter",
        r#"{ orderList(where: {items: {sum: {price: {gt: 100}}}}, orderBy: {id: ASC}) { id } }"#,
        "",
    ),
    // `distinctOn` on root lists (PostgreSQL's DISTINCT ON).
    (
        "distinct_on_camel",
        r#"{ postList(orderBy: [{publishedOn: ASC}, {createdAt: ASC}], distinctOn: [publishedOn]) { id publishedOn } }"#,
        "",
    ),
    (
        "distinct_on_key_direction",
        r#"{ postList(orderBy: [{createdAt: DESC}, {tenantId: DESC}], distinctOn: [tenantId]) { id tenant_id: tenantId } }"#,
        "",
    ),
    (
        "distinct_on_latest_per_tenant",
        r#"{ postList(where: {title: {isnull: false}}, orderBy: {createdAt: DESC}, distinctOn: [tenantId]) { tenant_id: tenantId title } }"#,
        "",
    ),
    (
        "distinct_on_null_key",
        r#"{ commentList(orderBy: [{likes: DESC_NULLS_LAST}, {id: ASC}], distinctOn: [postId]) { id post_id: postId likes } }"#,
        "",
    ),
    (
        "distinct_on_two_keys",
        r#"{ postList(orderBy: [{tenantId: ASC}, {published: ASC}, {views: DESC_NULLS_LAST}], distinctOn: [tenantId, published]) { tenant_id: tenantId published views } }"#,
        "",
    ),
];

fn schema() -> GraphqlSchema {
    GraphqlSchema::new(golden::fixture_schema()).expect("the fixture registry has a GraphQL schema")
}

fn variables(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| qb_core::json::parse_value(text).expect("variables JSON"))
}

#[test]
fn graphql_documents_compile_to_the_golden_sql_and_rows() {
    assert!(MIRRORS.len() >= 30);
    let schema = schema();
    let cases = golden::load_cases();
    let mut client = qb_testpg::client();
    let mut failures = Vec::new();
    for (name, doc, vars) in MIRRORS {
        let case = cases
            .iter()
            .find(|c| c.name == *name)
            .unwrap_or_else(|| panic!("no golden case {name}"));
        let vars = variables(vars);
        let request = match qb_graphql::compile(
            doc,
            vars.as_ref(),
            None,
            &schema,
            &CompileOptions::default(),
        ) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("[{name}] {}", e.to_json()));
                continue;
            }
        };
        assert_eq!(request.fields.len(), 1, "[{name}] one root field");
        let RootField::Sql {
            compiled, single, ..
        } = &request.fields[0]
        else {
            panic!("[{name}] not SQL");
        };
        assert!(!single);
        let sql = std::fs::read_to_string(case.file("sql")).expect("golden sql");
        if compiled.sql != sql.trim_end() {
            failures.push(format!(
                "[{name}] SQL differs\n  golden  {sql}\n  graphql {}",
                compiled.sql
            ));
            continue;
        }
        let params: Json = serde_json::from_str(
            &std::fs::read_to_string(case.file("params.json")).expect("params"),
        )
        .expect("params JSON");
        if golden::params_json(&compiled.params) != params {
            failures.push(format!(
                "[{name}] params differ: {}",
                golden::params_json(&compiled.params)
            ));
            continue;
        }
        let rows =
            match qb_testpg::query_json_with(&mut client, &compiled.sql, &compiled.pg_params()) {
                Ok(Json::Array(rows)) => rows,
                other => {
                    failures.push(format!("[{name}] {other:?}"));
                    continue;
                }
            };
        let mut rows = rows;
        if case
            .query()
            .get("order_by")
            .is_none_or(|o| o.as_array().is_some_and(Vec::is_empty))
        {
            rows.sort_by_key(|r| r.to_string());
        }
        let want: Json =
            serde_json::from_str(&std::fs::read_to_string(case.file("rows.json")).expect("rows"))
                .expect("rows JSON");
        if Json::Array(rows.clone()) != want {
            failures.push(format!("[{name}] rows differ: {}", Json::Array(rows)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// (golden keyset case, the same page as a GraphQL connection document). Every keyset case
/// of the corpus whose output is the `data` column (`columns` and `json_text` outputs have
/// no GraphQL form).
const CONNECTION_MIRRORS: &[(&str, &str)] = &[
    (
        "keyset_after_inside_tie",
        r#"{ userConnection(orderBy: {age: ASC}, first: 3, after: "AQBEyprG6g8FHgIBAjI1ASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDM") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_after_into_nulls",
        r#"{ userConnection(orderBy: {age: ASC}, first: 5, after: "AQBEyprG6g8FHgIBAjk5ASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDc") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_after_last_row",
        r#"{ userConnection(orderBy: {age: ASC}, first: 5, after: "AQBEyprG6g8FHgIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDk") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_after_on_null",
        r#"{ userConnection(orderBy: {age: ASC}, first: 5, after: "AQBEyprG6g8FHgIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDg") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_after_tie_boundary",
        r#"{ userConnection(orderBy: {age: ASC}, first: 2, after: "AQBEyprG6g8FHgIBAjMwASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDI") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_before_first_row",
        r#"{ userConnection(orderBy: {age: ASC}, last: 3, before: "AQBEyprG6g8FHgIBATABJDExMTExMTExLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwNQ") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_before_inside_tie",
        r#"{ userConnection(orderBy: {age: ASC}, last: 2, before: "AQBEyprG6g8FHgIBAjMwASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDE") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_before_null",
        r#"{ userConnection(orderBy: {age: ASC}, last: 3, before: "AQBEyprG6g8FHgIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDg") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_before_second_null",
        r#"{ userConnection(orderBy: {age: ASC}, last: 1, before: "AQBEyprG6g8FHgIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDk") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_bool_and_column_after_null",
        r#"{ userConnection(orderBy: [{active: ASC_NULLS_FIRST}, {createdAt: DESC}], first: 3, after: "AQAmziIOQDWbvwMAARYyMDI0LTAxLTAxIDA1OjAwOjAwKzAwASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDU") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_bool_and_column_before",
        r#"{ userConnection(orderBy: [{active: ASC_NULLS_FIRST}, {createdAt: DESC}], last: 2, before: "AQAmziIOQDWbvwMBBHRydWUBFjIwMjQtMDEtMDEgMTU6MDA6MDArMDABJDExMTExMTExLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAxNQ") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_bool_and_column_first_page",
        r#"{ userConnection(orderBy: [{active: ASC_NULLS_FIRST}, {createdAt: DESC}], first: 3) { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_bool_and_column_last_page",
        r#"{ userConnection(orderBy: [{active: ASC_NULLS_FIRST}, {createdAt: DESC}], last: 3) { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_desc_after_null",
        r#"{ userConnection(orderBy: {age: DESC}, first: 2, after: "AQBR3yp4Vw-ScwIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDk") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_desc_after_tie",
        r#"{ userConnection(orderBy: {age: DESC}, first: 3, after: "AQBR3yp4Vw-ScwIBAjQxASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDQ") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_desc_before_tie",
        r#"{ userConnection(orderBy: {age: DESC}, last: 3, before: "AQBR3yp4Vw-ScwIBAjQxASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMTE") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_desc_first_page",
        r#"{ userConnection(orderBy: {age: DESC}, first: 4) { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_desc_last_page",
        r#"{ userConnection(orderBy: {age: DESC}, last: 2) { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_desc_nulls_last_after_18",
        r#"{ userConnection(orderBy: {age: DESC_NULLS_LAST}, first: 3, after: "AQBvJoxMVOHClQIBAjE4ASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMTM") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_desc_nulls_last_after_min",
        r#"{ userConnection(orderBy: {age: DESC_NULLS_LAST}, first: 3, after: "AQBvJoxMVOHClQIBATABJDExMTExMTExLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwNQ") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_first_page_age_asc",
        r#"{ userConnection(orderBy: {age: ASC}, first: 3) { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_format_placeholders",
        r#"{ userConnection(orderBy: {age: ASC}, first: 2, after: "AQBEyprG6g8FHgIBAjI1ASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDM") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_id_only_order",
        r#"{ userConnection(orderBy: {id: DESC}, first: 3, after: "AQD13rRim_leSgEBJDExMTExMTExLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAxMA") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_info_backward_before",
        r#"{ userConnection(where: {age: {gte: 30}}, orderBy: {age: ASC}, last: 2, before: "AQBEyprG6g8FHgIBAjQxASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDQ") { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"#,
    ),
    (
        "keyset_info_backward_filtered",
        r#"{ userConnection(where: {age: {gte: 30}}, orderBy: {age: ASC}, last: 2) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }"#,
    ),
    (
        "keyset_info_empty_page",
        r#"{ userConnection(orderBy: {age: ASC}, first: 5, after: "AQBEyprG6g8FHgIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDk") { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }"#,
    ),
    (
        "keyset_info_first_page",
        r#"{ userConnection(orderBy: {age: ASC}, first: 3) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }"#,
    ),
    (
        "keyset_info_first_zero",
        r#"{ userConnection(orderBy: {age: ASC}, first: 0) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }"#,
    ),
    (
        "keyset_info_last_forward_page",
        r#"{ userConnection(orderBy: {age: ASC}, first: 5, after: "AQBEyprG6g8FHgIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDg") { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }"#,
    ),
    (
        "keyset_last_page",
        r#"{ userConnection(orderBy: {age: ASC}, last: 3) { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_nested_path_after_null",
        r#"{ userConnection(orderBy: {profile: {city: ASC_NULLS_FIRST}}, first: 3, after: "AQBbsPrSBH5C7gIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMTY") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_nested_path_before_value",
        r#"{ userConnection(orderBy: {profile: {city: ASC_NULLS_FIRST}}, last: 10, before: "AQBbsPrSBH5C7gIBBkJlcmxpbgEkMTExMTExMTEtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDA1") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_nulls_first_after_last_null",
        r#"{ userConnection(orderBy: {age: ASC_NULLS_FIRST}, first: 2, after: "AQDonRsN7gjwHQIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDk") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_nulls_first_after_null",
        r#"{ userConnection(orderBy: {age: ASC_NULLS_FIRST}, first: 3, after: "AQDonRsN7gjwHQIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDg") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_nulls_first_before_first_value",
        r#"{ userConnection(orderBy: {age: ASC_NULLS_FIRST}, last: 5, before: "AQDonRsN7gjwHQIBATABJDExMTExMTExLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwNQ") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_nulls_first_before_null",
        r#"{ userConnection(orderBy: {age: ASC_NULLS_FIRST}, last: 5, before: "AQDonRsN7gjwHQIAASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDk") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_nulls_first_first_page",
        r#"{ userConnection(orderBy: {age: ASC_NULLS_FIRST}, first: 3) { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_total_only",
        r#"{ userConnection(where: {age: {lt: 20}}, orderBy: {age: ASC}, first: 1) { edges { cursor node { id } } totalCount } }"#,
    ),
    (
        "keyset_two_keys_after_null_both",
        r#"{ userConnection(orderBy: [{age: ASC}, {profile: {city: DESC_NULLS_LAST}}], first: 3, after: "AQCh7wF_uFhljwMAAAEkMTExMTExMTEtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDA4") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_two_keys_after_null_second",
        r#"{ userConnection(orderBy: [{age: ASC}, {profile: {city: DESC_NULLS_LAST}}], first: 2, after: "AQCh7wF_uFhljwMBAjMwAAEkMTExMTExMTEtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDE2") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_two_keys_after_tie_on_both",
        r#"{ userConnection(orderBy: [{age: ASC}, {profile: {city: DESC_NULLS_LAST}}], first: 3, after: "AQCh7wF_uFhljwMBAjMwAQVQYXJpcwEkMTExMTExMTEtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAy") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_two_keys_before",
        r#"{ userConnection(orderBy: [{age: ASC}, {profile: {city: DESC_NULLS_LAST}}], last: 3, before: "AQCh7wF_uFhljwMBAjMwAQhOZXcgWW9yawEkMTExMTExMTEtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDEy") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_two_keys_before_null_second",
        r#"{ userConnection(orderBy: [{age: ASC}, {profile: {city: DESC_NULLS_LAST}}], last: 1, before: "AQCh7wF_uFhljwMBAjMwAAEkMTExMTExMTEtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDE2") { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_two_keys_first_page",
        r#"{ userConnection(orderBy: [{age: ASC}, {profile: {city: DESC_NULLS_LAST}}], first: 4) { edges { cursor node { id } } } }"#,
    ),
    (
        "keyset_list_filter",
        r#"{ orderConnection(where: {items: {some: {sku: {eq: "A1"}}}}, orderBy: {id: ASC}, first: 2) { edges { cursor node { id } } } }"#,
    ),
];

/// A connection statement's rows (JSON objects by column) as the assembler's rows.
fn connection_rows(rows: &[Json]) -> Vec<ConnectionRow<Json>> {
    rows.iter()
        .map(|r| ConnectionRow {
            data: r.get("data").filter(|d| !d.is_null()).cloned(),
            cursor: r.get("__cursor").and_then(Json::as_str).map(str::to_owned),
            has_next_page: r.get("__has_next_page").and_then(Json::as_bool),
            has_previous_page: r.get("__has_previous_page").and_then(Json::as_bool),
            total_count: r.get("__total_count").and_then(Json::as_i64),
        })
        .collect()
}

/// A response value as JSON (the rows' data passed through).
fn response_json(r: Response<Json>) -> Json {
    match r {
        Response::Bool(b) => Json::Bool(b),
        Response::Int(i) => Json::from(i),
        Response::Str(s) => Json::String(s),
        Response::List(items) => Json::Array(items.into_iter().map(response_json).collect()),
        Response::Object(entries) => Json::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k, response_json(v)))
                .collect(),
        ),
        Response::Row(j) => j,
        _ => Json::Null,
    }
}

/// Compiles a one-field connection request, runs it and assembles the response value.
fn run_connection(
    schema: &GraphqlSchema,
    client: &mut postgres::Client,
    doc: &str,
    vars: Option<&Value>,
    options: &CompileOptions,
) -> Result<(qb_core::CompiledQuery, Vec<Json>, Json), String> {
    let request = qb_graphql::compile(doc, vars, None, schema, options).map_err(|e| e.to_json())?;
    let [
        RootField::Connection {
            compiled,
            connection,
            ..
        },
    ] = &request.fields[..]
    else {
        return Err(format!("not one connection field: {:?}", request.fields));
    };
    let rows = match qb_testpg::query_json_with(client, &compiled.sql, &compiled.pg_params()) {
        Ok(Json::Array(rows)) => rows,
        other => return Err(format!("{other:?}")),
    };
    let value = connection
        .assemble(connection_rows(&rows), |data: Json, nested| {
            let v = qb_core::json::parse_value(&data.to_string()).expect("data");
            let done = nested.finish(v)?;
            Ok::<_, qb_graphql::GraphqlError>(serde_json::from_str(&done.to_json()).expect("JSON"))
        })
        .map_err(|e| e.to_json())?;
    Ok((compiled.clone(), rows, response_json(value)))
}

#[test]
fn graphql_connections_compile_to_the_golden_keyset_sql_and_rows() {
    assert!(CONNECTION_MIRRORS.len() >= 40);
    let schema = schema();
    let cases = golden::load_cases();
    let mut client = qb_testpg::client();
    let mut failures = Vec::new();
    for (name, doc) in CONNECTION_MIRRORS {
        let case = cases
            .iter()
            .find(|c| c.name == *name)
            .unwrap_or_else(|| panic!("no golden case {name}"));
        let options = CompileOptions::default().with_placeholder(case.placeholder());
        let run = if case.placeholder() == qb_core::Placeholder::Format {
            // The %s statement, checked as text; run in its numbered form below.
            match qb_graphql::compile(doc, None, None, &schema, &options) {
                Ok(r) => match &r.fields[0] {
                    RootField::Connection { compiled, .. } => {
                        let sql = std::fs::read_to_string(case.file("sql")).expect("golden sql");
                        if compiled.sql != sql.trim_end() {
                            failures.push(format!("[{name}] %s SQL differs: {}", compiled.sql));
                        }
                    }
                    other => failures.push(format!("[{name}] {other:?}")),
                },
                Err(e) => failures.push(format!("[{name}] {}", e.to_json())),
            }
            run_connection(&schema, &mut client, doc, None, &CompileOptions::default())
        } else {
            run_connection(&schema, &mut client, doc, None, &options)
        };
        let (compiled, rows, value) = match run {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("[{name}] {e}"));
                continue;
            }
        };
        let sql = std::fs::read_to_string(case.file("sql")).expect("golden sql");
        if case.placeholder() != qb_core::Placeholder::Format && compiled.sql != sql.trim_end() {
            failures.push(format!(
                "[{name}] SQL differs\n  golden  {sql}\n  graphql {}",
                compiled.sql
            ));
            continue;
        }
        let params: Json = serde_json::from_str(
            &std::fs::read_to_string(case.file("params.json")).expect("params"),
        )
        .expect("params JSON");
        if golden::params_json(&compiled.params) != params {
            failures.push(format!(
                "[{name}] params differ: {}",
                golden::params_json(&compiled.params)
            ));
            continue;
        }
        let want: Json =
            serde_json::from_str(&std::fs::read_to_string(case.file("rows.json")).expect("rows"))
                .expect("rows JSON");
        if Json::Array(rows.clone()) != want {
            failures.push(format!("[{name}] rows differ: {}", Json::Array(rows)));
            continue;
        }
        // The assembled connection: one edge per row with a cursor, in order, each node
        // the row's data and each cursor the core's encoding of the row's `__cursor`.
        let edge_rows: Vec<&Json> = rows.iter().filter(|r| !r["__cursor"].is_null()).collect();
        let edges = value["edges"].as_array().expect("edges");
        let mut ok = edges.len() == edge_rows.len();
        for (e, r) in edges.iter().zip(&edge_rows) {
            let cursor = qb_core::encode_cursor(
                r["__cursor"].as_str().expect("cursor"),
                &CompileOptions::default(),
            )
            .expect("encode");
            ok &= e["node"] == r["data"] && e["cursor"] == Json::String(cursor);
        }
        if let Some(info) = value.get("pageInfo") {
            let first = rows
                .first()
                .expect("a page-info statement always has a row");
            ok &= info["hasNextPage"] == first["__has_next_page"]
                && info["hasPreviousPage"] == first["__has_previous_page"]
                && info["startCursor"] == edges.first().map_or(Json::Null, |e| e["cursor"].clone())
                && info["endCursor"] == edges.last().map_or(Json::Null, |e| e["cursor"].clone());
        }
        if let Some(total) = value.get("totalCount") {
            ok &= *total == rows[0]["__total_count"];
        }
        if !ok {
            failures.push(format!("[{name}] assembled {value}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every user id in the order `age ASC NULLS LAST, id`, read without pages.
fn all_ids_by_age(schema: &GraphqlSchema, client: &mut postgres::Client) -> Vec<Json> {
    let request = qb_graphql::compile(
        "{ userList(orderBy: [{age: ASC_NULLS_LAST}, {id: ASC}]) { id } }",
        None,
        None,
        schema,
        &CompileOptions::default(),
    )
    .expect("list");
    let RootField::Sql { compiled, .. } = &request.fields[0] else {
        panic!("not SQL")
    };
    let Json::Array(rows) =
        qb_testpg::query_json_with(client, &compiled.sql, &compiled.pg_params()).expect("rows")
    else {
        panic!("rows")
    };
    rows.into_iter().map(|r| r["data"]["id"].clone()).collect()
}

/// Walks every page forward (`first`/`after`) then backward (`last`/`before`) through
/// GraphQL with signed cursors, and checks the walk reads each row once, in order, with
/// the page info and total of every page true.
#[test]
fn graphql_connection_pages_walk_the_whole_order_both_ways() {
    let schema = schema();
    let mut client = qb_testpg::client();
    let want = all_ids_by_age(&schema, &mut client);
    assert!(want.len() > 10);
    let options = CompileOptions::default().with_cursor_key(b"a test key of thirty-two bytes!!");
    let walk = |client: &mut postgres::Client, forward: bool| -> Vec<Json> {
        let (size, cursor_arg) = if forward {
            ("first", "after")
        } else {
            ("last", "before")
        };
        let doc = format!(
            "query($c: String) {{ page: userConnection(orderBy: {{age: ASC}}, {size}: 3, {cursor_arg}: $c) {{ __typename totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ __typename cursor node {{ id }} }} }} }}"
        );
        let mut seen: Vec<Json> = Vec::new();
        let mut cursor = Json::Null;
        for page in 0.. {
            assert!(page < 20, "the walk does not end");
            let vars = qb_core::json::parse_value(&format!("{{\"c\": {cursor}}}")).expect("vars");
            let (_, _, value) =
                run_connection(&schema, client, &doc, Some(&vars), &options).expect("page");
            assert_eq!(value["__typename"], "UserConnection");
            assert_eq!(value["totalCount"], Json::from(want.len()));
            let edges = value["edges"].as_array().expect("edges");
            let ids: Vec<Json> = edges.iter().map(|e| e["node"]["id"].clone()).collect();
            assert!(edges.iter().all(|e| e["__typename"] == "UserEdge"));
            if !turn_page(&value, forward, page, ids, &mut seen, &mut cursor) {
                break;
            }
        }
        seen
    };
    assert_eq!(walk(&mut client, true), want, "forward");
    assert_eq!(walk(&mut client, false), want, "backward");
    // A cursor made without the key is refused under it.
    let (_, _, unsigned) = run_connection(
        &schema,
        &mut client,
        "{ userConnection(first: 1) { pageInfo { endCursor } } }",
        None,
        &CompileOptions::default(),
    )
    .expect("unsigned page");
    let doc = format!(
        "{{ userConnection(first: 1, after: {}) {{ totalCount }} }}",
        unsigned["pageInfo"]["endCursor"]
    );
    let err = qb_graphql::compile(&doc, None, None, &schema, &options).expect_err("unsigned");
    assert_eq!(err.first().code(), "QB_INVALID_CURSOR", "{}", err.to_json());
    assert_eq!(err.first().path, vec!["userConnection".to_owned()]);
}

/// `isnull: false` on a many-to-one relation is `not: {author: null}` in GraphQL: the AST
/// `{"not": {"author": {"isnull": true}}}` (byte-identical SQL), with the rows of the golden
/// `{"author": {"isnull": false}}` cases (relation filters are two-valued).
#[test]
fn graphql_not_null_relation_is_the_isnull_false_rows() {
    let schema = schema();
    let cases = golden::load_cases();
    let mut client = qb_testpg::client();
    for (name, doc, ast) in [
        (
            "rel_m2o_has_row",
            "{ postList(where: {not: {author: null}}) { id } }",
            r#"{"view": "v_post", "select": ["id"], "where": {"not": {"author": {"isnull": true}}}, "camel_case": true}"#,
        ),
        (
            "rel_filter_isnull_false",
            "query($u: UserWhere) { postLikeList(where: {not: {user: $u}}) { id } }",
            r#"{"view": "v_post_like", "select": ["id"], "where": {"not": {"user": {"isnull": true}}}}"#,
        ),
    ] {
        let vars = variables(r#"{"u": null}"#);
        let request = qb_graphql::compile(
            doc,
            vars.as_ref(),
            None,
            &schema,
            &CompileOptions::default(),
        )
        .unwrap_or_else(|e| panic!("[{name}] {}", e.to_json()));
        let RootField::Sql { compiled, .. } = &request.fields[0] else {
            panic!("[{name}] not SQL")
        };
        let want = qb_core::compile(
            &qb_core::Query::from_json(ast).expect("AST"),
            &golden::fixture_schema(),
            &CompileOptions::default(),
        )
        .expect("AST compiles");
        assert_eq!(compiled.sql, want.sql, "[{name}]");
        assert_eq!(compiled.params, want.params, "[{name}]");
        let case = cases.iter().find(|c| c.name == name).expect("case");
        let Json::Array(mut rows) =
            qb_testpg::query_json_with(&mut client, &compiled.sql, &compiled.pg_params())
                .expect("rows")
        else {
            panic!()
        };
        rows.sort_by_key(|r| r.to_string());
        let want: Json =
            serde_json::from_str(&std::fs::read_to_string(case.file("rows.json")).expect("rows"))
                .expect("rows JSON");
        assert_eq!(Json::Array(rows), want, "[{name}]");
        assert!(!want.as_array().expect("rows").is_empty());
    }
}

const POSTS_1_3: &str = r#"["22222222-0000-0000-0000-000000000001", "22222222-0000-0000-0000-000000000002", "22222222-0000-0000-0000-000000000003"]"#;

/// (golden nested keyset case, the same page as a GraphQL nested connection, the query AST
/// the GraphQL front end must write for it). The GraphQL SQL is byte-identical to the
/// AST's, and its rows are the golden case's (the connection under its GraphQL name).
fn nested_mirrors() -> Vec<(&'static str, String, String)> {
    let post = |args: &str, sel: &str| {
        format!(
            "{{ postList(where: {{id: {{in: {POSTS_1_3}}}}}, orderBy: {{id: ASC}}) {{ id commentsConnection(orderBy: {{likes: DESC}}, {args}) {{ {sel} }} }} }}"
        )
    };
    let ast = |page: &str| {
        format!(
            r#"{{"view": "v_post", "select": ["id", {{"field": "comments", "alias": "commentsConnection", "select": ["id", "likes"], "order_by": [{{"field": "likes", "direction": "desc"}}], {page}}}], "where": {{"id": {{"in": {POSTS_1_3}}}}}, "order_by": [{{"field": "id", "direction": "asc"}}], "camel_case": true}}"#
        )
    };
    let cursor = "AQDQFZveOaS7kQIBATUBJDMzMzMzMzMzLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMQ";
    vec![
        (
            "keyset_nested_first_page_info",
            post(
                "first: 2",
                "edges { cursor node { id likes } } pageInfo { hasNextPage } totalCount",
            ),
            ast(r#""first": 2, "page_info": true, "total_count": true"#),
        ),
        (
            "keyset_nested_after_every_parent",
            post(
                &format!("first: 2, after: \"{cursor}\""),
                "pageInfo { hasPreviousPage hasNextPage } edges { node { id likes } cursor }",
            ),
            ast(&format!(
                r#""first": 2, "after": "{cursor}", "page_info": true"#
            )),
        ),
        (
            "keyset_nested_before_backward",
            post(
                &format!("last: 1, before: \"{cursor}\""),
                "totalCount edges { cursor node { id likes } } pageInfo { hasNextPage hasPreviousPage }",
            ),
            ast(&format!(
                r#""last": 1, "before": "{cursor}", "page_info": true, "total_count": true"#
            )),
        ),
        (
            "keyset_nested_last_page",
            post(
                "last: 3",
                "edges { cursor node { id likes } } pageInfo { hasPreviousPage }",
            ),
            ast(r#""last": 3, "page_info": true"#),
        ),
    ]
}

/// The rows' nested connections under `key`, with the node keys sorted (a GraphQL
/// selection may list them in another order than the golden AST).
fn nested_values(rows: &[Json], key: &str) -> Vec<Json> {
    rows.iter().map(|r| r["data"][key].clone()).collect()
}

#[test]
fn graphql_nested_connections_compile_to_the_ast_sql_and_golden_rows() {
    let schema = schema();
    let registry = golden::fixture_schema();
    let cases = golden::load_cases();
    let mut client = qb_testpg::client();
    let options = CompileOptions::default();
    for (name, doc, ast) in nested_mirrors() {
        let request = qb_graphql::compile(&doc, None, None, &schema, &options)
            .unwrap_or_else(|e| panic!("[{name}] {}", e.to_json()));
        let RootField::Sql {
            compiled, query, ..
        } = &request.fields[0]
        else {
            panic!("[{name}] not SQL");
        };
        let want_query = qb_core::Query::from_json(&ast).expect("AST");
        assert_eq!(**query, want_query, "[{name}] the GraphQL front end's AST");
        let want = qb_core::compile(&want_query, &registry, &options).expect("AST compiles");
        assert_eq!(compiled.sql, want.sql, "[{name}] SQL");
        assert_eq!(compiled.params, want.params, "[{name}] params");
        let Json::Array(rows) =
            qb_testpg::query_json_with(&mut client, &compiled.sql, &compiled.pg_params())
                .expect("rows")
        else {
            panic!("[{name}] rows")
        };
        let case = cases.iter().find(|c| c.name == name).expect("golden case");
        let golden: Vec<Json> =
            serde_json::from_str(&std::fs::read_to_string(case.file("rows.json")).expect("rows"))
                .expect("rows JSON");
        assert_eq!(
            nested_values(&rows, "commentsConnection"),
            nested_values(&golden, "comments"),
            "[{name}] rows"
        );
    }
}

/// Runs a one-field request whose `data` holds nested connections and returns its rows'
/// `data` as the response has it (through `NestedConnections::finish`).
fn run_nested(
    schema: &GraphqlSchema,
    client: &mut postgres::Client,
    doc: &str,
    vars: Option<&Value>,
    options: &CompileOptions,
) -> Result<Vec<Json>, qb_graphql::GraphqlErrors> {
    let request = qb_graphql::compile(doc, vars, None, schema, options)?;
    let RootField::Sql {
        compiled, nested, ..
    } = &request.fields[0]
    else {
        panic!("not SQL")
    };
    let nested = nested.as_ref().expect("nested connections");
    let Json::Array(rows) =
        qb_testpg::query_json_with(client, &compiled.sql, &compiled.pg_params()).expect("rows")
    else {
        panic!("rows")
    };
    Ok(rows
        .iter()
        .map(|r| {
            let data = qb_core::json::parse_value(&r["data"].to_string()).expect("data");
            let done = nested.finish(data).expect("finish");
            serde_json::from_str(&done.to_json()).expect("JSON")
        })
        .collect())
}

/// Pages one post's comments through GraphQL, following `endCursor` (signed with the
/// key) until `hasNextPage` is false: the walk reads the comments once, in order, and
/// each page's cursors, `startCursor`/`endCursor`, `nodes` and `__typename`s are the
/// connection's as selected, under their aliases.
#[test]
fn graphql_nested_connection_pages_walk_one_parents_list() {
    let schema = schema();
    let mut client = qb_testpg::client();
    let options = CompileOptions::default().with_cursor_key(b"a test key of thirty-two bytes!!");
    let post = "22222222-0000-0000-0000-000000000001";
    let all = qb_graphql::compile(
        &format!("{{ post(id: \"{post}\") {{ comments(orderBy: {{likes: DESC}}) {{ id }} }} }}"),
        None,
        None,
        &schema,
        &options,
    )
    .expect("all comments");
    let RootField::Sql {
        compiled, nested, ..
    } = &all.fields[0]
    else {
        panic!("not SQL")
    };
    assert!(nested.is_none(), "no nested connection, nothing to finish");
    let rows = qb_testpg::query_json_with(&mut client, &compiled.sql, &compiled.pg_params())
        .expect("rows");
    let want: Vec<Json> = rows[0]["data"]["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert!(want.len() > 2, "the walk crosses pages: {want:?}");
    let doc = format!(
        "query($c: String) {{ post(id: \"{post}\") {{ id page: commentsConnection(orderBy: {{likes: DESC}}, first: 2, after: $c) {{ __typename n: totalCount info: pageInfo {{ __typename hasNextPage hasPreviousPage startCursor endCursor }} edges {{ __typename c: cursor node {{ id }} }} }} }} }}"
    );
    let mut seen = Vec::new();
    let mut cursor = Json::Null;
    for page in 0.. {
        assert!(page < 20, "the walk does not end");
        let vars = qb_core::json::parse_value(&format!("{{\"c\": {cursor}}}")).expect("vars");
        let rows = run_nested(&schema, &mut client, &doc, Some(&vars), &options)
            .unwrap_or_else(|e| panic!("page {page}: {}", e.to_json()));
        let conn = &rows[0]["page"];
        assert_eq!(rows[0]["id"], Json::from(post));
        assert_eq!(conn["__typename"], "CommentConnection");
        assert_eq!(conn["n"], Json::from(want.len()), "{conn}");
        let info = &conn["info"];
        assert_eq!(info["__typename"], "PageInfo");
        assert_eq!(info["hasPreviousPage"], Json::Bool(page > 0), "{conn}");
        let edges = conn["edges"].as_array().expect("edges");
        assert!(!edges.is_empty());
        assert!(edges.iter().all(|e| e["__typename"] == "CommentEdge"));
        assert_eq!(info["startCursor"], edges[0]["c"]);
        assert_eq!(info["endCursor"], edges[edges.len() - 1]["c"]);
        // Each cursor is an encoded one, signed with the key, not the row's raw text.
        for e in edges {
            let c = e["c"].as_str().expect("cursor");
            assert!(!c.starts_with('['), "{c}");
        }
        seen.extend(edges.iter().map(|e| e["node"]["id"].clone()));
        if info["hasNextPage"] == Json::Bool(false) {
            break;
        }
        cursor = info["endCursor"].clone();
    }
    assert_eq!(seen, want);
    // `nodes`, an empty page, and a connection nested in a connection's node.
    let rows = run_nested(
        &schema,
        &mut client,
        &format!(
            "{{ postList(where: {{id: {{in: {POSTS_1_3}}}}}, orderBy: {{id: ASC}}) {{ id author {{ postsConnection(orderBy: {{id: ASC}}, first: 1) {{ nodes {{ id commentsConnection(where: {{likes: {{gt: 1000000}}}}, first: 1) {{ totalCount pageInfo {{ startCursor endCursor hasNextPage }} edges {{ cursor }} }} }} }} }} }} }}"
        ),
        None,
        &options,
    )
    .expect("nodes");
    assert_eq!(rows.len(), 3);
    for r in &rows {
        let nodes = r["author"]["postsConnection"]["nodes"]
            .as_array()
            .expect("nodes");
        assert_eq!(nodes.len(), 1, "{r}");
        let empty = &nodes[0]["commentsConnection"];
        assert_eq!(
            *empty,
            serde_json::json!({"totalCount": 0, "pageInfo": {"startCursor": null, "endCursor": null, "hasNextPage": false}, "edges": []}),
            "{r}"
        );
    }
}

#[test]
fn graphql_nested_connection_errors_have_the_graphql_path() {
    let schema = schema();
    let options = CompileOptions::default();
    let err_of =
        |doc: &str| qb_graphql::compile(doc, None, None, &schema, &options).expect_err("an error");
    // A root cursor on a nested connection.
    let e = err_of(
        r#"{ postList { id c: commentsConnection(orderBy: {likes: DESC}, first: 2, after: "AQBEyprG6g8FHgIBAjI1ASQxMTExMTExMS0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDM") { edges { node { id } } } } }"#,
    );
    assert_eq!(e.first().code(), "QB_CURSOR_MISMATCH", "{}", e.to_json());
    assert_eq!(e.first().path, vec!["postList".to_owned(), "c".to_owned()]);
    assert_eq!(e.first().ast_path.as_deref(), Some("select[1].after"));
    // A page needs a size.
    let e = err_of("{ postList { id commentsConnection { totalCount } } }");
    assert_eq!(e.first().code(), "QB_INVALID_QUERY", "{}", e.to_json());
    assert_eq!(
        e.first().path,
        vec!["postList".to_owned(), "commentsConnection".to_owned()]
    );
    // A nested connection in a root connection's node needs a page size too, at its path.
    let e = err_of(
        "{ postConnection(first: 1) { edges { node { commentsConnection { totalCount } } } } }",
    );
    assert_eq!(e.first().code(), "QB_INVALID_QUERY", "{}", e.to_json());
    assert_eq!(
        e.first().path,
        vec!["postConnection", "edges", "node", "commentsConnection"]
    );
}

/// Runs every root field of a request (SQL root fields only) and returns `{key: rows}`.
fn run_request(
    schema: &GraphqlSchema,
    doc: &str,
    client: &mut postgres::Client,
) -> (serde_json::Map<String, Json>, Vec<String>) {
    let request = qb_graphql::compile(doc, None, None, schema, &CompileOptions::default())
        .unwrap_or_else(|e| panic!("{doc}: {}", e.to_json()));
    let mut data = serde_json::Map::new();
    let mut sqls = Vec::new();
    for field in &request.fields {
        let RootField::Sql {
            response_key,
            compiled,
            ..
        } = field
        else {
            panic!("not SQL: {field:?}")
        };
        let rows = qb_testpg::query_json_with(client, &compiled.sql, &compiled.pg_params())
            .unwrap_or_else(|e| panic!("{}: {e:?}", compiled.sql));
        data.insert(response_key.clone(), rows);
        sqls.push(compiled.sql.clone());
    }
    (data, sqls)
}

#[test]
fn graphql_typename_answers_every_object_type_on_postgres() {
    // The fixture registry names no nested object and not `shipping.parcels`: each answers
    // its SDL type's derived name, through fragments (named and inline) and aliases too.
    let schema = schema();
    for t in [
        "type UserProfile {",
        "type UserProfileAddress {",
        "type OrderShipping {",
        "type OrderShippingParcels {",
        "type LineItem {",
        "type ItemOption {",
    ] {
        assert!(schema.sdl().contains(t), "{t}");
    }
    let mut client = qb_testpg::client();
    let doc = r#"
      query {
        userList(where: {id: {in: ["11111111-0000-0000-0000-000000000005", "11111111-0000-0000-0000-000000000006", "11111111-0000-0000-0000-000000000008"]}}, orderBy: {id: ASC}) {
          id __typename
          profile { __typename city kind: __typename ...A }
        }
        orders: orderList(where: {id: {in: ["55555555-0000-0000-0000-000000000001", "55555555-0000-0000-0000-000000000002"]}}, orderBy: {id: ASC}) {
          __typename
          shipping { __typename carrier parcels { t: __typename code } }
          items(limit: 1) { __typename sku ... on LineItem { options(limit: 1) { __typename name } } }
        }
      }
      fragment A on UserProfile { address { __typename street } }"#;
    let (data, _) = run_request(&schema, doc, &mut client);
    let rows = |key: &str| -> Vec<Json> {
        data[key]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["data"].clone())
            .collect()
    };
    assert_eq!(
        rows("userList"),
        vec![
            serde_json::json!({"id": "11111111-0000-0000-0000-000000000005", "__typename": "User",
                "profile": {"__typename": "UserProfile", "city": "Berlin", "kind": "UserProfile",
                    "address": {"__typename": "UserProfileAddress", "street": "Unter den Linden 1"}}}),
            serde_json::json!({"id": "11111111-0000-0000-0000-000000000006", "__typename": "User",
                "profile": {"__typename": "UserProfile", "city": "Berlin", "kind": "UserProfile",
                    "address": null}}),
            serde_json::json!({"id": "11111111-0000-0000-0000-000000000008", "__typename": "User",
                "profile": null}),
        ]
    );
    assert_eq!(
        rows("orders"),
        vec![
            serde_json::json!({"__typename": "Order",
                "shipping": {"__typename": "OrderShipping", "carrier": "post", "parcels": [
                    {"t": "OrderShippingParcels", "code": "P1"},
                    {"t": "OrderShippingParcels", "code": "P2"}]},
                "items": [{"__typename": "LineItem", "sku": "A1",
                    "options": [{"__typename": "ItemOption", "name": "color"}]}]}),
            serde_json::json!({"__typename": "Order",
                "shipping": {"__typename": "OrderShipping", "carrier": "post", "parcels": []},
                "items": []}),
        ]
    );

    // A registry that names its objects: the SDL's types are those names, and the request
    // is the golden case's query AST (byte-identical SQL, the same rows).
    let case = golden::load_cases()
        .into_iter()
        .find(|c| c.name == "select_typename_nested_object")
        .expect("golden case");
    let registry =
        qb_core::Schema::from_json(&case.spec["schema"].to_string()).expect("the case's registry");
    let named = GraphqlSchema::new(registry).expect("a GraphQL schema");
    assert!(named.sdl().contains("type Profile {"), "{}", named.sdl());
    assert!(named.sdl().contains("type Address {"), "{}", named.sdl());
    assert!(
        named.sdl().contains("input ProfileWhere {"),
        "{}",
        named.sdl()
    );
    assert!(!named.sdl().contains("UserProfile"), "{}", named.sdl());
    let doc = r#"{ userList(where: {id: {in: ["11111111-0000-0000-0000-000000000005", "11111111-0000-0000-0000-000000000006", "11111111-0000-0000-0000-000000000008"]}}, orderBy: {id: ASC}) {
        id __typename profile { __typename city address { kind: __typename street } } } }"#;
    let (data, sqls) = run_request(&named, doc, &mut client);
    let sql = std::fs::read_to_string(case.file("sql")).expect("golden sql");
    assert_eq!(sqls, vec![sql.trim_end().to_owned()]);
    let want: Json =
        serde_json::from_str(&std::fs::read_to_string(case.file("rows.json")).expect("rows"))
            .expect("rows JSON");
    assert_eq!(data["userList"], want);
}

/// One page of a walk over a connection (`first`/`after` forward, `last`/`before`
/// backward): checks the page flag behind the walk (set past the first page), puts the
/// page's ids in order into `seen`, moves `cursor` to the page's far end, and says whether
/// another page follows.
fn turn_page(
    value: &Json,
    forward: bool,
    page: usize,
    ids: Vec<Json>,
    seen: &mut Vec<Json>,
    cursor: &mut Json,
) -> bool {
    let info = &value["pageInfo"];
    let (more, back) = if forward {
        (&info["hasNextPage"], &info["hasPreviousPage"])
    } else {
        (&info["hasPreviousPage"], &info["hasNextPage"])
    };
    assert_eq!(*back, Json::Bool(page > 0), "page {page}: {value}");
    if forward {
        seen.extend(ids);
        *cursor = info["endCursor"].clone();
    } else {
        seen.splice(0..0, ids);
        *cursor = info["startCursor"].clone();
    }
    *more != Json::Bool(false)
}

/// The nested connection of a root connection's node (`postConnection { edges { node {
/// commentsConnection } } }`), as the request asks it: the page of every node's comments.
const IN_ROOT_NESTED: &str = "commentsConnection(orderBy: {likes: DESC}, first: 2, after: $n) { __typename totalCount pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor } edges { __typename cursor node { id likes } } }";

/// The same nested page read through one post (`post(id:) { commentsConnection }`, a
/// `RootField::Sql` finished by `NestedConnections::finish`): what every node of a root
/// connection must hold.
fn comments_page_of(
    schema: &GraphqlSchema,
    client: &mut postgres::Client,
    post: &Json,
    after: &Json,
    options: &CompileOptions,
) -> Json {
    let doc = format!("query($n: String) {{ post(id: {post}) {{ {IN_ROOT_NESTED} }} }}");
    let vars = qb_core::json::parse_value(&format!("{{\"n\": {after}}}")).expect("vars");
    let rows = run_nested(schema, client, &doc, Some(&vars), options)
        .unwrap_or_else(|e| panic!("{}", e.to_json()));
    rows[0]["commentsConnection"].clone()
}

/// A connection nested in a root connection's node compiles to one statement (the golden
/// `keyset_root_nested_page`'s, with the GraphQL names) and assembles through
/// `Connection::assemble`, which finishes each node's nested connections: cursors signed
/// at both levels, each refused at the other level with its path, and the root pages
/// walked forward and backward hold, in every node, the page one post's request reads.
#[test]
fn graphql_nested_connection_in_a_root_connections_node() {
    let schema = schema();
    let registry = golden::fixture_schema();
    let mut client = qb_testpg::client();
    // The golden statement, as GraphQL (no cursor key: the golden cursors are unsigned).
    let plain = CompileOptions::default();
    let doc = "{ postConnection(orderBy: {id: ASC}, first: 2) { totalCount pageInfo { hasNextPage } edges { node { id commentsConnection(orderBy: {likes: DESC}, first: 2) { totalCount pageInfo { hasNextPage } edges { cursor node { id likes } } } } } } }";
    let (compiled, rows, value) =
        run_connection(&schema, &mut client, doc, None, &plain).expect("golden page");
    let ast = r#"{"view": "v_post", "select": ["id", {"field": "comments", "alias": "commentsConnection", "select": ["id", "likes"], "order_by": [{"field": "likes", "direction": "desc"}], "first": 2, "page_info": true, "total_count": true}], "order_by": [{"field": "id", "direction": "asc"}], "first": 2, "page_info": true, "total_count": true, "camel_case": true}"#;
    let want = qb_core::compile(
        &qb_core::Query::from_json(ast).expect("AST"),
        &registry,
        &plain,
    )
    .expect("AST compiles");
    assert_eq!(compiled.sql, want.sql);
    assert_eq!(compiled.params, want.params);
    let case = golden::load_cases()
        .into_iter()
        .find(|c| c.name == "keyset_root_nested_page")
        .expect("golden case");
    let golden: Vec<Json> =
        serde_json::from_str(&std::fs::read_to_string(case.file("rows.json")).expect("rows"))
            .expect("rows JSON");
    assert_eq!(
        nested_values(&rows, "commentsConnection"),
        nested_values(&golden, "comments")
    );
    // Assembled: each node's connection is finished (encoded cursors, as selected).
    let edges = value["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 2, "{value}");
    for (e, r) in edges.iter().zip(&golden) {
        let conn = &e["node"]["commentsConnection"];
        let raw = r["data"]["comments"]["edges"]
            .as_array()
            .expect("raw edges");
        let cursors: Vec<Json> = raw
            .iter()
            .map(|x| {
                Json::String(
                    qb_core::encode_cursor(x["cursor"].as_str().expect("raw"), &plain)
                        .expect("encode"),
                )
            })
            .collect();
        let got: Vec<Json> = conn["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|x| x["cursor"].clone())
            .collect();
        assert_eq!(got, cursors, "{conn}");
        assert_eq!(conn["totalCount"], r["data"]["comments"]["totalCount"]);
        assert_eq!(
            conn["pageInfo"],
            serde_json::json!({"hasNextPage": r["data"]["comments"]["pageInfo"]["hasNextPage"]})
        );
    }

    // Signed cursors; the walk forward and backward.
    let options = CompileOptions::default().with_cursor_key(b"a test key of thirty-two bytes!!");
    let ids = {
        let request = qb_graphql::compile(
            "{ postList(orderBy: {id: ASC}) { id } }",
            None,
            None,
            &schema,
            &options,
        )
        .expect("list");
        let RootField::Sql { compiled, .. } = &request.fields[0] else {
            panic!("not SQL")
        };
        let Json::Array(rows) =
            qb_testpg::query_json_with(&mut client, &compiled.sql, &compiled.pg_params())
                .expect("rows")
        else {
            panic!("rows")
        };
        rows.into_iter()
            .map(|r| r["data"]["id"].clone())
            .collect::<Vec<_>>()
    };
    assert!(ids.len() > 4);
    let walk = |client: &mut postgres::Client, forward: bool, nested_after: &Json| -> Vec<Json> {
        // Forward reads the nodes under `edges { node }`, backward under `nodes`.
        let (size, arg, node) = if forward {
            (
                "first",
                "after",
                format!("edges {{ cursor node {{ id {IN_ROOT_NESTED} }} }}"),
            )
        } else {
            ("last", "before", format!("nodes {{ id {IN_ROOT_NESTED} }}"))
        };
        let doc = format!(
            "query($c: String, $n: String) {{ page: postConnection(orderBy: {{id: ASC}}, {size}: 3, {arg}: $c) {{ pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} {node} }} }}"
        );
        let mut seen = Vec::new();
        let mut cursor = Json::Null;
        for page in 0.. {
            assert!(page < 20, "the walk does not end");
            let vars =
                qb_core::json::parse_value(&format!("{{\"c\": {cursor}, \"n\": {nested_after}}}"))
                    .expect("vars");
            let request = qb_graphql::compile(&doc, Some(&vars), None, &schema, &options)
                .unwrap_or_else(|e| panic!("page {page}: {}", e.to_json()));
            assert_eq!(request.fields.len(), 1, "one statement");
            let (_, _, value) = run_connection(&schema, client, &doc, Some(&vars), &options)
                .unwrap_or_else(|e| panic!("page {page}: {e}"));
            let nodes: Vec<&Json> = if forward {
                let edges = value["edges"].as_array().expect("edges");
                for e in edges {
                    assert!(!e["cursor"].as_str().expect("cursor").starts_with('['));
                }
                edges.iter().map(|e| &e["node"]).collect()
            } else {
                value["nodes"].as_array().expect("nodes").iter().collect()
            };
            assert!(!nodes.is_empty(), "{value}");
            let mut page_ids = Vec::new();
            for n in nodes {
                let conn = &n["commentsConnection"];
                assert_eq!(conn["__typename"], "CommentConnection");
                assert_eq!(
                    *conn,
                    comments_page_of(&schema, client, &n["id"], nested_after, &options),
                    "post {}",
                    n["id"]
                );
                for c in conn["edges"].as_array().expect("nested edges") {
                    assert_eq!(c["__typename"], "CommentEdge");
                    assert!(!c["cursor"].as_str().expect("cursor").starts_with('['));
                }
                page_ids.push(n["id"].clone());
            }
            if !turn_page(&value, forward, page, page_ids, &mut seen, &mut cursor) {
                break;
            }
        }
        seen
    };
    assert_eq!(walk(&mut client, true, &Json::Null), ids, "forward");
    assert_eq!(walk(&mut client, false, &Json::Null), ids, "backward");

    // A nested cursor continues every node's page (read through one post, then in the
    // root connection's nodes).
    let post1 = Json::from("22222222-0000-0000-0000-000000000001");
    let first = comments_page_of(&schema, &mut client, &post1, &Json::Null, &options);
    assert_eq!(
        first["pageInfo"]["hasNextPage"],
        Json::Bool(true),
        "{first}"
    );
    let nested_cursor = first["pageInfo"]["endCursor"].clone();
    let second = comments_page_of(&schema, &mut client, &post1, &nested_cursor, &options);
    assert_eq!(
        second["pageInfo"]["hasPreviousPage"],
        Json::Bool(true),
        "{second}"
    );
    assert_eq!(
        walk(&mut client, true, &nested_cursor),
        ids,
        "forward, nested pages after a cursor"
    );

    // Each level's cursor is refused at the other level, at the GraphQL path of the field.
    let (_, _, root) = run_connection(
        &schema,
        &mut client,
        "{ postConnection(orderBy: {id: ASC}, first: 1) { pageInfo { endCursor } } }",
        None,
        &options,
    )
    .expect("root page");
    let root_cursor = root["pageInfo"]["endCursor"].clone();
    let err_of = |c: &Json, n: &Json| {
        let vars =
            qb_core::json::parse_value(&format!("{{\"c\": {c}, \"n\": {n}}}")).expect("vars");
        qb_graphql::compile(
            &format!("query($c: String, $n: String) {{ postConnection(orderBy: {{id: ASC}}, first: 2, after: $c) {{ edges {{ node {{ {IN_ROOT_NESTED} }} }} }} }}"),
            Some(&vars), None, &schema, &options,
        )
        .expect_err("a cursor of the other level")
    };
    let e = err_of(&nested_cursor, &Json::Null);
    assert_eq!(e.first().code(), "QB_CURSOR_MISMATCH", "{}", e.to_json());
    assert_eq!(e.first().path, vec!["postConnection"]);
    let e = err_of(&Json::Null, &root_cursor);
    assert_eq!(e.first().code(), "QB_CURSOR_MISMATCH", "{}", e.to_json());
    assert_eq!(
        e.first().path,
        vec!["postConnection", "edges", "node", "commentsConnection"]
    );
    // A cursor signed with another key is refused at either level.
    let (_, _, unsigned) = run_connection(
        &schema,
        &mut client,
        "{ postConnection(orderBy: {id: ASC}, first: 1) { pageInfo { endCursor } } }",
        None,
        &plain,
    )
    .expect("unsigned");
    let e = err_of(&unsigned["pageInfo"]["endCursor"], &Json::Null);
    assert_eq!(e.first().code(), "QB_INVALID_CURSOR", "{}", e.to_json());
}
