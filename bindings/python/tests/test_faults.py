"""Faults from Python (docs/reliability.md): bad input gets a typed ``QueryBuilderError``
(never a crash or a bare ``TypeError``), and the rollout shim keeps the contract of
docs/rollout.md when anything around it fails: native raising, legacy raising, both, the
logger, the metrics hook, the Prometheus collector, a malformed environment. No call is lost:
the counters add up exactly, also under 8 threads.

``FQB_FAULT_CALLS`` sets the calls per thread of the 8-thread test: the documented figure is
1,000,000 (``FQB_FAULT_CALLS=1000000``, 8,000,000 calls in all); the default, 20,000, keeps CI
fast.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
from collections import OrderedDict, UserDict
from decimal import Decimal
from typing import Any, Dict, List

import pytest

import fraiseql_qb
from fraiseql_qb import QueryBuilderError
from fraiseql_qb.rollout import RolloutQueryBuilder
from conftest import BAD, GOOD, LEGACY_SQL, Boom, RaisingHandler, legacy, make

Q = {"view": "v_user", "select": ["id"]}
CALLS_PER_THREAD = int(os.environ.get("FQB_FAULT_CALLS", "20000"))


def where(field: str, op: str, value: Any) -> Any:
    return {**Q, "where": {field: {op: value}}}


# ------------------------------------------------------------------ bad input


class MyDict(dict):
    pass


class MyStr(str):
    pass


class MyInt(int):
    pass


class RaisingMapping(dict):
    def items(self) -> Any:  # type: ignore[override]
        raise RuntimeError("items broke")

    def keys(self) -> Any:  # type: ignore[override]
        raise RuntimeError("keys broke")

    def __iter__(self) -> Any:
        raise RuntimeError("iter broke")


class RaisingStr(str):
    def __str__(self) -> str:
        raise RuntimeError("str broke")


def cyclic_dict() -> Any:
    d: Dict[str, Any] = {"view": "v_user", "select": ["id"]}
    inner: Dict[str, Any] = {"eq": 1}
    inner["self"] = inner
    d["where"] = {"age": inner}
    return d


def cyclic_list() -> Any:
    lst: List[Any] = [1]
    lst.append(lst)
    return where("age", "in", lst)


def deep_dict(n: int) -> Any:
    w: Any = {"age": {"eq": 1}}
    for _ in range(n):
        w = {"not": w}
    return {**Q, "where": w}


BAD_INPUTS = [
    ("none", None),
    ("int", 42),
    ("float", 1.5),
    ("bytes query", b'{"view": "v_user", "select": ["id"]}'),
    ("bytearray", bytearray(b"{}")),
    ("list", [Q]),
    ("set", {"a"}),
    ("object", object()),
    ("non-str key", {1: "v_user"}),
    ("tuple key", {("view",): "v_user"}),
    ("none view", {"view": None, "select": ["id"]}),
    ("bytes view", {"view": b"v_user", "select": ["id"]}),
    ("int view", {"view": 1, "select": ["id"]}),
    ("select str", {"view": "v_user", "select": "id"}),
    ("select bytes item", {"view": "v_user", "select": [b"id"]}),
    ("select none item", {"view": "v_user", "select": [None]}),
    ("cyclic dict", cyclic_dict()),
    ("cyclic list", cyclic_list()),
    ("deep dict", deep_dict(10_000)),
    ("huge int", where("age", "eq", 10**100)),
    ("huge negative int", where("age", "eq", -(10**4000))),
    ("huge int limit", {**Q, "limit": 10**30}),
    ("negative limit", {**Q, "limit": -1}),
    ("nan", where("score", "eq", float("nan"))),
    ("inf", where("score", "gt", float("inf"))),
    ("-inf", where("score", "lt", -math.inf)),
    ("decimal nan", where("score", "eq", Decimal("NaN"))),
    ("decimal snan", where("score", "eq", Decimal("sNaN"))),
    ("decimal inf", where("score", "eq", Decimal("Infinity"))),
    ("bytes value", where("email", "eq", b"x")),
    ("complex", where("score", "eq", 1j)),
    ("nul in value", where("email", "eq", "a\x00b")),
    ("none operand", where("age", "eq", None)),
    ("list for scalar", where("age", "eq", [1])),
    ("dict for scalar", where("age", "eq", {})),
    ("bool for int", where("age", "eq", True)),
    ("function", {**Q, "where": {"age": {"eq": len}}}),
    ("type object", {**Q, "where": {"age": {"eq": int}}}),
    ("generator", {**Q, "select": (x for x in ["id"])}),
]


@pytest.mark.parametrize("name,query", BAD_INPUTS, ids=[n for n, _ in BAD_INPUTS])
def test_bad_input_gives_a_typed_error(schema: Any, name: str, query: Any) -> None:
    for placeholder in ("numbered", "format"):
        with pytest.raises(QueryBuilderError) as info:
            fraiseql_qb.compile(query, schema, placeholder=placeholder)
        e = info.value
        assert type(e) is not QueryBuilderError, "a subclass per kind"
        assert e.code.startswith("QB_") and isinstance(e.path, str) and e.message, (name, e)


BAD_SCHEMAS = [
    ("none", None),
    ("int", 1),
    ("bytes", b"{}"),
    ("list", []),
    ("views none", {"views": None}),
    ("view none", {"views": {"v": None}}),
    ("bad type", {"views": {"v": {"fields": {"a": "integerr"}}}}),
    ("type bytes", {"views": {"v": {"fields": {"a": b"text"}}}}),
    ("cyclic", None),
    ("nul key", {"views": {"v": {"fields": {"a\x00": "text"}}}}),
    ("hostile view", {"views": {"v; DROP TABLE x": {}}}),
]


@pytest.mark.parametrize("name,doc", BAD_SCHEMAS, ids=[n for n, _ in BAD_SCHEMAS])
def test_bad_schema_gives_a_typed_error(name: str, doc: Any) -> None:
    if name == "cyclic":
        doc = {"views": {"v": {"fields": {}}}}
        doc["views"]["v"]["fields"]["self"] = doc
    with pytest.raises(QueryBuilderError) as info:
        fraiseql_qb.Schema(doc)
    assert info.value.code.startswith("QB_")


def test_subclasses_of_dict_str_int_are_accepted(schema: Any) -> None:
    plain = fraiseql_qb.compile(where("email", "eq", "x"), schema)
    sub = MyDict(view=MyStr("v_user"), select=[MyStr("id")],
                 where=MyDict(email=OrderedDict(eq=MyStr("x"))))
    assert fraiseql_qb.compile(sub, schema) == plain
    assert fraiseql_qb.compile(where("age", "eq", MyInt(3)), schema).params == [3]


def test_a_str_subclass_is_read_as_its_value_not_its_str(schema: Any) -> None:
    # A subclass overriding __str__ must not change (or break) what is compiled.
    out = fraiseql_qb.compile(where("email", "eq", RaisingStr("x")), schema)
    assert out.params == ["x"]


def test_an_exception_raised_by_an_operand_propagates_as_is(schema: Any) -> None:
    # A date subclass whose isoformat() raises: the caller's own exception, not a wrapped one,
    # whether the parser meets it as an operand or where it expects a string.
    import datetime

    class BadDate(datetime.date):
        def isoformat(self) -> str:
            raise RuntimeError("isoformat broke")

    for query in (where("birthDate", "eq", BadDate(2020, 1, 1)),
                  {"view": BadDate(2020, 1, 1), "select": ["id"]}):
        with pytest.raises(RuntimeError, match="isoformat broke"):
            fraiseql_qb.compile(query, schema)
    # And the next call is clean (no exception left pending).
    assert fraiseql_qb.compile(Q, schema).params == []


@pytest.mark.parametrize("query", [where("email", "eq", "\ud800"),
                                   {**Q, "where": {"\udfff": {"eq": 1}}},
                                   {"view": "v_user\udc80", "select": ["id"]}])
def test_lone_surrogates_give_a_typed_error(schema: Any, query: Any) -> None:
    with pytest.raises(QueryBuilderError) as info:
        fraiseql_qb.compile(query, schema)
    assert info.value.code == "QB_INVALID_VALUE"


def test_dict_subclass_with_raising_methods_is_read_as_a_dict(schema: Any) -> None:
    # The binding reads a dict's storage, not its overridden methods: a result, not a crash.
    for q in (RaisingMapping(view="v_user", select=["id"]),
              {**Q, "where": RaisingMapping(age={"eq": 1})}):
        try:
            out = fraiseql_qb.compile(q, schema)
        except QueryBuilderError as e:
            assert e.code.startswith("QB_")
        else:
            assert out.sql.startswith("SELECT")


def test_userdict_is_a_typed_error_or_a_result(schema: Any) -> None:
    try:
        out = fraiseql_qb.compile(UserDict(Q), schema)  # a Mapping, not a dict
    except QueryBuilderError as e:
        assert e.code.startswith("QB_")
    else:
        assert out.sql.startswith("SELECT")


def test_recursion_limit_does_not_crash(schema: Any) -> None:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        with pytest.raises(QueryBuilderError) as info:
            fraiseql_qb.compile(deep_dict(50_000), schema)
        assert info.value.code == "QB_DEPTH_LIMIT"
    finally:
        sys.setrecursionlimit(old)


# ------------------------------------------------------------------ the shim under faults


def check_totals(m: Dict[str, Any], n: int) -> None:
    assert m["total_calls"] == n, m
    assert m["rust_calls"] + m["python_calls"] - m["rust_fallbacks"] == n, m
    assert m["rust_fallbacks"] <= m["rust_errors"] <= m["rust_calls"], m
    assert m["python_errors"] <= m["python_calls"], m


def test_native_raising_falls_back_and_counts(schema: Any) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1"}, schema=schema)
    inputs = [BAD, None, cyclic_dict(), where("age", "eq", float("nan")), b"x"]
    for q in inputs:
        assert shim.build(q).sql == LEGACY_SQL
    m = shim.metrics()
    n = len(inputs)
    assert (m["rust_calls"], m["rust_errors"], m["rust_fallbacks"], m["python_calls"]) == (n, n, n, n)
    check_totals(m, n)


def test_native_raising_without_fallback_raises_the_typed_error(schema: Any) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1", "FRAISEQL_RUST_QB_FALLBACK": "false"},
                schema=schema)
    for q in (BAD, None, cyclic_dict()):
        with pytest.raises(QueryBuilderError):
            shim.build(q)
    m = shim.metrics()
    assert (m["rust_calls"], m["rust_errors"], m["rust_fallbacks"], m["python_calls"]) == (3, 3, 0, 0)
    check_totals(m, 3)


def test_legacy_raising_propagates_unchanged(schema: Any) -> None:
    err = Boom("legacy broke")

    def broken(q: Any) -> Any:
        raise err

    shim = make({}, legacy_fn=broken, schema=schema)
    for _ in range(3):
        with pytest.raises(Boom) as info:
            shim.build(GOOD)
        assert info.value is err
    m = shim.metrics()
    assert (m["python_calls"], m["python_errors"]) == (3, 3)
    check_totals(m, 3)


@pytest.mark.parametrize("exc", [Boom("x"), KeyboardInterrupt(), SystemExit(3), GeneratorExit()])
def test_legacy_raising_base_exceptions_propagate_and_are_counted(schema: Any, exc: BaseException) -> None:
    def broken(q: Any) -> Any:
        raise exc

    shim = make({}, legacy_fn=broken, schema=schema)
    with pytest.raises(type(exc)) as info:
        shim.build(GOOD)
    assert info.value is exc
    m = shim.metrics()
    assert (m["python_calls"], m["python_errors"]) == (1, 1)
    check_totals(m, 1)


def test_legacy_returning_garbage_is_counted(schema: Any) -> None:
    shim = make({}, legacy_fn=lambda q: 42, schema=schema)
    with pytest.raises(Exception):
        shim.build(GOOD)
    m = shim.metrics()
    assert m["total_calls"] == 1
    check_totals(m, 1)


def test_both_raising_propagates_the_legacy_error(schema: Any) -> None:
    err = Boom("legacy broke too")

    def broken(q: Any) -> Any:
        raise err

    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1"}, legacy_fn=broken, schema=schema)
    for _ in range(4):
        with pytest.raises(Boom) as info:
            shim.build(BAD)
        assert info.value is err
    m = shim.metrics()
    assert (m["rust_calls"], m["rust_errors"], m["rust_fallbacks"]) == (4, 4, 4)
    assert (m["python_calls"], m["python_errors"]) == (4, 4)
    check_totals(m, 4)


def test_logger_raising_never_fails_a_call(schema: Any) -> None:
    log = logging.getLogger("fraiseql_qb.rollout")
    handler = RaisingHandler()
    log.addHandler(handler)
    old = log.level
    log.setLevel(logging.DEBUG)
    try:
        # malformed env too: the warning goes through the raising handler at creation
        shim = make({"FRAISEQL_LOG_QUERY_BUILDER_MODE": "on",
                     "FRAISEQL_RUST_QB_PERCENTAGE": "150"}, schema=schema)
        shim.configure(percentage=50)
        for i in range(200):
            shim.build(BAD if i % 3 == 0 else GOOD)
        shim.reload()
        check_totals(shim.metrics(), 200)
    finally:
        log.removeHandler(handler)
        log.setLevel(old)


def test_metrics_hook_raising_never_fails_a_call(schema: Any) -> None:
    seen: List[Any] = []

    def hook(event: Any) -> None:
        seen.append(event)
        raise Boom("hook broke")

    shim = make({"FRAISEQL_RUST_QB_PERCENTAGE": "50"}, schema=schema, metrics_hook=hook)
    for i in range(100):
        shim.build(BAD if i % 4 == 0 else GOOD)
    check_totals(shim.metrics(), 100)
    assert len(seen) == 100


def test_prometheus_collector_raising_never_breaks_a_scrape_or_a_call(schema: Any) -> None:
    prometheus_client = pytest.importorskip("prometheus_client")
    from fraiseql_qb.prometheus import register_collector

    shim = make({"FRAISEQL_RUST_QB_PERCENTAGE": "50"}, schema=schema)
    registry = prometheus_client.CollectorRegistry()
    collector = register_collector(registry, shim)

    def broken() -> Any:
        raise Boom("collector broke")

    collector._values = broken  # type: ignore[method-assign]
    text = prometheus_client.generate_latest(registry).decode()
    assert "fraiseql_query_builder_calls_total" not in text
    for _ in range(50):
        shim.build(GOOD)
    check_totals(shim.metrics(), 50)
    del collector._values
    text = prometheus_client.generate_latest(registry).decode()
    assert 'fraiseql_query_builder_calls_total{builder_type="rust"}' in text


def test_prometheus_collector_failing_while_building_families(schema: Any) -> None:
    prometheus_client = pytest.importorskip("prometheus_client")
    from fraiseql_qb.prometheus import register_collector

    shim = make({}, schema=schema)
    registry = prometheus_client.CollectorRegistry()
    collector = register_collector(registry, shim)
    collector._values = lambda: {"rust": None}  # type: ignore[method-assign,assignment]
    prometheus_client.generate_latest(registry)  # must not raise (prometheus.py docstring)


MALFORMED_ENV = [
    {"FRAISEQL_RUST_QB_PERCENTAGE": v}
    for v in ["150", "-5", "NaN", "1e9", "abc", "50%", "12.345", "\x00", "٥٠", "9" * 10_000, "", "  "]
] + [
    {"FRAISEQL_USE_RUST_QUERY_BUILDER": "maybe", "FRAISEQL_USE_PYTHON_QUERY_BUILDER": "2",
     "FRAISEQL_RUST_QB_FALLBACK": "nope", "FRAISEQL_LOG_QUERY_BUILDER_MODE": "of",
     "FRAISEQL_RUST_QB_STICKY": "yes please", "FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "101",
     "FRAISEQL_RUST_QB_TRIP_BACK": "t"},
]


@pytest.mark.parametrize("env", MALFORMED_ENV)
def test_malformed_env_stays_legacy_and_counts(schema: Any, env: Dict[str, str]) -> None:
    shim = make(env, schema=schema)
    assert shim.config["percentage_bp"] == 0 and not shim.config["use_native"]
    for _ in range(20):
        assert shim.build(GOOD).sql == LEGACY_SQL
    m = shim.metrics()
    assert (m["rust_calls"], m["python_calls"]) == (0, 20)
    check_totals(m, 20)


def test_process_env_malformed(schema: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("FRAISEQL_RUST_QB_PERCENTAGE", "lots")
    monkeypatch.setenv("FRAISEQL_USE_RUST_QUERY_BUILDER", "\t")
    shim = RolloutQueryBuilder(legacy, schema)
    assert shim.build(GOOD).sql == LEGACY_SQL
    assert any(w["variable"] == "FRAISEQL_RUST_QB_PERCENTAGE" for w in shim.warnings) or shim.warnings


@pytest.mark.parametrize("name", ["FRAISEQL_RUST_QB_PERCENTAGE", "FRAISEQL_USE_PYTHON_QUERY_BUILDER"])
def test_process_env_with_invalid_utf8(schema: Any, monkeypatch: Any, name: str) -> None:
    monkeypatch.setenv(name, "5\udcff")  # the bytes b"5\xff" in the real environment
    shim = RolloutQueryBuilder(legacy, schema)
    assert shim.build(GOOD).sql == LEGACY_SQL
    assert shim.metrics()["total_calls"] == 1


def test_eight_threads_exact_totals_under_faults(schema: Any) -> None:
    """8 threads share one shim at 50 %; every 7th query fails natively (fallback), every
    11th legacy call raises, a raising metrics hook and a raising log handler are installed.
    Every outcome each thread saw is counted; the shim's counters must match exactly."""
    threads, per_thread = 8, CALLS_PER_THREAD
    log = logging.getLogger("fraiseql_qb.rollout")
    handler = RaisingHandler()
    log.addHandler(handler)
    old = log.level
    log.setLevel(logging.DEBUG)

    tls = threading.local()

    def flaky_legacy(q: Any) -> Any:
        tls.legacy_n = getattr(tls, "legacy_n", 0) + 1
        if tls.legacy_n % 11 == 0:
            raise Boom("flaky")
        return (LEGACY_SQL, [1])

    def hook(event: Any) -> None:
        raise Boom("hook")

    shim = make({"FRAISEQL_RUST_QB_PERCENTAGE": "50", "FRAISEQL_LOG_QUERY_BUILDER_MODE": "1"},
                legacy_fn=flaky_legacy, schema=schema, metrics_hook=hook)
    barrier = threading.Barrier(threads)
    results: List[Dict[str, int]] = []
    failures: List[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        c = {"native": 0, "legacy": 0, "legacy_raised": 0}
        try:
            barrier.wait()
            for j in range(per_thread):
                try:
                    out = shim.build(BAD if j % 7 == 0 else GOOD)
                except Boom:
                    c["legacy_raised"] += 1
                else:
                    c["legacy" if out.sql == LEGACY_SQL else "native"] += 1
        except BaseException as e:  # pragma: no cover
            failures.append(e)
        with lock:
            results.append(c)

    try:
        ts = [threading.Thread(target=work) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    finally:
        log.removeHandler(handler)
        log.setLevel(old)
    assert not failures, failures[:3]
    n = threads * per_thread
    seen = {k: sum(r[k] for r in results) for k in ("native", "legacy", "legacy_raised")}
    assert sum(seen.values()) == n
    m = shim.metrics()
    check_totals(m, n)
    assert m["rust_calls"] - m["rust_errors"] == seen["native"]
    assert m["python_calls"] - m["python_errors"] == seen["legacy"]
    assert m["python_errors"] == seen["legacy_raised"]
    assert m["rust_errors"] == m["rust_fallbacks"] > 0
