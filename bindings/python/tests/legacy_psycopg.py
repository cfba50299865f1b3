"""Two legacy builders of the kinds applications really have, for the shim's tests: one
composing psycopg 3 ``sql`` objects (returns ``(sql.Composed, params)`` with ``%s``
placeholders), one building SQLAlchemy Core statements (returns a ``Select``). Both know a
handful of operators on the fixture's ``v_user`` view and give the same rows as the native
compiler for the queries the tests send."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.dialects import postgresql

COLUMNS = {"id", "tenant_id", "created_at"}
NUMERIC = {"age", "score", "views", "likes", "rating"}


def _field(name: str, numeric: Any = NUMERIC) -> Tuple[sql.Composable, sql.Composable]:
    """(selected jsonb expression, filtered/ordered typed expression) of a field."""
    if name in COLUMNS:
        col = sql.SQL("t.{}").format(sql.Identifier(name))
        return col, col
    selected = sql.SQL("t.data -> {}").format(sql.Literal(name))
    text = sql.SQL("(t.data ->> {})").format(sql.Literal(name))
    return selected, (sql.SQL("{}::numeric").format(text) if name in numeric else text)


_CMP = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def build_psycopg(query: Dict[str, Any], numeric: Any = NUMERIC) -> Tuple[sql.Composed, List[Any]]:
    """``(sql.Composed, params)``: psycopg's own composition, values as ``%s`` parameters.
    ``numeric``: the fields compared and ordered as numbers (the others as text)."""

    def field(name: str) -> Tuple[sql.Composable, sql.Composable]:
        return _field(name, numeric)

    pairs = []
    for name in query["select"]:
        pairs += [sql.Literal(name), field(name)[0]]
    stmt = sql.SQL("SELECT jsonb_build_object({}) AS data FROM {} AS t").format(
        sql.SQL(", ").join(pairs), sql.Identifier(query["view"]))
    params: List[Any] = []
    conds = []
    for name, ops in (query.get("where") or {}).items():
        expr = field(name)[1]
        for op, value in ops.items():
            if op in _CMP:
                conds.append(sql.SQL("{} {} {}").format(expr, sql.SQL(_CMP[op]), sql.Placeholder()))
                params.append(value)
            elif op == "in":
                conds.append(sql.SQL("{} = ANY({})").format(expr, sql.Placeholder()))
                params.append(list(value))
            elif op == "icontains":
                conds.append(sql.SQL("{} ILIKE {}").format(expr, sql.Placeholder()))
                params.append(f"%{value}%")
            else:
                raise NotImplementedError(f"legacy builder: operator {op}")
    if conds:
        stmt += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conds)
    keys = []
    for o in query.get("order_by") or []:
        direction = "DESC" if o.get("direction") == "desc" else "ASC"
        nulls = {"first": " NULLS FIRST", "last": " NULLS LAST"}.get(o.get("nulls"), "")
        keys.append(sql.SQL("{} " + direction + nulls).format(field(o["field"])[1]))
    if keys:
        stmt += sql.SQL(" ORDER BY ") + sql.SQL(", ").join(keys)
    if "limit" in query:
        stmt += sql.SQL(" LIMIT {}").format(sql.Placeholder())
        params.append(query["limit"])
    return stmt, params


_META = sa.MetaData()
V_USER = sa.Table("v_user", _META, sa.Column("id", postgresql.UUID),
                  sa.Column("created_at", sa.DateTime(timezone=True)),
                  sa.Column("data", postgresql.JSONB))


def _sa_field(name: str) -> Tuple[Any, Any]:
    if name in COLUMNS:
        col = V_USER.c[name]
        return col, col
    text = V_USER.c.data[name].astext
    return V_USER.c.data[name], (sa.cast(text, sa.Numeric) if name in NUMERIC else text)


def build_sqlalchemy(query: Dict[str, Any]) -> Any:
    """A SQLAlchemy Core ``Select`` (compiled by the shim's ``sqlalchemy_adapter``)."""
    assert query["view"] == "v_user", "the SQLAlchemy builder knows v_user only"
    pairs: List[Any] = []
    for name in query["select"]:
        pairs += [sa.literal(name), _sa_field(name)[0]]
    stmt = sa.select(sa.func.jsonb_build_object(*pairs).label("data")).select_from(V_USER)
    for name, ops in (query.get("where") or {}).items():
        expr = _sa_field(name)[1]
        for op, value in ops.items():
            if op == "eq":
                stmt = stmt.where(expr == value)
            elif op == "gte":
                stmt = stmt.where(expr >= value)
            elif op == "lt":
                stmt = stmt.where(expr < value)
            elif op == "in":
                stmt = stmt.where(expr.in_(list(value)))
            elif op == "icontains":
                stmt = stmt.where(expr.icontains(value, autoescape=True))
            else:
                raise NotImplementedError(f"legacy builder: operator {op}")
    for o in query.get("order_by") or []:
        key = _sa_field(o["field"])[1]
        key = key.desc() if o.get("direction") == "desc" else key.asc()
        if o.get("nulls") in ("first", "last"):
            key = key.nulls_first() if o["nulls"] == "first" else key.nulls_last()
        stmt = stmt.order_by(key)
    if "limit" in query:
        stmt = stmt.limit(query["limit"])
    return stmt
