"""tests/rollout/vectors.json through the Python entry points (config parsing, the native
engine handle the shim uses, Prometheus text)."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest

from fraiseql_qb import _native
from fraiseql_qb.rollout import config_from_env
from conftest import VECTORS

V = json.loads(VECTORS.read_text())
TOL = V["float_tolerance"]


def full_config(partial: Dict[str, Any]) -> Dict[str, Any]:
    out = json.loads(json.dumps(V["config_defaults"]))
    out.update(partial)
    return out


def assert_metrics(name: str, got: Dict[str, Any], want: Dict[str, Any]) -> None:
    assert list(got) == list(want), f"{name}: keys"
    for k, w in want.items():
        g = got[k]
        if isinstance(w, float):
            assert abs(g - w) <= TOL * max(1.0, abs(w)), f"{name}: {k} = {g}, want {w}"
        else:
            assert g == w and type(g) is type(w), f"{name}: {k} = {g!r}, want {w!r}"


def test_format_and_defaults() -> None:
    assert V["format"] == 1
    assert _native.Rollout().config() == V["config_defaults"]


@pytest.mark.parametrize("case", V["env"], ids=lambda c: c["name"])
def test_env(case: Dict[str, Any]) -> None:
    config, warnings = config_from_env(case["env"])
    assert config == case["config"]
    assert [{k: w[k] for k in ("variable", "value", "expected", "default")} for w in warnings] == case["warnings"]
    for w in warnings:
        assert w["variable"] in w["message"] and w["default"] in w["message"]


@pytest.mark.parametrize("case", V["sticky"], ids=lambda c: repr(c["key"]))
def test_sticky(case: Dict[str, Any]) -> None:
    h, bucket = _native.sticky_bucket(case["key"])
    assert f"{h:016x}" == case["fnv1a64"]
    assert bucket == case["bucket"]
    for r in case["routes"]:
        engine = _native.Rollout({"sticky": True, "percentage_bp": r["percentage_bp"]})
        native, _shadow, reason, _probe, b = engine.decide(case["key"])
        assert ("native" if native else "legacy") == r["route"]
        assert reason == "sticky_bucket" and b == bucket


@pytest.mark.parametrize("case", V["decisions"], ids=lambda c: c["name"])
def test_decision(case: Dict[str, Any]) -> None:
    engine = _native.Rollout(case["config"], sampler="counting")
    engine.set_legacy_registered(case["legacy_registered"])
    engine.set_native_available(case["native_available"])
    native, shadow, reason, _probe, bucket = engine.decide(case["key"])
    assert ("native" if native else "legacy") == case["route"]
    assert reason == case["reason"]
    assert shadow == case["shadow"]
    assert bucket == case["bucket"]
    assert engine.samples_drawn() == 0, "deterministic decisions draw no randomness"


def run_events(engine: Any, name: str, events: Any) -> None:
    for i, e in enumerate(events):
        op = e["op"]
        if op == "native_ok":
            engine.record_native_ok(e["duration_ns"])
        elif op == "native_err":
            engine.record_native_err(e["duration_ns"], e["fell_back"])
        elif op == "legacy_ok":
            engine.record_legacy_ok(e["duration_ns"])
        elif op == "legacy_err":
            engine.record_legacy_err(e["duration_ns"])
        elif op == "shadow":
            engine.record_shadow(e["result"], e["view"], e["input"])
        elif op == "advance_ms":
            engine.advance_ms(e["ms"])
        elif op == "trip_state":
            assert engine.trip_state() == e["state"], f"{name}: event {i}"
        elif op == "decide":
            native, _s, reason, probe, _b = engine.decide(e["key"])
            assert ("native" if native else "legacy") == e["route"], f"{name}: {i}"
            assert reason == e["reason"], f"{name}: {i}"
            assert probe == e["probe"], f"{name}: {i} probe"
        else:
            raise AssertionError(f"{name}: unknown op {op}")


@pytest.mark.parametrize("case", V["sequences"], ids=lambda c: c["name"])
def test_sequence(case: Dict[str, Any]) -> None:
    engine = _native.Rollout(case["config"], manual_clock=True, sampler="counting")
    if "legacy_registered" in case:
        engine.set_legacy_registered(case["legacy_registered"])
    run_events(engine, case["name"], case["events"])
    assert_metrics(case["name"], engine.snapshot(), case["metrics"])
    if "shadow_kept" in case:
        assert engine.shadow_mismatches() == case["shadow_kept"]


@pytest.mark.parametrize("case", V["prometheus"], ids=lambda c: c["name"])
def test_prometheus_text(case: Dict[str, Any]) -> None:
    engine = _native.Rollout(manual_clock=True, sampler="counting")
    engine.set_native_available(case["native_available"])
    run_events(engine, case["name"], case["events"])
    assert engine.prometheus_text() == case["text"]
