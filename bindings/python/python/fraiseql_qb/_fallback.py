"""Stand-in for the native module when it cannot be loaded (wrong platform, broken install).

docs/rollout.md, "native unavailable": every call goes to the legacy builder, counters exist
for the legacy side only, ``fraiseql_rust_query_builder_available`` is 0, and the condition is
reported (a warning on the ``fraiseql_qb.rollout`` logger at import and
``fraiseql_qb.NATIVE_AVAILABLE is False``). ``compile()`` raises
:class:`NativeUnavailableError`. This module mirrors the surface of ``_native`` that
``fraiseql_qb``, ``fraiseql_qb.rollout`` and ``fraiseql_qb.prometheus`` use; it holds no SQL
knowledge.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, List, Optional, Tuple

#: Set by the loader: why the native module could not be imported.
IMPORT_ERROR: Optional[BaseException] = None

_BUCKETS = ("0.000001", "0.000005", "0.00001", "0.000025", "0.00005", "0.0001", "0.00025",
            "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1")
_ENV_VARS = ["FRAISEQL_USE_RUST_QUERY_BUILDER", "FRAISEQL_RUST_QB_PERCENTAGE",
             "FRAISEQL_LOG_QUERY_BUILDER_MODE", "FRAISEQL_RUST_QB_FALLBACK",
             "FRAISEQL_USE_PYTHON_QUERY_BUILDER", "FRAISEQL_RUST_QB_STICKY",
             "FRAISEQL_RUST_QB_SHADOW_PERCENTAGE", "FRAISEQL_RUST_QB_TRIP_BACK"]
_TRUE = {"true", "1", "yes", "on"}


class NativeUnavailableError(RuntimeError):
    """The native compiler could not be loaded; only a legacy builder can serve."""


class QueryBuilderError(Exception):
    """Base of the compiler's errors (never raised while the native module is missing)."""

    code = ""
    number = 0
    path = ""
    message = ""


_ERRORS = [
    ("QB_INVALID_JSON", 1, "InvalidJsonError"), ("QB_INVALID_QUERY", 2, "InvalidQueryError"),
    ("QB_INVALID_SCHEMA", 3, "InvalidSchemaError"), ("QB_UNKNOWN_VIEW", 4, "UnknownViewError"),
    ("QB_UNKNOWN_FIELD", 5, "UnknownFieldError"),
    ("QB_UNKNOWN_OPERATOR", 6, "UnknownOperatorError"),
    ("QB_OPERATOR_TYPE_MISMATCH", 7, "OperatorTypeMismatchError"),
    ("QB_INVALID_VALUE", 8, "InvalidValueError"),
    ("QB_INVALID_IDENTIFIER", 9, "InvalidIdentifierError"),
    ("QB_DEPTH_LIMIT", 10, "DepthLimitError"), ("QB_SIZE_LIMIT", 11, "SizeLimitError"),
    ("QB_INVALID_GROUP_BY", 12, "InvalidGroupByError"), ("QB_UNSUPPORTED", 13, "UnsupportedError"),
    ("QB_INTERNAL", 14, "InternalError"),
]
_CLASSES = {name: type(name, (QueryBuilderError,), {"code": code, "number": number})
            for code, number, name in _ERRORS}
globals().update(_CLASSES)


def error_classes() -> List[Tuple[str, int, type]]:
    return [(code, number, _CLASSES[name]) for code, number, name in _ERRORS]


class CompiledQuery:
    """SQL and params (what a legacy builder returned); unpacks as ``(sql, params)``."""

    __slots__ = ("sql", "params")

    def __init__(self, sql: str, params: Any) -> None:
        self.sql = sql
        self.params = list(params)

    def __iter__(self) -> Any:
        return iter((self.sql, self.params))

    def __eq__(self, other: Any) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, (tuple, CompiledQuery)) else False

    def __repr__(self) -> str:
        return f"CompiledQuery(sql={self.sql!r}, params={self.params!r})"


class Schema:
    """Keeps the registry document as given; nothing can validate it without the core."""

    def __init__(self, schema: Any) -> None:
        self.document = schema


