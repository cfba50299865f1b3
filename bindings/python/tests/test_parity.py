"""One contract for the degraded mode: the stand-in module (``fraiseql_qb._fallback``, used
when the native module cannot be loaded) has the native module's public surface: the same
names, properties where the native class has properties, the same error table, the same
Prometheus families with the same HELP lines and the same text, and the rollout vectors that
apply to an engine without a native compiler give the same results."""

from __future__ import annotations

import inspect
import json
import types
from typing import Any, Dict, List

import pytest

from fraiseql_qb import _fallback, _native
from conftest import VECTORS

V = json.loads(VECTORS.read_text())

#: Names the stand-in has and the native module has not: its own error and bookkeeping.
STAND_IN_ONLY = {"IMPORT_ERROR", "NativeUnavailableError"}


def public(module: Any) -> List[str]:
    return sorted(
        n for n in vars(module)
        if not n.startswith("__")
        and not isinstance(vars(module)[n], types.ModuleType)
        and (not n.startswith("_") or n == "_inject_panics")
        and getattr(vars(module)[n], "__module__", module.__name__) not in ("typing", "decimal")
        and n != "annotations"  # `from __future__ import annotations`
    )


def kind_of(cls: type, name: str) -> str:
    attr = inspect.getattr_static(cls, name)
    if isinstance(attr, (property, types.GetSetDescriptorType, types.MemberDescriptorType)):
        return "property"
    if callable(attr) or isinstance(attr, (staticmethod, classmethod)):
        return "method"
    return type(attr).__name__


#: Underscored members that are part of the surface (the shim calls ``_set_route``).
SURFACE_DUNDERS = {"_set_route", "__getitem__", "__len__", "__iter__", "__eq__", "__repr__"}


def members(cls: type) -> Dict[str, str]:
    out = {}
    for n in dir(cls):
        if n.startswith("_") and n not in SURFACE_DUNDERS:
            continue
        if n.startswith("__") and getattr(cls, n, None) is getattr(object, n, None):
            continue  # inherited from object: not the class's own surface
        out[n] = kind_of(cls, n)
    return out


def test_module_names_are_the_same() -> None:
    native = set(public(_native))
    stand_in = set(public(_fallback)) - STAND_IN_ONLY
    assert stand_in == native, f"only native: {native - stand_in}; only stand-in: {stand_in - native}"


@pytest.mark.parametrize("name", ["CompiledQuery", "Rollout", "ShimCore", "Schema"])
def test_classes_have_the_same_members_and_properties(name: str) -> None:
    native = members(getattr(_native, name))
    stand_in = members(getattr(_fallback, name))
    # Only what the stand-in can have: Schema keeps the document, nothing to validate it.
    if name == "Schema":
        native = {k: v for k, v in native.items() if not k.startswith("_")}
        stand_in = {k: v for k, v in stand_in.items() if not k.startswith("_") and k != "document"}
    assert stand_in == native


def test_native_available_is_a_false_property_without_the_native_module() -> None:
    engine = _fallback.Rollout()
    assert engine.native_available is False
    assert engine.legacy_registered is True


def test_compiled_query_is_indexable_with_param_types() -> None:
    for module in (_native, _fallback):
        q = module.CompiledQuery("SELECT $1", (1,))
        assert (q[0], q[1], q[-1], len(q), list(q)) == ("SELECT $1", [1], [1], 2, ["SELECT $1", [1]])
        assert q.sql == "SELECT $1" and q.params == [1] and q.param_types is None
        assert q == ("SELECT $1", [1]) and q == module.CompiledQuery("SELECT $1", [1])
        assert repr(q) == "CompiledQuery(sql='SELECT $1', params=[1])"
        with pytest.raises(IndexError):
            q[2]


def test_error_tables_are_the_same() -> None:
    native = [(code, number, cls.__name__) for code, number, cls in _native.error_classes()]
    stand_in = [(code, number, cls.__name__) for code, number, cls in _fallback.error_classes()]
    assert stand_in == native
    for _code, _number, cls in _fallback.error_classes():
        assert issubclass(cls, _fallback.QueryBuilderError) and issubclass(cls, Exception)


