"""``prometheus_client`` integration (install ``fraiseql-qb[prometheus]``).

>>> from fraiseql_qb.prometheus import register_collector
>>> register_collector()                 # process-wide metrics on the default REGISTRY
>>> register_collector(registry, shim)   # one shim's metrics on your registry

The collector reads the engine's raw numbers on every scrape and exposes the families of
docs/rollout.md: ``fraiseql_query_builder_calls_total{builder_type}``,
``fraiseql_query_builder_errors_total{builder_type}``,
``fraiseql_query_builder_fallbacks_total``,
``fraiseql_query_build_duration_seconds{builder_type}`` (histogram, 1 µs .. 100 ms),
``fraiseql_query_builder_mode``, ``fraiseql_rust_query_builder_available``,
``fraiseql_query_builder_shadow_mismatches_total``, ``fraiseql_query_builder_trip_state``
and ``fraiseql_query_builder_trips_total``. ``builder_type`` is ``rust`` or ``python``.
A failure while collecting is logged and yields no samples: a scrape never breaks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional

from prometheus_client.core import (
    REGISTRY,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from ._loader import native as _native

if TYPE_CHECKING:  # pragma: no cover
    from prometheus_client.registry import CollectorRegistry

    from .rollout import RolloutQueryBuilder

logger = logging.getLogger("fraiseql_qb.rollout")

_BUILDERS = ("rust", "python")


class QueryBuilderCollector:
    """A custom collector over one shim (``shim``) or the whole process (``shim=None``)."""

    def __init__(self, shim: Optional["RolloutQueryBuilder"] = None) -> None:
        self._shim = shim

    def _values(self) -> Dict[str, Any]:
        if self._shim is None:
            return _native.global_prometheus_values()
        return self._shim.prometheus_values()

    def describe(self) -> Iterator[Any]:
        # Registration-time name check without touching the engine's state.
        return self._families(None)

    def collect(self) -> Iterator[Any]:
        try:
            families = list(self._families(self._values()))
        except Exception:
            logger.exception("fraiseql_qb: collecting query builder metrics failed")
            return iter(())
        return iter(families)

    def _families(self, v: Optional[Dict[str, Any]]) -> Iterator[Any]:
        calls = CounterMetricFamily(
            "fraiseql_query_builder_calls_total",
            "Query builder invocations by builder type.",
            labels=["builder_type"],
        )
        errors = CounterMetricFamily(
            "fraiseql_query_builder_errors_total",
            "Failed query builder invocations by builder type.",
            labels=["builder_type"],
        )
        duration = HistogramMetricFamily(
            "fraiseql_query_build_duration_seconds",
            "Query build duration in seconds by builder type.",
            labels=["builder_type"],
        )
        if v is not None:
            for b in _BUILDERS:
                r = v[b]
                calls.add_metric([b], r["calls"])
                errors.add_metric([b], r["errors"])
                duration.add_metric([b], list(r["buckets"]), r["sum_seconds"])
        fallbacks = CounterMetricFamily(
            "fraiseql_query_builder_fallbacks_total",
            "Native failures served by the legacy builder.",
            value=None if v is None else v["fallbacks"],
        )
        mode = GaugeMetricFamily(
            "fraiseql_query_builder_mode",
            "Builder that served the last call: 0 legacy, 1 native.",
            value=None if v is None else v["mode"],
        )
        available = GaugeMetricFamily(
            "fraiseql_rust_query_builder_available",
            "Whether the native query builder is available: 0 or 1.",
            value=None if v is None else v["native_available"],
        )
        mismatches = CounterMetricFamily(
            "fraiseql_query_builder_shadow_mismatches_total",
            "Shadow comparisons where the native result differed from legacy.",
            value=None if v is None else v["shadow_mismatches"],
        )
        trip_state = GaugeMetricFamily(
            "fraiseql_query_builder_trip_state",
            "Automatic trip-back state: 0 closed, 1 open, 2 half-open.",
            value=None if v is None else v["trip_state"],
        )
        trips = CounterMetricFamily(
            "fraiseql_query_builder_trips_total",
            "Times automatic trip-back routed everything to legacy.",
            value=None if v is None else v["trips_total"],
        )
        return iter(
            [calls, errors, fallbacks, duration, mode, available, mismatches, trip_state, trips]
        )


def register_collector(
    registry: Optional["CollectorRegistry"] = None,
    shim: Optional["RolloutQueryBuilder"] = None,
) -> QueryBuilderCollector:
    """Create a :class:`QueryBuilderCollector` and register it on ``registry`` (default:
    ``prometheus_client.REGISTRY``). Returns it (``registry.unregister(c)`` removes it)."""
    collector = QueryBuilderCollector(shim)
    (REGISTRY if registry is None else registry).register(collector)
    return collector


__all__ = ["QueryBuilderCollector", "register_collector"]
