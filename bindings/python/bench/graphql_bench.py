"""GraphQL request cost from Python (issue 17): one typical nested request through
``fraiseql_qb.graphql.compile`` without the schema's document cache (a miss), with it but
bound hits off (each hit lowers the variables: the hit before bound hits), and with it (a
bound hit: the variables bound straight into the cached statements), against what
any Python GraphQL server pays before resolving: graphql-core's ``parse`` + ``validate``
alone (no execution, no SQL) on the same request and the same schema (the golden
registry's SDL, ``crates/qb-graphql/tests/golden/schema.graphql``).

Methods run interleaved round by round (drift hits all alike); a sample is the mean of a
batch of calls (~``--batch-ms``), median and p99 over the samples; GC off during a batch.

    $FQB_VENV/bin/python bindings/python/bench/graphql_bench.py [--samples 200] [--batch-ms 2]
"""

from __future__ import annotations

import argparse
import gc
import json
import pathlib
import time
from typing import Any, Callable, Dict, List

import graphql

import fraiseql_qb

ROOT = pathlib.Path(__file__).resolve().parents[3]

# The request of crates/qb-graphql/benches/compile.rs.
DOC = """query Posts($min: Int = 1) {
  postList(where: {comments: {some: {likes: {gte: $min}}}}, orderBy: {id: ASC}, limit: 20) {
    id title
    author { name }
    comments(orderBy: {likes: DESC}, limit: 5) { likes author { name } }
  }
}"""
VARIABLES = {"min": 3}


def stats(v: List[float]) -> Dict[str, float]:
    v = sorted(v)
    at = lambda q: v[round((len(v) - 1) * q)]  # noqa: E731
    return {"median": at(0.5), "p99": at(0.99), "samples": len(v)}


def calibrate(f: Callable[[], Any], batch_ns: float) -> int:
    n = 1
    while True:
        t = time.perf_counter_ns()
        for _ in range(n):
            f()
        if time.perf_counter_ns() - t >= batch_ns or n >= 1 << 20:
            return n
        n *= 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--batch-ms", type=float, default=2.0)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    registry = json.loads((ROOT / "tests/golden/schema.json").read_text())
    sdl = (ROOT / "crates/qb-graphql/tests/golden/schema.graphql").read_text()
    uncached = fraiseql_qb.Schema(registry, graphql_cache_size=0)
    lowered = fraiseql_qb.Schema(registry, graphql_bound_hits=False)
    cached = fraiseql_qb.Schema(registry)
    gql_schema = graphql.build_schema(sdl)

    def core_parse_validate() -> None:
        errors = graphql.validate(gql_schema, graphql.parse(DOC))
        assert not errors, errors

    def qb_uncached() -> None:
        fraiseql_qb.graphql.compile(DOC, VARIABLES, uncached)

    def qb_lowered() -> None:
        fraiseql_qb.graphql.compile(DOC, VARIABLES, lowered)

    def qb_cached() -> None:
        fraiseql_qb.graphql.compile(DOC, VARIABLES, cached)

    methods: Dict[str, Callable[[], None]] = {
        "graphql-core parse + validate (no SQL)": core_parse_validate,
        "fraiseql_qb.graphql.compile, uncached": qb_uncached,
        "compile, cached, bound hits off": qb_lowered,
        "fraiseql_qb.graphql.compile, cached": qb_cached,
    }
    # Same SQL either way, and the cache serves the cached runs.
    a = fraiseql_qb.graphql.compile(DOC, VARIABLES, uncached).fields[0].query
    for s in (lowered, cached, cached):
        b = fraiseql_qb.graphql.compile(DOC, VARIABLES, s).fields[0].query
        assert (a.sql, a.params) == (b.sql, b.params)

    batch_ns = args.batch_ms * 1e6
    counts = {k: calibrate(f, batch_ns) for k, f in methods.items()}
    samples: Dict[str, List[float]] = {k: [] for k in methods}
    for _ in range(args.samples):
        for k, f in methods.items():
            n = counts[k]
            gc.disable()
            t = time.perf_counter_ns()
            for _ in range(n):
                f()
            dt = time.perf_counter_ns() - t
            gc.enable()
            samples[k].append(dt / n / 1000.0)
    results = {k: stats(v) for k, v in samples.items()}
    base = results["graphql-core parse + validate (no SQL)"]["median"]
    print(f"graphql-core {graphql.__version__}; {args.samples} samples; µs per request")
    print(f"{'method':<42} {'median':>9} {'p99':>9} {'vs graphql-core':>16}")
    for k, r in results.items():
        print(f"{k:<42} {r['median']:>9.1f} {r['p99']:>9.1f} {r['median'] / base:>15.4f}x")
    s = cached.graphql_cache_stats()
    print(f"document cache: {s['hits']} hits ({s['bound']} bound), {s['misses']} misses; "
          f"shapes: {s['shapes']['hits']} hits, {s['shapes']['misses']} misses")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