def test_constants_are_the_same() -> None:
    assert _fallback.DETACH_NODES == _native.DETACH_NODES
    assert _fallback.MAX_INPUT_DEPTH == _native.MAX_INPUT_DEPTH
    assert _fallback.env_vars() == _native.env_vars()
    assert _fallback.seed_keys() == _native.seed_keys()


def test_prometheus_families_and_help_lines_are_the_same() -> None:
    assert _fallback.prometheus_families() == _native.prometheus_families()
    assert len(_native.prometheus_families()) == 9
    assert _fallback.duration_buckets() == _native.duration_buckets()


def native_without_compiler() -> Any:
    engine = _native.Rollout()
    engine.set_native_available(False)
    return engine


def test_prometheus_text_and_values_are_the_same_after_the_same_calls() -> None:
    native, stand_in = native_without_compiler(), _fallback.Rollout()
    assert stand_in.prometheus_text() == native.prometheus_text()
    for ns in (0, 900, 1_000, 1_001, 1_500, 30_000, 99_999_999, 100_000_000, 2_000_000_000):
        native.record_legacy_ok(ns)
        stand_in.record_legacy_ok(ns)
    native.record_legacy_err(1_234)
    stand_in.record_legacy_err(1_234)
    assert stand_in.prometheus_text() == native.prometheus_text()
    assert stand_in.prometheus_values() == native.prometheus_values()
    text = stand_in.prometheus_text()
    for name, kind, help_, _by in _native.prometheus_families():
        assert f"# HELP {name} {help_}\n# TYPE {name} {kind}\n" in text


def test_snapshots_are_the_same_after_the_same_calls() -> None:
    native, stand_in = native_without_compiler(), _fallback.Rollout()
    for ns in (1_000, 2_000_000):
        native.record_legacy_ok(ns)
        stand_in.record_legacy_ok(ns)
    native.record_legacy_err(5_000)
    stand_in.record_legacy_err(5_000)
    a, b = native.snapshot(), stand_in.snapshot()
    assert list(a) == list(b)
    for k in a:
        assert a[k] == pytest.approx(b[k]) if isinstance(a[k], float) else a[k] == b[k], k


# ------------------------------------------------------------- the rollout vectors


@pytest.mark.parametrize("case", V["sticky"], ids=lambda c: repr(c["key"]))
def test_vector_sticky_hash(case: Dict[str, Any]) -> None:
    h, bucket = _fallback.sticky_bucket(case["key"])
    assert (f"{h:016x}", bucket) == (case["fnv1a64"], case["bucket"])


@pytest.mark.parametrize("case", [c for c in V["decisions"] if not c["native_available"]],
                         ids=lambda c: c["name"])
def test_vector_decisions_without_native(case: Dict[str, Any]) -> None:
    engine = _fallback.Rollout(case["config"])
    engine.set_legacy_registered(case["legacy_registered"])
    native, shadow, reason, _probe, bucket = engine.decide(case["key"])
    assert ("native" if native else "legacy", reason, shadow, bucket) == (
        case["route"], case["reason"], case["shadow"], case["bucket"])


LEGACY_OPS = {"legacy_ok", "legacy_err"}


@pytest.mark.parametrize(
    "case", [c for c in V["sequences"] if all(e["op"] in LEGACY_OPS for e in c["events"])],
    ids=lambda c: c["name"])
def test_vector_legacy_sequences(case: Dict[str, Any]) -> None:
    engine = _fallback.Rollout(case["config"])
    for e in case["events"]:
        getattr(engine, "record_" + e["op"])(e["duration_ns"])
    want = dict(case["metrics"])
    # The vectors' engine has a native compiler; the stand-in by definition has none.
    assert want.pop("native_available") is True
    got = engine.snapshot()
    assert got["native_available"] is False
    assert {k: got[k] for k in want} == want


@pytest.mark.parametrize(
    "case",
    [c for c in V["prometheus"]
     if not c["native_available"] and all(e["op"] in LEGACY_OPS for e in c["events"])],
    ids=lambda c: c["name"])
def test_vector_prometheus_text(case: Dict[str, Any]) -> None:
    engine = _fallback.Rollout()
    for e in case["events"]:
        getattr(engine, "record_" + e["op"])(e["duration_ns"])
    assert engine.prometheus_text() == case["text"]
