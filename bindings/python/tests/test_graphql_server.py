"""examples/graphql-server/server.py as a client sees it: the server started on a free port
against the test database, real HTTP requests, the exact JSON responses (rows computed here
from plain SQL on the same tables, not by fraiseql-qb), and the statements the server's
psycopg cursor ran: exactly one per root field that reads rows, none for introspection or a
refused request."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import fraiseql_qb

ROOT = Path(__file__).resolve().parents[3]
SERVER = ROOT / "examples" / "graphql-server" / "server.py"
SDL = ROOT / "crates" / "qb-graphql" / "tests" / "golden" / "schema.graphql"
TENANT_A = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"


class Server:
    def __init__(self, url: str, proc: subprocess.Popen, log: Any) -> None:
        self.url = url
        self.proc = proc
        self.log = log  # the server's stderr: one JSON line of statements per request

    def post(
        self, body: Any, accept: Optional[str] = None, raw: Optional[bytes] = None
    ) -> Tuple[int, str, Any, List[Dict[str, Any]]]:
        """(status, content type, JSON body, statements the request ran)."""
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if accept:
            headers["Accept"] = accept
        req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, ctype, text = r.status, r.headers["Content-Type"], r.read()
        except urllib.error.HTTPError as e:
            status, ctype, text = e.code, e.headers["Content-Type"], e.read()
        # The server writes (and flushes) a request's log line before it sends the response.
        lines = [json.loads(line) for line in self.log.read().splitlines() if line.strip()]
        statements = [s for entry in lines for s in entry["statements"]]
        return status, ctype, json.loads(text), statements


@pytest.fixture(scope="module")
def server(pg_url: str, tmp_path_factory: Any) -> Iterator[Server]:
    log_path = tmp_path_factory.mktemp("graphql-server") / "stderr.log"
    with open(log_path, "w") as err, open(log_path) as log:
        proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", "0", "--log-sql", "--db", pg_url],
            stdout=subprocess.PIPE, stderr=err, text=True,
        )
        try:
            first = proc.stdout.readline() if proc.stdout else ""
            m = re.match(r"listening on (http://\S+)", first)
            if not m:
                proc.kill()
                proc.wait(10)
                pytest.fail(f"the server did not start: {first!r} {log.read()}")
            log.read()  # anything before the first request
            yield Server(m.group(1), proc, log)
        finally:
            proc.terminate()
            proc.wait(10)
            if proc.stdout:
                proc.stdout.close()


# ------------------------------------------------------------------ rows from plain SQL


@pytest.fixture(scope="module")
def rows(conn: Any) -> Dict[str, List[Dict[str, Any]]]:
    """Every user, post and comment: the row's columns and its document, read with plain SQL."""
    out = {}
    for table in ("users", "posts"):
        out[table] = [
            {"id": str(r[0]), "tenant_id": str(r[1]), **r[2]}
            for r in conn.execute(f"SELECT id, tenant_id, data FROM public.{table} ORDER BY id")
        ]
    return out


def user_by_id(rows: Dict[str, Any], user_id: Optional[str], tenant: str) -> Optional[Dict[str, Any]]:
    # A relation between views that both declare a distribution column also matches it.
    return next((u for u in rows["users"] if u["id"] == user_id and u["tenant_id"] == tenant), None)


def statement_of(document: str, variables: Any = None) -> str:
    schema = fraiseql_qb.Schema(json.loads((ROOT / "tests/golden/schema.json").read_text()))
    (field,) = [f for f in fraiseql_qb.graphql.compile(
        document, variables, schema, placeholder="format").fields if f.query]
    return field.query.sql


# ------------------------------------------------------------------ the requests

NESTED = """{
  users: userList(where: {tenantId: {eq: "%s"}}, orderBy: [{id: ASC}], limit: 4) {
    id
    name
    posts(orderBy: [{id: ASC}]) { title author { name } }
  }
}""" % TENANT_A


def test_a_nested_query_is_one_statement(server: Server, rows: Dict[str, Any]) -> None:
    status, ctype, body, statements = server.post({"query": NESTED})
    users = [u for u in rows["users"] if u["tenant_id"] == TENANT_A][:4]
    want = {"data": {"users": [
        {"id": u["id"], "name": u.get("name"), "posts": [
            {"title": p.get("title"),
             "author": {"name": user_by_id(rows, p.get("author_id"), p["tenant_id"])["name"]}}
            for p in rows["posts"]
            if p.get("author_id") == u["id"] and p["tenant_id"] == u["tenant_id"]
        ]}
        for u in users
    ]}}
    assert (status, ctype) == (200, "application/json; charset=utf-8")
    assert json.dumps(body) == json.dumps(want)
    assert sum(len(u["posts"]) for u in body["data"]["users"]) >= 3  # the test reaches posts
    assert [s["field"] for s in statements] == ["users"]
    assert statements[0]["sql"] == statement_of(NESTED)


