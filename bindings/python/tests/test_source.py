"""The core's parser reading Python objects in place (``convert::Node``, a ``Source``) must
behave exactly like the core reading the same document as JSON text (through ``Value``).

Differential and randomized: golden queries are mutated at random (a subtree replaced by a
random value of a random Python type, a key renamed, a list turned into a tuple), then both
paths must give the same statement, or the same error code, path and message. Values with
no JSON form (bytes, sets, NaN, objects) must give a typed error from the dict path.
Seeded, so a failure reproduces; ``FQB_SOURCE_ITERATIONS`` raises the count.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from collections import OrderedDict
from decimal import Decimal
from typing import Any, List, Tuple

import pytest

import fraiseql_qb
from conftest import CASES, case_schema

ITERATIONS = int(os.environ.get("FQB_SOURCE_ITERATIONS", "3000"))


def outcome(query: Any, schema: Any, placeholder: str) -> Tuple[Any, ...]:
    try:
        out = fraiseql_qb.compile(query, schema, placeholder=placeholder)
        return ("ok", out.sql, out.params, out.param_types)
    except fraiseql_qb.QueryBuilderError as e:
        return ("error", e.code, e.path, e.message)


class MyDict(dict):  # type: ignore[type-arg]
    pass


class MyStr(str):
    pass


def scalar(rng: random.Random) -> Any:
    # Floats only with a fraction: `to_json` writes 1e300 as 301 digits and -0.0 as `-0`,
    # which JSON text reads back as integers, a different value (not a parser difference).
    return rng.choice([
        None, True, False, 0, -1, 7, 2**63 - 1, 2**63, -(2**70), 1.5, -2.25,
        Decimal("12.50"), Decimal("-1E+3"), "", "x", "v_user", "id", "email", "eq", "in",
        "__typename", "profile.city", "a.b.", "é", "日本", MyStr("name"),
        uuid.UUID(int=7), dt.date(2024, 2, 29), dt.datetime(2024, 1, 31, 10, 0, tzinfo=dt.timezone.utc),
    ])


def foreign(rng: random.Random) -> Any:
    return rng.choice([b"bytes", {"a", "b"}, float("nan"), float("inf"), object(), 1j,
                       Decimal("NaN"), frozenset(), bytearray(b"x"), 1e300, -0.0])


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.55:
        return scalar(rng)
    if roll < 0.75:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if roll < 0.8:
        return tuple(random_value(rng, depth + 1) for _ in range(rng.randrange(3)))
    keys = ["field", "select", "alias", "eq", "in", "and", "or", "not", "name", "x", "direction"]
    d = {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    return MyDict(d) if rng.random() < 0.1 else d


def nodes(doc: Any, path: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
    """Paths of every container member in `doc`."""
    out: List[Tuple[Any, ...]] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append(path + (k,))
            out.extend(nodes(v, path + (k,)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append(path + (i,))
            out.extend(nodes(v, path + (i,)))
    return out


def mutate(rng: random.Random, doc: Any, allow_foreign: bool) -> Any:
    import copy

    doc = copy.deepcopy(doc)
    for _ in range(rng.randrange(1, 3)):
        paths = nodes(doc)
        if not paths:
            return doc
        path = rng.choice(paths)
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = rng.random()
        if action < 0.6:
            parent[last] = foreign(rng) if allow_foreign else random_value(rng)
        elif action < 0.75 and isinstance(parent, dict):
            # Rename a key, keeping its position.
            items = list(parent.items())
            new_key = rng.choice(["x", "eq", "field", "select", "where", "nulls", "not", "AND"])
            parent.clear()
            for k, v in items:
                parent[new_key if k == last and new_key not in parent else k] = v
        elif action < 0.9 and isinstance(parent[last], list):
            parent[last] = tuple(parent[last])
        elif isinstance(parent, dict):
            del parent[last]
        else:
            parent[last] = random_value(rng)
    return doc


def test_mutated_queries_agree_between_dict_and_json_text(schema: fraiseql_qb.Schema) -> None:
    rng = random.Random(20261126)
    cases = [c for c in CASES if isinstance(c.query, dict)]
    checked = {"ok": 0, "error": 0}
    for i in range(ITERATIONS):
        case = rng.choice(cases)
        query = mutate(rng, case.query, allow_foreign=False)
        text = fraiseql_qb._native.to_json(query)
        sch = case_schema(case, schema)
        got = outcome(query, sch, case.placeholder)
        want = outcome(text, sch, case.placeholder)
        assert got == want, f"iteration {i}, case {case.name}: {query!r}"
        checked[got[0]] += 1
    # Both outcomes were exercised (a generator that only produced errors would prove little).
    assert checked["ok"] > ITERATIONS // 20 and checked["error"] > ITERATIONS // 5, checked


def test_values_with_no_json_form_are_typed_errors(schema: fraiseql_qb.Schema) -> None:
    rng = random.Random(7)
    cases = [c for c in CASES if isinstance(c.query, dict)]
    for i in range(ITERATIONS // 3):
        case = rng.choice(cases)
        query = mutate(rng, case.query, allow_foreign=True)
        try:
            fraiseql_qb.compile(query, case_schema(case, schema), placeholder=case.placeholder)
        except fraiseql_qb.QueryBuilderError as e:
            assert e.code.startswith("QB_") and e.message, (i, query)


@pytest.mark.parametrize("container", [dict, OrderedDict, MyDict])
def test_dict_subclasses_and_tuples_read_like_dicts_and_lists(
    schema: fraiseql_qb.Schema, container: Any
) -> None:
    q = container(view="v_user", select=("id", "email"),
                  where=container(email=container(**{"in": ("a@x", "b@x")})),
                  order_by=(container(field="email", direction="desc"),))
    plain = {"view": "v_user", "select": ["id", "email"],
             "where": {"email": {"in": ["a@x", "b@x"]}},
             "order_by": [{"field": "email", "direction": "desc"}]}
    assert outcome(q, schema, "numbered") == outcome(plain, schema, "numbered")
