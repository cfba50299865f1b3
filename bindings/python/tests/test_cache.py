"""The Schema's shape cache (qb-core's ShapeCache): on by default, one keyword to size or
turn off; compiling through it gives exactly what an uncached compile gives, errors included."""

from __future__ import annotations

import json
from typing import Any, Tuple

import pytest

import fraiseql_qb
from conftest import CASES, FIXTURE_SCHEMA_TEXT, case_schema


def outcome(query: Any, schema: Any, placeholder: str) -> Tuple[Any, ...]:
    try:
        out = fraiseql_qb.compile(query, schema, placeholder=placeholder)
    except fraiseql_qb.QueryBuilderError as e:
        return ("error", type(e), e.code, e.path, e.message)
    return ("ok", out.sql, out.params, out.param_types)


def test_golden_corpus_twice_through_the_cache_equals_uncached() -> None:
    cached = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))
    uncached = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT), cache_size=0)
    for _round in range(2):
        for case in CASES:
            for placeholder in ("numbered", "format"):
                want = outcome(case.query, case_schema(case, uncached), placeholder)
                got = outcome(case.query, case_schema(case, cached), placeholder)
                assert got == want, case
    stats = cached.cache_stats()
    assert stats["hits"] > 0 and stats["misses"] > 0
    assert stats["len"] <= stats["capacity"] == 1024
    assert stats["bytes"] > 0
    assert uncached.cache_stats()["len"] == 0


def test_golden_corpus_as_json_text_through_document_keys_equals_uncached() -> None:
    cached = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))
    uncached = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT), cache_size=0)
    for _round in range(2):
        for case in CASES:
            if case_schema(case, cached) is not cached:
                continue
            # (The corpus reads its numbers as Decimal; as text they are JSON numbers.)
            text = json.dumps(case.query, default=float)
            for placeholder in ("numbered", "format"):
                want = outcome(text, uncached, placeholder)
                assert outcome(text, cached, placeholder) == want, case
    # The second round's texts were read from their document keys (no query built).
    stats = cached.cache_stats()
    assert stats["document_hits"] > 0 and stats["misses"] > 0


def test_same_shape_other_values_hits_and_bad_values_raise_as_uncached() -> None:
    schema = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT), cache_size=4)
    q = lambda age: {"view": "v_user", "select": ["id"], "where": {"age": {"gte": age}}}
    assert fraiseql_qb.compile(q(18), schema).params == [18]
    assert fraiseql_qb.compile(q(21), schema).params == [21]
    with pytest.raises(fraiseql_qb.InvalidValueError) as e:
        fraiseql_qb.compile(q("x"), schema)
    assert e.value.path == "where.age.gte"
    stats = schema.cache_stats()
    assert (stats["misses"], stats["hits"], stats["recompiles"]) == (1, 2, 1)
    # The second compile was read from the dict's document key, without building a query;
    # the string operand is another document key (operand kinds are kept), a shape hit.
    assert stats["document_hits"] == 1


def test_capacity_bounds_the_cache() -> None:
    schema = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT), cache_size=2)
    for limit in (None, 1):
        for field in ("id", "name", "email"):
            q: Any = {"view": "v_user", "select": [field]}
            if limit is not None:
                q["limit"] = limit
            fraiseql_qb.compile(q, schema)
    stats = schema.cache_stats()
    # Each new shape compiled from a dict is two entries: its shape and its document key.
    assert stats["len"] == 2 and stats["evictions"] == 10


def test_the_rollout_shim_compiles_through_its_schemas_cache() -> None:
    from fraiseql_qb.rollout import RolloutQueryBuilder

    shim = RolloutQueryBuilder(
        None, json.loads(FIXTURE_SCHEMA_TEXT), env={"FRAISEQL_RUST_QB_PERCENTAGE": "100"}
    )
    q = {"view": "v_user", "select": ["id"], "where": {"name": {"eq": "a"}}}
    for _ in range(3):
        assert shim.build(q) == fraiseql_qb.compile(q, shim.schema)
    stats = shim.schema.cache_stats()
    assert (stats["misses"], stats["hits"]) == (1, 5)


