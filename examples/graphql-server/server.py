"""A GraphQL endpoint over PostgreSQL: graphql-core for GraphQL, fraiseql-qb for the SQL.

    scripts/pg.sh start && eval "$(scripts/pg.sh env)"
    python examples/graphql-server/server.py --port 8000 --log-sql
    curl -s localhost:8000/graphql -H 'content-type: application/json' \\
         -d '{"query": "{ userList(limit: 2) { name posts { title } } }"}'

What a Python GraphQL server does is graphql-core's: the schema is built from the SDL that
fraiseql-qb derives from the registry (`qb sdl --schema registry.json`, `build_schema`), every
request is parsed, validated, its variables coerced and its operation chosen by graphql-core,
and introspection (`__schema`, `__type`, `__typename`) is answered by graphql-core.

What would be N+1 resolvers elsewhere is fraiseql-qb's: each root field is resolved by one
`fraiseql_qb.graphql.compile` of that field (its selection with the fragments and variables
it uses) and one psycopg execution of the one statement it compiles to, however deeply the
selection nests (users -> posts -> author is one statement). Nested fields then read the
JSON that statement returned, by response key (aliases included).

The HTTP side follows the GraphQL-over-HTTP specification for POST: a JSON body
`{"query", "variables", "operationName"}` in, `{"data"}` and/or `{"errors"}` out, as
`application/graphql-response+json` when the client accepts it (then a request GraphQL
refuses is status 400) and as `application/json` otherwise (status 200).
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import functools
import json
import os
import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import graphql
import psycopg

import fraiseql_qb

ROOT = Path(__file__).resolve().parents[2]
#: The golden registry of the test fixture and the SDL qb-graphql derives from it (a golden
#: file of qb-graphql's tests, so it is always what `qb sdl --schema` prints).
DEFAULT_REGISTRY = ROOT / "tests" / "golden" / "schema.json"
DEFAULT_SDL = ROOT / "crates" / "qb-graphql" / "tests" / "golden" / "schema.graphql"

#: A request error GraphQL itself raises carries the code fraiseql-qb gives such errors.
GRAPHQL_INVALID = {"code": "QB_GRAPHQL_INVALID"}

# ------------------------------------------------------------------------ statements run

#: The statements of the request being served (None outside a request), and the response key
#: of the root field being resolved: set per request, read by the counting cursor.
_statements: contextvars.ContextVar[Optional[List[Dict[str, Any]]]] = contextvars.ContextVar(
    "statements", default=None
)
_root_field: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar(
    "root_field", default=None
)


class CountingCursor(psycopg.Cursor):
    """Records every statement psycopg executes during a request (SQL, parameters, root
    field), so the endpoint can show and count them: one per root field."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> "CountingCursor":
        log = _statements.get()
        if log is not None:
            log.append({"field": _root_field.get(), "sql": str(query), "params": list(params or [])})
        return super().execute(query, params, **kwargs)


class Pool:
    """A few psycopg connections reused across requests (autocommit, read-only sessions)."""

    def __init__(self, conninfo: str, size: int = 4) -> None:
        self.conninfo = conninfo
        self.idle: "queue.LifoQueue[psycopg.Connection]" = queue.LifoQueue(maxsize=size)

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        try:
            conn = self.idle.get_nowait()
        except queue.Empty:
            conn = psycopg.connect(
                self.conninfo, autocommit=True, cursor_factory=CountingCursor,
                options="-c default_transaction_read_only=on",
            )
        try:
            yield conn
        except BaseException:
            conn.close()  # a failed statement may leave it in any state
            raise
        if conn.closed:
            return
        try:
            self.idle.put_nowait(conn)
        except queue.Full:
            conn.close()

    def close(self) -> None:
        while True:
            try:
                self.idle.get_nowait().close()
            except queue.Empty:
                return


# ------------------------------------------------------------------------ the GraphQL app


def _references(nodes: Any, fragments: Dict[str, graphql.FragmentDefinitionNode]) -> Tuple[List[str], set]:
    """The fragments `nodes` spread (transitively, in order of first use) and the variables
    they read."""
    names: List[str] = []
    variables: set = set()

    class Refs(graphql.Visitor):
        def enter_fragment_spread(self, node: graphql.FragmentSpreadNode, *_: Any) -> None:
            if node.name.value not in names:
                names.append(node.name.value)

        def enter_variable(self, node: graphql.VariableNode, *_: Any) -> None:
            variables.add(node.name.value)

    for node in nodes:
        graphql.visit(node, Refs())
    done = 0
    while done < len(names):  # fragments spread by the fragments found so far
        graphql.visit(fragments[names[done]], Refs())
        done += 1
    return names, variables


