"""fraiseql_qb.graphql: a GraphQL request compiled by the core (the binding converts types
only), run on PostgreSQL: the nested rows equal those of the same request as a query AST."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

import fraiseql_qb
from conftest import FIXTURE_SCHEMA_TEXT, data_rows

DOC = """
query Posts($min: Int = 1, $ids: [UUID!]) {
  __typename
  posts: postList(where: {id: {in: $ids}, comments: {some: {likes: {gte: $min}}}}, orderBy: {id: ASC}) {
    __typename
    title
    writer: author { ...Who }
    comments(orderBy: {likes: DESC}, limit: 2) { likes author { ...Who } }
  }
  first: post(id: "22222222-0000-0000-0000-000000000001") { id }
  none: post(id: "22222222-0000-0000-0000-0000000000ff") { id }
}
fragment Who on User { name }
"""

AST = {
    "view": "v_post",
    "select": [
        "__typename", "title",
        {"field": "author", "alias": "writer", "select": ["name"]},
        {"field": "comments", "select": ["likes", {"field": "author", "select": ["name"]}],
         "order_by": [{"field": "likes", "direction": "desc"}], "limit": 2},
    ],
    "where": {"id": {"in": ["22222222-0000-0000-0000-000000000001",
                            "22222222-0000-0000-0000-000000000002"]},
              "comments": {"some": {"likes": {"gte": 1}}}},
    "order_by": [{"field": "id", "direction": "asc"}],
}


def test_a_nested_request_runs_in_one_statement_per_root_field(
    conn: Any, schema: fraiseql_qb.Schema
) -> None:
    variables = {"ids": ["22222222-0000-0000-0000-000000000001",
                         "22222222-0000-0000-0000-000000000002"]}
    request = fraiseql_qb.graphql.compile(DOC, variables, schema, placeholder="format")
    assert [f.response_key for f in request.fields] == ["__typename", "posts", "first", "none"]
    assert [f.single for f in request.fields] == [False, False, True, True]
    ast = fraiseql_qb.compile(AST, schema, placeholder="format")
    posts = request.fields[1].query
    assert posts.sql == ast.sql and posts.params == ast.params

    def run(q: Any) -> Any:
        return [r[0] for r in conn.execute(q.sql, q.params).fetchall()]

    response = request.assemble(run)
    data = response["data"]
    assert data["__typename"] == "Query"
    assert data["posts"] == data_rows(conn, schema, AST)
    assert data["posts"] and all(p["__typename"] == "Post" for p in data["posts"])
    assert data["first"] == {"id": "22222222-0000-0000-0000-000000000001"}
    assert data["none"] is None


def test_errors_carry_the_graphql_shape_and_our_codes(schema: fraiseql_qb.Schema) -> None:
    with pytest.raises(fraiseql_qb.GraphqlInvalidError) as e:
        fraiseql_qb.graphql.compile("{ userList { id emial } }", None, schema)
    assert e.value.code == "QB_GRAPHQL_INVALID" and e.value.number == 18
    assert e.value.errors == [{
        "message": "type `User` does not have a field `emial`",
        "locations": [{"line": 1, "column": 17}],
        "extensions": {"code": "QB_GRAPHQL_INVALID"},
    }]
    with pytest.raises(fraiseql_qb.InvalidValueError) as v:
        fraiseql_qb.graphql.compile(
            "query($l: Int) { userList(where: {age: {eq: null}}, limit: $l) { id } }",
            {"l": 3}, schema)
    assert v.value.path == "where.age.eq"
    assert v.value.errors[0]["path"] == ["userList"]
    with pytest.raises(fraiseql_qb.GraphqlInvalidError):
        fraiseql_qb.graphql.compile("query($l: Int!) { userList(limit: $l) { id } }", {}, schema)


CACHE_DOC = """
query Q($w: UserWhere, $n: Int, $skip: Boolean!) {
  userList(where: $w, limit: $n, orderBy: {id: ASC}) { id email @skip(if: $skip) ...F }
}
fragment F on User { name @include(if: $skip) }
"""

CACHE_VARIABLES: List[Any] = [
    {"skip": False, "w": {"age": {"gte": 18}}},
    {"skip": True, "w": {"email": {"eq": "a@b"}}, "n": 5},
    {"skip": False, "w": {"or": [{"age": {"lt": 1}}, {"active": {"eq": True}}]}},
    {"skip": True},
    {"skip": False, "w": {"age": {"eq": None}}},  # a qb-core error
    {"skip": "yes"},  # a variable error
    {},  # a required variable missing
    {"skip": False, "n": 2**40},  # beyond Int
]


def _outcome(schema: fraiseql_qb.Schema, doc: str, variables: Any) -> Any:
    try:
        r = fraiseql_qb.graphql.compile(doc, variables, schema)
    except fraiseql_qb.QueryBuilderError as e:
        return ("error", type(e).__name__, e.code, e.errors)
    return [(f.response_key, f.single, f.value,
             f.query and (f.query.sql, f.query.params)) for f in r.fields]


def test_the_document_cache_returns_what_an_uncached_compile_returns() -> None:
    registry = json.loads(FIXTURE_SCHEMA_TEXT)
    cached = fraiseql_qb.Schema(registry)
    uncached = fraiseql_qb.Schema(registry, graphql_cache_size=0)
    tiny = fraiseql_qb.Schema(registry, graphql_cache_size=1)
    lowered = fraiseql_qb.Schema(registry, graphql_bound_hits=False)
    docs = [CACHE_DOC, "{ userList { id emial } }", DOC]
    outcomes = set()
    rounds = 3  # a fingerprint is seen, traced, then bound
    for _ in range(rounds):
        for doc in docs:
            for v in CACHE_VARIABLES:
                want = _outcome(uncached, doc, v)
                assert _outcome(cached, doc, v) == want
                assert _outcome(tiny, doc, v) == want
                assert _outcome(lowered, doc, v) == want
                outcomes.add(repr(want))
    assert len(outcomes) > 8  # varied: several shapes and several errors
    s = cached.graphql_cache_stats()
    # Two valid documents parsed once each; the invalid one is never cached.
    assert s["misses"] == 2 + rounds * len(CACHE_VARIABLES)
    assert s["hits"] == rounds * 2 * len(CACHE_VARIABLES) - 2
    assert (s["len"], s["capacity"]) == (2, 1024)
    assert s["shapes"]["misses"] > 0
    # Repeated requests bind their variables into the cached statements (the third round
    # of each valid request at least); with bound hits off, none is.
    assert s["bound"] >= len(CACHE_VARIABLES) // 2 and s["templates"] > 0, s
    lo = lowered.graphql_cache_stats()
    assert (lo["bound"], lo["templates"]) == (0, 0) and lo["shapes"]["hits"] > 0
    assert tiny.graphql_cache_stats()["evictions"] > 0
    off = uncached.graphql_cache_stats()
    assert (off["hits"], off["misses"], off["capacity"]) == (0, 0, 0)
    assert set(off) == {"hits", "misses", "bound", "templates", "evictions", "len", "capacity",
                        "bytes", "shapes"}
CONNECTION = """
query Page($after: String) {
  page: userConnection(orderBy: {age: ASC}, first: 4, after: $after) {
    __typename
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id age } }
  }
}
"""

KEY = b"a python test key, 32 bytes long"


def test_a_connection_walks_every_page_with_signed_cursors(
    conn: Any, schema: fraiseql_qb.Schema
) -> None:
    """The response is shaped by the core's assembler; its cursors are the core's encoding
    of each row's ``__cursor``, signed with ``cursor_key``, and they page through the whole
    order exactly once."""
    everything = data_rows(conn, schema, {
        "view": "v_user", "select": ["id", "age"],
        "order_by": [{"field": "age", "nulls": "last"}, "id"],
    })
    seen: List[Any] = []
    after = None
    for page in range(10):
        request = fraiseql_qb.graphql.compile(
            CONNECTION, {"after": after}, schema, placeholder="format", cursor_key=KEY
        )
        (field,) = request.fields
        assert field.connection is not None and field.connection.columns == [
            "data", "__cursor", "__has_next_page", "__has_previous_page", "__total_count"]
        fetched: Dict[str, Any] = {}

        def run(q: Any) -> Any:
            rows = conn.execute(q.sql, q.params).fetchall()
            fetched["rows"] = rows
            return rows

        data = request.assemble(run)["data"]["page"]
        rows = fetched["rows"]
        assert data["__typename"] == "UserConnection"
        assert data["totalCount"] == len(everything)
        assert data["pageInfo"]["hasPreviousPage"] == (page > 0)
        assert [e["node"] for e in data["edges"]] == [r[0] for r in rows]
        assert [e["cursor"] for e in data["edges"]] == [
            fraiseql_qb.encode_cursor(r[1], cursor_key=KEY) for r in rows]
        seen.extend(e["node"] for e in data["edges"])
        after = data["pageInfo"]["endCursor"]
        if not data["pageInfo"]["hasNextPage"]:
            break
    assert seen == everything
    # An unsigned cursor is refused under the key, with the field's response path.
    with pytest.raises(fraiseql_qb.InvalidCursorError) as e:
        fraiseql_qb.graphql.compile(
            CONNECTION, {"after": fraiseql_qb.encode_cursor(rows[0][1])}, schema, cursor_key=KEY)
    assert e.value.errors[0]["path"] == ["page"]


def test_a_connection_assembles_mapping_rows_and_the_empty_page(
    conn: Any, schema: fraiseql_qb.Schema
) -> None:
    """Rows as mappings (psycopg's dict_row) assemble alike; the empty page's one row is
    no edge and carries the page info and the total."""
    from psycopg.rows import dict_row

    doc = ("{ userConnection(where: {age: {gt: 1000}}, first: 3) "
           "{ totalCount nodes { id } pageInfo { hasNextPage startCursor endCursor } } }")
    request = fraiseql_qb.graphql.compile(doc, None, schema, placeholder="format")
    with conn.cursor(row_factory=dict_row) as cur:
        data = request.assemble(lambda q: cur.execute(q.sql, q.params).fetchall())["data"]
    assert data["userConnection"] == {
        "totalCount": 0,
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "startCursor": None, "endCursor": None},
    }
    # Plain fields still take rows as fetched, or their data values.
    plain = fraiseql_qb.graphql.compile(
        '{ user(id: "11111111-0000-0000-0000-000000000001") { id } }', None, schema,
        placeholder="format")
    fetched = plain.assemble(lambda q: conn.execute(q.sql, q.params).fetchall())
    values = plain.assemble(lambda q: [r[0] for r in conn.execute(q.sql, q.params).fetchall()])
    assert fetched == values == {"data": {"user": {"id": "11111111-0000-0000-0000-000000000001"}}}


NESTED = """query($after: String) {
  postList(where: {id: {eq: "22222222-0000-0000-0000-000000000001"}}) {
    id
    page: commentsConnection(orderBy: {likes: DESC}, first: 2, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id } }
    }
  }
}"""


def test_a_nested_connection_walks_its_pages_with_the_cores_cursors(
    conn: Any, schema: fraiseql_qb.Schema
) -> None:
    """A relation's connection is shaped by the core (``RootField.nested``): encoded,
    signed cursors, start and end cursors; following ``endCursor`` reads the
    post's comments once, in order."""
    everything = data_rows(conn, schema, {
        "view": "v_post", "select": [{"field": "comments", "select": ["id"],
                                      "order_by": [{"field": "likes", "direction": "desc"}]}],
        "where": {"id": {"eq": "22222222-0000-0000-0000-000000000001"}},
    })[0]["comments"]
    assert len(everything) > 2
    seen: List[Any] = []
    after = None
    for page in range(10):
        request = fraiseql_qb.graphql.compile(
            NESTED, {"after": after}, schema, placeholder="format", cursor_key=KEY)
        (field,) = request.fields
        assert field.nested is not None

        def run(q: Any) -> Any:
            return conn.execute(q.sql, q.params).fetchall()

        (post,) = request.assemble(run)["data"]["postList"]
        data = post["page"]
        assert data["totalCount"] == len(everything)
        assert data["pageInfo"]["hasPreviousPage"] == (page > 0)
        cursors = [e["cursor"] for e in data["edges"]]
        assert data["pageInfo"]["startCursor"] == cursors[0]
        assert data["pageInfo"]["endCursor"] == cursors[-1]
        seen.extend(e["node"] for e in data["edges"])
        after = data["pageInfo"]["endCursor"]
        if not data["pageInfo"]["hasNextPage"]:
            break
    assert seen == everything
    # A cursor of the root connection over the same view and order is not one of this list.
    root = fraiseql_qb.graphql.compile(
        "{ commentConnection(orderBy: {likes: DESC}, first: 1) { edges { cursor } } }",
        None, schema, placeholder="format", cursor_key=KEY,
    ).assemble(lambda q: conn.execute(q.sql, q.params).fetchall())
    root_cursor = root["data"]["commentConnection"]["edges"][0]["cursor"]
    with pytest.raises(fraiseql_qb.CursorMismatchError) as e:
        fraiseql_qb.graphql.compile(NESTED, {"after": root_cursor}, schema, cursor_key=KEY)
    assert e.value.errors[0]["path"] == ["postList", "page"]


