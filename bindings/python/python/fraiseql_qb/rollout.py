"""The rollout shim: keep your existing ("legacy") query builder and move traffic to the
native compiler step by step. The contract is docs/rollout.md (identical in every binding).

Routing, exact metrics, trip-back, the shadow store and the Prometheus text live in the Rust
engine (qb-rollout); this module calls your legacy builder, times the calls with a
monotonic clock, logs and converts types.

>>> from fraiseql_qb.rollout import RolloutQueryBuilder, get_query_builder_metrics
>>> shim = RolloutQueryBuilder(legacy_build, schema, percentage=10)   # doctest: +SKIP
>>> sql, params = shim.build(query, key=tenant_id)                      # doctest: +SKIP

Environment (read on creation and on :meth:`RolloutQueryBuilder.reload`; keyword arguments
override it): ``FRAISEQL_USE_RUST_QUERY_BUILDER``, ``FRAISEQL_RUST_QB_PERCENTAGE``,
``FRAISEQL_LOG_QUERY_BUILDER_MODE``, ``FRAISEQL_RUST_QB_FALLBACK``,
``FRAISEQL_USE_PYTHON_QUERY_BUILDER`` (kill switch), ``FRAISEQL_RUST_QB_STICKY``,
``FRAISEQL_RUST_QB_SHADOW_PERCENTAGE``, ``FRAISEQL_RUST_QB_TRIP_BACK``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from time import perf_counter_ns
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from ._loader import native as _native

CompiledQuery = _native.CompiledQuery
Schema = _native.Schema

logger = logging.getLogger("fraiseql_qb.rollout")

#: The seed's metric keys, in order (``get_query_builder_metrics()`` returns exactly these).
SEED_KEYS: Tuple[str, ...] = tuple(_native.seed_keys())

#: Environment variables read by the shim, in the engine's order.
ENV_VARS: Tuple[str, ...] = tuple(_native.env_vars())

LegacyBuilder = Callable[[Any], Any]
Comparator = Callable[[CompiledQuery, CompiledQuery], bool]


class NoBuilderAvailableError(RuntimeError):
    """Neither builder can serve: the native one is unavailable and no legacy is registered."""


@dataclass(frozen=True)
class TripBack:
    """Automatic trip-back settings (docs/rollout.md section 7); ``trip_back=True`` uses
    these defaults."""

    enabled: bool = True
    window_s: float = 60.0
    min_calls: int = 20
    threshold: float = 50.0
    cool_down_s: float = 30.0
    probe_successes: int = 5

    def canonical(self) -> Dict[str, Any]:
        return {
            "enabled": bool(self.enabled),
            "window_ms": int(round(self.window_s * 1000)),
            "min_calls": int(self.min_calls),
            "threshold_bp": percentage_bp(self.threshold),
            "cool_down_ms": int(round(self.cool_down_s * 1000)),
            "probe_successes": int(self.probe_successes),
        }


def percentage_bp(value: Union[int, float, str, Decimal]) -> int:
    """A percentage (0-100, at most two decimals) as basis points: ``12.5`` -> ``1250``.

    Raises ValueError for anything else (programmatic settings are not forgiven like
    environment values: they are code)."""
    if isinstance(value, bool):
        raise ValueError(f"percentage must be a number from 0 to 100, got {value!r}")
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"percentage must be a number from 0 to 100, got {value!r}") from None
    if not d.is_finite() or d < 0 or d > 100:
        raise ValueError(f"percentage must be a number from 0 to 100, got {value!r}")
    bp = d * 100
    if bp != bp.to_integral_value():
        # Floats like 0.1 + 0.2: round to the nearest basis point.
        bp = bp.quantize(Decimal(1))
    return int(bp)


def _env_pairs(env: Optional[Mapping[str, str]]) -> List[Tuple[str, str]]:
    source = os.environ if env is None else env
    # A value that is not valid UTF-8 (os.environ keeps such bytes as surrogate escapes)
    # reaches the engine with U+FFFD in their place: malformed, so the default applies and a
    # warning names it.
    return [
        (name, source[name].encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        for name in ENV_VARS
        if name in source
    ]


def config_from_env(
    env: Optional[Mapping[str, str]] = None,
) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Parse the environment (``os.environ`` by default) like a shim does: returns the
    canonical config dict and the warnings (dicts with ``variable``, ``value``,
    ``expected``, ``default`` and ``message``) for malformed values."""
    return _native.resolve_config(_env_pairs(env), None)


