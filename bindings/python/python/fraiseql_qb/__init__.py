"""fraiseql_qb: compile a query AST over PostgreSQL JSONB views into parameterized SQL.

>>> import fraiseql_qb
>>> schema = fraiseql_qb.Schema({"views": {"v_user": {
...     "typename": "User", "columns": {"id": "uuid"}, "fields": {"age": "integer"}}}})
>>> q = fraiseql_qb.compile({"view": "v_user", "select": ["id"],
...                          "where": {"age": {"gte": 18}}}, schema)
>>> q.params
[18]
>>> sql, params = q

The compiler is native (Rust, qb-core); this package converts Python values into its input
and its typed parameters back into the values psycopg 3 and asyncpg expect. See README.md
for the type mapping and the GIL policy, and :mod:`fraiseql_qb.rollout` for the migration
shim.
"""

from __future__ import annotations

from typing import Dict, Type

from ._loader import NATIVE_AVAILABLE
from ._loader import native as _native

CompiledQuery = _native.CompiledQuery
Schema = _native.Schema
Prepared = _native.Prepared
QueryBuilderError = _native.QueryBuilderError
DepthLimitError = _native.DepthLimitError
InvalidGroupByError = _native.InvalidGroupByError
InvalidIdentifierError = _native.InvalidIdentifierError
InvalidJsonError = _native.InvalidJsonError
InvalidQueryError = _native.InvalidQueryError
InvalidSchemaError = _native.InvalidSchemaError
InvalidValueError = _native.InvalidValueError
OperatorTypeMismatchError = _native.OperatorTypeMismatchError
SizeLimitError = _native.SizeLimitError
UnknownFieldError = _native.UnknownFieldError
UnknownOperatorError = _native.UnknownOperatorError
UnknownViewError = _native.UnknownViewError
UnsupportedError = _native.UnsupportedError
InternalError = _native.InternalError
InvalidCursorError = _native.InvalidCursorError
CursorMismatchError = _native.CursorMismatchError
NoPrimaryKeyError = _native.NoPrimaryKeyError
GraphqlInvalidError = _native.GraphqlInvalidError

from . import graphql  # noqa: E402  (fraiseql_qb.graphql.compile)

try:  # the wheel's metadata; absent when running from a source tree
    from importlib.metadata import version as _version

    __version__ = _version("fraiseql-qb")
except Exception:  # pragma: no cover
    __version__ = "0.0.0"

#: Exception class for every error code of the core (``"QB_UNKNOWN_FIELD"`` -> class).
ERRORS_BY_CODE: Dict[str, Type[QueryBuilderError]] = {
    code: cls for code, _number, cls in _native.error_classes()
}

PLACEHOLDERS = ("numbered", "format")

#: ``compile(query, schema, *, placeholder="numbered") -> CompiledQuery``: compile ``query``
#: (a dict or JSON text) against ``schema`` (a :class:`Schema`, best built once; a dict or
#: JSON text is parsed on every call). ``"numbered"`` writes ``$1`` (asyncpg), ``"format"``
#: writes ``%s`` (psycopg 3). Raises a :class:`QueryBuilderError` subclass. The native
#: function itself, so a call pays no Python frame.
compile = _native.compile
encode_cursor = _native.encode_cursor


__all__ = [
    "ERRORS_BY_CODE",
    "NATIVE_AVAILABLE",
    "PLACEHOLDERS",
    "CompiledQuery",
    "DepthLimitError",
    "InvalidGroupByError",
    "InvalidIdentifierError",
    "InvalidJsonError",
    "InvalidQueryError",
    "InvalidSchemaError",
    "InvalidValueError",
    "OperatorTypeMismatchError",
    "Prepared",
    "QueryBuilderError",
    "Schema",
    "SizeLimitError",
    "UnknownFieldError",
    "UnknownOperatorError",
    "UnknownViewError",
    "UnsupportedError",
    "InternalError",
    "InvalidCursorError",
    "CursorMismatchError",
    "NoPrimaryKeyError",
    "GraphqlInvalidError",
    "__version__",
    "graphql",
    "compile",
    "encode_cursor",
]