def test_prepare_and_bind() -> None:
    schema = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))
    q = lambda name, n: {
        "view": "v_user",
        "select": ["id", "name"],
        "where": {"name": {"icontains": name}, "age": {"in": [n, n + 1]}},
        "limit": 10,
    }
    for placeholder in ("numbered", "format"):
        p = schema.prepare(q("a", 1), placeholder=placeholder)
        assert isinstance(p, fraiseql_qb.Prepared)
        want = fraiseql_qb.compile(q("b%", 7), schema, placeholder=placeholder)
        assert p.sql == want.sql
        assert p.param_types == want.param_types
        assert p.bind(q("b%", 7)) == want.params == ["%b\\%%", [7, 8], 10]
        assert p.compile(q("b%", 7)) == want
    p = schema.prepare(q("a", 1))
    # A bad operand raises as compile raises.
    bad = q("a", 1)
    bad["where"]["age"]["in"] = [1, "x"]
    with pytest.raises(fraiseql_qb.InvalidValueError) as e:
        p.bind(bad)
    assert (e.value.code, e.value.path) == ("QB_INVALID_VALUE", "where.age.in[1]")
    # Another shape: InvalidQueryError at the root.
    other = q("a", 1)
    del other["limit"]
    with pytest.raises(fraiseql_qb.InvalidQueryError) as e2:
        p.bind(other)
    assert e2.value.path == ""
    # Preparing a bad query raises as compile does.
    with pytest.raises(fraiseql_qb.UnknownFieldError):
        schema.prepare({"view": "v_user", "select": ["nope"]})


def test_keyset_pages_hit_and_bad_cursors_raise_as_uncached() -> None:
    key = b"a cursor key"
    cached = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT), cache_size=4)
    uncached = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT), cache_size=0)
    page: Any = {
        "view": "v_user",
        "select": ["id"],
        "order_by": [{"field": "age", "direction": "desc"}],
        "first": 2,
        "page_info": True,
    }
    sql = fraiseql_qb.compile(page, uncached, cursor_key=key).sql
    fp = sql.split("jsonb_build_array('", 1)[1][:16]

    def cursor(age: str, k: Any = key) -> str:
        row = json.dumps([fp, age, "00000000-0000-4000-8000-000000000001"])
        return fraiseql_qb.encode_cursor(row, cursor_key=k)

    def run(schema: Any, after: str, first: int) -> Tuple[Any, ...]:
        q = {**page, "after": after, "first": first}
        try:
            out = fraiseql_qb.compile(q, schema, cursor_key=key)
        except fraiseql_qb.QueryBuilderError as e:
            return ("error", type(e), e.code, e.path, e.message)
        return ("ok", out.sql, out.params, out.param_types)

    for first, age in ((2, "30"), (5, "41"), (7, "-3")):
        got = run(cached, cursor(age), first)
        assert got == run(uncached, cursor(age), first)
        assert got[0] == "ok" and json.dumps(age) in got[2] and first in got[2]
    stats = cached.cache_stats()
    assert (stats["misses"], stats["hits"], stats["recompiles"]) == (1, 2, 0)
    good = cursor("30")
    tampered = good[:10] + ("A" if good[10] != "A" else "B") + good[11:]
    for bad in (tampered, cursor("30", None), cursor("30", b"other"), cursor("old")):
        got = run(cached, bad, 3)
        assert got == run(uncached, bad, 3)
        assert got[1] is fraiseql_qb.InvalidCursorError and got[3] == "after"
    assert cached.cache_stats()["recompiles"] == 4