def root_field_document(info: graphql.GraphQLResolveInfo) -> Tuple[str, frozenset]:
    """The GraphQL document fraiseql-qb compiles for the root field `info` resolves: an
    anonymous query selecting that field (every node graphql-core merged under its response
    key), with exactly the variable definitions and fragments it uses (GraphQL refuses
    unused ones). Returns the text and the names of its variables."""
    names, variables = _references(info.field_nodes, info.fragments)
    operation = graphql.OperationDefinitionNode(
        operation=graphql.OperationType.QUERY,
        name=None,
        variable_definitions=tuple(
            d for d in info.operation.variable_definitions or ()
            if d.variable.name.value in variables
        ),
        directives=(),
        selection_set=graphql.SelectionSetNode(selections=tuple(info.field_nodes)),
    )
    document = graphql.DocumentNode(
        definitions=(operation, *(info.fragments[n] for n in names))
    )
    return graphql.print_ast(document), frozenset(variables)


class Resolvers:
    """graphql-core resolvers for the schema derived from a registry: a root field is one
    `fraiseql_qb.graphql.compile` and one statement; any other field is read by its response
    key from the JSON that statement returned. `bind(schema)` sets them on a graphql-core
    schema (ours, or Ariadne's: see README.md)."""

    def __init__(self, qb_schema: fraiseql_qb.Schema, pool: Pool, documents: int = 1024) -> None:
        self.qb_schema = qb_schema
        self.pool = pool
        self.documents: Dict[Any, Tuple[str, frozenset]] = {}
        self.documents_max = documents
        self.lock = threading.Lock()

    def bind(self, schema: graphql.GraphQLSchema) -> graphql.GraphQLSchema:
        """Sets `root` on every Query field and `by_response_key` on every other object field
        that has no resolver."""
        for type_ in schema.type_map.values():
            if not isinstance(type_, graphql.GraphQLObjectType) or type_.name.startswith("__"):
                continue
            root = type_ is schema.query_type
            for field in type_.fields.values():
                if root:
                    field.resolve = self.root
                elif field.resolve is None:
                    field.resolve = by_response_key
        return schema

    #: Ariadne's name for it: a `Resolvers` is a bindable, `make_executable_schema(sdl, r)`.
    bind_to_schema = bind

    def root(self, _source: Any, info: graphql.GraphQLResolveInfo, **_args: Any) -> Any:
        """One root field: its document compiled (one statement, however deep it nests) and
        run once; the rows' `data` (a list, or the first row or None for a by-id field), or for a
        connection the object the core's assembler makes of its rows."""
        document, names = self._document(info)
        # The variables as graphql-core coerced them (defaults applied; 3.3 wraps them in
        # `VariableValues.coerced`, 3.2 gives the dict).
        coerced = getattr(info.variable_values, "coerced", info.variable_values)
        variables = {k: v for k, v in coerced.items() if k in names}
        try:
            request = fraiseql_qb.graphql.compile(
                document, variables, self.qb_schema, placeholder="format"
            )
        except fraiseql_qb.QueryBuilderError as e:
            raise _field_error(e, info) from None
        (field,) = request.fields  # one root field in, one out
        token = _root_field.set(str(info.path.key))
        try:
            with self.pool.connection() as conn:
                rows = conn.execute(field.query.sql, field.query.params).fetchall()
        finally:
            _root_field.reset(token)
        if field.connection is not None:
            # A connection: the core shapes its rows into {edges, nodes, pageInfo, totalCount}.
            return field.connection.assemble(rows)
        data = [r[0] for r in rows]
        if field.nested is not None:
            # Nested connections (`postsConnection(first:)`): shaped, cursors encoded, by the core.
            data = [field.nested.finish(d) for d in data]
        return (data[0] if data else None) if field.single else data

    def _document(self, info: graphql.GraphQLResolveInfo) -> Tuple[str, frozenset]:
        # The same request text gives the same document for the field at the same place.
        locs = [n.loc for n in (info.operation, *info.field_nodes)]
        if any(loc is None for loc in locs):
            return root_field_document(info)
        key = (locs[0].source.body, tuple(loc.start for loc in locs))
        with self.lock:
            hit = self.documents.get(key)
        if hit is None:
            hit = root_field_document(info)
            with self.lock:
                if len(self.documents) >= self.documents_max:
                    self.documents.clear()
                self.documents[key] = hit
        return hit


