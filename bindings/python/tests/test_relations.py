"""Relations from Python objects: the binding only converts types (every key is read by the
core's parser), and PostgreSQL returns the nested rows (the golden schema and fixture)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import fraiseql_qb
from conftest import data_rows as rows


def U(n: int) -> str:
    return f"11111111-0000-0000-0000-{n:012d}"


def P(n: int) -> str:
    return f"22222222-0000-0000-0000-{n:012d}"


def C(n: int) -> str:
    return f"33333333-0000-0000-0000-{n:012d}"


def test_nested_relations_and_relation_filters(conn: Any, schema: fraiseql_qb.Schema) -> None:
    query = {
        "view": "v_post",
        "select": [
            "id",
            {"field": "author", "select": ["name"]},
            {"field": "comments", "select": ["id", {"field": "author", "select": ["name"]}],
             "where": {"likes": {"gte": 5}}, "order_by": [{"field": "likes", "direction": "desc"}],
             "limit": 1},
        ],
        # A UUID operand inside a relation filter, and a quantifier.
        "where": {"author": {"id": {"eq": uuid.UUID(U(1))}},
                  "comments": {"some": {"likes": {"gt": 0}}}},
        "order_by": ["id"],
    }
    assert rows(conn, schema, query) == [
        {"id": P(1), "author": {"name": "Alice Martin"},
         "comments": [{"id": C(4), "author": {"name": "田中太郎"}}]},
        {"id": P(7), "author": {"name": "Alice Martin"},
         "comments": [{"id": C(8), "author": {"name": "ALICE martin"}}]},
    ]


def test_relation_errors_are_the_core_errors(schema: fraiseql_qb.Schema) -> None:
    with pytest.raises(fraiseql_qb.UnknownFieldError) as e:
        fraiseql_qb.compile({"view": "v_post", "select": [{"field": "autor", "select": ["id"]}]}, schema)
    assert e.value.path == "select[0].autor"
    assert "did you mean `author`" in str(e.value)
    with pytest.raises(fraiseql_qb.InvalidQueryError) as e:
        fraiseql_qb.compile({"view": "v_post", "select": ["id"],
                             "where": {"comments": {"likes": {"gt": 1}}}}, schema)
    assert e.value.path == "where.comments"
