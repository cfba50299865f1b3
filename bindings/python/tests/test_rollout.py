"""Shim behaviour (docs/rollout.md): routing shares, fallback, kill switch, malformed env,
legacy and log-handler failures, exact totals under threads, shadow, trip-back, the
process-wide dict, and the golden corpus through the shim at 0 % and 100 %."""

from __future__ import annotations

import logging
import threading
from typing import Any, List

import pytest

import fraiseql_qb
from fraiseql_qb import rollout
from fraiseql_qb.rollout import RolloutQueryBuilder, TripBack, get_query_builder_metrics
from conftest import (
    BAD, CASES, GOOD, LEGACY_SQL, Boom, RaisingHandler, case_schema, legacy, make,
)

def test_zero_percent_is_all_legacy(schema: Any) -> None:
    shim = make({"FRAISEQL_RUST_QB_PERCENTAGE": "0"}, schema=schema)
    for _ in range(200):
        assert shim.build(GOOD).sql == LEGACY_SQL
    m = shim.metrics()
    assert (m["rust_calls"], m["python_calls"], m["total_calls"]) == (0, 200, 200)
    assert m["rust_percentage"] == 0.0


def test_hundred_percent_is_all_native(schema: Any) -> None:
    shim = make({"FRAISEQL_RUST_QB_PERCENTAGE": "100"}, schema=schema)
    want = fraiseql_qb.compile(GOOD, schema)
    for _ in range(200):
        assert shim.build(GOOD) == want
    m = shim.metrics()
    assert (m["rust_calls"], m["python_calls"], m["rust_percentage"]) == (200, 0, 100.0)


def test_thirty_percent_within_bounds(schema: Any) -> None:
    shim = make({"FRAISEQL_RUST_QB_PERCENTAGE": "30"}, schema=schema)
    n = 20_000
    for _ in range(n):
        shim.build(GOOD)
    native = shim.metrics()["rust_calls"]
    # Binomial(20000, 0.3): sd ~ 65; 6 sd bounds never flake in practice.
    assert abs(native - 0.3 * n) < 6 * (n * 0.3 * 0.7) ** 0.5, native
    assert shim.metrics()["total_calls"] == n


def test_programmatic_overrides_env(schema: Any) -> None:
    shim = make({"FRAISEQL_RUST_QB_PERCENTAGE": "100"}, schema=schema, percentage=0)
    assert shim.config["percentage_bp"] == 0
    shim.configure(percentage=12.5)
    assert shim.config["percentage_bp"] == 1250
    with pytest.raises(ValueError):
        shim.configure(percentage=150)


def test_fallback_on_serves_legacy_and_counts(schema: Any) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1"}, schema=schema)
    assert shim.build(BAD).sql == LEGACY_SQL
    m = shim.metrics()
    assert (m["rust_calls"], m["rust_errors"], m["rust_fallbacks"], m["python_calls"]) == (1, 1, 1, 1)
    assert (m["total_calls"], m["rust_error_rate"], m["rust_percentage"]) == (1, 100.0, 0.0)


def test_fallback_off_raises_native_error(schema: Any) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1", "FRAISEQL_RUST_QB_FALLBACK": "off"}, schema=schema)
    with pytest.raises(fraiseql_qb.UnknownFieldError) as info:
        shim.build(BAD)
    assert info.value.path == "where.emial"
    m = shim.metrics()
    assert (m["rust_errors"], m["rust_fallbacks"], m["python_calls"]) == (1, 0, 0)


def test_no_legacy_every_call_native_and_error_raised(schema: Any) -> None:
    shim = RolloutQueryBuilder(None, schema, env={"FRAISEQL_USE_PYTHON_QUERY_BUILDER": "true"})
    assert shim.build(GOOD).sql.startswith("SELECT")
    with pytest.raises(fraiseql_qb.UnknownFieldError):
        shim.build(BAD)


