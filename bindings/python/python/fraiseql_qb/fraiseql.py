"""FraiseQL's ``build_sql_query`` inputs as a fraiseql-qb query, for wiring the rollout shim
into an existing FraiseQL application (docs/migrating.md, "Wiring the shim into an existing
FraiseQL application").

>>> from fraiseql_qb.fraiseql import fraiseql_query
>>> from collections import namedtuple
>>> FieldPath = namedtuple("FieldPath", "alias path")      # fraiseql.core.ast_parser's shape
>>> q = fraiseql_query("v_user", [FieldPath("city", ["profile", "city"])],
...                    {"age": {"gte": 30}}, json_output=True, typename="User",
...                    order_by=[("profile.city", "asc")], limit=20)
>>> dict(q) == {"view": "v_user",
...     "select": [{"field": ["profile", "city"], "alias": "city"}, "__typename"],
...     "output": "json", "where": {"age": {"gte": 30}},
...     "order_by": [{"field": "profile.city", "direction": "asc"}],
...     "camel_case": True, "limit": 20}
True
>>> sorted(q.fraiseql_args)
['auto_camel_case', 'field_limit_threshold', 'field_paths', 'group_by', 'json_output', 'order_by', 'raw_json_output', 'table', 'typename', 'where_clause']

The result is the query dict the native compiler reads; it also keeps the FraiseQL call it
came from (``fraiseql_args``: ``build_sql_query``'s arguments, ``where_clause`` included), so
the legacy builder registered with the shim can build FraiseQL's statement from the very
object the shim passes it. Only names and shapes are mapped here: every check is the
compiler's.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

__all__ = ["FraiseQLQuery", "fraiseql_query", "where_input"]

class FraiseQLQuery(dict):
    """A fraiseql-qb query (a ``dict``, read by the compiler like any other) carrying the
    FraiseQL call it was made from: ``fraiseql_args`` (``build_sql_query``'s keyword
    arguments, ``table`` and ``where_clause`` included), ``limit`` and ``offset`` as the
    repository applies them."""

    fraiseql_args: Dict[str, Any]
    limit: Optional[int]
    offset: Optional[int]


def where_input(where: Any) -> Any:
    """A where input as a query's ``where``: a mapping is taken as is (GraphQL names, as a
    resolver receives the argument); an input object (FraiseQL's generated where types) gives
    its attributes that are set (not ``None``: an unset GraphQL input field), under their
    GraphQL names (``in_`` is ``in``), recursively through lists (``OR``/``AND``)."""
    if where is None or isinstance(where, (str, bytes, int, float, bool)):
        return where
    if isinstance(where, Mapping):
        return where
    if isinstance(where, (list, tuple)):
        return [where_input(w) for w in where]
    try:
        attrs = vars(where)
    except TypeError:
        return where  # a value the compiler reads itself (date, UUID, Decimal, ...)
    gql = getattr(type(where), "__gql_fields__", None) or {}
    out: Dict[str, Any] = {}
    for name, value in attrs.items():
        if name.startswith("_") or value is None:
            continue
        field = gql.get(name)
        key = getattr(field, "graphql_name", None) or (name[:-1] if name.endswith("_") else name)
        out[key] = where_input(value)
    return out


def _path(field_path: Any) -> Tuple[str, List[str]]:
    """``(alias, path)`` of a FraiseQL ``FieldPath`` (or an ``(alias, path)`` pair)."""
    alias = getattr(field_path, "alias", None)
    path = getattr(field_path, "path", None)
    if alias is None or path is None:
        alias, path = field_path
    return str(alias), [str(p) for p in path]


def _direction(direction: Any) -> str:
    value = getattr(direction, "value", direction)
    return str(value).lower()


def fraiseql_query(
    table: str,
    field_paths: Iterable[Any],
    where: Any = None,
    *,
    where_clause: Any = None,
    json_output: bool = False,
    typename: Optional[str] = None,
    order_by: Optional[Sequence[Tuple[str, Any]]] = None,
    group_by: Optional[Sequence[str]] = None,
    auto_camel_case: bool = False,
    raw_json_output: bool = False,
    field_limit_threshold: Optional[int] = None,
    limit: Optional[int] = None,
    offset: Optional[int] = None,
) -> FraiseQLQuery:
    """The query of one FraiseQL ``build_sql_query`` call (plus the repository's ``limit``
    and ``offset``).

    ``where`` is the where *input* (the compiler builds the condition itself, typed by the
    registry); ``where_clause`` is the SQL FraiseQL made from it, kept for the legacy
    builder only. ``field_limit_threshold`` is kept for FraiseQL too: in fraiseql-qb the
    whole-document switch is the view's ``document_threshold`` in the registry (set it to the
    same N where the document holds nothing a client may not read). ``typename`` selects
    ``__typename`` last, FraiseQL's key order (the registry's typename is written, so it must
    be the one FraiseQL passes). ``order_by`` takes ``(field_path, direction)`` pairs (a
    direction may be an enum with ``.value``).
    """
    field_paths_ = list(field_paths)
    paths = [_path(fp) for fp in field_paths_]
    select: List[Any] = [{"field": path, "alias": alias} for alias, path in paths]
    if typename is not None:
        select.append("__typename")
    if raw_json_output:
        output = "json_text"
    elif json_output:
        output = "json"
    else:
        output = "columns"
    q = FraiseQLQuery(view=table, select=select, output=output)
    if where is not None:
        q["where"] = where_input(where)
    if order_by:
        q["order_by"] = [{"field": str(f), "direction": _direction(d)} for f, d in order_by]
    if group_by:
        q["group_by"] = [str(g) for g in group_by]
    # FraiseQL: auto_camel_case=False converts camelCase paths to snake_case; True keeps them.
    q["camel_case"] = not auto_camel_case
    if limit is not None:
        q["limit"] = limit
    if offset is not None:
        q["offset"] = offset
    q.fraiseql_args = {
        "table": table,
        "field_paths": list(field_paths_),
        "where_clause": where_clause,
        "json_output": json_output,
        "typename": typename,
        "order_by": list(order_by) if order_by else None,
        "group_by": list(group_by) if group_by else None,
        "auto_camel_case": auto_camel_case,
        "raw_json_output": raw_json_output,
        "field_limit_threshold": field_limit_threshold,
    }
    q.limit, q.offset = limit, offset
    return q
