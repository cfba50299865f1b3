"""The golden corpus through the Python API: exactly the core's SQL and parameters (with the
Python types the drivers expect), the same errors, and the same rows on PostgreSQL through
psycopg 3 (``%s``) and asyncpg (``$n``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

import fraiseql_qb
from conftest import CASES, Case, canonical_rows, case_schema, json_wrap, same_rows

MIN_CASES = 5


def test_corpus_is_there() -> None:
    assert len(CASES) >= MIN_CASES


def check_param(value: Any, sql_type: str, want: Any, where: str) -> None:
    """``value`` (what the binding returns) against the corpus' ``{"type", "value"}``."""
    if sql_type.endswith("[]"):
        assert isinstance(value, list), f"{where}: {sql_type} must be a list, got {value!r}"
        assert len(value) == len(want), where
        for i, (v, w) in enumerate(zip(value, want)):
            check_param(v, sql_type[:-2], w, f"{where}[{i}]")
        return
    if sql_type == "bigint":
        assert type(value) is int and value == want, f"{where}: {value!r} != {want!r}"
    elif sql_type == "float8":
        assert type(value) is float and value == float(want), f"{where}: {value!r} != {want!r}"
    elif sql_type == "boolean":
        assert type(value) is bool and value is want, f"{where}: {value!r} != {want!r}"
    elif sql_type == "numeric":
        assert isinstance(value, Decimal), f"{where}: numeric must be Decimal, got {value!r}"
        assert value == Decimal(str(want)), f"{where}: {value!r} != {want!r}"
    elif sql_type == "uuid":
        assert isinstance(value, uuid.UUID) and str(value) == want, f"{where}: {value!r}"
    elif sql_type == "date":
        assert type(value) is dt.date and value.isoformat() == want, f"{where}: {value!r}"
    elif sql_type == "timestamptz":
        if isinstance(value, str):  # text PostgreSQL accepts but datetime cannot hold
            assert value == want, where
        else:
            assert isinstance(value, dt.datetime) and value.tzinfo is not None, where
            expected = dt.datetime.fromisoformat(
                want.replace("Z", "+00:00").replace("z", "+00:00")
            ) if _py_parses(want) else None
            if expected is not None:
                assert value == expected and value.utcoffset() == expected.utcoffset(), (
                    f"{where}: {value!r} != {want!r}"
                )
    elif sql_type == "jsonb":
        # Same key order and number text as the Rust runner: the JSON text is identical.
        assert type(value) is str and value == want, f"{where}: {value!r} != {want!r}"
    else:  # text and every type sent as text (inet, ltree, jsonb, vector...)
        assert type(value) is str and value == want, f"{where}: {value!r} != {want!r}"


def _py_parses(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        return True
    except ValueError:
        return False


def compile_case(case: Case, schema: fraiseql_qb.Schema, placeholder: str) -> Any:
    return fraiseql_qb.compile(case.query, case_schema(case, schema), placeholder=placeholder)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_golden_compile(case: Case, schema: fraiseql_qb.Schema) -> None:
    error_file = case.file("error.json")
    if error_file.exists():
        want = json.loads(error_file.read_text())
        with pytest.raises(fraiseql_qb.QueryBuilderError) as info:
            compile_case(case, schema, case.placeholder)
        err = info.value
        assert type(err) is fraiseql_qb.ERRORS_BY_CODE[want["code"]]
        assert {"code": err.code, "path": err.path, "message": err.message} == want
        return
    out = compile_case(case, schema, case.placeholder)
    assert case.file("sql").exists(), f"{case.name}: no .sql/.error.json (bless the case with BLESS=1)"
    assert out.sql + "\n" == case.file("sql").read_text()
    want = json.loads(case.file("params.json").read_text())
    assert out.param_types == [p["type"] for p in want]
    assert len(out.params) == len(want)
    for i, (value, w) in enumerate(zip(out.params, want)):
        check_param(value, w["type"], w["value"], f"{case.name} param {i + 1}")
    # Unpacks as (sql, params).
    sql, params = out
    assert sql == out.sql and params == out.params


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_dict_and_json_text_agree(case: Case, schema: fraiseql_qb.Schema) -> None:
    # A dict is read in place by the core's parser (the Source over Python objects); JSON text
    # goes through the core's Value. Both must give the same statement or the same error.
    def outcome(query: Any) -> Any:
        try:
            out = fraiseql_qb.compile(query, case_schema(case, schema), placeholder=case.placeholder)
            return ("ok", out.sql, out.params, out.param_types)
        except fraiseql_qb.QueryBuilderError as e:
            return ("error", e.code, e.path, e.message)

    assert outcome(case.query) == outcome(fraiseql_qb._native.to_json(case.query))


EXECUTED = [c for c in CASES if c.execute and c.file("rows.json").exists()]


@pytest.fixture(scope="module")
def psycopg_conn(pg_url: str) -> Any:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def asyncpg_conn(pg_url: str) -> Any:
    import asyncpg

    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(pg_url))
    yield loop, conn
    loop.run_until_complete(conn.close())
    loop.close()


def expected_rows(case: Case) -> Any:
    return canonical_rows(json.loads(case.file("rows.json").read_text()), case.ordered)


@pytest.mark.parametrize("case", EXECUTED, ids=lambda c: c.name)
def test_golden_rows_psycopg(case: Case, schema: fraiseql_qb.Schema, psycopg_conn: Any) -> None:
    q = compile_case(case, schema, "format")
    text = psycopg_conn.execute(json_wrap(q.sql), q.params).fetchone()[0]
    got = canonical_rows(json.loads(text), case.ordered)
    assert same_rows(got, expected_rows(case)), f"{got} != {expected_rows(case)}"


@pytest.mark.parametrize("case", EXECUTED, ids=lambda c: c.name)
def test_golden_rows_asyncpg(case: Case, schema: fraiseql_qb.Schema, asyncpg_conn: Any) -> None:
    loop, conn = asyncpg_conn
    q = compile_case(case, schema, "numbered")
    text = loop.run_until_complete(conn.fetchval(json_wrap(q.sql), *q.params))
    got = canonical_rows(json.loads(text), case.ordered)
    assert same_rows(got, expected_rows(case)), f"{got} != {expected_rows(case)}"