def test_no_builder_at_all(schema: Any) -> None:
    shim = RolloutQueryBuilder(None, schema, env={})
    shim.set_native_available(False)
    try:
        with pytest.raises(rollout.NoBuilderAvailableError):
            shim.build(GOOD)
    finally:
        shim.set_native_available(True)


def test_native_unavailable_all_legacy(schema: Any) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "true"}, schema=schema)
    shim.set_native_available(False)
    try:
        assert shim.build(GOOD).sql == LEGACY_SQL
        assert shim.metrics()["native_available"] is False
        assert "fraiseql_rust_query_builder_available 0" in shim.prometheus_text()
    finally:
        shim.set_native_available(True)


def test_kill_switch_wins(schema: Any) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "true", "FRAISEQL_RUST_QB_PERCENTAGE": "100",
                 "FRAISEQL_USE_PYTHON_QUERY_BUILDER": " YES "}, schema=schema)
    for _ in range(20):
        assert shim.build(GOOD).sql == LEGACY_SQL
    assert shim.metrics()["rust_calls"] == 0


@pytest.mark.parametrize("value", ["abc", "150", "-5", "1e9", "12.5.1", "NaN", "50%"])
def test_malformed_percentage_warns_and_stays_legacy(schema: Any, value: str, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="fraiseql_qb.rollout"):
        shim = make({"FRAISEQL_RUST_QB_PERCENTAGE": value}, schema=schema)
    msgs = [r.getMessage() for r in caplog.records if r.name == "fraiseql_qb.rollout"]
    assert len(msgs) == 1 and "FRAISEQL_RUST_QB_PERCENTAGE" in msgs[0] and "using default 0.00" in msgs[0]
    assert shim.config["percentage_bp"] == 0
    for _ in range(50):
        shim.build(GOOD)
    assert shim.metrics()["rust_calls"] == 0


def test_malformed_bools_take_defaults(schema: Any, caplog: Any) -> None:
    env = {"FRAISEQL_USE_RUST_QUERY_BUILDER": "maybe", "FRAISEQL_RUST_QB_FALLBACK": "2",
           "FRAISEQL_USE_PYTHON_QUERY_BUILDER": "y", "FRAISEQL_LOG_QUERY_BUILDER_MODE": ""}
    with caplog.at_level(logging.WARNING, logger="fraiseql_qb.rollout"):
        shim = make(env, schema=schema)
    c = shim.config
    assert (c["use_native"], c["fallback"], c["kill_switch"], c["log_mode"]) == (False, True, False, False)
    assert [w["variable"] for w in shim.warnings] == [
        "FRAISEQL_USE_RUST_QUERY_BUILDER", "FRAISEQL_RUST_QB_FALLBACK", "FRAISEQL_USE_PYTHON_QUERY_BUILDER"]


def test_reload_rereads_env(schema: Any) -> None:
    env = {"FRAISEQL_RUST_QB_PERCENTAGE": "0"}
    shim = make(env, schema=schema)
    shim.build(GOOD)
    env["FRAISEQL_RUST_QB_PERCENTAGE"] = "100"
    shim.reload()
    shim.build(GOOD)
    m = shim.metrics()
    assert (m["python_calls"], m["rust_calls"]) == (1, 1)  # counters kept across reload