CONNECTION = """
query Page($after: String) {
  page: userConnection(where: {tenantId: {eq: "%s"}}, orderBy: [{id: ASC}], first: 2, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { id name } }
  }
}""" % TENANT_A


def test_a_connection_pages_through_every_row(server: Server, rows: Dict[str, Any]) -> None:
    """A connection root field is one statement per page; following `endCursor` returns each
    of the tenant's users once, in order, with the core's page info and total."""
    users = [{"id": u["id"], "name": u.get("name")} for u in rows["users"]
             if u["tenant_id"] == TENANT_A]
    assert len(users) > 2  # more than one page
    seen: List[Any] = []
    after = None
    for page in range(len(users)):
        status, _, body, statements = server.post(
            {"query": CONNECTION, "variables": {"after": after}})
        assert status == 200 and "errors" not in body, body
        data = body["data"]["page"]
        assert [s["field"] for s in statements] == ["page"]
        assert data["totalCount"] == len(users)
        assert data["pageInfo"]["hasPreviousPage"] == (page > 0)
        seen.extend(e["node"] for e in data["edges"])
        after = data["pageInfo"]["endCursor"]
        if not data["pageInfo"]["hasNextPage"]:
            break
    assert seen == users


NESTED_CONNECTION = """{
  users: userList(where: {tenantId: {eq: "%s"}}, orderBy: [{id: ASC}]) {
    id
    postsConnection(orderBy: [{id: ASC}], first: 1) {
      totalCount
      pageInfo { hasNextPage startCursor endCursor }
      edges { cursor node { id } }
    }
  }
}""" % TENANT_A


def test_a_nested_connection_is_shaped_by_the_core(server: Server, rows: Dict[str, Any]) -> None:
    """Each user's first post as a connection page, in one statement: the total and the next
    page flag from the user's posts, the cursors encoded (not the raw `__cursor` text)."""
    status, _, body, statements = server.post({"query": NESTED_CONNECTION})
    assert status == 200 and "errors" not in body, body
    assert [s["field"] for s in statements] == ["users"]
    users = [u for u in rows["users"] if u["tenant_id"] == TENANT_A]
    assert [u["id"] for u in body["data"]["users"]] == [u["id"] for u in users]
    for u in body["data"]["users"]:
        posts = sorted(p["id"] for p in rows["posts"]
                       if p.get("author_id") == u["id"] and p["tenant_id"] == TENANT_A)
        conn = u["postsConnection"]
        assert conn["totalCount"] == len(posts)
        assert [e["node"]["id"] for e in conn["edges"]] == posts[:1]
        assert conn["pageInfo"]["hasNextPage"] == (len(posts) > 1)
        cursors = [e["cursor"] for e in conn["edges"]]
        assert conn["pageInfo"]["startCursor"] == (cursors[0] if cursors else None)
        assert all(not c.startswith("[") for c in cursors)  # encoded, not the raw key array
    assert any(u["postsConnection"]["edges"] for u in body["data"]["users"])


VARS_AND_FRAGMENTS = """
query Posts($min: Int!, $id: UUID!, $withBody: Boolean = false) {
  top: postList(where: {views: {gte: $min}}, orderBy: [{views: DESC}, {id: ASC}]) { ...PostBits }
  __typename
  one: post(id: $id) {
    ... on Post { title body @include(if: $withBody) writer: author { ...Who } }
  }
}
query Other { commentList { id } }
fragment PostBits on Post { id views author { ...Who } }
fragment Who on User { name email }
"""