def by_response_key(source: Any, info: graphql.GraphQLResolveInfo, **_args: Any) -> Any:
    """A nested field: its value in its parent's JSON, under its response key (the alias when
    there is one: the statement wrote the keys the request asked for)."""
    return source.get(info.path.key) if isinstance(source, dict) else None


class GraphQLApp:
    """The endpoint without HTTP: `execute(query, variables, operation_name)` returns the
    GraphQL response dict. `registry`: the fraiseql-qb schema registry (dict); `sdl`: the
    GraphQL schema derived from it (`qb sdl --schema registry.json`)."""

    def __init__(
        self,
        registry: Dict[str, Any],
        sdl: str,
        conninfo: str,
        *,
        max_tokens: int = 20_000,
        parse_cache_size: int = 256,
        on_statements: Optional[Callable[[Dict[str, Any]], None]] = None,
    ) -> None:
        self.schema = graphql.build_schema(sdl)
        errors = graphql.validate_schema(self.schema)
        if errors:
            raise ValueError(f"the SDL is not a valid GraphQL schema: {errors}")
        self.pool = Pool(conninfo)
        self.resolvers = Resolvers(fraiseql_qb.Schema(registry), self.pool)
        self.resolvers.bind(self.schema)
        self.max_tokens = max_tokens
        self.on_statements = on_statements
        # Parsed and validated documents by request text, as GraphQL servers cache them.
        self._parse = functools.lru_cache(maxsize=parse_cache_size)(self._parse_uncached)

    def _parse_uncached(self, query: str) -> Tuple[Optional[graphql.DocumentNode], List[graphql.GraphQLError]]:
        try:
            document = graphql.parse(query, max_tokens=self.max_tokens)
        except graphql.GraphQLError as e:
            return None, [e]
        return document, graphql.validate(self.schema, document)

    def execute(
        self,
        query: str,
        variables: Optional[Dict[str, Any]] = None,
        operation_name: Optional[str] = None,
    ) -> Dict[str, Any]:
        """The GraphQL response: `{"data": ...}`, with `"errors"` when any; a request GraphQL
        refuses (syntax, validation, variables, operation name) has `"errors"` only."""
        statements: List[Dict[str, Any]] = []
        token = _statements.set(statements)
        try:
            return self._execute(query, variables, operation_name)
        finally:
            _statements.reset(token)
            if self.on_statements is not None:
                self.on_statements({"operationName": operation_name, "statements": statements})

    def _execute(
        self, query: str, variables: Optional[Dict[str, Any]], operation_name: Optional[str]
    ) -> Dict[str, Any]:
        document, errors = self._parse(query)
        if errors:
            return {"errors": [_with_code(e) for e in errors]}
        result = graphql.execute(
            self.schema, document, variable_values=variables, operation_name=operation_name
        )
        assert isinstance(result, graphql.ExecutionResult)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # graphql-core refused the request before executing it (variables, operation
            # name): a request error, which has no `data` entry.
            return {"errors": [_with_code(e) for e in result.errors]}
        return result.formatted


def _field_error(e: fraiseql_qb.QueryBuilderError, info: graphql.GraphQLResolveInfo) -> graphql.GraphQLError:
    """fraiseql-qb's error (the first, in the GraphQL spec's shape, with its code) as a field
    error at the root field's location in the request (the compiled document is made from
    the request, so only its path, not its line and column, is the client's)."""
    first = (getattr(e, "errors", None) or [{}])[0]
    return graphql.GraphQLError(
        first.get("message", str(e)),
        nodes=info.field_nodes,
        path=first.get("path") or info.path.as_list(),
        extensions=first.get("extensions") or {"code": e.code},
    )


def _with_code(e: graphql.GraphQLError) -> Dict[str, Any]:
    out = e.formatted
    out["extensions"] = {**GRAPHQL_INVALID, **(out.get("extensions") or {})}
    return out


