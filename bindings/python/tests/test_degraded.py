"""The native module cannot be loaded: every call is legacy, and it is reported
(docs/rollout.md, "native unavailable"). Rehearsed in a subprocess with
FRAISEQL_QB_DISABLE_NATIVE=1, which makes the loader take the failure path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, logging, io
    stream = io.StringIO()
    logging.basicConfig(stream=stream, level=logging.WARNING)
    import fraiseql_qb
    from fraiseql_qb import rollout
    from fraiseql_qb._fallback import NativeUnavailableError

    out = {"native_available": fraiseql_qb.NATIVE_AVAILABLE}
    try:
        fraiseql_qb.compile({"view": "v", "select": ["id"]}, {"views": {}})
    except NativeUnavailableError as err:
        out["compile_error"] = type(err).__name__

    calls = []
    def legacy(query):
        calls.append(query)
        return ("SELECT 1 WHERE x = %s", [query["x"]])

    shim = rollout.RolloutQueryBuilder(legacy, {"views": {}}, placeholder="format",
                                       use_native=True, percentage=100)
    results = [tuple(shim.build({"view": "v", "x": i})) for i in range(5)]
    out["results"] = [[sql, params] for sql, params in results]
    out["legacy_calls"] = len(calls)
    out["metrics"] = rollout.get_query_builder_metrics()
    out["shim_metrics"] = shim.metrics()
    out["prometheus"] = rollout.get_prometheus_text()

    def failing(query):
        raise KeyError("legacy bug")
    try:
        rollout.RolloutQueryBuilder(failing, {"views": {}}).build({"view": "v"})
    except KeyError as err:
        out["legacy_error"] = str(err)
    try:
        rollout.RolloutQueryBuilder(None, {"views": {}}).build({"view": "v"})
    except rollout.NoBuilderAvailableError:
        out["no_builder"] = True
    out["log"] = stream.getvalue()
    print(json.dumps(out))
    """
)


def run() -> dict:
    env = dict(os.environ, FRAISEQL_QB_DISABLE_NATIVE="1")
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_without_native_every_call_is_legacy_and_it_is_reported() -> None:
    out = run()
    assert out["native_available"] is False
    assert out["compile_error"] == "NativeUnavailableError"
    # use_native=True and 100 % cannot route native when there is no native compiler.
    assert out["legacy_calls"] == 5
    assert out["results"][3] == ["SELECT 1 WHERE x = %s", [3]]
    m = out["metrics"]
    assert list(m) == ["rust_calls", "python_calls", "rust_errors", "rust_fallbacks",
                       "total_calls", "rust_percentage", "rust_error_rate",
                       "avg_rust_time_ms", "avg_python_time_ms"]
    assert m["rust_calls"] == 0 and m["python_calls"] == 5 and m["total_calls"] == 5
    assert out["shim_metrics"]["python_calls"] == 5
    assert "fraiseql_rust_query_builder_available 0" in out["prometheus"]
    assert 'fraiseql_query_builder_calls_total{builder_type="python"} 5' in out["prometheus"]
    assert out["legacy_error"] == "'legacy bug'"
    assert out["no_builder"] is True
    assert "could not be loaded" in out["log"]


LEGACY_SHAPES = textwrap.dedent(
    """
    import json
    from psycopg import sql
    from fraiseql_qb import rollout
    from fraiseql_qb._fallback import NativeUnavailableError, check_placeholders, compare_rows

    out = {}
    composed = sql.SQL("SELECT {} WHERE x LIKE {}").format(sql.Identifier("a"), sql.Literal("5%"))
    shim = rollout.RolloutQueryBuilder(lambda q: composed, {"views": {}}, placeholder="format",
                                       use_native=True, shadow_percentage=100,
                                       shadow_executor=lambda s, p: [])
    out["bare"] = list(shim.build({"view": "v"}))
    # Nothing to check the style against: one route only (the scan is the engine's).
    numbered = rollout.RolloutQueryBuilder(lambda q: ("SELECT %s", [1]), {"views": {}})
    out["unchecked"] = list(numbered.build({"view": "v"}))
    out["check"] = list(check_placeholders("SELECT %s", 1, "numbered"))
    try:
        compare_rows([], [], True)
    except NativeUnavailableError:
        out["compare_rows"] = "unavailable"
    try:
        rollout.RolloutQueryBuilder(lambda q: {"sql": "x"}, {"views": {}}).build({"view": "v"})
    except rollout.LegacyResultError as err:
        out["refused"] = str(err)
    out["metrics"] = shim.metrics()
    print(json.dumps(out))
    """
)


def test_without_native_legacy_results_are_read_the_same_and_nothing_shadows() -> None:
    env = dict(os.environ, FRAISEQL_QB_DISABLE_NATIVE="1")
    done = subprocess.run([sys.executable, "-c", LEGACY_SHAPES], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["bare"] == ['SELECT "a" WHERE x LIKE \'5%%\'', []]
    assert out["unchecked"] == ["SELECT %s", [1]]
    assert out["check"] == ["inconclusive", None]
    assert out["compare_rows"] == "unavailable"
    assert "dict with keys ['sql']" in out["refused"]
    m = out["metrics"]
    assert (m["python_calls"], m["shadow_runs"], m["rust_calls"]) == (1, 0, 0)