def test_typename_answers_nested_objects_and_list_elements(
    conn: Any, schema: fraiseql_qb.Schema
) -> None:
    # The core writes every object type's name (the SDL's `UserProfile`,
    # `OrderShippingParcels`); the binding only converts.
    doc = """{
      userList(where: {id: {eq: "11111111-0000-0000-0000-000000000005"}}) {
        __typename profile { __typename city ...A } }
      orderList(where: {id: {eq: "55555555-0000-0000-0000-000000000001"}}) {
        shipping { kind: __typename parcels { __typename code } } }
    }
    fragment A on UserProfile { address { __typename street } }"""
    request = fraiseql_qb.graphql.compile(doc, None, schema, placeholder="format")

    def run(q: Any) -> Any:
        return [r[0] for r in conn.execute(q.sql, q.params).fetchall()]

    data = request.assemble(run)["data"]
    assert data["userList"] == [{
        "__typename": "User",
        "profile": {"__typename": "UserProfile", "city": "Berlin",
                    "address": {"__typename": "UserProfileAddress",
                                "street": "Unter den Linden 1"}},
    }]
    assert data["orderList"] == [{"shipping": {"kind": "OrderShipping", "parcels": [
        {"__typename": "OrderShippingParcels", "code": "P1"},
        {"__typename": "OrderShippingParcels", "code": "P2"}]}}]


