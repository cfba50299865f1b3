"""Shared fixtures: the repository's golden corpus, the fixture schema, the test database."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
import os
from pathlib import Path
from typing import Any, Dict, List

import pytest

import fraiseql_qb

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "golden"
VECTORS = REPO / "tests" / "rollout" / "vectors.json"

_EXPECTATIONS = (".params.json", ".rows.json", ".error.json")


class Case:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name[: -len(".json")]
        # Exact numbers, as the Rust runner reads them (floats would round 12345678901234567890.123).
        self.spec: Dict[str, Any] = json.loads(path.read_text(), parse_float=Decimal)

    def file(self, ext: str) -> Path:
        return self.path.with_name(f"{self.name}.{ext}")

    @property
    def query(self) -> Any:
        # Key order as written: the core keeps input order, in Rust and Python alike.
        return self.spec["query"]

    @property
    def placeholder(self) -> str:
        return self.spec.get("placeholder", "numbered")

    @property
    def execute(self) -> bool:
        return bool(self.spec.get("execute", True))

    @property
    def ordered(self) -> bool:
        return bool(self.query.get("order_by")) if isinstance(self.query, dict) else False

    def __repr__(self) -> str:
        return self.name



def load_cases() -> List[Case]:
    paths = sorted(
        p
        for p in (GOLDEN / "cases").glob("*.json")
        if not any(p.name.endswith(e) for e in _EXPECTATIONS)
    )
    return [Case(p) for p in paths]


CASES = load_cases()
FIXTURE_SCHEMA_TEXT = (GOLDEN / "schema.json").read_text()


@pytest.fixture(scope="session")
def schema() -> fraiseql_qb.Schema:
    return fraiseql_qb.Schema(json.loads(FIXTURE_SCHEMA_TEXT))


def case_schema(case: Case, shared: fraiseql_qb.Schema) -> Any:
    inline = case.spec.get("schema")
    return shared if inline is None else inline


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("FQB_PG_URL")
    if not url:
        pytest.fail(
            "FQB_PG_URL is not set: start the test database with "
            "`scripts/pg.sh start && eval \"$(scripts/pg.sh env)\"` (database tests never skip)"
        )
    return url


@pytest.fixture(scope="module")
def conn(pg_url: str) -> Any:
    """A psycopg connection to the test database (autocommit), one per test module."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as c:
        yield c


def data_rows(conn: Any, schema: fraiseql_qb.Schema, query: Any) -> List[Any]:
    """The `data` column of each row of `query`, compiled with `%s` placeholders."""
    q = fraiseql_qb.compile(query, schema, placeholder="format")
    return [r[0] for r in conn.execute(q.sql, q.params).fetchall()]


def json_wrap(sql: str) -> str:
    """The Rust harness's wrapper: rows as one JSON array (column name -> value)."""
    return f"SELECT coalesce(json_agg(q), '[]'::json)::text FROM ({sql}\n) AS q"


def canonical_rows(rows: List[Any], ordered: bool) -> List[Any]:
    if ordered:
        return rows
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False))


def same_rows(got: Any, want: Any) -> bool:
    """Equal JSON, floats within 1e-12 relative: the Rust runner's JSON parser (serde_json
    without `float_roundtrip`) can be one ulp off the correctly rounded value Python reads."""
    if isinstance(got, float) or isinstance(want, float):
        if isinstance(got, bool) or isinstance(want, bool):
            return got == want
        try:
            return abs(float(got) - float(want)) <= 1e-12 * max(1.0, abs(float(want)))
        except (TypeError, ValueError):
            return False
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(same_rows(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(same_rows(a, b) for a, b in zip(got, want))
    return bool(got == want) and type(got) is type(want)


# ------------------------------------------------------------------ shim helpers (rollout, faults)

GOOD = {"view": "v_user", "select": ["id"], "where": {"age": {"gte": 41}}}
BAD = {"view": "v_user", "select": ["id"], "where": {"emial": {"eq": "x"}}}
LEGACY_SQL = "SELECT legacy WHERE x = $1"


def legacy(query: Any) -> Any:
    return (LEGACY_SQL, [1])


def make(env: Any = None, legacy_fn: Any = legacy, **kw: Any) -> Any:
    """A shim over `legacy_fn` with `env` as its whole environment (`schema=` required)."""
    from fraiseql_qb.rollout import RolloutQueryBuilder

    return RolloutQueryBuilder(legacy_fn, kw.pop("schema"), env=env or {}, **kw)


class Boom(Exception):
    pass


class RaisingHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        raise RuntimeError("handler broke")

    def handle(self, record: logging.LogRecord) -> bool:  # bypass logging's own guard
        self.emit(record)
        return True
