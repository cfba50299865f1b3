"""No panic crosses the boundary (docs/reliability.md, "Panic boundary").

Inputs that change themselves while the binding reads them (a dict grown by a value's
``isoformat`` or ``__str__``, by a key's ``__eq__``/``__hash__``; a list that grows) are read
without a panic on every route: ``compile``, the shim routed native, the shim falling back,
the shadow path. And a panic inside the native code (injected with
``_native._inject_panics``) reaches Python as ``InternalError`` (``QB_INTERNAL``, an
``Exception``) on every route: the shim falls back from it and counts it, the shadow path
records it, nothing escapes as PyO3's ``PanicException`` (a ``BaseException``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Callable, Dict, List

import pytest

import fraiseql_qb
from fraiseql_qb import InternalError, QueryBuilderError, _native
from conftest import LEGACY_SQL, make


# ------------------------------------------------------------ inputs that mutate themselves


class GrowingDate(dt.date):
    """A date whose ``isoformat`` adds keys to the dict being read (and can lie about
    itself)."""

    target: Dict[str, Any] = {}
    text = "2024-01-31"

    def isoformat(self) -> str:  # type: ignore[override]
        for i in range(50):
            self.target[f"grown_{i}"] = {"eq": 1}
        return self.text


class ShrinkingUuid(uuid.UUID):
    """A UUID whose ``__str__`` empties the dict being read."""

    target: Dict[str, Any] = {}

    def __str__(self) -> str:
        self.target.clear()
        return super().__str__()


class ListGrowingUuid(uuid.UUID):
    """A UUID whose ``__str__`` appends to the list being read."""

    target: List[Any] = []

    def __str__(self) -> str:
        self.target.append(ListGrowingUuid(int=len(self.target)))
        return super().__str__()


class MeddlingKey(str):
    """A key whose ``__eq__`` and ``__hash__`` change the dict that holds it."""

    target: Dict[str, Any] = {}

    def __hash__(self) -> int:
        self.target.pop("limit", None)
        self.target["meddled"] = True
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        self.target["meddled_eq"] = True
        return str.__eq__(self, other)


def grown_by_isoformat(valid: bool = True) -> Dict[str, Any]:
    d = GrowingDate(2024, 1, 31)
    if not valid:
        d.text = "not a date"
    field_filter: Dict[str, Any] = {"eq": d, "lte": "2025-01-01"}
    d.target = field_filter
    return {"view": "v_user", "select": ["id"], "where": {"birth_date": field_filter}}


def emptied_by_str() -> Dict[str, Any]:
    u = ShrinkingUuid("11111111-0000-0000-0000-000000000002")
    where: Dict[str, Any] = {"id": {"eq": u}, "age": {"gte": 1}}
    object.__setattr__(u, "target", where)  # UUID forbids plain attribute writes
    return {"view": "v_user", "select": ["id"], "where": where}


def operand_grown_by_str() -> Dict[str, Any]:
    items: List[Any] = [ListGrowingUuid(int=1)]
    ListGrowingUuid.target = items
    return {"view": "v_user", "select": ["id"], "where": {"id": {"in": items}}}


def jsonb_operand_grown_by_isoformat() -> Dict[str, Any]:
    d = GrowingDate(2024, 1, 31)
    operand: Dict[str, Any] = {"when": d, "plan": "pro"}
    d.target = operand
    return {"view": "v_user", "select": ["id"], "where": {"metadata": {"contains": operand}}}


def one_entry_grown_by_isoformat() -> Dict[str, Any]:
    # A dict of one entry is read without a snapshot: its value's code runs after the read.
    d = GrowingDate(2024, 1, 31)
    field_filter: Dict[str, Any] = {"eq": d}
    d.target = field_filter
    return {"view": "v_user", "select": ["id"], "where": {"birth_date": field_filter}}


def one_entry_emptied_by_str() -> Dict[str, Any]:
    u = ShrinkingUuid("11111111-0000-0000-0000-000000000002")
    where: Dict[str, Any] = {"id": {"eq": u}}
    object.__setattr__(u, "target", where)
    return {"view": "v_user", "select": ["id"], "where": where}


def meddling_key() -> Dict[str, Any]:
    q: Dict[str, Any] = {"view": "v_user", "select": ["id"], "limit": 3}
    key = MeddlingKey("offset")
    key.target = q
    q[key] = 1
    return q


MUTATING: Dict[str, Callable[[], Dict[str, Any]]] = {
    "dict grown by isoformat": grown_by_isoformat,
    "dict emptied by __str__": emptied_by_str,
    "list grown by __str__": operand_grown_by_str,
    "jsonb operand grown by isoformat": jsonb_operand_grown_by_isoformat,
    "one-entry dict grown by isoformat": one_entry_grown_by_isoformat,
    "one-entry dict emptied by __str__": one_entry_emptied_by_str,
    "dict changed by a key's __eq__/__hash__": meddling_key,
}


def compile_or_typed_error(query: Any, schema: Any) -> Any:
    try:
        return fraiseql_qb.compile(query, schema)
    except QueryBuilderError as e:
        return e


@pytest.mark.parametrize("name", list(MUTATING))
def test_native_route_reads_a_mutating_input_without_panicking(schema: Any, name: str) -> None:
    out = compile_or_typed_error(MUTATING[name](), schema)
    assert isinstance(out, (fraiseql_qb.CompiledQuery, QueryBuilderError)), out
    assert not isinstance(out, InternalError)


@pytest.mark.parametrize("name", list(MUTATING))
def test_shim_native_route_reads_a_mutating_input(schema: Any, name: str) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1"}, schema=schema)
    out = shim.build(MUTATING[name]())
    m = shim.metrics()
    assert m["rust_calls"] == 1 and m["total_calls"] == 1
    # Served native, or (a typed error) served by legacy and counted as a fallback.
    assert (out.sql == LEGACY_SQL) == (m["rust_fallbacks"] == 1)


def test_fallback_route_serves_a_mutating_input_the_native_side_refuses(schema: Any) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1"}, schema=schema)
    assert shim.build(grown_by_isoformat(valid=False)).sql == LEGACY_SQL
    m = shim.metrics()
    assert (m["rust_calls"], m["rust_errors"], m["rust_fallbacks"], m["python_calls"]) == (1, 1, 1, 1)


@pytest.mark.parametrize("name", list(MUTATING))
def test_shadow_route_reads_a_mutating_input(schema: Any, name: str) -> None:
    shim = make({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"}, schema=schema)
    assert shim.build(MUTATING[name]()).sql == LEGACY_SQL
    m = shim.metrics()
    assert m["python_calls"] == 1 and m["shadow_runs"] == 1


def test_schema_read_from_a_mutating_dict(schema: Any) -> None:
    d = GrowingDate(2024, 1, 31)
    fields: Dict[str, Any] = {"a": "text", "b": d}
    d.target = fields
    with pytest.raises(QueryBuilderError):  # a date is not a field type; no panic
        fraiseql_qb.Schema({"views": {"v": {"fields": fields}}})


# ------------------------------------------------------------ a panic in the native code

GOOD = {"view": "v_user", "select": ["id"], "where": {"age": {"gte": 41}}}


@pytest.fixture(autouse=True)
def no_injected_panics() -> Any:
    yield
    _native._inject_panics(0)


def test_a_panic_in_compile_is_internal_error(schema: Any) -> None:
    _native._inject_panics(1)
    with pytest.raises(InternalError) as info:
        fraiseql_qb.compile(GOOD, schema)
    e = info.value
    assert isinstance(e, Exception) and isinstance(e, QueryBuilderError)
    assert (e.code, e.number, e.path) == ("QB_INTERNAL", 14, "")
    assert "panicked" in e.message and "compile" in e.message
    assert fraiseql_qb.ERRORS_BY_CODE["QB_INTERNAL"] is InternalError
    # The next call is served: nothing was left broken.
    assert fraiseql_qb.compile(GOOD, schema).params == [41]


def test_a_panic_on_the_shim_native_route_falls_back_and_is_counted(schema: Any) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1"}, schema=schema)
    _native._inject_panics(1)
    assert shim.build(GOOD).sql == LEGACY_SQL
    assert shim.build(GOOD).params == [41]
    m = shim.metrics()
    assert (m["rust_calls"], m["rust_errors"], m["rust_fallbacks"], m["python_calls"]) == (2, 1, 1, 1)


def test_a_panic_without_fallback_raises_internal_error_and_is_counted(schema: Any) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1", "FRAISEQL_RUST_QB_FALLBACK": "0"},
                schema=schema)
    _native._inject_panics(1)
    with pytest.raises(InternalError):
        shim.build(GOOD)
    m = shim.metrics()
    assert (m["rust_calls"], m["rust_errors"], m["rust_fallbacks"]) == (1, 1, 0)


def test_a_panic_on_the_shadow_route_is_recorded_and_the_call_served(schema: Any) -> None:
    shim = make({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100", "FRAISEQL_LOG_QUERY_BUILDER_MODE": "1"},
                schema=schema, shadow_keep_last=5)
    _native._inject_panics(1)
    assert shim.build(GOOD).sql == LEGACY_SQL
    m = shim.metrics()
    assert (m["python_calls"], m["shadow_runs"], m["shadow_errors"]) == (1, 1, 1)
    kept = shim.shadow_mismatches()
    assert kept and kept[-1]["result"] == "native_error" and "QB_INTERNAL" in kept[-1]["input"]


def test_a_panic_on_the_engine_route_is_an_error_result(schema: Any) -> None:
    engine = _native.Rollout({"use_native": True})
    _native._inject_panics(1)
    native, _shadow, _reason, result, error, _ns = engine.route(None, GOOD, schema, "numbered", True)
    assert native and result is None and isinstance(error, InternalError)
    assert engine.snapshot()["rust_errors"] == 1
