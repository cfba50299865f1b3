"""One application test module, run twice: every call routed native (FRAISEQL_USE_RUST_QUERY_BUILDER
on) and every call routed to the legacy builder (kill switch on). Same queries, same rows."""

from __future__ import annotations

from typing import Any, List

import pytest

import legacy_builder
from fraiseql_qb.rollout import RolloutQueryBuilder

ROUTES = {
    "native": {"FRAISEQL_USE_RUST_QUERY_BUILDER": "true"},
    "legacy": {"FRAISEQL_USE_PYTHON_QUERY_BUILDER": "true", "FRAISEQL_RUST_QB_PERCENTAGE": "100"},
}

# (query, independent SQL giving the expected ids in order)
QUERIES = [
    (
        {"view": "v_user", "select": ["id", "age"], "where": {"age": {"gte": 41}},
         "order_by": [{"field": "age", "direction": "asc"}]},
        "SELECT id::text FROM v_user WHERE (data->>'age')::numeric >= 41 ORDER BY (data->>'age')::numeric, id",
    ),
    (
        {"view": "v_user", "select": ["id", "email"], "where": {"email": {"eq": "BOB@Example.COM"}}},
        "SELECT id::text FROM v_user WHERE data->>'email' = 'BOB@Example.COM'",
    ),
    (
        {"view": "v_post", "select": ["id", "title"], "where": {"views": {"lt": 100}}},
        "SELECT id::text FROM v_post WHERE (data->>'views')::numeric < 100",
    ),
    (
        {"view": "v_user", "select": ["id"], "where": {"id": {"eq": "11111111-0000-0000-0000-000000000003"}}},
        "SELECT id::text FROM v_user WHERE id = '11111111-0000-0000-0000-000000000003'",
    ),
]


@pytest.fixture(scope="module", params=sorted(ROUTES))
def route(request: Any) -> str:
    return request.param


@pytest.fixture(scope="module")
def shim(route: str, schema: Any) -> RolloutQueryBuilder:
    return RolloutQueryBuilder(
        legacy_builder.build, schema, placeholder="format", env=ROUTES[route]
    )


def ids(rows: List[Any]) -> List[str]:
    return [r[0]["id"] for r in rows]


@pytest.mark.parametrize("query,check", QUERIES, ids=[q[0]["view"] + str(i) for i, q in enumerate(QUERIES)])
def test_query_rows(shim: RolloutQueryBuilder, conn: Any, query: Any, check: str) -> None:
    sql, params = shim.build(query)
    got = ids(conn.execute(sql, params).fetchall())
    want = [r[0] for r in conn.execute(check).fetchall()]
    if "order_by" not in query:
        got, want = sorted(got), sorted(want)
    assert got == want and want, f"{sql} {params}"


def test_route_served_every_call(shim: RolloutQueryBuilder, route: str) -> None:
    m = shim.metrics()
    assert m["total_calls"] == len(QUERIES)
    if route == "native":
        assert (m["rust_calls"], m["python_calls"], m["rust_errors"]) == (len(QUERIES), 0, 0)
    else:
        assert (m["rust_calls"], m["python_calls"]) == (0, len(QUERIES))
