"""GraphQL requests compiled by fraiseql-qb (``qb-graphql``, docs/graphql.md).

``compile(document, variables, schema)`` returns one SQL statement per root field and how to
put its rows into the response; ``Request.assemble`` builds ``{"data": {...}}`` from the
rows a driver returned. Every check, and the shaping of a connection's rows (root or nested)
into ``{edges, nodes, pageInfo, totalCount}``, is the core's: this module only converts types.

The ``Schema`` keeps the GraphQL schema derived from it and a document cache: a repeated
document (same text, operation name and options) is not parsed or validated again, its
variables are bound on every call, and the result is exactly an uncached compile's
(``Schema(doc, graphql_cache_size=...)``, ``Schema.graphql_cache_stats()``).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence

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
    #: For a connection field (``userConnection``): the core's assembler of its rows
    #: (``.columns``, ``.assemble(rows)``); None otherwise.
    connection: Optional[Any] = None
    #: For a field whose rows hold nested connections (``postsConnection``): the core's
    #: finisher of each row's ``data`` (``.finish(data)``); None otherwise.
    nested: Optional[Any] = None


def _data(row: Any) -> Any:
    """The ``data`` column of a row: a row as fetched (a sequence of columns, or a mapping
    by column name), or the ``data`` value itself."""
    if isinstance(row, (tuple, list)):
        return row[0]
    if isinstance(row, Mapping) and "data" in row:
        return row["data"]
    return row


def _finish(field: RootField, data: Any) -> Any:
    """A row's ``data`` as the response has it (nested connections shaped by the core)."""
    return data if field.nested is None else field.nested.finish(data)


class Request(NamedTuple):
    """A compiled GraphQL request: its root fields in response order."""

    fields: List[RootField]

    def assemble(self, run: Callable[[Any], Sequence[Any]]) -> Dict[str, Any]:
        """``{"data": {key: ...}}``: ``run(query)`` returns the rows of one statement as the
        driver fetched them (e.g. ``conn.execute(q.sql, q.params).fetchall()``: sequences of
        columns, or mappings with a dict row factory). For a field that is not a connection
        a row may also be the ``data`` value itself."""
        data: Dict[str, Any] = {}
        for f in self.fields:
            if f.query is None:
                data[f.response_key] = f.value
                continue
            rows = run(f.query)
            if f.connection is not None:
                data[f.response_key] = f.connection.assemble(rows)
            elif f.single:
                data[f.response_key] = _finish(f, _data(rows[0])) if rows else None
            else:
                data[f.response_key] = [_finish(f, _data(r)) for r in rows]
        return {"data": data}


def compile(
    document: str,
    variables: Optional[Mapping[str, Any]],
    schema: "_native.Schema",
    *,
    operation_name: Optional[str] = None,
    placeholder: str = "numbered",
    cursor_key: Optional[bytes] = None,
) -> Request:
    """Compile a GraphQL request against the GraphQL schema derived from ``schema``.

    ``cursor_key`` (bytes) authenticates connection cursors (HMAC-SHA256), as for
    ``fraiseql_qb.compile``: the cursors ``Request.assemble`` writes are signed with it, and
    ``after``/``before`` cursors must verify.

    Raises a ``QueryBuilderError`` subclass (``GraphqlInvalidError`` for a request GraphQL
    refuses), whose ``.errors`` lists every error in the GraphQL spec's shape."""
    fields = _native.graphql_compile(
        document,
        variables,
        schema,
        operation_name=operation_name,
        placeholder=placeholder,
        cursor_key=cursor_key,
    )
    return Request([RootField(*f) for f in fields])
