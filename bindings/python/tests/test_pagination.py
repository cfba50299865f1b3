"""Keyset pagination from Python: pages walked with cursors made by ``encode_cursor`` from
each row's ``__cursor`` column (no SQL knowledge in the application), signed and unsigned,
and the core's cursor errors as their exception classes (the golden schema and fixture)."""

from __future__ import annotations

from typing import Any, List, Optional

import pytest

import fraiseql_qb


def U(n: int) -> str:
    return f"11111111-0000-0000-0000-{n:012d}"


# age ascending (NULLs last), ties by id: the fixture's 16 users.
BY_AGE = [5, 13, 3, 10, 15, 1, 2, 12, 16, 6, 4, 11, 14, 7, 8, 9]


def page(conn: Any, schema: fraiseql_qb.Schema, query: Any,
         key: Optional[bytes]) -> List[Any]:
    q = fraiseql_qb.compile(query, schema, placeholder="format", cursor_key=key)
    cur = conn.execute(q.sql, q.params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


@pytest.mark.parametrize("key", [None, b"a secret key of thirty-two bytes"])
def test_walk_forward_and_backward(conn: Any, schema: fraiseql_qb.Schema,
                                   key: Optional[bytes]) -> None:
    base = {"view": "v_user", "select": ["id"], "order_by": [{"field": "age"}],
            "page_info": True, "total_count": True}
    seen: List[str] = []
    after = None
    while True:
        rows = page(conn, schema, {**base, "first": 5, "after": after}, key)
        assert rows[0]["__total_count"] == 16
        edges = [r for r in rows if r["__cursor"] is not None]
        seen += [r["data"]["id"] for r in edges]
        if not rows[0]["__has_next_page"]:
            break
        after = fraiseql_qb.encode_cursor(edges[-1]["__cursor"], cursor_key=key)
    assert seen == [U(n) for n in BY_AGE]

    seen = []
    before = None
    while True:
        rows = page(conn, schema, {**base, "last": 4, "before": before}, key)
        edges = [r for r in rows if r["__cursor"] is not None]
        seen = [r["data"]["id"] for r in edges] + seen
        if not rows[0]["__has_previous_page"]:
            break
        before = fraiseql_qb.encode_cursor(edges[0]["__cursor"], cursor_key=key)
    assert seen == [U(n) for n in BY_AGE]


def test_cursor_errors(conn: Any, schema: fraiseql_qb.Schema) -> None:
    query = {"view": "v_user", "select": ["id"], "order_by": [{"field": "age"}], "first": 2}
    row = page(conn, schema, query, None)[-1]
    signed = fraiseql_qb.encode_cursor(row["__cursor"], cursor_key=b"k1")
    # Another key, or none, refuses a signed cursor.
    for key in (b"k2", None):
        with pytest.raises(fraiseql_qb.InvalidCursorError) as e:
            fraiseql_qb.compile({**query, "after": signed}, schema, cursor_key=key)
        assert e.value.code == "QB_INVALID_CURSOR" and e.value.path == "after"
    # Another ordering.
    plain = fraiseql_qb.encode_cursor(row["__cursor"])
    with pytest.raises(fraiseql_qb.CursorMismatchError):
        fraiseql_qb.compile({**query, "order_by": [{"field": "name"}], "after": plain}, schema)
    with pytest.raises(fraiseql_qb.InvalidCursorError):
        fraiseql_qb.encode_cursor("not a __cursor column")
    with pytest.raises(fraiseql_qb.NoPrimaryKeyError):
        fraiseql_qb.compile({"view": "v_address", "select": ["id"], "first": 1}, schema)


@pytest.mark.parametrize("key", [None, b"a secret key of thirty-two bytes"])
def test_walk_a_nested_list(conn: Any, schema: fraiseql_qb.Schema,
                            key: Optional[bytes]) -> None:
    """A post's comments walked page by page through the nested connection object: the
    query is a dict, the edges' cursors go through ``encode_cursor`` as the root's do."""
    post = "22222222-0000-0000-0000-000000000001"

    def comments(**page_args: Any) -> Any:
        sel = {"field": "comments", "select": ["id", "likes"],
               "order_by": [{"field": "likes", "direction": "desc"}],
               "page_info": True, "total_count": True, **page_args}
        rows = page(conn, schema, {"view": "v_post", "select": ["id", sel],
                                   "where": {"id": {"eq": post}}}, key)
        assert len(rows) == 1
        return rows[0]["data"]["comments"]

    seen: List[int] = []
    after = None
    while True:
        conn_ = comments(first=1, after=after)
        assert conn_["totalCount"] == 4
        assert conn_["pageInfo"]["hasPreviousPage"] == (after is not None)
        seen += [e["node"]["likes"] for e in conn_["edges"]]
        if not conn_["pageInfo"]["hasNextPage"]:
            break
        after = fraiseql_qb.encode_cursor(conn_["edges"][-1]["cursor"], cursor_key=key)
    assert seen == [10, 5, 2, 0]

    last = comments(last=2)
    assert [e["node"]["likes"] for e in last["edges"]] == [2, 0]
    before = fraiseql_qb.encode_cursor(last["edges"][0]["cursor"], cursor_key=key)
    earlier = comments(last=5, before=before)
    assert [e["node"]["likes"] for e in earlier["edges"]] == [10, 5]
    assert earlier["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}

    # The root's cursor is another fingerprint for the list.
    root = page(conn, schema, {"view": "v_post", "select": ["id"], "first": 1}, key)
    wrong = fraiseql_qb.encode_cursor(root[0]["__cursor"], cursor_key=key)
    with pytest.raises(fraiseql_qb.CursorMismatchError) as e:
        comments(first=1, after=wrong)
    assert e.value.path == "select[1].after"
