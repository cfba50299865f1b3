"""What fraiseql-qb's GraphQL compile costs against what any Python GraphQL server already pays
(issue 17's benchmark; not a test). One typical nested request (docs/graphql.md's: a list with
a relation filter, a many-to-one with a fragment, a list relation with its own order and limit
nesting a many-to-one, a variable with a default), measured in one process, `timeit` best of
`--repeat`:

- graphql-core `parse` alone, `validate` alone (against the schema `build_schema` makes from
  qb-graphql's SDL of the golden registry), and `parse` + `validate`: what graphql-core,
  Strawberry or Ariadne run on every request before the first resolver;
- `fraiseql_qb.graphql.compile` of the same document (its own parse and validation
  (apollo-compiler), the query AST per root field and the SQL), uncached: `compile` keeps no
  document cache today (the Schema's shape cache is keyed on query ASTs and is not consulted
  by the GraphQL path), so each call parses, validates and compiles again. A document cache
  (another change) adds the cached figure.

Figures in docs/performance.md ("GraphQL: compile against graphql-core").

    $FQB_VENV/bin/python bindings/python/bench/graphql_compile.py [--number 300] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import timeit

import graphql

import fraiseql_qb

ROOT = pathlib.Path(__file__).resolve().parents[3]

DOCUMENT = """
query Posts($min: Int = 1) {
  postList(where: {comments: {some: {likes: {gte: $min}}}}, orderBy: {id: ASC}) {
    __typename
    title
    writer: author { ...Who }
    comments(orderBy: {likes: DESC}, limit: 2) { likes author { ...Who } }
  }
}
fragment Who on User { name }
"""
VARIABLES = {"min": 2}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--number", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    registry = json.loads((ROOT / "tests/golden/schema.json").read_text())
    sdl = (ROOT / "crates/qb-graphql/tests/golden/schema.graphql").read_text()
    gql_schema = graphql.build_schema(sdl)
    schema = fraiseql_qb.Schema(registry)
    compile_ = fraiseql_qb.graphql.compile
    parsed = graphql.parse(DOCUMENT)
    assert graphql.validate(gql_schema, parsed) == []
    # Warm up (the GraphQL schema is derived on the first GraphQL compile).
    assert compile_(DOCUMENT, VARIABLES, schema).fields[0].query.params == [2, 2]

    runs = {
        "graphql-core parse": lambda: graphql.parse(DOCUMENT),
        "graphql-core validate": lambda: graphql.validate(gql_schema, parsed),
        "graphql-core parse + validate": lambda: graphql.validate(
            gql_schema, graphql.parse(DOCUMENT)),
        "fraiseql_qb.graphql.compile (uncached)": lambda: compile_(
            DOCUMENT, VARIABLES, schema),
    }
    best = {}
    for _ in range(args.repeat):  # interleaved: each round times every run once
        for name, fn in runs.items():
            t = timeit.timeit(fn, number=args.number) / args.number * 1e6
            best[name] = min(best.get(name, t), t)
    base = best["graphql-core parse + validate"]
    print(f"{'µs per call (best of %d x %d)' % (args.repeat, args.number):<48} {'µs':>8} {'vs parse+validate':>18}")
    for name, t in best.items():
        print(f"{name:<48} {t:8.1f} {t / base:17.2f}x")


if __name__ == "__main__":
    main()