def _view_of(query: Any) -> str:
    try:
        if isinstance(query, Mapping):
            view = query.get("view")
        elif isinstance(query, str):
            view = json.loads(query).get("view")
        else:
            view = None
        return view if isinstance(view, str) else "?"
    except Exception:
        return "?"


def _describe(query: Any) -> str:
    try:
        return _native.to_json(query)
    except Exception:
        try:
            return repr(query)
        except Exception:
            return "<unprintable input>"


def _same(legacy: CompiledQuery, native: CompiledQuery) -> bool:
    return legacy.sql == native.sql and list(legacy.params) == list(native.params)


class RolloutQueryBuilder(_native.ShimCore):
    """Serves ``build(query, *, key=None)`` with the native compiler or with ``legacy``, per
    the rollout configuration, and keeps exact metrics.

    ``build`` is native (inherited from ``_native.ShimCore``): a call routed native with
    nothing to log returns without running Python code; every other outcome continues in
    :meth:`_finish`.

    ``legacy`` is any callable taking the same query and returning ``(sql, params)`` or a
    :class:`~fraiseql_qb.CompiledQuery`; ``None`` means every call is native.
    ``schema`` is a :class:`~fraiseql_qb.Schema` (or a dict, validated once here).
    ``placeholder`` must be the style your legacy builder writes, so both builders'
    results are interchangeable (and comparable in shadow mode).

    Keyword settings override the environment; ``None`` keeps the environment's value:
    ``use_native``, ``percentage`` (0-100), ``log_mode``, ``fallback``, ``kill_switch``,
    ``sticky``, ``shadow_percentage`` / ``shadow_keep_last`` (replace the shadow settings),
    ``trip_back`` (bool or :class:`TripBack`). Hooks: ``comparator(legacy, native) -> bool``
    for shadow mode and ``metrics_hook(event_dict)`` after every call; a hook, a log handler
    or a comparator that raises never fails the call. ``env`` replaces ``os.environ`` (tests).
    """

    def __init__(
        self,
        legacy: Optional[LegacyBuilder],
        schema: Union[Schema, Mapping[str, Any], str],
        *,
        placeholder: str = "numbered",
        use_native: Optional[bool] = None,
        percentage: Optional[Union[int, float, str, Decimal]] = None,
        log_mode: Optional[bool] = None,
        fallback: Optional[bool] = None,
        kill_switch: Optional[bool] = None,
        sticky: Optional[bool] = None,
        shadow_percentage: Optional[Union[int, float, str, Decimal]] = None,
        shadow_keep_last: Optional[int] = None,
        trip_back: Optional[Union[bool, TripBack]] = None,
        comparator: Optional[Comparator] = None,
        metrics_hook: Optional[Callable[[Dict[str, Any]], None]] = None,
        env: Optional[Mapping[str, str]] = None,
        _engine: Optional[_native.Rollout] = None,
    ) -> None:
        if placeholder not in ("numbered", "format"):
            raise ValueError(f'placeholder must be "numbered" or "format", got {placeholder!r}')
        self._schema = schema if isinstance(schema, Schema) else Schema(schema)
        self._placeholder = placeholder
        self._legacy = legacy
        self._comparator = comparator
        self._metrics_hook = metrics_hook
        self._env = env
        self._lock = threading.Lock()
        self._overrides: Dict[str, Any] = {}
        self._engine = _engine if _engine is not None else _native.Rollout()
        self._engine.set_legacy_registered(legacy is not None)
        self.warnings: List[Dict[str, Any]] = []
        self.configure(
            use_native=use_native,
            percentage=percentage,
            log_mode=log_mode,
            fallback=fallback,
            kill_switch=kill_switch,
            sticky=sticky,
            shadow_percentage=shadow_percentage,
            shadow_keep_last=shadow_keep_last,
            trip_back=trip_back,
        )

    # -- configuration ----------------------------------------------------------------

    def configure(
        self,
        *,
        use_native: Optional[bool] = None,
        percentage: Optional[Union[int, float, str, Decimal]] = None,
        log_mode: Optional[bool] = None,
        fallback: Optional[bool] = None,
        kill_switch: Optional[bool] = None,
        sticky: Optional[bool] = None,
        shadow_percentage: Optional[Union[int, float, str, Decimal]] = None,
        shadow_keep_last: Optional[int] = None,
        trip_back: Optional[Union[bool, TripBack]] = None,
    ) -> None:
        """Change programmatic settings at runtime (no restart); ``None`` leaves a setting
        as it is. The environment is re-read too, as on :meth:`reload`."""
        new: Dict[str, Any] = {}
        for name, value in (
            ("use_native", use_native),
            ("log_mode", log_mode),
            ("fallback", fallback),
            ("kill_switch", kill_switch),
            ("sticky", sticky),
        ):
            if value is not None:
                new[name] = bool(value)
        if percentage is not None:
            new["percentage_bp"] = percentage_bp(percentage)
        if shadow_percentage is not None or shadow_keep_last is not None:
            shadow: Dict[str, Any] = dict(self._overrides.get("shadow") or {})
            if shadow_percentage is not None:
                shadow["percentage_bp"] = percentage_bp(shadow_percentage)
            if shadow_keep_last is not None:
                shadow["keep_last"] = int(shadow_keep_last)
            new["shadow"] = shadow
        if trip_back is not None:
            if isinstance(trip_back, TripBack):
                new["trip"] = trip_back.canonical()
            else:
                new["trip"] = TripBack(enabled=bool(trip_back)).canonical()
        with self._lock:
            self._overrides.update(new)
        self.reload()

    def reload(self) -> None:
        """Re-read the environment, re-apply the programmatic settings, log one warning per
        malformed variable. Counters are kept."""
        with self._lock:
            pairs = _env_pairs(self._env)
            overrides = dict(self._overrides)
            if "shadow" in overrides:
                # The engine replaces the whole shadow sub-config; keep the environment's
                # value for a shadow setting the caller did not give.
                env_config, _ = _native.resolve_config(pairs, None)
                overrides["shadow"] = {**env_config["shadow"], **overrides["shadow"]}
            config, warnings = _native.resolve_config(pairs, overrides)
            self._engine.apply(config)
            self._fallback = bool(config["fallback"])
            self._log_mode = bool(config["log_mode"])
            # Precomputed for build(): whether a native failure may go to legacy, and whether
            # a served native call needs anything after it (logging, the metrics hook).
            self._can_fall_back = self._fallback and self._legacy is not None
            self._quiet = not self._log_mode and self._metrics_hook is None
            self._set_route(
                self._engine, self._schema, self._placeholder, self._can_fall_back, self._quiet
            )
            self.warnings = warnings
        for w in warnings:
            try:
                logger.warning(w["message"])
            except Exception:
                pass

    @property
    def config(self) -> Dict[str, Any]:
        """The configuration in force (canonical dict: percentages in basis points)."""
        return self._engine.config()

    @property
    def legacy(self) -> Optional[LegacyBuilder]:
        return self._legacy

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def native_available(self) -> bool:
        return self._engine.native_available

    def set_native_available(self, available: bool) -> None:
        """Mark the native compiler (un)usable: when not, every call is legacy."""
        self._engine.set_native_available(bool(available))

    @property
    def trip_state(self) -> str:
        """``closed``, ``open`` or ``half_open``."""
        return self._engine.trip_state()

    # -- the call -----------------------------------------------------------------------

    def _call_legacy(self, query: Any) -> CompiledQuery:
        if self._legacy is None:
            raise NoBuilderAvailableError(
                "fraiseql rollout: the native compiler is unavailable and no legacy builder "
                "is registered"
            )
        result = self._legacy(query)
        if isinstance(result, CompiledQuery):
            return result
        sql, params = result
        return CompiledQuery(sql, params)

    # ``build(query, *, key=None)`` is ``_native.ShimCore.build``: it decides, compiles when
    # the decision is native, records the outcome, and returns at once when that is all
    # there is to do; otherwise it calls ``_finish`` with what happened.

    def __call__(self, query: Any, *, key: Optional[str] = None) -> CompiledQuery:
        return self.build(query, key=key)

    def _finish(
        self,
        query: Any,
        native: bool,
        shadow: bool,
        reason: str,
        result: Optional[CompiledQuery],
        error: Optional[BaseException],
        elapsed: int,
    ) -> CompiledQuery:
        """The rest of a ``build`` call after the native routing step: fallback, the
        legacy call, shadow comparison, logging and the metrics hook."""
        engine = self._engine
        can_fall_back = self._can_fall_back
        fell_back = False
        if native:
            if error is not None:
                fell_back = can_fall_back
                if not fell_back:
                    raise error
                if self._log_mode:
                    self._log(_native.fallback_log_line, _view_of(query), str(error))
                t = perf_counter_ns()
                try:
                    result = self._call_legacy(query)
                except BaseException:
                    engine.record_legacy_err(perf_counter_ns() - t)
                    raise
                elapsed = perf_counter_ns() - t
                engine.record_legacy_ok(elapsed)
                native = False
        else:
            t = perf_counter_ns()
            try:
                result = self._call_legacy(query)
            except BaseException:
                engine.record_legacy_err(perf_counter_ns() - t)
                raise
            elapsed = perf_counter_ns() - t
            engine.record_legacy_ok(elapsed)
            if shadow:
                self._shadow(query, result)
        if self._log_mode:
            self._log(_native.served_log_line, _view_of(query), native, reason)
        if self._metrics_hook is not None:
            try:
                self._metrics_hook(
                    {
                        "view": _view_of(query),
                        "served_by": "rust" if native else "python",
                        "reason": reason,
                        "fallback": fell_back,
                        "duration_ns": elapsed,
                    }
                )
            except Exception:
                pass
        return result

    def _log(self, line: Callable[..., str], *args: Any) -> None:
        try:
            logger.debug(line(*args))
        except Exception:
            pass

    def _shadow(self, query: Any, legacy: CompiledQuery) -> None:
        view = "?"
        try:
            view = _view_of(query)
            try:
                native = _native.compile(query, self._schema, placeholder=self._placeholder)
            except Exception as err:
                self._engine.record_shadow(
                    "native_error", view, f"query={_describe(query)} native_error={err}"
                )
                return
            try:
                cmp = self._comparator
                same = bool(cmp(legacy, native)) if cmp is not None else _same(legacy, native)
            except Exception:
                self._engine.record_shadow("comparator_error", view, "")
                return
            if same:
                self._engine.record_shadow("match", view, "")
            else:
                self._engine.record_shadow(
                    "mismatch",
                    view,
                    f"query={_describe(query)} legacy={legacy!r} native={native!r}",
                )
        except Exception:
            try:
                self._engine.record_shadow("comparator_error", view, "")
            except Exception:
                pass

    # -- metrics ------------------------------------------------------------------------

    def metrics(self) -> Dict[str, Any]:
        """This shim's metrics: the seed's nine keys, then the extras (docs/rollout.md)."""
        return self._engine.snapshot()

    def prometheus_text(self) -> str:
        """This shim's metrics in Prometheus text format 0.0.4."""
        return self._engine.prometheus_text()

    def prometheus_values(self) -> Dict[str, Any]:
        return self._engine.prometheus_values()

    def shadow_mismatches(self) -> List[Dict[str, Any]]:
        """The last ``shadow_keep_last`` mismatching inputs, oldest first."""
        return self._engine.shadow_mismatches()

    def reset_metrics(self) -> None:
        """Zero this shim's counters (the process-wide totals keep counting)."""
        self._engine.reset_metrics()

    def __repr__(self) -> str:
        return f"<RolloutQueryBuilder legacy={self._legacy!r} config={self.config!r}>"


def get_query_builder_metrics(*, extended: bool = False) -> Dict[str, Any]:
    """Process-wide metrics (every shim of the process): exactly the seed's nine keys, or
    all sixteen keys of docs/rollout.md with ``extended=True``."""
    snap = _native.global_snapshot()
    if extended:
        return snap
    return {k: snap[k] for k in SEED_KEYS}


def get_prometheus_text() -> str:
    """Process-wide metrics in Prometheus text format 0.0.4 (serve it as is, or use
    :mod:`fraiseql_qb.prometheus` with ``prometheus_client``)."""
    return _native.global_prometheus_text()


__all__ = [
    "ENV_VARS",
    "SEED_KEYS",
    "NoBuilderAvailableError",
    "RolloutQueryBuilder",
    "TripBack",
    "config_from_env",
    "get_prometheus_text",
    "get_query_builder_metrics",
    "logger",
    "percentage_bp",
]
