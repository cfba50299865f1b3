"""docs/migrating.md, "Wiring the shim into an existing FraiseQL application": FraiseQL's
``build_sql_query`` inputs mapped by ``fraiseql_qb.fraiseql.fraiseql_query``, run through
the shim with a FraiseQL-shaped legacy builder (tests/fraiseql_shaped.py), and the rows of
both statements compared on PostgreSQL by the shim's shadow executor: the same rows where the
meanings agree, and the documented difference (FraiseQL orders numbers as text) reported."""

from __future__ import annotations

import json
from collections import namedtuple
from typing import Any, Dict, List

import psycopg
import pytest

import fraiseql_qb
from fraiseql_qb.fraiseql import FraiseQLQuery, fraiseql_query, where_input
from fraiseql_qb.rollout import RolloutQueryBuilder, psycopg_shadow_executor
from conftest import FIXTURE_SCHEMA_TEXT
from fraiseql_shaped import fraiseql_legacy, where_sql

#: fraiseql.core.ast_parser.FieldPath's shape.
FieldPath = namedtuple("FieldPath", "alias path")


def call(field_paths: List[Any], where: Any = None, **kw: Any) -> FraiseQLQuery:
    """What a FraiseQL repository has at its build_sql_query call, mapped."""
    return fraiseql_query("v_user", field_paths, where,
                          where_clause=where_sql(where) if where else None, **kw)


CASES: Dict[str, Any] = {
    "json with paths, where, typename": lambda: call(
        [FieldPath("email", ["email"]), FieldPath("name", ["name"]),
         FieldPath("city", ["profile", "city"])],
        {"age": {"gte": 30}}, json_output=True, typename="User"),
    "raw json text": lambda: call(
        [FieldPath("email", ["email"]), FieldPath("age", ["age"])],
        {"name": {"contains": "a"}}, json_output=True, raw_json_output=True),
    "columns": lambda: call(
        [FieldPath("email", ["email"]), FieldPath("age", ["age"]),
         FieldPath("street", ["profile", "address", "street"])],
        {"age": {"in": [25, 30, 41]}}),
    "order by text, limit, offset": lambda: call(
        [FieldPath("name", ["name"])], None, json_output=True,
        order_by=[("name", "asc")], limit=5, offset=2),
    "camelCase order key": lambda: call(
        [FieldPath("nickName", ["nick_name"]), FieldPath("email", ["email"])],
        {"email": {"isnull": False}}, json_output=True, order_by=[("email", "DESC")]),
    "group by a nested path": lambda: call(
        [FieldPath("city", ["profile", "city"])], None, json_output=True,
        group_by=["profile.city"]),
}


@pytest.fixture(scope="module")
def threshold_schema() -> fraiseql_qb.Schema:
    doc = json.loads(FIXTURE_SCHEMA_TEXT)
    doc["views"]["v_user"]["document_threshold"] = 2
    return fraiseql_qb.Schema(doc)


def shim_for(pg_url: str, schema: Any, **kw: Any) -> RolloutQueryBuilder:
    return RolloutQueryBuilder(
        fraiseql_legacy, schema, placeholder="format",
        env={"FRAISEQL_RUST_QB_SHADOW_PERCENTAGE": "100"},
        shadow_executor=psycopg_shadow_executor(pg_url), **kw)


def shadow(shim: RolloutQueryBuilder) -> Any:
    assert shim.shadow_idle(30)
    m = shim.metrics()
    return m["shadow_runs"], m["shadow_mismatches"], m["shadow_errors"]


@pytest.mark.parametrize("name", list(CASES))
def test_the_mapped_query_gives_fraiseqls_rows(pg_url: str, schema: Any, name: str) -> None:
    q = CASES[name]()
    shim = shim_for(pg_url, schema)
    served = shim.build(q)  # legacy: FraiseQL's statement, executable with its params
    with psycopg.connect(pg_url) as conn:
        legacy_rows = conn.execute(served.sql, served.params).fetchall()
        native = fraiseql_qb.compile(q, schema, placeholder="format")
        native_rows = conn.execute(native.sql, native.params).fetchall()
    assert legacy_rows and len(legacy_rows) == len(native_rows), name
    assert shadow(shim) == (1, 0, 0), shim.shadow_mismatches()


