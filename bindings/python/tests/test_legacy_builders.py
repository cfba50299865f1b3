"""The shim around the legacy builders applications really have (issue 16, section 1):
psycopg ``sql.Composed`` and SQLAlchemy Core as legacy at 0/50/100 % with every statement
run on PostgreSQL; what a legacy builder may return and the clear error for anything else;
one placeholder style per shim, checked by qb-rollout's scan; shadow comparison by rows on
PostgreSQL (a real mismatch found, a match not reported) through an executor that can be
slow or fail without touching the answer."""

from __future__ import annotations

import gc
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List

import psycopg
import pytest
from psycopg import sql

import fraiseql_qb
from fraiseql_qb import _native
from fraiseql_qb.rollout import (
    LegacyResultError,
    PlaceholderMismatchError,
    RolloutQueryBuilder,
    ShadowTimeout,
    psycopg_shadow_executor,
    sqlalchemy_adapter,
)
from conftest import GOOD, LEGACY_SQL, make
from legacy_psycopg import build_psycopg, build_sqlalchemy

QUERIES: List[Dict[str, Any]] = [
    {"view": "v_user", "select": ["id", "email", "age"], "where": {"age": {"gte": 30}},
     "order_by": [{"field": "age", "direction": "desc"}, {"field": "id"}]},
    {"view": "v_user", "select": ["id", "name"], "where": {"email": {"icontains": "example"}}},
    {"view": "v_user", "select": ["id", "score"], "where": {"age": {"in": [25, 30]}},
     "order_by": [{"field": "id"}], "limit": 3},
]


def execute(conn: Any, q: Any, placeholder: str) -> List[Any]:
    """Runs a shim result the way an application does: psycopg's ``%s`` binding, or
    PostgreSQL's own ``$1`` binding (``RawCursor``) for the numbered style."""
    cur = psycopg.RawCursor(conn) if placeholder == "numbered" else conn.cursor()
    with cur:
        cur.execute(q.sql, q.params)
        return cur.fetchall()


def canonical(rows: List[Any], query: Dict[str, Any]) -> List[str]:
    texts = [json.dumps(list(r), sort_keys=True, default=str) for r in rows]
    return texts if query.get("order_by") else sorted(texts)


def expected(conn: Any, schema: Any, placeholder: str) -> List[List[str]]:
    out = []
    for q in QUERIES:
        native = fraiseql_qb.compile(q, schema, placeholder=placeholder)
        rows = execute(conn, native, placeholder)
        assert rows, q  # every query selects rows on the fixture
        out.append(canonical(rows, q))
    return out


def seeded(env: Dict[str, str], legacy: Any, schema: Any, **kw: Any) -> RolloutQueryBuilder:
    return RolloutQueryBuilder(legacy, schema, env=env, _engine=_native.Rollout(sampler=16), **kw)


# ------------------------------------------------------- real builders at 0 / 50 / 100 %

BUILDERS = {
    "psycopg-composed/format": (build_psycopg, "format", None),
    "sqlalchemy/format": (build_sqlalchemy, "format", "format"),
    "sqlalchemy/numbered": (build_sqlalchemy, "numbered", "numbered"),
}


@pytest.mark.parametrize("percent", ["0", "50", "100"])
@pytest.mark.parametrize("builder", list(BUILDERS))
def test_real_legacy_builders_through_the_shim_on_postgres(
    conn: Any, schema: Any, builder: str, percent: str
) -> None:
    legacy, placeholder, adapter = BUILDERS[builder]
    want = expected(conn, schema, placeholder)
    shim = seeded({"FRAISEQL_RUST_QB_PERCENTAGE": percent}, legacy, schema,
                  placeholder=placeholder,
                  adapt_legacy=sqlalchemy_adapter(adapter) if adapter else None)
    n = 60
    for i in range(n):
        q = QUERIES[i % len(QUERIES)]
        out = shim.build(q)
        assert isinstance(out.sql, str) and isinstance(out.params, list)
        assert canonical(execute(conn, out, placeholder), q) == want[i % len(QUERIES)], (i, out)
    m = shim.metrics()
    assert (m["total_calls"], m["python_errors"], m["rust_errors"]) == (n, 0, 0)
    if percent == "0":
        assert (m["rust_calls"], m["python_calls"]) == (0, n)
    elif percent == "100":
        assert (m["rust_calls"], m["python_calls"]) == (n, 0)
    else:
        assert 0 < m["rust_calls"] < n and m["rust_calls"] + m["python_calls"] == n


