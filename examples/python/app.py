"""A small psycopg 3 application moving from its own query builder to fraiseql_qb.

    scripts/pg.sh start && eval "$(scripts/pg.sh env)"
    FRAISEQL_RUST_QB_PERCENTAGE=50 python examples/python/app.py

Step 1 (before): the app calls `legacy_build(query)` directly.
Step 2 (now):    the app calls `shim.build(query)`; the rollout shim sends a share of calls
                 to the native compiler (FRAISEQL_RUST_QB_PERCENTAGE), falls back to the
                 legacy builder on native errors, and counts everything.
Step 3 (later):  FRAISEQL_USE_RUST_QUERY_BUILDER=true, then drop the legacy builder.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import psycopg

import fraiseql_qb
from fraiseql_qb.rollout import RolloutQueryBuilder, get_prometheus_text, get_query_builder_metrics

ROOT = Path(__file__).resolve().parents[2]


def legacy_build(query: dict) -> tuple:
    """The application's own builder: string templates, %s placeholders."""
    fields = ", ".join(f"'{f}', t.\"data\"->'{f}'" if f != "id" else "'id', t.\"id\"" for f in query["select"])
    sql = f'SELECT jsonb_build_object({fields}) AS "data" FROM "{query["view"]}" AS t'
    params = []
    for field, ops in (query.get("where") or {}).items():
        for op, value in ops.items():
            assert op == "gte", "the legacy builder only knows gte"
            sql += f" WHERE (t.\"data\"->>'{field}')::numeric >= %s"
            params.append(value)
    return sql, params


def main() -> None:
    schema = fraiseql_qb.Schema(json.loads((ROOT / "tests/golden/schema.json").read_text()))
    # The share routed native comes from FRAISEQL_RUST_QB_PERCENTAGE (default 0: all legacy);
    # a malformed value is logged as a warning and the default applies.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    shim = RolloutQueryBuilder(legacy_build, schema, placeholder="format")
    queries = [
        {"view": "v_user", "select": ["id", "age"], "where": {"age": {"gte": 41}}},
        {"view": "v_user", "select": ["id", "email"], "where": {"age": {"gte": 60}}},
        # Only the native compiler knows icontains: compiled directly below.
        {"view": "v_user", "select": ["id"], "where": {"email": {"icontains": "example"}}},
    ]
    with psycopg.connect(os.environ["FQB_PG_URL"]) as conn:
        for i in range(30):
            query = queries[i % 2]
            sql, params = shim.build(query, key=f"tenant-{i % 5}")
            rows = conn.execute(sql, params).fetchall()
            if i < 2:
                print(f"{len(rows)} rows for {json.dumps(query)}")
        # A native-only feature, forced native for this one call:
        native = fraiseql_qb.compile(queries[2], schema, placeholder="format")
        print(len(conn.execute(native.sql, native.params).fetchall()), "rows (native icontains)")
    print("metrics:", json.dumps(get_query_builder_metrics(), indent=2))
    print(get_prometheus_text(), end="")


if __name__ == "__main__":
    main()
