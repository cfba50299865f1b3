"""A small hand-written Python query builder, standing in for an application's legacy builder
in the tests (and the shape of what the rollout shim wraps). It knows a handful of
operators on the fixture's views and writes psycopg-style ``%s`` SQL."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

COLUMNS = {"id", "tenant_id", "created_at"}
NUMERIC_FIELDS = {"age", "score", "views", "likes", "rating"}
OPS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _ref(field: str) -> Tuple[str, str]:
    """(selected expression, filtered expression) of a field."""
    key = _snake(field)
    if key in COLUMNS:
        return f't."{key}"', f't."{key}"'
    if key in NUMERIC_FIELDS:
        return f"t.\"data\"->'{key}'", f"(t.\"data\"->>'{key}')::numeric"
    return f"t.\"data\"->'{key}'", f"t.\"data\"->>'{key}'"


def build(query: Dict[str, Any]) -> Tuple[str, List[Any]]:
    view = query["view"]
    params: List[Any] = []
    select = ", ".join(f"'{f}', {_ref(f)[0]}" for f in query["select"])
    sql = f'SELECT jsonb_build_object({select}) AS "data" FROM "{view}" AS t'
    conds = []
    for field, ops in (query.get("where") or {}).items():
        _, expr = _ref(field)
        for op, value in ops.items():
            if op == "in":
                conds.append(f"{expr} = ANY(%s)")
                params.append([str(v) for v in value] if "::numeric" not in expr else value)
            elif op in OPS:
                conds.append(f"{expr} {OPS[op]} %s")
                params.append(value if "::numeric" in expr else str(value))
            else:
                raise NotImplementedError(f"legacy builder: operator {op}")
    if conds:
        sql += " WHERE " + " AND ".join(conds)
    for o in query.get("order_by") or []:
        sql += f" ORDER BY {_ref(o['field'])[1]} {o.get('direction', 'asc').upper()}"
    if "limit" in query:
        sql += " LIMIT %s"
        params.append(query["limit"])
    return sql, params