def test_process_env_is_read(schema: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("FRAISEQL_RUST_QB_PERCENTAGE", "42.5")
    shim = RolloutQueryBuilder(legacy, schema)
    assert shim.config["percentage_bp"] == 4250


def test_legacy_error_propagates_unchanged(schema: Any) -> None:
    err = Boom("legacy broke")

    def broken(q: Any) -> Any:
        raise err

    shim = make({}, legacy_fn=broken, schema=schema)
    with pytest.raises(Boom) as info:
        shim.build(GOOD)
    assert info.value is err
    m = shim.metrics()
    assert (m["python_calls"], m["python_errors"], m["total_calls"]) == (1, 1, 1)
    # ... also when the legacy builder serves a fallback.
    shim2 = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1"}, legacy_fn=broken, schema=schema)
    with pytest.raises(Boom) as info:
        shim2.build(BAD)
    assert info.value is err


def test_log_handler_raising_never_fails_a_call(schema: Any) -> None:
    log = logging.getLogger("fraiseql_qb.rollout")
    handler = RaisingHandler()
    log.addHandler(handler)
    old = log.level
    log.setLevel(logging.DEBUG)
    try:
        shim = make({"FRAISEQL_LOG_QUERY_BUILDER_MODE": "on", "FRAISEQL_RUST_QB_PERCENTAGE": "50"},
                    schema=schema)
        for q in (GOOD, BAD, GOOD, BAD):
            shim.build(q)
        assert shim.metrics()["total_calls"] == 4
    finally:
        log.removeHandler(handler)
        log.setLevel(old)


def test_log_lines(schema: Any, caplog: Any) -> None:
    shim = make({"FRAISEQL_LOG_QUERY_BUILDER_MODE": "true", "FRAISEQL_USE_RUST_QUERY_BUILDER": "1"},
                schema=schema)
    with caplog.at_level(logging.DEBUG, logger="fraiseql_qb.rollout"):
        shim.build(GOOD)
        shim.build(BAD)
    msgs = [r.getMessage() for r in caplog.records]
    assert msgs[0] == 'fraiseql query builder: view "v_user" served by rust (reason=forced)'
    assert msgs[1].startswith('fraiseql query builder: view "v_user" native build failed, served by python (fallback): QB_UNKNOWN_FIELD')
    assert msgs[2] == 'fraiseql query builder: view "v_user" served by python (reason=forced)'


def test_metrics_hook_and_comparator_failures_are_swallowed(schema: Any) -> None:
    def hook(event: Any) -> None:
        raise RuntimeError("hook broke")

    def cmp(a: Any, b: Any) -> bool:
        raise RuntimeError("comparator broke")

    shim = make({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"}, schema=schema,
                metrics_hook=hook, comparator=cmp)
    assert shim.build(GOOD).sql == LEGACY_SQL
    m = shim.metrics()
    assert (m["shadow_runs"], m["shadow_errors"], m["shadow_mismatches"]) == (1, 1, 0)


def test_shadow_compares_and_keeps_mismatches(schema: Any) -> None:
    same = lambda q: fraiseql_qb.compile(q, schema)  # noqa: E731
    shim = make({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"}, legacy_fn=same, schema=schema)
    shim.build(GOOD)
    assert shim.metrics()["shadow_mismatches"] == 0
    shim2 = make({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"}, schema=schema, shadow_keep_last=1)
    shim2.build(GOOD)
    shim2.build(BAD)
    m = shim2.metrics()
    assert (m["shadow_runs"], m["shadow_mismatches"], m["shadow_errors"], m["rust_calls"]) == (2, 2, 1, 0)
    kept = shim2.shadow_mismatches()
    assert len(kept) == 1 and kept[0]["seq"] == 2 and kept[0]["result"] == "native_error"
    assert kept[0]["view"] == "v_user" and "emial" in kept[0]["input"]
    assert "fraiseql_query_builder_shadow_mismatches_total 2" in shim2.prometheus_text()


def test_trip_back_opens_on_errors(schema: Any) -> None:
    shim = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1"}, schema=schema,
                trip_back=TripBack(min_calls=5, threshold=50.0))
    for _ in range(5):
        shim.build(BAD)
    assert shim.trip_state == "open"
    before = shim.metrics()["rust_calls"]
    shim.build(GOOD)
    m = shim.metrics()
    assert m["rust_calls"] == before and m["trips_total"] == 1 and m["trip_state"] == "open"
    shim.configure(trip_back=False)
    assert shim.trip_state == "closed"


def test_sticky_routing_by_key(schema: Any) -> None:
    shim = make({"FRAISEQL_RUST_QB_STICKY": "true", "FRAISEQL_RUST_QB_PERCENTAGE": "50"}, schema=schema)
    keys = [f"tenant-{i}" for i in range(200)]
    first = [shim.build(GOOD, key=k).sql == LEGACY_SQL for k in keys]
    again = [shim.build(GOOD, key=k).sql == LEGACY_SQL for k in keys]
    assert first == again and 0 < sum(first) < len(keys)


def test_eight_threads_exact_totals(schema: Any) -> None:
    shim = make({"FRAISEQL_RUST_QB_PERCENTAGE": "50"}, schema=schema)
    per_thread, threads = 2_000, 8
    barrier = threading.Barrier(threads)
    errors: List[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            for j in range(per_thread):
                shim.build(BAD if j % 10 == 0 else GOOD)
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    m = shim.metrics()
    n = per_thread * threads
    assert m["total_calls"] == n
    assert m["rust_calls"] + m["python_calls"] - m["rust_fallbacks"] == n
    assert m["rust_errors"] == m["rust_fallbacks"]
    assert m["python_calls"] == n - (m["rust_calls"] - m["rust_errors"])


def test_reconfiguring_while_threads_build(schema: Any) -> None:
    # build() is native and reads the routing settings that reload()/configure() swap in;
    # a large query releases the GIL while compiling, so swaps happen mid-call.
    assert type(rollout.RolloutQueryBuilder.build).__name__ == "method_descriptor"
    shim = make({"FRAISEQL_RUST_QB_PERCENTAGE": "50"}, schema=schema)
    big = {"view": "v_user", "select": ["id"],
           "where": {"email": {"in": [f"u{i}@example.com" for i in range(3000)]}}}
    per_thread, threads = 300, 4
    stop = threading.Event()
    errors: List[BaseException] = []

    def work() -> None:
        try:
            for j in range(per_thread):
                shim.build(big if j % 5 == 0 else GOOD)
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    def churn() -> None:
        i = 0
        while not stop.is_set():
            shim.configure(percentage=(0, 100, 50)[i % 3], log_mode=bool(i % 2))
            i += 1

    ts = [threading.Thread(target=work) for _ in range(threads)]
    c = threading.Thread(target=churn)
    c.start()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    stop.set()
    c.join()
    assert not errors
    m = shim.metrics()
    assert m["total_calls"] == per_thread * threads
    assert m["rust_calls"] + m["python_calls"] == per_thread * threads


def test_global_metrics_have_exactly_the_seed_keys(schema: Any) -> None:
    before = get_query_builder_metrics()
    assert list(before) == list(rollout.SEED_KEYS)
    make({}, schema=schema).build(GOOD)
    after = get_query_builder_metrics()
    assert after["python_calls"] == before["python_calls"] + 1
    assert list(get_query_builder_metrics(extended=True))[:9] == list(rollout.SEED_KEYS)
    assert len(get_query_builder_metrics(extended=True)) == 16


GOLDEN_OK = [c for c in CASES if c.file("sql").exists()]


@pytest.mark.parametrize("percent", ["0", "100"])
def test_golden_corpus_through_the_shim(schema: Any, percent: str) -> None:
    """At 100 % the shim serves the native result; at 0 % the legacy one (here a legacy that
    happens to be the native compiler), unchanged either way."""
    for case in GOLDEN_OK:
        s = case_schema(case, schema)
        legacy_fn = lambda q, s=s, p=case.placeholder: fraiseql_qb.compile(q, s, placeholder=p)  # noqa: E731
        shim = RolloutQueryBuilder(legacy_fn, s, placeholder=case.placeholder,
                                   env={"FRAISEQL_RUST_QB_PERCENTAGE": percent})
        out = shim.build(case.query)
        assert out.sql + "\n" == case.file("sql").read_text(), case.name
        m = shim.metrics()
        assert (m["rust_calls"], m["python_calls"]) == ((1, 0) if percent == "100" else (0, 1))