def test_a_hit_returns_its_statements_own_text_kept_once() -> None:
    # A Schema keeps the `str` of each statement text it returned (as many as its cache
    # keeps shapes) and hands the same one back on a hit; the lookup compares the whole
    # text, so shapes alternating through a schema smaller than them (the texts dropped and
    # rebuilt) still each get their own statement, equal to an uncached compile's.
    small = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT), cache_size=2)
    off = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT), cache_size=0)
    shapes = [
        lambda v: {"view": "v_user", "select": ["id"], "where": {"age": {"gte": v}}},
        lambda v: {"view": "v_user", "select": ["id"], "where": {"age": {"lt": v}}},
        lambda v: {"view": "v_user", "select": ["name"], "where": {"age": {"gte": v}}},
    ]
    for v in (1, 2, 3):
        for shape in shapes:
            want = fraiseql_qb.compile(shape(v), off)
            got = fraiseql_qb.compile(shape(v), small)
            assert (got.sql, got.params) == (want.sql, want.params)
    schema = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))
    a = fraiseql_qb.compile(shapes[0](1), schema)
    b = fraiseql_qb.compile(shapes[0](2), schema)
    assert a.sql is b.sql and (a.params, b.params) == ([1], [2])
    # JSON text goes through the shape cache too, and gets the same kept text.
    c = fraiseql_qb.compile(json.dumps(shapes[0](3)), schema)
    assert c.sql is a.sql and c.params == [3]
    # Without a cache nothing is kept: each compile builds its own text.
    first, again = (fraiseql_qb.compile(shapes[0](1), off) for _ in range(2))
    assert first.sql == again.sql and first.sql is not again.sql


class Text(str):
    """A str subclass: its parameter is a plain `str` of its text, never the object itself."""


def test_a_hit_passes_on_its_str_operands_as_they_are() -> None:
    # On a document hit, a text parameter made from an exact `str` operand, unchanged, is
    # that `str` (as `Prepared.bind_values` gives it); a list parameter is a new list of the
    # operand list's own items. A converted text (a pattern), a subclass and the miss that
    # planned the shape get new objects, equal to an uncached compile's.
    schema = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))
    off = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT), cache_size=0)

    def query(email: Any, cities: Any, part: Any) -> Any:
        return {
            "view": "v_user",
            "select": ["id"],
            "where": {
                "email": {"eq": email},
                "profile": {"city": {"in": cities}},
                "name": {"contains": part},
            },
        }

    email, cities, part = "alice@example.com", ["Paris", "Berlin"], "al"
    miss = fraiseql_qb.compile(query(email, cities, part), schema)
    assert miss.params[0] is not email
    for args in ((email, cities, part), ("bob@example.com", ["Tokyo"], "bo")):
        q = query(*args)
        got = fraiseql_qb.compile(q, schema)
        want = fraiseql_qb.compile(q, off)
        assert (got.sql, got.params) == (want.sql, want.params)
        assert got.sql is miss.sql
        assert got.params[0] is args[0]
        assert got.params[1] == args[1] and got.params[1] is not args[1]
        assert all(a is b for a, b in zip(got.params[1], args[1]))
        assert got.params[2] == f"%{args[2]}%"
    sub = fraiseql_qb.compile(query(Text("carol@example.com"), [Text("Oslo")], "ca"), schema)
    assert type(sub.params[0]) is str and sub.params[0] == "carol@example.com"
    assert type(sub.params[1][0]) is str and sub.params[1] == ["Oslo"]
    assert schema.cache_stats()["document_hits"] == 3


def test_a_compile_inside_a_read_of_the_same_schema() -> None:
    # A value whose `isoformat` compiles through the same schema while the outer compile
    # reads its document (the reader and its key buffer re-entered on one thread): each
    # compile gives what an uncached one gives, hit or miss.
    import datetime as dt

    schema = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))
    off = fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT), cache_size=0)
    inner: list = []

    def query(day: Any, age: int) -> Any:
        return {"view": "v_user", "select": ["id", "name"],
                "where": {"birth_date": {"eq": day}, "age": {"gte": age}}}

    class CompilingDate(dt.date):
        def isoformat(self) -> str:  # type: ignore[override]
            q = query(dt.date(2020, 1, len(inner) + 1), len(inner))
            inner.append((fraiseql_qb.compile(q, schema), fraiseql_qb.compile(q, off)))
            return super().isoformat()

    for age in range(4):
        q = query(CompilingDate(2024, 1, 31), age)
        got = fraiseql_qb.compile(q, schema)
        want = fraiseql_qb.compile(query(dt.date(2024, 1, 31), age), off)
        assert (got.sql, got.params) == (want.sql, want.params)
    assert inner and all((a.sql, a.params) == (b.sql, b.params) for a, b in inner)
    assert schema.cache_stats()["document_hits"] >= 3