def test_a_sqlalchemy_statement_without_the_adapter_is_refused_by_name(schema: Any) -> None:
    shim = make({}, legacy_fn=build_sqlalchemy, schema=schema)
    with pytest.raises(LegacyResultError, match=r"returned sqlalchemy\.sql\.selectable\.Select;"
                       r".*adapt_legacy=.*sqlalchemy_adapter"):
        shim.build(GOOD)
    assert shim.metrics()["python_errors"] == 1


# ------------------------------------------------------------- what a legacy may return


@dataclass
class Statement:
    sql: str
    params: List[Any]


ACCEPTED = [
    ("tuple", lambda: ("SELECT $1", [1]), ("SELECT $1", [1])),
    ("tuple with a tuple", lambda: ("SELECT $1", (1,)), ("SELECT $1", [1])),
    ("list pair", lambda: ["SELECT $1", [1]], ("SELECT $1", [1])),
    ("composed pair", lambda: (sql.SQL("SELECT {}").format(sql.Placeholder()), [1]),
     ("SELECT %s", [1])),
    ("bare composed", lambda: sql.SQL("SELECT {}, {}").format(sql.Identifier("a b"),
                                                             sql.Literal("it's")),
     ('SELECT "a b", \'it\'\'s\'', [])),
    ("bare SQL", lambda: sql.SQL("SELECT 1"), ("SELECT 1", [])),
    ("text", lambda: "SELECT 1", ("SELECT 1", [])),
    ("params None", lambda: ("SELECT 1", None), ("SELECT 1", [])),
    ("object", lambda: Statement("SELECT $1", [2]), ("SELECT $1", [2])),
    ("mapping", lambda: {"sql": "SELECT $1", "params": [3]}, ("SELECT $1", [3])),
    ("compiled", lambda: fraiseql_qb.CompiledQuery("SELECT $1", [4]), ("SELECT $1", [4])),
]


