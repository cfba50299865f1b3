"""Stand-in for the native module when it cannot be loaded (wrong platform, broken install).

docs/rollout.md, "native unavailable": every call goes to the legacy builder, counters exist
for the legacy side only, ``fraiseql_rust_query_builder_available`` is 0, and the condition is
reported (a warning on the ``fraiseql_qb.rollout`` logger at import and
``fraiseql_qb.NATIVE_AVAILABLE is False``). ``compile()`` raises
:class:`NativeUnavailableError`. This module mirrors the surface of ``_native`` that
``fraiseql_qb``, ``fraiseql_qb.rollout`` and ``fraiseql_qb.prometheus`` use; it holds no SQL
knowledge.

Its public surface is the native module's (names, properties, the error table, the Prometheus
families and their HELP lines): ``tests/test_parity.py`` compares them, so the degraded mode
keeps one contract.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

#: Set by the loader: why the native module could not be imported.
IMPORT_ERROR: Optional[BaseException] = None

#: The native module's constants (nothing here uses them; kept for the same surface).
DETACH_NODES = 1024
MAX_INPUT_DEPTH = 128

#: ``_native.duration_buckets()``: the histogram's upper bounds in ns and their ``le`` labels.
_BUCKETS: List[Tuple[int, str]] = [
    (1_000, "0.000001"), (5_000, "0.000005"), (10_000, "0.00001"), (25_000, "0.000025"),
    (50_000, "0.00005"), (100_000, "0.0001"), (250_000, "0.00025"), (500_000, "0.0005"),
    (1_000_000, "0.001"), (2_500_000, "0.0025"), (5_000_000, "0.005"), (10_000_000, "0.01"),
    (25_000_000, "0.025"), (50_000_000, "0.05"), (100_000_000, "0.1"),
]

#: ``_native.prometheus_families()``: a copy of the engine's one table of families
#: (``qb_rollout::FAMILIES``): ``(name, kind, help, by_builder_type)`` in exposition order.
_FAMILIES: List[Tuple[str, str, str, bool]] = [
    ("fraiseql_query_builder_calls_total", "counter",
     "Query builder invocations by builder type.", True),
    ("fraiseql_query_builder_errors_total", "counter",
     "Failed query builder invocations by builder type.", True),
    ("fraiseql_query_builder_fallbacks_total", "counter",
     "Native failures served by the legacy builder.", False),
    ("fraiseql_query_build_duration_seconds", "histogram",
     "Query build duration in seconds by builder type.", True),
    ("fraiseql_query_builder_mode", "gauge",
     "Builder that served the last call: 0 legacy, 1 native.", False),
    ("fraiseql_rust_query_builder_available", "gauge",
     "Whether the native query builder is available: 0 or 1.", False),
    ("fraiseql_query_builder_shadow_mismatches_total", "counter",
     "Shadow comparisons where the native result differed from legacy.", False),
    ("fraiseql_query_builder_trip_state", "gauge",
     "Automatic trip-back state: 0 closed, 1 open, 2 half-open.", False),
    ("fraiseql_query_builder_trips_total", "counter",
     "Times automatic trip-back routed everything to legacy.", False),
]
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
    ("QB_INVALID_CURSOR", 15, "InvalidCursorError"),
    ("QB_CURSOR_MISMATCH", 16, "CursorMismatchError"),
    ("QB_NO_PRIMARY_KEY", 17, "NoPrimaryKeyError"),
    ("QB_GRAPHQL_INVALID", 18, "GraphqlInvalidError"),
]
_CLASSES = {name: type(name, (QueryBuilderError,), {"code": code, "number": number})
            for code, number, name in _ERRORS}
globals().update(_CLASSES)


def error_classes() -> List[Tuple[str, int, type]]:
    return [(code, number, _CLASSES[name]) for code, number, name in _ERRORS]


class CompiledQuery:
    """SQL and params (what a legacy builder returned); unpacks as ``(sql, params)``, indexes
    as ``q[0]``/``q[1]``; ``param_types`` is None (only the native compiler knows them)."""

    __slots__ = ("_sql", "_params")

    def __init__(self, sql: str, params: Any) -> None:
        self._sql = sql
        self._params = params if isinstance(params, list) else list(params)

    @property
    def sql(self) -> str:
        return self._sql

    @property
    def params(self) -> List[Any]:
        return self._params

    @property
    def param_types(self) -> Optional[List[str]]:
        return None

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> Any:
        if index in (0, -2):
            return self._sql
        if index in (1, -1):
            return self._params
        raise IndexError("CompiledQuery index out of range")

    def __iter__(self) -> Any:
        return iter((self._sql, self._params))

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, CompiledQuery):
            return self._sql == other.sql and self._params == other.params
        if isinstance(other, tuple):
            return len(other) == 2 and self._sql == other[0] and self._params == other[1]
        return False

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CompiledQuery(sql={self._sql!r}, params={self._params!r})"


class Schema:
    """Keeps the registry document as given; nothing can validate it without the core."""

    def __init__(self, schema: Any, *, cache_size: Any = None,
                 graphql_cache_size: Any = None) -> None:
        self.document = schema

    def __repr__(self) -> str:
        return "<fraiseql_qb.Schema (not validated: the native module is missing)>"

    def cache_stats(self) -> Any:
        raise NativeUnavailableError(
            f"the shape cache needs the native fraiseql_qb compiler, which could not be loaded: {IMPORT_ERROR}"
        )

    def graphql_cache_stats(self) -> Any:
        raise NativeUnavailableError(
            f"the GraphQL document cache needs the native fraiseql_qb compiler, which could not be loaded: {IMPORT_ERROR}"
        )

    def prepare(self, query: Any, *, placeholder: str = "numbered") -> Any:
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")


class Prepared:
    """Never made without the core (``Schema.prepare`` raises); here for the module's surface."""

    @property
    def sql(self) -> str:
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")

    @property
    def param_types(self) -> List[str]:
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")

    @property
    def operands(self) -> List[Any]:
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")

    def bind(self, query: Any) -> List[Any]:
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")

    def bind_values(self, values: Any) -> List[Any]:
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")

    def operand_values(self, query: Any) -> List[Any]:
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")

    def compile(self, query: Any) -> Any:  # noqa: A003
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")


