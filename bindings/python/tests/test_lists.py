"""Embedded lists from Python objects: the binding only converts types (every key is read by
the core's parser), and PostgreSQL returns the elements (the golden schema and fixture's
`v_order`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import fraiseql_qb
from conftest import data_rows as rows


def O(n: int) -> str:
    return f"55555555-0000-0000-0000-{n:012d}"


def test_embedded_lists_selected_and_filtered(conn: Any, schema: fraiseql_qb.Schema) -> None:
    query = {
        "view": "v_order",
        "camel_case": True,
        "select": [
            "id",
            {"field": "items", "alias": "lines",
             "select": ["__typename", "sku", "giftWrap", {"field": "options", "select": ["value"]}],
             # A Decimal operand inside a list's own filter, a tuple for a list.
             "where": {"price": {"gte": Decimal("10.5")}},
             "order_by": [{"field": "sku", "direction": "desc"}], "limit": 2},
        ],
        "where": {"items": {"some": {"sku": {"in": ("B2", "D4")}}},
                  "shipping": {"parcels": {"none": {}}}},
        "order_by": ["id"],
    }
    assert rows(conn, schema, query) == [
        # o08's elements: one priced 0, the others not objects (their price NULL).
        {"id": O(8), "lines": []},
        {"id": O(10), "lines": [
            {"__typename": "LineItem", "sku": "B2", "giftWrap": None, "options": [{"value": "L"}]},
            {"__typename": "LineItem", "sku": "B2", "giftWrap": None, "options": None},
        ]},
    ]


def test_list_errors_are_the_core_errors(schema: fraiseql_qb.Schema) -> None:
    with pytest.raises(fraiseql_qb.InvalidQueryError) as e:
        fraiseql_qb.compile({"view": "v_order", "select": ["id"],
                             "where": {"items": {"sku": {"eq": "A1"}}}}, schema)
    assert e.value.path == "where.items"
    with pytest.raises(fraiseql_qb.OperatorTypeMismatchError) as e:
        fraiseql_qb.compile({"view": "v_order", "select": ["id"],
                             "where": {"items": {"eq": "A1"}}}, schema)
    assert e.value.path == "where.items.eq"


def test_aggregates_over_relations_and_lists(conn: Any, schema: fraiseql_qb.Schema) -> None:
    query = {
        "view": "v_user",
        "select": [
            "id",
            {"field": "posts.count", "alias": "posts"},
            {"field": ["orders", "max", "created_at"], "alias": "last_order"},
            {"field": "orders", "select": ["id", {"field": "items.sum.price", "alias": "total"}]},
        ],
        # A Decimal operand compared with a numeric aggregate inside a quantifier.
        "where": {"orders": {"some": {"items": {"sum": {"price": {"gt": Decimal("100")}}}}}},
        "order_by": [{"field": "posts.count", "direction": "desc"}],
    }
    assert rows(conn, schema, query) == [
        {"id": "11111111-0000-0000-0000-000000000001", "posts": 2,
         "last_order": "2024-05-01T02:00:00+00:00",
         "orders": [{"id": O(1), "total": 111.75}, {"id": O(2), "total": None}]},
        {"id": "11111111-0000-0000-0000-000000000004", "posts": 1,
         "last_order": "2024-05-01T10:00:00+00:00",
         "orders": [{"id": O(7), "total": 3}, {"id": O(10), "total": 200.5}]},
    ]
    with pytest.raises(fraiseql_qb.OperatorTypeMismatchError) as e:
        fraiseql_qb.compile({"view": "v_user", "select": [{"field": "posts.sum.title", "alias": "t"}]},
                            schema)
    assert e.value.path == "select[0].field.posts.sum.title"
