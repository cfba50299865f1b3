"""Typed errors: one class per core error kind, bad Python input gets one of them (never a
bare TypeError or a crash), and input conversion edge cases."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import pytest

import fraiseql_qb
from fraiseql_qb import _native

Q = {"view": "v_user", "select": ["id"]}


def where(field: str, op: str, value: Any) -> Any:
    return {**Q, "where": {field: {op: value}}}


def test_every_kind_has_its_own_class() -> None:
    kinds = _native.error_classes()
    assert len(kinds) >= 13
    classes = [cls for _code, _n, cls in kinds]
    assert len(set(classes)) == len(classes), "two kinds share a class"
    for code, number, cls in kinds:
        assert cls is not fraiseql_qb.QueryBuilderError, f"{code} has no class of its own"
        assert issubclass(cls, fraiseql_qb.QueryBuilderError)
        assert cls.__module__ == "fraiseql_qb" and getattr(fraiseql_qb, cls.__name__) is cls
        assert fraiseql_qb.ERRORS_BY_CODE[code] is cls and number > 0
    assert issubclass(fraiseql_qb.QueryBuilderError, Exception)


def test_error_attributes(schema: Any) -> None:
    with pytest.raises(fraiseql_qb.UnknownFieldError) as info:
        fraiseql_qb.compile(where("emial", "eq", "x"), schema)
    e = info.value
    assert (e.code, e.number, e.path) == ("QB_UNKNOWN_FIELD", 5, "where.emial")
    assert "emial" in e.message and str(e) == f"QB_UNKNOWN_FIELD at where.emial: {e.message}"


@pytest.mark.parametrize(
    "query,cls,path",
    [
        (None, fraiseql_qb.InvalidQueryError, ""),
        (42, fraiseql_qb.InvalidQueryError, ""),
        ([1, 2], fraiseql_qb.InvalidQueryError, ""),
        ("{not json", fraiseql_qb.InvalidJsonError, ""),
        ({1: "x"}, fraiseql_qb.InvalidQueryError, ""),
        ({"view": b"v_user", "select": ["id"]}, fraiseql_qb.InvalidValueError, "view"),
        ({"view": "v_user", "select": {"id"}}, fraiseql_qb.InvalidValueError, "select"),
        ({"view": "v_user", "select": [object()]}, fraiseql_qb.InvalidValueError, "select[0]"),
        (where("age", "eq", float("nan")), fraiseql_qb.InvalidValueError, "where.age.eq"),
        (where("age", "eq", float("inf")), fraiseql_qb.InvalidValueError, "where.age.eq"),
        (where("age", "eq", Decimal("NaN")), fraiseql_qb.InvalidValueError, "where.age.eq"),
        (where("age", "eq", 10**40), fraiseql_qb.InvalidValueError, "where.age.eq"),
        (where("age", "eq", "x"), fraiseql_qb.InvalidValueError, "where.age.eq"),
        ({"view": "v_nope", "select": ["id"]}, fraiseql_qb.UnknownViewError, "view"),
    ],
)
def test_bad_input_is_typed(schema: Any, query: Any, cls: Any, path: str) -> None:
    with pytest.raises(cls) as info:
        fraiseql_qb.compile(query, schema)
    assert info.value.path == path or info.value.path.startswith(path)
    assert info.value.code.startswith("QB_")


def test_cyclic_input_is_a_typed_error(schema: Any) -> None:
    # The parser reads dicts in place: a cycle is followed until the shape goes wrong (here the
    # nested query's `view` key is read as a field filter) ...
    d: Any = {"view": "v_user", "select": ["id"]}
    d["where"] = d
    with pytest.raises(fraiseql_qb.InvalidQueryError) as info:
        fraiseql_qb.compile(d, schema)
    assert info.value.path == "where.view"
    lst: Any = []
    lst.append(lst)
    with pytest.raises(fraiseql_qb.InvalidQueryError) as info:
        fraiseql_qb.compile({"view": "v_user", "select": lst}, schema)
    assert info.value.path == "select[0]"
    # ... or, when every step is well formed, until the depth limit.
    w: Any = {}
    w["not"] = w
    with pytest.raises(fraiseql_qb.DepthLimitError):
        fraiseql_qb.compile({"view": "v_user", "select": ["id"], "where": w}, schema)
    sel: Any = {"field": "profile"}
    sel["select"] = [sel]
    with pytest.raises(fraiseql_qb.DepthLimitError):
        fraiseql_qb.compile({"view": "v_user", "select": [sel]}, schema)
    # Inside an operand, the conversion's own depth limit.
    op: Any = []
    op.append(op)
    with pytest.raises(fraiseql_qb.DepthLimitError) as info:
        fraiseql_qb.compile({"view": "v_user", "select": ["id"],
                             "where": {"tags": {"contains": op}}}, schema)
    assert info.value.path.startswith("where.tags.contains([0] × ")


def test_deep_json_text_is_a_depth_error(schema: Any) -> None:
    with pytest.raises(fraiseql_qb.DepthLimitError):
        fraiseql_qb.compile("[" * 100_000 + "]" * 100_000, schema)


def test_bad_schema_is_typed() -> None:
    with pytest.raises(fraiseql_qb.InvalidSchemaError):
        fraiseql_qb.Schema({"views": 3})
    with pytest.raises(fraiseql_qb.InvalidSchemaError):
        fraiseql_qb.Schema(None)
    with pytest.raises(fraiseql_qb.InvalidSchemaError):
        fraiseql_qb.Schema({1: 2})
    with pytest.raises(fraiseql_qb.InvalidJsonError):
        fraiseql_qb.Schema("{")


def test_schema_argument_forms(schema: Any) -> None:
    import json
    from conftest import FIXTURE_SCHEMA_TEXT

    a = fraiseql_qb.compile(Q, schema)
    assert fraiseql_qb.compile(Q, json.loads(FIXTURE_SCHEMA_TEXT)) == a
    assert fraiseql_qb.compile(Q, FIXTURE_SCHEMA_TEXT) == a
    assert fraiseql_qb.compile(json.dumps(Q), schema) == a
    with pytest.raises(fraiseql_qb.InvalidSchemaError):
        fraiseql_qb.compile(Q, 3)


def test_bad_placeholder_is_a_value_error(schema: Any) -> None:
    with pytest.raises(ValueError):
        fraiseql_qb.compile(Q, schema, placeholder="qmark")


class MyDict(dict):
    pass


class MyStr(str):
    pass


def test_subclasses_and_rich_values(schema: Any) -> None:
    q = MyDict(view=MyStr("v_user"), select=(MyStr("id"),), where=OrderedDict(
        id={"eq": uuid.UUID("11111111-0000-0000-0000-000000000001")},
        birthDate={"eq": dt.date(1990, 5, 17)},
        lastLogin={"gt": dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone.utc)},
        score={"gte": Decimal("1E+1")},
        active={"eq": True},
    ))
    out = fraiseql_qb.compile(q, schema)
    assert out.params == [
        uuid.UUID("11111111-0000-0000-0000-000000000001"),
        dt.date(1990, 5, 17),
        dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone.utc),
        Decimal("10"),
        True,
    ]
    assert out.param_types == ["uuid", "date", "timestamptz", "numeric", "boolean"]
    assert [type(p) for p in out.params] == [uuid.UUID, dt.date, dt.datetime, Decimal, bool]


def test_timestamp_forms_come_back_as_aware_datetimes(schema: Any) -> None:
    # Every spelling of an instant comes back as the same aware datetime, in UTC.
    for text, want in [
        ("2024-01-31T10:00:00Z", dt.datetime(2024, 1, 31, 10, tzinfo=dt.timezone.utc)),
        ("2024-01-31T10:00+0530", dt.datetime(2024, 1, 31, 10, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))),
        ("2024-01-31 10:00:00.5-03", dt.datetime(2024, 1, 31, 10, 0, 0, 500000, tzinfo=dt.timezone(dt.timedelta(hours=-3)))),
        ("Jan 31 2024 1:00:00.5 pm GMT", dt.datetime(2024, 1, 31, 13, 0, 0, 500000, tzinfo=dt.timezone.utc)),
        ("2024-01-31 23:59:60+00", dt.datetime(2024, 2, 1, 0, 0, tzinfo=dt.timezone.utc)),
        ("2024-01-31 24:00:00.0000004z", dt.datetime(2024, 2, 1, 0, 0, tzinfo=dt.timezone.utc)),
    ]:
        out = fraiseql_qb.compile(where("lastLogin", "gt", text), schema)
        assert out.params == [want] and out.params[0].utcoffset() == dt.timedelta(0), text


def test_canonical_operands_convert_to_native_values(schema: Any) -> None:
    # Each type's canonical parameter text is read by the binding's conversion.
    cases = [
        ("id", "{11111111000000000000000000000001}", uuid.UUID("11111111-0000-0000-0000-000000000001")),
        ("birthDate", "Feb 29, 2000", dt.date(2000, 2, 29)),
        ("birthDate", "0001-01-01", dt.date(1, 1, 1)),
        ("birthDate", "9999-12-31", dt.date(9999, 12, 31)),
        ("lastLogin", "0001-01-01T00:00:00Z", dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)),
        ("lastLogin", "9999-12-31T23:59:59.999999Z", dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone.utc)),
        ("score", " 1.50e2 ", Decimal("150")),
        ("score", "NaN", Decimal("NaN")),
        ("score", "-inf", Decimal("-Infinity")),
        ("age", " -42 ", -42),
        ("active", "off", False),
    ]
    for field, text, want in cases:
        out = fraiseql_qb.compile(where(field, "eq", text), schema)
        got = out.params[0]
        assert type(got) is type(want), (text, got)
        if isinstance(want, Decimal) and want.is_nan():
            assert got.is_nan(), text
        else:
            assert got == want, (text, got)


def test_compiled_query_protocol(schema: Any) -> None:
    out = fraiseql_qb.compile(where("age", "gte", 3), schema)
    sql, params = out
    assert (sql, params) == (out[0], out[1]) == (out[-2], out[-1])
    assert len(out) == 2 and out == (sql, params)
    assert "CompiledQuery(" in repr(out)
    with pytest.raises(IndexError):
        out[2]
    built = fraiseql_qb.CompiledQuery("SELECT 1", (1, 2))
    assert built.params == [1, 2] and built.param_types is None


def test_large_input_compiles_detached(schema: Any) -> None:
    n = _native.DETACH_NODES * 2
    ids = [str(uuid.UUID(int=i)) for i in range(n)]
    out = fraiseql_qb.compile(where("id", "in", ids), schema)
    assert out.params[0] == [uuid.UUID(i) for i in ids]
