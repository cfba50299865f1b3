"""`make demo`'s GraphQL step: start server.py on a free port, POST one nested query, print
the request, the one SQL statement the server ran for it, and the JSON response.

    FQB_PG_URL=postgresql://... python examples/graphql-server/demo.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent

QUERY = """query Authors($tenant: UUID!) {
  users: userList(where: {tenantId: {eq: $tenant}, posts: {some: {published: {eq: true}}}},
                  orderBy: [{id: ASC}], limit: 2) {
    name
    posts(orderBy: [{id: ASC}], limit: 2) {
      title
      comments(limit: 1) { body author { name } }
    }
  }
}"""
VARIABLES = {"tenant": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}


def main() -> None:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "server.py"), "--port", "0", "--log-sql",
         "--db", os.environ["FQB_PG_URL"]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = server.stdout.readline() if server.stdout else ""
        m = re.match(r"listening on (http://\S+)", line)
        if not m:
            sys.exit(f"demo: the server did not start: {line!r} "
                     f"{server.stderr.read() if server.stderr else ''}")
        url = m.group(1)
        print(f"POST {url}")
        print(QUERY)
        print("variables:", json.dumps(VARIABLES))
        body = json.dumps({"query": QUERY, "variables": VARIABLES}).encode()
        req = urllib.request.Request(
            url, data=body, method="POST",
            headers={"Content-Type": "application/json",
                     "Accept": "application/graphql-response+json"},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            status, ctype, response = r.status, r.headers["Content-Type"], json.load(r)
        # The server logs a request's statements (stderr, one JSON line) before it replies.
        log = json.loads(server.stderr.readline() if server.stderr else "{}")
        statements = log.get("statements", [])
        print(f"\n{len(statements)} SQL statement(s) for the request:")
        for s in statements:
            print(f"-- root field {s['field']}")
            print(s["sql"])
            print("-- params:", json.dumps(s["params"], default=str))
        print(f"\nresponse: {status} {ctype}")
        print(json.dumps(response, indent=2, ensure_ascii=False))
        if status != 200 or "errors" in response or len(statements) != 1:
            sys.exit("demo: expected one statement and a response without errors")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