@pytest.mark.parametrize("name, result, want", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted_legacy_results(schema: Any, name: str, result: Any, want: Any) -> None:
    placeholder = "format" if "%s" in want[0] else "numbered"
    shim = make({}, legacy_fn=lambda q: result(), schema=schema, placeholder=placeholder)
    out = shim.build(GOOD)
    assert type(out) is fraiseql_qb.CompiledQuery
    assert (out.sql, out.params) == want
    assert shim.metrics()["python_errors"] == 0


REFUSED = [
    ("sql/params with other keys", {"sql": "SELECT $1", "params": [1], "x": 1},
     r"dict with keys \['sql', 'params', 'x'\]"),
    ("misspelled mapping", {"sql": "SELECT $1", "parms": [1]}, r"dict with keys \['sql', 'parms'\]"),
    ("sql/bindings", {"sql": "SELECT $1", "bindings": [1]}, r"dict with keys \['sql', 'bindings'\]"),
    ("triple", ("SELECT $1", [1], "x"), r"tuple of length 3"),
    ("params a string", ("SELECT $1", "abc"), r"params are str"),
    ("named params", ("SELECT %(a)s", {"a": 1}), r"params are dict .*named parameters"),
    ("sql bytes", (b"SELECT 1", []), r"SQL is bytes"),
    ("int", 42, r"returned int;"),
    ("None", None, r"returned NoneType;"),
    ("bytes", b"SELECT 1", r"returned bytes;"),
    ("set", {"SELECT 1"}, r"returned set;"),
]


@pytest.mark.parametrize("name, result, named", REFUSED, ids=[r[0] for r in REFUSED])
def test_anything_else_is_a_legacy_result_error_naming_the_type(
    schema: Any, name: str, result: Any, named: str
) -> None:
    shim = make({}, legacy_fn=lambda q: result, schema=schema)
    with pytest.raises(LegacyResultError, match=named):
        shim.build(GOOD)
    m = shim.metrics()
    assert (m["python_calls"], m["python_errors"], m["total_calls"]) == (1, 1, 1)
    # Also when the legacy builder serves a native failure (fallback).
    fb = make({"FRAISEQL_USE_RUST_QUERY_BUILDER": "1"}, legacy_fn=lambda q: result, schema=schema)
    with pytest.raises(LegacyResultError):
        fb.build({"view": "v_user", "select": ["nope"]})
    assert fb.metrics()["python_errors"] == 1


def test_adapt_legacy_converts_any_shape(schema: Any) -> None:
    shim = make({}, legacy_fn=lambda q: ("select", "SELECT $1", [q["where"]["age"]["gte"]]),
                schema=schema, adapt_legacy=lambda r: (r[1], r[2]))
    assert shim.build(GOOD) == ("SELECT $1", [41])
    # What the adapter returns is checked like a legacy result.
    bad = make({}, legacy_fn=lambda q: "SELECT 1", schema=schema, adapt_legacy=lambda r: 7)
    with pytest.raises(LegacyResultError, match="returned int"):
        bad.build(GOOD)
    assert bad.metrics()["python_errors"] == 1
    with pytest.raises(TypeError, match="adapt_legacy must be callable"):
        make({}, schema=schema, adapt_legacy="sqlalchemy")


def test_a_bare_statement_runs_as_psycopg_runs_it_with_a_parameter_list(
    conn: Any, schema: Any
) -> None:
    """A bare psycopg statement is executed by its builder without parameters, where `%` is
    just `%`; the shim's result is executed with a list (`[]`), where psycopg reads `%` as a
    placeholder: the shim writes it `%%`, so the same statement runs."""
    composed = sql.SQL("SELECT t.id FROM v_user AS t WHERE t.data->>'name' LIKE {}").format(
        sql.Literal("100%"))
    with pytest.raises(psycopg.ProgrammingError):
        conn.execute(composed.as_string(None), [])  # the trap the shim avoids
    direct = conn.execute(composed).fetchall()
    assert len(direct) == 1  # u07, "100% Real_Name ..."
    shim = make({}, legacy_fn=lambda q: composed, schema=schema, placeholder="format")
    out = shim.build(GOOD)
    assert "'100%%'" in out.sql and out.params == []
    assert conn.execute(out.sql, out.params).fetchall() == direct
    # The numbered style has no escaping: the text is kept as is.
    numbered = make({}, legacy_fn=lambda q: composed, schema=schema)
    assert numbered.build(GOOD).sql == composed.as_string(None)


# ------------------------------------------------------------------- placeholder styles


def test_a_placeholder_mismatch_is_a_configuration_error_on_the_first_call(
    conn: Any, schema: Any
) -> None:
    # A psycopg builder (%s) behind a shim left at the default numbered style, at 50 %:
    # the first legacy call says so, instead of statements failing on the server.
    shim = seeded({"FRAISEQL_RUST_QB_PERCENTAGE": "50"}, build_psycopg, schema)
    outcomes = []
    for i in range(40):
        q = QUERIES[i % len(QUERIES)]
        try:
            out = shim.build(q)
        except PlaceholderMismatchError as err:
            outcomes.append("config")
            assert "placeholder style numbered ($1)" in str(err)
            assert "`%s` placeholders" in str(err) and "placeholder='numbered'" in str(err)
            continue
        execute(conn, out, "numbered")  # every statement served runs
        outcomes.append("native")
    m = shim.metrics()
    assert "config" in outcomes and "native" in outcomes
    assert m["python_errors"] == outcomes.count("config") == m["python_calls"]
    # Fixed configuration: no error, no check left to fail.
    fixed = make({"FRAISEQL_RUST_QB_PERCENTAGE": "0"}, legacy_fn=build_psycopg, schema=schema,
                 placeholder="format")
    for q in QUERIES:
        execute(conn, fixed.build(q), "format")
    assert fixed.metrics()["python_errors"] == 0


@pytest.mark.parametrize("legacy_sql, params, placeholder", [
    ("SELECT $1", [1], "format"),
    ("SELECT %s", [1], "numbered"),
    ("SELECT $1, $2", [1], "numbered"),
    ("SELECT 1", [1], "numbered"),
])
def test_placeholder_mismatches(schema: Any, legacy_sql: str, params: List[Any],
                                placeholder: str) -> None:
    shim = make({}, legacy_fn=lambda q: (legacy_sql, params), schema=schema,
                placeholder=placeholder)
    for _ in range(2):  # raised again until the configuration is fixed
        with pytest.raises(PlaceholderMismatchError, match="configure the shim"):
            shim.build(GOOD)
    assert shim.metrics()["python_errors"] == 2


def test_the_check_is_qb_rollouts_scan(schema: Any) -> None:
    # Placeholders inside constants, quoted identifiers and comments are not placeholders.
    assert _native.scan_placeholders("SELECT '$1 %s', \"$2\", $3 -- %s\n, %s") == (1, 3, 1)
    assert _native.check_placeholders("SELECT 1", 0, "format") == ("inconclusive", None)
    assert _native.check_placeholders("SELECT %s", 1, "format") == ("consistent", None)
    status, message = _native.check_placeholders("SELECT $1", 1, "format")
    assert status == "mismatch" and "1 `$n` placeholders (up to $1)" in message
    with pytest.raises(ValueError):
        _native.check_placeholders("SELECT 1", 0, "qmark")
    # A statement whose `%` sits in a constant keeps the format style consistent.
    ok = make({}, legacy_fn=lambda q: ("SELECT '50%' || %s", ["x"]), schema=schema,
              placeholder="format")
    assert ok.build(GOOD).sql == "SELECT '50%' || %s"


def test_sqlalchemy_adapter_in_the_other_style_is_a_mismatch(schema: Any) -> None:
    shim = make({}, legacy_fn=build_sqlalchemy, schema=schema, placeholder="numbered",
                adapt_legacy=sqlalchemy_adapter("format"))
    with pytest.raises(PlaceholderMismatchError):
        shim.build(GOOD)
    with pytest.raises(ValueError):
        sqlalchemy_adapter("qmark")


# ------------------------------------------------------------ shadow: rows on PostgreSQL


def shadow_shim(pg_url: str, legacy: Any, schema: Any, **kw: Any) -> RolloutQueryBuilder:
    kw.setdefault("shadow_executor", psycopg_shadow_executor(pg_url, placeholder="format"))
    return make({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"}, legacy_fn=legacy, schema=schema,
                placeholder="format", **kw)


def shadow_counts(shim: RolloutQueryBuilder) -> Any:
    assert shim.shadow_idle(30)
    m = shim.metrics()
    return m["shadow_runs"], m["shadow_mismatches"], m["shadow_errors"]


def test_shadow_rows_match_is_not_reported(pg_url: str, schema: Any) -> None:
    shim = shadow_shim(pg_url, build_psycopg, schema)
    assert shim.shadow_mode == "rows"
    for q in QUERIES:
        out = shim.build(q)
        assert out.sql == build_psycopg(q)[0].as_string(None)  # legacy's answer
    assert shadow_counts(shim) == (3, 0, 0)
    assert shim.shadow_mismatches() == []
    # Without order_by rows compare as a multiset: a legacy returning them in another
    # order still matches.
    reversed_ = lambda q: (build_psycopg(q)[0] + sql.SQL(" ORDER BY t.id DESC"), build_psycopg(q)[1])  # noqa: E731
    shim2 = shadow_shim(pg_url, reversed_, schema)
    shim2.build(QUERIES[1])
    assert shadow_counts(shim2) == (1, 0, 0)
    # The text comparison of the same pair reports every call (different SQL text).
    text = make({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"}, legacy_fn=build_psycopg,
                schema=schema, placeholder="format")
    assert text.shadow_mode == "text"
    text.build(QUERIES[0])
    assert text.metrics()["shadow_mismatches"] == 1


def test_shadow_rows_real_mismatch_is_reported_with_the_first_differing_row(
    pg_url: str, schema: Any
) -> None:
    # A legacy builder ordering `score` as text (FraiseQL's `data->>'score'`): "99.99" sorts
    # before "12345678901234567890.123" descending; the native compiler orders numbers.
    by_text = lambda q: build_psycopg(q, numeric={"age"})  # noqa: E731
    q = {"view": "v_user", "select": ["id", "score"], "where": {"age": {"gte": 30}},
         "order_by": [{"field": "score", "direction": "desc", "nulls": "last"}]}
    shim = shadow_shim(pg_url, by_text, schema)
    out = shim.build(q)
    assert out.sql == by_text(q)[0].as_string(None)
    assert shadow_counts(shim) == (1, 1, 0)
    [kept] = shim.shadow_mismatches()
    assert kept["result"] == "mismatch" and kept["view"] == "v_user"
    report = kept["input"]
    assert report.startswith('query={"view":"v_user"')
    assert "ORDER BY (t.data ->> 'score') DESC NULLS LAST\" [30] native=\"SELECT" in report
    assert "ORDER BY (t.\\\"data\\\"->>'score')::numeric DESC NULLS LAST\" [30] rows=9/9" in report
    assert "ordered first difference at 0:" in report
    assert 'legacy=[{"id":"11111111-0000-0000-0000-000000000006","score":99.99}]' in report
    assert 'native=[{"id":"11111111-0000-0000-0000-000000000004","score":1.2345678901234567e+19}]' in report

    # A filter that differs (gt for gte): the native side has a row legacy lacks.
    gt = lambda q: build_psycopg({**q, "where": {"age": {"gt": q["where"]["age"]["gte"]}}})  # noqa: E731
    shim2 = shadow_shim(pg_url, gt, schema)
    shim2.build({"view": "v_user", "select": ["id", "age"], "where": {"age": {"gte": 41}}})
    assert shadow_counts(shim2) == (1, 1, 0)
    report = shim2.shadow_mismatches()[0]["input"]
    assert ('rows=2/4 multiset first difference at 0: legacy=(none) '
            'native=[{"age":41,"id":"11111111-0000-0000-0000-000000000004"}]') in report


def test_shadow_executor_failures_never_touch_the_answer(pg_url: str, schema: Any) -> None:
    def broken(sql_: str, params: List[Any]) -> Any:
        raise RuntimeError("executor broke")

    shim = shadow_shim(pg_url, build_psycopg, schema, shadow_executor=broken)
    assert shim.build(QUERIES[0]) == (build_psycopg(QUERIES[0])[0].as_string(None),
                                      build_psycopg(QUERIES[0])[1])
    assert shadow_counts(shim) == (1, 0, 1)  # a comparator error, no mismatch

    real = psycopg_shadow_executor(pg_url)

    def native_fails(sql_: str, params: List[Any]) -> Any:
        if 'AS "data"' in sql_:  # the native statement
            raise psycopg.errors.UndefinedColumn('column "nope" does not exist')
        return real(sql_, params)

    shim2 = shadow_shim(pg_url, build_psycopg, schema, shadow_executor=native_fails)
    shim2.build(QUERIES[0])
    assert shadow_counts(shim2) == (1, 1, 1)
    [kept] = shim2.shadow_mismatches()
    assert kept["result"] == "native_error" and 'native_error=column "nope"' in kept["input"]
    real.close()


def test_a_slow_executor_is_queued_bounded_and_never_waited_for(schema: Any) -> None:
    release = threading.Event()
    started = threading.Event()
    ran: List[str] = []

    def slow(sql_: str, params: List[Any]) -> Any:
        started.set()
        assert release.wait(30)
        ran.append(sql_)
        return [(1,)]

    legacy = lambda q: fraiseql_qb.compile(q, schema, placeholder="format")  # noqa: E731
    shim = make({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"}, legacy_fn=legacy, schema=schema,
                placeholder="format", shadow_executor=slow, shadow_queue_size=2)
    # Each call returns while the executor is blocked on `release`.
    assert shim.build(GOOD).sql == legacy(GOOD).sql
    assert started.wait(30)
    for _ in range(5):
        assert shim.build(GOOD).sql == legacy(GOOD).sql
    assert not ran
    assert shim.shadow_dropped == 3  # 1 running + 2 queued; the rest dropped
    assert not shim.shadow_idle(0.05)
    release.set()
    assert shadow_counts(shim) == (3, 0, 0)
    assert len(ran) == 6  # legacy + native per comparison

    def too_slow(sql_: str, params: List[Any]) -> Any:
        time.sleep(0.3)
        return [(1,)]

    budget = make({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"}, legacy_fn=legacy,
                  schema=schema, placeholder="format", shadow_executor=too_slow,
                  shadow_timeout_s=0.05)
    budget.build(GOOD)
    assert shadow_counts(budget) == (1, 0, 1)  # over budget: an error, never a mismatch
    budget.close()


def test_the_psycopg_executor_is_read_only_and_time_limited(pg_url: str) -> None:
    ex = psycopg_shadow_executor(pg_url, statement_timeout_ms=100)
    assert ex("SELECT %s::int + 1", [41]) == [(42,)]
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        ex("CREATE TABLE shadow_must_not_write (i int)", [])
    with pytest.raises(ShadowTimeout):
        ex("SELECT pg_sleep(5)", [])
    assert ex("SELECT 1", []) == [(1,)]  # the connection is still usable
    ex.close()
    numbered = psycopg_shadow_executor(pg_url, placeholder="numbered")
    assert numbered("SELECT $1::int * 2", [21]) == [(42,)]
    numbered.close()
    with pytest.raises(ValueError):
        psycopg_shadow_executor(pg_url, statement_timeout_ms=-1)


def test_shadow_options_are_checked(schema: Any) -> None:
    with pytest.raises(ValueError, match="needs shadow_executor"):
        make({}, schema=schema, shadow_mode="rows")
    with pytest.raises(ValueError, match="shadow_mode"):
        make({}, schema=schema, shadow_mode="sql")
    with pytest.raises(ValueError, match="shadow_timeout_s"):
        make({}, schema=schema, shadow_executor=lambda s, p: [], shadow_timeout_s=0)
    with pytest.raises(ValueError, match="shadow_queue_size"):
        make({}, schema=schema, shadow_executor=lambda s, p: [], shadow_queue_size=0)
    # An executor with shadow_mode="text" keeps the text comparison.
    text = make({}, schema=schema, shadow_executor=lambda s, p: [], shadow_mode="text")
    assert text.shadow_mode == "text" and text.shadow_idle(0)


def test_the_shadow_thread_ends_with_its_shim(schema: Any) -> None:
    def threads() -> int:
        return sum(t.name == "fraiseql-qb-shadow" for t in threading.enumerate())

    before = threads()
    shim = make({"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"}, schema=schema,
                shadow_executor=lambda s, p: [(1,)])
    assert shim.build(GOOD).sql == LEGACY_SQL
    assert shim.shadow_idle(30) and threads() == before + 1
    del shim
    gc.collect()
    for _ in range(300):
        if threads() == before:
            break
        time.sleep(0.01)
    assert threads() == before