class GraphqlConnection:
    """Never made without the core (``graphql_compile`` raises); here for the module's surface."""

    @property
    def columns(self) -> List[str]:
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")

    def assemble(self, rows: Any) -> Any:
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")


def compile(query: Any, schema: Any, *, placeholder: str = "numbered",  # noqa: A001
            cursor_key: Optional[bytes] = None) -> Any:
    raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")


def encode_cursor(row_cursor: str, *, cursor_key: Optional[bytes] = None) -> str:
    raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")


def graphql_compile(document: Any, variables: Any, schema: Any, *, operation_name: Any = None,
                    placeholder: Any = None, cursor_key: Optional[bytes] = None) -> Any:
    raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=False, default=str)


def env_vars() -> List[str]:
    return list(_ENV_VARS)


class GraphqlNested:
    """Never made without the core (``graphql_compile`` raises); here for the module's surface."""

    def finish(self, data: Any) -> Any:
        raise NativeUnavailableError(f"the native fraiseql_qb compiler could not be loaded: {IMPORT_ERROR}")


def seed_keys() -> List[str]:
    # The snapshot lists the seed's nine keys first, as the engine's does.
    return list(_Counters().snapshot())[:9]


def sticky_bucket(key: str) -> Tuple[int, int]:
    """FNV-1a 64 of the key's UTF-8 and its sticky bucket (``% 10000``), as the engine's."""
    h = 0xCBF29CE484222325
    for b in key.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h, h % 10_000


def scan_placeholders(sql: str) -> Tuple[int, int, int]:
    """The scan is the engine's (qb-rollout); it is not re-implemented here."""
    raise NativeUnavailableError(
        f"the native fraiseql_qb module could not be loaded: {IMPORT_ERROR}")


def check_placeholders(sql: str, params: int, placeholder: str) -> Tuple[str, Optional[str]]:
    """Without the native module every call is legacy: there is no second route whose style
    could differ, so nothing is checked (``inconclusive``, as for a statement that shows no
    style; the shim checks again once the native module loads)."""
    if placeholder not in ("numbered", "format"):
        raise ValueError(f'placeholder must be "numbered" or "format", got {placeholder!r}')
    return ("inconclusive", None)


def compare_rows(legacy: List[str], native: List[str],
                 ordered: bool) -> Optional[Tuple[int, Optional[int], Optional[int]]]:
    """Rows are compared by the engine (qb-rollout); without it no shadow run happens (the
    stand-in never decides one), so this is never called by the shim."""
    raise NativeUnavailableError(
        f"the native fraiseql_qb module could not be loaded: {IMPORT_ERROR}")


