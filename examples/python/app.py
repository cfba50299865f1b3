"""A small psycopg 3 application moving from its own query builder to fraiseql_qb.

    scripts/pg.sh start && eval "$(scripts/pg.sh env)"
    FRAISEQL_RUST_QB_PERCENTAGE=50 FRAISEQL_RUST_QB_SHADOW_PERCENTAGE=100 \\
        python examples/python/app.py

Step 1 (before): the app calls `legacy_build(query)` and executes the psycopg `Composed`.
Step 2 (now):    the app calls `shim.build(query)`; the rollout shim sends a share of calls to
                 the native compiler (FRAISEQL_RUST_QB_PERCENTAGE, default 0), falls back to
                 the legacy builder on native errors, and counts everything. Shadow mode
                 (FRAISEQL_RUST_QB_SHADOW_PERCENTAGE) runs both statements of a sampled
                 legacy call after it has returned, read-only, and compares their rows.
Step 3 (later):  FRAISEQL_USE_RUST_QUERY_BUILDER=true, then drop the legacy builder.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import psycopg
from psycopg import sql

import fraiseql_qb
from fraiseql_qb.rollout import (
    RolloutQueryBuilder,
    get_prometheus_text,
    get_query_builder_metrics,
    psycopg_shadow_executor,
)

ROOT = Path(__file__).resolve().parents[2]


def legacy_build(query: dict) -> tuple:
    """The application's own builder: psycopg's sql composition, values as %s parameters."""
    pairs = []
    for f in query["select"]:
        value = sql.SQL("t.id") if f == "id" else sql.SQL("t.data -> {}").format(sql.Literal(f))
        pairs += [sql.Literal(f), value]
    stmt = sql.SQL("SELECT jsonb_build_object({}) AS data FROM {} AS t").format(
        sql.SQL(", ").join(pairs), sql.Identifier(query["view"]))
    params = []
    for field, ops in (query.get("where") or {}).items():
        for op, value in ops.items():
            assert op == "gte", "the legacy builder only knows gte"
            stmt += sql.SQL(" WHERE (t.data ->> {})::numeric >= {}").format(
                sql.Literal(field), sql.Placeholder())
            params.append(value)
    return stmt, params


def main() -> None:
    url = os.environ["FQB_PG_URL"]
    schema = fraiseql_qb.Schema(json.loads((ROOT / "tests/golden/schema.json").read_text()))
    # The share routed native comes from FRAISEQL_RUST_QB_PERCENTAGE (default 0: all legacy);
    # a malformed value is logged as a warning and the default applies.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    shim = RolloutQueryBuilder(
        legacy_build, schema, placeholder="format",
        # Shadow comparisons run on a connection of their own, READ ONLY, with a timeout.
        shadow_executor=psycopg_shadow_executor(url, statement_timeout_ms=2000),
        shadow_queue_size=32,  # comparisons waiting; a sample beyond that is dropped
    )
    queries = [
        {"view": "v_user", "select": ["id", "age"], "where": {"age": {"gte": 41}}},
        {"view": "v_user", "select": ["id", "email"], "where": {"age": {"gte": 60}}},
        # Only the native compiler knows icontains: compiled directly below.
        {"view": "v_user", "select": ["id"], "where": {"email": {"icontains": "example"}}},
    ]
    with psycopg.connect(url) as conn:
        for i in range(30):
            query = queries[i % 2]
            sql_text, params = shim.build(query, key=f"tenant-{i % 5}")
            rows = conn.execute(sql_text, params).fetchall()
            if i < 2:
                print(f"{len(rows)} rows for {json.dumps(query)}")
        # A native-only feature, forced native for this one call:
        native = fraiseql_qb.compile(queries[2], schema, placeholder="format")
        print(len(conn.execute(native.sql, native.params).fetchall()), "rows (native icontains)")
    shim.shadow_idle(30)
    m = shim.metrics()
    print(f"shadow: {m['shadow_runs']} legacy calls compared by rows, "
          f"{m['shadow_mismatches']} mismatches, {m['shadow_errors']} errors, "
          f"{shim.shadow_dropped} samples dropped (queue full)")
    for kept in shim.shadow_mismatches():
        print("  mismatch:", kept["input"])
    print("metrics:", json.dumps(get_query_builder_metrics(), indent=2))
    print(get_prometheus_text(), end="")
    shim.close()


if __name__ == "__main__":
    main()
