"""What Python gets back through the drivers: integers are ints in every output form (not
``Decimal``), decimals stay ``Decimal``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import fraiseql_qb


def rows(conn: Any, schema: fraiseql_qb.Schema, query: dict) -> list:
    out = fraiseql_qb.compile(query, schema, placeholder="format")
    return conn.execute(out.sql, out.params).fetchall()


def test_integer_fields_are_ints_in_columns_output(conn: Any, schema: fraiseql_qb.Schema) -> None:
    got = rows(conn, schema, {"view": "v_user", "select": ["age", "score"], "output": "columns",
                              "where": {"age": {"isnull": False}, "score": {"isnull": False}}})
    assert got
    for age, score in got:
        assert type(age) is int, age
        assert isinstance(score, Decimal), score


@pytest.mark.parametrize("output", ["columns", "json"])
def test_integer_aggregates_and_group_keys_are_ints(
    conn: Any, schema: fraiseql_qb.Schema, output: str
) -> None:
    query = {"view": "v_user", "output": output, "group_by": ["age"],
             "where": {"age": {"isnull": False}},
             "select": ["age", {"aggregate": "sum", "field": "age", "alias": "total"},
                        {"aggregate": "min", "field": "age", "alias": "low"},
                        {"aggregate": "max", "field": "age", "alias": "high"},
                        {"aggregate": "count", "alias": "n"}]}
    got = rows(conn, schema, query)
    assert got
    for row in got:
        keys = ["age", "total", "low", "high", "n"]
        values = list(row) if output == "columns" else [row[0][k] for k in keys]
        assert all(type(v) is int for v in values), values
        age, total, low, high, n = values
        assert total == age * n and low == high == age


def test_a_naive_datetime_on_a_timestamptz_field_says_add_a_time_zone(
    schema: fraiseql_qb.Schema,
) -> None:
    import datetime as dt

    query = {"view": "v_user", "select": ["id"],
             "where": {"lastLogin": {"gte": dt.datetime(2024, 1, 31, 10, 0)}}}
    with pytest.raises(fraiseql_qb.InvalidValueError) as info:
        fraiseql_qb.compile(query, schema)
    assert info.value.path == "where.lastLogin.gte"
    assert "add a time zone" in info.value.message
    # Aware, it compiles, and the instant is kept.
    aware = dt.datetime(2024, 1, 31, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    query["where"]["lastLogin"]["gte"] = aware
    out = fraiseql_qb.compile(query, schema)
    assert out.params[0] == aware