def prometheus_families() -> List[Tuple[str, str, str, bool]]:
    return list(_FAMILIES)


def duration_buckets() -> List[Tuple[int, str]]:
    return list(_BUCKETS)


def _inject_panics(n: int) -> None:
    """Nothing native runs here, so nothing can panic."""


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


def _number(x: Any) -> str:
    """A sample value as the engine writes it (Rust's ``{}`` of an ``f64``): positional
    notation, no ``.0`` on whole numbers."""
    x = float(x)
    if x == int(x):
        return str(int(x))
    return format(Decimal(repr(x)), "f")


class _Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.calls = self.errors = 0
        self.total_ns = 0
        self.buckets = [0] * (len(_BUCKETS) + 1)  # the last one: +Inf overflow

    def record(self, duration_ns: int, error: bool) -> None:
        with self.lock:
            self.calls += 1
            self.errors += int(error)
            self.total_ns += duration_ns
            i = next((i for i, (le, _) in enumerate(_BUCKETS) if duration_ns <= le),
                     len(_BUCKETS))
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
        """The native ``prometheus_values()`` dict: per-builder and flat keys, and each
        family's samples under its name."""
        with self.lock:
            cumulative, acc = [], 0
            for (_, label), n in zip(_BUCKETS, self.buckets):
                acc += n
                cumulative.append((label, acc))
            python = {"calls": self.calls, "errors": self.errors,
                      "buckets": cumulative + [("+Inf", self.calls)],
                      "count": self.calls, "sum_seconds": self.total_ns / 1e9}
        rust = {"calls": 0, "errors": 0,
                "buckets": [(label, 0) for _, label in _BUCKETS] + [("+Inf", 0)],
                "count": 0, "sum_seconds": 0.0}
        flat = {"fallbacks": 0, "mode": 0, "native_available": 0, "shadow_mismatches": 0,
                "trip_state": 0, "trips_total": 0}
        per = {"rust": rust, "python": python}
        samples: Dict[str, Any] = {
            "fraiseql_query_builder_calls_total": {b: float(per[b]["calls"]) for b in per},
            "fraiseql_query_builder_errors_total": {b: float(per[b]["errors"]) for b in per},
            "fraiseql_query_builder_fallbacks_total": 0.0,
            "fraiseql_query_build_duration_seconds": {
                b: {"buckets": per[b]["buckets"], "sum_seconds": per[b]["sum_seconds"]}
                for b in per},
            "fraiseql_query_builder_mode": 0.0,
            "fraiseql_rust_query_builder_available": 0.0,
            "fraiseql_query_builder_shadow_mismatches_total": 0.0,
            "fraiseql_query_builder_trip_state": 0.0,
            "fraiseql_query_builder_trips_total": 0.0,
        }
        return {**per, **flat, **samples}

    def text(self) -> str:
        """Prometheus text format 0.0.4, rendered from the families table like the engine's
        ``render``: the same families, HELP lines and samples (tests/test_parity.py)."""
        v = self.values()
        out = []
        for name, kind, help_, _by_builder in _FAMILIES:
            out += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"]
            samples = v[name]
            if kind == "histogram":
                for b, h in samples.items():
                    for le, c in h["buckets"]:
                        out.append(f'{name}_bucket{{builder_type="{b}",le="{le}"}} {c}')
                    out.append(f'{name}_sum{{builder_type="{b}"}} {_number(h["sum_seconds"])}')
                    out.append(f'{name}_count{{builder_type="{b}"}} {h["buckets"][-1][1]}')
            elif isinstance(samples, dict):
                out += [f'{name}{{builder_type="{b}"}} {_number(x)}' for b, x in samples.items()]
            else:
                out.append(f"{name} {_number(samples)}")
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

    @property
    def legacy_registered(self) -> bool:
        return self._legacy

    def set_legacy_registered(self, registered: bool) -> None:
        self._legacy = bool(registered)

    @property
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

    def advance_ms(self, ms: int) -> None:
        raise RuntimeError("this Rollout has no manual clock")

    def samples_drawn(self) -> int:
        raise RuntimeError("this Rollout has no counting sampler")

    def __repr__(self) -> str:
        return f"Rollout(stand-in, legacy only, config={self._config!r})"


def global_snapshot() -> Dict[str, Any]:
    return _GLOBAL.snapshot()


def global_prometheus_text() -> str:
    return _GLOBAL.text()


def global_prometheus_values() -> Dict[str, Any]:
    return _GLOBAL.values()
