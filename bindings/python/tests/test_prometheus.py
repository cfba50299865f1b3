"""prometheus_client integration: scrape generate_latest() for the contract's names."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from fraiseql_qb.prometheus import register_collector
from fraiseql_qb.rollout import RolloutQueryBuilder, get_prometheus_text

SEED_NAMES = [
    "fraiseql_query_builder_calls_total",
    "fraiseql_query_builder_errors_total",
    "fraiseql_query_builder_fallbacks_total",
    "fraiseql_query_build_duration_seconds",
    "fraiseql_query_builder_mode",
    "fraiseql_rust_query_builder_available",
]
EXTRA_NAMES = [
    "fraiseql_query_builder_shadow_mismatches_total",
    "fraiseql_query_builder_trip_state",
    "fraiseql_query_builder_trips_total",
]
GOOD = {"view": "v_user", "select": ["id"]}
BAD = {"view": "v_user", "select": ["nope"]}


def test_shim_collector_on_own_registry(schema: Any) -> None:
    shim = RolloutQueryBuilder(lambda q: ("SELECT 1", []), schema,
                               env={"FRAISEQL_USE_RUST_QUERY_BUILDER": "1"})
    shim.build(GOOD)
    shim.build(BAD)  # native error, fallback
    registry = CollectorRegistry()
    register_collector(registry, shim)
    text = generate_latest(registry).decode()
    for name in SEED_NAMES + EXTRA_NAMES:
        base = name[: -len("_total")] if name.endswith("_total") else name
        assert f"# TYPE {name} " in text or f"# TYPE {base} " in text, name
    assert 'fraiseql_query_builder_calls_total{builder_type="rust"} 2.0' in text
    assert 'fraiseql_query_builder_calls_total{builder_type="python"} 1.0' in text
    assert 'fraiseql_query_builder_errors_total{builder_type="rust"} 1.0' in text
    assert "fraiseql_query_builder_fallbacks_total 1.0" in text
    assert 'fraiseql_query_build_duration_seconds_bucket{builder_type="rust",le="0.000001"}' in text
    assert 'fraiseql_query_build_duration_seconds_count{builder_type="rust"} 2.0' in text
    assert "fraiseql_query_builder_mode 0.0" in text  # legacy served the last call
    assert "fraiseql_rust_query_builder_available 1.0" in text


def test_default_registry_process_wide(schema: Any) -> None:
    collector = register_collector()
    try:
        RolloutQueryBuilder(lambda q: ("SELECT 1", []), schema, env={}).build(GOOD)
        text = generate_latest(REGISTRY).decode()
        for name in SEED_NAMES:
            assert name in text, name
        assert 'fraiseql_query_builder_calls_total{builder_type="python"}' in text
    finally:
        REGISTRY.unregister(collector)


def test_native_text_has_every_family() -> None:
    text = get_prometheus_text()
    for name in SEED_NAMES + EXTRA_NAMES:
        assert f"# TYPE {name} " in text, name