def compile(query: Any, schema: Any, *, placeholder: str = "numbered") -> Any:  # noqa: A001
    raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=False, default=str)


def env_vars() -> List[str]:
    return list(_ENV_VARS)


def seed_keys() -> List[str]:
    # The snapshot lists the seed's nine keys first, as the engine's does.
    return list(_Counters().snapshot())[:9]


def _default_config() -> Dict[str, Any]:
    return {"use_native": False, "percentage_bp": 0, "log_mode": False, "fallback": True,
            "kill_switch": False, "sticky": False,
            "shadow": {"percentage_bp": 0, "keep_last": 0},
            "trip": {"enabled": False, "window_ms": 0, "min_calls": 0, "threshold_bp": 0,
                     "cool_down_ms": 0, "probe_successes": 0}}


def resolve_config(env: List[Tuple[str, str]], overrides: Optional[Dict[str, Any]]):
    """Only ``log_mode`` matters when everything is legacy; the rest is kept as given."""
    config = _default_config()
    for name, value in env:
        if name == "FRAISEQL_LOG_QUERY_BUILDER_MODE":
            config["log_mode"] = value.strip().lower() in _TRUE
    config.update({k: v for k, v in (overrides or {}).items() if k in config})
    return config, []


def served_log_line(view: str, served_native: bool, reason: str) -> str:
    return f"fraiseql query builder: view {json.dumps(view)} served by python (reason={reason})"


def fallback_log_line(view: str, native_error: str) -> str:
    return (f"fraiseql query builder: view {json.dumps(view)} native build failed, "
            f"served by python (fallback): {native_error}")


class _Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.calls = self.errors = 0
        self.total_ns = 0
        self.buckets = [0] * len(_BUCKETS)

    def record(self, duration_ns: int, error: bool) -> None:
        with self.lock:
            self.calls += 1
            self.errors += int(error)
            self.total_ns += duration_ns
            seconds = duration_ns / 1e9
            for i, le in enumerate(_BUCKETS):
                if seconds <= float(le):
                    self.buckets[i] += 1

    def snapshot(self) -> Dict[str, Any]:
        with self.lock:
            avg = self.total_ns / self.calls / 1e6 if self.calls else 0.0
            return {"rust_calls": 0, "python_calls": self.calls, "rust_errors": 0,
                    "rust_fallbacks": 0, "total_calls": self.calls, "rust_percentage": 0.0,
                    "rust_error_rate": 0.0, "avg_rust_time_ms": 0.0, "avg_python_time_ms": avg,
                    "python_errors": self.errors, "shadow_runs": 0, "shadow_mismatches": 0,
                    "shadow_errors": 0, "trip_state": "closed", "trips_total": 0,
                    "native_available": False}

    def values(self) -> Dict[str, Any]:
        with self.lock:
            python = {"calls": self.calls, "errors": self.errors,
                      "buckets": list(zip(_BUCKETS, self.buckets)) + [("+Inf", self.calls)],
                      "count": self.calls, "sum_seconds": self.total_ns / 1e9}
        rust = {"calls": 0, "errors": 0, "buckets": [(le, 0) for le in _BUCKETS] + [("+Inf", 0)],
                "count": 0, "sum_seconds": 0.0}
        return {"rust": rust, "python": python, "fallbacks": 0, "mode": 0,
                "native_available": 0, "shadow_mismatches": 0, "trip_state": 0, "trips_total": 0}

    def text(self) -> str:
        v = self.values()
        out = []
        for name, kind, help_ in (
            ("fraiseql_query_builder_calls_total", "counter", "Query builds by builder."),
            ("fraiseql_query_builder_errors_total", "counter", "Failed query builds by builder."),
        ):
            out += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"]
            key = "calls" if "calls" in name else "errors"
            out += [f'{name}{{builder_type="{b}"}} {v[b][key]}' for b in ("rust", "python")]
        out += ["# HELP fraiseql_query_builder_fallbacks_total Native failures served by legacy.",
                "# TYPE fraiseql_query_builder_fallbacks_total counter",
                "fraiseql_query_builder_fallbacks_total 0",
                "# HELP fraiseql_query_build_duration_seconds Query build duration.",
                "# TYPE fraiseql_query_build_duration_seconds histogram"]
        for b in ("rust", "python"):
            for le, c in v[b]["buckets"]:
                out.append(f'fraiseql_query_build_duration_seconds_bucket{{builder_type="{b}",le="{le}"}} {c}')
            out.append(f'fraiseql_query_build_duration_seconds_sum{{builder_type="{b}"}} {v[b]["sum_seconds"]}')
            out.append(f'fraiseql_query_build_duration_seconds_count{{builder_type="{b}"}} {v[b]["count"]}')
        out += ["# HELP fraiseql_query_builder_mode Builder that served the last call: 0 legacy, 1 native.",
                "# TYPE fraiseql_query_builder_mode gauge", "fraiseql_query_builder_mode 0",
                "# HELP fraiseql_rust_query_builder_available Whether the native query builder is available: 0 or 1.",
                "# TYPE fraiseql_rust_query_builder_available gauge",
                "fraiseql_rust_query_builder_available 0"]
        return "\n".join(out) + "\n"


