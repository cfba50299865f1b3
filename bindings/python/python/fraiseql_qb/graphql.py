"""GraphQL requests compiled by fraiseql-qb (``qb-graphql``, docs/graphql.md).

``compile(document, variables, schema)`` returns one SQL statement per root field and how to
put its rows into the response; ``Request.assemble`` builds ``{"data": {...}}`` from the
rows a driver returned. Every check is the core's: this module only converts types.

The ``Schema`` keeps the GraphQL schema derived from it and a document cache: a repeated
document (same text, operation name and options) is not parsed or validated again, its
variables are bound on every call, and the result is exactly an uncached compile's
(``Schema(doc, graphql_cache_size=...)``, ``Schema.graphql_cache_stats()``).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional

from ._loader import native as _native


class RootField(NamedTuple):
    """One root field of the response."""

    response_key: str
    #: The statement (``.sql``, ``.params``), or None for a field known without SQL.
    query: Optional[Any]
    #: True: the field is one object (by primary key): the first row's ``data`` or None.
    single: bool
    #: The value of a field known without SQL (root ``__typename``: ``"Query"``).
    value: Any


class Request(NamedTuple):
    """A compiled GraphQL request: its root fields in response order."""

    fields: List[RootField]

    def assemble(self, run: Callable[[Any], List[Any]]) -> Dict[str, Any]:
        """``{"data": {key: ...}}``: ``run(query)`` returns the ``data`` column of each row
        of one statement (e.g. ``[r[0] for r in conn.execute(q.sql, q.params)]``)."""
        data: Dict[str, Any] = {}
        for f in self.fields:
            if f.query is None:
                data[f.response_key] = f.value
                continue
            rows = run(f.query)
            data[f.response_key] = (rows[0] if rows else None) if f.single else rows
        return {"data": data}


def compile(
    document: str,
    variables: Optional[Mapping[str, Any]],
    schema: "_native.Schema",
    *,
    operation_name: Optional[str] = None,
    placeholder: str = "numbered",
) -> Request:
    """Compile a GraphQL request against the GraphQL schema derived from ``schema``.

    Raises a ``QueryBuilderError`` subclass (``GraphqlInvalidError`` for a request GraphQL
    refuses), whose ``.errors`` lists every error in the GraphQL spec's shape."""
    fields = _native.graphql_compile(
        document, variables, schema, operation_name=operation_name, placeholder=placeholder
    )
    return Request([RootField(*f) for f in fields])