def test_variables_fragments_and_two_root_fields(server: Server, rows: Dict[str, Any]) -> None:
    variables = {"min": 50, "id": "22222222-0000-0000-0000-000000000002"}
    status, _, body, statements = server.post(
        {"query": VARS_AND_FRAGMENTS, "variables": variables, "operationName": "Posts"},
        accept="application/graphql-response+json, application/json;q=0.9",
    )

    def who(p: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        u = user_by_id(rows, p.get("author_id"), p["tenant_id"])
        return None if u is None else {"name": u.get("name"), "email": u.get("email")}

    top = sorted(
        (p for p in rows["posts"] if isinstance(p.get("views"), int) and p["views"] >= 50),
        key=lambda p: (-p["views"], p["id"]),
    )
    one = next(p for p in rows["posts"] if p["id"] == variables["id"])
    want = {"data": {
        "top": [{"id": p["id"], "views": p["views"], "author": who(p)} for p in top],
        "__typename": "Query",
        "one": {"title": one.get("title"), "writer": who(one)},
    }}
    assert status == 200
    assert json.dumps(body) == json.dumps(want)
    assert len(body["data"]["top"]) >= 2
    # One statement per root field that reads rows; `__typename` is graphql-core's.
    assert [s["field"] for s in statements] == ["top", "one"]
    assert [str(p) for p in statements[0]["params"]] == ["50"]


def test_introspection_is_graphql_cores(server: Server) -> None:
    query = """{
      __schema { queryType { name } mutationType { name } }
      __type(name: "Post") { name kind fields { name } }
      first: userList(orderBy: [{id: ASC}], limit: 1) { id }
    }"""
    status, _, body, statements = server.post({"query": query})
    # The Post type's fields as the SDL file spells them, read here with a regular expression.
    block = re.search(r"^type Post \{\n(.*?)^\}", SDL.read_text(), re.S | re.M).group(1)
    fields = [re.match(r"\s*(\w+)", line).group(1) for line in block.splitlines() if line.strip()]
    assert status == 200
    assert json.dumps(body) == json.dumps({"data": {
        "__schema": {"queryType": {"name": "Query"}, "mutationType": None},
        "__type": {"name": "Post", "kind": "OBJECT", "fields": [{"name": f} for f in fields]},
        "first": [{"id": "11111111-0000-0000-0000-000000000001"}],
    }})
    assert "author" in fields and "comments" in fields
    assert [s["field"] for s in statements] == ["first"]


def test_an_invalid_query_is_a_request_error_and_runs_nothing(server: Server) -> None:
    query = "{ userList { id emial } }"
    want = {"errors": [{
        "message": "Cannot query field 'emial' on type 'User'. Did you mean 'email' or 'mac'?",
        "locations": [{"line": 1, "column": 17}],
        "extensions": {"code": "QB_GRAPHQL_INVALID"},
    }]}
    status, ctype, body, statements = server.post({"query": query})
    assert (status, ctype, body, statements) == (200, "application/json; charset=utf-8", want, [])
    status, ctype, body, statements = server.post(
        {"query": query}, accept="application/graphql-response+json")
    assert (status, ctype, body, statements) == (
        400, "application/graphql-response+json; charset=utf-8", want, [])

    # Syntax, and a variable graphql-core cannot coerce: request errors too.
    _, _, body, statements = server.post({"query": "{ userList { id }"})
    assert body == {"errors": [{
        "message": "Syntax Error: Expected Name, found <EOF>.",
        "locations": [{"line": 1, "column": 18}],
        "extensions": {"code": "QB_GRAPHQL_INVALID"},
    }]} and statements == []
    _, _, body, statements = server.post(
        {"query": "query($n: Int!) { userList(limit: $n) { id } }", "variables": {"n": "x"}})
    assert body == {"errors": [{
        "message": "Variable '$n' has invalid value: Int cannot represent non-integer value: 'x'",
        "locations": [{"line": 1, "column": 7}],
        "extensions": {"code": "QB_GRAPHQL_INVALID"},
    }]} and statements == []


def test_a_fraiseql_error_is_a_field_error_with_its_code(server: Server) -> None:
    # GraphQL accepts null for an Int operand; the core refuses it (use `isnull`), with the
    # response path of the field, the root field's location and the AST path.
    query = "{ posts: postList { id comments(where: {likes: {eq: null}}) { id } } }"
    status, _, body, statements = server.post({"query": query})
    assert status == 200
    assert body == {"data": None, "errors": [{
        "message": "null is not a valid operand (expected integer); test for null with `isnull`",
        "locations": [{"line": 1, "column": 3}],
        "path": ["posts", "comments"],
        "extensions": {"code": "QB_INVALID_VALUE", "astPath": "select[1].where.likes.eq"},
    }]}
    assert statements == []


def test_http_edges(server: Server) -> None:
    status, _, body, _ = server.post(None, raw=b"{not json")
    assert status == 400 and body["errors"][0]["message"].startswith("the body is not JSON")
    status, _, body, _ = server.post({"variables": {}})
    assert (status, body["errors"][0]["message"]) == (400, "`query` must be a string")
    req = urllib.request.Request(server.url, method="GET")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 405 and e.value.headers["Allow"] == "POST"
    server.log.read()  # the refused requests ran no GraphQL: nothing logged


def test_a_root_field_merged_from_fragments_is_one_statement_and_a_skipped_one_none(
    server: Server, rows: Dict[str, Any]
) -> None:
    # graphql-core merges the two `first` selections (one through a fragment on Query) into
    # one response key; the server compiles both nodes as one root field: one statement.
    query = """query($skip: Boolean!) {
      first: userList(orderBy: [{id: ASC}], limit: 2) { id }
      ...More
      gone: postList @skip(if: $skip) { id }
    }
    fragment More on Query { first: userList(orderBy: [{id: ASC}], limit: 2) { name id } }"""
    _, _, body, statements = server.post({"query": query, "variables": {"skip": True}})
    want = {"data": {"first": [{"id": u["id"], "name": u.get("name")} for u in rows["users"][:2]]}}
    assert json.dumps(body) == json.dumps(want)
    assert [s["field"] for s in statements] == ["first"]
