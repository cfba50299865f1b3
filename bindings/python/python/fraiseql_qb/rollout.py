"""The rollout shim: keep your existing ("legacy") query builder and move traffic to the
native compiler step by step. The contract is docs/rollout.md (identical in every binding).

Routing, exact metrics, trip-back, the shadow store, the placeholder check and the row
comparison live in the Rust engine (qb-rollout); this module calls your legacy builder, times
the calls with a monotonic clock, reads what the builder returned (``(sql, params)``, psycopg
``Composed``, ..., or ``adapt_legacy=``), runs shadow executions in a background thread,
logs and converts types.

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

import datetime as _dt
import json
import logging
import os
import queue
import sys
import threading
import uuid
import weakref
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from time import monotonic, perf_counter_ns
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

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
#: ``shadow_executor(sql, params) -> rows``: runs one statement, returns its rows (tuples,
#: or mappings of column name to value).
ShadowExecutor = Callable[[str, List[Any]], Sequence[Any]]


class NoBuilderAvailableError(RuntimeError):
    """Neither builder can serve: the native one is unavailable and no legacy is registered."""


class LegacyResultError(TypeError):
    """The legacy builder (or ``adapt_legacy``) returned something the shim cannot use; the
    message names its type. Counted as a legacy error (``python_errors``), never
    reinterpreted. Return one of the accepted shapes or pass ``adapt_legacy=``."""


class PlaceholderMismatchError(ValueError):
    """A configuration error: the legacy builder's SQL does not use the shim's placeholder
    style (or its placeholders and parameters disagree), so the two routes would give
    statements that cannot be executed the same way. Raised on the legacy call that shows it
    (counted as a legacy error) and on every legacy call until the shim's ``placeholder`` is
    the style the legacy builder writes."""


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


# -- what legacy builders return ----------------------------------------------------------

_ACCEPTED = (
    "expected (sql, params), a psycopg sql.Composed / sql.SQL, SQL text, an object with .sql "
    'and .params, or a {"sql": ..., "params": ...} mapping; pass adapt_legacy= to convert '
    "anything else (fraiseql_qb.rollout.sqlalchemy_adapter() for SQLAlchemy Core statements)"
)


def _type_name(value: Any) -> str:
    t = type(value)
    name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    try:
        if isinstance(value, Mapping):
            keys = ", ".join(repr(k) for k in list(value)[:6])
            return f"{name} with keys [{keys}]"
        if isinstance(value, (list, tuple)):
            return f"{name} of length {len(value)}"
    except Exception:
        pass
    return name


def _composable(value: Any) -> bool:
    """A psycopg 3 ``sql.Composable`` (``Composed``, ``SQL``, ...); psycopg is not imported
    here: a legacy builder that returns one has imported it."""
    mod = sys.modules.get("psycopg.sql")
    return mod is not None and isinstance(value, mod.Composable)


def _render(value: Any) -> str:
    """A psycopg ``Composable`` as the text psycopg sends (``as_string(None)``, psycopg 3.2+:
    literals and identifiers quoted without a connection)."""
    try:
        text = value.as_string(None)
    except Exception as err:
        raise LegacyResultError(
            f"fraiseql rollout: the legacy builder's {_type_name(value)} could not be rendered "
            f"without a connection ({err}); psycopg 3.2+ renders it with as_string(None), or "
            "pass adapt_legacy=lambda r: (r.as_string(conn), []) with a connection"
        ) from err
    if not isinstance(text, str):
        raise LegacyResultError(
            f"fraiseql rollout: {_type_name(value)}.as_string(None) returned {_type_name(text)}"
        )
    return text


def _sql_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if _composable(value):
        return _render(value)
    raise LegacyResultError(
        f"fraiseql rollout: the legacy builder's SQL is {_type_name(value)}; expected str or "
        "a psycopg sql.Composable"
    )


def _param_list(value: Any) -> List[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        raise LegacyResultError(
            f"fraiseql rollout: the legacy builder's params are {_type_name(value)}: named "
            "parameters (%(name)s) cannot be used by a shim, whose native route is positional; "
            "return a list (or convert with adapt_legacy=)"
        )
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        return list(value)
    raise LegacyResultError(
        f"fraiseql rollout: the legacy builder's params are {_type_name(value)}; expected a "
        "list or tuple"
    )


def _legacy_parts(result: Any) -> Tuple[str, List[Any], bool]:
    """``(sql, params, bare)`` of what a legacy builder returned. ``bare``: a statement
    without parameters, meant to be executed without them (SQL text, a ``Composable``, or
    ``(sql, None)``). Anything else is a :class:`LegacyResultError` naming the type."""
    if isinstance(result, CompiledQuery):
        return result.sql, result.params, False
    if isinstance(result, str):
        return result, [], True
    if _composable(result):
        return _render(result), [], True
    if isinstance(result, (tuple, list)):
        if len(result) == 2:
            sql, params = result
            if params is None:
                return _sql_text(sql), [], True
            return _sql_text(sql), _param_list(params), False
    elif isinstance(result, Mapping):
        try:
            keys = set(result)
        except Exception:
            keys = set()
        if keys == {"sql", "params"}:
            return _sql_text(result["sql"]), _param_list(result["params"]), False
    elif result is not None and not isinstance(result, (bytes, bytearray)):
        try:
            sql, params = result.sql, result.params
        except AttributeError:
            pass
        else:
            return _sql_text(sql), _param_list(params), False
    raise LegacyResultError(f"fraiseql rollout: the legacy builder returned {_type_name(result)}; {_ACCEPTED}")


def sqlalchemy_adapter(placeholder: str = "numbered", *, dialect: Any = None) -> Callable[[Any], Tuple[str, List[Any]]]:
    """An ``adapt_legacy`` hook for a legacy builder that returns SQLAlchemy Core statements
    (``select(...)``, ``text(...)``): each is compiled for PostgreSQL in the shim's placeholder
    style (``numbered``: ``$1``, SQLAlchemy's ``numeric_dollar``; ``format``: ``%s``), with
    expanding ``IN`` lists rendered, and returned as ``(sql, params)``. ``dialect`` replaces
    the PostgreSQL dialect chosen here (its paramstyle must be the shim's).

    >>> shim = RolloutQueryBuilder(build_select, schema, placeholder="format",     # doctest: +SKIP
    ...                            adapt_legacy=sqlalchemy_adapter("format"))
    """
    if placeholder not in ("numbered", "format"):
        raise ValueError(f'placeholder must be "numbered" or "format", got {placeholder!r}')
    if dialect is None:
        from sqlalchemy.dialects import postgresql

        if placeholder == "format":
            dialect = postgresql.psycopg.dialect(paramstyle="format")
        else:
            dialect = postgresql.asyncpg.dialect(paramstyle="numeric_dollar")

    def adapt(statement: Any) -> Tuple[str, List[Any]]:
        compile_ = getattr(statement, "compile", None)
        if not callable(compile_):
            raise LegacyResultError(
                f"fraiseql rollout: sqlalchemy_adapter got {_type_name(statement)}; expected a "
                "SQLAlchemy Core statement (select(...), text(...), ...)"
            )
        compiled = compile_(dialect=dialect, compile_kwargs={"render_postcompile": True})
        names = compiled.positiontup or []
        values = compiled.params
        return compiled.string, [values[name] for name in names]

    return adapt


# -- shadow execution ---------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return str(value.normalize()) if value.is_finite() else str(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return str(value)


def _row_text(row: Any) -> str:
    """One row as one canonical text: its values, columns in order, as JSON (column names
    are not compared: FraiseQL names its column ``result``, fraiseql-qb ``data``); integral
    decimals as integers, dates and UUIDs as their ISO / canonical text, objects with sorted
    keys."""
    if isinstance(row, Mapping):
        values: Any = list(row.values())
    elif isinstance(row, (tuple, list)):
        values = list(row)
    else:
        values = [row]
    return json.dumps(values, sort_keys=True, default=_json_default, ensure_ascii=False,
                      separators=(",", ":"))


def _orders(query: Any) -> bool:
    """Whether the query orders its rows (``order_by`` given and not empty)."""
    try:
        q = json.loads(query) if isinstance(query, str) else query
        return bool(q.get("order_by")) if isinstance(q, Mapping) else False
    except Exception:
        return False


def _statement(q: CompiledQuery) -> str:
    try:
        params = json.dumps(list(q.params), default=_json_default, ensure_ascii=False)
    except Exception:
        params = repr(list(q.params))
    return f"{json.dumps(q.sql, ensure_ascii=False)} {params}"


class ShadowTimeout(TimeoutError):
    """A shadow statement ran past the shim's ``shadow_timeout_s`` (or the server's
    ``statement_timeout``): the comparison is a ``comparator_error``, never a mismatch."""


class _ShadowJob:
    __slots__ = ("view", "query", "ordered", "legacy", "native")

    def __init__(self, view: str, query: str, ordered: bool, legacy: CompiledQuery,
                 native: CompiledQuery) -> None:
        self.view, self.query, self.ordered = view, query, ordered
        self.legacy, self.native = legacy, native


class _ShadowWorker:
    """One background thread running shadow comparisons from a bounded queue: a sample that
    finds the queue full is dropped (counted in ``dropped``), so a slow executor never slows
    or blocks a call. It holds its shim weakly and stops when the shim is collected."""

    def __init__(self, run: Callable[[_ShadowJob], None], size: int) -> None:
        self._run = weakref.WeakMethod(run)  # type: ignore[arg-type]
        self._queue: "queue.Queue[Optional[_ShadowJob]]" = queue.Queue(maxsize=max(1, size))
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self.dropped = 0

    def submit(self, job: _ShadowJob) -> bool:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="fraiseql-qb-shadow", daemon=True)
                self._thread.start()
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                self.dropped += 1
                return False
            self._pending += 1
            return True

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            run = self._run()
            try:
                if run is not None:
                    run(job)
            except Exception:
                pass
            finally:
                with self._lock:
                    self._pending -= 1
                    self._idle.notify_all()
            if run is None:
                return  # the shim is gone
            run = None

    def stop(self) -> None:
        """Ask the thread to end (the shim was collected); never blocks."""
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass  # the next job finds the shim gone and ends the thread

    def wait(self, timeout: Optional[float]) -> bool:
        deadline = None if timeout is None else monotonic() + timeout
        with self._lock:
            while self._pending:
                left = None if deadline is None else deadline - monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(left)
            return True

    def close(self, timeout: Optional[float]) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            try:
                self._queue.put(None, timeout=timeout)
            except queue.Full:
                return
            thread.join(timeout)


class PsycopgShadowExecutor:
    """A ``shadow_executor`` over psycopg 3: one connection of its own (opened on first use
    from ``conninfo``, reopened after a failure), each statement in a ``READ ONLY``
    transaction with ``statement_timeout``, rolled back. The shim calls it from its shadow
    thread only, never from the caller's. ``placeholder`` is the shim's: ``format`` runs
    ``%s`` statements (client-side binding), ``numbered`` runs ``$1`` statements with
    psycopg's ``RawCursor`` (server-side binding, psycopg 3.2+). A statement cancelled by the
    timeout raises :class:`ShadowTimeout`."""

    def __init__(self, conninfo: str, *, placeholder: str = "format",
                 statement_timeout_ms: int = 2000) -> None:
        if placeholder not in ("numbered", "format"):
            raise ValueError(f'placeholder must be "numbered" or "format", got {placeholder!r}')
        if isinstance(statement_timeout_ms, bool) or not isinstance(statement_timeout_ms, int) \
                or statement_timeout_ms < 0:
            raise ValueError(
                f"statement_timeout_ms must be a non-negative int, got {statement_timeout_ms!r}")
        self.conninfo = conninfo
        self.placeholder = placeholder
        self.statement_timeout_ms = statement_timeout_ms
        self._conn: Any = None
        self._lock = threading.Lock()

    def __call__(self, sql: str, params: List[Any]) -> List[Any]:
        import psycopg

        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(self.conninfo, autocommit=True)
            conn = self._conn
            try:
                conn.execute("BEGIN READ ONLY")
                try:
                    conn.execute("SELECT set_config('statement_timeout', %s, true)",
                                 [str(self.statement_timeout_ms)])
                    if self.placeholder == "numbered":
                        cur = psycopg.RawCursor(conn)
                    else:
                        cur = conn.cursor()
                    with cur:
                        cur.execute(sql, params)
                        return cur.fetchall() if cur.description is not None else []
                finally:
                    conn.execute("ROLLBACK")
            except psycopg.errors.QueryCanceled as err:
                raise ShadowTimeout(f"shadow statement cancelled: {err}") from err
            except psycopg.OperationalError:
                self._drop()
                raise

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def close(self) -> None:
        with self._lock:
            self._drop()


def psycopg_shadow_executor(conninfo: str, *, placeholder: str = "format",
                            statement_timeout_ms: int = 2000) -> PsycopgShadowExecutor:
    """A :class:`PsycopgShadowExecutor` (``shadow_executor=`` of the shim)."""
    return PsycopgShadowExecutor(conninfo, placeholder=placeholder,
                                 statement_timeout_ms=statement_timeout_ms)


class RolloutQueryBuilder(_native.ShimCore):
    """Serves ``build(query, *, key=None)`` with the native compiler or with ``legacy``, per
    the rollout configuration, and keeps exact metrics.

    ``build`` is native (inherited from ``_native.ShimCore``): a call routed native with
    nothing to log returns without running Python code; every other outcome continues in
    :meth:`_finish`.

    ``legacy`` is any callable taking the same query and returning one of: ``(sql, params)``
    (``sql`` a str or a psycopg ``sql.Composed``/``sql.SQL``; ``params`` a list or tuple, or
    None for a statement without parameters), a psycopg ``Composed``/``SQL`` or SQL text alone
    (a statement without parameters), an object with ``.sql`` and ``.params`` (e.g. a
    :class:`~fraiseql_qb.CompiledQuery`), or a mapping with exactly the keys ``sql`` and
    ``params``. ``adapt_legacy(result) -> one of those`` converts anything else first
    (:func:`sqlalchemy_adapter` for SQLAlchemy Core). Any other result is a
    :class:`LegacyResultError` naming its type. ``None`` means every call is native.
    ``schema`` is a :class:`~fraiseql_qb.Schema` (or a dict, validated once here).

    ``placeholder`` (``"numbered"``: ``$1``, or ``"format"``: ``%s``) is the one style of
    both routes. Legacy results are checked against it until one shows its style; a mismatch
    is a :class:`PlaceholderMismatchError` on that call. A legacy statement without
    parameters is returned as psycopg executes it with a parameter list: in the ``format``
    style its ``%`` signs are written ``%%``.

    Keyword settings override the environment; ``None`` keeps the environment's value:
    ``use_native``, ``percentage`` (0-100), ``log_mode``, ``fallback``, ``kill_switch``,
    ``sticky``, ``shadow_percentage`` / ``shadow_keep_last`` (replace the shadow settings),
    ``trip_back`` (bool or :class:`TripBack`). Hooks: ``metrics_hook(event_dict)`` after every
    call; a hook, a log handler or a comparator that raises never fails the call. ``env``
    replaces ``os.environ`` (tests).

    Shadow comparison (a sampled legacy call also compiled natively): by default the two
    statements' SQL text and params are compared (or ``comparator(legacy, native) -> bool``).
    With ``shadow_executor(sql, params) -> rows`` (e.g. :func:`psycopg_shadow_executor`) both
    statements are run in a background thread, after the call has returned, and their rows
    compared (ordered when the query has ``order_by``, as multisets otherwise); each statement
    has ``shadow_timeout_s`` seconds, and at most ``shadow_queue_size`` comparisons wait (a
    sample beyond that is dropped). ``shadow_mode`` (``"text"`` or ``"rows"``) defaults to
    ``"rows"`` when there is an executor.
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
        adapt_legacy: Optional[Callable[[Any], Any]] = None,
        shadow_executor: Optional[ShadowExecutor] = None,
        shadow_mode: Optional[str] = None,
        shadow_timeout_s: float = 5.0,
        shadow_queue_size: int = 4,
        env: Optional[Mapping[str, str]] = None,
        _engine: Optional[_native.Rollout] = None,
    ) -> None:
        if placeholder not in ("numbered", "format"):
            raise ValueError(f'placeholder must be "numbered" or "format", got {placeholder!r}')
        for name, fn in (("legacy", legacy), ("adapt_legacy", adapt_legacy),
                         ("comparator", comparator), ("metrics_hook", metrics_hook),
                         ("shadow_executor", shadow_executor)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{name} must be callable, got {_type_name(fn)}")
        mode = shadow_mode if shadow_mode is not None else (
            "rows" if shadow_executor is not None else "text")
        if mode not in ("text", "rows"):
            raise ValueError(f'shadow_mode must be "text" or "rows", got {shadow_mode!r}')
        if mode == "rows" and shadow_executor is None:
            raise ValueError('shadow_mode="rows" needs shadow_executor=')
        if isinstance(shadow_timeout_s, bool) or not isinstance(shadow_timeout_s, (int, float)) \
                or not shadow_timeout_s > 0:
            raise ValueError(f"shadow_timeout_s must be a positive number, got {shadow_timeout_s!r}")
        if isinstance(shadow_queue_size, bool) or not isinstance(shadow_queue_size, int) \
                or shadow_queue_size < 1:
            raise ValueError(f"shadow_queue_size must be a positive int, got {shadow_queue_size!r}")
        self._schema = schema if isinstance(schema, Schema) else Schema(schema)
        self._placeholder = placeholder
        self._legacy = legacy
        self._adapt_legacy = adapt_legacy
        #: Set once a legacy statement showed the shim's placeholder style.
        self._style_verified = False
        self._comparator = comparator
        self._metrics_hook = metrics_hook
        self._shadow_mode = mode
        self._shadow_executor = shadow_executor
        self._shadow_timeout_s = float(shadow_timeout_s)
        self._shadow_worker = (
            _ShadowWorker(self._shadow_rows, shadow_queue_size) if mode == "rows" else None)
        if self._shadow_worker is not None:
            weakref.finalize(self, self._shadow_worker.stop)
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
    def placeholder(self) -> str:
        """The placeholder style of both routes: ``numbered`` or ``format``."""
        return self._placeholder

    @property
    def shadow_mode(self) -> str:
        """``text`` (statements compared) or ``rows`` (rows compared through the executor)."""
        return self._shadow_mode

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
        """The legacy builder's statement for ``query``, checked; the caller records any
        exception raised here as a legacy error."""
        if self._legacy is None:
            raise NoBuilderAvailableError(
                "fraiseql rollout: the native compiler is unavailable and no legacy builder "
                "is registered"
            )
        result = self._legacy(query)
        if self._adapt_legacy is not None:
            result = self._adapt_legacy(result)
        if self._style_verified:
            # The common shapes, checked by exact type (the general reading is below).
            t = type(result)
            if t is CompiledQuery:
                return result
            if t is tuple and len(result) == 2:
                sql, params = result
                if type(sql) is str and type(params) is list:
                    return CompiledQuery(sql, params)
        sql, params, bare = _legacy_parts(result)
        if not self._style_verified:
            status, message = _native.check_placeholders(sql, len(params), self._placeholder)
            if status == "consistent":
                self._style_verified = True
            elif status == "mismatch":
                raise PlaceholderMismatchError(
                    f"fraiseql rollout: {message} (this shim: placeholder={self._placeholder!r})"
                    f"; statement: {sql[:200]}"
                )
        if bare and self._placeholder == "format" and "%" in sql:
            # psycopg reads a statement executed with a parameter list as a template, where
            # a literal % is written %%: the same statement, executable like the native one.
            sql = sql.replace("%", "%%")
        elif isinstance(result, CompiledQuery):
            return result
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
            if self._shadow_worker is not None:
                # Rows: run both statements later, in the shadow thread (never this call's
                # time); what the report needs from the query is taken now.
                self._shadow_worker.submit(
                    _ShadowJob(view, _describe(query), _orders(query), legacy, native))
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

    def _run_statement(self, q: CompiledQuery) -> List[Any]:
        start = monotonic()
        rows = self._shadow_executor(q.sql, list(q.params))  # type: ignore[misc]
        took = monotonic() - start
        if took > self._shadow_timeout_s:
            raise ShadowTimeout(
                f"shadow statement took {took:.3f} s, over shadow_timeout_s="
                f"{self._shadow_timeout_s}")
        if isinstance(rows, (str, bytes, bytearray, Mapping)) or not isinstance(rows, Sequence):
            rows = list(rows)  # an iterator of rows; anything else raises here
        return list(rows)

    def _shadow_rows(self, job: _ShadowJob) -> None:
        """In the shadow thread: run both statements, compare their rows, record."""
        engine = self._engine
        try:
            legacy_rows = [_row_text(r) for r in self._run_statement(job.legacy)]
        except Exception:
            # The legacy statement failed or ran out of time: nothing to compare against.
            engine.record_shadow("comparator_error", job.view, "")
            return
        head = (f"query={job.query} legacy={_statement(job.legacy)} "
                f"native={_statement(job.native)}")
        try:
            native_rows = [_row_text(r) for r in self._run_statement(job.native)]
        except TimeoutError:
            engine.record_shadow("comparator_error", job.view, "")
            return
        except Exception as err:
            engine.record_shadow("native_error", job.view, f"{head} native_error={err}")
            return
        diff = _native.compare_rows(legacy_rows, native_rows, job.ordered)
        if diff is None:
            engine.record_shadow("match", job.view, "")
            return
        position, li, ni = diff
        engine.record_shadow(
            "mismatch",
            job.view,
            f"{head} rows={len(legacy_rows)}/{len(native_rows)} "
            f"{'ordered' if job.ordered else 'multiset'} first difference at {position}: "
            f"legacy={'(none)' if li is None else legacy_rows[li]} "
            f"native={'(none)' if ni is None else native_rows[ni]}",
        )

    def shadow_idle(self, timeout: Optional[float] = None) -> bool:
        """Wait until every queued shadow comparison has been recorded (tests, shutdown);
        False if ``timeout`` seconds passed first. Always True in text mode."""
        return True if self._shadow_worker is None else self._shadow_worker.wait(timeout)

    @property
    def shadow_dropped(self) -> int:
        """Shadow samples dropped because ``shadow_queue_size`` comparisons were waiting."""
        return 0 if self._shadow_worker is None else self._shadow_worker.dropped

    def close(self, timeout: Optional[float] = 5.0) -> None:
        """Stop the shadow thread after the comparisons already queued (rows mode); the
        shim keeps serving calls, and a later shadow sample starts the thread again."""
        if self._shadow_worker is not None:
            self._shadow_worker.close(timeout)

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
    "LegacyResultError",
    "NoBuilderAvailableError",
    "PlaceholderMismatchError",
    "PsycopgShadowExecutor",
    "RolloutQueryBuilder",
    "ShadowTimeout",
    "TripBack",
    "config_from_env",
    "get_prometheus_text",
    "get_query_builder_metrics",
    "logger",
    "percentage_bp",
    "psycopg_shadow_executor",
    "sqlalchemy_adapter",
]