# ------------------------------------------------------------------------ HTTP

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
MAX_BODY = 1 << 20


def _media_type(accept: Optional[str]) -> Optional[str]:
    """The response media type for an Accept header (GraphQL over HTTP): the new type when the
    client lists it, application/json when it lists that (or */*, or sends no Accept)."""
    if not accept:
        return "application/json"
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    for t in types:
        if t == GRAPHQL_RESPONSE_JSON:
            return GRAPHQL_RESPONSE_JSON
        if t in ("application/json", "application/*", "*/*"):
            return "application/json"
    return None


def handle(app: GraphQLApp, method: str, path: str, headers: Any, body: bytes) -> Tuple[int, Dict[str, str], bytes]:
    """One HTTP request in, `(status, headers, body)` out: the transport, separate from the
    server so a test (or another server) can call it."""

    def reply(status: int, payload: Any, media: str = "application/json", extra: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], bytes]:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
        return status, {"Content-Type": f"{media}; charset=utf-8", **(extra or {})}, data.encode()

    def request_error(status: int, message: str, media: str = "application/json") -> Tuple[int, Dict[str, str], bytes]:
        return reply(status, {"errors": [{"message": message, "extensions": GRAPHQL_INVALID}]}, media)

    if path.split("?")[0] != "/graphql":
        return request_error(404, "not found: the endpoint is POST /graphql")
    if method != "POST":
        status, hdrs, data = request_error(405, "only POST is supported")
        return status, {**hdrs, "Allow": "POST"}, data
    media = _media_type(headers.get("Accept"))
    if media is None:
        return request_error(406, "accepts application/graphql-response+json or application/json")
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return request_error(415, "the body must be application/json", media)
    try:
        params = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        return request_error(400, f"the body is not JSON: {e}", media)
    if not isinstance(params, dict):
        return request_error(400, "the body must be a JSON object", media)
    query = params.get("query")
    variables = params.get("variables")
    operation_name = params.get("operationName")
    if not isinstance(query, str):
        return request_error(400, "`query` must be a string", media)
    if variables is not None and not isinstance(variables, dict):
        return request_error(400, "`variables` must be an object", media)
    if operation_name is not None and not isinstance(operation_name, str):
        return request_error(400, "`operationName` must be a string", media)
    response = app.execute(query, variables, operation_name)
    # application/json: 200 for every GraphQL response; the new media type: 400 for a request
    # GraphQL refused (no `data` entry), 200 when it executed.
    status = 400 if media == GRAPHQL_RESPONSE_JSON and "data" not in response else 200
    return reply(status, response, media)


def make_server(app: GraphQLApp, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server (one thread per request) serving `app` at POST /graphql; port 0 picks a
    free port (`server.server_address[1]`)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                status, hdrs, data = 413, {"Content-Type": "application/json", "Connection": "close"}, b'{"errors":[{"message":"request body too large"}]}'
                self.close_connection = True
            else:
                body = self.rfile.read(length) if length else b""
                status, hdrs, data = handle(app, self.command, self.path, self.headers, body)
            self.send_response(status)
            for name, value in hdrs.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: --log-sql prints what matters

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--registry", type=Path, default=DEFAULT_REGISTRY, help="the fraiseql-qb schema registry (JSON)")
    p.add_argument("--sdl", type=Path, default=DEFAULT_SDL, help="its GraphQL schema: `qb sdl --schema REGISTRY`")
    p.add_argument("--db", default=os.environ.get("FQB_PG_URL"), help="PostgreSQL conninfo (default $FQB_PG_URL)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("FQB_GRAPHQL_PORT", "8000")), help="0: a free port (default $FQB_GRAPHQL_PORT or 8000)")
    p.add_argument("--log-sql", action="store_true", help="print each request's statements to stderr, one JSON line per request")
    args = p.parse_args(argv)
    if not args.db:
        p.error("--db or FQB_PG_URL is required")

    def log(entry: Dict[str, Any]) -> None:
        print(json.dumps(entry, default=str, ensure_ascii=False), file=sys.stderr, flush=True)

    app = GraphQLApp(
        json.loads(args.registry.read_text()), args.sdl.read_text(), args.db,
        on_statements=log if args.log_sql else None,
    )
    server = make_server(app, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}/graphql", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.pool.close()


if __name__ == "__main__":
    main()
