"""A stand-in for FraiseQL's ``build_sql_query`` (``src/fraiseql/sql/sql_generator.py`` at
``6d3a2ba26``) and for the where SQL its where generator makes, written for these tests: the
same inputs, and statements of the same shape (a bare ``psycopg.sql.Composed``, every value an
inlined ``sql.Literal``, the output column ``result``, ``->>`` or ``->`` chosen from a field's
name, GROUP BY and ORDER BY on ``data->>'x'`` text, the field-count threshold selecting the
whole ``data`` column without GROUP BY and ORDER BY). It covers what the wiring tests send,
not FraiseQL's every branch."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from psycopg.sql import SQL, Composed, Identifier, Literal

#: Names FraiseQL's heuristic reads with ``->`` (numbers and booleans keep their JSON type);
#: every other name is read with ``->>`` (text).
JSON_TYPED_NAMES = {"age", "score", "active", "count", "rating", "views", "likes"}


def to_snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _text_path(parts: Sequence[str]) -> Composed:
    expr: Composed = SQL("data")  # type: ignore[assignment]
    for p in parts[:-1]:
        expr = SQL("{}->{}").format(expr, Literal(p))
    return SQL("{}->>{}").format(expr, Literal(parts[-1]))


def build_sql_query(
    table: str,
    field_paths: Sequence[Any],
    where_clause: Optional[Composed] = None,
    *,
    json_output: bool = False,
    typename: Optional[str] = None,
    order_by: Optional[Sequence[Tuple[str, str]]] = None,
    group_by: Optional[Sequence[str]] = None,
    auto_camel_case: bool = False,
    raw_json_output: bool = False,
    field_limit_threshold: Optional[int] = None,
) -> Composed:
    parts: List[Any] = []
    if field_limit_threshold is not None and len(field_paths) > field_limit_threshold:
        if raw_json_output:
            select: Any = SQL("data::text AS result")
        elif json_output:
            select = SQL("data AS result")
        else:
            select = SQL("data")
        parts.append(SQL("SELECT {} FROM {}").format(select, Identifier(table)))
        if where_clause is not None:
            parts += [SQL(" WHERE "), where_clause]
        return Composed(parts)  # no GROUP BY, no ORDER BY past the threshold

    pairs: List[Any] = []
    exprs: List[Any] = []
    for fp in field_paths:
        expr: Any = SQL("data")
        for p in fp.path[:-1]:
            expr = SQL("{}->{}").format(expr, Literal(p))
        op = "->" if fp.path[-1] in JSON_TYPED_NAMES else "->>"
        expr = SQL("{}" + op + "{}").format(expr, Literal(fp.path[-1]))
        pairs += [Literal(fp.alias), expr]
        exprs.append((fp.alias, expr))
    if typename is not None:
        pairs += [Literal("__typename"), Literal(typename)]
    if json_output:
        obj = SQL("jsonb_build_object({})").format(SQL(", ").join(pairs))
        select = SQL("{}::text AS result" if raw_json_output else "{} AS result").format(obj)
    else:
        select = SQL(", ").join(SQL("{} AS {}").format(e, Identifier(a)) for a, e in exprs)
    parts.append(SQL("SELECT {} FROM {}").format(select, Identifier(table)))
    if where_clause is not None:
        parts += [SQL(" WHERE "), where_clause]

    def key(path: str) -> Composed:
        segs = path.split(".")
        return _text_path(segs if auto_camel_case else [to_snake_case(s) for s in segs])

    if group_by:
        parts += [SQL(" GROUP BY "), SQL(", ").join(key(g) for g in group_by)]
    if order_by:
        parts += [SQL(" ORDER BY "),
                  SQL(", ").join(key(f) + SQL(" " + str(d).upper()) for f, d in order_by)]
    return Composed(parts)


_CMP = {"eq": "=", "neq": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def where_sql(where: Dict[str, Any]) -> Composed:
    """The where clause FraiseQL composes from a where input: values inlined as literals,
    numbers compared as ``numeric``."""
    conds = []
    for field, ops in where.items():
        text = _text_path([to_snake_case(s) for s in field.split(".")])
        for op, value in ops.items():
            items = value if isinstance(value, list) else [value]
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items)
            expr = SQL("({})::numeric").format(text) if numeric else text
            if op in _CMP:
                conds.append(SQL("{} " + _CMP[op] + " {}").format(expr, Literal(value)))
            elif op == "in":
                items = SQL(", ").join(Literal(v) for v in value)
                conds.append(SQL("{} IN ({})").format(expr, items))
            elif op == "contains":
                conds.append(SQL("{} LIKE {}").format(text, Literal(f"%{value}%")))
            elif op == "isnull":
                conds.append(SQL("{} IS NULL" if value else "{} IS NOT NULL").format(text))
            else:
                raise NotImplementedError(f"where_sql: operator {op}")
    return SQL("({})").format(SQL(" AND ").join(conds))


def fraiseql_legacy(query: Any) -> Composed:
    """The legacy builder a FraiseQL application registers with the shim: FraiseQL's
    statement for the call a :class:`fraiseql_qb.fraiseql.FraiseQLQuery` was mapped from,
    with the repository's LIMIT and OFFSET."""
    stmt = build_sql_query(**query.fraiseql_args)
    if query.limit is not None:
        stmt += SQL(" LIMIT {}").format(Literal(query.limit))
    if query.offset is not None:
        stmt += SQL(" OFFSET {}").format(Literal(query.offset))
    return stmt