_GLOBAL = _Counters()


class ShimCore:
    """The shim's base without the native module: ``build`` asks the engine (every call is
    legacy here) and hands the outcome to the subclass's ``_finish``."""

    def _set_route(self, engine: Any, schema: Any, placeholder: str, can_fall_back: bool,
                   quiet: bool) -> None:
        self._route = (engine, schema, placeholder, can_fall_back)

    def build(self, query: Any, *, key: Optional[str] = None) -> Any:
        engine, schema, placeholder, can_fall_back = self._route
        return self._finish(  # type: ignore[attr-defined]
            query, *engine.route(key, query, schema, placeholder, can_fall_back)
        )


class Rollout:
    """Legacy-only engine: every decision is legacy (reason ``native_unavailable``)."""

    def __init__(self, config: Any = None, **_: Any) -> None:
        self._config = _default_config()
        self._counters = _Counters()
        self._legacy = True

    def apply(self, config: Optional[Dict[str, Any]]) -> None:
        self._config.update({k: v for k, v in (config or {}).items() if k in self._config})

    def config(self) -> Dict[str, Any]:
        return dict(self._config)

    def decide(self, key: Optional[str]) -> Tuple[bool, bool, str, bool, Optional[int]]:
        return (False, False, "native_unavailable", False, None)

    def route(self, key: Optional[str], query: Any, schema: Any, placeholder: str,
              can_fall_back: bool) -> Tuple[bool, bool, str, Any, Any, int]:
        return (False, False, "native_unavailable", None, None, 0)

    def record_legacy_ok(self, duration_ns: int) -> None:
        self._counters.record(duration_ns, False)
        _GLOBAL.record(duration_ns, False)

    def record_legacy_err(self, duration_ns: int) -> None:
        self._counters.record(duration_ns, True)
        _GLOBAL.record(duration_ns, True)

    def record_native_ok(self, duration_ns: int) -> None:  # never routed native
        raise NativeUnavailableError("no native calls without the native module")

    record_native_err = record_native_ok

    def record_shadow(self, result: str, view: str, input: str) -> None:
        pass

    def shadow_mismatches(self) -> List[Dict[str, Any]]:
        return []

    def legacy_registered(self) -> bool:
        return self._legacy

    def set_legacy_registered(self, registered: bool) -> None:
        self._legacy = bool(registered)

    def native_available(self) -> bool:
        return False

    def set_native_available(self, available: bool) -> None:
        pass

    def trip_state(self) -> str:
        return "closed"

    def snapshot(self) -> Dict[str, Any]:
        return self._counters.snapshot()

    def prometheus_text(self) -> str:
        return self._counters.text()

    def prometheus_values(self) -> Dict[str, Any]:
        return self._counters.values()

    def reset_metrics(self) -> None:
        with self._counters.lock:
            self._counters.reset()


def global_snapshot() -> Dict[str, Any]:
    return _GLOBAL.snapshot()


def global_prometheus_text() -> str:
    return _GLOBAL.text()


def global_prometheus_values() -> Dict[str, Any]:
    return _GLOBAL.values()
