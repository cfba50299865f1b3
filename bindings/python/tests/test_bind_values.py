"""Prepared.bind_values: a prepared shape bound from its operand values alone (no query dict
to build or read), giving exactly what compiling the query with those values gives."""

from __future__ import annotations

import json
import uuid
from typing import Any, Tuple

import pytest

import fraiseql_qb
from conftest import CASES, FIXTURE_SCHEMA_TEXT, case_schema


def outcome(run: Any) -> Tuple[Any, ...]:
    try:
        return ("ok", run())
    except fraiseql_qb.QueryBuilderError as e:
        return ("error", type(e), e.code, e.path, e.message)


def test_bind_values_of_each_corpus_query_equals_its_compile() -> None:
    shared = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))
    bound = 0
    for case in CASES:
        try:
            schema = case_schema(case, shared)
            if not isinstance(schema, fraiseql_qb.Schema):
                schema = fraiseql_qb.Schema(schema)  # an error case's registry may be bad
            p = schema.prepare(case.query, placeholder=case.placeholder)
        except fraiseql_qb.QueryBuilderError:
            continue
        values = p.operand_values(case.query)
        assert len(values) == len(p.operands), case
        want = fraiseql_qb.compile(case.query, schema, placeholder=case.placeholder)
        assert p.bind_values(values) == want.params, case
        assert p.bind_values(tuple(values)) == want.params, case
        bound += 1
    assert bound > 100


def query(email: Any, ids: Any, limit: Any) -> Any:
    return {
        "view": "v_user",
        "select": ["id", "name"],
        "where": {"email": {"isnull": False}, "name": {"icontains": email}, "id": {"in": ids}},
        "order_by": [{"field": "name"}],
        "limit": limit,
    }


def test_operands_errors_and_fixed_shape_booleans() -> None:
    schema = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))
    p = schema.prepare(query("a", [], 10))
    # `isnull`'s boolean is SQL text: fixed by the prepared query, not an operand.
    assert p.operands == [("where.name.icontains", "string"), ("where.id.in", "list of uuid"),
                          ("limit", "count")]
    u = uuid.UUID("00000000-0000-0000-0000-000000000001")
    want = fraiseql_qb.compile(query("b%", [u], 5), schema)
    assert p.bind_values(["b%", [u], 5]) == want.params == ["%b\\%%", [u], 5]
    assert p.sql == want.sql
    # A bad value raises as compile raises on the query holding it, at the operand's path.
    bad = ["b", [u, "not a uuid"], 5]
    got = outcome(lambda: p.bind_values(bad))
    assert got == outcome(lambda: fraiseql_qb.compile(query(*bad), schema))
    assert got[1:4] == (fraiseql_qb.InvalidValueError, "QB_INVALID_VALUE", "where.id.in[1]")
    # A value with no JSON form fails at its operand's path too.
    with pytest.raises(fraiseql_qb.InvalidValueError) as e:
        p.bind_values(["b", [object()], 5])
    assert e.value.path.startswith("where.id.in")
    # A negative limit, as the parser refuses it.
    with pytest.raises(fraiseql_qb.InvalidValueError) as e2:
        p.bind_values(["b", [], -1])
    assert (e2.value.path, e2.value.message) == ("limit", "limit must be a non-negative integer")
    # The wrong number of values: InvalidQueryError at the root.
    with pytest.raises(fraiseql_qb.InvalidQueryError) as e3:
        p.bind_values(["b", []])
    assert e3.value.path == ""
    with pytest.raises(TypeError):
        p.bind_values("b")  # a str is not a list of values


def test_bound_statement_runs_on_postgres(conn: Any) -> None:
    schema = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))
    p = schema.prepare(query("a", [], 10), placeholder="format")
    ids = [r[0] for r in conn.execute("SELECT id FROM v_user ORDER BY id LIMIT 3").fetchall()]
    assert len(ids) == 3
    names = lambda rows: [r[0]["name"] for r in rows]
    expected = {("", 10): ["Alice Martin", "Bob O'Brien", "Chloé Dubois"],
                ("", 2): ["Alice Martin", "Bob O'Brien"],
                ("B", 10): ["Bob O'Brien", "Chloé Dubois"],
                ("%", 10): []}
    for (needle, limit), want_names in expected.items():
        rows = conn.execute(p.sql, p.bind_values([needle, ids, limit])).fetchall()
        assert names(rows) == want_names
        want = fraiseql_qb.compile(query(needle, ids, limit), schema, placeholder="format")
        assert rows == conn.execute(want.sql, want.params).fetchall()


