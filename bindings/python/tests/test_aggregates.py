"""count distinct, having, distinct and distinct_on from Python objects: the binding only
converts types (every key is read by the core's parser), and PostgreSQL returns the rows."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

import fraiseql_qb
from conftest import data_rows as rows

A = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
B = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"


def test_count_distinct_and_having_with_python_operands(conn: Any, schema: fraiseql_qb.Schema) -> None:
    query = {
        "view": "v_post",
        "select": [
            "tenant_id",
            {"aggregate": "count", "field": "author_id", "distinct": True, "alias": "authors"},
            {"aggregate": "max", "field": "published_on", "alias": "latest"},
            {"aggregate": "avg", "field": "rating", "alias": "avgRating"},
        ],
        "group_by": ["tenant_id"],
        # A date, a Decimal and a UUID operand: converted, then checked by the core.
        "having": {
            "latest": {"gte": dt.date(2024, 4, 1)},
            "avgRating": {"gt": Decimal("2.5")},
            "not": {"authors": {"eq": 0}},
        },
        "where": {"tenant_id": {"in": [uuid.UUID(A), uuid.UUID(B)]}},
        "order_by": ["tenant_id"],
    }
    got = rows(conn, schema, query)
    assert [(r["tenant_id"], r["authors"], r["latest"]) for r in got] == [
        (A, 6, "2024-04-01"),
        (B, 1, "2024-05-05"),
    ]


def test_distinct_and_distinct_on(conn: Any, schema: fraiseql_qb.Schema) -> None:
    distinct = {"view": "v_post", "select": ["published"], "distinct": True,
                "order_by": [{"field": "published", "nulls": "first"}]}
    assert rows(conn, schema, distinct) == [{"published": None}, {"published": False}, {"published": True}]
    latest = {"view": "v_post", "camel_case": True, "select": ["tenantId", "title"],
              "where": {"title": {"isnull": False}}, "distinct_on": ["tenantId"],
              "order_by": [{"field": "createdAt", "direction": "desc"}]}
    assert rows(conn, schema, latest) == [
        {"tenantId": A, "title": "Rust tips"},
        {"tenantId": B, "title": "Berlin Rust meetup"},
    ]


def test_having_errors_are_typed_with_paths(schema: fraiseql_qb.Schema) -> None:
    with pytest.raises(fraiseql_qb.QueryBuilderError) as info:
        fraiseql_qb.compile({"view": "v_post", "select": [{"aggregate": "count", "alias": "n"}],
                             "having": {"n": {"contains": "1"}}}, schema)
    assert (info.value.code, info.value.path) == ("QB_OPERATOR_TYPE_MISMATCH", "having.n.contains")
    assert type(info.value) is fraiseql_qb.ERRORS_BY_CODE["QB_OPERATOR_TYPE_MISMATCH"]
