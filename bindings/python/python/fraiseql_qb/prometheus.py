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
        # The families, their kinds and HELP lines come from the engine's one table
        # (``_native.prometheus_families()``); the samples of each are the engine's
        # ``family_value``, under the family's name in ``v``.
        out = []
        for name, kind, help_, by_builder in _native.prometheus_families():
            samples = None if v is None else v[name]
            if kind == "histogram":
                family = HistogramMetricFamily(name, help_, labels=["builder_type"])
                for b, h in (samples or {}).items():
                    family.add_metric([b], list(h["buckets"]), h["sum_seconds"])
            else:
                cls = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
                if by_builder:
                    family = cls(name, help_, labels=["builder_type"])
                    for b, x in (samples or {}).items():
                        family.add_metric([b], x)
                else:
                    family = cls(name, help_, value=samples)
            out.append(family)
        return iter(out)


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