IN_ROOT = """query($after: String, $n: String) {
  page: postConnection(orderBy: {id: ASC}, first: 3, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id c: commentsConnection(orderBy: {likes: DESC}, first: 1, after: $n) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id likes } } } } }
  }
}"""

ONE_POST = """query($id: UUID!, $n: String) { post(id: $id) {
  c: commentsConnection(orderBy: {likes: DESC}, first: 1, after: $n) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id likes } } } } }"""


def test_a_nested_connection_in_a_root_connections_node(
    conn: Any, schema: fraiseql_qb.Schema
) -> None:
    """A root connection's nodes hold their nested connections as the core shapes them
    (``Connection::assemble`` finishing each node): every node's page is the one a
    request for that post alone reads, through the pages of the root connection; the
    nested cursors are signed, and a nested cursor at the root is a mismatch."""

    def run(q: Any) -> Any:
        return conn.execute(q.sql, q.params).fetchall()

    ids = [r["id"] for r in data_rows(conn, schema, {
        "view": "v_post", "select": ["id"], "order_by": [{"field": "id"}]})]
    seen: List[Any] = []
    after = None
    nested_cursor = None
    for _ in range(10):
        request = fraiseql_qb.graphql.compile(
            IN_ROOT, {"after": after}, schema, placeholder="format", cursor_key=KEY)
        (field,) = request.fields
        assert field.connection is not None
        page = request.assemble(run)["data"]["page"]
        for edge in page["edges"]:
            node = edge["node"]
            alone = fraiseql_qb.graphql.compile(
                ONE_POST, {"id": node["id"]}, schema, placeholder="format", cursor_key=KEY)
            assert node["c"] == alone.assemble(run)["data"]["post"]["c"]
            for e in node["c"]["edges"]:
                assert not e["cursor"].startswith("[")
                nested_cursor = nested_cursor or e["cursor"]
            seen.append(node["id"])
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert seen == ids
    assert nested_cursor is not None
    with pytest.raises(fraiseql_qb.CursorMismatchError) as e:
        fraiseql_qb.graphql.compile(IN_ROOT, {"after": nested_cursor}, schema, cursor_key=KEY)
    assert e.value.errors[0]["path"] == ["page"]
    with pytest.raises(fraiseql_qb.CursorMismatchError) as e:
        fraiseql_qb.graphql.compile(IN_ROOT, {"n": after}, schema, cursor_key=KEY)
    assert e.value.errors[0]["path"] == ["page", "edges", "node", "c"]