class Text(str):
    """A str subclass: its parameter is a plain `str` of its text, never the object itself."""


class Money(__import__("decimal").Decimal):
    """A Decimal subclass: converted by its text, as a compile converts it."""


def typed(params: Any) -> Any:
    """Params with each value's exact type (a `str` subclass would compare equal to a `str`)."""
    if isinstance(params, list):
        return [typed(p) for p in params]
    return (type(params), params)


def test_values_read_in_place_bind_as_the_compile_of_the_same_values() -> None:
    """The in-place read (strings, integers, lists of them; a `str` operand reused as its
    own parameter) and the converted path give exactly what compiling gives, for every
    kind of host value, good or bad."""
    from decimal import Decimal
    from enum import IntEnum

    class Level(IntEnum):
        TWO = 2

    schema = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))

    def q(email: Any, age: Any, score: Any, cities: Any, limit: Any) -> Any:
        return {
            "view": "v_user",
            "select": ["id"],
            "where": {
                "email": {"eq": email},
                "age": {"eq": age},
                "score": {"gte": score},
                "profile": {"city": {"in": cities}},
            },
            "limit": limit,
        }

    p = schema.prepare(q("a", 1, 1.5, ["x"], 10))
    assert [k for _, k in p.operands] == ["text", "integer", "numeric", "list of text", "count"]
    good = ["a@b", 3, Decimal("10.50"), ["Paris", "Berlin"], 20]
    variants = [
        good,
        ["", 0, 0, [], 0],
        [Text("sub"), 3, 1, [Text("Paris"), "Berlin"], 1],  # str subclasses
        ["a", True, 1, ["x"], 1],  # a bool where an integer is declared
        ["a", 1, True, ["x"], True],  # a bool as numeric, and as a count
        ["a", Level.TWO, Money("1.25"), ("Tokyo",), Level.TWO],  # IntEnum, subclass, tuple
        ["a", 1, Decimal("NaN"), ["x"], 1],  # NaN Decimal
        ["a", 1, Decimal("1E+3"), ["x"], 1],
        ["a\ud800", 1, 1, ["x"], 1],  # a lone surrogate
        ["a", 1, 1, ["x", "y\ud800"], 1],
        ["a\0b", 1, 1, ["x"], 1],  # NUL is refused
        ["a", 1, 1, ["x", 2], 1],  # an integer in a text list
        ["a", 1.0, 1, ["x"], 1],
        ["a", 2**70, 1, ["x"], 1],
        ["a", 1, "1.5", ["x"], 1],
        ["a", 1, 1, "x", 1],
        ["a", 1, 1, ["x"], -1],
        ["a", 1, 1, ["x"], 2.5],
        [None, 1, 1, ["x"], 1],
        ["a", None, 1, [None], 1],
        [1, 1, 1, ["x"], 1],
        ["x" * 70000, 1, 1, ["x"], 1],
        ["a", 1, 1, {"k": 1}, 1],
        ["a", 1, 1, [uuid.UUID(int=1)], 1],
        ["a", 1, 1, ["x"] * 2000, 1],
    ]
    for values in variants:
        want = outcome(lambda: fraiseql_qb.compile(q(*values), schema).params)
        for given in (values, tuple(values)):
            got = outcome(lambda: p.bind_values(given))
            assert got == want, values
            if want[0] == "ok":
                assert typed(got[1]) == typed(want[1]), values
    # An exact `str` operand sent unchanged is passed on as it is; a subclass never is.
    email, sub = "alice@example.com", Text("bob@example.com")
    cities = ["Paris", "Berlin"]
    params = p.bind_values([email, 1, 1, cities, 1])
    assert params[0] is email and params[3] == cities and params[3] is not cities
    assert all(a is b for a, b in zip(params[3], cities))
    params = p.bind_values([sub, 1, 1, [sub], 1])
    assert type(params[0]) is str and params[0] == sub
    assert type(params[3][0]) is str