def test_the_threshold_is_the_registrys_document_threshold(
    pg_url: str, threshold_schema: Any
) -> None:
    q = call([FieldPath("email", ["email"]), FieldPath("name", ["name"]),
              FieldPath("age", ["age"])], {"age": {"gte": 18}}, json_output=True,
             field_limit_threshold=2)
    assert "document_threshold" not in q  # a registry opt-in, never a query key
    native = fraiseql_qb.compile(q, threshold_schema, placeholder="format")
    assert native.sql.startswith('SELECT t."data" AS "data" FROM "v_user" AS t WHERE')
    shim = shim_for(pg_url, threshold_schema)
    shim.build(q)
    assert shadow(shim) == (1, 0, 0), shim.shadow_mismatches()


def test_numbers_ordered_as_text_is_the_documented_difference(pg_url: str, schema: Any) -> None:
    q = call([FieldPath("name", ["name"]), FieldPath("score", ["score"])],
             {"score": {"gte": 0}}, json_output=True, order_by=[("score", "desc")])
    shim = shim_for(pg_url, schema)
    shim.build(q)
    assert shadow(shim) == (1, 1, 0)
    report = shim.shadow_mismatches()[0]["input"]
    assert "ORDER BY data->>'score' DESC" in report  # FraiseQL's statement, shown
    assert "ordered first difference at 0:" in report
    assert '"score":99.99' in report.split("first difference")[1].split("native=")[0]


def test_the_legacy_statement_keeps_its_meaning_through_the_shim(pg_url: str, schema: Any) -> None:
    # FraiseQL inlines `LIKE '%a%'`; executed with a parameter list psycopg would read `%a`
    # as a placeholder: the shim's statement runs and returns what FraiseQL's did.
    q = CASES["raw json text"]()
    stmt = fraiseql_legacy(q)
    served = RolloutQueryBuilder(fraiseql_legacy, schema, placeholder="format", env={}).build(q)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(served.sql, served.params).fetchall() == conn.execute(stmt).fetchall()


def test_where_input_objects_and_mapping() -> None:
    class StringFilter:  # FraiseQL's generated where input types: attributes, None = unset
        def __init__(self, **kw: Any) -> None:
            self.eq = self.in_ = self.contains = None
            self.__dict__.update(kw)

    class UserWhere:
        def __init__(self, **kw: Any) -> None:
            self.email = self.name = self.OR = None
            self.__dict__.update(kw)

    w = UserWhere(email=StringFilter(in_=["a@x", "b@x"]),
                  OR=[UserWhere(name=StringFilter(eq="Ann")), UserWhere(name=StringFilter(contains="o"))])
    assert where_input(w) == {"email": {"in": ["a@x", "b@x"]},
                              "OR": [{"name": {"eq": "Ann"}}, {"name": {"contains": "o"}}]}
    as_dict = {"email": {"eq": None}}
    assert where_input(as_dict) is as_dict  # a mapping is the caller's: explicit null stays
    q = fraiseql_query("v_user", [("email", ["email"])], w, json_output=True,
                       order_by=[("createdAt", type("Dir", (), {"value": "DESC"})())],
                       auto_camel_case=True)
    assert q["order_by"] == [{"field": "createdAt", "direction": "desc"}]
    assert q["camel_case"] is False and q["output"] == "json"
    assert q.fraiseql_args["auto_camel_case"] is True and q.limit is None


def test_the_module_example_runs() -> None:
    import doctest

    import fraiseql_qb.fraiseql as module

    result = doctest.testmod(module)
    assert result.attempted >= 5 and result.failed == 0
